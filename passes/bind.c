/* bind.c — JIT value specialisation: graph inputs whose values decide a
 * shape (Reshape's shape, Slice's starts, TopK's K...), directly or through
 * other nodes, become constants holding the values given for one run, so
 * shape inference can type the graph. Used only by in-memory (JIT) builds
 * (kiln run, the conformance runner), before pass_run_pipeline. */
#include <string.h>

#include "internal.h"

/* Largest bound integer input, and largest bound float input (rank <= 1). */
#define BIND_MAX_INT_ELEMS 4096
#define BIND_MAX_FLOAT_ELEMS 16

/* Operand positions whose values shape inference needs constant: inputs in
 * mask of op in opsets [lo, hi]. */
typedef struct {
	const char *op;
	int64_t lo, hi;
	unsigned mask;
} shape_operand;

#define IN(i) (1u << (i))
static const shape_operand operands[] = {
	{"Reshape", 5, 999, IN(1)},
	{"Expand", 8, 999, IN(1)},
	{"Tile", 6, 999, IN(1)},
	{"ConstantOfShape", 9, 999, IN(0)},
	{"Range", 11, 999, IN(0) | IN(1) | IN(2)},
	{"OneHot", 9, 999, IN(1)},
	{"TopK", 10, 999, IN(1)},
	{"Squeeze", 13, 999, IN(1)},
	{"Unsqueeze", 13, 999, IN(1)},
	{"Split", 13, 999, IN(1)},
	{"Slice", 10, 999, IN(1) | IN(2) | IN(3) | IN(4)},
	{"Pad", 11, 999, IN(1) | IN(3)},
	{"ReduceSum", 13, 999, IN(1)},
	{"ReduceMean", 18, 999, IN(1)},
	{"ReduceMax", 18, 999, IN(1)},
	{"ReduceMin", 18, 999, IN(1)},
	{"ReduceProd", 18, 999, IN(1)},
	{"ReduceL1", 18, 999, IN(1)},
	{"ReduceL2", 18, 999, IN(1)},
	{"ReduceLogSum", 18, 999, IN(1)},
	{"ReduceLogSumExp", 18, 999, IN(1)},
	{"ReduceSumSquare", 18, 999, IN(1)},
	{"Upsample", 9, 999, IN(1)},
	{"Resize", 10, 10, IN(1)},
	{"Resize", 11, 999, IN(2) | IN(3)},
	{"MaxUnpool", 11, 999, IN(2)},
	{"CenterCropPad", 18, 999, IN(1)},
	{"Col2Im", 18, 999, IN(1) | IN(2)},
	{"HannWindow", 17, 999, IN(0)},
	{"HammingWindow", 17, 999, IN(0)},
	{"BlackmanWindow", 17, 999, IN(0)},
	{"MelWeightMatrix", 17, 999, IN(0) | IN(1)},
	{"DFT", 17, 999, IN(1) | IN(2)},
	{"STFT", 17, 999, IN(1) | IN(3)},
};
#undef IN

/* Mask of n's shape operands (0 for none). */
static unsigned shape_mask(const ir_node *n)
{
	if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
		return 0;
	unsigned m = 0;
	for (size_t i = 0; i < sizeof operands / sizeof operands[0]; i++)
		if (strcmp(n->op_type, operands[i].op) == 0 && n->opset >= operands[i].lo &&
		    n->opset <= operands[i].hi)
			m |= operands[i].mask;
	return m;
}

/* Marks in seen[] (by value id) every value some shape operand's value
 * depends on: a walk up producers, except through Shape and Size, whose
 * outputs depend only on their input's type. */
static int mark_shape_sources(ir_graph *g, unsigned char *seen)
{
	ir_value **stack = ir_alloc(g->arena, sizeof(*stack) * ((size_t)g->nvalues + 1));
	int sp = 0;
	if (!stack)
		return -1;
	for (int i = 0; i < g->nnodes; i++) {
		ir_node *n = g->nodes[i];
		unsigned m = n->dead ? 0 : shape_mask(n);
		for (int k = 0; k < n->nin && k < 32; k++)
			if ((m & (1u << k)) && n->in[k] && !seen[n->in[k]->id]) {
				seen[n->in[k]->id] = 1;
				stack[sp++] = n->in[k];
			}
	}
	while (sp > 0) {
		ir_node *p = stack[--sp]->producer;
		if (!p || p->dead || strcmp(p->op_type, "Shape") == 0 ||
		    strcmp(p->op_type, "Size") == 0)
			continue;
		for (int k = 0; k < p->nin; k++)
			if (p->in[k] && !seen[p->in[k]->id]) {
				seen[p->in[k]->id] = 1;
				stack[sp++] = p->in[k];
			}
	}
	return 0;
}

/* 1 when a given tensor of this dtype and element count may be bound. */
static int bindable(ir_dtype t, int rank, int64_t numel)
{
	if (ir_dtype_is_int(t))
		return numel <= BIND_MAX_INT_ELEMS;
	return (t == IR_F32 || t == IR_F64) && rank <= 1 && numel <= BIND_MAX_FLOAT_ELEMS;
}

/* Checks the given dtype/shape against v's declared type; records the values
 * of symbols in v's declared dims into symval (-1 = unknown). */
