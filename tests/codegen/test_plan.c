/* test_plan.c — the static memory plan (codegen/plan.c, cg_plan_build) on
 * hand-built graphs. Lifetimes, view roots and expected locations are worked
 * out here from the graph alone; the checks are that no two values (or node
 * scratch spaces) live at the same time share bytes, for several values of
 * the symbols when sizes are symbolic; that offsets are 64-byte aligned and
 * inside the arena; that with static sizes each span sits at the lowest
 * offset that fits beside the larger spans placed before it; that simple
 * graphs need no more than their peak of live bytes; and that view outputs
 * (Transposes of size-1 axes included) are aliases of the value whose bytes
 * they use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "build.h"
#include "cg.h"

static int64_t round64(int64_t b) { return (b + 63) / 64 * 64; }

/* A Transpose with an explicit perm over a static shape whose output, read
 * in row-major order, visits its input in row-major order: checked element
 * by element, not by reasoning about which axes have size 1. */
static int transpose_keeps_order(const ir_node *n)
{
	const ir_value *x = n->in[0];
	const int64_t *perm;
	int r = x->shape.rank;
	if (!x->has_shape || !ir_shape_is_static(&x->shape) || ir_attr_ints(n, "perm", &perm) != r)
		return 0;
	int64_t cnt = 1, odims[IR_MAX_RANK], idx[IR_MAX_RANK];
	for (int i = 0; i < r; i++) {
		odims[i] = x->shape.d[perm[i]].c;
		cnt *= odims[i];
	}
	for (int64_t o = 0; o < cnt; o++) {
		int64_t rem = o, src = 0;
		for (int i = r - 1; i >= 0; i--) {
			idx[perm[i]] = rem % odims[i];
			rem /= odims[i];
		}
		for (int i = 0; i < r; i++)
			src = src * x->shape.d[i].c + idx[i];
		if (src != o)
			return 0;
	}
	return 1;
}

static int is_view(const ir_node *n)
{
	ir_op op = n->op;
	return op == IR_OP_Identity || op == IR_OP_Reshape || op == IR_OP_Flatten ||
	       op == IR_OP_Squeeze || op == IR_OP_Unsqueeze ||
	       (op == IR_OP_Transpose && transpose_keeps_order(n));
}

/* The value whose bytes v uses: v itself, or for the output of a view that
 * is not a graph output, the root of the view's input. */
static const ir_value *root(const ir_value *v)
{
	while (!v->is_output && v->producer && !v->producer->dead &&
	       is_view(v->producer) && v->producer->in[0]->dtype == v->dtype)
		v = v->producer->in[0];
	return v;
}

static int64_t eval(const ir_graph *g, const cg_lin *l, const int64_t *sym)
{
	int64_t r = l->c[0];
	for (int k = 0; k < g->nsyms; k++)
		r += l->c[1 + k] * sym[k];
	for (int k = g->nsyms; k < IR_MAX_SYMS; k++)
		assert_int_equal(l->c[1 + k], 0);
	return r;
}

static int64_t bytes_of(const ir_value *v, const int64_t *sym)
{
	int64_t n = (int64_t)ir_dtype_size(v->dtype);
	for (int i = 0; i < v->shape.rank; i++)
		n *= v->shape.d[i].c * (v->shape.d[i].sym >= 0 ? sym[v->shape.d[i].sym] : 1);
	return n;
}

/* One thing in the arena: a value or a node's scratch space. */
typedef struct {
	const char *what;
	int first, last;          /* node indices */
	int64_t off, size;        /* at the symbol values being checked */
	int64_t planned;          /* size the planner reserves (static: rounded) */
} item;

typedef struct {
	item *it;
	int n;
} items;

static int slices_seen;   /* Concat inputs planned in place, over the tests */

/* A value the plan writes in place into its Concat's output (plan.c): an
 * alias of something other than its view root. Checked here to be a real
 * slice: the value's only reader is that Concat, every axis before the
 * Concat's axis has size 1, and the offset is the bytes of the inputs
 * before it. Returns the Concat's output, or NULL when v is no slice. */
