/* npy.c — reader and writer for NumPy .npy files (format versions 1, 2 and
 * 3): little-endian numeric and bool dtypes, C order only. The header dict is
 * parsed strictly; sizes are checked against the file length, so a truncated
 * or hostile file gives an error, never an over-read. */
#include "tools.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NPY_MAX_HEADER (1u << 20)

static const struct {
	const char *descr;
	int dtype;
} npy_types[] = {
	{"<f4", KILN_FLOAT}, {"<f8", KILN_DOUBLE}, {"<f2", KILN_FLOAT16},
	{"<i8", KILN_INT64}, {"<i4", KILN_INT32}, {"<i2", KILN_INT16}, {"|i1", KILN_INT8},
	{"|u1", KILN_UINT8}, {"<u2", KILN_UINT16}, {"<u4", KILN_UINT32}, {"<u8", KILN_UINT64},
	{"|b1", KILN_BOOL},
};

static int npy_err(kiln_status *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int npy_err(kiln_status *st, const char *fmt, ...)
{
	va_list ap;
	if (!st)
		return -1;
	st->code = 1;
	va_start(ap, fmt);
	vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
	va_end(ap);
	return -1;
}

const char *npy_descr(int dtype)
{
	for (size_t i = 0; i < sizeof(npy_types) / sizeof(npy_types[0]); i++)
		if (npy_types[i].dtype == dtype)
			return npy_types[i].descr;
	return NULL;
}

/* Maps a descr string; one-byte types may be written with '<' or '|'. */
static int descr_dtype(const char *d, kiln_status *st)
{
	char norm[8];
	if (strlen(d) == 3 && (d[0] == '<' || d[0] == '|') && d[2] == '1') {
		snprintf(norm, sizeof(norm), "|%c1", d[1]);
		d = norm;
	}
	for (size_t i = 0; i < sizeof(npy_types) / sizeof(npy_types[0]); i++)
		if (strcmp(npy_types[i].descr, d) == 0)
			return npy_types[i].dtype;
	if (d[0] == '>')
		return npy_err(st, "big-endian dtype '%s' is not supported", d);
	return npy_err(st, "unsupported dtype '%s'", d);
}

/* Cursor over the header text [p, end). */
typedef struct {
	const char *p, *end;
	kiln_status *st;
} hcur;

static void skip_ws(hcur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int expect(hcur *c, char ch)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p != ch)
		return npy_err(c->st, "malformed .npy header: expected '%c'", ch);
	c->p++;
	return 0;
}

/* A quoted string without escapes, up to cap-1 bytes. */
static int read_str(hcur *c, char *out, size_t cap)
{
	char q;
	size_t n = 0;
	skip_ws(c);
	if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
		return npy_err(c->st, "malformed .npy header: expected a string");
	q = *c->p++;
	while (c->p < c->end && *c->p != q) {
		if (*c->p == '\\' || n + 1 >= cap)
			return npy_err(c->st, "malformed .npy header: unsupported string");
		out[n++] = *c->p++;
	}
	if (c->p >= c->end)
		return npy_err(c->st, "malformed .npy header: unterminated string");
	c->p++;
	out[n] = 0;
	return 0;
}

static int read_bool(hcur *c, int *v)
{
	skip_ws(c);
	if (c->end - c->p >= 4 && memcmp(c->p, "True", 4) == 0) {
		*v = 1;
		c->p += 4;
	} else if (c->end - c->p >= 5 && memcmp(c->p, "False", 5) == 0) {
		*v = 0;
		c->p += 5;
	} else {
		return npy_err(c->st, "malformed .npy header: expected True or False");
	}
	return 0;
}

static int read_dim(hcur *c, int64_t *v)
{
	int64_t x = 0;
	skip_ws(c);
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return npy_err(c->st, "malformed .npy header: bad shape entry");
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (x > (INT64_MAX - 9) / 10)
			return npy_err(c->st, "malformed .npy header: shape entry too large");
		x = x * 10 + (*c->p++ - '0');
	}
	if (c->p < c->end && *c->p == 'L')   /* Python 2 long suffix */
		c->p++;
	*v = x;
	return 0;
}

