#!/bin/sh
# bench_models.sh — end-to-end test on the benchmark architectures (ResNet-18,
# MobileNetV2, SqueezeNet 1.1, 4-layer transformer encoder): generates them once
# with bench/gen_models.py into the build folder (cached until the generator
# changes), compiles each with `kiln compile`, runs it and checks the output
# against PyTorch's within 1e-3 of the output's scale.
# usage: bench_models.sh KILN NPYTOOL GEN_MODELS_PY MODEL_DIR WORK_DIR [NAME...]
# Exit 0 pass, 1 fail, 77 skipped (no python3-torch to generate the models).
set -u
KILN=$1 NPYTOOL=$2 GEN=$3 MD=$4 WORK=$5
shift 5
NAMES=${*:-resnet18 mobilenet_v2 squeezenet1_1 transformer_enc4}
PY=/usr/bin/python3

mkdir -p "$MD" "$WORK" || exit 1
stamp=$MD/.generated
if [ ! -f "$stamp" ] || [ "$GEN" -nt "$stamp" ]; then
	if ! "$PY" -c 'import torch, torchvision, onnx' 2>/dev/null; then
		echo "SKIP: $PY cannot import torch, torchvision and onnx (run scripts/setup.sh)"
		exit 77
	fi
	echo "generating benchmark models into $MD"
	"$PY" "$GEN" "$MD" >"$MD/gen.log" 2>&1 || { cat "$MD/gen.log"; echo "FAIL: model generation"; exit 1; }
	touch "$stamp"
fi

failed=""
for n in $NAMES; do
	echo "== $n"
	rm -rf "$WORK/$n" && mkdir -p "$WORK/$n"
	t0=$(date +%s)
	if ! "$KILN" compile "$MD/$n.onnx" -o "$WORK/$n/$n.so"; then
		echo "FAIL $n: kiln compile"; failed="$failed $n"; continue
	fi
	t1=$(date +%s)
	if ! "$KILN" run "$WORK/$n/$n.so" -i "$MD/$n.in.npy" -o "$WORK/$n"; then
		echo "FAIL $n: kiln run"; failed="$failed $n"; continue
	fi
	echo "compile $((t1 - t0)) s, run $(($(date +%s) - t1)) s"
	if ! "$NPYTOOL" cmp "$WORK/$n/output_0.npy" "$MD/$n.ref.npy" 1e-3; then
		echo "FAIL $n: output differs from PyTorch"; failed="$failed $n"
	fi
done
[ -z "$failed" ] || { echo "FAILED:$failed"; exit 1; }
echo "PASS: $NAMES"
