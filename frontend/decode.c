/* decode.c — the frontend's one TensorProto decoder (raw_data, the typed
 * repeated fields with ONNX's narrowing rules, and external data files read
 * safely relative to the model folder), plus whole-file reading and a
 * pre-scan that bounds protobuf nesting before protobuf-c recurses into it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode.h"

#define PB_MAX_DEPTH 64
#define FILE_MAX ((size_t)INT32_MAX)   /* protobuf's own 2 GB limit */

ir_dtype onnx_dtype(int64_t elem_type)
{
	if (elem_type <= 0 || elem_type >= IR_NDTYPES || elem_type == IR_STRING)
		return IR_UNDEF;
	if (ir_dtype_size((ir_dtype)elem_type) == 0)
		return IR_UNDEF;
	return (ir_dtype)elem_type;
}

char *onnx_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* Reads exactly n bytes at off; 0 or -1 (errno set, or short file). */
static int pread_all(int fd, void *buf, size_t n, off_t off)
{
	char *p = buf;
	while (n > 0) {
		ssize_t r = pread(fd, p, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
		off += r;
	}
	return 0;
}

int onnx_read_file(const char *path, uint8_t **buf, size_t *len, ir_status *st)
{
	struct stat sb;
	*buf = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return ir_fail(st, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ir_fail(st, "%s: not a regular file", path);
	}
	if ((uint64_t)sb.st_size > FILE_MAX) {
		close(fd);
		return ir_fail(st, "%s: larger than 2 GB, the protobuf limit", path);
	}
	size_t n = (size_t)sb.st_size;
	uint8_t *b = malloc(n ? n : 1);
	if (!b) {
		close(fd);
		return ir_fail(st, "%s: out of memory reading %zu bytes", path, n);
	}
	if (pread_all(fd, b, n, 0) != 0) {
		free(b);
		close(fd);
		return ir_fail(st, "%s: read error", path);
	}
	close(fd);
	*buf = b;
	*len = n;
	return 0;
}

/* ---- protobuf nesting pre-scan ---- */

static int pb_varint(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*pos >= len)
			return -1;
		uint8_t b = p[(*pos)++];
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/* 0 ok, -1 malformed, -2 too deep. Each byte is visited once. */
static int pb_walk(const uint8_t *p, size_t len,
		   const ProtobufCMessageDescriptor *d, int depth)
{
	size_t pos = 0;
	if (depth > PB_MAX_DEPTH)
		return -2;
	while (pos < len) {
		uint64_t key, n;
		if (pb_varint(p, len, &pos, &key) || (key >> 3) == 0)
			return -1;
		switch (key & 7) {
		case 0:
			if (pb_varint(p, len, &pos, &n))
				return -1;
			break;
		case 1:
		case 5: {
			size_t w = (key & 7) == 1 ? 8 : 4;
			if (len - pos < w)
				return -1;
			pos += w;
			break;
		}
		case 2: {
			if (pb_varint(p, len, &pos, &n) || n > len - pos)
				return -1;
			const ProtobufCFieldDescriptor *f = NULL;
			if (d && (key >> 3) <= UINT_MAX)
				f = protobuf_c_message_descriptor_get_field(d, (unsigned)(key >> 3));
			if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
				int r = pb_walk(p + pos, (size_t)n, f->descriptor, depth + 1);
				if (r)
					return r;
			}
			pos += (size_t)n;
			break;
		}
		default:
			return -1;
		}
	}
	return 0;
}

int onnx_pb_check(const uint8_t *buf, size_t len,
		  const ProtobufCMessageDescriptor *d, ir_status *st)
{
	int r = pb_walk(buf, len, d, 0);
	if (r == -2)
		return ir_fail(st, "protobuf messages nested deeper than %d levels", PB_MAX_DEPTH);
	if (r)
		return ir_fail(st, "malformed or truncated protobuf data");
	return 0;
}

/* ---- shape and size ---- */

static int dec_shape(const Onnx__TensorProto *tp, const char *what,
		     onnx_dec_tensor *out, ir_status *st)
{
	if (tp->n_dims > IR_MAX_RANK)
		return ir_fail(st, "%s has rank %zu; kiln supports at most %d",
			       what, tp->n_dims, IR_MAX_RANK);
	int64_t dt = tp->has_data_type ? tp->data_type : 0;
	if (dt == IR_STRING)
		return ir_fail(st, "%s is a string tensor, which kiln does not support", what);
	out->dtype = onnx_dtype(dt);
	if (out->dtype == IR_UNDEF)
		return ir_fail(st, "%s has data type %lld, which kiln does not support",
			       what, (long long)dt);
	out->rank = (int)tp->n_dims;
	size_t numel = 1;
	for (int i = 0; i < out->rank; i++) {
		int64_t d = tp->dims[i];
		if (d < 0)
			return ir_fail(st, "%s has negative dim %lld", what, (long long)d);
		out->dims[i] = d;
		if (__builtin_mul_overflow(numel, (uint64_t)d, &numel) || numel > FILE_MAX * 4)
			return ir_fail(st, "%s has too many elements", what);
	}
	out->numel = numel;
	if (__builtin_mul_overflow(numel, ir_dtype_size(out->dtype), &out->nbytes))
		return ir_fail(st, "%s has too many elements", what);
	return 0;
}

