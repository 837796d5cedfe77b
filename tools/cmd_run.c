/* cmd_run.c — `kiln run`: one run of a .onnx (compiled in memory) or a .so
 * made by kiln compile, on .npy or TensorProto .pb inputs given in graph
 * order or by name; outputs are written as OUTDIR/output_K.npy and
 * summarised on stdout. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frontend.h"
#include "tools.h"

/* One input tensor read from a file (data malloc-owned). */
typedef struct {
	const char *file;        /* NULL until assigned */
	kiln_tensor t;
} in_slot;

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
	onnx_tensor ot;
	ir_status st = {0};
	if (onnx_tensor_read_pb(path, &ot, &st))
		return tool_error(TOOL_ERR, "%s", st.msg[0] ? st.msg : "cannot read tensor file");
	if (kiln_dtype_size((int)ot.dtype) == 0 || ot.rank > KILN_MAX_RANK) {
		onnx_tensor_free(&ot);
		return tool_error(TOOL_ERR, "%s: unsupported tensor (dtype %d, rank %d)", path, (int)ot.dtype, ot.rank);
	}
	t->dtype = (int32_t)ot.dtype;
	t->rank = ot.rank;
	memcpy(t->dims, ot.dims, sizeof(int64_t) * (size_t)ot.rank);
	t->data = ot.data;          /* take ownership */
	ot.data = NULL;
	onnx_tensor_free(&ot);
	return TOOL_OK;
}

/* Index of the input named name, or -1. */
static int input_index(const kiln_model *m, const char *name, size_t len)
{
	kiln_tensor_info info;
	for (int i = 0; i < kiln_model_num_inputs(m); i++)
		if (kiln_model_input(m, i, &info) == 0 && strlen(info.name) == len &&
		    memcmp(info.name, name, len) == 0)
			return i;
	return -1;
}

/* Maps the -i arguments onto graph inputs (positional or NAME=FILE). */
static int assign_inputs(const tool_opts *o, const kiln_model *m, in_slot *slots)
{
	int n = kiln_model_num_inputs(m), next = 0;
	kiln_tensor_info info;
	for (int k = 0; k < o->ninputs; k++) {
		const char *arg = o->inputs[k], *eq = strchr(arg, '=');
		int idx = eq ? input_index(m, arg, (size_t)(eq - arg)) : -1;
		const char *file = idx >= 0 ? eq + 1 : arg;
		if (idx < 0) {
			if (eq && access(arg, F_OK) != 0)
				return tool_error(TOOL_USAGE, "run: the model has no input named '%.*s'",
						  (int)(eq - arg), arg);
			if (next >= n)
				return tool_error(TOOL_USAGE, "run: too many inputs: the model has %d", n);
			idx = next++;
		}
		kiln_model_input(m, idx, &info);
		if (slots[idx].file)
			return tool_error(TOOL_USAGE, "run: input '%s' given twice", info.name);
		slots[idx].file = file;
	}
	for (int i = 0; i < n; i++) {
		kiln_model_input(m, i, &info);
		if (!slots[i].file)
			return tool_error(TOOL_USAGE, "run: missing input '%s' (give -i FILE in graph-input order "
					  "or -i %s=FILE)", info.name, info.name);
	}
	return TOOL_OK;
}

static int load_inputs(const tool_opts *o, const kiln_model *m, in_slot *slots)
{
	int r = assign_inputs(o, m, slots);
	for (int i = 0; r == TOOL_OK && i < kiln_model_num_inputs(m); i++)
		r = read_tensor(slots[i].file, &slots[i].t);
	return r;
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

static void free_slots(in_slot *slots, int n)
{
	for (int i = 0; slots && i < n; i++)
		free(slots[i].t.data);
	free(slots);
}

int cmd_run(int argc, char **argv)
{
	tool_opts o;
	kiln_model *m = NULL;
	kiln_session *s = NULL;
	kiln_tensor *out = NULL;
	in_slot *slots = NULL;
	kiln_status st;
	int r, nin = 0, nout = 0;
	if ((r = tool_parse("run", OPT_INPUT | OPT_OUT | OPT_SEED | OPT_THREADS | OPT_BUILD, argc, argv, &o)))
		return r;
	if ((r = tool_load_model(&o, &m)) == TOOL_OK) {
		nin = kiln_model_num_inputs(m);
		nout = kiln_model_num_outputs(m);
		slots = calloc((size_t)nin + 1, sizeof(*slots));
		out = calloc((size_t)nout + 1, sizeof(*out));
		if (!slots || !out)
			r = tool_error(TOOL_ERR, "out of memory");
	}
	if (r == TOOL_OK && (r = load_inputs(&o, m, slots)) == TOOL_OK && (r = session_for(&o, m, &s)) == TOOL_OK) {
		kiln_tensor *in = calloc((size_t)nin + 1, sizeof(*in));
		for (int i = 0; in && i < nin; i++)
			in[i] = slots[i].t;
		if (!in)
			r = tool_error(TOOL_ERR, "out of memory");
		else if (kiln_session_run(s, in, (size_t)nin, out, (size_t)nout, &st))
			r = tool_error(TOOL_ERR, "%s", st.msg);
		else
			r = write_outputs(&o, m, out, nout);
		free(in);
	}
	kiln_session_free(s);
	free_slots(slots, nin);
	free(out);
	kiln_model_free(m);
	tool_opts_free(&o);
	return r;
}
