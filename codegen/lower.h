/* lower.h — the per-op lowerings (lower_<category>.c) and the helpers they
 * share (lower.c). A lowering emits calls to the kernels of kernels/kk_*.h
 * with every dim the IR knows passed as a constant. */
#ifndef KILN_LOWER_H
#define KILN_LOWER_H

#include "cg.h"

/* ---- lower.c: shared helpers ---- */
/* Row-major strides (elements) of s as i64 values. */
void cg_dense_strides(cg_ctx *cg, const ir_shape *s, LLVMValueRef *strides);
/* Strides of in broadcast to out (numpy rules): 0 on broadcast dims. */
void cg_bcast_strides(cg_ctx *cg, const ir_shape *in, const ir_shape *out, LLVMValueRef *strides);
void cg_dims(cg_ctx *cg, const ir_shape *s, LLVMValueRef *dims);
/* Product of dims [from, to). */
LLVMValueRef cg_span(cg_ctx *cg, const ir_shape *s, int from, int to);
/* p + elems * esize bytes. */
LLVMValueRef cg_offset(cg_ctx *cg, LLVMValueRef p, LLVMValueRef elems, size_t esize);
/* A private constant global holding n bytes. */
LLVMValueRef cg_const_bytes(cg_ctx *cg, const void *data, size_t n);
int cg_norm_axis(cg_ctx *cg, int64_t axis, int rank, int *out);
/* Integer contents of a constant rank-0/1 int32/int64 value; -1 when not constant. */
int cg_const_ints(const ir_value *v, int64_t *out, int max);
/* Scalar contents of a constant numeric value; -1 when not constant. */
int cg_const_float(const ir_value *v, double *out);

/* ---- parallel.c ---- */
/* Emits body over items [begin, end). vals are the run-time values the body
 * needs (pointers...), reloaded inside the task function. */
typedef void (*cg_body_fn)(cg_ctx *cg, LLVMValueRef begin, LLVMValueRef end,
			   LLVMValueRef *vals, void *ud);
/* Splits [0, total) statically over the session's threads (tasks of at least
 * grain items) and runs body on each part; serial when threads == 1. */
void cg_parallel(cg_ctx *cg, LLVMValueRef total, int64_t grain, LLVMValueRef *vals, int nvals,
		 cg_body_fn body, void *ud);
/* Whether a function is a root of code generation (run function or task). */
int cg_is_root_fn(cg_ctx *cg, LLVMValueRef fn);

/* ---- lower_elementwise.c ---- */
int cg_lower_unary(cg_ctx *cg, const ir_node *n);
int cg_lower_clip(cg_ctx *cg, const ir_node *n);
int cg_lower_cast(cg_ctx *cg, const ir_node *n);
int cg_lower_binary(cg_ctx *cg, const ir_node *n);
int cg_lower_variadic(cg_ctx *cg, const ir_node *n);
int cg_lower_where(cg_ctx *cg, const ir_node *n);
int cg_lower_dropout(cg_ctx *cg, const ir_node *n);
int cg_lower_mc_collect(cg_ctx *cg, const ir_node *n);

/* ---- lower_reduce.c ---- */
int cg_lower_reduce(cg_ctx *cg, const ir_node *n);
/* Scratch of a Reduce* whose axes are not contiguous (a transposed copy). */
int cg_reduce_scratch(const ir_node *n, cg_lin *bytes);
int cg_lower_argreduce(cg_ctx *cg, const ir_node *n);
int cg_lower_softmax(cg_ctx *cg, const ir_node *n);
int cg_lower_batchnorm(cg_ctx *cg, const ir_node *n);
int cg_lower_instancenorm(cg_ctx *cg, const ir_node *n);
int cg_lower_layernorm(cg_ctx *cg, const ir_node *n);
int cg_lower_lrn(cg_ctx *cg, const ir_node *n);

