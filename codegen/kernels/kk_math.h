/* kk_math.h — the "math" kernel library linked (as LLVM bitcode) into every
 * compiled model: elementwise unary/binary ops, Cast, Where, reductions,
 * softmax family, normalisations and Philox dropout. Kernels are generic over
 * op/dtype codes and shapes; codegen calls them with constant arguments and
 * inlines them so LLVM specialises and vectorises each call site.
 *
 * Conventions for every kernel below:
 *  - ctx is the run context (may be NULL in unit tests; unused for now).
 *  - dtype codes are ONNX TensorProto.DataType numbers (KK_DT_*).
 *  - counts, dims and strides are int64_t; strides are in ELEMENTS.
 *  - buffers are dense and must not overlap unless a comment says so.
 *    (Elementwise kernels allow y == x exactly: in-place is fine.)
 *  - kernels that can fail at run time return int32_t: KILN_RUN_OK or a
 *    KILN_RUN_* code; bad op/dtype codes are kiln bugs and assert(). */
#ifndef KK_MATH_H
#define KK_MATH_H

#include <stdint.h>
#include "kiln_abi.h"

/* ONNX TensorProto.DataType codes understood by the kernels. */
enum {
	KK_DT_F32 = 1, KK_DT_U8 = 2, KK_DT_I8 = 3, KK_DT_U16 = 4, KK_DT_I16 = 5,
	KK_DT_I32 = 6, KK_DT_I64 = 7, KK_DT_BOOL = 9 /* 1 byte, 0 or 1 */,
	KK_DT_F16 = 10 /* IEEE binary16, Cast only */, KK_DT_F64 = 11,
	KK_DT_U32 = 12, KK_DT_U64 = 13, KK_DT_BF16 = 16 /* Cast only */
};

/* Largest rank kk_binary / kk_where accept (callers may collapse dims). */
#define KK_MAX_RANK 16

/* ---- math_unary.c ------------------------------------------------------ */

/* Unary op codes. "f" = f32/f64 only, "n" = f32/f64 and every integer type. */
enum {
	KK_UNARY_RELU,        /* n: max(x, 0) */
	KK_UNARY_SIGMOID,     /* f */
	KK_UNARY_TANH, KK_UNARY_SQRT, /* f */
	KK_UNARY_ABS, KK_UNARY_NEG,   /* n (unsigned Neg wraps) */
	KK_UNARY_EXP, KK_UNARY_LOG, KK_UNARY_CEIL, KK_UNARY_FLOOR, /* f */
	KK_UNARY_ROUND,       /* f: half to even */
	KK_UNARY_RECIPROCAL,  /* f */
	KK_UNARY_SIN, KK_UNARY_COS, KK_UNARY_TAN,
	KK_UNARY_ASIN, KK_UNARY_ACOS, KK_UNARY_ATAN,
	KK_UNARY_SINH, KK_UNARY_COSH,
	KK_UNARY_ASINH, KK_UNARY_ACOSH, KK_UNARY_ATANH,
	KK_UNARY_ERF,         /* f */
	KK_UNARY_SIGN,        /* n: -1, 0, 1 (NaN stays NaN) */
	KK_UNARY_SOFTPLUS,    /* f: log(1 + exp(x)), overflow-safe */
	KK_UNARY_SOFTSIGN,    /* f: x / (1 + |x|) */
	KK_UNARY_ELU,         /* f: x < 0 ? alpha*(exp(x)-1) : x */
	KK_UNARY_SELU,        /* f: alpha=alpha, gamma=beta */
	KK_UNARY_CELU,        /* f: max(0,x) + min(0, alpha*(exp(x/alpha)-1)) */
	KK_UNARY_LEAKY_RELU,  /* f: x < 0 ? alpha*x : x */
	KK_UNARY_THRESHOLDED_RELU, /* f: x > alpha ? x : 0 */
	KK_UNARY_HARD_SIGMOID,     /* f: max(0, min(1, alpha*x + beta)) */
	KK_UNARY_HARD_SWISH,       /* f: x * max(0, min(1, x/6 + 1/2)) */
	KK_UNARY_NOT,         /* dtype must be BOOL: y = !x */
	KK_UNARY_CLIP,        /* f: min(max(x, alpha), beta); pass -INFINITY /
	                       * INFINITY for an absent bound. Integers: kk_clip. */
	KK_UNARY_ISNAN,       /* f: y is BOOL (uint8_t) */
	KK_UNARY_ISINF,       /* f: y is BOOL; alpha != 0 detects +inf,
	                       * beta != 0 detects -inf (ONNX detect_positive /
	                       * detect_negative, both 1 by default) */
	KK_UNARY_SCALE,       /* f: y = alpha * x + beta (e.g. Mean = Add chain
	                       * then SCALE with alpha = 1/N) */
	KK_UNARY_IDENTITY,    /* any dtype (incl. f16/bf16): y = x (memcpy) */
	KK_UNARY_COUNT
};

