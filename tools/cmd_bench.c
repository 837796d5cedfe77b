/* cmd_bench.c — `kiln bench`: loads a .onnx (compile + JIT) or a .so, makes
 * random inputs with every symbolic dim set to --batch, does one warm-up run
 * and --runs timed runs, and prints one JSON line with the median and
 * minimum run time and the load time, all in milliseconds; with --rounds,
 * that many sets of runs in one session, each started by a line on standard
 * input and printed as its own line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* xorshift64*: deterministic input data. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* Uniform [-1, 1) for floats (float16 as 1.0 / -1.0 / 0.5 patterns), 0 or 1
 * for integers and bools, so index inputs stay in range. */
static void fill_random(kiln_tensor *t, int64_t n, uint64_t *s)
{
	static const uint16_t halves[4] = {0x3c00, 0xbc00, 0x3800, 0xb800};
	for (int64_t i = 0; i < n; i++) {
		uint64_t r = rng_next(s);
		double u = (double)(r >> 11) / 9007199254740992.0 * 2.0 - 1.0;
		switch (t->dtype) {
		case KILN_FLOAT: ((float *)t->data)[i] = (float)u; break;
		case KILN_DOUBLE: ((double *)t->data)[i] = u; break;
		case KILN_FLOAT16: ((uint16_t *)t->data)[i] = halves[r & 3]; break;
		default: {
			size_t es = kiln_dtype_size(t->dtype);
			memset((char *)t->data + (size_t)i * es, 0, es);
			((unsigned char *)t->data)[(size_t)i * es] = (unsigned char)(r & 1);
		}
		}
	}
}

/* Dim value for bench: static as is, "N" -> batch, "C*N" -> C * batch. */
static int64_t bench_dim(const kiln_tensor_info *info, int j, int64_t batch)
{
	long long c = 1;
	if (info->dims[j] >= 0)
		return info->dims[j];
	if (info->dim_names[j] && strchr(info->dim_names[j], '*'))
		c = atoll(info->dim_names[j]);
	return (int64_t)c * batch;
}

static int make_inputs(const kiln_model *m, int64_t batch, kiln_tensor *in)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < kiln_model_num_inputs(m); i++) {
		kiln_tensor_info info;
		int64_t n = 1;
		kiln_model_input(m, i, &info);
		in[i].name = info.name;
		in[i].dtype = info.dtype;
		in[i].rank = info.rank;
		for (int j = 0; j < info.rank; j++) {
			in[i].dims[j] = bench_dim(&info, j, batch);
			if (in[i].dims[j] != 0 && n > ((int64_t)1 << 40) / in[i].dims[j])
				return tool_error(TOOL_ERR, "bench: input '%s' is too large at batch %lld",
						  info.name, (long long)batch);
			n *= in[i].dims[j];
		}
		in[i].data = malloc((size_t)n * kiln_dtype_size(info.dtype) + 1);
		if (!in[i].data)
			return tool_error(TOOL_ERR, "bench: out of memory for input '%s'", info.name);
		fill_random(&in[i], n, &seed);
	}
	return TOOL_OK;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Writes s as a JSON string literal. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* Warm-up plus o->runs timed runs; times[] gets each run in ms. */
static int time_runs(const tool_opts *o, kiln_session *s, const kiln_model *m,
		     kiln_tensor *in, double *times)
{
	size_t nin = (size_t)kiln_model_num_inputs(m), nout = (size_t)kiln_model_num_outputs(m);
	kiln_tensor *out = calloc(nout + 1, sizeof(*out));
	kiln_status st;
	int r = TOOL_OK;
	if (!out)
		return tool_error(TOOL_ERR, "out of memory");
	for (int k = -1; k < o->runs && r == TOOL_OK; k++) {
		double t0 = now_ms();
		if (kiln_session_run(s, in, nin, out, nout, &st))
			r = tool_error(TOOL_ERR, "%s", st.msg);
		else if (k >= 0)
			times[k] = now_ms() - t0;
	}
	free(out);
	return r;
}

/* Prints the JSON line of one set of o->runs times (sorted here); round < 0
 * for a plain bench, else the "round" field of --rounds. */
static void print_times(const tool_opts *o, double *times, double load_ms, int round)
{
	qsort(times, (size_t)o->runs, sizeof(double), cmp_double);
	double med = o->runs % 2 ? times[o->runs / 2]
		: (times[o->runs / 2 - 1] + times[o->runs / 2]) / 2;
	printf("{\"model\":");
	json_str(o->model);
	if (round >= 0)
		printf(",\"round\":%d", round);
	printf(",\"threads\":%d,\"batch\":%lld,\"runs\":%d,\"median_ms\":%.4f,\"min_ms\":%.4f,"
	       "\"load_ms\":%.3f}\n", o->threads, (long long)o->batch, o->runs, med, times[0], load_ms);
	fflush(stdout);
}

/* --rounds: each round waits for a line on standard input, then does one
 * warm-up run and o->runs timed runs. */
static int time_rounds(const tool_opts *o, kiln_session *s, const kiln_model *m,
		       kiln_tensor *in, double *times, double load_ms)
{
	char line[256];
	int r = TOOL_OK;
	for (int k = 0; k < o->rounds && r == TOOL_OK; k++) {
		if (!fgets(line, sizeof line, stdin))
			return tool_error(TOOL_ERR, "bench --rounds=%d: standard input ended before "
					  "round %d", o->rounds, k + 1);
		if ((r = time_runs(o, s, m, in, times)) == TOOL_OK)
			print_times(o, times, load_ms, k);
	}
	return r;
}

static int bench_model(const tool_opts *o, kiln_model *m, double load_ms)
{
	int nin = kiln_model_num_inputs(m), r;
	kiln_tensor *in = calloc((size_t)nin + 1, sizeof(*in));
	double *times = calloc((size_t)o->runs, sizeof(double));
	kiln_options ko = {o->threads, 0, 0};
	kiln_session *s = NULL;
	kiln_status st;
	if (!in || !times)
		r = tool_error(TOOL_ERR, "out of memory");
	else if ((r = make_inputs(m, o->batch, in)) == TOOL_OK) {
		if (!(s = kiln_session_create(m, &ko, &st)))
			r = tool_error(TOOL_ERR, "%s", st.msg);
		else if (o->rounds)
			r = time_rounds(o, s, m, in, times, load_ms);
		else if ((r = time_runs(o, s, m, in, times)) == TOOL_OK)
			print_times(o, times, load_ms, -1);
	}
	kiln_session_free(s);
	for (int i = 0; in && i < nin; i++)
		free(in[i].data);
	free(in);
	free(times);
	return r;
}

int cmd_bench(int argc, char **argv)
{
	tool_opts o;
	kiln_model *m = NULL;
	double t0;
	int r;
	if ((r = tool_parse("bench", OPT_THREADS | OPT_BENCH, argc, argv, &o)))
		return r;
	t0 = now_ms();
	if ((r = tool_load_model(&o, &m)) == TOOL_OK)
		r = bench_model(&o, m, now_ms() - t0);
	kiln_model_free(m);
	tool_opts_free(&o);
	return r;
}
