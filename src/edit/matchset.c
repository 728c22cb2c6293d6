/* The sides of `ckpt match`: names, dtypes and shapes from checkpoints, graphs, safetensors
 * headers and names files. */
#include <string.h>

#include <cjson/cJSON.h>

#include "store/file.h"
#include "format/dtype.h"
#include "format/objgraph.h"
#include "format/table.h"
#include "edit/matchset.h"

/* A names file is a list, not data: refuse anything larger. */
#define NAMES_MAX_BYTES (256u << 20)
#define NAMES_MAX_RANK 64

const char *matchset_kind_name(enum matchset_kind k)
{
	static const char *const names[] = { "checkpoint", "graph", "safetensors", "names" };
	return names[k];
}

static void *keep(struct matchset *m, void *p)
{
	m->blocks = xreallocarray(m->blocks, m->nblocks + 1, sizeof(*m->blocks));
	m->blocks[m->nblocks++] = p;
	return p;
}

static struct match_item *add_item(struct matchset *m, size_t *cap)
{
	if (m->n == *cap) {
		*cap = *cap ? 2 * *cap : 16;
		m->items = xreallocarray(m->items, *cap, sizeof(*m->items));
	}
	memset(&m->items[m->n], 0, sizeof(m->items[0]));
	return &m->items[m->n++];
}

/* ---- a checkpoint ---- */

void matchset_from_input(struct matchset *m, struct surg_input *in)
{
	size_t nfull, cap = 0;
	struct objgraph_name *fn = objgraph_full_names(in->graph, &nfull);
	const struct bundle *b = in->b;

	m->kind = MS_CHECKPOINT;
	m->in = in;
	if (!m->path)
		m->path = xstrdup(b->prefix);
	m->entries = xcalloc(b->nentries + 1, sizeof(*m->entries));
	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		const struct objgraph_name *f;
		struct match_item *it;
		if (e->is_slice || is_graph_key(e->name, e->name_len))
			continue;
		m->entries[m->n] = e;
		it = add_item(m, &cap);
		it->name = (const uint8_t *)e->name;
		it->len = e->name_len;
		it->dtype = e->dtype;
		it->rank = e->rank;
		it->dims = e->dims;
		f = objgraph_full_name(fn, nfull, e->name, e->name_len);
		if (f) {
			it->full = f->full;
			it->full_len = f->full_len;
		}
	}
	free(fn);
}

/* ---- a graph ---- */

static const struct graph_restore *g_sort_restores;  /* qsort has no context argument */

