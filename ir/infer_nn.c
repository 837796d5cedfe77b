/* infer_nn.c — shape inference for neural-network ops: Gemm, MatMul
 * (numpy batched, 1-D operands promoted then dropped), Conv and the pools
 * (auto_pad, pads, strides, dilations, ceil_mode), global pools,
 * BatchNormalization, LayerNormalization and Dropout. */
#include <string.h>

#include "infer.h"

int infer_gemm(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, n->opset < 11 ? 3 : 2, 3, 1, 1, st))
		return -1;
	ir_value *a = infer_in(n, 0, st), *b = a ? infer_in(n, 1, st) : NULL;
	if (!a || !b)
		return -1;
	if (a->shape.rank != 2 || b->shape.rank != 2)
		return ir_fail(st, "%s: A and B must be 2-D", ir_node_label(n));
	if (a->dtype != b->dtype)
		return ir_fail(st, "%s: A and B types differ", ir_node_label(n));
	int ta = ir_attr_int(n, "transA", 0) != 0, tb = ir_attr_int(n, "transB", 0) != 0;
	ir_dim m = a->shape.d[ta], ka = a->shape.d[1 - ta];
	ir_dim kb = b->shape.d[tb], nn = b->shape.d[1 - tb];
	if (infer_dim_match(n, ka, kb, "inner dimension", st))
		return -1;
	ir_shape o = {2, {m, nn}};
	if (n->nin > 2 && n->in[2]) {
		ir_value *c = infer_in(n, 2, st);
		ir_shape bc;
		if (!c)
			return -1;
		if (c->dtype != a->dtype)
			return ir_fail(st, "%s: C type differs", ir_node_label(n));
		if (infer_broadcast(n, &o, &c->shape, &bc, st))
			return -1;
		if (bc.rank != 2 || !ir_dim_eq(bc.d[0], m) || !ir_dim_eq(bc.d[1], nn))
			return ir_fail(st, "%s: C does not broadcast to [M,N]",
				       ir_node_label(n));
	}
	infer_set(n, 0, a->dtype, &o);
	return 0;
}

int infer_matmul(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 2, 2, 1, 1, st))
		return -1;
	ir_value *a = infer_in(n, 0, st), *b = a ? infer_in(n, 1, st) : NULL;
	if (!a || !b)
		return -1;
	if (a->dtype != b->dtype)
		return ir_fail(st, "%s: input types differ (%s vs %s)", ir_node_label(n),
			       ir_dtype_name(a->dtype), ir_dtype_name(b->dtype));
	ir_shape sa = a->shape, sb = b->shape;
	if (sa.rank == 0 || sb.rank == 0)
		return ir_fail(st, "%s: inputs must have rank >= 1", ir_node_label(n));
	int va = sa.rank == 1, vb = sb.rank == 1;
	if (va) {
		sa.rank = 2;
		sa.d[1] = sa.d[0];
		sa.d[0] = ir_dim_const(1);
	}
	if (vb) {
		sb.rank = 2;
		sb.d[1] = ir_dim_const(1);
	}
	if (infer_dim_match(n, sa.d[sa.rank - 1], sb.d[sb.rank - 2],
			    "inner dimension", st))
		return -1;
	ir_shape ba = {sa.rank - 2}, bb = {sb.rank - 2}, o;
	memcpy(ba.d, sa.d, sizeof(ir_dim) * (size_t)ba.rank);
	memcpy(bb.d, sb.d, sizeof(ir_dim) * (size_t)bb.rank);
	if (infer_broadcast(n, &ba, &bb, &o, st))
		return -1;
	if (!va)
		o.d[o.rank++] = sa.d[sa.rank - 2];
	if (!vb)
		o.d[o.rank++] = sb.d[sb.rank - 1];
	if (o.rank > IR_MAX_RANK)
		return ir_fail(st, "%s: output rank too large", ir_node_label(n));
	infer_set(n, 0, a->dtype, &o);
	return 0;
}

