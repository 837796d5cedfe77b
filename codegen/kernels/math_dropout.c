/* math_dropout.c — training-mode Dropout driven by the counter-based
 * Philox-4x32-10 generator (Salmon, Moraes, Dror, Shaw, "Parallel Random
 * Numbers: As Easy as 1, 2, 3", SC'11). The keep bit of element i depends only
 * on (seed, node id, sample, i), so any tiling or thread split is identical. */
#include "math_internal.h"
#include "kk_philox8.h"

static inline void philox_round(uint32_t c[4], uint32_t k0, uint32_t k1)
{
	uint64_t p0 = (uint64_t)KK_PHILOX_M0 * c[0], p1 = (uint64_t)KK_PHILOX_M1 * c[2];
	uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
	uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
	c[0] = hi1 ^ c[1] ^ k0;
	c[1] = lo1;
	c[2] = hi0 ^ c[3] ^ k1;
	c[3] = lo0;
}

void kk_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
	uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]}, k0 = key[0], k1 = key[1];
	philox_round(c, k0, k1);
	for (int r = 1; r < 10; r++) {
		k0 += KK_PHILOX_W0;
		k1 += KK_PHILOX_W1;
		philox_round(c, k0, k1);
	}
	for (int i = 0; i < 4; i++) out[i] = c[i];
}

/* The four uniform words of block b (elements 4b .. 4b+3). */
static inline void dropout_block(uint64_t seed, uint32_t node, uint32_t sample, uint64_t b,
                                 uint32_t u[4])
{
	uint32_t ctr[4] = {(uint32_t)b, (uint32_t)(b >> 32), node, sample};
	uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
	kk_philox4x32_10(ctr, key, u);
}

/* Blocks per group of the main loop (kk__philox_words64 makes 16). */
#define KK_DROP_GROUP 16

/* Body for one element type T: head elements up to a block boundary, groups
 * of whole blocks, whole blocks, then the tail. */
#define KK_DROPOUT(T, NAME) \
static void dropout_##NAME(const T *x, T *y, uint8_t *mask, uint32_t thr, T scale, \
                           uint64_t seed, uint32_t node, uint32_t sample, int64_t i, \
                           int64_t end) \
{ \
	uint32_t u[4]; \
	for (; i < end && (i & 3); i++) { \
		dropout_block(seed, node, sample, (uint64_t)i >> 2, u); \
		int keep = u[i & 3] >= thr; \
		y[i] = x[i] * (keep ? scale : (T)0); \
		if (mask) mask[i] = (uint8_t)keep; \
	} \
	for (; i + 4 * KK_DROP_GROUP <= end; i += 4 * KK_DROP_GROUP) { \
		uint32_t w[4 * KK_DROP_GROUP]; \
		kk__philox_words64(seed, node, sample, (uint64_t)i >> 2, w); \
		/* multiply by scale or 0 (as x * mask / (1-p) does, NaN stays NaN): \
		 * no branch on a random bit, no masked loads; vectorises */ \
		for (int e = 0; e < 4 * KK_DROP_GROUP; e++) \
			y[i + e] = x[i + e] * (w[e] >= thr ? scale : (T)0); \
		if (mask) \
			for (int e = 0; e < 4 * KK_DROP_GROUP; e++) \
				mask[i + e] = (uint8_t)(w[e] >= thr); \
	} \
	for (; i + 4 <= end; i += 4) { \
		dropout_block(seed, node, sample, (uint64_t)i >> 2, u); \
		for (int k = 0; k < 4; k++) { \
			int keep = u[k] >= thr; \
			y[i + k] = x[i + k] * (keep ? scale : (T)0); \
			if (mask) mask[i + k] = (uint8_t)keep; \
		} \
	} \
	for (; i < end; i++) { \
		dropout_block(seed, node, sample, (uint64_t)i >> 2, u); \
		int keep = u[i & 3] >= thr; \
		y[i] = x[i] * (keep ? scale : (T)0); \
		if (mask) mask[i] = (uint8_t)keep; \
	} \
}
KK_DROPOUT(float, f32)
KK_DROPOUT(double, f64)

int32_t kk_dropout_range(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y,
                         uint8_t *mask, float ratio, uint64_t seed, uint32_t node_id,
                         uint32_t sample, int64_t begin, int64_t end)
{
	if (!(ratio >= 0.0f && ratio < 1.0f))
		return KILN_RUN_VALUE;
	assert(begin >= 0 && begin <= end);
	/* ratio < 1 so ratio * 2^32 < 2^32 exactly representable in double */
	uint32_t thr = (uint32_t)((double)ratio * 4294967296.0);
	switch (dtype) {
	case KK_DT_F32:
		dropout_f32(x, y, mask, thr, 1.0f / (1.0f - ratio), seed, node_id, sample,
		            begin, end);
		break;
	case KK_DT_F64:
		dropout_f64(x, y, mask, thr, 1.0 / (1.0 - (double)ratio), seed, node_id, sample,
		            begin, end);
		break;
	default: assert(!"kk_dropout: unsupported dtype");
	}
	return KILN_RUN_OK;
}

int32_t kk_dropout(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, uint8_t *mask,
                   int64_t n, float ratio, uint64_t seed, uint32_t node_id, uint32_t sample)
{
	return kk_dropout_range(ctx, dtype, x, y, mask, ratio, seed, node_id, sample, 0, n);
}

int32_t kk_dropout_rt(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, uint8_t *mask,
                      int64_t n, const void *ratio_ptr, int32_t ratio_dtype,
                      const uint8_t *training_ptr, float default_ratio, uint64_t seed,
                      uint32_t node_id, uint32_t sample)
{
	float ratio = default_ratio;
	if (ratio_ptr) {
		switch (ratio_dtype) {
		case KK_DT_F32: ratio = *(const float *)ratio_ptr; break;
		case KK_DT_F64: ratio = (float)*(const double *)ratio_ptr; break;
		case KK_DT_F16: ratio = kk_f16_to_f32(*(const uint16_t *)ratio_ptr); break;
		case KK_DT_BF16: ratio = kk_bf16_to_f32(*(const uint16_t *)ratio_ptr); break;
		default: assert(!"kk_dropout_rt: unsupported ratio dtype");
		}
	}
	if (training_ptr && *training_ptr && ratio != 0.0f)
		return kk_dropout(ctx, dtype, x, y, mask, n, ratio, seed, node_id, sample);
	assert(dtype == KK_DT_F32 || dtype == KK_DT_F64);
	if (x != y && n > 0)
		memcpy(y, x, (size_t)n * (dtype == KK_DT_F32 ? 4 : 8));
	if (mask && n > 0)
		memset(mask, 1, (size_t)n);
	return KILN_RUN_OK;
}
