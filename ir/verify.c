/* verify.c — structural checks run between passes: every node input is
 * defined before use (graph input, constant or output of an earlier live
 * node), producer links agree with node outputs, every used or produced
 * value has a dtype and shape, and every graph output is defined. */
#include <stdlib.h>

#include "ir.h"

static int check_value(const ir_value *v, const char *where, ir_status *st)
{
	if (v->dtype == IR_UNDEF || v->dtype >= IR_NDTYPES)
		return ir_fail(st, "%s: value '%s' has no element type", where, v->name);
	if (!v->has_shape)
		return ir_fail(st, "%s: value '%s' has no shape", where, v->name);
	if (v->shape.rank < 0 || v->shape.rank > IR_MAX_RANK)
		return ir_fail(st, "%s: value '%s' has rank %d", where, v->name,
			       v->shape.rank);
	if (v->symdata && (v->shape.rank > 1 || v->dtype != IR_I64))
		return ir_fail(st, "%s: value '%s' has symdata but is not 0/1-D i64",
			       where, v->name);
	return 0;
}

/* defined[id]: 1 once the value is available. */
static int check_input(const ir_graph *g, const ir_node *n, const ir_value *v,
		       const char *defined, ir_status *st)
{
	if (v->id < 0 || v->id >= g->nvalues || g->values[v->id] != v)
		return ir_fail(st, "%s uses '%s', which is not in the graph's values",
			       ir_node_label(n), v->name);
	if (!defined[v->id])
		return ir_fail(st, "%s uses '%s' before it is defined",
			       ir_node_label(n), v->name);
	return check_value(v, ir_node_label(n), st);
}

static int check_node(const ir_graph *g, const ir_node *n, char *defined,
		      ir_status *st)
{
	if (n->nin < 0 || n->nout < 0 || (n->nin && !n->in) || (n->nout && !n->out))
		return ir_fail(st, "%s has malformed input/output arrays",
			       ir_node_label(n));
	for (int j = 0; j < n->nin; j++)
		if (n->in[j] && check_input(g, n, n->in[j], defined, st))
			return -1;
	for (int j = 0; j < n->nout; j++) {
		ir_value *v = n->out[j];
		if (!v)
			continue;
		if (v->producer != n || v->out_index != j)
			return ir_fail(st, "%s: output '%s' does not point back to it",
				       ir_node_label(n), v->name);
		if (v->id < 0 || v->id >= g->nvalues || g->values[v->id] != v)
			return ir_fail(st, "%s: output '%s' is not in the graph's values",
				       ir_node_label(n), v->name);
		if (defined[v->id])
			return ir_fail(st, "%s: value '%s' is defined twice",
				       ir_node_label(n), v->name);
		if (check_value(v, ir_node_label(n), st))
			return -1;
		defined[v->id] = 1;
	}
	return 0;
}

int ir_verify(const ir_graph *g, ir_status *st)
{
	char *defined = calloc((size_t)g->nvalues + 1, 1);
	if (!defined)
		return ir_fail(st, "out of memory verifying graph");
	int rc = 0;
	for (int i = 0; i < g->nvalues && rc == 0; i++) {
		const ir_value *v = g->values[i];
		if (v->id != i)
			rc = ir_fail(st, "value '%s' has id %d at index %d", v->name,
				     v->id, i);
		else if (!v->producer && (v->is_input || v->data))
			defined[i] = 1;
	}
	for (int i = 0; i < g->ninputs && rc == 0; i++)
		if (!g->inputs[i]->is_input)
			rc = ir_fail(st, "graph input '%s' is not marked as an input",
				     g->inputs[i]->name);
	for (int i = 0; i < g->nnodes && rc == 0; i++)
		if (!g->nodes[i]->dead)
			rc = check_node(g, g->nodes[i], defined, st);
	for (int i = 0; i < g->noutputs && rc == 0; i++) {
		const ir_value *v = g->outputs[i];
		if (!v)
			rc = ir_fail(st, "graph output %d is missing", i);
		else if (v->id < 0 || v->id >= g->nvalues || !defined[v->id])
			rc = ir_fail(st, "graph output '%s' is never defined", v->name);
		else
			rc = check_value(v, "graph output", st);
	}
	free(defined);
	return rc;
}
