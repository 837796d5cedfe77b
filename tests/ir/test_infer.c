/* test_infer.c — cmocka tests for shape/dtype inference: broadcasting,
 * symbolic batch dims through Gemm/Flatten/Reshape (incl. a Shape chain),
 * Conv/pool geometry against hand-computed sizes, opset-dependent
 * attributes-vs-inputs, error messages, and hook coverage of ops.def. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "helpers.h"

static ir_status st;

static int run(ir_graph *g)
{
	memset(&st, 0, sizeof st);
	if (ir_graph_toposort(g, &st))
		return -1;
	int rc = ir_infer_shapes(g, &st);
	if (rc && getenv("IR_TEST_VERBOSE"))
		fprintf(stderr, "infer: %s\n", st.msg);
	return rc;
}

/* Expects inference to fail with a message containing want. */
static void expect_fail(ir_graph *g, const char *want)
{
	assert_int_equal(run(g), -1);
	if (!strstr(st.msg, want))
		fail_msg("message '%s' lacks '%s'", st.msg, want);
	ir_graph_free(g);
}

static ir_node *unary(ir_graph *g, const char *op, ir_value *x)
{
	return t_node(g, op, "u", 1, &x, 1);
}

static ir_node *binary(ir_graph *g, const char *op, ir_value *a, ir_value *b)
{
	ir_value *in[2] = {a, b};
	return t_node(g, op, op, 2, in, 1);
}

static void ir_infer_every_op_has_hook(void **state)
{
	for (int i = 0; i < IR_OP_COUNT; i++) {
		assert_non_null(ir_ops[i].name);
		if (!ir_ops[i].infer)
			fail_msg("op %s has no inference hook", ir_ops[i].name);
		/* kiln's own ops (passes make them) cannot be named by a model */
		assert_int_equal(ir_op_lookup(ir_ops[i].name),
				 i < IR_OP_KilnMcCollect ? i : IR_OP_UNKNOWN);
	}
}

static void ir_infer_broadcast(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *a = t_input(g, "a", IR_F32, "N,1,5");
	ir_value *b = t_input(g, "b", IR_F32, "3,1");
	ir_value *c = t_input(g, "c", IR_F32, "N,3,5");
	ir_node *add = binary(g, "Add", a, b);
	ir_node *mul = binary(g, "Mul", add->out[0], c);
	ir_node *eq = binary(g, "Equal", a, b);
	ir_value *vin[3] = {a, b, t_input(g, "s", IR_F32, "")};
	ir_node *mx = t_node(g, "Max", "mx", 3, vin, 1);
	ir_value *win[3] = {eq->out[0], a, b};
	ir_node *wh = t_node(g, "Where", "wh", 3, win, 1);
	assert_int_equal(run(g), 0);
	assert_string_equal(ty(add->out[0]), "f32[N,3,5]");
	assert_string_equal(ty(mul->out[0]), "f32[N,3,5]");
	assert_string_equal(ty(eq->out[0]), "bool[N,3,5]");
	assert_string_equal(ty(mx->out[0]), "f32[N,3,5]");
	assert_string_equal(ty(wh->out[0]), "f32[N,3,5]");
	ir_graph_free(g);

	g = ir_graph_new();
	binary(g, "Add", t_input(g, "a", IR_F32, "2,3"), t_input(g, "b", IR_F32, "4,3"));
	expect_fail(g, "cannot be broadcast");
	g = ir_graph_new();
	binary(g, "Add", t_input(g, "a", IR_F32, "2,3"), t_input(g, "b", IR_I64, "2,3"));
	expect_fail(g, "types differ");
}

