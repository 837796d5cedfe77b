/* test_passes_fuse_conv.c — passes/fuse_epilogue.c: Conv -> [Add residual] ->
 * [Relu | Clip] on f32 becomes one Conv(X, W, B, R) {kiln_clip_min,
 * kiln_clip_max} after pass_run_pipeline, is left alone (or only partly
 * fused) when a precondition fails, and every graph run through the JIT
 * matches an unfused double-precision reference computed here, NaN included.
 * Last, an MC-dropout build of a small conv net still runs and its mean
 * matches the exact expectation. */
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

/* x [N, C, H, H] -> 3x3 Conv, pads 1 -> y [N, M, H, H] */
#define N 2
#define C 3
#define M 4
#define H 5
#define K 3
#define NX (N * C * H * H)
#define NW (M * C * K * K)
#define NY (N * M * H * H)
#define NAN_AT ((0 * C + 1) * H * H + 2 * H + 2)   /* x[0, 1, 2, 2] */

static float X[NX], W[NW], B[M], R[NY], RB[M];

/* Deterministic data; pre-activations spread over about [-4, 4], so Relu
 * and a Clip to [-0.5, 0.75] are active on both sides. */
static void init_data(void)
{
	unsigned s = 4242;
	for (int i = 0; i < NX; i++)
		X[i] = tb_rnd(&s, 2.0f);
	for (int i = 0; i < NW; i++) {
		W[i] = tb_rnd(&s, 0.5f);
		if (W[i] == 0)
			W[i] = 0.125f;
	}
	for (int i = 0; i < M; i++) {
		B[i] = tb_rnd(&s, 0.5f);
		RB[i] = tb_rnd(&s, 1.0f);
	}
	for (int i = 0; i < NY; i++)
		R[i] = tb_rnd(&s, 1.0f);
}

enum { ACT_NONE, ACT_RELU, ACT_CLIP };
enum { ADD_NONE, ADD_CONV_FIRST, ADD_RES_FIRST };

/* One test graph: x -> Conv(w[, b]) -> y [-> Add -> a] [-> act -> z]. */
typedef struct {
	int64_t opset;        /* graph and every node (6: Clip bounds as attributes) */
	ir_dtype dt;          /* IR_F32 or IR_F64 */
	int bias;
	int add;              /* ADD_*: which Add operand is the Conv output */
	int bcast;            /* residual is [1, M, 1, 1] instead of y's shape */
	int act;              /* ACT_* */
	int clip_rt;          /* Clip bounds are graph inputs "lo", "hi" */
	int clip_nomax;       /* opset >= 11 Clip without its max input */
	float lo, hi;         /* Clip bounds */
	int conv_out;         /* y is a graph output too */
	int add_twice;        /* a also feeds Neg -> graph output "n" */
} cs;

static cs base(void)
{
	cs s = {13, IR_F32, 1, ADD_NONE, 0, ACT_NONE, 0, 0, -0.5f, 0.75f, 0, 0};
	return s;
}

static ir_value *tconst(ir_graph *g, const cs *s, const char *name, const char *dims,
			const float *d, int n)
{
	ir_shape sh = tb_shape(g, dims);
	double buf[NY];
	const void *p = d;
	if (s->dt == IR_F64) {
		for (int i = 0; i < n; i++)
			buf[i] = d[i];
		p = buf;
	}
	ir_value *v = ir_const_new(g, name, s->dt, &sh, p);
	assert_non_null(v);
	return v;
}

static ir_value *scalar_const(ir_graph *g, const cs *s, const char *name, float f)
{
	return tconst(g, s, name, "", &f, 1);
}

static ir_node *node2(ir_graph *g, const cs *s, const char *op, const char *name,
		      ir_value *a, ir_value *b, ir_value *out)
{
	ir_value *in[2] = {a, b};
	return tb_node(g, op, name, s->opset, b ? 2 : 1, in, 1, &out);
}

