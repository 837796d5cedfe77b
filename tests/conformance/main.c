/* main.c — kiln_conformance: runs the ONNX backend test cases of
 * libonnx-testdata (suites node, pytorch-converted, pytorch-operator, simple;
 * not 'real') through kiln, each in a forked child with a time limit, so a
 * crash or a hang is just a failed case. Prints one line per case, per-suite
 * totals and finally "N passed, M failed".
 * usage: kiln_conformance [-j N] [--timeout S] [--data DIR] [-O N]
 *                         [--list-passing FILE] [--expected FILE] [FILTER...] */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conformance.h"

static const char *const suites[] = { "node", "pytorch-converted", "pytorch-operator", "simple", NULL };

typedef struct {
	char suite[32];
	char name[256];
	char id[300];            /* "suite/name", the form used in the lists */
	int selected, done, pass;
	pid_t pid;
	FILE *log;               /* the child's stdout/stderr and result line */
	char reason[CONF_MSG_LEN];
} conf_case;

typedef struct {
	const char *data, *list_passing, *expected;
	int jobs, timeout, opt;
	int nfilters;
	char **filters;
} conf_opts;

static conf_case *cases;
static int ncases, cap_cases;

static int by_name(const void *a, const void *b)
{
	return strcmp(((const conf_case *)a)->name, ((const conf_case *)b)->name);
}

/* Appends every DATA/SUITE/<case>/model.onnx, sorted by case name. */
static void collect_suite(const char *data, const char *suite)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", data, suite);
	DIR *d = opendir(path);
	if (!d)
		return;
	int first = ncases;
	struct dirent *e;
	while ((e = readdir(d))) {
		struct stat sb;
		snprintf(path, sizeof path, "%s/%s/%s/model.onnx", data, suite, e->d_name);
		if (e->d_name[0] == '.' || strlen(e->d_name) >= 256 || stat(path, &sb) != 0)
			continue;
		if (ncases == cap_cases) {
			cap_cases = cap_cases ? 2 * cap_cases : 1024;
			cases = realloc(cases, (size_t)cap_cases * sizeof *cases);
			if (!cases) {
				perror("kiln_conformance");
				exit(2);
			}
		}
		conf_case *c = &cases[ncases++];
		memset(c, 0, sizeof *c);
		snprintf(c->suite, sizeof c->suite, "%s", suite);
		snprintf(c->name, sizeof c->name, "%s", e->d_name);
	}
	closedir(d);
	qsort(cases + first, (size_t)(ncases - first), sizeof *cases, by_name);
	for (int i = first; i < ncases; i++)
		snprintf(cases[i].id, sizeof cases[i].id, "%s/%s", suite, cases[i].name);
}

static int matches(const conf_opts *o, const conf_case *c)
{
	if (o->nfilters == 0)
		return 1;
	for (int i = 0; i < o->nfilters; i++)
		if (strstr(c->id, o->filters[i]))
			return 1;
	return 0;
}

/* Child side: run the case with stdout/stderr going to the log file. */
static void child_run(const conf_opts *o, conf_case *c)
{
	char dir[4096], msg[CONF_MSG_LEN] = "";
	int fd = fileno(c->log);
	alarm((unsigned)o->timeout);
	dup2(fd, 1);
	dup2(fd, 2);
	snprintf(dir, sizeof dir, "%s/%s/%s", o->data, c->suite, c->name);
	int rc = conf_run_case(dir, c->suite, c->name, o->opt, msg);
	fflush(stdout);
	fflush(stderr);
	dprintf(fd, "\nRESULT %s %s\n", rc == 0 ? "PASS" : "FAIL", msg);
	_exit(0);
}

static void start_case(const conf_opts *o, conf_case *c)
{
	c->log = tmpfile();
	if (!c->log) {
		perror("kiln_conformance: tmpfile");
		exit(2);
	}
	fflush(stdout);
	fflush(stderr);
	c->pid = fork();
	if (c->pid < 0) {
		perror("kiln_conformance: fork");
		exit(2);
	}
	if (c->pid == 0)
		child_run(o, c);
}

/* Parent side: reads the child's result line (or its last words). */
static void finish_case(const conf_opts *o, conf_case *c, int status)
{
	char line[4096], last[200] = "", result[CONF_MSG_LEN + 16] = "";
	rewind(c->log);
	while (fgets(line, sizeof line, c->log)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "RESULT ", 7))
			snprintf(result, sizeof result, "%.600s", line + 7);
		else if (line[0])
			snprintf(last, sizeof last, "%.190s", line);
	}
	fclose(c->log);
	c->done = 1;
	if (result[0] && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		c->pass = !strncmp(result, "PASS", 4);
		snprintf(c->reason, sizeof c->reason, "%.590s", result + 5);
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM) {
		snprintf(c->reason, sizeof c->reason, "timeout after %d s", o->timeout);
	} else if (WIFSIGNALED(status)) {
		snprintf(c->reason, sizeof c->reason, "crashed with signal %d (%s)%s%s", WTERMSIG(status),
			 strsignal(WTERMSIG(status)), last[0] ? ": " : "", last);
	} else {
		snprintf(c->reason, sizeof c->reason, "child exited with status %d%s%s",
			 WEXITSTATUS(status), last[0] ? ": " : "", last);
	}
}

