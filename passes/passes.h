/* passes.h — graph-to-graph rewrites over the IR, one file per pass, and the
 * pipeline that orders them (passes/pipeline.c). Sectioned by defining file. */
#ifndef KILN_PASSES_H
#define KILN_PASSES_H

#include "ir.h"

typedef enum {
	PASS_MODE_AUTO = 0,      /* follow the graph (training_mode attributes/inputs) */
	PASS_MODE_INFERENCE,     /* every Dropout removed, BatchNorm in inference form */
	PASS_MODE_TRAINING       /* every Dropout lowered to mask-and-scale */
} pass_mode;

typedef struct {
	pass_mode mode;
	int mc_samples;          /* > 0: MC-dropout build (issue 3) */
	int verify;              /* run ir_verify after each pass */
	FILE *print_after;       /* when set, print the IR after every pass */
	/* Called with one-line warnings (training-form graph compiled without an
	 * explicit mode...). NULL drops them. */
	void (*warn)(void *ud, const char *msg);
	void *warn_ud;
	int mc_keep_samples;     /* MC: also output the stacked samples Y_samples */
	int mc_chunk;            /* MC: samples per run of the sample loop; 0: chosen */
} pass_options;

/* ---- passes/pipeline.c ---- */
/* toposort, infer shapes, dropout, identity, fold, dce (re-inferring as
 * needed), verify. On failure st names the node and what is wrong. */
int pass_run_pipeline(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/dropout.c ---- */
/* Dropout per DESIGN.md's table: removed, or marked stochastic (n->stochastic)
 * with an unconsumed mask output dropped. Errors on a constant ratio outside
 * [0, 1) where dropout is active. */
int pass_dropout(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/identity.c ---- */
/* Y = Identity(X) -> uses of Y use X (unless Y is a graph output fed by an input). */
int pass_identity(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/fold.c ---- */
/* Evaluates nodes whose inputs are all constant (ir_ops[].fold), including
 * partially known shape tensors (symdata). */
int pass_fold(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/fuse_layernorm.c ---- */
/* The op-by-op layer normalisation of pre-opset-17 exports (ReduceMean, Sub,
 * Pow, ReduceMean, Add, Sqrt, Div, Mul[, Add]) -> one LayerNormalization. */
int pass_fuse_layernorm(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/split_matmul.c ---- */
/* MatMul(A, constant W) [+ bias] read only through Slices of its last axis
 * -> one MatMul per slice on W's columns (no slice copies). */
int pass_split_matmul(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/fuse_epilogue.c ---- */
/* Conv/Gemm/MatMul -> [bias Add] [-> scale] -> [Add residual] -> [Relu | Clip] chains
 * on f32 -> one node whose kernel applies them as it stores (runs last). */
int pass_fuse_epilogue(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/fuse_convpool.c ---- */
/* A Conv of few input channels whose output only a 3x3 stride-2 MaxPool
 * without pads reads -> one KilnConvPool (after fuse-epilogue). */
int pass_fuse_convpool(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/fuse_pwdw.c ---- */
/* A pointwise Conv feeding only a 3x3 depthwise Conv (with the pointwise
 * projection that alone reads it, if any), or a depthwise Conv with such a
 * projection -> one KilnConvPwDw (after fuse-epilogue). */
int pass_fuse_pwdw(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/hoist_scale.c ---- */
/* Mul|Div(View(w), constant scalar) -> View(Mul|Div(w, scalar)) through
 * Reshape/Transpose-like ops, so fuse_epilogue meets the scale right after
 * the product it scales. */
int pass_hoist_scale(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/matmul_layout.c ---- */
/* Transposes feeding or reading only a batched f32 MatMul -> permutation
 * attributes on the MatMul, which reads and writes those views in place. */
int pass_matmul_layout(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/fuse_dropout.c ---- */
/* Y = Dropout(Act(X)) -> one fused activation + mask-and-scale node (not in
 * MC builds). */
int pass_fuse_dropout(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/dce.c ---- */
/* Marks dead every node none of whose outputs reach a graph output. */
int pass_dce(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/mc.c ---- */
/* MC-dropout (o->mc_samples = T > 0; no-op otherwise): every value downstream
 * of a stochastic Dropout gets a leading sample axis [S, ...], S samples of a
 * chunk (S = T, or fewer so a chunk's values stay in cache), and the ops
 * using it are rewritten for it (nodes not depending on a Dropout run once);
 * stochastic Dropouts get the INT attributes kiln_mc_samples = S and
 * kiln_mc_sampled_input; other rewritten nodes kiln_mc_sampled = 1. With
 * S < T, KilnMcCollect (samples = T, chunk = S) gathers each chunk of an
 * output into [T, ...], and codegen runs the region ceil(T/S) times
 * (ir_mc_region). Graph outputs Y become Y_mean, Y_var (unbiased) [,
 * Y_samples]. Fails when T < 2, the graph has no stochastic Dropout, or an
 * op cannot take the sample axis. */
int pass_mc(ir_graph *g, const pass_options *o, ir_status *st);
/* Orders an MC build's nodes for the sample loop (ir_mc_schedule). */
int pass_mc_schedule(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/bind.c ---- */
/* Supplies the value of graph input `name` (index = its position among the
 * graph's inputs before any binding) for one run: 0 with *dt, *rank, dims[]
 * and *data (row-major, borrowed for the call) set; non-zero when unknown. */
typedef int (*pass_bind_fn)(void *ud, int index, const char *name, ir_dtype *dt,
			    int *rank, int64_t *dims, const void **data);
/* JIT value specialisation, run BEFORE pass_run_pipeline and only for
 * in-memory builds (a compiled .so must keep its inputs): every graph input
 * whose values decide a shape (Reshape's shape, Slice's starts, Range's
 * limits, TopK's K... directly or through other nodes, not through Shape or
 * Size) and is an integer tensor, or a float one of rank <= 1 with at most 16
 * elements, is looked up; when lookup gives it, it becomes a constant holding
 * a copy of the data (removed from g->inputs; symbols that were dims of bound
 * inputs only become constants). Returns the number bound, or -1 when a
 * given dtype/shape contradicts the declared input type. */
int pass_bind_inputs(ir_graph *g, pass_bind_fn lookup, void *ud, ir_status *st);

#endif
