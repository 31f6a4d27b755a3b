#!/bin/bash
# Runs the same commands with two warpflow binaries on the sample clips and compares what
# they write: the framemd5 of every video and GIF (decoded pictures and their timestamps) and
# the bytes of every dataset shard (manifest, stats and per-clip reports minus their timings).
# For refactors that must not change outputs: any difference is listed, and the exit status
# is 1 when there is one.
#
# usage: Tests/Compare/compare_builds.sh OLD_BINARY NEW_BINARY [WORKDIR]
# (Samples/clips/ must exist: `make demo` or Samples/make-samples.sh makes them.)
set -u
old=${1:?usage: compare_builds.sh OLD_BINARY NEW_BINARY [WORKDIR]}
new=${2:?usage: compare_builds.sh OLD_BINARY NEW_BINARY [WORKDIR]}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${3:-$root/.build-compare}
clips=$root/Samples/clips
rm -rf "$work" && mkdir -p "$work/old" "$work/new"

# name|arguments (OUT is replaced by the side's folder)
cases=(
  "fps-node|fps $clips/object.mp4 -o OUT/fps-node.mp4 --factor 2 --preset ultrafast --threads 2"
  "fps-blend|fps $clips/pan.mp4 -o OUT/fps-blend.mp4 --fps 60 --method blend --preset ultrafast"
  "run-scale|run $clips/audio.mp4 -o OUT/run-scale.mp4 -vf scale=w=240:h=-2 --preset ultrafast"
  "flow-video|flow $clips/rotate.mp4 -o OUT/flow.mp4 --flow-preset fast --threads 2"
  "loop-pingpong|loop $clips/object.mp4 -o OUT/loop-pingpong.mp4 --mode pingpong --window 1 --preset ultrafast"
  "loop-auto|loop $clips/object.mp4 -o OUT/loop-auto.mp4 --working-side 128 --flow-preset fast --preset ultrafast --threads 2"
  "loop-spectral|loop $clips/object.mp4 -o OUT/loop-spectral.mp4 --mode spectral --window 1 --k 6 --working-side 128 --gif --preset ultrafast --threads 2"
  "dataset|dataset build $clips/object.mp4 $clips/pan.mp4 -o OUT/dataset --window 30 --size 128x80 --k 8 --flow-preset fast --threads 2"
)

status=0
for side in old new; do
  bin=$old; [ "$side" = new ] && bin=$new
  for c in "${cases[@]}"; do
    name=${c%%|*}; args=${c#*|}; args=${args//OUT/$work/$side}
    # The loop's working size flag was --size before it became --working-side.
    if ! "$bin" loop --help 2>/dev/null | grep -q -- --working-side; then args=${args//--working-side/--size}; fi
    if ! "$bin" dataset build --help 2>/dev/null | grep -q -- --flow-preset; then args=${args//--flow-preset/--preset}; fi
    if ! "$bin" flow --help 2>/dev/null | grep -q -- --flow-preset; then args=${args//flow-preset/preset}; fi
    # shellcheck disable=SC2086
    if ! "$bin" $args -q > "$work/$side/$name.log" 2>&1; then
      echo "$side $name: failed (see $work/$side/$name.log)"; status=1
    fi
  done
done

fingerprint() {  # fingerprint FILE: framemd5 of a video or GIF, sha256 otherwise
  case "$1" in
    *.mp4|*.gif) ffmpeg -nostdin -v error -i "$1" -f framemd5 - 2>/dev/null | grep -v '^#' ;;
    *.json) python3 -c "import json,sys
d=json.load(open(sys.argv[1]))
def strip(o):
    if isinstance(o, dict): return {k: strip(v) for k, v in o.items() if k not in ('seconds','elapsed_seconds','created','stage_seconds')}
    if isinstance(o, list): return [strip(v) for v in o]
    return o
print(json.dumps(strip(d), sort_keys=True))" "$1" ;;
    *) sha256sum < "$1" ;;
  esac
}

cd "$work/old" || exit 1
while IFS= read -r file; do
  if [ ! -e "$work/new/$file" ]; then echo "only in old: $file"; status=1; continue; fi
  if [ "$(fingerprint "$work/old/$file")" != "$(fingerprint "$work/new/$file")" ]; then echo "differs: $file"; status=1; fi
done < <(find . -type f ! -name '*.log' | sort)
cd "$work/new" || exit 1
while IFS= read -r file; do
  [ -e "$work/old/$file" ] || { echo "only in new: $file"; status=1; }
done < <(find . -type f ! -name '*.log' | sort)
[ $status = 0 ] && echo "identical: every output of the ${#cases[@]} commands"
exit $status
