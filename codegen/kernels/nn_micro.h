/* nn_micro.h — private to nn_gemm.c, nn_conv.c and nn_pwdw.c: the f32
 * register-blocked GEMM micro-kernel (KK_MR rows x KK_NR columns of
 * accumulators in vector registers) that both the Gemm/MatMul kernels and
 * the implicit-GEMM convolution feed with a packed B panel (KK_KC x KK_NR,
 * zero-padded), the output epilogue (bias, residual, clamp) both apply as
 * they store, the integer helpers of those files, and the padded input
 * rows of the few-channel convolutions (nn_conv.c's, nn_pwdw.c's stem).
 * Uses GCC/Clang vector extensions; LLVM legalises them for any target. */
#ifndef KK_NN_MICRO_H
#define KK_NN_MICRO_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kk_pack.h"
#include "kk_v8.h"

/* A loop with a constant trip count fully unrolled (clang; the unit tests
 * also build the kernels with GCC). Same definition as kk_philox8.h's. */
#ifndef KK__UNROLL
#ifdef __clang__
#define KK__UNROLL _Pragma("clang loop unroll(full)")
#else
#define KK__UNROLL
#endif
#endif

#define KK_KC 256
#define KK_MC 72      /* rows of A packed per block (a multiple of KK_MR) */

static inline int64_t kk__min(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static inline int64_t kk__max(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* On a function whose loops fill or copy rows of a plane: they stay loops.
 * LLVM would make each row's zeros or copy a memset/memcpy call (a call per
 * row and border: ~8% of MobileNetV2 was in libc, and 11% of its stride-2
 * depthwise layer when its row helper lacked this). On the helpers
 * themselves, not only their callers: a helper's loops become calls before
 * it is inlined. */
#ifdef __clang__
#define KK__ROW_LOOPS __attribute__((no_builtin("memset", "memcpy", "memmove")))
#else
#define KK__ROW_LOOPS
#endif

/* Input row xr (W floats) into the halves of a zero-filled padded row whose
 * column c = k + pw holds input column k: even columns at d[c/2], odd ones
 * at d[h + c/2] (columns past 2h - 1 dropped), so that a stride-2 tap reads
 * contiguous floats. */
KK__ROW_LOOPS static inline void kk__split_row(float *restrict d, const float *restrict xr, int64_t W, int64_t pw,
	int64_t h)
{
	int64_t wu = kk__min(W, 2 * h - pw - 1), k = 0;
	float *de = (pw & 1) ? d + h + (pw - 1) / 2 : d + pw / 2;
	float *dd = (pw & 1) ? d + (pw + 1) / 2 : d + h + pw / 2;
	if (wu >= 16) {
		/* 16 at a time, the row's last 16 from an even column
		 * overlapping the ones before (the same values stored again),
		 * instead of up to 15 single floats (56-wide rows: a quarter of
		 * the copy); at most one column is left */
		int64_t last = (wu - 16) & ~(int64_t)1;
		for (;;) {
			kk_v8f a = kk__ld8(xr + k), b = kk__ld8(xr + k + 8);
			kk_v8f e = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14);
			kk_v8f o = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15);
			kk__st8(de + k / 2, &e);
			kk__st8(dd + k / 2, &o);
			if (k == last)
				break;
			k = k + 16 < last ? k + 16 : last;
		}
		k = last + 16;
	}
	for (; k < wu; k++)
		(k & 1 ? dd : de)[k / 2] = xr[k];
}

/* Input row iy of the H x W plane x into d as the padded row p (p[q] =
 * x[q - pw], zero outside the row; all zeros when iy is outside the plane):
 * at stride 1 as it is (h floats), at stride 2 as p's even columns in
 * d[0, h) and its odd ones in d[h, 2h) (kk__split_row). */
KK__ROW_LOOPS static inline void kk__padded_row_sw(float *restrict d, const float *restrict x,
	int64_t iy, int64_t H, int64_t W, int64_t pw, int64_t h, int64_t sw)
{
	const kk_v8f z = {0};
	int64_t n = sw == 2 ? 2 * h : h;
	for (int64_t q = 0; q < n; q += 8)
		kk__st8(d + q, &z);
	if (iy < 0 || iy >= H)
		return;
	const float *xr = x + iy * W;
	if (sw == 1) {
		int64_t wu = kk__min(W, h - pw), k = 0;
		for (; k + 8 <= wu; k += 8) {
			kk_v8f v = kk__ld8(xr + k);
			kk__st8(d + pw + k, &v);
		}
		for (; k < wu; k++)
			d[pw + k] = xr[k];
		return;
	}
	kk__split_row(d, xr, W, pw, h);
}

