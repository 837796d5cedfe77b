/* test_passes_split_matmul.c — passes/split_matmul.c: Z = MatMul(A, W)
 * [+ bias] read only by Slices over its last axis becomes, after
 * pass_run_pipeline, one MatMul per Slice holding that Slice's columns of W
 * (and of the bias, fused back in by fuse_epilogue); the pattern is left
 * alone when a precondition fails. Every graph runs through the JIT against
 * a double reference of the unsplit graph computed here. Last, Transposes
 * that only move size-1 axes (views in codegen/plan.c) give the right
 * numbers through the JIT. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "build.h"
#include "jit.h"
#include "cg.h"
#include "codegen.h"
#include "passes.h"

#define KD 8                  /* A's last dim, W's rows */
#define ND 24                 /* W's columns */
#define SYM_N 3               /* the value of a symbolic batch N at run time */
#define MAXS 4
#define MAXEL 256             /* elements of A or Z at most */
#define NOAX INT64_MIN        /* Slice without an axes input */

static float W[KD * ND], B[ND], A[MAXEL];

static void init_data(void)
{
	unsigned s = 2024;
	for (int i = 0; i < KD * ND; i++)
		W[i] = tb_rnd(&s, 0.75f);
	for (int i = 0; i < ND; i++)
		B[i] = tb_rnd(&s, 1.0f);
	for (int i = 0; i < MAXEL; i++)
		A[i] = tb_rnd(&s, 2.0f);
}

/* One Slice: its inputs, and what it selects from Z, worked out by hand. */
typedef struct {
	int64_t start, end;
	int64_t axis;         /* NOAX: no axes input */
	int64_t step;         /* 0: no steps input */
	int ax, lo, hi, st;   /* axis of Z, elements lo, lo + st, ... below hi */
} slice_t;

/* a -> MatMul(a, w) = y [-> Add with b = z] -> Slices -> q0, q1, ... */
typedef struct {
	const char *adims;    /* a's dims; a letter is the batch symbol */
	int bias;             /* 0: none; 1: Add(y, b); 2: Add(b, y) */
	int ns;
	slice_t sl[MAXS];
	int w_input;          /* w a graph input instead of a constant */
	int extra_use;        /* the sliced value also feeds Relu -> output "r" */
	int z_out;            /* the sliced value is a graph output too */
	int y_out;            /* with a bias: the product y is a graph output too */
} spec;

static slice_t last(int64_t start, int64_t end, int lo, int hi)
{
	slice_t s = {start, end, -1, 0, 2, lo, hi, 1};
	return s;
}

/* The QKV pattern: A [N, 4, 8] x W [8, 24] + bias, three slices of 8. */
static spec qkv(void)
{
	spec s = {"N,4,8", 1, 3, {last(0, 8, 0, 8), last(8, 16, 8, 16), last(16, 24, 16, 24)},
		  0, 0, 0, 0};
	return s;
}

/* Run-time dims of a (symbol -> SYM_N); returns the rank. */
static int a_dims(const spec *s, int64_t *d)
{
	int r = 0;
	for (const char *p = s->adims; *p; p++) {
		if (*p == ',')
			continue;
		d[r++] = (*p >= 'A' && *p <= 'Z') ? SYM_N : strtoll(p, NULL, 10);
		while (p[1] && p[1] != ',')
			p++;
	}
	return r;
}

static ir_value *i64(ir_graph *g, const char *what, int i, int64_t v)
{
	char nm[32];
	snprintf(nm, sizeof nm, "%s%d", what, i);
	return tb_i64s(g, nm, 1, &v);
}

static void add_slice(ir_graph *g, const slice_t *c, int i, ir_value *z)
{
	ir_value *in[5] = {z, i64(g, "starts", i, c->start), i64(g, "ends", i, c->end)};
	int nin = 3;
	char nm[16];
	if (c->axis != NOAX) {
		in[3] = i64(g, "axes", i, c->axis);
		nin = 4;
	}
	if (c->step) {
		in[4] = i64(g, "steps", i, c->step);
		nin = 5;
	}
	snprintf(nm, sizeof nm, "q%d", i);
	ir_value *q = tb_value(g, nm, IR_F32, NULL);
	snprintf(nm, sizeof nm, "slice%d", i);
	tb_node(g, "Slice", nm, 13, nin, in, 1, &q);
	tb_output(g, q);
}

