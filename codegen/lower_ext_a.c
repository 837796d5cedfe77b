/* lower_ext_a.c — lowerings of "ops wave A" to the kernels of
 * kernels/kk_ext_a.h (losses, Trilu, CumSum, Shrink, EyeLike, OneHot, MVN,
 * TopK), kk_cast (CastLike) and kk_copy_strided (DepthToSpace/SpaceToDepth
 * as one 6-D transposing copy). Every dim the IR knows is a constant. */
#include <string.h>

#include "lower.h"
#include "kk_ext_a.h"

static int loss_reduction(const ir_node *n)
{
	const char *r = ir_attr_str(n, "reduction", "mean");
	return !strcmp(r, "none") ? KK_LOSS_NONE : !strcmp(r, "sum") ? KK_LOSS_SUM : KK_LOSS_MEAN;
}

/* Shared by both losses: args after the loss pointer(s) differ by one. */
static int lower_loss(cg_ctx *cg, const ir_node *n, int sce)
{
	const ir_value *x = n->in[0], *t = n->in[1];
	const ir_value *w = n->nin > 2 ? n->in[2] : NULL;
	const ir_value *lp = sce && n->nout > 1 ? n->out[1] : NULL;
	const ir_shape *s = &x->shape;
	LLVMValueRef a[13];
	int k = 0;
	a[k++] = cg->a_ctx;
	a[k++] = cg_i32(cg, x->dtype);
	a[k++] = cg_ptr(cg, x);
	a[k++] = cg_ptr(cg, t);
	a[k++] = cg_i32(cg, t->dtype);
	a[k++] = w ? cg_ptr(cg, w) : cg_null(cg);
	a[k++] = cg_ptr(cg, n->out[0]);
	if (sce)
		a[k++] = lp ? cg_ptr(cg, lp) : cg_null(cg);
	a[k++] = cg_dim(cg, s->d[0]);
	a[k++] = cg_dim(cg, s->d[1]);
	a[k++] = cg_span(cg, s, 2, s->rank);
	a[k++] = cg_i64(cg, ir_attr_int(n, "ignore_index", INT64_MIN));
	a[k++] = cg_i32(cg, loss_reduction(n));
	cg_call_checked(cg, sce ? "kk_sce_loss" : "kk_nll_loss", a, k);
	return 0;
}

int cg_lower_nll_loss(cg_ctx *cg, const ir_node *n)
{
	return lower_loss(cg, n, 0);
}

int cg_lower_sce_loss(cg_ctx *cg, const ir_node *n)
{
	return lower_loss(cg, n, 1);
}

int cg_lower_trilu(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *k = n->nin > 1 ? n->in[1] : NULL;
	const ir_shape *s = &x->shape;
	LLVMValueRef a[10] = {cg->a_ctx, cg_i64(cg, (int64_t)ir_dtype_size(x->dtype)),
			      cg_ptr(cg, x), cg_ptr(cg, n->out[0]), cg_span(cg, s, 0, s->rank - 2),
			      cg_dim(cg, s->d[s->rank - 2]), cg_dim(cg, s->d[s->rank - 1]),
			      k ? cg_ptr(cg, k) : cg_null(cg), cg_i32(cg, k ? k->dtype : IR_I64),
			      cg_i32(cg, ir_attr_int(n, "upper", 1) != 0)};
	cg_call(cg, "kk_trilu", a, 10);
	return 0;
}

/* CastLike is Cast with the target type taken from input 1 (already the
 * output's dtype after inference). */
int cg_lower_castlike(cg_ctx *cg, const ir_node *n)
{
	return cg_lower_cast(cg, n);
}

int cg_lower_cumsum(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *ax = n->in[1];
	int r = x->shape.rank;
	LLVMValueRef dims[IR_MAX_RANK];
	cg_dims(cg, &x->shape, dims);
	LLVMValueRef a[10] = {cg->a_ctx, cg_i32(cg, x->dtype), cg_ptr(cg, x),
			      cg_ptr(cg, n->out[0]), cg_i32(cg, r), cg_i64_array(cg, dims, r),
			      cg_ptr(cg, ax), cg_i32(cg, ax->dtype),
			      cg_i32(cg, ir_attr_int(n, "exclusive", 0) != 0),
			      cg_i32(cg, ir_attr_int(n, "reverse", 0) != 0)};
	cg_call_checked(cg, "kk_cumsum", a, 10);
	return 0;
}

/* DepthToSpace (DCR: [N,b,b,C',H,W], CRD: [N,C',b,b,H,W] read as
 * [N,C',H,b,W,b]) and SpaceToDepth ([N,C,H',b,W',b] read as
 * [N,b,b,C,H',W']): output iteration dims and source strides. */
