/* infer_elementwise.c — shape/dtype inference for elementwise ops: unary
 * (same type and shape out; also the Softmax family, InstanceNormalization
 * and LRN, which keep their input's shape), Cast, binary and variadic ops
 * with numpy broadcasting, comparisons (bool out) and Where. */
#include <string.h>

#include "infer.h"

/* Softmax family: axis must be within the rank (default 1 before opset 13,
 * -1 from 13). */
static int check_softmax(ir_node *n, const ir_value *x, ir_status *st)
{
	int ax;
	int64_t dflt = n->opset < 13 ? 1 : -1;
	int64_t axis = ir_attr_int(n, "axis", dflt);
	if (x->shape.rank == 0 && axis == dflt)
		return 0;
	return infer_axis(n, axis, x->shape.rank, 0, &ax, st);
}

/* InstanceNormalization: X [N,C,...], scale and B [C]. */
static int check_instnorm(ir_node *n, const ir_value *x, ir_status *st)
{
	if (infer_arity(n, 3, 3, 1, 1, st))
		return -1;
	if (x->shape.rank < 3)
		return ir_fail(st, "%s: input must have rank >= 3", ir_node_label(n));
	for (int i = 1; i < 3; i++) {
		ir_value *p = infer_in(n, i, st);
		if (!p)
			return -1;
		if (p->shape.rank != 1 || infer_dim_match(n, p->shape.d[0],
							  x->shape.d[1], "channel count", st))
			return ir_fail(st, "%s: '%s' must have shape [C]",
				       ir_node_label(n), p->name);
	}
	return 0;
}

/* Clip before opset 11 has min/max attributes; from 11 optional scalar inputs
 * of the input's dtype. */
static int check_clip(ir_node *n, const ir_value *x, ir_status *st)
{
	if (infer_arity(n, 1, n->opset < 11 ? 1 : 3, 1, 1, st))
		return -1;
	for (int i = 1; i < n->nin; i++) {
		ir_value *b = n->in[i];
		if (!b)
			continue;
		if (b->dtype != x->dtype)
			return ir_fail(st, "%s: bound '%s' is %s, input is %s",
				       ir_node_label(n), b->name, ir_dtype_name(b->dtype),
				       ir_dtype_name(x->dtype));
		if (b->shape.rank > 1 || (b->shape.rank == 1 && !ir_dim_eq(
					  b->shape.d[0], ir_dim_const(1))))
			return ir_fail(st, "%s: bound '%s' must be a scalar",
				       ir_node_label(n), b->name);
	}
	return 0;
}

int infer_unary(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x)
		return -1;
	switch (n->op) {
	case IR_OP_Softmax: case IR_OP_LogSoftmax: case IR_OP_Hardmax:
		if (infer_arity(n, 1, 1, 1, 1, st) || check_softmax(n, x, st))
			return -1;
		if (!ir_dtype_is_float(x->dtype))
			return ir_fail(st, "%s: input must be floating point",
				       ir_node_label(n));
		break;
	case IR_OP_InstanceNormalization:
		if (check_instnorm(n, x, st))
			return -1;
		break;
	case IR_OP_LRN:
		if (infer_arity(n, 1, 1, 1, 1, st))
			return -1;
		if (x->shape.rank < 3)
			return ir_fail(st, "%s: input must have rank >= 3",
				       ir_node_label(n));
		if (ir_attr_int(n, "size", -1) <= 0)
			return ir_fail(st, "%s: attribute 'size' must be positive",
				       ir_node_label(n));
		break;
	case IR_OP_Clip:
		if (check_clip(n, x, st))
			return -1;
		break;
	case IR_OP_Not:
		if (x->dtype != IR_BOOL)
			return ir_fail(st, "%s: input must be bool", ir_node_label(n));
		/* fall through */
	default:
		if (infer_arity(n, 1, 1, 1, 1, st))
			return -1;
	}
	infer_set(n, 0, x->dtype, &x->shape);
	return 0;
}

int infer_isclass(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	if (!ir_dtype_is_float(x->dtype))
		return ir_fail(st, "%s: input must be floating point", ir_node_label(n));
	infer_set(n, 0, IR_BOOL, &x->shape);
	return 0;
}

int infer_cast(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	int64_t to = ir_attr_int(n, "to", -1);
	if (to <= IR_UNDEF || to >= IR_NDTYPES)
		return ir_fail(st, "%s: attribute 'to' (%lld) is not a known type",
			       ir_node_label(n), (long long)to);
	if (to == IR_STRING || x->dtype == IR_STRING || to == IR_C64
	    || to == IR_C128)
		return ir_fail(st, "%s: cast to/from %s is unsupported",
			       ir_node_label(n), ir_dtype_name(to == IR_STRING
				|| to >= IR_C64 ? (ir_dtype)to : x->dtype));
	infer_set(n, 0, (ir_dtype)to, &x->shape);
	return 0;
}

