/* module.c — builds one LLVM module per model: the kernel bitcode (embedded
 * at build time) is parsed as the module's start, then the model's run
 * function calls one lowering per node, with every known dim a constant, and
 * the arena-size function and the meta text (kiln_abi.h) are added. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/BitReader.h>

#include "cg.h"
#include "kiln_abi.h"

extern const char cg_kernels_bc[];
extern const uint64_t cg_kernels_bc_size;

const char *cg_prefix(const cg_options *o)
{
	return o && o->prefix ? o->prefix : "kiln_model";
}

int cg_fail(cg_ctx *cg, const char *fmt, ...)
{
	char buf[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (cg->node)
		return ir_fail(cg->st, "%s: %s", ir_node_label(cg->node), buf);
	return ir_fail(cg->st, "%s", buf);
}

LLVMValueRef cg_i64(cg_ctx *cg, int64_t v) { return LLVMConstInt(cg->t_i64, (uint64_t)v, 1); }
LLVMValueRef cg_i32(cg_ctx *cg, int64_t v) { return LLVMConstInt(cg->t_i32, (uint64_t)v, 1); }
LLVMValueRef cg_f32(cg_ctx *cg, double v) { return LLVMConstReal(cg->t_f32, v); }
LLVMValueRef cg_null(cg_ctx *cg) { return LLVMConstNull(cg->t_ptr); }

LLVMValueRef cg_dim(cg_ctx *cg, ir_dim d)
{
	if (d.sym < 0)
		return cg_i64(cg, d.c);
	if (d.c == 1)
		return cg->sym[d.sym];
	return LLVMBuildMul(cg->B, cg_i64(cg, d.c), cg->sym[d.sym], "");
}

LLVMValueRef cg_numel(cg_ctx *cg, const ir_shape *s)
{
	LLVMValueRef r = cg_i64(cg, 1);
	int64_t c = 1;
	for (int i = 0; i < s->rank; i++) {
		if (s->d[i].sym < 0)
			c *= s->d[i].c;
		else
			r = LLVMBuildMul(cg->B, r, cg_dim(cg, s->d[i]), "");
	}
	return c == 1 ? r : LLVMBuildMul(cg->B, r, cg_i64(cg, c), "");
}

LLVMValueRef cg_i64_array(cg_ctx *cg, LLVMValueRef *vals, int n)
{
	LLVMTypeRef at = LLVMArrayType(cg->t_i64, n > 0 ? n : 1);
	LLVMBasicBlockRef cur = LLVMGetInsertBlock(cg->B);
	LLVMValueRef first = LLVMGetFirstInstruction(cg->entry);
	if (first)
		LLVMPositionBuilderBefore(cg->B, first);
	else
		LLVMPositionBuilderAtEnd(cg->B, cg->entry);
	LLVMValueRef a = LLVMBuildAlloca(cg->B, at, "dims");
	LLVMPositionBuilderAtEnd(cg->B, cur);
	for (int i = 0; i < n; i++) {
		LLVMValueRef idx[2] = {cg_i64(cg, 0), cg_i64(cg, i)};
		LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->B, at, a, idx, 2, "");
		LLVMBuildStore(cg->B, vals[i], p);
	}
	return a;
}

LLVMValueRef cg_i64_carray(cg_ctx *cg, const int64_t *vals, int n)
{
	LLVMValueRef v[IR_MAX_RANK * 4];
	if (n > IR_MAX_RANK * 4)
		n = IR_MAX_RANK * 4;
	for (int i = 0; i < n; i++)
		v[i] = cg_i64(cg, vals[i]);
	return cg_i64_array(cg, v, n);
}

static LLVMValueRef convert_arg(cg_ctx *cg, LLVMValueRef a, LLVMTypeRef want)
{
	LLVMTypeRef have = LLVMTypeOf(a);
	if (have == want)
		return a;
	LLVMTypeKind hk = LLVMGetTypeKind(have), wk = LLVMGetTypeKind(want);
	if (hk == LLVMIntegerTypeKind && wk == LLVMIntegerTypeKind)
		return LLVMBuildIntCast2(cg->B, a, want, 1, "");
	if (hk == LLVMIntegerTypeKind && (wk == LLVMFloatTypeKind || wk == LLVMDoubleTypeKind))
		return LLVMBuildSIToFP(cg->B, a, want, "");
	if ((hk == LLVMFloatTypeKind || hk == LLVMDoubleTypeKind) &&
	    (wk == LLVMFloatTypeKind || wk == LLVMDoubleTypeKind))
		return LLVMBuildFPCast(cg->B, a, want, "");
	return a;
}

LLVMValueRef cg_call(cg_ctx *cg, const char *name, LLVMValueRef *args, int n)
{
	LLVMValueRef f = LLVMGetNamedFunction(cg->M, name);
	if (!f) {
		fprintf(stderr, "kiln: internal error: kernel %s missing\n", name);
		abort();
	}
	LLVMTypeRef ft = LLVMGlobalGetValueType(f);
	unsigned np = LLVMCountParamTypes(ft);
	if ((int)np != n) {
		fprintf(stderr, "kiln: internal error: kernel %s takes %u args, given %d\n", name, np, n);
		abort();
	}
	LLVMTypeRef pt[64];
	LLVMGetParamTypes(ft, pt);
	for (int i = 0; i < n; i++)
		args[i] = convert_arg(cg, args[i], pt[i]);
	return LLVMBuildCall2(cg->B, ft, f, args, n, "");
}

void cg_call_checked(cg_ctx *cg, const char *name, LLVMValueRef *args, int n)
{
	LLVMValueRef rc = cg_call(cg, name, args, n);
	LLVMValueRef bad = LLVMBuildICmp(cg->B, LLVMIntNE, rc, LLVMConstNull(LLVMTypeOf(rc)), "");
	LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(cg->C, cg->fn, "fail");
	LLVMBasicBlockRef ok = LLVMAppendBasicBlockInContext(cg->C, cg->fn, "ok");
	LLVMBuildCondBr(cg->B, bad, fail, ok);
	LLVMPositionBuilderAtEnd(cg->B, fail);
	LLVMBuildRet(cg->B, LLVMBuildIntCast2(cg->B, rc, cg->t_i32, 1, ""));
	LLVMPositionBuilderAtEnd(cg->B, ok);
}

void cg_memcpy(cg_ctx *cg, LLVMValueRef dst, LLVMValueRef src, LLVMValueRef bytes)
{
	LLVMBuildMemCpy(cg->B, dst, 16, src, 16, bytes);
}

LLVMValueRef cg_ptr(cg_ctx *cg, const ir_value *v)
{
	if (!v)
		return cg_null(cg);
	const cg_loc *l = &cg->plan.loc[v->id];
	if (!cg->ptr[v->id] && l->kind == CG_LOC_CONST)
		/* emitted on first use: a weight only read in a packed form
		 * (lower_nn.c) does not go into the binary twice */
		cg->ptr[v->id] = cg_const_blob(cg, v->data, v->nbytes);
	if (!cg->ptr[v->id] && l->kind == CG_LOC_ALIAS)
		cg->ptr[v->id] = cg_ptr(cg, cg->g->values[l->index]);
	if (!cg->ptr[v->id]) {
		fprintf(stderr, "kiln: internal error: value '%s' has no location\n", v->name);
		abort();
	}
	return cg->ptr[v->id];
}

