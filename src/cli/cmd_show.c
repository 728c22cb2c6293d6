/* ckpt show: the values, statistics or raw bytes of tensors, and the TF2 object graph. */
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/outguard.h"
#include "store/file.h"
#include "format/bundle.h"
#include "format/dtype.h"
#include "format/objgraph.h"
#include "format/path.h"
#include "tensor/assemble.h"
#include "tensor/convert.h"
#include "tensor/npy.h"
#include "tensor/batch.h"
#include "tensor/stats.h"
#include "tensor/values.h"
#include "tensor/window.h"
#include "edit/statsmany.h"
#include "edit/surgery.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

static const char usage[] =
"usage: ckpt show [--stats | --finite] [--json] [--index EXPR] [--full] [--precision N]\n"
"                 PATH NAME...\n"
"       ckpt show [--stats | --finite] [--json] [--index EXPR] [--full] [--precision N]\n"
"                 --match REGEX [--match REGEX]... PATH [NAME...]\n"
"       ckpt show --npy FILE [--force] [--index EXPR] PATH NAME\n"
"       ckpt show --raw [--index EXPR] PATH NAME\n"
"       ckpt show --object-graph [--json] PATH\n"
"\n"
"Print tensors of a checkpoint: a header line (name, dtype, shape, size) and the values,\n"
"laid out as numpy prints them. A tensor of more than 1000 elements is summarised by the\n"
"first and last 3 entries of each dimension, and only those bytes are read. Partitioned\n"
"tensors are assembled from their slices. A graph's name for a tensor, NAME:0, finds NAME;\n"
"the TF2 object graph is decoded by --object-graph, not printed as bytes.\n"
"\n"
"Options:\n"
"  -m, --match REGEX    also show every tensor whose name matches REGEX (POSIX ERE;\n"
"                       repeatable)\n"
"  -s, --stats          instead of values, one table row per tensor: elements, min, max,\n"
"                       mean, std and L2 norm of the finite values, and the number of\n"
"                       zeros, NaN, +Inf and -Inf (complex: of |z|). Streams the whole\n"
"                       tensor; `ckpt show --stats --match . PATH` checks a checkpoint\n"
"                       for NaN and Inf\n"
"      --finite         --stats, and exit with status 1 when any value is NaN or Inf;\n"
"                       tensors that cannot be decoded (resource, variant, unknown\n"
"                       dtype) are named as not checked: exit 2 then, unless a NaN or\n"
"                       Inf was found (1); strings hold no numbers and pass\n"
"  -j, --json           JSON: per tensor {name, dtype, shape, values} (values nested as\n"
"                       numpy's tolist(), \"nan\"/\"inf\"/\"-inf\" as strings, complex as\n"
"                       [re, im], \"...\" where summarised) or, with --stats, {..., stats};\n"
"                       one NAME gives an object, several or --match an array\n"
"  -i, --index EXPR     only the elements numpy's a[EXPR] selects: '[0:2,:]', '[-1]',\n"
"                       '[..., ::2]'; reads only the byte ranges needed\n"
"  -f, --full           print every element, never summarise\n"
"  -p, --precision N    at most N digits after the point (default 8)\n"
"      --npy FILE       write the tensor (or the --index selection) to FILE in NumPy's\n"
"                       .npy format; bfloat16 and float8 are widened to float32, strings\n"
"                       become fixed-width bytes ('|S<n>')\n"
"      --force          let --npy replace an existing FILE\n"
"      --raw            write the tensor's bytes, as stored, to standard output\n"
"      --object-graph   print the TF2 object graph: each node with its path, child edges,\n"
"                       attributes (checkpoint key, full name) and optimizer slots\n"
"  -h, --help           show this help\n"
"\n"
"Whenever a whole tensor is read (--stats, --npy, --raw, --full, or 1000 elements or\n"
"fewer) its CRC-32C is checked; a summary or --index selection reads only what it shows\n"
"and is not checked: use 'ckpt verify' for that.\n"
"\n"
"Exit status: 0 success, 1 (--finite) some value is NaN or Inf, 2 trouble (unknown tensor,\n"
"unreadable or corrupt data, or with --finite and no NaN or Inf found, a tensor that could\n"
"not be decoded and so not checked).\n";

#define THRESHOLD 1000   /* numpy's print threshold */
#define EDGE 3           /* numpy's edgeitems */
#define CHUNK (4u << 20)

struct show_opts {
	int stats, json, full, precision, raw, force, object_graph, finite;
	const char *index, *npy;
	struct namefilter match;  /* --match: its includes */
};

struct show {
	struct show_opts *o;
	struct bundle *b;
	const char *path;     /* as the user typed it */
	struct ck_err err;
};

static int is_opaque(int dtype)
{
	const struct dtype_info *d = dtype_info(dtype);
	return !d || d->kind == DK_OPAQUE || (!d->size && d->kind != DK_STRING);
}

/* ---- choosing tensors ------------------------------------------------------------- */

static char *name_text(const struct bundle_entry *e)
{
	struct buf b = BUF_INIT;
	name_escaped(&b, e->name, e->name_len);
	return buf_detach(&b, NULL);
}

struct cand {
	const struct bundle_entry *e;
	size_t score;
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	return x->score < y->score ? -1 : x->score > y->score ? 1 : x->e < y->e ? -1 : x->e > y->e;
}

/* "no tensor "x"; did you mean "a", "b" or "c"?" from edit distance and substrings. */
static int unknown_name(struct show *S, const char *name)
{
	struct cand *c = xcalloc(S->b->nentries + 1, sizeof(*c));
	struct buf msg = BUF_INIT;
	size_t n = 0, len = strlen(name), limit = 2 + len / 3;

	for (size_t i = 0; i < S->b->nentries; i++) {
		const struct bundle_entry *e = &S->b->entries[i];
		size_t d;
		if (e->is_slice)
			continue;
		d = name_distance(name, len, e->name, e->name_len);
		if (len >= 3 && (strstr(e->name, name) || strstr(name, e->name)))
			d = d < limit ? d : limit;  /* a substring is a fair guess too */
		if (d <= limit)
			c[n++] = (struct cand){ e, d };
	}
	sort_array(c, n, sizeof(*c), cmp_cand);
	buf_addf(&msg, "%s: no tensor \"", S->path);
	string_escaped(&msg, (const uint8_t *)name, len, '"');
	buf_addc(&msg, '"');
	for (size_t i = 0; i < n && i < 3; i++) {
		char *t = name_text(c[i].e);
		buf_addf(&msg, "%s\"%s\"", i == 0 ? "; did you mean " : i + 1 == (n < 3 ? n : 3) ? " or " : ", ", t);
		free(t);
	}
	buf_addf(&msg, "%s", n ? "?" : " (see 'ckpt list')");
	cli_errorf("%s", (char *)msg.p);
	buf_release(&msg);
	free(c);
	return EXIT_TROUBLE;
}