/* Outputs in order: q0.., r (extra_use), the sliced value (z_out), y (y_out). */
static ir_graph *build(const spec *s)
{
	ir_graph *g = tb_graph(13);
	ir_value *a = tb_input(g, "a", IR_F32, s->adims), *w;
	if (s->w_input) {
		w = tb_input(g, "w", IR_F32, "8,24");
	} else {
		ir_shape ws = tb_shape(g, "8,24");
		w = ir_const_new(g, "w", IR_F32, &ws, W);
	}
	ir_value *y = tb_value(g, "y", IR_F32, NULL), *z = y;
	ir_value *mi[2] = {a, w};
	tb_node(g, "MatMul", "mm", 13, 2, mi, 1, &y);
	if (s->bias) {
		ir_shape bs = tb_shape(g, "24");
		ir_value *b = ir_const_new(g, "b", IR_F32, &bs, B);
		ir_value *ai[2] = {y, b};
		if (s->bias == 2) {
			ai[0] = b;
			ai[1] = y;
		}
		z = tb_value(g, "z", IR_F32, NULL);
		tb_node(g, "Add", "add", 13, 2, ai, 1, &z);
	}
	for (int i = 0; i < s->ns; i++)
		add_slice(g, &s->sl[i], i, z);
	if (s->extra_use) {
		ir_value *r = tb_value(g, "r", IR_F32, NULL);
		tb_node(g, "Relu", "relu", 13, 1, &z, 1, &r);
		tb_output(g, r);
	}
	if (s->z_out)
		tb_output(g, z);
	if (s->y_out)
		tb_output(g, y);
	return g;
}

static ir_value *find(ir_graph *g, const char *fmt, int i)
{
	char nm[32];
	snprintf(nm, sizeof nm, fmt, i);
	ir_value *v = ir_graph_find(g, nm);
	if (!v)
		fail_msg("no value '%s'", nm);
	return v;
}

/* c is a constant f32 [KD, hi - lo] holding W[:, lo:hi]. */
static void check_cols(const ir_value *c, int lo, int hi, const char *what)
{
	int n = hi - lo;
	if (!c || !c->data || c->dtype != IR_F32 || c->shape.rank != 2 ||
	    c->shape.d[0].c != KD || c->shape.d[1].c != n || c->nbytes != sizeof(float) * KD * n)
		fail_msg("%s: weights are not a constant [%d, %d]", what, KD, n);
	const float *d = c->data;
	for (int k = 0; k < KD; k++)
		for (int j = 0; j < n; j++)
			if (d[k * n + j] != W[k * ND + lo + j])
				fail_msg("%s: weight [%d, %d] = %g, want W[%d, %d] = %g", what, k, j,
					 d[k * n + j], k, lo + j, W[k * ND + lo + j]);
}

/* c is a constant f32 of hi - lo elements over its last axis holding B[lo:hi]. */
static void check_bias(const ir_value *c, int lo, int hi, const char *what)
{
	int n = hi - lo;
	if (!c || !c->data || c->dtype != IR_F32 || c->nbytes != sizeof(float) * n ||
	    c->shape.d[c->shape.rank - 1].c != n)
		fail_msg("%s: bias is not a constant of %d elements", what, n);
	for (int j = 0; j < n; j++)
		if (((const float *)c->data)[j] != B[lo + j])
			fail_msg("%s: bias [%d] = %g, want B[%d] = %g", what, j,
				 ((const float *)c->data)[j], lo + j, B[lo + j]);
}

/* Split: no Slice, no Add, one MatMul per Slice producing its output from
 * a and that Slice's columns of w (and of b, as MatMul's third input). */
static void check_split(ir_graph *g, const spec *s)
{
	assert_int_equal(tb_count(g, IR_OP_Slice), 0);
	assert_int_equal(tb_count(g, IR_OP_MatMul), s->ns);
	assert_int_equal(tb_count(g, IR_OP_COUNT), s->ns);
	ir_value *a = find(g, "a", 0);
	for (int i = 0; i < s->ns; i++) {
		const slice_t *c = &s->sl[i];
		char what[16];
		snprintf(what, sizeof what, "q%d", i);
		const ir_node *mm = find(g, "q%d", i)->producer;
		if (!mm || mm->dead || mm->op != IR_OP_MatMul)
			fail_msg("%s is not produced by a MatMul", what);
		assert_ptr_equal(mm->in[0], a);
		check_cols(mm->in[1], c->lo, c->hi, what);
		if (s->bias) {
			assert_in_range(mm->nin, 3, 4);
			check_bias(mm->in[2], c->lo, c->hi, what);
			if (mm->nin == 4)
				assert_null(mm->in[3]);
		} else {
			assert_int_equal(mm->nin, 2);
		}
	}
}

