/* math_cast.c — Cast between every dtype kiln supports (numeric, BOOL, IEEE
 * half, bfloat16), plus the scalar half/bfloat16 conversions. One loop per
 * (from, to) pair, chosen by two switches outside the loops. */
#include <math.h>
#include "math_internal.h"

static inline float bits_f32(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }
static inline uint32_t f32_bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }

/* Branch-free so loops of it vectorise: the 15 magnitude bits shifted into
 * a float and scaled by 2^112 give normals and subnormals exactly; exponent 31
 * (inf/NaN) is patched with a select. */
float kk_f16_to_f32(uint16_t h)
{
	uint32_t sign = (uint32_t)(h & 0x8000) << 16, mag = (uint32_t)(h & 0x7fff) << 13;
	float v = bits_f32(mag) * 0x1p112f;
	uint32_t u = (h & 0x7c00) == 0x7c00 ? (mag | 0x7f800000u) : f32_bits(v);
	return bits_f32(u | sign);
}

/* Round to nearest even, overflow to inf, NaN to quiet NaN. */
uint16_t kk_f64_to_f16(double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	uint16_t sign = (uint16_t)((u >> 48) & 0x8000);
	double a = fabs(d);
	if (a != a)
		return sign | 0x7e00;
	if (a >= 65520.0)           /* halfway between 65504 and 2^16 rounds up */
		return sign | 0x7c00;
	if (a < 0x1p-14)            /* subnormal: integer multiple of 2^-24 */
		return sign | (uint16_t)rint(a * 0x1p24);
	int32_t e = (int32_t)((u >> 52) & 0x7ff) - 1023;
	uint64_t m = u & 0xfffffffffffffull;
	uint64_t keep = m >> 42, rem = m & ((1ull << 42) - 1), half = 1ull << 41;
	uint32_t h = ((uint32_t)(e + 15) << 10) + (uint32_t)keep;
	if (rem > half || (rem == half && (keep & 1)))
		h++;                    /* carry into the exponent is correct */
	return sign | (uint16_t)h;
}

uint16_t kk_f32_to_f16(float f) { return kk_f64_to_f16((double)f); }

float kk_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }

/* Truncation, as the ONNX 1.12 reference (and its backend test data) does;
 * NaN stays NaN. */
uint16_t kk_f32_to_bf16(float f)
{
	uint32_t u = f32_bits(f);
	if (f != f)
		return (uint16_t)((u >> 16) | 0x40);
	return (uint16_t)(u >> 16);
}

/* Readers: storage value -> C arithmetic value. */
#define KK_RD_NUM(v) (v)
#define KK_RD_F16(v) kk_f16_to_f32(v)
#define KK_RD_BF16(v) kk_bf16_to_f32(v)

#define KK_CAST_LOOP(TT, E) { \
	TT *restrict yp = y; \
	for (int64_t i = 0; i < n; i++) yp[i] = (E); \
	break; }

/* Every destination for one source type whose reader is RD. */
#define KK_CAST_TO_ALL(RD) \
	switch (to) { \
	case KK_DT_F32: KK_CAST_LOOP(float, (float)RD(xp[i])) \
	case KK_DT_F64: KK_CAST_LOOP(double, (double)RD(xp[i])) \
	case KK_DT_U8: KK_CAST_LOOP(uint8_t, (uint8_t)RD(xp[i])) \
	case KK_DT_I8: KK_CAST_LOOP(int8_t, (int8_t)RD(xp[i])) \
	case KK_DT_U16: KK_CAST_LOOP(uint16_t, (uint16_t)RD(xp[i])) \
	case KK_DT_I16: KK_CAST_LOOP(int16_t, (int16_t)RD(xp[i])) \
	case KK_DT_U32: KK_CAST_LOOP(uint32_t, (uint32_t)RD(xp[i])) \
	case KK_DT_I32: KK_CAST_LOOP(int32_t, (int32_t)RD(xp[i])) \
	case KK_DT_U64: KK_CAST_LOOP(uint64_t, (uint64_t)RD(xp[i])) \
	case KK_DT_I64: KK_CAST_LOOP(int64_t, (int64_t)RD(xp[i])) \
	case KK_DT_BOOL: KK_CAST_LOOP(uint8_t, (uint8_t)(RD(xp[i]) != 0)) \
	case KK_DT_F16: KK_CAST_LOOP(uint16_t, kk_f64_to_f16((double)RD(xp[i]))) \
	case KK_DT_BF16: KK_CAST_LOOP(uint16_t, kk_f32_to_bf16((float)RD(xp[i]))) \
	default: assert(!"kk_cast: unsupported destination dtype"); \
	}

#define KK_CAST_FROM(NAME, T, RD) \
static void cast_from_##NAME(int32_t to, const T *restrict xp, void *y, int64_t n) \
{ \
	KK_CAST_TO_ALL(RD) \
}
KK_CAST_FROM(f32, float, KK_RD_NUM)
KK_CAST_FROM(f64, double, KK_RD_NUM)
KK_CAST_FROM(u8, uint8_t, KK_RD_NUM)
KK_CAST_FROM(i8, int8_t, KK_RD_NUM)
KK_CAST_FROM(u16, uint16_t, KK_RD_NUM)
KK_CAST_FROM(i16, int16_t, KK_RD_NUM)
KK_CAST_FROM(u32, uint32_t, KK_RD_NUM)
KK_CAST_FROM(i32, int32_t, KK_RD_NUM)
KK_CAST_FROM(u64, uint64_t, KK_RD_NUM)
KK_CAST_FROM(i64, int64_t, KK_RD_NUM)
KK_CAST_FROM(f16, uint16_t, KK_RD_F16)
KK_CAST_FROM(bf16, uint16_t, KK_RD_BF16)

void kk_cast(kiln_rt_ctx *ctx, int32_t from, int32_t to, const void *x, void *y, int64_t n)
{
	switch (from) {
	case KK_DT_F32: cast_from_f32(to, x, y, n); break;
	case KK_DT_F64: cast_from_f64(to, x, y, n); break;
	case KK_DT_U8: case KK_DT_BOOL: cast_from_u8(to, x, y, n); break;
	case KK_DT_I8: cast_from_i8(to, x, y, n); break;
	case KK_DT_U16: cast_from_u16(to, x, y, n); break;
	case KK_DT_I16: cast_from_i16(to, x, y, n); break;
	case KK_DT_U32: cast_from_u32(to, x, y, n); break;
	case KK_DT_I32: cast_from_i32(to, x, y, n); break;
	case KK_DT_U64: cast_from_u64(to, x, y, n); break;
	case KK_DT_I64: cast_from_i64(to, x, y, n); break;
	case KK_DT_F16: cast_from_f16(to, x, y, n); break;
	case KK_DT_BF16: cast_from_bf16(to, x, y, n); break;
	default: assert(!"kk_cast: unsupported source dtype");
	}
}
