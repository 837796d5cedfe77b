/* test_kk_nn_conv.c — kk_conv_f32/f64 against a naive double-precision
 * convolution on random 1-D/2-D/3-D shapes with groups (incl. depthwise and
 * channel multipliers), strides, dilations and asymmetric pads. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>
#include "kk_nn.h"
#include "kk_pack.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static int64_t irand(int64_t lo, int64_t hi)
{
	return lo + (int64_t)((urand() + 1.0) * 0.5 * (double)(hi - lo + 1)) % (hi - lo + 1);
}

typedef struct {
	int64_t N, C, M, G, in[3], k[3], s[3], d[3], pb[3], pe[3], out[3];
} conv_case;

/* Random case with spatial rank nsp (the leading 3 - nsp dims are unit). */
static int make_case(conv_case *c, int nsp, int depthwise)
{
	c->N = irand(1, 2);
	c->G = depthwise ? irand(1, 5) : (irand(0, 2) == 0 ? irand(1, 3) : 1);
	c->C = c->G * (depthwise ? 1 : irand(1, 5));
	c->M = c->G * irand(1, depthwise ? 2 : 9);
	for (int a = 0; a < 3; a++) {
		int on = a >= 3 - nsp;
		c->in[a] = on ? irand(1, nsp == 3 ? 7 : 19) : 1;
		c->k[a] = on ? irand(1, 4) : 1;
		c->s[a] = on ? irand(1, 3) : 1;
		c->d[a] = on ? irand(1, 2) : 1;
		c->pb[a] = on ? irand(0, 2) : 0;
		c->pe[a] = on ? irand(0, 2) : 0;
		int64_t span = (c->k[a] - 1) * c->d[a] + 1;
		int64_t n = c->in[a] + c->pb[a] + c->pe[a] - span;
		if (n < 0)
			return 0;
		c->out[a] = n / c->s[a] + 1;
	}
	return 1;
}

static double ref_at(const conv_case *c, const float *X, const float *W, const float *B,
	int64_t n, int64_t m, int64_t oz, int64_t oy, int64_t ox, double *mag)
{
	int64_t cg = c->C / c->G, mg = c->M / c->G, g = m / mg;
	double s = B ? B[m] : 0;
	*mag = fabs(s);
	for (int64_t ci = 0; ci < cg; ci++)
		for (int64_t kz = 0; kz < c->k[0]; kz++)
			for (int64_t ky = 0; ky < c->k[1]; ky++)
				for (int64_t kx = 0; kx < c->k[2]; kx++) {
					int64_t iz = oz * c->s[0] - c->pb[0] + kz * c->d[0];
					int64_t iy = oy * c->s[1] - c->pb[1] + ky * c->d[1];
					int64_t ix = ox * c->s[2] - c->pb[2] + kx * c->d[2];
					if (iz < 0 || iy < 0 || ix < 0 || iz >= c->in[0] ||
						iy >= c->in[1] || ix >= c->in[2])
						continue;
					double x = X[(((n * c->C + g * cg + ci) * c->in[0] + iz) *
						c->in[1] + iy) * c->in[2] + ix];
					double w = W[(((m * cg + ci) * c->k[0] + kz) * c->k[1] + ky) *
						c->k[2] + kx];
					s += x * w;
					*mag += fabs(x * w);
				}
	return s;
}

/* kk_conv_f32 on case c's geometry. */
static void conv_f32(const conv_case *c, const float *X, const float *W, const float *Wp,
	const float *B, float *Y, const float *R, float lo, float hi, int64_t y_ns, float *S)
{
	kk_conv_f32(NULL, X, W, Wp, B, Y, c->N, c->C, c->in[0], c->in[1], c->in[2], c->M,
		c->out[0], c->out[1], c->out[2], c->k[0], c->k[1], c->k[2],
		c->s[0], c->s[1], c->s[2], c->d[0], c->d[1], c->d[2],
		c->pb[0], c->pb[1], c->pb[2], c->G, R, lo, hi, y_ns, S);
}

