/* test_kk_math_reduce.c — kk_reduce, kk_argreduce and kk_softmax against
 * naive double-precision references over random [outer, rlen, inner] shapes
 * (contiguous and strided reductions, the empty reduction, tiles of the
 * strided softmax), ties, select_last_index and NaN; and the softmax's
 * branch-free expf (kk_vexp.h) against libm over its whole range. */
#include <stdlib.h>
#include <string.h>
#include "test_kk_math_util.h"
#include "kk_vexp.h"

static double ref_reduce(int op, const double *x, int64_t rlen, int64_t inner)
{
	double acc;
	switch (op) {
	case KK_RED_MAX: acc = -INFINITY; break;
	case KK_RED_MIN: acc = INFINITY; break;
	case KK_RED_PROD: acc = 1; break;
	default: acc = 0;
	}
	double m = -INFINITY;
	for (int64_t r = 0; r < rlen; r++) m = fmax(m, x[r * inner]);
	for (int64_t r = 0; r < rlen; r++) {
		double v = x[r * inner];
		switch (op) {
		case KK_RED_SUM: case KK_RED_MEAN: case KK_RED_LOG_SUM: acc += v; break;
		case KK_RED_MAX: acc = isnan(v) || isnan(acc) ? NAN : fmax(acc, v); break;
		case KK_RED_MIN: acc = isnan(v) || isnan(acc) ? NAN : fmin(acc, v); break;
		case KK_RED_PROD: acc *= v; break;
		case KK_RED_L1: acc += fabs(v); break;
		case KK_RED_L2: case KK_RED_SUM_SQUARE: acc += v * v; break;
		case KK_RED_LOG_SUM_EXP: acc += exp(v - m); break;
		}
	}
	switch (op) {
	case KK_RED_MEAN: return acc / (double)rlen;
	case KK_RED_L2: return sqrt(acc);
	case KK_RED_LOG_SUM: return log(acc);
	case KK_RED_LOG_SUM_EXP: return rlen ? m + log(acc) : -INFINITY;
	}
	return acc;
}

#define MAXN 4096

static void test_reduce_float(void **state)
{
	static double xd[MAXN], yd[MAXN], ref[MAXN];
	static float xf[MAXN], yf[MAXN];
	for (int rep = 0; rep < 40; rep++)
		for (int op = 0; op < KK_RED_COUNT; op++)
			for (int f32 = 0; f32 < 2; f32++) {
				int64_t outer = t_randint(1, 4), rlen = t_randint(0, 40);
				int64_t inner = rep % 3 == 0 ? 1 : t_randint(1, 20);
				if (rep == 1) rlen = 0;
				int64_t n = outer * rlen * inner;
				for (int64_t i = 0; i < n; i++) {
					double v = op == KK_RED_PROD ? t_unif(0.8, 1.25) : t_unif(-3, 3);
					if (op == KK_RED_LOG_SUM) v = t_unif(0.01, 3);
					xf[i] = (float)v;
					xd[i] = f32 ? xf[i] : v;
				}
				for (int64_t o = 0; o < outer; o++)
					for (int64_t j = 0; j < inner; j++)
						ref[o * inner + j] = ref_reduce(op, xd + o * rlen * inner + j, rlen,
						                                inner);
				if (f32) kk_reduce(NULL, op, KK_DT_F32, xf, yf, outer, rlen, inner);
				else kk_reduce(NULL, op, KK_DT_F64, xd, yd, outer, rlen, inner);
				for (int64_t i = 0; i < outer * inner; i++)
					T_CHECK_CLOSE(f32 ? yf[i] : yd[i], ref[i], f32 ? 1e-5 : 1e-12,
					              f32 ? 1e-5 : 1e-12, "reduce op %d f32 %d [%lld %lld %lld]",
					              op, f32, (long long)outer, (long long)rlen, (long long)inner);
			}
}

