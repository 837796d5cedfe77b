/* test_kk_math_unary.c — kk_unary, kk_clip and kk_cast against straightforward
 * double-precision references written here: random inputs over each op's
 * domain, edge values (NaN, inf, -0, integer limits), every Cast pair and an
 * exhaustive IEEE half round trip. */
#include <stdlib.h>
#include <string.h>
#include "test_kk_math_util.h"

/* Round half to even, written out. */
static double ref_round(double x)
{
	double r = floor(x), d = x - r;
	if (d > 0.5) return r + 1;
	if (d < 0.5) return r;
	return fmod(r, 2.0) == 0 ? r : r + 1;
}

static double ref_unary(int op, double x, double a, double b)
{
	switch (op) {
	case KK_UNARY_RELU: return isnan(x) ? x : (x > 0 ? x : 0);
	case KK_UNARY_SIGMOID: return 1 / (1 + exp(-x));
	case KK_UNARY_TANH: return tanh(x);
	case KK_UNARY_SQRT: return sqrt(x);
	case KK_UNARY_ABS: return fabs(x);
	case KK_UNARY_NEG: return -x;
	case KK_UNARY_EXP: return exp(x);
	case KK_UNARY_LOG: return log(x);
	case KK_UNARY_CEIL: return ceil(x);
	case KK_UNARY_FLOOR: return floor(x);
	case KK_UNARY_ROUND: return ref_round(x);
	case KK_UNARY_RECIPROCAL: return 1 / x;
	case KK_UNARY_SIN: return sin(x);
	case KK_UNARY_COS: return cos(x);
	case KK_UNARY_TAN: return tan(x);
	case KK_UNARY_ASIN: return asin(x);
	case KK_UNARY_ACOS: return acos(x);
	case KK_UNARY_ATAN: return atan(x);
	case KK_UNARY_SINH: return sinh(x);
	case KK_UNARY_COSH: return cosh(x);
	case KK_UNARY_ASINH: return log(x + sqrt(x * x + 1));
	case KK_UNARY_ACOSH: return log(x + sqrt(x * x - 1));
	case KK_UNARY_ATANH: return 0.5 * log((1 + x) / (1 - x));
	case KK_UNARY_ERF: return erf(x);
	case KK_UNARY_SIGN: return isnan(x) ? x : (x > 0) - (x < 0);
	case KK_UNARY_SOFTPLUS: return log(1 + exp(x));
	case KK_UNARY_SOFTSIGN: return x / (1 + fabs(x));
	case KK_UNARY_ELU: return x < 0 ? a * (exp(x) - 1) : x;
	case KK_UNARY_SELU: return x > 0 ? b * x : b * a * (exp(x) - 1);
	case KK_UNARY_CELU: return fmax(0, x) + fmin(0, a * (exp(x / a) - 1));
	case KK_UNARY_LEAKY_RELU: return x < 0 ? a * x : x;
	case KK_UNARY_THRESHOLDED_RELU: return x > a ? x : 0;
	case KK_UNARY_HARD_SIGMOID: return fmax(0, fmin(1, a * x + b));
	case KK_UNARY_HARD_SWISH: return x * fmax(0, fmin(1, x / 6 + 0.5));
	case KK_UNARY_CLIP: return isnan(x) ? x : (x < a ? a : (x > b ? b : x));
	case KK_UNARY_SCALE: return a * x + b;
	case KK_UNARY_ISNAN: return isnan(x) ? 1 : 0;
	case KK_UNARY_ISINF: return (isinf(x) && ((x > 0 && a != 0) || (x < 0 && b != 0))) ? 1 : 0;
	}
	return NAN;
}

