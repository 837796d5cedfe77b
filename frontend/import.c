/* import.c — ONNX ModelProto -> ir_graph. Decodes the model with protobuf-c,
 * resolves the default-domain opset, turns initializers and Constant nodes
 * into constant values, graph inputs into typed (possibly symbolic) inputs,
 * and every other node into an ir_node with its attributes. Names are
 * resolved through a hash table so hostile graphs stay linear. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "frontend.h"

#define S(x) ((x) ? (x) : "")
#define MAX_ATTRS 1024

typedef struct {
	ir_graph *g;
	const char *base_dir;
	ir_status *st;
	ir_value **tab;            /* open-addressing name table */
	size_t cap;                /* power of two */
	int64_t training_opset;    /* ai.onnx.preview.training version (1 if absent) */
} imp;

/* ---- name table ---- */

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static ir_value **tab_slot(imp *im, const char *name)
{
	size_t i = hash_str(name) & (im->cap - 1);
	while (im->tab[i] && strcmp(im->tab[i]->name, name) != 0)
		i = (i + 1) & (im->cap - 1);
	return &im->tab[i];
}

static ir_value *tab_find(imp *im, const char *name)
{
	return *tab_slot(im, name);
}

/* New graph value under exactly `name`; fails when the name is taken. */
static ir_value *def_value(imp *im, const char *name, ir_dtype t, const char *what)
{
	ir_value **slot = tab_slot(im, name);
	if (*slot) {
		ir_fail(im->st, "%s: value '%s' is defined twice", what, name);
		return NULL;
	}
	ir_value *v = ir_value_new(im->g, name, t);
	if (!v || strcmp(v->name, name) != 0) {
		ir_fail(im->st, "%s: cannot create value '%s'", what, name);
		return NULL;
	}
	*slot = v;
	return v;
}

static void *arena_alloc(void *ctx, size_t n)
{
	return ir_alloc((ir_arena *)ctx, n);
}

static char *node_label(const Onnx__NodeProto *np, size_t idx, char *buf, size_t len)
{
	if (np->name && *np->name)
		snprintf(buf, len, "node '%s'", np->name);
	else
		snprintf(buf, len, "node #%zu (%s)", idx, S(np->op_type));
	return buf;
}

/* ---- types and shapes ---- */

/* Index of a fresh symbol "unk__K" that no dim_param already uses. */
static int fresh_sym(imp *im)
{
	char name[32];
	for (int k = 0; k < 64; k++) {
		int taken = 0;
		snprintf(name, sizeof name, "unk__%d", k);
		for (int i = 0; i < im->g->nsyms; i++)
			taken |= !strcmp(im->g->syms[i], name);
		if (!taken)
			return ir_graph_sym(im->g, name);
	}
	return -1;
}

static int find_sym(const ir_graph *g, const char *name)
{
	for (int i = 0; i < g->nsyms; i++)
		if (!strcmp(g->syms[i], name))
			return i;
	return -1;
}

/* Fills v's shape from sp. Inputs (define=1) register new symbols; hints
 * (define=0) keep only shapes whose symbols are already known. */
static int set_shape(imp *im, ir_value *v, const Onnx__TensorShapeProto *sp,
		     int define, const char *what)
{
	if (sp->n_dim > IR_MAX_RANK)
		return ir_fail(im->st, "%s has rank %zu; kiln supports at most %d",
			       what, sp->n_dim, IR_MAX_RANK);
	ir_shape s = {.rank = (int)sp->n_dim};
	for (int i = 0; i < s.rank; i++) {
		const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];
		int sym;
		if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
			if (d->dim_value < 0)
				return ir_fail(im->st, "%s has negative dim %lld", what,
					       (long long)d->dim_value);
			s.d[i] = ir_dim_const(d->dim_value);
			continue;
		}
		if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
		    d->dim_param && *d->dim_param)
			sym = define ? ir_graph_sym(im->g, d->dim_param) : find_sym(im->g, d->dim_param);
		else
			sym = define ? fresh_sym(im) : -1;
		if (sym < 0 && define)
			return ir_fail(im->st, "%s: too many symbolic dims (kiln supports %d)",
				       what, IR_MAX_SYMS);
		if (sym < 0)
			return 0;   /* a hint with an unknown symbol: keep dtype only */
		s.d[i].c = 1;
		s.d[i].sym = sym;
	}
	v->shape = s;
	v->has_shape = 1;
	return 0;
}

