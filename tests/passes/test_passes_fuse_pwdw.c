/* test_passes_fuse_pwdw.c — passes/fuse_pwdw.c: on f32, a 1x1 Conv ->
 * Clip(0, 6) or Relu feeding only a 3x3 depthwise Conv -> Clip(0, 6) becomes
 * one KilnConvPwDw node after pass_run_pipeline (strides 1 and 2), is left as
 * two Convs when a precondition fails; a 1x1 projection after the pair (with
 * a residual Add or not) joins it when its image fills 16-pixel panels (not
 * at 7x7); a 3x3 few-channel stem in place of the 1x1 Conv joins too;
 * every graph run through the JIT matches an unfused double-precision
 * reference computed here. */
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

/* x [N, K, H, W] -> 1x1 Conv -> p [N, C, H, W] -> 3x3 Conv -> z [N, C, HO, WO] */
#define N 2
#define MAXC 16
#define MAXK 5
#define MAXHW 100
#define NX (N * MAXC * MAXHW)     /* x has k channels, or c without the 1x1 Conv */
#define NP (N * MAXC * MAXHW)

static float X[NX], W1[MAXC * MAXK * 9], B1[MAXC], W2[MAXC * MAXC * 9], B2[MAXC];
static float W3[MAXK * MAXC], B3[MAXK];   /* the projection: c -> k channels */

/* Deterministic data; each case reads the leading entries it needs. The
 * scales put both layers' pre-activations on both sides of [0, 6]. */
static void init_data(void)
{
	unsigned s = 2718;
	for (int i = 0; i < NX; i++)
		X[i] = tb_rnd(&s, 3.0f);
	for (int i = 0; i < MAXC * MAXK * 9; i++)
		W1[i] = tb_rnd(&s, 1.0f);
	for (int i = 0; i < MAXC * MAXC * 9; i++)
		W2[i] = tb_rnd(&s, 1.0f);
	for (int i = 0; i < MAXC; i++) {
		B1[i] = tb_rnd(&s, 1.0f);
		B2[i] = tb_rnd(&s, 1.0f);
	}
	for (int i = 0; i < MAXK * MAXC; i++)
		W3[i] = tb_rnd(&s, 0.5f);
	for (int i = 0; i < MAXK; i++)
		B3[i] = tb_rnd(&s, 1.0f);
}

/* How the activated pointwise output a is used besides the second Conv. */
enum { PUSE_NONE, PUSE_OUTPUT, PUSE_NEG };

/* What follows z: nothing (z the output), a 1x1 projection to k channels
 * (w3, b3) -> q, or that plus x (stride 1) -> r. */
enum { PROJ_NONE, PROJ_CONV, PROJ_RES };

/* One test graph: x -> Conv 1x1 (w1, b1) -> y -> Clip(0, 6) | Relu -> a ->
 * Conv 3x3 pads 1 (w2, b2) -> d -> Clip(0, 6) -> z. */
typedef struct {
	int c, k, h, w;       /* channels of p, of x; x's spatial size */
	int sy, sx;           /* the second Conv's strides */
	int group;            /* the second Conv's group: c (depthwise) or 1 */
	int relu;             /* Relu after the first Conv instead of Clip(0, 6) */
	int puse;             /* PUSE_*: a also a graph output / also -> Neg -> n */
	int proj;             /* PROJ_* */
	int nopw;             /* no 1x1 Conv: x (c channels) straight into the 3x3 */
	int stem;             /* the first Conv 3x3 with pads 1 at this stride
				 (x then h stem x w stem); 0: 1x1 */
} pc;

static pc base(void)
{
	pc s = {16, 5, 7, 9, 1, 1, 16, 0, PUSE_NONE, PROJ_NONE, 0, 0};
	return s;
}

/* x's height and width: the first Conv's output is h x w */
static int in_h(const pc *s)
{
	return s->stem ? s->h * s->stem : s->h;
}

static int in_w(const pc *s)
{
	return s->stem ? s->w * s->stem : s->w;
}

