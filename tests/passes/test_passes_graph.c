/* test_passes_graph.c — pass_identity, pass_dce, pass_fold and the whole
 * pipeline on hand-built graphs: Identity removal and rewiring, dead-code
 * elimination, folding a PyTorch-style Shape->Gather->Unsqueeze->Concat->
 * Reshape chain over a symbolic batch, the symbolic-shape mask, and a golden
 * comparison of the printed IR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "build.h"
#include "passes.h"

static ir_node *unary(ir_graph *g, const char *op, const char *name, ir_value *x,
		      ir_value *y)
{
	return tb_node(g, op, name, g->opset, 1, &x, 1, &y);
}

static void run_ok(int (*fn)(ir_graph *, const pass_options *, ir_status *),
		   ir_graph *g, const pass_options *o)
{
	ir_status st = {0};

	if (fn(g, o, &st))
		fail_msg("pass failed: %s", st.msg);
}

/* ---- identity ---- */

static void passes_identity_removed(void **state)
{
	ir_graph *g = tb_graph(13);
	pass_options o = {0};
	ir_value *x = tb_input(g, "x", IR_F32, "2,3");
	ir_value *a = tb_value(g, "a", IR_F32, "2,3");
	ir_value *b = tb_value(g, "b", IR_F32, "2,3");
	ir_value *c = tb_value(g, "c", IR_F32, "2,3");
	ir_node *relu2;

	unary(g, "Relu", "r1", x, a);
	unary(g, "Identity", "id", a, b);
	relu2 = unary(g, "Relu", "r2", b, c);
	tb_output(g, c);
	run_ok(pass_identity, g, &o);
	assert_int_equal(tb_count(g, IR_OP_Identity), 0);
	assert_ptr_equal(relu2->in[0], a);
	ir_graph_free(g);
}

/* X = Relu(x); Y = Identity(X) with Y an output -> Y = Relu(x). */
static void passes_identity_output_rewired(void **state)
{
	ir_graph *g = tb_graph(13);
	pass_options o = {0};
	ir_value *x = tb_input(g, "x", IR_F32, "2,3");
	ir_value *a = tb_value(g, "a", IR_F32, "2,3");
	ir_value *b = tb_value(g, "b", IR_F32, "2,3");
	ir_value *y = tb_value(g, "y", IR_F32, "2,3");
	ir_node *relu, *neg;

	relu = unary(g, "Relu", "r", x, a);
	unary(g, "Identity", "id1", a, b);
	unary(g, "Identity", "id2", b, y);
	neg = unary(g, "Neg", "n", a, tb_value(g, "z", IR_F32, "2,3"));
	tb_output(g, y);
	tb_output(g, neg->out[0]);
	run_ok(pass_identity, g, &o);
	assert_int_equal(tb_count(g, IR_OP_Identity), 0);
	assert_ptr_equal(relu->out[0], y);
	assert_ptr_equal(y->producer, relu);
	assert_ptr_equal(neg->in[0], y);
	assert_ptr_equal(g->outputs[0], y);
	assert_string_equal(g->outputs[0]->name, "y");
	run_ok(pass_dce, g, &o);
	assert_int_equal(ir_graph_toposort(g, NULL), 0);
	assert_int_equal(ir_verify(g, NULL), 0);
	ir_graph_free(g);
}

/* Output = Identity(input) and Output2 = Identity(Output1) are kept. */
static void passes_identity_kept(void **state)
{
	ir_graph *g = tb_graph(13);
	pass_options o = {0};
	ir_value *x = tb_input(g, "x", IR_F32, "2");
	ir_value *y = tb_value(g, "y", IR_F32, "2");
	ir_value *a = tb_value(g, "a", IR_F32, "2");
	ir_value *b = tb_value(g, "b", IR_F32, "2");

	unary(g, "Identity", "id1", x, y);
	unary(g, "Relu", "r", x, a);
	unary(g, "Identity", "id2", a, b);
	tb_output(g, y);
	tb_output(g, a);
	tb_output(g, b);
	run_ok(pass_identity, g, &o);
	assert_int_equal(tb_count(g, IR_OP_Identity), 2);
	assert_ptr_equal(g->outputs[0], y);
	assert_ptr_equal(g->outputs[2], b);
	ir_graph_free(g);
}

/* ---- dce ---- */

