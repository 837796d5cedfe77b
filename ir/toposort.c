/* toposort.c — ir_graph_toposort: Kahn's algorithm over the live nodes,
 * stable (among ready nodes the one earliest in the current order goes
 * first, via a min-heap of positions), dropping dead nodes. Fails on a cycle
 * or on an input/output that nothing defines. */
#include <stdlib.h>

#include "ir.h"

typedef struct {
	int *a;
	int n;
} heap;

static void heap_push(heap *h, int x)
{
	int i = h->n++;
	while (i > 0 && h->a[(i - 1) / 2] > x) {
		h->a[i] = h->a[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->a[i] = x;
}

static int heap_pop(heap *h)
{
	int top = h->a[0], x = h->a[--h->n], i = 0;
	for (;;) {
		int c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->a[c + 1] < h->a[c])
			c++;
		if (h->a[c] >= x)
			break;
		h->a[i] = h->a[c];
		i = c;
	}
	h->a[i] = x;
	return top;
}

/* Position of v's producer among live nodes, -1 for inputs/constants, -2
 * when v is undefined (fills st). */
static int producer_pos(ir_graph *g, const int *pos, const ir_value *v,
			const char *user, ir_status *st)
{
	if (v->producer) {
		int id = v->producer->id;
		if (id >= 0 && id < g->next_node_id && pos[id] >= 0)
			return pos[id];
		ir_fail(st, "%s uses '%s', whose producer %s is not in the graph",
			user, v->name, ir_node_label(v->producer));
		return -2;
	}
	if (v->is_input || v->data)
		return -1;
	ir_fail(st, "%s uses '%s', which no node, input or initializer defines",
		user, v->name);
	return -2;
}

typedef struct {
	ir_node **live;
	int nlive;
	int *pos;      /* node id -> live position or -1 */
	int *indeg;
	int *start;    /* CSR consumer lists: start[p]..start[p+1] */
	int *edges;
} topo;

static int topo_build(ir_graph *g, topo *t, ir_status *st)
{
	for (int i = 0; i < g->next_node_id; i++)
		t->pos[i] = -1;
	for (int i = 0; i < g->nnodes; i++) {
		ir_node *n = g->nodes[i];
		if (n->dead)
			continue;
		t->pos[n->id] = t->nlive;
		t->live[t->nlive++] = n;
	}
	for (int k = 0; k < 2; k++) {  /* pass 0 counts, pass 1 fills */
		for (int i = 0; i < t->nlive; i++) {
			ir_node *n = t->live[i];
			for (int j = 0; j < n->nin; j++) {
				if (!n->in[j])
					continue;
				int p = producer_pos(g, t->pos, n->in[j],
						     ir_node_label(n), st);
				if (p == -2)
					return -1;
				if (p < 0)
					continue;
				if (k == 0) {
					t->start[p + 1]++;
					t->indeg[i]++;
				} else {
					t->edges[t->start[p]++] = i;
				}
			}
		}
		if (k == 0)
			for (int i = 0; i < t->nlive; i++)
				t->start[i + 1] += t->start[i];
	}
	/* Fill pass advanced start[p] to the end of p's list; shift back. */
	for (int i = t->nlive; i > 0; i--)
		t->start[i] = t->start[i - 1];
	t->start[0] = 0;
	return 0;
}

static int topo_run(ir_graph *g, topo *t, ir_status *st)
{
	heap h = {malloc(sizeof(int) * (size_t)(t->nlive + 1)), 0};
	ir_node **order = ir_alloc(g->arena, sizeof(ir_node *) * (size_t)(t->nlive + 1));
	if (!h.a || !order) {
		free(h.a);
		return ir_fail(st, "out of memory sorting graph");
	}
	for (int i = 0; i < t->nlive; i++)
		if (t->indeg[i] == 0)
			heap_push(&h, i);
	int done = 0;
	while (h.n) {
		int p = heap_pop(&h);
		order[done++] = t->live[p];
		for (int e = t->start[p]; e < t->start[p + 1]; e++)
			if (--t->indeg[t->edges[e]] == 0)
				heap_push(&h, t->edges[e]);
	}
	free(h.a);
	if (done < t->nlive) {
		for (int i = 0; i < t->nlive; i++)
			if (t->indeg[i] > 0)
				return ir_fail(st, "graph has a cycle through %s",
					       ir_node_label(t->live[i]));
	}
	g->nodes = order;
	g->nnodes = done;
	g->cap_nodes = t->nlive + 1;
	return 0;
}

int ir_graph_toposort(ir_graph *g, ir_status *st)
{
	size_t nn = (size_t)g->nnodes + 1, ni = (size_t)g->next_node_id + 1;
	size_t nedges = 1;
	for (int i = 0; i < g->nnodes; i++)
		nedges += (size_t)g->nodes[i]->nin;
	topo t = {0};
	t.live = malloc(sizeof(ir_node *) * nn);
	t.pos = malloc(sizeof(int) * ni);
	t.indeg = calloc(nn, sizeof(int));
	t.start = calloc(nn + 1, sizeof(int));
	t.edges = malloc(sizeof(int) * nedges);
	int rc;
	if (!t.live || !t.pos || !t.indeg || !t.start || !t.edges)
		rc = ir_fail(st, "out of memory sorting graph");
	else
		rc = topo_build(g, &t, st);
	if (rc == 0)
		rc = topo_run(g, &t, st);
	for (int i = 0; rc == 0 && i < g->noutputs; i++) {
		ir_value *v = g->outputs[i];
		if (v && v->producer && v->producer->dead)
			rc = ir_fail(st, "graph output '%s' is produced by removed %s",
				     v->name, ir_node_label(v->producer));
		else if (v && !v->producer && !v->is_input && !v->data)
			rc = ir_fail(st, "graph output '%s' is never defined", v->name);
	}
	free(t.live);
	free(t.pos);
	free(t.indeg);
	free(t.start);
	free(t.edges);
	return rc;
}
