/* test_kk_ext_a.c — "ops wave A" kernels (codegen/kernels/ext_a.c) against
 * independent references: losses by direct [n][c][d] indexing and by the
 * log-softmax identities, Trilu masks, CumSum differences, Shrink, EyeLike,
 * OneHot, MVN statistics of the output and TopK against qsort. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "kk_ext_a.h"
#include "kk_math.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;

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

/* cmocka's assert_float_equal casts to float without parenthesising its
 * arguments; compare in double instead. */
#define near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

static float frand(void)
{
	return (float)((next() >> 11) * (1.0 / 9007199254740992.0) * 8.0 - 4.0);
}

/* NLL: every reduction, with and without weights and ignore_index. */
static void test_nll(void **state)
{
	(void)state;
	enum { N = 3, C = 5, D = 4 };
	float x[N][C][D], w[C], none[N][D], red;
	int64_t t[N][D];
	for (int it = 0; it < 40; it++) {
		int64_t ii = it % 3 == 0 ? -1 : irand(0, C - 1);
		int use_w = it % 2;
		for (int c = 0; c < C; c++)
			w[c] = (float)irand(1, 4) / 2.0f;
		for (int n = 0; n < N; n++)
			for (int d = 0; d < D; d++) {
				t[n][d] = irand(0, C - 1);
				for (int c = 0; c < C; c++)
					x[n][c][d] = frand();
			}
		double ls = 0, ws = 0;
		assert_int_equal(kk_nll_loss(NULL, KK_DT_F32, x, t, KK_DT_I64, use_w ? w : NULL,
					     none, N, C, D, ii, KK_LOSS_NONE), KILN_RUN_OK);
		for (int n = 0; n < N; n++)
			for (int d = 0; d < D; d++) {
				int64_t c = t[n][d];
				double wt = c == ii ? 0 : use_w ? w[c] : 1;
				double want = c == ii ? 0 : -x[n][c][d] * wt;
				near(none[n][d], want, 1e-6);
				ls += want;
				ws += wt;
			}
		kk_nll_loss(NULL, KK_DT_F32, x, t, KK_DT_I64, use_w ? w : NULL, &red, N, C, D,
			    ii, KK_LOSS_SUM);
		near(red, ls, 1e-4);
		kk_nll_loss(NULL, KK_DT_F32, x, t, KK_DT_I64, use_w ? w : NULL, &red, N, C, D,
			    ii, KK_LOSS_MEAN);
		near(red, ls / ws, 1e-4);
	}
	t[1][2] = C; /* out of range, not ignored */
	assert_int_equal(kk_nll_loss(NULL, KK_DT_F32, x, t, KK_DT_I64, NULL, &red, N, C, D,
				     -100, KK_LOSS_SUM), KILN_RUN_INDEX);
}

/* SCE: log_prob rows are normalised and shift-equivalent to x; the loss is
 * the NLL of log_prob, and the same without a log_prob buffer. */
static void test_sce(void **state)
{
	(void)state;
	enum { N = 2, C = 6, D = 3 };
	double x[N * C * D], lp[N * C * D], w[C], l1[N * D], l2[N * D], l3[N * D];
	int32_t t[N * D];
	for (int it = 0; it < 20; it++) {
		for (int i = 0; i < N * C * D; i++)
			x[i] = frand() * 10;
		for (int c = 0; c < C; c++)
			w[c] = 0.5 + c;
		for (int i = 0; i < N * D; i++)
			t[i] = (int32_t)irand(0, C - 1);
		int64_t ii = t[it % (N * D)];
		assert_int_equal(kk_sce_loss(NULL, KK_DT_F64, x, t, KK_DT_I32, w, l1, lp, N, C,
					     D, ii, KK_LOSS_NONE), KILN_RUN_OK);
		kk_sce_loss(NULL, KK_DT_F64, x, t, KK_DT_I32, w, l2, NULL, N, C, D, ii,
			    KK_LOSS_NONE);
		kk_nll_loss(NULL, KK_DT_F64, lp, t, KK_DT_I32, w, l3, N, C, D, ii, KK_LOSS_NONE);
		for (int n = 0; n < N; n++)
			for (int d = 0; d < D; d++) {
				double s = 0;
				for (int c = 0; c < C; c++) {
					int64_t e = (n * C + c) * D + d, e0 = n * C * D + d;
					s += exp(lp[e]);
					near(lp[e] - lp[e0], x[e] - x[e0], 1e-9);
				}
				near(s, 1.0, 1e-9);
				near(l1[n * D + d], l3[n * D + d], 1e-12);
				near(l2[n * D + d], l3[n * D + d], 1e-9);
				if (t[n * D + d] == ii)
					assert_true(l1[n * D + d] == 0);
			}
	}
}

