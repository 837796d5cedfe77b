/* driver.c — entry point of `kiln`, the command users run. Running a
 * compiled model (kiln run/bench MODEL.so) needs only the runtime, so kiln
 * links nothing else and never maps libLLVM, which would cost tens of MB of
 * RSS and milliseconds of relocation. Everything else (compile, inspect, a
 * .onnx model, .pb inputs, help, version) is handed over, with the same
 * arguments, to kiln-compiler, the whole command (main.c): it sits next to
 * kiln, or where the environment variable KILN_COMPILER says. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools.h"

#define COMPILER_NAME "kiln-compiler"

static char **saved_argv;

/* Path of kiln-compiler in buf: $KILN_COMPILER, else the folder of this
 * executable (symlinks resolved) + COMPILER_NAME. -1 with errno set. */
static int compiler_path(char *buf, size_t size)
{
	const char *env = getenv("KILN_COMPILER");
	ssize_t n;
	char *slash;
	if (env && *env) {
		if (strlen(env) >= size)
			return errno = ENAMETOOLONG, -1;
		strcpy(buf, env);
		return 0;
	}
	n = readlink("/proc/self/exe", buf, size - 1);
	if (n < 0)
		return -1;
	buf[n] = 0;
	slash = strrchr(buf, '/');
	if (!slash || (size_t)(slash + 1 - buf) + sizeof(COMPILER_NAME) > size)
		return errno = ENAMETOOLONG, -1;
	strcpy(slash + 1, COMPILER_NAME);
	return 0;
}

/* Replaces this process by kiln-compiler with the original arguments; it
 * redoes the command from the start. Callers run before anything is written
 * to stdout or to files, so nothing is done twice. Returns only on failure,
 * after printing one line. */
static int hand_over(void)
{
	char path[PATH_MAX];
	if (compiler_path(path, sizeof(path)))
		return tool_error(TOOL_ERR, "cannot locate " COMPILER_NAME " (/proc/self/exe): %s",
				  strerror(errno));
	execv(path, saved_argv);
	return tool_error(TOOL_ERR, "cannot run the compiler '%s': %s (kiln needs " COMPILER_NAME
			  " next to it, or KILN_COMPILER set to its path)", path, strerror(errno));
}

/* The compiler's side of run and bench (build.c, run_onnx.c): here they
 * hand the command over to kiln-compiler. */
int tool_build_graph(const tool_opts *o, int run_passes, void **graph)
{
	*graph = NULL;
	return hand_over();
}

int tool_jit_graph(const tool_opts *o, void *graph, kiln_model **m)
{
	*m = NULL;
	return hand_over();
}

int tool_read_pb(const char *path, kiln_tensor *t)
{
	return hand_over();
}

int run_prepare_onnx(const tool_opts *o, kiln_model **m, char ***names, int *n, run_slot **slots)
{
	return hand_over();
}

static int is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

int main(int argc, char **argv)
{
	saved_argv = argv;
	if (argc < 2)
		return hand_over();
	/* Help and every message about it stay in main.c alone. */
	for (int i = 2; i < argc; i++)
		if (is_help(argv[i]))
			return hand_over();
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(argv[1], "bench") == 0)
		return cmd_bench(argc - 1, argv + 1);
	return hand_over();
}
