/* nn_gemm.c — ONNX Gemm and batched MatMul kernels (f32 fast path through
 * the packed-panel micro-kernel of nn_micro.h; f64 and integer versions are
 * plain loops with the innermost loop contiguous). Contracts in kk_nn.h. */
#include <math.h>

#include "kk_nn.h"
#include "nn_micro.h"
#include "kk_par.h"

/* Lane-split dot product: 16 independent partial sums so the loop
 * vectorises without reassociating floating-point adds. */
static inline float kk__dot_f32(const float *restrict a, const float *restrict b,
	int64_t n)
{
	kk_v8f s0 = {0}, s1 = {0};
	int64_t k = 0;
	for (; k + 16 <= n; k += 16) {
		s0 += kk__ld8(a + k) * kk__ld8(b + k);
		s1 += kk__ld8(a + k + 8) * kk__ld8(b + k + 8);
	}
	s0 += s1;
	float t[8], s = 0;
	kk__st8(t, &s0);
	for (int l = 0; l < 8; l++)
		s += t[l];
	for (; k < n; k++)
		s += a[k] * b[k];
	return s;
}

/* Packs B(k0..k0+kc, j0..j0+nr) into bp[kc][KK_NR], zero-filling columns
 * >= nr. B(k,j) = B[k*b_ks + j*b_ns]. */
static void kk__pack_b_f32(float *restrict bp, const float *restrict B,
	int64_t b_ks, int64_t b_ns, int64_t k0, int64_t kc, int64_t j0, int64_t nr)
{
	if (b_ns == 1 && nr == KK_NR) {
		for (int64_t k = 0; k < kc; k++) {
			const float *src = B + (k0 + k) * b_ks + j0;
			kk_v8f v0 = kk__ld8(src), v1 = kk__ld8(src + 8);
			kk__st8(bp + k * KK_NR, &v0);
			kk__st8(bp + k * KK_NR + 8, &v1);
		}
		return;
	}
	if (b_ns == 1) {
		for (int64_t k = 0; k < kc; k++) {
			const float *src = B + (k0 + k) * b_ks + j0;
			float *d = bp + k * KK_NR;
			for (int64_t c = 0; c < nr; c++)
				d[c] = src[c] + 0.0f;   /* "+ 0" keeps this a loop, not memcpy */
			for (int64_t c = nr; c < KK_NR; c++)
				d[c] = 0;
		}
		return;
	}
	int64_t c = 0, k8 = b_ks == 1 ? kc & ~(int64_t)7 : 0;
	/* B stored transposed (b_ks == 1: a column is contiguous along k, as in
	 * attention's Q K^T): 8x8 blocks transposed in registers */
	for (; c + 8 <= nr; c += 8)
		for (int64_t k = 0; k < k8; k += 8) {
			const float *src = B + (j0 + c) * b_ns + k0 + k;
			kk_v8f r[8], t[8];
			for (int i = 0; i < 8; i++)
				r[i] = kk__ld8(src + i * b_ns);
			for (int i = 0; i < 8; i += 2) {   /* interleave column pairs */
				t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
				t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
			}
			for (int i = 0; i < 8; i += 4)      /* then pairs of pairs */
				for (int h = 0; h < 2; h++) {
					r[i + h] = __builtin_shufflevector(t[i + h], t[i + h + 2],
						0, 1, 8, 9, 4, 5, 12, 13);
					r[i + h + 2] = __builtin_shufflevector(t[i + h], t[i + h + 2],
						2, 3, 10, 11, 6, 7, 14, 15);
				}
			/* r[0], r[2], r[1], r[3] (cols 0-3) and r[4..7] (cols 4-7) hold k
			 * = 0|4, 1|5, 2|6, 3|7 in their 128-bit halves */
			static const int q[4] = {0, 2, 1, 3};
			for (int i = 0; i < 4; i++) {
				kk_v8f lo = __builtin_shufflevector(r[q[i]], r[4 + q[i]], 0, 1, 2, 3, 8, 9, 10, 11);
				kk_v8f hi = __builtin_shufflevector(r[q[i]], r[4 + q[i]], 4, 5, 6, 7, 12, 13, 14, 15);
				kk__st8(bp + (k + i) * KK_NR + c, &lo);
				kk__st8(bp + (k + 4 + i) * KK_NR + c, &hi);
			}
		}
	for (int64_t cc = 0; cc < nr; cc++) {
		const float *src = B + (j0 + cc) * b_ns + k0 * b_ks;
		for (int64_t k = cc < c ? k8 : 0; k < kc; k++)
			bp[k * KK_NR + cc] = src[k * b_ks];
	}
	for (int64_t k = 0; nr < KK_NR && k < kc; k++)
		for (int64_t c = nr; c < KK_NR; c++)
			bp[k * KK_NR + c] = 0;
}

