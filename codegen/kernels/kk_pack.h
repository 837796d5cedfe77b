/* kk_pack.h — the register-block sizes of the f32 GEMM micro-kernel and the
 * packed operand layouts it reads. Shared by the kernels (nn_gemm.c,
 * nn_conv.c pack at run time) and by codegen, which packs constant weights
 * at compile time into the same layouts. Plain C, no vector types.
 *  - B panels: Bp[p][K][KK_NR] holds columns p*KK_NR .. p*KK_NR+KK_NR-1 of
 *    B (K x N), zero past N; ceil(N/KK_NR) panels.
 *  - A slivers: Ap[s][K][KK_MR] holds rows s*KK_MR .. s*KK_MR+KK_MR-1 of A
 *    (M x K), zero past M; ceil(M/KK_MR) slivers. */
#ifndef KK_PACK_H
#define KK_PACK_H

#include <stdint.h>

#define KK_MR 6
#define KK_NR 16

static inline int64_t kk_packed_b_floats(int64_t K, int64_t N)
{
	return (N + KK_NR - 1) / KK_NR * KK_NR * K;
}

static inline int64_t kk_packed_a_floats(int64_t M, int64_t K)
{
	return (M + KK_MR - 1) / KK_MR * KK_MR * K;
}

/* B is K x N row-major, or N x K when transB. */
static inline void kk_pack_b_layout(float *Bp, const float *B, int64_t K, int64_t N,
	int transB)
{
	for (int64_t p = 0; p * KK_NR < N; p++)
		for (int64_t k = 0; k < K; k++)
			for (int64_t c = 0; c < KK_NR; c++) {
				int64_t j = p * KK_NR + c;
				Bp[(p * K + k) * KK_NR + c] = j >= N ? 0.0f
					: transB ? B[j * K + k] : B[k * N + j];
			}
}

/* A is M x K row-major. */
static inline void kk_pack_a_layout(float *Ap, const float *A, int64_t M, int64_t K)
{
	for (int64_t s = 0; s * KK_MR < M; s++)
		for (int64_t k = 0; k < K; k++)
			for (int64_t r = 0; r < KK_MR; r++) {
				int64_t i = s * KK_MR + r;
				Ap[(s * K + k) * KK_MR + r] = i >= M ? 0.0f : A[i * K + k];
			}
}

/* The zero-padded copy of one image's input that kk_conv_f32 reads a 2-D
 * convolution through (its scratch S): per channel, the rows and columns
 * every tap of every output pixel reads, after KK_CONV_PAD_SLACK floats and
 * before as many more, which the vector loads of a block may reach past its
 * row (16 floats at stride 1 or 2, read and then dropped). */
#define KK_CONV_PAD_SLACK 32

static inline int64_t kk_conv_pad_rows(int64_t OH, int64_t KH, int64_t sh, int64_t dh)
{
	return (OH - 1) * sh + (KH - 1) * dh + 1;
}

static inline int64_t kk_conv_pad_cols(int64_t OW, int64_t KW, int64_t sw, int64_t dw)
{
	return (OW - 1) * sw + (KW - 1) * dw + 1;
}

/* Whether kk_conv_f32 can read a 2-D convolution through the padded copy:
 * strides 1 or 2 along rows, at most 64 taps, and every block of KK_NR
 * consecutive output pixels spanning at most two output rows of OW (blocks
 * start at multiples of KK_NR: the last row's part is at least
 * gcd(KK_NR, OW) long; 14 wide yes, 13 no). */
static inline int kk_conv_pad_ok(int64_t OW, int64_t taps, int64_t sw)
{
	int64_t g = OW & -OW;
	return OW >= 1 && OW + (g < KK_NR ? g : KK_NR) >= KK_NR && (sw == 1 || sw == 2) &&
	       taps <= 64;
}

static inline int64_t kk_conv_pad_floats(int64_t C, int64_t OH, int64_t OW, int64_t KH,
	int64_t KW, int64_t sh, int64_t sw, int64_t dh, int64_t dw)
{
	return C * kk_conv_pad_rows(OH, KH, sh, dh) * kk_conv_pad_cols(OW, KW, sw, dw) +
	       2 * KK_CONV_PAD_SLACK;
}

