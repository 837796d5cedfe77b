/* test_passes_dropout.c — pass_dropout over a table of Dropout
 * configurations (opset 1/6/7/10/12/13 x ratio form x training_mode form x
 * --mode / MC), each in every mask/output arrangement, plus the
 * BatchNormalization rewrite and the training-form warning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "build.h"
#include "passes.h"

enum { R_ATTR_DEFAULT, R_ATTR, R_ABSENT, R_CONST, R_RT };
enum { T_ABSENT, T_FALSE, T_TRUE, T_RT };
enum { E_ID, E_STOCH, E_STOCH_RT, E_ERROR };
/* mask arrangement: none, present but unused, used by a node, graph output */
enum { M_NONE, M_UNUSED, M_NODE, M_OUTPUT, M_COUNT };

typedef struct {
	int opset, is_test;      /* is_test -1: attribute absent */
	int rk;
	float ratio;
	int tk;
	pass_mode mode;
	int mc, expect, warn;
} dcase;

static const dcase cases[] = {
	{1, 1, R_ATTR_DEFAULT, 0, T_ABSENT, PASS_MODE_AUTO, 0, E_ID, 0},
	{1, 0, R_ATTR, .3f, T_ABSENT, PASS_MODE_AUTO, 0, E_STOCH, 1},
	{1, -1, R_ATTR_DEFAULT, 0, T_ABSENT, PASS_MODE_AUTO, 0, E_STOCH, 1},
	{1, 0, R_ATTR, .3f, T_ABSENT, PASS_MODE_INFERENCE, 0, E_ID, 0},
	{1, 1, R_ATTR, .3f, T_ABSENT, PASS_MODE_AUTO, 2, E_STOCH, 0},
	{6, 1, R_ATTR, .3f, T_ABSENT, PASS_MODE_TRAINING, 0, E_STOCH, 0},
	{6, 1, R_ATTR, .3f, T_ABSENT, PASS_MODE_AUTO, 0, E_ID, 0},
	{6, 0, R_ATTR, 0, T_ABSENT, PASS_MODE_AUTO, 0, E_ID, 0},
	{6, 0, R_ATTR, 1.5f, T_ABSENT, PASS_MODE_AUTO, 0, E_ERROR, 1},
	{7, -1, R_ATTR, .3f, T_ABSENT, PASS_MODE_AUTO, 0, E_ID, 0},
	{7, -1, R_ATTR, .3f, T_ABSENT, PASS_MODE_TRAINING, 0, E_STOCH, 0},
	{7, -1, R_ATTR_DEFAULT, 0, T_ABSENT, PASS_MODE_AUTO, 4, E_STOCH, 0},
	{10, -1, R_ATTR, .2f, T_ABSENT, PASS_MODE_AUTO, 0, E_ID, 0},
	{10, -1, R_ATTR, 1.5f, T_ABSENT, PASS_MODE_AUTO, 0, E_ID, 0},
	{10, -1, R_ATTR, 1.5f, T_ABSENT, PASS_MODE_TRAINING, 0, E_ERROR, 0},
	{10, -1, R_ATTR, 0, T_ABSENT, PASS_MODE_TRAINING, 0, E_ID, 0},
	{10, -1, R_ATTR, 0, T_ABSENT, PASS_MODE_AUTO, 3, E_ID, 0},
	{12, -1, R_ABSENT, 0, T_ABSENT, PASS_MODE_AUTO, 0, E_ID, 0},
	{12, -1, R_ABSENT, 0, T_TRUE, PASS_MODE_AUTO, 0, E_STOCH, 1},
	{12, -1, R_CONST, .3f, T_FALSE, PASS_MODE_AUTO, 0, E_ID, 0},
	{12, -1, R_CONST, .3f, T_FALSE, PASS_MODE_TRAINING, 0, E_STOCH, 0},
	{13, -1, R_CONST, 0, T_TRUE, PASS_MODE_AUTO, 0, E_ID, 0},
	{13, -1, R_CONST, 0, T_TRUE, PASS_MODE_TRAINING, 0, E_ID, 0},
	{13, -1, R_CONST, 0, T_RT, PASS_MODE_AUTO, 0, E_ID, 0},
	{13, -1, R_CONST, .3f, T_TRUE, PASS_MODE_AUTO, 0, E_STOCH, 1},
	{13, -1, R_CONST, .3f, T_TRUE, PASS_MODE_INFERENCE, 0, E_ID, 0},
	{13, -1, R_CONST, .3f, T_TRUE, PASS_MODE_AUTO, 8, E_STOCH, 0},
	{13, -1, R_CONST, 1.5f, T_TRUE, PASS_MODE_AUTO, 0, E_ERROR, 1},
	{13, -1, R_CONST, -.1f, T_TRUE, PASS_MODE_AUTO, 0, E_ERROR, 1},
	{13, -1, R_CONST, 1.5f, T_TRUE, PASS_MODE_INFERENCE, 0, E_ID, 0},
	{13, -1, R_CONST, 1.5f, T_RT, PASS_MODE_AUTO, 0, E_ERROR, 0},
	{13, -1, R_CONST, 1.0f, T_ABSENT, PASS_MODE_TRAINING, 0, E_ERROR, 0},
	{13, -1, R_CONST, .3f, T_RT, PASS_MODE_AUTO, 0, E_STOCH_RT, 0},
	{13, -1, R_CONST, .3f, T_RT, PASS_MODE_INFERENCE, 0, E_ID, 0},
	{13, -1, R_CONST, .3f, T_RT, PASS_MODE_TRAINING, 0, E_STOCH, 0},
	{13, -1, R_RT, 0, T_ABSENT, PASS_MODE_AUTO, 0, E_ID, 0},
	{13, -1, R_RT, 0, T_ABSENT, PASS_MODE_TRAINING, 0, E_STOCH, 0},
	{13, -1, R_RT, 0, T_TRUE, PASS_MODE_AUTO, 0, E_STOCH, 1},
	{13, -1, R_RT, 0, T_RT, PASS_MODE_AUTO, 0, E_STOCH_RT, 0},
	{13, -1, R_RT, 0, T_RT, PASS_MODE_INFERENCE, 0, E_ID, 0},
	{13, -1, R_RT, 0, T_RT, PASS_MODE_TRAINING, 0, E_STOCH, 0},
	{13, -1, R_RT, 0, T_RT, PASS_MODE_AUTO, 5, E_STOCH, 0},
	{13, -1, R_ABSENT, 0, T_FALSE, PASS_MODE_AUTO, 2, E_STOCH, 0},
};

