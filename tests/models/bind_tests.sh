#!/bin/sh
# bind_tests.sh — `kiln run` specialising a .onnx on the values of inputs that
# decide shapes (passes/bind.c), on ONNX backend test cases whose Reshape
# shape / ReduceSum axes are graph inputs; outputs are checked against the
# cases' output_K.pb (converted by pb2npy) with npytool.
# usage: bind_tests.sh KILN NPYTOOL PB2NPY WORK_DIR
# Exit 0 pass, 1 fail, 77 skipped (no libonnx-testdata).
set -u
KILN=$1 NPYTOOL=$2 PB2NPY=$3 WORK=$4
NODE=/usr/share/libonnx-testdata/data/node
R=$NODE/test_reshape_reordered_all_dims
[ -f "$R/model.onnx" ] || { echo "SKIP: no $R"; exit 77; }
rm -rf "$WORK" && mkdir -p "$WORK" || exit 1

die() { echo "FAIL: $*"; exit 1; }

# run_ok CMD...: runs CMD, fails the test when it fails.
run_ok() {
	echo "+ $*"
	"$@" || die "exit status $? from: $*"
}

# same_as_pb OUT.npy REF.pb: dtype, shape and data equal.
same_as_pb() {
	"$PB2NPY" "$2" "$WORK/ref.npy" || die "cannot convert $2"
	"$NPYTOOL" same "$1" "$WORK/ref.npy" || die "$1 differs from $2"
}

# expect_fail STATUS TEXT CMD...: CMD exits with STATUS and says TEXT.
expect_fail() {
	want=$1 text=$2; shift 2
	echo "+ $*"
	"$@" >"$WORK/err.out" 2>"$WORK/err.txt"
	rc=$?
	cat "$WORK/err.txt"
	[ $rc -eq "$want" ] || die "exit status $rc (want $want): $*"
	grep -qF "$text" "$WORK/err.txt" || die "stderr lacks '$text': $*"
}

# Reshape's shape is a graph input: positional inputs in graph order...
S=$R/test_data_set_0
run_ok "$KILN" run "$R/model.onnx" -i "$S/input_0.pb" -i "$S/input_1.pb" -o "$WORK/pos"
same_as_pb "$WORK/pos/output_0.npy" "$S/output_0.pb"
# ...and by name, in another order.
run_ok "$KILN" run "$R/model.onnx" -i shape="$S/input_1.pb" -i data="$S/input_0.pb" -o "$WORK/named"
same_as_pb "$WORK/named/output_0.npy" "$S/output_0.pb"

# ReduceSum (opset 13) with its axes a graph input; each data set is a run.
for c in test_reduce_sum_keepdims_random test_reduce_sum_negative_axes_keepdims_random; do
	S=$NODE/$c/test_data_set_0
	[ -d "$S" ] || continue
	run_ok "$KILN" run "$NODE/$c/model.onnx" -i "$S/input_0.pb" -i "$S/input_1.pb" -o "$WORK/$c"
	"$PB2NPY" "$S/output_0.pb" "$WORK/ref.npy" || die "cannot convert $S/output_0.pb"
	"$NPYTOOL" cmp "$WORK/$c/output_0.npy" "$WORK/ref.npy" 1e-5 || die "$c differs"
done

# A value of the wrong type for the shape input is refused, naming it.
S=$R/test_data_set_0
expect_fail 1 "input 'shape'" "$KILN" run "$R/model.onnx" -i "$S/input_0.pb" -i "$S/input_0.pb" -o "$WORK/bad"
# A compiled .so cannot be specialised: compile keeps the error, with a hint.
expect_fail 1 "kiln run MODEL.onnx with the input given" "$KILN" compile "$R/model.onnx" -o "$WORK/r.so"
echo "PASS"
