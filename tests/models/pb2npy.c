/* pb2npy.c — converts an ONNX TensorProto .pb file (the backend test data's
 * input_K.pb / output_K.pb) into a .npy file, so the model tests can compare
 * kiln's outputs with npytool.  usage: pb2npy IN.pb OUT.npy
 * Exit 0 on success, 2 on a read or write error. */
#include <stdio.h>

#include "frontend.h"
#include "tools.h"

int main(int argc, char **argv)
{
	onnx_tensor t;
	ir_status st = {0};
	kiln_status ks;
	if (argc != 3) {
		fprintf(stderr, "usage: pb2npy IN.pb OUT.npy\n");
		return 2;
	}
	if (onnx_tensor_read_pb(argv[1], &t, &st)) {
		fprintf(stderr, "pb2npy: %s\n", st.msg);
		return 2;
	}
	if (npy_write_file(argv[2], (int)t.dtype, t.rank, t.dims, t.data, &ks)) {
		fprintf(stderr, "pb2npy: %s\n", ks.msg);
		return 2;
	}
	onnx_tensor_free(&t);
	return 0;
}
