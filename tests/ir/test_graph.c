/* test_graph.c — cmocka tests for the arena, graph building (names,
 * attributes, constants, find), use replacement, topological sort, the
 * verifier and the text printer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "helpers.h"

static void ir_arena_alignment_and_zeroing(void **state)
{
	ir_arena *a = ir_arena_new();
	assert_non_null(a);
	for (int i = 1; i < 5000; i += 7) {
		unsigned char *p = ir_alloc(a, (size_t)i);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % (i >= 64 ? 64 : 16), 0);
		for (int j = 0; j < i; j++)
			assert_int_equal(p[j], 0);
		memset(p, 0xab, (size_t)i);  /* dirty it for later blocks */
	}
	unsigned char *big = ir_alloc(a, 3 << 20);
	assert_non_null(big);
	assert_int_equal((uintptr_t)big % 64, 0);
	assert_int_equal(big[0] | big[(3 << 20) - 1], 0);
	char *s = ir_strdup(a, "hello");
	assert_string_equal(s, "hello");
	assert_string_equal(ir_strndup(a, "abcdef", 3), "abc");
	assert_null(ir_strdup(a, NULL));
	ir_arena_free(a);
	ir_arena_free(NULL);
}

static void ir_dtype_table(void **state)
{
	assert_int_equal(ir_dtype_size(IR_F32), 4);
	assert_int_equal(ir_dtype_size(IR_I64), 8);
	assert_int_equal(ir_dtype_size(IR_BOOL), 1);
	assert_int_equal(ir_dtype_size(IR_STRING), 0);
	assert_int_equal(ir_dtype_size((ir_dtype)99), 0);
	assert_string_equal(ir_dtype_name(IR_F16), "f16");
	assert_string_equal(ir_dtype_name((ir_dtype)-3), "?");
	assert_true(ir_dtype_is_float(IR_BF16));
	assert_false(ir_dtype_is_float(IR_I32));
	assert_true(ir_dtype_is_int(IR_U64));
	assert_false(ir_dtype_is_int(IR_BOOL));
}

static void ir_values_unique_names_and_find(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *a = ir_value_new(g, "x", IR_F32);
	ir_value *b = ir_value_new(g, "x", IR_F32);
	assert_string_equal(a->name, "x");
	assert_string_not_equal(b->name, "x");
	assert_ptr_equal(ir_graph_find(g, b->name), b);
	char name[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof name, "v%d", i);
		ir_value *v = ir_value_new(g, name, IR_I64);
		assert_int_equal(v->id, g->nvalues - 1);
	}
	assert_ptr_equal(ir_graph_find(g, "v2999")->name, ir_graph_find(g, "v2999")->name);
	assert_string_equal(ir_graph_find(g, "v1234")->name, "v1234");
	assert_ptr_equal(ir_graph_find(g, "x"), a);
	assert_null(ir_graph_find(g, "nope"));
	ir_value *anon = ir_value_new(g, NULL, IR_F32);
	assert_non_null(anon);
	assert_true(anon->name[0] != 0);
	ir_graph_free(g);
}

static void ir_nodes_and_attrs(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *x = t_input(g, "x", IR_F32, "2,3");
	ir_node *n = t_node(g, "Gemm", "fc", 1, &x, 1);
	assert_int_equal(n->op, IR_OP_Gemm);
	assert_ptr_equal(n->out[0]->producer, n);
	ir_node *u = t_node(g, "FooBar", "", 1, &x, 1);
	assert_int_equal(u->op, IR_OP_UNKNOWN);
	ir_node *d = ir_node_new(g, "Relu", "com.example", "r", 1, 1);
	assert_int_equal(d->op, IR_OP_UNKNOWN);
	assert_true(u->id > n->id);
	t_attr_i(g, n, "transB", 1);
	ir_node_add_attr(g, n, "alpha", IR_ATTR_FLOAT)->f = 0.5f;
	t_attr_s(g, n, "mode", "edge");
	t_attr_ints(g, n, "perm", 3, 2LL, 0LL, 1LL);
	assert_int_equal(ir_attr_int(n, "transB", 0), 1);
	assert_int_equal(ir_attr_int(n, "transA", 7), 7);
	assert_true(ir_attr_float(n, "alpha", 1.0f) == 0.5f);
	assert_string_equal(ir_attr_str(n, "mode", "x"), "edge");
	assert_string_equal(ir_attr_str(n, "other", "dflt"), "dflt");
	const int64_t *v;
	assert_int_equal(ir_attr_ints(n, "perm", &v), 3);
	assert_int_equal(v[0], 2);
	assert_int_equal(ir_attr_ints(n, "nope", &v), -1);
	assert_string_equal(ir_node_label(n), "Gemm 'fc'");
	assert_non_null(strstr(ir_node_label(u), "FooBar"));
	assert_int_equal(ir_op_lookup("Conv"), IR_OP_Conv);
	assert_int_equal(ir_op_lookup("conv"), IR_OP_UNKNOWN);
	assert_int_equal(ir_op_lookup(NULL), IR_OP_UNKNOWN);
	assert_int_equal(ir_graph_sym(g, "N"), ir_graph_sym(g, "N"));
	assert_int_not_equal(ir_graph_sym(g, "B"), ir_graph_sym(g, "N"));
	ir_graph_free(g);
}