/* Sets dtype/shape of v from a ValueInfo type. strict (graph inputs):
 * the type must be a tensor of a supported dtype. */
static int set_type(imp *im, ir_value *v, const Onnx__TypeProto *tp, int strict,
		    const char *what)
{
	if (!tp || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET)
		return strict ? ir_fail(im->st, "%s has no type", what) : 0;
	if (tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
		const char *k = tp->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE ? "a sequence" :
				tp->value_case == ONNX__TYPE_PROTO__VALUE_MAP_TYPE ? "a map" :
				tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE ? "an optional" :
				tp->value_case == ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE ? "a sparse tensor" :
				"not a tensor";
		return strict ? ir_fail(im->st, "%s is %s, which kiln does not support", what, k) : 0;
	}
	const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
	int64_t et = tt->has_elem_type ? tt->elem_type : 0;
	ir_dtype dt = onnx_dtype(et);
	if (dt == IR_UNDEF && (strict || et != 0))
		return ir_fail(im->st, "%s has element type %lld%s, which kiln does not support",
			       what, (long long)et, et == IR_STRING ? " (string)" : "");
	if (v->dtype == IR_UNDEF)
		v->dtype = dt;
	if (tt->shape && (strict || !v->has_shape))
		return set_shape(im, v, tt->shape, strict, what);
	return 0;
}

/* ---- constants ---- */

static int make_const(imp *im, ir_value *v, const onnx_dec_tensor *t)
{
	v->dtype = t->dtype;
	v->has_shape = 1;
	v->shape.rank = t->rank;
	for (int i = 0; i < t->rank; i++)
		v->shape.d[i] = ir_dim_const(t->dims[i]);
	v->data = t->data;
	v->nbytes = t->nbytes;
	return 0;
}

/* A TENSOR attribute: a constant value that is not in the graph's list. */
static ir_value *detached_const(imp *im, const Onnx__TensorProto *tp,
				const char *fallback, const char *what)
{
	onnx_dec_tensor t;
	if (onnx_decode_tensor(tp, im->base_dir, what, arena_alloc, im->g->arena, &t, im->st))
		return NULL;
	ir_value *v = ir_alloc(im->g->arena, sizeof *v);
	if (!v) {
		ir_fail(im->st, "%s: out of memory", what);
		return NULL;
	}
	v->name = ir_strdup(im->g->arena, tp->name && *tp->name ? tp->name : fallback);
	v->id = -1;
	make_const(im, v, &t);
	return v;
}

static int imp_initializers(imp *im, const Onnx__GraphProto *gp)
{
	char what[300];
	for (size_t i = 0; i < gp->n_initializer; i++) {
		const Onnx__TensorProto *tp = gp->initializer[i];
		const char *name = tp ? S(tp->name) : "";
		snprintf(what, sizeof what, "initializer '%s'", name);
		if (!*name)
			return ir_fail(im->st, "initializer #%zu has no name", i);
		onnx_dec_tensor t;
		if (onnx_decode_tensor(tp, im->base_dir, what, arena_alloc, im->g->arena, &t, im->st))
			return -1;
		ir_value *v = def_value(im, name, t.dtype, what);
		if (!v)
			return -1;
		make_const(im, v, &t);
	}
	return 0;
}