static void test_trilu(void **state)
{
	(void)state;
	enum { B = 2, R = 4, K = 5 };
	int16_t x[B][R][K], y[B][R][K];
	for (int64_t k = -6; k <= 6; k++)
		for (int upper = 0; upper < 2; upper++) {
			for (int i = 0; i < B * R * K; i++)
				(&x[0][0][0])[i] = (int16_t)irand(1, 1000);
			kk_trilu(NULL, 2, x, y, B, R, K, &k, KK_DT_I64, upper);
			for (int b = 0; b < B; b++)
				for (int i = 0; i < R; i++)
					for (int j = 0; j < K; j++) {
						int keep = upper ? j >= i + k : j <= i + k;
						assert_int_equal(y[b][i][j], keep ? x[b][i][j] : 0);
					}
			kk_trilu(NULL, 2, x, x, B, R, K, &k, KK_DT_I64, upper); /* in place */
			assert_memory_equal(x, y, sizeof x);
		}
}

static void test_cumsum(void **state)
{
	(void)state;
	int64_t dims[3] = {3, 4, 5};
	double x[60], y[60];
	int32_t yi[60], xi[60];
	for (int i = 0; i < 60; i++) {
		x[i] = frand();
		xi[i] = (int32_t)irand(-50, 50);
	}
	for (int64_t axis = -3; axis < 3; axis++)
		for (int mode = 0; mode < 4; mode++) {
			int ex = mode & 1, rev = mode >> 1, a = (int)(axis < 0 ? axis + 3 : axis);
			assert_int_equal(kk_cumsum(NULL, KK_DT_F64, x, y, 3, dims, &axis,
						   KK_DT_I64, ex, rev), KILN_RUN_OK);
			int32_t ax32 = (int32_t)axis;
			kk_cumsum(NULL, KK_DT_I32, xi, yi, 3, dims, &ax32, KK_DT_I32, ex, rev);
			int64_t st = a == 0 ? 20 : a == 1 ? 5 : 1;
			for (int e = 0; e < 60; e++) {
				int64_t j = e / st % dims[a];
				int64_t jp = rev ? j + 1 : j - 1; /* previous in scan order */
				int first = rev ? j == dims[a] - 1 : j == 0;
				double prevy = first ? 0 : y[e + (jp - j) * st];
				double prevx = first ? 0 : x[e + (jp - j) * st];
				double want = prevy + (ex ? prevx : x[e]);
				near(y[e], want, 1e-12);
				int32_t pyi = first ? 0 : yi[e + (jp - j) * st];
				int32_t pxi = first ? 0 : xi[e + (jp - j) * st];
				assert_int_equal(yi[e], pyi + (ex ? pxi : xi[e]));
			}
		}
	int64_t bad = 3;
	assert_int_equal(kk_cumsum(NULL, KK_DT_F64, x, y, 3, dims, &bad, KK_DT_I64, 0, 0),
			 KILN_RUN_VALUE);
}