static void ir_const_copies_data(void **state)
{
	ir_graph *g = ir_graph_new();
	float d[6] = {1, 2, 3, 4, 5, 6};
	ir_shape s = {2, {ir_dim_const(2), ir_dim_const(3)}};
	ir_value *c = ir_const_new(g, "w", IR_F32, &s, d);
	d[0] = 100;
	assert_int_equal(c->nbytes, 24);
	assert_true(((const float *)c->data)[0] == 1.0f);
	assert_true(((const float *)c->data)[5] == 6.0f);
	assert_null(c->producer);
	assert_int_equal(c->is_input, 0);
	ir_graph_free(g);
}

/* x -> a -> b -> out with a spare c using x; nodes created out of order. */
static void ir_toposort_orders_and_drops_dead(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *x = t_input(g, "x", IR_F32, "4");
	ir_value *in[2];
	ir_node *b = ir_node_new(g, "Add", "", "b", 2, 1);
	ir_node *c = t_node(g, "Relu", "c", 1, &x, 1);
	ir_node *a = t_node(g, "Relu", "a", 1, &x, 1);
	ir_node *dead = t_node(g, "Relu", "dead", 1, &x, 1);
	dead->dead = 1;
	in[0] = a->out[0];
	in[1] = c->out[0];
	b->in[0] = in[0];
	b->in[1] = in[1];
	ir_node_set_out(b, 0, ir_value_new(g, "b", IR_UNDEF));
	t_output(g, b->out[0]);
	ir_status st = {0};
	assert_int_equal(ir_graph_toposort(g, &st), 0);
	assert_int_equal(g->nnodes, 3);
	/* stable: c before a (original order), b last */
	assert_ptr_equal(g->nodes[0], c);
	assert_ptr_equal(g->nodes[1], a);
	assert_ptr_equal(g->nodes[2], b);
	ir_graph_free(g);
}

static void ir_toposort_cycle_and_undefined(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *x = t_input(g, "x", IR_F32, "4");
	ir_value *in[2] = {x, NULL};
	ir_node *p = t_node(g, "Add", "p", 2, in, 1);
	ir_node *q = t_node(g, "Relu", "q", 1, &p->out[0], 1);
	p->in[1] = q->out[0];
	ir_status st = {0};
	assert_int_equal(ir_graph_toposort(g, &st), -1);
	assert_non_null(strstr(st.msg, "cycle"));
	ir_graph_free(g);

	g = ir_graph_new();
	ir_value *ghost = ir_value_new(g, "ghost", IR_F32);
	t_node(g, "Relu", "r", 1, &ghost, 1);
	memset(&st, 0, sizeof st);
	assert_int_equal(ir_graph_toposort(g, &st), -1);
	assert_non_null(strstr(st.msg, "ghost"));
	ir_graph_free(g);
}

static void ir_replace_and_count_uses(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *x = t_input(g, "x", IR_F32, "4");
	ir_value *y = t_input(g, "y", IR_F32, "4");
	ir_value *in[2] = {x, x};
	ir_node *a = t_node(g, "Add", "a", 2, in, 1);
	ir_node *r = t_node(g, "Relu", "r", 1, &x, 1);
	t_output(g, x);
	assert_int_equal(ir_value_uses(g, x), 4);
	r->dead = 1;
	assert_int_equal(ir_value_uses(g, x), 3);
	ir_replace_uses(g, x, y);
	assert_ptr_equal(a->in[0], y);
	assert_ptr_equal(a->in[1], y);
	assert_ptr_equal(g->outputs[0], y);
	assert_true(y->is_output);
	assert_false(x->is_output);
	assert_int_equal(ir_value_uses(g, x), 0);
	ir_graph_free(g);
}

