/* model.c — compiled-model objects: loading a shared library made by
 * `kiln compile` with dlopen, wrapping in-memory ABI symbols (JIT, static
 * link), element-type helpers and input/output introspection. */
#include "rt.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

size_t kiln_dtype_size(int dtype)
{
	switch (dtype) {
	case KILN_FLOAT: case KILN_INT32: case KILN_UINT32: return 4;
	case KILN_UINT8: case KILN_INT8: case KILN_BOOL: return 1;
	case KILN_UINT16: case KILN_INT16: case KILN_FLOAT16: case KILN_BFLOAT16: return 2;
	case KILN_INT64: case KILN_DOUBLE: case KILN_UINT64: return 8;
	default: return 0;
	}
}

const char *kiln_dtype_name(int dtype)
{
	switch (dtype) {
	case KILN_FLOAT: return "float32";
	case KILN_UINT8: return "uint8";
	case KILN_INT8: return "int8";
	case KILN_UINT16: return "uint16";
	case KILN_INT16: return "int16";
	case KILN_INT32: return "int32";
	case KILN_INT64: return "int64";
	case KILN_BOOL: return "bool";
	case KILN_FLOAT16: return "float16";
	case KILN_BFLOAT16: return "bfloat16";
	case KILN_DOUBLE: return "float64";
	case KILN_UINT32: return "uint32";
	case KILN_UINT64: return "uint64";
	default: return "unknown";
	}
}

/* Builds a model from the three symbols; meta is parsed (and copied) now. */
static kiln_model *model_new(const char *meta, void *arena_size_fn, void *run_fn,
			     const char *where, kiln_status *st)
{
	kiln_model *m;
	kiln_status tmp;
	if (!arena_size_fn || !run_fn) {
		rt_fail(st, "%s: missing kiln_model_arena_size or kiln_model_run", where);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		rt_fail(st, "out of memory");
		return NULL;
	}
	if (rt_meta_parse(meta, &m->meta, NULL, &tmp)) {
		rt_fail(st, "%s: %s", where, tmp.msg);
		free(m);
		return NULL;
	}
	m->arena_size = (int64_t (*)(const int64_t *))arena_size_fn;
	m->run = (int32_t (*)(kiln_rt_ctx *, void *const *, void *const *, const int64_t *, void *))run_fn;
	return m;
}

kiln_model *kiln_model_from_symbols(const char *meta, void *arena_size_fn, void *run_fn,
				    void *owner, void (*release)(void *owner),
				    kiln_status *st)
{
	kiln_model *m = model_new(meta, arena_size_fn, run_fn, "model", st);
	if (!m)
		return NULL;   /* owner stays with the caller on failure */
	m->owner = owner;
	m->release = release;
	if (st)
		st->code = 0, st->msg[0] = 0;
	return m;
}

/* Checks the file exists and is a regular file, for a clearer message than
 * dlerror's. */
static int check_file(const char *path, kiln_status *st)
{
	struct stat sb;
	if (stat(path, &sb) != 0)
		return rt_fail(st, "cannot open model '%s': %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return rt_fail(st, "cannot open model '%s': not a regular file", path);
	return 0;
}

/* dlopen needs a slash to take path as a file rather than a library name. */
static void *open_lib(const char *path, kiln_status *st)
{
	char *p = NULL;
	void *h;
	const char *e;
	if (!strchr(path, '/')) {
		p = malloc(strlen(path) + 3);
		if (!p) {
			rt_fail(st, "out of memory");
			return NULL;
		}
		strcpy(p, "./");
		strcat(p, path);
	}
	h = dlopen(p ? p : path, RTLD_NOW | RTLD_LOCAL);
	free(p);
	if (!h) {
		e = dlerror();
		rt_fail(st, "'%s' is not a loadable shared library: %s", path, e ? e : "unknown error");
	}
	return h;
}

kiln_model *kiln_model_load(const char *path, kiln_status *st)
{
	void *h, *meta, *asz, *run;
	kiln_model *m;
	kiln_status tmp;
	int version;
	rt_meta probe;
	if (!path)
		return rt_fail(st, "model path is NULL"), NULL;
	if (check_file(path, st) || !(h = open_lib(path, st)))
		return NULL;
	meta = dlsym(h, "kiln_model_meta");
	asz = dlsym(h, "kiln_model_arena_size");
	run = dlsym(h, "kiln_model_run");
	if (!meta || !asz || !run) {
		rt_fail(st, "'%s' is not a kiln model (no kiln_model_meta/arena_size/run symbols)", path);
		dlclose(h);
		return NULL;
	}
	if (rt_meta_parse(meta, &probe, &version, &tmp)) {
		if (version != 0 && version != KILN_ABI_VERSION)
			rt_fail(st, "'%s': ABI version mismatch: model has version %d, this runtime supports %d",
				path, version, KILN_ABI_VERSION);
		else
			rt_fail(st, "'%s': %s", path, tmp.msg);
		dlclose(h);
		return NULL;
	}
	rt_meta_free(&probe);
	m = model_new(meta, asz, run, path, st);
	if (!m) {
		dlclose(h);
		return NULL;
	}
	m->dl = h;
	if (st)
		st->code = 0, st->msg[0] = 0;
	return m;
}

void kiln_model_free(kiln_model *m)
{
	if (!m)
		return;
	rt_meta_free(&m->meta);
	if (m->release)
		m->release(m->owner);
	if (m->dl)
		dlclose(m->dl);
	free(m);
}

int kiln_model_num_inputs(const kiln_model *m)
{
	return m ? m->meta.nin : 0;
}

int kiln_model_num_outputs(const kiln_model *m)
{
	return m ? m->meta.nout : 0;
}

static void fill_info(const rt_desc *d, kiln_tensor_info *info)
{
	memset(info, 0, sizeof(*info));
	info->name = d->name;
	info->dtype = d->dtype;
	info->rank = d->rank;
	for (int i = 0; i < d->rank; i++) {
		info->dims[i] = d->d[i].sym < 0 ? d->d[i].c : -1;
		info->dim_names[i] = d->dim_names[i];
	}
}

int kiln_model_input(const kiln_model *m, int i, kiln_tensor_info *info)
{
	if (!m || !info || i < 0 || i >= m->meta.nin)
		return -1;
	fill_info(&m->meta.in[i], info);
	return 0;
}

int kiln_model_output(const kiln_model *m, int i, kiln_tensor_info *info)
{
	if (!m || !info || i < 0 || i >= m->meta.nout)
		return -1;
	fill_info(&m->meta.out[i], info);
	return 0;
}

int kiln_model_mc_samples(const kiln_model *m)
{
	return m ? m->meta.mc : 0;
}