/* Window geometry shared by Conv and the pools. */
typedef struct {
	int nsp;                          /* spatial dims */
	int64_t k[IR_MAX_RANK], s[IR_MAX_RANK], d[IR_MAX_RANK];
	int64_t pads[2 * IR_MAX_RANK];
	int ceil_mode;
} window;

/* Reads an INTS attribute of exactly cnt entries into out, or fills dflt. */
static int ints_attr(ir_node *n, const char *name, int cnt, int64_t dflt,
		     int64_t *out, int positive, ir_status *st)
{
	const int64_t *v;
	int k = ir_attr_ints(n, name, &v);
	if (k >= 0 && k != cnt)
		return ir_fail(st, "%s: '%s' has %d entries, expected %d",
			       ir_node_label(n), name, k, cnt);
	for (int i = 0; i < cnt; i++) {
		out[i] = k >= 0 ? v[i] : dflt;
		if (positive ? out[i] < 1 : out[i] < 0)
			return ir_fail(st, "%s: invalid '%s' value %lld",
				       ir_node_label(n), name, (long long)out[i]);
		if (out[i] > (INT64_C(1) << 32))
			return ir_fail(st, "%s: '%s' value too large", ir_node_label(n), name);
	}
	return 0;
}

/* Output size of one spatial dim. */
static int window_out(ir_node *n, const window *w, int i, int64_t in,
		      const char *ap, int64_t *out, ir_status *st)
{
	int64_t keff = (w->k[i] - 1) * w->d[i] + 1, s = w->s[i];
	if (strcmp(ap, "SAME_UPPER") == 0 || strcmp(ap, "SAME_LOWER") == 0) {
		*out = (in + s - 1) / s;
		return 0;
	}
	int64_t pb = 0, pe = 0;
	if (strcmp(ap, "VALID") != 0) {
		pb = w->pads[i];
		pe = w->pads[i + w->nsp];
	}
	int64_t span = in + pb + pe - keff;
	if (span < 0)
		return ir_fail(st, "%s: kernel (%lld) larger than padded input (%lld) "
			       "in spatial dim %d", ir_node_label(n), (long long)keff,
			       (long long)(in + pb + pe), i);
	int64_t o = (w->ceil_mode ? (span + s - 1) / s : span / s) + 1;
	if (w->ceil_mode && (o - 1) * s >= in + pb)
		o--;  /* the last window would start in the end padding */
	*out = o;
	return 0;
}

/* Spatial output dims of X (rank 2 + nsp) into o->d[2..]. */
static int window_shape(ir_node *n, const ir_value *x, window *w, ir_shape *o,
			ir_status *st)
{
	const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
	if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID") && strcmp(ap, "SAME_UPPER")
	    && strcmp(ap, "SAME_LOWER"))
		return ir_fail(st, "%s: unknown auto_pad '%s'", ir_node_label(n), ap);
	if (ints_attr(n, "strides", w->nsp, 1, w->s, 1, st)
	    || ints_attr(n, "pads", 2 * w->nsp, 0, w->pads, 0, st))
		return -1;
	for (int i = 0; i < w->nsp; i++) {
		ir_dim in = x->shape.d[2 + i];
		int64_t out = 0;
		if (!ir_dim_is_const(in))
			return ir_fail(st, "%s: symbolic spatial dims are unsupported",
				       ir_node_label(n));
		if (window_out(n, w, i, in.c, ap, &out, st))
			return -1;
		o->d[2 + i] = ir_dim_const(out);
	}
	return 0;
}

