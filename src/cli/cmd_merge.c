/* ckpt merge: one checkpoint from several (compacted copy, optional name prefixes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/dtype.h"
#include "base/pool.h"
#include "format/table.h"
#include "edit/surgery.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

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

enum conflict { ON_ERROR, ON_FIRST, ON_LAST };

struct cand {
	size_t input;
	const struct bundle_entry *e;
	struct {
		const uint8_t *p;
		size_t len;
	} name;        /* the entry's own, or with a --prefix a copy in struct merge's pool */
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

/* One merge: its options, its inputs, and what is decided about their tensors. */
struct merge {
	const struct cmd *self;
	struct surg_input *in;
	size_t nin;
	enum conflict on;
	struct surg_opts o;
	struct surg_cli cl;
	struct cand *cands;    /* every tensor of every input under its new name, sorted */
	struct pool names;     /* the candidates' prefixed names */
	size_t ncand;
	size_t nconf;          /* names in several inputs */
	size_t ngraphs;        /* TF2 inputs whose object graphs go under a new root */
	struct buf conflicts;  /* the conflicting names, as messages list them */
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
		if (!strcmp(optarg, "error") && c == 'c') m->on = ON_ERROR;
		else if (!strcmp(optarg, "first")) m->on = ON_FIRST;
		else if (!strcmp(optarg, "last")) m->on = ON_LAST;
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
		return cli_bad_option(m->self, argv, opts);
	}
}

/* The command line, checked; -1 to go on, else the exit status. */
static int merge_parse(struct merge *m, int argc, char **argv)
{
	const char *pending_prefix = NULL;
	int c, st;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "-:o:p:c:fnh", opts, NULL)) != -1)
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

/* Every tensor under its new name, sorted; the object graphs are handled apart. */
static void merge_candidates(struct merge *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->nin; i++)
		n += m->in[i].b->ntensors;
	m->cands = xcalloc(n + 1, sizeof(*m->cands));
	for (size_t i = 0; i < m->nin; i++)
		for (size_t k = 0; k < m->in[i].b->nentries; k++) {
			const struct bundle_entry *e = &m->in[i].b->entries[k];
			struct cand *x;
			if (e->is_slice || (m->ngraphs && is_graph_key(e->name, e->name_len)))
				continue;
			x = &m->cands[m->ncand++];
			x->input = i;
			x->e = e;
			x->name.p = (const uint8_t *)e->name;
			x->name.len = e->name_len;
			if (m->in[i].name_prefix) {
				size_t np = strlen(m->in[i].name_prefix);
				uint8_t *q = pool_alloc(&m->names, np + e->name_len + 1);
				memcpy(q, m->in[i].name_prefix, np);
				memcpy(q + np, e->name, e->name_len);
				q[np + e->name_len] = 0;
				x->name.p = q;
				x->name.len = np + e->name_len;
			}
		}
	sort_array(m->cands, m->ncand, sizeof(*m->cands), cmp_cand);
}

/* Names in several inputs: counted, listed in m->conflicts, and all but the winner dropped. */
static void merge_conflicts(struct merge *m)
{
	struct cand *cands = m->cands;

	for (size_t i = 0; i < m->ncand;) {
		size_t j = i + 1;
		while (j < m->ncand && !key_cmp(cands[i].name.p, cands[i].name.len, cands[j].name.p,
						cands[j].name.len))
			j++;
		if (j - i > 1) {
			m->nconf++;
			if (m->conflicts.len < 4000) {
				buf_add(&m->conflicts, "\n  \"", 4);
				buf_add_name_msg(&m->conflicts, cands[i].name.p, cands[i].name.len);
				buf_add(&m->conflicts, "\": ", 3);
				for (size_t k = i; k < j; k++) {
					if (k > i)
						buf_add(&m->conflicts, " vs ", 4);
					describe(&m->conflicts, &m->in[cands[k].input], cands[k].e);
				}
			}
			for (size_t k = i; k < j; k++)
				cands[k].drop = m->on == ON_FIRST ? k != i : k != j - 1;
		}
		i = j;
	}
}

/* The local names of the TF2 inputs' roots under the new root, into local[]; -1 (with the
 * error printed, the exit status in *status) when an input cannot go under it. */
