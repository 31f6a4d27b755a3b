#!/usr/bin/env bash
# Regenerates the seed corpora in Tests/Fuzz/corpus/ (committed; run this only to change them).
# Needs the ffmpeg CLI (with libx264) and python3 (and for merge and spectrum a warpflow binary,
# WARPFLOW below). Everything stays small: no seed over about 16 KB, the whole corpus about
# 200 KB, so libFuzzer starts from real files without slowing down.
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

# --- merge and spectrum: files written by the warpflow CLI itself (WARPFLOW, default the debug
# build in .build; any build of the package works) from the first frames of Samples/clips, at
# the smallest sizes the CLI accepts, so every seed stays under 16 KB. The builds run inside a
# temporary folder with relative names, so "source" in the reports is just the clip's name.
samples=$(cd ../../../Samples/clips && pwd)
WARPFLOW=${WARPFLOW:-$(cd ../../.. && pwd)/.build/debug/warpflow}
[ -x "$WARPFLOW" ] || { echo "make-corpus: no warpflow binary at $WARPFLOW (swift build --product warpflow, or set WARPFLOW)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ff -i "$samples/rotate.mp4" -frames:v 5 -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$tmp/five.mp4"
ff -i "$samples/rotate.mp4" -frames:v 9 -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$tmp/nine.mp4"
head -c 3000 "$samples/rotate.mp4" > "$tmp/broken.mp4"   # no picture decodes: a skipped clip

# merge: one input = a clip report, then "\n#shard\n" and a shard for each shard it names
# (Tests/Fuzz/Sources/merge/FuzzMerge.swift). Datasets of 16x16, k = 2, windows of 4 frames.
rm -f merge/*
dataset() {  # dataset OUT ARGS…: a dataset build in $tmp/OUT
    local out=$1; shift
    (cd "$tmp" && "$WARPFLOW" dataset build "$@" -o "$out" --window 4 --size 16x16 --k 2 --min-motion 0 \
        --max-camera-motion 1000 --threads 1 -q 2>/dev/null)
}
seed() {  # seed NAME DATASET: its clip 0 report and shards as one merge input
    local name=$1 d=$tmp/$2/clips
    cat "$d/clip-000000.json" > "merge/$name"
    for shard in "$d"/clip-000000-*.safetensors; do
        [ -e "$shard" ] || continue
        printf '\n#shard\n' >> "merge/$name"
        cat "$shard" >> "merge/$name"
    done
}
dataset one five.mp4
dataset float32 five.mp4 --dtype float32
dataset trajectories five.mp4 --trajectories --tracking chained
dataset two-shards nine.mp4 --samples-per-shard 1
dataset skipped broken.mp4
dataset partial five.mp4 broken.mp4 --shard 0/2   # clip 0 of 2 built: merge needs --allow-partial
seed one-sample.bin one
seed two-shards.bin two-shards
seed float32.bin float32
seed trajectories.bin trajectories
seed skipped.bin skipped
seed partial.bin partial
cp "$tmp/one/clips/clip-000000.json" merge/report-only.bin
# Without "shard_checksums" (reports of builds that did not record them), so mutated shards
# reach the shard checks instead of stopping at the checksum.
python3 - "$tmp/one/clips/clip-000000.json" "$tmp/one/clips/clip-000000-000.safetensors" <<'PY'
import re, sys
report = open(sys.argv[1], "rb").read()
stripped = re.sub(rb'"shard_checksums":\{[^}]*\},', b"", report)
assert stripped != report
open("merge/one-sample-no-checksums.bin", "wb").write(stripped + b"\n#shard\n" + open(sys.argv[2], "rb").read())
PY

# spectrum: loop spectra (`warpflow loop --spectrum-only`, F32) of clips scaled down first (the
# loop's smallest working size, 32, would give 32x24 and over 16 KB at k = 2), variants of one
# of them in F16 (values as they are, scaled, window 30) and a dataset shard (the loop reads
# its first sample).
rm -f spectrum/*
loop() {  # loop CLIP WxH OUT ARGS…
    local clip=$1 size=$2 out=$3; shift 3
    ff -i "$samples/$clip" -vf "scale=${size/x/:}" -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$tmp/$clip-$size.mp4"
    "$WARPFLOW" loop "$tmp/$clip-$size.mp4" -o "spectrum/$out" --spectrum-only --window 2 --working-side 32 --threads 1 -q "$@"
}
loop rotate.mp4 24x18 rotate-24x18-k2.safetensors --k 2
loop zoom.mp4 16x12 zoom-16x16-k3.safetensors --k 3   # working size 16x16 (16 is the least)
loop pan.mp4 20x12 pan-20x16-k2-remove-direct.safetensors --k 2 --drift remove --tracking direct
cp "$tmp/one/clips/clip-000000-000.safetensors" spectrum/dataset-shard-16x16-k2-f16.safetensors
python3 - <<'PY'
import json, struct
def read(name):
    b = open("spectrum/" + name, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    return header, b[8 + n:]
def write(name, header, tensors):  # tensors: name -> (dtype, shape, bytes), in order
    offset, body = 0, b""
    for key, (dtype, shape, data) in tensors.items():
        header[key] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        body += data
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    open("spectrum/" + name, "wb").write(struct.pack("<Q", len(text)) + text + body)
header, body = read("rotate-24x18-k2.safetensors")
frames, spectra = header["frames"], header["spectra"]
pixels = body[frames["data_offsets"][0]:frames["data_offsets"][1]]
values = struct.unpack("<%df" % ((spectra["data_offsets"][1] - spectra["data_offsets"][0]) // 4),
                       body[spectra["data_offsets"][0]:spectra["data_offsets"][1]])
meta = header["__metadata__"]
def variant(name, scale=1.0, dtype="F32", window=None):
    m = dict(meta)
    if window: m["window"] = window
    packed = struct.pack("<%d%s" % (len(values), "f" if dtype == "F32" else "e"), *[v * scale for v in values])
    write(name, {"__metadata__": m}, {"frames": ("U8", frames["shape"], pixels), "spectra": (dtype, spectra["shape"], packed)})
variant("rotate-f16.safetensors", dtype="F16")
variant("rotate-f16-scaled-0.25.safetensors", 0.25, dtype="F16")
variant("rotate-f16-scaled-100.safetensors", 100.0, dtype="F16")   # moves pixels too far: refused
variant("rotate-f16-window-30.safetensors", dtype="F16", window="30")  # half the period: twice the motion
PY
du -sh . chain rational flo reader merge spectrum