/* A small MLP: the printed text is checked line by line. */
static ir_graph *mlp(void)
{
	ir_graph *g = ir_graph_new();
	ir_value *x = t_input(g, "input", IR_F32, "N,100");
	ir_value *in[3] = {x, t_f32(g, "fc1.weight", "256,100"), t_f32(g, "fc1.bias", "256")};
	ir_node *fc = t_node(g, "Gemm", "y", 3, in, 1);
	t_attr_i(g, fc, "transB", 1);
	ir_node_add_attr(g, fc, "beta", IR_ATTR_FLOAT)->f = 1;
	ir_node_add_attr(g, fc, "alpha", IR_ATTR_FLOAT)->f = 1;
	ir_node *dr = t_node(g, "Dropout", "d", 1, &fc->out[0], 1);
	dr->stochastic = 1;
	ir_value *sh = t_ints(g, "shape", 2, 0LL, -1LL);
	ir_value *rin[2] = {dr->out[0], sh};
	ir_node *rs = t_node(g, "Reshape", "out", 2, rin, 1);
	t_output(g, rs->out[0]);
	return g;
}

static void ir_print_text_form(void **state)
{
	ir_graph *g = mlp();
	ir_status st = {0};
	assert_int_equal(ir_graph_toposort(g, &st), 0);
	assert_int_equal(ir_infer_shapes(g, &st), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ir_print(g, f);
	fclose(f);
	assert_non_null(strstr(buf, "input  %input: f32[N,100]\n"));
	assert_non_null(strstr(buf, "const  %fc1.weight: f32[256,100]\n"));
	assert_non_null(strstr(buf, "const  %shape: i64[2] = [0,-1]\n"));
	assert_non_null(strstr(buf, "%y: f32[N,256] = Gemm(%input, %fc1.weight, "
			       "%fc1.bias) {alpha=1, beta=1, transB=1}\n"));
	assert_non_null(strstr(buf, "%d: f32[N,256] = Dropout[stochastic](%y)\n"));
	assert_non_null(strstr(buf, "output %out: f32[N,256]\n"));
	/* inputs come first, outputs last */
	assert_true(strstr(buf, "input ") == buf);
	assert_string_equal(buf + len - strlen("output %out: f32[N,256]\n"),
			    "output %out: f32[N,256]\n");
	free(buf);
	buf = NULL;
	f = open_memstream(&buf, &len);
	ir_print_dot(g, f);
	fclose(f);
	assert_true(strncmp(buf, "digraph", 7) == 0);
	assert_non_null(strstr(buf, "Gemm"));
	assert_non_null(strstr(buf, "->"));
	free(buf);
	ir_graph_free(g);
}

static void ir_verify_accepts_and_rejects(void **state)
{
	ir_status st = {0};
	ir_graph *g = mlp();
	/* before inference values are untyped */
	assert_int_equal(ir_graph_toposort(g, &st), 0);
	assert_int_equal(ir_verify(g, &st), -1);
	assert_non_null(strstr(st.msg, "type"));
	assert_int_equal(ir_infer_shapes(g, &st), 0);
	assert_int_equal(ir_verify(g, &st), 0);
	/* use before definition: swap the first two nodes */
	ir_node *t = g->nodes[0];
	g->nodes[0] = g->nodes[1];
	g->nodes[1] = t;
	assert_int_equal(ir_verify(g, &st), -1);
	assert_non_null(strstr(st.msg, "before it is defined"));
	g->nodes[1] = g->nodes[0];
	g->nodes[0] = t;
	/* broken producer link */
	ir_value *y = g->nodes[0]->out[0];
	y->out_index = 3;
	assert_int_equal(ir_verify(g, &st), -1);
	assert_non_null(strstr(st.msg, "point back"));
	y->out_index = 0;
	/* output whose producer is removed */
	g->nodes[2]->dead = 1;
	assert_int_equal(ir_verify(g, &st), -1);
	assert_non_null(strstr(st.msg, "out"));
	ir_graph_free(g);
}

static void ir_fail_formats(void **state)
{
	ir_status st = {0};
	assert_int_equal(ir_fail(&st, "node %s: %d", "x", 42), -1);
	assert_string_equal(st.msg, "node x: 42");
	assert_int_not_equal(st.code, 0);
	assert_int_equal(ir_fail(NULL, "dropped"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ir_arena_alignment_and_zeroing),
		cmocka_unit_test(ir_dtype_table),
		cmocka_unit_test(ir_values_unique_names_and_find),
		cmocka_unit_test(ir_nodes_and_attrs),
		cmocka_unit_test(ir_const_copies_data),
		cmocka_unit_test(ir_toposort_orders_and_drops_dead),
		cmocka_unit_test(ir_toposort_cycle_and_undefined),
		cmocka_unit_test(ir_replace_and_count_uses),
		cmocka_unit_test(ir_print_text_form),
		cmocka_unit_test(ir_verify_accepts_and_rejects),
		cmocka_unit_test(ir_fail_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
