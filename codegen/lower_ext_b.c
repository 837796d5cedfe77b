/* lower_ext_b.c — lowerings of "ops wave B" to the kernels of
 * kernels/kk_ext_b.h: ConvTranspose (1-D/2-D as 3-D), Resize/Upsample,
 * GatherND, ScatterND, ScatterElements/Scatter, Einsum (equation parsed here
 * into per-letter dims and strides for one generic loop-nest kernel),
 * ReverseSequence, Det, MaxUnpool and RoiAlign. */
#include <ctype.h>
#include <string.h>

#include "lower.h"
#include "kk_ext_b.h"

static LLVMValueRef esz(cg_ctx *cg, const ir_value *v)
{
	return cg_i64(cg, (int64_t)ir_dtype_size(v->dtype));
}

static int static_shape(cg_ctx *cg, const ir_value *v)
{
	if (!ir_shape_is_static(&v->shape))
		return cg_fail(cg, "'%s' must have a static shape", v->name);
	return 0;
}

/* ---- ConvTranspose ---------------------------------------------------- */

int cg_lower_convtranspose(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0], *W = n->in[1], *B = n->nin > 2 ? n->in[2] : NULL;
	const ir_value *Y = n->out[0];
	const char *k = X->dtype == IR_F32 ? "kk_convtranspose_f32" :
			X->dtype == IR_F64 ? "kk_convtranspose_f64" : NULL;
	if (!k)
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(X->dtype));
	if (static_shape(cg, W))
		return -1;
	int sr = X->shape.rank - 2;
	ir_convt c;
	ir_convt_read(n, sr, &c);
	/* 3-D form: axis i of 3 maps to spatial axis j = i - (3 - sr). */
	int64_t in3[3], out3[3], k3[3], s3[3], d3[3], p3[3];
	for (int i = 0; i < 3; i++) {
		int j = i - (3 - sr);
		if (j < 0) {
			in3[i] = out3[i] = k3[i] = s3[i] = d3[i] = 1;
			p3[i] = 0;
			continue;
		}
		if (!ir_dim_is_const(X->shape.d[2 + j]) || !ir_dim_is_const(Y->shape.d[2 + j]))
			return cg_fail(cg, "symbolic spatial dims are not supported");
		in3[i] = X->shape.d[2 + j].c;
		out3[i] = Y->shape.d[2 + j].c;
		k3[i] = W->shape.d[2 + j].c;
		s3[i] = c.s[j];
		d3[i] = c.d[j];
		p3[i] = ir_convt_pad(&c, j, in3[i], out3[i], k3[i]);
	}
	LLVMValueRef a[28], *q = a;
	*q++ = cg->a_ctx;
	*q++ = cg_ptr(cg, X);
	*q++ = cg_ptr(cg, W);
	*q++ = B ? cg_ptr(cg, B) : cg_null(cg);
	*q++ = cg_ptr(cg, Y);
	*q++ = cg_dim(cg, X->shape.d[0]);
	*q++ = cg_dim(cg, X->shape.d[1]);
	for (int i = 0; i < 3; i++)
		*q++ = cg_i64(cg, in3[i]);
	*q++ = cg_dim(cg, Y->shape.d[1]);
	const int64_t *lists[6] = {out3, k3, s3, d3, p3};
	for (int l = 0; l < 5; l++)
		for (int i = 0; i < 3; i++)
			*q++ = cg_i64(cg, lists[l][i]);
	*q++ = cg_i64(cg, ir_attr_int(n, "group", 1));
	cg_call(cg, k, a, (int)(q - a));
	return 0;
}

/* ---- Resize / Upsample ------------------------------------------------- */

static int name_code(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* Input i when present with a non-zero element count, else NULL. */
static const ir_value *nonempty(const ir_node *n, int i)
{
	if (i >= n->nin || !n->in[i])
		return NULL;
	ir_dim c;
	if (ir_shape_numel(&n->in[i]->shape, &c) && ir_dim_is_const(c) && c.c == 0)
		return NULL;
	return n->in[i];
}

/* Mode, coordinate transformation and nearest rounding codes. */
static int resize_modes(cg_ctx *cg, const ir_node *n, int *mode, int *coord, int *nm)
{
	static const char *const modes[] = {"nearest", "linear", "cubic"};
	static const char *const coords[] = {"half_pixel", "asymmetric", "align_corners",
		"pytorch_half_pixel", "tf_crop_and_resize", "tf_half_pixel_for_nn"};
	static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil",
		"floor", "ceil"};
	int old = n->op == IR_OP_Upsample || n->opset < 11;
	const char *m = ir_attr_str(n, "mode", "nearest");
	*mode = !strcmp(m, "bilinear") ? KK_RESIZE_LINEAR : name_code(m, modes, 3);
	*coord = old ? KK_COORD_ASYMMETRIC :
		name_code(ir_attr_str(n, "coordinate_transformation_mode", "half_pixel"), coords, 6);
	*nm = old ? KK_NEAREST_FLOOR :
		name_code(ir_attr_str(n, "nearest_mode", "round_prefer_floor"), nms, 4);
	if (*mode < 0 || *coord < 0 || *nm < 0)
		return cg_fail(cg, "unsupported mode, coordinate_transformation_mode or nearest_mode");
	return 0;
}

