/* ext_b.c — kernels of "ops wave B" (contracts in kk_ext_b.h): transposed
 * convolution, Resize, GatherND/ScatterND/ScatterElements, a generic Einsum
 * loop nest, ReverseSequence, Det, MaxUnpool and RoiAlign. Plain C11, no
 * malloc, compiled to bitcode and inlined into model modules. */
#include <math.h>
#include <string.h>

#include "kk_ext_b.h"

/* ---- ConvTranspose ---------------------------------------------------- */

#define CONVT_BODY(T)                                                            \
	int64_t cg_ = C / group, mg = M / group, osp = OD * OH * OW;                   \
	int64_t isp = D * H * Wd, ksp = KD * KH * KW;                                  \
	for (int64_t n = 0; n < N; n++)                                                \
		for (int64_t m = 0; m < M; m++) {                                          \
			T *y = Y + (n * M + m) * osp;                                          \
			T b0 = B ? B[m] : (T)0;                                                \
			for (int64_t i = 0; i < osp; i++)                                      \
				y[i] = b0;                                                         \
		}                                                                          \
	for (int64_t n = 0; n < N; n++)                                                \
	for (int64_t c = 0; c < C; c++) {                                              \
		int64_t g = c / cg_;                                                       \
		const T *x = X + (n * C + c) * isp;                                        \
		for (int64_t mm = 0; mm < mg; mm++) {                                      \
			int64_t m = g * mg + mm;                                               \
			T *y = Y + (n * M + m) * osp;                                          \
			const T *w = W + (c * mg + mm) * ksp;                                  \
			for (int64_t kz = 0; kz < KD; kz++)                                    \
			for (int64_t ky = 0; ky < KH; ky++)                                    \
			for (int64_t kx = 0; kx < KW; kx++) {                                  \
				T wv = w[(kz * KH + ky) * KW + kx];                                \
				for (int64_t z = 0; z < D; z++) {                                  \
					int64_t oz = z * sd + kz * dd - pd;                            \
					if (oz < 0 || oz >= OD)                                        \
						continue;                                                  \
					for (int64_t yy = 0; yy < H; yy++) {                           \
						int64_t oy = yy * sh + ky * dh - ph;                       \
						if (oy < 0 || oy >= OH)                                    \
							continue;                                              \
						const T *xr = x + (z * H + yy) * Wd;                       \
						T *yr = y + (oz * OH + oy) * OW;                           \
						for (int64_t xx = 0; xx < Wd; xx++) {                      \
							int64_t ox = xx * sw + kx * dw - pw;                   \
							if (ox >= 0 && ox < OW)                                \
								yr[ox] += xr[xx] * wv;                             \
						}                                                          \
					}                                                              \
				}                                                                  \
			}                                                                      \
		}                                                                          \
	}

void kk_convtranspose_f32(kiln_rt_ctx *ctx, const float *X, const float *W,
	const float *B, float *Y, int64_t N, int64_t C, int64_t D, int64_t H,
	int64_t Wd, int64_t M, int64_t OD, int64_t OH, int64_t OW,
	int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t group)
{
	(void)ctx;
	CONVT_BODY(float)
}

void kk_convtranspose_f64(kiln_rt_ctx *ctx, const double *X, const double *W,
	const double *B, double *Y, int64_t N, int64_t C, int64_t D, int64_t H,
	int64_t Wd, int64_t M, int64_t OD, int64_t OH, int64_t OW,
	int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t group)
{
	(void)ctx;
	CONVT_BODY(double)
}

/* ---- Resize ------------------------------------------------------------ */

/* Source coordinate of output index o along one axis; out is the resized
 * length: in * scale when scales are given (not rounded, as the ONNX
 * reference computes it), else the output dim. */
