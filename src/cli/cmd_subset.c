/* ckpt subset: a new checkpoint with only the selected tensors (compacted copy). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/optfile.h"
#include "edit/surgery.h"
#include "edit/xform.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

static const char usage[] =
"usage: ckpt subset -o OUT [-i REGEX]... [-x REGEX]... [--drop-optimizer]\n"
"                   [--names-from FILE] [-f] [-n] [--json] [--verify-data]\n"
"                   [--update-state] [--no-sync] PATH [NAME...]\n"
"\n"
"Write the selected tensors of the checkpoint PATH to a new checkpoint OUT. Only the kept\n"
"bytes are copied (in the kernel, never decoded, CRCs kept). With no selection at all,\n"
"everything is copied: 'ckpt subset -o new old' rewrites a checkpoint (a legacy V1 one\n"
"becomes V2).\n"
"\n"
"A tensor is kept if it is named on the command line or in --names-from, or matches an\n"
"--include (or none of these is given), and matches no --exclude. The TF2 object graph\n"
"is kept unless an --exclude matches it; its references to removed tensors are removed\n"
"so that tf.train.Checkpoint.restore does not look for them.\n"
"\n"
"Options:\n"
"  -o, --output OUT       prefix of the new checkpoint (its folder is created if missing)\n"
"  -i, --include REGEX    keep names matching REGEX (POSIX ERE; repeatable)\n"
"  -x, --exclude REGEX    drop names matching REGEX (repeatable)\n"
"      --names-from FILE  keep the names listed in FILE, one a line ('-': stdin)\n"
"  -O, --drop-optimizer   drop optimizer state: TF1 slots (Adam, Adam_1, Momentum, RMSProp,\n"
"                         Adagrad, Ftrl, LARSOptimizer, Adafactor...), adam_m/adam_v,\n"
"                         lamb_m/lamb_v, mesh-TF _slot_vr/_slot_vc/_slot_v/_slot_m,\n"
"                         beta1_power/beta2_power, Keras training/<Optimizer>/ scopes, TF2\n"
"                         .OPTIMIZER_SLOT keys and the optimizer's own variables\n"
"                         (the full table: man ckpt, OPTIMIZER STATE)\n"
"  -f, --force            replace OUT if it exists\n"
"                         (never a file of an input: see OUTPUTS in ckpt(1))\n"
"  -n, --dry-run          print what would be removed, write nothing\n"
"      --verify-data      also re-read every payload of the output and check its CRC\n"
"      --update-state     record OUT as the latest checkpoint in its folder's\n"
"                         'checkpoint' file\n"
"      --no-sync          do not wait for OUT to reach the disk (faster for scratch\n"
"                         outputs; a machine crash soon after may lose it)\n"
"      --json             print the summary as JSON\n"
"  -h, --help             show this help\n"
"\n"
"Example: a fine-tuned BERT checkpoint is three times the size of the released model\n"
"because of its Adam slots; 'ckpt subset --drop-optimizer -o bert-small model.ckpt-1000'\n"
"keeps the weights only.\n"
"\n"
"Exit status: 0 success, 2 trouble (also: a NAME that is not in the checkpoint).\n";

struct subset {
	struct namefilter filter;
	int drop_opt;
	char **names;             /* explicit names, sorted */
	size_t nnames;
	unsigned char *graph_opt; /* entries the object graph says are optimizer state */
	unsigned char *keep;      /* decision per entry */
	struct bundle *b;
	size_t ndrop, nopt;       /* tensors removed; of those, optimizer state */
	uint64_t drop_bytes;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_names(struct subset *s, const char *path, struct ck_err *err)
{
	struct buf all = BUF_INIT;
	char *line, *cursor;
	int rc = optfile_read(path, &all, err);

	cursor = rc == 0 ? (char *)all.p : NULL;
	while ((line = optfile_line(&cursor, &all)) != NULL) {
		if (!*line || line[0] == '#')
			continue;
		s->names = xreallocarray(s->names, s->nnames + 1, sizeof(char *));
		s->names[s->nnames++] = xstrdup(line);
	}
	buf_release(&all);
	return rc;
}

static int is_listed(const struct subset *s, const char *name)
{
	return s->nnames && bsearch(&name, s->names, s->nnames, sizeof(char *), cmp_str) != NULL;
}

static int is_optimizer(const struct subset *s, size_t i)
{
	const struct bundle_entry *e = &s->b->entries[i];

	if (s->graph_opt && s->graph_opt[i])
		return 1;
	return is_optimizer_name(e->name);
}

static void mark_graph_opt(void *ctx, const uint8_t *key, size_t len)
{
	struct subset *s = ctx;
	const struct bundle_entry *e = bundle_find(s->b, key, len);

	if (e)
		s->graph_opt[e - s->b->entries] = 1;
}

/* objgraph_drop callback: keys of tensors that stay (or that were never in the bundle). */
static int graph_keeps(void *ctx, const uint8_t *key, size_t len)
{
	struct subset *s = ctx;
	const struct bundle_entry *e = bundle_find(s->b, key, len);

	return !e || s->keep[e - s->b->entries];
}