int cg_lower_resize(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0], *Y = n->out[0];
	int mode, coord, nm, r = X->shape.rank;
	if (X->dtype != IR_F32)
		return cg_fail(cg, "only float32 is supported");
	if (resize_modes(cg, n, &mode, &coord, &nm))
		return -1;
	int old = n->op == IR_OP_Upsample || n->opset < 11;
	const ir_value *roi = old ? NULL : nonempty(n, 1);
	const ir_value *sc = nonempty(n, old ? 1 : 2);
	if ((sc && sc->dtype != IR_F32) || (roi && roi->dtype != IR_F32))
		return cg_fail(cg, "scales and roi must be float32");
	LLVMValueRef scp = sc ? cg_ptr(cg, sc) : cg_null(cg);
	const ir_attr *sa = ir_attr_find(n, "scales");
	if (!sc && sa && sa->kind == IR_ATTR_FLOATS && sa->n == r)
		scp = cg_const_bytes(cg, sa->floats, sizeof(float) * (size_t)r);
	LLVMValueRef ind[IR_MAX_RANK], outd[IR_MAX_RANK];
	cg_dims(cg, &X->shape, ind);
	cg_dims(cg, &Y->shape, outd);
	LLVMValueRef a[15] = {cg->a_ctx, cg_ptr(cg, X), cg_ptr(cg, Y), cg_i32(cg, r),
		cg_i64_array(cg, ind, r), cg_i64_array(cg, outd, r), scp,
		roi ? cg_ptr(cg, roi) : cg_null(cg), cg_i32(cg, mode), cg_i32(cg, coord),
		cg_i32(cg, nm), cg_f32(cg, ir_attr_float(n, "cubic_coeff_a", -0.75f)),
		cg_i32(cg, ir_attr_int(n, "exclude_outside", 0)),
		cg_f32(cg, ir_attr_float(n, "extrapolation_value", 0.0f))};
	cg_call(cg, "kk_resize_f32", a, 14);
	return 0;
}

/* ---- GatherND / Scatter* ----------------------------------------------- */

int cg_lower_gathernd(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0], *I = n->in[1];
	int b = (int)ir_attr_int(n, "batch_dims", 0), q = I->shape.rank, r = X->shape.rank;
	int k = (int)I->shape.d[q - 1].c;
	LLVMValueRef dd[IR_MAX_RANK];
	for (int i = b; i < r; i++)
		dd[i - b] = cg_dim(cg, X->shape.d[i]);
	LLVMValueRef a[10] = {cg->a_ctx, esz(cg, X), cg_ptr(cg, X), cg_ptr(cg, I),
		cg_ptr(cg, n->out[0]), cg_span(cg, &X->shape, 0, b), cg_span(cg, &I->shape, b, q - 1),
		cg_i32(cg, k), cg_i32(cg, r - b), cg_i64_array(cg, dd, r - b)};
	cg_call_checked(cg, "kk_gathernd", a, 10);
	return 0;
}

static int reduction_code(cg_ctx *cg, const ir_node *n, int *red)
{
	const char *s = ir_attr_str(n, "reduction", "none");
	*red = !strcmp(s, "none") ? KK_SCATTER_NONE : !strcmp(s, "add") ? KK_SCATTER_ADD :
		!strcmp(s, "mul") ? KK_SCATTER_MUL : -1;
	if (*red < 0)
		return cg_fail(cg, "reduction '%s' is not supported", s);
	ir_dtype t = n->in[0]->dtype;
	if (*red && t != IR_F32 && t != IR_F64 && t != IR_I32 && t != IR_I64)
		return cg_fail(cg, "reduction on %s is not supported", ir_dtype_name(t));
	return 0;
}

