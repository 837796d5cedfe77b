/* test_passes_layernorm.c — passes/fuse_layernorm.c: the op-by-op layer
 * normalisation of pre-opset-17 exports becomes one LayerNormalization (with
 * and without beta, axes as attribute or input), is left alone when any
 * precondition fails (shared intermediate, Pow 3, other axis, non-constant
 * gamma or eps), and the fused graph run through the JIT matches a double
 * precision reference computed here. */
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

#define D 8                   /* normalised (last) axis */
#define ROWS 6                /* x is [2, 3, D] */

static float GAMMA[D], BETA[D], X[ROWS * D];

/* Deterministic data; row 1 has a small spread so that eps matters. */
static void init_data(void)
{
	unsigned s = 777;
	for (int i = 0; i < ROWS * D; i++) {
		s = s * 1103515245u + 12345u;
		X[i] = (float)((s >> 8) % 2001) / 500.0f - 2.0f;
		if (i / D == 1)
			X[i] = 0.5f + X[i] * 0.02f;
	}
	for (int i = 0; i < D; i++) {
		GAMMA[i] = 0.5f + 0.125f * (float)i;
		BETA[i] = -0.3f + 0.07f * (float)i;
	}
}

/* Names of the intermediates, in pattern order; bit k of ln_spec.outputs
 * makes intermediate k a graph output too. */
enum { I_MEAN, I_DIFF, I_POW, I_VAR, I_VEPS, I_STD, I_NORM, I_SCALED, I_COUNT };
static const char *const INAME[I_COUNT] = {"m", "d", "p", "v", "ve", "s", "n", "z"};

typedef struct {
	int64_t opset;        /* 13: ReduceMean axes attribute; 18: axes input */
	const char *xdims;    /* shape of x; last dim must be D */
	int beta;             /* ends with Add(z, beta) */
	int64_t ax1, ax2;     /* axes of the first and second ReduceMean */
	float pow_exp;
	int gamma_input;      /* gamma a graph input instead of a constant */
	int eps_input;        /* eps a graph input instead of a constant */
	unsigned outputs;     /* intermediates that are graph outputs too */
	float eps;
} ln_spec;

static ln_spec base(void)
{
	ln_spec s = {13, "2,3,8", 1, -1, -1, 2.0f, 0, 0, 0, 2.5e-3f};
	return s;
}

static ir_value *vec(ir_graph *g, const char *name, const float *d)
{
	ir_shape s = tb_shape(g, "8");
	ir_value *v = ir_const_new(g, name, IR_F32, &s, d);
	assert_non_null(v);
	return v;
}

static void mean(ir_graph *g, const ln_spec *sp, const char *name, ir_value *in,
		 ir_value *out, int64_t axis)
{
	if (sp->opset >= 18) {
		char an[32];
		snprintf(an, sizeof an, "%s_axes", name);
		ir_value *ins[2] = {in, tb_i64s(g, an, 1, &axis)};
		tb_node(g, "ReduceMean", name, sp->opset, 2, ins, 1, &out);
	} else {
		tb_attr_ints(g, tb_node(g, "ReduceMean", name, sp->opset, 1, &in, 1, &out),
			     "axes", 1, &axis);
	}
}

static void bin(ir_graph *g, const ln_spec *sp, const char *op, const char *name,
		ir_value *a, ir_value *b, ir_value *out)
{
	ir_value *ins[2] = {a, b};
	tb_node(g, op, name, sp->opset, 2, ins, 1, &out);
}

/* The decomposed layer normalisation of x per sp; y (the last value) is the
 * first graph output. Intermediates are untyped: the pipeline infers them. */