static const ir_value *slice_of(const ir_graph *g, const cg_plan *p, const ir_value *v)
{
	const cg_loc *l = &p->loc[v->id];
	if (l->kind != CG_LOC_ALIAS || root(v) != v)
		return NULL;
	const ir_value *y = g->values[l->index];
	const ir_node *n = y->producer;
	assert_non_null(n);
	assert_int_equal(n->op, IR_OP_Concat);
	assert_int_equal(ir_value_uses(g, v), 1);
	int64_t axis = ir_attr_int(n, "axis", 0), off = 0;
	if (axis < 0)
		axis += y->shape.rank;
	/* a Conv writes each image's block (kk_conv_f32, image stride); anything else
	 * needs the whole input to be one block */
	if (!(v->producer->op == IR_OP_Conv && axis == 1))
		for (int i = 0; i < axis; i++)
			assert_int_equal(y->shape.d[i].c, 1);
	for (int i = 0; i < n->nin && n->in[i] != v; i++) {
		int64_t b = (int64_t)ir_dtype_size(n->in[i]->dtype);
		for (int d = (int)axis; d < n->in[i]->shape.rank; d++)
			b *= n->in[i]->shape.d[d].c;
		off += b;
	}
	if (l->offset.c[0] != off)
		fail_msg("'%s': slice at %lld of '%s', want %lld", v->name,
			 (long long)l->offset.c[0], y->name, (long long)off);
	slices_seen++;
	return y;
}

/* The arena value whose bytes v uses and the offset of v in them. */
static const ir_value *base_of(const ir_graph *g, const cg_plan *p, const ir_value *v,
			       int64_t *off)
{
	const ir_value *r = root(v), *y = slice_of(g, p, r);
	*off = y ? p->loc[r->id].offset.c[0] : 0;
	return y ? y : r;
}

/* Nodes [loop_a, loop_b] run in a loop (cg_plan_build_loop); -1: no loop. */
static int loop_a = -1, loop_b = -1;

/* Checks every location against the graph; collects the arena items with
 * lifetimes computed here and offsets evaluated at sym. */
static items collect(const ir_graph *g, const cg_plan *p, const int64_t *sym)
{
	items r = {calloc((size_t)(g->nvalues + g->nnodes + 1), sizeof(item)), 0};
	int *slot = malloc(sizeof(int) * (size_t)(g->nvalues + 1));
	assert_non_null(r.it);
	assert_non_null(slot);
	for (int i = 0; i < g->nvalues; i++) {
		const ir_value *v = g->values[i];
		const cg_loc *l = &p->loc[i];
		slot[i] = -1;
		if (v->is_input) {
			assert_int_equal(l->kind, CG_LOC_INPUT);
			assert_ptr_equal(g->inputs[l->index], v);
		} else if (v->data) {
			assert_int_equal(l->kind, CG_LOC_CONST);
		} else if (v->is_output && v->producer) {
			assert_int_equal(l->kind, CG_LOC_OUTPUT);
			assert_ptr_equal(g->outputs[l->index], v);
		} else if (v->producer && !v->producer->dead && (root(v) != v || slice_of(g, p, v))) {
			int64_t off;
			const ir_value *b = base_of(g, p, v, &off);
			if (l->kind != CG_LOC_ALIAS || l->index != b->id || l->offset.c[0] != off)
				fail_msg("'%s': kind %d index %d, want an alias of '%s'", v->name,
					 l->kind, l->index, b->name);
		} else if (v->producer && !v->producer->dead) {
			assert_int_equal(l->kind, CG_LOC_ARENA);
			item *it = &r.it[r.n];
			slot[i] = r.n++;
			it->what = v->name;
			it->first = it->last = -1;
			it->off = eval(g, &l->offset, sym);
			it->size = bytes_of(v, sym);
		}
	}
	/* lifetimes: definition to last read, reads through views included */
	for (int k = 0; k < g->nnodes; k++) {
		const ir_node *n = g->nodes[k];
		if (n->dead)
			continue;
		for (int j = 0; j < n->nout; j++) {
			/* a slice's producer writes its Concat's output first */
			int64_t off;
			const ir_value *b = n->out[j] ? base_of(g, p, n->out[j], &off) : NULL;
			item *it = b && slot[b->id] >= 0 ? &r.it[slot[b->id]] : NULL;
			if (it && it->first < 0)
				it->first = k;
			if (it)
				it->last = k;
		}
		for (int j = 0; j < n->nin; j++) {
			int64_t off;
			int s = n->in[j] ? slot[base_of(g, p, n->in[j], &off)->id] : -1;
			if (s >= 0) {
				assert_true(r.it[s].first >= 0 && r.it[s].first < k);
				r.it[s].last = k;
			}
		}
		cg_lin sb;
		if (cg_node_scratch(n, &sb)) {
			item *it = &r.it[r.n++];
			it->what = n->name;
			it->first = it->last = k;
			it->off = eval(g, &p->scratch[k], sym);
			it->size = eval(g, &sb, sym);
		}
	}
	for (int i = 0; i < r.n; i++) {
		item *it = &r.it[i];
		it->planned = round64(it->size);
		if (loop_a < 0)
			continue;
		/* nodes [loop_a, loop_b] run again and again: what they read from
		 * before the loop is read by every iteration, and what they leave
		 * for later (KilnMcCollect fills it a slice per iteration) is
		 * written by every iteration */
		if (it->first < loop_a && it->last >= loop_a && it->last < loop_b)
			it->last = loop_b;
		if (it->first >= loop_a && it->first <= loop_b && it->last > loop_b)
			it->first = loop_a;
	}
	free(slot);
	return r;
}

