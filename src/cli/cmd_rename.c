/* ckpt rename: a new checkpoint whose tensors carry new names; only the index is rebuilt. */
#include <stdlib.h>
#include <string.h>

#include "edit/maprules.h"
#include "edit/rename.h"
#include "edit/rules.h"
#include "edit/surgery.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

static const char usage[] =
"usage: ckpt rename -o OUT [-f] [-n] [--json] [--strict] [--copy] [--verify-data]\n"
"                   [--update-state] [--no-sync] [--full-names] [RULE |\n"
"                   --add-prefix P | --strip-prefix P | --map-file FILE]... PATH\n"
"       ckpt rename -o OUT [-f] [-n] [--json] [--strict] [--copy] [--verify-data]\n"
"                   [--update-state] [--no-sync] --rules FILE PATH\n"
"\n"
"Write a copy of the checkpoint PATH as OUT with tensors renamed. Tensor data is never\n"
"decoded: only the index is rebuilt, and the data files are shared with the input by\n"
"reflink where the file system supports it, else by hard link (TensorFlow never rewrites\n"
"a data file), else copied in the kernel. The input is never modified.\n"
"\n"
"Rules apply in the order given, each to the result of the previous; a name no rule\n"
"matches is kept:\n"
"  OLD=NEW                the tensor named OLD becomes NEW\n"
"  OLD/=NEW/              a scope: every name starting with OLD/ starts with NEW/ instead\n"
"  s/REGEX/REPL/[g]       POSIX extended regex substitution; REPL may use \\1..\\9 and &\n"
"  -e, --rule RULE        a rule that starts with '-'\n"
"      --add-prefix P     put P in front of every name\n"
"      --strip-prefix P   remove P from the names that start with it\n"
"  -m, --map-file FILE    rules from FILE: 'old<TAB>new' lines, or a JSON object\n"
"                         {\"old\": \"new\", ...}\n"
"      --full-names       TF2 to TF1: each key becomes the full variable name the object\n"
"                         graph records for it (as 'ckpt list --full-names' shows), before\n"
"                         any rule; OUT is a name-based checkpoint, without the object\n"
"                         graph. Keys whose full names collide (Keras metrics' count and\n"
"                         total) keep their key and are reported; keys without one keep\n"
"                         theirs.\n"
"      --rules FILE       the mapping rules of 'ckpt export --rules' (RULES in ckpt(1)):\n"
"                         renames, drop, keep and fullname; transpose, cast and split\n"
"                         change data, which rename never does (use export). With --strict a\n"
"                         tensor no rule accounts for is an error too\n"
"\n"
"TF2 checkpoints: the object graph's checkpoint keys follow the renames, so that\n"
"tf.train.Checkpoint.restore still finds every value (_CHECKPOINTABLE_OBJECT_GRAPH itself\n"
"is never renamed). Partitioned tensors: their slices move with them.\n"
"\n"
"Options:\n"
"  -o, --output OUT       prefix of the new checkpoint (its folder is created if missing)\n"
"  -f, --force            replace OUT if it exists\n"
"                         (never a file of an input: see OUTPUTS in ckpt(1))\n"
"  -n, --dry-run          print the old -> new names, write nothing\n"
"      --strict           a rule that matches no tensor is an error, not a warning\n"
"      --copy             never hard-link the data files (a reflink is still a copy)\n"
"      --verify-data      also re-read every payload of the output and check its CRC\n"
"      --update-state     record OUT as the latest checkpoint in its folder's\n"
"                         'checkpoint' file\n"
"      --no-sync          do not wait for OUT to reach the disk (faster for scratch\n"
"                         outputs; a machine crash soon after may lose it)\n"
"      --json             print the summary (or the dry-run table) as JSON (with\n"
"                         --full-names: kept_keys, the keys whose full names collide)\n"
"  -h, --help             show this help\n"
"\n"
"Two names renamed to one, or a rule that empties a name, is an error listing every case.\n"
"Exit status: 0 success, 2 trouble.\n";

static void print_dry_run(struct bundle *b, const struct rename_map *m, int json)
{
	const struct buf *names = m->names;
	const unsigned char *changed = m->changed;
	size_t nchanged = m->nchanged;

	if (json) {
		cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "renames");
		for (size_t i = 0; i < b->nentries; i++) {
			cJSON *o;
			if (!changed[i] || b->entries[i].is_slice)
				continue;
			o = cJSON_CreateObject();
			json_add_name(o, "old", b->entries[i].name, b->entries[i].name_len);
			json_add_name(o, "new", names[i].p, names[i].len);
			cJSON_AddItemToArray(arr, o);
		}
		json_add_u64(root, "renamed", nchanged);
		json_add_u64(root, "tensors", b->ntensors);
		json_print(root, stdout);
		cJSON_Delete(root);
		return;
	}
	if (nchanged) {
		struct tab t;
		tab_init(&t, "lll");
		tab_add(&t, "OLD");
		tab_add(&t, "");
		tab_add(&t, "NEW");
		for (size_t i = 0; i < b->nentries; i++) {
			struct buf s = BUF_INIT;
			if (!changed[i] || b->entries[i].is_slice)
				continue;
			name_escaped(&s, b->entries[i].name, b->entries[i].name_len);
			tab_add(&t, (const char *)s.p);
			tab_add(&t, "->");
			buf_reset(&s);
			name_escaped(&s, names[i].p, names[i].len);
			tab_add(&t, (const char *)s.p);
			buf_release(&s);
		}
		tab_print(&t, stdout);
		tab_release(&t);
	}
	printf("%zu of %zu tensors renamed (dry run: nothing written)\n", nchanged, b->ntensors);
}

