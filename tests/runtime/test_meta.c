/* test_meta.c — runtime_meta: the model description parser through the
 * public API (kiln_model_from_symbols + introspection): well-formed metas,
 * one test per kind of malformed record, and random mutations of a good
 * meta that must load or fail cleanly, never crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kiln.h"

static int64_t dummy_arena(const int64_t *syms) { return 0; }
static int32_t dummy_run(void *c, void *const *i, void *const *o, const int64_t *s, void *a) { return 0; }

static kiln_model *load(const char *meta, kiln_status *st)
{
	return kiln_model_from_symbols(meta, (void *)dummy_arena, (void *)dummy_run, NULL, NULL, st);
}

static void test_good(void **state)
{
	kiln_status st;
	kiln_tensor_info info;
	kiln_model *m = load("kiln 1\nmc 8\nsym batch\nsym T\n"
			     "input 1 3 1*$0 3 224 image\n"
			     "input 7 2 1*$1 1*$0 tok%20ids%25x\n"
			     "output 11 2 2*$0 10 logits\n"
			     "output 9 0 flag", &st);
	assert_non_null(m);
	assert_int_equal(st.code, 0);
	assert_int_equal(kiln_model_num_inputs(m), 2);
	assert_int_equal(kiln_model_num_outputs(m), 2);
	assert_int_equal(kiln_model_mc_samples(m), 8);
	assert_int_equal(kiln_model_input(m, 0, &info), 0);
	assert_string_equal(info.name, "image");
	assert_int_equal(info.dtype, KILN_FLOAT);
	assert_int_equal(info.rank, 3);
	assert_int_equal(info.dims[0], -1);
	assert_string_equal(info.dim_names[0], "batch");
	assert_int_equal(info.dims[2], 224);
	assert_null(info.dim_names[2]);
	assert_int_equal(kiln_model_input(m, 1, &info), 0);
	assert_string_equal(info.name, "tok ids%x");
	assert_string_equal(info.dim_names[0], "T");
	assert_int_equal(kiln_model_output(m, 0, &info), 0);
	assert_int_equal(info.dtype, KILN_DOUBLE);
	assert_string_equal(info.dim_names[0], "2*batch");
	assert_int_equal(kiln_model_output(m, 1, &info), 0);
	assert_int_equal(info.rank, 0);
	assert_int_equal(kiln_model_input(m, 2, &info), -1);
	assert_int_equal(kiln_model_output(m, -1, &info), -1);
	kiln_model_free(m);

	m = load("kiln 1\noutput 1 1 3 y\n", &st);
	assert_non_null(m);
	assert_int_equal(kiln_model_mc_samples(m), 0);
	assert_int_equal(kiln_model_num_inputs(m), 0);
	kiln_model_free(m);
}

static const struct {
	const char *meta;
	const char *needle;        /* expected in the message */
} bad_metas[] = {
	{"", "empty"},
	{"kiln", "not a kiln model"},
	{"onnx 1\noutput 1 1 3 y\n", "not a kiln model"},
	{"kiln 2\noutput 1 1 3 y\n", "version 2"},
	{"kiln 1\n", "no outputs"},
	{"kiln 1 \noutput 1 1 3 y\n", "line 1"},
	{"kiln 1\noutput 1 1 3 y\n\n", "empty line"},
	{"kiln 1\n\noutput 1 1 3 y\n", "empty line"},
	{"kiln 1\noutput 1  1 3 y\n", "line 2"},
	{"kiln 1\noutput 1 1 3 y \n", "unescaped"},
	{"kiln 1\noutput 1 1 3 \n", "empty name"},
	{"kiln 1\noutput 1 1 3\n", "single space"},
	{"kiln 1\noutput 99 1 3 y\n", "dtype"},
	{"kiln 1\noutput 8 1 3 y\n", "dtype"},
	{"kiln 1\noutput 1 9 1 1 1 1 1 1 1 1 1 y\n", "rank"},
	{"kiln 1\noutput 1 2 3 y\n", "decimal"},
	{"kiln 1\noutput 1 1 -3 y\n", "decimal"},
	{"kiln 1\noutput 1 1 99999999999999999999 y\n", "too large"},
	{"kiln 1\nsym N\ninput 1 1 1*$0 x\noutput 1 1 1*$1 y\n", "undeclared"},
	{"kiln 1\nsym N\ninput 1 1 0*$0 x\noutput 1 1 3 y\n", "factor 0"},
	{"kiln 1\nsym N\ninput 1 1 1*0 x\noutput 1 1 3 y\n", "$K"},
	{"kiln 1\nsym N\noutput 1 1 1*$0 y\n", "not a dim of any input"},
	{"kiln 1\nsym N\nsym N\ninput 1 2 1*$0 1*$1 x\noutput 1 1 3 y\n", "duplicate symbol"},
	{"kiln 1\ninput 1 0 x\ninput 1 0 x\noutput 1 1 3 y\n", "duplicate name"},
	{"kiln 1\noutput 1 1 3 a%zzb\n", "escape"},
	{"kiln 1\noutput 1 1 3 a%2\n", "escape"},
	{"kiln 1\noutput 1 1 3 a%00b\n", "escape"},
	{"kiln 1\noutput 1 1 3 a\tb\n", "unescaped"},
	{"kiln 1\noutput 1 1 3 \xc3\xa9\n", "unescaped"},
	{"kiln 1\nmc 0\noutput 1 1 3 y\n", "mc"},
	{"kiln 1\nmc 2\nmc 2\noutput 1 1 3 y\n", "duplicate mc"},
	{"kiln 1\nmc 2x\noutput 1 1 3 y\n", "end of line"},
	{"kiln 1\nseed 1\nseed 2\noutput 1 1 3 y\n", "duplicate seed"},
	{"kiln 1\nseed 18446744073709551616\noutput 1 1 3 y\n", "too large"},
	{"kiln 1\nseed -1\noutput 1 1 3 y\n", "decimal number"},
	{"kiln 1\nfoo 1\noutput 1 1 3 y\n", "unknown record"},
	{"kiln 1\nsym\noutput 1 1 3 y\n", "unknown record"},
	{"kiln 1\r\noutput 1 1 3 y\r\n", "line 1"},
	{"kiln 1\noutput 1 1 3 y\r\n", "unescaped"},
};

