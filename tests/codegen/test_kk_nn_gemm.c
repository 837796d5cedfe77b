/* test_kk_nn_gemm.c — kk_gemm_* and kk_matmul_* against a naive
 * double-precision reference on random shapes: odd sizes, M/N/K remainders
 * of the micro-kernel blocks, transposes, every C broadcast form, K == 0. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "kk_nn.h"
#include "kk_pack.h"

static uint64_t rng = 88172645463325252ull;

static double urand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static int64_t irand(int64_t lo, int64_t hi)
{
	return lo + (int64_t)((urand() + 1.0) * 0.5 * (double)(hi - lo + 1)) % (hi - lo + 1);
}

/* Checks one kk_gemm_f32 call, and kk_gemm_pb_f32 on B packed by
 * kk_pack_b_layout (as codegen packs constant weights), against the double
 * reference; the tolerance is relative to the sum of absolute terms. */
static void check_gemm(int64_t M, int64_t N, int64_t K, int ta, int tb,
	int cform, float alpha, float beta)
{
	float *A = malloc(sizeof(float) * (M * K + 1));
	float *B = malloc(sizeof(float) * (K * N + 1));
	float *C = malloc(sizeof(float) * (M * N + 1));
	float *Y = malloc(sizeof(float) * M * N);
	for (int64_t i = 0; i < M * K; i++) A[i] = (float)urand();
	for (int64_t i = 0; i < K * N; i++) B[i] = (float)urand();
	for (int64_t i = 0; i < M * N; i++) C[i] = (float)urand();
	/* cform: 0 none, 1 scalar, 2 [N], 3 [M,1], 4 [M,N] */
	int64_t rs = cform == 3 ? 1 : cform == 4 ? N : 0;
	int64_t cs = cform == 2 || cform == 4 ? 1 : 0;
	float *Bp = malloc(sizeof(float) * (kk_packed_b_floats(K, N) + 1));
	kk_pack_b_layout(Bp, B, K, N, tb);
	for (int packed = 0; packed < 2; packed++) {
	if (packed)
		kk_gemm_pb_f32(NULL, A, Bp, cform ? C : NULL, Y, M, N, K, ta, alpha, beta, rs, cs,
			NULL, -INFINITY, INFINITY);
	else
		kk_gemm_f32(NULL, A, B, cform ? C : NULL, Y, M, N, K, ta, tb, alpha, beta, rs, cs);
	for (int64_t i = 0; i < M; i++)
		for (int64_t j = 0; j < N; j++) {
			double s = 0, as = 0;
			for (int64_t k = 0; k < K; k++) {
				double a = ta ? A[k * M + i] : A[i * K + k];
				double b = tb ? B[j * K + k] : B[k * N + j];
				s += a * b;
				as += fabs(a * b);
			}
			double ref = alpha * s, mag = fabs(alpha) * as;
			if (cform) {
				ref += beta * (double)C[i * rs + j * cs];
				mag += fabs(beta * (double)C[i * rs + j * cs]);
			}
			double err = fabs(Y[i * N + j] - ref);
			if (err > 1e-5 * mag + 1e-30) {
				print_error("gemm%s M%ld N%ld K%ld ta%d tb%d c%d (%ld,%ld): %g vs %g\n",
					packed ? " (packed B)" : "", (long)M, (long)N, (long)K, ta, tb,
					cform, (long)i, (long)j, Y[i * N + j], ref);
				fail();
			}
		}
	}
	free(A); free(B); free(Bp); free(C); free(Y);
}

static void test_gemm_shapes(void **state)
{
	static const int64_t dims[][3] = {
		{1, 1, 1}, {1, 10, 64}, {2, 33, 300}, {3, 5, 7}, {6, 16, 256},
		{7, 17, 257}, {13, 31, 9}, {24, 48, 520}, {5, 3, 0}, {1, 1000, 1},
		{150, 40, 300}, {73, 16, 513}, {2, 50, 20},
	};
	for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
		for (int t = 0; t < 4; t++)
			check_gemm(dims[d][0], dims[d][1], dims[d][2], t & 1, t >> 1,
				(int)(d + t) % 5, 1.0f, 1.0f);
}

/* Against pre-packed B, one or two rows (their own path) give bit for bit
 * the values the same rows get inside a product of 7 rows (the micro-kernel):
 * MC-dropout's chunks of samples must not change the samples. K over two
 * slices, N not a whole number of panels, with bias and clamp. */
static void test_gemm_rows_alone(void **state)
{
	(void)state;
	enum { M = 7, N = 83, K = 600 };
	float *A = malloc(sizeof(float) * M * K), *B = malloc(sizeof(float) * K * N);
	float *C = malloc(sizeof(float) * N), *Y = malloc(sizeof(float) * M * N);
	float *Y1 = malloc(sizeof(float) * 2 * N);
	float *Bp = malloc(sizeof(float) * kk_packed_b_floats(K, N));
	for (int64_t i = 0; i < M * K; i++) A[i] = (float)urand();
	for (int64_t i = 0; i < K * N; i++) B[i] = (float)urand();
	for (int64_t i = 0; i < N; i++) C[i] = (float)urand();
	kk_pack_b_layout(Bp, B, K, N, 0);
	kk_gemm_pb_f32(NULL, A, Bp, C, Y, M, N, K, 0, 1.0f, 1.0f, 0, 1, NULL, -0.5f, 8.0f);
	for (int64_t m = 1; m <= 2; m++) {
		kk_gemm_pb_f32(NULL, A + 3 * K, Bp, C, Y1, m, N, K, 0, 1.0f, 1.0f, 0, 1, NULL,
			-0.5f, 8.0f);
		if (memcmp(Y1, Y + 3 * N, sizeof(float) * (size_t)(m * N)) != 0)
			fail_msg("%ld rows alone differ from the same rows in a product of %d",
				(long)m, M);
	}
	free(A); free(B); free(C); free(Y); free(Y1); free(Bp);
}