static int out_h(const pc *s)
{
	return (s->h + 2 - 3) / s->sy + 1;
}

static int out_w(const pc *s)
{
	return (s->w + 2 - 3) / s->sx + 1;
}

static ir_value *fconst(ir_graph *g, const char *name, const float *d, int n0, int n1, int k)
{
	char dims[64];
	if (k)
		snprintf(dims, sizeof dims, "%d,%d,%d,%d", n0, n1, k, k);
	else
		snprintf(dims, sizeof dims, "%d", n0);
	ir_shape sh = tb_shape(g, dims);
	ir_value *v = ir_const_new(g, name, IR_F32, &sh, d);
	assert_non_null(v);
	return v;
}

/* Clip(in, lo_name = 0, hi_name = 6) -> out, opset 13 (constant bounds). */
static void clip06(ir_graph *g, const char *name, const char *lo, const char *hi,
		   ir_value *in, ir_value *out)
{
	ir_value *ins[3] = {in, tb_f32(g, lo, 0.0f), tb_f32(g, hi, 6.0f)};
	tb_node(g, "Clip", name, 13, 3, ins, 1, &out);
}

/* Graph input x; outputs z, then a (PUSE_OUTPUT) or n (PUSE_NEG).
 * Intermediates are left for inference. */
static ir_graph *pwdw_graph(const pc *s)
{
	static const int64_t pads[4] = {1, 1, 1, 1};
	int64_t strides[2] = {s->sy, s->sx};
	char dims[64];
	ir_graph *g = tb_graph(13);
	snprintf(dims, sizeof dims, "%d,%d,%d,%d", N, s->nopw ? s->c : s->k, in_h(s), in_w(s));
	ir_value *x = tb_input(g, "x", IR_F32, dims);
	ir_value *a = x;
	ir_value *d = tb_value(g, "d", IR_F32, NULL), *z = tb_value(g, "z", IR_F32, NULL);
	if (!s->nopw) {
		ir_value *y = tb_value(g, "y", IR_F32, NULL);
		ir_value *c1[3] = {x, fconst(g, "w1", W1, s->c, s->k, s->stem ? 3 : 1),
				   fconst(g, "b1", B1, s->c, 0, 0)};
		a = tb_value(g, "a", IR_F32, NULL);
		ir_node *pw = tb_node(g, "Conv", "pw", 13, 3, c1, 1, &y);
		if (s->stem) {
			int64_t st1[2] = {s->stem, s->stem};
			tb_attr_ints(g, pw, "pads", 4, pads);
			tb_attr_ints(g, pw, "strides", 2, st1);
		}
		if (s->relu)
			tb_node(g, "Relu", "relu", 13, 1, &y, 1, &a);
		else
			clip06(g, "clip1", "lo1", "hi1", y, a);
	}
	int cin = s->group == 1 ? s->c : 1;
	ir_value *c2[3] = {a, fconst(g, "w2", W2, s->c, cin, 3), fconst(g, "b2", B2, s->c, 0, 0)};
	ir_node *dw = tb_node(g, "Conv", "dw", 13, 3, c2, 1, &d);
	tb_attr_ints(g, dw, "pads", 4, pads);
	tb_attr_ints(g, dw, "strides", 2, strides);
	tb_attr_int(g, dw, "group", s->group);
	clip06(g, "clip2", "lo2", "hi2", d, z);
	if (s->proj == PROJ_NONE) {
		tb_output(g, z);
	} else {
		ir_value *q = tb_value(g, "q", IR_F32, NULL);
		ir_value *c3[3] = {z, fconst(g, "w3", W3, s->k, s->c, 1), fconst(g, "b3", B3, s->k, 0, 0)};
		tb_node(g, "Conv", "pj", 13, 3, c3, 1, &q);
		if (s->proj == PROJ_RES) {
			ir_value *r = tb_value(g, "r", IR_F32, NULL), *ad[2] = {q, x};
			tb_node(g, "Add", "res", 13, 2, ad, 1, &r);
			q = r;
		}
		tb_output(g, q);
	}
	if (s->puse == PUSE_OUTPUT)
		tb_output(g, a);
	if (s->puse == PUSE_NEG) {
		ir_value *n = tb_value(g, "n", IR_F32, NULL);
		tb_node(g, "Neg", "neg", 13, 1, &a, 1, &n);
		tb_output(g, n);
	}
	return g;
}