/* kk_conv_f32's paths that a Conv node may take, from its channels and
 * group (a superset of the one it takes; nn_conv.c decides): channel-wise
 * (C/group or M/group is 1: the depthwise kernels) and few input channels
 * (kk__smallc_ok, within the bounds below; KH and KW are 1 for a 1-D
 * convolution). The code generator stores the union over the model's nodes
 * in kk_conv_paths, and the paths no node can take fold away with their
 * code before the module is cut into parts (target.c). */
#define KK_CONV_PATH_CW 1
#define KK_CONV_PATH_FEWC 2
#define KK_CONV_FEWC_MAXC 4    /* input channels of the few-channel path */
#define KK_CONV_FEWC_MAXK 7    /* its KH and KW */

static inline int kk_conv_paths_of(int64_t C, int64_t M, int64_t group, int64_t KH,
	int64_t KW)
{
	return (C / group == 1 || M / group == 1 ? KK_CONV_PATH_CW : 0) |
	       (group == 1 && C <= KK_CONV_FEWC_MAXC && KH <= KK_CONV_FEWC_MAXK &&
		KW <= KK_CONV_FEWC_MAXK ? KK_CONV_PATH_FEWC : 0);
}

/* The few-input-channel path's bounds on a 2-D convolution of group 1 and
 * dilation 1 (nn_conv.c, kk__conv_smallc_f32): C input channels, M output
 * ones, KH x KW taps, strides sh and sw, output rows of OW; its rows of
 * input buffered in KK_CONV_FEWC_ROW floats (each half at stride 2), its
 * weights in KK_CONV_FEWC_WL (taps x channels rounded up to 4). */
#define KK_CONV_FEWC_ROW 1056
#define KK_CONV_FEWC_MAXM 256
#define KK_CONV_FEWC_WL 12544

static inline int kk_conv_fewc_ok(int64_t C, int64_t M, int64_t KH, int64_t KW, int64_t sh,
	int64_t sw, int64_t OW)
{
	return C >= 1 && C <= KK_CONV_FEWC_MAXC && KH <= KK_CONV_FEWC_MAXK &&
	       KW <= KK_CONV_FEWC_MAXK && (sh == 1 || sh == 2) && (sw == 1 || sw == 2) &&
	       M >= 4 && M <= KK_CONV_FEWC_MAXM &&
	       C * KH * KW * ((M + 3) / 4 * 4) <= KK_CONV_FEWC_WL && OW >= 24 &&
	       (sw == 1 ? OW + 8 : 2 * (OW + 8)) <= KK_CONV_FEWC_ROW;
}

/* KilnConvPool (passes/fuse_convpool.c, nn_conv.c kk_conv_maxpool_f32): a
 * few-input-channel convolution whose output only a 3x3 stride-2 MaxPool
 * reads, computed in bands of pooled rows into a slot of the scratch per
 * task (at most KK_CONVPOOL_TASKS): M channels of 2 b + 1 rows of OW, b
 * pooled rows taking about KK_CONVPOOL_BYTES, then pooled from there. */
#define KK_CONVPOOL_TASKS 8
#define KK_CONVPOOL_BYTES ((int64_t)256 << 10)

static inline int64_t kk_convpool_band(int64_t M, int64_t OW)
{
	int64_t b = (KK_CONVPOOL_BYTES / (M * OW * (int64_t)sizeof(float)) - 1) / 2;
	return b < 1 ? 1 : b;
}

static inline int64_t kk_convpool_slot(int64_t M, int64_t OW)
{
	return M * (2 * kk_convpool_band(M, OW) + 1) * OW;
}

static inline int64_t kk_convpool_floats(int64_t M, int64_t OW)
{
	return KK_CONVPOOL_TASKS * kk_convpool_slot(M, OW);
}

/* A 1x1 convolution at stride 1 that keeps the image size (so unpadded):
 * its im2col matrix is the image itself. */
static inline int kk_conv_is_pointwise(int64_t KH, int64_t KW, int64_t sh, int64_t sw,
	int64_t H, int64_t W, int64_t OH, int64_t OW)
{
	return KH * KW == 1 && sh * sw == 1 && OH == H && OW == W;
}

/* Scratch floats of kk_conv_t_f32 (nn_conv.c): the im2col matrix (K x P,
 * none for a pointwise convolution) and the product (P x M). */
