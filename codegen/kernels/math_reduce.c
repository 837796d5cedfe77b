/* math_reduce.c — reductions over the middle axis of an [outer, rlen, inner]
 * view (ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare) and
 * ArgMax/ArgMin. A reduction is INIT, MAP each element, ACC into the
 * accumulator, FINAL; contiguous reductions (inner == 1) use 8 partial sums so
 * they vectorise, strided ones vectorise across the inner dimension. */
#include <math.h>
#include "math_internal.h"

/* Generic libm helpers: float -> f variant, others in double. */
#define G_SQRT(a) _Generic((a), float: sqrtf((float)(a)), default: sqrt((double)(a)))
#define G_LOG(a) _Generic((a), float: logf((float)(a)), default: log((double)(a)))
#define G_EXP(a) _Generic((a), float: expf((float)(a)), default: exp((double)(a)))

/* Reduction over x[o][.][j] for all (o, j): elem_t, acc_t (the accumulator:
 * T for floats, 64-bit for integers), x, y, outer, rlen, inner in scope.
 * Strided reductions accumulate KK_TILE columns at a time on the stack. */
#define KK_TILE 64
#define KK_RED_LOOP(INIT, MAP, ACC, FINAL) \
	for (int64_t o = 0; o < outer; o++) { \
		const elem_t *restrict xo = x + o * rlen * inner; \
		elem_t *restrict yo = y + o * inner; \
		if (inner == 1) { \
			acc_t l[8], s = (INIT); \
			int64_t r = 0; \
			for (int k = 0; k < 8; k++) l[k] = (INIT); \
			for (; r + 8 <= rlen; r += 8) \
				for (int k = 0; k < 8; k++) l[k] = ACC(l[k], MAP((acc_t)xo[r + k])); \
			for (int k = 0; k < 8; k++) s = ACC(s, l[k]); \
			for (; r < rlen; r++) s = ACC(s, MAP((acc_t)xo[r])); \
			yo[0] = (elem_t)(FINAL(s)); \
			continue; \
		} \
		for (int64_t j0 = 0; j0 < inner; j0 += KK_TILE) { \
			int64_t w = inner - j0 < KK_TILE ? inner - j0 : KK_TILE; \
			acc_t t[KK_TILE]; \
			for (int64_t k = 0; k < w; k++) t[k] = (INIT); \
			for (int64_t r = 0; r < rlen; r++) { \
				const elem_t *restrict xr = xo + r * inner + j0; \
				for (int64_t k = 0; k < w; k++) t[k] = ACC(t[k], MAP((acc_t)xr[k])); \
			} \
			for (int64_t k = 0; k < w; k++) yo[j0 + k] = (elem_t)(FINAL(t[k])); \
		} \
	}

#define M_ID(v) (v)
#define M_SQ(v) _Generic((v), float: (v) * (v), double: (v) * (v), \
	default: (acc_t)((uint64_t)(v) * (uint64_t)(v)))   /* integers wrap */
#define A_ADD(a, m) ((a) + (m))
#define A_MUL(a, m) ((a) * (m))
#define A_IADD(a, m) ((acc_t)((uint64_t)(a) + (uint64_t)(m)))
#define A_IMUL(a, m) ((acc_t)((uint64_t)(a) * (uint64_t)(m)))
#define A_MAX(a, m) ((m) != (m) || (m) > (a) ? (m) : (a))  /* NaN propagates */
#define A_MIN(a, m) ((m) != (m) || (m) < (a) ? (m) : (a))
#define F_ID(a) (a)
#define F_MEAN(a) (rlen ? (elem_t)_Generic((a), float: (float)(a) / (float)rlen, \
	default: (double)(a) / (double)rlen) : KK_MEAN_EMPTY)
#define F_SQRT(a) G_SQRT(a)
#define F_LOG(a) G_LOG(a)

/* log(sum(exp(x))) of one reduction row, stable; in the element precision. */
#define KK_LSE(T, S, CT) \
static T lse_##S(const T *restrict x, int64_t rlen, int64_t inner) \
{ \
	CT m = -(CT)INFINITY, s = 0; \
	for (int64_t r = 0; r < rlen; r++) m = A_MAX(m, (CT)x[r * inner]); \
	if (m != m || m == (CT)INFINITY || m == -(CT)INFINITY) return (T)m; \
	for (int64_t r = 0; r < rlen; r++) s += G_EXP((CT)x[r * inner] - m); \
	return (T)(m + G_LOG(s)); \
}

