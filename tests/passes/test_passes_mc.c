/* test_passes_mc.c — MC-dropout builds (passes/mc.c): the sample-axis rewrite
 * on small hand-built graphs (shapes, which nodes run once, errors), and end
 * to end through the JIT: y = Gemm(Dropout(Relu(Gemm(x)))) with T = 2000,
 * whose MC mean must match W2·relu(W1 x + b1) + b2 (exact expectation of a
 * linear layer after dropout) within 7 standard errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "build.h"
#include "jit.h"
#include "passes.h"

#define NI 5
#define NH 8
#define NO 3
static float W1[NH * NI], B1[NH], W2[NO * NH], B2[NO];

static void init_weights(void)
{
	unsigned s = 12345;
	float *all[4] = {W1, B1, W2, B2};
	int sz[4] = {NH * NI, NH, NO * NH, NO};
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < sz[k]; i++) {
			s = s * 1103515245u + 12345u;
			all[k][i] = (float)((s >> 8) % 2001) / 1000.0f - 1.0f;
		}
}

static ir_value *fconst(ir_graph *g, const char *name, const char *dims, const float *d)
{
	ir_shape s = tb_shape(g, dims);
	ir_value *v = ir_const_new(g, name, IR_F32, &s, d);
	assert_non_null(v);
	return v;
}

/* x[dims] -> Gemm -> Relu -> Dropout(0.3, training) -> Gemm -> y; with_drop = 0
 * leaves the Dropout out. */
static ir_graph *mlp(const char *xdims, int with_drop)
{
	ir_graph *g = tb_graph(13);
	char hd[32];
	ir_value *x = tb_input(g, "x", IR_F32, xdims);
	snprintf(hd, sizeof hd, "%c,%d", xdims[0], NH);
	if (xdims[0] >= '0' && xdims[0] <= '9')
		snprintf(hd, sizeof hd, "%.*s,%d", (int)(strchr(xdims, ',') - xdims), xdims, NH);
	ir_value *h = tb_value(g, "h", IR_F32, hd), *r = tb_value(g, "r", IR_F32, hd);
	ir_value *d = tb_value(g, "d", IR_F32, hd), *y = tb_value(g, "y", IR_F32, "");
	ir_value *in1[3] = {x, fconst(g, "w1", "8,5", W1), fconst(g, "b1", "8", B1)};
	tb_attr_int(g, tb_node(g, "Gemm", "fc1", 13, 3, in1, 1, &h), "transB", 1);
	tb_node(g, "Relu", "relu", 13, 1, &h, 1, &r);
	if (with_drop) {
		ir_value *din[3] = {r, tb_f32(g, "ratio", 0.3f), tb_bool(g, "train", 1)};
		tb_node(g, "Dropout", "drop", 13, 3, din, 1, &d);
	} else {
		d = r;
	}
	ir_value *in2[3] = {d, fconst(g, "w2", "3,8", W2), fconst(g, "b2", "3", B2)};
	tb_attr_int(g, tb_node(g, "Gemm", "fc2", 13, 3, in2, 1, &y), "transB", 1);
	y->has_shape = 0;
	tb_output(g, y);
	return g;
}

static int run_pipeline(ir_graph *g, int T, int keep, ir_status *st)
{
	pass_options o = {0};
	o.mc_samples = T;
	o.mc_keep_samples = keep;
	o.verify = 1;
	memset(st, 0, sizeof *st);
	return pass_run_pipeline(g, &o, st);
}

static ir_node *node_named(ir_graph *g, const char *name)
{
	for (int i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->dead && strcmp(g->nodes[i]->name, name) == 0)
			return g->nodes[i];
	return NULL;
}

static void assert_shape(const ir_value *v, ir_graph *g, const char *dims)
{
	ir_shape s = tb_shape(g, dims);
	assert_true(v->has_shape);
	assert_int_equal(v->shape.rank, s.rank);
	for (int i = 0; i < s.rank; i++) {
		assert_int_equal(v->shape.d[i].c, s.d[i].c);
		assert_int_equal(v->shape.d[i].sym, s.d[i].sym);
	}
}

