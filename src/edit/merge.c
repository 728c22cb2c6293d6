/* The merge engine: candidates, conflicts and object graphs of several inputs (merge.h). */
#include "edit/merge.h"

#include <stdlib.h>
#include <string.h>

#include "format/dtype.h"
#include "format/objgraph.h"
#include "format/table.h"

/* Lists in messages stop growing past this many bytes (the message has a bounded length). */
#define LIST_MAX 4000

static int cmp_cand(const void *a, const void *b)
{
	const struct merge_cand *x = a, *y = b;
	int c = key_cmp(x->name.p, x->name.len, y->name.p, y->name.len);
	if (c)
		return c;
	return x->input < y->input ? -1 : x->input > y->input;
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

/* a[0, na) and a[na, n), each sorted, into one sorted run through tmp (the left one first on
 * a tie: candidates of one name stay in input order). */
static void merge_two(struct merge_cand *a, size_t na, size_t n, struct merge_cand *tmp)
{
	size_t i = 0, j = na, k = 0;

	while (i < na && j < n)
		tmp[k++] = cmp_cand(&a[j], &a[i]) < 0 ? a[j++] : a[i++];
	while (i < na)
		tmp[k++] = a[i++];
	/* What is left of the right run is in place already. */
	memcpy(a, tmp, k * sizeof(*a));
}

/* Every input's candidates are one run, in key order as its index keeps them (a --prefix keeps
 * the order too): the runs are merged, two at a time, not sorted anew (a qsort of 110 000 names
 * was a tenth of a merge, all of it before the copy can start). start[i] is where input i's
 * run begins; start[nin] == m->ncand. */
static void merge_sorted_runs(struct merge_plan *m, size_t *start)
{
	struct merge_cand *tmp;
	size_t nruns = m->nin;

	for (size_t i = 0; i < m->nin; i++)  /* one pass each when in order, as they should be */
		sort_array(m->cands + start[i], start[i + 1] - start[i], sizeof(*m->cands), cmp_cand);
	if (nruns < 2)
		return;
	tmp = xmalloc_huge(m->ncand * sizeof(*tmp) + 1);
	while (nruns > 1) {
		size_t k = 0;
		for (size_t i = 0; i < nruns; i += 2) {
			if (i + 1 < nruns)
				merge_two(m->cands + start[i], start[i + 1] - start[i],
					  start[i + 2] - start[i], tmp);
			start[k++] = start[i];
		}
		start[k] = m->ncand;
		nruns = k;
	}
	xfree_huge(tmp, m->ncand * sizeof(*tmp) + 1);
}

/* Every tensor under its new name, sorted; the object graphs are handled apart. */
static void merge_candidates(struct merge_plan *m)
{
	size_t n = 0, *start = xcalloc(m->nin + 1, sizeof(*start));

	for (size_t i = 0; i < m->nin; i++)
		n += m->in[i].b->ntensors;
	/* Huge pages: megabytes (100 000 tensors) of 4 KiB faults were a tenth of a merge. */
	m->cand_cap = n + 1;
	m->cands = xmalloc_huge(m->cand_cap * sizeof(*m->cands));
	for (size_t i = 0; i < m->nin; i++) {
		start[i] = m->ncand;
		for (size_t k = 0; k < m->in[i].b->nentries; k++) {
			const struct bundle_entry *e = &m->in[i].b->entries[k];
			struct merge_cand *x;
			if (e->is_slice || (m->ngraphs && is_graph_key(e->name, e->name_len)))
				continue;
			x = &m->cands[m->ncand++];
			x->drop = 0;
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
	}
	start[m->nin] = m->ncand;
	merge_sorted_runs(m, start);
	free(start);
}

/* Names in several inputs: counted, listed in m->conflicts, and all but the winner dropped. */
static void merge_conflicts(struct merge_plan *m)
{
	struct merge_cand *cands = m->cands;

	for (size_t i = 0; i < m->ncand;) {
		size_t j = i + 1;
		while (j < m->ncand && !key_cmp(cands[i].name.p, cands[i].name.len, cands[j].name.p,
						cands[j].name.len))
			j++;
		if (j - i > 1) {
			m->nconf++;
			if (m->conflicts.len < LIST_MAX) {
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
				cands[k].drop = m->on == MERGE_ON_FIRST ? k != i : k != j - 1;
		}
		i = j;
	}
}

/* The local names of the TF2 inputs' roots under the new root, into local[]. */
static int merge_graph_names(struct merge_plan *m, struct buf *local, struct ck_err *err)
{
	size_t k = 0;

	for (size_t i = 0; i < m->nin; i++) {
		if (!m->in[i].graph_entry)
			continue;
		if (!m->in[i].graph)
			return ck_error(err, CK_ECORRUPT, "%s: the object graph cannot be read (its data "
					"file is missing)", m->in[i].arg);
		if (graph_child_name(m->in[i].name_prefix, &local[k]) < 0)
			return ck_error(err, CK_EUSAGE, "%s: a TF2 checkpoint; give it --prefix NAME/ "
					"(NAME without '/' or '.') so that its object graph can go "
					"under a new root as NAME", m->in[i].arg);
		for (size_t j = 0; j < k; j++)
			if (!strcmp((const char *)local[j].p, (const char *)local[k].p))
				return ck_error(err, CK_EUSAGE, "two TF2 inputs with --prefix %s: their "
						"object graphs would share one name",
						m->in[i].name_prefix);
		k++;
	}
	return 0;
}

/* TF2: one graph without a prefix is kept as it is; otherwise all go under a new root, their
 * keys prefixed. */
static int merge_graphs(struct merge_plan *m, struct surg_plan *plan, struct ck_err *err)
{
	objgraph **gs;
	const char **names;
	struct buf *local;
	size_t k = 0;
	int rc;

	for (size_t i = 0; i < m->nin; i++)
		if (m->ngraphs == 1 && m->in[i].graph_entry && !m->in[i].name_prefix) {
			surg_plan_add(plan, i, m->in[i].graph_entry, OBJECT_GRAPH_KEY,
				      sizeof(OBJECT_GRAPH_KEY) - 1);
			m->ngraphs = 0;
		}
	if (!m->ngraphs)
		return 0;
	gs = xcalloc(m->ngraphs, sizeof(*gs));
	names = xcalloc(m->ngraphs, sizeof(*names));
	local = xcalloc(m->ngraphs, sizeof(*local));
	rc = merge_graph_names(m, local, err);
	for (size_t i = 0; !rc && i < m->nin; i++) {
		if (!m->in[i].graph_entry)
			continue;
		objgraph_rename(m->in[i].graph, add_prefix_key, (void *)m->in[i].name_prefix);
		names[k] = (const char *)local[k].p;
		gs[k++] = m->in[i].graph;
	}
	if (!rc)
		plan->graph = objgraph_combine(gs, names, k);
	for (size_t j = 0; j < m->ngraphs; j++)
		buf_release(&local[j]);
	free(local);
	free(names);
	free(gs);
	return rc;
}

int merge_plan_build(struct merge_plan *m, struct surg_plan *plan, struct ck_err *err)
{
	int rc;

	m->ngraphs = 0;
	for (size_t i = 0; i < m->nin; i++)
		m->ngraphs += m->in[i].graph_entry != NULL;
	merge_candidates(m);
	merge_conflicts(m);
	if (m->nconf && m->on == MERGE_ON_ERROR)
		return ck_error(err, CK_EUSAGE, "%zu name%s in several inputs (use --on-conflict "
				"first|last to choose):%s", m->nconf, m->nconf == 1 ? " is" : "s are",
				m->conflicts.p ? (const char *)m->conflicts.p : "");
	for (size_t i = 0; i < m->ncand; i++)
		if (!m->cands[i].drop)
			surg_plan_add(plan, m->cands[i].input, m->cands[i].e, m->cands[i].name.p,
				      m->cands[i].name.len);
	rc = merge_graphs(m, plan, err);
	if (rc == 0)
		surg_plan_sort(plan, NULL, NULL);
	return rc;
}

void merge_plan_release(struct merge_plan *m)
{
	pool_release(&m->names);
	xfree_huge(m->cands, m->cand_cap * sizeof(*m->cands));
	m->cands = NULL;
	m->cand_cap = 0;
	m->ncand = 0;
	buf_release(&m->conflicts);
}