/* Not split: the one MatMul of a and w is still there and every Slice
 * still reads the value it read before. */
static void check_kept(ir_graph *g, const spec *s)
{
	assert_int_equal(tb_count(g, IR_OP_MatMul), 1);
	assert_int_equal(tb_count(g, IR_OP_Slice), s->ns);
	const ir_node *mm = tb_find(g, IR_OP_MatMul);
	assert_ptr_equal(mm->in[0], find(g, "a", 0));
	assert_ptr_equal(mm->in[1], find(g, "w", 0));
	ir_value *z = find(g, s->bias ? "z" : "y", 0);
	for (int i = 0; i < s->ns; i++) {
		const ir_node *sl = find(g, "q%d", i)->producer;
		if (!sl || sl->dead || sl->op != IR_OP_Slice || sl->in[0] != z)
			fail_msg("q%d is no longer a Slice of '%s'", i, z->name);
	}
}

/* ---- the unsplit reference, in double ---- */

typedef struct {
	int rank;
	int64_t d[3];
	double v[MAXEL * 3], mag[MAXEL * 3];   /* value, sum of |terms| */
} ref_t;

/* y = a x W [+ B] over the run-time dims of a. */
static void ref_product(const spec *s, int bias, ref_t *z)
{
	int64_t ad[3];
	z->rank = a_dims(s, ad);
	int rows = 1;
	for (int i = 0; i + 1 < z->rank; i++) {
		z->d[i] = ad[i];
		rows *= (int)ad[i];
	}
	z->d[z->rank - 1] = ND;
	assert_true(rows * KD <= MAXEL);
	for (int r = 0; r < rows; r++)
		for (int n = 0; n < ND; n++) {
			double acc = bias ? B[n] : 0, mag = fabs(acc);
			for (int k = 0; k < KD; k++) {
				double t = (double)A[r * KD + k] * W[k * ND + n];
				acc += t;
				mag += fabs(t);
			}
			z->v[r * ND + n] = acc;
			z->mag[r * ND + n] = mag;
		}
}

/* o = z sliced as c says (elements lo, lo + st, ... < hi over axis ax). */
static void ref_slice(const ref_t *z, const slice_t *c, ref_t *o)
{
	int64_t cnt = 1;
	*o = (ref_t){z->rank, {z->d[0], z->d[1], z->d[2]}, {0}, {0}};
	o->d[c->ax] = (c->hi - c->lo + c->st - 1) / c->st;
	for (int i = 0; i < o->rank; i++)
		cnt *= o->d[i];
	for (int64_t f = 0; f < cnt; f++) {
		int64_t rem = f, src = 0, stride = 1, idx[3];
		for (int i = o->rank - 1; i >= 0; i--) {
			idx[i] = rem % o->d[i];
			rem /= o->d[i];
		}
		idx[c->ax] = c->lo + idx[c->ax] * c->st;
		for (int i = o->rank - 1; i >= 0; i--) {
			src += idx[i] * stride;
			stride *= z->d[i];
		}
		o->v[f] = z->v[src];
		o->mag[f] = z->mag[src];
	}
}

static void compare(const char *what, const kiln_tensor *t, const ref_t *ref)
{
	int64_t cnt = 1;
	assert_int_equal(t->dtype, KILN_FLOAT);
	if (t->rank != ref->rank)
		fail_msg("%s: rank %d, want %d", what, t->rank, ref->rank);
	for (int i = 0; i < ref->rank; i++) {
		if (t->dims[i] != ref->d[i])
			fail_msg("%s: dim %d is %lld, want %lld", what, i, (long long)t->dims[i],
				 (long long)ref->d[i]);
		cnt *= ref->d[i];
	}
	for (int64_t i = 0; i < cnt; i++) {
		double got = ((const float *)t->data)[i];
		if (!(fabs(got - ref->v[i]) <= 1e-5 * ref->mag[i]))
			fail_msg("%s[%lld] = %.8g, reference %.8g", what, (long long)i, got,
				 ref->v[i]);
	}
}

/* Builds s, runs the pipeline, checks the graph is split or kept, then
 * runs it through the JIT and checks every output against the reference. */