static void test_reduce_nan_empty(void **state)
{
	float x[20], y[2];
	for (int i = 0; i < 20; i++) x[i] = (float)i;
	x[13] = NAN;
	kk_reduce(NULL, KK_RED_MAX, KK_DT_F32, x, y, 2, 10, 1);
	assert_true(y[0] == 9 && isnan(y[1]));
	kk_reduce(NULL, KK_RED_MIN, KK_DT_F32, x, y, 2, 10, 1);
	assert_true(y[0] == 0 && isnan(y[1]));
	/* empty: documented identities */
	int ops[] = {KK_RED_SUM, KK_RED_PROD, KK_RED_MAX, KK_RED_MIN, KK_RED_L2, KK_RED_LOG_SUM_EXP,
		KK_RED_MEAN};
	double want[] = {0, 1, -INFINITY, INFINITY, 0, -INFINITY, NAN};
	for (int k = 0; k < 7; k++) {
		kk_reduce(NULL, ops[k], KK_DT_F32, x, y, 2, 0, 1);
		T_CHECK_CLOSE(y[0], want[k], 0, 0, "empty op %d", ops[k]);
	}
	int32_t yi[1], xi[1];
	kk_reduce(NULL, KK_RED_MAX, KK_DT_I32, xi, yi, 1, 0, 1);
	assert_int_equal(yi[0], INT32_MIN);
}

static void test_reduce_int(void **state)
{
	int32_t x[600], y[60];
	uint8_t xu[600], yu[60];
	for (int rep = 0; rep < 20; rep++) {
		int64_t outer = t_randint(1, 3), rlen = t_randint(1, 20), inner = t_randint(1, 10);
		for (int64_t i = 0; i < outer * rlen * inner; i++) {
			x[i] = (int32_t)t_randint(-1000, 1000);
			xu[i] = (uint8_t)t_randint(0, 255);
		}
		int ops[] = {KK_RED_SUM, KK_RED_MAX, KK_RED_MIN, KK_RED_L1, KK_RED_SUM_SQUARE,
			KK_RED_MEAN};
		for (int k = 0; k < 6; k++) {
			kk_reduce(NULL, ops[k], KK_DT_I32, x, y, outer, rlen, inner);
			kk_reduce(NULL, ops[k], KK_DT_U8, xu, yu, outer, rlen, inner);
			for (int64_t o = 0; o < outer; o++)
				for (int64_t j = 0; j < inner; j++) {
					double xs[20], xus[20];
					for (int64_t r = 0; r < rlen; r++) {
						xs[r] = x[(o * rlen + r) * inner + j];
						xus[r] = xu[(o * rlen + r) * inner + j];
					}
					double w = ref_reduce(ops[k], xs, rlen, 1);
					double wu = ref_reduce(ops[k], xus, rlen, 1);
					if (ops[k] == KK_RED_MEAN) { w = trunc(w); wu = trunc(wu); }
					assert_int_equal(y[o * inner + j], (int32_t)w);
					assert_int_equal(yu[o * inner + j], (uint8_t)(uint64_t)wu);
				}
		}
	}
}

static void test_argreduce(void **state)
{
	static double x[2000];
	static int64_t y[200];
	for (int rep = 0; rep < 50; rep++) {
		int64_t outer = t_randint(1, 4), rlen = t_randint(1, 30), inner = t_randint(1, 8);
		for (int64_t i = 0; i < outer * rlen * inner; i++) x[i] = (double)t_randint(-3, 3);
		for (int op = 0; op < 2; op++)
			for (int last = 0; last < 2; last++) {
				kk_argreduce(NULL, op, KK_DT_F64, x, y, outer, rlen, inner, last);
				for (int64_t o = 0; o < outer; o++)
					for (int64_t j = 0; j < inner; j++) {
						int64_t best = 0;
						for (int64_t r = 1; r < rlen; r++) {
							double v = x[(o * rlen + r) * inner + j];
							double b = x[(o * rlen + best) * inner + j];
							if (op == KK_ARG_MAX ? (v > b || (last && v == b))
							                     : (v < b || (last && v == b)))
								best = r;
						}
						assert_int_equal(y[o * inner + j], best);
					}
			}
	}
	float xf[5] = {1, NAN, 3, NAN, -1};
	int64_t yi[1];
	kk_argreduce(NULL, KK_ARG_MAX, KK_DT_F32, xf, yi, 1, 5, 1, 0);
	assert_int_equal(yi[0], 1);
	kk_argreduce(NULL, KK_ARG_MIN, KK_DT_F32, xf, yi, 1, 5, 1, 0);
	assert_int_equal(yi[0], 1);
	int8_t xi[4] = {INT8_MIN, INT8_MAX, INT8_MAX, INT8_MIN};
	kk_argreduce(NULL, KK_ARG_MAX, KK_DT_I8, xi, yi, 1, 4, 1, 1);
	assert_int_equal(yi[0], 2);
	kk_argreduce(NULL, KK_ARG_MIN, KK_DT_I8, xi, yi, 1, 4, 1, 0);
	assert_int_equal(yi[0], 0);
}

