/* kk_v8.h — private to the kernels: 8-lane f32 vectors (GCC/Clang vector
 * extensions, which LLVM legalises for any target: one AVX register, two
 * SSE or NEON ones), their unaligned loads and stores, a partial store and
 * a lane select. */
#ifndef KK_V8_H
#define KK_V8_H

#include <stdint.h>
#include <string.h>

/* The vectors never cross a non-inlined ABI boundary: silence the notes
 * about AVX argument passing when compiled without -mavx. */
#pragma GCC diagnostic ignored "-Wpsabi"

typedef float kk_v8f __attribute__((vector_size(32)));

static inline kk_v8f kk__ld8(const float *p)
{
	kk_v8f v;
	memcpy(&v, p, sizeof v);
	return v;
}

static inline void kk__st8(float *p, const kk_v8f *v)
{
	memcpy(p, v, sizeof *v);
}

typedef float kk__v4f __attribute__((vector_size(16)));

/* The first n (<= 8) lanes of *v to p: as 4 + 2 + 1 lanes by n's bits, no
 * more than three stores and never a call (a lane loop from a stack copy
 * became a memcpy call per row end: 7% of a 14x14 depthwise layer). */
static inline void kk__st8n(float *p, const kk_v8f *v, int64_t n)
{
	kk_v8f x = *v;
	if (n == 8) {
		kk__st8(p, &x);
		return;
	}
	kk__v4f q = __builtin_shufflevector(x, x, 0, 1, 2, 3);
	if (n & 4) {
		memcpy(p, &q, sizeof q);
		p += 4;
		q = __builtin_shufflevector(x, x, 4, 5, 6, 7);
	}
	if (n & 2) {
		memcpy(p, &q, 2 * sizeof(float));
		p += 2;
		q = __builtin_shufflevector(q, q, 2, 3, 2, 3);
	}
	if (n & 1)
		*p = q[0];
}

/* The first n (<= 8) floats at p in the low lanes, zeros above, nothing
 * read past p + n: as 4 + 2 + 1 by n's bits (kk__st8n's counterpart). */
static inline kk_v8f kk__ld8n(const float *p, int64_t n)
{
	if (n == 8)
		return kk__ld8(p);
	kk__v4f q = {0}, h = {0};
	if (n & 4) {
		memcpy(&q, p, sizeof q);
		p += 4;
	}
	kk__v4f *d = (n & 4) ? &h : &q;
	if (n & 2) {
		memcpy(d, p, 2 * sizeof(float));
		p += 2;
	}
	if (n & 1)
		(*d)[n & 2] = *p;
	return __builtin_shufflevector(q, h, 0, 1, 2, 3, 4, 5, 6, 7);
}

typedef int32_t kk_v8i __attribute__((vector_size(32)));

/* Lane-wise a where m is set, else b (GCC and clang: no vector ?: in C). */
static inline kk_v8f kk__sel8(kk_v8i m, kk_v8f a, kk_v8f b)
{
	return (kk_v8f)((m & (kk_v8i)a) | (~m & (kk_v8i)b));
}

/* 8x8 transpose: r[i][j] -> r[j][i] (three rounds of two-vector shuffles). */
static inline void kk__tr8x8(kk_v8f r[8])
{
	kk_v8f t[8], u[8];
	for (int i = 0; i < 8; i += 2) {
		t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
		t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
	}
	for (int i = 0; i < 8; i += 4)
		for (int h = 0; h < 2; h++) {
			u[i + 2 * h] = __builtin_shufflevector(t[i + h], t[i + h + 2],
				0, 1, 8, 9, 4, 5, 12, 13);
			u[i + 2 * h + 1] = __builtin_shufflevector(t[i + h], t[i + h + 2],
				2, 3, 10, 11, 6, 7, 14, 15);
		}
	for (int i = 0; i < 4; i++) {
		r[i] = __builtin_shufflevector(u[i], u[i + 4], 0, 1, 2, 3, 8, 9, 10, 11);
		r[i + 4] = __builtin_shufflevector(u[i], u[i + 4], 4, 5, 6, 7, 12, 13, 14, 15);
	}
}

#endif