static void add_activation(ir_graph *g, const cs *s, ir_value *in, ir_value *z)
{
	if (s->act == ACT_RELU) {
		node2(g, s, "Relu", "relu", in, NULL, z);
		return;
	}
	if (s->opset < 11) {
		ir_node *n = node2(g, s, "Clip", "clip", in, NULL, z);
		tb_attr_float(g, n, "min", s->lo);
		tb_attr_float(g, n, "max", s->hi);
		return;
	}
	ir_value *ins[3] = {in, NULL, NULL};
	if (s->clip_rt) {
		ins[1] = tb_input(g, "lo", s->dt, "");
		ins[2] = tb_input(g, "hi", s->dt, "");
	} else {
		ins[1] = scalar_const(g, s, "lo", s->lo);
		ins[2] = s->clip_nomax ? NULL : scalar_const(g, s, "hi", s->hi);
	}
	tb_node(g, "Clip", "clip", s->opset, s->clip_nomax ? 2 : 3, ins, 1, &z);
}

/* Graph inputs: x[, r][, lo, hi]. Outputs: the chain's last value, then y
 * (conv_out), then n (add_twice). Intermediates are left for inference. */
static ir_graph *conv_graph(const cs *s)
{
	static const int64_t pads[4] = {1, 1, 1, 1};
	ir_graph *g = tb_graph(s->opset);
	ir_value *x = tb_input(g, "x", s->dt, "2,3,5,5");
	ir_value *r = s->add ? tb_input(g, "r", s->dt, s->bcast ? "1,4,1,1" : "2,4,5,5") : NULL;
	ir_value *cin[3] = {x, tconst(g, s, "w", "4,3,3,3", W, NW),
			    s->bias ? tconst(g, s, "b", "4", B, M) : NULL};
	ir_value *y = tb_value(g, "y", s->dt, NULL), *last = y;
	ir_node *conv = tb_node(g, "Conv", "conv", s->opset, s->bias ? 3 : 2, cin, 1, &y);
	tb_attr_ints(g, conv, "pads", 4, pads);
	if (s->add) {
		ir_value *a = tb_value(g, "a", s->dt, NULL);
		if (s->add == ADD_CONV_FIRST)
			node2(g, s, "Add", "add", y, r, a);
		else
			node2(g, s, "Add", "add", r, y, a);
		last = a;
	}
	ir_value *out0 = last;
	if (s->act) {
		out0 = tb_value(g, "z", s->dt, NULL);
		add_activation(g, s, last, out0);
	}
	tb_output(g, out0);
	if (s->conv_out)
		tb_output(g, y);
	if (s->add_twice) {
		ir_value *n = tb_value(g, "n", s->dt, NULL);
		node2(g, s, "Neg", "neg", last, NULL, n);
		tb_output(g, n);
	}
	return g;
}

static float act_lo(const cs *s)
{
	return s->act == ACT_RELU ? 0.0f : s->lo;
}

static float act_hi(const cs *s)
{
	return s->act == ACT_RELU || s->clip_nomax ? INFINITY : s->hi;
}

/* Exactly one Conv, reading x, w[, b] and — when the Add was fused — r,
 * carrying the clamp bounds exactly when the activation was fused, and
 * producing the value the fused chain ended in; the fused ops are gone and
 * the unfused ones are still there. */
static void check_graph(ir_graph *g, const cs *s, int want_res, int want_act)
{
	assert_int_equal(tb_count(g, IR_OP_Conv), 1);
	ir_node *conv = tb_find(g, IR_OP_Conv);
	assert_ptr_equal(conv->in[0], ir_graph_find(g, "x"));
	assert_ptr_equal(conv->in[1], ir_graph_find(g, "w"));
	if (want_res || want_act) {
		assert_int_equal(conv->nin, 4);
		assert_ptr_equal(conv->in[2], s->bias ? ir_graph_find(g, "b") : NULL);
		assert_ptr_equal(conv->in[3], want_res ? ir_graph_find(g, "r") : NULL);
	} else {
		assert_int_equal(conv->nin, s->bias ? 3 : 2);
		if (s->bias)
			assert_ptr_equal(conv->in[2], ir_graph_find(g, "b"));
	}
	const int64_t *p;
	assert_int_equal(ir_attr_ints(conv, "pads", &p), 4);
	assert_true(p[0] == 1 && p[1] == 1 && p[2] == 1 && p[3] == 1);
	const ir_attr *lo = ir_attr_find(conv, "kiln_clip_min");
	const ir_attr *hi = ir_attr_find(conv, "kiln_clip_max");
	if (want_act) {
		assert_non_null(lo);
		assert_non_null(hi);
		assert_int_equal(lo->kind, IR_ATTR_FLOAT);
		assert_int_equal(hi->kind, IR_ATTR_FLOAT);
		if (lo->f != act_lo(s) || hi->f != act_hi(s))
			fail_msg("clamp [%g, %g], want [%g, %g]", lo->f, hi->f, act_lo(s), act_hi(s));
	} else {
		assert_null(lo);
		assert_null(hi);
	}
	const char *outname = want_act ? "z" : want_res ? "a" : "y";
	assert_ptr_equal(conv->out[0], ir_graph_find(g, outname));
	int nadd = s->add && !want_res, nact = s->act && !want_act;
	assert_int_equal(tb_count(g, IR_OP_Add), nadd);
	assert_int_equal(tb_count(g, IR_OP_Relu), s->act == ACT_RELU && nact);
	assert_int_equal(tb_count(g, IR_OP_Clip), s->act == ACT_CLIP && nact);
	assert_int_equal(tb_count(g, IR_OP_Neg), s->add_twice);
	assert_int_equal(tb_count(g, IR_OP_COUNT), 1 + nadd + nact + s->add_twice);
}

