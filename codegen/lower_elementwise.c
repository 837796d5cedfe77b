/* lower_elementwise.c — unary, binary (numpy broadcasting), variadic, Where,
 * Clip, Cast and Dropout lowered to the math kernels (kernels/kk_math.h).
 * Unary ops are a table: ONNX op -> kernel op code and its float attributes. */
#include <math.h>
#include <string.h>

#include "lower.h"
#include "kk_math.h"

typedef struct {
	int kk;
	const char *a_name;
	float a_dflt;
	const char *b_name;
	float b_dflt;
} unary_info;

static const unary_info unary_table[IR_OP_COUNT] = {
	[IR_OP_Relu] = {KK_UNARY_RELU}, [IR_OP_Sigmoid] = {KK_UNARY_SIGMOID},
	[IR_OP_Tanh] = {KK_UNARY_TANH}, [IR_OP_Sqrt] = {KK_UNARY_SQRT},
	[IR_OP_Abs] = {KK_UNARY_ABS}, [IR_OP_Neg] = {KK_UNARY_NEG},
	[IR_OP_Exp] = {KK_UNARY_EXP}, [IR_OP_Log] = {KK_UNARY_LOG},
	[IR_OP_Ceil] = {KK_UNARY_CEIL}, [IR_OP_Floor] = {KK_UNARY_FLOOR},
	[IR_OP_Round] = {KK_UNARY_ROUND}, [IR_OP_Reciprocal] = {KK_UNARY_RECIPROCAL},
	[IR_OP_Sin] = {KK_UNARY_SIN}, [IR_OP_Cos] = {KK_UNARY_COS}, [IR_OP_Tan] = {KK_UNARY_TAN},
	[IR_OP_Asin] = {KK_UNARY_ASIN}, [IR_OP_Acos] = {KK_UNARY_ACOS},
	[IR_OP_Atan] = {KK_UNARY_ATAN}, [IR_OP_Sinh] = {KK_UNARY_SINH},
	[IR_OP_Cosh] = {KK_UNARY_COSH}, [IR_OP_Asinh] = {KK_UNARY_ASINH},
	[IR_OP_Acosh] = {KK_UNARY_ACOSH}, [IR_OP_Atanh] = {KK_UNARY_ATANH},
	[IR_OP_Erf] = {KK_UNARY_ERF}, [IR_OP_Sign] = {KK_UNARY_SIGN},
	[IR_OP_Softplus] = {KK_UNARY_SOFTPLUS}, [IR_OP_Softsign] = {KK_UNARY_SOFTSIGN},
	[IR_OP_Elu] = {KK_UNARY_ELU, "alpha", 1.0f},
	[IR_OP_Selu] = {KK_UNARY_SELU, "alpha", 1.67326319217681884765625f,
			"gamma", 1.05070102214813232421875f},
	[IR_OP_Celu] = {KK_UNARY_CELU, "alpha", 1.0f},
	[IR_OP_LeakyRelu] = {KK_UNARY_LEAKY_RELU, "alpha", 0.01f},
	[IR_OP_ThresholdedRelu] = {KK_UNARY_THRESHOLDED_RELU, "alpha", 1.0f},
	[IR_OP_HardSigmoid] = {KK_UNARY_HARD_SIGMOID, "alpha", 0.2f, "beta", 0.5f},
	[IR_OP_HardSwish] = {KK_UNARY_HARD_SWISH}, [IR_OP_Not] = {KK_UNARY_NOT},
	[IR_OP_IsNaN] = {KK_UNARY_ISNAN},
	[IR_OP_IsInf] = {KK_UNARY_ISINF, "detect_positive", 1, "detect_negative", 1},
};

static float attr_num(const ir_node *n, const char *name, float dflt)
{
	const ir_attr *a = name ? ir_attr_find(n, name) : NULL;
	if (!a)
		return dflt;
	return a->kind == IR_ATTR_INT ? (float)a->i : a->f;
}

static int is_floatish(ir_dtype t) { return t == IR_F32 || t == IR_F64; }

/* Elementwise work is split into tasks of at least this many elements. */
#define EW_GRAIN 32768

typedef struct {
	int op;
	ir_dtype t;
	size_t es_in, es_out;
	float alpha, beta;
} unary_part;

