/* test_testdata.c — the frontend over the ONNX backend test data shipped by
 * libonnx-testdata: every model loads or fails with a message (no crash),
 * and each case's input_0.pb, read with onnx_tensor_read_pb, agrees with
 * the type of the loaded graph's first input. Skipped when not installed. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "frontend.h"

#define DATA "/usr/share/libonnx-testdata/data"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted case folder names under DATA/suite; NULL-terminated, malloc'd. */
static char **list_cases(const char *suite, int *n)
{
	char path[512];
	snprintf(path, sizeof path, DATA "/%s", suite);
	DIR *d = opendir(path);
	*n = 0;
	if (!d)
		return NULL;
	char **v = NULL;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		v = realloc(v, (size_t)(*n + 2) * sizeof *v);
		v[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (v) {
		qsort(v, (size_t)*n, sizeof *v, cmp_str);
		v[*n] = NULL;
	}
	return v;
}

/* input_0.pb must match the graph's first input in dtype and static dims. */
static int check_input0(const char *dir, const ir_graph *g)
{
	char path[600];
	struct stat sb;
	snprintf(path, sizeof path, "%s/test_data_set_0/input_0.pb", dir);
	if (stat(path, &sb) != 0 || g->ninputs == 0)
		return 0;
	onnx_tensor t;
	ir_status st = {0};
	if (onnx_tensor_read_pb(path, &t, &st) != 0) {
		assert_true(st.msg[0] != 0);
		assert_null(t.data);
		return 0;
	}
	const ir_value *v = g->inputs[0];
	size_t numel = 1;
	for (int i = 0; i < t.rank; i++)
		numel *= (size_t)t.dims[i];
	assert_int_equal(t.nbytes, numel * ir_dtype_size(t.dtype));
	/* the ONNX test data stores bfloat16 inputs as uint16 (numpy has none) */
	int bf16 = v->dtype == IR_BF16 && t.dtype == IR_U16;
	if (v->dtype != t.dtype && !bf16)
		fail_msg("%s: input dtype %d, tensor %d", dir, v->dtype, t.dtype);
	if (v->has_shape) {
		assert_int_equal(v->shape.rank, t.rank);
		for (int i = 0; i < t.rank; i++)
			if (ir_dim_is_const(v->shape.d[i]))
				assert_int_equal(v->shape.d[i].c, t.dims[i]);
	}
	onnx_tensor_free(&t);
	return 1;
}

static void run_suite(const char *suite, int min_pct)
{
	int n, loaded = 0, checked = 0;
	char **cases = list_cases(suite, &n);
	if (!cases) {
		skip();
		return;
	}
	for (int i = 0; i < n; i++) {
		char dir[512], path[600];
		snprintf(dir, sizeof dir, DATA "/%s/%s", suite, cases[i]);
		snprintf(path, sizeof path, "%s/model.onnx", dir);
		ir_status st = {0};
		ir_graph *g = onnx_load_file(path, &st);
		if (!g) {
			if (!st.msg[0])
				fail_msg("%s failed without a message", path);
		} else {
			loaded++;
			checked += check_input0(dir, g);
			ir_graph_free(g);
		}
		free(cases[i]);
	}
	free(cases);
	printf("%s: %d of %d models loaded, %d input_0.pb checked\n", suite, loaded, n, checked);
	assert_true(loaded * 100 >= n * min_pct);
}

static void test_node(void **state) { run_suite("node", 90); }
static void test_pytorch_converted(void **state) { run_suite("pytorch-converted", 90); }
static void test_pytorch_operator(void **state) { run_suite("pytorch-operator", 90); }
static void test_simple(void **state) { run_suite("simple", 50); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_node),
		cmocka_unit_test(test_pytorch_converted),
		cmocka_unit_test(test_pytorch_operator),
		cmocka_unit_test(test_simple),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
