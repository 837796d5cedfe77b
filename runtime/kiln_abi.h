/* kiln_abi.h — the contract between code that kiln emits and the runtime.
 * A compiled model (shared library, object file or JIT module) defines three
 * symbols, PREFIX being "kiln_model" unless the compiler was told otherwise:
 *
 *   const char PREFIX_meta[];                       model description, text below
 *   int64_t    PREFIX_arena_size(const int64_t *syms);   bytes of scratch needed
 *   int32_t    PREFIX_run(kiln_rt_ctx *ctx, void *const *inputs,
 *                         void *const *outputs, const int64_t *syms, void *arena);
 *
 * syms holds the run-time value of each symbolic dimension, in meta order.
 * inputs/outputs are dense row-major buffers in graph order; the caller
 * allocates outputs to the sizes meta gives and arena to PREFIX_arena_size
 * bytes (64-byte aligned). run returns KILN_RUN_OK or a KILN_RUN_* code.
 *
 * Meta text, one record per line, fields separated by one space:
 *   kiln 1                          format version
 *   mc T                            MC-dropout build with T samples (absent: 0)
 *   seed S                          default session seed, 64-bit decimal (absent: 0)
 *   sym NAME                        one line per symbolic dim, index = order
 *   input DTYPE RANK DIM... NAME    DTYPE as ONNX TensorProto.DataType
 *   output DTYPE RANK DIM... NAME
 * A DIM is a decimal constant C, or C*$K meaning C times symbol K. NAME runs to
 * the end of the line with bytes <= 0x20, '%' and >= 0x7f written as %XX. */
#ifndef KILN_ABI_H
#define KILN_ABI_H

#include <stdint.h>

#define KILN_ABI_VERSION 1

/* Run context handed to generated code. Generated code reads seed at offset 0
 * and passes ctx through to kernels; keep the layout append-only. */
typedef struct kiln_rt_ctx {
	uint64_t seed;        /* session/run seed for Dropout without a seed attribute */
	int32_t threads;      /* worker count the run may use (>= 1) */
	int32_t reserved0;
	/* Runs fn(arg, i) for i in [0, n) across the pool, returns when all done.
	 * NULL means run serially. */
	void (*parallel_for)(void *pool, int64_t n, void (*fn)(void *arg, int64_t i), void *arg);
	void *pool;
	uint64_t reserved[4];
} kiln_rt_ctx;

enum {
	KILN_RUN_OK = 0,
	KILN_RUN_INDEX = 1,   /* an index input (Gather...) out of range */
	KILN_RUN_SHAPE = 2,   /* run-time shapes inconsistent (Reshape, broadcast) */
	KILN_RUN_VALUE = 3    /* a run-time scalar out of range (Dropout ratio...) */
};

#endif
