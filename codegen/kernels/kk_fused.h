/* kk_fused.h — fused kernels: an elementwise activation and a training-mode
 * Dropout in one loop (passes/fuse.c makes the pattern, codegen/lower_
 * elementwise.c calls it). Same conventions as kk_math.h. */
#ifndef KK_FUSED_H
#define KK_FUSED_H

#include <stdint.h>
#include "kiln_abi.h"

/* Activations the fused Dropout applies first. */
enum { KK_ACT_NONE, KK_ACT_RELU, KK_ACT_LEAKY_RELU, KK_ACT_SIGMOID, KK_ACT_TANH };

/* y[i] = dropout(act(x[i])) for i in [0, n), bit-identical to kk_unary
 * followed by kk_dropout with the same arguments: element i is kept iff
 * Philox word u_i >= floor(ratio * 2^32) with key (seed lo, seed hi) and
 * counter (i/4 lo, i/4 hi, node_id, sample); kept values are act(x) * (1/(1-
 * ratio)) in the element type, dropped ones 0. mask (BOOL, may be NULL) gets
 * keep. alpha is LeakyRelu's slope. dtype f32 or f64. ratio outside [0, 1)
 * returns KILN_RUN_VALUE and writes nothing. */
int32_t kk_act_dropout(kiln_rt_ctx *ctx, int32_t act, float alpha, int32_t dtype,
		       const void *x, void *y, uint8_t *mask, int64_t n, float ratio,
		       uint64_t seed, uint32_t node_id, uint32_t sample);

#endif