/* The tensor NAME; for a graph's name of it, "NAME:0" (what TF1 graphs and Keras print), the
 * tensor NAME when "NAME:0" itself is not a key. NULL if neither. */
static const struct bundle_entry *find_named(struct show *S, const char *name)
{
	const struct bundle_entry *e = bundle_find(S->b, name, strlen(name));
	size_t len = strlen(name);

	if ((e && !e->is_slice) || len < 3 || strcmp(name + len - 2, ":0"))
		return e && !e->is_slice ? e : NULL;
	e = bundle_find(S->b, name, len - 2);
	if (!e || e->is_slice)
		return NULL;
	fprintf(stderr, "ckpt: show: note: \"%.*s\" is the graph's name for the tensor \"%.*s\"\n",
		(int)len, name, (int)len - 2, name);
	return e;
}

/* The tensors to show: the NAMEs in order, then --match hits in name order. */
static int select_tensors(struct show *S, char **names, int nnames, const struct bundle_entry ***out,
			  size_t *nout)
{
	const struct bundle_entry **sel = xcalloc(S->b->nentries + (size_t)nnames + 1, sizeof(*sel));
	unsigned char *taken = xcalloc(S->b->nentries + 1, 1);
	size_t n = 0;

	for (int i = 0; i < nnames; i++) {
		const struct bundle_entry *e = find_named(S, names[i]);
		if (!e) {
			free(sel);
			free(taken);
			return unknown_name(S, names[i]);
		}
		sel[n++] = e;
		taken[e - S->b->entries] = 1;
	}
	for (size_t k = 0; k < S->o->match.ninc; k++) {
		size_t hits = 0;
		for (size_t i = 0; i < S->b->nentries; i++) {
			const struct bundle_entry *e = &S->b->entries[i];
			if (e->is_slice || !namefilter_inc_match(&S->o->match, k, e->name))
				continue;
			hits++;
			if (!taken[i]) {
				taken[i] = 1;
				sel[n++] = e;
			}
		}
		if (!hits) {
			free(sel);
			free(taken);
			return cli_errorf("%s: no tensor name matches the --match pattern", S->path);
		}
	}
	free(taken);
	*out = sel;
	*nout = n;
	return 0;
}

/* ---- reading values --------------------------------------------------------------- */

/* The elements a window selects, little-endian, CRC-checked when the window is the whole
 * tensor. For strings, p/len point into *strs. */
struct selection {
	struct window w;
	int rank;
	int64_t *dims;
	unsigned char *elided;
	uint64_t count;
	struct buf data;
	struct strtab strs;
	const uint8_t **sp;
	size_t *sl;
	int checked;
};

static void selection_release(struct selection *s)
{
	window_release(&s->w);
	free(s->dims);
	free(s->elided);
	buf_release(&s->data);
	strtab_release(&s->strs);
	free(s->sp);
	free(s->sl);
	memset(s, 0, sizeof(*s));
}

static int make_window(struct show *S, const struct bundle_entry *e, struct window *w)
{
	if (!S->o->index) {
		window_all(w, e->dims, e->rank);
		return 0;
	}
	if (window_parse(w, S->o->index, e->dims, e->rank, &S->err) < 0) {
		char *name = name_text(e);
		ck_wrap(&S->err, "--index for \"%s\"", name);
		free(name);
		return -1;
	}
	return 0;
}

/* Read the whole payload in stored order, CRC-checked. */
static int read_whole(struct show *S, const struct bundle_entry *e, struct buf *out)
{
	const struct dtype_info *d = dtype_info(e->dtype);
	int rc;

	if (!e->nslices)
		return bundle_read(S->b, e, out, &S->err);
	rc = tensor_verify(S->b, e, &S->err);
	if (rc < 0)
		return rc;
	buf_reset(out);
	buf_grow(out, (size_t)(e->elements * (uint64_t)d->size));
	rc = tensor_read_range(S->b, e, 0, e->elements, out->p, &S->err);
	if (!rc)
		out->len = (size_t)(e->elements * (uint64_t)d->size);
	return rc;
}

static int load_selection(struct show *S, const struct bundle_entry *e, struct selection *s,
			  int summarise)
{
	const struct dtype_info *d = dtype_info(e->dtype);
	int rc;

	memset(s, 0, sizeof(*s));
	if (make_window(S, e, &s->w) < 0)
		return -1;
	if (summarise && !S->o->full && window_count(&s->w) > THRESHOLD)
		window_summarise(&s->w, EDGE);
	s->dims = xcalloc((size_t)e->rank + 1, sizeof(int64_t));
	s->elided = xcalloc((size_t)e->rank + 1, 1);
	s->rank = window_shape(&s->w, s->dims, s->elided);
	s->count = window_count(&s->w);
	if (e->dtype == DT_STRING) {
		rc = tensor_strings(S->b, e, &s->strs, &S->err);
		if (rc < 0)
			return rc;
		s->sp = xcalloc((size_t)s->count + 1, sizeof(*s->sp));
		s->sl = xcalloc((size_t)s->count + 1, sizeof(*s->sl));
		window_strings(&s->w, &s->strs, s->sp, s->sl);
		s->checked = 1;
		return 0;
	}
	if (s->count > SIZE_MAX / 16)
		return ck_error(&S->err, CK_EUNSUP, "selection too large to hold in memory");
	if (window_is_all(&s->w)) {
		rc = read_whole(S, e, &s->data);
		s->checked = 1;
	} else {
		buf_grow(&s->data, (size_t)(s->count * (uint64_t)d->size));
		rc = window_read(S->b, e, &s->w, s->data.p, &S->err);
		if (!rc)
			s->data.len = (size_t)(s->count * (uint64_t)d->size);
	}
	if (!rc && S->b->big_endian)
		swap_elements(e->dtype, s->data.p, s->count);
	return rc;
}

