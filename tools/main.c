/* main.c — entry point of kiln-compiler, the whole `kiln` command: dispatches
 * to compile, run, inspect and bench, and prints help and version. The kiln
 * driver (driver.c) execs it for everything but running a compiled model.
 * Exit status: 0 success, 1 an error in the model, its inputs or the run,
 * 2 a usage error; every error is one line on stderr starting "kiln: ". */
#include "tools.h"

#include <stdio.h>
#include <string.h>

#include "kiln_abi.h"

#define KILN_VERSION "0.1.0"

static const char usage_main[] =
	"usage: kiln COMMAND [ARGS]\n"
	"\n"
	"commands:\n"
	"  compile   compile an ONNX model to a shared library, object, LLVM IR or assembly\n"
	"  run       run an ONNX model (JIT) or a compiled .so on .npy/.pb inputs\n"
	"  inspect   print a model's graph as kiln's IR (or Graphviz dot)\n"
	"  bench     time a model on random inputs and print one JSON line\n"
	"\n"
	"kiln help COMMAND or kiln COMMAND --help shows a command's options.\n"
	"kiln --version prints the version.\n"
	"Exit status: 0 success, 1 error in the model, inputs or run, 2 usage error.\n";

static const char usage_compile[] =
	"usage: kiln compile MODEL.onnx -o OUT [options]\n"
	"\n"
	"Compiles MODEL.onnx into OUT.\n"
	"  -o OUT                  output file (required)\n"
	"  --emit=so|obj|llvm|asm  shared library (default); object file plus a C header\n"
	"                          OUT's stem + .h; LLVM IR text; assembly\n"
	"  --mode=inference|training\n"
	"                          inference: remove every Dropout, BatchNorm in inference\n"
	"                          form; training: every Dropout becomes mask-and-scale.\n"
	"                          Default: follow the graph (warns on training-form graphs)\n"
	"  --mc-dropout=T          Monte-Carlo dropout: Dropout stays stochastic, the rest in\n"
	"                          inference form; the nodes after a Dropout run on T >= 2\n"
	"                          samples batched (in chunks, see --mc-chunk), the others\n"
	"                          once; each output Y becomes Y_mean and Y_var (unbiased)\n"
	"  --mc-keep-samples       with --mc-dropout, also output Y_samples [T, ...]\n"
	"  --mc-chunk=S            with --mc-dropout, samples per batch: the sampled nodes\n"
	"                          run ceil(T/S) times on S samples (default: as many as\n"
	"                          keep the largest sampled tensor near 4 MiB, in cache)\n"
	"  --target=TRIPLE         target triple (default: host)\n"
	"  --cpu=NAME              target CPU (default: host CPU and its features)\n"
	"  -O0 .. -O3              LLVM optimisation level (default -O3)\n"
	"  --seed=S                default session seed compiled into the model, used by\n"
	"                          Dropouts without a seed attribute (kiln run --seed and\n"
	"                          kiln_session_set_seed override it; default 0)\n";

static const char usage_run[] =
	"usage: kiln run MODEL.onnx|MODEL.so [-i FILE | -i NAME=FILE]... [options]\n"
	"\n"
	"Runs the model once. A .onnx model is compiled in memory (JIT); a shared\n"
	"library made by kiln compile is loaded. Inputs are .npy or ONNX TensorProto\n"
	".pb files, given in graph-input order (-i FILE) or by name (-i NAME=FILE);\n"
	"every graph input needs one. Writes OUTDIR/output_K.npy for each output in\n"
	"graph-output order and prints a summary of each.\n"
	"A .onnx model whose graph inputs decide a shape (Reshape's shape, Slice's\n"
	"starts, TopK's K, Range's limits...; integer tensors or small float vectors)\n"
	"is specialised on the values given: they are compiled in as constants (each\n"
	"run of a .onnx compiles it anew). kiln compile cannot do this: its .so\n"
	"needs such inputs to be constant in the model.\n"
	"  -i FILE, -i NAME=FILE   an input tensor\n"
	"  -o OUTDIR               folder for the outputs (default: .; created if missing)\n"
	"  --seed=S                session seed for stochastic Dropout (default 0)\n"
	"  --threads=N             worker threads (default 1)\n"
	"  .onnx models also take compile's --mode, --mc-dropout, --mc-keep-samples,\n"
	"  --mc-chunk, --target, --cpu, -O.\n";