static inline int64_t kk_conv_t_floats(int64_t K, int64_t P, int64_t M, int pointwise)
{
	return (pointwise ? 0 : K * P) + P * M;
}

/* Winograd F(r x r, 3x3) (kk_conv_wino_f32, nn_conv.c), r = 2 or 4: the
 * output in tiles of r x r, each from an (r + 2) x (r + 2) input patch, one
 * transform point per patch cell. Rows of a tile row's input (r * tiles + 2
 * floats) fit KK_WINO_ROW. */
#define KK_WINO_ROW 1024

static inline int64_t kk_wino_tiles(int64_t OH, int64_t OW, int64_t r)
{
	return (OH + r - 1) / r * ((OW + r - 1) / r);
}

static inline int64_t kk_wino_points(int64_t r)
{
	return (r + 2) * (r + 2);
}

static inline int kk_wino_ok(int64_t OW, int64_t r)
{
	return (r == 2 || r == 4) && OW >= 1 && r * ((OW + r - 1) / r) + 2 <= KK_WINO_ROW;
}

/* The cost of C -> M channels on an OH x OW output in multiply-adds, direct
 * (r 0: 9 C M per output pixel) or by F(r x r, 3x3): C M products per point
 * and tile, the T tiles going through the micro-kernel in blocks of KK_NR
 * (Tp: T rounded up), and the transforms, which run 8 tiles of a tile row
 * per vector (Tv: the tile rows' tiles rounded up to 8), costing about 21
 * multiply-adds per input float and 13 per output float; F(4x4)'s twice
 * that on rows of fewer than 8 tiles (their row splits and interleaves
 * dominate). Measured per phase, each layer alone, 1 thread: F(4x4)
 * against F(2x2) and direct, SqueezeNet's 16 -> 64 at 55x55 623 / 722 /
 * 762 us, 32 -> 128 at 27x27 379 / 565 / 698, 48 -> 192 at 13x13 296 / 291
 * / 372, 64 -> 256 at 13x13 507 / 477 / 654; ResNet-18's 64 at 56x56 2413 /
 * 3038 / 4299, 128 at 28x28 2045 / 2685 / 3963, 256 at 14x14 2277 / 2805 /
 * 3981, 512 at 7x7 4945 / 2241 / 4202. */
static inline int64_t kk_wino_cost(int64_t C, int64_t M, int64_t OH, int64_t OW, int64_t r)
{
	if (r == 0)
		return 9 * C * M * OH * OW;
	int64_t TH = (OH + r - 1) / r, TW = (OW + r - 1) / r, T = TH * TW;
	int64_t Tp = (T + KK_NR - 1) / KK_NR * KK_NR, Tv = TH * ((TW + 7) / 8 * 8);
	int64_t moves = Tv * (21 * C + 13 * M) * (r == 4 && TW < 8 ? 2 : 1);
	return kk_wino_points(r) * (C * M * Tp + moves);
}

/* The tile size r (2 or 4) by which Winograd is cheapest for C -> M
 * channels on an OH x OW output, or 0 when the direct convolution is. */
static inline int kk_wino_tile(int64_t C, int64_t M, int64_t OH, int64_t OW)
{
	int best = 0;
	int64_t cost = kk_wino_cost(C, M, OH, OW, 0);
	for (int r = 2; r <= 4; r += 2) {
		int64_t c = kk_wino_ok(OW, r) ? kk_wino_cost(C, M, OH, OW, r) : cost;
		if (c < cost) {
			cost = c;
			best = r;
		}
	}
	return best;
}

/* Tile rows kk_conv_wino_f32 takes at a time, through all three phases:
 * all of them, or when the transformed input and the products of the whole
 * image take more than KK_WINO_BAND bytes and the weights (points x M x C)
 * no more, bands of tile rows whose two take about that (the weights are
 * read again for each band). Whole, SqueezeNet's 16 -> 64 at 55x55 wrote
 * and read 2.4 MB of them, from memory in the network: its first one took
 * 1.3 ms there, 0.57 in a run of the two fire modules alone; in bands of
 * 384 KB 0.85 ms (256 KB 1.06, 768 KB 0.92, 1.5 MB 1.10). The threads
 * (at most KK_WINO_TASKS) then split the tile rows, each running its bands
 * through the three phases in a slot of the scratch of its own. */