static void print_case(const conf_case *c)
{
	if (c->pass)
		printf("PASS %s%s%s%s\n", c->id, c->reason[0] ? " (" : "", c->reason, c->reason[0] ? ")" : "");
	else
		printf("FAIL %s: %s\n", c->id, c->reason);
	fflush(stdout);
}

/* Runs the selected cases, at most o->jobs at once, printing in case order. */
static void run_all(const conf_opts *o)
{
	int next = 0, running = 0, printed = 0;
	for (;;) {
		while (next < ncases && !cases[next].selected)
			next++;
		while (printed < ncases && (!cases[printed].selected || cases[printed].done)) {
			if (cases[printed].selected)
				print_case(&cases[printed]);
			printed++;
		}
		if (printed == ncases)
			return;
		if (running < o->jobs && next < ncases) {
			start_case(o, &cases[next++]);
			running++;
			continue;
		}
		int status;
		pid_t pid = waitpid(-1, &status, 0);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			perror("kiln_conformance: waitpid");
			exit(2);
		}
		for (int i = 0; i < ncases; i++)
			if (cases[i].selected && !cases[i].done && cases[i].pid == pid) {
				finish_case(o, &cases[i], status);
				running--;
				break;
			}
	}
}

static void print_totals(int *npass, int *nfail)
{
	*npass = *nfail = 0;
	for (int s = 0; suites[s]; s++) {
		int p = 0, f = 0;
		for (int i = 0; i < ncases; i++)
			if (cases[i].selected && !strcmp(cases[i].suite, suites[s]))
				cases[i].pass ? p++ : f++;
		if (p + f)
			printf("suite %s: %d passed, %d failed\n", suites[s], p, f);
		*npass += p;
		*nfail += f;
	}
}

static int write_passing(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "kiln_conformance: cannot write %s\n", path);
		return -1;
	}
	for (int i = 0; i < ncases; i++)
		if (cases[i].selected && cases[i].pass)
			fprintf(f, "%s\n", cases[i].id);
	fclose(f);
	return 0;
}

/* Every case listed in path must have passed (cases outside the filter are
 * not checked; a listed case missing from the data is a regression). Returns
 * the number of regressions, or -1 when the file cannot be read. */
static int check_expected(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "kiln_conformance: cannot read %s\n", path);
		return -1;
	}
	char line[512];
	int regressions = 0, listed = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, " \t\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		listed++;
		int i = 0;
		while (i < ncases && strcmp(cases[i].id, line))
			i++;
		if (i == ncases) {
			printf("REGRESSION %s: case not found in the test data\n", line);
			regressions++;
		} else if (cases[i].selected && !cases[i].pass) {
			printf("REGRESSION %s: %s\n", line, cases[i].reason);
			regressions++;
		}
	}
	fclose(f);
	printf("expected list %s: %d cases, %d regressions\n", path, listed, regressions);
	return regressions;
}

static void usage(void)
{
	fprintf(stderr, "usage: kiln_conformance [-j N] [--timeout S] [--data DIR] [-O N]\n"
		"         [--list-passing FILE] [--expected FILE] [FILTER...]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, conf_opts *o)
{
	o->data = "/usr/share/libonnx-testdata/data";
	o->jobs = 1;
	o->timeout = 60;
	o->opt = 3;
	o->filters = calloc((size_t)argc, sizeof *o->filters);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strncmp(a, "-j", 2) && a[2])
			o->jobs = atoi(a + 2);
		else if (!strncmp(a, "-O", 2) && a[2])
			o->opt = atoi(a + 2);
		else if (a[0] == '-' && !v)
			usage();
		else if (!strcmp(a, "-j"))
			o->jobs = atoi(argv[++i]);
		else if (!strcmp(a, "-O"))
			o->opt = atoi(argv[++i]);
		else if (!strcmp(a, "--timeout"))
			o->timeout = atoi(argv[++i]);
		else if (!strcmp(a, "--data"))
			o->data = argv[++i];
		else if (!strcmp(a, "--list-passing"))
			o->list_passing = argv[++i];
		else if (!strcmp(a, "--expected"))
			o->expected = argv[++i];
		else if (a[0] == '-')
			usage();
		else
			o->filters[o->nfilters++] = argv[i];
	}
	if (o->jobs < 1 || o->timeout < 1 || o->opt < 0 || o->opt > 3)
		usage();
}

int main(int argc, char **argv)
{
	conf_opts o = {0};
	parse_args(argc, argv, &o);
	for (int s = 0; suites[s]; s++)
		collect_suite(o.data, suites[s]);
	if (ncases == 0) {
		fprintf(stderr, "kiln_conformance: no test cases under %s (install libonnx-testdata)\n", o.data);
		return 2;
	}
	for (int i = 0; i < ncases; i++)
		cases[i].selected = matches(&o, &cases[i]);
	run_all(&o);
	int npass, nfail, regressions = 0;
	print_totals(&npass, &nfail);
	if (o.list_passing && write_passing(o.list_passing))
		return 2;
	if (o.expected)
		regressions = check_expected(o.expected);
	printf("%d passed, %d failed\n", npass, nfail);
	if (regressions < 0)
		return 2;
	if (o.expected)
		return regressions > 0;
	return nfail > 0;
}