int infer_conv(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 2, 3, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *wt = x ? infer_in(n, 1, st) : NULL;
	if (!x || !wt)
		return -1;
	int r = x->shape.rank;
	if (r < 3 || wt->shape.rank != r)
		return ir_fail(st, "%s: X and W must have the same rank >= 3",
			       ir_node_label(n));
	if (x->dtype != wt->dtype)
		return ir_fail(st, "%s: X and W types differ", ir_node_label(n));
	window w = {r - 2};
	int64_t group = ir_attr_int(n, "group", 1);
	ir_dim cw = wt->shape.d[1], m = wt->shape.d[0];
	if (group < 1 || !ir_dim_is_const(cw) || !ir_dim_is_const(m)
	    || (m.c % group) != 0)
		return ir_fail(st, "%s: bad group %lld for W", ir_node_label(n),
			       (long long)group);
	if (cw.c > INT64_MAX / group || infer_dim_match(n, x->shape.d[1],
			ir_dim_const(cw.c * group), "input channels vs W*group", st))
		return -1;
	for (int i = 0; i < w.nsp; i++) {
		w.k[i] = wt->shape.d[2 + i].c;
		if (!ir_dim_is_const(wt->shape.d[2 + i]))
			return ir_fail(st, "%s: symbolic kernel size", ir_node_label(n));
	}
	int64_t ks[IR_MAX_RANK];
	if (ints_attr(n, "kernel_shape", w.nsp, 1, ks, 1, st)
	    || ints_attr(n, "dilations", w.nsp, 1, w.d, 1, st))
		return -1;
	for (int i = 0; i < w.nsp; i++)
		if (ir_attr_find(n, "kernel_shape") && ks[i] != w.k[i])
			return ir_fail(st, "%s: kernel_shape disagrees with W",
				       ir_node_label(n));
	ir_shape o = {r, {x->shape.d[0], m}};
	if (window_shape(n, x, &w, &o, st))
		return -1;
	if (n->nin > 2 && n->in[2]) {
		ir_value *b = infer_in(n, 2, st);
		if (!b)
			return -1;
		if (b->shape.rank != 1 || infer_dim_match(n, b->shape.d[0], m,
							  "bias length", st))
			return ir_fail(st, "%s: B must have shape [M]", ir_node_label(n));
	}
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

/* KilnConvPwDw (passes/fuse_pwdw.c): X [N, K, H, W], W1 [C, K, 1, 1] (or
 * none: K = C), B1, W2 [C, 1, 3, 3], B2 -> Y [N, C, (H - 1) / s + 1,
 * (W - 1) / s + 1]; with W3 [M, C, 1, 1], B3, R: Y's channels M. With W1
 * [C, K, 3, 3] (a stem: pads 1, kiln_pw_strides [s1, s1]), H and W are
 * the stem's output's, (H - 1) / s1 + 1 and likewise. */
int infer_conv_pwdw(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 4, 8, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *w2 = x ? infer_in(n, 3, st) : NULL;
	if (!w2)
		return -1;
	const ir_value *w1 = n->in[1], *w3 = n->nin > 5 ? n->in[5] : NULL;
	const ir_value *wc = w3 ? w3 : w1 ? w1 : w2;   /* gives Y's channels */
	const int64_t *sv, *pv;
	int64_t s = ir_attr_ints(n, "strides", &sv) == 2 && sv[0] == sv[1] ? sv[0] : 0;
	int64_t s1 = 1;
	if (ir_attr_find(n, "kiln_pw_strides"))
		s1 = ir_attr_ints(n, "kiln_pw_strides", &pv) == 2 && pv[0] == pv[1] ? pv[0] : 0;
	if (x->shape.rank != 4 || wc->shape.rank != 4 || !ir_dim_is_const(x->shape.d[2]) ||
	    !ir_dim_is_const(x->shape.d[3]) || (s != 1 && s != 2) || (s1 != 1 && s1 != 2))
		return ir_fail(st, "%s: needs a 4-D X of static H and W, 4-D weights and strides "
			       "1 or 2", ir_node_label(n));
	int64_t H = (x->shape.d[2].c - 1) / s1 + 1, W = (x->shape.d[3].c - 1) / s1 + 1;
	ir_shape o = {4, {x->shape.d[0], wc->shape.d[0], ir_dim_const((H - 1) / s + 1),
			  ir_dim_const((W - 1) / s + 1)}};
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

/* KilnConvPool (passes/fuse_convpool.c): a 2-D Conv (X, W[, B]; its
 * attributes) whose output [N, M, OH, OW] goes through a 3x3 stride-2
 * MaxPool without pads: Y [N, M, (OH - 3) / 2 + 1, (OW - 3) / 2 + 1]. */
int infer_conv_pool(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_conv(g, n, st))
		return -1;
	ir_value *y = n->out[0];
	if (y->shape.rank != 4 || !ir_dim_is_const(y->shape.d[2]) ||
	    !ir_dim_is_const(y->shape.d[3]) || y->shape.d[2].c < 3 || y->shape.d[3].c < 3)
		return ir_fail(st, "%s: needs a 2-D convolution of static output size 3x3 or more",
			       ir_node_label(n));
	ir_shape o = y->shape;
	o.d[2] = ir_dim_const((o.d[2].c - 3) / 2 + 1);
	o.d[3] = ir_dim_const((o.d[3].c - 3) / 2 + 1);
	infer_set(n, 0, y->dtype, &o);
	return 0;
}

int infer_pool(ir_graph *g, ir_node *n, ir_status *st)
{
	int is_max = n->op == IR_OP_MaxPool;
	if (infer_arity(n, 1, 1, 1, is_max ? 2 : 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st);
	if (!x)
		return -1;
	int r = x->shape.rank;
	if (r < 3)
		return ir_fail(st, "%s: input must have rank >= 3", ir_node_label(n));
	window w = {r - 2};
	int dil_ok = is_max ? n->opset >= 10 : n->opset >= 19;
	if (!ir_attr_find(n, "kernel_shape"))
		return ir_fail(st, "%s: missing kernel_shape", ir_node_label(n));
	if (ints_attr(n, "kernel_shape", w.nsp, 1, w.k, 1, st)
	    || ints_attr(n, "dilations", w.nsp, 1, w.d, 1, st))
		return -1;
	for (int i = 0; i < w.nsp && !dil_ok; i++)
		w.d[i] = 1;
	w.ceil_mode = n->opset >= 10 && ir_attr_int(n, "ceil_mode", 0) != 0;
	ir_shape o = {r, {x->shape.d[0], x->shape.d[1]}};
	if (window_shape(n, x, &w, &o, st))
		return -1;
	infer_set(n, 0, x->dtype, &o);
	infer_set(n, 1, IR_I64, &o);
	return 0;
}

int infer_global_pool(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st);
	if (!x || infer_arity(n, 1, 1, 1, 1, st))
		return -1;
	if (x->shape.rank < 3)
		return ir_fail(st, "%s: input must have rank >= 3", ir_node_label(n));
	ir_shape o = x->shape;
	for (int i = 2; i < o.rank; i++)
		o.d[i] = ir_dim_const(1);
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_batchnorm(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 5, 5, 1, 5, st))
		return -1;
	ir_value *x = infer_in(n, 0, st);
	if (!x)
		return -1;
	if (x->shape.rank < 2)
		return ir_fail(st, "%s: input must have rank >= 2", ir_node_label(n));
	ir_dim c = x->shape.d[1];
	for (int i = 1; i < 5; i++) {
		ir_value *p = infer_in(n, i, st);
		if (!p)
			return -1;
		if (p->shape.rank != 1 || !ir_dim_eq(p->shape.d[0], c))
			return ir_fail(st, "%s: '%s' must have shape [C]",
				       ir_node_label(n), p->name);
	}
	infer_set(n, 0, x->dtype, &x->shape);
	ir_shape cs = {1, {c}};
	for (int i = 1; i < n->nout; i++)
		infer_set(n, i, n->in[3]->dtype, &cs);
	return 0;
}

