/* test_passes_fuse_convpool.c — passes/fuse_convpool.c: on f32, a Conv of
 * few input channels -> Relu whose output only a 3x3 stride-2 MaxPool
 * without pads reads becomes one KilnConvPool node after pass_run_pipeline
 * (strides 1 and 2, with pads, ceil_mode where it changes nothing), and is
 * left as a Conv and a MaxPool when a precondition fails (pooling pads, a
 * 2x2 window, the Conv's output also a graph output, the Indices output
 * used, 8 input channels, ceil_mode adding a row); every graph run through
 * the JIT matches a double-precision reference computed here. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "build.h"
#include "jit.h"
#include "passes.h"

#define N 2
#define MAXC 8
#define MAXM 16
#define MAXHW (64 * 64)

static float X[N * MAXC * MAXHW], W[MAXM * MAXC * 25], B[MAXM];

static void init_data(void)
{
	unsigned s = 31416;
	for (size_t i = 0; i < sizeof X / sizeof *X; i++)
		X[i] = tb_rnd(&s, 2.0f);
	for (size_t i = 0; i < sizeof W / sizeof *W; i++)
		W[i] = tb_rnd(&s, 0.5f);
	for (int i = 0; i < MAXM; i++)
		B[i] = tb_rnd(&s, 0.5f) - 0.5f;     /* some windows all below 0 */
}

/* x [N, c, h, w] -> Conv (k x k, stride s, pads p; w, b) -> y -> Relu -> a
 * -> MaxPool (pk x pk, stride 2, pads pp, ceil_mode) -> z. */
typedef struct {
	int c, m, h, w, k, s, p;
	int pk, pp, ceil;
	int a_out;            /* a also a graph output */
	int indices;          /* the MaxPool's Indices output a graph output */
} cp;

static cp base(void)
{
	cp s = {3, 8, 30, 60, 3, 2, 0, 3, 0, 0, 0, 0};
	return s;
}

static int conv_h(const cp *s) { return (s->h + 2 * s->p - s->k) / s->s + 1; }
static int conv_w(const cp *s) { return (s->w + 2 * s->p - s->k) / s->s + 1; }

static int pool_dim(const cp *s, int n)
{
	int span = n + 2 * s->pp - s->pk;
	return (s->ceil ? (span + 1) / 2 : span / 2) + 1;
}

static ir_graph *cp_graph(const cp *s)
{
	int64_t cst[2] = {s->s, s->s}, cpads[4] = {s->p, s->p, s->p, s->p};
	int64_t pk[2] = {s->pk, s->pk}, pst[2] = {2, 2}, ppads[4] = {s->pp, s->pp, s->pp, s->pp};
	char dims[64];
	ir_graph *g = tb_graph(13);
	snprintf(dims, sizeof dims, "%d,%d,%d,%d", N, s->c, s->h, s->w);
	ir_value *x = tb_input(g, "x", IR_F32, dims);
	snprintf(dims, sizeof dims, "%d,%d,%d,%d", s->m, s->c, s->k, s->k);
	ir_shape ws = tb_shape(g, dims), bs = tb_shape(g, s->m == 8 ? "8" : "16");
	ir_value *in[3] = {x, ir_const_new(g, "w", IR_F32, &ws, W),
			   ir_const_new(g, "b", IR_F32, &bs, B)};
	assert_non_null(in[1]);
	assert_non_null(in[2]);
	ir_value *y = tb_value(g, "y", IR_F32, NULL), *a = tb_value(g, "a", IR_F32, NULL);
	ir_value *z[2] = {tb_value(g, "z", IR_F32, NULL),
			  s->indices ? tb_value(g, "i", IR_I64, NULL) : NULL};
	ir_node *c = tb_node(g, "Conv", "conv", 13, 3, in, 1, &y);
	tb_attr_ints(g, c, "strides", 2, cst);
	tb_attr_ints(g, c, "pads", 4, cpads);
	tb_node(g, "Relu", "relu", 13, 1, &y, 1, &a);
	ir_node *m = tb_node(g, "MaxPool", "pool", 13, 1, &a, s->indices ? 2 : 1, z);
	tb_attr_ints(g, m, "kernel_shape", 2, pk);
	tb_attr_ints(g, m, "strides", 2, pst);
	if (s->pp)
		tb_attr_ints(g, m, "pads", 4, ppads);
	if (s->ceil)
		tb_attr_int(g, m, "ceil_mode", 1);
	tb_output(g, z[0]);
	if (s->indices)
		tb_output(g, z[1]);
	if (s->a_out)
		tb_output(g, a);
	return g;
}

/* The pooled output of image n, channel m at (py, px) in double, and the
 * bound of its rounding (|b| + sum |w x| of the window's maximum). */
