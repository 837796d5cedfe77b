/* options.c — command-line parsing and error messages shared by the kiln
 * subcommands. Each subcommand passes the set of flags it accepts; anything
 * else, a bad value or a missing MODEL is a usage error (exit status 2) with
 * a one-line message naming the option. Only the enum values of the codegen
 * and passes headers are used: the driver links no compiler library. */
#include "tools.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen.h"
#include "passes.h"

int tool_error(int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "kiln: %s\n", msg);
	return status;
}

/* Strict decimal in [lo, hi]. */
static int parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *v)
{
	char *end;
	long long x;
	if (!*s || *s == ' ' || *s == '+')
		return -1;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || *end || x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

/* If arg is "--NAME=VALUE" returns VALUE, else NULL. */
static const char *value_of(const char *arg, const char *name)
{
	size_t n = strlen(name);
	if (strncmp(arg, name, n) != 0)
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	return NULL;
}

static int bad_value(const tool_opts *o, const char *arg, const char *want)
{
	return tool_error(TOOL_USAGE, "%s: bad value in '%s' (expected %s)", o->cmd, arg, want);
}

static int parse_emit(tool_opts *o, const char *arg, const char *v)
{
	static const char *const names[] = {"so", "obj", "llvm", "asm"};
	static const int kinds[] = {CG_EMIT_SO, CG_EMIT_OBJ, CG_EMIT_LLVM, CG_EMIT_ASM};
	for (int i = 0; i < 4; i++)
		if (strcmp(v, names[i]) == 0) {
			o->emit = kinds[i];
			return 0;
		}
	return bad_value(o, arg, "so, obj, llvm or asm");
}

static int parse_mode(tool_opts *o, const char *arg, const char *v)
{
	if (strcmp(v, "inference") == 0)
		o->mode = PASS_MODE_INFERENCE;
	else if (strcmp(v, "training") == 0)
		o->mode = PASS_MODE_TRAINING;
	else
		return bad_value(o, arg, "inference or training");
	o->has_mode = 1;
	return 0;
}

/* A sample count v of flag arg, lo to 100000, into *out (a build flag). */
static int sample_count(tool_opts *o, const char *arg, const char *v, int64_t lo, int *out)
{
	int64_t n;
	if (parse_i64(v, lo, 100000, &n)) {
		char want[48];
		snprintf(want, sizeof want, "a sample count from %lld to 100000", (long long)lo);
		return bad_value(o, arg, want);
	}
	*out = (int)n;
	o->has_build_flags = 1;
	return 0;
}

/* Build flags: --mode --mc-dropout --target --cpu -ON. 1 when arg is not one. */
static int parse_build(tool_opts *o, unsigned flags, const char *arg)
{
	const char *v;
	if ((flags & (OPT_BUILD | OPT_MODE)) && (v = value_of(arg, "--mode")))
		return parse_mode(o, arg, v);
	if (!(flags & (OPT_BUILD | OPT_MODE)))
		return 1;
	if ((v = value_of(arg, "--mc-dropout")))
		return sample_count(o, arg, v, 2, &o->mc_samples);
	if ((v = value_of(arg, "--mc-chunk")))
		return sample_count(o, arg, v, 1, &o->mc_chunk);
	if (strcmp(arg, "--mc-keep-samples") == 0) {
		o->mc_keep_samples = 1;
		o->has_build_flags = 1;
		return 0;
	}
	if (!(flags & OPT_BUILD))
		return 1;
	int had = o->has_build_flags;
	o->has_build_flags = 1;
	if ((v = value_of(arg, "--target"))) {
		if (!*v)
			return bad_value(o, arg, "a target triple");
		o->target = v;
	} else if ((v = value_of(arg, "--cpu"))) {
		if (!*v)
			return bad_value(o, arg, "a CPU name");
		o->cpu = v;
	} else if (strlen(arg) == 3 && arg[0] == '-' && arg[1] == 'O' && arg[2] >= '0' && arg[2] <= '3') {
		o->opt_level = arg[2] - '0';
	} else {
		o->has_build_flags = had;
		return 1;
	}
	return 0;
}

/* Numeric run/bench flags. 1 when arg is not one of them. */
static int parse_numeric(tool_opts *o, unsigned flags, const char *arg)
{
	const char *v;
	int64_t n;
	if ((flags & OPT_SEED) && (v = value_of(arg, "--seed"))) {
		if (parse_u64(v, &o->seed))
			return bad_value(o, arg, "an unsigned 64-bit integer");
		o->has_seed = 1;
	} else if ((flags & OPT_THREADS) && (v = value_of(arg, "--threads"))) {
		if (parse_i64(v, 1, 1024, &n))
			return bad_value(o, arg, "a thread count from 1 to 1024");
		o->threads = (int)n;
	} else if ((flags & OPT_BENCH) && (v = value_of(arg, "--runs"))) {
		if (parse_i64(v, 1, 1000000, &n))
			return bad_value(o, arg, "a run count from 1 to 1000000");
		o->runs = (int)n;
	} else if ((flags & OPT_BENCH) && (v = value_of(arg, "--rounds"))) {
		if (parse_i64(v, 1, 1000000, &n))
			return bad_value(o, arg, "a round count from 1 to 1000000");
		o->rounds = (int)n;
	} else if ((flags & OPT_BENCH) && (v = value_of(arg, "--batch"))) {
		if (parse_i64(v, 1, 1 << 30, &n))
			return bad_value(o, arg, "a batch size from 1 to 2^30");
		o->batch = n;
	} else {
		return 1;
	}
	return 0;
}

/* Flags taking the next argument (-o, -i). 1 when arg is not one. */
static int parse_separate(tool_opts *o, unsigned flags, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];
	int is_out = strcmp(arg, "-o") == 0 && (flags & OPT_OUT);
	int is_in = strcmp(arg, "-i") == 0 && (flags & OPT_INPUT);
	if (!is_out && !is_in)
		return 1;
	if (*i + 1 >= argc || !argv[*i + 1][0])
		return tool_error(TOOL_USAGE, "%s: %s needs a value", o->cmd, arg);
	(*i)++;
	if (is_out) {
		if (o->out)
			return tool_error(TOOL_USAGE, "%s: -o given twice", o->cmd);
		o->out = argv[*i];
		return 0;
	}
	const char **ni = realloc(o->inputs, sizeof(*ni) * (size_t)(o->ninputs + 1));
	if (!ni)
		return tool_error(TOOL_USAGE, "out of memory");
	o->inputs = ni;
	o->inputs[o->ninputs++] = argv[*i];
	return 0;
}

