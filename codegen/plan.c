/* plan.c — the static memory plan. Every intermediate value gets an offset
 * in one arena; values whose lifetimes (first definition to last use, in
 * node order) do not overlap may share bytes. With static sizes, values are
 * placed largest first, each at the lowest offset that fits beside the
 * values live at the same time. Sizes that depend on symbolic dims make
 * offsets linear forms: values whose sizes are multiples of one symbol are
 * placed the same way in a region of their own (place_best); a size mixing
 * a constant and a symbol, or two symbols, goes at the component-wise
 * maximum of the ends of the live values placed before it. Both keep the
 * plan valid for every non-negative value of the symbols. The output of a view (Identity, Reshape, Flatten, Squeeze,
 * Unsqueeze, a Transpose that moves only size-1 axes) that is not a graph
 * output is an alias of its input's bytes and keeps them alive. */
#include <stdlib.h>
#include <string.h>

#include "cg.h"

#define CG_ALIGN 64

static int64_t round_up(int64_t v) { return (v + CG_ALIGN - 1) / CG_ALIGN * CG_ALIGN; }

int cg_value_bytes(const ir_value *v, cg_lin *out)
{
	ir_dim n;
	memset(out, 0, sizeof *out);
	if (!ir_shape_numel(&v->shape, &n))
		return -1;
	int64_t b = n.c * (int64_t)ir_dtype_size(v->dtype);
	if (n.sym < 0)
		out->c[0] = round_up(b);
	else
		out->c[1 + n.sym] = round_up(b);
	return 0;
}

static void lin_max(cg_lin *a, const cg_lin *b)
{
	for (int i = 0; i < 1 + IR_MAX_SYMS; i++)
		if (b->c[i] > a->c[i])
			a->c[i] = b->c[i];
}

static void lin_add(cg_lin *a, const cg_lin *b)
{
	for (int i = 0; i < 1 + IR_MAX_SYMS; i++)
		a->c[i] += b->c[i];
}

typedef struct {
	int first, last;      /* node indices */
	cg_lin size, off, end; /* end = off + size once placed */
	int placed;
} span;

static int overlap(const span *a, const span *b)
{
	return a->first <= b->last && b->first <= a->last;
}

static void place_at(span *s, const cg_lin *off)
{
	s->off = *off;
	s->end = *off;
	lin_add(&s->end, &s->size);
	s->placed = 1;
}

/* Sizes mixing components (a constant and a symbol, or two symbols): in
 * order of definition, each span not placed yet goes after every placed
 * span its lifetime overlaps (component-wise maximum of their ends), which
 * is valid for every value of the symbols. */
static void place_linear(span *sp, int total)
{
	for (int i = 0; i < total; i++) {
		if (sp[i].first < 0 || sp[i].placed)
			continue;
		cg_lin off;
		memset(&off, 0, sizeof off);
		for (int j = 0; j < total; j++)
			if (sp[j].placed && overlap(&sp[i], &sp[j]))
				lin_max(&off, &sp[j].end);
		place_at(&sp[i], &off);
	}
}

/* The one component a span's size has: 0 a constant, 1 + k a multiple of
 * symbol k; -1 when it mixes components. */
static int span_comp(const span *s)
{
	int comp = 0;
	for (int k = 1; k < 1 + IR_MAX_SYMS; k++)
		if (s->size.c[k]) {
			if (comp || s->size.c[0])
				return -1;
			comp = k;
		}
	return comp;
}

/* Sort keys copied out of the spans, so the comparators need no context. */
typedef struct {
	int64_t key;
	int first, idx;
} sort_item;

static int by_key_desc(const void *a, const void *b)
{
	const sort_item *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? 1 : -1;
	return x->first - y->first;
}

static int by_key_asc(const void *a, const void *b)
{
	const sort_item *x = a, *y = b;
	return (x->key > y->key) - (x->key < y->key);
}

