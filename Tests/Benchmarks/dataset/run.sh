#!/usr/bin/env bash
# The dataset benchmark in one run: `warpflow dataset build` against the Python path a
# researcher would write (python_path.py: cv2 decode, DIS medium or Farneback, np.fft.fft,
# safetensors), interleaved rounds on the same clips, then flow accuracy on synthetic clips
# with known trajectories; prints the Markdown for BENCHMARKS.md (report.py). See README.md.
# Environment:
#   WARPFLOW_BIN              warpflow binary to measure (default: built with
#                             `swift build -c release --product warpflow`)
#   DATASET_BENCH_ROUNDS      interleaved rounds (default 2; each side's best is reported)
#   DATASET_BENCH_VARIANTS    subset of python-dis-1p python-farneback-1p python-dis-2p
#                             python-farneback-2p warpflow-medium warpflow-fast
#   DATASET_BENCH_SPEED=0     skips the speed rounds; DATASET_BENCH_ACCURACY=0 the accuracy part,
#                             DATASET_BENCH_STILL=0 the still-background part
# Data (clips, synthetic set, logs, results.json, table.md): .build-bench-data/dataset/.
# Runs take a lock (.build-bench-data/dataset-bench.lock, flock) so that two never time at once.
set -euo pipefail
. "$(dirname "$0")/../bench-setup.sh" dataset
mkdir -p "$data/logs"
# The Python path saves with safetensors, as a researcher would: installed once into the venv.
"$py" -c "import safetensors" 2>/dev/null \
  || "$(dirname "$py")/pip" install -q --disable-pip-version-check safetensors >&2
skip=()
[ "${DATASET_BENCH_SPEED:-1}" = 0 ] && skip+=(--no-speed)
[ "${DATASET_BENCH_ACCURACY:-1}" = 0 ] && skip+=(--no-accuracy)
[ "${DATASET_BENCH_STILL:-1}" = 0 ] && skip+=(--no-still)
echo "dataset benchmark: load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?) at the start" >&2
"$py" "$here/bench.py" --bin "$bin" --data "$data" --rounds "${DATASET_BENCH_ROUNDS:-2}" \
  --variants "${DATASET_BENCH_VARIANTS:-}" ${skip[@]+"${skip[@]}"} --json "$data/results.json"
"$py" "$here/report.py" "$data/results.json" --out "$data/table.md"
