/* ckpt rename: a new checkpoint whose tensors carry new names; only the index is rebuilt. */
#include <stdlib.h>
#include <string.h>

#include "format/objgraph.h"
#include "format/table.h"
#include "edit/maprules.h"
#include "edit/matchset.h"
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

struct rename_ctx {
	struct bundle *b;
	struct buf *names;   /* new name of each entry, parallel to b->entries */
	unsigned char *changed;
	unsigned char *dropped;  /* --rules drop: left out, and out of the object graph */
};

/* objgraph_drop callback: keys of tensors the rules keep. */
static int graph_keep(void *ctx, const uint8_t *key, size_t len)
{
	struct rename_ctx *c = ctx;
	const struct bundle_entry *e = bundle_find(c->b, key, len);

	return !e || !c->dropped[e - c->b->entries];
}

/* --rules: the new name of every tensor, or dropped; 0, or an exit status after a message. */
static int map_names(struct maprules *mr, struct surg_input *in, struct buf *names,
		     unsigned char *changed, unsigned char *dropped, int strict, size_t *nchanged)
{
	struct matchset ms = { 0 };
	struct maprules_out o;
	struct ck_err err;
	struct buf bad = BUF_INIT;
	size_t un[64], nun, nbad = 0;
	int status = 0;

	matchset_from_input(&ms, in);
	maprules_out_init(&o);
	for (size_t i = 0; i < mr->n; i++)
		if (mr->v[i].kind == MR_TRANSPOSE || mr->v[i].kind == MR_CAST || mr->v[i].kind == MR_SPLIT) {
			status = cli_errorf("%s: '%s': rename never changes data (use 'ckpt export --rules')",
					    mr->v[i].where, mr->v[i].text);
			goto out;
		}
	for (size_t k = 0; k < ms.n; k++) {
		const struct bundle_entry *e = ms.entries[k];
		size_t i = (size_t)(e - in->b->entries);
		if (maprules_apply(mr, e->name, e->name_len, (const char *)ms.items[k].full,
				   ms.items[k].full_len, e->dtype, e->rank, e->dims, &o, &err) < 0) {
			status = cli_error(&err);
			goto out;
		}
		if (o.dropped) {
			dropped[i] = 1;
			continue;
		}
		if (!o.accounted && nbad++ < 20) {
			buf_add(&bad, "\n  \"", 4);
			buf_add_name_msg(&bad, e->name, e->name_len);
			buf_add(&bad, "\": no rule accounts for it", 27);
		}
		buf_add(&names[i], o.name.p, o.name.len);
		changed[i] = o.name.len != e->name_len || memcmp(o.name.p, e->name, e->name_len);
		*nchanged += changed[i];
	}
	nun = maprules_unmatched(mr, un, 64);
	for (size_t i = 0; i < nun && i < 64; i++) {
		buf_addf(&bad, "\n  %s: rule '%s' matches no tensor", mr->v[un[i]].where, mr->v[un[i]].text);
		nbad++;
	}
	if (nbad && strict)
		status = cli_errorf("%s: the rules leave %zu problem%s:%s", in->arg, nbad,
				    nbad == 1 ? "" : "s", (const char *)bad.p);
	else if (nbad)
		cli_errorf("warning: %s", (const char *)bad.p + 3);
out:
	buf_release(&bad);
	maprules_out_release(&o);
	matchset_release(&ms);
	return status;
}

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

/* --full-names: the name each entry starts from, before the rules. */
struct base_name {
	const uint8_t *p;
	size_t len, entry;
	int full;            /* the object graph's full name, not the key */
	int kept;            /* its full name collided: the key kept */
};

