/* build.c — the compile pipeline shared by the kiln subcommands (kiln-compiler
 * only): ONNX file -> frontend -> pass pipeline (warnings to stderr as
 * "kiln: warning: ...") and, for run and bench, JIT compilation. A
 * pipeline failure on an input kiln needs constant says that kiln run can
 * specialise on its value (tools/run_onnx.c binds such inputs). */
#include <stdio.h>
#include <string.h>

#include "codegen.h"
#include "frontend.h"
#include "passes.h"
#include "tools.h"

static void warn_cb(void *ud, const char *msg)
{
	fprintf(stderr, "kiln: warning: %s\n", msg);
}

/* pass_bind_fn that binds nothing, counting the inputs it is asked for. */
static int count_lookup(void *ud, int index, const char *name, ir_dtype *dt, int *rank,
			int64_t *dims, const void **data)
{
	(void)index, (void)name, (void)dt, (void)rank, (void)dims, (void)data;
	++*(int *)ud;
	return 1;
}

int tool_run_passes(const tool_opts *o, void *graph)
{
	ir_status st = {0};
	pass_options po;
	int shape_inputs = 0;
	memset(&po, 0, sizeof(po));
	po.mode = o->has_mode ? (pass_mode)o->mode : PASS_MODE_AUTO;
	po.mc_samples = o->mc_samples;
	po.mc_keep_samples = o->mc_keep_samples;
	po.mc_chunk = o->mc_chunk;
	po.warn = warn_cb;
	if (strcmp(o->cmd, "run") != 0)
		pass_bind_inputs(graph, count_lookup, &shape_inputs, NULL);
	if (pass_run_pipeline(graph, &po, &st)) {
		if (shape_inputs && strstr(st.msg, "computed at run time"))
			return tool_error(TOOL_ERR, "%s (kiln run MODEL.onnx with the input given "
					  "specialises on its value)", st.msg);
		return tool_error(TOOL_ERR, "%s", st.msg[0] ? st.msg : "pass pipeline failed");
	}
	return TOOL_OK;
}

int tool_build_graph(const tool_opts *o, int run_passes, void **graph)
{
	ir_status st = {0};
	ir_graph *g;
	int r;
	*graph = NULL;
	g = onnx_load_file(o->model, &st);
	if (!g)
		return tool_error(TOOL_ERR, "%s", st.msg[0] ? st.msg : "cannot load the model");
	if (run_passes && (r = tool_run_passes(o, g)) != TOOL_OK) {
		ir_graph_free(g);
		return r;
	}
	*graph = g;
	return TOOL_OK;
}

void tool_cg_options(const tool_opts *o, cg_options *co)
{
	memset(co, 0, sizeof(*co));
	co->triple = o->target;
	co->cpu = o->cpu;
	co->opt_level = o->opt_level;
	co->mc_samples = o->mc_samples;
	co->has_seed = o->has_seed;
	co->seed = o->seed;
}

int tool_jit_graph(const tool_opts *o, void *graph, kiln_model **m)
{
	ir_status st = {0};
	cg_options co;
	int r;
	*m = NULL;
	if ((r = tool_run_passes(o, graph)) == TOOL_OK) {
		tool_cg_options(o, &co);
		*m = cg_jit(graph, &co, &st);
		if (!*m)
			r = tool_error(TOOL_ERR, "%s", st.msg[0] ? st.msg : "JIT compilation failed");
	}
	ir_graph_free(graph);
	return r;
}