/* ---- output pieces ---------------------------------------------------------------- */

static void header_line(struct show *S, const struct bundle_entry *e, const struct selection *s,
			struct buf *out)
{
	char size[32];
	char *name = name_text(e);

	buf_addf(out, "%s  %s  ", name, dtype_name(e->dtype));
	shape_format(out, e->dims, e->rank);
	buf_addf(out, "  %s", fmt_size(size, e->nslices ? e->slices_bytes : e->size, 0));
	if (e->nslices)
		buf_addf(out, "  (partitioned, %zu slices)", e->nslices);
	if (S->o->index && s) {
		buf_addf(out, "  index %s -> ", S->o->index);
		shape_format(out, s->dims, s->rank);
	}
	buf_addc(out, '\n');
	free(name);
}

static void stats_json(cJSON *o, int dtype, const struct stats *st)
{
	cJSON *j = cJSON_AddObjectToObject(o, "stats");
	struct buf t = BUF_INIT;

#define NUM(key, v, dt)                                   \
	do {                                              \
		buf_reset(&t);                            \
		if (isfinite(v)) {                        \
			format_repr(&t, dt, v);           \
			cJSON_AddRawToObject(j, key, (char *)t.p); \
		} else {                                  \
			cJSON_AddNullToObject(j, key);    \
		}                                         \
	} while (0)

	json_add_u64(j, "count", st->count);
	if (st->kind == STATS_NONE || !st->finite) {
		cJSON_AddNullToObject(j, "min");
		cJSON_AddNullToObject(j, "max");
		cJSON_AddNullToObject(j, "mean");
		cJSON_AddNullToObject(j, "std");
		if (st->kind == STATS_NONE)
			cJSON_AddNullToObject(j, "l2");
		else
			cJSON_AddRawToObject(j, "l2", "0.0");  /* a float, as for any float tensor */
	} else {
		if (st->kind == STATS_INT) {
			json_add_i64(j, "min", st->imin);
			json_add_i64(j, "max", st->imax);
		} else if (st->kind == STATS_UINT) {
			json_add_u64(j, "min", st->umin);
			json_add_u64(j, "max", st->umax);
		} else {
			NUM("min", st->min, dtype == DT_COMPLEX64 ? DT_FLOAT : dtype);
			NUM("max", st->max, dtype == DT_COMPLEX64 ? DT_FLOAT : dtype);
		}
		NUM("mean", st->mean, DT_DOUBLE);
		NUM("std", stats_std(st), DT_DOUBLE);
		NUM("l2", stats_l2(st), DT_DOUBLE);
	}
	if (st->kind == STATS_NONE) {
		cJSON_AddNullToObject(j, "zeros");
		cJSON_AddNullToObject(j, "nan");
		cJSON_AddNullToObject(j, "posinf");
		cJSON_AddNullToObject(j, "neginf");
	} else {
		json_add_u64(j, "zeros", st->zeros);
		json_add_u64(j, "nan", st->nan);
		json_add_u64(j, "posinf", st->posinf);
		json_add_u64(j, "neginf", st->neginf);
	}
#undef NUM
	buf_release(&t);
}

static cJSON *json_tensor(const struct bundle_entry *e)
{
	cJSON *o = cJSON_CreateObject();

	json_add_name(o, "name", e->name, e->name_len);
	cJSON_AddStringToObject(o, "dtype", dtype_name(e->dtype));
	cJSON_AddItemToObject(o, "shape", json_shape(e->dims, e->rank));
	if (e->nslices)
		json_add_u64(o, "partitions", e->nslices);
	return o;
}

static void add_window_json(struct show *S, cJSON *o, const struct selection *s)
{
	if (!S->o->index)
		return;
	cJSON_AddStringToObject(o, "index", S->o->index);
	cJSON_AddItemToObject(o, "index_shape", json_shape(s->dims, s->rank));
}

/* An array of tensor objects: one pretty-printed object after another. */
static void print_array(cJSON *arr, int array)
{
	cJSON *o;
	int first = 1;

	if (!array) {
		json_print(cJSON_GetArrayItem(arr, 0), stdout);
		return;
	}
	json_mark(stdout);
	fputs("[", stdout);
	cJSON_ArrayForEach(o, arr) {
		char *t = cJSON_Print(o);
		if (t)
			printf("%s%s", first ? "" : ",\n", t);
		first = 0;
		cJSON_free(t);
	}
	fputs("]\n", stdout);
}

/* ---- --stats ---------------------------------------------------------------------- */

/* Written into the table in place (a copy and a malloc each cost as much as the digits). */
static void cell_number(struct tab *t, int dtype, double v, int shortest_form)
{
	struct buf *b = tab_cell_begin(t);

	if (shortest_form)
		format_shortest(b, dtype, v);
	else if (isnan(v))
		buf_add(b, "nan", 3);
	else
		format_g(b, v, 7);
	tab_cell_end(t);
}

