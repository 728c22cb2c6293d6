/* The rename engine: new names by rules or mapping rules, collisions, and the object graph
 * rewritten to match (rename.h). */
#include "edit/rename.h"

#include <stdlib.h>
#include <string.h>

#include "format/objgraph.h"
#include "format/table.h"
#include "edit/matchset.h"

/* Lists in messages stop growing past this many bytes (the message has a bounded length). */
#define LIST_MAX 4000

static int cmp_base(const void *a, const void *b)
{
	const struct rename_base *x = a, *y = b;
	int c = key_cmp(x->p, x->len, y->p, y->len);
	return c ? c : x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* The names of v[i..j), all equal: the full names among them fall back to their keys, listed
 * in m->kept. Returns 1 if one did. */
static int keep_keys(struct rename_map *m, const struct bundle *b, struct rename_base *v,
		     size_t i, size_t j)
{
	const uint8_t *shared = v[i].p;
	size_t shared_len = v[i].len;
	struct buf *msg = &m->kept;
	int again = 0;

	if (msg->len < LIST_MAX)
		buf_add(msg, "\n  ", 3);
	for (size_t k = i, first = 1; k < j; k++) {
		const struct bundle_entry *e = &b->entries[v[k].entry];
		if (!v[k].full)
			continue;
		m->nkept++;
		if (msg->len < LIST_MAX) {
			buf_add(msg, first ? "\"" : ", \"", first ? 1 : 3);
			buf_add_name_msg(msg, e->name, e->name_len);
			buf_addc(msg, '"');
		}
		first = 0;
		v[k] = m->base[v[k].entry] = (struct rename_base){ (const uint8_t *)e->name,
								   e->name_len, v[k].entry, 0, 1 };
		again = 1;
	}
	if (msg->len < LIST_MAX) {
		buf_add(msg, " -> \"", 5);
		buf_add_name_msg(msg, shared, shared_len);
		buf_addc(msg, '"');
	}
	return again;
}

/* Each entry's full name where the graph records one, except that full names equal to
 * another's (full name or kept key) fall back to the key. */
static void full_names(struct rename_map *m, const struct surg_input *in)
{
	const struct bundle *b = in->b;
	size_t nfull, n = 0;
	struct objgraph_name *fn = objgraph_full_names(in->graph, &nfull);
	struct rename_base *v = xcalloc(b->nentries + 1, sizeof(*v));
	int again = 1;

	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		const struct objgraph_name *f = objgraph_full_name(fn, nfull, e->name, e->name_len);
		if (e->is_slice || is_graph_key(e->name, e->name_len))
			continue;
		if (f)
			m->base[i] = (struct rename_base){ f->full, f->full_len, i, 1, 0 };
		v[n++] = m->base[i];
	}
	/* A fallback key may meet another full name: repeat until no two names are equal. */
	while (again) {
		again = 0;
		sort_array(v, n, sizeof(*v), cmp_base);
		for (size_t i = 0, j; i < n; i = j) {
			for (j = i + 1; j < n && !key_cmp(v[i].p, v[i].len, v[j].p, v[j].len); j++)
				;
			if (j - i >= 2)
				again |= keep_keys(m, b, v, i, j);
		}
	}
	free(v);
	free(fn);
}

int rename_map_init(struct rename_map *m, const struct surg_input *in, int full_names_,
		    struct ck_err *err)
{
	const struct bundle *b = in->b;

	memset(m, 0, sizeof(*m));
	m->n = b->nentries;
	m->full = full_names_;
	m->base = xcalloc(b->nentries + 1, sizeof(*m->base));
	m->names = xcalloc(b->nentries + 1, sizeof(*m->names));
	m->changed = xcalloc(b->nentries + 1, 1);
	m->dropped = xcalloc(b->nentries + 1, 1);
	for (size_t i = 0; i < b->nentries; i++)
		m->base[i] = (struct rename_base){ (const uint8_t *)b->entries[i].name,
						   b->entries[i].name_len, i, 0, 0 };
	if (full_names_ && !in->graph)
		return ck_error(err, CK_EUSAGE, in->graph_entry
				? "%s: --full-names: the object graph cannot be read (is a data "
				  "file missing?)"
				: "%s: --full-names: no TF2 object graph: the keys are the variable "
				  "names already", b->prefix);
	if (full_names_)
		full_names(m, in);
	return 0;
}

int rename_map_rules(struct rename_map *m, const struct surg_input *in, struct rules *r,
		     struct ck_err *err)
{
	const struct bundle *b = in->b;
	struct buf empty = BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < b->nentries && rc == 0; i++) {
		const struct bundle_entry *e = &b->entries[i];
		int how;
		if (e->is_slice || is_graph_key(e->name, e->name_len))
			continue;
		how = rules_apply(r, m->base[i].p, m->base[i].len, &m->names[i]);
		if (how == RULES_SAME && m->base[i].full) {
			buf_reset(&m->names[i]);
			buf_add(&m->names[i], m->base[i].p, m->base[i].len);
			how = RULES_RENAMED;
		}
		if (how == RULES_DROPPED) {
			if (empty.len < LIST_MAX) {
				buf_add(&empty, "\n  \"", 4);
				buf_add_name_msg(&empty, e->name, e->name_len);
				buf_addc(&empty, '"');
			}
			continue;
		}
		if (how == RULES_RENAMED && is_graph_key(m->names[i].p, m->names[i].len)) {
			struct buf shown = BUF_INIT;
			buf_add_name_msg(&shown, e->name, e->name_len);
			rc = ck_error(err, CK_EUSAGE, "\"%s\" would be renamed to %s, the object graph's "
				      "own key", (const char *)shown.p, OBJECT_GRAPH_KEY);
			buf_release(&shown);
			break;
		}
		m->changed[i] = how == RULES_RENAMED;
		m->nchanged += m->changed[i];
	}
	if (rc == 0 && empty.len)
		rc = ck_error(err, CK_EUSAGE, "the rules leave these names empty:%s",
			      (const char *)empty.p);
	buf_release(&empty);
	return rc;
}