static int live_together(const item *a, const item *b)
{
	return a->first <= b->last && b->first <= a->last;
}

static int bytes_meet(int64_t ao, int64_t as, int64_t bo, int64_t bs)
{
	return as > 0 && bs > 0 && ao < bo + bs && bo < ao + as;
}

/* The plan is valid at sym: aligned, inside the arena, and no two items
 * live at the same time share a byte. Returns the arena size at sym. */
static int64_t check_valid(const ir_graph *g, const cg_plan *p, const int64_t *sym)
{
	items r = collect(g, p, sym);
	int64_t arena = eval(g, &p->arena_size, sym);
	for (int i = 0; i < r.n; i++) {
		const item *a = &r.it[i];
		if (a->off < 0 || a->off % 64 || a->off + a->size > arena)
			fail_msg("'%s' at %lld + %lld: misaligned or outside the arena of %lld",
				 a->what, (long long)a->off, (long long)a->size, (long long)arena);
		for (int j = 0; j < i; j++) {
			const item *b = &r.it[j];
			if (live_together(a, b) && bytes_meet(a->off, a->size, b->off, b->size))
				fail_msg("'%s' [%d,%d] at %lld+%lld and '%s' [%d,%d] at %lld+%lld "
					 "are live together and share bytes", a->what, a->first,
					 a->last, (long long)a->off, (long long)a->size, b->what,
					 b->first, b->last, (long long)b->off, (long long)b->size);
		}
	}
	free(r.it);
	return arena;
}

/* Largest planned size of items live at one node, summed (a lower bound for
 * any valid arena, and what a perfect plan of a simple graph reaches). */
static int64_t peak_live(const ir_graph *g, const cg_plan *p)
{
	int64_t sym[IR_MAX_SYMS] = {0}, peak = 0;
	items r = collect(g, p, sym);
	for (int k = 0; k < g->nnodes; k++) {
		int64_t s = 0;
		for (int i = 0; i < r.n; i++)
			if (r.it[i].first <= k && k <= r.it[i].last)
				s += r.it[i].planned;
		if (s > peak)
			peak = s;
	}
	free(r.it);
	return peak;
}

/* Placement order of the static planner: larger first, then earlier defined. */
static int before(const item *a, const item *b)
{
	return a->planned != b->planned ? a->planned > b->planned : a->first < b->first;
}

/* Static sizes: every item sits at the lowest offset where it fits beside
 * the items placed before it whose lifetimes overlap its own. The lowest
 * fit is 0 or the end of one of those, so every such candidate below the
 * item's offset must collide with one of them. */
