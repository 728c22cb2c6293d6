/* ckpt diff: compare two checkpoints, names, dtypes, shapes and values, for people and CI. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/pool.h"
#include "format/bundle.h"
#include "format/dtype.h"
#include "format/path.h"
#include "tensor/batch.h"
#include "tensor/compare.h"
#include "edit/rules.h"
#include "edit/scope.h"
#include "edit/xform.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

const char cmd_diff_usage[] =
"usage: ckpt diff [-q | --stat [--by-scope[=DEPTH]] | --json] [-v] [--names-only] [-n N]\n"
"                 [--atol X] [--rtol Y] [--equal-nan] [--trust-crc] [--include REGEX]...\n"
"                 [--exclude REGEX]... [--rule RULE]... [--map FILE]... A B\n"
"\n"
"Compare two checkpoints tensor by tensor: names only in A or only in B, tensors whose dtype\n"
"or shape differ (not comparable), and tensors whose values differ, with the number and share\n"
"of elements outside tolerance, the largest |A-B| and where it is, the mean |A-B|, the RMS\n"
"of A-B, the relative change ||A-B||/||A||, and NaN or Inf values that appear or disappear.\n"
"Tensors whose values are bit for bit the same are identical; those that differ with every\n"
"element within --atol/--rtol are within tolerance. They are counted apart (listed with -v).\n"
"\n"
"A and B are checkpoint prefixes (run/ckpt-3), .index or .data-* files, folders with a\n"
"'checkpoint' state file or a single checkpoint, SavedModel folders, or state files.\n"
"\n"
"Values are equal when, element by element (numpy's allclose rule, b from B):\n"
"    |a - b| <= atol + rtol * |b|\n"
"with atol = rtol = 0 by default (exact). Infinities must match exactly; NaN never equals\n"
"NaN unless --equal-nan. Integers, bools and strings always compare exactly; float16,\n"
"bfloat16 and float8 compare in double precision. Tensors whose bytes are identical are\n"
"identical whatever they hold (NaN included), so a checkpoint always equals itself.\n"
"\n"
"Options:\n"
"      --atol X          absolute tolerance (default 0)\n"
"      --rtol Y          relative tolerance (default 0)\n"
"      --equal-nan       count NaN == NaN as equal\n"
"      --trust-crc       tensors with equal size and CRC-32C are equal without reading data\n"
"                        (fast on huge checkpoints; the output says which were judged so)\n"
"      --names-only      compare names, dtypes and shapes only (no data is read)\n"
"  -i, --include REGEX   compare only names matching REGEX (POSIX ERE; repeatable)\n"
"  -x, --exclude REGEX   leave out names matching REGEX (repeatable)\n"
"  -r, --rule RULE       rename B's tensors before matching: OLD=NEW, OLD/=NEW/ (a scope) or\n"
"                        s/REGEX/REPLACEMENT/[g] (\\1..\\9); repeatable, applied in order\n"
"      --map FILE        rules from FILE, one per line ('#' comments), or 'old<TAB>new'\n"
"                        lines, or a JSON object {\"old\": \"new\"}\n"
"      --stat            summary: a header, one line per differing tensor with a bar for its\n"
"                        relative change ||A-B||/||A|| on a log scale (the header names its\n"
"                        decades), float tensors first, largest change first, then integers\n"
"                        and bools (counters such as global_step), strings, and names only\n"
"                        in A or B or not comparable; then the counts\n"
"      --by-scope[=DEPTH]  with --stat (implied): one line per name scope (split on '/', as\n"
"                        list --by-scope) of changed tensors of one kind, DEPTH levels deep\n"
"                        (default: each tensor's innermost scope), summing the counts and\n"
"                        showing the largest relative change; names without a scope and\n"
"                        the other differences keep their own lines\n"
"      --json            every field, for scripts (non-finite numbers are null)\n"
"  -q, --quiet           print nothing; the exit status tells (stops at the first difference)\n"
"  -v, --verbose         also list identical and within-tolerance tensors\n"
"  -n, --max-count N     stop after N differing tensors\n"
"  -h, --help            show this help\n"
"\n"
"Table columns: MAX ABS is max |A-B| and AT its index, MEAN ABS the mean |A-B|, RMS the\n"
"root mean square of A-B, REL ||A-B||/||A||: these cover the pairs where both values are\n"
"finite (all 0 for identical bytes), and show '-' (null in JSON) when there is none (every\n"
"value went from NaN to a number: changed, never identical). NAN +/- counts the values that\n"
"became NaN in B and those NaN in A that are not in B; INF +/- the same for infinities.\n"
"\n"
"Exit status: 0 no differences (within tolerance), 1 differences, 2 trouble (a checkpoint or\n"
"a tensor could not be read: never 0 then).\n";

/* ST_SAME: the same bytes (or, before comparing, the same dtype and shape); ST_TOLERATED:
 * values that differ, all within --atol/--rtol. */
enum status { ST_SAME, ST_TOLERATED, ST_CHANGED, ST_ONLY_A, ST_ONLY_B, ST_INCOMPARABLE, ST_ERROR };
enum format { FMT_TABLE, FMT_STAT, FMT_JSON, FMT_QUIET };

struct diff_opts {
	struct compare_opts cmp;
	enum format format;
	int verbose, names_only;
	int by_scope, scope_depth;   /* --stat --by-scope[=DEPTH]; depth 0: innermost scopes */
	uint64_t max_count;   /* 0: no limit */
	struct namefilter names;
	struct rules rules;
};

/* One name of B after the rules. Without rules it is the entry's own name, borrowed (cap 0:
 * not to be released): 100 000 copies were a tenth of a diff of small tensors. */
struct bname {
	const struct bundle_entry *e;
	struct buf name;
};

static void bname_release(struct bname *n)
{
	if (n->name.cap)
		buf_release(&n->name);
}

