/* internal.h — helpers shared by the files of passes/ and not exported to
 * other folders: node labels for messages, constant scalar reads, value
 * surgery used by several rewrites, and the BatchNormalization rewrite that
 * pass_dropout runs alongside the Dropout one. */
#ifndef KILN_PASSES_INTERNAL_H
#define KILN_PASSES_INTERNAL_H

#include "passes.h"

/* "Dropout 'name'" (or "Dropout (output 'y')" for an unnamed node) in buf. */
const char *pass_label(const ir_node *n, char *buf, size_t len);
/* 1 and *out set when v is a constant with exactly one element of a float,
 * integer or bool type; 0 otherwise (NULL v included). */
int pass_const_scalar(const ir_value *v, double *out);
/* 1 when v is used by a live node or is a graph output. */
int pass_value_used(const ir_graph *g, const ir_value *v);
/* Detaches output i of n (the value stays in the graph, unproduced). */
void pass_drop_output(ir_node *n, int i);
/* A fused node takes over the output of the last node it replaces: output 0
 * of from becomes output 0 of to, and from is marked dead. */
void pass_take_output(ir_node *from, ir_node *to);
/* Turns v, an output of a node, into a constant holding data (copied into
 * the arena; nbytes must match v's type). The producer's slot is cleared. */
int pass_make_const(ir_graph *g, ir_value *v, const void *data, size_t nbytes);
/* A 2-D f32 Conv with constant weights (and bias), explicit pads and no
 * fused residual or scale: what the Conv fusions (fuse_pwdw.c,
 * fuse_convpool.c) start from. */
int pass_plain_conv(const ir_node *n);
/* Whether n's integer list attribute name has count entries, every one
 * equal to want (absent: whether dflt is want; of another kind: no). */
int pass_ints_all(const ir_node *n, const char *name, int count, int64_t want, int64_t dflt);
/* The one live node that reads v, when v has exactly one use and is not a
 * graph output; NULL otherwise. */
ir_node *pass_sole_user(const ir_graph *g, const ir_value *v);
/* A new value of type t named after base ("<base>_<suffix>", made unique),
 * untyped shape; NULL when out of memory. */
ir_value *pass_new_value(ir_graph *g, const ir_value *base, const char *suffix, ir_dtype t);
/* The other input of a two-input node n one of whose inputs is v (NULL if
 * v is not an input of n or n has another arity). */
ir_value *pass_other_input(const ir_node *n, const ir_value *v);
/* A constant f32 matrix of static shape (what codegen packs at compile
 * time as GEMM weights). */
int pass_const_matrix(const ir_value *v);
/* A constant f32 vector over the last axis of y: shape [..., N] with every
 * leading dim 1 and N = y's last dim (a bias row). */
int pass_const_row(const ir_value *b, const ir_value *y);
/* Calls rewrite(g, n) on every live node present when it starts (1: n was
 * rewritten, 0: left alone, -1: out of memory, reported as "out of memory
 * <what>"), then re-sorts the graph if anything changed: the driver of the
 * pattern-rewriting passes. */
int pass_rewrite_each(ir_graph *g, int (*rewrite)(ir_graph *, ir_node *), const char *what,
		      ir_status *st);
/* Sends the one-line warning to o->warn (no-op when NULL). */
void pass_warn(const pass_options *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- passes/batchnorm.c ---- */
/* 1 when n is a BatchNormalization in training form (extra outputs
 * present, or at opset >= 14 training_mode = 1). */
int pass_bn_is_training(const ir_node *n);
/* Rewrites every BatchNormalization to inference form (extra outputs
 * dropped, training_mode cleared). Fails when a dropped output is used. */
int pass_batchnorm(ir_graph *g, const pass_options *o, ir_status *st);

/* ---- passes/dropout.c ---- */
/* 1 when the graph itself asks for training behaviour from n (Dropout with
 * is_test = 0 at opset < 7, or training_mode constant true). */
int pass_dropout_is_training(const ir_node *n);

#endif
