/* target.c — the target machine (host CPU and its features by default, or
 * --target/--cpu), the optimisation pipeline, and the ways a model leaves
 * the compiler: object, assembly, LLVM IR, shared library (object linked by
 * the system cc) or an in-memory LLVM ORC JIT wrapped as a runtime model. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pthread.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Support.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "cg.h"
#include "lower.h"

static void init_llvm(void)
{
	static int done;
	if (done)
		return;
	LLVMInitializeAllTargetInfos();
	LLVMInitializeAllTargets();
	LLVMInitializeAllTargetMCs();
	LLVMInitializeAllAsmPrinters();
	LLVMInitializeAllAsmParsers();
	done = 1;
}

static LLVMCodeGenOptLevel cg_level(const cg_options *o)
{
	switch (o->opt_level) {
	case 0: return LLVMCodeGenLevelNone;
	case 1: return LLVMCodeGenLevelLess;
	case 2: return LLVMCodeGenLevelDefault;
	default: return LLVMCodeGenLevelAggressive;
	}
}

LLVMTargetMachineRef cg_target_machine(const cg_options *o, LLVMRelocMode reloc, ir_status *st)
{
	init_llvm();
	char *triple = o->triple ? LLVMNormalizeTargetTriple(o->triple) : LLVMGetDefaultTargetTriple();
	int host = !o->triple && !o->cpu;
	char *cpu = host ? LLVMGetHostCPUName() : NULL;
	char *feat = host ? LLVMGetHostCPUFeatures() : NULL;
	LLVMTargetRef t;
	char *err = NULL;
	LLVMTargetMachineRef tm = NULL;
	if (LLVMGetTargetFromTriple(triple, &t, &err)) {
		ir_fail(st, "unknown target '%s': %s", triple, err ? err : "");
	} else {
		tm = LLVMCreateTargetMachine(t, triple, host ? cpu : (o->cpu ? o->cpu : ""),
					     host ? feat : (o->features ? o->features : ""),
					     cg_level(o), reloc, LLVMCodeModelDefault);
		if (!tm)
			ir_fail(st, "cannot create a target machine for %s (cpu '%s')", triple,
				o->cpu ? o->cpu : "host");
	}
	LLVMDisposeMessage(err);
	LLVMDisposeMessage(triple);
	LLVMDisposeMessage(cpu);
	LLVMDisposeMessage(feat);
	return tm;
}

static int is_abi_symbol(cg_ctx *cg, const char *name)
{
	const char *p = cg_prefix(cg->o);
	size_t n = strlen(p);
	if (strncmp(name, p, n) != 0)
		return 0;
	return !strcmp(name + n, "_run") || !strcmp(name + n, "_meta") ||
	       !strcmp(name + n, "_arena_size");
}

/* Deletes internal functions and globals nothing refers to, so the
 * optimiser only sees the kernels this model calls. */
static void drop_unused(LLVMModuleRef M)
{
	int changed = 1;
	while (changed) {
		changed = 0;
		for (LLVMValueRef f = LLVMGetFirstFunction(M), nx; f; f = nx) {
			nx = LLVMGetNextFunction(f);
			if (LLVMGetLinkage(f) == LLVMInternalLinkage && !LLVMGetFirstUse(f)) {
				LLVMDeleteFunction(f);
				changed = 1;
			}
		}
		for (LLVMValueRef g = LLVMGetFirstGlobal(M), nx; g; g = nx) {
			nx = LLVMGetNextGlobal(g);
			LLVMLinkage l = LLVMGetLinkage(g);
			if ((l == LLVMInternalLinkage || l == LLVMPrivateLinkage) && !LLVMGetFirstUse(g)) {
				LLVMDeleteGlobal(g);
				changed = 1;
			}
		}
	}
}

/* Some x86 tunings (Skylake-AVX512, x86-64-v4) make LLVM prefer 256-bit
 * vectors even where AVX-512 is available; the model's kernels are long
 * FMA loops that gain from full-width vectors, so ask for 512 bits when the
 * target's features include AVX-512F. */