static int imp_inputs(imp *im, const Onnx__GraphProto *gp)
{
	char what[300];
	ir_graph *g = im->g;
	g->inputs = ir_alloc(g->arena, (gp->n_input + 1) * sizeof *g->inputs);
	if (!g->inputs)
		return ir_fail(im->st, "out of memory");
	for (size_t i = 0; i < gp->n_input; i++) {
		const Onnx__ValueInfoProto *vi = gp->input[i];
		const char *name = vi ? S(vi->name) : "";
		snprintf(what, sizeof what, "input '%s'", name);
		if (!*name)
			return ir_fail(im->st, "graph input #%zu has no name", i);
		ir_value *v = tab_find(im, name);
		if (v && v->data)
			continue;   /* an initializer: stays a constant */
		v = def_value(im, name, IR_UNDEF, what);
		if (!v || set_type(im, v, vi->type, 1, what))
			return -1;
		v->is_input = 1;
		g->inputs[g->ninputs++] = v;
	}
	return 0;
}

/* ---- Constant nodes ---- */

static int const_from_list(imp *im, ir_value *v, ir_dtype dt, const void *src,
			   size_t n, int scalar, const char *what)
{
	onnx_dec_tensor t = {.dtype = dt, .rank = scalar ? 0 : 1, .numel = n};
	t.dims[0] = (int64_t)n;
	t.nbytes = n * ir_dtype_size(dt);
	t.data = ir_alloc(im->g->arena, t.nbytes ? t.nbytes : 1);
	if (!t.data)
		return ir_fail(im->st, "%s: out of memory", what);
	if (t.nbytes)
		memcpy(t.data, src, t.nbytes);
	return make_const(im, v, &t);
}

static int imp_constant(imp *im, const Onnx__NodeProto *np, const char *what)
{
	if (np->n_output != 1 || !np->output[0] || !*np->output[0])
		return ir_fail(im->st, "%s: Constant must have exactly one named output", what);
	if (np->n_attribute != 1 || !np->attribute[0] || !np->attribute[0]->name)
		return ir_fail(im->st, "%s: Constant must have exactly one attribute", what);
	const Onnx__AttributeProto *a = np->attribute[0];
	const char *an = a->name;
	ir_value *v = def_value(im, np->output[0], IR_UNDEF, what);
	if (!v)
		return -1;
	if (!strcmp(an, "value") && a->t) {
		onnx_dec_tensor t;
		char tw[320];
		snprintf(tw, sizeof tw, "%.300s: value", what);
		if (onnx_decode_tensor(a->t, im->base_dir, tw, arena_alloc, im->g->arena, &t, im->st))
			return -1;
		return make_const(im, v, &t);
	}
	if (!strcmp(an, "value_float"))
		return const_from_list(im, v, IR_F32, &a->f, 1, 1, what);
	if (!strcmp(an, "value_int"))
		return const_from_list(im, v, IR_I64, &a->i, 1, 1, what);
	if (!strcmp(an, "value_floats"))
		return const_from_list(im, v, IR_F32, a->floats, a->n_floats, 0, what);
	if (!strcmp(an, "value_ints"))
		return const_from_list(im, v, IR_I64, a->ints, a->n_ints, 0, what);
	return ir_fail(im->st, "%s: Constant attribute '%s' is not supported by kiln", what, an);
}

/* ---- attributes ---- */

static int attr_kind(const Onnx__AttributeProto *a, ir_attr_kind *k)
{
	if (a->has_type) {
		if ((int)a->type < 1 || (int)a->type > (int)IR_ATTR_TYPE_PROTOS)
			return -1;
		*k = (ir_attr_kind)a->type;   /* ir_attr_kind is numbered as ONNX */
	} else if (a->t) *k = IR_ATTR_TENSOR;
	else if (a->g) *k = IR_ATTR_GRAPH;
	else if (a->n_floats) *k = IR_ATTR_FLOATS;
	else if (a->n_ints) *k = IR_ATTR_INTS;
	else if (a->n_strings) *k = IR_ATTR_STRINGS;
	else if (a->n_tensors) *k = IR_ATTR_TENSORS;
	else if (a->has_f) *k = IR_ATTR_FLOAT;
	else if (a->has_i) *k = IR_ATTR_INT;
	else if (a->has_s) *k = IR_ATTR_STRING;
	else return -1;
	return 0;
}

