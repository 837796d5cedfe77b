/* lower_ext_d.c — lowerings of "ops wave D" to the kernels of
 * kernels/kk_ext_d.h: (de)quantisation, integer and quantised matmul / conv
 * (one kernel each, requantisation folded in), DFT, STFT, windows and
 * MelWeightMatrix. Sizes the IR knows are passed as constants. */
#include <string.h>

#include "lower.h"
#include "kk_ext_d.h"

static LLVMValueRef opt_ptr(cg_ctx *cg, const ir_node *n, int i)
{
	return i < n->nin && n->in[i] ? cg_ptr(cg, n->in[i]) : cg_null(cg);
}

static LLVMValueRef opt_numel(cg_ctx *cg, const ir_node *n, int i)
{
	return i >= 0 && i < n->nin && n->in[i] ? cg_numel(cg, &n->in[i]->shape) : cg_i64(cg, 1);
}

/* QuantizeLinear / DequantizeLinear: [outer, len, inner] around the axis
 * when the scale is 1-D with more than one element, else one flat run. */
int cg_lower_qdq(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *s = n->in[1], *y = n->out[0];
	const ir_value *z = n->nin > 2 ? n->in[2] : NULL;
	const ir_shape *xs = &x->shape;
	int per = s->shape.rank == 1 && !(ir_dim_is_const(s->shape.d[0]) && s->shape.d[0].c == 1);
	int ax = 0;
	if (per && cg_norm_axis(cg, ir_attr_int(n, "axis", 1), xs->rank, &ax))
		return -1;
	LLVMValueRef outer = per ? cg_span(cg, xs, 0, ax) : cg_i64(cg, 1);
	LLVMValueRef len = per ? cg_dim(cg, xs->d[ax]) : cg_i64(cg, 1);
	LLVMValueRef inner = per ? cg_span(cg, xs, ax + 1, xs->rank) : cg_numel(cg, xs);
	LLVMValueRef zp = z ? cg_ptr(cg, z) : cg_null(cg);
	if (n->op == IR_OP_QuantizeLinear) {
		LLVMValueRef a[10] = {cg->a_ctx, cg_ptr(cg, x), cg_ptr(cg, s), zp,
				      cg_i32(cg, y->dtype), cg_ptr(cg, y), outer, len, inner,
				      cg_i32(cg, per)};
		cg_call(cg, "kk_quantize", a, 10);
	} else {
		LLVMValueRef a[10] = {cg->a_ctx, cg_i32(cg, x->dtype), cg_ptr(cg, x),
				      cg_ptr(cg, s), zp, cg_ptr(cg, y), outer, len, inner,
				      cg_i32(cg, per)};
		cg_call(cg, "kk_dequantize", a, 10);
	}
	return 0;
}

int cg_lower_dynquant(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0];
	LLVMValueRef tmp[2];
	static const int64_t zero = 0;
	/* Unused outputs still need somewhere to go: an entry-block slot. */
	for (int i = 1; i < 3; i++)
		tmp[i - 1] = i < n->nout && n->out[i] ? cg_ptr(cg, n->out[i])
			: cg_i64_carray(cg, &zero, 1);
	LLVMValueRef a[6] = {cg->a_ctx, cg_ptr(cg, x), cg_ptr(cg, n->out[0]), tmp[0], tmp[1],
			     cg_numel(cg, &x->shape)};
	cg_call(cg, "kk_dynquant", a, 6);
	return 0;
}

/* Batch stride (elements) of a matmul operand of shape s against the output
 * batch dims of o: M*K when its batch dims are o's, 0 when all are 1. */
static int batch_stride(cg_ctx *cg, const ir_shape *s, const ir_shape *o, LLVMValueRef *out)
{
	int sb = s->rank - 2, ob = o->rank - 2, ones = 1, same = sb == ob;
	for (int i = 0; i < sb; i++) {
		ones &= ir_dim_is_const(s->d[i]) && s->d[i].c == 1;
		same &= ir_dim_eq(s->d[i], o->d[i]);
	}
	if (ones) {
		*out = cg_i64(cg, 0);
		return 0;
	}
	if (!same)
		return cg_fail(cg, "partially broadcast matmul batch dims are not supported");
	*out = cg_span(cg, s, sb, s->rank);
	return 0;
}

