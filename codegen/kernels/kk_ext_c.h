/* kk_ext_c.h — kernels of "ops wave C": the recurrent layers RNN, GRU and
 * LSTM (one kernel, kk_rnn), GridSample and the training optimizers Adam,
 * Adagrad and Momentum (ai.onnx.preview.training). Linked as bitcode into
 * compiled models like kk_math.h; same conventions: ctx may be NULL, dtype
 * codes are KK_DT_* of kk_math.h (F32 or F64 here), counts/dims int64_t. */
#ifndef KK_EXT_C_H
#define KK_EXT_C_H

#include <stdint.h>
#include "kiln_abi.h"

/* Recurrent cell kinds. */
enum { KK_RNN_SIMPLE, KK_RNN_GRU, KK_RNN_LSTM };

/* Activation codes for kk_rnn (ONNX RNN/GRU/LSTM "activations" strings). */
enum {
	KK_ACT_RELU, KK_ACT_TANH, KK_ACT_SIGMOID, KK_ACT_AFFINE, KK_ACT_LEAKYRELU,
	KK_ACT_THRESHOLDEDRELU, KK_ACT_SCALEDTANH, KK_ACT_HARDSIGMOID, KK_ACT_ELU,
	KK_ACT_SOFTSIGN, KK_ACT_SOFTPLUS
};

/* Static description of one recurrent node (all sizes known at compile time
 * except that the kernel reads them from here at run time). */
typedef struct {
	int32_t kind;        /* KK_RNN_* */
	int32_t dtype;       /* KK_DT_F32 or KK_DT_F64 (every tensor alike) */
	int32_t ndir;        /* 1 or 2 */
	int32_t reverse;     /* 1: the single direction runs backwards */
	int32_t layout;      /* 0: X [T,B,I], Y [T,D,B,H]; 1: X [B,T,I], Y [B,T,D,H] */
	int32_t lbr;         /* GRU linear_before_reset */
	int32_t input_forget;/* LSTM input_forget (f = 1 - i) */
	int32_t has_clip;
	double clip;         /* pre-activation clip threshold when has_clip */
	int64_t T, B, I, H;
	int32_t act[6];      /* per direction: f, g, h (unused slots ignored) */
	double alpha[6], beta[6];
} kk_rnn_desc;

/* One RNN/GRU/LSTM layer, ONNX semantics (opset 7-14). Tensors: X, W
 * [D, G*H, I], R [D, G*H, H] (G = 1, 3 or 4 gates in ONNX order), Bias
 * [D, 2*G*H] or NULL (zero), seq_lens int32 [B] or NULL (all T), h0/c0
 * [D,B,H] (layout 1: [B,D,H]) or NULL (zero), P [D, 3H] (LSTM peepholes
 * i, o, f) or NULL. Outputs Y, Yh, Yc may each be NULL. Steps past a batch
 * entry's length write zeros to Y and leave the state as it was. Returns
 * KILN_RUN_VALUE when a sequence length is outside [0, T]. */
int32_t kk_rnn(kiln_rt_ctx *ctx, const kk_rnn_desc *d, const void *X, const void *W,
               const void *R, const void *Bias, const int32_t *seq_lens, const void *h0,
               const void *c0, const void *P, void *Y, void *Yh, void *Yc);

/* GridSample modes and padding modes (ONNX opset 16 strings). */
enum { KK_GS_BILINEAR, KK_GS_NEAREST, KK_GS_BICUBIC };
enum { KK_GS_ZEROS, KK_GS_BORDER, KK_GS_REFLECTION };

/* GridSample: X [N, C, H, W], grid [N, Ho, Wo, 2] holding (x, y) in [-1, 1]
 * (align_corners: -1 and 1 are the centres of the corner pixels, else their
 * outer edges), Y [N, C, Ho, Wo]. Nearest rounds half to even; bicubic uses
 * A = -0.75 and applies the padding mode to each of the 16 taps. dtype F32
 * or F64 (X, grid and Y alike). */
void kk_grid_sample(kiln_rt_ctx *ctx, int32_t dtype, const void *X, const void *grid,
                    void *Y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t Ho,
                    int64_t Wo, int32_t mode, int32_t padding, int32_t align_corners);

/* Optimizers (ai.onnx.preview.training, opset 1) on one tensor of n elements.
 * r is the learning-rate scalar (dtype), t the iteration count (int64
 * scalar); both are read at run time. dtype F32 or F64; outputs may alias
 * their inputs; an output pointer may be NULL (not computed). */

/* Adagrad: g' = norm*x + g; h' = h + g'^2; x' = x - r/(1+t*decay) * g' /
 * (sqrt(h') + eps). */
void kk_adagrad(kiln_rt_ctx *ctx, int32_t dtype, const void *r, const int64_t *t,
                const void *x, const void *g, const void *h, void *x_new, void *h_new,
                int64_t n, double norm, double eps, double decay);

/* Momentum: g' = norm*x + g; v' = alpha*v + (t > 0 ? beta : 1)*g';
 * standard: x' = x - r*v'; nesterov: x' = x - r*(g' + alpha*v'). */
void kk_momentum(kiln_rt_ctx *ctx, int32_t dtype, const void *r, const int64_t *t,
                 const void *x, const void *g, const void *v, void *x_new, void *v_new,
                 int64_t n, double norm, double alpha, double beta, int32_t nesterov);

/* Adam: g' = norm*x + g; v' = alpha*v + (1-alpha)*g'; h' = beta*h +
 * (1-beta)*g'^2; r' = t > 0 ? r*sqrt(1-beta^t)/(1-alpha^t) : r;
 * x' = (1 - norm_post) * (x - r' * v' / (sqrt(h') + eps)). */
void kk_adam(kiln_rt_ctx *ctx, int32_t dtype, const void *r, const int64_t *t,
             const void *x, const void *g, const void *v, const void *h, void *x_new,
             void *v_new, void *h_new, int64_t n, double norm, double norm_post,
             double alpha, double beta, double eps);

#endif
