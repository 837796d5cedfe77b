/* math_norm.c — Softmax / LogSoftmax / Hardmax over the middle axis of
 * [outer, len, inner], and the normalisations: BatchNormalization (inference),
 * InstanceNormalization, LayerNormalization, LRN. f32 and f64; statistics are
 * accumulated in double with 8 partial sums. */
#include <math.h>
#include "math_internal.h"
#include "kk_vexp.h"

#define KK_TILE 64   /* inner columns processed together in strided softmax */

/* Contiguous softmax-family row of length len. S: libm suffix; EXP the
 * exponential (kk__expf for float, vectorisable). The max and the sum use 8
 * lane partials so they vectorise (a single running sum is a chain of
 * dependent adds); the sum's order is fixed, so results do not depend on
 * threads or tiling. */
#define KK_SOFTMAX_ROW(T, NAME, S, EXP) \
static void softmax_row_##NAME(int32_t op, const T *restrict x, T *restrict y, int64_t len) \
{ \
	if (op == KK_HARDMAX) { \
		T m = x[0]; \
		int64_t am = 0; \
		for (int64_t r = 1; r < len; r++) \
			if (x[r] > m) { m = x[r]; am = r; } \
		for (int64_t r = 0; r < len; r++) y[r] = (T)(r == am); \
		return; \
	} \
	T mp[8], sp[8] = {0}, m, s = 0; \
	int64_t r = 0, l; \
	for (l = 0; l < 8; l++) mp[l] = x[0]; \
	for (; r + 8 <= len; r += 8) \
		for (l = 0; l < 8; l++) mp[l] = x[r + l] > mp[l] ? x[r + l] : mp[l]; \
	m = mp[0]; \
	for (l = 1; l < 8; l++) m = mp[l] > m ? mp[l] : m; \
	for (; r < len; r++) m = x[r] > m ? x[r] : m; \
	if (op == KK_SOFTMAX) { \
		for (r = 0; r + 8 <= len; r += 8) \
			for (l = 0; l < 8; l++) { y[r + l] = EXP(x[r + l] - m); sp[l] += y[r + l]; } \
		for (; r < len; r++) { y[r] = EXP(x[r] - m); s += y[r]; } \
	} else { \
		for (r = 0; r + 8 <= len; r += 8) \
			for (l = 0; l < 8; l++) sp[l] += EXP(x[r + l] - m); \
		for (; r < len; r++) s += EXP(x[r] - m); \
	} \
	s += ((sp[0] + sp[1]) + (sp[2] + sp[3])) + ((sp[4] + sp[5]) + (sp[6] + sp[7])); \
	if (op == KK_SOFTMAX) { \
		T inv = (T)1 / s; \
		for (r = 0; r < len; r++) y[r] *= inv; \
	} else { \
		T lg = log##S(s); \
		for (r = 0; r < len; r++) y[r] = (x[r] - m) - lg; \
	} \
}

/* Strided: columns [j0, j0+w) of one [len, inner] block, w <= KK_TILE. */
#define KK_SOFTMAX_TILE(T, NAME, S, EXP) \
static void softmax_tile_##NAME(int32_t op, const T *restrict x, T *restrict y, int64_t len, \
                                int64_t inner, int64_t w) \
{ \
	T m[KK_TILE], s[KK_TILE]; \
	int64_t am[KK_TILE]; \
	for (int64_t k = 0; k < w; k++) { m[k] = x[k]; am[k] = 0; s[k] = 0; } \
	for (int64_t r = 1; r < len; r++) \
		for (int64_t k = 0; k < w; k++) \
			if (x[r * inner + k] > m[k]) { m[k] = x[r * inner + k]; am[k] = r; } \
	for (int64_t r = 0; r < len; r++) { \
		const T *restrict xr = x + r * inner; \
		T *restrict yr = y + r * inner; \
		if (op == KK_HARDMAX) \
			for (int64_t k = 0; k < w; k++) yr[k] = (T)(am[k] == r); \
		else if (op == KK_SOFTMAX) \
			for (int64_t k = 0; k < w; k++) { yr[k] = EXP(xr[k] - m[k]); s[k] += yr[k]; } \
		else \
			for (int64_t k = 0; k < w; k++) s[k] += EXP(xr[k] - m[k]); \
	} \
	if (op == KK_HARDMAX) return; \
	for (int64_t k = 0; k < w; k++) \
		s[k] = op == KK_SOFTMAX ? (T)1 / s[k] : log##S(s[k]); \
	for (int64_t r = 0; r < len; r++) { \
		const T *restrict xr = x + r * inner; \
		T *restrict yr = y + r * inner; \
		if (op == KK_SOFTMAX) \
			for (int64_t k = 0; k < w; k++) yr[k] *= s[k]; \
		else \
			for (int64_t k = 0; k < w; k++) yr[k] = (xr[k] - m[k]) - s[k]; \
	} \
}