static const char usage_inspect[] =
	"usage: kiln inspect MODEL.onnx [--after-passes] [--mode=inference|training]\n"
	"                    [--mc-dropout=T [--mc-keep-samples] [--mc-chunk=S]] [--dot]\n"
	"\n"
	"Prints the graph as loaded, in kiln's IR text form.\n"
	"  --after-passes          print the graph after the pass pipeline instead\n"
	"  --mode=...              pipeline mode (implies --after-passes)\n"
	"  --mc-dropout=T          MC-dropout pipeline (implies --after-passes): nodes\n"
	"                          marked [sampled] run on a chunk of samples at a time,\n"
	"                          [stochastic] Dropouts draw the samples, others run once;\n"
	"                          KilnMcCollect gathers each chunk's samples of an output\n"
	"  --dot                   Graphviz dot instead of text\n";

static const char usage_bench[] =
	"usage: kiln bench MODEL.onnx|MODEL.so [--threads=N] [--runs=N] [--batch=N]\n"
	"                  [--rounds=R]\n"
	"\n"
	"Times the model on random inputs (symbolic dims set to --batch) after one\n"
	"warm-up run and prints one JSON line:\n"
	"  {\"model\":..., \"threads\":..., \"batch\":..., \"runs\":..., \"median_ms\":...,\n"
	"   \"min_ms\":..., \"load_ms\":...}\n"
	"load_ms is dlopen time for a .so, compile + JIT time for a .onnx.\n"
	"  --threads=N             worker threads (default 1)\n"
	"  --runs=N                timed runs (default 10)\n"
	"  --batch=N               value of every symbolic dim (default 1)\n"
	"  --rounds=R              R rounds of --runs timed runs in one session, each\n"
	"                          started by a line read from standard input and\n"
	"                          printed as its own JSON line with \"round\": K, so\n"
	"                          that another program can time its own runs between\n"
	"                          them; an error when the input ends first\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} commands[] = {
	{"compile", cmd_compile, usage_compile},
	{"run", cmd_run, usage_run},
	{"inspect", cmd_inspect, usage_inspect},
	{"bench", cmd_bench, usage_bench},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int is_help(const char *a)
{
	return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0;
}

static int help(int argc, char **argv)
{
	int c;
	if (argc < 3) {
		fputs(usage_main, stdout);
		return TOOL_OK;
	}
	if (argc > 3)
		return tool_error(TOOL_USAGE, "help: expected one command name");
	if ((c = find_command(argv[2])) < 0)
		return tool_error(TOOL_USAGE, "help: unknown command '%s' (commands: compile, run, inspect, bench)",
				  argv[2]);
	fputs(commands[c].usage, stdout);
	return TOOL_OK;
}

int main(int argc, char **argv)
{
	int c;
	if (argc < 2) {
		fputs(usage_main, stderr);
		return TOOL_USAGE;
	}
	if (is_help(argv[1]))
		return fputs(usage_main, stdout), TOOL_OK;
	if (strcmp(argv[1], "--version") == 0) {
		printf("kiln %s (model ABI %d)\n", KILN_VERSION, KILN_ABI_VERSION);
		return TOOL_OK;
	}
	if (strcmp(argv[1], "help") == 0)
		return help(argc, argv);
	if ((c = find_command(argv[1])) < 0)
		return tool_error(TOOL_USAGE, "unknown command '%s' (see kiln --help)", argv[1]);
	for (int i = 2; i < argc; i++)
		if (is_help(argv[i]))
			return fputs(commands[c].usage, stdout), TOOL_OK;
	return commands[c].fn(argc - 1, argv + 1);
}