static void run_case(const conv_case *c, int with_bias)
{
	int64_t xs = c->N * c->C * c->in[0] * c->in[1] * c->in[2];
	int64_t ws = c->M * (c->C / c->G) * c->k[0] * c->k[1] * c->k[2];
	int64_t ys = c->N * c->M * c->out[0] * c->out[1] * c->out[2];
	float *X = malloc(sizeof(float) * xs), *W = malloc(sizeof(float) * ws);
	float *B = malloc(sizeof(float) * c->M), *Y = malloc(sizeof(float) * ys);
	double *Xd = malloc(sizeof(double) * xs), *Wd = malloc(sizeof(double) * ws);
	double *Bd = malloc(sizeof(double) * c->M), *Yd = malloc(sizeof(double) * ys);
	for (int64_t i = 0; i < xs; i++) Xd[i] = X[i] = (float)urand();
	for (int64_t i = 0; i < ws; i++) Wd[i] = W[i] = (float)urand();
	for (int64_t i = 0; i < c->M; i++) Bd[i] = B[i] = (float)urand();
	/* W pre-packed per group as codegen packs constant weights, with the
	 * fused epilogue (residual R, clamp): must equal clamp(Y + R) of the
	 * plain call bit for bit */
	int64_t Mg = c->M / c->G, Kg = ws / c->M, per = kk_packed_a_floats(Mg, Kg);
	float *Wp = malloc(sizeof(float) * per * c->G), *Yp = malloc(sizeof(float) * ys);
	float *R = malloc(sizeof(float) * ys), lo = (float)urand() - 0.5f, hi = lo + 1.0f;
	for (int64_t i = 0; i < ys; i++) R[i] = (float)urand();
	for (int64_t gi = 0; gi < c->G; gi++)
		kk_pack_a_layout(Wp + gi * per, W + gi * Mg * Kg, Mg, Kg);
	conv_f32(c, X, W, Wp, with_bias ? B : NULL, Yp, R, lo, hi, 0, NULL);
	conv_f32(c, X, W, NULL, with_bias ? B : NULL, Y, NULL, -INFINITY, INFINITY, 0, NULL);
	/* 2-D through the zero-padded copy (scratch S, filled with NaN so a
	 * read of anything the copy did not write shows): the same values as
	 * Yp bit for bit, the panels being the same numbers */
	int is2d = c->in[0] == 1 && c->k[0] == 1 && c->out[0] == 1 && c->pb[0] == 0;
	int64_t sf = kk_conv_pad_floats(c->C, c->out[1], c->out[2], c->k[1], c->k[2], c->s[1],
		c->s[2], c->d[1], c->d[2]);
	float *Sp = malloc(sizeof(float) * (size_t)sf), *Ypad = malloc(sizeof(float) * ys);
	for (int64_t i = 0; i < sf; i++) Sp[i] = NAN;
	conv_f32(c, X, W, Wp, with_bias ? B : NULL, Ypad, R, lo, hi, 0, is2d ? Sp : NULL);
	for (int64_t i = 0; i < ys; i++)
		if (!(Ypad[i] == Yp[i] || (isnan(Ypad[i]) && isnan(Yp[i])))) {
			print_error("conv through the padded copy at %ld: %g, want %g\n", (long)i,
				Ypad[i], Yp[i]);
			fail();
		}
	free(Sp);
	free(Ypad);
	/* the clamp without a residual (applied in the depthwise stores):
	 * clamp(Y) exactly */
	float *Yc = malloc(sizeof(float) * ys);
	conv_f32(c, X, W, Wp, with_bias ? B : NULL, Yc, NULL, lo, hi, 0, NULL);
	for (int64_t i = 0; i < ys; i++) {
		float v = Y[i] < lo ? lo : Y[i] > hi ? hi : Y[i];
		if (v != Yc[i]) {
			print_error("conv clamp at %ld: %g, want clamp(%g) = %g\n", (long)i, Yc[i],
				Y[i], v);
			fail();
		}
	}
	free(Yc);
	/* 2-D, group 1: the transposed product (kk_conv_t_f32) with the same
	 * epilogue must match the packed path within rounding */
	int64_t P2 = c->out[1] * c->out[2], Kt = ws / c->M;
	int trans = is2d && c->G == 1;
	float *Bt = malloc(sizeof(float) * (size_t)kk_packed_b_floats(Kt, c->M));
	/* S exactly as documented (no im2col copy for 1x1, stride 1, unpadded) */
	int tsame = c->k[1] * c->k[2] == 1 && c->s[1] * c->s[2] == 1 && c->pb[1] == 0 &&
		c->pb[2] == 0 && c->out[1] == c->in[1] && c->out[2] == c->in[2];
	float *St = malloc(sizeof(float) * (size_t)((tsame ? 0 : Kt * P2) + P2 * c->M));
	float *Yt = malloc(sizeof(float) * ys);
	kk_pack_b_layout(Bt, W, Kt, c->M, 1);
	if (trans)
		kk_conv_t_f32(NULL, X, Bt, with_bias ? B : NULL, Yt, c->N, c->C, c->in[1],
			c->in[2], c->M, c->out[1], c->out[2], c->k[1], c->k[2], c->s[1], c->s[2],
			c->d[1], c->d[2], c->pb[1], c->pb[2], R, lo, hi, 0, St);
	/* each image into a block of a wider image (a channel Concat's output
	 * filled in place): the dense result, block by block, and nothing
	 * written in the 3 channels' gap after each block */
	int64_t P = c->out[0] * c->out[1] * c->out[2], yns = (c->M + 3) * P;
	/* 2-D 3x3 at stride 1, dilation 1, group 1: Winograd F(2x2, 3x3) and
	 * F(4x4, 3x3) with the same epilogue, weights transformed and packed as
	 * codegen does, scratch exactly as documented and NaN-filled (nothing
	 * read before it is written), each image into a block of stride yns:
	 * within rounding of Yp, nothing written in the gaps */
	int wino = trans && c->k[1] == 3 && c->k[2] == 3 && c->s[1] == 1 && c->s[2] == 1 &&
		c->d[1] == 1 && c->d[2] == 1 && c->C > 1 && c->M > 1 && kk_wino_ok(c->out[2], 2);
	float *Yw[2];
	for (int v = 0; v < 2; v++) {
		int64_t r = 2 + 2 * v;
		Yw[v] = malloc(sizeof(float) * (size_t)(c->N * yns));
		if (!wino)
			continue;
		int64_t np = kk_wino_points(r), pw_ = kk_packed_a_floats(c->M, c->C);
		int64_t sw_ = kk_wino_floats(c->C, c->M, c->out[1], c->out[2], r);
		float *U = malloc(sizeof(float) * (size_t)(np * c->M * c->C));
		float *Up = malloc(sizeof(float) * (size_t)(np * pw_));
		float *Sw = malloc(sizeof(float) * (size_t)sw_);
		kk_wino_weights(U, W, c->M, c->C, r);
		for (int64_t xi = 0; xi < np; xi++)
			kk_pack_a_layout(Up + xi * pw_, U + xi * c->M * c->C, c->M, c->C);
		for (int64_t i = 0; i < sw_; i++) Sw[i] = NAN;
		for (int64_t i = 0; i < c->N * yns; i++) Yw[v][i] = -7.0f;
		kk_conv_wino_f32(NULL, X, Up, with_bias ? B : NULL, Yw[v], c->N, c->C, c->in[1],
			c->in[2], c->M, c->out[1], c->out[2], c->pb[1], c->pb[2], r, R, lo, hi, yns,
			Sw);
		for (int64_t n = 0; n < c->N; n++)
			for (int64_t i = c->M * P; i < yns; i++)
				if (Yw[v][n * yns + i] != -7.0f) {
					print_error("Winograd F(%ldx%ld) conv wrote the gap at %ld\n",
						(long)r, (long)r, (long)i);
					fail();
				}
		free(U);
		free(Up);
		free(Sw);
	}
	float *Ys = malloc(sizeof(float) * (size_t)(c->N * yns));
	for (int64_t i = 0; i < c->N * yns; i++) Ys[i] = -7.0f;
	conv_f32(c, X, W, Wp, with_bias ? B : NULL, Ys, NULL, -INFINITY, INFINITY, yns, NULL);
	for (int64_t n = 0; n < c->N; n++)
		for (int64_t i = 0; i < yns; i++) {
			float want = i < c->M * P ? Y[n * c->M * P + i] : -7.0f;
			if (Ys[n * yns + i] != want) {
				print_error("conv into a block of stride %ld: image %ld at %ld: %g, "
					"want %g\n", (long)yns, (long)n, (long)i, Ys[n * yns + i], want);
				fail();
			}
		}
	free(Ys);
	kk_conv_f64(NULL, Xd, Wd, with_bias ? Bd : NULL, Yd, c->N, c->C, c->in[0], c->in[1],
		c->in[2], c->M, c->out[0], c->out[1], c->out[2], c->k[0], c->k[1], c->k[2],
		c->s[0], c->s[1], c->s[2], c->d[0], c->d[1], c->d[2],
		c->pb[0], c->pb[1], c->pb[2], c->G);
	int64_t e = 0;
	for (int64_t n = 0; n < c->N; n++)
	for (int64_t m = 0; m < c->M; m++)
	for (int64_t oz = 0; oz < c->out[0]; oz++)
	for (int64_t oy = 0; oy < c->out[1]; oy++)
	for (int64_t ox = 0; ox < c->out[2]; ox++, e++) {
		double mag, r = ref_at(c, X, W, with_bias ? B : NULL, n, m, oz, oy, ox, &mag);
		if (fabs(Y[e] - r) > 1e-5 * mag + 1e-30 || fabs(Yd[e] - r) > 1e-12 * mag + 1e-30) {
			print_error("conv N%ld C%ld M%ld G%ld in %ldx%ldx%ld k %ldx%ldx%ld "
				"s %ld,%ld,%ld d %ld,%ld,%ld p %ld,%ld,%ld at %ld: %g / %g vs %g\n",
				(long)c->N, (long)c->C, (long)c->M, (long)c->G, (long)c->in[0],
				(long)c->in[1], (long)c->in[2], (long)c->k[0], (long)c->k[1],
				(long)c->k[2], (long)c->s[0], (long)c->s[1], (long)c->s[2],
				(long)c->d[0], (long)c->d[1], (long)c->d[2], (long)c->pb[0],
				(long)c->pb[1], (long)c->pb[2], (long)e, Y[e], Yd[e], r);
			fail();
		}
		/* Winograd's transforms add and subtract up to 16 (F(2x2)) or
		 * 36 (F(4x4), with factors up to 8 x 8 and 1/24) inputs and
		 * products: wider bounds (measured: < 1e-6 * mag and < 3e-6 * mag) */
		for (int v = 0; wino && v < 2; v++) {
			float yw = Yw[v][n * yns + e % (c->M * P)];
			double tol = v ? 2e-5 : 1e-5;
			if (!(fabs(yw - Yp[e]) <= tol * mag + 1e-30)) {
				print_error("Winograd F(%dx%d) conv C%ld M%ld %ldx%ld p %ld,%ld at %ld: "
					"%g, want %g (mag %g)\n", 2 + 2 * v, 2 + 2 * v, (long)c->C,
					(long)c->M, (long)c->in[1], (long)c->in[2], (long)c->pb[1],
					(long)c->pb[2], (long)e, yw, Yp[e], mag);
				fail();
			}
		}
		/* the clamp is 1-Lipschitz: Yt within the tolerance of Yp */
		if (trans && !(fabs(Yt[e] - Yp[e]) <= 1e-5 * mag + 1e-30)) {
			print_error("conv as the transposed product at %ld: %g, want %g\n",
				(long)e, Yt[e], Yp[e]);
			fail();
		}
	}
	for (int64_t i = 0; i < ys; i++) {
		float v = Y[i] + R[i];
		v = v < lo ? lo : v > hi ? hi : v;
		if (v != Yp[i]) {
			print_error("conv epilogue at %ld: %g, want clamp(%g + %g) = %g\n",
				(long)i, Yp[i], Y[i], R[i], v);
			fail();
		}
	}
	free(X); free(W); free(Wp); free(R); free(B); free(Y); free(Yp); free(Xd); free(Wd); free(Bd);
	free(Yd); free(Bt); free(St); free(Yt); free(Yw[0]); free(Yw[1]);
}

