/* fold.c — constant-folding hooks named in ops.def. Each evaluates one node
 * whose inputs are constant (data) or known dims (symdata), writing the
 * outputs' data and/or symdata; the node itself stays (passes/fold.c decides
 * what to do with it). Hooks return 1 to decline (unsupported dtype, output
 * over IR_FOLD_MAX_ELEMS elements, dims not representable), -1 on a user
 * error such as an out-of-range index. */
#include <math.h>
#include <string.h>

#include "infer.h"

/* Runs inference when an output is not typed yet; 1 if the node cannot fold. */
static int prep(ir_graph *g, ir_node *n, ir_status *st)
{
	for (int i = 0; i < n->nout; i++)
		if (n->out[i] && !n->out[i]->has_shape)
			return ir_ops[n->op].infer(g, n, st) ? -1 : 0;
	return 0;
}

/* Element count of a static shape, -1 if symbolic, negative or over the
 * fold limit (checked as it multiplies, so hostile dims cannot overflow). */
static int64_t safe_numel(const ir_value *v)
{
	if (!v || !v->has_shape || v->shape.rank < 0 || v->shape.rank > IR_MAX_RANK)
		return -1;
	int64_t k = 1;
	for (int i = 0; i < v->shape.rank; i++) {
		ir_dim d = v->shape.d[i];
		if (d.sym >= 0 || d.c < 0)
			return -1;
		if (d.c == 0)
			k = 0;
		else if (k > IR_FOLD_MAX_ELEMS / d.c)
			return -1;
		else
			k *= d.c;
	}
	return k;
}

static int64_t out_numel(const ir_value *v)
{
	return safe_numel(v);
}

/* Reads a rank-0/1 integer value as dims (symdata or int data); -1 if not. */
static int in_dims(const ir_value *v, ir_dim *buf, int max)
{
	if (!v || !v->has_shape || v->shape.rank > 1)
		return -1;
	int64_t len = v->shape.rank ? v->shape.d[0].c : 1;
	if ((v->shape.rank && v->shape.d[0].sym >= 0) || len > max)
		return -1;
	if (v->symdata) {
		memcpy(buf, v->symdata, sizeof(ir_dim) * (size_t)len);
		return (int)len;
	}
	if (!v->data || (v->dtype != IR_I64 && v->dtype != IR_I32)
	    || v->nbytes < (size_t)len * ir_dtype_size(v->dtype))
		return -1;
	for (int64_t i = 0; i < len; i++)
		buf[i] = ir_dim_const(infer_data_i64(v, i));
	return (int)len;
}

/* Stores dims into an int output: symdata (i64), plus data when all are
 * constant. */
static int set_dims(ir_graph *g, ir_value *v, const ir_dim *d, int cnt,
		    ir_status *st)
{
	int all = 1;
	for (int i = 0; i < cnt; i++)
		all &= ir_dim_is_const(d[i]);
	if (v->dtype != IR_I64 && !(all && v->dtype == IR_I32))
		return 1;
	size_t es = ir_dtype_size(v->dtype);
	if (v->dtype == IR_I64) {
		ir_dim *s = ir_alloc(g->arena, sizeof(ir_dim) * (size_t)(cnt + 1));
		if (!s)
			return ir_fail(st, "out of memory");
		memcpy(s, d, sizeof(ir_dim) * (size_t)cnt);
		v->symdata = s;
	}
	if (all) {
		void *p = ir_alloc(g->arena, es * (size_t)cnt);
		if (!p)
			return ir_fail(st, "out of memory");
		for (int i = 0; i < cnt; i++) {
			if (es == 8)
				((int64_t *)p)[i] = d[i].c;
			else
				((int32_t *)p)[i] = (int32_t)d[i].c;
		}
		v->data = p;
		v->nbytes = es * (size_t)cnt;
	}
	return 0;
}

/* Allocates output data for numel elements. */
static void *out_data(ir_graph *g, ir_value *v, int64_t numel)
{
	size_t nb = (size_t)numel * ir_dtype_size(v->dtype);
	void *p = ir_alloc(g->arena, nb);
	if (p) {
		v->data = p;
		v->nbytes = nb;
	}
	return p;
}

