/* test_fold_transpose.c — cmocka tests for fold_transpose (ir/fold.c): a
 * Transpose of constant data is evaluated at compile time. Each case builds
 * a constant of distinct elements, infers and folds one Transpose, and checks
 * the output shape and every element against the index map computed here:
 * y[j0..jr-1] = x[i] with i[perm[k]] = j[k] (perm defaults to reversed). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "helpers.h"

static ir_status st;

/* Distinct, exactly representable element values. */
static float f32_at(int64_t i) { return (float)i * 1.5f - 7.25f; }
/* Wider than 32 bits, so a copy of the wrong width shows. */
static int64_t i64_at(int64_t i) { return (i + 1) * 0x100000001LL * (i % 2 ? -1 : 1); }

/* Constant of dtype t (f32 or i64) and static dims, element i = *_at(i). */
static ir_value *make_const(ir_graph *g, const char *name, ir_dtype t, int rank,
			    const int64_t *dims)
{
	ir_shape s = {rank};
	int64_t n = 1;
	for (int i = 0; i < rank; i++) {
		s.d[i] = ir_dim_const(dims[i]);
		n *= dims[i];
	}
	size_t es = ir_dtype_size(t);
	unsigned char *buf = calloc((size_t)(n ? n : 1), es);
	for (int64_t i = 0; i < n; i++) {
		float f = f32_at(i);
		int64_t v = i64_at(i);
		memcpy(buf + (size_t)i * es, t == IR_F32 ? (void *)&f : (void *)&v, es);
	}
	ir_value *v = ir_const_new(g, name, t, &s, buf);
	free(buf);
	assert_non_null(v);
	return v;
}

/* Transposes a constant [dims] of dtype t with perm (NULL: attribute
 * absent) through the inference and fold hooks, then checks every element. */
static void check(ir_dtype t, int rank, const int64_t *dims, const int64_t *perm)
{
	ir_graph *g = ir_graph_new();
	ir_value *x = make_const(g, "x", t, rank, dims);
	ir_node *n = t_node(g, "Transpose", "tr", 1, &x, 1);
	if (perm) {
		ir_attr *a = ir_node_add_attr(g, n, "perm", IR_ATTR_INTS);
		a->n = rank;
		a->ints = ir_alloc(g->arena, sizeof(int64_t) * (size_t)(rank + 1));
		memcpy(a->ints, perm, sizeof(int64_t) * (size_t)rank);
	}
	const void *xdata = x->data;
	memset(&st, 0, sizeof st);
	if (ir_ops[n->op].infer(g, n, &st))
		fail_msg("infer: %s", st.msg);
	assert_non_null(ir_ops[n->op].fold);
	if (ir_ops[n->op].fold(g, n, &st) != 0)
		fail_msg("fold declined or failed: %s", st.msg);

	/* perm as the spec defines it, and the expected output dims */
	int64_t p[IR_MAX_RANK], ydims[IR_MAX_RANK], xstride[IR_MAX_RANK], n_el = 1;
	for (int k = 0; k < rank; k++) {
		p[k] = perm ? perm[k] : rank - 1 - k;
		ydims[k] = dims[p[k]];
		n_el *= dims[k];
	}
	for (int k = rank - 1, s = 1; k >= 0; k--) {
		xstride[k] = s;
		s *= (int)dims[k];
	}
	ir_value *y = n->out[0];
	assert_int_equal(y->dtype, t);
	assert_true(y->has_shape);
	assert_int_equal(y->shape.rank, rank);
	for (int k = 0; k < rank; k++)
		assert_true(ir_dim_eq(y->shape.d[k], ir_dim_const(ydims[k])));
	assert_non_null(y->data);
	assert_true(y->data != xdata);
	assert_int_equal(y->nbytes, (size_t)n_el * ir_dtype_size(t));

	/* walk y in row-major order, decoding the multi-index from o */
	for (int64_t o = 0; o < n_el; o++) {
		int64_t rem = o, src = 0;
		for (int k = rank - 1; k >= 0; k--) {
			int64_t j = rem % ydims[k];
			rem /= ydims[k];
			src += j * xstride[p[k]];   /* x index along axis p[k] is j */
		}
		if (t == IR_F32) {
			float got = ((const float *)y->data)[o];
			if (got != f32_at(src))
				fail_msg("y[%lld] = %g, want x[%lld] = %g", (long long)o, got,
					 (long long)src, f32_at(src));
		} else {
			int64_t got = ((const int64_t *)y->data)[o];
			if (got != i64_at(src))
				fail_msg("y[%lld] = %lld, want x[%lld] = %lld", (long long)o,
					 (long long)got, (long long)src, (long long)i64_at(src));
		}
	}
	/* the input constant is left as it was */
	for (int64_t i = 0; i < n_el; i++)
		if (t == IR_F32)
			assert_true(((const float *)x->data)[i] == f32_at(i));
		else
			assert_true(((const int64_t *)x->data)[i] == i64_at(i));
	ir_graph_free(g);
}

