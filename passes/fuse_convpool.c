/* fuse_convpool.c — a first layer (a Conv of few input channels) whose
 * output only a 3x3 stride-2 MaxPool reads (SqueezeNet's conv1 and pool1)
 * -> one KilnConvPool node, whose kernel (codegen/kernels/nn_conv.c,
 * kk_conv_maxpool_f32) pools the convolution's rows while a band of them is
 * in cache: the convolution's output is never written whole (SqueezeNet's
 * is 3.2 MB, written to memory and read back by the pooling). On f32, after
 * fuse-epilogue (the Conv's Relu or Clip fused as kiln_clip_min and
 * kiln_clip_max):
 *   C = Conv(X, W[, B]): 2-D, group 1, dilation 1, strides 1 or 2, explicit
 *       pads, constant weights and bias, no fused residual or scale, within
 *       the kernel's few-input-channel bounds (kk_conv_fewc_ok: at most 4
 *       input channels, taps at most 7x7, 4 to 256 outputs, rows of 24 or
 *       more), X and C's output of static size
 *   Y = MaxPool(C): kernel 3x3, strides 2, no pads, dilation 1, no Indices
 *       output, Y's rows (C's less 3, halved, plus 1: floor, whatever
 *       ceil_mode says) of 8 or more
 * C's output read by the MaxPool alone and not a graph output
 * -> KilnConvPool(X, W, B) with C's attributes -> Y. */
#include <string.h>

#include "internal.h"
#include "kk_pack.h"

static int static_4d(const ir_value *v)
{
	if (!v || v->shape.rank != 4 || v->dtype != IR_F32)
		return 0;
	for (int i = 1; i < 4; i++)
		if (!ir_dim_is_const(v->shape.d[i]))
			return 0;
	return 1;
}

/* c: the few-channel Conv, with the MaxPool after it. */
static int fuse_at(ir_graph *g, ir_node *c)
{
	if (!pass_plain_conv(c) || !static_4d(c->in[0]) || !static_4d(c->out[0]) ||
	    c->in[1]->shape.rank != 4 || ir_attr_int(c, "group", 1) != 1 ||
	    !pass_ints_all(c, "dilations", 2, 1, 1))
		return 0;
	const ir_value *w = c->in[1], *y = c->out[0];
	int64_t st[2] = {1, 1}, pads[4] = {0, 0, 0, 0};
	if ((ir_attr_find(c, "strides") && !ir_attr_ints_into(c, "strides", st, 2)) ||
	    (ir_attr_find(c, "pads") && !ir_attr_ints_into(c, "pads", pads, 4)) ||
	    !kk_conv_fewc_ok(w->shape.d[1].c, w->shape.d[0].c, w->shape.d[2].c, w->shape.d[3].c,
			     st[0], st[1], y->shape.d[3].c))
		return 0;
	ir_node *m = pass_sole_user(g, y);
	if (!m || m->op != IR_OP_MaxPool || m->in[0] != y || (m->nout > 1 && m->out[1]) ||
	    !static_4d(m->out[0]) || !pass_ints_all(m, "kernel_shape", 2, 3, 0) ||
	    !pass_ints_all(m, "strides", 2, 2, 1) || !pass_ints_all(m, "pads", 4, 0, 0) ||
	    !pass_ints_all(m, "dilations", 2, 1, 1) ||
	    strcmp(ir_attr_str(m, "auto_pad", "NOTSET"), "NOTSET") != 0)
		return 0;
	int64_t POH = (y->shape.d[2].c - 3) / 2 + 1, POW = (y->shape.d[3].c - 3) / 2 + 1;
	const ir_value *z = m->out[0];
	if (y->shape.d[2].c < 3 || POW < 8 || z->shape.d[2].c != POH || z->shape.d[3].c != POW)
		return 0;
	ir_node *f = ir_node_new(g, "KilnConvPool", "kiln", m->name, 3, 1);
	if (!f)
		return -1;
	f->op = IR_OP_KilnConvPool;
	f->opset = c->opset;
	f->attrs = c->attrs;
	f->nattrs = c->nattrs;
	f->in[0] = c->in[0];
	f->in[1] = c->in[1];
	f->in[2] = c->nin > 2 ? c->in[2] : NULL;
	c->dead = 1;
	pass_take_output(m, f);
	return 1;
}

int pass_fuse_convpool(ir_graph *g, const pass_options *o, ir_status *st)
{
	(void)o;
	return pass_rewrite_each(g, fuse_at, "fusing a Conv and a MaxPool", st);
}
