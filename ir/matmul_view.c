/* matmul_view.c — a MatMul whose operands and result are permuted views of
 * the tensors stored in memory (passes/matmul_layout.c absorbs Transposes
 * into it) as one strided batched product, the form kk_matmul_strided_f32
 * takes. */
#include "ir.h"

/* Dims d and element strides st of v seen through the permutation attribute
 * attr of n: a view of an operand (Transpose(v, perm): dim i is stored dim
 * perm[i]) or, inverse set, of the result (v = Transpose(Y, perm): Y's dim
 * perm[i] is stored dim i). No attribute: v itself. The view is padded to
 * rank ry with leading dims of size 1, and a batch dim (all but the last
 * two) of size 1 has stride 0 (broadcast). 0 when v is not static or the
 * permutation is malformed. */
static int view(const ir_node *n, const ir_value *v, const char *attr, int inverse, int ry,
		int64_t *d, int64_t *st)
{
	const ir_shape *s = &v->shape;
	int r = s->rank;
	if (!ir_shape_is_static(s) || r < 2 || r > ry)
		return 0;
	for (int i = 0; i < ry - r; i++) {
		d[i] = 1;
		st[i] = 0;
	}
	d += ry - r;
	st += ry - r;
	int nbat = r - 2;   /* v's own batch dims */
	int64_t dense[IR_MAX_RANK];
	int64_t acc = 1;
	for (int i = r - 1; i >= 0; i--) {
		dense[i] = acc;
		acc *= s->d[i].c;
	}
	const int64_t *p;
	int np = ir_attr_ints(n, attr, &p);
	if (np >= 0 && np != r)
		return 0;
	int seen = 0;
	for (int i = 0; i < r; i++) {
		int64_t pi = np < 0 ? i : p[i];
		if (pi < 0 || pi >= r || (seen >> pi) & 1)
			return 0;
		seen |= 1 << pi;
		int lg = inverse ? (int)pi : i, sd = inverse ? i : (int)pi;
		d[lg] = s->d[sd].c;
		st[lg] = dense[sd];
	}
	for (int i = 0; i < nbat; i++)
		if (d[i] == 1)
			st[i] = 0;
	return 1;
}

int ir_matmul_has_perm(const ir_node *n)
{
	return ir_attr_find(n, "kiln_perm_a") || ir_attr_find(n, "kiln_perm_b") ||
	       ir_attr_find(n, "kiln_perm_y");
}

int ir_matmul_view_of(const ir_node *n, ir_matmul_view *mv)
{
	if (n->op != IR_OP_MatMul || n->nin != 2 || n->nout != 1 || !n->in[0] || !n->in[1] ||
	    !n->out[0])
		return 0;
	int r = n->out[0]->shape.rank;
	if (r > IR_MAX_RANK)
		return 0;
	int64_t ad[IR_MAX_RANK], as[IR_MAX_RANK], bd[IR_MAX_RANK], bs[IR_MAX_RANK];
	int64_t yd[IR_MAX_RANK], ys[IR_MAX_RANK];
	if (!view(n, n->in[0], "kiln_perm_a", 0, r, ad, as) ||
	    !view(n, n->in[1], "kiln_perm_b", 0, r, bd, bs) ||
	    !view(n, n->out[0], "kiln_perm_y", 1, r, yd, ys))
		return 0;
	int64_t M = ad[r - 2], K = ad[r - 1], N = bd[r - 1];
	if (bd[r - 2] != K || yd[r - 2] != M || yd[r - 1] != N || ys[r - 1] != 1 ||
	    (bs[r - 2] != 1 && bs[r - 1] != 1))
		return 0;
	/* batch dims: an operand's equals Y's or is 1 (broadcast, stride 0);
	 * size-1 dims dropped, neighbours merged where all three tensors step
	 * through them as one */
	int64_t nb[IR_MAX_RANK], sa[IR_MAX_RANK], sb[IR_MAX_RANK], sy[IR_MAX_RANK];
	int k = 0;
	for (int i = 0; i < r - 2; i++) {
		if ((ad[i] != yd[i] && ad[i] != 1) || (bd[i] != yd[i] && bd[i] != 1))
			return 0;
		if (yd[i] == 1)
			continue;
		if (k && sa[k - 1] == as[i] * yd[i] && sb[k - 1] == bs[i] * yd[i] &&
		    sy[k - 1] == ys[i] * yd[i]) {
			nb[k - 1] *= yd[i];
			sa[k - 1] = as[i];
			sb[k - 1] = bs[i];
			sy[k - 1] = ys[i];
			continue;
		}
		nb[k] = yd[i];
		sa[k] = as[i];
		sb[k] = bs[i];
		sy[k] = ys[i];
		k++;
	}
	if (k > 2)
		return 0;
	*mv = (ir_matmul_view){{1, 1}, M, N, K, {0, 0}, as[r - 2], as[r - 1], {0, 0},
			       bs[r - 2], bs[r - 1], {0, 0}, ys[r - 2]};
	for (int i = 0; i < k; i++) {
		int j = 2 - k + i;
		mv->nb[j] = nb[i];
		mv->sa[j] = sa[i];
		mv->sb[j] = sb[i];
		mv->sy[j] = sy[i];
	}
	return 1;
}
