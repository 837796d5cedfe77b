/* fuse_pwdw.c — a pointwise Conv whose output only feeds a 3x3 depthwise
 * Conv (MobileNet's expansion and depthwise layers) -> one KilnConvPwDw
 * node, whose kernel (codegen/kernels/nn_pwdw.c) keeps the tensor between
 * them in a layout the depthwise layer reads as vectors of 8 channels. On
 * f32, after fuse-epilogue (each Conv's Relu or Clip fused as kiln_clip_min
 * and kiln_clip_max):
 *   P = Conv(X, W1[, B1]): 1x1, stride 1, no pads, group 1
 *   D = Conv(P, W2[, B2]): 3x3, group = C = P's channels, C a multiple of
 *       8, pads 1, dilation 1, the same stride 1 or 2 on both axes
 * neither with a fused residual or scale, P's output read by D alone and not
 * a graph output, the weights and biases constants, X 4-D with static H and
 * W, H W >= 6 (the kernel's pixel tile)
 * -> KilnConvPwDw(X, W1, B1, W2, B2) {strides = [s, s], kiln_pw_clip_min,
 * kiln_pw_clip_max (P's clamp), kiln_clip_min, kiln_clip_max (D's)}.
 * Runs after fuse-epilogue, on the final graph. */
#include <math.h>
#include <string.h>

#include "internal.h"

/* n's integer list attribute name: every one of its count entries equal to
 * want (absent: dflt for all; of another kind: no). */
static int ints_all(const ir_node *n, const char *name, int count, int64_t want,
		    int64_t dflt)
{
	const int64_t *v;
	if (!ir_attr_find(n, name))
		return dflt == want;
	if (ir_attr_ints(n, name, &v) != count)
		return 0;
	for (int i = 0; i < count; i++)
		if (v[i] != want)
			return 0;
	return 1;
}

/* A 2-D f32 Conv with constant weights (and bias), explicit pads and no
 * fused residual or scale: what both halves of the pair must be. */
static int plain_conv(const ir_node *n)
{
	const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
	if (n->op != IR_OP_Conv || n->nout != 1 || !n->out[0] || n->out[0]->dtype != IR_F32 ||
	    n->nin < 2 || !n->in[0] || n->in[0]->shape.rank != 4 || !n->in[1]->data ||
	    !ir_shape_is_static(&n->in[1]->shape) || (n->nin > 3 && n->in[3]) ||
	    ir_attr_find(n, "kiln_alpha") || strcmp(ap, "NOTSET") != 0)
		return 0;
	const ir_value *b = n->nin > 2 ? n->in[2] : NULL;
	return !b || (b->data && b->dtype == IR_F32);
}

static int set_float(ir_graph *g, ir_node *n, const char *name, float v)
{
	ir_attr *a = ir_node_add_attr(g, n, name, IR_ATTR_FLOAT);
	if (!a)
		return -1;
	a->f = v;
	return 0;
}

static int fuse_at(ir_graph *g, ir_node *p)
{
	if (!plain_conv(p))
		return 0;
	const ir_value *x = p->in[0], *w1 = p->in[1];
	if (w1->shape.d[2].c != 1 || w1->shape.d[3].c != 1 || ir_attr_int(p, "group", 1) != 1 ||
	    !ints_all(p, "strides", 2, 1, 1) || !ints_all(p, "pads", 4, 0, 0) ||
	    !ints_all(p, "dilations", 2, 1, 1) || !ir_dim_is_const(x->shape.d[2]) ||
	    !ir_dim_is_const(x->shape.d[3]) || x->shape.d[2].c * x->shape.d[3].c < 6)
		return 0;
	ir_node *d = pass_sole_user(g, p->out[0]);
	if (!d || !plain_conv(d) || d->in[0] != p->out[0])
		return 0;
	const ir_value *w2 = d->in[1];
	int64_t C = w1->shape.d[0].c, s = ints_all(d, "strides", 2, 2, 1) ? 2 : 1;
	if (C % 8 != 0 || ir_attr_int(d, "group", 1) != C || w2->shape.d[0].c != C ||
	    w2->shape.d[1].c != 1 || w2->shape.d[2].c != 3 || w2->shape.d[3].c != 3 ||
	    !ints_all(d, "strides", 2, s, 1) || !ints_all(d, "pads", 4, 1, 0) ||
	    !ints_all(d, "dilations", 2, 1, 1))
		return 0;

	ir_node *f = ir_node_new(g, "KilnConvPwDw", "kiln", d->name, 5, 1);
	ir_attr *st = f ? ir_node_add_attr(g, f, "strides", IR_ATTR_INTS) : NULL;
	int64_t *sv = st ? ir_alloc(g->arena, 2 * sizeof *sv) : NULL;
	if (!sv)
		return -1;
	sv[0] = sv[1] = s;
	st->ints = sv;
	st->n = 2;
	if (set_float(g, f, "kiln_pw_clip_min", ir_attr_float(p, "kiln_clip_min", -INFINITY)) ||
	    set_float(g, f, "kiln_pw_clip_max", ir_attr_float(p, "kiln_clip_max", INFINITY)) ||
	    set_float(g, f, "kiln_clip_min", ir_attr_float(d, "kiln_clip_min", -INFINITY)) ||
	    set_float(g, f, "kiln_clip_max", ir_attr_float(d, "kiln_clip_max", INFINITY)))
		return -1;
	f->op = IR_OP_KilnConvPwDw;
	f->opset = d->opset;
	f->in[0] = p->in[0];
	f->in[1] = p->in[1];
	f->in[2] = p->nin > 2 ? p->in[2] : NULL;
	f->in[3] = d->in[1];
	f->in[4] = d->nin > 2 ? d->in[2] : NULL;
	p->dead = 1;
	pass_take_output(d, f);
	return 1;
}

int pass_fuse_pwdw(ir_graph *g, const pass_options *o, ir_status *st)
{
	(void)o;
	return pass_rewrite_each(g, fuse_at, "fusing a pointwise and a depthwise Conv", st);
}
