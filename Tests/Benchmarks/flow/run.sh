#!/usr/bin/env bash
# The optical-flow benchmark in one run: evaluation set, OpenCV peers, warpflow presets, table.
# Environment: FLOW_BENCH_ROUNDS (default 3) interleaved rounds of both sides (the table takes
# each method's best round); WARPFLOW_BENCH_SCRATCH, a SwiftPM scratch path (default .build).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
here="$root/Tests/Benchmarks/flow"
cd "$root"
py=$("$root/Tests/Benchmarks/bench-env.sh")
set_dir="$root/.build-bench-data/flow-eval"
out="$root/.build-bench-data/flow-results"
rounds=${FLOW_BENCH_ROUNDS:-3}
scratch=(--scratch-path "${WARPFLOW_BENCH_SCRATCH:-$root/.build}")
mkdir -p "$out"
want=$(sed -n 's/^SET_VERSION = //p' "$here/make_flow_eval.py")
have=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("version", 1))' "$set_dir/manifest.json" 2>/dev/null || echo none)
if [ "$have" != "$want" ]; then
  rm -rf "$set_dir"
  "$py" "$here/make_flow_eval.py" "$set_dir"
  "$py" "$here/make_flow_eval.py" "$set_dir" --check >"$out/set-check.log" \
    || { cat "$out/set-check.log" >&2; echo "flow set failed its check" >&2; exit 1; }
fi
swift build -c release "${scratch[@]}" --product warpflow-bench >/dev/null
bin=$(swift build -c release "${scratch[@]}" --show-bin-path)
rm -f "$out"/opencv* "$out"/warpflow* "$out"/table.md
for r in $(seq 1 "$rounds"); do
  echo "round $r/$rounds (load average $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo ?))" >&2
  # Per-method lines go to logs (the table below has them); a failure shows its log.
  "$py" "$here/opencv_flow_bench.py" "$set_dir" --json "$out/opencv-$r.json" 2>"$out/opencv-$r.log" \
    || { cat "$out/opencv-$r.log" >&2; exit 1; }
  "$bin/warpflow-bench" flow "$set_dir" --json "$out/warpflow-$r.json" --threads 2 2>"$out/warpflow-$r.log" \
    || { cat "$out/warpflow-$r.log" >&2; exit 1; }
done
"$py" "$here/compare.py" "$out"/opencv-*.json "$out"/warpflow-*.json | tee "$out/table.md"