typedef struct { int op; double lo, hi, a, b; } t_uop;
static const t_uop uops[] = {
	{KK_UNARY_RELU, -5, 5, 0, 0}, {KK_UNARY_SIGMOID, -20, 20, 0, 0},
	{KK_UNARY_TANH, -10, 10, 0, 0}, {KK_UNARY_SQRT, 0, 100, 0, 0},
	{KK_UNARY_ABS, -5, 5, 0, 0}, {KK_UNARY_NEG, -5, 5, 0, 0},
	{KK_UNARY_EXP, -30, 30, 0, 0}, {KK_UNARY_LOG, 1e-3, 1e3, 0, 0},
	{KK_UNARY_CEIL, -10, 10, 0, 0}, {KK_UNARY_FLOOR, -10, 10, 0, 0},
	{KK_UNARY_ROUND, -10, 10, 0, 0}, {KK_UNARY_RECIPROCAL, 0.1, 10, 0, 0},
	{KK_UNARY_SIN, -6, 6, 0, 0}, {KK_UNARY_COS, -6, 6, 0, 0},
	{KK_UNARY_TAN, -1.4, 1.4, 0, 0}, {KK_UNARY_ASIN, -0.99, 0.99, 0, 0},
	{KK_UNARY_ACOS, -0.99, 0.99, 0, 0}, {KK_UNARY_ATAN, -10, 10, 0, 0},
	{KK_UNARY_SINH, -5, 5, 0, 0}, {KK_UNARY_COSH, -5, 5, 0, 0},
	{KK_UNARY_ASINH, -5, 5, 0, 0}, {KK_UNARY_ACOSH, 1.01, 10, 0, 0},
	{KK_UNARY_ATANH, -0.9, 0.9, 0, 0}, {KK_UNARY_ERF, -3, 3, 0, 0},
	{KK_UNARY_SIGN, -5, 5, 0, 0}, {KK_UNARY_SOFTPLUS, -20, 20, 0, 0},
	{KK_UNARY_SOFTSIGN, -5, 5, 0, 0}, {KK_UNARY_ELU, -5, 5, 0.7, 0},
	{KK_UNARY_SELU, -5, 5, 1.67326, 1.0507}, {KK_UNARY_CELU, -5, 5, 1.3, 0},
	{KK_UNARY_LEAKY_RELU, -5, 5, 0.01, 0}, {KK_UNARY_THRESHOLDED_RELU, -5, 5, 1.0, 0},
	{KK_UNARY_HARD_SIGMOID, -5, 5, 0.2, 0.5}, {KK_UNARY_HARD_SWISH, -5, 5, 0, 0},
	{KK_UNARY_CLIP, -5, 5, -1.5, 2.25}, {KK_UNARY_SCALE, -5, 5, 0.25, 1.0},
};

#define NU 1000

static void check_unary_float(int32_t dtype, const t_uop *u)
{
	float xf[NU], yf[NU];
	double xd[NU], yd[NU];
	double rtol = dtype == KK_DT_F32 ? 2e-5 : 1e-12, atol = dtype == KK_DT_F32 ? 1e-6 : 1e-14;
	for (int i = 0; i < NU; i++) {
		double v = t_unif(u->lo, u->hi);
		if (u->op == KK_UNARY_ROUND && i % 4 == 0)
			v = floor(v) + 0.5;    /* exact halves */
		if (i == 1) v = -0.0;
		xf[i] = (float)v;
		xd[i] = dtype == KK_DT_F32 ? (double)xf[i] : v;
	}
	if (dtype == KK_DT_F32)
		kk_unary(NULL, u->op, dtype, xf, yf, NU, (float)u->a, (float)u->b);
	else
		kk_unary(NULL, u->op, dtype, xd, yd, NU, (float)u->a, (float)u->b);
	for (int i = 0; i < NU; i++) {
		double want = ref_unary(u->op, xd[i], (float)u->a, (float)u->b);
		double got = dtype == KK_DT_F32 ? yf[i] : yd[i];
		T_CHECK_CLOSE(got, want, rtol, atol, "op %d dtype %d x %.9g", u->op, dtype, xd[i]);
	}
}