static ir_graph *ln_graph(const ln_spec *sp, ir_value **iv)
{
	ir_graph *g = tb_graph(sp->opset);
	ir_value *x = tb_input(g, "x", IR_F32, sp->xdims);
	ir_value *gamma = sp->gamma_input ? tb_input(g, "gamma", IR_F32, "8")
					  : vec(g, "gamma", GAMMA);
	ir_value *eps;
	if (sp->eps_input) {
		eps = tb_input(g, "eps", IR_F32, "");
	} else {
		eps = tb_f32(g, "eps", sp->eps);
	}
	ir_value *v[I_COUNT + 1];
	for (int k = 0; k < I_COUNT; k++)
		v[k] = tb_value(g, INAME[k], IR_F32, NULL);
	v[I_COUNT] = sp->beta ? tb_value(g, "y", IR_F32, NULL) : NULL;

	mean(g, sp, "mean1", x, v[I_MEAN], sp->ax1);
	bin(g, sp, "Sub", "sub", x, v[I_MEAN], v[I_DIFF]);
	bin(g, sp, "Pow", "pow", v[I_DIFF], tb_f32(g, "two", sp->pow_exp), v[I_POW]);
	mean(g, sp, "mean2", v[I_POW], v[I_VAR], sp->ax2);
	bin(g, sp, "Add", "addeps", v[I_VAR], eps, v[I_VEPS]);
	tb_node(g, "Sqrt", "sqrt", sp->opset, 1, &v[I_VEPS], 1, &v[I_STD]);
	bin(g, sp, "Div", "div", v[I_DIFF], v[I_STD], v[I_NORM]);
	/* gamma first: the pass must accept either operand order */
	bin(g, sp, "Mul", "mul", gamma, v[I_NORM], v[I_SCALED]);
	if (sp->beta)
		bin(g, sp, "Add", "addbeta", v[I_SCALED], vec(g, "beta", BETA), v[I_COUNT]);
	tb_output(g, v[sp->beta ? I_COUNT : I_SCALED]);
	for (int k = 0; k < I_COUNT; k++)
		if ((sp->outputs >> k) & 1)
			tb_output(g, v[k]);
	if (iv)
		memcpy(iv, v, sizeof v);
	return g;
}

/* Exactly one live LayerNormalization computing y = outputs[0] from x,
 * gamma[, beta] with axis -1 and the graph's eps; returns it. */
static ir_node *check_fused(ir_graph *g, const ln_spec *sp, int with_beta)
{
	assert_int_equal(tb_count(g, IR_OP_LayerNormalization), 1);
	ir_node *ln = tb_find(g, IR_OP_LayerNormalization);
	assert_ptr_equal(g->outputs[0]->producer, ln);
	assert_int_equal(ln->nin, with_beta ? 3 : 2);
	assert_ptr_equal(ln->in[0], ir_graph_find(g, "x"));
	assert_ptr_equal(ln->in[1], ir_graph_find(g, "gamma"));
	if (with_beta)
		assert_ptr_equal(ln->in[2], ir_graph_find(g, "beta"));
	const ir_attr *ax = ir_attr_find(ln, "axis"), *ep = ir_attr_find(ln, "epsilon");
	assert_non_null(ax);
	assert_non_null(ep);
	assert_int_equal(ax->kind, IR_ATTR_INT);
	assert_int_equal(ax->i, -1);
	assert_int_equal(ep->kind, IR_ATTR_FLOAT);
	assert_true(ep->f == sp->eps);
	return ln;
}

static void fused_after_pipeline(const ln_spec *sp)
{
	ir_graph *g = ln_graph(sp, NULL);
	tj_pipeline(g, 0);
	check_fused(g, sp, sp->beta);
	/* the nine pattern nodes are gone, nothing else is left */
	assert_int_equal(tb_count(g, IR_OP_COUNT), 1);
	assert_int_equal(tb_count(g, IR_OP_ReduceMean), 0);
	ir_graph_free(g);
}

static void test_fuse_with_beta(void **state)
{
	ln_spec sp = base();
	(void)state;
	fused_after_pipeline(&sp);
	sp.opset = 18;                 /* axes as an input */
	fused_after_pipeline(&sp);
	sp.ax1 = sp.ax2 = 2;           /* last axis spelled positively */
	fused_after_pipeline(&sp);
}

static void test_fuse_without_beta(void **state)
{
	ln_spec sp = base();
	(void)state;
	sp.beta = 0;
	fused_after_pipeline(&sp);
	sp.xdims = "N,8";              /* symbolic batch: only the last dim matters */
	sp.eps = 1e-5f;
	fused_after_pipeline(&sp);
}