/* The few-channel convolutions' input rows (kk__conv_smallc_f32's, and
 * the stem of kk_conv_stem_pwdw_f32's): for each output row, the KH input
 * rows of each of the C channels it reads, buffered with their zero padding
 * as kk__padded_row_sw lays them out, rows apart by kk__fewc_rs, so that
 * tap t (channel, row, column) of output column ox is the float at
 * rows + toff[t] + ox (kk__fewc_taps). h: the floats of a padded row (each
 * half at stride 2) for output rows OW wide. */
static inline int64_t kk__fewc_h(int64_t OW)
{
	return (OW + 8 + 7) / 8 * 8;
}

static inline int64_t kk__fewc_rs(int64_t h, int64_t sw)
{
	return sw == 1 ? h : 2 * h;
}

static inline void kk__fewc_taps(int64_t *toff, int64_t C, int64_t KH, int64_t KW, int64_t h,
	int64_t sw)
{
	for (int64_t t = 0; t < C * KH * KW; t++) {
		int64_t c = t / (KH * KW), ky = t / KW % KH, kx = t % KW;
		toff[t] = (c * KH + ky) * kk__fewc_rs(h, sw) + (sw == 1 ? kx : (kx & 1 ? h : 0) + kx / 2);
	}
}

/* The rows of the output row whose taps start at input row iy (column pw
 * of the padding) into rows; then the rows the next output row, sh input
 * rows lower, adds are fetched into the caches while this one is computed.
 * The input (an image, first in the network) is in memory, and 9 or 21 rows
 * each under a KB read in turn are too short for the hardware prefetchers:
 * buffering the rows of MobileNetV2's stem was a third of its time. */
KK__ROW_LOOPS static inline void kk__fewc_rows(float *restrict rows, const float *restrict x,
	int64_t C, int64_t H, int64_t W, int64_t KH, int64_t iy, int64_t sh, int64_t pw, int64_t h,
	int64_t sw)
{
	for (int64_t c = 0; c < C; c++)
		for (int64_t ky = 0; ky < KH; ky++)
			kk__padded_row_sw(rows + (c * KH + ky) * kk__fewc_rs(h, sw), x + c * H * W,
				iy + ky, H, W, pw, h, sw);
	for (int64_t c = 0; c < C; c++)
		for (int64_t r = kk__max(0, iy + KH); r < kk__min(H, iy + sh + KH); r++)
			for (int64_t q = 0; q < W; q += 16)
				__builtin_prefetch(x + (c * H + r) * W + q);
}

/* Stores one accumulator row (16 floats in *cp0|*cp1) to y[0..nr), adding to
 * what is there when add != 0. */
static inline void kk__store_row(float *restrict y, kk_v8f *cp0, kk_v8f *cp1,
	int64_t nr, int add)
{
	kk_v8f c0 = *cp0, c1 = *cp1;
	if (nr == KK_NR) {
		if (add) {
			c0 += kk__ld8(y);
			c1 += kk__ld8(y + 8);
		}
		kk__st8(y, &c0);
		kk__st8(y + 8, &c1);
		return;
	}
	/* a partial panel: stored by pieces of 8, 4, 2 and 1 (kk__st8n; a
	 * scalar loop through a copy on the stack was most of the time of the
	 * Winograd products of bands of 28 tiles, every other panel partial) */
	kk_v8f *c = &c0;
	if (nr > 8) {
		if (add)
			c0 += kk__ld8(y);
		kk__st8(y, &c0);
		y += 8;
		nr -= 8;
		c = &c1;
	}
	if (add)
		*c += kk__ld8n(y, nr);
	kk__st8n(y, c, nr);
}

/* Output epilogue of the last K slice: y = clamp(alpha*acc + bias[r] +
 * cscale*cbias[c] + res(r, c), lo, hi), each term optional (NULL pointers;
 * alpha 1, lo = -inf, hi = +inf). The clamp keeps NaN (a comparison with NaN
 * is false), as Relu and Clip do. */
