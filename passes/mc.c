/* mc.c — Monte-Carlo dropout build (--mc-dropout=T): the T samples run
 * batched, S at a time (a chunk; S = T or fewer, chunk_samples).
 *   v sampled  := v depends (transitively) on a stochastic Dropout
 *   sampled v: X[...] -> X[S, ...]       (a new leading sample axis)
 *   Y = op(X...) with a sampled input -> the same op rewritten for the sample
 *     axis (axes shifted, or Reshape [S,N,...] -> [S*N,...], op, Reshape back)
 *   graph output Y -> Ys = KilnMcCollect(Y) [T, ...] (when S < T: codegen
 *     loops over the chunks, ir_mc_region), Y_mean = mean of Ys over axis 0,
 *     Y_var = unbiased variance (and Y_samples = Ys with o->mc_keep_samples)
 * Nodes that depend on no stochastic Dropout are unchanged and run once.
 * Precondition: pass_dropout ran in MC mode (stochastic Dropouts marked,
 * BatchNorm in inference form). Shapes are re-inferred afterwards. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct {
	ir_graph *g;
	int T;                /* samples in all */
	int S;                /* samples per chunk: the sample axis of the region */
	char *smp;            /* by value id: 1 when the value is sampled */
	int cap;
	ir_status *st;
	ir_node *n;           /* node being rewritten, for messages */
} mc_ctx;

static int oom(mc_ctx *c) { return ir_fail(c->st, "out of memory"); }

static int is_smp(const mc_ctx *c, const ir_value *v)
{
	return v && v->id < c->cap && c->smp[v->id];
}

static int set_smp(mc_ctx *c, ir_value *v)
{
	if (!v)
		return 0;
	if (v->id >= c->cap) {
		int cap = v->id * 2 + 64;
		char *p = realloc(c->smp, (size_t)cap);
		if (!p)
			return oom(c);
		memset(p + c->cap, 0, (size_t)(cap - c->cap));
		c->smp = p;
		c->cap = cap;
	}
	c->smp[v->id] = 1;
	return 0;
}

static int unsupported(mc_ctx *c, const char *why)
{
	char lb[200];
	return ir_fail(c->st, "%s after a stochastic Dropout is not supported in MC builds%s%s",
		       pass_label(c->n, lb, sizeof lb), why ? ": " : "", why ? why : "");
}

/* ---- building blocks ---- */

static ir_node *new_node(mc_ctx *c, const char *op, int nin, int nout)
{
	ir_node *n = ir_node_new(c->g, op, "", "", nin, nout);
	if (n)
		n->opset = c->g->opset;
	return n;
}

static ir_value *const_i64s(mc_ctx *c, const char *name, int n, const int64_t *v)
{
	ir_shape s = {1, {{n, -1}}};
	return ir_const_new(c->g, name, IR_I64, &s, v);
}

/* 1 when op at opset takes its axes as an input rather than an attribute. */
static int axes_is_input(ir_op op, int64_t opset)
{
	switch (op) {
	case IR_OP_ReduceSum: case IR_OP_Squeeze: case IR_OP_Unsqueeze: return opset >= 13;
	case IR_OP_Slice: return opset >= 10;
	default: return opset >= 18;  /* other Reduce* */
	}
}

/* Removes attribute name from n (no-op when absent). */
static void drop_attr(ir_node *n, const char *name)
{
	for (int i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0) {
			memmove(&n->attrs[i], &n->attrs[i + 1], sizeof *n->attrs * (size_t)(n->nattrs - i - 1));
			n->nattrs--;
			i--;
		}
}

/* Sets n's axes (input in_idx or attribute "axes") to v[0..k). */
static int set_axes(mc_ctx *c, ir_node *n, int in_idx, int k, const int64_t *v)
{
	if (axes_is_input(n->op, n->opset)) {
		ir_value *a;
		if (in_idx >= n->nin) {
			ir_value **in = ir_alloc(c->g->arena, sizeof *in * (size_t)(in_idx + 1));
			if (!in)
				return oom(c);
			memcpy(in, n->in, sizeof *in * (size_t)n->nin);
			n->in = in;
			n->nin = in_idx + 1;
		}
		a = const_i64s(c, "mc_axes", k, v);
		if (!a)
			return oom(c);
		n->in[in_idx] = a;
		return 0;
	}
	drop_attr(n, "axes");
	ir_attr *a = ir_node_add_attr(c->g, n, "axes", IR_ATTR_INTS);
	if (!a || !(a->ints = ir_alloc(c->g->arena, sizeof(int64_t) * (size_t)(k + 1))))
		return oom(c);
	a->n = k;
	memcpy(a->ints, v, sizeof(int64_t) * (size_t)k);
	return 0;
}

