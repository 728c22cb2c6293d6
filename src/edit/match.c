/* The matching engine of `ckpt match`: target names paired with checkpoint tensors, by rules
 * of decreasing certainty (match.h). */
#include <string.h>

#include "base/util.h"
#include "format/table.h"
#include "edit/match.h"

/* Candidates a target may list per rule; beyond this a name is too common to decide on. */
#define CAND_CAP 32
/* Longest name the edit distance looks at (longer tails are compared by length only). */
#define DIST_MAX 200

static const char VARIABLE_VALUE[] = "/.ATTRIBUTES/VARIABLE_VALUE";

/* Leaf names that mean the same thing in different APIs, the canonical one first. */
static const char *const synonyms[][5] = {
	{ "kernel", "weights", "weight", "W", "w" },
	{ "bias", "biases", "b", NULL },
	{ "gamma", "scale", NULL },
	{ "beta", "offset", NULL },
	{ "moving_mean", "running_mean", "mean", NULL },
	{ "moving_variance", "running_var", "variance", NULL },
	{ "embeddings", "embedding", "embedding_table", NULL },
};

/* Per item: the name compared (full name, or the key without its TF2 attribute suffix) and
 * the same with its leaf made canonical. */
struct norm {
	const uint8_t *base;
	size_t base_len, base_leaf;  /* base_leaf: offset of the last component */
	char *s;                     /* canonical form (owned) */
	size_t len;
	enum match_kind kind;
};

const char *match_how_name(enum match_how how)
{
	static const char *const names[] = { "", "exact", "full name", "rewrite", "shape",
					     "similar", "order" };
	return names[how];
}

static int eq(const uint8_t *p, size_t n, const char *s)
{
	return n == strlen(s) && !memcmp(p, s, n);
}

static size_t leaf_of(const uint8_t *p, size_t n)
{
	size_t i = n;
	while (i > 0 && p[i - 1] != '/')
		i--;
	return i;
}

enum match_kind match_kind_of(const uint8_t *name, size_t len)
{
	static const char *const slots[] = { "Adam", "Adam_1", "Momentum", "RMSProp", "RMSProp_1",
					     "Adagrad", "Ftrl", "Ftrl_1", "Adadelta", "Adadelta_1",
					     "ExponentialMovingAverage" };
	size_t leaf;

	if (mem_has_suffix(name, len, VARIABLE_VALUE))
		len -= sizeof(VARIABLE_VALUE) - 1;
	leaf = leaf_of(name, len);
	if (eq(name, len, "global_step") || eq(name, len, "save_counter") || eq(name, len, "step") ||
	    eq(name + leaf, len - leaf, "iter") || eq(name + leaf, len - leaf, "global_step"))
		return MATCH_COUNTER;
	if (memmem(name, len, "/.OPTIMIZER_SLOT/", 17) || (len >= 10 && !memcmp(name, "optimizer/", 10)) ||
	    eq(name, len, "beta1_power") || eq(name, len, "beta2_power"))
		return MATCH_SLOT;
	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
		if (leaf && eq(name + leaf, len - leaf, slots[i]))
			return MATCH_SLOT;
	return MATCH_VARIABLE;
}

int match_compatible(const struct match_item *a, const struct match_item *b)
{
	if (a->dtype > 0 && b->dtype > 0 && a->dtype != b->dtype)
		return 0;
	if (a->rank < 0 || b->rank < 0)
		return 1;
	if (a->rank != b->rank)
		return 0;
	for (int i = 0; i < a->rank; i++)
		if (a->dims[i] >= 0 && b->dims[i] >= 0 && a->dims[i] != b->dims[i])
			return 0;
	return 1;
}

static void norm_init(struct norm *n, const struct match_item *it)
{
	struct buf b = BUF_INIT;
	const char *leaf;
	size_t leaf_len;

	if (it->full && it->full_len) {
		n->base = it->full, n->base_len = it->full_len;
	} else {
		n->base = it->name, n->base_len = it->len;
		if (mem_has_suffix(it->name, it->len, VARIABLE_VALUE) &&
		    it->len > sizeof(VARIABLE_VALUE) - 1)
			n->base_len -= sizeof(VARIABLE_VALUE) - 1;
	}
	n->base_leaf = leaf_of(n->base, n->base_len);
	leaf = (const char *)n->base + n->base_leaf;
	leaf_len = n->base_len - n->base_leaf;
	for (size_t i = 0; i < sizeof(synonyms) / sizeof(synonyms[0]); i++)
		for (size_t k = 0; k < 5 && synonyms[i][k]; k++)
			if (eq((const uint8_t *)leaf, leaf_len, synonyms[i][k])) {
				leaf = synonyms[i][0];
				leaf_len = strlen(leaf);
				goto found;
			}
found:
	buf_add(&b, n->base, n->base_leaf);
	buf_add(&b, leaf, leaf_len);
	n->s = buf_detach(&b, &n->len);
	n->kind = match_kind_of(it->name, it->len);
}

