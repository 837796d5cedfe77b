/* nn_pwdw.c — KilnConvPwDw (passes/fuse_pwdw.c): a pointwise convolution
 * whose output feeds only a 3x3 depthwise one (MobileNetV2's expansion and
 * depthwise pairs), the tensor between them in a layout of its own instead
 * of NCHW: 8 channels per pixel (a vector), in blocks of 8 channels, each
 * block's pixels with a ring of zeros around them.
 *
 * The pointwise product then runs transposed: a tile of 6 pixels by 16
 * channels, X's values broadcast (6 per k, from K rows of X) against 16
 * weights (two vectors), each accumulator one pixel's 8 channels, stored as
 * one vector where the depthwise layer reads it. The depthwise layer reads
 * every tap as one vector of 8 channels: no padded copy of each plane, no
 * even/odd split at stride 2 (which is a shuffle per 8 floats), weights in
 * registers; 8 output pixels at a time, transposed (8x8) into NCHW rows as
 * they are stored. Each output value is the same arithmetic in the same
 * order as kk_conv_f32's pointwise then depthwise paths (a straight sum
 * over k; taps in order, padding as zeros; bias, then the clamp).
 * Alone (1 thread, this machine): MobileNetV2's pairs 9-44% faster than the
 * two convolutions (16 -> 96 at 112x112 with its stride-2 layer: 1.26 ->
 * 0.79 ms; 96 -> 576 at 14x14: 0.38 -> 0.31 ms).
 *
 * With a pointwise projection fused after the pair (W3p), the depthwise
 * layer writes the projection's packed B panels instead of NCHW rows
 * (kk__pwdw_pj_items); without the pointwise half (Wt NULL), X itself is
 * copied into the intermediate's layout (kk__pwdw_cp_items); with a 3x3
 * few-channel stem as the first half (kk_conv_stem_pwdw_f32), the stem's
 * output goes straight into it (kk__pwdw_stem_items). */
#include <math.h>

#include "kk_nn.h"
#include "kk_pack.h"
#include "kk_par.h"
#include "nn_micro.h"

#define KK__PD_PF 48    /* floats ahead each k step prefetches its row of X */

typedef struct {
	const float *X, *Wt, *B1, *W2, *B2;
	float *Y, *T;
	int64_t K, C, H, W, OH, OW, s;
	int64_t R;            /* rows of the intermediate held (kk_pwdw_ring) */
	float lo1, hi1, lo2, hi2;
	int64_t pa, pe;       /* the pointwise pixels [pa, pe) of this band */
	int64_t oa, ob;       /* the depthwise output rows [oa, ob) */
	/* the fused projection (W3p not NULL): Y = W3 D, M channels */
	const float *W3p, *B3, *Res;
	int64_t M;
	float lo3, hi3;
	int64_t np, nt;       /* the band's pixel panels, the tasks they split into */
	int split_c;          /* the pointwise half's items: channel panels, not tiles */
	/* a 3x3 stem as the first half (Ws not NULL; kk_conv_stem_pwdw_f32):
	 * X [C0, H0, W0], pads 1, stride s1; the intermediate H x W its output */
	const float *Ws;
	int64_t C0, H0, W0, s1;
} kk__pwdw_job;

/* floats from one 8-channel block of the intermediate to the next */
static inline int64_t kk__pd_block(const kk__pwdw_job *j)
{
	return j->R * (j->W + 2) * 8;
}

/* where padded row r of a block starts (kk_pwdw_ring) */
static inline int64_t kk__pd_row(const kk__pwdw_job *j, int64_t r)
{
	return r % j->R * (j->W + 2) * 8;
}

#define KK__PD_ROW(r) \
	xs = xk[r]; c##r##0 += b0 * xs; c##r##1 += b1 * xs;
