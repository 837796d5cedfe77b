/* mb.c — the test model builder (see mb.h): protobuf-c structs filled by
 * hand and packed, with a simple allocation pool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mb.h"

static void **pool;
static size_t npool, cappool;

void *mb_alloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		abort();
	if (npool == cappool) {
		cappool = cappool ? cappool * 2 : 256;
		pool = realloc(pool, cappool * sizeof *pool);
		if (!pool)
			abort();
	}
	pool[npool++] = p;
	return p;
}

void mb_free_all(void)
{
	for (size_t i = 0; i < npool; i++)
		free(pool[i]);
	free(pool);
	pool = NULL;
	npool = cappool = 0;
}

char *mb_str(const char *s)
{
	char *r = mb_alloc(strlen(s) + 1);
	strcpy(r, s);
	return r;
}

void mb_init(mb_model *b, int64_t opset)
{
	memset(b, 0, sizeof *b);
	Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
	Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
	b->m = m;
	b->g = g;
	b->m.has_ir_version = 1;
	b->m.ir_version = 8;
	b->m.graph = &b->g;
	b->m.opset_import = b->opsets;
	b->g.name = mb_str("test");
	b->g.node = b->nodes;
	b->g.initializer = b->inits;
	b->g.input = b->ins;
	b->g.output = b->outs;
	b->g.value_info = b->vis;
	if (opset > 0)
		mb_opset(b, "", opset);
}

void mb_opset(mb_model *b, const char *domain, int64_t version)
{
	Onnx__OperatorSetIdProto *o = mb_alloc(sizeof *o);
	Onnx__OperatorSetIdProto init = ONNX__OPERATOR_SET_ID_PROTO__INIT;
	*o = init;
	o->domain = mb_str(domain);
	o->has_version = 1;
	o->version = version;
	b->opsets[b->m.n_opset_import++] = o;
}

static Onnx__TensorShapeProto *mb_shape(const char *const *dims)
{
	Onnx__TensorShapeProto *s = mb_alloc(sizeof *s);
	Onnx__TensorShapeProto init = ONNX__TENSOR_SHAPE_PROTO__INIT;
	*s = init;
	size_t n = 0;
	while (dims[n])
		n++;
	s->n_dim = n;
	s->dim = mb_alloc(n * sizeof *s->dim);
	for (size_t i = 0; i < n; i++) {
		Onnx__TensorShapeProto__Dimension *d = mb_alloc(sizeof *d);
		Onnx__TensorShapeProto__Dimension di = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
		*d = di;
		if (dims[i][0] >= '0' && dims[i][0] <= '9') {
			d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			d->dim_value = strtoll(dims[i], NULL, 10);
		} else if (strcmp(dims[i], "?") != 0) {
			d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			d->dim_param = mb_str(dims[i]);
		}
		s->dim[i] = d;
	}
	return s;
}

Onnx__ValueInfoProto *mb_vi(const char *name, int elem, const char *const *dims)
{
	Onnx__ValueInfoProto *v = mb_alloc(sizeof *v);
	Onnx__ValueInfoProto vi = ONNX__VALUE_INFO_PROTO__INIT;
	Onnx__TypeProto ti = ONNX__TYPE_PROTO__INIT;
	Onnx__TypeProto__Tensor tti = ONNX__TYPE_PROTO__TENSOR__INIT;
	*v = vi;
	v->name = mb_str(name);
	v->type = mb_alloc(sizeof *v->type);
	*v->type = ti;
	v->type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	v->type->tensor_type = mb_alloc(sizeof *v->type->tensor_type);
	*v->type->tensor_type = tti;
	v->type->tensor_type->has_elem_type = 1;
	v->type->tensor_type->elem_type = elem;
	if (dims)
		v->type->tensor_type->shape = mb_shape(dims);
	return v;
}

void mb_input(mb_model *b, Onnx__ValueInfoProto *vi) { b->ins[b->g.n_input++] = vi; }
void mb_output(mb_model *b, Onnx__ValueInfoProto *vi) { b->outs[b->g.n_output++] = vi; }
void mb_value_info(mb_model *b, Onnx__ValueInfoProto *vi) { b->vis[b->g.n_value_info++] = vi; }
void mb_init_tensor(mb_model *b, Onnx__TensorProto *t) { b->inits[b->g.n_initializer++] = t; }

Onnx__TensorProto *mb_tensor(const char *name, int dtype, int rank, const int64_t *dims)
{
	Onnx__TensorProto *t = mb_alloc(sizeof *t);
	Onnx__TensorProto ti = ONNX__TENSOR_PROTO__INIT;
	*t = ti;
	t->name = mb_str(name);
	t->has_data_type = 1;
	t->data_type = dtype;
	t->n_dims = (size_t)rank;
	t->dims = mb_alloc((size_t)rank * sizeof(int64_t));
	if (rank)
		memcpy(t->dims, dims, (size_t)rank * sizeof(int64_t));
	return t;
}

void mb_raw(Onnx__TensorProto *t, const void *data, size_t n)
{
	t->has_raw_data = 1;
	t->raw_data.len = n;
	t->raw_data.data = mb_alloc(n);
	memcpy(t->raw_data.data, data, n);
}

static char **mb_strs(const char *const *s, size_t *n)
{
	*n = 0;
	while (s && s[*n])
		(*n)++;
	char **r = mb_alloc(*n * sizeof *r);
	for (size_t i = 0; i < *n; i++)
		r[i] = mb_str(s[i]);
	return r;
}

Onnx__NodeProto *mb_node(mb_model *b, const char *op, const char *name,
			 const char *const *ins, const char *const *outs)
{
	Onnx__NodeProto *n = mb_alloc(sizeof *n);
	Onnx__NodeProto ni = ONNX__NODE_PROTO__INIT;
	*n = ni;
	n->op_type = mb_str(op);
	if (name)
		n->name = mb_str(name);
	n->input = mb_strs(ins, &n->n_input);
	n->output = mb_strs(outs, &n->n_output);
	n->attribute = mb_alloc(16 * sizeof *n->attribute);
	b->nodes[b->g.n_node++] = n;
	return n;
}

Onnx__AttributeProto *mb_attr(Onnx__NodeProto *n, const char *name, int type)
{
	Onnx__AttributeProto *a = mb_alloc(sizeof *a);
	Onnx__AttributeProto ai = ONNX__ATTRIBUTE_PROTO__INIT;
	*a = ai;
	a->name = mb_str(name);
	a->has_type = 1;
	a->type = type;
	n->attribute[n->n_attribute++] = a;
	return a;
}

uint8_t *mb_pack(mb_model *b, size_t *len)
{
	*len = onnx__model_proto__get_packed_size(&b->m);
	uint8_t *buf = malloc(*len ? *len : 1);
	if (!buf || onnx__model_proto__pack(&b->m, buf) != *len)
		abort();
	return buf;
}

uint8_t *mb_pack_tensor(const Onnx__TensorProto *t, size_t *len)
{
	*len = onnx__tensor_proto__get_packed_size(t);
	uint8_t *buf = malloc(*len ? *len : 1);
	if (!buf || onnx__tensor_proto__pack(t, buf) != *len)
		abort();
	return buf;
}

int mb_write(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = len ? fwrite(buf, 1, len, f) : 0;
	return (fclose(f) == 0 && w == len) ? 0 : -1;
}