/* Reads n's axes into v (max IR_MAX_RANK + 1); returns the count, -1 when
 * absent, -2 when given by a non-constant input. */
static int get_axes(const ir_node *n, int in_idx, int64_t *v)
{
	if (axes_is_input(n->op, n->opset)) {
		const ir_value *a = in_idx < n->nin ? n->in[in_idx] : NULL;
		if (!a)
			return -1;
		if (!a->data || a->dtype != IR_I64 || a->nbytes / 8 > IR_MAX_RANK + 1)
			return -2;
		memcpy(v, a->data, a->nbytes);
		return (int)(a->nbytes / 8);
	}
	const int64_t *p;
	int k = ir_attr_ints(n, "axes", &p);
	if (k > IR_MAX_RANK + 1)
		return -2;
	if (k > 0)
		memcpy(v, p, sizeof *p * (size_t)k);
	return k;
}

/* The mutable attribute name of n, or a new INT one holding dflt. */
static ir_attr *int_attr(mc_ctx *c, ir_node *n, const char *name, int64_t dflt)
{
	for (int i = 0; i < n->nattrs; i++)
		if (strcmp(n->attrs[i].name, name) == 0)
			return &n->attrs[i];
	ir_attr *a = ir_node_add_attr(c->g, n, name, IR_ATTR_INT);
	if (a)
		a->i = dflt;
	return a;
}

/* Shifts INT attribute name (default dflt) by one when non-negative. */
static int shift_attr(mc_ctx *c, ir_node *n, const char *name, int64_t dflt)
{
	ir_attr *a = int_attr(c, n, name, dflt);
	if (!a)
		return oom(c);
	if (a->i >= 0)
		a->i++;
	return 0;
}

/* Constant shape tensor for dims d[0..r): a symbolic dim becomes -1 (at most one). */
static ir_value *shape_const(mc_ctx *c, const ir_dim *d, int r)
{
	int64_t v[IR_MAX_RANK + 1];
	int nsym = 0;
	for (int i = 0; i < r; i++) {
		v[i] = d[i].sym >= 0 ? -1 : d[i].c;
		nsym += d[i].sym >= 0;
	}
	if (nsym > 1) {
		unsupported(c, "more than one symbolic dim to reshape");
		return NULL;
	}
	ir_value *s = const_i64s(c, "mc_shape", r, v);
	if (!s)
		oom(c);
	return s;
}

/* y = Reshape(x, dims) with y a new value (or `into` when given). */
static ir_value *reshape(mc_ctx *c, ir_value *x, const ir_dim *d, int r, ir_value *into)
{
	ir_value *s = shape_const(c, d, r);
	ir_value *y = into ? into : pass_new_value(c->g, x, "mc", x->dtype);
	ir_node *n = s && y ? new_node(c, "Reshape", 2, 1) : NULL;
	if (!n) {
		if (s)
			oom(c);
		return NULL;
	}
	if (n->opset < 5)
		n->opset = 13;
	n->in[0] = x;
	n->in[1] = s;
	ir_node_set_out(n, 0, y);
	return y;
}

/* Sampled x of original rank r -> rank `want` (+1) by unsqueezing after axis 0. */
static ir_value *align_rank(mc_ctx *c, ir_value *x, int r, int want)
{
	int64_t axes[IR_MAX_RANK];
	int k = want - r;
	ir_value *y = pass_new_value(c->g, x, "mc_aligned", x->dtype);
	ir_node *n = y ? new_node(c, "Unsqueeze", 2, 1) : NULL;
	if (!n) {
		oom(c);
		return NULL;
	}
	for (int i = 0; i < k; i++)
		axes[i] = 1 + i;
	n->nin = axes_is_input(IR_OP_Unsqueeze, n->opset) ? 2 : 1;
	n->in[0] = x;
	if (set_axes(c, n, 1, k, axes))
		return NULL;
	ir_node_set_out(n, 0, y);
	return set_smp(c, y) ? NULL : y;
}

/* Non-sampled x of rank r -> [t, x...] by Expand(x, [t, 1...]). */
static ir_value *expand_samples(mc_ctx *c, ir_value *x, int r, int t)
{
	int64_t s[IR_MAX_RANK + 1];
	s[0] = t;
	for (int i = 1; i <= r; i++)
		s[i] = 1;
	ir_value *sv = const_i64s(c, "mc_expand", r + 1, s);
	ir_value *y = sv ? pass_new_value(c->g, x, "mc_expanded", x->dtype) : NULL;
	ir_node *n = y ? new_node(c, "Expand", 2, 1) : NULL;
	if (!n) {
		oom(c);
		return NULL;
	}
	n->in[0] = x;
	n->in[1] = sv;
	ir_node_set_out(n, 0, y);
	return set_smp(c, y) ? NULL : y;
}

