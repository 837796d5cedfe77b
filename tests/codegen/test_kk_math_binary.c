/* test_kk_math_binary.c — kk_binary, kk_pow and kk_where over random numpy
 * broadcasting shapes (ranks 0-4, broadcast and missing dims) against a naive
 * per-element reference that unravels each output index; integer ops at
 * their limits (wrap, x/0, INT_MIN/-1, Python vs C modulo, shifts >= width). */
#include <stdlib.h>
#include <string.h>
#include "test_kk_math_util.h"

static double ref_fbin(int op, double a, double b)
{
	switch (op) {
	case KK_BIN_ADD: return a + b;
	case KK_BIN_SUB: return a - b;
	case KK_BIN_MUL: return a * b;
	case KK_BIN_DIV: return a / b;
	case KK_BIN_POW: return pow(a, b);
	case KK_BIN_MOD: { double r = a - b * floor(a / b); return r; }
	case KK_BIN_FMOD: return a - b * trunc(a / b);
	case KK_BIN_PRELU: return a < 0 ? a * b : a;
	case KK_BIN_MAX: return isnan(a) || isnan(b) ? NAN : (a > b ? a : b);
	case KK_BIN_MIN: return isnan(a) || isnan(b) ? NAN : (a < b ? a : b);
	case KK_BIN_EQUAL: return a == b;
	case KK_BIN_LESS: return a < b;
	case KK_BIN_GREATER: return a > b;
	case KK_BIN_LESS_EQUAL: return a <= b;
	case KK_BIN_GREATER_EQUAL: return a >= b;
	}
	return NAN;
}

static int is_cmp(int op) { return op >= KK_BIN_EQUAL && op <= KK_BIN_GREATER_EQUAL; }

#define MAXN 1024

static void check_float_op(int32_t dt, int op)
{
	t_bshape s;
	do t_make_bshape(&s, 2, 4, 5); while (s.n > MAXN);
	static double ad[MAXN], bd[MAXN], yd[MAXN];
	static float af[MAXN], bf[MAXN], yf[MAXN];
	for (int i = 0; i < 2; i++)
		for (int64_t e = 0; e < s.count[i]; e++) {
			double v = t_unif(-4, 4);
			if (op == KK_BIN_POW) v = i == 0 ? t_unif(0.1, 3) : t_unif(-3, 3);
			if ((op == KK_BIN_MOD || op == KK_BIN_FMOD || op == KK_BIN_DIV) && i == 1 &&
			    fabs(v) < 0.1) v = 0.5;
			if (is_cmp(op) || op == KK_BIN_MAX) v = (double)t_randint(-2, 2);  /* ties */
			if (i == 0) { af[e] = (float)v; ad[e] = dt == KK_DT_F32 ? af[e] : v; }
			else { bf[e] = (float)v; bd[e] = dt == KK_DT_F32 ? bf[e] : v; }
		}
	if (dt == KK_DT_F32)
		kk_binary(NULL, op, dt, af, bf, yf, s.rank, s.dims, s.strides[0], s.strides[1]);
	else
		kk_binary(NULL, op, dt, ad, bd, yd, s.rank, s.dims, s.strides[0], s.strides[1]);
	double rtol = dt == KK_DT_F32 ? 1e-5 : 1e-12;
	for (int64_t e = 0; e < s.n; e++) {
		double a = ad[t_boff(&s, 0, e)], b = bd[t_boff(&s, 1, e)];
		double want = ref_fbin(op, a, b), got;
		if (is_cmp(op)) got = ((uint8_t *)(dt == KK_DT_F32 ? (void *)yf : (void *)yd))[e];
		else got = dt == KK_DT_F32 ? yf[e] : yd[e];
		T_CHECK_CLOSE(got, want, rtol, 1e-5, "op %d dt %d rank %d e %lld a %g b %g",
		              op, dt, s.rank, (long long)e, a, b);
	}
}

static void test_binary_float(void **state)
{
	int ops[] = {KK_BIN_ADD, KK_BIN_SUB, KK_BIN_MUL, KK_BIN_DIV, KK_BIN_POW, KK_BIN_MOD,
		KK_BIN_FMOD, KK_BIN_PRELU, KK_BIN_MAX, KK_BIN_MIN, KK_BIN_EQUAL, KK_BIN_LESS,
		KK_BIN_GREATER, KK_BIN_LESS_EQUAL, KK_BIN_GREATER_EQUAL};
	for (int rep = 0; rep < 30; rep++)
		for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
			check_float_op(KK_DT_F32, ops[k]);
			check_float_op(KK_DT_F64, ops[k]);
		}
}

