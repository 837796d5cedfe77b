/* lower_reduce.c — reductions, ArgMax/ArgMin, the Softmax family and the
 * normalisations. A reduction becomes one kernel call over an [outer, rlen,
 * inner] view; when the reduced axes are not adjacent the input is first
 * transposed (kept axes, then reduced axes) into the node's scratch space. */
#include <string.h>

#include "lower.h"
#include "kk_math.h"

static int red_op(ir_op op)
{
	switch (op) {
	case IR_OP_ReduceSum: return KK_RED_SUM;
	case IR_OP_ReduceMean: return KK_RED_MEAN;
	case IR_OP_ReduceMax: return KK_RED_MAX;
	case IR_OP_ReduceMin: return KK_RED_MIN;
	case IR_OP_ReduceProd: return KK_RED_PROD;
	case IR_OP_ReduceL1: return KK_RED_L1;
	case IR_OP_ReduceL2: return KK_RED_L2;
	case IR_OP_ReduceLogSum: return KK_RED_LOG_SUM;
	case IR_OP_ReduceLogSumExp: return KK_RED_LOG_SUM_EXP;
	case IR_OP_ReduceSumSquare: return KK_RED_SUM_SQUARE;
	default: return -1;
	}
}

/* Marks reduced axes in mask. Returns 1 for "no axes, no-op" (copy), 0 to
 * reduce, -1 when the axes are not known at compile time or invalid. */
static int reduce_axes(const ir_node *n, int *mask)
{
	const ir_value *x = n->in[0];
	int r = x->shape.rank;
	int64_t ax[IR_MAX_RANK * 2];
	int na = 0;
	const int64_t *av;
	int from_input = n->nin > 1 && n->in[1];
	if (from_input) {
		na = cg_const_ints(n->in[1], ax, IR_MAX_RANK * 2);
		if (na < 0)
			return -1;
	} else if ((na = ir_attr_ints(n, "axes", &av)) > 0) {
		if (na > IR_MAX_RANK * 2)
			return -1;
		memcpy(ax, av, na * sizeof *ax);
	} else {
		na = 0;
	}
	memset(mask, 0, sizeof(int) * IR_MAX_RANK);
	if (na == 0) {
		if (ir_attr_int(n, "noop_with_empty_axes", 0))
			return 1;
		for (int i = 0; i < r; i++)
			mask[i] = 1;
		return 0;
	}
	for (int i = 0; i < na; i++) {
		int64_t a = ax[i] < 0 ? ax[i] + r : ax[i];
		if (a < 0 || a >= r)
			return -1;
		mask[a] = 1;
	}
	return 0;
}

static int is_one(ir_dim d) { return ir_dim_is_const(d) && d.c == 1; }

/* Reduced axes form one block once size-1 dims are ignored; sets [lo, hi]. */
static int contiguous(const ir_shape *s, const int *mask, int *lo, int *hi)
{
	*lo = -1;
	*hi = -1;
	for (int i = 0; i < s->rank; i++) {
		if (!mask[i] || is_one(s->d[i]))
			continue;
		if (*lo < 0)
			*lo = i;
		*hi = i;
	}
	if (*lo < 0)
		return 1;
	for (int i = *lo; i <= *hi; i++)
		if (!mask[i] && !is_one(s->d[i]))
			return 0;
	return 1;
}

/* Row-wise kernels over [outer, len, inner] (Softmax family, contiguous
 * reductions), split over outer rows. */
typedef struct {
	const char *kernel;
	int op;
	ir_dtype t;
	const ir_shape *s;
	int lo, legacy;    /* rows are dims [0, lo); len = dims [lo, hi] */
	int hi;            /* reductions: last reduced axis; softmax: unused */
	int reduce;
} rows_part;

static int64_t rows_grain(const ir_shape *s, int from)
{
	int64_t row = 1;
	for (int i = from; i < s->rank; i++)
		row *= s->d[i].c > 0 ? s->d[i].c : 1;
	return 32768 / row > 0 ? 32768 / row : 1;
}

