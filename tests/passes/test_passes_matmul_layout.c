/* test_passes_matmul_layout.c — passes/matmul_layout.c: Transposes feeding
 * or reading only a batched f32 MatMul are absorbed into it (the MatMul
 * reads and writes the permuted views in place, kk_matmul_strided_f32);
 * Transposes with other readers, or whose view is not one strided batched
 * product, stay. Last, attention's query scale: passes/hoist_scale.c moves
 * it up to the projection, where fuse_epilogue folds it (kiln_alpha), but
 * never across a Reshape that would let the scalar broadcast. Every
 * graph runs through the JIT against a double reference computed here from
 * the graph as written. */
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
#include "passes.h"

#define MAXR 5
#define MAXEL 4096

/* An operand or result: stored dims, and the Transpose between the stored
 * tensor and the MatMul (np 0: none). */
typedef struct {
	int r;
	int64_t d[MAXR];
	int np;
	int64_t p[MAXR];
} opnd;

typedef struct {
	opnd a, b, y;        /* y: dims of the product (y.p: the Transpose after it) */
	int extra;           /* 1: a's Transpose also an output; 2: the product too */
	int want_t;          /* Transposes left after the pipeline */
} spec;

static float A[MAXEL], B[MAXEL];

static void init_data(void)
{
	unsigned s = 7;
	for (int i = 0; i < MAXEL; i++) {
		s = s * 1103515245u + 12345u;
		A[i] = (float)((s >> 8) % 2001) / 1000.0f - 1.0f;
		s = s * 1103515245u + 12345u;
		B[i] = (float)((s >> 8) % 2001) / 1000.0f - 1.0f;
	}
}

static int64_t numel(int r, const int64_t *d)
{
	int64_t n = 1;
	for (int i = 0; i < r; i++)
		n *= d[i];
	return n;
}

static void dims_str(int r, const int64_t *d, char *buf)
{
	buf[0] = 0;
	for (int i = 0; i < r; i++)
		sprintf(buf + strlen(buf), "%s%lld", i ? "," : "", (long long)d[i]);
}

/* out = Transpose(in, p) in double; od gets the output dims. */
static void transpose(int r, const int64_t *d, const double *in, const int64_t *p,
		      int64_t *od, double *out)
{
	int64_t st[MAXR], n = numel(r, d);
	for (int i = r - 1, acc = 1; i >= 0; i--) {
		st[i] = acc;
		acc *= (int)d[i];
	}
	for (int i = 0; i < r; i++)
		od[i] = d[p[i]];
	for (int64_t f = 0; f < n; f++) {
		int64_t rem = f, src = 0;
		for (int i = r - 1; i >= 0; i--) {
			src += (rem % od[i]) * st[p[i]];
			rem /= od[i];
		}
		out[f] = in[src];
	}
}

/* The graph as written: a [-> Transpose] and b [-> Transpose] -> MatMul
 * [-> Transpose] -> "out"; extra outputs as s->extra says. */
static ir_graph *build(const spec *s)
{
	ir_graph *g = tb_graph(13);
	char dims[64];
	dims_str(s->a.r, s->a.d, dims);
	ir_value *a = tb_input(g, "a", IR_F32, dims);
	dims_str(s->b.r, s->b.d, dims);
	ir_value *b = tb_input(g, "b", IR_F32, dims);
	ir_value *mi[2] = {a, b};
	const opnd *ops[2] = {&s->a, &s->b};
	for (int i = 0; i < 2; i++) {
		if (!ops[i]->np)
			continue;
		ir_value *t = tb_value(g, i ? "bt" : "at", IR_F32, NULL);
		ir_node *n = tb_node(g, "Transpose", i ? "tb" : "ta", 13, 1, &mi[i], 1, &t);
		tb_attr_ints(g, n, "perm", ops[i]->np, ops[i]->p);
		mi[i] = t;
	}
	ir_value *y = tb_value(g, "y", IR_F32, NULL), *out = y;
	tb_node(g, "MatMul", "mm", 13, 2, mi, 1, &y);
	if (s->y.np) {
		out = tb_value(g, "out", IR_F32, NULL);
		ir_node *n = tb_node(g, "Transpose", "ty", 13, 1, &y, 1, &out);
		tb_attr_ints(g, n, "perm", s->y.np, s->y.p);
	}
	tb_output(g, out);
	if (s->extra == 1)
		tb_output(g, mi[0]);
	if (s->extra == 2)
		tb_output(g, y);
	return g;
}