/* Input data present and large enough for its static shape. */
static int has_data(const ir_value *v)
{
	int64_t k = safe_numel(v);
	if (k < 0 || !v->data || !ir_dtype_size(v->dtype))
		return 0;
	return v->nbytes >= (size_t)k * ir_dtype_size(v->dtype);
}

int fold_identity(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = n->nin > 0 ? n->in[0] : NULL, *y = n->nout > 0 ? n->out[0] : NULL;
	if (!x || !y || (!x->data && !x->symdata) || prep(g, n, st))
		return 1;
	y->data = x->data;
	y->nbytes = x->nbytes;
	y->symdata = x->symdata;
	return 0;
}

/* ---- Cast ---- */

static int castable(ir_dtype t)
{
	return t == IR_BOOL || t == IR_F32 || t == IR_F64 || ir_dtype_is_int(t);
}

static void store_i64(void *p, ir_dtype t, int64_t i, int64_t x)
{
	switch (t) {
	case IR_I64: case IR_U64: ((int64_t *)p)[i] = x; break;
	case IR_I32: case IR_U32: ((int32_t *)p)[i] = (int32_t)x; break;
	case IR_I16: case IR_U16: ((int16_t *)p)[i] = (int16_t)x; break;
	case IR_I8: case IR_U8: ((int8_t *)p)[i] = (int8_t)x; break;
	case IR_BOOL: ((uint8_t *)p)[i] = x != 0; break;
	case IR_F32: ((float *)p)[i] = (float)x; break;
	case IR_F64: ((double *)p)[i] = (double)x; break;
	default: break;
	}
}

static void store_f64(void *p, ir_dtype t, int64_t i, double x)
{
	if (t == IR_F32)
		((float *)p)[i] = (float)x;
	else if (t == IR_F64)
		((double *)p)[i] = x;
	else if (t == IR_BOOL)
		((uint8_t *)p)[i] = x != 0;
	else if (isnan(x))
		store_i64(p, t, i, 0);
	else  /* saturate: out-of-range float to int is undefined in C */
		store_i64(p, t, i, x >= 9.2e18 ? INT64_MAX : x <= -9.2e18 ? INT64_MIN
			  : (int64_t)x);
}

int fold_cast(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = n->in[0], *y = n->out[0];
	if (!x || !y || prep(g, n, st))
		return 1;
	if (!x->data && x->symdata && y->dtype == IR_I64 && x->dtype == IR_I64) {
		y->symdata = x->symdata;
		return 0;
	}
	int64_t k = out_numel(y);
	if (!has_data(x) || k < 0 || !castable(x->dtype) || !castable(y->dtype))
		return 1;
	void *p = out_data(g, y, k);
	if (!p)
		return ir_fail(st, "out of memory");
	int fl = ir_dtype_is_float(x->dtype);
	for (int64_t i = 0; i < k; i++) {
		if (fl)
			store_f64(p, y->dtype, i, infer_data_f64(x, i));
		else
			store_i64(p, y->dtype, i, infer_data_i64(x, i));
	}
	return 0;
}

/* ---- Add/Sub/Mul/Div ---- */

/* Linear index into an input broadcast to the output shape. */
static int64_t bcast_index(const ir_shape *o, const ir_shape *in, int64_t li)
{
	int64_t idx = 0, stride = 1;
	for (int i = o->rank - 1, j = in->rank - 1; i >= 0; i--, j--) {
		int64_t c = li % o->d[i].c;
		li /= o->d[i].c;
		if (j >= 0) {
			if (in->d[j].c != 1)
				idx += c * stride;
			stride *= in->d[j].c;
		}
	}
	return idx;
}

