/* kk_nn.h — the "nn and data movement" kernels that codegen links into every
 * compiled model as bitcode: GEMM/MatMul, convolution, pooling, and
 * dtype-agnostic data movement (strided copy, tile, gather, pad, range, fill).
 * Kernels are generic C written so that constant arguments (dims, strides,
 * attributes) specialise them after inlining; no malloc, no global state.
 * Definitions: nn_gemm.c, nn_conv.c, nn_pool.c, nn_move.c. */
#ifndef KK_NN_H
#define KK_NN_H

#include <stdint.h>
#include "kiln_abi.h"

/* Conventions for every kernel here:
 * - ctx is the run context (unused for now; may be NULL in unit tests).
 * - Tensors are dense row-major unless strides are passed; dims are int64_t.
 * - Outputs never alias inputs unless a contract says so.
 * - Kernels returning int32_t return KILN_RUN_OK (0) or a KILN_RUN_* code;
 *   on error the output contents are unspecified. */

/* ---- nn_gemm.c ------------------------------------------------------- */

/* ONNX Gemm: Y[M,N] = alpha * op(A) * op(B) + beta * C.
 * A is [M,K] (transA == 0) or [K,M] (transA != 0); B is [K,N] or [N,K].
 * C may be NULL (no bias term); otherwise element (i,j) of the broadcast C is
 * C[i*c_rs + j*c_cs] (strides in elements, 0 on broadcast dims: a scalar C has
 * c_rs = c_cs = 0, a [N] C has c_rs = 0, c_cs = 1, an [M,1] C has c_rs = 1,
 * c_cs = 0). M, N >= 1; K >= 0 (K == 0 gives beta*C). */
void kk_gemm_f32(kiln_rt_ctx *ctx, const float *A, const float *B, const float *C,
	float *Y, int64_t M, int64_t N, int64_t K, int32_t transA, int32_t transB,
	float alpha, float beta, int64_t c_rs, int64_t c_cs);
void kk_gemm_f64(kiln_rt_ctx *ctx, const double *A, const double *B, const double *C,
	double *Y, int64_t M, int64_t N, int64_t K, int32_t transA, int32_t transB,
	double alpha, double beta, int64_t c_rs, int64_t c_cs);

/* B pre-packed at compile time (constant weights) in the panel layout of
 * kk_pack.h: kk_gemm_pb_f32 is kk_gemm_f32 on such a B; kk_matmul_pb_f32 is
 * Y[M,N] = alpha * (A[M,K] * B + bias) (bias: [N] or NULL). Both end with the fused
 * epilogue Y = clamp(Y + R, lo, hi), R NULL or dense [M,N] (a residual Add),
 * lo/hi -INFINITY/INFINITY for none (Relu: 0/INFINITY); kk_gemm_pb_f32 takes
 * a non-NULL R or a finite bound only with C absent or a row vector over N
 * (c_rs == 0, c_cs == 1). */
void kk_gemm_pb_f32(kiln_rt_ctx *ctx, const float *A, const float *Bp, const float *C,
	float *Y, int64_t M, int64_t N, int64_t K, int32_t transA, float alpha, float beta,
	int64_t c_rs, int64_t c_cs, const float *R, float lo, float hi);
void kk_matmul_pb_f32(kiln_rt_ctx *ctx, const float *A, const float *Bp, float *Y,
	int64_t M, int64_t N, int64_t K, float alpha, const float *bias, const float *R,
	float lo, float hi);

/* Batched MatMul: for b in [0,batch): Y[b] (M x N, dense, batch stride M*N)
 * = A[b*a_batch_stride] (M x K row-major) * B[b*b_batch_stride] (K x N
 * row-major). A batch stride of 0 broadcasts that operand over the batch.
 * 1-D operands: the caller sets M = 1 (vector A) or N = 1 (vector B).
 * Integer variants wrap around on overflow (two's complement). */
void kk_matmul_f32(kiln_rt_ctx *ctx, const float *A, const float *B, float *Y,
	int64_t batch, int64_t M, int64_t N, int64_t K,
	int64_t a_batch_stride, int64_t b_batch_stride);
/* Batched MatMul over strided views (f32): for batch (p, q) in [0,nb0) x
 * [0,nb1), Y(p,q) = A(p,q) * B(p,q) with A(p,q)(i,k) = A[p*sa0 + q*sa1 +
 * i*a_rs + k*a_ks], B(p,q)(k,j) = B[p*sb0 + q*sb1 + k*b_ks + j*b_ns] (b_ks
 * or b_ns is 1) and Y(p,q)(i,j) = Y[p*sy0 + q*sy1 + i*y_rs + j]: MatMul
 * reading and writing transposed views in place (passes/matmul_layout.c). */
