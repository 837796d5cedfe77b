/* lower_nn.c — Gemm, MatMul (numpy-batched), Conv and the pools lowered to
 * the nn kernels. 1-D and 2-D convolutions and pools are passed to the 3-D
 * kernels with the missing leading spatial dims set to 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lower.h"
#include "kk_nn.h"
#include "kk_pack.h"

static int float_kernel(cg_ctx *cg, const ir_value *v, const char *base, char *name, size_t len)
{
	if (v->dtype == IR_F32)
		snprintf(name, len, "%s_f32", base);
	else if (v->dtype == IR_F64)
		snprintf(name, len, "%s_f64", base);
	else
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(v->dtype));
	return 0;
}

static LLVMValueRef fconst(cg_ctx *cg, const ir_value *v, double x)
{
	return v->dtype == IR_F64 ? LLVMConstReal(cg->t_f64, x) : cg_f32(cg, x);
}

/* A constant f32 matrix operand of static shape packed at compile time into
 * the micro-kernel's panel layout (kk_pack.h); NULL when w is not one.
 * B is K x N (N x K when trans). */
static LLVMValueRef packed_b(cg_ctx *cg, const ir_value *w, int trans)
{
	if (w->dtype != IR_F32 || !w->data || w->shape.rank != 2 || !ir_shape_is_static(&w->shape))
		return NULL;
	int64_t K = w->shape.d[trans ? 1 : 0].c, N = w->shape.d[trans ? 0 : 1].c;
	if ((size_t)(K * N) * sizeof(float) > w->nbytes || K < 1 || N < 1)
		return NULL;
	size_t nb = (size_t)kk_packed_b_floats(K, N) * sizeof(float);
	float *p = malloc(nb);
	if (!p)
		return NULL;
	kk_pack_b_layout(p, w->data, K, N, trans);
	LLVMValueRef g = cg_const_blob(cg, p, nb);
	free(p);
	return g;
}

int cg_lower_gemm(cg_ctx *cg, const ir_node *n)
{
	const ir_value *A = n->in[0], *Bm = n->in[1], *C = n->nin > 2 ? n->in[2] : NULL;
	const ir_value *Y = n->out[0];
	char k[32];
	if (float_kernel(cg, A, "kk_gemm", k, sizeof k))
		return -1;
	int ta = (int)ir_attr_int(n, "transA", 0), tb = (int)ir_attr_int(n, "transB", 0);
	ir_dim K = A->shape.d[ta ? 0 : 1];
	LLVMValueRef crs = cg_i64(cg, 0), ccs = cg_i64(cg, 0);
	if (C) {
		const ir_shape *cs = &C->shape;
		ir_dim last = cs->rank ? cs->d[cs->rank - 1] : ir_dim_const(1);
		int col_b = ir_dim_is_const(last) && last.c == 1;
		ccs = cg_i64(cg, cs->rank >= 1 && !col_b ? 1 : 0);
		if (cs->rank == 2 && !(ir_dim_is_const(cs->d[0]) && cs->d[0].c == 1))
			crs = cg_dim(cg, last);
	}
	LLVMValueRef bp = packed_b(cg, Bm, tb);
	if (bp) {
		/* input 3 and the clamp: an epilogue fused by passes/fuse_epilogue.c */
		LLVMValueRef a[16] = {cg->a_ctx, cg_ptr(cg, A), bp, cg_ptr(cg, C), cg_ptr(cg, Y),
				      cg_dim(cg, Y->shape.d[0]), cg_dim(cg, Y->shape.d[1]), cg_dim(cg, K),
				      cg_i32(cg, ta), cg_f32(cg, ir_attr_float(n, "alpha", 1.0f)),
				      cg_f32(cg, ir_attr_float(n, "beta", 1.0f)), crs, ccs,
				      cg_ptr(cg, n->nin > 3 ? n->in[3] : NULL),
				      cg_f32(cg, ir_attr_float(n, "kiln_clip_min", -INFINITY)),
				      cg_f32(cg, ir_attr_float(n, "kiln_clip_max", INFINITY))};
		cg_call(cg, "kk_gemm_pb_f32", a, 16);
		return 0;
	}
	if (n->nin > 3 || ir_attr_find(n, "kiln_clip_min"))
		return cg_fail(cg, "internal: a fused Gemm epilogue needs a constant B");
	LLVMValueRef a[14] = {cg->a_ctx, cg_ptr(cg, A), cg_ptr(cg, Bm), cg_ptr(cg, C), cg_ptr(cg, Y),
			      cg_dim(cg, Y->shape.d[0]), cg_dim(cg, Y->shape.d[1]), cg_dim(cg, K),
			      cg_i32(cg, ta), cg_i32(cg, tb),
			      fconst(cg, A, ir_attr_float(n, "alpha", 1.0f)),
			      fconst(cg, A, ir_attr_float(n, "beta", 1.0f)), crs, ccs};
	cg_call(cg, k, a, 14);
	return 0;
}

static const char *matmul_kernel(ir_dtype t)
{
	switch (t) {
	case IR_F32: return "kk_matmul_f32";
	case IR_F64: return "kk_matmul_f64";
	case IR_I32: return "kk_matmul_i32";
	case IR_I64: return "kk_matmul_i64";
	default: return NULL;
	}
}

/* Batch dims of a matmul operand (all but its last two; none for 1-D). */
static ir_shape batch_of(const ir_shape *s)
{
	ir_shape b = {0};
	for (int i = 0; i + 2 < s->rank; i++)
		b.d[b.rank++] = s->d[i];
	return b;
}