/* Packs rows i0..i0+mc, columns k0..k0+kc of A (A(i,k) = A[i*a_rs + k*a_ks])
 * as KK_MR-row slivers ap[s][kc][KK_MR], rows past mc zero. */
static void kk__pack_a_f32(float *restrict ap, const float *restrict A, int64_t a_rs,
	int64_t a_ks, int64_t i0, int64_t mc, int64_t k0, int64_t kc)
{
	for (int64_t s = 0; s * KK_MR < mc; s++) {
		float *restrict d = ap + s * kc * KK_MR;
		int64_t rows = kk__min(KK_MR, mc - s * KK_MR);
		const float *src = A + (i0 + s * KK_MR) * a_rs + k0 * a_ks;
		if (rows == KK_MR && a_ks == 1) {
			for (int64_t k = 0; k < kc; k++)
				for (int r = 0; r < KK_MR; r++)
					d[k * KK_MR + r] = src[r * a_rs + k];
			continue;
		}
		if (rows == KK_MR && a_rs == 1) {    /* A transposed: 6 floats per k */
			for (int64_t k = 0; k < kc; k++)
				for (int r = 0; r < KK_MR; r++)
					d[k * KK_MR + r] = src[k * a_ks + r];
			continue;
		}
		for (int64_t k = 0; k < kc; k++)
			for (int r = 0; r < KK_MR; r++)
				d[k * KK_MR + r] = r < rows ? src[r * a_rs + k * a_ks] : 0.0f;
	}
}

/* The operands of one kk__gemm_core_f32 call. */
typedef struct {
	const float *A;
	int64_t a_rs, a_ks;
	const float *B;
	int64_t b_ks, b_ns;
	const float *bpk;
	float *Y;
	int64_t y_rs, N, K;
	const kk__epi *ep;
	int pack_a;
} kk__gemm_args;

/* Rows [i0, i0+mc) x K slice [k0, k0+kc) of the product into Y (adding to
 * the earlier slices; the epilogue with the last): A's block packed into ap
 * (pack_a, a constant at both call sites) and swept by every KK_NR-column
 * panel of B (bp: its packing buffer when B is not pre-packed). */
static inline __attribute__((always_inline)) void kk__gemm_block_at(const kk__gemm_args *g,
	float *restrict ap, float *restrict bp, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
	int pack_a)
{
	const float *A = g->A;
	int64_t a_rs = g->a_rs, N = g->N, K = g->K, y_rs = g->y_rs;
	const kk__epi *ep = g->ep;
	if (pack_a)
		kk__pack_a_f32(ap, A, a_rs, g->a_ks, i0, mc, k0, kc);
	/* a pre-packed panel comes from memory: while the slivers sweep one,
	 * they fetch the next, each its share of it (sliver s from float
	 * s * share, pf_ks floats per k step) */
	int64_t nsl = (mc + KK_MR - 1) / KK_MR, share = (kc * KK_NR + nsl - 1) / nsl;
	int64_t pf_ks = (share + kc - 1) / kc;
	for (int64_t j0 = 0; j0 < N; j0 += KK_NR) {
		int64_t nr = kk__min(KK_NR, N - j0);
		const float *panel = bp;
		if (g->bpk)
			panel = g->bpk + j0 * K + k0 * KK_NR;
		else
			kk__pack_b_f32(bp, g->B, g->b_ks, g->b_ns, k0, kc, j0, nr);
		const float *next = g->bpk && j0 + KK_NR < N ? panel + KK_NR * K : NULL;
		for (int64_t s = 0; s * KK_MR < mc; s++) {
			const float *pf = next ? next + s * share : panel;
			int64_t r = i0 + s * KK_MR;
			kk__epi e;
			const kk__epi *pe = k0 + kc == K ? kk__epi_at(ep, r, j0, &e) : NULL;
			/* the micro-kernel with A's strides constant for a packed
			 * block: a packed sliver's rows then sit at constant offsets
			 * from one pointer (kk__micro_s_f32); strides chosen at run
			 * time kept six row pointers and spilled in its loop (the
			 * 7x7 layers of MobileNetV2 ran 1.4x slower) */
			float *yt = g->Y + r * y_rs + j0;
			int64_t mr = kk__min(KK_MR, mc - s * KK_MR);
			if (pack_a)
				kk__micro_s_f32(kc, ap + s * kc * KK_MR, 1, KK_MR, panel, KK_NR, yt,
					y_rs, mr, nr, k0 > 0, pe, pf, pf_ks);
			else
				kk__micro_s_f32(kc, A + r * a_rs + k0, a_rs, 1, panel, KK_NR, yt,
					y_rs, mr, nr, k0 > 0, pe, pf, pf_ks);
		}
	}
}

