/* infer.c — ir_infer_shapes (walks the nodes, runs each op's hook, then
 * evaluates small integer shape computations so later shape-determining
 * inputs are known) and the helpers shared by the infer_*.c files. */
#include <math.h>
#include <string.h>

#include "infer.h"

ir_value *infer_in(ir_node *n, int i, ir_status *st)
{
	if (i >= n->nin || !n->in[i]) {
		ir_fail(st, "%s: missing required input %d", ir_node_label(n), i);
		return NULL;
	}
	ir_value *v = n->in[i];
	if (!v->has_shape || v->dtype == IR_UNDEF) {
		ir_fail(st, "%s: input '%s' has unknown type or shape",
			ir_node_label(n), v->name);
		return NULL;
	}
	return v;
}

ir_value *infer_opt_in(ir_node *n, int i, ir_status *st, int *err)
{
	*err = 0;
	if (i >= n->nin || !n->in[i])
		return NULL;
	ir_value *v = infer_in(n, i, st);
	*err = v == NULL;
	return v;
}

int infer_arity(ir_node *n, int lo, int hi, int olo, int ohi, ir_status *st)
{
	int nin = n->nin, nout = n->nout;
	while (nin > 0 && !n->in[nin - 1])
		nin--;
	while (nout > 0 && !n->out[nout - 1])
		nout--;
	if (nin < lo || nin > hi)
		return ir_fail(st, "%s: has %d inputs, expected %d to %d",
			       ir_node_label(n), nin, lo, hi);
	if (nout < olo || nout > ohi)
		return ir_fail(st, "%s: has %d outputs, expected %d to %d",
			       ir_node_label(n), nout, olo, ohi);
	return 0;
}

void infer_set(ir_node *n, int i, ir_dtype t, const ir_shape *s)
{
	if (i >= n->nout || !n->out[i])
		return;
	ir_value *v = n->out[i];
	v->dtype = t;
	v->shape = *s;
	v->has_shape = 1;
}

int infer_axis(ir_node *n, int64_t axis, int rank, int inclusive, int *out,
	       ir_status *st)
{
	int64_t hi = rank + (inclusive ? 1 : 0);
	if (axis < -(int64_t)rank || axis >= hi)
		return ir_fail(st, "%s: axis %lld out of range for rank %d",
			       ir_node_label(n), (long long)axis, rank);
	*out = (int)(axis < 0 ? axis + rank : axis);
	return 0;
}

int64_t infer_data_i64(const ir_value *v, int64_t i)
{
	const void *p = v->data;
	switch (v->dtype) {
	case IR_I64: return ((const int64_t *)p)[i];
	case IR_I32: return ((const int32_t *)p)[i];
	case IR_I16: return ((const int16_t *)p)[i];
	case IR_I8: return ((const int8_t *)p)[i];
	case IR_U8: case IR_BOOL: return ((const uint8_t *)p)[i];
	case IR_U16: return ((const uint16_t *)p)[i];
	case IR_U32: return ((const uint32_t *)p)[i];
	case IR_U64: return (int64_t)((const uint64_t *)p)[i];
	case IR_F32: return (int64_t)((const float *)p)[i];
	case IR_F64: return (int64_t)((const double *)p)[i];
	default: return 0;
	}
}

double infer_data_f64(const ir_value *v, int64_t i)
{
	switch (v->dtype) {
	case IR_F32: return ((const float *)v->data)[i];
	case IR_F64: return ((const double *)v->data)[i];
	case IR_U64: return (double)((const uint64_t *)v->data)[i];
	default: return (double)infer_data_i64(v, i);
	}
}

/* Element count of a constant 1-D or scalar value, -1 if not 1-D/scalar. */
static int64_t vec_len(const ir_value *v)
{
	if (v->shape.rank == 0)
		return 1;
	if (v->shape.rank != 1 || !ir_dim_is_const(v->shape.d[0]))
		return -1;
	return v->shape.d[0].c;
}

