/* batchnorm.c — BatchNormalization to inference form (run by pass_dropout):
 *   Y, mean, var, ... = BatchNormalization(X, s, b, m, v) -> Y = BN(X, s, b, m, v)
 * i.e. the extra outputs (running / saved statistics) are detached and the
 * training_mode attribute (opset >= 14) or is_test (opset < 7) is set to
 * inference. kiln's codegen implements only the running-statistics form;
 * a graph that uses a dropped output fails with a message naming the node.
 * In --mode=training a training-form BatchNormalization also gets a warning,
 * since batch statistics are not computed. */
#include <string.h>

#include "internal.h"

int pass_bn_is_training(const ir_node *n)
{
	int i;

	if (n->op != IR_OP_BatchNormalization)
		return 0;
	if (n->opset >= 14 && ir_attr_int(n, "training_mode", 0) != 0)
		return 1;
	for (i = 1; i < n->nout; i++)
		if (n->out[i])
			return 1;
	return 0;
}

static void set_int_attr(ir_node *n, const char *name, int64_t v)
{
	int i;

	for (i = 0; i < n->nattrs; i++)
		if (n->attrs[i].kind == IR_ATTR_INT && strcmp(n->attrs[i].name, name) == 0)
			n->attrs[i].i = v;
}

static int bn_to_inference(ir_graph *g, ir_node *n, const pass_options *o, ir_status *st)
{
	char lb[200];
	int i;

	for (i = 1; i < n->nout; i++) {
		if (!n->out[i])
			continue;
		if (pass_value_used(g, n->out[i]))
			return ir_fail(st, "%s: output '%s' (training statistics) is used, but kiln "
				       "compiles BatchNormalization only in inference form",
				       pass_label(n, lb, sizeof lb), n->out[i]->name);
		pass_drop_output(n, i);
	}
	if (o->mode == PASS_MODE_TRAINING)
		pass_warn(o, "%s: training-form BatchNormalization is compiled with running "
			  "statistics (batch statistics are not supported)",
			  pass_label(n, lb, sizeof lb));
	n->nout = 1;
	set_int_attr(n, "training_mode", 0);
	set_int_attr(n, "is_test", 1);
	return 0;
}

int pass_batchnorm(ir_graph *g, const pass_options *o, ir_status *st)
{
	int i;

	for (i = 0; i < g->nnodes; i++) {
		ir_node *n = g->nodes[i];

		if (n->dead || !pass_bn_is_training(n))
			continue;
		if (bn_to_inference(g, n, o, st))
			return -1;
	}
	return 0;
}
