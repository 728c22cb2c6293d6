/* ckpt: global options, and dispatch to the command table (cmds.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmds.h"
#include "store/http.h"
#include "store/url.h"

#ifndef CKPT_VERSION
#define CKPT_VERSION "dev"
#endif

/* A remote read tried again (store/http.h): said on stderr, as the issue asks. */
static void print_retry(const char *url, const char *why, int attempt, int tries)
{
	fprintf(stderr, "ckpt: retrying %s (%s), %d of %d\n", url, why, attempt, tries);
}

static void short_usage(FILE *f)
{
	fputs("usage: ckpt [--version] [--help] <command> [<args>]\n\n"
	      "Inspect and edit TensorFlow checkpoints without TensorFlow.\n\nCommands:\n", f);
	for (size_t i = 0; i < cmd_count; i++)
		fprintf(f, "  %-9s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	fputs("\nA checkpoint is named by its prefix (model.ckpt-1000), its .index or .data file, or a\n"
	      "folder with a 'checkpoint' state file. 'ckpt help <command>' describes one command.\n"
	      "Exit status: 0 success, 1 differences found, 2 trouble.\n", f);
}

static const struct cmd_entry *suggest(const char *name)
{
	const struct cmd_entry *best = NULL;
	size_t best_d = (size_t)-1, n = strlen(name);

	for (size_t i = 0; i < cmd_count; i++) {
		const struct cmd_entry *c = cmd_table[i];
		size_t d = name_distance(name, n, c->name, strlen(c->name));
		if (n >= 2 && !strncmp(c->name, name, n))
			d = 0;  /* a prefix: "ckpt ver" */
		if (d < best_d) {
			best_d = d;
			best = c;
		}
	}
	return best_d <= 2 ? best : NULL;
}

static int unknown_command(const char *name)
{
	const struct cmd_entry *s = suggest(name);

	if (s)
		fprintf(stderr, "ckpt: '%s' is not a command; did you mean '%s'?\n", name, s->name);
	else
		fprintf(stderr, "ckpt: '%s' is not a command; see 'ckpt --help'\n", name);
	return EXIT_TROUBLE;
}

int main(int argc, char **argv)
{
	const struct cmd_entry *c;

	xalloc_on_failure(cli_out_of_memory);
	http_on_retry = print_retry;
	for (int i = 1; i < argc; i++)
		ck_url_hide_userinfo(argv[i]); /* user:password@ of a URL: kept for its requests only */
	if (argc < 2) {
		short_usage(stderr);
		return EXIT_TROUBLE;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("ckpt %s\n", CKPT_VERSION);
		return cli_finish(EXIT_OK);
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		short_usage(stdout);
		return cli_finish(EXIT_OK);
	}
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			short_usage(stdout);
			return cli_finish(EXIT_OK);
		}
		c = cmd_find(argv[2]);
		if (!c)
			return unknown_command(argv[2]);
		return cli_help(c);
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "ckpt: unknown option '%s'\n", argv[1]);
		short_usage(stderr);
		return EXIT_TROUBLE;
	}
	c = cmd_find(argv[1]);
	if (!c)
		return unknown_command(argv[1]);
	cli_cmd = c->name;
	cli_json_mode(argc - 1, argv + 1);
	return cli_exit(c->exec(c, argc - 1, argv + 1));
}