static void test_rewrite_shapes(void **state)
{
	ir_graph *g = mlp("N,5", 1);
	ir_status st;
	(void)state;
	assert_int_equal(run_pipeline(g, 10, 0, &st), 0);
	assert_int_equal(g->noutputs, 2);
	assert_string_equal(g->outputs[0]->name, "y_mean");
	assert_string_equal(g->outputs[1]->name, "y_var");
	assert_shape(g->outputs[0], g, "N,3");
	assert_shape(g->outputs[1], g, "N,3");
	/* before the Dropout: unchanged, runs once */
	ir_node *fc1 = node_named(g, "fc1"), *relu = node_named(g, "relu");
	ir_node *drop = node_named(g, "drop"), *fc2 = node_named(g, "fc2");
	assert_non_null(fc1);
	assert_null(ir_attr_find(fc1, "kiln_mc_sampled"));
	/* the Relu runs once too: its own node, or fused into fc1's epilogue
	 * (passes/fuse_epilogue.c), whose output is then the Dropout's input */
	if (!relu) {
		assert_float_equal(ir_attr_float(fc1, "kiln_clip_min", -1.0f), 0.0f, 0.0f);
		relu = fc1;
	}
	assert_null(ir_attr_find(relu, "kiln_mc_sampled"));
	assert_shape(relu->out[0], g, "N,8");
	/* the Dropout draws T samples of a non-sampled input */
	assert_non_null(drop);
	assert_true(drop->stochastic);
	assert_int_equal(ir_attr_int(drop, "kiln_mc_samples", 0), 10);
	assert_int_equal(ir_attr_int(drop, "kiln_mc_sampled_input", -1), 0);
	assert_shape(drop->out[0], g, "10,N,8");
	/* after it: batched over the samples, [T*N, 8] -> Gemm -> [T, N, 3] */
	assert_non_null(fc2);
	assert_int_equal(ir_attr_int(fc2, "kiln_mc_sampled", 0), 1);
	ir_shape want = tb_shape(g, "N,8");
	want.d[0].c = 10;
	assert_int_equal(fc2->in[0]->shape.rank, 2);
	assert_true(ir_dim_eq(fc2->in[0]->shape.d[0], want.d[0]));
	assert_int_equal(fc2->in[0]->shape.d[1].c, 8);
	assert_shape(ir_graph_find(g, "y"), g, "10,N,3");
	ir_graph_free(g);
}

static void test_keep_samples(void **state)
{
	ir_graph *g = mlp("4,5", 1);
	ir_status st;
	(void)state;
	assert_int_equal(run_pipeline(g, 7, 1, &st), 0);
	assert_int_equal(g->noutputs, 3);
	assert_string_equal(g->outputs[2]->name, "y_samples");
	assert_shape(g->outputs[2], g, "7,4,3");
	assert_shape(g->outputs[1], g, "4,3");
	ir_graph_free(g);
}

static void test_no_dropout(void **state)
{
	ir_graph *g = mlp("4,5", 0);
	ir_status st;
	(void)state;
	assert_int_not_equal(run_pipeline(g, 10, 0, &st), 0);
	assert_non_null(strstr(st.msg, "no Dropout"));
	assert_non_null(strstr(st.msg, "TrainingMode.TRAINING"));
	assert_null(strchr(st.msg, '\n'));
	ir_graph_free(g);
}

static void test_one_sample(void **state)
{
	ir_graph *g = mlp("4,5", 1);
	ir_status st;
	(void)state;
	assert_int_not_equal(run_pipeline(g, 1, 0, &st), 0);
	assert_non_null(strstr(st.msg, "at least 2"));
	ir_graph_free(g);
}

/* Dropout -> Transpose -> ReduceSum(axes=[1]) -> Softmax(axis=0) and an
 * output that depends on no Dropout (mean = itself, var = 0). */
static void test_axes_shift(void **state)
{
	ir_graph *g = tb_graph(13);
	ir_status st;
	(void)state;
	ir_value *x = tb_input(g, "x", IR_F32, "2,3,4");
	ir_value *d = tb_value(g, "d", IR_F32, ""), *t = tb_value(g, "t", IR_F32, "");
	ir_value *r = tb_value(g, "r", IR_F32, ""), *s = tb_value(g, "s", IR_F32, "");
	ir_value *e = tb_value(g, "e", IR_F32, "");
	ir_value *din[3] = {x, tb_f32(g, "ratio", 0.5f), tb_bool(g, "train", 1)};
	tb_node(g, "Dropout", "drop", 13, 3, din, 1, &d);
	static const int64_t perm[3] = {2, 0, 1}, ax[1] = {1};
	tb_attr_ints(g, tb_node(g, "Transpose", "tr", 13, 1, &d, 1, &t), "perm", 3, perm);
	ir_value *rin[2] = {t, tb_i64s(g, "axes", 1, ax)};
	tb_attr_int(g, tb_node(g, "ReduceSum", "rs", 13, 2, rin, 1, &r), "keepdims", 0);
	tb_attr_int(g, tb_node(g, "Softmax", "sm", 13, 1, &r, 1, &s), "axis", 0);
	tb_node(g, "Exp", "ex", 13, 1, &x, 1, &e);
	tb_output(g, s);
	tb_output(g, e);
	for (int i = 0; i < g->nvalues; i++)
		if (!g->values[i]->data && !g->values[i]->is_input)
			g->values[i]->has_shape = 0;
	assert_int_equal(run_pipeline(g, 5, 0, &st), 0);
	assert_int_equal(g->noutputs, 4);
	assert_shape(ir_graph_find(g, "t"), g, "5,4,2,3");
	assert_shape(ir_graph_find(g, "r"), g, "5,4,3");   /* reduced original axis 1 */
	assert_shape(g->outputs[0], g, "4,3");
	assert_int_equal(ir_attr_int(node_named(g, "sm"), "axis", 0), 1);
	assert_string_equal(g->outputs[2]->name, "e_mean");
	assert_shape(g->outputs[3], g, "2,3,4");
	assert_null(ir_attr_find(node_named(g, "ex"), "kiln_mc_sampled"));
	ir_graph_free(g);
}