/* ---- warning capture ---- */
typedef struct {
	int n;
	char last[1024];
} warns;

static void on_warn(void *ud, const char *msg)
{
	warns *w = ud;

	w->n++;
	snprintf(w->last, sizeof w->last, "%s", msg);
}

/* ---- one built graph ---- */
typedef struct {
	ir_graph *g;
	ir_value *x, *y, *m, *r, *t, *mask_user_out;
	ir_node *drop, *y_user, *m_user;
} dgraph;

static void build(dgraph *d, const dcase *c, int mask, int y_out)
{
	ir_graph *g = tb_graph(c->opset);
	ir_dtype mdt = c->opset >= 10 ? IR_BOOL : IR_F32;
	ir_value *in[3] = {0}, *out[2] = {0};

	memset(d, 0, sizeof *d);
	d->g = g;
	d->x = in[0] = tb_input(g, "x", IR_F32, "3,4,5");
	if (c->rk == R_CONST)
		d->r = tb_f32(g, "ratio", c->ratio);
	else if (c->rk == R_RT)
		d->r = tb_input(g, "ratio", IR_F32, "");
	if (c->tk == T_FALSE || c->tk == T_TRUE)
		d->t = tb_bool(g, "train", c->tk == T_TRUE);
	else if (c->tk == T_RT)
		d->t = tb_input(g, "train", IR_BOOL, "");
	in[1] = d->r;
	in[2] = d->t;
	d->y = out[0] = tb_value(g, "y", IR_F32, "3,4,5");
	if (mask != M_NONE)
		d->m = out[1] = tb_value(g, "m", mdt, "3,4,5");
	d->drop = tb_node(g, "Dropout", "drop", c->opset, c->opset >= 12 ? 3 : 1, in,
			  mask != M_NONE ? 2 : 1, out);
	if (c->is_test >= 0)
		tb_attr_int(g, d->drop, "is_test", c->is_test);
	if (c->rk == R_ATTR)
		tb_attr_float(g, d->drop, "ratio", c->ratio);
	if (y_out) {
		tb_output(g, d->y);
	} else {
		ir_value *ry = tb_value(g, "ry", IR_F32, "3,4,5");
		d->y_user = tb_node(g, "Relu", "relu", c->opset, 1, &d->y, 1, &ry);
		tb_output(g, ry);
	}
	if (mask == M_NODE) {
		d->mask_user_out = tb_value(g, "mu", mdt, "3,4,5");
		d->m_user = tb_node(g, mdt == IR_BOOL ? "Not" : "Neg", "mask_user",
				    c->opset, 1, &d->m, 1, &d->mask_user_out);
		tb_output(g, d->mask_user_out);
	} else if (mask == M_OUTPUT) {
		tb_output(g, d->m);
	}
}

