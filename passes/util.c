/* util.c — small helpers shared by the passes: labels for messages,
 * reading constant scalars (Dropout ratio / training_mode), value use
 * checks and turning a node output into a constant. */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "internal.h"

const char *pass_label(const ir_node *n, char *buf, size_t len)
{
	if (n->name && n->name[0])
		snprintf(buf, len, "%s '%s'", n->op_type, n->name);
	else if (n->nout > 0 && n->out[0])
		snprintf(buf, len, "%s (output '%s')", n->op_type, n->out[0]->name);
	else
		snprintf(buf, len, "%s #%d", n->op_type, n->id);
	return buf;
}

static double half_to_double(uint16_t h)
{
	int e = (h >> 10) & 0x1f, m = h & 0x3ff;
	double v;

	if (e == 0)
		v = ldexp(m, -24);
	else if (e == 31)
		v = m ? NAN : INFINITY;
	else
		v = ldexp(m + 1024, e - 25);
	return (h & 0x8000) ? -v : v;
}

int pass_const_scalar(const ir_value *v, double *out)
{
	const unsigned char *p;
	size_t sz;

	if (!v || !v->data)
		return 0;
	sz = ir_dtype_size(v->dtype);
	if (sz == 0 || v->nbytes != sz)
		return 0;
	p = v->data;
	switch (v->dtype) {
	case IR_F32: { float f; memcpy(&f, p, 4); *out = f; return 1; }
	case IR_F64: memcpy(out, p, 8); return 1;
	case IR_F16: { uint16_t h; memcpy(&h, p, 2); *out = half_to_double(h); return 1; }
	case IR_BF16: {
		uint16_t h; uint32_t w; float f;
		memcpy(&h, p, 2);
		w = (uint32_t)h << 16;
		memcpy(&f, &w, 4);
		*out = f;
		return 1;
	}
	case IR_BOOL: case IR_U8: *out = p[0]; return 1;
	case IR_I8: *out = (int8_t)p[0]; return 1;
	case IR_I16: { int16_t x; memcpy(&x, p, 2); *out = x; return 1; }
	case IR_U16: { uint16_t x; memcpy(&x, p, 2); *out = x; return 1; }
	case IR_I32: { int32_t x; memcpy(&x, p, 4); *out = x; return 1; }
	case IR_U32: { uint32_t x; memcpy(&x, p, 4); *out = x; return 1; }
	case IR_I64: { int64_t x; memcpy(&x, p, 8); *out = (double)x; return 1; }
	case IR_U64: { uint64_t x; memcpy(&x, p, 8); *out = (double)x; return 1; }
	default: return 0;
	}
}

int pass_value_used(const ir_graph *g, const ir_value *v)
{
	return v && (v->is_output || ir_value_uses(g, v) > 0);
}

int pass_plain_conv(const ir_node *n)
{
	const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
	if (n->op != IR_OP_Conv || n->nout != 1 || !n->out[0] || n->out[0]->dtype != IR_F32 ||
	    n->nin < 2 || !n->in[0] || n->in[0]->shape.rank != 4 || !n->in[1]->data ||
	    !ir_shape_is_static(&n->in[1]->shape) || (n->nin > 3 && n->in[3]) ||
	    ir_attr_find(n, "kiln_alpha") || strcmp(ap, "NOTSET") != 0)
		return 0;
	const ir_value *b = n->nin > 2 ? n->in[2] : NULL;
	return !b || (b->data && b->dtype == IR_F32);
}

int pass_ints_all(const ir_node *n, const char *name, int count, int64_t want, int64_t dflt)
{
	const int64_t *v;
	if (!ir_attr_find(n, name))
		return dflt == want;
	if (ir_attr_ints(n, name, &v) != count)
		return 0;
	for (int i = 0; i < count; i++)
		if (v[i] != want)
			return 0;
	return 1;
}

void pass_take_output(ir_node *from, ir_node *to)
{
	ir_value *v = from->out[0];
	pass_drop_output(from, 0);
	from->dead = 1;
	ir_node_set_out(to, 0, v);
}

void pass_drop_output(ir_node *n, int i)
{
	ir_value *v = n->out[i];

	if (!v)
		return;
	if (v->producer == n) {
		v->producer = NULL;
		v->out_index = 0;
	}
	n->out[i] = NULL;
}

int pass_make_const(ir_graph *g, ir_value *v, const void *data, size_t nbytes)
{
	void *copy = ir_alloc(g->arena, nbytes ? nbytes : 1);

	if (!copy)
		return -1;
	memcpy(copy, data, nbytes);
	if (v->producer)
		pass_drop_output(v->producer, v->out_index);
	v->data = copy;
	v->nbytes = nbytes;
	return 0;
}

void pass_warn(const pass_options *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!o || !o->warn)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	o->warn(o->warn_ud, buf);
}

ir_value *pass_new_value(ir_graph *g, const ir_value *base, const char *suffix, ir_dtype t)
{
	char name[300];
	snprintf(name, sizeof name, "%.250s_%s", base->name, suffix);
	return ir_value_new(g, name, t);
}

ir_node *pass_sole_user(const ir_graph *g, const ir_value *v)
{
	if (!v || v->is_output || ir_value_uses(g, v) != 1)
		return NULL;
	for (int k = 0; k < g->nnodes; k++) {
		ir_node *n = g->nodes[k];
		for (int i = 0; !n->dead && i < n->nin; i++)
			if (n->in[i] == v)
				return n;
	}
	return NULL;
}

ir_value *pass_other_input(const ir_node *n, const ir_value *v)
{
	if (n->nin != 2)
		return NULL;
	return n->in[0] == v ? n->in[1] : n->in[1] == v ? n->in[0] : NULL;
}

int pass_const_matrix(const ir_value *v)
{
	return v && v->data && v->dtype == IR_F32 && v->shape.rank == 2 &&
	       ir_shape_is_static(&v->shape);
}

int pass_const_row(const ir_value *b, const ir_value *y)
{
	if (!b || !b->data || b->dtype != IR_F32 || b->shape.rank < 1 || y->shape.rank < 1)
		return 0;
	for (int i = 0; i + 1 < b->shape.rank; i++)
		if (!ir_dim_is_const(b->shape.d[i]) || b->shape.d[i].c != 1)
			return 0;
	return ir_dim_eq(b->shape.d[b->shape.rank - 1], y->shape.d[y->shape.rank - 1]);
}

int pass_rewrite_each(ir_graph *g, int (*rewrite)(ir_graph *, ir_node *), const char *what,
		      ir_status *st)
{
	int nn = g->nnodes, done = 0;     /* nodes added by rewrite are not visited */
	for (int k = 0; k < nn; k++) {
		ir_node *n = g->nodes[k];
		if (n->dead)
			continue;
		int r = rewrite(g, n);
		if (r < 0)
			return ir_fail(st, "out of memory %s", what);
		done += r;
	}
	/* new nodes sit at the end of the list: restore the order */
	return done ? ir_graph_toposort(g, st) : 0;
}