/* out := data, as bytes. */
static void copy_data(cg_ctx *cg, const ir_value *x, const ir_value *y)
{
	cg_memcpy(cg, cg_ptr(cg, y), cg_ptr(cg, x),
		  LLVMBuildMul(cg->B, cg_numel(cg, &x->shape), esz(cg, x), ""));
}

int cg_lower_scatternd(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0], *I = n->in[1], *U = n->in[2], *Y = n->out[0];
	int red, q = I->shape.rank, r = X->shape.rank;
	if (reduction_code(cg, n, &red))
		return -1;
	if (q < 1 || !ir_dim_is_const(I->shape.d[q - 1]) || I->shape.d[q - 1].c > r)
		return cg_fail(cg, "indices must have a static last dim <= data rank");
	copy_data(cg, X, Y);
	LLVMValueRef dd[IR_MAX_RANK];
	cg_dims(cg, &X->shape, dd);
	LLVMValueRef a[11] = {cg->a_ctx, cg_i32(cg, X->dtype), esz(cg, X), cg_ptr(cg, Y),
		cg_ptr(cg, I), cg_ptr(cg, U), cg_span(cg, &I->shape, 0, q - 1),
		cg_i32(cg, I->shape.d[q - 1].c), cg_i32(cg, r), cg_i64_array(cg, dd, r),
		cg_i32(cg, red)};
	cg_call_checked(cg, "kk_scatternd", a, 11);
	return 0;
}

int cg_lower_scatter_elements(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0], *I = n->in[1], *U = n->in[2], *Y = n->out[0];
	int red, axis, r = X->shape.rank;
	if (reduction_code(cg, n, &red) || cg_norm_axis(cg, ir_attr_int(n, "axis", 0), r, &axis))
		return -1;
	copy_data(cg, X, Y);
	LLVMValueRef dd[IR_MAX_RANK], id[IR_MAX_RANK];
	cg_dims(cg, &X->shape, dd);
	cg_dims(cg, &I->shape, id);
	LLVMValueRef a[12] = {cg->a_ctx, cg_i32(cg, X->dtype), esz(cg, X), cg_ptr(cg, Y),
		cg_ptr(cg, I), cg_i32(cg, I->dtype), cg_ptr(cg, U), cg_i32(cg, r),
		cg_i64_array(cg, id, r), cg_i64_array(cg, dd, r), cg_i32(cg, axis), cg_i32(cg, red)};
	cg_call_checked(cg, "kk_scatter_elements", a, 12);
	return 0;
}

/* ---- Einsum ------------------------------------------------------------ */

/* Codes of one term: 0-51 letters, 52+8-ell+j ellipsis dims (right
 * aligned); returns the count or -1. */
static int ein_codes(const char *s, const char *e, int rank, int *codes, int *ne)
{
	int nl = 0, c = 0, seen = 0;
	for (const char *p = s; p < e; p++)
		nl += isalpha((unsigned char)*p) != 0;
	for (const char *p = s; p < e && c <= IR_MAX_RANK; p++) {
		if (*p == '.' && !seen && e - p >= 3 && !strncmp(p, "...", 3)) {
			int ell = rank - nl;
			if (ell < 0)
				return -1;
			*ne = *ne > ell ? *ne : ell;
			for (int j = 0; j < ell && c <= IR_MAX_RANK; j++)
				codes[c++] = 60 - ell + j;
			p += 2;
			seen = 1;
		} else if (isalpha((unsigned char)*p)) {
			codes[c++] = islower((unsigned char)*p) ? *p - 'a' : *p - 'A' + 26;
		} else if (*p != ' ') {
			return -1;
		}
	}
	return c > IR_MAX_RANK ? -1 : c;
}

/* Adds the dense strides of v (term codes) into strides[code]; dims of 1
 * against a larger letter extent broadcast (stride 0). */
static void ein_strides(const ir_value *v, const int *codes, const int64_t *ext, int64_t *strides)
{
	int64_t s = 1;
	for (int j = v->shape.rank - 1; j >= 0; j--) {
		int64_t dj = v->shape.d[j].c;
		if (!(dj == 1 && ext[codes[j]] > 1))
			strides[codes[j]] += s;
		s *= dj;
	}
}

/* Output codes: the explicit term after arrow, or (no arrow) the ellipsis
 * dims then the letters used once, in alphabetical order. Returns the count
 * or -1. */