static void rows_body(cg_ctx *cg, LLVMValueRef b, LLVMValueRef e, LLVMValueRef *v, void *ud)
{
	const rows_part *p = ud;
	const ir_shape *s = p->s;
	size_t es = ir_dtype_size(p->t);
	LLVMValueRef len, inner, out_row;
	if (p->reduce) {
		len = cg_span(cg, s, p->lo, p->hi + 1);
		inner = cg_span(cg, s, p->hi + 1, s->rank);
		out_row = inner;
	} else {
		len = p->legacy ? cg_span(cg, s, p->lo, s->rank) : cg_dim(cg, s->d[p->lo]);
		inner = p->legacy ? cg_i64(cg, 1) : cg_span(cg, s, p->lo + 1, s->rank);
		out_row = LLVMBuildMul(cg->B, len, inner, "");
	}
	LLVMValueRef in_row = LLVMBuildMul(cg->B, len, inner, "");
	LLVMValueRef a[8] = {cg->a_ctx, cg_i32(cg, p->op), cg_i32(cg, p->t),
			     cg_offset(cg, v[0], LLVMBuildMul(cg->B, b, in_row, ""), es),
			     cg_offset(cg, v[1], LLVMBuildMul(cg->B, b, out_row, ""), es),
			     LLVMBuildSub(cg->B, e, b, ""), len, inner};
	cg_call(cg, p->kernel, a, 8);
}

int cg_reduce_scratch(const ir_node *n, cg_lin *bytes)
{
	if (red_op(n->op) < 0 || !n->in[0] || !n->in[0]->has_shape)
		return 0;
	int mask[IR_MAX_RANK], lo, hi;
	if (reduce_axes(n, mask) != 0 || contiguous(&n->in[0]->shape, mask, &lo, &hi))
		return 0;
	return cg_value_bytes(n->in[0], bytes) == 0;
}

static void copy_bytes(cg_ctx *cg, const ir_value *src, const ir_value *dst)
{
	LLVMValueRef nb = LLVMBuildMul(cg->B, cg_numel(cg, &dst->shape),
				       cg_i64(cg, (int64_t)ir_dtype_size(dst->dtype)), "");
	cg_memcpy(cg, cg_ptr(cg, dst), cg_ptr(cg, src), nb);
}

/* Transposes x into scratch with the kept axes first; returns the pointer. */
static LLVMValueRef gather_reduced_last(cg_ctx *cg, const ir_value *x, const int *mask,
					LLVMValueRef *outer, LLVMValueRef *rlen)
{
	const ir_shape *s = &x->shape;
	LLVMValueRef st[IR_MAX_RANK], dims[IR_MAX_RANK], ss[IR_MAX_RANK], ds[IR_MAX_RANK];
	ir_shape ts = {0};
	cg_dense_strides(cg, s, st);
	*outer = cg_i64(cg, 1);
	*rlen = cg_i64(cg, 1);
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < s->rank; i++) {
			if (mask[i] != pass)
				continue;
			ss[ts.rank] = st[i];
			dims[ts.rank] = cg_dim(cg, s->d[i]);
			ts.d[ts.rank++] = s->d[i];
			LLVMValueRef *acc = pass ? rlen : outer;
			*acc = LLVMBuildMul(cg->B, *acc, dims[ts.rank - 1], "");
		}
	cg_dense_strides(cg, &ts, ds);
	int r = s->rank;
	LLVMValueRef a[8] = {cg->a_ctx, cg_i64(cg, (int64_t)ir_dtype_size(x->dtype)), cg_i32(cg, r),
			     cg_i64_array(cg, dims, r), cg_ptr(cg, x), cg_i64_array(cg, ss, r),
			     cg->scratch, cg_i64_array(cg, ds, r)};
	cg_call(cg, "kk_copy_strided", a, 8);
	return cg->scratch;
}