static void prefer_wide_vectors(cg_ctx *cg, LLVMTargetMachineRef tm)
{
	char *feat = LLVMGetTargetMachineFeatureString(tm);
	int wide = feat && strstr(feat, "+avx512f") != NULL;
	LLVMDisposeMessage(feat);
	if (!wide)
		return;
	LLVMAttributeRef a = LLVMCreateStringAttribute(cg->C, "prefer-vector-width", 19, "512", 3);
	for (LLVMValueRef f = LLVMGetFirstFunction(cg->M); f; f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f))
			LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, a);
}

/* The math kernels dispatch on op and dtype codes to one loop nest per
 * (op, dtype); each call uses one. These are inlined first; the heavy nn
 * kernels (GEMM, convolution, pooling) are not: O3 optimises each once and
 * decides itself, which keeps compile time low for large models. */
static int is_dispatch_kernel(const char *name)
{
	static const char *const names[] = {
		"kk_unary", "kk_clip", "kk_cast", "kk_binary", "kk_pow", "kk_where", "kk_reduce",
		"kk_argreduce", "kk_softmax", "kk_batchnorm", "kk_instancenorm", "kk_layernorm",
		"kk_lrn", "kk_dropout", "kk_dropout_range", "kk_dropout_rt", "kk_act_dropout"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (!strcmp(name, names[i]))
			return 1;
	return 0;
}

/* Marks alwaysinline the internal functions the run function calls that are
 * dispatch kernels (round 0) or helpers such kernels left behind (later
 * rounds: internal functions not named kk_*); returns how many. */
static int mark_called_from_run(cg_ctx *cg, int round)
{
	unsigned kind = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
	unsigned noinl = LLVMGetEnumAttributeKindForName("noinline", 8);
	LLVMAttributeRef a = LLVMCreateEnumAttribute(cg->C, kind, 0);
	int n = 0;
	for (LLVMValueRef f = LLVMGetFirstFunction(cg->M); f; f = LLVMGetNextFunction(f)) {
		if (LLVMIsDeclaration(f) || LLVMGetLinkage(f) != LLVMInternalLinkage)
			continue;
		const char *name = LLVMGetValueName(f);
		if (round == 0 ? !is_dispatch_kernel(name) : !strncmp(name, "kk_", 3))
			continue;
		for (LLVMUseRef u = LLVMGetFirstUse(f); u; u = LLVMGetNextUse(u)) {
			LLVMValueRef user = LLVMGetUser(u);
			if (!LLVMIsAInstruction(user) ||
			    !cg_is_root_fn(cg, LLVMGetBasicBlockParent(LLVMGetInstructionParent(user))))
				continue;
			LLVMRemoveEnumAttributeAtIndex(f, LLVMAttributeFunctionIndex, noinl);
			LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex, a);
			n++;
			break;
		}
	}
	return n;
}

/* LLVM's own options, set once per process (they are global to libLLVM).
 * The kernels branch on many run-time parameters; with O3's defaults the
 * unswitching of loops on them and full unrolling multiply their code
 * for no measured speed-up: the micro-kernels are unrolled by hand, and the
 * one loop that gained from unswitching (Winograd's output row, on its
 * residual) is versioned in the kernel. O3 asks SimpleLoopUnswitch for
 * non-trivial unswitching, which -enable-nontrivial-unswitch can only force
 * on; a cost threshold of 0 is what stops it (trivial unswitching, which
 * copies nothing, stays). Measured on ResNet-18: 23% less IR after
 * optimisation, compile 4.2-5.4 s -> 3.5-4.5 s, outputs bit-identical. */
static void parse_llvm_options(void)
{
	const char *argv[] = {"kiln", "-unroll-threshold=50", "-unswitch-threshold=0"};
	LLVMParseCommandLineOptions(3, argv, NULL);
}