/* ---- lower_tensor.c ---- */
int cg_lower_view(cg_ctx *cg, const ir_node *n);
int cg_lower_constant(cg_ctx *cg, const ir_node *n);
int cg_lower_shape(cg_ctx *cg, const ir_node *n);
int cg_lower_size(cg_ctx *cg, const ir_node *n);
int cg_lower_gather(cg_ctx *cg, const ir_node *n);
int cg_lower_gather_elements(cg_ctx *cg, const ir_node *n);
int cg_lower_slice(cg_ctx *cg, const ir_node *n);
int cg_lower_transpose(cg_ctx *cg, const ir_node *n);
int cg_lower_concat(cg_ctx *cg, const ir_node *n);
int cg_lower_split(cg_ctx *cg, const ir_node *n);
int cg_lower_expand(cg_ctx *cg, const ir_node *n);
int cg_lower_tile(cg_ctx *cg, const ir_node *n);
int cg_lower_constant_of_shape(cg_ctx *cg, const ir_node *n);
int cg_lower_range(cg_ctx *cg, const ir_node *n);
int cg_lower_pad(cg_ctx *cg, const ir_node *n);

/* ---- lower_nn.c ---- */
int cg_lower_gemm(cg_ctx *cg, const ir_node *n);
int cg_lower_matmul(cg_ctx *cg, const ir_node *n);
int cg_lower_conv(cg_ctx *cg, const ir_node *n);
int cg_lower_conv_pwdw(cg_ctx *cg, const ir_node *n);
int cg_lower_conv_pool(cg_ctx *cg, const ir_node *n);
/* Scratch of a Conv: the transposed product's (kk_conv_t_f32), or the
 * zero-padded input copy kk_conv_f32 packs from. */
int cg_conv_scratch(const ir_node *n, cg_lin *bytes);
int cg_lower_pool(cg_ctx *cg, const ir_node *n);
int cg_lower_global_pool(cg_ctx *cg, const ir_node *n);

/* ---- lower_ext_a.c (ops wave A) ---- */
int cg_lower_nll_loss(cg_ctx *cg, const ir_node *n);
int cg_lower_sce_loss(cg_ctx *cg, const ir_node *n);
int cg_lower_trilu(cg_ctx *cg, const ir_node *n);
int cg_lower_castlike(cg_ctx *cg, const ir_node *n);
int cg_lower_cumsum(cg_ctx *cg, const ir_node *n);
int cg_lower_space_depth(cg_ctx *cg, const ir_node *n);
int cg_lower_onehot(cg_ctx *cg, const ir_node *n);
int cg_lower_shrink(cg_ctx *cg, const ir_node *n);
int cg_lower_eyelike(cg_ctx *cg, const ir_node *n);
int cg_lower_mvn(cg_ctx *cg, const ir_node *n);
int cg_lower_topk(cg_ctx *cg, const ir_node *n);

/* ---- lower_ext_b.c (ops wave B) ---- */
int cg_lower_convtranspose(cg_ctx *cg, const ir_node *n);
int cg_lower_resize(cg_ctx *cg, const ir_node *n);
int cg_lower_gathernd(cg_ctx *cg, const ir_node *n);
int cg_lower_scatternd(cg_ctx *cg, const ir_node *n);
int cg_lower_scatter_elements(cg_ctx *cg, const ir_node *n);
int cg_lower_einsum(cg_ctx *cg, const ir_node *n);
int cg_lower_reverse_sequence(cg_ctx *cg, const ir_node *n);
int cg_lower_det(cg_ctx *cg, const ir_node *n);
int cg_lower_maxunpool(cg_ctx *cg, const ir_node *n);
int cg_lower_roialign(cg_ctx *cg, const ir_node *n);

/* ---- lower_ext_c.c (ops wave C) ---- */
int cg_lower_rnn(cg_ctx *cg, const ir_node *n);
int cg_lower_grid_sample(cg_ctx *cg, const ir_node *n);
int cg_lower_optimizer(cg_ctx *cg, const ir_node *n);

/* ---- lower_ext_d.c (ops wave D) ---- */
int cg_lower_qdq(cg_ctx *cg, const ir_node *n);
int cg_lower_dynquant(cg_ctx *cg, const ir_node *n);
int cg_lower_matmul_integer(cg_ctx *cg, const ir_node *n);
int cg_lower_qlinear_matmul(cg_ctx *cg, const ir_node *n);
int cg_lower_conv_integer(cg_ctx *cg, const ir_node *n);
int cg_lower_qlinear_conv(cg_ctx *cg, const ir_node *n);
int cg_lower_dft(cg_ctx *cg, const ir_node *n);
int cg_lower_stft(cg_ctx *cg, const ir_node *n);
int cg_lower_window(cg_ctx *cg, const ir_node *n);
int cg_lower_mel_weight_matrix(cg_ctx *cg, const ir_node *n);

#endif
