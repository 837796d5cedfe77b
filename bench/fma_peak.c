/*
 * fma_peak.c — measures the single-core FP32 fused multiply-add peak of this
 * machine, the ceiling for kiln's GEMM and convolution kernels. Picks the
 * widest vector FMA the CPU has at run time (AVX-512 or AVX2+FMA) and prints
 * one line: "ISA GFLOPS". Build: cc -O2 fma_peak.c -o fma_peak (no -m flags).
 */
#include <immintrin.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* 12 independent accumulator chains: enough to cover FMA latency x pipes. */
#define FMA_CHAINS 12
#define FMA_ITERS 20000000L

static double fma_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);	/* CPU time: the machine is shared */
	return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Runs FMA_ITERS x FMA_CHAINS 16-lane FMAs; returns GFLOP/s (2 flops per lane). */
__attribute__((target("avx512f"))) static double fma_avx512(float *sink)
{
	__m512 acc[FMA_CHAINS];
	__m512 b = _mm512_set1_ps(1.0000001f), c = _mm512_set1_ps(1e-7f);
	double t;
	float s = 0;

	for (int i = 0; i < FMA_CHAINS; i++)
		acc[i] = _mm512_set1_ps((float)i);
	t = fma_now();
	for (long k = 0; k < FMA_ITERS; k++) {
#pragma GCC unroll 12
		for (int i = 0; i < FMA_CHAINS; i++)
			acc[i] = _mm512_fmadd_ps(acc[i], b, c);
	}
	t = fma_now() - t;
	for (int i = 0; i < FMA_CHAINS; i++)
		s += _mm512_reduce_add_ps(acc[i]);
	*sink = s;
	return (double)FMA_ITERS * FMA_CHAINS * 16 * 2 / t / 1e9;
}

/* Same with 8-lane AVX2 FMAs. */
__attribute__((target("avx2,fma"))) static double fma_avx2(float *sink)
{
	__m256 acc[FMA_CHAINS];
	__m256 b = _mm256_set1_ps(1.0000001f), c = _mm256_set1_ps(1e-7f);
	float lanes[8];
	double t;
	float s = 0;

	for (int i = 0; i < FMA_CHAINS; i++)
		acc[i] = _mm256_set1_ps((float)i);
	t = fma_now();
	for (long k = 0; k < FMA_ITERS; k++) {
#pragma GCC unroll 12
		for (int i = 0; i < FMA_CHAINS; i++)
			acc[i] = _mm256_fmadd_ps(acc[i], b, c);
	}
	t = fma_now() - t;
	for (int i = 0; i < FMA_CHAINS; i++) {
		_mm256_storeu_ps(lanes, acc[i]);
		for (int j = 0; j < 8; j++)
			s += lanes[j];
	}
	*sink = s;
	return (double)FMA_ITERS * FMA_CHAINS * 8 * 2 / t / 1e9;
}

int main(void)
{
	float sink = 0;
	double best = 0, g;
	const char *isa;

	__builtin_cpu_init();
	if (__builtin_cpu_supports("avx512f"))
		isa = "AVX-512";
	else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		isa = "AVX2";
	else {
		printf("none 0\n");
		return 1;
	}
	for (int rep = 0; rep < 5; rep++) {	/* best of 5 */
		g = strcmp(isa, "AVX-512") == 0 ? fma_avx512(&sink) : fma_avx2(&sink);
		if (g > best)
			best = g;
	}
	printf("%s %.1f\n", isa, best);
	return sink == 12345.0f;	/* keeps the result live */
}