static void test_conv_random(void **state)
{
	int done = 0;
	for (int it = 0; it < 400 && done < 150; it++) {
		conv_case c;
		if (make_case(&c, 1 + it % 3, it % 5 == 4)) {
			run_case(&c, it & 1);
			done++;
		}
	}
	assert_true(done >= 100);
}

/* A larger 2-D case through the implicit-GEMM path: several 256-tap K
 * blocks, 16-pixel panel remainders, 6-row micro-kernel remainders. */
static void test_conv_large(void **state)
{
	conv_case c = {1, 40, 13, 1, {1, 12, 11}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1},
		{0, 1, 1}, {0, 1, 1}, {1, 12, 11}};
	run_case(&c, 1);
	conv_case d = {2, 64, 64, 64, {1, 15, 17}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1},
		{0, 1, 1}, {0, 1, 1}, {1, 8, 9}};
	run_case(&d, 1);
	conv_case p = {1, 33, 70, 1, {1, 7, 9}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1},
		{0, 0, 0}, {0, 0, 0}, {1, 7, 9}};
	run_case(&p, 0);
	/* rows wide enough for 16-pixel blocks with every tap inside the
	 * image (packed from the taps' offsets alone) */
	conv_case w = {1, 5, 7, 1, {1, 6, 40}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1},
		{0, 1, 1}, {0, 1, 1}, {1, 6, 40}};
	run_case(&w, 1);
	conv_case w2 = {1, 3, 8, 1, {1, 5, 72}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1},
		{0, 1, 1}, {0, 1, 1}, {1, 3, 36}};
	run_case(&w2, 0);       /* the same at stride 2 */
	/* more tiles than kk__wino4_out_items holds at once (73x70: 19 x 18
	 * tiles of 4x4, 14 tile rows at a time), partial tiles down and
	 * across */
	conv_case g = {1, 6, 9, 1, {1, 73, 70}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1},
		{0, 1, 1}, {0, 1, 1}, {1, 73, 70}};
	run_case(&g, 1);
	/* Winograd in bands of tile rows (kk_wino_band: F(4x4) 4 of 14,
	 * F(2x2) 5 of 28), the last band short, partial tiles down and across */
	conv_case b = {1, 16, 24, 1, {1, 55, 55}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1},
		{0, 1, 1}, {0, 1, 1}, {1, 55, 55}};
	assert_int_equal(kk_wino_band(16, 24, 55, 55, 4), 4);
	assert_int_equal(kk_wino_band(16, 24, 55, 55, 2), 5);
	run_case(&b, 1);
	/* more weights per K slice than KK__CONV_WL2 (Mg x 256 floats past 256
	 * KB): each sliver sweeps KK__CONV_NB pixel blocks, here 7 blocks (4,
	 * then 3, the last partial), two K slices, pointwise and 3x3 */
	conv_case nb = {1, 300, 270, 1, {1, 9, 11}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1},
		{0, 0, 0}, {0, 0, 0}, {1, 9, 11}};
	run_case(&nb, 1);
	conv_case nb3 = {1, 40, 260, 1, {1, 10, 10}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1},
		{0, 1, 1}, {0, 1, 1}, {1, 10, 10}};
	run_case(&nb3, 0);
	/* 7x7 images (the transposed product's case), stride 2 and 1 */
	conv_case t = {2, 24, 40, 1, {1, 14, 14}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1},
		{0, 1, 1}, {0, 1, 1}, {1, 7, 7}};
	run_case(&t, 1);
	conv_case u = {1, 300, 20, 1, {1, 7, 7}, {1, 3, 3}, {1, 1, 1}, {1, 1, 1},
		{0, 1, 1}, {0, 1, 1}, {1, 7, 7}};
	run_case(&u, 0);
}

