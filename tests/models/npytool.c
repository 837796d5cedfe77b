/* npytool.c — a tiny numpy-free checker for the model tests: reads .npy
 * files (float32, float64, bool, int64) and compares them, so the end-to-end
 * tests need no Python at test time.
 *   npytool cmp OUT REF TOL         max|out-ref| / max|ref| <= TOL, same shape
 *   npytool same A B                exit 0 when dtype, shape and data agree
 *   npytool dropout OUT MASK IN P   statistical check of a Dropout run
 *   npytool print FILE              prints shape and values, one row a line
 * Exit 0 on success, 1 on a failed check, 2 on a usage or file error. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char descr[8];     /* "<f4", "<f8", "|b1", "<i8"... */
	int rank;
	long dims[8];
	size_t numel, itemsize;
	unsigned char *data;
} npy_t;

static int fail(const char *fmt, const char *a)
{
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	return 2;
}

/* Parses the header dict: 'descr', 'fortran_order' and 'shape'. */
static int npy_parse_header(npy_t *t, const char *h, const char *path)
{
	const char *d = strstr(h, "'descr'"), *s = strstr(h, "'shape'");
	if (!d || !s || strstr(h, "'fortran_order': True"))
		return fail("npytool: %s: unsupported npy header", path);
	d = strchr(d + 7, '\'');
	if (!d || sscanf(d + 1, "%7[^']", t->descr) != 1)
		return fail("npytool: %s: bad descr", path);
	s = strchr(s, '(');
	if (!s)
		return fail("npytool: %s: bad shape", path);
	t->rank = 0;
	t->numel = 1;
	for (s++; *s && *s != ')';) {
		char *end;
		long v = strtol(s, &end, 10);
		if (end == s) {
			s++;
			continue;
		}
		if (t->rank == 8)
			return fail("npytool: %s: rank too large", path);
		t->dims[t->rank++] = v;
		t->numel *= (size_t)v;
		s = end;
	}
	t->itemsize = (size_t)atoi(t->descr + 2);
	if (t->itemsize == 0 || t->descr[0] == '>')
		return fail("npytool: %s: unsupported dtype", path);
	return 0;
}

static int npy_read(const char *path, npy_t *t)
{
	unsigned char pre[12];
	FILE *f = fopen(path, "rb");
	memset(t, 0, sizeof *t);
	if (!f)
		return fail("npytool: cannot open %s", path);
	if (fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
		fclose(f);
		return fail("npytool: %s: not an npy file", path);
	}
	size_t hlen = pre[8] | (size_t)pre[9] << 8;
	if (pre[6] >= 2) {
		if (fread(pre + 10, 1, 2, f) != 2) {
			fclose(f);
			return fail("npytool: %s: truncated", path);
		}
		hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
	}
	char *h = calloc(1, hlen + 1);
	int rc = (!h || fread(h, 1, hlen, f) != hlen) ? fail("npytool: %s: truncated", path)
						      : npy_parse_header(t, h, path);
	free(h);
	if (rc == 0) {
		t->data = malloc(t->numel * t->itemsize + 1);
		if (!t->data || fread(t->data, t->itemsize, t->numel, f) != t->numel)
			rc = fail("npytool: %s: truncated data", path);
	}
	fclose(f);
	return rc;
}

static double npy_get(const npy_t *t, size_t i)
{
	const unsigned char *p = t->data + i * t->itemsize;
	if (!strcmp(t->descr + 1, "f4")) { float v; memcpy(&v, p, 4); return v; }
	if (!strcmp(t->descr + 1, "f8")) { double v; memcpy(&v, p, 8); return v; }
	if (!strcmp(t->descr + 1, "i8")) { int64_t v; memcpy(&v, p, 8); return (double)v; }
	if (!strcmp(t->descr + 1, "i4")) { int32_t v; memcpy(&v, p, 4); return v; }
	return p[0];   /* b1, u1, i1 */
}

static int same_shape(const npy_t *a, const npy_t *b)
{
	if (a->rank != b->rank)
		return 0;
	for (int i = 0; i < a->rank; i++)
		if (a->dims[i] != b->dims[i])
			return 0;
	return 1;
}