struct item {
	enum status st;
	int done;                    /* examined (not cut off by -n / -q) */
	const struct bundle_entry *ea, *eb;
	const struct buf *bname;     /* B's name after the rules (eb only) */
	/* The comparison's result (item_result): a copy in struct counts' pool, or, for a pair
	 * of equal bytes, only the flags that make it (most pairs of a diff are such: a result
	 * each was 144 bytes a tensor). */
	const struct compare_result *r;
	unsigned char same;          /* RS_* bits: r is the equal-bytes result with these flags */
};

enum { RS_SAME = 1, RS_CRC = 2, RS_NUMERIC = 4, RS_BYTES = 8, RS_ASSEMBLED = 16 };

struct counts {
	uint64_t st[ST_ERROR + 1];
	uint64_t by_crc;
	int stopped;
	struct pool results;         /* the items' results that are not equal bytes */
};

/* The result of equal bytes with the flags of bits (elements from the entry, all else 0). */
static void same_result(const struct item *it, unsigned bits, struct compare_result *r)
{
	memset(r, 0, sizeof(*r));
	r->equal = r->bytewise = 1;
	r->by_crc = !!(bits & RS_CRC);
	r->numeric = !!(bits & RS_NUMERIC);
	r->bytes_only = !!(bits & RS_BYTES);
	r->assembled = !!(bits & RS_ASSEMBLED);
	r->elements = it->ea->elements;
}

/* it's result: its copy, the equal-bytes one rebuilt in tmp, or all zero (not compared). */
static const struct compare_result *item_result(const struct item *it, struct compare_result *tmp)
{
	if (it->r)
		return it->r;
	if (it->same)
		same_result(it, it->same, tmp);
	else
		memset(tmp, 0, sizeof(*tmp));
	return tmp;
}

/* Keep r for it: as flags when they rebuild it byte for byte, else as a copy. */
static void item_keep(struct item *it, const struct compare_result *r, struct pool *results)
{
	unsigned bits = RS_SAME | (r->by_crc ? RS_CRC : 0) | (r->numeric ? RS_NUMERIC : 0) |
			(r->bytes_only ? RS_BYTES : 0) | (r->assembled ? RS_ASSEMBLED : 0);
	struct compare_result c;

	same_result(it, bits, &c);
	if (!memcmp(&c, r, sizeof(c))) {
		it->same = (unsigned char)bits;
		return;
	}
	it->r = memcpy(pool_alloc(results, sizeof(*r)), r, sizeof(*r));
}

static int cmp_bytes(const void *a, size_t na, const void *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);
	return c ? c : (na > nb) - (na < nb);
}

static int cmp_bname(const void *x, const void *y)
{
	const struct bname *a = x, *b = y;
	return cmp_bytes(a->name.p, a->name.len, b->name.p, b->name.len);
}

static int parse_double(const char *s, double *v)
{
	char *end;

	*v = strtod(s, &end);
	return *s && !*end && *v >= 0 && isfinite(*v) ? 0 : -1;
}

static int same_shape(const struct bundle_entry *a, const struct bundle_entry *b)
{
	return a->dtype == b->dtype && a->rank == b->rank &&
	       !memcmp(a->dims, b->dims, (size_t)a->rank * sizeof(*a->dims));
}

static void name_of(const struct item *it, struct buf *out)
{
	buf_reset(out);
	if (it->ea)
		name_escaped(out, it->ea->name, it->ea->name_len);
	else
		name_escaped(out, it->bname->p, it->bname->len);
}

static int renamed(const struct item *it)
{
	return it->eb && (it->eb->name_len != it->bname->len ||
			  memcmp(it->eb->name, it->bname->p, it->bname->len));
}

static char *shape_str(const struct bundle_entry *e)
{
	struct buf b = BUF_INIT;
	shape_format(&b, e->dims, e->rank);
	return buf_detach(&b, NULL);
}

static void index_str(struct buf *out, const struct bundle_entry *e, uint64_t flat)
{
	int64_t *idx = xcalloc((size_t)e->rank + 1, sizeof(*idx));

	compare_unravel(flat, e->dims, e->rank, idx);
	shape_format(out, idx, e->rank);
	free(idx);
}

/* Where to point at: the largest |Δ|, or the first differing element when none is numeric. */
static uint64_t where(const struct compare_result *r)
{
	return r->numeric && r->max_abs > 0 ? r->max_index : r->first;
}

static double share(const struct compare_result *r)
{
	return r->elements ? 100.0 * (double)r->differ / (double)r->elements : 100.0;
}

/* The share as "%.3g", with more digits where that would round a share short of all up to
 * 100 (100340 of 100352 is 99.99%, not 100%). */
static const char *share_str(char *s, size_t n, const struct compare_result *r)
{
	int digits = 3;

	do
		snprintf(s, n, "%.*g", digits, share(r));
	while (r->differ < r->elements && !strcmp(s, "100") && ++digits < 12);
	return s;
}

/* "+1 -12": values that became NaN (or Inf) in B, and those that were NaN in A and are not;
 * nothing when there are none. */
static void add_plus_minus(struct tab *t, uint64_t appeared, uint64_t gone)
{
	if (appeared || gone)
		tab_addf(t, "+%llu -%llu", (unsigned long long)appeared, (unsigned long long)gone);
	else
		tab_add(t, "");
}

static void nan_notes(struct buf *b, const struct compare_result *r)
{
	if (r->nan_new || r->nan_gone)
		buf_addf(b, "%sNaN +%llu -%llu", b->len ? ", " : "", (unsigned long long)r->nan_new,
			 (unsigned long long)r->nan_gone);
	if (r->inf_new || r->inf_gone)
		buf_addf(b, "%sInf +%llu -%llu", b->len ? ", " : "", (unsigned long long)r->inf_new,
			 (unsigned long long)r->inf_gone);
}

static void row_notes(struct buf *b, const struct item *it)
{
	struct compare_result tmp;
	const struct compare_result *r = item_result(it, &tmp);

	buf_reset(b);
	if (it->st == ST_SAME && r->by_crc)
		buf_addf(b, "%sby CRC-32C, data not read", b->len ? ", " : "");
	if (r->assembled)
		buf_addf(b, "%spartitioned differently", b->len ? ", " : "");
	if (renamed(it)) {
		buf_addf(b, "%sB: ", b->len ? ", " : "");
		name_escaped(b, it->eb->name, it->eb->name_len);
	}
}

