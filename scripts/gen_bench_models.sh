#!/bin/sh
# gen_bench_models.sh — exports the benchmark models (ResNet-18, MobileNetV2,
# SqueezeNet 1.1, transformer encoder) with inputs and PyTorch references into
# build/bench-models (what the model_bench_archs test does once, cached), and
# regenerates the small committed models in models/ when given --models.
# usage: scripts/gen_bench_models.sh [--models] [OUTDIR]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = "--models" ]; then
	shift
	for s in make_seednet make_keras_mlp make_dropout_probe; do
		/usr/bin/python3 "$ROOT/models/$s.py"
	done
fi
OUT=${1:-$ROOT/build/bench-models}
/usr/bin/python3 "$ROOT/bench/gen_models.py" "$OUT" && touch "$OUT/.generated"
