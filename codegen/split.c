/* split.c — parallel code generation. After the kernels are specialised,
 * the module is cut into parts that are optimised and compiled to objects in
 * parallel, each in its own LLVM context; the system linker joins them.
 *
 * The cut runs along calls the optimiser would not inline anyway:
 * - roots are the functions marked noinline (the kernels' tile loops), the
 *   functions whose address is taken (the bodies the kernels hand to the
 *   thread pool) and the kernels the entry points call more than once;
 * - each root goes to the part with the least code so far, heaviest first,
 *   and becomes a hidden symbol, defined there and declared in the others;
 * - everything else (helpers, micro-kernels, kernels called once) stays
 *   internal and is copied into each part that reaches it, so the inliner
 *   sees it as it would without the cut;
 * - globals the kernels read are defined once, in part 0, and shared as
 *   hidden symbols;
 * - part 0 is the module itself, compiled on the calling thread; the other
 *   parts are read from bitcode of a copy without the entry points and
 *   weights, each by the first thread free to take it (a queue served by
 *   one thread per other core, and by the calling thread after part 0).
 * The cut depends on the module only: the library is the same for any
 * number of cores. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "cg.h"

typedef struct {
	LLVMValueRef *fn;   /* the defined functions */
	int64_t *size;      /* their instruction counts */
	char *root;         /* 1: a root (see above) */
	char *state;        /* weight(): 0 not yet, 1 in progress, 2 memo set */
	int64_t *memo;
	int n;
} fn_table;

static int fn_index(const fn_table *t, LLVMValueRef f)
{
	for (int i = 0; i < t->n; i++)
		if (t->fn[i] == f)
			return i;
	return -1;
}

/* The code a part compiles for function i: its instructions and, for each
 * call of a non-root function, that function's weight again (helpers are
 * inlined where called: the micro-kernel counts once per call site), memoised
 * (a function in a cycle counts its own instructions only). */
static int64_t weight(const fn_table *t, int i)
{
	if (t->state[i] == 2 || t->state[i] == 1)
		return t->state[i] == 2 ? t->memo[i] : 0;
	t->state[i] = 1;
	int64_t total = t->size[i];
	LLVMValueRef f = t->fn[i];
	for (LLVMBasicBlockRef b = LLVMGetFirstBasicBlock(f); b; b = LLVMGetNextBasicBlock(b))
		for (LLVMValueRef in = LLVMGetFirstInstruction(b); in; in = LLVMGetNextInstruction(in))
			for (int k = 0, no = LLVMGetNumOperands(in); k < no; k++) {
				LLVMValueRef op = LLVMGetOperand(in, k);
				int j = op && LLVMIsAFunction(op) ? fn_index(t, op) : -1;
				if (j >= 0 && !t->root[j])
					total += weight(t, j);
			}
	t->state[i] = 2;
	t->memo[i] = total;
	return total;
}

/* Marks the roots: internal functions that are never inlined, whose
 * address is taken, or that the entry points call more than once. */
static void find_roots(fn_table *t)
{
	unsigned noinline = LLVMGetEnumAttributeKindForName("noinline", 8);
	for (int i = 0; i < t->n; i++) {
		LLVMValueRef f = t->fn[i];
		if (LLVMGetLinkage(f) != LLVMInternalLinkage)
			continue;
		if (LLVMGetEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex, noinline)) {
			t->root[i] = 1;
			continue;
		}
		int calls = 0;
		for (LLVMUseRef u = LLVMGetFirstUse(f); u; u = LLVMGetNextUse(u)) {
			LLVMValueRef user = LLVMGetUser(u);
			if (!LLVMIsACallInst(user) || LLVMGetCalledValue(user) != f) {
				calls = 2;   /* address taken */
				break;
			}
			LLVMValueRef caller = LLVMGetBasicBlockParent(LLVMGetInstructionParent(user));
			if (LLVMGetLinkage(caller) != LLVMInternalLinkage)
				calls++;
		}
		t->root[i] = calls > 1;
	}
}