static void unary_body(cg_ctx *cg, LLVMValueRef b, LLVMValueRef e, LLVMValueRef *v, void *ud)
{
	const unary_part *u = ud;
	LLVMValueRef a[8] = {cg->a_ctx, cg_i32(cg, u->op), cg_i32(cg, u->t),
			     cg_offset(cg, v[0], b, u->es_in), cg_offset(cg, v[1], b, u->es_out),
			     LLVMBuildSub(cg->B, e, b, ""), cg_f32(cg, u->alpha), cg_f32(cg, u->beta)};
	cg_call(cg, "kk_unary", a, 8);
}

static int unary_call(cg_ctx *cg, int op, ir_dtype t, const ir_value *x, const ir_value *y,
		      float alpha, float beta)
{
	unary_part u = {op, t, ir_dtype_size(x->dtype), ir_dtype_size(y->dtype), alpha, beta};
	LLVMValueRef v[2] = {cg_ptr(cg, x), cg_ptr(cg, y)};
	cg_parallel(cg, cg_numel(cg, &y->shape), EW_GRAIN, v, 2, unary_body, &u);
	return 0;
}

int cg_lower_unary(cg_ctx *cg, const ir_node *n)
{
	const unary_info *u = &unary_table[n->op];
	ir_dtype t = n->in[0]->dtype;
	int intok = n->op == IR_OP_Relu || n->op == IR_OP_Abs || n->op == IR_OP_Neg ||
		    n->op == IR_OP_Sign;
	if (n->op == IR_OP_Not ? t != IR_BOOL : !(is_floatish(t) || (intok && ir_dtype_is_int(t))))
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(t));
	return unary_call(cg, u->kk, t, n->in[0], n->out[0], attr_num(n, u->a_name, u->a_dflt),
			  attr_num(n, u->b_name, u->b_dflt));
}

int cg_lower_clip(cg_ctx *cg, const ir_node *n)
{
	ir_dtype t = n->in[0]->dtype;
	if (n->opset < 11) {
		if (!is_floatish(t))
			return cg_fail(cg, "element type %s is not supported", ir_dtype_name(t));
		return unary_call(cg, KK_UNARY_CLIP, t, n->in[0], n->out[0],
				  ir_attr_float(n, "min", -INFINITY), ir_attr_float(n, "max", INFINITY));
	}
	if (!is_floatish(t) && !ir_dtype_is_int(t))
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(t));
	LLVMValueRef a[7] = {cg->a_ctx, cg_i32(cg, t), cg_ptr(cg, n->in[0]), cg_ptr(cg, n->out[0]),
			     cg_numel(cg, &n->out[0]->shape),
			     cg_ptr(cg, n->nin > 1 ? n->in[1] : NULL),
			     cg_ptr(cg, n->nin > 2 ? n->in[2] : NULL)};
	cg_call(cg, "kk_clip", a, 7);
	return 0;
}

int cg_lower_cast(cg_ctx *cg, const ir_node *n)
{
	ir_dtype from = n->in[0]->dtype, to = n->out[0]->dtype;
	if (from == IR_STRING || to == IR_STRING || !ir_dtype_size(from) || !ir_dtype_size(to) ||
	    from == IR_C64 || from == IR_C128 || to == IR_C64 || to == IR_C128)
		return cg_fail(cg, "cast from %s to %s is not supported", ir_dtype_name(from),
			       ir_dtype_name(to));
	LLVMValueRef a[6] = {cg->a_ctx, cg_i32(cg, from), cg_i32(cg, to), cg_ptr(cg, n->in[0]),
			     cg_ptr(cg, n->out[0]), cg_numel(cg, &n->out[0]->shape)};
	cg_call(cg, "kk_cast", a, 6);
	return 0;
}

static int binary_op(const ir_node *n)
{
	switch (n->op) {
	case IR_OP_Add: case IR_OP_Sum: return KK_BIN_ADD;
	case IR_OP_Sub: return KK_BIN_SUB;
	case IR_OP_Mul: return KK_BIN_MUL;
	case IR_OP_Div: return KK_BIN_DIV;
	case IR_OP_Pow: return KK_BIN_POW;
	case IR_OP_Mod: return ir_attr_int(n, "fmod", 0) ? KK_BIN_FMOD : KK_BIN_MOD;
	case IR_OP_PRelu: return KK_BIN_PRELU;
	case IR_OP_BitShift:
		return strcmp(ir_attr_str(n, "direction", "LEFT"), "RIGHT") ? KK_BIN_SHL : KK_BIN_SHR;
	case IR_OP_Max: return KK_BIN_MAX;
	case IR_OP_Min: return KK_BIN_MIN;
	case IR_OP_Equal: return KK_BIN_EQUAL;
	case IR_OP_Less: return KK_BIN_LESS;
	case IR_OP_Greater: return KK_BIN_GREATER;
	case IR_OP_LessOrEqual: return KK_BIN_LESS_EQUAL;
	case IR_OP_GreaterOrEqual: return KK_BIN_GREATER_EQUAL;
	case IR_OP_And: return KK_BIN_AND;
	case IR_OP_Or: return KK_BIN_OR;
	case IR_OP_Xor: return KK_BIN_XOR;
	default: return -1;
	}
}

