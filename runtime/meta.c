/* meta.c — strict parser for the model description text a compiled model
 * exports (format in kiln_abi.h): version, MC samples, symbolic dims, inputs
 * and outputs. Anything not exactly in the format is an error with a message
 * naming the line; the parser never reads past the terminating NUL. */
#include "rt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define META_MAX_ITEMS 65536     /* cap on syms, inputs and outputs each */
#define META_MAX_MC 1000000

/* Cursor over one line: [p, end) with end at '\n' or NUL. */
typedef struct {
	const char *p, *end;
	int line;
	kiln_status *st;
} cursor;

static int bad(cursor *c, const char *what)
{
	return rt_fail(c->st, "malformed model meta, line %d: %s", c->line, what);
}

/* Reads one unsigned decimal into *v (no sign, no overflow). */
static int read_uint(cursor *c, int64_t *v)
{
	int64_t x = 0;
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return bad(c, "expected a decimal number");
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		int d = *c->p - '0';
		if (x > (INT64_MAX - d) / 10)
			return bad(c, "number too large");
		x = x * 10 + d;
		c->p++;
	}
	*v = x;
	return 0;
}

/* Expects exactly one space separator. */
static int read_space(cursor *c)
{
	if (c->p >= c->end || *c->p != ' ')
		return bad(c, "expected a single space between fields");
	c->p++;
	return 0;
}

static int at_end(cursor *c)
{
	return c->p == c->end ? 0 : bad(c, "unexpected text at end of line");
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9') return ch - '0';
	if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
	return -1;
}

/* NAME runs to the end of the line; decodes %XX into a malloc'd string. */
static int read_name(cursor *c, char **out)
{
	size_t n = (size_t)(c->end - c->p), k = 0;
	char *s;
	if (n == 0)
		return bad(c, "empty name");
	s = malloc(n + 1);
	if (!s)
		return rt_fail(c->st, "out of memory");
	while (c->p < c->end) {
		unsigned char ch = (unsigned char)*c->p;
		if (ch == '%') {
			int hi, lo;
			if (c->end - c->p < 3 || (hi = hexval(c->p[1])) < 0 ||
			    (lo = hexval(c->p[2])) < 0 || (hi == 0 && lo == 0)) {
				free(s);
				return bad(c, "bad %XX escape in name");
			}
			s[k++] = (char)(hi * 16 + lo);
			c->p += 3;
		} else if (ch <= 0x20 || ch >= 0x7f) {
			free(s);
			return bad(c, "unescaped control, space or non-ASCII byte in name");
		} else {
			s[k++] = (char)ch;
			c->p++;
		}
	}
	s[k] = 0;
	*out = s;
	return 0;
}

/* DIM: C or C*$K. Symbol indices are checked once all syms are known. */
static int read_dim(cursor *c, rt_dim *d)
{
	int64_t k;
	if (read_uint(c, &d->c))
		return -1;
	d->sym = -1;
	if (c->p < c->end && *c->p == '*') {
		c->p++;
		if (c->p >= c->end || *c->p != '$')
			return bad(c, "expected $K after '*' in a dim");
		c->p++;
		if (read_uint(c, &k))
			return -1;
		if (k >= META_MAX_ITEMS)
			return bad(c, "symbol index out of range");
		if (d->c == 0)
			return bad(c, "symbolic dim with factor 0");
		d->sym = (int)k;
	}
	return 0;
}

/* "DTYPE RANK DIM... NAME" after the keyword and its space. */
static int read_desc(cursor *c, rt_desc *d)
{
	int64_t v;
	if (read_uint(c, &v))
		return -1;
	if (v > 1000 || kiln_dtype_size((int)v) == 0)
		return bad(c, "unknown dtype");
	d->dtype = (int32_t)v;
	if (read_space(c) || read_uint(c, &v))
		return -1;
	if (v > KILN_MAX_RANK)
		return bad(c, "rank above KILN_MAX_RANK");
	d->rank = (int32_t)v;
	for (int i = 0; i < d->rank; i++)
		if (read_space(c) || read_dim(c, &d->d[i]))
			return -1;
	if (read_space(c) || read_name(c, &d->name))
		return -1;
	return 0;
}