static int64_t count_insts(LLVMValueRef f)
{
	int64_t n = 0;
	for (LLVMBasicBlockRef b = LLVMGetFirstBasicBlock(f); b; b = LLVMGetNextBasicBlock(b))
		for (LLVMValueRef in = LLVMGetFirstInstruction(b); in; in = LLVMGetNextInstruction(in))
			n++;
	return n;
}

/* Gives each root of t a part in part[] (-1 for the other functions) and
 * hidden external linkage. */
static void assign_parts(fn_table *t, int nparts, int *part)
{
	int64_t load[CG_PARTS] = {0};
	int64_t *w = (int64_t *)calloc((size_t)t->n + 1, sizeof *w);
	int *order = (int *)calloc((size_t)t->n + 1, sizeof *order);
	int nroots = 0;
	for (int i = 0; i < t->n; i++) {
		part[i] = -1;
		if (LLVMGetLinkage(t->fn[i]) != LLVMInternalLinkage)
			load[0] += weight(t, i);    /* entry points, with what they inline */
		if (!t->root[i] || !w || !order)
			continue;
		w[i] = weight(t, i);
		int j = nroots++;
		for (; j > 0 && w[order[j - 1]] < w[i]; j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (int r = 0; r < nroots; r++) {
		int i = order[r], best = 0;
		for (int p = 1; p < nparts; p++)
			if (load[p] < load[best])
				best = p;
		part[i] = best;
		load[best] += w[i];
	}
	/* out of memory: every root in part 0 */
	for (int i = 0; i < t->n; i++)
		if (t->root[i]) {
			if (part[i] < 0)
				part[i] = 0;
			LLVMSetLinkage(t->fn[i], LLVMExternalLinkage);
			LLVMSetVisibility(t->fn[i], LLVMHiddenVisibility);
		}
	free(w);
	free(order);
}

typedef struct {
	const char *bc;           /* other parts: bitcode to read */
	size_t bc_len;
	char **foreign;           /* roots other parts define */
	int nforeign;
	const cg_options *o;
	const char *obj;
	ir_status st;
	int rc;
} part_job;

/* Turns the foreign roots into declarations, optimises what is left and
 * writes the object. */
static int compile_part(part_job *j, LLVMModuleRef M)
{
	LLVMTargetMachineRef tm = cg_target_machine(j->o, LLVMRelocPIC, &j->st);
	if (!tm)
		return -1;
	for (int i = 0; i < j->nforeign; i++) {
		LLVMValueRef f = LLVMGetNamedFunction(M, j->foreign[i]);
		if (f)
			LLVMSetLinkage(f, LLVMAvailableExternallyLinkage);
	}
	int rc = -1;
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	int bad = cg_run_passes(M, "elim-avail-extern,globaldce", tm, po, "partitioning", &j->st);
	LLVMDisposePassBuilderOptions(po);
	if (!bad && cg_pipeline(M, tm, j->o->opt_level, &j->st) == 0) {
		char *err = NULL;
		if (LLVMTargetMachineEmitToFile(tm, M, (char *)j->obj, LLVMObjectFile, &err))
			ir_fail(&j->st, "cannot write %s: %s", j->obj, err ? err : "");
		else
			rc = 0;
		LLVMDisposeMessage(err);
	}
	LLVMDisposeTargetMachine(tm);
	return rc;
}

static void *part_thread(void *arg)
{
	part_job *j = arg;
	LLVMContextRef C = LLVMContextCreate();
	LLVMMemoryBufferRef mb = LLVMCreateMemoryBufferWithMemoryRange(j->bc, j->bc_len, "kiln", 0);
	LLVMModuleRef M = NULL;
	if (LLVMParseBitcodeInContext2(C, mb, &M))
		ir_fail(&j->st, "internal error: cannot read back the model's bitcode");
	else {
		j->rc = compile_part(j, M);
		LLVMDisposeModule(M);
	}
	LLVMDisposeMemoryBuffer(mb);
	LLVMContextDispose(C);
	return NULL;
}

/* Parts order[next..n) of jobs, each compiled by the first thread to take
 * it. */
typedef struct {
	part_job *jobs;
	const int *order;
	int n, next;
	pthread_mutex_t mu;
} part_queue;

static void *queue_thread(void *arg)
{
	part_queue *q = arg;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		int p = q->next < q->n ? q->order[q->next++] : -1;
		pthread_mutex_unlock(&q->mu);
		if (p < 0)
			return NULL;
		part_thread(&q->jobs[p]);
	}
}

/* order[1..nparts): the parts after 0, the heaviest first (the code their
 * roots weigh): the last to start is a light one. */
static void queue_order(fn_table *t, const int *part, int nparts, int *order)
{
	int64_t load[CG_PARTS] = {0};
	for (int i = 0; i < t->n; i++)
		if (part[i] > 0)
			load[part[i]] += weight(t, i);
	for (int p = 1; p < nparts; p++) {
		int j = p;
		for (; j > 1 && load[order[j - 1]] < load[p]; j--)
			order[j] = order[j - 1];
		order[j] = p;
	}
}

/* Whether value v is used by a function that is not an entry point (an
 * entry point has default visibility; the rest is internal or hidden). */
static int used_by_kernels(LLVMValueRef v)
{
	for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u)) {
		LLVMValueRef user = LLVMGetUser(u);
		if (LLVMIsAInstruction(user)) {
			LLVMValueRef f = LLVMGetBasicBlockParent(LLVMGetInstructionParent(user));
			if (LLVMGetVisibility(f) != LLVMDefaultVisibility ||
			    LLVMGetLinkage(f) == LLVMInternalLinkage)
				return 1;
		} else if (LLVMIsAConstant(user) && used_by_kernels(user)) {
			return 1;
		}
	}
	return 0;
}