static double rs_coord(int32_t coord, double o, int64_t in, double out, double scale,
		       double r0, double r1)
{
	switch (coord) {
	case KK_COORD_ASYMMETRIC: return o / scale;
	case KK_COORD_ALIGN_CORNERS:
		return out == 1 ? 0.0 : o * (double)(in - 1) / (out - 1);
	case KK_COORD_PYTORCH_HALF_PIXEL:
		return out > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
	case KK_COORD_TF_HALF_PIXEL_FOR_NN: return (o + 0.5) / scale;
	case KK_COORD_TF_CROP_AND_RESIZE:
		if (out > 1)
			return r0 * (double)(in - 1) + o * (r1 - r0) * (double)(in - 1) / (out - 1);
		return 0.5 * (r0 + r1) * (double)(in - 1);
	default: return (o + 0.5) / scale - 0.5;
	}
}

static int64_t rs_nearest(int32_t nm, double x)
{
	double f = floor(x);
	switch (nm) {
	case KK_NEAREST_FLOOR: return (int64_t)f;
	case KK_NEAREST_CEIL: return (int64_t)ceil(x);
	case KK_NEAREST_ROUND_PREFER_CEIL: return (int64_t)(x - f >= 0.5 ? f + 1 : f);
	default: return (int64_t)(x - f > 0.5 ? f + 1 : f);
	}
}

