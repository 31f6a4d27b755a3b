#!/usr/bin/env bash
# Regenerates the seed corpora in Tests/Fuzz/corpus/ (committed; run this only to change them).
# Needs the ffmpeg CLI (with libx264) and python3. Everything stays small: the whole corpus is
# well under 200 KB, so libFuzzer starts from real files without slowing down.
set -euo pipefail
cd "$(dirname "$0")/corpus"

# --- chain: the chains of the README, the filters' doc comments and the tests.
rm -f chain/*
i=0
while IFS= read -r line; do
    [ -z "$line" ] && continue
    i=$((i + 1))
    printf '%s' "$line" > "chain/$(printf '%02d' "$i")"
done <<'CHAINS'
null
scale=w=640:h=-2,blend=fps=60
scenecut=threshold=12,fps=fps=60:method=node
scenecut=threshold=12,fps=fps=60000/1001:method=node
scenecut=mode=keep
scenecut=20:keep
trim=start=1.5:duration=2,scale=w=640:h=-2
trim=start_frame=10:end_frame=50
trim=start=0.23:end=0.49
scale=w=640:h=-2:flags=lanczos
scale=1280:720:format=yuv444p
scale=320:-2,blend=60000/1001,trim=start_frame=2
blend=fps=29.97
fps=factor=2.5:method=flow
fps=fps=48:method=flow:scene=0:occlusion=0:smooth=1.5
fps=fps=24:method=node:fit=3:scene_policy=blend:preset=fast:field_width=64:midpoint=2:still=1:threads=1
flow=preset=fast:mode=color:max=20
flow=mode=pass:flo=flows/%05d.flo
flow=mode=pass:direction=both:occlusion=1:flo=flows
 scale=640:h=-2:flags=lanczos , blend=fps=30000/1001,null,x=a='b,c:d'\,e
invert,scale=w=640:h=-2
CHAINS

# --- rational: one value per line; two or three lines make pairs and a tick count.
rm -f rational/*
i=0
for v in '30000/1001' '29.97' '-1/3' '60' '0' '1/0' '0.000000001' '24000:1001' \
         '9223372036854775807' '-9223372036854775808' '9223372036854775807/9223372036854775806' \
         $'30000/1001\n1/90000' $'1/30000\n60000/1001\n3003' $'29.97\n-1/3\n-9223372036854775808' \
         $'-9223372036854775807/1\n1/9223372036854775807' $'1.5\n2.25\n1000000007'; do
    i=$((i + 1))
    printf '%s' "$v" > "rational/$(printf '%02d' "$i")"
done

# --- flo: small valid flows (zero, a ramp, NaN/inf/huge values) and a truncated one.
rm -f flo/*
python3 - <<'PY'
import math, struct
def flo(name, w, h, values):
    with open("flo/" + name, "wb") as f:
        f.write(b"PIEH" + struct.pack("<ii", w, h))
        f.write(b"".join(struct.pack("<ff", u, v) for u, v in values))
flo("zero-1x1.flo", 1, 1, [(0.0, 0.0)])
flo("ramp-4x3.flo", 4, 3, [(0.5 * x - 1, 0.25 * y) for y in range(3) for x in range(4)])
flo("large-8x2.flo", 8, 2, [(1e10 if x == 3 else -300.0 + 75 * x, 3.4e38 if x == 5 else 7.0) for y in range(2) for x in range(8)])
flo("nonfinite-3x2.flo", 3, 2, [(math.nan, 0.0), (math.inf, -math.inf), (1.0, math.nan), (0.0, 0.0), (-0.0, 5e-45), (2.0, -2.0)])
flo("ramp-16x12.flo", 16, 12, [(math.sin(x / 3.0) * 4, math.cos(y / 2.0) * 3) for y in range(12) for x in range(16)])
with open("flo/truncated.flo", "wb") as f:
    f.write(b"PIEH" + struct.pack("<ii", 2, 2) + struct.pack("<ff", 1.0, 2.0))
PY

# --- reader: tiny clips (64×48, 2–5 frames) in the containers and codecs people feed warpflow.
rm -f reader/*
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
src=(-f lavfi -i "testsrc2=size=64x48:rate=25:duration=0.2")
ff "${src[@]}" -frames:v 5 -c:v libx264 -preset ultrafast -g 4 -bf 1 -pix_fmt yuv420p -movflags +faststart reader/h264.mp4
ff "${src[@]}" -frames:v 3 -c:v libx264 -preset ultrafast -pix_fmt yuv420p reader/h264.mkv
ff "${src[@]}" -frames:v 3 -c:v mjpeg -q:v 8 reader/mjpeg.avi
ff "${src[@]}" -frames:v 3 -c:v mpeg4 -q:v 8 reader/mpeg4.mov
ff "${src[@]}" -frames:v 2 -c:v ffv1 -pix_fmt yuv420p10le reader/ffv1-10bit.mkv
ff "${src[@]}" -frames:v 2 -c:v apng -pix_fmt rgb24 -f apng reader/rgb.apng
ff -f lavfi -i "testsrc2=size=64x48:rate=25:duration=0.2" -f lavfi -i "sine=frequency=440:duration=0.2" \
   -frames:v 3 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -b:a 16k -shortest reader/h264-aac.mp4
ff "${src[@]}" -frames:v 3 -c:v libx264 -preset ultrafast -pix_fmt yuv420p -f mpegts reader/h264.ts
ff "${src[@]}" -frames:v 2 -c:v gif reader/anim.gif
du -sh . chain rational flo reader
