/* lower_tensor.c — data movement: views (Reshape, Flatten, Squeeze,
 * Unsqueeze, Identity) become copies, Transpose/Slice/Expand/Concat/Split
 * become strided copies, plus Gather, GatherElements, Tile, Pad, Range,
 * ConstantOfShape, and Shape/Size when a symbolic dim kept them from folding. */
#include <string.h>

#include "lower.h"
#include "kk_nn.h"

static LLVMValueRef esize(cg_ctx *cg, const ir_value *v)
{
	return cg_i64(cg, (int64_t)ir_dtype_size(v->dtype));
}

static int check_dtype(cg_ctx *cg, const ir_value *v)
{
	if (!ir_dtype_size(v->dtype))
		return cg_fail(cg, "element type %s of '%s' is not supported", ir_dtype_name(v->dtype),
			       v->name);
	return 0;
}

/* dst (dense, dims) <- src at strides ss. */
static void strided(cg_ctx *cg, const ir_value *t, int r, LLVMValueRef *dims, LLVMValueRef src,
		    LLVMValueRef *ss, LLVMValueRef dst, LLVMValueRef *ds)
{
	LLVMValueRef a[8] = {cg->a_ctx, esize(cg, t), cg_i32(cg, r), cg_i64_array(cg, dims, r), src,
			     cg_i64_array(cg, ss, r), dst, cg_i64_array(cg, ds, r)};
	cg_call(cg, "kk_copy_strided", a, 8);
}

int cg_lower_view(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	if (check_dtype(cg, x))
		return -1;
	if (cg->plan.loc[y->id].kind == CG_LOC_ALIAS)
		return 0;      /* y is x's bytes (plan.c) */
	LLVMValueRef nb = LLVMBuildMul(cg->B, cg_numel(cg, &y->shape), esize(cg, y), "");
	cg_memcpy(cg, cg_ptr(cg, y), cg_ptr(cg, x), nb);
	return 0;
}

int cg_lower_constant(cg_ctx *cg, const ir_node *n)
{
	if (n->out[0] && n->out[0]->data)
		return 0;
	return cg_fail(cg, "Constant without a value");
}

int cg_lower_shape(cg_ctx *cg, const ir_node *n)
{
	const ir_shape *s = &n->in[0]->shape;
	int r = s->rank;
	int64_t start = ir_attr_int(n, "start", 0), end = ir_attr_int(n, "end", r);
	start = start < 0 ? start + r : start;
	end = end < 0 ? end + r : end;
	start = start < 0 ? 0 : start > r ? r : start;
	end = end < 0 ? 0 : end > r ? r : end;
	LLVMValueRef out = cg_ptr(cg, n->out[0]);
	for (int64_t i = start; i < end; i++) {
		LLVMValueRef idx = cg_i64(cg, i - start);
		LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->B, cg->t_i64, out, &idx, 1, "");
		LLVMBuildStore(cg->B, cg_dim(cg, s->d[i]), p);
	}
	return 0;
}

int cg_lower_size(cg_ctx *cg, const ir_node *n)
{
	LLVMBuildStore(cg->B, cg_numel(cg, &n->in[0]->shape), cg_ptr(cg, n->out[0]));
	return 0;
}

int cg_lower_gather(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *idx = n->in[1];
	int axis;
	if (check_dtype(cg, x) || cg_norm_axis(cg, ir_attr_int(n, "axis", 0), x->shape.rank, &axis))
		return -1;
	if (idx->dtype != IR_I32 && idx->dtype != IR_I64)
		return cg_fail(cg, "indices must be int32 or int64");
	LLVMValueRef a[10] = {cg->a_ctx, esize(cg, x), cg_ptr(cg, x), cg_ptr(cg, idx),
			      cg_i32(cg, idx->dtype), cg_ptr(cg, n->out[0]),
			      cg_span(cg, &x->shape, 0, axis), cg_dim(cg, x->shape.d[axis]),
			      cg_span(cg, &x->shape, axis + 1, x->shape.rank),
			      cg_numel(cg, &idx->shape)};
	cg_call_checked(cg, "kk_gather", a, 10);
	return 0;
}

