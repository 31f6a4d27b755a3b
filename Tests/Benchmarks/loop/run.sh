#!/usr/bin/env bash
# The loop-quality benchmark of `warpflow loop` in one run: the default command (mode "auto":
# no --mode/--start/--window/--duration) and every explicit mode (spectral, pingpong, crossfade)
# on the bundled sample clips and opencv-doc's real footage (tree.avi above all; the default
# command also on those files as shipped), scored for the seam at the wrap, the motion kept and
# the realism of every loop frame (loop_quality.py, realism.py), with the naive cut of the
# source window as the reference; a strip PNG per clip and mode (strip_loop.py). Prints a
# Markdown table, the PASS/MISS targets and the exact commands. See README.md here.
# Environment:
#   WARPFLOW_BIN       warpflow binary to measure (default: `swift build -c release --product warpflow`)
#   LOOP_BENCH_CLIPS   subset of clip names (tree megamind vtest box cup grass audio cut object pan rotate zoom)
#   LOOP_BENCH_MODES   subset of modes (default "auto spectral pingpong crossfade"; auto = the default command)
#   LOOP_BENCH_WINDOW  window = loop length, seconds (default 3; shorter clips: what fits)
#   LOOP_BENCH_ARGS    extra arguments for every `warpflow loop` run, auto too (e.g. "--crf 0")
#   LOOP_BENCH_SHIPPED 0 skips the auto rows on opencv-doc's files as shipped (default 1)
#   LOOP_BENCH_KEEP    1 keeps every loop under .build-bench-data/loop/work
#   LOOP_BENCH_STRICT  1 exits 1 when a target is missed
# Runs take a lock (.build-bench-data/loop-bench.lock, flock) so that two never time at once.
set -euo pipefail
. "$(dirname "$0")/../bench-setup.sh" loop
"$bin" loop --help >/dev/null 2>&1 || { echo "$bin has no \`loop\` subcommand; loop benchmark skipped" >&2; exit 0; }
keep=(); [ "${LOOP_BENCH_KEEP:-0}" = 1 ] && keep=(--keep)
strict=(); [ "${LOOP_BENCH_STRICT:-0}" = 1 ] && strict=(--strict)
shipped=(); [ "${LOOP_BENCH_SHIPPED:-1}" = 0 ] && shipped=(--no-shipped)
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'); $("$bin" --version 2>/dev/null || echo 'warpflow')" >&2
"$py" "$here/loop_quality.py" --bin "$bin" --data "$data" --clips "${LOOP_BENCH_CLIPS:-}" \
  --modes "${LOOP_BENCH_MODES:-auto spectral pingpong crossfade}" --window "${LOOP_BENCH_WINDOW:-3}" \
  --args "${LOOP_BENCH_ARGS:-}" --out "$data/table.md" --json "$data/results.json" \
  ${keep[@]+"${keep[@]}"} ${strict[@]+"${strict[@]}"} ${shipped[@]+"${shipped[@]}"}