/* ---- constants, locations ---- */

LLVMValueRef cg_const_blob(cg_ctx *cg, const void *data, size_t nbytes)
{
	size_t nb = nbytes ? nbytes : 1;
	LLVMTypeRef at = LLVMArrayType(cg->t_i8, (unsigned)nb);
	LLVMValueRef gv = LLVMAddGlobal(cg->M, at, "w");
	LLVMValueRef init = nbytes
		? LLVMConstStringInContext(cg->C, data, (unsigned)nbytes, 1)
		: LLVMConstNull(at);
	LLVMSetInitializer(gv, init);
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMPrivateLinkage);
	LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
	LLVMSetAlignment(gv, 64);
	return gv;
}

static LLVMValueRef lin_value(cg_ctx *cg, const cg_lin *l)
{
	LLVMValueRef r = cg_i64(cg, l->c[0]);
	for (int k = 0; k < cg->g->nsyms; k++)
		if (l->c[1 + k])
			r = LLVMBuildAdd(cg->B, r, LLVMBuildMul(cg->B, cg_i64(cg, l->c[1 + k]),
								 cg->sym[k], ""), "");
	return r;
}

static LLVMValueRef load_slot(cg_ctx *cg, LLVMValueRef base, int i)
{
	LLVMValueRef idx = cg_i64(cg, i);
	LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->B, cg->t_ptr, base, &idx, 1, "");
	return LLVMBuildLoad2(cg->B, cg->t_ptr, p, "");
}

