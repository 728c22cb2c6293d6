/* ckpt match: pair what a target expects with a checkpoint's tensors, and write the renames. */
#include <stdlib.h>
#include <string.h>

#include "format/dtype.h"
#include "format/graph.h"
#include "format/table.h"
#include "tensor/npy.h"
#include "edit/match.h"
#include "edit/matchset.h"
#include "edit/surgery.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

static const char usage[] =
"usage: ckpt match [--format table|json|python] [--json] [--map-out FILE] [-f] CKPT TARGET\n"
"       ckpt match --apply -o OUT [--only-matched] [-f] [--copy] [--verify-data]\n"
"                  [--update-state] [--no-sync] [--json] CKPT TARGET\n"
"\n"
"Pair every name TARGET expects with a tensor of the checkpoint CKPT, to turn TensorFlow's\n"
"\"Key ... not found in checkpoint\" into a checkpoint that loads. TARGET is another\n"
"checkpoint (any form 'ckpt list' takes), a SavedModel folder (its variables), a .meta or\n"
"saved_model.pb graph (the keys its restore op reads), a .safetensors file, or a names file:\n"
"one 'name [dtype] [shape]' a line, or the JSON of 'ckpt list --json'.\n"
"\n"
"Rules, in order, each among what is still unpaired (the HOW column):\n"
"  exact        the same name\n"
"  full name    the same variable name as a TF2 object graph records it for the key\n"
"  rewrite      a systematic rewrite inferred from two pairs or more: a scope added,\n"
"               removed or replaced (net/ -> \"\"), and known leaf renames (weights ->\n"
"               kernel, biases -> bias, gamma -> scale, beta -> offset ...)\n"
"  shape        the one tensor of that kind, dtype and shape, for the one target with it\n"
"  similar      the closest name among the same-shape candidates, closest both ways\n"
"  order        names equally close: a group of n targets and n tensors paired in layer order\n"
"Tensors of another dtype or shape are never paired, no tensor is used twice, and\n"
"optimizer slots and counters pair only with their own kind after the name rules. What\n"
"stays unmatched is listed with its candidates (ambiguous) instead of guessed.\n"
"\n"
"Options:\n"
"      --json             print the pairs, what is unmatched and what is left over as JSON\n"
"      --format FORMAT    table (default), json, or python: an assignment_map dict\n"
"                         (checkpoint name -> variable name) for\n"
"                         tf.compat.v1.train.init_from_checkpoint\n"
"      --map-out FILE     write the renames as a map for 'ckpt rename --map-file'\n"
"                         ('old<TAB>new' lines; JSON when FILE ends in .json or a name\n"
"                         needs it)\n"
"      --apply            write the renamed checkpoint to OUT, through the writer of\n"
"                         'ckpt rename' (data shared, not copied; a TF2 object graph\n"
"                         follows the renames; a TF1 checkpoint matched to a TF2\n"
"                         target gets the target's object graph, for the keys it has)\n"
"  -o, --output OUT       prefix of the checkpoint --apply writes\n"
"      --only-matched     --apply: leave out the tensors the target does not name\n"
"  -f, --force            replace OUT or the map file if it exists\n"
"                         (never a file of an input: see OUTPUTS in ckpt(1))\n"
"      --copy             never hard-link the data files\n"
"      --verify-data      re-read every payload of OUT and check its CRC\n"
"      --update-state     record OUT as the latest checkpoint of its folder\n"
"      --no-sync          do not wait for OUT to reach the disk\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 every target name matched, 1 some are not (listed), 2 trouble.\n";

struct ctx {
	struct matchset src, tgt;
	struct match_result r;
	size_t left[3];          /* leftover checkpoint tensors by kind */
	size_t *item_of;         /* checkpoint entry index -> src item, or MATCH_NONE */
	struct buf *names;       /* each src item's name after the match (match_new_names) */
	unsigned char *moved;    /* moved with its variable (an optimizer slot) */
};

static char *name_text(const void *p, size_t n)
{
	struct buf b = BUF_INIT;
	name_escaped(&b, p, n);
	return buf_detach(&b, NULL);
}

static char *shape_text(const struct match_item *it)
{
	struct buf b = BUF_INIT;
	graph_shape_format(&b, (struct graph_shape){ it->rank, it->dims });
	return buf_detach(&b, NULL);
}

