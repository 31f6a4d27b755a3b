#!/usr/bin/env bash
# The fps (frame-rate upsampling) benchmark in one run: keep every F-th frame of each clip and
# bring the kept clip back to the full rate with warpflow's methods and the peers (ffmpeg
# minterpolate mci and blend, OpenCV DIS warp-and-blend), score against the dropped frames, time
# a 720p run, print the tables and targets (compare_fps.py). See README.md here.
# Environment:
#   WARPFLOW_BIN       warpflow binary to measure (default: `swift build -c release --product warpflow`)
#   FPS_BENCH_CLIPS    subset of clip names (pan rotate zoom object cut audio megamind vtest tree box cup)
#   FPS_BENCH_FACTORS  drop factors (default "2 4")
#   FPS_BENCH_FRAMES   reference length N per clip (default 49)
#   FPS_BENCH_METHODS  subset of methods (fps_bench.py --help lists them)
#   FPS_BENCH_SPEED    0 skips the 720p speed run (default 1); FPS_BENCH_SPEED_ROUNDS (default 2)
#   FPS_BENCH_KEEP     1 keeps every output video under .build-bench-data/fps/work
#   FPS_BENCH_MEMORY   0 skips the 1080p peak-memory run (memory.sh; default 1)
# Runs take a lock (.build-bench-data/fps-bench.lock, flock) so that two never time at once.
set -euo pipefail
. "$(dirname "$0")/../bench-setup.sh" fps
speed=(); [ "${FPS_BENCH_SPEED:-1}" = 0 ] && speed=(--no-speed)
keep=(); [ "${FPS_BENCH_KEEP:-0}" = 1 ] && keep=(--keep)
"$py" "$here/fps_bench.py" --bin "$bin" --data "$data" --clips "${FPS_BENCH_CLIPS:-}" \
  --factors "${FPS_BENCH_FACTORS:-2 4}" --frames "${FPS_BENCH_FRAMES:-49}" --methods "${FPS_BENCH_METHODS:-}" \
  --speed-rounds "${FPS_BENCH_SPEED_ROUNDS:-2}" ${speed[@]+"${speed[@]}"} ${keep[@]+"${keep[@]}"}
"$py" "$here/compare_fps.py" "$data" --out "$data/table.md" --json "$data/results.json"
if [ "${FPS_BENCH_MEMORY:-1}" != 0 ]; then
  echo; echo "### Peak memory at 1080p (memory.sh)"; echo
  PYTHON="$py" "$here/memory.sh" "$bin" "$data" | tee "$data/memory.md"
fi