/* A MatMul reading or writing permuted views in place (kiln_perm_*,
 * passes/matmul_layout.c): one strided batched product. */
static int lower_matmul_view(cg_ctx *cg, const ir_node *n)
{
	ir_matmul_view v;
	if (n->in[0]->dtype != IR_F32 || !ir_matmul_view_of(n, &v))
		return cg_fail(cg, "internal: a MatMul on permuted views is not one strided product");
	int64_t g[16] = {v.nb[0], v.nb[1], v.M, v.N, v.K, v.sa[0], v.sa[1], v.a_rs, v.a_ks,
			 v.sb[0], v.sb[1], v.b_ks, v.b_ns, v.sy[0], v.sy[1], v.y_rs};
	LLVMValueRef a[20] = {cg->a_ctx, cg_ptr(cg, n->in[0]), cg_ptr(cg, n->in[1]),
			      cg_ptr(cg, n->out[0])};
	for (int i = 0; i < 16; i++)
		a[4 + i] = cg_i64(cg, g[i]);
	cg_call(cg, "kk_matmul_strided_f32", a, 20);
	return 0;
}

int cg_lower_matmul(cg_ctx *cg, const ir_node *n)
{
	const ir_value *A = n->in[0], *B = n->in[1], *Y = n->out[0];
	if (ir_matmul_has_perm(n))
		return lower_matmul_view(cg, n);
	const char *k = matmul_kernel(A->dtype);
	if (!k || B->dtype != A->dtype)
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(A->dtype));
	const ir_shape *sa = &A->shape, *sb = &B->shape;
	if (sa->rank < 1 || sb->rank < 1)
		return cg_fail(cg, "operands must have rank >= 1");
	ir_dim M = sa->rank >= 2 ? sa->d[sa->rank - 2] : ir_dim_const(1);
	ir_dim K = sa->d[sa->rank - 1];
	ir_dim N = sb->rank >= 2 ? sb->d[sb->rank - 1] : ir_dim_const(1);
	ir_shape ba = batch_of(sa), bb = batch_of(sb), by = {0};
	for (int i = 0; i + (sa->rank >= 2) + (sb->rank >= 2) < Y->shape.rank; i++)
		by.d[by.rank++] = Y->shape.d[i];
	ir_dim one = ir_dim_const(1);
	ir_dim d;
	int a_full = ir_shape_eq(&ba, &by) || (ir_shape_numel(&ba, &d) && ir_dim_eq(d, one));
	int b_full = ir_shape_eq(&bb, &by) || (ir_shape_numel(&bb, &d) && ir_dim_eq(d, one));
	LLVMValueRef mk = LLVMBuildMul(cg->B, cg_dim(cg, M), cg_dim(cg, K), "");
	LLVMValueRef kn = LLVMBuildMul(cg->B, cg_dim(cg, K), cg_dim(cg, N), "");
	LLVMValueRef bp = a_full && sb->rank == 2 && (ir_shape_eq(&ba, &by) || !by.rank)
		? packed_b(cg, B, 0) : NULL;
	if (bp) {
		/* constant 2-D B under a dense batch of A: one [batch*M, K] product */
		LLVMValueRef a[12] = {cg->a_ctx, cg_ptr(cg, A), bp, cg_ptr(cg, Y),
				      LLVMBuildMul(cg->B, cg_numel(cg, &by), cg_dim(cg, M), ""),
				      cg_dim(cg, N), cg_dim(cg, K),
				      cg_f32(cg, ir_attr_float(n, "kiln_alpha", 1.0f)),
				      cg_ptr(cg, n->nin > 2 ? n->in[2] : NULL),
				      cg_ptr(cg, n->nin > 3 ? n->in[3] : NULL),
				      cg_f32(cg, ir_attr_float(n, "kiln_clip_min", -INFINITY)),
				      cg_f32(cg, ir_attr_float(n, "kiln_clip_max", INFINITY))};
		cg_call(cg, "kk_matmul_pb_f32", a, 12);
		return 0;
	}
	if (n->nin > 2 || ir_attr_find(n, "kiln_clip_min") || ir_attr_find(n, "kiln_alpha"))
		return cg_fail(cg, "internal: a fused MatMul epilogue needs a constant 2-D B");
	if (a_full && b_full) {
		LLVMValueRef as = ir_shape_eq(&ba, &by) && by.rank ? mk : cg_i64(cg, 0);
		LLVMValueRef bs = ir_shape_eq(&bb, &by) && by.rank ? kn : cg_i64(cg, 0);
		LLVMValueRef a[11] = {cg->a_ctx, cg_ptr(cg, A), cg_ptr(cg, B), cg_ptr(cg, Y),
				      cg_numel(cg, &by), cg_dim(cg, M), cg_dim(cg, N), cg_dim(cg, K),
				      as, bs};
		cg_call(cg, k, a, 10);
		return 0;
	}
	/* General broadcasting: one call per output batch element. */
	if (!ir_shape_is_static(&by) || ir_shape_static_numel(&by) > 4096 ||
	    !ir_shape_is_static(&ba) || !ir_shape_is_static(&bb))
		return cg_fail(cg, "this batch broadcasting pattern is not supported");
	int64_t total = ir_shape_static_numel(&by);
	LLVMValueRef mn = LLVMBuildMul(cg->B, cg_dim(cg, M), cg_dim(cg, N), "");
	size_t es = ir_dtype_size(A->dtype);
	for (int64_t b = 0; b < total; b++) {
		int64_t rem = b, ia = 0, ib = 0, sa_ = 1, sb_ = 1;
		for (int i = by.rank - 1; i >= 0; i--) {
			int64_t idx = rem % by.d[i].c;
			rem /= by.d[i].c;
			int ja = i - (by.rank - ba.rank), jb = i - (by.rank - bb.rank);
			if (ja >= 0) {
				ia += (ba.d[ja].c == 1 ? 0 : idx) * sa_;
				sa_ *= ba.d[ja].c;
			}
			if (jb >= 0) {
				ib += (bb.d[jb].c == 1 ? 0 : idx) * sb_;
				sb_ *= bb.d[jb].c;
			}
		}
		LLVMValueRef a[10] = {
			cg->a_ctx,
			cg_offset(cg, cg_ptr(cg, A), LLVMBuildMul(cg->B, cg_i64(cg, ia), mk, ""), es),
			cg_offset(cg, cg_ptr(cg, B), LLVMBuildMul(cg->B, cg_i64(cg, ib), kn, ""), es),
			cg_offset(cg, cg_ptr(cg, Y), LLVMBuildMul(cg->B, cg_i64(cg, b), mn, ""), es),
			cg_i64(cg, 1), cg_dim(cg, M), cg_dim(cg, N), cg_dim(cg, K), cg_i64(cg, 0),
			cg_i64(cg, 0)};
		cg_call(cg, k, a, 10);
	}
	return 0;
}

