#!/usr/bin/env bash
# The loop-quality benchmark of `warpflow loop` in one run: every mode (spectral, pingpong,
# crossfade) on the bundled sample clips and opencv-doc's real footage (tree.avi above all),
# scored for the seam at the wrap and the motion kept (loop_quality.py), with the naive cut of
# the source window as the reference. Prints a Markdown table, the PASS/MISS targets and the
# exact commands. See README.md here.
# Environment:
#   WARPFLOW_BIN       warpflow binary to measure (default: `swift build -c release --product warpflow`)
#   LOOP_BENCH_CLIPS   subset of clip names (tree megamind vtest box cup audio cut object pan rotate zoom)
#   LOOP_BENCH_MODES   subset of modes (default "spectral pingpong crossfade")
#   LOOP_BENCH_WINDOW  window = loop length, seconds (default 3; shorter clips: what fits)
#   LOOP_BENCH_ARGS    extra arguments for every `warpflow loop` run (e.g. "--k 8 --size 480")
#   LOOP_BENCH_KEEP    1 keeps every loop under .build-bench-data/loop/work
#   LOOP_BENCH_STRICT  1 exits 1 when a target is missed
# Runs take a lock (.build-bench-data/loop-bench.lock, flock) so that two never time at once.
set -euo pipefail
if [ -n "${WARPFLOW_BIN:-}" ] && [ "${WARPFLOW_BIN#/}" = "$WARPFLOW_BIN" ]; then WARPFLOW_BIN="$PWD/$WARPFLOW_BIN"; fi
root=$(cd "$(dirname "$0")/../../.." && pwd)
here="$root/Tests/Benchmarks/loop"
data="$root/.build-bench-data/loop"
cd "$root"
mkdir -p "$data"
if command -v flock >/dev/null; then
  exec 9>"$root/.build-bench-data/loop-bench.lock"
  flock -n 9 || { echo "another loop benchmark is running; waiting for it" >&2; flock 9; }
fi
# Real footage: Debian's opencv-doc package (tree, Megamind, vtest, box, cup).
if [ ! -e /usr/share/doc/opencv-doc/examples/data/tree.avi ] && command -v apt-get >/dev/null; then
  sudo=; if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo=sudo; fi
  echo "installing opencv-doc (sample footage)" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q opencv-doc >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q opencv-doc >/dev/null; } \
    || echo "warning: could not install opencv-doc; its clips are skipped" >&2
fi
py=$("$root/Tests/Benchmarks/bench-env.sh")
if [ -n "${WARPFLOW_BIN:-}" ]; then
  bin=$WARPFLOW_BIN
else
  swift build -c release --product warpflow >"$data/build.log" 2>&1 \
    || { tail -n 30 "$data/build.log" >&2; echo "warpflow did not build; set WARPFLOW_BIN to measure another binary" >&2; exit 1; }
  bin="$(swift build -c release --show-bin-path)/warpflow"
fi
[ -x "$bin" ] || { echo "no warpflow binary at $bin" >&2; exit 1; }
"$bin" loop --help >/dev/null 2>&1 || { echo "$bin has no \`loop\` subcommand; loop benchmark skipped" >&2; exit 0; }
keep=(); [ "${LOOP_BENCH_KEEP:-0}" = 1 ] && keep=(--keep)
strict=(); [ "${LOOP_BENCH_STRICT:-0}" = 1 ] && strict=(--strict)
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'); $("$bin" --version 2>/dev/null || echo 'warpflow')" >&2
"$py" "$here/loop_quality.py" --bin "$bin" --data "$data" --clips "${LOOP_BENCH_CLIPS:-}" \
  --modes "${LOOP_BENCH_MODES:-spectral pingpong crossfade}" --window "${LOOP_BENCH_WINDOW:-3}" \
  --args "${LOOP_BENCH_ARGS:-}" --out "$data/table.md" --json "$data/results.json" \
  ${keep[@]+"${keep[@]}"} ${strict[@]+"${strict[@]}"}