/* Reference of "out" (and of the extra output) in double; mag: sum of the
 * |terms| of each product element. */
static void reference(const spec *s, double *out, double *mag, int64_t *od)
{
	static double a[MAXEL], b[MAXEL], at[MAXEL], bt[MAXEL], y[MAXEL], ym[MAXEL];
	int64_t ad[MAXR], bd[MAXR], n;
	memcpy(ad, s->a.d, sizeof ad);
	memcpy(bd, s->b.d, sizeof bd);
	for (int64_t i = 0, na = numel(s->a.r, ad); i < na; i++)
		a[i] = A[i];
	for (int64_t i = 0, nb = numel(s->b.r, bd); i < nb; i++)
		b[i] = B[i];
	if (s->a.np)
		transpose(s->a.r, s->a.d, a, s->a.p, ad, at);
	else
		memcpy(at, a, sizeof a);
	if (s->b.np)
		transpose(s->b.r, s->b.d, b, s->b.p, bd, bt);
	else
		memcpy(bt, b, sizeof b);
	/* batched product, broadcasting leading dims of b (rank <= a's) */
	int r = s->y.r;
	int64_t M = ad[r - 2], K = ad[r - 1], N = bd[s->b.r - 1];
	int64_t batch = numel(r - 2, s->y.d), bb = numel(s->b.r - 2, bd);
	for (int64_t t = 0; t < batch; t++)
		for (int64_t i = 0; i < M; i++)
			for (int64_t j = 0; j < N; j++) {
				double acc = 0, m = 0;
				for (int64_t k = 0; k < K; k++) {
					double v = at[(t * M + i) * K + k] * bt[((t % bb) * K + k) * N + j];
					acc += v;
					m += fabs(v);
				}
				y[(t * M + i) * N + j] = acc;
				ym[(t * M + i) * N + j] = m;
			}
	n = numel(r, s->y.d);
	if (s->y.np) {
		transpose(r, s->y.d, y, s->y.p, od, out);
		transpose(r, s->y.d, ym, s->y.p, od, mag);
	} else {
		memcpy(od, s->y.d, sizeof(int64_t) * (size_t)r);
		memcpy(out, y, sizeof(double) * (size_t)n);
		memcpy(mag, ym, sizeof(double) * (size_t)n);
	}
}

static void compare(const char *what, const kiln_tensor *t, int r, const int64_t *d,
		    const double *v, const double *mag)
{
	assert_int_equal(t->dtype, KILN_FLOAT);
	assert_int_equal(t->rank, r);
	for (int i = 0; i < r; i++)
		if (t->dims[i] != d[i])
			fail_msg("%s: dim %d is %lld, want %lld", what, i, (long long)t->dims[i],
				 (long long)d[i]);
	for (int64_t i = 0, n = numel(r, d); i < n; i++) {
		double got = ((const float *)t->data)[i];
		if (!(fabs(got - v[i]) <= 1e-5 * mag[i] + 1e-30))
			fail_msg("%s[%lld] = %.8g, reference %.8g", what, (long long)i, got, v[i]);
	}
}