/* MatMulInteger (q = 0) and QLinearMatMul (q = 1). */
static int lower_qmm(cg_ctx *cg, const ir_node *n, int q)
{
	const ir_value *a = n->in[0], *b = n->in[q ? 3 : 1], *y = n->out[0];
	const ir_shape *os = &y->shape, *as = &a->shape;
	LLVMValueRef abs, bbs;
	if (batch_stride(cg, as, os, &abs) || batch_stride(cg, &b->shape, os, &bbs))
		return -1;
	int azi = 2, bzi = q ? 5 : 3;
	LLVMValueRef v[23] = {cg->a_ctx, cg_i32(cg, a->dtype), cg_ptr(cg, a), opt_ptr(cg, n, azi),
			      opt_numel(cg, n, azi), cg_i32(cg, b->dtype), cg_ptr(cg, b),
			      opt_ptr(cg, n, bzi), opt_numel(cg, n, bzi), cg_ptr(cg, y),
			      cg_span(cg, os, 0, os->rank - 2), cg_dim(cg, os->d[os->rank - 2]),
			      cg_dim(cg, as->d[as->rank - 1]), cg_dim(cg, os->d[os->rank - 1]),
			      abs, bbs,
			      q ? cg_ptr(cg, n->in[1]) : cg_null(cg), opt_numel(cg, n, q ? 1 : -1),
			      q ? cg_ptr(cg, n->in[4]) : cg_null(cg), opt_numel(cg, n, q ? 4 : -1),
			      q ? cg_ptr(cg, n->in[6]) : cg_null(cg),
			      q ? cg_ptr(cg, n->in[7]) : cg_null(cg), cg_i32(cg, y->dtype)};
	cg_call(cg, "kk_qmatmul", v, 23);
	return 0;
}

int cg_lower_matmul_integer(cg_ctx *cg, const ir_node *n)
{
	return lower_qmm(cg, n, 0);
}

int cg_lower_qlinear_matmul(cg_ctx *cg, const ir_node *n)
{
	return lower_qmm(cg, n, 1);
}

/* Fills the kk_qconv geometry (1-D conv as 2-D with H = 1). */
static void qconv_geom(cg_ctx *cg, const ir_node *n, const ir_value *x, const ir_value *w,
		       const ir_value *y, LLVMValueRef *g)
{
	int nsp = x->shape.rank - 2, o = 2 - nsp;
	int64_t v[KK_QC_COUNT] = {0, x->shape.d[1].c, 1, 1, w->shape.d[0].c, 1, 1, 1, 1,
				  1, 1, 0, 0, 1, 1, ir_attr_int(n, "group", 1)};
	const int64_t *pads = NULL, *str = NULL, *dil = NULL;
	int np = ir_attr_ints(n, "pads", &pads), ns = ir_attr_ints(n, "strides", &str);
	int nd = ir_attr_ints(n, "dilations", &dil);
	const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
	for (int i = 0; i < nsp; i++) {
		int64_t in = x->shape.d[2 + i].c, k = w->shape.d[2 + i].c, od = y->shape.d[2 + i].c;
		int64_t s = ns > 0 ? str[i] : 1, d = nd > 0 ? dil[i] : 1, p = 0;
		if (!strncmp(ap, "SAME", 4)) {
			int64_t tot = (od - 1) * s + (k - 1) * d + 1 - in;
			tot = tot < 0 ? 0 : tot;
			p = !strcmp(ap, "SAME_UPPER") ? tot / 2 : tot - tot / 2;
		} else if (strcmp(ap, "VALID") && np > 0) {
			p = pads[i];
		}
		v[KK_QC_H + o + i] = in;
		v[KK_QC_KH + o + i] = k;
		v[KK_QC_OH + o + i] = od;
		v[KK_QC_SH + o + i] = s;
		v[KK_QC_PH + o + i] = p;
		v[KK_QC_DH + o + i] = d;
	}
	for (int i = 0; i < KK_QC_COUNT; i++)
		g[i] = i == KK_QC_N ? cg_dim(cg, x->shape.d[0]) : cg_i64(cg, v[i]);
}

/* ConvInteger (q = 0) and QLinearConv (q = 1). */
static int lower_qconv(cg_ctx *cg, const ir_node *n, int q)
{
	const ir_value *x = n->in[0], *w = n->in[q ? 3 : 1], *y = n->out[0];
	LLVMValueRef g[KK_QC_COUNT];
	qconv_geom(cg, n, x, w, y, g);
	int xzi = 2, wzi = q ? 5 : 3;
	LLVMValueRef v[18] = {cg->a_ctx, cg_i32(cg, x->dtype), cg_ptr(cg, x), opt_ptr(cg, n, xzi),
			      cg_i32(cg, w->dtype), cg_ptr(cg, w), opt_ptr(cg, n, wzi),
			      opt_numel(cg, n, wzi), q ? opt_ptr(cg, n, 8) : cg_null(cg),
			      cg_ptr(cg, y), cg_i64_array(cg, g, KK_QC_COUNT),
			      q ? cg_ptr(cg, n->in[1]) : cg_null(cg), opt_numel(cg, n, q ? 1 : -1),
			      q ? cg_ptr(cg, n->in[4]) : cg_null(cg), opt_numel(cg, n, q ? 4 : -1),
			      q ? cg_ptr(cg, n->in[6]) : cg_null(cg),
			      q ? cg_ptr(cg, n->in[7]) : cg_null(cg), cg_i32(cg, y->dtype)};
	cg_call(cg, "kk_qconv", v, 18);
	return 0;
}