static void test_binary_float_nan(void **state)
{
	float a[4] = {NAN, 1, NAN, -0.0f}, b[4] = {2, NAN, NAN, 0.0f}, y[4];
	int64_t dims[1] = {4}, st[1] = {1};
	kk_binary(NULL, KK_BIN_MAX, KK_DT_F32, a, b, y, 1, dims, st, st);
	assert_true(isnan(y[0]) && isnan(y[1]) && isnan(y[2]) && y[3] == 0);
	kk_binary(NULL, KK_BIN_MIN, KK_DT_F32, a, b, y, 1, dims, st, st);
	assert_true(isnan(y[0]) && isnan(y[1]) && isnan(y[2]) && y[3] == 0);
	uint8_t c[4];
	kk_binary(NULL, KK_BIN_EQUAL, KK_DT_F32, a, b, c, 1, dims, st, st);
	assert_true(c[0] == 0 && c[1] == 0 && c[2] == 0 && c[3] == 1);
	/* Python-style Mod keeps the divisor's sign; fmod the dividend's. */
	float m1[2] = {-7.5f, 7.5f}, m2[2] = {2.0f, -2.0f}, r[2];
	int64_t d2[1] = {2};
	kk_binary(NULL, KK_BIN_MOD, KK_DT_F32, m1, m2, r, 1, d2, st, st);
	assert_true(r[0] == 0.5f && r[1] == -0.5f);
	kk_binary(NULL, KK_BIN_FMOD, KK_DT_F32, m1, m2, r, 1, d2, st, st);
	assert_true(r[0] == -1.5f && r[1] == 1.5f);
}

/* Integer reference in 64-bit, then converted to the element type. */
static int64_t ref_sbin(int op, int64_t a, int64_t b, int bits)
{
	uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
	switch (op) {
	case KK_BIN_ADD: return (int64_t)(ua + ub);
	case KK_BIN_SUB: return (int64_t)(ua - ub);
	case KK_BIN_MUL: return (int64_t)(ua * ub);
	case KK_BIN_DIV:
		if (b == 0) return 0;
		if (b == -1) return (int64_t)(0 - ua);
		return a / b;
	case KK_BIN_MOD: {
		if (b == 0 || b == -1) return 0;
		int64_t q = a / b, r = a - q * b;
		if (r != 0 && ((r < 0) != (b < 0))) r += b;
		return r; }
	case KK_BIN_FMOD: return (b == 0 || b == -1) ? 0 : a % b;
	case KK_BIN_PRELU: return a < 0 ? (int64_t)(ua * ub) : a;
	case KK_BIN_MAX: return a > b ? a : b;
	case KK_BIN_MIN: return a < b ? a : b;
	case KK_BIN_EQUAL: return a == b;
	case KK_BIN_LESS: return a < b;
	case KK_BIN_GREATER: return a > b;
	case KK_BIN_LESS_EQUAL: return a <= b;
	case KK_BIN_GREATER_EQUAL: return a >= b;
	}
	(void)bits;
	return 0;
}

static uint64_t ref_ubin(int op, uint64_t a, uint64_t b, int bits)
{
	switch (op) {
	case KK_BIN_ADD: return a + b;
	case KK_BIN_SUB: return a - b;
	case KK_BIN_MUL: return a * b;
	case KK_BIN_DIV: return b ? a / b : 0;
	case KK_BIN_MOD: case KK_BIN_FMOD: return b ? a % b : 0;
	case KK_BIN_MAX: return a > b ? a : b;
	case KK_BIN_MIN: return a < b ? a : b;
	case KK_BIN_SHL: return b >= (uint64_t)bits ? 0 : a << b;
	case KK_BIN_SHR: return b >= (uint64_t)bits ? 0 : a >> b;
	case KK_BIN_EQUAL: return a == b;
	case KK_BIN_LESS: return a < b;
	case KK_BIN_GREATER: return a > b;
	case KK_BIN_LESS_EQUAL: return a <= b;
	case KK_BIN_GREATER_EQUAL: return a >= b;
	}
	return 0;
}

/* Random value with the limits, 0, +-1 mixed in. */
#define T_RAND_INT(T, MIN, MAX) ({ \
	int64_t k_ = t_randint(0, 9); \
	(T)(k_ == 0 ? (MIN) : k_ == 1 ? (MAX) : k_ == 2 ? 0 : k_ == 3 ? (T)-1 : k_ == 4 ? 1 : \
	    (T)t_rand64()); })

