/* test_npy.c — runtime_npy: the .npy reader/writer of the kiln command
 * (tools/npy.c): round trips for every supported dtype and several ranks,
 * files written the way NumPy writes them (v1/v2/v3 headers, trailing comma,
 * '|' and '<' one-byte codes), and hostile files that must give an error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tools.h"

static char tmpdir[] = "/tmp/kiln_npy_XXXXXX";

static void test_round_trip(void **state)
{
	static const int dtypes[] = {KILN_FLOAT, KILN_DOUBLE, KILN_FLOAT16, KILN_INT64, KILN_INT32,
				     KILN_INT16, KILN_INT8, KILN_UINT8, KILN_UINT16, KILN_UINT32,
				     KILN_UINT64, KILN_BOOL};
	static const int64_t shapes[][4] = {{0}, {1, 7}, {2, 3, 5}, {3, 0, 2, 1}};
	static const int ranks[] = {0, 2, 3, 4};
	char path[256];
	snprintf(path, sizeof(path), "%s/a.npy", tmpdir);
	for (size_t d = 0; d < sizeof(dtypes) / sizeof(dtypes[0]); d++) {
		for (size_t s = 0; s < 4; s++) {
			size_t es = kiln_dtype_size(dtypes[d]), n = 1;
			for (int i = 0; i < ranks[s]; i++)
				n *= (size_t)shapes[s][i];
			unsigned char *data = malloc(n * es + 1);
			for (size_t i = 0; i < n * es; i++)
				data[i] = (unsigned char)(i * 31 + d);
			if (dtypes[d] == KILN_BOOL)
				for (size_t i = 0; i < n; i++)
					data[i] &= 1;
			kiln_status st;
			npy_array a;
			assert_int_equal(npy_write_file(path, dtypes[d], ranks[s], shapes[s], data, &st), 0);
			if (npy_read_file(path, &a, &st))
				fail_msg("%s", st.msg);
			assert_int_equal(a.dtype, dtypes[d]);
			assert_int_equal(a.rank, ranks[s]);
			for (int i = 0; i < ranks[s]; i++)
				assert_int_equal(a.dims[i], shapes[s][i]);
			assert_int_equal(a.nbytes, n * es);
			assert_memory_equal(a.data, data, n * es);
			npy_free(&a);
			free(data);
		}
	}
	unlink(path);
}

/* Builds a file image: magic, version, header (padded with spaces to a
 * 64-byte boundary unless raw), then nbytes of data. */
static size_t image(unsigned char *buf, int major, const char *header, size_t nbytes)
{
	size_t pre = major == 1 ? 10 : 12, hl = strlen(header), n = 0;
	memcpy(buf, "\x93NUMPY", 6);
	buf[6] = (unsigned char)major;
	buf[7] = 0;
	for (size_t i = 0; i < pre - 8; i++)
		buf[8 + i] = (unsigned char)(hl >> (8 * i));
	memcpy(buf + pre, header, hl);
	n = pre + hl;
	for (size_t i = 0; i < nbytes; i++)
		buf[n++] = (unsigned char)i;
	return n;
}

static void test_numpy_variants(void **state)
{
	static const struct {
		int major;
		const char *header;
		size_t nbytes;
		int dtype, rank;
		int64_t d0;
	} ok[] = {
		{1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }          \n", 12, KILN_FLOAT, 1, 3},
		{2, "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }\n", 32, KILN_INT64, 2, 2},
		{3, "{\"shape\": (), \"fortran_order\": False, \"descr\": \"|b1\"}\n", 1, KILN_BOOL, 0, 0},
		{1, "{'descr': '<u1', 'fortran_order': False, 'shape': (4L,)}\n", 4, KILN_UINT8, 1, 4},
		{1, "{'descr':'|i1','fortran_order':False,'shape':(5,)}", 5, KILN_INT8, 1, 5},
	};
	unsigned char buf[512];
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		kiln_status st;
		npy_array a;
		size_t n = image(buf, ok[i].major, ok[i].header, ok[i].nbytes);
		if (npy_parse(buf, n, &a, &st))
			fail_msg("variant %zu: %s", i, st.msg);
		assert_int_equal(a.dtype, ok[i].dtype);
		assert_int_equal(a.rank, ok[i].rank);
		if (a.rank)
			assert_int_equal(a.dims[0], ok[i].d0);
		assert_int_equal(a.nbytes, ok[i].nbytes);
		assert_int_equal(((unsigned char *)a.data)[ok[i].nbytes - 1], (unsigned char)(ok[i].nbytes - 1));
		npy_free(&a);
	}
}