static void test_malformed(void **state)
{
	for (size_t i = 0; i < sizeof(bad_metas) / sizeof(bad_metas[0]); i++) {
		kiln_status st = {0};
		kiln_model *m = load(bad_metas[i].meta, &st);
		if (m || !strstr(st.msg, bad_metas[i].needle))
			fail_msg("meta #%zu: model=%p msg='%s' (wanted '%s')", i, (void *)m, st.msg,
				 bad_metas[i].needle);
		assert_int_not_equal(st.code, 0);
		assert_null(strchr(st.msg, '\n'));
	}
	/* NULL meta, NULL function pointers, NULL status. */
	kiln_status st;
	assert_null(load(NULL, &st));
	assert_null(kiln_model_from_symbols("kiln 1\noutput 1 1 3 y\n", NULL, (void *)dummy_run,
					    NULL, NULL, &st));
	assert_null(load("garbage", NULL));
}

static int released;
static void release_fn(void *owner) { released += *(int *)owner; }

static void test_release(void **state)
{
	int token = 5;
	kiln_status st;
	kiln_model *m = kiln_model_from_symbols("kiln 1\noutput 1 1 3 y\n", (void *)dummy_arena,
						(void *)dummy_run, &token, release_fn, &st);
	assert_non_null(m);
	assert_int_equal(released, 0);
	kiln_model_free(m);
	assert_int_equal(released, 5);
	/* On failure the owner stays with the caller. */
	m = kiln_model_from_symbols("bad", (void *)dummy_arena, (void *)dummy_run, &token, release_fn, &st);
	assert_null(m);
	assert_int_equal(released, 5);
	kiln_model_free(NULL);
}

/* Checks the invariants of a model that loaded from a mutated meta. */
static void check_loaded(kiln_model *m)
{
	kiln_tensor_info info;
	for (int i = 0; i < kiln_model_num_inputs(m) + kiln_model_num_outputs(m); i++) {
		int in = i < kiln_model_num_inputs(m);
		int r = in ? kiln_model_input(m, i, &info)
			   : kiln_model_output(m, i - kiln_model_num_inputs(m), &info);
		assert_int_equal(r, 0);
		assert_non_null(info.name);
		assert_true(info.rank >= 0 && info.rank <= KILN_MAX_RANK);
		assert_true(kiln_dtype_size(info.dtype) > 0);
		for (int j = 0; j < info.rank; j++)
			assert_true(info.dims[j] >= 0 || info.dim_names[j] != NULL);
	}
}

static void test_hostile(void **state)
{
	static const char good[] = "kiln 1\nmc 3\nsym N\nsym S\ninput 1 3 1*$0 3 2*$1 x%20y\n"
				   "input 7 1 1*$1 ids\noutput 1 2 1*$0 10 out\noutput 9 0 flag\n";
	static const char pool[] = "0123456789 \n*$%-kilnmcsymoutput\t\x01\xff";
	char buf[256];
	int loaded = 0;
	srand(1234);
	for (int it = 0; it < 30000; it++) {
		size_t len = strlen(good);
		memcpy(buf, good, len + 1);
		for (int k = 0, nm = 1 + rand() % 3; k < nm; k++) {
			if (len == 0)
				break;
			size_t pos = (size_t)rand() % len;
			switch (rand() % 4) {
			case 0: buf[pos] = pool[rand() % (sizeof(pool) - 1)]; break;
			case 1: memmove(buf + pos, buf + pos + 1, len - pos); len--; break;
			case 2:
				if (len + 2 < sizeof(buf)) {
					memmove(buf + pos + 1, buf + pos, len - pos + 1);
					buf[pos] = pool[rand() % (sizeof(pool) - 1)];
					len++;
				}
				break;
			default: buf[pos] = 0; len = pos; break;
			}
		}
		kiln_status st = {0};
		kiln_model *m = load(buf, &st);
		if (m) {
			loaded++;
			check_loaded(m);
			kiln_model_free(m);
		} else {
			assert_int_not_equal(st.code, 0);
			assert_true(st.msg[0] != 0);
		}
	}
	/* Every truncation of the good meta, too. */
	for (size_t n = 0; n < sizeof(good); n++) {
		memcpy(buf, good, n);
		buf[n] = 0;
		kiln_status st;
		kiln_model *m = load(buf, &st);
		kiln_model_free(m);
	}
	assert_true(loaded > 0);   /* some mutations are harmless (names) */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
