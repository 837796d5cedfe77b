/* test_kk_nn_move.c — data-movement kernels against naive index arithmetic:
 * strided copy as transpose / negative-step slice / broadcast for every
 * element size, tile, gather (negative and out-of-range indices, int32 and
 * int64), gather_elements, pad (constant/reflect/edge, negative pads),
 * range and fill. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "kk_nn.h"

static uint64_t rng = 0x853C49E6748FEA9Bull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int64_t irand(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(next() % (uint64_t)(hi - lo + 1));
}

/* Unravels flat index e over dims[rank] into idx. */
static void unravel(int64_t e, int rank, const int64_t *dims, int64_t *idx)
{
	for (int k = rank - 1; k >= 0; k--) {
		idx[k] = e % dims[k];
		e /= dims[k];
	}
}

static int64_t prod(int rank, const int64_t *d)
{
	int64_t p = 1;
	for (int k = 0; k < rank; k++)
		p *= d[k];
	return p;
}

/* Random permutation transposes, negative-step slices and broadcasts of a
 * random source tensor, checked element by element (compared as bytes). */
static void test_copy_strided(void **state)
{
	static const int64_t sizes[] = {1, 2, 4, 8, 3};
	for (int it = 0; it < 300; it++) {
		int rank = (int)irand(0, 5);
		int64_t es = sizes[it % 5];
		int64_t in[6], out[6], ss[6], ds[6], perm[6], step[6], start[6], idx[6];
		for (int k = 0; k < rank; k++) {
			in[k] = irand(1, it % 10 == 0 ? 40 : 6);
			perm[k] = k;
		}
		for (int k = rank - 1; k > 0; k--) {
			int j = (int)irand(0, k);
			int64_t t = perm[k]; perm[k] = perm[j]; perm[j] = t;
		}
		int64_t n_in = prod(rank, in);
		int64_t instr[6];
		for (int k = rank - 1, s = 1; k >= 0; k--) {
			instr[k] = s;
			s *= (int)in[k];
		}
		/* out axis k reads in axis perm[k] with step +-1/2 or broadcast */
		int64_t off = 0;
		for (int k = 0; k < rank; k++) {
			int64_t a = perm[k], mode = irand(0, 4);
			step[k] = mode == 0 ? -1 : mode == 1 ? 2 : mode == 2 ? 0 : 1;
			if (step[k] == 0) {
				out[k] = irand(1, 4);
				start[k] = irand(0, in[a] - 1);
			} else if (step[k] == -1) {
				out[k] = irand(1, in[a]);
				start[k] = in[a] - 1 - irand(0, in[a] - out[k]);
			} else {
				out[k] = (in[a] + step[k] - 1) / step[k];
				start[k] = 0;
			}
			ss[k] = step[k] * instr[a];
			off += start[k] * instr[a];
		}
		int64_t n_out = prod(rank, out);
		for (int k = rank - 1, s = 1; k >= 0; k--) {
			ds[k] = s;
			s *= (int)out[k];
		}
		unsigned char *src = malloc((size_t)(n_in * es)), *dst = malloc((size_t)(n_out * es));
		for (int64_t i = 0; i < n_in * es; i++)
			src[i] = (unsigned char)next();
		kk_copy_strided(NULL, es, rank, out, src + off * es, ss, dst, ds);
		for (int64_t e = 0; e < n_out; e++) {
			unravel(e, rank, out, idx);
			int64_t si = 0;
			for (int k = 0; k < rank; k++)
				si += (start[k] + idx[k] * step[k]) * instr[perm[k]];
			assert_memory_equal(dst + e * es, src + si * es, (size_t)es);
		}
		free(src);
		free(dst);
	}
}

