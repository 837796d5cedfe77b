/* nn_gemm.c — ONNX Gemm and batched MatMul kernels (f32 fast path through
 * the packed-panel micro-kernel of nn_micro.h; f64 and integer versions are
 * plain loops with the innermost loop contiguous). Contracts in kk_nn.h. */
#include "kk_nn.h"
#include "nn_micro.h"

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
	if (b_ns == 1) {
		for (int64_t k = 0; k < kc; k++) {
			const float *src = B + (k0 + k) * b_ks + j0;
			float *d = bp + k * KK_NR;
			for (int64_t c = 0; c < nr; c++)
				d[c] = src[c];
			for (int64_t c = nr; c < KK_NR; c++)
				d[c] = 0;
		}
		return;
	}
	for (int64_t c = 0; c < nr; c++) {
		const float *src = B + (j0 + c) * b_ns + k0 * b_ks;
		for (int64_t k = 0; k < kc; k++)
			bp[k * KK_NR + c] = src[k * b_ks];
	}
	for (int64_t k = 0; nr < KK_NR && k < kc; k++)
		for (int64_t c = nr; c < KK_NR; c++)
			bp[k * KK_NR + c] = 0;
}

/* Y[M,N] (dense) = A*B, A(i,k) = A[i*a_rs + k*a_ks], B(k,j) = B[k*b_ks +
 * j*b_ns]; exactly one of b_ks, b_ns is 1. */
static void kk__gemm_core_f32(const float *restrict A, int64_t a_rs, int64_t a_ks,
	const float *restrict B, int64_t b_ks, int64_t b_ns, float *restrict Y,
	int64_t M, int64_t N, int64_t K)
{
	if (K == 0) {
		for (int64_t i = 0; i < M * N; i++)
			Y[i] = 0;
		return;
	}
	if (M <= 2 && a_ks == 1) {
		for (int64_t i = 0; i < M; i++) {
			const float *a = A + i * a_rs;
			float *y = Y + i * N;
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
		return;
	}
	float bp[KK_KC * KK_NR];
	for (int64_t j0 = 0; j0 < N; j0 += KK_NR) {
		int64_t nr = kk__min(KK_NR, N - j0);
		for (int64_t k0 = 0; k0 < K; k0 += KK_KC) {
			int64_t kc = kk__min(KK_KC, K - k0);
			kk__pack_b_f32(bp, B, b_ks, b_ns, k0, kc, j0, nr);
			kk__panel_f32(M, kc, A + k0 * a_ks, a_rs, a_ks, bp, Y + j0, N,
				nr, k0 > 0);
		}
	}
}

void kk_gemm_f32(kiln_rt_ctx *ctx, const float *A, const float *B, const float *C,
	float *Y, int64_t M, int64_t N, int64_t K, int32_t transA, int32_t transB,
	float alpha, float beta, int64_t c_rs, int64_t c_cs)
{
	kk__gemm_core_f32(A, transA ? 1 : K, transA ? M : 1,
		B, transB ? 1 : N, transB ? K : 1, Y, M, N, K);
	if (C == NULL || beta == 0) {
		if (alpha != 1)
			for (int64_t i = 0; i < M * N; i++)
				Y[i] *= alpha;
		return;
	}
	for (int64_t i = 0; i < M; i++) {
		float *restrict y = Y + i * N;
		const float *restrict c = C + i * c_rs;
		for (int64_t j = 0; j < N; j++)
			y[j] = alpha * y[j] + beta * c[j * c_cs];
	}
}

void kk_matmul_f32(kiln_rt_ctx *ctx, const float *A, const float *B, float *Y,
	int64_t batch, int64_t M, int64_t N, int64_t K,
	int64_t a_batch_stride, int64_t b_batch_stride)
{
	for (int64_t b = 0; b < batch; b++)
		kk__gemm_core_f32(A + b * a_batch_stride, K, 1, B + b * b_batch_stride,
			N, 1, Y + b * M * N, M, N, K);
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
