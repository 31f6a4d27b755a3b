#!/usr/bin/env bash
# The fps (frame-rate upsampling) benchmark in one run: keep every F-th frame of each clip and
# bring the kept clip back to the full rate with warpflow's methods, the peers (ffmpeg
# minterpolate mci and blend, OpenCV DIS warp-and-blend) and the two oracle ceilings, score
# against the dropped frames, draw warpflow-node's worst frames, time 720p and 1080p runs, print
# the tables and targets (compare_fps.py). See README.md here.
# Environment:
#   WARPFLOW_BIN       warpflow binary to measure (default: `swift build -c release --product warpflow`)
#   FPS_BENCH_CLIPS    subset of clip names (pan rotate zoom object cut audio megamind vtest tree box cup)
#   FPS_BENCH_FACTORS  drop factors (default "2 4")
#   FPS_BENCH_FRAMES   reference length N per clip (default 49)
#   FPS_BENCH_METHODS  subset of methods (fps_bench.py --help lists them)
#   FPS_BENCH_SPEED    0 skips the speed runs (default 1); FPS_BENCH_SPEED_ROUNDS (default 2)
#   FPS_BENCH_SPEED_SIZES  which speed runs (default "720p 1080p")
#   FPS_BENCH_STRIPS   0 skips the worst-frame strips (default 1); FPS_BENCH_STRIP_METHOD
#                      the method they show (default warpflow-node)
#   FPS_BENCH_KEEP     1 keeps every output video under .build-bench-data/fps/work
#   FPS_BENCH_MEMORY   0 skips the 1080p peak-memory run (memory.sh; default 1)
# Runs take a lock (.build-bench-data/fps-bench.lock, flock) so that two never time at once.
set -euo pipefail
. "$(dirname "$0")/../bench-setup.sh" fps
speed=(); [ "${FPS_BENCH_SPEED:-1}" = 0 ] && speed=(--no-speed)
keep=(); [ "${FPS_BENCH_KEEP:-0}" = 1 ] && keep=(--keep)
strips=(); [ "${FPS_BENCH_STRIPS:-1}" = 0 ] && strips=(--no-strips)
"$py" "$here/fps_bench.py" --bin "$bin" --data "$data" --clips "${FPS_BENCH_CLIPS:-}" \
  --factors "${FPS_BENCH_FACTORS:-2 4}" --frames "${FPS_BENCH_FRAMES:-49}" --methods "${FPS_BENCH_METHODS:-}" \
  --speed-rounds "${FPS_BENCH_SPEED_ROUNDS:-2}" --speed-sizes "${FPS_BENCH_SPEED_SIZES:-720p 1080p}" \
  --strip-method "${FPS_BENCH_STRIP_METHOD:-warpflow-node}" \
  ${speed[@]+"${speed[@]}"} ${keep[@]+"${keep[@]}"} ${strips[@]+"${strips[@]}"}
"$py" "$here/compare_fps.py" "$data" --out "$data/table.md" --json "$data/results.json"
if [ "${FPS_BENCH_MEMORY:-1}" != 0 ]; then
  echo; echo "### Peak memory at 1080p (memory.sh)"; echo
  PYTHON="$py" "$here/memory.sh" "$bin" "$data" | tee "$data/memory.md"
fi
