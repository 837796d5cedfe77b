/* session.c — sessions: input checking (count, dtype, rank, static dims,
 * symbolic dims bound consistently across inputs), output shape computation,
 * output and arena buffers kept across runs, the run context (seed, threads,
 * parallel_for) and mapping of the model's run codes to messages. */
#include "rt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RT_ALIGN 64
#define RT_MAX_THREADS 1024
#define RT_DEFAULT_SEED 0

struct kiln_session {
	kiln_model *m;
	int threads;
	uint64_t seed;
	rt_pool *pool;
	int64_t *syms;          /* nsyms + 1 (never a NULL pointer) */
	int *bound_by;          /* input index that bound each sym, -1 if none */
	void **in_ptrs;         /* nin + 1 */
	void **out_bufs;        /* nout + 1, 64-byte aligned, kept across runs */
	size_t *out_caps;
	int64_t *out_dims;      /* nout * KILN_MAX_RANK */
	void *arena;
	size_t arena_cap;
};

int rt_fail(kiln_status *st, const char *fmt, ...)
{
	va_list ap;
	if (!st)
		return -1;
	st->code = 1;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
	for (char *p = st->msg; *p; p++)   /* keep it one line */
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return -1;
}

static void ok(kiln_status *st)
{
	if (st) {
		st->code = 0;
		st->msg[0] = 0;
	}
}

kiln_session *kiln_session_create(kiln_model *m, const kiln_options *opts, kiln_status *st)
{
	kiln_session *s;
	int threads = opts ? opts->threads : 0;
	size_t ns, ni, no;
	if (!m)
		return rt_fail(st, "session: model is NULL"), NULL;
	if (threads < 0 || threads > RT_MAX_THREADS)
		return rt_fail(st, "session: thread count %d out of range [0, %d]", threads, RT_MAX_THREADS), NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return rt_fail(st, "out of memory"), NULL;
	s->m = m;
	s->threads = threads < 1 ? 1 : threads;
	s->seed = opts && opts->has_seed ? opts->seed
		  : m->meta.has_seed ? m->meta.seed : RT_DEFAULT_SEED;
	ns = (size_t)m->meta.nsyms + 1;
	ni = (size_t)m->meta.nin + 1;
	no = (size_t)m->meta.nout + 1;
	s->syms = calloc(ns, sizeof(int64_t));
	s->bound_by = calloc(ns, sizeof(int));
	s->in_ptrs = calloc(ni, sizeof(void *));
	s->out_bufs = calloc(no, sizeof(void *));
	s->out_caps = calloc(no, sizeof(size_t));
	s->out_dims = calloc(no * KILN_MAX_RANK, sizeof(int64_t));
	if (!s->syms || !s->bound_by || !s->in_ptrs || !s->out_bufs || !s->out_caps || !s->out_dims) {
		kiln_session_free(s);
		return rt_fail(st, "out of memory"), NULL;
	}
	if (s->threads > 1)
		s->pool = rt_pool_new(s->threads);   /* NULL: fall back to serial */
	ok(st);
	return s;
}

void kiln_session_free(kiln_session *s)
{
	if (!s)
		return;
	rt_pool_free(s->pool);
	for (int i = 0; s->out_bufs && i < s->m->meta.nout; i++)
		free(s->out_bufs[i]);
	free(s->out_bufs);
	free(s->out_caps);
	free(s->out_dims);
	free(s->in_ptrs);
	free(s->syms);
	free(s->bound_by);
	free(s->arena);
	free(s);
}

void kiln_session_set_seed(kiln_session *s, uint64_t seed)
{
	if (s)
		s->seed = seed;
}

/* Element count times element size, or -1 on overflow. */
static int64_t nbytes_of(int rank, const int64_t *dims, size_t esize)
{
	int64_t n = (int64_t)esize;
	for (int i = 0; i < rank; i++) {
		if (dims[i] < 0)
			return -1;
		if (dims[i] != 0 && n > INT64_MAX / dims[i])
			return -1;
		n *= dims[i];
	}
	return n;
}

static int shape_error(kiln_session *s, const rt_desc *d, const kiln_tensor *t,
		       int sym, kiln_status *st)
{
	char want[256], got[256];
	rt_desc_shape_str(&s->m->meta, d, want, sizeof(want));
	rt_dims_str(t->rank, t->dims, got, sizeof(got));
	if (sym < 0)
		return rt_fail(st, "input '%s': expected shape %s, got %s", d->name, want, got);
	return rt_fail(st, "input '%s': expected shape %s, got %s (%s = %lld from input '%s')",
		       d->name, want, got, s->m->meta.syms[sym], (long long)s->syms[sym],
		       s->m->meta.in[s->bound_by[sym]].name);
}

