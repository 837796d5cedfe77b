/* build.c — the compile pipeline shared by the kiln subcommands: ONNX file
 * -> frontend -> pass pipeline (warnings to stderr as "kiln: warning: ...")
 * and, for run and bench, JIT compilation or loading of a compiled .so. */
#include <stdio.h>
#include <string.h>

#include "codegen.h"
#include "frontend.h"
#include "passes.h"
#include "tools.h"

int tool_is_shared_lib(const char *path)
{
	unsigned char magic[4] = {0};
	size_t n = strlen(path);
	FILE *f;
	if (n >= 5 && strcmp(path + n - 5, ".onnx") == 0)
		return 0;
	if (n >= 3 && strcmp(path + n - 3, ".so") == 0)
		return 1;
	if (!(f = fopen(path, "rb")))
		return 0;
	n = fread(magic, 1, 4, f);
	fclose(f);
	return n == 4 && memcmp(magic, "\x7f" "ELF", 4) == 0;
}

static void warn_cb(void *ud, const char *msg)
{
	fprintf(stderr, "kiln: warning: %s\n", msg);
}

int tool_build_graph(const tool_opts *o, int run_passes, void **graph)
{
	ir_status st = {0};
	ir_graph *g;
	pass_options po;
	*graph = NULL;
	g = onnx_load_file(o->model, &st);
	if (!g)
		return tool_error(TOOL_ERR, "%s", st.msg[0] ? st.msg : "cannot load the model");
	if (run_passes) {
		memset(&po, 0, sizeof(po));
		po.mode = o->has_mode ? (pass_mode)o->mode : PASS_MODE_AUTO;
		po.mc_samples = o->mc_samples;
		po.mc_keep_samples = o->mc_keep_samples;
		po.warn = warn_cb;
		if (pass_run_pipeline(g, &po, &st)) {
			ir_graph_free(g);
			return tool_error(TOOL_ERR, "%s", st.msg[0] ? st.msg : "pass pipeline failed");
		}
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

int tool_load_model(const tool_opts *o, kiln_model **m)
{
	kiln_status ks;
	ir_status st = {0};
	cg_options co;
	void *g;
	int r;
	*m = NULL;
	if (tool_is_shared_lib(o->model)) {
		if (o->has_build_flags || o->has_mode)
			return tool_error(TOOL_USAGE, "%s: --mode, --mc-dropout, --target, --cpu and -O apply "
					  "only to .onnx models, not to compiled '%s'", o->cmd, o->model);
		*m = kiln_model_load(o->model, &ks);
		return *m ? TOOL_OK : tool_error(TOOL_ERR, "%s", ks.msg);
	}
	if ((r = tool_build_graph(o, 1, &g)) != TOOL_OK)
		return r;
	tool_cg_options(o, &co);
	*m = cg_jit(g, &co, &st);
	ir_graph_free(g);
	if (!*m)
		return tool_error(TOOL_ERR, "%s", st.msg[0] ? st.msg : "JIT compilation failed");
	return TOOL_OK;
}