static const char *dtype_text(int dtype)
{
	return dtype > 0 ? dtype_name(dtype) : "?";
}

/* The HOW column: the rule, and for a rewrite what it changed. */
static char *how_text(const struct ctx *c, size_t t)
{
	const struct match_target *mt = &c->r.t[t];
	const struct match_item *ti = &c->tgt.items[t], *si = &c->src.items[mt->src];
	struct buf b = BUF_INIT;

	if (mt->how != MATCH_REWRITE) {
		buf_addf(&b, "%s", match_how_name(mt->how));
		return buf_detach(&b, NULL);
	}
	const struct match_rewrite *rw = &c->r.rewrites[mt->rewrite];
	if (strcmp(rw->from, rw->to)) {
		buf_add(&b, "scope \"", 7);
		name_escaped(&b, rw->from, strlen(rw->from));
		buf_add(&b, "\" -> \"", 6);
		name_escaped(&b, rw->to, strlen(rw->to));
		buf_addc(&b, '"');
	}
	if (mt->leaf_renamed) {
		const uint8_t *sl = si->full ? si->full : si->name, *tl = ti->full ? ti->full : ti->name;
		size_t sn = si->full ? si->full_len : match_stem_len(si->name, si->len);
		size_t tn = ti->full ? ti->full_len : match_stem_len(ti->name, ti->len);
		size_t a = sn, z = tn;
		while (a > 0 && sl[a - 1] != '/')
			a--;
		while (z > 0 && tl[z - 1] != '/')
			z--;
		buf_addf(&b, "%sleaf ", b.len ? ", " : "");
		name_escaped(&b, sl + a, sn - a);
		buf_add(&b, " -> ", 4);
		name_escaped(&b, tl + z, tn - z);
	}
	return buf_detach(&b, NULL);
}

/* ---- the table ---- */

static void print_unmatched(const struct ctx *c, size_t nun)
{
	struct tab t;
	size_t kinds[3] = { 0 };

	for (size_t i = 0; i < c->tgt.n; i++)
		if (c->r.t[i].src == MATCH_NONE)
			kinds[match_kind_of(c->tgt.items[i].name, c->tgt.items[i].len)]++;
	printf("\nnot matched (%zu", nun);
	/* A training graph restores its optimizer's state too: say so, it changes the remedy. */
	if (kinds[MATCH_SLOT] || kinds[MATCH_COUNTER])
		printf(": %zu %s, %zu optimizer %s, %zu %s", kinds[0], kinds[0] == 1 ? "variable" : "variables",
		       kinds[1], kinds[1] == 1 ? "slot" : "slots", kinds[2],
		       kinds[2] == 1 ? "counter" : "counters");
	printf("):\n");
	tab_init(&t, "llll");
	for (size_t i = 0; i < c->tgt.n; i++) {
		const struct match_target *mt = &c->r.t[i];
		const struct match_item *ti = &c->tgt.items[i];
		char *n, *sh;
		struct buf why = BUF_INIT;
		if (mt->src != MATCH_NONE)
			continue;
		n = name_text(ti->name, ti->len);
		sh = shape_text(ti);
		if (mt->ncand) {
			buf_addf(&why, "ambiguous: %zu%s candidates: ", mt->ncand > 32 ? (size_t)32 : mt->ncand,
				 mt->ncand > 32 ? "+" : "");
			for (size_t k = 0; k < mt->ncand && k < MATCH_MAX_CAND; k++) {
				const struct match_item *si = &c->src.items[mt->cand[k]];
				if (k)
					buf_add(&why, ", ", 2);
				name_escaped(&why, si->name, si->len);
			}
			if (mt->ncand > MATCH_MAX_CAND)
				buf_add(&why, ", ...", 5);
		} else if (mt->conflict != MATCH_NONE) {
			const struct match_item *si = &c->src.items[mt->conflict];
			char *cs = shape_text(si);
			buf_addf(&why, "no tensor fits; the checkpoint's is %s %s", dtype_text(si->dtype), cs);
			free(cs);
		} else {
			buf_addf(&why, "no tensor of this %s fits", ti->rank >= 0 ? "dtype and shape" : "dtype");
		}
		tab_addf(&t, "  %s", n);
		tab_add(&t, dtype_text(ti->dtype));
		tab_add(&t, sh);
		tab_add(&t, (const char *)why.p);
		free(n);
		free(sh);
		buf_release(&why);
	}
	tab_print(&t, stdout);
	tab_release(&t);
}