static void test_unary_float_random(void **state)
{
	for (size_t k = 0; k < sizeof uops / sizeof uops[0]; k++) {
		check_unary_float(KK_DT_F32, &uops[k]);
		check_unary_float(KK_DT_F64, &uops[k]);
	}
}

/* NaN / inf / -0 through the ops where they have a defined result. */
static void test_unary_float_edges(void **state)
{
	static const int ops[] = {KK_UNARY_RELU, KK_UNARY_ABS, KK_UNARY_NEG, KK_UNARY_SIGN,
		KK_UNARY_EXP, KK_UNARY_SQRT, KK_UNARY_TANH, KK_UNARY_SIGMOID, KK_UNARY_CLIP,
		KK_UNARY_ISNAN, KK_UNARY_FLOOR, KK_UNARY_ROUND, KK_UNARY_SOFTSIGN};
	float x[6] = {NAN, INFINITY, -INFINITY, -0.0f, 0.0f, -1e30f};
	for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
		float y[6];
		uint8_t *yb = (uint8_t *)y;
		kk_unary(NULL, ops[k], KK_DT_F32, x, y, 6, -1.0f, 1.0f);
		for (int i = 0; i < 6; i++) {
			double want = ref_unary(ops[k], x[i], -1.0, 1.0);
			double got = ops[k] == KK_UNARY_ISNAN ? yb[i] : y[i];
			T_CHECK_CLOSE(got, want, 1e-6, 0, "edge op %d x %g", ops[k], x[i]);
		}
	}
	/* IsInf with each detect flag combination. */
	for (int pos = 0; pos < 2; pos++)
		for (int neg = 0; neg < 2; neg++) {
			double xd[4] = {INFINITY, -INFINITY, NAN, 1e308};
			uint8_t y[4];
			kk_unary(NULL, KK_UNARY_ISINF, KK_DT_F64, xd, y, 4, (float)pos, (float)neg);
			for (int i = 0; i < 4; i++)
				assert_int_equal(y[i], (int)ref_unary(KK_UNARY_ISINF, xd[i], pos, neg));
		}
	/* Sign of -0 is a zero; Neg of 0 is -0. */
	float z = 0.0f, nz;
	kk_unary(NULL, KK_UNARY_NEG, KK_DT_F32, &z, &nz, 1, 0, 0);
	assert_true(nz == 0 && signbit(nz));
}

static void test_unary_not_identity(void **state)
{
	uint8_t x[5] = {0, 1, 1, 0, 1}, y[5];
	kk_unary(NULL, KK_UNARY_NOT, KK_DT_BOOL, x, y, 5, 0, 0);
	for (int i = 0; i < 5; i++) assert_int_equal(y[i], x[i] ? 0 : 1);
	uint16_t h[3] = {0x3c00, 0x7e00, 0x8001}, g[3] = {0};
	kk_unary(NULL, KK_UNARY_IDENTITY, KK_DT_F16, h, g, 3, 0, 0);
	assert_memory_equal(h, g, sizeof h);
}

