/* test_kk_math_norm.c — BatchNormalization (inference), InstanceNormalization,
 * LayerNormalization (full and suffix-broadcast scale/bias, optional Mean /
 * InvStdDev) and LRN against naive double-precision references. */
#include <stdlib.h>
#include <string.h>
#include "test_kk_math_util.h"

#define MAXN 4096

static void fill(double *d, float *f, int64_t n, double lo, double hi)
{
	for (int64_t i = 0; i < n; i++) { f[i] = (float)t_unif(lo, hi); d[i] = f[i]; }
}

static void test_batchnorm(void **state)
{
	static double x[MAXN], y[MAXN], sc[16], bi[16], mu[16], va[16];
	static float xf[MAXN], yf[MAXN], scf[16], bif[16], muf[16], vaf[16];
	for (int rep = 0; rep < 20; rep++) {
		int64_t N = t_randint(1, 3), C = t_randint(1, 16), S = t_randint(1, 50);
		float eps = rep % 2 ? 1e-5f : 0.1f;
		fill(x, xf, N * C * S, -3, 3);
		fill(sc, scf, C, -2, 2); fill(bi, bif, C, -1, 1);
		fill(mu, muf, C, -1, 1); fill(va, vaf, C, 0.01, 4);
		kk_batchnorm(NULL, KK_DT_F32, xf, scf, bif, muf, vaf, yf, N, C, S, eps);
		kk_batchnorm(NULL, KK_DT_F64, x, sc, bi, mu, va, y, N, C, S, eps);
		for (int64_t n = 0; n < N; n++)
			for (int64_t c = 0; c < C; c++)
				for (int64_t s = 0; s < S; s++) {
					int64_t i = (n * C + c) * S + s;
					double want = (x[i] - mu[c]) / sqrt(va[c] + (double)eps) * sc[c] + bi[c];
					T_CHECK_CLOSE(yf[i], want, 1e-5, 1e-5, "bn f32");
					T_CHECK_CLOSE(y[i], want, 1e-12, 1e-12, "bn f64");
				}
	}
}

static void test_instancenorm(void **state)
{
	static double x[MAXN], y[MAXN], sc[8], bi[8];
	static float xf[MAXN], yf[MAXN], scf[8], bif[8];
	for (int rep = 0; rep < 20; rep++) {
		int64_t N = t_randint(1, 3), C = t_randint(1, 8), S = t_randint(1, 100);
		fill(x, xf, N * C * S, -3, 5);
		fill(sc, scf, C, -2, 2); fill(bi, bif, C, -1, 1);
		kk_instancenorm(NULL, KK_DT_F32, xf, scf, bif, yf, N, C, S, 1e-5f);
		kk_instancenorm(NULL, KK_DT_F64, x, sc, bi, y, N, C, S, 1e-5f);
		for (int64_t nc = 0; nc < N * C; nc++) {
			int64_t c = nc % C;
			double m = 0, v = 0;
			for (int64_t s = 0; s < S; s++) m += x[nc * S + s];
			m /= (double)S;
			for (int64_t s = 0; s < S; s++) v += (x[nc * S + s] - m) * (x[nc * S + s] - m);
			v /= (double)S;
			for (int64_t s = 0; s < S; s++) {
				double want = (x[nc * S + s] - m) / sqrt(v + (double)1e-5f) * sc[c] + bi[c];
				T_CHECK_CLOSE(yf[nc * S + s], want, 1e-4, 1e-4, "in f32 S %lld", (long long)S);
				T_CHECK_CLOSE(y[nc * S + s], want, 1e-10, 1e-10, "in f64");
			}
		}
	}
}

static void test_layernorm(void **state)
{
	static double x[MAXN], y[MAXN], sc[256], bi[256];
	static float xf[MAXN], yf[MAXN], scf[256], bif[256], mo[64], io[64];
	for (int rep = 0; rep < 40; rep++) {
		int64_t outer = t_randint(1, 10), a = t_randint(1, 8), b = t_randint(1, 30);
		int64_t inner = a * b;
		int64_t sn = rep % 3 == 0 ? b : inner, bn = rep % 4 == 0 ? 1 : (rep % 2 ? b : inner);
		int has_bias = rep % 5 != 0, want_stats = rep % 2;
		fill(x, xf, outer * inner, -4, 4);
		fill(sc, scf, sn, -2, 2); fill(bi, bif, bn, -1, 1);
		kk_layernorm(NULL, KK_DT_F32, xf, scf, sn, has_bias ? bif : NULL, bn, yf,
		             want_stats ? mo : NULL, want_stats ? io : NULL, outer, inner, 1e-5f);
		kk_layernorm(NULL, KK_DT_F64, x, sc, sn, has_bias ? bi : NULL, bn, y, NULL, NULL,
		             outer, inner, 1e-5f);
		for (int64_t o = 0; o < outer; o++) {
			double m = 0, v = 0;
			for (int64_t j = 0; j < inner; j++) m += x[o * inner + j];
			m /= (double)inner;
			for (int64_t j = 0; j < inner; j++)
				v += (x[o * inner + j] - m) * (x[o * inner + j] - m);
			v /= (double)inner;
			double is = 1 / sqrt(v + (double)1e-5f);
			if (want_stats) {
				T_CHECK_CLOSE(mo[o], m, 1e-5, 1e-6, "ln mean");
				T_CHECK_CLOSE(io[o], is, 1e-5, 1e-6, "ln invstd");
			}
			for (int64_t j = 0; j < inner; j++) {
				double want = (x[o * inner + j] - m) * is * sc[j % sn] +
				              (has_bias ? bi[j % bn] : 0);
				T_CHECK_CLOSE(yf[o * inner + j], want, 1e-4, 1e-5, "ln f32");
				T_CHECK_CLOSE(y[o * inner + j], want, 1e-10, 1e-12, "ln f64");
			}
		}
	}
}

static void test_lrn(void **state)
{
	static double x[MAXN], y[MAXN];
	static float xf[MAXN], yf[MAXN];
	for (int rep = 0; rep < 20; rep++) {
		int64_t N = t_randint(1, 2), C = t_randint(1, 12), S = t_randint(1, 30);
		int64_t size = t_randint(1, 6);
		float alpha = 1e-2f, beta = 0.75f, bias = rep % 2 ? 1.0f : 2.0f;
		fill(x, xf, N * C * S, -3, 3);
		kk_lrn(NULL, KK_DT_F32, xf, yf, N, C, S, size, alpha, beta, bias);
		kk_lrn(NULL, KK_DT_F64, x, y, N, C, S, size, alpha, beta, bias);
		for (int64_t n = 0; n < N; n++)
			for (int64_t c = 0; c < C; c++)
				for (int64_t s = 0; s < S; s++) {
					double sq = 0;
					int64_t lo = c - (int64_t)floor((size - 1) / 2.0);
					int64_t hi = c + (int64_t)ceil((size - 1) / 2.0);
					for (int64_t q = lo; q <= hi; q++)
						if (q >= 0 && q < C) sq += x[(n * C + q) * S + s] * x[(n * C + q) * S + s];
					int64_t i = (n * C + c) * S + s;
					double want = x[i] / pow(bias + alpha / (double)size * sq, beta);
					T_CHECK_CLOSE(yf[i], want, 1e-5, 1e-6, "lrn f32 size %lld", (long long)size);
					T_CHECK_CLOSE(y[i], want, 1e-7, 1e-9, "lrn f64");
				}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batchnorm),
		cmocka_unit_test(test_instancenorm),
		cmocka_unit_test(test_layernorm),
		cmocka_unit_test(test_lrn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