static void *dec_alloc(onnx_dec_tensor *out, onnx_alloc_fn alloc, void *ctx)
{
	out->data = alloc(ctx, out->nbytes ? out->nbytes : 1);
	return out->data;
}

/* ---- typed fields ---- */

/* How many values the typed field matching dtype must hold per element. */
static size_t typed_count(const Onnx__TensorProto *tp, ir_dtype t, int *per)
{
	*per = (t == IR_C64 || t == IR_C128) ? 2 : 1;
	switch (t) {
	case IR_F32: case IR_C64: return tp->n_float_data;
	case IR_F64: case IR_C128: return tp->n_double_data;
	case IR_I64: return tp->n_int64_data;
	case IR_U32: case IR_U64: return tp->n_uint64_data;
	default: return tp->n_int32_data;
	}
}

static void narrow_int32(const int32_t *src, size_t n, ir_dtype t, void *dst)
{
	for (size_t i = 0; i < n; i++) {
		int32_t v = src[i];
		switch (t) {
		case IR_I32: ((int32_t *)dst)[i] = v; break;
		case IR_I16: ((int16_t *)dst)[i] = (int16_t)v; break;
		case IR_I8: ((int8_t *)dst)[i] = (int8_t)v; break;
		case IR_U8: ((uint8_t *)dst)[i] = (uint8_t)v; break;
		case IR_BOOL: ((uint8_t *)dst)[i] = v != 0; break;
		default: /* u16, f16, bf16: the low 16 bits */
			((uint16_t *)dst)[i] = (uint16_t)v;
			break;
		}
	}
}

static int dec_typed(const Onnx__TensorProto *tp, const char *what,
		     onnx_alloc_fn alloc, void *ctx, onnx_dec_tensor *out, ir_status *st)
{
	int per;
	size_t have = typed_count(tp, out->dtype, &per);
	size_t total = tp->n_float_data + tp->n_double_data + tp->n_int64_data +
		       tp->n_uint64_data + tp->n_int32_data + tp->n_string_data;
	if (total != have)
		return ir_fail(st, "%s stores data in a field that does not match its type %s",
			       what, ir_dtype_name(out->dtype));
	if (have / (size_t)per != out->numel || have % (size_t)per)
		return ir_fail(st, "%s has %zu values for %zu elements", what, have, out->numel);
	if (!dec_alloc(out, alloc, ctx))
		return ir_fail(st, "%s: out of memory", what);
	ir_dtype t = out->dtype;
	if (have == 0)
		return 0;
	if (t == IR_F32 || t == IR_C64)
		memcpy(out->data, tp->float_data, out->nbytes);
	else if (t == IR_F64 || t == IR_C128)
		memcpy(out->data, tp->double_data, out->nbytes);
	else if (t == IR_I64)
		memcpy(out->data, tp->int64_data, out->nbytes);
	else if (t == IR_U64)
		memcpy(out->data, tp->uint64_data, out->nbytes);
	else if (t == IR_U32)
		for (size_t i = 0; i < have; i++)
			((uint32_t *)out->data)[i] = (uint32_t)tp->uint64_data[i];
	else
		narrow_int32(tp->int32_data, have, t, out->data);
	return 0;
}

/* ---- external data ---- */

/* Strict non-negative decimal; -1 on anything else. */
static int parse_u64(const char *s, uint64_t *v)
{
	uint64_t r = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (__builtin_mul_overflow(r, 10, &r) || __builtin_add_overflow(r, (uint64_t)(*s - '0'), &r))
			return -1;
	}
	*v = r;
	return 0;
}

/* Checks loc component by component (no "..", no symlink, directories
 * then a regular file) and opens it. Returns an fd or -1 with st set. */
