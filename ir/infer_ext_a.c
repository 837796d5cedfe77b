/* infer_ext_a.c — shape/dtype inference for "ops wave A":
 * NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss, Trilu, CastLike,
 * CumSum, DepthToSpace, SpaceToDepth, OneHot, Shrink, EyeLike,
 * MeanVarianceNormalization and TopK (ONNX opsets <= 17). OneHot's depth
 * and TopK's K decide an output shape, so kiln needs them constant. */
#include <string.h>

#include "infer.h"

static int is_f(ir_dtype t) { return t == IR_F32 || t == IR_F64; }

/* Checks loss inputs: scores [N, C, d...], target [N, d...], weight [C]. */
static int loss_check(ir_node *n, ir_value **x, ir_value **t, ir_status *st)
{
	int err;
	*x = infer_in(n, 0, st);
	*t = *x ? infer_in(n, 1, st) : NULL;
	ir_value *w = *t ? infer_opt_in(n, 2, st, &err) : NULL;
	if (!*x || !*t || (!w && err))
		return -1;
	const ir_shape *xs = &(*x)->shape, *ts = &(*t)->shape;
	if (!is_f((*x)->dtype))
		return ir_fail(st, "%s: scores must be float or double", ir_node_label(n));
	if ((*t)->dtype != IR_I32 && (*t)->dtype != IR_I64)
		return ir_fail(st, "%s: target must be int32 or int64", ir_node_label(n));
	if (xs->rank < 2 || ts->rank != xs->rank - 1)
		return ir_fail(st, "%s: scores need rank >= 2 and target rank one less",
			       ir_node_label(n));
	for (int i = 0; i < ts->rank; i++)
		if (infer_dim_match(n, xs->d[i ? i + 1 : 0], ts->d[i], "target dim", st))
			return -1;
	if (w && (w->dtype != (*x)->dtype || w->shape.rank != 1 ||
		  infer_dim_match(n, w->shape.d[0], xs->d[1], "weight length", st)))
		return ir_fail(st, "%s: weight must be 1-D [C] of the scores' type",
			       ir_node_label(n));
	const char *r = ir_attr_str(n, "reduction", "mean");
	if (strcmp(r, "none") && strcmp(r, "sum") && strcmp(r, "mean"))
		return ir_fail(st, "%s: unknown reduction '%s'", ir_node_label(n), r);
	return 0;
}

static void loss_set(ir_node *n, ir_value *x, ir_value *t)
{
	ir_shape scalar = {0};
	int none = !strcmp(ir_attr_str(n, "reduction", "mean"), "none");
	infer_set(n, 0, x->dtype, none ? &t->shape : &scalar);
}

int infer_nll_loss(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_value *x, *t;
	if (infer_arity(n, 2, 3, 1, 1, st) || loss_check(n, &x, &t, st))
		return -1;
	loss_set(n, x, t);
	return 0;
}

int infer_sce_loss(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_value *x, *t;
	if (infer_arity(n, 2, 3, 1, 2, st) || loss_check(n, &x, &t, st))
		return -1;
	loss_set(n, x, t);
	infer_set(n, 1, x->dtype, &x->shape);
	return 0;
}

int infer_trilu(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	int err;
	ir_value *x = infer_in(n, 0, st), *k = x ? infer_opt_in(n, 1, st, &err) : NULL;
	if (!x || (!k && err) || infer_arity(n, 1, 2, 1, 1, st))
		return -1;
	if (x->shape.rank < 2)
		return ir_fail(st, "%s: input must have rank >= 2", ir_node_label(n));
	if (k && (k->dtype != IR_I64 || k->shape.rank != 0))
		return ir_fail(st, "%s: k must be an int64 scalar", ir_node_label(n));
	if (!ir_dtype_size(x->dtype))
		return ir_fail(st, "%s: element type %s is unsupported", ir_node_label(n),
			       ir_dtype_name(x->dtype));
	infer_set(n, 0, x->dtype, &x->shape);
	return 0;
}