int infer_const_dims(ir_node *n, int i, const char *what, ir_dim *buf,
		     int max, int *cnt, ir_status *st)
{
	ir_value *v = infer_in(n, i, st);
	if (!v)
		return -1;
	if (!v->data && !v->symdata)
		return ir_fail(st, "%s: %s input '%s' is computed at run time; "
			       "kiln needs it constant", ir_node_label(n), what, v->name);
	if (v->dtype != IR_I64 && v->dtype != IR_I32)
		return ir_fail(st, "%s: %s input '%s' must be int64, not %s",
			       ir_node_label(n), what, v->name, ir_dtype_name(v->dtype));
	int64_t len = vec_len(v);
	if (len < 0 || len > max)
		return ir_fail(st, "%s: %s input '%s' must be 1-D with at most %d "
			       "elements", ir_node_label(n), what, v->name, max);
	if (v->symdata && (v->shape.rank != 1 || v->dtype != IR_I64))
		return ir_fail(st, "%s: %s input '%s' has malformed symbolic data",
			       ir_node_label(n), what, v->name);
	if (v->data && v->nbytes < (size_t)len * ir_dtype_size(v->dtype))
		return ir_fail(st, "%s: %s input '%s' has %zu bytes of data, too few",
			       ir_node_label(n), what, v->name, v->nbytes);
	for (int64_t k = 0; k < len; k++)
		buf[k] = v->symdata ? v->symdata[k] : ir_dim_const(infer_data_i64(v, k));
	*cnt = (int)len;
	return 0;
}

int infer_const_ints(ir_node *n, int i, const char *what, int64_t *buf,
		     int max, int *cnt, ir_status *st)
{
	ir_dim d[64];
	if (max > 64)
		max = 64;
	if (infer_const_dims(n, i, what, d, max, cnt, st))
		return -1;
	for (int k = 0; k < *cnt; k++) {
		if (!ir_dim_is_const(d[k]))
			return ir_fail(st, "%s: %s input '%s' depends on a symbolic "
				       "dim; kiln needs it constant", ir_node_label(n),
				       what, n->in[i]->name);
		buf[k] = d[k].c;
	}
	return 0;
}

int infer_scalar(const ir_value *v, double *out)
{
	if (!v || !v->data || !v->has_shape || vec_len(v) != 1
	    || v->nbytes < ir_dtype_size(v->dtype) || !ir_dtype_size(v->dtype)
	    || v->dtype == IR_F16 || v->dtype == IR_BF16 || v->dtype >= IR_C64)
		return 1;
	*out = infer_data_f64(v, 0);
	return 0;
}

int infer_broadcast(ir_node *n, const ir_shape *a, const ir_shape *b,
		    ir_shape *out, ir_status *st)
{
	int r = a->rank > b->rank ? a->rank : b->rank;
	ir_shape o = {r};
	for (int i = 0; i < r; i++) {
		int ia = i - (r - a->rank), ib = i - (r - b->rank);
		ir_dim da = ia >= 0 ? a->d[ia] : ir_dim_const(1);
		ir_dim db = ib >= 0 ? b->d[ib] : ir_dim_const(1);
		if (ir_dim_eq(da, db) || ir_dim_eq(db, ir_dim_const(1)))
			o.d[i] = da;
		else if (ir_dim_eq(da, ir_dim_const(1)))
			o.d[i] = db;
		else {
			char s1[128], s2[128];
			return ir_fail(st, "%s: shapes %s and %s cannot be broadcast",
				       ir_node_label(n), infer_shape_str(NULL, a, s1, sizeof s1),
				       infer_shape_str(NULL, b, s2, sizeof s2));
		}
	}
	*out = o;
	return 0;
}

int infer_dim_mul(ir_node *n, ir_dim a, ir_dim b, ir_dim *out, ir_status *st)
{
	if (a.sym >= 0 && b.sym >= 0)
		return ir_fail(st, "%s: product of two symbolic dims is unsupported",
			       ir_node_label(n));
	int64_t x = a.c, y = b.c;
	if (x < 0 || y < 0 || (y && x > INT64_MAX / y))
		return ir_fail(st, "%s: dim product overflows", ir_node_label(n));
	out->c = x * y;
	out->sym = a.sym >= 0 ? a.sym : b.sym;
	if (out->c == 0)
		out->sym = -1;
	return 0;
}

int infer_dim_add(ir_node *n, ir_dim a, ir_dim b, ir_dim *out, ir_status *st)
{
	if (a.sym >= 0 && b.sym < 0 && b.c == 0) {
		*out = a;
		return 0;
	}
	if (b.sym >= 0 && a.sym < 0 && a.c == 0) {
		*out = b;
		return 0;
	}
	if (a.sym != b.sym)
		return ir_fail(st, "%s: sum of a symbolic and a different dim is "
			       "unsupported", ir_node_label(n));
	if (a.c > INT64_MAX - b.c || a.c < INT64_MIN + (b.c < 0 ? -b.c : 0))
		return ir_fail(st, "%s: dim sum overflows", ir_node_label(n));
	out->c = a.c + b.c;
	out->sym = out->c == 0 ? -1 : a.sym;
	return 0;
}