static int attr_lists(imp *im, ir_attr *at, const Onnx__AttributeProto *a, const char *what)
{
	ir_arena *ar = im->g->arena;
	size_t n = at->kind == IR_ATTR_FLOATS ? a->n_floats : at->kind == IR_ATTR_INTS ? a->n_ints :
		   at->kind == IR_ATTR_STRINGS ? a->n_strings : a->n_tensors;
	if (n > INT_MAX / 16)
		return ir_fail(im->st, "%s has too many elements", what);
	at->n = (int)n;
	if (at->kind == IR_ATTR_FLOATS) {
		at->floats = ir_alloc(ar, n * sizeof(float) + 1);
		if (at->floats && n)
			memcpy(at->floats, a->floats, n * sizeof(float));
		return at->floats ? 0 : ir_fail(im->st, "%s: out of memory", what);
	}
	if (at->kind == IR_ATTR_INTS) {
		at->ints = ir_alloc(ar, n * sizeof(int64_t) + 1);
		if (at->ints && n)
			memcpy(at->ints, a->ints, n * sizeof(int64_t));
		return at->ints ? 0 : ir_fail(im->st, "%s: out of memory", what);
	}
	if (at->kind == IR_ATTR_STRINGS) {
		at->strings = ir_alloc(ar, (n + 1) * sizeof(char *));
		if (!at->strings)
			return ir_fail(im->st, "%s: out of memory", what);
		for (size_t i = 0; i < n; i++)
			if (!(at->strings[i] = ir_strndup(ar, (const char *)a->strings[i].data,
							  a->strings[i].len)))
				return ir_fail(im->st, "%s: out of memory", what);
		return 0;
	}
	at->ts = ir_alloc(ar, (n + 1) * sizeof(ir_value *));
	if (!at->ts)
		return ir_fail(im->st, "%s: out of memory", what);
	for (size_t i = 0; i < n; i++)
		if (!(at->ts[i] = detached_const(im, a->tensors[i], at->name, what)))
			return -1;
	return 0;
}

static int imp_attr(imp *im, ir_node *n, const Onnx__AttributeProto *a, const char *label)
{
	char what[400];
	ir_attr_kind k;
	if (!a || !a->name || !*a->name)
		return ir_fail(im->st, "%s has an attribute without a name", label);
	snprintf(what, sizeof what, "%s attribute '%s'", label, a->name);
	if (a->ref_attr_name && *a->ref_attr_name)
		return ir_fail(im->st, "%s refers to a function attribute outside a function", what);
	if (attr_kind(a, &k))
		return ir_fail(im->st, "%s has an unknown or missing type", what);
	ir_attr *at = ir_node_add_attr(im->g, n, a->name, k);
	if (!at)
		return ir_fail(im->st, "%s: out of memory", what);
	switch (k) {
	case IR_ATTR_FLOAT: at->f = a->f; return 0;
	case IR_ATTR_INT: at->i = a->i; return 0;
	case IR_ATTR_STRING:
		at->s = ir_strndup(im->g->arena, a->s.data ? (const char *)a->s.data : "", a->s.len);
		at->slen = a->s.len;
		return at->s ? 0 : ir_fail(im->st, "%s: out of memory", what);
	case IR_ATTR_TENSOR:
		if (!a->t)
			return ir_fail(im->st, "%s is a tensor attribute without a tensor", what);
		at->t = detached_const(im, a->t, a->name, what);
		return at->t ? 0 : -1;
	case IR_ATTR_FLOATS: case IR_ATTR_INTS: case IR_ATTR_STRINGS: case IR_ATTR_TENSORS:
		return attr_lists(im, at, a, what);
	default:
		return 0;   /* graphs, sparse tensors, type protos: kind only */
	}
}

/* ---- nodes ---- */

static int is_default_domain(const char *d)
{
	return !d || !*d || !strcmp(d, "ai.onnx");
}

/* The one non-default domain kiln accepts, for its optimizer ops only. */
#define TRAINING_DOMAIN "ai.onnx.preview.training"

static int is_training_op(const char *domain, const char *op_type)
{
	return domain && !strcmp(domain, TRAINING_DOMAIN) && op_type &&
	       (!strcmp(op_type, "Adam") || !strcmp(op_type, "Adagrad") ||
		!strcmp(op_type, "Momentum"));
}