static double ref_at(const cp *s, int n, int m, int py, int px, double *mag)
{
	int OH = conv_h(s), OW = conv_w(s);
	double best = -INFINITY;
	*mag = 0;
	for (int dy = 0; dy < s->pk; dy++)
		for (int dx = 0; dx < s->pk; dx++) {
			int oy = 2 * py - s->pp + dy, ox = 2 * px - s->pp + dx;
			if (oy < 0 || oy >= OH || ox < 0 || ox >= OW)
				continue;
			double acc = B[m], am = fabs(acc);
			for (int ci = 0; ci < s->c; ci++)
				for (int ky = 0; ky < s->k; ky++)
					for (int kx = 0; kx < s->k; kx++) {
						int iy = oy * s->s - s->p + ky, ix = ox * s->s - s->p + kx;
						if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
							continue;
						double t = (double)W[((m * s->c + ci) * s->k + ky) * s->k + kx] *
							   X[((n * s->c + ci) * s->h + iy) * s->w + ix];
						acc += t;
						am += fabs(t);
					}
			acc = acc > 0 ? acc : 0;      /* Relu */
			if (acc > best) {
				best = acc;
				*mag = am;
			}
		}
	return best;
}

/* Builds, runs the pipeline, checks the graph, then compiles with the JIT
 * and checks the pooled output against the reference. */
static void run_case(const cp *s, int want_fused)
{
	ir_graph *g = cp_graph(s);
	tj_pipeline(g, 0);
	assert_int_equal(tb_count(g, IR_OP_KilnConvPool), want_fused);
	assert_int_equal(tb_count(g, IR_OP_Conv), !want_fused);
	assert_int_equal(tb_count(g, IR_OP_MaxPool), !want_fused);
	assert_int_equal(tb_count(g, IR_OP_Relu), 0);        /* in the Conv's epilogue */
	if (want_fused) {
		ir_node *f = tb_find(g, IR_OP_KilnConvPool);
		assert_string_equal(f->op_type, "KilnConvPool");
		assert_ptr_equal(f->in[0], ir_graph_find(g, "x"));
		assert_ptr_equal(f->in[1], ir_graph_find(g, "w"));
		assert_ptr_equal(f->in[2], ir_graph_find(g, "b"));
		assert_ptr_equal(f->out[0], ir_graph_find(g, "z"));
		assert_true(ir_attr_float(f, "kiln_clip_min", -INFINITY) == 0.0f);
	}
	kiln_model *mdl;
	kiln_status ks;
	kiln_session *ses = tj_session(g, 0, NULL, &mdl);
	kiln_tensor in = {"x", KILN_FLOAT, 4, {N, s->c, s->h, s->w}, X}, out[3];
	size_t nout = (size_t)kiln_model_num_outputs(mdl);
	memset(out, 0, sizeof out);
	if (kiln_session_run(ses, &in, 1, out, nout, &ks))
		fail_msg("run: %s", ks.msg);
	int PH = pool_dim(s, conv_h(s)), PW = pool_dim(s, conv_w(s));
	assert_true(out[0].dims[0] == N && out[0].dims[1] == s->m && out[0].dims[2] == PH &&
		    out[0].dims[3] == PW);
	const float *got = out[0].data;
	int zeros = 0;
	for (int n = 0; n < N; n++)
		for (int m = 0; m < s->m; m++)
			for (int py = 0; py < PH; py++)
				for (int px = 0; px < PW; px++) {
					double mag, r = ref_at(s, n, m, py, px, &mag);
					float v = got[((n * s->m + m) * PH + py) * PW + px];
					zeros += r == 0;
					if (!(fabs(v - r) <= 1e-5 * (mag + 1e-30)))
						fail_msg("z[%d,%d,%d,%d] = %.8g, reference %.8g", n, m, py, px,
							 v, r);
				}
	/* the data must reach the Relu's floor for some windows, not most */
	assert_true(zeros > 0 && zeros < N * s->m * PH * PW / 2);
	kiln_session_free(ses);
	kiln_model_free(mdl);
}

/* SqueezeNet's form (3 -> 8 channels, 3x3 at stride 2, no pads; 60 wide:
 * 29 then 14), a 5x5 at stride 1 with pads 2 on one channel (60x60, 16
 * channels), and ceil_mode on an odd convolution output (where it adds
 * nothing). */
static void test_fused(void **state)
{
	cp s = base();
	(void)state;
	run_case(&s, 1);
	s.c = 1;
	s.m = 16;
	s.k = 5;
	s.s = 1;
	s.p = 2;
	s.h = 60;
	run_case(&s, 1);
	s = base();
	s.ceil = 1;
	s.h = 31;                      /* 15 rows: ceil and floor agree */
	s.w = 63;                      /* 31 columns: likewise */
	run_case(&s, 1);
}

static void test_not_fused(void **state)
{
	(void)state;
	cp s = base();
	s.pp = 1;                      /* pooling pads */
	run_case(&s, 0);
	s = base();
	s.pk = 2;                      /* a 2x2 window */
	run_case(&s, 0);
	s = base();
	s.a_out = 1;                   /* the Conv's output read twice */
	run_case(&s, 0);
	s = base();
	s.indices = 1;                 /* Indices wanted */
	run_case(&s, 0);
	s = base();
	s.c = 8;                       /* more input channels than the few-channel path takes */
	run_case(&s, 0);
	s = base();
	s.ceil = 1;
	s.w = 62;                      /* 30 columns: ceil_mode pools a 15th */
	run_case(&s, 0);
}

int main(void)
{
	init_data();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fused),
		cmocka_unit_test(test_not_fused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