/* Spatial parameters of Conv/pools, padded to 3-D. */
typedef struct {
	int sr;                   /* spatial rank 1..3 */
	LLVMValueRef in[3], out[3];
	int64_t k[3], s[3], d[3], pb[3], pe[3];
} win3;

static int window(cg_ctx *cg, const ir_node *n, const ir_value *x, const ir_value *y,
		  const int64_t *kernel, win3 *w)
{
	int sr = x->shape.rank - 2;
	if (sr < 1 || sr > 3)
		return cg_fail(cg, "%d spatial dimensions are not supported", sr);
	int64_t st[3] = {1, 1, 1}, dl[3] = {1, 1, 1}, pads[6] = {0};
	ir_attr_ints_into(n, "strides", st, sr);
	ir_attr_ints_into(n, "dilations", dl, sr);
	ir_attr_ints_into(n, "pads", pads, 2 * sr);
	const char *ap = ir_attr_str(n, "auto_pad", "NOTSET");
	int upper = !strcmp(ap, "SAME_UPPER"), lower = !strcmp(ap, "SAME_LOWER");
	memset(w, 0, sizeof *w);
	w->sr = sr;
	for (int i = 0; i < 3; i++) {
		int j = i - (3 - sr);
		w->in[i] = w->out[i] = cg_i64(cg, 1);
		w->k[i] = w->s[i] = w->d[i] = 1;
		if (j < 0)
			continue;
		ir_dim xi = x->shape.d[2 + j], yi = y->shape.d[2 + j];
		if (!ir_dim_is_const(xi) || !ir_dim_is_const(yi))
			return cg_fail(cg, "symbolic spatial dimensions are not supported");
		w->in[i] = cg_i64(cg, xi.c);
		w->out[i] = cg_i64(cg, yi.c);
		w->k[i] = kernel[j];
		w->s[i] = st[j];
		w->d[i] = dl[j];
		w->pb[i] = pads[j];
		w->pe[i] = pads[sr + j];
		if (upper || lower) {
			int64_t tot = (yi.c - 1) * st[j] + (kernel[j] - 1) * dl[j] + 1 - xi.c;
			tot = tot < 0 ? 0 : tot;
			w->pb[i] = upper ? tot / 2 : tot - tot / 2;
			w->pe[i] = tot - w->pb[i];
		} else if (!strcmp(ap, "VALID")) {
			w->pb[i] = w->pe[i] = 0;
		}
	}
	return 0;
}

/* Appends the window arguments (in dims, out dims, kernel, strides,
 * dilations, begin pads) in kernel order. */
static LLVMValueRef *win_args(cg_ctx *cg, const win3 *w, LLVMValueRef *p, int with_out)
{
	for (int i = 0; i < 3; i++)
		*p++ = w->in[i];
	if (with_out)
		for (int i = 0; i < 3; i++)
			*p++ = w->out[i];
	return p;
}

static LLVMValueRef *win_tail(cg_ctx *cg, const win3 *w, LLVMValueRef *p)
{
	for (int i = 0; i < 3; i++)
		*p++ = cg_i64(cg, w->k[i]);
	for (int i = 0; i < 3; i++)
		*p++ = cg_i64(cg, w->s[i]);
	for (int i = 0; i < 3; i++)
		*p++ = cg_i64(cg, w->d[i]);
	for (int i = 0; i < 3; i++)
		*p++ = cg_i64(cg, w->pb[i]);
	return p;
}

/* Whether Conv weights W [M, C/group, k...] are packed at compile time:
 * constant f32 with more than one input and output channel per group (the
 * kernel's paths that read packed weights); *Mg, *Kg set when so. */