int cg_lower_space_depth(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	const ir_shape *s = &x->shape;
	int64_t b = ir_attr_int(n, "blocksize", 1), C = s->d[1].c, H = s->d[2].c, W = s->d[3].c;
	int64_t it[6], ss[6];
	if (n->op == IR_OP_DepthToSpace) {
		int64_t Co = C / (b * b);
		int crd = !strcmp(ir_attr_str(n, "mode", "DCR"), "CRD");
		int64_t sc = crd ? b * b * H * W : H * W, sb1 = crd ? b * H * W : b * Co * H * W;
		int64_t sb2 = crd ? H * W : Co * H * W;
		int64_t d[6] = {0, Co, H, b, W, b}, st[6] = {C * H * W, sc, W, sb1, 1, sb2};
		memcpy(it, d, sizeof d);
		memcpy(ss, st, sizeof st);
	} else {
		int64_t d[6] = {0, b, b, C, H / b, W / b};
		int64_t st[6] = {C * H * W, W, 1, H * W, b * W, b};
		memcpy(it, d, sizeof d);
		memcpy(ss, st, sizeof st);
	}
	LLVMValueRef dims[6], src[6], dst[6];
	for (int i = 0; i < 6; i++) {
		dims[i] = i ? cg_i64(cg, it[i]) : cg_dim(cg, s->d[0]);
		src[i] = cg_i64(cg, ss[i]);
	}
	int64_t acc = 1;
	for (int i = 5; i >= 0; i--) {
		dst[i] = cg_i64(cg, acc);
		acc *= i ? it[i] : 1;
	}
	LLVMValueRef a[8] = {cg->a_ctx, cg_i64(cg, (int64_t)ir_dtype_size(x->dtype)),
			     cg_i32(cg, 6), cg_i64_array(cg, dims, 6), cg_ptr(cg, x),
			     cg_i64_array(cg, src, 6), cg_ptr(cg, y), cg_i64_array(cg, dst, 6)};
	cg_call(cg, "kk_copy_strided", a, 8);
	return 0;
}

int cg_lower_onehot(cg_ctx *cg, const ir_node *n)
{
	const ir_value *idx = n->in[0], *val = n->in[2], *y = n->out[0];
	int ax;
	if (cg_norm_axis(cg, ir_attr_int(n, "axis", -1), y->shape.rank, &ax))
		return -1;
	LLVMValueRef a[9] = {cg->a_ctx, cg_i32(cg, idx->dtype), cg_ptr(cg, idx),
			     cg_i64(cg, (int64_t)ir_dtype_size(val->dtype)), cg_ptr(cg, val),
			     cg_ptr(cg, y), cg_span(cg, &idx->shape, 0, ax),
			     cg_dim(cg, y->shape.d[ax]), cg_span(cg, &idx->shape, ax, idx->shape.rank)};
	cg_call(cg, "kk_onehot", a, 9);
	return 0;
}

int cg_lower_shrink(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0];
	LLVMValueRef a[7] = {cg->a_ctx, cg_i32(cg, x->dtype), cg_ptr(cg, x), cg_ptr(cg, n->out[0]),
			     cg_numel(cg, &x->shape), cg_f32(cg, ir_attr_float(n, "lambd", 0.5f)),
			     cg_f32(cg, ir_attr_float(n, "bias", 0.0f))};
	cg_call(cg, "kk_shrink", a, 7);
	return 0;
}

int cg_lower_eyelike(cg_ctx *cg, const ir_node *n)
{
	const ir_value *y = n->out[0];
	LLVMValueRef a[6] = {cg->a_ctx, cg_i32(cg, y->dtype), cg_ptr(cg, y),
			     cg_dim(cg, y->shape.d[0]), cg_dim(cg, y->shape.d[1]),
			     cg_i64(cg, ir_attr_int(n, "k", 0))};
	cg_call(cg, "kk_eyelike", a, 6);
	return 0;
}

int cg_lower_mvn(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0];
	int r = x->shape.rank;
	static const int64_t dflt[3] = {0, 2, 3};
	const int64_t *axes = dflt;
	int na = ir_attr_ints(n, "axes", &axes);
	if (na < 0) {
		axes = dflt;
		na = 3;
	}
	int32_t mask[IR_MAX_RANK] = {0};
	for (int i = 0; i < na; i++) {
		int a;
		if (cg_norm_axis(cg, axes[i], r, &a))
			return -1;
		mask[a] = 1;
	}
	LLVMValueRef dims[IR_MAX_RANK];
	cg_dims(cg, &x->shape, dims);
	LLVMValueRef a[7] = {cg->a_ctx, cg_i32(cg, x->dtype), cg_ptr(cg, x), cg_ptr(cg, n->out[0]),
			     cg_i32(cg, r), cg_i64_array(cg, dims, r),
			     cg_const_bytes(cg, mask, sizeof mask)};
	cg_call(cg, "kk_mvn", a, 7);
	return 0;
}

int cg_lower_topk(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *v = n->out[0];
	int ax;
	if (cg_norm_axis(cg, ir_attr_int(n, "axis", -1), x->shape.rank, &ax))
		return -1;
	const ir_shape *s = &x->shape;
	LLVMValueRef ix = n->out[1] ? cg_ptr(cg, n->out[1]) : cg_null(cg);
	LLVMValueRef a[10] = {cg->a_ctx, cg_i32(cg, x->dtype), cg_ptr(cg, x), cg_ptr(cg, v), ix,
			      cg_span(cg, s, 0, ax), cg_dim(cg, s->d[ax]),
			      cg_span(cg, s, ax + 1, s->rank), cg_dim(cg, v->shape.d[ax]),
			      cg_i32(cg, ir_attr_int(n, "largest", 1) != 0)};
	cg_call_checked(cg, "kk_topk", a, 10);
	return 0;
}
