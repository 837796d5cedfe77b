/* lower_ext_c.c — lowerings of "ops wave C" to the kernels of
 * kernels/kk_ext_c.h: RNN/GRU/LSTM as one kk_rnn call with a constant
 * kk_rnn_desc (sizes, direction, activations), GridSample, and the training
 * optimizers as one elementwise kernel call per updated tensor. */
#include <string.h>

#include "lower.h"
#include "kk_ext_c.h"

static const char *const act_names[] = {
	[KK_ACT_RELU] = "Relu", [KK_ACT_TANH] = "Tanh", [KK_ACT_SIGMOID] = "Sigmoid",
	[KK_ACT_AFFINE] = "Affine", [KK_ACT_LEAKYRELU] = "LeakyRelu",
	[KK_ACT_THRESHOLDEDRELU] = "ThresholdedRelu", [KK_ACT_SCALEDTANH] = "ScaledTanh",
	[KK_ACT_HARDSIGMOID] = "HardSigmoid", [KK_ACT_ELU] = "Elu",
	[KK_ACT_SOFTSIGN] = "Softsign", [KK_ACT_SOFTPLUS] = "Softplus"
};

/* ONNX default alpha/beta of activations that take them. */
static void act_defaults(int a, double *al, double *be)
{
	*al = a == KK_ACT_LEAKYRELU ? 0.01 : a == KK_ACT_HARDSIGMOID ? 0.2 : 1.0;
	*be = a == KK_ACT_HARDSIGMOID ? 0.5 : a == KK_ACT_AFFINE ? 0.0 : 1.0;
}

/* Fills d->act/alpha/beta from the activations attributes (or defaults);
 * alpha/beta lists hold one entry per activation that uses them, in order. */
static int rnn_acts(cg_ctx *cg, const ir_node *n, int nact, kk_rnn_desc *d)
{
	static const int dflt[3][3] = {{KK_ACT_TANH}, {KK_ACT_SIGMOID, KK_ACT_TANH},
		{KK_ACT_SIGMOID, KK_ACT_TANH, KK_ACT_TANH}};
	const ir_attr *names = ir_attr_find(n, "activations");
	const ir_attr *al = ir_attr_find(n, "activation_alpha");
	const ir_attr *be = ir_attr_find(n, "activation_beta");
	int ia = 0, ib = 0;
	for (int dir = 0; dir < d->ndir; dir++)
		for (int k = 0; k < nact; k++) {
			int a = dflt[nact - 1][k], j = dir * 3 + k;
			if (names) {
				const char *s = names->strings[dir * nact + k];
				for (a = 0; a <= KK_ACT_SOFTPLUS && strcmp(act_names[a], s); a++)
					;
				if (a > KK_ACT_SOFTPLUS)
					return cg_fail(cg, "unsupported activation '%s'", s);
			}
			d->act[j] = a;
			act_defaults(a, &d->alpha[j], &d->beta[j]);
			int uses_a = a != KK_ACT_RELU && a != KK_ACT_TANH && a != KK_ACT_SIGMOID &&
				     a != KK_ACT_SOFTSIGN && a != KK_ACT_SOFTPLUS;
			int uses_b = a == KK_ACT_AFFINE || a == KK_ACT_SCALEDTANH ||
				     a == KK_ACT_HARDSIGMOID;
			if (uses_a && al && al->kind == IR_ATTR_FLOATS && ia < al->n)
				d->alpha[j] = al->floats[ia++];
			if (uses_b && be && be->kind == IR_ATTR_FLOATS && ib < be->n)
				d->beta[j] = be->floats[ib++];
		}
	return 0;
}

static LLVMValueRef opt_ptr(cg_ctx *cg, const ir_node *n, int i)
{
	return i < n->nin && n->in[i] ? cg_ptr(cg, n->in[i]) : cg_null(cg);
}

static LLVMValueRef opt_out(cg_ctx *cg, const ir_node *n, int i)
{
	return i < n->nout && n->out[i] ? cg_ptr(cg, n->out[i]) : cg_null(cg);
}

