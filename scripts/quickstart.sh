#!/bin/sh
# quickstart.sh — sets up kiln, compiles the seed network (models/seednet_eval.onnx,
# exported from PyTorch) to a shared library, runs it on a batch of 4 and prints
# the output; then, when this build supports it, the Monte-Carlo-dropout build
# of the training export (mean and variance over 30 samples).
# usage: scripts/quickstart.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LOG=$(mktemp)
echo "setting up and building kiln (log: $LOG)..."
"$ROOT/scripts/setup.sh" >"$LOG" 2>&1 || { tail -n 40 "$LOG"; exit 1; }
cd "$ROOT"
KILN=build/tools/kiln
NPY=build/tests/models/npytool
OUT=build/quickstart
mkdir -p "$OUT"
set -x
$KILN compile models/seednet_eval.onnx -o "$OUT/seednet_eval.so"
$KILN run "$OUT/seednet_eval.so" -i models/seednet_eval.in.npy -o "$OUT/eval"
{ set +x; } 2>/dev/null
"$NPY" print "$OUT/eval/output_0.npy"
echo "against PyTorch's output (models/seednet_eval.ref.npy):"
"$NPY" cmp "$OUT/eval/output_0.npy" models/seednet_eval.ref.npy 1e-5

echo
echo "MC-dropout: the training export with its Dropouts kept stochastic, 30 samples"
if $KILN run models/seednet_train.onnx --mc-dropout=30 -i models/seednet_eval.in.npy \
	-o "$OUT/mc" 2>"$OUT/mc.err"; then
	"$NPY" print "$OUT/mc/output_0.npy"   # mean
	"$NPY" print "$OUT/mc/output_1.npy"   # variance
else
	echo "(not available in this build: $(head -n 1 "$OUT/mc.err"))"
fi