static const char *status_word(enum status st)
{
	static const char *w[] = { "identical", "within tolerance", "changed", "only in A",
				   "only in B", "not comparable", "unreadable" };
	return w[st];
}

static void add_g(struct tab *t, double v)
{
	tab_addf(t, "%.6g", v);
}

static void print_table(const struct diff_opts *o, struct item *items, size_t n)
{
	struct buf name = BUF_INIT, notes = BUF_INIT, tmp = BUF_INIT;
	struct tab t;
	size_t rows = 0;

	tab_init(&t, "llllrrlrrrlll");
	tab_add(&t, "STATUS");
	tab_add(&t, "NAME");
	tab_add(&t, "DTYPE");
	tab_add(&t, "SHAPE");
	tab_add(&t, "DIFFERENT");
	tab_add(&t, "MAX ABS");
	tab_add(&t, "AT");
	tab_add(&t, "MEAN ABS");
	tab_add(&t, "RMS");
	tab_add(&t, "REL");
	tab_add(&t, "NAN +/-");
	tab_add(&t, "INF +/-");
	tab_add(&t, "NOTES");
	for (size_t i = 0; i < n; i++) {
		const struct item *it = &items[i];
		const struct bundle_entry *e = it->ea ? it->ea : it->eb;
		char *sa, *sb, pct[32];
		/* Unreadable tensors were reported on stderr, once per cause (-v lists them). */
		if (!it->done || (!o->verbose && (it->st == ST_SAME || it->st == ST_TOLERATED ||
						  it->st == ST_ERROR)))
			continue;
		rows++;
		name_of(it, &name);
		tab_add(&t, status_word(it->st));
		tab_add(&t, (const char *)name.p);
		sa = shape_str(e);
		if (it->st == ST_INCOMPARABLE) {
			sb = shape_str(it->eb);
			if (it->ea->dtype == it->eb->dtype)
				tab_add(&t, dtype_name(e->dtype));
			else
				tab_addf(&t, "%s|%s", dtype_name(it->ea->dtype), dtype_name(it->eb->dtype));
			if (strcmp(sa, sb))
				tab_addf(&t, "%s|%s", sa, sb);
			else
				tab_add(&t, sa);
			free(sb);
		} else {
			tab_add(&t, dtype_name(e->dtype));
			tab_add(&t, sa);
		}
		free(sa);
		if ((it->st == ST_CHANGED || it->st == ST_SAME || it->st == ST_TOLERATED) &&
		    !o->names_only) {
			struct compare_result res;
			const struct compare_result *r = item_result(it, &res);
			if (r->bytes_only)
				tab_add(&t, it->st == ST_CHANGED ? "bytes" : "0");
			else
				tab_addf(&t, "%llu (%s%%)", (unsigned long long)r->differ,
					 share_str(pct, sizeof(pct), r));
			if (compare_has_stats(r)) {
				add_g(&t, r->max_abs);
				buf_reset(&tmp);
				if (r->max_abs > 0 || r->differ)
					index_str(&tmp, e, where(r));
				tab_add(&t, tmp.len ? (const char *)tmp.p : "-");
				add_g(&t, compare_mean_abs(r));
				add_g(&t, compare_rms(r));
				add_g(&t, compare_rel(r));
			} else {  /* no finite pair, or not numbers: no statistics, never a 0 */
				buf_reset(&tmp);
				if (r->differ && !r->bytes_only)
					index_str(&tmp, e, r->first);
				tab_add(&t, "-");
				tab_add(&t, tmp.len ? (const char *)tmp.p : "-");
				tab_add(&t, "-");
				tab_add(&t, "-");
				tab_add(&t, "-");
			}
			add_plus_minus(&t, r->nan_new, r->nan_gone);
			add_plus_minus(&t, r->inf_new, r->inf_gone);
		} else {
			for (int k = 0; k < 8; k++)
				tab_add(&t, "");
		}
		row_notes(&notes, it);
		tab_add(&t, notes.len ? (const char *)notes.p : "");
	}
	if (rows)
		tab_print(&t, stdout);
	tab_release(&t);
	buf_release(&name);
	buf_release(&notes);
	buf_release(&tmp);
}

static void print_summary(const struct diff_opts *o, const struct counts *c)
{
	static const char *what[] = { "identical", "within tolerance", "changed", "only in A",
				      "only in B", "not comparable", "unreadable" };
	static const enum status order[] = { ST_CHANGED, ST_ONLY_A, ST_ONLY_B, ST_INCOMPARABLE,
					     ST_ERROR, ST_TOLERATED, ST_SAME };
	int any = 0;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		enum status st = order[i];
		if (!c->st[st] && st != ST_SAME)
			continue;
		printf("%s%llu %s", any ? ", " : "", (unsigned long long)c->st[st], what[st]);
		any = 1;
	}
	if (c->by_crc || o->names_only) {
		const char *sep = " (";
		if (c->by_crc) {
			printf("%s%llu by CRC-32C, data not read", sep, (unsigned long long)c->by_crc);
			sep = ", ";
		}
		if (o->names_only)
			printf("%svalues not compared", sep);
		putchar(')');
	}
	if (c->stopped)
		printf("; stopped after %llu difference%s", (unsigned long long)o->max_count,
		       o->max_count == 1 ? "" : "s");
	putchar('\n');
}

/* --stat rows: one per differing tensor, or with --by-scope one per scope of changed tensors
 * of one kind. Floats come first, largest relative change first; then integers and bools
 * (counters such as global_step: their relative change says little); then strings and opaque
 * payloads; then names only in A or B, not comparable or unreadable, by name. */
enum stat_kind { SK_FLOAT, SK_INTEGER, SK_BYTES, SK_OTHER };

struct srow {
	struct buf name;
	enum stat_kind kind;
	const struct item *it;   /* the one tensor of the row; NULL for a scope */
	uint64_t tensors, differ, elements, nostats;  /* nostats: tensors without a finite pair */
	uint64_t nan_new, nan_gone, inf_new, inf_gone;
	double rel, max_abs;     /* the largest over the tensors with statistics */
};

