/* kiln.h — public API of the kiln runtime: load a compiled model, inspect
 * its inputs and outputs, and run it. Depends on libc, libdl and pthreads
 * only; never on the compiler. All functions taking a kiln_status fill it on
 * failure (NULL is allowed) and never exit the process. */
#ifndef KILN_H
#define KILN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KILN_MAX_RANK 8

typedef struct {
	int code;             /* 0 = ok */
	char msg[512];        /* one line, no trailing newline */
} kiln_status;

/* Element types use ONNX TensorProto.DataType numbers. */
enum {
	KILN_FLOAT = 1, KILN_UINT8 = 2, KILN_INT8 = 3, KILN_UINT16 = 4, KILN_INT16 = 5,
	KILN_INT32 = 6, KILN_INT64 = 7, KILN_BOOL = 9, KILN_FLOAT16 = 10,
	KILN_DOUBLE = 11, KILN_UINT32 = 12, KILN_UINT64 = 13, KILN_BFLOAT16 = 16
};
size_t kiln_dtype_size(int dtype);          /* 0 when unknown */
const char *kiln_dtype_name(int dtype);     /* "float32", "int64"... */

/* A tensor passed to or returned from a run. Row-major, dense. */
typedef struct {
	const char *name;     /* optional for inputs (checked when set) */
	int32_t dtype;
	int32_t rank;
	int64_t dims[KILN_MAX_RANK];
	void *data;
} kiln_tensor;

/* Description of a model input or output. dims[i] is -1 for a symbolic dim,
 * whose name is dim_names[i] (NULL for static dims). */
typedef struct {
	const char *name;
	int32_t dtype;
	int32_t rank;
	int64_t dims[KILN_MAX_RANK];
	const char *dim_names[KILN_MAX_RANK];
} kiln_tensor_info;

typedef struct kiln_model kiln_model;
typedef struct kiln_session kiln_session;

/* Loads a compiled model (shared library made by `kiln compile`). */
kiln_model *kiln_model_load(const char *path, kiln_status *st);
/* Wraps a model whose three ABI symbols (kiln_abi.h) are already in memory
 * (JIT, static link). release(owner) runs when the model is freed. */
kiln_model *kiln_model_from_symbols(const char *meta, void *arena_size_fn, void *run_fn,
				    void *owner, void (*release)(void *owner),
				    kiln_status *st);
void kiln_model_free(kiln_model *m);         /* NULL is a no-op */

int kiln_model_num_inputs(const kiln_model *m);
int kiln_model_num_outputs(const kiln_model *m);
/* 0 on success, -1 when i is out of range. Strings belong to the model. */
int kiln_model_input(const kiln_model *m, int i, kiln_tensor_info *info);
int kiln_model_output(const kiln_model *m, int i, kiln_tensor_info *info);
/* Number of MC-dropout samples the model was built for; 0 for a plain build. */
int kiln_model_mc_samples(const kiln_model *m);

typedef struct {
	int threads;          /* 0 = default (1) */
	uint64_t seed;        /* used when has_seed */
	int has_seed;
} kiln_options;

/* NULL opts means defaults. The session keeps a pointer to m. */
kiln_session *kiln_session_create(kiln_model *m, const kiln_options *opts, kiln_status *st);
void kiln_session_free(kiln_session *s);     /* NULL is a no-op */
void kiln_session_set_seed(kiln_session *s, uint64_t seed);

/* Runs the model. in: n_in tensors in graph-input order. On success fills
 * out[0..n_out) (n_out must equal the output count) with dtype, shape and
 * data owned by the session, valid until the next run or free. Inputs are
 * checked (count, dtype, rank, static dims, consistent symbolic dims) before
 * any kernel runs; a failed run leaves the session usable. */
int kiln_session_run(kiln_session *s, const kiln_tensor *in, size_t n_in,
		     kiln_tensor *out, size_t n_out, kiln_status *st);

/* kiln_session_run with seed used for this run only (the session seed is
 * left as it is): one call per Monte-Carlo draw or per training step. */
int kiln_session_run_seed(kiln_session *s, uint64_t seed, const kiln_tensor *in, size_t n_in,
			  kiln_tensor *out, size_t n_out, kiln_status *st);

#ifdef __cplusplus
}
#endif
#endif
