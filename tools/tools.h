/* tools.h — internals of the `kiln` command: the .npy reader/writer (also
 * used by the runtime tests), option parsing, the build pipeline shared by
 * the subcommands, and the subcommands themselves. Sectioned by file. Two
 * executables: kiln-compiler has everything; the kiln driver has the runtime
 * and the files marked "both", and execs kiln-compiler for the rest. */
#ifndef KILN_TOOLS_H
#define KILN_TOOLS_H

#include <stddef.h>
#include <stdint.h>

#include "kiln.h"

/* ---- tools/npy.c ---- */
/* A dense C-order array read from a .npy file. data is malloc-owned. */
typedef struct {
	int dtype;                     /* KILN_* element type */
	int rank;
	int64_t dims[KILN_MAX_RANK];
	void *data;                    /* nbytes bytes, never NULL after a read */
	size_t nbytes;
} npy_array;

/* Parses a whole .npy file image (format 1.0, 2.0 or 3.0). Copies the data.
 * -1 with st filled on anything unsupported or inconsistent. */
int npy_parse(const void *buf, size_t len, npy_array *a, kiln_status *st);
/* Reads path; messages name the file. */
int npy_read_file(const char *path, npy_array *a, kiln_status *st);
/* Writes a format 1.0 file; data holds numel * kiln_dtype_size(dtype) bytes. */
int npy_write_file(const char *path, int dtype, int rank, const int64_t *dims,
		   const void *data, kiln_status *st);
void npy_free(npy_array *a);                  /* frees data; NULL is a no-op */
const char *npy_descr(int dtype);             /* "<f4"...; NULL when unsupported */
/* Reads a whole regular file into *buf (malloc'd, caller frees). */
int tool_read_file(const char *path, void **buf, size_t *len, kiln_status *st);

/* ---- tools/options.c (both) ---- */
/* Exit statuses of the command. */
enum { TOOL_OK = 0, TOOL_ERR = 1, TOOL_USAGE = 2 };
/* Prints "kiln: MESSAGE" (one line) to stderr and returns status. */
int tool_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Flags a subcommand accepts (bit mask for tool_parse). */
enum {
	OPT_OUT = 1 << 0,        /* -o PATH */
	OPT_EMIT = 1 << 1,       /* --emit= */
	OPT_BUILD = 1 << 2,      /* --mode= --mc-dropout= --mc-keep-samples --mc-chunk= --target= --cpu= -O */
	OPT_SEED = 1 << 3,       /* --seed= */
	OPT_INPUT = 1 << 4,      /* -i FILE / -i NAME=FILE */
	OPT_THREADS = 1 << 5,    /* --threads= */
	OPT_BENCH = 1 << 6,      /* --runs= --rounds= --batch= */
	OPT_INSPECT = 1 << 7,    /* --after-passes --dot */
	OPT_MODE = 1 << 8        /* --mode=, --mc-dropout=, --mc-keep-samples, --mc-chunk= (inspect) */
};

typedef struct {
	const char *cmd;              /* subcommand name, for messages */
	const char *model;
	const char *out;
	int emit;                     /* cg_emit value */
	int mode;                     /* pass_mode value */
	int has_mode;
	int mc_samples;               /* 0 unless --mc-dropout */
	int mc_keep_samples;          /* --mc-keep-samples */
	int mc_chunk;                 /* --mc-chunk=S (0: chosen by passes/mc.c) */
	uint64_t seed;
	int has_seed;
	const char *target, *cpu;
	int opt_level;
	int has_build_flags;          /* any of --mode --mc-dropout --target --cpu -O */
	const char **inputs;          /* -i arguments in order (malloc'd array) */
	int ninputs;
	int threads, runs;
	int rounds;                   /* bench --rounds (0: one set of runs) */
	int64_t batch;
	int after_passes, dot;
} tool_opts;

/* Parses argv[1..argc) for subcommand cmd accepting flags; on error prints
 * and returns TOOL_USAGE, else TOOL_OK. Free with tool_opts_free. */
int tool_parse(const char *cmd, unsigned flags, int argc, char **argv, tool_opts *o);
void tool_opts_free(tool_opts *o);

/* ---- tools/load.c (both) ---- */
/* 1 when path is a compiled model: name ends in .so, or (unless it ends in
 * .onnx) the file starts with the ELF magic. 0 means ONNX. */
int tool_is_shared_lib(const char *path);
/* .so: kiln_model_load; .onnx: tool_build_graph + tool_jit_graph. */
int tool_load_model(const tool_opts *o, kiln_model **m);

/* ---- tools/build.c (kiln-compiler; in kiln, driver.c hands over) ---- */
/* Loads the .onnx and runs the pass pipeline per o; graph returned as void*
 * (an ir_graph) so this header needs no compiler headers. */
int tool_build_graph(const tool_opts *o, int run_passes, void **graph);
/* Runs the pass pipeline per o on graph (an ir_graph); a failure on an input
 * kiln needs constant mentions that kiln run specialises on its value. */
int tool_run_passes(const tool_opts *o, void *graph);
/* Pass pipeline + cg_jit on a loaded graph; frees the graph either way. */
int tool_jit_graph(const tool_opts *o, void *graph, kiln_model **m);
#ifdef KILN_CODEGEN_H
/* Fills co from the build flags in o. */
void tool_cg_options(const tool_opts *o, cg_options *co);
#endif

/* ---- tools/cmd_run.c (both) ---- */
/* One input tensor of kiln run, read from file (t.data malloc-owned). */
typedef struct {
	const char *file;        /* NULL until assigned */
	kiln_tensor t;
} run_slot;

/* Maps the -i arguments of o onto the inputs names[0..n) (positional or
 * NAME=FILE) and reads each file into slots[i].t; the caller frees the
 * data, also on failure. */
int run_load_inputs(const tool_opts *o, const char *const *names, int n, run_slot *slots);

/* ---- tools/run_onnx.c (kiln-compiler; in kiln, driver.c hands over) ---- */
/* Reads an ONNX TensorProto .pb file into t (data malloc-owned). */
int tool_read_pb(const char *path, kiln_tensor *t);
/* kiln run of a .onnx: loads the graph, reads the -i tensors for its inputs
 * into *slots (calloc'd, names strdup'd in *names, *n of each; the caller
 * frees them, also on failure), binds the inputs that decide shapes to their
 * values and JIT-compiles the result into *m. */
int run_prepare_onnx(const tool_opts *o, kiln_model **m, char ***names, int *n, run_slot **slots);

/* ---- tools/cmd_*.c (compile, inspect: kiln-compiler; run, bench: both) ---- */
int cmd_compile(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);

#endif
