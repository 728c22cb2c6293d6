/* ckpt merge: one checkpoint from several (compacted copy, optional name prefixes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "dtype.h"
#include "output.h"
#include "surgery.h"
#include "table.h"

const char cmd_merge_usage[] =
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

enum conflict { ON_ERROR, ON_FIRST, ON_LAST };

struct cand {
	size_t input;
	const struct bundle_entry *e;
	struct buf name;
	int drop;
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	int c = key_cmp(x->name.p, x->name.len, y->name.p, y->name.len);
	if (c)
		return c;
	return x->input < y->input ? -1 : x->input > y->input;
}

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

static void describe(struct buf *b, const struct surg_input *in, const struct bundle_entry *e)
{
	buf_addf(b, "%s %s ", in->arg, dtype_name(e->dtype));
	shape_format(b, e->dims, e->rank);
}

/* The local name a TF2 input's root gets under the new root: its prefix without the '/'. */
static int graph_child_name(const char *prefix, struct buf *out)
{
	size_t n = prefix ? strlen(prefix) : 0;

	if (n < 2 || prefix[n - 1] != '/' || memchr(prefix, '.', n - 1) || memchr(prefix, '/', n - 1))
		return -1;
	buf_add(out, prefix, n - 1);
	return 0;
}

static int add_prefix_key(void *ctx, const uint8_t *key, size_t len, struct buf *out)
{
	const char *p = ctx;
	buf_add(out, p, strlen(p));
	buf_add(out, key, len);
	return 1;
}