static int64_t clampi(int64_t v, int64_t lo, int64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static void cubic_weights(double t, double A, double *w)
{
	double t1 = t + 1, t2 = 1 - t, t3 = 2 - t;
	w[0] = ((A * t1 - 5 * A) * t1 + 8 * A) * t1 - 4 * A;
	w[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
	w[2] = ((A + 2) * t2 - (A + 3)) * t2 * t2 + 1;
	w[3] = ((A * t3 - 5 * A) * t3 + 8 * A) * t3 - 4 * A;
}

/* Taps (indices, weights) along one axis for source coordinate x; returns
 * the tap count, or -1 when tf_crop_and_resize samples outside. */
static int rs_taps(int32_t mode, int32_t coord, int32_t nm, double A, int32_t excl,
		   double x, int64_t in, int64_t *idx, double *w)
{
	if (coord == KK_COORD_TF_CROP_AND_RESIZE && (x < 0 || x > (double)(in - 1)))
		return -1;
	if (mode == KK_RESIZE_NEAREST) {
		idx[0] = clampi(rs_nearest(nm, x), 0, in - 1);
		w[0] = 1;
		return 1;
	}
	double f = floor(x), t = x - f;
	int64_t x0 = (int64_t)f;
	if (mode == KK_RESIZE_LINEAR) {
		idx[0] = clampi(x0, 0, in - 1);
		idx[1] = clampi(x0 + 1, 0, in - 1);
		w[0] = 1 - t;
		w[1] = t;
		return 2;
	}
	cubic_weights(t, A, w);
	double sum = 0;
	for (int j = 0; j < 4; j++) {
		int64_t s = x0 - 1 + j;
		if (excl && (s < 0 || s >= in))
			w[j] = 0;
		sum += w[j];
		idx[j] = clampi(s, 0, in - 1);
	}
	if (excl && sum != 0)
		for (int j = 0; j < 4; j++)
			w[j] /= sum;
	return 4;
}

void kk_resize_f32(kiln_rt_ctx *ctx, const float *X, float *Y, int32_t rank,
	const int64_t *in_dims, const int64_t *out_dims, const float *scales,
	const float *roi, int32_t mode, int32_t coord, int32_t nearest_mode,
	float cubic_a, int32_t exclude_outside, float extrapolation)
{
	(void)ctx;
	int64_t o[KK_EXTB_MAX_RANK] = {0}, idx[KK_EXTB_MAX_RANK][4], ist[KK_EXTB_MAX_RANK];
	double w[KK_EXTB_MAX_RANK][4];
	int nt[KK_EXTB_MAX_RANK];
	int64_t total = 1, s = 1;
	for (int k = rank - 1; k >= 0; k--) {
		total *= out_dims[k];
		ist[k] = s;
		s *= in_dims[k];
	}
	for (int64_t e = 0; e < total; e++) {
		int outside = 0;
		for (int k = 0; k < rank; k++) {
			double sc = scales ? (double)scales[k] : (double)out_dims[k] / (double)in_dims[k];
			double r0 = roi ? roi[k] : 0, r1 = roi ? roi[rank + k] : 1;
			double x = rs_coord(coord, (double)o[k], in_dims[k],
					    scales ? (double)in_dims[k] * sc : (double)out_dims[k],
					    sc, r0, r1);
			nt[k] = rs_taps(mode, coord, nearest_mode, cubic_a, exclude_outside, x,
					in_dims[k], idx[k], w[k]);
			if (nt[k] < 0)
				outside = 1;
		}
		double acc = 0;
		if (outside) {
			acc = extrapolation;
		} else {
			int t[KK_EXTB_MAX_RANK] = {0};
			for (;;) {
				double wt = 1;
				int64_t off = 0;
				for (int k = 0; k < rank; k++) {
					wt *= w[k][t[k]];
					off += idx[k][t[k]] * ist[k];
				}
				if (wt != 0)
					acc += wt * (double)X[off];
				int k = rank - 1;
				while (k >= 0 && ++t[k] == nt[k])
					t[k--] = 0;
				if (k < 0)
					break;
			}
		}
		Y[e] = (float)acc;
		for (int k = rank - 1; k >= 0 && ++o[k] == out_dims[k]; k--)
			o[k] = 0;
	}
}

/* ---- GatherND / ScatterND / ScatterElements ------------------------- */

int32_t kk_gathernd(kiln_rt_ctx *ctx, int64_t elem_size, const void *data,
	const int64_t *indices, void *out, int64_t batch, int64_t n_idx, int32_t k,
	int32_t ndd, const int64_t *data_dims)
{
	(void)ctx;
	int64_t slice = 1, dstride[KK_EXTB_MAX_RANK], bsz = 1;
	for (int j = ndd - 1; j >= 0; j--) {
		dstride[j] = bsz;
		bsz *= data_dims[j];
	}
	for (int j = k; j < ndd; j++)
		slice *= data_dims[j];
	const char *src = data;
	char *dst = out;
	size_t sb = (size_t)(slice * elem_size);
	for (int64_t b = 0; b < batch; b++)
		for (int64_t i = 0; i < n_idx; i++) {
			const int64_t *ix = indices + (b * n_idx + i) * k;
			int64_t off = b * bsz;
			for (int j = 0; j < k; j++) {
				int64_t v = ix[j] < 0 ? ix[j] + data_dims[j] : ix[j];
				if (v < 0 || v >= data_dims[j])
					return KILN_RUN_INDEX;
				off += v * dstride[j];
			}
			memcpy(dst + (b * n_idx + i) * sb, src + off * elem_size, sb);
		}
	return KILN_RUN_OK;
}

/* dst op= src for one element of dtype (KK_DT code). */
static void combine(int32_t dtype, int64_t es, int32_t red, char *dst, const char *src)
{
	if (red == KK_SCATTER_NONE) {
		memcpy(dst, src, (size_t)es);
		return;
	}
#define COMB(T) { T a, b; memcpy(&a, dst, sizeof a); memcpy(&b, src, sizeof b); \
		a = red == KK_SCATTER_ADD ? a + b : a * b; memcpy(dst, &a, sizeof a); return; }
	switch (dtype) {
	case 1: COMB(float)
	case 11: COMB(double)
	case 6: COMB(int32_t)
	case 7: COMB(int64_t)
	default: memcpy(dst, src, (size_t)es);
	}
#undef COMB
}

int32_t kk_scatternd(kiln_rt_ctx *ctx, int32_t dtype, int64_t elem_size, void *out,
	const int64_t *indices, const void *updates, int64_t n_idx, int32_t k,
	int32_t r, const int64_t *data_dims, int32_t reduction)
{
	(void)ctx;
	int64_t dstride[KK_EXTB_MAX_RANK], s = 1, slice = 1;
	for (int j = r - 1; j >= 0; j--) {
		dstride[j] = s;
		s *= data_dims[j];
	}
	for (int j = k; j < r; j++)
		slice *= data_dims[j];
	char *dst = out;
	const char *up = updates;
	for (int64_t i = 0; i < n_idx; i++) {
		int64_t off = 0;
		for (int j = 0; j < k; j++) {
			int64_t v = indices[i * k + j];
			v = v < 0 ? v + data_dims[j] : v;
			if (v < 0 || v >= data_dims[j])
				return KILN_RUN_INDEX;
			off += v * dstride[j];
		}
		for (int64_t e = 0; e < slice; e++)
			combine(dtype, elem_size, reduction, dst + (off + e) * elem_size,
				up + (i * slice + e) * elem_size);
	}
	return KILN_RUN_OK;
}

int32_t kk_scatter_elements(kiln_rt_ctx *ctx, int32_t dtype, int64_t elem_size,
	void *out, const void *indices, int32_t index_dtype, const void *updates,
	int32_t rank, const int64_t *idx_dims, const int64_t *data_dims,
	int32_t axis, int32_t reduction)
{
	(void)ctx;
	int64_t dstride[KK_EXTB_MAX_RANK], p[KK_EXTB_MAX_RANK] = {0}, s = 1, total = 1;
	for (int j = rank - 1; j >= 0; j--) {
		dstride[j] = s;
		s *= data_dims[j];
		total *= idx_dims[j];
	}
	char *dst = out;
	const char *up = updates;
	for (int64_t e = 0; e < total; e++) {
		int64_t v = index_dtype == 6 ? ((const int32_t *)indices)[e]
					     : ((const int64_t *)indices)[e];
		v = v < 0 ? v + data_dims[axis] : v;
		if (v < 0 || v >= data_dims[axis])
			return KILN_RUN_INDEX;
		int64_t off = 0;
		for (int j = 0; j < rank; j++)
			off += (j == axis ? v : p[j]) * dstride[j];
		combine(dtype, elem_size, reduction, dst + off * elem_size, up + e * elem_size);
		for (int j = rank - 1; j >= 0 && ++p[j] == idx_dims[j]; j--)
			p[j] = 0;
	}
	return KILN_RUN_OK;
}

/* ---- Einsum ---------------------------------------------------------- */

#define EINSUM_LOOP(T)                                                           \
	{                                                                            \
		const T *a = A, *b = B, *c = C;                                          \
		T *y = Y;                                                                \
		for (int64_t e = 0; e < ny; e++)                                         \
			y[e] = 0;                                                            \
		for (int64_t e = 0; e < total; e++) {                                    \
			int64_t oa = 0, ob = 0, oc = 0, oy = 0;                              \
			for (int l = 0; l < nl; l++) {                                       \
				oa += i[l] * as[l];                                              \
				if (nops > 1) ob += i[l] * bs[l];                                \
				if (nops > 2) oc += i[l] * cs[l];                                \
				oy += i[l] * ys[l];                                              \
			}                                                                    \
			T v = a[oa];                                                         \
			if (nops > 1) v *= b[ob];                                            \
			if (nops > 2) v *= c[oc];                                            \
			y[oy] += v;                                                          \
			for (int l = nl - 1; l >= 0 && ++i[l] == dims[l]; l--)               \
				i[l] = 0;                                                        \
		}                                                                        \
	}

void kk_einsum(kiln_rt_ctx *ctx, int32_t dtype, int32_t nops, const void *A,
	const void *B, const void *C, void *Y, int64_t ny, int32_t nl,
	const int64_t *dims, const int64_t *as, const int64_t *bs,
	const int64_t *cs, const int64_t *ys)
{
	(void)ctx;
	int64_t i[32] = {0}, total = 1;
	for (int l = 0; l < nl; l++)
		total *= dims[l];
	switch (dtype) {
	case 1: EINSUM_LOOP(float) break;
	case 11: EINSUM_LOOP(double) break;
	case 6: EINSUM_LOOP(int32_t) break;
	default: EINSUM_LOOP(int64_t) break;
	}
}

/* ---- ReverseSequence, Det, MaxUnpool ---------------------------------- */

int32_t kk_reverse_sequence(kiln_rt_ctx *ctx, int64_t elem_size, const void *X,
	void *Y, int32_t rank, const int64_t *dims, int32_t batch_axis,
	int32_t time_axis, const int64_t *lens)
{
	(void)ctx;
	int64_t st[KK_EXTB_MAX_RANK], p[KK_EXTB_MAX_RANK] = {0}, s = 1;
	for (int j = rank - 1; j >= 0; j--) {
		st[j] = s;
		s *= dims[j];
	}
	for (int64_t b = 0; b < dims[batch_axis]; b++)
		if (lens[b] < 0 || lens[b] > dims[time_axis])
			return KILN_RUN_VALUE;
	const char *x = X;
	char *y = Y;
	for (int64_t e = 0; e < s; e++) {
		int64_t len = lens[p[batch_axis]], t = p[time_axis];
		int64_t src = e + (t < len ? (len - 1 - t) - t : 0) * st[time_axis];
		memcpy(y + e * elem_size, x + src * elem_size, (size_t)elem_size);
		for (int j = rank - 1; j >= 0 && ++p[j] == dims[j]; j--)
			p[j] = 0;
	}
	return KILN_RUN_OK;
}

/* Determinant of one n x n matrix held (and destroyed) in a, row-major. */
static double det_lu(double *a, int64_t n)
{
	double det = 1;
	for (int64_t c = 0; c < n; c++) {
		int64_t piv = c;
		for (int64_t r = c + 1; r < n; r++)
			if (fabs(a[r * n + c]) > fabs(a[piv * n + c]))
				piv = r;
		if (a[piv * n + c] == 0)
			return 0;
		if (piv != c) {
			for (int64_t j = 0; j < n; j++) {
				double t = a[c * n + j];
				a[c * n + j] = a[piv * n + j];
				a[piv * n + j] = t;
			}
			det = -det;
		}
		det *= a[c * n + c];
		for (int64_t r = c + 1; r < n; r++) {
			double f = a[r * n + c] / a[c * n + c];
			for (int64_t j = c; j < n; j++)
				a[r * n + j] -= f * a[c * n + j];
		}
	}
	return det;
}

/* Matrices up to this many elements are factorised on the stack. */
#define DET_MAX 4096
#define DET_BODY                                                                 \
	(void)ctx;                                                                   \
	double a[DET_MAX];                                                           \
	for (int64_t b = 0; b < batch; b++) {                                        \
		if (n * n > DET_MAX) {                                                   \
			Y[b] = NAN;                                                          \
			continue;                                                            \
		}                                                                        \
		for (int64_t i = 0; i < n * n; i++)                                      \
			a[i] = X[b * n * n + i];                                             \
		Y[b] = det_lu(a, n);                                                     \
	}

void kk_det_f32(kiln_rt_ctx *ctx, const float *X, float *Y, int64_t batch, int64_t n)
{
	DET_BODY
}

void kk_det_f64(kiln_rt_ctx *ctx, const double *X, double *Y, int64_t batch, int64_t n)
{
	DET_BODY
}

int32_t kk_maxunpool(kiln_rt_ctx *ctx, int64_t elem_size, const void *X,
	const int64_t *I, void *Y, int64_t nx, int32_t rank, const int64_t *def_dims,
	const int64_t *out_dims)
{
	(void)ctx;
	int64_t ny = 1, nd = 1;
	for (int k = 0; k < rank; k++) {
		ny *= out_dims[k];
		nd *= def_dims[k];
	}
	memset(Y, 0, (size_t)(ny * elem_size));
	for (int64_t i = 0; i < nx; i++) {
		int64_t v = I[i], off = 0, s = 1;
		if (v < 0 || v >= nd)
			return KILN_RUN_INDEX;
		for (int k = rank - 1; k >= 0; k--) {
			int64_t c = v % def_dims[k];
			v /= def_dims[k];
			if (c >= out_dims[k])
				return KILN_RUN_INDEX;
			off += c * s;
			s *= out_dims[k];
		}
		memcpy((char *)Y + off * elem_size, (const char *)X + i * elem_size,
		       (size_t)elem_size);
	}
	return KILN_RUN_OK;
}

/* ---- RoiAlign ---------------------------------------------------------- */

/* Bilinear sample of plane x [H, W] at (y, xx); *ok = 0 when outside. The
 * four weighted corner values go to v[4]. */
static void roi_sample(const float *x, int64_t H, int64_t W, double y, double xx,
		       double *v, int *ok)
{
	*ok = !(y < -1.0 || y > (double)H || xx < -1.0 || xx > (double)W);
	if (!*ok)
		return;
	y = y <= 0 ? 0 : y;
	xx = xx <= 0 ? 0 : xx;
	int64_t y0 = (int64_t)y, x0 = (int64_t)xx, y1, x1;
	if (y0 >= H - 1) { y0 = y1 = H - 1; y = (double)y0; } else y1 = y0 + 1;
	if (x0 >= W - 1) { x0 = x1 = W - 1; xx = (double)x0; } else x1 = x0 + 1;
	double ly = y - (double)y0, lx = xx - (double)x0, hy = 1 - ly, hx = 1 - lx;
	v[0] = hy * hx * x[y0 * W + x0];
	v[1] = hy * lx * x[y0 * W + x1];
	v[2] = ly * hx * x[y1 * W + x0];
	v[3] = ly * lx * x[y1 * W + x1];
}

/* One output bin of one roi and channel plane. */
static float roi_bin(const float *x, int64_t H, int64_t W, double sy, double sx,
		     double bh, double bw, int64_t gh, int64_t gw, int32_t mode)
{
	double acc = 0, mx = 0;
	int first = 1;
	for (int64_t iy = 0; iy < gh; iy++)
		for (int64_t ix = 0; ix < gw; ix++) {
			double y = sy + ((double)iy + 0.5) * bh / (double)gh;
			double xx = sx + ((double)ix + 0.5) * bw / (double)gw;
			double v[4] = {0, 0, 0, 0};
			int ok;
			roi_sample(x, H, W, y, xx, v, &ok);
			double s = v[0] + v[1] + v[2] + v[3];
			double m = fmax(fmax(v[0], v[1]), fmax(v[2], v[3]));
			acc += s;
			if (first || m > mx)
				mx = m;
			first = 0;
		}
	int64_t cnt = gh * gw > 0 ? gh * gw : 1;
	return (float)(mode == 1 ? mx : acc / (double)cnt);
}

int32_t kk_roialign_f32(kiln_rt_ctx *ctx, const float *X, const float *rois,
	const int64_t *batch_idx, float *Y, int64_t N, int64_t C, int64_t H,
	int64_t Wd, int64_t R, int64_t OH, int64_t OW, int32_t mode,
	float spatial_scale, int64_t sampling_ratio, int32_t half_pixel)
{
	(void)ctx;
	double off = half_pixel ? 0.5 : 0.0;
	for (int64_t r = 0; r < R; r++) {
		int64_t b = batch_idx[r];
		if (b < 0 || b >= N)
			return KILN_RUN_INDEX;
		const float *ro = rois + r * 4;
		double sx = ro[0] * spatial_scale - off, sy = ro[1] * spatial_scale - off;
		double rw = ro[2] * spatial_scale - off - sx, rh = ro[3] * spatial_scale - off - sy;
		if (!half_pixel) {
			rw = rw > 1 ? rw : 1;
			rh = rh > 1 ? rh : 1;
		}
		double bh = rh / (double)OH, bw = rw / (double)OW;
		int64_t gh = sampling_ratio > 0 ? sampling_ratio : (int64_t)ceil(rh / (double)OH);
		int64_t gw = sampling_ratio > 0 ? sampling_ratio : (int64_t)ceil(rw / (double)OW);
		for (int64_t c = 0; c < C; c++) {
			const float *x = X + (b * C + c) * H * Wd;
			float *y = Y + (r * C + c) * OH * OW;
			for (int64_t ph = 0; ph < OH; ph++)
				for (int64_t pw = 0; pw < OW; pw++)
					y[ph * OW + pw] = roi_bin(x, H, Wd, sy + (double)ph * bh,
								  sx + (double)pw * bw, bh, bw, gh, gw, mode);
		}
	}
	return KILN_RUN_OK;
}