/* y[i] = op(x[i]) for i in [0, n). x and y have type dtype, except IsNaN /
 * IsInf write BOOL. alpha/beta are the op's float attributes (see above),
 * ignored by ops without attributes. */
void kk_unary(kiln_rt_ctx *ctx, int32_t op, int32_t dtype, const void *x, void *y,
              int64_t n, float alpha, float beta);

/* Clip for any numeric dtype (f32, f64, all integers): y = min(max(x, *lo),
 * *hi). lo and hi point to ONE element of type dtype; NULL = no bound.
 * If *lo > *hi every element becomes *hi (ONNX: min applied last). */
void kk_clip(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, int64_t n,
             const void *lo, const void *hi);

/* ---- math_cast.c -------------------------------------------------------- */

/* y[i] = (to) x[i] for every pair of dtypes above (incl. BOOL, F16, BF16).
 * To BOOL: nonzero (and NaN) -> 1. To F16: round to nearest even, overflow
 * -> inf, NaN preserved. To BF16: truncation (what the ONNX 1.12 reference
 * and backend test data do), NaN preserved. Float -> integer out of range: undefined,
 * as in C. from == to is a copy. */
void kk_cast(kiln_rt_ctx *ctx, int32_t from, int32_t to, const void *x, void *y, int64_t n);

/* Scalar IEEE half/bfloat16 conversions used by kk_cast (exported for tests
 * and for codegen that wants them inline). */
float kk_f16_to_f32(uint16_t h);
uint16_t kk_f32_to_f16(float f);
uint16_t kk_f64_to_f16(double d);
float kk_bf16_to_f32(uint16_t h);
uint16_t kk_f32_to_bf16(float f);

/* ---- math_binary.c ------------------------------------------------------ */

/* Binary op codes. Output dtype = input dtype unless noted. */
enum {
	KK_BIN_ADD, KK_BIN_SUB, KK_BIN_MUL,
	KK_BIN_DIV,    /* integers: truncate toward zero (C); /0 gives 0 */
	KK_BIN_POW,    /* same dtype for base and exponent; mixed: kk_pow */
	KK_BIN_MOD,    /* Mod fmod=0: result has the sign of the divisor
	                * (Python/numpy); integers and floats. x mod 0 = 0 (ints) */
	KK_BIN_FMOD,   /* Mod fmod=1: C fmod / truncating %; sign of dividend */
	KK_BIN_PRELU,  /* a = X, b = slope: a < 0 ? b*a : a (f and signed ints) */
	KK_BIN_SHL, KK_BIN_SHR, /* BitShift LEFT/RIGHT, unsigned dtypes; shift >=
	                * width gives 0 */
	KK_BIN_MAX, KK_BIN_MIN, /* floats: NaN in either input -> NaN */
	KK_BIN_EQUAL, KK_BIN_LESS, KK_BIN_GREATER,
	KK_BIN_LESS_EQUAL, KK_BIN_GREATER_EQUAL, /* y is BOOL (uint8_t) */
	KK_BIN_AND, KK_BIN_OR, KK_BIN_XOR,       /* dtype BOOL */
	KK_BIN_COUNT
};

/* y[idx] = op(a[idx . a_strides], b[idx . b_strides]) for every index idx of
 * the output shape out_dims[0..rank) (rank 0 = scalar; 0 <= rank <=
 * KK_MAX_RANK). Strides are in elements, 0 on broadcast dims (numpy
 * broadcasting is the caller's stride computation). y is dense row-major.
 * Supported dtypes: all numeric (f32, f64, u8..u64, i8..i64) for arithmetic,
 * Max/Min and comparisons; BOOL for And/Or/Xor and Equal. y may equal a or b
 * when that input is dense with the output's shape. */