/* kk__gemm_block_at for a packed A and for A read in place: each a root
 * of its own (not inlined, one copy of the micro-kernel each), so that
 * split.c can compile the two in parallel. */
static __attribute__((noinline)) void kk__gemm_block_pa(const kk__gemm_args *g,
	float *restrict ap, float *restrict bp, int64_t i0, int64_t mc, int64_t k0, int64_t kc)
{
	kk__gemm_block_at(g, ap, bp, i0, mc, k0, kc, 1);
}

static __attribute__((noinline)) void kk__gemm_block_ip(const kk__gemm_args *g,
	float *restrict ap, float *restrict bp, int64_t i0, int64_t mc, int64_t k0, int64_t kc)
{
	kk__gemm_block_at(g, ap, bp, i0, mc, k0, kc, 0);
}

static inline void kk__gemm_block(const kk__gemm_args *g, float *restrict ap,
	float *restrict bp, int64_t i0, int64_t mc, int64_t k0, int64_t kc)
{
	if (g->pack_a)
		kk__gemm_block_pa(g, ap, bp, i0, mc, k0, kc);
	else
		kk__gemm_block_ip(g, ap, bp, i0, mc, k0, kc);
}

/* y[0..N) = a * B for one row a (a(k) = a[k*a_ks]) with B pre-packed in
 * panels (kk_pack.h), four panels at a time: a batch-1 classifier's
 * product, for which the micro-kernel would compute KK_MR rows (six times
 * the multiply-adds, on weights that bound it already). The sums are the
 * micro-kernel's bit for bit (one multiply-add chain per column and K slice
 * of KK_KC, slices added to the running total), so a row gets the same
 * values alone as in a batch (MC-dropout's chunks rely on it). */
static void kk__gemv_packed_f32(const float *restrict a, int64_t a_ks,
	const float *restrict bp, float *restrict y, int64_t N, int64_t K)
{
	int64_t np = (N + KK_NR - 1) / KK_NR;
	for (int64_t p0 = 0; p0 < np; p0 += 4) {
		const float *b[4];
		for (int q = 0; q < 4; q++)     /* past the last panel: repeat it */
			b[q] = bp + kk__min(p0 + q, np - 1) * K * KK_NR;
		kk_v8f t[8];
		for (int64_t k0 = 0; k0 < K; k0 += KK_KC) {
			int64_t k1 = kk__min(K, k0 + KK_KC);
			kk_v8f s[8] = {{0}};
			for (int64_t k = k0; k < k1; k++) {
				float x = a[k * a_ks];
				KK__UNROLL
				for (int q = 0; q < 4; q++) {
					s[2 * q] += x * kk__ld8(b[q] + k * KK_NR);
					s[2 * q + 1] += x * kk__ld8(b[q] + k * KK_NR + 8);
				}
			}
			for (int i = 0; i < 8; i++)
				t[i] = k0 ? s[i] + t[i] : s[i];
		}
		for (int q = 0; q < 4 && p0 + q < np; q++) {
			int64_t j0 = (p0 + q) * KK_NR, nr = kk__min(KK_NR, N - j0);
			kk__st8n(y + j0, &t[2 * q], kk__min(8, nr));
			if (nr > 8)
				kk__st8n(y + j0 + 8, &t[2 * q + 1], nr - 8);
		}
	}
}