int cg_lower_reduce(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	int mask[IR_MAX_RANK], lo, hi;
	int k = reduce_axes(n, mask);
	if (k < 0)
		return cg_fail(cg, "reduction axes must be constant and in range");
	if (!ir_dtype_size(x->dtype) || x->dtype == IR_BOOL || x->dtype == IR_F16 ||
	    x->dtype == IR_BF16)
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(x->dtype));
	if (k == 1) {
		copy_bytes(cg, x, y);
		return 0;
	}
	LLVMValueRef src, outer, rlen, inner;
	if (contiguous(&x->shape, mask, &lo, &hi) && lo >= 0) {
		rows_part p = {"kk_reduce", red_op(n->op), x->dtype, &x->shape, lo, 0, hi, 1};
		LLVMValueRef v[2] = {cg_ptr(cg, x), cg_ptr(cg, y)};
		cg_parallel(cg, cg_span(cg, &x->shape, 0, lo), rows_grain(&x->shape, lo), v, 2,
			    rows_body, &p);
		return 0;
	}
	if (contiguous(&x->shape, mask, &lo, &hi)) { /* every reduced axis has size 1 */
		src = cg_ptr(cg, x);
		outer = cg_numel(cg, &x->shape);
		rlen = cg_i64(cg, 1);
		inner = cg_i64(cg, 1);
	} else {
		src = gather_reduced_last(cg, x, mask, &outer, &rlen);
		inner = cg_i64(cg, 1);
	}
	LLVMValueRef a[8] = {cg->a_ctx, cg_i32(cg, red_op(n->op)), cg_i32(cg, x->dtype), src,
			     cg_ptr(cg, y), outer, rlen, inner};
	cg_call(cg, "kk_reduce", a, 8);
	return 0;
}

int cg_lower_argreduce(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0];
	int axis;
	if (cg_norm_axis(cg, ir_attr_int(n, "axis", 0), x->shape.rank, &axis))
		return -1;
	if (!ir_dtype_size(x->dtype) || x->dtype == IR_BOOL || x->dtype == IR_F16)
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(x->dtype));
	LLVMValueRef a[9] = {cg->a_ctx, cg_i32(cg, n->op == IR_OP_ArgMax ? KK_ARG_MAX : KK_ARG_MIN),
			     cg_i32(cg, x->dtype), cg_ptr(cg, x), cg_ptr(cg, n->out[0]),
			     cg_span(cg, &x->shape, 0, axis), cg_dim(cg, x->shape.d[axis]),
			     cg_span(cg, &x->shape, axis + 1, x->shape.rank),
			     cg_i32(cg, ir_attr_int(n, "select_last_index", 0))};
	cg_call(cg, "kk_argreduce", a, 9);
	return 0;
}

int cg_lower_softmax(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0];
	const ir_shape *s = &x->shape;
	int op = n->op == IR_OP_Softmax ? KK_SOFTMAX : n->op == IR_OP_LogSoftmax ? KK_LOG_SOFTMAX
									  : KK_HARDMAX;
	int legacy = n->opset < 13, axis;
	if (x->dtype != IR_F32 && x->dtype != IR_F64)
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(x->dtype));
	if (s->rank == 0)
		return cg_fail(cg, "input must have rank >= 1");
	if (cg_norm_axis(cg, ir_attr_int(n, "axis", legacy ? 1 : -1), s->rank, &axis))
		return -1;
	rows_part p = {"kk_softmax", op, x->dtype, s, axis, legacy};
	LLVMValueRef v[2] = {cg_ptr(cg, x), cg_ptr(cg, n->out[0])};
	cg_parallel(cg, cg_span(cg, s, 0, axis), rows_grain(s, axis), v, 2, rows_body, &p);
	return 0;
}

static int check_norm_types(cg_ctx *cg, const ir_node *n)
{
	for (int i = 0; i < n->nin; i++)
		if (n->in[i] && n->in[i]->dtype != n->in[0]->dtype)
			return cg_fail(cg, "mixed element types are not supported");
	if (n->in[0]->dtype != IR_F32 && n->in[0]->dtype != IR_F64)
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(n->in[0]->dtype));
	if (n->in[0]->shape.rank < 2)
		return cg_fail(cg, "input must have rank >= 2");
	return 0;
}

