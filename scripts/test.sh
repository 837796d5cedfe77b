#!/bin/sh
# test.sh — sets up and builds kiln (scripts/setup.sh, so it works on a fresh
# machine), then runs every test with ctest: cmocka unit tests, end-to-end
# model tests and the ONNX conformance runner. Extra arguments go to ctest
# (e.g. -R model_ to run only the model tests).
# usage: scripts/test.sh [CTEST_ARGS...]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
"$ROOT/scripts/setup.sh"
exec ctest --test-dir "$ROOT/build" --output-on-failure -j"$(nproc)" --timeout 900 "$@"