static void print_leftover(const struct ctx *c)
{
	struct tab t;
	size_t nleft = c->left[0] + c->left[1] + c->left[2];

	size_t nmoved = 0;

	if (!nleft)
		return;
	for (size_t s = 0; s < c->src.n; s++)
		nmoved += c->moved[s];
	printf("\nleft over in the checkpoint (%zu: %zu %s, %zu optimizer %s, %zu %s)%s\n", nleft,
	       c->left[MATCH_VARIABLE], c->left[MATCH_VARIABLE] == 1 ? "variable" : "variables",
	       c->left[MATCH_SLOT], c->left[MATCH_SLOT] == 1 ? "slot" : "slots", c->left[MATCH_COUNTER],
	       c->left[MATCH_COUNTER] == 1 ? "counter" : "counters", c->left[0] ? ":" : "");
	if (nmoved)
		printf("  %zu of them under a matched variable's name: renamed with it\n", nmoved);
	if (!c->left[MATCH_VARIABLE])
		return;
	tab_init(&t, "lll");
	for (size_t s = 0; s < c->src.n; s++) {
		const struct match_item *si = &c->src.items[s];
		char *n, *sh;
		if (c->r.tgt_of[s] != MATCH_NONE || c->r.kind[s] != MATCH_VARIABLE)
			continue;
		n = name_text(si->name, si->len);
		sh = shape_text(si);
		tab_addf(&t, "  %s", n);
		tab_add(&t, dtype_text(si->dtype));
		tab_add(&t, sh);
		free(n);
		free(sh);
	}
	tab_print(&t, stdout);
	tab_release(&t);
}

static void print_table(const struct ctx *c)
{
	struct tab t;
	size_t nun = c->tgt.n - c->r.npaired;

	printf("checkpoint: %s\n", c->src.path);
	printf("target:     %s (%s, %zu %s)\n", c->tgt.path, matchset_kind_name(c->tgt.kind),
	       c->tgt.n, c->tgt.n == 1 ? "name" : "names");
	if (c->r.npaired) {
		putchar('\n');
		tab_init(&t, "lllll");
		tab_add(&t, "TARGET");
		tab_add(&t, "CHECKPOINT");
		tab_add(&t, "HOW");
		tab_add(&t, "DTYPE");
		tab_add(&t, "SHAPE");
		for (size_t i = 0; i < c->tgt.n; i++) {
			const struct match_target *mt = &c->r.t[i];
			const struct match_item *si;
			char *a, *b, *h, *sh;
			if (mt->src == MATCH_NONE)
				continue;
			si = &c->src.items[mt->src];
			a = name_text(c->tgt.items[i].name, c->tgt.items[i].len);
			b = name_text(si->name, si->len);
			h = how_text(c, i);
			sh = shape_text(si);
			tab_add(&t, a);
			tab_add(&t, b);
			tab_add(&t, h);
			tab_add(&t, dtype_text(si->dtype));
			tab_add(&t, sh);
			free(a), free(b), free(h), free(sh);
		}
		tab_print(&t, stdout);
		tab_release(&t);
	}
	if (nun)
		print_unmatched(c, nun);
	print_leftover(c);
	printf("\n%zu of %zu target names matched", c->r.npaired, c->tgt.n);
	if (nun)
		printf("; %zu not matched (%zu ambiguous)", nun, c->r.nambiguous);
	printf("; %zu checkpoint tensors left over\n", c->left[0] + c->left[1] + c->left[2]);
}

/* ---- JSON ---- */

/* An array element: the name as shown (arrays have no room for json_add_name's _hex twin). */
static void json_push_name(cJSON *a, const void *p, size_t n)
{
	char *t = name_text(p, n);
	cJSON_AddItemToArray(a, cJSON_CreateString(t));
	free(t);
}

static cJSON *json_item_shape(const struct match_item *it)
{
	cJSON *a;
	if (it->rank < 0)
		return cJSON_CreateNull();
	a = cJSON_CreateArray();
	for (int i = 0; i < it->rank; i++)
		cJSON_AddItemToArray(a, it->dims[i] < 0 ? cJSON_CreateNull()
							: cJSON_CreateNumber((double)it->dims[i]));
	return a;
}