static void check_float_attr(const ir_node *n, const char *name, float want)
{
	const ir_attr *at = ir_attr_find(n, name);
	assert_non_null(at);
	assert_int_equal(at->kind, IR_ATTR_FLOAT);
	if (!(at->f == want))
		fail_msg("%s = %g, want %g", name, at->f, want);
}

/* Fused: one KilnConvPwDw(x, w1, b1, w2, b2) -> z with both clamps and the
 * strides, no Clip or Relu left; with a projection, also (w3, b3, x or
 * nothing) -> its output, no Conv or Add left, when want_pj, else the
 * projection's Conv (and residual) left after the pair. */
static void check_fused(ir_graph *g, const pc *s, int want_pj)
{
	int left = s->proj != PROJ_NONE && !want_pj;
	assert_int_equal(tb_count(g, IR_OP_KilnConvPwDw), 1);
	assert_int_equal(tb_count(g, IR_OP_Conv), left);
	assert_int_equal(tb_count(g, IR_OP_Add), 0);      /* fused into a Conv */
	assert_int_equal(tb_count(g, IR_OP_Clip), 0);
	assert_int_equal(tb_count(g, IR_OP_Relu), 0);
	assert_int_equal(tb_count(g, IR_OP_COUNT), 1 + left);
	ir_node *f = tb_find(g, IR_OP_KilnConvPwDw);
	assert_string_equal(f->op_type, "KilnConvPwDw");
	int pj = s->proj != PROJ_NONE && want_pj;
	assert_int_equal(f->nin, pj ? 8 : 5);
	static const char *const ins[7] = {"x", "w1", "b1", "w2", "b2", "w3", "b3"};
	for (int i = 0; i < (pj ? 7 : 5); i++)
		assert_ptr_equal(f->in[i], s->nopw && (i == 1 || i == 2) ? NULL
					   : ir_graph_find(g, ins[i]));
	const char *out = !pj ? "z" : s->proj == PROJ_RES ? "r" : "q";
	assert_ptr_equal(f->out[0], ir_graph_find(g, out));
	if (pj) {
		assert_ptr_equal(f->in[7], s->proj == PROJ_RES ? ir_graph_find(g, "x") : NULL);
		check_float_attr(f, "kiln_pj_clip_min", -INFINITY);
		check_float_attr(f, "kiln_pj_clip_max", INFINITY);
	}
	const int64_t *st;
	assert_int_equal(ir_attr_ints(f, "strides", &st), 2);
	assert_true(st[0] == s->sy && st[1] == s->sx);
	check_float_attr(f, "kiln_pw_clip_min", s->nopw ? -INFINITY : 0.0f);
	check_float_attr(f, "kiln_pw_clip_max", s->relu || s->nopw ? INFINITY : 6.0f);
	check_float_attr(f, "kiln_clip_min", 0.0f);
	check_float_attr(f, "kiln_clip_max", 6.0f);
	if (s->stem) {
		assert_int_equal(ir_attr_ints(f, "kiln_pw_strides", &st), 2);
		assert_true(st[0] == s->stem && st[1] == s->stem);
	} else {
		assert_null(ir_attr_find(f, "kiln_pw_strides"));
	}
}

/* Not fused: both Convs still there (each with its activation fused into
 * it by fuse-epilogue), no KilnConvPwDw. */
static void check_unfused(ir_graph *g, const pc *s)
{
	int convs = 2 - s->nopw + (s->proj != PROJ_NONE);
	assert_int_equal(tb_count(g, IR_OP_KilnConvPwDw), 0);
	assert_int_equal(tb_count(g, IR_OP_Conv), convs);
	assert_int_equal(tb_count(g, IR_OP_Neg), s->puse == PUSE_NEG);
	assert_int_equal(tb_count(g, IR_OP_COUNT), convs + (s->puse == PUSE_NEG));
}