/* Depthwise 3x3 (the padded-plane path, four output vectors at a time,
 * along rows of four vectors or more, else across rows) on widths around
 * the vector size, strides 1 and 2, dilation 2, and tall planes. */
static void test_conv_dw33(void **state)
{
	static const int64_t w[] = {7, 8, 14, 28, 33, 70};
	for (int i = 0; i < 6; i++)
		for (int64_t s = 1; s <= 2; s++)
			for (int64_t d = 1; d <= 2; d++) {
				conv_case c = {1, 3, 3, 3, {1, 5 + i, w[i]}, {1, 3, 3}, {1, s, s},
					{1, d, d}, {0, 1, 1}, {0, 1, 1}, {1, 0, 0}};
				for (int a = 1; a < 3; a++)
					c.out[a] = (c.in[a] + 2 - 2 * d - 1) / s + 1;
				run_case(&c, (int)(s + d) & 1);
			}
	/* stride 2 with even padding (0, 2) and 2 then 0: the even/odd column
	 * split puts a row's first input column in the other half */
	for (int i = 0; i < 6; i++)
		for (int64_t p = 0; p <= 2; p += 2) {
			conv_case c = {1, 3, 3, 3, {1, 5 + i, w[i]}, {1, 3, 3}, {1, 2, 2},
				{1, 1, 1}, {0, p, p}, {0, 2 - p, 2 - p}, {1, 0, 0}};
			for (int a = 1; a < 3; a++)
				c.out[a] = (c.in[a] + 2 - 3) / 2 + 1;
			run_case(&c, (int)p / 2);
		}
	/* tall planes (60-odd rows of 70), strides 1 and 2, dilations 1 and 2 */
	for (int64_t s = 1; s <= 2; s++)
		for (int64_t d = 1; d <= 2; d++) {
			conv_case c = {1, 3, 3, 3, {1, 61 + (int)d, 70}, {1, 3, 3}, {1, s, s},
				{1, d, d}, {0, d, d}, {0, d, d}, {1, 0, 0}};
			for (int a = 1; a < 3; a++)
				c.out[a] = (c.in[a] + 2 * d - 2 * d - 1) / s + 1;
			run_case(&c, (int)(s + d) & 1);
		}
}

/* Few input channels (C <= 4, the direct path of a first layer): strides
 * 1 and 2 in each direction, pads 0 to 2 (asymmetric: a row's first input
 * column in either half at stride 2), 1 to 3 taps each way and larger ones
 * up to 7x7, output rows of 24 and more (24 exactly, odd, wide), M not a
 * multiple of 4, two images; run_case checks it against the reference and
 * the packed weights, with and without bias, and its clamp (the residual
 * goes the GEMM way). */
static void test_conv_few_channels(void **state)
{
	static const int64_t w[] = {47, 48, 61, 100};
	for (int i = 0; i < 24; i++) {
		int64_t C = 1 + i % 4, s = 1 + i / 4 % 2, sy = 1 + i / 8 % 2;
		int64_t kh = 1 + i % 3, kw = 3 - i / 3 % 2, p = i % 3, q = (i + 1) % 3;
		conv_case c = {2, C, 5 + i % 9, 1, {1, 9 + i % 5, w[i % 4]}, {1, kh, kw},
			{1, sy, s}, {1, 1, 1}, {0, p < kh ? p : kh - 1, p < kw ? p : kw - 1},
			{0, q < kh ? q : kh - 1, q < kw ? q : kw - 1}, {1, 0, 0}};
		for (int a = 1; a < 3; a++)
			c.out[a] = (c.in[a] + c.pb[a] + c.pe[a] - c.k[a]) / c.s[a] + 1;
		if (c.out[2] < 24)
			c.in[2] += 2 * (24 - c.out[2]), c.out[2] = (c.in[2] + c.pb[2] + c.pe[2] -
				c.k[2]) / c.s[2] + 1;
		run_case(&c, i & 1);
	}
	/* larger taps (ResNet's 7x7 at stride 2, pad 3), up to 7 each way;
	 * the last case fills the weight buffer exactly (4 x 7 x 7 taps x 64
	 * output channels) */
	static const int64_t big[][6] = {   /* C, M, KH, KW, stride, pad */
		{3, 13, 7, 7, 2, 3}, {3, 64, 7, 7, 2, 3}, {2, 9, 5, 5, 1, 2}, {1, 6, 7, 5, 1, 1},
		{4, 5, 4, 6, 2, 0}, {4, 64, 7, 7, 1, 3}};
	for (int i = 0; i < 6; i++) {
		const int64_t *b = big[i];
		conv_case c = {2, b[0], b[1], 1, {1, 11 + i, 60 + 3 * i}, {1, b[2], b[3]},
			{1, b[4], b[4]}, {1, 1, 1}, {0, b[5], b[5]}, {0, b[5], b[5]}, {1, 0, 0}};
		for (int a = 1; a < 3; a++)
			c.out[a] = (c.in[a] + 2 * c.pb[a] - c.k[a]) / c.s[a] + 1;
		run_case(&c, i & 1);
	}
}

/* KilnConvPool (kk_conv_maxpool_f32): the few-channel convolution then a
 * 3x3 stride-2 max pooling, against kk_conv_f32 then kk_maxpool_f32 bit for
 * bit, its scratch filled with NaN (a pooled value read from anything the
 * convolution did not write shows): bands of pooled rows (the first case 3
 * of them, 16, 16 and 4, each after the first starting from the row the
 * band before ended on), 4 output channels not dividing M, an even
 * convolution width (its last column outside every window), bias or not. */
