/* pool.c — a small persistent pthread pool behind kiln_rt_ctx.parallel_for.
 * Each call splits [0, n) into one contiguous chunk per worker, so the
 * partition depends only on n and the thread count; which thread runs a
 * chunk does not change what it computes. Each thread first claims its own
 * chunk (the caller chunk 0), then any chunk still unclaimed: a worker that
 * the system has not scheduled yet (a busy or shared core) no longer holds
 * up the call, whose caller runs that chunk itself. Calls from inside a
 * chunk run serially instead of deadlocking.
 * A model run makes one call per kernel, often microseconds apart, so
 * workers spin for a while (about a tenth of a millisecond) on the job
 * counter before sleeping on the condition variable, and the caller spins
 * the same way for the chunks others claimed: a futex round trip per kernel
 * would cost more than the small kernels themselves. */
#include "rt.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define RT_SPIN 8192     /* polls before sleeping */

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

struct rt_pool {
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	pthread_mutex_t call_mu;     /* one parallel_for at a time */
	int nthreads;                /* workers including the caller */
	int nstarted;                /* pthreads actually running */
	pthread_t *tids;
	_Atomic uint64_t gen;        /* bumped for each job (under mu); 64 bits: never wraps */
	_Atomic uint64_t *claim;     /* per chunk: the last job that claimed it */
	atomic_long done;            /* chunks of the job finished */
	int stop;
	int64_t n, chunks;
	void (*fn)(void *arg, int64_t i);
	void *arg;
};

typedef struct {
	rt_pool *p;
	int k;                       /* chunk index, 1..nthreads-1 */
} worker_arg;

static _Thread_local int tl_in_pool;

static void run_chunk(int64_t n, int64_t k, int64_t t, void (*fn)(void *, int64_t), void *arg)
{
	int64_t base = n / t, rem = n % t;
	int64_t lo = k * base + (k < rem ? k : rem);
	int64_t hi = lo + base + (k < rem ? 1 : 0);
	tl_in_pool = 1;
	for (int64_t i = lo; i < hi; i++)
		fn(arg, i);
	tl_in_pool = 0;
}

/* Claims chunk c of job g (the generation the caller read with the job's
 * fields): only while no thread has, so each chunk runs once; a thread still
 * holding an older job's fields fails (the slot holds g or more), and job g
 * is not over before all its chunks are claimed and done, so its fields are
 * still valid for whoever claims. */
static int claim_chunk(rt_pool *p, int64_t c, uint64_t g)
{
	uint64_t v = atomic_load(&p->claim[c]);
	return v < g && atomic_compare_exchange_strong(&p->claim[c], &v, g);
}

/* Runs the chunks of job g this thread claims, its own (k) first; returns
 * how many it ran. */
static int64_t run_claimed(rt_pool *p, uint64_t g, int64_t k, int64_t n, int64_t chunks,
	void (*fn)(void *, int64_t), void *arg)
{
	int64_t ran = 0;
	for (int64_t i = 0; i < chunks; i++) {
		int64_t c = (k + i) % chunks;
		if (claim_chunk(p, c, g)) {
			run_chunk(n, c, chunks, fn, arg);
			ran++;
		}
	}
	return ran;
}

static void *worker_main(void *vp)
{
	worker_arg *wa = vp;
	rt_pool *p = wa->p;
	int k = wa->k;
	uint64_t seen = 0;
	free(wa);
	for (;;) {
		/* n, fn and arg are written before gen is bumped (release) */
		for (int i = 0; i < RT_SPIN && atomic_load(&p->gen) == seen; i++)
			cpu_relax();
		pthread_mutex_lock(&p->mu);
		while (atomic_load(&p->gen) == seen && !p->stop)
			pthread_cond_wait(&p->work_cv, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			return NULL;
		}
		seen = atomic_load(&p->gen);
		int64_t n = p->n, chunks = p->chunks;
		void (*fn)(void *, int64_t) = p->fn;
		void *arg = p->arg;
		pthread_mutex_unlock(&p->mu);
		int64_t ran = run_claimed(p, seen, k, n, chunks, fn, arg);
		/* the job's last chunk: wake the caller if it sleeps */
		if (ran && atomic_fetch_add(&p->done, ran) + ran == chunks) {
			pthread_mutex_lock(&p->mu);
			pthread_cond_signal(&p->done_cv);
			pthread_mutex_unlock(&p->mu);
		}
	}
}

rt_pool *rt_pool_new(int threads)
{
	rt_pool *p;
	if (threads < 2)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p || !(p->tids = calloc((size_t)threads, sizeof(pthread_t))) ||
		!(p->claim = calloc((size_t)threads, sizeof(*p->claim)))) {
		if (p)
			free(p->tids);
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->call_mu, NULL);
	pthread_cond_init(&p->work_cv, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	for (int k = 1; k < threads; k++) {
		worker_arg *wa = malloc(sizeof(*wa));
		if (!wa)
			break;
		wa->p = p;
		wa->k = k;
		if (pthread_create(&p->tids[p->nstarted], NULL, worker_main, wa) != 0) {
			free(wa);
			break;
		}
		p->nstarted++;
	}
	p->nthreads = p->nstarted + 1;
	if (p->nstarted == 0) {
		rt_pool_free(p);
		return NULL;
	}
	return p;
}

void rt_pool_free(rt_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nstarted; i++)
		pthread_join(p->tids[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->call_mu);
	pthread_cond_destroy(&p->work_cv);
	pthread_cond_destroy(&p->done_cv);
	free(p->tids);
	free(p->claim);
	free(p);
}

int rt_pool_threads(const rt_pool *p)
{
	return p ? p->nthreads : 1;
}

void rt_pool_parallel_for(void *pool, int64_t n, void (*fn)(void *arg, int64_t i), void *arg)
{
	rt_pool *p = pool;
	if (n <= 0)
		return;
	if (!p || tl_in_pool || n == 1) {
		for (int64_t i = 0; i < n; i++)
			fn(arg, i);
		return;
	}
	int64_t chunks = n < p->nthreads ? n : p->nthreads;
	pthread_mutex_lock(&p->call_mu);
	pthread_mutex_lock(&p->mu);
	p->n = n;
	p->chunks = chunks;
	p->fn = fn;
	p->arg = arg;
	atomic_store(&p->done, 0);
	uint64_t g = atomic_fetch_add(&p->gen, 1) + 1;
	pthread_cond_broadcast(&p->work_cv);
	pthread_mutex_unlock(&p->mu);
	atomic_fetch_add(&p->done, run_claimed(p, g, 0, n, chunks, fn, arg));
	for (int i = 0; i < RT_SPIN && atomic_load(&p->done) < chunks; i++)
		cpu_relax();
	if (atomic_load(&p->done) < chunks) {
		pthread_mutex_lock(&p->mu);
		while (atomic_load(&p->done) < chunks)
			pthread_cond_wait(&p->done_cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_unlock(&p->call_mu);
}