static int decide(struct subset *s, size_t i, int *by_opt)
{
	const struct bundle_entry *e = &s->b->entries[i];
	int graph = is_graph_key(e->name, e->name_len);

	*by_opt = 0;
	/* Kept: named by an --include or in the list of names (when either is given) */
	if (!graph && (s->filter.ninc || s->nnames) && !namefilter_included(&s->filter, e->name) &&
	    !is_listed(s, e->name))
		return 0;
	if (namefilter_excluded(&s->filter, e->name))
		return 0;
	if (s->drop_opt && !graph && is_optimizer(s, i)) {
		*by_opt = 1;
		return 0;
	}
	return 1;
}

enum { OPT_NAMES = 256 };

static const struct option opts[] = {
	{ "include", required_argument, NULL, 'i' },
	{ "exclude", required_argument, NULL, 'x' },
	{ "names-from", required_argument, NULL, OPT_NAMES },
	{ "drop-optimizer", no_argument, NULL, 'O' },
	SURG_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* The command line, checked; -1 to go on, else the exit status. */
static int subset_parse(const struct cmd_entry *self, struct subset *s, struct surg_opts *o,
			struct surg_cli *cl, int argc, char **argv)
{
	struct ck_err err = { 0 };
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, self->optstring, self->options, NULL)) != -1) {
		if (surg_common_option(c, optarg, o, cl))
			continue;
		switch (c) {
		case 'i': case 'x':
			if (cli_add_filter(self, &s->filter, optarg, c == 'x'))
				return EXIT_TROUBLE;
			break;
		case OPT_NAMES:
			if (read_names(s, optarg, &err) < 0)
				return cli_error(&err);
			break;
		case 'O': s->drop_opt = 1; break;
		case 'h': return cli_help(self);
		default:  /* ':' (a missing value) too */
			return cli_bad_option(self, argv);
		}
	}
	if (optind >= argc)
		return cli_usage(self, "no checkpoint given");
	if (!cl->out && !cl->dry)
		return cli_usage(self, "no output given (-o OUT)");
	for (int i = optind + 1; i < argc; i++) {
		s->names = xreallocarray(s->names, s->nnames + 1, sizeof(char *));
		s->names[s->nnames++] = xstrdup(argv[i]);
	}
	sort_array(s->names, s->nnames, sizeof(char *), cmp_str);
	return -1;
}

/* Names given that the checkpoint lacks: -1 if none, else the error's exit status. */
static int subset_missing(const struct subset *s, const char *arg)
{
	struct buf msg = BUF_INIT;
	size_t missing = 0;
	int status = -1;

	for (size_t k = 0; k < s->nnames; k++)
		if (!bundle_find(s->b, s->names[k], strlen(s->names[k])) && msg.len < 4000) {
			buf_add(&msg, missing ? ", \"" : "\"", missing ? 3 : 1);
			missing++;
			buf_add_name_msg(&msg, s->names[k], strlen(s->names[k]));
			buf_addc(&msg, '"');
		}
	if (missing)
		status = cli_errorf("%s: no tensor named %s", arg, (const char *)msg.p);
	buf_release(&msg);
	return status;
}

/* Keep or remove each tensor, counting what goes; t (may be NULL) gets a row per removal. */
static void subset_decide(struct subset *s, struct tab *t)
{
	struct buf name = BUF_INIT;
	char sz[32];

	for (size_t i = 0; i < s->b->nentries; i++) {
		const struct bundle_entry *e = &s->b->entries[i];
		int by_opt;
		if (e->is_slice)
			continue;
		s->keep[i] = (unsigned char)decide(s, i, &by_opt);
		if (s->keep[i])
			continue;
		s->ndrop++;
		s->nopt += by_opt;
		s->drop_bytes += e->nslices ? e->slices_bytes : e->size;
		if (t) {
			buf_reset(&name);
			buf_add_name_msg(&name, e->name, e->name_len);
			tab_add(t, (const char *)name.p);
			tab_add(t, fmt_size(sz, e->nslices ? e->slices_bytes : e->size, 0));
		}
	}
	buf_release(&name);
}

/* The kept tensors into plan; TF2: the removed keys forgotten in the object graph, or restore
 * would look for them. */
static void subset_plan(struct subset *s, struct surg_input *in, struct surg_plan *plan)
{
	for (size_t i = 0; i < in->b->nentries; i++)
		if (s->keep[i] && !is_graph_key(in->b->entries[i].name, in->b->entries[i].name_len))
			surg_plan_add(plan, 0, &in->b->entries[i], in->b->entries[i].name,
				      in->b->entries[i].name_len);
	if (in->graph_entry && s->keep[in->graph_entry - in->b->entries])
		surg_plan_graph(plan, in,
				in->graph && s->ndrop && objgraph_drop(in->graph, graph_keeps, s));
	surg_plan_sort(plan, NULL, NULL);
}

