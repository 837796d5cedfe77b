/* infer_ext_c.c — shape/dtype inference for "ops wave C": RNN, GRU, LSTM
 * (opsets 7-14, with layout), GridSample (opset 16) and the training
 * optimizers Adam, Adagrad and Momentum of domain ai.onnx.preview.training.
 * Recurrent layers need static X/W/R shapes (the kernel's loop bounds and
 * stack scratch are compile-time constants), hidden <= 4096, input <= 16384. */
#include <string.h>

#include "infer.h"

#define TRAINING_DOMAIN "ai.onnx.preview.training"

static int is_f(ir_dtype t) { return t == IR_F32 || t == IR_F64; }

static const char *const rnn_acts[] = {
	"Relu", "Tanh", "Sigmoid", "Affine", "LeakyRelu", "ThresholdedRelu",
	"ScaledTanh", "HardSigmoid", "Elu", "Softsign", "Softplus"
};

/* Checks the activations attribute: count nact * ndir and known names. */
static int rnn_check_acts(ir_node *n, int nact, int ndir, ir_status *st)
{
	const ir_attr *a = ir_attr_find(n, "activations");
	if (!a)
		return 0;
	if (a->kind != IR_ATTR_STRINGS || a->n != nact * ndir)
		return ir_fail(st, "%s: activations needs %d names", ir_node_label(n),
			       nact * ndir);
	for (int i = 0; i < a->n; i++) {
		size_t k = 0;
		while (k < sizeof rnn_acts / sizeof *rnn_acts &&
		       strcmp(rnn_acts[k], a->strings[i]))
			k++;
		if (k == sizeof rnn_acts / sizeof *rnn_acts)
			return ir_fail(st, "%s: unsupported activation '%s'",
				       ir_node_label(n), a->strings[i]);
	}
	return 0;
}

/* Checks optional input i has dtype t and shape [d0, d1, d2] (rank r). */
static int rnn_opt_shape(ir_node *n, int i, ir_dtype t, int r, const int64_t *d,
			 const char *what, ir_status *st)
{
	int err;
	ir_value *v = infer_opt_in(n, i, st, &err);
	if (!v)
		return err ? -1 : 0;
	int ok = v->dtype == t && v->shape.rank == r && ir_shape_is_static(&v->shape);
	for (int k = 0; ok && k < r; k++)
		ok = v->shape.d[k].c == d[k];
	if (!ok)
		return ir_fail(st, "%s: %s must be %s of static shape [%lld%s%lld%s%lld]",
			       ir_node_label(n), what, ir_dtype_name(t), (long long)d[0],
			       r > 1 ? "," : "", r > 1 ? (long long)d[1] : 0LL,
			       r > 2 ? "," : "", r > 2 ? (long long)d[2] : 0LL);
	return 0;
}

/* Number of directions from the direction attribute; 0 when unknown. */
static int rnn_ndir(const ir_node *n)
{
	const char *d = ir_attr_str(n, "direction", "forward");
	return !strcmp(d, "forward") || !strcmp(d, "reverse") ? 1 :
	       !strcmp(d, "bidirectional") ? 2 : 0;
}

