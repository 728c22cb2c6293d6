/* Error and usage reporting for the commands. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "output.h"

const char *cli_cmd = NULL;

static void prefix(void)
{
	fputs("ckpt: ", stderr);
	if (cli_cmd)
		fprintf(stderr, "%s: ", cli_cmd);
}

int cli_error(const struct ck_err *err)
{
	prefix();
	fprintf(stderr, "%s\n", err->msg[0] ? err->msg : "unknown error");
	return EXIT_TROUBLE;
}

int cli_errorf(const char *fmt, ...)
{
	va_list ap;

	prefix();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_TROUBLE;
}

static void print_usage_lines(const struct cmd *c, FILE *f)
{
	/* The first paragraph of the help text is the usage synopsis. */
	const char *u = c->usage, *end = strstr(u, "\n\n");
	fprintf(f, "%.*s\n", (int)(end ? end - u : (long)strlen(u)), u);
}

int cli_usage(const struct cmd *c, const char *fmt, ...)
{
	va_list ap;

	prefix();
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	print_usage_lines(c, stderr);
	fprintf(stderr, "Try 'ckpt %s --help' for more information.\n", c->name);
	return EXIT_TROUBLE;
}

void cli_notes(const struct buf *notes)
{
	const char *p = (const char *)notes->p;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		prefix();
		fprintf(stderr, "%.*s\n", (int)n, p);
		p += n + (nl ? 1 : 0);
	}
}

size_t edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), *row = xcalloc(m + 1, sizeof(size_t)), r;

	for (size_t j = 0; j <= m; j++)
		row[j] = j;
	for (size_t i = 1; i <= n; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	r = row[m];
	free(row);
	return r;
}

int cli_bad_option(const struct cmd *c, char **argv, const struct option *opts)
{
	const char *bad = argv[optind - 1];
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	if (optopt && strncmp(bad, "--", 2)) {
		for (const struct option *o = opts; o && o->name; o++)
			if (o->val == optopt && o->has_arg == required_argument)
				return cli_usage(c, "option '-%c' needs a value", optopt);
		return cli_usage(c, "unknown option '-%c'", optopt);
	}
	if (!strncmp(bad, "--", 2)) {
		char name[64];
		const char *eq = strchr(bad, '=');
		size_t n = eq ? (size_t)(eq - bad - 2) : strlen(bad + 2);
		snprintf(name, sizeof(name), "%.*s", (int)n, bad + 2);
		for (const struct option *o = opts; o && o->name; o++) {
			size_t d = edit_distance(name, o->name);
			if (!strcmp(name, o->name))
				return cli_usage(c, o->has_arg == required_argument
						 ? "option '--%s' needs a value" : "option '--%s' takes no value",
						 o->name);
			if (d < best_d) {
				best_d = d;
				best = o->name;
			}
		}
		if (best && best_d <= 2 + strlen(name) / 4)
			return cli_usage(c, "unknown option '%s' (did you mean '--%s'?)", bad, best);
	}
	return cli_usage(c, "unknown option '%s'", bad);
}

int cli_add_filter(const struct cmd *c, struct namefilter *f, const char *re, int exclude)
{
	struct ck_err err;

	if (namefilter_add(f, re, exclude, &err) < 0)
		return cli_usage(c, "%s", err.msg);
	return 0;
}

int cli_one_operand(const struct cmd *c, int n, const char *what)
{
	if (n == 1)
		return 0;
	return n ? cli_usage(c, "expected one %s, got %d", what, n)
		 : cli_usage(c, "no %s given", what);
}

int cli_help(const struct cmd *c)
{
	fputs(c->usage, stdout);
	return cli_finish(EXIT_OK);
}

int cli_finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno == EPIPE)
			return status;
		cli_errorf("error writing output: %s", strerror(errno));
		return EXIT_TROUBLE;
	}
	return status;
}

const struct cmd *cli_find(const char *name)
{
	size_t lo = 0, hi = ncommands;

	/* The command table is sorted by name, as git's. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, commands[mid].name);
		if (!c)
			return &commands[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void cli_progress(void *ctx, uint64_t done, uint64_t total)
{
	/* An adapter from the (done, total) callbacks of library loops to struct progress. */
	static struct progress p;
	static int active;
	char label[64];

	(void)ctx;
	if (!active) {
		snprintf(label, sizeof(label), "ckpt: %s", cli_cmd ? cli_cmd : "");
		progress_init(&p, xstrdup(label), total);
		active = 1;
	}
	if (done > p.done)
		progress_add(&p, done - p.done);
	if (done >= total) {
		progress_done(&p);
		free((char *)p.label);
		active = 0;
	}
}
