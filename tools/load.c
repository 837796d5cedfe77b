/* load.c — telling a compiled model from an ONNX file and loading either
 * (kiln run and kiln bench, in both kiln and kiln-compiler). A .so goes to
 * the runtime; a .onnx to the compiler (build.c), which the driver hands
 * over to kiln-compiler. */
#include <stdio.h>
#include <string.h>

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

int tool_load_model(const tool_opts *o, kiln_model **m)
{
	kiln_status ks;
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
	if ((r = tool_build_graph(o, 0, &g)) != TOOL_OK)
		return r;
	return tool_jit_graph(o, g, m);
}