static int merge_graph_names(struct merge *m, struct buf *local, int *status)
{
	size_t k = 0;

	for (size_t i = 0; i < m->nin; i++) {
		if (!m->in[i].graph_entry)
			continue;
		if (!m->in[i].graph) {
			*status = cli_errorf("%s: the object graph cannot be read (its data file is "
					     "missing)", m->in[i].arg);
			return -1;
		}
		if (graph_child_name(m->in[i].name_prefix, &local[k]) < 0) {
			*status = cli_errorf("%s: a TF2 checkpoint; give it --prefix NAME/ (NAME without "
					     "'/' or '.') so that its object graph can go under a new "
					     "root as NAME", m->in[i].arg);
			return -1;
		}
		for (size_t j = 0; j < k; j++)
			if (!strcmp((const char *)local[j].p, (const char *)local[k].p)) {
				*status = cli_errorf("two TF2 inputs with --prefix %s: their object "
						     "graphs would share one name", m->in[i].name_prefix);
				return -1;
			}
		k++;
	}
	return 0;
}

/* TF2: one graph without a prefix is kept as it is; otherwise all go under a new root, their
 * keys prefixed. -1 (error printed, exit status in *status) when they cannot. */
static int merge_graphs(struct merge *m, int *status)
{
	objgraph **gs;
	const char **names;
	struct buf *local;
	size_t k = 0;
	int rc;

	for (size_t i = 0; i < m->nin; i++)
		if (m->ngraphs == 1 && m->in[i].graph_entry && !m->in[i].name_prefix) {
			surg_plan_add(&m->plan, i, m->in[i].graph_entry, OBJECT_GRAPH_KEY,
				      sizeof(OBJECT_GRAPH_KEY) - 1);
			m->ngraphs = 0;
		}
	if (!m->ngraphs)
		return 0;
	gs = xcalloc(m->ngraphs, sizeof(*gs));
	names = xcalloc(m->ngraphs, sizeof(*names));
	local = xcalloc(m->ngraphs, sizeof(*local));
	rc = merge_graph_names(m, local, status);
	for (size_t i = 0; !rc && i < m->nin; i++) {
		if (!m->in[i].graph_entry)
			continue;
		objgraph_rename(m->in[i].graph, add_prefix_key, (void *)m->in[i].name_prefix);
		names[k] = (const char *)local[k].p;
		gs[k++] = m->in[i].graph;
	}
	if (!rc)
		m->plan.graph = objgraph_combine(gs, names, k);
	for (size_t j = 0; j < m->ngraphs; j++)
		buf_release(&local[j]);
	free(local);
	free(names);
	free(gs);
	return rc;
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
		json_add_u64(root, "conflicts", m->nconf);
		json_print(root, stdout);
		cJSON_Delete(root);
		return;
	}
	if (m->nconf)
		printf("%zu conflict%s resolved (%s wins):%s\n", m->nconf, m->nconf == 1 ? "" : "s",
		       m->on == ON_FIRST ? "first" : "last", (const char *)m->conflicts.p);
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
		json_add_u64(j, "conflicts", m->nconf);
		json_print(j, stdout);
		cJSON_Delete(j);
		return;
	}
	surg_summary(&msg, out, res);
	printf("%s (from %zu checkpoint%s, %d data file%s", (const char *)msg.p, m->nin,
	       m->nin == 1 ? "" : "s", res->num_shards, res->num_shards == 1 ? "" : "s");
	if (m->nconf)
		printf("; %zu conflict%s: %s wins", m->nconf, m->nconf == 1 ? "" : "s",
		       m->on == ON_FIRST ? "first" : "last");
	fputs(")\n", stdout);
	buf_release(&msg);
}

int cmd_merge(int argc, char **argv)
{
	struct merge m = { .self = cli_find("merge"), .on = ON_ERROR, .conflicts = BUF_INIT };
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
		m.ngraphs += m.in[i].graph_entry != NULL;
	}
	m.plan.nin = m.nin;
	if (m.cl.out && surg_check_output(&m.cl.out, m.in, m.nin, m.o.force || m.cl.dry, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	merge_candidates(&m);
	merge_conflicts(&m);
	if (m.nconf && m.on == ON_ERROR) {
		status = cli_errorf("%zu name%s in several inputs (use --on-conflict first|last to "
				    "choose):%s", m.nconf, m.nconf == 1 ? " is" : "s are",
				    (const char *)m.conflicts.p);
		goto out;
	}
	for (size_t i = 0; i < m.ncand; i++)
		if (!m.cands[i].drop)
			surg_plan_add(&m.plan, m.cands[i].input, m.cands[i].e, m.cands[i].name.p,
				      m.cands[i].name.len);
	if (merge_graphs(&m, &status) < 0)
		goto out;
	surg_plan_sort(&m.plan, NULL, NULL);
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
	pool_release(&m.names);
	free(m.cands);
	surg_plan_release(&m.plan);
	for (size_t i = 0; i < m.nin; i++)
		surg_input_release(&m.in[i]);
	free(m.in);
	free(m.cl.out);
	buf_release(&m.conflicts);
	return status;
}
