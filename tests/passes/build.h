/* build.h — a tiny graph builder for the passes tests: typed inputs and
 * constants, nodes with attributes, graph outputs, on top of ir.h. Every
 * helper asserts on failure (tests only). */
#ifndef KILN_TESTS_PASSES_BUILD_H
#define KILN_TESTS_PASSES_BUILD_H

#include "ir.h"

/* Graph with room for 16 inputs and 16 outputs, default opset `opset`. */
ir_graph *tb_graph(int64_t opset);
/* Shape from a dims string: "3,4,5", "N,512" (letters are symbols), "" scalar. */
ir_shape tb_shape(ir_graph *g, const char *dims);
/* Graph input of dtype t and shape dims. */
ir_value *tb_input(ir_graph *g, const char *name, ir_dtype t, const char *dims);
/* Intermediate value (typed as given, unproduced yet). */
ir_value *tb_value(ir_graph *g, const char *name, ir_dtype t, const char *dims);
/* Constants. */
ir_value *tb_f32(ir_graph *g, const char *name, float v);        /* scalar */
ir_value *tb_bool(ir_graph *g, const char *name, int v);         /* scalar */
ir_value *tb_i64s(ir_graph *g, const char *name, int n, const int64_t *v); /* 1-D */
/* Node of op_type at opset with ins (NULL = omitted) and outs. */
ir_node *tb_node(ir_graph *g, const char *op, const char *name, int64_t opset,
		 int nin, ir_value **in, int nout, ir_value **out);
void tb_attr_int(ir_graph *g, ir_node *n, const char *name, int64_t v);
void tb_attr_float(ir_graph *g, ir_node *n, const char *name, float v);
void tb_attr_ints(ir_graph *g, ir_node *n, const char *name, int cnt, const int64_t *v);
/* Marks v a graph output. */
void tb_output(ir_graph *g, ir_value *v);
/* Number of live nodes with op (IR_OP_COUNT: any). */
int tb_count(const ir_graph *g, ir_op op);
/* First live node with op, NULL when none. */
ir_node *tb_find(const ir_graph *g, ir_op op);
/* ir_print into a malloc'd string (caller frees). */
char *tb_print(const ir_graph *g);
/* Deterministic test data: the next of the sequence seeded by *s, a
 * multiple of scale / 1000 in [-scale, scale]. */
float tb_rnd(unsigned *s, float scale);

#endif