static void passes_dce_unreachable(void **state)
{
	ir_graph *g = tb_graph(13);
	pass_options o = {0};
	ir_value *x = tb_input(g, "x", IR_F32, "4");
	ir_value *a = tb_value(g, "a", IR_F32, "4");
	ir_value *b = tb_value(g, "b", IR_F32, "4");
	ir_value *c = tb_value(g, "c", IR_F32, "4");
	ir_value *d = tb_value(g, "d", IR_F32, "4");
	ir_node *keep1, *keep2, *drop1, *drop2;

	keep1 = unary(g, "Relu", "k1", x, a);
	drop1 = unary(g, "Neg", "d1", a, b);
	drop2 = unary(g, "Abs", "d2", b, c);
	keep2 = unary(g, "Exp", "k2", a, d);
	tb_output(g, d);
	run_ok(pass_dce, g, &o);
	assert_false(keep1->dead);
	assert_false(keep2->dead);
	assert_true(drop1->dead);
	assert_true(drop2->dead);
	assert_int_equal(ir_graph_toposort(g, NULL), 0);
	assert_int_equal(g->nnodes, 2);
	ir_graph_free(g);
}

/* ---- folding ---- */

/* x: f32[<batch>,512,1,1]; y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])). */
static ir_graph *reshape_chain(const char *batch, ir_value **yp)
{
	ir_graph *g = tb_graph(13);
	char dims[64];
	int64_t zero = 0, minus1 = -1;
	ir_value *x, *s, *b, *u, *c, *y, *in[2];
	ir_node *gather;

	snprintf(dims, sizeof dims, "%s,512,1,1", batch);
	x = tb_input(g, "x", IR_F32, dims);
	s = tb_value(g, "s", IR_UNDEF, NULL);
	b = tb_value(g, "b", IR_UNDEF, NULL);
	u = tb_value(g, "u", IR_UNDEF, NULL);
	c = tb_value(g, "c", IR_UNDEF, NULL);
	y = tb_value(g, "y", IR_UNDEF, NULL);
	unary(g, "Shape", "shape", x, s);
	in[0] = s;
	in[1] = ir_const_new(g, "idx", IR_I64, &(ir_shape){0}, &zero);
	gather = tb_node(g, "Gather", "gather", 13, 2, in, 1, &b);
	tb_attr_int(g, gather, "axis", 0);
	in[0] = b;
	in[1] = tb_i64s(g, "axes", 1, &zero);
	tb_node(g, "Unsqueeze", "unsq", 13, 2, in, 1, &u);
	in[0] = u;
	in[1] = tb_i64s(g, "rest", 1, &minus1);
	tb_attr_int(g, tb_node(g, "Concat", "cat", 13, 2, in, 1, &c), "axis", 0);
	in[0] = x;
	in[1] = c;
	tb_node(g, "Reshape", "reshape", 13, 2, in, 1, &y);
	tb_output(g, y);
	*yp = y;
	return g;
}

static void check_i64(const ir_value *v, int n, const int64_t *want)
{
	assert_non_null(v->data);
	assert_int_equal(v->dtype, IR_I64);
	assert_int_equal(v->nbytes, 8 * (size_t)n);
	assert_memory_equal(v->data, want, 8 * (size_t)n);
}

static void passes_fold_reshape_symbolic(void **state)
{
	static const int64_t want[2] = {-1, 512};
	pass_options o = {.verify = 1};
	ir_status st = {0};
	ir_value *y;
	ir_graph *g = reshape_chain("N", &y);
	ir_node *r;

	if (pass_run_pipeline(g, &o, &st))
		fail_msg("pipeline: %s", st.msg);
	assert_int_equal(tb_count(g, IR_OP_COUNT), 1);
	r = tb_find(g, IR_OP_Reshape);
	assert_non_null(r);
	assert_int_equal(y->shape.rank, 2);
	assert_int_equal(y->shape.d[0].sym, ir_graph_sym(g, "N"));
	assert_int_equal(y->shape.d[0].c, 1);
	assert_true(ir_dim_eq(y->shape.d[1], ir_dim_const(512)));
	check_i64(r->in[1], 2, want);
	ir_graph_free(g);
}