/* Y[M,N] (row stride y_rs, columns dense) = A*B, A(i,k) = A[i*a_rs + k*a_ks], B(k,j) =
 * B[k*b_ks + j*b_ns], exactly one of b_ks, b_ns is 1; or, when bpk is not
 * NULL, B pre-packed as kk_pack_b_f32 lays it out (B, b_ks, b_ns unused).
 * Blocks (GotoBLAS): KK_KC-deep slices of K by KK_MC-row blocks of A packed
 * once (L2) and swept by every KK_NR-column panel of B (L1). Not inlined:
 * one copy for its three callers. */
static __attribute__((noinline)) void kk__gemm_core_f32(const float *restrict A, int64_t a_rs, int64_t a_ks,
	const float *restrict B, int64_t b_ks, int64_t b_ns, const float *restrict bpk,
	float *restrict Y, int64_t y_rs, int64_t M, int64_t N, int64_t K, const kk__epi *ep)
{
	if (K == 0) {
		for (int64_t i = 0; i < M; i++)
			for (int64_t j = 0; j < N; j++)
				Y[i * y_rs + j] = 0;
		if (ep)
			kk__epi_apply(Y, y_rs, M, N, ep);
		return;
	}
	if (M <= 2 && bpk) {
		for (int64_t i = 0; i < M; i++)
			kk__gemv_packed_f32(A + i * a_rs, a_ks, bpk, Y + i * y_rs, N, K);
		if (ep)
			kk__epi_apply(Y, y_rs, M, N, ep);
		return;
	}
	if (M <= 2 && a_ks == 1 && !bpk) {
		for (int64_t i = 0; i < M; i++) {
			const float *a = A + i * a_rs;
			float *y = Y + i * y_rs;
			if (b_ks == 1) {
				for (int64_t j = 0; j < N; j++)
					y[j] = kk__dot_f32(a, B + j * b_ns, K);
				continue;
			}
			for (int64_t j = 0; j < N; j++)
				y[j] = 0;
			for (int64_t k = 0; k < K; k++) {
				const float *b = B + k * b_ks;
				float x = a[k];
				for (int64_t j = 0; j < N; j++)
					y[j] += x * b[j];
			}
		}
		if (ep)
			kk__epi_apply(Y, y_rs, M, N, ep);
		return;
	}
	/* Packing A pays off when each packed block meets many B panels; for a
	 * narrow product (attention's 64- or 128-column MatMuls) the micro-
	 * kernel reads row-major A in place. */
	int pack_a = a_ks != 1 || N > 16 * KK_NR;
	kk__gemm_args g = {A, a_rs, a_ks, B, b_ks, b_ns, bpk, Y, y_rs, N, K, ep, pack_a};
	float ap[KK_MC * KK_KC], bp[KK_KC * KK_NR];
	if (bpk) {
		/* B packed already: each row block runs through all of K while its
		 * rows of Y stay in cache, instead of a pass over Y per K slice */
		for (int64_t i0 = 0; i0 < M; i0 += KK_MC)
			for (int64_t k0 = 0; k0 < K; k0 += KK_KC)
				kk__gemm_block(&g, ap, bp, i0, kk__min(KK_MC, M - i0), k0,
					kk__min(KK_KC, K - k0));
		return;
	}
	/* B packed here, one panel at a time: each K slice of a panel serves
	 * every row block while it is in L2; with A read in place and small, one
	 * block of all its rows packs each panel once */
	int64_t mb = !pack_a && M <= 4 * KK_MC ? M : KK_MC;
	for (int64_t k0 = 0; k0 < K; k0 += KK_KC)
		for (int64_t i0 = 0; i0 < M; i0 += mb)
			kk__gemm_block(&g, ap, bp, i0, kk__min(mb, M - i0), k0,
				kk__min(KK_KC, K - k0));
}


/* Y = alpha*Y + beta*C over rows [0, M) x cols [0, N) of a Y with row stride
 * y_rs; C (i,j) at C[i*c_rs + j*c_cs], NULL or beta == 0 for no C term. */