static void stats_row(struct tab *t, const struct bundle_entry *e, const struct stats *st)
{
	int numeric = st->kind != STATS_NONE, some = numeric && st->finite;
	int dt = e->dtype == DT_COMPLEX64 ? DT_FLOAT : e->dtype;

	name_escaped(tab_cell_begin(t), e->name, e->name_len);
	tab_cell_end(t);
	tab_add(t, dtype_name(e->dtype));
	shape_format(tab_cell_begin(t), e->dims, e->rank);
	tab_cell_end(t);
	tab_add_u64(t, st->count);  /* counts without printf: this runs once a tensor */
	if (!some) {
		for (int i = 0; i < 5; i++)
			tab_add(t, "-");
	} else {
		if (st->kind == STATS_INT) {
			tab_addf(t, "%lld", (long long)st->imin);
			tab_addf(t, "%lld", (long long)st->imax);
		} else if (st->kind == STATS_UINT) {
			tab_addf(t, "%llu", (unsigned long long)st->umin);
			tab_addf(t, "%llu", (unsigned long long)st->umax);
		} else {
			cell_number(t, dt, st->min, 1);
			cell_number(t, dt, st->max, 1);
		}
		cell_number(t, DT_DOUBLE, st->mean, 0);
		cell_number(t, DT_DOUBLE, stats_std(st), 0);
		cell_number(t, DT_DOUBLE, stats_l2(st), 0);
	}
	if (numeric) {
		tab_add_u64(t, st->zeros);
		tab_add_u64(t, st->nan);
		tab_add_u64(t, st->posinf);
		tab_add_u64(t, st->neginf);
	} else {
		for (int i = 0; i < 4; i++)
			tab_add(t, "-");
	}
}

/* p: e's payload when a window holds it (batch.h), else NULL. */
static int tensor_stats(struct show *S, const struct bundle_entry *e, const uint8_t *p,
			struct stats *st)
{
	struct selection s;
	int rc;

	if (!S->o->index)
		return p ? stats_tensor_bytes(S->b, e, p, st, &S->err)
			 : stats_tensor(S->b, e, st, &S->err);
	stats_init(st, e->dtype);
	rc = load_selection(S, e, &s, 0);
	if (!rc) {
		if (st->kind == STATS_NONE)
			st->count = s.count;
		else
			stats_add(st, e->dtype, s.data.p, (size_t)s.count, 0);
	}
	selection_release(&s);
	return rc;
}

/* "resource, variant" and the names of the tensors whose values could not be decoded (and so
 * not checked for NaN and Inf), the first three of them. */
static void unchecked_text(const struct bundle_entry **sel, size_t n, struct buf *kinds,
			   struct buf *names)
{
	size_t shown = 0, count = 0;

	for (size_t i = 0; i < n; i++) {
		const char *d = dtype_name(sel[i]->dtype);
		int seen = 0;
		if (!is_opaque(sel[i]->dtype))
			continue;
		for (size_t k = 0; k < i && !seen; k++)
			seen = is_opaque(sel[k]->dtype) && !strcmp(dtype_name(sel[k]->dtype), d);
		if (!seen)
			buf_addf(kinds, "%s%s", kinds->len ? ", " : "", d);
		count++;
		if (shown < 3) {
			char *name = name_text(sel[i]);
			buf_addf(names, "%s\"%s\"", shown ? ", " : "", name);
			free(name);
			shown++;
		}
	}
	if (count > shown)
		buf_addf(names, " and %zu more", count - shown);
}

/* Totals of --stats rows, and the table they go to (one a run of statsmany_run). */
struct stats_sink {
	struct tab *t;
	uint64_t elements, nan, inf, bad, unchecked;
};

static void sink_add(struct stats_sink *k, const struct bundle_entry *e, const struct stats *st)
{
	k->unchecked += is_opaque(e->dtype);
	k->elements += st->count;
	k->nan += st->nan;
	k->inf += st->posinf + st->neginf;
	k->bad += st->nan || st->posinf || st->neginf;
}

/* statsmany_run's sink: a table row, on the run's thread. */
static void sink_row(void *arg, const struct bundle_entry *e, const struct stats *st)
{
	struct stats_sink *k = arg;

	stats_row(k->t, e, st);
	sink_add(k, e, st);
}

/* The --stats rows (or JSON objects) of the entries of sel[0..n) whose from[i] is still
 * STATSMANY_NONE (all of them when from is NULL), one by one, into k. 0, or the first error. */
static int stats_one_by_one(struct show *S, const struct bundle_entry **sel, size_t n,
			    const unsigned char *from, cJSON *arr, struct stats_sink *k)
{
	struct batch w;
	int rc = 0;

	batch_init(&w);
	batch_start(&w, S->b);
	for (size_t i = 0, j = 0; i < n && !rc; i++) {
		const struct bundle_entry *e = sel[i];
		const uint8_t *p = NULL;
		struct stats st;
		/* Small payloads a window at a time, as verify reads them (a pread each cost more
		 * than their statistics); the others, and any a window missed, one by one. */
		if (!S->o->index) {
			if (i == j) {
				batch_start(&w, S->b);
				while (j < n && batch_add(&w, sel[j]))
					j++;
				j += j == i;
				batch_fill(&w, NULL);  /* on failure, the one-by-one reads say why */
			}
			p = batch_payload(&w, e);
		}
		if (from && from[i] != STATSMANY_NONE)  /* a run of statsmany_run made this row */
			continue;
		if ((rc = tensor_stats(S, e, p, &st)) < 0)
			break;
		if (S->o->json) {
			cJSON *o = json_tensor(e);
			if (S->o->index) {
				cJSON_AddStringToObject(o, "index", S->o->index);
			}
			stats_json(o, e->dtype, &st);
			if (is_opaque(e->dtype))
				cJSON_AddStringToObject(o, "note", "not decoded: not checked");
			cJSON_AddItemToArray(arr, o);
		} else {
			stats_row(k->t, e, &st);
		}
		sink_add(k, e, &st);
	}
	batch_release(&w);
	return rc;
}

