/* test_split.c — parallel code generation (codegen/split.c, cg_emit_parts)
 * on hand-written LLVM modules. The module mimics a model: an entry point
 * calling two internal kernels twice each, the kernels sharing a helper and
 * reading one constant table. Checked from the objects' symbol tables:
 * three parts; each kernel defined in exactly one of them, in different
 * parts after the first; the entry point and the table defined once, in
 * part 0; the helper local to the kernels' parts. Then the objects are
 * linked by the system cc, loaded, and the entry point's result checked
 * against the same sum computed here. A module whose entry point calls
 * nothing twice is compiled as one part. */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include <llvm-c/Object.h>

#include "cg.h"

#define TAB_N 16

typedef struct {
	LLVMContextRef C;
	LLVMModuleRef M;
	LLVMBuilderRef B;
	LLVMTypeRef i64, ptr, fn_t;
	LLVMValueRef tab;
} mod;

static float tab_value(int i) { return (float)(i * i) * 0.25f + 1.0f; }

/* i64 NAME(i64 x): helper(x) + tab[x & 15] * scale, truncated; internal. */
static LLVMValueRef add_kernel(mod *m, const char *name, LLVMValueRef helper, double scale)
{
	LLVMValueRef f = LLVMAddFunction(m->M, name, m->fn_t);
	LLVMSetLinkage(f, LLVMInternalLinkage);
	LLVMPositionBuilderAtEnd(m->B, LLVMAppendBasicBlockInContext(m->C, f, "e"));
	LLVMValueRef x = LLVMGetParam(f, 0);
	LLVMValueRef h = LLVMBuildCall2(m->B, m->fn_t, helper, &x, 1, "h");
	LLVMValueRef idx = LLVMBuildAnd(m->B, x, LLVMConstInt(m->i64, TAB_N - 1, 0), "i");
	LLVMTypeRef f32 = LLVMFloatTypeInContext(m->C);
	LLVMValueRef p = LLVMBuildGEP2(m->B, f32, m->tab, &idx, 1, "p");
	LLVMValueRef v = LLVMBuildFMul(m->B, LLVMBuildLoad2(m->B, f32, p, "t"),
				       LLVMConstReal(f32, scale), "s");
	LLVMBuildRet(m->B, LLVMBuildAdd(m->B, h, LLVMBuildFPToSI(m->B, v, m->i64, "c"), "r"));
	return f;
}

/* The module; calls: how often the entry point calls each kernel. */
static void build(mod *m, int calls)
{
	m->C = LLVMContextCreate();
	m->M = LLVMModuleCreateWithNameInContext("t", m->C);
	m->B = LLVMCreateBuilderInContext(m->C);
	m->i64 = LLVMInt64TypeInContext(m->C);
	m->ptr = LLVMPointerTypeInContext(m->C, 0);
	m->fn_t = LLVMFunctionType(m->i64, &m->i64, 1, 0);
	LLVMTypeRef f32 = LLVMFloatTypeInContext(m->C);
	LLVMValueRef vals[TAB_N];
	for (int i = 0; i < TAB_N; i++)
		vals[i] = LLVMConstReal(f32, tab_value(i));
	m->tab = LLVMAddGlobal(m->M, LLVMArrayType2(f32, TAB_N), "tab");
	LLVMSetInitializer(m->tab, LLVMConstArray2(f32, vals, TAB_N));
	LLVMSetGlobalConstant(m->tab, 1);
	LLVMSetLinkage(m->tab, LLVMInternalLinkage);

	LLVMValueRef helper = LLVMAddFunction(m->M, "helper", m->fn_t);
	LLVMSetLinkage(helper, LLVMInternalLinkage);
	LLVMPositionBuilderAtEnd(m->B, LLVMAppendBasicBlockInContext(m->C, helper, "e"));
	LLVMValueRef hx = LLVMGetParam(helper, 0);
	LLVMBuildRet(m->B, LLVMBuildMul(m->B, hx, LLVMConstInt(m->i64, 3, 0), "m"));

	LLVMValueRef ka = add_kernel(m, "kern_a", helper, 2.0);
	LLVMValueRef kb = add_kernel(m, "kern_b", helper, 10.0);
	LLVMValueRef run = LLVMAddFunction(m->M, "kiln_model_run", m->fn_t);
	LLVMPositionBuilderAtEnd(m->B, LLVMAppendBasicBlockInContext(m->C, run, "e"));
	LLVMValueRef acc = LLVMGetParam(run, 0);
	for (int c = 0; c < calls; c++) {
		LLVMValueRef a = LLVMBuildCall2(m->B, m->fn_t, ka, &acc, 1, "a");
		LLVMValueRef b = LLVMBuildCall2(m->B, m->fn_t, kb, &a, 1, "b");
		acc = LLVMBuildAdd(m->B, b, LLVMConstInt(m->i64, (unsigned long long)c, 0), "acc");
	}
	LLVMBuildRet(m->B, acc);
	LLVMDisposeBuilder(m->B);

	cg_options o = {.opt_level = 2};
	ir_status st = {0};
	LLVMTargetMachineRef tm = cg_target_machine(&o, LLVMRelocPIC, &st);
	assert_non_null(tm);
	cg_set_target(m->M, tm);
	LLVMDisposeTargetMachine(tm);
}

/* The same computation in C. */
static int64_t kern(int64_t x, double scale)
{
	return x * 3 + (int64_t)(tab_value((int)(x & (TAB_N - 1))) * (float)scale);
}

