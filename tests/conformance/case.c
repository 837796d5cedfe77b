/* case.c — runs one ONNX backend test case in-process: frontend -> pass
 * pipeline (mode AUTO) -> cg_jit -> kiln_session_run on every test_data_set_N,
 * comparing outputs the way ONNX's backend runner does (same dtype and shape;
 * floats |a-b| <= atol + rtol*|b|, NaN == NaN; other types exact). The four
 * random training-Dropout cases are checked statistically instead. Inputs
 * that decide a shape are bound to the data set's values (pass_bind_inputs),
 * and bfloat16 tensors stored as uint16 are taken as bfloat16. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "codegen.h"
#include "conformance.h"
#include "frontend.h"
#include "passes.h"

#define RTOL 1e-3
#define ATOL 1e-7
#define MAX_IO 64

static int why(char *msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int why(char *msg, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, CONF_MSG_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

static int exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0;
}

static double half_to_double(uint16_t h)
{
	int e = (h >> 10) & 0x1f, m = h & 0x3ff;
	double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m | 0x400, e - 25);
	return (h & 0x8000) ? -v : v;
}

/* Element i of a float tensor (f16, bf16, f32, f64) as a double. */
static double get_float(int dtype, const void *data, size_t i)
{
	switch (dtype) {
	case KILN_FLOAT: return ((const float *)data)[i];
	case KILN_DOUBLE: return ((const double *)data)[i];
	case KILN_FLOAT16: return half_to_double(((const uint16_t *)data)[i]);
	default: {  /* bfloat16 */
		uint32_t u = (uint32_t)((const uint16_t *)data)[i] << 16;
		float f;
		memcpy(&f, &u, 4);
		return f;
	}
	}
}

static int close_enough(double a, double b)
{
	if (isnan(a) || isnan(b))
		return isnan(a) && isnan(b);
	if (isinf(a) || isinf(b))
		return a == b;
	return fabs(a - b) <= ATOL + RTOL * fabs(b);
}

static size_t numel_of(int rank, const int64_t *dims)
{
	size_t n = 1;
	for (int i = 0; i < rank; i++)
		n *= (size_t)dims[i];
	return n;
}

static int same_type_shape(const kiln_tensor *got, const onnx_tensor *exp, int k, char *msg)
{
	if (got->dtype != (int)exp->dtype)
		return why(msg, "output %d: dtype %s, expected %s", k, ir_dtype_name(got->dtype),
			   ir_dtype_name(exp->dtype));
	int ok = got->rank == exp->rank;
	for (int i = 0; ok && i < got->rank; i++)
		ok = got->dims[i] == exp->dims[i];
	if (!ok) {
		char g[128] = "", e[128] = "";
		for (int i = 0; i < got->rank; i++)
			snprintf(g + strlen(g), sizeof g - strlen(g), "%s%lld", i ? "," : "",
				 (long long)got->dims[i]);
		for (int i = 0; i < exp->rank; i++)
			snprintf(e + strlen(e), sizeof e - strlen(e), "%s%lld", i ? "," : "",
				 (long long)exp->dims[i]);
		return why(msg, "output %d: shape [%s], expected [%s]", k, g, e);
	}
	return 0;
}

/* Compares one output with its reference; msg says where it differs. */
static int compare_output(const kiln_tensor *got, const onnx_tensor *exp, int k, char *msg)
{
	if (same_type_shape(got, exp, k, msg))
		return -1;
	size_t n = numel_of(exp->rank, exp->dims), mism = 0, first = 0;
	if (ir_dtype_is_float(exp->dtype)) {
		for (size_t i = 0; i < n; i++)
			if (!close_enough(get_float(got->dtype, got->data, i),
					  get_float(exp->dtype, exp->data, i)) && !mism++)
				first = i;
		if (mism)
			return why(msg, "output %d: %zu of %zu elements differ, first at %zu: got %.9g, "
				   "expected %.9g", k, mism, n, first, get_float(got->dtype, got->data, first),
				   get_float(exp->dtype, exp->data, first));
		return 0;
	}
	size_t es = ir_dtype_size(exp->dtype);
	if (es == 0)
		return why(msg, "output %d: dtype %s not comparable", k, ir_dtype_name(exp->dtype));
	for (size_t i = 0; i < n; i++) {
		const unsigned char *a = (const unsigned char *)got->data + i * es;
		const unsigned char *b = (const unsigned char *)exp->data + i * es;
		int differ = exp->dtype == IR_BOOL ? (!*a != !*b) : memcmp(a, b, es) != 0;
		if (differ && !mism++)
			first = i;
	}
	if (mism)
		return why(msg, "output %d: %zu of %zu elements differ, first at %zu", k, mism, n, first);
	return 0;
}

/* ---- the random training-Dropout cases -------------------------------- */

static const char *const stat_cases[] = {
	"test_training_dropout", "test_training_dropout_default",
	"test_training_dropout_default_mask", "test_training_dropout_mask", NULL
};

