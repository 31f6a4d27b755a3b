#!/usr/bin/env bash
# Creates or refreshes the Python virtual environment of the dataset tools, .venv-python at the
# repository root, from Samples/python/requirements.txt. A rerun with the same requirements, the
# same script and the same Python costs nothing (a stamp file in the venv records them).
#
# torch (the CPU build pinned in requirements.txt) is looked for in a local wheel folder first
# (WARPFLOW_WHEELS, default /opt/wheels), else on PyTorch's CPU index (WARPFLOW_TORCH_INDEX).
# If it cannot be installed, everything else is, and the venv records that torch is unavailable
# (file .torch-unavailable with pip's last words); the tests then use safetensors.numpy.
#
# Environment: PYTHON (interpreter to build the venv from, default python3), WARPFLOW_VENV
# (venv path, default <repo>/.venv-python), WARPFLOW_RETRY_TORCH=1 (try torch again even if the
# stamp says it was unavailable). Prints one line per step; exits non-zero only if the venv or
# the non-torch requirements cannot be installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${WARPFLOW_VENV:-$ROOT/.venv-python}"
REQ="$ROOT/Samples/python/requirements.txt"
PY="${PYTHON:-python3}"
WHEELS="${WARPFLOW_WHEELS:-/opt/wheels}"
TORCH_INDEX="${WARPFLOW_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi

[ -f "$REQ" ] || { echo "setup-venv: $REQ is missing"; exit 1; }

# python3 -m venv needs ensurepip; Debian's python3 has it only with python3-venv.
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  if ! command -v apt-get >/dev/null; then
    echo "setup-venv: $PY has no venv/ensurepip module; install your system's python3-venv"; exit 1
  fi
  echo "setup-venv: installing python3-venv"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q python3-venv >/dev/null 2>&1 || \
    { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q python3-venv >/dev/null; }
  PY=/usr/bin/python3
  "$PY" -c 'import venv, ensurepip' || { echo "setup-venv: python3-venv did not provide venv"; exit 1; }
fi

PYVERSION="$("$PY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')"
hash_of() { sha256sum "$@" | awk '{print $1}' | tr -d '\n'; }
WANT="$(hash_of "$REQ" "${BASH_SOURCE[0]}") python $PYVERSION"
STAMP="$VENV/.requirements-stamp"
VPY="$VENV/bin/python"

if [ -f "$STAMP" ] && [ "$(head -n 1 "$STAMP")" = "$WANT" ] && [ -x "$VPY" ] \
   && "$VPY" -c 'import numpy, safetensors, matplotlib' 2>/dev/null; then
  if [ -f "$VENV/.torch-unavailable" ] && [ "${WARPFLOW_RETRY_TORCH:-0}" = 1 ]; then
    echo "setup-venv: retrying torch (WARPFLOW_RETRY_TORCH=1)"
  else
    echo "setup-venv: $VENV is current ($(sed -n 2p "$STAMP"))"
    exit 0
  fi
fi

START=$(date +%s)
if [ -x "$VPY" ] && [ "$("$VPY" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null)" = "$PYVERSION" ]; then
  echo "setup-venv: refreshing $VENV (Python $PYVERSION)"
else
  echo "setup-venv: creating $VENV (Python $PYVERSION from $PY)"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
fi
rm -f "$STAMP"

TMPREQ="$(mktemp)"
trap 'rm -f "$TMPREQ"' EXIT
grep -v -i -E '^[[:space:]]*torch([=<>~! ;[]|$)' "$REQ" > "$TMPREQ"
TORCH_SPEC="$(grep -i -E '^[[:space:]]*torch([=<>~! ;[]|$)' "$REQ" | head -n 1 | tr -d '[:space:]')"

echo "setup-venv: pip install numpy, safetensors, matplotlib"
"$VPY" -m pip install -q --disable-pip-version-check -r "$TMPREQ"

TORCH_STATUS="torch: not required"
rm -f "$VENV/.torch-unavailable"
if [ -n "$TORCH_SPEC" ]; then
  TORCH_ARGS=()
  if compgen -G "$WHEELS/torch-*.whl" >/dev/null; then
    TORCH_ARGS=(--find-links "$WHEELS")
    WHERE="wheels in $WHEELS"
  else
    TORCH_ARGS=(--extra-index-url "$TORCH_INDEX" --retries 1)
    WHERE="index $TORCH_INDEX"
  fi
  echo "setup-venv: pip install $TORCH_SPEC (from $WHERE)"
  LOG="$(mktemp)"
  if "$VPY" -m pip install -q --disable-pip-version-check "${TORCH_ARGS[@]}" "$TORCH_SPEC" >"$LOG" 2>&1; then
    TORCH_STATUS="torch: $("$VPY" -c 'import torch; print(torch.__version__)')"
  else
    { echo "pip could not install $TORCH_SPEC from $WHERE: $(tail -n 1 "$LOG")"; tail -n 5 "$LOG"; } \
      > "$VENV/.torch-unavailable"
    TORCH_STATUS="torch: unavailable ($(tail -n 1 "$LOG" | cut -c1-160))"
    echo "setup-venv: torch could not be installed; the tests fall back to safetensors.numpy"
    sed 's/^/  /' "$VENV/.torch-unavailable"
  fi
  rm -f "$LOG"
fi

printf '%s\n%s\n' "$WANT" "$TORCH_STATUS" > "$STAMP"
echo "setup-venv: done in $(( $(date +%s) - START )) s, $(du -sh "$VENV" | cut -f1), $TORCH_STATUS"