/* The pass on its own (after inference): fuses, and the pattern nodes it
 * leaves behind are dead code that pass_dce removes. */
static void test_pass_alone(void **state)
{
	ln_spec sp = base();
	ir_status st;
	(void)state;
	memset(&st, 0, sizeof st);
	ir_graph *g = ln_graph(&sp, NULL);
	assert_int_equal(ir_graph_toposort(g, &st), 0);
	assert_int_equal(ir_infer_shapes(g, &st), 0);
	assert_int_equal(tb_count(g, IR_OP_LayerNormalization), 0);
	assert_int_equal(pass_fuse_layernorm(g, NULL, &st), 0);
	check_fused(g, &sp, 1);
	assert_int_equal(pass_dce(g, NULL, &st), 0);
	assert_int_equal(tb_count(g, IR_OP_COUNT), 1);
	assert_int_equal(ir_graph_toposort(g, &st), 0);
	if (ir_verify(g, &st))
		fail_msg("verify: %s", st.msg);
	ir_graph_free(g);
}

/* Not fused: no LayerNormalization, both ReduceMeans still there. */
static void not_fused(const ln_spec *sp, const char *why)
{
	ir_graph *g = ln_graph(sp, NULL);
	tj_pipeline(g, 0);
	if (tb_count(g, IR_OP_LayerNormalization) != 0)
		fail_msg("fused although %s", why);
	assert_int_equal(tb_count(g, IR_OP_ReduceMean), 2);
	assert_int_equal(tb_count(g, IR_OP_Sqrt), 1);
	ir_graph_free(g);
}

static void test_shared_intermediate(void **state)
{
	(void)state;
	/* every intermediate before the Mul, in turn, also a graph output */
	for (int k = 0; k < I_SCALED; k++) {
		ln_spec sp = base();
		char why[64];
		sp.outputs = 1u << k;
		snprintf(why, sizeof why, "'%s' is a graph output", INAME[k]);
		not_fused(&sp, why);
		sp.beta = 0;
		not_fused(&sp, why);
	}
}

/* z = Mul(...) also a graph output: the normalisation up to z still fuses
 * (without beta) and the Add of beta stays, reading the fused result. */
static void test_scaled_is_output(void **state)
{
	ln_spec sp = base();
	(void)state;
	sp.outputs = 1u << I_SCALED;
	ir_graph *g = ln_graph(&sp, NULL);
	tj_pipeline(g, 0);
	assert_int_equal(tb_count(g, IR_OP_LayerNormalization), 1);
	ir_node *ln = tb_find(g, IR_OP_LayerNormalization);
	assert_int_equal(ln->nin, 2);
	assert_ptr_equal(ln->out[0], ir_graph_find(g, "z"));
	ir_node *add = g->outputs[0]->producer;
	assert_non_null(add);
	assert_int_equal(add->op, IR_OP_Add);
	assert_true(add->in[0] == ln->out[0] || add->in[1] == ln->out[0]);
	ir_graph_free(g);
}

/* The usual case in a model: y feeds another node (here a Relu). The fused
 * node must not leave the graph out of order for the verifier. */
static void test_fused_output_consumed(void **state)
{
	ln_spec sp = base();
	(void)state;
	ir_graph *g = ln_graph(&sp, NULL);
	ir_value *y = g->outputs[0], *r = tb_value(g, "r", IR_F32, NULL);
	tb_node(g, "Relu", "relu", sp.opset, 1, &y, 1, &r);
	y->is_output = 0;
	g->outputs[0] = r;
	r->is_output = 1;
	tj_pipeline(g, 0);
	assert_int_equal(tb_count(g, IR_OP_LayerNormalization), 1);
	ir_node *ln = tb_find(g, IR_OP_LayerNormalization);
	assert_ptr_equal(ln->out[0], y);
	assert_ptr_equal(r->producer->in[0], y);
	assert_int_equal(tb_count(g, IR_OP_COUNT), 2);
	ir_graph_free(g);
}

static void test_pow_three(void **state)
{
	ln_spec sp = base();
	(void)state;
	sp.pow_exp = 3.0f;
	not_fused(&sp, "the exponent is 3");
	sp.opset = 18;
	not_fused(&sp, "the exponent is 3");
}

