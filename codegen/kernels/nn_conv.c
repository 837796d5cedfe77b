/* nn_conv.c — ONNX Conv (NCDHW; 1-D/2-D passed as 3-D with unit dims).
 * f32: implicit GEMM — W (Mg x Cg*KD*KH*KW, already row-major) times an
 * im2col panel of X packed on the fly (16 output pixels x 256 taps, padding
 * as zeros) through the nn_micro.h micro-kernel: by vector loads from the
 * input or from a zero-padded copy of it where every tap of the block is
 * inside, else from a per-block copy plan. Small 2-D images run as the
 * transposed product (kk_conv_t_f32, through nn_gemm.c); channel-wise
 * convolutions (C/group == 1, e.g. depthwise) and f64 use direct row loops. */
#include <math.h>

#include "kk_nn.h"
#include "nn_micro.h"
#include "kk_par.h"

/* The kk_conv_f32 paths (kk_pack.h KK_CONV_PATH_*) the model can take: the
 * code generator replaces this definition with the union over its Conv
 * nodes, as an internal constant (module.c); weak, so that the compiler of
 * this file cannot fold it, and all paths where nothing replaces it (the
 * kernels linked natively into the tests). */
__attribute__((weak)) const int kk_conv_paths = KK_CONV_PATH_CW | KK_CONV_PATH_FEWC;

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

/* Output-row segments of a block of KK_NR consecutive output pixels: pixels
 * [c, c+n) of the block share (oz, oy) and start at column ox. */
typedef struct {
	int64_t c[KK_NR], n[KK_NR], oz[KK_NR], oy[KK_NR], ox[KK_NR];
	int64_t count;
} kk__segs;

static void kk__make_segs(kk__segs *s, const kk__conv_geom *g, int64_t p0, int64_t nr)
{
	s->count = 0;
	for (int64_t c = 0, p = p0; c < nr; s->count++) {
		int64_t ox = p % g->OW, t = p / g->OW, len = kk__min(g->OW - ox, nr - c);
		s->c[s->count] = c;
		s->n[s->count] = len;
		s->ox[s->count] = ox;
		s->oy[s->count] = t % g->OH;
		s->oz[s->count] = t / g->OH;
		c += len;
		p += len;
	}
}

/* One im2col row segment: d[j] = row[ix0 + j*sw] for the j in [0, n) whose
 * input column lies in [0, W); the caller has zeroed d. Runs of 8 are
 * vector copies (stride 1, or stride 2 as two loads and a shuffle, only where
 * all 16 loaded floats lie inside the row); the "+ 0.0f" keeps LLVM from
 * turning the scalar remainder into memcpy calls. */
static inline void kk__pack_seg_f32(float *restrict d, const float *restrict row,
	int64_t ix0, int64_t n, int64_t sw, int64_t W)
{
	int64_t lo, hi, j;
	if (sw == 1) {
		lo = ix0 >= 0 ? 0 : -ix0;
		hi = kk__min(n, W - ix0);
		for (j = lo; j + 8 <= hi; j += 8) {
			kk_v8f v = kk__ld8(row + ix0 + j);
			kk__st8(d + j, &v);
		}
	} else {
		lo = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
		hi = ix0 >= W ? 0 : kk__min(n, (W - ix0 + sw - 1) / sw);
		j = lo;
		if (sw == 2)
			for (; j + 8 <= hi && ix0 + 2 * j + 16 <= W; j += 8) {
				kk_v8f a = kk__ld8(row + ix0 + 2 * j), b = kk__ld8(row + ix0 + 2 * j + 8);
				kk_v8f v = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
				kk__st8(d + j, &v);
			}
	}
	for (; j < hi; j++)
		d[j] = row[ix0 + j * sw] + 0.0f;
}

/* Packs the im2col panel rows k0..k0+kc (tap = (ci, kz, ky, kx) flattened)
 * of the pixel block described by s (nr pixels) of one image/group into
 * bp[kc][KK_NR], zero-filling columns past the block and padding taps. */