/* ---- the unfused reference, in double ---- */

typedef struct {
	double v[NY];         /* value */
	double mag[NY];       /* sum of the absolute values of its terms */
	int below, above;     /* cells the clamp moved up / down */
} ref_t;

/* conv(x) + b [+ r] [clamped], or its negation. NaN propagates as the
 * ONNX ops do: through the sums and through Relu / Clip. */
static void reference(const cs *s, const float *x, int res, int act, int neg, ref_t *o)
{
	double lo = act_lo(s), hi = act_hi(s);
	memset(o, 0, sizeof *o);
	for (int n = 0; n < N; n++)
		for (int m = 0; m < M; m++)
			for (int oy = 0; oy < H; oy++)
				for (int ox = 0; ox < H; ox++) {
					int i = ((n * M + m) * H + oy) * H + ox;
					double acc = s->bias ? B[m] : 0, mag = fabs(acc);
					for (int c = 0; c < C; c++)
						for (int ky = 0; ky < K; ky++)
							for (int kx = 0; kx < K; kx++) {
								int iy = oy - 1 + ky, ix = ox - 1 + kx;
								if (iy < 0 || iy >= H || ix < 0 || ix >= H)
									continue;
								double t = (double)W[((m * C + c) * K + ky) * K + kx] *
									   x[((n * C + c) * H + iy) * H + ix];
								acc += t;
								mag += fabs(t);
							}
					if (res) {
						double rv = s->bcast ? RB[m] : R[i];
						acc += rv;
						mag += fabs(rv);
					}
					if (act) {
						o->below += acc < lo;
						o->above += acc > hi;
						acc = acc < lo ? lo : acc > hi ? hi : acc;
					}
					o->v[i] = neg ? -acc : acc;
					o->mag[i] = mag;
				}
}

/* got within 1e-5 of ref relative to the sum of absolute terms; NaN where
 * ref is NaN and only there. Returns the number of NaN cells. */
static int compare(const char *what, const kiln_tensor *t, const cs *s, const ref_t *ref)
{
	int nans = 0;
	assert_int_equal(t->dtype, s->dt == IR_F64 ? KILN_DOUBLE : KILN_FLOAT);
	assert_int_equal(t->rank, 4);
	assert_true(t->dims[0] == N && t->dims[1] == M && t->dims[2] == H && t->dims[3] == H);
	for (int i = 0; i < NY; i++) {
		double got = s->dt == IR_F64 ? ((const double *)t->data)[i]
					     : ((const float *)t->data)[i];
		if (isnan(ref->v[i])) {
			if (!isnan(got))
				fail_msg("%s[%d] = %.8g, want NaN", what, i, got);
			nans++;
		} else if (!(fabs(got - ref->v[i]) <= 1e-5 * ref->mag[i])) {
			fail_msg("%s[%d] = %.8g, reference %.8g", what, i, got, ref->v[i]);
		}
	}
	return nans;
}

/* Builds, runs the pipeline, checks the graph (want_res, want_act as in
 * check_graph), then compiles with the JIT and checks every output. */