int cg_lower_gather_elements(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *idx = n->in[1];
	int axis, r = x->shape.rank;
	if (check_dtype(cg, x) || cg_norm_axis(cg, ir_attr_int(n, "axis", 0), r, &axis))
		return -1;
	if (idx->dtype != IR_I32 && idx->dtype != IR_I64)
		return cg_fail(cg, "indices must be int32 or int64");
	LLVMValueRef od[IR_MAX_RANK], xd[IR_MAX_RANK];
	cg_dims(cg, &idx->shape, od);
	cg_dims(cg, &x->shape, xd);
	LLVMValueRef a[10] = {cg->a_ctx, esize(cg, x), cg_ptr(cg, x), cg_ptr(cg, idx),
			      cg_i32(cg, idx->dtype), cg_ptr(cg, n->out[0]), cg_i32(cg, r),
			      cg_i64_array(cg, od, r), cg_i64_array(cg, xd, r), cg_i32(cg, axis)};
	cg_call_checked(cg, "kk_gather_elements", a, 10);
	return 0;
}

/* Slice parameters: from attributes (opset < 10) or constant inputs. */
static int slice_params(cg_ctx *cg, const ir_node *n, int64_t *st, int64_t *en, int64_t *ax,
			int64_t *sp, int *cnt)
{
	int ns, ne, na = -1, nsp = -1;
	if (n->opset < 10) {
		const int64_t *v;
		ns = ir_attr_ints(n, "starts", &v);
		if (ns > IR_MAX_RANK)
			return cg_fail(cg, "too many slice axes");
		if (ns > 0)
			memcpy(st, v, ns * sizeof *st);
		ne = ir_attr_ints(n, "ends", &v);
		if (ne > 0)
			memcpy(en, v, (ne < IR_MAX_RANK ? ne : IR_MAX_RANK) * sizeof *en);
		na = ir_attr_ints(n, "axes", &v);
		if (na > 0)
			memcpy(ax, v, (na < IR_MAX_RANK ? na : IR_MAX_RANK) * sizeof *ax);
	} else {
		ns = cg_const_ints(n->in[1], st, IR_MAX_RANK);
		ne = cg_const_ints(n->in[2], en, IR_MAX_RANK);
		if (n->nin > 3 && n->in[3])
			na = cg_const_ints(n->in[3], ax, IR_MAX_RANK);
		if (n->nin > 4 && n->in[4])
			nsp = cg_const_ints(n->in[4], sp, IR_MAX_RANK);
	}
	if (ns < 0 || ne != ns || ns > IR_MAX_RANK || (na >= 0 && na != ns) ||
	    (nsp >= 0 && nsp != ns))
		return cg_fail(cg, "starts/ends/axes/steps must be constant and of equal length");
	for (int i = 0; i < ns; i++) {
		if (na < 0)
			ax[i] = i;
		if (nsp < 0)
			sp[i] = 1;
	}
	*cnt = ns;
	return 0;
}

int cg_lower_slice(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	int64_t st[IR_MAX_RANK], en[IR_MAX_RANK], ax[IR_MAX_RANK], sp[IR_MAX_RANK];
	int cnt = 0, r = x->shape.rank;
	if (check_dtype(cg, x) || slice_params(cg, n, st, en, ax, sp, &cnt))
		return -1;
	LLVMValueRef xs[IR_MAX_RANK], ss[IR_MAX_RANK], dims[IR_MAX_RANK], ds[IR_MAX_RANK];
	cg_dense_strides(cg, &x->shape, xs);
	memcpy(ss, xs, sizeof ss);
	LLVMValueRef off = cg_i64(cg, 0);
	for (int i = 0; i < cnt; i++) {
		int a;
		if (cg_norm_axis(cg, ax[i], r, &a))
			return -1;
		ir_dim dd = x->shape.d[a];
		if (sp[i] == 0)
			return cg_fail(cg, "slice step is 0");
		if (!ir_dim_is_const(dd)) {
			if (st[i] == 0 && sp[i] == 1 && en[i] >= INT32_MAX)
				continue;
			return cg_fail(cg, "slicing a symbolic dimension is not supported");
		}
		int64_t d = dd.c, s = st[i] < 0 ? st[i] + d : st[i];
		if (sp[i] > 0)
			s = s < 0 ? 0 : s > d ? d : s;
		else
			s = s < 0 ? 0 : s > d - 1 ? d - 1 : s;
		off = LLVMBuildAdd(cg->B, off, LLVMBuildMul(cg->B, cg_i64(cg, s), xs[a], ""), "");
		ss[a] = LLVMBuildMul(cg->B, xs[a], cg_i64(cg, sp[i]), "");
	}
	cg_dims(cg, &y->shape, dims);
	cg_dense_strides(cg, &y->shape, ds);
	LLVMValueRef src = cg_offset(cg, cg_ptr(cg, x), off, ir_dtype_size(x->dtype));
	strided(cg, x, r, dims, src, ss, cg_ptr(cg, y), ds);
	return 0;
}

