/* ir.h — kiln's intermediate representation: an arena-owned graph of typed
 * values and ONNX-level nodes, the op registry, shape inference, the verifier
 * and the printer. Everything here is plain C with no dependency on protobuf
 * or LLVM; frontend/ builds graphs through this API, passes/ rewrites them and
 * codegen/ lowers them. Sectioned by the file that defines each export. */
#ifndef KILN_IR_H
#define KILN_IR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- ir/dtype.c ------------------------------------------------------- */

/* Element types, numbered exactly as ONNX TensorProto.DataType. */
typedef enum {
	IR_UNDEF = 0, IR_F32 = 1, IR_U8 = 2, IR_I8 = 3, IR_U16 = 4, IR_I16 = 5,
	IR_I32 = 6, IR_I64 = 7, IR_STRING = 8, IR_BOOL = 9, IR_F16 = 10,
	IR_F64 = 11, IR_U32 = 12, IR_U64 = 13, IR_C64 = 14, IR_C128 = 15,
	IR_BF16 = 16, IR_NDTYPES
} ir_dtype;

/* Bytes per element; 0 for IR_UNDEF, IR_STRING and anything unknown. */
size_t ir_dtype_size(ir_dtype t);
/* Short lower-case name ("f32", "i64", "bool"...); "?" for unknown values. */
const char *ir_dtype_name(ir_dtype t);
int ir_dtype_is_float(ir_dtype t); /* f16, bf16, f32, f64 */
int ir_dtype_is_int(ir_dtype t);   /* signed or unsigned integers, not bool */

/* ---- ir/arena.c ------------------------------------------------------- */

/* Bump allocator. Everything a graph owns (nodes, values, attributes, names,
 * constant data) lives in its arena and is freed at once by ir_arena_free. */
typedef struct ir_arena ir_arena;
ir_arena *ir_arena_new(void);                 /* NULL when out of memory */
void ir_arena_free(ir_arena *a);              /* NULL is a no-op */
/* Zeroed, 16-byte aligned (64 for n >= 64); NULL only when out of memory. */
void *ir_alloc(ir_arena *a, size_t n);
char *ir_strdup(ir_arena *a, const char *s);  /* NULL s gives NULL */
char *ir_strndup(ir_arena *a, const char *s, size_t n);

/* ---- shapes ----------------------------------------------------------- */

#define IR_MAX_RANK 8
#define IR_MAX_SYMS 8

/* One dimension: c when sym < 0, else c * (the run-time value of symbol sym).
 * Symbols are the graph's symbolic input dims (a batch "N"); a dim is never
 * a product of two symbols (shape inference reports that as unsupported). */
typedef struct {
	int64_t c;
	int sym;
} ir_dim;

typedef struct {
	int rank;                 /* 0 = scalar */
	ir_dim d[IR_MAX_RANK];
} ir_shape;

static inline ir_dim ir_dim_const(int64_t c) { ir_dim d = {c, -1}; return d; }
static inline int ir_dim_is_const(ir_dim d) { return d.sym < 0; }
static inline int ir_dim_eq(ir_dim a, ir_dim b) { return a.c == b.c && a.sym == b.sym; }
/* Element count as a dim: c = product of the constant parts, sym = the one
 * symbol involved (or -1). Returns 0 when two dims are symbolic. */
int ir_shape_numel(const ir_shape *s, ir_dim *out);
int ir_shape_is_static(const ir_shape *s);
int ir_shape_eq(const ir_shape *a, const ir_shape *b);  /* same rank, equal dims */
/* numel of a static shape (asserts it is static). */
int64_t ir_shape_static_numel(const ir_shape *s);

/* ---- values, attributes, nodes, graph (ir/graph.c) --------------------- */

struct ir_node;
struct ir_graph;