int infer_castlike(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_value *x = infer_in(n, 0, st), *like = x ? infer_in(n, 1, st) : NULL;
	if (!like || infer_arity(n, 2, 2, 1, 1, st))
		return -1;
	ir_dtype to = like->dtype;
	if (to == IR_STRING || x->dtype == IR_STRING || to == IR_C64 || to == IR_C128
	    || x->dtype == IR_C64 || x->dtype == IR_C128)
		return ir_fail(st, "%s: cast from %s to %s is unsupported", ir_node_label(n),
			       ir_dtype_name(x->dtype), ir_dtype_name(to));
	infer_set(n, 0, to, &x->shape);
	return 0;
}

int infer_cumsum(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_value *x = infer_in(n, 0, st), *ax = x ? infer_in(n, 1, st) : NULL;
	if (!ax || infer_arity(n, 2, 2, 1, 1, st))
		return -1;
	if (ax->dtype != IR_I32 && ax->dtype != IR_I64)
		return ir_fail(st, "%s: axis must be int32 or int64", ir_node_label(n));
	ir_dtype t = x->dtype;
	if (!is_f(t) && t != IR_I32 && t != IR_I64 && t != IR_U32 && t != IR_U64)
		return ir_fail(st, "%s: element type %s is unsupported", ir_node_label(n),
			       ir_dtype_name(t));
	double a;
	if (!infer_scalar(ax, &a) && (a < -(x->shape.rank ? x->shape.rank : 1) ||
				      a >= (x->shape.rank ? x->shape.rank : 1)))
		return ir_fail(st, "%s: axis %g out of range", ir_node_label(n), a);
	infer_set(n, 0, t, &x->shape);
	return 0;
}

