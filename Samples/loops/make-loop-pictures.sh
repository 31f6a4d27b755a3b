#!/usr/bin/env bash
# Makes the README's before/after pictures of `warpflow loop` (spectral mode):
#   Samples/loops/strip.png  the source's first frame, then 5 frames of the loop at phases 1/6 … 5/6, 120 px high
#   Samples/loops/loop.gif   the loop's --gif output (scaled down only if it would reach 1 MB)
# None of the bundled clips (Samples/clips: rigid pans, rotations, zooms, a sliding square)
# gives a sensible spectral loop (their motion drifts away and never returns; the loops tear
# and smear), so the source is a synthetic one made here with ffmpeg's geq: grass swaying in
# gusts of wind (two sines, 0.5 and 1.17 Hz, so the 3 s window does not loop by itself),
# blades anchored at the bottom, the sky showing between them. The clip is not kept.
# Environment: WARPFLOW_BIN (default: `swift build -c release --product warpflow`).
set -euo pipefail
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

# The synthetic clip: 320x180, 25 fps (a whole number of GIF centiseconds per frame), 3 s.
# u = height above the ground (0 … 1); a blade at column x' = X − 14·u²·wind(t, X) (pixels);
# blade i = floor(x'/9) has a pseudo-random height 0.35 … 0.8 and a tapering triangular profile.
u='((H-Y)/H)'
wind='(sin(2*PI*0.5*T+X/90)+0.6*sin(2*PI*1.17*T+X/40+1))'
xp="(X-14*pow($u,2)*$wind)"
idx="floor($xp/9)"
height="(0.35+0.45*mod(abs(sin($idx*12.9898)*43758.5453),1))"
shade="mod(abs(sin($idx*78.233)*12345.678),1)"
blade="(max(0,1-abs(mod($xp,9)-4.5)/(0.6+2.9*max(0,1-$u/$height)))*lt($u,$height))"
ffmpeg -v error -nostdin -y -f lavfi -i "color=c=black:s=320x180:r=25:d=3,format=rgb24,geq=\
r='(1-$blade)*(125+80*$u)+$blade*(35+50*$u+40*$shade)':\
g='(1-$blade)*(175+60*$u)+$blade*(95+110*$u+30*$shade)':\
b='(1-$blade)*(235+20*$u)+$blade*(25+25*$u)'" \
  -c:v libx264 -crf 10 -preset medium -pix_fmt yuv420p "$work/grass.mp4"

# The loop, as a user would make it: the whole 3 s window, a 3 s loop, with its GIF.
"$bin" loop "$work/grass.mp4" -o "$work/grass-loop.mp4" --window 3 --duration 3 --gif -q
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$work/grass-loop.mp4")
mkdir -p "$out"

# Strip: source frame 0, then loop frames round(k·L/6), k = 1 … 5, each 120 px high, 2 px gaps.
picks=""
for k in 1 2 3 4 5; do picks+="${picks:+'+'}eq(n\\,$(( (k * frames + 3) / 6 )))"; done
ffmpeg -v error -nostdin -y -i "$work/grass.mp4" -i "$work/grass-loop.mp4" -filter_complex \
  "[0:v]select=eq(n\\,0),scale=-2:120:flags=area,pad=iw+2:ih:0:0:white[a];\
[1:v]select=${picks//\'/},scale=-2:120:flags=area,pad=iw+2:ih:0:0:white,tile=5x1[b];\
[a][b]hstack=inputs=2,crop=iw-2:ih:0:0,format=rgb24" -frames:v 1 -update 1 "$out/strip.png"

# GIF: the CLI's own output when under 1 MB; else scaled down by ffmpeg (one palette) until it is.
cp "$work/grass-loop.gif" "$out/loop.gif"
for width in 256 200 160; do
  [ "$(stat -c %s "$out/loop.gif")" -lt 1000000 ] && break
  ffmpeg -v error -nostdin -y -i "$work/grass-loop.mp4" -filter_complex \
    "scale=$width:-2:flags=area,split[x][y];[x]palettegen=stats_mode=full[p];[y][p]paletteuse=dither=bayer" \
    -loop 0 "$out/loop.gif"
done
echo "loop of $frames frames from $bin"
ls -l "$out/strip.png" "$out/loop.gif" | awk '{print $5, $9}'