static float expected_ratio(const dcase *c)
{
	return c->rk == R_ATTR_DEFAULT || c->rk == R_ABSENT ? 0.5f : c->ratio;
}

static void check_identity(const dgraph *d, int mask, int y_out)
{
	assert_int_equal(tb_count(d->g, IR_OP_Dropout), 0);
	if (y_out) {
		ir_node *id = tb_find(d->g, IR_OP_Identity);

		assert_non_null(id);
		assert_ptr_equal(id->in[0], d->x);
		assert_ptr_equal(id->out[0], d->y);
		assert_ptr_equal(d->y->producer, id);
		assert_ptr_equal(d->g->outputs[0], d->y);
	} else {
		assert_ptr_equal(d->y_user->in[0], d->x);
	}
	if (mask == M_NODE || mask == M_OUTPUT) {
		size_t sz = ir_dtype_size(d->m->dtype), i;
		const unsigned char *p = d->m->data;
		float one = 1.0f;

		assert_non_null(p);
		assert_null(d->m->producer);
		assert_int_equal(d->m->nbytes, 60 * sz);
		for (i = 0; i < 60; i++) {
			if (d->m->dtype == IR_BOOL)
				assert_int_equal(p[i], 1);
			else
				assert_memory_equal(p + 4 * i, &one, 4);
		}
		if (mask == M_NODE)
			assert_ptr_equal(d->m_user->in[0], d->m);
		else
			assert_ptr_equal(d->g->outputs[1], d->m);
	}
}

static void check_stochastic(const dgraph *d, const dcase *c, int mask)
{
	ir_node *n = tb_find(d->g, IR_OP_Dropout);
	float r;

	assert_non_null(n);
	assert_int_equal(n->stochastic, 1);
	assert_ptr_equal(n->in[0], d->x);
	assert_ptr_equal(n->out[0], d->y);
	if (c->opset < 12) {
		/* attribute form kept: ratio from the attribute, no inputs added */
		assert_int_equal(n->nin, 1);
		assert_float_equal(ir_attr_float(n, "ratio", 0.5f), expected_ratio(c), 1e-6);
	} else if (c->rk == R_RT) {
		assert_ptr_equal(n->in[1], d->r);
	} else {
		assert_non_null(n->in[1]);
		assert_int_equal(n->in[1]->dtype, IR_F32);
		assert_non_null(n->in[1]->data);
		memcpy(&r, n->in[1]->data, 4);
		assert_float_equal(r, expected_ratio(c), 1e-6);
	}
	if (c->expect == E_STOCH_RT)
		assert_ptr_equal(n->in[2], d->t);
	else
		assert_true(n->nin < 3 || n->in[2] == NULL);
	if (mask == M_NODE || mask == M_OUTPUT) {
		assert_ptr_equal(n->out[1], d->m);
		assert_ptr_equal(d->m->producer, n);
	} else if (n->nout > 1) {
		assert_null(n->out[1]);
	}
}

static void run_case(const dcase *c, int mask, int y_out)
{
	dgraph d;
	warns w = {0};
	pass_options o = {0};
	ir_status st = {0};
	int rc;

	o.mode = c->mode;
	o.mc_samples = c->mc;
	o.warn = on_warn;
	o.warn_ud = &w;
	build(&d, c, mask, y_out);
	rc = pass_dropout(d.g, &o, &st);
	if (c->expect == E_ERROR) {
		assert_int_not_equal(rc, 0);
		assert_non_null(strstr(st.msg, "'drop'"));
		assert_non_null(strstr(st.msg, "outside [0, 1)"));
	} else {
		if (rc)
			fail_msg("pass_dropout: %s", st.msg);
		if (c->expect == E_ID)
			check_identity(&d, mask, y_out);
		else
			check_stochastic(&d, c, mask);
	}
	assert_int_equal(w.n, c->warn);
	if (c->warn) {
		assert_non_null(strstr(w.last, "Dropout 'drop'"));
		assert_non_null(strstr(w.last, "--mode=inference"));
		assert_non_null(strstr(w.last, "--mode=training"));
	}
	ir_graph_free(d.g);
}

static void passes_dropout_table(void **state)
{
	size_t i;
	int mask, y_out;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (mask = 0; mask < M_COUNT; mask++)
			for (y_out = 0; y_out < 2; y_out++) {
				print_message("case %zu mask %d y_out %d\n", i, mask, y_out);
				run_case(&cases[i], mask, y_out);
			}
}

