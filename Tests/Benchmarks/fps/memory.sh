#!/usr/bin/env bash
# Peak memory of `warpflow fps` on 1080p input: the same content at two lengths (2 s and 8 s,
# 1920×1080 at 24 fps, factor 2, node), peak RSS from GNU time (%M). Streaming means the two
# figures are about equal: memory is bounded by the frames held, not by the clip's length.
# Usage: memory.sh WARPFLOW_BIN DATA_DIR   (called by run.sh; FPS_BENCH_MEMORY=0 skips it)
set -euo pipefail
bin=$1; data=$2/memory
mkdir -p "$data"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
for seconds in 2 8; do
  clip="$data/1080p-${seconds}s.mp4"
  [ -s "$clip" ] || ff -f lavfi -i "testsrc2=size=1920x1080:rate=24:duration=$seconds" -c:v libx264 -preset ultrafast -crf 20 -pix_fmt yuv420p "$clip"
done
echo "| clip | frames in → out | seconds | output fps | peak RSS (MiB) |"
echo "| --- | ---: | ---: | ---: | ---: |"
for seconds in 2 8; do
  clip="$data/1080p-${seconds}s.mp4"
  /usr/bin/time -f "%M" -o "$data/rss-$seconds.txt" "$bin" fps "$clip" -o "$data/out-$seconds.mp4" --factor 2 --method node \
    --crf 18 --preset ultrafast --no-audio --json >"$data/out-$seconds.json"
  "${PYTHON:-python3}" - "$data/out-$seconds.json" "$data/rss-$seconds.txt" "$seconds" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); rss = int(open(sys.argv[2]).read().split()[-1]) / 1024
print(f"| 1920×1080 24 fps, {sys.argv[3]} s | {j['frames_in']} → {j['frames_out']} | {j['seconds']:.1f} | {j['frames_per_second']:.1f} | {rss:.0f} |")
PY
done
rm -f "$data"/out-*.mp4
