#!/usr/bin/env bash
# The optical-flow benchmark in one run: evaluation set, OpenCV peers, warpflow presets, table.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
here="$root/Tests/Benchmarks/flow"
cd "$root"
py=$("$root/Tests/Benchmarks/bench-env.sh")
set_dir="$root/.build-bench-data/flow-eval"
out="$root/.build-bench-data/flow-results"
mkdir -p "$out"
[ -f "$set_dir/manifest.json" ] || "$py" "$here/make_flow_eval.py" "$set_dir"
swift build -c release --product warpflow-bench >/dev/null
bin=$(swift build -c release --show-bin-path)
"$py" "$here/opencv_flow_bench.py" "$set_dir" --json "$out/opencv.json"
"$bin/warpflow-bench" flow "$set_dir" --json "$out/warpflow.json" --threads 2
"$py" "$here/compare.py" "$out/opencv.json" "$out/warpflow.json"