int cg_lower_transpose(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	int r = x->shape.rank;
	int64_t perm[IR_MAX_RANK];
	const int64_t *pv;
	int np = ir_attr_ints(n, "perm", &pv);
	if (check_dtype(cg, x))
		return -1;
	if (cg->plan.loc[y->id].kind == CG_LOC_ALIAS)
		return 0;      /* only size-1 axes move: y is x's bytes (plan.c) */
	if (np >= 0 && np != r)
		return cg_fail(cg, "perm has %d entries for rank %d", np, r);
	for (int i = 0; i < r; i++) {
		perm[i] = np >= 0 ? pv[i] : r - 1 - i;
		if (perm[i] < 0 || perm[i] >= r)
			return cg_fail(cg, "perm entry %lld out of range", (long long)perm[i]);
	}
	LLVMValueRef xs[IR_MAX_RANK], ss[IR_MAX_RANK], dims[IR_MAX_RANK], ds[IR_MAX_RANK];
	cg_dense_strides(cg, &x->shape, xs);
	for (int i = 0; i < r; i++)
		ss[i] = xs[perm[i]];
	cg_dims(cg, &y->shape, dims);
	cg_dense_strides(cg, &y->shape, ds);
	strided(cg, x, r, dims, cg_ptr(cg, x), ss, cg_ptr(cg, y), ds);
	return 0;
}

/* Concat and Split: one strided copy per piece at its offset along axis. */
static int pieces(cg_ctx *cg, const ir_node *n, const ir_value *big, const ir_value *const *parts,
		  int np, int into_big)
{
	int axis, r = big->shape.rank;
	if (check_dtype(cg, big) || cg_norm_axis(cg, ir_attr_int(n, "axis", 0), r, &axis))
		return -1;
	LLVMValueRef bs[IR_MAX_RANK], off = cg_i64(cg, 0);
	cg_dense_strides(cg, &big->shape, bs);
	for (int i = 0; i < np; i++) {
		const ir_value *p = parts[i];
		if (!p)
			continue;
		LLVMValueRef dims[IR_MAX_RANK], ps[IR_MAX_RANK];
		cg_dims(cg, &p->shape, dims);
		/* a Concat input aliasing the output is its slice, which its
		 * producer wrote in place (plan.c) */
		const cg_loc *l = &cg->plan.loc[p->id];
		if (into_big && l->kind == CG_LOC_ALIAS && l->index == big->id) {
			off = LLVMBuildAdd(cg->B, off, dims[axis], "");
			continue;
		}
		cg_dense_strides(cg, &p->shape, ps);
		LLVMValueRef at = cg_offset(cg, cg_ptr(cg, big), LLVMBuildMul(cg->B, off, bs[axis], ""),
					    ir_dtype_size(big->dtype));
		if (into_big)
			strided(cg, big, r, dims, cg_ptr(cg, p), ps, at, bs);
		else
			strided(cg, big, r, dims, at, bs, cg_ptr(cg, p), ps);
		off = LLVMBuildAdd(cg->B, off, dims[axis], "");
	}
	return 0;
}

int cg_lower_concat(cg_ctx *cg, const ir_node *n)
{
	return pieces(cg, n, n->out[0], (const ir_value *const *)n->in, n->nin, 1);
}

int cg_lower_split(cg_ctx *cg, const ir_node *n)
{
	return pieces(cg, n, n->in[0], (const ir_value *const *)n->out, n->nout, 0);
}

int cg_lower_expand(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	int r = y->shape.rank;
	LLVMValueRef dims[IR_MAX_RANK], ss[IR_MAX_RANK], ds[IR_MAX_RANK];
	if (check_dtype(cg, x))
		return -1;
	cg_dims(cg, &y->shape, dims);
	cg_bcast_strides(cg, &x->shape, &y->shape, ss);
	cg_dense_strides(cg, &y->shape, ds);
	strided(cg, x, r, dims, cg_ptr(cg, x), ss, cg_ptr(cg, y), ds);
	return 0;
}

