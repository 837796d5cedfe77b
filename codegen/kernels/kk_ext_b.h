/* kk_ext_b.h — kernels of "ops wave B": ConvTranspose, Resize/Upsample,
 * GatherND, ScatterND, ScatterElements/Scatter, Einsum, ReverseSequence, Det,
 * MaxUnpool and RoiAlign. Same conventions as kk_nn.h (ctx first, may be
 * NULL in unit tests; dims/strides int64_t in elements; dense row-major
 * unless strides are passed; int32_t returns are KILN_RUN_* codes).
 * Definitions: ext_b.c. */
#ifndef KK_EXT_B_H
#define KK_EXT_B_H

#include <stdint.h>
#include "kiln_abi.h"

/* Largest rank the kernels here accept. */
#define KK_EXTB_MAX_RANK 8

/* ONNX ConvTranspose, NC(D)HW, 1-D/2-D passed as 3-D with leading spatial
 * dims 1 (like kk_conv_f32). X [N, C, D, H, W]; W [C, M/group, KD, KH, KW];
 * B [M] or NULL; Y [N, M, OD, OH, OW]. Input cell (z, y, x) with kernel tap
 * (kz, ky, kx) adds to output cell (z*sd + kz*dd - pd, ...) when inside the
 * output; p* are the begin pads (may be negative: output starts earlier).
 * C and M are multiples of group. */
void kk_convtranspose_f32(kiln_rt_ctx *ctx, const float *X, const float *W,
	const float *B, float *Y, int64_t N, int64_t C, int64_t D, int64_t H,
	int64_t Wd, int64_t M, int64_t OD, int64_t OH, int64_t OW,
	int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t group);
void kk_convtranspose_f64(kiln_rt_ctx *ctx, const double *X, const double *W,
	const double *B, double *Y, int64_t N, int64_t C, int64_t D, int64_t H,
	int64_t Wd, int64_t M, int64_t OD, int64_t OH, int64_t OW,
	int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t group);

/* Resize modes and coordinate transformations (ONNX Resize attributes). */
enum { KK_RESIZE_NEAREST = 0, KK_RESIZE_LINEAR = 1, KK_RESIZE_CUBIC = 2 };
enum {
	KK_COORD_HALF_PIXEL = 0, KK_COORD_ASYMMETRIC = 1, KK_COORD_ALIGN_CORNERS = 2,
	KK_COORD_PYTORCH_HALF_PIXEL = 3, KK_COORD_TF_CROP_AND_RESIZE = 4,
	KK_COORD_TF_HALF_PIXEL_FOR_NN = 5
};
enum {
	KK_NEAREST_ROUND_PREFER_FLOOR = 0, KK_NEAREST_ROUND_PREFER_CEIL = 1,
	KK_NEAREST_FLOOR = 2, KK_NEAREST_CEIL = 3
};

/* ONNX Resize (opsets 10-13) and Upsample on f32: X dense [in_dims], Y dense
 * [out_dims], rank 1..KK_EXTB_MAX_RANK. scales (rank floats, may be run-time
 * data) gives the per-axis scale; NULL means out_dims[k] / in_dims[k]. roi
 * (2*rank floats: starts then ends) is read only for
 * KK_COORD_TF_CROP_AND_RESIZE; there a sample outside the input gives
 * extrapolation. Linear and cubic interpolate separably over every axis
 * (edge samples repeated unless exclude_outside, which drops them and
 * renormalises the cubic weights). */
void kk_resize_f32(kiln_rt_ctx *ctx, const float *X, float *Y, int32_t rank,
	const int64_t *in_dims, const int64_t *out_dims, const float *scales,
	const float *roi, int32_t mode, int32_t coord, int32_t nearest_mode,
	float cubic_a, int32_t exclude_outside, float extrapolation);

/* ONNX GatherND: data viewed as [batch, data_dims...] (ndd dims after the
 * batch dims), indices int64 [batch, n_idx, k], out [batch, n_idx, slice]
 * where slice = product of data_dims[k..ndd). Negative indices count from
 * the end; out of range returns KILN_RUN_INDEX. */
int32_t kk_gathernd(kiln_rt_ctx *ctx, int64_t elem_size, const void *data,
	const int64_t *indices, void *out, int64_t batch, int64_t n_idx, int32_t k,
	int32_t ndd, const int64_t *data_dims);

/* Scatter reductions. */
enum { KK_SCATTER_NONE = 0, KK_SCATTER_ADD = 1, KK_SCATTER_MUL = 2 };

