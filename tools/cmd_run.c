/* cmd_run.c — `kiln run`: one run of a .onnx (compiled in memory) or a .so
 * made by kiln compile, on .npy or TensorProto .pb inputs given in graph
 * order or by name; outputs are written as OUTDIR/output_K.npy and
 * summarised on stdout. Linked into both kiln and kiln-compiler: what needs
 * the compiler (a .onnx model, .pb inputs) is in run_onnx.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools.h"

static int is_npy(const char *path)
{
	unsigned char m[6] = {0};
	FILE *f = fopen(path, "rb");
	size_t n = 0;
	if (f) {
		n = fread(m, 1, 6, f);
		fclose(f);
	}
	return n == 6 && memcmp(m, "\x93NUMPY", 6) == 0;
}

/* Reads a .npy or TensorProto .pb file into t (dims, dtype, data). */
static int read_tensor(const char *path, kiln_tensor *t)
{
	if (is_npy(path)) {
		npy_array a;
		kiln_status st;
		if (npy_read_file(path, &a, &st))
			return tool_error(TOOL_ERR, "%s", st.msg);
		t->dtype = a.dtype;
		t->rank = a.rank;
		memcpy(t->dims, a.dims, sizeof(t->dims));
		t->data = a.data;
		return TOOL_OK;
	}
	return tool_read_pb(path, t);
}

/* Index of the input named name among names[0..n), or -1. */
static int input_index(const char *const *names, int n, const char *name, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return i;
	return -1;
}

/* Maps the -i arguments onto the inputs names[0..n) (positional or
 * NAME=FILE). */
static int assign_inputs(const tool_opts *o, const char *const *names, int n, run_slot *slots)
{
	int next = 0;
	for (int k = 0; k < o->ninputs; k++) {
		const char *arg = o->inputs[k], *eq = strchr(arg, '=');
		int idx = eq ? input_index(names, n, arg, (size_t)(eq - arg)) : -1;
		const char *file = idx >= 0 ? eq + 1 : arg;
		if (idx < 0) {
			if (eq && access(arg, F_OK) != 0)
				return tool_error(TOOL_USAGE, "run: the model has no input named '%.*s'",
						  (int)(eq - arg), arg);
			if (next >= n)
				return tool_error(TOOL_USAGE, "run: too many inputs: the model has %d", n);
			idx = next++;
		}
		if (slots[idx].file)
			return tool_error(TOOL_USAGE, "run: input '%s' given twice", names[idx]);
		slots[idx].file = file;
	}
	for (int i = 0; i < n; i++)
		if (!slots[i].file)
			return tool_error(TOOL_USAGE, "run: missing input '%s' (give -i FILE in graph-input order "
					  "or -i %s=FILE)", names[i], names[i]);
	return TOOL_OK;
}

int run_load_inputs(const tool_opts *o, const char *const *names, int n, run_slot *slots)
{
	int r = assign_inputs(o, names, n, slots);
	for (int i = 0; r == TOOL_OK && i < n; i++)
		r = read_tensor(slots[i].file, &slots[i].t);
	return r;
}

/* The input names, as strdup'd strings (*n of them; NULL on no memory). */
static char **model_names(const kiln_model *m, int *n)
{
	kiln_tensor_info info;
	*n = kiln_model_num_inputs(m);
	char **names = calloc((size_t)*n + 1, sizeof(*names));
	for (int i = 0; names && i < *n; i++)
		if (kiln_model_input(m, i, &info) == 0)
			names[i] = strdup(info.name);
	return names;
}

/* Loads the model and reads the -i tensors into slots, one per input of
 * the model. A .onnx is read against its original graph instead: the JIT
 * build binds the inputs that decide shapes to their values, so the model
 * may have fewer inputs (run_onnx.c). */
static int prepare(const tool_opts *o, kiln_model **m, char ***names, int *n, run_slot **slots)
{
	int r;
	if (!tool_is_shared_lib(o->model))
		return run_prepare_onnx(o, m, names, n, slots);
	if ((r = tool_load_model(o, m)) != TOOL_OK)
		return r;
	*names = model_names(*m, n);
	*slots = calloc((size_t)*n + 1, sizeof(**slots));
	if (!*names || !*slots)
		return tool_error(TOOL_ERR, "out of memory");
	return run_load_inputs(o, (const char *const *)*names, *n, *slots);
}

/* The run's input array in the model's order, by name from the slots. */
static int gather_inputs(const kiln_model *m, char **names, int n, const run_slot *slots,
			 kiln_tensor *in)
{
	kiln_tensor_info info;
	for (int i = 0; i < kiln_model_num_inputs(m); i++) {
		int k = kiln_model_input(m, i, &info) == 0 ?
			input_index((const char *const *)names, n, info.name, strlen(info.name)) : -1;
		if (k < 0)
			return tool_error(TOOL_ERR, "run: model input %d has no tensor", i);
		in[i] = slots[k].t;
	}
	return TOOL_OK;
}

/* mkdir -p */
static int make_dirs(const char *path)
{
	char buf[4096];
	struct stat sb;
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof(buf))
		return tool_error(TOOL_ERR, "bad output folder '%s'", path);
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != 0)
			continue;
		char c = buf[i];
		buf[i] = 0;
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return tool_error(TOOL_ERR, "cannot create folder '%s': %s", buf, strerror(errno));
		buf[i] = c;
	}
	if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return tool_error(TOOL_ERR, "'%s' is not a folder", path);
	return TOOL_OK;
}

