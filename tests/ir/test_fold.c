/* test_fold.c — cmocka tests for the constant-folding hooks of ir/fold.c:
 * each builds a node over constant (or symbolic-dim) inputs, runs its
 * inference and fold hook, and checks the output data/symdata. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "helpers.h"

static ir_status st;

/* Infers and folds node n; returns the fold hook's result. */
static int fold(ir_graph *g, ir_node *n)
{
	memset(&st, 0, sizeof st);
	if (ir_ops[n->op].infer(g, n, &st))
		fail_msg("infer failed: %s", st.msg);
	assert_non_null(ir_ops[n->op].fold);
	return ir_ops[n->op].fold(g, n, &st);
}

static const int64_t *i64(const ir_value *v)
{
	assert_non_null(v->data);
	assert_int_equal(v->dtype, IR_I64);
	return v->data;
}

static void ir_fold_shape_static_and_symbolic(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_node *s = t_node(g, "Shape", "s", 1, (ir_value *[]){t_input(g, "x", IR_F32, "2,3,5")}, 1);
	assert_int_equal(fold(g, s), 0);
	assert_int_equal(i64(s->out[0])[0], 2);
	assert_int_equal(i64(s->out[0])[2], 5);
	ir_node *sy = t_node(g, "Shape", "sy", 1, (ir_value *[]){t_input(g, "y", IR_F32, "N,7")}, 1);
	assert_int_equal(fold(g, sy), 0);
	assert_null(sy->out[0]->data);
	assert_non_null(sy->out[0]->symdata);
	assert_true(sy->out[0]->symdata[0].sym >= 0);
	assert_true(ir_dim_eq(sy->out[0]->symdata[1], ir_dim_const(7)));
	ir_node *w = t_node(g, "Shape", "w", 1, (ir_value *[]){g->inputs[0]}, 1);
	t_attr_i(g, w, "start", -2);  /* opset 15 window: last two dims */
	assert_int_equal(fold(g, w), 0);
	assert_string_equal(ty(w->out[0]), "i64[2]");
	assert_int_equal(i64(w->out[0])[0], 3);
	ir_node *sz = t_node(g, "Size", "sz", 1, (ir_value *[]){g->inputs[0]}, 1);
	assert_int_equal(fold(g, sz), 0);
	assert_int_equal(i64(sz->out[0])[0], 30);
	ir_graph_free(g);
}

static void ir_fold_arith_data_and_dims(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *a = t_f32(g, "a", "2,3");            /* 0..5 */
	ir_value *b = t_f32(g, "b", "3");              /* 0,1,2 */
	ir_node *add = t_node(g, "Add", "add", 2, (ir_value *[]){a, b}, 1);
	assert_int_equal(fold(g, add), 0);
	const float *r = add->out[0]->data;
	assert_true(r[0] == 0 && r[2] == 4 && r[3] == 3 && r[5] == 7);
	ir_node *dv = t_node(g, "Div", "dv", 2, (ir_value *[]){t_ints(g, "n", 2, 7LL, -7LL),
			     t_ints(g, "d", 1, 2LL)}, 1);
	assert_int_equal(fold(g, dv), 0);
	assert_int_equal(i64(dv->out[0])[0], 3);
	assert_int_equal(i64(dv->out[0])[1], -3);
	ir_node *dz = t_node(g, "Div", "dz", 2, (ir_value *[]){t_ints(g, "n2", 1, 7LL),
			     t_ints(g, "z", 1, 0LL)}, 1);
	assert_int_equal(fold(g, dz), 1);  /* declines integer division by 0 */
	/* dims: Shape(x) * [1, 2] = [N, 6] */
	ir_node *sh = t_node(g, "Shape", "sh", 1, (ir_value *[]){t_input(g, "x", IR_F32, "N,3")}, 1);
	assert_int_equal(fold(g, sh), 0);
	ir_node *mul = t_node(g, "Mul", "mul", 2, (ir_value *[]){sh->out[0], t_ints(g, "k", 2, 1LL, 2LL)}, 1);
	assert_int_equal(fold(g, mul), 0);
	ir_dim *d = mul->out[0]->symdata;
	assert_non_null(d);
	assert_true(d[0].sym >= 0 && d[0].c == 1);
	assert_true(ir_dim_eq(d[1], ir_dim_const(6)));
	assert_null(mul->out[0]->data);
	ir_node *mm = t_node(g, "Mul", "mm", 2, (ir_value *[]){sh->out[0], sh->out[0]}, 1);
	assert_int_equal(fold(g, mm), 1);  /* N*N is not a dim */
	ir_graph_free(g);
}

