/* test_conv_paths.c — kk_conv_paths (kk_pack.h, nn_conv.c, module.c): the
 * kk_conv_f32 paths a model's Conv nodes cannot take are folded away before
 * the optimiser compiles them. Graphs of one or two Convs, built with the
 * passes tests' builder, go through the pass pipeline, cg_build_module and
 * cg_prepare (what the module is before split.c cuts it into parts); the
 * checks are which kernel bodies it still defines: the depthwise loops (kk__conv_dw_pad_f32) only with a
 * channel-wise Conv, the few-input-channel rows (kk__conv_smallc_f32) only
 * with at most 4 input channels and taps at most 7x7, the GEMM path
 * (kk__conv_gemm_f32) where a group-1 Conv can take no other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "build.h"
#include "cg.h"
#include "jit.h"

typedef struct {
	int dw_pad, smallc, gemm;   /* defined in the optimised module */
} kernels;

static int defined(LLVMModuleRef M, const char *name)
{
	LLVMValueRef f = LLVMGetNamedFunction(M, name);
	return f && !LLVMIsDeclaration(f);
}

/* Conv nodes: C input channels, M outputs, group, k x k taps, on a 32x32
 * image (weights are graph inputs: no packing, the generic kk_conv_f32). */
static void add_conv(ir_graph *g, const char *tag, ir_value *x, int64_t C, int64_t M,
		     int64_t group, int64_t k)
{
	char wn[16], wd[48], yn[16];
	snprintf(wn, sizeof wn, "w%s", tag);
	snprintf(wd, sizeof wd, "%lld,%lld,%lld,%lld", (long long)M, (long long)(C / group),
		 (long long)k, (long long)k);
	snprintf(yn, sizeof yn, "y%s", tag);
	ir_value *in[2] = {x, tb_input(g, wn, IR_F32, wd)};
	ir_value *y = tb_value(g, yn, IR_F32, NULL);
	ir_node *n = tb_node(g, "Conv", yn, 13, 2, in, 1, &y);
	int64_t pads[4] = {k / 2, k / 2, k / 2, k / 2};
	tb_attr_ints(g, n, "pads", 4, pads);
	tb_attr_int(g, n, "group", group);
	tb_output(g, y);
}

static kernels compile(ir_graph *g)
{
	tj_pipeline(g, 0);
	cg_options o = {.opt_level = 3};
	ir_status st = {0};
	LLVMContextRef C = LLVMContextCreate();
	cg_ctx cg;
	LLVMTargetMachineRef tm = cg_target_machine(&o, LLVMRelocPIC, &st);
	assert_non_null(tm);
	if (cg_build_module(&cg, g, &o, C, &st) || cg_prepare(&cg, tm, &st))
		fail_msg("%s", st.msg);
	kernels k = {defined(cg.M, "kk__conv_dw_pad_f32"), defined(cg.M, "kk__conv_smallc_f32"),
		     defined(cg.M, "kk__conv_gemm_f32")};
	LLVMDisposeModule(cg.M);
	LLVMDisposeTargetMachine(tm);
	LLVMContextDispose(C);
	ir_graph_free(g);
	return k;
}

static ir_value *image(ir_graph *g, int64_t C)
{
	char d[32];
	snprintf(d, sizeof d, "1,%lld,32,32", (long long)C);
	return tb_input(g, "x", IR_F32, d);
}

/* A graph of one or two Convs on one input of C channels (M, group, taps
 * each; M 0: no second Conv) and the kernels its module must (1) or must
 * not (0) define, -1 either. */
typedef struct {
	const char *what;
	int64_t C, conv[2][3];
	int dw_pad, smallc, gemm;
} paths_case;

static const paths_case cases[] = {
	{"plain 3x3", 8, {{16, 1, 3}, {0}}, 0, 0, 1},
	{"depthwise", 8, {{8, 8, 3}, {0}}, 1, 0, -1},
	{"3 channels 3x3", 3, {{16, 1, 3}, {0}}, 0, 1, -1},
	{"3 channels 7x7", 3, {{16, 1, 7}, {0}}, 0, 1, -1},
	{"3 channels 9x9", 3, {{16, 1, 9}, {0}}, 0, 0, 1},
	{"depthwise and few channels", 4, {{4, 4, 3}, {16, 1, 3}}, 1, 1, -1},
};

static void check(int want, int got, const paths_case *c, const char *kernel)
{
	if (want >= 0 && want != got)
		fail_msg("%s: %s %s", c->what, kernel, got ? "defined" : "missing");
}

static void test_paths(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const paths_case *c = &cases[i];
		ir_graph *g = tb_graph(13);
		ir_value *x = image(g, c->C);
		for (int n = 0; n < 2 && c->conv[n][0]; n++)
			add_conv(g, n ? "b" : "a", x, c->C, c->conv[n][0], c->conv[n][1],
				 c->conv[n][2]);
		kernels k = compile(g);
		check(c->dw_pad, k.dw_pad, c, "kk__conv_dw_pad_f32");
		check(c->smallc, k.smallc, c, "kk__conv_smallc_f32");
		check(c->gemm, k.gemm, c, "kk__conv_gemm_f32");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