static void ir_infer_unary_cast_reduce(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *x = t_input(g, "x", IR_F32, "N,4,6");
	ir_node *r = unary(g, "Relu", x);
	ir_node *c = unary(g, "Cast", x);
	t_attr_i(g, c, "to", IR_I32);
	ir_node *sm = unary(g, "Softmax", x);
	ir_node *rm = unary(g, "ReduceMean", x);
	t_attr_ints(g, rm, "axes", 2, 1LL, -1LL);
	ir_node *rk = unary(g, "ReduceMax", x);
	t_attr_ints(g, rk, "axes", 1, 2LL);
	t_attr_i(g, rk, "keepdims", 0);
	ir_value *sin[2] = {x, t_ints(g, "ax", 1, 1LL)};
	ir_node *rs = t_node(g, "ReduceSum", "rs", 2, sin, 1);
	ir_node *am = unary(g, "ArgMax", x);
	t_attr_i(g, am, "axis", 2);
	t_attr_i(g, am, "keepdims", 0);
	ir_node *nan = unary(g, "IsNaN", x);
	assert_int_equal(run(g), 0);
	assert_string_equal(ty(r->out[0]), "f32[N,4,6]");
	assert_string_equal(ty(c->out[0]), "i32[N,4,6]");
	assert_string_equal(ty(sm->out[0]), "f32[N,4,6]");
	assert_string_equal(ty(rm->out[0]), "f32[N,1,1]");
	assert_string_equal(ty(rk->out[0]), "f32[N,4]");
	assert_string_equal(ty(rs->out[0]), "f32[N,1,6]");
	assert_string_equal(ty(am->out[0]), "i64[N,4]");
	assert_string_equal(ty(nan->out[0]), "bool[N,4,6]");
	ir_graph_free(g);

	g = ir_graph_new();
	ir_node *bad = unary(g, "ReduceMean", t_input(g, "x", IR_F32, "2,3"));
	t_attr_ints(g, bad, "axes", 1, 5LL);
	expect_fail(g, "axis 5 out of range");
	g = ir_graph_new();
	ir_node *sm2 = unary(g, "Softmax", t_input(g, "x", IR_F32, "2,3"));
	t_attr_i(g, sm2, "axis", -3);
	expect_fail(g, "out of range");
	g = ir_graph_new();
	t_attr_i(g, unary(g, "Cast", t_input(g, "x", IR_F32, "2")), "to", 77);
	expect_fail(g, "'to'");
}

/* Gemm -> Flatten of [N,512,1,1] -> Reshape(shape = Concat(Unsqueeze(
 * Gather(Shape(x), 0)), [-1])), the pattern PyTorch exports for x.view(N,-1). */
static void ir_infer_symbolic_batch(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *x = t_input(g, "x", IR_F32, "N,512,1,1");
	ir_node *fl = unary(g, "Flatten", x);
	ir_value *gin[3] = {fl->out[0], t_f32(g, "w", "10,512"), t_f32(g, "b", "10")};
	ir_node *gm = t_node(g, "Gemm", "gm", 3, gin, 1);
	t_attr_i(g, gm, "transB", 1);
	ir_node *shp = unary(g, "Shape", x);
	ir_value *ga[2] = {shp->out[0], NULL};
	ir_shape scal = {0};
	int64_t zero = 0;
	ga[1] = ir_const_new(g, "zero", IR_I64, &scal, &zero);
	ir_node *gat = t_node(g, "Gather", "gat", 2, ga, 1);
	ir_value *ua[2] = {gat->out[0], t_ints(g, "ax0", 1, 0LL)};
	ir_node *uns = t_node(g, "Unsqueeze", "uns", 2, ua, 1);
	ir_value *ca[2] = {uns->out[0], t_ints(g, "m1", 1, -1LL)};
	ir_node *cat = t_node(g, "Concat", "cat", 2, ca, 1);
	t_attr_i(g, cat, "axis", 0);
	ir_value *ra[2] = {x, cat->out[0]};
	ir_node *rs = t_node(g, "Reshape", "rs", 2, ra, 1);
	ir_value *r2[2] = {x, t_ints(g, "s2", 3, 0LL, 256LL, -1LL)};
	ir_node *rs2 = t_node(g, "Reshape", "rs2", 2, r2, 1);
	ir_node *fl0 = unary(g, "Flatten", x);
	t_attr_i(g, fl0, "axis", 0);
	assert_int_equal(run(g), 0);
	assert_string_equal(ty(fl->out[0]), "f32[N,512]");
	assert_string_equal(ty(gm->out[0]), "f32[N,10]");
	assert_string_equal(ty(shp->out[0]), "i64[4]");
	assert_non_null(cat->out[0]->symdata);
	assert_string_equal(ty(rs->out[0]), "f32[N,512]");
	assert_string_equal(ty(rs2->out[0]), "f32[N,256,2]");
	assert_string_equal(ty(fl0->out[0]), "f32[1,512*N]");
	ir_graph_free(g);

	/* a shape computed from a real tensor is rejected with a clear message */
	g = ir_graph_new();
	ir_value *y = t_input(g, "y", IR_F32, "2,6");
	ir_value *r[2] = {y, t_input(g, "dyn", IR_I64, "2")};
	t_node(g, "Reshape", "r", 2, r, 1);
	expect_fail(g, "Reshape 'r': shape input 'dyn' is computed at run time; "
		    "kiln needs it constant");
	/* product of two symbolic dims */
	g = ir_graph_new();
	t_attr_i(g, unary(g, "Flatten", t_input(g, "z", IR_F32, "N,B,3")), "axis", 0);
	expect_fail(g, "two symbolic");
	g = ir_graph_new();
	ir_value *r3[2] = {t_input(g, "q", IR_F32, "2,6"), t_ints(g, "s", 2, 5LL, -1LL)};
	t_node(g, "Reshape", "r", 2, r3, 1);
	expect_fail(g, "do not divide");
}