static void run_case(const cs *s, int want_res, int want_act)
{
	float x[NX];
	memcpy(x, X, sizeof x);
	x[NAN_AT] = NAN;

	ir_graph *g = conv_graph(s);
	kiln_status ks;
	tj_pipeline(g, 0);
	check_graph(g, s, want_res, want_act);
	kiln_model *mdl;
	kiln_session *ses = tj_session(g, 0, NULL, &mdl);

	int f64 = s->dt == IR_F64, kt = f64 ? KILN_DOUBLE : KILN_FLOAT;
	double xd[NX], rd[NY], bd[2] = {s->lo, s->hi};
	float bf[2] = {s->lo, s->hi};
	for (int i = 0; i < NX; i++)
		xd[i] = x[i];
	for (int i = 0; i < NY; i++)
		rd[i] = s->bcast ? RB[i % M] : R[i];
	kiln_tensor in[4] = {{"x", kt, 4, {N, C, H, H}, f64 ? (void *)xd : (void *)x}};
	size_t nin = 1;
	if (s->add) {
		kiln_tensor r = {"r", kt, 4, {N, M, H, H}, f64 ? (void *)rd : (void *)R};
		if (s->bcast) {
			int64_t d[4] = {1, M, 1, 1};
			memcpy(r.dims, d, sizeof d);
			r.data = f64 ? (void *)rd : (void *)RB;
		}
		in[nin++] = r;
	}
	if (s->clip_rt) {
		kiln_tensor lo = {"lo", kt, 0, {0}, f64 ? (void *)&bd[0] : (void *)&bf[0]};
		kiln_tensor hi = {"hi", kt, 0, {0}, f64 ? (void *)&bd[1] : (void *)&bf[1]};
		in[nin++] = lo;
		in[nin++] = hi;
	}
	kiln_tensor out[3];
	size_t nout = (size_t)kiln_model_num_outputs(mdl);
	assert_int_equal(nout, 1 + s->conv_out + s->add_twice);
	memset(out, 0, sizeof out);
	if (kiln_session_run(ses, in, nin, out, nout, &ks))
		fail_msg("run: %s", ks.msg);

	ref_t *ref = malloc(sizeof *ref);
	assert_non_null(ref);
	reference(s, x, s->add != ADD_NONE, s->act != ACT_NONE, 0, ref);
	/* the data must exercise the clamp on each bounded side */
	if (s->act) {
		assert_true(ref->below > 0);
		assert_true(isinf(act_hi(s)) || ref->above > 0);
	}
	/* x[0,1,2,2] reaches the 3x3 outputs around it in every channel */
	assert_int_equal(compare("out", &out[0], s, ref), M * K * K);
	size_t k = 1;
	if (s->conv_out) {
		reference(s, x, 0, 0, 0, ref);
		compare("y", &out[k++], s, ref);
	}
	if (s->add_twice) {
		reference(s, x, 1, 0, 1, ref);
		compare("n", &out[k++], s, ref);
	}
	free(ref);
	kiln_session_free(ses);
	kiln_model_free(mdl);
}

/* ---- fused ---- */

static void test_conv_relu(void **state)
{
	cs s = base();
	(void)state;
	s.act = ACT_RELU;
	run_case(&s, 0, 1);
}

static void test_conv_add_relu(void **state)
{
	cs s = base();
	(void)state;
	s.add = ADD_CONV_FIRST;
	s.act = ACT_RELU;
	run_case(&s, 1, 1);
	s.act = ACT_NONE;              /* the Add alone */
	run_case(&s, 1, 0);
}

static void test_residual_first(void **state)
{
	cs s = base();
	(void)state;
	s.add = ADD_RES_FIRST;
	s.act = ACT_RELU;
	run_case(&s, 1, 1);
	s.act = ACT_NONE;
	run_case(&s, 1, 0);
}

static void test_conv_clip(void **state)
{
	cs s = base();
	(void)state;
	s.act = ACT_CLIP;
	s.opset = 11;                  /* bounds as constant inputs */
	run_case(&s, 0, 1);
	s.opset = 13;
	s.add = ADD_CONV_FIRST;
	run_case(&s, 1, 1);
	s.add = ADD_NONE;
	s.clip_nomax = 1;              /* max omitted: no upper clamp */
	run_case(&s, 0, 1);
	s = base();
	s.act = ACT_CLIP;
	s.opset = 6;                   /* bounds as attributes */
	run_case(&s, 0, 1);
	s.add = ADD_RES_FIRST;
	run_case(&s, 1, 1);
}

static void test_no_bias_add(void **state)
{
	cs s = base();
	(void)state;
	s.bias = 0;
	s.add = ADD_CONV_FIRST;
	run_case(&s, 1, 0);
	s.act = ACT_RELU;
	run_case(&s, 1, 1);
}