/* Two inputs with the same dtype, broadcast: out shape into *o. */
static int binary_shape(ir_node *n, int same_type, ir_shape *o, ir_dtype *t,
			ir_status *st)
{
	if (infer_arity(n, 2, 2, 1, 1, st))
		return -1;
	ir_value *a = infer_in(n, 0, st), *b = a ? infer_in(n, 1, st) : NULL;
	if (!a || !b)
		return -1;
	if (same_type && a->dtype != b->dtype)
		return ir_fail(st, "%s: input types differ (%s vs %s)",
			       ir_node_label(n), ir_dtype_name(a->dtype),
			       ir_dtype_name(b->dtype));
	*t = a->dtype;
	return infer_broadcast(n, &a->shape, &b->shape, o, st);
}

/* PRelu before opset 7: slope [C] applies along axis 1 of X (not numpy
 * broadcasting), or is a single shared value. */
static int prelu_legacy(ir_node *n, ir_status *st)
{
	if (infer_arity(n, 2, 2, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *s = x ? infer_in(n, 1, st) : NULL;
	if (!x || !s)
		return -1;
	ir_dim k;
	if (s->dtype != x->dtype || !ir_shape_numel(&s->shape, &k))
		return ir_fail(st, "%s: bad slope", ir_node_label(n));
	if (!ir_dim_eq(k, ir_dim_const(1)) && (x->shape.rank < 2
	    || !ir_dim_eq(k, x->shape.d[1])))
		return ir_fail(st, "%s: slope must have 1 or C elements",
			       ir_node_label(n));
	infer_set(n, 0, x->dtype, &x->shape);
	return 0;
}

int infer_binary(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_shape o;
	ir_dtype t = IR_UNDEF;   /* set by binary_shape on success */
	if (n->op == IR_OP_PRelu && n->opset < 7)
		return prelu_legacy(n, st);
	if (binary_shape(n, n->op != IR_OP_Pow, &o, &t, st))
		return -1;
	if (n->op == IR_OP_PRelu) {
		/* slope broadcasts unidirectionally to X: output is X's shape */
		const ir_shape *x = &n->in[0]->shape;
		if (!ir_shape_eq(&o, x))
			return ir_fail(st, "%s: slope does not broadcast to X",
				       ir_node_label(n));
	}
	if (n->op == IR_OP_BitShift) {
		const char *dir = ir_attr_str(n, "direction", "");
		if (t != IR_U8 && t != IR_U16 && t != IR_U32 && t != IR_U64)
			return ir_fail(st, "%s: inputs must be unsigned integers",
				       ir_node_label(n));
		if (strcmp(dir, "LEFT") != 0 && strcmp(dir, "RIGHT") != 0)
			return ir_fail(st, "%s: direction must be LEFT or RIGHT",
				       ir_node_label(n));
	}
	if (t == IR_BOOL || t == IR_STRING)
		return ir_fail(st, "%s: %s inputs are not arithmetic",
			       ir_node_label(n), ir_dtype_name(t));
	infer_set(n, 0, t, &o);
	return 0;
}

int infer_compare(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_shape o;
	ir_dtype t = IR_UNDEF;
	if (binary_shape(n, 1, &o, &t, st))
		return -1;
	int logical = n->op == IR_OP_And || n->op == IR_OP_Or || n->op == IR_OP_Xor;
	if (logical && t != IR_BOOL)
		return ir_fail(st, "%s: inputs must be bool", ir_node_label(n));
	infer_set(n, 0, IR_BOOL, &o);
	return 0;
}

int infer_variadic(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 1, 1 << 20, 1, 1, st))
		return -1;
	ir_value *a = infer_in(n, 0, st);
	if (!a)
		return -1;
	ir_shape o = a->shape;
	for (int i = 1; i < n->nin; i++) {
		ir_value *b = infer_in(n, i, st);
		if (!b)
			return -1;
		if (b->dtype != a->dtype)
			return ir_fail(st, "%s: input types differ (%s vs %s)",
				       ir_node_label(n), ir_dtype_name(a->dtype),
				       ir_dtype_name(b->dtype));
		if (infer_broadcast(n, &o, &b->shape, &o, st))
			return -1;
	}
	if ((n->op == IR_OP_Mean && !ir_dtype_is_float(a->dtype))
	    || a->dtype == IR_BOOL || a->dtype == IR_STRING)
		return ir_fail(st, "%s: %s inputs are unsupported", ir_node_label(n),
			       ir_dtype_name(a->dtype));
	infer_set(n, 0, a->dtype, &o);
	return 0;
}

int infer_where(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 3, 3, 1, 1, st))
		return -1;
	ir_value *c = infer_in(n, 0, st), *x = infer_in(n, 1, st),
		 *y = infer_in(n, 2, st);
	if (!c || !x || !y)
		return -1;
	if (c->dtype != IR_BOOL)
		return ir_fail(st, "%s: condition must be bool", ir_node_label(n));
	if (x->dtype != y->dtype)
		return ir_fail(st, "%s: X and Y types differ (%s vs %s)",
			       ir_node_label(n), ir_dtype_name(x->dtype),
			       ir_dtype_name(y->dtype));
	ir_shape o;
	if (infer_broadcast(n, &c->shape, &x->shape, &o, st)
	    || infer_broadcast(n, &o, &y->shape, &o, st))
		return -1;
	infer_set(n, 0, x->dtype, &o);
	return 0;
}