static int show_stats(struct show *S, const struct bundle_entry **sel, size_t n, int array)
{
	struct tab t, t1, t2;  /* t1, t2: rows made by the runs of statsmany_run */
	const struct tab *tabs[3] = { &t, &t1, &t2 };
	struct stats_sink k[3] = { { .t = &t }, { .t = &t1 }, { .t = &t2 } };
	void *sinks[2] = { &k[0], &k[1] };
	unsigned char *from = NULL;
	cJSON *arr = cJSON_CreateArray();
	uint64_t elements = 0, nan = 0, inf = 0, bad = 0, unchecked = 0;
	struct buf kinds = BUF_INIT, names = BUF_INIT;
	char c1[32], c2[32];
	int rc = 0;

	tab_init(&t, "lllrrrrrrrrrr");
	for (const char *h = "NAME\0DTYPE\0SHAPE\0COUNT\0MIN\0MAX\0MEAN\0STD\0L2\0ZEROS\0NAN\0+INF\0-INF\0";
	     *h; h += strlen(h) + 1)
		tab_add(&t, h);
	tab_init(&t1, "lllrrrrrrrrrr");
	tab_init(&t2, "lllrrrrrrrrrr");
	/* Whole small tensors on two cores; what they leave (all, when they cannot) one by one. */
	if (!S->o->index && !S->o->json && statsmany_eligible(S->b, sel, n)) {
		from = xmalloc(n);
		if (statsmany_run(S->b, sel, n, sink_row, sinks, from))
			rc = stats_one_by_one(S, sel, n, from, arr, &k[2]);
	} else {
		rc = stats_one_by_one(S, sel, n, NULL, arr, &k[0]);
	}
	for (int i = 0; i < 3; i++) {
		elements += k[i].elements;
		nan += k[i].nan;
		inf += k[i].inf;
		bad += k[i].bad;
		unchecked += k[i].unchecked;
	}
	unchecked_text(sel, n, &kinds, &names);
	if (rc < 0) {
		cli_error(&S->err);
	} else if (S->o->json) {
		print_array(arr, array);
	} else {
		tab_print_merged(tabs, 3, from, n + 1, stdout);
		printf("%zu %s, %s elements: ", n, n == 1 ? "tensor" : "tensors", fmt_count(c1, elements));
		if (bad)
			printf("%s NaN, %s Inf in %llu %s", fmt_count(c1, nan), fmt_count(c2, inf),
			       (unsigned long long)bad, bad == 1 ? "tensor" : "tensors");
		else if (unchecked)
			printf("no NaN or Inf in the %llu checked", (unsigned long long)(n - unchecked));
		else
			printf("no NaN or Inf");
		if (unchecked)
			printf("; %llu not checked (%s: not decoded)", (unsigned long long)unchecked,
			       (char *)kinds.p);
		putchar('\n');
	}
	/* --finite promises an answer: one found is 1, none found with some tensors unread is
	 * trouble (2), since a variant may hold NaN. Strings hold no numbers and pass. */
	if (!rc && S->o->finite && !bad && unchecked) {
		fflush(stdout);
		cli_errorf("%s: %llu %s not checked for NaN and Inf (%s: not decoded): %s", S->path,
			   (unsigned long long)unchecked, unchecked == 1 ? "tensor" : "tensors",
			   (char *)kinds.p, (char *)names.p);
	}
	cJSON_Delete(arr);
	tab_release(&t);
	tab_release(&t1);
	tab_release(&t2);
	free(from);
	buf_release(&kinds);
	buf_release(&names);
	if (rc < 0)
		return EXIT_TROUBLE;
	if (S->o->finite && bad)
		return EXIT_DIFF;
	return S->o->finite && unchecked ? EXIT_TROUBLE : EXIT_OK;
}

/* ---- values ----------------------------------------------------------------------- */

static void fill_vals(struct vals *v, const struct bundle_entry *e, const struct selection *s)
{
	memset(v, 0, sizeof(*v));
	v->dtype = e->dtype;
	v->rank = s->rank;
	v->dims = s->dims;
	v->elided = s->elided;
	v->data = s->data.p;
	v->strs = s->sp;
	v->lens = s->sl;
}

static int show_values(struct show *S, const struct bundle_entry **sel, size_t n, int array)
{
	cJSON *arr = cJSON_CreateArray();
	struct buf out = BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		const struct bundle_entry *e = sel[i];
		struct selection s = { 0 };
		struct vals v;
		cJSON *o = NULL;

		buf_reset(&out);
		if (is_graph_key(e->name, e->name_len)) {
			/* Its one string is a serialized proto: --object-graph decodes it. */
			if (S->o->json) {
				o = json_tensor(e);
				cJSON_AddNullToObject(o, "values");
				cJSON_AddStringToObject(o, "note", "TF2 object graph: see ckpt show --object-graph");
				cJSON_AddItemToArray(arr, o);
			} else {
				header_line(S, e, NULL, &out);
				buf_addf(&out, "<TF2 object graph: 'ckpt show --object-graph %s' decodes it>\n",
					 S->path);
			}
		} else if (is_opaque(e->dtype)) {
			/* Resource handles and variants have no element layout to decode. */
			if (S->o->json) {
				o = json_tensor(e);
				cJSON_AddNullToObject(o, "values");
				cJSON_AddStringToObject(o, "note", "not decoded");
				cJSON_AddItemToArray(arr, o);
			} else {
				char sz[32];
				header_line(S, e, NULL, &out);
				buf_addf(&out, "<%s, not decoded: %s>\n", dtype_name(e->dtype),
					 fmt_size(sz, e->size, 0));
			}
		} else {
			rc = load_selection(S, e, &s, 1);
			if (rc < 0) {
				selection_release(&s);
				break;
			}
			fill_vals(&v, e, &s);
			if (S->o->json) {
				struct buf txt = BUF_INIT;
				o = json_tensor(e);
				add_window_json(S, o, &s);
				values_json(&txt, &v);
				cJSON_AddRawToObject(o, "values", (char *)txt.p);
				for (int d = 0; d < s.rank; d++)
					if (s.elided[d]) {
						cJSON_AddBoolToObject(o, "summarised", 1);
						break;
					}
				cJSON_AddItemToArray(arr, o);
				buf_release(&txt);
			} else {
				header_line(S, e, &s, &out);
				values_text(&out, &v, S->o->precision);
				buf_addc(&out, '\n');
			}
			selection_release(&s);
		}
		if (!S->o->json) {
			if (i)
				putchar('\n');
			fwrite(out.p, 1, out.len, stdout);
		}
	}
	if (rc < 0) {
		fflush(stdout);
		cli_error(&S->err);
	} else if (S->o->json) {
		print_array(arr, array);
	}
	cJSON_Delete(arr);
	buf_release(&out);
	return rc < 0 ? EXIT_TROUBLE : EXIT_OK;
}

/* ---- --raw and --npy -------------------------------------------------------------- */

