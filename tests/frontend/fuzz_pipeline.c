/* fuzz_pipeline.c — libFuzzer target for what `kiln compile` does before code
 * generation: every input is loaded with onnx_load_buffer (no base folder:
 * external data refused) and, when it loads, run through the pass pipeline
 * (shape inference, constant folding, the fusions; ir_verify after each
 * pass). Each step must succeed or fail with a message, never crash, hang or
 * leak. Build with -DKILN_FUZZ=ON and CC=clang-19; not part of ctest. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frontend.h"
#include "passes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ir_status st = {0};
	ir_graph *g = onnx_load_buffer(data, size, NULL, &st);
	if (!g) {
		assert(st.code != 0 && st.msg[0] != 0);
		return 0;
	}
	pass_options po;
	memset(&po, 0, sizeof po);
	po.mode = PASS_MODE_INFERENCE;
	po.verify = 1;
	memset(&st, 0, sizeof st);
	if (pass_run_pipeline(g, &po, &st))
		assert(st.code != 0 && st.msg[0] != 0);
	ir_graph_free(g);
	return 0;
}
