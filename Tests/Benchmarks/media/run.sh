#!/usr/bin/env bash
# MediaIO benchmarks against the ffmpeg CLI, side by side in one run (release build).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
swift build -c release --product warpflow >/dev/null
swift build -c release --product warpflow-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
python3 Tests/Benchmarks/media/media_bench.py --warpflow "$bin/warpflow" --bench "$bin/warpflow-bench" \
  --data "$root/.build-bench-data/media" --json "$root/.build-bench-data/media/results.json" "$@"