/* ---- per-op rewrites (c->n is the node; at least one input is sampled) ---- */

/* Elementwise with numpy broadcasting: sampled inputs of a lower original
 * rank than the output are unsqueezed so the sample axis lines up. */
static int rw_elementwise(mc_ctx *c, ir_node *n)
{
	int r = 0;
	for (int i = 0; i < n->nin; i++)
		if (n->in[i] && n->in[i]->shape.rank > r)
			r = n->in[i]->shape.rank;
	for (int i = 0; i < n->nin; i++) {
		ir_value *x = n->in[i];
		if (is_smp(c, x) && x->shape.rank < r && !(n->in[i] = align_rank(c, x, x->shape.rank, r)))
			return -1;
	}
	return 0;
}

/* op(X[T,N,...]) -> Reshape(op(Reshape(X, [T*N,...])), [T,N',...]). */
static int rw_batch_wrap(mc_ctx *c, ir_node *n)
{
	ir_value *x = n->in[0], *y = n->out[0];
	ir_dim d[IR_MAX_RANK + 1];
	for (int i = 1; i < n->nin; i++)
		if (is_smp(c, n->in[i]))
			return unsupported(c, "only its data input may be sampled");
	for (int i = 1; i < n->nout; i++)
		if (n->out[i] && pass_value_used(c->g, n->out[i]))
			return unsupported(c, "with a second output");
	if (x->shape.rank < 1)
		return unsupported(c, "rank-0 input");
	d[0] = x->shape.d[0];
	d[0].c *= c->S;
	for (int i = 1; i < x->shape.rank; i++)
		d[i] = x->shape.d[i];
	if (!(n->in[0] = reshape(c, x, d, x->shape.rank, NULL)))
		return -1;
	ir_value *ym = pass_new_value(c->g, y, "mc_flat", y->dtype);
	if (!ym)
		return oom(c);
	ir_node_set_out(n, 0, ym);
	d[0] = ir_dim_const(c->S);
	for (int i = 0; i < y->shape.rank; i++)
		d[i + 1] = y->shape.d[i];
	return reshape(c, ym, d, y->shape.rank + 1, y) ? 0 : -1;
}

static int rw_gemm(mc_ctx *c, ir_node *n)
{
	if (is_smp(c, n->in[1]) || (n->nin > 2 && is_smp(c, n->in[2])))
		return unsupported(c, "only input A may be sampled");
	ir_value *a = n->in[0];
	ir_dim d[2] = {a->shape.d[0], a->shape.d[1]};
	if (ir_attr_int(n, "transA", 0)) {
		/* A'[T,K,M] -> Transpose -> [T,M,K] */
		ir_value *t = pass_new_value(c->g, a, "mc_t", a->dtype);
		ir_node *tn = t ? new_node(c, "Transpose", 1, 1) : NULL;
		ir_attr *p = tn ? ir_node_add_attr(c->g, tn, "perm", IR_ATTR_INTS) : NULL;
		if (!p || !(p->ints = ir_alloc(c->g->arena, 3 * sizeof(int64_t))))
			return oom(c);
		p->n = 3;
		p->ints[0] = 0, p->ints[1] = 2, p->ints[2] = 1;
		tn->in[0] = a;
		ir_node_set_out(tn, 0, t);
		int_attr(c, n, "transA", 0)->i = 0;
		d[0] = a->shape.d[1], d[1] = a->shape.d[0];
		a = t;
	}
	d[0].c *= c->S;
	if (!(n->in[0] = reshape(c, a, d, 2, NULL)))
		return -1;
	ir_value *y = n->out[0], *ym = pass_new_value(c->g, y, "mc_flat", y->dtype);
	if (!ym)
		return oom(c);
	ir_node_set_out(n, 0, ym);
	ir_dim o[3] = {ir_dim_const(c->S), y->shape.d[0], y->shape.d[1]};
	return reshape(c, ym, o, 3, y) ? 0 : -1;
}

static int rw_matmul(mc_ctx *c, ir_node *n)
{
	ir_value *a = n->in[0], *b = n->in[1];
	int ra = a->shape.rank, rb = b->shape.rank, r = ra > rb ? ra : rb;
	if (is_smp(c, b) && rb == 1)
		return unsupported(c, "sampled 1-D B");
	if (is_smp(c, a) && ra == 1) {
		if (rb != 2 || is_smp(c, b))
			return unsupported(c, "sampled 1-D A with a B that is not a 2-D constant");
		return 0;      /* [T,K] @ [K,N] = [T,N] */
	}
	if (ra == 1 || rb == 1)
		return unsupported(c, "1-D operand next to a sampled one");
	if (is_smp(c, a) && ra < r && !(n->in[0] = align_rank(c, a, ra, r)))
		return -1;
	if (is_smp(c, b) && rb < r && !(n->in[1] = align_rank(c, b, rb, r)))
		return -1;
	return 0;
}