static enum stat_kind stat_kind(const struct item *it)
{
	const struct dtype_info *d;
	struct compare_result tmp;
	const struct compare_result *r = item_result(it, &tmp);

	if (it->st != ST_CHANGED)
		return SK_OTHER;
	d = dtype_info(it->ea->dtype);
	if (!r->numeric || r->bytes_only || !d)
		return SK_BYTES;
	return d->kind == DK_FLOAT || d->kind == DK_COMPLEX ? SK_FLOAT : SK_INTEGER;
}

static void srow_add(struct srow *s, const struct item *it)
{
	struct compare_result tmp;
	const struct compare_result *r = item_result(it, &tmp);

	s->tensors++;
	s->differ += r->differ;
	s->elements += r->elements;
	s->nan_new += r->nan_new;
	s->nan_gone += r->nan_gone;
	s->inf_new += r->inf_new;
	s->inf_gone += r->inf_gone;
	if (s->kind == SK_BYTES || s->kind == SK_OTHER)
		return;
	if (!compare_has_stats(r)) {
		s->nostats++;
		return;
	}
	if (!(compare_rel(r) <= s->rel))  /* an infinite one too */
		s->rel = compare_rel(r);
	if (r->max_abs > s->max_abs)
		s->max_abs = r->max_abs;
}

static int srow_cmp_name(const struct srow *a, const struct srow *b)
{
	return cmp_bytes(a->name.p, a->name.len, b->name.p, b->name.len);
}

/* Grouping: by kind, then name (scope rows and tensor rows kept apart). */
static int cmp_group(const void *x, const void *y)
{
	const struct srow *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (!a->it != !b->it)
		return !a->it ? -1 : 1;
	return srow_cmp_name(a, b);
}

/* Display order: by kind; numbers with no finite pair (NaN turned to numbers) first, then the
 * largest relative change; ties and the rest by name. */
static int cmp_display(const void *x, const void *y)
{
	const struct srow *a = x, *b = y;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->kind == SK_FLOAT || a->kind == SK_INTEGER) {
		if (!a->nostats != !b->nostats)
			return a->nostats ? -1 : 1;
		if (a->rel != b->rel)
			return a->rel < b->rel ? 1 : -1;
	}
	return srow_cmp_name(a, b);
}

#define BAR_WIDTH 20

/* The bar scale: whole decades from below the smallest relative change of the float rows to
 * above the largest, so that 1e-6 and 0.5 both show. 0 when no float row has one. */
static int bar_scale(const struct srow *rows, size_t m, int *lo, int *hi)
{
	double min = INFINITY, max = 0;

	for (size_t i = 0; i < m; i++) {
		double v = rows[i].rel;
		if (rows[i].kind != SK_FLOAT || !(v > 0) || !isfinite(v))
			continue;
		min = v < min ? v : min;
		max = v > max ? v : max;
	}
	if (!(max > 0))
		return 0;
	*lo = (int)floor(log10(min));
	*hi = (int)ceil(log10(max));
	if (*hi <= *lo)
		*hi = *lo + 1;
	return 1;
}

static int bar_length(const struct srow *s, int lo, int hi)
{
	double f;

	if (s->kind != SK_FLOAT || !(s->rel > 0))
		return 0;
	if (!isfinite(s->rel))
		return BAR_WIDTH;
	f = (log10(s->rel) - lo) / (hi - lo);
	f = round(f * BAR_WIDTH);
	return f < 1 ? 1 : f > BAR_WIDTH ? BAR_WIDTH : (int)f;
}

static void srow_details(struct buf *b, const struct srow *s)
{
	const char *num = s->kind == SK_INTEGER ? "%s%.15g" : "%s%.3g";
	const struct item *it = s->it;

	buf_reset(b);
	if (!it)
		buf_addf(b, "%llu tensor%s", (unsigned long long)s->tensors, s->tensors == 1 ? "" : "s");
	if (s->kind == SK_FLOAT || s->kind == SK_INTEGER) {
		if (s->tensors > s->nostats) {
			buf_addf(b, "%s%s %.3g", b->len ? ", " : "", it ? "rel" : "max rel", s->rel);
			buf_addf(b, num, it ? ", max abs " : ", max abs ", s->max_abs);
		}
		if (s->nostats && it)
			buf_addf(b, "%sno finite pair", b->len ? ", " : "");
		else if (s->nostats)
			buf_addf(b, "%s%llu without a finite pair", b->len ? ", " : "",
				 (unsigned long long)s->nostats);
		nan_notes(b, &(struct compare_result){ .nan_new = s->nan_new, .nan_gone = s->nan_gone,
						       .inf_new = s->inf_new, .inf_gone = s->inf_gone });
	} else if (it && it->st == ST_INCOMPARABLE) {
		char *sa = shape_str(it->ea), *sb = shape_str(it->eb);
		buf_addf(b, "%s %s -> %s %s", dtype_name(it->ea->dtype), sa, dtype_name(it->eb->dtype),
			 sb);
		free(sa);
		free(sb);
	}
}

/* Rows from the differing tensors: with by_scope, changed tensors of one kind under one scope
 * (at depth; 0: their innermost) share a row. */