static void test_conv_pool(void **state)
{
	static const int64_t cs[][8] = {     /* C, M, H, W, k, stride, pad, bias */
		{3, 64, 150, 61, 3, 2, 0, 1}, {1, 5, 40, 50, 5, 1, 2, 0}, {4, 32, 60, 64, 7, 2, 3, 1},
		{3, 64, 21, 225, 3, 2, 0, 0}};
	for (int i = 0; i < 4; i++) {
		const int64_t *c = cs[i];
		int64_t N = 2, C = c[0], M = c[1], H = c[2], Wd = c[3], k = c[4], s = c[5], p = c[6];
		int64_t OH = (H + 2 * p - k) / s + 1, OW = (Wd + 2 * p - k) / s + 1;
		int64_t POH = (OH - 3) / 2 + 1, POW = (OW - 3) / 2 + 1;
		if (i == 0)
			assert_int_equal(kk_convpool_band(M, OW), 16);
		assert_true(kk_conv_fewc_ok(C, M, k, k, s, s, OW) && POW >= 8);
		int64_t xs = N * C * H * Wd, ws = M * C * k * k, ys = N * M * OH * OW;
		int64_t ps = N * M * POH * POW, sf = kk_convpool_floats(M, OW);
		float *X = malloc(sizeof(float) * xs), *W = malloc(sizeof(float) * ws);
		float *B = malloc(sizeof(float) * M), *Y = malloc(sizeof(float) * ys);
		float *Pr = malloc(sizeof(float) * ps), *Pf = malloc(sizeof(float) * ps);
		float *S = malloc(sizeof(float) * sf);
		for (int64_t j = 0; j < xs; j++) X[j] = (float)urand();
		for (int64_t j = 0; j < ws; j++) W[j] = (float)urand();
		for (int64_t j = 0; j < M; j++) B[j] = (float)urand();
		for (int64_t j = 0; j < sf; j++) S[j] = NAN;
		float lo = i == 2 ? -0.25f : 0.0f, hi = i == 2 ? 1.0f : INFINITY;
		const float *b = c[7] ? B : NULL;
		kk_conv_f32(NULL, X, W, NULL, b, Y, N, C, 1, H, Wd, M, 1, OH, OW, 1, k, k, 1, s, s,
			1, 1, 1, 0, p, p, 1, NULL, lo, hi, 0, NULL);
		kk_maxpool_f32(NULL, Y, Pr, NULL, N, M, 1, OH, OW, 1, POH, POW, 1, 3, 3, 1, 2, 2,
			1, 1, 1, 0, 0, 0, 0);
		kk_conv_maxpool_f32(NULL, X, W, b, Pf, N, C, H, Wd, M, OH, OW, k, k, s, s, p, p,
			lo, hi, POH, POW, S);
		for (int64_t j = 0; j < ps; j++)
			if (!(Pf[j] == Pr[j]) || isnan(Pf[j])) {
				print_error("case %d: pooled %ld = %g, want %g\n", i, (long)j, Pf[j], Pr[j]);
				fail();
			}
		free(X); free(W); free(B); free(Y); free(Pr); free(Pf); free(S);
	}
}

/* Depthwise on planes under 16 wide with 20 channels: 8 channels per
 * vector (two whole blocks and a partial one), input rows under 8 wide
 * (gathered lane by lane) and from 8 up (8x8 transposes, the last one
 * overlapping), strides 1 and 2, dilation 2, a 5x5 kernel; run_case also
 * checks the residual and clamp epilogues. */
static void test_conv_dw_narrow(void **state)
{
	static const int64_t w[] = {5, 7, 8, 14, 15};
	for (int i = 0; i < 5; i++)
		for (int64_t s = 1; s <= 2; s++)
			for (int64_t d = 1; d <= 2; d++) {
				int64_t k = d == 2 && i == 4 ? 5 : 3, p = k / 2;
				conv_case c = {2, 20, 20, 20, {1, 4 + i, w[i]}, {1, k, k}, {1, s, s},
					{1, d, d}, {0, p, p}, {0, p, p}, {1, 0, 0}};
				for (int a = 1; a < 3; a++)
					c.out[a] = (c.in[a] + 2 * p - d * (k - 1) - 1) / s + 1;
				if (c.out[1] >= 1 && c.out[2] >= 1)
					run_case(&c, (int)(s + d) & 1);
			}
}

/* The pair of test_conv_pwdw in double precision: output (n, c, q), q a
 * pixel of the OH x OW output; *mag bounds the magnitudes summed. */
typedef struct {
	int64_t N, K, C, H, W, s, OW;
	const float *X, *W1, *B1, *W2, *B2;
	float lo1, hi1, lo2, hi2;
} pwdw_case;

static double pwdw_ref(const pwdw_case *p, int64_t n, int64_t c, int64_t q, double *mag)
{
	int64_t oy = q / p->OW, ox = q % p->OW, P = p->H * p->W;
	double acc = 0.0;
	*mag = 1.0;
	for (int64_t t = 0; t < 9; t++) {
		int64_t iy = oy * p->s - 1 + t / 3, ix = ox * p->s - 1 + t % 3;
		if (iy < 0 || iy >= p->H || ix < 0 || ix >= p->W)
			continue;
		double v = p->B1 ? p->B1[c] : 0.0, m = fabs(v);
		for (int64_t k = 0; k < p->K; k++) {
			double x = (double)p->W1[c * p->K + k] * p->X[(n * p->K + k) * P + iy * p->W + ix];
			v += x;
			m += fabs(x);
		}
		v = v < p->lo1 ? p->lo1 : v > p->hi1 ? p->hi1 : v;
		acc += p->W2[c * 9 + t] * v;
		*mag += fabs(p->W2[c * 9 + t]) * (m + fabs(v));
	}
	acc += p->B2 ? p->B2[c] : 0.0;
	return acc < p->lo2 ? p->lo2 : acc > p->hi2 ? p->hi2 : acc;
}

/* One case of test_conv_pwdw: Y (images yns apart, gaps of 3 channels)
 * against pwdw_ref, and against Y2, kk_conv_f32 twice, bit for bit. */
static void pwdw_check(const pwdw_case *p, const float *Y, int64_t yns, const float *Y2)
{
	int64_t OP = ((p->H - 1) / p->s + 1) * p->OW;
	for (int64_t n = 0; n < p->N; n++)
		for (int64_t c = 0; c < p->C + 3; c++)
			for (int64_t q = 0; q < OP; q++) {
				float y = Y[n * yns + c * OP + q];
				if (c >= p->C) {          /* the gap: untouched */
					assert_true(y == -7.0f);
					continue;
				}
				double mag, r = pwdw_ref(p, n, c, q, &mag);
				float y2 = Y2[(n * p->C + c) * OP + q];
				if (!(fabs(y - r) <= 1e-5 * mag) || (p->K <= 256 && y != y2)) {
					print_error("K %lld C %lld %lldx%lld s %lld: n %lld c %lld pixel "
						"%lld: %.9g, expected %.9g, kk_conv_f32 twice %.9g\n",
						(long long)p->K, (long long)p->C, (long long)p->H,
						(long long)p->W, (long long)p->s, (long long)n, (long long)c,
						(long long)q, y, r, y2);
					fail();
				}
			}
}

static float *rand_floats(int64_t n, double scale)
{
	float *v = malloc(sizeof(float) * (size_t)n);
	assert_non_null(v);
	for (int64_t i = 0; i < n; i++)
		v[i] = (float)(scale * urand());
	return v;
}

