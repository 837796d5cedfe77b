/* cmd_compile.c — `kiln compile` (ONNX -> shared library, object + header,
 * LLVM IR or assembly) and `kiln inspect` (the graph as kiln's IR text or
 * Graphviz dot, before or after the pass pipeline). */
#include <stdio.h>
#include <string.h>

#include "codegen.h"
#include "passes.h"
#include "tools.h"

int cmd_compile(int argc, char **argv)
{
	tool_opts o;
	cg_options co;
	ir_status st = {0};
	void *g;
	int r;
	if ((r = tool_parse("compile", OPT_OUT | OPT_EMIT | OPT_BUILD | OPT_SEED, argc, argv, &o)))
		return r;
	if (!o.out)
		r = tool_error(TOOL_USAGE, "compile: missing -o OUT (see kiln help compile)");
	if (r) {
		tool_opts_free(&o);
		return r;
	}
	if ((r = tool_build_graph(&o, 1, &g)) == TOOL_OK) {
		tool_cg_options(&o, &co);
		if (cg_emit_file(g, &co, (cg_emit)o.emit, o.out, &st))
			r = tool_error(TOOL_ERR, "%s", st.msg[0] ? st.msg : "code generation failed");
		ir_graph_free(g);
	}
	tool_opts_free(&o);
	return r;
}

int cmd_inspect(int argc, char **argv)
{
	tool_opts o;
	void *g;
	int r;
	if ((r = tool_parse("inspect", OPT_INSPECT | OPT_MODE, argc, argv, &o)))
		return r;
	if (o.has_mode || o.mc_samples)
		o.after_passes = 1;
	if ((r = tool_build_graph(&o, o.after_passes, &g)) == TOOL_OK) {
		if (o.dot)
			ir_print_dot(g, stdout);
		else
			ir_print(g, stdout);
		if (fflush(stdout) != 0)
			r = tool_error(TOOL_ERR, "inspect: cannot write to standard output");
		ir_graph_free(g);
	}
	tool_opts_free(&o);
	return r;
}