/* Integer Relu/Abs/Neg/Sign/Clip against int64 references, at the limits. */
#define T_INT_UNARY(T, DT, MIN, MAX) do { \
	T x[64], y[64]; \
	for (int i = 0; i < 64; i++) \
		x[i] = (T)(i == 0 ? MIN : i == 1 ? MAX : i == 2 ? 0 : \
		       (T)t_randint((int64_t)(MIN) / 2, (int64_t)((MAX) / 2))); \
	int ops[4] = {KK_UNARY_RELU, KK_UNARY_ABS, KK_UNARY_NEG, KK_UNARY_SIGN}; \
	for (int k = 0; k < 4; k++) { \
		kk_unary(NULL, ops[k], DT, x, y, 64, 0, 0); \
		for (int i = 0; i < 64; i++) { \
			T v = x[i], w; \
			switch (ops[k]) { \
			case KK_UNARY_RELU: w = v > 0 ? v : 0; break; \
			case KK_UNARY_ABS: w = (T)(v > 0 ? v : (T)(0 - (uint64_t)v)); break; \
			case KK_UNARY_NEG: w = (T)(0 - (uint64_t)v); break; \
			default: w = (T)(v > 0 ? 1 : v == 0 ? 0 : -1); \
			} \
			assert_true(y[i] == w); \
		} \
	} \
	T lo = (T)t_randint((int64_t)(MIN) / 4, 0), hi = (T)t_randint(0, (int64_t)((MAX) / 4)); \
	kk_clip(NULL, DT, x, y, 64, &lo, &hi); \
	for (int i = 0; i < 64; i++) \
		assert_true(y[i] == (x[i] < lo ? lo : x[i] > hi ? hi : x[i])); \
	kk_clip(NULL, DT, x, y, 64, NULL, &hi); \
	for (int i = 0; i < 64; i++) assert_true(y[i] == (x[i] > hi ? hi : x[i])); \
	kk_clip(NULL, DT, x, y, 64, &hi, &lo);   /* lo > hi: all become the max bound */ \
	for (int i = 0; i < 64; i++) assert_true(hi == lo || y[i] == lo); \
} while (0)

static void test_unary_int(void **state)
{
	T_INT_UNARY(int8_t, KK_DT_I8, INT8_MIN, INT8_MAX);
	T_INT_UNARY(int16_t, KK_DT_I16, INT16_MIN, INT16_MAX);
	T_INT_UNARY(int32_t, KK_DT_I32, INT32_MIN, INT32_MAX);
	T_INT_UNARY(int64_t, KK_DT_I64, INT64_MIN, INT64_MAX);
	T_INT_UNARY(uint8_t, KK_DT_U8, 0, UINT8_MAX);
	T_INT_UNARY(uint32_t, KK_DT_U32, 0, UINT32_MAX);
}

static void test_clip_float_bounds(void **state)
{
	double x[200], y[200], lo = -0.5, hi = 0.75;
	for (int i = 0; i < 200; i++) x[i] = t_unif(-2, 2);
	x[0] = NAN;
	kk_clip(NULL, KK_DT_F64, x, y, 200, &lo, &hi);
	assert_true(isnan(y[0]));
	for (int i = 1; i < 200; i++) assert_true(y[i] == fmin(hi, fmax(lo, x[i])));
	kk_clip(NULL, KK_DT_F64, x, y, 200, NULL, NULL);
	assert_memory_equal(x + 1, y + 1, 199 * sizeof(double));
}

/* ---- Cast ---- */

/* Reference IEEE half decode from the format definition. */
static double ref_h2d(uint16_t h)
{
	int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
	double v;
	if (e == 31) v = m ? NAN : INFINITY;
	else if (e == 0) v = ldexp(m, -24);
	else v = ldexp(1024 + m, e - 25);
	return s ? -v : v;
}

/* Reference encode: nearest of all finite halves (ties to even bit pattern). */
static uint16_t ref_d2h(double d)
{
	if (isnan(d)) return 0x7e00;
	uint16_t s = signbit(d) ? 0x8000 : 0;
	double a = fabs(d);
	if (a >= 65520.0) return s | 0x7c00;
	uint16_t lo = 0, hi = 0x7bff;          /* largest half <= a by bisection */
	while (lo < hi) {
		uint16_t mid = (uint16_t)((lo + hi + 1) / 2);
		if (ref_h2d(mid) <= a) lo = mid; else hi = (uint16_t)(mid - 1);
	}
	if (lo == 0x7bff) return s | lo;
	double dl = a - ref_h2d(lo), du = ref_h2d((uint16_t)(lo + 1)) - a;
	if (du < dl || (du == dl && (lo & 1))) lo++;
	return s | lo;
}

