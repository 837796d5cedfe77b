/* infer_reduce.c — shape inference for reductions: Reduce* (axes as an
 * attribute, or as an optional input for ReduceSum from opset 13 and the
 * others from opset 18; keepdims; noop_with_empty_axes) and ArgMax/ArgMin
 * (one axis, int64 out). */
#include "infer.h"

/* Reads the axes (attribute or input) into mark[]; *all when none given. */
static int reduce_axes(ir_node *n, int rank, int *mark, int *none,
		       ir_status *st)
{
	int axes_input = n->op == IR_OP_ReduceSum ? n->opset >= 13 : n->opset >= 18;
	int64_t ax[IR_MAX_RANK + 1];
	int cnt = 0;
	*none = 1;
	if (axes_input) {
		if (infer_arity(n, 1, 2, 1, 1, st))
			return -1;
		if (n->nin > 1 && n->in[1]) {
			if (infer_const_ints(n, 1, "axes", ax, IR_MAX_RANK + 1, &cnt, st))
				return -1;
			*none = cnt == 0;
		}
	} else {
		const int64_t *v;
		if (infer_arity(n, 1, 1, 1, 1, st))
			return -1;
		int k = ir_attr_ints(n, "axes", &v);
		if (k > IR_MAX_RANK)
			return ir_fail(st, "%s: too many axes", ir_node_label(n));
		for (int i = 0; i < k; i++)
			ax[i] = v[i];
		cnt = k < 0 ? 0 : k;
		*none = k <= 0;
	}
	for (int i = 0; i < cnt; i++) {
		int a;
		if (infer_axis(n, ax[i], rank, 0, &a, st))
			return -1;
		if (mark[a])
			return ir_fail(st, "%s: axis %lld repeated", ir_node_label(n),
				       (long long)ax[i]);
		mark[a] = 1;
	}
	return 0;
}

int infer_reduce(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x)
		return -1;
	int mark[IR_MAX_RANK] = {0}, none;
	int rank = x->shape.rank;
	if (reduce_axes(n, rank, mark, &none, st))
		return -1;
	int keep = ir_attr_int(n, "keepdims", 1) != 0;
	if (none) {
		if (ir_attr_int(n, "noop_with_empty_axes", 0)) {
			infer_set(n, 0, x->dtype, &x->shape);
			return 0;
		}
		for (int i = 0; i < rank; i++)
			mark[i] = 1;
	}
	ir_shape o = {0};
	for (int i = 0; i < rank; i++) {
		if (!mark[i])
			o.d[o.rank++] = x->shape.d[i];
		else if (keep)
			o.d[o.rank++] = ir_dim_const(1);
	}
	if (x->dtype == IR_BOOL || x->dtype == IR_STRING)
		return ir_fail(st, "%s: %s input is unsupported", ir_node_label(n),
			       ir_dtype_name(x->dtype));
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_argreduce(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	int ax, rank = x->shape.rank;
	if (rank == 0)
		return ir_fail(st, "%s: input must have rank >= 1", ir_node_label(n));
	if (infer_axis(n, ir_attr_int(n, "axis", 0), rank, 0, &ax, st))
		return -1;
	if (ir_dim_eq(x->shape.d[ax], ir_dim_const(0)))
		return ir_fail(st, "%s: reduced axis is empty", ir_node_label(n));
	int keep = ir_attr_int(n, "keepdims", 1) != 0;
	ir_shape o = {0};
	for (int i = 0; i < rank; i++) {
		if (i != ax)
			o.d[o.rank++] = x->shape.d[i];
		else if (keep)
			o.d[o.rank++] = ir_dim_const(1);
	}
	infer_set(n, 0, IR_I64, &o);
	return 0;
}