int cg_lower_conv_integer(cg_ctx *cg, const ir_node *n)
{
	return lower_qconv(cg, n, 0);
}

int cg_lower_qlinear_conv(cg_ctx *cg, const ir_node *n)
{
	return lower_qconv(cg, n, 1);
}

int cg_lower_dft(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	const ir_shape *s = &x->shape;
	int r = s->rank, ax;
	if (cg_norm_axis(cg, ir_attr_int(n, "axis", 1), r - 1, &ax))
		return -1;
	int64_t L = s->d[ax].c;
	if (n->nin > 1 && n->in[1] && cg_const_ints(n->in[1], &L, 1) < 0)
		return cg_fail(cg, "dft_length is not constant");
	LLVMValueRef a[11] = {cg->a_ctx, cg_i32(cg, x->dtype), cg_ptr(cg, x), cg_ptr(cg, y),
			      cg_span(cg, s, 0, ax), cg_dim(cg, s->d[ax]),
			      cg_span(cg, s, ax + 1, r - 1), cg_i32(cg, s->d[r - 1].c),
			      cg_i64(cg, L), cg_dim(cg, y->shape.d[ax]),
			      cg_i32(cg, ir_attr_int(n, "inverse", 0) != 0)};
	cg_call(cg, "kk_dft", a, 11);
	return 0;
}

int cg_lower_stft(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	const ir_value *w = n->nin > 2 ? n->in[2] : NULL;
	int64_t step, flen = w ? w->shape.d[0].c : 0;
	if (cg_const_ints(n->in[1], &step, 1) < 0 ||
	    (!w && cg_const_ints(n->in[3], &flen, 1) < 0))
		return cg_fail(cg, "frame_step / frame_length are not constant");
	const ir_shape *s = &x->shape;
	LLVMValueRef a[12] = {cg->a_ctx, cg_i32(cg, x->dtype), cg_ptr(cg, x),
			      w ? cg_ptr(cg, w) : cg_null(cg), cg_ptr(cg, y),
			      cg_dim(cg, s->d[0]), cg_dim(cg, s->d[1]), cg_i32(cg, s->d[2].c),
			      cg_i64(cg, step), cg_i64(cg, flen), cg_dim(cg, y->shape.d[1]),
			      cg_dim(cg, y->shape.d[2])};
	cg_call(cg, "kk_stft", a, 12);
	return 0;
}

int cg_lower_window(cg_ctx *cg, const ir_node *n)
{
	const ir_value *y = n->out[0];
	int kind = n->op == IR_OP_HannWindow ? KK_WIN_HANN
		 : n->op == IR_OP_HammingWindow ? KK_WIN_HAMMING : KK_WIN_BLACKMAN;
	LLVMValueRef a[6] = {cg->a_ctx, cg_i32(cg, kind), cg_i32(cg, y->dtype), cg_ptr(cg, y),
			     cg_dim(cg, y->shape.d[0]),
			     cg_i32(cg, ir_attr_int(n, "periodic", 1) != 0)};
	cg_call(cg, "kk_window", a, 6);
	return 0;
}

int cg_lower_mel_weight_matrix(cg_ctx *cg, const ir_node *n)
{
	const ir_value *y = n->out[0];
	LLVMValueRef a[12] = {cg->a_ctx, cg_i32(cg, y->dtype), cg_ptr(cg, y),
			      cg_dim(cg, y->shape.d[0]), cg_dim(cg, y->shape.d[1]),
			      cg_i32(cg, n->in[1]->dtype), cg_ptr(cg, n->in[1]),
			      cg_i32(cg, n->in[2]->dtype), cg_ptr(cg, n->in[2]),
			      cg_i32(cg, n->in[3]->dtype), cg_ptr(cg, n->in[3]),
			      cg_ptr(cg, n->in[4])};
	cg_call_checked(cg, "kk_mel", a, 12);
	return 0;
}
