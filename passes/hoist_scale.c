/* hoist_scale.c — a multiplication or division by a constant f32 scalar
 * moved above the data-movement ops that separate it from the product it
 * scales: Mul|Div(V(w), c) -> V(Mul|Div(w, c)) for V a Reshape, Flatten,
 * Squeeze, Unsqueeze, Identity or Transpose whose output nothing else reads.
 * The values are the same (the op is elementwise and the scalar does not
 * broadcast the shape); fuse_epilogue then folds the scale into the MatMul
 * below it. Attention's 1/sqrt(dh) on the queries is the case: it reaches
 * the query projection through the head split. */
#include "internal.h"

static int is_move(const ir_node *n)
{
	switch (n->op) {
	case IR_OP_Reshape: case IR_OP_Flatten: case IR_OP_Squeeze: case IR_OP_Unsqueeze:
	case IR_OP_Identity: case IR_OP_Transpose:
		return n->nout == 1 && n->nin >= 1 && n->in[0];
	default:
		return 0;
	}
}

static int hoist(ir_graph *g, ir_node *n)
{
	if ((n->op != IR_OP_Mul && n->op != IR_OP_Div) || n->nin != 2 || n->nout != 1 ||
	    !n->out[0] || n->out[0]->dtype != IR_F32)
		return 0;
	int moved = 0;
	for (;;) {
		/* the scaled operand: either side of Mul, the dividend of Div */
		int xi = n->op == IR_OP_Div ? 0 : pass_const_scalar(n->in[0], &(double){0}) ? 1 : 0;
		ir_value *x = n->in[xi], *c = n->in[1 - xi];
		double s;
		ir_node *v = x->producer;
		if (!pass_const_scalar(c, &s) || c->dtype != IR_F32 || x->dtype != IR_F32 ||
		    !v || v->dead || !is_move(v) || pass_sole_user(g, x) != n)
			return moved;
		/* w -> V -> x -> n -> y   becomes   w -> n -> w2 -> V -> y; the
		 * scalar must not broadcast w to a higher rank */
		ir_value *w = v->in[0], *y = n->out[0];
		if (c->shape.rank > w->shape.rank)
			return moved;
		ir_value *w2 = pass_new_value(g, w, "scaled", IR_F32);
		if (!w2)
			return -1;
		w2->shape = w->shape;
		w2->has_shape = 1;
		pass_drop_output(n, 0);
		pass_drop_output(v, 0);
		n->in[xi] = w;
		ir_node_set_out(n, 0, w2);
		v->in[0] = w2;
		ir_node_set_out(v, 0, y);
		moved = 1;
	}
}

int pass_hoist_scale(ir_graph *g, const pass_options *o, ir_status *st)
{
	(void)o;
	return pass_rewrite_each(g, hoist, "moving a scale up", st);
}