static void run_case(const spec *s)
{
	ir_graph *g = build(s);
	kiln_status ks;
	tj_pipeline(g, 0);
	assert_int_equal(tb_count(g, IR_OP_Transpose), s->want_t);
	assert_int_equal(tb_count(g, IR_OP_MatMul), 1);
	kiln_model *mdl;
	kiln_session *ses = tj_session(g, 0, NULL, &mdl);
	kiln_tensor in[2] = {{"a", KILN_FLOAT, s->a.r, {0}, A}, {"b", KILN_FLOAT, s->b.r, {0}, B}};
	memcpy(in[0].dims, s->a.d, sizeof(int64_t) * (size_t)s->a.r);
	memcpy(in[1].dims, s->b.d, sizeof(int64_t) * (size_t)s->b.r);
	kiln_tensor out[2];
	memset(out, 0, sizeof out);
	size_t nout = s->extra ? 2 : 1;
	if (kiln_session_run(ses, in, 2, out, nout, &ks))
		fail_msg("run: %s", ks.msg);
	static double ref[MAXEL], mag[MAXEL];
	int64_t od[MAXR];
	reference(s, ref, mag, od);
	compare("out", &out[0], s->y.r, od, ref, mag);
	if (s->extra == 2) {   /* the product itself */
		spec u = *s;
		u.y.np = 0;
		reference(&u, ref, mag, od);
		compare("y", &out[1], s->y.r, od, ref, mag);
	}
	kiln_session_free(ses);
	kiln_model_free(mdl);
}

/* Attention's scores Q K^T: q, k stored [batch, seq, heads, dh]. */
static void test_scores(void **state)
{
	(void)state;
	spec s = {{4, {2, 5, 3, 4}, 4, {0, 2, 1, 3}}, {4, {2, 5, 3, 4}, 4, {0, 2, 3, 1}},
		  {4, {2, 3, 5, 5}, 0, {0}}, 0, 0};
	run_case(&s);
}

/* Attention's P V, its heads merged back by the Transpose after it. */
static void test_context(void **state)
{
	(void)state;
	spec s = {{4, {2, 3, 7, 7}, 0, {0}}, {4, {2, 7, 3, 4}, 4, {0, 2, 1, 3}},
		  {4, {2, 3, 7, 4}, 4, {0, 2, 1, 3}}, 0, 0};
	run_case(&s);
	/* B broadcast over the outer batch dim (rank 3 under rank 4) */
	spec u = {{4, {2, 3, 7, 9}, 0, {0}}, {3, {9, 3, 4}, 3, {1, 0, 2}},
		  {4, {2, 3, 7, 4}, 4, {0, 2, 1, 3}}, 0, 0};
	run_case(&u);
	/* A transposed in its matrix dims (read along k with a stride) */
	spec v = {{3, {3, 6, 5}, 3, {0, 2, 1}}, {3, {3, 6, 17}, 0, {0}},
		  {3, {3, 5, 17}, 0, {0}}, 0, 0};
	run_case(&v);
}

/* Transposes that stay: read by something else, or a view that is not one
 * strided product (three batch dims that do not merge; an output Transpose
 * moving the column axis). */
static void test_kept(void **state)
{
	(void)state;
	spec s = {{4, {2, 5, 3, 4}, 4, {0, 2, 1, 3}}, {4, {2, 5, 3, 4}, 4, {0, 2, 3, 1}},
		  {4, {2, 3, 5, 5}, 0, {0}}, 1, 1};
	run_case(&s);
	spec u = {{4, {2, 3, 7, 7}, 0, {0}}, {4, {2, 7, 3, 4}, 4, {0, 2, 1, 3}},
		  {4, {2, 3, 7, 4}, 4, {0, 2, 1, 3}}, 2, 1};
	run_case(&u);
	spec v = {{5, {2, 3, 4, 5, 6}, 5, {2, 1, 0, 3, 4}}, {5, {4, 3, 2, 6, 3}, 0, {0}},
		  {5, {4, 3, 2, 5, 3}, 0, {0}}, 0, 1};
	run_case(&v);
	spec w = {{3, {2, 5, 6}, 0, {0}}, {3, {2, 6, 4}, 0, {0}},
		  {3, {2, 5, 4}, 3, {0, 2, 1}}, 0, 1};
	run_case(&w);
}

/* Queries q = Div|Mul(Transpose(Reshape(x W + bias)), c) against keys
 * read transposed from k: scores [2, 3, 5, 5]. */