/* Static batch: the whole chain folds; Reshape reads the folded Concat. */
static void passes_fold_reshape_static(void **state)
{
	static const int64_t want[2] = {6, -1};
	pass_options o = {.verify = 1};
	ir_status st = {0};
	ir_value *y;
	ir_graph *g = reshape_chain("6", &y);
	ir_node *r;

	if (pass_run_pipeline(g, &o, &st))
		fail_msg("pipeline: %s", st.msg);
	assert_int_equal(tb_count(g, IR_OP_COUNT), 1);
	r = tb_find(g, IR_OP_Reshape);
	assert_non_null(r);
	assert_true(ir_dim_eq(y->shape.d[0], ir_dim_const(6)));
	assert_true(ir_dim_eq(y->shape.d[1], ir_dim_const(512)));
	check_i64(r->in[1], 2, want);
	ir_graph_free(g);
}

/* c = Add(Mul(k1, k2), k3) over constants folds to one constant output. */
static void passes_fold_arith(void **state)
{
	static const int64_t k1[3] = {1, 2, 3}, k2[3] = {4, 5, 6}, k3[3] = {10, 20, 30};
	static const int64_t want[3] = {14, 30, 48};
	ir_graph *g = tb_graph(13);
	pass_options o = {.verify = 1};
	ir_status st = {0};
	ir_value *in[2], *m = tb_value(g, "m", IR_UNDEF, NULL);
	ir_value *c = tb_value(g, "c", IR_UNDEF, NULL);
	ir_value *x = tb_input(g, "x", IR_I64, "3"), *z = tb_value(g, "z", IR_UNDEF, NULL);

	in[0] = tb_i64s(g, "k1", 3, k1);
	in[1] = tb_i64s(g, "k2", 3, k2);
	tb_node(g, "Mul", "mul", 13, 2, in, 1, &m);
	in[0] = m;
	in[1] = tb_i64s(g, "k3", 3, k3);
	tb_node(g, "Add", "add", 13, 2, in, 1, &c);
	in[0] = x;
	in[1] = c;
	tb_node(g, "Add", "add2", 13, 2, in, 1, &z);
	tb_output(g, c);
	tb_output(g, z);
	if (pass_run_pipeline(g, &o, &st))
		fail_msg("pipeline: %s", st.msg);
	assert_int_equal(tb_count(g, IR_OP_COUNT), 1);
	assert_null(c->producer);
	check_i64(c, 3, want);
	assert_ptr_equal(tb_find(g, IR_OP_Add)->in[1], c);
	ir_graph_free(g);
}

/* ---- dropout through the pipeline ---- */

/* Inactive Dropout on f32[N,4] whose mask is an output: mask = Expand(true, Shape(x)). */
static void passes_pipeline_symbolic_mask(void **state)
{
	ir_graph *g = tb_graph(13);
	pass_options o = {.verify = 1};
	ir_status st = {0};
	ir_value *x = tb_input(g, "x", IR_F32, "N,4");
	ir_value *out[2] = {tb_value(g, "y", IR_UNDEF, NULL), tb_value(g, "m", IR_UNDEF, NULL)};
	ir_value *r = tb_value(g, "r", IR_UNDEF, NULL);
	ir_node *ex;

	tb_node(g, "Dropout", "drop", 13, 1, &x, 2, out);
	unary(g, "Relu", "relu", out[0], r);
	tb_output(g, r);
	tb_output(g, out[1]);
	if (pass_run_pipeline(g, &o, &st))
		fail_msg("pipeline: %s", st.msg);
	assert_int_equal(tb_count(g, IR_OP_Dropout), 0);
	assert_ptr_equal(tb_find(g, IR_OP_Relu)->in[0], x);
	ex = tb_find(g, IR_OP_Expand);
	assert_non_null(ex);
	assert_ptr_equal(ex->out[0], out[1]);
	assert_ptr_equal(tb_find(g, IR_OP_Shape)->in[0], x);
	assert_int_equal(out[1]->dtype, IR_BOOL);
	assert_int_equal(out[1]->shape.rank, 2);
	assert_int_equal(out[1]->shape.d[0].sym, 0);
	assert_int_equal(*(const unsigned char *)ex->in[0]->data, 1);
	ir_graph_free(g);
}

static const char golden_train[] =
	"input  %x: f32[N,4]\n"
	"const  %y_ratio: f32[] = [0.5]\n"
	"%y: f32[N,4], _ = Dropout[stochastic](%x, %y_ratio, _) {seed=7}\n"
	"%r: f32[N,4] = Relu(%y)\n"
	"output %r: f32[N,4]\n";

