/* cg.h — codegen internals shared by module.c (the model's entry function),
 * plan.c (static memory plan), target.c (target machine, optimisation,
 * emission, JIT) and the lower_*.c files (one lowering per op category). */
#ifndef KILN_CG_H
#define KILN_CG_H

#include <llvm-c/Core.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "codegen.h"

/* ---- plan.c ---- */

/* A byte count or offset linear in the symbolic dims: c[0] + sum c[1+k]*sym_k. */
typedef struct {
	int64_t c[1 + IR_MAX_SYMS];
} cg_lin;

/* Where each value lives at run time. */
typedef enum {
	CG_LOC_NONE = 0,
	CG_LOC_INPUT,     /* inputs[index] */
	CG_LOC_OUTPUT,    /* outputs[index] */
	CG_LOC_CONST,     /* a constant global */
	CG_LOC_ARENA,     /* arena + offset */
	CG_LOC_ALIAS      /* the bytes of value index from byte offset.c[0] on
			   * (a view: Reshape & co., at 0; a Concat input
			   * written in place: its slice of the output) */
} cg_loc_kind;

typedef struct {
	cg_loc_kind kind;
	int index;        /* INPUT/OUTPUT slot; ALIAS: id of the viewed value */
	cg_lin offset;    /* ARENA */
} cg_loc;

typedef struct {
	cg_loc *loc;      /* by value id */
	cg_lin *scratch;  /* by node index: offset of the node's scratch space */
	cg_lin arena_size;
} cg_plan;

/* Assigns every value a location; intermediates share arena space whose
 * lifetimes do not overlap, valid for every value of the symbolic dims.
 * loc and scratch are malloc'd (also when it fails): free both. */
int cg_plan_build(const ir_graph *g, cg_plan *plan, ir_status *st);
/* The same for a graph whose nodes [loop_a, loop_b] run in a loop (the MC
 * sample loop): what the loop reads lives to its end, what it leaves for
 * later lives from its start. */
int cg_plan_build_loop(const ir_graph *g, cg_plan *plan, int loop_a, int loop_b,
		       ir_status *st);
/* Scratch bytes node n needs while it runs (lower.c); 0 when none. */
int cg_node_scratch(const ir_node *n, cg_lin *bytes);
/* Byte size of v as a linear form (fails when not linear in one symbol). */
int cg_value_bytes(const ir_value *v, cg_lin *out);

/* ---- module.c ---- */

typedef struct cg_ctx {
	LLVMContextRef C;
	LLVMModuleRef M;
	LLVMBuilderRef B;
	ir_graph *g;
	const cg_options *o;
	ir_status *st;
	cg_plan plan;
	LLVMTypeRef t_void, t_i1, t_i8, t_i32, t_i64, t_f32, t_f64, t_ptr;
	LLVMValueRef fn;          /* the run function */
	LLVMValueRef a_ctx, a_inputs, a_outputs, a_syms, a_arena;
	LLVMValueRef sym[IR_MAX_SYMS];   /* i64 values of the symbolic dims */
	LLVMValueRef *ptr;        /* by value id: data pointer, NULL until known */
	LLVMBasicBlockRef entry;  /* allocas go here */
	const ir_node *node;      /* node being lowered, for messages */
	LLVMValueRef scratch;     /* its scratch space (cg_node_scratch), or NULL */
	LLVMValueRef mc_base;     /* i64 first sample of the chunk in the MC sample
				   * loop (ir_mc_region), NULL outside it */
	int64_t mc_chunk;         /* samples per chunk when the build has a loop */
	int conv_paths;           /* kk_conv_f32 paths the Conv nodes may take
				   * (kk_pack.h KK_CONV_PATH_*), their union */
} cg_ctx;

/* Builds the whole module (kernels linked in, entry function, meta). */
int cg_build_module(cg_ctx *cg, ir_graph *g, const cg_options *o, LLVMContextRef C,
		    ir_status *st);
const char *cg_prefix(const cg_options *o);

