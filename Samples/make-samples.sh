#!/usr/bin/env bash
# Makes the small sample clips in Samples/clips/ with the ffmpeg CLI's built-in sources.
# Deterministic (fixed seeds, no external media). Usage: Samples/make-samples.sh [OUTDIR]
set -euo pipefail
out=${1:-"$(cd "$(dirname "$0")" && pwd)/clips"}
mkdir -p "$out"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
x264=(-c:v libx264 -preset slow -crf 26 -pix_fmt yuv420p -movflags +faststart -threads 1)

# 1. pan: a 640x360 window sliding right and down over a large mandelbrot picture.
ff -f lavfi -i "mandelbrot=size=1280x720:rate=30:start_scale=2.2:end_scale=2.2:maxiter=256,trim=end_frame=1,loop=loop=89:size=1,setpts=N/30/TB" \
   -vf "crop=640:360:x='40+t*120':y='40+t*40'" -frames:v 90 "${x264[@]}" "$out/pan.mp4"

# 2. rotate: a textured test card rotating about the centre (6 degrees per second).
ff -f lavfi -i "testsrc2=size=800x800:rate=30,format=yuv420p" \
   -vf "rotate=a='t*PI/30':ow=480:oh=360:bilinear=1,format=yuv420p" -frames:v 90 "${x264[@]}" "$out/rotate.mp4"

# 3. zoom: a slow zoom into a cellular-automaton texture (cells 2x2 pixels).
ff -f lavfi -i "cellauto=rule=110:size=320x180:rate=30:random_seed=7:scroll=0:start_full=1,trim=end_frame=1,loop=loop=89:size=1,setpts=N/30/TB,scale=640:360:flags=neighbor,format=yuv420p" \
   -vf "scale=w='trunc(iw*(1+t*0.08)/2)*2':h='trunc(ih*(1+t*0.08)/2)*2':eval=frame,crop=640:360" -frames:v 90 "${x264[@]}" -crf 30 "$out/zoom.mp4"

# 4. object: a colour-bar square moving along a curve over a still mandelbrot texture, at 30000/1001 fps.
ff -f lavfi -i "mandelbrot=size=640x360:rate=30000/1001:start_x=-0.743643887:start_y=0.131825904:start_scale=0.05:end_scale=0.05:maxiter=200,trim=end_frame=1,loop=loop=89:size=1,setpts=N*1001/30000/TB" \
   -f lavfi -i "smptebars=size=120x120:rate=30000/1001" \
   -filter_complex "[0][1]overlay=x='40+t*160':y='120+60*sin(t*2)':shortest=1,format=yuv420p" -frames:v 90 "${x264[@]}" "$out/object.mp4"

# 5. audio: a drifting test card with a 440 Hz tone (AAC), for audio passthrough.
ff -f lavfi -i "testsrc2=size=480x270:rate=30" -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=3" \
   -vf "scroll=h=0.004:v=0.002" -t 3 "${x264[@]}" -c:a aac -b:a 64k -shortest "$out/audio.mp4"

# 6. cut: two different scenes with a hard cut at 1.5 s (a mandelbrot zoom, then a scrolling test card).
ff -f lavfi -i "mandelbrot=size=480x270:rate=30:end_scale=0.8" -f lavfi -i "testsrc2=size=480x270:rate=30" \
   -filter_complex "[0]trim=end_frame=45,setpts=PTS-STARTPTS[a];[1]scroll=h=0.01,trim=end_frame=45,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1,format=yuv420p" \
   "${x264[@]}" "$out/cut.mp4"

du -ch "$out"/*.mp4 | tail -1