int cg_lower_tile(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	int r = y->shape.rank;
	LLVMValueRef od[IR_MAX_RANK], xd[IR_MAX_RANK];
	if (check_dtype(cg, x))
		return -1;
	cg_dims(cg, &y->shape, od);
	cg_dims(cg, &x->shape, xd);
	LLVMValueRef a[7] = {cg->a_ctx, esize(cg, x), cg_i32(cg, r), cg_i64_array(cg, od, r),
			     cg_i64_array(cg, xd, r), cg_ptr(cg, x), cg_ptr(cg, y)};
	cg_call(cg, "kk_tile", a, 7);
	return 0;
}

static LLVMValueRef fill_value(cg_ctx *cg, const ir_node *n, const ir_value *y)
{
	const ir_attr *v = ir_attr_find(n, "value");
	uint8_t zero[16] = {0};
	if (v && v->kind == IR_ATTR_TENSOR && v->t && v->t->data && v->t->nbytes)
		return cg_const_bytes(cg, v->t->data, v->t->nbytes);
	return cg_const_bytes(cg, zero, ir_dtype_size(y->dtype) ? ir_dtype_size(y->dtype) : 1);
}

int cg_lower_constant_of_shape(cg_ctx *cg, const ir_node *n)
{
	const ir_value *y = n->out[0];
	if (check_dtype(cg, y))
		return -1;
	LLVMValueRef a[5] = {cg->a_ctx, esize(cg, y), fill_value(cg, n, y), cg_ptr(cg, y),
			     cg_numel(cg, &y->shape)};
	cg_call(cg, "kk_fill", a, 5);
	return 0;
}

int cg_lower_range(cg_ctx *cg, const ir_node *n)
{
	const ir_value *y = n->out[0];
	if (check_dtype(cg, y))
		return -1;
	LLVMValueRef a[6] = {cg->a_ctx, cg_i32(cg, y->dtype), cg_ptr(cg, n->in[0]),
			     cg_ptr(cg, n->in[2]), cg_ptr(cg, y), cg_numel(cg, &y->shape)};
	cg_call(cg, "kk_range", a, 6);
	return 0;
}

static int pad_mode(const char *m)
{
	if (!strcmp(m, "reflect"))
		return KK_PAD_REFLECT;
	if (!strcmp(m, "edge"))
		return KK_PAD_EDGE;
	return strcmp(m, "constant") ? -1 : KK_PAD_CONSTANT;
}

int cg_lower_pad(cg_ctx *cg, const ir_node *n)
{
	const ir_value *x = n->in[0], *y = n->out[0];
	int r = x->shape.rank, np;
	int64_t pads[IR_MAX_RANK * 2];
	int mode = pad_mode(ir_attr_str(n, "mode", "constant"));
	if (check_dtype(cg, x))
		return -1;
	if (mode < 0)
		return cg_fail(cg, "pad mode '%s' is not supported", ir_attr_str(n, "mode", ""));
	LLVMValueRef cval = cg_null(cg);
	if (n->opset < 11) {
		const int64_t *pv;
		np = ir_attr_ints(n, "pads", &pv);
		if (np == 2 * r)
			memcpy(pads, pv, np * sizeof *pads);
		float f = ir_attr_float(n, "value", 0.0f);
		double d = f;
		if (x->dtype == IR_F32)
			cval = cg_const_bytes(cg, &f, sizeof f);
		else if (x->dtype == IR_F64)
			cval = cg_const_bytes(cg, &d, sizeof d);
	} else {
		np = cg_const_ints(n->in[1], pads, IR_MAX_RANK * 2);
		if (n->nin > 2 && n->in[2])
			cval = cg_ptr(cg, n->in[2]);
	}
	if (np != 2 * r)
		return cg_fail(cg, "pads must be constant with 2*rank entries");
	if (n->nin > 3 && n->in[3])
		return cg_fail(cg, "the axes input of Pad is not supported");
	LLVMValueRef xd[IR_MAX_RANK], yd[IR_MAX_RANK];
	cg_dims(cg, &x->shape, xd);
	cg_dims(cg, &y->shape, yd);
	LLVMValueRef a[10] = {cg->a_ctx, esize(cg, x), cg_i32(cg, mode), cg_i32(cg, r),
			      cg_i64_array(cg, xd, r), cg_i64_array(cg, yd, r),
			      cg_i64_carray(cg, pads, r), cg_ptr(cg, x), cg_ptr(cg, y), cval};
	cg_call(cg, "kk_pad", a, 10);
	return 0;
}