static void ir_fold_gather_slice_concat(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *m = t_f32(g, "m", "3,4");  /* 0..11 */
	ir_node *ga = t_node(g, "Gather", "ga", 2, (ir_value *[]){m, t_ints(g, "i", 2, 2LL, -3LL)}, 1);
	t_attr_i(g, ga, "axis", 1);
	assert_int_equal(fold(g, ga), 0);
	assert_string_equal(ty(ga->out[0]), "f32[3,2]");
	const float *r = ga->out[0]->data;
	assert_true(r[0] == 2 && r[1] == 1 && r[4] == 10 && r[5] == 9);
	ir_node *bad = t_node(g, "Gather", "bad", 2, (ir_value *[]){m, t_ints(g, "j", 1, 3LL)}, 1);
	assert_int_equal(fold(g, bad), -1);
	assert_non_null(strstr(st.msg, "out of range"));

	ir_node *sl = t_node(g, "Slice", "sl", 5, (ir_value *[]){m, t_ints(g, "s", 1, -1LL),
			     t_ints(g, "e", 1, 0LL), t_ints(g, "a", 1, 1LL), t_ints(g, "p", 1, -2LL)}, 1);
	assert_int_equal(fold(g, sl), 0);
	assert_string_equal(ty(sl->out[0]), "f32[3,2]");
	r = sl->out[0]->data;
	assert_true(r[0] == 3 && r[1] == 1 && r[2] == 7 && r[5] == 9);

	ir_node *ca = t_node(g, "Concat", "ca", 2, (ir_value *[]){m, t_f32(g, "z", "3,1")}, 1);
	t_attr_i(g, ca, "axis", 1);
	assert_int_equal(fold(g, ca), 0);
	assert_string_equal(ty(ca->out[0]), "f32[3,5]");
	r = ca->out[0]->data;
	assert_true(r[3] == 3 && r[4] == 0 && r[5] == 4 && r[9] == 1 && r[14] == 2);

	/* symdata through Gather and Concat: [N] ++ [-1] */
	ir_node *sh = t_node(g, "Shape", "sh", 1, (ir_value *[]){t_input(g, "x", IR_F32, "N,3")}, 1);
	assert_int_equal(fold(g, sh), 0);
	ir_node *g0 = t_node(g, "Gather", "g0", 2, (ir_value *[]){sh->out[0], t_ints(g, "i0", 1, 0LL)}, 1);
	assert_int_equal(fold(g, g0), 0);
	ir_node *cc = t_node(g, "Concat", "cc", 2, (ir_value *[]){g0->out[0], t_ints(g, "m1", 1, -1LL)}, 1);
	t_attr_i(g, cc, "axis", 0);
	assert_int_equal(fold(g, cc), 0);
	assert_true(cc->out[0]->symdata[0].sym >= 0);
	assert_true(ir_dim_eq(cc->out[0]->symdata[1], ir_dim_const(-1)));
	ir_node *s1 = t_node(g, "Slice", "s1", 3, (ir_value *[]){sh->out[0], t_ints(g, "s1s", 1, 1LL),
			     t_ints(g, "s1e", 1, 2LL)}, 1);
	assert_int_equal(fold(g, s1), 0);
	assert_int_equal(i64(s1->out[0])[0], 3);  /* all-constant symdata also sets data */
	ir_graph_free(g);
}

static void ir_fold_cast_reshape_cos_identity(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *m = t_f32(g, "m", "2,3");
	ir_node *c = t_node(g, "Cast", "c", 1, &m, 1);
	t_attr_i(g, c, "to", IR_I32);
	assert_int_equal(fold(g, c), 0);
	assert_int_equal(((const int32_t *)c->out[0]->data)[5], 5);
	ir_node *cb = t_node(g, "Cast", "cb", 1, &m, 1);
	t_attr_i(g, cb, "to", IR_BOOL);
	assert_int_equal(fold(g, cb), 0);
	const uint8_t *bb = cb->out[0]->data;
	assert_true(bb[0] == 0 && bb[1] == 1);
	ir_node *rs = t_node(g, "Reshape", "rs", 2, (ir_value *[]){m, t_ints(g, "s", 1, -1LL)}, 1);
	assert_int_equal(fold(g, rs), 0);
	assert_string_equal(ty(rs->out[0]), "f32[6]");
	assert_ptr_equal(rs->out[0]->data, m->data);
	ir_node *co = t_node(g, "ConstantOfShape", "co", 1, (ir_value *[]){t_ints(g, "cs", 2, 2LL, 2LL)}, 1);
	ir_attr *a = ir_node_add_attr(g, co, "value", IR_ATTR_TENSOR);
	ir_shape one = {1, {ir_dim_const(1)}};
	int64_t seven = 7;
	a->t = ir_const_new(g, "seven", IR_I64, &one, &seven);
	assert_int_equal(fold(g, co), 0);
	assert_string_equal(ty(co->out[0]), "i64[2,2]");
	assert_int_equal(i64(co->out[0])[3], 7);
	ir_node *id = t_node(g, "Identity", "id", 1, &m, 1);
	assert_int_equal(fold(g, id), 0);
	assert_ptr_equal(id->out[0]->data, m->data);
	ir_node *nd = t_node(g, "Identity", "nd", 1, (ir_value *[]){t_input(g, "x", IR_F32, "2")}, 1);
	assert_int_equal(fold(g, nd), 1);  /* not constant: declines */
	ir_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ir_fold_shape_static_and_symbolic),
		cmocka_unit_test(ir_fold_arith_data_and_dims),
		cmocka_unit_test(ir_fold_gather_slice_concat),
		cmocka_unit_test(ir_fold_cast_reshape_cos_identity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