void kk_binary(kiln_rt_ctx *ctx, int32_t op, int32_t dtype, const void *a, const void *b,
               void *y, int32_t rank, const int64_t *out_dims,
               const int64_t *a_strides, const int64_t *b_strides);

/* Pow with independent base and exponent dtypes (ONNX Pow-12+: T base,
 * T1 exponent; any numeric dtypes). y has the base dtype. Computed in double
 * (powf when both are f32) and converted to the base dtype (integers:
 * truncation toward zero). Same broadcasting contract as kk_binary. */
void kk_pow(kiln_rt_ctx *ctx, int32_t base_dtype, int32_t exp_dtype, const void *a,
            const void *b, void *y, int32_t rank, const int64_t *out_dims,
            const int64_t *a_strides, const int64_t *b_strides);

/* Where: out[idx] = cond[idx.c] ? x[idx.x] : y[idx.y]. dtype is any dtype code
 * above (only its element size matters, 1/2/4/8 bytes); cond is BOOL. Same
 * rank/dims/strides contract as kk_binary. */
void kk_where(kiln_rt_ctx *ctx, int32_t dtype, const uint8_t *cond, const void *x,
              const void *y, void *out, int32_t rank, const int64_t *out_dims,
              const int64_t *c_strides, const int64_t *x_strides, const int64_t *y_strides);

/* ---- math_reduce.c ------------------------------------------------------ */

enum {
	KK_RED_SUM, KK_RED_MEAN, KK_RED_MAX, KK_RED_MIN, KK_RED_PROD,
	KK_RED_L1, KK_RED_L2, KK_RED_LOG_SUM, KK_RED_LOG_SUM_EXP, KK_RED_SUM_SQUARE,
	KK_RED_COUNT
};
enum { KK_ARG_MAX, KK_ARG_MIN };

/* Reduces the middle axis of x viewed as [outer, rlen, inner] (dense) into y
 * [outer, inner]. Multi-axis reductions: the caller transposes / collapses the
 * reduced axes into the middle (or calls repeatedly). Same dtype in and out;
 * dtypes f32, f64 and all integer types (ints: L2/LogSum/LogSumExp/Mean are
 * computed in double and truncated). rlen == 0 (empty reduction): Sum, L1, L2,
 * SumSquare -> 0; Prod -> 1; Mean -> NaN (ints 0); Max -> -inf (ints: type
 * min); Min -> +inf (ints: type max); LogSum, LogSumExp -> -inf. */
void kk_reduce(kiln_rt_ctx *ctx, int32_t op, int32_t dtype, const void *x, void *y,
               int64_t outer, int64_t rlen, int64_t inner);

/* ArgMax/ArgMin over the middle axis of [outer, rlen, inner]; y is int64
 * [outer, inner]. Ties: first index, or last when select_last_index != 0.
 * NaN wins for both ArgMax and ArgMin (the first NaN, like numpy).
 * rlen must be >= 1. dtypes f32, f64, all integer types. */
void kk_argreduce(kiln_rt_ctx *ctx, int32_t op, int32_t dtype, const void *x, int64_t *y,
                  int64_t outer, int64_t rlen, int64_t inner, int32_t select_last_index);

/* ---- math_norm.c -------------------------------------------------------- */

enum { KK_SOFTMAX, KK_LOG_SOFTMAX, KK_HARDMAX };

/* Softmax / LogSoftmax / Hardmax of x over the middle axis of [outer, len,
 * inner] (opset 13 semantics; for opset < 13 the caller passes len = product
 * of dims from axis on, inner = 1). Stable: subtracts the max. Hardmax: 1 at
 * the first maximum, 0 elsewhere. dtype f32 or f64. len >= 1. */
void kk_softmax(kiln_rt_ctx *ctx, int32_t op, int32_t dtype, const void *x, void *y,
                int64_t outer, int64_t len, int64_t inner);

/* BatchNormalization, inference form: x, y are [N, C, spatial]; scale, bias,
 * mean, var are [C]; y = (x - mean) / sqrt(var + eps) * scale + bias.
 * dtype f32 or f64 (all tensors the same dtype). */