static int packs_w(const ir_value *W, int64_t group, int64_t *Mg, int64_t *Kg)
{
	ir_dim nd;
	if (W->dtype != IR_F32 || !W->data || !ir_shape_is_static(&W->shape) ||
	    W->shape.rank < 3 || group < 1 || !ir_shape_numel(&W->shape, &nd) ||
	    (size_t)nd.c * sizeof(float) > W->nbytes)
		return 0;
	int64_t M = W->shape.d[0].c;
	*Mg = M / group;
	*Kg = M ? nd.c / M : 0;
	return M % group == 0 && *Mg > 1 && W->shape.d[1].c > 1 && *Kg >= 1;
}

/* Constant f32 Conv weights packed per group as the A slivers of
 * kk_pack.h; NULL unless packs_w. */
static LLVMValueRef packed_w(cg_ctx *cg, const ir_value *W, int64_t group)
{
	int64_t Mg, Kg;
	if (!packs_w(W, group, &Mg, &Kg))
		return NULL;
	int64_t per = kk_packed_a_floats(Mg, Kg);
	size_t nb = (size_t)(per * group) * sizeof(float);
	float *buf = malloc(nb);
	if (!buf)
		return NULL;
	for (int64_t gi = 0; gi < group; gi++)
		kk_pack_a_layout(buf + gi * per, (const float *)W->data + gi * Mg * Kg, Mg, Kg);
	LLVMValueRef g = cg_const_blob(cg, buf, nb);
	free(buf);
	return g;
}

/* Whether the dims after the batch of a rank-4 value are all static. */
static int image_static(const ir_value *v)
{
	if (!v || !v->has_shape || v->shape.rank != 4)
		return 0;
	for (int i = 1; i < 4; i++)
		if (!ir_dim_is_const(v->shape.d[i]))
			return 0;
	return 1;
}

/* Whether Conv n is f32 2-D with static image dims (any batch) and weights
 * packed at compile time (packs_w); *Mg, *Kg set when so. */
static int conv_2d_packed(const ir_node *n, int64_t *Mg, int64_t *Kg)
{
	const ir_value *X = n->in[0], *W = n->nin > 1 ? n->in[1] : NULL, *Y = n->out[0];
	return X && W && X->dtype == IR_F32 && W->shape.rank == 4 && image_static(X) &&
	       image_static(Y) && packs_w(W, ir_attr_int(n, "group", 1), Mg, Kg);
}

/* Whether Conv n (conv_2d_packed) is a 1x1 at stride 1 keeping the image:
 * X is its im2col matrix (kk_conv_is_pointwise). */
static int conv_pointwise(const ir_node *n)
{
	const ir_value *X = n->in[0], *W = n->in[1], *Y = n->out[0];
	int64_t st[2] = {1, 1};
	ir_attr_ints_into(n, "strides", st, 2);
	return kk_conv_is_pointwise(W->shape.d[2].c, W->shape.d[3].c, st[0], st[1],
		X->shape.d[2].c, X->shape.d[3].c, Y->shape.d[2].c, Y->shape.d[3].c);
}

/* Whether Conv n runs as the transposed product (kk_conv_t_f32): group 1
 * with conv_2d_packed, and an image so small that its P pixels fill the
 * GEMM's 6-row slivers much better than its 16-pixel blocks (7x7: 54
 * computed for 49, against 64). *K, *P, *M set when so. */
static int conv_transposed(const ir_node *n, int64_t *K, int64_t *P, int64_t *M)
{
	if (ir_attr_int(n, "group", 1) != 1 || !conv_2d_packed(n, M, K))
		return 0;
	const ir_value *Y = n->out[0];
	*P = Y->shape.d[2].c * Y->shape.d[3].c;
	int64_t blocks = (*P + KK_NR - 1) / KK_NR * KK_NR;
	int64_t slivers = (*P + KK_MR - 1) / KK_MR * KK_MR;
	return *M >= KK_NR && *P >= KK_MR && 100 * blocks > 115 * slivers &&
	       (*K + *M) * *P < INT32_MAX;
}

/* Floats of the zero-padded input copy kk_conv_f32 reads Conv n through
 * (its scratch S), or 0: conv_2d_packed, kk_conv_pad_ok, stride 1 (or 2
 * with more than 9 taps), and something to pad or gather (not pointwise,
 * whose panel rows are contiguous already). */
static int64_t conv_padded(const ir_node *n)
{
	const ir_value *X = n->in[0], *W = n->in[1], *Y = n->out[0];
	int64_t Mg, Kg;
	if (!conv_2d_packed(n, &Mg, &Kg) || conv_pointwise(n))
		return 0;
	int64_t st[2] = {1, 1}, dl[2] = {1, 1};
	ir_attr_ints_into(n, "strides", st, 2);
	ir_attr_ints_into(n, "dilations", dl, 2);
	int64_t KH = W->shape.d[2].c, KW = W->shape.d[3].c;
	int64_t OH = Y->shape.d[2].c, OW = Y->shape.d[3].c;
	/* at stride 2 the copy (of 4 input cells per output) paid off only
	 * with many taps (ResNet-18's 7x7 stem ~6% faster, its 3x3 ones 2-4%
	 * slower) */
	if (st[0] * st[1] > 1 && KH * KW <= 9)
		return 0;
	if (st[0] < 1 || dl[0] < 1 || dl[1] < 1 || !kk_conv_pad_ok(OW, KH * KW, st[1]))
		return 0;
	int64_t f = kk_conv_pad_floats(X->shape.d[1].c, OH, OW, KH, KW, st[0], st[1], dl[0], dl[1]);
	return f < INT32_MAX ? f : 0;
}

