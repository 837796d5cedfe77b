/* dropout.c — Dropout per DESIGN.md's "Dropout semantics" table:
 *   Y, M = Dropout(X, r, t) -> Y := X, M := true      (inactive: inference)
 *   Y, M = Dropout(X, r, t) -> Y, [M] = Dropout*(X, r, [t])  (stochastic)
 * Inactive means ratio constant 0, --mode=inference, or in AUTO mode a graph
 * that does not ask for training (opset < 7 with is_test = 1, opset 7-11,
 * opset >= 12 with training_mode absent or constant false). Otherwise the
 * node is marked n->stochastic (codegen applies dropout; only a run-time
 * in[2] can switch it off) and, at opset >= 12, normalised: in[1] always holds the ratio (the
 * graph's constant or run-time input, else a constant 0.5), in[2] is kept
 * only when AUTO mode leaves training_mode to a run-time input (NULL: always
 * train), and out[1] (mask) is NULL unless something uses it. An inactive
 * node's consumed mask becomes a constant all-true tensor of the input's
 * shape (Expand(true, Shape(X)) when that shape is symbolic); when Y is a
 * graph output the node becomes Identity so Y keeps its name. Also runs the
 * BatchNormalization rewrite (batchnorm.c) and warns, in AUTO mode, about a
 * graph exported in training mode. Preserves every value's dtype/shape. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct {
	int ratio_known;       /* ratio is a compile-time constant */
	double ratio;
	int train;             /* 0 no, 1 yes, 2 decided by a run-time input */
} drop_cfg;

enum { DROP_IDENTITY, DROP_TRAIN, DROP_TRAIN_RUNTIME };

static void dropout_read(const ir_node *n, drop_cfg *c)
{
	ir_value *r = n->nin > 1 ? n->in[1] : NULL;
	ir_value *t = n->nin > 2 ? n->in[2] : NULL;
	double tv;

	memset(c, 0, sizeof *c);
	if (n->opset < 12) {
		c->ratio_known = 1;
		c->ratio = ir_attr_float(n, "ratio", 0.5f);
		if (n->opset < 7)
			c->train = ir_attr_int(n, "is_test", 0) == 0;
		return;
	}
	c->ratio = 0.5;
	c->ratio_known = !r || pass_const_scalar(r, &c->ratio);
	if (!t)
		c->train = 0;
	else if (pass_const_scalar(t, &tv))
		c->train = tv != 0;
	else
		c->train = 2;
}

int pass_dropout_is_training(const ir_node *n)
{
	drop_cfg c;

	if (n->op != IR_OP_Dropout || n->dead)
		return 0;
	dropout_read(n, &c);
	return c.train == 1 && !(c.ratio_known && c.ratio == 0);
}

/* What the node becomes under options o. */
static int dropout_decide(const drop_cfg *c, const pass_options *o)
{
	if (c->ratio_known && c->ratio == 0)
		return DROP_IDENTITY;
	if (o->mc_samples > 0 || o->mode == PASS_MODE_TRAINING)
		return DROP_TRAIN;
	if (o->mode == PASS_MODE_INFERENCE || c->train == 0)
		return DROP_IDENTITY;
	return c->train == 1 ? DROP_TRAIN : DROP_TRAIN_RUNTIME;
}

/* Bytes of the value 1 / true in dtype t into buf; 0 when unsupported. */
static size_t one_bytes(ir_dtype t, unsigned char *buf)
{
	float f = 1.0f;
	double d = 1.0;
	uint16_t h;

	switch (t) {
	case IR_BOOL: case IR_U8: case IR_I8: buf[0] = 1; return 1;
	case IR_F32: memcpy(buf, &f, 4); return 4;
	case IR_F64: memcpy(buf, &d, 8); return 8;
	case IR_F16: h = 0x3c00; memcpy(buf, &h, 2); return 2;
	case IR_BF16: h = 0x3f80; memcpy(buf, &h, 2); return 2;
	default: return 0;
	}
}

/* mask := Expand(one, Shape(x)) for a symbolic shape. */
static int mask_expand(ir_graph *g, ir_node *n, ir_value *m, const unsigned char *one,
		       ir_status *st)
{
	ir_shape scalar = {0};
	char name[256];
	ir_node *sh, *ex;
	ir_value *s, *c;

	snprintf(name, sizeof name, "%s_shape", m->name);
	s = ir_value_new(g, name, IR_I64);
	snprintf(name, sizeof name, "%s_true", m->name);
	c = ir_const_new(g, name, m->dtype, &scalar, one);
	sh = ir_node_new(g, "Shape", "", "", 1, 1);
	ex = ir_node_new(g, "Expand", "", "", 2, 1);
	if (!s || !c || !sh || !ex)
		return ir_fail(st, "out of memory");
	sh->opset = ex->opset = g->opset;
	sh->in[0] = n->in[0];
	ir_node_set_out(sh, 0, s);
	ex->in[0] = c;
	ex->in[1] = s;
	pass_drop_output(n, 1);
	ir_node_set_out(ex, 0, m);
	/* type the new nodes; folding Shape gives Expand its (symbolic) dims */
	if (ir_ops[IR_OP_Shape].infer(g, sh, st) ||
	    (ir_ops[IR_OP_Shape].fold && ir_ops[IR_OP_Shape].fold(g, sh, st) < 0) ||
	    ir_ops[IR_OP_Expand].infer(g, ex, st))
		return -1;
	return 1;
}

/* Mask of an inactive Dropout: all true, or dropped when unused. Returns 1
 * when nodes were added, 0 when not, -1 on error. */
