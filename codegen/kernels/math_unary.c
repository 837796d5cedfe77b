/* math_unary.c — elementwise unary kernels (kk_unary, kk_clip): one loop per
 * (op, dtype) stamped out by macros, the op/dtype switch outside the loops so
 * a call with constant codes inlines to a single vectorisable loop. */
#include <math.h>
#include "math_internal.h"

/* One case: loop y[i] = E over i, with v = x[i]. */
#define KK_U(OP, E) case OP: \
	for (int64_t i = 0; i < n; i++) { elem_t v = x[i]; y[i] = (E); } break;

/* Float kernels; S is the libm suffix ("f" or empty). */
#define KK_UNARY_FLOAT(T, NAME, S) \
static void unary_##NAME(int32_t op, const T *restrict x, void *yv, int64_t n, \
                         T alpha, T beta) \
{ \
	typedef T elem_t; \
	T *restrict y = yv; \
	uint8_t *restrict yb = yv; \
	switch (op) { \
	KK_U(KK_UNARY_RELU, v < 0 ? (T)0 : v) /* NaN propagates */ \
	KK_U(KK_UNARY_SIGMOID, (T)1 / ((T)1 + exp##S(-v))) \
	KK_U(KK_UNARY_TANH, tanh##S(v)) \
	KK_U(KK_UNARY_SQRT, sqrt##S(v)) \
	KK_U(KK_UNARY_ABS, fabs##S(v)) \
	KK_U(KK_UNARY_NEG, -v) \
	KK_U(KK_UNARY_EXP, exp##S(v)) \
	KK_U(KK_UNARY_LOG, log##S(v)) \
	KK_U(KK_UNARY_CEIL, ceil##S(v)) \
	KK_U(KK_UNARY_FLOOR, floor##S(v)) \
	KK_U(KK_UNARY_ROUND, rint##S(v)) \
	KK_U(KK_UNARY_RECIPROCAL, (T)1 / v) \
	KK_U(KK_UNARY_SIN, sin##S(v)) \
	KK_U(KK_UNARY_COS, cos##S(v)) \
	KK_U(KK_UNARY_TAN, tan##S(v)) \
	KK_U(KK_UNARY_ASIN, asin##S(v)) \
	KK_U(KK_UNARY_ACOS, acos##S(v)) \
	KK_U(KK_UNARY_ATAN, atan##S(v)) \
	KK_U(KK_UNARY_SINH, sinh##S(v)) \
	KK_U(KK_UNARY_COSH, cosh##S(v)) \
	KK_U(KK_UNARY_ASINH, asinh##S(v)) \
	KK_U(KK_UNARY_ACOSH, acosh##S(v)) \
	KK_U(KK_UNARY_ATANH, atanh##S(v)) \
	KK_U(KK_UNARY_ERF, erf##S(v)) \
	KK_U(KK_UNARY_SIGN, v > 0 ? (T)1 : (v < 0 ? (T)-1 : v)) \
	KK_U(KK_UNARY_SOFTPLUS, v > 0 ? v + log1p##S(exp##S(-v)) : log1p##S(exp##S(v))) \
	KK_U(KK_UNARY_SOFTSIGN, v / ((T)1 + fabs##S(v))) \
	KK_U(KK_UNARY_ELU, v < 0 ? alpha * (exp##S(v) - (T)1) : v) \
	KK_U(KK_UNARY_SELU, v > 0 ? beta * v : beta * (alpha * exp##S(v) - alpha)) \
	KK_U(KK_UNARY_CELU, (v > 0 ? v : (T)0) + \
		fmin##S((T)0, alpha * (exp##S(v / alpha) - (T)1))) \
	KK_U(KK_UNARY_LEAKY_RELU, v < 0 ? alpha * v : v) \
	KK_U(KK_UNARY_THRESHOLDED_RELU, v > alpha ? v : (T)0) \
	KK_U(KK_UNARY_HARD_SIGMOID, fmax##S((T)0, fmin##S((T)1, alpha * v + beta))) \
	KK_U(KK_UNARY_HARD_SWISH, v * fmax##S((T)0, fmin##S((T)1, v / (T)6 + (T)0.5))) \
	KK_U(KK_UNARY_CLIP, v < alpha ? alpha : (v > beta ? beta : v)) \
	KK_U(KK_UNARY_SCALE, alpha * v + beta) \
	case KK_UNARY_ISNAN: \
		for (int64_t i = 0; i < n; i++) yb[i] = x[i] != x[i]; \
		break; \
	case KK_UNARY_ISINF: { \
		T pinf = alpha != 0 ? (T)INFINITY : (T)NAN; \
		T ninf = beta != 0 ? -(T)INFINITY : (T)NAN; \
		for (int64_t i = 0; i < n; i++) yb[i] = (x[i] == pinf) | (x[i] == ninf); \
		break; \
	} \
	default: assert(!"kk_unary: op not supported for float dtype"); \
	} \
}
KK_UNARY_FLOAT(float, f32, f)
KK_UNARY_FLOAT(double, f64, )

/* Integer kernels: Relu, Abs, Neg, Sign (Neg wraps; unsigned Abs/Relu are
 * the identity). */
#define KK_UNARY_INT(CODE, T, NAME, ABS, SIGN) \
static void unary_##NAME(int32_t op, const T *restrict x, T *restrict y, int64_t n) \
{ \
	typedef T elem_t; \
	switch (op) { \
	KK_U(KK_UNARY_RELU, v > (T)0 ? v : (T)0) \
	KK_U(KK_UNARY_ABS, ABS) \
	KK_U(KK_UNARY_NEG, (T)((T)0 - v)) \
	KK_U(KK_UNARY_SIGN, SIGN) \
	default: assert(!"kk_unary: op not supported for integer dtype"); \
	} \
}
#define KK_UNARY_SINT(CODE, T, NAME) \
	KK_UNARY_INT(CODE, T, NAME, v < 0 ? (T)(0 - v) : v, (T)((v > 0) - (v < 0)))
#define KK_UNARY_UINT(CODE, T, NAME) KK_UNARY_INT(CODE, T, NAME, v, (T)(v != 0))
KK_SINT_TYPES(KK_UNARY_SINT)
KK_UINT_TYPES(KK_UNARY_UINT)

static int64_t dtype_size(int32_t dtype)
{
	switch (dtype) {
	case KK_DT_U8: case KK_DT_I8: case KK_DT_BOOL: return 1;
	case KK_DT_U16: case KK_DT_I16: case KK_DT_F16: case KK_DT_BF16: return 2;
	case KK_DT_F32: case KK_DT_I32: case KK_DT_U32: return 4;
	case KK_DT_F64: case KK_DT_I64: case KK_DT_U64: return 8;
	}
	assert(!"kk_math: unknown dtype");
	return 1;
}

void kk_unary(kiln_rt_ctx *ctx, int32_t op, int32_t dtype, const void *x, void *y,
              int64_t n, float alpha, float beta)
{
	if (op == KK_UNARY_IDENTITY) {
		if (x != y && n > 0)
			memcpy(y, x, (size_t)(n * dtype_size(dtype)));
		return;
	}
	if (op == KK_UNARY_NOT) {
		assert(dtype == KK_DT_BOOL);
		const uint8_t *restrict xb = x;
		uint8_t *restrict yb = y;
		for (int64_t i = 0; i < n; i++) yb[i] = !xb[i];
		return;
	}
	switch (dtype) {
	case KK_DT_F32: unary_f32(op, x, y, n, alpha, beta); break;
	case KK_DT_F64: unary_f64(op, x, y, n, alpha, beta); break;
#define KK_UNARY_INT_CASE(CODE, T, NAME) case CODE: unary_##NAME(op, x, y, n); break;
	KK_INT_TYPES(KK_UNARY_INT_CASE)
	default: assert(!"kk_unary: unsupported dtype");
	}
}

/* Clip with optional typed bounds: max first, then min (ONNX order). */
#define KK_CLIP(CODE, T, NAME) \
static void clip_##NAME(const T *restrict x, T *restrict y, int64_t n, \
                        const T *lo, const T *hi) \
{ \
	if (lo && hi) { \
		T l = *lo, h = *hi; \
		for (int64_t i = 0; i < n; i++) { T v = x[i] < l ? l : x[i]; y[i] = v > h ? h : v; } \
	} else if (lo) { \
		T l = *lo; \
		for (int64_t i = 0; i < n; i++) y[i] = x[i] < l ? l : x[i]; \
	} else if (hi) { \
		T h = *hi; \
		for (int64_t i = 0; i < n; i++) y[i] = x[i] > h ? h : x[i]; \
	} else if (x != y) { \
		for (int64_t i = 0; i < n; i++) y[i] = x[i]; \
	} \
}
KK_NUM_TYPES(KK_CLIP)

void kk_clip(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, int64_t n,
             const void *lo, const void *hi)
{
	switch (dtype) {
#define KK_CLIP_CASE(CODE, T, NAME) case CODE: clip_##NAME(x, y, n, lo, hi); break;
	KK_NUM_TYPES(KK_CLIP_CASE)
	default: assert(!"kk_clip: unsupported dtype");
	}
}
