/* toy_model.c — a hand-written stand-in for a compiled model, used by the
 * runtime tests: y = a + b + 1 (rows split with parallel_for when given) and
 * g[2n] = a[n, idx[n]], g[2n+1] = ctx->threads. Built into the test programs
 * with TOY_IN_TEST (symbols toy_*) and as shared libraries (kiln_model_*). */
#include <stdint.h>

#include "kiln_abi.h"

#ifdef TOY_IN_TEST
#define TOY(x) toy_##x
#else
#define TOY(x) kiln_model_##x
#endif
#ifndef TOY_VERSION
#define TOY_VERSION "1"
#endif

const char TOY(meta)[] =
	"kiln " TOY_VERSION "\n"
	"sym N\n"
	"input 1 2 1*$0 4 a\n"
	"input 1 2 1*$0 4 b\n"
	"input 7 1 1*$0 idx\n"
	"output 1 2 1*$0 4 y\n"
	"output 1 1 2*$0 g\n";

uint64_t TOY(last_seed);

int64_t TOY(arena_size)(const int64_t *syms)
{
	return syms[0] * 4 * (int64_t)sizeof(float) + 1;
}

typedef struct {
	const float *a, *b;
	float *scratch, *y;
} rows_arg;

static void add_row(void *vp, int64_t n)
{
	rows_arg *r = vp;
	for (int j = 0; j < 4; j++) {
		r->scratch[n * 4 + j] = r->a[n * 4 + j] + r->b[n * 4 + j];
		r->y[n * 4 + j] = r->scratch[n * 4 + j] + 1.0f;
	}
}

int32_t TOY(run)(kiln_rt_ctx *ctx, void *const *inputs, void *const *outputs,
		 const int64_t *syms, void *arena)
{
	int64_t n = syms[0];
	const int64_t *idx = inputs[2];
	float *g = outputs[1];
	rows_arg r = {inputs[0], inputs[1], arena, outputs[0]};
	if (((uintptr_t)arena & 63) != 0 || ctx->threads < 1)
		return 99;
	TOY(last_seed) = ctx->seed;
	for (int64_t i = 0; i < n; i++)
		if (idx[i] < 0 || idx[i] >= 4)
			return KILN_RUN_INDEX;
	if (ctx->parallel_for)
		ctx->parallel_for(ctx->pool, n, add_row, &r);
	else
		for (int64_t i = 0; i < n; i++)
			add_row(&r, i);
	for (int64_t i = 0; i < n; i++) {
		g[2 * i] = r.a[i * 4 + idx[i]];
		g[2 * i + 1] = (float)ctx->threads;
	}
	return KILN_RUN_OK;
}