static void bind_locations(cg_ctx *cg)
{
	ir_graph *g = cg->g;
	for (int i = 0; i < g->nvalues; i++) {
		const cg_loc *l = &cg->plan.loc[i];
		switch (l->kind) {
		case CG_LOC_INPUT: cg->ptr[i] = load_slot(cg, cg->a_inputs, l->index); break;
		case CG_LOC_OUTPUT: cg->ptr[i] = load_slot(cg, cg->a_outputs, l->index); break;
		case CG_LOC_ARENA: {
			LLVMValueRef off = lin_value(cg, &l->offset);
			cg->ptr[i] = LLVMBuildInBoundsGEP2(cg->B, cg->t_i8, cg->a_arena, &off, 1, "");
			break;
		}
		default: break;
		}
	}
	/* slices of a Concat's output (plan.c), and views of them */
	for (int i = 0; i < g->nvalues; i++) {
		const cg_loc *l = &cg->plan.loc[i];
		if (l->kind != CG_LOC_ALIAS || !l->offset.c[0])
			continue;
		LLVMValueRef off = cg_i64(cg, l->offset.c[0]);
		cg->ptr[i] = LLVMBuildInBoundsGEP2(cg->B, cg->t_i8, cg->ptr[l->index], &off, 1, "");
	}
}

/* Graph outputs not written by their producer's kernel (inputs, constants,
 * a value listed twice) are copied at the end. */
static void copy_outputs(cg_ctx *cg)
{
	ir_graph *g = cg->g;
	for (int i = 0; i < g->noutputs; i++) {
		const ir_value *v = g->outputs[i];
		const cg_loc *l = &cg->plan.loc[v->id];
		if (l->kind == CG_LOC_OUTPUT && l->index == i)
			continue;
		LLVMValueRef dst = load_slot(cg, cg->a_outputs, i);
		LLVMValueRef n = LLVMBuildMul(cg->B, cg_numel(cg, &v->shape),
					      cg_i64(cg, (int64_t)ir_dtype_size(v->dtype)), "");
		cg_memcpy(cg, dst, cg_ptr(cg, v), n);
	}
}

/* ---- meta ---- */

static void meta_name(FILE *f, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if (*c <= 0x20 || *c == '%' || *c >= 0x7f)
			fprintf(f, "%%%02X", *c);
		else
			fputc(*c, f);
	}
}

static void meta_tensor(FILE *f, const char *kind, const ir_value *v)
{
	fprintf(f, "%s %d %d", kind, (int)v->dtype, v->shape.rank);
	for (int i = 0; i < v->shape.rank; i++) {
		ir_dim d = v->shape.d[i];
		if (d.sym < 0)
			fprintf(f, " %lld", (long long)d.c);
		else
			fprintf(f, " %lld*$%d", (long long)d.c, d.sym);
	}
	fputc(' ', f);
	meta_name(f, v->name);
	fputc('\n', f);
}

