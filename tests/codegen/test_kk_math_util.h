/* test_kk_math_util.h — shared helpers for the kk_math kernel unit tests:
 * a deterministic PRNG (splitmix64), tolerance comparison, and random
 * broadcast-shape generation with the element strides kk_binary expects. */
#ifndef TEST_KK_MATH_UTIL_H
#define TEST_KK_MATH_UTIL_H

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "kk_math.h"

static uint64_t t_rng_state = 0x1234567887654321ull;

static inline uint64_t t_rand64(void)
{
	uint64_t z = (t_rng_state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform double in [lo, hi). */
static inline double t_unif(double lo, double hi)
{
	return lo + (hi - lo) * ((double)(t_rand64() >> 11) * 0x1p-53);
}

static inline int64_t t_randint(int64_t lo, int64_t hi) /* [lo, hi] */
{
	return lo + (int64_t)(t_rand64() % (uint64_t)(hi - lo + 1));
}

/* |got - want| <= atol + rtol * |want|, NaN matches NaN, inf matches same inf. */
static inline int t_close(double got, double want, double rtol, double atol)
{
	if (isnan(want)) return isnan(got);
	if (isinf(want)) return got == want;
	return fabs(got - want) <= atol + rtol * fabs(want);
}

#define T_CHECK_CLOSE(got, want, rtol, atol, ...) do { \
	double g_ = (got), w_ = (want); \
	if (!t_close(g_, w_, (rtol), (atol))) { \
		print_error("got %.17g want %.17g: ", g_, w_); \
		print_error(__VA_ARGS__); print_error("\n"); \
		fail(); \
	} \
} while (0)

/* Random broadcast problem: output rank/dims and, for each of k inputs, its
 * strides (0 on broadcast dims, including dims missing from a lower rank). */
typedef struct {
	int32_t rank;
	int64_t dims[KK_MAX_RANK];
	int64_t strides[3][KK_MAX_RANK];
	int64_t count[3];   /* elements of each input */
	int64_t n;          /* output elements */
} t_bshape;

static inline void t_make_bshape(t_bshape *s, int k, int maxrank, int maxdim)
{
	s->rank = (int32_t)t_randint(0, maxrank);
	s->n = 1;
	for (int d = 0; d < s->rank; d++) {
		s->dims[d] = t_randint(1, maxdim);
		s->n *= s->dims[d];
	}
	for (int i = 0; i < k; i++) {
		int32_t r = (int32_t)t_randint(0, s->rank);    /* input rank */
		int64_t st = 1;
		for (int d = s->rank - 1; d >= 0; d--) {
			int present = d >= s->rank - r;
			int bcast = !present || t_randint(0, 3) == 0;
			s->strides[i][d] = bcast ? 0 : st;
			if (!bcast) st *= s->dims[d];
		}
		s->count[i] = st;
	}
}

/* Offset into input i of output element number e (row-major unravel). */
static inline int64_t t_boff(const t_bshape *s, int i, int64_t e)
{
	int64_t off = 0;
	for (int d = s->rank - 1; d >= 0; d--) {
		off += (e % s->dims[d]) * s->strides[i][d];
		e /= s->dims[d];
	}
	return off;
}

#endif