/* ---- the unfused reference, in double ---- */

typedef struct {
	double p[NP], pmag[NP];   /* activated pointwise output a; its magnitude */
	double z[NP], zmag[NP];   /* the pair's output */
	double q[NP], qmag[NP];   /* the projection's (+ x) */
	int below[2], above[2];   /* cells each clamp moved up / down */
	int inside;               /* final cells strictly inside (0, 6) */
} ref_t;

static double clamp(ref_t *o, int layer, double v, double hi)
{
	o->below[layer] += v < 0;
	o->above[layer] += v > hi;
	return v < 0 ? 0 : v > hi ? hi : v;
}

/* a = act(w1 . x + b1); pmag bounds |a| and the sum of its terms' sizes. */
static void ref_pointwise(const pc *s, ref_t *o)
{
	int hw = s->h * s->w;
	for (int n = 0; n < N; n++)
		for (int c = 0; c < s->c; c++)
			for (int i = 0; i < hw; i++) {
				if (s->nopw) {     /* a is x */
					int j = (n * s->c + c) * hw + i;
					o->p[j] = X[j];
					o->pmag[j] = fabs(X[j]);
					continue;
				}
				double acc = B1[c], mag = fabs(acc);
				int xh = in_h(s), xw = in_w(s), taps = s->stem ? 9 : 1;
				for (int k = 0; k < s->k; k++)
					for (int t = 0; t < taps; t++) {
						int iy = i / s->w, ix = i % s->w;
						if (s->stem) {
							iy = iy * s->stem - 1 + t / 3;
							ix = ix * s->stem - 1 + t % 3;
						}
						if (iy < 0 || iy >= xh || ix < 0 || ix >= xw)
							continue;
						double v = (double)W1[(c * s->k + k) * taps + t] *
							   X[((n * s->k + k) * xh + iy) * xw + ix];
						acc += v;
						mag += fabs(v);
					}
				int j = (n * s->c + c) * hw + i;
				o->p[j] = clamp(o, 0, acc, s->relu ? INFINITY : 6.0);
				o->pmag[j] = mag;
			}
}

/* Output channel m of the 3x3 Conv at (oy, ox) of image n, and the bound
 * |b2| + sum |w2| pmag of its rounding (the input's own error included). */
static double ref_tap_sum(const pc *s, const ref_t *o, int n, int m, int oy, int ox, double *mag)
{
	int cin = s->group == 1 ? s->c : 1, hw = s->h * s->w;
	double acc = B2[m];
	*mag = fabs(acc);
	for (int ci = 0; ci < cin; ci++) {
		int c = s->group == 1 ? ci : m;
		for (int ky = 0; ky < 3; ky++)
			for (int kx = 0; kx < 3; kx++) {
				int iy = oy * s->sy - 1 + ky, ix = ox * s->sx - 1 + kx;
				if (iy < 0 || iy >= s->h || ix < 0 || ix >= s->w)
					continue;
				double wv = W2[((m * cin + ci) * 3 + ky) * 3 + kx];
				int j = (n * s->c + c) * hw + iy * s->w + ix;
				acc += wv * o->p[j];
				*mag += fabs(wv) * o->pmag[j];
			}
	}
	return acc;
}

