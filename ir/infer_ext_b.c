/* infer_ext_b.c — shape inference for "ops wave B": ConvTranspose, Resize
 * and Upsample, GatherND, ScatterND/ScatterElements/Scatter, Einsum,
 * ReverseSequence, Det, MaxUnpool and RoiAlign. Where an output shape hangs
 * on a run-time input (Resize scales/sizes, MaxUnpool output_shape), the
 * model's declared static output shape is used when there is one. */
#include <ctype.h>
#include <math.h>
#include <string.h>

#include "infer.h"

/* The declared static shape of output 0 when it has rank `rank`; 0 if ok. */
static int declared_out(ir_node *n, int rank, ir_status *st)
{
	ir_value *y = n->nout > 0 ? n->out[0] : NULL;
	if (y && y->has_shape && y->shape.rank == rank && ir_shape_is_static(&y->shape))
		return 0;
	return ir_fail(st, "%s: output shape depends on a run-time input and the model "
		       "declares no static output shape", ir_node_label(n));
}

/* ---- ConvTranspose ---------------------------------------------------- */

void ir_convt_read(const ir_node *n, int sr, ir_convt *c)
{
	*c = (ir_convt){sr, {1, 1, 1}, {1, 1, 1}, {0}, {0}, NULL, 0, 0};
	ir_attr_ints_into(n, "strides", c->s, sr);
	ir_attr_ints_into(n, "dilations", c->d, sr);
	ir_attr_ints_into(n, "output_padding", c->op, sr);
	ir_attr_ints_into(n, "pads", c->p, 2 * sr);
	const int64_t *os;
	int nos = ir_attr_ints(n, "output_shape", &os);
	if (nos >= sr)
		c->os = os + nos - sr;
	const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
	c->upper = !strcmp(ap, "SAME_UPPER");
	c->lower = !strcmp(ap, "SAME_LOWER");
}

int64_t ir_convt_out(const ir_convt *c, int i, int64_t in, int64_t k)
{
	if (c->os)
		return c->os[i];
	if (c->upper || c->lower)
		return in * c->s[i];
	return c->s[i] * (in - 1) + c->op[i] + (k - 1) * c->d[i] + 1 - c->p[i] - c->p[c->sr + i];
}

int64_t ir_convt_pad(const ir_convt *c, int i, int64_t in, int64_t out, int64_t k)
{
	if (!c->os && !c->upper && !c->lower)
		return c->p[i];
	int64_t total = c->s[i] * (in - 1) + c->op[i] + (k - 1) * c->d[i] + 1 - out;
	int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
	return c->upper ? half : total - half;
}

