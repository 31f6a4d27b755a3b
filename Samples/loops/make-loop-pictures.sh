#!/usr/bin/env bash
# Makes the README's before/after pictures of `warpflow loop` (spectral mode, `--tracking direct`):
#   Samples/loops/strip.png  the source's first frame, then loop frames round(k·L/6), k = 1 … 5; 120 px high
#   Samples/loops/loop.gif   the loop's own --gif output (scaled down by ffmpeg only if it reached 1 MB)
# None of the bundled clips (Samples/clips: rigid pans, rotations, zooms, a sliding square) makes
# a sensible spectral loop (their motion drifts away and never comes back; the loops tear and
# smear), so the source is synthetic, made here with ffmpeg's geq: grass with flowers swaying in
# gusts (two sines, 0.5 and 1.17 Hz, so the 3 s window does not loop by itself), blades anchored
# at the ground, sky showing between them. The clip itself is not kept.
# Usage: make-loop-pictures.sh            the two pictures
#        make-loop-pictures.sh --clip OUT [SECONDS]  only the synthetic clip (default 3 s; the loop
#                                                     benchmark's "grass" is 4 s)
# Environment: WARPFLOW_BIN (default: `swift build -c release --product warpflow`).
set -euo pipefail

# The synthetic clip: 224x126 (small enough for the CLI's GIF to stay well under 1 MB), 25 fps
# (4 cs per GIF frame, exactly), $2 seconds (default 3). In units of s = W/320 pixels: u = height above the ground
# (0 … 1); the blade under pixel X sits at x' = X/s − 18·u^1.5·wind(t, X); blade i = floor(x'/14)
# has a pseudo-random height (0.25 … 0.65 of the picture), shade and, for about half, a flower.
grass_clip() {
  local s='(W/320)' u='((H-Y)/H)'
  local wind="(sin(2*PI*0.5*T+X/(90*$s))+0.6*sin(2*PI*1.17*T+X/(40*$s)+1))"
  local xp="(X/$s-18*pow($u,1.5)*$wind)"
  local idx="floor($xp/14)" off="(mod($xp,14)-7)"
  local height="(0.25+0.4*mod(abs(sin($idx*127.1)*43758.5453),1))"
  local shade="mod(abs(sin($idx*311.7)*12345.678),1)"
  local flower="lt(mod(abs(sin($idx*269.5)*9631.71),1),0.45)"
  local blade="(max(0,1-abs($off)/(0.8+4.5*max(0,1-$u/$height)))*lt($u,$height))"
  local head="($flower*lt(hypot($off,($u-$height)*180),4.5))"
  ffmpeg -v error -nostdin -y -f lavfi -i "color=c=black:s=224x126:r=25:d=${2:-3},format=rgb24,geq=\
r='if($head,230,(1-$blade)*(125+80*$u)+$blade*(30+50*$u+70*$shade))':\
g='if($head,120+100*$shade,(1-$blade)*(175+60*$u)+$blade*(90+110*$u+40*$shade))':\
b='if($head,60+150*$shade,(1-$blade)*(235+20*$u)+$blade*(25+25*$u))'" \
    -c:v libx264 -crf 10 -preset medium -pix_fmt yuv420p -f mp4 "$1"
}

if [ "${1:-}" = "--clip" ]; then
  [ -n "${2:-}" ] || { echo "usage: $0 [--clip OUT.mp4 [SECONDS]]" >&2; exit 2; }
  grass_clip "$2" "${3:-3}"
  exit 0
fi
[ $# = 0 ] || { echo "usage: $0 [--clip OUT.mp4 [SECONDS]]" >&2; exit 2; }

if [ -n "${WARPFLOW_BIN:-}" ] && [ "${WARPFLOW_BIN#/}" = "$WARPFLOW_BIN" ]; then WARPFLOW_BIN="$PWD/$WARPFLOW_BIN"; fi
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$root/Samples/loops"
cd "$root"
if [ -n "${WARPFLOW_BIN:-}" ]; then
  bin=$WARPFLOW_BIN
else
  swift build -c release --product warpflow >/dev/null
  bin="$(swift build -c release --show-bin-path)/warpflow"
fi
[ -x "$bin" ] || { echo "no warpflow binary at $bin" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/warpflow-loop-pictures.XXXXXX")
trap 'rm -rf "$work"' EXIT
grass_clip "$work/grass.mp4"

# The loop, as a user would make it: the whole 3 s window, a 3 s loop, with its GIF.
# --tracking direct: on thin blades with small flower heads, flow from the first frame straight
# to each frame keeps the heads whole; the default chained tracking (better on real footage
# with larger motion, BENCHMARKS.md) lets them smear.
"$bin" loop "$work/grass.mp4" -o "$work/grass-loop.mp4" --window 3 --duration 3 --tracking direct --gif -q
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$work/grass-loop.mp4")
mkdir -p "$out"

# Strip: source frame 0 (= the loop's frame 0), then loop frames round(k·L/6), k = 1 … 5, each
# 120 px high, 2 px white gaps.
picks=""
for k in 1 2 3 4 5; do picks+="${picks:++}eq(n\\,$(( (k * frames + 3) / 6 )))"; done
ffmpeg -v error -nostdin -y -i "$work/grass.mp4" -i "$work/grass-loop.mp4" -filter_complex \
  "[0:v]select=eq(n\\,0),scale=-2:120:flags=lanczos,pad=iw+2:ih:0:0:white[a];\
[1:v]select=$picks,scale=-2:120:flags=lanczos,pad=iw+2:ih:0:0:white,tile=5x1[b];\
[a][b]hstack=inputs=2,crop=iw-2:ih:0:0,format=rgb24" -frames:v 1 -update 1 "$out/strip.png"

# GIF: the CLI's own when under 1 MB; else scaled down by ffmpeg (one palette) until it is.
cp "$work/grass-loop.gif" "$out/loop.gif"
for width in 192 160 128; do
  [ "$(stat -c %s "$out/loop.gif")" -lt 1000000 ] && break
  echo "the CLI's GIF is $(stat -c %s "$out/loop.gif") bytes; scaling it to $width px wide" >&2
  ffmpeg -v error -nostdin -y -i "$work/grass-loop.mp4" -filter_complex \
    "scale=$width:-2:flags=area,split[x][y];[x]palettegen=stats_mode=full[p];[y][p]paletteuse=dither=none" \
    -loop 0 "$out/loop.gif"
done
echo "$frames-frame loop by $bin"
for f in "$out/strip.png" "$out/loop.gif"; do
  echo "$(stat -c %s "$f") bytes  $(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=s=x:p=0 "$f")  ${f#"$root"/}"
done