typedef struct {
	const char *kernel;
	int op, t1, t2;
	const ir_shape *sa, *sb, *so;
	size_t ea, eb, ey;
} binary_part;

/* Rows [b, e) of the output's first dim (or the whole scalar). */
static void binary_body(cg_ctx *cg, LLVMValueRef b, LLVMValueRef e, LLVMValueRef *v, void *ud)
{
	const binary_part *p = ud;
	int r = p->so->rank;
	LLVMValueRef dims[IR_MAX_RANK], as[IR_MAX_RANK], bs[IR_MAX_RANK], ys[IR_MAX_RANK];
	LLVMValueRef pa = v[0], pb = v[1], py = v[2];
	cg_dims(cg, p->so, dims);
	cg_bcast_strides(cg, p->sa, p->so, as);
	cg_bcast_strides(cg, p->sb, p->so, bs);
	if (r > 0) {
		cg_dense_strides(cg, p->so, ys);
		pa = cg_offset(cg, pa, LLVMBuildMul(cg->B, b, as[0], ""), p->ea);
		pb = cg_offset(cg, pb, LLVMBuildMul(cg->B, b, bs[0], ""), p->eb);
		py = cg_offset(cg, py, LLVMBuildMul(cg->B, b, ys[0], ""), p->ey);
		dims[0] = LLVMBuildSub(cg->B, e, b, "");
	}
	LLVMValueRef args[11], *q = args;
	*q++ = cg->a_ctx;
	if (p->op >= 0)
		*q++ = cg_i32(cg, p->op);
	*q++ = cg_i32(cg, p->t1);
	if (p->t2 >= 0)
		*q++ = cg_i32(cg, p->t2);
	*q++ = pa;
	*q++ = pb;
	*q++ = py;
	*q++ = cg_i32(cg, r);
	*q++ = cg_i64_array(cg, dims, r);
	*q++ = cg_i64_array(cg, as, r);
	*q++ = cg_i64_array(cg, bs, r);
	cg_call(cg, p->kernel, args, (int)(q - args));
}

/* y = op(a, b) with a and b broadcast to y's shape, split over y's rows. */
static void binary_call(cg_ctx *cg, const char *kernel, int op, int t1, int t2,
			const ir_value *a, LLVMValueRef pa, const ir_shape *sa,
			const ir_value *b, const ir_value *y)
{
	binary_part p = {kernel, op, t1, t2, sa, &b->shape, &y->shape,
			 ir_dtype_size(a->dtype), ir_dtype_size(b->dtype), ir_dtype_size(y->dtype)};
	LLVMValueRef v[3] = {pa, cg_ptr(cg, b), cg_ptr(cg, y)};
	const ir_shape *so = &y->shape;
	if (so->rank == 0) {
		binary_body(cg, cg_i64(cg, 0), cg_i64(cg, 1), v, &p);
		return;
	}
	/* grain in rows: about EW_GRAIN elements (the static part of a row) */
	int64_t row = 1;
	for (int i = 1; i < so->rank; i++)
		row *= so->d[i].c > 0 ? so->d[i].c : 1;
	int64_t grain = EW_GRAIN / row > 0 ? EW_GRAIN / row : 1;
	cg_parallel(cg, cg_dim(cg, so->d[0]), grain, v, 3, binary_body, &p);
}

