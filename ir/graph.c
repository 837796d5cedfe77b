/* graph.c — building and editing graphs: values (with a name index),
 * nodes, attributes, constants, symbolic dims, use replacement and the
 * topological sort. All memory comes from the graph's arena; the arrays in
 * ir_graph grow by doubling (old copies stay in the arena until freed). */
#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

/* The graph plus its private name index (open addressing, value indices). */
typedef struct {
	ir_graph g;
	int *slots;          /* -1 empty, else index into g.values */
	int nslots;          /* power of two */
	int nindexed;        /* g.nvalues when the index was built/updated */
	ir_value **indexed;  /* g.values when the index was built/updated */
} graph_priv;

int ir_fail(ir_status *st, const char *fmt, ...)
{
	if (!st)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof st->msg, fmt, ap);
	va_end(ap);
	st->code = -1;
	return -1;
}

ir_graph *ir_graph_new(void)
{
	ir_arena *a = ir_arena_new();
	if (!a)
		return NULL;
	graph_priv *p = ir_alloc(a, sizeof *p);
	if (!p) {
		ir_arena_free(a);
		return NULL;
	}
	p->g.arena = a;
	p->g.name = "";
	p->g.opset = 17;
	return &p->g;
}

void ir_graph_free(ir_graph *g)
{
	if (!g)
		return;
	graph_priv *p = (graph_priv *)g;
	free(p->slots);
	ir_arena_free(g->arena);
}

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static void index_put(graph_priv *p, int idx)
{
	uint32_t m = (uint32_t)p->nslots - 1;
	uint32_t h = hash_str(p->g.values[idx]->name) & m;
	while (p->slots[h] >= 0)
		h = (h + 1) & m;
	p->slots[h] = idx;
}

/* Rebuilds the index when values were added behind our back or the array
 * was replaced; grows it to keep the load factor under 1/2. */
static int index_sync(graph_priv *p)
{
	ir_graph *g = &p->g;
	if (p->slots && p->indexed == g->values && p->nindexed == g->nvalues)
		return 0;
	int need = 16;
	while (need < 2 * g->nvalues + 2)
		need *= 2;
	if (need != p->nslots || p->indexed != g->values
	    || p->nindexed > g->nvalues) {
		int *s = malloc(sizeof(int) * (size_t)need);
		if (!s)
			return -1;
		free(p->slots);
		p->slots = s;
		p->nslots = need;
		memset(s, 0xff, sizeof(int) * (size_t)need);
		p->nindexed = 0;
	}
	for (int i = p->nindexed; i < g->nvalues; i++)
		index_put(p, i);
	p->nindexed = g->nvalues;
	p->indexed = g->values;
	return 0;
}

ir_value *ir_graph_find(ir_graph *g, const char *name)
{
	graph_priv *p = (graph_priv *)g;
	if (!name)
		return NULL;
	if (index_sync(p) < 0) {
		for (int i = 0; i < g->nvalues; i++)
			if (strcmp(g->values[i]->name, name) == 0)
				return g->values[i];
		return NULL;
	}
	uint32_t m = (uint32_t)p->nslots - 1;
	for (uint32_t h = hash_str(name) & m; p->slots[h] >= 0; h = (h + 1) & m) {
		ir_value *v = g->values[p->slots[h]];
		if (strcmp(v->name, name) == 0)
			return v;
	}
	return NULL;
}

/* Grows an arena-owned pointer array to hold at least n+1 entries. */
static void **grow(ir_arena *a, void **arr, int n, int *cap)
{
	if (n < *cap)
		return arr;
	int nc = *cap ? *cap * 2 : 64;
	void **na = ir_alloc(a, sizeof(void *) * (size_t)nc);
	if (!na)
		return NULL;
	if (n)
		memcpy(na, arr, sizeof(void *) * (size_t)n);
	*cap = nc;
	return na;
}

ir_value *ir_value_new(ir_graph *g, const char *name, ir_dtype t)
{
	char buf[300];
	const char *base = name && name[0] ? name : "v";
	const char *use = base;
	for (int k = 1; ir_graph_find(g, use); k++) {
		snprintf(buf, sizeof buf, "%.256s_%d", base, k);
		use = buf;
	}
	ir_value *v = ir_alloc(g->arena, sizeof *v);
	void **vals = grow(g->arena, (void **)g->values, g->nvalues, &g->cap_values);
	if (!v || !vals)
		return NULL;
	v->name = ir_strdup(g->arena, use);
	if (!v->name)
		return NULL;
	v->dtype = t;
	v->id = g->nvalues;
	g->values = (ir_value **)vals;
	g->values[g->nvalues++] = v;
	return v;
}

ir_node *ir_node_new(ir_graph *g, const char *op_type, const char *domain,
		     const char *name, int nin, int nout)
{
	assert(nin >= 0 && nout >= 0);
	ir_node *n = ir_alloc(g->arena, sizeof *n);
	void **nodes = grow(g->arena, (void **)g->nodes, g->nnodes, &g->cap_nodes);
	if (!n || !nodes)
		return NULL;
	n->op_type = ir_strdup(g->arena, op_type ? op_type : "?");
	n->domain = ir_strdup(g->arena, domain ? domain : "");
	n->name = ir_strdup(g->arena, name ? name : "");
	n->in = ir_alloc(g->arena, sizeof(ir_value *) * (size_t)(nin + 1));
	n->out = ir_alloc(g->arena, sizeof(ir_value *) * (size_t)(nout + 1));
	if (!n->op_type || !n->domain || !n->name || !n->in || !n->out)
		return NULL;
	int std = n->domain[0] == 0 || strcmp(n->domain, "ai.onnx") == 0;
	n->op = std ? ir_op_lookup(op_type) : IR_OP_UNKNOWN;
	n->opset = g->opset;
	n->nin = nin;
	n->nout = nout;
	n->id = g->next_node_id++;
	g->nodes = (ir_node **)nodes;
	g->nodes[g->nnodes++] = n;
	return n;
}

