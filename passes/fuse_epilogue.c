/* fuse_epilogue.c — output epilogues fused into Conv, Gemm and MatMul,
 * whose kernels apply them as they store each output tile (the tensor is
 * written once instead of once per op). On f32:
 *   Y = Relu|Clip(Add(P, R))  or  Add(P, R)  or  Relu|Clip(P)
 * where P is Conv(X, W[, B]), Gemm(A, B, [C]) with B constant and C absent
 * or a row over N, or MatMul(A, B) with B a constant matrix, optionally
 * followed by Add(., bias) with bias a constant row over N and then by a
 * Mul or Div by a constant scalar (MatMul only) -> one P node with inputs
 * (..., bias or C, R) and attributes kiln_alpha (the scale, of product and
 * bias) and kiln_clip_min / kiln_clip_max when fused. Each
 * intermediate must have no other use and not be a graph output; R must
 * have exactly P's type (no broadcasting); Clip bounds must be constants.
 * Runs last (after MC), on the final graph. */
#include <float.h>
#include <math.h>

#include "internal.h"

static int same_type(const ir_value *a, const ir_value *b)
{
	return a->dtype == b->dtype && ir_shape_eq(&a->shape, &b->shape);
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

/* 1 when n's kernel can take an epilogue (see the top of the file). */
static int takes_epilogue(const ir_node *n)
{
	if (n->nout != 1 || !n->out[0] || n->out[0]->dtype != IR_F32)
		return 0;
	switch (n->op) {
	case IR_OP_Conv:
		return n->nin >= 2 && n->nin <= 3;
	case IR_OP_Gemm: {
		const ir_value *c = n->nin > 2 ? n->in[2] : NULL;
		if (n->nin < 2 || n->nin > 3 || !pass_const_matrix(n->in[1]))
			return 0;
		return !c || (c->shape.rank <= 2 && pass_const_row(c, n->out[0]));
	}
	case IR_OP_MatMul:
		return n->nin == 2 && n->in[0]->dtype == IR_F32 && n->in[0]->shape.rank >= 2 &&
		       pass_const_matrix(n->in[1]);
	default:
		return 0;
	}
}

/* Appends u to the chain being fused; cur becomes its output, and the
 * result is the next node in line (that output's sole reader, or NULL). */
static ir_node *take(const ir_graph *g, ir_node **chain, int *nc, ir_node *u, ir_value **cur)
{
	chain[(*nc)++] = u;
	*cur = u->out[0];
	return pass_sole_user(g, *cur);
}

static int fuse_at(ir_graph *g, ir_node *p)
{
	if (!takes_epilogue(p))
		return 0;
	ir_value *y = p->out[0], *cur = y, *bias = NULL, *res = NULL;
	ir_node *chain[4];
	int nc = 0;
	ir_node *u = pass_sole_user(g, cur);
	/* MatMul + Add(constant row): the bias of a Linear layer */
	if (p->op == IR_OP_MatMul && u && u->op == IR_OP_Add) {
		ir_value *o = pass_other_input(u, cur);
		if (o && o != cur && pass_const_row(o, y) && same_type(u->out[0], y)) {
			bias = o;
			u = take(g, chain, &nc, u, &cur);
		}
	}
	/* MatMul [+ bias] then * or / a constant scalar (hoist_scale puts it here) */
	double sc = 1;
	int scaled = 0;
	if (p->op == IR_OP_MatMul && u && (u->op == IR_OP_Mul || u->op == IR_OP_Div) &&
	    same_type(u->out[0], y)) {
		ir_value *o = pass_other_input(u, cur);
		if (o && o != cur && (u->op == IR_OP_Mul || u->in[0] == cur) &&
		    o->dtype == IR_F32 && pass_const_scalar(o, &sc) && sc != 0) {
			sc = u->op == IR_OP_Div ? 1.0 / sc : sc;
			scaled = 1;
			u = take(g, chain, &nc, u, &cur);
		}
	}
	if (u && u->op == IR_OP_Add) {
		ir_value *o = pass_other_input(u, cur);
		if (o && o != cur && same_type(o, y) && same_type(u->out[0], y)) {
			res = o;
			u = take(g, chain, &nc, u, &cur);
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
		chain[nc++] = u;
	if (!nc)
		return 0;

	/* inputs: the producer's, then Conv's B / Gemm's C / MatMul's bias at
	 * 2 and the residual at 3 */
	ir_node *f = ir_node_new(g, p->op_type, "", p->name, 4, 1);
	if (!f)
		return -1;
	f->opset = p->opset;
	f->attrs = p->attrs;
	f->nattrs = p->nattrs;
	for (int i = 0; i < p->nin; i++)
		f->in[i] = p->in[i];
	if (bias)
		f->in[2] = bias;
	f->in[3] = res;
	if (scaled) {
		ir_attr *a = ir_node_add_attr(g, f, "kiln_alpha", IR_ATTR_FLOAT);
		if (!a)
			return -1;
		a->f = (float)sc;
	}
	if (act) {
		ir_attr *a = ir_node_add_attr(g, f, "kiln_clip_min", IR_ATTR_FLOAT);
		if (!a)
			return -1;
		a->f = lo;
		if (!(a = ir_node_add_attr(g, f, "kiln_clip_max", IR_ATTR_FLOAT)))
			return -1;
		a->f = hi;
	}
	p->dead = 1;
	for (int i = 0; i < nc; i++)
		chain[i]->dead = 1;
	pass_take_output(chain[nc - 1], f);
	return 1;
}

int pass_fuse_epilogue(ir_graph *g, const pass_options *o, ir_status *st)
{
	(void)o;
	return pass_rewrite_each(g, fuse_at, "fusing an epilogue", st);
}
