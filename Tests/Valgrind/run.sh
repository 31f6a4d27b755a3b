#!/usr/bin/env bash
# `make valgrind`: memcheck over the paths that allocate per frame: decode → scale → fps (node)
# → encode with audio copy, the flow filter's colour video, and the flow estimator between two
# images. Passes when every run reports "definitely lost: 0 bytes" and no memory error
# (invalid read/write, use of uninitialised values). No suppressions are needed today; if a
# third-party one-time allocation ever shows up, add it to Tests/Valgrind/memcheck.supp with a
# comment saying whose and why.
# Environment: WARPFLOW_BIN (default: a release build), VALGRIND_OUT (logs; default
# .build-valgrind-logs).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
if [ -z "${WARPFLOW_BIN:-}" ]; then
  swift build -c release --product warpflow >/dev/null
  WARPFLOW_BIN="$(swift build -c release --show-bin-path)/warpflow"
fi
out=${VALGRIND_OUT:-"$root/.build-valgrind-logs"}
mkdir -p "$out"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
ff -f lavfi -i testsrc2=size=160x120:rate=25:duration=0.4 -f lavfi -i sine=duration=0.4 \
   -c:v libx264 -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest "$out/clip.mp4"
ff -f lavfi -i mandelbrot=size=128x96:end_scale=0.5 -frames:v 1 "$out/a.png"
ff -i "$out/a.png" -vf "pad=iw+3:ih:3:0:color=black,crop=128:96:0:0" "$out/b.png"
supp=(); [ -s "$root/Tests/Valgrind/memcheck.supp" ] && supp=(--suppressions="$root/Tests/Valgrind/memcheck.supp")
status=0
check() {
  local name=$1; shift
  valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
    --error-exitcode=3 --num-callers=40 ${supp[@]+"${supp[@]}"} --log-file="$out/$name.log" "$WARPFLOW_BIN" "$@" >/dev/null 2>&1 \
    || { echo "$name: memcheck found errors or leaks (log: $out/$name.log)"; status=1; }
  printf '%-10s %s | %s\n' "$name" "$(grep -o 'definitely lost: [0-9,]* bytes in [0-9,]* blocks' "$out/$name.log" | tail -1)" \
    "$(grep -o 'ERROR SUMMARY: [0-9,]* errors' "$out/$name.log" | tail -1)"
}
check pipeline run "$out/clip.mp4" -o "$out/pipeline.mp4" -vf "scale=w=128:h=96,fps=fps=50" -q
check flowvideo flow "$out/clip.mp4" -o "$out/flow.mp4" --flow-preset fast -q
check flowpair flow "$out/a.png" "$out/b.png" -o "$out/ab.flo" --occlusion "$out/occ.png"
exit $status