typedef struct {
	const float *bias;          /* bias[r] for accumulator row r, or NULL */
	const float *res;           /* res[r*res_rs + c], or NULL */
	int64_t res_rs;
	float lo, hi;
	const float *cbias;         /* cscale * cbias[c] for column c, or NULL */
	float cscale, alpha;        /* alpha multiplies the product */
} kk__epi;

/* ep moved to the output tile whose first element is row r, column c: the
 * row bias from r, the column bias from c, the residual from (r, c); NULL
 * when ep is NULL. e holds the moved copy. */
static inline const kk__epi *kk__epi_at(const kk__epi *ep, int64_t r, int64_t c, kk__epi *e)
{
	if (!ep)
		return NULL;
	*e = *ep;
	e->bias = ep->bias ? ep->bias + r : NULL;
	e->cbias = ep->cbias ? ep->cbias + c : NULL;
	e->res = ep->res ? ep->res + r * ep->res_rs + c : NULL;
	return e;
}

/* v clamped to [l, h] lane by lane (bounds already in vectors). */
static inline kk_v8f kk__clamp8v(kk_v8f v, kk_v8f l, kk_v8f h)
{
	v = kk__sel8(v < l, l, v);
	return kk__sel8(v > h, h, v);
}

static inline kk_v8f kk__clamp8(kk_v8f v, float lo, float hi)
{
	kk_v8f l = {lo, lo, lo, lo, lo, lo, lo, lo}, h = {hi, hi, hi, hi, hi, hi, hi, hi};
	return kk__clamp8v(v, l, h);
}

/* Row r of the tile through the epilogue e into y[0..nr). */
static inline void kk__store_row_epi(float *restrict y, kk_v8f *cp0, kk_v8f *cp1,
	int64_t nr, int add, const kk__epi *e, int r)
{
	kk_v8f c0 = *cp0, c1 = *cp1;
	int64_t n0 = nr < 8 ? nr : 8, n1 = nr - n0;    /* columns in each half */
	if (add) {       /* the partial sums of the earlier K slices */
		c0 += kk__ld8n(y, n0);
		if (n1)
			c1 += kk__ld8n(y + 8, n1);
	}
	if (e->alpha != 1.0f) {
		c0 *= e->alpha;
		c1 *= e->alpha;
	}
	if (e->bias) {
		c0 += e->bias[r];
		c1 += e->bias[r];
	}
	const float *res = e->res ? e->res + r * e->res_rs : NULL;
	if (nr == KK_NR) {
		if (e->cbias) {
			c0 += e->cscale * kk__ld8(e->cbias);
			c1 += e->cscale * kk__ld8(e->cbias + 8);
		}
		if (res) {
			c0 += kk__ld8(res);
			c1 += kk__ld8(res + 8);
		}
		c0 = kk__clamp8(c0, e->lo, e->hi);
		c1 = kk__clamp8(c1, e->lo, e->hi);
		kk__st8(y, &c0);
		kk__st8(y + 8, &c1);
		return;
	}
	/* a partial panel: the same by vector pieces (kk__st8n) */
	for (int64_t h = 0; h < 2; h++) {
		int64_t n = h ? n1 : n0;
		if (!n)
			break;
		kk_v8f v = h ? c1 : c0;
		if (e->cbias)
			v += e->cscale * kk__ld8n(e->cbias + 8 * h, n);
		if (res)
			v += kk__ld8n(res + 8 * h, n);
		v = kk__clamp8(v, e->lo, e->hi);
		kk__st8n(y + 8 * h, &v, n);
	}
}

/* Row r of a whole tile (nr == KK_NR) through the epilogue's common form,
 * alpha 1 and no column bias: (earlier slices' sums +) acc + bias[r] +
 * res(r, .), clamped to [lo, hi]; the same arithmetic in the same order as
 * kk__store_row_epi, with the terms' tests made once per tile by the
 * caller and nothing staged through memory. */
