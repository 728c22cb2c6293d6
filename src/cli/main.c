/* ckpt: the command table, global options, and dispatch. */
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

/* Sorted by name: cli_find binary-searches it. */
const struct cmd commands[] = {
	{ "average", cmd_average, "the element-wise mean of several checkpoints", cmd_average_usage },
	{ "cast", cmd_cast, "write a copy with float tensors converted (float16, bfloat16 ...)", cmd_cast_usage },
	{ "diff", cmd_diff, "compare two checkpoints: names, shapes and values", cmd_diff_usage },
	{ "export", cmd_export, "write tensors to a NumPy .npz or a safetensors file", cmd_export_usage },
	{ "graph", cmd_graph, "what a .meta or SavedModel graph expects; check a checkpoint against it", cmd_graph_usage },
	{ "import", cmd_import, "a checkpoint from a .npz, safetensors or .npy files", cmd_import_usage },
	{ "list", cmd_list, "list the tensors of a checkpoint", cmd_list_usage },
	{ "match", cmd_match, "pair a target's names with a checkpoint's tensors; write the renames", cmd_match_usage },
	{ "merge", cmd_merge, "combine several checkpoints into one", cmd_merge_usage },
	{ "rename", cmd_rename, "write a copy with tensors renamed (data shared, not copied)", cmd_rename_usage },
	{ "show", cmd_show, "print tensor values, statistics, or the TF2 object graph", cmd_show_usage },
	{ "subset", cmd_subset, "write a copy with only some tensors (e.g. without optimizer state)", cmd_subset_usage },
	{ "trend", cmd_trend, "norms and relative changes of tensors over a training run's checkpoints", cmd_trend_usage },
	{ "verify", cmd_verify, "check every checksum, shard and structure of a checkpoint", cmd_verify_usage },
};
const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

/* A remote read tried again (store/http.h): said on stderr, as the issue asks. */
static void print_retry(const char *url, const char *why, int attempt, int tries)
{
	fprintf(stderr, "ckpt: retrying %s (%s), %d of %d\n", url, why, attempt, tries);
}

static void short_usage(FILE *f)
{
	fputs("usage: ckpt [--version] [--help] <command> [<args>]\n\n"
	      "Inspect and edit TensorFlow checkpoints without TensorFlow.\n\nCommands:\n", f);
	for (size_t i = 0; i < ncommands; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fputs("\nA checkpoint is named by its prefix (model.ckpt-1000), its .index or .data file, or a\n"
	      "folder with a 'checkpoint' state file. 'ckpt help <command>' describes one command.\n"
	      "Exit status: 0 success, 1 differences found, 2 trouble.\n", f);
}

static const struct cmd *suggest(const char *name)
{
	const struct cmd *best = NULL;
	size_t best_d = (size_t)-1, n = strlen(name);

	for (size_t i = 0; i < ncommands; i++) {
		size_t d = name_distance(name, n, commands[i].name, strlen(commands[i].name));
		if (n >= 2 && !strncmp(commands[i].name, name, n))
			d = 0;  /* a prefix: "ckpt ver" */
		if (d < best_d) {
			best_d = d;
			best = &commands[i];
		}
	}
	return best_d <= 2 ? best : NULL;
}

static int unknown_command(const char *name)
{
	const struct cmd *s = suggest(name);

	if (s)
		fprintf(stderr, "ckpt: '%s' is not a command; did you mean '%s'?\n", name, s->name);
	else
		fprintf(stderr, "ckpt: '%s' is not a command; see 'ckpt --help'\n", name);
	return EXIT_TROUBLE;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

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
		c = cli_find(argv[2]);
		if (!c)
			return unknown_command(argv[2]);
		return cli_help(c);
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "ckpt: unknown option '%s'\n", argv[1]);
		short_usage(stderr);
		return EXIT_TROUBLE;
	}
	c = cli_find(argv[1]);
	if (!c)
		return unknown_command(argv[1]);
	cli_cmd = c->name;
	cli_json_mode(argc - 1, argv + 1);
	return cli_exit(c->fn(argc - 1, argv + 1));
}