int conf_is_statistical(const char *suite, const char *name)
{
	if (strcmp(suite, "node") != 0)
		return 0;
	for (int i = 0; stat_cases[i]; i++)
		if (!strcmp(name, stat_cases[i]))
			return 1;
	return 0;
}

/* y = Dropout(x, ratio p, training true): every y is 0 or x/(1-p), the drop
 * fraction is within 5 sigma of p, and the mask (when an output) is true
 * exactly where x was kept. */
static int check_dropout_stats(const onnx_tensor *in, int n_in, const kiln_tensor *out,
			       const onnx_tensor *exp, int n_out, char *msg)
{
	for (int k = 0; k < n_out; k++)
		if (same_type_shape(&out[k], &exp[k], k, msg))
			return -1;
	if (n_in < 1 || in[0].dtype != IR_F32)
		return why(msg, "statistical check: expected a float32 input x");
	double p = n_in >= 2 && in[1].dtype == IR_F32 ? ((const float *)in[1].data)[0] : 0.5;
	const float *x = in[0].data, *y = out[0].data;
	const unsigned char *mask = n_out >= 2 ? out[1].data : NULL;
	size_t n = numel_of(in[0].rank, in[0].dims), dropped = 0, counted = 0;
	for (size_t i = 0; i < n; i++) {
		double want = x[i] / (1.0 - p);
		int kept = y[i] != 0.0f;
		if (kept && fabs(y[i] - want) > 1e-5 * fabs(want))
			return why(msg, "statistical check: element %zu is %g, neither 0 nor x/(1-p) = %g",
				   i, y[i], want);
		if (x[i] == 0.0f)
			continue;
		counted++;
		dropped += !kept;
		if (mask && !mask[i] != !kept)
			return why(msg, "statistical check: mask[%zu] = %d but output is %g", i, mask[i], y[i]);
	}
	double frac = counted ? (double)dropped / counted : p;
	double bound = counted ? 5.0 * sqrt(p * (1.0 - p) / counted) : 1.0;
	if (fabs(frac - p) > bound)
		return why(msg, "statistical check: drop fraction %.4f, p = %.4f (5-sigma bound %.4f)",
			   frac, p, bound);
	snprintf(msg, CONF_MSG_LEN, "checked statistically: drop fraction %.3f for p = %.2f%s", frac, p,
		 mask ? ", mask agrees" : "");
	return 0;
}

/* ---- running a case --------------------------------------------------- */

/* Reads PREFIX_0.pb, PREFIX_1.pb... from dir into t; returns the count or -1. */
static int read_tensors(const char *dir, const char *prefix, onnx_tensor *t, char *msg)
{
	char path[4096];
	int n = 0;
	for (;; n++) {
		snprintf(path, sizeof path, "%s/%s_%d.pb", dir, prefix, n);
		if (!exists(path))
			return n;
		if (n == MAX_IO)
			return why(msg, "more than %d %s files", MAX_IO, prefix);
		ir_status st = {0};
		if (onnx_tensor_read_pb(path, &t[n], &st))
			return why(msg, "reading %s_%d.pb: %s", prefix, n, st.msg);
	}
}

/* Maps the data set's tensors onto the model's inputs: by position when no
 * input was bound, else by name through the original graph's input names
 * (input_K.pb is the original K-th input). bfloat16 inputs stored as uint16
 * (numpy has no bfloat16) are passed as bfloat16. */
static int map_inputs(const kiln_model *m, const onnx_tensor *in, int n_in, char **names,
		      int bound, kiln_tensor *kin, int *n_kin, char *msg)
{
	int n = bound ? kiln_model_num_inputs(m) : n_in;
	for (int i = 0; i < n; i++) {
		kiln_tensor_info info;
		int k = i;
		memset(&info, 0, sizeof info);
		if (i < kiln_model_num_inputs(m))
			kiln_model_input(m, i, &info);
		if (bound) {
			for (k = 0; k < n_in && strcmp(names[k], info.name) != 0; k++)
				;
			if (k == n_in)
				return why(msg, "run: no input_K.pb for model input '%s'", info.name);
		}
		memset(&kin[i], 0, sizeof kin[i]);
		kin[i].dtype = in[k].dtype;
		if (info.dtype == IR_BF16 && in[k].dtype == IR_U16)
			kin[i].dtype = IR_BF16;
		kin[i].rank = in[k].rank;
		memcpy(kin[i].dims, in[k].dims, sizeof kin[i].dims);
		kin[i].data = in[k].data;
	}
	*n_kin = n;
	return 0;
}