static float half_to_float(uint16_t h)
{
	int e = (h >> 10) & 0x1f, m = h & 0x3ff;
	float v = e == 0 ? (float)m / 16777216.0f
		: e == 31 ? (m ? NAN : INFINITY) : (1.0f + (float)m / 1024.0f) * ldexpf(1.0f, e - 15);
	return (h & 0x8000) ? -v : v;
}

/* Element i of t as a double, for printing. */
static double elem(const kiln_tensor *t, int64_t i)
{
	const void *p = t->data;
	switch (t->dtype) {
	case KILN_FLOAT: return ((const float *)p)[i];
	case KILN_DOUBLE: return ((const double *)p)[i];
	case KILN_FLOAT16: return half_to_float(((const uint16_t *)p)[i]);
	case KILN_INT8: return ((const int8_t *)p)[i];
	case KILN_UINT8: case KILN_BOOL: return ((const uint8_t *)p)[i];
	case KILN_INT16: return ((const int16_t *)p)[i];
	case KILN_UINT16: return ((const uint16_t *)p)[i];
	case KILN_INT32: return ((const int32_t *)p)[i];
	case KILN_UINT32: return ((const uint32_t *)p)[i];
	case KILN_INT64: return (double)((const int64_t *)p)[i];
	case KILN_UINT64: return (double)((const uint64_t *)p)[i];
	default: return 0;
	}
}

static int64_t numel(const kiln_tensor *t)
{
	int64_t n = 1;
	for (int i = 0; i < t->rank; i++)
		n *= t->dims[i];
	return n;
}

/* "output 0 'y': float32 [1,10] = 0.1 0.2 ... (10 values)" */
static void print_summary(int k, const kiln_tensor *t)
{
	int64_t n = numel(t), show = n < 6 ? n : 6;
	printf("output %d '%s': %s [", k, t->name, kiln_dtype_name(t->dtype));
	for (int i = 0; i < t->rank; i++)
		printf(i ? ",%lld" : "%lld", (long long)t->dims[i]);
	printf("] =");
	for (int64_t i = 0; i < show; i++)
		printf(" %.6g", elem(t, i));
	if (n > show)
		printf(" ... (%lld values)", (long long)n);
	printf("\n");
}

static int write_outputs(const tool_opts *o, const kiln_model *m, const kiln_tensor *out, int nout)
{
	const char *dir = o->out ? o->out : ".";
	char path[4200];
	kiln_status st;
	int r = make_dirs(dir), mc = kiln_model_mc_samples(m);
	if (r == TOOL_OK && mc > 0)
		printf("MC-dropout build, %d samples: outputs are each original output's mean, "
		       "then its unbiased variance%s\n", mc,
		       nout % 3 == 0 && nout / 3 && strstr(out[2].name ? out[2].name : "", "_samples")
		       ? ", then the stacked samples" : "");
	for (int k = 0; r == TOOL_OK && k < nout; k++) {
		snprintf(path, sizeof(path), "%s/output_%d.npy", dir, k);
		if (npy_write_file(path, out[k].dtype, out[k].rank, out[k].dims, out[k].data, &st))
			return tool_error(TOOL_ERR, "%s", st.msg);
		print_summary(k, &out[k]);
	}
	return r;
}

static int session_for(const tool_opts *o, kiln_model *m, kiln_session **s)
{
	kiln_options ko = {o->threads, o->seed, o->has_seed};
	kiln_status st;
	*s = kiln_session_create(m, &ko, &st);
	return *s ? TOOL_OK : tool_error(TOOL_ERR, "%s", st.msg);
}

static void free_slots(run_slot *slots, char **names, int n)
{
	for (int i = 0; i < n; i++) {
		if (slots)
			free(slots[i].t.data);
		if (names)
			free(names[i]);
	}
	free(slots);
	free(names);
}

int cmd_run(int argc, char **argv)
{
	tool_opts o;
	kiln_model *m = NULL;
	kiln_session *s = NULL;
	kiln_tensor *out = NULL, *in = NULL;
	run_slot *slots = NULL;
	char **names = NULL;
	kiln_status st;
	int r, n = 0, nin = 0, nout = 0;
	if ((r = tool_parse("run", OPT_INPUT | OPT_OUT | OPT_SEED | OPT_THREADS | OPT_BUILD, argc, argv, &o)))
		return r;
	if ((r = prepare(&o, &m, &names, &n, &slots)) == TOOL_OK) {
		nin = kiln_model_num_inputs(m);
		nout = kiln_model_num_outputs(m);
		in = calloc((size_t)nin + 1, sizeof(*in));
		out = calloc((size_t)nout + 1, sizeof(*out));
		if (!in || !out)
			r = tool_error(TOOL_ERR, "out of memory");
	}
	if (r == TOOL_OK && (r = gather_inputs(m, names, n, slots, in)) == TOOL_OK &&
	    (r = session_for(&o, m, &s)) == TOOL_OK) {
		if (kiln_session_run(s, in, (size_t)nin, out, (size_t)nout, &st))
			r = tool_error(TOOL_ERR, "%s", st.msg);
		else
			r = write_outputs(&o, m, out, nout);
	}
	kiln_session_free(s);
	free_slots(slots, names, n);
	free(in);
	free(out);
	kiln_model_free(m);
	tool_opts_free(&o);
	return r;
}