static void scores_scaled(int op_div, float c)
{
	static float W[12 * 12], bias[12];
	for (int i = 0; i < 12 * 12; i++)
		W[i] = B[1000 + i];
	for (int i = 0; i < 12; i++)
		bias[i] = A[1000 + i];
	ir_graph *g = tb_graph(13);
	ir_value *x = tb_input(g, "a", IR_F32, "2,5,12"), *kin = tb_input(g, "b", IR_F32, "2,5,3,4");
	ir_shape ws = tb_shape(g, "12,12"), bs = tb_shape(g, "12");
	ir_value *in[2] = {x, ir_const_new(g, "w", IR_F32, &ws, W)};
	ir_value *p = tb_value(g, "p", IR_F32, NULL), *pb = tb_value(g, "pb", IR_F32, NULL);
	tb_node(g, "MatMul", "proj", 13, 2, in, 1, &p);
	in[0] = p;
	in[1] = ir_const_new(g, "bias", IR_F32, &bs, bias);
	tb_node(g, "Add", "addb", 13, 2, in, 1, &pb);
	int64_t shp[4] = {2, 5, 3, 4}, pq[4] = {0, 2, 1, 3}, pk[4] = {0, 2, 3, 1};
	in[0] = pb;
	in[1] = tb_i64s(g, "shape", 4, shp);
	ir_value *r = tb_value(g, "r", IR_F32, NULL), *t = tb_value(g, "t", IR_F32, NULL);
	tb_node(g, "Reshape", "split", 13, 2, in, 1, &r);
	ir_node *n = tb_node(g, "Transpose", "heads", 13, 1, &r, 1, &t);
	tb_attr_ints(g, n, "perm", 4, pq);
	ir_value *q = tb_value(g, "q", IR_F32, NULL), *kt = tb_value(g, "kt", IR_F32, NULL);
	in[0] = t;
	in[1] = tb_f32(g, "c", c);
	tb_node(g, op_div ? "Div" : "Mul", "scale", 13, 2, in, 1, &q);
	n = tb_node(g, "Transpose", "keys", 13, 1, &kin, 1, &kt);
	tb_attr_ints(g, n, "perm", 4, pk);
	ir_value *y = tb_value(g, "y", IR_F32, NULL);
	in[0] = q;
	in[1] = kt;
	tb_node(g, "MatMul", "scores", 13, 2, in, 1, &y);
	tb_output(g, y);

	kiln_status ks;
	tj_pipeline(g, 0);
	assert_int_equal(tb_count(g, IR_OP_Transpose), 0);
	assert_int_equal(tb_count(g, IR_OP_Div) + tb_count(g, IR_OP_Mul), 0);
	float want = op_div ? 1.0f / c : c, got = 0;
	for (int i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->dead && g->nodes[i]->op == IR_OP_MatMul &&
		    ir_attr_find(g->nodes[i], "kiln_alpha"))
			got = ir_attr_float(g->nodes[i], "kiln_alpha", 0);
	assert_true(got == want);
	kiln_model *mdl;
	kiln_session *ses = tj_session(g, 0, NULL, &mdl);
	kiln_tensor tin[2] = {{"a", KILN_FLOAT, 3, {2, 5, 12}, A}, {"b", KILN_FLOAT, 4, {2, 5, 3, 4}, B}};
	kiln_tensor out;
	memset(&out, 0, sizeof out);
	if (kiln_session_run(ses, tin, 2, &out, 1, &ks))
		fail_msg("run: %s", ks.msg);
	/* reference: qd[b][h][s][e] = (x W + bias)[b][s][4h + e] op c */
	static double qd[2][3][5][4], ref[2 * 3 * 5 * 5], mag[2 * 3 * 5 * 5];
	for (int b = 0; b < 2; b++)
		for (int s2 = 0; s2 < 5; s2++)
			for (int j = 0; j < 12; j++) {
				double acc = bias[j];
				for (int k = 0; k < 12; k++)
					acc += (double)A[(b * 5 + s2) * 12 + k] * W[k * 12 + j];
				qd[b][j / 4][s2][j % 4] = op_div ? acc / c : acc * c;
			}
	for (int b = 0; b < 2; b++)
		for (int h = 0; h < 3; h++)
			for (int i = 0; i < 5; i++)
				for (int j = 0; j < 5; j++) {
					double acc = 0, m = 0;
					for (int e = 0; e < 4; e++) {
						double v = qd[b][h][i][e] * B[((b * 5 + j) * 3 + h) * 4 + e];
						acc += v;
						m += fabs(v);
					}
					ref[((b * 3 + h) * 5 + i) * 5 + j] = acc;
					mag[((b * 3 + h) * 5 + i) * 5 + j] = m + 1e-6 * fabs(acc);
				}
	int64_t od[4] = {2, 3, 5, 5};
	compare("scores", &out, 4, od, ref, mag);
	kiln_session_free(ses);
	kiln_model_free(mdl);
}