void kk_matmul_strided_f32(kiln_rt_ctx *ctx, const float *A, const float *B, float *Y,
	int64_t nb0, int64_t nb1, int64_t M, int64_t N, int64_t K,
	int64_t sa0, int64_t sa1, int64_t a_rs, int64_t a_ks,
	int64_t sb0, int64_t sb1, int64_t b_ks, int64_t b_ns,
	int64_t sy0, int64_t sy1, int64_t y_rs);
void kk_matmul_f64(kiln_rt_ctx *ctx, const double *A, const double *B, double *Y,
	int64_t batch, int64_t M, int64_t N, int64_t K,
	int64_t a_batch_stride, int64_t b_batch_stride);
void kk_matmul_i32(kiln_rt_ctx *ctx, const int32_t *A, const int32_t *B, int32_t *Y,
	int64_t batch, int64_t M, int64_t N, int64_t K,
	int64_t a_batch_stride, int64_t b_batch_stride);
void kk_matmul_i64(kiln_rt_ctx *ctx, const int64_t *A, const int64_t *B, int64_t *Y,
	int64_t batch, int64_t M, int64_t N, int64_t K,
	int64_t a_batch_stride, int64_t b_batch_stride);

/* ---- nn_conv.c ------------------------------------------------------- */

/* ONNX Conv, NC(D)HW. 1-D and 2-D convolutions are passed as 3-D with the
 * missing leading spatial dims set to 1 (D = OD = KD = 1, stride/dilation 1,
 * pad 0), which costs nothing at run time.
 * X [N, C, D, H, W]; W [M, C/group, KD, KH, KW]; B [M] or NULL;
 * Y [N, M, OD, OH, OW]. s* strides, d* dilations, p* pads at the beginning
 * of each axis; the end pads are implied by the output dims (the caller
 * resolves auto_pad). Input cells outside [0,D)x[0,H)x[0,W) count as 0.
 * C and M are multiples of group. kk_conv_f32 also takes Wp: NULL, or W
 * pre-packed (compile time, constant weights) per group as the A slivers of
 * kk_pack.h (group g's [M/group, C/group*KD*KH*KW] matrix at
 * Wp + g * kk_packed_a_floats(M/group, C/group*KD*KH*KW)); W may then be
 * NULL. Codegen packs only where C/group > 1 and M/group > 1 (the paths
 * that read Wp).
 * Its epilogue: Y = clamp(conv + B + R, lo, hi) where R (NULL or a tensor
 * shaped like Y: a fused residual Add) and the clamp (-INFINITY/INFINITY for
 * none, 0/INFINITY for a fused Relu, Clip's bounds) are applied as the
 * output is stored; NaN passes through the clamp. Image n of Y starts at
 * Y + n * y_ns (0: M*OD*OH*OW, dense; larger: Y is the block of a channel
 * Concat's output that this Conv fills in place, codegen/plan.c).
 * S: NULL, or kk_conv_pad_floats(C, OH, OW, KH, KW, sh, sw, dh, dw) floats
 * of scratch (kk_pack.h) for a 2-D convolution with Wp: each image is then
 * zero-padded there first and every pixel block packed by vector loads
 * alone (used when kk_conv_pad_ok(OW, KH*KW, sw)). */
void kk_conv_f32(kiln_rt_ctx *ctx, const float *X, const float *W, const float *Wp,
	const float *B,
	float *Y, int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd,
	int64_t M, int64_t OD, int64_t OH, int64_t OW,
	int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t group,
	const float *R, float lo, float hi, int64_t y_ns, float *S);
/* kk_conv_f32 for 2-D, group 1, as the product transposed: Y^T[P, M] =
 * im2col(X)^T[P, K] * W^T[K, M] (P = OH*OW, K = C*KH*KW), then Y from Y^T
 * with the same epilogue. For small images, where P leaves the GEMM's
 * 16-pixel blocks partly empty (7x7: 49 of 64) and its 6-row slivers do not
 * (49 of 54). Bp: W^T packed as B panels (kk_pack_b_layout of W, transB);
 * S: scratch of kk_conv_t_floats(K, P, M, kk_conv_is_pointwise(...)) floats
 * (kk_pack.h: no im2col copy when X is the im2col matrix). */