static void print_json(const struct ctx *c)
{
	cJSON *root = cJSON_CreateObject(), *pairs, *un, *rw, *left;

	cJSON_AddStringToObject(root, "checkpoint", c->src.path);
	cJSON_AddStringToObject(root, "target", c->tgt.path);
	cJSON_AddStringToObject(root, "target_kind", matchset_kind_name(c->tgt.kind));
	cJSON_AddBoolToObject(root, "ok", c->r.npaired == c->tgt.n);
	json_add_u64(root, "targets", c->tgt.n);
	json_add_u64(root, "matched", c->r.npaired);
	pairs = cJSON_AddArrayToObject(root, "pairs");
	un = cJSON_AddArrayToObject(root, "unmatched");
	for (size_t i = 0; i < c->tgt.n; i++) {
		const struct match_target *mt = &c->r.t[i];
		const struct match_item *ti = &c->tgt.items[i];
		cJSON *o = cJSON_CreateObject();
		json_add_name(o, "target", ti->name, ti->len);
		if (mt->src != MATCH_NONE) {
			const struct match_item *si = &c->src.items[mt->src];
			json_add_name(o, "checkpoint", si->name, si->len);
			cJSON_AddStringToObject(o, "how", match_how_name(mt->how));
			if (mt->how == MATCH_REWRITE) {
				cJSON_AddStringToObject(o, "scope_from", c->r.rewrites[mt->rewrite].from);
				cJSON_AddStringToObject(o, "scope_to", c->r.rewrites[mt->rewrite].to);
				cJSON_AddBoolToObject(o, "leaf_renamed", mt->leaf_renamed);
			}
			cJSON_AddStringToObject(o, "dtype", dtype_text(si->dtype));
			cJSON_AddItemToObject(o, "shape", json_item_shape(si));
			cJSON_AddItemToArray(pairs, o);
			continue;
		}
		cJSON_AddStringToObject(o, "dtype", dtype_text(ti->dtype));
		cJSON_AddItemToObject(o, "shape", json_item_shape(ti));
		cJSON_AddBoolToObject(o, "ambiguous", mt->ncand > 0);
		{
			cJSON *a = cJSON_AddArrayToObject(o, "candidates");
			for (size_t k = 0; k < mt->ncand && k < MATCH_MAX_CAND; k++)
				json_push_name(a, c->src.items[mt->cand[k]].name,
					       c->src.items[mt->cand[k]].len);
		}
		if (mt->conflict != MATCH_NONE) {
			const struct match_item *si = &c->src.items[mt->conflict];
			cJSON *x = cJSON_AddObjectToObject(o, "same_name");
			cJSON_AddStringToObject(x, "dtype", dtype_text(si->dtype));
			cJSON_AddItemToObject(x, "shape", json_item_shape(si));
		}
		cJSON_AddItemToArray(un, o);
	}
	rw = cJSON_AddArrayToObject(root, "rewrites");
	for (size_t i = 0; i < c->r.nrewrites; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "from", c->r.rewrites[i].from);
		cJSON_AddStringToObject(o, "to", c->r.rewrites[i].to);
		json_add_u64(o, "pairs", c->r.rewrites[i].uses);
		cJSON_AddItemToArray(rw, o);
	}
	left = cJSON_AddObjectToObject(root, "left_over");
	{
		size_t nmoved = 0;
		for (size_t s = 0; s < c->src.n; s++)
			nmoved += c->moved[s];
		json_add_u64(left, "renamed_with_their_variable", nmoved);
	}
	for (int k = 0; k < 3; k++) {
		cJSON *a = cJSON_AddArrayToObject(left, k == 0 ? "variables" : k == 1 ? "optimizer"
										 : "counters");
		for (size_t s = 0; s < c->src.n; s++)
			if (c->r.tgt_of[s] == MATCH_NONE && (int)c->r.kind[s] == k)
				json_push_name(a, c->src.items[s].name, c->src.items[s].len);
	}
	json_print(root, stdout);
	cJSON_Delete(root);
}

/* ---- python ---- */