/* Reduce*: shift axes; no axes (and not noop) = every original axis. */
static int rw_reduce(mc_ctx *c, ir_node *n)
{
	int64_t ax[IR_MAX_RANK + 1];
	int k = get_axes(n, 1, ax), r = n->in[0]->shape.rank;
	if (k == -2)
		return unsupported(c, "axes computed at run time");
	if (k <= 0) {
		if (ir_attr_int(n, "noop_with_empty_axes", 0))
			return 0;
		for (k = 0; k < r; k++)
			ax[k] = k + 1;
	} else {
		for (int i = 0; i < k; i++)
			if (ax[i] >= 0)
				ax[i]++;
	}
	return set_axes(c, n, 1, k, ax);
}

/* Slice/Squeeze/Unsqueeze: shift the non-negative axes (Slice: absent axes
 * are 0..len(starts)-1). */
static int rw_axes(mc_ctx *c, ir_node *n)
{
	int idx = n->op == IR_OP_Slice ? 3 : 1;
	int64_t ax[IR_MAX_RANK + 1];
	int k = get_axes(n, idx, ax);
	if (k == -2)
		return unsupported(c, "axes computed at run time");
	for (int i = 1; i < n->nin; i++)
		if (is_smp(c, n->in[i]))
			return unsupported(c, "sampled parameters");
	if (k < 0 && n->op == IR_OP_Slice) {
		const ir_value *s = n->opset >= 10 ? n->in[1] : NULL;
		const int64_t *p;
		k = s ? (int)s->shape.d[0].c : ir_attr_ints(n, "starts", &p);
		if (k < 0 || k > IR_MAX_RANK)
			return unsupported(c, "unknown starts");
		for (int i = 0; i < k; i++)
			ax[i] = i;
	}
	if (k < 0)
		return 0;
	for (int i = 0; i < k; i++)
		if (ax[i] >= 0)
			ax[i]++;
	return set_axes(c, n, idx, k, ax);
}

static int rw_transpose(mc_ctx *c, ir_node *n)
{
	int r = n->in[0]->shape.rank;
	const int64_t *p;
	int k = ir_attr_ints(n, "perm", &p);
	int64_t np[IR_MAX_RANK + 1];
	np[0] = 0;
	for (int i = 0; i < r; i++)
		np[i + 1] = (k == r ? p[i] : r - 1 - i) + 1;
	drop_attr(n, "perm");
	ir_attr *a = ir_node_add_attr(c->g, n, "perm", IR_ATTR_INTS);
	if (!a || !(a->ints = ir_alloc(c->g->arena, sizeof np)))
		return oom(c);
	a->n = r + 1;
	memcpy(a->ints, np, sizeof(int64_t) * (size_t)(r + 1));
	return 0;
}

/* Flatten and Reshape -> Reshape(X, [T, original output dims]). */
static int rw_reshape(mc_ctx *c, ir_node *n)
{
	ir_value *y = n->out[0];
	ir_dim d[IR_MAX_RANK + 1];
	if (n->nin > 1 && is_smp(c, n->in[1]))
		return unsupported(c, "sampled shape");
	d[0] = ir_dim_const(c->S);
	for (int i = 0; i < y->shape.rank; i++)
		d[i + 1] = y->shape.d[i];
	ir_value *s = shape_const(c, d, y->shape.rank + 1);
	ir_value **in = ir_alloc(c->g->arena, 2 * sizeof *in);
	if (!s || !in)
		return s ? oom(c) : -1;
	in[0] = n->in[0];
	in[1] = s;
	n->in = in;
	n->nin = 2;
	n->op = IR_OP_Reshape;
	n->op_type = "Reshape";
	n->nattrs = 0;
	if (n->opset < 5)
		n->opset = 13;
	return 0;
}

/* Replaces constant int64 input i of n with [pre, data...] (Expand: 1, Tile: 1)
 * or, for Pad, [0, begins..., 0, ends...]. */