static void ir_infer_matmul_gemm(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *a = t_input(g, "a", IR_F32, "N,3,4,5");
	ir_node *m1 = binary(g, "MatMul", a, t_input(g, "b", IR_F32, "5,7"));
	ir_node *m2 = binary(g, "MatMul", t_input(g, "v", IR_F32, "5"), t_input(g, "c", IR_F32, "2,5,6"));
	ir_node *m3 = binary(g, "MatMul", a, t_input(g, "w", IR_F32, "5"));
	ir_node *m4 = binary(g, "MatMul", t_input(g, "p", IR_F32, "1,4,5"), t_input(g, "q", IR_F32, "3,1,5,2"));
	ir_value *gi[2] = {t_input(g, "ga", IR_F32, "6,3"), t_input(g, "gb", IR_F32, "6,4")};
	ir_node *gm = t_node(g, "Gemm", "gm", 2, gi, 1);
	t_attr_i(g, gm, "transA", 1);
	assert_int_equal(run(g), 0);
	assert_string_equal(ty(m1->out[0]), "f32[N,3,4,7]");
	assert_string_equal(ty(m2->out[0]), "f32[2,6]");
	assert_string_equal(ty(m3->out[0]), "f32[N,3,4]");
	assert_string_equal(ty(m4->out[0]), "f32[3,1,4,2]");
	assert_string_equal(ty(gm->out[0]), "f32[3,4]");
	ir_graph_free(g);
	g = ir_graph_new();
	binary(g, "MatMul", t_input(g, "a", IR_F32, "3,4"), t_input(g, "b", IR_F32, "5,7"));
	expect_fail(g, "inner dimension mismatch (4 vs 5)");
}