/* The globals kernels use (tables, constant tensors a generated task
 * reads) are defined once, in part 0, as hidden symbols: no weight is
 * copied into two parts. */
static void share_globals(LLVMModuleRef M)
{
	int k = 0;
	for (LLVMValueRef g = LLVMGetFirstGlobal(M); g; g = LLVMGetNextGlobal(g)) {
		LLVMLinkage l = LLVMGetLinkage(g);
		if (LLVMIsDeclaration(g) || (l != LLVMInternalLinkage && l != LLVMPrivateLinkage) ||
		    !used_by_kernels(g))
			continue;
		size_t len;
		LLVMGetValueName2(g, &len);
		if (!len) {
			char name[32];
			snprintf(name, sizeof name, "kiln.g.%d", k++);
			LLVMSetValueName2(g, name, strlen(name));
		}
		LLVMSetLinkage(g, LLVMExternalLinkage);
		LLVMSetVisibility(g, LLVMHiddenVisibility);
		LLVMSetUnnamedAddr(g, 0);
	}
}

/* The bitcode the parts other than 0 start from: M without its entry points
 * and what only they use (the weights), the globals part 0 shares as
 * declarations. NULL when out of memory. */
static LLVMMemoryBufferRef kernels_bitcode(LLVMModuleRef M)
{
	LLVMModuleRef K = LLVMCloneModule(M);
	for (LLVMValueRef f = LLVMGetFirstFunction(K); f; f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f) && LLVMGetVisibility(f) == LLVMDefaultVisibility)
			LLVMSetLinkage(f, LLVMInternalLinkage);
	for (LLVMValueRef g = LLVMGetFirstGlobal(K); g; g = LLVMGetNextGlobal(g))
		if (!LLVMIsDeclaration(g))
			LLVMSetLinkage(g, LLVMGetVisibility(g) == LLVMHiddenVisibility
				? LLVMAvailableExternallyLinkage : LLVMInternalLinkage);
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	LLVMErrorRef e = LLVMRunPasses(K, "globaldce,elim-avail-extern", NULL, po);
	LLVMDisposePassBuilderOptions(po);
	LLVMMemoryBufferRef bc = NULL;
	if (e)
		LLVMConsumeError(e);
	else
		bc = LLVMWriteBitcodeToMemoryBuffer(K);
	LLVMDisposeModule(K);
	return bc;
}

