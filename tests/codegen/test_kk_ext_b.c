/* test_kk_ext_b.c — cmocka tests of the "ops wave B" kernels (ext_b.c)
 * against independent references: ConvTranspose against an output-centred
 * (gather) formulation, Resize against closed forms, scatter/gather against
 * hand-worked cases, Einsum against plain loops, Det against cofactor
 * expansion, and ReverseSequence, MaxUnpool, RoiAlign on known inputs. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kk_ext_b.h"

static float frand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (float)((*s >> 8) & 0xffff) / 65536.0f - 0.5f;
}

/* 2-D ConvTranspose by output cell: y[o] = sum over (i, k) with
 * i*s + k*d - p == o. */
static void convt_ref(const float *X, const float *W, const float *B, float *Y,
		      int C, int H, int Wd, int M, int OH, int OW, int KH, int KW,
		      int s, int d, int p, int group)
{
	int cg = C / group, mg = M / group;
	for (int m = 0; m < M; m++)
		for (int oy = 0; oy < OH; oy++)
			for (int ox = 0; ox < OW; ox++) {
				double acc = B ? B[m] : 0;
				int g = m / mg;
				for (int c = g * cg; c < (g + 1) * cg; c++)
					for (int ky = 0; ky < KH; ky++)
						for (int kx = 0; kx < KW; kx++) {
							int ty = oy + p - ky * d, tx = ox + p - kx * d;
							if (ty % s || tx % s || ty < 0 || tx < 0 ||
							    ty / s >= H || tx / s >= Wd)
								continue;
							acc += X[(c * H + ty / s) * Wd + tx / s] *
							       W[((c * mg + m % mg) * KH + ky) * KW + kx];
						}
				Y[(m * OH + oy) * OW + ox] = (float)acc;
			}
}

/* One configuration against convt_ref; op = extra output cells at the end
 * (output_padding), p may be negative (output_shape larger than natural). */
static void convt_case(int C, int H, int Wd, int M, int K, int S, int D, int P, int op, int G,
		       unsigned seed)
{
	int OH = S * (H - 1) + (K - 1) * D + 1 - 2 * P + op;
	int OW = S * (Wd - 1) + (K - 1) * D + 1 - 2 * P + op;
	float *X = malloc(sizeof(float) * C * H * Wd), *W = malloc(sizeof(float) * C * (M / G) * K * K);
	float *B = malloc(sizeof(float) * M), *Y = malloc(sizeof(float) * M * OH * OW);
	float *R = malloc(sizeof(float) * M * OH * OW);
	for (int i = 0; i < C * H * Wd; i++)
		X[i] = frand(&seed);
	for (int i = 0; i < C * (M / G) * K * K; i++)
		W[i] = frand(&seed);
	for (int i = 0; i < M; i++)
		B[i] = frand(&seed);
	kk_convtranspose_f32(NULL, X, W, B, Y, 1, C, 1, H, Wd, M, 1, OH, OW, 1, K, K,
			     1, S, S, 1, D, D, 0, P, P, G);
	convt_ref(X, W, B, R, C, H, Wd, M, OH, OW, K, K, S, D, P, G);
	for (int i = 0; i < M * OH * OW; i++)
		assert_float_equal(Y[i], R[i], 1e-4);
	free(X), free(W), free(B), free(Y), free(R);
}

static void test_convtranspose_vs_gather(void **state)
{
	(void)state;
	convt_case(4, 3, 4, 6, 3, 2, 2, 1, 0, 2, 7);
	convt_case(3, 5, 19, 7, 4, 2, 1, 1, 1, 1, 9);   /* > 16 columns, 7 channels */
	convt_case(2, 3, 3, 3, 3, 3, 1, 0, 2, 1, 5);    /* stride 3, output padding */
	convt_case(2, 3, 3, 2, 3, 2, 1, -1, 0, 1, 3);   /* negative begin pad */
	convt_case(6, 4, 4, 6, 1, 1, 1, 0, 0, 6, 1);    /* depthwise 1x1 */
}

static void test_convtranspose_tiny(void **state)
{
	(void)state;
	/* 1-D: x = [1, 2], w = [1, 10], stride 2 -> [1, 10, 2, 20]. */
	float X[2] = {1, 2}, W[2] = {1, 10}, Y[4];
	kk_convtranspose_f32(NULL, X, W, NULL, Y, 1, 1, 1, 1, 2, 1, 1, 1, 4, 1, 1, 2,
			     1, 1, 2, 1, 1, 1, 0, 0, 0, 1);
	float e[4] = {1, 10, 2, 20};
	for (int i = 0; i < 4; i++)
		assert_float_equal(Y[i], e[i], 0);
}