void kk_conv_t_f32(kiln_rt_ctx *ctx, const float *X, const float *Bp, const float *B,
	float *Y, int64_t N, int64_t C, int64_t H, int64_t Wd, int64_t M, int64_t OH, int64_t OW,
	int64_t KH, int64_t KW, int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t ph,
	int64_t pw, const float *R, float lo, float hi, int64_t y_ns, float *S);
/* kk_conv_f32 for 2-D 3x3 convolutions at stride 1, dilation 1, group 1, by
 * Winograd F(r x r, 3x3), r = 2 or 4: per image, each tile's (r + 2) x
 * (r + 2) input patch d becomes B^T d B (a point per cell), the points are
 * as many products [M, C] x [C, tiles] (a pointwise convolution in
 * kk_wino_points(r) groups, through kk_conv_f32's tile loops), and each
 * tile's r x r outputs are A^T m A of its products, with the epilogue. 16 /
 * 4 = 4 (r 2) or 36 / 16 = 2.25 (r 4) multiply-adds per output and (m, c)
 * instead of 9. Up: the weights as kk_wino_weights lays them out for r,
 * packed per point as A slivers (kk_pack_a_layout of each M x C matrix,
 * kk_packed_a_floats(M, C) apart). ph, pw: the begin pads (the end pads are
 * implied by OH, OW). S: scratch of kk_wino_floats(C, M, OH, OW, r) floats;
 * needs kk_wino_ok(OW, r), C > 1, M > 1. */
void kk_conv_wino_f32(kiln_rt_ctx *ctx, const float *X, const float *Up, const float *B,
	float *Y, int64_t N, int64_t C, int64_t H, int64_t Wd, int64_t M, int64_t OH, int64_t OW,
	int64_t ph, int64_t pw, int64_t r, const float *R, float lo, float hi, int64_t y_ns,
	float *S);
/* KilnConvPool (nn_conv.c): Y [N, M, POH, POW] = a 3x3 stride-2 MaxPool
 * (no pads) of clamp(conv(X, W) + B, lo, hi), the convolution 2-D, group 1,
 * dilation 1, as kk_conv_f32 takes it (W [M, C, KH, KW] as given, B NULL
 * for none) within the few-input-channel bounds (kk_conv_fewc_ok), its
 * output [N, M, OH, OW] never stored whole; POH = (OH - 3) / 2 + 1,
 * likewise POW >= 8; S: kk_convpool_floats(M, OW) floats of scratch. */
void kk_conv_maxpool_f32(kiln_rt_ctx *ctx, const float *X, const float *W, const float *B,
	float *Y, int64_t N, int64_t C, int64_t H, int64_t Wd, int64_t M, int64_t OH, int64_t OW,
	int64_t KH, int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw, float lo,
	float hi, int64_t POH, int64_t POW, float *S);

/* KilnConvPwDw (nn_pwdw.c): Y = clamp(dw(T) + B2, lo2, hi2) where T =
 * clamp(W1 X + B1, lo1, hi1) is a pointwise convolution (X [N, K, H, W],
 * W1 [C, K]) and dw a depthwise 3x3 one (W2 [C, 1, 3, 3]) with pads 1 and
 * stride s (1 or 2): Y [N, C, OH, OW], OH = (H - 1) / s + 1, likewise OW.
 * C a multiple of 8, H W >= 6 (its pixel tile). Wt: W1 as kk_pwdw_pack_w
 * lays it out (kk_pack.h); B1, B2 NULL for none; y_ns as kk_conv_f32's;
 * S: kk_pwdw_scratch(C, H, W, W3p != NULL) floats of scratch. With W3p (W3
 * [M, C] as kk_pack_a_layout packs it) the depthwise
 * output goes on through a pointwise projection: Y [N, M, OH, OW] =
 * clamp(W3 dw(T) + B3 + R, lo3, hi3), R (NULL: none) dense [N, M, OH, OW];
 * else B3, R, M, lo3 and hi3 are unused. With a projection Wt may be NULL:
 * no pointwise half, T = X (K = C; B1, lo1, hi1 unused). */
void kk_conv_pwdw_f32(kiln_rt_ctx *ctx, const float *X, const float *Wt, const float *B1,
	const float *W2, const float *B2, const float *W3p, const float *B3, const float *R,
	float *Y, int64_t N, int64_t K, int64_t C, int64_t M, int64_t H, int64_t W, int64_t OH,
	int64_t OW, int64_t s, float lo1, float hi1, float lo2, float hi2, float lo3, float hi3,
	int64_t y_ns, float *S);