static int ein_output(const char *arrow, int (*codes)[IR_MAX_RANK + 1], const int *nc,
		      int nops, int ne, int *oc)
{
	int no = 0, cnt[60] = {0};
	for (int i = 0; i < nops; i++)
		for (int j = 0; j < nc[i]; j++)
			cnt[codes[i][j]]++;
	if (arrow) {
		int nlet = 0, e0 = ne;
		for (const char *q = arrow + 2; *q; q++)
			nlet += isalpha((unsigned char)*q) != 0;
		return ein_codes(arrow + 2, arrow + strlen(arrow),
				 nlet + (strstr(arrow, "...") ? e0 : 0), oc, &ne);
	}
	for (int j = 60 - ne; j < 60; j++)
		oc[no++] = j;
	for (int j = 0; j < 52 && no <= IR_MAX_RANK; j++)
		if (cnt[j] == 1)
			oc[no++] = j;
	return no;
}

int cg_lower_einsum(cg_ctx *cg, const ir_node *n)
{
	const char *eq = ir_attr_str(n, "equation", "");
	const ir_value *Y = n->out[0];
	int codes[4][IR_MAX_RANK + 1], nc[4], ne = 0, nops = n->nin;
	int64_t ext[60] = {0}, st[4][60] = {{0}};
	ir_dtype t = Y->dtype;
	if (t != IR_F32 && t != IR_F64 && t != IR_I32 && t != IR_I64)
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(t));
	const char *arrow = strstr(eq, "->"), *end = arrow ? arrow : eq + strlen(eq), *p = eq;
	for (int i = 0; i < nops; i++) {
		if (static_shape(cg, n->in[i]))
			return -1;
		const char *q = memchr(p, ',', (size_t)(end - p));
		q = q ? q : end;
		nc[i] = ein_codes(p, q, n->in[i]->shape.rank, codes[i], &ne);
		if (nc[i] != n->in[i]->shape.rank)
			return cg_fail(cg, "equation term %d does not match the input rank", i);
		for (int j = 0; j < nc[i]; j++)
			if (n->in[i]->shape.d[j].c > ext[codes[i][j]] || !ext[codes[i][j]])
				ext[codes[i][j]] = n->in[i]->shape.d[j].c;
		p = q + 1;
	}
	int *oc = codes[3], no = ein_output(arrow, codes, nc, nops, ne, oc);
	if (no != Y->shape.rank || static_shape(cg, Y))
		return cg_fail(cg, "output term does not match the output rank");
	for (int i = 0; i < nops; i++)
		ein_strides(n->in[i], codes[i], ext, st[i]);
	int64_t s = 1, ys[60] = {0};
	for (int j = no - 1; j >= 0; j--) {
		ys[oc[j]] += s;
		s *= Y->shape.d[j].c;
	}
	/* Compact to the letters in use. */
	LLVMValueRef dims[60], ss[4][60], yv[60];
	int nl = 0;
	for (int c = 0; c < 60; c++) {
		if (!ext[c])
			continue;
		dims[nl] = cg_i64(cg, ext[c]);
		for (int i = 0; i < 3; i++)
			ss[i][nl] = cg_i64(cg, i < nops ? st[i][c] : 0);
		yv[nl++] = cg_i64(cg, ys[c]);
	}
	if (nl > 32)
		return cg_fail(cg, "too many index letters");
	LLVMValueRef a[15] = {cg->a_ctx, cg_i32(cg, t), cg_i32(cg, nops), cg_ptr(cg, n->in[0]),
		nops > 1 ? cg_ptr(cg, n->in[1]) : cg_null(cg),
		nops > 2 ? cg_ptr(cg, n->in[2]) : cg_null(cg), cg_ptr(cg, Y),
		cg_numel(cg, &Y->shape), cg_i32(cg, nl), cg_i64_array(cg, dims, nl),
		cg_i64_array(cg, ss[0], nl), cg_i64_array(cg, ss[1], nl),
		cg_i64_array(cg, ss[2], nl), cg_i64_array(cg, yv, nl)};
	cg_call(cg, "kk_einsum", a, 14);
	return 0;
}

/* ---- ReverseSequence, Det, MaxUnpool, RoiAlign ------------------------ */