/* One dim op on symbolic values; 1 when not representable. */
static int dim_arith(ir_op op, ir_dim a, ir_dim b, ir_dim *r)
{
	int ca = ir_dim_is_const(a), cb = ir_dim_is_const(b);
	if (ca && cb) {
		int64_t x = a.c, y = b.c;
		if ((op == IR_OP_Div && y == 0) || (op == IR_OP_Mul && x && y
		    && (x > INT32_MAX || y > INT32_MAX || x < -INT32_MAX || y < -INT32_MAX)))
			return 1;
		*r = ir_dim_const(op == IR_OP_Add ? x + y : op == IR_OP_Sub ? x - y
				  : op == IR_OP_Mul ? x * y : x / y);
		return 0;
	}
	switch (op) {
	case IR_OP_Add: case IR_OP_Sub:
		if (cb && b.c == 0) { *r = a; return 0; }
		if (ca && a.c == 0 && op == IR_OP_Add) { *r = b; return 0; }
		if (a.sym != b.sym)
			return 1;
		r->c = op == IR_OP_Add ? a.c + b.c : a.c - b.c;
		r->sym = r->c ? a.sym : -1;
		return 0;
	case IR_OP_Mul:
		if (!ca && !cb)
			return 1;
		r->c = a.c * b.c;
		r->sym = r->c ? (ca ? b.sym : a.sym) : -1;
		return 0;
	case IR_OP_Div:
		if (cb && b.c != 0 && a.c % b.c == 0) {
			*r = (ir_dim){a.c / b.c, a.c / b.c ? a.sym : -1};
			return 0;
		}
		if (!ca && !cb && a.sym == b.sym && b.c && a.c % b.c == 0) {
			*r = ir_dim_const(a.c / b.c);
			return 0;
		}
		return 1;
	default:
		return 1;
	}
}

static int arith_dims(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_dim a[64], b[64], r[64];
	int na = in_dims(n->in[0], a, 64), nb = in_dims(n->in[1], b, 64);
	ir_value *y = n->out[0];
	if (na < 0 || nb < 0 || y->dtype != IR_I64 || y->shape.rank > 1)
		return 1;
	int len = na > nb ? na : nb;
	if ((na != len && na != 1) || (nb != len && nb != 1))
		return 1;
	for (int i = 0; i < len; i++)
		if (dim_arith(n->op, a[na == 1 ? 0 : i], b[nb == 1 ? 0 : i], &r[i]))
			return 1;
	return set_dims(g, y, r, len, st);
}

static int64_t arith_i64(ir_op op, int64_t x, int64_t y)
{
	switch (op) {
	case IR_OP_Add: return (int64_t)((uint64_t)x + (uint64_t)y);
	case IR_OP_Sub: return (int64_t)((uint64_t)x - (uint64_t)y);
	case IR_OP_Mul: return (int64_t)((uint64_t)x * (uint64_t)y);
	default: return (x == INT64_MIN && y == -1) ? x : x / y;
	}
}

static double arith_f64(ir_op op, double x, double y)
{
	return op == IR_OP_Add ? x + y : op == IR_OP_Sub ? x - y
	       : op == IR_OP_Mul ? x * y : x / y;
}

int fold_arith(ir_graph *g, ir_node *n, ir_status *st)
{
	if (n->nin != 2 || !n->in[0] || !n->in[1] || !n->out[0] || prep(g, n, st))
		return 1;
	ir_value *a = n->in[0], *b = n->in[1], *y = n->out[0];
	if (a->symdata || b->symdata)
		return arith_dims(g, n, st);
	int64_t k = out_numel(y);
	ir_dtype t = y->dtype;
	if (k < 0 || !has_data(a) || !has_data(b) || (t != IR_I64 && t != IR_I32
	    && t != IR_F32 && t != IR_F64))
		return 1;
	int fl = ir_dtype_is_float(t);
	if (!fl && n->op == IR_OP_Div) {
		int64_t nb = ir_shape_static_numel(&b->shape);
		for (int64_t i = 0; i < nb; i++)
			if (infer_data_i64(b, i) == 0)
				return 1;  /* leave integer division by zero to run time */
	}
	void *p = out_data(g, y, k);
	if (!p)
		return ir_fail(st, "out of memory");
	for (int64_t i = 0; i < k; i++) {
		int64_t ia = bcast_index(&y->shape, &a->shape, i);
		int64_t ib = bcast_index(&y->shape, &b->shape, i);
		if (fl)
			store_f64(p, t, i, arith_f64(n->op, infer_data_f64(a, ia),
						     infer_data_f64(b, ib)));
		else
			store_i64(p, t, i, arith_i64(n->op, infer_data_i64(a, ia),
						     infer_data_i64(b, ib)));
	}
	return 0;
}