/* Scratch floats of Conv n as Winograd F(r x r, 3x3) (kk_conv_wino_f32), or
 * 0: conv_2d_packed, group 1, 3x3 at stride 1 and dilation 1, and a tile
 * size r (into *r) by which it costs less than the direct convolution for
 * its channels and image size (kk_wino_tile). Checked before the transposed
 * product: on 7x7 images F(2x2) computes 64 outputs for 49, still 1.7x fewer
 * multiply-adds (ResNet-18's 512-channel layers ~1.6x faster, their
 * transformed weights 16 MB each instead of 9). */
static int64_t conv_winograd(const ir_node *n, int64_t *r)
{
	const ir_value *X = n->in[0], *W = n->in[1], *Y = n->out[0];
	int64_t Mg, Kg;
	if (ir_attr_int(n, "group", 1) != 1 || !conv_2d_packed(n, &Mg, &Kg) ||
	    W->shape.d[2].c != 3 || W->shape.d[3].c != 3)
		return 0;
	int64_t st[2] = {1, 1}, dl[2] = {1, 1};
	ir_attr_ints_into(n, "strides", st, 2);
	ir_attr_ints_into(n, "dilations", dl, 2);
	int64_t OH = Y->shape.d[2].c, OW = Y->shape.d[3].c, C = X->shape.d[1].c;
	if (st[0] != 1 || st[1] != 1 || dl[0] != 1 || dl[1] != 1)
		return 0;
	*r = kk_wino_tile(C, Mg, OH, OW);
	if (!*r)
		return 0;
	int64_t f = kk_wino_floats(C, Mg, OH, OW, *r);
	return f < INT32_MAX ? f : 0;
}

/* KilnConvPool's strides and pads (into st, pads) and its convolution's
 * output size (before the pooling). */
static void conv_pool_out(const ir_node *n, int64_t *st, int64_t *pads, int64_t *OH,
			  int64_t *OW)
{
	const ir_value *X = n->in[0], *W = n->in[1];
	st[0] = st[1] = 1;
	pads[0] = pads[1] = pads[2] = pads[3] = 0;
	ir_attr_ints_into(n, "strides", st, 2);
	ir_attr_ints_into(n, "pads", pads, 4);
	*OH = (X->shape.d[2].c + pads[0] + pads[2] - W->shape.d[2].c) / st[0] + 1;
	*OW = (X->shape.d[3].c + pads[1] + pads[3] - W->shape.d[3].c) / st[1] + 1;
}

/* KilnConvPwDw's first half: a 3x3 stem (W1 3x3) at stride *s1, or a
 * pointwise convolution or none (stride 1); its output's H and W. */
static int conv_pwdw_stem(const ir_node *n, int64_t *s1, int64_t *H, int64_t *W)
{
	const ir_value *X = n->in[0], *W1 = n->in[1];
	int stem = W1 && W1->shape.d[2].c == 3;
	const int64_t *sv;
	*s1 = stem && ir_attr_ints(n, "kiln_pw_strides", &sv) == 2 ? sv[0] : 1;
	*H = (X->shape.d[2].c - 1) / *s1 + 1;
	*W = (X->shape.d[3].c - 1) / *s1 + 1;
	return stem;
}

/* KilnConvPwDw's scratch: the intermediate tensor of one image. */
static int64_t conv_pwdw_floats(const ir_node *n)
{
	int64_t s1, H, W;
	conv_pwdw_stem(n, &s1, &H, &W);
	return kk_pwdw_scratch(n->in[3]->shape.d[0].c, H, W, n->nin > 5 && n->in[5]);
}

int cg_conv_scratch(const ir_node *n, cg_lin *bytes)
{
	if (n->op == IR_OP_KilnConvPwDw) {
		bytes->c[0] = conv_pwdw_floats(n) * (int64_t)sizeof(float);
		return 1;
	}
	if (n->op == IR_OP_KilnConvPool) {
		int64_t st[2], pads[4], OH, OW;
		conv_pool_out(n, st, pads, &OH, &OW);
		bytes->c[0] = kk_convpool_floats(n->in[1]->shape.d[0].c, OW) *
			      (int64_t)sizeof(float);
		return 1;
	}
	int64_t K, P, M, r, f = conv_winograd(n, &r);
	if (!f)
		f = conv_transposed(n, &K, &P, &M) ? kk_conv_t_floats(K, P, M, conv_pointwise(n))
						   : conv_padded(n);
	bytes->c[0] = f * (int64_t)sizeof(float);
	return f > 0;
}

/* The image stride of n's output: 0 (dense), or that of the Concat output
 * it is written into in place (plan.c). */
static LLVMValueRef conv_y_ns(cg_ctx *cg, const ir_node *n)
{
	const cg_loc *l = &cg->plan.loc[n->out[0]->id];
	const ir_value *big = l->kind == CG_LOC_ALIAS ? cg->g->values[l->index] : NULL;
	return big && big->producer && big->producer->op == IR_OP_Concat
	       ? cg_span(cg, &big->shape, 1, big->shape.rank) : cg_i64(cg, 0);
}

/* The fused epilogue's arguments (passes/fuse_epilogue.c: residual input 3,
 * clamp) and Y's image stride (conv_y_ns). */