/* A tensor value: a graph input, an initializer / constant, or a node output. */
typedef struct ir_value {
	const char *name;          /* unique within the graph; never NULL */
	int id;                    /* index in graph->values */
	ir_dtype dtype;            /* IR_UNDEF until known */
	int has_shape;             /* 1 when shape below is valid */
	ir_shape shape;
	struct ir_node *producer;  /* NULL for graph inputs and constants */
	int out_index;             /* which output of producer */
	/* Constant contents (initializer, Constant node, folded): row-major,
	 * ir_dtype_size(dtype) * numel bytes, owned by the graph arena (or by
	 * an external mapping the frontend registered). NULL when not constant. */
	const void *data;
	size_t nbytes;
	/* For 1-D int64 values whose elements are known dims but not all
	 * constants (Shape of a tensor with a batch N, then Gather, Concat...):
	 * shape.d[0].c entries, arena-owned. NULL otherwise. When data != NULL
	 * this may also be set (then all entries are constant). */
	ir_dim *symdata;
	int is_input;              /* graph input (not an initializer) */
	int is_output;             /* graph output */
} ir_value;

typedef enum {
	IR_ATTR_UNDEF = 0, IR_ATTR_FLOAT, IR_ATTR_INT, IR_ATTR_STRING, IR_ATTR_TENSOR,
	IR_ATTR_GRAPH, IR_ATTR_FLOATS, IR_ATTR_INTS, IR_ATTR_STRINGS, IR_ATTR_TENSORS,
	IR_ATTR_GRAPHS, IR_ATTR_SPARSE_TENSOR, IR_ATTR_SPARSE_TENSORS, IR_ATTR_TYPE_PROTO,
	IR_ATTR_TYPE_PROTOS
} ir_attr_kind;

typedef struct ir_attr {
	const char *name;
	ir_attr_kind kind;
	float f;                   /* FLOAT */
	int64_t i;                 /* INT */
	const char *s;             /* STRING (NUL-terminated copy; slen = bytes) */
	size_t slen;
	int n;                     /* element count for FLOATS/INTS/STRINGS/TENSORS */
	float *floats;             /* FLOATS */
	int64_t *ints;             /* INTS */
	const char **strings;      /* STRINGS */
	ir_value *t;               /* TENSOR: a constant value not in the graph's list */
	ir_value **ts;             /* TENSORS */
	/* GRAPH(S), SPARSE_TENSOR(S), TYPE_PROTO(S) are kept by kind only: ops
	 * needing them are unsupported and say so. */
} ir_attr;

/* Operator identifiers from ir/ops.def. */
typedef enum {
#define OP(name, infer, fold) IR_OP_##name,
#include "ops.def"
#undef OP
	IR_OP_COUNT,
	IR_OP_UNKNOWN = IR_OP_COUNT
} ir_op;

typedef struct ir_node {
	int id;                    /* stable id: order of creation, never reused */
	ir_op op;                  /* IR_OP_UNKNOWN when the op is not in ops.def */
	const char *op_type;       /* ONNX op_type as written in the model */
	const char *domain;        /* "" for the default domain */
	const char *name;          /* node name; may be "" */
	int64_t opset;             /* opset version of the node's domain */
	int nin, nout;
	ir_value **in;             /* NULL entries for omitted optional inputs */
	ir_value **out;            /* NULL entries for omitted optional outputs */
	int nattrs;
	ir_attr *attrs;
	int dead;                  /* removed by a pass; skipped everywhere */
	int stochastic;            /* Dropout lowered to mask-and-scale */
} ir_node;

typedef struct ir_graph {
	ir_arena *arena;
	const char *name;
	int64_t opset;             /* default-domain opset version */
	int nnodes, cap_nodes;
	ir_node **nodes;           /* topological order once ir_graph_toposort ran */
	int nvalues, cap_values;
	ir_value **values;
	int ninputs, noutputs;
	ir_value **inputs;         /* graph inputs that are not initializers */
	ir_value **outputs;
	int nsyms;
	const char *syms[IR_MAX_SYMS]; /* names of symbolic dims (dim_param) */
	int next_node_id;
} ir_graph;