#define KK_WINO_BAND ((int64_t)384 << 10)
#define KK_WINO_TASKS 8

static inline int64_t kk_wino_band(int64_t C, int64_t M, int64_t OH, int64_t OW, int64_t r)
{
	int64_t TH = (OH + r - 1) / r, TW = (OW + r - 1) / r, np = kk_wino_points(r);
	int64_t row = np * (C + M) * TW * (int64_t)sizeof(float);
	if (row * TH <= KK_WINO_BAND || np * M * C * (int64_t)sizeof(float) > KK_WINO_BAND)
		return TH;
	int64_t b = KK_WINO_BAND / row;
	return b < 1 ? 1 : b;
}

/* Scratch floats of one band: the transformed input (points x C x tiles)
 * and the products (points x M x tiles), then 8 the output transform's
 * vector loads may reach past the last product row. */
static inline int64_t kk_wino_slot(int64_t C, int64_t M, int64_t OH, int64_t OW, int64_t r)
{
	return kk_wino_points(r) * (C + M) * kk_wino_band(C, M, OH, OW, r) * ((OW + r - 1) / r) +
	       8;
}

/* All of kk_conv_wino_f32's scratch: one slot, or one per task when the
 * image goes in bands. */
static inline int64_t kk_wino_floats(int64_t C, int64_t M, int64_t OH, int64_t OW, int64_t r)
{
	int banded = kk_wino_band(C, M, OH, OW, r) < (OH + r - 1) / r;
	return (banded ? KK_WINO_TASKS : 1) * kk_wino_slot(C, M, OH, OW, r);
}

/* One row of G g (g: 3 floats of a kernel row or column, in double) for
 * F(r x r, 3x3): r = 2, G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1];
 * r = 4, G = [1/4 0 0; -1/6 -1/6 -1/6; -1/6 1/6 -1/6; 1/24 1/12 1/6;
 * 1/24 -1/12 1/6; 0 0 1]. */
static inline void kk__wino_g(double *u, const double *g, int64_t r)
{
	if (r == 2) {
		u[0] = g[0];
		u[1] = 0.5 * (g[0] + g[1] + g[2]);
		u[2] = 0.5 * (g[0] - g[1] + g[2]);
		u[3] = g[2];
		return;
	}
	u[0] = g[0] / 4;
	u[1] = -(g[0] + g[1] + g[2]) / 6;
	u[2] = -(g[0] - g[1] + g[2]) / 6;
	u[3] = g[0] / 24 + g[1] / 12 + g[2] / 6;
	u[4] = g[0] / 24 - g[1] / 12 + g[2] / 6;
	u[5] = g[2];
}

/* The weights w[M][C][3][3] transformed for F(r x r, 3x3): U[xi][m][c] =
 * (G w[m][c] G^T)[xi / (r + 2)][xi % (r + 2)] (in double, rounded once):
 * one M x C matrix per point, the weights of a pointwise convolution in
 * kk_wino_points(r) groups. */
static inline void kk_wino_weights(float *U, const float *w, int64_t M, int64_t C, int64_t r)
{
	int64_t n = r + 2;
	for (int64_t m = 0; m < M; m++)
		for (int64_t c = 0; c < C; c++) {
			const float *g = w + (m * C + c) * 9;
			double col[3], t[6][3], row[3], u[6];
			for (int j = 0; j < 3; j++) {     /* G g: column by column */
				for (int i = 0; i < 3; i++)
					col[i] = g[3 * i + j];
				kk__wino_g(u, col, r);
				for (int i = 0; i < n; i++)
					t[i][j] = u[i];
			}
			for (int i = 0; i < n; i++) {     /* (G g) G^T: row by row */
				for (int j = 0; j < 3; j++)
					row[j] = t[i][j];
				kk__wino_g(u, row, r);
				for (int j = 0; j < n; j++)
					U[((i * n + j) * M + m) * C + c] = (float)u[j];
			}
		}
}