static void fold_transpose_rank2(void **state)
{
	static const int64_t dims[2] = {3, 5}, swap[2] = {1, 0}, keep[2] = {0, 1};
	(void)state;
	check(IR_F32, 2, dims, swap);
	check(IR_F32, 2, dims, NULL);
	check(IR_F32, 2, dims, keep);
	check(IR_I64, 2, dims, swap);
	check(IR_I64, 2, dims, NULL);
}

static void fold_transpose_rank3(void **state)
{
	static const int64_t dims[3] = {2, 3, 4};
	static const int64_t perms[][3] = {{2, 0, 1}, {1, 2, 0}, {0, 2, 1}, {1, 0, 2}, {2, 1, 0}};
	(void)state;
	for (size_t k = 0; k < sizeof perms / sizeof perms[0]; k++) {
		check(IR_F32, 3, dims, perms[k]);
		check(IR_I64, 3, dims, perms[k]);
	}
	check(IR_F32, 3, dims, NULL);
	check(IR_I64, 3, dims, NULL);
}

/* Rank 4, dims of 1 (strides of size-1 axes must not matter) and an empty
 * tensor (folds to an empty constant). */
static void fold_transpose_rank4_unit_empty(void **state)
{
	static const int64_t d4[4] = {2, 1, 3, 5}, p4[4] = {3, 1, 0, 2};
	static const int64_t d3[3] = {1, 4, 1}, p3[3] = {2, 1, 0};
	(void)state;
	check(IR_F32, 4, d4, p4);
	check(IR_I64, 4, d4, NULL);
	check(IR_F32, 3, d3, p3);
	static const int64_t d0[2] = {0, 3};
	check(IR_F32, 2, d0, NULL);
}

/* A Transpose of a non-constant input is not folded; a bad perm is an error
 * from inference, not a fold. */
static void fold_transpose_declines(void **state)
{
	(void)state;
	ir_graph *g = ir_graph_new();
	ir_node *n = t_node(g, "Transpose", "tr", 1,
			    (ir_value *[]){t_input(g, "x", IR_F32, "2,3")}, 1);
	memset(&st, 0, sizeof st);
	assert_int_equal(ir_ops[n->op].infer(g, n, &st), 0);
	assert_int_not_equal(ir_ops[n->op].fold(g, n, &st), 0);
	assert_null(n->out[0]->data);

	static const int64_t dims[2] = {2, 3};
	ir_value *c = make_const(g, "c", IR_F32, 2, dims);
	ir_node *bad = t_node(g, "Transpose", "bad", 1, &c, 1);
	t_attr_ints(g, bad, "perm", 2, 0LL, 0LL);
	memset(&st, 0, sizeof st);
	assert_int_not_equal(ir_ops[bad->op].infer(g, bad, &st), 0);
	assert_non_null(strstr(st.msg, "perm"));
	ir_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fold_transpose_rank2),
		cmocka_unit_test(fold_transpose_rank3),
		cmocka_unit_test(fold_transpose_rank4_unit_empty),
		cmocka_unit_test(fold_transpose_declines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