int infer_layernorm(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 2, 3, 1, 3, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *sc = x ? infer_in(n, 1, st) : NULL;
	if (!x || !sc)
		return -1;
	int ax, r = x->shape.rank;
	if (r < 1 || infer_axis(n, ir_attr_int(n, "axis", -1), r, 0, &ax, st))
		return r < 1 ? ir_fail(st, "%s: input must have rank >= 1",
				       ir_node_label(n)) : -1;
	if (!ir_dtype_is_float(x->dtype))
		return ir_fail(st, "%s: input must be floating point", ir_node_label(n));
	ir_shape norm = {r - ax}, tmp;
	memcpy(norm.d, &x->shape.d[ax], sizeof(ir_dim) * (size_t)norm.rank);
	for (int i = 1; i < n->nin; i++) {
		ir_value *p = n->in[i];
		if (!p)
			continue;
		if (infer_broadcast(n, &norm, &p->shape, &tmp, st)
		    || tmp.rank != norm.rank || memcmp(&tmp.d, &norm.d,
						       sizeof(ir_dim) * (size_t)norm.rank))
			return ir_fail(st, "%s: '%s' does not broadcast to the "
				       "normalised dims", ir_node_label(n), p->name);
	}
	int64_t stash = ir_attr_int(n, "stash_type", IR_F32);
	if (stash != IR_F32 && stash != IR_BF16 && stash != IR_F64 && stash != IR_F16)
		return ir_fail(st, "%s: bad stash_type %lld", ir_node_label(n),
			       (long long)stash);
	infer_set(n, 0, x->dtype, &x->shape);
	ir_shape red = x->shape;
	for (int i = ax; i < r; i++)
		red.d[i] = ir_dim_const(1);
	infer_set(n, 1, (ir_dtype)stash, &red);
	infer_set(n, 2, (ir_dtype)stash, &red);
	return 0;
}

