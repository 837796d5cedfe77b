/* lower.c — the lowering table: for each op of ir/ops.def, the function in
 * lower_<category>.c that emits its kernel calls, plus the stride helpers
 * the lowerings share. */
#include <string.h>

#include "lower.h"

static const cg_lower_fn table[IR_OP_COUNT] = {
#define U(op) [IR_OP_##op] = cg_lower_unary,
	U(Relu) U(Sigmoid) U(Tanh) U(Sqrt) U(Abs) U(Neg) U(Exp) U(Log) U(Ceil)
	U(Floor) U(Round) U(Reciprocal) U(Sin) U(Cos) U(Tan) U(Asin) U(Acos) U(Atan)
	U(Sinh) U(Cosh) U(Asinh) U(Acosh) U(Atanh) U(Erf) U(Sign) U(Softplus)
	U(Softsign) U(Elu) U(Selu) U(Celu) U(LeakyRelu) U(ThresholdedRelu)
	U(HardSigmoid) U(HardSwish) U(Not) U(IsNaN) U(IsInf)
#undef U
#define B(op) [IR_OP_##op] = cg_lower_binary,
	B(Add) B(Sub) B(Mul) B(Div) B(Pow) B(Mod) B(PRelu) B(BitShift) B(Equal)
	B(Less) B(Greater) B(LessOrEqual) B(GreaterOrEqual) B(And) B(Or) B(Xor)
#undef B
#define R(op) [IR_OP_##op] = cg_lower_reduce,
	R(ReduceMean) R(ReduceSum) R(ReduceMax) R(ReduceMin) R(ReduceProd) R(ReduceL1)
	R(ReduceL2) R(ReduceLogSum) R(ReduceLogSumExp) R(ReduceSumSquare)
#undef R
#define V(op) [IR_OP_##op] = cg_lower_view,
	V(Identity) V(Reshape) V(Flatten) V(Squeeze) V(Unsqueeze)
#undef V
	[IR_OP_Clip] = cg_lower_clip,
	[IR_OP_Cast] = cg_lower_cast,
	[IR_OP_Max] = cg_lower_variadic,
	[IR_OP_Min] = cg_lower_variadic,
	[IR_OP_Sum] = cg_lower_variadic,
	[IR_OP_Mean] = cg_lower_variadic,
	[IR_OP_Where] = cg_lower_where,
	[IR_OP_ArgMax] = cg_lower_argreduce,
	[IR_OP_ArgMin] = cg_lower_argreduce,
	[IR_OP_Softmax] = cg_lower_softmax,
	[IR_OP_LogSoftmax] = cg_lower_softmax,
	[IR_OP_Hardmax] = cg_lower_softmax,
	[IR_OP_Constant] = cg_lower_constant,
	[IR_OP_Shape] = cg_lower_shape,
	[IR_OP_Size] = cg_lower_size,
	[IR_OP_Gather] = cg_lower_gather,
	[IR_OP_GatherElements] = cg_lower_gather_elements,
	[IR_OP_Slice] = cg_lower_slice,
	[IR_OP_Transpose] = cg_lower_transpose,
	[IR_OP_Concat] = cg_lower_concat,
	[IR_OP_Split] = cg_lower_split,
	[IR_OP_Expand] = cg_lower_expand,
	[IR_OP_Tile] = cg_lower_tile,
	[IR_OP_ConstantOfShape] = cg_lower_constant_of_shape,
	[IR_OP_Range] = cg_lower_range,
	[IR_OP_Pad] = cg_lower_pad,
	[IR_OP_Gemm] = cg_lower_gemm,
	[IR_OP_MatMul] = cg_lower_matmul,
	[IR_OP_Conv] = cg_lower_conv,
	[IR_OP_MaxPool] = cg_lower_pool,
	[IR_OP_AveragePool] = cg_lower_pool,
	[IR_OP_GlobalAveragePool] = cg_lower_global_pool,
	[IR_OP_GlobalMaxPool] = cg_lower_global_pool,
	[IR_OP_BatchNormalization] = cg_lower_batchnorm,
	[IR_OP_InstanceNormalization] = cg_lower_instancenorm,
	[IR_OP_LayerNormalization] = cg_lower_layernorm,
	[IR_OP_LRN] = cg_lower_lrn,
	[IR_OP_Dropout] = cg_lower_dropout,
	[IR_OP_KilnMcCollect] = cg_lower_mc_collect,
	[IR_OP_KilnConvPwDw] = cg_lower_conv_pwdw,
	[IR_OP_KilnConvPool] = cg_lower_conv_pool,
	/* ops wave A (lower_ext_a.c) */
	[IR_OP_NegativeLogLikelihoodLoss] = cg_lower_nll_loss,
	[IR_OP_SoftmaxCrossEntropyLoss] = cg_lower_sce_loss,
	[IR_OP_Trilu] = cg_lower_trilu,
	[IR_OP_CastLike] = cg_lower_castlike,
	[IR_OP_CumSum] = cg_lower_cumsum,
	[IR_OP_DepthToSpace] = cg_lower_space_depth,
	[IR_OP_SpaceToDepth] = cg_lower_space_depth,
	[IR_OP_OneHot] = cg_lower_onehot,
	[IR_OP_Shrink] = cg_lower_shrink,
	[IR_OP_EyeLike] = cg_lower_eyelike,
	[IR_OP_MeanVarianceNormalization] = cg_lower_mvn,
	[IR_OP_TopK] = cg_lower_topk,
	/* ops wave B (lower_ext_b.c) */
	[IR_OP_ConvTranspose] = cg_lower_convtranspose,
	[IR_OP_Resize] = cg_lower_resize,
	[IR_OP_Upsample] = cg_lower_resize,
	[IR_OP_GatherND] = cg_lower_gathernd,
	[IR_OP_ScatterND] = cg_lower_scatternd,
	[IR_OP_ScatterElements] = cg_lower_scatter_elements,
	[IR_OP_Scatter] = cg_lower_scatter_elements,
	[IR_OP_Einsum] = cg_lower_einsum,
	[IR_OP_ReverseSequence] = cg_lower_reverse_sequence,
	[IR_OP_Det] = cg_lower_det,
	[IR_OP_MaxUnpool] = cg_lower_maxunpool,
	[IR_OP_RoiAlign] = cg_lower_roialign,
	/* ops wave C (lower_ext_c.c) */
	[IR_OP_RNN] = cg_lower_rnn,
	[IR_OP_GRU] = cg_lower_rnn,
	[IR_OP_LSTM] = cg_lower_rnn,
	[IR_OP_GridSample] = cg_lower_grid_sample,
	[IR_OP_Adam] = cg_lower_optimizer,
	[IR_OP_Adagrad] = cg_lower_optimizer,
	[IR_OP_Momentum] = cg_lower_optimizer,
	/* ops wave D (lower_ext_d.c) */
	[IR_OP_QuantizeLinear] = cg_lower_qdq,
	[IR_OP_DequantizeLinear] = cg_lower_qdq,
	[IR_OP_DynamicQuantizeLinear] = cg_lower_dynquant,
	[IR_OP_MatMulInteger] = cg_lower_matmul_integer,
	[IR_OP_QLinearMatMul] = cg_lower_qlinear_matmul,
	[IR_OP_ConvInteger] = cg_lower_conv_integer,
	[IR_OP_QLinearConv] = cg_lower_qlinear_conv,
	[IR_OP_DFT] = cg_lower_dft,
	[IR_OP_STFT] = cg_lower_stft,
	[IR_OP_HannWindow] = cg_lower_window,
	[IR_OP_HammingWindow] = cg_lower_window,
	[IR_OP_BlackmanWindow] = cg_lower_window,
	[IR_OP_MelWeightMatrix] = cg_lower_mel_weight_matrix,
};