static struct srow *stat_rows(const struct diff_opts *o, const struct item *items, size_t n,
			      size_t *nrows)
{
	struct srow *rows = xcalloc(n + 1, sizeof(*rows));
	size_t m = 0, k = 0;

	for (size_t i = 0; i < n; i++) {
		const struct item *it = &items[i];
		struct srow *s = &rows[m];
		size_t len;
		if (!it->done || it->st == ST_SAME || it->st == ST_TOLERATED)
			continue;
		s->kind = stat_kind(it);
		name_of(it, &s->name);
		s->it = it;
		if (o->by_scope && s->kind != SK_OTHER &&
		    (len = scope_prefix((const char *)s->name.p, s->name.len, o->scope_depth))) {
			s->name.len = len;
			s->name.p[len] = 0;
			s->it = NULL;
		}
		srow_add(s, it);
		m++;
	}
	sort_array(rows, m, sizeof(*rows), cmp_group);
	for (size_t i = 0; i < m; i++) {  /* merge the rows of one scope */
		if (k && !rows[k - 1].it && !rows[i].it && !cmp_group(&rows[k - 1], &rows[i])) {
			struct srow *t = &rows[k - 1], *s = &rows[i];
			t->tensors += s->tensors;
			t->differ += s->differ;
			t->elements += s->elements;
			t->nostats += s->nostats;
			t->nan_new += s->nan_new;
			t->nan_gone += s->nan_gone;
			t->inf_new += s->inf_new;
			t->inf_gone += s->inf_gone;
			if (!(s->rel <= t->rel))
				t->rel = s->rel;
			if (s->max_abs > t->max_abs)
				t->max_abs = s->max_abs;
			buf_release(&s->name);
		} else {
			rows[k++] = rows[i];
		}
	}
	sort_array(rows, k, sizeof(*rows), cmp_display);
	*nrows = k;
	return rows;
}

/* git diff --stat: a header, one line per differing tensor or scope with a bar for its relative
 * change ||A-B||/||A|| on a log scale, then the counts. */
static void print_stat(const struct diff_opts *o, struct item *items, size_t n,
		       const struct counts *c)
{
	size_t m;
	struct srow *rows = stat_rows(o, items, n, &m);
	struct buf tmp = BUF_INIT;
	struct tab t;
	int lo = 0, hi = 0, bars = bar_scale(rows, m, &lo, &hi);

	tab_init(&t, "llrll");
	tab_add(&t, o->by_scope ? " SCOPE OR NAME" : " NAME");
	tab_add(&t, "|");
	tab_add(&t, "DIFFERENT");
	if (bars)
		tab_addf(&t, "REL CHANGE (log %g..%g)", pow(10, lo), pow(10, hi));
	else
		tab_add(&t, "");
	tab_add(&t, "");
	for (size_t i = 0; i < m; i++) {
		const struct srow *s = &rows[i];
		struct compare_result res;
		int len = bars ? bar_length(s, lo, hi) : 0;
		tab_addf(&t, " %s", (const char *)s->name.p);
		tab_add(&t, "|");
		if (s->kind == SK_OTHER)
			tab_add(&t, status_word(s->it->st));
		else if (s->kind == SK_BYTES && (!s->it || item_result(s->it, &res)->bytes_only))
			tab_add(&t, "bytes differ");
		else
			tab_addf(&t, "%llu/%llu", (unsigned long long)s->differ,
				 (unsigned long long)s->elements);
		buf_reset(&tmp);
		for (int k = 0; k < len; k++)
			buf_addc(&tmp, '~');
		tab_add(&t, len ? (const char *)tmp.p : "");
		srow_details(&tmp, s);
		tab_add(&t, tmp.len ? (const char *)tmp.p : "");
	}
	if (m)
		tab_print(&t, stdout);
	tab_release(&t);
	putchar(' ');
	print_summary(o, c);
	for (size_t i = 0; i < m; i++)
		buf_release(&rows[i].name);
	free(rows);
	buf_release(&tmp);
}

static void json_num(cJSON *o, const char *key, double v)
{
	json_add_double(o, key, v);
}

static void json_index(cJSON *o, const char *key, const struct bundle_entry *e, uint64_t flat)
{
	int64_t *idx = xcalloc((size_t)e->rank + 1, sizeof(*idx));
	char k2[64];

	json_add_u64(o, key, flat);
	compare_unravel(flat, e->dims, e->rank, idx);
	snprintf(k2, sizeof(k2), "%s_nd", key);
	cJSON_AddItemToObject(o, k2, json_shape(idx, e->rank));
	free(idx);
}

static int print_json(const struct diff_opts *o, char **args, struct bundle *ba,
		      struct bundle *bb, struct item *items, size_t n, const struct counts *c)
{
	static const char *st_key[] = { "identical", "within_tolerance", "changed", "only_in_a",
					"only_in_b", "not_comparable", "unreadable" };
	cJSON *root = cJSON_CreateObject(), *arr, *s;
	int rc;