static void test_f16_exhaustive(void **state)
{
	for (uint32_t h = 0; h < 65536; h++) {
		double want = ref_h2d((uint16_t)h);
		float f = kk_f16_to_f32((uint16_t)h);
		if (isnan(want)) { assert_true(isnan(f)); continue; }
		assert_true((double)f == want);
		assert_int_equal(kk_f32_to_f16(f), h);        /* round trip */
	}
	for (int i = 0; i < 20000; i++) {
		double d = ldexp(t_unif(-1, 1), (int)t_randint(-28, 17));
		if (i % 3 == 0)   /* exact midpoints between neighbouring halves */
			d = (ref_h2d((uint16_t)(i % 0x7bff)) + ref_h2d((uint16_t)(i % 0x7bff + 1))) / 2;
		assert_int_equal(kk_f64_to_f16(d), ref_d2h(d));
		assert_int_equal(kk_f32_to_f16((float)d), ref_d2h((float)d));
	}
}

static void test_bf16(void **state)
{
	for (int i = 0; i < 1000; i++) {
		float f = (float)ldexp(t_unif(-1, 1), (int)t_randint(-100, 100));
		uint16_t b = kk_f32_to_bf16(f);
		double back = kk_bf16_to_f32(b);
		/* truncation: same sign, |back| <= |f| within one bf16 ulp */
		assert_true(fabs(back) <= fabs(f) && fabs(f) - fabs(back) < ldexp(fabs(f), -7));
	}
	assert_true(isnan(kk_bf16_to_f32(kk_f32_to_bf16(NAN))));
}

static const int32_t cast_types[] = {KK_DT_F32, KK_DT_F64, KK_DT_U8, KK_DT_I8, KK_DT_U16,
	KK_DT_I16, KK_DT_I32, KK_DT_I64, KK_DT_BOOL, KK_DT_F16, KK_DT_U32, KK_DT_U64, KK_DT_BF16};

static int t_is_signed_or_float(int32_t dt)
{
	return dt != KK_DT_U8 && dt != KK_DT_U16 && dt != KK_DT_U32 && dt != KK_DT_U64 &&
	       dt != KK_DT_BOOL;
}

static void t_store(int32_t dt, void *p, int64_t i, double v)
{
	switch (dt) {
	case KK_DT_F32: ((float *)p)[i] = (float)v; break;
	case KK_DT_F64: ((double *)p)[i] = v; break;
	case KK_DT_U8: case KK_DT_BOOL: ((uint8_t *)p)[i] = (uint8_t)v; break;
	case KK_DT_I8: ((int8_t *)p)[i] = (int8_t)v; break;
	case KK_DT_U16: ((uint16_t *)p)[i] = (uint16_t)v; break;
	case KK_DT_I16: ((int16_t *)p)[i] = (int16_t)v; break;
	case KK_DT_I32: ((int32_t *)p)[i] = (int32_t)v; break;
	case KK_DT_I64: ((int64_t *)p)[i] = (int64_t)v; break;
	case KK_DT_U32: ((uint32_t *)p)[i] = (uint32_t)v; break;
	case KK_DT_U64: ((uint64_t *)p)[i] = (uint64_t)v; break;
	case KK_DT_F16: ((uint16_t *)p)[i] = ref_d2h(v); break;
	case KK_DT_BF16: { float f = (float)v; uint32_t u; memcpy(&u, &f, 4);
		((uint16_t *)p)[i] = (uint16_t)(u >> 16); break; }
	}
}

