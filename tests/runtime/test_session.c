/* test_session.c — runtime_session: sessions over the hand-written toy
 * model (toy_model.c, y = a + b + 1): results, input checks for every kind
 * of mismatch with the session still usable afterwards, symbolic dim
 * binding across inputs, buffer growth, run-code errors and seeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kiln.h"
#include "kiln_abi.h"

extern const char toy_meta[];
extern uint64_t toy_last_seed;
int64_t toy_arena_size(const int64_t *syms);
int32_t toy_run(kiln_rt_ctx *ctx, void *const *inputs, void *const *outputs,
		const int64_t *syms, void *arena);

/* Inputs for a batch of n rows with values derived from n. */
typedef struct {
	int64_t n;
	float *a, *b;
	int64_t *idx;
	kiln_tensor t[3];
} batch;

static void batch_make(batch *bt, int64_t n)
{
	memset(bt, 0, sizeof(*bt));
	bt->n = n;
	bt->a = malloc(sizeof(float) * (size_t)(n * 4 + 1));
	bt->b = malloc(sizeof(float) * (size_t)(n * 4 + 1));
	bt->idx = malloc(sizeof(int64_t) * (size_t)(n + 1));
	for (int64_t i = 0; i < n * 4; i++) {
		bt->a[i] = (float)(i * 3 % 17) - 4.5f;
		bt->b[i] = (float)(i % 5) * 0.25f;
	}
	for (int64_t i = 0; i < n; i++)
		bt->idx[i] = (i * 7) % 4;
	kiln_tensor a = {"a", KILN_FLOAT, 2, {n, 4}, bt->a};
	kiln_tensor b = {NULL, KILN_FLOAT, 2, {n, 4}, bt->b};
	kiln_tensor x = {"idx", KILN_INT64, 1, {n}, bt->idx};
	bt->t[0] = a;
	bt->t[1] = b;
	bt->t[2] = x;
}

static void batch_free(batch *bt)
{
	free(bt->a);
	free(bt->b);
	free(bt->idx);
}

/* Runs and checks every output element against a recomputation. */
static void run_and_check(kiln_session *s, batch *bt, int threads)
{
	kiln_tensor out[2];
	kiln_status st;
	int r = kiln_session_run(s, bt->t, 3, out, 2, &st);
	if (r)
		fail_msg("run failed: %s", st.msg);
	assert_int_equal(out[0].rank, 2);
	assert_int_equal(out[0].dims[0], bt->n);
	assert_int_equal(out[0].dims[1], 4);
	assert_int_equal(out[1].rank, 1);
	assert_int_equal(out[1].dims[0], 2 * bt->n);
	assert_string_equal(out[1].name, "g");
	assert_int_equal(out[1].dtype, KILN_FLOAT);
	assert_non_null(out[0].data);
	assert_int_equal((uintptr_t)out[0].data % 64, 0);
	const float *y = out[0].data, *g = out[1].data;
	for (int64_t i = 0; i < bt->n * 4; i++)
		assert_float_equal(y[i], bt->a[i] + bt->b[i] + 1.0f, 0);
	for (int64_t i = 0; i < bt->n; i++) {
		assert_float_equal(g[2 * i], bt->a[i * 4 + bt->idx[i]], 0);
		assert_float_equal(g[2 * i + 1], (float)threads, 0);
	}
}

static kiln_model *toy_model(void)
{
	kiln_status st;
	kiln_model *m = kiln_model_from_symbols(toy_meta, (void *)toy_arena_size, (void *)toy_run,
						NULL, NULL, &st);
	if (!m)
		fail_msg("toy model: %s", st.msg);
	return m;
}

static void test_run_ok(void **state)
{
	kiln_model *m = toy_model();
	kiln_status st;
	kiln_session *s = kiln_session_create(m, NULL, &st);
	batch bt;
	assert_non_null(s);
	/* Grow, shrink, grow again: buffers are reused and regrown. */
	int64_t sizes[] = {3, 1, 50, 2, 0, 200};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		batch_make(&bt, sizes[k]);
		run_and_check(s, &bt, 1);
		batch_free(&bt);
	}
	kiln_session_free(s);
	kiln_model_free(m);
}

