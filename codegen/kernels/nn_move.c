/* nn_move.c — dtype-agnostic data movement: strided copy (Transpose, Slice,
 * Expand, Concat/Split pieces), Tile, Gather, GatherElements, Pad, Range and
 * Fill. Elements are moved as 1/2/4/8-byte integers (or byte copies for
 * other sizes); contiguous runs become memcpy. Contracts in kk_nn.h. */
#include <string.h>
#include <assert.h>
#include "kk_nn.h"
#include "kk_par.h"

/* n elements from s (stride ss elements) to d (stride ds). */
static inline void kk__row(int64_t es, int64_t n, const char *restrict s, int64_t ss,
	char *restrict d, int64_t ds)
{
	if (ss == 1 && ds == 1) {
		memcpy(d, s, (size_t)(n * es));
		return;
	}
#define KK__ROWT(T) { \
		const T *sp = (const T *)(const void *)s; \
		T *dp = (T *)(void *)d; \
		for (int64_t j = 0; j < n; j++) \
			dp[j * ds] = sp[j * ss]; \
		return; }
	switch (es) {
	case 1: KK__ROWT(uint8_t)
	case 2: KK__ROWT(uint16_t)
	case 4: KK__ROWT(uint32_t)
	case 8: KK__ROWT(uint64_t)
	default:
		for (int64_t j = 0; j < n; j++)
			memcpy(d + j * ds * es, s + j * ss * es, (size_t)es);
	}
#undef KK__ROWT
}

/* Drops unit dims and merges dims that are contiguous in both src and dst;
 * returns the new rank (>= 1) with dims/strides in the out arrays. */
static int32_t kk__coalesce(int32_t rank, const int64_t *dims, const int64_t *ss,
	const int64_t *ds, int64_t *od, int64_t *os, int64_t *ods)
{
	int32_t r = 0;
	for (int32_t k = 0; k < rank; k++) {
		if (dims[k] == 1)
			continue;
		if (r > 0 && os[r - 1] == ss[k] * dims[k] && ods[r - 1] == ds[k] * dims[k]) {
			od[r - 1] *= dims[k];
			os[r - 1] = ss[k];
			ods[r - 1] = ds[k];
			continue;
		}
		od[r] = dims[k];
		os[r] = ss[k];
		ods[r] = ds[k];
		r++;
	}
	if (r == 0) {
		od[0] = 1;
		os[0] = ods[0] = 0;
		r = 1;
	}
	return r;
}

/* Transpose-like tile copy of dims (t, inner) where src is contiguous along
 * t and dst along inner: 16x16 blocks keep both sides cache friendly. */
static void kk__tile2d(int64_t es, int64_t nt, int64_t ni, const char *s,
	int64_t sst, int64_t ssi, char *d, int64_t dst_, int64_t dsi)
{
	for (int64_t t0 = 0; t0 < nt; t0 += 16)
		for (int64_t i0 = 0; i0 < ni; i0 += 16) {
			int64_t t1 = t0 + 16 < nt ? t0 + 16 : nt;
			int64_t i1 = i0 + 16 < ni ? i0 + 16 : ni;
			for (int64_t t = t0; t < t1; t++)
				kk__row(es, i1 - i0, s + (t * sst + i0 * ssi) * es, ssi,
					d + (t * dst_ + i0 * dsi) * es, dsi);
		}
}

/* A kk_copy_strided call split along axis ax (its first non-unit dim), or
 * a kk_gather call split over its (outer, index) rows. */
typedef struct {
	int64_t es, ax;
	int32_t rank, index_dtype;
	const int64_t *dims, *ss, *ds;
	const char *src;
	char *dst;
	const void *indices;
	int64_t axis_len, rowb, n_indices;
} kk__move_job;

static void kk__copy_part(void *vp, int64_t b, int64_t e)
{
	const kk__move_job *j = vp;
	int64_t d[KK_MAX_RANK];
	int32_t r = j->rank - (int32_t)j->ax;
	for (int32_t k = 0; k < r; k++)
		d[k] = j->dims[j->ax + k];
	d[0] = e - b;
	kk_copy_strided(NULL, j->es, r, d, j->src + b * j->ss[j->ax] * j->es,
		j->ss + j->ax, j->dst + b * j->ds[j->ax] * j->es, j->ds + j->ax);
}