static int check_given(ir_value *v, ir_dtype dt, int rank, const int64_t *dims,
		       int64_t *symval, ir_status *st)
{
	char decl[96];
	if (rank < 0 || rank > IR_MAX_RANK)
		return ir_fail(st, "input '%s': given rank %d is unsupported", v->name, rank);
	int ok = dt == v->dtype && (!v->has_shape || v->shape.rank == rank);
	for (int i = 0; ok && i < rank; i++) {
		ir_dim d = v->has_shape ? v->shape.d[i] : ir_dim_const(dims[i]);
		if (dims[i] < 0)
			ok = 0;
		else if (ir_dim_is_const(d))
			ok = d.c == dims[i];
		else
			ok = d.c > 0 && dims[i] % d.c == 0 &&
			     (symval[d.sym] < 0 || symval[d.sym] == dims[i] / d.c);
	}
	if (!ok)
		return ir_fail(st, "input '%s': the value given is %s with %d dims, the model "
			       "declares %s", v->name, ir_dtype_name(dt), rank,
			       ir_type_str(v, decl, sizeof decl));
	for (int i = 0; v->has_shape && i < rank; i++)
		if (!ir_dim_is_const(v->shape.d[i]))
			symval[v->shape.d[i].sym] = dims[i] / v->shape.d[i].c;
	return 0;
}

/* Makes graph input v (at index idx of g->inputs) a constant holding data. */
static int make_const(ir_graph *g, int idx, int rank, const int64_t *dims, const void *data)
{
	ir_value *v = g->inputs[idx];
	int64_t numel = 1;
	for (int i = 0; i < rank; i++)
		numel *= dims[i];
	size_t nbytes = (size_t)numel * ir_dtype_size(v->dtype);
	void *copy = ir_alloc(g->arena, nbytes ? nbytes : 1);
	if (!copy)
		return -1;
	if (nbytes)
		memcpy(copy, data, nbytes);
	v->data = copy;
	v->nbytes = nbytes;
	v->is_input = 0;
	v->has_shape = 1;
	v->shape.rank = rank;
	for (int i = 0; i < rank; i++)
		v->shape.d[i] = ir_dim_const(dims[i]);
	memmove(&g->inputs[idx], &g->inputs[idx + 1],
		sizeof(*g->inputs) * (size_t)(g->ninputs - idx - 1));
	g->ninputs--;
	return 0;
}

/* 1 when symbol k is a dim of a remaining graph input. */
static int sym_in_inputs(const ir_graph *g, int k)
{
	for (int i = 0; i < g->ninputs; i++)
		for (int j = 0; g->inputs[i]->has_shape && j < g->inputs[i]->shape.rank; j++)
			if (g->inputs[i]->shape.d[j].sym == k)
				return 1;
	return 0;
}

/* Symbols that were dims only of bound inputs are replaced everywhere by the
 * values bound, and dropped from g->syms (a model's symbols must be dims of
 * its inputs). */
static void drop_bound_syms(ir_graph *g, const int64_t *symval)
{
	int map[IR_MAX_SYMS], kept = 0;
	for (int k = 0; k < g->nsyms; k++)
		map[k] = symval[k] >= 0 && !sym_in_inputs(g, k) ? -1 : kept++;
	if (kept == g->nsyms)
		return;
	for (int i = 0; i < g->nvalues; i++) {
		ir_value *v = g->values[i];
		for (int j = 0; v->has_shape && j < v->shape.rank; j++) {
			ir_dim *d = &v->shape.d[j];
			if (d->sym >= 0 && map[d->sym] < 0)
				*d = ir_dim_const(d->c * symval[d->sym]);
			else if (d->sym >= 0)
				d->sym = map[d->sym];
		}
	}
	for (int k = 0; k < g->nsyms; k++)
		if (map[k] >= 0)
			g->syms[map[k]] = g->syms[k];
	g->nsyms = kept;
}

int pass_bind_inputs(ir_graph *g, pass_bind_fn lookup, void *ud, ir_status *st)
{
	unsigned char *seen = ir_alloc(g->arena, (size_t)g->nvalues + 1);
	int64_t symval[IR_MAX_SYMS];
	int bound = 0, orig = 0;
	if (!seen || mark_shape_sources(g, seen))
		return ir_fail(st, "out of memory binding inputs");
	for (int k = 0; k < IR_MAX_SYMS; k++)
		symval[k] = -1;
	for (int i = 0; i < g->ninputs; orig++) {
		ir_value *v = g->inputs[i];
		ir_dtype dt = IR_UNDEF;
		int rank = -1;
		int64_t dims[IR_MAX_RANK] = {0}, numel = 1;
		const void *data = NULL;
		if (!seen[v->id] || v->is_output || !bindable(v->dtype, 0, 1) ||
		    lookup(ud, orig, v->name, &dt, &rank, dims, &data) != 0) {
			i++;
			continue;
		}
		if (check_given(v, dt, rank, dims, symval, st))
			return -1;
		for (int k = 0; k < rank; k++)
			numel *= dims[k];
		if (!bindable(dt, rank, numel) || (numel && !data)) {
			i++;
			continue;
		}
		if (make_const(g, i, rank, dims, data))
			return ir_fail(st, "out of memory binding input '%s'", v->name);
		bound++;
	}
	if (bound)
		drop_bound_syms(g, symval);
	return bound;
}