static void check_lowest_fit(const ir_graph *g, const cg_plan *p)
{
	int64_t sym[IR_MAX_SYMS] = {0};
	items r = collect(g, p, sym);
	for (int i = 0; i < r.n; i++) {
		const item *a = &r.it[i];
		for (int j = 0; j < r.n; j++)
			if (j != i && !before(a, &r.it[j]) && !before(&r.it[j], a))
				fail_msg("test graph has a placement tie: '%s' and '%s'", a->what,
					 r.it[j].what);
		for (int c = -1; c < r.n; c++) {
			if (c >= 0 && (!before(&r.it[c], a) || !live_together(a, &r.it[c])))
				continue;
			int64_t cand = c < 0 ? 0 : r.it[c].off + r.it[c].planned;
			if (cand >= a->off)
				continue;
			int blocked = 0;
			for (int j = 0; j < r.n && !blocked; j++)
				blocked = before(&r.it[j], a) && live_together(a, &r.it[j]) &&
					  bytes_meet(cand, a->planned, r.it[j].off, r.it[j].planned);
			if (!blocked)
				fail_msg("'%s' placed at %lld but fits at %lld", a->what,
					 (long long)a->off, (long long)cand);
		}
	}
	free(r.it);
}

static void plan(const ir_graph *g, cg_plan *p)
{
	ir_status st;
	memset(&st, 0, sizeof st);
	if (loop_a < 0 ? cg_plan_build(g, p, &st) : cg_plan_build_loop(g, p, loop_a, loop_b, &st))
		fail_msg("cg_plan_build: %s", st.msg);
}

static void plan_free(cg_plan *p)
{
	free(p->loc);
	free(p->scratch);
}

/* Topological order and shapes for a graph whose intermediates are untyped. */
static void typed(ir_graph *g)
{
	ir_status st;
	memset(&st, 0, sizeof st);
	if (ir_graph_toposort(g, &st) || ir_infer_shapes(g, &st))
		fail_msg("graph: %s", st.msg);
}

static ir_value *un(ir_graph *g, const char *op, const char *name, ir_value *x)
{
	ir_value *y = tb_value(g, name, x->dtype, NULL);
	tb_node(g, op, name, 13, 1, &x, 1, &y);
	return y;
}

static ir_value *bin(ir_graph *g, const char *op, const char *name, ir_value *a, ir_value *b)
{
	ir_value *in[2] = {a, b}, *y = tb_value(g, name, a->dtype, NULL);
	tb_node(g, op, name, 13, 2, in, 1, &y);
	return y;
}

/* Reshape/Squeeze/Unsqueeze with a 1-D i64 constant second input. */
static ir_value *with_ints(ir_graph *g, const char *op, const char *name, ir_value *x,
			   int n, const int64_t *v)
{
	char cn[64];
	snprintf(cn, sizeof cn, "%s_c", name);
	return bin(g, op, name, x, tb_i64s(g, cn, n, v));
}

/* Reduction with axes as an attribute (ReduceMean, ReduceMax at opset 13). */
static ir_value *reduce_attr(ir_graph *g, const char *op, const char *name, ir_value *x,
			     int n, const int64_t *axes)
{
	ir_value *y = un(g, op, name, x);
	tb_attr_ints(g, y->producer, "axes", n, axes);
	return y;
}

static const char *const UNARY[] = {"Relu", "Sigmoid", "Neg", "Abs", "Exp", "Tanh"};

/* x (of dims) -> 10 elementwise ops -> y, typed. */
static ir_graph *chain_graph(const char *dims)
{
	ir_graph *g = tb_graph(13);
	ir_value *v = tb_input(g, "x", IR_F32, dims);
	for (int i = 0; i < 10; i++) {
		char name[16];
		snprintf(name, sizeof name, "t%d", i);
		v = un(g, UNARY[i % 6], name, v);
	}
	tb_output(g, v);
	typed(g);
	return g;
}

