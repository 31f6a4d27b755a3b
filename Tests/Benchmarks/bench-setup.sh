# Common start of the benchmarks that need warpflow and real footage; sourced by
# Tests/Benchmarks/{fps,dataset,loop}/run.sh as `. "$(dirname "$0")/../bench-setup.sh" NAME`.
# Sets root (repository), here (the bench's folder), data (.build-bench-data/NAME), py (the
# bench venv's python) and bin (the warpflow binary: WARPFLOW_BIN, else a release build);
# takes the lock .build-bench-data/NAME-bench.lock so two runs never time at once; installs
# Debian's opencv-doc (Megamind, vtest, tree, box, cup) when missing.
bench_name=$1
if [ -n "${WARPFLOW_BIN:-}" ] && [ "${WARPFLOW_BIN#/}" = "$WARPFLOW_BIN" ]; then WARPFLOW_BIN="$PWD/$WARPFLOW_BIN"; fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here="$root/Tests/Benchmarks/$bench_name"
data="$root/.build-bench-data/$bench_name"
cd "$root"
mkdir -p "$data"
if command -v flock >/dev/null; then
  exec 9>"$root/.build-bench-data/$bench_name-bench.lock"
  flock -n 9 || { echo "another $bench_name benchmark is running; waiting for it" >&2; flock 9; }
fi
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
