/* math_binary.c — elementwise binary kernels with numpy broadcasting given as
 * element strides (kk_binary, kk_pow with mixed dtypes) and Where. One loop
 * nest per (op, dtype) from KK_BCAST2; the op switch sits outside the loops. */
#include <math.h>
#include "math_internal.h"

/* Element expressions; elem_t is the input type of the enclosing function. */
#define F_ADD(u, v) ((u) + (v))
#define F_SUB(u, v) ((u) - (v))
#define F_MUL(u, v) ((u) * (v))
#define F_DIV(u, v) ((u) / (v))
/* Integer + - * wrap (done in uint64_t, converted back modulo 2^bits). */
#define F_IADD(u, v) ((elem_t)((uint64_t)(u) + (uint64_t)(v)))
#define F_ISUB(u, v) ((elem_t)((uint64_t)(u) - (uint64_t)(v)))
#define F_IMUL(u, v) ((elem_t)((uint64_t)(u) * (uint64_t)(v)))
#define F_UDIV(u, v) ((v) == 0 ? (elem_t)0 : (elem_t)((u) / (v)))
#define F_SDIV(u, v) ((v) == 0 ? (elem_t)0 : (v) == -1 ? (elem_t)(0 - (uint64_t)(u)) \
	: (elem_t)((u) / (v)))
#define F_FMAX(u, v) ((u) != (u) || (u) > (v) ? (u) : (v))
#define F_FMIN(u, v) ((u) != (u) || (u) < (v) ? (u) : (v))
#define F_MAX(u, v) ((u) > (v) ? (u) : (v))
#define F_MIN(u, v) ((u) < (v) ? (u) : (v))
#define F_EQ(u, v) ((uint8_t)((u) == (v)))
#define F_LT(u, v) ((uint8_t)((u) < (v)))
#define F_GT(u, v) ((uint8_t)((u) > (v)))
#define F_LE(u, v) ((uint8_t)((u) <= (v)))
#define F_GE(u, v) ((uint8_t)((u) >= (v)))
#define F_PRELU(u, v) ((u) < 0 ? (elem_t)((v) * (u)) : (u))
#define F_SHL(u, v) ((v) >= 8 * sizeof(elem_t) ? (elem_t)0 : (elem_t)((uint64_t)(u) << (v)))
#define F_SHR(u, v) ((v) >= 8 * sizeof(elem_t) ? (elem_t)0 : (elem_t)((u) >> (v)))
#define F_AND(u, v) ((elem_t)((u) & (v)))
#define F_OR(u, v) ((elem_t)((u) | (v)))
#define F_XOR(u, v) ((elem_t)((u) ^ (v)))
/* Pow in the base's precision (float base: powf), result in the base type. */
#define F_POW(u, v) ((elem_t)_Generic((u), float: powf((float)(u), (float)(v)), \
	double: pow((double)(u), (double)(v)), default: pow((double)(u), (double)(v))))

