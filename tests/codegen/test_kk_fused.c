/* test_kk_fused.c — kk_act_dropout must equal kk_unary followed by kk_dropout
 * bit for bit (same mask, same scaled values) for every activation, both
 * float types, sizes that end mid-block and mid-chunk, and several seeds;
 * and it must actually drop (a broken mask would also be "equal" if both
 * paths were wrong in the same way, so the drop rate is checked too). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kk_fused.h"
#include "kk_math.h"

static const int unary_of[] = {KK_UNARY_IDENTITY, KK_UNARY_RELU, KK_UNARY_LEAKY_RELU,
			       KK_UNARY_SIGMOID, KK_UNARY_TANH};

static void check_one(int act, int dtype, int64_t n, float ratio, uint64_t seed)
{
	size_t es = dtype == KK_DT_F32 ? 4 : 8;
	unsigned char *x = malloc(n * es), *t = malloc(n * es), *y1 = malloc(n * es),
		      *y2 = malloc(n * es);
	uint8_t *m1 = malloc(n), *m2 = malloc(n);
	for (int64_t i = 0; i < n; i++) {
		double v = sin((double)i * 0.37 + (double)seed) * 3.0;
		if (dtype == KK_DT_F32)
			((float *)x)[i] = (float)v;
		else
			((double *)x)[i] = v;
	}
	kk_unary(NULL, unary_of[act], dtype, x, t, n, 0.1f, 0.0f);
	assert_int_equal(kk_dropout(NULL, dtype, t, y1, m1, n, ratio, seed, 7, 3), 0);
	assert_int_equal(kk_act_dropout(NULL, act, 0.1f, dtype, x, y2, m2, n, ratio, seed, 7, 3), 0);
	assert_memory_equal(m1, m2, n);
	assert_memory_equal(y1, y2, n * es);
	int64_t dropped = 0;
	for (int64_t i = 0; i < n; i++)
		dropped += !m2[i];
	if (n >= 10000) {   /* 5 sigma of a binomial(n, ratio) */
		double sd = sqrt(n * ratio * (1 - ratio));
		assert_true(fabs(dropped - n * ratio) < 5 * sd);
	}
	free(x); free(t); free(y1); free(y2); free(m1); free(m2);
}

static void fused_equals_unfused(void **state)
{
	(void)state;
	static const int64_t sizes[] = {1, 3, 5, 63, 64, 65, 127, 1000, 20011};
	for (int act = KK_ACT_NONE; act <= KK_ACT_TANH; act++)
		for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
			for (uint64_t seed = 0; seed < 3; seed++) {
				check_one(act, KK_DT_F32, sizes[s], 0.3f, seed * 0x9e3779b97f4a7c15ULL);
				check_one(act, KK_DT_F64, sizes[s], 0.5f, seed + 11);
			}
}

static void fused_rejects_bad_ratio(void **state)
{
	(void)state;
	float x[4] = {1, 2, 3, 4}, y[4];
	assert_int_equal(kk_act_dropout(NULL, KK_ACT_RELU, 0, KK_DT_F32, x, y, NULL, 4, 1.5f, 0, 0, 0),
			 KILN_RUN_VALUE);
	assert_int_equal(kk_act_dropout(NULL, KK_ACT_RELU, 0, KK_DT_F32, x, y, NULL, 4, -0.1f, 0, 0, 0),
			 KILN_RUN_VALUE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fused_equals_unfused),
		cmocka_unit_test(fused_rejects_bad_ratio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
