/* nn_pool.c — ONNX MaxPool (with Indices), AveragePool and the global pools,
 * NCDHW with 1-D/2-D passed as 3-D. Each output row is built tap by tap with
 * the innermost loop over output columns and its valid range precomputed,
 * so there is no per-element bounds test and the loops vectorise. */
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "kk_nn.h"
#include "kk_par.h"
#include "kk_v8.h"

/* A pooling call split over output rows (n*C + c, oz, oy); g is the
 * geometry array of the row functions, so selects the MaxPool index order
 * (count_include_pad for AveragePool). */
typedef struct {
	const void *X;
	void *Y;
	int64_t *I;
	int64_t g[21];
	int32_t so;
	int32_t op;                  /* global pools: KK_POOL_* */
} kk__pool_job;

/* Decodes output row r of a pool with geometry g into (nc, oz, oy). */
static inline void kk__pool_row(const int64_t *g, int64_t r, int64_t *nc, int64_t *oz,
	int64_t *oy)
{
	int64_t t = r / g[4];
	*oy = r % g[4];
	*oz = t % g[3];
	*nc = t / g[3];
}

static inline int64_t kk__pfloor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Window taps k in [0, K) with o*s - p + k*d inside [lo, hi): their range
 * is returned as [*k0, *k1) (empty when *k1 <= *k0). */
static inline void kk__tap_range(int64_t o, int64_t s, int64_t p, int64_t d,
	int64_t K, int64_t lo, int64_t hi, int64_t *k0, int64_t *k1)
{
	int64_t b = o * s - p;
	int64_t a = -kk__pfloor_div(b - lo, d);        /* ceil((lo - b) / d) */
	int64_t e = kk__pfloor_div(hi - 1 - b, d) + 1;
	*k0 = a < 0 ? 0 : a;
	*k1 = e > K ? K : e;
}

/* Output columns ox in [0, on) whose input column ox*s + off is in [0, n). */
static inline void kk__col_range(int64_t on, int64_t n, int64_t s, int64_t off,
	int64_t *lo, int64_t *hi)
{
	int64_t l = -kk__pfloor_div(off, s);
	int64_t h = kk__pfloor_div(n - 1 - off, s) + 1;
	*lo = l < 0 ? 0 : l;
	*hi = h > on ? on : h;
}

/* Max pooling of one output row yr[OW] (indices ir, may be NULL) of plane
 * nc at (oz, oy). */
#define KK__MAXPOOL_ROW(name, T, LOWEST) \
static void name(const T *restrict x, T *restrict yr, int64_t *restrict ir, \
	int64_t nc, int64_t oz, int64_t oy, const int64_t *g, int32_t so) \
{ \
	int64_t D = g[0], H = g[1], W = g[2], OW = g[5]; \
	for (int64_t ox = 0; ox < OW; ox++) { \
		yr[ox] = LOWEST; \
		if (ir) \
			ir[ox] = -1; \
	} \
	for (int64_t kz = 0; kz < g[6]; kz++) { \
		int64_t iz = oz * g[9] - g[15] + kz * g[12]; \
		if (iz < 0 || iz >= D) \
			continue; \
		for (int64_t ky = 0; ky < g[7]; ky++) { \
			int64_t iy = oy * g[10] - g[16] + ky * g[13]; \
			if (iy < 0 || iy >= H) \
				continue; \
			const T *xr = x + (iz * H + iy) * W; \
			int64_t ib = so ? nc * D * H * W + iz + D * iy : ((nc * D + iz) * H + iy) * W; \
			int64_t is = so ? D * H : 1; \
			for (int64_t kx = 0; kx < g[8]; kx++) { \
				int64_t off = kx * g[14] - g[17], lo, hi, sw = g[11]; \
				kk__col_range(OW, W, sw, off, &lo, &hi); \
				if (ir) { \
					for (int64_t ox = lo; ox < hi; ox++) { \
						T v = xr[ox * sw + off]; \
						if (v > yr[ox]) { \
							yr[ox] = v; \
							ir[ox] = ib + (ox * sw + off) * is; \
						} \
					} \
				} else { \
					for (int64_t ox = lo; ox < hi; ox++) { \
						T v = xr[ox * sw + off]; \
						yr[ox] = v > yr[ox] ? v : yr[ox]; \
					} \
				} \
			} \
		} \
	} \
}