#define KK_SOFTMAX_TYPE(T, NAME, S, EXP) \
KK_SOFTMAX_ROW(T, NAME, S, EXP) \
KK_SOFTMAX_TILE(T, NAME, S, EXP) \
static void softmax_##NAME(int32_t op, const T *x, T *y, int64_t outer, int64_t len, \
                           int64_t inner) \
{ \
	for (int64_t o = 0; o < outer; o++) { \
		const T *xo = x + o * len * inner; \
		T *yo = y + o * len * inner; \
		if (inner == 1) { softmax_row_##NAME(op, xo, yo, len); continue; } \
		for (int64_t j = 0; j < inner; j += KK_TILE) { \
			int64_t w = inner - j < KK_TILE ? inner - j : KK_TILE; \
			softmax_tile_##NAME(op, xo + j, yo + j, len, inner, w); \
		} \
	} \
}
KK_SOFTMAX_TYPE(float, f32, f, kk__expf)
KK_SOFTMAX_TYPE(double, f64, , exp)

void kk_softmax(kiln_rt_ctx *ctx, int32_t op, int32_t dtype, const void *x, void *y,
                int64_t outer, int64_t len, int64_t inner)
{
	assert(len >= 1);
	switch (dtype) {
	case KK_DT_F32: softmax_f32(op, x, y, outer, len, inner); break;
	case KK_DT_F64: softmax_f64(op, x, y, outer, len, inner); break;
	default: assert(!"kk_softmax: unsupported dtype");
	}
}

/* Mean and biased variance of x[0..n) (n >= 1), in double, two passes. */
#define KK_STATS(T, NAME) \
static void stats_##NAME(const T *restrict x, int64_t n, double *mean, double *var) \
{ \
	double l[8] = {0}, s = 0, q[8] = {0}; \
	int64_t i = 0; \
	for (; i + 8 <= n; i += 8) \
		for (int k = 0; k < 8; k++) l[k] += (double)x[i + k]; \
	for (; i < n; i++) s += (double)x[i]; \
	for (int k = 0; k < 8; k++) s += l[k]; \
	double m = s / (double)n, v = 0; \
	for (i = 0; i + 8 <= n; i += 8) \
		for (int k = 0; k < 8; k++) { double d = (double)x[i + k] - m; q[k] += d * d; } \
	for (; i < n; i++) { double d = (double)x[i] - m; v += d * d; } \
	for (int k = 0; k < 8; k++) v += q[k]; \
	*mean = m; \
	*var = v / (double)n; \
}
KK_STATS(float, f32)
KK_STATS(double, f64)

/* y[i] = x[i] * a + b over n contiguous elements. */
#define KK_AFFINE(T, NAME) \
static inline void affine_##NAME(const T *restrict x, T *restrict y, int64_t n, T a, T b) \
{ \
	for (int64_t i = 0; i < n; i++) y[i] = x[i] * a + b; \
}
KK_AFFINE(float, f32)
KK_AFFINE(double, f64)

#define KK_BN(T, NAME, S) \
static void batchnorm_##NAME(const T *x, const T *scale, const T *bias, const T *mean, \
                             const T *var, T *y, int64_t N, int64_t C, int64_t sp, T eps) \
{ \
	for (int64_t n = 0; n < N; n++) \
		for (int64_t c = 0; c < C; c++) { \
			T a = scale[c] / sqrt##S(var[c] + eps), b = bias[c] - mean[c] * a; \
			int64_t off = (n * C + c) * sp; \
			affine_##NAME(x + off, y + off, sp, a, b); \
		} \
}
KK_BN(float, f32, f)
KK_BN(double, f64, )

void kk_batchnorm(kiln_rt_ctx *ctx, int32_t dtype, const void *x, const void *scale,
                  const void *bias, const void *mean, const void *var, void *y,
                  int64_t N, int64_t C, int64_t spatial, float eps)
{
	switch (dtype) {
	case KK_DT_F32: batchnorm_f32(x, scale, bias, mean, var, y, N, C, spatial, eps); break;
	case KK_DT_F64: batchnorm_f64(x, scale, bias, mean, var, y, N, C, spatial, eps); break;
	default: assert(!"kk_batchnorm: unsupported dtype");
	}
}

#define KK_IN(T, NAME) \
static void instnorm_##NAME(const T *x, const T *scale, const T *bias, T *y, int64_t N, \
                            int64_t C, int64_t sp, double eps) \
{ \
	for (int64_t n = 0; n < N; n++) \
		for (int64_t c = 0; c < C; c++) { \
			int64_t off = (n * C + c) * sp; \
			double m = 0, v = 0; \
			if (sp > 0) stats_##NAME(x + off, sp, &m, &v); \
			double a = (double)scale[c] / sqrt(v + eps); \
			affine_##NAME(x + off, y + off, sp, (T)a, (T)((double)bias[c] - m * a)); \
		} \
}
KK_IN(float, f32)
KK_IN(double, f64)