/* x -> 10 elementwise ops -> y: two buffers of the tensor's rounded size. */
static void test_chain_two_buffers(void **state)
{
	(void)state;
	ir_graph *g = chain_graph("10,100");   /* 4000 bytes */
	cg_plan p;
	plan(g, &p);
	int64_t zero[IR_MAX_SYMS] = {0}, arena = check_valid(g, &p, zero);
	check_lowest_fit(g, &p);
	int64_t peak = peak_live(g, &p);
	assert_int_equal(peak, 2 * round64(4000));
	if (arena > peak)
		fail_msg("arena %lld for a chain whose live peak is %lld", (long long)arena,
			 (long long)peak);
	plan_free(&p);
	ir_graph_free(g);
}

/* The same chain with a batch dim N: sizes that are multiples of N are
 * placed as tightly as static ones (two buffers, 2 * 400 bytes per unit of
 * N), not each after the overlapping ones' ends (which grew the arena with
 * the chain's length); valid at every N checked. */
static void test_chain_symbolic(void **state)
{
	(void)state;
	ir_graph *g = chain_graph("N,100");   /* N * 400 bytes */
	cg_plan p;
	plan(g, &p);
	assert_int_equal(p.arena_size.c[0], 0);
	assert_int_equal(p.arena_size.c[1], 2 * round64(400));
	static const int64_t ns[] = {0, 1, 3, 1000};
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		int64_t sym[IR_MAX_SYMS] = {ns[i]};
		check_valid(g, &p, sym);
	}
	plan_free(&p);
	ir_graph_free(g);
}

/* Values of different sizes, live in overlapping patterns: a long-lived
 * small value, a big one that dies early, and a branch joining later. */
static void test_mixed_sizes(void **state)
{
	(void)state;
	static const int64_t ax0[1] = {0}, two[2] = {2, 500};
	ir_graph *g = tb_graph(13);
	ir_value *x = tb_input(g, "x", IR_F32, "1000");
	ir_value *a = un(g, "Relu", "a", x);                       /* 4000 */
	ir_value *s = with_ints(g, "ReduceSum", "s", a, 1, ax0);   /* [1]: 64 */
	ir_value *b = un(g, "Exp", "b", a);                        /* 4000 */
	ir_value *c = bin(g, "Concat", "c", b, a);                 /* [2000]: 8000 */
	tb_attr_int(g, c->producer, "axis", 0);
	ir_value *d = un(g, "Neg", "d", c);                        /* 8000 */
	ir_value *e = reduce_attr(g, "ReduceMax", "e", d, 1, ax0);   /* 64, but first later */
	ir_value *f = bin(g, "Add", "f", x, s);                    /* 4000 */
	ir_value *h = bin(g, "Mul", "h", f, e);
	ir_value *r = with_ints(g, "Reshape", "r", h, 2, two);
	tb_output(g, un(g, "Sigmoid", "y", r));
	typed(g);
	cg_plan p;
	plan(g, &p);
	int64_t zero[IR_MAX_SYMS] = {0}, arena = check_valid(g, &p, zero);
	check_lowest_fit(g, &p);
	assert_true(arena >= peak_live(g, &p));
	plan_free(&p);
	ir_graph_free(g);
}

/* A Reshape output is an alias of its input, whose bytes then stay live
 * until the alias is last read: d, defined after the Reshape, must not
 * take a's bytes while b (= a's bytes) is still to be read by the Add. */
static void test_reshape_alias(void **state)
{
	(void)state;
	static const int64_t shp[1] = {24};
	ir_graph *g = tb_graph(13);
	ir_value *x = tb_input(g, "x", IR_F32, "4,6");
	ir_value *a = un(g, "Relu", "a", x);
	ir_value *b = with_ints(g, "Reshape", "b", a, 1, shp);
	ir_value *x2 = tb_input(g, "x2", IR_F32, "24");
	ir_value *d = un(g, "Neg", "d", x2);
	tb_output(g, bin(g, "Add", "y", b, d));
	typed(g);
	cg_plan p;
	plan(g, &p);
	assert_int_equal(p.loc[a->id].kind, CG_LOC_ARENA);
	assert_int_equal(p.loc[b->id].kind, CG_LOC_ALIAS);
	assert_int_equal(p.loc[b->id].index, a->id);
	assert_int_equal(p.loc[d->id].kind, CG_LOC_ARENA);
	int64_t zero[IR_MAX_SYMS] = {0};
	check_valid(g, &p, zero);
	assert_true(p.loc[d->id].offset.c[0] != p.loc[a->id].offset.c[0]);
	plan_free(&p);
	ir_graph_free(g);
}

