/* ext_a.c — kernels of "ops wave A" (contracts in kk_ext_a.h): the two
 * losses (NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss), Trilu,
 * CumSum, Shrink, EyeLike, OneHot, MeanVarianceNormalization and TopK.
 * Elements are read and written through small dtype switches in double
 * (floats) or int64 (integers); LLVM specialises each call site. */
#include <assert.h>
#include <math.h>
#include <string.h>
#include "kk_elem.h"
#include "kk_ext_a.h"
#include "kk_math.h"

static int64_t kk__geti(int32_t dt, const void *p, int64_t i)
{
	if (dt == KK_DT_I64)
		return ((const int64_t *)p)[i];
	if (dt == KK_DT_I32)
		return ((const int32_t *)p)[i];
	return (int64_t)kk_elem_get(dt, p, i);
}

/* ---- losses ---- */

/* Sums of the loss and weights; writes loss per (n, d) when none != NULL. */
static int32_t kk__nll(int32_t dt, const void *x, const void *target, int32_t tdt,
	const void *weight, void *none, int64_t N, int64_t C, int64_t D, int64_t ii,
	double *lsum, double *wsum)
{
	double ls = 0, ws = 0;
	for (int64_t n = 0; n < N; n++)
		for (int64_t d = 0; d < D; d++) {
			int64_t t = kk__geti(tdt, target, n * D + d);
			double l = 0;
			if (t != ii) {
				if (t < 0 || t >= C)
					return KILN_RUN_INDEX;
				double w = weight ? kk_elem_get(dt, weight, t) : 1.0;
				l = -kk_elem_get(dt, x, (n * C + t) * D + d) * w;
				ws += w;
			}
			ls += l;
			if (none)
				kk_elem_set(dt, none, n * D + d, l);
		}
	*lsum = ls;
	*wsum = ws;
	return KILN_RUN_OK;
}

int32_t kk_nll_loss(kiln_rt_ctx *ctx, int32_t dtype, const void *x, const void *target,
	int32_t tdtype, const void *weight, void *loss, int64_t N, int64_t C, int64_t D,
	int64_t ignore_index, int32_t reduction)
{
	(void)ctx;
	double ls, ws;
	int32_t rc = kk__nll(dtype, x, target, tdtype, weight,
		reduction == KK_LOSS_NONE ? loss : NULL, N, C, D, ignore_index, &ls, &ws);
	if (rc != KILN_RUN_OK || reduction == KK_LOSS_NONE)
		return rc;
	kk_elem_set(dtype, loss, 0, reduction == KK_LOSS_SUM ? ls : ls / ws);
	return KILN_RUN_OK;
}

/* log_softmax of x[n, :, d] into lp (dtype dt) for every n, d. */
static void kk__log_softmax(int32_t dt, const void *x, void *lp, int64_t N, int64_t C,
	int64_t D)
{
	for (int64_t n = 0; n < N; n++)
		for (int64_t d = 0; d < D; d++) {
			int64_t base = n * C * D + d;
			double mx = -INFINITY, s = 0;
			for (int64_t c = 0; c < C; c++) {
				double v = kk_elem_get(dt, x, base + c * D);
				mx = v > mx ? v : mx;
			}
			for (int64_t c = 0; c < C; c++)
				s += exp(kk_elem_get(dt, x, base + c * D) - mx);
			double ls = log(s);
			for (int64_t c = 0; c < C; c++)
				kk_elem_set(dt, lp, base + c * D, kk_elem_get(dt, x, base + c * D) - mx - ls);
		}
}

