/* jit.h — for the passes tests that run their graphs: the pass pipeline and
 * the JIT, each failing the test with the library's message on an error. */
#ifndef KILN_TESTS_PASSES_JIT_H
#define KILN_TESTS_PASSES_JIT_H

#include "ir.h"
#include "kiln.h"

/* pass_run_pipeline with verification on (an MC build when mc_samples > 0). */
void tj_pipeline(ir_graph *g, int mc_samples);
/* JIT-compiles g (built for mc_samples MC samples, 0: none), frees g, and
 * opens a session with options ko (NULL: defaults); *mdl is the model. */
kiln_session *tj_session(ir_graph *g, int mc_samples, const kiln_options *ko,
			 kiln_model **mdl);

#endif
