/* test_kk_nn_pool.c — kk_maxpool_* (values and Indices, both storage
 * orders), kk_avgpool_* (count_include_pad 0/1, ceil mode, asymmetric pads,
 * dilations) and kk_global_pool_* against naive window loops. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <math.h>
#include <cmocka.h>
#include "kk_nn.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;

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
	int64_t N, C, in[3], k[3], s[3], d[3], pb[3], pe[3], out[3];
} pool_case;

/* Output size per ONNX/PyTorch: floor or ceil, and in ceil mode the last
 * window must start inside the input or the begin padding. */
static int make_case(pool_case *c, int nsp, int ceil_mode, int dil)
{
	c->N = irand(1, 2);
	c->C = irand(1, 3);
	for (int a = 0; a < 3; a++) {
		int on = a >= 3 - nsp;
		c->in[a] = on ? irand(1, 12) : 1;
		c->k[a] = on ? irand(1, 4) : 1;
		c->s[a] = on ? irand(1, 3) : 1;
		c->d[a] = on && dil ? irand(1, 2) : 1;
		c->pb[a] = on ? irand(0, c->k[a] - 1 < 2 ? c->k[a] - 1 : 2) : 0;
		c->pe[a] = on ? irand(0, c->k[a] - 1 < 2 ? c->k[a] - 1 : 2) : 0;
		int64_t span = (c->k[a] - 1) * c->d[a] + 1;
		int64_t n = c->in[a] + c->pb[a] + c->pe[a] - span;
		if (n < 0)
			return 0;
		c->out[a] = (ceil_mode ? (n + c->s[a] - 1) / c->s[a] : n / c->s[a]) + 1;
		if (ceil_mode && (c->out[a] - 1) * c->s[a] >= c->in[a] + c->pb[a])
			c->out[a]--;
	}
	return 1;
}

static int64_t total(const int64_t *v, int64_t nc)
{
	return nc * v[0] * v[1] * v[2];
}

/* Reference for output (nc, o[3]): max value/index, sum, and both counts. */
static void ref_window(const pool_case *c, const float *X, int64_t nc, const int64_t *o,
	int so, double *mx, int64_t *mi, double *sum, int64_t *cnt_in, int64_t *cnt_pad)
{
	*mx = -INFINITY; *mi = -1; *sum = 0; *cnt_in = 0; *cnt_pad = 0;
	int64_t k[3];
	for (k[0] = 0; k[0] < c->k[0]; k[0]++)
	for (k[1] = 0; k[1] < c->k[1]; k[1]++)
	for (k[2] = 0; k[2] < c->k[2]; k[2]++) {
		int64_t p[3], inside = 1, inpad = 1;
		for (int a = 0; a < 3; a++) {
			p[a] = o[a] * c->s[a] - c->pb[a] + k[a] * c->d[a];
			inside &= p[a] >= 0 && p[a] < c->in[a];
			inpad &= p[a] >= -c->pb[a] && p[a] < c->in[a] + c->pe[a];
		}
		*cnt_pad += inpad;
		if (!inside)
			continue;
		(*cnt_in)++;
		int64_t flat = ((nc * c->in[0] + p[0]) * c->in[1] + p[1]) * c->in[2] + p[2];
		double v = X[flat];
		*sum += v;
		if (v > *mx) {
			*mx = v;
			*mi = so ? nc * c->in[0] * c->in[1] * c->in[2] + p[1] + p[2] * c->in[1] : flat;
		}
	}
}

#define POOL_ARGS(c) (c).N, (c).C, (c).in[0], (c).in[1], (c).in[2], (c).out[0], \
	(c).out[1], (c).out[2], (c).k[0], (c).k[1], (c).k[2], (c).s[0], (c).s[1], \
	(c).s[2], (c).d[0], (c).d[1], (c).d[2], (c).pb[0], (c).pb[1], (c).pb[2]

static void run_case(const pool_case *c, int so, int cip)
{
	int64_t nc = c->N * c->C, xs = total(c->in, nc), ys = total(c->out, nc);
	float *X = malloc(sizeof(float) * xs), *Ymax = malloc(sizeof(float) * ys);
	float *Yavg = malloc(sizeof(float) * ys);
	double *Xd = malloc(sizeof(double) * xs), *Yd = malloc(sizeof(double) * ys);
	double *Ydm = malloc(sizeof(double) * ys);
	int64_t *I = malloc(sizeof(int64_t) * ys);
	for (int64_t i = 0; i < xs; i++) Xd[i] = X[i] = (float)urand();
	kk_maxpool_f32(NULL, X, Ymax, I, POOL_ARGS(*c), so);
	kk_maxpool_f64(NULL, Xd, Ydm, NULL, POOL_ARGS(*c), so);
	kk_avgpool_f32(NULL, X, Yavg, POOL_ARGS(*c), c->pe[0], c->pe[1], c->pe[2], cip);
	kk_avgpool_f64(NULL, Xd, Yd, POOL_ARGS(*c), c->pe[0], c->pe[1], c->pe[2], cip);
	int64_t e = 0, o[3];
	for (int64_t p = 0; p < nc; p++)
	for (o[0] = 0; o[0] < c->out[0]; o[0]++)
	for (o[1] = 0; o[1] < c->out[1]; o[1]++)
	for (o[2] = 0; o[2] < c->out[2]; o[2]++, e++) {
		double mx, sum;
		int64_t mi, ci, cp;
		ref_window(c, X, p, o, so, &mx, &mi, &sum, &ci, &cp);
		assert_true(ci > 0);
		double avg = sum / (double)(cip ? cp : ci);
		assert_true(Ymax[e] == (float)mx);
		assert_true(Ydm[e] == mx);
		assert_int_equal(I[e], mi);
		assert_true(fabs(Yavg[e] - avg) <= 1e-6 * (1 + fabs(avg)));
		assert_true(fabs(Yd[e] - avg) <= 1e-12);
	}
	free(X); free(Ymax); free(Yavg); free(Xd); free(Yd); free(Ydm); free(I);
}

