/* test_load.c — runtime_load: kiln_model_load on the toy model built as a
 * shared library, and its clear errors for a missing file, a directory, a
 * file that is not a shared library, a library that is not a kiln model and
 * a model built for another ABI version. Paths come from the test CMake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "kiln.h"

static void expect_load_error(const char *path, const char *needle)
{
	kiln_status st = {0};
	kiln_model *m = kiln_model_load(path, &st);
	if (m)
		fail_msg("loading '%s' succeeded", path);
	if (!strstr(st.msg, needle))
		fail_msg("loading '%s': message '%s' lacks '%s'", path, st.msg, needle);
	assert_null(strchr(st.msg, '\n'));
}

static void test_load_toy(void **state)
{
	kiln_status st;
	kiln_tensor_info info;
	kiln_model *m = kiln_model_load(TOY_SO, &st);
	if (!m)
		fail_msg("%s", st.msg);
	assert_int_equal(kiln_model_num_inputs(m), 3);
	assert_int_equal(kiln_model_num_outputs(m), 2);
	assert_int_equal(kiln_model_input(m, 2, &info), 0);
	assert_string_equal(info.name, "idx");
	assert_int_equal(info.dtype, KILN_INT64);

	float a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8] = {0.5f, 0, 0, 0, 0, 0, 0, 0.5f};
	int64_t idx[2] = {3, 0};
	kiln_tensor in[3] = {
		{"a", KILN_FLOAT, 2, {2, 4}, a},
		{"b", KILN_FLOAT, 2, {2, 4}, b},
		{"idx", KILN_INT64, 1, {2}, idx},
	}, out[2];
	kiln_session *s = kiln_session_create(m, NULL, &st);
	assert_int_equal(kiln_session_run(s, in, 3, out, 2, &st), 0);
	const float *y = out[0].data, *g = out[1].data;
	for (int i = 0; i < 8; i++)
		assert_float_equal(y[i], a[i] + b[i] + 1, 0);
	assert_float_equal(g[0], 4, 0);
	assert_float_equal(g[2], 5, 0);
	kiln_session_free(s);
	kiln_model_free(m);
}

static void test_load_relative(void **state)
{
	/* A bare file name is a file in the current folder, not a library search. */
	char cwd[4096], dir[4096];
	const char *slash = strrchr(TOY_SO, '/');
	kiln_status st;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - TOY_SO), TOY_SO);
	assert_int_equal(chdir(dir), 0);
	kiln_model *m = kiln_model_load(slash + 1, &st);
	assert_int_equal(chdir(cwd), 0);
	if (!m)
		fail_msg("%s", st.msg);
	kiln_model_free(m);
}

static void test_load_errors(void **state)
{
	char path[] = "/tmp/kiln_rt_test_XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "hello\n", 6), 6);
	close(fd);
	expect_load_error("/nonexistent/model.so", "cannot open model '/nonexistent/model.so': No such file");
	expect_load_error("/tmp", "not a regular file");
	expect_load_error(path, "is not a loadable shared library");
	expect_load_error(NOT_A_MODEL_SO, "is not a kiln model");
	expect_load_error(TOY_V2_SO, "ABI version mismatch: model has version 2, this runtime supports 1");
	expect_load_error(NULL, "NULL");
	unlink(path);
	assert_null(kiln_model_load("/nonexistent", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_toy),
		cmocka_unit_test(test_load_relative),
		cmocka_unit_test(test_load_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
