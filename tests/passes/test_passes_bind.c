/* test_passes_bind.c — pass_bind_inputs (JIT value specialisation): a
 * Reshape shape input and a ReduceSum axes input reached through a Cast are
 * bound and then type the graph; mismatched dtype/shape values are refused;
 * float data inputs are never turned into constants; a symbol that only a
 * bound input carried becomes a constant dim. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "build.h"
#include "passes.h"

/* The values the lookup hands out, and what it was asked for. */
typedef struct {
	const char *name;         /* the input it answers for (others: not given) */
	ir_dtype dt;
	int rank;
	int64_t dims[IR_MAX_RANK];
	const void *data;
	char asked[256];          /* names asked, space-separated */
} given;

static int lookup(void *ud, int index, const char *name, ir_dtype *dt, int *rank,
		  int64_t *dims, const void **data)
{
	given *v = ud;
	(void)index;
	strcat(v->asked, name);
	strcat(v->asked, " ");
	if (!v->name || strcmp(name, v->name) != 0)
		return 1;
	*dt = v->dt;
	*rank = v->rank;
	memcpy(dims, v->dims, sizeof v->dims);
	*data = v->data;
	return 0;
}

/* x f32[2,3,4], s i64[3]: y = Reshape(x, s). */
static ir_graph *reshape_graph(const char *sdims, ir_value **x, ir_value **s, ir_value **y)
{
	ir_graph *g = tb_graph(14);
	ir_value *in[2];
	*x = tb_input(g, "x", IR_F32, "2,3,4");
	*s = tb_input(g, "s", IR_I64, sdims);
	*y = tb_value(g, "y", IR_UNDEF, NULL);
	in[0] = *x;
	in[1] = *s;
	tb_node(g, "Reshape", "r", 14, 2, in, 1, y);
	tb_output(g, *y);
	return g;
}

static void assert_shape(const ir_value *v, int rank, const int64_t *d)
{
	assert_true(v->has_shape);
	assert_int_equal(v->shape.rank, rank);
	for (int i = 0; i < rank; i++) {
		assert_true(ir_dim_is_const(v->shape.d[i]));
		assert_int_equal(v->shape.d[i].c, d[i]);
	}
}

static void bind_reshape_shape(void **state)
{
	static const int64_t shape[3] = {4, 2, 3};
	ir_value *x, *s, *y;
	ir_graph *g = reshape_graph("3", &x, &s, &y);
	ir_status st = {0};
	given v = {"s", IR_I64, 1, {3}, shape, ""};
	(void)state;
	assert_int_equal(pass_bind_inputs(g, lookup, &v, &st), 1);
	assert_string_equal(v.asked, "s ");          /* never asked for x */
	assert_int_equal(g->ninputs, 1);
	assert_ptr_equal(g->inputs[0], x);
	assert_false(s->is_input);
	assert_non_null(s->data);
	assert_memory_equal(s->data, shape, sizeof shape);
	assert_true(s->data != (const void *)shape);  /* a copy */
	if (pass_run_pipeline(g, NULL, &st))
		fail_msg("pipeline: %s", st.msg);
	assert_shape(y, 3, shape);
	ir_graph_free(g);
}

/* Without a value the input stays and the pipeline reports it. */
static void bind_nothing_given(void **state)
{
	ir_value *x, *s, *y;
	ir_graph *g = reshape_graph("3", &x, &s, &y);
	ir_status st = {0};
	given v = {NULL};
	(void)state;
	assert_int_equal(pass_bind_inputs(g, lookup, &v, &st), 0);
	assert_int_equal(g->ninputs, 2);
	assert_true(s->is_input);
	assert_int_not_equal(pass_run_pipeline(g, NULL, &st), 0);
	assert_non_null(strstr(st.msg, "computed at run time"));
	ir_graph_free(g);
}