/* Appends one zeroed element to a growable array of count *n. */
static void *grow(void *arr, int *n, size_t elem, kiln_status *st)
{
	void *na;
	if (*n >= META_MAX_ITEMS) {
		rt_fail(st, "malformed model meta: too many entries");
		return NULL;
	}
	na = realloc(arr, (size_t)(*n + 1) * elem);
	if (!na) {
		rt_fail(st, "out of memory");
		return NULL;
	}
	memset((char *)na + (size_t)*n * elem, 0, elem);
	(*n)++;
	return na;
}

static int parse_desc_line(cursor *c, rt_meta *m, int is_input)
{
	rt_desc **arr = is_input ? &m->in : &m->out;
	int *n = is_input ? &m->nin : &m->nout;
	rt_desc *na = grow(*arr, n, sizeof(rt_desc), c->st);
	if (!na)
		return -1;
	*arr = na;
	return read_desc(c, &na[*n - 1]);
}

static int parse_sym_line(cursor *c, rt_meta *m)
{
	char **na = grow(m->syms, &m->nsyms, sizeof(char *), c->st);
	if (!na)
		return -1;
	m->syms = na;
	if (read_name(c, &m->syms[m->nsyms - 1]))
		return -1;
	return at_end(c);
}

static int parse_mc_line(cursor *c, rt_meta *m)
{
	int64_t v;
	if (m->mc)
		return bad(c, "duplicate mc line");
	if (read_uint(c, &v) || at_end(c))
		return -1;
	if (v < 1 || v > META_MAX_MC)
		return bad(c, "mc sample count out of range");
	m->mc = (int)v;
	return 0;
}

/* "seed S": the default session seed compiled in (kiln compile --seed). */
static int parse_seed_line(cursor *c, rt_meta *m)
{
	uint64_t x = 0;
	if (m->has_seed)
		return bad(c, "duplicate seed line");
	if (c->p >= c->end || *c->p < '0' || *c->p > '9')
		return bad(c, "expected a decimal number");
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		unsigned d = (unsigned)(*c->p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return bad(c, "number too large");
		x = x * 10 + d;
		c->p++;
	}
	if (at_end(c))
		return -1;
	m->has_seed = 1;
	m->seed = x;
	return 0;
}

/* One record after the first line. */
static int parse_record(cursor *c, rt_meta *m)
{
	static const char *const kw[] = {"mc ", "sym ", "input ", "output ", "seed "};
	int which = -1;
	size_t len = (size_t)(c->end - c->p);
	for (int i = 0; i < 5; i++) {
		size_t kl = strlen(kw[i]);
		if (len >= kl && memcmp(c->p, kw[i], kl) == 0) {
			which = i;
			c->p += kl;
			break;
		}
	}
	switch (which) {
	case 0: return parse_mc_line(c, m);
	case 1: return parse_sym_line(c, m);
	case 2: return parse_desc_line(c, m, 1);
	case 3: return parse_desc_line(c, m, 0);
	case 4: return parse_seed_line(c, m);
	default: return bad(c, "unknown record");
	}
}

/* First line: "kiln V". */
static int parse_header(cursor *c, rt_meta *m, int *version_out)
{
	int64_t v;
	if ((size_t)(c->end - c->p) < 5 || memcmp(c->p, "kiln ", 5) != 0)
		return rt_fail(c->st, "not a kiln model description (meta does not start with 'kiln ')");
	c->p += 5;
	if (read_uint(c, &v) || at_end(c))
		return -1;
	if (version_out)
		*version_out = v > 1000000 ? 1000000 : (int)v;
	if (v != KILN_ABI_VERSION)
		return rt_fail(c->st, "model was built for kiln ABI version %lld, this runtime supports version %d",
			       (long long)v, KILN_ABI_VERSION);
	m->version = (int)v;
	return 0;
}

/* Formats "C*NAME" dim names and checks cross-references. */
static int finish_descs(rt_meta *m, rt_desc *ds, int n, kiln_status *st)
{
	for (int i = 0; i < n; i++) {
		rt_desc *d = &ds[i];
		for (int j = 0; j < d->rank; j++) {
			int k = d->d[j].sym;
			if (k < 0)
				continue;
			if (k >= m->nsyms)
				return rt_fail(st, "malformed model meta: '%s' uses undeclared symbol $%d", d->name, k);
			if (d->d[j].c == 1) {
				d->dim_names[j] = m->syms[k];
				continue;
			}
			size_t len = strlen(m->syms[k]) + 24;
			d->owned_names[j] = malloc(len);
			if (!d->owned_names[j])
				return rt_fail(st, "out of memory");
			snprintf(d->owned_names[j], len, "%lld*%s", (long long)d->d[j].c, m->syms[k]);
			d->dim_names[j] = d->owned_names[j];
		}
		for (int j = 0; j < i; j++)
			if (strcmp(ds[j].name, d->name) == 0)
				return rt_fail(st, "malformed model meta: duplicate name '%s'", d->name);
	}
	return 0;
}

