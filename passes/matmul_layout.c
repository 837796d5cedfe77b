/* matmul_layout.c — Transposes around a batched f32 MatMul absorbed into
 * it: an operand produced by a Transpose that nothing else reads is read in
 * place through the permutation (attribute kiln_perm_a / kiln_perm_b on the
 * MatMul, whose input becomes the Transpose's input), and a Transpose that
 * is the product's only reader is written in place (kiln_perm_y, the MatMul
 * producing the Transpose's output). Each absorption is kept only when the
 * product stays one strided batched product (ir_matmul_view_of). This is
 * attention's layout: the heads split out of [batch, seq, heads, dh] and
 * merged back without a copy. Runs after fuse_epilogue (MatMuls with a
 * fused epilogue take constant weights and are left alone). */
#include "internal.h"

static int set_perm(ir_graph *g, ir_node *n, const char *name, const ir_node *t)
{
	const int64_t *p;
	int np = ir_attr_ints(t, "perm", &p);
	int r = t->out[0]->shape.rank;
	ir_attr *a = ir_node_add_attr(g, n, name, IR_ATTR_INTS);
	if (!a)
		return -1;
	int64_t *v = ir_alloc(g->arena, sizeof(int64_t) * (size_t)(r ? r : 1));
	if (!v)
		return -1;
	for (int i = 0; i < r; i++)
		v[i] = np == r ? p[i] : r - 1 - i;   /* no perm: reversed */
	a->ints = v;
	a->n = r;
	return 0;
}

/* Drops the attribute added last (an absorption that did not fit). */
static void undo_perm(ir_node *n)
{
	n->nattrs--;
}

static int is_transpose_of_f32(const ir_node *t)
{
	return t && !t->dead && t->op == IR_OP_Transpose && t->nin == 1 && t->nout == 1 &&
	       t->in[0] && t->out[0] && t->in[0]->dtype == IR_F32;
}

static int absorb(ir_graph *g, ir_node *n)
{
	ir_matmul_view mv;
	if (n->op != IR_OP_MatMul || n->nin != 2 || n->nout != 1 || !n->out[0] ||
	    n->out[0]->dtype != IR_F32 || ir_matmul_has_perm(n) || !ir_matmul_view_of(n, &mv))
		return 0;
	static const char *const names[2] = {"kiln_perm_a", "kiln_perm_b"};
	int done = 0;
	for (int i = 0; i < 2; i++) {
		ir_node *t = n->in[i]->producer;
		if (!is_transpose_of_f32(t) || pass_sole_user(g, t->out[0]) != n)
			continue;   /* one Transpose feeding both operands has two uses */
		ir_value *old = n->in[i];
		if (set_perm(g, n, names[i], t))
			return -1;
		n->in[i] = t->in[0];
		if (!ir_matmul_view_of(n, &mv)) {
			n->in[i] = old;
			undo_perm(n);
			continue;
		}
		t->dead = 1;
		done = 1;
	}
	ir_node *t = pass_sole_user(g, n->out[0]);
	if (is_transpose_of_f32(t)) {
		ir_value *y = n->out[0], *z = t->out[0];
		if (set_perm(g, n, "kiln_perm_y", t))
			return -1;
		n->out[0] = z;   /* for the check only: producer links below */
		int fits = ir_matmul_view_of(n, &mv);
		n->out[0] = y;
		if (fits) {
			pass_drop_output(n, 0);
			pass_drop_output(t, 0);
			ir_node_set_out(n, 0, z);
			t->dead = 1;
			done = 1;
		} else {
			undo_perm(n);
		}
	}
	return done;
}

int pass_matmul_layout(ir_graph *g, const pass_options *o, ir_status *st)
{
	(void)o;
	return pass_rewrite_each(g, absorb, "absorbing Transposes into MatMul", st);
}