static void subset_print_dry_run(const struct subset *s, const struct surg_plan *plan,
				 const struct tab *t, int json)
{
	char sz[32];

	if (json) {
		cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "removed");
		for (size_t i = 0; i < s->b->nentries; i++) {
			const struct bundle_entry *e = &s->b->entries[i];
			if (!e->is_slice && !s->keep[i]) {
				cJSON *x = cJSON_CreateObject();
				json_add_name(x, "name", e->name, e->name_len);
				json_add_u64(x, "bytes", e->nslices ? e->slices_bytes : e->size);
				cJSON_AddItemToArray(arr, x);
			}
		}
		json_add_u64(root, "kept", surg_plan_tensors(plan) + (plan->graph ? 1 : 0));
		json_add_u64(root, "kept_bytes", surg_plan_bytes(plan));
		json_add_u64(root, "removed_bytes", s->drop_bytes);
		json_print(root, stdout);
		cJSON_Delete(root);
		return;
	}
	if (s->ndrop)
		tab_print(t, stdout);
	printf("would keep %zu tensors (%s) and remove %zu", surg_plan_tensors(plan) +
	       (plan->graph ? 1 : 0), fmt_size(sz, surg_plan_bytes(plan), 0), s->ndrop);
	printf(" (%s); nothing written (dry run)\n", fmt_size(sz, s->drop_bytes, 0));
}

static void subset_print_summary(const struct subset *s, const char *out,
				 const struct surg_result *res, int json)
{
	struct buf msg = BUF_INIT;
	char sz[32];

	if (json) {
		cJSON *j = surg_summary_json(out, res);
		json_add_u64(j, "removed", s->ndrop);
		json_add_u64(j, "removed_optimizer", s->nopt);
		json_add_u64(j, "removed_bytes", s->drop_bytes);
		json_print(j, stdout);
		cJSON_Delete(j);
		return;
	}
	surg_summary(&msg, out, res);
	fputs((const char *)msg.p, stdout);
	if (s->ndrop) {
		printf(" (removed %zu tensor%s, %s", s->ndrop, s->ndrop == 1 ? "" : "s",
		       fmt_size(sz, s->drop_bytes, 0));
		if (s->drop_opt)
			printf("; %zu of optimizer state", s->nopt);
		fputc(')', stdout);
	}
	fputc('\n', stdout);
	buf_release(&msg);
}

static int cmd_subset(const struct cmd_entry *self, int argc, char **argv)
{
	struct subset s = { 0 };
	struct surg_input in = { 0 };
	struct surg_plan plan;
	struct surg_opts o = { 0 };
	struct surg_cli cl = { 0 };
	struct surg_result res;
	struct ck_err err = { 0 };
	struct tab t;
	int status, have_tab = 0;

	surg_plan_init(&plan, &in, 1);
	if ((status = subset_parse(self, &s, &o, &cl, argc, argv)) >= 0)
		goto out;
	if ((status = cli_surg_input(&in, argv[optind])) >= 0)
		goto out;
	status = EXIT_TROUBLE;
	s.b = in.b;
	if (cl.out && surg_check_output(&cl.out, &in, 1, o.force || cl.dry, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	if ((status = subset_missing(&s, argv[optind])) >= 0)
		goto out;
	status = EXIT_TROUBLE;
	s.keep = xcalloc(in.b->nentries + 1, 1);
	if (s.drop_opt && in.graph) {
		s.graph_opt = xcalloc(in.b->nentries + 1, 1);
		objgraph_optimizer_keys(in.graph, mark_graph_opt, &s);
	}
	if (cl.dry && !cl.json) {
		tab_init(&t, "lr");
		tab_add(&t, "REMOVED");
		tab_add(&t, "SIZE");
		have_tab = 1;
	}
	subset_decide(&s, have_tab ? &t : NULL);
	subset_plan(&s, &in, &plan);
	if (!surg_plan_tensors(&plan) && !plan.graph && in.b->ntensors) {
		status = cli_errorf("%s: the selection keeps no tensor", argv[optind]);
		goto out;
	}
	if (cl.dry) {
		subset_print_dry_run(&s, &plan, &t, cl.json);
		status = cli_finish(EXIT_OK);
		goto out;
	}
	surg_signals();
	o.out = cl.out;
	o.progress = cli_progress;
	if (surg_write(&plan, &o, &res, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	subset_print_summary(&s, cl.out, &res, cl.json);
	status = cli_finish(EXIT_OK);
out:
	if (have_tab)
		tab_release(&t);
	namefilter_release(&s.filter);
	for (size_t k = 0; k < s.nnames; k++)
		free(s.names[k]);
	free(s.names);
	free(s.keep);
	free(s.graph_opt);
	free(cl.out);
	surg_plan_release(&plan);
	surg_input_release(&in);
	return status;
}

const struct cmd_entry cmd_subset_entry = {
	.name = "subset",
	.summary = "write a copy with only some tensors (e.g. without optimizer state)",
	.usage = usage,
	.optstring = ":o:i:x:Ofnh",
	.options = opts,
	.exec = cmd_subset,
};
