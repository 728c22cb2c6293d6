/* ckpt rename: a new checkpoint whose tensors carry new names; only the index is rebuilt. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cmds.h"
#include "output.h"
#include "rules.h"
#include "surgery.h"

const char cmd_rename_usage[] =
"usage: ckpt rename -o OUT [-f] [-n] [--json] [--strict] [--copy] [--verify-data]\n"
"                   [--update-state] [--no-sync] [RULE | --add-prefix P |\n"
"                   --strip-prefix P | --map-file FILE]... PATH\n"
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
"\n"
"TF2 checkpoints: the object graph's checkpoint keys follow the renames, so that\n"
"tf.train.Checkpoint.restore still finds every value (_CHECKPOINTABLE_OBJECT_GRAPH itself\n"
"is never renamed). Partitioned tensors: their slices move with them.\n"
"\n"
"Options:\n"
"  -o, --output OUT       prefix of the new checkpoint (its folder is created if missing)\n"
"  -f, --force            replace OUT if it exists\n"
"  -n, --dry-run          print the old -> new names, write nothing\n"
"      --strict           a rule that matches no tensor is an error, not a warning\n"
"      --copy             never hard-link the data files (a reflink is still a copy)\n"
"      --verify-data      also re-read every payload of the output and check its CRC\n"
"      --update-state     record OUT as the latest checkpoint in its folder's\n"
"                         'checkpoint' file\n"
"      --no-sync          do not wait for OUT to reach the disk (faster for scratch\n"
"                         outputs; a machine crash soon after may lose it)\n"
"      --json             print the summary (or the dry-run table) as JSON\n"
"  -h, --help             show this help\n"
"\n"
"Two names renamed to one, or a rule that empties a name, is an error listing every case.\n"
"Exit status: 0 success, 2 trouble.\n";

struct rename_ctx {
	struct bundle *b;
	struct buf *names;   /* new name of each entry, parallel to b->entries */
	unsigned char *changed;
};

/* objgraph_rename callback: the new key of a renamed tensor. */
static int graph_key(void *ctx, const uint8_t *key, size_t len, struct buf *out)
{
	struct rename_ctx *c = ctx;
	const struct bundle_entry *e = bundle_find(c->b, key, len);
	size_t i;

	if (!e)
		return 0;
	i = (size_t)(e - c->b->entries);
	if (!c->changed[i])
		return 0;
	buf_add(out, c->names[i].p, c->names[i].len);
	return 1;
}

static void list_collision(void *ctx, const struct surg_item *items, size_t n)
{
	struct buf *msg = ctx;

	if (msg->len > 4000)
		return;
	buf_add(msg, "\n  ", 3);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_add(msg, ", ", 2);
		buf_addc(msg, '"');
		buf_add_name_msg(msg, items[i].src->name, items[i].src->name_len);
		buf_addc(msg, '"');
	}
	buf_add(msg, " -> \"", 5);
	buf_add_name_msg(msg, items[0].name.p, items[0].name.len);
	buf_addc(msg, '"');
}

