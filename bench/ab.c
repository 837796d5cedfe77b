/* ab.c — A/B timing of compiled models: loads each MODEL.so given, then runs
 * them in turn, one run of each per round, so that the machine's slow and
 * fast spells (this shared VM's speed moves by 30% or more for seconds at a
 * time) fall on every model alike; prints each model's min, first quartile
 * and median in ms. Inputs are deterministic values in [-1, 1); symbolic
 * dims are 1. Built and run by bench/ab.sh.
 * usage: ab [--threads=N] [--runs=N] MODEL.so... */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln.h"

#define AB_MAX_MODELS 16
#define AB_MAX_IO 8

typedef struct {
	const char *path;
	kiln_session *s;
	kiln_tensor in[AB_MAX_IO];
	int nin, nout;
	double *ms;
} ab_model;

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Loads m->path, makes its session and float inputs; 0 or -1 (message printed). */
static int ab_open(ab_model *m, int threads, int runs)
{
	kiln_status st;
	kiln_model *km = kiln_model_load(m->path, &st);
	kiln_options o = {threads, 0, 0};
	if (!km || !(m->s = kiln_session_create(km, &o, &st))) {
		fprintf(stderr, "ab: %s: %s\n", m->path, st.msg);
		return -1;
	}
	m->nin = kiln_model_num_inputs(km);
	m->nout = kiln_model_num_outputs(km);
	if (m->nin > AB_MAX_IO || m->nout > AB_MAX_IO) {
		fprintf(stderr, "ab: %s: more than %d inputs or outputs\n", m->path, AB_MAX_IO);
		return -1;
	}
	for (int i = 0; i < m->nin; i++) {
		kiln_tensor_info info;
		kiln_tensor *t = &m->in[i];
		size_t n = 1;
		kiln_model_input(km, i, &info);
		if (info.dtype != KILN_FLOAT) {
			fprintf(stderr, "ab: %s: input %d is not float32\n", m->path, i);
			return -1;
		}
		memset(t, 0, sizeof *t);
		t->dtype = KILN_FLOAT;
		t->rank = info.rank;
		for (int d = 0; d < info.rank; d++) {
			t->dims[d] = info.dims[d] < 0 ? 1 : info.dims[d];
			n *= (size_t)t->dims[d];
		}
		float *x = malloc(n * sizeof(float) + 1);
		if (!x)
			return -1;
		for (size_t k = 0; k < n; k++)
			x[k] = (float)(((k + 7 * (size_t)i) * 2654435761u) % 1000) / 500.0f - 1.0f;
		t->data = x;
	}
	m->ms = malloc(sizeof(double) * (size_t)runs);
	return m->ms ? 0 : -1;
}

int main(int argc, char **argv)
{
	int threads = 1, runs = 200, nm = 0;
	ab_model m[AB_MAX_MODELS];
	for (int i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--threads=", 10))
			threads = atoi(argv[i] + 10);
		else if (!strncmp(argv[i], "--runs=", 7))
			runs = atoi(argv[i] + 7);
		else if (nm < AB_MAX_MODELS)
			m[nm++].path = argv[i];
		else
			nm = AB_MAX_MODELS + 1;      /* too many: the usage below */
	}
	if (nm == 0 || nm > AB_MAX_MODELS || threads < 1 || runs < 1) {
		fprintf(stderr, "usage: ab [--threads=N] [--runs=N] MODEL.so... (up to %d)\n",
			AB_MAX_MODELS);
		return 2;
	}
	for (int i = 0; i < nm; i++)
		if (ab_open(&m[i], threads, runs))
			return 1;
	for (int r = -3; r < runs; r++)        /* three warm-up rounds */
		for (int i = 0; i < nm; i++) {
			kiln_tensor out[AB_MAX_IO];
			kiln_status st;
			double t0 = now_ms();
			if (kiln_session_run(m[i].s, m[i].in, (size_t)m[i].nin, out,
					     (size_t)m[i].nout, &st)) {
				fprintf(stderr, "ab: %s: %s\n", m[i].path, st.msg);
				return 1;
			}
			if (r >= 0)
				m[i].ms[r] = now_ms() - t0;
		}
	for (int i = 0; i < nm; i++) {
		qsort(m[i].ms, (size_t)runs, sizeof(double), cmp_double);
		printf("%s  min %.3f  p25 %.3f  median %.3f ms\n", m[i].path, m[i].ms[0],
		       m[i].ms[runs / 4], m[i].ms[runs / 2]);
	}
	return 0;
}