int cg_lower_binary(cg_ctx *cg, const ir_node *n)
{
	const ir_value *a = n->in[0], *b = n->in[1];
	if (n->op == IR_OP_Pow && a->dtype != b->dtype) {
		binary_call(cg, "kk_pow", -1, a->dtype, b->dtype, a, cg_ptr(cg, a), &a->shape, b,
			    n->out[0]);
		return 0;
	}
	if (!ir_dtype_size(a->dtype) || a->dtype == IR_F16 || a->dtype == IR_BF16 ||
	    (a->dtype >= IR_C64 && a->dtype <= IR_C128))
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(a->dtype));
	binary_call(cg, "kk_binary", binary_op(n), a->dtype, -1, a, cg_ptr(cg, a), &a->shape, b,
		    n->out[0]);
	return 0;
}

/* Max/Min/Sum/Mean: fold pairwise into the output, then scale for Mean. */
int cg_lower_variadic(cg_ctx *cg, const ir_node *n)
{
	const ir_value *y = n->out[0];
	ir_dtype t = y->dtype;
	if (!ir_dtype_size(t) || t == IR_F16 || t == IR_BF16 || t == IR_BOOL)
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(t));
	if (n->nin == 1) {
		LLVMValueRef dims[IR_MAX_RANK], ss[IR_MAX_RANK], ds[IR_MAX_RANK];
		cg_dims(cg, &y->shape, dims);
		cg_bcast_strides(cg, &n->in[0]->shape, &y->shape, ss);
		cg_dense_strides(cg, &y->shape, ds);
		int r = y->shape.rank;
		LLVMValueRef a[8] = {cg->a_ctx, cg_i64(cg, (int64_t)ir_dtype_size(t)), cg_i32(cg, r),
				     cg_i64_array(cg, dims, r), cg_ptr(cg, n->in[0]),
				     cg_i64_array(cg, ss, r), cg_ptr(cg, y), cg_i64_array(cg, ds, r)};
		cg_call(cg, "kk_copy_strided", a, 8);
	} else {
		int op = binary_op(n);
		if (n->op == IR_OP_Mean)
			op = KK_BIN_ADD;
		binary_call(cg, "kk_binary", op, t, -1, n->in[0], cg_ptr(cg, n->in[0]),
			    &n->in[0]->shape, n->in[1], y);
		for (int i = 2; i < n->nin; i++)
			binary_call(cg, "kk_binary", op, t, -1, y, cg_ptr(cg, y), &y->shape,
				    n->in[i], y);
	}
	if (n->op == IR_OP_Mean) {
		if (!is_floatish(t))
			return cg_fail(cg, "Mean of %s is not supported", ir_dtype_name(t));
		unary_call(cg, KK_UNARY_SCALE, t, y, y, 1.0f / (float)n->nin, 0.0f);
	}
	return 0;
}

int cg_lower_where(cg_ctx *cg, const ir_node *n)
{
	const ir_value *y = n->out[0];
	const ir_shape *so = &y->shape;
	int r = so->rank;
	LLVMValueRef dims[IR_MAX_RANK], s[3][IR_MAX_RANK];
	cg_dims(cg, so, dims);
	for (int i = 0; i < 3; i++)
		cg_bcast_strides(cg, &n->in[i]->shape, so, s[i]);
	LLVMValueRef a[12] = {cg->a_ctx, cg_i32(cg, y->dtype), cg_ptr(cg, n->in[0]),
			      cg_ptr(cg, n->in[1]), cg_ptr(cg, n->in[2]), cg_ptr(cg, y),
			      cg_i32(cg, r), cg_i64_array(cg, dims, r), cg_i64_array(cg, s[0], r),
			      cg_i64_array(cg, s[1], r), cg_i64_array(cg, s[2], r)};
	cg_call(cg, "kk_where", a, 11);
	return 0;
}

/* ---- Dropout ---- */

static LLVMValueRef dropout_seed(cg_ctx *cg, const ir_node *n)
{
	const ir_attr *s = ir_attr_find(n, "seed");
	if (s)
		return cg_i64(cg, s->kind == IR_ATTR_INT ? s->i : (int64_t)s->f);
	return LLVMBuildLoad2(cg->B, cg->t_i64, cg->a_ctx, "seed");
}

/* MC build (passes/mc.c, kiln_mc_samples = T): an LLVM loop over samples
 * s = 0..T-1 drops slice s of y (and mask) with sample index s, reading x's
 * slice s when x is itself sampled (kiln_mc_sampled_input), else all of x. */