/* KilnConvPwDw with a stem as its first half: T = clamp(conv3x3(X) + Bs,
 * lo1, hi1), X [N, C0, H0, W0], Ws [C, C0, 3, 3] as kk_pwdw_pack_w packs
 * it with K = 9 C0, pads 1, stride s1 (1 or 2): T [N, C, H, W], H = (H0 -
 * 1) / s1 + 1, likewise W, W >= 6 (the pixel tile), C0 <= KK_CONV_FEWC_MAXC
 * and 2 (W + 15) <= KK_CONV_FEWC_ROW (its buffered rows); the rest as
 * kk_conv_pwdw_f32's with K = C. */
void kk_conv_stem_pwdw_f32(kiln_rt_ctx *ctx, const float *X, const float *Ws,
	const float *Bs, const float *W2, const float *B2, const float *W3p, const float *B3,
	const float *R, float *Y, int64_t N, int64_t C0, int64_t H0, int64_t W0, int64_t s1,
	int64_t C, int64_t M, int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t s, float lo1,
	float hi1, float lo2, float hi2, float lo3, float hi3, int64_t y_ns, float *S);
void kk_conv_f64(kiln_rt_ctx *ctx, const double *X, const double *W, const double *B,
	double *Y, int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd,
	int64_t M, int64_t OD, int64_t OH, int64_t OW,
	int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t group);

/* ---- nn_pool.c ------------------------------------------------------- */

/* ONNX MaxPool, NC(D)HW, 1-D/2-D passed as 3-D like kk_conv_f32.
 * X [N, C, D, H, W]; Y [N, C, OD, OH, OW]; the caller computes OD/OH/OW
 * (floor or ceil mode, auto_pad). Window cells outside the input (padding,
 * or past the end in ceil mode) are ignored. A window with no input cell
 * gives -inf (0 for u8; never happens for valid ONNX attributes).
 * I (int64 [N, C, OD, OH, OW]) may be NULL; else it gets the ONNX Indices
 * output: the flat index into X of the max (first one on ties), counting the
 * batch and channel offset. storage_order 0: row-major index
 * ((n*C+c)*D+z)*H*W + y*W + x; storage_order 1 (column-major, 2-D only in
 * ONNX): (n*C+c)*D*H*W + x*H + y (for D == 1). */
void kk_maxpool_f32(kiln_rt_ctx *ctx, const float *X, float *Y, int64_t *I,
	int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd,
	int64_t OD, int64_t OH, int64_t OW, int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int32_t storage_order);
void kk_maxpool_f64(kiln_rt_ctx *ctx, const double *X, double *Y, int64_t *I,
	int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd,
	int64_t OD, int64_t OH, int64_t OW, int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int32_t storage_order);
void kk_maxpool_u8(kiln_rt_ctx *ctx, const uint8_t *X, uint8_t *Y, int64_t *I,
	int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd,
	int64_t OD, int64_t OH, int64_t OW, int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int32_t storage_order);

/* ONNX AveragePool, same layout and window rules as kk_maxpool_f32 (pass
 * dilations 1 for opsets without them). pe* are the end pads (pads[rank+i]).
 * count_include_pad == 0: the divisor is the number of window cells inside
 * the input. count_include_pad != 0: the divisor is the number of window
 * cells inside the padded input [-p, size + pe) — ceil-mode windows that
 * run past the end padding are clipped there, as the ONNX tests expect. */
void kk_avgpool_f32(kiln_rt_ctx *ctx, const float *X, float *Y,
	int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd,
	int64_t OD, int64_t OH, int64_t OW, int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t ped, int64_t peh, int64_t pew,
	int32_t count_include_pad);
void kk_avgpool_f64(kiln_rt_ctx *ctx, const double *X, double *Y,
	int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd,
	int64_t OD, int64_t OH, int64_t OW, int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t ped, int64_t peh, int64_t pew,
	int32_t count_include_pad);

/* GlobalAveragePool / GlobalMaxPool: X viewed as [NC, spatial], Y [NC].
 * op: KK_POOL_AVG or KK_POOL_MAX. spatial >= 1. */
enum { KK_POOL_AVG = 0, KK_POOL_MAX = 1 };
void kk_global_pool_f32(kiln_rt_ctx *ctx, int32_t op, const float *X, float *Y,
	int64_t NC, int64_t spatial);
void kk_global_pool_f64(kiln_rt_ctx *ctx, int32_t op, const double *X, double *Y,
	int64_t NC, int64_t spatial);

