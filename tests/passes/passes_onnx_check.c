/* passes_onnx_check.c — runs the pass pipeline (with the verifier) over ONNX
 * backend test models and compares a one-line summary of the result with an
 * expectations file. Each line: "<case> <mode> <expected>", mode one of
 * auto / inference / training / mc; expected is "error" or
 * "<live nodes>;<graph outputs>": nodes by op_type in order ("Dropout*" when
 * stochastic, "Dropout*rt" when a run-time training_mode stays), outputs as
 * "in" (a graph input), "const" (folded) or their producer's summary.
 * Usage: passes_onnx_check EXPECTED_FILE NODE_DATA_DIR. Exit 1 on a mismatch. */
#include <stdio.h>
#include <string.h>

#include "frontend.h"
#include "passes.h"

static void node_sum(const ir_node *n, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", n->op_type, n->stochastic ? "*" : "",
		 n->stochastic && n->nin > 2 && n->in[2] ? "rt" : "");
}

static void summary(const ir_graph *g, char *buf, size_t len)
{
	size_t k = 0;
	char s[128];
	int i;

	buf[0] = 0;
	for (i = 0; i < g->nnodes && k < len; i++) {
		if (g->nodes[i]->dead)
			continue;
		node_sum(g->nodes[i], s, sizeof s);
		k += snprintf(buf + k, len - k, "%s%s", k ? " " : "", s);
	}
	for (i = 0; i < g->noutputs && k < len; i++) {
		const ir_value *v = g->outputs[i];

		if (v->is_input)
			snprintf(s, sizeof s, "in");
		else if (v->data)
			snprintf(s, sizeof s, "const");
		else
			node_sum(v->producer, s, sizeof s);
		k += snprintf(buf + k, len - k, "%s%s", i ? "," : ";", s);
	}
}

static int parse_mode(const char *m, pass_options *o)
{
	if (!strcmp(m, "auto"))
		o->mode = PASS_MODE_AUTO;
	else if (!strcmp(m, "inference"))
		o->mode = PASS_MODE_INFERENCE;
	else if (!strcmp(m, "training"))
		o->mode = PASS_MODE_TRAINING;
	else if (!strcmp(m, "mc"))
		o->mc_samples = 4;
	else
		return -1;
	return 0;
}

static void on_warn(void *ud, const char *msg)
{
	(void)ud;
	printf("    warning: %s\n", msg);
}

/* 0 when the case matches. */
static int check(const char *dir, const char *name, const char *mode, const char *want)
{
	char path[1024], got[1024];
	pass_options o = {0};
	ir_status st = {0};
	ir_graph *g;
	int rc;

	snprintf(path, sizeof path, "%s/%s/model.onnx", dir, name);
	if (parse_mode(mode, &o))
		return printf("FAIL %s: bad mode '%s'\n", name, mode), 1;
	o.verify = 1;
	o.warn = on_warn;
	g = onnx_load_file(path, &st);
	if (!g)
		return printf("FAIL %s: load: %s\n", name, st.msg), 1;
	rc = pass_run_pipeline(g, &o, &st);
	if (rc)
		snprintf(got, sizeof got, "error");
	else
		summary(g, got, sizeof got);
	ir_graph_free(g);
	if (strcmp(got, want)) {
		printf("FAIL %s %s: got '%s', want '%s'%s%s\n", name, mode, got, want,
		       rc ? ": " : "", rc ? st.msg : "");
		return 1;
	}
	printf("ok   %s %s: %s%s%s\n", name, mode, got, rc ? ": " : "", rc ? st.msg : "");
	return 0;
}

int main(int argc, char **argv)
{
	char line[1024], name[256], mode[32], want[512];
	int bad = 0, total = 0;
	FILE *f;

	if (argc != 3)
		return fprintf(stderr, "usage: %s EXPECTED_FILE NODE_DATA_DIR\n", argv[0]), 2;
	f = fopen(argv[1], "r");
	if (!f)
		return fprintf(stderr, "cannot open %s\n", argv[1]), 2;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || sscanf(line, "%255s %31s %511[^\n]", name, mode, want) != 3)
			continue;
		total++;
		bad += check(argv[2], name, mode, want);
	}
	fclose(f);
	printf("%d/%d cases as expected\n", total - bad, total);
	return bad != 0;
}