/* ONNX ScatterND: out (dense [data_dims], rank r) must already hold a copy of
 * data. indices int64 [n_idx, k]; updates [n_idx, slice] with slice the
 * product of data_dims[k..r). Each index tuple selects a slice of out that
 * gets its update (replaced, added or multiplied; add/mul need dtype f32,
 * f64, i32 or i64 as KK_DT codes 1, 11, 6, 7). KILN_RUN_INDEX when out of
 * range. */
int32_t kk_scatternd(kiln_rt_ctx *ctx, int32_t dtype, int64_t elem_size, void *out,
	const int64_t *indices, const void *updates, int64_t n_idx, int32_t k,
	int32_t r, const int64_t *data_dims, int32_t reduction);

/* ONNX ScatterElements / Scatter: out (dense [data_dims]) must already hold a
 * copy of data. indices (index_dtype 6 int32 or 7 int64) and updates share
 * dims idx_dims[rank]; out[p with p[axis] := indices[p]] op= updates[p].
 * Negative indices wrap once; out of range returns KILN_RUN_INDEX. */
int32_t kk_scatter_elements(kiln_rt_ctx *ctx, int32_t dtype, int64_t elem_size,
	void *out, const void *indices, int32_t index_dtype, const void *updates,
	int32_t rank, const int64_t *idx_dims, const int64_t *data_dims,
	int32_t axis, int32_t reduction);

/* Generic Einsum over nl index letters with extents dims[nl]: for every
 * assignment of the letters, Y[sum_l i_l*ys[l]] += prod_o op_o[sum_l
 * i_l*s_o[l]] for the nops (1..3) operands A, B, C (unused ones NULL).
 * Strides are in elements; a letter repeated in one operand has its strides
 * summed by the caller (diagonal); letters absent from an operand or the
 * output have stride 0. Y (ny elements) is zeroed first. dtype: KK_DT code,
 * f32, f64, i32 or i64. */
void kk_einsum(kiln_rt_ctx *ctx, int32_t dtype, int32_t nops, const void *A,
	const void *B, const void *C, void *Y, int64_t ny, int32_t nl,
	const int64_t *dims, const int64_t *as, const int64_t *bs,
	const int64_t *cs, const int64_t *ys);

/* ONNX ReverseSequence: X and Y dense [dims] (rank >= 2); for batch b (along
 * batch_axis) the first lens[b] steps along time_axis are reversed, the rest
 * copied. lens int64; a length outside [0, dims[time_axis]] returns
 * KILN_RUN_VALUE. */
int32_t kk_reverse_sequence(kiln_rt_ctx *ctx, int64_t elem_size, const void *X,
	void *Y, int32_t rank, const int64_t *dims, int32_t batch_axis,
	int32_t time_axis, const int64_t *lens);

/* ONNX Det: X [batch, n, n], Y [batch]; LU with partial pivoting in double
 * on the stack, so n <= 64 (larger n gives NaN; the lowering rejects it). */
void kk_det_f32(kiln_rt_ctx *ctx, const float *X, float *Y, int64_t batch, int64_t n);
void kk_det_f64(kiln_rt_ctx *ctx, const double *X, double *Y, int64_t batch, int64_t n);

/* ONNX MaxUnpool: Y (dense [out_dims], rank dims) is zeroed, then X[i] is
 * stored at the coordinates of flat index I[i] taken in the default unpool
 * shape def_dims (the MaxPool input shape; equal to out_dims unless
 * output_shape was given), for i in [0, nx). An index outside def_dims or
 * out_dims returns KILN_RUN_INDEX. */
int32_t kk_maxunpool(kiln_rt_ctx *ctx, int64_t elem_size, const void *X,
	const int64_t *I, void *Y, int64_t nx, int32_t rank, const int64_t *def_dims,
	const int64_t *out_dims);

/* ONNX RoiAlign on f32: X [N, C, H, W], rois [R, 4] (x1, y1, x2, y2),
 * batch_idx int64 [R], Y [R, C, OH, OW]. mode 0 avg, 1 max; half_pixel
 * shifts coordinates by -0.5 (and keeps small rois); sampling_ratio 0 means
 * ceil(roi size / output size) samples per bin. A batch index out of range
 * returns KILN_RUN_INDEX. */
int32_t kk_roialign_f32(kiln_rt_ctx *ctx, const float *X, const float *rois,
	const int64_t *batch_idx, float *Y, int64_t N, int64_t C, int64_t H,
	int64_t Wd, int64_t R, int64_t OH, int64_t OW, int32_t mode,
	float spatial_scale, int64_t sampling_ratio, int32_t half_pixel);

#endif