/* Pass 1: checks the domain, creates the node and its output values (or
 * the constant for a Constant node, then *out stays NULL). */
static int imp_node_defs(imp *im, const Onnx__NodeProto *np, size_t idx, ir_node **out)
{
	char label[300];
	node_label(np, idx, label, sizeof label);
	*out = NULL;
	int training = is_training_op(np->domain, np->op_type);
	if (!is_default_domain(np->domain) && !training)
		return ir_fail(im->st, "%s uses domain '%s', which kiln does not support",
			       label, np->domain);
	if (!np->op_type || !*np->op_type)
		return ir_fail(im->st, "%s has no op_type", label);
	if (!strcmp(np->op_type, "Constant"))
		return imp_constant(im, np, label);
	if (np->n_input > INT_MAX / 16 || np->n_output > INT_MAX / 16)
		return ir_fail(im->st, "%s has too many inputs or outputs", label);
	/* ir_node_add_attr copies the array per attribute: keep that bounded */
	if (np->n_attribute > MAX_ATTRS)
		return ir_fail(im->st, "%s has %zu attributes; kiln supports at most %d",
			       label, np->n_attribute, MAX_ATTRS);
	ir_node *n = ir_node_new(im->g, np->op_type, training ? TRAINING_DOMAIN : "",
				 S(np->name), (int)np->n_input, (int)np->n_output);
	if (!n)
		return ir_fail(im->st, "%s: out of memory", label);
	n->opset = training ? im->training_opset : im->g->opset;
	if (training)   /* ir_node_new maps default-domain op_types only */
		n->op = ir_op_lookup(np->op_type);
	for (size_t i = 0; i < np->n_output; i++) {
		const char *on = S(np->output[i]);
		if (!*on)
			continue;
		ir_value *v = def_value(im, on, IR_UNDEF, label);
		if (!v)
			return -1;
		ir_node_set_out(n, (int)i, v);
	}
	*out = n;
	return 0;
}

/* Pass 2: resolves inputs by name and decodes attributes. */
static int imp_node_uses(imp *im, const Onnx__NodeProto *np, size_t idx, ir_node *n)
{
	char label[300];
	node_label(np, idx, label, sizeof label);
	for (size_t i = 0; i < np->n_input; i++) {
		const char *in = S(np->input[i]);
		if (!*in)
			continue;
		ir_value *v = tab_find(im, in);
		if (!v)
			return ir_fail(im->st, "%s: input '%s' is not defined in the graph", label, in);
		n->in[i] = v;
	}
	for (size_t i = 0; i < np->n_attribute; i++)
		if (imp_attr(im, n, np->attribute[i], label))
			return -1;
	return 0;
}

static int imp_nodes(imp *im, const Onnx__GraphProto *gp)
{
	ir_node **nodes = calloc(gp->n_node + 1, sizeof *nodes);
	int rc = nodes ? 0 : ir_fail(im->st, "out of memory");
	for (size_t i = 0; rc == 0 && i < gp->n_node; i++)
		rc = gp->node[i] ? imp_node_defs(im, gp->node[i], i, &nodes[i])
				 : ir_fail(im->st, "node #%zu is empty", i);
	for (size_t i = 0; rc == 0 && i < gp->n_node; i++)
		if (nodes[i])
			rc = imp_node_uses(im, gp->node[i], i, nodes[i]);
	free(nodes);
	return rc;
}

/* ---- outputs, value_info ---- */

static int imp_outputs(imp *im, const Onnx__GraphProto *gp)
{
	char what[300];
	ir_graph *g = im->g;
	g->outputs = ir_alloc(g->arena, (gp->n_output + 1) * sizeof *g->outputs);
	if (!g->outputs)
		return ir_fail(im->st, "out of memory");
	for (size_t i = 0; i < gp->n_output; i++) {
		const Onnx__ValueInfoProto *vi = gp->output[i];
		const char *name = vi ? S(vi->name) : "";
		snprintf(what, sizeof what, "output '%s'", name);
		ir_value *v = *name ? tab_find(im, name) : NULL;
		if (!v)
			return ir_fail(im->st, "graph output '%s' is not produced by any node or input", name);
		if (!v->is_input && !v->data && set_type(im, v, vi->type, 0, what))
			return -1;
		v->is_output = 1;
		g->outputs[g->noutputs++] = v;
	}
	return 0;
}

