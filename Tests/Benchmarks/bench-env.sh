#!/usr/bin/env bash
# Creates (once) the benchmark venv at .venv-bench/ in the repository root with the peers'
# packages from PyPI, and prints its python's path. Quiet unless something fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.venv-bench"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import cv2, skimage, numpy" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check numpy opencv-python-headless scikit-image >&2
fi
echo "$venv/bin/python"