int rename_map_maprules(struct rename_map *m, struct surg_input *in, struct maprules *mr,
			struct ck_err *err)
{
	struct matchset ms = { 0 };
	struct maprules_out o;
	size_t un[64], nun;
	int rc = 0;

	for (size_t i = 0; i < mr->n; i++)
		if (mr->v[i].kind == MR_TRANSPOSE || mr->v[i].kind == MR_CAST || mr->v[i].kind == MR_SPLIT)
			return ck_error(err, CK_EUSAGE, "%s: '%s': rename never changes data (use "
					"'ckpt export --rules')", mr->v[i].where, mr->v[i].text);
	matchset_from_input(&ms, in);
	maprules_out_init(&o);
	for (size_t k = 0; k < ms.n && rc == 0; k++) {
		const struct bundle_entry *e = ms.entries[k];
		size_t i = (size_t)(e - in->b->entries);
		rc = maprules_apply(mr, e->name, e->name_len, (const char *)ms.items[k].full,
				    ms.items[k].full_len, e->dtype, e->rank, e->dims, &o, err);
		if (rc < 0)
			break;
		if (o.dropped) {
			m->dropped[i] = 1;
			continue;
		}
		if (!o.accounted && m->nproblems++ < 20) {
			buf_add(&m->problems, "\n  \"", 4);
			buf_add_name_msg(&m->problems, e->name, e->name_len);
			buf_add(&m->problems, "\": no rule accounts for it", 26);
		}
		buf_add(&m->names[i], o.name.p, o.name.len);
		m->changed[i] = o.name.len != e->name_len || memcmp(o.name.p, e->name, e->name_len);
		m->nchanged += m->changed[i];
	}
	if (rc == 0) {
		nun = maprules_unmatched(mr, un, 64);
		for (size_t i = 0; i < nun && i < 64; i++) {
			buf_addf(&m->problems, "\n  %s: rule '%s' matches no tensor", mr->v[un[i]].where,
				 mr->v[un[i]].text);
			m->nproblems++;
		}
	}
	maprules_out_release(&o);
	matchset_release(&ms);
	return rc;
}

int rename_map_plan(const struct rename_map *m, const struct surg_input *in,
		    struct surg_plan *plan, struct ck_err *err)
{
	const struct bundle *b = in->b;
	struct buf msg = BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		if (e->is_slice || is_graph_key(e->name, e->name_len) || m->dropped[i])
			continue;
		if (m->changed[i])
			surg_plan_add(plan, 0, e, m->names[i].p, m->names[i].len);
		else
			surg_plan_add(plan, 0, e, e->name, e->name_len);
	}
	buf_add(&msg, "", 0);
	if (surg_plan_sort(plan, surg_collision_msg, &msg))
		rc = ck_error(err, CK_EUSAGE, "these renames collide (two tensors would get one "
			      "name):%s", (const char *)msg.p);
	buf_release(&msg);
	return rc;
}

/* The objgraph callbacks' view of a rename. */
struct graph_ctx {
	const struct bundle *b;
	const struct rename_map *m;
};

/* objgraph_drop callback: keys of tensors the rules keep. */
static int graph_keep(void *ctx, const uint8_t *key, size_t len)
{
	struct graph_ctx *c = ctx;
	const struct bundle_entry *e = bundle_find(c->b, key, len);

	return !e || !c->m->dropped[e - c->b->entries];
}

/* objgraph_rename callback: the new key of a renamed tensor. */
static int graph_key(void *ctx, const uint8_t *key, size_t len, struct buf *out)
{
	struct graph_ctx *c = ctx;
	const struct bundle_entry *e = bundle_find(c->b, key, len);
	size_t i;

	if (!e)
		return 0;
	i = (size_t)(e - c->b->entries);
	if (!c->m->changed[i])
		return 0;
	buf_add(out, c->m->names[i].p, c->m->names[i].len);
	return 1;
}

void rename_map_graph(const struct rename_map *m, struct surg_input *in, struct surg_plan *plan)
{
	struct graph_ctx c = { in->b, m };
	size_t ndropped;

	if (!in->graph_entry || m->full)
		return;
	ndropped = in->graph ? objgraph_drop(in->graph, graph_keep, &c) : 0;
	surg_plan_graph(plan, in,
			in->graph && (objgraph_rename(in->graph, graph_key, &c) || ndropped));
	if (!plan->graph)
		surg_plan_sort(plan, NULL, NULL);
}

void rename_map_release(struct rename_map *m)
{
	if (m->names)
		for (size_t i = 0; i < m->n; i++)
			buf_release(&m->names[i]);
	free(m->names);
	free(m->base);
	free(m->changed);
	free(m->dropped);
	buf_release(&m->kept);
	buf_release(&m->problems);
	memset(m, 0, sizeof(*m));
}