/* ---- not fused ---- */

static void test_conv_is_output(void **state)
{
	cs s = base();
	(void)state;
	s.conv_out = 1;
	s.add = ADD_CONV_FIRST;
	s.act = ACT_RELU;
	run_case(&s, 0, 0);
	s.add = ADD_NONE;
	s.act = ACT_CLIP;
	run_case(&s, 0, 0);
}

/* The Add result feeds Relu and Neg: the Relu cannot take it over. Add(Conv,
 * R) on its own is a pattern of the pass (Conv then writes a), so the
 * residual still fuses; the Relu and the Neg stay. */
static void test_add_used_twice(void **state)
{
	cs s = base();
	(void)state;
	s.add = ADD_CONV_FIRST;
	s.act = ACT_RELU;
	s.add_twice = 1;
	run_case(&s, 1, 0);
}

static void test_broadcast_residual(void **state)
{
	cs s = base();
	(void)state;
	s.add = ADD_CONV_FIRST;
	s.bcast = 1;
	s.act = ACT_RELU;
	run_case(&s, 0, 0);
	s.add = ADD_RES_FIRST;
	s.act = ACT_NONE;
	run_case(&s, 0, 0);
}

/* Bounds known only at run time: nothing to put in the attributes. With an
 * Add before the Clip, the Add alone still fuses. */
static void test_runtime_clip_bounds(void **state)
{
	cs s = base();
	(void)state;
	s.act = ACT_CLIP;
	s.clip_rt = 1;
	run_case(&s, 0, 0);
	s.add = ADD_CONV_FIRST;
	run_case(&s, 1, 0);
}

static void test_f64(void **state)
{
	cs s = base();
	(void)state;
	s.dt = IR_F64;
	s.add = ADD_CONV_FIRST;
	s.act = ACT_RELU;
	run_case(&s, 0, 0);
	s.add = ADD_NONE;
	s.act = ACT_CLIP;
	run_case(&s, 0, 0);
}

/* ---- MC-dropout build ---- */

#define T_MC 2000
static float W2[M * M * K * K], B2[M];

/* x -> Conv1 -> Relu -> Dropout(0.3, training) -> Conv2 -> Add(r) -> z.
 * The part before the Dropout runs once and may be fused; after it only
 * linear ops, so E[z] is z with dropout disabled (E[mask / (1-p)] = 1). */
static ir_graph *mc_graph(void)
{
	static const int64_t pads[4] = {1, 1, 1, 1};
	cs s = base();
	ir_graph *g = tb_graph(13);
	ir_value *x = tb_input(g, "x", IR_F32, "2,3,5,5");
	ir_value *r = tb_input(g, "r", IR_F32, "2,4,5,5");
	ir_value *h = tb_value(g, "h", IR_F32, NULL), *hr = tb_value(g, "hr", IR_F32, NULL);
	ir_value *d = tb_value(g, "d", IR_F32, NULL), *y = tb_value(g, "y", IR_F32, NULL);
	ir_value *z = tb_value(g, "z", IR_F32, NULL);
	ir_value *c1[3] = {x, tconst(g, &s, "w", "4,3,3,3", W, NW), tconst(g, &s, "b", "4", B, M)};
	tb_attr_ints(g, tb_node(g, "Conv", "conv1", 13, 3, c1, 1, &h), "pads", 4, pads);
	tb_node(g, "Relu", "relu", 13, 1, &h, 1, &hr);
	ir_value *din[3] = {hr, tb_f32(g, "ratio", 0.3f), tb_bool(g, "train", 1)};
	tb_node(g, "Dropout", "drop", 13, 3, din, 1, &d);
	ir_value *c2[3] = {d, tconst(g, &s, "w2", "4,4,3,3", W2, M * M * K * K),
			   tconst(g, &s, "b2", "4", B2, M)};
	tb_attr_ints(g, tb_node(g, "Conv", "conv2", 13, 3, c2, 1, &y), "pads", 4, pads);
	node2(g, &s, "Add", "add", y, r, z);
	tb_output(g, z);
	return g;
}