static void kk__pack_im2col_f32(float *restrict bp, const float *restrict x,
	const kk__conv_geom *g, const kk__segs *s, int64_t k0, int64_t kc)
{
	int64_t kx = k0 % g->KW, t = k0 / g->KW;
	int64_t ky = t % g->KH;
	t /= g->KH;
	int64_t kz = t % g->KD, ci = t / g->KD;
	int64_t S = g->D * g->H * g->W;
	for (int64_t k = 0; k < kc; k++) {
		const float *xc = x + ci * S;
		float *restrict d = bp + k * KK_NR;
		kk_v8f z = {0};
		kk__st8(d, &z);
		kk__st8(d + 8, &z);
		for (int64_t i = 0; i < s->count; i++) {
			int64_t iz = s->oz[i] * g->sd - g->pd + kz * g->dd;
			int64_t iy = s->oy[i] * g->sh - g->ph + ky * g->dh;
			if ((uint64_t)iz < (uint64_t)g->D && (uint64_t)iy < (uint64_t)g->H)
				kk__pack_seg_f32(d + s->c[i], xc + (iz * g->H + iy) * g->W,
					s->ox[i] * g->sw - g->pw + kx * g->dw, s->n[i], g->sw,
					g->W);
		}
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

/* Copy plan of one pixel block: for each tap t = (kz, ky, kx), the runs of
 * the block's im2col row that read inside the input plane, as (dst column,
 * src offset within a channel plane, length); the row of tap t and input
 * channel ci is then these runs shifted by ci * plane, with no per-row
 * index arithmetic. Kernels with more taps or runs than fit use
 * kk__pack_im2col_f32. */
#define KK__PLAN_TAPS 64
#define KK__PLAN_RUNS 256
typedef struct {
	int32_t dst[KK__PLAN_RUNS], len[KK__PLAN_RUNS];
	int64_t src[KK__PLAN_RUNS];
	int16_t first[KK__PLAN_TAPS + 1];   /* runs of tap t: [first[t], first[t+1]) */
	uint8_t full[KK__PLAN_TAPS];        /* runs cover all KK_NR columns */
} kk__plan;

/* Builds the plan of the block described by s; 0 when it does not fit. */
static int kk__make_plan(kk__plan *pl, const kk__conv_geom *g, const kk__segs *s)
{
	int64_t taps = g->KD * g->KH * g->KW;
	if (taps > KK__PLAN_TAPS)
		return 0;
	int nr = 0;
	for (int64_t t = 0; t < taps; t++) {
		int64_t kx = t % g->KW, ky = t / g->KW % g->KH, kz = t / (g->KW * g->KH);
		int64_t covered = 0;
		pl->first[t] = (int16_t)nr;
		for (int64_t i = 0; i < s->count; i++) {
			int64_t iz = s->oz[i] * g->sd - g->pd + kz * g->dd;
			int64_t iy = s->oy[i] * g->sh - g->ph + ky * g->dh;
			if ((uint64_t)iz >= (uint64_t)g->D || (uint64_t)iy >= (uint64_t)g->H)
				continue;
			int64_t ix0 = s->ox[i] * g->sw - g->pw + kx * g->dw, lo, hi;
			kk__valid_range(s->n[i], g->W, g->sw, ix0, &lo, &hi);
			if (hi <= lo)
				continue;
			if (nr == KK__PLAN_RUNS)
				return 0;
			pl->dst[nr] = (int32_t)(s->c[i] + lo);
			pl->len[nr] = (int32_t)(hi - lo);
			pl->src[nr] = (iz * g->H + iy) * g->W + ix0 + lo * g->sw;
			covered += hi - lo;
			nr++;
		}
		pl->full[t] = covered == KK_NR;
	}
	pl->first[taps] = (int16_t)nr;
	return 1;
}

/* d[0..n) = s[0..n), n <= KK_NR, as at most two (overlapping) vector copies
 * of 8 or 4 floats: no scalar tails in the common 3x3 cases (runs of 15,
 * 14, 7 ...). */
static inline void kk__copy_run(float *restrict d, const float *restrict s, int64_t n)
{
	if (n >= 8) {
		kk_v8f a = kk__ld8(s), b = kk__ld8(s + n - 8);
		kk__st8(d, &a);
		kk__st8(d + n - 8, &b);
		return;
	}
	if (n >= 4) {
		kk__v4f a, b;
		memcpy(&a, s, sizeof a);
		memcpy(&b, s + n - 4, sizeof b);
		memcpy(d, &a, sizeof a);
		memcpy(d + n - 4, &b, sizeof b);
		return;
	}
	for (int64_t j = 0; j < n; j++)
		d[j] = s[j] + 0.0f;
}

/* Rows k0..k0+kc of a block's im2col panel from its plan. */
static void kk__pack_plan_f32(float *restrict bp, const float *restrict x,
	const kk__conv_geom *g, const kk__plan *pl, int64_t k0, int64_t kc)
{
	int64_t taps = g->KD * g->KH * g->KW, S = g->D * g->H * g->W;
	int64_t t = k0 % taps, ci = k0 / taps, sw = g->sw;
	for (int64_t k = 0; k < kc; k++) {
		float *restrict d = bp + k * KK_NR;
		const float *xc = x + ci * S;
		if (!pl->full[t]) {
			kk_v8f z = {0};
			kk__st8(d, &z);
			kk__st8(d + 8, &z);
		}
		for (int r = pl->first[t]; r < pl->first[t + 1]; r++) {
			float *dd = d + pl->dst[r];
			const float *src = xc + pl->src[r];
			int64_t n = pl->len[r];
			if (sw == 1 && n <= KK_NR) {
				kk__copy_run(dd, src, n);
				continue;
			}
			if (sw == 2 && n >= 8 && n <= KK_NR && pl->src[r] + 2 * n <= S) {
				/* the even floats of two vectors; the last 8 overlap
				 * the first (reads src[2n-1], still in the plane) */
				kk_v8f a = kk__ld8(src), b = kk__ld8(src + 8);
				kk_v8f v = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
				kk__st8(dd, &v);
				a = kk__ld8(src + 2 * n - 16);
				b = kk__ld8(src + 2 * n - 8);
				v = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
				kk__st8(dd + n - 8, &v);
				continue;
			}
			for (int64_t j = 0; j < n; j++)
				dd[j] = src[j * sw] + 0.0f;
		}
		if (++t == taps) {
			t = 0;
			ci++;
		}
	}
}

/* 16 floats from src at stride sw (1, or 2: two loads and a shuffle per 8). */
static inline void kk__ld16s(const float *src, int64_t sw, kk_v8f *a, kk_v8f *b)
{
	if (sw == 1) {
		*a = kk__ld8(src);
		*b = kk__ld8(src + 8);
		return;
	}
	*a = __builtin_shufflevector(kk__ld8(src), kk__ld8(src + 8), 0, 2, 4, 6, 8, 10, 12, 14);
	*b = __builtin_shufflevector(kk__ld8(src + 16), kk__ld8(src + 24),
		0, 2, 4, 6, 8, 10, 12, 14);
}

/* Rows k0..k0+kc of the im2col panel of a block of KK_NR pixels whose taps
 * all lie inside the source (the input, or its zero-padded copy): columns
 * [0, n1) are one output row, starting at x1; columns [n1, KK_NR) the start
 * of the next, at x2 (n1 == KK_NR: no second row). Row k is x1 + ci * S +
 * toff[t] at stride sw, blended with the same from x2: vector loads and
 * selects only, no plan. */
static void kk__pack_interior_f32(float *restrict bp, const float *restrict x1,
	const float *restrict x2, int64_t n1, const int64_t *toff, int64_t taps, int64_t S,
	int64_t sw, int64_t k0, int64_t kc)
{
	int64_t t = k0 % taps, ci = k0 / taps;
	const kk_v8i lane0 = {0, 1, 2, 3, 4, 5, 6, 7}, lane1 = lane0 + 8;
	const kk_v8i m0 = lane0 < (int32_t)n1, m1 = lane1 < (int32_t)n1;
	/* the second row's columns c >= n1 read x2 + (c - n1) * sw */
	const float *x2s = x2 ? x2 - n1 * sw : NULL;
	for (int64_t k = 0; k < kc; k++) {
		int64_t o = ci * S + toff[t];
		kk_v8f a, b;
		kk__ld16s(x1 + o, sw, &a, &b);
		if (x2s) {
			kk_v8f c, d;
			kk__ld16s(x2s + o, sw, &c, &d);
			a = kk__sel8(m0, a, c);
			b = kk__sel8(m1, b, d);
		}
		kk__st8(bp + k * KK_NR, &a);
		kk__st8(bp + k * KK_NR + 8, &b);
		if (++t == taps) {
			t = 0;
			ci++;
		}
	}
}

/* A zero-padded copy of one image's input for a 2-D convolution (the
 * scratch S of kk_conv_f32, kk_pack.h's kk_conv_pad_floats): per channel
 * PH rows of PW floats, padded so that every tap of every output pixel, and
 * the vector loads past a block's last one, stay inside. */
typedef struct {
	const float *xp;
	int64_t PH, PW;
} kk__padded;

/* Pixel blocks per unit of the threads' pixel split. */
#define KK__CONV_Q KK_NR

/* Work of one float moved (padded copies, im2col), in the flops
 * kk_par_grain counts. */
#define KK__MOVE_COST 32

/* Pointwise convolution with one K slice (Kg <= KK_KC) and packed weights:
 * Y[Mg, P] = Wp[Mg, Kg] * X[Kg, P] for the pixels [qb, qe), X read in place
 * (rows of P floats; a last partial block is copied, zero-padded). Loop
 * order: blocks of up to 64 KB of X (L2), each swept by every weight sliver
 * across its pixels, so each sliver writes its six output rows in long
 * runs; sweeping every sliver over one 16-pixel block at a time (the
 * general loop) writes 64 bytes to each of Mg rows P apart in turn, and
 * with a short K those scattered stores, not the multiply-adds, bound the
 * layer (MobileNetV2's 16 -> 96 expansion ran at a quarter of the peak).
 * Each k step of the micro-kernel prefetches its row of X KK__PW_PF_AHEAD
 * panels ahead: the first sliver over a block reads X from L3 or memory, K
 * rows P floats apart (more streams than the hardware prefetchers follow),
 * and one panel ahead hid little of it (MobileNetV2's 32 -> 16 and 96 -> 24
 * projections 22-27% faster at 3 ahead than at 1, its expansions 7%; 2 and
 * 4 ahead in between, 8 worse). Not inlined, like kk__conv_gemm_f32: each
 * holds a copy of the micro-kernel, and as functions of their own they can
 * be compiled in parallel (split.c). */
#define KK__PW_PF_AHEAD 3
static __attribute__((noinline)) void kk__conv_pointwise_f32(const float *restrict x,
	const float *restrict wp,
	float *restrict y, int64_t Mg, int64_t Kg, int64_t P, const kk__epi *ep, int64_t qb,
	int64_t qe)
{
	float tail[KK_KC * KK_NR];
	int64_t per = 16384 / (Kg * KK_NR);
	int64_t blk = (per > 1 ? per : 1) * KK_NR;   /* pixels per block */
	for (int64_t pb = qb; pb < qe; pb += blk) {
		int64_t pe = kk__min(qe, pb + blk), pt = pe - (pe - pb) % KK_NR;
		for (int64_t k = 0; pt < pe && k < Kg; k++)   /* a last partial panel */
			for (int64_t c = 0; c < KK_NR; c++)
				tail[k * KK_NR + c] = pt + c < pe ? x[k * P + pt + c] : 0.0f;
		for (int64_t i0 = 0; i0 < Mg; i0 += KK_MR) {
			int64_t mr = kk__min(KK_MR, Mg - i0);
			const float *a = wp + i0 * Kg;
			for (int64_t p0 = pb; p0 < pe; p0 += KK_NR) {
				int64_t nr = kk__min(KK_NR, pe - p0);
				const float *src = nr == KK_NR ? x + p0 : tail;
				int64_t ks = nr == KK_NR ? P : KK_NR;
				kk__epi e;
				kk__micro_s_f32(Kg, a, 1, KK_MR, src, ks, y + i0 * P + p0, P, mr, nr, 0,
					kk__epi_at(ep, i0, p0, &e), src + KK__PW_PF_AHEAD * KK_NR, ks);
			}
		}
	}
}

/* 1x1, stride 1, no padding, the image kept: im2col(X) == X (a row of P
 * floats per input channel). */
static inline int kk__conv_geom_pointwise(const kk__conv_geom *g)
{
	return g->KD * g->KH * g->KW == 1 && g->sd * g->sh * g->sw == 1 && g->pd == 0 &&
	       g->ph == 0 && g->pw == 0 && g->OD * g->OH * g->OW == g->D * g->H * g->W;
}

/* Pixel blocks whose panels each weight sliver sweeps in turn when a K
 * slice of the weights is more than KK__CONV_WL2 bytes (it comes from L3,
 * once per KK__CONV_NB blocks instead of once per block: SqueezeNet's last
 * layer, 512 -> 1000 at 13x13, streamed its 2 MB of weights 11 times). */
#define KK__CONV_NB 4
#define KK__CONV_WL2 ((int64_t)256 << 10)

/* Where one pixel block of kk__conv_gemm_f32 takes its im2col panel from. */
typedef struct {
	int64_t p0, nr, n1;
	const float *x1, *x2;     /* the block's first source cells, or NULL */
	int planned;
	kk__segs sg;
	kk__plan pl;
} kk__conv_blk;

/* One image n, group gi: Y[Mg, P] = W_g[Mg, Kg] * im2col(X_g)[Kg, P] for
 * the pixels [qb, qe). Loop order (BLIS): block of KK_NR pixels, K slice,
 * the block's im2col panel packed once (KK_KC x KK_NR, 16 KB: stays in L1)
 * and swept by every KK_MR-row sliver of the weights (from L2; with more
 * weights than L2 holds, each sliver sweeps KK__CONV_NB blocks). Weights not
 * packed at compile time (wp NULL) are packed here a sliver at a time, so
 * the micro-kernel always reads A with constant strides (with A's strides
 * unknown, clang kept the six row offsets of the k loop on the stack). Not
 * inlined (see kk__conv_pointwise_f32). */
static __attribute__((noinline)) void kk__conv_gemm_f32(const float *restrict x,
	const float *restrict w,
	const float *restrict wp, float *restrict y, const kk__conv_geom *g, const kk__epi *ep,
	int64_t qb, int64_t qe, const kk__padded *pad)
{
	int64_t Cg = g->C / g->group, Mg = g->M / g->group;
	int64_t Kg = Cg * g->KD * g->KH * g->KW, P = g->OD * g->OH * g->OW;
	float bp[KK__CONV_NB * KK_KC * KK_NR], ap[KK_MR * KK_KC];
	kk__conv_blk blk[KK__CONV_NB];
	/* 1x1, stride 1, no padding: im2col(X) == X (Kg x P, row stride P),
	 * read in place when few output channels share each packed panel
	 * (packing is a copy that pays off from about 64 of them) */
	int pointwise = kk__conv_geom_pointwise(g);
	if (pointwise && wp && Kg <= KK_KC) {
		kk__conv_pointwise_f32(x, wp, y, Mg, Kg, P, ep, qb, qe);
		return;
	}
	int direct = Mg < 64 && pointwise;
	/* blocks in one output row with every tap inside the input are packed
	 * from the taps' offsets alone (kk__pack_interior_f32): the offset of
	 * each tap from the block's first input cell, and the input columns a
	 * row's vector loads reach (two vectors per 16 floats at stride 2) */
	int64_t taps = g->KD * g->KH * g->KW, toff[KK__PLAN_TAPS];
	int64_t xreach = (g->KW - 1) * g->dw + (g->sw == 1 ? 16 : 32);
	int fast = !direct && taps <= KK__PLAN_TAPS && (g->sw == 1 || g->sw == 2);
	/* the source rows are read from: the padded copy (every block inside
	 * it, spanning at most two output rows), or the input */
	int64_t SW = pad ? pad->PW : g->W, SS = pad ? pad->PH * pad->PW : g->D * g->H * g->W;
	for (int64_t t = 0; fast && t < taps; t++)
		toff[t] = ((t / (g->KW * g->KH) * g->dd * g->H) + t / g->KW % g->KH * g->dh) * SW
			+ t % g->KW * g->dw;
	int64_t nbk = wp && Mg * kk__min(Kg, KK_KC) * (int64_t)sizeof(float) > KK__CONV_WL2
		? KK__CONV_NB : 1;
	for (int64_t pg = qb; pg < qe; pg += nbk * KK_NR) {
		int64_t nb = kk__min(nbk, (qe - pg + KK_NR - 1) / KK_NR);
		for (int64_t b = 0; b < nb; b++) {
			kk__conv_blk *bk = &blk[b];
			int64_t p0 = pg + b * KK_NR;
			int64_t nr = kk__min(KK_NR, P - p0), ox = p0 % g->OW, r = p0 / g->OW;
			int64_t ix = ox * g->sw - g->pw, iy = r % g->OH * g->sh - g->ph;
			int64_t iz = r / g->OH * g->sd - g->pd;
			/* the block's first source cell, when all its taps are inside */
			bk->p0 = p0;
			bk->nr = nr;
			bk->x1 = bk->x2 = NULL;
			bk->n1 = kk__min(nr, g->OW - ox);
			if (pointwise && fast && nr == KK_NR) {
				bk->x1 = x + p0;   /* 16 pixels contiguous in every row of X */
				bk->n1 = KK_NR;
			} else if (pad && fast) {
				bk->x1 = pad->xp + r * g->sh * SW + ox * g->sw;
				bk->x2 = bk->n1 < nr ? pad->xp + (r + 1) * g->sh * SW : NULL;
			} else if (fast && nr == KK_NR && bk->n1 == KK_NR && ix >= 0 &&
				ix + xreach <= g->W && iy >= 0 && iy + (g->KH - 1) * g->dh < g->H
				&& iz >= 0 && iz + (g->KD - 1) * g->dd < g->D) {
				bk->x1 = x + (iz * g->H + iy) * g->W + ix;
			}
			bk->planned = 0;
			if (!bk->x1) {
				kk__make_segs(&bk->sg, g, p0, nr);
				bk->planned = !direct && kk__make_plan(&bk->pl, g, &bk->sg);
			}
		}
		for (int64_t k0 = 0; k0 < Kg; k0 += KK_KC) {
			int64_t kc = kk__min(KK_KC, Kg - k0);
			const float *src[KK__CONV_NB];
			int64_t src_ks[KK__CONV_NB];
			for (int64_t b = 0; b < nb; b++) {
				const kk__conv_blk *bk = &blk[b];
				float *d = bp + b * KK_KC * KK_NR;
				src[b] = d;
				src_ks[b] = KK_NR;
				if (direct && bk->nr == KK_NR) {
					src[b] = x + k0 * P + bk->p0;   /* pointwise: the panel is X */
					src_ks[b] = P;
				} else if (bk->x1) {
					kk__pack_interior_f32(d, bk->x1, bk->x2, bk->n1, toff, taps, SS,
						g->sw, k0, kc);
				} else if (bk->planned) {
					kk__pack_plan_f32(d, x, g, &bk->pl, k0, kc);
				} else {
					kk__pack_im2col_f32(d, x, g, &bk->sg, k0, kc);
				}
			}
			for (int64_t i0 = 0; i0 < Mg; i0 += KK_MR) {
				int64_t mr = kk__min(KK_MR, Mg - i0);
				const float *a = wp ? wp + i0 * Kg + k0 * KK_MR : ap;
				if (!wp)
					for (int64_t k = 0; k < kc; k++)
						for (int64_t r = 0; r < KK_MR; r++)
							ap[k * KK_MR + r] = w[(i0 + kk__min(r, mr - 1)) * Kg + k0 + k];
				/* the last block's k steps fetch the next sliver */
				for (int64_t b = 0; b < nb; b++) {
					int64_t p0 = blk[b].p0;
					kk__epi e;
					const kk__epi *pe = k0 + kc == Kg ? kk__epi_at(ep, i0, p0, &e) : NULL;
					/* one call site: the micro-kernel is large once inlined */
					kk__micro_s_f32(kc, a, 1, KK_MR, src[b], src_ks[b], y + i0 * P + p0, P,
						mr, blk[b].nr, k0 > 0, pe,
						wp && b + 1 == nb && i0 + KK_MR < Mg ? a + KK_MR * Kg : a, KK_MR);
				}
			}
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

KK__CONV_DIRECT(kk__conv_direct_gen_f32, float)
KK__CONV_DIRECT(kk__conv_direct_f64, double)

/* 8 floats x[0], x[s], ..., x[7*s] (s = 1 or 2 as vector loads; reads
 * x[0 .. 7*s + s-1]). */
static inline kk_v8f kk__ld8s(const float *x, int64_t s)
{
	if (s == 1)
		return kk__ld8(x);
	if (s == 2) {
		kk_v8f a = kk__ld8(x), b = kk__ld8(x + 8);
		return __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
	}
	kk_v8f v;
	for (int l = 0; l < 8; l++)
		v[l] = x[l * s];
	return v;
}

/* One output value of a single-input-channel 2-D convolution, with bounds
 * checks (border columns). */
static inline float kk__dw_point_f32(const float *restrict x, const float *restrict w,
	const kk__conv_geom *g, int64_t oy, int64_t ox)
{
	float acc = 0;
	for (int64_t ky = 0; ky < g->KH; ky++) {
		int64_t iy = oy * g->sh - g->ph + ky * g->dh;
		if ((uint64_t)iy >= (uint64_t)g->H)
			continue;
		for (int64_t kx = 0; kx < g->KW; kx++) {
			int64_t ix = ox * g->sw - g->pw + kx * g->dw;
			if ((uint64_t)ix < (uint64_t)g->W)
				acc += w[ky * g->KW + kx] * x[iy * g->W + ix];
		}
	}
	return acc;
}

/* Single-input-channel 2-D convolution (depthwise): y[OH*OW] from the plane
 * x[H*W] and the KH*KW taps w. Interior columns take 8 outputs at a time
 * with all taps accumulated in a register; borders go point by point. */
static void kk__conv_dw_f32(const float *restrict x, const float *restrict w,
	float *restrict y, const kk__conv_geom *g)
{
	/* [lo, hi): columns whose taps all lie inside the row, with room for
	 * the sw-1 floats the vector loads read past the last tap */
	int64_t lo, hi, reach = (g->KW - 1) * g->dw + (g->sw - 1);
	kk__valid_range(g->OW, g->W - reach, g->sw, -g->pw, &lo, &hi);
	hi = kk__min(hi, g->OW);
	for (int64_t oy = 0; oy < g->OH; oy++) {
		float *restrict yr = y + oy * g->OW;
		int64_t ox = 0;
		for (; ox < lo && ox < g->OW; ox++)
			yr[ox] = kk__dw_point_f32(x, w, g, oy, ox);
		for (; ox + 8 <= hi; ox += 8) {
			kk_v8f acc = {0};
			for (int64_t ky = 0; ky < g->KH; ky++) {
				int64_t iy = oy * g->sh - g->ph + ky * g->dh;
				if ((uint64_t)iy >= (uint64_t)g->H)
					continue;
				const float *xr = x + iy * g->W + ox * g->sw - g->pw;
				for (int64_t kx = 0; kx < g->KW; kx++)
					acc += w[ky * g->KW + kx] * kk__ld8s(xr + kx * g->dw, g->sw);
			}
			kk__st8(yr + ox, &acc);
		}
		for (; ox < g->OW; ox++)
			yr[ox] = kk__dw_point_f32(x, w, g, oy, ox);
	}
}

#define KK__DW_NV 8         /* output vectors of a 3x3 depthwise in flight */

/* nv (<= KK__DW_NV) output vectors of a 3x3 single-channel convolution:
 * acc[v] += the nine taps w at b[v] (rows rs apart, the three columns at xo,
 * stride sw) — with nv and sw constant, 9 nv FMAs and no loop (the loops
 * with the stride's test inside stayed loops, the row pointers on the
 * stack). */
static inline __attribute__((always_inline)) void kk__dw33_group(kk_v8f *acc,
	const float *const *b, int nv, const float *w, int64_t rs, const int64_t xo[3],
	int64_t sw)
{
	KK__UNROLL
	for (int t = 0; t < 9; t++) {
		float wt = w[t];
		int64_t o = t / 3 * rs + xo[t % 3];
		KK__UNROLL
		for (int v = 0; v < nv; v++)
			acc[v] += wt * kk__ld8s(b[v] + o, sw);
	}
}

/* Rows [r0, r1) of kk__conv_dw_pad_f32's zero-padded copy of the plane x
 * (rows PW floats apart; at stride 2 split into halves of PWh floats). Rows
 * are written in order: a row's last vector may spill zeros into the next,
 * which is written after it. */
KK__ROW_LOOPS static inline void kk__dw_fill(float *restrict buf, const float *restrict x,
	const kk__conv_geom *g, int64_t r0, int64_t r1, int64_t PW, int64_t PWh, int split)
{
	const kk_v8f z = {0};
	for (int64_t r = r0; r < r1; r++) {
		float *restrict br = buf + r * PW;
		int64_t iy = r - g->ph, lo = g->pw, hi = kk__min(PW, g->pw + g->W);
		if (split) {     /* columns past the halves are never read */
			kk__padded_row_sw(br, x, iy, g->H, g->W, g->pw, PWh, 2);
			continue;
		}
		if (iy < 0 || iy >= g->H || hi <= lo) {
			for (int64_t c = 0; c < PW; c += 8)
				kk__st8(br + c, &z);
			continue;
		}
		/* zeros before the row (one vector, written first), the row as
		 * vectors of 8, the last one ending at hi (overlapping the one
		 * before; rows narrower than 8 lane by lane), zeros from hi on
		 * (the stores past PW land in the next row, written after) */
		for (int64_t c = 0; c < lo; c += 8)
			kk__st8(br + c, &z);
		const float *xr = x + iy * g->W - g->pw;
		if (hi - lo < 8) {
			for (int j = 0; j < 8; j++)
				if (lo + j < hi)
					br[lo + j] = xr[lo + j];
		} else {
			for (int64_t c = lo; c + 8 <= hi; c += 8) {
				kk_v8f v = kk__ld8(xr + c);
				kk__st8(br + c, &v);
			}
			kk_v8f v = kk__ld8(xr + hi - 8);
			kk__st8(br + hi - 8, &v);
		}
		for (int64_t c = hi; c < PW; c += 8)
			kk__st8(br + c, &z);
	}
}

/* Depthwise through a zero-padded copy of the plane: every output row is
 * whole 8-wide vectors with no bounds tests (the last vector of a row goes
 * through a small buffer). 3x3 kernels, the common case, have their taps
 * unrolled and eight output vectors in flight (four on planes under 32
 * wide). 0 when the padded plane would not fit the stack buffer (the
 * caller then uses kk__conv_dw_f32). */
#define KK__DW_BUF 32768
KK__ROW_LOOPS static __attribute__((noinline)) int kk__conv_dw_pad_f32(const float *restrict x, const float *restrict w,
	float *restrict y, const kk__conv_geom *g, float bias, float lo, float hi,
	const float *xn)
{
	int64_t ow8 = (g->OW + 7) / 8 * 8;
	int64_t PH = (g->OH - 1) * g->sh + (g->KH - 1) * g->dh + 1;
	int64_t PW = (ow8 - 1) * g->sw + (g->KW - 1) * g->dw + 1 + (g->sw == 2 ? 1 : 0);
	PW = (PW + 7) / 8 * 8;    /* rows whole vectors apart: filled by vectors */
	/* 3x3 at stride 2: each padded row stored as its even columns then its
	 * odd ones (PWh each), so every tap is a contiguous load (even, odd,
	 * even + 1) instead of two loads and two shuffles, which bounded the
	 * layer; the split is made once per input row as it is copied */
	int split = g->sw == 2 && g->dw == 1 && g->KH == 3 && g->KW == 3;
	int64_t PWh = ow8 + 8;    /* the even half is read up to ow8 + 8 */
	if (split)
		PW = 2 * PWh;
	/* + 8: the zeros after a row's last column may reach 7 floats past it */
	if (g->sw > 2 || PH * PW + 8 > KK__DW_BUF)
		return 0;
	float buf[KK__DW_BUF];
	/* at stride 2 on planes larger than L1 the copy is made as the wide
	 * path's compute needs its rows (below), so that the input's loads
	 * come spread over the compute, not all before it (MobileNetV2's
	 * 112 -> 56 layer alone 12% faster; on smaller planes 8-21% slower:
	 * there it is made whole first) */
	int big = split && g->H * g->W > KK_L1_FLOATS;   /* stride 2, plane over L1 */
	int64_t filled = big ? 0 : PH;
	kk__dw_fill(buf, x, g, 0, filled, PW, PWh, split);
	/* where output column ox's window starts in a padded row, and the
	 * three columns' offsets from it */
	int64_t cs = split ? 1 : g->sw;
	const int64_t xo[3] = {0, split ? PWh : g->dw, split ? 1 : 2 * g->dw};
	if (g->KH == 3 && g->KW == 3 && ow8 >= 32) {
		/* 3x3, rows of at least four vectors: two output rows by four
		 * vectors along them at a time (eight independent chains of nine
		 * FMAs; with four, one FMA's four-cycle latency left the two FMA
		 * pipes half idle), the rows' last one to three vectors as one
		 * more group overlapping the one before, an odd last row repeated */
		int64_t rs = g->dh * PW, OW = g->OW, OH = g->OH, rstep = g->sh * PW;
		/* at stride 2, the next channel's plane xn (when given, of more
		 * than KK_L1_FLOATS floats) fetched into L2 a few lines per
		 * group: the split copy above otherwise waits on each line of a
		 * plane the layer before left in L3 (MobileNetV2's 112x112 layer
		 * alone 17-20% faster, alternating run by run; its 56x56 one, 12.5
		 * KB planes, 10-13% slower; at stride 1 level or slower) */
		int64_t groups = (OH + 1) / 2 * ((ow8 + 31) / 32);
		int64_t lines = big && xn ? (g->H * g->W + 15) / 16 : 0;
		int64_t per = (lines + groups - 1) / groups, pl = 0;
		for (int64_t oy = 0; oy < OH; oy += 2) {
			int64_t r2 = oy + 1 < OH ? rstep : 0;   /* the second row's offset */
			/* the copy's rows these two output rows read */
			int64_t need = kk__min(PH, (oy + 1) * g->sh + (g->KH - 1) * g->dh + 1);
			if (need > filled) {
				kk__dw_fill(buf, x, g, filled, need, PW, PWh, split);
				filled = need;
			}
			for (int64_t ox = 0; ox < ow8; ox += 32) {
				int64_t o0 = kk__min(ox, ow8 - 32);
				const float *br = buf + oy * rstep + o0 * cs;
				const float *b[KK__DW_NV];
				KK__UNROLL
				for (int v = 0; v < KK__DW_NV; v++)
					b[v] = br + (v & 3) * 8 * cs + (v >> 2) * r2;
				for (int64_t q = 0; q < per && pl < lines; q++, pl++)
					__builtin_prefetch(xn + pl * 16, 0, 2);
				kk_v8f acc[KK__DW_NV] = {{0}};
				if (cs == 1)
					kk__dw33_group(acc, b, KK__DW_NV, w, rs, xo, 1);
				else
					kk__dw33_group(acc, b, KK__DW_NV, w, rs, xo, 2);
				KK__UNROLL
				for (int v = 0; v < KK__DW_NV; v++) {
					int64_t o = o0 + (v & 3) * 8;
					float *yr = y + (oy + (v >> 2) * (r2 != 0)) * OW;
					kk_v8f r = kk__clamp8(acc[v] + bias, lo, hi);
					if (o + 8 <= OW)
						kk__st8(yr + o, &r);
					else
						kk__st8n(yr + o, &r, OW - o);
				}
			}
		}
		return 1;
	}
	kk__dw_fill(buf, x, g, filled, PH, PW, PWh, split);   /* the rest, if any */
	if (g->KH == 3 && g->KW == 3) {
		/* 3x3, narrow planes: the plane's output vectors (nv per row) four
		 * at a time across rows, so four independent chains of nine FMAs
		 * are in flight (7-wide planes included) */
		int64_t nvec = g->OH * (ow8 / 8), oy = 0, ox = 0;   /* next vector */
		for (int64_t i = 0; i < nvec; i += 4) {
			const float *b[4];
			float *yv[4];
			int64_t wv[4];
			for (int v = 0; v < 4; v++) {
				if (i + v >= nvec) {      /* past the end: repeat the last */
					b[v] = b[v - 1];
					yv[v] = yv[v - 1];
					wv[v] = wv[v - 1];
					continue;
				}
				b[v] = buf + oy * g->sh * PW + ox * cs;
				yv[v] = y + oy * g->OW + ox;
				wv[v] = kk__min(8, g->OW - ox);
				if ((ox += 8) >= ow8) {
					ox = 0;
					oy++;
				}
			}
			kk_v8f acc[4] = {{0}, {0}, {0}, {0}};
			if (cs == 1)
				kk__dw33_group(acc, b, 4, w, g->dh * PW, xo, 1);
			else
				kk__dw33_group(acc, b, 4, w, g->dh * PW, xo, 2);
			for (int v = 0; v < 4 && i + v < nvec; v++) {
				acc[v] = kk__clamp8(acc[v] + bias, lo, hi);
				kk__st8n(yv[v], &acc[v], wv[v]);
			}
		}
		return 1;
	}
	for (int64_t oy = 0; oy < g->OH; oy++) {
		float *restrict yr = y + oy * g->OW;
		const float *b0 = buf + oy * g->sh * PW;
		for (int64_t ox = 0; ox < g->OW; ox += 8) {
			const float *b = b0 + ox * g->sw;
			kk_v8f acc = {0};
			for (int64_t ky = 0; ky < g->KH; ky++)
				for (int64_t kx = 0; kx < g->KW; kx++)
					acc += w[ky * g->KW + kx] *
						kk__ld8s(b + ky * g->dh * PW + kx * g->dw, g->sw);
			acc = kk__clamp8(acc + bias, lo, hi);
			kk__st8n(yr + ox, &acc, kk__min(8, g->OW - ox));
		}
	}
	return 1;
}

/* f32 direct convolution: the depthwise path for one input channel in 2-D,
 * the generic row loops otherwise. 1 when the output went through
 * clamp(conv + bias, lo, hi) as it was stored (the padded depthwise path),
 * 0 when it is the bare convolution. */
static int kk__conv_direct_f32(const float *restrict x, const float *restrict w,
	float *restrict y, const kk__conv_geom *g, int64_t cg, float bias, float lo, float hi,
	const float *xn)
{
	if (cg == 1 && g->KD == 1 && g->D == 1 && g->OD == 1 && g->pd == 0) {
		if (kk__conv_dw_pad_f32(x, w, y, g, bias, lo, hi, xn))
			return 1;
		kk__conv_dw_f32(x, w, y, g);
		return 0;
	}
	kk__conv_direct_gen_f32(x, w, y, g, cg);
	return 0;
}

/* kk_conv_f32 split over (image, group, block of KK_MR output channels or
 * of KK__CONV_Q pixels) items; a task runs a contiguous item range, merged
 * per (image, group). Every output value is computed exactly as in the
 * serial loops. */
typedef struct {
	const float *X, *W, *Wp, *B, *R;
	float *Y;
	kk__conv_geom g;
	int64_t n0, nb;              /* first image; nb: channel blocks per group */
	float lo, hi;
	int64_t npix;                /* > 0: split by pixel blocks of KK__CONV_Q */
	int64_t y_ns;                /* floats from one image's output to the next */
	float *xp;                   /* image n0 zero-padded (kk__padded), or NULL */
	int64_t PH, PW;
	int dwcv;                    /* depthwise 8 channels at a time (kk__dwcv_ok) */
} kk__conv_job_f32;

/* Depthwise planes small enough to run 8 channels at a time, each vector
 * lane a channel: the zero-padded input of 8 channels transposed into
 * KK__DWCV_BUF floats (pixel-major, 8 channels per pixel), the output into
 * as many. On 14x14 and 7x7 planes the plane-wise loops spend most of
 * their time on per-channel setup and partial vectors (7 of 8 lanes at
 * 7x7, 6 of 8 for every second vector at 14x14). */
#define KK__DWCV_BUF 8192
#define KK__DWCV_PX 8       /* output pixels in flight (FMA latency) */

static int kk__dwcv_ok(const kk__conv_geom *g)
{
	int64_t PH = (g->OH - 1) * g->sh + (g->KH - 1) * g->dh + 1;
	int64_t PW = (g->OW - 1) * g->sw + (g->KW - 1) * g->dw + 1;
	return g->C == g->group && g->M == g->group && g->KD == 1 && g->D == 1 && g->OD == 1
		&& g->pd == 0 && g->OW < 16 && PH * PW * 8 <= KK__DWCV_BUF
		&& g->OH * g->OW * 8 <= KK__DWCV_BUF && g->KH * g->KW <= 25;
}

/* Channels [c0, c1) of image n of a depthwise convolution (kk__dwcv_ok):
 * y = clamp(conv + bias, lo, hi), or the bare convolution then the
 * residual epilogue when j->R is set. */
KK__ROW_LOOPS static __attribute__((noinline)) void kk__conv_dwcv_f32(const kk__conv_job_f32 *j, int64_t n,
	int64_t c0, int64_t c1)
{
	const kk__conv_geom *g = &j->g;
	int64_t S = g->H * g->W, P = g->OH * g->OW, T = g->KH * g->KW;
	int64_t PH = (g->OH - 1) * g->sh + (g->KH - 1) * g->dh + 1;
	int64_t PW = (g->OW - 1) * g->sw + (g->KW - 1) * g->dw + 1;
	float xb[KK__DWCV_BUF], yb[KK__DWCV_BUF];
	kk_v8f wv[25];
	const kk_v8f z = {0};
	/* tap t's offset in xb, computed once: a division by KW per tap and 8
	 * pixels (KW is not a constant where this is not inlined), with a pad
	 * test per column below, took 20-30% of MobileNetV2's 14x14 and 7x7
	 * depthwise layers */
	int64_t toff[25];
	for (int64_t t = 0; t < T; t++)
		toff[t] = (t / g->KW * g->dh * PW + t % g->KW * g->dw) * 8;
	for (int64_t cb = c0; cb < c1; cb += 8) {
		int64_t nc = kk__min(8, c1 - cb);
		const float *x = j->X + (n * g->C + cb) * S;
		float *y = j->Y + n * j->y_ns + cb * P;
		/* the taps and bias of the 8 channels as lanes (0 past nc) */
		kk_v8f bv = z;
		float lo = j->R ? -INFINITY : j->lo, hi = j->R ? INFINITY : j->hi;
		for (int64_t t = 0; t < T; t++)
			for (int l = 0; l < 8; l++)
				wv[t][l] = l < nc ? j->W[(cb + l) * T + t] : 0.0f;
		for (int l = 0; l < 8; l++)
			bv[l] = j->B && !j->R && l < nc ? j->B[cb + l] : 0.0f;
		/* transposed zero-padded input: xb[(r * PW + q) * 8 + l]; rows of
		 * at least 8 by 8x8 transposes, the last one overlapping the one
		 * before (the same values stored twice) */
		for (int64_t r = 0; r < PH; r++) {
			int64_t iy = r - g->ph;
			float *xr = xb + r * PW * 8;
			if (iy < 0 || iy >= g->H) {
				for (int64_t q = 0; q < PW; q++)
					kk__st8(xr + q * 8, &z);
				continue;
			}
			for (int64_t q = 0; q < g->pw && q < PW; q++)
				kk__st8(xr + q * 8, &z);
			for (int64_t q = g->pw + g->W; q < PW; q++)
				kk__st8(xr + q * 8, &z);
			const float *xs = x + iy * g->W;
			if (nc == 8 && g->W >= 8) {
				for (int64_t ix = 0; ix < g->W; ix += 8) {
					int64_t i0 = kk__min(ix, g->W - 8);
					kk_v8f v[8];
					for (int l = 0; l < 8; l++)
						v[l] = kk__ld8(xs + l * S + i0);
					kk__tr8x8(v);
					for (int i = 0; i < 8 && g->pw + i0 + i < PW; i++)
						kk__st8(xr + (g->pw + i0 + i) * 8, &v[i]);
				}
				continue;
			}
			for (int64_t ix = 0; ix < g->W && g->pw + ix < PW; ix++) {
				kk_v8f v = z;
				for (int l = 0; l < nc; l++)
					v[l] = xs[l * S + ix];
				kk__st8(xr + (g->pw + ix) * 8, &v);
			}
		}
		/* KK__DWCV_PX output pixels at a time along each row */
		for (int64_t oy = 0; oy < g->OH; oy++)
			for (int64_t ox = 0; ox < g->OW; ox += KK__DWCV_PX) {
				const float *b[KK__DWCV_PX];
				kk_v8f acc[KK__DWCV_PX];
				KK__UNROLL
				for (int v = 0; v < KK__DWCV_PX; v++) {
					int64_t o = kk__min(ox + v, g->OW - 1);
					b[v] = xb + (oy * g->sh * PW + o * g->sw) * 8;
					acc[v] = z;
				}
				for (int64_t t = 0; t < T; t++) {
					int64_t off = toff[t];
					KK__UNROLL
					for (int v = 0; v < KK__DWCV_PX; v++)
						acc[v] += wv[t] * kk__ld8(b[v] + off);
				}
				KK__UNROLL
				for (int v = 0; v < KK__DWCV_PX; v++)
					if (ox + v < g->OW) {
						kk_v8f r = kk__clamp8(acc[v] + bv, lo, hi);
						kk__st8(yb + (oy * g->OW + ox + v) * 8, &r);
					}
			}
		/* back to planes: 8 pixels of the 8 channels per transpose */
		for (int64_t p = 0; p < P; p += 8) {
			int64_t np = kk__min(8, P - p);
			kk_v8f v[8];
			for (int i = 0; i < 8; i++)
				v[i] = i < np ? kk__ld8(yb + (p + i) * 8) : z;
			kk__tr8x8(v);
			for (int l = 0; l < nc; l++)
				kk__st8n(y + l * P + p, &v[l], np);
		}
		if (j->R)
			for (int l = 0; l < nc; l++) {
				kk__epi e = {j->B ? j->B + cb + l : NULL, j->R + (n * g->M + cb + l) * P, P,
					j->lo, j->hi, NULL, 0.0f, 1.0f};
				kk__epi_apply(y + l * P, P, 1, P, &e);
			}
	}
}


/* ---- few input channels: direct, no im2col ------------------------------ */

/* A first layer (C <= 4: RGB) with 3x3 taps has K = C KH KW of 27 or less,
 * so the GEMM path spends more than half of its time packing 16-pixel
 * panels and setting up and storing 6x16 tiles for 27 k steps each; with
 * 7x7 taps at stride 2 (ResNet's, K 147) it packs each panel's 147 rows by
 * stride-2 gathers. Here each output row is computed from C KH input rows
 * buffered with their zero padding (at stride 2 as even then odd columns,
 * so every tap is a contiguous load), 4 output channels by 24 pixels at a
 * time: per tap three input vectors and four broadcast weights feed 12
 * FMAs, summed in the GEMM's order (bit-identical to it when K fits one of
 * its slices). 2-D, group 1, KH and KW at most 7, dilation 1, stride 1 or
 * 2, output rows of at least 24, no residual (bias and clamp as stored).
 * ResNet-18's 7x7 layer alone: 4.6 -> 3.8 ms (medians, alternating). */
static int kk__smallc_ok(const kk__conv_geom *g)
{
	return g->group == 1 && g->KD == 1 && g->D == 1 && g->OD == 1 && g->pd == 0 &&
	       g->dh == 1 && g->dw == 1 &&
	       kk_conv_fewc_ok(g->C, g->M, g->KH, g->KW, g->sh, g->sw, g->OW);
}

/* Output rows [r0, r1) of image n (kk__smallc_ok, no residual) into y:
 * channel m's row oy at y + m ycs + (oy - yr0) OW (Y itself: image n's
 * output, P floats per channel, yr0 0). */
KK__ROW_LOOPS static __attribute__((noinline)) void kk__conv_smallc_f32(const kk__conv_job_f32 *j, int64_t n,
	int64_t r0, int64_t r1, float *y, int64_t ycs, int64_t yr0)
{
	const kk__conv_geom *g = &j->g;
	int64_t C = g->C, M = g->M, KH = g->KH, KW = g->KW, T = C * KH * KW;
	int64_t OW = g->OW, sw = g->sw;
	int64_t h = kk__fewc_h(OW);
	float rows[KK_CONV_FEWC_MAXC * KK_CONV_FEWC_MAXK * KK_CONV_FEWC_ROW];
	/* wl[(m0 / 4 * T + t) * 4 + q]: tap t of channel m4 + q, for the group
	 * of 4 channels from m4 = min(m0, M - 4): each group's taps contiguous
	 * (as taps x channels, a 7x7 layer's 147 taps each read a cache line
	 * of their own, with the buffered rows more than L1 holds) */
	float wl[KK_CONV_FEWC_WL];
	int64_t toff[KK_CONV_FEWC_MAXC * KK_CONV_FEWC_MAXK * KK_CONV_FEWC_MAXK];
	for (int64_t m0 = 0; m0 < M; m0 += 4)
		for (int64_t t = 0; t < T; t++)
			for (int64_t q = 0; q < 4; q++) {
				int64_t m = kk__min(m0, M - 4) + q;
				wl[(m0 / 4 * T + t) * 4 + q] = j->W ? j->W[m * T + t] :
					j->Wp[m / KK_MR * T * KK_MR + t * KK_MR + m % KK_MR];
			}
	kk__fewc_taps(toff, C, KH, KW, h, sw);
	const float *x = j->X + n * C * g->H * g->W;
	const kk_v8f z = {0};
	kk_v8f lo = z, hi = z;
	lo += j->lo;
	hi += j->hi;
	for (int64_t oy = r0; oy < r1; oy++) {
		kk__fewc_rows(rows, x, C, g->H, g->W, KH, oy * g->sh - g->ph, g->sh, g->pw, h, sw);
		for (int64_t m0 = 0; m0 < M; m0 += 4) {
			int64_t m4 = kk__min(m0, M - 4);    /* the last group overlaps */
			kk_v8f bias[4];
			for (int q = 0; q < 4; q++) {
				bias[q] = z;
				bias[q] += j->B ? j->B[m4 + q] : 0.0f;
			}
			for (int64_t ox = 0;; ox += 24) {
				if (ox > OW - 24)
					ox = OW - 24;          /* the last group overlaps */
				kk_v8f a[4][3];
				KK__UNROLL
				for (int q = 0; q < 4; q++)
					KK__UNROLL
					for (int v = 0; v < 3; v++)
						a[q][v] = z;
				for (int64_t t = 0; t < T; t++) {
					const float *b = rows + toff[t] + ox;
					kk_v8f v0 = kk__ld8(b), v1 = kk__ld8(b + 8), v2 = kk__ld8(b + 16);
					const float *wt = wl + (m0 / 4 * T + t) * 4;
					KK__UNROLL
					for (int q = 0; q < 4; q++) {
						float wq = wt[q];
						a[q][0] += wq * v0;
						a[q][1] += wq * v1;
						a[q][2] += wq * v2;
					}
				}
				KK__UNROLL
				for (int q = 0; q < 4; q++) {
					float *yr = y + (m4 + q) * ycs + (oy - yr0) * OW + ox;
					KK__UNROLL
					for (int v = 0; v < 3; v++) {
						kk_v8f r = kk__clamp8v(a[q][v] + bias[q], lo, hi);
						kk__st8(yr + 8 * v, &r);
					}
				}
				if (ox == OW - 24)
					break;
			}
		}
	}
}

static void kk__conv_smallc_items(void *vp, int64_t b, int64_t e)
{
	const kk__conv_job_f32 *j = vp;
	int64_t OH = j->g.OH;
	while (b < e) {
		int64_t n = b / OH, r0 = b % OH, r1 = kk__min(OH, r0 + (e - b));
		kk__conv_smallc_f32(j, j->n0 + n, r0, r1, j->Y + (j->n0 + n) * j->y_ns, OH * j->g.OW,
			0);
		b += r1 - r0;
	}
}

/* ---- KilnConvPool: the few-channel path, then a 3x3 stride-2 MaxPool -- */

/* nn_pool.c: output rows [oy0, oy1) of a 3x3 stride-2 max pooling of the
 * plane x (rows W floats apart, no pads) into y (OW >= 8 per row). */
void kk__maxpool33s2_f32(const float *restrict x, float *restrict y, int64_t oy0,
	int64_t oy1, int64_t W, int64_t OW);

/* Task t of nt takes its share of image n's pooled rows, in bands of
 * kk_convpool_band(M, OW) of them: the band's convolution rows 2 pa to 2 pb
 * into slot t of the scratch (channel m's rows (2 b + 1) OW floats apart),
 * the first of them kept from the band before (its last), then each
 * channel's pooled rows from there. So the convolution's output never goes
 * out to memory (SqueezeNet's first layer: 3.2 MB written, then read back by
 * the pooling), and every value is computed as the two nodes would. */
typedef struct {
	kk__conv_job_f32 cj;
	float *Y, *S;
	int64_t n, POH, POW, band, nt;
} kk__convpool_job;

static void kk__convpool_items(void *vp, int64_t t0, int64_t t1)
{
	const kk__convpool_job *j = vp;
	int64_t M = j->cj.g.M, OW = j->cj.g.OW, POH = j->POH, POW = j->POW;
	int64_t cs = (2 * j->band + 1) * OW;      /* a channel's rows in the slot */
	for (int64_t t = t0; t < t1; t++) {
		float *buf = j->S + t * M * cs;
		int64_t p0 = POH * t / j->nt, p1 = POH * (t + 1) / j->nt;
		for (int64_t pa = p0; pa < p1; pa += j->band) {
			int64_t pb = kk__min(p1, pa + j->band), first = 2 * pa;
			if (pa > p0) {     /* row 2 pa: the last of the (whole) band before */
				for (int64_t m = 0; m < M; m++)
					memcpy(buf + m * cs, buf + m * cs + 2 * j->band * OW,
						(size_t)OW * sizeof(float));
				first++;
			}
			kk__conv_smallc_f32(&j->cj, j->n, first, 2 * pb + 1, buf, cs, 2 * pa);
			for (int64_t m = 0; m < M; m++)
				kk__maxpool33s2_f32(buf + m * cs, j->Y + ((j->n * M + m) * POH + pa) * POW,
					0, pb - pa, OW, POW);
		}
	}
}

void kk_conv_maxpool_f32(kiln_rt_ctx *ctx, const float *X, const float *W, const float *B,
	float *Y, int64_t N, int64_t C, int64_t H, int64_t Wd, int64_t M, int64_t OH, int64_t OW,
	int64_t KH, int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw, float lo,
	float hi, int64_t POH, int64_t POW, float *S)
{
	kk__conv_geom g = {C, 1, H, Wd, M, 1, OH, OW, 1, KH, KW,
		1, sh, sw, 1, 1, 1, 0, ph, pw, 1};
	kk__convpool_job j = {{X, W, NULL, B, NULL, NULL, g, 0, 0, lo, hi, 0, 0, NULL, 0, 0},
		Y, S, 0, POH, POW, kk_convpool_band(M, OW), 1};
	/* a pooled row: two rows of the convolution's multiply-adds */
	j.nt = kk__min(KK_CONVPOOL_TASKS, kk_par_tasks(ctx, POH,
		kk_par_grain(KK_PAR_MIN_FLOPS, 2 * M * OW * C * KH * KW), 1));
	for (int64_t n = 0; n < N; n++) {
		j.n = n;
		kk_par_for(ctx, j.nt, 1, kk__convpool_items, &j);
	}
}

/* Pre-packed weights (kk_pack.h slivers, each group packed on its own) from
 * output channel m0 (a multiple of KK_MR) of group gi; NULL if not packed. */
static const float *kk__conv_wp(const float *Wp, const kk__conv_geom *g, int64_t gi,
	int64_t m0)
{
	int64_t Cg = g->C / g->group, Mg = g->M / g->group;
	int64_t Kg = Cg * g->KD * g->KH * g->KW;
	return Wp ? Wp + gi * kk_packed_a_floats(Mg, Kg) + m0 * Kg : NULL;
}

/* Output channels [m0, m1), pixels [qb, qe) of group gi of image n. Not
 * inlined: one copy of the tile loops for its three callers. */
static __attribute__((noinline)) void kk__conv_piece_f32(const kk__conv_job_f32 *j, int64_t n, int64_t gi,
	int64_t m0, int64_t m1, int64_t qb, int64_t qe)
{
	const kk__conv_geom *g = &j->g;
	int64_t Cg = g->C / g->group, Mg = g->M / g->group, S = g->D * g->H * g->W;
	int64_t P = g->OD * g->OH * g->OW, Kg = Cg * g->KD * g->KH * g->KW;
	int64_t c0 = gi * Mg + m0;   /* first output channel of the piece */
	const float *x = j->X + (n * g->C + gi * Cg) * S;
	const float *w = j->W ? j->W + c0 * Kg : NULL;   /* NULL: Wp given */
	float *y = j->Y + n * j->y_ns + c0 * P;
	const float *r = j->R ? j->R + (n * g->M + c0) * P : NULL;
	if ((kk_conv_paths & KK_CONV_PATH_CW) && (Cg == 1 || Mg == 1)) {
		/* a depthwise channel's successor reads the next plane */
		const float *xn = Cg == 1 && Mg == 1 && gi + 1 < g->group ? x + S : NULL;
		for (int64_t m = 0; m < m1 - m0; m++) {
			/* bias and clamp in the depthwise stores when there is no
			 * residual (which must come before the clamp), else after */
			float b = j->B && !r ? j->B[c0 + m] : 0.0f;
			if (kk__conv_direct_f32(x, w + m * Kg, y + m * P, g, Cg, b,
					r ? -INFINITY : j->lo, r ? INFINITY : j->hi, xn) && !r)
				continue;
			kk__epi e = {j->B ? j->B + c0 + m : NULL, r ? r + m * P : NULL, P,
				j->lo, j->hi, NULL, 0.0f, 1.0f};
			kk__epi_apply(y + m * P, P, 1, P, &e);
		}
		return;
	}
	kk__conv_geom g1 = *g;
	g1.C = Cg;
	g1.M = m1 - m0;
	g1.group = 1;
	kk__epi e = {j->B ? j->B + c0 : NULL, r, P, j->lo, j->hi, NULL, 0.0f, 1.0f};
	int plain = !j->B && !r && j->lo == -INFINITY && j->hi == INFINITY;
	kk__padded pad = {j->xp ? j->xp + gi * Cg * j->PH * j->PW : NULL, j->PH, j->PW};
	kk__conv_gemm_f32(x, w, kk__conv_wp(j->Wp, g, gi, m0), y, &g1, plain ? NULL : &e, qb, qe,
		j->xp ? &pad : NULL);
}

/* Whether j runs as kk__conv_dwcv_f32, a constant 0 when the model has no
 * channel-wise convolution (kk_conv_paths). */
static inline int kk__dwcv_on(const kk__conv_job_f32 *j)
{
	return (kk_conv_paths & KK_CONV_PATH_CW) && j->dwcv;
}

static void kk__conv_items_f32(void *vp, int64_t b, int64_t e)
{
	const kk__conv_job_f32 *j = vp;
	int64_t Mg = j->g.M / j->g.group, P = j->g.OD * j->g.OH * j->g.OW;
	int64_t per = j->npix ? j->npix : j->nb;   /* items per (image, group) */
	while (kk__dwcv_on(j) && b < e) {   /* items: (image, channel) */
		int64_t n = j->n0 + b / j->g.group, c = b % j->g.group;
		int64_t c1 = kk__min(j->g.group, c + (e - b));
		kk__conv_dwcv_f32(j, n, c, c1);
		b += c1 - c;
	}
	while (b < e) {
		int64_t ng = b / per, blk = b % per, end = kk__min(per, blk + (e - b));
		int64_t n = j->n0 + ng / j->g.group, gi = ng % j->g.group;
		if (j->npix)
			kk__conv_piece_f32(j, n, gi, 0, Mg, blk * KK__CONV_Q,
				kk__min(end * KK__CONV_Q, P));
		else
			kk__conv_piece_f32(j, n, gi, blk * KK_MR, kk__min(end * KK_MR, Mg), 0, P);
		b += end - blk;
	}
}

/* Packing one float of an im2col panel costs about as much as this many
 * rows of the product's multiply-adds over it (a copy per float against 16
 * FMA lanes a cycle). */
#define KK__PACK_ROWS 4

/* Whether T threads split a convolution's pixels rather than its output
 * channels (GEMM path, group 1 or per group): by the busiest thread's work,
 * tiles counted whole (KK_MR rows by KK__CONV_Q pixels) plus the panels it
 * packs: its own pixels' when it splits the pixels, every pixel's when it
 * splits the channels; none where the product reads X in place. With few
 * pixel blocks (MobileNetV2's 14x14 layers: 13) the channel split made each
 * thread pack all of a layer's panels. */
static int kk__conv_split_pixels(const kk__conv_geom *g, int64_t T)
{
	int64_t Mg = g->M / g->group, P = g->OD * g->OH * g->OW;
	int64_t Kg = g->C / g->group * g->KD * g->KH * g->KW;
	int64_t npix = (P + KK__CONV_Q - 1) / KK__CONV_Q, nb = (Mg + KK_MR - 1) / KK_MR;
	if (npix >= 8 * T)
		return 1;
	if (npix < T)
		return 0;
	int64_t pack = kk__conv_geom_pointwise(g) && (Kg <= KK_KC || Mg < 64) ? 0 : KK__PACK_ROWS;
	int64_t blocks = 0, px = 0, slivers = 0;   /* the busiest task's (kk__par_task) */
	for (int64_t t = 0; t < T; t++) {
		int64_t b = npix * t / T, e = npix * (t + 1) / T;
		int64_t p = kk__min(e * KK__CONV_Q, P) - b * KK__CONV_Q;
		int64_t s = nb * (t + 1) / T - nb * t / T;
		blocks = blocks > e - b ? blocks : e - b;
		px = px > p ? px : p;
		slivers = slivers > s ? slivers : s;
	}
	int64_t by_pixels = nb * KK_MR * blocks * KK__CONV_Q + pack * px;
	int64_t by_channels = slivers * KK_MR * npix * KK__CONV_Q + pack * P;
	return by_pixels < by_channels;
}

/* Images [j->n0, j->n0 + nimg) over ctx's threads. */
static void kk__conv_run_f32(kiln_rt_ctx *ctx, kk__conv_job_f32 *j, int64_t nimg)
{
	const kk__conv_geom *g = &j->g;
	int64_t Mg = g->M / g->group, P = g->OD * g->OH * g->OW;
	int64_t Kg = g->C / g->group * g->KD * g->KH * g->KW;
	int64_t grain = kk_par_grain(KK_PAR_MIN_FLOPS, KK_MR * Kg * P);
	int64_t tasks = kk_par_tasks(ctx, nimg * g->group * j->nb, grain, 1);
	j->npix = 0;
	j->dwcv = j->W && kk__dwcv_ok(g);
	if (tasks > 1) {
		/* Threads split the pixels when there are enough blocks to balance
		 * (each thread then packs only its own im2col panels), else the
		 * output channels (each thread packs every panel). */
		int64_t npix = (P + KK__CONV_Q - 1) / KK__CONV_Q;
		if (g->C / g->group > 1 && Mg > 1 && kk__conv_split_pixels(g, ctx->threads)) {
			j->npix = npix;
			kk_par_for(ctx, nimg * g->group * npix,
				kk_par_grain(KK_PAR_MIN_FLOPS, Mg * Kg * KK__CONV_Q),
				kk__conv_items_f32, j);
			return;
		}
		kk_par_for(ctx, nimg * g->group * j->nb, grain, kk__conv_items_f32, j);
		return;
	}
	for (int64_t n = j->n0; n < j->n0 + nimg; n++) {
		if (kk__dwcv_on(j)) {
			kk__conv_dwcv_f32(j, n, 0, g->group);
			continue;
		}
		for (int64_t gi = 0; gi < g->group; gi++)
			kk__conv_piece_f32(j, n, gi, 0, Mg, 0, P);
	}
}

/* d[0..n) = 0 except d[j] = src[j * sw] for j in [lo, hi): a row of a
 * padded copy or of an im2col matrix (lo >= hi: all zeros). */
KK__ROW_LOOPS static inline void kk__zero_copy_row(float *restrict d, const float *restrict src,
	int64_t lo, int64_t hi, int64_t n, int64_t sw)
{
	hi = hi > lo ? hi : lo;
	for (int64_t j = 0; j < lo && j < n; j++)
		d[j] = 0.0f;
	for (int64_t j = lo; j < hi; j++)
		d[j] = src[j * sw];
	for (int64_t j = hi; j < n; j++)
		d[j] = 0.0f;
}

/* d[0..n): row iy of the H x W plane xc, after pw zeros and before zeros up
 * to n (all zeros when iy is outside the plane). */
KK__ROW_LOOPS static inline void kk__padded_row(float *restrict d, const float *restrict xc, int64_t iy,
	int64_t H, int64_t W, int64_t pw, int64_t n)
{
	int64_t in = iy >= 0 && iy < H;
	kk__zero_copy_row(d, xc + (in ? iy : 0) * W - pw, in ? kk__min(pw, n) : n,
		kk__min(pw + W, n), n, 1);
}

/* Channels [c0, c1) of image j->n0 into its zero-padded copy j->xp. */
KK__ROW_LOOPS static void kk__conv_pad_items(void *vp, int64_t c0, int64_t c1)
{
	const kk__conv_job_f32 *j = vp;
	const kk__conv_geom *g = &j->g;
	for (int64_t c = c0; c < c1; c++) {
		const float *xc = j->X + (j->n0 * g->C + c) * g->H * g->W;
		for (int64_t i = 0; i < j->PH; i++)
			kk__padded_row(j->xp + (c * j->PH + i) * j->PW, xc, i - g->ph, g->H, g->W, g->pw,
				j->PW);
	}
}

void kk_conv_f32(kiln_rt_ctx *ctx, const float *X, const float *W, const float *Wp,
	const float *B,
	float *Y, int64_t N, int64_t C, int64_t D, int64_t H, int64_t Wd,
	int64_t M, int64_t OD, int64_t OH, int64_t OW,
	int64_t KD, int64_t KH, int64_t KW,
	int64_t sd, int64_t sh, int64_t sw, int64_t dd, int64_t dh, int64_t dw,
	int64_t pd, int64_t ph, int64_t pw, int64_t group,
	const float *R, float lo, float hi, int64_t y_ns, float *S)
{
	kk__conv_geom g = {C, D, H, Wd, M, OD, OH, OW, KD, KH, KW,
		sd, sh, sw, dd, dh, dw, pd, ph, pw, group};
	int64_t Mg = M / group, P = OD * OH * OW;
	kk__conv_job_f32 j = {X, W, Wp, B, R, Y, g, 0, (Mg + KK_MR - 1) / KK_MR, lo, hi, 0,
		y_ns ? y_ns : M * P, NULL, 0, 0};
	if ((kk_conv_paths & KK_CONV_PATH_FEWC) && !R && (W || Wp) && kk__smallc_ok(&g)) {
		kk_par_for(ctx, N * OH, kk_par_grain(KK_PAR_MIN_FLOPS, 2 * M * C * KH * KW * OW),
			kk__conv_smallc_items, &j);
		return;
	}
	if (!S || !Wp || KD != 1 || D != 1 || OD != 1 || pd != 0 || C / group <= 1 || Mg <= 1
		|| !kk_conv_pad_ok(OW, KH * KW, sw)) {
		kk__conv_run_f32(ctx, &j, N);
		return;
	}
	/* each image zero-padded into S first (kk_pack.h kk_conv_pad_floats):
	 * then every pixel block is packed by vector loads alone */
	j.xp = S + KK_CONV_PAD_SLACK;
	j.PH = kk_conv_pad_rows(OH, KH, sh, dh);
	j.PW = kk_conv_pad_cols(OW, KW, sw, dw);
	for (j.n0 = 0; j.n0 < N; j.n0++) {
		kk_par_for(ctx, C, kk_par_grain(KK_PAR_MIN_FLOPS, KK__MOVE_COST * j.PH * j.PW),
			kk__conv_pad_items, &j);
		kk__conv_run_f32(ctx, &j, 1);
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

/* ---- small images: the product transposed ------------------------------ */

/* Rows [c0, c1) of channels of one image's im2col matrix s[K][P] (k = (ci,
 * ky, kx), p = (oy, ox); padding taps 0), 2-D. */
typedef struct {
	float *s;
	const float *x;
	kk__conv_geom g;
} kk__im2col_job;

static void kk__im2col_items(void *vp, int64_t c0, int64_t c1)
{
	const kk__im2col_job *j = vp;
	const kk__conv_geom *g = &j->g;
	int64_t OW = g->OW, P = g->OH * OW;
	for (int64_t ci = c0; ci < c1; ci++)
		for (int64_t ky = 0; ky < g->KH; ky++)
			for (int64_t kx = 0; kx < g->KW; kx++) {
				float *restrict row = j->s + ((ci * g->KH + ky) * g->KW + kx) * P;
				int64_t lo, hi;
				kk__valid_range(OW, g->W, g->sw, kx * g->dw - g->pw, &lo, &hi);
				for (int64_t oy = 0; oy < g->OH; oy++) {
					int64_t iy = oy * g->sh - g->ph + ky * g->dh;
					int64_t in = iy >= 0 && iy < g->H;
					kk__zero_copy_row(row + oy * OW, j->x + (ci * g->H + (in ? iy : 0)) *
						g->W + kx * g->dw - g->pw, in ? lo : OW, hi, OW, g->sw);
				}
			}
}

/* Rows [m0, m1) of one image's Y from the product Y^T[P][M]: + R, clamp. */
typedef struct {
	const float *yt, *r;
	float *y;
	int64_t P, M;
	float lo, hi;
} kk__untranspose_job;

static inline float kk__untranspose_one(const kk__untranspose_job *j, int64_t m, int64_t p)
{
	float v = j->yt[p * j->M + m];
	if (j->r)
		v += j->r[m * j->P + p];
	v = v < j->lo ? j->lo : v;
	return v > j->hi ? j->hi : v;
}

/* 8 rows of Y at a time from 8x8 blocks of Y^T transposed in registers:
 * the scalar loop over p read Y^T down its columns, a cache line per
 * element (3.5% of MobileNetV2's run for its 7x7 layers). */
static void kk__untranspose_items(void *vp, int64_t m0, int64_t m1)
{
	const kk__untranspose_job *j = vp;
	int64_t P = j->P, M = j->M, m = m0;
	kk_v8f lo = {0}, hi = {0};
	lo += j->lo;
	hi += j->hi;
	for (; m + 8 <= m1; m += 8) {
		int64_t p = 0;
		for (; p + 8 <= P; p += 8) {
			kk_v8f r[8];
			for (int i = 0; i < 8; i++)
				r[i] = kk__ld8(j->yt + (p + i) * M + m);
			kk__tr8x8(r);
			for (int i = 0; i < 8; i++) {
				float *y = j->y + (m + i) * P + p;
				if (j->r)
					r[i] += kk__ld8(j->r + (m + i) * P + p);
				r[i] = kk__clamp8v(r[i], lo, hi);
				kk__st8(y, &r[i]);
			}
		}
		for (int64_t i = 0; i < 8; i++)
			for (int64_t q = p; q < P; q++)
				j->y[(m + i) * P + q] = kk__untranspose_one(j, m + i, q);
	}
	for (; m < m1; m++)
		for (int64_t p = 0; p < P; p++)
			j->y[m * P + p] = kk__untranspose_one(j, m, p);
}

void kk_conv_t_f32(kiln_rt_ctx *ctx, const float *X, const float *Bp, const float *B,
	float *Y, int64_t N, int64_t C, int64_t H, int64_t Wd, int64_t M, int64_t OH, int64_t OW,
	int64_t KH, int64_t KW, int64_t sh, int64_t sw, int64_t dh, int64_t dw, int64_t ph,
	int64_t pw, const float *R, float lo, float hi, int64_t y_ns, float *S)
{
	kk__conv_geom g = {C, 1, H, Wd, M, 1, OH, OW, 1, KH, KW,
		1, sh, sw, 1, dh, dw, 0, ph, pw, 1};
	int64_t P = OH * OW, K = C * KH * KW;
	int same = kk_conv_is_pointwise(KH, KW, sh, sw, H, Wd, OH, OW);   /* im2col is X */
	float *yt = S + kk_conv_t_floats(K, P, 0, same);       /* the product, P x M */
	kk__im2col_job ij = {S, NULL, g};
	kk__untranspose_job uj = {yt, NULL, NULL, P, M, lo, hi};
	for (int64_t n = 0; n < N; n++) {
		ij.x = X + n * C * H * Wd;
		if (!same)
			kk_par_for(ctx, C, kk_par_grain(KK_PAR_MIN_FLOPS, KK__MOVE_COST * KH * KW * P),
				kk__im2col_items, &ij);
		kk_gemm_pb_f32(ctx, same ? ij.x : S, Bp, B, yt, P, M, K, 1, 1.0f, B ? 1.0f : 0.0f,
			0, 1, NULL, -INFINITY, INFINITY);
		uj.y = Y + n * (y_ns ? y_ns : M * P);
		uj.r = R ? R + n * M * P : NULL;
		kk_par_for(ctx, M, kk_par_grain(KK_PAR_MIN_FLOPS, KK__MOVE_COST * P),
			kk__untranspose_items, &uj);
	}
}

/* ---- 3x3 at stride 1: Winograd F(2x2, 3x3) and F(4x4, 3x3) -------------- */

/* Channels of one image into the transformed input V[xi][c][t]. */
typedef struct {
	const float *x;
	float *v;
	int64_t C, H, W, TH, TW, ph, pw;
	int64_t tb;           /* the band's first tile row; TH: its tile rows */
} kk__wino_in_job;

/* V = B^T d B for the 4x4 patch d of every tile of channels [c0, c1):
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. The 4 input rows of a tile
 * row are copied with their zero padding and split into even and odd
 * columns (ev[a][i] = row[2i], od[a][i] = row[2i+1]): tile tx reads ev[tx],
 * od[tx], ev[tx+1], od[tx+1], so the loop over a row's tiles is plain
 * contiguous loads and 16 contiguous stores, which LLVM vectorises. */
static void kk__wino_in_items(void *vp, int64_t c0, int64_t c1)
{
	const kk__wino_in_job *j = vp;
	int64_t TW = j->TW, T = j->TH * TW, n = 2 * TW + 2, CT = j->C * T;
	/* each of the 4 rows split as even columns sp[a][0, HH), odd ones
	 * sp[a][HH, 2 HH) (kk__split_row; p's n columns hold the whole input
	 * row); + 16: the last 8 tiles' vectors read up to 8 floats past a
	 * split row, zeroed (their lanes past TW are not stored) */
	enum { HH = KK_WINO_ROW / 2 + 16 };
	float sp[4][2 * HH];
	const kk_v8f z = {0};
	int64_t nz = (n / 2 + 16 + 7) / 8 * 8;
	for (int64_t c = c0; c < c1; c++) {
		const float *xc = j->x + c * j->H * j->W;
		float *vc = j->v + c * T;
		for (int64_t ty = 0; ty < j->TH; ty++) {
			const float *ev[4], *od[4];
			for (int a = 0; a < 4; a++) {
				int64_t iy = 2 * (j->tb + ty) - j->ph + a;
				for (int64_t i = 0; i < nz; i += 8) {
					kk__st8(sp[a] + i, &z);
					kk__st8(sp[a] + HH + i, &z);
				}
				if (iy >= 0 && iy < j->H)
					kk__split_row(sp[a], xc + iy * j->W, j->W, j->pw, HH);
				ev[a] = sp[a];
				od[a] = sp[a] + HH;
			}
			float *restrict vt = vc + ty * TW;
			/* 8 tiles per vector (the 16 output planes are CT apart: as a
			 * scalar loop it did not vectorise) */
			for (int64_t tx = 0; tx < TW; tx += 8) {
				/* rows: d B, B's columns as B^T's rows */
#define KK__WIN_ROW(a) \
				kk_v8f E##a = kk__ld8(ev[a] + tx), F##a = kk__ld8(ev[a] + tx + 1); \
				kk_v8f O##a = kk__ld8(od[a] + tx), Q##a = kk__ld8(od[a] + tx + 1); \
				kk_v8f e##a##0 = E##a - F##a, e##a##1 = O##a + F##a; \
				kk_v8f e##a##2 = F##a - O##a, e##a##3 = O##a - Q##a;
				KK__WIN_ROW(0) KK__WIN_ROW(1) KK__WIN_ROW(2) KK__WIN_ROW(3)
#undef KK__WIN_ROW
				/* columns: B^T (d B) */
				int64_t nt = kk__min(8, TW - tx);
#define KK__WIN_COL(b) \
				{ kk_v8f v0 = e0##b - e2##b, v1 = e1##b + e2##b; \
				  kk_v8f v2 = e2##b - e1##b, v3 = e1##b - e3##b; \
				  kk__st8n(vt + (0 + b) * CT + tx, &v0, nt); \
				  kk__st8n(vt + (4 + b) * CT + tx, &v1, nt); \
				  kk__st8n(vt + (8 + b) * CT + tx, &v2, nt); \
				  kk__st8n(vt + (12 + b) * CT + tx, &v3, nt); }
				KK__WIN_COL(0) KK__WIN_COL(1) KK__WIN_COL(2) KK__WIN_COL(3)
#undef KK__WIN_COL
			}
		}
	}
}

/* Output channels of one image from the products. */
typedef struct {
	const float *mid, *B, *R;
	float *y;
	float lo, hi;
	int64_t M, OH, OW, TH, TW;
	int64_t tb;           /* the band's first tile row; TH: its tile rows */
} kk__wino_out_job;

/* n (<= 8) outputs of a Winograd output row at y, v in the low lanes,
 * through the epilogue as one vector: + bias, + residual (n floats at rr,
 * nothing read past them), clamped, stored by lanes; the same arithmetic as
 * kk__epi_vec and kk__epi_one (a row's last few outputs as scalars were a
 * third of F(4x4)'s output transform at 13 to 55 wide). */
static inline __attribute__((always_inline)) void kk__wino_store(float *restrict y, kk_v8f v,
	int64_t n, float bias, const float *rr, const kk__epi *ep)
{
	v += bias;
	if (rr)
		v += kk__ld8n(rr, n);
	v = kk__clamp8(v, ep->lo, ep->hi);
	kk__st8n(y, &v, n);
}

/* One output row from its even and odd columns oe, oo: interleaved, 16
 * outputs per pair of vectors, through the epilogue in registers as they
 * are stored (kk__wino_store): as kk__epi_apply would after storing them,
 * without the second pass over the row. Inlined
 * at two call sites, with and without a residual rr: versioned by hand
 * (LLVM's non-trivial loop unswitching is off, target.c). */
static inline __attribute__((always_inline)) void kk__wino_out_row(float *restrict yr,
	const float *oe, const float *oo, int64_t OW, float bias, const float *rr,
	const kk__epi *ep)
{
	for (int64_t ox = 0; ox < OW; ox += 16) {
		kk_v8f e = kk__ld8(oe + ox / 2), o = kk__ld8(oo + ox / 2);
		kk_v8f v[2] = {
			__builtin_shufflevector(e, o, 0, 8, 1, 9, 2, 10, 3, 11),
			__builtin_shufflevector(e, o, 4, 12, 5, 13, 6, 14, 7, 15)};
		for (int h = 0; h < 2 && ox + 8 * h < OW; h++) {
			int64_t c = ox + 8 * h;
			kk__wino_store(yr + c, v[h], kk__min(8, OW - c), bias, rr ? rr + c : NULL, ep);
		}
	}
}

/* Y = A^T m A for every tile of channels [m0, m1), A^T = [1 1 1 0; 0 1 -1
 * -1], then the epilogue: clamp(y + B[m] + R, lo, hi). A tile row's outputs
 * are built as even and odd columns of its two output rows (contiguous over
 * the tiles: the loop vectorises), then interleaved through the epilogue
 * as they are stored (kk__wino_out_row). */
static void kk__wino_out_items(void *vp, int64_t m0, int64_t m1)
{
	const kk__wino_out_job *j = vp;
	int64_t TW = j->TW, T = j->TH * TW, OW = j->OW, P = j->OH * OW, MT = j->M * T;
	/* + 8: the last 8 tiles' vectors (lanes past TW are not stored) */
	float oe[2][KK_WINO_ROW / 2 + 8], oo[2][KK_WINO_ROW / 2 + 8];
	const kk__epi ep = {NULL, NULL, 0, j->lo, j->hi, NULL, 0.0f, 1.0f};
	for (int64_t m = m0; m < m1; m++) {
		const float *mm = j->mid + m * T;
		float *y = j->y + m * P;
		const float *r = j->R ? j->R + m * P : NULL;
		float bias = j->B ? j->B[m] : 0.0f;
		for (int64_t ty = 0; ty < j->TH; ty++) {
			const float *restrict mt = mm + ty * TW;
			/* 8 tiles per vector; the products' 16 planes are read up to 7
			 * floats past a tile row (kk_wino_floats leaves room at the end) */
			for (int64_t tx = 0; tx < TW; tx += 8) {
				/* rows: A^T m */
#define KK__WOUT_COL(q) \
				kk_v8f p0##q = kk__ld8(mt + (0 + q) * MT + tx); \
				kk_v8f p1##q = kk__ld8(mt + (4 + q) * MT + tx); \
				kk_v8f p2##q = kk__ld8(mt + (8 + q) * MT + tx); \
				kk_v8f p3##q = kk__ld8(mt + (12 + q) * MT + tx); \
				kk_v8f s0##q = p0##q + p1##q + p2##q, s1##q = p1##q - p2##q - p3##q;
				KK__WOUT_COL(0) KK__WOUT_COL(1) KK__WOUT_COL(2) KK__WOUT_COL(3)
#undef KK__WOUT_COL
				/* columns: (A^T m) A */
				kk_v8f e0 = s00 + s01 + s02, o0 = s01 - s02 - s03;
				kk_v8f e1 = s10 + s11 + s12, o1 = s11 - s12 - s13;
				kk__st8(oe[0] + tx, &e0);
				kk__st8(oo[0] + tx, &o0);
				kk__st8(oe[1] + tx, &e1);
				kk__st8(oo[1] + tx, &o1);
			}
			for (int64_t a = 0, oy = 2 * (j->tb + ty); a < 2 && oy + a < j->OH; a++) {
				float *yr = y + (oy + a) * OW;
				if (r)
					kk__wino_out_row(yr, oe[a], oo[a], OW, bias, r + (oy + a) * OW,
						&ep);
				else
					kk__wino_out_row(yr, oe[a], oo[a], OW, bias, NULL, &ep);
			}
		}
	}
}

/* ---- F(4x4, 3x3) ---------------------------------------------------------
 * 1-D transforms: the input's B^T (6 points of 6 inputs), the output's A^T (4
 * outputs of 6 points); G (the weights') is in kk_pack.h. Points 0, +-1, +-2
 * and infinity: B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
 * 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1], A^T = [1 1 1 1 1 0;
 * 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1]. */
static inline __attribute__((always_inline)) void kk__wino4_bt(kk_v8f *t, const kk_v8f *d)
{
	kk_v8f a = d[4] - 4.0f * d[2], b = d[3] - 4.0f * d[1];
	kk_v8f c = d[4] - d[2], e = 2.0f * (d[3] - d[1]);
	t[0] = 4.0f * d[0] - 5.0f * d[2] + d[4];
	t[1] = a + b;
	t[2] = a - b;
	t[3] = c + e;
	t[4] = c - e;
	t[5] = 4.0f * d[1] - 5.0f * d[3] + d[5];
}

static inline __attribute__((always_inline)) void kk__wino4_at(kk_v8f *o, const kk_v8f *m)
{
	kk_v8f s12 = m[1] + m[2], d12 = m[1] - m[2];
	kk_v8f s34 = m[3] + m[4], d34 = m[3] - m[4];
	o[0] = m[0] + s12 + s34;
	o[1] = d12 + 2.0f * d34;
	o[2] = s12 + 4.0f * s34;
	o[3] = d12 + 8.0f * d34 + m[5];
}

/* Input row iy of the H x W plane x as the padded row p (p[q] = x[q - pw],
 * zero outside; kk__padded_row_sw into pr, 4 QN floats of room) split into
 * its 4 phases: d[k QN + i] = p[4 i + k] for i < QN (QN a multiple of 8), so
 * that the cells of 8 tiles at one patch column are one contiguous vector. */
KK__ROW_LOOPS static void kk__wino4_split(float *restrict d, float *restrict pr,
	const float *restrict x, int64_t iy, int64_t H, int64_t W, int64_t pw, int64_t QN)
{
	kk__padded_row_sw(pr, x, iy, H, W, pw, 4 * QN, 1);
	for (int64_t i = 0; i < QN; i += 8) {
		const float *q = pr + 4 * i;
		kk_v8f a = kk__ld8(q), b = kk__ld8(q + 8), c = kk__ld8(q + 16), e = kk__ld8(q + 24);
		kk_v8f ab = __builtin_shufflevector(a, b, 0, 4, 8, 12, 1, 5, 9, 13);
		kk_v8f ab2 = __builtin_shufflevector(a, b, 2, 6, 10, 14, 3, 7, 11, 15);
		kk_v8f ce = __builtin_shufflevector(c, e, 0, 4, 8, 12, 1, 5, 9, 13);
		kk_v8f ce2 = __builtin_shufflevector(c, e, 2, 6, 10, 14, 3, 7, 11, 15);
		kk_v8f p0 = __builtin_shufflevector(ab, ce, 0, 1, 2, 3, 8, 9, 10, 11);
		kk_v8f p1 = __builtin_shufflevector(ab, ce, 4, 5, 6, 7, 12, 13, 14, 15);
		kk_v8f p2 = __builtin_shufflevector(ab2, ce2, 0, 1, 2, 3, 8, 9, 10, 11);
		kk_v8f p3 = __builtin_shufflevector(ab2, ce2, 4, 5, 6, 7, 12, 13, 14, 15);
		kk__st8(d + i, &p0);
		kk__st8(d + QN + i, &p1);
		kk__st8(d + 2 * QN + i, &p2);
		kk__st8(d + 3 * QN + i, &p3);
	}
}

/* The phases' length: the last 8 tiles' vectors read up to tile TW + 8. */
static inline int64_t kk__wino4_qn(int64_t TW)
{
	return (TW + 16) / 8 * 8;
}

/* V = B^T d B for the 6x6 patch d of every tile of channels [c0, c1), 8
 * tiles per vector. The 6 input rows of a tile row are split into phases
 * (kk__wino4_split); the next tile row starts 4 rows lower, so its first
 * two are the last two of this one, kept. */
static void kk__wino4_in_items(void *vp, int64_t c0, int64_t c1)
{
	const kk__wino_in_job *j = vp;
	int64_t TW = j->TW, T = j->TH * TW, CT = j->C * T, QN = kk__wino4_qn(TW);
	enum { QMAX = KK_WINO_ROW / 4 + 16 };
	float sp[6][4 * QMAX], pr[4 * QMAX];
	for (int64_t c = c0; c < c1; c++) {
		const float *xc = j->x + c * j->H * j->W;
		float *vc = j->v + c * T;
		float *rows[6];
		for (int a = 0; a < 6; a++)
			rows[a] = sp[a];
		for (int64_t ty = 0; ty < j->TH; ty++) {
			if (ty > 0) {     /* rows 4, 5 become rows 0, 1 */
				float *r0 = rows[0], *r1 = rows[1];
				rows[0] = rows[4];
				rows[1] = rows[5];
				rows[4] = r0;
				rows[5] = r1;
			}
			for (int a = ty > 0 ? 2 : 0; a < 6; a++)
				kk__wino4_split(rows[a], pr, xc, 4 * (j->tb + ty) - j->ph + a, j->H, j->W,
					j->pw, QN);
			float *restrict vt = vc + ty * TW;
			for (int64_t tx = 0; tx < TW; tx += 8) {
				kk_v8f t[6][6];
				for (int a = 0; a < 6; a++) {     /* rows: d B */
					kk_v8f d[6];
					for (int k = 0; k < 6; k++)
						d[k] = kk__ld8(rows[a] + (k & 3) * QN + tx + k / 4);
					kk__wino4_bt(t[a], d);
				}
				int64_t nt = kk__min(8, TW - tx);
				for (int b = 0; b < 6; b++) {     /* columns: B^T (d B) */
					kk_v8f col[6], v[6];
					for (int a = 0; a < 6; a++)
						col[a] = t[a][b];
					kk__wino4_bt(v, col);
					for (int i = 0; i < 6; i++)
						kk__st8n(vt + (i * 6 + b) * CT + tx, &v[i], nt);
				}
			}
		}
	}
}

/* One output row from its 4 phases ph[b] (output column 4 i + b at ph[b][i]):
 * interleaved 32 outputs per 4 vectors, through the epilogue in registers
 * as they are stored (kk__wino_store). */
static inline __attribute__((always_inline)) void kk__wino4_out_row(float *restrict yr,
	const float *const *ph, int64_t OW, float bias, const float *rr, const kk__epi *ep)
{
	for (int64_t ox = 0; ox < OW; ox += 32) {
		kk_v8f p0 = kk__ld8(ph[0] + ox / 4), p1 = kk__ld8(ph[1] + ox / 4);
		kk_v8f p2 = kk__ld8(ph[2] + ox / 4), p3 = kk__ld8(ph[3] + ox / 4);
		kk_v8f l01 = __builtin_shufflevector(p0, p1, 0, 8, 1, 9, 2, 10, 3, 11);
		kk_v8f h01 = __builtin_shufflevector(p0, p1, 4, 12, 5, 13, 6, 14, 7, 15);
		kk_v8f l23 = __builtin_shufflevector(p2, p3, 0, 8, 1, 9, 2, 10, 3, 11);
		kk_v8f h23 = __builtin_shufflevector(p2, p3, 4, 12, 5, 13, 6, 14, 7, 15);
		kk_v8f v[4] = {
			__builtin_shufflevector(l01, l23, 0, 1, 8, 9, 2, 3, 10, 11),
			__builtin_shufflevector(l01, l23, 4, 5, 12, 13, 6, 7, 14, 15),
			__builtin_shufflevector(h01, h23, 0, 1, 8, 9, 2, 3, 10, 11),
			__builtin_shufflevector(h01, h23, 4, 5, 12, 13, 6, 7, 14, 15)};
		for (int h = 0; h < 4 && ox + 8 * h < OW; h++) {
			int64_t c = ox + 8 * h;
			kk__wino_store(yr + c, v[h], kk__min(8, OW - c), bias, rr ? rr + c : NULL, ep);
		}
	}
}

/* Tiles whose phases kk__wino4_out_items holds at once (KK_WINO_ROW / 4: a
 * tile row at least, kk_wino_ok). */
#define KK__W4_TILES (KK_WINO_ROW / 4)

/* Y = A^T m A for every tile of channels [m0, m1), then the epilogue. The
 * tiles are taken 8 per vector in the order they are stored, across tile
 * rows (as many whole rows as KK__W4_TILES holds), so that narrow images
 * fill the vectors (13 or 14 wide: 4 tiles a row; a vector per row left
 * half of it unused); each tile row's 4 output rows are built as 4 phases
 * each, then interleaved as they are stored. */
static void kk__wino4_out_items(void *vp, int64_t m0, int64_t m1)
{
	const kk__wino_out_job *j = vp;
	int64_t TW = j->TW, T = j->TH * TW, OW = j->OW, P = j->OH * OW, MT = j->M * T;
	int64_t rows = kk__max(1, KK__W4_TILES / TW);   /* tile rows at once */
	/* + 8: the last 8 tiles' vectors (lanes past the rows are not stored) */
	float ph[4][4][KK__W4_TILES + 8];
	const kk__epi ep = {NULL, NULL, 0, j->lo, j->hi, NULL, 0.0f, 1.0f};
	for (int64_t m = m0; m < m1; m++) {
		const float *mm = j->mid + m * T;
		float *y = j->y + m * P;
		const float *r = j->R ? j->R + m * P : NULL;
		float bias = j->B ? j->B[m] : 0.0f;
		for (int64_t ty0 = 0; ty0 < j->TH; ty0 += rows) {
			int64_t nt = kk__min(rows, j->TH - ty0) * TW;
			const float *restrict mt = mm + ty0 * TW;
			/* the products' 36 planes are read up to 7 floats past the
			 * tiles (kk_wino_floats leaves room at the end) */
			for (int64_t t = 0; t < nt; t += 8) {
				kk_v8f s[4][6];
				for (int b = 0; b < 6; b++) {     /* rows: A^T m */
					kk_v8f col[6], o[4];
					for (int a = 0; a < 6; a++)
						col[a] = kk__ld8(mt + (a * 6 + b) * MT + t);
					kk__wino4_at(o, col);
					for (int i = 0; i < 4; i++)
						s[i][b] = o[i];
				}
				for (int i = 0; i < 4; i++) {     /* columns: (A^T m) A */
					kk_v8f o[4];
					kk__wino4_at(o, s[i]);
					for (int b = 0; b < 4; b++)
						kk__st8(ph[i][b] + t, &o[b]);
				}
			}
			for (int64_t ty = ty0; ty < ty0 + nt / TW; ty++)
				for (int64_t a = 0, oy = 4 * (j->tb + ty); a < 4 && oy + a < j->OH; a++) {
					int64_t o = (ty - ty0) * TW;
					const float *p4[4] = {ph[a][0] + o, ph[a][1] + o, ph[a][2] + o,
							      ph[a][3] + o};
					float *yr = y + (oy + a) * OW;
					if (r)
						kk__wino4_out_row(yr, p4, OW, bias, r + (oy + a) * OW, &ep);
					else
						kk__wino4_out_row(yr, p4, OW, bias, NULL, &ep);
				}
		}
	}
}

/* The np products of T tiles: a pointwise
 * convolution of V (np groups of C channels of T pixels) with the np packed
 * weight matrices Up, into mid (np groups of M channels). */
static kk__conv_job_f32 kk__wino_products(const float *V, const float *Up, float *mid,
	int64_t np, int64_t C, int64_t M, int64_t T)
{
	kk__conv_geom g = {np * C, 1, 1, T, np * M, 1, 1, T, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 0, 0, 0, np};
	kk__conv_job_f32 pj = {V, NULL, Up, NULL, NULL, mid, g, 0, (M + KK_MR - 1) / KK_MR,
		-INFINITY, INFINITY, 0, np * M * T, NULL, 0, 0};
	return pj;
}

/* One image's Winograd convolution in bands of tile rows (kk_wino_band)
 * split over the tasks by rows: task t takes its share of the tile rows,
 * band by band through the three phases on its own (the products
 * serially), in slot t of the scratch, so that a band stays in its core's
 * caches from the input transform to the output one. */
typedef struct {
	kk__wino_in_job in;
	kk__wino_out_job out;
	const float *Up;
	float *S;
	int64_t np, r, bt, nt, slot;
} kk__wino_band_job;

static void kk__wino_band_items(void *vp, int64_t t0, int64_t t1)
{
	const kk__wino_band_job *b = vp;
	int64_t C = b->in.C, M = b->out.M, TH = b->in.TH, TW = b->in.TW;
	int64_t np = b->np;
	for (int64_t t = t0; t < t1; t++) {
		kk__wino_in_job ij = b->in;
		kk__wino_out_job oj = b->out;
		float *mid = b->S + t * b->slot + np * C * b->bt * TW;
		ij.v = b->S + t * b->slot;
		oj.mid = mid;
		for (int64_t tb = TH * t / b->nt; tb < TH * (t + 1) / b->nt; tb += b->bt) {
			int64_t T = kk__min(b->bt, TH * (t + 1) / b->nt - tb) * TW;
			ij.TH = oj.TH = T / TW;
			ij.tb = oj.tb = tb;
			kk__conv_job_f32 pj = kk__wino_products(ij.v, b->Up, mid, np, C, M, T);
			(b->r == 4 ? kk__wino4_in_items : kk__wino_in_items)(&ij, 0, C);
			kk__conv_run_f32(NULL, &pj, 1);
			(b->r == 4 ? kk__wino4_out_items : kk__wino_out_items)(&oj, 0, M);
		}
	}
}

void kk_conv_wino_f32(kiln_rt_ctx *ctx, const float *X, const float *Up, const float *B,
	float *Y, int64_t N, int64_t C, int64_t H, int64_t Wd, int64_t M, int64_t OH, int64_t OW,
	int64_t ph, int64_t pw, int64_t r, const float *R, float lo, float hi, int64_t y_ns,
	float *S)
{
	int64_t TH = (OH + r - 1) / r, TW = (OW + r - 1) / r, T = TH * TW, P = OH * OW;
	int64_t np = kk_wino_points(r), bt = kk_wino_band(C, M, OH, OW, r);
	float *V = S, *mid = S + np * C * T;
	kk__wino_in_job ij = {NULL, V, C, H, Wd, TH, TW, ph, pw, 0};
	kk__wino_out_job oj = {mid, B, NULL, NULL, lo, hi, M, OH, OW, TH, TW, 0};
	kk__conv_job_f32 pj = kk__wino_products(V, Up, mid, np, C, M, T);
	/* in bands: the tasks split the tile rows */
	int64_t nt = kk__min(KK_WINO_TASKS, kk_par_tasks(ctx, TH, 1, 1));
	kk__wino_band_job bj = {ij, oj, Up, S, np, r, bt, nt, kk_wino_slot(C, M, OH, OW, r)};
	for (int64_t n = 0; n < N; n++) {
		ij.x = bj.in.x = X + n * C * H * Wd;
		oj.y = bj.out.y = Y + n * (y_ns ? y_ns : M * P);
		oj.R = bj.out.R = R ? R + n * M * P : NULL;
		if (bt < TH) {
			kk_par_for(ctx, nt, 1, kk__wino_band_items, &bj);
			continue;
		}
		kk_par_for(ctx, C, kk_par_grain(KK_PAR_MIN_FLOPS, KK__MOVE_COST * np * T),
			r == 4 ? kk__wino4_in_items : kk__wino_in_items, &ij);
		kk__conv_run_f32(ctx, &pj, 1);
		kk_par_for(ctx, M, kk_par_grain(KK_PAR_MIN_FLOPS, KK__MOVE_COST * np * T),
			r == 4 ? kk__wino4_out_items : kk__wino_out_items, &oj);
	}
}
