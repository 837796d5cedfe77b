/* test_pool.c — runtime_pool: the thread pool seen by generated code through
 * kiln_rt_ctx.parallel_for. A hand-written model records which thread ran
 * each index; every index must run exactly once, in contiguous chunks (at
 * most one per thread), and parallel_for must be NULL for a single-threaded
 * session. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <cmocka.h>

#include "kiln.h"
#include "kiln_abi.h"

static const char meta[] = "kiln 1\nsym N\ninput 1 1 1*$0 x\noutput 1 1 1*$0 y\n";

static int *hits;             /* per index */
static pthread_t *who;        /* per index */
static int saw_null_pf, ctx_threads, nested_ok;
static int hold0;             /* index 0 waits (body) */

static int64_t arena_size(const int64_t *syms) { return 0; }

typedef struct {
	const float *x;
	float *y;
	kiln_rt_ctx *ctx;
} job;

static void body(void *vp, int64_t i)
{
	job *j = vp;
	/* the chunk of index 0 holds its thread a while: the others must be
	 * taken by the pool's workers (any thread may run any chunk, so only
	 * a chunk that takes long enough for a worker to wake shows that the
	 * work is shared) */
	if (i == 0 && hold0 && j->ctx->parallel_for) {
		struct timespec d = {0, 20 * 1000 * 1000};
		nanosleep(&d, NULL);
	}
	__atomic_fetch_add(&hits[i], 1, __ATOMIC_RELAXED);
	who[i] = pthread_self();
	j->y[i] = j->x[i] * 2.0f;
}

static void inner(void *vp, int64_t i)
{
	__atomic_fetch_add((int *)vp, 1, __ATOMIC_RELAXED);
}

static int32_t run(kiln_rt_ctx *ctx, void *const *in, void *const *out, const int64_t *syms, void *arena)
{
	job j = {in[0], out[0], ctx};
	ctx_threads = ctx->threads;
	saw_null_pf = ctx->parallel_for == NULL;
	if (!ctx->parallel_for) {
		for (int64_t i = 0; i < syms[0]; i++)
			body(&j, i);
		return 0;
	}
	ctx->parallel_for(ctx->pool, syms[0], body, &j);
	/* A nested call from inside a chunk must not deadlock. */
	int count = 0;
	ctx->parallel_for(ctx->pool, 2, (void (*)(void *, int64_t))inner, &count);
	nested_ok = count == 2;
	return 0;
}

/* Checks the last call's record; returns how many times consecutive
 * indices ran on different threads. */
static int check_partition(int64_t n, int threads)
{
	int changes = 0;
	for (int64_t i = 0; i < n; i++) {
		if (hits[i] != 1)
			fail_msg("n=%lld threads=%d: index %lld ran %d times", (long long)n, threads,
				 (long long)i, hits[i]);
		if (i > 0 && !pthread_equal(who[i], who[i - 1]))
			changes++;
	}
	/* the static partition: min(n, threads) contiguous chunks (any thread
	 * may run any of them), so threads switch only where one chunk ends */
	int64_t chunks = n < threads ? n : threads;
	for (int64_t i = 1; i < n; i++) {
		if (pthread_equal(who[i], who[i - 1]))
			continue;
		int boundary = 0;
		for (int64_t k = 1; k < chunks; k++)
			boundary |= i == k * (n / chunks) + (k < n % chunks ? k : n % chunks);
		if (!boundary)
			fail_msg("n=%lld threads=%d: thread switch inside a chunk at %lld", (long long)n,
				 threads, (long long)i);
	}
	assert_true(changes <= threads - 1);
	return changes;
}