static inline __attribute__((always_inline)) void kk__store_row_fast(float *restrict y,
	kk_v8f c0, kk_v8f c1, int add, const float *bias, const float *res, kk_v8f lo,
	kk_v8f hi)
{
	if (add) {
		c0 += kk__ld8(y);
		c1 += kk__ld8(y + 8);
	}
	if (bias) {
		c0 += *bias;
		c1 += *bias;
	}
	if (res) {
		c0 += kk__ld8(res);
		c1 += kk__ld8(res + 8);
	}
	c0 = kk__clamp8v(c0, lo, hi);
	c1 = kk__clamp8v(c1, lo, hi);
	kk__st8(y, &c0);
	kk__st8(y + 8, &c1);
}

/* The epilogue of one 8-column group whose row bias is b, column bias (if
 * any) at cb and residual (if any) at res: the micro-kernel's operations in
 * its order. kk__epi_one is the same for one element. */
static inline kk_v8f kk__epi_vec(kk_v8f v, float b, const float *cb, const float *res,
	const kk__epi *e)
{
	v = e->alpha * v;         /* two statements: no fused multiply-add */
	v = v + b;
	if (cb)
		v += e->cscale * kk__ld8(cb);
	if (res)
		v += kk__ld8(res);
	if (e->lo != -INFINITY || e->hi != INFINITY)
		v = kk__clamp8(v, e->lo, e->hi);
	return v;
}

static inline float kk__epi_one(float v, float b, const float *cb, const float *res,
	const kk__epi *e)
{
	v = e->alpha * v;
	v = v + b;
	if (cb)
		v += e->cscale * *cb;
	if (res)
		v += *res;
	if (e->lo != -INFINITY || e->hi != INFINITY) {
		v = v < e->lo ? e->lo : v;
		v = v > e->hi ? e->hi : v;
	}
	return v;
}

/* The epilogue applied to a finished Y[M,N] (row stride y_rs), for the paths
 * that do not go through the micro-kernel (small-M and K == 0 products, the
 * direct convolutions): the same arithmetic as kk__store_row_epi. */
static inline void kk__epi_apply(float *Y, int64_t y_rs, int64_t M, int64_t N,
	const kk__epi *e)
{
	/* 8 columns per vector, then one at a time: the same operations in the
	 * same order as the micro-kernel's for each element (LLVM's own
	 * vectorisation took 32 columns per step, and short rows, as
	 * Winograd's output rows of 56, 28, 14 and 7, went mostly through its
	 * scalar remainder: a quarter of that transform's time) */
	for (int64_t i = 0; i < M; i++) {
		float *restrict y = Y + i * y_rs, b = e->bias ? e->bias[i] : 0.0f;
		const float *res = e->res ? e->res + i * e->res_rs : NULL;
		int64_t j = 0;
		for (; j + 8 <= N; j += 8) {
			kk_v8f v = kk__epi_vec(kk__ld8(y + j), b, e->cbias ? e->cbias + j : NULL,
				res ? res + j : NULL, e);
			kk__st8(y + j, &v);
		}
		for (; j < N; j++)
			y[j] = kk__epi_one(y[j], b, e->cbias ? e->cbias + j : NULL,
				res ? res + j : NULL, e);
	}
}

#define KK__ROW(r) \
	x = a##r[k * a_ks]; c##r##0 += b0 * x; c##r##1 += b1 * x;

/* Y[0..mr, 0..nr) (+)= A[0..mr, 0..kc) * Bp[0..kc, 0..KK_NR), where
 * A(r,k) = a[r*a_rs + k*a_ks], Bp(k,c) = bp[k*b_ks + c] (KK_NR readable
 * floats per row), Y(r,c) = y[r*y_rs + c]. 1 <= mr <= KK_MR,
 * 1 <= nr <= KK_NR. Rows past mr repeat row mr-1, or in a packed sliver
 * (a_rs 1, a_ks KK_MR) are its zero rows (computed, not stored), so every
 * load stays in bounds. Step k also prefetches pf + k*pf_ks: the
 * operand the caller reads next (the next B panel, the next A sliver). */