static void run_case(const spec *s, int want_split)
{
	ir_graph *g = build(s);
	kiln_status ks;
	tj_pipeline(g, 0);
	if (want_split)
		check_split(g, s);
	else
		check_kept(g, s);
	kiln_model *mdl;
	kiln_session *ses = tj_session(g, 0, NULL, &mdl);

	kiln_tensor in[2] = {{"a", KILN_FLOAT, 0, {0}, A}, {"w", KILN_FLOAT, 2, {KD, ND}, W}};
	in[0].rank = a_dims(s, in[0].dims);
	kiln_tensor out[MAXS + 3];
	size_t nout = (size_t)(s->ns + s->extra_use + s->z_out + s->y_out);
	assert_int_equal(kiln_model_num_outputs(mdl), nout);
	memset(out, 0, sizeof out);
	if (kiln_session_run(ses, in, s->w_input ? 2 : 1, out, nout, &ks))
		fail_msg("run: %s", ks.msg);

	static ref_t z, y, o;
	ref_product(s, s->bias, &z);
	size_t k = 0;
	for (int i = 0; i < s->ns; i++) {
		char what[16];
		snprintf(what, sizeof what, "q%d", i);
		ref_slice(&z, &s->sl[i], &o);
		compare(what, &out[k++], &o);
	}
	if (s->extra_use) {
		o = z;
		for (int i = 0; i < MAXEL * 3; i++)
			o.v[i] = o.v[i] > 0 ? o.v[i] : 0;
		compare("r", &out[k++], &o);
	}
	if (s->z_out)
		compare("z", &out[k++], &z);
	if (s->y_out) {
		ref_product(s, 0, &y);
		compare("y", &out[k++], &y);
	}
	kiln_session_free(ses);
	kiln_model_free(mdl);
}

/* ---- split ---- */

static void test_qkv(void **state)
{
	(void)state;
	spec s = qkv();
	run_case(&s, 1);
	s.adims = "2,4,8";
	run_case(&s, 1);
	s.bias = 2;                    /* Add(bias, product) */
	run_case(&s, 1);
}

/* axes = rank - 1 instead of -1, and an explicit steps = 1 */
static void test_axes_positive(void **state)
{
	(void)state;
	spec s = qkv();
	for (int i = 0; i < 3; i++)
		s.sl[i].axis = 2;
	run_case(&s, 1);
	for (int i = 0; i < 3; i++)
		s.sl[i].step = 1;
	run_case(&s, 1);
	s.adims = "5,8";               /* rank 2: axes = 1 */
	for (int i = 0; i < 3; i++) {
		s.sl[i].axis = 1;
		s.sl[i].ax = 1;
	}
	run_case(&s, 1);
}

static void test_negative_bounds(void **state)
{
	(void)state;
	spec s = qkv();
	s.sl[0] = last(-24, -16, 0, 8);
	s.sl[1] = last(-16, -8, 8, 16);
	s.sl[2] = last(-8, INT64_MAX, 16, 24);
	run_case(&s, 1);
	s.sl[0] = last(-100, 8, 0, 8);          /* clamped to the axis */
	s.sl[2] = last(16, 1000, 16, 24);
	run_case(&s, 1);
}

static void test_ends_max(void **state)
{
	(void)state;
	spec s = qkv();
	s.sl[2] = last(16, INT64_MAX, 16, 24);
	run_case(&s, 1);
	s.ns = 2;                                 /* halves, both open-ended forms */
	s.sl[0] = last(0, 12, 0, 12);
	s.sl[1] = last(12, INT64_MAX, 12, 24);
	run_case(&s, 1);
}

static void test_no_bias(void **state)
{
	(void)state;
	spec s = qkv();
	s.bias = 0;
	run_case(&s, 1);
	s.adims = "2,4,8";
	s.sl[2] = last(-8, INT64_MAX, 16, 24);
	run_case(&s, 1);
}

static void test_overlap_and_gaps(void **state)
{
	(void)state;
	spec s = qkv();
	s.sl[0] = last(0, 10, 0, 10);
	s.sl[1] = last(6, 16, 6, 16);             /* overlaps the first */
	s.sl[2] = last(20, 24, 20, 24);           /* 16..20 read by none */
	run_case(&s, 1);
	s.ns = 4;
	s.sl[3] = last(3, 5, 3, 5);               /* inside the first */
	run_case(&s, 1);
	s.bias = 0;
	run_case(&s, 1);
	s.ns = 2;                                 /* the same columns twice */
	s.sl[1] = s.sl[0];
	run_case(&s, 1);
}

/* ---- not split ---- */