/* "(a, b, ...)" with an optional trailing comma. */
static int read_shape(hcur *c, npy_array *a)
{
	if (expect(c, '('))
		return -1;
	a->rank = 0;
	for (;;) {
		skip_ws(c);
		if (c->p < c->end && *c->p == ')') {
			c->p++;
			return 0;
		}
		if (a->rank >= KILN_MAX_RANK)
			return npy_err(c->st, "array rank above %d is not supported", KILN_MAX_RANK);
		if (read_dim(c, &a->dims[a->rank]))
			return -1;
		a->rank++;
		skip_ws(c);
		if (c->p < c->end && *c->p == ',')
			c->p++;
		else if (c->p >= c->end || *c->p != ')')
			return npy_err(c->st, "malformed .npy header: bad shape tuple");
	}
}

/* One "key: value" entry; seen is a bit mask of keys already read. */
static int read_entry(hcur *c, npy_array *a, int *seen)
{
	char key[32], descr[32];
	int fortran = 0;
	if (read_str(c, key, sizeof(key)) || expect(c, ':'))
		return -1;
	if (strcmp(key, "descr") == 0 && !(*seen & 1)) {
		*seen |= 1;
		if (read_str(c, descr, sizeof(descr)))
			return -1;
		if ((a->dtype = descr_dtype(descr, c->st)) < 0)
			return -1;
	} else if (strcmp(key, "fortran_order") == 0 && !(*seen & 2)) {
		*seen |= 2;
		if (read_bool(c, &fortran))
			return -1;
		if (fortran)
			return npy_err(c->st, "Fortran-order arrays are not supported (save in C order)");
	} else if (strcmp(key, "shape") == 0 && !(*seen & 4)) {
		*seen |= 4;
		return read_shape(c, a);
	} else {
		return npy_err(c->st, "malformed .npy header: unexpected or repeated key '%s'", key);
	}
	return 0;
}

static int parse_header(const char *h, size_t len, npy_array *a, kiln_status *st)
{
	hcur c = {h, h + len, st};
	int seen = 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)h[i] >= 0x80 || h[i] == 0)
			return npy_err(st, "malformed .npy header: non-ASCII byte");
	if (expect(&c, '{'))
		return -1;
	for (;;) {
		skip_ws(&c);
		if (c.p < c.end && *c.p == '}')
			break;
		if (read_entry(&c, a, &seen))
			return -1;
		skip_ws(&c);
		if (c.p < c.end && *c.p == ',')
			c.p++;
		else if (c.p >= c.end || *c.p != '}')
			return npy_err(st, "malformed .npy header: expected ',' or '}'");
	}
	c.p++;
	skip_ws(&c);
	if (c.p != c.end)
		return npy_err(st, "malformed .npy header: text after the dict");
	if (seen != 7)
		return npy_err(st, "malformed .npy header: missing descr, fortran_order or shape");
	return 0;
}

/* Byte count of the array, or -1 on overflow. */
static int64_t array_bytes(const npy_array *a)
{
	int64_t n = (int64_t)kiln_dtype_size(a->dtype);
	for (int i = 0; i < a->rank; i++) {
		if (a->dims[i] != 0 && n > INT64_MAX / a->dims[i])
			return -1;
		n *= a->dims[i];
	}
	return n;
}

