/* infer.h — internal to ir/: the shape-inference and folding hooks named in
 * ops.def, and helpers shared by the infer_*.c and fold.c files (reading
 * constant inputs, broadcasting, dim arithmetic, setting outputs). */
#ifndef KILN_IR_INFER_H
#define KILN_IR_INFER_H

#include "ir.h"

#define HOOK(fn) int fn(ir_graph *g, ir_node *n, ir_status *st);
/* elementwise */
HOOK(infer_unary) HOOK(infer_isclass) HOOK(infer_cast) HOOK(infer_binary)
HOOK(infer_compare) HOOK(infer_variadic) HOOK(infer_where)
/* reductions */
HOOK(infer_reduce) HOOK(infer_argreduce)
/* tensor */
HOOK(infer_constant) HOOK(infer_shape) HOOK(infer_size) HOOK(infer_gather)
HOOK(infer_gather_elements) HOOK(infer_slice) HOOK(infer_unsqueeze)
HOOK(infer_squeeze) HOOK(infer_reshape) HOOK(infer_flatten)
HOOK(infer_transpose) HOOK(infer_concat) HOOK(infer_split) HOOK(infer_expand)
HOOK(infer_tile) HOOK(infer_constant_of_shape) HOOK(infer_range) HOOK(infer_pad)
HOOK(infer_mc_collect)
/* nn */
HOOK(infer_gemm) HOOK(infer_matmul) HOOK(infer_conv) HOOK(infer_pool)
HOOK(infer_global_pool) HOOK(infer_batchnorm) HOOK(infer_layernorm)
HOOK(infer_dropout) HOOK(infer_conv_pwdw) HOOK(infer_conv_pool)
/* folding */
HOOK(fold_identity) HOOK(fold_cast) HOOK(fold_arith) HOOK(fold_neg) HOOK(fold_shape)
HOOK(fold_size) HOOK(fold_gather) HOOK(fold_slice) HOOK(fold_reshape) HOOK(fold_transpose)
HOOK(fold_concat) HOOK(fold_constant_of_shape)
/* ops wave A (infer_ext_a.c) */
HOOK(infer_nll_loss) HOOK(infer_sce_loss) HOOK(infer_trilu) HOOK(infer_castlike)
HOOK(infer_cumsum) HOOK(infer_depth_to_space) HOOK(infer_space_to_depth)
HOOK(infer_onehot) HOOK(infer_same_numeric) HOOK(infer_eyelike) HOOK(infer_topk)
/* ops wave B (infer_ext_b.c) */
HOOK(infer_convtranspose) HOOK(infer_resize) HOOK(infer_gathernd) HOOK(infer_scatter)
HOOK(infer_einsum) HOOK(infer_reverse_sequence) HOOK(infer_det) HOOK(infer_maxunpool)
HOOK(infer_roialign)
/* ops wave C (infer_ext_c.c) */
HOOK(infer_rnn) HOOK(infer_gru) HOOK(infer_lstm) HOOK(infer_grid_sample)
HOOK(infer_adam) HOOK(infer_adagrad) HOOK(infer_momentum)
/* ops wave D (infer_ext_d.c) */
HOOK(infer_quantize_linear) HOOK(infer_dequantize_linear) HOOK(infer_dynquant)
HOOK(infer_matmul_integer) HOOK(infer_qlinear_matmul) HOOK(infer_conv_integer)
HOOK(infer_qlinear_conv) HOOK(infer_dft) HOOK(infer_stft) HOOK(infer_window)
HOOK(infer_mel_weight_matrix)
#undef HOOK

/* Largest output (elements) a fold hook produces. */
#define IR_FOLD_MAX_ELEMS (1 << 20)

/* ---- helpers (infer.c) ---- */

/* Input i, required: present and shaped, else fails naming the node. */
ir_value *infer_in(ir_node *n, int i, ir_status *st);
/* Input i if present (and shaped), NULL when omitted. *err set on failure. */
ir_value *infer_opt_in(ir_node *n, int i, ir_status *st, int *err);
/* Checks nin within [lo, hi] and nout within [olo, ohi] (present counts). */
int infer_arity(ir_node *n, int lo, int hi, int olo, int ohi, ir_status *st);
/* Sets output i (if present) to dtype/shape. */
void infer_set(ir_node *n, int i, ir_dtype t, const ir_shape *s);
/* Normalises axis into [0, rank) (or [0, rank] when inclusive). */
int infer_axis(ir_node *n, int64_t axis, int rank, int inclusive, int *out,
	       ir_status *st);
/* Reads a constant 1-D (or scalar) integer input as int64s. what names the
 * input in messages. *cnt gets the element count (<= max). */
int infer_const_ints(ir_node *n, int i, const char *what, int64_t *buf,
		     int max, int *cnt, ir_status *st);
/* Same, as dims: accepts symdata (symbolic entries) or data. */
int infer_const_dims(ir_node *n, int i, const char *what, ir_dim *buf,
		     int max, int *cnt, ir_status *st);
/* Reads a constant scalar (any numeric dtype) as double; 1 when not constant. */
int infer_scalar(const ir_value *v, double *out);
/* Numpy multidirectional broadcast of a and b into out. */
int infer_broadcast(ir_node *n, const ir_shape *a, const ir_shape *b,
		    ir_shape *out, ir_status *st);
/* Dim arithmetic; fail (status naming the node) when not representable. */
int infer_dim_mul(ir_node *n, ir_dim a, ir_dim b, ir_dim *out, ir_status *st);
int infer_dim_add(ir_node *n, ir_dim a, ir_dim b, ir_dim *out, ir_status *st);
/* Fails unless a and b may be equal (both constant and equal, same symbol). */
int infer_dim_match(ir_node *n, ir_dim a, ir_dim b, const char *what,
		    ir_status *st);
/* Checks a shape is sane: rank in [0, IR_MAX_RANK], dims >= 0 and the
 * product of the non-zero constant parts at most 2^48. */
int infer_check_shape(ir_node *n, const ir_shape *s, ir_status *st);
/* Formats a shape as "[N,3,224,224]" into buf. */
const char *infer_shape_str(const ir_graph *g, const ir_shape *s, char *buf,
			    size_t len);
/* Reads element i of constant data of an integer/bool/float dtype. */
int64_t infer_data_i64(const ir_value *v, int64_t i);
double infer_data_f64(const ir_value *v, int64_t i);

/* ---- shared with fold.c (infer_tensor.c) ---- */

/* Shape's opset-15 start/end window over a rank, clamped to [0, rank]. */
void infer_shape_window(const ir_node *n, int rank, int *start, int *end);
/* Slice parameters per axis (set[a] when axis a is sliced). */
typedef struct {
	int64_t start[IR_MAX_RANK], end[IR_MAX_RANK], step[IR_MAX_RANK];
	int set[IR_MAX_RANK];
} slice_params;
/* Reads starts/ends/axes/steps (attributes before opset 10, inputs after);
 * p must be zeroed by the caller. */
int infer_slice_read(ir_node *n, int rank, slice_params *p, ir_status *st);
/* One Slice axis against a constant dim: first index and element count. */
void infer_slice_range(int64_t dim, int64_t start, int64_t end, int64_t step,
		       int64_t *first, int64_t *count);

#endif
