/* Error and usage reporting for the commands. */
#include "cli/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edit/surgery.h"
#include "cli/output.h"

const char *cli_cmd = NULL;

/* --json runs: the first error reported, for the error object cli_exit prints. */
static struct {
	int on, argc;
	char **argv;
	char msg[1024];
} json_err;

static void prefix(void)
{
	fputs("ckpt: ", stderr);
	if (cli_cmd)
		fprintf(stderr, "%s: ", cli_cmd);
}

static void keep(const char *msg)
{
	if (json_err.on && !json_err.msg[0])
		snprintf(json_err.msg, sizeof(json_err.msg), "%s", msg);
}

int cli_error(const struct ck_err *err)
{
	const char *msg = err->msg[0] ? err->msg : "unknown error";

	prefix();
	fprintf(stderr, "%s\n", msg);
	keep(msg);
	return EXIT_TROUBLE;
}

int cli_errorf(const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	prefix();
	fprintf(stderr, "%s\n", msg);
	keep(msg);
	return EXIT_TROUBLE;
}

void cli_json_mode(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i];
		int format = !strcmp(a, "--format") ||
			     (!strcmp(a, "-f") && cli_cmd && !strcmp(cli_cmd, "list"));
		if (!strcmp(a, "--json") || !strcmp(a, "-j") || !strcmp(a, "--format=json") ||
		    (format && i + 1 < argc && !strcmp(argv[i + 1], "json")))
			json_err.on = 1;
	}
	json_err.argc = argc;
	json_err.argv = argv;
}

/* The file an error message starts with ("PATH: what is wrong"): an operand as typed, or a
 * file that exists; NULL when the message names none. */
static char *error_path(const char *msg)
{
	const char *colon = strstr(msg, ": ");
	char *p;
	struct stat st;

	if (!colon || colon == msg)
		return NULL;
	p = xmemdup(msg, (size_t)(colon - msg));
	for (int i = 1; i < json_err.argc; i++)
		if (!strcmp(json_err.argv[i], p))
			return p;
	if (stat(p, &st) == 0)
		return p;
	free(p);
	return NULL;
}

int cli_exit(int status)
{
	cJSON *root, *e;
	char *path;

	if (!json_err.on || status != EXIT_TROUBLE || !json_err.msg[0] || json_printed() ||
	    ferror(stdout))
		return status;
	root = cJSON_CreateObject();
	e = cJSON_AddObjectToObject(root, "error");
	cJSON_AddStringToObject(e, "message", json_err.msg);
	path = error_path(json_err.msg);
	if (path)
		cJSON_AddStringToObject(e, "path", path);
	else
		cJSON_AddNullToObject(e, "path");
	cJSON_AddNumberToObject(e, "exit", status);
	if (cli_cmd)
		cJSON_AddStringToObject(e, "command", cli_cmd);
	json_print(root, stdout);
	cJSON_Delete(root);
	free(path);
	return cli_finish(status);
}

static void print_usage_lines(const struct cmd_entry *c, FILE *f)
{
	/* The first paragraph of the help text is the usage synopsis. */
	const char *u = c->usage, *end = strstr(u, "\n\n");
	fprintf(f, "%.*s\n", (int)(end ? end - u : (long)strlen(u)), u);
}

int cli_usage(const struct cmd_entry *c, const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	prefix();
	fprintf(stderr, "%s\n", msg);
	keep(msg);
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

int cli_surg_input(struct surg_input *in, const char *path)
{
	struct ck_err err = { 0 };
	int rc = surg_input_open(in, path, &err);

	cli_notes(&in->where.notes);
	return rc < 0 ? cli_error(&err) : -1;
}

int cli_bad_option(const struct cmd_entry *c, char **argv)
{
	const struct option *opts = c->options;
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
			size_t d = name_distance(name, strlen(name), o->name, strlen(o->name));
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

int cli_add_filter(const struct cmd_entry *c, struct namefilter *f, const char *re, int exclude)
{
	struct ck_err err;

	if (namefilter_add(f, re, exclude, &err) < 0)
		return cli_usage(c, "%s", err.msg);
	return 0;
}

int cli_one_operand(const struct cmd_entry *c, int n, const char *what)
{
	if (n == 1)
		return 0;
	return n ? cli_usage(c, "expected one %s, got %d", what, n)
		 : cli_usage(c, "no %s given", what);
}

int cli_help(const struct cmd_entry *c)
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

void cli_out_of_memory(size_t n)
{
	fprintf(stderr, "ckpt: out of memory (allocating %zu bytes)\n", n);
	exit(EXIT_TROUBLE);
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