/* Runs a big copy in parallel; returns 0 to let the caller copy serially. */
static int kk__copy_par(kiln_rt_ctx *ctx, kk__move_job *j)
{
	if (!ctx || ctx->threads <= 1 || j->rank == 0)
		return 0;
	int32_t ax = 0;
	while (ax < j->rank - 1 && j->dims[ax] == 1)
		ax++;
	int64_t inner = 1;
	for (int32_t k = ax + 1; k < j->rank; k++)
		inner *= j->dims[k];
	int64_t g = kk_par_grain(KK_PAR_MIN_ELEMS * 2, inner);
	if (kk_par_tasks(ctx, j->dims[ax], g, 1) <= 1)
		return 0;
	j->ax = ax;
	kk_par_for(ctx, j->dims[ax], g, kk__copy_part, j);
	return 1;
}

void kk_copy_strided(kiln_rt_ctx *ctx, int64_t elem_size, int32_t rank,
	const int64_t *dims, const void *src, const int64_t *src_strides,
	void *dst, const int64_t *dst_strides)
{
	int64_t d[KK_MAX_RANK], ss[KK_MAX_RANK], ds[KK_MAX_RANK], idx[KK_MAX_RANK];
	assert(rank >= 0 && rank <= KK_MAX_RANK);
	for (int32_t k = 0; k < rank; k++)
		if (dims[k] == 0)
			return;
	if (ctx && ctx->threads > 1) {
		kk__move_job j = {.es = elem_size, .rank = rank, .dims = dims,
			.ss = src_strides, .ds = dst_strides, .src = src, .dst = dst};
		if (kk__copy_par(ctx, &j))
			return;
	}
	int32_t r = kk__coalesce(rank, dims, src_strides, dst_strides, d, ss, ds);
	int32_t t = -1;     /* a dim contiguous in src when dst's inner is not */
	for (int32_t k = 0; k < r - 1 && ds[r - 1] == 1 && ss[r - 1] != 1; k++)
		if (ss[k] == 1 && d[k] >= 8 && d[r - 1] >= 8)
			t = k;
	const char *s = src;
	char *o = dst;
	for (int32_t k = 0; k < r; k++)
		idx[k] = 0;
	int64_t soff = 0, doff = 0;
	for (;;) {
		if (t >= 0)
			kk__tile2d(elem_size, d[t], d[r - 1], s + soff * elem_size, ss[t],
				ss[r - 1], o + doff * elem_size, ds[t], ds[r - 1]);
		else
			kk__row(elem_size, d[r - 1], s + soff * elem_size, ss[r - 1],
				o + doff * elem_size, ds[r - 1]);
		int32_t k = r - 2;
		for (; k >= 0; k--) {
			if (k == t)
				continue;
			soff += ss[k];
			doff += ds[k];
			if (++idx[k] < d[k])
				break;
			soff -= ss[k] * d[k];
			doff -= ds[k] * d[k];
			idx[k] = 0;
		}
		if (k < 0)
			return;
	}
}

void kk_tile(kiln_rt_ctx *ctx, int64_t elem_size, int32_t rank,
	const int64_t *out_dims, const int64_t *in_dims, const void *src, void *dst)
{
	int64_t ost[KK_MAX_RANK], ist[KK_MAX_RANK], idx[KK_MAX_RANK];
	assert(rank >= 0 && rank <= KK_MAX_RANK);
	if (rank == 0) {
		memcpy(dst, src, (size_t)elem_size);
		return;
	}
	for (int32_t k = 0; k < rank; k++)
		if (out_dims[k] == 0)
			return;
	int64_t so = 1, si = 1;
	for (int32_t k = rank - 1; k >= 0; k--) {
		ost[k] = so;
		ist[k] = si;
		so *= out_dims[k];
		si *= in_dims[k];
		idx[k] = 0;
	}
	int64_t ni = in_dims[rank - 1], no = out_dims[rank - 1];
	int64_t rowb = ni * elem_size;
	const char *s = src;
	char *o = dst;
	int64_t soff = 0, doff = 0;
	for (;;) {
		for (int64_t j = 0; j < no; j += ni)
			memcpy(o + (doff + j) * elem_size, s + soff * elem_size, (size_t)rowb);
		int32_t k = rank - 2;
		for (; k >= 0; k--) {
			doff += ost[k];
			soff += ist[k];
			if (++idx[k] % in_dims[k] == 0)
				soff -= ist[k] * in_dims[k];
			if (idx[k] < out_dims[k])
				break;
			doff -= ost[k] * out_dims[k];
			idx[k] = 0;
		}
		if (k < 0)
			return;
	}
}

static inline int64_t kk__index_at(const void *indices, int32_t dtype, int64_t j)
{
	if (dtype == 6)
		return ((const int32_t *)indices)[j];
	assert(dtype == 7);
	return ((const int64_t *)indices)[j];
}

/* Gather rows [b, e) of the flattened (outer, n_indices) output; indices
 * already validated. */