/* ---- the state of one run ---- */

/* One side's items indexed by kind, dtype and shape (those fully known), and the rest. */
struct shape_index {
	size_t *ord, n;      /* fully known, sorted by shape_key */
	size_t *wild, nwild; /* some dtype, rank or size unknown */
};

struct run {
	const struct match_item *tgt, *src;
	size_t nt, ns;
	struct norm *tn, *sn;
	struct match_result *r;
	struct shape_index ti, si;
};

static int t_alive(const struct run *x, size_t t) { return x->r->t[t].src == MATCH_NONE; }
static int s_alive(const struct run *x, size_t s) { return x->r->tgt_of[s] == MATCH_NONE; }

static void pair(struct run *x, size_t t, size_t s, enum match_how how)
{
	x->r->t[t].src = s;
	x->r->t[t].how = how;
	x->r->tgt_of[s] = t;
	x->r->npaired++;
}

/* ---- exact: by sorted base name ---- */

static const struct norm *g_sort_norm;  /* qsort has no context argument */

static int cmp_base(const void *a, const void *b)
{
	const struct norm *x = &g_sort_norm[*(const size_t *)a], *y = &g_sort_norm[*(const size_t *)b];
	int c = key_cmp(x->base, x->base_len, y->base, y->base_len);
	return c ? c : (*(const size_t *)a > *(const size_t *)b) - (*(const size_t *)a < *(const size_t *)b);
}

static const struct match_item *g_sort_items;  /* qsort has no context argument */

static int cmp_key(const void *a, const void *b)
{
	const struct match_item *x = &g_sort_items[*(const size_t *)a];
	const struct match_item *y = &g_sort_items[*(const size_t *)b];
	return key_cmp(x->name, x->len, y->name, y->len);
}

/* The very same key first: a target whose full name others share (Keras metrics' "count")
 * still finds the tensor stored under its own key. */
static void same_keys(struct run *x, size_t *ord)
{
	for (size_t s = 0; s < x->ns; s++)
		ord[s] = s;
	g_sort_items = x->src;
	sort_array(ord, x->ns, sizeof(*ord), cmp_key);
	for (size_t t = 0; t < x->nt; t++) {
		size_t lo = 0, hi = x->ns;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const struct match_item *m = &x->src[ord[mid]];
			if (key_cmp(m->name, m->len, x->tgt[t].name, x->tgt[t].len) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < x->ns && !key_cmp(x->src[ord[lo]].name, x->src[ord[lo]].len, x->tgt[t].name,
					   x->tgt[t].len) &&
		    s_alive(x, ord[lo]) && match_compatible(&x->tgt[t], &x->src[ord[lo]]))
			pair(x, t, ord[lo], MATCH_EXACT);
	}
}

static void rule_exact(struct run *x)
{
	size_t *ord = xcalloc(x->ns + 1, sizeof(*ord));

	same_keys(x, ord);

	for (size_t s = 0; s < x->ns; s++)
		ord[s] = s;
	g_sort_norm = x->sn;
	sort_array(ord, x->ns, sizeof(*ord), cmp_base);
	for (size_t t = 0; t < x->nt; t++) {
		const struct norm *tn = &x->tn[t];
		size_t lo = 0, hi = x->ns, found = MATCH_NONE, nfound = 0;
		if (!t_alive(x, t))
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const struct norm *m = &x->sn[ord[mid]];
			if (key_cmp(m->base, m->base_len, tn->base, tn->base_len) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t i = lo; i < x->ns; i++) {
			const struct norm *m = &x->sn[ord[i]];
			if (key_cmp(m->base, m->base_len, tn->base, tn->base_len))
				break;
			if (!s_alive(x, ord[i]))
				continue;
			if (match_compatible(&x->tgt[t], &x->src[ord[i]])) {
				nfound++;
				/* The very same key wins over a full-name equal. */
				if (found == MATCH_NONE || (x->src[ord[i]].len == x->tgt[t].len &&
				    !memcmp(x->src[ord[i]].name, x->tgt[t].name, x->tgt[t].len)))
					found = ord[i];
			} else if (x->r->t[t].conflict == MATCH_NONE) {
				x->r->t[t].conflict = ord[i];
			}
		}
		if (found != MATCH_NONE && (nfound == 1 || (x->src[found].len == x->tgt[t].len &&
		    !memcmp(x->src[found].name, x->tgt[t].name, x->tgt[t].len)))) {
			int same = x->src[found].len == x->tgt[t].len &&
				   !memcmp(x->src[found].name, x->tgt[t].name, x->tgt[t].len);
			pair(x, t, found, same ? MATCH_EXACT : MATCH_FULL_NAME);
			x->r->t[t].conflict = MATCH_NONE;
		}
	}
	free(ord);
}

