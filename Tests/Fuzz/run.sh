#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for FUZZ_SECONDS; `make fuzz` calls this.
# See Tests/Fuzz/README.md. Environment:
#   FUZZ_SECONDS   seconds per target (default 300)
#   FUZZ_TARGETS   targets to run (default "chain rational flo reader safetensors clipreport merge spectrum jobargs")
#   FUZZ_SCRATCH   SwiftPM scratch path (default .build-fuzz; never .build)
#   FUZZ_ARGS      extra libFuzzer flags for every target (e.g. "-fork=2 -ignore_crashes=1")
#   FUZZ_BUILD_ONLY=1  build, do not run
# Exit status: 0 when every target ran its time without a crash, leak, timeout or OOM.
set -uo pipefail
cd "$(dirname "$0")/../.."
SWIFT=${SWIFT:-swift}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-300}
TARGETS=${FUZZ_TARGETS:-chain rational flo reader safetensors clipreport merge spectrum jobargs}
SCRATCH=${FUZZ_SCRATCH:-.build-fuzz}
case "$SCRATCH" in .build|./.build|.build/) echo "fuzz: refusing to build into .build (use another FUZZ_SCRATCH)"; exit 2;; esac
FUZZ_DIR=Tests/Fuzz

# --- build: one SwiftPM product per target, library modules instrumented too.
# `--sanitize=fuzzer` makes SwiftPM link libFuzzer's main (no entry-point renaming); the
# `-Xswiftc -sanitize=fuzzer,address` is what instruments: swiftc keeps only the last
# `-sanitize=` flag, so SwiftPM's separate `-sanitize=fuzzer -sanitize=address` alone would
# build ASan without coverage counters.
build_flags=(--scratch-path "$SCRATCH" -c debug --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address)
build_start=$(date +%s)
for t in $TARGETS; do
    echo "fuzz: building fuzz-$t"
    mkdir -p "$SCRATCH/fuzz-logs"
    WARPFLOW_FUZZ=1 "$SWIFT" build "${build_flags[@]}" --product "fuzz-$t" >"$SCRATCH/fuzz-logs/build-$t.log" 2>&1
    status=$?
    # ld.gold warns once per ASan helper symbol ("Cannot export local symbol"): noise.
    grep -v "Cannot export local symbol" "$SCRATCH/fuzz-logs/build-$t.log" | grep -E "error|Build of product" | head -20
    [ "$status" -eq 0 ] || { echo "fuzz: building fuzz-$t failed (log: $SCRATCH/fuzz-logs/build-$t.log)"; exit 2; }
done
bin=$(WARPFLOW_FUZZ=1 "$SWIFT" build "${build_flags[@]}" --show-bin-path)
echo "fuzz: build took $(( $(date +%s) - build_start )) s"
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && exit 0

# --- run
# Swift's own crash backtracer gets in ASan's way (it reads memory ASan flags): off, so
# libFuzzer's handler reports traps with a symbolised stack. FFmpeg's libraries have no frame
# pointers, so ASan's fast unwinder stops at av_malloc; the slow one (measured: no loss of
# exec/s for `reader`) gives whole allocation stacks, which leak reports and lsan.supp need.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:fast_unwind_on_malloc=0:allocator_may_return_null=1:handle_abort=1:symbolize=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/$FUZZ_DIR/lsan.supp:print_suppressions=0}
# Per target: input size limit and per-input timeout (seconds).
declare -A MAX_LEN=([chain]=512 [rational]=128 [flo]=4108 [reader]=16384 [safetensors]=4096 [clipreport]=4096 [merge]=20480 [spectrum]=16384 [jobargs]=256)
declare -A TIMEOUT=([chain]=10 [rational]=5 [flo]=10 [reader]=20 [safetensors]=10 [clipreport]=10 [merge]=10 [spectrum]=10 [jobargs]=5)
failed=()
summary=()
for t in $TARGETS; do
    work="$SCRATCH/fuzz-corpus/$t"
    artifacts="$SCRATCH/fuzz-artifacts/$t"
    log="$SCRATCH/fuzz-logs/$t.log"
    mkdir -p "$work" "$artifacts" "$(dirname "$log")"
    seeds=("$FUZZ_DIR/corpus/$t")
    [ -d "$FUZZ_DIR/regressions/$t" ] && [ -n "$(ls -A "$FUZZ_DIR/regressions/$t")" ] && seeds+=("$FUZZ_DIR/regressions/$t")
    echo "fuzz: $t for ${SECONDS_PER_TARGET} s (new inputs in $work, crashes in $artifacts/)"
    start=$(date +%s)
    # New inputs go to the first corpus folder ($work); the committed seeds are only read.
    # shellcheck disable=SC2086
    "$bin/fuzz-$t" "$work" "${seeds[@]}" -max_total_time="$SECONDS_PER_TARGET" -max_len="${MAX_LEN[$t]}" \
        -timeout="${TIMEOUT[$t]}" -rss_limit_mb=4096 -malloc_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} >"$log" 2>&1
    status=$?
    elapsed=$(( $(date +%s) - start ))
    # libFuzzer's last status line (cov:, ft:, corp:, exec/s:) and its final counters.
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 | tr '\t' ' ')
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | tail -1)
    ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | tail -1)
    corp=$(grep -oE 'corp: [0-9]+/[0-9]+[a-zA-Z]*' <<<"$last" | tail -1)
    line=$(printf '%-9s %4ss  runs %-9s exec/s %-6s %-10s %-10s %s' "$t" "$elapsed" "${runs:-?}" "${rate:-?}" "${cov:-cov: ?}" "${ft:-ft: ?}" "${corp:-}")
    echo "fuzz: $line"
    echo "      $last"
    if [ "$status" -ne 0 ]; then
        failed+=("$t")
        line="$line  FAILED (exit $status)"
        echo "fuzz: $t FAILED (exit $status); log: $log"
        grep -E "ERROR|SUMMARY|Fatal error|failure|^    #[0-9]+ .*(warpflow|/work|Sources|Tests/Fuzz)|artifact|Test unit written" "$log" | head -30
        ls -1 "$artifacts" | head
    fi
    summary+=("$line")
done
echo "fuzz: summary (${SECONDS_PER_TARGET} s per target)"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: crashes in: ${failed[*]} (inputs in $SCRATCH/fuzz-artifacts/; reproduce: $bin/fuzz-TARGET FILE)"
    exit 1
fi
