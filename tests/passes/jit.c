/* jit.c — the passes tests' pipeline and JIT helpers (see jit.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "jit.h"
#include "codegen.h"
#include "passes.h"

void tj_pipeline(ir_graph *g, int mc_samples)
{
	pass_options o = {0};
	ir_status st;
	memset(&st, 0, sizeof st);
	o.verify = 1;
	o.mc_samples = mc_samples;
	if (pass_run_pipeline(g, &o, &st))
		fail_msg("pipeline: %s", st.msg);
}

kiln_session *tj_session(ir_graph *g, int mc_samples, const kiln_options *ko,
			 kiln_model **mdl)
{
	cg_options co = {0};
	ir_status st;
	kiln_status ks;
	memset(&st, 0, sizeof st);
	co.mc_samples = mc_samples;
	*mdl = cg_jit(g, &co, &st);
	if (!*mdl)
		fail_msg("cg_jit: %s", st.msg);
	ir_graph_free(g);
	kiln_session *s = kiln_session_create(*mdl, ko, &ks);
	if (!s)
		fail_msg("kiln_session_create: %s", ks.msg);
	return s;
}
