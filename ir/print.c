/* print.c — the IR text form (one line per input, constant, node and
 * output; stable enough for golden tests) and a Graphviz dot form.
 *   input  %x: f32[N,100]
 *   const  %w: f32[256,100]
 *   %y: f32[N,256] = Gemm(%x, %w, %b) {alpha=1, beta=1, transB=1}
 *   output %y: f32[N,256] */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "infer.h"

static void dim_str(const ir_graph *g, ir_dim d, char *buf, size_t len)
{
	char fallback[16];
	const char *sym = fallback;
	if (g && d.sym >= 0 && d.sym < g->nsyms && g->syms[d.sym])
		sym = g->syms[d.sym];
	else if (d.sym == 0)
		sym = "N";
	else
		snprintf(fallback, sizeof fallback, "S%d", d.sym);
	if (d.sym < 0)
		snprintf(buf, len, "%" PRId64, d.c);
	else if (d.c == 1)
		snprintf(buf, len, "%s", sym);
	else
		snprintf(buf, len, "%" PRId64 "*%s", d.c, sym);
}

const char *infer_shape_str(const ir_graph *g, const ir_shape *s, char *buf,
			    size_t len)
{
	size_t k = 0;
	buf[0] = 0;
	k += (size_t)snprintf(buf + k, len - k, "[");
	for (int i = 0; i < s->rank && i < IR_MAX_RANK && k < len; i++) {
		char d[64];
		dim_str(g, s->d[i], d, sizeof d);
		k += (size_t)snprintf(buf + k, len - k, "%s%s", i ? "," : "", d);
	}
	if (k < len)
		snprintf(buf + k, len - k, "]");
	return buf;
}

/* Symbol names live in the graph, which values do not point to: while
 * ir_print runs, cur_graph supplies them; elsewhere (and for a NULL graph in
 * infer_shape_str) symbol k prints as "N" (k = 0) or "S<k>". */
static const ir_graph *cur_graph;

const char *ir_type_str(const ir_value *v, char *buf, size_t len)
{
	char sh[256];
	if (!v->has_shape) {
		snprintf(buf, len, "%s[?]", ir_dtype_name(v->dtype));
		return buf;
	}
	snprintf(buf, len, "%s%s", ir_dtype_name(v->dtype),
		 infer_shape_str(cur_graph, &v->shape, sh, sizeof sh));
	return buf;
}

static void print_attr(const ir_attr *a, FILE *f)
{
	fprintf(f, "%s=", a->name);
	switch (a->kind) {
	case IR_ATTR_INT: fprintf(f, "%" PRId64, a->i); break;
	case IR_ATTR_FLOAT: fprintf(f, "%g", a->f); break;
	case IR_ATTR_STRING: fprintf(f, "\"%s\"", a->s ? a->s : ""); break;
	case IR_ATTR_INTS:
	case IR_ATTR_FLOATS:
		fputc('[', f);
		for (int i = 0; i < a->n; i++) {
			if (a->kind == IR_ATTR_INTS)
				fprintf(f, "%s%" PRId64, i ? "," : "", a->ints[i]);
			else
				fprintf(f, "%s%g", i ? "," : "", a->floats[i]);
		}
		fputc(']', f);
		break;
	case IR_ATTR_STRINGS: fprintf(f, "<%d strings>", a->n); break;
	case IR_ATTR_TENSOR: {
		char b[300];
		fprintf(f, "tensor %s", a->t ? ir_type_str(a->t, b, sizeof b) : "?");
		break;
	}
	default: fprintf(f, "<kind %d>", (int)a->kind); break;
	}
}

static int attr_cmp(const void *x, const void *y)
{
	const ir_attr *a = *(const ir_attr *const *)x, *b = *(const ir_attr *const *)y;
	return strcmp(a->name, b->name);
}

/* Attributes in name order so the text does not depend on model order. */
static void print_attrs(const ir_node *n, FILE *f)
{
	if (n->nattrs == 0)
		return;
	const ir_attr **s = malloc(sizeof *s * (size_t)n->nattrs);
	if (!s)
		return;
	for (int i = 0; i < n->nattrs; i++)
		s[i] = &n->attrs[i];
	qsort(s, (size_t)n->nattrs, sizeof *s, attr_cmp);
	fputs(" {", f);
	for (int i = 0; i < n->nattrs; i++) {
		if (i)
			fputs(", ", f);
		print_attr(s[i], f);
	}
	fputc('}', f);
	free(s);
}

/* Small constants show their contents: "= [1,-1]". */
static void print_const_data(const ir_value *v, FILE *f)
{
	if (!v->has_shape || !ir_shape_is_static(&v->shape)
	    || ir_shape_static_numel(&v->shape) > 8 || !ir_dtype_size(v->dtype)
	    || v->dtype == IR_F16 || v->dtype == IR_BF16 || v->dtype == IR_C64
	    || v->dtype == IR_C128)
		return;
	int64_t n = ir_shape_static_numel(&v->shape);
	fputs(" = [", f);
	for (int64_t i = 0; i < n; i++) {
		if (ir_dtype_is_float(v->dtype))
			fprintf(f, "%s%g", i ? "," : "", infer_data_f64(v, i));
		else
			fprintf(f, "%s%" PRId64, i ? "," : "", infer_data_i64(v, i));
	}
	fputc(']', f);
}

