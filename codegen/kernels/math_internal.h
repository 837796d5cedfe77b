/* math_internal.h — private helpers shared by the math_*.c kernel files:
 * X-macro lists of the dtypes each kernel family instantiates, and the
 * broadcasting loop macro used by kk_binary / kk_pow / kk_where.
 * Not part of the codegen contract (that is kk_math.h). */
#ifndef KK_MATH_INTERNAL_H
#define KK_MATH_INTERNAL_H

#include <assert.h>
#include <stdint.h>
#include <string.h>
#include "kk_math.h"

/* X(code, ctype, name) lists. */
#define KK_FLOAT_TYPES(X) X(KK_DT_F32, float, f32) X(KK_DT_F64, double, f64)
#define KK_SINT_TYPES(X) X(KK_DT_I8, int8_t, i8) X(KK_DT_I16, int16_t, i16) \
	X(KK_DT_I32, int32_t, i32) X(KK_DT_I64, int64_t, i64)
#define KK_UINT_TYPES(X) X(KK_DT_U8, uint8_t, u8) X(KK_DT_U16, uint16_t, u16) \
	X(KK_DT_U32, uint32_t, u32) X(KK_DT_U64, uint64_t, u64)
#define KK_INT_TYPES(X) KK_SINT_TYPES(X) KK_UINT_TYPES(X)
#define KK_NUM_TYPES(X) KK_FLOAT_TYPES(X) KK_INT_TYPES(X)

/* Broadcast loop over out_dims[0..rank): declares nothing visible outside.
 * A, B: typed input pointers; Y: typed dense output pointer; as, bs: strides.
 * F(u, v): expression for one output element given the two input values.
 * The innermost dim gets contiguous/broadcast special cases so it vectorises. */
#define KK_BCAST2(TA, TB, TY, A, B, Y, rank, dims, as, bs, F) do { \
	const TA *restrict pa_ = (A); const TB *restrict pb_ = (B); TY *restrict py_ = (Y); \
	if ((rank) == 0) { py_[0] = F(pa_[0], pb_[0]); break; } \
	int64_t in_ = (dims)[(rank) - 1], sa_ = (as)[(rank) - 1], sb_ = (bs)[(rank) - 1]; \
	int64_t outer_ = 1, idx_[KK_MAX_RANK] = {0}, oa_ = 0, ob_ = 0; \
	for (int32_t d_ = 0; d_ < (rank) - 1; d_++) outer_ *= (dims)[d_]; \
	for (int64_t o_ = 0; o_ < outer_; o_++) { \
		const TA *restrict xa_ = pa_ + oa_; const TB *restrict xb_ = pb_ + ob_; \
		TY *restrict xy_ = py_ + o_ * in_; \
		if (sa_ == 1 && sb_ == 1) { \
			for (int64_t j_ = 0; j_ < in_; j_++) xy_[j_] = F(xa_[j_], xb_[j_]); \
		} else if (sa_ == 1 && sb_ == 0) { \
			TB v_ = xb_[0]; (void)v_; \
			for (int64_t j_ = 0; j_ < in_; j_++) xy_[j_] = F(xa_[j_], v_); \
		} else if (sa_ == 0 && sb_ == 1) { \
			TA u_ = xa_[0]; (void)u_; \
			for (int64_t j_ = 0; j_ < in_; j_++) xy_[j_] = F(u_, xb_[j_]); \
		} else { \
			for (int64_t j_ = 0; j_ < in_; j_++) \
				xy_[j_] = F(xa_[j_ * sa_], xb_[j_ * sb_]); \
		} \
		for (int32_t d_ = (rank) - 2; d_ >= 0; d_--) { \
			idx_[d_]++; oa_ += (as)[d_]; ob_ += (bs)[d_]; \
			if (idx_[d_] < (dims)[d_]) break; \
			oa_ -= (as)[d_] * (dims)[d_]; ob_ -= (bs)[d_] * (dims)[d_]; idx_[d_] = 0; \
		} \
	} \
} while (0)

#endif