/* Stream the whole tensor in stored order, in chunks, CRC-checked: fn gets each chunk. */
static int stream_tensor(struct show *S, const struct bundle_entry *e,
			 int (*fn)(struct show *S, void *ctx, uint8_t *p, size_t n), void *ctx)
{
	const struct dtype_info *d = dtype_info(e->dtype);
	uint8_t *chunk = xmalloc(CHUNK);
	int rc = 0;

	if (!e->nslices) {
		struct tensor_stream ts;
		long long got;
		rc = tensor_stream_open(&ts, S->b, e, &S->err);
		while (!rc && (got = tensor_stream_read(&ts, chunk, CHUNK, &S->err)) != 0) {
			if (got < 0)
				rc = (int)got;
			else
				rc = fn(S, ctx, chunk, (size_t)got);
		}
		if (!rc && e->size == 0 && (got = tensor_stream_read(&ts, chunk, 0, &S->err)) < 0)
			rc = (int)got;
	} else {
		uint64_t per = CHUNK / (uint64_t)d->size;
		rc = tensor_verify(S->b, e, &S->err);
		for (uint64_t at = 0; !rc && at < e->elements; at += per) {
			uint64_t k = e->elements - at < per ? e->elements - at : per;
			rc = tensor_read_range(S->b, e, at, k, chunk, &S->err);
			if (!rc)
				rc = fn(S, ctx, chunk, (size_t)(k * (uint64_t)d->size));
		}
	}
	free(chunk);
	return rc;
}

static int raw_chunk(struct show *S, void *ctx, uint8_t *p, size_t n)
{
	(void)ctx;
	if (fwrite(p, 1, n, stdout) != n)
		return ck_error(&S->err, CK_EIO, "error writing output");
	return 0;
}

static int show_raw(struct show *S, const struct bundle_entry *e)
{
	int rc;

	if (isatty(STDOUT_FILENO))
		return cli_errorf("refusing to write binary data to a terminal; redirect the output "
				  "(ckpt show --raw PATH NAME > FILE)");
	if (is_opaque(e->dtype) && e->nslices)
		return cli_errorf("cannot assemble a partitioned %s tensor", dtype_name(e->dtype));
	if (S->o->index) {
		struct selection s;
		if (!dtype_is_numeric(e->dtype))
			return cli_errorf("--raw with --index needs a numeric tensor, not %s",
					  dtype_name(e->dtype));
		rc = load_selection(S, e, &s, 0);
		if (!rc && S->b->big_endian)  /* back to the stored byte order */
			swap_elements(e->dtype, s.data.p, s.count);
		if (!rc)
			rc = raw_chunk(S, NULL, s.data.p, s.data.len);
		selection_release(&s);
	} else if (e->dtype == DT_VARIANT || e->dtype == DT_RESOURCE || !dtype_info(e->dtype)) {
		struct buf all = BUF_INIT;  /* no CRC rule to stream with: read it plain */
		buf_grow(&all, (size_t)e->size);
		rc = bundle_pread(S->b, e, 0, all.p, (size_t)e->size, &S->err);
		if (!rc)
			rc = raw_chunk(S, NULL, all.p, (size_t)e->size);
		buf_release(&all);
	} else {
		rc = stream_tensor(S, e, raw_chunk, NULL);
	}
	if (rc < 0)
		return cli_error(&S->err);
	return cli_finish(EXIT_OK);
}

struct npy_ctx {
	struct outfile f;
	int dtype, widen, swap;
	struct buf conv;
};

static int npy_chunk(struct show *S, void *ctx, uint8_t *p, size_t n)
{
	struct npy_ctx *c = ctx;
	const struct dtype_info *d = dtype_info(c->dtype);
	size_t k = n / (size_t)d->size;

	if (c->swap)
		swap_elements(c->dtype, p, k);
	if (c->widen) {
		/* bfloat16 and float8 values are exact in float32. */
		float *f;
		buf_reset(&c->conv);
		buf_grow(&c->conv, k * 4);
		f = (float *)(void *)c->conv.p;
		if (c->dtype == DT_BFLOAT16) {
			for (size_t i = 0; i < k; i++) {
				uint32_t bits = (uint32_t)(p[2 * i] | p[2 * i + 1] << 8) << 16;
				memcpy(&f[i], &bits, 4);
			}
		} else {
			for (size_t i = 0; i < k; i++)
				f[i] = (float)float8_to_double(c->dtype, p[i]);
		}
		return outfile_write(&c->f, c->conv.p, k * 4, &S->err);
	}
	return outfile_write(&c->f, p, n, &S->err);
}

static int npy_strings(struct show *S, struct npy_ctx *c, const struct bundle_entry *e)
{
	struct selection s;
	struct buf hdr = BUF_INIT, row = BUF_INIT;
	size_t width = 1, nul = 0;
	char descr[32];
	int rc = load_selection(S, e, &s, 0);

	for (uint64_t i = 0; !rc && i < s.count; i++) {
		width = s.sl[i] > width ? s.sl[i] : width;
		nul += s.sl[i] && s.sp[i][s.sl[i] - 1] == 0;
	}
	if (!rc && nul)
		fprintf(stderr, "ckpt: show: note: %zu strings end in NUL bytes, which numpy's '|S' "
			"type drops when reading\n", nul);
	snprintf(descr, sizeof(descr), "|S%zu", width);
	if (!rc) {
		npy_header(&hdr, descr, s.dims, s.rank);
		rc = outfile_write(&c->f, hdr.p, hdr.len, &S->err);
	}
	buf_grow(&row, width);
	for (uint64_t i = 0; !rc && i < s.count; i++) {
		memset(row.p, 0, width);
		memcpy(row.p, s.sp[i], s.sl[i]);
		rc = outfile_write(&c->f, row.p, width, &S->err);
	}
	buf_release(&hdr);
	buf_release(&row);
	selection_release(&s);
	return rc;
}