/* Neg of a small constant (ONNX functions compute axes as Neg(constant)). */
int fold_neg(ir_graph *g, ir_node *n, ir_status *st)
{
	if (n->nin != 1 || !n->in[0] || !n->out[0] || prep(g, n, st))
		return 1;
	ir_value *x = n->in[0], *y = n->out[0];
	int64_t k = out_numel(y);
	ir_dtype t = y->dtype;
	if (k < 0 || !has_data(x) || (t != IR_I64 && t != IR_I32 && t != IR_F32 && t != IR_F64))
		return 1;
	void *p = out_data(g, y, k);
	if (!p)
		return ir_fail(st, "out of memory");
	for (int64_t i = 0; i < k; i++) {
		if (ir_dtype_is_float(t))
			store_f64(p, t, i, -infer_data_f64(x, i));
		else
			store_i64(p, t, i, (int64_t)(0 - (uint64_t)infer_data_i64(x, i)));
	}
	return 0;
}

/* ---- Shape / Size ---- */

int fold_shape(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = n->in[0], *y = n->out[0];
	if (!x || !y || !x->has_shape || prep(g, n, st))
		return 1;
	int s, e;
	infer_shape_window(n, x->shape.rank, &s, &e);
	return set_dims(g, y, &x->shape.d[s], e - s, st);
}

int fold_size(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = n->in[0], *y = n->out[0];
	ir_dim d;
	if (!x || !y || !x->has_shape || prep(g, n, st) || !ir_shape_numel(&x->shape, &d))
		return 1;
	return set_dims(g, y, &d, 1, st);
}

/* ---- Gather ---- */

static int gather_dims(ir_graph *g, ir_node *n, int64_t axis, ir_status *st)
{
	ir_value *x = n->in[0], *idx = n->in[1], *y = n->out[0];
	ir_dim d[64], r[64];
	int len = in_dims(x, d, 64);
	if (len < 0 || x->shape.rank != 1 || axis != 0 || !has_data(idx))
		return 1;
	int64_t k = ir_shape_static_numel(&idx->shape);
	if (k > 64)
		return 1;
	for (int64_t i = 0; i < k; i++) {
		int64_t j = infer_data_i64(idx, i);
		if (j < -len || j >= len)
			return ir_fail(st, "%s: index %lld out of range for %d elements",
				       ir_node_label(n), (long long)j, len);
		r[i] = d[j < 0 ? j + len : j];
	}
	return set_dims(g, y, r, (int)k, st);
}

int fold_gather(ir_graph *g, ir_node *n, ir_status *st)
{
	if (n->nin != 2 || !n->in[0] || !n->in[1] || !n->out[0] || prep(g, n, st))
		return 1;
	ir_value *x = n->in[0], *idx = n->in[1], *y = n->out[0];
	int64_t axis = ir_attr_int(n, "axis", 0);
	if (axis < 0)
		axis += x->shape.rank;
	if (!x->data && x->symdata)
		return gather_dims(g, n, axis, st);
	int64_t k = out_numel(y);
	if (k < 0 || !has_data(x) || !has_data(idx) || axis < 0 || axis >= x->shape.rank)
		return 1;
	int64_t outer = 1, inner = 1, dim = x->shape.d[axis].c;
	for (int i = 0; i < axis; i++)
		outer *= x->shape.d[i].c;
	for (int i = (int)axis + 1; i < x->shape.rank; i++)
		inner *= x->shape.d[i].c;
	int64_t ni = ir_shape_static_numel(&idx->shape);
	size_t es = ir_dtype_size(x->dtype), blk = es * (size_t)inner;
	char *p = out_data(g, y, k);
	if (!p)
		return ir_fail(st, "out of memory");
	const char *src = x->data;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t i = 0; i < ni; i++) {
			int64_t j = infer_data_i64(idx, i);
			if (j < -dim || j >= dim)
				return ir_fail(st, "%s: index %lld out of range for dim %lld",
					       ir_node_label(n), (long long)j, (long long)dim);
			if (j < 0)
				j += dim;
			memcpy(p + (size_t)(o * ni + i) * blk,
			       src + (size_t)(o * dim + j) * blk, blk);
		}
	return 0;
}

