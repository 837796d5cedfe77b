/* dtype.c — element types (numbered as ONNX TensorProto.DataType) and the
 * small shape helpers of ir.h: element counts of shapes with symbolic dims. */
#include <assert.h>

#include "ir.h"

static const struct {
	const char *name;
	size_t size;
	int is_float, is_int;
} dtypes[IR_NDTYPES] = {
	[IR_UNDEF] = {"?", 0, 0, 0},
	[IR_F32] = {"f32", 4, 1, 0},
	[IR_U8] = {"u8", 1, 0, 1},
	[IR_I8] = {"i8", 1, 0, 1},
	[IR_U16] = {"u16", 2, 0, 1},
	[IR_I16] = {"i16", 2, 0, 1},
	[IR_I32] = {"i32", 4, 0, 1},
	[IR_I64] = {"i64", 8, 0, 1},
	[IR_STRING] = {"string", 0, 0, 0},
	[IR_BOOL] = {"bool", 1, 0, 0},
	[IR_F16] = {"f16", 2, 1, 0},
	[IR_F64] = {"f64", 8, 1, 0},
	[IR_U32] = {"u32", 4, 0, 1},
	[IR_U64] = {"u64", 8, 0, 1},
	[IR_C64] = {"c64", 8, 0, 0},
	[IR_C128] = {"c128", 16, 0, 0},
	[IR_BF16] = {"bf16", 2, 1, 0},
};

static int known(ir_dtype t)
{
	return (int)t >= 0 && t < IR_NDTYPES;
}

size_t ir_dtype_size(ir_dtype t)
{
	return known(t) ? dtypes[t].size : 0;
}

const char *ir_dtype_name(ir_dtype t)
{
	return known(t) ? dtypes[t].name : "?";
}

int ir_dtype_is_float(ir_dtype t)
{
	return known(t) && dtypes[t].is_float;
}

int ir_dtype_is_int(ir_dtype t)
{
	return known(t) && dtypes[t].is_int;
}

/* Element count as a dim; 0 when two dims are symbolic or the constant part
 * overflows int64. */
int ir_shape_numel(const ir_shape *s, ir_dim *out)
{
	ir_dim r = ir_dim_const(1);
	for (int i = 0; i < s->rank; i++) {
		ir_dim d = s->d[i];
		if (d.sym >= 0) {
			if (r.sym >= 0)
				return 0;
			r.sym = d.sym;
		}
		if (d.c != 0 && r.c > INT64_MAX / (d.c < 0 ? -d.c : d.c))
			return 0;
		r.c *= d.c;
	}
	*out = r;
	return 1;
}

int ir_shape_is_static(const ir_shape *s)
{
	for (int i = 0; i < s->rank; i++)
		if (s->d[i].sym >= 0)
			return 0;
	return 1;
}

int ir_shape_eq(const ir_shape *a, const ir_shape *b)
{
	if (a->rank != b->rank)
		return 0;
	for (int i = 0; i < a->rank; i++)
		if (!ir_dim_eq(a->d[i], b->d[i]))
			return 0;
	return 1;
}

int64_t ir_shape_static_numel(const ir_shape *s)
{
	assert(ir_shape_is_static(s));
	int64_t n = 1;
	for (int i = 0; i < s->rank; i++)
		n *= s->d[i].c;
	return n;
}
