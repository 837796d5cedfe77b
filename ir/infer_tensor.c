/* infer_tensor.c — shape inference for data-movement ops: Constant, Shape,
 * Size, Gather(Elements), Slice, (Un)Squeeze, Reshape, Flatten, Transpose,
 * Concat, Split, Expand, Tile, ConstantOfShape, Range and Pad. Inputs that
 * determine the output shape must be constant (data) or, for shape tensors,
 * known dims (symdata); attributes that became inputs follow the opset. */
#include <math.h>
#include <string.h>

#include "infer.h"

/* Sets output 0 from a constant held by an attribute tensor. */
static int constant_from_tensor(ir_node *n, const ir_value *t, ir_status *st)
{
	if (!t || !t->has_shape || !ir_shape_is_static(&t->shape)
	    || !ir_dtype_size(t->dtype))
		return ir_fail(st, "%s: 'value' tensor is malformed or of an "
			       "unsupported type", ir_node_label(n));
	size_t need = (size_t)ir_shape_static_numel(&t->shape) * ir_dtype_size(t->dtype);
	if (!t->data && need)
		return ir_fail(st, "%s: 'value' tensor has no data", ir_node_label(n));
	if (t->data && t->nbytes < need)
		return ir_fail(st, "%s: 'value' tensor holds %zu bytes, needs %zu",
			       ir_node_label(n), t->nbytes, need);
	infer_set(n, 0, t->dtype, &t->shape);
	if (n->nout > 0 && n->out[0]) {
		n->out[0]->data = t->data;
		n->out[0]->nbytes = need;
	}
	return 0;
}

/* value_float(s) / value_int(s): copies the numbers into the arena. */
static int constant_from_numbers(ir_graph *g, ir_node *n, const ir_attr *a,
				 ir_status *st)
{
	int is_list = a->kind == IR_ATTR_INTS || a->kind == IR_ATTR_FLOATS;
	int cnt = is_list ? a->n : 1;
	int is_int = a->kind == IR_ATTR_INT || a->kind == IR_ATTR_INTS;
	ir_shape s = {is_list};
	if (cnt < 0)
		return ir_fail(st, "%s: malformed attribute", ir_node_label(n));
	s.d[0] = ir_dim_const(cnt);
	size_t es = is_int ? 8 : 4;
	void *d = ir_alloc(g->arena, es * (size_t)cnt);
	if (!d)
		return ir_fail(st, "out of memory");
	for (int i = 0; i < cnt; i++) {
		if (is_int)
			((int64_t *)d)[i] = is_list ? a->ints[i] : a->i;
		else
			((float *)d)[i] = is_list ? a->floats[i] : a->f;
	}
	infer_set(n, 0, is_int ? IR_I64 : IR_F32, &s);
	if (n->nout > 0 && n->out[0]) {
		n->out[0]->data = d;
		n->out[0]->nbytes = es * (size_t)cnt;
	}
	return 0;
}

int infer_constant(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 0, 0, 1, 1, st))
		return -1;
	if (n->nattrs != 1)
		return ir_fail(st, "%s: needs exactly one value attribute",
			       ir_node_label(n));
	const ir_attr *a = &n->attrs[0];
	if (strcmp(a->name, "value") == 0 && a->kind == IR_ATTR_TENSOR)
		return constant_from_tensor(n, a->t, st);
	if ((strcmp(a->name, "value_float") == 0 && a->kind == IR_ATTR_FLOAT)
	    || (strcmp(a->name, "value_floats") == 0 && a->kind == IR_ATTR_FLOATS)
	    || (strcmp(a->name, "value_int") == 0 && a->kind == IR_ATTR_INT)
	    || (strcmp(a->name, "value_ints") == 0 && a->kind == IR_ATTR_INTS))
		return constant_from_numbers(g, n, a, st);
	return ir_fail(st, "%s: attribute '%s' is unsupported (strings and "
		       "sparse tensors are not)", ir_node_label(n), a->name);
}

/* Shape's opset-15 start/end window, clamped to [0, rank]. */
void infer_shape_window(const ir_node *n, int rank, int *start, int *end)
{
	int64_t s = ir_attr_int(n, "start", 0), e = ir_attr_int(n, "end", rank);
	if (s < 0)
		s += rank;
	if (e < 0)
		e += rank;
	s = s < 0 ? 0 : s > rank ? rank : s;
	e = e < 0 ? 0 : e > rank ? rank : e;
	*start = (int)s;
	*end = (int)(e < s ? s : e);
}

