/* ext_d.c — kernels of "ops wave D" (contracts in kk_ext_d.h): linear
 * quantisation, integer / quantised matmul and convolution, naive O(n^2)
 * DFT and STFT in double, cosine windows and the mel filter bank. Elements
 * of the few integer dtypes are read and written through small switches. */
#include <assert.h>
#include <math.h>
#include <string.h>
#include "kk_elem.h"
#include "kk_ext_d.h"
#include "kk_math.h"

#define KK_PI 3.14159265358979323846

static int32_t kk__qget(int32_t dt, const void *p, int64_t i)
{
	if (!p)
		return 0;
	switch (dt) {
	case KK_DT_U8: return ((const uint8_t *)p)[i];
	case KK_DT_I8: return ((const int8_t *)p)[i];
	case KK_DT_I32: return ((const int32_t *)p)[i];
	default: assert(!"kk_ext_d: bad quantised dtype"); return 0;
	}
}

/* Saturates the rounded value v to dt (U8 or I8) and stores it. */
static void kk__qset(int32_t dt, void *p, int64_t i, float v)
{
	float lo = dt == KK_DT_U8 ? 0.0f : -128.0f, hi = dt == KK_DT_U8 ? 255.0f : 127.0f;
	v = v != v ? 0.0f : v < lo ? lo : v > hi ? hi : v; /* NaN: 0, not UB */
	if (dt == KK_DT_U8)
		((uint8_t *)p)[i] = (uint8_t)v;
	else
		((int8_t *)p)[i] = (int8_t)v;
}

static int64_t kk__iget(int32_t dt, const void *p)
{
	switch (dt) {
	case KK_DT_I32: return *(const int32_t *)p;
	case KK_DT_I64: return *(const int64_t *)p;
	default: assert(!"kk_ext_d: bad int dtype"); return 0;
	}
}

/* ---- linear quantisation ---- */

void kk_quantize(kiln_rt_ctx *ctx, const float *x, const float *scale, const void *zp,
		 int32_t zdt, void *y, int64_t outer, int64_t len, int64_t inner,
		 int32_t per_axis)
{
	(void)ctx;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t a = 0; a < len; a++) {
			int64_t q = per_axis ? a : 0, base = (o * len + a) * inner;
			float s = scale[q], z = (float)kk__qget(zdt, zp, q);
			for (int64_t i = 0; i < inner; i++)
				kk__qset(zdt, y, base + i, rintf(x[base + i] / s) + z);
		}
}

void kk_dequantize(kiln_rt_ctx *ctx, int32_t xdt, const void *x, const float *scale,
		   const void *zp, float *y, int64_t outer, int64_t len, int64_t inner,
		   int32_t per_axis)
{
	(void)ctx;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t a = 0; a < len; a++) {
			int64_t q = per_axis ? a : 0, base = (o * len + a) * inner;
			float s = scale[q];
			int32_t z = kk__qget(xdt, zp, q);
			for (int64_t i = 0; i < inner; i++)
				y[base + i] = (float)(kk__qget(xdt, x, base + i) - z) * s;
		}
}

void kk_dynquant(kiln_rt_ctx *ctx, const float *x, uint8_t *y, float *scale, uint8_t *zp,
		 int64_t n)
{
	(void)ctx;
	float lo = 0.0f, hi = 0.0f;
	for (int64_t i = 0; i < n; i++) {
		lo = x[i] < lo ? x[i] : lo;
		hi = x[i] > hi ? x[i] : hi;
	}
	float s = (hi - lo) / 255.0f;
	*scale = s;
	if (s == 0.0f) {
		*zp = 0;
		memset(y, 0, (size_t)n);
		return;
	}
	kk__qset(KK_DT_U8, zp, 0, rintf((0.0f - lo) / s));
	float z = (float)*zp;
	for (int64_t i = 0; i < n; i++)
		kk__qset(KK_DT_U8, y, i, rintf(x[i] / s) + z);
}

/* ---- integer matmul / convolution ---- */

/* Stores accumulator acc at y[i]: int32, or requantised for (row r, col c). */
static void kk__store(void *y, int64_t i, int32_t acc, int64_t r, int64_t c,
		      KK_REQUANT_PARAMS)
{
	if (!ys) {
		((int32_t *)y)[i] = acc;
		return;
	}
	float m = as[as_n > 1 ? r : 0] * bs[bs_n > 1 ? c : 0];
	float v = rintf((float)acc * m / ys[0]) + (float)kk__qget(ydt, yzp, 0);
	kk__qset(ydt, y, i, v);
}

