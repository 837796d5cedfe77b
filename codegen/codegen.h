/* codegen.h — lowering an IR graph (after the pass pipeline) to one LLVM
 * module through the LLVM-C API, optimising it for a target, and emitting a
 * shared library, object + header, LLVM IR, assembly, or a JIT'd model. */
#ifndef KILN_CODEGEN_H
#define KILN_CODEGEN_H

#include "ir.h"
#include "kiln.h"

typedef enum { CG_EMIT_SO, CG_EMIT_OBJ, CG_EMIT_LLVM, CG_EMIT_ASM } cg_emit;

typedef struct {
	const char *triple;      /* NULL: host */
	const char *cpu;         /* NULL: host CPU (with host features) */
	const char *features;    /* NULL: host features when cpu is NULL, else "" */
	int opt_level;           /* 0..3; default 3 */
	const char *prefix;      /* ABI symbol prefix; NULL = "kiln_model" */
	int mc_samples;          /* recorded in meta for MC builds */
	int has_seed;            /* compile a default session seed into the model */
	uint64_t seed;
} cg_options;

/* Writes the compiled model to path. CG_EMIT_OBJ also writes path's stem
 * + ".h", a C header declaring the three ABI symbols. */
int cg_emit_file(ir_graph *g, const cg_options *o, cg_emit kind, const char *path, ir_status *st);
/* Compiles in memory with LLVM ORC and wraps the result as a runtime model. */
kiln_model *cg_jit(ir_graph *g, const cg_options *o, ir_status *st);

#endif
