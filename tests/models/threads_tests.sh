#!/bin/sh
# threads_tests.sh — multi-threaded runs are deterministic: compiles the
# training-mode transformer (bench-models/transformer_enc4_train.onnx, made by
# bench/gen_models.py; model_bench_archs generates it) and checks that
# `kiln run` with the same --seed gives byte-identical outputs at 1, 2 and 3
# threads, and that another seed changes them (Dropout is really active).
# usage: threads_tests.sh KILN NPYTOOL BENCH_MODEL_DIR WORK_DIR
# Exit 0 pass, 1 fail, 77 skipped (model not generated).
set -u
KILN=$1 NPYTOOL=$2 MD=$3 WORK=$4
model=$MD/transformer_enc4_train.onnx input=$MD/transformer_enc4.in.npy
if [ ! -f "$model" ] || [ ! -f "$input" ]; then
	echo "SKIP: $model missing (run the model_bench_archs test first)"
	exit 77
fi
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
die() { echo "FAIL [threads]: $*"; exit 1; }

echo "+ kiln compile $model --mode=training"
"$KILN" compile "$model" --mode=training -o "$WORK/m.so" || die "kiln compile"
# run TAG THREADS SEED
run() {
	mkdir -p "$WORK/$1"
	"$KILN" run "$WORK/m.so" -i "$input" --threads="$2" --seed="$3" -o "$WORK/$1" \
		>"$WORK/$1.log" 2>&1 || { cat "$WORK/$1.log"; die "run --threads=$2 --seed=$3"; }
	[ -f "$WORK/$1/output_0.npy" ] || die "run $1 wrote no output_0.npy"
}
run t1 1 5
run t2 2 5
run t3 3 5
run s6 2 6
"$NPYTOOL" same "$WORK/t1/output_0.npy" "$WORK/t2/output_0.npy" ||
	die "--threads=2 output differs from --threads=1 (seed 5)"
"$NPYTOOL" same "$WORK/t1/output_0.npy" "$WORK/t3/output_0.npy" ||
	die "--threads=3 output differs from --threads=1 (seed 5)"
if "$NPYTOOL" same "$WORK/t2/output_0.npy" "$WORK/s6/output_0.npy" >/dev/null; then
	die "seed 6 gives the same output as seed 5: Dropout inactive?"
fi
echo "PASS: threads 1/2/3 identical, seeds differ"