/* Every view op; views of views alias the root; a view of a graph input
 * aliases the input; a view that is a graph output is not an alias. */
static void test_view_kinds(void **state)
{
	(void)state;
	static const int64_t flat[1] = {-1}, ax0[1] = {0};
	ir_graph *g = tb_graph(13);
	ir_value *x = tb_input(g, "x", IR_F32, "1,3,4");
	ir_value *vi = with_ints(g, "Squeeze", "vi", x, 1, ax0);   /* view of an input */
	ir_value *a = un(g, "Relu", "a", vi);                      /* [3,4] */
	ir_value *i1 = un(g, "Identity", "i1", a);
	ir_value *u = with_ints(g, "Unsqueeze", "u", i1, 1, ax0);  /* [1,3,4] */
	ir_value *sq = with_ints(g, "Squeeze", "sq", u, 1, ax0);   /* [3,4] */
	ir_value *fl = un(g, "Flatten", "fl", sq);                 /* [3,4] */
	ir_value *rs = with_ints(g, "Reshape", "rs", fl, 1, flat); /* [12] */
	ir_value *b = un(g, "Exp", "b", x);                        /* [1,3,4] */
	ir_value *nb = with_ints(g, "Reshape", "nb", un(g, "Neg", "n", b), 1, flat);
	ir_value *y = bin(g, "Add", "y", rs, nb);
	ir_value *out_view = with_ints(g, "Reshape", "ov", a, 1, flat);
	tb_output(g, y);
	tb_output(g, out_view);
	typed(g);
	cg_plan p;
	plan(g, &p);
	assert_int_equal(p.loc[vi->id].kind, CG_LOC_ALIAS);
	assert_int_equal(p.loc[vi->id].index, x->id);
	ir_value *views[5] = {i1, u, sq, fl, rs};
	for (int i = 0; i < 5; i++) {
		if (p.loc[views[i]->id].kind != CG_LOC_ALIAS ||
		    p.loc[views[i]->id].index != a->id)
			fail_msg("'%s' is not an alias of 'a'", views[i]->name);
	}
	assert_int_equal(p.loc[nb->id].kind, CG_LOC_ALIAS);
	assert_int_equal(p.loc[nb->id].index, ir_graph_find(g, "n")->id);
	assert_int_equal(p.loc[out_view->id].kind, CG_LOC_OUTPUT);
	assert_int_equal(p.loc[out_view->id].index, 1);
	int64_t zero[IR_MAX_SYMS] = {0};
	check_valid(g, &p, zero);
	check_lowest_fit(g, &p);
	plan_free(&p);
	ir_graph_free(g);
}

/* Transpose of x [dims] with perm, between a Relu and an Add with a value
 * defined after it (as in test_reshape_alias): an alias of the Relu output
 * exactly when alias, and the plan valid either way. */
static void transpose_case(const char *dims, const char *tdims, int r, const int64_t *perm,
			   int alias)
{
	ir_graph *g = tb_graph(13);
	ir_value *x = tb_input(g, "x", IR_F32, dims);
	ir_value *a = un(g, "Relu", "a", x);
	ir_value *t = un(g, "Transpose", "t", a);
	tb_attr_ints(g, t->producer, "perm", r, perm);
	ir_value *d = un(g, "Neg", "d", tb_input(g, "x2", IR_F32, tdims));
	tb_output(g, bin(g, "Add", "y", t, d));
	typed(g);
	cg_plan p;
	plan(g, &p);
	assert_int_equal(p.loc[a->id].kind, CG_LOC_ARENA);
	if (alias) {
		if (p.loc[t->id].kind != CG_LOC_ALIAS || p.loc[t->id].index != a->id)
			fail_msg("Transpose of [%s]: kind %d index %d, want an alias of 'a'", dims,
				 p.loc[t->id].kind, p.loc[t->id].index);
	} else if (p.loc[t->id].kind != CG_LOC_ARENA) {
		fail_msg("Transpose of [%s]: kind %d, want its own arena bytes", dims,
			 p.loc[t->id].kind);
	}
	int64_t zero[IR_MAX_SYMS] = {0};
	check_valid(g, &p, zero);
	check_lowest_fit(g, &p);
	plan_free(&p);
	ir_graph_free(g);
}