int cg_lower_rnn(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *r = n->in[2];
	kk_rnn_desc d;
	memset(&d, 0, sizeof d);
	int nact = n->op == IR_OP_LSTM ? 3 : n->op == IR_OP_GRU ? 2 : 1;
	d.kind = n->op == IR_OP_LSTM ? KK_RNN_LSTM : n->op == IR_OP_GRU ? KK_RNN_GRU
		: KK_RNN_SIMPLE;
	d.dtype = x->dtype;
	const char *dir = ir_attr_str(n, "direction", "forward");
	d.ndir = !strcmp(dir, "bidirectional") ? 2 : 1;
	d.reverse = !strcmp(dir, "reverse");
	d.layout = (int32_t)ir_attr_int(n, "layout", 0);
	d.lbr = ir_attr_int(n, "linear_before_reset", 0) != 0;
	d.input_forget = ir_attr_int(n, "input_forget", 0) != 0;
	d.has_clip = ir_attr_find(n, "clip") != NULL;
	d.clip = ir_attr_float(n, "clip", 0);
	d.T = x->shape.d[d.layout ? 1 : 0].c;
	d.B = x->shape.d[d.layout ? 0 : 1].c;
	d.I = x->shape.d[2].c;
	d.H = r->shape.d[2].c;
	if (rnn_acts(cg, n, nact, &d))
		return -1;
	int lstm = d.kind == KK_RNN_LSTM;
	LLVMValueRef a[13] = {cg->a_ctx, cg_const_bytes(cg, &d, sizeof d), cg_ptr(cg, x),
			      cg_ptr(cg, n->in[1]), cg_ptr(cg, r), opt_ptr(cg, n, 3),
			      opt_ptr(cg, n, 4), opt_ptr(cg, n, 5),
			      lstm ? opt_ptr(cg, n, 6) : cg_null(cg),
			      lstm ? opt_ptr(cg, n, 7) : cg_null(cg), opt_out(cg, n, 0),
			      opt_out(cg, n, 1), lstm ? opt_out(cg, n, 2) : cg_null(cg)};
	cg_call_checked(cg, "kk_rnn", a, 13);
	return 0;
}

int cg_lower_grid_sample(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *gr = n->in[1];
	const char *m = ir_attr_str(n, "mode", "bilinear");
	const char *p = ir_attr_str(n, "padding_mode", "zeros");
	int mode = !strcmp(m, "nearest") ? KK_GS_NEAREST : !strcmp(m, "bicubic") ?
		   KK_GS_BICUBIC : KK_GS_BILINEAR;
	int pad = !strcmp(p, "border") ? KK_GS_BORDER : !strcmp(p, "reflection") ?
		  KK_GS_REFLECTION : KK_GS_ZEROS;
	const ir_shape *s = &x->shape, *gs = &gr->shape;
	LLVMValueRef a[14] = {cg->a_ctx, cg_i32(cg, x->dtype), cg_ptr(cg, x), cg_ptr(cg, gr),
			      cg_ptr(cg, n->out[0]), cg_dim(cg, s->d[0]), cg_dim(cg, s->d[1]),
			      cg_dim(cg, s->d[2]), cg_dim(cg, s->d[3]), cg_dim(cg, gs->d[1]),
			      cg_dim(cg, gs->d[2]), cg_i32(cg, mode), cg_i32(cg, pad),
			      cg_i32(cg, ir_attr_int(n, "align_corners", 0) != 0)};
	cg_call(cg, "kk_grid_sample", a, 14);
	return 0;
}

/* Doubles are passed as f64 constants (cg_f32 would round them). */
static LLVMValueRef f64c(cg_ctx *cg, double v)
{
	return LLVMConstReal(cg->t_f64, v);
}

/* Inputs R, T, X[k], G[k], then V[k] and/or H[k]; one call per tensor i. */
int cg_lower_optimizer(cg_ctx *cg, const ir_node *n)
{
	int groups = n->op == IR_OP_Adam ? 4 : 3, k = (n->nin - 2) / groups;
	const ir_value *r = n->in[0];
	double norm = ir_attr_float(n, "norm_coefficient", 0);
	double alpha = ir_attr_float(n, "alpha", n->op == IR_OP_Adam ? 0.9f : 0.0f);
	double beta = ir_attr_float(n, "beta", n->op == IR_OP_Adam ? 0.999f : 0.0f);
	double eps = ir_attr_float(n, "epsilon", 1e-6f);
	for (int i = 0; i < k; i++) {
		const ir_value *x = n->in[2 + i];
		LLVMValueRef a[17];
		int c = 0;
		a[c++] = cg->a_ctx;
		a[c++] = cg_i32(cg, r->dtype);
		a[c++] = cg_ptr(cg, r);
		a[c++] = cg_ptr(cg, n->in[1]);
		for (int gi = 0; gi < groups; gi++)
			a[c++] = cg_ptr(cg, n->in[2 + gi * k + i]);
		for (int gi = 0; gi < groups - 1; gi++)
			a[c++] = opt_out(cg, n, gi * k + i);
		a[c++] = cg_numel(cg, &x->shape);
		a[c++] = f64c(cg, norm);
		if (n->op == IR_OP_Adagrad) {
			a[c++] = f64c(cg, eps);
			a[c++] = f64c(cg, ir_attr_float(n, "decay_factor", 0));
			cg_call(cg, "kk_adagrad", a, c);
		} else if (n->op == IR_OP_Momentum) {
			a[c++] = f64c(cg, alpha);
			a[c++] = f64c(cg, beta);
			a[c++] = cg_i32(cg, !strcmp(ir_attr_str(n, "mode", "standard"), "nesterov"));
			cg_call(cg, "kk_momentum", a, c);
		} else {
			a[c++] = f64c(cg, ir_attr_float(n, "norm_coefficient_post", 0));
			a[c++] = f64c(cg, alpha);
			a[c++] = f64c(cg, beta);
			a[c++] = f64c(cg, eps);
			cg_call(cg, "kk_adam", a, c);
		}
	}
	return 0;
}