static int rw_prepend(mc_ctx *c, ir_node *n, int i, int64_t pre, int pad)
{
	const ir_value *v = i < n->nin ? n->in[i] : NULL;
	int64_t buf[2 * IR_MAX_RANK + 2];
	if (!v || !v->data || v->dtype != IR_I64 || v->nbytes / 8 > 2 * IR_MAX_RANK)
		return unsupported(c, "shape, repeats or pads computed at run time");
	int k = (int)(v->nbytes / 8);
	const int64_t *p = v->data;
	if (pad) {
		int h = k / 2;
		buf[0] = 0;
		memcpy(buf + 1, p, sizeof *p * (size_t)h);
		buf[h + 1] = 0;
		memcpy(buf + h + 2, p + h, sizeof *p * (size_t)h);
		k += 2;
	} else {
		buf[0] = pre;
		memcpy(buf + 1, p, sizeof *p * (size_t)k);
		k++;
	}
	return (n->in[i] = const_i64s(c, "mc_param", k, buf)) ? 0 : oom(c);
}

static int rw_concat(mc_ctx *c, ir_node *n)
{
	for (int i = 0; i < n->nin; i++)
		if (n->in[i] && !is_smp(c, n->in[i]) &&
		    !(n->in[i] = expand_samples(c, n->in[i], n->in[i]->shape.rank, c->S)))
			return -1;
	return shift_attr(c, n, "axis", 0);
}

static int rw_pad(mc_ctx *c, ir_node *n)
{
	if (n->opset < 11) {
		const int64_t *p;
		int k = ir_attr_ints(n, "pads", &p);
		for (int i = 0; i < n->nattrs && k > 0; i++)
			if (strcmp(n->attrs[i].name, "pads") == 0) {
				int64_t *q = ir_alloc(c->g->arena, sizeof *q * (size_t)(k + 2));
				if (!q)
					return oom(c);
				q[0] = 0;
				memcpy(q + 1, p, sizeof *q * (size_t)(k / 2));
				q[k / 2 + 1] = 0;
				memcpy(q + k / 2 + 2, p + k / 2, sizeof *q * (size_t)(k / 2));
				n->attrs[i].ints = q;
				n->attrs[i].n = k + 2;
			}
		return 0;
	}
	if (n->nin > 3 && n->in[3])
		return unsupported(c, "Pad with axes");
	if (n->nin > 2 && is_smp(c, n->in[2]))
		return unsupported(c, "sampled constant_value");
	return rw_prepend(c, n, 1, 0, 1);
}

static int rw_node(mc_ctx *c, ir_node *n)
{
	switch (n->op) {
	case IR_OP_Identity: return 0;
	case IR_OP_Relu: case IR_OP_Sigmoid: case IR_OP_Tanh: case IR_OP_Sqrt: case IR_OP_Abs:
	case IR_OP_Neg: case IR_OP_Exp: case IR_OP_Log: case IR_OP_Ceil: case IR_OP_Floor:
	case IR_OP_Round: case IR_OP_Reciprocal: case IR_OP_Sin: case IR_OP_Cos: case IR_OP_Tan:
	case IR_OP_Asin: case IR_OP_Acos: case IR_OP_Atan: case IR_OP_Sinh: case IR_OP_Cosh:
	case IR_OP_Asinh: case IR_OP_Acosh: case IR_OP_Atanh: case IR_OP_Erf: case IR_OP_Sign:
	case IR_OP_Softplus: case IR_OP_Softsign: case IR_OP_Elu: case IR_OP_Selu:
	case IR_OP_Celu: case IR_OP_LeakyRelu: case IR_OP_ThresholdedRelu:
	case IR_OP_HardSigmoid: case IR_OP_HardSwish: case IR_OP_Not: case IR_OP_IsNaN:
	case IR_OP_IsInf: case IR_OP_Clip: case IR_OP_Cast: case IR_OP_Add: case IR_OP_Sub:
	case IR_OP_Mul: case IR_OP_Div: case IR_OP_Pow: case IR_OP_Mod: case IR_OP_PRelu:
	case IR_OP_BitShift: case IR_OP_Equal: case IR_OP_Less: case IR_OP_Greater:
	case IR_OP_LessOrEqual: case IR_OP_GreaterOrEqual: case IR_OP_And: case IR_OP_Or:
	case IR_OP_Xor: case IR_OP_Max: case IR_OP_Min: case IR_OP_Sum: case IR_OP_Mean:
	case IR_OP_Where:
		return rw_elementwise(c, n);
	case IR_OP_Gemm: return rw_gemm(c, n);
	case IR_OP_MatMul: return rw_matmul(c, n);
	case IR_OP_Conv: case IR_OP_MaxPool: case IR_OP_AveragePool: case IR_OP_GlobalAveragePool:
	case IR_OP_GlobalMaxPool: case IR_OP_BatchNormalization: case IR_OP_InstanceNormalization:
	case IR_OP_LRN:
		return rw_batch_wrap(c, n);
	case IR_OP_Softmax: case IR_OP_LogSoftmax: case IR_OP_Hardmax:
		return shift_attr(c, n, "axis", n->opset >= 13 ? -1 : 1);
	case IR_OP_LayerNormalization:
		if (n->nin > 1 && (is_smp(c, n->in[1]) || (n->nin > 2 && is_smp(c, n->in[2]))))
			return unsupported(c, "sampled scale or bias");
		return shift_attr(c, n, "axis", -1);
	case IR_OP_ArgMax: case IR_OP_ArgMin: return shift_attr(c, n, "axis", 0);
	case IR_OP_ReduceMean: case IR_OP_ReduceSum: case IR_OP_ReduceMax: case IR_OP_ReduceMin:
	case IR_OP_ReduceProd: case IR_OP_ReduceL1: case IR_OP_ReduceL2: case IR_OP_ReduceLogSum:
	case IR_OP_ReduceLogSumExp: case IR_OP_ReduceSumSquare:
		return rw_reduce(c, n);
	case IR_OP_Transpose: return rw_transpose(c, n);
	case IR_OP_Concat: return rw_concat(c, n);
	case IR_OP_Split: return shift_attr(c, n, "axis", 0);
	case IR_OP_Gather:
		if (is_smp(c, n->in[1]))
			return unsupported(c, "sampled indices");
		return shift_attr(c, n, "axis", 0);
	case IR_OP_Slice: case IR_OP_Squeeze: case IR_OP_Unsqueeze: return rw_axes(c, n);
	case IR_OP_Flatten: case IR_OP_Reshape: return rw_reshape(c, n);
	case IR_OP_Expand:
		if (is_smp(c, n->in[1]))
			return unsupported(c, "sampled shape");
		if (n->in[1]->shape.rank == 1 && n->in[1]->shape.d[0].c > n->in[0]->shape.rank &&
		    !(n->in[0] = align_rank(c, n->in[0], n->in[0]->shape.rank,
					    (int)n->in[1]->shape.d[0].c)))
			return -1;
		return rw_prepend(c, n, 1, 1, 0);
	case IR_OP_Tile:
		return is_smp(c, n->in[1]) ? unsupported(c, "sampled repeats") : rw_prepend(c, n, 1, 1, 0);
	case IR_OP_Pad: return rw_pad(c, n);
	default: return unsupported(c, NULL);
	}
}

