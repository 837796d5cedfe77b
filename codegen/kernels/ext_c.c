/* ext_c.c — kernels of "ops wave C" (contracts in kk_ext_c.h): one generic
 * recurrent-layer kernel for RNN/GRU/LSTM (one batch row at a time, state in
 * a small stack buffer), GridSample (PyTorch-compatible coordinate rules) and
 * the Adam/Adagrad/Momentum updates. Arithmetic is in double; elements are
 * read and written as F32 or F64 by a dtype test LLVM folds per call site. */
#include <assert.h>
#include <math.h>
#include <string.h>
#include "kk_ext_c.h"
#include "kk_math.h"

static inline double kk__ld(int32_t dt, const void *p, int64_t i)
{
	return dt == KK_DT_F64 ? ((const double *)p)[i] : (double)((const float *)p)[i];
}

static inline void kk__st(int32_t dt, void *p, int64_t i, double v)
{
	if (dt == KK_DT_F64)
		((double *)p)[i] = v;
	else
		((float *)p)[i] = (float)v;
}

/* ---- recurrent layers ---- */

static double kk__act(int32_t a, double x, double al, double be)
{
	switch (a) {
	case KK_ACT_RELU: return x > 0 ? x : 0;
	case KK_ACT_TANH: return tanh(x);
	case KK_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
	case KK_ACT_AFFINE: return al * x + be;
	case KK_ACT_LEAKYRELU: return x < 0 ? al * x : x;
	case KK_ACT_THRESHOLDEDRELU: return x > al ? x : 0;
	case KK_ACT_SCALEDTANH: return al * tanh(be * x);
	case KK_ACT_HARDSIGMOID: {
		double v = al * x + be;
		return v < 0 ? 0 : v > 1 ? 1 : v;
	}
	case KK_ACT_ELU: return x < 0 ? al * (exp(x) - 1) : x;
	case KK_ACT_SOFTSIGN: return x / (1 + fabs(x));
	case KK_ACT_SOFTPLUS: return log1p(exp(x));
	default: assert(!"kk_rnn: bad activation"); return 0;
	}
}

/* Activation k (0 = f, 1 = g, 2 = h) of direction dir, with the clip. */
static double kk__gate(const kk_rnn_desc *d, int dir, int k, double x, int clip)
{
	if (clip && d->has_clip)
		x = x < -d->clip ? -d->clip : x > d->clip ? d->clip : x;
	int j = dir * 3 + k;
	return kk__act(d->act[j], x, d->alpha[j], d->beta[j]);
}

/* out[k] = sum_j M[k][j] * v[j] (+ bias[k]) for k < rows; M rows of len cols. */
static void kk__matvec(int32_t dt, const void *M, int64_t moff, const double *v,
		       int64_t rows, int64_t cols, const void *bias, int64_t boff,
		       double *out)
{
	for (int64_t k = 0; k < rows; k++) {
		double s = bias ? kk__ld(dt, bias, boff + k) : 0;
		for (int64_t j = 0; j < cols; j++)
			s += kk__ld(dt, M, moff + k * cols + j) * v[j];
		out[k] = s;
	}
}

/* One time step of batch row b: x (I), h and c (H) updated in place;
 * gx/gh scratch of G*H, tmp of H. */