static int dropout_mc(cg_ctx *cg, const ir_node *n, int64_t T, int ratio_const, double ratio)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	const ir_value *mask = n->nout > 1 ? n->out[1] : NULL;
	const ir_value *ratio_v = n->opset >= 12 && n->nin > 1 ? n->in[1] : NULL;
	int sx = ir_attr_int(n, "kiln_mc_sampled_input", 0) != 0;
	size_t es = ir_dtype_size(x->dtype);
	static const uint8_t one = 1;
	LLVMValueRef cnt = cg_span(cg, &y->shape, 1, y->shape.rank), seed = dropout_seed(cg, n);
	LLVMValueRef px = cg_ptr(cg, x), py = cg_ptr(cg, y), pm = cg_ptr(cg, mask);
	LLVMValueRef pr = cg_ptr(cg, ratio_v), train = cg_const_bytes(cg, &one, 1);
	LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->B);
	LLVMBasicBlockRef head = LLVMAppendBasicBlockInContext(cg->C, cg->fn, "mc_loop");
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(cg->C, cg->fn, "mc_done");
	LLVMBuildBr(cg->B, head);
	LLVMPositionBuilderAtEnd(cg->B, head);
	LLVMValueRef s = LLVMBuildPhi(cg->B, cg->t_i64, "sample");
	LLVMValueRef off = LLVMBuildMul(cg->B, s, cnt, "");
	/* the sample's index among all T: in the sample loop, after the
	 * chunks before this one */
	LLVMValueRef si = cg->mc_base ? LLVMBuildAdd(cg->B, cg->mc_base, s, "") : s;
	LLVMValueRef xs = sx ? cg_offset(cg, px, off, es) : px, ys = cg_offset(cg, py, off, es);
	LLVMValueRef ms = mask ? cg_offset(cg, pm, off, ir_dtype_size(mask->dtype)) : pm;
	if (ratio_const) {
		LLVMValueRef a[10] = {cg->a_ctx, cg_i32(cg, x->dtype), xs, ys, ms, cnt,
				      cg_f32(cg, ratio), seed, cg_i32(cg, n->id), si};
		cg_call_checked(cg, "kk_dropout", a, 10);
	} else {
		LLVMValueRef a[13] = {cg->a_ctx, cg_i32(cg, x->dtype), xs, ys, ms, cnt, pr,
				      cg_i32(cg, ratio_v ? ratio_v->dtype : IR_F32), train,
				      cg_f32(cg, ratio), seed, cg_i32(cg, n->id), si};
		cg_call_checked(cg, "kk_dropout_rt", a, 13);
	}
	LLVMValueRef next = LLVMBuildAdd(cg->B, s, cg_i64(cg, 1), "");
	LLVMBasicBlockRef end = LLVMGetInsertBlock(cg->B);
	LLVMBuildCondBr(cg->B, LLVMBuildICmp(cg->B, LLVMIntSLT, next, cg_i64(cg, T), ""), head, done);
	LLVMValueRef iv[2] = {cg_i64(cg, 0), next};
	LLVMBasicBlockRef ib[2] = {pre, end};
	LLVMAddIncoming(s, iv, ib, 2);
	LLVMPositionBuilderAtEnd(cg->B, done);
	return 0;
}

/* KilnMcCollect (passes/mc.c): chunk c's samples X[S, ...] into rows
 * c*S .. of Y[T, ...], as many as are below T (the last chunk may run past
 * T; its extra samples are dropped). */
int cg_lower_mc_collect(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	int64_t T = ir_attr_int(n, "samples", 0);
	if (!cg->mc_base)
		return cg_fail(cg, "internal error: outside the MC sample loop");
	LLVMValueRef es = cg_i64(cg, (int64_t)ir_dtype_size(x->dtype));
	LLVMValueRef slice = LLVMBuildMul(cg->B, cg_span(cg, &x->shape, 1, x->shape.rank), es, "");
	LLVMValueRef left = LLVMBuildSub(cg->B, cg_i64(cg, T), cg->mc_base, "");
	LLVMValueRef S = cg_dim(cg, x->shape.d[0]);
	LLVMValueRef cnt = LLVMBuildSelect(cg->B, LLVMBuildICmp(cg->B, LLVMIntSLT, left, S, ""),
					   left, S, "");
	LLVMValueRef off = LLVMBuildMul(cg->B, cg->mc_base, slice, "");
	LLVMValueRef dst = LLVMBuildInBoundsGEP2(cg->B, cg->t_i8, cg_ptr(cg, y), &off, 1, "");
	/* dst is only element-aligned (a slice can be 24 bytes): not cg_memcpy */
	LLVMBuildMemCpy(cg->B, dst, (unsigned)ir_dtype_size(x->dtype), cg_ptr(cg, x), 16,
			LLVMBuildMul(cg->B, cnt, slice, ""));
	return 0;
}