int infer_dim_match(ir_node *n, ir_dim a, ir_dim b, const char *what,
		    ir_status *st)
{
	if (ir_dim_eq(a, b))
		return 0;
	if (a.sym < 0 && b.sym < 0)
		return ir_fail(st, "%s: %s mismatch (%lld vs %lld)", ir_node_label(n),
			       what, (long long)a.c, (long long)b.c);
	return ir_fail(st, "%s: %s mismatch (symbolic vs other dim)",
		       ir_node_label(n), what);
}

int infer_check_shape(ir_node *n, const ir_shape *s, ir_status *st)
{
	if (s->rank < 0 || s->rank > IR_MAX_RANK)
		return ir_fail(st, "%s: rank %d unsupported (at most %d)",
			       ir_node_label(n), s->rank, IR_MAX_RANK);
	int64_t prod = 1;
	for (int i = 0; i < s->rank; i++) {
		int64_t c = s->d[i].c;
		if (c < 0)
			return ir_fail(st, "%s: negative dim %lld", ir_node_label(n),
				       (long long)c);
		if (c > 1 && prod > (INT64_C(1) << 48) / c)
			return ir_fail(st, "%s: tensor too large (dim %lld)",
				       ir_node_label(n), (long long)c);
		if (c > 1)
			prod *= c;
	}
	return 0;
}

/* Checks every present input is typed before running a hook. */
static int inputs_ready(ir_node *n, ir_status *st)
{
	for (int i = 0; i < n->nin; i++) {
		ir_value *v = n->in[i];
		if (v && (!v->has_shape || v->dtype == IR_UNDEF))
			return ir_fail(st, "%s: input '%s' has unknown type or shape",
				       ir_node_label(n), v->name);
		if (v && infer_check_shape(n, &v->shape, st))
			return -1;
	}
	return 0;
}

/* Evaluates small integer outputs (shape arithmetic) so that Reshape,
 * Expand... further down see constant or symbolic shape inputs. */
static int shape_fold(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_fold_fn fold = ir_ops[n->op].fold;
	if (!fold || n->op == IR_OP_Identity)
		return 0;
	for (int i = 0; i < n->nout; i++) {
		ir_value *v = n->out[i];
		if (!v)
			continue;
		/* small integer tensors (shapes, axes) and float scalars/vectors
		 * (Range limits computed from a size, as ONNX functions do) */
		if (v->dtype != IR_I64 && v->dtype != IR_I32 && v->dtype != IR_F32 &&
		    v->dtype != IR_F64)
			return 0;
		if (v->shape.rank > 1 || !ir_shape_is_static(&v->shape)
		    || ir_shape_static_numel(&v->shape) > 64)
			return 0;
	}
	if (n->op != IR_OP_Shape && n->op != IR_OP_Size)
		for (int i = 0; i < n->nin; i++)
			if (n->in[i] && !n->in[i]->data && !n->in[i]->symdata)
				return 0;
	return fold(g, n, st) < 0 ? -1 : 0;
}

int ir_infer_shapes(ir_graph *g, ir_status *st)
{
	for (int i = 0; i < g->nnodes; i++) {
		ir_node *n = g->nodes[i];
		if (n->dead)
			continue;
		if (n->op == IR_OP_UNKNOWN || n->op < 0)
			return ir_fail(st, "unsupported operator '%s%s%s' (node '%s')",
				       n->domain && n->domain[0] ? n->domain : "",
				       n->domain && n->domain[0] ? "::" : "",
				       n->op_type, n->name);
		if (inputs_ready(n, st))
			return -1;
		if (ir_ops[n->op].infer(g, n, st))
			return -1;
		for (int j = 0; j < n->nout; j++) {
			ir_value *v = n->out[j];
			if (v && (!v->has_shape || v->dtype == IR_UNDEF))
				return ir_fail(st, "%s: output %d ('%s') was not typed",
					       ir_node_label(n), j, v->name);
			if (v && infer_check_shape(n, &v->shape, st))
				return -1;
		}
		if (shape_fold(g, n, st))
			return -1;
	}
	return 0;
}
