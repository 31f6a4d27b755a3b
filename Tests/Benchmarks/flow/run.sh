#!/usr/bin/env bash
# The optical-flow benchmark in one run: evaluation set, OpenCV peers, warpflow presets, table.
# Environment: FLOW_BENCH_ROUNDS (default 3) interleaved rounds of both sides (the table takes
# each method's best round); WARPFLOW_BENCH_SCRATCH, a SwiftPM scratch path (default .build);
# FLOW_BENCH_VERIFY=1 also saves round 1's estimates of both sides (≈ 0.6 GB of .flo, deleted
# after) and re-scores them with score_flow.py, which fails if either side's EPE differs from
# an independent numpy computation.
# FLOW_BENCH_OUT: where results go (default .build-bench-data/flow-results). Runs of this
# script take a lock (.build-bench-data/flow-bench.lock, with flock where available) so that
# two runs never time on the same cores at once; a second run waits for the first.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
here="$root/Tests/Benchmarks/flow"
cd "$root"
py=$("$root/Tests/Benchmarks/bench-env.sh")
set_dir="$root/.build-bench-data/flow-eval"
out=${FLOW_BENCH_OUT:-"$root/.build-bench-data/flow-results"}
rounds=${FLOW_BENCH_ROUNDS:-3}
scratch=(--scratch-path "${WARPFLOW_BENCH_SCRATCH:-$root/.build}")
mkdir -p "$out" "$root/.build-bench-data"
if command -v flock >/dev/null; then
  exec 9>"$root/.build-bench-data/flow-bench.lock"
  flock -n 9 || { echo "another flow benchmark is running; waiting for it" >&2; flock 9; }
fi
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
rm -rf "$out"/opencv* "$out"/warpflow* "$out"/table.md "$out/flows"
for r in $(seq 1 "$rounds"); do
  save=()
  if [ "${FLOW_BENCH_VERIFY:-0}" = 1 ] && [ "$r" = 1 ]; then save=(--save-flow "$out/flows"); fi
  echo "round $r/$rounds (load average $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo ?))" >&2
  # Per-method lines go to logs (the table below has them); a failure shows its log.
  "$py" "$here/opencv_flow_bench.py" "$set_dir" --json "$out/opencv-$r.json" ${save[@]+"${save[@]}"} 2>"$out/opencv-$r.log" \
    || { cat "$out/opencv-$r.log" >&2; exit 1; }
  "$bin/warpflow-bench" flow "$set_dir" --json "$out/warpflow-$r.json" --threads 2 ${save[@]+"${save[@]}"} 2>"$out/warpflow-$r.log" \
    || { cat "$out/warpflow-$r.log" >&2; exit 1; }
done
"$py" "$here/compare.py" "$out"/opencv-*.json "$out"/warpflow-*.json | tee "$out/table.md"
if [ "${FLOW_BENCH_VERIFY:-0}" = 1 ]; then
  "$py" "$here/score_flow.py" "$set_dir" "$out/flows" --compare "$out/opencv-1.json" "$out/warpflow-1.json"
  rm -rf "$out/flows"
fi