/* A Dropout ratio/training_mode input must be a scalar of the right kind. */
static int scalar_input(ir_node *n, int i, int want_bool, ir_status *st)
{
	int err;
	ir_value *v = infer_opt_in(n, i, st, &err);
	if (err)
		return -1;
	if (!v)
		return 0;
	if (v->shape.rank > 1 || (v->shape.rank == 1
				  && !ir_dim_eq(v->shape.d[0], ir_dim_const(1))))
		return ir_fail(st, "%s: '%s' must be a scalar", ir_node_label(n), v->name);
	if (want_bool ? v->dtype != IR_BOOL : !ir_dtype_is_float(v->dtype))
		return ir_fail(st, "%s: '%s' must be %s", ir_node_label(n), v->name,
			       want_bool ? "bool" : "floating point");
	return 0;
}

int infer_dropout(ir_graph *g, ir_node *n, ir_status *st)
{
	if (infer_arity(n, 1, n->opset >= 12 ? 3 : 1, 1, 2, st))
		return -1;
	ir_value *x = infer_in(n, 0, st);
	if (!x || scalar_input(n, 1, 0, st) || scalar_input(n, 2, 1, st))
		return -1;
	/* MC builds (passes/mc.c): T samples of a non-sampled input are [T, ...x] */
	ir_shape s = x->shape;
	int64_t T = ir_attr_int(n, "kiln_mc_samples", 0);
	if (T > 0 && !ir_attr_int(n, "kiln_mc_sampled_input", 0)) {
		if (s.rank >= IR_MAX_RANK)
			return ir_fail(st, "%s: rank %d is too high for MC samples",
				       ir_node_label(n), s.rank);
		memmove(&s.d[1], &s.d[0], sizeof s.d[0] * (size_t)s.rank);
		s.d[0] = ir_dim_const(T);
		s.rank++;
	}
	infer_set(n, 0, x->dtype, &s);
	infer_set(n, 1, n->opset >= 10 ? IR_BOOL : x->dtype, &s);
	return 0;
}
