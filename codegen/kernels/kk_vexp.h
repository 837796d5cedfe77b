/* kk_vexp.h — an expf that LLVM can vectorise (libm's expf is an opaque
 * call, one element at a time). Cody-Waite reduction x = k*ln2 + r, |r| <=
 * ln2/2, then a degree-6 polynomial for e^r (the classic Cephes
 * coefficients, about 1 ulp) and 2^k through the exponent bits. Inputs
 * above 88.72 give +inf, below -87.33 give 0 (results there would be
 * denormal: flushed), NaN stays NaN. Branch-free (the special cases are
 * selects), so a loop of calls vectorises, once inlined: always, since
 * LLVM's inliner left a Softmax's calls in place in some builds of the same
 * model and not others (by the size of the function it landed in), and that
 * Softmax ran 6x slower (a transformer 12%). */
#ifndef KK_VEXP_H
#define KK_VEXP_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline __attribute__((always_inline)) float kk__expf(float x)
{
	/* clamped so every lane's arithmetic stays finite; NaN goes through */
	float xc = x > 88.72283f ? 88.72283f : x;
	xc = xc < -87.33654f ? -87.33654f : xc;
	float k = rintf(xc * 1.44269504088896341f);
	float r = xc - k * 0.693359375f;
	r = r - k * -2.12194440e-4f;
	float p = 1.9875691500e-4f;
	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	float e = p * r * r + r + 1.0f;
	/* k in [-126, 128]; 2^128 overflows the exponent field: take 2^127 and
	 * double the polynomial instead */
	e = k > 127.0f ? e * 2.0f : e;
	float kc = k > 127.0f ? 127.0f : k;
	int32_t bits = ((int32_t)kc + 127) << 23;
	float s;
	memcpy(&s, &bits, sizeof s);
	float y = e * s;
	y = x > 88.72283f ? INFINITY : y;
	y = x < -87.33654f ? 0.0f : y;
	return x != x ? x : y;
}

#endif