static int cmd_cmp(const char *out_path, const char *ref_path, double tol)
{
	npy_t o, r;
	if (npy_read(out_path, &o) || npy_read(ref_path, &r))
		return 2;
	if (!same_shape(&o, &r) || strcmp(o.descr + 1, r.descr + 1)) {
		printf("FAIL: %s is %s rank %d, reference %s rank %d (or dims differ)\n",
		       out_path, o.descr, o.rank, r.descr, r.rank);
		return 1;
	}
	double maxdiff = 0, maxref = 0;
	for (size_t i = 0; i < o.numel; i++) {
		double a = npy_get(&o, i), b = npy_get(&r, i);
		double d = fabs(a - b);
		if (isnan(a) != isnan(b))
			d = INFINITY;
		if (!(d <= maxdiff))
			maxdiff = d;
		if (fabs(b) > maxref)
			maxref = fabs(b);
	}
	double rel = maxref > 0 ? maxdiff / maxref : maxdiff;
	int ok = rel <= tol;
	printf("%s: %zu elements, max|out-ref| = %g, max|ref| = %g, ratio %g (tol %g)\n",
	       ok ? "OK" : "FAIL", o.numel, maxdiff, maxref, rel, tol);
	return ok ? 0 : 1;
}

static int cmd_same(const char *a_path, const char *b_path)
{
	npy_t a, b;
	if (npy_read(a_path, &a) || npy_read(b_path, &b))
		return 2;
	int ok = same_shape(&a, &b) && !strcmp(a.descr, b.descr) &&
		 memcmp(a.data, b.data, a.numel * a.itemsize) == 0;
	printf("%s and %s are %s\n", a_path, b_path, ok ? "identical" : "different");
	return ok ? 0 : 1;
}

/* Every output element is 0 or x/(1-p); the drop fraction is within 5 sigma
 * of p; mask[i] is true exactly where the element was kept. */
static int cmd_dropout(const char *out_path, const char *mask_path, const char *in_path, double p)
{
	npy_t o, m, x;
	if (npy_read(out_path, &o) || npy_read(mask_path, &m) || npy_read(in_path, &x))
		return 2;
	if (!same_shape(&o, &x) || !same_shape(&m, &x) || strcmp(m.descr, "|b1")) {
		printf("FAIL: output/mask/input shapes or mask dtype (%s) disagree\n", m.descr);
		return 1;
	}
	size_t dropped = 0, bad_scale = 0, bad_mask = 0;
	double scale = 1.0 / (1.0 - p);
	for (size_t i = 0; i < o.numel; i++) {
		double y = npy_get(&o, i), xi = npy_get(&x, i);
		int kept = y != 0.0, mk = npy_get(&m, i) != 0;
		if (!kept)
			dropped++;
		else if (fabs(y - xi * scale) > 4e-7 * fabs(xi * scale))
			bad_scale++;
		if (xi != 0.0 && kept != mk)
			bad_mask++;
	}
	double frac = (double)dropped / (double)o.numel;
	double bound = 5.0 * sqrt(p * (1.0 - p) / (double)o.numel);
	int ok = fabs(frac - p) <= bound && bad_scale == 0 && bad_mask == 0;
	printf("%s: drop fraction %.5f (p %.3f +- %.5f), %zu kept values not x/(1-p), "
	       "%zu mask disagreements\n", ok ? "OK" : "FAIL", frac, p, bound, bad_scale, bad_mask);
	return ok ? 0 : 1;
}

static int cmd_print(const char *path)
{
	npy_t t;
	if (npy_read(path, &t))
		return 2;
	printf("%s: %s [", path, t.descr);
	for (int i = 0; i < t.rank; i++)
		printf("%s%ld", i ? ", " : "", t.dims[i]);
	printf("]\n");
	/* Rows of the last dim when it is short, else 10 a line; 200 at most. */
	size_t row = t.rank > 0 && t.dims[t.rank - 1] > 0 && t.dims[t.rank - 1] <= 12
		     ? (size_t)t.dims[t.rank - 1] : 10;
	size_t shown = t.numel < 200 ? t.numel : 200;
	for (size_t i = 0; i < shown; i++)
		printf("%s%10.5g%s", i % row ? " " : " ", npy_get(&t, i),
		       (i + 1) % row && i + 1 < shown ? "" : "\n");
	if (shown < t.numel)
		printf("  ... %zu more\n", t.numel - shown);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "cmp"))
		return cmd_cmp(argv[2], argv[3], atof(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "same"))
		return cmd_same(argv[2], argv[3]);
	if (argc == 6 && !strcmp(argv[1], "dropout"))
		return cmd_dropout(argv[2], argv[3], argv[4], atof(argv[5]));
	if (argc == 3 && !strcmp(argv[1], "print"))
		return cmd_print(argv[2]);
	fprintf(stderr, "usage: npytool cmp OUT REF TOL | same A B | dropout OUT MASK IN P | print FILE\n");
	return 2;
}
