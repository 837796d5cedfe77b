/* mb.h — a tiny ONNX model builder for the frontend tests: fills the
 * protobuf-c structs generated from onnx.proto and packs them, so tests make
 * their .onnx bytes in C without Python. Memory comes from a pool that
 * mb_free_all() releases. */
#ifndef KILN_TEST_MB_H
#define KILN_TEST_MB_H

#include <stddef.h>
#include <stdint.h>

#include "onnx/onnx.pb-c.h"

#define MB_MAX 64

typedef struct {
	Onnx__ModelProto m;
	Onnx__GraphProto g;
	Onnx__OperatorSetIdProto *opsets[4];
	Onnx__NodeProto *nodes[MB_MAX];
	Onnx__TensorProto *inits[MB_MAX];
	Onnx__ValueInfoProto *ins[MB_MAX], *outs[MB_MAX], *vis[MB_MAX];
} mb_model;

void *mb_alloc(size_t n);              /* zeroed, pooled */
void mb_free_all(void);
char *mb_str(const char *s);

void mb_init(mb_model *b, int64_t opset);
void mb_opset(mb_model *b, const char *domain, int64_t version);
/* dims: "3" a dim_value, "N" a dim_param, "?" no value; NULL ends. */
Onnx__ValueInfoProto *mb_vi(const char *name, int elem, const char *const *dims);
void mb_input(mb_model *b, Onnx__ValueInfoProto *vi);
void mb_output(mb_model *b, Onnx__ValueInfoProto *vi);
void mb_value_info(mb_model *b, Onnx__ValueInfoProto *vi);
Onnx__TensorProto *mb_tensor(const char *name, int dtype, int rank, const int64_t *dims);
void mb_raw(Onnx__TensorProto *t, const void *data, size_t n);
void mb_init_tensor(mb_model *b, Onnx__TensorProto *t);
/* ins/outs NULL-terminated string arrays ("" = omitted). */
Onnx__NodeProto *mb_node(mb_model *b, const char *op, const char *name,
			 const char *const *ins, const char *const *outs);
Onnx__AttributeProto *mb_attr(Onnx__NodeProto *n, const char *name, int type);
/* Packed bytes (malloc'd, caller frees). */
uint8_t *mb_pack(mb_model *b, size_t *len);
uint8_t *mb_pack_tensor(const Onnx__TensorProto *t, size_t *len);
/* Writes bytes to path; 0 on success. */
int mb_write(const char *path, const void *buf, size_t len);

#endif