	cJSON_AddStringToObject(root, "a", args[0]);
	cJSON_AddStringToObject(root, "b", args[1]);
	cJSON_AddStringToObject(root, "prefix_a", ba->prefix);
	cJSON_AddStringToObject(root, "prefix_b", bb->prefix);
	json_add_double(root, "atol", o->cmp.atol);
	json_add_double(root, "rtol", o->cmp.rtol);
	cJSON_AddBoolToObject(root, "equal_nan", o->cmp.equal_nan);
	cJSON_AddBoolToObject(root, "trust_crc", o->cmp.trust_crc);
	cJSON_AddBoolToObject(root, "names_only", o->names_only);
	arr = cJSON_AddArrayToObject(root, "tensors");
	for (size_t i = 0; i < n; i++) {
		const struct item *it = &items[i];
		const struct bundle_entry *e = it->ea ? it->ea : it->eb;
		struct compare_result tmp;
		const struct compare_result *r = item_result(it, &tmp);
		cJSON *t;
		if (!it->done)
			continue;
		t = cJSON_CreateObject();
		if (it->ea)
			json_add_name(t, "name", it->ea->name, it->ea->name_len);
		else
			json_add_name(t, "name", it->bname->p, it->bname->len);
		if (renamed(it))
			json_add_name(t, "name_in_b", it->eb->name, it->eb->name_len);
		cJSON_AddStringToObject(t, "status", st_key[it->st]);
		if (it->st == ST_INCOMPARABLE) {
			cJSON_AddStringToObject(t, "dtype_a", dtype_name(it->ea->dtype));
			cJSON_AddStringToObject(t, "dtype_b", dtype_name(it->eb->dtype));
			cJSON_AddItemToObject(t, "shape_a", json_shape(it->ea->dims, it->ea->rank));
			cJSON_AddItemToObject(t, "shape_b", json_shape(it->eb->dims, it->eb->rank));
		} else {
			cJSON_AddStringToObject(t, "dtype", dtype_name(e->dtype));
			cJSON_AddItemToObject(t, "shape", json_shape(e->dims, e->rank));
		}
		json_add_u64(t, "elements", e->elements);
		if (it->st == ST_CHANGED || it->st == ST_TOLERATED ||
		    (it->st == ST_SAME && !o->names_only)) {
			cJSON_AddBoolToObject(t, "bytewise", r->bytewise);
			cJSON_AddBoolToObject(t, "by_crc", r->by_crc);
			if (r->assembled)
				cJSON_AddBoolToObject(t, "assembled", 1);
			if (r->bytes_only) {
				cJSON_AddBoolToObject(t, "bytes_only", 1);
			} else {
				json_add_u64(t, "different", r->differ);
				json_add_double(t, "share", share(r) / 100);
				if (r->differ)
					json_index(t, "first_index", e, r->first);
			}
			if (r->numeric && !r->bytes_only && !r->by_crc) {
				json_num(t, "max_abs_diff", compare_max_abs(r));
				if (compare_has_stats(r) && r->max_abs > 0) {
					json_index(t, "max_index", e, r->max_index);
					json_num(t, "a_at_max", r->max_a);
					json_num(t, "b_at_max", r->max_b);
				}
				json_num(t, "mean_abs_diff", compare_mean_abs(r));
				json_num(t, "rms_diff", compare_rms(r));
				json_num(t, "rel_change", compare_rel(r));
				json_add_u64(t, "nan_appeared", r->nan_new);
				json_add_u64(t, "nan_disappeared", r->nan_gone);
				json_add_u64(t, "inf_appeared", r->inf_new);
				json_add_u64(t, "inf_disappeared", r->inf_gone);
			}
		}
		cJSON_AddItemToArray(arr, t);
	}
	s = cJSON_AddObjectToObject(root, "summary");
	for (int st = 0; st <= ST_ERROR; st++)
		json_add_u64(s, st_key[st], c->st[st]);
	json_add_u64(s, "by_crc", c->by_crc);
	cJSON_AddBoolToObject(s, "stopped", c->stopped);
	rc = json_print(root, stdout);
	cJSON_Delete(root);
	return rc;
}

/* Read errors: the first one per file is shown, the rest counted (a missing or truncated
 * shard fails every tensor in it). Messages start with the file they concern. */
struct seen {
	char **file;
	uint64_t *more;
	size_t n;
};

static void report(struct seen *s, const struct ck_err *err)
{
	const char *colon = strstr(err->msg, ": ");
	size_t len = colon ? (size_t)(colon - err->msg) : strlen(err->msg);

	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->file[i]) == len && !memcmp(s->file[i], err->msg, len)) {
			s->more[i]++;
			return;
		}
	s->file = xreallocarray(s->file, s->n + 1, sizeof(*s->file));
	s->more = xreallocarray(s->more, s->n + 1, sizeof(*s->more));
	s->file[s->n] = xmemdup(err->msg, len);
	s->more[s->n++] = 0;
	cli_error(err);
}

static void report_end(struct seen *s)
{
	for (size_t i = 0; i < s->n; i++) {
		if (s->more[i])
			cli_errorf("%s: %llu more tensor%s could not be read", s->file[i],
				   (unsigned long long)s->more[i], s->more[i] == 1 ? "" : "s");
		free(s->file[i]);
	}
	free(s->file);
	free(s->more);
}

/* Processing order: the order of A's bytes on disk, so that both files are read forward. */
static int cmp_offset(const void *x, const void *y)
{
	const struct item *a = *(const struct item *const *)x, *b = *(const struct item *const *)y;
	/* Placeless (only in B, or partitioned) last, as bundle_disk_cmp puts partitioned ones. */
	int pa = a->ea && !a->ea->nslices, pb = b->ea && !b->ea->nslices;
	int c = pa && pb ? bundle_disk_cmp(a->ea, b->ea) : pb - pa;

	return c ? c : a < b ? -1 : a > b;
}

/* A pair whose values are to be compared, reading their bytes. */
static int needs_bytes(const struct diff_opts *o, const struct item *it)
{
	return it->ea && it->eb && !o->names_only && it->st == ST_SAME &&
	       !(o->cmp.trust_crc && !it->ea->nslices && !it->eb->nslices &&
		 it->ea->size == it->eb->size && it->ea->crc32c == it->eb->crc32c);
}

/* Plan and read the next windows of A and B (batch.h) for the items from order[i] on: pairs
 * of small payloads lying close together on both sides. Returns the end of the items planned
 * (at least i + 1); pairs that need no bytes are passed over. */
static size_t plan_windows(const struct diff_opts *o, struct item **order, size_t i, size_t n,
			   struct batch *wa, struct bundle *ba, struct batch *wb, struct bundle *bb)
{
	size_t j;

	batch_start(wa, ba);
	batch_start(wb, bb);
	for (j = i; j < n; j++) {
		struct batch save = *wa;
		if (!needs_bytes(o, order[j]))
			continue;
		if (!batch_add(wa, order[j]->ea))
			break;
		if (!batch_add(wb, order[j]->eb)) {
			*wa = save;
			break;
		}
	}
	/* On failure the windows hold nothing, and the per-tensor reads say why. */
	batch_fill(wa, NULL);
	batch_fill(wb, NULL);
	return j > i ? j : i + 1;
}

/* One pair: from the windows when both payloads are in them, else read tensor by tensor. */
static int compare_item(const struct diff_opts *o, struct bundle *ba, struct bundle *bb,
			const struct batch *wa, const struct batch *wb, struct item *it,
			struct compare_result *r, struct ck_err *err)
{
	const uint8_t *pa = batch_payload(wa, it->ea), *pb = pa ? batch_payload(wb, it->eb) : NULL;

	memset(r, 0, sizeof(*r));
	if (pa && pb)
		return compare_payloads(ba, it->ea, pa, bb, it->eb, pb, &o->cmp, r, err);
	return compare_tensors(ba, it->ea, bb, it->eb, &o->cmp, r, err);
}