static int add_meta(cg_ctx *cg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return ir_fail(cg->st, "out of memory writing model meta");
	fprintf(f, "kiln %d\n", KILN_ABI_VERSION);
	if (cg->o->mc_samples > 0)
		fprintf(f, "mc %d\n", cg->o->mc_samples);
	if (cg->o->has_seed)
		fprintf(f, "seed %llu\n", (unsigned long long)cg->o->seed);
	for (int k = 0; k < cg->g->nsyms; k++) {
		fputs("sym ", f);
		meta_name(f, cg->g->syms[k]);
		fputc('\n', f);
	}
	for (int i = 0; i < cg->g->ninputs; i++)
		meta_tensor(f, "input", cg->g->inputs[i]);
	for (int i = 0; i < cg->g->noutputs; i++)
		meta_tensor(f, "output", cg->g->outputs[i]);
	fclose(f);
	char name[128];
	snprintf(name, sizeof name, "%s_meta", cg_prefix(cg->o));
	LLVMValueRef init = LLVMConstStringInContext(cg->C, buf, (unsigned)len, 0);
	LLVMValueRef gv = LLVMAddGlobal(cg->M, LLVMTypeOf(init), name);
	LLVMSetInitializer(gv, init);
	LLVMSetGlobalConstant(gv, 1);
	free(buf);
	return 0;
}

/* ---- functions ---- */

static void load_syms(cg_ctx *cg, LLVMValueRef syms)
{
	for (int k = 0; k < cg->g->nsyms; k++) {
		LLVMValueRef idx = cg_i64(cg, k);
		LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->B, cg->t_i64, syms, &idx, 1, "");
		cg->sym[k] = LLVMBuildLoad2(cg->B, cg->t_i64, p, cg->g->syms[k]);
	}
}

static void add_arena_size_fn(cg_ctx *cg)
{
	char name[128];
	snprintf(name, sizeof name, "%s_arena_size", cg_prefix(cg->o));
	LLVMTypeRef ft = LLVMFunctionType(cg->t_i64, &cg->t_ptr, 1, 0);
	LLVMValueRef fn = LLVMAddFunction(cg->M, name, ft);
	LLVMBasicBlockRef bb = LLVMAppendBasicBlockInContext(cg->C, fn, "entry");
	LLVMPositionBuilderAtEnd(cg->B, bb);
	load_syms(cg, LLVMGetParam(fn, 0));
	LLVMBuildRet(cg->B, lin_value(cg, &cg->plan.arena_size));
}

/* Node k's kernel calls (with its scratch space). */
static int lower_node(cg_ctx *cg, int k, const ir_node *n)
{
	cg->node = n;
	cg_lin sb;
	cg->scratch = NULL;
	if (cg_node_scratch(n, &sb)) {
		LLVMValueRef off = lin_value(cg, &cg->plan.scratch[k]);
		cg->scratch = LLVMBuildInBoundsGEP2(cg->B, cg->t_i8, cg->a_arena, &off, 1, "");
	}
	cg_lower_fn fn = cg_lowering(n->op);
	if (!fn)
		return cg_fail(cg, "operator %s is not supported by kiln's code generator",
			       n->op_type);
	return fn(cg, n);
}

/* The MC sample loop (ir_mc_region): nodes [*a, *b] run once per chunk of
 * cg->mc_chunk samples, ceil(T / chunk) times; *a = -1 when the build has
 * no loop (one chunk). */