int cg_emit_parts(LLVMModuleRef M, const cg_options *o, int nparts, char *const *objs,
		  ir_status *st)
{
	int used = 1;
	if (nparts < 1 || nparts > CG_PARTS)
		return ir_fail(st, "internal error: %d parts", nparts);
	/* drops what the entry points cannot reach (a kernel and its parallel
	 * body refer to each other: the first drop_unused keeps both) */
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	LLVMErrorRef e = LLVMRunPasses(M, "globaldce", NULL, po);
	LLVMDisposePassBuilderOptions(po);
	if (e)
		LLVMConsumeError(e);
	fn_table t = {0};
	for (LLVMValueRef f = LLVMGetFirstFunction(M); f; f = LLVMGetNextFunction(f))
		t.n += !LLVMIsDeclaration(f);
	t.fn = (LLVMValueRef *)calloc((size_t)t.n + 1, sizeof *t.fn);
	t.size = (int64_t *)calloc((size_t)t.n + 1, sizeof *t.size);
	t.root = (char *)calloc((size_t)t.n + 1, 1);
	t.state = (char *)calloc((size_t)t.n + 1, 1);
	t.memo = (int64_t *)calloc((size_t)t.n + 1, sizeof *t.memo);
	int *part = (int *)calloc((size_t)t.n + 1, sizeof *part);
	char **names = (char **)calloc((size_t)nparts * ((size_t)t.n + 1), sizeof *names);
	part_job jobs[CG_PARTS] = {{0}};
	pthread_t th[CG_PARTS];
	int started[CG_PARTS] = {0};
	LLVMMemoryBufferRef bc = NULL;
	int rc = -1;
	if (!t.fn || !t.size || !t.root || !t.state || !t.memo || !part || !names) {
		ir_fail(st, "out of memory");
		goto out;
	}
	int k = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(M); f; f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f)) {
			t.size[k] = count_insts(f);
			t.fn[k++] = f;
		}
	find_roots(&t);
	assign_parts(&t, nparts, part);
	if (nparts > 1)
		share_globals(M);
	/* parts that got no root are not compiled */
	for (int p = 1; p < nparts; p++) {
		int any = 0;
		for (int i = 0; i < t.n; i++)
			any |= part[i] == p;
		if (!any)
			continue;
		for (int i = 0; i < t.n; i++)
			if (part[i] == p)
				part[i] = used;
		used++;
	}
	nparts = used;
	for (int p = 0; p < nparts; p++) {
		part_job *j = &jobs[p];
		j->o = o;
		j->obj = objs[p];
		j->foreign = names + (size_t)p * ((size_t)t.n + 1);
		for (int i = 0; i < t.n; i++)
			if (part[i] >= 0 && part[i] != p &&
			    !(j->foreign[j->nforeign++] = strdup(LLVMGetValueName(t.fn[i])))) {
				ir_fail(st, "out of memory");
				goto out;
			}
		j->rc = -1;
	}
	if (nparts > 1 && !(bc = kernels_bitcode(M))) {
		ir_fail(st, "out of memory");
		goto out;
	}
	/* part 0 here, the others from a queue served by up to one thread per
	 * other core and by this one once part 0 is done: more parts than
	 * cores even out what the parts' sizes predict badly */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int order[CG_PARTS] = {0};
	queue_order(&t, part, nparts, order);
	part_queue q = {jobs, order, nparts, 1, PTHREAD_MUTEX_INITIALIZER};
	for (int p = 1; p < nparts; p++) {
		jobs[p].bc = LLVMGetBufferStart(bc);
		jobs[p].bc_len = LLVMGetBufferSize(bc);
	}
	for (int p = 1; p < nparts && p < ncpu; p++)
		started[p] = pthread_create(&th[p], NULL, queue_thread, &q) == 0;
	jobs[0].rc = compile_part(&jobs[0], M);
	queue_thread(&q);
	for (int p = 1; p < nparts; p++)
		if (started[p])
			pthread_join(th[p], NULL);
	rc = nparts;
	for (int p = 0; p < nparts && rc > 0; p++)
		if (jobs[p].rc) {
			*st = jobs[p].st;
			rc = -1;
		}
out:
	if (bc)
		LLVMDisposeMemoryBuffer(bc);
	for (size_t i = 0; names && i < (size_t)nparts * ((size_t)t.n + 1); i++)
		free(names[i]);
	free(names);
	free(part);
	free(t.fn);
	free(t.size);
	free(t.root);
	free(t.state);
	free(t.memo);
	return rc;
}