/* ---- rewrite: scopes and leaf synonyms ---- */

/* A component suffix of a checkpoint item's canonical name. */
struct tail {
	const char *p;
	size_t len;
	size_t src;
};

static int cmp_tail(const void *a, const void *b)
{
	const struct tail *x = a, *y = b;
	int c = key_cmp(x->p, x->len, y->p, y->len);
	return c ? c : (x->src > y->src) - (x->src < y->src);
}

/* A candidate pair and the rewrite it implies (prefixes of the two canonical names). */
struct cpair {
	size_t t, s;
	const char *from, *to;
	size_t from_len, to_len;
};

static int cmp_cpair(const void *a, const void *b)
{
	const struct cpair *x = a, *y = b;
	int c = key_cmp(x->from, x->from_len, y->from, y->from_len);
	if (!c)
		c = key_cmp(x->to, x->to_len, y->to, y->to_len);
	if (!c)
		c = (x->t > y->t) - (x->t < y->t);
	if (!c)
		c = (x->s > y->s) - (x->s < y->s);
	return c;
}

static int same_rewrite(const struct cpair *a, const struct cpair *b)
{
	return a->from_len == b->from_len && a->to_len == b->to_len &&
	       !memcmp(a->from, b->from, a->from_len) && !memcmp(a->to, b->to, a->to_len);
}

/* Every tail of every unpaired checkpoint item: "a/b/c", "b/c", "c". */
static struct tail *collect_tails(struct run *x, size_t *n)
{
	struct tail *v = NULL;
	size_t cap = 0;

	*n = 0;
	for (size_t s = 0; s < x->ns; s++) {
		const struct norm *m = &x->sn[s];
		if (!s_alive(x, s))
			continue;
		for (size_t i = 0; i <= m->len; i++) {
			if (i && (i == m->len || m->s[i - 1] != '/'))
				continue;
			if (i == m->len)
				break;
			if (*n == cap) {
				cap = cap ? 2 * cap : 64;
				v = xreallocarray(v, cap, sizeof(*v));
			}
			v[(*n)++] = (struct tail){ m->s + i, m->len - i, s };
		}
	}
	sort_array(v, *n, sizeof(*v), cmp_tail);
	return v;
}