void kk_qmatmul(kiln_rt_ctx *ctx, int32_t adt, const void *a, const void *azp, int64_t azp_n,
		int32_t bdt, const void *b, const void *bzp, int64_t bzp_n, void *y,
		int64_t batch, int64_t M, int64_t K, int64_t N, int64_t a_bs, int64_t b_bs,
		KK_REQUANT_PARAMS)
{
	(void)ctx;
	for (int64_t p = 0; p < batch; p++)
		for (int64_t m = 0; m < M; m++) {
			int32_t za = kk__qget(adt, azp, azp_n > 1 ? m : 0);
			for (int64_t nn = 0; nn < N; nn++) {
				int32_t zb = kk__qget(bdt, bzp, bzp_n > 1 ? nn : 0), acc = 0;
				for (int64_t k = 0; k < K; k++)
					acc += (kk__qget(adt, a, p * a_bs + m * K + k) - za) *
					       (kk__qget(bdt, b, p * b_bs + k * N + nn) - zb);
				kk__store(y, (p * M + m) * N + nn, acc, m, nn, as, as_n, bs, bs_n,
					  ys, yzp, ydt);
			}
		}
}

/* One output element of kk_qconv: batch b, channel m, position (oh, ow). */
static int32_t kk__qconv_at(int32_t xdt, const void *x, int32_t zx, int32_t wdt,
			    const void *w, int32_t zw, const int64_t *g, int64_t b,
			    int64_t m, int64_t oh, int64_t ow)
{
	int64_t C = g[KK_QC_C], H = g[KK_QC_H], W = g[KK_QC_W];
	int64_t cg = C / g[KK_QC_GROUP], mg = g[KK_QC_M] / g[KK_QC_GROUP];
	int64_t kh = g[KK_QC_KH], kw = g[KK_QC_KW], c0 = (m / mg) * cg;
	int32_t acc = 0;
	for (int64_t c = 0; c < cg; c++)
		for (int64_t i = 0; i < kh; i++) {
			int64_t ih = oh * g[KK_QC_SH] - g[KK_QC_PH] + i * g[KK_QC_DH];
			if (ih < 0 || ih >= H)
				continue;
			for (int64_t j = 0; j < kw; j++) {
				int64_t iw = ow * g[KK_QC_SW] - g[KK_QC_PW] + j * g[KK_QC_DW];
				if (iw < 0 || iw >= W)
					continue;
				int64_t xi = ((b * C + c0 + c) * H + ih) * W + iw;
				int64_t wi = ((m * cg + c) * kh + i) * kw + j;
				acc += (kk__qget(xdt, x, xi) - zx) * (kk__qget(wdt, w, wi) - zw);
			}
		}
	return acc;
}

void kk_qconv(kiln_rt_ctx *ctx, int32_t xdt, const void *x, const void *xzp, int32_t wdt,
	      const void *w, const void *wzp, int64_t wzp_n, const int32_t *bias, void *y,
	      const int64_t *g, KK_REQUANT_PARAMS)
{
	(void)ctx;
	int64_t M = g[KK_QC_M], OH = g[KK_QC_OH], OW = g[KK_QC_OW];
	int32_t zx = kk__qget(xdt, xzp, 0);
	for (int64_t b = 0; b < g[KK_QC_N]; b++)
		for (int64_t m = 0; m < M; m++) {
			int32_t zw = kk__qget(wdt, wzp, wzp_n > 1 ? m : 0);
			for (int64_t oh = 0; oh < OH; oh++)
				for (int64_t ow = 0; ow < OW; ow++) {
					int32_t acc = kk__qconv_at(xdt, x, zx, wdt, w, zw, g, b, m,
								   oh, ow);
					if (bias)
						acc += bias[m];
					kk__store(y, ((b * M + m) * OH + oh) * OW + ow, acc, 0, m,
						  as, as_n, bs, bs_n, ys, yzp, ydt);
				}
		}
}

/* ---- DFT / STFT ---- */

/* One DFT bin k of length L over the n samples at x (stride st elements,
 * cin components, times window w when non-NULL). sign -1 forward, +1 inverse. */
static void kk__bin(int32_t dt, const void *x, int64_t off, int64_t st, int32_t cin,
		    int64_t n, const void *w, int64_t L, int64_t k, int sign, double *re,
		    double *im)
{
	double sr = 0, si = 0;
	for (int64_t t = 0; t < n; t++) {
		double xr = kk_elem_get(dt, x, off + t * st * cin);
		double xi = cin == 2 ? kk_elem_get(dt, x, off + t * st * cin + 1) : 0.0;
		if (w) {
			double wv = kk_elem_get(dt, w, t);
			xr *= wv;
			xi *= wv;
		}
		double ang = sign * 2.0 * KK_PI * (double)((k * t) % L) / (double)L;
		double c = cos(ang), s = sin(ang);
		sr += xr * c - xi * s;
		si += xr * s + xi * c;
	}
	*re = sr;
	*im = si;
}