/* out = floor((in + pads - ((k-1)*d + 1)) / s) + 1, computed by hand. */
static void ir_infer_conv_pool(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *x = t_input(g, "x", IR_F32, "N,3,224,224");
	ir_value *ci[3] = {x, t_f32(g, "w", "64,3,7,7"), t_f32(g, "b", "64")};
	ir_node *c1 = t_node(g, "Conv", "c1", 3, ci, 1);
	t_attr_ints(g, c1, "strides", 2, 2LL, 2LL);
	t_attr_ints(g, c1, "pads", 4, 3LL, 3LL, 3LL, 3LL);   /* (224+6-7)/2+1 = 112 */
	ir_node *mp = unary(g, "MaxPool", c1->out[0]);
	t_attr_ints(g, mp, "kernel_shape", 2, 3LL, 3LL);
	t_attr_ints(g, mp, "strides", 2, 2LL, 2LL);
	t_attr_ints(g, mp, "pads", 4, 1LL, 1LL, 1LL, 1LL);   /* (112+2-3)/2+1 = 56 */
	ir_value *di[2] = {mp->out[0], t_f32(g, "dw", "64,1,3,3")};
	ir_node *dw = t_node(g, "Conv", "dw", 2, di, 1);
	t_attr_i(g, dw, "group", 64);
	t_attr_ints(g, dw, "dilations", 2, 2LL, 2LL);        /* 56-5+1 = 52 */
	ir_value *si[2] = {dw->out[0], t_f32(g, "sw", "8,64,3,3")};
	ir_node *sm = t_node(g, "Conv", "sm", 2, si, 1);
	t_attr_s(g, sm, "auto_pad", "SAME_UPPER");
	t_attr_ints(g, sm, "strides", 2, 3LL, 3LL);          /* ceil(52/3) = 18 */
	ir_node *ap = unary(g, "AveragePool", sm->out[0]);
	t_attr_ints(g, ap, "kernel_shape", 2, 4LL, 4LL);
	t_attr_ints(g, ap, "strides", 2, 4LL, 4LL);
	t_attr_i(g, ap, "ceil_mode", 1);                     /* ceil(14/4)+1 = 5 */
	ir_node *gp = unary(g, "GlobalAveragePool", ap->out[0]);
	ir_node *mi = t_node(g, "MaxPool", "mi", 1, &x, 2);
	t_attr_ints(g, mi, "kernel_shape", 2, 2LL, 2LL);
	t_attr_s(g, mi, "auto_pad", "VALID");
	t_attr_ints(g, mi, "strides", 2, 3LL, 3LL);          /* (224-2)/3+1 = 75 */
	ir_value *c1d[2] = {t_input(g, "s", IR_F32, "1,2,10"), t_f32(g, "k", "4,2,3")};
	ir_node *conv1d = t_node(g, "Conv", "c1d", 2, c1d, 1);
	assert_int_equal(run(g), 0);
	assert_string_equal(ty(c1->out[0]), "f32[N,64,112,112]");
	assert_string_equal(ty(mp->out[0]), "f32[N,64,56,56]");
	assert_string_equal(ty(dw->out[0]), "f32[N,64,52,52]");
	assert_string_equal(ty(sm->out[0]), "f32[N,8,18,18]");
	assert_string_equal(ty(ap->out[0]), "f32[N,8,5,5]");
	assert_string_equal(ty(gp->out[0]), "f32[N,8,1,1]");
	assert_string_equal(ty(mi->out[0]), "f32[N,3,75,75]");
	assert_string_equal(ty(mi->out[1]), "i64[N,3,75,75]");
	assert_string_equal(ty(conv1d->out[0]), "f32[1,4,8]");
	ir_graph_free(g);

	g = ir_graph_new();
	ir_value *bi[2] = {t_input(g, "x", IR_F32, "1,3,8,8"), t_f32(g, "w", "4,5,3,3")};
	t_node(g, "Conv", "bad", 2, bi, 1);
	expect_fail(g, "Conv 'bad': input channels");
	g = ir_graph_new();
	ir_node *p = unary(g, "MaxPool", t_input(g, "x", IR_F32, "1,3,2,2"));
	t_attr_ints(g, p, "kernel_shape", 2, 5LL, 5LL);
	expect_fail(g, "kernel");
}