/* The spans whose sizes are multiples of component comp (span_comp):
 * largest first, each at the lowest multiple of that component where it
 * fits between the spans of the same component whose lifetimes overlap its
 * own, all after *base (which then moves past them). Sizes that are
 * multiples of the same symbol N scale together, so a placement without
 * overlap in the multiples stays one at every N; the components' regions
 * follow each other, so no two components share bytes. Static graphs have
 * component 0 alone; a batch dim N makes most values multiples of N, placed
 * as tightly as at a fixed batch (MobileNetV2: 5.7 MB at batch 1, 25.7 MB
 * placed after the ends of the overlapping spans). */
static void place_best(span *sp, int total, int comp, cg_lin *base)
{
	sort_item *order = malloc(sizeof(sort_item) * (size_t)(total + 1));
	sort_item *live = malloc(sizeof(sort_item) * (size_t)(total + 1));
	if (!order || !live) {
		free(order);
		free(live);
		return;       /* place_linear places them */
	}
	int n = 0;
	for (int i = 0; i < total; i++)
		if (sp[i].first >= 0 && !sp[i].placed && span_comp(&sp[i]) == comp)
			order[n++] = (sort_item){sp[i].size.c[comp], sp[i].first, i};
	qsort(order, (size_t)n, sizeof *order, by_key_desc);
	int64_t top = 0;      /* the region's extent, in multiples of comp */
	for (int q = 0; q < n; q++) {
		span *s = &sp[order[q].idx];
		int nl = 0;
		for (int r = 0; r < q; r++) {
			const span *o = &sp[order[r].idx];
			if (overlap(s, o))
				live[nl++] = (sort_item){o->off.c[comp] - base->c[comp], 0,
							  order[r].idx};
		}
		qsort(live, (size_t)nl, sizeof *live, by_key_asc);
		int64_t off = 0;
		for (int r = 0; r < nl; r++) {
			const span *o = &sp[live[r].idx];
			int64_t ob = o->off.c[comp] - base->c[comp];
			if (ob - off >= s->size.c[comp])
				break;                 /* fits in the gap below o */
			if (ob + o->size.c[comp] > off)
				off = ob + o->size.c[comp];
		}
		cg_lin at = *base;
		at.c[comp] += off;
		place_at(s, &at);
		if (off + s->size.c[comp] > top)
			top = off + s->size.c[comp];
	}
	base->c[comp] += top;
	free(order);
	free(live);
}

static void assign_fixed(const ir_graph *g, cg_loc *loc)
{
	for (int i = 0; i < g->ninputs; i++) {
		loc[g->inputs[i]->id].kind = CG_LOC_INPUT;
		loc[g->inputs[i]->id].index = i;
	}
	for (int i = 0; i < g->nvalues; i++)
		if (g->values[i]->data)
			loc[i].kind = CG_LOC_CONST;
	for (int i = g->noutputs - 1; i >= 0; i--) {
		ir_value *v = g->outputs[i];
		if (v->producer && !v->data) {
			loc[v->id].kind = CG_LOC_OUTPUT;
			loc[v->id].index = i;
		}
	}
}

/* A Transpose that only moves axes of size 1 keeps the element order: a
 * reshape. */
static int order_kept(const ir_node *n)
{
	const ir_value *x = n->in[0];
	const int64_t *perm;
	int r = x->shape.rank, k = ir_attr_ints(n, "perm", &perm), last = -1;
	if (!x->has_shape || k != r)
		return 0;
	for (int i = 0; i < r; i++) {
		if (perm[i] < 0 || perm[i] >= r)
			return 0;
		ir_dim d = x->shape.d[perm[i]];
		if (ir_dim_is_const(d) && d.c == 1)
			continue;
		if (perm[i] < last)
			return 0;
		last = (int)perm[i];
	}
	return 1;
}

static int is_view(const ir_node *n)
{
	if (n->nout != 1 || n->nin < 1 || !n->in[0] || !n->out[0] ||
	    n->in[0]->dtype != n->out[0]->dtype)
		return 0;
	switch (n->op) {
	case IR_OP_Identity: case IR_OP_Reshape: case IR_OP_Flatten:
	case IR_OP_Squeeze: case IR_OP_Unsqueeze:
		return 1;
	case IR_OP_Transpose:
		return order_kept(n);
	default:
		return 0;
	}
}