static int find_loop(cg_ctx *cg, int *a, int *b, int64_t *chunks)
{
	const ir_graph *g = cg->g;
	uint8_t *in = calloc((size_t)g->nnodes + 1, 1);
	int64_t T = 0;
	*a = *b = -1;
	if (!in || ir_mc_region(g, in) < 0) {
		free(in);
		return ir_fail(cg->st, "out of memory");
	}
	for (int k = 0; k < g->nnodes; k++) {
		const ir_node *n = g->nodes[k];
		if (!in[k] || n->dead)
			continue;
		if (*a < 0)
			*a = k;
		*b = k;
		if (n->op == IR_OP_KilnMcCollect) {
			T = ir_attr_int(n, "samples", 0);
			cg->mc_chunk = ir_attr_int(n, "chunk", 0);
		}
	}
	int ok = 1;
	for (int k = *a; T > 0 && k >= 0 && k <= *b; k++)
		ok &= in[k] || g->nodes[k]->dead;
	free(in);
	if (T <= 0 || cg->mc_chunk <= 0) {
		*a = *b = -1;
		cg->mc_chunk = 0;
		return 0;
	}
	if (!ok)
		return ir_fail(cg->st, "internal error: the MC sample loop's nodes are not "
			       "contiguous (passes/mc.c schedules them)");
	*chunks = (T + cg->mc_chunk - 1) / cg->mc_chunk;
	return 0;
}

static int lower_nodes(cg_ctx *cg, int loop_a, int loop_b, int64_t chunks)
{
	LLVMBasicBlockRef head = NULL;
	LLVMValueRef chunk = NULL;
	for (int k = 0; k < cg->g->nnodes; k++) {
		const ir_node *n = cg->g->nodes[k];
		if (k == loop_a) {
			LLVMBasicBlockRef pre = LLVMGetInsertBlock(cg->B);
			head = LLVMAppendBasicBlockInContext(cg->C, cg->fn, "mc_chunk");
			LLVMBuildBr(cg->B, head);
			LLVMPositionBuilderAtEnd(cg->B, head);
			chunk = LLVMBuildPhi(cg->B, cg->t_i64, "chunk");
			LLVMValueRef zero = cg_i64(cg, 0);
			LLVMAddIncoming(chunk, &zero, &pre, 1);
			cg->mc_base = LLVMBuildMul(cg->B, chunk, cg_i64(cg, cg->mc_chunk), "base");
		}
		if (!n->dead && lower_node(cg, k, n))
			return -1;
		if (k == loop_b) {
			LLVMValueRef next = LLVMBuildAdd(cg->B, chunk, cg_i64(cg, 1), "");
			LLVMBasicBlockRef latch = LLVMGetInsertBlock(cg->B);
			LLVMBasicBlockRef done = LLVMAppendBasicBlockInContext(cg->C, cg->fn, "mc_done");
			LLVMBuildCondBr(cg->B, LLVMBuildICmp(cg->B, LLVMIntSLT, next,
							     cg_i64(cg, chunks), ""), head, done);
			LLVMAddIncoming(chunk, &next, &latch, 1);
			LLVMPositionBuilderAtEnd(cg->B, done);
			cg->mc_base = NULL;
		}
	}
	cg->node = NULL;
	return 0;
}

static int add_run_fn(cg_ctx *cg, int loop_a, int loop_b, int64_t chunks)
{
	char name[128];
	snprintf(name, sizeof name, "%s_run", cg_prefix(cg->o));
	LLVMTypeRef pt[5] = {cg->t_ptr, cg->t_ptr, cg->t_ptr, cg->t_ptr, cg->t_ptr};
	LLVMTypeRef ft = LLVMFunctionType(cg->t_i32, pt, 5, 0);
	cg->fn = LLVMAddFunction(cg->M, name, ft);
	cg->a_ctx = LLVMGetParam(cg->fn, 0);
	cg->a_inputs = LLVMGetParam(cg->fn, 1);
	cg->a_outputs = LLVMGetParam(cg->fn, 2);
	cg->a_syms = LLVMGetParam(cg->fn, 3);
	cg->a_arena = LLVMGetParam(cg->fn, 4);
	cg->entry = LLVMAppendBasicBlockInContext(cg->C, cg->fn, "entry");
	LLVMPositionBuilderAtEnd(cg->B, cg->entry);
	load_syms(cg, cg->a_syms);
	bind_locations(cg);
	if (lower_nodes(cg, loop_a, loop_b, chunks))
		return -1;
	copy_outputs(cg);
	LLVMBuildRet(cg->B, cg_i32(cg, KILN_RUN_OK));
	return 0;
}