static void test_copy_transpose_large(void **state)
{
	/* NCHW -> NHWC, exercises the 16x16 blocked path */
	int64_t N = 2, C = 19, H = 13, W = 21;
	int64_t dims[4] = {N, H, W, C}, ss[4] = {C * H * W, W, 1, H * W};
	int64_t ds[4] = {H * W * C, W * C, C, 1};
	float *x = malloc(sizeof(float) * N * C * H * W), *y = malloc(sizeof(float) * N * C * H * W);
	for (int64_t i = 0; i < N * C * H * W; i++)
		x[i] = (float)i;
	kk_copy_strided(NULL, 4, 4, dims, x, ss, y, ds);
	for (int64_t n = 0; n < N; n++)
		for (int64_t h = 0; h < H; h++)
			for (int64_t w = 0; w < W; w++)
				for (int64_t c = 0; c < C; c++)
					assert_true(y[((n * H + h) * W + w) * C + c] ==
						x[((n * C + c) * H + h) * W + w]);
	free(x);
	free(y);
}

static void test_tile(void **state)
{
	for (int it = 0; it < 100; it++) {
		int rank = (int)irand(0, 4);
		int64_t in[4], out[4], idx[4], es = it % 2 ? 2 : 8;
		for (int k = 0; k < rank; k++) {
			in[k] = irand(1, 5);
			out[k] = in[k] * irand(0, 3);
		}
		int64_t ni = prod(rank, in), no = prod(rank, out);
		unsigned char *src = malloc((size_t)(ni * es)), *dst = malloc((size_t)(no * es + 1));
		for (int64_t i = 0; i < ni * es; i++)
			src[i] = (unsigned char)next();
		kk_tile(NULL, es, rank, out, in, src, dst);
		for (int64_t e = 0; e < no; e++) {
			unravel(e, rank, out, idx);
			int64_t si = 0;
			for (int k = 0; k < rank; k++)
				si = si * in[k] + idx[k] % in[k];
			assert_memory_equal(dst + e * es, src + si * es, (size_t)es);
		}
		free(src);
		free(dst);
	}
}

static void test_gather(void **state)
{
	for (int it = 0; it < 100; it++) {
		int64_t outer = irand(1, 4), alen = irand(1, 6), inner = irand(1, 5), ni = irand(0, 7);
		int32_t data[4 * 6 * 5], out[4 * 7 * 5], i32[7];
		int64_t i64[7];
		for (int i = 0; i < 120; i++)
			data[i] = (int32_t)next();
		for (int64_t j = 0; j < ni; j++)
			i64[j] = i32[j] = (int32_t)irand(-alen, alen - 1);
		int dt = it % 2 ? 6 : 7;
		assert_int_equal(kk_gather(NULL, 4, data, dt == 6 ? (void *)i32 : (void *)i64, dt,
			out, outer, alen, inner, ni), KILN_RUN_OK);
		for (int64_t o = 0; o < outer; o++)
			for (int64_t j = 0; j < ni; j++)
				for (int64_t i = 0; i < inner; i++) {
					int64_t ix = i64[j] < 0 ? i64[j] + alen : i64[j];
					assert_int_equal(out[(o * ni + j) * inner + i],
						data[(o * alen + ix) * inner + i]);
				}
		if (ni > 0) {
			int64_t bad = it % 4 < 2 ? alen : -alen - 1;
			i64[ni - 1] = i32[ni - 1] = (int32_t)bad;
			assert_int_equal(kk_gather(NULL, 4, data, dt == 6 ? (void *)i32 : (void *)i64,
				dt, out, outer, alen, inner, ni), KILN_RUN_INDEX);
		}
	}
}

static void test_gather_elements(void **state)
{
	for (int it = 0; it < 100; it++) {
		int rank = (int)irand(1, 4), axis = (int)irand(0, rank - 1);
		int64_t dd[4], od[4], idx[4];
		for (int k = 0; k < rank; k++) {
			dd[k] = irand(1, 5);
			od[k] = k == axis ? irand(1, 6) : irand(1, dd[k]);
		}
		int64_t nd = prod(rank, dd), no = prod(rank, od);
		double *data = malloc(sizeof(double) * nd), *out = malloc(sizeof(double) * no);
		int64_t *ind = malloc(sizeof(int64_t) * no);
		for (int64_t i = 0; i < nd; i++)
			data[i] = (double)(int64_t)next();
		for (int64_t i = 0; i < no; i++)
			ind[i] = irand(-dd[axis], dd[axis] - 1);
		assert_int_equal(kk_gather_elements(NULL, 8, data, ind, 7, out, rank, od, dd, axis),
			KILN_RUN_OK);
		for (int64_t e = 0; e < no; e++) {
			unravel(e, rank, od, idx);
			idx[axis] = ind[e] < 0 ? ind[e] + dd[axis] : ind[e];
			int64_t di = 0;
			for (int k = 0; k < rank; k++)
				di = di * dd[k] + idx[k];
			assert_true(out[e] == data[di]);
		}
		ind[no - 1] = dd[axis];
		assert_int_equal(kk_gather_elements(NULL, 8, data, ind, 7, out, rank, od, dd, axis),
			KILN_RUN_INDEX);
		free(data);
		free(out);
		free(ind);
	}
}

