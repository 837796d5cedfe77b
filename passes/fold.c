/* fold.c — constant folding over a typed graph (ir_infer_shapes ran):
 *   Y = op(C1, C2...) -> Y := const   when every present input is known
 *   (data, or symdata for the shape ops; Shape and Size only need a shaped
 *   input) and ir_ops[op].fold evaluates it. A node whose outputs all end up
 *   with data is removed (outputs become constants, producer NULL); outputs
 *   known only as symdata (dims with a batch N) keep their producer. Nodes
 *   whose outputs are still untyped (added by a pass) are inferred first.
 *   Then, for the PyTorch Shape->Gather->Unsqueeze->Concat->Reshape idiom:
 *   Y = Reshape(X, S) with S not constant -> Y = Reshape(X, const)  where
 *   const holds Y's inferred dims, -1 for the single symbolic one, so the
 *   shape computation becomes dead. Preserves all dtypes/shapes. */
#include <string.h>

#include "internal.h"

static int typed(const ir_value *v)
{
	return v->dtype != IR_UNDEF && v->has_shape;
}

/* Runs n's inference hook when one of its outputs is untyped. */
static int infer_node(ir_graph *g, ir_node *n, ir_status *st)
{
	int i, need = 0;

	for (i = 0; i < n->nout; i++)
		need |= n->out[i] && !typed(n->out[i]);
	if (!need)
		return 0;
	if (n->op >= IR_OP_COUNT || !ir_ops[n->op].infer)
		return ir_fail(st, "unsupported operator %s%s%s (node '%s')", n->domain,
			       n->domain[0] ? "::" : "", n->op_type, n->name);
	for (i = 0; i < n->nin; i++)
		if (n->in[i] && !typed(n->in[i]))
			return ir_fail(st, "%s: input '%s' has unknown type or shape",
				       ir_node_label(n), n->in[i]->name);
	return ir_ops[n->op].infer(g, n, st) ? -1 : 0;
}

static int fold_ready(const ir_node *n)
{
	int i;

	if (n->op == IR_OP_Shape || n->op == IR_OP_Size)
		return n->nin >= 1 && n->in[0] && n->in[0]->has_shape;
	for (i = 0; i < n->nin; i++)
		if (n->in[i] && !n->in[i]->data && !n->in[i]->symdata)
			return 0;
	return 1;
}

/* 1 when every present output of n has data (and there is one). */
static int outputs_constant(const ir_node *n)
{
	int i, any = 0;

	for (i = 0; i < n->nout; i++) {
		if (!n->out[i])
			continue;
		if (!n->out[i]->data)
			return 0;
		any = 1;
	}
	return any;
}

static void node_remove(ir_node *n)
{
	int i;

	for (i = 0; i < n->nout; i++)
		if (n->out[i])
			pass_drop_output(n, i);
	n->dead = 1;
}

/* Infers n, folds it if possible; 1 when n was removed, -1 on error. */
static int fold_node(ir_graph *g, ir_node *n, ir_status *st)
{
	int rc;

	if (infer_node(g, n, st))
		return -1;
	if (n->stochastic || n->op == IR_OP_Dropout)
		return 0;
	if (ir_ops[n->op].fold && fold_ready(n)) {
		rc = ir_ops[n->op].fold(g, n, st);
		if (rc < 0)
			return -1;
	}
	if (!outputs_constant(n))
		return 0;
	node_remove(n);
	return 1;
}

/* Reshape(X, S) with S computed -> Reshape(X, constant dims of Y). */
static int reshape_const(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *y = n->out[0], *s = n->nin > 1 ? n->in[1] : NULL, *c;
	int64_t dims[IR_MAX_RANK];
	ir_shape cs = {1, {{0, -1}}};
	char name[300];
	int i, nsym = 0;

	if (!s || s->data || !y || !y->has_shape)
		return 0;
	for (i = 0; i < y->shape.rank; i++) {
		ir_dim d = y->shape.d[i];

		if (d.c == 0)
			return 0;    /* -1 cannot be resolved next to a 0 dim */
		if (!ir_dim_is_const(d))
			nsym++;
		dims[i] = ir_dim_is_const(d) ? d.c : -1;
	}
	if (nsym > 1)
		return 0;
	cs.d[0] = ir_dim_const(y->shape.rank);
	snprintf(name, sizeof name, "%s_shape", y->name);
	c = ir_const_new(g, name, IR_I64, &cs, dims);
	if (!c)
		return ir_fail(st, "out of memory");
	n->in[1] = c;
	return 0;
}

int pass_fold(ir_graph *g, const pass_options *o, ir_status *st)
{
	int i;

	for (i = 0; i < g->nnodes; i++) {
		ir_node *n = g->nodes[i];

		if (n->dead)
			continue;
		if (fold_node(g, n, st) < 0)
			return -1;
		if (!n->dead && n->op == IR_OP_Reshape && reshape_const(g, n, st))
			return -1;
	}
	return 0;
}
