/* test_import.c — frontend import of hand-built models: inputs, symbolic
 * dims, initializers in every typed field, Constant nodes, attributes of each
 * kind, value_info hints, and one-line errors for invalid or unsupported
 * models (each checked for the substring that names what was wrong). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "frontend.h"
#include "mb.h"

#define T_FLOAT ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT
#define T_INT ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT
#define T_STRING ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING
#define T_TENSOR ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR
#define T_GRAPH ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH
#define T_FLOATS ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS
#define T_INTS ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS
#define T_STRINGS ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS
#define T_TENSORS ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS

static ir_graph *load(mb_model *b, ir_status *st)
{
	size_t len;
	uint8_t *buf = mb_pack(b, &len);
	memset(st, 0, sizeof *st);
	ir_graph *g = onnx_load_buffer(buf, len, NULL, st);
	free(buf);
	return g;
}

static const ir_attr *attr(const ir_node *n, const char *name, ir_attr_kind k)
{
	const ir_attr *a = ir_attr_find(n, name);
	assert_non_null(a);
	assert_int_equal(a->kind, k);
	return a;
}

static ir_node *find_node(ir_graph *g, const char *name)
{
	for (int i = 0; i < g->nnodes; i++)
		if (!strcmp(g->nodes[i]->name, name))
			return g->nodes[i];
	fail_msg("node %s not found", name);
	return NULL;
}

static void add_typed_inits(mb_model *b)
{
	int64_t d3[] = {3, 2}, d2[] = {2}, d3b[] = {3};
	Onnx__TensorProto *t = mb_tensor("W", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, d3);
	static float w[] = {1, 2, 3, 4, 5, 6};
	t->n_float_data = 6, t->float_data = w;
	mb_init_tensor(b, t);
	static const uint8_t h[] = {0x00, 0x3c, 0x00, 0x40};
	t = mb_tensor("Bh", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, 1, d2);
	mb_raw(t, h, sizeof h);
	mb_init_tensor(b, t);
	static int32_t bo[] = {1, 0, 5}, i8[] = {-1, 127, -128}, u16[] = {65535, 1}, f16[] = {0x3c00, 0xc000};
	t = mb_tensor("Tb", ONNX__TENSOR_PROTO__DATA_TYPE__BOOL, 1, d3b);
	t->n_int32_data = 3, t->int32_data = bo;
	mb_init_tensor(b, t);
	t = mb_tensor("Ti8", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 1, d3b);
	t->n_int32_data = 3, t->int32_data = i8;
	mb_init_tensor(b, t);
	t = mb_tensor("Tu16", ONNX__TENSOR_PROTO__DATA_TYPE__UINT16, 1, d2);
	t->n_int32_data = 2, t->int32_data = u16;
	mb_init_tensor(b, t);
	t = mb_tensor("Tf16", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16, 1, d2);
	t->n_int32_data = 2, t->int32_data = f16;
	mb_init_tensor(b, t);
	static double dd[] = {1.5, -2.25};
	t = mb_tensor("Td", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE, 1, d2);
	t->n_double_data = 2, t->double_data = dd;
	mb_init_tensor(b, t);
	static uint64_t u64[] = {4000000000u, 7};
	t = mb_tensor("Tu32", ONNX__TENSOR_PROTO__DATA_TYPE__UINT32, 1, d2);
	t->n_uint64_data = 2, t->uint64_data = u64;
	mb_init_tensor(b, t);
	static int64_t i64[] = {-9};
	t = mb_tensor("Ti64", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 0, NULL);
	t->n_int64_data = 1, t->int64_data = i64;
	mb_init_tensor(b, t);
}

static void add_attr_node(mb_model *b)
{
	const char *ins[] = {"mm", "", "Tb", NULL}, *outs[] = {"out", "", NULL};
	Onnx__NodeProto *n = mb_node(b, "Foo", "attrs", ins, outs);
	Onnx__AttributeProto *a = mb_attr(n, "alpha", T_FLOAT);
	a->has_f = 1, a->f = 0.5f;
	a = mb_attr(n, "axis", T_INT);
	a->has_i = 1, a->i = -1;
	a = mb_attr(n, "mode", T_STRING);
	a->has_s = 1, a->s.data = (uint8_t *)mb_str("edge"), a->s.len = 4;
	a = mb_attr(n, "w", T_TENSOR);
	int64_t d2[] = {2};
	a->t = mb_tensor("", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 1, d2);
	static int32_t wv[] = {3, -4};
	a->t->n_int32_data = 2, a->t->int32_data = wv;
	a = mb_attr(n, "scales", T_FLOATS);
	static float fs[] = {1.0f, 2.0f};
	a->n_floats = 2, a->floats = fs;
	a = mb_attr(n, "pads", T_INTS);
	static int64_t is[] = {0, 1, 2};
	a->n_ints = 3, a->ints = is;
	a = mb_attr(n, "names", T_STRINGS);
	a->n_strings = 2;
	a->strings = mb_alloc(2 * sizeof *a->strings);
	a->strings[0].data = (uint8_t *)mb_str("a"), a->strings[0].len = 1;
	a->strings[1].data = (uint8_t *)mb_str("bc"), a->strings[1].len = 2;
	a = mb_attr(n, "ts", T_TENSORS);
	a->n_tensors = 2;
	a->tensors = mb_alloc(2 * sizeof *a->tensors);
	static float one = 1.0f;
	static int64_t two = 2;
	a->tensors[0] = mb_tensor("t0", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 0, NULL);
	a->tensors[0]->n_float_data = 1, a->tensors[0]->float_data = &one;
	a->tensors[1] = mb_tensor("t1", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, &two);
	static int64_t tv[] = {10, 20};
	a->tensors[1]->n_int64_data = 2, a->tensors[1]->int64_data = tv;
	a = mb_attr(n, "body", T_GRAPH);
	Onnx__GraphProto gi = ONNX__GRAPH_PROTO__INIT;
	a->g = mb_alloc(sizeof *a->g);
	*a->g = gi;
}

static void add_constants(mb_model *b)
{
	const char *o1[] = {"shape", NULL}, *o2[] = {"cf", NULL}, *o3[] = {"ct", NULL};
	Onnx__NodeProto *n = mb_node(b, "Constant", "c1", NULL, o1);
	Onnx__AttributeProto *a = mb_attr(n, "value_ints", T_INTS);
	static int64_t sv[] = {2, -1};
	a->n_ints = 2, a->ints = sv;
	n = mb_node(b, "Constant", "c2", NULL, o2);
	a = mb_attr(n, "value_float", T_FLOAT);
	a->has_f = 1, a->f = 2.5f;
	n = mb_node(b, "Constant", "c3", NULL, o3);
	a = mb_attr(n, "value", T_TENSOR);
	int64_t d2[] = {2};
	a->t = mb_tensor("", ONNX__TENSOR_PROTO__DATA_TYPE__INT32, 1, d2);
	int32_t raw[] = {7, 8};
	mb_raw(a->t, raw, sizeof raw);
}

static void build_good(mb_model *b)
{
	mb_init(b, 13);
	mb_opset(b, "ai.onnx.ml", 3);   /* imported, never used: fine */
	const char *dx[] = {"N", "3", NULL}, *dy[] = {"2", "?", NULL}, *dw[] = {"3", "2", NULL};
	mb_input(b, mb_vi("X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, dx));
	mb_input(b, mb_vi("Y", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, dy));
	mb_input(b, mb_vi("W", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, dw));
	add_typed_inits(b);
	add_constants(b);
	const char *mi[] = {"X", "W", NULL}, *mo[] = {"mm", NULL};
	mb_node(b, "MatMul", "mm_node", mi, mo);
	add_attr_node(b);
	const char *dout[] = {"N", "M", NULL}, *dmm[] = {"N", "2", NULL};
	mb_output(b, mb_vi("out", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, dout));
	mb_output(b, mb_vi("shape", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, NULL));
	mb_value_info(b, mb_vi("mm", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, dmm));
}

static void check_inputs(ir_graph *g)
{
	assert_int_equal(g->opset, 13);
	assert_int_equal(g->ninputs, 2);   /* W has an initializer */
	ir_value *x = g->inputs[0], *y = g->inputs[1];
	assert_string_equal(x->name, "X");
	assert_true(x->is_input);
	assert_int_equal(x->dtype, IR_F32);
	assert_true(x->has_shape);
	assert_int_equal(x->shape.rank, 2);
	assert_true(x->shape.d[0].sym >= 0);
	assert_string_equal(g->syms[x->shape.d[0].sym], "N");
	assert_true(ir_dim_is_const(x->shape.d[1]));
	assert_int_equal(x->shape.d[1].c, 3);
	assert_int_equal(y->dtype, IR_I64);
	assert_int_equal(y->shape.d[0].c, 2);
	assert_true(y->shape.d[1].sym >= 0);
	assert_int_not_equal(y->shape.d[1].sym, x->shape.d[0].sym);
	assert_memory_equal(g->syms[y->shape.d[1].sym], "unk__", 5);
}

static const void *cdata(ir_graph *g, const char *name, ir_dtype t, size_t nbytes)
{
	ir_value *v = ir_graph_find(g, name);
	assert_non_null(v);
	assert_non_null(v->data);
	assert_false(v->is_input);
	assert_int_equal(v->dtype, t);
	assert_int_equal(v->nbytes, nbytes);
	return v->data;
}

static void check_inits(ir_graph *g)
{
	const float *w = cdata(g, "W", IR_F32, 24);
	assert_true(w[0] == 1.0f && w[5] == 6.0f);
	assert_int_equal(ir_graph_find(g, "W")->shape.d[0].c, 3);
	const uint8_t *h = cdata(g, "Bh", IR_F16, 4);
	assert_int_equal(h[1], 0x3c);
	assert_int_equal(h[3], 0x40);
	const uint8_t *bo = cdata(g, "Tb", IR_BOOL, 3);
	assert_true(bo[0] == 1 && bo[1] == 0 && bo[2] == 1);
	const int8_t *i8 = cdata(g, "Ti8", IR_I8, 3);
	assert_true(i8[0] == -1 && i8[1] == 127 && i8[2] == -128);
	const uint16_t *u16 = cdata(g, "Tu16", IR_U16, 4);
	assert_true(u16[0] == 65535 && u16[1] == 1);
	const uint16_t *f16 = cdata(g, "Tf16", IR_F16, 4);
	assert_true(f16[0] == 0x3c00 && f16[1] == 0xc000);
	const double *dd = cdata(g, "Td", IR_F64, 16);
	assert_true(dd[0] == 1.5 && dd[1] == -2.25);
	const uint32_t *u32 = cdata(g, "Tu32", IR_U32, 8);
	assert_true(u32[0] == 4000000000u && u32[1] == 7);
	const int64_t *i64 = cdata(g, "Ti64", IR_I64, 8);
	assert_int_equal(i64[0], -9);
	assert_int_equal(ir_graph_find(g, "Ti64")->shape.rank, 0);
}

static void check_constants(ir_graph *g)
{
	assert_int_equal(g->nnodes, 2);   /* Constant nodes become values */
	const int64_t *s = cdata(g, "shape", IR_I64, 16);
	assert_true(s[0] == 2 && s[1] == -1);
	assert_int_equal(ir_graph_find(g, "shape")->shape.rank, 1);
	const float *f = cdata(g, "cf", IR_F32, 4);
	assert_true(f[0] == 2.5f);
	assert_int_equal(ir_graph_find(g, "cf")->shape.rank, 0);
	const int32_t *c = cdata(g, "ct", IR_I32, 8);
	assert_true(c[0] == 7 && c[1] == 8);
	assert_null(ir_graph_find(g, "shape")->producer);
}

static void check_attrs(ir_graph *g)
{
	ir_node *n = find_node(g, "attrs");
	assert_string_equal(n->op_type, "Foo");
	assert_int_equal(n->opset, 13);
	assert_int_equal(n->nin, 3);
	assert_ptr_equal(n->in[0], ir_graph_find(g, "mm"));
	assert_null(n->in[1]);
	assert_ptr_equal(n->in[2], ir_graph_find(g, "Tb"));
	assert_int_equal(n->nout, 2);
	assert_null(n->out[1]);
	assert_ptr_equal(n->out[0]->producer, n);
	assert_true(attr(n, "alpha", IR_ATTR_FLOAT)->f == 0.5f);
	assert_int_equal(attr(n, "axis", IR_ATTR_INT)->i, -1);
	const ir_attr *a = attr(n, "mode", IR_ATTR_STRING);
	assert_string_equal(a->s, "edge");
	assert_int_equal(a->slen, 4);
	a = attr(n, "w", IR_ATTR_TENSOR);
	assert_int_equal(a->t->dtype, IR_I8);
	assert_int_equal(((const int8_t *)a->t->data)[1], -4);
	assert_int_equal(a->t->shape.d[0].c, 2);
	a = attr(n, "scales", IR_ATTR_FLOATS);
	assert_true(a->n == 2 && a->floats[1] == 2.0f);
	a = attr(n, "pads", IR_ATTR_INTS);
	assert_true(a->n == 3 && a->ints[2] == 2);
	a = attr(n, "names", IR_ATTR_STRINGS);
	assert_int_equal(a->n, 2);
	assert_string_equal(a->strings[1], "bc");
	a = attr(n, "ts", IR_ATTR_TENSORS);
	assert_int_equal(a->n, 2);
	assert_string_equal(a->ts[1]->name, "t1");
	assert_int_equal(((const int64_t *)a->ts[1]->data)[1], 20);
	attr(n, "body", IR_ATTR_GRAPH);
	/* tensor attributes are not graph values */
	for (int i = 0; i < g->nvalues; i++)
		assert_ptr_not_equal(g->values[i], attr(n, "w", IR_ATTR_TENSOR)->t);
}

static void check_outputs(ir_graph *g)
{
	assert_int_equal(g->noutputs, 2);
	ir_value *o = g->outputs[0];
	assert_string_equal(o->name, "out");
	assert_true(o->is_output);
	assert_int_equal(o->dtype, IR_F32);
	assert_false(o->has_shape);   /* "M" is no input symbol: dtype only */
	assert_ptr_equal(g->outputs[1], ir_graph_find(g, "shape"));
	ir_value *mm = ir_graph_find(g, "mm");
	assert_int_equal(mm->dtype, IR_F32);
	assert_true(mm->has_shape);
	assert_string_equal(g->syms[mm->shape.d[0].sym], "N");
	assert_int_equal(mm->shape.d[1].c, 2);
	assert_int_equal(find_node(g, "mm_node")->op, IR_OP_MatMul);
}

static void test_good_model(void **state)
{
	mb_model b;
	ir_status st;
	build_good(&b);
	ir_graph *g = load(&b, &st);
	assert_non_null(g);
	check_inputs(g);
	check_inits(g);
	check_constants(g);
	check_attrs(g);
	check_outputs(g);
	ir_graph_free(g);
	mb_free_all();
}

/* ---- errors: a small valid model, one mutation each ---- */

static Onnx__NodeProto *base(mb_model *b)
{
	mb_init(b, 13);
	const char *d[] = {"2", NULL}, *in[] = {"X", NULL}, *out[] = {"Y", NULL};
	mb_input(b, mb_vi("X", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, d));
	mb_output(b, mb_vi("Y", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, d));
	return mb_node(b, "Relu", "r", in, out);
}

static void expect_fail(mb_model *b, const char *substr)
{
	ir_status st;
	ir_graph *g = load(b, &st);
	if (g)
		fail_msg("loaded, expected error containing '%s'", substr);
	assert_true(st.code != 0);
	if (!strstr(st.msg, substr))
		fail_msg("message '%s' lacks '%s'", st.msg, substr);
	mb_free_all();
}

static Onnx__TensorProto *base_init(mb_model *b, int dtype, int rank, const int64_t *dims)
{
	base(b);
	Onnx__TensorProto *t = mb_tensor("K", dtype, rank, dims);
	mb_init_tensor(b, t);
	return t;
}

static void test_base_loads(void **state)
{
	mb_model b;
	ir_status st;
	Onnx__NodeProto *n = base(&b);
	n->domain = mb_str("ai.onnx");
	mb_opset(&b, "com.microsoft", 1);
	ir_graph *g = load(&b, &st);
	assert_non_null(g);
	assert_int_equal(g->nnodes, 1);
	assert_string_equal(g->nodes[0]->domain, "");
	ir_graph_free(g);
	mb_free_all();
}

static void test_unsorted_nodes(void **state)
{
	mb_model b;
	ir_status st;
	base(&b);
	b.outs[0]->name = mb_str("Z");
	const char *in[] = {"Y", NULL}, *out[] = {"Z", NULL};
	mb_node(&b, "Relu", "r2", in, out);
	Onnx__NodeProto *t = b.nodes[0];
	b.nodes[0] = b.nodes[1], b.nodes[1] = t;
	ir_graph *g = load(&b, &st);
	assert_non_null(g);
	assert_ptr_equal(g->nodes[0]->in[0], g->nodes[1]->out[0]);
	ir_graph_free(g);
	mb_free_all();
}

static void test_bad_graphs(void **state)
{
	mb_model b;
	base(&b)->domain = mb_str("com.microsoft");
	expect_fail(&b, "node 'r' uses domain 'com.microsoft', which kiln does not support");
	base(&b)->input[0] = mb_str("nope");
	expect_fail(&b, "node 'r': input 'nope'");
	const char *in[] = {"X", NULL}, *out[] = {"Y", NULL};
	base(&b);
	mb_node(&b, "Relu", "r2", in, out);
	expect_fail(&b, "'Y' is defined twice");
	base(&b)->output[0] = mb_str("X");
	expect_fail(&b, "'X' is defined twice");
	base(&b);
	b.outs[0]->name = mb_str("Q");
	expect_fail(&b, "graph output 'Q'");
	base(&b)->op_type = mb_str("");
	expect_fail(&b, "no op_type");
	base(&b);
	b.ins[0]->type->value_case = ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE;
	b.ins[0]->type->sequence_type = mb_alloc(sizeof(Onnx__TypeProto__Sequence));
	*b.ins[0]->type->sequence_type = (Onnx__TypeProto__Sequence)ONNX__TYPE_PROTO__SEQUENCE__INIT;
	expect_fail(&b, "input 'X' is a sequence");
	base(&b);
	b.ins[0]->type = NULL;
	expect_fail(&b, "input 'X' has no type");
	base(&b);
	b.ins[0]->type->tensor_type->shape->dim[0]->dim_value = -3;
	expect_fail(&b, "negative");
	base(&b);
	b.ins[0]->type->tensor_type->elem_type = 8;
	expect_fail(&b, "element type 8");
	base(&b);
	const char *nine[] = {"a", "b", "c", "d", "e", "f", "g", "h", NULL};
	mb_input(&b, mb_vi("Z", 1, nine));
	const char *more[] = {"i", NULL};
	mb_input(&b, mb_vi("Z2", 1, more));
	expect_fail(&b, "too many symbolic dims");
	Onnx__NodeProto *n = base(&b);
	n->attribute = mb_alloc(1025 * sizeof *n->attribute);
	for (int i = 0; i < 1025; i++)
		mb_attr(n, "a", T_INT);
	expect_fail(&b, "node 'r' has 1025 attributes");
}

static void test_bad_constants(void **state)
{
	mb_model b;
	const char *out[] = {"C", NULL};
	base(&b);
	Onnx__AttributeProto *a = mb_attr(mb_node(&b, "Constant", "k", NULL, out), "value_string", T_STRING);
	a->has_s = 1;
	expect_fail(&b, "'value_string' is not supported");
	base(&b);
	a = mb_attr(mb_node(&b, "Constant", "k", NULL, out), "sparse_value",
		    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR);
	expect_fail(&b, "'sparse_value' is not supported");
	base(&b);
	mb_node(&b, "Constant", "k", NULL, out);
	expect_fail(&b, "exactly one attribute");
	base(&b);
	a = mb_attr(mb_node(&b, "Constant", "k", NULL, out), "value", T_TENSOR);
	int64_t d[] = {4};
	a->t = mb_tensor("", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d);
	mb_raw(a->t, "abc", 3);
	expect_fail(&b, "node 'k': value has 3 bytes of raw_data, expected 16");
}

static void test_bad_tensors(void **state)
{
	mb_model b;
	int64_t d2[] = {2}, neg[] = {-1}, huge[] = {1ll << 40, 1ll << 40, 1ll << 40};
	int64_t r9[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
	static float f3[] = {1, 2, 3};
	base_init(&b, ONNX__TENSOR_PROTO__DATA_TYPE__STRING, 1, d2);
	expect_fail(&b, "initializer 'K' is a string tensor");
	mb_raw(base_init(&b, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d2), "abcdefghi", 9);
	expect_fail(&b, "initializer 'K' has 9 bytes of raw_data, expected 8");
	Onnx__TensorProto *t = base_init(&b, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d2);
	t->n_float_data = 3, t->float_data = f3;
	expect_fail(&b, "has 3 values for 2 elements");
	t = base_init(&b, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, d2);
	t->n_float_data = 2, t->float_data = f3;
	expect_fail(&b, "field that does not match");
	base_init(&b, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, neg);
	expect_fail(&b, "negative dim");
	base_init(&b, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 9, r9);
	expect_fail(&b, "rank 9");
	base_init(&b, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 3, huge);
	expect_fail(&b, "too many elements");
	base_init(&b, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d2);
	expect_fail(&b, "has 0 values for 2 elements");
	base_init(&b, 17, 1, d2);
	expect_fail(&b, "data type 17");
	t = base_init(&b, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d2);
	t->has_data_location = 1;
	t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	expect_fail(&b, "initializer 'K' uses external data");
	t = base_init(&b, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, d2);
	t->name = mb_str("");
	expect_fail(&b, "has no name");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_model),
		cmocka_unit_test(test_base_loads),
		cmocka_unit_test(test_unsorted_nodes),
		cmocka_unit_test(test_bad_graphs),
		cmocka_unit_test(test_bad_constants),
		cmocka_unit_test(test_bad_tensors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
