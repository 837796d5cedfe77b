/* nn_conv.c — ONNX Conv (NCDHW; 1-D/2-D passed as 3-D with unit dims).
 * f32: implicit GEMM — W (Mg x Cg*KD*KH*KW, already row-major) times an
 * im2col panel of X packed on the fly (16 output pixels x 256 taps, padding
 * as zeros) through the nn_micro.h micro-kernel; channel-wise convolutions
 * (C/group == 1, e.g. depthwise) and f64 use direct row loops instead. */
#include "kk_nn.h"
#include "nn_micro.h"

/* Convolution geometry shared by the helpers (a local constant struct, so
 * inlining keeps every field a constant). */
typedef struct {
	int64_t C, D, H, W, M, OD, OH, OW, KD, KH, KW;
	int64_t sd, sh, sw, dd, dh, dw, pd, ph, pw, group;
} kk__conv_geom;

static inline int64_t kk__floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Range [*lo, *hi) of output positions o in [0, on) whose input position
 * o*s + off lies in [0, n). */
static inline void kk__valid_range(int64_t on, int64_t n, int64_t s, int64_t off,
	int64_t *lo, int64_t *hi)
{
	int64_t l = -kk__floor_div(off, s);          /* ceil(-off / s) */
	int64_t h = kk__floor_div(n - 1 - off, s) + 1;
	*lo = l < 0 ? 0 : l;
	*hi = h > on ? on : h;
	if (*hi < *lo)
		*hi = *lo;
}

/* Packs the im2col panel rows k0..k0+kc (tap = (ci, kz, ky, kx) flattened)
 * and columns p0..p0+nr (output pixels) of one image/group into bp. */
static void kk__pack_im2col_f32(float *restrict bp, const float *restrict x,
	const kk__conv_geom *g, int64_t k0, int64_t kc, int64_t p0, int64_t nr)
{
	int64_t iz0[KK_NR], iy0[KK_NR], ix0[KK_NR];
	for (int64_t c = 0; c < nr; c++) {
		int64_t p = p0 + c, t = p / g->OW;
		ix0[c] = (p % g->OW) * g->sw - g->pw;
		iy0[c] = (t % g->OH) * g->sh - g->ph;
		iz0[c] = (t / g->OH) * g->sd - g->pd;
	}
	int64_t kx = k0 % g->KW, t = k0 / g->KW;
	int64_t ky = t % g->KH;
	t /= g->KH;
	int64_t kz = t % g->KD, ci = t / g->KD;
	int64_t S = g->D * g->H * g->W;
	for (int64_t k = 0; k < kc; k++) {
		const float *xc = x + ci * S;
		int64_t oz = kz * g->dd, oy = ky * g->dh, ox = kx * g->dw;
		float *restrict d = bp + k * KK_NR;
		for (int64_t c = 0; c < nr; c++) {
			int64_t iz = iz0[c] + oz, iy = iy0[c] + oy, ix = ix0[c] + ox;
			int in = (uint64_t)iz < (uint64_t)g->D && (uint64_t)iy < (uint64_t)g->H
				&& (uint64_t)ix < (uint64_t)g->W;
			d[c] = in ? xc[(iz * g->H + iy) * g->W + ix] : 0.0f;
		}
		for (int64_t c = nr; c < KK_NR; c++)
			d[c] = 0;
		if (++kx == g->KW) {
			kx = 0;
			if (++ky == g->KH) {
				ky = 0;
				if (++kz == g->KD) {
					kz = 0;
					ci++;
				}
			}
		}
	}
}

/* One image n, group gi: Y[Mg, P] = W_g[Mg, Kg] * im2col(X_g)[Kg, P]. */
static void kk__conv_gemm_f32(const float *restrict x, const float *restrict w,
	float *restrict y, const kk__conv_geom *g)
{
	int64_t Cg = g->C / g->group, Mg = g->M / g->group;
	int64_t Kg = Cg * g->KD * g->KH * g->KW, P = g->OD * g->OH * g->OW;
	float bp[KK_KC * KK_NR];
	for (int64_t p0 = 0; p0 < P; p0 += KK_NR) {
		int64_t nr = kk__min(KK_NR, P - p0);
		for (int64_t k0 = 0; k0 < Kg; k0 += KK_KC) {
			int64_t kc = kk__min(KK_KC, Kg - k0);
			kk__pack_im2col_f32(bp, x, g, k0, kc, p0, nr);
			kk__panel_f32(Mg, kc, w + k0, Kg, 1, bp, y + p0, P, nr, k0 > 0);
		}
	}
}