static void test_resize_nearest_and_linear(void **state)
{
	(void)state;
	float X[4] = {1, 2, 3, 4}, Y[16];
	int64_t in[2] = {2, 2}, out[2] = {4, 4};
	kk_resize_f32(NULL, X, Y, 2, in, out, NULL, NULL, KK_RESIZE_NEAREST,
		      KK_COORD_ASYMMETRIC, KK_NEAREST_FLOOR, -0.75f, 0, 0);
	for (int i = 0; i < 16; i++)
		assert_float_equal(Y[i], X[(i / 4 / 2) * 2 + (i % 4) / 2], 0);
	/* align_corners linear on a ramp stays a ramp: 0..3 over 7 points. */
	float r[2] = {0, 3}, z[7];
	int64_t i1[1] = {2}, o1[1] = {7};
	kk_resize_f32(NULL, r, z, 1, i1, o1, NULL, NULL, KK_RESIZE_LINEAR,
		      KK_COORD_ALIGN_CORNERS, 0, -0.75f, 0, 0);
	for (int i = 0; i < 7; i++)
		assert_float_equal(z[i], 0.5f * (float)i, 1e-6);
	/* cubic keeps constants (weights sum to 1). */
	float c[5] = {2, 2, 2, 2, 2}, cy[9];
	int64_t i5[1] = {5}, o9[1] = {9};
	kk_resize_f32(NULL, c, cy, 1, i5, o9, NULL, NULL, KK_RESIZE_CUBIC,
		      KK_COORD_HALF_PIXEL, 0, -0.75f, 0, 0);
	for (int i = 0; i < 9; i++)
		assert_float_equal(cy[i], 2.0f, 1e-5);
	/* Long rows (past the tap table): asymmetric linear x2 of a ramp. */
	enum { L = 800 };
	static float lx[L], ly[2 * L];
	int64_t il[1] = {L}, ol[1] = {2 * L};
	for (int i = 0; i < L; i++)
		lx[i] = (float)i;
	kk_resize_f32(NULL, lx, ly, 1, il, ol, NULL, NULL, KK_RESIZE_LINEAR,
		      KK_COORD_ASYMMETRIC, 0, -0.75f, 0, 0);
	for (int i = 0; i < 2 * L; i++)
		assert_float_equal(ly[i], i / 2 >= L - 1 ? (float)(L - 1) : 0.5f * (float)i, 1e-4);
	/* tf_crop_and_resize: roi [0.5, 1.5] of a 3-ramp samples 1.0, 2.0, then
	 * 3.0 falls outside -> extrapolation value. */
	float cx[3] = {0, 10, 20}, cyy[3], roi[2] = {0.5f, 1.5f};
	int64_t i3[1] = {3}, o3[1] = {3};
	kk_resize_f32(NULL, cx, cyy, 1, i3, o3, NULL, roi, KK_RESIZE_LINEAR,
		      KK_COORD_TF_CROP_AND_RESIZE, 0, -0.75f, 0, -1.0f);
	assert_float_equal(cyy[0], 10.0f, 1e-5);
	assert_float_equal(cyy[1], 20.0f, 1e-5);
	assert_float_equal(cyy[2], -1.0f, 0);
}

static void test_gathernd_scatternd(void **state)
{
	(void)state;
	/* data [2,2]: indices [[0,0],[1,1]] -> [0, 3]; [[1],[0]] -> rows. */
	int32_t data[4] = {0, 1, 2, 3}, out[4];
	int64_t dd[2] = {2, 2}, i2[4] = {0, 0, 1, 1}, i1[2] = {1, 0};
	assert_int_equal(kk_gathernd(NULL, 4, data, i2, out, 1, 2, 2, 2, dd), 0);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 3);
	assert_int_equal(kk_gathernd(NULL, 4, data, i1, out, 1, 2, 1, 2, dd), 0);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[3], 1);
	int64_t bad[2] = {2, 0};
	assert_int_equal(kk_gathernd(NULL, 4, data, bad, out, 1, 1, 2, 2, dd), KILN_RUN_INDEX);
	/* ScatterND add of rows into a copy of data, row 1 twice. */
	float y[4] = {1, 1, 1, 1}, up[4] = {1, 2, 3, 4};
	int64_t rows[2] = {1, -1};
	assert_int_equal(kk_scatternd(NULL, 1, 4, y, rows, up, 2, 1, 2, dd, KK_SCATTER_ADD), 0);
	assert_float_equal(y[0], 1, 0);
	assert_float_equal(y[2], 1 + 1 + 3, 0);
	assert_float_equal(y[3], 1 + 2 + 4, 0);
}