int cg_lower_batchnorm(cg_ctx *cg, const ir_node *n)
{
	if (n->nin < 5 || check_norm_types(cg, n))
		return n->nin < 5 ? cg_fail(cg, "expects 5 inputs") : -1;
	for (int i = 1; i < n->nout; i++)
		if (n->out[i])
			return cg_fail(cg, "training-form BatchNormalization outputs are not supported");
	const ir_shape *s = &n->in[0]->shape;
	LLVMValueRef a[12] = {cg->a_ctx, cg_i32(cg, n->in[0]->dtype), cg_ptr(cg, n->in[0]),
			      cg_ptr(cg, n->in[1]), cg_ptr(cg, n->in[2]), cg_ptr(cg, n->in[3]),
			      cg_ptr(cg, n->in[4]), cg_ptr(cg, n->out[0]), cg_dim(cg, s->d[0]),
			      cg_dim(cg, s->d[1]), cg_span(cg, s, 2, s->rank),
			      cg_f32(cg, ir_attr_float(n, "epsilon", 1e-5f))};
	cg_call(cg, "kk_batchnorm", a, 12);
	return 0;
}

int cg_lower_instancenorm(cg_ctx *cg, const ir_node *n)
{
	if (n->nin < 3 || check_norm_types(cg, n))
		return n->nin < 3 ? cg_fail(cg, "expects 3 inputs") : -1;
	const ir_shape *s = &n->in[0]->shape;
	LLVMValueRef a[10] = {cg->a_ctx, cg_i32(cg, n->in[0]->dtype), cg_ptr(cg, n->in[0]),
			      cg_ptr(cg, n->in[1]), cg_ptr(cg, n->in[2]), cg_ptr(cg, n->out[0]),
			      cg_dim(cg, s->d[0]), cg_dim(cg, s->d[1]), cg_span(cg, s, 2, s->rank),
			      cg_f32(cg, ir_attr_float(n, "epsilon", 1e-5f))};
	cg_call(cg, "kk_instancenorm", a, 10);
	return 0;
}

int cg_lower_layernorm(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *sc = n->in[1], *b = n->nin > 2 ? n->in[2] : NULL;
	int axis;
	if (x->dtype != IR_F32 && x->dtype != IR_F64)
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(x->dtype));
	if (sc->dtype != x->dtype || (b && b->dtype != x->dtype))
		return cg_fail(cg, "mixed element types are not supported");
	if (cg_norm_axis(cg, ir_attr_int(n, "axis", -1), x->shape.rank, &axis))
		return -1;
	for (int i = 1; i < n->nout; i++)
		if (n->out[i] && n->out[i]->dtype != IR_F32)
			return cg_fail(cg, "Mean/InvStdDev outputs must be float32");
	const ir_shape *s = &x->shape;
	LLVMValueRef a[13] = {cg->a_ctx, cg_i32(cg, x->dtype), cg_ptr(cg, x), cg_ptr(cg, sc),
			      cg_numel(cg, &sc->shape), cg_ptr(cg, b),
			      b ? cg_numel(cg, &b->shape) : cg_i64(cg, 1), cg_ptr(cg, n->out[0]),
			      cg_ptr(cg, n->nout > 1 ? n->out[1] : NULL),
			      cg_ptr(cg, n->nout > 2 ? n->out[2] : NULL), cg_span(cg, s, 0, axis),
			      cg_span(cg, s, axis, s->rank),
			      cg_f32(cg, ir_attr_float(n, "epsilon", 1e-5f))};
	cg_call(cg, "kk_layernorm", a, 13);
	return 0;
}

int cg_lower_lrn(cg_ctx *cg, const ir_node *n)
{
	if (check_norm_types(cg, n))
		return -1;
	const ir_shape *s = &n->in[0]->shape;
	LLVMValueRef a[11] = {cg->a_ctx, cg_i32(cg, n->in[0]->dtype), cg_ptr(cg, n->in[0]),
			      cg_ptr(cg, n->out[0]), cg_dim(cg, s->d[0]), cg_dim(cg, s->d[1]),
			      cg_span(cg, s, 2, s->rank), cg_i64(cg, ir_attr_int(n, "size", 1)),
			      cg_f32(cg, ir_attr_float(n, "alpha", 1e-4f)),
			      cg_f32(cg, ir_attr_float(n, "beta", 0.75f)),
			      cg_f32(cg, ir_attr_float(n, "bias", 1.0f))};
	cg_call(cg, "kk_lrn", a, 11);
	return 0;
}
