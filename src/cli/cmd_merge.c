/* ckpt merge: one checkpoint from several (compacted copy, optional name prefixes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edit/merge.h"
#include "edit/surgery.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

static const char usage[] =
"usage: ckpt merge -o OUT [--on-conflict error|first|last] [--shard-size SIZE | --shards N]\n"
"                  [-f] [-n] [--json] [--verify-data] [--update-state] [--no-sync]\n"
"                  [--prefix P] INPUT [[--prefix P] INPUT]...\n"
"\n"
"Combine the tensors of several checkpoints into a new checkpoint OUT. Tensor bytes are\n"
"copied in the kernel, never decoded, CRCs kept. A --prefix applies to the input after it:\n"
"'--prefix encoder/ a --prefix decoder/ b' puts a's tensors under encoder/.\n"
"\n"
"TF2 inputs: their object graphs are combined under a new root whose children are the\n"
"inputs' roots, named by their prefixes (which must then be NAME/, NAME holding no '/' or\n"
"'.'), so tf.train.Checkpoint(encoder=..., decoder=...) restores the result. Two TF2\n"
"inputs without prefixes cannot be combined safely and are refused.\n"
"\n"
"Options:\n"
"  -o, --output OUT          prefix of the new checkpoint (its folder is created if missing)\n"
"  -p, --prefix P            put P in front of every name of the next INPUT\n"
"  -c, --on-conflict HOW     a name in several inputs: error (default: list them all), first\n"
"                            or last (that input's tensor wins)\n"
"      --prefer first|last   the same as --on-conflict first or last\n"
"      --shard-size SIZE     start a new data file past SIZE bytes (K, M, G, T suffixes:\n"
"                            powers of 1024); default: one data file\n"
"      --shards N            split the data into N files of about equal size\n"
"  -f, --force               replace OUT if it exists\n"
"                            (never a file of an input: see OUTPUTS in ckpt(1))\n"
"  -n, --dry-run             print what would be written, write nothing\n"
"      --verify-data         also re-read every payload of the output and check its CRC\n"
"      --update-state        record OUT as the latest checkpoint in its folder's\n"
"                            'checkpoint' file\n"
"      --no-sync             do not wait for OUT to reach the disk (faster for scratch\n"
"                            outputs; a machine crash soon after may lose it)\n"
"      --json                print the summary as JSON\n"
"  -h, --help                show this help\n"
"\n"
"Exit status: 0 success, 2 trouble (conflicting names included).\n";

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	uint64_t mul = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || errno || *s == '-')
		return -1;
	if (*end) {
		static const char *const suf[] = { "K", "M", "G", "T" };
		int k;
		for (k = 0; k < 4; k++)
			if (!strcmp(end, suf[k]) || (!strncmp(end, suf[k], 1) && !strcmp(end + 1, "iB")))
				break;
		if (k == 4 && (!strcmp(end, "B")))
			k = -1;
		else if (k == 4)
			return -1;
		for (int i = 0; i <= k; i++)
			mul *= 1024;
	}
	if (__builtin_mul_overflow((uint64_t)v, mul, out) || !*out)
		return -1;
	return 0;
}

enum { OPT_SHARD_SIZE = 256, OPT_SHARDS, OPT_PREFER };

/* One merge: its options, its inputs, and what is decided about their tensors. */
struct merge {
	const struct cmd_entry *self;
	struct surg_input *in;
	size_t nin;
	struct surg_opts o;
	struct surg_cli cl;
	struct merge_plan mp;  /* what is decided about the inputs' tensors */
	struct surg_plan plan;
};

static const struct option opts[] = {
	{ "prefix", required_argument, NULL, 'p' },
	{ "on-conflict", required_argument, NULL, 'c' },
	{ "prefer", required_argument, NULL, OPT_PREFER },
	{ "shard-size", required_argument, NULL, OPT_SHARD_SIZE },
	{ "shards", required_argument, NULL, OPT_SHARDS },
	SURG_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* One option of the command line (not a common one); -1 to go on, else the exit status. */
static int merge_option(struct merge *m, int c, char **argv, const char **pending_prefix)
{
	switch (c) {
	case 1:
		m->in[m->nin].arg = optarg;
		m->in[m->nin++].name_prefix = *pending_prefix;
		*pending_prefix = NULL;
		return -1;
	case 'p':
		if (*pending_prefix)
			return cli_usage(m->self, "two --prefix options for one input");
		*pending_prefix = optarg;
		return -1;
	case 'c':
	case OPT_PREFER:
		if (!strcmp(optarg, "error") && c == 'c') m->mp.on = MERGE_ON_ERROR;
		else if (!strcmp(optarg, "first")) m->mp.on = MERGE_ON_FIRST;
		else if (!strcmp(optarg, "last")) m->mp.on = MERGE_ON_LAST;
		else
			return cli_usage(m->self, "unknown conflict rule '%s' (error, first, last)",
					 optarg);
		return -1;
	case OPT_SHARD_SIZE:
		if (parse_size(optarg, &m->o.shard_size) < 0)
			return cli_usage(m->self, "bad size '%s' (e.g. 2G, 500M, 1048576)", optarg);
		return -1;
	case OPT_SHARDS: {
		char *end;
		long n = strtol(optarg, &end, 10);
		if (*end || end == optarg || n < 1 || n > 99999)
			return cli_usage(m->self, "--shards takes a count from 1 to 99999, not '%s'",
					 optarg);
		m->o.nshards = (int)n;
		return -1;
	}
	case 'h':
		return cli_help(m->self);
	default:  /* ':' (a missing value) too */
		return cli_bad_option(m->self, argv);
	}
}

/* The command line, checked; -1 to go on, else the exit status. */
static int merge_parse(struct merge *m, int argc, char **argv)
{
	const char *pending_prefix = NULL;
	int c, st;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, m->self->optstring, m->self->options, NULL)) != -1)
		if (!surg_common_option(c, optarg, &m->o, &m->cl) &&
		    (st = merge_option(m, c, argv, &pending_prefix)) >= 0)
			return st;
	if (pending_prefix)
		return cli_usage(m->self, "--prefix %s is not followed by an input", pending_prefix);
	if (!m->nin)
		return cli_usage(m->self, "no input given");
	if (!m->cl.out && !m->cl.dry)
		return cli_usage(m->self, "no output given (-o OUT)");
	if (m->o.shard_size && m->o.nshards)
		return cli_usage(m->self, "--shard-size and --shards exclude each other");
	return -1;
}

