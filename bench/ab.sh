#!/bin/bash
# ab.sh — A/B timing of compiled models, one run of each in turn (bench/ab.c).
# usage: bench/ab.sh [--threads=N] [--runs=N] MODEL.so...
# Builds build/bench-ab from bench/ab.c and the runtime library (KILN_BUILD,
# default ROOT/build, must have been built: cmake --build build).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${KILN_BUILD:-$ROOT/build}
LIB=$BUILD/runtime/libkiln_runtime_static.a
AB=$BUILD/bench-ab
[ -f "$LIB" ] || { echo "ab.sh: $LIB missing: build kiln first (cmake --build build)" >&2; exit 1; }
if [ ! -x "$AB" ] || [ "$ROOT/bench/ab.c" -nt "$AB" ] || [ "$LIB" -nt "$AB" ]; then
	${CC:-cc} -O2 -std=c11 -Wall -I"$ROOT/runtime" "$ROOT/bench/ab.c" "$LIB" \
		-lpthread -lm -ldl -o "$AB"
fi
exec "$AB" "$@"