/* For each unpaired target, the compatible checkpoint items sharing its longest tail. */
static struct cpair *candidate_pairs(struct run *x, const struct tail *tails, size_t ntails,
				     size_t *n)
{
	struct cpair *v = NULL;
	size_t cap = 0;

	*n = 0;
	for (size_t t = 0; t < x->nt; t++) {
		const struct norm *tn = &x->tn[t];
		if (!t_alive(x, t))
			continue;
		for (size_t i = 0; i < tn->len; i++) {
			size_t lo = 0, hi = ntails, found = 0;
			struct tail probe;
			if (i && tn->s[i - 1] != '/')
				continue;
			probe = (struct tail){ tn->s + i, tn->len - i, 0 };
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (cmp_tail(&tails[mid], &probe) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (size_t k = lo; k < ntails && found < CAND_CAP; k++) {
				const struct tail *tl = &tails[k];
				const struct norm *sn = &x->sn[tl->src];
				if (key_cmp(tl->p, tl->len, probe.p, probe.len))
					break;
				if (!match_compatible(&x->tgt[t], &x->src[tl->src]))
					continue;
				if (*n == cap) {
					cap = cap ? 2 * cap : 64;
					v = xreallocarray(v, cap, sizeof(*v));
				}
				v[(*n)++] = (struct cpair){ .t = t, .s = tl->src,
					.from = sn->s, .from_len = sn->len - tl->len,
					.to = tn->s, .to_len = i };
				found++;
			}
			if (found)
				break;  /* the longest shared tail only */
		}
	}
	sort_array(v, *n, sizeof(*v), cmp_cpair);
	return v;
}

/* Apply the rewrite of group g[0..n) (sorted by target): pairs where a target has one
 * candidate left, and that candidate serves no other target of the group. users is scratch,
 * one zero per checkpoint item, left zero. Returns the pairs made. */
static size_t apply_rewrite(struct run *x, const struct cpair *g, size_t n, size_t rw,
			    size_t *users)
{
	size_t made = 0;

	for (size_t k = 0; k < n; k++)
		users[g[k].s] += t_alive(x, g[k].t) && s_alive(x, g[k].s);
	for (size_t i = 0, j; i < n; i = j) {
		size_t t = g[i].t, s = MATCH_NONE, ns = 0;
		for (j = i; j < n && g[j].t == t; j++)
			if (s_alive(x, g[j].s))
				s = g[j].s, ns++;
		if (!t_alive(x, t) || ns != 1 || users[s] != 1)
			continue;
		pair(x, t, s, MATCH_REWRITE);
		x->r->t[t].rewrite = rw;
		x->r->t[t].leaf_renamed =
			key_cmp(x->tn[t].base + x->tn[t].base_leaf, x->tn[t].base_len - x->tn[t].base_leaf,
				x->sn[s].base + x->sn[s].base_leaf, x->sn[s].base_len - x->sn[s].base_leaf) != 0;
		made++;
	}
	for (size_t k = 0; k < n; k++)
		users[g[k].s] = 0;
	return made;
}

/* Distinct unpaired targets of a group (sorted by target) with an unpaired candidate. */
static size_t support(struct run *x, const struct cpair *g, size_t n)
{
	size_t k = 0;

	for (size_t i = 0, j; i < n; i = j) {
		int any = 0;
		for (j = i; j < n && g[j].t == g[i].t; j++)
			any |= s_alive(x, g[j].s);
		k += any && t_alive(x, g[i].t);
	}
	return k;
}

static void rule_rewrite(struct run *x)
{
	size_t ntails, npairs, ngroups = 0, *start, *users;
	struct tail *tails = collect_tails(x, &ntails);
	struct cpair *v = candidate_pairs(x, tails, ntails, &npairs);
	unsigned char *dead;

	start = xcalloc(npairs + 2, sizeof(*start));
	for (size_t i = 0; i < npairs; i++)
		if (!i || !same_rewrite(&v[i - 1], &v[i]))
			start[ngroups++] = i;
	start[ngroups] = npairs;
	dead = xcalloc(ngroups + 1, 1);
	users = xcalloc(x->ns + 1, sizeof(*users));
	/* The rewrite that explains most pairs first; each round may leave others fewer. */
	for (;;) {
		size_t best = MATCH_NONE, best_n = 0;
		for (size_t gi = 0; gi < ngroups; gi++) {
			const struct cpair *g = &v[start[gi]];
			size_t n = start[gi + 1] - start[gi], k;
			int leaf_only = g->from_len == g->to_len && !memcmp(g->from, g->to, g->from_len);
			if (dead[gi])
				continue;
			k = support(x, g, n);
			if (k < 2 && !(k == 1 && leaf_only))
				continue;
			if (k > best_n)
				best = gi, best_n = k;
		}
		if (best == MATCH_NONE)
			break;
		{
			const struct cpair *g = &v[start[best]];
			size_t rw = x->r->nrewrites, made;
			made = apply_rewrite(x, g, start[best + 1] - start[best], rw, users);
			dead[best] = 1;
			if (!made)
				continue;
			x->r->rewrites = xreallocarray(x->r->rewrites, rw + 1, sizeof(*x->r->rewrites));
			x->r->rewrites[rw].from = xmemdup(g->from, g->from_len);
			x->r->rewrites[rw].to = xmemdup(g->to, g->to_len);
			x->r->rewrites[rw].uses = made;
			x->r->nrewrites++;
		}
	}
	free(users);
	free(dead);
	free(start);
	free(v);
	free(tails);
}

/* ---- shape, similar, order: among the compatible items of the same kind ---- */

static int fully_known(const struct match_item *it)
{
	if (it->dtype <= 0 || it->rank < 0)
		return 0;
	for (int i = 0; i < it->rank; i++)
		if (it->dims[i] < 0)
			return 0;
	return 1;
}

static int shape_key_cmp(enum match_kind ka, const struct match_item *a, enum match_kind kb,
			 const struct match_item *b)
{
	if (ka != kb)
		return ka < kb ? -1 : 1;
	if (a->dtype != b->dtype)
		return a->dtype < b->dtype ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	for (int i = 0; i < a->rank; i++)
		if (a->dims[i] != b->dims[i])
			return a->dims[i] < b->dims[i] ? -1 : 1;
	return 0;
}


static int cmp_shape_key(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, k = *(const size_t *)b;
	int c = shape_key_cmp(g_sort_norm[i].kind, &g_sort_items[i], g_sort_norm[k].kind,
			      &g_sort_items[k]);
	return c ? c : (i > k) - (i < k);
}

static void index_side(struct shape_index *ix, const struct match_item *items,
		       const struct norm *norms, size_t n)
{
	ix->ord = xcalloc(n + 1, sizeof(*ix->ord));
	ix->wild = xcalloc(n + 1, sizeof(*ix->wild));
	ix->n = ix->nwild = 0;
	for (size_t i = 0; i < n; i++) {
		if (fully_known(&items[i]))
			ix->ord[ix->n++] = i;
		else
			ix->wild[ix->nwild++] = i;
	}
	g_sort_items = items;
	g_sort_norm = norms;
	sort_array(ix->ord, ix->n, sizeof(*ix->ord), cmp_shape_key);
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	return (x > y) - (x < y);
}

/* The compatible unpaired items of the other side: up to cap in out, in index order, the
 * count returned (counting stops past CAND_CAP). An item of known dtype and shape looks only
 * at its own bucket and the other side's items of unknown shape; the others scan it all. */
static size_t others(struct run *x, int of_target, size_t i, size_t *out, size_t cap)
{
	size_t found[CAND_CAP + 1], n = 0, nother = of_target ? x->ns : x->nt;
	enum match_kind kind = of_target ? x->tn[i].kind : x->sn[i].kind;
	const struct match_item *me = of_target ? &x->tgt[i] : &x->src[i];
	const struct match_item *oitems = of_target ? x->src : x->tgt;
	const struct norm *onorm = of_target ? x->sn : x->tn;
	const struct shape_index *ix = of_target ? &x->si : &x->ti;

#define OTHER_OK(k) (onorm[k].kind == kind && (of_target ? s_alive(x, k) : t_alive(x, k)) && \
		     match_compatible(me, &oitems[k]))
	if (!fully_known(me)) {
		for (size_t k = 0; k < nother && n <= CAND_CAP; k++)
			if (OTHER_OK(k))
				found[n++] = k;
	} else {
		size_t lo = 0, hi = ix->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			size_t k = ix->ord[mid];
			if (shape_key_cmp(onorm[k].kind, &oitems[k], kind, me) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t j = lo; j < ix->n && n <= CAND_CAP; j++) {
			size_t k = ix->ord[j];
			if (shape_key_cmp(onorm[k].kind, &oitems[k], kind, me))
				break;
			if (of_target ? s_alive(x, k) : t_alive(x, k))
				found[n++] = k;
		}
		for (size_t j = 0; j < ix->nwild && n <= CAND_CAP; j++)
			if (OTHER_OK(ix->wild[j]))
				found[n++] = ix->wild[j];
		sort_array(found, n, sizeof(*found), cmp_size);
	}
#undef OTHER_OK
	for (size_t k = 0; k < n && k < cap; k++)
		out[k] = found[k];
	return n;
}

