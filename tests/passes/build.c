/* build.c — the passes tests' graph builder (see build.h). */
#include <assert.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"

ir_graph *tb_graph(int64_t opset)
{
	ir_graph *g = ir_graph_new();

	assert(g);
	g->opset = opset;
	g->inputs = ir_alloc(g->arena, 16 * sizeof *g->inputs);
	g->outputs = ir_alloc(g->arena, 16 * sizeof *g->outputs);
	assert(g->inputs && g->outputs);
	return g;
}

ir_shape tb_shape(ir_graph *g, const char *dims)
{
	ir_shape s = {0};
	const char *p = dims;

	while (*p) {
		char tok[32];
		int k = 0;

		while (*p && *p != ',' && k < 31)
			tok[k++] = *p++;
		tok[k] = 0;
		if (*p == ',')
			p++;
		assert(s.rank < IR_MAX_RANK);
		if (isalpha((unsigned char)tok[0])) {
			s.d[s.rank].c = 1;
			s.d[s.rank].sym = ir_graph_sym(g, tok);
			assert(s.d[s.rank].sym >= 0);
		} else {
			s.d[s.rank] = ir_dim_const(atoll(tok));
		}
		s.rank++;
	}
	return s;
}

ir_value *tb_value(ir_graph *g, const char *name, ir_dtype t, const char *dims)
{
	ir_value *v = ir_value_new(g, name, t);

	assert(v);
	if (dims) {
		v->has_shape = 1;
		v->shape = tb_shape(g, dims);
	}
	return v;
}

ir_value *tb_input(ir_graph *g, const char *name, ir_dtype t, const char *dims)
{
	ir_value *v = tb_value(g, name, t, dims);

	assert(g->ninputs < 16);
	v->is_input = 1;
	g->inputs[g->ninputs++] = v;
	return v;
}

ir_value *tb_f32(ir_graph *g, const char *name, float f)
{
	ir_shape s = {0};
	ir_value *v = ir_const_new(g, name, IR_F32, &s, &f);

	assert(v);
	return v;
}

ir_value *tb_bool(ir_graph *g, const char *name, int b)
{
	ir_shape s = {0};
	unsigned char c = (unsigned char)(b != 0);
	ir_value *v = ir_const_new(g, name, IR_BOOL, &s, &c);

	assert(v);
	return v;
}

ir_value *tb_i64s(ir_graph *g, const char *name, int n, const int64_t *d)
{
	ir_shape s = {1, {{n, -1}}};
	ir_value *v = ir_const_new(g, name, IR_I64, &s, d);

	assert(v);
	return v;
}

ir_node *tb_node(ir_graph *g, const char *op, const char *name, int64_t opset,
		 int nin, ir_value **in, int nout, ir_value **out)
{
	ir_node *n = ir_node_new(g, op, "", name, nin, nout);
	int i;

	assert(n);
	n->opset = opset;
	for (i = 0; i < nin; i++)
		n->in[i] = in[i];
	for (i = 0; i < nout; i++)
		if (out[i])
			ir_node_set_out(n, i, out[i]);
	return n;
}

void tb_attr_int(ir_graph *g, ir_node *n, const char *name, int64_t v)
{
	ir_attr *a = ir_node_add_attr(g, n, name, IR_ATTR_INT);

	assert(a);
	a->i = v;
}

void tb_attr_float(ir_graph *g, ir_node *n, const char *name, float v)
{
	ir_attr *a = ir_node_add_attr(g, n, name, IR_ATTR_FLOAT);

	assert(a);
	a->f = v;
}

void tb_attr_ints(ir_graph *g, ir_node *n, const char *name, int cnt, const int64_t *v)
{
	ir_attr *a = ir_node_add_attr(g, n, name, IR_ATTR_INTS);

	assert(a);
	a->n = cnt;
	a->ints = ir_alloc(g->arena, sizeof(int64_t) * (size_t)(cnt + 1));
	assert(a->ints);
	memcpy(a->ints, v, sizeof(int64_t) * (size_t)cnt);
}

void tb_output(ir_graph *g, ir_value *v)
{
	assert(g->noutputs < 16);
	v->is_output = 1;
	g->outputs[g->noutputs++] = v;
}

int tb_count(const ir_graph *g, ir_op op)
{
	int i, k = 0;

	for (i = 0; i < g->nnodes; i++)
		k += !g->nodes[i]->dead && (op == IR_OP_COUNT || g->nodes[i]->op == op);
	return k;
}

ir_node *tb_find(const ir_graph *g, ir_op op)
{
	int i;

	for (i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->dead && g->nodes[i]->op == op)
			return g->nodes[i];
	return NULL;
}

char *tb_print(const ir_graph *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert(f);
	ir_print(g, f);
	fclose(f);
	return buf;
}

float tb_rnd(unsigned *s, float scale)
{
	*s = *s * 1103515245u + 12345u;
	return ((float)((*s >> 8) % 2001) / 1000.0f - 1.0f) * scale;
}