enum { OPT_STRICT = 256, OPT_COPY, OPT_ADD, OPT_STRIP, OPT_FULL, OPT_RULES };

static const struct option opts[] = {
	{ "rule", required_argument, NULL, 'e' },
	{ "map-file", required_argument, NULL, 'm' },
	{ "map", required_argument, NULL, 'm' },
	{ "add-prefix", required_argument, NULL, OPT_ADD },
	{ "strip-prefix", required_argument, NULL, OPT_STRIP },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "copy", no_argument, NULL, OPT_COPY },
	{ "full-names", no_argument, NULL, OPT_FULL },
	{ "rules", required_argument, NULL, OPT_RULES },
	SURG_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* One rename: its options and rules, the input, and each entry's new name. */
struct rename {
	const struct cmd_entry *self;
	struct rules rules;
	struct maprules mr;
	const char *rules_file;    /* --rules */
	const char *path;          /* the checkpoint */
	int strict, copy, full;
	struct surg_opts o;
	struct surg_cli cl;
	struct surg_input in;
	struct rename_map map;     /* each entry's new name */
	struct buf msg;
	struct surg_plan plan;
};

/* The rules given one by one (they interleave with options, so positional arguments come
 * back in order: the last one is the checkpoint). -1 to go on, else the exit status. */
static int rename_rules(struct rename *r, int argc, char **argv)
{
	struct { int kind; const char *arg; } *ops = xcalloc((size_t)argc + 1, sizeof(*ops));
	struct ck_err err = { 0 };
	size_t nops = 0;
	int c, status = -1;

	opterr = 0;
	optind = 1;
	while (status < 0 && (c = getopt_long(argc, argv, r->self->optstring, r->self->options, NULL)) != -1) {
		if (surg_common_option(c, optarg, &r->o, &r->cl))
			continue;
		switch (c) {
		case 1: case 'e': case 'm': case OPT_ADD: case OPT_STRIP:
			ops[nops].kind = c;
			ops[nops++].arg = optarg;
			break;
		case OPT_STRICT: r->strict = 1; break;
		case OPT_COPY: r->copy = 1; break;
		case OPT_FULL: r->full = 1; break;
		case OPT_RULES: r->rules_file = optarg; break;
		case 'h': status = cli_help(r->self); break;
		default:  /* ':' (a missing value) too */
			status = cli_bad_option(r->self, argv);
		}
	}
	for (size_t i = nops; status < 0 && i-- > 0;)
		if (ops[i].kind == 1) {
			r->path = ops[i].arg;
			ops[i].kind = 0;
			break;
		}
	if (status < 0 && !r->path)
		status = cli_usage(r->self, "no checkpoint given");
	for (size_t i = 0; status < 0 && i < nops; i++) {
		int rc = 0;
		switch (ops[i].kind) {
		case 1: case 'e': rc = rules_parse(&r->rules, ops[i].arg, &err); break;
		case 'm': rc = rules_load(&r->rules, ops[i].arg, &err); break;
		case OPT_ADD: rules_add_prefix(&r->rules, ops[i].arg); break;
		case OPT_STRIP: rules_strip_prefix(&r->rules, ops[i].arg); break;
		}
		if (rc < 0)
			status = ops[i].kind == 'm' ? cli_error(&err) : cli_usage(r->self, "%s", err.msg);
	}
	free(ops);
	return status;
}

/* The command line, checked, and --rules loaded; -1 to go on, else the exit status. */
static int rename_parse(struct rename *r, int argc, char **argv)
{
	struct ck_err err = { 0 };
	int status = rename_rules(r, argc, argv);

	if (status >= 0)
		return status;
	if (!r->cl.out && !r->cl.dry)
		return cli_usage(r->self, "no output given (-o OUT)");
	if (r->rules_file && (r->rules.n || r->full))
		return cli_usage(r->self, "--rules FILE goes alone, without other rules or "
				 "--full-names (its 'fullname' rule does that)");
	if (r->rules_file && maprules_load(&r->mr, r->rules_file, &err) < 0)
		return cli_error(&err);
	if (!r->rules.n && !r->mr.n && !r->full)
		return cli_usage(r->self, "no renaming rule given");
	return -1;
}