static void merge_print_dry_run(const struct merge *m)
{
	char sz[32];

	if (m->cl.json) {
		cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "inputs");
		for (size_t i = 0; i < m->nin; i++) {
			cJSON *x = cJSON_CreateObject();
			cJSON_AddStringToObject(x, "path", m->in[i].arg);
			if (m->in[i].name_prefix)
				cJSON_AddStringToObject(x, "prefix", m->in[i].name_prefix);
			json_add_u64(x, "tensors", m->in[i].b->ntensors);
			cJSON_AddItemToArray(arr, x);
		}
		json_add_u64(root, "tensors", surg_plan_tensors(&m->plan) + (m->plan.graph ? 1 : 0));
		json_add_u64(root, "bytes", surg_plan_bytes(&m->plan));
		json_add_u64(root, "conflicts", m->mp.nconf);
		json_print(root, stdout);
		cJSON_Delete(root);
		return;
	}
	if (m->mp.nconf)
		printf("%zu conflict%s resolved (%s wins):%s\n", m->mp.nconf, m->mp.nconf == 1 ? "" : "s",
		       m->mp.on == MERGE_ON_FIRST ? "first" : "last", (const char *)m->mp.conflicts.p);
	printf("would write %zu tensors (%s) from %zu checkpoint(s); nothing written (dry run)\n",
	       surg_plan_tensors(&m->plan) + (m->plan.graph ? 1 : 0),
	       fmt_size(sz, surg_plan_bytes(&m->plan), 0), m->nin);
}

static void merge_print_summary(const struct merge *m, const char *out,
				const struct surg_result *res)
{
	struct buf msg = BUF_INIT;

	if (m->cl.json) {
		cJSON *j = surg_summary_json(out, res);
		json_add_u64(j, "inputs", m->nin);
		json_add_u64(j, "conflicts", m->mp.nconf);
		json_print(j, stdout);
		cJSON_Delete(j);
		return;
	}
	surg_summary(&msg, out, res);
	printf("%s (from %zu checkpoint%s, %d data file%s", (const char *)msg.p, m->nin,
	       m->nin == 1 ? "" : "s", res->num_shards, res->num_shards == 1 ? "" : "s");
	if (m->mp.nconf)
		printf("; %zu conflict%s: %s wins", m->mp.nconf, m->mp.nconf == 1 ? "" : "s",
		       m->mp.on == MERGE_ON_FIRST ? "first" : "last");
	fputs(")\n", stdout);
	buf_release(&msg);
}

static int cmd_merge(const struct cmd_entry *self, int argc, char **argv)
{
	struct merge m = { .self = self, .mp = { .on = MERGE_ON_ERROR } };
	struct surg_result res;
	struct ck_err err = { 0 };
	int status = EXIT_TROUBLE;

	m.in = xcalloc((size_t)argc + 1, sizeof(*m.in));
	surg_plan_init(&m.plan, m.in, 0);
	if ((status = merge_parse(&m, argc, argv)) >= 0)
		goto out;
	status = EXIT_TROUBLE;
	for (size_t i = 0; i < m.nin; i++) {
		if ((status = cli_surg_input(&m.in[i], m.in[i].arg)) >= 0)
			goto out;
		status = EXIT_TROUBLE;
	}
	m.plan.nin = m.nin;
	if (m.cl.out && surg_check_output(&m.cl.out, m.in, m.nin, m.o.force || m.cl.dry, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	m.mp.in = m.in;
	m.mp.nin = m.nin;
	if (merge_plan_build(&m.mp, &m.plan, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	if (m.cl.dry) {
		merge_print_dry_run(&m);
		status = cli_finish(EXIT_OK);
		goto out;
	}
	surg_signals();
	m.o.out = m.cl.out;
	m.o.progress = cli_progress;
	if (surg_write(&m.plan, &m.o, &res, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	merge_print_summary(&m, m.cl.out, &res);
	status = cli_finish(EXIT_OK);
out:
	merge_plan_release(&m.mp);
	surg_plan_release(&m.plan);
	for (size_t i = 0; i < m.nin; i++)
		surg_input_release(&m.in[i]);
	free(m.in);
	free(m.cl.out);
	return status;
}

const struct cmd_entry cmd_merge_entry = {
	.name = "merge",
	.summary = "combine several checkpoints into one",
	.usage = usage,
	.optstring = "-:o:p:c:fnh",
	.options = opts,
	.exec = cmd_merge,
};
