/* fuse_dropout.c — Y = Dropout(Act(X)) -> Y = Dropout{kiln_act}(X)
 * when Dropout is stochastic with a constant ratio, Act is Relu, LeakyRelu,
 * Sigmoid or Tanh on f32/f64, and Act's output has no other use and is not a
 * graph output. Codegen then runs activation and mask-and-scale in one loop
 * (kernels/fused_dropout.c), bit-identical to the unfused pair. Not applied to
 * MC builds, whose Dropouts read a shared input once per sample. */
#include "passes.h"

/* Kernel activation codes, as kernels/kk_fused.h numbers them. */
enum { ACT_RELU = 1, ACT_LEAKY_RELU = 2, ACT_SIGMOID = 3, ACT_TANH = 4 };

static int act_code(ir_op op)
{
	switch (op) {
	case IR_OP_Relu: return ACT_RELU;
	case IR_OP_LeakyRelu: return ACT_LEAKY_RELU;
	case IR_OP_Sigmoid: return ACT_SIGMOID;
	case IR_OP_Tanh: return ACT_TANH;
	default: return 0;
	}
}

/* Stochastic, constant ratio, no run-time training_mode. */
static int fusable_dropout(const ir_node *n)
{
	if (n->op != IR_OP_Dropout || n->dead || !n->stochastic || !n->in[0])
		return 0;
	if (n->opset >= 12 && n->nin > 1 && n->in[1] && !n->in[1]->data)
		return 0;
	return !(n->opset >= 12 && n->nin > 2 && n->in[2]);
}

int pass_fuse_dropout(ir_graph *g, const pass_options *o, ir_status *st)
{
	(void)st;
	if (o->mc_samples > 0)
		return 0;
	for (int k = 0; k < g->nnodes; k++) {
		ir_node *n = g->nodes[k];
		if (!fusable_dropout(n))
			continue;
		ir_value *x = n->in[0];
		ir_node *p = x->producer;
		if (!p || p->dead || !act_code(p->op) || x->is_output || ir_value_uses(g, x) != 1)
			continue;
		ir_value *src = p->in[0];
		if (!src || (src->dtype != IR_F32 && src->dtype != IR_F64))
			continue;
		ir_node_add_attr(g, n, "kiln_act", IR_ATTR_INT)->i = act_code(p->op);
		if (p->op == IR_OP_LeakyRelu)
			ir_node_add_attr(g, n, "kiln_act_alpha", IR_ATTR_FLOAT)->f =
				ir_attr_float(p, "alpha", 0.01f);
		n->in[0] = src;
		p->dead = 1;
	}
	return 0;
}