static void kk__rnn_step(const kk_rnn_desc *d, int dir, const void *W, const void *R,
			 const void *Bias, const void *P, const double *x, double *h,
			 double *c, double *gx, double *gh, double *tmp)
{
	int32_t dt = d->dtype;
	int64_t H = d->H, I = d->I;
	int64_t G = d->kind == KK_RNN_LSTM ? 4 : d->kind == KK_RNN_GRU ? 3 : 1;
	int64_t woff = dir * G * H * I, roff = dir * G * H * H, boff = dir * 2 * G * H;
	kk__matvec(dt, W, woff, x, G * H, I, Bias, boff, gx);
	if (d->kind == KK_RNN_SIMPLE) {
		kk__matvec(dt, R, roff, h, H, H, Bias, boff + G * H, gh);
		for (int64_t j = 0; j < H; j++)
			h[j] = kk__gate(d, dir, 0, gx[j] + gh[j], 1);
	} else if (d->kind == KK_RNN_GRU) {
		/* gates z, r, h; gh holds R*h + Rb for z and r (and h when lbr) */
		int64_t rows = d->lbr ? 3 * H : 2 * H;
		kk__matvec(dt, R, roff, h, rows, H, Bias, boff + G * H, gh);
		for (int64_t j = 0; j < 2 * H; j++)
			gx[j] = kk__gate(d, dir, 0, gx[j] + gh[j], 1);
		const double *z = gx, *r = gx + H;
		if (!d->lbr) {
			for (int64_t j = 0; j < H; j++)
				tmp[j] = r[j] * h[j];
			kk__matvec(dt, R, roff + 2 * H * H, tmp, H, H, Bias,
				   boff + G * H + 2 * H, gh + 2 * H);
			for (int64_t j = 0; j < H; j++)
				tmp[j] = gx[2 * H + j] + gh[2 * H + j];
		} else {
			for (int64_t j = 0; j < H; j++)
				tmp[j] = gx[2 * H + j] + r[j] * gh[2 * H + j];
		}
		for (int64_t j = 0; j < H; j++) {
			double hh = kk__gate(d, dir, 1, tmp[j], 1);
			h[j] = (1 - z[j]) * hh + z[j] * h[j];
		}
	} else {
		/* gates i, o, f, c; peepholes P = [Pi, Po, Pf] */
		kk__matvec(dt, R, roff, h, G * H, H, Bias, boff + G * H, gh);
		int64_t po = dir * 3 * H;
		for (int64_t j = 0; j < H; j++) {
			double pi = P ? kk__ld(dt, P, po + j) : 0;
			double pO = P ? kk__ld(dt, P, po + H + j) : 0;
			double pf = P ? kk__ld(dt, P, po + 2 * H + j) : 0;
			double ig = kk__gate(d, dir, 0, gx[j] + gh[j] + pi * c[j], 1);
			double fg = d->input_forget ? 1 - ig :
				kk__gate(d, dir, 0, gx[2 * H + j] + gh[2 * H + j] + pf * c[j], 1);
			double cg = kk__gate(d, dir, 1, gx[3 * H + j] + gh[3 * H + j], 1);
			c[j] = fg * c[j] + ig * cg;
			double og = kk__gate(d, dir, 0, gx[H + j] + gh[H + j] + pO * c[j], 1);
			h[j] = og * kk__gate(d, dir, 2, c[j], 0);
		}
	}
}

/* Element offset of (t, dir, b, 0) in Y and of (dir, b, 0) in the states. */
static int64_t kk__yoff(const kk_rnn_desc *d, int64_t t, int64_t dir, int64_t b)
{
	if (d->layout)
		return ((b * d->T + t) * d->ndir + dir) * d->H;
	return ((t * d->ndir + dir) * d->B + b) * d->H;
}

static int64_t kk__soff(const kk_rnn_desc *d, int64_t dir, int64_t b)
{
	return (d->layout ? b * d->ndir + dir : dir * d->B + b) * d->H;
}

/* Runs direction dir over batch row b (length L). */
static void kk__rnn_row(const kk_rnn_desc *d, int dir, int64_t b, int64_t L,
			const void *X, const void *W, const void *R, const void *Bias,
			const void *h0, const void *c0, const void *P, void *Y, void *Yh,
			void *Yc, double *buf)
{
	int32_t dt = d->dtype;
	int64_t H = d->H, I = d->I, T = d->T;
	double *h = buf, *c = h + H, *tmp = c + H, *x = tmp + H, *gx = x + I, *gh = gx + 4 * H;
	int rev = d->ndir == 2 ? dir == 1 : d->reverse;
	int64_t so = kk__soff(d, dir, b);
	for (int64_t j = 0; j < H; j++) {
		h[j] = h0 ? kk__ld(dt, h0, so + j) : 0;
		c[j] = c0 ? kk__ld(dt, c0, so + j) : 0;
	}
	for (int64_t s = 0; s < L; s++) {
		int64_t t = rev ? L - 1 - s : s;
		int64_t xo = (d->layout ? b * T + t : t * d->B + b) * I;
		for (int64_t i = 0; i < I; i++)
			x[i] = kk__ld(dt, X, xo + i);
		kk__rnn_step(d, dir, W, R, Bias, P, x, h, c, gx, gh, tmp);
		if (Y)
			for (int64_t j = 0; j < H; j++)
				kk__st(dt, Y, kk__yoff(d, t, dir, b) + j, h[j]);
	}
	if (Y)
		for (int64_t t = L; t < T; t++)
			for (int64_t j = 0; j < H; j++)
				kk__st(dt, Y, kk__yoff(d, t, dir, b) + j, 0);
	for (int64_t j = 0; j < H; j++) {
		if (Yh)
			kk__st(dt, Yh, so + j, h[j]);
		if (Yc)
			kk__st(dt, Yc, so + j, c[j]);
	}
}

