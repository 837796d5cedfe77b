/* mc_region.c — the chunk loop of an MC-dropout build (passes/mc.c): the
 * nodes that depend on a stochastic Dropout run once per chunk of samples.
 *   region node := a Dropout with kiln_mc_samples, or a node with an input
 *                  made by a region node (KilnMcCollect's output excepted:
 *                  it holds every chunk's samples and is read after the loop)
 * ir_mc_schedule orders the nodes as [run once][region][after], so codegen
 * can put one loop around a contiguous run of nodes. */
#include <stdlib.h>

#include "ir.h"

static int mark_region(const ir_graph *g, uint8_t *node, uint8_t *val)
{
	int count = 0;
	for (int k = 0; k < g->nnodes; k++) {
		const ir_node *n = g->nodes[k];
		int in = n->op == IR_OP_Dropout && ir_attr_find(n, "kiln_mc_samples");
		for (int j = 0; j < n->nin && !in; j++)
			in = n->in[j] && val[n->in[j]->id];
		node[k] = (uint8_t)in;
		count += in;
		for (int j = 0; in && n->op != IR_OP_KilnMcCollect && j < n->nout; j++)
			if (n->out[j])
				val[n->out[j]->id] = 1;
	}
	return count;
}

int ir_mc_region(const ir_graph *g, uint8_t *node)
{
	uint8_t *val = calloc((size_t)g->nvalues + 1, 1);
	if (!val)
		return -1;
	int count = mark_region(g, node, val);
	free(val);
	return count;
}

int ir_mc_schedule(ir_graph *g, ir_status *st)
{
	int nn = g->nnodes, rc = 0;
	uint8_t *node = calloc((size_t)nn + 1, 1), *val = calloc((size_t)g->nvalues + 1, 1);
	uint8_t *after = calloc((size_t)g->nvalues + 1, 1), *done = calloc((size_t)g->nvalues + 1, 1);
	ir_node **order = malloc(sizeof *order * ((size_t)nn + 1));
	int *phase = malloc(sizeof *phase * ((size_t)nn + 1));
	if (!node || !val || !after || !done || !order || !phase) {
		rc = ir_fail(st, "out of memory");
		goto out;
	}
	mark_region(g, node, val);
	/* phase 0: runs once before the loop; 1: region; 2: reads what the
	 * region made (the statistics after KilnMcCollect) */
	for (int k = 0; k < nn; k++) {
		const ir_node *n = g->nodes[k];
		int p = node[k] ? 1 : 0;
		for (int j = 0; j < n->nin && !p; j++)
			if (n->in[j] && (val[n->in[j]->id] || after[n->in[j]->id]))
				p = 2;
		phase[k] = p;
		for (int j = 0; j < n->nout; j++)
			if (n->out[j] && (p == 2 || n->op == IR_OP_KilnMcCollect))
				after[n->out[j]->id] = 1;
	}
	int m = 0;
	for (int p = 0; p < 3; p++)
		for (int k = 0; k < nn; k++)
			if (phase[k] == p)
				order[m++] = g->nodes[k];
	/* the new order must still define each value before its use */
	for (int i = 0; i < g->nvalues; i++)
		done[i] = !g->values[i]->producer;
	for (int k = 0; k < m && !rc; k++) {
		const ir_node *n = order[k];
		for (int j = 0; j < n->nin; j++)
			if (n->in[j] && !done[n->in[j]->id]) {
				rc = ir_fail(st, "internal error: %s cannot run in the MC sample loop",
					     ir_node_label(n));
				break;
			}
		for (int j = 0; j < n->nout; j++)
			if (n->out[j])
				done[n->out[j]->id] = 1;
	}
	if (!rc)
		for (int k = 0; k < m; k++)
			g->nodes[k] = order[k];
out:
	free(node);
	free(val);
	free(after);
	free(done);
	free(order);
	free(phase);
	return rc;
}