enum { OPT_SHARD_SIZE = 256, OPT_SHARDS, OPT_PREFER };

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prefix", required_argument, NULL, 'p' },
		{ "on-conflict", required_argument, NULL, 'c' },
		{ "prefer", required_argument, NULL, OPT_PREFER },
		{ "shard-size", required_argument, NULL, OPT_SHARD_SIZE },
		{ "shards", required_argument, NULL, OPT_SHARDS },
		SURG_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *self = cli_find("merge");
	struct surg_input *in = xcalloc((size_t)argc + 1, sizeof(*in));
	struct cand *cands = NULL;
	struct surg_plan plan;
	struct surg_opts o = { 0 };
	struct surg_cli cl = { 0 };
	struct surg_result res;
	struct ck_err err = { 0 };
	struct buf msg = BUF_INIT;
	const char *pending_prefix = NULL;
	char *out = NULL, sz[32];
	size_t nin = 0, ncand = 0, nconf = 0, ngraphs = 0;
	int c, status = EXIT_TROUBLE, dry = 0, json = 0;
	enum conflict on = ON_ERROR;

	surg_plan_init(&plan, in, 0);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "-:o:p:c:fnh", opts, NULL)) != -1) {
		if (surg_common_option(c, optarg, &o, &cl))
			continue;
		switch (c) {
		case 1:
			in[nin].arg = optarg;
			in[nin++].name_prefix = pending_prefix;
			pending_prefix = NULL;
			break;
		case 'p':
			if (pending_prefix) {
				status = cli_usage(self, "two --prefix options for one input");
				goto out;
			}
			pending_prefix = optarg;
			break;
		case 'c':
		case OPT_PREFER:
			if (!strcmp(optarg, "error") && c == 'c') on = ON_ERROR;
			else if (!strcmp(optarg, "first")) on = ON_FIRST;
			else if (!strcmp(optarg, "last")) on = ON_LAST;
			else {
				status = cli_usage(self, "unknown conflict rule '%s' (error, first, last)",
						   optarg);
				goto out;
			}
			break;
		case OPT_SHARD_SIZE:
			if (parse_size(optarg, &o.shard_size) < 0) {
				status = cli_usage(self, "bad size '%s' (e.g. 2G, 500M, 1048576)", optarg);
				goto out;
			}
			break;
		case OPT_SHARDS: {
			char *end;
			long n = strtol(optarg, &end, 10);
			if (*end || end == optarg || n < 1 || n > 99999) {
				status = cli_usage(self, "--shards takes a count from 1 to 99999, not '%s'",
						   optarg);
				goto out;
			}
			o.nshards = (int)n;
			break;
		}
		case 'h': status = cli_help(self); goto out;
		default:  /* ':' (a missing value) too */
			status = cli_bad_option(self, argv, opts);
			goto out;
		}
	}
	out = cl.out;
	dry = cl.dry;
	json = cl.json;
	if (pending_prefix) {
		status = cli_usage(self, "--prefix %s is not followed by an input", pending_prefix);
		goto out;
	}
	if (!nin) {
		status = cli_usage(self, "no input given");
		goto out;
	}
	if (!out && !dry) {
		status = cli_usage(self, "no output given (-o OUT)");
		goto out;
	}
	if (o.shard_size && o.nshards) {
		status = cli_usage(self, "--shard-size and --shards exclude each other");
		goto out;
	}
	for (size_t i = 0; i < nin; i++) {
		if (surg_input_open(&in[i], in[i].arg, &err) < 0) {
			cli_notes(&in[i].where.notes);
			status = cli_error(&err);
			goto out;
		}
		cli_notes(&in[i].where.notes);
		ngraphs += in[i].graph_entry != NULL;
	}
	plan.nin = nin;
	if (out && surg_check_output(&out, in, nin, o.force || dry, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	/* Every tensor under its new name; the object graphs are handled apart. */
	for (size_t i = 0; i < nin; i++)
		ncand += in[i].b->ntensors;
	cands = xcalloc(ncand + 1, sizeof(*cands));
	ncand = 0;
	for (size_t i = 0; i < nin; i++)
		for (size_t k = 0; k < in[i].b->nentries; k++) {
			const struct bundle_entry *e = &in[i].b->entries[k];
			struct cand *x;
			if (e->is_slice || (ngraphs && is_graph_key(e->name, e->name_len)))
				continue;
			x = &cands[ncand++];
			x->input = i;
			x->e = e;
			if (in[i].name_prefix)
				buf_add(&x->name, in[i].name_prefix, strlen(in[i].name_prefix));
			buf_add(&x->name, e->name, e->name_len);
		}
	sort_array(cands, ncand, sizeof(*cands), cmp_cand);
	for (size_t i = 0; i < ncand;) {
		size_t j = i + 1;
		while (j < ncand && !key_cmp(cands[i].name.p, cands[i].name.len, cands[j].name.p,
					     cands[j].name.len))
			j++;
		if (j - i > 1) {
			nconf++;
			if (msg.len < 4000) {
				buf_add(&msg, "\n  \"", 4);
				buf_add_name_msg(&msg, cands[i].name.p, cands[i].name.len);
				buf_add(&msg, "\": ", 3);
				for (size_t k = i; k < j; k++) {
					if (k > i)
						buf_add(&msg, " vs ", 4);
					describe(&msg, &in[cands[k].input], cands[k].e);
				}
			}
			for (size_t k = i; k < j; k++)
				cands[k].drop = on == ON_FIRST ? k != i : k != j - 1;
		}
		i = j;
	}
	if (nconf && on == ON_ERROR) {
		status = cli_errorf("%zu name%s in several inputs (use --on-conflict first|last to "
				    "choose):%s", nconf, nconf == 1 ? " is" : "s are", (const char *)msg.p);
		goto out;
	}
	for (size_t i = 0; i < ncand; i++)
		if (!cands[i].drop)
			surg_plan_add(&plan, cands[i].input, cands[i].e, cands[i].name.p, cands[i].name.len);
	/* TF2: one graph without a prefix is kept as it is; otherwise all go under a new root. */
	for (size_t i = 0; i < nin; i++)
		if (ngraphs == 1 && in[i].graph_entry && !in[i].name_prefix) {
			surg_plan_add(&plan, i, in[i].graph_entry, OBJECT_GRAPH_KEY,
				      sizeof(OBJECT_GRAPH_KEY) - 1);
			ngraphs = 0;
		}
	if (ngraphs) {
		objgraph **gs = xcalloc(ngraphs, sizeof(*gs));
		const char **names = xcalloc(ngraphs, sizeof(*names));
		struct buf *local = xcalloc(ngraphs, sizeof(*local));
		size_t k = 0;
		for (size_t i = 0; i < nin; i++) {
			if (!in[i].graph_entry)
				continue;
			if (!in[i].graph) {
				status = cli_errorf("%s: the object graph cannot be read (its data file is "
						    "missing)", in[i].arg);
				k = (size_t)-1;
				break;
			}
			if (graph_child_name(in[i].name_prefix, &local[k]) < 0) {
				status = cli_errorf("%s: a TF2 checkpoint; give it --prefix NAME/ (NAME without "
						    "'/' or '.') so that its object graph can go under a new "
						    "root as NAME", in[i].arg);
				k = (size_t)-1;
				break;
			}
			for (size_t m = 0; m < k; m++)
				if (!strcmp((const char *)local[m].p, (const char *)local[k].p)) {
					status = cli_errorf("two TF2 inputs with --prefix %s: their object "
							    "graphs would share one name", in[i].name_prefix);
					k = (size_t)-1;
					break;
				}
			if (k == (size_t)-1)
				break;
			objgraph_rename(in[i].graph, add_prefix_key, (void *)in[i].name_prefix);
			names[k] = (const char *)local[k].p;
			gs[k++] = in[i].graph;
		}
		if (k != (size_t)-1)
			plan.graph = objgraph_combine(gs, names, k);
		for (size_t m = 0; m < ngraphs; m++)
			buf_release(&local[m]);
		free(local);
		free(names);
		free(gs);
		if (k == (size_t)-1)
			goto out;
	}
	surg_plan_sort(&plan, NULL, NULL);
	if (dry) {
		if (json) {
			cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "inputs");
			for (size_t i = 0; i < nin; i++) {
				cJSON *x = cJSON_CreateObject();
				cJSON_AddStringToObject(x, "path", in[i].arg);
				if (in[i].name_prefix)
					cJSON_AddStringToObject(x, "prefix", in[i].name_prefix);
				json_add_u64(x, "tensors", in[i].b->ntensors);
				cJSON_AddItemToArray(arr, x);
			}
			json_add_u64(root, "tensors", surg_plan_tensors(&plan) + (plan.graph ? 1 : 0));
			json_add_u64(root, "bytes", surg_plan_bytes(&plan));
			json_add_u64(root, "conflicts", nconf);
			json_print(root, stdout);
			cJSON_Delete(root);
		} else {
			if (nconf)
				printf("%zu conflict%s resolved (%s wins):%s\n", nconf, nconf == 1 ? "" : "s",
				       on == ON_FIRST ? "first" : "last", (const char *)msg.p);
			printf("would write %zu tensors (%s) from %zu checkpoint(s); nothing written (dry run)\n",
			       surg_plan_tensors(&plan) + (plan.graph ? 1 : 0),
			       fmt_size(sz, surg_plan_bytes(&plan), 0), nin);
		}
		status = cli_finish(EXIT_OK);
		goto out;
	}
	surg_signals();
	o.out = out;
	o.progress = cli_progress;
	if (surg_write(&plan, &o, &res, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	if (json) {
		cJSON *j = surg_summary_json(out, &res);
		json_add_u64(j, "inputs", nin);
		json_add_u64(j, "conflicts", nconf);
		json_print(j, stdout);
		cJSON_Delete(j);
	} else {
		buf_reset(&msg);
		surg_summary(&msg, out, &res);
		printf("%s (from %zu checkpoint%s, %d data file%s", (const char *)msg.p, nin, nin == 1 ? "" : "s",
		       res.num_shards, res.num_shards == 1 ? "" : "s");
		if (nconf)
			printf("; %zu conflict%s: %s wins", nconf, nconf == 1 ? "" : "s",
			       on == ON_FIRST ? "first" : "last");
		fputs(")\n", stdout);
	}
	status = cli_finish(EXIT_OK);
out:
	for (size_t i = 0; i < ncand; i++)
		buf_release(&cands[i].name);
	free(cands);
	surg_plan_release(&plan);
	for (size_t i = 0; i < nin; i++)
		surg_input_release(&in[i]);
	free(in);
	free(cl.out);  /* out is cl.out */
	buf_release(&msg);
	return status;
}