int npy_parse(const void *buf, size_t len, npy_array *a, kiln_status *st)
{
	const unsigned char *b = buf;
	size_t hlen, off;
	int64_t nb;
	memset(a, 0, sizeof(*a));
	if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
		return npy_err(st, "not a .npy file (bad magic)");
	if (b[6] == 1) {
		hlen = (size_t)b[8] | (size_t)b[9] << 8;
		off = 10;
	} else if (b[6] == 2 || b[6] == 3) {
		if (len < 12)
			return npy_err(st, "truncated .npy header");
		hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
		off = 12;
	} else {
		return npy_err(st, "unsupported .npy format version %d.%d", b[6], b[7]);
	}
	if (hlen > NPY_MAX_HEADER || hlen > len - off)
		return npy_err(st, "truncated .npy header");
	if (parse_header((const char *)b + off, hlen, a, st))
		return -1;
	off += hlen;
	nb = array_bytes(a);
	if (nb < 0 || (uint64_t)nb != (uint64_t)(len - off))
		return npy_err(st, "data size mismatch: shape needs %lld bytes, file has %zu",
			       (long long)nb, len - off);
	a->nbytes = (size_t)nb;
	a->data = malloc(a->nbytes ? a->nbytes : 1);
	if (!a->data)
		return npy_err(st, "out of memory");
	memcpy(a->data, b + off, a->nbytes);
	return 0;
}

/* Reads a whole regular file into malloc'd memory. */
int tool_read_file(const char *path, void **buf, size_t *len, kiln_status *st)
{
	struct stat sb;
	FILE *f = fopen(path, "rb");
	*buf = NULL;
	if (!f)
		return npy_err(st, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return npy_err(st, "'%s' is not a regular file", path);
	}
	*len = (size_t)sb.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf || fread(*buf, 1, *len, f) != *len) {
		free(*buf);
		*buf = NULL;
		fclose(f);
		return npy_err(st, "cannot read '%s'", path);
	}
	fclose(f);
	return 0;
}

int npy_read_file(const char *path, npy_array *a, kiln_status *st)
{
	void *buf;
	size_t len;
	kiln_status tmp;
	memset(a, 0, sizeof(*a));
	if (tool_read_file(path, &buf, &len, st))
		return -1;
	if (npy_parse(buf, len, a, &tmp)) {
		free(buf);
		return npy_err(st, "%s: %s", path, tmp.msg);
	}
	free(buf);
	return 0;
}

/* "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" padded. */
static size_t make_header(char *h, size_t cap, const char *descr, int rank, const int64_t *dims)
{
	size_t n = (size_t)snprintf(h, cap, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
	for (int i = 0; i < rank; i++)
		n += (size_t)snprintf(h + n, cap - n, i ? ", %lld" : "%lld", (long long)dims[i]);
	n += (size_t)snprintf(h + n, cap - n, "%s), }", rank == 1 ? "," : "");
	while ((10 + n + 1) % 64 != 0)
		h[n++] = ' ';
	h[n++] = '\n';
	return n;
}

int npy_write_file(const char *path, int dtype, int rank, const int64_t *dims,
		   const void *data, kiln_status *st)
{
	char h[512];
	unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0, 0};
	const char *descr = npy_descr(dtype);
	npy_array a = {dtype, rank, {0}, NULL, 0};
	int64_t nb;
	size_t hl;
	FILE *f;
	if (!descr)
		return npy_err(st, "cannot write dtype %s to .npy", kiln_dtype_name(dtype));
	if (rank < 0 || rank > KILN_MAX_RANK)
		return npy_err(st, "cannot write rank %d to .npy", rank);
	for (int i = 0; i < rank; i++)
		if ((a.dims[i] = dims[i]) < 0)
			return npy_err(st, "cannot write a negative dimension to .npy");
	if ((nb = array_bytes(&a)) < 0)
		return npy_err(st, "array too large");
	hl = make_header(h, sizeof(h), descr, rank, dims);
	pre[8] = (unsigned char)(hl & 0xff);
	pre[9] = (unsigned char)(hl >> 8);
	f = fopen(path, "wb");
	if (!f)
		return npy_err(st, "cannot write '%s': %s", path, strerror(errno));
	int bad = fwrite(pre, 1, 10, f) != 10 || fwrite(h, 1, hl, f) != hl ||
		  (nb > 0 && fwrite(data, 1, (size_t)nb, f) != (size_t)nb);
	if (fclose(f) != 0 || bad)
		return npy_err(st, "cannot write '%s': %s", path, strerror(errno));
	return 0;
}

void npy_free(npy_array *a)
{
	if (!a)
		return;
	free(a->data);
	a->data = NULL;
}