/* 3x3 pads-1 conv of a [N, ci, H, H] double tensor with weights w [M, ci]. */
static void conv_ref(const double *x, int ci, const float *w, const float *b, double *y)
{
	for (int n = 0; n < N; n++)
		for (int m = 0; m < M; m++)
			for (int oy = 0; oy < H; oy++)
				for (int ox = 0; ox < H; ox++) {
					double acc = b[m];
					for (int c = 0; c < ci; c++)
						for (int ky = 0; ky < K; ky++)
							for (int kx = 0; kx < K; kx++) {
								int iy = oy - 1 + ky, ix = ox - 1 + kx;
								if (iy >= 0 && iy < H && ix >= 0 && ix < H)
									acc += (double)w[((m * ci + c) * K + ky) * K + kx] *
									       x[((n * ci + c) * H + iy) * H + ix];
							}
					y[((n * M + m) * H + oy) * H + ox] = acc;
				}
}

/* Bound: the MC mean of element i averages T_MC independent samples whose
 * exact expectation is ref[i], so (mean - ref) / sqrt(var / T) is about
 * standard normal; 7 of those standard errors miss with probability ~3e-12
 * per element (< 1e-9 over all 200). 1e-4 absolute covers f32 rounding of
 * the sums where the variance is 0 (every input of the window is 0). */
static void test_mc_build(void **state)
{
	(void)state;
	unsigned sd = 99;
	for (int i = 0; i < M * M * K * K; i++)
		W2[i] = tb_rnd(&sd, 0.4f);
	for (int i = 0; i < M; i++)
		B2[i] = tb_rnd(&sd, 0.5f);

	ir_graph *g = mc_graph();
	kiln_status ks;
	tj_pipeline(g, T_MC);
	assert_int_equal(g->noutputs, 2);
	ir_node *c1 = NULL;
	for (int i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->dead && !strcmp(g->nodes[i]->name, "conv1"))
			c1 = g->nodes[i];
	print_message("MC build: conv1 %s, %d live Relu, %d live Conv\n",
		      c1 && ir_attr_find(c1, "kiln_clip_min") ? "fused with its Relu" : "not fused",
		      tb_count(g, IR_OP_Relu), tb_count(g, IR_OP_Conv));
	kiln_options ko = {1, 7, 1};
	kiln_model *mdl;
	kiln_session *ses = tj_session(g, T_MC, &ko, &mdl);
	kiln_tensor in[2] = {{"x", KILN_FLOAT, 4, {N, C, H, H}, X},
			     {"r", KILN_FLOAT, 4, {N, M, H, H}, R}}, out[2];
	memset(out, 0, sizeof out);
	if (kiln_session_run(ses, in, 2, out, 2, &ks))
		fail_msg("run: %s", ks.msg);

	static double xd[NX], h[NY], e[NY];
	for (int i = 0; i < NX; i++)
		xd[i] = X[i];
	conv_ref(xd, C, W, B, h);
	for (int i = 0; i < NY; i++)
		h[i] = h[i] > 0 ? h[i] : 0;
	conv_ref(h, M, W2, B2, e);
	const float *mean = out[0].data, *var = out[1].data;
	int varied = 0;
	for (int k = 0; k < 2; k++) {
		assert_int_equal(out[k].rank, 4);
		assert_true(out[k].dims[0] == N && out[k].dims[1] == M && out[k].dims[3] == H);
	}
	for (int i = 0; i < NY; i++) {
		double ref = e[i] + R[i], se = sqrt(var[i] / T_MC);
		if (!isfinite(mean[i]) || !isfinite(var[i]) || var[i] < 0)
			fail_msg("z[%d]: mean %g var %g", i, mean[i], var[i]);
		if (fabs(mean[i] - ref) > 7 * se + 1e-4)
			fail_msg("z[%d]: mc mean %.6f, expected %.6f, se %.6f", i, mean[i], ref, se);
		varied += var[i] > 0;
	}
	/* the Dropout really was stochastic */
	assert_true(varied > NY / 2);
	kiln_session_free(ses);
	kiln_model_free(mdl);
}

int main(void)
{
	init_data();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv_relu),
		cmocka_unit_test(test_conv_add_relu),
		cmocka_unit_test(test_residual_first),
		cmocka_unit_test(test_conv_clip),
		cmocka_unit_test(test_no_bias_add),
		cmocka_unit_test(test_conv_is_output),
		cmocka_unit_test(test_add_used_twice),
		cmocka_unit_test(test_broadcast_residual),
		cmocka_unit_test(test_runtime_clip_bounds),
		cmocka_unit_test(test_f64),
		cmocka_unit_test(test_mc_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
