/* fuse_conv.c — Conv epilogues: on f32,
 *   Y = Relu(Add(Conv(X, W, B), R))  or  Clip(...)  or  Add(Conv, R)  or
 *   Relu(Conv) / Clip(Conv) with constant bounds
 * -> Y = Conv(X, W, B, R) {kiln_clip_min, kiln_clip_max}
 * when each intermediate has no other use and is not a graph output, and R
 * has exactly the Conv output's type (no broadcasting). The kernel adds R
 * and clamps as it stores each output tile, so the tensor is written once
 * instead of three times. Runs last (after MC), on the final graph. */
#include <float.h>
#include <math.h>

#include "internal.h"

static int same_type(const ir_value *a, const ir_value *b)
{
	if (a->dtype != b->dtype || a->shape.rank != b->shape.rank)
		return 0;
	for (int i = 0; i < a->shape.rank; i++)
		if (!ir_dim_eq(a->shape.d[i], b->shape.d[i]))
			return 0;
	return 1;
}

/* Clip's constant bounds (attributes before opset 11, inputs after); 0 when
 * a bound is computed at run time. */
static int clip_bounds(const ir_node *n, float *lo, float *hi)
{
	*lo = -INFINITY;
	*hi = INFINITY;
	if (n->opset < 11) {
		*lo = ir_attr_float(n, "min", -FLT_MAX);
		*hi = ir_attr_float(n, "max", FLT_MAX);
		return 1;
	}
	double v;
	if (n->nin > 1 && n->in[1]) {
		if (!pass_const_scalar(n->in[1], &v))
			return 0;
		*lo = (float)v;
	}
	if (n->nin > 2 && n->in[2]) {
		if (!pass_const_scalar(n->in[2], &v))
			return 0;
		*hi = (float)v;
	}
	return 1;
}

static int fuse_at(ir_graph *g, ir_node *conv)
{
	ir_value *y = conv->out[0], *res = NULL;
	if (!y || y->dtype != IR_F32 || conv->nin < 2 || conv->nin > 3 || conv->nout != 1)
		return 0;
	ir_node *last = conv, *add = NULL, *u = pass_sole_user(g, y);
	if (u && u->op == IR_OP_Add) {
		ir_value *o = pass_other_input(u, y);
		if (o && o != y && same_type(o, y) && same_type(u->out[0], y)) {
			res = o;
			last = add = u;
			u = pass_sole_user(g, u->out[0]);
		}
	}
	float lo = -INFINITY, hi = INFINITY;
	int act = 0;
	if (u && u->op == IR_OP_Relu && same_type(u->out[0], y)) {
		lo = 0;
		act = 1;
	} else if (u && u->op == IR_OP_Clip && same_type(u->out[0], y) && clip_bounds(u, &lo, &hi)) {
		act = 1;
	}
	if (act)
		last = u;
	if (last == conv)
		return 0;

	ir_node *f = ir_node_new(g, "Conv", "", conv->name, 4, 1);
	if (!f)
		return -1;
	f->opset = conv->opset;
	f->attrs = conv->attrs;
	f->nattrs = conv->nattrs;
	for (int i = 0; i < conv->nin; i++)
		f->in[i] = conv->in[i];
	f->in[3] = res;
	if (act) {
		ir_attr *a = ir_node_add_attr(g, f, "kiln_clip_min", IR_ATTR_FLOAT);
		if (!a)
			return -1;
		a->f = lo;
		if (!(a = ir_node_add_attr(g, f, "kiln_clip_max", IR_ATTR_FLOAT)))
			return -1;
		a->f = hi;
	}
	ir_value *out = last->out[0];
	pass_drop_output(last, 0);
	conv->dead = 1;
	if (add)
		add->dead = 1;
	last->dead = 1;
	ir_node_set_out(f, 0, out);
	return 1;
}

int pass_fuse_conv(ir_graph *g, const pass_options *o, ir_status *st)
{
	(void)o;
	int nn = g->nnodes, fused = 0;     /* nodes added here are not scanned */
	for (int k = 0; k < nn; k++) {
		ir_node *n = g->nodes[k];
		if (n->dead || n->op != IR_OP_Conv)
			continue;
		int r = fuse_at(g, n);
		if (r < 0)
			return ir_fail(st, "out of memory fusing a Conv epilogue");
		fused += r;
	}
	/* the new node sits at the end of the list: restore the order */
	return fused ? ir_graph_toposort(g, st) : 0;
}
