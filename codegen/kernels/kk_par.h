/* kk_par.h — private to the kernel files: static, deterministic splitting of
 * a kernel's work over kiln_rt_ctx.parallel_for. [0, n) is cut into at most
 * ctx->threads contiguous chunks of at least `grain` items; each chunk runs
 * fn(arg, begin, end). Callers split only where every output element is
 * computed by one chunk with the same arithmetic as the serial loop, so
 * results are bit-identical for any thread count. */
#ifndef KK_PAR_H
#define KK_PAR_H

#include <stdint.h>
#include "kiln_abi.h"

/* Minimum work per task: elements for memory-bound kernels, multiply-adds
 * for GEMM/Conv. Below twice this a kernel stays serial. */
#define KK_PAR_MIN_ELEMS ((int64_t)32768)
#define KK_PAR_MIN_FLOPS ((int64_t)1 << 19)

/* Floats of a core's L1 data cache (32 KB): planes larger than this are
 * where the depthwise and pooling kernels prefetch ahead. */
#define KK_L1_FLOATS ((int64_t)8192)

typedef void (*kk_par_body)(void *arg, int64_t begin, int64_t end);

typedef struct {
	kk_par_body fn;
	void *arg;
	int64_t n, tasks, align;
} kk__par_job;

/* Chunk t of the job: boundaries are multiples of align (except n). */
static void kk__par_task(void *vp, int64_t t)
{
	const kk__par_job *j = vp;
	int64_t units = (j->n + j->align - 1) / j->align;
	int64_t b = units * t / j->tasks * j->align;
	int64_t e = t + 1 == j->tasks ? j->n : units * (t + 1) / j->tasks * j->align;
	if (e > j->n)
		e = j->n;
	if (b < e)
		j->fn(j->arg, b, e);
}

/* Items per task so that each task gets at least min_work units of work
 * when one item costs per_item (both >= 0). Always >= 1. */
static inline int64_t kk_par_grain(int64_t min_work, int64_t per_item)
{
	if (per_item < 1)
		per_item = 1;
	int64_t g = (min_work + per_item - 1) / per_item;
	return g < 1 ? 1 : g;
}

/* Number of tasks kk_par_for_aligned would use (1 = serial). */
static inline int64_t kk_par_tasks(const kiln_rt_ctx *ctx, int64_t n, int64_t grain,
	int64_t align)
{
	if (!ctx || !ctx->parallel_for || ctx->threads <= 1 || n <= 0)
		return 1;
	if (grain < align)
		grain = align;
	int64_t t = n / grain;
	if (t > ctx->threads)
		t = ctx->threads;
	return t < 1 ? 1 : t;
}

/* Runs fn over [0, n) in static chunks aligned to align items (>= 1), each
 * at least grain items; serially as fn(arg, 0, n) when ctx is NULL, has no
 * parallel_for, one thread, or n is too small. */
static inline void kk_par_for_aligned(kiln_rt_ctx *ctx, int64_t n, int64_t grain,
	int64_t align, kk_par_body fn, void *arg)
{
	if (n <= 0)
		return;
	int64_t tasks = kk_par_tasks(ctx, n, grain, align);
	if (tasks <= 1) {
		fn(arg, 0, n);
		return;
	}
	kk__par_job j = {fn, arg, n, tasks, align};
	ctx->parallel_for(ctx->pool, tasks, kk__par_task, &j);
}

static inline void kk_par_for(kiln_rt_ctx *ctx, int64_t n, int64_t grain, kk_par_body fn,
	void *arg)
{
	kk_par_for_aligned(ctx, n, grain, 1, fn, arg);
}

#endif