/* Every symbol must be bound by some input dim, names must be unique. */
static int check_meta(rt_meta *m, kiln_status *st)
{
	if (m->nout == 0)
		return rt_fail(st, "malformed model meta: no outputs");
	if (finish_descs(m, m->in, m->nin, st) || finish_descs(m, m->out, m->nout, st))
		return -1;
	for (int k = 0; k < m->nsyms; k++) {
		int bound = 0;
		for (int j = 0; j < k; j++)
			if (strcmp(m->syms[j], m->syms[k]) == 0)
				return rt_fail(st, "malformed model meta: duplicate symbol '%s'", m->syms[k]);
		for (int i = 0; i < m->nin && !bound; i++)
			for (int j = 0; j < m->in[i].rank; j++)
				bound |= m->in[i].d[j].sym == k;
		if (!bound)
			return rt_fail(st, "malformed model meta: symbol '%s' is not a dim of any input", m->syms[k]);
	}
	return 0;
}

int rt_meta_parse(const char *text, rt_meta *m, int *version_out, kiln_status *st)
{
	cursor c = {0};
	const char *p = text;
	memset(m, 0, sizeof(*m));
	if (version_out)
		*version_out = 0;
	if (!text)
		return rt_fail(st, "model meta is NULL");
	c.st = st;
	for (c.line = 1; *p; c.line++) {
		const char *e = strchr(p, '\n');
		if (!e)
			e = p + strlen(p);
		c.p = p;
		c.end = e;
		if (e == p) {
			rt_fail(st, "malformed model meta, line %d: empty line", c.line);
			goto fail;
		}
		if (c.line == 1 ? parse_header(&c, m, version_out) : parse_record(&c, m))
			goto fail;
		p = *e ? e + 1 : e;
	}
	if (c.line == 1) {
		rt_fail(st, "not a kiln model description (meta is empty)");
		goto fail;
	}
	if (check_meta(m, st))
		goto fail;
	return 0;
fail:
	rt_meta_free(m);
	return -1;
}

static void free_descs(rt_desc *ds, int n)
{
	for (int i = 0; ds && i < n; i++) {
		free(ds[i].name);
		for (int j = 0; j < KILN_MAX_RANK; j++)
			free(ds[i].owned_names[j]);
	}
	free(ds);
}

void rt_meta_free(rt_meta *m)
{
	if (!m)
		return;
	for (int i = 0; m->syms && i < m->nsyms; i++)
		free(m->syms[i]);
	free(m->syms);
	free_descs(m->in, m->nin);
	free_descs(m->out, m->nout);
	memset(m, 0, sizeof(*m));
}

/* printf-style append to buf at *pos, never overflowing. */
static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *pos, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (*pos >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *pos, len - *pos, fmt, ap);
	va_end(ap);
	if (n > 0)
		*pos += (size_t)n;
}

const char *rt_desc_shape_str(const rt_meta *m, const rt_desc *d, char *buf, size_t len)
{
	size_t pos = 0;
	buf[0] = 0;
	append(buf, len, &pos, "[");
	for (int i = 0; i < d->rank; i++) {
		const char *sep = i ? "," : "";
		if (d->d[i].sym < 0)
			append(buf, len, &pos, "%s%lld", sep, (long long)d->d[i].c);
		else if (d->d[i].c == 1)
			append(buf, len, &pos, "%s%s", sep, m->syms[d->d[i].sym]);
		else
			append(buf, len, &pos, "%s%lld*%s", sep, (long long)d->d[i].c, m->syms[d->d[i].sym]);
	}
	append(buf, len, &pos, "]");
	return buf;
}

const char *rt_dims_str(int rank, const int64_t *dims, char *buf, size_t len)
{
	size_t pos = 0;
	if (rank > KILN_MAX_RANK)
		rank = KILN_MAX_RANK;
	buf[0] = 0;
	append(buf, len, &pos, "[");
	for (int i = 0; i < rank; i++)
		append(buf, len, &pos, "%s%lld", i ? "," : "", (long long)dims[i]);
	append(buf, len, &pos, "]");
	return buf;
}
