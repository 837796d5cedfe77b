/* identity.c — Identity removal:
 *   Y = Identity(X) -> uses of Y use X                  (Y not a graph output)
 *   X = op(...); Y = Identity(X) -> Y = op(...)         (Y a graph output, X an
 *                                   intermediate that is not itself an output)
 * An Identity whose output is a graph output and whose input is a graph
 * input, a constant or another graph output is kept: the output must keep
 * its own name and storage, and codegen copies. Preserves dtypes/shapes. */
#include "internal.h"

/* Y (a graph output) takes over X's place as output of X's producer. */
static void identity_rewire(ir_graph *g, ir_node *n, ir_value *x, ir_value *y)
{
	ir_node *p = x->producer;
	int k = x->out_index;

	ir_replace_uses(g, x, y);     /* X is not a graph output: node inputs only */
	p->out[k] = y;
	y->producer = p;
	y->out_index = k;
	y->dtype = x->dtype;
	y->has_shape = x->has_shape;
	y->shape = x->shape;
	if (!y->symdata)
		y->symdata = x->symdata;
	x->producer = NULL;
	x->out_index = 0;
	n->dead = 1;
}

int pass_identity(ir_graph *g, const pass_options *o, ir_status *st)
{
	int i;

	for (i = 0; i < g->nnodes; i++) {
		ir_node *n = g->nodes[i];
		ir_value *x, *y;

		if (n->dead || n->op != IR_OP_Identity || n->nin < 1 || n->nout < 1)
			continue;
		x = n->in[0];
		y = n->out[0];
		if (!x) {
			continue;     /* malformed; the verifier reports it */
		} else if (!y) {
			n->dead = 1;
		} else if (!y->is_output) {
			ir_replace_uses(g, y, x);
			n->dead = 1;
		} else if (x && x->producer && !x->producer->dead && !x->is_output &&
			   !x->is_input && !x->data) {
			identity_rewire(g, n, x, y);
		}
	}
	return 0;
}