static int cmp_restore_idx(const void *a, const void *b)
{
	const struct graph_restore *x = &g_sort_restores[*(const size_t *)a];
	const struct graph_restore *y = &g_sort_restores[*(const size_t *)b];
	int c = key_cmp(x->key, x->key_len, y->key, y->key_len);
	return c ? c : (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

void matchset_from_graph(struct matchset *m, const struct graph_meta *g)
{
	size_t cap = 0, *ord = xcalloc(g->nrestores + 1, sizeof(*ord));
	unsigned char *dup = xcalloc(g->nrestores + 1, 1);

	m->kind = MS_GRAPH;
	/* A partitioned variable is restored once per part: one name, the first. Sorted, so
	 * that a graph of 10^5 keys costs no 10^10 comparisons. */
	for (size_t i = 0; i < g->nrestores; i++)
		ord[i] = i;
	g_sort_restores = g->restores;
	sort_array(ord, g->nrestores, sizeof(*ord), cmp_restore_idx);
	for (size_t i = 1; i < g->nrestores; i++) {
		const struct graph_restore *a = &g->restores[ord[i - 1]], *b = &g->restores[ord[i]];
		dup[ord[i]] = !key_cmp(a->key, a->key_len, b->key, b->key_len);
	}
	for (size_t i = 0; i < g->nrestores; i++) {
		const struct graph_restore *r = &g->restores[i];
		struct match_item *it;
		if (dup[i])
			continue;
		it = add_item(m, &cap);
		it->name = r->key;
		it->len = r->key_len;
		it->dtype = r->dtype > 0 ? r->dtype : 0;
		it->rank = r->shape.rank;
		it->dims = r->shape.dims;
	}
	free(ord);
	free(dup);
}

static int from_graph(struct matchset *m, const char *arg, struct ck_err *err)
{
	int rc = graph_open(&m->g, arg, err);

	if (rc < 0)
		return rc;
	m->path = xstrdup(m->g->path);
	if (!m->g->nmetas)
		return ck_error(err, CK_EKIND, "%s: no meta graph in it", m->g->path);
	matchset_from_graph(m, &m->g->metas[0]);
	return 0;
}

/* ---- a safetensors header ---- */

static int from_safetensors(struct matchset *m, const char *arg, struct ck_err *err)
{
	size_t cap = 0;
	int rc = safetensors_open(&m->st, arg, err);

	if (rc < 0)
		return rc;
	m->kind = MS_SAFETENSORS;
	m->path = xstrdup(arg);
	for (size_t i = 0; i < m->st->n; i++) {
		struct match_item *it = add_item(m, &cap);
		it->name = (const uint8_t *)m->st->t[i].name;
		it->len = strlen(m->st->t[i].name);
		it->dtype = m->st->t[i].dtype;
		it->rank = m->st->t[i].rank;
		it->dims = m->st->t[i].dims;
	}
	return 0;
}

/* ---- a names file ---- */

/* "[784,128]", "[]", "[?,10]", "[None, 10]": 0, or -1 if s is no shape. */
static int parse_shape(struct matchset *m, const char *s, size_t n, struct match_item *it)
{
	int64_t dims[NAMES_MAX_RANK];
	size_t i = 1;
	int rank = 0;

	if (n < 2 || s[0] != '[' || s[n - 1] != ']')
		return -1;
	n--;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (i < n) {
		int64_t d = 0;
		if (rank == NAMES_MAX_RANK)
			return -1;
		if (s[i] == '?' || s[i] == '-') {
			d = -1;
			i += s[i] == '-' && i + 1 < n && s[i + 1] == '1' ? 2 : 1;
		} else if (n - i >= 4 && !memcmp(s + i, "None", 4)) {
			d = -1;
			i += 4;
		} else if (s[i] >= '0' && s[i] <= '9') {
			for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
				if (d > (INT64_MAX - 9) / 10)
					return -1;
				d = d * 10 + (s[i] - '0');
			}
		} else {
			return -1;
		}
		dims[rank++] = d;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < n && s[i] != ',')
			return -1;
		if (i < n)
			i++;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
	}
	it->rank = rank;
	it->dims = keep(m, xmemdup(dims, (size_t)rank * sizeof(int64_t) + 1));
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One line: "name [dtype] [shape]", the name allowed to hold spaces. */
static int names_line(struct matchset *m, const char *s, size_t n, size_t *cap)
{
	struct match_item it = { 0 };
	size_t end;

	it.rank = -1;
	while (n && is_space(s[n - 1]))
		n--;
	while (n && is_space(*s))
		s++, n--;
	if (!n || *s == '#')
		return 0;
	if (s[n - 1] == ']') {
		size_t k = n;
		while (k > 0 && s[k - 1] != '[')
			k--;
		if (k > 1 && is_space(s[k - 2]) && parse_shape(m, s + k - 1, n - k + 1, &it) == 0) {
			n = k - 1;
			while (n && is_space(s[n - 1]))
				n--;
		}
	}
	end = n;
	while (end && !is_space(s[end - 1]))
		end--;
	if (end) {
		char word[64];
		size_t wl = n - end;
		if (wl < sizeof(word)) {
			memcpy(word, s + end, wl);
			word[wl] = 0;
			it.dtype = dtype_from_name(word);
			if (it.dtype > 0) {
				n = end;
				while (n && is_space(s[n - 1]))
					n--;
			} else {
				it.dtype = 0;
			}
		}
	}
	if (!n || is_graph_key(s, n))
		return 0;
	it.name = keep(m, xmemdup(s, n));
	it.len = n;
	*add_item(m, cap) = it;
	return 0;
}

static int names_json_item(struct matchset *m, const cJSON *x, size_t *cap)
{
	struct match_item it = { 0 };
	const cJSON *name = cJSON_IsString(x) ? x : cJSON_GetObjectItemCaseSensitive(x, "name");
	const cJSON *dt = cJSON_GetObjectItemCaseSensitive(x, "dtype");
	const cJSON *sh = cJSON_GetObjectItemCaseSensitive(x, "shape");

	if (!cJSON_IsString(name))
		return -1;
	it.rank = -1;
	if (cJSON_IsString(dt) && (it.dtype = dtype_from_name(dt->valuestring)) < 0)
		it.dtype = 0;
	if (cJSON_IsArray(sh)) {
		int rank = cJSON_GetArraySize(sh), k = 0;
		int64_t *dims;
		const cJSON *d;
		if (rank > NAMES_MAX_RANK)
			return -1;
		dims = keep(m, xcalloc((size_t)rank + 1, sizeof(*dims)));
		cJSON_ArrayForEach(d, sh)
			dims[k++] = cJSON_IsNumber(d) && d->valuedouble >= 0 && d->valuedouble < 9e18
				    ? (int64_t)d->valuedouble : -1;
		it.rank = rank;
		it.dims = dims;
	}
	if (is_graph_key(name->valuestring, strlen(name->valuestring)))
		return 0;
	it.name = (const uint8_t *)keep(m, xstrdup(name->valuestring));
	it.len = strlen(name->valuestring);
	*add_item(m, cap) = it;
	return 0;
}

static int names_json(struct matchset *m, const char *path, const char *text, size_t n,
		      struct ck_err *err)
{
	cJSON *root = cJSON_ParseWithLength(text, n), *list, *x;
	size_t cap = 0, i = 0;
	int rc = 0;

	if (!root)
		return ck_error(err, CK_ECORRUPT, "%s: not valid JSON", path);
	list = cJSON_IsArray(root) ? root : cJSON_GetObjectItemCaseSensitive(root, "tensors");
	if (!cJSON_IsArray(list))
		rc = ck_error(err, CK_EKIND, "%s: JSON without a \"tensors\" list (expected the "
			      "output of 'ckpt list --json', or an array of names)", path);
	if (rc)
		list = NULL;
	cJSON_ArrayForEach(x, list) {
		if (names_json_item(m, x, &cap) < 0) {
			rc = ck_error(err, CK_ECORRUPT, "%s: tensor %zu: no \"name\" string, or a "
				      "shape of more than %d dimensions", path, i, NAMES_MAX_RANK);
			break;
		}
		i++;
	}
	cJSON_Delete(root);
	return rc;
}

int matchset_parse_names(struct matchset *m, const char *path, const char *text, size_t n,
			 struct ck_err *err)
{
	size_t i = 0, cap = 0;

	m->kind = MS_NAMES;
	if (!m->path)
		m->path = xstrdup(path);
	while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r'))
		i++;
	if (i < n && (text[i] == '{' || text[i] == '['))
		return names_json(m, path, text, n, err);
	if (memchr(text, 0, n))
		return ck_error(err, CK_EKIND, "%s: a binary file, not a names list (one \"name "
				"[dtype] [shape]\" a line)", path);
	for (i = 0; i < n;) {
		const char *nl = memchr(text + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - text) - i : n - i;
		names_line(m, text + i, len, &cap);
		i += len + 1;
	}
	return 0;
}

static int from_names(struct matchset *m, const char *arg, struct ck_err *err)
{
	int rc = ck_store_read_all(arg, NAMES_MAX_BYTES, &m->text, err);

	if (rc == CK_EUSAGE)  /* over the cap */
		return ck_error(err, CK_EUNSUP, "%s: too large for a names list", arg);
	if (rc < 0)
		return rc;
	return matchset_parse_names(m, arg, (const char *)m->text.p, m->text.len, err);
}

/* ---- which kind ---- */

static int exists(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct ck_stat st;
	int rc = ck_store_stat(p, &st, NULL) == 0 && st.kind != CK_STORE_MISSING;
	free(p);
	return rc;
}

static int from_checkpoint(struct matchset *m, const char *arg, struct ck_err *err)
{
	int rc;

	m->owns_in = 1;
	rc = surg_input_open(&m->own, arg, err);
	if (rc < 0)
		return rc;
	matchset_from_input(m, &m->own);
	return 0;
}

int matchset_open_target(struct matchset *m, const char *arg, struct ck_err *err)
{
	struct ck_stat st;
	const char *base = path_base(arg);

	memset(m, 0, sizeof(*m));
	if (has_suffix(arg, ".safetensors"))
		return from_safetensors(m, arg, err);
	if (has_suffix(arg, ".meta") || !strcmp(base, "saved_model.pb"))
		return from_graph(m, arg, err);
	if (ck_store_stat(arg, &st, NULL) < 0)
		st.kind = CK_STORE_MISSING;
	if (st.kind == CK_STORE_FOLDER && exists(arg, "saved_model.pb")) {
		if (exists(arg, "variables/variables.index")) {
			char *v = xasprintf("%s/variables/variables", arg);
			int rc = from_checkpoint(m, v, err);
			free(v);
			return rc;
		}
		return from_graph(m, arg, err);
	}
	if (st.kind == CK_STORE_FILE && !has_suffix(arg, ".index") &&
	    !strstr(base, ".data-") && strcmp(base, "checkpoint"))
		return from_names(m, arg, err);
	return from_checkpoint(m, arg, err);
}

void matchset_release(struct matchset *m)
{
	if (!m)
		return;
	if (m->owns_in)
		surg_input_release(&m->own);
	graph_free(m->g);
	if (m->st)
		safetensors_close(m->st);
	for (size_t i = 0; i < m->nblocks; i++)
		free(m->blocks[i]);
	free(m->blocks);
	buf_release(&m->text);
	free(m->items);
	free(m->entries);
	free(m->path);
	memset(m, 0, sizeof(*m));
}
