#!/bin/sh
# setup.sh — installs what kiln needs (Debian 12 packages, only those missing,
# with apt-get as root or through sudo) and builds it into ./build (Release).
# Idempotent: run it again and it only rebuilds what changed.
# usage: scripts/setup.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKGS="build-essential cmake pkg-config llvm-19-dev clang-19 libprotobuf-c-dev
protobuf-c-compiler libonnx-dev libonnx-testdata python3-onnx python3-numpy
python3-torch python3-torchvision libcmocka-dev valgrind lld"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$st" = "install ok installed" ] || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing:$missing"
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=""
	elif command -v sudo >/dev/null; then
		SUDO="sudo"
	else
		echo "setup: missing packages:$missing (run as root or install them)" >&2
		exit 1
	fi
	$SUDO apt-get update
	# shellcheck disable=SC2086
	$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y $missing
fi

cmake -S "$ROOT" -B "$ROOT/build" -DCMAKE_BUILD_TYPE=Release
make -C "$ROOT/build" -j"$(nproc)"
echo "setup: built into $ROOT/build (kiln: $ROOT/build/tools/kiln)"