int32_t kk_rnn(kiln_rt_ctx *ctx, const kk_rnn_desc *d, const void *X, const void *W,
               const void *R, const void *Bias, const int32_t *seq_lens, const void *h0,
               const void *c0, const void *P, void *Y, void *Yh, void *Yc)
{
	(void)ctx;
	if (seq_lens)
		for (int64_t b = 0; b < d->B; b++)
			if (seq_lens[b] < 0 || seq_lens[b] > d->T)
				return KILN_RUN_VALUE;
	double buf[11 * d->H + d->I + 1];
	for (int dir = 0; dir < d->ndir; dir++)
		for (int64_t b = 0; b < d->B; b++)
			kk__rnn_row(d, dir, b, seq_lens ? seq_lens[b] : d->T, X, W, R, Bias,
				    h0, c0, P, Y, Yh, Yc, buf);
	return KILN_RUN_OK;
}

/* ---- GridSample ---- */

static double kk__unnorm(double g, int64_t size, int32_t ac)
{
	return ac ? (g + 1) / 2 * (double)(size - 1) : ((g + 1) * (double)size - 1) / 2;
}

static double kk__reflect(double x, double lo2, double hi2)
{
	if (lo2 == hi2)
		return 0;
	double mn = lo2 / 2, span = (hi2 - lo2) / 2;
	x = fabs(x - mn);
	double extra = fmod(x, span);
	int64_t flips = (int64_t)floor(x / span);
	return flips % 2 == 0 ? extra + mn : span - extra + mn;
}

/* Applies border / reflection padding to a source coordinate. */
static double kk__pad_coord(double x, int64_t size, int32_t pad, int32_t ac)
{
	if (pad == KK_GS_ZEROS)
		return x;
	if (pad == KK_GS_REFLECTION)
		x = ac ? kk__reflect(x, 0, 2.0 * (double)(size - 1))
		       : kk__reflect(x, -1, 2.0 * (double)size - 1);
	double hi = (double)(size - 1);
	return x < 0 ? 0 : x > hi ? hi : x;
}

/* Pixel (y, x) of plane img, zero outside. */
static double kk__pix(int32_t dt, const void *img, int64_t off, int64_t H, int64_t W,
		      int64_t y, int64_t x)
{
	if (y < 0 || y >= H || x < 0 || x >= W)
		return 0;
	return kk__ld(dt, img, off + y * W + x);
}

static void kk__cubic_coeffs(double t, double *w)
{
	const double A = -0.75;
	double x1 = t + 1, x2 = t, x3 = 1 - t, x4 = 2 - t;
	w[0] = ((A * x1 - 5 * A) * x1 + 8 * A) * x1 - 4 * A;
	w[1] = ((A + 2) * x2 - (A + 3)) * x2 * x2 + 1;
	w[2] = ((A + 2) * x3 - (A + 3)) * x3 * x3 + 1;
	w[3] = ((A * x4 - 5 * A) * x4 + 8 * A) * x4 - 4 * A;
}

static double kk__bicubic(int32_t dt, const void *X, int64_t off, int64_t H, int64_t W,
			  double ix, double iy, int32_t pad, int32_t ac)
{
	double fx = floor(ix), fy = floor(iy), wx[4], wy[4], acc = 0;
	kk__cubic_coeffs(ix - fx, wx);
	kk__cubic_coeffs(iy - fy, wy);
	for (int i = 0; i < 4; i++) {
		double yy = kk__pad_coord(fy - 1 + i, H, pad, ac), row = 0;
		for (int j = 0; j < 4; j++) {
			double xx = kk__pad_coord(fx - 1 + j, W, pad, ac);
			row += wx[j] * kk__pix(dt, X, off, H, W, (int64_t)yy, (int64_t)xx);
		}
		acc += wy[i] * row;
	}
	return acc;
}

static double kk__sample(int32_t dt, const void *X, int64_t off, int64_t H, int64_t W,
			 double gx, double gy, int32_t mode, int32_t pad, int32_t ac)
{
	double ix = kk__unnorm(gx, W, ac), iy = kk__unnorm(gy, H, ac);
	if (mode == KK_GS_BICUBIC)
		return kk__bicubic(dt, X, off, H, W, ix, iy, pad, ac);
	ix = kk__pad_coord(ix, W, pad, ac);
	iy = kk__pad_coord(iy, H, pad, ac);
	if (mode == KK_GS_NEAREST)
		return kk__pix(dt, X, off, H, W, (int64_t)nearbyint(iy), (int64_t)nearbyint(ix));
	double x0 = floor(ix), y0 = floor(iy), tx = ix - x0, ty = iy - y0;
	int64_t xi = (int64_t)x0, yi = (int64_t)y0;
	return (1 - ty) * ((1 - tx) * kk__pix(dt, X, off, H, W, yi, xi) +
			   tx * kk__pix(dt, X, off, H, W, yi, xi + 1)) +
	       ty * ((1 - tx) * kk__pix(dt, X, off, H, W, yi + 1, xi) +
		     tx * kk__pix(dt, X, off, H, W, yi + 1, xi + 1));
}