static inline __attribute__((always_inline)) void kk__micro_s_f32(int64_t kc,
	const float *restrict a, int64_t a_rs, int64_t a_ks, const float *restrict bp, int64_t b_ks,
	float *restrict y, int64_t y_rs, int64_t mr, int64_t nr, int add, const kk__epi *e,
	const float *pf, int64_t pf_ks)
{
	/* a packed sliver (kk_pack.h: KK_MR rows, zero past M) is read whole:
	 * its rows then sit at constant offsets from one pointer */
	int whole = a_rs == 1 && a_ks == KK_MR;
	const float *a0 = a;
	const float *a1 = a + (whole ? 1 : kk__min(1, mr - 1) * a_rs);
	const float *a2 = a + (whole ? 2 : kk__min(2, mr - 1) * a_rs);
	const float *a3 = a + (whole ? 3 : kk__min(3, mr - 1) * a_rs);
	const float *a4 = a + (whole ? 4 : kk__min(4, mr - 1) * a_rs);
	const float *a5 = a + (whole ? 5 : kk__min(5, mr - 1) * a_rs);
	/* the Y tile is touched only after the k loop: start fetching it now
	 * (it is usually in memory when K is split into slices) */
	for (int64_t r = 0; r < mr; r++) {
		__builtin_prefetch(y + r * y_rs, 1);
		__builtin_prefetch(y + r * y_rs + KK_NR - 1, 1);
	}
	/* and so is a fused residual's tile (read by the epilogue) */
	if (e && e->res)
		for (int64_t r = 0; r < mr; r++) {
			__builtin_prefetch(e->res + r * e->res_rs);
			__builtin_prefetch(e->res + r * e->res_rs + KK_NR - 1);
		}
	kk_v8f z = {0};
	kk_v8f c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z;
	kk_v8f c30 = z, c31 = z, c40 = z, c41 = z, c50 = z, c51 = z;
	for (int64_t k = 0; k < kc; k++) {
		__builtin_prefetch(pf + k * pf_ks);
		kk_v8f b0 = kk__ld8(bp + k * b_ks);
		kk_v8f b1 = kk__ld8(bp + k * b_ks + 8);
		float x;
		KK__ROW(0) KK__ROW(1) KK__ROW(2) KK__ROW(3) KK__ROW(4) KK__ROW(5)
	}
	if (e && nr == KK_NR && e->alpha == 1.0f && !e->cbias) {
		/* the common case (a convolution's bias, residual, activation) */
		kk_v8f lo = {0}, hi = {0};
		lo += e->lo;
		hi += e->hi;
		const float *b = e->bias, *res = e->res;
		int64_t rs = e->res_rs;
#define KK__FAST(r, ca, cb) \
		kk__store_row_fast(y + r * y_rs, ca, cb, add, b ? b + r : NULL, \
			res ? res + r * rs : NULL, lo, hi);
		KK__FAST(0, c00, c01)
		if (mr > 1) KK__FAST(1, c10, c11)
		if (mr > 2) KK__FAST(2, c20, c21)
		if (mr > 3) KK__FAST(3, c30, c31)
		if (mr > 4) KK__FAST(4, c40, c41)
		if (mr > 5) KK__FAST(5, c50, c51)
#undef KK__FAST
		return;
	}
	if (e) {      /* last K slice with an epilogue */
		kk__store_row_epi(y, &c00, &c01, nr, add, e, 0);
		if (mr > 1) kk__store_row_epi(y + y_rs, &c10, &c11, nr, add, e, 1);
		if (mr > 2) kk__store_row_epi(y + 2 * y_rs, &c20, &c21, nr, add, e, 2);
		if (mr > 3) kk__store_row_epi(y + 3 * y_rs, &c30, &c31, nr, add, e, 3);
		if (mr > 4) kk__store_row_epi(y + 4 * y_rs, &c40, &c41, nr, add, e, 4);
		if (mr > 5) kk__store_row_epi(y + 5 * y_rs, &c50, &c51, nr, add, e, 5);
		return;
	}
	kk__store_row(y, &c00, &c01, nr, add);
	if (mr > 1) kk__store_row(y + y_rs, &c10, &c11, nr, add);
	if (mr > 2) kk__store_row(y + 2 * y_rs, &c20, &c21, nr, add);
	if (mr > 3) kk__store_row(y + 3 * y_rs, &c30, &c31, nr, add);
	if (mr > 4) kk__store_row(y + 4 * y_rs, &c40, &c41, nr, add);
	if (mr > 5) kk__store_row(y + 5 * y_rs, &c50, &c51, nr, add);
}

#undef KK__ROW

#endif