cg_lower_fn cg_lowering(ir_op op)
{
	return op < IR_OP_COUNT ? table[op] : NULL;
}

int cg_node_scratch(const ir_node *n, cg_lin *bytes)
{
	memset(bytes, 0, sizeof *bytes);
	return n->op == IR_OP_Conv || n->op == IR_OP_KilnConvPwDw || n->op == IR_OP_KilnConvPool
	       ? cg_conv_scratch(n, bytes)
							       : cg_reduce_scratch(n, bytes);
}

void cg_dense_strides(cg_ctx *cg, const ir_shape *s, LLVMValueRef *strides)
{
	LLVMValueRef st = cg_i64(cg, 1);
	for (int i = s->rank - 1; i >= 0; i--) {
		strides[i] = st;
		st = LLVMBuildMul(cg->B, st, cg_dim(cg, s->d[i]), "");
	}
}

void cg_bcast_strides(cg_ctx *cg, const ir_shape *in, const ir_shape *out, LLVMValueRef *strides)
{
	LLVMValueRef dense[IR_MAX_RANK];
	cg_dense_strides(cg, in, dense);
	int off = out->rank - in->rank;
	for (int i = 0; i < out->rank; i++) {
		int j = i - off;
		if (j < 0 || (ir_dim_is_const(in->d[j]) && in->d[j].c == 1 &&
			      !(ir_dim_is_const(out->d[i]) && out->d[i].c == 1)))
			strides[i] = cg_i64(cg, 0);
		else
			strides[i] = dense[j];
	}
}