static void test_scatter_elements(void **state)
{
	(void)state;
	float y[5] = {1, 2, 3, 4, 5}, up[2] = {10, 20};
	int64_t idx[2] = {1, -4}, dims[2] = {1, 5}, id[2] = {1, 2};
	assert_int_equal(kk_scatter_elements(NULL, 1, 4, y, idx, 7, up, 2, id, dims, 1,
					     KK_SCATTER_MUL), 0);
	assert_float_equal(y[1], 2 * 10 * 20, 0);
	assert_float_equal(y[0], 1, 0);
	int32_t idx32[2] = {4, 5};
	assert_int_equal(kk_scatter_elements(NULL, 1, 4, y, idx32, 6, up, 2, id, dims, 1,
					     KK_SCATTER_NONE), KILN_RUN_INDEX);
}

static void test_einsum_matmul_and_diag(void **state)
{
	(void)state;
	/* letters i j k: A[i,j] B[j,k] -> Y[i,k], 3x4x5. */
	double A[12], B[20], Y[15];
	unsigned s = 3;
	for (int i = 0; i < 12; i++)
		A[i] = frand(&s);
	for (int i = 0; i < 20; i++)
		B[i] = frand(&s);
	int64_t dims[3] = {3, 4, 5}, as[3] = {4, 1, 0}, bs[3] = {0, 5, 1}, ys[3] = {5, 0, 1};
	kk_einsum(NULL, 11, 2, A, B, NULL, Y, 15, 3, dims, as, bs, NULL, ys);
	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 5; k++) {
			double acc = 0;
			for (int j = 0; j < 4; j++)
				acc += A[i * 4 + j] * B[j * 5 + k];
			assert_float_equal(Y[i * 5 + k], acc, 1e-12);
		}
	/* trace of a 4x3 slice: "ii" on A viewed 3x3 with stride 4+1. */
	int64_t d1[1] = {3}, s1[1] = {5}, y1[1] = {0};
	double tr;
	kk_einsum(NULL, 11, 1, A, NULL, NULL, &tr, 1, 1, d1, s1, NULL, NULL, y1);
	assert_float_equal(tr, A[0] + A[5] + A[10], 1e-12);
}

static void test_det(void **state)
{
	(void)state;
	float X[2 * 9];
	unsigned s = 11;
	for (int i = 0; i < 18; i++)
		X[i] = frand(&s);
	float Y[2];
	kk_det_f32(NULL, X, Y, 2, 3);
	for (int b = 0; b < 2; b++) {
		const float *m = X + 9 * b;
		double ref = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
			     m[2] * (m[3] * m[7] - m[4] * m[6]);
		assert_float_equal(Y[b], ref, 1e-5);
	}
}

static void test_reverse_maxunpool_roialign(void **state)
{
	(void)state;
	/* time axis 0, batch axis 1: [T=3, B=2], lens {3, 1}. */
	int64_t x[6] = {0, 1, 2, 3, 4, 5}, y[6], dims[2] = {3, 2}, lens[2] = {3, 1};
	assert_int_equal(kk_reverse_sequence(NULL, 8, x, y, 2, dims, 1, 0, lens), 0);
	int64_t e[6] = {4, 1, 2, 3, 0, 5};
	for (int i = 0; i < 6; i++)
		assert_int_equal(y[i], e[i]);
	/* MaxUnpool into a larger output: index 3 of a 2x2 default -> (1,1). */
	float v[1] = {7}, out[9];
	int64_t I[1] = {3}, def[4] = {1, 1, 2, 2}, od[4] = {1, 1, 3, 3};
	assert_int_equal(kk_maxunpool(NULL, 4, v, I, out, 1, 4, def, od), 0);
	for (int i = 0; i < 9; i++)
		assert_float_equal(out[i], i == 4 ? 7 : 0, 0);
	/* RoiAlign on a horizontal ramp X[y][x] = x gives the bin centres. */
	float img[8 * 8], ro[4] = {1, 1, 5, 5}, res[2 * 2];
	int64_t bi[1] = {0};
	for (int i = 0; i < 64; i++)
		img[i] = (float)(i % 8);
	assert_int_equal(kk_roialign_f32(NULL, img, ro, bi, res, 1, 1, 8, 8, 1, 2, 2, 0,
					 1.0f, 2, 0), 0);
	assert_float_equal(res[0], 2.0f, 1e-5);
	assert_float_equal(res[1], 4.0f, 1e-5);
	assert_float_equal(res[3], 4.0f, 1e-5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_convtranspose_vs_gather),
		cmocka_unit_test(test_convtranspose_tiny),
		cmocka_unit_test(test_resize_nearest_and_linear),
		cmocka_unit_test(test_gathernd_scatternd),
		cmocka_unit_test(test_scatter_elements),
		cmocka_unit_test(test_einsum_matmul_and_diag),
		cmocka_unit_test(test_det),
		cmocka_unit_test(test_reverse_maxunpool_roialign),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