static void test_other_user(void **state)
{
	(void)state;
	spec s = qkv();
	s.extra_use = 1;
	run_case(&s, 0);
	s.bias = 0;
	run_case(&s, 0);
}

static void test_product_is_output(void **state)
{
	(void)state;
	spec s = qkv();
	s.z_out = 1;                  /* the sliced sum */
	run_case(&s, 0);
	s.z_out = 0;
	s.y_out = 1;                  /* the MatMul under the bias Add */
	run_case(&s, 0);
	s.y_out = 0;
	s.bias = 0;
	s.z_out = 1;                  /* the MatMul itself */
	run_case(&s, 0);
}

static void test_other_axis(void **state)
{
	(void)state;
	spec s = qkv();
	s.sl[2] = (slice_t){0, 2, 1, 0, 1, 0, 2, 1};        /* rows 0..1 over axis 1 */
	run_case(&s, 0);
	s.sl[2] = (slice_t){0, 2, -2, 0, 1, 0, 2, 1};
	run_case(&s, 0);
}

/* No axes input: the Slice is over axis 0, whatever the rank; first with
 * axes given as the empty name before a steps input, then left off. */
static void test_axes_omitted(void **state)
{
	(void)state;
	spec s = qkv();
	s.adims = "2,4,8";
	s.ns = 2;
	s.sl[0] = (slice_t){0, 1, NOAX, 1, 0, 0, 1, 1};
	s.sl[1] = (slice_t){1, 2, NOAX, 1, 0, 1, 2, 1};
	run_case(&s, 0);
	s.sl[0].step = s.sl[1].step = 0;
	run_case(&s, 0);
}

static void test_step_two(void **state)
{
	(void)state;
	spec s = qkv();
	s.sl[2] = (slice_t){16, 24, -1, 2, 2, 16, 24, 2};
	run_case(&s, 0);
	s.sl[2] = (slice_t){0, 24, -1, 2, 2, 0, 24, 2};
	run_case(&s, 0);
}

static void test_w_input(void **state)
{
	(void)state;
	spec s = qkv();
	s.w_input = 1;
	run_case(&s, 0);
	s.bias = 0;
	run_case(&s, 0);
}

static void test_single_slice(void **state)
{
	(void)state;
	spec s = qkv();
	s.ns = 1;
	run_case(&s, 0);
	s.sl[0] = last(4, 20, 4, 20);
	s.bias = 0;
	run_case(&s, 0);
}

/* ---- Transposes of size-1 axes (views in codegen/plan.c) ---- */

/* One x -> Neg -> Transpose(perm) -> Add(., Exp(c)) chain; c's Exp is
 * computed after the Transpose, so were the Neg's bytes freed at the
 * Transpose (which only aliases them), Exp would write over them. */
typedef struct {
	const char *xd, *td;          /* x's and the Transpose output's dims */
	int rank, n;
	int64_t xdims[4], tdims[4], perm[4];
	int alias;                    /* what codegen/plan.c should make of it */
} tr_t;

static const tr_t TR[] = {
	{"1,4,6", "4,1,6", 3, 24, {1, 4, 6}, {4, 1, 6}, {1, 0, 2}, 1},
	{"2,1,3,1", "2,1,1,3", 4, 6, {2, 1, 3, 1}, {2, 1, 1, 3}, {0, 3, 1, 2}, 1},
	{"2,1,3", "1,2,3", 3, 6, {2, 1, 3}, {1, 2, 3}, {1, 0, 2}, 1},
	{"2,3", "3,2", 2, 6, {2, 3}, {3, 2}, {1, 0}, 0},
};
#define NTR (int)(sizeof TR / sizeof TR[0])

static ir_graph *tr_graph(void)
{
	ir_graph *g = tb_graph(13);
	for (int i = 0; i < NTR; i++) {
		const tr_t *t = &TR[i];
		char nm[6][16];
		const char *pre[6] = {"x", "c", "n", "t", "e", "y"};
		for (int k = 0; k < 6; k++)
			snprintf(nm[k], sizeof nm[k], "%s%d", pre[k], i);
		ir_value *x = tb_input(g, nm[0], IR_F32, t->xd);
		ir_value *c = tb_input(g, nm[1], IR_F32, t->td);
		ir_value *n = tb_value(g, nm[2], IR_F32, NULL);
		ir_value *tt = tb_value(g, nm[3], IR_F32, NULL);
		ir_value *e = tb_value(g, nm[4], IR_F32, NULL);
		ir_value *y = tb_value(g, nm[5], IR_F32, NULL);
		tb_node(g, "Neg", nm[2], 13, 1, &x, 1, &n);
		tb_attr_ints(g, tb_node(g, "Transpose", nm[3], 13, 1, &n, 1, &tt), "perm",
			     t->rank, t->perm);
		tb_node(g, "Exp", nm[4], 13, 1, &c, 1, &e);
		ir_value *ai[2] = {tt, e};
		tb_node(g, "Add", nm[5], 13, 2, ai, 1, &y);
		tb_output(g, y);
	}
	return g;
}

