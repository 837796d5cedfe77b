#!/bin/sh
# update_conformance.sh — runs the ONNX conformance runner over every backend
# test case and rewrites tests/conformance/expected_pass.txt with the cases that
# pass now (the list the ctest "conformance" holds the compiler to). Review the
# diff before committing: a case leaving the list is a regression.
# usage: scripts/update_conformance.sh [BUILD_DIR]   (default: build)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
make -C "$BUILD" kiln_conformance -j"$(nproc)"
LIST=$ROOT/tests/conformance/expected_pass.txt
"$BUILD/tests/conformance/kiln_conformance" -j"$(nproc)" --list-passing "$LIST.new" \
	>"$BUILD/conformance.log" || true
tail -n 6 "$BUILD/conformance.log"
mv "$LIST.new" "$LIST"
echo "wrote $LIST ($(wc -l <"$LIST") passing cases); full log: $BUILD/conformance.log"
