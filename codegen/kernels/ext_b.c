/* ext_b.c — kernels of "ops wave B" (contracts in kk_ext_b.h): transposed
 * convolution, Resize, GatherND/ScatterND/ScatterElements, a generic Einsum
 * loop nest, ReverseSequence, Det, MaxUnpool and RoiAlign. Plain C11, no
 * malloc, compiled to bitcode and inlined into model modules. */
#include <math.h>
#include <string.h>

#include "kk_ext_b.h"

/* ---- ConvTranspose ---------------------------------------------------- */

/* Sub-pixel (phase) decomposition: output cells o = r + s*j of one phase r
 * along an axis see only the taps k with (r + p - k*d) divisible by s, from
 * input i = j + (r + p - k*d)/s, so consecutive phase outputs read
 * consecutive input columns. Each block of 16 phase columns x CONVT_MR output
 * channels is accumulated in vector registers over taps and the group's
 * input channels and written once (bias included): no zero taps, no
 * read-modify-write of Y. (Weights of block rows past the channel count
 * repeat the last row; their results are dropped.) */
typedef float kk__xb_v8f __attribute__((vector_size(32)));
typedef double kk__xb_v8d __attribute__((vector_size(64)));

/* floor(a / b) for b > 0. */
static int64_t fdiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* Number of o in [0, out) with o = r (mod s). */
static int64_t phase_len(int64_t r, int64_t s, int64_t out)
{
	return r < out ? (out - r + s - 1) / s : 0;
}

/* Output channels per register block (x 16 phase columns). */
#define CONVT_MR 6

#define CONVT_DEF(name, T, VT)                                                   \
static void name##_ld(VT *v, const T *row, int64_t ix0, int64_t W)              \
{                                                                                \
	if (ix0 >= 0 && ix0 + 8 <= W) {                                              \
		memcpy(v, row + ix0, sizeof *v);                                         \
		return;                                                                  \
	}                                                                            \
	for (int l = 0; l < 8; l++)                                                  \
		(*v)[l] = ix0 + l >= 0 && ix0 + l < W ? row[ix0 + l] : (T)0;             \
}                                                                                \
static void name##_block(const T *x, const T *w, const kk__convt_geom *g,       \
	const int64_t *r, const int64_t *j, int64_t m0, int mr, VT *acc)             \
{                                                                                \
	int64_t cg = g->C / g->group, mg = g->M / g->group;                          \
	int64_t ksp = g->K[0] * g->K[1] * g->K[2], isp = g->I[0] * g->I[1] * g->I[2]; \
	for (int q = 0; q < 2 * CONVT_MR; q++)                                       \
		acc[q] = (VT){0};                                                        \
	for (int64_t kz = 0; kz < g->K[0]; kz++) {                                   \
		int64_t tz = r[0] + g->p[0] - kz * g->d[0];                              \
		if (fdiv(tz, g->s[0]) * g->s[0] != tz)                                   \
			continue;                                                            \
		int64_t iz = j[0] + fdiv(tz, g->s[0]);                                   \
		if (iz < 0 || iz >= g->I[0])                                             \
			continue;                                                            \
		for (int64_t ky = 0; ky < g->K[1]; ky++) {                               \
			int64_t ty = r[1] + g->p[1] - ky * g->d[1];                          \
			if (fdiv(ty, g->s[1]) * g->s[1] != ty)                               \
				continue;                                                        \
			int64_t iy = j[1] + fdiv(ty, g->s[1]);                               \
			if (iy < 0 || iy >= g->I[1])                                         \
				continue;                                                        \
			for (int64_t kx = 0; kx < g->K[2]; kx++) {                           \
				int64_t tx = r[2] + g->p[2] - kx * g->d[2];                      \
				if (fdiv(tx, g->s[2]) * g->s[2] != tx)                           \
					continue;                                                    \
				int64_t ix0 = j[2] + fdiv(tx, g->s[2]);                          \
				int64_t tap = (kz * g->K[1] + ky) * g->K[2] + kx;                \
				const T *xr = x + (iz * g->I[1] + iy) * g->I[2];                 \
				const T *wq[CONVT_MR];                                           \
				for (int q = 0; q < CONVT_MR; q++)                               \
					wq[q] = w + (m0 + (q < mr ? q : mr - 1)) * ksp + tap;        \
				for (int64_t c = 0; c < cg; c++) {                               \
					const T *xc = xr + c * isp;                                  \
					VT v0, v1;                                                   \
					name##_ld(&v0, xc, ix0, g->I[2]);                            \
					name##_ld(&v1, xc, ix0 + 8, g->I[2]);                        \
					int64_t wo = c * mg * ksp;                                   \
					for (int q = 0; q < CONVT_MR; q++) {                         \
						T wv = wq[q][wo];                                        \
						acc[2 * q] += v0 * wv;                                   \
						acc[2 * q + 1] += v1 * wv;                               \
					}                                                            \
				}                                                                \
			}                                                                    \
		}                                                                        \
	}                                                                            \
}                                                                                \
static void name(const T *X, const T *W, const T *B, T *Y, int64_t N,           \
	const kk__convt_geom *g)                                                     \
{                                                                                \
	int64_t cg = g->C / g->group, mg = g->M / g->group;                          \
	int64_t isp = g->I[0] * g->I[1] * g->I[2], osp = g->O[0] * g->O[1] * g->O[2]; \
	int64_t r[3], j[3], nj[3];                                                   \
	VT acc[2 * CONVT_MR];                                                        \
	for (int64_t n = 0; n < N; n++)                                              \
	for (int64_t gi = 0; gi < g->group; gi++)                                    \
	for (r[0] = 0; r[0] < g->s[0]; r[0]++)                                       \
	for (r[1] = 0; r[1] < g->s[1]; r[1]++)                                       \
	for (r[2] = 0; r[2] < g->s[2]; r[2]++) {                                     \
		for (int a = 0; a < 3; a++)                                              \
			nj[a] = phase_len(r[a], g->s[a], g->O[a]);                           \
		const T *x = X + (n * g->C + gi * cg) * isp;                             \
		for (int64_t m0 = 0; m0 < mg; m0 += CONVT_MR) {                          \
			int mr = mg - m0 < CONVT_MR ? (int)(mg - m0) : CONVT_MR;             \
			for (j[0] = 0; j[0] < nj[0]; j[0]++)                                 \
			for (j[1] = 0; j[1] < nj[1]; j[1]++)                                 \
			for (int64_t jx = 0; jx < nj[2]; jx += 16) {                         \
				j[2] = jx;                                                       \
				name##_block(x, W + gi * cg * mg * g->K[0] * g->K[1] * g->K[2],  \
					     g, r, j, m0, mr, acc);                                  \
				int64_t oz = r[0] + g->s[0] * j[0], oy = r[1] + g->s[1] * j[1];  \
				int nl = nj[2] - jx < 16 ? (int)(nj[2] - jx) : 16;               \
				for (int q = 0; q < mr; q++) {                                   \
					int64_t m = gi * mg + m0 + q;                                \
					T b0 = B ? B[m] : (T)0;                                      \
					T *yr = Y + (n * g->M + m) * osp +                           \
						(oz * g->O[1] + oy) * g->O[2] + r[2];                    \
					for (int l = 0; l < nl; l++)                                 \
						yr[(jx + l) * g->s[2]] = acc[2 * q + l / 8][l % 8] + b0; \
				}                                                                \
			}                                                                    \
		}                                                                        \
	}                                                                            \
}

