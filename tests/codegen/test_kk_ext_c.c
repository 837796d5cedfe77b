/* test_kk_ext_c.c — "ops wave C" kernels (codegen/kernels/ext_c.c) against
 * independent references: LSTM/GRU/RNN steps written out per gate with
 * [t][b][i] arrays, reverse = forward on a time-reversed input, sequence
 * lengths, GridSample identity/linear-image/padding properties, and the
 * optimizers on hand-computed values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <cmocka.h>
#include "kk_ext_c.h"
#include "kk_math.h"

static uint64_t rng = 0x243F6A8885A308D3ull;

static float frand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (float)((rng >> 11) * (1.0 / 9007199254740992.0) * 2.0 - 1.0);
}

static void fill(float *p, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = frand();
}

#define near(a, b, tol) assert_true(fabs((double)(a) - (double)(b)) <= (tol))

static double sig(double x) { return 1 / (1 + exp(-x)); }

static kk_rnn_desc desc(int kind, int T, int B, int I, int H, int ndir)
{
	kk_rnn_desc d;
	memset(&d, 0, sizeof d);
	d.kind = kind;
	d.dtype = KK_DT_F32;
	d.ndir = ndir;
	d.T = T, d.B = B, d.I = I, d.H = H;
	int f = kind == KK_RNN_SIMPLE ? KK_ACT_TANH : KK_ACT_SIGMOID;
	for (int k = 0; k < 6; k++)
		d.act[k] = k % 3 == 0 ? f : KK_ACT_TANH;
	return d;
}

enum { T = 3, B = 2, I = 3, H = 2 };

/* LSTM forward with bias, peepholes, initial h/c against a per-gate loop. */
static void test_lstm(void **state)
{
	(void)state;
	float X[T][B][I], W[4 * H][I], R[4 * H][H], Bi[8 * H], P[3 * H], h0[B][H], c0[B][H];
	float Y[T][1][B][H], Yh[B][H], Yc[B][H];
	fill(&X[0][0][0], T * B * I); fill(&W[0][0], 4 * H * I); fill(&R[0][0], 4 * H * H);
	fill(Bi, 8 * H); fill(P, 3 * H); fill(&h0[0][0], B * H); fill(&c0[0][0], B * H);
	kk_rnn_desc d = desc(KK_RNN_LSTM, T, B, I, H, 1);
	assert_int_equal(kk_rnn(NULL, &d, X, W, R, Bi, NULL, h0, c0, P, Y, Yh, Yc), KILN_RUN_OK);
	for (int b = 0; b < B; b++) {
		double h[H], c[H];
		for (int j = 0; j < H; j++)
			h[j] = h0[b][j], c[j] = c0[b][j];
		for (int t = 0; t < T; t++) {
			double pre[4][H], nh[H];
			for (int gt = 0; gt < 4; gt++)
				for (int j = 0; j < H; j++) {
					int row = gt * H + j;
					double s = Bi[row] + Bi[4 * H + row];
					for (int i = 0; i < I; i++)
						s += W[row][i] * X[t][b][i];
					for (int k = 0; k < H; k++)
						s += R[row][k] * h[k];
					pre[gt][j] = s;
				}
			for (int j = 0; j < H; j++) {
				double ig = sig(pre[0][j] + P[j] * c[j]);
				double fg = sig(pre[2][j] + P[2 * H + j] * c[j]);
				c[j] = fg * c[j] + ig * tanh(pre[3][j]);
				nh[j] = sig(pre[1][j] + P[H + j] * c[j]) * tanh(c[j]);
			}
			for (int j = 0; j < H; j++) {
				h[j] = nh[j];
				near(Y[t][0][b][j], h[j], 1e-5);
			}
		}
		for (int j = 0; j < H; j++) {
			near(Yh[b][j], h[j], 1e-5);
			near(Yc[b][j], c[j], 1e-5);
		}
	}
}

/* GRU reference for one direction (both linear_before_reset settings). */
static void gru_ref(const float *X, const float *W, const float *R, const float *Bi,
		    int lbr, int rev, float Yref[T][B][H])
{
	for (int b = 0; b < B; b++) {
		double h[H] = {0};
		for (int s = 0; s < T; s++) {
			int t = rev ? T - 1 - s : s;
			double z[H], r[H], xh[H], hh[H], rh[H];
			for (int j = 0; j < H; j++) {
				double a[3], c[3];
				for (int gt = 0; gt < 3; gt++) {
					int row = gt * H + j;
					a[gt] = Bi[row];
					c[gt] = Bi[3 * H + row];
					for (int i = 0; i < I; i++)
						a[gt] += W[row * I + i] * X[(t * B + b) * I + i];
					if (gt < 2 || lbr)
						for (int k = 0; k < H; k++)
							c[gt] += R[row * H + k] * h[k];
				}
				z[j] = sig(a[0] + c[0]);
				r[j] = sig(a[1] + c[1]);
				xh[j] = a[2];
				hh[j] = c[2];
			}
			for (int j = 0; j < H; j++) {
				if (lbr) {
					rh[j] = tanh(xh[j] + r[j] * hh[j]);
					continue;
				}
				double s = hh[j];
				for (int k = 0; k < H; k++)
					s += R[(2 * H + j) * H + k] * r[k] * h[k];
				rh[j] = tanh(xh[j] + s);
			}
			for (int j = 0; j < H; j++) {
				h[j] = (1 - z[j]) * rh[j] + z[j] * h[j];
				Yref[t][b][j] = (float)h[j];
			}
		}
	}
}