/* Checks one dim against the meta; binds or checks its symbol. */
static int check_dim(kiln_session *s, int idx, int j, const kiln_tensor *t, kiln_status *st)
{
	const rt_desc *d = &s->m->meta.in[idx];
	rt_dim md = d->d[j];
	int64_t v = t->dims[j];
	if (md.sym < 0)
		return v == md.c ? 0 : shape_error(s, d, t, -1, st);
	if (v % md.c != 0)
		return shape_error(s, d, t, -1, st);
	if (s->bound_by[md.sym] < 0) {
		s->syms[md.sym] = v / md.c;
		s->bound_by[md.sym] = idx;
		return 0;
	}
	return s->syms[md.sym] == v / md.c ? 0 : shape_error(s, d, t, md.sym, st);
}

static int check_input(kiln_session *s, int idx, const kiln_tensor *t, kiln_status *st)
{
	const rt_desc *d = &s->m->meta.in[idx];
	char want[256], got[256];
	int64_t nb;
	if (t->name && strcmp(t->name, d->name) != 0)
		return rt_fail(st, "input %d: expected '%s', got a tensor named '%s'", idx, d->name, t->name);
	if (t->dtype != d->dtype)
		return rt_fail(st, "input '%s': expected dtype %s, got %s", d->name,
			       kiln_dtype_name(d->dtype), kiln_dtype_name(t->dtype));
	if (t->rank != d->rank && (t->rank < 0 || t->rank > KILN_MAX_RANK))
		return rt_fail(st, "input '%s': expected rank %d, got rank %d", d->name, d->rank, (int)t->rank);
	if (t->rank != d->rank)
		return rt_fail(st, "input '%s': expected shape %s, got %s", d->name,
			       rt_desc_shape_str(&s->m->meta, d, want, sizeof(want)),
			       rt_dims_str(t->rank, t->dims, got, sizeof(got)));
	for (int j = 0; j < d->rank; j++)
		if (t->dims[j] < 0)
			return rt_fail(st, "input '%s': negative dimension in shape %s", d->name,
				       rt_dims_str(t->rank, t->dims, got, sizeof(got)));
	for (int j = 0; j < d->rank; j++)
		if (check_dim(s, idx, j, t, st))
			return -1;
	nb = nbytes_of(t->rank, t->dims, kiln_dtype_size(t->dtype));
	if (nb < 0 || (uint64_t)nb > SIZE_MAX / 2)
		return rt_fail(st, "input '%s': shape %s is too large", d->name,
			       rt_dims_str(t->rank, t->dims, got, sizeof(got)));
	if (!t->data && nb > 0)
		return rt_fail(st, "input '%s': data is NULL", d->name);
	return 0;
}

static int check_inputs(kiln_session *s, const kiln_tensor *in, size_t n_in,
			kiln_tensor *out, size_t n_out, kiln_status *st)
{
	const rt_meta *m = &s->m->meta;
	if (n_in != (size_t)m->nin)
		return rt_fail(st, "expected %d input%s, got %zu", m->nin, m->nin == 1 ? "" : "s", n_in);
	if (n_out != (size_t)m->nout)
		return rt_fail(st, "expected %d output%s, got %zu", m->nout, m->nout == 1 ? "" : "s", n_out);
	if ((n_in && !in) || !out)
		return rt_fail(st, "input or output array is NULL");
	for (int k = 0; k < m->nsyms; k++)
		s->bound_by[k] = -1;
	for (int i = 0; i < m->nin; i++) {
		if (check_input(s, i, &in[i], st))
			return -1;
		s->in_ptrs[i] = in[i].data;
	}
	return 0;
}

/* Frees and reallocates buf when cap is below need (64-byte aligned). */
static int ensure_buf(void **buf, size_t *cap, size_t need)
{
	void *nb;
	need = (need + RT_ALIGN - 1) / RT_ALIGN * RT_ALIGN;
	if (need == 0)
		need = RT_ALIGN;
	if (*buf && *cap >= need)
		return 0;
	nb = aligned_alloc(RT_ALIGN, need);
	if (!nb)
		return -1;
	free(*buf);
	*buf = nb;
	*cap = need;
	return 0;
}

