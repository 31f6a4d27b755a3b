#!/usr/bin/env bash
# Every benchmark, each measuring warpflow and its peer side by side in one run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
for b in media flow fps dataset; do
  if [ -x "$here/$b/run.sh" ]; then
    echo "== $b =="
    "$here/$b/run.sh"
  fi
done
if [ -x "$here/loop/run.sh" ]; then echo "== loop =="; "$here/loop/run.sh"; fi
if [ -x "$here/animate/run.sh" ]; then echo "== animate =="; "$here/animate/run.sh"; fi