static void test_gemm_random(void **state)
{
	for (int it = 0; it < 60; it++)
		check_gemm(irand(1, 40), irand(1, 70), irand(1, 300), (int)irand(0, 1),
			(int)irand(0, 1), (int)irand(0, 4), (float)urand() * 2,
			(float)urand() * 2);
}

static void test_gemm_f64(void **state)
{
	for (int it = 0; it < 30; it++) {
		int64_t M = irand(1, 9), N = irand(1, 20), K = irand(1, 40);
		int ta = (int)irand(0, 1), tb = (int)irand(0, 1);
		double A[9 * 40], B[40 * 20], C[20], Y[9 * 20];
		for (int64_t i = 0; i < M * K; i++) A[i] = urand();
		for (int64_t i = 0; i < K * N; i++) B[i] = urand();
		for (int64_t i = 0; i < N; i++) C[i] = urand();
		kk_gemm_f64(NULL, A, B, C, Y, M, N, K, ta, tb, 0.5, -2.0, 0, 1);
		for (int64_t i = 0; i < M; i++)
			for (int64_t j = 0; j < N; j++) {
				double s = 0;
				for (int64_t k = 0; k < K; k++)
					s += (ta ? A[k * M + i] : A[i * K + k]) *
						(tb ? B[j * K + k] : B[k * N + j]);
				assert_true(fabs(Y[i * N + j] - (0.5 * s - 2.0 * C[j])) < 1e-12);
			}
	}
}

static void test_matmul_batched(void **state)
{
	for (int it = 0; it < 30; it++) {
		int64_t bt = irand(1, 4), M = irand(1, 20), N = irand(1, 40), K = irand(1, 70);
		int bcast = (int)irand(0, 2);   /* 0 none, 1 A broadcast, 2 B broadcast */
		int64_t as = bcast == 1 ? 0 : M * K, bs = bcast == 2 ? 0 : K * N;
		float *A = malloc(sizeof(float) * bt * M * K), *B = malloc(sizeof(float) * bt * K * N);
		float *Y = malloc(sizeof(float) * bt * M * N);
		double *Ad = malloc(sizeof(double) * bt * M * K), *Bd = malloc(sizeof(double) * bt * K * N);
		double *Yd = malloc(sizeof(double) * bt * M * N);
		int32_t Ai[64], Bi[64], Yi[64];
		for (int64_t i = 0; i < bt * M * K; i++) Ad[i] = A[i] = (float)urand();
		for (int64_t i = 0; i < bt * K * N; i++) Bd[i] = B[i] = (float)urand();
		kk_matmul_f32(NULL, A, B, Y, bt, M, N, K, as, bs);
		kk_matmul_f64(NULL, Ad, Bd, Yd, bt, M, N, K, as, bs);
		for (int64_t b = 0; b < bt; b++)
			for (int64_t i = 0; i < M; i++)
				for (int64_t j = 0; j < N; j++) {
					double s = 0, m = 0;
					for (int64_t k = 0; k < K; k++) {
						double p = (double)A[b * as + i * K + k] * B[b * bs + k * N + j];
						s += p;
						m += fabs(p);
					}
					assert_true(fabs(Y[(b * M + i) * N + j] - s) <= 1e-5 * m + 1e-30);
					assert_true(fabs(Yd[(b * M + i) * N + j] - s) <= 1e-12 * m + 1e-30);
				}
		free(A); free(B); free(Y); free(Ad); free(Bd); free(Yd);
		/* small integer case, with wrap-around free values */
		int64_t m2 = irand(1, 4), n2 = irand(1, 4), k2 = irand(1, 4);
		for (int i = 0; i < 16; i++) {
			Ai[i] = (int32_t)irand(-100, 100);
			Bi[i] = (int32_t)irand(-100, 100);
		}
		kk_matmul_i32(NULL, Ai, Bi, Yi, 1, m2, n2, k2, 0, 0);
		for (int64_t i = 0; i < m2; i++)
			for (int64_t j = 0; j < n2; j++) {
				int32_t s = 0;
				for (int64_t k = 0; k < k2; k++)
					s += Ai[i * k2 + k] * Bi[k * n2 + j];
				assert_int_equal(Yi[i * n2 + j], s);
			}
	}
}

static void test_matmul_i64(void **state)
{
	int64_t A[6] = {1, -2, 3, 4, 5, -6}, B[6] = {7, 8, 9, 10, 11, 12}, Y[4];
	kk_matmul_i64(NULL, A, B, Y, 1, 2, 2, 3, 0, 0);
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 2; j++) {
			int64_t s = 0;
			for (int k = 0; k < 3; k++)
				s += A[i * 3 + k] * B[k * 2 + j];
			assert_int_equal(Y[i * 2 + j], s);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gemm_shapes),
		cmocka_unit_test(test_gemm_random),
		cmocka_unit_test(test_gemm_rows_alone),
		cmocka_unit_test(test_gemm_f64),
		cmocka_unit_test(test_matmul_batched),
		cmocka_unit_test(test_matmul_i64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
