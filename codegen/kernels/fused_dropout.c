/* fused_dropout.c — activation + training-mode Dropout in one pass over the
 * data: y = act(x) * mask / (1-p). The mask comes from Philox-4x32-10 (Salmon
 * et al., SC'11) keyed exactly as kk_dropout, so fusing never changes a
 * result. Random words are made 16 blocks (64 elements) at a time, structure
 * of arrays, so the rounds vectorise across blocks. */
#include <math.h>

#include "kk_fused.h"
#include "kk_philox8.h"

#define GROUP 16   /* Philox blocks per chunk (kk__philox_words64); 4 elements each */

#define ACT_DROPOUT(T, NAME, EXP, TANH) \
/* v[0..m) = act(x[0..m)), the switch outside the loops so each vectorises */ \
static inline void act_##NAME(int32_t act, const T *restrict x, T *restrict v, int64_t m, \
			      T alpha) \
{ \
	switch (act) { \
	case KK_ACT_RELU: \
		for (int64_t j = 0; j < m; j++) \
			v[j] = x[j] < (T)0 ? (T)0 : x[j]; /* NaN propagates */ \
		break; \
	case KK_ACT_LEAKY_RELU: \
		for (int64_t j = 0; j < m; j++) \
			v[j] = x[j] < (T)0 ? alpha * x[j] : x[j]; \
		break; \
	case KK_ACT_SIGMOID: \
		for (int64_t j = 0; j < m; j++) \
			v[j] = (T)1 / ((T)1 + EXP(-x[j])); \
		break; \
	case KK_ACT_TANH: \
		for (int64_t j = 0; j < m; j++) \
			v[j] = TANH(x[j]); \
		break; \
	default: \
		for (int64_t j = 0; j < m; j++) \
			v[j] = x[j]; \
	} \
} \
static void act_dropout_##NAME(int32_t act, T alpha, const T *x, T *y, uint8_t *mask, \
			       int64_t n, uint32_t thr, T scale, uint64_t seed, \
			       uint32_t node, uint32_t sample) \
{ \
	for (int64_t i0 = 0; i0 < n; i0 += 4 * GROUP) { \
		uint32_t u[4 * GROUP]; \
		T v[4 * GROUP]; \
		kk__philox_words64(seed, node, sample, (uint64_t)i0 >> 2, u); \
		int64_t m = n - i0 < 4 * GROUP ? n - i0 : 4 * GROUP; \
		act_##NAME(act, x + i0, v, m, alpha); \
		/* scale or 0 times v (NaN stays NaN): no branch on a random bit */ \
		for (int64_t j = 0; j < m; j++) \
			y[i0 + j] = v[j] * (u[j] >= thr ? scale : (T)0); \
		if (mask) \
			for (int64_t j = 0; j < m; j++) \
				mask[i0 + j] = (uint8_t)(u[j] >= thr); \
	} \
}
ACT_DROPOUT(float, f32, expf, tanhf)
ACT_DROPOUT(double, f64, exp, tanh)

int32_t kk_act_dropout(kiln_rt_ctx *ctx, int32_t act, float alpha, int32_t dtype,
		       const void *x, void *y, uint8_t *mask, int64_t n, float ratio,
		       uint64_t seed, uint32_t node_id, uint32_t sample)
{
	(void)ctx;
	if (!(ratio >= 0.0f && ratio < 1.0f))
		return KILN_RUN_VALUE;
	uint32_t thr = (uint32_t)((double)ratio * 4294967296.0);
	if (dtype == 1)
		act_dropout_f32(act, alpha, x, y, mask, n, thr, 1.0f / (1.0f - ratio), seed,
				node_id, sample);
	else
		act_dropout_f64(act, (double)alpha, x, y, mask, n, thr,
				1.0 / (1.0 - (double)ratio), seed, node_id, sample);
	return KILN_RUN_OK;
}