static void test_shrink_eye_onehot(void **state)
{
	(void)state;
	float x[7] = {-3, -1.5f, -1, 0, 1, 1.5f, 3}, y[7];
	kk_shrink(NULL, KK_DT_F32, x, y, 7, 1.5f, 0.5f);
	for (int i = 0; i < 7; i++)
		near(y[i], fabsf(x[i]) > 1.5f ? x[i] - copysignf(0.5f, x[i]) : 0,
				   0);
	int32_t eye[4][6];
	for (int64_t k = -5; k <= 7; k++) {
		kk_eyelike(NULL, KK_DT_I32, eye, 4, 6, k);
		for (int i = 0; i < 4; i++)
			for (int j = 0; j < 6; j++)
				assert_int_equal(eye[i][j], j == i + k);
	}
	/* indices [2, 3], axis 1, depth 4 -> y [2, 4, 3]. */
	int64_t idx[2][3] = {{0, 3, -1}, {-4, 4, 2}};
	double vals[2] = {-2, 7}, oh[2][4][3];
	kk_onehot(NULL, KK_DT_I64, idx, 8, vals, oh, 2, 4, 3);
	for (int o = 0; o < 2; o++)
		for (int d = 0; d < 4; d++)
			for (int i = 0; i < 3; i++) {
				int64_t v = idx[o][i] < 0 ? idx[o][i] + 4 : idx[o][i];
				assert_true(oh[o][d][i] == (d == v ? 7 : -2));
			}
}

static void test_mvn(void **state)
{
	(void)state;
	int64_t dims[4] = {2, 3, 4, 5};
	int32_t mask[4] = {1, 0, 1, 1};
	float x[120], y[120];
	for (int i = 0; i < 120; i++)
		x[i] = frand() * 3 + (float)(i / 20 % 3); /* per-channel offset */
	kk_mvn(NULL, KK_DT_F32, x, y, 4, dims, mask);
	for (int c = 0; c < 3; c++) {
		double s = 0, s2 = 0;
		for (int n = 0; n < 2; n++)
			for (int k = 0; k < 20; k++) {
				double v = y[(n * 3 + c) * 20 + k];
				s += v;
				s2 += v * v;
			}
		near(s / 40, 0, 1e-5);
		near(s2 / 40, 1, 1e-4);
	}
	/* monotone per group: order preserved */
	assert_true((x[0] < x[1]) == (y[0] < y[1]));
}

typedef struct { float v; int64_t i; } pair;

static int by_desc(const void *a, const void *b)
{
	const pair *p = a, *q = b;
	if (p->v != q->v)
		return p->v > q->v ? -1 : 1;
	return p->i < q->i ? -1 : 1;
}

static void test_topk(void **state)
{
	(void)state;
	enum { O = 3, L = 9, I = 2 };
	float x[O * L * I], v[O * L * I];
	int64_t ix[O * L * I];
	pair p[L];
	for (int it = 0; it < 50; it++) {
		for (int e = 0; e < O * L * I; e++)
			x[e] = (float)irand(-4, 4); /* many ties */
		int64_t k = irand(0, L);
		int largest = it % 2;
		assert_int_equal(kk_topk(NULL, KK_DT_F32, x, v, ix, O, L, I, k, largest),
				 KILN_RUN_OK);
		for (int o = 0; o < O; o++)
			for (int in = 0; in < I; in++) {
				for (int j = 0; j < L; j++) {
					p[j].v = x[(o * L + j) * I + in] * (largest ? 1 : -1);
					p[j].i = j;
				}
				qsort(p, L, sizeof *p, by_desc);
				for (int r = 0; r < k; r++) {
					int64_t e = (o * k + r) * I + in;
					assert_int_equal(ix[e], p[r].i);
					assert_true(v[e] == x[(o * L + p[r].i) * I + in]);
				}
			}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nll), cmocka_unit_test(test_sce),
		cmocka_unit_test(test_trilu), cmocka_unit_test(test_cumsum),
		cmocka_unit_test(test_shrink_eye_onehot), cmocka_unit_test(test_mvn),
		cmocka_unit_test(test_topk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