/* A Transpose that only moves axes of size 1 keeps the element order and
 * is a view, like a Reshape; one that moves data is not. */
static void test_transpose_alias(void **state)
{
	(void)state;
	static const int64_t p102[3] = {1, 0, 2}, p10[2] = {1, 0}, p0312[4] = {0, 3, 1, 2};
	static const int64_t p210[3] = {2, 1, 0}, p021[3] = {0, 2, 1};
	transpose_case("1,128,256", "128,1,256", 3, p102, 1);
	transpose_case("2,1,3", "1,2,3", 3, p102, 1);
	transpose_case("2,3", "3,2", 2, p10, 0);
	transpose_case("2,1,3,1", "2,1,1,3", 4, p0312, 1);
	transpose_case("2,1,3", "3,1,2", 3, p210, 0);     /* 2 and 3 swap */
	transpose_case("4,3,1", "4,1,3", 3, p021, 1);
	transpose_case("4,1,3", "4,3,1", 3, p021, 1);
	transpose_case("4,2,3", "4,3,2", 3, p021, 0);

	/* a Transpose of a view aliases the root; one of a graph input aliases
	 * the input */
	static const int64_t shp[3] = {2, 1, 3};
	ir_graph *g = tb_graph(13);
	ir_value *a = un(g, "Relu", "a", tb_input(g, "x", IR_F32, "2,3"));
	ir_value *t = un(g, "Transpose", "t", with_ints(g, "Reshape", "r", a, 3, shp));
	tb_attr_ints(g, t->producer, "perm", 3, p102);
	ir_value *x1 = tb_input(g, "x1", IR_F32, "2,1,3");
	ir_value *t1 = un(g, "Transpose", "t1", x1);
	tb_attr_ints(g, t1->producer, "perm", 3, p102);
	tb_output(g, bin(g, "Add", "y", t, un(g, "Neg", "d", t1)));
	typed(g);
	cg_plan p;
	plan(g, &p);
	assert_int_equal(p.loc[t->id].kind, CG_LOC_ALIAS);
	assert_int_equal(p.loc[t->id].index, a->id);
	assert_int_equal(p.loc[t1->id].kind, CG_LOC_ALIAS);
	assert_int_equal(p.loc[t1->id].index, x1->id);
	int64_t zero[IR_MAX_SYMS] = {0};
	check_valid(g, &p, zero);
	plan_free(&p);
	ir_graph_free(g);
}

/* A batch dim N: offsets become linear in N; the plan must be valid for
 * every N, checked here at several values, with static-sized values and a
 * reduction that needs scratch space mixed in. */
static void test_symbolic_batch(void **state)
{
	(void)state;
	static const int64_t ax1[1] = {1}, ax01[2] = {0, 2}, shp[2] = {-1, 32};
	ir_graph *g = tb_graph(13);
	ir_value *x = tb_input(g, "x", IR_F32, "N,16,4");
	ir_value *a = un(g, "Relu", "a", x);                          /* N*256 */
	ir_value *m = reduce_attr(g, "ReduceMean", "m", a, 2, ax01);    /* [1,16,1]: static */
	ir_value *b = bin(g, "Sub", "b", a, m);                       /* N*256 */
	ir_value *s = with_ints(g, "ReduceSum", "s", b, 1, ax1);      /* [N,1,4] */
	ir_value *c = bin(g, "Mul", "c", b, s);
	ir_value *r = with_ints(g, "Reshape", "r", c, 2, shp);        /* alias [2N,32] */
	ir_value *d = un(g, "Tanh", "d", r);
	ir_value *e = bin(g, "Add", "e", d, un(g, "Exp", "ex", r));
	tb_output(g, un(g, "Neg", "y", e));
	typed(g);
	assert_int_equal(g->nsyms, 1);
	cg_lin sb;
	assert_true(cg_node_scratch(m->producer, &sb));   /* axes 0 and 2: not contiguous */
	cg_plan p;
	plan(g, &p);
	assert_int_equal(p.loc[r->id].kind, CG_LOC_ALIAS);
	assert_int_equal(p.loc[r->id].index, c->id);
	assert_true(p.arena_size.c[1] > 0);       /* grows with N */
	static const int64_t ns[] = {0, 1, 2, 3, 7, 64, 1000};
	for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
		int64_t sym[IR_MAX_SYMS] = {ns[i]};
		check_valid(g, &p, sym);
	}
	plan_free(&p);
	ir_graph_free(g);
}