static void print_dry_run(struct bundle *b, const struct buf *names, const unsigned char *changed,
			  size_t nchanged, int json)
{
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

enum { OPT_STRICT = 256, OPT_COPY, OPT_ADD, OPT_STRIP };

static const struct option opts[] = {
	{ "rule", required_argument, NULL, 'e' },
	{ "map-file", required_argument, NULL, 'm' },
	{ "map", required_argument, NULL, 'm' },
	{ "add-prefix", required_argument, NULL, OPT_ADD },
	{ "strip-prefix", required_argument, NULL, OPT_STRIP },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "copy", no_argument, NULL, OPT_COPY },
	SURG_COMMON_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* One rename: its options and rules, the input, and each entry's new name. */
struct rename {
	const struct cmd *self;
	struct rules rules;
	const char *path;          /* the checkpoint */
	int strict, copy;
	struct surg_opts o;
	struct surg_cli cl;
	struct surg_input in;
	struct buf *names;         /* new name of each entry, parallel to in.b->entries */
	unsigned char *changed;
	size_t nchanged;
	struct buf msg;            /* names listed in an error */
	struct surg_plan plan;
};

/* The rules, in command-line order (rules interleave with options), and the checkpoint: the
 * last operand. -1 to go on, else the exit status. */
static int rename_rules(struct rename *r, int argc, char **argv)
{
	struct { int kind; const char *arg; } *ops = xcalloc((size_t)argc + 1, sizeof(*ops));
	struct ck_err err = { 0 };
	size_t nops = 0;
	int c, status = -1;

	opterr = 0;
	optind = 1;
	/* '-': positional arguments come back in order. */
	while (status < 0 && (c = getopt_long(argc, argv, "-:o:fne:m:h", opts, NULL)) != -1) {
		if (surg_common_option(c, optarg, &r->o, &r->cl))
			continue;
		switch (c) {
		case 1: case 'e': case 'm': case OPT_ADD: case OPT_STRIP:
			ops[nops].kind = c;
			ops[nops++].arg = optarg;
			break;
		case OPT_STRICT: r->strict = 1; break;
		case OPT_COPY: r->copy = 1; break;
		case 'h': status = cli_help(r->self); break;
		default:  /* ':' (a missing value) too */
			status = cli_bad_option(r->self, argv, opts);
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
	if (status < 0 && !r->cl.out && !r->cl.dry)
		status = cli_usage(r->self, "no output given (-o OUT)");
	if (status < 0 && !r->rules.n)
		status = cli_usage(r->self, "no renaming rule given");
	return status;
}

/* Each tensor's new name; none may be empty or the object graph's key. -1 to go on, else the
 * exit status of the error printed. */
static int rename_names(struct rename *r)
{
	const struct bundle *b = r->in.b;

	r->names = xcalloc(b->nentries + 1, sizeof(*r->names));
	r->changed = xcalloc(b->nentries + 1, 1);
	buf_add(&r->msg, "", 0);
	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		int how;
		if (e->is_slice || is_graph_key(e->name, e->name_len))
			continue;
		how = rules_apply(&r->rules, e->name, e->name_len, &r->names[i]);
		if (how == RULES_DROPPED) {
			if (r->msg.len < 4000) {
				buf_add(&r->msg, "\n  \"", 4);
				buf_add_name_msg(&r->msg, e->name, e->name_len);
				buf_addc(&r->msg, '"');
			}
			continue;
		}
		if (how == RULES_RENAMED && is_graph_key(r->names[i].p, r->names[i].len)) {
			buf_reset(&r->msg);
			buf_add_name_msg(&r->msg, e->name, e->name_len);
			return cli_errorf("\"%s\" would be renamed to %s, the object graph's own key",
					  (const char *)r->msg.p, OBJECT_GRAPH_KEY);
		}
		r->changed[i] = how == RULES_RENAMED;
		r->nchanged += r->changed[i];
	}
	if (r->msg.len)
		return cli_errorf("the rules leave these names empty:%s", (const char *)r->msg.p);
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

/* Every tensor under its new name; two tensors under one name is an error (exit status). */
static int rename_plan(struct rename *r)
{
	const struct bundle *b = r->in.b;

	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		if (e->is_slice || is_graph_key(e->name, e->name_len))
			continue;
		if (r->changed[i])
			surg_plan_add(&r->plan, 0, e, r->names[i].p, r->names[i].len);
		else
			surg_plan_add(&r->plan, 0, e, e->name, e->name_len);
	}
	if (surg_plan_sort(&r->plan, list_collision, &r->msg))
		return cli_errorf("these renames collide (two tensors would get one name):%s",
				  (const char *)r->msg.p);
	return -1;
}

/* TF2: the object graph names the keys; rewrite them and store the graph anew. */
static void rename_graph(struct rename *r)
{
	struct rename_ctx rc = { r->in.b, r->names, r->changed };

	if (!r->in.graph_entry)
		return;
	if (r->in.graph && objgraph_rename(r->in.graph, graph_key, &rc)) {
		r->plan.graph = r->in.graph;
		r->in.graph = NULL;
	} else {
		surg_plan_add(&r->plan, 0, r->in.graph_entry, r->in.graph_entry->name,
			      r->in.graph_entry->name_len);
		surg_plan_sort(&r->plan, NULL, NULL);
	}
}

static void rename_print_summary(struct rename *r, const struct surg_result *res)
{
	if (r->cl.json) {
		cJSON *j = surg_summary_json(r->cl.out, res);
		json_add_u64(j, "renamed", r->nchanged);
		json_print(j, stdout);
		cJSON_Delete(j);
		return;
	}
	buf_reset(&r->msg);
	surg_summary(&r->msg, r->cl.out, res);
	printf("%s (%zu renamed; data %s)\n", (const char *)r->msg.p, r->nchanged,
	       res->shared ? (res->how == BW_SHARE_REFLINK ? "shared by reflink"
			      : res->how == BW_SHARE_LINK ? "shared by hard link" : "copied")
			   : "copied");
}

int cmd_rename(int argc, char **argv)
{
	struct rename r = { .self = cli_find("rename"), .msg = BUF_INIT };
	struct surg_result res;
	struct ck_err err = { 0 };
	int status;

	rules_init(&r.rules);
	surg_plan_init(&r.plan, &r.in, 1);
	if ((status = rename_rules(&r, argc, argv)) >= 0)
		goto out;
	if (surg_input_open(&r.in, r.path, &err) < 0) {
		cli_notes(&r.in.where.notes);
		status = cli_error(&err);
		goto out;
	}
	cli_notes(&r.in.where.notes);
	if (r.cl.out && surg_check_output(&r.cl.out, &r.in, 1, r.o.force || r.cl.dry, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	if ((status = rename_names(&r)) >= 0 || (status = rename_unused_rules(&r)) >= 0 ||
	    (status = rename_plan(&r)) >= 0)
		goto out;
	if (r.cl.dry) {
		print_dry_run(r.in.b, r.names, r.changed, r.nchanged, r.cl.json);
		status = cli_finish(EXIT_OK);
		goto out;
	}
	rename_graph(&r);
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
	if (r.names)
		for (size_t i = 0; i < r.in.b->nentries; i++)
			buf_release(&r.names[i]);
	free(r.names);
	free(r.changed);
	free(r.cl.out);
	buf_release(&r.msg);
	surg_plan_release(&r.plan);
	surg_input_release(&r.in);
	rules_release(&r.rules);
	return status;
}