/* A Python str literal of the name: valid UTF-8 kept, the rest escaped. */
static void py_string(struct buf *b, const uint8_t *p, size_t n)
{
	buf_addc(b, '\'');
	for (size_t i = 0; i < n;) {
		int k = p[i] >= 0x80 ? utf8_seq_len(p + i, n - i) : 1;
		if (p[i] == '\\' || p[i] == '\'') {
			buf_addc(b, '\\');
			buf_addc(b, p[i++]);
		} else if (p[i] < 0x20 || p[i] == 0x7f || k == 0) {
			buf_addf(b, "\\x%02x", p[i++]);
		} else {
			buf_add(b, p + i, (size_t)k);
			i += (size_t)k;
		}
	}
	buf_addc(b, '\'');
}

static void print_python(const struct ctx *c)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "# ckpt match: %zu of %zu target names matched; checkpoint name -> variable name\n"
		 "assignment_map = {\n", c->r.npaired, c->tgt.n);
	for (size_t i = 0; i < c->tgt.n; i++) {
		const struct match_target *mt = &c->r.t[i];
		if (mt->src == MATCH_NONE)
			continue;
		buf_add(&b, "    ", 4);
		py_string(&b, c->src.items[mt->src].name, c->src.items[mt->src].len);
		buf_add(&b, ": ", 2);
		py_string(&b, c->tgt.items[i].name, c->tgt.items[i].len);
		buf_add(&b, ",\n", 2);
	}
	buf_add(&b, "}\n", 2);
	fwrite(b.p, 1, b.len, stdout);
	buf_release(&b);
}

/* ---- --map-out ---- */

struct rn {
	const uint8_t *from, *to;
	size_t from_len, to_len;
	size_t next;             /* the rename that must come first (its old name is our new one) */
};

static int cmp_rn_from(const void *a, const void *b)
{
	const struct rn *x = a, *y = b;
	return key_cmp(x->from, x->from_len, y->from, y->from_len);
}

/* 'ckpt rename' applies its rules in order, each to the result of the previous: a rename
 * a -> b must come after b -> c. Orders v so, or returns -1 on a cycle (a swap). */
static int order_renames(struct rn *v, size_t n, struct rn **out)
{
	unsigned char *done = xcalloc(n + 1, 1), *is_target = xcalloc(n + 1, 1);
	size_t k = 0;

	sort_array(v, n, sizeof(*v), cmp_rn_from);
	for (size_t i = 0; i < n; i++) {
		struct rn probe = { v[i].to, NULL, v[i].to_len, 0, 0 }, *f;
		f = bsearch(&probe, v, n, sizeof(*v), cmp_rn_from);
		v[i].next = f ? (size_t)(f - v) : MATCH_NONE;
		if (f)
			is_target[f - v] = 1;
	}
	*out = xcalloc(n + 1, sizeof(**out));
	/* Start from each chain's head (no rename produces its old name), emit the chain
	 * backwards: the last rename first. */
	for (size_t i = 0; i < n; i++) {
		struct rn *tmp = NULL;
		size_t cap = 0, m = 0, j = i;
		if (is_target[i])
			continue;
		for (; j != MATCH_NONE; j = v[j].next) {
			if (m == cap) {
				cap = cap ? 2 * cap : 16;
				tmp = xreallocarray(tmp, cap, sizeof(*tmp));
			}
			tmp[m++] = v[j];
			done[j] = 1;
		}
		while (m)
			(*out)[k++] = tmp[--m];
		free(tmp);
	}
	free(is_target);
	for (size_t i = 0; i < n; i++)
		if (!done[i]) {
			free(done);
			return -1;
		}
	free(done);
	return 0;
}