static void test_softmax(void **state)
{
	static double xd[MAXN], yd[MAXN];
	static float xf[MAXN], yf[MAXN];
	for (int rep = 0; rep < 30; rep++)
		for (int op = 0; op < 3; op++)
			for (int f32 = 0; f32 < 2; f32++) {
				int64_t outer = t_randint(1, 3), len = t_randint(1, 12);
				int64_t inner = rep % 3 == 0 ? 1 : rep % 3 == 1 ? t_randint(2, 9) : 70;
				int64_t n = outer * len * inner;
				for (int64_t i = 0; i < n; i++) {
					double v = t_unif(-50, 50);
					if (op == KK_HARDMAX) v = (double)t_randint(-2, 2);
					xf[i] = (float)v;
					xd[i] = f32 ? xf[i] : v;
				}
				if (f32) kk_softmax(NULL, op, KK_DT_F32, xf, yf, outer, len, inner);
				else kk_softmax(NULL, op, KK_DT_F64, xd, yd, outer, len, inner);
				for (int64_t o = 0; o < outer; o++)
					for (int64_t j = 0; j < inner; j++) {
						const double *xr = xd + o * len * inner + j;
						double m = -INFINITY, s = 0;
						int64_t am = 0;
						for (int64_t r = 0; r < len; r++)
							if (xr[r * inner] > m) { m = xr[r * inner]; am = r; }
						for (int64_t r = 0; r < len; r++) s += exp(xr[r * inner] - m);
						for (int64_t r = 0; r < len; r++) {
							int64_t idx = (o * len + r) * inner + j;
							double want = op == KK_SOFTMAX ? exp(xd[idx] - m) / s
							            : op == KK_LOG_SOFTMAX ? xd[idx] - m - log(s)
							            : (double)(r == am);
							T_CHECK_CLOSE(f32 ? yf[idx] : yd[idx], want, f32 ? 1e-5 : 1e-12,
							              f32 ? 1e-6 : 1e-14, "softmax op %d inner %lld",
							              op, (long long)inner);
						}
					}
			}
}

/* kk__expf within 2 ulp-ish (rel. 2.5e-7) of exp where the result is a
 * normal float, +inf above 88.72283, 0 below -87.33654, NaN kept; the
 * 2^128 edge (k = 128, x just below the overflow bound) stays finite. */
static void test_vexp(void **state)
{
	(void)state;
	int checked = 0;
	for (double v = -100.0; v <= 100.0; v += 1.0 / 1024 + 1e-7) {
		float x = (float)v, got = kk__expf(x);
		double want = exp((double)x);
		if (x > 88.72283f) {
			assert_true(isinf(got) && got > 0);
		} else if (x < -87.33654f) {
			assert_true(got == 0.0f);
		} else {
			if (!(fabs(got - want) <= 2.5e-7 * want))
				fail_msg("kk__expf(%.9g) = %.9g, exp = %.9g", x, got, want);
			checked++;
		}
	}
	assert_true(checked > 150000);
	assert_true(isnan(kk__expf(NAN)));
	float top = 88.72f;
	assert_true(isfinite(kk__expf(top)) && fabs(kk__expf(top) - exp(top)) <= 2.5e-7 * exp(top));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reduce_float),
		cmocka_unit_test(test_reduce_nan_empty),
		cmocka_unit_test(test_reduce_int),
		cmocka_unit_test(test_argreduce),
		cmocka_unit_test(test_softmax),
		cmocka_unit_test(test_vexp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