static LLVMValueRef *conv_epi_args(cg_ctx *cg, const ir_node *n, LLVMValueRef *p)
{
	*p++ = cg_ptr(cg, n->nin > 3 ? n->in[3] : NULL);
	*p++ = cg_f32(cg, ir_attr_float(n, "kiln_clip_min", -INFINITY));
	*p++ = cg_f32(cg, ir_attr_float(n, "kiln_clip_max", INFINITY));
	*p++ = conv_y_ns(cg, n);
	return p;
}

/* The arguments kk_conv_t_f32 and kk_conv_wino_f32 begin with: ctx, X, the
 * packed weights wts, B, Y, N, C, H, W, M, OH, OW; into p, returns its end. */
static LLVMValueRef *conv_2d_args(cg_ctx *cg, const ir_node *n, const win3 *w,
				  LLVMValueRef wts, int64_t M, LLVMValueRef *p)
{
	const ir_value *X = n->in[0];
	*p++ = cg->a_ctx;
	*p++ = cg_ptr(cg, X);
	*p++ = wts;
	*p++ = cg_ptr(cg, n->nin > 2 ? n->in[2] : NULL);
	*p++ = cg_ptr(cg, n->out[0]);
	*p++ = cg_dim(cg, X->shape.d[0]);
	*p++ = cg_dim(cg, X->shape.d[1]);
	*p++ = w->in[1];
	*p++ = w->in[2];
	*p++ = cg_i64(cg, M);
	*p++ = w->out[1];
	*p++ = w->out[2];
	return p;
}

static int lower_conv_t(cg_ctx *cg, const ir_node *n, const win3 *w, int64_t K, int64_t M)
{
	const ir_value *W = n->in[1];
	size_t nb = (size_t)kk_packed_b_floats(K, M) * sizeof(float);
	float *buf = malloc(nb);
	if (!buf)
		return cg_fail(cg, "out of memory packing Conv weights");
	kk_pack_b_layout(buf, (const float *)W->data, K, M, 1);
	LLVMValueRef bp = cg_const_blob(cg, buf, nb);
	free(buf);
	LLVMValueRef a[32], *p = conv_2d_args(cg, n, w, bp, M, a);
	for (int i = 1; i < 3; i++)
		*p++ = cg_i64(cg, w->k[i]);
	for (int i = 1; i < 3; i++)
		*p++ = cg_i64(cg, w->s[i]);
	for (int i = 1; i < 3; i++)
		*p++ = cg_i64(cg, w->d[i]);
	for (int i = 1; i < 3; i++)
		*p++ = cg_i64(cg, w->pb[i]);
	p = conv_epi_args(cg, n, p);
	*p++ = cg->scratch;
	cg_call(cg, "kk_conv_t_f32", a, (int)(p - a));
	return 0;
}

/* Conv n as Winograd F(r x r, 3x3): the weights transformed for r and packed at
 * compile time (kk_wino_weights, one A-sliver matrix per point). */
static int lower_conv_wino(cg_ctx *cg, const ir_node *n, const win3 *w, int64_t r)
{
	const ir_value *W = n->in[1];
	int64_t M = W->shape.d[0].c, C = W->shape.d[1].c, per = kk_packed_a_floats(M, C);
	int64_t np = kk_wino_points(r);
	size_t nb = (size_t)(np * per) * sizeof(float);
	float *U = malloc((size_t)(np * M * C) * sizeof(float)), *buf = malloc(nb);
	if (!U || !buf) {
		free(U);
		free(buf);
		return cg_fail(cg, "out of memory transforming Conv weights");
	}
	kk_wino_weights(U, (const float *)W->data, M, C, r);
	for (int64_t xi = 0; xi < np; xi++)
		kk_pack_a_layout(buf + xi * per, U + xi * M * C, M, C);
	LLVMValueRef up = cg_const_blob(cg, buf, nb);
	free(U);
	free(buf);
	LLVMValueRef a[24], *p = conv_2d_args(cg, n, w, up, M, a);
	for (int i = 1; i < 3; i++)
		*p++ = cg_i64(cg, w->pb[i]);
	*p++ = cg_i64(cg, r);
	p = conv_epi_args(cg, n, p);
	*p++ = cg->scratch;
	/* its products run as a grouped pointwise convolution */
	cg->conv_paths |= kk_conv_paths_of(np * C, np * M, np, 1, 1);
	cg_call(cg, "kk_conv_wino_f32", a, (int)(p - a));
	return 0;
}

