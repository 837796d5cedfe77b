/* parallel.c — splitting one kernel call over the runtime's thread pool.
 * The caller's body is emitted once, into a task function `void task(env,
 * i)` that handles items [i*total/n, (i+1)*total/n): the partition is static
 * and depends only on total and n, and every item is computed by exactly one
 * task, so results are identical for any thread count. Constants stay
 * constants inside the task (it is specialised like the run function); the
 * run-time values it needs (pointers, symbolic dims, the context) travel in
 * an on-stack environment. With one thread, or too little work, the run
 * function calls the task once for everything. */
#include <stdio.h>
#include <string.h>

#include "lower.h"

/* kiln_rt_ctx field offsets (runtime/kiln_abi.h, append-only layout). */
enum { CTX_THREADS = 8, CTX_PARALLEL_FOR = 16, CTX_POOL = 24 };

#define MAX_ENV 32

static LLVMValueRef ctx_field(cg_ctx *cg, LLVMValueRef ctx, int off, LLVMTypeRef t)
{
	LLVMValueRef o = cg_i64(cg, off);
	LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->B, cg->t_i8, ctx, &o, 1, "");
	return LLVMBuildLoad2(cg->B, t, p, "");
}

static LLVMValueRef env_slot(cg_ctx *cg, LLVMValueRef env, int i)
{
	LLVMValueRef idx = cg_i64(cg, i);
	return LLVMBuildInBoundsGEP2(cg->B, cg->t_i64, env, &idx, 1, "");
}

/* Emits the task function; vals are reloaded from env inside it. */
static LLVMValueRef make_task(cg_ctx *cg, LLVMTypeRef *types, int nenv, int nvals,
			      cg_body_fn body, void *ud)
{
	static int counter;
	char name[64];
	snprintf(name, sizeof name, "%s.task.%d", cg_prefix(cg->o), counter++);
	LLVMTypeRef pt[2] = {cg->t_ptr, cg->t_i64};
	LLVMValueRef fn = LLVMAddFunction(cg->M, name, LLVMFunctionType(cg->t_void, pt, 2, 0));
	LLVMSetLinkage(fn, LLVMInternalLinkage);

	/* switch the builder and context to the task */
	LLVMBasicBlockRef saved_bb = LLVMGetInsertBlock(cg->B);
	LLVMValueRef saved_fn = cg->fn, saved_ctx = cg->a_ctx;
	LLVMBasicBlockRef saved_entry = cg->entry;
	LLVMValueRef saved_sym[IR_MAX_SYMS];
	memcpy(saved_sym, cg->sym, sizeof saved_sym);
	cg->fn = fn;
	cg->entry = LLVMAppendBasicBlockInContext(cg->C, fn, "entry");
	LLVMPositionBuilderAtEnd(cg->B, cg->entry);

	LLVMValueRef env = LLVMGetParam(fn, 0), i = LLVMGetParam(fn, 1);
	LLVMValueRef loaded[MAX_ENV];
	for (int k = 0; k < nenv; k++)
		loaded[k] = LLVMBuildLoad2(cg->B, types[k], env_slot(cg, env, k), "");
	/* layout: total, ntasks, ctx, syms..., vals... */
	LLVMValueRef total = loaded[0], ntasks = loaded[1];
	cg->a_ctx = loaded[2];
	for (int k = 0; k < cg->g->nsyms; k++)
		cg->sym[k] = loaded[3 + k];
	LLVMValueRef begin = LLVMBuildSDiv(cg->B, LLVMBuildMul(cg->B, i, total, ""), ntasks, "");
	LLVMValueRef i1 = LLVMBuildAdd(cg->B, i, cg_i64(cg, 1), "");
	LLVMValueRef end = LLVMBuildSDiv(cg->B, LLVMBuildMul(cg->B, i1, total, ""), ntasks, "");
	body(cg, begin, end, loaded + nenv - nvals, ud);
	LLVMBuildRetVoid(cg->B);

	cg->fn = saved_fn;
	cg->entry = saved_entry;
	cg->a_ctx = saved_ctx;
	memcpy(cg->sym, saved_sym, sizeof saved_sym);
	LLVMPositionBuilderAtEnd(cg->B, saved_bb);
	return fn;
}