static int64_t expect_run(int64_t x, int calls)
{
	for (int c = 0; c < calls; c++)
		x = kern(kern(x, 2.0), 10.0) + c;
	return x;
}

/* 1 when object path defines symbol name (in a section), 0 when it only
 * refers to it or does not mention it. */
static int defines(const char *path, const char *name)
{
	LLVMMemoryBufferRef mb;
	char *err = NULL;
	if (LLVMCreateMemoryBufferWithContentsOfFile(path, &mb, &err)) {
		fail_msg("cannot read %s: %s", path, err);
		return 0;
	}
	LLVMBinaryRef bin = LLVMCreateBinary(mb, NULL, &err);
	assert_non_null(bin);
	LLVMSectionIteratorRef sec = LLVMObjectFileCopySectionIterator(bin);
	LLVMSymbolIteratorRef sym = LLVMObjectFileCopySymbolIterator(bin);
	int found = 0;
	for (; !LLVMObjectFileIsSymbolIteratorAtEnd(bin, sym); LLVMMoveToNextSymbol(sym)) {
		if (strcmp(LLVMGetSymbolName(sym), name))
			continue;
		LLVMMoveToContainingSection(sec, sym);
		found |= !LLVMObjectFileIsSectionIteratorAtEnd(bin, sec);
	}
	LLVMDisposeSymbolIterator(sym);
	LLVMDisposeSectionIterator(sec);
	LLVMDisposeBinary(bin);
	LLVMDisposeMemoryBuffer(mb);
	return found;
}

static void temp_objs(char tmp[CG_PARTS][32], char *objs[CG_PARTS])
{
	for (int p = 0; p < CG_PARTS; p++) {
		snprintf(tmp[p], sizeof tmp[p], "/tmp/kiln-split-XXXXXX.o");
		int fd = mkstemps(tmp[p], 2);
		assert_true(fd >= 0);
		close(fd);
		objs[p] = tmp[p];
	}
}

/* Links the n objects into a temporary library (its path into so) and
 * loads it. */
static void *load_so(char *const *objs, int n, char so[32])
{
	snprintf(so, 32, "/tmp/kiln-split-XXXXXX.so");
	int fd = mkstemps(so, 3);
	assert_true(fd >= 0);
	close(fd);
	char cmd[512];
	int len = snprintf(cmd, sizeof cmd, "cc -shared -o %s", so);
	for (int p = 0; p < n; p++)
		len += snprintf(cmd + len, sizeof cmd - (size_t)len, " %s", objs[p]);
	assert_int_equal(system(cmd), 0);
	void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	return h;
}

static void cleanup(mod *m, char *const *objs, const char *so, void *h)
{
	dlclose(h);
	unlink(so);
	for (int p = 0; p < CG_PARTS; p++)
		unlink(objs[p]);
	LLVMDisposeModule(m->M);
	LLVMContextDispose(m->C);
}

static void test_three_parts(void **state)
{
	(void)state;
	mod m;
	build(&m, 2);
	char tmp[CG_PARTS][32], *objs[CG_PARTS];
	temp_objs(tmp, objs);
	cg_options o = {.opt_level = 2};
	ir_status st = {0};
	/* part 0 the entry point, each kernel a part of its own: the parts
	 * after the first outnumber this machine's other cores when it has
	 * fewer than 3, so the queue hands one to the thread done first */
	int n = cg_emit_parts(m.M, &o, CG_PARTS, objs, &st);
	assert_true(CG_PARTS >= 3);
	assert_int_equal(n, 3);
	int pa = -1, pb = -1;
	for (int p = 0; p < n; p++) {
		if (defines(objs[p], "kern_a")) {
			assert_int_equal(pa, -1);
			pa = p;
		}
		if (defines(objs[p], "kern_b")) {
			assert_int_equal(pb, -1);
			pb = p;
		}
		assert_int_equal(defines(objs[p], "kiln_model_run"), p == 0);
		assert_int_equal(defines(objs[p], "tab"), p == 0);
	}
	assert_true(pa > 0 && pb > 0 && pa != pb);

	char so[32];
	void *h = load_so(objs, n, so);
	int64_t (*run)(int64_t) = (int64_t (*)(int64_t))dlsym(h, "kiln_model_run");
	assert_non_null(run);
	for (int64_t x = 0; x < 40; x += 7)
		assert_int_equal(run(x), expect_run(x, 2));
	/* the shared symbols stay out of the library's dynamic table */
	assert_null(dlsym(h, "kern_a"));
	assert_null(dlsym(h, "tab"));
	cleanup(&m, objs, so, h);
}

static void test_one_part(void **state)
{
	(void)state;
	mod m;
	build(&m, 1);   /* each kernel called once: inlined, nothing to cut */
	char tmp[CG_PARTS][32], *objs[CG_PARTS];
	temp_objs(tmp, objs);
	cg_options o = {.opt_level = 2};
	ir_status st = {0};
	assert_int_equal(cg_emit_parts(m.M, &o, CG_PARTS, objs, &st), 1);
	char so[32];
	void *h = load_so(objs, 1, so);
	int64_t (*run)(int64_t) = (int64_t (*)(int64_t))dlsym(h, "kiln_model_run");
	assert_non_null(run);
	assert_int_equal(run(5), expect_run(5, 1));
	cleanup(&m, objs, so, h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_parts),
		cmocka_unit_test(test_one_part),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