int cg_lower_conv(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0], *W = n->in[1], *B = n->nin > 2 ? n->in[2] : NULL;
	const ir_value *Y = n->out[0];
	char k[32];
	if (float_kernel(cg, X, "kk_conv", k, sizeof k))
		return -1;
	int64_t kern[3];
	int sr = X->shape.rank - 2;
	for (int i = 0; i < sr && i < 3; i++) {
		if (!ir_dim_is_const(W->shape.d[2 + i]))
			return cg_fail(cg, "kernel dims must be static");
		kern[i] = W->shape.d[2 + i].c;
	}
	win3 w;
	if (window(cg, n, X, Y, kern, &w))
		return -1;
	int64_t tK, tP, tM, r;
	if (cg->scratch && conv_winograd(n, &r))
		return lower_conv_wino(cg, n, &w, r);
	if (cg->scratch && conv_transposed(n, &tK, &tP, &tM))
		return lower_conv_t(cg, n, &w, tK, tM);
	LLVMValueRef a[32], *p = a;
	*p++ = cg->a_ctx;
	*p++ = cg_ptr(cg, X);
	/* packed weights replace W (which then stays out of the binary) */
	LLVMValueRef wp = X->dtype == IR_F32 ? packed_w(cg, W, ir_attr_int(n, "group", 1)) : NULL;
	*p++ = wp ? cg_null(cg) : cg_ptr(cg, W);
	if (X->dtype == IR_F32)
		*p++ = wp ? wp : cg_null(cg);
	*p++ = cg_ptr(cg, B);
	*p++ = cg_ptr(cg, Y);
	*p++ = cg_dim(cg, X->shape.d[0]);
	*p++ = cg_dim(cg, X->shape.d[1]);
	p = win_args(cg, &w, p, 0);
	*p++ = cg_dim(cg, Y->shape.d[1]);
	for (int i = 0; i < 3; i++)
		*p++ = w.out[i];
	p = win_tail(cg, &w, p);
	*p++ = cg_i64(cg, ir_attr_int(n, "group", 1));
	if (X->dtype == IR_F32) {
		p = conv_epi_args(cg, n, p);
		*p++ = cg->scratch ? cg->scratch : cg_null(cg);   /* conv_padded */
	}
	if (X->dtype == IR_F32) {
		int64_t group = ir_attr_int(n, "group", 1);
		cg->conv_paths |= ir_dim_is_const(W->shape.d[0]) && ir_dim_is_const(W->shape.d[1])
			&& group > 0 ? kk_conv_paths_of(W->shape.d[1].c * group, W->shape.d[0].c, group,
				sr >= 2 ? kern[sr - 2] : 1, sr >= 1 ? kern[sr - 1] : 1)
			: KK_CONV_PATH_CW | KK_CONV_PATH_FEWC;
	}
	cg_call(cg, k, a, (int)(p - a));
	return 0;
}

/* Constant weights w (rows x cols) packed at compile time by pack into
 * floats floats of a blob; NULL after cg_fail when out of memory. */
static LLVMValueRef packed_blob(cg_ctx *cg, const ir_value *w, int64_t rows, int64_t cols,
	int64_t floats, void (*pack)(float *, const float *, int64_t, int64_t))
{
	size_t nb = (size_t)floats * sizeof(float);
	float *buf = malloc(nb);
	if (!buf) {
		cg_fail(cg, "out of memory packing Conv weights");
		return NULL;
	}
	pack(buf, (const float *)w->data, rows, cols);
	LLVMValueRef v = cg_const_blob(cg, buf, nb);
	free(buf);
	return v;
}

/* KilnConvPwDw (passes/fuse_pwdw.c): the pointwise or stem weights (if
 * any) packed at compile time as kk_conv_pwdw_f32 reads them
 * (kk_pwdw_pack_w), a fused projection's as A slivers (kk_pack_a_layout). */
int cg_lower_conv_pwdw(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0], *W1 = n->in[1], *Y = n->out[0];
	const ir_value *W3 = n->nin > 5 ? n->in[5] : NULL;
	int64_t s1, H, W, C = n->in[3]->shape.d[0].c, M = W3 ? W3->shape.d[0].c : 0;
	int stem = conv_pwdw_stem(n, &s1, &H, &W);
	int64_t K = W1 ? W1->shape.d[1].c * W1->shape.d[2].c * W1->shape.d[3].c : C;
	const int64_t *sv;
	if (X->dtype != IR_F32 || (W1 && !W1->data) || (!W1 && !W3) || !cg->scratch ||
	    ir_attr_ints(n, "strides", &sv) != 2 || (W3 && !W3->data))
		return cg_fail(cg, "internal error: a KilnConvPwDw passes/fuse_pwdw.c did not make");
	LLVMValueRef wt = W1 ? packed_blob(cg, W1, C, K, kk_pwdw_w_floats(C, K), kk_pwdw_pack_w)
			     : cg_null(cg);
	LLVMValueRef w3 = W3 ? packed_blob(cg, W3, M, C, kk_packed_a_floats(M, C),
					   kk_pack_a_layout) : cg_null(cg);
	if (!wt || !w3)
		return -1;
	LLVMValueRef head[10] = {
		cg->a_ctx, cg_ptr(cg, X), wt, cg_ptr(cg, n->in[2]), cg_ptr(cg, n->in[3]),
		cg_ptr(cg, n->nin > 4 ? n->in[4] : NULL), w3, cg_ptr(cg, n->nin > 6 ? n->in[6] : NULL),
		cg_ptr(cg, n->nin > 7 ? n->in[7] : NULL), cg_ptr(cg, Y)};
	LLVMValueRef tail[11] = {
		cg_i64(cg, Y->shape.d[2].c), cg_i64(cg, Y->shape.d[3].c), cg_i64(cg, sv[0]),
		cg_f32(cg, ir_attr_float(n, "kiln_pw_clip_min", -INFINITY)),
		cg_f32(cg, ir_attr_float(n, "kiln_pw_clip_max", INFINITY)),
		cg_f32(cg, ir_attr_float(n, "kiln_clip_min", -INFINITY)),
		cg_f32(cg, ir_attr_float(n, "kiln_clip_max", INFINITY)),
		cg_f32(cg, ir_attr_float(n, "kiln_pj_clip_min", -INFINITY)),
		cg_f32(cg, ir_attr_float(n, "kiln_pj_clip_max", INFINITY)), conv_y_ns(cg, n),
		cg->scratch};
	LLVMValueRef a[30];     /* head, N, the sizes (the stem's or not), tail */
	int na = 0;
	for (int i = 0; i < 10; i++)
		a[na++] = head[i];
	a[na++] = cg_dim(cg, X->shape.d[0]);
	if (stem) {      /* C0, H0, W0, s1, C, M, H, W */
		int64_t v[] = {W1->shape.d[1].c, X->shape.d[2].c, X->shape.d[3].c, s1, C, M, H, W};
		for (int i = 0; i < 8; i++)
			a[na++] = cg_i64(cg, v[i]);
	} else {         /* K, C, M, H, W */
		int64_t v[] = {K, C, M, H, W};
		for (int i = 0; i < 5; i++)
			a[na++] = cg_i64(cg, v[i]);
	}
	for (int i = 0; i < 11; i++)
		a[na++] = tail[i];
	cg_call(cg, stem ? "kk_conv_stem_pwdw_f32" : "kk_conv_pwdw_f32", a, na);
	return 0;
}