/* The seed attribute survives lowering (codegen reads it). */
static void passes_dropout_keeps_seed(void **state)
{
	dcase c = {13, -1, R_CONST, .25f, T_TRUE, PASS_MODE_AUTO, 0, E_STOCH, 1};
	pass_options o = {0};
	ir_status st = {0};
	dgraph d;

	build(&d, &c, M_NONE, 0);
	tb_attr_int(d.g, d.drop, "seed", 42);
	assert_int_equal(pass_dropout(d.g, &o, &st), 0);
	assert_int_equal(ir_attr_int(d.drop, "seed", -1), 42);
	ir_graph_free(d.g);
}

/* ---- BatchNormalization ---- */

static ir_node *build_bn(ir_graph *g, int opset, int nextra, int training_attr)
{
	ir_value *x = tb_input(g, "bx", IR_F32, "N,3,4,4");
	ir_value *in[5] = {x}, *out[5];
	const char *names[5] = {"bs", "bb", "bm", "bv"};
	ir_node *n;
	int i;

	for (i = 1; i < 5; i++)
		in[i] = tb_value(g, names[i - 1], IR_F32, "3");
	out[0] = tb_value(g, "by", IR_F32, "N,3,4,4");
	for (i = 1; i <= nextra; i++) {
		char nm[16];

		snprintf(nm, sizeof nm, "stat%d", i);
		out[i] = tb_value(g, nm, IR_F32, "3");
	}
	n = tb_node(g, "BatchNormalization", "bn", opset, 5, in, 1 + nextra, out);
	if (training_attr >= 0)
		tb_attr_int(g, n, "training_mode", training_attr);
	tb_output(g, out[0]);
	return n;
}

static void passes_bn_training_form(void **state)
{
	static const struct { int opset, nextra, attr, training; } bc[] = {
		{9, 4, -1, 1}, {9, 0, -1, 0}, {15, 2, 1, 1}, {15, 0, 1, 1},
		{15, 0, 0, 0}, {14, 2, 0, 1},
	};
	size_t i;
	int mode;

	for (i = 0; i < sizeof bc / sizeof bc[0]; i++)
		for (mode = 0; mode < 3; mode++) {
			ir_graph *g = tb_graph(bc[i].opset);
			ir_node *n = build_bn(g, bc[i].opset, bc[i].nextra, bc[i].attr);
			warns w = {0};
			pass_options o = {(pass_mode)mode, 0, 0, NULL, on_warn, &w};
			ir_status st = {0};
			int k;

			if (pass_dropout(g, &o, &st))
				fail_msg("case %zu: %s", i, st.msg);
			assert_false(n->dead);
			for (k = 1; k < n->nout; k++)
				assert_null(n->out[k]);
			assert_int_equal(ir_attr_int(n, "training_mode", 0), 0);
			assert_int_equal(w.n, bc[i].training && mode != PASS_MODE_INFERENCE);
			if (w.n)
				assert_non_null(strstr(w.last, "BatchNormalization 'bn'"));
			ir_graph_free(g);
		}
}

static void passes_bn_used_statistics_fail(void **state)
{
	ir_graph *g = tb_graph(15);
	ir_node *n = build_bn(g, 15, 2, 1);
	pass_options o = {PASS_MODE_INFERENCE};
	ir_status st = {0};

	tb_output(g, n->out[1]);
	assert_int_not_equal(pass_dropout(g, &o, &st), 0);
	assert_non_null(strstr(st.msg, "BatchNormalization 'bn'"));
	assert_non_null(strstr(st.msg, "stat1"));
	ir_graph_free(g);
}

/* One warning names both kinds of training node; no warning with a mode. */
static void passes_warning_names_all(void **state)
{
	dcase c = {13, -1, R_CONST, .3f, T_TRUE, PASS_MODE_AUTO, 0, E_STOCH, 1};
	warns w = {0};
	pass_options o = {PASS_MODE_AUTO, 0, 0, NULL, on_warn, &w};
	ir_status st = {0};
	dgraph d;

	build(&d, &c, M_NONE, 0);
	build_bn(d.g, 13, 4, -1);
	assert_int_equal(pass_dropout(d.g, &o, &st), 0);
	assert_int_equal(w.n, 1);
	assert_non_null(strstr(w.last, "Dropout 'drop'"));
	assert_non_null(strstr(w.last, "BatchNormalization 'bn'"));
	ir_graph_free(d.g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(passes_dropout_table),
		cmocka_unit_test(passes_dropout_keeps_seed),
		cmocka_unit_test(passes_bn_training_form),
		cmocka_unit_test(passes_bn_used_statistics_fail),
		cmocka_unit_test(passes_warning_names_all),
	};

	return cmocka_run_group_tests_name("passes_dropout", tests, NULL, NULL);
}