static void llvm_options(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, parse_llvm_options);
}

int cg_run_passes(LLVMModuleRef M, const char *pipe, LLVMTargetMachineRef tm,
		  LLVMPassBuilderOptionsRef po, const char *what, ir_status *st)
{
	LLVMErrorRef e = LLVMRunPasses(M, pipe, tm, po);
	if (!e)
		return 0;
	char *em = LLVMGetErrorMessage(e);
	ir_fail(st, "LLVM %s failed: %s", what, em);
	LLVMDisposeErrorMessage(em);
	return -1;
}

/* Kernels are generic over op, dtype and shape. Inlining them into the run
 * function one level at a time, folding the constant op/dtype switches and
 * dropping the arms that became dead after each level, cuts every call down
 * to the one loop nest it needs before the O3 pipeline sees it: the
 * optimiser never spends time on a generic body. */
static int specialise(cg_ctx *cg, LLVMPassBuilderOptionsRef po, ir_status *st)
{
	for (int round = 0; round < 6 && mark_called_from_run(cg, round); round++)
		if (cg_run_passes(cg->M, "always-inline,function(sroa,sccp,simplifycfg),globaldce",
			       NULL, po, "inlining", st))
			return -1;
	return 0;
}

void cg_set_target(LLVMModuleRef M, LLVMTargetMachineRef tm)
{
	char *triple = LLVMGetTargetMachineTriple(tm);
	LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
	char *dl = LLVMCopyStringRepOfTargetData(td);
	LLVMSetTarget(M, triple);
	LLVMSetDataLayout(M, dl);
	LLVMDisposeMessage(dl);
	LLVMDisposeTargetData(td);
	LLVMDisposeMessage(triple);
}

/* kk_conv_paths (module.c) folded into the kernels that read it, and the
 * paths it rules out dropped with the kernels only they call, before the
 * module is cut into parts (split.c): the other parts see the global as a
 * declaration and could not fold it. */
static int fold_conv_paths(cg_ctx *cg, LLVMPassBuilderOptionsRef po, ir_status *st)
{
	LLVMValueRef gv = LLVMGetNamedGlobal(cg->M, "kk_conv_paths");
	if (!gv || !LLVMGetFirstUse(gv))
		return 0;
	return cg_run_passes(cg->M, "ipsccp,globaldce", NULL, po, "constant propagation", st);
}

int cg_prepare(cg_ctx *cg, LLVMTargetMachineRef tm, ir_status *st)
{
	cg_set_target(cg->M, tm);
	for (LLVMValueRef f = LLVMGetFirstFunction(cg->M); f; f = LLVMGetNextFunction(f))
		if (!LLVMIsDeclaration(f) && !is_abi_symbol(cg, LLVMGetValueName(f)))
			LLVMSetLinkage(f, LLVMInternalLinkage);
	for (LLVMValueRef gv = LLVMGetFirstGlobal(cg->M); gv; gv = LLVMGetNextGlobal(gv))
		if (!LLVMIsDeclaration(gv) && !is_abi_symbol(cg, LLVMGetValueName(gv)))
			LLVMSetLinkage(gv, LLVMInternalLinkage);
	drop_unused(cg->M);
	prefer_wide_vectors(cg, tm);
	char *msg = NULL;
	if (LLVMVerifyModule(cg->M, LLVMReturnStatusAction, &msg)) {
		ir_fail(st, "internal error: generated LLVM module is invalid: %.300s", msg);
		LLVMDisposeMessage(msg);
		return -1;
	}
	LLVMDisposeMessage(msg);
	llvm_options();
	if (cg->o->opt_level <= 0)
		return 0;
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	int rc = fold_conv_paths(cg, po, st) ? -1 : specialise(cg, po, st);
	LLVMDisposePassBuilderOptions(po);
	return rc;
}

