/* ops.c — the op registry: ir_ops[] expanded from ops.def (name, inference
 * hook, folding hook), op look-up by ONNX op_type, and node labels for error
 * messages. */
#include <stdio.h>
#include <string.h>

#include "infer.h"

const ir_op_info ir_ops[IR_OP_COUNT] = {
#define OP(name, infer, fold) [IR_OP_##name] = {#name, infer, fold},
#include "ops.def"
#undef OP
};

/* IR_OP_UNKNOWN for NULL, names not in ops.def and kiln's own ops (from
 * IR_OP_KilnMcCollect on). Linear: ~110 entries. */
ir_op ir_op_lookup(const char *op_type)
{
	if (!op_type)
		return IR_OP_UNKNOWN;
	for (int i = 0; i < IR_OP_KilnMcCollect; i++)
		if (strcmp(ir_ops[i].name, op_type) == 0)
			return (ir_op)i;
	return IR_OP_UNKNOWN;
}

/* "Conv 'name'", or "Conv (output 'y')" for unnamed nodes. Rotates over four
 * static buffers so one message may name up to four nodes. */
const char *ir_node_label(const ir_node *n)
{
	static char bufs[4][160];
	static int next;
	char *b = bufs[next];
	next = (next + 1) & 3;
	if (!n)
		return "(null node)";
	const char *op = n->op_type ? n->op_type : "?";
	if (n->name && n->name[0])
		snprintf(b, sizeof bufs[0], "%s '%s'", op, n->name);
	else if (n->nout > 0 && n->out[0])
		snprintf(b, sizeof bufs[0], "%s (output '%s')", op, n->out[0]->name);
	else
		snprintf(b, sizeof bufs[0], "%s #%d", op, n->id);
	return b;
}
