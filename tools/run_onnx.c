/* run_onnx.c — the compiler's half of `kiln run` (kiln-compiler only):
 * reading TensorProto .pb inputs with the frontend, and running a .onnx,
 * which is specialised on the values of the inputs that decide shapes
 * (pass_bind_inputs) before it is JIT-compiled. The driver (driver.c) hands
 * a command that gets here over to kiln-compiler. */
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "passes.h"
#include "tools.h"

int tool_read_pb(const char *path, kiln_tensor *t)
{
	onnx_tensor ot;
	ir_status st = {0};
	if (onnx_tensor_read_pb(path, &ot, &st))
		return tool_error(TOOL_ERR, "%s", st.msg[0] ? st.msg : "cannot read tensor file");
	if (kiln_dtype_size((int)ot.dtype) == 0 || ot.rank > KILN_MAX_RANK) {
		onnx_tensor_free(&ot);
		return tool_error(TOOL_ERR, "%s: unsupported tensor (dtype %d, rank %d)", path, (int)ot.dtype, ot.rank);
	}
	t->dtype = (int32_t)ot.dtype;
	t->rank = ot.rank;
	memcpy(t->dims, ot.dims, sizeof(int64_t) * (size_t)ot.rank);
	t->data = ot.data;          /* take ownership */
	ot.data = NULL;
	onnx_tensor_free(&ot);
	return TOOL_OK;
}

/* pass_bind_fn over the tensors read for the original graph's inputs. */
static int bind_lookup(void *ud, int index, const char *name, ir_dtype *dt, int *rank,
		       int64_t *dims, const void **data)
{
	const kiln_tensor *t = &((const run_slot *)ud)[index].t;
	(void)name;
	*dt = (ir_dtype)t->dtype;
	*rank = t->rank;
	memcpy(dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
	*data = t->data;
	return 0;
}

static char **graph_names(const ir_graph *g, int *n)
{
	*n = g->ninputs;
	char **names = calloc((size_t)*n + 1, sizeof(*names));
	for (int i = 0; names && i < *n; i++)
		names[i] = strdup(g->inputs[i]->name);
	return names;
}

int run_prepare_onnx(const tool_opts *o, kiln_model **m, char ***names, int *n, run_slot **slots)
{
	ir_status st = {0};
	void *g;
	int r;
	if ((r = tool_build_graph(o, 0, &g)) != TOOL_OK)
		return r;
	*names = graph_names(g, n);
	*slots = calloc((size_t)*n + 1, sizeof(**slots));
	if (!*names || !*slots)
		r = tool_error(TOOL_ERR, "out of memory");
	if (r == TOOL_OK)
		r = run_load_inputs(o, (const char *const *)*names, *n, *slots);
	if (r == TOOL_OK && pass_bind_inputs(g, bind_lookup, *slots, &st) < 0)
		r = tool_error(TOOL_ERR, "%s", st.msg);
	if (r != TOOL_OK) {
		ir_graph_free(g);
		return r;
	}
	return tool_jit_graph(o, g, m);
}