/* Expects a failed run whose message contains needle, then a good run. */
static void expect_fail(kiln_session *s, const kiln_tensor *in, size_t n_in, size_t n_out,
			const char *needle)
{
	kiln_tensor out[4];
	kiln_status st = {0};
	batch good;
	if (kiln_session_run(s, in, n_in, out, n_out, &st) == 0)
		fail_msg("run succeeded, wanted an error containing '%s'", needle);
	if (!strstr(st.msg, needle))
		fail_msg("message '%s' lacks '%s'", st.msg, needle);
	assert_null(strchr(st.msg, '\n'));
	batch_make(&good, 5);
	run_and_check(s, &good, 1);
	batch_free(&good);
}

static void test_input_checks(void **state)
{
	kiln_model *m = toy_model();
	kiln_session *s = kiln_session_create(m, NULL, NULL);
	batch bt;
	kiln_tensor t[3];
	int64_t i64[12] = {0};
	batch_make(&bt, 3);

	expect_fail(s, bt.t, 2, 2, "expected 3 inputs, got 2");
	expect_fail(s, bt.t, 3, 1, "expected 2 outputs, got 1");
	expect_fail(s, NULL, 3, 2, "NULL");
	memcpy(t, bt.t, sizeof(t));
	t[1].dtype = KILN_INT64, t[1].data = i64;
	expect_fail(s, t, 3, 2, "input 'b': expected dtype float32, got int64");
	memcpy(t, bt.t, sizeof(t));
	t[0].rank = 1;
	expect_fail(s, t, 3, 2, "input 'a': expected shape [N,4], got [3]");
	memcpy(t, bt.t, sizeof(t));
	t[0].rank = 100;
	expect_fail(s, t, 3, 2, "input 'a': expected rank 2, got rank 100");
	memcpy(t, bt.t, sizeof(t));
	t[0].rank = -1;
	expect_fail(s, t, 3, 2, "expected rank 2, got rank -1");
	memcpy(t, bt.t, sizeof(t));
	t[1].dims[1] = 5;
	expect_fail(s, t, 3, 2, "input 'b': expected shape [N,4], got [3,5]");
	memcpy(t, bt.t, sizeof(t));
	t[0].dims[0] = -3;
	expect_fail(s, t, 3, 2, "input 'a': negative dimension in shape [-3,4]");
	memcpy(t, bt.t, sizeof(t));
	t[2].data = NULL;
	expect_fail(s, t, 3, 2, "input 'idx': data is NULL");
	memcpy(t, bt.t, sizeof(t));
	t[1].name = "c";
	expect_fail(s, t, 3, 2, "input 1: expected 'b', got a tensor named 'c'");
	memcpy(t, bt.t, sizeof(t));
	t[0].dims[0] = INT64_MAX / 2;
	t[1].dims[0] = INT64_MAX / 2;
	t[2].dims[0] = INT64_MAX / 2;
	expect_fail(s, t, 3, 2, "too large");
	batch_free(&bt);
	kiln_session_free(s);
	kiln_model_free(m);
}

static void test_symbol_binding(void **state)
{
	kiln_model *m = toy_model();
	kiln_session *s = kiln_session_create(m, NULL, NULL);
	batch bt;
	kiln_tensor t[3];
	batch_make(&bt, 4);
	memcpy(t, bt.t, sizeof(t));
	t[1].dims[0] = 2;   /* b disagrees with a on N */
	expect_fail(s, t, 3, 2, "input 'b': expected shape [N,4], got [2,4] (N = 4 from input 'a')");
	memcpy(t, bt.t, sizeof(t));
	t[2].dims[0] = 3;   /* idx disagrees */
	expect_fail(s, t, 3, 2, "input 'idx': expected shape [N], got [3] (N = 4 from input 'a')");
	/* A second run binds N afresh. */
	run_and_check(s, &bt, 1);
	batch_free(&bt);
	kiln_session_free(s);
	kiln_model_free(m);
}