void cg_parallel(cg_ctx *cg, LLVMValueRef total, int64_t grain, LLVMValueRef *vals, int nvals,
		 cg_body_fn body, void *ud)
{
	int nenv = 3 + cg->g->nsyms + nvals;
	if (nenv > MAX_ENV) {       /* cannot happen for the kernels we split */
		body(cg, cg_i64(cg, 0), total, vals, ud);
		return;
	}
	LLVMValueRef all[MAX_ENV];
	LLVMTypeRef types[MAX_ENV];
	all[0] = total;
	all[2] = cg->a_ctx;
	for (int k = 0; k < cg->g->nsyms; k++)
		all[3 + k] = cg->sym[k];
	for (int k = 0; k < nvals; k++)
		all[nenv - nvals + k] = vals[k];

	/* ntasks = threads > 1 && pf ? clamp(total / grain, 1, threads) : 1 */
	LLVMValueRef threads = ctx_field(cg, cg->a_ctx, CTX_THREADS, cg->t_i32);
	LLVMValueRef pf = ctx_field(cg, cg->a_ctx, CTX_PARALLEL_FOR, cg->t_ptr);
	LLVMValueRef pool = ctx_field(cg, cg->a_ctx, CTX_POOL, cg->t_ptr);
	LLVMValueRef th = LLVMBuildSExt(cg->B, threads, cg->t_i64, "");
	LLVMValueRef by = LLVMBuildSDiv(cg->B, total, cg_i64(cg, grain > 0 ? grain : 1), "");
	LLVMValueRef n = LLVMBuildSelect(cg->B, LLVMBuildICmp(cg->B, LLVMIntSLT, by, th, ""), by, th, "");
	LLVMValueRef ok = LLVMBuildAnd(cg->B, LLVMBuildIsNotNull(cg->B, pf, ""),
				       LLVMBuildICmp(cg->B, LLVMIntSGT, n, cg_i64(cg, 1), ""), "");
	n = LLVMBuildSelect(cg->B, ok, n, cg_i64(cg, 1), "ntasks");
	all[1] = n;
	for (int k = 0; k < nenv; k++)
		types[k] = LLVMTypeOf(all[k]);

	LLVMValueRef env;
	LLVMTypeRef at = LLVMArrayType(cg->t_i64, (unsigned)nenv);
	LLVMBasicBlockRef cur = LLVMGetInsertBlock(cg->B);
	LLVMPositionBuilderBefore(cg->B, LLVMGetFirstInstruction(cg->entry));
	env = LLVMBuildAlloca(cg->B, at, "env");
	LLVMPositionBuilderAtEnd(cg->B, cur);
	for (int k = 0; k < nenv; k++)
		LLVMBuildStore(cg->B, all[k], env_slot(cg, env, k));

	LLVMValueRef task = make_task(cg, types, nenv, nvals, body, ud);
	LLVMBasicBlockRef par = LLVMAppendBasicBlockInContext(cg->C, cg->fn, "par");
	LLVMBasicBlockRef ser = LLVMAppendBasicBlockInContext(cg->C, cg->fn, "ser");
	LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(cg->C, cg->fn, "pardone");
	LLVMBuildCondBr(cg->B, ok, par, ser);

	LLVMPositionBuilderAtEnd(cg->B, par);
	LLVMTypeRef tpt[2] = {cg->t_ptr, cg->t_i64};
	LLVMTypeRef pft_args[4] = {cg->t_ptr, cg->t_i64, cg->t_ptr, cg->t_ptr};
	LLVMTypeRef pft = LLVMFunctionType(cg->t_void, pft_args, 4, 0);
	LLVMValueRef pargs[4] = {pool, n, task, env};
	LLVMBuildCall2(cg->B, pft, pf, pargs, 4, "");
	LLVMBuildBr(cg->B, done);

	LLVMPositionBuilderAtEnd(cg->B, ser);
	LLVMValueRef targs[2] = {env, cg_i64(cg, 0)};
	LLVMBuildCall2(cg->B, LLVMFunctionType(cg->t_void, tpt, 2, 0), task, targs, 2, "");
	LLVMBuildBr(cg->B, done);
	LLVMPositionBuilderAtEnd(cg->B, done);
}

int cg_is_root_fn(cg_ctx *cg, LLVMValueRef fn)
{
	const char *name = LLVMGetValueName(fn), *p = cg_prefix(cg->o);
	size_t n = strlen(p);
	return !strncmp(name, p, n) && (!strcmp(name + n, "_run") || !strncmp(name + n, ".task.", 6));
}