static void kk__gemm_epi_f32(float *Y, int64_t y_rs, const float *C, int64_t M,
	int64_t N, float alpha, float beta, int64_t c_rs, int64_t c_cs)
{
	for (int64_t i = 0; i < M; i++) {
		float *restrict y = Y + i * y_rs;
		const float *restrict c = C + i * c_rs;
		if (C == NULL || beta == 0) {
			if (alpha != 1)
				for (int64_t j = 0; j < N; j++)
					y[j] *= alpha;
			continue;
		}
		for (int64_t j = 0; j < N; j++)
			y[j] = alpha * y[j] + beta * c[j * c_cs];
	}
}

/* One f32 product with explicit strides, split by kk__gemm_run_f32. Its
 * epilogue is ep (fused into the micro-kernel's stores; has_ep) or, for the
 * Gemm C shapes it cannot express, the separate pass kk__gemm_epi_f32 (epi). */
typedef struct {
	const float *A, *B, *C, *Bp;     /* Bp: pre-packed B or NULL */
	float *Y;
	int64_t y_rs;                /* Y's row stride (its columns are dense) */
	int64_t a_rs, a_ks, b_ks, b_ns, M, N, K, c_rs, c_cs;
	float alpha, beta;
	int epi;
	kk__epi ep;
	int has_ep;                  /* ep in the micro-kernel's stores */
	int post;                    /* ep (R, clamp) after the separate pass */
} kk__gemm_job_f32;

/* Rows [KK_MR*b, KK_MR*e) (>= 2 blocks unless M itself is smaller, so a
 * chunk never drops into the M <= 2 path the whole product does not take). */
static void kk__gemm_rows_f32(void *vp, int64_t b, int64_t e)
{
	const kk__gemm_job_f32 *j = vp;
	int64_t r0 = b * KK_MR, r1 = kk__min(e * KK_MR, j->M);
	kk__epi ep = j->ep;
	ep.res = ep.res ? ep.res + r0 * ep.res_rs : NULL;
	ep.bias = ep.bias ? ep.bias + r0 : NULL;
	kk__gemm_core_f32(j->A + r0 * j->a_rs, j->a_rs, j->a_ks, j->B, j->b_ks, j->b_ns,
		j->Bp, j->Y + r0 * j->y_rs, j->y_rs, r1 - r0, j->N, j->K, j->has_ep ? &ep : NULL);
	if (j->epi)
		kk__gemm_epi_f32(j->Y + r0 * j->y_rs, j->y_rs, j->C ? j->C + r0 * j->c_rs : NULL,
			r1 - r0, j->N, j->alpha, j->beta, j->c_rs, j->c_cs);
	if (j->post)
		kk__epi_apply(j->Y + r0 * j->y_rs, j->y_rs, r1 - r0, j->N, &ep);
}

/* Columns [KK_NR*b, KK_NR*e) of a product with M <= 2, one row at a time
 * (rows are independent in both small-M paths of kk__gemm_core_f32). */
static void kk__gemm_cols_f32(void *vp, int64_t b, int64_t e)
{
	const kk__gemm_job_f32 *j = vp;
	int64_t c0 = b * KK_NR, c1 = kk__min(e * KK_NR, j->N);
	for (int64_t i = 0; i < j->M; i++) {
		float *y = j->Y + i * j->y_rs + c0;
		kk__epi ep = j->ep;
		ep.res = ep.res ? ep.res + i * ep.res_rs + c0 : NULL;
		ep.bias = ep.bias ? ep.bias + i : NULL;
		ep.cbias = ep.cbias ? ep.cbias + c0 : NULL;
		kk__gemm_core_f32(j->A + i * j->a_rs, j->a_rs, j->a_ks, j->B + c0 * j->b_ns,
			j->b_ks, j->b_ns, j->Bp ? j->Bp + c0 * j->K : NULL, y, j->y_rs, 1, c1 - c0, j->K,
			j->has_ep ? &ep : NULL);
		if (j->epi)
			kk__gemm_epi_f32(y, j->y_rs, j->C ? j->C + i * j->c_rs + c0 * j->c_cs : NULL,
				1, c1 - c0, j->alpha, j->beta, j->c_rs, j->c_cs);
		if (j->post)
			kk__epi_apply(y, j->y_rs, 1, c1 - c0, &ep);
	}
}

/* Columns [KK_NR*b, KK_NR*e) of a product with B pre-packed, all its rows
 * (its epilogue in the micro-kernel's stores): the job narrowed to them. */
