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
. "$(dirname "$0")/../bench-setup.sh" loop
"$bin" loop --help >/dev/null 2>&1 || { echo "$bin has no \`loop\` subcommand; loop benchmark skipped" >&2; exit 0; }
keep=(); [ "${LOOP_BENCH_KEEP:-0}" = 1 ] && keep=(--keep)
strict=(); [ "${LOOP_BENCH_STRICT:-0}" = 1 ] && strict=(--strict)
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?'); $("$bin" --version 2>/dev/null || echo 'warpflow')" >&2
"$py" "$here/loop_quality.py" --bin "$bin" --data "$data" --clips "${LOOP_BENCH_CLIPS:-}" \
  --modes "${LOOP_BENCH_MODES:-spectral pingpong crossfade}" --window "${LOOP_BENCH_WINDOW:-3}" \
  --args "${LOOP_BENCH_ARGS:-}" --out "$data/table.md" --json "$data/results.json" \
  ${keep[@]+"${keep[@]}"} ${strict[@]+"${strict[@]}"}