/* ---- nn_move.c ------------------------------------------------------- */
/* Data movement is dtype-agnostic: elem_size is 1, 2, 4 or 8 bytes (other
 * sizes work through a byte-copy fallback). Ranks are 0..KK_MAX_RANK. */
#define KK_MAX_RANK 8

/* dst[sum_k i_k*dst_strides[k]] = src[sum_k i_k*src_strides[k]] for every
 * index (i_0..i_{rank-1}) < dims. Strides are in elements and may be 0
 * (broadcast, src only) or negative; dst must not overlap src. rank 0 copies
 * one element. Transpose = permuted src strides; Slice = offset src pointer +
 * scaled strides; Expand = 0 src strides; Concat/Split = one call per piece
 * with the big tensor's strides. Contiguous innermost runs in both become
 * memcpy-like loops. Any dim 0 copies nothing. */
void kk_copy_strided(kiln_rt_ctx *ctx, int64_t elem_size, int32_t rank,
	const int64_t *dims, const void *src, const int64_t *src_strides,
	void *dst, const int64_t *dst_strides);

/* ONNX Tile: out_dims[k] = in_dims[k] * repeats[k]; src dense [in_dims],
 * dst dense [out_dims]. out[i] = in[i mod in_dims] per axis. */
void kk_tile(kiln_rt_ctx *ctx, int64_t elem_size, int32_t rank,
	const int64_t *out_dims, const int64_t *in_dims, const void *src, void *dst);

/* ONNX Gather with data viewed as [outer, axis_len, inner] and indices as a
 * flat list of n_indices values of index_dtype (6 int32 or 7 int64):
 * out[o, j, i] = data[o, idx_j, i], out dense [outer, n_indices, inner].
 * Negative indices count from the end; an index outside [-axis_len,
 * axis_len) returns KILN_RUN_INDEX. */
int32_t kk_gather(kiln_rt_ctx *ctx, int64_t elem_size, const void *data,
	const void *indices, int32_t index_dtype, void *out,
	int64_t outer, int64_t axis_len, int64_t inner, int64_t n_indices);

/* ONNX GatherElements: out and indices share dims out_dims[rank]; data has
 * data_dims[rank]; out[p] = data[p with p[axis] := indices[p]] (negative
 * indices wrap once; out of range -> KILN_RUN_INDEX). index_dtype 6 or 7.
 * rank >= 1. */
int32_t kk_gather_elements(kiln_rt_ctx *ctx, int64_t elem_size, const void *data,
	const void *indices, int32_t index_dtype, void *out, int32_t rank,
	const int64_t *out_dims, const int64_t *data_dims, int32_t axis);

/* ONNX Pad. src dense [in_dims], dst dense [out_dims] with out_dims[k] =
 * in_dims[k] + pads_begin[k] + pads_end[k]; pads may be negative (crop).
 * out[o] = in[o - pads_begin] where inside; outside: mode KK_PAD_CONSTANT
 * writes *constant_value (one element of elem_size bytes; NULL means zero
 * bytes), KK_PAD_REFLECT mirrors without repeating the edge (needs
 * in_dims[k] >= 2 on padded axes, larger pads reflect back and forth),
 * KK_PAD_EDGE repeats the edge element. in_dims[k] == 0 with a non-constant
 * mode on a padded axis is not allowed (ONNX leaves it undefined). */
enum { KK_PAD_CONSTANT = 0, KK_PAD_REFLECT = 1, KK_PAD_EDGE = 2 };
void kk_pad(kiln_rt_ctx *ctx, int64_t elem_size, int32_t mode, int32_t rank,
	const int64_t *in_dims, const int64_t *out_dims, const int64_t *pads_begin,
	const void *src, void *dst, const void *constant_value);

/* ONNX Range: out[i] = start + i * delta for i in [0, n), dtype an ONNX dtype
 * code (1 f32, 11 f64, 2 u8, 3 i8, 4 u16, 5 i16, 6 i32, 7 i64, 12 u32,
 * 13 u64); start/delta point at one element of that dtype. The caller
 * computes n = max(ceil((limit - start) / delta), 0). Floating types compute
 * start + i*delta in the element type; unknown dtypes assert. */
void kk_range(kiln_rt_ctx *ctx, int32_t dtype, const void *start,
	const void *delta, void *out, int64_t n);

/* Writes n copies of the elem_size-byte element *value to dst. */
void kk_fill(kiln_rt_ctx *ctx, int64_t elem_size, const void *value, void *dst,
	int64_t n);

#endif