static void test_other_axis(void **state)
{
	ln_spec sp = base();
	(void)state;
	sp.ax1 = sp.ax2 = 1;
	not_fused(&sp, "both means are over axis 1");
	sp.ax1 = -1;
	not_fused(&sp, "the variance is over axis 1");
	sp.ax1 = 0;
	sp.ax2 = -1;
	sp.opset = 18;
	not_fused(&sp, "the mean is over axis 0");
}

static void test_non_constant_params(void **state)
{
	ln_spec sp = base();
	(void)state;
	sp.gamma_input = 1;
	not_fused(&sp, "gamma is a graph input");
	sp.beta = 0;
	not_fused(&sp, "gamma is a graph input");
	sp = base();
	sp.eps_input = 1;
	not_fused(&sp, "eps is a graph input");
}

/* ---- numerical check through the JIT ---- */

/* y = (x - mean) / sqrt(var + eps) * gamma [+ beta] in double, per row. */
static void reference(const float *x, int rows, int beta, double eps, double *y)
{
	for (int r = 0; r < rows; r++) {
		const float *xr = x + r * D;
		double m = 0, v = 0;
		for (int i = 0; i < D; i++)
			m += xr[i];
		m /= D;
		for (int i = 0; i < D; i++)
			v += (xr[i] - m) * (xr[i] - m);
		v /= D;
		for (int i = 0; i < D; i++)
			y[r * D + i] = (xr[i] - m) / sqrt(v + eps) * GAMMA[i] + (beta ? BETA[i] : 0);
	}
}

static void run_jit(const ln_spec *sp, int want_fused)
{
	ir_graph *g = ln_graph(sp, NULL);
	kiln_status ks;
	tj_pipeline(g, 0);
	assert_int_equal(tb_count(g, IR_OP_LayerNormalization), want_fused);
	kiln_model *m;
	kiln_session *s = tj_session(g, 0, NULL, &m);
	kiln_tensor in = {"x", KILN_FLOAT, 3, {2, 3, D}, X}, out[1 + I_COUNT];
	int nout = kiln_model_num_outputs(m);
	assert_true(nout >= 1 && nout <= 1 + I_COUNT);
	memset(out, 0, sizeof out);
	if (kiln_session_run(s, &in, 1, out, (size_t)nout, &ks))
		fail_msg("run: %s", ks.msg);
	assert_int_equal(out[0].dtype, KILN_FLOAT);
	assert_int_equal(out[0].rank, 3);
	assert_int_equal(out[0].dims[2], D);
	double ref[ROWS * D];
	reference(X, ROWS, sp->beta, sp->eps, ref);
	const float *y = out[0].data;
	for (int i = 0; i < ROWS * D; i++) {
		/* relative 1e-5, absolute 1e-5 for values near 0 */
		double tol = 1e-5 * fmax(1.0, fabs(ref[i]));
		if (fabs(y[i] - ref[i]) > tol)
			fail_msg("y[%d] = %.8f, reference %.8f (fused %d)", i, y[i], ref[i],
				 want_fused);
	}
	kiln_session_free(s);
	kiln_model_free(m);
}

static void test_jit_matches_reference(void **state)
{
	ln_spec sp = base();
	(void)state;
	sp.eps = 1e-3f;               /* large enough to move row 1 by > 1e-5 */
	run_jit(&sp, 1);
	sp.beta = 0;
	run_jit(&sp, 1);
	/* the unfused chain (mean also an output) must agree with the same reference */
	sp.beta = 1;
	sp.outputs = 1u << I_MEAN;
	run_jit(&sp, 0);
}

int main(void)
{
	init_data();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuse_with_beta),
		cmocka_unit_test(test_fuse_without_beta),
		cmocka_unit_test(test_pass_alone),
		cmocka_unit_test(test_shared_intermediate),
		cmocka_unit_test(test_scaled_is_output),
		cmocka_unit_test(test_fused_output_consumed),
		cmocka_unit_test(test_pow_three),
		cmocka_unit_test(test_other_axis),
		cmocka_unit_test(test_non_constant_params),
		cmocka_unit_test(test_jit_matches_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
