#!/usr/bin/env bash
# The animate benchmark in one run: rotation pairs (opencv-doc's digits.png and real pictures
# rotated by 20–40°, the true half-way rotation as ground truth) and real pairs (two frames
# 8–16 apart in opencv-doc's clips, the true middle frame as ground truth); warpflow animate's
# middle frame by the warping neural ODE (node), by linear flow morphing with the same flows
# (flow) and by a crossfade (blend), PSNR and SSIM of luma, folds; prints the tables and the
# targets (animate_bench.py).
# Environment:
#   WARPFLOW_BIN   warpflow binary to measure (default: `swift build -c release --product warpflow`)
#   ANIMATE_BENCH_ANGLES  rotation angles in degrees (default "20 30 40")
#   ANIMATE_BENCH_GAPS    frame gaps of the real pairs (default "8 12 16")
#   ANIMATE_BENCH_EXTRA   more flags for every animate run (e.g. "--arc 0")
set -euo pipefail
. "$(dirname "$0")/../bench-setup.sh" animate
"$py" "$here/animate_bench.py" --bin "$bin" --data "$data" --angles "${ANIMATE_BENCH_ANGLES:-20 30 40}" \
  --gaps "${ANIMATE_BENCH_GAPS:-8 12 16}" | tee "$data/table.md"
