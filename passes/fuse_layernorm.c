/* fuse_layernorm.c — the layer normalisation that exporters write out op
 * by op (PyTorch before opset 17, many Keras converters):
 *   m = ReduceMean(x, [-1]); d = Sub(x, m); v = ReduceMean(Pow(d, 2), [-1])
 *   y = Add(Mul(Div(d, Sqrt(Add(v, eps))), gamma), beta)
 * -> y = LayerNormalization(x, gamma, beta) {axis = -1, epsilon = eps}
 * when gamma and beta are constants over the last axis, eps a constant
 * scalar, and no intermediate value has another use or is a graph output.
 * The Add of beta may be absent. One kernel then reads x twice instead of
 * nine loops each reading and writing a tensor. The old nodes are left for
 * dead-code elimination. */
#include "internal.h"

/* ReduceMean of x over its last axis only, keeping dims. */
static int mean_last(const ir_node *n, const ir_value *x)
{
	if (!n || n->op != IR_OP_ReduceMean || n->in[0] != x || !x->has_shape || x->shape.rank < 1)
		return 0;
	if (ir_attr_int(n, "keepdims", 1) != 1)
		return 0;
	int64_t axis;
	const int64_t *ax;
	if (n->nin > 1 && n->in[1]) {
		const ir_value *a = n->in[1];
		if (!a->data || a->dtype != IR_I64 || a->nbytes != sizeof(int64_t))
			return 0;
		axis = *(const int64_t *)a->data;
	} else if (ir_attr_ints(n, "axes", &ax) == 1) {
		axis = ax[0];
	} else {
		return 0;
	}
	return axis == -1 || axis == x->shape.rank - 1;
}

/* A constant vector over x's last axis (shape [D] with D = last dim). */
static int last_axis_const(const ir_value *w, const ir_value *x)
{
	ir_dim d = x->shape.d[x->shape.rank - 1];
	return w && w->data && w->dtype == x->dtype && w->shape.rank == 1 &&
	       ir_dim_is_const(d) && ir_dim_eq(w->shape.d[0], d);
}

static int is_const_value(const ir_value *v, double want)
{
	double c;
	return pass_const_scalar(v, &c) && c == want;
}

static int fuse_at(ir_graph *g, ir_node *m1)
{
	if (m1->op != IR_OP_ReduceMean || m1->nin < 1 || m1->nout < 1)
		return 0;
	ir_value *x = m1->in[0];
	if (!x || (x->dtype != IR_F32 && x->dtype != IR_F64) || !mean_last(m1, x))
		return 0;
	ir_node *sub = pass_sole_user(g, m1->out[0]);
	if (!sub || sub->op != IR_OP_Sub || sub->in[0] != x || sub->in[1] != m1->out[0])
		return 0;
	ir_value *d = sub->out[0];
	if (d->is_output || ir_value_uses(g, d) != 2)
		return 0;
	ir_node *pw = NULL, *div = NULL;
	for (int k = 0; k < g->nnodes; k++) {
		ir_node *n = g->nodes[k];
		if (n->dead || n->nin < 2 || n->in[0] != d)
			continue;
		if (n->op == IR_OP_Pow && is_const_value(n->in[1], 2.0))
			pw = n;
		else if (n->op == IR_OP_Div)
			div = n;
	}
	if (!pw || !div)
		return 0;
	ir_node *m2 = pass_sole_user(g, pw->out[0]);
	if (!m2 || !mean_last(m2, pw->out[0]))
		return 0;
	ir_node *add = pass_sole_user(g, m2->out[0]);
	ir_value *epsv = add && add->op == IR_OP_Add ? pass_other_input(add, m2->out[0]) : NULL;
	double eps;
	if (!epsv || !pass_const_scalar(epsv, &eps))
		return 0;
	ir_node *sq = pass_sole_user(g, add->out[0]);
	if (!sq || sq->op != IR_OP_Sqrt || div->in[1] != sq->out[0] ||
	    pass_sole_user(g, sq->out[0]) != div)
		return 0;
	ir_node *mul = pass_sole_user(g, div->out[0]);
	ir_value *gamma = mul && mul->op == IR_OP_Mul ? pass_other_input(mul, div->out[0]) : NULL;
	if (!last_axis_const(gamma, x))
		return 0;
	ir_node *last = mul, *badd = pass_sole_user(g, mul->out[0]);
	ir_value *beta = badd && badd->op == IR_OP_Add ? pass_other_input(badd, mul->out[0]) : NULL;
	if (last_axis_const(beta, x))
		last = badd;
	else
		beta = NULL;
	ir_value *y = last->out[0];
	if (!y->has_shape || y->dtype != x->dtype || y->shape.rank != x->shape.rank)
		return 0;

	ir_node *ln = ir_node_new(g, "LayerNormalization", "", m1->name, beta ? 3 : 2, 1);
	ir_attr *a = ln ? ir_node_add_attr(g, ln, "axis", IR_ATTR_INT) : NULL;
	if (a)
		a->i = -1;
	if (a && (a = ir_node_add_attr(g, ln, "epsilon", IR_ATTR_FLOAT)))
		a->f = (float)eps;
	if (!a)
		return -1;
	ln->in[0] = x;
	ln->in[1] = gamma;
	if (beta)
		ln->in[2] = beta;
	pass_take_output(last, ln);
	return 1;
}

int pass_fuse_layernorm(ir_graph *g, const pass_options *o, ir_status *st)
{
	(void)o;
	return pass_rewrite_each(g, fuse_at, "fusing LayerNormalization", st);
}
