#!/usr/bin/env bash
# Makes the README's before/after picture of `warpflow loop` on real footage: opencv-doc's
# tree.avi as shipped (68 frames at irregular times over 29.6 s, a hand entering at the end),
# looped with the CLI's defaults (window and mode chosen automatically).
#   Samples/loops/tree-strip.png  top: five frames of the source window the loop was made from;
#                                 bottom: five frames of the loop, evenly spread; 120 px high
# Installs Debian's opencv-doc when tree.avi is missing (the clip itself is never committed).
# Environment: WARPFLOW_BIN (default: `swift build -c release --product warpflow`).
set -euo pipefail
tree=/usr/share/doc/opencv-doc/examples/data/tree.avi
. "$(dirname "$0")/../picture-setup.sh" "$tree"
"$bin" loop "$tree" -o "$work/loop.mp4" --json -q > "$work/loop.json"
read -r start duration frames mode < <(python3 -c "
import json; o = json.load(open('$work/loop.json'))
print(o['window_start'], o['window_duration'], o['loop_frames'], o['mode'])")
echo "tree.avi: $mode loop of $frames frames from the window ${start}–$(python3 -c "print(round($start + $duration, 2))") s" >&2
for k in 0 1 2 3 4; do
  t=$(python3 -c "print($start + $k * $duration / 5)")
  ffmpeg -v error -nostdin -y -ss "$t" -i "$tree" -frames:v 1 -vf scale=-2:120 "$work/a$k.png"
  n=$(( k * frames / 5 ))
  ffmpeg -v error -nostdin -y -i "$work/loop.mp4" -vf "select=eq(n\,$n),scale=-2:120" -frames:v 1 "$work/b$k.png"
done
ffmpeg -v error -nostdin -y -i "$work/a0.png" -i "$work/a1.png" -i "$work/a2.png" -i "$work/a3.png" -i "$work/a4.png" \
  -i "$work/b0.png" -i "$work/b1.png" -i "$work/b2.png" -i "$work/b3.png" -i "$work/b4.png" \
  -filter_complex "[0][1][2][3][4]hstack=5[top];[5][6][7][8][9]hstack=5[bottom];[top][bottom]vstack" \
  "$root/Samples/loops/tree-strip.png"
echo "wrote Samples/loops/tree-strip.png" >&2