static void kk__gemm_panels_f32(void *vp, int64_t b, int64_t e)
{
	kk__gemm_job_f32 j = *(const kk__gemm_job_f32 *)vp;
	int64_t c0 = b * KK_NR, c1 = kk__min(e * KK_NR, j.N);
	j.ep.res = j.ep.res ? j.ep.res + c0 : NULL;
	j.ep.cbias = j.ep.cbias ? j.ep.cbias + c0 : NULL;
	j.Bp += c0 * j.K;
	j.Y += c0;
	j.N = c1 - c0;
	kk__gemm_rows_f32(&j, 0, (j.M + KK_MR - 1) / KK_MR);
}

/* Runs job j over ctx's threads: row blocks when M > 2, else column blocks.
 * A short product (one block of KK_MC rows) with B pre-packed and its
 * epilogue in the stores splits its column panels instead: each thread then
 * reads its share of B, not all of it, and a few row slivers need not
 * divide evenly (a 7x7 convolution's 49 pixels are 9 slivers, 5 and 4 on 2
 * threads); each packs all of A. */
static void kk__gemm_run_f32(kiln_rt_ctx *ctx, kk__gemm_job_f32 *j)
{
	int64_t row_work = j->N * (j->K > 0 ? j->K : 1);
	int64_t panels = (j->N + KK_NR - 1) / KK_NR;
	int64_t panel_g = kk_par_grain(KK_PAR_MIN_FLOPS, j->M * KK_NR * (j->K > 0 ? j->K : 1));
	if (j->M > 2 && j->M <= KK_MC && j->Bp && !j->epi && !j->post &&
	    kk_par_tasks(ctx, panels, panel_g, 1) > 1) {
		kk_par_for(ctx, panels, panel_g, kk__gemm_panels_f32, j);
		return;
	}
	if (j->M > 2 && kk_par_tasks(ctx, j->M, kk_par_grain(KK_PAR_MIN_FLOPS, row_work), 1) > 1) {
		int64_t blocks = (j->M + KK_MR - 1) / KK_MR;
		int64_t g = kk_par_grain(KK_PAR_MIN_FLOPS, row_work * KK_MR);
		kk_par_for(ctx, blocks, g < 2 ? 2 : g, kk__gemm_rows_f32, j);
		return;
	}
	int64_t col_work = j->M * (j->K > 0 ? j->K : 1) * KK_NR;
	if (j->M <= 2 && kk_par_tasks(ctx, j->N, kk_par_grain(KK_PAR_MIN_FLOPS, col_work / KK_NR), 1) > 1) {
		kk_par_for(ctx, (j->N + KK_NR - 1) / KK_NR, kk_par_grain(KK_PAR_MIN_FLOPS, col_work),
			kk__gemm_cols_f32, j);
		return;
	}
	kk__gemm_rows_f32(j, 0, (j->M + KK_MR - 1) / KK_MR);
}

/* Sets up j's epilogue: Gemm's alpha, beta*C with C absent or a row vector
 * over N (c_rs == 0, c_cs == 1), a residual R (dense M x N) and a clamp go
 * into the micro-kernel's stores; any other C shape keeps the separate pass,
 * then R and the clamp are applied after it. */
static void kk__gemm_set_epi(kk__gemm_job_f32 *j, const float *R, float lo, float hi)
{
	int has_c = j->C && j->beta != 0;
	j->has_ep = j->post = 0;
	if (has_c && !(j->c_rs == 0 && j->c_cs == 1)) {
		j->epi = 1;
		j->ep = (kk__epi){NULL, R, j->N, lo, hi, NULL, 0.0f, 1.0f};
		j->post = R || lo != -INFINITY || hi != INFINITY;
		return;
	}
	j->epi = 0;
	j->ep = (kk__epi){NULL, R, j->N, lo, hi, has_c ? j->C : NULL, j->beta, j->alpha};
	j->has_ep = has_c || R || j->alpha != 1.0f || lo != -INFINITY || hi != INFINITY;
}

void kk_gemm_f32(kiln_rt_ctx *ctx, const float *A, const float *B, const float *C,
	float *Y, int64_t M, int64_t N, int64_t K, int32_t transA, int32_t transB,
	float alpha, float beta, int64_t c_rs, int64_t c_cs)
{
	kk__gemm_job_f32 j = {A, B, C, NULL, Y, N, transA ? 1 : K, transA ? M : 1,
		transB ? 1 : N, transB ? K : 1, M, N, K, c_rs, c_cs, alpha, beta};
	kk__gemm_set_epi(&j, NULL, -INFINITY, INFINITY);
	kk__gemm_run_f32(ctx, &j);
}