int cg_lower_reverse_sequence(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0];
	int r = X->shape.rank, ba, ta;
	if (cg_norm_axis(cg, ir_attr_int(n, "batch_axis", 1), r, &ba) ||
	    cg_norm_axis(cg, ir_attr_int(n, "time_axis", 0), r, &ta))
		return -1;
	if (ba == ta)
		return cg_fail(cg, "batch_axis and time_axis must differ");
	LLVMValueRef dd[IR_MAX_RANK];
	cg_dims(cg, &X->shape, dd);
	LLVMValueRef a[9] = {cg->a_ctx, esz(cg, X), cg_ptr(cg, X), cg_ptr(cg, n->out[0]),
		cg_i32(cg, r), cg_i64_array(cg, dd, r), cg_i32(cg, ba), cg_i32(cg, ta),
		cg_ptr(cg, n->in[1])};
	cg_call_checked(cg, "kk_reverse_sequence", a, 9);
	return 0;
}

int cg_lower_det(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0];
	int r = X->shape.rank;
	const char *k = X->dtype == IR_F32 ? "kk_det_f32" : X->dtype == IR_F64 ? "kk_det_f64" : NULL;
	if (!k)
		return cg_fail(cg, "element type %s is not supported", ir_dtype_name(X->dtype));
	ir_dim nd = X->shape.d[r - 1];
	if (!ir_dim_is_const(nd) || nd.c > 64)
		return cg_fail(cg, "matrices must be static and at most 64 x 64");
	LLVMValueRef a[5] = {cg->a_ctx, cg_ptr(cg, X), cg_ptr(cg, n->out[0]),
		cg_span(cg, &X->shape, 0, r - 2), cg_dim(cg, X->shape.d[r - 1])};
	cg_call(cg, k, a, 5);
	return 0;
}

int cg_lower_maxunpool(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0], *Y = n->out[0];
	int r = X->shape.rank, sr = r - 2;
	const int64_t *k;
	int64_t s[IR_MAX_RANK], p[2 * IR_MAX_RANK] = {0};
	if (ir_attr_ints(n, "kernel_shape", &k) != sr || static_shape(cg, X) || static_shape(cg, Y))
		return cg_fail(cg, "needs kernel_shape and static shapes");
	for (int i = 0; i < sr; i++)
		s[i] = 1;
	ir_attr_ints_into(n, "strides", s, sr);
	ir_attr_ints_into(n, "pads", p, 2 * sr);
	/* Default output shape: the indices are flat positions in it. */
	LLVMValueRef def[IR_MAX_RANK], od[IR_MAX_RANK];
	cg_dims(cg, &Y->shape, od);
	def[0] = cg_dim(cg, X->shape.d[0]);
	def[1] = cg_dim(cg, X->shape.d[1]);
	for (int i = 0; i < sr; i++)
		def[2 + i] = cg_i64(cg, (X->shape.d[2 + i].c - 1) * s[i] + k[i] - p[i] - p[sr + i]);
	LLVMValueRef a[9] = {cg->a_ctx, esz(cg, X), cg_ptr(cg, X), cg_ptr(cg, n->in[1]),
		cg_ptr(cg, Y), cg_numel(cg, &X->shape), cg_i32(cg, r), cg_i64_array(cg, def, r),
		cg_i64_array(cg, od, r)};
	cg_call_checked(cg, "kk_maxunpool", a, 9);
	return 0;
}

int cg_lower_roialign(cg_ctx *cg, const ir_node *n)
{
	const ir_value *X = n->in[0], *R = n->in[1], *Y = n->out[0];
	const char *mode = ir_attr_str(n, "mode", "avg");
	const char *ctm = ir_attr_str(n, "coordinate_transformation_mode", "half_pixel");
	int half = n->opset >= 16 && strcmp(ctm, "output_half_pixel") != 0;
	if (strcmp(mode, "avg") && strcmp(mode, "max"))
		return cg_fail(cg, "mode '%s' is not supported", mode);
	LLVMValueRef a[17] = {cg->a_ctx, cg_ptr(cg, X), cg_ptr(cg, R), cg_ptr(cg, n->in[2]),
		cg_ptr(cg, Y), cg_dim(cg, X->shape.d[0]), cg_dim(cg, X->shape.d[1]),
		cg_dim(cg, X->shape.d[2]), cg_dim(cg, X->shape.d[3]), cg_dim(cg, R->shape.d[0]),
		cg_dim(cg, Y->shape.d[2]), cg_dim(cg, Y->shape.d[3]),
		cg_i32(cg, !strcmp(mode, "max")), cg_f32(cg, ir_attr_float(n, "spatial_scale", 1.0f)),
		cg_i64(cg, ir_attr_int(n, "sampling_ratio", 0)), cg_i32(cg, half)};
	cg_call_checked(cg, "kk_roialign_f32", a, 16);
	return 0;
}