/* ---- stochastic Dropouts ---- */

static int mark_dropout(mc_ctx *c, ir_node *n)
{
	/* adding an attribute may move n->attrs: set each one right away */
	ir_attr *a = ir_node_add_attr(c->g, n, "kiln_mc_samples", IR_ATTR_INT);
	if (!a)
		return oom(c);
	a->i = c->S;
	if (!(a = ir_node_add_attr(c->g, n, "kiln_mc_sampled_input", IR_ATTR_INT)))
		return oom(c);
	a->i = is_smp(c, n->in[0]);
	for (int i = 1; i < n->nin; i++)
		if (is_smp(c, n->in[i]))
			return unsupported(c, "sampled ratio or training_mode");
	return 0;
}

/* ---- outputs: mean and unbiased variance over the sample axis ---- */

/* y = op(x, [0]) with keepdims = 0 (ReduceMean or ReduceSum). */
static ir_value *reduce0(mc_ctx *c, const char *op, ir_value *x, ir_value *y)
{
	static const int64_t zero = 0;
	ir_node *n = new_node(c, op, 2, 1);
	ir_attr *k = n ? ir_node_add_attr(c->g, n, "keepdims", IR_ATTR_INT) : NULL;
	if (!k) {
		oom(c);
		return NULL;
	}
	n->in[0] = x;
	n->nin = axes_is_input(n->op, n->opset) ? 2 : 1;
	if (set_axes(c, n, 1, 1, &zero))
		return NULL;
	ir_node_set_out(n, 0, y);
	return y;
}

static ir_value *binop(mc_ctx *c, const char *op, ir_value *a, ir_value *b, ir_value *y)
{
	ir_node *n = new_node(c, op, 2, 1);
	if (!n) {
		oom(c);
		return NULL;
	}
	n->in[0] = a;
	n->in[1] = b;
	ir_node_set_out(n, 0, y);
	return y;
}

static ir_value *named(mc_ctx *c, const ir_value *y, const char *suffix)
{
	ir_value *v = pass_new_value(c->g, y, suffix, y->dtype);
	if (v)
		v->is_output = 1;
	else
		oom(c);
	return v;
}

/* Scalar constant x of dtype t (f32 or f64). */
static ir_value *scalar(mc_ctx *c, ir_dtype t, double x)
{
	ir_shape s = {0};
	float f = (float)x;
	ir_value *v = ir_const_new(c->g, "mc_scalar", t, &s, t == IR_F64 ? (void *)&x : (void *)&f);
	if (!v)
		oom(c);
	return v;
}