void ir_node_set_out(ir_node *n, int i, ir_value *v)
{
	assert(i >= 0 && i < n->nout);
	n->out[i] = v;
	if (v) {
		v->producer = n;
		v->out_index = i;
	}
}

/* Attribute arrays grow by copying into a fresh arena block. */
ir_attr *ir_node_add_attr(ir_graph *g, ir_node *n, const char *name, ir_attr_kind k)
{
	ir_attr *na = ir_alloc(g->arena, sizeof(ir_attr) * (size_t)(n->nattrs + 1));
	if (!na)
		return NULL;
	if (n->nattrs)
		memcpy(na, n->attrs, sizeof(ir_attr) * (size_t)n->nattrs);
	n->attrs = na;
	ir_attr *a = &na[n->nattrs++];
	a->name = ir_strdup(g->arena, name ? name : "");
	a->kind = k;
	return a->name ? a : NULL;
}

const ir_attr *ir_attr_find(const ir_node *n, const char *name)
{
	for (int i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0)
			return &n->attrs[i];
	return NULL;
}

int64_t ir_attr_int(const ir_node *n, const char *name, int64_t dflt)
{
	const ir_attr *a = ir_attr_find(n, name);
	if (!a)
		return dflt;
	if (a->kind == IR_ATTR_INT)
		return a->i;
	if (a->kind == IR_ATTR_FLOAT)
		return (int64_t)a->f;
	return dflt;
}

float ir_attr_float(const ir_node *n, const char *name, float dflt)
{
	const ir_attr *a = ir_attr_find(n, name);
	if (!a)
		return dflt;
	if (a->kind == IR_ATTR_FLOAT)
		return a->f;
	if (a->kind == IR_ATTR_INT)
		return (float)a->i;
	return dflt;
}

const char *ir_attr_str(const ir_node *n, const char *name, const char *dflt)
{
	const ir_attr *a = ir_attr_find(n, name);
	return a && a->kind == IR_ATTR_STRING && a->s ? a->s : dflt;
}

int ir_attr_ints(const ir_node *n, const char *name, const int64_t **v)
{
	const ir_attr *a = ir_attr_find(n, name);
	if (!a || a->kind != IR_ATTR_INTS)
		return -1;
	*v = a->ints;
	return a->n;
}

int ir_attr_ints_into(const ir_node *n, const char *name, int64_t *out, int count)
{
	const int64_t *v;
	if (count <= 0 || ir_attr_ints(n, name, &v) != count)
		return 0;
	memcpy(out, v, sizeof(int64_t) * (size_t)count);
	return 1;
}

/* The shape must be static; data (numel * dtype size bytes) is copied into
 * the arena (zeroes when data is NULL). */
ir_value *ir_const_new(ir_graph *g, const char *name, ir_dtype t,
		       const ir_shape *s, const void *data)
{
	assert(ir_shape_is_static(s));
	ir_value *v = ir_value_new(g, name, t);
	if (!v)
		return NULL;
	v->has_shape = 1;
	v->shape = *s;
	v->nbytes = (size_t)ir_shape_static_numel(s) * ir_dtype_size(t);
	void *d = ir_alloc(g->arena, v->nbytes);
	if (!d)
		return NULL;
	if (data && v->nbytes)
		memcpy(d, data, v->nbytes);
	v->data = d;
	return v;
}

int ir_graph_sym(ir_graph *g, const char *name)
{
	for (int i = 0; i < g->nsyms; i++)
		if (strcmp(g->syms[i], name) == 0)
			return i;
	if (g->nsyms >= IR_MAX_SYMS)
		return -1;
	g->syms[g->nsyms] = ir_strdup(g->arena, name);
	if (!g->syms[g->nsyms])
		return -1;
	return g->nsyms++;
}

void ir_replace_uses(ir_graph *g, ir_value *old, ir_value *nv)
{
	for (int i = 0; i < g->nnodes; i++) {
		ir_node *n = g->nodes[i];
		for (int j = 0; j < n->nin; j++)
			if (n->in[j] == old)
				n->in[j] = nv;
	}
	for (int i = 0; i < g->noutputs; i++) {
		if (g->outputs[i] == old) {
			g->outputs[i] = nv;
			old->is_output = 0;
			if (nv)
				nv->is_output = 1;
		}
	}
}

int ir_value_uses(const ir_graph *g, const ir_value *v)
{
	int k = 0;
	for (int i = 0; i < g->nnodes; i++) {
		const ir_node *n = g->nodes[i];
		if (n->dead)
			continue;
		for (int j = 0; j < n->nin; j++)
			k += n->in[j] == v;
	}
	for (int i = 0; i < g->noutputs; i++)
		k += g->outputs[i] == v;
	return k;
}