int infer_convtranspose(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	if (infer_arity(n, 2, 3, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *w = x ? infer_in(n, 1, st) : NULL;
	if (!x || !w)
		return -1;
	int sr = x->shape.rank - 2;
	if (sr < 1 || sr > 3 || w->shape.rank != x->shape.rank)
		return ir_fail(st, "%s: X and W must both be 3-D to 5-D", ir_node_label(n));
	if (!ir_dtype_is_float(x->dtype) || w->dtype != x->dtype)
		return ir_fail(st, "%s: X and W must have the same float type", ir_node_label(n));
	int64_t group = ir_attr_int(n, "group", 1);
	if (group < 1)
		return ir_fail(st, "%s: group must be positive", ir_node_label(n));
	ir_shape o = {x->shape.rank};
	o.d[0] = x->shape.d[0];
	if (infer_dim_mul(n, w->shape.d[1], ir_dim_const(group), &o.d[1], st))
		return -1;
	ir_convt c;
	ir_convt_read(n, sr, &c);
	for (int i = 0; i < sr; i++) {
		ir_dim xi = x->shape.d[2 + i], ki = w->shape.d[2 + i];
		if (!ir_dim_is_const(xi) || !ir_dim_is_const(ki))
			return ir_fail(st, "%s: symbolic spatial dims are not supported",
				       ir_node_label(n));
		int64_t od = ir_convt_out(&c, i, xi.c, ki.c);
		if (od < 0)
			return ir_fail(st, "%s: negative output size", ir_node_label(n));
		o.d[2 + i] = ir_dim_const(od);
	}
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

/* ---- Resize / Upsample ------------------------------------------------- */

/* A constant float/int input i with >0 elements, or NULL. */
static ir_value *nonempty_const(ir_node *n, int i)
{
	if (i >= n->nin || !n->in[i])
		return NULL;
	ir_value *v = n->in[i];
	if (!v->has_shape || v->shape.rank != 1 || !ir_dim_is_const(v->shape.d[0]) ||
	    v->shape.d[0].c == 0)
		return NULL;
	return v;
}

/* floor(d * f); a symbolic d only with f == 1. */
static int scaled_dim(ir_node *n, ir_dim d, double f, ir_dim *out, ir_status *st)
{
	if (f == 1.0) {
		*out = d;
		return 0;
	}
	if (!ir_dim_is_const(d))
		return ir_fail(st, "%s: a symbolic dim can only have scale 1", ir_node_label(n));
	*out = ir_dim_const((int64_t)floor((double)d.c * f));
	return 0;
}

int infer_resize(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_value *x = infer_in(n, 0, st);
	if (!x)
		return -1;
	int r = x->shape.rank;
	int si = n->op == IR_OP_Upsample || n->opset < 11 ? 1 : 2;
	ir_value *sc = nonempty_const(n, si), *sz = si == 2 ? nonempty_const(n, 3) : NULL;
	ir_shape o = {r};
	const ir_value *src = sz ? sz : sc;
	const ir_attr *sa = ir_attr_find(n, "scales");
	if (!src && sa && sa->kind == IR_ATTR_FLOATS && sa->n == r) {
		for (int i = 0; i < r; i++)
			if (scaled_dim(n, x->shape.d[i], sa->floats[i], &o.d[i], st))
				return -1;
	} else if (!src) {
		return ir_fail(st, "%s: needs scales or sizes", ir_node_label(n));
	} else if (src->shape.d[0].c != r) {
		return ir_fail(st, "%s: scales/sizes must have %d elements", ir_node_label(n), r);
	} else if (sz && (sz->data || sz->symdata)) {
		int c;
		if (infer_const_dims(n, 3, "sizes", o.d, IR_MAX_RANK, &c, st))
			return -1;
	} else if (!src->data) {
		if (declared_out(n, r, st))
			return -1;
		o = n->out[0]->shape;
	} else {
		for (int i = 0; i < r; i++)
			if (scaled_dim(n, x->shape.d[i], infer_data_f64(sc, i), &o.d[i], st))
				return -1;
	}
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

/* ---- GatherND / Scatter* ----------------------------------------------- */

int infer_gathernd(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	if (infer_arity(n, 2, 2, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *ix = x ? infer_in(n, 1, st) : NULL;
	if (!x || !ix)
		return -1;
	int64_t b = ir_attr_int(n, "batch_dims", 0);
	int q = ix->shape.rank, r = x->shape.rank;
	if (ix->dtype != IR_I64 || q < 1 || !ir_dim_is_const(ix->shape.d[q - 1]))
		return ir_fail(st, "%s: indices must be int64 with a static last dim",
			       ir_node_label(n));
	int64_t k = ix->shape.d[q - 1].c;
	if (b < 0 || b >= q || b >= r || k < 1 || b + k > r)
		return ir_fail(st, "%s: bad batch_dims/indices shape", ir_node_label(n));
	ir_shape o = {0};
	for (int i = 0; i < q - 1; i++)
		o.d[o.rank++] = ix->shape.d[i];
	for (int i = (int)(b + k); i < r; i++) {
		if (o.rank >= IR_MAX_RANK)
			return ir_fail(st, "%s: output rank too large", ir_node_label(n));
		o.d[o.rank++] = x->shape.d[i];
	}
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_scatter(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	if (infer_arity(n, 3, 3, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *ix = x ? infer_in(n, 1, st) : NULL;
	ir_value *u = ix ? infer_in(n, 2, st) : NULL;
	if (!u)
		return -1;
	if (u->dtype != x->dtype)
		return ir_fail(st, "%s: updates type differs from data", ir_node_label(n));
	if (ix->dtype != IR_I64 && (n->op == IR_OP_ScatterND || ix->dtype != IR_I32))
		return ir_fail(st, "%s: unsupported indices type", ir_node_label(n));
	if (n->op != IR_OP_ScatterND && ix->shape.rank != x->shape.rank)
		return ir_fail(st, "%s: indices rank must equal data rank", ir_node_label(n));
	infer_set(n, 0, x->dtype, &x->shape);
	return 0;
}

/* ---- Einsum ------------------------------------------------------------ */

/* Parses one term into codes (0-51 letters, 52+j ellipsis dim j of ne);
 * returns the code count or -1. */
static int ein_term(const char *s, const char *e, int rank, int *codes, int *ne)
{
	int nl = 0, ell = -1, c = 0;
	for (const char *p = s; p < e; p++)
		if (isalpha((unsigned char)*p))
			nl++;
	for (const char *p = s; p < e; p++) {
		if (*p == '.') {
			if (ell >= 0 || p + 2 >= e || p[1] != '.' || p[2] != '.')
				return -1;
			ell = rank - nl;
			if (ell < 0)
				return -1;
			*ne = *ne > ell ? *ne : ell;
			for (int j = 0; j < ell; j++)
				codes[c++] = 52 + 8 - ell + j;
			p += 2;
		} else if (isalpha((unsigned char)*p)) {
			codes[c++] = islower((unsigned char)*p) ? *p - 'a' : *p - 'A' + 26;
		} else if (*p != ' ') {
			return -1;
		}
		if (c > IR_MAX_RANK)
			return -1;
	}
	return c;
}

int infer_einsum(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	const char *eq = ir_attr_str(n, "equation", NULL);
	if (!eq || n->nin < 1 || n->nin > 3)
		return ir_fail(st, "%s: needs an equation and 1 to 3 inputs", ir_node_label(n));
	ir_dim dim[60];
	int known[60] = {0}, cnt[60] = {0}, codes[IR_MAX_RANK + 1], ne = 0;
	const char *arrow = strstr(eq, "->"), *end = arrow ? arrow : eq + strlen(eq), *p = eq;
	ir_dtype t = IR_UNDEF;
	for (int i = 0; i < n->nin; i++) {
		ir_value *x = infer_in(n, i, st);
		if (!x)
			return -1;
		t = x->dtype;
		const char *q = memchr(p, ',', (size_t)(end - p));
		q = q ? q : end;
		int c = ein_term(p, q, x->shape.rank, codes, &ne);
		if (c != x->shape.rank)
			return ir_fail(st, "%s: term %d does not match input rank", ir_node_label(n), i);
		for (int j = 0; j < c; j++) {
			cnt[codes[j]]++;
			if (!known[codes[j]] || (ir_dim_is_const(dim[codes[j]]) && dim[codes[j]].c == 1))
				dim[codes[j]] = x->shape.d[j];
			known[codes[j]] = 1;
		}
		p = q + 1;
	}
	ir_shape o = {0};
	if (arrow) {
		int nlet = 0, ne0 = ne;
		for (const char *q = arrow + 2; *q; q++)
			nlet += isalpha((unsigned char)*q) != 0;
		int c = ein_term(arrow + 2, arrow + strlen(arrow), nlet + (strstr(arrow, "...") ? ne0 : 0),
			     codes, &ne);
		if (c < 0)
			return ir_fail(st, "%s: bad output term", ir_node_label(n));
		for (int j = 0; j < c; j++) {
			if (!known[codes[j]])
				return ir_fail(st, "%s: output letter not in inputs", ir_node_label(n));
			o.d[o.rank++] = dim[codes[j]];
		}
	} else {
		for (int j = 52 + 8 - ne; j < 60; j++)
			o.d[o.rank++] = dim[j];
		for (int j = 0; j < 52; j++)
			if (cnt[j] == 1 && o.rank < IR_MAX_RANK)
				o.d[o.rank++] = dim[j];
	}
	infer_set(n, 0, t, &o);
	return 0;
}

/* ---- ReverseSequence, Det, MaxUnpool, RoiAlign ------------------------ */

int infer_reverse_sequence(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	if (infer_arity(n, 2, 2, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *l = x ? infer_in(n, 1, st) : NULL;
	if (!l)
		return -1;
	if (x->shape.rank < 2 || l->dtype != IR_I64)
		return ir_fail(st, "%s: needs rank >= 2 and int64 lengths", ir_node_label(n));
	infer_set(n, 0, x->dtype, &x->shape);
	return 0;
}

int infer_det(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	if (infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st);
	if (!x)
		return -1;
	int r = x->shape.rank;
	if (r < 2 || !ir_dtype_is_float(x->dtype) ||
	    infer_dim_match(n, x->shape.d[r - 1], x->shape.d[r - 2], "matrix dims", st))
		return ir_fail(st, "%s: needs float square matrices", ir_node_label(n));
	ir_shape o = x->shape;
	o.rank -= 2;
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_maxunpool(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	if (infer_arity(n, 2, 3, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *ix = x ? infer_in(n, 1, st) : NULL;
	if (!ix)
		return -1;
	int r = x->shape.rank, sr = r - 2;
	if (sr < 1 || ix->dtype != IR_I64)
		return ir_fail(st, "%s: needs rank >= 3 and int64 indices", ir_node_label(n));
	ir_shape o = {r};
	if (n->nin > 2 && n->in[2]) {
		int64_t buf[IR_MAX_RANK];
		int c;
		if (!n->in[2]->data) {
			if (declared_out(n, r, st))
				return -1;
			o = n->out[0]->shape;
		} else if (infer_const_ints(n, 2, "output_shape", buf, IR_MAX_RANK, &c, st) ||
			   c != r) {
			return ir_fail(st, "%s: bad output_shape", ir_node_label(n));
		} else {
			for (int i = 0; i < r; i++)
				o.d[i] = ir_dim_const(buf[i]);
		}
		infer_set(n, 0, x->dtype, &o);
		return 0;
	}
	const int64_t *k;
	int64_t s[IR_MAX_RANK], p[2 * IR_MAX_RANK] = {0};
	if (ir_attr_ints(n, "kernel_shape", &k) != sr)
		return ir_fail(st, "%s: kernel_shape needed", ir_node_label(n));
	for (int i = 0; i < sr; i++)
		s[i] = 1;
	ir_attr_ints_into(n, "strides", s, sr);
	ir_attr_ints_into(n, "pads", p, 2 * sr);
	o.d[0] = x->shape.d[0];
	o.d[1] = x->shape.d[1];
	for (int i = 0; i < sr; i++) {
		if (!ir_dim_is_const(x->shape.d[2 + i]))
			return ir_fail(st, "%s: symbolic spatial dims", ir_node_label(n));
		o.d[2 + i] = ir_dim_const((x->shape.d[2 + i].c - 1) * s[i] + k[i] - p[i] - p[sr + i]);
	}
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_roialign(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	if (infer_arity(n, 3, 3, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *ro = x ? infer_in(n, 1, st) : NULL;
	ir_value *bi = ro ? infer_in(n, 2, st) : NULL;
	if (!bi)
		return -1;
	if (x->shape.rank != 4 || ro->shape.rank != 2 || x->dtype != IR_F32 ||
	    ro->dtype != IR_F32 || bi->dtype != IR_I64)
		return ir_fail(st, "%s: needs f32 X [N,C,H,W], rois [R,4], int64 batch_indices",
			       ir_node_label(n));
	ir_shape o = {4, {ro->shape.d[0], x->shape.d[1],
			  ir_dim_const(ir_attr_int(n, "output_height", 1)),
			  ir_dim_const(ir_attr_int(n, "output_width", 1))}};
	infer_set(n, 0, x->dtype, &o);
	return 0;
}