static void print_node(const ir_node *n, FILE *f)
{
	char b[300];
	int any = 0;
	for (int i = 0; i < n->nout; i++) {
		fputs(i ? ", " : "", f);
		if (!n->out[i]) {
			fputc('_', f);
			continue;
		}
		fprintf(f, "%%%s: %s", n->out[i]->name, ir_type_str(n->out[i], b, sizeof b));
		any = 1;
	}
	fputs(any || n->nout ? " = " : "", f);
	if (n->domain && n->domain[0])
		fprintf(f, "%s::", n->domain);
	/* MC builds (passes/mc.c): [sampled] runs once per sample, batched */
	fprintf(f, "%s%s%s(", n->op_type, n->stochastic ? "[stochastic]" : "",
		ir_attr_int(n, "kiln_mc_sampled", 0) ? "[sampled]" : "");
	for (int i = 0; i < n->nin; i++)
		fprintf(f, "%s%s%s", i ? ", " : "", n->in[i] ? "%" : "_",
			n->in[i] ? n->in[i]->name : "");
	fputc(')', f);
	print_attrs(n, f);
	fputc('\n', f);
}

void ir_print(const ir_graph *g, FILE *f)
{
	char b[300];
	cur_graph = g;
	for (int i = 0; i < g->ninputs; i++)
		fprintf(f, "input  %%%s: %s\n", g->inputs[i]->name,
			ir_type_str(g->inputs[i], b, sizeof b));
	for (int i = 0; i < g->nvalues; i++) {
		const ir_value *v = g->values[i];
		if (v->producer || !v->data || ir_value_uses(g, v) == 0)
			continue;
		fprintf(f, "const  %%%s: %s", v->name, ir_type_str(v, b, sizeof b));
		print_const_data(v, f);
		fputc('\n', f);
	}
	for (int i = 0; i < g->nnodes; i++)
		if (!g->nodes[i]->dead)
			print_node(g->nodes[i], f);
	for (int i = 0; i < g->noutputs; i++)
		if (g->outputs[i])
			fprintf(f, "output %%%s: %s\n", g->outputs[i]->name,
				ir_type_str(g->outputs[i], b, sizeof b));
	cur_graph = NULL;
}

/* Writes s with '"' and '\\' escaped for a dot label. */
static void dot_str(const char *s, FILE *f)
{
	for (; s && *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void dot_value_edge(const ir_graph *g, const ir_value *v, const char *to,
			   FILE *f)
{
	char b[300];
	if (v->producer)
		fprintf(f, "  n%d -> %s [label=\"%s\"];\n", v->producer->id, to,
			ir_type_str(v, b, sizeof b));
	else
		fprintf(f, "  v%d -> %s;\n", v->id, to);
}

void ir_print_dot(const ir_graph *g, FILE *f)
{
	char b[300], to[32];
	cur_graph = g;
	fputs("digraph \"", f);
	dot_str(g->name, f);
	fputs("\" {\n  node [shape=box, fontname=monospace];\n", f);
	for (int i = 0; i < g->nvalues; i++) {
		const ir_value *v = g->values[i];
		if (v->producer || ir_value_uses(g, v) == 0)
			continue;
		fprintf(f, "  v%d [shape=%s, label=\"", v->id,
			v->is_input ? "ellipse" : "note");
		dot_str(v->name, f);
		fprintf(f, "\\n%s\"];\n", ir_type_str(v, b, sizeof b));
	}
	for (int i = 0; i < g->nnodes; i++) {
		const ir_node *n = g->nodes[i];
		if (n->dead)
			continue;
		fprintf(f, "  n%d [label=\"", n->id);
		dot_str(n->op_type, f);
		fputs(n->stochastic ? " (stochastic)\\n" : "\\n", f);
		dot_str(n->name, f);
		fprintf(f, "\"%s];\n",
			n->stochastic ? ", style=filled, fillcolor=orange" : "");
		snprintf(to, sizeof to, "n%d", n->id);
		for (int j = 0; j < n->nin; j++)
			if (n->in[j])
				dot_value_edge(g, n->in[j], to, f);
	}
	for (int i = 0; i < g->noutputs; i++) {
		if (!g->outputs[i])
			continue;
		fprintf(f, "  out%d [shape=ellipse, label=\"", i);
		dot_str(g->outputs[i]->name, f);
		fputs("\"];\n", f);
		snprintf(to, sizeof to, "out%d", i);
		dot_value_edge(g, g->outputs[i], to, f);
	}
	fputs("}\n", f);
	cur_graph = NULL;
}