void kk_instancenorm(kiln_rt_ctx *ctx, int32_t dtype, const void *x, const void *scale,
                     const void *bias, void *y, int64_t N, int64_t C, int64_t spatial,
                     float eps)
{
	switch (dtype) {
	case KK_DT_F32: instnorm_f32(x, scale, bias, y, N, C, spatial, eps); break;
	case KK_DT_F64: instnorm_f64(x, scale, bias, y, N, C, spatial, eps); break;
	default: assert(!"kk_instancenorm: unsupported dtype");
	}
}

/* One LayerNorm row: y = (x - m) * is * scale[j % sn] + bias[j % bn]. */
#define KK_LN(T, NAME) \
static void layernorm_##NAME(const T *x, const T *scale, int64_t sn, const T *bias, \
                             int64_t bn, T *y, float *mo, float *io, int64_t outer, \
                             int64_t inner, double eps) \
{ \
	for (int64_t o = 0; o < outer; o++) { \
		const T *restrict xo = x + o * inner; \
		T *restrict yo = y + o * inner; \
		double m = 0, v = 0; \
		if (inner > 0) stats_##NAME(xo, inner, &m, &v); \
		double is = 1.0 / sqrt(v + eps); \
		if (mo) mo[o] = (float)m; \
		if (io) io[o] = (float)is; \
		T tm = (T)m, ti = (T)is; \
		for (int64_t b = 0; b < inner; b += sn) \
			for (int64_t k = 0; k < sn; k++) \
				yo[b + k] = (xo[b + k] - tm) * ti * scale[k]; \
		if (bias) \
			for (int64_t b = 0; b < inner; b += bn) \
				for (int64_t k = 0; k < bn; k++) yo[b + k] += bias[k]; \
	} \
}
KK_LN(float, f32)
KK_LN(double, f64)

void kk_layernorm(kiln_rt_ctx *ctx, int32_t dtype, const void *x, const void *scale,
                  int64_t scale_n, const void *bias, int64_t bias_n, void *y,
                  float *mean_out, float *invstd_out, int64_t outer, int64_t inner,
                  float eps)
{
	assert(scale_n >= 1 && inner % scale_n == 0);
	assert(!bias || (bias_n >= 1 && inner % bias_n == 0));
	switch (dtype) {
	case KK_DT_F32: layernorm_f32(x, scale, scale_n, bias, bias_n, y, mean_out, invstd_out,
	                              outer, inner, eps); break;
	case KK_DT_F64: layernorm_f64(x, scale, scale_n, bias, bias_n, y, mean_out, invstd_out,
	                              outer, inner, eps); break;
	default: assert(!"kk_layernorm: unsupported dtype");
	}
}

#define KK_LRN(T, NAME, S) \
static void lrn_##NAME(const T *x, T *y, int64_t N, int64_t C, int64_t sp, int64_t size, \
                       T alpha, T beta, T bias) \
{ \
	int64_t lo = (size - 1) / 2, hi = size / 2;   /* floor / ceil of (size-1)/2 */ \
	T k = alpha / (T)size; \
	for (int64_t n = 0; n < N; n++) \
		for (int64_t c = 0; c < C; c++) { \
			T *restrict yc = y + (n * C + c) * sp; \
			const T *restrict xc = x + (n * C + c) * sp; \
			int64_t c0 = c - lo < 0 ? 0 : c - lo, c1 = c + hi > C - 1 ? C - 1 : c + hi; \
			for (int64_t s = 0; s < sp; s++) yc[s] = 0; \
			for (int64_t q = c0; q <= c1; q++) { \
				const T *restrict xq = x + (n * C + q) * sp; \
				for (int64_t s = 0; s < sp; s++) yc[s] += xq[s] * xq[s]; \
			} \
			for (int64_t s = 0; s < sp; s++) \
				yc[s] = xc[s] / pow##S(bias + k * yc[s], beta); \
		} \
}
KK_LRN(float, f32, f)
KK_LRN(double, f64, )

void kk_lrn(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, int64_t N, int64_t C,
            int64_t spatial, int64_t size, float alpha, float beta, float bias)
{
	switch (dtype) {
	case KK_DT_F32: lrn_f32(x, y, N, C, spatial, size, alpha, beta, bias); break;
	case KK_DT_F64: lrn_f64(x, y, N, C, spatial, size, alpha, beta, bias); break;
	default: assert(!"kk_lrn: unsupported dtype");
	}
}
