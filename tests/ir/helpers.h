/* helpers.h — small graph builders for the IR unit tests: inputs and
 * constants from shape strings like "N,3,224,224", nodes with fresh outputs,
 * and type strings for comparisons. Header-only (static functions). */
#ifndef KILN_TEST_IR_HELPERS_H
#define KILN_TEST_IR_HELPERS_H

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

/* Parses "N,3,4" (symbols are registered in g) into s; "" is a scalar. */
__attribute__((unused)) static void parse_shape(ir_graph *g, const char *str, ir_shape *s)
{
	memset(s, 0, sizeof *s);
	const char *p = str;
	while (*p) {
		char tok[32];
		size_t k = strcspn(p, ",");
		snprintf(tok, sizeof tok, "%.*s", (int)k, p);
		char *end;
		long long c = strtoll(tok, &end, 10);
		if (*end == 0 && end != tok)
			s->d[s->rank] = ir_dim_const(c);
		else if (end != tok && *end == '*')
			s->d[s->rank] = (ir_dim){c, ir_graph_sym(g, end + 1)};
		else
			s->d[s->rank] = (ir_dim){1, ir_graph_sym(g, tok)};
		s->rank++;
		p += k;
		if (*p == ',')
			p++;
	}
}

__attribute__((unused)) static void add_to(ir_graph *g, ir_value ***arr, int *n, ir_value *v)
{
	ir_value **na = ir_alloc(g->arena, sizeof(ir_value *) * (size_t)(*n + 1));
	if (*n)
		memcpy(na, *arr, sizeof(ir_value *) * (size_t)*n);
	na[(*n)++] = v;
	*arr = na;
}

__attribute__((unused)) static ir_value *t_input(ir_graph *g, const char *name, ir_dtype t, const char *shape)
{
	ir_value *v = ir_value_new(g, name, t);
	parse_shape(g, shape, &v->shape);
	v->has_shape = 1;
	v->is_input = 1;
	add_to(g, &g->inputs, &g->ninputs, v);
	return v;
}

__attribute__((unused)) static void t_output(ir_graph *g, ir_value *v)
{
	v->is_output = 1;
	add_to(g, &g->outputs, &g->noutputs, v);
}

/* 1-D int64 constant with cnt entries. */
__attribute__((unused)) static ir_value *t_ints(ir_graph *g, const char *name, int cnt, ...)
{
	int64_t d[16];
	va_list ap;
	va_start(ap, cnt);
	for (int i = 0; i < cnt; i++)
		d[i] = va_arg(ap, long long);
	va_end(ap);
	ir_shape s = {1, {ir_dim_const(cnt)}};
	return ir_const_new(g, name, IR_I64, &s, d);
}

/* f32 constant of a static shape filled with 0, 1, 2, ... */
__attribute__((unused)) static ir_value *t_f32(ir_graph *g, const char *name, const char *shape)
{
	ir_shape s;
	parse_shape(g, shape, &s);
	int64_t n = ir_shape_static_numel(&s);
	float *d = calloc((size_t)(n ? n : 1), sizeof(float));
	for (int64_t i = 0; i < n; i++)
		d[i] = (float)i;
	ir_value *v = ir_const_new(g, name, IR_F32, &s, d);
	free(d);
	return v;
}

/* Node with inputs (NULL allowed) and nout fresh outputs named "<name>_o<i>"
 * (output 0 is just "<name>"). */
__attribute__((unused)) static ir_node *t_node(ir_graph *g, const char *op, const char *name, int nin,
		       ir_value **in, int nout)
{
	ir_node *n = ir_node_new(g, op, "", name, nin, nout);
	for (int i = 0; i < nin; i++)
		n->in[i] = in[i];
	for (int i = 0; i < nout; i++) {
		char b[64];
		if (i == 0)
			snprintf(b, sizeof b, "%s", name);
		else
			snprintf(b, sizeof b, "%s_o%d", name, i);
		ir_node_set_out(n, i, ir_value_new(g, b, IR_UNDEF));
	}
	return n;
}

__attribute__((unused)) static void t_attr_i(ir_graph *g, ir_node *n, const char *name, int64_t v)
{
	ir_node_add_attr(g, n, name, IR_ATTR_INT)->i = v;
}

__attribute__((unused)) static void t_attr_s(ir_graph *g, ir_node *n, const char *name, const char *s)
{
	ir_attr *a = ir_node_add_attr(g, n, name, IR_ATTR_STRING);
	a->s = ir_strdup(g->arena, s);
	a->slen = strlen(s);
}

__attribute__((unused)) static void t_attr_ints(ir_graph *g, ir_node *n, const char *name, int cnt, ...)
{
	ir_attr *a = ir_node_add_attr(g, n, name, IR_ATTR_INTS);
	a->n = cnt;
	a->ints = ir_alloc(g->arena, sizeof(int64_t) * (size_t)(cnt + 1));
	va_list ap;
	va_start(ap, cnt);
	for (int i = 0; i < cnt; i++)
		a->ints[i] = va_arg(ap, long long);
	va_end(ap);
}

/* Type string of a value ("f32[N,256]"); rotating static buffers. */
__attribute__((unused)) static const char *ty(const ir_value *v)
{
	static char b[4][128];
	static int k;
	k = (k + 1) & 3;
	return ir_type_str(v, b[k], sizeof b[k]);
}

#endif
