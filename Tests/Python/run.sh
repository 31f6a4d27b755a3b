#!/usr/bin/env bash
# The Python side of `make test`: sets up .venv-python (Tests/Python/setup-venv.sh), then checks a
# dataset with Tests/Python/test_dataset.py.
#
#   Tests/Python/run.sh [DATASET_DIR]
#
# Without DATASET_DIR it builds one from the sample clips with the warpflow CLI
#   warpflow dataset build Samples/clips/*.mp4 -o DIR --window 30 --stride 30 --trajectories --dtype float32
# into a temporary directory (removed afterwards; WARPFLOW_KEEP_DATASET=1 keeps it and says where).
# The binary is the one `swift build --show-bin-path` names, built first if needed (`swift build
# --product warpflow`); SWIFT (default swift) and SWIFT_BUILD_FLAGS (e.g. "-c release" or
# "--scratch-path .build-x") choose the build; WARPFLOW_DATASET_ARGS adds builder options (e.g.
# "--flow-preset ultrafast --size 128x80": a debug build takes about 10 minutes on 2 busy cores for the
# default command). Exit 2 if `warpflow dataset` does not exist yet.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
"$ROOT/Tests/Python/setup-venv.sh"
VPY="${WARPFLOW_VENV:-$ROOT/.venv-python}/bin/python"
TEST="$ROOT/Tests/Python/test_dataset.py"

if [ $# -ge 1 ]; then
  exec "$VPY" "$TEST" "$1"
fi

SWIFT="${SWIFT:-swift}"
# shellcheck disable=SC2206  # flags are meant to split
FLAGS=(${SWIFT_BUILD_FLAGS:-})
echo "python tests: building warpflow ($SWIFT build ${FLAGS[*]} --product warpflow)"
"$SWIFT" build "${FLAGS[@]}" --product warpflow
BIN="$("$SWIFT" build "${FLAGS[@]}" --show-bin-path)/warpflow"
[ -x "$BIN" ] || { echo "python tests: $BIN was not built"; exit 1; }
if ! "$BIN" dataset build --help >/dev/null 2>&1; then
  echo "python tests: \`warpflow dataset build\` does not exist yet in $BIN; nothing to test"
  exit 2
fi

DIR="$(mktemp -d "${TMPDIR:-/tmp}/warpflow-dataset.XXXXXX")"
if [ "${WARPFLOW_KEEP_DATASET:-0}" = 1 ]; then
  trap 'echo "python tests: dataset kept in $DIR"' EXIT
else
  trap 'rm -rf "$DIR"' EXIT
fi
rmdir "$DIR"  # the builder creates it
START=$(date +%s)
# shellcheck disable=SC2206  # options are meant to split
EXTRA=(${WARPFLOW_DATASET_ARGS:-})
echo "python tests: warpflow dataset build Samples/clips/*.mp4 -o $DIR --window 30 --stride 30 --trajectories --dtype float32 ${EXTRA[*]}"
"$BIN" dataset build Samples/clips/*.mp4 -o "$DIR" --window 30 --stride 30 --trajectories --dtype float32 "${EXTRA[@]}"
echo "python tests: dataset built in $(( $(date +%s) - START )) s, $(du -sh "$DIR" | cut -f1)"
"$VPY" "$ROOT/Samples/python/load_dataset.py" "$DIR"
"$VPY" "$TEST" "$DIR" --require-trajectories --require-confidence