/* Direct convolution of output channel m of one image: y[P] = sum over the
 * group's input channels and taps, innermost loop over contiguous output
 * columns with the valid range precomputed (no per-element bounds test). */
#define KK__CONV_DIRECT(name, T) \
static void name(const T *restrict x, const T *restrict w, T *restrict y, \
	const kk__conv_geom *g, int64_t cg) \
{ \
	int64_t S = g->D * g->H * g->W, KS = g->KD * g->KH * g->KW; \
	for (int64_t i = 0; i < g->OD * g->OH * g->OW; i++) \
		y[i] = 0; \
	for (int64_t ci = 0; ci < cg; ci++) \
	for (int64_t oz = 0; oz < g->OD; oz++) \
	for (int64_t oy = 0; oy < g->OH; oy++) { \
		T *restrict yr = y + (oz * g->OH + oy) * g->OW; \
		for (int64_t kz = 0; kz < g->KD; kz++) { \
			int64_t iz = oz * g->sd - g->pd + kz * g->dd; \
			if (iz < 0 || iz >= g->D) \
				continue; \
			for (int64_t ky = 0; ky < g->KH; ky++) { \
				int64_t iy = oy * g->sh - g->ph + ky * g->dh; \
				if (iy < 0 || iy >= g->H) \
					continue; \
				const T *xr = x + ci * S + (iz * g->H + iy) * g->W; \
				const T *wr = w + ci * KS + (kz * g->KH + ky) * g->KW; \
				for (int64_t kx = 0; kx < g->KW; kx++) { \
					int64_t off = kx * g->dw - g->pw, lo, hi; \
					kk__valid_range(g->OW, g->W, g->sw, off, &lo, &hi); \
					T wv = wr[kx]; \
					if (g->sw == 1) \
						for (int64_t ox = lo; ox < hi; ox++) \
							yr[ox] += wv * xr[ox + off]; \
					else \
						for (int64_t ox = lo; ox < hi; ox++) \
							yr[ox] += wv * xr[ox * g->sw + off]; \
				} \
			} \
		} \
	} \
}

KK__CONV_DIRECT(kk__conv_direct_f32, float)
KK__CONV_DIRECT(kk__conv_direct_f64, double)

void kk_conv_f32(kiln_rt_ctx *ctx, const float *X, const float *W, const float *B,
	float *Y, int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd,
	int64_t M, int64_t OD, int64_t OH, int64_t OW,
	int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t group)
{
	kk__conv_geom g = {C, D, H, Wd, M, OD, OH, OW, KD, KH, KW,
		sd, sh, sw, dd, dh, dw, pd, ph, pw, group};
	int64_t Cg = C / group, Mg = M / group, S = D * H * Wd, P = OD * OH * OW;
	int64_t Kg = Cg * KD * KH * KW;
	for (int64_t n = 0; n < N; n++) {
		for (int64_t gi = 0; gi < group; gi++) {
			const float *x = X + (n * C + gi * Cg) * S;
			float *y = Y + (n * M + gi * Mg) * P;
			const float *w = W + gi * Mg * Kg;
			if (Cg == 1 || Mg == 1) {
				for (int64_t m = 0; m < Mg; m++)
					kk__conv_direct_f32(x, w + m * Kg, y + m * P, &g, Cg);
			} else {
				kk__conv_gemm_f32(x, w, y, &g);
			}
		}
		for (int64_t m = 0; B && m < M; m++) {
			float *restrict y = Y + (n * M + m) * P;
			float b = B[m];
			for (int64_t p = 0; p < P; p++)
				y[p] += b;
		}
	}
}

void kk_conv_f64(kiln_rt_ctx *ctx, const double *X, const double *W, const double *B,
	double *Y, int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd,
	int64_t M, int64_t OD, int64_t OH, int64_t OW,
	int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t group)
{
	kk__conv_geom g = {C, D, H, Wd, M, OD, OH, OW, KD, KH, KW,
		sd, sh, sw, dd, dh, dw, pd, ph, pw, group};
	int64_t Cg = C / group, Mg = M / group, S = D * H * Wd, P = OD * OH * OW;
	int64_t Kg = Cg * KD * KH * KW;
	for (int64_t n = 0; n < N; n++)
		for (int64_t m = 0; m < M; m++) {
			int64_t gi = m / Mg;
			double *restrict y = Y + (n * M + m) * P;
			kk__conv_direct_f64(X + (n * C + gi * Cg) * S, W + m * Kg, y, &g, Cg);
			double b = B ? B[m] : 0;
			for (int64_t p = 0; B && p < P; p++)
				y[p] += b;
		}
}
