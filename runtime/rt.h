/* rt.h — internals of the kiln runtime shared by its files: the parsed model
 * description (meta.c), the model object (model.c), the thread pool (pool.c)
 * and status helpers. Not installed; users include kiln.h only. Sectioned by
 * the file that defines each function. */
#ifndef KILN_RT_H
#define KILN_RT_H

#include "kiln.h"
#include "kiln_abi.h"

/* One dimension of a meta shape: c when sym < 0, else c * syms[sym]. */
typedef struct {
	int64_t c;
	int sym;
} rt_dim;

/* An input or output as the meta text describes it. */
typedef struct {
	char *name;                          /* decoded, malloc-owned */
	int32_t dtype;
	int32_t rank;
	rt_dim d[KILN_MAX_RANK];
	const char *dim_names[KILN_MAX_RANK]; /* NULL for static dims */
	char *owned_names[KILN_MAX_RANK];    /* "C*NAME" strings made for dim_names */
} rt_desc;

/* The whole parsed meta text. */
typedef struct {
	int version;
	int mc;                              /* MC-dropout samples, 0 when absent */
	int has_seed;                        /* a default seed was compiled in */
	uint64_t seed;                       /* that seed (kiln compile --seed) */
	int nsyms, nin, nout;
	char **syms;                         /* nsyms decoded names */
	rt_desc *in, *out;
} rt_meta;

struct kiln_model {
	rt_meta meta;
	int64_t (*arena_size)(const int64_t *syms);
	int32_t (*run)(kiln_rt_ctx *ctx, void *const *inputs, void *const *outputs,
		       const int64_t *syms, void *arena);
	void *dl;                            /* dlopen handle or NULL */
	void *owner;
	void (*release)(void *owner);
};

/* ---- runtime/session.c ---- */
/* printf-style into st (NULL allowed); always returns -1. */
int rt_fail(kiln_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- runtime/meta.c ---- */
/* Parses meta text strictly per kiln_abi.h. 0 on success; -1 with st filled
 * (m left empty) on any malformed input. version_out, when not NULL, gets
 * the format version found on the first line (0 when there is none), so a
 * caller can tell a version mismatch from other errors. */
int rt_meta_parse(const char *text, rt_meta *m, int *version_out, kiln_status *st);
void rt_meta_free(rt_meta *m);               /* frees what m owns; keeps m */
/* "[N,100]" / "[2*N,3]" into buf; returns buf. */
const char *rt_desc_shape_str(const rt_meta *m, const rt_desc *d, char *buf, size_t len);
/* "[1,99]" into buf; returns buf. rank is clamped to KILN_MAX_RANK. */
const char *rt_dims_str(int rank, const int64_t *dims, char *buf, size_t len);

/* ---- runtime/pool.c ---- */
typedef struct rt_pool rt_pool;
/* Starts threads-1 workers (the caller is the last worker). NULL when
 * threads < 2 or no worker thread could be started. */
rt_pool *rt_pool_new(int threads);
void rt_pool_free(rt_pool *p);               /* NULL is a no-op; joins workers */
int rt_pool_threads(const rt_pool *p);       /* workers including the caller */
/* kiln_rt_ctx.parallel_for: static partition of [0, n) into one contiguous
 * chunk per worker, each run by whichever thread claims it first (its own
 * worker unless that one is late); nested calls run serially. */
void rt_pool_parallel_for(void *pool, int64_t n, void (*fn)(void *arg, int64_t i), void *arg);

#endif