KK__MAXPOOL_ROW(kk__maxpool_row_f32, float, -INFINITY)
KK__MAXPOOL_ROW(kk__maxpool_row_f64, double, -INFINITY)
KK__MAXPOOL_ROW(kk__maxpool_row_u8, uint8_t, 0)

/* Output rows [oy0, oy1) of the f32 2-D max pooling of plane x (no Indices,
 * no dilation) into y (OW per row), a block of rows at a time in two passes:
 * each output row's window rows are reduced into a row of R, whole 8-lane
 * vectors (the last one overlapping the one before it: the same values
 * stored twice) over columns padded with -inf; then each output is the max
 * of KW neighbours of its R row, at a stride of 1 or 2 that is a constant in
 * its loop (LLVM's interleaved loads). No pass stores scalars that a vector
 * load reads back soon after: that defeats store-to-load forwarding, and
 * scalar remainder loops over the rows made this kernel 4-5x slower when it
 * was not inlined with constant sizes. NaN inputs are skipped as the
 * generic row does. Returns 0, doing nothing, when a row of R would not fit
 * its stack buffer. */
#define KK__POOL_ROW_BUF 4096
/* Planes of more than KK_L1_FLOATS floats (larger than L1, kk_par.h) have the
 * input rows of the output row KK__POOL_PF_AHEAD rows on prefetched:
 * SqueezeNet's first MaxPool (111x111 planes, from L3) alone 35-40% faster
 * while the machine's memory was slow, 5% while it was fast (alternating
 * builds run by run; 2 to 8 rows ahead alike); on its 55x55 planes level,
 * on 27x27 ones (in L2) 10% slower. */
#define KK__POOL_PF_AHEAD 4
#define KK__HMAX_PASSES(S) \
	do { \
		if (KW == 3) { \
			for (int64_t ox = 0; ox < OW; ox++) { \
				float a = r[ox * (S)], b = r[ox * (S) + 1], c = r[ox * (S) + 2]; \
				float m = b > a ? b : a; \
				yr[ox] = c > m ? c : m; \
			} \
			break; \
		} \
		for (int64_t ox = 0; ox < OW; ox++) \
			yr[ox] = r[ox * (S)]; \
		for (int64_t kx = 1; kx < KW; kx++) \
			for (int64_t ox = 0; ox < OW; ox++) { \
				float v = r[ox * (S) + kx]; \
				yr[ox] = v > yr[ox] ? v : yr[ox]; \
			} \
	} while (0)

/* The max of 3 rows' 8 columns at p (rows W apart), NaNs skipped (from
 * -inf, in row order). */
static inline kk_v8f kk__vmax3(const float *p, int64_t W)
{
	const kk_v8f lowest = {-INFINITY, -INFINITY, -INFINITY, -INFINITY,
			       -INFINITY, -INFINITY, -INFINITY, -INFINITY};
	kk_v8f a = kk__ld8(p), b = kk__ld8(p + W), d = kk__ld8(p + 2 * W), m = lowest;
	m = kk__sel8(a > m, a, m);
	m = kk__sel8(b > m, b, m);
	return kk__sel8(d > m, d, m);
}

/* Row r[0..n8) (n8 a multiple of 8): -inf outside columns [c0, c1), inside
 * them the max of rows xr[0..nr) (row stride W) at column c - pw. */
static void kk__vmax_rows(float *restrict r, int64_t n8, const float *restrict xr,
	int64_t nr, int64_t W, int64_t c0, int64_t c1, int64_t pw)
{
	const kk_v8f lowest = {-INFINITY, -INFINITY, -INFINITY, -INFINITY,
			       -INFINITY, -INFINITY, -INFINITY, -INFINITY};
	for (int64_t c = 0; c < n8; c += 8)
		kk__st8(r + c, &lowest);
	if (c1 - c0 < 8 || nr == 0) {
		for (int64_t i = 0; i < nr; i++)
			for (int64_t c = c0; c < c1; c++) {
				float v = xr[i * W + c - pw];
				r[c] = v > r[c] ? v : r[c];
			}
		return;
	}
	for (int64_t c = c0;; c += 8) {
		if (c > c1 - 8)
			c = c1 - 8;
		const float *p = xr + c - pw;
		kk_v8f m = lowest;     /* not row 0: a NaN there would stick */
		if (nr == 3) {         /* 3-row windows, unrolled */
			m = kk__vmax3(p, W);
		} else {
			for (int64_t i = 0; i < nr; i++) {
				kk_v8f v = kk__ld8(p + i * W);
				m = kk__sel8(v > m, v, m);
			}
		}
		kk__st8(r + c, &m);
		if (c == c1 - 8)
			break;
	}
}