#define KK__PD_ST(r) \
	if (r >= r0) { \
		kk_v8f u0 = kk__clamp8v(c##r##0 + bv0, lo, hi); \
		kk__st8(tb + o[r], &u0); \
		if (two) { \
			kk_v8f u1 = kk__clamp8v(c##r##1 + bv1, lo, hi); \
			kk__st8(tb + PB + o[r], &u1); \
		} \
	}

/* The products and stores of a tile of 6 pixels by the 16-channel panel
 * from channel mb, for the pointwise and the stem halves alike: K steps,
 * step k's 6 x values the 6 consecutive floats at x + toff[k] (toff NULL:
 * x + k P, prefetching KK__PD_PF floats ahead in that row: K rows P floats
 * apart are more streams than the hardware follows), each broadcast against
 * the panel's 16 weights of step k (a: K x 16); then bias and clamp, pixel
 * i's two vectors stored at o[i] of the panel's two 8-channel blocks of the
 * intermediate (pixels before r0 not stored). */
static inline __attribute__((always_inline)) void kk__pd_tile(const kk__pwdw_job *j,
	const float *x, int64_t P, const int64_t *toff, int64_t K, const float *a,
	const int64_t *o, int64_t r0, int64_t mb)
{
	int64_t PB = kk__pd_block(j);
	int two = mb + 8 < j->C;
	kk_v8f lo = {0}, hi = {0}, z = {0};
	lo += j->lo1;
	hi += j->hi1;
	kk_v8f c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
	kk_v8f c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
	for (int64_t k = 0; k < K; k++) {
		const float *xk = toff ? x + toff[k] : x + k * P;
		if (!toff)
			__builtin_prefetch(xk + KK__PD_PF);
		kk_v8f b0 = kk__ld8(a + k * 16), b1 = kk__ld8(a + k * 16 + 8);
		float xs;
		KK__PD_ROW(0) KK__PD_ROW(1) KK__PD_ROW(2)
		KK__PD_ROW(3) KK__PD_ROW(4) KK__PD_ROW(5)
	}
	kk_v8f bv0 = j->B1 ? kk__ld8(j->B1 + mb) : z;
	kk_v8f bv1 = j->B1 && two ? kk__ld8(j->B1 + mb + 8) : z;
	float *tb = j->T + mb / 8 * PB;
	KK__PD_ST(0) KK__PD_ST(1) KK__PD_ST(2)
	KK__PD_ST(3) KK__PD_ST(4) KK__PD_ST(5)
}

/* Where the pointwise tiles' pixels go in a block of the intermediate:
 * pixel p to ring row (p / W + 1) % R (kk__pd_row), column p % W + 1,
 * found by division once per run of tiles and then stepped pixel by pixel
 * (divided per pixel, 12% of the tiles' time in 24 -> 144 at 56x56;
 * MobileNetV2's 16 -> 96 and 24 -> 144 pairs 2-5% faster without). */
typedef struct {
	int64_t col, ring;    /* the next pixel's column and ring row */
} kk__pd_pos;

static inline kk__pd_pos kk__pd_at(const kk__pwdw_job *j, int64_t p)
{
	kk__pd_pos q = {p % j->W, (p / j->W + 1) % j->R};
	return q;
}

/* o[0..n): the offsets of the next n pixels from q, which moves past them. */
static inline void kk__pd_next(const kk__pwdw_job *j, kk__pd_pos *q, int64_t *o, int64_t n)
{
	for (int64_t i = 0; i < n; i++) {
		o[i] = q->ring * (j->W + 2) * 8 + (q->col + 1) * 8;
		if (++q->col == j->W) {
			q->col = 0;
			if (++q->ring == j->R)
				q->ring = 0;
		}
	}
}

/* Pointwise tile t (KK_PWDW_PX pixels) by the 16-channel panel from channel
 * mb of one image, into the intermediate, its pixels' offsets from q (at
 * the tile's first pixel, moved past it). X's K rows are read in place at
 * the tile's 6 pixels, as 6 constant offsets from one pointer (with a
 * pointer per pixel the k loop ran out of registers); the band's last,
 * partial tile is computed as the 6 pixels ending the band, of which it
 * stores its own. */
static inline __attribute__((always_inline)) void kk__pwdw_tile(const kk__pwdw_job *j,
	int64_t t, int64_t mb, kk__pd_pos *q)
{
	int64_t pt = j->pa + t * KK_PWDW_PX, p0 = kk__min(pt, j->pe - KK_PWDW_PX);
	int64_t o[KK_PWDW_PX];
	if (p0 < pt) {        /* the partial tile: rarely, so found afresh */
		kk__pd_pos r = kk__pd_at(j, p0);
		kk__pd_next(j, &r, o, KK_PWDW_PX);
	} else {
		kk__pd_next(j, q, o, KK_PWDW_PX);
	}
	kk__pd_tile(j, j->X + p0, j->H * j->W, NULL, j->K, j->Wt + mb * j->K, o, pt - p0, mb);
}

/* The stem's tile: 6 output pixels [ox, ox + 6) of the intermediate row at
 * ro (kk__pd_row) by the 16-channel panel from channel mb, from the stem's
 * input rows buffered as kk__fewc_rows buffers them (rows: C0 x 3 padded
 * rows, tap t at toff[t]), so the 6 pixels of a tap are 6 consecutive floats;
 * each output is the sum over the C0 x 9 taps in order, then bias and
 * clamp, as that path computes it (with the taps broadcast and the weights
 * as vectors: the same products and sums). */
static inline __attribute__((always_inline)) void kk__pwdw_stem_tile(const kk__pwdw_job *j,
	const float *rows, const int64_t *toff, int64_t ro, int64_t ox, int64_t mb)
{
	int64_t T = j->C0 * 9, o[KK_PWDW_PX];
	for (int64_t i = 0; i < KK_PWDW_PX; i++)
		o[i] = ro + (ox + i + 1) * 8;
	kk__pd_tile(j, rows + ox, 0, toff, T, j->Ws + mb * T, o, 0, mb);
}

#undef KK__PD_ROW
#undef KK__PD_ST

/* The stem's output rows [pa / W + i0, pa / W + i1) of the band into the
 * intermediate: per row, its C0 x 3 input rows buffered (kk__fewc_rows),
 * then each 16-channel
 * panel over the row's 6-pixel tiles (the last overlapping the one before:
 * the same values stored again). The stem's output never exists as NCHW
 * rows (MobileNetV2's 3 -> 32 at 112x112: 1.6 MB written out, then copied
 * into the intermediate by kk__pwdw_cp_items). */
static void kk__pwdw_stem_items(void *vp, int64_t i0, int64_t i1)
{
	const kk__pwdw_job *j = vp;
	int64_t W = j->W, s1 = j->s1, h = kk__fewc_h(W);
	float rows[KK_CONV_FEWC_MAXC * 3 * KK_CONV_FEWC_ROW];
	int64_t toff[KK_CONV_FEWC_MAXC * 9];
	kk__fewc_taps(toff, j->C0, 3, 3, h, s1);
	for (int64_t r = j->pa / W + i0; r < j->pa / W + i1; r++) {
		int64_t ro = kk__pd_row(j, r + 1);     /* once a row, not a tile */
		kk__fewc_rows(rows, j->X, j->C0, j->H0, j->W0, 3, r * s1 - 1, s1, 1, h, s1);
		for (int64_t mb = 0; mb < j->C; mb += 16)
			for (int64_t ox = 0;; ox += KK_PWDW_PX) {
				ox = kk__min(ox, W - KK_PWDW_PX);
				kk__pwdw_stem_tile(j, rows, toff, ro, ox, mb);
				if (ox == W - KK_PWDW_PX)
					break;
			}
	}
}

/* Pointwise tiles [t0, t1) (or with split_c all of them, channel panels
 * [t0, t1)) of one image into the intermediate, in bands
 * of tiles whose rows of X take about KK__PD_BAND bytes (L2): each
 * 16-channel panel of the weights (K x 16, L1) over the band's tiles, then
 * the next panel. One band holds a small image whole, so that each panel is
 * read once (7x7, 160 -> 960: 600 KB of weights); on a large one each panel
 * writes long runs into its block of the intermediate (tile by tile across
 * every panel, 112x112's 5 MB went out 192 bytes per block in turn, and in
 * the network the pair ran 50% slower than the two convolutions). While a
 * panel's tiles run, they fetch the next panel's weights, a share each: in
 * the network they come from memory (the 7x7 pairs, 160 -> 960, 8% faster;
 * MobileNetV2 0.6-1.2%). */
#define KK__PD_BAND 98304
static void kk__pwdw_pw_items(void *vp, int64_t i0, int64_t i1)
{
	const kk__pwdw_job *j = vp;
	int64_t band = kk__max(1, KK__PD_BAND / (j->K * KK_PWDW_PX * (int64_t)sizeof(float)));
	int64_t t0 = i0, t1 = i1, m0 = 0, m1 = j->C;
	if (j->split_c) {     /* items: 16-channel panels, every tile */
		t0 = 0;
		t1 = (j->pe - j->pa + KK_PWDW_PX - 1) / KK_PWDW_PX;
		m0 = i0 * 16;
		m1 = kk__min(j->C, i1 * 16);
	}
	for (int64_t b0 = t0; b0 < t1; b0 += band)
		for (int64_t mb = m0; mb < m1; mb += 16) {
			kk__pd_pos q = kk__pd_at(j, j->pa + b0 * KK_PWDW_PX);
			int64_t te = kk__min(t1, b0 + band);
			/* the next panel's K lines of 64 B, a share in each tile */
			const char *nx = (const char *)(j->Wt + (mb + 16) * j->K);
			int64_t lines = mb + 16 < m1 ? j->K : 0, per = (lines + te - b0 - 1) / (te - b0);
			for (int64_t t = b0, l = 0; t < te; t++) {
				for (int64_t e = kk__min(lines, l + per); l < e; l++)
					__builtin_prefetch(nx + l * 64);
				kk__pwdw_tile(j, t, mb, &q);
			}
		}
}

/* Without a pointwise half (Wt NULL: X is the intermediate, K = C): the
 * 8-channel blocks [b0, b1) of the band's input rows copied into the ring,
 * 8 pixels of 8 channels at a time transposed (a vector per pixel). */
static void kk__pwdw_cp_items(void *vp, int64_t b0, int64_t b1)
{
	const kk__pwdw_job *j = vp;
	int64_t W = j->W, P = j->H * W;
	for (int64_t b = b0; b < b1; b++) {
		const float *xb = j->X + b * 8 * P;
		float *tb = j->T + b * kk__pd_block(j);
		for (int64_t r = j->pa / W; r < j->pe / W; r++) {
			float *tr = tb + kk__pd_row(j, r + 1) + 8;
			for (int64_t q = 0; q < W; q += 8) {
				int64_t nv = kk__min(8, W - q);
				kk_v8f v[8];
				for (int l = 0; l < 8; l++)
					v[l] = kk__ld8n(xb + l * P + r * W + q, nv);
				kk__tr8x8(v);     /* v[i]: pixel q + i's 8 channels */
				for (int64_t i = 0; i < nv; i++)
					kk__st8(tr + (q + i) * 8, &v[i]);
			}
		}
	}
}

/* Block b's 8 channels' depthwise taps and biases as lanes. */
static inline void kk__pd_taps(const kk__pwdw_job *j, int64_t b, kk_v8f *wv, kk_v8f *bv)
{
	kk_v8f z = {0};
	for (int t = 0; t < 9; t++)
		for (int l = 0; l < 8; l++)
			wv[t][l] = j->W2[(b * 8 + l) * 9 + t];
	*bv = z;
	for (int l = 0; j->B2 && l < 8; l++)
		(*bv)[l] = j->B2[b * 8 + l];
}

/* The ring of zeros around block b's padded rows that the depthwise output
 * rows [oa, ob) read (rows 0 and H + 1 whole, the first and last column of
 * the others). */
static void kk__pd_ring(const kk__pwdw_job *j, int64_t b)
{
	float *tb = j->T + b * kk__pd_block(j);
	int64_t H = j->H, W = j->W, rb = kk__min(H + 1, (j->ob - 1) * j->s + 2);
	kk_v8f z = {0};
	for (int64_t r = j->oa * j->s; r <= rb; r++) {
		float *tr = tb + kk__pd_row(j, r);
		if (r == 0 || r == H + 1) {
			for (int64_t q = 0; q < W + 2; q++)
				kk__st8(tr + q * 8, &z);
			continue;
		}
		kk__st8(tr, &z);
		kk__st8(tr + (W + 1) * 8, &z);
	}
}

/* Depthwise 3x3 of the 8-channel blocks [b0, b1) of one image, output rows
 * [oa, ob), from the intermediate into Y (NCHW). The ring of zeros around
 * the padded rows these read is written here, just before they are read
 * (the pointwise tiles wrote their inside; nothing else writes the ring). */
static void kk__pwdw_dw_items(void *vp, int64_t b0, int64_t b1)
{
	const kk__pwdw_job *j = vp;
	int64_t OW = j->OW, s = j->s;
	int64_t OP = j->OH * OW;
	kk_v8f lo = {0}, hi = {0}, z = {0};
	lo += j->lo2;
	hi += j->hi2;
	for (int64_t b = b0; b < b1; b++) {
		float *tb = j->T + b * kk__pd_block(j);
		kk__pd_ring(j, b);
		kk_v8f wv[9], bv;
		kk__pd_taps(j, b, wv, &bv);
		float *yb = j->Y + b * 8 * OP;
		for (int64_t oy = j->oa; oy < j->ob; oy++) {
			/* the three padded rows the taps read, each where the ring has it */
			const float *rows[3] = {tb + kk__pd_row(j, oy * s), tb + kk__pd_row(j, oy * s + 1),
				tb + kk__pd_row(j, oy * s + 2)};
			for (int64_t ox = 0; ox < OW; ox += 8) {
				/* 8 output pixels (past the row's end: its last again) */
				int64_t nv = kk__min(8, OW - ox);
				int64_t bo[8];
				kk_v8f acc[8];
				KK__UNROLL
				for (int v = 0; v < 8; v++) {
					bo[v] = (ox + kk__min(v, nv - 1)) * s * 8;
					acc[v] = z;
				}
				KK__UNROLL
				for (int t = 0; t < 9; t++) {
					const float *rt = rows[t / 3] + t % 3 * 8;
					KK__UNROLL
					for (int v = 0; v < 8; v++)
						acc[v] += wv[t] * kk__ld8(rt + bo[v]);
				}
				KK__UNROLL
				for (int v = 0; v < 8; v++)
					acc[v] = kk__clamp8v(acc[v] + bv, lo, hi);
				kk__tr8x8(acc);      /* acc[l]: channel l's 8 pixels */
				for (int l = 0; l < 8; l++)
					kk__st8n(yb + l * OP + oy * OW + ox, &acc[l], nv);
			}
		}
	}
}

/* With a projection (W3p): task t of j->nt takes its share of the band's
 * j->np pixel panels (KK_NR pixels each from output pixel oa OW on, the
 * last panel partial) and puts their depthwise output straight into the
 * packed B panels of the projection's product (C x KK_NR floats each:
 * kk_pack.h's layout), kk_pwdw_pj_group(C) panels at a time in its slot of
 * the scratch, which the micro-kernel then reads against the packed
 * slivers of W3 as kk_conv_f32's pointwise path does: K slices of KK_KC in
 * order, the partial sums through Y, the epilogue (bias, residual, clamp)
 * with the last slice; so the same arithmetic as the pair followed by that
 * convolution. The depthwise tensor never goes out as NCHW rows to be
 * packed back (MobileNetV2's projections read it from L2 or memory: 576 ->
 * 96 at 14x14 took 0.37 ms after the pair, 0.30 after a cheap elementwise
 * node). Each sliver of W3 sweeps the group's panels, so a group reads W3
 * once. */
static void kk__pwdw_pj_items(void *vp, int64_t t0, int64_t t1)
{
	const kk__pwdw_job *j = vp;
	int64_t C = j->C, OW = j->OW, s = j->s, M = j->M, OP = j->OH * OW;
	int64_t pa = j->oa * OW, pe = j->ob * OW;
	int64_t G = kk_pwdw_pj_group(C);
	int64_t q0 = j->np * t0 / j->nt, q1 = j->np * t1 / j->nt;
	float *bp = j->T + kk_pwdw_floats(C, j->H, j->W, 1) + t0 * G * C * KK_NR;
	int64_t off[KK_PWDW_PJ_MAXG * KK_NR][3];
	kk_v8f lo = {0}, hi = {0}, z = {0};
	lo += j->lo2;
	hi += j->hi2;
	kk__epi ep = {j->B3, j->Res, OP, j->lo3, j->hi3, NULL, 1.0f, 1.0f};
	for (int64_t g0 = q0; g0 < q1; g0 += G) {
		int64_t ng = kk__min(G, q1 - g0), nv = ng * KK_NR;
		/* where each pixel's three padded rows start in the ring, at its
		 * first tap column (past the band's end: its last pixel again);
		 * the row offsets again only where the pixels start a new row */
		int64_t p0 = pa + g0 * KK_NR, oy = p0 / OW, ox = p0 % OW, ro[3];
		for (int r = 0; r < 3; r++)
			ro[r] = kk__pd_row(j, oy * s + r);
		for (int64_t v = 0; v < nv; v++) {
			for (int r = 0; r < 3; r++)
				off[v][r] = ro[r] + ox * s * 8;
			if (p0 + v + 1 < pe && ++ox == OW) {
				ox = 0;
				oy++;
				for (int r = 0; r < 3; r++)
					ro[r] = kk__pd_row(j, oy * s + r);
			}
		}
		for (int64_t b = 0; b < C / 8; b++) {
			const float *tb = j->T + b * kk__pd_block(j);
			kk_v8f wv[9], bv;
			kk__pd_taps(j, b, wv, &bv);
			for (int64_t v0 = 0; v0 < nv; v0 += 8) {
				kk_v8f acc[8];
				KK__UNROLL
				for (int v = 0; v < 8; v++)
					acc[v] = z;
				KK__UNROLL
				for (int t = 0; t < 9; t++)
					KK__UNROLL
					for (int v = 0; v < 8; v++)
						acc[v] += wv[t] * kk__ld8(tb + off[v0 + v][t / 3] + t % 3 * 8);
				KK__UNROLL
				for (int v = 0; v < 8; v++)
					acc[v] = kk__clamp8v(acc[v] + bv, lo, hi);
				kk__tr8x8(acc);      /* acc[l]: channel l's 8 pixels */
				float *d = bp + v0 / KK_NR * C * KK_NR + b * 8 * KK_NR + v0 % KK_NR;
				for (int l = 0; l < 8; l++)
					kk__st8(d + l * KK_NR, &acc[l]);
			}
		}
		for (int64_t i0 = 0; i0 < M; i0 += KK_MR) {
			int64_t mr = kk__min(KK_MR, M - i0);
			const float *a = j->W3p + i0 * C;
			for (int64_t g = 0; g < ng; g++) {
				int64_t p0 = pa + (g0 + g) * KK_NR, nr = kk__min(KK_NR, pe - p0);
				const float *b = bp + g * C * KK_NR;
				for (int64_t k0 = 0; k0 < C; k0 += KK_KC) {
					int64_t kc = kk__min(KK_KC, C - k0);
					/* prefetch the next panel, after the last the next sliver */
					int last = g + 1 == ng;
					const float *pf = !last ? b + (C + k0) * KK_NR
						: i0 + KK_MR < M ? a + (KK_MR * C + k0 * KK_MR) : a;
					kk__epi e;
					kk__micro_s_f32(kc, a + k0 * KK_MR, 1, KK_MR, b + k0 * KK_NR, KK_NR,
						j->Y + i0 * OP + p0, OP, mr, nr, k0 > 0,
						k0 + kc == C ? kk__epi_at(&ep, i0, p0, &e) : NULL, pf,
						last ? KK_MR : KK_NR);
				}
			}
		}
	}
}

/* Images of an intermediate larger than KK_PWDW_WHOLE bytes go in bands of
 * input rows of about KK_PWDW_ROWS bytes of it (kk_pwdw_band): the band's
 * pointwise tiles, then the depthwise output rows they complete, while the
 * band is still in the caches (whole, MobileNetV2's 5 MB at 112x112 went
 * out to memory between the two and back: the pair 20% slower than the two
 * convolutions; MobileNetV2 against the same build with that pair left
 * unfused, medians of alternating runs: bands of 256 KB 2-9% faster at 1
 * thread and 5-8% slower at 2, where 23 bands are 46 rounds of the threads;
 * of 512 KB, 11 rows, 6% faster at 1 thread and 2% at 2). The bands take
 * turns in a ring of rows of the scratch (kk_pwdw_ring): each band's rows
 * land where the caches still hold an earlier band's, not on a part of a
 * 5 MB scratch last written a whole run before. kk__pwdw_run is that loop
 * for both entries (j: all but the image's pointers and the band; images
 * xn floats apart). */
static void kk__pwdw_run(kiln_rt_ctx *ctx, const kk__pwdw_job *jp, const float *X, const float *R,
	float *Y, int64_t N, int64_t xn, int64_t y_ns)
{
	kk__pwdw_job j = *jp;
	int64_t K = j.K, C = j.C, M = j.M, H = j.H, W = j.W, OH = j.OH, OW = j.OW, s = j.s;
	const float *Wt = j.Wt, *W3p = j.W3p;
	int64_t YC = W3p ? M : C;     /* Y's channels */
	int64_t band = kk_pwdw_band(C, H, W, W3p != NULL);
	/* memory-bound: the depthwise blocks split by the floats each moves (by
	 * its multiply-adds, 14x14 and 7x7 layers ran on one thread) */
	int64_t moved = 8 * ((band + 2) * (W + 2) + (band / s + 1) * OW);
	/* a projection panel's work: its multiply-adds and the depthwise
	 * layer's, and the floats that layer reads and writes (about 3 per
	 * output), each as the work of KK_PAR_MIN_FLOPS / KK_PAR_MIN_ELEMS
	 * multiply-adds (by the multiply-adds alone, MobileNetV2's 16 -> 96 at
	 * 112x112 gave each band's 20 panels to one thread: that block alone
	 * 1.35x faster on 2 threads than on 1, 1.65x with them split) */
	int64_t pj_work = KK_NR * C * (M + 9 + 3 * KK_PAR_MIN_FLOPS / KK_PAR_MIN_ELEMS);
	for (int64_t n = 0; n < N; n++) {
		j.X = X + n * xn;
		j.Y = Y + n * (y_ns ? y_ns : YC * OH * OW);
		j.Res = R ? R + n * M * OH * OW : NULL;
		j.oa = 0;
		for (int64_t ra = 0; ra < H; ra += band) {
			int64_t rb = kk__min(H, ra + band);
			j.pa = ra * W;
			j.pe = rb * W;
			/* the output rows whose taps end in rows before rb */
			j.ob = rb == H ? OH : kk__min(OH, (rb - 2) / s + 1);
			int64_t tiles = (j.pe - j.pa + KK_PWDW_PX - 1) / KK_PWDW_PX;
			/* more channels than pixels (7x7 and 14x14 layers): the
			 * threads split the channels, each reading its share of the
			 * weights (by tiles, each read all of them: 160 -> 960 at
			 * 7x7 took 600 KB from L3 per thread for 9 tiles, split 4
			 * and 5; the pair 5-10% faster at 2 threads) */
			j.split_c = C > (rb - ra) * W;
			if (j.Ws)
				kk_par_for(ctx, rb - ra, kk_par_grain(KK_PAR_MIN_FLOPS,
					W * C * j.C0 * 9), kk__pwdw_stem_items, &j);
			else if (Wt && j.split_c)
				kk_par_for(ctx, (C + 15) / 16, kk_par_grain(KK_PAR_MIN_FLOPS,
					tiles * KK_PWDW_PX * K * 16), kk__pwdw_pw_items, &j);
			else if (Wt)
				kk_par_for(ctx, tiles, kk_par_grain(KK_PAR_MIN_FLOPS,
					KK_PWDW_PX * K * C), kk__pwdw_pw_items, &j);
			else
				kk_par_for(ctx, C / 8, kk_par_grain(KK_PAR_MIN_ELEMS, 8 * (j.pe - j.pa)),
					kk__pwdw_cp_items, &j);
			if (j.ob > j.oa && W3p) {
				/* the ring of the rows the depthwise taps read (which
				 * kk__pwdw_dw_items writes itself, per block), then one
				 * item per task: t, its slot */
				for (int64_t b = 0; b < C / 8; b++)
					kk__pd_ring(&j, b);
				j.np = ((j.ob - j.oa) * OW + KK_NR - 1) / KK_NR;
				j.nt = kk__min(KK_PWDW_PJ_TASKS, kk_par_tasks(ctx, j.np,
					kk_par_grain(KK_PAR_MIN_FLOPS, pj_work), 1));
				kk_par_for(ctx, j.nt, 1, kk__pwdw_pj_items, &j);
			} else if (j.ob > j.oa) {
				kk_par_for(ctx, C / 8, kk_par_grain(KK_PAR_MIN_ELEMS, moved),
					kk__pwdw_dw_items, &j);
			}
			j.oa = kk__max(j.oa, j.ob);
		}
	}
}

void kk_conv_pwdw_f32(kiln_rt_ctx *ctx, const float *X, const float *Wt, const float *B1,
	const float *W2, const float *B2, const float *W3p, const float *B3, const float *R,
	float *Y, int64_t N, int64_t K, int64_t C, int64_t M, int64_t H, int64_t W, int64_t OH,
	int64_t OW, int64_t s, float lo1, float hi1, float lo2, float hi2, float lo3, float hi3,
	int64_t y_ns, float *S)
{
	kk__pwdw_job j = {.Wt = Wt, .B1 = B1, .W2 = W2, .B2 = B2, .T = S, .K = K, .C = C,
		.H = H, .W = W, .OH = OH, .OW = OW, .s = s, .R = kk_pwdw_ring(C, H, W, W3p != NULL),
		.lo1 = lo1, .hi1 = hi1, .lo2 = lo2, .hi2 = hi2, .W3p = W3p, .B3 = B3, .M = M,
		.lo3 = lo3, .hi3 = hi3};
	kk__pwdw_run(ctx, &j, X, R, Y, N, K * H * W, y_ns);
}

void kk_conv_stem_pwdw_f32(kiln_rt_ctx *ctx, const float *X, const float *Ws,
	const float *Bs, const float *W2, const float *B2, const float *W3p, const float *B3,
	const float *R, float *Y, int64_t N, int64_t C0, int64_t H0, int64_t W0, int64_t s1,
	int64_t C, int64_t M, int64_t H, int64_t W, int64_t OH, int64_t OW, int64_t s, float lo1,
	float hi1, float lo2, float hi2, float lo3, float hi3, int64_t y_ns, float *S)
{
	kk__pwdw_job j = {.B1 = Bs, .W2 = W2, .B2 = B2, .T = S, .K = C, .C = C, .H = H, .W = W,
		.OH = OH, .OW = OW, .s = s, .R = kk_pwdw_ring(C, H, W, W3p != NULL), .lo1 = lo1,
		.hi1 = hi1, .lo2 = lo2, .hi2 = hi2, .W3p = W3p, .B3 = B3, .M = M, .lo3 = lo3,
		.hi3 = hi3, .Ws = Ws, .C0 = C0, .H0 = H0, .W0 = W0, .s1 = s1};
	kk__pwdw_run(ctx, &j, X, R, Y, N, C0 * H0 * W0, y_ns);
}