void cg_dims(cg_ctx *cg, const ir_shape *s, LLVMValueRef *dims)
{
	for (int i = 0; i < s->rank; i++)
		dims[i] = cg_dim(cg, s->d[i]);
}

LLVMValueRef cg_span(cg_ctx *cg, const ir_shape *s, int from, int to)
{
	ir_shape sub = {0};
	for (int i = from; i < to && i < s->rank; i++)
		sub.d[sub.rank++] = s->d[i];
	return cg_numel(cg, &sub);
}

LLVMValueRef cg_offset(cg_ctx *cg, LLVMValueRef p, LLVMValueRef elems, size_t esize)
{
	LLVMValueRef b = LLVMBuildMul(cg->B, elems, cg_i64(cg, (int64_t)esize), "");
	return LLVMBuildInBoundsGEP2(cg->B, cg->t_i8, p, &b, 1, "");
}

LLVMValueRef cg_const_bytes(cg_ctx *cg, const void *data, size_t n)
{
	LLVMTypeRef at = LLVMArrayType(cg->t_i8, (unsigned)n);
	LLVMValueRef gv = LLVMAddGlobal(cg->M, at, "k");
	LLVMSetInitializer(gv, LLVMConstStringInContext(cg->C, data, (unsigned)n, 1));
	LLVMSetGlobalConstant(gv, 1);
	LLVMSetLinkage(gv, LLVMPrivateLinkage);
	LLVMSetAlignment(gv, 16);
	return gv;
}

int cg_norm_axis(cg_ctx *cg, int64_t axis, int rank, int *out)
{
	if (axis < -rank || axis >= (rank ? rank : 1))
		return cg_fail(cg, "axis %lld out of range for rank %d", (long long)axis, rank);
	*out = (int)(axis < 0 ? axis + rank : axis);
	return 0;
}

int cg_const_ints(const ir_value *v, int64_t *out, int max)
{
	if (!v || !v->data || v->shape.rank > 1)
		return -1;
	int n = v->shape.rank == 0 ? 1 : (int)v->shape.d[0].c;
	if (n > max)
		return -1;
	for (int i = 0; i < n; i++) {
		if (v->dtype == IR_I64)
			out[i] = ((const int64_t *)v->data)[i];
		else if (v->dtype == IR_I32)
			out[i] = ((const int32_t *)v->data)[i];
		else
			return -1;
	}
	return n;
}

int cg_const_float(const ir_value *v, double *out)
{
	if (!v || !v->data)
		return -1;
	switch (v->dtype) {
	case IR_F32: *out = *(const float *)v->data; return 0;
	case IR_F64: *out = *(const double *)v->data; return 0;
	case IR_I64: *out = (double)*(const int64_t *)v->data; return 0;
	case IR_I32: *out = *(const int32_t *)v->data; return 0;
	default: return -1;
	}
}