static void ir_infer_tensor_ops(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *x = t_input(g, "x", IR_F32, "N,4,6");
	ir_node *tr = unary(g, "Transpose", x);
	t_attr_ints(g, tr, "perm", 3, 0LL, 2LL, 1LL);
	ir_value *sl[5] = {x, t_ints(g, "st", 2, 1LL, -5LL), t_ints(g, "en", 2, 100LL, -1LL),
			   t_ints(g, "ax", 2, 2LL, 1LL), NULL};
	ir_node *s = t_node(g, "Slice", "s", 4, sl, 1);   /* dims 6->5, 4->3 */
	ir_value *rv[5] = {x, t_ints(g, "st2", 1, -1LL), t_ints(g, "en2", 1, -100LL),
			   t_ints(g, "ax2", 1, 2LL), t_ints(g, "sp2", 1, -2LL)};
	ir_node *rs = t_node(g, "Slice", "rs", 5, rv, 1);  /* 5,3,1 -> 3 */
	ir_value *sp[2] = {x, t_ints(g, "split", 2, 2LL, 4LL)};
	ir_node *spl = t_node(g, "Split", "spl", 2, sp, 2);
	t_attr_i(g, spl, "axis", -1);
	ir_value *cc[2] = {x, x};
	ir_node *cat = t_node(g, "Concat", "cat", 2, cc, 1);
	t_attr_i(g, cat, "axis", 0);
	ir_value *ex[2] = {t_input(g, "e", IR_F32, "4,1"), t_ints(g, "es", 3, 2LL, 1LL, 5LL)};
	ir_node *exp = t_node(g, "Expand", "exp", 2, ex, 1);
	ir_value *ti[2] = {x, t_ints(g, "rep", 3, 1LL, 2LL, 3LL)};
	ir_node *tile = t_node(g, "Tile", "tile", 2, ti, 1);
	ir_value *pd[2] = {x, t_ints(g, "pads", 6, 0LL, 1LL, 2LL, 0LL, 1LL, -1LL)};
	ir_node *pad = t_node(g, "Pad", "pad", 2, pd, 1);
	ir_value *gi[2] = {x, t_input(g, "idx", IR_I64, "2,3")};
	ir_node *gat = t_node(g, "Gather", "gat", 2, gi, 1);
	t_attr_i(g, gat, "axis", 1);
	ir_node *sq = unary(g, "Squeeze", t_input(g, "q", IR_F32, "1,3,1"));
	ir_node *cos = t_node(g, "ConstantOfShape", "cos", 1, (ir_value *[]){t_ints(g, "cs", 2, 2LL, 3LL)}, 1);
	ir_node *sz = unary(g, "Size", x);
	assert_int_equal(run(g), 0);
	assert_string_equal(ty(tr->out[0]), "f32[N,6,4]");
	assert_string_equal(ty(s->out[0]), "f32[N,3,5]");
	assert_string_equal(ty(rs->out[0]), "f32[N,4,3]");
	assert_string_equal(ty(spl->out[0]), "f32[N,4,2]");
	assert_string_equal(ty(spl->out[1]), "f32[N,4,4]");
	assert_string_equal(ty(cat->out[0]), "f32[2*N,4,6]");
	assert_string_equal(ty(exp->out[0]), "f32[2,4,5]");
	assert_string_equal(ty(tile->out[0]), "f32[N,8,18]");
	assert_string_equal(ty(pad->out[0]), "f32[N,6,7]");
	assert_string_equal(ty(gat->out[0]), "f32[N,2,3,6]");
	assert_string_equal(ty(sq->out[0]), "f32[3]");
	assert_string_equal(ty(cos->out[0]), "f32[2,3]");
	assert_string_equal(ty(sz->out[0]), "i64[]");
	ir_graph_free(g);
}

/* Attributes that became inputs: the opset decides which form is read. */
static void ir_infer_opset_forms(void **state)
{
	ir_graph *g = ir_graph_new();
	g->opset = 11;
	ir_value *x = t_input(g, "x", IR_F32, "3,4");
	ir_node *u = unary(g, "Unsqueeze", x);
	t_attr_ints(g, u, "axes", 2, 0LL, 3LL);
	ir_node *sl = unary(g, "Slice", t_input(g, "y", IR_F32, "10"));
	sl->opset = 9;
	t_attr_ints(g, sl, "starts", 1, 2LL);
	t_attr_ints(g, sl, "ends", 1, 7LL);
	ir_node *sp = t_node(g, "Split", "sp", 1, &x, 2);
	t_attr_ints(g, sp, "split", 2, 1LL, 3LL);
	t_attr_i(g, sp, "axis", 1);
	ir_node *dr = t_node(g, "Dropout", "dr", 1, &x, 2);
	dr->opset = 7;
	assert_int_equal(run(g), 0);
	assert_string_equal(ty(u->out[0]), "f32[1,3,4,1]");
	assert_string_equal(ty(sl->out[0]), "f32[5]");
	assert_string_equal(ty(sp->out[1]), "f32[3,3]");
	assert_string_equal(ty(dr->out[1]), "f32[3,4]");  /* opset 7 mask is T */
	ir_graph_free(g);

	g = ir_graph_new();  /* opset 17: axes is an input, attribute ignored */
	ir_node *u2 = unary(g, "Unsqueeze", t_input(g, "x", IR_F32, "3"));
	t_attr_ints(g, u2, "axes", 1, 0LL);
	expect_fail(g, "needs axes");
}

