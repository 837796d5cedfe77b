/* infer_ext_d.c — shape/dtype inference for "ops wave D": QuantizeLinear,
 * DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, QLinearMatMul,
 * ConvInteger, QLinearConv, DFT, STFT, the three windows and MelWeightMatrix
 * (ONNX opsets <= 17). Sizes that decide an output shape (window size, DFT /
 * STFT lengths and step, mel bins) must be constant at compile time. */
#include <string.h>

#include "infer.h"

static int is_q8(ir_dtype t) { return t == IR_U8 || t == IR_I8; }
static int is_fl(ir_dtype t) { return t == IR_F32 || t == IR_F64; }

/* Scale / zero point i of a (de)quantiser: scalar, or 1-D [len of axis]. */
static int q_param(ir_node *n, ir_value *x, ir_value *p, const char *what, ir_status *st)
{
	if (p->shape.rank == 0 || (p->shape.rank == 1 && p->shape.d[0].c == 1 &&
				   ir_dim_is_const(p->shape.d[0]) && x->shape.rank == 0))
		return 0;
	if (p->shape.rank != 1)
		return ir_fail(st, "%s: %s must be a scalar or 1-D", ir_node_label(n), what);
	int ax;
	if (infer_axis(n, ir_attr_int(n, "axis", 1), x->shape.rank, 0, &ax, st))
		return -1;
	if (p->shape.d[0].c == 1 && ir_dim_is_const(p->shape.d[0]))
		return 0;
	return infer_dim_match(n, p->shape.d[0], x->shape.d[ax], what, st);
}