void kk_gemm_pb_f32(kiln_rt_ctx *ctx, const float *A, const float *Bp, const float *C,
	float *Y, int64_t M, int64_t N, int64_t K, int32_t transA, float alpha, float beta,
	int64_t c_rs, int64_t c_cs, const float *R, float lo, float hi)
{
	kk__gemm_job_f32 j = {A, NULL, C, Bp, Y, N, transA ? 1 : K, transA ? M : 1, 0, 0,
		M, N, K, c_rs, c_cs, alpha, beta};
	kk__gemm_set_epi(&j, R, lo, hi);
	kk__gemm_run_f32(ctx, &j);
}

void kk_matmul_pb_f32(kiln_rt_ctx *ctx, const float *A, const float *Bp, float *Y,
	int64_t M, int64_t N, int64_t K, float alpha, const float *bias, const float *R,
	float lo, float hi)
{
	kk__gemm_job_f32 j = {A, NULL, bias, Bp, Y, N, K, 1, 0, 0, M, N, K, 0, 1, alpha, alpha};
	kk__gemm_set_epi(&j, R, lo, hi);
	kk__gemm_run_f32(ctx, &j);
}

/* A batched product over strided views (kk_matmul_strided_f32), split
 * into whole batches: batch t is (t / nb1, t % nb1). */
typedef struct {
	const float *A, *B;
	float *Y;
	int64_t nb1, M, N, K;
	int64_t sa0, sa1, a_rs, a_ks, sb0, sb1, b_ks, b_ns, sy0, sy1, y_rs;
} kk__matmul_job_f32;

static void kk__matmul_batches_f32(void *vp, int64_t b, int64_t e)
{
	const kk__matmul_job_f32 *j = vp;
	for (int64_t t = b; t < e; t++) {
		int64_t p = t / j->nb1, q = t % j->nb1;
		kk__gemm_core_f32(j->A + p * j->sa0 + q * j->sa1, j->a_rs, j->a_ks,
			j->B + p * j->sb0 + q * j->sb1, j->b_ks, j->b_ns, NULL,
			j->Y + p * j->sy0 + q * j->sy1, j->y_rs, j->M, j->N, j->K, NULL);
	}
}

void kk_matmul_strided_f32(kiln_rt_ctx *ctx, const float *A, const float *B, float *Y,
	int64_t nb0, int64_t nb1, int64_t M, int64_t N, int64_t K,
	int64_t sa0, int64_t sa1, int64_t a_rs, int64_t a_ks,
	int64_t sb0, int64_t sb1, int64_t b_ks, int64_t b_ns,
	int64_t sy0, int64_t sy1, int64_t y_rs)
{
	kk__matmul_job_f32 mj = {A, B, Y, nb1, M, N, K, sa0, sa1, a_rs, a_ks,
		sb0, sb1, b_ks, b_ns, sy0, sy1, y_rs};
	int64_t batch = nb0 * nb1, per = M * N * (K > 0 ? K : 1);
	if (batch > 1 && (!ctx || batch >= ctx->threads)) {
		kk_par_for(ctx, batch, kk_par_grain(KK_PAR_MIN_FLOPS, per),
			kk__matmul_batches_f32, &mj);
		return;
	}
	/* fewer batches than threads: split each product's rows instead */
	for (int64_t t = 0; t < batch; t++) {
		int64_t p = t / nb1, q = t % nb1;
		kk__gemm_job_f32 j = {A + p * sa0 + q * sa1, B + p * sb0 + q * sb1, NULL, NULL,
			Y + p * sy0 + q * sy1, y_rs, a_rs, a_ks, b_ks, b_ns, M, N, K, 0, 0, 1, 0, 0};
		kk__gemm_run_f32(ctx, &j);
	}
}