/* Random graphs of unary ops, Adds, Concats, reductions and Reshapes over
 * rank-1 values of varied sizes: always valid, always lowest-fit. */
static unsigned rnd_state;
static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

static void random_graph(unsigned seed)
{
	static const int64_t ax0[1] = {0}, flat[1] = {-1};
	rnd_state = seed;
	ir_graph *g = tb_graph(13);
	ir_value *v[64];
	int nv = 0;
	static const char *const in_dims[3] = {"37", "100", "256"};
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof name, "x%d", i);
		v[nv++] = tb_input(g, name, IR_F32, in_dims[i]);
	}
	typed(g);
	for (int k = 0; nv < 40; k++) {
		char name[16];
		snprintf(name, sizeof name, "n%d", k);
		/* recent values more often, so lifetimes vary */
		ir_value *a = v[nv - 1 - (int)rnd((unsigned)(nv < 6 ? nv : 6))];
		ir_value *b = v[rnd((unsigned)nv)];
		ir_value *y;
		switch (rnd(6)) {
		case 0: y = un(g, UNARY[rnd(6)], name, a); break;
		case 1:
			y = ir_dim_eq(a->shape.d[0], b->shape.d[0]) ? bin(g, "Add", name, a, b)
								     : un(g, "Relu", name, a);
			break;
		case 2:
			if (a->shape.d[0].c + b->shape.d[0].c > 2000) {
				y = un(g, "Abs", name, b);
				break;
			}
			y = bin(g, "Concat", name, a, b);
			tb_attr_int(g, y->producer, "axis", 0);
			break;
		case 3: y = with_ints(g, "ReduceSum", name, a, 1, ax0); break;
		case 4: y = with_ints(g, "Reshape", name, a, 1, flat); break;
		default: y = bin(g, "Mul", name, a, a); break;
		}
		typed(g);
		v[nv++] = y;
	}
	tb_output(g, v[nv - 1]);
	tb_output(g, v[10 + rnd(20)]);
	cg_plan p;
	plan(g, &p);
	int64_t zero[IR_MAX_SYMS] = {0};
	check_valid(g, &p, zero);
	if (loop_a < 0)   /* widened lifetimes start together: placement ties */
		check_lowest_fit(g, &p);
	plan_free(&p);
	ir_graph_free(g);
}

static void test_random_graphs(void **state)
{
	(void)state;
	slices_seen = 0;
	for (unsigned seed = 1; seed <= 40; seed++)
		random_graph(seed);
	/* the random Concats (axis 0) put some inputs in place */
	assert_true(slices_seen > 0);
}

/* The same graphs with a run of their nodes in a loop (the MC sample loop):
 * no value the loop reads, or leaves for after it, shares bytes with what
 * the loop writes while it runs. */
static void test_random_graphs_loop(void **state)
{
	(void)state;
	for (unsigned seed = 1; seed <= 40; seed++) {
		rnd_state = seed * 7919u;
		loop_a = 5 + (int)rnd(15);
		loop_b = loop_a + 3 + (int)rnd(15);
		random_graph(seed);
	}
	loop_a = loop_b = -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_two_buffers),
		cmocka_unit_test(test_mixed_sizes),
		cmocka_unit_test(test_reshape_alias),
		cmocka_unit_test(test_view_kinds),
		cmocka_unit_test(test_transpose_alias),
		cmocka_unit_test(test_symbolic_batch),
		cmocka_unit_test(test_chain_symbolic),
		cmocka_unit_test(test_random_graphs),
		cmocka_unit_test(test_random_graphs_loop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