void kk_dft(kiln_rt_ctx *ctx, int32_t dt, const void *x, void *y, int64_t outer,
	    int64_t n_in, int64_t inner, int32_t cin, int64_t L, int64_t nout,
	    int32_t inverse)
{
	(void)ctx;
	int64_t n = n_in < L ? n_in : L;
	double norm = inverse ? 1.0 / (double)L : 1.0;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t i = 0; i < inner; i++)
			for (int64_t k = 0; k < nout; k++) {
				double re, im;
				kk__bin(dt, x, (o * n_in * inner + i) * cin, inner, cin, n, NULL,
					L, k, inverse ? 1 : -1, &re, &im);
				int64_t yi = ((o * nout + k) * inner + i) * 2;
				kk_elem_set(dt, y, yi, re * norm);
				kk_elem_set(dt, y, yi + 1, im * norm);
			}
}

void kk_stft(kiln_rt_ctx *ctx, int32_t dt, const void *signal, const void *window, void *y,
	     int64_t batch, int64_t siglen, int32_t cin, int64_t step, int64_t flen,
	     int64_t nframes, int64_t bins)
{
	(void)ctx;
	for (int64_t b = 0; b < batch; b++)
		for (int64_t f = 0; f < nframes; f++)
			for (int64_t k = 0; k < bins; k++) {
				double re, im;
				kk__bin(dt, signal, (b * siglen + f * step) * cin, 1, cin, flen,
					window, flen, k, -1, &re, &im);
				int64_t yi = ((b * nframes + f) * bins + k) * 2;
				kk_elem_set(dt, y, yi, re);
				kk_elem_set(dt, y, yi + 1, im);
			}
}

/* ---- windows and mel filters ---- */

void kk_window(kiln_rt_ctx *ctx, int32_t kind, int32_t ydt, void *y, int64_t n,
	       int32_t periodic)
{
	(void)ctx;
	double D = (double)(periodic ? n : n - 1);
	for (int64_t i = 0; i < n; i++) {
		double x = D > 0 ? 2.0 * KK_PI * (double)i / D : 0.0, v;
		switch (kind) {
		case KK_WIN_HANN: v = 0.5 - 0.5 * cos(x); break;
		case KK_WIN_HAMMING: v = 25.0 / 46.0 - 21.0 / 46.0 * cos(x); break;
		default: v = 0.42 - 0.5 * cos(x) + 0.08 * cos(2.0 * x); break;
		}
		kk_elem_set(ydt, y, i, D > 0 ? v : 1.0);
	}
}

/* Mel point p of nmel + 2 between lo and hi hertz, as a spectrogram bin. */
static int64_t kk__mel_bin(int64_t p, int64_t nmel, double lo, double hi, int64_t L,
			   double rate)
{
	double mlo = 2595.0 * log10(1.0 + lo / 700.0), mhi = 2595.0 * log10(1.0 + hi / 700.0);
	double mel = (double)p * (mhi - mlo) / (double)(nmel + 2) + mlo;
	double hz = 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
	return (int64_t)floor((double)(L + 1) * hz / rate);
}

int32_t kk_mel(kiln_rt_ctx *ctx, int32_t ydt, void *y, int64_t rows, int64_t nmel,
	       int32_t idt, const void *dft_length, int32_t sdt, const void *sample_rate,
	       int32_t fdt, const void *lower, const void *upper)
{
	(void)ctx;
	int64_t L = kk__iget(idt, dft_length);
	double rate = (double)kk__iget(sdt, sample_rate);
	double lo = kk_elem_get(fdt, lower, 0), hi = kk_elem_get(fdt, upper, 0);
	if (L / 2 + 1 != rows || rate <= 0)
		return KILN_RUN_VALUE;
	for (int64_t i = 0; i < rows * nmel; i++)
		kk_elem_set(ydt, y, i, 0.0);
	for (int64_t m = 0; m < nmel; m++) {
		int64_t l = kk__mel_bin(m, nmel, lo, hi, L, rate);
		int64_t c = kk__mel_bin(m + 1, nmel, lo, hi, L, rate);
		int64_t h = kk__mel_bin(m + 2, nmel, lo, hi, L, rate);
		if (l < 0 || c < l || h < c || c >= rows || h > rows)
			return KILN_RUN_VALUE;
		if (c == l)
			kk_elem_set(ydt, y, c * nmel + m, 1.0);
		for (int64_t j = l; c > l && j <= c; j++)
			kk_elem_set(ydt, y, j * nmel + m, (double)(j - l) / (double)(c - l));
		for (int64_t j = c; j < h; j++)
			kk_elem_set(ydt, y, j * nmel + m, (double)(h - j) / (double)(h - c));
	}
	return KILN_RUN_OK;
}