/* Error reporting: library code fills an ir_status and returns non-zero. */
typedef struct {
	int code;                  /* 0 ok */
	char msg[512];
} ir_status;
/* printf-style; always returns -1 so callers can `return ir_fail(st, ...)`.
 * NULL st is allowed (message dropped). */
int ir_fail(ir_status *st, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

ir_graph *ir_graph_new(void);           /* NULL when out of memory */
void ir_graph_free(ir_graph *g);        /* frees the arena; NULL is a no-op */
/* Finds a value by name; NULL when absent. */
ir_value *ir_graph_find(ir_graph *g, const char *name);
/* Creates a new value with a unique name (name is copied; if taken, a suffix
 * is added). Never NULL except out of memory. */
ir_value *ir_value_new(ir_graph *g, const char *name, ir_dtype t);
/* Creates a node appended at the end of graph->nodes, with nin/nout slots
 * (zeroed). op is looked up from op_type by ir_op_lookup. */
ir_node *ir_node_new(ir_graph *g, const char *op_type, const char *domain,
		     const char *name, int nin, int nout);
/* Sets out[i] = v and v->producer. */
void ir_node_set_out(ir_node *n, int i, ir_value *v);
/* Adds an attribute slot (zeroed, name copied) and returns it. */
ir_attr *ir_node_add_attr(ir_graph *g, ir_node *n, const char *name, ir_attr_kind k);
/* Attribute look-ups; NULL / the default when absent. */
const ir_attr *ir_attr_find(const ir_node *n, const char *name);
int64_t ir_attr_int(const ir_node *n, const char *name, int64_t dflt);
float ir_attr_float(const ir_node *n, const char *name, float dflt);
const char *ir_attr_str(const ir_node *n, const char *name, const char *dflt);
/* INTS attribute: returns count and sets *v, or -1 when absent. */
int ir_attr_ints(const ir_node *n, const char *name, const int64_t **v);
/* Copies an INTS attribute into out when it has exactly count entries
 * (strides, dilations, pads...); returns 1 then, 0 otherwise (out untouched). */
int ir_attr_ints_into(const ir_node *n, const char *name, int64_t *out, int count);
/* Makes a constant value holding a copy of data. */
ir_value *ir_const_new(ir_graph *g, const char *name, ir_dtype t,
		       const ir_shape *s, const void *data);
/* Registers a symbolic dim name; returns its index or -1 when too many. */
int ir_graph_sym(ir_graph *g, const char *name);
/* Replaces every use of old (node inputs, graph outputs) with nv. */
void ir_replace_uses(ir_graph *g, ir_value *old, ir_value *nv);
/* Number of live-node inputs plus graph outputs that use v. */
int ir_value_uses(const ir_graph *g, const ir_value *v);
/* Orders nodes topologically and drops dead ones from the list; fails on a
 * cycle or a use of an undefined value. */
int ir_graph_toposort(ir_graph *g, ir_status *st);

/* ---- MC-dropout sample loop (ir/mc_region.c) -------------------------- */

/* node[k] = 1 for each node g->nodes[k] of the region that runs once per
 * chunk of samples (a Dropout with kiln_mc_samples and what depends on it,
 * up to KilnMcCollect); returns how many, -1 when out of memory. */
int ir_mc_region(const ir_graph *g, uint8_t *node);
/* Orders the (topologically sorted) nodes as: nodes that run once, the
 * region, nodes that read KilnMcCollect's output. */
int ir_mc_schedule(ir_graph *g, ir_status *st);

/* ---- ConvTranspose geometry (ir/infer_ext_b.c) ------------------------ */

/* The attributes of a ConvTranspose with sr spatial axes (defaults filled
 * in), shared by shape inference and code generation. */
typedef struct {
	int sr;
	int64_t s[3], d[3], op[3], p[6];  /* strides, dilations, output_padding, pads */
	const int64_t *os;                /* output_shape's last sr entries, or NULL */
	int upper, lower;                 /* auto_pad SAME_UPPER / SAME_LOWER */
} ir_convt;
void ir_convt_read(const ir_node *n, int sr, ir_convt *c);
/* Output size of spatial axis i for input size in and kernel size k. */
int64_t ir_convt_out(const ir_convt *c, int i, int64_t in, int64_t k);
/* Begin pad of spatial axis i once the output size out is known (explicit
 * pads, or derived from out for output_shape / SAME_*), floor division. */
int64_t ir_convt_pad(const ir_convt *c, int i, int64_t in, int64_t out, int64_t k);

/* ---- ir/matmul_view.c ------------------------------------------------ */

/* A MatMul as a strided batched product over the stored tensors: its
 * operands and result may be permuted views of them (INTS attributes
 * kiln_perm_a, kiln_perm_b: the operand is Transpose(input, perm);
 * kiln_perm_y: the output value is Transpose(product, perm)). Batch dims
 * collapsed to (nb[0], nb[1]); strides in elements: A(p,q)(i,k) at
 * p*sa[0] + q*sa[1] + i*a_rs + k*a_ks, B likewise with (b_ks, b_ns),
 * Y(p,q)(i,j) at p*sy[0] + q*sy[1] + i*y_rs + j. */
typedef struct {
	int64_t nb[2], M, N, K;
	int64_t sa[2], a_rs, a_ks, sb[2], b_ks, b_ns, sy[2], y_rs;
} ir_matmul_view;
/* 1 and *mv set when n is a MatMul of static rank->=2 operands with equal
 * batch dims (no broadcasting) whose batch collapses to two dims, B has a
 * unit stride along k or n, and Y's columns are dense; 0 otherwise. */
int ir_matmul_view_of(const ir_node *n, ir_matmul_view *mv);
/* 1 when n carries any of the kiln_perm_* attributes. */
int ir_matmul_has_perm(const ir_node *n);

/* ---- ir/ops.c --------------------------------------------------------- */

/* Shape/dtype inference hook: sets out[*]->dtype/shape; fails (status
 * naming the node) on invalid or unsupported configurations. */
typedef int (*ir_infer_fn)(ir_graph *g, ir_node *n, ir_status *st);
/* Constant folding hook: called when every present input has data (or
 * symdata); sets out values' data/symdata. Returns 0 when folded, 1 when it
 * declines, -1 on error. */
typedef int (*ir_fold_fn)(ir_graph *g, ir_node *n, ir_status *st);

typedef struct {
	const char *name;
	ir_infer_fn infer;
	ir_fold_fn fold;
} ir_op_info;

extern const ir_op_info ir_ops[IR_OP_COUNT];
ir_op ir_op_lookup(const char *op_type);   /* IR_OP_UNKNOWN when absent */
const char *ir_node_label(const ir_node *n); /* "Conv 'name'" for messages, static buffer */

/* ---- ir/infer.c ------------------------------------------------------- */

/* Runs shape inference over every live node in order (graph must be
 * topologically sorted). Fails on the first node it cannot type. */
int ir_infer_shapes(ir_graph *g, ir_status *st);

/* ---- ir/verify.c ------------------------------------------------------ */

/* Structural checks: every input defined before use, producers consistent,
 * every value typed and shaped, outputs produced. Fails with the first issue. */
int ir_verify(const ir_graph *g, ir_status *st);

/* ---- ir/print.c ------------------------------------------------------- */

/* Text form: one line per input, node (with attributes) and output. */
void ir_print(const ir_graph *g, FILE *f);
/* Graphviz dot form. */
void ir_print_dot(const ir_graph *g, FILE *f);
/* "f32[N,100]" into buf. */
const char *ir_type_str(const ir_value *v, char *buf, size_t len);

#endif