/* KilnConvPool (passes/fuse_convpool.c): the Conv's arguments as
 * kk_conv_f32's few-channel path takes them, then the pooled size. */
int cg_lower_conv_pool(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0], *W = n->in[1], *Y = n->out[0];
	int64_t st[2], pads[4], OH, OW;
	conv_pool_out(n, st, pads, &OH, &OW);
	int64_t C = W->shape.d[1].c, M = W->shape.d[0].c, KH = W->shape.d[2].c;
	int64_t KW = W->shape.d[3].c, H = X->shape.d[2].c, Wd = X->shape.d[3].c;
	int64_t POH = Y->shape.d[2].c, POW = Y->shape.d[3].c;
	if (X->dtype != IR_F32 || !W->data || !cg->scratch ||
	    !kk_conv_fewc_ok(C, M, KH, KW, st[0], st[1], OW) || POH != (OH - 3) / 2 + 1 ||
	    POW != (OW - 3) / 2 + 1 || POW < 8)
		return cg_fail(cg, "internal error: a KilnConvPool passes/fuse_convpool.c did not make");
	LLVMValueRef a[23] = {
		cg->a_ctx, cg_ptr(cg, X), cg_ptr(cg, W), cg_ptr(cg, n->nin > 2 ? n->in[2] : NULL),
		cg_ptr(cg, Y), cg_dim(cg, X->shape.d[0]), cg_i64(cg, C), cg_i64(cg, H),
		cg_i64(cg, Wd), cg_i64(cg, M), cg_i64(cg, OH), cg_i64(cg, OW), cg_i64(cg, KH),
		cg_i64(cg, KW), cg_i64(cg, st[0]), cg_i64(cg, st[1]), cg_i64(cg, pads[0]),
		cg_i64(cg, pads[1]), cg_f32(cg, ir_attr_float(n, "kiln_clip_min", -INFINITY)),
		cg_f32(cg, ir_attr_float(n, "kiln_clip_max", INFINITY)), cg_i64(cg, POH),
		cg_i64(cg, POW), cg->scratch};
	cg_call(cg, "kk_conv_maxpool_f32", a, 23);
	return 0;
}

int cg_lower_pool(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0], *Y = n->out[0];
	int maxp = n->op == IR_OP_MaxPool;
	char k[32];
	if (maxp && X->dtype == IR_U8)   /* the nn kernels' one integer pool */
		snprintf(k, sizeof k, "kk_maxpool_u8");
	else if (float_kernel(cg, X, maxp ? "kk_maxpool" : "kk_avgpool", k, sizeof k))
		return -1;
	const int64_t *kv;
	int sr = X->shape.rank - 2;
	if (ir_attr_ints(n, "kernel_shape", &kv) != sr)
		return cg_fail(cg, "kernel_shape must have one entry per spatial dim");
	win3 w;
	if (window(cg, n, X, Y, kv, &w))
		return -1;
	LLVMValueRef a[40], *p = a;
	*p++ = cg->a_ctx;
	*p++ = cg_ptr(cg, X);
	*p++ = cg_ptr(cg, Y);
	if (maxp)
		*p++ = cg_ptr(cg, n->nout > 1 ? n->out[1] : NULL);
	*p++ = cg_dim(cg, X->shape.d[0]);
	*p++ = cg_dim(cg, X->shape.d[1]);
	p = win_args(cg, &w, p, 1);
	p = win_tail(cg, &w, p);
	if (maxp) {
		*p++ = cg_i32(cg, ir_attr_int(n, "storage_order", 0));
	} else {
		for (int i = 0; i < 3; i++)
			*p++ = cg_i64(cg, w.pe[i]);
		*p++ = cg_i32(cg, ir_attr_int(n, "count_include_pad", 0));
	}
	cg_call(cg, k, a, (int)(p - a));
	return 0;
}

int cg_lower_global_pool(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0];
	char k[32];
	if (float_kernel(cg, X, "kk_global_pool", k, sizeof k))
		return -1;
	if (X->shape.rank < 2)
		return cg_fail(cg, "input must have rank >= 2");
	LLVMValueRef a[6] = {cg->a_ctx,
			     cg_i32(cg, n->op == IR_OP_GlobalMaxPool ? KK_POOL_MAX : KK_POOL_AVG),
			     cg_ptr(cg, X), cg_ptr(cg, n->out[0]), cg_span(cg, &X->shape, 0, 2),
			     cg_span(cg, &X->shape, 2, X->shape.rank)};
	cg_call(cg, k, a, 6);
	return 0;
}