#define T_INT_BINARY(T, DT, MIN, MAX, REF, WT) do { \
	int ops[] = {KK_BIN_ADD, KK_BIN_SUB, KK_BIN_MUL, KK_BIN_DIV, KK_BIN_MOD, KK_BIN_FMOD, \
		KK_BIN_MAX, KK_BIN_MIN, KK_BIN_EQUAL, KK_BIN_LESS, KK_BIN_GREATER, \
		KK_BIN_LESS_EQUAL, KK_BIN_GREATER_EQUAL, KK_BIN_PRELU, KK_BIN_SHL, KK_BIN_SHR}; \
	static T a[MAXN], b[MAXN], y[MAXN]; \
	int is_signed = (T)-1 < (T)1; \
	for (int rep = 0; rep < 20; rep++) \
	for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) { \
		int op = ops[k]; \
		if (is_signed && (op == KK_BIN_SHL || op == KK_BIN_SHR)) continue; \
		if (!is_signed && op == KK_BIN_PRELU) continue; \
		t_bshape s; \
		do t_make_bshape(&s, 2, 4, 5); while (s.n > MAXN); \
		for (int64_t e = 0; e < s.count[0]; e++) a[e] = T_RAND_INT(T, MIN, MAX); \
		for (int64_t e = 0; e < s.count[1]; e++) \
			b[e] = (op == KK_BIN_SHL || op == KK_BIN_SHR) ? \
				(T)t_randint(0, 8 * sizeof(T) + 2) : T_RAND_INT(T, MIN, MAX); \
		kk_binary(NULL, op, DT, a, b, y, s.rank, s.dims, s.strides[0], s.strides[1]); \
		for (int64_t e = 0; e < s.n; e++) { \
			T av = a[t_boff(&s, 0, e)], bv = b[t_boff(&s, 1, e)]; \
			WT want = REF(op, (WT)av, (WT)bv, 8 * (int)sizeof(T)); \
			WT got = is_cmp(op) ? (WT)((uint8_t *)y)[e] : (WT)y[e]; \
			if (!is_cmp(op)) want = (WT)(T)want; \
			if (got != want) { \
				print_error("int op %d dt %d a %lld b %lld got %lld want %lld\n", op, DT, \
				            (long long)av, (long long)bv, (long long)got, (long long)want); \
				fail(); \
			} \
		} \
	} \
} while (0)

static void test_binary_int(void **state)
{
	T_INT_BINARY(int8_t, KK_DT_I8, INT8_MIN, INT8_MAX, ref_sbin, int64_t);
	T_INT_BINARY(int16_t, KK_DT_I16, INT16_MIN, INT16_MAX, ref_sbin, int64_t);
	T_INT_BINARY(int32_t, KK_DT_I32, INT32_MIN, INT32_MAX, ref_sbin, int64_t);
	T_INT_BINARY(int64_t, KK_DT_I64, INT64_MIN, INT64_MAX, ref_sbin, int64_t);
	T_INT_BINARY(uint8_t, KK_DT_U8, 0, UINT8_MAX, ref_ubin, uint64_t);
	T_INT_BINARY(uint16_t, KK_DT_U16, 0, UINT16_MAX, ref_ubin, uint64_t);
	T_INT_BINARY(uint32_t, KK_DT_U32, 0, UINT32_MAX, ref_ubin, uint64_t);
	T_INT_BINARY(uint64_t, KK_DT_U64, 0, UINT64_MAX, ref_ubin, uint64_t);
}

static void test_binary_bool(void **state)
{
	for (int rep = 0; rep < 50; rep++) {
		t_bshape s;
		do t_make_bshape(&s, 2, 4, 4); while (s.n > MAXN);
		uint8_t a[MAXN], b[MAXN], y[MAXN];
		for (int64_t e = 0; e < s.count[0]; e++) a[e] = (uint8_t)t_randint(0, 1);
		for (int64_t e = 0; e < s.count[1]; e++) b[e] = (uint8_t)t_randint(0, 1);
		int ops[4] = {KK_BIN_AND, KK_BIN_OR, KK_BIN_XOR, KK_BIN_EQUAL};
		for (int k = 0; k < 4; k++) {
			kk_binary(NULL, ops[k], KK_DT_BOOL, a, b, y, s.rank, s.dims, s.strides[0],
			          s.strides[1]);
			for (int64_t e = 0; e < s.n; e++) {
				int u = a[t_boff(&s, 0, e)], v = b[t_boff(&s, 1, e)];
				int w = k == 0 ? (u && v) : k == 1 ? (u || v) : k == 2 ? (u != v) : (u == v);
				assert_int_equal(y[e], w);
			}
		}
	}
}