static int imp_value_info(imp *im, const Onnx__GraphProto *gp)
{
	char what[300];
	for (size_t i = 0; i < gp->n_value_info; i++) {
		const Onnx__ValueInfoProto *vi = gp->value_info[i];
		ir_value *v = vi && vi->name ? tab_find(im, vi->name) : NULL;
		if (!v || v->is_input || v->data)
			continue;
		snprintf(what, sizeof what, "value_info '%s'", vi->name);
		if (set_type(im, v, vi->type, 0, what))
			return -1;
	}
	return 0;
}

/* ---- model ---- */

static int imp_opsets(imp *im, const Onnx__ModelProto *m)
{
	im->g->opset = 1;   /* models without opset_import predate opsets: 1 */
	im->training_opset = 1;
	for (size_t i = 0; i < m->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *o = m->opset_import[i];
		if (o && o->domain && !strcmp(o->domain, TRAINING_DOMAIN) && o->has_version)
			im->training_opset = o->version;
		if (o && is_default_domain(o->domain)) {
			if (!o->has_version || o->version < 1)
				return ir_fail(im->st, "default-domain opset version is missing or invalid");
			im->g->opset = o->version;
		}
	}
	return 0;
}

static int imp_graph(imp *im, const Onnx__ModelProto *m)
{
	const Onnx__GraphProto *gp = m->graph;
	if (!gp)
		return ir_fail(im->st, "model has no graph");
	if (gp->n_sparse_initializer)
		return ir_fail(im->st, "sparse initializers are not supported by kiln");
	size_t nvals = gp->n_initializer + gp->n_input;
	for (size_t i = 0; i < gp->n_node; i++)
		nvals += gp->node[i] ? gp->node[i]->n_output : 0;
	im->cap = 64;
	while (im->cap < 2 * nvals)
		im->cap *= 2;
	im->tab = calloc(im->cap, sizeof *im->tab);
	if (!im->tab)
		return ir_fail(im->st, "out of memory");
	im->g->name = ir_strdup(im->g->arena, S(gp->name));
	if (imp_opsets(im, m) || imp_initializers(im, gp) || imp_inputs(im, gp) ||
	    imp_nodes(im, gp) || imp_value_info(im, gp) || imp_outputs(im, gp))
		return -1;
	return 0;
}

ir_graph *onnx_load_buffer(const void *buf, size_t len, const char *base_dir, ir_status *st)
{
	if (!buf && len)
		return ir_fail(st, "no model data"), NULL;
	if (len == 0)
		return ir_fail(st, "empty model"), NULL;
	if (onnx_pb_check(buf, len, &onnx__model_proto__descriptor, st))
		return NULL;
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
	if (!m)
		return ir_fail(st, "malformed or truncated ONNX model"), NULL;
	imp im = {.base_dir = base_dir, .st = st};
	im.g = ir_graph_new();
	int rc = im.g ? imp_graph(&im, m) : ir_fail(st, "out of memory");
	free(im.tab);
	onnx__model_proto__free_unpacked(m, NULL);
	if (rc) {
		ir_graph_free(im.g);
		return NULL;
	}
	return im.g;
}

ir_graph *onnx_load_file(const char *path, ir_status *st)
{
	uint8_t *buf;
	size_t len;
	ir_status local = {0};
	if (onnx_read_file(path, &buf, &len, st))
		return NULL;
	char *dir = onnx_dirname(path);
	ir_graph *g = dir ? onnx_load_buffer(buf, len, dir, &local) : NULL;
	if (!dir)
		ir_fail(&local, "out of memory");
	if (!g)
		ir_fail(st, "%s: %s", path, local.msg);
	free(dir);
	free(buf);
	return g;
}