static int ext_open(const char *base_dir, const char *loc, const char *what,
		    struct stat *sb, ir_status *st)
{
	if (!loc || !*loc)
		return ir_fail(st, "%s: external data without a location", what);
	if (loc[0] == '/')
		return ir_fail(st, "%s: external data path '%s' is absolute", what, loc);
	size_t bl = strlen(base_dir), ll = strlen(loc);
	char *full = malloc(bl + ll + 2);
	if (!full)
		return ir_fail(st, "%s: out of memory", what);
	memcpy(full, base_dir, bl);
	full[bl] = '/';
	size_t w = bl + 1;
	const char *p = loc;
	int rc = 0;
	while (*p && rc == 0) {
		const char *e = strchr(p, '/');
		size_t cl = e ? (size_t)(e - p) : strlen(p);
		if (cl == 2 && p[0] == '.' && p[1] == '.') {
			rc = ir_fail(st, "%s: external data path '%s' contains '..'", what, loc);
			break;
		}
		memcpy(full + w, p, cl);
		w += cl;
		full[w] = 0;
		int last = !e || !e[1];
		if (cl > 0 && lstat(full, sb) != 0)
			rc = ir_fail(st, "%s: external data file '%s' not found", what, loc);
		else if (cl > 0 && S_ISLNK(sb->st_mode))
			rc = ir_fail(st, "%s: external data path '%s' goes through a symlink", what, loc);
		else if (cl > 0 && !last && !S_ISDIR(sb->st_mode))
			rc = ir_fail(st, "%s: external data path '%s' is not a directory path", what, loc);
		else if (last && (cl == 0 || !S_ISREG(sb->st_mode)))
			rc = ir_fail(st, "%s: external data '%s' is not a regular file", what, loc);
		if (e)
			full[w++] = '/';
		p = e ? e + 1 : p + cl;
	}
	int fd = -1;
	if (rc == 0) {
		struct stat fsb;
		fd = open(full, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			rc = ir_fail(st, "%s: cannot open external data '%s': %s", what, loc, strerror(errno));
		else if (fstat(fd, &fsb) != 0 || !S_ISREG(fsb.st_mode) ||
			 fsb.st_ino != sb->st_ino || fsb.st_dev != sb->st_dev) {
			close(fd);
			fd = -1;
			rc = ir_fail(st, "%s: external data '%s' changed while opening", what, loc);
		} else {
			*sb = fsb;
		}
	}
	free(full);
	return rc ? -1 : fd;
}

static int dec_external(const Onnx__TensorProto *tp, const char *base_dir, const char *what,
			onnx_alloc_fn alloc, void *ctx, onnx_dec_tensor *out, ir_status *st)
{
	const char *loc = NULL, *soff = NULL, *slen = NULL;
	if (!base_dir)
		return ir_fail(st, "%s uses external data, but the model was not loaded from a file", what);
	for (size_t i = 0; i < tp->n_external_data; i++) {
		const Onnx__StringStringEntryProto *kv = tp->external_data[i];
		if (!kv || !kv->key)
			continue;
		if (!strcmp(kv->key, "location"))
			loc = kv->value;
		else if (!strcmp(kv->key, "offset"))
			soff = kv->value;
		else if (!strcmp(kv->key, "length"))
			slen = kv->value;
	}
	uint64_t off = 0, len = 0;
	if (soff && parse_u64(soff, &off))
		return ir_fail(st, "%s: external data offset '%s' is not a number", what, soff);
	if (slen && parse_u64(slen, &len))
		return ir_fail(st, "%s: external data length '%s' is not a number", what, slen);
	struct stat sb;
	int fd = ext_open(base_dir, loc, what, &sb, st);
	if (fd < 0)
		return -1;
	uint64_t size = (uint64_t)sb.st_size;
	int rc = 0;
	if (off > size || (slen && len > size - off))
		rc = ir_fail(st, "%s: external data offset %llu + length %llu is beyond the end of '%s' (%llu bytes)",
			     what, (unsigned long long)off, (unsigned long long)len, loc,
			     (unsigned long long)size);
	else if ((slen ? len : size - off) != out->nbytes)
		rc = ir_fail(st, "%s: external data has %llu bytes, expected %zu", what,
			     (unsigned long long)(slen ? len : size - off), out->nbytes);
	else if (!dec_alloc(out, alloc, ctx))
		rc = ir_fail(st, "%s: out of memory", what);
	else if (pread_all(fd, out->data, out->nbytes, (off_t)off) != 0)
		rc = ir_fail(st, "%s: error reading external data '%s'", what, loc);
	close(fd);
	return rc;
}

int onnx_decode_tensor(const Onnx__TensorProto *tp, const char *base_dir,
		       const char *what, onnx_alloc_fn alloc, void *ctx,
		       onnx_dec_tensor *out, ir_status *st)
{
	memset(out, 0, sizeof *out);
	if (!tp)
		return ir_fail(st, "%s is missing", what);
	if (dec_shape(tp, what, out, st))
		return -1;
	if (tp->segment)
		return ir_fail(st, "%s is a segmented tensor, which kiln does not support", what);
	if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
		if (tp->has_raw_data)
			return ir_fail(st, "%s has both raw_data and external data", what);
		return dec_external(tp, base_dir, what, alloc, ctx, out, st);
	}
	if (tp->has_raw_data) {
		if (tp->raw_data.len != out->nbytes)
			return ir_fail(st, "%s has %zu bytes of raw_data, expected %zu",
				       what, tp->raw_data.len, out->nbytes);
		if (!dec_alloc(out, alloc, ctx))
			return ir_fail(st, "%s: out of memory", what);
		if (out->nbytes)
			memcpy(out->data, tp->raw_data.data, out->nbytes);
		return 0;
	}
	return dec_typed(tp, what, alloc, ctx, out, st);
}