static void ir_infer_norms_dropout(void **state)
{
	ir_graph *g = ir_graph_new();
	ir_value *x = t_input(g, "x", IR_F32, "N,8,5,5");
	ir_value *bi[5] = {x, t_f32(g, "s", "8"), t_f32(g, "b", "8"), t_f32(g, "m", "8"),
			   t_f32(g, "v", "8")};
	ir_node *bn = t_node(g, "BatchNormalization", "bn", 5, bi, 3);
	ir_value *li[3] = {x, t_f32(g, "ls", "5,5"), NULL};
	ir_node *ln = t_node(g, "LayerNormalization", "ln", 2, li, 3);
	t_attr_i(g, ln, "axis", 2);
	ir_shape sc = {0};
	float ratio = 0.25f;
	uint8_t tm = 1;
	ir_value *di[3] = {x, ir_const_new(g, "ratio", IR_F32, &sc, &ratio),
			   ir_const_new(g, "tm", IR_BOOL, &sc, &tm)};
	ir_node *dr = t_node(g, "Dropout", "dr", 3, di, 2);
	assert_int_equal(run(g), 0);
	assert_string_equal(ty(bn->out[0]), "f32[N,8,5,5]");
	assert_string_equal(ty(bn->out[1]), "f32[8]");
	assert_string_equal(ty(bn->out[2]), "f32[8]");
	assert_string_equal(ty(ln->out[0]), "f32[N,8,5,5]");
	assert_string_equal(ty(ln->out[1]), "f32[N,8,1,1]");
	assert_string_equal(ty(dr->out[0]), "f32[N,8,5,5]");
	assert_string_equal(ty(dr->out[1]), "bool[N,8,5,5]");
	ir_graph_free(g);

	g = ir_graph_new();
	ir_value *b2[5] = {t_input(g, "x", IR_F32, "2,8,3"), t_f32(g, "s", "7"),
			   t_f32(g, "b", "8"), t_f32(g, "m", "8"), t_f32(g, "v", "8")};
	t_node(g, "BatchNormalization", "bn", 5, b2, 1);
	expect_fail(g, "must have shape [C]");
}

/* Hostile graphs: errors, never crashes. */
static void ir_infer_rejects_hostile(void **state)
{
	ir_graph *g = ir_graph_new();
	t_node(g, "FancyOp", "f", 1, (ir_value *[]){t_input(g, "x", IR_F32, "2")}, 1);
	expect_fail(g, "unsupported operator 'FancyOp' (node 'f')");

	g = ir_graph_new();
	ir_value *x = t_input(g, "x", IR_F32, "2,3");
	x->shape.d[1].c = -4;
	unary(g, "Relu", x);
	expect_fail(g, "negative dim");

	g = ir_graph_new();
	ir_value *u[2] = {t_input(g, "x", IR_F32, "1,1,1,1,1,1,1"),
			  t_ints(g, "ax", 2, 0LL, 1LL)};
	t_node(g, "Unsqueeze", "u", 2, u, 1);
	expect_fail(g, "exceeds");

	g = ir_graph_new();
	ir_node *tr = unary(g, "Transpose", t_input(g, "x", IR_F32, "2,3"));
	t_attr_ints(g, tr, "perm", 2, 0LL, 0LL);
	expect_fail(g, "permutation");

	g = ir_graph_new();
	ir_value *gi[2] = {t_input(g, "x", IR_F32, "2,3"), t_input(g, "i", IR_F32, "2")};
	t_node(g, "Gather", "g", 2, gi, 1);
	expect_fail(g, "indices must be");

	g = ir_graph_new();
	t_node(g, "Add", "a", 2, (ir_value *[]){t_input(g, "x", IR_F32, "2"), NULL}, 1);
	expect_fail(g, "has 1 inputs, expected 2");

	g = ir_graph_new();
	ir_value *sl[3] = {t_input(g, "x", IR_F32, "N,3"), t_ints(g, "s", 1, 1LL),
			   t_ints(g, "e", 1, 3LL)};
	t_node(g, "Slice", "sl", 3, sl, 1);
	expect_fail(g, "symbolic");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ir_infer_every_op_has_hook),
		cmocka_unit_test(ir_infer_broadcast),
		cmocka_unit_test(ir_infer_unary_cast_reduce),
		cmocka_unit_test(ir_infer_symbolic_batch),
		cmocka_unit_test(ir_infer_matmul_gemm),
		cmocka_unit_test(ir_infer_conv_pool),
		cmocka_unit_test(ir_infer_tensor_ops),
		cmocka_unit_test(ir_infer_opset_forms),
		cmocka_unit_test(ir_infer_norms_dropout),
		cmocka_unit_test(ir_infer_rejects_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