static int64_t kk__max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* The pair of p with a projection fused (W3 [M, C], bias B3 or none,
 * residual R or none, clamp [lo3, hi3]): Z (images zns apart, gaps of 2
 * channels) against pwdw_ref projected in double precision, and bit for
 * bit against Z2, kk_conv_f32 on the pair's output Yd (dense). */
static void pwdw_proj_check(const pwdw_case *p, int64_t M, int res, int clamp, float *S)
{
	int64_t C = p->C, N = p->N, H = p->H, W = p->W, s = p->s, OW = p->OW;
	int64_t OH = (H - 1) / s + 1, OP = OH * OW, zns = (M + 2) * OP;
	float *W3 = rand_floats(M * C, 2.0 / sqrt((double)C)), *B3 = rand_floats(M, 1.0);
	float *R = res ? rand_floats(N * M * OP, 1.0) : NULL;
	float *W3p = rand_floats(kk_packed_a_floats(M, C), 1.0), *Z = rand_floats(N * zns, 1.0);
	float *Wt = rand_floats(kk_pwdw_w_floats(C, p->K), 1.0), *Yd = rand_floats(N * C * OP, 1.0);
	float *Z2 = rand_floats(N * M * OP, 1.0);
	double *D = malloc(sizeof(double) * (size_t)(C * OP)), *Dm = malloc(sizeof(double) *
		(size_t)(C * OP));
	assert_true(D && Dm);
	float lo3 = clamp ? -0.5f : -INFINITY, hi3 = clamp ? 0.75f : INFINITY;
	kk_pwdw_pack_w(Wt, p->W1, C, p->K);
	kk_pack_a_layout(W3p, W3, M, C);
	for (int64_t i = 0; i < kk_pwdw_scratch(C, H, W, 1); i++)
		S[i] = NAN;
	for (int64_t i = 0; i < N * zns; i++)
		Z[i] = -7.0f;
	kk_conv_pwdw_f32(NULL, p->X, Wt, p->B1, p->W2, p->B2, W3p, B3, R, Z, N, p->K, C, M, H, W,
		OH, OW, s, p->lo1, p->hi1, p->lo2, p->hi2, lo3, hi3, zns, S);
	kk_conv_pwdw_f32(NULL, p->X, Wt, p->B1, p->W2, p->B2, NULL, NULL, NULL, Yd, N, p->K, C, 0,
		H, W, OH, OW, s, p->lo1, p->hi1, p->lo2, p->hi2, 0.0f, 0.0f, 0, S);
	kk_conv_f32(NULL, Yd, W3, W3p, B3, Z2, N, C, 1, 1, OP, M, 1, 1, OP, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 0, 0, 0, 1, R, lo3, hi3, 0, NULL);
	for (int64_t n = 0; n < N; n++) {
		for (int64_t c = 0; c < C; c++)
			for (int64_t q = 0; q < OP; q++)
				D[c * OP + q] = pwdw_ref(p, n, c, q, &Dm[c * OP + q]);
		for (int64_t m = 0; m < M + 2; m++)
			for (int64_t q = 0; q < OP; q++) {
				float z = Z[n * zns + m * OP + q];
				if (m >= M) {             /* the gap: untouched */
					assert_true(z == -7.0f);
					continue;
				}
				double r = B3[m] + (R ? R[(n * M + m) * OP + q] : 0.0), mag = 1.0 + fabs(r);
				for (int64_t c = 0; c < C; c++) {
					r += (double)W3[m * C + c] * D[c * OP + q];
					mag += fabs(W3[m * C + c]) * (Dm[c * OP + q] + fabs(D[c * OP + q]));
				}
				r = r < lo3 ? lo3 : r > hi3 ? hi3 : r;
				float z2 = Z2[(n * M + m) * OP + q];
				if (!(fabs(z - r) <= 1e-5 * mag) || z != z2) {
					print_error("projected: K %lld C %lld M %lld %lldx%lld s %lld: n %lld "
						"m %lld pixel %lld: %.9g, expected %.9g, unfused %.9g\n",
						(long long)p->K, (long long)C, (long long)M, (long long)H,
						(long long)W, (long long)s, (long long)n, (long long)m,
						(long long)q, z, r, z2);
					fail();
				}
			}
	}
	free(W3);
	free(B3);
	free(R);
	free(W3p);
	free(Z);
	free(Wt);
	free(Yd);
	free(Z2);
	free(D);
	free(Dm);
}

/* kk_conv_pwdw_f32 (KilnConvPwDw): a pointwise convolution then a 3x3
 * depthwise one (pads 1, stride 1 or 2), each with its bias and clamp.
 * Checked against a naive double-precision pair, and bit for bit against
 * kk_conv_f32 run twice (the same arithmetic in the same order, as
 * nn_pwdw.c says) where K fits one of its slices; scratch NaN-filled
 * (nothing read before written, the zero ring included), each image into a
 * block of a wider output with nothing written in the gaps. Cases: C a
 * multiple of 16 and not (a half-empty last panel), images of 6 pixels
 * (one tile) and with a partial last tile, odd and non-square sizes, K of 1
 * and past 256, two images, no biases, no clamps, and intermediates large
 * enough to go in bands of rows (odd heights: a short last band). Most
 * cases also run with a pointwise projection fused (pwdw_proj_check). */