static void rule_shape(struct run *x)
{
	for (size_t t = 0; t < x->nt; t++) {
		size_t s, back;
		if (!t_alive(x, t) || others(x, 1, t, &s, 1) != 1)
			continue;
		if (others(x, 0, s, &back, 1) == 1)
			pair(x, t, s, MATCH_SHAPE);
	}
}

/* Edit distance of two canonical names, bounded by DIST_MAX characters of each (longer tails
 * count by length only, to bound the work on hostile names). */
static size_t distance(const char *a, size_t an, const char *b, size_t bn)
{
	size_t extra = 0;

	if (an > DIST_MAX)
		extra += an - DIST_MAX, an = DIST_MAX;
	if (bn > DIST_MAX)
		extra += bn - DIST_MAX, bn = DIST_MAX;
	return name_distance(a, an, b, bn) + extra;
}

/* Name parts for the similarity: runs of letters or of digits ("enc_ln" -> enc, ln). */
struct tokens {
	const char *p[DIST_MAX];
	size_t len[DIST_MAX], n;
};

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void tokenize(const char *s, size_t n, struct tokens *t)
{
	t->n = 0;
	if (n > DIST_MAX)
		n = DIST_MAX;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		if (is_alpha(s[i]))
			while (j < n && is_alpha(s[j]))
				j++;
		else if (is_digit(s[i]))
			while (j < n && is_digit(s[j]))
				j++;
		if (j == i) {
			i++;
			continue;
		}
		t->p[t->n] = s + i;
		t->len[t->n++] = j - i;
		i = j;
	}
}