/* Shared by QuantizeLinear (quant) and DequantizeLinear. */
static int infer_qdq(ir_node *n, int quant, ir_status *st)
{
	int err;
	if (infer_arity(n, 2, 3, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *s = x ? infer_in(n, 1, st) : NULL;
	ir_value *z = s ? infer_opt_in(n, 2, st, &err) : NULL;
	if (!x || !s || (!z && err))
		return -1;
	if (s->dtype != IR_F32)
		return ir_fail(st, "%s: scale must be float", ir_node_label(n));
	if (quant && x->dtype != IR_F32)
		return ir_fail(st, "%s: kiln quantizes float inputs only", ir_node_label(n));
	if (!quant && !is_q8(x->dtype) && x->dtype != IR_I32)
		return ir_fail(st, "%s: input must be uint8, int8 or int32", ir_node_label(n));
	if (z && (!is_q8(z->dtype) || (!quant && z->dtype != x->dtype)))
		return ir_fail(st, "%s: zero point must be uint8/int8 (the input's type)",
			       ir_node_label(n));
	if (q_param(n, x, s, "scale", st) || (z && q_param(n, x, z, "zero point", st)))
		return -1;
	if (z && !ir_dim_eq(z->shape.rank ? z->shape.d[0] : ir_dim_const(1),
			    s->shape.rank ? s->shape.d[0] : ir_dim_const(1)))
		return ir_fail(st, "%s: scale and zero point lengths differ", ir_node_label(n));
	infer_set(n, 0, quant ? (z ? z->dtype : IR_U8) : IR_F32, &x->shape);
	return 0;
}

int infer_quantize_linear(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	return infer_qdq(n, 1, st);
}

int infer_dequantize_linear(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	return infer_qdq(n, 0, st);
}

int infer_dynquant(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	if (infer_arity(n, 1, 1, 1, 3, st))
		return -1;
	ir_value *x = infer_in(n, 0, st);
	if (!x)
		return -1;
	if (x->dtype != IR_F32)
		return ir_fail(st, "%s: input must be float", ir_node_label(n));
	ir_shape scalar = {0};
	infer_set(n, 0, IR_U8, &x->shape);
	infer_set(n, 1, IR_F32, &scalar);
	infer_set(n, 2, IR_U8, &scalar);
	return 0;
}

/* Matmul shape of a [.., M, K] and b [.., K, N] (both rank >= 2). */
static int qmm_shape(ir_node *n, ir_value *a, ir_value *b, ir_shape *o, ir_status *st)
{
	const ir_shape *as = &a->shape, *bs = &b->shape;
	if (as->rank < 2 || bs->rank < 2)
		return ir_fail(st, "%s: kiln needs both matmul inputs of rank >= 2",
			       ir_node_label(n));
	if (!is_q8(a->dtype) || !is_q8(b->dtype))
		return ir_fail(st, "%s: matmul inputs must be uint8 or int8", ir_node_label(n));
	if (infer_dim_match(n, as->d[as->rank - 1], bs->d[bs->rank - 2], "inner dim", st))
		return -1;
	ir_shape ab = {0}, bb = {0};
	ab.rank = as->rank - 2;
	bb.rank = bs->rank - 2;
	memcpy(ab.d, as->d, sizeof(ir_dim) * (size_t)ab.rank);
	memcpy(bb.d, bs->d, sizeof(ir_dim) * (size_t)bb.rank);
	if (infer_broadcast(n, &ab, &bb, o, st))
		return -1;
	o->d[o->rank++] = as->d[as->rank - 2];
	o->d[o->rank++] = bs->d[bs->rank - 1];
	return infer_check_shape(n, o, st);
}

int infer_matmul_integer(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_shape o;
	if (infer_arity(n, 2, 4, 1, 1, st))
		return -1;
	ir_value *a = infer_in(n, 0, st), *b = a ? infer_in(n, 1, st) : NULL;
	if (!a || !b || qmm_shape(n, a, b, &o, st))
		return -1;
	infer_set(n, 0, IR_I32, &o);
	return 0;
}

int infer_qlinear_matmul(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_shape o;
	if (infer_arity(n, 8, 8, 1, 1, st))
		return -1;
	ir_value *a = infer_in(n, 0, st), *b = a ? infer_in(n, 3, st) : NULL;
	ir_value *yz = b ? infer_in(n, 7, st) : NULL;
	if (!yz || qmm_shape(n, a, b, &o, st))
		return -1;
	if (!is_q8(yz->dtype))
		return ir_fail(st, "%s: y_zero_point must be uint8 or int8", ir_node_label(n));
	infer_set(n, 0, yz->dtype, &o);
	return 0;
}

/* Output spatial size of one conv axis: in, kernel k, stride s, dilation d,
 * pads p0 + p1 (auto_pad SAME keeps ceil(in / s), VALID drops pads). */
static int64_t conv_out(const char *ap, int64_t in, int64_t k, int64_t s, int64_t d,
			int64_t p0, int64_t p1)
{
	if (!strncmp(ap, "SAME", 4))
		return (in + s - 1) / s;
	if (!strcmp(ap, "VALID"))
		p0 = p1 = 0;
	return (in + p0 + p1 - ((k - 1) * d + 1)) / s + 1;
}

/* ConvInteger (xi = 0, wi = 1) and QLinearConv (xi = 0, wi = 3); 1-D / 2-D. */
static int qconv_shape(ir_node *n, int wi, ir_value **xo, ir_shape *o, ir_status *st)
{
	ir_value *x = infer_in(n, 0, st), *w = x ? infer_in(n, wi, st) : NULL;
	if (!w)
		return -1;
	int r = x->shape.rank, nsp = r - 2;
	int64_t group = ir_attr_int(n, "group", 1);
	if ((r != 3 && r != 4) || w->shape.rank != r)
		return ir_fail(st, "%s: kiln supports 1-D and 2-D integer conv", ir_node_label(n));
	if (!is_q8(x->dtype) || !is_q8(w->dtype))
		return ir_fail(st, "%s: X and W must be uint8 or int8", ir_node_label(n));
	for (int i = 1; i < r; i++)
		if (!ir_dim_is_const(x->shape.d[i]) || !ir_dim_is_const(w->shape.d[i - 1]))
			return ir_fail(st, "%s: symbolic conv dims", ir_node_label(n));
	if (group < 1 || w->shape.d[0].c % group || w->shape.d[1].c * group != x->shape.d[1].c)
		return ir_fail(st, "%s: channels do not match W and group", ir_node_label(n));
	const int64_t *pads = NULL, *str = NULL, *dil = NULL;
	int np = ir_attr_ints(n, "pads", &pads), ns = ir_attr_ints(n, "strides", &str);
	int nd = ir_attr_ints(n, "dilations", &dil);
	if ((np >= 0 && np != 2 * nsp) || (ns >= 0 && ns != nsp) || (nd >= 0 && nd != nsp))
		return ir_fail(st, "%s: pads/strides/dilations of the wrong length",
			       ir_node_label(n));
	const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
	*o = (ir_shape){r, {x->shape.d[0], w->shape.d[0]}};
	for (int i = 0; i < nsp; i++) {
		int64_t s = ns > 0 ? str[i] : 1, d = nd > 0 ? dil[i] : 1;
		int64_t p0 = np > 0 ? pads[i] : 0, p1 = np > 0 ? pads[i + nsp] : 0;
		if (s < 1 || d < 1 || p0 < 0 || p1 < 0)
			return ir_fail(st, "%s: bad strides/dilations/pads", ir_node_label(n));
		int64_t od = conv_out(ap, x->shape.d[2 + i].c, w->shape.d[2 + i].c, s, d, p0, p1);
		if (od < 1)
			return ir_fail(st, "%s: empty conv output", ir_node_label(n));
		o->d[2 + i] = ir_dim_const(od);
	}
	*xo = x;
	return 0;
}

int infer_conv_integer(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_value *x;
	ir_shape o;
	if (infer_arity(n, 2, 4, 1, 1, st) || qconv_shape(n, 1, &x, &o, st))
		return -1;
	infer_set(n, 0, IR_I32, &o);
	return 0;
}

int infer_qlinear_conv(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	ir_value *x;
	ir_shape o;
	if (infer_arity(n, 8, 9, 1, 1, st) || qconv_shape(n, 3, &x, &o, st))
		return -1;
	ir_value *yz = infer_in(n, 7, st);
	if (!yz)
		return -1;
	if (!is_q8(yz->dtype))
		return ir_fail(st, "%s: y_zero_point must be uint8 or int8", ir_node_label(n));
	if (n->nin > 8 && n->in[8] && n->in[8]->dtype != IR_I32)
		return ir_fail(st, "%s: bias must be int32", ir_node_label(n));
	infer_set(n, 0, yz->dtype, &o);
	return 0;
}

/* A constant positive size from input i (scalar or 1-element int). */
static int const_size(ir_node *n, int i, const char *what, int64_t *out, ir_status *st)
{
	int cnt;
	if (infer_const_ints(n, i, what, out, 1, &cnt, st))
		return -1;
	if (cnt != 1 || *out < 1)
		return ir_fail(st, "%s: %s must be one positive integer", ir_node_label(n), what);
	return 0;
}

int infer_dft(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	if (infer_arity(n, 1, 2, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st);
	if (!x)
		return -1;
	int r = x->shape.rank, ax;
	ir_dim last = r ? x->shape.d[r - 1] : ir_dim_const(0);
	if (!is_fl(x->dtype) || r < 2 || !ir_dim_is_const(last) || last.c < 1 || last.c > 2)
		return ir_fail(st, "%s: input must be float [..., 1 or 2]", ir_node_label(n));
	if (infer_axis(n, ir_attr_int(n, "axis", 1), r - 1, 0, &ax, st))
		return -1;
	int64_t L;
	if (n->nin > 1 && n->in[1]) {
		if (const_size(n, 1, "dft_length", &L, st))
			return -1;
	} else if (!ir_dim_is_const(x->shape.d[ax])) {
		return ir_fail(st, "%s: the DFT axis must have a constant size", ir_node_label(n));
	} else {
		L = x->shape.d[ax].c;
	}
	int onesided = ir_attr_int(n, "onesided", 0) != 0;
	if (onesided && ir_attr_int(n, "inverse", 0))
		return ir_fail(st, "%s: onesided inverse DFT is not supported", ir_node_label(n));
	ir_shape o = x->shape;
	o.d[ax] = ir_dim_const(onesided ? L / 2 + 1 : L);
	o.d[r - 1] = ir_dim_const(2);
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

int infer_stft(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	int err;
	if (infer_arity(n, 2, 4, 1, 1, st))
		return -1;
	ir_value *x = infer_in(n, 0, st), *w = x ? infer_opt_in(n, 2, st, &err) : NULL;
	if (!x || (!w && err))
		return -1;
	const ir_shape *s = &x->shape;
	if (!is_fl(x->dtype) || s->rank != 3 || !ir_dim_is_const(s->d[1]) ||
	    !ir_dim_is_const(s->d[2]) || s->d[2].c < 1 || s->d[2].c > 2)
		return ir_fail(st, "%s: signal must be float [batch, length, 1 or 2]",
			       ir_node_label(n));
	int64_t step, flen = -1;
	if (const_size(n, 1, "frame_step", &step, st))
		return -1;
	if (n->nin > 3 && n->in[3] && const_size(n, 3, "frame_length", &flen, st))
		return -1;
	if (w && (w->dtype != x->dtype || w->shape.rank != 1 || !ir_dim_is_const(w->shape.d[0])
		  || (flen >= 0 && w->shape.d[0].c != flen)))
		return ir_fail(st, "%s: window must be 1-D [frame_length] of the signal's type",
			       ir_node_label(n));
	if (flen < 0 && !w)
		return ir_fail(st, "%s: needs a window or a frame_length", ir_node_label(n));
	flen = flen >= 0 ? flen : w->shape.d[0].c;
	if (flen > s->d[1].c)
		return ir_fail(st, "%s: frame longer than the signal", ir_node_label(n));
	int onesided = ir_attr_int(n, "onesided", 1) != 0;
	if (onesided && s->d[2].c == 2)
		return ir_fail(st, "%s: onesided needs a real signal", ir_node_label(n));
	ir_shape o = {4, {s->d[0], ir_dim_const((s->d[1].c - flen) / step + 1),
			  ir_dim_const(onesided ? flen / 2 + 1 : flen), ir_dim_const(2)}};
	infer_set(n, 0, x->dtype, &o);
	return 0;
}

static int out_datatype(ir_node *n, ir_dtype *t, ir_status *st)
{
	int64_t dt = ir_attr_int(n, "output_datatype", IR_F32);
	if (dt < 1 || dt >= IR_NDTYPES || dt == IR_STRING || dt == IR_BOOL || dt == IR_F16 ||
	    dt == IR_BF16 || dt == IR_C64 || dt == IR_C128)
		return ir_fail(st, "%s: unsupported output_datatype %lld", ir_node_label(n),
			       (long long)dt);
	*t = (ir_dtype)dt;
	return 0;
}

int infer_window(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	int64_t size;
	ir_dtype t = IR_UNDEF;   /* set by out_datatype on success */
	if (infer_arity(n, 1, 1, 1, 1, st) || out_datatype(n, &t, st) ||
	    const_size(n, 0, "size", &size, st))
		return -1;
	ir_shape o = {1, {ir_dim_const(size)}};
	infer_set(n, 0, t, &o);
	return 0;
}

int infer_mel_weight_matrix(ir_graph *g, ir_node *n, ir_status *st)
{
	(void)g;
	int64_t nmel, L;
	ir_dtype t = IR_UNDEF;
	if (infer_arity(n, 5, 5, 1, 1, st) || out_datatype(n, &t, st) ||
	    const_size(n, 0, "num_mel_bins", &nmel, st) ||
	    const_size(n, 1, "dft_length", &L, st))
		return -1;
	for (int i = 2; i < 5; i++) {
		ir_value *v = infer_in(n, i, st);
		if (!v)
			return -1;
		if (v->shape.rank > 1 || (i == 2 ? (v->dtype != IR_I32 && v->dtype != IR_I64)
					  : !is_fl(v->dtype)))
			return ir_fail(st, "%s: sample_rate must be an int scalar and the edges "
				       "float scalars", ir_node_label(n));
	}
	if (n->in[3]->dtype != n->in[4]->dtype)
		return ir_fail(st, "%s: edge frequencies of different types", ir_node_label(n));
	ir_shape o = {2, {ir_dim_const(L / 2 + 1), ir_dim_const(nmel)}};
	infer_set(n, 0, t, &o);
	return 0;
}
