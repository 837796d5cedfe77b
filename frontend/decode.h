/* decode.h — internal to frontend/: the one TensorProto decoder shared by
 * import.c (initializers, tensor attributes, Constant nodes) and tensor.c
 * (stand-alone .pb files), plus the file reader and the protobuf nesting
 * check both use. Not installed; nothing outside frontend/ includes it. */
#ifndef KILN_FRONTEND_DECODE_H
#define KILN_FRONTEND_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "ir.h"
#include "onnx/onnx.pb-c.h"

/* A decoded tensor. data is allocated through the caller's allocator. */
typedef struct {
	ir_dtype dtype;
	int rank;
	int64_t dims[IR_MAX_RANK];
	size_t numel;
	size_t nbytes;             /* numel * ir_dtype_size(dtype) */
	void *data;                /* never NULL on success (1 byte for numel 0) */
} onnx_dec_tensor;

/* Allocator for decoded data: returns zeroed or uninitialised memory of n
 * bytes, NULL when out of memory. */
typedef void *(*onnx_alloc_fn)(void *ctx, size_t n);

/* Decodes tp (raw_data, typed fields or external data) into out. base_dir
 * is the folder external data is relative to (NULL rejects external data);
 * what names the tensor in messages ("initializer 'W'"). Returns 0, or -1
 * with st filled; never reads past any buffer, never allocates more than
 * the data actually present in the proto or the external file. */
int onnx_decode_tensor(const Onnx__TensorProto *tp, const char *base_dir,
		       const char *what, onnx_alloc_fn alloc, void *ctx,
		       onnx_dec_tensor *out, ir_status *st);

/* Maps an ONNX elem_type to a supported ir_dtype; IR_UNDEF when the value
 * is outside the table or has no fixed element size (string). */
ir_dtype onnx_dtype(int64_t elem_type);

/* Reads a whole regular file into a malloc'd buffer (*buf may be NULL when
 * *len is 0). Returns 0, or -1 with st naming path. */
int onnx_read_file(const char *path, uint8_t **buf, size_t *len, ir_status *st);

/* The folder of path as a malloc'd string ("." when path has no '/'). */
char *onnx_dirname(const char *path);

/* Walks the protobuf wire format of buf as message type d and fails when it
 * is malformed or nests messages deeper than a fixed limit (protobuf-c
 * unpacks recursively, so a deep nest could overflow the stack). */
int onnx_pb_check(const uint8_t *buf, size_t len,
		  const ProtobufCMessageDescriptor *d, ir_status *st);

#endif