static void test_conv_pwdw(void **state)
{
	(void)state;
	/* N K C H W s bias clamp, then a fused projection's M (0: none),
	 * residual and clamp */
	static const int64_t cases[][11] = {
		{1, 16, 96, 12, 12, 2, 1, 1, 24, 0, 0}, {1, 5, 24, 7, 9, 1, 0, 1, 7, 1, 1},
		{2, 300, 16, 6, 5, 2, 1, 0, 6, 1, 0}, {1, 1, 8, 2, 3, 1, 1, 1, 1, 0, 1},
		{1, 7, 32, 1, 13, 2, 1, 1, 0}, {2, 24, 40, 13, 11, 2, 0, 0, 13, 1, 0},
		{1, 64, 48, 14, 14, 1, 1, 1, 16, 1, 0}, {1, 96, 16, 7, 7, 1, 1, 1, 0},
		/* C past one K slice of the projection (KK_KC), several panel groups */
		{1, 24, 264, 14, 14, 1, 1, 1, 25, 1, 0}, {1, 32, 576, 7, 7, 1, 1, 1, 32, 1, 1},
		{2, 16, 960, 7, 7, 1, 1, 1, 20, 0, 0},
		/* intermediates over 4 MB: in bands of rows */
		{1, 16, 96, 112, 110, 2, 1, 1, 0}, {2, 8, 160, 90, 77, 1, 0, 1, 0},
		{1, 3, 128, 91, 101, 2, 1, 0, 0}, {1, 24, 144, 112, 57, 1, 1, 1, 12, 1, 0},
		/* over 512 KB: in bands with a projection only */
		{1, 24, 144, 56, 56, 1, 1, 1, 24, 1, 0},
	};
	for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
		const int64_t *k = cases[ci];
		int64_t N = k[0], K = k[1], C = k[2], H = k[3], W = k[4], s = k[5], P = H * W;
		int64_t OH = (H - 1) / s + 1, OW = (W - 1) / s + 1, yns = (C + 3) * OH * OW;
		pwdw_case p = {N, K, C, H, W, s, OW, rand_floats(N * K * P, 1.0),
			rand_floats(C * K, 2.0 / sqrt((double)K)), k[6] ? rand_floats(C, 1.0) : NULL,
			rand_floats(C * 9, 1.0), k[6] ? rand_floats(C, 0.2) : NULL,
			k[7] ? 0.0f : -INFINITY, k[7] ? 6.0f : INFINITY,
			k[7] ? 0.0f : -INFINITY, k[7] ? 0.5f : INFINITY};
		float *Wt = rand_floats(kk_pwdw_w_floats(C, K), 1.0);
		int64_t ns = kk__max64(kk_pwdw_floats(C, H, W, 0), kk_pwdw_scratch(C, H, W, 1));
		float *S = rand_floats(ns, 1.0), *Y = rand_floats(N * yns, 1.0);
		float *T = rand_floats(N * C * P, 1.0), *Y2 = rand_floats(N * C * OH * OW, 1.0);
		float *Wp = rand_floats(kk_packed_a_floats(C, K), 1.0);
		kk_pwdw_pack_w(Wt, p.W1, C, K);
		for (int64_t i = 0; i < kk_pwdw_floats(C, H, W, 0); i++)
			S[i] = NAN;
		for (int64_t i = 0; i < N * yns; i++)
			Y[i] = -7.0f;
		kk_conv_pwdw_f32(NULL, p.X, Wt, p.B1, p.W2, p.B2, NULL, NULL, NULL, Y, N, K, C, 0, H, W,
			OH, OW, s, p.lo1, p.hi1, p.lo2, p.hi2, 0.0f, 0.0f, yns, S);
		/* the two convolutions of kk_conv_f32, as codegen runs them (W as
		 * well as Wp: one input channel takes the direct path) */
		kk_pack_a_layout(Wp, p.W1, C, K);
		kk_conv_f32(NULL, p.X, p.W1, Wp, p.B1, T, N, K, 1, 1, P, C, 1, 1, P, 1, 1, 1, 1, 1, 1,
			1, 1, 1, 0, 0, 0, 1, NULL, p.lo1, p.hi1, 0, NULL);
		kk_conv_f32(NULL, T, p.W2, NULL, p.B2, Y2, N, C, 1, H, W, C, 1, OH, OW, 1, 3, 3, 1, s,
			s, 1, 1, 1, 0, 1, 1, C, NULL, p.lo2, p.hi2, 0, NULL);
		pwdw_check(&p, Y, yns, Y2);
		if (k[8])
			pwdw_proj_check(&p, k[8], (int)k[9], (int)k[10], S);
		free((void *)p.X);
		free((void *)p.W1);
		free((void *)p.B1);
		free((void *)p.W2);
		free((void *)p.B2);
		free(Wt);
		free(S);
		free(Y);
		free(T);
		free(Y2);
		free(Wp);
	}
}

/* kk_conv_pwdw_f32 without its pointwise half (Wt NULL, X the
 * intermediate: MobileNetV2's first block): the depthwise convolution then
 * the projection, bit for bit against kk_conv_f32 twice, each image into a
 * block of a wider output with nothing written in the gaps; widths not a
 * multiple of 8 (the copy's short last vector), strides 1 and 2, a
 * residual or not, and 112x112 in bands. */
static void test_conv_dwpj(void **state)
{
	(void)state;
	static const int64_t cases[][7] = {   /* N C H W s M residual */
		{1, 32, 112, 112, 1, 16, 0}, {2, 24, 13, 11, 2, 7, 0}, {1, 16, 7, 9, 1, 16, 1},
		{1, 8, 5, 13, 1, 3, 1}, {2, 40, 20, 18, 2, 30, 0},
	};
	for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
		const int64_t *k = cases[ci];
		int64_t N = k[0], C = k[1], H = k[2], W = k[3], s = k[4], M = k[5], P = H * W;
		int64_t OH = (H - 1) / s + 1, OW = (W - 1) / s + 1, OP = OH * OW;
		int64_t zns = (M + 2) * OP;
		float *X = rand_floats(N * C * P, 3.0), *W2 = rand_floats(C * 9, 1.0);
		float *B2 = rand_floats(C, 0.5), *W3 = rand_floats(M * C, 2.0 / sqrt((double)C));
		float *B3 = rand_floats(M, 1.0), *R = k[6] ? rand_floats(N * M * OP, 1.0) : NULL;
		float *W3p = rand_floats(kk_packed_a_floats(M, C), 1.0);
		float *S = rand_floats(kk_pwdw_scratch(C, H, W, 1), 1.0);
		float *Z = rand_floats(N * zns, 1.0), *D = rand_floats(N * C * OP, 1.0);
		float *Z2 = rand_floats(N * M * OP, 1.0);
		kk_pack_a_layout(W3p, W3, M, C);
		for (int64_t i = 0; i < kk_pwdw_scratch(C, H, W, 1); i++)
			S[i] = NAN;
		for (int64_t i = 0; i < N * zns; i++)
			Z[i] = -7.0f;
		kk_conv_pwdw_f32(NULL, X, NULL, NULL, W2, B2, W3p, B3, R, Z, N, C, C, M, H, W, OH, OW,
			s, -INFINITY, INFINITY, 0.0f, 6.0f, -1.5f, 2.0f, zns, S);
		kk_conv_f32(NULL, X, W2, NULL, B2, D, N, C, 1, H, W, C, 1, OH, OW, 1, 3, 3, 1, s, s,
			1, 1, 1, 0, 1, 1, C, NULL, 0.0f, 6.0f, 0, NULL);
		kk_conv_f32(NULL, D, W3, W3p, B3, Z2, N, C, 1, 1, OP, M, 1, 1, OP, 1, 1, 1, 1, 1, 1,
			1, 1, 1, 0, 0, 0, 1, R, -1.5f, 2.0f, 0, NULL);
		int64_t clamped = 0;
		for (int64_t n = 0; n < N; n++)
			for (int64_t i = 0; i < zns; i++) {
				float z = Z[n * zns + i], want = i < M * OP ? Z2[n * M * OP + i] : -7.0f;
				clamped += i < M * OP && (z == -1.5f || z == 2.0f);
				if (z != want) {
					print_error("dw+pj: C %lld %lldx%lld s %lld M %lld: image %lld at "
						"%lld: %.9g, unfused %.9g\n", (long long)C, (long long)H,
						(long long)W, (long long)s, (long long)M, (long long)n,
						(long long)i, z, want);
					fail();
				}
			}
		assert_true(clamped > 0 && clamped < N * M * OP);   /* the clamp acts */
		free(X);
		free(W2);
		free(B2);
		free(W3);
		free(B3);
		free(R);
		free(W3p);
		free(S);
		free(Z);
		free(D);
		free(Z2);
	}
}

