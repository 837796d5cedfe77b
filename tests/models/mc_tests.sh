#!/bin/sh
# mc_tests.sh — end-to-end tests of MC-dropout builds through the `kiln`
# command on the committed models (models/mc_cnn.*, made by make_mc_cnn.py).
# usage: mc_tests.sh KILN MC_CHECK MODELS_DIR WORK_DIR CASE  (exit 0 pass, 1 fail)
set -u
KILN=$1 CHECK=$2 M=$3 WORK=$4/$5 CASE=$5
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1
die() { echo "FAIL [$CASE]: $*"; exit 1; }
run_ok() { echo "+ $*"; "$@" || die "exit status $? from: $*"; }

case $CASE in
mc_cnn)
	# JIT, T = 4000, against PyTorch's MC reference (same T)
	run_ok "$KILN" run "$M/mc_cnn.onnx" --mc-dropout=4000 --seed=5 -i "$M/mc_cnn.in.npy" -o "$WORK/a"
	run_ok "$CHECK" "$WORK/a/output_0.npy" "$WORK/a/output_1.npy" "$M/mc_cnn.mean.npy" \
		"$M/mc_cnn.var.npy" 4000 7 0.15
	# compiled .so gives the same numbers for the same seed, others for another
	run_ok "$KILN" compile "$M/mc_cnn.onnx" --mc-dropout=4000 -o "$WORK/mc.so"
	run_ok "$KILN" run "$WORK/mc.so" --seed=5 -i "$M/mc_cnn.in.npy" -o "$WORK/b" >"$WORK/b.txt"
	grep -q "MC-dropout build, 4000 samples" "$WORK/b.txt" || die "no MC summary line"
	cmp "$WORK/a/output_0.npy" "$WORK/b/output_0.npy" || die "same seed, different mean"
	cmp "$WORK/a/output_1.npy" "$WORK/b/output_1.npy" || die "same seed, different variance"
	run_ok "$KILN" run "$WORK/mc.so" --seed=6 -i "$M/mc_cnn.in.npy" -o "$WORK/c" >/dev/null
	cmp -s "$WORK/a/output_0.npy" "$WORK/c/output_0.npy" && die "seed 6 gave seed 5's mean"
	;;
mc_keep_inspect)
	run_ok "$KILN" run "$M/mc_cnn.onnx" --mc-dropout=16 --mc-keep-samples -i "$M/mc_cnn.in.npy" \
		-o "$WORK/k" >"$WORK/k.txt"
	cat "$WORK/k.txt"
	grep -q "output 2 'y_samples': float32 \[16,2,3\]" "$WORK/k.txt" || die "no y_samples [16,2,3]"
	run_ok "$KILN" inspect "$M/mc_cnn.onnx" --mc-dropout=16 >"$WORK/i.txt"
	grep -q 'Relu_output_0: f32\[2,6,8,8\] = Relu(' "$WORK/i.txt" || die "first Relu should run once"
	grep -q 'Dropout\[stochastic\](.*kiln_mc_samples=16' "$WORK/i.txt" || die "no stochastic MC Dropout"
	grep -q 'Gemm\[sampled\]' "$WORK/i.txt" || die "Gemm not marked [sampled]"
	;;
mc_chunks)
	# the sampled nodes run in chunks of samples (--mc-chunk): chunks of 7 of
	# T = 16 (the last one runs past T) give the very samples of one batch
	run_ok "$KILN" run "$M/mc_cnn.onnx" --mc-dropout=16 --mc-chunk=16 --mc-keep-samples \
		-i "$M/mc_cnn.in.npy" -o "$WORK/one" >/dev/null
	run_ok "$KILN" compile "$M/mc_cnn.onnx" --mc-dropout=16 --mc-chunk=7 --mc-keep-samples \
		-o "$WORK/c7.so"
	run_ok "$KILN" run "$WORK/c7.so" -i "$M/mc_cnn.in.npy" -o "$WORK/c7" >/dev/null
	for k in 0 1 2; do
		cmp "$WORK/one/output_$k.npy" "$WORK/c7/output_$k.npy" ||
			die "output $k differs between one batch and chunks of 7"
	done
	# one sample per chunk: each chunk's slice of the output (2x3 floats)
	# starts at a 24-byte offset
	run_ok "$KILN" run "$M/mc_cnn.onnx" --mc-dropout=3 --mc-chunk=1 --mc-keep-samples \
		-i "$M/mc_cnn.in.npy" -o "$WORK/s1" >/dev/null
	run_ok "$KILN" run "$M/mc_cnn.onnx" --mc-dropout=3 --mc-keep-samples \
		-i "$M/mc_cnn.in.npy" -o "$WORK/s3" >/dev/null
	cmp "$WORK/s1/output_2.npy" "$WORK/s3/output_2.npy" || die "chunks of 1 give other samples"
	run_ok "$KILN" inspect "$M/mc_cnn.onnx" --mc-dropout=16 --mc-chunk=5 >"$WORK/i.txt"
	grep -q 'KilnMcCollect(.*chunk=5, samples=16' "$WORK/i.txt" || die "no KilnMcCollect chunk=5"
	grep -q 'Dropout\[stochastic\](.*kiln_mc_samples=5' "$WORK/i.txt" || die "Dropout not per chunk"
	"$KILN" compile "$M/mc_cnn.onnx" --mc-chunk=5 -o "$WORK/x.so" 2>"$WORK/err.txt" &&
		die "--mc-chunk without --mc-dropout accepted"
	grep -q -- "--mc-chunk needs --mc-dropout" "$WORK/err.txt" || die "no usage message"
	;;
mc_no_dropout)
	# a model exported in eval mode has no Dropout: one-line error, non-zero exit
	"$KILN" run "$M/seednet_eval.onnx" --mc-dropout=10 -i "$M/seednet_eval.in.npy" -o "$WORK/n" \
		2>"$WORK/err.txt"
	rc=$?
	cat "$WORK/err.txt"
	[ $rc -ne 0 ] || die "exit status 0"
	[ "$(grep -c '' "$WORK/err.txt")" -eq 1 ] || die "want one line on stderr"
	grep -q "TrainingMode.TRAINING" "$WORK/err.txt" || die "message does not say how to re-export"
	;;
*) die "unknown case" ;;
esac
echo "PASS [$CASE]"