/* For each part of a, the longest prefix it shares with a part of b: "encoder" and "enc"
 * share 3, as an abbreviation does. Summed. */
static size_t prefix_score(const struct tokens *a, const struct tokens *b)
{
	size_t sum = 0;

	for (size_t i = 0; i < a->n; i++) {
		size_t best = 0;
		for (size_t k = 0; k < b->n; k++) {
			size_t c = 0, m = a->len[i] < b->len[k] ? a->len[i] : b->len[k];
			while (c < m && a->p[i][c] == b->p[k][c])
				c++;
			/* Numbers count only whole: layer 1 is not layer 12. */
			if (is_digit(a->p[i][0]) && (c != a->len[i] || c != b->len[k]))
				c = 0;
			if (c > best)
				best = c;
		}
		sum += best;
	}
	return sum;
}

/* How unlike two canonical names are (lower is closer): shared abbreviation-aware name parts
 * first, then the edit distance. */
static size_t dissimilarity(const struct norm *a, const struct norm *b)
{
	static struct tokens ta, tb;  /* large: kept off the stack; the engine is single-threaded */
	size_t shared, d = distance(a->s, a->len, b->s, b->len);

	tokenize(a->s, a->len, &ta);
	tokenize(b->s, b->len, &tb);
	shared = prefix_score(&ta, &tb) + prefix_score(&tb, &ta);
	return (4 * DIST_MAX - (shared < 4 * DIST_MAX ? shared : 4 * DIST_MAX)) * 1024 +
	       (d < 1023 ? d : 1023);
}

/* The closest of cand[0..n) to item i of one side: its index in cand, or MATCH_NONE when two
 * are equally close. */
static size_t closest(struct run *x, int of_target, size_t i, const size_t *cand, size_t n)
{
	const struct norm *me = of_target ? &x->tn[i] : &x->sn[i];
	size_t best = MATCH_NONE, best_d = (size_t)-1, second = (size_t)-1;

	for (size_t k = 0; k < n; k++) {
		const struct norm *o = of_target ? &x->sn[cand[k]] : &x->tn[cand[k]];
		size_t d = dissimilarity(me, o);
		if (d < best_d)
			second = best_d, best_d = d, best = k;
		else if (d < second)
			second = d;
	}
	return best_d < second ? best : MATCH_NONE;
}

static void rule_similar(struct run *x)
{
	size_t cand[CAND_CAP + 1], back[CAND_CAP + 1];
	int changed = 1;

	for (int round = 0; changed && round < 4; round++) {
		changed = 0;
		for (size_t t = 0; t < x->nt; t++) {
			size_t n, k, s, nb, kb;
			if (!t_alive(x, t))
				continue;
			n = others(x, 1, t, cand, CAND_CAP);
			if (n < 1 || n > CAND_CAP)
				continue;
			k = closest(x, 1, t, cand, n);
			if (k == MATCH_NONE)
				continue;
			s = cand[k];
			nb = others(x, 0, s, back, CAND_CAP);
			if (nb > CAND_CAP)
				continue;
			kb = closest(x, 0, s, back, nb);
			if (kb == MATCH_NONE || back[kb] != t)
				continue;
			pair(x, t, s, MATCH_SIMILAR);
			changed = 1;
		}
	}
}

/* Names compared with digit runs as numbers: dense_2 before dense_10. */
static int natural_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	size_t i = 0, j = 0;

	while (i < an && j < bn) {
		if (a[i] >= '0' && a[i] <= '9' && b[j] >= '0' && b[j] <= '9') {
			size_t i0, j0, li, lj;
			while (i < an && a[i] == '0')
				i++;
			while (j < bn && b[j] == '0')
				j++;
			for (i0 = i; i < an && a[i] >= '0' && a[i] <= '9'; i++)
				;
			for (j0 = j; j < bn && b[j] >= '0' && b[j] <= '9'; j++)
				;
			li = i - i0, lj = j - j0;
			if (li != lj)
				return li < lj ? -1 : 1;
			if (memcmp(a + i0, b + j0, li))
				return memcmp(a + i0, b + j0, li);
			continue;
		}
		if (a[i] != b[j])
			return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
		i++, j++;
	}
	return (i < an) - (j < bn);
}