int32_t kk_sce_loss(kiln_rt_ctx *ctx, int32_t dtype, const void *x, const void *target,
	int32_t tdtype, const void *weight, void *loss, void *log_prob, int64_t N, int64_t C,
	int64_t D, int64_t ignore_index, int32_t reduction)
{
	if (log_prob) {
		kk__log_softmax(dtype, x, log_prob, N, C, D);
		return kk_nll_loss(ctx, dtype, log_prob, target, tdtype, weight, loss, N, C, D,
			ignore_index, reduction);
	}
	/* No log_prob buffer: compute the log-softmax entry of the target only. */
	double ls = 0, ws = 0;
	for (int64_t n = 0; n < N; n++)
		for (int64_t d = 0; d < D; d++) {
			int64_t t = kk__geti(tdtype, target, n * D + d), base = n * C * D + d;
			double l = 0;
			if (t != ignore_index) {
				if (t < 0 || t >= C)
					return KILN_RUN_INDEX;
				double mx = -INFINITY, s = 0;
				for (int64_t c = 0; c < C; c++) {
					double v = kk_elem_get(dtype, x, base + c * D);
					mx = v > mx ? v : mx;
				}
				for (int64_t c = 0; c < C; c++)
					s += exp(kk_elem_get(dtype, x, base + c * D) - mx);
				double w = weight ? kk_elem_get(dtype, weight, t) : 1.0;
				double lp = kk_elem_get(dtype, x, base + t * D) - mx - log(s);
				if (dtype == KK_DT_F32)
					lp = (float)lp; /* as if stored in log_prob */
				l = -lp * w;
				ws += w;
			}
			ls += l;
			if (reduction == KK_LOSS_NONE)
				kk_elem_set(dtype, loss, n * D + d, l);
		}
	if (reduction != KK_LOSS_NONE)
		kk_elem_set(dtype, loss, 0, reduction == KK_LOSS_SUM ? ls : ls / ws);
	return KILN_RUN_OK;
}

/* ---- Trilu, CumSum, Shrink, EyeLike, OneHot ---- */

void kk_trilu(kiln_rt_ctx *ctx, int64_t elem_size, const void *x, void *y, int64_t batch,
	int64_t rows, int64_t cols, const void *kptr, int32_t kdtype, int32_t upper)
{
	(void)ctx;
	int64_t k = kptr ? kk__geti(kdtype, kptr, 0) : 0;
	const char *s = x;
	char *d = y;
	for (int64_t b = 0; b < batch; b++)
		for (int64_t i = 0; i < rows; i++) {
			int64_t off = ((b * rows) + i) * cols * elem_size;
			for (int64_t j = 0; j < cols; j++) {
				int keep = upper ? j - i >= k : j - i <= k;
				char *dp = d + off + j * elem_size;
				if (keep) {
					if (dp != s + off + j * elem_size)
						memcpy(dp, s + off + j * elem_size, (size_t)elem_size);
				} else {
					memset(dp, 0, (size_t)elem_size);
				}
			}
		}
}

int32_t kk_cumsum(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, int32_t rank,
	const int64_t *dims, const void *axis_ptr, int32_t adtype, int32_t exclusive,
	int32_t reverse)
{
	(void)ctx;
	int32_t r = rank ? rank : 1;
	int64_t axis = kk__geti(adtype, axis_ptr, 0);
	if (axis < -r || axis >= r)
		return KILN_RUN_VALUE;
	if (axis < 0)
		axis += r;
	int64_t outer = 1, len = rank ? dims[axis] : 1, inner = 1;
	for (int32_t i = 0; i < rank; i++) {
		if (i < axis)
			outer *= dims[i];
		else if (i > axis)
			inner *= dims[i];
	}
	int isint = dtype != KK_DT_F32 && dtype != KK_DT_F64;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t in = 0; in < inner; in++) {
			double acc = 0;
			int64_t iacc = 0;
			for (int64_t j0 = 0; j0 < len; j0++) {
				int64_t j = reverse ? len - 1 - j0 : j0;
				int64_t e = (o * len + j) * inner + in;
				if (isint) {
					int64_t v = kk__geti(dtype, x, e);
					if (!exclusive)
						iacc += v;
					if (dtype == KK_DT_I64 || dtype == KK_DT_U64)
						((int64_t *)y)[e] = iacc;
					else
						kk_elem_set(dtype, y, e, (double)iacc);
					if (exclusive)
						iacc += v;
				} else {
					double v = kk_elem_get(dtype, x, e);
					if (!exclusive)
						acc += v;
					kk_elem_set(dtype, y, e, acc);
					if (exclusive)
						acc += v;
				}
			}
		}
	return KILN_RUN_OK;
}

void kk_shrink(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, int64_t n,
	float lambd, float bias)
{
	(void)ctx;
	for (int64_t i = 0; i < n; i++) {
		double v = kk_elem_get(dtype, x, i);
		double r = v < -(double)lambd ? v + bias : v > (double)lambd ? v - bias : 0.0;
		kk_elem_set(dtype, y, i, r);
	}
}

void kk_eyelike(kiln_rt_ctx *ctx, int32_t dtype, void *y, int64_t rows, int64_t cols,
	int64_t k)
{
	(void)ctx;
	for (int64_t i = 0; i < rows; i++)
		for (int64_t j = 0; j < cols; j++)
			kk_elem_set(dtype, y, i * cols + j, j - i == k ? 1.0 : 0.0);
}