static void reference(const pc *s, ref_t *o)
{
	int ho = out_h(s), wo = out_w(s);
	memset(o, 0, sizeof *o);
	ref_pointwise(s, o);
	for (int n = 0; n < N; n++)
		for (int m = 0; m < s->c; m++)
			for (int oy = 0; oy < ho; oy++)
				for (int ox = 0; ox < wo; ox++) {
					int i = ((n * s->c + m) * ho + oy) * wo + ox;
					double v = ref_tap_sum(s, o, n, m, oy, ox, &o->zmag[i]);
					o->z[i] = clamp(o, 1, v, 6.0);
					o->inside += o->z[i] > 0 && o->z[i] < 6;
				}
	for (int n = 0; s->proj != PROJ_NONE && n < N; n++)
		for (int m = 0; m < s->k; m++)
			for (int i = 0; i < ho * wo; i++) {
				double acc = B3[m], mag = fabs(acc);
				if (s->proj == PROJ_RES) {
					acc += X[(n * s->k + m) * ho * wo + i];
					mag += fabs(X[(n * s->k + m) * ho * wo + i]);
				}
				for (int c = 0; c < s->c; c++) {
					int j = (n * s->c + c) * ho * wo + i;
					acc += W3[m * s->c + c] * o->z[j];
					mag += fabs(W3[m * s->c + c]) * (o->zmag[j] + fabs(o->z[j]));
				}
				o->q[(n * s->k + m) * ho * wo + i] = acc;
				o->qmag[(n * s->k + m) * ho * wo + i] = mag;
			}
}

/* t is [N, c, h, w] f32 and within 1e-5 of sign * ref relative to mag. */
static void compare(const char *what, const kiln_tensor *t, int c, int h, int w,
		    double sign, const double *ref, const double *mag)
{
	assert_int_equal(t->dtype, KILN_FLOAT);
	assert_int_equal(t->rank, 4);
	assert_true(t->dims[0] == N && t->dims[1] == c && t->dims[2] == h && t->dims[3] == w);
	const float *got = t->data;
	for (int i = 0; i < N * c * h * w; i++)
		if (!(fabs(got[i] - sign * ref[i]) <= 1e-5 * mag[i]))
			fail_msg("%s[%d] = %.8g, reference %.8g", what, i, got[i], sign * ref[i]);
}

/* Builds, runs the pipeline, checks the graph (fused or not), then compiles
 * with the JIT and checks every output against the reference. */
static void run_case(const pc *s, int want_fused)
{
	ir_graph *g = pwdw_graph(s);
	tj_pipeline(g, 0);
	if (want_fused)
		check_fused(g, s, want_fused > 1);
	else
		check_unfused(g, s);
	kiln_model *mdl;
	kiln_status ks;
	kiln_session *ses = tj_session(g, 0, NULL, &mdl);
	kiln_tensor in = {"x", KILN_FLOAT, 4, {N, s->nopw ? s->c : s->k, in_h(s), in_w(s)}, X},
		    out[2];
	size_t nout = (size_t)kiln_model_num_outputs(mdl);
	assert_int_equal(nout, 1 + (s->puse != PUSE_NONE));
	memset(out, 0, sizeof out);
	if (kiln_session_run(ses, &in, 1, out, nout, &ks))
		fail_msg("run: %s", ks.msg);

	ref_t *ref = malloc(sizeof *ref);
	assert_non_null(ref);
	reference(s, ref);
	/* the data must exercise every clamp bound and leave values between */
	assert_true(s->nopw || (ref->below[0] > 0 && (s->relu || ref->above[0] > 0)));
	assert_true(ref->below[1] > 0 && ref->above[1] > 0 && ref->inside > 0);
	if (s->proj == PROJ_NONE)
		compare("z", &out[0], s->c, out_h(s), out_w(s), 1, ref->z, ref->zmag);
	else
		compare("q", &out[0], s->k, out_h(s), out_w(s), 1, ref->q, ref->qmag);
	if (s->puse == PUSE_OUTPUT)
		compare("a", &out[1], s->c, s->h, s->w, 1, ref->p, ref->pmag);
	if (s->puse == PUSE_NEG)
		compare("n", &out[1], s->c, s->h, s->w, -1, ref->p, ref->pmag);
	free(ref);
	kiln_session_free(ses);
	kiln_model_free(mdl);
}

/* ---- fused ---- */

static void test_fused_stride1(void **state)
{
	pc s = base();
	(void)state;
	run_case(&s, 1);
	s.relu = 1;                    /* Relu: no upper clamp on the pointwise */
	run_case(&s, 1);
}