/* 3x3 windows at stride 2 wholly inside the plane (no pads; SqueezeNet's
 * three MaxPools, and KilnConvPool's: nn_conv.c calls it too, an internal
 * symbol like every kernel helper once the model is built): each output row's 8 outputs in one pass, the column maxima
 * of its 3 input rows in registers and split into even and odd columns (a
 * shuffle per 8 floats), no row buffer; the same maxima in the same order as
 * the two-pass path (the last 8 outputs of a row overlapping the ones before
 * them: the same values stored twice). Needs OW >= 8. In the network, per
 * node, 1 thread (alternating builds): SqueezeNet's 111x111, 55x55 and
 * 27x27 pools 329 -> 283, 146 -> 87 and 102 -> 43 us (ONNX Runtime's,
 * timed by its profiler: 293, 75 and 44); the two passes spent most of
 * their time on each row's setup and its buffer of -inf. */
void kk__maxpool33s2_f32(const float *restrict x, float *restrict y, int64_t oy0,
	int64_t oy1, int64_t W, int64_t OW)
{
	for (int64_t oy = oy0; oy < oy1; oy++) {
		const float *r = x + 2 * oy * W;
		float *yr = y + (oy - oy0) * OW;
		for (int64_t ox = 0;; ox += 8) {
			if (ox > OW - 8)
				ox = OW - 8;
			const float *p = r + 2 * ox;
			kk_v8f a = kk__vmax3(p, W), b = kk__vmax3(p + 8, W);
			kk_v8f a1 = kk__vmax3(p + 1, W), b1 = kk__vmax3(p + 9, W);
			/* columns 2i, 2i + 1 and 2i + 2 of the 8 windows */
			kk_v8f e = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
			kk_v8f o = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
			kk_v8f e2 = __builtin_shufflevector(a1, b1, 1, 3, 5, 7, 9, 11, 13, 15);
			kk_v8f m = kk__sel8(o > e, o, e);
			m = kk__sel8(e2 > m, e2, m);
			kk__st8(yr + ox, &m);
			if (ox == OW - 8)
				break;
		}
	}
}

static int kk__maxpool_rows2d_f32(const float *restrict x, float *restrict y, int64_t oy0,
	int64_t oy1, const int64_t *g)
{
	int64_t H = g[1], W = g[2], OW = g[5], KH = g[7], KW = g[8], sh = g[10], sw = g[11];
	int64_t ph = g[16], pw = g[17];
	int64_t span = (OW - 1) * sw + KW;   /* columns of R the outputs read */
	int64_t n8 = (span + 7) / 8 * 8;
	if (n8 > KK__POOL_ROW_BUF)
		return 0;
	float R[KK__POOL_ROW_BUF];
	int64_t c0 = pw < span ? pw : span, c1 = pw + W < span ? pw + W : span;
	int64_t block = KK__POOL_ROW_BUF / n8;
	int pf_on = H * W > KK_L1_FLOATS;
	for (int64_t b = oy0; b < oy1; b += block) {
		int64_t e = b + block < oy1 ? b + block : oy1;
		for (int64_t oy = b; oy < e; oy++) {
			int64_t ky0, ky1;
			/* the sh input rows output row oy + KK__POOL_PF_AHEAD adds
			 * (past the plane: the next one's first rows) */
			const float *pf = x + ((oy + KK__POOL_PF_AHEAD) * sh - ph + KH - sh) * W;
			for (int64_t q = 0; pf_on && q < sh * W; q += 16)
				__builtin_prefetch(pf + q, 0, 3);
			kk__tap_range(oy, sh, ph, 1, KH, 0, H, &ky0, &ky1);
			kk__vmax_rows(R + (oy - b) * n8, n8, x + (oy * sh - ph + ky0) * W,
				      ky1 > ky0 ? ky1 - ky0 : 0, W, c0, c1, pw);
		}
		for (int64_t oy = b; oy < e; oy++) {
			const float *r = R + (oy - b) * n8;
			float *yr = y + (oy - oy0) * OW;
			if (sw == 1)
				KK__HMAX_PASSES(1);
			else if (sw == 2)
				KK__HMAX_PASSES(2);
			else
				KK__HMAX_PASSES(sw);
		}
	}
	return 1;
}

