#!/usr/bin/env bash
# The dataset benchmark in one run: `warpflow dataset build` against the Python path a
# researcher would write (python_path.py: cv2 decode, DIS medium or Farneback, np.fft.fft,
# safetensors), interleaved rounds on the same clips, then flow accuracy on synthetic clips
# with known trajectories; prints the Markdown for BENCHMARKS.md (report.py). See README.md.
# Environment:
#   WARPFLOW_BIN              warpflow binary to measure (default: built with
#                             `swift build -c release --product warpflow`)
#   WARPFLOW_BENCH_SCRATCH    SwiftPM scratch path for that build (default: .build)
#   DATASET_BENCH_ROUNDS      interleaved rounds (default 2; each side's best is reported)
#   DATASET_BENCH_VARIANTS    subset of python-dis-1p python-farneback-1p python-dis-2p
#                             python-farneback-2p warpflow-medium warpflow-fast
#   DATASET_BENCH_SPEED=0     skips the speed rounds; DATASET_BENCH_ACCURACY=0 the accuracy part
# Data (clips, synthetic set, logs, results.json, table.md): .build-bench-data/dataset/.
# Runs take a lock (.build-bench-data/dataset-bench.lock, flock) so that two never time at once.
set -euo pipefail
if [ -n "${WARPFLOW_BIN:-}" ] && [ "${WARPFLOW_BIN#/}" = "$WARPFLOW_BIN" ]; then WARPFLOW_BIN="$PWD/$WARPFLOW_BIN"; fi
root=$(cd "$(dirname "$0")/../../.." && pwd)
here="$root/Tests/Benchmarks/dataset"
data="$root/.build-bench-data/dataset"
cd "$root"
mkdir -p "$data/logs"
if command -v flock >/dev/null; then
  exec 9>"$root/.build-bench-data/dataset-bench.lock"
  flock -n 9 || { echo "another dataset benchmark is running; waiting for it" >&2; flock 9; }
fi
# Real footage from Debian's opencv-doc package (Megamind, vtest, tree, box, cup).
if [ ! -e /usr/share/doc/opencv-doc/examples/data/vtest.avi ] && command -v apt-get >/dev/null; then
  sudo=; if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo=sudo; fi
  echo "installing opencv-doc (sample footage)" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y -q opencv-doc >/dev/null 2>&1 \
    || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q opencv-doc >/dev/null; } \
    || echo "warning: could not install opencv-doc; its clips are skipped" >&2
fi
py=$("$root/Tests/Benchmarks/bench-env.sh")
# The Python path saves with safetensors, as a researcher would: installed once into the venv.
"$py" -c "import safetensors" 2>/dev/null \
  || "$(dirname "$py")/pip" install -q --disable-pip-version-check safetensors >&2
if [ -n "${WARPFLOW_BIN:-}" ]; then
  bin=$WARPFLOW_BIN
else
  scratch=(--scratch-path "${WARPFLOW_BENCH_SCRATCH:-$root/.build}")
  swift build -c release "${scratch[@]}" --product warpflow >"$data/build.log" 2>&1 \
    || { tail -n 30 "$data/build.log" >&2; echo "warpflow did not build; set WARPFLOW_BIN to measure another binary" >&2; exit 1; }
  bin="$(swift build -c release "${scratch[@]}" --show-bin-path)/warpflow"
fi
[ -x "$bin" ] || { echo "no warpflow binary at $bin" >&2; exit 1; }
skip=()
[ "${DATASET_BENCH_SPEED:-1}" = 0 ] && skip+=(--no-speed)
[ "${DATASET_BENCH_ACCURACY:-1}" = 0 ] && skip+=(--no-accuracy)
echo "dataset benchmark: load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo ?) at the start" >&2
"$py" "$here/bench.py" --bin "$bin" --data "$data" --rounds "${DATASET_BENCH_ROUNDS:-2}" \
  --variants "${DATASET_BENCH_VARIANTS:-}" ${skip[@]+"${skip[@]}"} --json "$data/results.json"
"$py" "$here/report.py" "$data/results.json" --out "$data/table.md"