/* Shared by RNN (G = 1), GRU (3) and LSTM (4). */
static int infer_recurrent(ir_node *n, int G, int nact, int maxin, int maxout,
			   ir_status *st)
{
	if (infer_arity(n, 3, maxin, 0, maxout, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *w = x ? infer_in(n, 1, st) : NULL;
	ir_value *r = w ? infer_in(n, 2, st) : NULL;
	if (!r)
		return -1;
	int D = rnn_ndir(n), layout = (int)ir_attr_int(n, "layout", 0);
	if (!D || (layout != 0 && layout != 1))
		return ir_fail(st, "%s: bad direction or layout", ir_node_label(n));
	if (!is_f(x->dtype) || w->dtype != x->dtype || r->dtype != x->dtype)
		return ir_fail(st, "%s: X, W and R must be float or double alike",
			       ir_node_label(n));
	if (x->shape.rank != 3 || w->shape.rank != 3 || r->shape.rank != 3 ||
	    !ir_shape_is_static(&x->shape) || !ir_shape_is_static(&w->shape) ||
	    !ir_shape_is_static(&r->shape))
		return ir_fail(st, "%s: X, W and R must be 3-D with static shapes",
			       ir_node_label(n));
	int64_t H = r->shape.d[2].c, hs = ir_attr_int(n, "hidden_size", H);
	int64_t T = x->shape.d[layout ? 1 : 0].c, B = x->shape.d[layout ? 0 : 1].c;
	int64_t I = x->shape.d[2].c;
	if (H < 1 || H > 4096 || I > 16384)
		return ir_fail(st, "%s: hidden size %lld / input size %lld outside kiln's "
			       "limits (1..4096 / 16384)", ir_node_label(n), (long long)H,
			       (long long)I);
	if (hs != H || w->shape.d[0].c != D || w->shape.d[1].c != G * H || w->shape.d[2].c != I ||
	    r->shape.d[0].c != D || r->shape.d[1].c != G * H)
		return ir_fail(st, "%s: W/R shapes do not match X, hidden_size %lld and "
			       "%d direction(s)", ir_node_label(n), (long long)hs, D);
	if (rnn_check_acts(n, nact, D, st))
		return -1;
	int64_t bd[2] = {D, 2 * G * H}, sd[1] = {B};
	int64_t hd[3] = {layout ? B : D, layout ? D : B, H}, pd[2] = {D, 3 * H};
	if (rnn_opt_shape(n, 3, x->dtype, 2, bd, "B", st) ||
	    rnn_opt_shape(n, 4, IR_I32, 1, sd, "sequence_lens", st) ||
	    rnn_opt_shape(n, 5, x->dtype, 3, hd, "initial_h", st) ||
	    (G == 4 && (rnn_opt_shape(n, 6, x->dtype, 3, hd, "initial_c", st) ||
			rnn_opt_shape(n, 7, x->dtype, 2, pd, "P", st))))
		return -1;
	ir_shape ys = {4, {{0}}}, hsh = {3, {{0}}};
	int64_t yd[4] = {T, D, B, H}, yl[4] = {B, T, D, H};
	for (int k = 0; k < 4; k++)
		ys.d[k] = ir_dim_const(layout ? yl[k] : yd[k]);
	for (int k = 0; k < 3; k++)
		hsh.d[k] = ir_dim_const(hd[k]);
	infer_set(n, 0, x->dtype, &ys);
	for (int k = 1; k < n->nout; k++)
		infer_set(n, k, x->dtype, &hsh);
	return 0;
}

int infer_rnn(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	return infer_recurrent(n, 1, 1, 6, 2, st);
}

int infer_gru(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	return infer_recurrent(n, 3, 2, 6, 2, st);
}

int infer_lstm(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	return infer_recurrent(n, 4, 3, 8, 3, st);
}

int infer_grid_sample(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	if (infer_arity(n, 2, 2, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *gr = x ? infer_in(n, 1, st) : NULL;
	if (!gr)
		return -1;
	const ir_shape *xs = &x->shape, *gs = &gr->shape;
	if (!is_f(x->dtype) || gr->dtype != x->dtype)
		return ir_fail(st, "%s: X and grid must be float or double alike",
			       ir_node_label(n));
	if (xs->rank != 4 || gs->rank != 4 || !ir_dim_is_const(gs->d[3]) || gs->d[3].c != 2)
		return ir_fail(st, "%s: X must be [N,C,H,W] and grid [N,Ho,Wo,2]",
			       ir_node_label(n));
	if (infer_dim_match(n, xs->d[0], gs->d[0], "grid batch", st))
		return -1;
	const char *m = ir_attr_str(n, "mode", "bilinear");
	const char *p = ir_attr_str(n, "padding_mode", "zeros");
	if (strcmp(m, "bilinear") && strcmp(m, "nearest") && strcmp(m, "bicubic"))
		return ir_fail(st, "%s: unknown mode '%s'", ir_node_label(n), m);
	if (strcmp(p, "zeros") && strcmp(p, "border") && strcmp(p, "reflection"))
		return ir_fail(st, "%s: unknown padding_mode '%s'", ir_node_label(n), p);
	ir_shape ys = {4, {xs->d[0], xs->d[1], gs->d[1], gs->d[2]}};
	infer_set(n, 0, x->dtype, &ys);
	return 0;
}

/* Optimizers: inputs R, T, then ngroups groups of k tensors (X first);
 * outputs nout_groups groups of k, each shaped like the matching X. */
static int infer_optimizer(ir_node *n, int ngroups, int nout_groups, ir_status *st)
{
	if (strcmp(n->domain, TRAINING_DOMAIN))
		return ir_fail(st, "%s: only defined in domain '%s'", ir_node_label(n),
			       TRAINING_DOMAIN);
	int k = (n->nin - 2) / ngroups;
	if (n->nin < 2 + ngroups || (n->nin - 2) % ngroups || n->nout != nout_groups * k)
		return ir_fail(st, "%s: needs R, T, %d groups of tensors and %d groups of "
			       "outputs of equal length", ir_node_label(n), ngroups, nout_groups);
	ir_value *r = infer_in(n, 0, st), *t = r ? infer_in(n, 1, st) : NULL;
	if (!t)
		return -1;
	if (!is_f(r->dtype) || r->shape.rank != 0 || t->dtype != IR_I64 || t->shape.rank != 0)
		return ir_fail(st, "%s: R must be a float scalar and T an int64 scalar",
			       ir_node_label(n));
	for (int i = 0; i < k; i++) {
		ir_value *x = infer_in(n, 2 + i, st);
		if (!x)
			return -1;
		if (x->dtype != r->dtype)
			return ir_fail(st, "%s: '%s' must have R's type", ir_node_label(n), x->name);
		for (int gi = 1; gi < ngroups; gi++) {
			ir_value *o = infer_in(n, 2 + gi * k + i, st);
			if (!o)
				return -1;
			int ok = o->dtype == x->dtype && o->shape.rank == x->shape.rank;
			for (int d = 0; ok && d < x->shape.rank; d++)
				ok = ir_dim_eq(o->shape.d[d], x->shape.d[d]);
			if (!ok)
				return ir_fail(st, "%s: '%s' must match '%s' in type and shape",
					       ir_node_label(n), o->name, x->name);
		}
		for (int gi = 0; gi < nout_groups; gi++)
			infer_set(n, gi * k + i, x->dtype, &x->shape);
	}
	return 0;
}

int infer_adagrad(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	return infer_optimizer(n, 3, 2, st);
}

int infer_momentum(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	const char *m = ir_attr_str(n, "mode", "standard");
	if (strcmp(m, "standard") && strcmp(m, "nesterov"))
		return ir_fail(st, "%s: unknown mode '%s'", ir_node_label(n), m);
	return infer_optimizer(n, 3, 2, st);
}

int infer_adam(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	return infer_optimizer(n, 4, 3, st);
}
