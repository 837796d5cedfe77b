/* pipeline.c — the pass pipeline, a flat list read top to bottom: each step
 * runs, then (when asked) the IR is printed and verified. ir_infer_shapes
 * evaluates small shape computations as it walks (Shape->Gather->Concat->
 * Reshape types Reshape's output); pass_fold then removes what is constant.
 * Every pass keeps values typed, so inference runs once. */
#include "internal.h"

typedef int (*pass_fn)(ir_graph *g, const pass_options *o, ir_status *st);

static int infer(ir_graph *g, const pass_options *o, ir_status *st)
{
	return ir_infer_shapes(g, st);
}

static int toposort(ir_graph *g, const pass_options *o, ir_status *st)
{
	return ir_graph_toposort(g, st);
}

/* Runs one step, then prints and verifies as o asks. */
static int step(ir_graph *g, const pass_options *o, ir_status *st,
		const char *name, pass_fn fn, int typed)
{
	if (fn(g, o, st))
		return -1;
	if (o->print_after) {
		fprintf(o->print_after, "; after %s\n", name);
		ir_print(g, o->print_after);
	}
	if (typed && o->verify && ir_verify(g, st)) {
		/* prefix the verifier's message with the pass that broke the IR */
		char msg[sizeof st->msg];

		snprintf(msg, sizeof msg, "after %.20s: %.480s", name, st->msg);
		return ir_fail(st, "%s", msg);
	}
	return 0;
}

int pass_run_pipeline(ir_graph *g, const pass_options *o, ir_status *st)
{
	static const pass_options dflt;

	if (!o)
		o = &dflt;
	/* typed = 1 once values have types, so the verifier can run */
	if (step(g, o, st, "toposort", toposort, 0) ||
	    step(g, o, st, "infer", infer, 1) ||
	    step(g, o, st, "dropout", pass_dropout, 1) ||
	    step(g, o, st, "identity", pass_identity, 1) ||
	    step(g, o, st, "fold", pass_fold, 1) ||
	    step(g, o, st, "fuse-layernorm", pass_fuse_layernorm, 1) ||
	    step(g, o, st, "dce", pass_dce, 1) ||
	    step(g, o, st, "fuse-dropout", pass_fuse_dropout, 1) ||
	    step(g, o, st, "toposort", toposort, 1))
		return -1;
	if (o->mc_samples > 0 &&
	    (step(g, o, st, "mc", pass_mc, 1) || step(g, o, st, "dce", pass_dce, 1) ||
	     step(g, o, st, "toposort", toposort, 1)))
		return -1;
	if (step(g, o, st, "split-matmul", pass_split_matmul, 1) ||
	    step(g, o, st, "hoist-scale", pass_hoist_scale, 1) ||
	    step(g, o, st, "fuse-epilogue", pass_fuse_epilogue, 1) ||
	    step(g, o, st, "fuse-pwdw", pass_fuse_pwdw, 1) ||
	    step(g, o, st, "fuse-convpool", pass_fuse_convpool, 1) ||
	    step(g, o, st, "matmul-layout", pass_matmul_layout, 1) ||
	    step(g, o, st, "toposort", toposort, 1) ||
	    step(g, o, st, "mc-schedule", pass_mc_schedule, 1))
		return -1;
	return 0;
}