/* Bidirectional GRU: direction 1 runs backwards with its own weights. */
static void test_gru_bidi(void **state)
{
	(void)state;
	for (int lbr = 0; lbr < 2; lbr++) {
		float X[T][B][I], W[2][3 * H][I], R[2][3 * H][H], Bi[2][6 * H];
		float Y[T][2][B][H], Yh[2][B][H], ref[T][B][H];
		fill(&X[0][0][0], T * B * I); fill(&W[0][0][0], 6 * H * I);
		fill(&R[0][0][0], 6 * H * H); fill(&Bi[0][0], 12 * H);
		kk_rnn_desc d = desc(KK_RNN_GRU, T, B, I, H, 2);
		d.lbr = lbr;
		assert_int_equal(kk_rnn(NULL, &d, X, W, R, Bi, NULL, NULL, NULL, NULL, Y, Yh,
					NULL), KILN_RUN_OK);
		for (int dir = 0; dir < 2; dir++) {
			gru_ref(&X[0][0][0], &W[dir][0][0], &R[dir][0][0], Bi[dir], lbr, dir, ref);
			for (int t = 0; t < T; t++)
				for (int b = 0; b < B; b++)
					for (int j = 0; j < H; j++)
						near(Y[t][dir][b][j], ref[t][b][j], 1e-5);
			for (int b = 0; b < B; b++)
				for (int j = 0; j < H; j++)
					near(Yh[dir][b][j], ref[dir ? 0 : T - 1][b][j], 1e-5);
		}
	}
}

/* Simple RNN: reverse equals forward on the time-reversed input; a
 * sequence length L zeroes Y past L and Y_h is Y at step L - 1; layout 1
 * equals layout 0 transposed. */
static void test_rnn_props(void **state)
{
	(void)state;
	float X[T][B][I], Xr[T][B][I], W[H][I], R[H][H], Y[T][1][B][H], Yr[T][1][B][H];
	float Yh[B][H];
	fill(&X[0][0][0], T * B * I); fill(&W[0][0], H * I); fill(&R[0][0], H * H);
	for (int t = 0; t < T; t++)
		memcpy(Xr[T - 1 - t], X[t], sizeof X[t]);
	kk_rnn_desc d = desc(KK_RNN_SIMPLE, T, B, I, H, 1);
	kk_rnn(NULL, &d, X, W, R, NULL, NULL, NULL, NULL, NULL, Y, NULL, NULL);
	d.reverse = 1;
	kk_rnn(NULL, &d, Xr, W, R, NULL, NULL, NULL, NULL, NULL, Yr, NULL, NULL);
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++)
			for (int j = 0; j < H; j++)
				near(Yr[T - 1 - t][0][b][j], Y[t][0][b][j], 1e-6);
	d.reverse = 0;
	int32_t lens[B] = {T, 1};
	float Ys[T][1][B][H];
	kk_rnn(NULL, &d, X, W, R, NULL, lens, NULL, NULL, NULL, Ys, Yh, NULL);
	for (int b = 0; b < B; b++)
		for (int j = 0; j < H; j++) {
			near(Yh[b][j], Y[lens[b] - 1][0][b][j], 1e-6);
			for (int t = 0; t < T; t++)
				near(Ys[t][0][b][j], t < lens[b] ? Y[t][0][b][j] : 0, 1e-6);
		}
	float Xl[B][T][I], Yl[B][T][1][H];
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++)
			memcpy(Xl[b][t], X[t][b], sizeof X[t][b]);
	d.layout = 1;
	kk_rnn(NULL, &d, Xl, W, R, NULL, NULL, NULL, NULL, NULL, Yl, NULL, NULL);
	for (int t = 0; t < T; t++)
		for (int b = 0; b < B; b++)
			for (int j = 0; j < H; j++)
				near(Yl[b][t][0][j], Y[t][0][b][j], 1e-6);
	lens[1] = T + 1;
	d.layout = 0;
	assert_int_equal(kk_rnn(NULL, &d, X, W, R, NULL, lens, NULL, NULL, NULL, Y, NULL, NULL),
			 KILN_RUN_VALUE);
}

/* GridSample with align_corners: grid points at pixel centres reproduce
 * pixels in every mode; bilinear of a linear image is exact; border clamps;
 * reflection mirrors; zeros padding fades at the edge. */