static void test_fused_stride2(void **state)
{
	pc s = base();
	(void)state;
	s.h = s.w = 10;
	s.sy = s.sx = 2;
	run_case(&s, 1);
	s.relu = 1;
	run_case(&s, 1);
}

/* A projection after the pair joins it (7x9: 63 pixels, 64 computed in
 * panels of 16): alone, with a residual, after stride 2 (5x5 from 10x10:
 * 25 pixels, 32 against 30 in slivers of 6, within 15%); a 7x7 image
 * (49: 64 against 54) leaves it a Conv of its own. */
static void test_fused_projection(void **state)
{
	pc s = base();
	(void)state;
	s.proj = PROJ_CONV;
	run_case(&s, 2);
	s.proj = PROJ_RES;
	run_case(&s, 2);
	s.h = s.w = 10;
	s.sy = s.sx = 2;
	s.proj = PROJ_CONV;
	run_case(&s, 2);
	s = base();
	s.w = 7;
	s.proj = PROJ_RES;
	run_case(&s, 1);
}

/* No 1x1 Conv before the 3x3 one: the node without its pointwise half
 * when a projection follows (strides 1 and 2), two Convs when none does or
 * the image is 7x7. */
static void test_depthwise_projection(void **state)
{
	pc s = base();
	(void)state;
	s.nopw = 1;
	s.proj = PROJ_CONV;
	run_case(&s, 2);
	s.h = s.w = 10;
	s.sy = s.sx = 2;
	run_case(&s, 2);
	s = base();
	s.nopw = 1;
	run_case(&s, 0);
	s.w = 7;
	s.proj = PROJ_CONV;
	run_case(&s, 0);
}

/* A 3x3 stem (3 input channels, pads 1) before the depthwise Conv: at
 * stride 2 with a projection after the pair (14x18 -> 7x9), at stride 1
 * with none and the depthwise Conv at stride 2; not with 5 input channels
 * (more than the kernel's few-channel rows take), an output 5 wide (less
 * than its pixel tile) or the stem's output also a graph output. */
static void test_stem(void **state)
{
	pc s = base();
	(void)state;
	s.k = 3;
	s.stem = 2;
	s.proj = PROJ_CONV;
	run_case(&s, 2);
	s.stem = 1;
	s.proj = PROJ_NONE;
	s.h = s.w = 10;
	s.sy = s.sx = 2;
	run_case(&s, 1);
	s.relu = 1;
	run_case(&s, 1);
	s = base();
	s.stem = 2;               /* 5 input channels */
	run_case(&s, 0);
	s.k = 3;
	s.w = 5;
	run_case(&s, 0);
	s.w = 9;
	s.puse = PUSE_OUTPUT;
	run_case(&s, 0);
}

/* ---- not fused ---- */

static void test_channels_not_multiple_of_8(void **state)
{
	pc s = base();
	(void)state;
	s.c = s.group = 12;
	run_case(&s, 0);
}

/* a also a graph output, or also read by Neg: the pair cannot own it. */
static void test_pointwise_used_twice(void **state)
{
	pc s = base();
	(void)state;
	s.puse = PUSE_OUTPUT;
	run_case(&s, 0);
	s.puse = PUSE_NEG;
	run_case(&s, 0);
}

static void test_unequal_strides(void **state)
{
	pc s = base();
	(void)state;
	s.sx = 2;                      /* strides [1, 2] */
	run_case(&s, 0);
}

static void test_second_not_depthwise(void **state)
{
	pc s = base();
	(void)state;
	s.group = 1;
	run_case(&s, 0);
}

int main(void)
{
	init_data();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fused_stride1),
		cmocka_unit_test(test_fused_stride2),
		cmocka_unit_test(test_fused_projection),
		cmocka_unit_test(test_depthwise_projection),
		cmocka_unit_test(test_stem),
		cmocka_unit_test(test_channels_not_multiple_of_8),
		cmocka_unit_test(test_pointwise_used_twice),
		cmocka_unit_test(test_unequal_strides),
		cmocka_unit_test(test_second_not_depthwise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
