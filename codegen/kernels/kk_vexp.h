/* kk_vexp.h — an expf that LLVM can vectorise (libm's expf is an opaque
 * call, one element at a time). Cody-Waite reduction x = k*ln2 + r, |r| <=
 * ln2/2, then a degree-6 polynomial for e^r (the classic Cephes
 * coefficients, about 1 ulp) and 2^k through the exponent bits. Inputs
 * above 88.72 give +inf, below -87.33 give 0 (results there would be
 * denormal: flushed), NaN stays NaN. */
#ifndef KK_VEXP_H
#define KK_VEXP_H

#include <math.h>
#include <stdint.h>
#include <string.h>

static inline float kk__expf(float x)
{
	if (x != x)
		return x;
	if (x > 88.72283f)
		return INFINITY;
	if (x < -87.33654f)
		return 0.0f;
	float k = rintf(x * 1.44269504088896341f);
	float r = x - k * 0.693359375f;
	r = r - k * -2.12194440e-4f;
	float p = 1.9875691500e-4f;
	p = p * r + 1.3981999507e-3f;
	p = p * r + 8.3334519073e-3f;
	p = p * r + 4.1665795894e-2f;
	p = p * r + 1.6666665459e-1f;
	p = p * r + 5.0000001201e-1f;
	float e = p * r * r + r + 1.0f;
	int32_t bits = ((int32_t)k + 127) << 23;   /* k in [-126, 128] */
	float s;
	memcpy(&s, &bits, sizeof s);
	/* k == 128 (x just below 88.72): 2^128 overflows the exponent field;
	 * take 2^127 and double the polynomial instead */
	if (k > 127.0f) {
		bits = 254 << 23;
		memcpy(&s, &bits, sizeof s);
		e *= 2.0f;
	}
	return e * s;
}

#endif