/* The samples of all chunks: ys = KilnMcCollect(y) [T, ...] (y itself when
 * one chunk holds them all). */
static ir_value *collect(mc_ctx *c, ir_value *y)
{
	if (c->S == c->T)
		return y;
	ir_node *n = ir_node_new(c->g, "KilnMcCollect", "kiln", "", 1, 1);
	ir_value *ys = n ? pass_new_value(c->g, y, "mc_all", y->dtype) : NULL;
	ir_attr *a = ys ? ir_node_add_attr(c->g, n, "samples", IR_ATTR_INT) : NULL;
	if (!a) {
		oom(c);
		return NULL;
	}
	a->i = c->T;
	if (!(a = ir_node_add_attr(c->g, n, "chunk", IR_ATTR_INT))) {
		oom(c);
		return NULL;
	}
	a->i = c->S;
	n->op = IR_OP_KilnMcCollect;
	n->in[0] = y;
	ir_node_set_out(n, 0, ys);
	return ys;
}

/* Mean and variance of output y over its T samples ys. */
static int stats_sampled(mc_ctx *c, ir_value *y, ir_value *ys, ir_value **mean, ir_value **var)
{
	ir_value *d, *sq, *sum, *inv;
	if (!(*mean = named(c, y, "mean")) || !reduce0(c, "ReduceMean", ys, *mean) ||
	    !(d = pass_new_value(c->g, y, "mc_dev", y->dtype)) || !binop(c, "Sub", ys, *mean, d) ||
	    !(sq = pass_new_value(c->g, y, "mc_sq", y->dtype)) || !binop(c, "Mul", d, d, sq) ||
	    !(sum = pass_new_value(c->g, y, "mc_sumsq", y->dtype)) || !reduce0(c, "ReduceSum", sq, sum) ||
	    !(inv = scalar(c, y->dtype, 1.0 / (c->T - 1))) ||
	    !(*var = named(c, y, "var")) || !binop(c, "Mul", sum, inv, *var))
		return c->st->msg[0] ? -1 : oom(c);
	return 0;
}

/* An output that depends on no Dropout: mean = Y, var = zeros like Y. */
static int stats_fixed(mc_ctx *c, ir_value *y, ir_value **mean, ir_value **var)
{
	ir_node *id, *sh;
	ir_value *s, *z;
	if (!(*mean = named(c, y, "mean")) || !(id = new_node(c, "Identity", 1, 1)))
		return oom(c);
	id->in[0] = y;
	ir_node_set_out(id, 0, *mean);
	if (!(s = pass_new_value(c->g, y, "mc_shape", IR_I64)) || !(sh = new_node(c, "Shape", 1, 1)) ||
	    !(z = scalar(c, y->dtype, 0)) || !(*var = named(c, y, "var")))
		return oom(c);
	sh->in[0] = y;
	ir_node_set_out(sh, 0, s);
	return binop(c, "Expand", z, s, *var) ? 0 : -1;
}

/* Y_samples: the T samples ys of a sampled output y, or y repeated. */
static int samples_out(mc_ctx *c, ir_value *y, ir_value *ys, ir_value **out)
{
	ir_node *id;
	if (!ys && !(ys = expand_samples(c, y, y->shape.rank, c->T)))
		return -1;
	if (!(*out = named(c, y, "samples")) || !(id = new_node(c, "Identity", 1, 1)))
		return oom(c);
	id->in[0] = ys;
	ir_node_set_out(id, 0, *out);
	return 0;
}

static int rewrite_outputs(mc_ctx *c, int keep)
{
	ir_graph *g = c->g;
	int per = keep ? 3 : 2, no = g->noutputs;
	ir_value **outs = ir_alloc(g->arena, sizeof *outs * (size_t)(no * per + 1));
	if (!outs)
		return oom(c);
	for (int i = 0; i < no; i++) {
		ir_value *y = g->outputs[i], **o = outs + i * per, *ys = NULL;
		if (y->dtype != IR_F32 && y->dtype != IR_F64)
			return ir_fail(c->st, "--mc-dropout: output '%s' has type %s; MC builds "
				       "need float outputs", y->name, ir_dtype_name(y->dtype));
		if (is_smp(c, y) && !(ys = collect(c, y)))
			return -1;
		if (ys ? stats_sampled(c, y, ys, &o[0], &o[1]) : stats_fixed(c, y, &o[0], &o[1]))
			return -1;
		if (keep && samples_out(c, y, ys, &o[2]))
			return -1;
	}
	for (int i = 0; i < no; i++)
		g->outputs[i]->is_output = 0;
	g->outputs = outs;
	g->noutputs = no * per;
	return 0;
}

/* ---- the pass ---- */