void kk_batchnorm(kiln_rt_ctx *ctx, int32_t dtype, const void *x, const void *scale,
                  const void *bias, const void *mean, const void *var, void *y,
                  int64_t N, int64_t C, int64_t spatial, float eps);

/* InstanceNormalization: x, y [N, C, spatial]; scale, bias [C]; statistics per
 * (n, c) over spatial (biased variance). dtype f32 or f64. */
void kk_instancenorm(kiln_rt_ctx *ctx, int32_t dtype, const void *x, const void *scale,
                     const void *bias, void *y, int64_t N, int64_t C, int64_t spatial,
                     float eps);

/* LayerNormalization (opset 17): x, y viewed as [outer, inner] where inner is
 * the product of dims from axis on; each row is normalised (biased variance)
 * then y = xhat * scale[j % scale_n] + bias[j % bias_n]. scale_n / bias_n must
 * divide inner: this covers scale shaped like the full normalised block or a
 * trailing suffix of it (leading 1s); other broadcast shapes must be expanded
 * by the caller to the full block. bias may be NULL (bias_n ignored).
 * mean_out, invstd_out: float[outer] (ONNX U = float) or NULL when the output
 * is not consumed. dtype f32 or f64 (x, scale, bias, y same dtype). */
void kk_layernorm(kiln_rt_ctx *ctx, int32_t dtype, const void *x, const void *scale,
                  int64_t scale_n, const void *bias, int64_t bias_n, void *y,
                  float *mean_out, float *invstd_out, int64_t outer, int64_t inner,
                  float eps);

/* LRN across channels: x, y [N, C, spatial]. For channel c the window is
 * [c - floor((size-1)/2), c + ceil((size-1)/2)] clipped to [0, C);
 * y = x / (bias + alpha/size * sum(x^2 over window))^beta. dtype f32/f64. */
void kk_lrn(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, int64_t N, int64_t C,
            int64_t spatial, int64_t size, float alpha, float beta, float bias);

/* ---- math_dropout.c ----------------------------------------------------- */

/* Philox-4x32-10 block function (Salmon, Moraes, Dror, Shaw, "Parallel Random
 * Numbers: As Easy as 1, 2, 3", SC'11): out = bijection of ctr under key. */
void kk_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);

/* Training-mode Dropout on elements [begin, end) of an n-element tensor
 * (0 <= begin <= end <= n; n itself is not needed beyond that contract).
 * key = {seed lo, seed hi}; for element i the counter is {b lo, b hi, node_id,
 * sample} with b = i / 4, and word i % 4 of the Philox output is u_i.
 * Element i is kept iff u_i >= floor(ratio * 2^32), so its fate depends only
 * on (seed, node_id, sample, i): any tiling gives the same result.
 * y = keep ? x * (1/(1-ratio)) (scale computed in the element type) : 0.
 * mask (BOOL, may be NULL) gets keep. ratio must be in [0, 1): otherwise
 * returns KILN_RUN_VALUE and writes nothing. dtype f32 or f64. y may equal x. */
int32_t kk_dropout_range(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y,
                         uint8_t *mask, float ratio, uint64_t seed, uint32_t node_id,
                         uint32_t sample, int64_t begin, int64_t end);

/* kk_dropout_range over the whole tensor [0, n). */
int32_t kk_dropout(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, uint8_t *mask,
                   int64_t n, float ratio, uint64_t seed, uint32_t node_id, uint32_t sample);

/* Dropout reading ratio and training_mode at run time (ONNX Dropout-12/13
 * inputs). ratio_ptr: one element of ratio_dtype (F32, F64, F16 or BF16), or
 * NULL for default_ratio. training_ptr: one BOOL, or NULL meaning false.
 * Not training (or ratio == 0): y = x, mask all 1. Otherwise as kk_dropout
 * (KILN_RUN_VALUE if the ratio is outside [0, 1)). */
int32_t kk_dropout_rt(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, uint8_t *mask,
                      int64_t n, const void *ratio_ptr, int32_t ratio_dtype,
                      const uint8_t *training_ptr, float default_ratio, uint64_t seed,
                      uint32_t node_id, uint32_t sample);

#endif