/* MC with T = 3: the Dropout draws 3 samples, Relu runs on all of them as one
 * batch, and the output becomes its mean and unbiased variance over samples. */
static const char golden_mc[] =
	"input  %x: f32[N,4]\n"
	"const  %y_ratio: f32[] = [0.5]\n"
	"const  %mc_axes: i64[1] = [0]\n"
	"const  %mc_scalar: f32[] = [0.5]\n"
	"%y: f32[3,N,4], _ = Dropout[stochastic](%x, %y_ratio, _) "
	"{kiln_mc_sampled_input=0, kiln_mc_samples=3, seed=7}\n"
	"%r: f32[3,N,4] = Relu[sampled](%y) {kiln_mc_sampled=1}\n"
	"%r_mean: f32[N,4] = ReduceMean(%r) {axes=[0], keepdims=0}\n"
	"%r_mc_dev: f32[3,N,4] = Sub(%r, %r_mean)\n"
	"%r_mc_sq: f32[3,N,4] = Mul(%r_mc_dev, %r_mc_dev)\n"
	"%r_mc_sumsq: f32[N,4] = ReduceSum(%r_mc_sq, %mc_axes) {keepdims=0}\n"
	"%r_var: f32[N,4] = Mul(%r_mc_sumsq, %mc_scalar)\n"
	"output %r_mean: f32[N,4]\n"
	"output %r_var: f32[N,4]\n";

static const char golden_infer[] =
	"input  %x: f32[N,4]\n"
	"%r: f32[N,4] = Relu(%x)\n"
	"output %r: f32[N,4]\n";

/* Golden text: Dropout(training_mode = true) -> Relu, per mode. */
static void passes_pipeline_golden(void **state)
{
	static const struct { pass_mode mode; int mc; const char *want; } c[] = {
		{PASS_MODE_AUTO, 0, golden_train}, {PASS_MODE_TRAINING, 0, golden_train},
		{PASS_MODE_AUTO, 3, golden_mc}, {PASS_MODE_INFERENCE, 0, golden_infer},
	};
	size_t i;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		ir_graph *g = tb_graph(13);
		pass_options o = {c[i].mode, c[i].mc, 1};
		ir_status st = {0};
		ir_value *x = tb_input(g, "x", IR_F32, "N,4");
		ir_value *in[3] = {x, NULL, tb_bool(g, "t", 1)};
		ir_value *out[2] = {tb_value(g, "y", IR_UNDEF, NULL), tb_value(g, "m", IR_UNDEF, NULL)};
		ir_value *r = tb_value(g, "r", IR_UNDEF, NULL);
		char *txt;

		tb_attr_int(g, tb_node(g, "Dropout", "drop", 13, 3, in, 2, out), "seed", 7);
		unary(g, "Relu", "relu", out[0], r);
		tb_output(g, r);
		if (pass_run_pipeline(g, &o, &st))
			fail_msg("pipeline: %s", st.msg);
		txt = tb_print(g);
		assert_string_equal(txt, c[i].want);
		free(txt);
		ir_graph_free(g);
	}
}

/* print_after prints a header and the IR after every pass. */
static void passes_pipeline_print_after(void **state)
{
	ir_value *y;
	ir_graph *g = reshape_chain("N", &y);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	pass_options o = {.print_after = f};
	ir_status st = {0};

	assert_int_equal(pass_run_pipeline(g, &o, &st), 0);
	fclose(f);
	assert_non_null(strstr(buf, "; after infer\n"));
	assert_non_null(strstr(buf, "; after dropout\n"));
	assert_non_null(strstr(buf, "; after fold\n"));
	assert_non_null(strstr(buf, "; after dce\n"));
	assert_non_null(strstr(buf, "Gather("));  /* still there before dce */
	free(buf);
	ir_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(passes_identity_removed),
		cmocka_unit_test(passes_identity_output_rewired),
		cmocka_unit_test(passes_identity_kept),
		cmocka_unit_test(passes_dce_unreachable),
		cmocka_unit_test(passes_fold_reshape_symbolic),
		cmocka_unit_test(passes_fold_reshape_static),
		cmocka_unit_test(passes_fold_arith),
		cmocka_unit_test(passes_pipeline_symbolic_mask),
		cmocka_unit_test(passes_pipeline_golden),
		cmocka_unit_test(passes_pipeline_print_after),
	};

	return cmocka_run_group_tests_name("passes_graph", tests, NULL, NULL);
}