static int show_npy(struct show *S, const struct bundle_entry *e)
{
	struct npy_ctx c = { OUTFILE_INIT, e->dtype, 0, S->b->big_endian, BUF_INIT };
	const char *descr = e->dtype == DT_STRING ? "|S" : npy_descr(e->dtype, &c.widen);
	struct buf hdr = BUF_INIT;
	int rc;

	if (!descr)
		return cli_errorf("%s tensors have no NumPy equivalent: use --raw for their bytes",
				  dtype_name(e->dtype));
	surg_signals();  /* Ctrl-C leaves no temporary file behind */
	if (outfile_create(&c.f, S->o->npy, S->o->force, &S->err) < 0)
		return cli_error(&S->err);
	if (e->dtype == DT_STRING) {
		rc = npy_strings(S, &c, e);
	} else if (S->o->index) {
		struct selection s;
		rc = load_selection(S, e, &s, 0);  /* already little-endian */
		if (!rc) {
			npy_header(&hdr, descr, s.dims, s.rank);
			rc = outfile_write(&c.f, hdr.p, hdr.len, &S->err);
		}
		c.swap = 0;
		if (!rc)
			rc = npy_chunk(S, &c, s.data.p, s.data.len);
		selection_release(&s);
	} else {
		npy_header(&hdr, descr, e->dims, e->rank);
		rc = outfile_write(&c.f, hdr.p, hdr.len, &S->err);
		if (!rc)
			rc = stream_tensor(S, e, npy_chunk, &c);
	}
	if (!rc)
		rc = outfile_commit(&c.f, &S->err);
	outfile_abort(&c.f);
	buf_release(&hdr);
	buf_release(&c.conv);
	if (rc < 0)
		return cli_error(&S->err);
	if (c.widen)
		fprintf(stderr, "ckpt: show: note: %s values written as float32 (NumPy has no %s)\n",
			dtype_name(e->dtype), dtype_name(e->dtype));
	return EXIT_OK;
}

/* ---- --object-graph --------------------------------------------------------------- */

static void quoted(struct buf *out, const ProtobufCBinaryData *s)
{
	buf_addc(out, '"');
	string_escaped(out, s->data, s->len, '"');
	buf_addc(out, '"');
}

static void json_bytes(cJSON *o, const char *key, const ProtobufCBinaryData *s)
{
	json_add_name(o, key, s->data, s->len);
}

/* A node's attributes: each with its key and, when the index has that key, its dtype and
 * shape; into ja (JSON) or out (text). */
static void graph_node_attributes(const struct bundle *b,
				  const Tensorflow__TrackableObjectGraph__TrackableObject *o,
				  cJSON *ja, struct buf *out)
{
	for (size_t k = 0; k < o->n_attributes; k++) {
		const Tensorflow__TrackableObjectGraph__TrackableObject__SerializedTensor *a =
			o->attributes[k];
		const struct bundle_entry *e = bundle_find(b, a->checkpoint_key.data,
							   a->checkpoint_key.len);
		if (ja) {
			cJSON *c = cJSON_CreateObject();
			json_bytes(c, "name", &a->name);
			json_bytes(c, "checkpoint_key", &a->checkpoint_key);
			json_bytes(c, "full_name", &a->full_name);
			if (a->optional_restore)
				cJSON_AddBoolToObject(c, "optional_restore", 1);
			cJSON_AddBoolToObject(c, "in_index", e != NULL);
			if (e) {
				cJSON_AddStringToObject(c, "dtype", dtype_name(e->dtype));
				cJSON_AddItemToObject(c, "shape", json_shape(e->dims, e->rank));
			}
			cJSON_AddItemToArray(ja, c);
		} else {
			buf_add(out, "  attribute ", 12);
			quoted(out, &a->name);
			buf_add(out, ": key ", 6);
			quoted(out, &a->checkpoint_key);
			if (e) {
				buf_addf(out, ", %s ", dtype_name(e->dtype));
				shape_format(out, e->dims, e->rank);
			} else {
				buf_add(out, " (not in the index)", 19);
			}
			if (a->full_name.len) {
				buf_add(out, ", full name ", 12);
				quoted(out, &a->full_name);
			}
			if (a->optional_restore)
				buf_add(out, ", optional", 10);
			buf_addc(out, '\n');
		}
	}
}

static int show_object_graph(struct show *S)
{
	objgraph *g;
	char **path;
	struct buf out = BUF_INIT;
	cJSON *root = NULL, *nodes = NULL;
	int rc = objgraph_load(S->b, &g, &S->err);

	if (rc < 0)
		return cli_error(&S->err);
	path = objgraph_paths(g);
	if (S->o->json) {
		root = cJSON_CreateObject();
		json_add_u64(root, "node_count", g->n_nodes);
		nodes = cJSON_AddArrayToObject(root, "nodes");
	}
	for (size_t i = 0; i < g->n_nodes; i++) {
		const Tensorflow__TrackableObjectGraph__TrackableObject *o = g->nodes[i];
		cJSON *jn = NULL, *ja = NULL;
		if (S->o->json) {
			jn = cJSON_CreateObject();
			json_add_u64(jn, "id", i);
			if (path[i])
				json_add_name(jn, "path", path[i], strlen(path[i]));
			else
				cJSON_AddNullToObject(jn, "path");
			cJSON_AddItemToArray(nodes, jn);
			ja = cJSON_AddArrayToObject(jn, "children");
		} else {
			buf_addf(&out, "node %zu: ", i);
			if (!i)
				buf_add(&out, "(root)", 6);
			else if (path[i])
				name_escaped(&out, path[i], strlen(path[i]));
			else
				buf_add(&out, "(unreachable)", 13);
			buf_addc(&out, '\n');
		}
		for (size_t k = 0; k < o->n_children; k++) {
			if (ja) {
				cJSON *c = cJSON_CreateObject();
				json_bytes(c, "name", &o->children[k]->local_name);
				json_add_i64(c, "node", o->children[k]->node_id);
				cJSON_AddItemToArray(ja, c);
			} else {
				buf_add(&out, "  child ", 8);
				quoted(&out, &o->children[k]->local_name);
				buf_addf(&out, " -> node %d\n", o->children[k]->node_id);
			}
		}
		if (jn)
			ja = cJSON_AddArrayToObject(jn, "attributes");
		graph_node_attributes(S->b, o, ja, &out);
		if (jn)
			ja = cJSON_AddArrayToObject(jn, "slot_variables");
		for (size_t k = 0; k < o->n_slot_variables; k++) {
			const Tensorflow__TrackableObjectGraph__TrackableObject__SlotVariableReference *s =
				o->slot_variables[k];
			if (ja) {
				cJSON *c = cJSON_CreateObject();
				json_bytes(c, "slot_name", &s->slot_name);
				json_add_i64(c, "original_variable", s->original_variable_node_id);
				json_add_i64(c, "slot_variable", s->slot_variable_node_id);
				cJSON_AddItemToArray(ja, c);
			} else {
				buf_add(&out, "  slot ", 7);
				quoted(&out, &s->slot_name);
				buf_addf(&out, " of node %d -> node %d\n", s->original_variable_node_id,
					 s->slot_variable_node_id);
			}
		}
		if (o->registered_saver) {
			if (jn) {
				cJSON *c = cJSON_AddObjectToObject(jn, "registered_saver");
				cJSON_AddStringToObject(c, "name", o->registered_saver->name);
				cJSON_AddStringToObject(c, "object_name", o->registered_saver->object_name);
			} else {
				buf_addf(&out, "  registered saver \"%s\" (object \"%s\")\n",
					 o->registered_saver->name, o->registered_saver->object_name);
			}
		}
	}
	if (root)
		json_print(root, stdout);
	else
		fwrite(out.p, 1, out.len, stdout);
	cJSON_Delete(root);
	buf_release(&out);
	objgraph_paths_free(path, g->n_nodes);
	objgraph_free(g);
	return cli_finish(EXIT_OK);
}

