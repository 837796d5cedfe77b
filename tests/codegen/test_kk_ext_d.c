/* test_kk_ext_d.c — "ops wave D" kernels (codegen/kernels/ext_d.c) against
 * independent references: quantisation with a hand-written ties-to-even
 * rounding, integer matmul / conv against plain loops over explicitly
 * padded inputs, DFT identities (impulse, pure tones, inverse round trip),
 * STFT of a tone, window symmetries and known values, and the mel matrix
 * of the ONNX MelWeightMatrix example. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "kk_ext_d.h"
#include "kk_math.h"

#define PI 3.14159265358979323846
#define near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int64_t irand(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(next() % (uint64_t)(hi - lo + 1));
}

/* Ties-to-even rounding written out, independent of rint. */
static double round_even(double v)
{
	double f = floor(v), d = v - f;
	if (d > 0.5 || (d == 0.5 && fmod(f, 2.0) != 0.0))
		return f + 1.0;
	return f;
}

static double clampd(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void test_quantize_ties_and_saturation(void **state)
{
	(void)state;
	float x[8] = {0.5f, 1.5f, 2.5f, -2.5f, -0.5f, 1000.0f, -1000.0f, 3.0f};
	float s = 1.0f;
	uint8_t zu = 128, yu[8];
	int8_t zi = 0, yi[8];
	kk_quantize(NULL, x, &s, &zu, KK_DT_U8, yu, 1, 1, 8, 0);
	kk_quantize(NULL, x, &s, &zi, KK_DT_I8, yi, 1, 1, 8, 0);
	const int eu[8] = {128, 130, 130, 126, 128, 255, 0, 131};
	const int ei[8] = {0, 2, 2, -2, 0, 127, -128, 3};
	for (int i = 0; i < 8; i++) {
		assert_int_equal(yu[i], eu[i]);
		assert_int_equal(yi[i], ei[i]);
	}
	kk_quantize(NULL, x, &s, NULL, KK_DT_U8, yu, 1, 1, 8, 0);
	assert_int_equal(yu[3], 0);
	assert_int_equal(yu[1], 2);
}

static void test_quantize_dequantize_axis(void **state)
{
	(void)state;
	enum { O = 2, L = 3, I = 5, T = O * L * I };
	float x[T], s[L], y[T];
	uint8_t zu[L], q[T];
	int8_t zi[L], qi[T];
	for (int it = 0; it < 20; it++) {
		for (int a = 0; a < L; a++) {
			s[a] = (float)irand(1, 8) / 4.0f;
			zu[a] = (uint8_t)irand(0, 255);
			zi[a] = (int8_t)irand(-128, 127);
		}
		for (int i = 0; i < T; i++)
			x[i] = (float)irand(-400, 400) / 4.0f;
		kk_quantize(NULL, x, s, zu, KK_DT_U8, q, O, L, I, 1);
		kk_quantize(NULL, x, s, zi, KK_DT_I8, qi, O, L, I, 1);
		for (int i = 0; i < T; i++) {
			int a = (i / I) % L;
			double r = round_even((double)x[i] / s[a]);
			assert_int_equal(q[i], (int)clampd(r + zu[a], 0, 255));
			assert_int_equal(qi[i], (int)clampd(r + zi[a], -128, 127));
		}
		kk_dequantize(NULL, KK_DT_U8, q, s, zu, y, O, L, I, 1);
		for (int i = 0; i < T; i++) {
			int a = (i / I) % L;
			near(y[i], ((int)q[i] - (int)zu[a]) * (double)s[a], 1e-6);
		}
	}
	int32_t xi[3] = {-7, 0, 100000};
	float sc = 0.5f;
	kk_dequantize(NULL, KK_DT_I32, xi, &sc, NULL, y, 1, 1, 3, 0);
	near(y[0], -3.5, 0);
	near(y[2], 50000.0, 0);
}

static void test_dynquant(void **state)
{
	(void)state;
	float x[16], s;
	uint8_t y[16], z;
	for (int it = 0; it < 20; it++) {
		int n = (int)irand(1, 16);
		double lo = 0, hi = 0;
		for (int i = 0; i < n; i++) {
			x[i] = (float)irand(-1000, 1000) / 97.0f + (it % 3 == 1 ? 20.0f : 0.0f);
			lo = x[i] < lo ? x[i] : lo;
			hi = x[i] > hi ? x[i] : hi;
		}
		kk_dynquant(NULL, x, y, &s, &z, n);
		near(s, (hi - lo) / 255.0, 1e-6);
		if (s == 0)
			continue;
		/* Dequantised values are within half a step of x, 0 is exact. */
		for (int i = 0; i < n; i++)
			near(((int)y[i] - (int)z) * (double)s, x[i], s * 0.5001);
		near(z, clampd(round_even(-lo / s), 0, 255), 0);
	}
	x[0] = x[1] = 0;
	kk_dynquant(NULL, x, y, &s, &z, 2);
	assert_true(s == 0 && z == 0 && y[0] == 0 && y[1] == 0);
}

static void test_qmatmul(void **state)
{
	(void)state;
	enum { B = 2, M = 3, K = 4, N = 5 };
	uint8_t a[B][M][K], azp[M], yzp = 7;
	int8_t b[K][N], bzp[N];
	int32_t y[B][M][N];
	uint8_t yq[B][M][N];
	float as = 0.02f, bs[N], ys = 0.05f;
	for (int it = 0; it < 10; it++) {
		for (int i = 0; i < B * M * K; i++)
			(&a[0][0][0])[i] = (uint8_t)irand(0, 255);
		for (int i = 0; i < K * N; i++)
			(&b[0][0])[i] = (int8_t)irand(-128, 127);
		for (int m = 0; m < M; m++)
			azp[m] = (uint8_t)irand(0, 255);
		for (int n = 0; n < N; n++) {
			bzp[n] = (int8_t)irand(-5, 5);
			bs[n] = (float)irand(1, 4) / 100.0f;
		}
		/* b broadcast over the batch (stride 0), per-row / per-column zps. */
		kk_qmatmul(NULL, KK_DT_U8, a, azp, M, KK_DT_I8, b, bzp, N, y, B, M, K, N, M * K, 0,
			   NULL, 1, NULL, 1, NULL, NULL, KK_DT_U8);
		kk_qmatmul(NULL, KK_DT_U8, a, azp, M, KK_DT_I8, b, bzp, N, yq, B, M, K, N, M * K,
			   0, &as, 1, bs, N, &ys, &yzp, KK_DT_U8);
		for (int p = 0; p < B; p++)
			for (int m = 0; m < M; m++)
				for (int n = 0; n < N; n++) {
					int64_t acc = 0;
					for (int k = 0; k < K; k++)
						acc += ((int)a[p][m][k] - azp[m]) * ((int)b[k][n] - bzp[n]);
					assert_int_equal(y[p][m][n], acc);
					double r = (double)acc * as * bs[n] / ys;
					assert_true(fabs(yq[p][m][n] - clampd(round_even(r) + yzp, 0, 255))
						    <= 1);
				}
	}
}

/* Reference: pad x explicitly with its zero point, then a valid conv. */
static void ref_conv(const uint8_t *x, int zx, const uint8_t *w, const int *zw,
		     const int64_t *g, int32_t *y)
{
	int64_t N = g[KK_QC_N], C = g[KK_QC_C], H = g[KK_QC_H], W = g[KK_QC_W];
	int64_t PH = H + 2 * g[KK_QC_PH], PW = W + 2 * g[KK_QC_PW], G = g[KK_QC_GROUP];
	int64_t M = g[KK_QC_M], cg = C / G, kh = g[KK_QC_KH], kw = g[KK_QC_KW];
	int *px = malloc(sizeof(int) * (size_t)(N * C * PH * PW));
	for (int64_t i = 0; i < N * C * PH * PW; i++) {
		int64_t ww = i % PW, hh = (i / PW) % PH, nc = i / (PW * PH);
		int64_t ih = hh - g[KK_QC_PH], iw = ww - g[KK_QC_PW];
		px[i] = ih >= 0 && ih < H && iw >= 0 && iw < W ? x[(nc * H + ih) * W + iw] : zx;
	}
	for (int64_t n = 0; n < N; n++)
		for (int64_t m = 0; m < M; m++)
			for (int64_t oh = 0; oh < g[KK_QC_OH]; oh++)
				for (int64_t ow = 0; ow < g[KK_QC_OW]; ow++) {
					int32_t acc = 0;
					for (int64_t c = 0; c < cg; c++)
						for (int64_t i = 0; i < kh; i++)
							for (int64_t j = 0; j < kw; j++) {
								int64_t hh = oh * g[KK_QC_SH] + i * g[KK_QC_DH];
								int64_t ww = ow * g[KK_QC_SW] + j * g[KK_QC_DW];
								int64_t ci = m / (M / G) * cg + c;
								acc += (px[((n * C + ci) * PH + hh) * PW + ww] - zx)
								       * (w[((m * cg + c) * kh + i) * kw + j] - zw[m]);
							}
					y[((n * M + m) * g[KK_QC_OH] + oh) * g[KK_QC_OW] + ow] = acc;
				}
	free(px);
}

static void test_qconv(void **state)
{
	(void)state;
	uint8_t x[2 * 4 * 7 * 6], w[4 * 4 * 3 * 2], zw8[4], zx = 0;
	int zw[4];
	int32_t y[2 * 4 * 10 * 10], r[2 * 4 * 10 * 10];
	for (int it = 0; it < 12; it++) {
		int64_t G = it % 2 ? 2 : 1, C = 4, M = 4, kh = 3, kw = 2, H = 7, W = 6;
		int64_t s = 1 + it % 3 / 2, d = 1 + (it % 4 == 3), p = it % 3;
		int64_t oh = (H + 2 * p - ((kh - 1) * d + 1)) / s + 1;
		int64_t ow = (W + 2 * p - ((kw - 1) * d + 1)) / s + 1;
		int64_t g[KK_QC_COUNT] = {2, C, H, W, M, kh, kw, oh, ow, s, s, p, p, d, d, G};
		for (size_t i = 0; i < sizeof x; i++)
			x[i] = (uint8_t)irand(0, 255);
		for (int64_t i = 0; i < M * (C / G) * kh * kw; i++)
			w[i] = (uint8_t)irand(0, 255);
		zx = (uint8_t)irand(0, 255);
		for (int m = 0; m < M; m++)
			zw[m] = zw8[m] = (uint8_t)irand(0, 255);
		kk_qconv(NULL, KK_DT_U8, x, &zx, KK_DT_U8, w, zw8, M, NULL, y, g, NULL, 1, NULL, 1,
			 NULL, NULL, KK_DT_U8);
		ref_conv(x, zx, w, zw, g, r);
		for (int64_t i = 0; i < 2 * M * oh * ow; i++)
			assert_int_equal(y[i], r[i]);
	}
}

static void test_dft_identities(void **state)
{
	(void)state;
	enum { L = 12 };
	double x[L][2], y[L][2], z[L][2];
	/* Impulse at t0: y[k] = e^{-2 pi i k t0 / L}. */
	memset(x, 0, sizeof x);
	x[5][0] = 1.0;
	kk_dft(NULL, KK_DT_F64, x, y, 1, L, 1, 2, L, L, 0);
	for (int k = 0; k < L; k++) {
		near(y[k][0], cos(2 * PI * k * 5 / L), 1e-12);
		near(y[k][1], -sin(2 * PI * k * 5 / L), 1e-12);
	}
	/* Random complex signal: inverse(forward(x)) == x. */
	for (int t = 0; t < L; t++) {
		x[t][0] = (double)irand(-100, 100) / 7;
		x[t][1] = (double)irand(-100, 100) / 7;
	}
	kk_dft(NULL, KK_DT_F64, x, y, 1, L, 1, 2, L, L, 0);
	kk_dft(NULL, KK_DT_F64, y, z, 1, L, 1, 2, L, L, 1);
	for (int t = 0; t < L; t++) {
		near(z[t][0], x[t][0], 1e-9);
		near(z[t][1], x[t][1], 1e-9);
	}
	/* Real f32 tone along a middle axis [2, L, 3, 1], zero-padded to 2L,
	 * onesided (L + 1 bins): energy only at bin 2 * 3 = 6 (and none at 0). */
	float xr[2][L][3], yr[2][L + 1][3][2];
	for (int o = 0; o < 2; o++)
		for (int t = 0; t < L; t++)
			for (int i = 0; i < 3; i++)
				xr[o][t][i] = (float)cos(2 * PI * 3 * t / L) * (float)(i + 1);
	kk_dft(NULL, KK_DT_F32, xr, yr, 2, L, 3, 1, 2 * L, L + 1, 0);
	for (int o = 0; o < 2; o++)
		for (int i = 0; i < 3; i++) {
			near(yr[o][6][i][0], L / 2.0 * (i + 1), 1e-4);
			near(yr[o][6][i][1], 0, 1e-4);
			near(yr[o][0][i][0], 0, 1e-4);
		}
}

static void test_stft_tone(void **state)
{
	(void)state;
	enum { LEN = 40, FL = 8, STEP = 4, NF = (LEN - FL) / STEP + 1, BINS = FL / 2 + 1 };
	float sig[LEN], win[FL], y[NF][BINS][2];
	for (int t = 0; t < LEN; t++)
		sig[t] = (float)cos(2 * PI * 2 * t / FL);
	kk_stft(NULL, KK_DT_F32, sig, NULL, y, 1, LEN, 1, STEP, FL, NF, BINS);
	for (int f = 0; f < NF; f++)
		for (int k = 0; k < BINS; k++) {
			double mag = hypot(y[f][k][0], y[f][k][1]);
			near(mag, k == 2 ? FL / 2.0 : 0.0, 1e-4);
		}
	/* A window of constant 2 doubles every bin. */
	float y2[NF][BINS][2];
	for (int t = 0; t < FL; t++)
		win[t] = 2.0f;
	kk_stft(NULL, KK_DT_F32, sig, win, y2, 1, LEN, 1, STEP, FL, NF, BINS);
	for (int f = 0; f < NF; f++)
		near(y2[f][2][0], 2 * y[f][2][0], 1e-4);
}

static void test_windows(void **state)
{
	(void)state;
	double s[9], p[8], h[9];
	for (int kind = KK_WIN_HANN; kind <= KK_WIN_BLACKMAN; kind++) {
		kk_window(NULL, kind, KK_DT_F64, s, 9, 0);
		kk_window(NULL, kind, KK_DT_F64, p, 8, 1);
		for (int i = 0; i < 9; i++)
			near(s[i], s[8 - i], 1e-12);  /* symmetric */
		for (int i = 0; i < 8; i++)
			near(p[i], s[i], 1e-12);      /* periodic n == symmetric n + 1 */
		near(s[4], 1.0, 1e-12);               /* centre peak */
	}
	kk_window(NULL, KK_WIN_HANN, KK_DT_F64, h, 9, 0);
	kk_window(NULL, KK_WIN_HAMMING, KK_DT_F64, s, 9, 0);
	near(h[0], 0, 1e-15);
	near(s[0], 4.0 / 46.0, 1e-12);
	for (int i = 0; i < 9; i++)  /* Hamming = 4/46 + 42/46 * Hann */
		near(s[i], 4.0 / 46.0 + 42.0 / 46.0 * h[i], 1e-12);
	int32_t iy[4];
	kk_window(NULL, KK_WIN_HANN, KK_DT_I32, iy, 4, 1);
	assert_int_equal(iy[2], 1);
	assert_int_equal(iy[1], 0);
}

static void test_mel(void **state)
{
	(void)state;
	float y[9][8];
	int32_t L = 16, rate = 8192, bad = 18;
	float lo = 0, hi = 4096;
	assert_int_equal(kk_mel(NULL, KK_DT_F32, y, 9, 8, KK_DT_I32, &L, KK_DT_I32, &rate,
				KK_DT_F32, &lo, &hi), KILN_RUN_OK);
	/* The ONNX MelWeightMatrix example: these ones, zero elsewhere. */
	static const int ones[][2] = {{0, 0}, {0, 1}, {1, 2}, {1, 3}, {2, 4}, {3, 5},
				      {4, 6}, {5, 7}};
	int cnt = 0;
	for (int r = 0; r < 9; r++)
		for (int c = 0; c < 8; c++) {
			int one = 0;
			for (size_t k = 0; k < sizeof ones / sizeof ones[0]; k++)
				one |= ones[k][0] == r && ones[k][1] == c;
			cnt += one;
			near(y[r][c], one ? 1.0 : 0.0, 0);
		}
	assert_int_equal(cnt, 8);
	assert_int_equal(kk_mel(NULL, KK_DT_F32, y, 9, 8, KK_DT_I32, &bad, KK_DT_I32, &rate,
				KK_DT_F32, &lo, &hi), KILN_RUN_VALUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quantize_ties_and_saturation),
		cmocka_unit_test(test_quantize_dequantize_axis),
		cmocka_unit_test(test_dynquant),
		cmocka_unit_test(test_qmatmul),
		cmocka_unit_test(test_qconv),
		cmocka_unit_test(test_dft_identities),
		cmocka_unit_test(test_stft_tone),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_mel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