/* DepthToSpace [N, C, H, W] -> [N, C/b^2, H*b, W*b]; SpaceToDepth inverse. */
static int space_depth(ir_node *n, int to_space, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	int64_t b = ir_attr_int(n, "blocksize", 0);
	const ir_shape *s = &x->shape;
	if (s->rank != 4 || b < 1)
		return ir_fail(st, "%s: needs a 4-D input and blocksize >= 1",
			       ir_node_label(n));
	for (int i = 1; i < 4; i++)
		if (!ir_dim_is_const(s->d[i]))
			return ir_fail(st, "%s: C, H, W must be static", ir_node_label(n));
	if (to_space) {
		const char *m = ir_attr_str(n, "mode", "DCR");
		if (strcmp(m, "DCR") && strcmp(m, "CRD"))
			return ir_fail(st, "%s: unknown mode '%s'", ir_node_label(n), m);
	}
	ir_shape o = *s;
	if (to_space ? s->d[1].c % (b * b) : s->d[2].c % b || s->d[3].c % b)
		return ir_fail(st, "%s: dims not divisible by blocksize %lld",
			       ir_node_label(n), (long long)b);
	o.d[1].c = to_space ? s->d[1].c / (b * b) : s->d[1].c * b * b;
	o.d[2].c = to_space ? s->d[2].c * b : s->d[2].c / b;
	o.d[3].c = to_space ? s->d[3].c * b : s->d[3].c / b;
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_depth_to_space(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	return space_depth(n, 1, st);
}

int infer_space_to_depth(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	return space_depth(n, 0, st);
}

int infer_onehot(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_value *idx = infer_in(n, 0, st), *dep = idx ? infer_in(n, 1, st) : NULL;
	ir_value *val = dep ? infer_in(n, 2, st) : NULL;
	if (!val || infer_arity(n, 3, 3, 1, 1, st))
		return -1;
	double d;
	if (infer_scalar(dep, &d))
		return ir_fail(st, "%s: depth input '%s' is computed at run time; kiln "
			       "needs it constant", ir_node_label(n), dep->name);
	if (d < 1 || d > (double)(1 << 30))
		return ir_fail(st, "%s: depth %g out of range", ir_node_label(n), d);
	if (val->shape.rank != 1 || !ir_dim_is_const(val->shape.d[0]) ||
	    val->shape.d[0].c != 2 || !ir_dtype_size(val->dtype))
		return ir_fail(st, "%s: values must be a 1-D tensor of two elements",
			       ir_node_label(n));
	if (!ir_dtype_is_float(idx->dtype) && !ir_dtype_is_int(idx->dtype))
		return ir_fail(st, "%s: indices must be numeric", ir_node_label(n));
	int ax, r = idx->shape.rank;
	if (r + 1 > IR_MAX_RANK ||
	    infer_axis(n, ir_attr_int(n, "axis", -1), r + 1, 0, &ax, st))
		return r + 1 > IR_MAX_RANK ? ir_fail(st, "%s: rank too large",
						     ir_node_label(n)) : -1;
	ir_shape o = {0};
	o.rank = r + 1;
	for (int i = 0, j = 0; i < o.rank; i++)
		o.d[i] = i == ax ? ir_dim_const((int64_t)d) : idx->shape.d[j++];
	infer_set(n, 0, val->dtype, &o);
	return 0;
}

/* Shrink and MeanVarianceNormalization: y has x's type and shape. */
int infer_same_numeric(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	int fonly = n->op == IR_OP_MeanVarianceNormalization;
	if (fonly ? !is_f(x->dtype) : !(is_f(x->dtype) || ir_dtype_is_int(x->dtype)))
		return ir_fail(st, "%s: element type %s is unsupported", ir_node_label(n),
			       ir_dtype_name(x->dtype));
	if (fonly) {
		const int64_t *axes;
		int na = ir_attr_ints(n, "axes", &axes);
		for (int i = 0; i < na; i++) {
			int a;
			if (infer_axis(n, axes[i], x->shape.rank, 0, &a, st))
				return -1;
		}
	}
	infer_set(n, 0, x->dtype, &x->shape);
	return 0;
}

int infer_eyelike(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	if (x->shape.rank != 2)
		return ir_fail(st, "%s: input must be 2-D", ir_node_label(n));
	int64_t t = ir_attr_int(n, "dtype", x->dtype);
	if (!(ir_dtype_is_float(t) && t != IR_F16 && t != IR_BF16) &&
	    !ir_dtype_is_int(t) && t != IR_BOOL)
		return ir_fail(st, "%s: dtype %lld is unsupported", ir_node_label(n),
			       (long long)t);
	infer_set(n, 0, (ir_dtype)t, &x->shape);
	return 0;
}

int infer_topk(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, n->opset < 10 ? 1 : 2, n->opset < 10 ? 1 : 2, 2, 2, st))
		return -1;
	int64_t k = ir_attr_int(n, "k", -1);
	int cnt = 1, ax;
	if (n->opset >= 10 && (infer_const_ints(n, 1, "K", &k, 1, &cnt, st) || cnt != 1))
		return cnt != 1 ? ir_fail(st, "%s: K must have one element",
					  ir_node_label(n)) : -1;
	if (x->shape.rank < 1 || infer_axis(n, ir_attr_int(n, "axis", -1), x->shape.rank,
					    0, &ax, st))
		return x->shape.rank < 1 ? ir_fail(st, "%s: input must have rank >= 1",
						   ir_node_label(n)) : -1;
	if (x->dtype != IR_F32 && x->dtype != IR_F64 && x->dtype != IR_I32 &&
	    x->dtype != IR_I64)
		return ir_fail(st, "%s: element type %s is unsupported", ir_node_label(n),
			       ir_dtype_name(x->dtype));
	ir_dim len = x->shape.d[ax];
	if (k < 0 || (ir_dim_is_const(len) && k > len.c))
		return ir_fail(st, "%s: K = %lld out of range", ir_node_label(n), (long long)k);
	ir_shape o = x->shape;
	o.d[ax] = ir_dim_const(k);
	infer_set(n, 0, x->dtype, &o);
	infer_set(n, 1, IR_I64, &o);
	return 0;
}