static int parse_flag(tool_opts *o, unsigned flags, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *v;
	int r;
	if ((r = parse_separate(o, flags, argc, argv, i)) != 1)
		return r;
	if ((flags & OPT_EMIT) && (v = value_of(arg, "--emit")))
		return parse_emit(o, arg, v);
	if ((r = parse_build(o, flags, arg)) != 1 || (r = parse_numeric(o, flags, arg)) != 1)
		return r;
	if ((flags & OPT_INSPECT) && strcmp(arg, "--after-passes") == 0)
		return o->after_passes = 1, 0;
	if ((flags & OPT_INSPECT) && strcmp(arg, "--dot") == 0)
		return o->dot = 1, 0;
	if (strchr(arg, '=') == NULL && (strcmp(arg, "--seed") == 0 || strcmp(arg, "--threads") == 0 ||
					 strcmp(arg, "--mode") == 0 || strcmp(arg, "--emit") == 0 ||
					 strcmp(arg, "--runs") == 0 || strcmp(arg, "--batch") == 0 ||
					 strcmp(arg, "--rounds") == 0))
		return tool_error(TOOL_USAGE, "%s: write %s=VALUE", o->cmd, arg);
	return tool_error(TOOL_USAGE, "%s: unknown option '%s' (see kiln help %s)", o->cmd, arg, o->cmd);
}

int tool_parse(const char *cmd, unsigned flags, int argc, char **argv, tool_opts *o)
{
	int only_pos = 0;
	memset(o, 0, sizeof(*o));
	o->cmd = cmd;
	o->opt_level = 3;
	o->threads = 1;
	o->runs = 10;
	o->batch = 1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (!only_pos && strcmp(arg, "--") == 0) {
			only_pos = 1;
		} else if (!only_pos && arg[0] == '-' && arg[1]) {
			if (parse_flag(o, flags, argc, argv, &i)) {
				tool_opts_free(o);
				return TOOL_USAGE;
			}
		} else if (o->model) {
			tool_opts_free(o);
			return tool_error(TOOL_USAGE, "%s: unexpected argument '%s' (one MODEL only)", cmd, arg);
		} else {
			o->model = arg;
		}
	}
	if (!o->model) {
		tool_opts_free(o);
		return tool_error(TOOL_USAGE, "%s: missing MODEL (see kiln help %s)", cmd, cmd);
	}
	if ((o->mc_keep_samples || o->mc_chunk) && !o->mc_samples) {
		tool_opts_free(o);
		return tool_error(TOOL_USAGE, "%s: %s needs --mc-dropout=T", cmd,
				  o->mc_chunk ? "--mc-chunk" : "--mc-keep-samples");
	}
	return TOOL_OK;
}

void tool_opts_free(tool_opts *o)
{
	free(o->inputs);
	o->inputs = NULL;
	o->ninputs = 0;
}