/* The place of item i among items[0..n) of its side in natural name order. */
static size_t rank_of(struct run *x, int of_target, size_t i, const size_t *items, size_t n)
{
	const struct norm *me = of_target ? &x->tn[i] : &x->sn[i];
	size_t r = 0;

	for (size_t k = 0; k < n; k++) {
		const struct norm *o = of_target ? &x->tn[items[k]] : &x->sn[items[k]];
		int c = natural_cmp(o->s, o->len, me->s, me->len);
		r += c < 0 || (c == 0 && items[k] < i);
	}
	return r;
}

/* A group of n targets and n tensors, all compatible with one another and equally close by
 * name: paired in layer order. */
static void rule_order(struct run *x, const unsigned char *tie)
{
	size_t cand[CAND_CAP + 1], peers[CAND_CAP + 1], back[CAND_CAP + 1];

	for (size_t t = 0; t < x->nt; t++) {
		size_t n, np;
		if (!t_alive(x, t))
			continue;
		n = others(x, 1, t, cand, CAND_CAP);
		if (n < 2 || n > CAND_CAP)
			continue;
		np = others(x, 0, cand[0], peers, CAND_CAP);
		if (np != n)
			continue;
		/* The group must be closed: every peer sees the same tensors, every tensor the
		 * same peers. */
		for (size_t k = 0; k < n; k++) {
			size_t nb = others(x, 0, cand[k], back, CAND_CAP);
			if (nb != np || memcmp(back, peers, np * sizeof(*back)))
				goto next;
		}
		for (size_t k = 0; k < np; k++) {
			size_t nb = others(x, 1, peers[k], back, CAND_CAP);
			if (!tie[peers[k]] || nb != n || memcmp(back, cand, n * sizeof(*back)))
				goto next;
		}
		/* Pair the whole group at once: after one pair the rest would no longer tie. */
		for (size_t p = 0; p < np; p++) {
			size_t want = rank_of(x, 1, peers[p], peers, np);
			for (size_t k = 0; k < n; k++)
				if (rank_of(x, 0, cand[k], cand, n) == want) {
					pair(x, peers[p], cand[k], MATCH_ORDER);
					break;
				}
		}
	next:;
	}
}

/* Only a tie by name may be broken by order: whether every candidate of t is equally close
 * to it (rule_order then wants this of every target of the group). */
static int group_ties(struct run *x, size_t t)
{
	size_t cand[CAND_CAP + 1], n = others(x, 1, t, cand, CAND_CAP), d0 = 0;

	if (n < 2 || n > CAND_CAP)
		return 0;
	for (size_t k = 0; k < n; k++) {
		size_t d = dissimilarity(&x->tn[t], &x->sn[cand[k]]);
		if (k && d != d0)
			return 0;
		d0 = d;
	}
	return 1;
}

static void leftovers(struct run *x)
{
	for (size_t t = 0; t < x->nt; t++) {
		struct match_target *mt = &x->r->t[t];
		size_t cand[CAND_CAP + 1], n;
		if (!t_alive(x, t))
			continue;
		n = others(x, 1, t, cand, CAND_CAP);
		mt->ncand = n;
		for (size_t k = 0; k < n && k < MATCH_MAX_CAND; k++)
			mt->cand[k] = cand[k];
		x->r->nambiguous += n >= 1;
	}
}

void match_run(const struct match_item *tgt, size_t nt, const struct match_item *src, size_t ns,
	       struct match_result *r)
{
	struct run x = { .tgt = tgt, .src = src, .nt = nt, .ns = ns, .r = r };
	unsigned char *tie;