static void test_grid_sample(void **state)
{
	(void)state;
	enum { GH = 3, GW = 4 };
	float X[GH][GW], grid[GH][GW][2], Y[GH][GW];
	fill(&X[0][0], GH * GW);
	for (int y = 0; y < GH; y++)
		for (int x = 0; x < GW; x++) {
			grid[y][x][0] = -1 + 2.0f * x / (GW - 1);
			grid[y][x][1] = -1 + 2.0f * y / (GH - 1);
		}
	for (int mode = 0; mode < 3; mode++) {
		kk_grid_sample(NULL, KK_DT_F32, X, grid, Y, 1, 1, GH, GW, GH, GW, mode,
			       KK_GS_ZEROS, 1);
		for (int y = 0; y < GH; y++)
			for (int x = 0; x < GW; x++)
				near(Y[y][x], X[y][x], 1e-5);
	}
	float L[GH][GW], g1[1][1][2] = {{{0.3f, -0.2f}}}, y1;
	for (int y = 0; y < GH; y++)
		for (int x = 0; x < GW; x++)
			L[y][x] = 2.0f * x - 3.0f * y + 1;
	kk_grid_sample(NULL, KK_DT_F32, L, g1, &y1, 1, 1, GH, GW, 1, 1, KK_GS_BILINEAR,
		       KK_GS_ZEROS, 0);
	double px = ((0.3 + 1) * GW - 1) / 2, py = ((-0.2 + 1) * GH - 1) / 2;
	near(y1, 2 * px - 3 * py + 1, 1e-5);
	float far[1][1][2] = {{{5.0f, -7.0f}}};
	kk_grid_sample(NULL, KK_DT_F32, L, far, &y1, 1, 1, GH, GW, 1, 1, KK_GS_BILINEAR,
		       KK_GS_BORDER, 1);
	near(y1, L[0][GW - 1], 1e-6);
	kk_grid_sample(NULL, KK_DT_F32, L, far, &y1, 1, 1, GH, GW, 1, 1, KK_GS_BILINEAR,
		       KK_GS_ZEROS, 1);
	near(y1, 0, 0);
	/* align_corners: x = -1.5 pixels mirrors to +1.5 */
	float gm[1][1][2] = {{{-1 - 1.5f * 2 / (GW - 1), -1}}};
	float gp[1][1][2] = {{{-1 + 1.5f * 2 / (GW - 1), -1}}};
	float ym, yp;
	kk_grid_sample(NULL, KK_DT_F32, X, gm, &ym, 1, 1, GH, GW, 1, 1, KK_GS_BILINEAR,
		       KK_GS_REFLECTION, 1);
	kk_grid_sample(NULL, KK_DT_F32, X, gp, &yp, 1, 1, GH, GW, 1, 1, KK_GS_BILINEAR,
		       KK_GS_REFLECTION, 1);
	near(ym, yp, 1e-5);
	near(yp, (X[0][1] + X[0][2]) / 2, 1e-5);
}

/* Optimizers on hand-computed values. */
static void test_optimizers(void **state)
{
	(void)state;
	float r = 0.5f, x[2] = {1, -2}, g[2] = {3, 4}, h[2] = {0, 9}, v[2] = {1, 2};
	float xn[2], hn[2], vn[2];
	int64_t t = 1;
	/* Adagrad, decay 1 -> rate 0.25; h' = {9, 25}; x' = x - 0.25*g/sqrt(h') */
	kk_adagrad(NULL, KK_DT_F32, &r, &t, x, g, h, xn, hn, 2, 0, 0, 1);
	near(hn[0], 9, 1e-6); near(hn[1], 25, 1e-6);
	near(xn[0], 1 - 0.25, 1e-6); near(xn[1], -2 - 0.25 * 4 / 5, 1e-6);
	/* Momentum t = 0: beta ignored; v' = 0.5*v + g = {3.5, 5} */
	t = 0;
	kk_momentum(NULL, KK_DT_F32, &r, &t, x, g, v, xn, vn, 2, 0, 0.5, 7, 0);
	near(vn[0], 3.5, 1e-6); near(xn[0], 1 - 1.75, 1e-6);
	t = 2;
	kk_momentum(NULL, KK_DT_F32, &r, &t, x, g, v, xn, vn, 2, 0, 0.5, 2, 1);
	/* v' = 0.5 + 6 = 6.5; nesterov x' = 1 - 0.5*(3 + 3.25) */
	near(vn[0], 6.5, 1e-6); near(xn[0], 1 - 0.5 * 6.25, 1e-6);
	/* Adam t = 1, alpha .5, beta .75: v' = 2, h' = 0.25*9 = 2.25,
	 * r' = 0.5*sqrt(0.25)/0.5 = 0.5; x' = 1 - 0.5*2/1.5 */
	t = 1;
	float hz[2] = {0, 0};
	kk_adam(NULL, KK_DT_F32, &r, &t, x, g, v, hz, xn, vn, hn, 2, 0, 0, 0.5, 0.75, 0);
	near(vn[0], 2, 1e-6); near(hn[0], 2.25, 1e-6); near(xn[0], 1 - 1.0 / 1.5, 1e-6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lstm),
		cmocka_unit_test(test_gru_bidi),
		cmocka_unit_test(test_rnn_props),
		cmocka_unit_test(test_grid_sample),
		cmocka_unit_test(test_optimizers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