/* kk_conv_stem_pwdw_f32 (KilnConvPwDw with a stem: MobileNetV2's first
 * layer and block): the few-channel 3x3 convolution, the depthwise one and
 * the projection (or none), bit for bit against kk_conv_f32 for the stem
 * then kk_conv_pwdw_f32 without its first half (or kk_conv_f32 for the
 * depthwise layer), each image into a block of a wider output with nothing
 * written in the gaps, the scratch NaN-filled; 224x224 at stride 2 in
 * bands, stem strides 1 and 2, 1 to 4 input channels, odd sizes (the last
 * tile of a row overlapping the one before, rows of 6 and 7), 24 channels
 * (a half panel), a residual, the clamps acting. */
static void test_conv_stem_dwpj(void **state)
{
	(void)state;
	static const int64_t cases[][9] = {   /* N C0 H0 W0 s1 C s M residual */
		{1, 3, 224, 224, 2, 32, 1, 16, 0}, {2, 3, 15, 13, 2, 16, 1, 8, 1},
		{1, 1, 12, 17, 1, 24, 2, 5, 0}, {2, 4, 9, 11, 1, 8, 1, 0, 0},
		{1, 2, 40, 14, 2, 40, 2, 30, 0}, {1, 3, 6, 6, 1, 16, 2, 0, 0},
	};
	for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
		const int64_t *k = cases[ci];
		int64_t N = k[0], C0 = k[1], H0 = k[2], W0 = k[3], s1 = k[4], C = k[5], s = k[6];
		int64_t M = k[7], H = (H0 - 1) / s1 + 1, W = (W0 - 1) / s1 + 1;
		int64_t OH = (H - 1) / s + 1, OW = (W - 1) / s + 1, OP = OH * OW, YC = M ? M : C;
		int64_t zns = (YC + 2) * OP, ns = kk_pwdw_scratch(C, H, W, M > 0);
		float *X = rand_floats(N * C0 * H0 * W0, 2.0), *W1 = rand_floats(C * C0 * 9, 0.5);
		float *B1 = rand_floats(C, 0.5), *W2 = rand_floats(C * 9, 1.0), *B2 = rand_floats(C, 0.5);
		float *W3 = M ? rand_floats(M * C, 2.0 / sqrt((double)C)) : NULL;
		float *B3 = M ? rand_floats(M, 1.0) : NULL, *R = k[8] ? rand_floats(N * M * OP, 1.0) : NULL;
		float *W3p = M ? rand_floats(kk_packed_a_floats(M, C), 1.0) : NULL;
		float *Ws = rand_floats(kk_pwdw_w_floats(C, 9 * C0), 1.0);
		float *S = rand_floats(ns, 1.0), *Z = rand_floats(N * zns, 1.0);
		float *T = rand_floats(N * C * H * W, 1.0), *Z2 = rand_floats(N * YC * OP, 1.0);
		if (M)
			kk_pack_a_layout(W3p, W3, M, C);
		kk_pwdw_pack_w(Ws, W1, C, 9 * C0);
		for (int64_t i = 0; i < ns; i++)
			S[i] = NAN;
		for (int64_t i = 0; i < N * zns; i++)
			Z[i] = -7.0f;
		kk_conv_stem_pwdw_f32(NULL, X, Ws, B1, W2, B2, W3p, B3, R, Z, N, C0, H0, W0, s1, C, M,
			H, W, OH, OW, s, 0.0f, 6.0f, -0.5f, 3.0f, -1.5f, 2.0f, zns, S);
		kk_conv_f32(NULL, X, W1, NULL, B1, T, N, C0, 1, H0, W0, C, 1, H, W, 1, 3, 3, 1, s1,
			s1, 1, 1, 1, 0, 1, 1, 1, NULL, 0.0f, 6.0f, 0, NULL);
		for (int64_t i = 0; i < ns; i++)
			S[i] = NAN;
		if (M)
			kk_conv_pwdw_f32(NULL, T, NULL, NULL, W2, B2, W3p, B3, R, Z2, N, C, C, M, H, W,
				OH, OW, s, -INFINITY, INFINITY, -0.5f, 3.0f, -1.5f, 2.0f, 0, S);
		else
			kk_conv_f32(NULL, T, W2, NULL, B2, Z2, N, C, 1, H, W, C, 1, OH, OW, 1, 3, 3, 1, s,
				s, 1, 1, 1, 0, 1, 1, C, NULL, -0.5f, 3.0f, 0, NULL);
		float lo = M ? -1.5f : -0.5f, hi = M ? 2.0f : 3.0f;
		int64_t clamped = 0;
		for (int64_t n = 0; n < N; n++)
			for (int64_t i = 0; i < zns; i++) {
				float z = Z[n * zns + i], want = i < YC * OP ? Z2[n * YC * OP + i] : -7.0f;
				clamped += i < YC * OP && (z == lo || z == hi);
				if (z != want) {
					print_error("stem+dw+pj: C0 %lld %lldx%lld s1 %lld C %lld s %lld M "
						"%lld: image %lld at %lld: %.9g, unfused %.9g\n",
						(long long)C0, (long long)H0, (long long)W0, (long long)s1,
						(long long)C, (long long)s, (long long)M, (long long)n,
						(long long)i, z, want);
					fail();
				}
			}
		assert_true(clamped > 0 && clamped < N * YC * OP);   /* the clamp acts */
		float *f[] = {X, W1, B1, W2, B2, W3, B3, R, W3p, Ws, S, Z, T, Z2};
		for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
			free(f[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv_random),
		cmocka_unit_test(test_conv_large),
		cmocka_unit_test(test_conv_dw33),
		cmocka_unit_test(test_conv_dw_narrow),
		cmocka_unit_test(test_conv_few_channels),
		cmocka_unit_test(test_conv_pool),
		cmocka_unit_test(test_conv_pwdw),
		cmocka_unit_test(test_conv_dwpj),
		cmocka_unit_test(test_conv_stem_dwpj),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