static void test_query_scale(void **state)
{
	(void)state;
	scores_scaled(1, 2.0f);       /* Div by sqrt(dh) */
	scores_scaled(0, 0.3f);       /* Mul by a reciprocal */
}

/* A one-element scale of higher rank than the tensor above a Reshape would
 * broadcast it: the Div stays below the Reshape (and the numbers right). */
static void test_scale_rank_kept(void **state)
{
	(void)state;
	static float W[5 * 4];
	for (int i = 0; i < 20; i++)
		W[i] = B[i];
	ir_graph *g = tb_graph(13);
	ir_value *x = tb_input(g, "a", IR_F32, "6,5");
	ir_shape ws = tb_shape(g, "5,4"), cs = tb_shape(g, "1,1,1");
	float cv = 4.0f;
	ir_value *in[2] = {x, ir_const_new(g, "w", IR_F32, &ws, W)};
	ir_value *p = tb_value(g, "p", IR_F32, NULL), *r = tb_value(g, "r", IR_F32, NULL);
	ir_value *y = tb_value(g, "y", IR_F32, NULL);
	tb_node(g, "MatMul", "mm", 13, 2, in, 1, &p);
	int64_t shp[3] = {2, 3, 4};
	in[0] = p;
	in[1] = tb_i64s(g, "shape", 3, shp);
	tb_node(g, "Reshape", "rs", 13, 2, in, 1, &r);
	in[0] = r;
	in[1] = ir_const_new(g, "c", IR_F32, &cs, &cv);
	tb_node(g, "Div", "div", 13, 2, in, 1, &y);
	tb_output(g, y);
	kiln_status ks;
	tj_pipeline(g, 0);
	const ir_node *d = tb_find(g, IR_OP_Div);
	assert_non_null(d);
	assert_int_equal(d->out[0]->shape.rank, 3);
	kiln_model *mdl;
	kiln_session *ses = tj_session(g, 0, NULL, &mdl);
	kiln_tensor tin = {"a", KILN_FLOAT, 2, {6, 5}, A}, out;
	memset(&out, 0, sizeof out);
	if (kiln_session_run(ses, &tin, 1, &out, 1, &ks))
		fail_msg("run: %s", ks.msg);
	static double ref[24], mag[24];
	for (int i = 0; i < 6; i++)
		for (int j = 0; j < 4; j++) {
			double acc = 0, m = 0;
			for (int k = 0; k < 5; k++) {
				acc += (double)A[i * 5 + k] * W[k * 4 + j];
				m += fabs((double)A[i * 5 + k] * W[k * 4 + j]);
			}
			ref[i * 4 + j] = acc / 4.0;
			mag[i * 4 + j] = m / 4.0 + 1e-6;
		}
	int64_t od[3] = {2, 3, 4};
	compare("y", &out, 3, od, ref, mag);
	kiln_session_free(ses);
	kiln_model_free(mdl);
}

int main(void)
{
	init_data();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scores),
		cmocka_unit_test(test_context),
		cmocka_unit_test(test_kept),
		cmocka_unit_test(test_query_scale),
		cmocka_unit_test(test_scale_rank_kept),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