/* Helpers for lowerings. */
LLVMValueRef cg_i64(cg_ctx *cg, int64_t v);
LLVMValueRef cg_i32(cg_ctx *cg, int64_t v);
LLVMValueRef cg_f32(cg_ctx *cg, double v);
LLVMValueRef cg_dim(cg_ctx *cg, ir_dim d);          /* i64 run-time value */
LLVMValueRef cg_numel(cg_ctx *cg, const ir_shape *s); /* i64 product */
/* A stack array of i64 (alloca in the entry block) holding vals. */
LLVMValueRef cg_i64_array(cg_ctx *cg, LLVMValueRef *vals, int n);
LLVMValueRef cg_i64_carray(cg_ctx *cg, const int64_t *vals, int n);
/* Data pointer of a value (input, output, constant or arena); NULL when v is NULL. */
LLVMValueRef cg_ptr(cg_ctx *cg, const ir_value *v);
LLVMValueRef cg_null(cg_ctx *cg);
/* Calls kernel `name` (must exist in the linked kernels) with args; integer
 * and float args are converted to the parameter types. Returns the call. */
LLVMValueRef cg_call(cg_ctx *cg, const char *name, LLVMValueRef *args, int n);
/* Calls a kernel returning int32 and returns from the run function with its
 * value when non-zero. */
void cg_call_checked(cg_ctx *cg, const char *name, LLVMValueRef *args, int n);
/* memcpy of bytes. */
void cg_memcpy(cg_ctx *cg, LLVMValueRef dst, LLVMValueRef src, LLVMValueRef bytes);
/* A private, 64-byte aligned constant global holding nbytes of data. */
LLVMValueRef cg_const_blob(cg_ctx *cg, const void *data, size_t nbytes);
/* Error helper naming the node being lowered. */
int cg_fail(cg_ctx *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- lower.c and lower_*.c ---- */

typedef int (*cg_lower_fn)(cg_ctx *cg, const ir_node *n);
/* The lowering of op, NULL when codegen does not support it. */
cg_lower_fn cg_lowering(ir_op op);

/* ---- target.c ---- */

/* Creates the target machine for o (host by default). NULL + st on error. */
LLVMTargetMachineRef cg_target_machine(const cg_options *o, LLVMRelocMode reloc,
				       ir_status *st);
/* Gives M the target machine's triple and data layout. */
void cg_set_target(LLVMModuleRef M, LLVMTargetMachineRef tm);
/* The part of the optimisation that needs the whole module: internalises
 * everything but the ABI symbols, drops what nothing uses, checks the
 * module, folds kk_conv_paths and specialises the kernels (not at -O0). */
int cg_prepare(cg_ctx *cg, LLVMTargetMachineRef tm, ir_status *st);
/* LLVMRunPasses(M, pipe, tm, po); on an error "LLVM WHAT failed: ..." in st
 * and -1. */
int cg_run_passes(LLVMModuleRef M, const char *pipe, LLVMTargetMachineRef tm,
		  LLVMPassBuilderOptionsRef po, const char *what, ir_status *st);
/* cg_prepare, then the O-level pipeline. */
int cg_optimize(cg_ctx *cg, LLVMTargetMachineRef tm, ir_status *st);
/* The O-level pipeline alone (lvl 0..3). */
int cg_pipeline(LLVMModuleRef M, LLVMTargetMachineRef tm, int lvl, ir_status *st);

/* ---- split.c ---- */

/* Parts a shared library is compiled in, in parallel: part 0 on the
 * calling thread, the others from a queue served by one thread per core
 * (split.c). More parts than the cores of this machine, because the parts'
 * sizes predict their compile times only roughly: with 2 parts ResNet-18's
 * second took 20-30% longer than its first; with 4 the thread done first
 * takes what is left. */
#define CG_PARTS 4

/* Optimises module M (prepared: internalised and specialised) as up to
 * nparts parts in parallel and writes part p's object to objs[p]; returns
 * how many parts it wrote (parts with nothing to compile are left out), or
 * -1 with st. M is compiled as part 0 and changed (see split.c). */
int cg_emit_parts(LLVMModuleRef M, const cg_options *o, int nparts, char *const *objs,
		  ir_status *st);

#endif