/* ---- Slice ---- */

static int slice_dims(ir_graph *g, ir_node *n, const slice_params *p,
		      ir_status *st)
{
	ir_value *x = n->in[0];
	ir_dim d[64], r[64];
	int len = in_dims(x, d, 64);
	if (len < 0 || x->shape.rank != 1)
		return 1;
	int64_t first = 0, cnt = len, step = 1;
	if (p->set[0]) {
		step = p->step[0];
		infer_slice_range(len, p->start[0], p->end[0], step, &first, &cnt);
	}
	for (int64_t i = 0; i < cnt; i++)
		r[i] = d[first + i * step];
	return set_dims(g, n->out[0], r, (int)cnt, st);
}

int fold_slice(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = n->nin ? n->in[0] : NULL, *y = n->nout ? n->out[0] : NULL;
	slice_params p = {0};
	if (!x || !y || prep(g, n, st) || infer_slice_read(n, x->shape.rank, &p, st))
		return 1;
	if (!x->data && x->symdata)
		return slice_dims(g, n, &p, st);
	int64_t k = out_numel(y), first[IR_MAX_RANK], step[IR_MAX_RANK];
	if (k < 0 || !has_data(x))
		return 1;
	int r = x->shape.rank;
	for (int i = 0; i < r; i++) {
		int64_t cnt;
		first[i] = 0;
		step[i] = 1;
		if (p.set[i]) {
			step[i] = p.step[i];
			infer_slice_range(x->shape.d[i].c, p.start[i], p.end[i], step[i],
					  &first[i], &cnt);
		}
	}
	size_t es = ir_dtype_size(x->dtype);
	char *out = out_data(g, y, k);
	if (!out)
		return ir_fail(st, "out of memory");
	for (int64_t li = 0; li < k; li++) {
		int64_t rem = li, src = 0, stride = 1;
		for (int i = r - 1; i >= 0; i--) {
			int64_t c = rem % y->shape.d[i].c;
			rem /= y->shape.d[i].c;
			src += (first[i] + c * step[i]) * stride;
			stride *= x->shape.d[i].c;
		}
		memcpy(out + (size_t)li * es, (const char *)x->data + (size_t)src * es, es);
	}
	return 0;
}

/* ---- Reshape family, Concat, ConstantOfShape ---- */

/* Transpose of constant data (weights stored the other way round, e.g.
 * PyTorch's Linear exported as MatMul(x, Transpose(W))): a compile-time
 * copy, so the run does not redo it. */
int fold_transpose(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = n->nin ? n->in[0] : NULL, *y = n->nout ? n->out[0] : NULL;
	if (!x || !y || !x->data || prep(g, n, st) || !y->has_shape || !has_data(x))
		return 1;
	int r = x->shape.rank;
	int64_t total = safe_numel(x), perm[IR_MAX_RANK], xs[IR_MAX_RANK], idx[IR_MAX_RANK];
	const int64_t *pa;
	int k = ir_attr_ints(n, "perm", &pa);
	int seen[IR_MAX_RANK] = {0};
	for (int i = 0; i < r; i++) {
		perm[i] = k == r ? pa[i] : r - 1 - i;
		if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]++)
			return 1;     /* not a permutation: inference reports it */
	}
	size_t es = ir_dtype_size(x->dtype);
	unsigned char *d = out_data(g, y, total);
	if (!d)
		return ir_fail(st, "out of memory");
	int64_t stride = 1;
	for (int i = r - 1; i >= 0; i--) {
		xs[i] = stride;
		stride *= x->shape.d[i].c;
	}
	memset(idx, 0, sizeof idx);
	const unsigned char *src = x->data;
	for (int64_t o = 0; o < total; o++) {
		int64_t off = 0;
		for (int i = 0; i < r; i++)
			off += idx[i] * xs[perm[i]];
		memcpy(d + (size_t)o * es, src + (size_t)off * es, es);
		for (int i = r - 1; i >= 0 && ++idx[i] == y->shape.d[i].c; i--)
			idx[i] = 0;
	}
	return 0;
}