/* numpy.pad semantics, one coordinate at a time; -1 means constant. */
static int64_t pad_ref(int mode, int64_t o, int64_t pb, int64_t n)
{
	int64_t i = o - pb;
	if (i >= 0 && i < n)
		return i;
	if (mode == KK_PAD_CONSTANT)
		return -1;
	if (mode == KK_PAD_EDGE)
		return i < 0 ? 0 : n - 1;
	while (i < 0 || i >= n)
		i = i < 0 ? -i : 2 * (n - 1) - i;
	return i;
}

static void test_pad(void **state)
{
	for (int it = 0; it < 300; it++) {
		int rank = (int)irand(1, 4), mode = it % 3;
		int64_t in[4], out[4], pb[4], idx[4];
		for (int k = 0; k < rank; k++) {
			in[k] = irand(mode == KK_PAD_REFLECT ? 2 : 1, 5);
			pb[k] = irand(mode == KK_PAD_CONSTANT ? -in[k] + 1 : 0, 6);
			int64_t pe = irand(mode == KK_PAD_CONSTANT ? -in[k] - pb[k] + 1 : 0, 6);
			if (pe < -in[k] - pb[k] + 1)
				pe = -in[k] - pb[k] + 1;
			out[k] = in[k] + pb[k] + pe;
		}
		int64_t ni = prod(rank, in), no = prod(rank, out);
		uint16_t *src = malloc(sizeof(uint16_t) * ni), *dst = malloc(sizeof(uint16_t) * no);
		uint16_t cv = (uint16_t)next();
		for (int64_t i = 0; i < ni; i++)
			src[i] = (uint16_t)next();
		kk_pad(NULL, 2, mode, rank, in, out, pb, src, dst, it % 6 == 0 ? NULL : &cv);
		for (int64_t e = 0; e < no; e++) {
			unravel(e, rank, out, idx);
			int64_t si = 0, inside = 1;
			for (int k = 0; k < rank; k++) {
				int64_t i = pad_ref(mode, idx[k], pb[k], in[k]);
				inside &= i >= 0;
				si = si * in[k] + i;
			}
			uint16_t want = inside ? src[si] : it % 6 == 0 ? 0 : cv;
			assert_int_equal(dst[e], want);
		}
		free(src);
		free(dst);
	}
}

static void test_range_fill(void **state)
{
	float fs = 1.5f, fd = -0.25f, fo[9];
	kk_range(NULL, 1, &fs, &fd, fo, 9);
	for (int i = 0; i < 9; i++)
		assert_true(fo[i] == 1.5f + (float)i * -0.25f);
	int32_t is = 10, id = -3, io[5];
	kk_range(NULL, 6, &is, &id, io, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(io[i], 10 - 3 * i);
	int64_t ls = (int64_t)1 << 40, ld = 7, lo[4];
	kk_range(NULL, 7, &ls, &ld, lo, 4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(lo[i], ls + 7 * i);
	double v = -2.75, d[13];
	kk_fill(NULL, 8, &v, d, 13);
	for (int i = 0; i < 13; i++)
		assert_true(d[i] == v);
	unsigned char three[3] = {1, 2, 3}, t[15];
	kk_fill(NULL, 3, three, t, 5);
	for (int i = 0; i < 15; i++)
		assert_int_equal(t[i], three[i % 3]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_strided),
		cmocka_unit_test(test_copy_transpose_large),
		cmocka_unit_test(test_tile),
		cmocka_unit_test(test_gather),
		cmocka_unit_test(test_gather_elements),
		cmocka_unit_test(test_pad),
		cmocka_unit_test(test_range_fill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