/* x f32[2,3,4], a i32[1]: y = ReduceSum(x, Cast(a, int64), keepdims 0). */
static void bind_reduce_axes_through_cast(void **state)
{
	static const int32_t axes[1] = {-2};
	static const int64_t want[2] = {2, 4};
	ir_graph *g = tb_graph(13);
	ir_value *x = tb_input(g, "x", IR_F32, "2,3,4");
	ir_value *a = tb_input(g, "a", IR_I32, "1");
	ir_value *c = tb_value(g, "c", IR_UNDEF, NULL), *y = tb_value(g, "y", IR_UNDEF, NULL);
	ir_value *in[2] = {x, c};
	ir_status st = {0};
	given v = {"a", IR_I32, 1, {1}, axes, ""};
	(void)state;
	tb_attr_int(g, tb_node(g, "Cast", "cast", 13, 1, &a, 1, &c), "to", IR_I64);
	tb_attr_int(g, tb_node(g, "ReduceSum", "sum", 13, 2, in, 1, &y), "keepdims", 0);
	tb_output(g, y);
	assert_int_equal(pass_bind_inputs(g, lookup, &v, &st), 1);
	assert_string_equal(v.asked, "a ");
	assert_int_equal(g->ninputs, 1);
	if (pass_run_pipeline(g, NULL, &st))
		fail_msg("pipeline: %s", st.msg);
	assert_shape(y, 2, want);
	ir_graph_free(g);
}

static void bind_refuses_mismatch(void **state)
{
	static const int32_t s32[3] = {4, 2, 3};
	static const int64_t s64[2] = {4, 6};
	ir_value *x, *s, *y;
	ir_graph *g = reshape_graph("3", &x, &s, &y);
	ir_status st = {0};
	given v = {"s", IR_I32, 1, {3}, s32, ""};
	(void)state;
	assert_int_equal(pass_bind_inputs(g, lookup, &v, &st), -1);
	assert_non_null(strstr(st.msg, "'s'"));
	assert_true(s->is_input);
	assert_null(s->data);
	given w = {"s", IR_I64, 1, {2}, s64, ""};   /* right dtype, 2 elements for [3] */
	memset(&st, 0, sizeof st);
	assert_int_equal(pass_bind_inputs(g, lookup, &w, &st), -1);
	assert_non_null(strstr(st.msg, "'s'"));
	assert_int_equal(g->ninputs, 2);
	ir_graph_free(g);
}

/* A float input whose values reach a shape (Cast to int64) is looked up but,
 * being a tensor rather than a small vector, stays an input; one reaching
 * Reshape only through Shape is not even looked up. */
static void bind_not_float_data(void **state)
{
	static float big[24];
	ir_graph *g = tb_graph(14);
	ir_value *x = tb_input(g, "x", IR_F32, "2,3,4");
	ir_value *f = tb_input(g, "f", IR_F32, "2,3,4");
	ir_value *sh = tb_value(g, "sh", IR_UNDEF, NULL), *y = tb_value(g, "y", IR_UNDEF, NULL);
	ir_value *c = tb_value(g, "c", IR_UNDEF, NULL), *z = tb_value(g, "z", IR_UNDEF, NULL);
	ir_value *in[2] = {x, sh};
	ir_status st = {0};
	given v = {"f", IR_F32, 3, {2, 3, 4}, big, ""};
	(void)state;
	tb_node(g, "Shape", "shape", 14, 1, &x, 1, &sh);
	tb_node(g, "Reshape", "r1", 14, 2, in, 1, &y);
	tb_attr_int(g, tb_node(g, "Cast", "cast", 14, 1, &f, 1, &c), "to", IR_I64);
	in[1] = c;
	tb_node(g, "Expand", "e", 14, 2, in, 1, &z);
	tb_output(g, y);
	tb_output(g, z);
	assert_int_equal(pass_bind_inputs(g, lookup, &v, &st), 0);
	assert_string_equal(v.asked, "f ");
	assert_int_equal(g->ninputs, 2);
	assert_true(f->is_input && x->is_input);
	assert_null(f->data);
	ir_graph_free(g);
}

/* s declared i64[R]: once bound, the symbol R is no model input's dim. */
static void bind_drops_symbol(void **state)
{
	static const int64_t shape[2] = {6, 4};
	ir_value *x, *s, *y;
	ir_graph *g = reshape_graph("R", &x, &s, &y);
	ir_status st = {0};
	given v = {"s", IR_I64, 1, {2}, shape, ""};
	(void)state;
	assert_int_equal(g->nsyms, 1);
	assert_int_equal(pass_bind_inputs(g, lookup, &v, &st), 1);
	assert_int_equal(g->nsyms, 0);
	assert_shape(s, 1, (const int64_t[]){2});
	if (pass_run_pipeline(g, NULL, &st))
		fail_msg("pipeline: %s", st.msg);
	assert_shape(y, 2, shape);
	ir_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bind_reshape_shape),
		cmocka_unit_test(bind_nothing_given),
		cmocka_unit_test(bind_reduce_axes_through_cast),
		cmocka_unit_test(bind_refuses_mismatch),
		cmocka_unit_test(bind_not_float_data),
		cmocka_unit_test(bind_drops_symbol),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