static void test_parallel_for(void **state)
{
	static const int threads[] = {1, 2, 3, 8};
	static const int64_t sizes[] = {0, 1, 2, 3, 7, 64, 1000, 100003};
	kiln_status st;
	kiln_model *m = kiln_model_from_symbols(meta, (void *)arena_size, (void *)run, NULL, NULL, &st);
	assert_non_null(m);
	for (size_t t = 0; t < 4; t++) {
		kiln_options o = {threads[t], 0, 0};
		kiln_session *s = kiln_session_create(m, &o, &st);
		assert_non_null(s);
		for (size_t k = 0; k < 8; k++) {
			int64_t n = sizes[k];
			float *x = malloc(sizeof(float) * (size_t)(n + 1));
			kiln_tensor in = {"x", KILN_FLOAT, 1, {n}, x}, out;
			hits = calloc((size_t)n + 1, sizeof(int));
			who = calloc((size_t)n + 1, sizeof(pthread_t));
			for (int64_t i = 0; i < n; i++)
				x[i] = (float)i;
			hold0 = n >= 1000;
			/* with index 0 held, the work must be shared: some worker
			 * takes another chunk (up to 5 tries: a caller preempted
			 * before it claims chunk 0 can leave every chunk to one
			 * worker, which is allowed) */
			for (int try = 0; try < 5; try++) {
				memset(hits, 0, sizeof(int) * (size_t)(n + 1));
				nested_ok = 0;
				assert_int_equal(kiln_session_run(s, &in, 1, &out, 1, &st), 0);
				assert_int_equal(ctx_threads, threads[t]);
				assert_int_equal(saw_null_pf, threads[t] == 1);
				if (threads[t] > 1)
					assert_true(nested_ok);
				int changes = check_partition(n, threads[t]);
				for (int64_t i = 0; i < n; i++)
					assert_float_equal(((float *)out.data)[i], 2.0f * (float)i, 0);
				if (threads[t] == 1 || n < 1000 || changes >= 1)
					break;
				if (try == 4)
					fail_msg("threads=%d n=%lld: one thread ran every chunk 5 times",
						 threads[t], (long long)n);
			}
			free(x);
			free(hits);
			free(who);
		}
		kiln_session_free(s);
	}
	kiln_model_free(m);
}

/* Back-to-back calls of a few items each, as a model's small kernels make
 * them: a worker that wakes late for one call must not run a chunk of the
 * next with the old call's body, nor any chunk twice. */
#define MANY_CALLS 20000
static int many_count[MANY_CALLS][4];

typedef struct {
	int call;
} many_job;

static void many_body(void *vp, int64_t i)
{
	many_job *j = vp;
	__atomic_fetch_add(&many_count[j->call][i], 1, __ATOMIC_RELAXED);
}

static int32_t run_many(kiln_rt_ctx *ctx, void *const *in, void *const *out, const int64_t *syms,
	void *arena)
{
	many_job jobs[2];
	for (int c = 0; c < MANY_CALLS; c++) {
		/* alternate two job records: a stale reader of the last one sees
		 * a different call number */
		many_job *j = &jobs[c & 1];
		j->call = c;
		ctx->parallel_for(ctx->pool, 1 + c % 4, many_body, j);
	}
	return 0;
}

static void test_back_to_back(void **state)
{
	static const int threads[] = {2, 3, 8};
	kiln_status st;
	kiln_model *m = kiln_model_from_symbols(meta, (void *)arena_size, (void *)run_many, NULL,
		NULL, &st);
	assert_non_null(m);
	for (size_t t = 0; t < 3; t++) {
		kiln_options o = {threads[t], 0, 0};
		kiln_session *s = kiln_session_create(m, &o, &st);
		assert_non_null(s);
		float x = 0.0f;
		kiln_tensor in = {"x", KILN_FLOAT, 1, {1}, &x}, out;
		memset(many_count, 0, sizeof many_count);
		assert_int_equal(kiln_session_run(s, &in, 1, &out, 1, &st), 0);
		for (int c = 0; c < MANY_CALLS; c++)
			for (int i = 0; i < 4; i++)
				if (many_count[c][i] != (i < 1 + c % 4))
					fail_msg("threads=%d call %d: index %d ran %d times", threads[t], c, i,
						 many_count[c][i]);
		kiln_session_free(s);
	}
	kiln_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parallel_for),
		cmocka_unit_test(test_back_to_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