int infer_shape(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	int s, e;
	infer_shape_window(n, x->shape.rank, &s, &e);
	ir_shape o = {1, {ir_dim_const(e - s)}};
	infer_set(n, 0, IR_I64, &o);
	return 0;
}

int infer_size(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	ir_shape o = {0};
	infer_set(n, 0, IR_I64, &o);
	return 0;
}

int infer_gather(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 2, 2, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *idx = infer_in(n, 1, st);
	if (!x || !idx)
		return -1;
	int ax, r = x->shape.rank, q = idx->shape.rank;
	if (r < 1)
		return ir_fail(st, "%s: data must have rank >= 1", ir_node_label(n));
	if (infer_axis(n, ir_attr_int(n, "axis", 0), r, 0, &ax, st))
		return -1;
	if (idx->dtype != IR_I64 && idx->dtype != IR_I32)
		return ir_fail(st, "%s: indices must be int32 or int64",
			       ir_node_label(n));
	if (r - 1 + q > IR_MAX_RANK)
		return ir_fail(st, "%s: output rank %d exceeds %d", ir_node_label(n),
			       r - 1 + q, IR_MAX_RANK);
	ir_shape o = {0};
	for (int i = 0; i < ax; i++)
		o.d[o.rank++] = x->shape.d[i];
	for (int i = 0; i < q; i++)
		o.d[o.rank++] = idx->shape.d[i];
	for (int i = ax + 1; i < r; i++)
		o.d[o.rank++] = x->shape.d[i];
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_gather_elements(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 2, 2, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *idx = infer_in(n, 1, st);
	if (!x || !idx)
		return -1;
	int ax;
	if (x->shape.rank < 1 || idx->shape.rank != x->shape.rank)
		return ir_fail(st, "%s: data and indices must have the same rank >= 1",
			       ir_node_label(n));
	if (infer_axis(n, ir_attr_int(n, "axis", 0), x->shape.rank, 0, &ax, st))
		return -1;
	if (idx->dtype != IR_I64 && idx->dtype != IR_I32)
		return ir_fail(st, "%s: indices must be int32 or int64",
			       ir_node_label(n));
	infer_set(n, 0, x->dtype, &idx->shape);
	return 0;
}

/* ---- Slice ---- */

/* Reads starts/ends/axes/steps (attributes before opset 10, inputs after). */
int infer_slice_read(ir_node *n, int rank, slice_params *p, ir_status *st)
{
	int64_t s[64], e[64], ax[64], sp[64];
	int ns, ne, na = -1, nsp = -1;
	if (n->opset < 10) {
		const int64_t *v;
		if (infer_arity(n, 1, 1, 1, 1, st))
			return -1;
		ns = ir_attr_ints(n, "starts", &v);
		for (int i = 0; i < ns && i < 64; i++)
			s[i] = v[i];
		ne = ir_attr_ints(n, "ends", &v);
		for (int i = 0; i < ne && i < 64; i++)
			e[i] = v[i];
		na = ir_attr_ints(n, "axes", &v);
		for (int i = 0; i < na && i < 64; i++)
			ax[i] = v[i];
		if (ns < 0 || ne < 0 || ns > 64 || ne > 64 || na > 64)
			return ir_fail(st, "%s: needs starts and ends attributes",
				       ir_node_label(n));
	} else {
		if (infer_arity(n, 3, 5, 1, 1, st)
		    || infer_const_ints(n, 1, "starts", s, 64, &ns, st)
		    || infer_const_ints(n, 2, "ends", e, 64, &ne, st))
			return -1;
		if (n->nin > 3 && n->in[3]
		    && infer_const_ints(n, 3, "axes", ax, 64, &na, st))
			return -1;
		if (n->nin > 4 && n->in[4]
		    && infer_const_ints(n, 4, "steps", sp, 64, &nsp, st))
			return -1;
	}
	if (ns != ne || (na >= 0 && na != ns) || (nsp >= 0 && nsp != ns))
		return ir_fail(st, "%s: starts, ends, axes and steps lengths differ",
			       ir_node_label(n));
	for (int i = 0; i < ns; i++) {
		int a;
		if (infer_axis(n, na >= 0 ? ax[i] : i, rank, 0, &a, st))
			return -1;
		if (p->set[a])
			return ir_fail(st, "%s: axis %d repeated", ir_node_label(n), a);
		p->set[a] = 1;
		p->start[a] = s[i];
		p->end[a] = e[i];
		p->step[a] = nsp >= 0 ? sp[i] : 1;
		if (p->step[a] == 0)
			return ir_fail(st, "%s: step is 0", ir_node_label(n));
	}
	return 0;
}

static int64_t clamp64(int64_t x, int64_t lo, int64_t hi)
{
	return x < lo ? lo : x > hi ? hi : x;
}

/* Resolves one axis against a constant dim: first element and count. */
void infer_slice_range(int64_t dim, int64_t start, int64_t end, int64_t step,
		       int64_t *first, int64_t *count)
{
	if (start < 0)
		start += dim;
	if (end < 0)
		end += dim;
	int64_t len;
	if (step > 0) {
		start = clamp64(start, 0, dim);
		end = clamp64(end, 0, dim);
		len = end > start ? (end - start - 1) / step + 1 : 0;
	} else {
		start = clamp64(start, 0, dim - 1);
		end = clamp64(end, -1, dim - 1);
		len = start > end ? (start - end - 1) / -step + 1 : 0;
	}
	*first = start;
	*count = len;
}

int infer_slice(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x)
		return -1;
	slice_params p = {0};
	if (infer_slice_read(n, x->shape.rank, &p, st))
		return -1;
	ir_shape o = x->shape;
	for (int i = 0; i < o.rank; i++) {
		if (!p.set[i])
			continue;
		ir_dim d = x->shape.d[i];
		if (d.sym >= 0) {
			int whole = p.step[i] == 1 && (p.start[i] == 0
				|| p.start[i] <= -(INT64_C(1) << 31))
				&& p.end[i] >= (INT64_C(1) << 31) - 1;
			if (!whole)
				return ir_fail(st, "%s: slicing symbolic dim %d with "
					       "these bounds is unsupported",
					       ir_node_label(n), i);
			continue;
		}
		int64_t first, cnt;
		infer_slice_range(d.c, p.start[i], p.end[i], p.step[i], &first, &cnt);
		o.d[i] = ir_dim_const(cnt);
	}
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

/* ---- Squeeze / Unsqueeze ---- */

/* axes from attribute (opset < 13) or input 1 (>= 13); -1 count when none. */
static int read_axes(ir_node *n, int64_t *ax, int *cnt, ir_status *st)
{
	*cnt = -1;
	if (n->opset < 13) {
		const int64_t *v;
		if (infer_arity(n, 1, 1, 1, 1, st))
			return -1;
		int k = ir_attr_ints(n, "axes", &v);
		if (k > 2 * IR_MAX_RANK)
			return ir_fail(st, "%s: too many axes", ir_node_label(n));
		for (int i = 0; i < k; i++)
			ax[i] = v[i];
		*cnt = k;
		return 0;
	}
	if (infer_arity(n, 1, 2, 1, 1, st))
		return -1;
	if (n->nin > 1 && n->in[1])
		return infer_const_ints(n, 1, "axes", ax, 2 * IR_MAX_RANK, cnt, st);
	return 0;
}

int infer_unsqueeze(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	int64_t ax[2 * IR_MAX_RANK];
	int k, mark[IR_MAX_RANK] = {0};
	if (!x || read_axes(n, ax, &k, st))
		return -1;
	if (k < 0)
		return ir_fail(st, "%s: needs axes (an attribute before opset 13, "
			       "input 1 from 13; node opset %lld)", ir_node_label(n),
			       (long long)n->opset);
	int r = x->shape.rank + k;
	if (r > IR_MAX_RANK)
		return ir_fail(st, "%s: output rank %d exceeds %d", ir_node_label(n),
			       r, IR_MAX_RANK);
	for (int i = 0; i < k; i++) {
		int a;
		if (infer_axis(n, ax[i], r, 0, &a, st))
			return -1;
		if (mark[a])
			return ir_fail(st, "%s: axis %lld repeated", ir_node_label(n),
				       (long long)ax[i]);
		mark[a] = 1;
	}
	ir_shape o = {r};
	for (int i = 0, j = 0; i < r; i++)
		o.d[i] = mark[i] ? ir_dim_const(1) : x->shape.d[j++];
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_squeeze(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	int64_t ax[2 * IR_MAX_RANK];
	int k, mark[IR_MAX_RANK] = {0}, r;
	if (!x || read_axes(n, ax, &k, st))
		return -1;
	r = x->shape.rank;
	for (int i = 0; i < k; i++) {
		int a;
		if (infer_axis(n, ax[i], r, 0, &a, st))
			return -1;
		if (!ir_dim_eq(x->shape.d[a], ir_dim_const(1)))
			return ir_fail(st, "%s: cannot squeeze axis %d (dim is not 1)",
				       ir_node_label(n), a);
		mark[a] = 1;
	}
	if (k <= 0)
		for (int i = 0; i < r; i++)
			mark[i] = ir_dim_eq(x->shape.d[i], ir_dim_const(1));
	ir_shape o = {0};
	for (int i = 0; i < r; i++)
		if (!mark[i])
			o.d[o.rank++] = x->shape.d[i];
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

/* ---- Reshape / Flatten ---- */

/* Solves the -1 entry (index hole) so the output numel equals the input's. */
static int reshape_solve(ir_node *n, ir_dim total, ir_shape *o, int hole,
			 ir_status *st)
{
	ir_dim known = ir_dim_const(1);
	for (int i = 0; i < o->rank; i++)
		if (i != hole && infer_dim_mul(n, known, o->d[i], &known, st))
			return -1;
	if (hole < 0) {
		if (!ir_dim_eq(known, total) && !(known.c == 0 && total.c == 0))
			return ir_fail(st, "%s: cannot reshape %lld%s elements into "
				       "%lld%s", ir_node_label(n), (long long)total.c,
				       total.sym >= 0 ? "*sym" : "", (long long)known.c,
				       known.sym >= 0 ? "*sym" : "");
		return 0;
	}
	if (known.c == 0)
		return ir_fail(st, "%s: -1 with a zero-sized dim is ambiguous",
			       ir_node_label(n));
	ir_dim m;
	if (known.sym >= 0 && known.sym != total.sym)
		return ir_fail(st, "%s: symbolic dims do not match the input's",
			       ir_node_label(n));
	m.sym = known.sym >= 0 ? -1 : total.sym;
	if (total.c % known.c)
		return ir_fail(st, "%s: %lld elements do not divide into %lld",
			       ir_node_label(n), (long long)total.c, (long long)known.c);
	m.c = total.c / known.c;
	if (m.c == 0)
		m.sym = -1;
	o->d[hole] = m;
	return 0;
}

int infer_reshape(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	ir_dim sd[IR_MAX_RANK];
	int cnt, hole = -1;
	if (!x)
		return -1;
	if (n->opset < 5) {
		const int64_t *v;
		if (infer_arity(n, 1, 1, 1, 1, st))
			return -1;
		cnt = ir_attr_ints(n, "shape", &v);
		if (cnt < 0 || cnt > IR_MAX_RANK)
			return ir_fail(st, "%s: needs a shape attribute of rank <= %d",
				       ir_node_label(n), IR_MAX_RANK);
		for (int i = 0; i < cnt; i++)
			sd[i] = ir_dim_const(v[i]);
	} else if (infer_arity(n, 2, 2, 1, 1, st)
		   || infer_const_dims(n, 1, "shape", sd, IR_MAX_RANK, &cnt, st))
		return -1;
	int allowzero = n->opset >= 14 && ir_attr_int(n, "allowzero", 0);
	ir_dim total;
	if (!ir_shape_numel(&x->shape, &total))
		return ir_fail(st, "%s: input has two symbolic dims (unsupported)",
			       ir_node_label(n));
	ir_shape o = {cnt};
	for (int i = 0; i < cnt; i++) {
		ir_dim d = sd[i];
		if (d.sym < 0 && d.c == -1) {
			if (hole >= 0)
				return ir_fail(st, "%s: more than one -1 in shape",
					       ir_node_label(n));
			hole = i;
		} else if (d.sym < 0 && d.c == 0 && !allowzero) {
			if (i >= x->shape.rank)
				return ir_fail(st, "%s: 0 at index %d copies a missing dim",
					       ir_node_label(n), i);
			d = x->shape.d[i];
		} else if (d.c < 0) {
			return ir_fail(st, "%s: invalid dim %lld in shape",
				       ir_node_label(n), (long long)d.c);
		}
		o.d[i] = d;
	}
	if (reshape_solve(n, total, &o, hole, st))
		return -1;
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_flatten(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	int r = x->shape.rank, ax;
	int64_t axis = ir_attr_int(n, "axis", 1);
	if (n->opset < 11 && axis < 0)
		return ir_fail(st, "%s: negative axis needs opset 11", ir_node_label(n));
	if (infer_axis(n, axis, r, 1, &ax, st))
		return -1;
	ir_dim a = ir_dim_const(1), b = ir_dim_const(1);
	for (int i = 0; i < r; i++)
		if (infer_dim_mul(n, i < ax ? a : b, x->shape.d[i], i < ax ? &a : &b, st))
			return -1;
	ir_shape o = {2, {a, b}};
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_transpose(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	int r = x->shape.rank, seen[IR_MAX_RANK] = {0};
	const int64_t *perm;
	int k = ir_attr_ints(n, "perm", &perm);
	if (k >= 0 && k != r)
		return ir_fail(st, "%s: perm has %d entries for rank %d",
			       ir_node_label(n), k, r);
	ir_shape o = {r};
	for (int i = 0; i < r; i++) {
		int64_t p = k >= 0 ? perm[i] : r - 1 - i;
		if (p < 0 || p >= r || seen[p])
			return ir_fail(st, "%s: perm is not a permutation",
				       ir_node_label(n));
		seen[p] = 1;
		o.d[i] = x->shape.d[p];
	}
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_concat(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 1, 1 << 20, 1, 1, st))
		return -1;
	ir_value *a = infer_in(n, 0, st);
	if (!a)
		return -1;
	int ax, r = a->shape.rank;
	const ir_attr *at = ir_attr_find(n, "axis");
	if (!at && n->opset >= 4)
		return ir_fail(st, "%s: missing attribute 'axis'", ir_node_label(n));
	if (r == 0)
		return ir_fail(st, "%s: inputs must have rank >= 1", ir_node_label(n));
	if (infer_axis(n, ir_attr_int(n, "axis", 1), r, 0, &ax, st))
		return -1;
	ir_shape o = a->shape;
	for (int i = 1; i < n->nin; i++) {
		ir_value *b = infer_in(n, i, st);
		if (!b)
			return -1;
		if (b->dtype != a->dtype || b->shape.rank != r)
			return ir_fail(st, "%s: input '%s' differs in type or rank",
				       ir_node_label(n), b->name);
		for (int j = 0; j < r; j++) {
			if (j == ax) {
				if (infer_dim_add(n, o.d[j], b->shape.d[j], &o.d[j], st))
					return -1;
			} else if (infer_dim_match(n, o.d[j], b->shape.d[j],
						   "non-axis dim", st)) {
				return -1;
			}
		}
	}
	infer_set(n, 0, a->dtype, &o);
	return 0;
}

/* ---- Split ---- */

/* Sizes of the parts: the split attribute/input, or equal parts. */
static int split_sizes(ir_node *n, ir_dim d, int parts, ir_dim *sz, ir_status *st)
{
	int64_t sp[64];
	int k = -1;
	if (n->opset < 13) {
		const int64_t *v;
		k = ir_attr_ints(n, "split", &v);
		for (int i = 0; i < k && i < 64; i++)
			sp[i] = v[i];
	} else if (n->nin > 1 && n->in[1]) {
		if (infer_const_ints(n, 1, "split", sp, 64, &k, st))
			return -1;
	}
	if (k >= 0) {
		if (k != parts)
			return ir_fail(st, "%s: split has %d entries for %d outputs",
				       ir_node_label(n), k, parts);
		ir_dim sum = ir_dim_const(0);
		for (int i = 0; i < k; i++) {
			if (sp[i] < 0)
				return ir_fail(st, "%s: negative split", ir_node_label(n));
			sz[i] = ir_dim_const(sp[i]);
			sum.c += sp[i];
		}
		return infer_dim_match(n, sum, d, "split total vs dim", st);
	}
	if (d.c % parts == 0) {
		for (int i = 0; i < parts; i++)
			sz[i] = (ir_dim){d.c / parts, d.c ? d.sym : -1};
		return 0;
	}
	if (n->opset < 18 || d.sym >= 0)
		return ir_fail(st, "%s: dim %lld does not split into %d equal parts",
			       ir_node_label(n), (long long)d.c, parts);
	int64_t chunk = (d.c + parts - 1) / parts;
	for (int i = 0; i < parts; i++) {
		int64_t left = d.c - chunk * i;
		sz[i] = ir_dim_const(left < 0 ? 0 : left < chunk ? left : chunk);
	}
	return 0;
}

int infer_split(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, 1, n->opset < 13 ? 1 : 2, 1, 1 << 20, st))
		return -1;
	int ax, parts = n->nout;
	if (infer_axis(n, ir_attr_int(n, "axis", 0), x->shape.rank, 0, &ax, st))
		return -1;
	if (parts > 4096)
		return ir_fail(st, "%s: too many outputs", ir_node_label(n));
	ir_dim sz[4096];
	if (split_sizes(n, x->shape.d[ax], parts, sz, st))
		return -1;
	for (int i = 0; i < parts; i++) {
		ir_shape o = x->shape;
		o.d[ax] = sz[i];
		infer_set(n, i, x->dtype, &o);
	}
	return 0;
}

int infer_expand(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	ir_shape s;
	if (!x || infer_arity(n, 2, 2, 1, 1, st)
	    || infer_const_dims(n, 1, "shape", s.d, IR_MAX_RANK, &s.rank, st))
		return -1;
	if (infer_check_shape(n, &s, st))
		return -1;
	ir_shape o;
	if (infer_broadcast(n, &x->shape, &s, &o, st))
		return -1;
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_tile(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	int64_t rep[IR_MAX_RANK];
	int k;
	if (!x || infer_arity(n, 2, 2, 1, 1, st)
	    || infer_const_ints(n, 1, "repeats", rep, IR_MAX_RANK, &k, st))
		return -1;
	if (k != x->shape.rank)
		return ir_fail(st, "%s: repeats has %d entries for rank %d",
			       ir_node_label(n), k, x->shape.rank);
	ir_shape o = x->shape;
	for (int i = 0; i < k; i++) {
		if (rep[i] < 0)
			return ir_fail(st, "%s: negative repeat", ir_node_label(n));
		if (infer_dim_mul(n, o.d[i], ir_dim_const(rep[i]), &o.d[i], st))
			return -1;
	}
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_constant_of_shape(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_shape s;
	if (infer_arity(n, 1, 1, 1, 1, st)
	    || infer_const_dims(n, 0, "shape", s.d, IR_MAX_RANK, &s.rank, st))
		return -1;
	if (infer_check_shape(n, &s, st))
		return -1;
	ir_dtype t = IR_F32;
	const ir_attr *a = ir_attr_find(n, "value");
	if (a) {
		if (a->kind != IR_ATTR_TENSOR || !a->t || !a->t->data
		    || !ir_dtype_size(a->t->dtype) || !a->t->has_shape
		    || !ir_shape_is_static(&a->t->shape)
		    || ir_shape_static_numel(&a->t->shape) != 1)
			return ir_fail(st, "%s: 'value' must be a one-element tensor",
				       ir_node_label(n));
		t = a->t->dtype;
	}
	infer_set(n, 0, t, &s);
	return 0;
}

/* ---- Range ---- */

static int range_count(ir_node *n, double s, double l, double d, int is_int,
		       int64_t *cnt, ir_status *st)
{
	if (d == 0)
		return ir_fail(st, "%s: delta is 0", ir_node_label(n));
	double c = ceil((l - s) / d);
	if (is_int) {
		int64_t a = (int64_t)s, b = (int64_t)l, e = (int64_t)d;
		int64_t num = b - a;
		c = (double)(num / e + ((num % e) != 0 && ((num < 0) == (e < 0))));
	}
	if (!(c <= (double)(INT64_C(1) << 40)))
		return ir_fail(st, "%s: range too long", ir_node_label(n));
	*cnt = c < 0 ? 0 : (int64_t)c;
	return 0;
}

int infer_range(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 3, 3, 1, 1, st))
		return -1;
	ir_value *v[3];
	double x[3];
	for (int i = 0; i < 3; i++) {
		if (!(v[i] = infer_in(n, i, st)))
			return -1;
		if (v[i]->dtype != v[0]->dtype || v[i]->shape.rank > 1)
			return ir_fail(st, "%s: inputs must be scalars of one type",
				       ir_node_label(n));
	}
	ir_shape o = {1};
	int is_int = ir_dtype_is_int(v[0]->dtype);
	if (!infer_scalar(v[0], &x[0]) && !infer_scalar(v[1], &x[1])
	    && !infer_scalar(v[2], &x[2])) {
		int64_t cnt = 0;
		if (range_count(n, x[0], x[1], x[2], is_int, &cnt, st))
			return -1;
		o.d[0] = ir_dim_const(cnt);
	} else if (v[1]->symdata && !infer_scalar(v[0], &x[0]) && x[0] == 0
		   && !infer_scalar(v[2], &x[2]) && x[2] == 1) {
		o.d[0] = v[1]->symdata[0];  /* Range(0, N, 1) */
	} else {
		return ir_fail(st, "%s: start/limit/delta are computed at run time; "
			       "kiln needs them constant", ir_node_label(n));
	}
	infer_set(n, 0, v[0]->dtype, &o);
	return 0;
}

/* ---- Pad ---- */

/* pads (begin..., end...) and the axes they apply to. */
static int pad_read(ir_node *n, int rank, int64_t *pads, int *axes, int *na,
		    ir_status *st)
{
	int64_t p[4 * IR_MAX_RANK], ax[IR_MAX_RANK];
	int np = 0, nax = -1;
	if (n->opset < 11) {
		const int64_t *v;
		if (infer_arity(n, 1, 1, 1, 1, st))
			return -1;
		np = ir_attr_ints(n, n->opset < 2 ? "paddings" : "pads", &v);
		if (np < 0 || np > 4 * IR_MAX_RANK)
			return ir_fail(st, "%s: needs a pads attribute", ir_node_label(n));
		memcpy(p, v, sizeof(int64_t) * (size_t)np);
	} else {
		if (infer_arity(n, 2, 4, 1, 1, st)
		    || infer_const_ints(n, 1, "pads", p, 4 * IR_MAX_RANK, &np, st))
			return -1;
		if (n->nin > 3 && n->in[3]
		    && infer_const_ints(n, 3, "axes", ax, IR_MAX_RANK, &nax, st))
			return -1;
	}
	*na = nax >= 0 ? nax : rank;
	for (int i = 0; i < *na; i++)
		if (infer_axis(n, nax >= 0 ? ax[i] : i, rank, 0, &axes[i], st))
			return -1;
	if (np != 2 * *na)
		return ir_fail(st, "%s: pads has %d entries, expected %d",
			       ir_node_label(n), np, 2 * *na);
	memcpy(pads, p, sizeof(int64_t) * (size_t)np);
	return 0;
}

int infer_pad(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	int64_t pads[4 * IR_MAX_RANK];
	int axes[IR_MAX_RANK], na = 0;
	if (!x || pad_read(n, x->shape.rank, pads, axes, &na, st))
		return -1;
	const char *mode = ir_attr_str(n, "mode", "constant");
	if (strcmp(mode, "constant") && strcmp(mode, "reflect")
	    && strcmp(mode, "edge") && strcmp(mode, "wrap"))
		return ir_fail(st, "%s: unknown mode '%s'", ir_node_label(n), mode);
	ir_shape o = x->shape;
	for (int i = 0; i < na; i++) {
		ir_dim *d = &o.d[axes[i]];
		int64_t add = pads[i] + pads[i + na];
		if (pads[i] < -(INT64_C(1) << 40) || pads[i] > (INT64_C(1) << 40)
		    || pads[i + na] < -(INT64_C(1) << 40) || pads[i + na] > (INT64_C(1) << 40))
			return ir_fail(st, "%s: pad out of range", ir_node_label(n));
		if (infer_dim_add(n, *d, ir_dim_const(add), d, st))
			return -1;
		if (d->c < 0)
			return ir_fail(st, "%s: negative pads remove more than the dim",
				       ir_node_label(n));
	}
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

/* KilnMcCollect (passes/mc.c): the samples of one chunk, X[S, ...], written
 * into the slice of Y[samples, ...] the chunk computes; Y has X's shape with
 * the sample axis at its full length. */
int infer_mc_collect(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	int64_t t = ir_attr_int(n, "samples", 0);
	if (!x || infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	if (x->shape.rank < 1 || t < 1)
		return ir_fail(st, "%s: needs a sample axis and samples >= 1", ir_node_label(n));
	ir_shape s = x->shape;
	s.d[0] = ir_dim_const(t);
	infer_set(n, 0, x->dtype, &s);
	return 0;
}