/* kk_conv_pwdw_f32 (nn_pwdw.c): the pointwise weights w[C][K] as panels of
 * 16 output channels, each K x 16 (channel c of panel b at wt[(b K + k) 16
 * + c % 16], zero past C), and its scratch: the intermediate tensor of one
 * image, C / 8 blocks of kk_pwdw_ring(C, H, W) rows of W + 2 pixels of 8
 * channels each. */
static inline int64_t kk_pwdw_w_floats(int64_t C, int64_t K)
{
	return (C + 15) / 16 * 16 * K;
}

static inline void kk_pwdw_pack_w(float *wt, const float *w, int64_t C, int64_t K)
{
	for (int64_t b = 0; b < (C + 15) / 16; b++)
		for (int64_t k = 0; k < K; k++)
			for (int64_t c = 0; c < 16; c++)
				wt[(b * K + k) * 16 + c] = b * 16 + c < C ? w[(b * 16 + c) * K + k] : 0.0f;
}

#define KK_PWDW_PX 6     /* pixels per tile of the pointwise product */

/* Input rows per band of kk_conv_pwdw_f32: an image whose intermediate
 * (H + 2 rows with their ring of zeros) takes more than KK_PWDW_WHOLE bytes
 * (KK_PWDW_WHOLE_PJ with a projection fused, proj != 0) goes in bands of
 * about KK_PWDW_ROWS bytes of it, 2 rows and a pixel tile at least
 * (nn_pwdw.c has the measurements); else one band, the image. */
#define KK_PWDW_WHOLE ((int64_t)4 << 20)
#define KK_PWDW_WHOLE_PJ ((int64_t)512 << 10)
#define KK_PWDW_ROWS ((int64_t)512 << 10)

static inline int64_t kk_pwdw_band(int64_t C, int64_t H, int64_t W, int proj)
{
	int64_t row = C * (W + 2) * (int64_t)sizeof(float), b = KK_PWDW_ROWS / row;
	if (row * (H + 2) <= (proj ? KK_PWDW_WHOLE_PJ : KK_PWDW_WHOLE))
		return H;
	b = b > 2 ? b : 2;
	b = b > (KK_PWDW_PX + W - 1) / W ? b : (KK_PWDW_PX + W - 1) / W;
	return b < H ? b : H;
}

/* Rows of the intermediate the scratch holds: padded row r (input row
 * r - 1; rows 0 and H + 1 are the zeros around) in row r mod this. A band's
 * depthwise rows read from the last two rows of the band before it on, so
 * at most a band and 3 rows are in use at once (all H + 2 when the image is
 * one band). */
static inline int64_t kk_pwdw_ring(int64_t C, int64_t H, int64_t W, int proj)
{
	int64_t b = kk_pwdw_band(C, H, W, proj);
	return b + 3 < H + 2 ? b + 3 : H + 2;
}

static inline int64_t kk_pwdw_floats(int64_t C, int64_t H, int64_t W, int proj)
{
	return C * kk_pwdw_ring(C, H, W, proj) * (W + 2);
}

/* With a fused projection, each task of kk_conv_pwdw_f32 (at most
 * KK_PWDW_PJ_TASKS of them) packs the depthwise output of a group of pixel
 * panels into a slot of its own after the ring: kk_pwdw_pj_group(C) panels
 * of C x KK_NR floats, up to KK_PWDW_PJ_FLOATS (256 KB, half an L2; the
 * projection reads its weights once per group, and MobileNetV2's 960 ->
 * 320 is 1.2 MB of them). */
#define KK_PWDW_PJ_TASKS 8
#define KK_PWDW_PJ_FLOATS 65536
#define KK_PWDW_PJ_MAXG 16

static inline int64_t kk_pwdw_pj_group(int64_t C)
{
	int64_t g = KK_PWDW_PJ_FLOATS / (C * KK_NR);
	return g < 1 ? 1 : g > KK_PWDW_PJ_MAXG ? KK_PWDW_PJ_MAXG : g;
}

/* All of kk_conv_pwdw_f32's scratch: the ring, then with a projection
 * (proj != 0) the tasks' slots. */
static inline int64_t kk_pwdw_scratch(int64_t C, int64_t H, int64_t W, int proj)
{
	return kk_pwdw_floats(C, H, W, proj) +
	       (proj ? KK_PWDW_PJ_TASKS * kk_pwdw_pj_group(C) * C * KK_NR : 0);
}

#endif