static int cmp_base(const void *a, const void *b)
{
	const struct base_name *x = a, *y = b;
	int c = key_cmp(x->p, x->len, y->p, y->len);
	return c ? c : x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* Each entry's full name where the graph records one, except that full names equal to
 * another's (full name or kept key) fall back to the key: *nkept of them, listed in msg
 * ('"key", "key" -> "full name"' lines). Fills
 * base[entry] for every entry (a slice or the graph itself: its key). */
static void full_names(const struct surg_input *in, struct base_name *base, struct buf *msg,
		       size_t *nkept)
{
	const struct bundle *b = in->b;
	size_t nfull, n = 0;
	struct objgraph_name *fn = objgraph_full_names(in->graph, &nfull);
	struct base_name *v = xcalloc(b->nentries + 1, sizeof(*v));
	int again = 1;

	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		const struct objgraph_name *f = objgraph_full_name(fn, nfull, e->name, e->name_len);
		base[i] = (struct base_name){ (const uint8_t *)e->name, e->name_len, i, 0, 0 };
		if (e->is_slice || is_graph_key(e->name, e->name_len))
			continue;
		if (f)
			base[i] = (struct base_name){ f->full, f->full_len, i, 1, 0 };
		v[n++] = base[i];
	}
	/* A fallback key may meet another full name: repeat until no two names are equal. */
	while (again) {
		again = 0;
		sort_array(v, n, sizeof(*v), cmp_base);
		for (size_t i = 0, j; i < n; i = j) {
			const uint8_t *shared = v[i].p;
			size_t shared_len = v[i].len;
			for (j = i + 1; j < n && !key_cmp(v[i].p, v[i].len, v[j].p, v[j].len); j++)
				;
			if (j - i < 2)
				continue;
			if (msg->len < 4000)
				buf_add(msg, "\n  ", 3);
			for (size_t k = i, first = 1; k < j; k++) {
				const struct bundle_entry *e = &b->entries[v[k].entry];
				if (!v[k].full)
					continue;
				(*nkept)++;
				if (msg->len < 4000) {
					buf_add(msg, first ? "\"" : ", \"", first ? 1 : 3);
					buf_add_name_msg(msg, e->name, e->name_len);
					buf_addc(msg, '"');
				}
				first = 0;
				v[k] = base[v[k].entry] = (struct base_name){ (const uint8_t *)e->name,
									  e->name_len, v[k].entry, 0, 1 };
				again = 1;
			}
			if (msg->len < 4000) {
				buf_add(msg, " -> \"", 5);
				buf_add_name_msg(msg, shared, shared_len);
				buf_addc(msg, '"');
			}
		}
	}
	free(v);
	free(fn);
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
	struct base_name *base;    /* the name each entry starts from */
	struct buf *names;         /* new name of each entry, parallel to in.b->entries */
	unsigned char *changed, *dropped;
	size_t nchanged;
	struct buf msg;            /* names listed in an error */
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

/* The name each entry starts from: its key, or with --full-names the full name the object
 * graph records (collisions reported). -1 to go on, else the exit status. */
static int rename_bases(struct rename *r)
{
	const struct bundle *b = r->in.b;

	if (r->full && !r->in.graph)
		return r->in.graph_entry
		       ? cli_errorf("%s: --full-names: the object graph cannot be read (is a data "
				    "file missing?)", b->prefix)
		       : cli_errorf("%s: --full-names: no TF2 object graph: the keys are the "
				    "variable names already", b->prefix);
	r->base = xcalloc(b->nentries + 1, sizeof(*r->base));
	for (size_t i = 0; i < b->nentries; i++)
		r->base[i] = (struct base_name){ (const uint8_t *)b->entries[i].name,
						 b->entries[i].name_len, i, 0, 0 };
	if (r->full) {
		size_t nkept = 0;
		full_names(&r->in, r->base, &r->msg, &nkept);
		if (nkept)
			cli_errorf("%zu %s: full names collide:%s", nkept,
				   nkept == 1 ? "tensor keeps its key" : "tensors keep their keys",
				   (const char *)r->msg.p);
		buf_reset(&r->msg);
	}
	return -1;
}

/* Each tensor's new name by the rules; none may be empty or the object graph's key. -1 to go
 * on, else the exit status of the error printed. */
static int rename_names(struct rename *r)
{
	const struct bundle *b = r->in.b;

	r->names = xcalloc(b->nentries + 1, sizeof(*r->names));
	r->changed = xcalloc(b->nentries + 1, 1);
	r->dropped = xcalloc(b->nentries + 1, 1);
	buf_add(&r->msg, "", 0);
	if (r->rules_file) {
		int status = map_names(&r->mr, &r->in, r->names, r->changed, r->dropped, r->strict,
				       &r->nchanged);
		if (status)
			return status;
	}
	for (size_t i = 0; i < b->nentries && !r->rules_file; i++) {
		const struct bundle_entry *e = &b->entries[i];
		int how;
		if (e->is_slice || is_graph_key(e->name, e->name_len))
			continue;
		how = rules_apply(&r->rules, r->base[i].p, r->base[i].len, &r->names[i]);
		if (how == RULES_SAME && r->base[i].full) {
			buf_reset(&r->names[i]);
			buf_add(&r->names[i], r->base[i].p, r->base[i].len);
			how = RULES_RENAMED;
		}
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

/* Every tensor kept under its new name; two under one name is an error (exit status). */
static int rename_plan(struct rename *r)
{
	const struct bundle *b = r->in.b;

	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		if (e->is_slice || is_graph_key(e->name, e->name_len) || r->dropped[i])
			continue;
		if (r->changed[i])
			surg_plan_add(&r->plan, 0, e, r->names[i].p, r->names[i].len);
		else
			surg_plan_add(&r->plan, 0, e, e->name, e->name_len);
	}
	if (surg_plan_sort(&r->plan, surg_collision_msg, &r->msg))
		return cli_errorf("these renames collide (two tensors would get one name):%s",
				  (const char *)r->msg.p);
	return -1;
}

/* TF2: the object graph names the keys; rewrite them and store the graph anew. With
 * --full-names the output is name-based: no graph. */
static void rename_graph(struct rename *r)
{
	struct rename_ctx rc = { r->in.b, r->names, r->changed, r->dropped };
	size_t ndropped;

	if (!r->in.graph_entry || r->full)
		return;
	ndropped = r->in.graph ? objgraph_drop(r->in.graph, graph_keep, &rc) : 0;
	if (r->in.graph && (objgraph_rename(r->in.graph, graph_key, &rc) || ndropped)) {
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
		if (r->full) {
			cJSON *kept = cJSON_AddArrayToObject(j, "kept_keys");
			for (size_t i = 0; i < r->in.b->nentries; i++)
				if (r->base[i].kept) {
					struct buf n = BUF_INIT;
					name_escaped(&n, r->base[i].p, r->base[i].len);
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
	printf("%s (%zu renamed; data %s)\n", (const char *)r->msg.p, r->nchanged,
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
	if ((status = rename_bases(&r)) >= 0 || (status = rename_names(&r)) >= 0 ||
	    (status = rename_unused_rules(&r)) >= 0 || (status = rename_plan(&r)) >= 0)
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
	free(r.base);
	free(r.changed);
	free(r.dropped);
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