int cg_pipeline(LLVMModuleRef M, LLVMTargetMachineRef tm, int lvl, ir_status *st)
{
	const char *pipe = lvl <= 0 ? "default<O0>" : lvl == 1 ? "default<O1>"
			 : lvl == 2 ? "default<O2>" : "default<O3>";
	LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
	LLVMPassBuilderOptionsSetLoopVectorization(po, lvl >= 2);
	LLVMPassBuilderOptionsSetSLPVectorization(po, lvl >= 2);
	int rc = cg_run_passes(M, pipe, tm, po, "optimisation", st);
	LLVMDisposePassBuilderOptions(po);
	return rc;
}

int cg_optimize(cg_ctx *cg, LLVMTargetMachineRef tm, ir_status *st)
{
	if (cg_prepare(cg, tm, st))
		return -1;
	return cg_pipeline(cg->M, tm, cg->o->opt_level, st);
}

/* Builds and optimises the module in context C. */
static int build(cg_ctx *cg, ir_graph *g, const cg_options *o, LLVMContextRef C,
		 LLVMTargetMachineRef tm, ir_status *st)
{
	if (cg_build_module(cg, g, o, C, st))
		return -1;
	return cg_optimize(cg, tm, st);
}

/* Links obj into a shared library with the system cc. The linker's own
 * messages are captured and the first line goes into the one-line error. */