static void test_hostile(void **state)
{
	static const struct {
		const char *header;
		size_t nbytes;
		const char *needle;
	} bad[] = {
		{"{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }\n", 12, "Fortran"},
		{"{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }\n", 12, "big-endian"},
		{"{'descr': '<c8', 'fortran_order': False, 'shape': (3,), }\n", 24, "unsupported dtype"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", 8, "data size mismatch"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", 16, "data size mismatch"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }\n", 0, "shape"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }\n", 0, "too large"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }\n",
		 0, "mismatch"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }\n", 4, "rank"},
		{"{'descr': '<f4', 'fortran_order': False}\n", 4, "missing"},
		{"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\n", 4, "repeated"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}\n", 4, "unexpected"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} junk\n", 4, "after the dict"},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (1,)\n", 4, "expected"},
		{"{'descr': '<f4, 'fortran_order': False, 'shape': (1,)}\n", 4, "dtype"},
		{"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,)}\n", 4, "True or False"},
		{"[]\n", 0, "expected '{'"},
	};
	unsigned char buf[512];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		kiln_status st = {0};
		npy_array a;
		size_t n = image(buf, 1, bad[i].header, bad[i].nbytes);
		if (npy_parse(buf, n, &a, &st) == 0)
			fail_msg("hostile #%zu parsed", i);
		if (!strstr(st.msg, bad[i].needle))
			fail_msg("hostile #%zu: '%s' lacks '%s'", i, st.msg, bad[i].needle);
	}
	/* Bad magic, bad version, header length beyond the file. */
	kiln_status st;
	npy_array a;
	size_t n = image(buf, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\n", 4);
	assert_int_not_equal(npy_parse("hello", 5, &a, &st), 0);
	assert_non_null(strstr(st.msg, "bad magic"));
	buf[6] = 9;
	assert_int_not_equal(npy_parse(buf, n, &a, &st), 0);
	assert_non_null(strstr(st.msg, "version 9"));
	buf[6] = 1;
	buf[8] = 0xff;
	assert_int_not_equal(npy_parse(buf, n, &a, &st), 0);
	assert_non_null(strstr(st.msg, "truncated"));
	buf[8] = (unsigned char)strlen("{'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\n");
	/* Every truncation fails cleanly; random byte flips never crash. */
	for (size_t k = 0; k < n; k++)
		assert_int_not_equal(npy_parse(buf, k, &a, &st), 0);
	srand(99);
	for (int it = 0; it < 20000; it++) {
		unsigned char m[512];
		memcpy(m, buf, n);
		for (int j = 0; j < 3; j++)
			m[(size_t)rand() % n] = (unsigned char)rand();
		if (npy_parse(m, n, &a, &st) == 0) {
			assert_true(a.nbytes <= n);
			npy_free(&a);
		}
	}
}

static void test_files(void **state)
{
	char path[256];
	kiln_status st;
	npy_array a;
	int64_t d[1] = {2};
	float v[2] = {1, 2};
	assert_int_not_equal(npy_read_file("/nonexistent.npy", &a, &st), 0);
	assert_non_null(strstr(st.msg, "/nonexistent.npy"));
	assert_int_not_equal(npy_read_file(tmpdir, &a, &st), 0);
	assert_non_null(strstr(st.msg, "not a regular file"));
	snprintf(path, sizeof(path), "%s/nodir/x.npy", tmpdir);
	assert_int_not_equal(npy_write_file(path, KILN_FLOAT, 1, d, v, &st), 0);
	assert_non_null(strstr(st.msg, "cannot write"));
	snprintf(path, sizeof(path), "%s/e.npy", tmpdir);
	FILE *f = fopen(path, "wb");
	fclose(f);
	assert_int_not_equal(npy_read_file(path, &a, &st), 0);
	assert_non_null(strstr(st.msg, "e.npy"));
	unlink(path);
}

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_numpy_variants),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_files),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
