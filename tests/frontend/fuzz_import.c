/* fuzz_import.c — libFuzzer target for the frontend: every input is fed to
 * onnx_load_buffer (no base folder, so external data is refused) and must
 * load or fail with a message, never crash, hang or leak. Build with
 * -DKILN_FUZZ=ON and CC=clang-19; not part of ctest. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "frontend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ir_status st = {0};
	ir_graph *g = onnx_load_buffer(data, size, NULL, &st);
	if (g)
		ir_graph_free(g);
	else
		assert(st.code != 0 && st.msg[0] != 0);
	return 0;
}
