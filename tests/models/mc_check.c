/* mc_check.c — checks an MC-dropout result against a reference from PyTorch:
 * every mean element within Z standard errors (se^2 = (var + ref_var) / T,
 * both estimates from T samples) and the median relative error of the
 * variances at most VTOL. Float32 .npy (format 1.0) only.
 * usage: mc_check MEAN VAR REF_MEAN REF_VAR T Z VTOL   (exit 0 ok, 1 fail) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads a little-endian float32 .npy; returns the element count or -1. */
static long read_f32(const char *path, float **out)
{
	FILE *f = fopen(path, "rb");
	unsigned char h[10];
	if (!f || fread(h, 1, 10, f) != 10 || memcmp(h, "\x93NUMPY", 6) != 0) {
		fprintf(stderr, "mc_check: cannot read %s\n", path);
		if (f)
			fclose(f);
		return -1;
	}
	size_t hl = h[8] | (size_t)h[9] << 8;
	char *hdr = calloc(hl + 1, 1);
	if (!hdr || fread(hdr, 1, hl, f) != hl || !strstr(hdr, "'<f4'")) {
		fprintf(stderr, "mc_check: %s is not float32\n", path);
		fclose(f);
		free(hdr);
		return -1;
	}
	free(hdr);
	long start = ftell(f);
	fseek(f, 0, SEEK_END);
	long n = (ftell(f) - start) / 4;
	fseek(f, start, SEEK_SET);
	*out = malloc(sizeof(float) * (size_t)(n + 1));
	if (!*out || fread(*out, 4, (size_t)n, f) != (size_t)n)
		n = -1;
	fclose(f);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	float *m, *v, *rm, *rv;
	if (argc != 8) {
		fprintf(stderr, "usage: mc_check MEAN VAR REF_MEAN REF_VAR T Z VTOL\n");
		return 2;
	}
	long n = read_f32(argv[1], &m);
	if (n < 1 || read_f32(argv[2], &v) != n || read_f32(argv[3], &rm) != n ||
	    read_f32(argv[4], &rv) != n) {
		fprintf(stderr, "mc_check: missing file or element counts differ\n");
		return 1;
	}
	double T = atof(argv[5]), z = atof(argv[6]), vtol = atof(argv[7]), worst = 0;
	double *rel = malloc(sizeof(double) * (size_t)n);
	int bad = 0;
	for (long i = 0; i < n; i++) {
		double se = sqrt((v[i] + rv[i]) / T), dz = fabs(m[i] - rm[i]) / (se > 0 ? se : 1e-30);
		if (!(dz <= z)) {
			fprintf(stderr, "mean[%ld] = %g, reference %g: %.2f standard errors\n", i, m[i], rm[i], dz);
			bad = 1;
		}
		worst = dz > worst ? dz : worst;
		rel[i] = fabs(v[i] - rv[i]) / (rv[i] > 0 ? rv[i] : 1e-30);
	}
	qsort(rel, (size_t)n, sizeof *rel, cmp_double);
	double med = n % 2 ? rel[n / 2] : (rel[n / 2 - 1] + rel[n / 2]) / 2;
	printf("mc_check: %ld elements, worst mean deviation %.2f se (limit %g), "
	       "median variance rel. error %.4f (limit %g)\n", n, worst, z, med, vtol);
	if (!(med <= vtol)) {
		fprintf(stderr, "variance median relative error %.4f > %g\n", med, vtol);
		bad = 1;
	}
	return bad;
}