typedef struct {
	ir_dtype t;
	float ratio;
	const ir_node *n;
} dropout_part;

/* Elements [b, e) of a constant-ratio Dropout (ratio checked at compile
 * time, so the kernel cannot fail). The mask of element i does not depend on
 * the split: kk_dropout_range keys it by the absolute index. */
static void dropout_body(cg_ctx *cg, LLVMValueRef b, LLVMValueRef e, LLVMValueRef *v, void *ud)
{
	const dropout_part *p = ud;
	LLVMValueRef a[11] = {cg->a_ctx, cg_i32(cg, p->t), v[0], v[1], v[2], cg_f32(cg, p->ratio),
			      v[3], cg_i32(cg, p->n->id), cg_i32(cg, 0), b, e};
	cg_call(cg, "kk_dropout_range", a, 11);
}

/* A Dropout the passes left in place is stochastic (n->stochastic) or reads
 * ratio/training_mode at run time; otherwise it is a copy with an all-true mask. */
int cg_lower_dropout(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	const ir_value *mask = n->nout > 1 ? n->out[1] : NULL;
	const ir_value *ratio_v = n->opset >= 12 && n->nin > 1 ? n->in[1] : NULL;
	const ir_value *train_v = n->opset >= 12 && n->nin > 2 ? n->in[2] : NULL;
	if (!is_floatish(x->dtype))
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(x->dtype));
	double ratio = n->opset < 12 ? ir_attr_float(n, "ratio", 0.5f) : 0.5;
	int ratio_const = !ratio_v || cg_const_float(ratio_v, &ratio) == 0;
	int train_rt = n->stochastic && train_v && !train_v->data;
	int64_t mc = ir_attr_int(n, "kiln_mc_samples", 0);
	if (mc > 0 && n->stochastic)
		return dropout_mc(cg, n, mc, ratio_const, ratio);
	LLVMValueRef cnt = cg_numel(cg, &y->shape);
	const ir_attr *act = ir_attr_find(n, "kiln_act");
	if (act && n->stochastic && ratio_const && !train_rt) {   /* passes/fuse_dropout.c */
		LLVMValueRef a[12] = {cg->a_ctx, cg_i32(cg, act->i),
				      cg_f32(cg, ir_attr_float(n, "kiln_act_alpha", 0.0f)),
				      cg_i32(cg, x->dtype), cg_ptr(cg, x), cg_ptr(cg, y),
				      cg_ptr(cg, mask), cnt, cg_f32(cg, ratio), dropout_seed(cg, n),
				      cg_i32(cg, n->id), cg_i32(cg, 0)};
		cg_call_checked(cg, "kk_act_dropout", a, 12);
		return 0;
	}
	if (act)
		return cg_fail(cg, "internal error: fused activation on a non-fusable Dropout");
	if (n->stochastic && ratio_const && !train_rt) {
		if (!(ratio >= 0 && ratio < 1))
			return cg_fail(cg, "ratio %g is outside [0, 1)", ratio);
		dropout_part p = {x->dtype, (float)ratio, n};
		LLVMValueRef v[4] = {cg_ptr(cg, x), cg_ptr(cg, y), cg_ptr(cg, mask), dropout_seed(cg, n)};
		cg_parallel(cg, cnt, EW_GRAIN, v, 4, dropout_body, &p);
		return 0;
	}
	static const uint8_t one = 1;
	LLVMValueRef train = !n->stochastic ? cg_null(cg)
			     : train_rt ? cg_ptr(cg, train_v) : cg_const_bytes(cg, &one, 1);
	LLVMValueRef a[13] = {cg->a_ctx, cg_i32(cg, x->dtype), cg_ptr(cg, x), cg_ptr(cg, y),
			      cg_ptr(cg, mask), cnt, cg_ptr(cg, ratio_v),
			      cg_i32(cg, ratio_v ? ratio_v->dtype : IR_F32), train,
			      cg_f32(cg, ratio), dropout_seed(cg, n), cg_i32(cg, n->id),
			      cg_i32(cg, 0)};
	cg_call_checked(cg, "kk_dropout_rt", a, 13);
	return 0;
}
