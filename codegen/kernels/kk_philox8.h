/* kk_philox8.h — Philox-4x32-10 (Salmon et al., SC'11) for 16 counter blocks
 * at once, structure of arrays in 8-lane vectors: the 32x32 -> 64-bit
 * products of the rounds are even/odd-lane widening multiplies per vector
 * (vpmuludq on x86), which the scalar formulation does not give LLVM's
 * vectoriser, and the two independent chains of 8 blocks keep the multiplier
 * busy through each round's latency. Same words as kk_philox4x32_10 block by
 * block. Private to math_dropout.c and fused_dropout.c. */
#ifndef KK_PHILOX8_H
#define KK_PHILOX8_H

#include <stdint.h>
#include <string.h>

#pragma GCC diagnostic ignored "-Wpsabi"

/* The ten rounds unrolled (the unit tests also build this with GCC). */
#ifdef __clang__
#define KK__UNROLL _Pragma("clang loop unroll(full)")
#else
#define KK__UNROLL
#endif

/* Philox-4x32 round multipliers and key increments (Weyl constants). */
#define KK_PHILOX_M0 0xD2511F53u
#define KK_PHILOX_M1 0xCD9E8D57u
#define KK_PHILOX_W0 0x9E3779B9u   /* golden ratio */
#define KK_PHILOX_W1 0xBB67AE85u   /* sqrt(3) - 1 */

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

/* Philox-4x32-10 of two vectors of 8 blocks each (chain s, lane l): counter
 * words c[s][0..3], key (seed lo, seed hi); the output words replace c. */
static inline void kk__philox16(kk_v8u c[2][4], uint64_t seed)
{
	uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
KK__UNROLL
	for (int r = 0; r < 10; r++) {
KK__UNROLL
		for (int s = 0; s < 2; s++) {
			kk_v8u hi0, lo0, hi1, lo1;
			kk__mulhilo8(c[s][0], KK_PHILOX_M0, &hi0, &lo0);
			kk__mulhilo8(c[s][2], KK_PHILOX_M1, &hi1, &lo1);
			c[s][0] = hi1 ^ c[s][1] ^ k0;
			c[s][1] = lo1;
			c[s][2] = hi0 ^ c[s][3] ^ k1;
			c[s][3] = lo0;
		}
		k0 += KK_PHILOX_W0;
		k1 += KK_PHILOX_W1;
	}
}

/* Words of 8 blocks (w[k] lane b = word k of block b) in element order:
 * e[j] lane l = word (8j + l) % 4 of block (8j + l) / 4. */
static inline void kk__philox8_order(const kk_v8u w[4], kk_v8u e[4])
{
	kk_v8u t0 = __builtin_shufflevector(w[0], w[1], 0, 8, 1, 9, 4, 12, 5, 13);
	kk_v8u t1 = __builtin_shufflevector(w[0], w[1], 2, 10, 3, 11, 6, 14, 7, 15);
	kk_v8u t2 = __builtin_shufflevector(w[2], w[3], 0, 8, 1, 9, 4, 12, 5, 13);
	kk_v8u t3 = __builtin_shufflevector(w[2], w[3], 2, 10, 3, 11, 6, 14, 7, 15);
	kk_v8u s0 = __builtin_shufflevector(t0, t2, 0, 1, 8, 9, 4, 5, 12, 13);   /* blocks 0|4 */
	kk_v8u s1 = __builtin_shufflevector(t0, t2, 2, 3, 10, 11, 6, 7, 14, 15); /* 1|5 */
	kk_v8u s2 = __builtin_shufflevector(t1, t3, 0, 1, 8, 9, 4, 5, 12, 13);   /* 2|6 */
	kk_v8u s3 = __builtin_shufflevector(t1, t3, 2, 3, 10, 11, 6, 7, 14, 15); /* 3|7 */
	e[0] = __builtin_shufflevector(s0, s1, 0, 1, 2, 3, 8, 9, 10, 11);
	e[1] = __builtin_shufflevector(s2, s3, 0, 1, 2, 3, 8, 9, 10, 11);
	e[2] = __builtin_shufflevector(s0, s1, 4, 5, 6, 7, 12, 13, 14, 15);
	e[3] = __builtin_shufflevector(s2, s3, 4, 5, 6, 7, 12, 13, 14, 15);
}

/* u[i] = the word of element 4*b0 + i (i < 64): blocks b0 .. b0+15 of
 * counter (block lo, block hi, node, sample). */
static inline void kk__philox_words64(uint64_t seed, uint32_t node, uint32_t sample,
	uint64_t b0, uint32_t u[64])
{
	const kk_v8u lane = {0, 1, 2, 3, 4, 5, 6, 7};
	kk_v8u c[2][4];
	for (int s = 0; s < 2; s++) {
		uint64_t b = b0 + 8 * (uint64_t)s;
		c[s][0] = (kk_v8u){0} + (uint32_t)b + lane;
		/* the block number's high word, plus the carry where lo wrapped */
		c[s][1] = (kk_v8u){0} + (uint32_t)(b >> 32) - (kk_v8u)(c[s][0] < lane);
		c[s][2] = (kk_v8u){0} + node;
		c[s][3] = (kk_v8u){0} + sample;
	}
	kk__philox16(c, seed);
	for (int s = 0; s < 2; s++) {
		kk_v8u e[4];
		kk__philox8_order(c[s], e);
		memcpy(u + 32 * s, e, sizeof e);
	}
}

#endif
