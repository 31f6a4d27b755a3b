#!/usr/bin/env bash
# Makes the README's picture of `warpflow poke` on real footage: opencv-doc's tree.avi (its
# first 52 frames re-timed at its nominal 15 fps, lossless), the spectrum of a 2 s window from
# `warpflow loop --spectrum-only`, then the window's first frame poked where the tree moved most
# (171,55: the canopy's top, found from the spectrum's energy) with a force of 12 px to the right.
#   Samples/poke/poke-strip.png  the canopy (crop 140×110 at 100,0, shown 2×): the still, then
#                                the response at 0, 0.1, 0.2, 0.3 and 1 s (damping 0.05)
# Installs Debian's opencv-doc when tree.avi is missing (the clip itself is never committed).
# Environment: WARPFLOW_BIN (default: `swift build -c release --product warpflow`).
set -euo pipefail
tree=/usr/share/doc/opencv-doc/examples/data/tree.avi
. "$(dirname "$0")/../picture-setup.sh" "$tree"
ffmpeg -v error -nostdin -y -i "$tree" -map 0:v:0 -frames:v 52 -vf "settb=expr=1/15,setpts=N" -fps_mode passthrough -r 15 \
  -c:v libx264 -qp 0 -preset ultrafast -pix_fmt yuv420p "$work/tree.mp4"
"$bin" loop "$work/tree.mp4" -o "$work/tree.safetensors" --spectrum-only --start 1.4 --window 2 -q
ffmpeg -v error -nostdin -y -ss 1.4 -i "$work/tree.mp4" -frames:v 1 "$work/still.png"
"$bin" poke "$work/still.png" --spectrum "$work/tree.safetensors" --at 171,55 --force 12,0 --duration 1.2 -o "$work/poked.mp4" -q \
  --qp 0 --pix-fmt yuv444p
crop="crop=140:110:100:0,scale=280:220:flags=neighbor"
ffmpeg -v error -nostdin -y -i "$work/still.png" -vf "$crop" "$work/s.png"
inputs=(-i "$work/s.png")
for k in 0 3 6 9 30; do
  ffmpeg -v error -nostdin -y -i "$work/poked.mp4" -vf "select=eq(n\,$k),$crop" -frames:v 1 "$work/f$k.png"
  inputs+=(-i "$work/f$k.png")
done
ffmpeg -v error -nostdin -y "${inputs[@]}" -filter_complex "[0][1][2][3][4][5]hstack=6" "$root/Samples/poke/poke-strip.png"
echo "wrote Samples/poke/poke-strip.png" >&2