static void test_unsupported(void **state)
{
	ir_graph *g = tb_graph(13);
	ir_status st;
	(void)state;
	ir_value *x = tb_input(g, "x", IR_F32, "2,3");
	ir_value *d = tb_value(g, "d", IR_F32, "2,3"), *y = tb_value(g, "y", IR_F32, "2,3");
	ir_value *din[3] = {x, tb_f32(g, "ratio", 0.5f), tb_bool(g, "train", 1)};
	tb_node(g, "Dropout", "drop", 13, 3, din, 1, &d);
	static const int64_t idx[6] = {0, 1, 0, 1, 0, 1};
	ir_shape is = tb_shape(g, "2,3");
	ir_value *gin[2] = {d, ir_const_new(g, "idx", IR_I64, &is, idx)};
	tb_node(g, "GatherElements", "ge", 13, 2, gin, 1, &y);
	tb_output(g, y);
	assert_int_not_equal(run_pipeline(g, 4, 0, &st), 0);
	assert_non_null(strstr(st.msg, "GatherElements"));
	assert_non_null(strstr(st.msg, "not supported in MC builds"));
	ir_graph_free(g);
}

/* ---- end to end through the JIT ---- */

#define T_E2E 2000
static const float X[2 * NI] = {0.5f, -1.0f, 0.25f, 2.0f, -0.75f, 1.5f, 0.3f, -0.2f, 0.9f, -1.1f};

/* Runs the MC build of mlp() on X with seed; copies mean and var. */
static void run_mc(uint64_t seed, float *mean, float *var)
{
	ir_graph *g = mlp("2,5", 1);
	ir_status st;
	kiln_status ks;
	assert_int_equal(run_pipeline(g, T_E2E, 0, &st), 0);
	kiln_options ko = {1, seed, 1};
	kiln_model *m;
	kiln_session *s = tj_session(g, T_E2E, &ko, &m);
	assert_int_equal(kiln_model_mc_samples(m), T_E2E);
	kiln_tensor in = {"x", KILN_FLOAT, 2, {2, NI}, (void *)X}, out[2];
	memset(out, 0, sizeof out);
	if (kiln_session_run(s, &in, 1, out, 2, &ks))
		fail_msg("run: %s", ks.msg);
	assert_int_equal(out[0].rank, 2);
	assert_int_equal(out[0].dims[1], NO);
	memcpy(mean, out[0].data, sizeof(float) * 2 * NO);
	memcpy(var, out[1].data, sizeof(float) * 2 * NO);
	kiln_session_free(s);
	kiln_model_free(m);
}

static void test_jit_mean_var(void **state)
{
	float mean[2 * NO], var[2 * NO], m2[2 * NO], v2[2 * NO], m3[2 * NO], v3[2 * NO];
	(void)state;
	run_mc(42, mean, var);
	for (int b = 0; b < 2; b++)
		for (int o = 0; o < NO; o++) {
			/* E[y] = W2 relu(W1 x + b1) + b2, computed independently in double */
			double e = B2[o];
			for (int j = 0; j < NH; j++) {
				double h = B1[j];
				for (int i = 0; i < NI; i++)
					h += (double)W1[j * NI + i] * X[b * NI + i];
				e += (double)W2[o * NH + j] * (h > 0 ? h : 0);
			}
			double se = sqrt(var[b * NO + o] / T_E2E);
			print_message("y[%d,%d]: mc mean %.5f expected %.5f se %.5f var %.5f\n", b, o,
				      mean[b * NO + o], e, se, var[b * NO + o]);
			assert_true(var[b * NO + o] > 0);
			assert_true(fabs(mean[b * NO + o] - e) <= 7 * se);
		}
	run_mc(42, m2, v2);
	assert_memory_equal(mean, m2, sizeof mean);
	assert_memory_equal(var, v2, sizeof var);
	run_mc(43, m3, v3);
	assert_memory_not_equal(mean, m3, sizeof mean);
}

int main(void)
{
	init_weights();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrite_shapes),
		cmocka_unit_test(test_keep_samples),
		cmocka_unit_test(test_no_dropout),
		cmocka_unit_test(test_one_sample),
		cmocka_unit_test(test_axes_shift),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_jit_mean_var),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