static void test_transpose_view_numbers(void **state)
{
	(void)state;
	ir_graph *g = tr_graph();
	ir_status st;
	kiln_status ks;
	cg_plan p;
	memset(&st, 0, sizeof st);
	tj_pipeline(g, 0);
	assert_int_equal(tb_count(g, IR_OP_Transpose), NTR);
	/* the graph the JIT gets has the views this test is about */
	if (cg_plan_build(g, &p, &st))
		fail_msg("cg_plan_build: %s", st.msg);
	for (int i = 0; i < NTR; i++) {
		const cg_loc *l = &p.loc[find(g, "t%d", i)->id];
		int alias = l->kind == CG_LOC_ALIAS && l->index == find(g, "n%d", i)->id;
		if (alias != TR[i].alias)
			fail_msg("t%d: kind %d, want %s", i, l->kind, TR[i].alias ? "alias" : "not");
	}
	free(p.loc);
	free(p.scratch);
	kiln_model *mdl;
	kiln_session *ses = tj_session(g, 0, NULL, &mdl);

	static float x[NTR][24], c[NTR][24];
	kiln_tensor in[2 * NTR], out[NTR];
	for (int i = 0; i < NTR; i++) {
		for (int k = 0; k < TR[i].n; k++) {
			x[i][k] = A[i * 24 + k];
			c[i][k] = A[100 + i * 24 + k];
		}
		in[2 * i] = (kiln_tensor){NULL, KILN_FLOAT, TR[i].rank, {0}, x[i]};
		in[2 * i + 1] = (kiln_tensor){NULL, KILN_FLOAT, TR[i].rank, {0}, c[i]};
		memcpy(in[2 * i].dims, TR[i].xdims, sizeof TR[i].xdims);
		memcpy(in[2 * i + 1].dims, TR[i].tdims, sizeof TR[i].tdims);
	}
	memset(out, 0, sizeof out);
	if (kiln_session_run(ses, in, 2 * NTR, out, NTR, &ks))
		fail_msg("run: %s", ks.msg);
	for (int i = 0; i < NTR; i++) {
		const tr_t *t = &TR[i];
		assert_int_equal(out[i].rank, t->rank);
		for (int k = 0; k < t->rank; k++)
			assert_int_equal(out[i].dims[k], t->tdims[k]);
		/* out[o] = -x[src(o)] + exp(c[o]), src by the perm: out axis k is x axis perm[k] */
		for (int o = 0; o < t->n; o++) {
			int64_t rem = o, idx[4], src = 0, stride = 1;
			for (int k = t->rank - 1; k >= 0; k--) {
				idx[t->perm[k]] = rem % t->tdims[k];
				rem /= t->tdims[k];
			}
			for (int k = t->rank - 1; k >= 0; k--) {
				src += idx[k] * stride;
				stride *= t->xdims[k];
			}
			double want = -(double)x[i][src] + exp((double)c[i][o]);
			double got = ((const float *)out[i].data)[o];
			if (!(fabs(got - want) <= 1e-5 * (fabs(x[i][src]) + exp(c[i][o]))))
				fail_msg("y%d[%d] = %.8g, reference %.8g", i, o, got, want);
		}
	}
	kiln_session_free(ses);
	kiln_model_free(mdl);
}

int main(void)
{
	init_data();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_qkv),
		cmocka_unit_test(test_axes_positive),
		cmocka_unit_test(test_negative_bounds),
		cmocka_unit_test(test_ends_max),
		cmocka_unit_test(test_no_bias),
		cmocka_unit_test(test_overlap_and_gaps),
		cmocka_unit_test(test_other_user),
		cmocka_unit_test(test_product_is_output),
		cmocka_unit_test(test_other_axis),
		cmocka_unit_test(test_axes_omitted),
		cmocka_unit_test(test_step_two),
		cmocka_unit_test(test_w_input),
		cmocka_unit_test(test_single_slice),
		cmocka_unit_test(test_transpose_view_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
