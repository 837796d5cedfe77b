/* split_matmul.c — a product whose columns are only ever read in slices is
 * computed slice by slice. On f32, with W a constant matrix:
 *   Z = MatMul(A, W) [+ bias];  Y_i = Slice(Z, s_i, e_i, axes = [last])
 * -> Y_i = MatMul(A, W[:, s_i:e_i]) [+ bias[s_i:e_i]]
 * when every use of Z is such a Slice (step 1, constant bounds) and neither
 * Z nor the product is a graph output. This is the fused QKV projection of
 * PyTorch's MultiheadAttention: three copies of a third of the output go
 * away, and the products are the same arithmetic on the same columns. The
 * bias Adds are left for fuse_epilogue. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_SLICES 16

/* [*s, *e) of a Slice of z over z's last axis (size n), step 1; 0 if n is
 * not such a slice. */
static int last_axis_range(const ir_node *sl, const ir_value *z, int64_t n, int64_t *s,
			   int64_t *e)
{
	double v;
	int r = z->shape.rank;
	if (sl->op != IR_OP_Slice || sl->opset < 10 || sl->nin < 3 || sl->in[0] != z)
		return 0;
	if (!pass_const_scalar(sl->in[1], &v))
		return 0;
	*s = (int64_t)v;
	if (!pass_const_scalar(sl->in[2], &v))
		return 0;
	*e = v > 9e18 ? INT64_MAX : v < -9e18 ? INT64_MIN : (int64_t)v;
	if (sl->nin > 3 && sl->in[3]) {
		if (!pass_const_scalar(sl->in[3], &v) || !((int64_t)v == -1 || (int64_t)v == r - 1))
			return 0;
	} else if (r != 1) {
		return 0;      /* no axes: axis 0, the last one only for rank 1 */
	}
	if (sl->nin > 4 && sl->in[4] && (!pass_const_scalar(sl->in[4], &v) || v != 1))
		return 0;
	if (*s < 0)
		*s += n;
	if (*e < 0)
		*e += n;
	*s = *s < 0 ? 0 : *s > n ? n : *s;
	*e = *e < 0 ? 0 : *e > n ? n : *e;
	return *e > *s;
}

static ir_value *new_value(ir_graph *g, const ir_value *like, const char *suffix, int64_t n)
{
	ir_value *v = pass_new_value(g, like, suffix, like->dtype);
	if (v) {
		v->has_shape = 1;
		v->shape = like->shape;
		v->shape.d[v->shape.rank - 1] = ir_dim_const(n);
	}
	return v;
}

static int split_at(ir_graph *g, ir_node *p)
{
	ir_value *A = p->in[0], *W = p->nin == 2 ? p->in[1] : NULL, *y = p->out[0];
	if (p->op != IR_OP_MatMul || !pass_const_matrix(W) || !A || A->dtype != IR_F32 ||
	    A->shape.rank < 2 || !y || y->is_output)
		return 0;
	int64_t K = W->shape.d[0].c, N = W->shape.d[1].c;
	ir_value *z = y, *bias = NULL;
	ir_node *add = pass_sole_user(g, y);
	if (add && add->op == IR_OP_Add && pass_const_row(pass_other_input(add, y), y) &&
	    add->out[0]->shape.rank == y->shape.rank) {
		bias = pass_other_input(add, y);
		z = add->out[0];
	} else {
		add = NULL;
	}
	if (z->is_output)
		return 0;
	ir_node *sl[MAX_SLICES];
	int64_t s[MAX_SLICES], e[MAX_SLICES];
	int ns = 0, uses = ir_value_uses(g, z);
	for (int k = 0; k < g->nnodes && ns <= MAX_SLICES; k++) {
		ir_node *n = g->nodes[k];
		if (n->dead || n->nin < 1 || n->in[0] != z)
			continue;
		if (ns == MAX_SLICES || !last_axis_range(n, z, N, &s[ns], &e[ns]))
			return 0;
		for (int i = 1; i < n->nin; i++)
			if (n->in[i] == z)
				return 0;
		sl[ns++] = n;
	}
	if (ns < 2 || ns != uses)
		return 0;

	float *cols = malloc(sizeof(float) * (size_t)(K * N));
	if (!cols)
		return -1;
	const float *w = W->data, *b = bias ? bias->data : NULL;
	for (int i = 0; i < ns; i++) {
		int64_t n = e[i] - s[i];
		for (int64_t k = 0; k < K; k++)
			memcpy(cols + k * n, w + k * N + s[i], sizeof(float) * (size_t)n);
		char nm[32];
		snprintf(nm, sizeof nm, "cols%d", i);
		ir_shape ws = {2, {{K, -1}, {n, -1}}}, bs = {1, {{n, -1}}};
		ir_value *wi = ir_const_new(g, nm, IR_F32, &ws, cols);
		ir_value *out = sl[i]->out[0], *t = bias ? new_value(g, out, "product", n) : out;
		ir_node *mm = ir_node_new(g, "MatMul", "", p->name, 2, 1);
		if (!wi || !t || !mm) {
			free(cols);
			return -1;
		}
		mm->opset = p->opset;
		mm->attrs = p->attrs;
		mm->nattrs = p->nattrs;
		mm->in[0] = A;
		mm->in[1] = wi;
		pass_drop_output(sl[i], 0);
		sl[i]->dead = 1;
		if (bias) {
			ir_value *bi = ir_const_new(g, "bias_cols", IR_F32, &bs, b + s[i]);
			ir_node *ad = ir_node_new(g, "Add", "", add->name, 2, 1);
			if (!bi || !ad) {
				free(cols);
				return -1;
			}
			ad->opset = add->opset;
			ad->in[0] = t;
			ad->in[1] = bi;
			ir_node_set_out(ad, 0, out);
		}
		ir_node_set_out(mm, 0, t);
	}
	free(cols);
	p->dead = 1;
	if (add)
		add->dead = 1;
	return 1;
}

int pass_split_matmul(ir_graph *g, const pass_options *o, ir_status *st)
{
	(void)o;
	return pass_rewrite_each(g, split_at, "splitting a MatMul", st);
}