/* Mod helpers: Python-style (sign of divisor) and C-style (sign of dividend). */
static inline float pymod_f32(float a, float b)
{
	float r = fmodf(a, b);
	return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
static inline double pymod_f64(double a, double b)
{
	double r = fmod(a, b);
	return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}
#define KK_SMOD(CODE, T, NAME) \
static inline T pymod_##NAME(T a, T b) \
{ \
	if (b == 0 || b == -1) return 0; \
	T r = (T)(a % b); \
	return (r != 0 && ((r < 0) != (b < 0))) ? (T)(r + b) : r; \
} \
static inline T cmod_##NAME(T a, T b) { return (b == 0 || b == -1) ? 0 : (T)(a % b); }
KK_SINT_TYPES(KK_SMOD)
#define KK_UMOD(CODE, T, NAME) \
static inline T pymod_##NAME(T a, T b) { return b == 0 ? 0 : (T)(a % b); }
KK_UINT_TYPES(KK_UMOD)

#define KK_BIN_ARGS int32_t op, const void *a, const void *b, void *y, int32_t rank, \
	const int64_t *dims, const int64_t *as, const int64_t *bs
#define KK_BC(OP, TY, F) case OP: \
	KK_BCAST2(elem_t, elem_t, TY, a, b, y, rank, dims, as, bs, F); break;
#define KK_BC_CMP \
	KK_BC(KK_BIN_EQUAL, uint8_t, F_EQ) KK_BC(KK_BIN_LESS, uint8_t, F_LT) \
	KK_BC(KK_BIN_GREATER, uint8_t, F_GT) KK_BC(KK_BIN_LESS_EQUAL, uint8_t, F_LE) \
	KK_BC(KK_BIN_GREATER_EQUAL, uint8_t, F_GE)

#define KK_BIN_FLOAT(CODE, T, NAME) \
static void bin_##NAME(KK_BIN_ARGS) \
{ \
	typedef T elem_t; \
	switch (op) { \
	KK_BC(KK_BIN_ADD, T, F_ADD) KK_BC(KK_BIN_SUB, T, F_SUB) \
	KK_BC(KK_BIN_MUL, T, F_MUL) KK_BC(KK_BIN_DIV, T, F_DIV) \
	KK_BC(KK_BIN_POW, T, F_POW) KK_BC(KK_BIN_MOD, T, pymod_##NAME) \
	KK_BC(KK_BIN_FMOD, T, _Generic((T)0, float: fmodf, default: fmod)) \
	KK_BC(KK_BIN_PRELU, T, F_PRELU) \
	KK_BC(KK_BIN_MAX, T, F_FMAX) KK_BC(KK_BIN_MIN, T, F_FMIN) \
	KK_BC_CMP \
	default: assert(!"kk_binary: op not supported for float dtype"); \
	} \
}
KK_FLOAT_TYPES(KK_BIN_FLOAT)

#define KK_BIN_SINT(CODE, T, NAME) \
static void bin_##NAME(KK_BIN_ARGS) \
{ \
	typedef T elem_t; \
	switch (op) { \
	KK_BC(KK_BIN_ADD, T, F_IADD) KK_BC(KK_BIN_SUB, T, F_ISUB) \
	KK_BC(KK_BIN_MUL, T, F_IMUL) KK_BC(KK_BIN_DIV, T, F_SDIV) \
	KK_BC(KK_BIN_POW, T, F_POW) KK_BC(KK_BIN_MOD, T, pymod_##NAME) \
	KK_BC(KK_BIN_FMOD, T, cmod_##NAME) KK_BC(KK_BIN_PRELU, T, F_PRELU) \
	KK_BC(KK_BIN_MAX, T, F_MAX) KK_BC(KK_BIN_MIN, T, F_MIN) \
	KK_BC_CMP \
	default: assert(!"kk_binary: op not supported for signed dtype"); \
	} \
}
KK_SINT_TYPES(KK_BIN_SINT)

/* Unsigned; also BOOL (as u8) for And/Or/Xor/Equal. */
#define KK_BIN_UINT(CODE, T, NAME) \
static void bin_##NAME(KK_BIN_ARGS) \
{ \
	typedef T elem_t; \
	switch (op) { \
	KK_BC(KK_BIN_ADD, T, F_IADD) KK_BC(KK_BIN_SUB, T, F_ISUB) \
	KK_BC(KK_BIN_MUL, T, F_IMUL) KK_BC(KK_BIN_DIV, T, F_UDIV) \
	KK_BC(KK_BIN_POW, T, F_POW) KK_BC(KK_BIN_MOD, T, pymod_##NAME) \
	KK_BC(KK_BIN_FMOD, T, pymod_##NAME) \
	KK_BC(KK_BIN_MAX, T, F_MAX) KK_BC(KK_BIN_MIN, T, F_MIN) \
	KK_BC(KK_BIN_SHL, T, F_SHL) KK_BC(KK_BIN_SHR, T, F_SHR) \
	KK_BC(KK_BIN_AND, T, F_AND) KK_BC(KK_BIN_OR, T, F_OR) KK_BC(KK_BIN_XOR, T, F_XOR) \
	KK_BC_CMP \
	case KK_BIN_PRELU: KK_BCAST2(T, T, T, a, b, y, rank, dims, as, bs, F_FIRST); break; \
	default: assert(!"kk_binary: op not supported for unsigned dtype"); \
	} \
}
#define F_FIRST(u, v) (u)
KK_UINT_TYPES(KK_BIN_UINT)

void kk_binary(kiln_rt_ctx *ctx, int32_t op, int32_t dtype, const void *a, const void *b,
               void *y, int32_t rank, const int64_t *out_dims,
               const int64_t *a_strides, const int64_t *b_strides)
{
	assert(rank >= 0 && rank <= KK_MAX_RANK);
	switch (dtype) {
#define KK_BIN_CASE(CODE, T, NAME) \
	case CODE: bin_##NAME(op, a, b, y, rank, out_dims, a_strides, b_strides); break;
	KK_NUM_TYPES(KK_BIN_CASE)
	case KK_DT_BOOL: bin_u8(op, a, b, y, rank, out_dims, a_strides, b_strides); break;
	default: assert(!"kk_binary: unsupported dtype");
	}
}

/* Mixed-dtype Pow: one function per base type, switching on the exponent. */
#define KK_POW_EXP_CASE(CODE, T, NAME) case CODE: \
	KK_BCAST2(elem_t, T, elem_t, a, b, y, rank, dims, as, bs, F_POW); break;
#define KK_POW_BASE(T, NAME) \
static void pow_##NAME(int32_t edt, const void *a, const void *b, void *y, int32_t rank, \
                       const int64_t *dims, const int64_t *as, const int64_t *bs) \
{ \
	typedef T elem_t; \
	switch (edt) { \
	KK_POW_EXP_CASE(KK_DT_F32, float, f32) KK_POW_EXP_CASE(KK_DT_F64, double, f64) \
	KK_POW_EXP_CASE(KK_DT_I8, int8_t, i8) KK_POW_EXP_CASE(KK_DT_I16, int16_t, i16) \
	KK_POW_EXP_CASE(KK_DT_I32, int32_t, i32) KK_POW_EXP_CASE(KK_DT_I64, int64_t, i64) \
	KK_POW_EXP_CASE(KK_DT_U8, uint8_t, u8) KK_POW_EXP_CASE(KK_DT_U16, uint16_t, u16) \
	KK_POW_EXP_CASE(KK_DT_U32, uint32_t, u32) KK_POW_EXP_CASE(KK_DT_U64, uint64_t, u64) \
	default: assert(!"kk_pow: unsupported exponent dtype"); \
	} \
}
KK_POW_BASE(float, f32)
KK_POW_BASE(double, f64)
KK_POW_BASE(int8_t, i8)
KK_POW_BASE(int16_t, i16)
KK_POW_BASE(int32_t, i32)
KK_POW_BASE(int64_t, i64)
KK_POW_BASE(uint8_t, u8)
KK_POW_BASE(uint16_t, u16)
KK_POW_BASE(uint32_t, u32)
KK_POW_BASE(uint64_t, u64)

void kk_pow(kiln_rt_ctx *ctx, int32_t base_dtype, int32_t exp_dtype, const void *a,
            const void *b, void *y, int32_t rank, const int64_t *out_dims,
            const int64_t *a_strides, const int64_t *b_strides)
{
	assert(rank >= 0 && rank <= KK_MAX_RANK);
	switch (base_dtype) {
#define KK_POW_CASE(CODE, T, NAME) case CODE: \
	pow_##NAME(exp_dtype, a, b, y, rank, out_dims, a_strides, b_strides); break;
	KK_NUM_TYPES(KK_POW_CASE)
	default: assert(!"kk_pow: unsupported base dtype");
	}
}

/* Where for one element width: odometer over the outer dims, inner loop with
 * the common stride patterns special-cased. */
#define KK_WHERE(T, NAME) \
static void where_##NAME(const uint8_t *restrict c, const T *restrict x, \
                         const T *restrict yv, T *restrict out, int32_t rank, \
                         const int64_t *dims, const int64_t *cs, const int64_t *xs, \
                         const int64_t *ys) \
{ \
	if (rank == 0) { out[0] = c[0] ? x[0] : yv[0]; return; } \
	int64_t in = dims[rank - 1], sc = cs[rank - 1], sx = xs[rank - 1], sy = ys[rank - 1]; \
	int64_t outer = 1, idx[KK_MAX_RANK] = {0}, oc = 0, ox = 0, oy = 0; \
	for (int32_t d = 0; d < rank - 1; d++) outer *= dims[d]; \
	for (int64_t o = 0; o < outer; o++) { \
		const uint8_t *restrict pc = c + oc; \
		const T *restrict px = x + ox, *restrict py = yv + oy; \
		T *restrict po = out + o * in; \
		if (sc == 1 && sx == 1 && sy == 1) { \
			for (int64_t j = 0; j < in; j++) po[j] = pc[j] ? px[j] : py[j]; \
		} else { \
			for (int64_t j = 0; j < in; j++) \
				po[j] = pc[j * sc] ? px[j * sx] : py[j * sy]; \
		} \
		for (int32_t d = rank - 2; d >= 0; d--) { \
			idx[d]++; oc += cs[d]; ox += xs[d]; oy += ys[d]; \
			if (idx[d] < dims[d]) break; \
			oc -= cs[d] * dims[d]; ox -= xs[d] * dims[d]; oy -= ys[d] * dims[d]; \
			idx[d] = 0; \
		} \
	} \
}
KK_WHERE(uint8_t, 1)
KK_WHERE(uint16_t, 2)
KK_WHERE(uint32_t, 4)
KK_WHERE(uint64_t, 8)

void kk_where(kiln_rt_ctx *ctx, int32_t dtype, const uint8_t *cond, const void *x,
              const void *y, void *out, int32_t rank, const int64_t *out_dims,
              const int64_t *c_strides, const int64_t *x_strides, const int64_t *y_strides)
{
	assert(rank >= 0 && rank <= KK_MAX_RANK);
	switch (dtype) {
	case KK_DT_U8: case KK_DT_I8: case KK_DT_BOOL:
		where_1(cond, x, y, out, rank, out_dims, c_strides, x_strides, y_strides); break;
	case KK_DT_U16: case KK_DT_I16: case KK_DT_F16: case KK_DT_BF16:
		where_2(cond, x, y, out, rank, out_dims, c_strides, x_strides, y_strides); break;
	case KK_DT_F32: case KK_DT_I32: case KK_DT_U32:
		where_4(cond, x, y, out, rank, out_dims, c_strides, x_strides, y_strides); break;
	case KK_DT_F64: case KK_DT_I64: case KK_DT_U64:
		where_8(cond, x, y, out, rank, out_dims, c_strides, x_strides, y_strides); break;
	default: assert(!"kk_where: unsupported dtype");
	}
}