static int mc_walk(mc_ctx *c, int *ndrop)
{
	int nn = c->g->nnodes;
	for (int i = 0; i < nn; i++) {
		ir_node *n = c->g->nodes[i];
		int any = 0;
		if (n->dead)
			continue;
		c->n = n;
		for (int j = 0; j < n->nin; j++)
			any |= is_smp(c, n->in[j]);
		ir_value *outs[16] = {0};
		for (int j = 0; j < n->nout && j < 16; j++)
			outs[j] = n->out[j];
		if (n->op == IR_OP_Dropout && n->stochastic) {
			++*ndrop;
			if (mark_dropout(c, n))
				return -1;
		} else if (!any) {
			continue;
		} else if (n->nout > 16 || rw_node(c, n)) {
			return n->nout > 16 ? unsupported(c, "more than 16 outputs") : -1;
		} else if (!ir_node_add_attr(c->g, n, "kiln_mc_sampled", IR_ATTR_INT)) {
			return oom(c);
		} else {
			n->attrs[n->nattrs - 1].i = 1;
		}
		for (int j = 0; j < n->nout && j < 16; j++)
			if (set_smp(c, outs[j]))
				return -1;
	}
	return 0;
}

/* Bytes per sample of the largest value that depends on a stochastic
 * Dropout (symbolic dims count once), before the rewrite. */
static int64_t sampled_bytes(const ir_graph *g)
{
	char *smp = calloc((size_t)g->nvalues + 1, 1);
	int64_t most = 0;
	if (!smp)
		return 0;
	for (int k = 0; k < g->nnodes; k++) {
		const ir_node *n = g->nodes[k];
		int any = n->op == IR_OP_Dropout && n->stochastic;
		for (int j = 0; j < n->nin && !any; j++)
			any = n->in[j] && smp[n->in[j]->id];
		for (int j = 0; any && !n->dead && j < n->nout; j++) {
			ir_dim e;
			const ir_value *v = n->out[j];
			if (!v || !ir_shape_numel(&v->shape, &e))
				continue;
			smp[v->id] = 1;
			if (e.c * (int64_t)ir_dtype_size(v->dtype) > most)
				most = e.c * (int64_t)ir_dtype_size(v->dtype);
		}
	}
	free(smp);
	return most;
}

/* Samples per chunk: `want` when given; else as many as keep the largest
 * sampled value of a chunk within MC_CHUNK_BYTES, so one op's output is
 * still in cache when the next op reads it (the transformer encoder of
 * bench/ runs ~5% faster per sample in chunks of 5 to 10 than with all 100
 * at once), preferring a divisor of T (no samples computed and dropped). */
#define MC_CHUNK_BYTES (4 << 20)
static int chunk_samples(const ir_graph *g, int T, int want)
{
	if (want > 0)
		return want < T ? want : T;
	int64_t per = sampled_bytes(g);
	if (per <= 0 || MC_CHUNK_BYTES / per >= T)
		return T;
	int most = MC_CHUNK_BYTES / per > 0 ? (int)(MC_CHUNK_BYTES / per) : 1;
	for (int s = most; 2 * s >= most; s--)
		if (T % s == 0)
			return s;
	int chunks = (T + most - 1) / most;
	return (T + chunks - 1) / chunks;
}

int pass_mc(ir_graph *g, const pass_options *o, ir_status *st)
{
	mc_ctx c = {g, o ? o->mc_samples : 0, 0, NULL, 0, st, NULL};
	int ndrop = 0, rc;
	if (c.T <= 0)
		return 0;
	if (c.T < 2)
		return ir_fail(st, "--mc-dropout=%d: need at least 2 samples for a variance", c.T);
	if (o->mc_chunk < 0)
		return ir_fail(st, "--mc-chunk=%d: must be at least 1", o->mc_chunk);
	c.S = chunk_samples(g, c.T, o->mc_chunk);
	rc = mc_walk(&c, &ndrop);
	if (!rc && !ndrop)
		rc = ir_fail(st, "--mc-dropout: the model has no Dropout to sample; re-export it with "
			     "dropout kept: torch.onnx.export(..., training=torch.onnx.TrainingMode."
			     "TRAINING) (or PRESERVE with the model in train mode)");
	if (!rc)
		rc = rewrite_outputs(&c, o->mc_keep_samples);
	free(c.smp);
	if (rc)
		return -1;
	/* new nodes were appended: order them, then type every rewritten value */
	return ir_graph_toposort(g, st) || ir_infer_shapes(g, st) ? -1 : 0;
}

int pass_mc_schedule(ir_graph *g, const pass_options *o, ir_status *st)
{
	return o->mc_samples > 0 ? ir_mc_schedule(g, st) : 0;
}