/* Output rows [b, e) (rows of (n*C + c, oz, oy)) of the f32 max pooling:
 * each plane's run of rows by the 2-D path when it applies (one depth, no
 * depth padding, no Indices, no dilation), else row by row. */
static void kk__maxpool_range_f32(const float *X, float *Y, int64_t *I, const int64_t *g,
	int32_t so, int64_t b, int64_t e)
{
	int plane2d = !I && g[0] == 1 && g[3] == 1 && g[6] == 1 && g[13] == 1 && g[14] == 1;
	for (int64_t r = b, nc, oz, oy; r < e;) {
		kk__pool_row(g, r, &nc, &oz, &oy);
		const float *x = X + nc * g[0] * g[1] * g[2];
		int64_t n = g[4] - oy < e - r ? g[4] - oy : e - r;
		if (plane2d && kk__maxpool_rows2d_f32(x, Y + r * g[5], oy, oy + n, g)) {
			r += n;
			continue;
		}
		kk__maxpool_row_f32(x, Y + r * g[5], I ? I + r * g[5] : NULL, nc, oz, oy, g, so);
		r++;
	}
}

/* Output rows [b, e) of a pooling kk__maxpool33s2_f32 takes whole (each
 * plane's run of rows). */
static void kk__maxpool33s2_rows(void *vp, int64_t b, int64_t e)
{
	const kk__pool_job *j = vp;
	const int64_t *g = j->g;
	for (int64_t r = b, nc, oz, oy; r < e;) {
		kk__pool_row(g, r, &nc, &oz, &oy);
		int64_t n = g[4] - oy < e - r ? g[4] - oy : e - r;
		kk__maxpool33s2_f32((const float *)j->X + nc * g[1] * g[2],
			(float *)j->Y + r * g[5], oy, oy + n, g[2], g[5]);
		r += n;
	}
}

/* The other element types, row by row. */
#define KK__POOL_RANGE(name, rowfn, T) \
static void name(const T *X, T *Y, int64_t *I, const int64_t *g, int32_t so, \
	int64_t b, int64_t e) \
{ \
	for (int64_t r = b, nc, oz, oy; r < e; r++) { \
		kk__pool_row(g, r, &nc, &oz, &oy); \
		rowfn(X + nc * g[0] * g[1] * g[2], Y + r * g[5], I ? I + r * g[5] : NULL, \
			nc, oz, oy, g, so); \
	} \
}

KK__POOL_RANGE(kk__maxpool_range_f64, kk__maxpool_row_f64, double)
KK__POOL_RANGE(kk__maxpool_range_u8, kk__maxpool_row_u8, uint8_t)

/* g[] layout shared by the pool helpers: D H W OD OH OW KD KH KW sd sh sw dd
 * dh dw pd ph pw ped peh pew. */