static void kk__gather_part(void *vp, int64_t b, int64_t e)
{
	const kk__move_job *j = vp;
	for (int64_t r = b; r < e; r++) {
		int64_t a = r / j->n_indices;
		int64_t ix = kk__index_at(j->indices, j->index_dtype, r % j->n_indices);
		ix += ix < 0 ? j->axis_len : 0;
		memcpy(j->dst + r * j->rowb, j->src + (a * j->axis_len + ix) * j->rowb,
			(size_t)j->rowb);
	}
}

int32_t kk_gather(kiln_rt_ctx *ctx, int64_t elem_size, const void *data,
	const void *indices, int32_t index_dtype, void *out,
	int64_t outer, int64_t axis_len, int64_t inner, int64_t n_indices)
{
	for (int64_t j = 0; j < n_indices; j++) {
		int64_t ix = kk__index_at(indices, index_dtype, j);
		if (ix < -axis_len || ix >= axis_len)
			return KILN_RUN_INDEX;
	}
	const char *s = data;
	char *o = out;
	int64_t rowb = inner * elem_size;
	int64_t gr = kk_par_grain(KK_PAR_MIN_ELEMS * 2, inner);
	if (kk_par_tasks(ctx, outer * n_indices, gr, 1) > 1) {
		kk__move_job jb = {.es = elem_size, .index_dtype = index_dtype, .src = data,
			.dst = out, .indices = indices, .axis_len = axis_len, .rowb = rowb,
			.n_indices = n_indices};
		kk_par_for(ctx, outer * n_indices, gr, kk__gather_part, &jb);
		return KILN_RUN_OK;
	}
	for (int64_t a = 0; a < outer; a++)
		for (int64_t j = 0; j < n_indices; j++) {
			int64_t ix = kk__index_at(indices, index_dtype, j);
			ix += ix < 0 ? axis_len : 0;
			memcpy(o + (a * n_indices + j) * rowb, s + (a * axis_len + ix) * rowb,
				(size_t)rowb);
		}
	return KILN_RUN_OK;
}

int32_t kk_gather_elements(kiln_rt_ctx *ctx, int64_t elem_size, const void *data,
	const void *indices, int32_t index_dtype, void *out, int32_t rank,
	const int64_t *out_dims, const int64_t *data_dims, int32_t axis)
{
	int64_t dst[KK_MAX_RANK], idx[KK_MAX_RANK], total = 1;
	assert(rank >= 1 && rank <= KK_MAX_RANK && axis >= 0 && axis < rank);
	for (int32_t k = rank - 1; k >= 0; k--) {
		dst[k] = k == rank - 1 ? 1 : dst[k + 1] * data_dims[k + 1];
		idx[k] = 0;
		total *= out_dims[k];
	}
	const char *s = data;
	char *o = out;
	int64_t base = 0, alen = data_dims[axis];
	for (int64_t e = 0; e < total; e++) {
		int64_t ix = kk__index_at(indices, index_dtype, e);
		if (ix < -alen || ix >= alen)
			return KILN_RUN_INDEX;
		ix += ix < 0 ? alen : 0;
		memcpy(o + e * elem_size, s + (base + ix * dst[axis]) * elem_size,
			(size_t)elem_size);
		for (int32_t k = rank - 1; k >= 0; k--) {
			if (k != axis)
				base += dst[k];
			if (++idx[k] < out_dims[k])
				break;
			if (k != axis)
				base -= dst[k] * out_dims[k];
			idx[k] = 0;
		}
	}
	return KILN_RUN_OK;
}

/* Input position of output position o on an axis of n input elements, or
 * -1 for a constant-padded position. */
static inline int64_t kk__pad_map(int32_t mode, int64_t o, int64_t pb, int64_t n)
{
	int64_t i = o - pb;
	if (i >= 0 && i < n)
		return i;
	if (mode == KK_PAD_CONSTANT)
		return -1;
	if (mode == KK_PAD_EDGE || n == 1)
		return i < 0 ? 0 : n - 1;
	int64_t period = 2 * (n - 1);    /* reflect: ... 2 1 [0 1 .. n-1] n-2 ... */
	i %= period;
	i += i < 0 ? period : 0;
	return i < n ? i : period - i;
}

/* Fills count elements at d with the constant (or zero bytes). */
static void kk__pad_const(int64_t es, char *d, int64_t count, const void *cv)
{
	if (cv == NULL) {
		memset(d, 0, (size_t)(count * es));
		return;
	}
	kk_fill(NULL, es, cv, d, count);
}

