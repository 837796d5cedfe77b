/* test_kk_math_dropout.c — Philox-4x32-10 known-answer vectors (Random123
 * kat_vectors) and the Dropout kernels: drop-rate statistics, exact scaling,
 * mask/output agreement, determinism, independence across seed / node id /
 * sample, tiling invariance, the keying contract, and run-time ratio and
 * training_mode handling. */
#include <stdlib.h>
#include <string.h>
#include "test_kk_math_util.h"

static void test_philox_kat(void **state)
{
	static const uint32_t ctr[3][4] = {{0, 0, 0, 0},
		{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
		{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
	static const uint32_t key[3][2] = {{0, 0}, {0xffffffffu, 0xffffffffu},
		{0xa4093822u, 0x299f31d0u}};
	static const uint32_t want[3][4] = {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u},
		{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu},
		{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}};
	for (int k = 0; k < 3; k++) {
		uint32_t out[4];
		kk_philox4x32_10(ctr[k], key[k], out);
		for (int i = 0; i < 4; i++) assert_int_equal(out[i], want[k][i]);
	}
}

#define N 262147   /* > 200,000 and not a multiple of 4 */
static float x[N], y[N], y2[N];
static uint8_t m[N], m2[N];

static void fill_x(void)
{
	for (int64_t i = 0; i < N; i++) {
		x[i] = (float)t_unif(0.5, 2);
		if (t_randint(0, 1)) x[i] = -x[i];
	}
}

static void test_dropout_stats(void **state)
{
	static const float ps[4] = {0.1f, 0.3f, 0.5f, 0.9f};
	fill_x();
	for (int k = 0; k < 4; k++) {
		float p = ps[k];
		assert_int_equal(kk_dropout(NULL, KK_DT_F32, x, y, m, N, p, 42 + k, 7, 0), KILN_RUN_OK);
		int64_t dropped = 0;
		float scale = 1.0f / (1.0f - p);
		for (int64_t i = 0; i < N; i++) {
			if (!m[i]) { dropped++; assert_true(y[i] == 0.0f); continue; }
			assert_int_equal(m[i], 1);
			assert_true(y[i] == x[i] * scale);               /* exact, in f32 */
			double rel = fabs((double)y[i] - (double)x[i] / (1.0 - p)) / fabs(x[i] / (1.0 - p));
			assert_true(rel < 3e-7);
		}
		double sigma = sqrt((double)N * p * (1 - p));
		double dev = fabs((double)dropped - (double)N * p);
		if (dev > 5 * sigma) {
			print_error("p %g: dropped %lld of %d (%.1f sigma)\n", p, (long long)dropped, N,
			            dev / sigma);
			fail();
		}
	}
}

/* Pearson correlation of two 0/1 masks. */
static double mask_corr(const uint8_t *a, const uint8_t *b, int64_t n)
{
	double sa = 0, sb = 0, sab = 0;
	for (int64_t i = 0; i < n; i++) { sa += a[i]; sb += b[i]; sab += a[i] * b[i]; }
	double ma = sa / n, mb = sb / n;
	double cov = sab / n - ma * mb;
	return cov / sqrt(ma * (1 - ma) * mb * (1 - mb));
}

static void test_dropout_determinism_independence(void **state)
{
	fill_x();
	float p = 0.5f;
	kk_dropout(NULL, KK_DT_F32, x, y, m, N, p, 1234, 3, 5);
	kk_dropout(NULL, KK_DT_F32, x, y2, m2, N, p, 1234, 3, 5);
	assert_memory_equal(y, y2, sizeof y);
	assert_memory_equal(m, m2, sizeof m);
	struct { uint64_t seed; uint32_t node, sample; } v[4] = {
		{1235, 3, 5}, {1234, 4, 5}, {1234, 3, 6}, {1234ull | (1ull << 40), 3, 5}};
	for (int k = 0; k < 4; k++) {
		kk_dropout(NULL, KK_DT_F32, x, y2, m2, N, p, v[k].seed, v[k].node, v[k].sample);
		double c = mask_corr(m, m2, N);
		if (fabs(c) >= 0.02) { print_error("variant %d corr %g\n", k, c); fail(); }
		assert_true(memcmp(m, m2, N) != 0);
	}
	/* Neighbouring elements inside one Philox block are not correlated either. */
	assert_true(fabs(mask_corr(m, m + 1, N - 1)) < 0.02);
}

static void test_dropout_tiling(void **state)
{
	fill_x();
	float p = 0.3f;
	kk_dropout(NULL, KK_DT_F32, x, y, m, N, p, 99, 11, 2);
	for (int rep = 0; rep < 20; rep++) {
		memset(y2, 0xff, sizeof y2);
		memset(m2, 0xff, sizeof m2);
		int64_t b = 0;
		while (b < N) {
			int64_t e = b + t_randint(0, rep < 10 ? 9 : 40000);
			if (e > N) e = N;
			assert_int_equal(kk_dropout_range(NULL, KK_DT_F32, x, y2, m2, p, 99, 11, 2, b, e),
			                 KILN_RUN_OK);
			b = e;
		}
		assert_memory_equal(y, y2, sizeof y);
		assert_memory_equal(m, m2, sizeof m);
	}
	/* Reverse order of chunks: still identical (no hidden state). */
	memset(m2, 0xff, sizeof m2);
	for (int64_t b = N; b > 0; b -= 1001)
		kk_dropout_range(NULL, KK_DT_F32, x, y2, m2, p, 99, 11, 2, b > 1001 ? b - 1001 : 0, b);
	assert_memory_equal(m, m2, sizeof m);
}

/* The documented keying: element i kept iff word i%4 of Philox(ctr = {i/4 lo,
 * i/4 hi, node, sample}, key = {seed lo, seed hi}) >= floor(p * 2^32). */
static void test_dropout_keying(void **state)
{
	fill_x();
	uint64_t seed = 0x0123456789abcdefull;
	float p = 0.25f;
	kk_dropout(NULL, KK_DT_F32, x, y, m, 4099, p, seed, 77, 3);
	uint32_t thr = (uint32_t)(0.25 * 4294967296.0);
	for (int64_t i = 0; i < 4099; i++) {
		uint32_t ctr[4] = {(uint32_t)(i / 4), 0, 77, 3}, key[2] = {0x89abcdefu, 0x01234567u};
		uint32_t u[4];
		kk_philox4x32_10(ctr, key, u);
		assert_int_equal(m[i], u[i % 4] >= thr);
	}
}

static void test_dropout_edges(void **state)
{
	fill_x();
	/* ratio 0 keeps everything unscaled */
	kk_dropout(NULL, KK_DT_F32, x, y, m, 1000, 0.0f, 5, 1, 0);
	assert_memory_equal(x, y, 1000 * sizeof(float));
	for (int i = 0; i < 1000; i++) assert_int_equal(m[i], 1);
	/* out-of-range ratios are rejected and write nothing */
	float bad[3] = {1.0f, -0.1f, NAN};
	for (int k = 0; k < 3; k++) {
		memset(y2, 0, 64 * sizeof(float));
		assert_int_equal(kk_dropout(NULL, KK_DT_F32, x, y2, NULL, 64, bad[k], 5, 1, 0),
		                 KILN_RUN_VALUE);
		for (int i = 0; i < 64; i++) assert_true(y2[i] == 0.0f);
	}
	/* f64, in place, no mask */
	static double xd[5000], yd[5000];
	for (int i = 0; i < 5000; i++) xd[i] = yd[i] = t_unif(1, 2);
	kk_dropout(NULL, KK_DT_F32, x, y, m, 5000, 0.4f, 8, 2, 1);
	assert_int_equal(kk_dropout(NULL, KK_DT_F64, yd, yd, NULL, 5000, 0.4f, 8, 2, 1), KILN_RUN_OK);
	for (int i = 0; i < 5000; i++) {
		if (m[i]) assert_true(yd[i] == xd[i] * (1.0 / (1.0 - (double)0.4f)));
		else assert_true(yd[i] == 0.0);
	}
}

static void test_dropout_rt(void **state)
{
	fill_x();
	uint8_t t_on = 1, t_off = 0;
	float r32 = 0.3f;
	double r64 = 0.3;
	/* training off or absent: copy, mask all true */
	memset(m2, 0, 512);
	assert_int_equal(kk_dropout_rt(NULL, KK_DT_F32, x, y2, m2, 512, &r32, KK_DT_F32, &t_off,
	                               0.5f, 1, 2, 0), KILN_RUN_OK);
	assert_memory_equal(x, y2, 512 * sizeof(float));
	for (int i = 0; i < 512; i++) assert_int_equal(m2[i], 1);
	assert_int_equal(kk_dropout_rt(NULL, KK_DT_F32, x, y2, NULL, 512, NULL, 0, NULL,
	                               0.5f, 1, 2, 0), KILN_RUN_OK);
	assert_memory_equal(x, y2, 512 * sizeof(float));
	/* training on: same as kk_dropout with the ratio read from memory */
	kk_dropout(NULL, KK_DT_F32, x, y, m, 512, 0.3f, 1, 2, 0);
	assert_int_equal(kk_dropout_rt(NULL, KK_DT_F32, x, y2, m2, 512, &r64, KK_DT_F64, &t_on,
	                               0.5f, 1, 2, 0), KILN_RUN_OK);
	assert_memory_equal(m, m2, 512);
	assert_memory_equal(y, y2, 512 * sizeof(float));
	/* default ratio when the input is absent */
	kk_dropout(NULL, KK_DT_F32, x, y, m, 512, 0.5f, 1, 2, 0);
	kk_dropout_rt(NULL, KK_DT_F32, x, y2, m2, 512, NULL, 0, &t_on, 0.5f, 1, 2, 0);
	assert_memory_equal(m, m2, 512);
	/* invalid run-time ratio while training */
	float r_bad = 1.5f;
	assert_int_equal(kk_dropout_rt(NULL, KK_DT_F32, x, y2, m2, 512, &r_bad, KK_DT_F32, &t_on,
	                               0.5f, 1, 2, 0), KILN_RUN_VALUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_philox_kat),
		cmocka_unit_test(test_dropout_stats),
		cmocka_unit_test(test_dropout_determinism_independence),
		cmocka_unit_test(test_dropout_tiling),
		cmocka_unit_test(test_dropout_keying),
		cmocka_unit_test(test_dropout_edges),
		cmocka_unit_test(test_dropout_rt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
