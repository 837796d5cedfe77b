/* tensor.c — reads a stand-alone ONNX TensorProto file (the backend test
 * format input_K.pb / output_K.pb) into an onnx_tensor, through the same
 * decoder import.c uses for initializers (decode.c). */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "frontend.h"

static void *heap_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n);
}

static int tensor_from_buf(const uint8_t *buf, size_t len, const char *dir,
			   onnx_tensor *t, ir_status *st)
{
	if (onnx_pb_check(buf, len, &onnx__tensor_proto__descriptor, st))
		return -1;
	Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, len, buf);
	if (!tp)
		return ir_fail(st, "malformed or truncated TensorProto");
	onnx_dec_tensor d;
	char what[300];
	snprintf(what, sizeof what, "tensor '%s'", tp->name ? tp->name : "");
	int rc = onnx_decode_tensor(tp, dir, what, heap_alloc, NULL, &d, st);
	if (rc == 0) {
		t->name = strdup(tp->name ? tp->name : "");
		if (!t->name) {
			free(d.data);
			rc = ir_fail(st, "out of memory");
		} else {
			t->dtype = d.dtype;
			t->rank = d.rank;
			memcpy(t->dims, d.dims, sizeof t->dims);
			t->data = d.data;
			t->nbytes = d.nbytes;
		}
	}
	onnx__tensor_proto__free_unpacked(tp, NULL);
	return rc;
}

int onnx_tensor_read_pb(const char *path, onnx_tensor *t, ir_status *st)
{
	uint8_t *buf;
	size_t len;
	ir_status local = {0};
	memset(t, 0, sizeof *t);
	if (onnx_read_file(path, &buf, &len, st))
		return -1;
	char *dir = onnx_dirname(path);
	int rc = dir ? tensor_from_buf(buf, len, dir, t, &local) : ir_fail(&local, "out of memory");
	if (rc)
		ir_fail(st, "%s: %s", path, local.msg);
	free(dir);
	free(buf);
	return rc;
}

void onnx_tensor_free(onnx_tensor *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->data);
	memset(t, 0, sizeof *t);
}