/* Geometry of one ConvTranspose call (3-D form). */
typedef struct {
	int64_t C, M, group, I[3], O[3], K[3], s[3], d[3], p[3];
} kk__convt_geom;

CONVT_DEF(convt_f32, float, kk__xb_v8f)
CONVT_DEF(convt_f64, double, kk__xb_v8d)

#define CONVT_GEOM                                                               \
	(void)ctx;                                                                   \
	kk__convt_geom g = {C, M, group, {D, H, Wd}, {OD, OH, OW}, {KD, KH, KW},     \
			    {sd, sh, sw}, {dd, dh, dw}, {pd, ph, pw}};

void kk_convtranspose_f32(kiln_rt_ctx *ctx, const float *X, const float *W,
	const float *B, float *Y, int64_t N, int64_t C, int64_t D, int64_t H,
	int64_t Wd, int64_t M, int64_t OD, int64_t OH, int64_t OW,
	int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t group)
{
	CONVT_GEOM
	convt_f32(X, W, B, Y, N, &g);
}

void kk_convtranspose_f64(kiln_rt_ctx *ctx, const double *X, const double *W,
	const double *B, double *Y, int64_t N, int64_t C, int64_t D, int64_t H,
	int64_t Wd, int64_t M, int64_t OD, int64_t OH, int64_t OW,
	int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t group)
{
	CONVT_GEOM
	convt_f64(X, W, B, Y, N, &g);
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

/* Drops zero-weight taps (keeps at least one); returns the new count. */
static int rs_compact(int nt, int64_t *idx, double *w)
{
	int m = 0;
	for (int j = 0; j < nt; j++)
		if (w[j] != 0) {
			idx[m] = idx[j];
			w[m++] = w[j];
		}
	return m ? m : (nt > 0 ? 1 : nt);
}

/* Everything one Resize call needs to find the taps of an axis. */
typedef struct {
	int32_t rank, mode, coord, nm, excl;
	double a;
	const int64_t *in, *out;
	const float *scales, *roi;
} rs_params;

/* Taps of axis k for output index o (zero weights dropped); -1 when
 * tf_crop_and_resize samples outside the input. */
static int rs_axis(const rs_params *p, int k, int64_t o, int64_t *idx, double *w)
{
	double sc = p->scales ? (double)p->scales[k] : (double)p->out[k] / (double)p->in[k];
	double r0 = p->roi ? p->roi[k] : 0, r1 = p->roi ? p->roi[p->rank + k] : 1;
	double len = p->scales ? (double)p->in[k] * sc : (double)p->out[k];
	double x = rs_coord(p->coord, (double)o, p->in[k], len, sc, r0, r1);
	int nt = rs_taps(p->mode, p->coord, p->nm, p->a, p->excl, x, p->in[k], idx, w);
	return nt < 0 ? -1 : rs_compact(nt, idx, w);
}

/* Largest innermost output length whose taps are tabulated once per call,
 * and most outer-axis tap combinations a row may have. */
#define RS_TABLE 1024
#define RS_COMBOS 64

/* Outer-axis tap combinations of output row o[0..rank-1): element offsets
 * and weights; returns the count, -1 outside (crop), -2 when too many. */
static int rs_row_combos(const rs_params *p, const int64_t *o, const int64_t *ist,
			 int64_t *offs, double *cw)
{
	int nc = 1;
	offs[0] = 0;
	cw[0] = 1;
	for (int k = 0; k + 1 < p->rank; k++) {
		int64_t idx[4];
		double w[4];
		int nt = rs_axis(p, k, o[k], idx, w);
		if (nt < 0)
			return -1;
		if (nc * nt > RS_COMBOS)
			return -2;
		for (int c = nc - 1; c >= 0; c--)
			for (int t = nt - 1; t >= 0; t--) {
				offs[c * nt + t] = offs[c] + idx[t] * ist[k];
				cw[c * nt + t] = cw[c] * w[t];
			}
		nc *= nt;
	}
	return nc;
}

/* One output element by the full per-axis tap product (any rank). */
static float rs_elem(const rs_params *p, const float *X, const int64_t *o,
		     const int64_t *ist, float extrapolation)
{
	int64_t idx[KK_EXTB_MAX_RANK][4];
	double w[KK_EXTB_MAX_RANK][4], acc = 0;
	int nt[KK_EXTB_MAX_RANK], t[KK_EXTB_MAX_RANK] = {0};
	for (int k = 0; k < p->rank; k++)
		if ((nt[k] = rs_axis(p, k, o[k], idx[k], w[k])) < 0)
			return extrapolation;
	for (;;) {
		double wt = 1;
		int64_t off = 0;
		for (int k = 0; k < p->rank; k++) {
			wt *= w[k][t[k]];
			off += idx[k][t[k]] * ist[k];
		}
		acc += wt * (double)X[off];
		int k = p->rank - 1;
		while (k >= 0 && ++t[k] == nt[k])
			t[k--] = 0;
		if (k < 0)
			break;
	}
	return (float)acc;
}

void kk_resize_f32(kiln_rt_ctx *ctx, const float *X, float *Y, int32_t rank,
	const int64_t *in_dims, const int64_t *out_dims, const float *scales,
	const float *roi, int32_t mode, int32_t coord, int32_t nearest_mode,
	float cubic_a, int32_t exclude_outside, float extrapolation)
{
	(void)ctx;
	rs_params p = {rank, mode, coord, nearest_mode, exclude_outside, cubic_a,
		       in_dims, out_dims, scales, roi};
	int64_t o[KK_EXTB_MAX_RANK] = {0}, ist[KK_EXTB_MAX_RANK], rows = 1, s = 1;
	int last = rank - 1;
	int64_t OL = out_dims[last];
	for (int k = last; k >= 0; k--) {
		ist[k] = s;
		s *= in_dims[k];
		rows *= k < last ? out_dims[k] : 1;
	}
	int64_t tidx[RS_TABLE][4], offs[RS_COMBOS];
	double tw[RS_TABLE][4], cw[RS_COMBOS];
	int tn[RS_TABLE];
	int tab = OL <= RS_TABLE;
	for (int64_t x = 0; tab && x < OL; x++)
		tn[x] = rs_axis(&p, last, x, tidx[x], tw[x]);
	for (int64_t r = 0; r < rows; r++, Y += OL) {
		int nc = rs_row_combos(&p, o, ist, offs, cw);
		for (int64_t x = 0; x < OL; x++) {
			o[last] = x;
			if (nc == -2 || !tab) {
				Y[x] = nc == -1 ? extrapolation : rs_elem(&p, X, o, ist, extrapolation);
				continue;
			}
			if (nc < 0 || tn[x] < 0) {
				Y[x] = extrapolation;
				continue;
			}
			double acc = 0;
			for (int c = 0; c < nc; c++) {
				const float *xr = X + offs[c];
				double a = 0;
				for (int t = 0; t < tn[x]; t++)
					a += tw[x][t] * (double)xr[tidx[x][t]];
				acc += cw[c] * a;
			}
			Y[x] = (float)acc;
		}
		o[last] = 0;
		for (int k = last - 1; k >= 0 && ++o[k] == out_dims[k]; k--)
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