static double t_load(int32_t dt, const void *p, int64_t i)
{
	switch (dt) {
	case KK_DT_F32: return ((const float *)p)[i];
	case KK_DT_F64: return ((const double *)p)[i];
	case KK_DT_U8: case KK_DT_BOOL: return ((const uint8_t *)p)[i];
	case KK_DT_I8: return ((const int8_t *)p)[i];
	case KK_DT_U16: return ((const uint16_t *)p)[i];
	case KK_DT_I16: return ((const int16_t *)p)[i];
	case KK_DT_I32: return ((const int32_t *)p)[i];
	case KK_DT_I64: return (double)((const int64_t *)p)[i];
	case KK_DT_U32: return ((const uint32_t *)p)[i];
	case KK_DT_U64: return (double)((const uint64_t *)p)[i];
	case KK_DT_F16: return ref_h2d(((const uint16_t *)p)[i]);
	case KK_DT_BF16: { uint32_t u = (uint32_t)((const uint16_t *)p)[i] << 16; float f;
		memcpy(&f, &u, 4); return f; }
	}
	return NAN;
}

/* Every pair, on values exactly representable in both types (small integers,
 * negative when both are signed), plus halves for float pairs. */
static void test_cast_all_pairs(void **state)
{
	enum { N = 64 };
	uint8_t xs[N * 8], ys[N * 8];
	size_t nt = sizeof cast_types / sizeof cast_types[0];
	for (size_t a = 0; a < nt; a++)
		for (size_t b = 0; b < nt; b++) {
			int32_t from = cast_types[a], to = cast_types[b];
			int neg = t_is_signed_or_float(from) && t_is_signed_or_float(to);
			int fl = (from == KK_DT_F32 || from == KK_DT_F64 || from == KK_DT_F16) &&
			         (to == KK_DT_F32 || to == KK_DT_F64 || to == KK_DT_F16);
			double vals[N];
			for (int i = 0; i < N; i++) {
				double v = (double)t_randint(neg ? -100 : 0, 100);
				if (fl && i % 2) v += 0.5;
				if (from == KK_DT_BOOL || to == KK_DT_BOOL) v = (double)t_randint(0, 1);
				vals[i] = v;
				t_store(from, xs, i, v);
			}
			kk_cast(NULL, from, to, xs, ys, N);
			for (int i = 0; i < N; i++)
				if (t_load(to, ys, i) != vals[i]) {
					print_error("cast %d -> %d of %g gave %g\n", from, to, vals[i],
					            t_load(to, ys, i));
					fail();
				}
		}
}

static void test_cast_special(void **state)
{
	float x[6] = {0.3f, -0.0f, NAN, 1e6f, -7.9f, 65519.0f};
	uint8_t b[6];
	kk_cast(NULL, KK_DT_F32, KK_DT_BOOL, x, b, 6);
	uint8_t wantb[6] = {1, 0, 1, 1, 1, 1};
	assert_memory_equal(b, wantb, 6);
	int32_t i32[6];
	kk_cast(NULL, KK_DT_F32, KK_DT_I32, x + 4, i32, 1);
	assert_int_equal(i32[0], -7);                 /* truncation toward zero */
	uint16_t h[6];
	kk_cast(NULL, KK_DT_F32, KK_DT_F16, x, h, 6);
	for (int i = 0; i < 6; i++)
		if (!isnan(x[i])) assert_int_equal(h[i], ref_d2h(x[i]));
	assert_int_equal(h[3], 0x7c00);              /* 1e6 overflows to +inf */
	assert_true((h[2] & 0x7c00) == 0x7c00 && (h[2] & 0x3ff));
	int64_t big[2] = {INT64_MAX, INT64_MIN};
	int32_t w[2];
	kk_cast(NULL, KK_DT_I64, KK_DT_I32, big, w, 2);   /* wraps modulo 2^32 */
	assert_int_equal(w[0], -1);
	assert_int_equal(w[1], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unary_float_random),
		cmocka_unit_test(test_unary_float_edges),
		cmocka_unit_test(test_unary_not_identity),
		cmocka_unit_test(test_unary_int),
		cmocka_unit_test(test_clip_float_bounds),
		cmocka_unit_test(test_f16_exhaustive),
		cmocka_unit_test(test_bf16),
		cmocka_unit_test(test_cast_all_pairs),
		cmocka_unit_test(test_cast_special),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