	memset(r, 0, sizeof(*r));
	r->t = xcalloc(nt + 1, sizeof(*r->t));
	r->tgt_of = xcalloc(ns + 1, sizeof(*r->tgt_of));
	r->kind = xcalloc(ns + 1, sizeof(*r->kind));
	x.tn = xcalloc(nt + 1, sizeof(*x.tn));
	x.sn = xcalloc(ns + 1, sizeof(*x.sn));
	for (size_t t = 0; t < nt; t++) {
		r->t[t].src = r->t[t].conflict = MATCH_NONE;
		norm_init(&x.tn[t], &tgt[t]);
	}
	for (size_t s = 0; s < ns; s++) {
		r->tgt_of[s] = MATCH_NONE;
		norm_init(&x.sn[s], &src[s]);
		r->kind[s] = x.sn[s].kind;
	}
	index_side(&x.ti, tgt, x.tn, nt);
	index_side(&x.si, src, x.sn, ns);
	rule_exact(&x);
	rule_rewrite(&x);
	rule_shape(&x);
	/* Ties are noted before rule_similar pairs anything: it may pair some of a group. */
	tie = xcalloc(nt + 1, 1);
	for (size_t t = 0; t < nt; t++)
		tie[t] = t_alive(&x, t) && group_ties(&x, t);
	rule_similar(&x);
	rule_order(&x, tie);
	free(tie);
	leftovers(&x);
	for (size_t t = 0; t < nt; t++)
		free(x.tn[t].s);
	for (size_t s = 0; s < ns; s++)
		free(x.sn[s].s);
	free(x.tn);
	free(x.sn);
	free(x.ti.ord);
	free(x.ti.wild);
	free(x.si.ord);
	free(x.si.wild);
}

size_t match_stem_len(const uint8_t *p, size_t n)
{
	return mem_has_suffix(p, n, VARIABLE_VALUE) && n > sizeof(VARIABLE_VALUE) - 1
	       ? n - (sizeof(VARIABLE_VALUE) - 1) : n;
}

struct stem {
	const uint8_t *p;
	size_t len, item;
};

static int cmp_stem(const void *a, const void *b)
{
	const struct stem *x = a, *y = b;
	return key_cmp(x->p, x->len, y->p, y->len);
}

/* Whether name is one of tgt's (sorted stems of the target names, by full name). */
static int is_target_name(const struct stem *names, size_t n, const uint8_t *p, size_t len)
{
	struct stem probe = { p, len, 0 };
	return n && bsearch(&probe, names, n, sizeof(*names), cmp_stem) != NULL;
}

size_t match_new_names(const struct match_item *tgt, size_t nt, const struct match_item *src,
		       size_t ns, const struct match_result *r, struct buf *out,
		       unsigned char *moved)
{
	struct stem *paired = xcalloc(ns + 1, sizeof(*paired)), *names = xcalloc(nt + 1, sizeof(*names));
	size_t np = 0, changed = 0;

	for (size_t t = 0; t < nt; t++)
		names[t] = (struct stem){ tgt[t].name, tgt[t].len, t };
	sort_array(names, nt, sizeof(*names), cmp_stem);
	for (size_t s = 0; s < ns; s++) {
		size_t t = r->tgt_of[s];
		buf_reset(&out[s]);
		if (moved)
			moved[s] = 0;
		if (t == MATCH_NONE) {
			buf_add(&out[s], src[s].name, src[s].len);
			continue;
		}
		buf_add(&out[s], tgt[t].name, tgt[t].len);
		changed += src[s].len != tgt[t].len || memcmp(src[s].name, tgt[t].name, tgt[t].len);
		paired[np++] = (struct stem){ src[s].name, match_stem_len(src[s].name, src[s].len), s };
	}
	sort_array(paired, np, sizeof(*paired), cmp_stem);
	for (size_t s = 0; s < ns && np; s++) {
		const uint8_t *p = src[s].name;
		size_t n = src[s].len;
		if (r->tgt_of[s] != MATCH_NONE)
			continue;
		/* The longest paired stem that is a scope of this name. */
		for (size_t k = n; k-- > 0;) {
			struct stem probe = { p, k, 0 }, *f;
			size_t t, tl;
			if (p[k] != '/')
				continue;
			f = bsearch(&probe, paired, np, sizeof(*paired), cmp_stem);
			if (!f)
				continue;
			t = r->tgt_of[f->item];
			tl = match_stem_len(tgt[t].name, tgt[t].len);
			buf_reset(&out[s]);
			buf_add(&out[s], tgt[t].name, tl);
			buf_add(&out[s], p + k, n - k);
			if (is_target_name(names, nt, out[s].p, out[s].len) ||
			    (out[s].len == n && !memcmp(out[s].p, p, n))) {
				buf_reset(&out[s]);
				buf_add(&out[s], p, n);
			} else {
				changed++;
				if (moved)
					moved[s] = 1;
			}
			break;
		}
	}
	free(paired);
	free(names);
	return changed;
}

void match_release(struct match_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nrewrites; i++) {
		free(r->rewrites[i].from);
		free(r->rewrites[i].to);
	}
	free(r->rewrites);
	free(r->t);
	free(r->tgt_of);
	free(r->kind);
	memset(r, 0, sizeof(*r));
}
