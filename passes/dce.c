/* dce.c — dead-code elimination: a node is live when one of its outputs
 * reaches a graph output (walking back from the outputs through live
 * nodes' inputs); every other node is marked dead. Constants nobody uses
 * simply stay unreferenced. Preserves every live value untouched. */
#include <stdlib.h>

#include "internal.h"

int pass_dce(ir_graph *g, const pass_options *o, ir_status *st)
{
	char *live = calloc((size_t)g->next_node_id + 1, 1);
	ir_node **stack = malloc(sizeof *stack * ((size_t)g->nnodes + 1));
	int sp = 0, i, j;

	if (!live || !stack) {
		free(live);
		free(stack);
		return ir_fail(st, "out of memory in dead-code elimination");
	}
	for (i = 0; i < g->noutputs; i++) {
		ir_node *p = g->outputs[i] ? g->outputs[i]->producer : NULL;

		if (p && !p->dead && !live[p->id]) {
			live[p->id] = 1;
			stack[sp++] = p;
		}
	}
	while (sp > 0) {
		ir_node *n = stack[--sp];

		for (j = 0; j < n->nin; j++) {
			ir_node *p = n->in[j] ? n->in[j]->producer : NULL;

			if (p && !p->dead && !live[p->id]) {
				live[p->id] = 1;
				stack[sp++] = p;
			}
		}
	}
	for (i = 0; i < g->nnodes; i++)
		if (!live[g->nodes[i]->id])
			g->nodes[i]->dead = 1;
	free(live);
	free(stack);
	return 0;
}