static int run_cc_with(char *const *objs, int nobj, const char *out, const char *ld,
		       ir_status *st)
{
	int pfd[2];
	if (pipe(pfd) < 0)
		return ir_fail(st, "cannot start the linker: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return ir_fail(st, "cannot start the linker: %s", strerror(errno));
	}
	if (pid == 0) {
		const char *cc = getenv("CC");
		if (!cc || !*cc)
			cc = "cc";
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		const char *argv[5 + CG_PARTS + 3];
		int a = 0;
		argv[a++] = cc;
		if (ld)
			argv[a++] = ld;
		argv[a++] = "-shared";
		argv[a++] = "-o";
		argv[a++] = out;
		for (int i = 0; i < nobj && i < CG_PARTS; i++)
			argv[a++] = objs[i];
		argv[a++] = "-lm";
		argv[a++] = "-lpthread";
		argv[a] = NULL;
		execvp(cc, (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", cc, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	char msg[512];
	size_t len = 0;
	ssize_t r;
	char junk[512];
	while ((r = read(pfd[0], len < sizeof msg - 1 ? msg + len : junk,
			 len < sizeof msg - 1 ? sizeof msg - 1 - len : sizeof junk)) != 0) {
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && len < sizeof msg - 1)
			len += (size_t)r;
	}
	close(pfd[0]);
	msg[len] = 0;
	msg[strcspn(msg, "\n")] = 0;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return ir_fail(st, "waiting for the linker: %s", strerror(errno));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return ir_fail(st, "linking %s failed: %s", out, msg[0] ? msg : "the system cc failed");
	return 0;
}

/* Links with lld where the toolchain has it, else gold, else the default
 * (ResNet-18's 77 MB of weights: 0.12 s with lld, 0.22 s with gold, 0.40-
 * 0.53 s with ld.bfd). */
static int run_cc(char *const *objs, int nobj, const char *out, ir_status *st)
{
	return run_cc_with(objs, nobj, out, "-fuse-ld=lld", st) == 0 ? 0
	       : run_cc_with(objs, nobj, out, "-fuse-ld=gold", st) == 0 ? 0
	       : run_cc_with(objs, nobj, out, NULL, st);
}

static int write_header(const cg_options *o, const char *path, ir_status *st)
{
	char h[4096];
	size_t n = strlen(path);
	const char *dot = strrchr(path, '.');
	const char *slash = strrchr(path, '/');
	if (dot && (!slash || dot > slash))
		n = (size_t)(dot - path);
	snprintf(h, sizeof h, "%.*s.h", (int)n, path);
	FILE *f = fopen(h, "w");
	if (!f)
		return ir_fail(st, "cannot write %s: %s", h, strerror(errno));
	const char *p = cg_prefix(o);
	fprintf(f, "/* Generated by kiln: entry points of a compiled model (see kiln_abi.h). */\n"
		   "#ifndef %s_H\n#define %s_H\n#include <stdint.h>\n#include \"kiln_abi.h\"\n"
		   "extern const char %s_meta[];\n"
		   "int64_t %s_arena_size(const int64_t *syms);\n"
		   "int32_t %s_run(kiln_rt_ctx *ctx, void *const *inputs, void *const *outputs,\n"
		   "\tconst int64_t *syms, void *arena);\n#endif\n", p, p, p, p, p);
	if (fclose(f))
		return ir_fail(st, "cannot write %s", h);
	return 0;
}

static int emit_to(LLVMTargetMachineRef tm, LLVMModuleRef M, const char *path,
		   LLVMCodeGenFileType ft, ir_status *st)
{
	char *err = NULL;
	if (LLVMTargetMachineEmitToFile(tm, M, (char *)path, ft, &err)) {
		ir_fail(st, "cannot write %s: %s", path, err ? err : "");
		LLVMDisposeMessage(err);
		return -1;
	}
	return 0;
}

/* The shared library: the module optimised and compiled as CG_PARTS parts
 * in parallel (split.c), linked by the system cc. */
static int emit_so(cg_ctx *cg, const char *path, ir_status *st)
{
	char tmp[CG_PARTS][24];
	char *objs[CG_PARTS];
	int n = 0, rc = 0;
	for (; n < CG_PARTS; n++) {
		snprintf(tmp[n], sizeof tmp[n], "/tmp/kiln-XXXXXX.o");
		int fd = mkstemps(tmp[n], 2);
		if (fd < 0) {
			rc = ir_fail(st, "cannot create a temporary file: %s", strerror(errno));
			break;
		}
		close(fd);
		objs[n] = tmp[n];
	}
	int parts = rc ? -1 : cg_emit_parts(cg->M, cg->o, CG_PARTS, objs, st);
	rc = parts < 1 ? -1 : run_cc(objs, parts, path, st);
	for (int i = 0; i < n; i++)
		unlink(tmp[i]);
	return rc;
}

int cg_emit_file(ir_graph *g, const cg_options *o, cg_emit kind, const char *path, ir_status *st)
{
	LLVMTargetMachineRef tm = cg_target_machine(o, LLVMRelocPIC, st);
	if (!tm)
		return -1;
	LLVMContextRef C = LLVMContextCreate();
	cg_ctx cg;
	int rc = kind == CG_EMIT_SO ? cg_build_module(&cg, g, o, C, st) || cg_prepare(&cg, tm, st)
				    : build(&cg, g, o, C, tm, st);
	if (rc == 0) {
		char *err = NULL;
		switch (kind) {
		case CG_EMIT_LLVM:
			if (LLVMPrintModuleToFile(cg.M, path, &err)) {
				rc = ir_fail(st, "cannot write %s: %s", path, err ? err : "");
			}
			LLVMDisposeMessage(err);
			break;
		case CG_EMIT_ASM: rc = emit_to(tm, cg.M, path, LLVMAssemblyFile, st); break;
		case CG_EMIT_OBJ:
			rc = emit_to(tm, cg.M, path, LLVMObjectFile, st);
			if (rc == 0)
				rc = write_header(o, path, st);
			break;
		case CG_EMIT_SO: rc = emit_so(&cg, path, st); break;
		}
	}
	if (cg.M)
		LLVMDisposeModule(cg.M);
	LLVMContextDispose(C);
	LLVMDisposeTargetMachine(tm);
	return rc;
}

/* ---- JIT ---- */

static void jit_release(void *owner)
{
	LLVMErrorRef e = LLVMOrcDisposeLLJIT((LLVMOrcLLJITRef)owner);
	if (e)
		LLVMConsumeError(e);
}

static int orc_err(LLVMErrorRef e, const char *what, ir_status *st)
{
	char *m = LLVMGetErrorMessage(e);
	ir_fail(st, "JIT: %s: %s", what, m);
	LLVMDisposeErrorMessage(m);
	return -1;
}

static LLVMOrcLLJITRef make_jit(ir_status *st)
{
	LLVMOrcJITTargetMachineBuilderRef jtmb;
	LLVMErrorRef e = LLVMOrcJITTargetMachineBuilderDetectHost(&jtmb);
	if (e) {
		orc_err(e, "detecting the host", st);
		return NULL;
	}
	LLVMOrcLLJITBuilderRef b = LLVMOrcCreateLLJITBuilder();
	LLVMOrcLLJITBuilderSetJITTargetMachineBuilder(b, jtmb);
	LLVMOrcLLJITRef j;
	if ((e = LLVMOrcCreateLLJIT(&j, b))) {
		orc_err(e, "creating the JIT", st);
		return NULL;
	}
	LLVMOrcDefinitionGeneratorRef gen;
	if ((e = LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
		     &gen, LLVMOrcLLJITGetGlobalPrefix(j), NULL, NULL))) {
		orc_err(e, "process symbols", st);
		jit_release(j);
		return NULL;
	}
	LLVMOrcJITDylibAddGenerator(LLVMOrcLLJITGetMainJITDylib(j), gen);
	return j;
}

static int lookup(LLVMOrcLLJITRef j, const cg_options *o, const char *suffix, void **out,
		  ir_status *st)
{
	char name[160];
	snprintf(name, sizeof name, "%s%s", cg_prefix(o), suffix);
	LLVMOrcExecutorAddress a;
	LLVMErrorRef e = LLVMOrcLLJITLookup(j, &a, name);
	if (e)
		return orc_err(e, name, st);
	*out = (void *)(uintptr_t)a;
	return 0;
}

kiln_model *cg_jit(ir_graph *g, const cg_options *o, ir_status *st)
{
	LLVMTargetMachineRef tm = cg_target_machine(o, LLVMRelocDefault, st);
	if (!tm)
		return NULL;
	LLVMOrcThreadSafeContextRef tsc = LLVMOrcCreateNewThreadSafeContext();
	cg_ctx cg;
	int rc = build(&cg, g, o, LLVMOrcThreadSafeContextGetContext(tsc), tm, st);
	LLVMDisposeTargetMachine(tm);
	if (rc) {
		if (cg.M)
			LLVMDisposeModule(cg.M);
		LLVMOrcDisposeThreadSafeContext(tsc);
		return NULL;
	}
	LLVMOrcLLJITRef j = make_jit(st);
	if (!j) {
		LLVMDisposeModule(cg.M);
		LLVMOrcDisposeThreadSafeContext(tsc);
		return NULL;
	}
	LLVMOrcThreadSafeModuleRef tsm = LLVMOrcCreateNewThreadSafeModule(cg.M, tsc);
	LLVMOrcDisposeThreadSafeContext(tsc);
	LLVMErrorRef e = LLVMOrcLLJITAddLLVMIRModule(j, LLVMOrcLLJITGetMainJITDylib(j), tsm);
	if (e) {
		orc_err(e, "adding the module", st);
		LLVMOrcDisposeThreadSafeModule(tsm);
		jit_release(j);
		return NULL;
	}
	void *meta, *arena, *run;
	if (lookup(j, o, "_meta", &meta, st) || lookup(j, o, "_arena_size", &arena, st) ||
	    lookup(j, o, "_run", &run, st)) {
		jit_release(j);
		return NULL;
	}
	kiln_status ks = {0};
	kiln_model *m = kiln_model_from_symbols(meta, arena, run, j, jit_release, &ks);
	if (!m) {
		ir_fail(st, "%s", ks.msg);
		jit_release(j);
	}
	return m;
}
