/* kk_philox8.h — Philox-4x32-10 (Salmon et al., SC'11) for 8 consecutive
 * counter blocks at once, structure of arrays in 8-lane vectors: the 32x32
 * -> 64-bit products of the rounds are two even/odd-lane widening multiplies
 * per vector (vpmuludq on x86), which the scalar formulation does not give
 * LLVM's vectoriser. Same words as kk_philox4x32_10 block by block.
 * Private to math_dropout.c and fused_dropout.c. */
#ifndef KK_PHILOX8_H
#define KK_PHILOX8_H

#include <stdint.h>

#pragma GCC diagnostic ignored "-Wpsabi"

typedef uint32_t kk_v8u __attribute__((vector_size(32)));
typedef uint64_t kk_v4q __attribute__((vector_size(32)));

/* hi and lo halves of a * m, lane by lane. */
static inline void kk__mulhilo8(kk_v8u a, uint32_t m, kk_v8u *hi, kk_v8u *lo)
{
	const kk_v4q low = {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu};
	kk_v4q pe = ((kk_v4q)a & low) * (uint64_t)m;   /* even lanes */
	kk_v4q po = ((kk_v4q)a >> 32) * (uint64_t)m;   /* odd lanes */
	*lo = a * m;
	*hi = (kk_v8u)((pe >> 32) | (po & ~low));
}

/* w[k] lane b = word k of block b0 + b (b < 8) for key (seed lo, seed hi)
 * and counter (block lo, block hi, node, sample). */
static inline void kk__philox8(uint64_t seed, uint32_t node, uint32_t sample, uint64_t b0,
	kk_v8u w[4])
{
	kk_v8u c0, c1, c2, c3;
	for (int l = 0; l < 8; l++) {
		uint64_t blk = b0 + (uint64_t)l;
		c0[l] = (uint32_t)blk;
		c1[l] = (uint32_t)(blk >> 32);
	}
	c2 = (kk_v8u){0} + node;
	c3 = (kk_v8u){0} + sample;
	uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
	for (int r = 0; r < 10; r++) {
		kk_v8u hi0, lo0, hi1, lo1;
		kk__mulhilo8(c0, 0xD2511F53u, &hi0, &lo0);
		kk__mulhilo8(c2, 0xCD9E8D57u, &hi1, &lo1);
		c0 = hi1 ^ c1 ^ k0;
		c1 = lo1;
		c2 = hi0 ^ c3 ^ k1;
		c3 = lo0;
		k0 += 0x9E3779B9u;
		k1 += 0xBB67AE85u;
	}
	w[0] = c0;
	w[1] = c1;
	w[2] = c2;
	w[3] = c3;
}

/* u[4*b + k] = w[k] lane b: the 32 words in element order. */
static inline void kk__philox8_words(uint64_t seed, uint32_t node, uint32_t sample,
	uint64_t b0, uint32_t u[32])
{
	kk_v8u w[4];
	kk__philox8(seed, node, sample, b0, w);
	for (int b = 0; b < 8; b++)
		for (int k = 0; k < 4; k++)
			u[4 * b + k] = w[k][b];
}

#endif