/* The value whose bytes v uses (v itself unless v is an alias). */
static int root_of(const cg_loc *loc, int id)
{
	return loc[id].kind == CG_LOC_ALIAS ? loc[id].index : id;
}

/* Byte offset of v's bytes within its root's (0 unless v is a slice of a
 * Concat's output, or a view of one). */
static int64_t root_off(const cg_loc *loc, int id)
{
	return loc[id].kind == CG_LOC_ALIAS ? loc[id].offset.c[0] : 0;
}

/* An input of Concat n that its producer can write straight into its slice
 * of the output: made by a (non-view, non-Concat) node, read by nothing else,
 * not a graph output, not placed yet. */
static int slice_ok(const ir_graph *g, const cg_loc *loc, const ir_node *n, const ir_value *x)
{
	const ir_node *p = x ? x->producer : NULL;
	return p && !p->dead && !x->data && !x->is_output && !x->is_input &&
	       p->op != IR_OP_Concat && !is_view(p) && x->dtype == n->out[0]->dtype &&
	       loc[x->id].kind == CG_LOC_NONE && ir_value_uses(g, x) == 1 && x->has_shape;
}

/* Bytes of x from axis a on (a block of one index of the axes before a);
 * -1 when not static. */
static int64_t block_bytes(const ir_value *x, int64_t a)
{
	int64_t b = (int64_t)ir_dtype_size(x->dtype);
	if (!x->has_shape)
		return -1;
	for (int64_t i = a; i < x->shape.rank; i++) {
		if (!ir_dim_is_const(x->shape.d[i]))
			return -1;
		b *= x->shape.d[i].c;
	}
	return b;
}

/* Concat along an axis with only size-1 axes before it (batch 1 along
 * channels): each input is a contiguous block of the output, so an input
 * that slice_ok allows becomes an alias of its block and the Concat copies
 * only the others. Along channels (axis 1) of any batch, an f32 Conv's
 * output can be placed too: the Conv writes each image into its block of
 * the output's image (kk_conv_f32 with an image stride). The offset is the
 * block's within an image. */
static void concat_slices(const ir_graph *g, cg_loc *loc)
{
	for (int k = 0; k < g->nnodes; k++) {
		const ir_node *n = g->nodes[k];
		const ir_value *y = n->nout == 1 ? n->out[0] : NULL;
		if (n->dead || n->op != IR_OP_Concat || !y || loc[y->id].kind != CG_LOC_NONE ||
		    !y->has_shape)
			continue;
		int64_t axis = ir_attr_int(n, "axis", 0), r = y->shape.rank, off = 0;
		if (axis < 0)
			axis += r;
		if (axis < 0 || axis >= r || block_bytes(y, axis) < 0)
			continue;
		int outer = 1, channels = axis == 1 && r >= 3;
		for (int i = 0; outer && i < axis; i++)
			outer = ir_dim_is_const(y->shape.d[i]) && y->shape.d[i].c == 1;
		for (int i = 0; (outer || channels) && i < n->nin; i++) {
			const ir_value *x = n->in[i];
			if (!x)
				continue;
			int64_t b = block_bytes(x, axis);
			if (b < 0)
				break;
			/* a Conv's output type is its input's */
			int conv = x->producer && (x->producer->op == IR_OP_Conv ||
				   x->producer->op == IR_OP_KilnConvPwDw) && x->dtype == IR_F32;
			if ((outer || (channels && conv)) && slice_ok(g, loc, n, x)) {
				loc[x->id].kind = CG_LOC_ALIAS;
				loc[x->id].index = y->id;
				memset(&loc[x->id].offset, 0, sizeof loc[x->id].offset);
				loc[x->id].offset.c[0] = off;
			}
			off += b;
		}
	}
}

