/* kk_ext_a.h — kernels of "ops wave A": NegativeLogLikelihoodLoss and
 * SoftmaxCrossEntropyLoss, Trilu, CumSum, Shrink, EyeLike, OneHot,
 * MeanVarianceNormalization and TopK. Linked as bitcode into compiled models
 * like kk_math.h; same conventions: ctx may be NULL, dtype codes are ONNX
 * TensorProto.DataType numbers (KK_DT_* of kk_math.h), counts/dims int64_t. */
#ifndef KK_EXT_A_H
#define KK_EXT_A_H

#include <stdint.h>
#include "kiln_abi.h"

/* Loss reductions (ONNX attribute "reduction"). */
enum { KK_LOSS_NONE, KK_LOSS_SUM, KK_LOSS_MEAN };

/* NegativeLogLikelihoodLoss: x (log-probabilities) viewed as [N, C, D]
 * (D = product of the spatial dims, 1 when none), target [N, D] of tdtype
 * (I32 or I64), weight [C] or NULL (all 1). For each (n, d) with
 * t = target != ignore_index: l = -x[n, t, d] * w[t]; ignored entries give 0
 * and weigh 0. NONE writes loss [N, D]; SUM writes one element; MEAN writes
 * sum(l) / sum(w[t]) over non-ignored entries (0/0 = NaN when all are
 * ignored). dtype F32 or F64 (x, weight, loss alike); sums in double.
 * Returns KILN_RUN_INDEX (writing nothing useful) when a non-ignored target
 * is outside [0, C). */
int32_t kk_nll_loss(kiln_rt_ctx *ctx, int32_t dtype, const void *x, const void *target,
                    int32_t tdtype, const void *weight, void *loss, int64_t N, int64_t C,
                    int64_t D, int64_t ignore_index, int32_t reduction);

/* SoftmaxCrossEntropyLoss: log_softmax of scores x [N, C, D] over C, then
 * kk_nll_loss on it. log_prob ([N, C, D], may be NULL) receives the
 * log-softmax. Same dtypes, target, weight and error contract as kk_nll_loss. */
int32_t kk_sce_loss(kiln_rt_ctx *ctx, int32_t dtype, const void *x, const void *target,
                    int32_t tdtype, const void *weight, void *loss, void *log_prob,
                    int64_t N, int64_t C, int64_t D, int64_t ignore_index,
                    int32_t reduction);

/* Trilu over a batch of [rows, cols] matrices (dense, elem_size bytes per
 * element, any dtype): keeps element (i, j) when j - i >= k (upper) or
 * j - i <= k (lower), writes 0 elsewhere. k is read from kptr (one element of
 * kdtype I32/I64), or 0 when kptr is NULL. y may equal x. */
void kk_trilu(kiln_rt_ctx *ctx, int64_t elem_size, const void *x, void *y, int64_t batch,
              int64_t rows, int64_t cols, const void *kptr, int32_t kdtype, int32_t upper);

/* CumSum of x (dense, rank dims) along the axis read from axis_ptr (one
 * element of adtype I32/I64, negative counts from the end). exclusive: the
 * element itself is left out; reverse: sums run from the end. dtype F32, F64,
 * I32, I64, U32, U64. Returns KILN_RUN_VALUE when the axis is out of range
 * (rank 0 is treated as rank 1). y must not overlap x. */
int32_t kk_cumsum(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, int32_t rank,
                  const int64_t *dims, const void *axis_ptr, int32_t adtype,
                  int32_t exclusive, int32_t reverse);

/* Shrink: y = x < -lambd ? x + bias : x > lambd ? x - bias : 0, computed in
 * double and stored in dtype (F32, F64 and every integer type). y may equal x. */
void kk_shrink(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, int64_t n,
               float lambd, float bias);

/* EyeLike: y [rows, cols] of dtype (F32, F64, BOOL and every integer type)
 * with 1 where j - i == k and 0 elsewhere. */
void kk_eyelike(kiln_rt_ctx *ctx, int32_t dtype, void *y, int64_t rows, int64_t cols,
                int64_t k);

/* OneHot: indices viewed as [outer, inner] of idtype (any numeric dtype;
 * floats truncate toward zero); y [outer, depth, inner] of elem_size bytes:
 * y[o, d, i] = on if d == idx (idx < 0 counts from depth) else off, where
 * values holds {off, on} (two elements). Out-of-range indices give an all-off
 * row. */
void kk_onehot(kiln_rt_ctx *ctx, int32_t idtype, const void *indices, int64_t elem_size,
               const void *values, void *y, int64_t outer, int64_t depth, int64_t inner);

/* MeanVarianceNormalization: x, y dense [dims] (rank <= 8), dtype F32/F64.
 * For each index of the axes with mask[k] == 0, over the axes with
 * mask[k] != 0: y = (x - mean) / (sqrt(mean(x^2) - mean^2) + 1e-9). */
void kk_mvn(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, int32_t rank,
            const int64_t *dims, const int32_t *mask);

/* TopK along the middle axis of x [outer, len, inner] (dtype F32, F64, I32,
 * I64): values [outer, k, inner] and int64 indices likewise. largest picks the
 * k largest (else smallest); the output is ordered best first. Ties keep the
 * lower index first. NaN counts as larger than every number. 0 <= k <= len.
 * Selection by repeated scans: O(k * len) per row, no memory; always
 * returns KILN_RUN_OK. */
int32_t kk_topk(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *values,
                int64_t *indices, int64_t outer, int64_t len, int64_t inner, int64_t k,
                int32_t largest);

#endif