void kk_matmul_f32(kiln_rt_ctx *ctx, const float *A, const float *B, float *Y,
	int64_t batch, int64_t M, int64_t N, int64_t K,
	int64_t a_batch_stride, int64_t b_batch_stride)
{
	/* A shared B (stride 0) under a dense batch of A is one tall product:
	 * [batch, M, K] x [K, N] is [batch*M, K] x [K, N]. */
	if (batch > 1 && b_batch_stride == 0 && a_batch_stride == M * K) {
		M *= batch;
		batch = 1;
	}
	kk_matmul_strided_f32(ctx, A, B, Y, 1, batch, M, N, K, 0, a_batch_stride, K, 1,
		0, b_batch_stride, N, 1, 0, M * N, N);
}

/* Plain f64 product Y = A*B with the same addressing as kk__gemm_core_f32. */
static void kk__gemm_core_f64(const double *restrict A, int64_t a_rs, int64_t a_ks,
	const double *restrict B, int64_t b_ks, int64_t b_ns, double *restrict Y,
	int64_t M, int64_t N, int64_t K)
{
	for (int64_t i = 0; i < M; i++) {
		double *restrict y = Y + i * N;
		const double *a = A + i * a_rs;
		if (b_ks == 1 && a_ks == 1) {
			for (int64_t j = 0; j < N; j++) {
				const double *b = B + j * b_ns;
				double s[4] = {0, 0, 0, 0}, t = 0;
				int64_t k = 0;
				for (; k + 4 <= K; k += 4)
					for (int l = 0; l < 4; l++)
						s[l] += a[k + l] * b[k + l];
				for (; k < K; k++)
					t += a[k] * b[k];
				y[j] = ((s[0] + s[1]) + (s[2] + s[3])) + t;
			}
			continue;
		}
		for (int64_t j = 0; j < N; j++)
			y[j] = 0;
		for (int64_t k = 0; k < K; k++) {
			double x = a[k * a_ks];
			const double *b = B + k * b_ks;
			for (int64_t j = 0; j < N; j++)
				y[j] += x * b[j * b_ns];
		}
	}
}

void kk_gemm_f64(kiln_rt_ctx *ctx, const double *A, const double *B, const double *C,
	double *Y, int64_t M, int64_t N, int64_t K, int32_t transA, int32_t transB,
	double alpha, double beta, int64_t c_rs, int64_t c_cs)
{
	kk__gemm_core_f64(A, transA ? 1 : K, transA ? M : 1,
		B, transB ? 1 : N, transB ? K : 1, Y, M, N, K);
	for (int64_t i = 0; i < M; i++) {
		double *restrict y = Y + i * N;
		const double *restrict c = C ? C + i * c_rs : NULL;
		for (int64_t j = 0; j < N; j++)
			y[j] = alpha * y[j] + (c && beta != 0 ? beta * c[j * c_cs] : 0);
	}
}

void kk_matmul_f64(kiln_rt_ctx *ctx, const double *A, const double *B, double *Y,
	int64_t batch, int64_t M, int64_t N, int64_t K,
	int64_t a_batch_stride, int64_t b_batch_stride)
{
	for (int64_t b = 0; b < batch; b++)
		kk__gemm_core_f64(A + b * a_batch_stride, K, 1, B + b * b_batch_stride,
			N, 1, Y + b * M * N, M, N, K);
}

/* Integer MatMul in unsigned arithmetic (wraps instead of overflow UB). */
#define KK__MATMUL_INT(name, T, U) \
void name(kiln_rt_ctx *ctx, const T *A, const T *B, T *Y, int64_t batch, \
	int64_t M, int64_t N, int64_t K, int64_t a_batch_stride, \
	int64_t b_batch_stride) \
{ \
	for (int64_t bt = 0; bt < batch; bt++) { \
		const T *a = A + bt * a_batch_stride, *b = B + bt * b_batch_stride; \
		for (int64_t i = 0; i < M; i++) { \
			U *restrict y = (U *)(Y + (bt * M + i) * N); \
			for (int64_t j = 0; j < N; j++) \
				y[j] = 0; \
			for (int64_t k = 0; k < K; k++) { \
				U x = (U)a[i * K + k]; \
				const T *restrict br = b + k * N; \
				for (int64_t j = 0; j < N; j++) \
					y[j] += x * (U)br[j]; \
			} \
		} \
	} \
}

KK__MATMUL_INT(kk_matmul_i32, int32_t, uint32_t)
KK__MATMUL_INT(kk_matmul_i64, int64_t, uint64_t)