/* Lifetimes of the values left for the arena; views become aliases. */
static int build_spans(const ir_graph *g, cg_loc *loc, span *sp, ir_status *st)
{
	for (int i = 0; i < g->nvalues + g->nnodes; i++)
		sp[i].first = -1;
	for (int k = 0; k < g->nnodes; k++) {
		const ir_node *n = g->nodes[k];
		if (n->dead)
			continue;
		if (is_view(n) && loc[n->out[0]->id].kind == CG_LOC_NONE) {
			int x = n->in[0]->id;
			loc[n->out[0]->id].kind = CG_LOC_ALIAS;
			loc[n->out[0]->id].index = root_of(loc, x);
			memset(&loc[n->out[0]->id].offset, 0, sizeof(cg_lin));
			loc[n->out[0]->id].offset.c[0] = root_off(loc, x);
		}
		for (int j = 0; j < n->nout; j++) {
			const ir_value *v = n->out[j];
			cg_loc_kind kind = v ? loc[v->id].kind : CG_LOC_NONE;
			/* inputs, outputs, constants and views need no span of their own */
			if (!v || (kind != CG_LOC_NONE && kind != CG_LOC_ALIAS) ||
			    (kind == CG_LOC_ALIAS && is_view(n)))
				continue;
			/* v, or the Concat output v is a slice of: its bytes are taken
			 * from the first of its slices' producers on */
			int r = root_of(loc, v->id);
			if (sp[r].first >= 0) {
				sp[r].last = k;
				continue;
			}
			if (cg_value_bytes(g->values[r], &sp[r].size))
				return ir_fail(st, "%s: output '%s' has a shape kiln cannot plan "
					       "(a product of symbolic dims)", ir_node_label(n), v->name);
			sp[r].first = sp[r].last = k;
		}
		for (int j = 0; j < n->nin; j++) {
			int r = n->in[j] ? root_of(loc, n->in[j]->id) : -1;
			if (r >= 0 && sp[r].first >= 0)
				sp[r].last = k;
		}
		/* scratch spans follow the value spans, indexed nvalues + k */
		span *s = &sp[g->nvalues + k];
		if (cg_node_scratch(n, &s->size))
			s->first = s->last = k;
	}
	return 0;
}

/* Lifetimes around the loop over nodes [a, b]: a value the loop reads but
 * an earlier node makes is read again by the next iteration, and a value
 * made in the loop and read after it is written by every iteration. */
static void span_loop(span *sp, int total, int a, int b)
{
	for (int i = 0; i < total; i++) {
		if (sp[i].first < 0)
			continue;
		if (sp[i].first < a && sp[i].last >= a && sp[i].last < b)
			sp[i].last = b;
		if (sp[i].first >= a && sp[i].first <= b && sp[i].last > b)
			sp[i].first = a;
	}
}

int cg_plan_build(const ir_graph *g, cg_plan *plan, ir_status *st)
{
	return cg_plan_build_loop(g, plan, -1, -1, st);
}

int cg_plan_build_loop(const ir_graph *g, cg_plan *plan, int loop_a, int loop_b,
		       ir_status *st)
{
	memset(plan, 0, sizeof *plan);
	int total = g->nvalues + g->nnodes;
	plan->loc = calloc(g->nvalues + 1, sizeof *plan->loc);
	plan->scratch = calloc(g->nnodes + 1, sizeof *plan->scratch);
	span *sp = calloc(total + 1, sizeof *sp);
	if (!plan->loc || !plan->scratch || !sp) {
		free(sp);
		return ir_fail(st, "out of memory planning the arena");
	}
	assign_fixed(g, plan->loc);
	concat_slices(g, plan->loc);
	if (build_spans(g, plan->loc, sp, st)) {
		free(sp);
		return -1;
	}
	if (loop_a >= 0)
		span_loop(sp, total, loop_a, loop_b);
	cg_lin base;
	memset(&base, 0, sizeof base);
	for (int comp = 0; comp < 1 + IR_MAX_SYMS; comp++)
		place_best(sp, total, comp, &base);
	place_linear(sp, total);   /* sizes that mix components */
	for (int i = 0; i < total; i++) {
		if (sp[i].first < 0)
			continue;
		if (i < g->nvalues) {
			plan->loc[i].kind = CG_LOC_ARENA;
			plan->loc[i].offset = sp[i].off;
		} else {
			plan->scratch[i - g->nvalues] = sp[i].off;
		}
		lin_max(&plan->arena_size, &sp[i].end);
	}
	free(sp);
	return 0;
}