static void test_pool_random(void **state)
{
	int done = 0;
	for (int it = 0; it < 1000 && done < 300; it++) {
		pool_case c;
		int nsp = 1 + it % 3, ceil_mode = (it / 3) % 2, dil = it % 7 == 0;
		if (!make_case(&c, nsp, ceil_mode, dil))
			continue;
		run_case(&c, nsp == 2 && it % 4 == 1, (it / 6) % 2);
		done++;
	}
	assert_true(done >= 200);
}

/* The ceil-mode case from the ONNX AveragePool docs, re-derived by the
 * reference: 4x4 input, 3x3 kernel, stride 2, ceil mode -> 2x2 windows, the
 * right/bottom ones clipped to 2 columns/rows. */
static void test_avgpool_ceil_clip(void **state)
{
	pool_case c = {1, 1, {1, 4, 4}, {1, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, 0, 0},
		{0, 0, 0}, {1, 2, 2}};
	run_case(&c, 0, 0);
	run_case(&c, 0, 1);
	float X[16], Y[4];
	for (int i = 0; i < 16; i++)
		X[i] = (float)(i + 1);
	kk_avgpool_f32(NULL, X, Y, POOL_ARGS(c), 0, 0, 0, 0);
	/* window (0,1) covers rows 0-2, cols 2-3 */
	assert_true(fabs(Y[1] - (3 + 4 + 7 + 8 + 11 + 12) / 6.0) < 1e-6);
}

/* kk_maxpool_f32 of X (nc planes) into Y, each output against the
 * reference window's maximum (NaN ignored); id names the case. */
static void maxpool_check(const pool_case *c, const float *X, float *Y, int64_t nc, int id)
{
	kk_maxpool_f32(NULL, X, Y, NULL, POOL_ARGS(*c), 0);
	int64_t e = 0, o[3] = {0};
	for (int64_t p = 0; p < nc; p++)
		for (o[1] = 0; o[1] < c->out[1]; o[1]++)
			for (o[2] = 0; o[2] < c->out[2]; o[2]++, e++) {
				double mx, sum;
				int64_t mi, ci, cp;
				ref_window(c, X, p, o, 0, &mx, &mi, &sum, &ci, &cp);
				if (Y[e] != (float)mx)
					fail_msg("case %d output %lld: %g, want %g", id, (long long)e,
						 Y[e], mx);
			}
}

/* f32 max pooling without Indices on planes wide enough for the 8-wide
 * path (stride 1 and 2, dilation, padding, ceil mode, planes of one and of
 * several row blocks), some inputs NaN:
 * against the reference window, NaN ignored as the comparison does. */
static void test_maxpool_f32_wide(void **state)
{
	for (int it = 0; it < 120; it++) {
		pool_case c;
		int ceil_mode = it % 2;
		c.N = 1;
		/* 2, 8 and 13 channels */
		c.C = it % 3 == 0 ? 2 : it % 3 == 1 ? 8 : 13;
		c.in[0] = 1;
		/* some planes tall enough for the 2-D path's row blocks (its buffer
		 * holds 4096 floats of window rows) to take several blocks */
		c.in[1] = it % 8 == 7 ? irand(60, 150) : irand(1, 9);
		c.in[2] = irand(5, 70);
		c.k[0] = c.s[0] = c.d[0] = 1;
		c.k[1] = irand(1, 3);
		c.k[2] = irand(1, 3);
		c.s[1] = irand(1, 2);
		c.s[2] = 1 + it / 2 % 2;
		c.d[1] = 1;
		c.d[2] = it % 5 == 0 ? 2 : 1;
		c.pb[0] = c.pe[0] = 0;
		int ok = 1;
		for (int a = 1; a < 3; a++) {
			c.pb[a] = irand(0, c.k[a] - 1 < 1 ? c.k[a] - 1 : 1);
			c.pe[a] = irand(0, c.k[a] - 1 < 1 ? c.k[a] - 1 : 1);
			int64_t n = c.in[a] + c.pb[a] + c.pe[a] - ((c.k[a] - 1) * c.d[a] + 1);
			ok &= n >= 0;
			c.out[a] = (ceil_mode ? (n + c.s[a] - 1) / c.s[a] : n / c.s[a]) + 1;
			if (ceil_mode && (c.out[a] - 1) * c.s[a] >= c.in[a] + c.pb[a])
				c.out[a]--;
		}
		c.out[0] = 1;
		if (!ok)
			continue;
		int64_t nc = c.C, xs = total(c.in, nc), ys = total(c.out, nc);
		float *X = malloc(sizeof(float) * xs), *Y = malloc(sizeof(float) * ys);
		for (int64_t i = 0; i < xs; i++)
			X[i] = i % 37 == 5 ? NAN : (float)urand();
		maxpool_check(&c, X, Y, nc, it);
		free(X);
		free(Y);
	}
}