void kk_grid_sample(kiln_rt_ctx *ctx, int32_t dtype, const void *X, const void *grid,
                    void *Y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t Ho,
                    int64_t Wo, int32_t mode, int32_t padding, int32_t align_corners)
{
	(void)ctx;
	for (int64_t n = 0; n < N; n++)
		for (int64_t p = 0; p < Ho * Wo; p++) {
			int64_t go = (n * Ho * Wo + p) * 2;
			double gx = kk__ld(dtype, grid, go), gy = kk__ld(dtype, grid, go + 1);
			if (isnan(gx) || isnan(gy)) {
				for (int64_t c = 0; c < C; c++)
					kk__st(dtype, Y, (n * C + c) * Ho * Wo + p, NAN);
				continue;
			}
			for (int64_t c = 0; c < C; c++)
				kk__st(dtype, Y, (n * C + c) * Ho * Wo + p,
				       kk__sample(dtype, X, (n * C + c) * H * W, H, W, gx, gy,
						  mode, padding, align_corners));
		}
}

/* ---- optimizers ---- */

void kk_adagrad(kiln_rt_ctx *ctx, int32_t dtype, const void *r, const int64_t *t,
                const void *x, const void *g, const void *h, void *x_new, void *h_new,
                int64_t n, double norm, double eps, double decay)
{
	(void)ctx;
	double rr = kk__ld(dtype, r, 0) / (1 + (double)*t * decay);
	for (int64_t i = 0; i < n; i++) {
		double xv = kk__ld(dtype, x, i);
		double gr = norm * xv + kk__ld(dtype, g, i);
		double hn = kk__ld(dtype, h, i) + gr * gr;
		if (x_new)
			kk__st(dtype, x_new, i, xv - rr * gr / (sqrt(hn) + eps));
		if (h_new)
			kk__st(dtype, h_new, i, hn);
	}
}

void kk_momentum(kiln_rt_ctx *ctx, int32_t dtype, const void *r, const int64_t *t,
                 const void *x, const void *g, const void *v, void *x_new, void *v_new,
                 int64_t n, double norm, double alpha, double beta, int32_t nesterov)
{
	(void)ctx;
	double rr = kk__ld(dtype, r, 0), ba = *t > 0 ? beta : 1;
	for (int64_t i = 0; i < n; i++) {
		double xv = kk__ld(dtype, x, i);
		double gr = norm * xv + kk__ld(dtype, g, i);
		double vn = alpha * kk__ld(dtype, v, i) + ba * gr;
		double xn = nesterov ? xv - rr * (gr + alpha * vn) : xv - rr * vn;
		if (x_new)
			kk__st(dtype, x_new, i, xn);
		if (v_new)
			kk__st(dtype, v_new, i, vn);
	}
}

void kk_adam(kiln_rt_ctx *ctx, int32_t dtype, const void *r, const int64_t *t,
             const void *x, const void *g, const void *v, const void *h, void *x_new,
             void *v_new, void *h_new, int64_t n, double norm, double norm_post,
             double alpha, double beta, double eps)
{
	(void)ctx;
	double rr = kk__ld(dtype, r, 0);
	int64_t tt = *t;
	if (tt > 0)
		rr = rr * sqrt(1 - pow(beta, (double)tt)) / (1 - pow(alpha, (double)tt));
	for (int64_t i = 0; i < n; i++) {
		double xv = kk__ld(dtype, x, i);
		double gr = norm * xv + kk__ld(dtype, g, i);
		double vn = alpha * kk__ld(dtype, v, i) + (1 - alpha) * gr;
		double hn = beta * kk__ld(dtype, h, i) + (1 - beta) * gr * gr;
		double xn = (1 - norm_post) * (xv - rr * (vn / (sqrt(hn) + eps)));
		if (x_new)
			kk__st(dtype, x_new, i, xn);
		if (v_new)
			kk__st(dtype, v_new, i, vn);
		if (h_new)
			kk__st(dtype, h_new, i, hn);
	}
}