int fold_reshape(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = n->nin ? n->in[0] : NULL, *y = n->nout ? n->out[0] : NULL;
	if (!x || !y || prep(g, n, st) || !y->has_shape)
		return 1;
	if (x->data) {
		if (!has_data(x) || safe_numel(y) != safe_numel(x))
			return 1;
		y->data = x->data;
		y->nbytes = x->nbytes;
		if (x->symdata && y->shape.rank <= 1 && y->dtype == IR_I64)
			y->symdata = x->symdata;
		return 0;
	}
	ir_dim d[64];
	int len = in_dims(x, d, 64);
	if (len < 0 || y->shape.rank > 1 || (y->shape.rank == 1
	    && !ir_dim_eq(y->shape.d[0], ir_dim_const(len))) || (y->shape.rank == 0 && len != 1))
		return 1;
	return set_dims(g, y, d, len, st);
}

static int concat_dims(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_dim r[64];
	int len = 0;
	for (int i = 0; i < n->nin; i++) {
		ir_value *v = n->in[i];
		if (!v || v->shape.rank != 1 || len + (v->shape.d[0].c) > 64)
			return 1;
		int k = in_dims(v, r + len, 64 - len);
		if (k < 0)
			return 1;
		len += k;
	}
	return set_dims(g, n->out[0], r, len, st);
}

int fold_concat(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *y = n->nout ? n->out[0] : NULL;
	if (!y || n->nin < 1 || prep(g, n, st))
		return 1;
	for (int i = 0; i < n->nin; i++) {
		if (!n->in[i])
			return 1;
		if (n->in[i]->symdata && !n->in[i]->data)
			return concat_dims(g, n, st);
	}
	int64_t k = out_numel(y);
	int64_t axis = ir_attr_int(n, "axis", 1);
	if (axis < 0)
		axis += y->shape.rank;
	if (k < 0 || axis < 0 || axis >= y->shape.rank)
		return 1;
	int64_t outer = 1;
	for (int i = 0; i < axis; i++)
		outer *= y->shape.d[i].c;
	size_t es = ir_dtype_size(y->dtype), off = 0;
	char *p = out_data(g, y, k);
	if (!p)
		return ir_fail(st, "out of memory");
	size_t row = (size_t)(k / (outer ? outer : 1)) * es;
	for (int i = 0; i < n->nin; i++) {
		ir_value *v = n->in[i];
		if (!has_data(v))
			return 1;
		int64_t vk = ir_shape_static_numel(&v->shape);
		size_t blk = outer ? (size_t)(vk / outer) * es : 0;
		for (int64_t o = 0; o < outer; o++)
			memcpy(p + (size_t)o * row + off, (const char *)v->data + (size_t)o * blk, blk);
		off += blk;
	}
	return 0;
}

int fold_constant_of_shape(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *y = n->nout ? n->out[0] : NULL;
	if (!y || prep(g, n, st))
		return 1;
	int64_t k = out_numel(y);
	if (k < 0)
		return 1;
	size_t es = ir_dtype_size(y->dtype);
	const ir_attr *a = ir_attr_find(n, "value");
	char *p = out_data(g, y, k);
	if (!p || !es)
		return p ? 1 : ir_fail(st, "out of memory");
	if (a && a->t && a->t->data)
		for (int64_t i = 0; i < k; i++)
			memcpy(p + (size_t)i * es, a->t->data, es);
	return 0;
}
