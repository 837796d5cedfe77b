/* kk_elem.h — one element of any numeric dtype read or written as a double,
 * for the kernels of rarely-hot ops (losses, CumSum, DFT, windows...) that
 * compute in double whatever the tensor type. Header-only, static inline. */
#ifndef KK_ELEM_H
#define KK_ELEM_H

#include <assert.h>
#include <stdint.h>

#include "kk_math.h"

static inline double kk_elem_get(int32_t dt, const void *p, int64_t i)
{
	switch (dt) {
	case KK_DT_F32: return ((const float *)p)[i];
	case KK_DT_F64: return ((const double *)p)[i];
	case KK_DT_U8: case KK_DT_BOOL: return ((const uint8_t *)p)[i];
	case KK_DT_I8: return ((const int8_t *)p)[i];
	case KK_DT_U16: return ((const uint16_t *)p)[i];
	case KK_DT_I16: return ((const int16_t *)p)[i];
	case KK_DT_I32: return ((const int32_t *)p)[i];
	case KK_DT_I64: return (double)((const int64_t *)p)[i];
	case KK_DT_U32: return ((const uint32_t *)p)[i];
	case KK_DT_U64: return (double)((const uint64_t *)p)[i];
	default: assert(!"kk_elem_get: bad dtype"); return 0;
	}
}

static inline void kk_elem_set(int32_t dt, void *p, int64_t i, double v)
{
	switch (dt) {
	case KK_DT_F32: ((float *)p)[i] = (float)v; break;
	case KK_DT_F64: ((double *)p)[i] = v; break;
	case KK_DT_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
	case KK_DT_BOOL: ((uint8_t *)p)[i] = v != 0; break;
	case KK_DT_I8: ((int8_t *)p)[i] = (int8_t)v; break;
	case KK_DT_U16: ((uint16_t *)p)[i] = (uint16_t)v; break;
	case KK_DT_I16: ((int16_t *)p)[i] = (int16_t)v; break;
	case KK_DT_I32: ((int32_t *)p)[i] = (int32_t)v; break;
	case KK_DT_I64: ((int64_t *)p)[i] = (int64_t)v; break;
	case KK_DT_U32: ((uint32_t *)p)[i] = (uint32_t)v; break;
	case KK_DT_U64: ((uint64_t *)p)[i] = (uint64_t)v; break;
	default: assert(!"kk_elem_set: bad dtype");
	}
}

#endif
