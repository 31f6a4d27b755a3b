# Common start of the scripts that make the README's pictures from opencv-doc's footage; sourced
# as `. "$(dirname "$0")/../picture-setup.sh" FILE` (FILE: a path under opencv-doc that must
# exist). Installs Debian's opencv-doc when FILE is missing (its files are never committed);
# sets root (the repository), bin (WARPFLOW_BIN made absolute, else a release build) and work
# (a temporary folder removed on exit).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ ! -f "$1" ]; then
  sudo=$([ "$(id -u)" = 0 ] || echo sudo)
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q opencv-doc >/dev/null
fi
if [ -n "${WARPFLOW_BIN:-}" ]; then
  bin=$(cd "$(dirname "$WARPFLOW_BIN")" && pwd)/$(basename "$WARPFLOW_BIN")
else
  (cd "$root" && swift build -c release --product warpflow >/dev/null)
  bin="$(cd "$root" && swift build -c release --show-bin-path)/warpflow"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/warpflow-pictures.XXXXXX")
trap 'rm -rf "$work"' EXIT