void kk_onehot(kiln_rt_ctx *ctx, int32_t idtype, const void *indices, int64_t elem_size,
	const void *values, void *y, int64_t outer, int64_t depth, int64_t inner)
{
	(void)ctx;
	const char *off = values, *on = (const char *)values + elem_size;
	char *out = y;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t i = 0; i < inner; i++) {
			int64_t idx = kk__geti(idtype, indices, o * inner + i);
			if (idx < 0)
				idx += depth;
			for (int64_t d = 0; d < depth; d++)
				memcpy(out + ((o * depth + d) * inner + i) * elem_size,
				       d == idx ? on : off, (size_t)elem_size);
		}
}

/* ---- MeanVarianceNormalization ---- */

/* Offsets of the elements of one group: odometer over the masked axes. */
static int kk__next(int32_t rank, const int64_t *dims, const int32_t *mask, int32_t want,
	int64_t *idx)
{
	for (int32_t k = rank - 1; k >= 0; k--) {
		if ((mask[k] != 0) != want)
			continue;
		if (++idx[k] < dims[k])
			return 1;
		idx[k] = 0;
	}
	return 0;
}

static int64_t kk__flat(int32_t rank, const int64_t *dims, const int64_t *idx)
{
	int64_t e = 0;
	for (int32_t k = 0; k < rank; k++)
		e = e * dims[k] + idx[k];
	return e;
}

void kk_mvn(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *y, int32_t rank,
	const int64_t *dims, const int32_t *mask)
{
	(void)ctx;
	int64_t idx[8] = {0};
	assert(rank <= 8);
	for (int32_t k = 0; k < rank; k++)
		if (dims[k] == 0)
			return;
	do {
		double s = 0, s2 = 0, cnt = 0;
		do {
			double v = kk_elem_get(dtype, x, kk__flat(rank, dims, idx));
			s += v;
			s2 += v * v;
			cnt += 1;
		} while (kk__next(rank, dims, mask, 1, idx));
		double mean = s / cnt, var = s2 / cnt - mean * mean;
		double den = sqrt(var > 0 ? var : 0) + 1e-9;
		do {
			int64_t e = kk__flat(rank, dims, idx);
			kk_elem_set(dtype, y, e, (kk_elem_get(dtype, x, e) - mean) / den);
		} while (kk__next(rank, dims, mask, 1, idx));
	} while (kk__next(rank, dims, mask, 0, idx));
}

/* ---- TopK ---- */

/* 1 when (va, ia) comes before (vb, ib) in the output order. */
static int kk__before(double va, int64_t ia, double vb, int64_t ib, int32_t largest)
{
	int na = va != va, nb = vb != vb;
	if (na || nb) {
		if (na && nb)
			return ia < ib;
		return largest ? na : nb;
	}
	if (va != vb)
		return largest ? va > vb : va < vb;
	return ia < ib;
}

int32_t kk_topk(kiln_rt_ctx *ctx, int32_t dtype, const void *x, void *values,
	int64_t *indices, int64_t outer, int64_t len, int64_t inner, int64_t k,
	int32_t largest)
{
	(void)ctx;
	/* Selection by repeated scans under a strict total order (value, index):
	 * pick r is the best element after pick r-1. O(k * len), no memory. */
	for (int64_t o = 0; o < outer; o++)
		for (int64_t in = 0; in < inner; in++) {
			int64_t base = o * len * inner + in, prev = -1;
			double pv = 0;
			for (int64_t r = 0; r < k; r++) {
				int64_t best = -1;
				double bv = 0;
				for (int64_t j = 0; j < len; j++) {
					double v = kk_elem_get(dtype, x, base + j * inner);
					if (prev >= 0 && !kk__before(pv, prev, v, j, largest))
						continue;
					if (best < 0 || kk__before(v, j, bv, best, largest)) {
						best = j;
						bv = v;
					}
				}
				int64_t e = (o * k + r) * inner + in;
				indices[e] = best;
				if (dtype == KK_DT_I64)
					((int64_t *)values)[e] = ((const int64_t *)x)[base + best * inner];
				else
					kk_elem_set(dtype, values, e, bv);
				prev = best;
				pv = bv;
			}
		}
	return KILN_RUN_OK;
}