/* Compare what needs comparing; stop early for -q and -n. */
static void run(const struct diff_opts *o, struct bundle *ba, struct bundle *bb,
		struct item *items, size_t n, struct counts *c)
{
	struct item **order = xcalloc(n + 1, sizeof(*order));
	struct seen seen = { 0 };
	uint64_t differences = 0;
	int by_name = o->max_count || o->format == FMT_QUIET;
	uint64_t total = 0, done = 0;
	struct batch wa, wb;

	batch_init(&wa);
	batch_init(&wb);

	for (size_t i = 0; i < n; i++) {
		order[i] = &items[i];
		if (items[i].ea && items[i].eb)
			total += items[i].ea->size;
	}
	/* -n and -q stop part-way: then the tensors examined are the first ones by name. */
	if (!by_name)
		sort_array(order, n, sizeof(*order), cmp_offset);
	for (size_t i = 0, planned = 0; i < n; i++) {
		struct item *it = order[i];
		struct ck_err err = { 0 };
		if (i == planned && !o->names_only)
			planned = plan_windows(o, order, i, n, &wa, ba, &wb, bb);
		if (it->ea && it->eb) {
			done += it->ea->size;
			if (!o->names_only)
				cli_progress(NULL, done < total ? done : total - 1, total);
		}
		if (it->ea && it->eb && !o->names_only && it->st == ST_SAME) {
			struct compare_result r;
			if (compare_item(o, ba, bb, &wa, &wb, it, &r, &err) < 0) {
				it->st = ST_ERROR;
				report(&seen, &err);
			} else if (!r.equal) {
				it->st = ST_CHANGED;
			} else if (!r.bytewise) {
				it->st = ST_TOLERATED;
			}
			item_keep(it, &r, &c->results);
			if (it->st == ST_SAME)
				c->by_crc += r.by_crc;
		}
		it->done = 1;
		c->st[it->st]++;
		if (it->st != ST_SAME && it->st != ST_TOLERATED && it->st != ST_ERROR)
			differences++;
		if ((o->max_count && differences >= o->max_count) ||
		    (o->format == FMT_QUIET && differences)) {
			c->stopped = i + 1 < n;
			break;
		}
	}
	if (total && !o->names_only)
		cli_progress(NULL, total, total);  /* clears the meter */
	report_end(&seen);
	batch_release(&wa);
	batch_release(&wb);
	free(order);
}

/* Pair A's names with B's (after the rules) in one merge of two sorted lists. */
static int pair_up(struct diff_opts *o, struct bundle *ba, struct bundle *bb, struct item **out,
		   size_t *nout, struct bname **bnames, size_t *nb)
{
	struct bname *bn = xcalloc(bb->nentries + 1, sizeof(*bn));
	const struct bundle_entry **ea = xcalloc(ba->nentries + 1, sizeof(*ea));
	struct item *items;
	size_t na = 0, m = 0, i, j, n = 0;
	int rc = 0;

	for (i = 0; i < ba->nentries; i++)
		if (!ba->entries[i].is_slice && namefilter_match(&o->names, ba->entries[i].name))
			ea[na++] = &ba->entries[i];
	for (i = 0; i < bb->nentries; i++) {
		const struct bundle_entry *e = &bb->entries[i];
		if (e->is_slice)
			continue;
		bn[m].e = e;
		if (!o->rules.n)
			bn[m].name = (struct buf){ (uint8_t *)e->name, e->name_len, 0 };
		if ((o->rules.n &&
		     rules_apply(&o->rules, e->name, e->name_len, &bn[m].name) == RULES_DROPPED) ||
		    !namefilter_match(&o->names, (const char *)bn[m].name.p)) {
			bname_release(&bn[m]);
			continue;
		}
		m++;
	}
	sort_array(bn, m, sizeof(*bn), cmp_bname);
	/* Names the rules made equal: one line per group, as rename reports collisions. */
	for (i = 0; i < m; i = j) {
		struct buf msg = BUF_INIT;
		for (j = i + 1; j < m && !cmp_bname(&bn[i], &bn[j]); j++)
			;
		if (j - i < 2)
			continue;
		for (size_t k = i; k < j && k < i + 5; k++) {
			buf_addf(&msg, k == i ? "\"" : ", \"");
			buf_add_name_msg(&msg, bn[k].e->name, bn[k].e->name_len);
			buf_addc(&msg, '"');
		}
		if (j - i > 5)
			buf_addf(&msg, " and %zu more", j - i - 5);
		buf_addf(&msg, " all become \"");
		buf_add_name_msg(&msg, bn[i].name.p, bn[i].name.len);
		cli_errorf("%s: the rules give %zu tensors one name: %s\"", bb->prefix, j - i,
			   (const char *)msg.p);
		buf_release(&msg);
		rc = -1;
	}
	items = xcalloc(na + m + 1, sizeof(*items));
	for (i = 0, j = 0; i < na || j < m;) {
		int c = i == na ? 1 : j == m ? -1
			: cmp_bytes(ea[i]->name, ea[i]->name_len, bn[j].name.p, bn[j].name.len);
		struct item *it = &items[n++];
		if (c <= 0)
			it->ea = ea[i++];
		if (c >= 0) {
			it->eb = bn[j].e;
			it->bname = &bn[j++].name;
		}
		it->st = !it->eb ? ST_ONLY_A : !it->ea ? ST_ONLY_B
			 : same_shape(it->ea, it->eb) ? ST_SAME : ST_INCOMPARABLE;
	}
	free(ea);
	*out = items;
	*nout = n;
	*bnames = bn;
	*nb = m;
	return rc;
}

static int open_side(const char *arg, struct bundle **b, struct ckpt_path *where)
{
	struct ck_err err = { 0 };

	if (ckpt_open(b, arg, where, &err) < 0) {
		cli_notes(&where->notes);
		return cli_error(&err);
	}
	cli_notes(&where->notes);
	return 0;
}

enum { O_ATOL = 256, O_RTOL, O_EQNAN, O_CRC, O_NAMES, O_MAP, O_STAT, O_JSON, O_SCOPE };