/* Kernels were compiled for a generic CPU; drop their per-function target
 * attributes so the model's target machine decides (AVX-512 here). */
static void strip_target_attrs(LLVMModuleRef M)
{
	static const char *const keys[] = {"target-cpu", "target-features", "tune-cpu"};
	for (LLVMValueRef f = LLVMGetFirstFunction(M); f; f = LLVMGetNextFunction(f))
		for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
			LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, keys[i],
							 (unsigned)strlen(keys[i]));
}

static int load_kernels(cg_ctx *cg)
{
	LLVMMemoryBufferRef mb = LLVMCreateMemoryBufferWithMemoryRange(
		cg_kernels_bc, (size_t)cg_kernels_bc_size, "kernels.bc", 0);
	if (LLVMParseBitcodeInContext2(cg->C, mb, &cg->M)) {
		LLVMDisposeMemoryBuffer(mb);
		return ir_fail(cg->st, "internal error: cannot read the embedded kernel bitcode");
	}
	LLVMDisposeMemoryBuffer(mb);
	LLVMSetModuleIdentifier(cg->M, "kiln_model", 10);
	strip_target_attrs(cg->M);
	return 0;
}

/* kk_conv_paths (nn_conv.c) becomes the union of the paths the model's
 * kk_conv_f32 calls may take, an internal constant: cg_prepare folds the
 * others away, and their kernels are dropped before they are compiled
 * (ResNet-18's depthwise kernels). */
static void set_conv_paths(cg_ctx *cg)
{
	LLVMValueRef gv = LLVMGetNamedGlobal(cg->M, "kk_conv_paths");
	if (!gv)
		return;
	LLVMSetInitializer(gv, LLVMConstInt(cg->t_i32, (unsigned long long)cg->conv_paths, 0));
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMInternalLinkage);
}

int cg_build_module(cg_ctx *cg, ir_graph *g, const cg_options *o, LLVMContextRef C,
		    ir_status *st)
{
	memset(cg, 0, sizeof *cg);
	cg->C = C;
	cg->g = g;
	cg->o = o;
	cg->st = st;
	if (g->nsyms > IR_MAX_SYMS)
		return ir_fail(st, "too many symbolic dimensions");
	if (load_kernels(cg))
		return -1;
	cg->t_void = LLVMVoidTypeInContext(C);
	cg->t_i1 = LLVMInt1TypeInContext(C);
	cg->t_i8 = LLVMInt8TypeInContext(C);
	cg->t_i32 = LLVMInt32TypeInContext(C);
	cg->t_i64 = LLVMInt64TypeInContext(C);
	cg->t_f32 = LLVMFloatTypeInContext(C);
	cg->t_f64 = LLVMDoubleTypeInContext(C);
	cg->t_ptr = LLVMPointerTypeInContext(C, 0);
	cg->B = LLVMCreateBuilderInContext(C);
	cg->ptr = calloc(g->nvalues + 1, sizeof *cg->ptr);
	int rc = -1, loop_a, loop_b;
	int64_t chunks = 1;
	if (!cg->ptr)
		ir_fail(st, "out of memory");
	else if (find_loop(cg, &loop_a, &loop_b, &chunks) == 0 &&
		 cg_plan_build_loop(g, &cg->plan, loop_a, loop_b, st) == 0 &&
		 add_run_fn(cg, loop_a, loop_b, chunks) == 0 && add_meta(cg) == 0) {
		add_arena_size_fn(cg);
		set_conv_paths(cg);
		rc = 0;
	}
	free(cg->ptr);
	cg->ptr = NULL;
	free(cg->plan.loc);
	free(cg->plan.scratch);
	cg->plan.loc = NULL;
	cg->plan.scratch = NULL;
	LLVMDisposeBuilder(cg->B);
	cg->B = NULL;
	return rc;
}