/* One output row: middle copied, the sides padded per mode. */
static void kk__pad_row(int64_t es, int32_t mode, int64_t ni, int64_t no, int64_t pb,
	const char *s, char *d, const void *cv)
{
	int64_t lo = pb < 0 ? 0 : pb > no ? no : pb;
	int64_t hi = pb + ni < no ? pb + ni : no;
	if (hi < lo)
		hi = lo;
	if (hi > lo)
		memcpy(d + lo * es, s + (lo - pb) * es, (size_t)((hi - lo) * es));
	if (mode == KK_PAD_CONSTANT) {
		kk__pad_const(es, d, lo, cv);
		kk__pad_const(es, d + hi * es, no - hi, cv);
		return;
	}
	for (int64_t o = 0; o < lo; o++)
		memcpy(d + o * es, s + kk__pad_map(mode, o, pb, ni) * es, (size_t)es);
	for (int64_t o = hi; o < no; o++)
		memcpy(d + o * es, s + kk__pad_map(mode, o, pb, ni) * es, (size_t)es);
}

void kk_pad(kiln_rt_ctx *ctx, int64_t elem_size, int32_t mode, int32_t rank,
	const int64_t *in_dims, const int64_t *out_dims, const int64_t *pads_begin,
	const void *src, void *dst, const void *constant_value)
{
	int64_t ist[KK_MAX_RANK], idx[KK_MAX_RANK], rows = 1;
	assert(rank >= 0 && rank <= KK_MAX_RANK);
	if (rank == 0) {
		memcpy(dst, src, (size_t)elem_size);
		return;
	}
	for (int32_t k = rank - 1; k >= 0; k--) {
		ist[k] = k == rank - 1 ? 1 : ist[k + 1] * in_dims[k + 1];
		idx[k] = 0;
		if (k < rank - 1)
			rows *= out_dims[k];
	}
	int64_t no = out_dims[rank - 1], ni = in_dims[rank - 1];
	const char *s = src;
	char *o = dst;
	for (int64_t r = 0; no > 0 && r < rows; r++) {
		int64_t soff = 0, inside = 1;
		for (int32_t k = 0; k < rank - 1; k++) {
			int64_t i = kk__pad_map(mode, idx[k], pads_begin[k], in_dims[k]);
			inside &= i >= 0;
			soff += i * ist[k];
		}
		char *d = o + r * no * elem_size;
		if (inside)
			kk__pad_row(elem_size, mode, ni, no, pads_begin[rank - 1],
				s + soff * elem_size, d, constant_value);
		else
			kk__pad_const(elem_size, d, no, constant_value);
		for (int32_t k = rank - 2; k >= 0; k--) {
			if (++idx[k] < out_dims[k])
				break;
			idx[k] = 0;
		}
	}
}

void kk_range(kiln_rt_ctx *ctx, int32_t dtype, const void *start,
	const void *delta, void *out, int64_t n)
{
#define KK__RANGE(T, U) { \
		U s0, dl; \
		T t0, t1; \
		memcpy(&t0, start, sizeof t0); \
		memcpy(&t1, delta, sizeof t1); \
		s0 = (U)t0; \
		dl = (U)t1; \
		T *y = out; \
		for (int64_t i = 0; i < n; i++) \
			y[i] = (T)(s0 + (U)i * dl); \
		return; }
	switch (dtype) {
	case 1: KK__RANGE(float, float)
	case 11: KK__RANGE(double, double)
	case 2: KK__RANGE(uint8_t, uint32_t)
	case 3: KK__RANGE(int8_t, uint32_t)
	case 4: KK__RANGE(uint16_t, uint32_t)
	case 5: KK__RANGE(int16_t, uint32_t)
	case 6: KK__RANGE(int32_t, uint32_t)
	case 12: KK__RANGE(uint32_t, uint32_t)
	case 7: KK__RANGE(int64_t, uint64_t)
	case 13: KK__RANGE(uint64_t, uint64_t)
	default:
		assert(!"kk_range: unsupported dtype");
	}
#undef KK__RANGE
}

void kk_fill(kiln_rt_ctx *ctx, int64_t elem_size, const void *value, void *dst,
	int64_t n)
{
#define KK__FILLT(T) { \
		T v; \
		memcpy(&v, value, sizeof v); \
		T *d = dst; \
		for (int64_t i = 0; i < n; i++) \
			d[i] = v; \
		return; }
	switch (elem_size) {
	case 1: KK__FILLT(uint8_t)
	case 2: KK__FILLT(uint16_t)
	case 4: KK__FILLT(uint32_t)
	case 8: KK__FILLT(uint64_t)
	default:
		for (int64_t i = 0; i < n; i++)
			memcpy((char *)dst + i * elem_size, value, (size_t)elem_size);
	}
#undef KK__FILLT
}