static int tsv_safe(const uint8_t *p, size_t n, int old)
{
	if (!n || memchr(p, '\t', n) || memchr(p, '\n', n) || memchr(p, '\r', n) || memchr(p, 0, n))
		return 0;
	return !old || (p[0] != '#' && p[0] != '{' && p[0] != ' ' &&
			!(p[0] == 's' && n > 1 && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", p[1])));
}

static int write_map(const struct ctx *c, const char *path, int force, size_t *nrenames,
		     struct ck_err *err)
{
	struct rn *v = xcalloc(c->src.n + 1, sizeof(*v)), *ord = NULL;
	struct outfile f = OUTFILE_INIT;
	struct buf b = BUF_INIT;
	size_t n = 0;
	int json = strlen(path) > 5 && !strcmp(path + strlen(path) - 5, ".json"), rc;

	for (size_t s = 0; s < c->src.n; s++) {
		const struct match_item *si = &c->src.items[s];
		const struct buf *to = &c->names[s];
		if (si->len == to->len && !memcmp(si->name, to->p, to->len))
			continue;
		v[n++] = (struct rn){ si->name, to->p, si->len, to->len, 0 };
		if (!tsv_safe(si->name, si->len, 1) || !tsv_safe(to->p, to->len, 0))
			json = 1;
	}
	*nrenames = n;
	if (order_renames(v, n, &ord) < 0) {
		rc = ck_error(err, CK_EUNSUP, "%s: the renames exchange names (a cycle), which "
			      "'ckpt rename' cannot express as a map; use --apply", path);
		goto out;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();
		char *text;
		for (size_t i = 0; i < n; i++) {
			char *from = xmemdup(ord[i].from, ord[i].from_len);
			char *to = xmemdup(ord[i].to, ord[i].to_len);
			cJSON_AddItemToObject(o, from, cJSON_CreateString(to));
			free(from);
			free(to);
		}
		text = cJSON_Print(o);
		buf_addf(&b, "%s\n", text);
		free(text);
		cJSON_Delete(o);
	} else {
		buf_addf(&b, "# ckpt rename --map-file: written by ckpt match (old<TAB>new)\n");
		for (size_t i = 0; i < n; i++) {
			buf_add(&b, ord[i].from, ord[i].from_len);
			buf_addc(&b, '\t');
			buf_add(&b, ord[i].to, ord[i].to_len);
			buf_addc(&b, '\n');
		}
	}
	rc = outfile_create(&f, path, force, err);
	if (rc == 0)
		rc = outfile_write(&f, b.p, b.len, err);
	if (rc == 0)
		rc = outfile_commit(&f, err);
	outfile_abort(&f);
out:
	buf_release(&b);
	free(ord);
	free(v);
	return rc;
}

/* ---- --apply ---- */

/* objgraph_rename callback: a paired tensor's key becomes its target's name. */
static int graph_key(void *ctx, const uint8_t *key, size_t len, struct buf *out)
{
	const struct ctx *c = ctx;
	const struct bundle_entry *e = bundle_find(c->src.in->b, key, len);
	size_t s;

	if (!e || (s = c->item_of[e - c->src.in->b->entries]) == MATCH_NONE)
		return 0;
	if (c->names[s].len == e->name_len && !memcmp(c->names[s].p, e->name, e->name_len))
		return 0;
	buf_add(out, c->names[s].p, c->names[s].len);
	return 1;
}

/* objgraph_drop callback: whether the output holds key (plan sorted by output name). */
static int in_plan(void *ctx, const uint8_t *key, size_t len)
{
	const struct surg_plan *p = ctx;
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int cmp = key_cmp(p->items[mid].name.p, p->items[mid].name.len, key, len);
		if (!cmp)
			return 1;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

static int apply(struct ctx *c, struct surg_opts *o, int only_matched, int json, int copy)
{
	struct surg_input *in = c->src.in;
	struct surg_plan plan;
	struct surg_result res;
	struct ck_err err = { 0 };
	struct buf msg = BUF_INIT;
	int status = EXIT_TROUBLE;
	size_t nrenamed = 0;

	surg_plan_init(&plan, in, 1);
	c->item_of = xcalloc(in->b->nentries + 1, sizeof(*c->item_of));
	for (size_t i = 0; i < in->b->nentries; i++)
		c->item_of[i] = MATCH_NONE;
	for (size_t s = 0; s < c->src.n; s++)
		c->item_of[c->src.entries[s] - in->b->entries] = s;
	for (size_t s = 0; s < c->src.n; s++) {
		const struct bundle_entry *e = c->src.entries[s];
		if (c->r.tgt_of[s] == MATCH_NONE && only_matched)
			continue;
		surg_plan_add(&plan, 0, e, c->names[s].p, c->names[s].len);
		nrenamed += !(e->name_len == c->names[s].len &&
			      !memcmp(e->name, c->names[s].p, e->name_len));
	}
	if (surg_plan_sort(&plan, surg_collision_msg, &msg)) {
		status = cli_errorf("a tensor the target does not name keeps a name the match gives "
				    "another (use --only-matched):%s", (const char *)msg.p);
		goto out;
	}
	if (in->graph_entry) {
		/* TF2: the object graph's keys follow the renames, as in 'ckpt rename'. */
		surg_plan_graph(&plan, in, in->graph && (objgraph_rename(in->graph, graph_key, c) ||
							 (only_matched && plan.n < c->src.n)));
		if (!plan.graph)
			surg_plan_sort(&plan, NULL, NULL);
	} else if (c->tgt.kind == MS_CHECKPOINT && c->tgt.in->graph && c->r.npaired) {
		/* TF1 -> TF2: the keys are now the target's; so is the graph that names them. */
		plan.graph = c->tgt.in->graph;
		c->tgt.in->graph = NULL;
	}
	/* The graph names no key the output lacks (unmatched target keys, tensors left out). */
	if (plan.graph)
		objgraph_drop(plan.graph, in_plan, &plan);
	surg_signals();
	o->share = in->b->format == 2;
	o->allow_link = !copy;
	o->progress = cli_progress;
	if (surg_write(&plan, o, &res, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	if (json) {
		cJSON *j = surg_summary_json(o->out, &res);
		json_add_u64(j, "renamed", nrenamed);
		json_add_u64(j, "matched", c->r.npaired);
		json_add_u64(j, "targets", c->tgt.n);
		json_print(j, stdout);
		cJSON_Delete(j);
	} else {
		surg_summary(&msg, o->out, &res);
		printf("%s (%zu renamed; data %s)\n", (const char *)msg.p, nrenamed,
		       !res.shared ? "copied" : res.how == BW_SHARE_REFLINK ? "shared by reflink"
			: res.how == BW_SHARE_LINK ? "shared by hard link" : "copied");
	}
	status = EXIT_OK;
out:
	buf_release(&msg);
	surg_plan_release(&plan);
	return status;
}

enum { OPT_APPLY = 256, OPT_ONLY, OPT_FORMAT, OPT_MAP_OUT, OPT_COPY };

static const struct option opts[] = {
	{ "apply", no_argument, NULL, OPT_APPLY },
	{ "only-matched", no_argument, NULL, OPT_ONLY },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "map-out", required_argument, NULL, OPT_MAP_OUT },
	{ "copy", no_argument, NULL, OPT_COPY },
	{ "output", required_argument, NULL, 'o' },
	{ "force", no_argument, NULL, 'f' },
	{ "verify-data", no_argument, NULL, SURG_OPT_VERIFY },
	{ "update-state", no_argument, NULL, SURG_OPT_STATE },
	{ "no-sync", no_argument, NULL, SURG_OPT_NO_SYNC },
	{ "json", no_argument, NULL, SURG_OPT_JSON },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The command line of `ckpt match`. */
struct match_args {
	const char *format, *map_out;
	int do_apply, only, copy;
	struct surg_opts o;
	struct surg_cli cl;
};

/* The command line, checked; -1 to go on, else the exit status. */
static int match_parse(const struct cmd_entry *self, struct match_args *a, int argc, char **argv)
{
	const char *format;
	int ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, self->optstring, self->options, NULL)) != -1) {
		if (surg_common_option(ch, optarg, &a->o, &a->cl))
			continue;
		switch (ch) {
		case OPT_APPLY: a->do_apply = 1; break;
		case OPT_ONLY: a->only = 1; break;
		case OPT_FORMAT: a->format = optarg; break;
		case OPT_MAP_OUT: a->map_out = optarg; break;
		case OPT_COPY: a->copy = 1; break;
		case 'h': return cli_help(self);
		default: return cli_bad_option(self, argv);
		}
	}
	format = a->format;
	if (format && strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "python"))
		return cli_usage(self, "unknown --format '%s' (table, json or python)", format);
	if (format && !strcmp(format, "json"))
		a->cl.json = 1;
	if (a->cl.json && format && strcmp(format, "json"))
		return cli_usage(self, "--json and --format %s do not go together", format);
	if (argc - optind != 2)
		return cli_usage(self, argc - optind < 2 ? "expected a checkpoint and a target"
					: "expected a checkpoint and a target, got %d arguments",
				 argc - optind);
	if (a->do_apply && !a->cl.out)
		return cli_usage(self, "--apply needs -o OUT");
	if (!a->do_apply && (a->cl.out || a->only || a->copy || a->o.verify_data ||
			     a->o.update_state || a->o.no_sync))
		return cli_usage(self, "-o, --only-matched, --copy, --verify-data, --update-state "
				 "and --no-sync go with --apply");
	if (a->do_apply && format && strcmp(format, "json"))
		return cli_usage(self, "--apply prints a summary: --format %s does not go with it",
				 format);
	return -1;
}

/* Pair the source's tensors with the target's names, and give each its new name. */
static void match_pairs(struct ctx *c, struct surg_input *in)
{
	matchset_from_input(&c->src, in);
	match_run(c->tgt.items, c->tgt.n, c->src.items, c->src.n, &c->r);
	for (size_t s = 0; s < c->src.n; s++)
		if (c->r.tgt_of[s] == MATCH_NONE)
			c->left[c->r.kind[s]]++;
	c->names = xcalloc(c->src.n + 1, sizeof(*c->names));
	c->moved = xcalloc(c->src.n + 1, 1);
	match_new_names(c->tgt.items, c->tgt.n, c->src.items, c->src.n, &c->r, c->names, c->moved);
}

static int cmd_match(const struct cmd_entry *self, int argc, char **argv)
{
	struct ctx c;
	struct surg_input in = { 0 };
	struct match_args a = { 0 };
	struct ck_err err = { 0 };
	int status;

	memset(&c, 0, sizeof(c));
	if ((status = match_parse(self, &a, argc, argv)) >= 0)
		goto out;
	if ((status = cli_surg_input(&in, argv[optind])) >= 0)
		goto out;
	status = EXIT_TROUBLE;
	if (matchset_open_target(&c.tgt, argv[optind + 1], &err) < 0) {
		if (c.tgt.owns_in)
			cli_notes(&c.tgt.own.where.notes);
		status = cli_error(&err);
		goto out;
	}
	if (c.tgt.owns_in)
		cli_notes(&c.tgt.own.where.notes);
	/* The target is an input too: never written over. */
	if (a.do_apply && (surg_check_output(&a.cl.out, &in, 1, a.o.force, &err) < 0 ||
			   (c.tgt.owns_in &&
			    surg_check_output(&a.cl.out, &c.tgt.own, 1, a.o.force, &err) < 0))) {
		status = cli_error(&err);
		goto out;
	}
	match_pairs(&c, &in);
	if (a.map_out) {
		size_t n;
		if (write_map(&c, a.map_out, a.o.force, &n, &err) < 0) {
			status = cli_error(&err);
			goto out;
		}
	}
	if (a.do_apply) {
		a.o.out = a.cl.out;
		status = apply(&c, &a.o, a.only, a.cl.json, a.copy);
		if (status != EXIT_OK)
			goto out;
		if (c.r.npaired < c.tgt.n)
			cli_errorf("warning: %zu target %s not matched: a restore from %s will still miss %s "
				   "(see 'ckpt match %s %s')", c.tgt.n - c.r.npaired,
				   c.tgt.n - c.r.npaired == 1 ? "name is" : "names are", a.cl.out,
				   c.tgt.n - c.r.npaired == 1 ? "it" : "them", argv[optind],
				   argv[optind + 1]);
	} else if (a.cl.json) {
		print_json(&c);
	} else if (a.format && !strcmp(a.format, "python")) {
		print_python(&c);
	} else {
		print_table(&c);
	}
	status = cli_finish(c.r.npaired == c.tgt.n ? EXIT_OK : EXIT_DIFF);
out:
	if (c.names)
		for (size_t s = 0; s < c.src.n; s++)
			buf_release(&c.names[s]);
	free(c.names);
	free(c.moved);
	free(c.item_of);
	match_release(&c.r);
	matchset_release(&c.src);
	matchset_release(&c.tgt);
	surg_input_release(&in);
	free(a.cl.out);
	return status;
}

const struct cmd_entry cmd_match_entry = {
	.name = "match",
	.summary = "pair a target's names with a checkpoint's tensors; write the renames",
	.usage = usage,
	.optstring = ":o:fh",
	.options = opts,
	.exec = cmd_match,
};
