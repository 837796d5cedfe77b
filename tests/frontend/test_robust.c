/* test_robust.c — the frontend against bad files: missing, empty, not a
 * regular file, random bytes, every truncation and bit flip of a valid model,
 * hostile protobuf nesting; external data (one good layout, and absolute
 * paths, "..", symlinks, FIFOs, out-of-range offsets, each rejected). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "frontend.h"
#include "mb.h"

static char tmpdir[64];

static char *tpath(const char *name)
{
	static char buf[8][256];
	static int k;
	char *p = buf[k++ & 7];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/kiln_fe_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *files[] = {"weights.bin", "link.bin", "ldir", "fifo", "model.onnx",
			       "empty.onnx", "t.pb", "bad.pb", NULL};
	for (int i = 0; files[i]; i++)
		unlink(tpath(files[i]));
	rmdir(tpath("sub"));
	rmdir(tmpdir);
	mb_free_all();
	return 0;
}

/* A valid model with initializers, a Constant, attributes and symbols. */
static uint8_t *rich_model(size_t *len)
{
	mb_model b;
	mb_init(&b, 13);
	const char *dx[] = {"N", "4", NULL}, *in[] = {"X", "W", NULL}, *out[] = {"Y", NULL};
	const char *cin[] = {"Y", "C", NULL}, *cout[] = {"Z", NULL}, *kout[] = {"C", NULL};
	mb_input(&b, mb_vi("X", 1, dx));
	mb_output(&b, mb_vi("Z", 1, dx));
	int64_t dw[] = {4, 4};
	float w[16] = {0};
	Onnx__TensorProto *t = mb_tensor("W", 1, 2, dw);
	mb_raw(t, w, sizeof w);
	mb_init_tensor(&b, t);
	mb_node(&b, "MatMul", "mm", in, out);
	Onnx__AttributeProto *a = mb_attr(mb_node(&b, "Constant", "k", NULL, kout), "value_floats",
					  ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
	a->n_floats = 4, a->floats = w;
	a = mb_attr(mb_node(&b, "Add", "add", cin, cout), "note",
		    ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	static int64_t is[] = {1, 2, 3};
	a->n_ints = 3, a->ints = is;
	uint8_t *buf = mb_pack(&b, len);
	mb_free_all();
	return buf;
}

static void expect_load_fail(const char *path, const char *substr)
{
	ir_status st = {0};
	ir_graph *g = onnx_load_file(path, &st);
	if (g)
		fail_msg("%s loaded, expected '%s'", path, substr);
	if (!strstr(st.msg, substr))
		fail_msg("message '%s' lacks '%s'", st.msg, substr);
}

static void test_bad_files(void **state)
{
	expect_load_fail(tpath("does-not-exist.onnx"), "cannot open");
	assert_int_equal(mb_write(tpath("empty.onnx"), "", 0), 0);
	expect_load_fail(tpath("empty.onnx"), "empty");
	expect_load_fail(tmpdir, "not a regular file");
	assert_int_equal(mkfifo(tpath("fifo"), 0600), 0);
	expect_load_fail(tpath("fifo"), "not a regular file");   /* no hang */
}

/* Loads buf; either a graph or a non-empty message, never a crash. */
static int try_load(const uint8_t *buf, size_t len)
{
	ir_status st = {0};
	ir_graph *g = onnx_load_buffer(buf, len, NULL, &st);
	if (!g) {
		assert_true(st.code != 0);
		assert_true(st.msg[0] != 0);
		return 0;
	}
	ir_graph_free(g);
	return 1;
}

static void test_truncated_and_flipped(void **state)
{
	size_t len;
	uint8_t *buf = rich_model(&len);
	assert_int_equal(try_load(buf, len), 1);
	int ok = 0;
	for (size_t n = 0; n < len; n++) {
		uint8_t *cut = malloc(n ? n : 1);   /* exact size: ASan sees over-reads */
		memcpy(cut, buf, n);
		ok += try_load(cut, n);
		free(cut);
	}
	assert_true(ok < (int)len / 2);   /* most cuts are invalid */
	for (size_t i = 0; i < len; i++)
		for (int bit = 0; bit < 8; bit++) {
			buf[i] ^= (uint8_t)(1u << bit);
			try_load(buf, len);
			buf[i] ^= (uint8_t)(1u << bit);
		}
	free(buf);
}

static void test_random_bytes(void **state)
{
	uint32_t x = 12345;
	for (int it = 0; it < 3000; it++) {
		size_t n = (size_t)(it % 400);
		uint8_t *buf = malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			buf[i] = (uint8_t)(x >> 16);
		}
		try_load(buf, n);
		free(buf);
	}
}

/* Appends a length-delimited field around payload [p, p+n) into out (built
 * back to front in a buffer of capacity cap, start index *pos). */
static void wrap(uint8_t *out, size_t *pos, unsigned field, size_t n)
{
	uint8_t tmp[16];
	size_t k = 0;
	tmp[k++] = (uint8_t)(field << 3 | 2);
	do {
		tmp[k++] = (uint8_t)((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
		n >>= 7;
	} while (n);
	*pos -= k;
	memcpy(out + *pos, tmp, k);
}

static void test_deep_nesting(void **state)
{
	size_t cap = 4 << 20, pos = cap;
	uint8_t *buf = malloc(cap);
	/* Model.graph(7) -> Graph.node(1) -> Node.attribute(5) -> Attribute.g(6) ... */
	for (int level = 0; level < 100000; level++) {
		wrap(buf, &pos, 6, cap - pos);
		wrap(buf, &pos, 5, cap - pos);
		wrap(buf, &pos, 1, cap - pos);
	}
	wrap(buf, &pos, 7, cap - pos);
	ir_status st = {0};
	assert_null(onnx_load_buffer(buf + pos, cap - pos, NULL, &st));
	assert_non_null(strstr(st.msg, "nested"));
	free(buf);
}

/* ---- external data ---- */

static void write_ext_model(const char *loc, const char *off, const char *len, int64_t n)
{
	mb_model b;
	mb_init(&b, 13);
	const char *d[] = {"2", NULL}, *in[] = {"K", NULL}, *out[] = {"Y", NULL};
	mb_output(&b, mb_vi("Y", 1, d));
	mb_node(&b, "Relu", "r", in, out);
	Onnx__TensorProto *t = mb_tensor("K", 1, 1, &n);
	t->has_data_location = 1;
	t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	t->external_data = mb_alloc(3 * sizeof *t->external_data);
	const char *keys[] = {"location", "offset", "length"}, *vals[] = {loc, off, len};
	for (int i = 0; i < 3; i++) {
		if (!vals[i])
			continue;
		Onnx__StringStringEntryProto *kv = mb_alloc(sizeof *kv);
		*kv = (Onnx__StringStringEntryProto)ONNX__STRING_STRING_ENTRY_PROTO__INIT;
		kv->key = mb_str(keys[i]);
		kv->value = mb_str(vals[i]);
		t->external_data[t->n_external_data++] = kv;
	}
	mb_init_tensor(&b, t);
	size_t blen;
	uint8_t *buf = mb_pack(&b, &blen);
	assert_int_equal(mb_write(tpath("model.onnx"), buf, blen), 0);
	free(buf);
	mb_free_all();
}

static void ext_fail(const char *loc, const char *off, const char *len, int64_t n,
		     const char *substr)
{
	write_ext_model(loc, off, len, n);
	expect_load_fail(tpath("model.onnx"), substr);
	expect_load_fail(tpath("model.onnx"), "initializer 'K'");
}

static void test_external(void **state)
{
	float w[16];
	for (int i = 0; i < 16; i++)
		w[i] = (float)i;
	assert_int_equal(mb_write(tpath("weights.bin"), w, sizeof w), 0);
	assert_int_equal(mkdir(tpath("sub"), 0700), 0);
	assert_int_equal(symlink("weights.bin", tpath("link.bin")), 0);
	assert_int_equal(symlink(".", tpath("ldir")), 0);

	write_ext_model("weights.bin", "8", "24", 6);
	ir_status st = {0};
	ir_graph *g = onnx_load_file(tpath("model.onnx"), &st);
	assert_non_null(g);
	ir_value *k = ir_graph_find(g, "K");
	assert_int_equal(k->nbytes, 24);
	assert_true(((const float *)k->data)[0] == 2.0f && ((const float *)k->data)[5] == 7.0f);
	ir_graph_free(g);
	write_ext_model("./weights.bin", NULL, NULL, 16);   /* whole file */
	g = onnx_load_file(tpath("model.onnx"), &st);
	assert_non_null(g);
	assert_true(((const float *)ir_graph_find(g, "K")->data)[15] == 15.0f);
	ir_graph_free(g);

	ext_fail("/etc/passwd", NULL, NULL, 2, "is absolute");
	ext_fail("../weights.bin", NULL, NULL, 16, "contains '..'");
	ext_fail("sub/../weights.bin", NULL, NULL, 16, "contains '..'");
	ext_fail("link.bin", NULL, NULL, 16, "symlink");
	ext_fail("ldir/weights.bin", NULL, NULL, 16, "symlink");
	ext_fail("weights.bin", "48", "24", 6, "beyond the end");
	ext_fail("weights.bin", "65", NULL, 6, "beyond the end");
	ext_fail("weights.bin", "0", "20", 6, "expected 24");
	ext_fail("weights.bin", "-1", "24", 6, "not a number");
	ext_fail("missing.bin", NULL, NULL, 6, "not found");
	ext_fail("sub", NULL, NULL, 6, "not a regular file");
	ext_fail("fifo", NULL, NULL, 6, "not a regular file");
	ext_fail("", NULL, NULL, 6, "without a location");
	ext_fail("weights.bin/x", NULL, NULL, 6, "not a directory");
}

/* ---- TensorProto files ---- */

static void test_tensor_pb(void **state)
{
	int64_t d[] = {2, 3};
	float v[6] = {1, -2, 3, -4, 5, -6};
	Onnx__TensorProto *t = mb_tensor("x", 1, 2, d);
	mb_raw(t, v, sizeof v);
	size_t len;
	uint8_t *buf = mb_pack_tensor(t, &len);
	assert_int_equal(mb_write(tpath("t.pb"), buf, len), 0);
	onnx_tensor ot;
	ir_status st = {0};
	assert_int_equal(onnx_tensor_read_pb(tpath("t.pb"), &ot, &st), 0);
	assert_string_equal(ot.name, "x");
	assert_int_equal(ot.dtype, IR_F32);
	assert_int_equal(ot.rank, 2);
	assert_int_equal(ot.dims[1], 3);
	assert_int_equal(ot.nbytes, sizeof v);
	assert_memory_equal(ot.data, v, sizeof v);
	onnx_tensor_free(&ot);
	onnx_tensor_free(NULL);
	assert_int_equal(mb_write(tpath("bad.pb"), buf, len - 5), 0);
	assert_int_not_equal(onnx_tensor_read_pb(tpath("bad.pb"), &ot, &st), 0);
	assert_non_null(strstr(st.msg, "bad.pb"));
	assert_null(ot.data);
	assert_int_not_equal(onnx_tensor_read_pb(tpath("nope.pb"), &ot, &st), 0);
	free(buf);
	mb_free_all();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_truncated_and_flipped),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_external),
		cmocka_unit_test(test_tensor_pb),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
