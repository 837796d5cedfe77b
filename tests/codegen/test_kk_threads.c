/* test_kk_threads.c — the kernels' static work split over
 * kiln_rt_ctx.parallel_for (codegen/kernels/kk_par.h): for GEMM, MatMul,
 * Conv, binary/where, unary, cast, reductions, softmax, LayerNorm, dropout,
 * pools, strided copy and gather, outputs at 1, 2, 3 and 4 threads (real
 * runtime pool) and with tasks run in reverse order must be bit-identical
 * to the serial run (ctx NULL), and the multi-thread runs must really split. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "kk_math.h"
#undef KK_MAX_RANK
#include "kk_nn.h"
#include "kk_pack.h"
#include "rt.h"

/* ---- counting parallel_for ------------------------------------------- */

static int64_t g_calls, g_max_tasks;
static int g_reverse;            /* 1: run tasks serially, last first */

static void count_pfor(void *pool, int64_t n, void (*fn)(void *, int64_t), void *arg)
{
	g_calls++;
	if (n > g_max_tasks)
		g_max_tasks = n;
	if (g_reverse) {
		for (int64_t i = n - 1; i >= 0; i--)
			fn(arg, i);
		return;
	}
	rt_pool_parallel_for(pool, n, fn, arg);
}

/* ---- inputs ------------------------------------------------------------ */

static float *g_a, *g_b, *g_c;   /* random f32 pools, 1<<21 elements each */
static uint8_t *g_cond;
#define POOL_N (1 << 21)

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static float frand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (float)((rng >> 11) * (1.0 / 9007199254740992.0)) * 2.0f - 1.0f;
}