/* 3x3 windows at stride 2 wholly inside the plane (SqueezeNet's MaxPools:
 * the one-pass path): 111x111, 55x55 and 27x27 planes, an output row of
 * exactly 8 and one not a multiple of 8, non-square, several channels and
 * images; some inputs NaN (ignored) or zeros of either sign: against the
 * reference window. */
static void test_maxpool_f32_33s2(void **state)
{
	static const int64_t cases[][4] = {  /* N C H W */
		{1, 3, 111, 111}, {1, 2, 55, 55}, {2, 5, 27, 27}, {1, 2, 17, 17}, {1, 3, 19, 25},
		{1, 1, 23, 18},
	};
	for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
		pool_case c = {cases[ci][0], cases[ci][1], {1, cases[ci][2], cases[ci][3]},
			{1, 3, 3}, {1, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0},
			{1, (cases[ci][2] - 3) / 2 + 1, (cases[ci][3] - 3) / 2 + 1}};
		int64_t nc = c.N * c.C, xs = total(c.in, nc), ys = total(c.out, nc);
		float *X = malloc(sizeof(float) * xs), *Y = malloc(sizeof(float) * ys);
		for (int64_t i = 0; i < xs; i++)
			X[i] = i % 37 == 5 ? NAN : i % 11 == 3 ? 0.0f : i % 11 == 4 ? -0.0f
				: (float)urand();
		maxpool_check(&c, X, Y, nc, (int)ci);
		free(X);
		free(Y);
	}
}

static void test_maxpool_u8(void **state)
{
	uint8_t X[5 * 7], Y[3 * 4];
	for (int i = 0; i < 35; i++)
		X[i] = (uint8_t)irand(0, 255);
	kk_maxpool_u8(NULL, X, Y, NULL, 1, 1, 1, 5, 7, 1, 3, 4, 1, 2, 2, 1, 2, 2,
		1, 1, 1, 0, 1, 1, 0);
	for (int oy = 0; oy < 3; oy++)
		for (int ox = 0; ox < 4; ox++) {
			int m = -1;
			for (int ky = 0; ky < 2; ky++)
				for (int kx = 0; kx < 2; kx++) {
					int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
					if (iy >= 0 && iy < 5 && ix >= 0 && ix < 7 && X[iy * 7 + ix] > m)
						m = X[iy * 7 + ix];
				}
			assert_int_equal(Y[oy * 4 + ox], m);
		}
}

static void test_global_pool(void **state)
{
	for (int it = 0; it < 20; it++) {
		int64_t nc = irand(1, 5), sp = irand(1, 100);
		float X[500], Ya[5], Ym[5];
		double Xd[500], Yad[5], Ymd[5];
		for (int64_t i = 0; i < nc * sp; i++)
			Xd[i] = X[i] = (float)urand();
		kk_global_pool_f32(NULL, KK_POOL_AVG, X, Ya, nc, sp);
		kk_global_pool_f32(NULL, KK_POOL_MAX, X, Ym, nc, sp);
		kk_global_pool_f64(NULL, KK_POOL_AVG, Xd, Yad, nc, sp);
		kk_global_pool_f64(NULL, KK_POOL_MAX, Xd, Ymd, nc, sp);
		for (int64_t r = 0; r < nc; r++) {
			double s = 0, m = -INFINITY;
			for (int64_t i = 0; i < sp; i++) {
				s += X[r * sp + i];
				m = X[r * sp + i] > m ? X[r * sp + i] : m;
			}
			assert_true(fabs(Ya[r] - s / sp) < 1e-6);
			assert_true(fabs(Yad[r] - s / sp) < 1e-12);
			assert_true(Ym[r] == (float)m && Ymd[r] == m);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_random),
		cmocka_unit_test(test_avgpool_ceil_clip),
		cmocka_unit_test(test_maxpool_f32_wide),
		cmocka_unit_test(test_maxpool_f32_33s2),
		cmocka_unit_test(test_maxpool_u8),
		cmocka_unit_test(test_global_pool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