/* Output shapes from meta and syms; (re)allocates output buffers. */
static int prepare_outputs(kiln_session *s, kiln_status *st)
{
	const rt_meta *m = &s->m->meta;
	for (int i = 0; i < m->nout; i++) {
		const rt_desc *d = &m->out[i];
		int64_t *dims = &s->out_dims[(size_t)i * KILN_MAX_RANK];
		int64_t nb;
		for (int j = 0; j < d->rank; j++) {
			int64_t v = d->d[j].c;
			if (d->d[j].sym >= 0) {
				int64_t sv = s->syms[d->d[j].sym];
				if (sv != 0 && v > INT64_MAX / sv)
					return rt_fail(st, "output '%s': shape overflows", d->name);
				v *= sv;
			}
			dims[j] = v;
		}
		nb = nbytes_of(d->rank, dims, kiln_dtype_size(d->dtype));
		if (nb < 0 || (uint64_t)nb > SIZE_MAX / 2)
			return rt_fail(st, "output '%s': shape overflows", d->name);
		if (ensure_buf(&s->out_bufs[i], &s->out_caps[i], (size_t)nb))
			return rt_fail(st, "output '%s': out of memory (%lld bytes)", d->name, (long long)nb);
	}
	return 0;
}

static int prepare_arena(kiln_session *s, kiln_status *st)
{
	int64_t need = s->m->arena_size(s->syms);
	if (need < 0 || (uint64_t)need > SIZE_MAX / 2)
		return rt_fail(st, "model reported an invalid arena size (%lld)", (long long)need);
	if (ensure_buf(&s->arena, &s->arena_cap, (size_t)need))
		return rt_fail(st, "out of memory allocating a %lld-byte arena", (long long)need);
	return 0;
}

static int run_code_error(int32_t code, kiln_status *st)
{
	switch (code) {
	case KILN_RUN_INDEX:
		return rt_fail(st, "run failed: index out of range in a Gather or similar op");
	case KILN_RUN_SHAPE:
		return rt_fail(st, "run failed: inconsistent run-time shapes (Reshape, Expand or broadcast)");
	case KILN_RUN_VALUE:
		return rt_fail(st, "run failed: run-time value out of range (e.g. a Dropout ratio)");
	default:
		return rt_fail(st, "run failed: model returned unknown code %d", (int)code);
	}
}

static int run_seeded(kiln_session *s, uint64_t seed, const kiln_tensor *in, size_t n_in,
		      kiln_tensor *out, size_t n_out, kiln_status *st);

int kiln_session_run(kiln_session *s, const kiln_tensor *in, size_t n_in,
		     kiln_tensor *out, size_t n_out, kiln_status *st)
{
	if (!s)
		return rt_fail(st, "session is NULL");
	return run_seeded(s, s->seed, in, n_in, out, n_out, st);
}

int kiln_session_run_seed(kiln_session *s, uint64_t seed, const kiln_tensor *in, size_t n_in,
			  kiln_tensor *out, size_t n_out, kiln_status *st)
{
	if (!s)
		return rt_fail(st, "session is NULL");
	return run_seeded(s, seed, in, n_in, out, n_out, st);
}

static int run_seeded(kiln_session *s, uint64_t seed, const kiln_tensor *in, size_t n_in,
		      kiln_tensor *out, size_t n_out, kiln_status *st)
{
	const rt_meta *m;
	kiln_rt_ctx ctx;
	int32_t code;
	m = &s->m->meta;
	if (check_inputs(s, in, n_in, out, n_out, st) || prepare_outputs(s, st) || prepare_arena(s, st))
		return -1;
	memset(&ctx, 0, sizeof(ctx));
	ctx.seed = seed;
	ctx.threads = rt_pool_threads(s->pool);
	ctx.parallel_for = s->pool ? rt_pool_parallel_for : NULL;
	ctx.pool = s->pool;
	code = s->m->run(&ctx, s->in_ptrs, s->out_bufs, s->syms, s->arena);
	if (code != KILN_RUN_OK)
		return run_code_error(code, st);
	for (int i = 0; i < m->nout; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].name = m->out[i].name;
		out[i].dtype = m->out[i].dtype;
		out[i].rank = m->out[i].rank;
		memcpy(out[i].dims, &s->out_dims[(size_t)i * KILN_MAX_RANK], sizeof(out[i].dims));
		out[i].data = s->out_bufs[i];
	}
	ok(st);
	return 0;
}
