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
 * When D's output in turn feeds only a pointwise projection (MobileNetV2's
 * third layer of a block),
 *   Q = Conv(D, W3[, B3][, R]): 1x1, stride 1, no pads, group 1, constant
 *       weights and bias, a fused residual R and clamp allowed, no scale,
 *       C <= 4096 (the kernel's scratch holds KK_PWDW_PJ_TASKS groups of
 *       C x 16 floats), and an output image that fills the kernel's panels
 *       of 16 pixels about as well as 6-pixel slivers (pj_fills)
 * that joins too: KilnConvPwDw(X, W1, B1, W2, B2, W3, B3, R) -> Q's
 * output, with kiln_pj_clip_min and kiln_pj_clip_max (Q's clamp); the
 * kernel then never writes D as a tensor (codegen/kernels/nn_pwdw.c).
 * Then a depthwise D (as above) that no pointwise Conv joined: when its
 * input is the output of a stem read by D alone (MobileNetV2's first layer),
 *   P = Conv(X, W1[, B1]): 3x3, pads 1, dilation 1, group 1, the same
 *       stride s1 of 1 or 2 on both axes, X's channels at most
 *       KK_CONV_FEWC_MAXC, P's width 6 or more and rows of at most STEM_MAX_W
 *       (the kernel's buffered input rows)
 * it becomes KilnConvPwDw(X, W1, B1, W2, B2[, W3, B3, R]) with
 * kiln_pw_strides = [s1, s1] (the kernel writes the stem's output straight
 * into its intermediate); else when only a projection Q reads D's output
 * (MobileNetV2's first block without its stem), it becomes
 * KilnConvPwDw(X, _, _, W2, B2, W3, B3, R), X the intermediate itself.
 * Runs after fuse-epilogue, on the final graph. */
#include <math.h>
#include <string.h>

#include "internal.h"

#define PJ_MAX_C 4096
#define STEM_MAX_C 4       /* KK_CONV_FEWC_MAXC (codegen/kernels/kk_pack.h) */
#define STEM_MAX_W 512     /* 2 (W + 15) <= KK_CONV_FEWC_ROW */

/* Whether P output pixels fill panels of 16 (the fused kernel's, KK_NR in
 * codegen/kernels/kk_pack.h) within 15% as well as slivers of 6 (KK_MR):
 * the rule by which codegen runs a pointwise Conv on a smaller image as the
 * transposed product (conv_transposed in codegen/lower_nn.c). MobileNetV2's
 * 7x7 blocks fused (49 pixels: 64 computed, against 54) ran 7% slower, and
 * the nodes after them slower too; its 14x14 and 28x28 ones 8-10% faster. */
static int pj_fills(int64_t P)
{
	return 100 * ((P + 15) / 16 * 16) <= 115 * ((P + 5) / 6 * 6);
}

/* The projection that may join the pair whose depthwise output is v (C
 * channels, P pixels per image): v's sole user, a pointwise f32 Conv with
 * constant weights, or NULL. */
static ir_node *projection(const ir_graph *g, const ir_value *v, int64_t C, int64_t P)
{
	ir_node *q = pass_sole_user(g, v);
	if (!q || q->op != IR_OP_Conv || q->nout != 1 || !q->out[0] || q->out[0]->dtype != IR_F32 ||
	    q->nin < 2 || q->in[0] != v || !q->in[1]->data || q->in[1]->shape.rank != 4 ||
	    !ir_shape_is_static(&q->in[1]->shape) || ir_attr_find(q, "kiln_alpha") ||
	    strcmp(ir_attr_str(q, "auto_pad", "NOTSET"), "NOTSET") != 0)
		return NULL;
	const ir_value *w = q->in[1], *b = q->nin > 2 ? q->in[2] : NULL;
	if (w->shape.d[1].c != C || w->shape.d[2].c != 1 || w->shape.d[3].c != 1 ||
	    C > PJ_MAX_C || !pj_fills(P) || ir_attr_int(q, "group", 1) != 1 ||
	    !pass_ints_all(q, "strides", 2, 1, 1) || !pass_ints_all(q, "pads", 4, 0, 0) ||
	    !pass_ints_all(q, "dilations", 2, 1, 1) ||
	    (b && (!b->data || b->dtype != IR_F32)))
		return NULL;
	return q;
}

static int set_float(ir_graph *g, ir_node *n, const char *name, float v)
{
	ir_attr *a = ir_node_add_attr(g, n, name, IR_ATTR_FLOAT);
	if (!a)
		return -1;
	a->f = v;
	return 0;
}

/* Whether d is the pair's depthwise half: C channels (a multiple of 8),
 * 3x3, pads 1, dilation 1, the same stride 1 or 2 on both axes (*s). */
static int depthwise(const ir_node *d, int64_t C, int64_t *s)
{
	const ir_value *w2 = d->in[1];
	*s = pass_ints_all(d, "strides", 2, 2, 1) ? 2 : 1;
	return pass_plain_conv(d) && C % 8 == 0 && ir_attr_int(d, "group", 1) == C &&
	       w2->shape.d[0].c == C && w2->shape.d[1].c == 1 && w2->shape.d[2].c == 3 &&
	       w2->shape.d[3].c == 3 && pass_ints_all(d, "strides", 2, *s, 1) &&
	       pass_ints_all(d, "pads", 4, 1, 0) && pass_ints_all(d, "dilations", 2, 1, 1);
}

/* Whether x (a Conv's input) is 4-D with static H and W, H W >= 6. */
static int image_ok(const ir_value *x)
{
	return ir_dim_is_const(x->shape.d[2]) && ir_dim_is_const(x->shape.d[3]) &&
	       x->shape.d[2].c * x->shape.d[3].c >= 6;
}

static int set_pair(ir_graph *g, ir_node *n, const char *name, int64_t v)
{
	ir_attr *a = ir_node_add_attr(g, n, name, IR_ATTR_INTS);
	int64_t *iv = a ? ir_alloc(g->arena, 2 * sizeof *iv) : NULL;
	if (!iv)
		return -1;
	iv[0] = iv[1] = v;
	a->ints = iv;
	a->n = 2;
	return 0;
}

/* KilnConvPwDw from the pointwise or stem p (or NULL: X is the
 * intermediate; a stem at stride s1), the depthwise d at stride s and the
 * projection q (or NULL), in their place. */
static int build(ir_graph *g, ir_node *p, ir_node *d, ir_node *q, int64_t s, int64_t s1)
{
	ir_node *f = ir_node_new(g, "KilnConvPwDw", "kiln", q ? q->name : d->name, q ? 8 : 5, 1);
	if (!f || set_pair(g, f, "strides", s) ||
	    (p && p->in[1]->shape.d[2].c == 3 && set_pair(g, f, "kiln_pw_strides", s1)))
		return -1;
	if (set_float(g, f, "kiln_pw_clip_min",
		      p ? ir_attr_float(p, "kiln_clip_min", -INFINITY) : -INFINITY) ||
	    set_float(g, f, "kiln_pw_clip_max",
		      p ? ir_attr_float(p, "kiln_clip_max", INFINITY) : INFINITY) ||
	    set_float(g, f, "kiln_clip_min", ir_attr_float(d, "kiln_clip_min", -INFINITY)) ||
	    set_float(g, f, "kiln_clip_max", ir_attr_float(d, "kiln_clip_max", INFINITY)))
		return -1;
	f->op = IR_OP_KilnConvPwDw;
	f->opset = d->opset;
	f->in[0] = p ? p->in[0] : d->in[0];
	f->in[1] = p ? p->in[1] : NULL;
	f->in[2] = p && p->nin > 2 ? p->in[2] : NULL;
	f->in[3] = d->in[1];
	f->in[4] = d->nin > 2 ? d->in[2] : NULL;
	if (p)
		p->dead = 1;
	if (!q) {
		pass_take_output(d, f);
		return 1;
	}
	if (set_float(g, f, "kiln_pj_clip_min", ir_attr_float(q, "kiln_clip_min", -INFINITY)) ||
	    set_float(g, f, "kiln_pj_clip_max", ir_attr_float(q, "kiln_clip_max", INFINITY)))
		return -1;
	f->in[5] = q->in[1];
	f->in[6] = q->nin > 2 ? q->in[2] : NULL;
	f->in[7] = q->nin > 3 ? q->in[3] : NULL;
	d->dead = 1;
	pass_take_output(q, f);
	return 1;
}

/* The depthwise output's pixels per image (input x, stride s). */
static int64_t out_pixels(const ir_value *x, int64_t s)
{
	return ((x->shape.d[2].c - 1) / s + 1) * ((x->shape.d[3].c - 1) / s + 1);
}

/* p, a pointwise Conv, with the depthwise Conv after it (and a projection). */
static int fuse_at(ir_graph *g, ir_node *p)
{
	if (!pass_plain_conv(p))
		return 0;
	const ir_value *x = p->in[0], *w1 = p->in[1];
	if (w1->shape.d[2].c != 1 || w1->shape.d[3].c != 1 || ir_attr_int(p, "group", 1) != 1 ||
	    !pass_ints_all(p, "strides", 2, 1, 1) || !pass_ints_all(p, "pads", 4, 0, 0) ||
	    !pass_ints_all(p, "dilations", 2, 1, 1) || !image_ok(x))
		return 0;
	ir_node *d = pass_sole_user(g, p->out[0]);
	int64_t C = w1->shape.d[0].c, s;
	if (!d || d->in[0] != p->out[0] || !depthwise(d, C, &s))
		return 0;
	return build(g, p, d, projection(g, d->out[0], C, out_pixels(x, s)), s, 1);
}

/* The stem whose output (C channels) only d reads, at stride *s1, or NULL. */
static ir_node *stem(const ir_graph *g, const ir_node *d, int64_t C, int64_t *s1)
{
	ir_node *p = d->in[0]->producer;
	if (!p || !pass_plain_conv(p) || pass_sole_user(g, p->out[0]) != d)
		return NULL;
	const ir_value *x = p->in[0], *w = p->in[1];
	*s1 = pass_ints_all(p, "strides", 2, 2, 1) ? 2 : 1;
	if (w->shape.rank != 4 || w->shape.d[0].c != C || w->shape.d[1].c < 1 ||
	    w->shape.d[1].c > STEM_MAX_C || w->shape.d[2].c != 3 || w->shape.d[3].c != 3 ||
	    ir_attr_int(p, "group", 1) != 1 ||
	    !pass_ints_all(p, "strides", 2, *s1, 1) || !pass_ints_all(p, "pads", 4, 1, 0) ||
	    !pass_ints_all(p, "dilations", 2, 1, 1) || !image_ok(x) ||
	    !ir_dim_is_const(x->shape.d[1]) || x->shape.d[1].c != w->shape.d[1].c)
		return NULL;
	int64_t W = (x->shape.d[3].c - 1) / *s1 + 1;
	return W >= 6 && W <= STEM_MAX_W ? p : NULL;
}

/* d, a depthwise Conv no pointwise one joined: with the stem before it
 * (and a projection after it), or with a projection after it (the node
 * without its first half: MobileNetV2's first block). */
static int fuse_dw_at(ir_graph *g, ir_node *d)
{
	int64_t s, s1 = 1, C = d->nin > 1 && d->in[1] ? d->in[1]->shape.d[0].c : 0;
	if (d->op != IR_OP_Conv || !depthwise(d, C, &s) || !image_ok(d->in[0]) ||
	    !ir_dim_is_const(d->in[0]->shape.d[1]) || d->in[0]->shape.d[1].c != C)
		return 0;
	ir_node *p = stem(g, d, C, &s1);
	ir_node *q = projection(g, d->out[0], C, out_pixels(d->in[0], s));
	return p || q ? build(g, p, d, q, s, s1) : 0;
}

int pass_fuse_pwdw(ir_graph *g, const pass_options *o, ir_status *st)
{
	(void)o;
	int r = pass_rewrite_each(g, fuse_at, "fusing a pointwise and a depthwise Conv", st);
	return r < 0 ? r : pass_rewrite_each(g, fuse_dw_at, "fusing a depthwise and a pointwise Conv",
					     st);
}