#define KK__MAXPOOL(name, rangefn, T) \
static void name##_rows(void *vp, int64_t b, int64_t e) \
{ \
	const kk__pool_job *j = vp; \
	rangefn((const T *)j->X, (T *)j->Y, j->I, j->g, j->so, b, e); \
} \
void name(kiln_rt_ctx *ctx, const T *X, T *Y, int64_t *I, \
	int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd, \
	int64_t OD, int64_t OH, int64_t OW, int64_t KD, int64_t KH, int64_t KW, \
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw, \
	int64_t pd, int64_t ph, int64_t pw, int32_t storage_order) \
{ \
	const int64_t g[18] = {D, H, Wd, OD, OH, OW, KD, KH, KW, sd, sh, sw, \
		dd, dh, dw, pd, ph, pw}; \
	int64_t rows_ = N * C * OD * OH, gr_ = kk_par_grain(KK_PAR_MIN_ELEMS, OW * KD * KH * KW); \
	if (kk_par_tasks(ctx, rows_, gr_, 1) > 1) { \
		kk__pool_job j = {X, Y, I, {0}, storage_order, 0}; \
		memcpy(j.g, g, sizeof g); \
		kk_par_for(ctx, rows_, gr_, name##_rows, &j); \
		return; \
	} \
	rangefn(X, Y, I, g, storage_order, 0, rows_); \
}

KK__MAXPOOL(kk__maxpool_any_f32, kk__maxpool_range_f32, float)

/* f32: 3x3 windows at stride 2 inside the plane (no pads, no dilation, no
 * Indices, OW >= 8) by kk__maxpool33s2_f32, decided here, where the code
 * generator's constants fold the test (a model without such a pool does not
 * compile that path: ResNet-18's compile took 0.7 s longer with the test in
 * the row loop), the rows split over the threads as the other paths'. */
void kk_maxpool_f32(kiln_rt_ctx *ctx, const float *X, float *Y, int64_t *I,
	int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd,
	int64_t OD, int64_t OH, int64_t OW, int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int32_t storage_order)
{
	if (!I && D == 1 && OD == 1 && KD == 1 && KH == 3 && KW == 3 && sh == 2 && sw == 2 &&
	    dh == 1 && dw == 1 && pd == 0 && ph == 0 && pw == 0 && OW >= 8 &&
	    2 * OW + 1 <= Wd && 2 * OH + 1 <= H) {
		kk__pool_job j = {X, Y, NULL, {1, H, Wd, 1, OH, OW}, storage_order, 0};
		kk_par_for(ctx, N * C * OH, kk_par_grain(KK_PAR_MIN_ELEMS, OW * 9),
			kk__maxpool33s2_rows, &j);
		return;
	}
	kk__maxpool_any_f32(ctx, X, Y, I, N, C, D, H, Wd, OD, OH, OW, KD, KH, KW, sd, sh, sw,
		dd, dh, dw, pd, ph, pw, storage_order);
}
KK__MAXPOOL(kk_maxpool_f64, kk__maxpool_range_f64, double)
KK__MAXPOOL(kk_maxpool_u8, kk__maxpool_range_u8, uint8_t)

/* Average pooling of one output row: sums over the valid taps, then divides
 * by the separable count of counted cells. */
#define KK__AVGPOOL_ROW(name, T) \
static void name(const T *restrict x, T *restrict yr, int64_t oz, int64_t oy, \
	const int64_t *g, int32_t cip) \
{ \
	int64_t D = g[0], H = g[1], W = g[2], OW = g[5], sw = g[11]; \
	for (int64_t ox = 0; ox < OW; ox++) \
		yr[ox] = 0; \
	for (int64_t kz = 0; kz < g[6]; kz++) { \
		int64_t iz = oz * g[9] - g[15] + kz * g[12]; \
		if (iz < 0 || iz >= D) \
			continue; \
		for (int64_t ky = 0; ky < g[7]; ky++) { \
			int64_t iy = oy * g[10] - g[16] + ky * g[13]; \
			if (iy < 0 || iy >= H) \
				continue; \
			const T *xr = x + (iz * H + iy) * W; \
			for (int64_t kx = 0; kx < g[8]; kx++) { \
				int64_t off = kx * g[14] - g[17], lo, hi; \
				kk__col_range(OW, W, sw, off, &lo, &hi); \
				if (sw == 1) \
					for (int64_t ox = lo; ox < hi; ox++) \
						yr[ox] += xr[ox + off]; \
				else \
					for (int64_t ox = lo; ox < hi; ox++) \
						yr[ox] += xr[ox * sw + off]; \
			} \
		} \
	} \
	int64_t a, b, c, e; \
	kk__tap_range(oz, g[9], g[15], g[12], g[6], cip ? -g[15] : 0, \
		cip ? D + g[18] : D, &a, &b); \
	kk__tap_range(oy, g[10], g[16], g[13], g[7], cip ? -g[16] : 0, \
		cip ? H + g[19] : H, &c, &e); \
	int64_t czy = (b > a ? b - a : 0) * (e > c ? e - c : 0); \
	for (int64_t ox = 0; ox < OW; ox++) { \
		kk__tap_range(ox, sw, g[17], g[14], g[8], cip ? -g[17] : 0, \
			cip ? W + g[20] : W, &a, &b); \
		int64_t cnt = czy * (b > a ? b - a : 0); \
		yr[ox] = cnt > 0 ? yr[ox] / (T)cnt : 0; \
	} \
}

KK__AVGPOOL_ROW(kk__avgpool_row_f32, float)
KK__AVGPOOL_ROW(kk__avgpool_row_f64, double)

#define KK__AVGPOOL(name, rowfn, T) \
static void name##_rows(void *vp, int64_t b, int64_t e) \
{ \
	const kk__pool_job *j = vp; \
	const int64_t *g = j->g; \
	for (int64_t r = b, nc, oz, oy; r < e; r++) { \
		kk__pool_row(g, r, &nc, &oz, &oy); \
		rowfn((const T *)j->X + nc * g[0] * g[1] * g[2], (T *)j->Y + r * g[5], \
			oz, oy, g, j->so); \
	} \
} \
void name(kiln_rt_ctx *ctx, const T *X, T *Y, \
	int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd, \
	int64_t OD, int64_t OH, int64_t OW, int64_t KD, int64_t KH, int64_t KW, \
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw, \
	int64_t pd, int64_t ph, int64_t pw, int64_t ped, int64_t peh, int64_t pew, \
	int32_t count_include_pad) \
{ \
	const int64_t g[21] = {D, H, Wd, OD, OH, OW, KD, KH, KW, sd, sh, sw, \
		dd, dh, dw, pd, ph, pw, ped, peh, pew}; \
	int64_t rows_ = N * C * OD * OH, gr_ = kk_par_grain(KK_PAR_MIN_ELEMS, OW * KD * KH * KW); \
	if (kk_par_tasks(ctx, rows_, gr_, 1) > 1) { \
		kk__pool_job j = {X, Y, NULL, {0}, count_include_pad, 0}; \
		memcpy(j.g, g, sizeof g); \
		kk_par_for(ctx, rows_, gr_, name##_rows, &j); \
		return; \
	} \
	for (int64_t nc = 0; nc < N * C; nc++) \
		for (int64_t oz = 0; oz < OD; oz++) \
			for (int64_t oy = 0; oy < OH; oy++) \
				rowfn(X + nc * D * H * Wd, Y + ((nc * OD + oz) * OH + oy) * OW, \
					oz, oy, g, count_include_pad); \
}

KK__AVGPOOL(kk_avgpool_f32, kk__avgpool_row_f32, float)
KK__AVGPOOL(kk_avgpool_f64, kk__avgpool_row_f64, double)

/* Global pools: 8 independent lanes per row so the reduction vectorises
 * without reassociation. */
#define KK__GLOBAL_POOL(name, T) \
static void name##_rows(void *vp, int64_t b, int64_t e) \
{ \
	const kk__pool_job *j = vp; \
	name(NULL, j->op, (const T *)j->X + b * j->g[0], (T *)j->Y + b, e - b, j->g[0]); \
} \
void name(kiln_rt_ctx *ctx, int32_t op, const T *X, T *Y, int64_t NC, \
	int64_t spatial) \
{ \
	int64_t gr_ = kk_par_grain(KK_PAR_MIN_ELEMS, spatial); \
	if (kk_par_tasks(ctx, NC, gr_, 1) > 1) { \
		kk__pool_job j = {X, Y, NULL, {spatial}, 0, op}; \
		kk_par_for(ctx, NC, gr_, name##_rows, &j); \
		return; \
	} \
	for (int64_t r = 0; r < NC; r++) { \
		const T *restrict x = X + r * spatial; \
		T acc[8], s; \
		int64_t i = 0; \
		for (int l = 0; l < 8; l++) \
			acc[l] = op == KK_POOL_MAX ? x[0] : 0; \
		for (; i + 8 <= spatial; i += 8) \
			for (int l = 0; l < 8; l++) { \
				T v = x[i + l]; \
				acc[l] = op == KK_POOL_MAX ? (v > acc[l] ? v : acc[l]) : acc[l] + v; \
			} \
		s = acc[0]; \
		for (int l = 1; l < 8; l++) \
			s = op == KK_POOL_MAX ? (acc[l] > s ? acc[l] : s) : s + acc[l]; \
		for (; i < spatial; i++) \
			s = op == KK_POOL_MAX ? (x[i] > s ? x[i] : s) : s + x[i]; \
		Y[r] = op == KK_POOL_MAX ? s : s / (T)spatial; \
	} \
}

KK__GLOBAL_POOL(kk_global_pool_f32, float)
KK__GLOBAL_POOL(kk_global_pool_f64, double)