static void test_multiple_symbol(void **state)
{
	/* Input dim 2*$0 binds N to half its size and must be even. */
	static const char meta[] = "kiln 1\nsym N\ninput 1 2 1*$0 4 a\ninput 1 2 1*$0 4 b\n"
				   "input 7 1 2*$0 idx\noutput 1 2 1*$0 4 y\noutput 1 1 2*$0 g\n";
	kiln_status st;
	kiln_model *m = kiln_model_from_symbols(meta, (void *)toy_arena_size, (void *)toy_run, NULL, NULL, &st);
	kiln_session *s = kiln_session_create(m, NULL, NULL);
	batch bt;
	kiln_tensor t[3], out[2];
	batch_make(&bt, 3);
	memcpy(t, bt.t, sizeof(t));
	t[2].dims[0] = 5;
	assert_int_not_equal(kiln_session_run(s, t, 3, out, 2, &st), 0);
	assert_non_null(strstr(st.msg, "input 'idx': expected shape [2*N], got [5]"));
	t[2].dims[0] = 6;
	assert_int_equal(kiln_session_run(s, t, 3, out, 2, &st), 0);
	assert_int_equal(out[1].dims[0], 6);
	batch_free(&bt);
	kiln_session_free(s);
	kiln_model_free(m);
}

static void test_run_error(void **state)
{
	kiln_model *m = toy_model();
	kiln_session *s = kiln_session_create(m, NULL, NULL);
	batch bt;
	batch_make(&bt, 6);
	bt.idx[4] = 9;
	expect_fail(s, bt.t, 3, 2, "run failed: index out of range");
	bt.idx[4] = -1;
	expect_fail(s, bt.t, 3, 2, "run failed: index out of range");
	batch_free(&bt);
	kiln_session_free(s);
	kiln_model_free(m);
}

static void test_seed_and_options(void **state)
{
	kiln_model *m = toy_model();
	kiln_status st;
	kiln_options o = {0};
	kiln_session *s1 = kiln_session_create(m, NULL, NULL), *s2;
	batch bt;
	batch_make(&bt, 2);
	toy_last_seed = 77;
	run_and_check(s1, &bt, 1);
	uint64_t dflt = toy_last_seed;
	assert_int_not_equal(dflt, 77);
	kiln_session_set_seed(s1, 123456789012345ULL);
	run_and_check(s1, &bt, 1);
	assert_true(toy_last_seed == 123456789012345ULL);
	/* a per-run seed is used for that run only */
	kiln_tensor outs[2];
	assert_int_equal(kiln_session_run_seed(s1, 555, bt.t, 3, outs, 2, &st), 0);
	assert_true(toy_last_seed == 555);
	run_and_check(s1, &bt, 1);
	assert_true(toy_last_seed == 123456789012345ULL);
	assert_int_not_equal(kiln_session_run_seed(NULL, 1, bt.t, 3, outs, 2, &st), 0);
	o.has_seed = 1;
	o.seed = 42;
	o.threads = 3;
	s2 = kiln_session_create(m, &o, &st);
	assert_non_null(s2);
	run_and_check(s2, &bt, 3);
	assert_true(toy_last_seed == 42);
	kiln_session_free(s2);
	s2 = kiln_session_create(m, NULL, NULL);
	run_and_check(s2, &bt, 1);
	assert_true(toy_last_seed == dflt);   /* the default is fixed */
	kiln_session_free(s2);
	o.threads = -2;
	assert_null(kiln_session_create(m, &o, &st));
	assert_non_null(strstr(st.msg, "thread count"));
	assert_null(kiln_session_create(NULL, NULL, &st));
	assert_int_not_equal(kiln_session_run(NULL, bt.t, 3, NULL, 2, &st), 0);
	kiln_session_free(NULL);
	batch_free(&bt);
	kiln_session_free(s1);
	kiln_model_free(m);
}

static void test_threads_results(void **state)
{
	kiln_model *m = toy_model();
	kiln_options o = {4, 0, 0};
	kiln_session *s = kiln_session_create(m, &o, NULL);
	batch bt;
	for (int64_t n = 0; n < 40; n += 3) {
		batch_make(&bt, n);
		run_and_check(s, &bt, 4);
		batch_free(&bt);
	}
	kiln_session_free(s);
	kiln_model_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_ok),
		cmocka_unit_test(test_input_checks),
		cmocka_unit_test(test_symbol_binding),
		cmocka_unit_test(test_multiple_symbol),
		cmocka_unit_test(test_run_error),
		cmocka_unit_test(test_seed_and_options),
		cmocka_unit_test(test_threads_results),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