static int run_data_set(kiln_session *s, const kiln_model *m, char **names, int bound,
			const char *dir, int statistical, char *msg)
{
	static onnx_tensor in[MAX_IO], exp[MAX_IO];
	kiln_tensor kin[MAX_IO], kout[MAX_IO];
	int n_out = kiln_model_num_outputs(m), n_kin = 0;
	int n_in = read_tensors(dir, "input", in, msg);
	int n_exp = n_in < 0 ? -1 : read_tensors(dir, "output", exp, msg);
	if (n_exp < 0)
		return -1;
	if (n_exp != n_out)
		return why(msg, "model has %d outputs, test data %d", n_out, n_exp);
	if (map_inputs(m, in, n_in, names, bound, kin, &n_kin, msg))
		return -1;
	memset(kout, 0, sizeof kout);
	kiln_status kst = {0};
	if (kiln_session_run(s, kin, (size_t)n_kin, kout, (size_t)n_out, &kst))
		return why(msg, "run: %s", kst.msg);
	if (statistical)
		return check_dropout_stats(in, n_in, kout, exp, n_out, msg);
	for (int k = 0; k < n_out; k++) {
		kiln_tensor got = kout[k];
		if (got.dtype == IR_BF16 && exp[k].dtype == IR_U16)
			got.dtype = IR_U16;  /* bfloat16 reference stored as uint16: bitwise */
		if (compare_output(&got, &exp[k], k, msg))
			return -1;
	}
	return 0;
}

/* ---- compiling, with shape-deciding inputs bound per data set ---------- */

typedef struct {
	const char *dir;          /* the data set folder */
	onnx_tensor t[MAX_IO];
} bind_ctx;

/* pass_bind_fn: the value of the original graph's input `index` from
 * DIR/input_INDEX.pb. */
static int bind_lookup(void *ud, int index, const char *name, ir_dtype *dt, int *rank,
		       int64_t *dims, const void **data)
{
	bind_ctx *c = ud;
	char path[4096];
	ir_status st = {0};
	(void)name;
	if (index >= MAX_IO)
		return -1;
	snprintf(path, sizeof path, "%s/input_%d.pb", c->dir, index);
	if (!exists(path) || onnx_tensor_read_pb(path, &c->t[index], &st))
		return -1;
	*dt = c->t[index].dtype;
	*rank = c->t[index].rank;
	memcpy(dims, c->t[index].dims, sizeof(int64_t) * (size_t)c->t[index].rank);
	*data = c->t[index].data;
	return 0;
}

/* Loads the model, binds shape-deciding inputs from set_dir, runs the
 * pipeline and JIT-compiles; names gets the original input names and
 * *bound the number of inputs bound. NULL with msg on failure. */
static kiln_session *build(const char *dir, const char *set_dir, int opt_level, char **names,
			   int *bound, kiln_model **mp, char *msg)
{
	char path[4096];
	ir_status st = {0};
	snprintf(path, sizeof path, "%s/model.onnx", dir);
	ir_graph *g = onnx_load_file(path, &st);
	if (!g)
		return why(msg, "load: %s", st.msg), NULL;
	for (int i = 0; i < g->ninputs && i < MAX_IO; i++)
		names[i] = strdup(g->inputs[i]->name);
	bind_ctx *bc = calloc(1, sizeof *bc);
	bc->dir = set_dir;
	*bound = pass_bind_inputs(g, bind_lookup, bc, &st);
	for (int i = 0; i < MAX_IO; i++)
		onnx_tensor_free(&bc->t[i]);
	free(bc);
	if (*bound < 0)
		return why(msg, "bind: %s", st.msg), NULL;
	pass_options po = {0};
	po.mode = PASS_MODE_AUTO;
	if (pass_run_pipeline(g, &po, &st))
		return why(msg, "passes: %s", st.msg), NULL;
	cg_options co = {0};
	co.opt_level = opt_level;
	kiln_model *m = cg_jit(g, &co, &st);
	if (!m)
		return why(msg, "codegen: %s", st.msg), NULL;
	kiln_status kst = {0};
	kiln_session *s = kiln_session_create(m, NULL, &kst);
	if (!s)
		return why(msg, "session: %s", kst.msg), NULL;
	*mp = m;
	return s;
}

/* Compiles the case's model and runs each data set; 0 when all pass. A
 * model whose shape-deciding inputs were bound is compiled per data set. */
int conf_run_case(const char *dir, const char *suite, const char *name, int opt_level, char *msg)
{
	char path[4096];
	static char *names[MAX_IO];
	kiln_session *s = NULL;
	kiln_model *m = NULL;
	int statistical = conf_is_statistical(suite, name), n_sets = 0, bound = 0;
	msg[0] = 0;
	for (;; n_sets++) {
		snprintf(path, sizeof path, "%s/test_data_set_%d", dir, n_sets);
		if (n_sets > 0 && !exists(path))
			break;
		if ((!s || bound) && !(s = build(dir, path, opt_level, names, &bound, &m, msg)))
			return -1;
		if (n_sets == 0 && !exists(path))
			return why(msg, "no test_data_set_0");
		if (run_data_set(s, m, names, bound, path, statistical, msg)) {
			char tmp[CONF_MSG_LEN];
			snprintf(tmp, sizeof tmp, "test_data_set_%d: %s", n_sets, msg);
			memcpy(msg, tmp, CONF_MSG_LEN);
			return -1;
		}
	}
	return 0;  /* the process exits next: nothing is freed */
}
