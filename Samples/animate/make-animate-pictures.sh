#!/usr/bin/env bash
# Makes the README's picture of `warpflow animate`: a picture and the same picture rotated by
# 40° about its centre (opencv-doc's messi5.jpg, a centred square crop; ffmpeg's rotate filter),
# animated with --frames 5 --ease linear.
#   Samples/animate/rotation-strip.png  top: warpflow animate (warping neural ODE), A, t = ¼, ½,
#                                       ¾, B; bottom: linear flow morphing with the same flows
#                                       (--method flow), which cuts the arc short and smears.
# Installs Debian's opencv-doc when the picture is missing (it is never committed).
# Environment: WARPFLOW_BIN (default: `swift build -c release --product warpflow`).
set -euo pipefail
picture=/usr/share/doc/opencv-doc/examples/data/messi5.jpg
. "$(dirname "$0")/../picture-setup.sh" "$picture"
# A 256 px centred square, and the central 176 px (what every rotation up to 40° keeps whole).
square="crop=min(iw\,ih):min(iw\,ih),scale=256:256:flags=area"
ffmpeg -v error -nostdin -y -i "$picture" -vf "$square,crop=176:176" "$work/a.png"
ffmpeg -v error -nostdin -y -i "$picture" -vf "$square,rotate=40*PI/180:bilinear=1,crop=176:176" "$work/b.png"
for method in node flow; do
  "$bin" animate "$work/a.png" "$work/b.png" -o "$work/$method.mp4" --frames 5 --ease linear --method "$method" \
    --qp 0 --pix-fmt yuv444p -q
  for k in 0 1 2 3 4; do
    ffmpeg -v error -nostdin -y -i "$work/$method.mp4" -vf "select=eq(n\,$k)" -frames:v 1 "$work/$method$k.png"
  done
done
ffmpeg -v error -nostdin -y -i "$work/node0.png" -i "$work/node1.png" -i "$work/node2.png" -i "$work/node3.png" -i "$work/node4.png" \
  -i "$work/flow0.png" -i "$work/flow1.png" -i "$work/flow2.png" -i "$work/flow3.png" -i "$work/flow4.png" \
  -filter_complex "[0][1][2][3][4]hstack=5[top];[5][6][7][8][9]hstack=5[bottom];[top][bottom]vstack" \
  "$root/Samples/animate/rotation-strip.png"
echo "wrote Samples/animate/rotation-strip.png" >&2