static int setup(void **state)
{
	(void)state;
	g_a = malloc(POOL_N * sizeof(float));
	g_b = malloc(POOL_N * sizeof(float));
	g_c = malloc(POOL_N * sizeof(float));
	g_cond = malloc(POOL_N);
	if (!g_a || !g_b || !g_c || !g_cond)
		return -1;
	for (int i = 0; i < POOL_N; i++) {
		g_a[i] = frand();
		g_b[i] = frand();
		g_c[i] = frand();
		g_cond[i] = g_a[i] > 0;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(g_a);
	free(g_b);
	free(g_c);
	free(g_cond);
	return 0;
}

/* ---- harness ------------------------------------------------------------ */

typedef void (*case_fn)(kiln_rt_ctx *ctx, void *out);

/* Runs fn serially (ctx NULL) and at 1..4 threads plus reverse order;
 * outputs (bytes) must match bit for bit and t >= 2 must split. */
static void check_case(const char *name, case_fn fn, size_t bytes)
{
	unsigned char *ref = malloc(bytes), *got = malloc(bytes);
	assert_non_null(ref);
	assert_non_null(got);
	memset(ref, 0xA5, bytes);
	fn(NULL, ref);
	for (int t = 1; t <= 5; t++) {
		int threads = t <= 4 ? t : 3;
		rt_pool *pool = t <= 4 ? rt_pool_new(threads) : NULL;
		kiln_rt_ctx ctx = {0};
		ctx.seed = 1;
		ctx.threads = threads;
		ctx.parallel_for = threads > 1 ? count_pfor : NULL;
		ctx.pool = pool;
		g_reverse = t == 5;
		g_calls = g_max_tasks = 0;
		memset(got, 0x5A, bytes);
		fn(&ctx, got);
		rt_pool_free(pool);
		if (memcmp(ref, got, bytes) != 0)
			fail_msg("%s: output at %d threads%s differs from serial", name, threads,
				g_reverse ? " (reverse order)" : "");
		if (threads > 1 && (g_calls < 1 || g_max_tasks < 2))
			fail_msg("%s: not split at %d threads (calls %lld, tasks %lld)", name,
				threads, (long long)g_calls, (long long)g_max_tasks);
		if (threads > 1 && g_max_tasks > threads)
			fail_msg("%s: %lld tasks for %d threads", name, (long long)g_max_tasks,
				threads);
	}
	free(ref);
	free(got);
}

/* ---- cases -------------------------------------------------------------- */

enum { GM = 301, GN = 67, GK = 129 };
static void c_gemm(kiln_rt_ctx *ctx, void *out)
{
	kk_gemm_f32(ctx, g_a, g_b, g_c, out, GM, GN, GK, 0, 0, 1.0f, 1.0f, 0, 1);
}
static void c_gemm_trans(kiln_rt_ctx *ctx, void *out)
{
	kk_gemm_f32(ctx, g_a, g_b, g_c, out, GM, GN, GK, 1, 1, 0.5f, 2.0f, 1, 0);
}
static void c_gemm_small_m(kiln_rt_ctx *ctx, void *out)
{
	kk_gemm_f32(ctx, g_a, g_b, g_c, out, 2, 4000, 300, 0, 1, 1.5f, 0.0f, 0, 0);
}
static void c_gemm_packed_m1(kiln_rt_ctx *ctx, void *out)
{
	/* one row against B pre-packed (any floats are a packing): columns split */
	kk_gemm_pb_f32(ctx, g_a, g_b, g_c, out, 1, 3000, 500, 0, 1.0f, 1.0f, 0, 1, NULL,
		-INFINITY, INFINITY);
}
static void c_gemm_packed_short(kiln_rt_ctx *ctx, void *out)
{
	/* 40 rows (one block of A) against B pre-packed: the threads split the
	 * 19 column panels, with the row-vector C, a residual and a clamp */
	kk_gemm_pb_f32(ctx, g_a, g_b, g_c, out, 40, 300, 200, 0, 1.0f, 1.0f, 0, 1, g_c + 5000,
		-0.5f, 1.5f);
}
static void c_matmul_batches(kiln_rt_ctx *ctx, void *out)
{
	kk_matmul_f32(ctx, g_a, g_b, out, 8, 64, 64, 64, 64 * 64, 0);
}
static void c_matmul_rows(kiln_rt_ctx *ctx, void *out)
{
	kk_matmul_f32(ctx, g_a, g_b, out, 2, 200, 64, 128, 200 * 128, 128 * 64);
}
static void c_conv(kiln_rt_ctx *ctx, void *out)
{
	kk_conv_f32(ctx, g_a, g_b, NULL, g_c, out, 1, 16, 1, 32, 32, 32, 1, 32, 32,
		1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, NULL, 0.0f, INFINITY, 0, NULL);
}
static void c_conv_group(kiln_rt_ctx *ctx, void *out)
{
	/* N 2, C 16, groups 2, stride 2: 2 x 2 x (ceil(20/6) = 4) items */
	kk_conv_f32(ctx, g_a, g_b, NULL, g_c, out, 2, 16, 1, 40, 40, 40, 1, 20, 20,
		1, 3, 3, 1, 2, 2, 1, 1, 1, 0, 1, 1, 2, NULL, -INFINITY, INFINITY, 0, NULL);
}
static void c_conv_few_blocks(kiln_rt_ctx *ctx, void *out)
{
	/* 13 pixel blocks (14x14), K 384 over two slices, M 64: the threads
	 * split the pixels (kk__conv_split_pixels), 6 or 7 blocks each at 2 */
	kk_conv_f32(ctx, g_a, g_b, NULL, g_c, out, 1, 384, 1, 14, 14, 64, 1, 14, 14,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, NULL, 0.0f, INFINITY, 0, NULL);
}
static void c_conv_smallc(kiln_rt_ctx *ctx, void *out)
{
	/* few input channels (the direct path): N 2, C 3, M 30, 100x100 ->
	 * 50x50 at stride 2, pad 1, bias, clamp */
	kk_conv_f32(ctx, g_a, g_b, NULL, g_c, out, 2, 3, 1, 100, 100, 30, 1, 50, 50,
		1, 3, 3, 1, 2, 2, 1, 1, 1, 0, 1, 1, 1, NULL, 0.0f, 6.0f, 0, NULL);
}
static void c_conv_t(kiln_rt_ctx *ctx, void *out)
{
	/* the transposed product (g_b read as packed W^T panels): N 2, C 64,
	 * M 128, 14x14 -> 7x7, stride 2 */
	static float S[64 * 9 * 49 + 49 * 128];
	kk_conv_t_f32(ctx, g_a, g_b, g_c, out, 2, 64, 14, 14, 128, 7, 7, 3, 3, 2, 2, 1, 1,
		1, 1, NULL, 0.0f, INFINITY, 0, S);
}
static void c_conv_wino(kiln_rt_ctx *ctx, void *out)
{
	/* Winograd F(2x2, 3x3) (g_b read as the packed transformed weights):
	 * N 2, C 24, M 40, 21x30 (odd rows: a half tile), pad 1, residual */
	static float S[16 * (24 + 40) * 11 * 15];
	kk_conv_wino_f32(ctx, g_a, g_b, g_c, out, 2, 24, 21, 30, 40, 21, 30, 1, 1, 2, g_c + 7,
		0.0f, INFINITY, 0, S);
}
static void c_conv_wino4(kiln_rt_ctx *ctx, void *out)
{
	/* F(4x4, 3x3): N 2, C 24, M 40, 21x30 (partial tiles down and
	 * across), pad 1, residual */
	static float S[36 * (24 + 40) * 6 * 8 + 8];
	kk_conv_wino_f32(ctx, g_a, g_b, g_c, out, 2, 24, 21, 30, 40, 21, 30, 1, 1, 4, g_c + 7,
		0.0f, INFINITY, 0, S);
}
static void c_conv_depthwise(kiln_rt_ctx *ctx, void *out)
{
	kk_conv_f32(ctx, g_a, g_b, NULL, g_c, out, 1, 16, 1, 64, 64, 16, 1, 64, 64,
		1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1, 16, NULL, -1.0f, 1.0f, 0, NULL);
}
static void c_conv_depthwise_small(kiln_rt_ctx *ctx, void *out)
{
	/* planes narrow enough for 8 channels per vector (300: a partial
	 * block of 4 at the end), 14x14 */
	kk_conv_f32(ctx, g_a, g_b, NULL, g_c, out, 2, 300, 1, 14, 14, 300, 1, 14, 14,
		1, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 1, 300, NULL, -1.0f, 1.0f, 0, NULL);
}
static void c_conv_pwdw(kiln_rt_ctx *ctx, void *out)
{
	/* the pointwise-depthwise pair (g_b read as the packed pointwise
	 * weights, g_c as the depthwise taps and g_c + 2000 the biases): N 2,
	 * K 24, C 144, 28x28 -> 14x14 at stride 2, 131 pixel tiles (the last
	 * partial) and 18 channel blocks split over the threads */
	static float S[144 * 30 * 30];
	kk_conv_pwdw_f32(ctx, g_a, g_b, g_c + 2000, g_c, g_c + 2000, NULL, NULL, NULL, out, 2, 24,
		144, 0, 28, 28, 14, 14, 2, 0.0f, 6.0f, 0.0f, 6.0f, 0.0f, 0.0f, 0, S);
}
static void c_conv_pwdw_channels(kiln_rt_ctx *ctx, void *out)
{
	/* more channels than pixels: the pointwise half split by its 20
	 * 16-channel panels (K 160, C 320, 7x7 at stride 1, N 2) */
	static float S[320 * 9 * 9];
	kk_conv_pwdw_f32(ctx, g_a, g_b, g_c + 4000, g_c, g_c + 4000, NULL, NULL, NULL, out, 2,
		160, 320, 0, 7, 7, 7, 7, 1, 0.0f, 6.0f, 0.0f, 6.0f, 0.0f, 0.0f, 0, S);
}
static void c_conv_pwdw_bands(kiln_rt_ctx *ctx, void *out)
{
	/* the pair on a 5 MB intermediate, in bands of rows: K 16, C 96,
	 * 112x112 -> 56x56 at stride 2 */
	static float S[96 * 114 * 114];
	kk_conv_pwdw_f32(ctx, g_a, g_b, g_c + 2000, g_c, NULL, NULL, NULL, NULL, out, 1, 16, 96, 0,
		112, 112, 56, 56, 2, 0.0f, 6.0f, -INFINITY, INFINITY, 0.0f, 0.0f, 0, S);
}
static void c_conv_pwdw_proj(kiln_rt_ctx *ctx, void *out)
{
	/* with a projection fused (g_b + 5000 its packed weights, g_a + 3000
	 * the residual): K 24, C 144, M 40, 28x28 at stride 1, 49 pixel
	 * panels split over the threads */
	static float S[144 * 30 * 30 + KK_PWDW_PJ_TASKS * 16 * 144 * 16];
	kk_conv_pwdw_f32(ctx, g_a, g_b, g_c + 2000, g_c, g_c + 2000, g_b + 5000, g_c + 2000,
		g_a + 3000, out, 1, 24, 144, 40, 28, 28, 28, 28, 1, 0.0f, 6.0f, 0.0f, 6.0f, -1.0f, 1.0f,
		0, S);
}
static void c_conv_stem_pwdw(kiln_rt_ctx *ctx, void *out)
{
	/* with a stem as the first half: N 2, C0 3, 112x112 -> 56x56 at
	 * stride 2, C 32, then the depthwise layer and a projection to 16
	 * (g_b + 5000 its packed weights): the stem's 56 rows split over the
	 * threads, one band */
	static float S[32 * 58 * 58 + KK_PWDW_PJ_TASKS * 16 * 32 * 16];
	kk_conv_stem_pwdw_f32(ctx, g_a, g_b, g_c + 2000, g_c, g_c + 2000, g_b + 5000,
		g_c + 2000, NULL, out, 2, 3, 112, 112, 2, 32, 16, 56, 56, 56, 56, 1, 0.0f, 6.0f, 0.0f,
		6.0f, -1.0f, 1.0f, 0, S);
}
static void c_conv_pool(kiln_rt_ctx *ctx, void *out)
{
	/* KilnConvPool: N 2, C 3, M 64, 100x100 -> 49x49 at stride 2 (3x3),
	 * pooled to 24x24: the tasks split the pooled rows, each in bands of
	 * its own slot */
	static float S[KK_CONVPOOL_TASKS * 64 * 33 * 49];
	assert_true(kk_convpool_floats(64, 49) <= (int64_t)(sizeof S / sizeof *S));
	kk_conv_maxpool_f32(ctx, g_a, g_b, g_c, out, 2, 3, 100, 100, 64, 49, 49, 3, 3, 2, 2,
		0, 0, 0.0f, INFINITY, 24, 24, S);
}
static void c_maxpool(kiln_rt_ctx *ctx, void *out)
{
	/* N 2, C 32, 64x64 -> 32x32 (3x3, stride 2, pad 1); values then indices */
	float *y = out;
	kk_maxpool_f32(ctx, g_a, y, (int64_t *)(y + 2 * 32 * 32 * 32), 2, 32, 1, 64, 64,
		1, 32, 32, 1, 3, 3, 1, 2, 2, 1, 1, 1, 0, 1, 1, 0);
}
static void c_avgpool(kiln_rt_ctx *ctx, void *out)
{
	kk_avgpool_f32(ctx, g_a, out, 2, 32, 1, 64, 64, 1, 64, 64, 1, 3, 3, 1, 1, 1,
		1, 1, 1, 0, 1, 1, 0, 1, 1, 0);
}
static void c_global_pool(kiln_rt_ctx *ctx, void *out)
{
	kk_global_pool_f32(ctx, KK_POOL_AVG, g_a, out, 512, 3000);
}
static void c_transpose(kiln_rt_ctx *ctx, void *out)
{
	static const int64_t dims[3] = {8, 300, 100}, ss[3] = {100, 800, 1},
		ds[3] = {300 * 100, 100, 1};
	kk_copy_strided(ctx, 4, 3, dims, g_a, ss, out, ds);
}
static void c_gather(kiln_rt_ctx *ctx, void *out)
{
	static int64_t idx[500];
	for (int i = 0; i < 500; i++)
		idx[i] = (i * 37) % 1000 - 500;
	kk_gather(ctx, 4, g_a, idx, 7, out, 1, 1000, 512, 500);
}
static void test_gemm(void **s)
{
	(void)s;
	check_case("gemm", c_gemm, GM * GN * 4);
	check_case("gemm transA/B", c_gemm_trans, GM * GN * 4);
	check_case("gemm M=2", c_gemm_small_m, 2 * 4000 * 4);
	check_case("gemm M=1, B packed", c_gemm_packed_m1, 3000 * 4);
	check_case("gemm M=40, B packed", c_gemm_packed_short, 40 * 300 * 4);
	check_case("matmul batches", c_matmul_batches, 8 * 64 * 64 * 4);
	check_case("matmul rows", c_matmul_rows, 2 * 200 * 64 * 4);
}

static void test_conv(void **s)
{
	(void)s;
	check_case("conv", c_conv, 32 * 32 * 32 * 4);
	check_case("conv grouped", c_conv_group, 2 * 40 * 20 * 20 * 4);
	check_case("conv depthwise", c_conv_depthwise, 16 * 64 * 64 * 4);
	check_case("conv depthwise 14x14", c_conv_depthwise_small, 2 * 300 * 14 * 14 * 4);
	check_case("conv few input channels", c_conv_smallc, 2 * 30 * 50 * 50 * 4);
	check_case("conv 13 pixel blocks", c_conv_few_blocks, 64 * 14 * 14 * 4);
	check_case("conv transposed", c_conv_t, 2 * 128 * 49 * 4);
	check_case("conv Winograd", c_conv_wino, 2 * 40 * 21 * 30 * 4);
	check_case("conv Winograd F(4x4)", c_conv_wino4, 2 * 40 * 21 * 30 * 4);
	check_case("conv pointwise-depthwise pair", c_conv_pwdw, 2 * 144 * 14 * 14 * 4);
	check_case("conv pointwise-depthwise bands", c_conv_pwdw_bands, 96 * 56 * 56 * 4);
	check_case("conv pointwise-depthwise by channels", c_conv_pwdw_channels,
		2 * 320 * 7 * 7 * 4);
	check_case("conv pointwise-depthwise-pointwise", c_conv_pwdw_proj, 40 * 28 * 28 * 4);
	check_case("conv stem-depthwise-pointwise", c_conv_stem_pwdw, 2 * 16 * 56 * 56 * 4);
	check_case("conv then max pooling", c_conv_pool, 2 * 64 * 24 * 24 * 4);
}

static void test_pool_move(void **s)
{
	(void)s;
	check_case("maxpool", c_maxpool, 2 * 32 * 32 * 32 * 12);
	check_case("avgpool", c_avgpool, 2 * 32 * 64 * 64 * 4);
	check_case("global pool", c_global_pool, 512 * 4);
	check_case("transpose", c_transpose, 8 * 300 * 100 * 4);
	check_case("gather", c_gather, 500 * 512 * 4);
}

/* The serial GEMM itself must be right, or identical garbage would pass. */
static void test_gemm_reference(void **s)
{
	(void)s;
	float *y = malloc(GM * GN * 4);
	rt_pool *pool = rt_pool_new(2);
	kiln_rt_ctx ctx = {0, 2, 0, count_pfor, pool, {0}};
	g_reverse = 0;
	kk_gemm_f32(&ctx, g_a, g_b, g_c, y, GM, GN, GK, 0, 0, 1.0f, 1.0f, 0, 1);
	rt_pool_free(pool);
	for (int i = 0; i < GM; i += 7)
		for (int j = 0; j < GN; j++) {
			double r = g_c[j];
			for (int k = 0; k < GK; k++)
				r += (double)g_a[i * GK + k] * g_b[k * GN + j];
			if (fabs(y[i * GN + j] - r) > 1e-4 * (1 + fabs(r)))
				fail_msg("gemm (%d,%d) = %g, want %g", i, j, y[i * GN + j], r);
		}
	free(y);
}

/* The math kernels (elementwise, Dropout, Softmax, reductions, norms) are
 * split by the code generator instead (codegen/parallel.c), so that each
 * task keeps the call's constant arguments; model_threads_deterministic
 * checks those end to end. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gemm),
		cmocka_unit_test(test_gemm_reference),
		cmocka_unit_test(test_conv),
		cmocka_unit_test(test_pool_move),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