static const struct option opts[] = {
	{ "atol", required_argument, NULL, O_ATOL },
	{ "rtol", required_argument, NULL, O_RTOL },
	{ "equal-nan", no_argument, NULL, O_EQNAN },
	{ "trust-crc", no_argument, NULL, O_CRC },
	{ "names-only", no_argument, NULL, O_NAMES },
	{ "include", required_argument, NULL, 'i' },
	{ "exclude", required_argument, NULL, 'x' },
	{ "rule", required_argument, NULL, 'r' },
	{ "map", required_argument, NULL, O_MAP },
	{ "stat", no_argument, NULL, O_STAT },
	{ "by-scope", optional_argument, NULL, O_SCOPE },
	{ "json", no_argument, NULL, O_JSON },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "max-count", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One option into o (*formats counts -q, --stat and --json); -1 to go on, else the exit
 * status. */
static int diff_option(const struct cmd *self, int c, struct diff_opts *o, int *formats,
		       char **argv)
{
	struct ck_err err = { 0 };
	char *end;

	switch (c) {
	case O_ATOL:
	case O_RTOL:
		if (parse_double(optarg, c == O_ATOL ? &o->cmp.atol : &o->cmp.rtol) < 0)
			return cli_usage(self, "--%s takes a number >= 0, not '%s'",
					 c == O_ATOL ? "atol" : "rtol", optarg);
		return -1;
	case O_EQNAN: o->cmp.equal_nan = 1; return -1;
	case O_CRC: o->cmp.trust_crc = 1; return -1;
	case O_NAMES: o->names_only = 1; return -1;
	case O_STAT: o->format = FMT_STAT; (*formats)++; return -1;
	case O_JSON: o->format = FMT_JSON; (*formats)++; return -1;
	case 'q': o->format = FMT_QUIET; (*formats)++; return -1;
	case O_SCOPE: {
		long d = optarg ? strtol(optarg, &end, 10) : 0;
		if (optarg && (*end || d < 1 || d > 1000))
			return cli_usage(self, "--by-scope takes a depth of 1 or more, not '%s'", optarg);
		o->by_scope = 1;
		o->scope_depth = (int)d;
		return -1;
	}
	case 'v': o->verbose = 1; return -1;
	case 'h': return cli_help(self);
	case 'n': {
		unsigned long long v = strtoull(optarg, &end, 10);
		if (!*optarg || *end || *optarg == '-' || v == 0)
			return cli_usage(self, "-n takes a count of 1 or more, not '%s'", optarg);
		o->max_count = v;
		return -1;
	}
	case 'i':
	case 'x':
		return cli_add_filter(self, &o->names, optarg, c == 'x') ? EXIT_TROUBLE : -1;
	case 'r':
		return rules_parse(&o->rules, optarg, &err) < 0 ? cli_usage(self, "%s", err.msg) : -1;
	case O_MAP:
		return rules_load(&o->rules, optarg, &err) < 0 ? cli_error(&err) : -1;
	default:  /* ':' (a missing value) too */
		return cli_bad_option(self, argv, opts);
	}
}

/* The command line, checked; -1 to go on, else the exit status. */
static int diff_parse(const struct cmd *self, struct diff_opts *o, int argc, char **argv)
{
	int c, st, formats = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":i:x:r:qvn:h", opts, NULL)) != -1)
		if ((st = diff_option(self, c, o, &formats, argv)) >= 0)
			return st;
	if (argc - optind != 2)
		return cli_usage(self, "expected two checkpoints, got %d", argc - optind);
	if (formats > 1)
		return cli_usage(self, "choose one of -q, --stat and --json");
	if (o->by_scope && formats && o->format != FMT_STAT)
		return cli_usage(self, "--by-scope groups the lines of --stat (and implies it)");
	if (o->by_scope)
		o->format = FMT_STAT;
	return -1;
}

int cmd_diff(int argc, char **argv)
{
	const struct cmd *self = cli_find("diff");
	struct diff_opts o = { 0 };
	struct ckpt_path wa = { 0 }, wb = { 0 };
	struct bundle *ba = NULL, *bb = NULL;
	struct item *items = NULL;
	struct bname *bn = NULL;
	struct counts cnt = { 0 };
	size_t n = 0, nb = 0;
	int status;

	rules_init(&o.rules);
	if ((status = diff_parse(self, &o, argc, argv)) >= 0)
		goto out;
	status = EXIT_TROUBLE;
	if (open_side(argv[optind], &ba, &wa) || open_side(argv[optind + 1], &bb, &wb))
		goto out;
	if (pair_up(&o, ba, bb, &items, &n, &bn, &nb) < 0)
		goto out;
	for (size_t i = 0; i < o.rules.n; i++)
		if (!o.rules.v[i].hits && o.format != FMT_QUIET)
			cli_errorf("warning: rule '%s' matched no name in B", o.rules.v[i].text);
	run(&o, ba, bb, items, n, &cnt);
	switch (o.format) {
	case FMT_QUIET:
		break;
	case FMT_JSON:
		print_json(&o, argv + optind, ba, bb, items, n, &cnt);
		break;
	case FMT_STAT:
		print_stat(&o, items, n, &cnt);
		break;
	case FMT_TABLE:
		print_table(&o, items, n);
		print_summary(&o, &cnt);
		break;
	}
	status = cnt.st[ST_ERROR] ? EXIT_TROUBLE
		 : cnt.st[ST_CHANGED] || cnt.st[ST_ONLY_A] || cnt.st[ST_ONLY_B] ||
		   cnt.st[ST_INCOMPARABLE] ? EXIT_DIFF : EXIT_OK;
	status = cli_finish(status);
out:
	namefilter_release(&o.names);
	rules_release(&o.rules);
	for (size_t i = 0; i < nb; i++)
		bname_release(&bn[i]);
	free(bn);
	free(items);
	pool_release(&cnt.results);
	bundle_free(ba);
	bundle_free(bb);
	ckpt_path_release(&wa);
	ckpt_path_release(&wb);
	return status;
}