/* ---- main ------------------------------------------------------------------------- */

static const struct option opts[] = {
	{ "match", required_argument, NULL, 'm' },
	{ "stats", no_argument, NULL, 's' },
	{ "json", no_argument, NULL, 'j' },
	{ "index", required_argument, NULL, 'i' },
	{ "full", no_argument, NULL, 'f' },
	{ "precision", required_argument, NULL, 'p' },
	{ "npy", required_argument, NULL, 'N' },
	{ "force", no_argument, NULL, 'F' },
	{ "raw", no_argument, NULL, 'R' },
	{ "object-graph", no_argument, NULL, 'O' },
	{ "finite", no_argument, NULL, 'I' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int cmd_show(const struct cmd_entry *self, int argc, char **argv)
{
	struct show_opts o = { 0 };
	struct show S = { &o, NULL, NULL, { 0 } };
	struct ckpt_path where = { 0 };
	const struct bundle_entry **sel = NULL;
	size_t n = 0;
	int c, status = EXIT_TROUBLE, nnames, array;

	o.precision = -1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, self->optstring, self->options, NULL)) != -1) {
		switch (c) {
		case 's': o.stats = 1; break;
		case 'j': o.json = 1; break;
		case 'f': o.full = 1; break;
		case 'F': o.force = 1; break;
		case 'R': o.raw = 1; break;
		case 'O': o.object_graph = 1; break;
		case 'I': o.finite = o.stats = 1; break;
		case 'i': o.index = optarg; break;
		case 'N': o.npy = optarg; break;
		case 'h': status = cli_help(self); goto out;
		case 'm':
			if (cli_add_filter(self, &o.match, optarg, 0))
				goto out;
			break;
		case 'p': {
			char *end;
			long p = strtol(optarg, &end, 10);
			if (*end || end == optarg || p < 0 || p > 30) {
				status = cli_usage(self, "--precision takes a number from 0 to 30, not '%s'",
						   optarg);
				goto out;
			}
			o.precision = (int)p;
			break;
		}
		default:  /* ':' (a missing value) too */
			status = cli_bad_option(self, argv);
			goto out;
		}
	}
	if (optind >= argc) {
		status = cli_usage(self, "no checkpoint given");
		goto out;
	}
	S.path = argv[optind];
	nnames = argc - optind - 1;
	if (o.object_graph) {
		if (nnames || o.match.ninc || o.stats || o.index || o.npy || o.raw || o.full) {
			status = cli_usage(self, "--object-graph takes a checkpoint only (and --json)");
			goto out;
		}
	} else if (!nnames && !o.match.ninc) {
		status = cli_usage(self, "no tensor named (give NAMEs or --match REGEX; "
				   "'ckpt list %s' shows the names)", S.path);
		goto out;
	}
	if ((o.npy || o.raw) && (o.stats || o.json || (o.npy && o.raw))) {
		status = cli_usage(self, "%s cannot be combined with %s", o.npy ? "--npy" : "--raw",
				   o.npy && o.raw ? "--raw" : o.stats ? "--stats" : "--json");
		goto out;
	}
	if (o.force && !o.npy) {
		status = cli_usage(self, "--force only applies to --npy");
		goto out;
	}
	if (ckpt_open(&S.b, S.path, &where, &S.err) < 0) {
		cli_notes(&where.notes);
		status = cli_error(&S.err);
		goto out;
	}
	cli_notes(&where.notes);
	outguard_add_bundle(S.b);  /* --npy never replaces one of its files */
	if (o.object_graph) {
		status = show_object_graph(&S);
		goto out;
	}
	status = select_tensors(&S, argv + optind + 1, nnames, &sel, &n);
	if (status)
		goto out;
	status = EXIT_TROUBLE;
	if ((o.npy || o.raw) && n != 1) {
		cli_errorf("%s writes one tensor, and %zu are selected", o.npy ? "--npy" : "--raw", n);
		goto out;
	}
	array = nnames != 1 || o.match.ninc;
	if (o.npy)
		status = show_npy(&S, sel[0]);
	else if (o.raw)
		status = show_raw(&S, sel[0]);
	else if (o.stats)
		status = cli_finish(show_stats(&S, sel, n, array));
	else
		status = cli_finish(show_values(&S, sel, n, array));
out:
	namefilter_release(&o.match);
	free(sel);
	bundle_free(S.b);
	ckpt_path_release(&where);
	return status;
}

const struct cmd_entry cmd_show_entry = {
	.name = "show",
	.summary = "print tensor values, statistics, or the TF2 object graph",
	.usage = usage,
	.optstring = ":m:sji:fp:h",
	.options = opts,
	.exec = cmd_show,
};