static int mask_true(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *m = n->nout > 1 ? n->out[1] : NULL, *x = n->in[0];
	unsigned char one[8], *buf;
	size_t sz, i;
	int64_t numel;
	char lb[200];
	int rc;

	if (!m)
		return 0;
	if (!pass_value_used(g, m)) {
		pass_drop_output(n, 1);
		return 0;
	}
	if (m->dtype == IR_UNDEF)
		m->dtype = n->opset >= 10 ? IR_BOOL : x->dtype;
	sz = one_bytes(m->dtype, one);
	if (!sz || !x->has_shape)
		return ir_fail(st, "%s: cannot make the mask of type %s constant",
			       pass_label(n, lb, sizeof lb), ir_dtype_name(m->dtype));
	m->has_shape = 1;
	m->shape = x->shape;
	if (!ir_shape_is_static(&x->shape))
		return mask_expand(g, n, m, one, st);
	numel = ir_shape_static_numel(&x->shape);
	buf = malloc(numel * sz + 1);
	if (!buf)
		return ir_fail(st, "out of memory");
	for (i = 0; i < (size_t)numel; i++)
		memcpy(buf + i * sz, one, sz);
	rc = pass_make_const(g, m, buf, numel * sz);
	free(buf);
	return rc ? ir_fail(st, "out of memory") : 0;
}

/* Y := X. Returns 1 when nodes were added, 0 when not, -1 on error. */
static int dropout_remove(ir_graph *g, ir_node *n, ir_status *st)
{
	ir_value *y = n->out[0];
	int added = mask_true(g, n, st);

	if (added < 0)
		return -1;
	if (y && y->is_output) {
		/* keep Y's name: Y = Identity(X); pass_identity may fold it away */
		n->op = IR_OP_Identity;
		n->op_type = "Identity";
		n->nin = 1;
		n->nout = 1;
		n->nattrs = 0;
		n->stochastic = 0;
		return added;
	}
	if (y)
		ir_replace_uses(g, y, n->in[0]);
	n->dead = 1;
	return added;
}

static int dropout_train(ir_graph *g, ir_node *n, const drop_cfg *c, int runtime,
			 ir_status *st)
{
	ir_value **in;
	ir_shape scalar = {0};
	float r = (float)c->ratio;
	char name[256], lb[200];

	if (c->ratio_known && !(c->ratio >= 0 && c->ratio < 1))
		return ir_fail(st, "%s: ratio %g is outside [0, 1)",
			       pass_label(n, lb, sizeof lb), c->ratio);
	if (n->nout > 1 && n->out[1] && !pass_value_used(g, n->out[1]))
		pass_drop_output(n, 1);
	n->stochastic = 1;
	if (n->opset < 12)
		return 0;     /* ratio stays in the attribute; always training */
	in = ir_alloc(g->arena, 3 * sizeof *in);
	if (!in)
		return ir_fail(st, "out of memory");
	in[0] = n->in[0];
	if (n->nin > 1 && n->in[1]) {
		in[1] = n->in[1];
	} else {
		snprintf(name, sizeof name, "%s_ratio", n->out[0] ? n->out[0]->name : "dropout");
		in[1] = ir_const_new(g, name, IR_F32, &scalar, &r);
		if (!in[1])
			return ir_fail(st, "out of memory");
	}
	in[2] = runtime ? n->in[2] : NULL;
	n->in = in;
	n->nin = 3;
	return 0;
}

/* One warning naming the nodes that make the graph a training graph. */
static void warn_training(ir_graph *g, const pass_options *o)
{
	char list[700] = "", lb[200];
	size_t len = 0;
	int i, count = 0, ndrop = 0;

	if (o->mode != PASS_MODE_AUTO || o->mc_samples > 0 || !o->warn)
		return;
	for (i = 0; i < g->nnodes; i++) {
		ir_node *n = g->nodes[i];
		int d = pass_dropout_is_training(n);

		if (n->dead || !(d || pass_bn_is_training(n)))
			continue;
		ndrop += d;
		if (count++ < 6 && len < sizeof list - 1)
			len += snprintf(list + len, sizeof list - len, "%s%s",
					count > 1 ? ", " : "", pass_label(n, lb, sizeof lb));
	}
	if (!count)
		return;
	pass_warn(o, "graph is in training form (%s%s): %s%s%s; pass --mode=inference "
		  "(what model.eval() means) or --mode=training to choose",
		  list, count > 6 ? ", ..." : "",
		  ndrop ? "Dropout stays stochastic" : "",
		  ndrop && count > ndrop ? " and " : "",
		  count > ndrop ? "BatchNormalization uses running statistics" : "");
}

int pass_dropout(ir_graph *g, const pass_options *o, ir_status *st)
{
	static const pass_options dflt;
	int i, nn = g->nnodes, added = 0, rc;

	if (!o)
		o = &dflt;
	warn_training(g, o);
	for (i = 0; i < nn; i++) {
		ir_node *n = g->nodes[i];
		drop_cfg c;
		int how;

		if (n->dead || n->op != IR_OP_Dropout || n->stochastic)
			continue;
		dropout_read(n, &c);
		how = dropout_decide(&c, o);
		if (how == DROP_IDENTITY)
			rc = dropout_remove(g, n, st);
		else
			rc = dropout_train(g, n, &c, how == DROP_TRAIN_RUNTIME, st);
		if (rc < 0)
			return -1;
		added |= rc;
	}
	if (pass_batchnorm(g, o, st))
		return -1;
	return added ? ir_graph_toposort(g, st) : 0;
}
