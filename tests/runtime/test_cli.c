/* test_cli.c — runtime_cli: the `kiln` command's contract (DESIGN.md
 * "Command line") exercised as a subprocess: help and version, exit status 2
 * for usage errors and 1 for model/input errors with one "kiln: " line on
 * stderr, run on the toy .so with positional and named .npy inputs, output
 * files checked against a recomputation, bench's JSON line, and run on an
 * ONNX backend test model (JIT) when the test data is installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "tools.h"

static char dir[] = "/tmp/kiln_cli_XXXXXX";
static char out_text[65536], err_text[65536];

static void slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(buf, 1, cap - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
}

/* When set, the file (in dir) kiln's standard input is read from. */
static const char *stdin_file;

/* Runs kiln with NULL-terminated args; returns the exit status and fills
 * out_text/err_text. */
static int kiln(const char *first, ...)
{
	const char *argv[32] = {KILN_EXE};
	char op[300], ep[300];
	va_list ap;
	int n = 1, status;
	va_start(ap, first);
	for (const char *a = first; a && n < 31; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	snprintf(op, sizeof(op), "%s/stdout", dir);
	snprintf(ep, sizeof(ep), "%s/stderr", dir);
	pid_t pid = fork();
	if (pid == 0) {
		int fo = open(op, O_WRONLY | O_CREAT | O_TRUNC, 0644), fe = open(ep, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (chdir(dir) != 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
			_exit(127);
		int fi = stdin_file ? open(stdin_file, O_RDONLY) : -1;
		if (stdin_file && (fi < 0 || dup2(fi, 0) < 0))
			_exit(127);
		execv(KILN_EXE, (char *const *)argv);
		_exit(127);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	slurp(op, out_text, sizeof(out_text));
	slurp(ep, err_text, sizeof(err_text));
	if (!WIFEXITED(status))
		fail_msg("kiln crashed (status %d); stderr: %s", status, err_text);
	return WEXITSTATUS(status);
}

/* stderr must be exactly one line starting "kiln: " containing needle. */
static void expect_error(int rc, int want_rc, const char *needle)
{
	size_t n = strlen(err_text);
	if (rc != want_rc || strncmp(err_text, "kiln: ", 6) != 0 || n == 0 || err_text[n - 1] != '\n' ||
	    strchr(err_text, '\n') != err_text + n - 1 || !strstr(err_text, needle))
		fail_msg("rc %d (wanted %d), stderr '%s' (wanted one line with '%s')", rc, want_rc, err_text, needle);
}

static void write_npy(const char *name, int dtype, int rank, const int64_t *dims, const void *data)
{
	char path[300];
	kiln_status st;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(npy_write_file(path, dtype, rank, dims, data, &st), 0);
}

static float a[12], b[12];
static int64_t idx[3] = {2, 0, 3};

static void write_inputs(void)
{
	int64_t d2[2] = {3, 4}, d1[1] = {3};
	int32_t idx32[3] = {0, 0, 0};
	for (int i = 0; i < 12; i++)
		a[i] = (float)i * 0.5f - 2.0f, b[i] = (float)(i % 3);
	write_npy("a.npy", KILN_FLOAT, 2, d2, a);
	write_npy("b.npy", KILN_FLOAT, 2, d2, b);
	write_npy("idx.npy", KILN_INT64, 1, d1, idx);
	write_npy("idx32.npy", KILN_INT32, 1, d1, idx32);
	FILE *f = fopen("trunc.npy", "wb");   /* cwd is dir (see setup) */
	fwrite("\x93NUMPY\x01\x00\x40\x00{'descr'", 1, 19, f);
	fclose(f);
}

static void check_outputs(const char *sub)
{
	char path[300];
	kiln_status st;
	npy_array y, g;
	snprintf(path, sizeof(path), "%s/%s/output_0.npy", dir, sub);
	assert_int_equal(npy_read_file(path, &y, &st), 0);
	snprintf(path, sizeof(path), "%s/%s/output_1.npy", dir, sub);
	assert_int_equal(npy_read_file(path, &g, &st), 0);
	assert_int_equal(y.rank, 2);
	assert_int_equal(y.dims[0], 3);
	assert_int_equal(g.dims[0], 6);
	for (int i = 0; i < 12; i++)
		assert_float_equal(((float *)y.data)[i], a[i] + b[i] + 1, 0);
	for (int i = 0; i < 3; i++)
		assert_float_equal(((float *)g.data)[2 * i], a[i * 4 + idx[i]], 0);
	npy_free(&y);
	npy_free(&g);
}

static void test_help(void **state)
{
	assert_int_equal(kiln("--version", NULL), 0);
	assert_non_null(strstr(out_text, "kiln "));
	assert_int_equal(kiln("--help", NULL), 0);
	assert_non_null(strstr(out_text, "bench"));
	assert_int_equal(kiln("help", "compile", NULL), 0);
	assert_non_null(strstr(out_text, "--emit=so|obj|llvm|asm"));
	assert_int_equal(kiln("run", "--help", NULL), 0);
	assert_non_null(strstr(out_text, "-i NAME=FILE"));
	expect_error(kiln("help", "frob", NULL), 2, "unknown command 'frob'");
	assert_int_equal(kiln(NULL), 2);
}

static void test_usage_errors(void **state)
{
	expect_error(kiln("frob", NULL), 2, "unknown command");
	expect_error(kiln("run", NULL), 2, "missing MODEL");
	expect_error(kiln("run", TOY_SO, "--bogus", NULL), 2, "unknown option '--bogus'");
	expect_error(kiln("run", TOY_SO, "--threads=0", NULL), 2, "--threads=0");
	expect_error(kiln("run", TOY_SO, "--seed=-1", NULL), 2, "--seed=-1");
	expect_error(kiln("compile", "m.onnx", NULL), 2, "missing -o");
	expect_error(kiln("compile", "m.onnx", "-o", "x.so", "--emit=exe", NULL), 2, "--emit=exe");
	expect_error(kiln("compile", "m.onnx", "-o", "x.so", "--mc-dropout=1", NULL), 2,
		     "'--mc-dropout=1' (expected a sample count from 2 to 100000)");
	expect_error(kiln("compile", "m.onnx", "-o", "x.so", "--mc-keep-samples", NULL), 2,
		     "--mc-keep-samples needs --mc-dropout=T");
	expect_error(kiln("bench", TOY_SO, "-i", "a.npy", NULL), 2, "unknown option '-i'");
	expect_error(kiln("run", TOY_SO, "extra", NULL), 2, "unexpected argument 'extra'");
	expect_error(kiln("run", TOY_SO, "-O2", NULL), 2, "only to .onnx models");
}

static void test_run_toy(void **state)
{
	write_inputs();
	assert_int_equal(kiln("run", TOY_SO, "-i", "a.npy", "-i", "b.npy", "-i", "idx.npy", "-o", "o1/x", NULL), 0);
	assert_non_null(strstr(out_text, "output 0 'y': float32 [3,4]"));
	assert_non_null(strstr(out_text, "output 1 'g': float32 [6]"));
	check_outputs("o1/x");
	assert_int_equal(kiln("run", TOY_SO, "-i", "idx=idx.npy", "-i", "b=b.npy", "-i", "a.npy",
			      "-o", "o2", "--threads=3", "--seed=9", NULL), 0);
	check_outputs("o2");
	expect_error(kiln("run", TOY_SO, "-i", "a.npy", "-i", "b.npy", NULL), 2, "missing input 'idx'");
	expect_error(kiln("run", TOY_SO, "-i", "a.npy", "-i", "b.npy", "-i", "idx32.npy", NULL), 1,
		     "input 'idx': expected dtype int64, got int32");
	expect_error(kiln("run", TOY_SO, "-i", "a.npy", "-i", "idx.npy", "-i", "idx.npy", NULL), 1,
		     "input 'b': expected dtype float32, got int64");
	expect_error(kiln("run", TOY_SO, "-i", "a.npy", "-i", "b.npy", "-i", "trunc.npy", NULL), 1, "trunc.npy");
	expect_error(kiln("run", TOY_SO, "-i", "a.npy", "-i", "b.npy", "-i", "nothere.npy", NULL), 1, "nothere.npy");
	expect_error(kiln("run", TOY_SO, "-i", "q=a.npy", NULL), 2, "no input named 'q'");
	expect_error(kiln("run", TOY_V2_SO, NULL), 1, "ABI version mismatch");
	expect_error(kiln("run", "missing.so", NULL), 1, "missing.so");
}

static void test_bench(void **state)
{
	assert_int_equal(kiln("bench", TOY_SO, "--runs=3", "--batch=5", "--threads=2", NULL), 0);
	assert_true(out_text[0] == '{');
	assert_non_null(strstr(out_text, "\"threads\":2"));
	assert_non_null(strstr(out_text, "\"batch\":5"));
	assert_non_null(strstr(out_text, "\"runs\":3"));
	assert_non_null(strstr(out_text, "\"median_ms\":"));
	assert_non_null(strstr(out_text, "\"min_ms\":"));
	assert_non_null(strstr(out_text, "\"load_ms\":"));
	assert_non_null(strchr(out_text, '\n'));
	assert_true(strchr(out_text, '\n')[1] == 0);   /* one line */
}

/* --rounds: a JSON line per line read from standard input, rounds counted
 * from 0; an error when the input ends first. */
static void test_bench_rounds(void **state)
{
	char path[300];
	snprintf(path, sizeof(path), "%s/go3", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("go\ngo\ngo\n", f);
	fclose(f);
	stdin_file = "go3";
	int rc = kiln("bench", TOY_SO, "--runs=2", "--rounds=3", NULL);
	stdin_file = NULL;
	assert_int_equal(rc, 0);
	const char *p = out_text;
	for (int k = 0; k < 3; k++) {
		char want[32];
		snprintf(want, sizeof(want), "\"round\":%d,", k);
		const char *e = strchr(p, '\n');
		assert_non_null(e);
		assert_true(p[0] == '{' && strstr(p, want) && strstr(p, want) < e);
		assert_true(strstr(p, "\"median_ms\":") < e);
		p = e + 1;
	}
	assert_true(*p == 0);     /* three lines */
	stdin_file = "go3";
	rc = kiln("bench", TOY_SO, "--runs=2", "--rounds=4", NULL);
	stdin_file = NULL;
	expect_error(rc, 1, "standard input ended before round 4");
	expect_error(kiln("bench", TOY_SO, "--rounds=0", NULL), 2, "--rounds");
}

static void test_run_onnx(void **state)
{
	const char *d = "/usr/share/libonnx-testdata/data/node/test_add";
	char model[300], i0[300], i1[300], path[300];
	kiln_status st;
	npy_array y;
	snprintf(model, sizeof(model), "%s/model.onnx", d);
	if (access(model, R_OK) != 0)
		skip();
	snprintf(i0, sizeof(i0), "%s/test_data_set_0/input_0.pb", d);
	snprintf(i1, sizeof(i1), "%s/test_data_set_0/input_1.pb", d);
	if (kiln("run", model, "-i", i0, "-i", i1, "-o", "onnx_out", NULL) != 0)
		fail_msg("kiln run test_add: %s", err_text);
	snprintf(path, sizeof(path), "%s/onnx_out/output_0.npy", dir);
	assert_int_equal(npy_read_file(path, &y, &st), 0);
	assert_int_equal(y.rank, 3);
	assert_int_equal(y.dims[0] * y.dims[1] * y.dims[2], 60);
	npy_free(&y);
	expect_error(kiln("run", model, "-i", i0, NULL), 2, "missing input 'y'");
	expect_error(kiln("inspect", "nothere.onnx", NULL), 1, "nothere.onnx");
}

static int setup(void **state)
{
	if (!mkdtemp(dir) || chdir(dir) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_run_toy),
		cmocka_unit_test(test_bench),
		cmocka_unit_test(test_bench_rounds),
		cmocka_unit_test(test_run_onnx),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