#define KK_RED_TYPE(CODE, T, NAME, LOWEST, HIGHEST, MABS, ADD, MUL, CT, AT) \
KK_LSE(T, NAME, CT) \
static void red_##NAME(int32_t op, const T *restrict x, T *restrict y, int64_t outer, \
                       int64_t rlen, int64_t inner) \
{ \
	typedef T elem_t; \
	typedef AT acc_t; \
	switch (op) { \
	case KK_RED_SUM: KK_RED_LOOP((T)0, M_ID, ADD, F_ID) break; \
	case KK_RED_MEAN: KK_RED_LOOP((T)0, M_ID, ADD, F_MEAN) break; \
	case KK_RED_MAX: KK_RED_LOOP(LOWEST, M_ID, A_MAX, F_ID) break; \
	case KK_RED_MIN: KK_RED_LOOP(HIGHEST, M_ID, A_MIN, F_ID) break; \
	case KK_RED_PROD: KK_RED_LOOP((T)1, M_ID, MUL, F_ID) break; \
	case KK_RED_L1: KK_RED_LOOP((T)0, MABS, ADD, F_ID) break; \
	case KK_RED_L2: KK_RED_LOOP((T)0, M_SQ, ADD, F_SQRT) break; \
	case KK_RED_SUM_SQUARE: KK_RED_LOOP((T)0, M_SQ, ADD, F_ID) break; \
	case KK_RED_LOG_SUM: KK_RED_LOOP((T)0, M_ID, ADD, F_LOG) break; \
	case KK_RED_LOG_SUM_EXP: \
		for (int64_t o = 0; o < outer; o++) \
			for (int64_t j = 0; j < inner; j++) \
				y[o * inner + j] = lse_##NAME(x + o * rlen * inner + j, rlen, inner); \
		break; \
	default: assert(!"kk_reduce: unsupported op"); \
	} \
}

#define M_FABS(v) _Generic((v), float: fabsf((float)(v)), default: fabs((double)(v)))
#define M_SABS(v) ((v) < 0 ? (acc_t)(0 - (uint64_t)(v)) : (v))
#define KK_MEAN_EMPTY ((elem_t)NAN)
KK_RED_TYPE(KK_DT_F32, float, f32, -INFINITY, INFINITY, M_FABS, A_ADD, A_MUL, float, float)
KK_RED_TYPE(KK_DT_F64, double, f64, -INFINITY, INFINITY, M_FABS, A_ADD, A_MUL, double, double)
#undef KK_MEAN_EMPTY
#define KK_MEAN_EMPTY ((elem_t)0)
KK_RED_TYPE(KK_DT_I8, int8_t, i8, INT8_MIN, INT8_MAX, M_SABS, A_IADD, A_IMUL, double, int64_t)
KK_RED_TYPE(KK_DT_I16, int16_t, i16, INT16_MIN, INT16_MAX, M_SABS, A_IADD, A_IMUL, double, int64_t)
KK_RED_TYPE(KK_DT_I32, int32_t, i32, INT32_MIN, INT32_MAX, M_SABS, A_IADD, A_IMUL, double, int64_t)
KK_RED_TYPE(KK_DT_I64, int64_t, i64, INT64_MIN, INT64_MAX, M_SABS, A_IADD, A_IMUL, double, int64_t)
KK_RED_TYPE(KK_DT_U8, uint8_t, u8, 0, UINT8_MAX, M_ID, A_IADD, A_IMUL, double, uint64_t)
KK_RED_TYPE(KK_DT_U16, uint16_t, u16, 0, UINT16_MAX, M_ID, A_IADD, A_IMUL, double, uint64_t)
KK_RED_TYPE(KK_DT_U32, uint32_t, u32, 0, UINT32_MAX, M_ID, A_IADD, A_IMUL, double, uint64_t)
KK_RED_TYPE(KK_DT_U64, uint64_t, u64, 0, UINT64_MAX, M_ID, A_IADD, A_IMUL, double, uint64_t)

void kk_reduce(kiln_rt_ctx *ctx, int32_t op, int32_t dtype, const void *x, void *y,
               int64_t outer, int64_t rlen, int64_t inner)
{
	switch (dtype) {
#define KK_RED_CASE(CODE, T, NAME) case CODE: red_##NAME(op, x, y, outer, rlen, inner); break;
	KK_NUM_TYPES(KK_RED_CASE)
	default: assert(!"kk_reduce: unsupported dtype");
	}
}

/* ArgMax/ArgMin: one scalar scan per (o, j). NaN beats any number. */
#define KK_ARG_TYPE(CODE, T, NAME) \
static void arg_##NAME(int32_t op, const T *restrict x, int64_t *restrict y, int64_t outer, \
                       int64_t rlen, int64_t inner, int32_t last) \
{ \
	int32_t sgn = op == KK_ARG_MAX ? 1 : -1; \
	for (int64_t o = 0; o < outer; o++) \
		for (int64_t j = 0; j < inner; j++) { \
			const T *restrict xp = x + o * rlen * inner + j; \
			T best = xp[0]; \
			int64_t bi = 0; \
			for (int64_t r = 1; r < rlen; r++) { \
				T v = xp[r * inner]; \
				int better = sgn > 0 ? v > best : v < best; \
				int tie = v == best; \
				if (best != best) better = last && v != v; \
				else if (v != v) better = 1; \
				else if (last && tie) better = 1; \
				if (better) { best = v; bi = r; } \
			} \
			y[o * inner + j] = bi; \
		} \
}
KK_NUM_TYPES(KK_ARG_TYPE)

void kk_argreduce(kiln_rt_ctx *ctx, int32_t op, int32_t dtype, const void *x, int64_t *y,
                  int64_t outer, int64_t rlen, int64_t inner, int32_t select_last_index)
{
	assert(rlen >= 1);
	switch (dtype) {
#define KK_ARG_CASE(CODE, T, NAME) case CODE: \
	arg_##NAME(op, x, y, outer, rlen, inner, select_last_index); break;
	KK_NUM_TYPES(KK_ARG_CASE)
	default: assert(!"kk_argreduce: unsupported dtype");
	}
}
