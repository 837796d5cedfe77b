/* frontend.h — ONNX ModelProto/TensorProto decoding with protobuf-c (C code
 * generated at build time from the installed onnx.proto) into kiln's IR. */
#ifndef KILN_FRONTEND_H
#define KILN_FRONTEND_H

#include "ir.h"

/* ---- frontend/import.c ---- */
/* Reads and decodes a model file. External data is read relative to the
 * model's folder only. NULL with st filled on any error (missing or truncated
 * file, unsupported opset domain, malformed graph, unsafe external path). The
 * caller frees the graph with ir_graph_free. */
ir_graph *onnx_load_file(const char *path, ir_status *st);
/* Same from memory; base_dir is the folder external data is relative to
 * (NULL: external data is rejected). */
ir_graph *onnx_load_buffer(const void *buf, size_t len, const char *base_dir, ir_status *st);

/* ---- frontend/tensor.c ---- */
/* A stand-alone tensor read from an ONNX TensorProto .pb file (the backend
 * test format). All pointers malloc-owned; free with onnx_tensor_free. */
typedef struct {
	char *name;              /* "" when the proto has none */
	ir_dtype dtype;
	int rank;
	int64_t dims[IR_MAX_RANK];
	void *data;              /* numel * ir_dtype_size(dtype) bytes, row-major */
	size_t nbytes;
} onnx_tensor;
int onnx_tensor_read_pb(const char *path, onnx_tensor *t, ir_status *st);
void onnx_tensor_free(onnx_tensor *t);   /* NULL is a no-op */

#endif