static void test_pow_mixed(void **state)
{
	int64_t dims[1] = {6}, st[1] = {1}, st0[1] = {0};
	float bf[6] = {2, 3, 0.5f, -2, 10, 1.5f};
	int32_t ei[6] = {3, -1, 2, 3, 0, 2};
	float yf[6];
	kk_pow(NULL, KK_DT_F32, KK_DT_I32, bf, ei, yf, 1, dims, st, st);
	for (int i = 0; i < 6; i++) T_CHECK_CLOSE(yf[i], pow(bf[i], ei[i]), 1e-6, 0, "f32^i32 %d", i);
	int64_t bi[6] = {2, 3, 4, -2, 7, 1};
	float ef[1] = {2.0f};
	int64_t yi[6];
	kk_pow(NULL, KK_DT_I64, KK_DT_F32, bi, ef, yi, 1, dims, st, st0);
	for (int i = 0; i < 6; i++) assert_int_equal(yi[i], bi[i] * bi[i]);
	double bd[6] = {1.1, 2.2, 3.3, 4.4, 5.5, 6.6}, yd[6];
	uint64_t eu[6] = {0, 1, 2, 3, 4, 5};
	kk_pow(NULL, KK_DT_F64, KK_DT_U64, bd, eu, yd, 1, dims, st, st);
	for (int i = 0; i < 6; i++) T_CHECK_CLOSE(yd[i], pow(bd[i], (double)eu[i]), 1e-14, 0, "f64^u64");
	/* Same-dtype Pow through kk_binary, integer. */
	int32_t pa[6] = {2, -3, 5, 0, 1, 10}, pb[6] = {10, 3, 0, 4, 9, 2}, py[6];
	kk_binary(NULL, KK_BIN_POW, KK_DT_I32, pa, pb, py, 1, dims, st, st);
	int32_t want[6] = {1024, -27, 1, 0, 1, 100};
	assert_memory_equal(py, want, sizeof want);
}

static void test_where(void **state)
{
	for (int rep = 0; rep < 100; rep++) {
		t_bshape s;
		do t_make_bshape(&s, 3, 4, 5); while (s.n > MAXN);
		uint8_t c[MAXN];
		int64_t x[MAXN], y[MAXN], o[MAXN];
		int16_t xh[MAXN], yh[MAXN], oh[MAXN];
		for (int64_t e = 0; e < s.count[0]; e++) c[e] = (uint8_t)t_randint(0, 1);
		for (int64_t e = 0; e < s.count[1]; e++) { x[e] = (int64_t)t_rand64(); xh[e] = (int16_t)x[e]; }
		for (int64_t e = 0; e < s.count[2]; e++) { y[e] = (int64_t)t_rand64(); yh[e] = (int16_t)y[e]; }
		kk_where(NULL, KK_DT_I64, c, x, y, o, s.rank, s.dims, s.strides[0], s.strides[1],
		         s.strides[2]);
		kk_where(NULL, KK_DT_I16, c, xh, yh, oh, s.rank, s.dims, s.strides[0], s.strides[1],
		         s.strides[2]);
		for (int64_t e = 0; e < s.n; e++) {
			int64_t want = c[t_boff(&s, 0, e)] ? x[t_boff(&s, 1, e)] : y[t_boff(&s, 2, e)];
			assert_true(o[e] == want);
			assert_true(oh[e] == (int16_t)want);
		}
	}
}

/* Large contiguous and scalar-broadcast cases exercise the fast inner paths. */
static void test_binary_inner_paths(void **state)
{
	enum { R = 3, C = 257 };
	static float a[R * C], b[R * C], y[R * C];
	for (int i = 0; i < R * C; i++) { a[i] = (float)t_unif(-1, 1); b[i] = (float)t_unif(-1, 1); }
	int64_t dims[2] = {R, C};
	int64_t full[2] = {C, 1}, row[2] = {0, 1}, col[2] = {1, 0}, scal[2] = {0, 0};
	const int64_t *sa[4] = {full, full, scal, col}, *sb[4] = {full, scal, full, row};
	for (int k = 0; k < 4; k++) {
		kk_binary(NULL, KK_BIN_SUB, KK_DT_F32, a, b, y, 2, dims, sa[k], sb[k]);
		for (int i = 0; i < R; i++)
			for (int j = 0; j < C; j++) {
				float want = a[i * sa[k][0] + j * sa[k][1]] - b[i * sb[k][0] + j * sb[k][1]];
				assert_true(y[i * C + j] == want);
			}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_binary_float),
		cmocka_unit_test(test_binary_float_nan),
		cmocka_unit_test(test_binary_int),
		cmocka_unit_test(test_binary_bool),
		cmocka_unit_test(test_pow_mixed),
		cmocka_unit_test(test_where),
		cmocka_unit_test(test_binary_inner_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
