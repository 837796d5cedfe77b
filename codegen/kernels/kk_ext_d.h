/* kk_ext_d.h — kernels of "ops wave D": quantisation (QuantizeLinear,
 * DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, QLinearMatMul,
 * ConvInteger, QLinearConv) and signal processing (DFT, STFT, the Hann /
 * Hamming / Blackman windows, MelWeightMatrix). Same conventions as
 * kk_math.h: ctx may be NULL, dtype codes are KK_DT_*, counts int64_t. */
#ifndef KK_EXT_D_H
#define KK_EXT_D_H

#include <stdint.h>
#include "kiln_abi.h"

/* QuantizeLinear: x f32 viewed [outer, len, inner]; scale and zp (zdt U8 or
 * I8; NULL zp means 0 of type U8) have len elements when per_axis, else one.
 * y[i] = saturate(rint(x / scale) + zp) in zdt (rint: ties to even under the
 * default rounding mode). */
void kk_quantize(kiln_rt_ctx *ctx, const float *x, const float *scale, const void *zp,
                 int32_t zdt, void *y, int64_t outer, int64_t len, int64_t inner,
                 int32_t per_axis);

/* DequantizeLinear: x of xdt (U8, I8, I32) viewed [outer, len, inner];
 * y = (x - zp) * scale in f32. zp (of xdt) may be NULL (0). */
void kk_dequantize(kiln_rt_ctx *ctx, int32_t xdt, const void *x, const float *scale,
                   const void *zp, float *y, int64_t outer, int64_t len, int64_t inner,
                   int32_t per_axis);

/* DynamicQuantizeLinear: lo = min(0, min x), hi = max(0, max x),
 * scale = (hi - lo) / 255, zp = saturate(rint(-lo / scale)),
 * y = saturate(rint(x / scale) + zp), all u8 (f32 arithmetic). A constant
 * zero input gives scale 0, zp 0 and y 0. n may be 0. */
void kk_dynquant(kiln_rt_ctx *ctx, const float *x, uint8_t *y, float *scale, uint8_t *zp,
                 int64_t n);

/* Requantisation (QLinearMatMul / QLinearConv), passed as the trailing
 * arguments `as, as_n, bs, bs_n, ys, yzp, ydt`: the real value of an int32
 * accumulator acc at (row r, column c) is acc * as[ra] * bs[cb] where
 * ra = as_n > 1 ? r : 0 and cb = bs_n > 1 ? c : 0; the output is
 * saturate(rint(real / ys[0]) + yzp[0]) in ydt (U8 / I8; yzp NULL = 0).
 * ys == NULL means no requantisation: int32 accumulators are written. */
#define KK_REQUANT_PARAMS const float *as, int64_t as_n, const float *bs, int64_t bs_n, \
	const float *ys, const void *yzp, int32_t ydt

/* Integer matmul: a [batch, M, K] of adt (U8/I8) and b [batch, K, N] of bdt,
 * batch strides (elements) a_bs / b_bs (0 broadcasts). Zero points: azp has
 * azp_n elements (1, or M: one per row), bzp bzp_n (1, or N: one per column),
 * NULL means 0. acc = sum_k (a - azp) * (b - bzp). Without requantisation writes acc
 * to y as int32 [batch, M, N]; else values of ydt (rows = M, columns = N). */
void kk_qmatmul(kiln_rt_ctx *ctx, int32_t adt, const void *a, const void *azp, int64_t azp_n,
                int32_t bdt, const void *b, const void *bzp, int64_t bzp_n, void *y,
                int64_t batch, int64_t M, int64_t K, int64_t N, int64_t a_bs, int64_t b_bs,
                KK_REQUANT_PARAMS);

/* Geometry of kk_qconv (2-D; 1-D callers use H = kh = 1). */
enum { KK_QC_N, KK_QC_C, KK_QC_H, KK_QC_W, KK_QC_M, KK_QC_KH, KK_QC_KW, KK_QC_OH,
       KK_QC_OW, KK_QC_SH, KK_QC_SW, KK_QC_PH, KK_QC_PW, KK_QC_DH, KK_QC_DW,
       KK_QC_GROUP, KK_QC_COUNT };

/* Integer convolution: x [N, C, H, W] of xdt (U8/I8) with scalar zero point
 * xzp (NULL: 0), w [M, C/group, kh, kw] of wdt with wzp of wzp_n elements
 * (1 or M, NULL: 0), bias int32 [M] or NULL. Padded positions contribute
 * nothing (they equal the zero point). Without requantisation writes int32
 * [N, M, OH, OW]; else values of ydt (rows = output channel, one column). */
void kk_qconv(kiln_rt_ctx *ctx, int32_t xdt, const void *x, const void *xzp, int32_t wdt,
              const void *w, const void *wzp, int64_t wzp_n, const int32_t *bias, void *y,
              const int64_t *geom, KK_REQUANT_PARAMS);

/* DFT along the middle axis of x [outer, n_in, inner, cin] (cin 1 = real,
 * 2 = complex), dtype F32/F64 for x and y: y [outer, nout, inner, 2] with
 * y[k] = sum_{t < min(n_in, L)} x[t] e^{-+2 pi i k t / L} (divided by L and
 * with + when inverse) for k < nout (nout <= L). Sums in double. */
void kk_dft(kiln_rt_ctx *ctx, int32_t dt, const void *x, void *y, int64_t outer,
            int64_t n_in, int64_t inner, int32_t cin, int64_t L, int64_t nout,
            int32_t inverse);

/* STFT: signal [batch, siglen, cin] (F32/F64), frames f < nframes start at
 * f * step and hold flen samples times window[t] (window of the same dtype,
 * NULL = all ones): y [batch, nframes, bins, 2] = DFT of length flen of each
 * frame, bins <= flen. */
void kk_stft(kiln_rt_ctx *ctx, int32_t dt, const void *signal, const void *window, void *y,
             int64_t batch, int64_t siglen, int32_t cin, int64_t step, int64_t flen,
             int64_t nframes, int64_t bins);

/* Window kinds. */
enum { KK_WIN_HANN, KK_WIN_HAMMING, KK_WIN_BLACKMAN };

/* Generalised cosine window of size n into y of ydt (F32, F64 or any
 * integer type, values truncated): with D = periodic ? n : n - 1 and
 * x = 2 pi i / D, Hann 0.5 - 0.5 cos x, Hamming 25/46 - 21/46 cos x,
 * Blackman 0.42 - 0.5 cos x + 0.08 cos 2x. n == 1 gives 1. */
void kk_window(kiln_rt_ctx *ctx, int32_t kind, int32_t ydt, void *y, int64_t n,
               int32_t periodic);

/* MelWeightMatrix: y [dft_length / 2 + 1, nmel] of ydt. dft_length,
 * sample_rate (one element each of int dtype idt / sdt) and lower / upper
 * edges in hertz (one element each of fdt F32/F64) are read at run time.
 * Triangular filters between mel-spaced points (mel = 2595 log10(1 + f/700))
 * mapped to bins floor((dft_length + 1) * f / sample_rate). Returns
 * KILN_RUN_VALUE when dft_length does not match the output rows or a bin
 * falls outside them, or sample_rate <= 0. */
int32_t kk_mel(kiln_rt_ctx *ctx, int32_t ydt, void *y, int64_t rows, int64_t nmel,
               int32_t idt, const void *dft_length, int32_t sdt, const void *sample_rate,
               int32_t fdt, const void *lower, const void *upper);

#endif
