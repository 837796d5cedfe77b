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
# Batch 3 through the symbolic-batch SqueezeNet: its Concats' inputs are
# written in place by their Convs, each image into its block of the output's
# image (codegen/plan.c, kk_conv_f32 with an image stride); each image must give what it gives
# on its own.
case " $NAMES " in *" squeezenet1_1 "*)
	echo "== squeezenet1_1, batch 3 against one image at a time"
	d=$WORK/squeezenet1_1
	if ! "$PY" -c 'import sys, numpy as np
x = np.load(sys.argv[1]).astype(np.float32)
rows = [x, np.random.default_rng(3).standard_normal(x.shape).astype(np.float32), 0.5 * x]
for i, r in enumerate(rows):
    np.save("%s/b1_%d.npy" % (sys.argv[2], i), r)
np.save(sys.argv[2] + "/b3.npy", np.concatenate(rows))' "$MD/squeezenet1_1.in.npy" "$d"; then
		echo "FAIL squeezenet1_1: cannot write the batch inputs"; failed="$failed squeezenet1_1/b3"
	else
		ok=1
		"$KILN" run "$d/squeezenet1_1.so" -i "$d/b3.npy" -o "$d/b3" >/dev/null || ok=0
		for i in 0 1 2; do
			"$KILN" run "$d/squeezenet1_1.so" -i "$d/b1_$i.npy" -o "$d/b1_$i" >/dev/null || ok=0
		done
		[ $ok = 1 ] && "$PY" -c 'import sys, numpy as np
y = np.load(sys.argv[1] + "/b3/output_0.npy")
for i in range(3):
    r = np.load("%s/b1_%d/output_0.npy" % (sys.argv[1], i))[0]
    e = float(np.abs(y[i] - r).max() / np.abs(r).max())
    print("image %d: max|batch - alone| / max = %.3g" % (i, e))
    if y.shape[0] != 3 or e > 1e-6:
        sys.exit(1)' "$d" || { echo "FAIL squeezenet1_1: batch 3 differs"; failed="$failed squeezenet1_1/b3"; }
	fi
	;;
esac
[ -z "$failed" ] || { echo "FAILED:$failed"; exit 1; }
echo "PASS: $NAMES"