/* Each tensor's new name, the warnings of the way printed. -1 to go on, else the exit status
 * of the error printed. */
static int rename_names(struct rename *r)
{
	struct rename_map *m = &r->map;
	struct ck_err err = { 0 };

	if (rename_map_init(m, &r->in, r->full, &err) < 0)
		return cli_error(&err);
	if (m->nkept)
		cli_errorf("%zu %s: full names collide:%s", m->nkept,
			   m->nkept == 1 ? "tensor keeps its key" : "tensors keep their keys",
			   (const char *)m->kept.p);
	if (!r->rules_file)
		return rename_map_rules(m, &r->in, &r->rules, &err) < 0 ? cli_error(&err) : -1;
	if (rename_map_maprules(m, &r->in, &r->mr, &err) < 0)
		return cli_error(&err);
	if (m->nproblems && r->strict)
		return cli_errorf("%s: the rules leave %zu problem%s:%s", r->in.arg, m->nproblems,
				  m->nproblems == 1 ? "" : "s", (const char *)m->problems.p);
	if (m->nproblems)
		cli_errorf("warning: %s", (const char *)m->problems.p + 3);
	return -1;
}

/* A rule that matches nothing: a warning, or with --strict an error (its exit status). */
static int rename_unused_rules(const struct rename *r)
{
	for (size_t i = 0; i < r->rules.n; i++) {
		if (r->rules.v[i].hits)
			continue;
		if (r->strict)
			return cli_errorf("rule '%s' matches no tensor in %s", r->rules.v[i].text,
					  r->path);
		cli_errorf("warning: rule '%s' matches no tensor", r->rules.v[i].text);
	}
	return -1;
}

static void rename_print_summary(struct rename *r, const struct surg_result *res)
{
	if (r->cl.json) {
		cJSON *j = surg_summary_json(r->cl.out, res);
		json_add_u64(j, "renamed", r->map.nchanged);
		if (r->full) {
			cJSON *kept = cJSON_AddArrayToObject(j, "kept_keys");
			for (size_t i = 0; i < r->map.n; i++)
				if (r->map.base[i].kept) {
					struct buf n = BUF_INIT;
					name_escaped(&n, r->map.base[i].p, r->map.base[i].len);
					buf_addc(&n, 0);
					cJSON_AddItemToArray(kept, cJSON_CreateString((char *)n.p));
					buf_release(&n);
				}
		}
		json_print(j, stdout);
		cJSON_Delete(j);
		return;
	}
	buf_reset(&r->msg);
	surg_summary(&r->msg, r->cl.out, res);
	printf("%s (%zu renamed; data %s)\n", (const char *)r->msg.p, r->map.nchanged,
	       res->shared ? (res->how == BW_SHARE_REFLINK ? "shared by reflink"
			      : res->how == BW_SHARE_LINK ? "shared by hard link" : "copied")
			   : "copied");
}

static int cmd_rename(const struct cmd_entry *self, int argc, char **argv)
{
	struct rename r = { .self = self, .msg = BUF_INIT };
	struct surg_result res;
	struct ck_err err = { 0 };
	int status;

	rules_init(&r.rules);
	maprules_init(&r.mr);
	surg_plan_init(&r.plan, &r.in, 1);
	if ((status = rename_parse(&r, argc, argv)) >= 0)
		goto out;
	if ((status = cli_surg_input(&r.in, r.path)) >= 0)
		goto out;
	status = EXIT_TROUBLE;
	if (r.cl.out && surg_check_output(&r.cl.out, &r.in, 1, r.o.force || r.cl.dry, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	if ((status = rename_names(&r)) >= 0 || (status = rename_unused_rules(&r)) >= 0)
		goto out;
	if (rename_map_plan(&r.map, &r.in, &r.plan, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	if (r.cl.dry) {
		print_dry_run(r.in.b, &r.map, r.cl.json);
		status = cli_finish(EXIT_OK);
		goto out;
	}
	rename_map_graph(&r.map, &r.in, &r.plan);
	surg_signals();
	r.o.out = r.cl.out;
	r.o.share = r.in.b->format == 2;
	r.o.allow_link = !r.copy;
	r.o.progress = cli_progress;
	if (surg_write(&r.plan, &r.o, &res, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	rename_print_summary(&r, &res);
	status = cli_finish(EXIT_OK);
out:
	rename_map_release(&r.map);
	maprules_release(&r.mr);
	free(r.cl.out);
	buf_release(&r.msg);
	surg_plan_release(&r.plan);
	surg_input_release(&r.in);
	rules_release(&r.rules);
	return status;
}

const struct cmd_entry cmd_rename_entry = {
	.name = "rename",
	.summary = "write a copy with tensors renamed (data shared, not copied)",
	.usage = usage,
	.optstring = "-:o:fne:m:h",
	.options = opts,
	.exec = cmd_rename,
};
