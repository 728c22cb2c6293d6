/* ckpt list: the tensors of a checkpoint, from its index alone. */
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "format/bundle.h"
#include "format/dtype.h"
#include "format/graph.h"
#include "format/objgraph.h"
#include "format/path.h"
#include "edit/scope.h"
#include "edit/totals.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

const char cmd_list_usage[] =
"usage: ckpt list [-l] [--sort KEY] [-r] [--include REGEX]... [--exclude REGEX]...\n"
"                 [--by-scope[=DEPTH]] [--format table|json|tsv|tf] [--json] [--bytes]\n"
"                 [--full-names] [-w N] PATH\n"
"\n"
"List the tensors of a checkpoint: name, dtype, shape, elements and size, sorted by name,\n"
"then a totals line: tensors, parameters (floating-point elements that are not optimizer\n"
"state), the optimizer state's apart, and the bytes of tensor data. Only the .index file is\n"
"read, so this works when data shards are missing. Slices of partitioned tensors are not\n"
"listed; the full tensor is, once.\n"
"\n"
"PATH is a checkpoint prefix (model.ckpt-1000), its .index or .data-* file, a folder with a\n"
"'checkpoint' state file or a single checkpoint, a SavedModel folder, or the state file.\n"
"\n"
"Options:\n"
"  -l, --long             also show shard, offset, bytes, CRC-32C and partition count\n"
"  -s, --sort KEY         sort by name (default), size, elements or offset\n"
"  -r, --reverse          reverse the order\n"
"  -i, --include REGEX    list only names matching REGEX (POSIX ERE; repeatable)\n"
"  -x, --exclude REGEX    leave out names matching REGEX (repeatable)\n"
"      --by-scope[=DEPTH] parameters and bytes summed per name scope (split on '/'), as a\n"
"                         tree, DEPTH levels deep (default: all); with --format tsv one\n"
"                         line a scope\n"
"  -f, --format FORMAT    table (default), json, tsv, or tf (TensorFlow's\n"
"                         'name (DT_FLOAT) [3,3]' lines)\n"
"      --json             same as --format json\n"
"  -b, --bytes            print sizes as exact byte counts\n"
"      --full-names       TF2 checkpoints: a FULL NAME column (JSON: \"full_name\") with the\n"
"                         variable name the object graph records for each key\n"
"                         (lstm/lstm_cell/kernel for variables/0/.ATTRIBUTES/VARIABLE_VALUE);\n"
"                         reads the object graph from the data\n"
"  -w, --width N          fit the table in N columns: a name too long for its column is\n"
"                         printed whole on a line of its own, its row below it, never\n"
"                         cut (0: no limit; default: COLUMNS or the terminal's width on\n"
"                         a terminal, no limit otherwise)\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 success, 2 trouble (unreadable or missing checkpoint).\n";

enum sort_key { SORT_NAME, SORT_SIZE, SORT_ELEMENTS, SORT_OFFSET };
enum format { FMT_TABLE, FMT_JSON, FMT_TSV, FMT_TF };

struct list_opts {
	int longfmt, reverse, exact, by_scope, scope_depth, full_names;
	objgraph *graph;             /* --full-names: the object graph */
	struct objgraph_name *full;  /* --full-names: key -> full name, sorted by key */
	size_t nfull;
	enum sort_key sort;
	enum format format;
	struct namefilter names;
};

static int is_object_graph(const struct bundle_entry *e)
{
	return e->name_len == strlen(OBJECT_GRAPH_KEY) && !memcmp(e->name, OBJECT_GRAPH_KEY, e->name_len);
}

static int wanted(const struct list_opts *o, const struct bundle_entry *e)
{
	if (e->is_slice)
		return 0;
	return namefilter_match(&o->names, e->name);
}

static enum sort_key sort_by;
static int sort_rev;

static int cmp_entries(const void *pa, const void *pb)
{
	const struct bundle_entry *a = *(const struct bundle_entry *const *)pa;
	const struct bundle_entry *b = *(const struct bundle_entry *const *)pb;
	int c = 0;

	switch (sort_by) {
	case SORT_SIZE:
		c = totals_entry_bytes(a) < totals_entry_bytes(b) ? -1 : totals_entry_bytes(a) > totals_entry_bytes(b);
		break;
	case SORT_ELEMENTS:
		c = a->elements < b->elements ? -1 : a->elements > b->elements;
		break;
	case SORT_OFFSET: {
		/* Partitioned tensors have no place of their own: they go last. */
		int64_t sa = a->nslices ? INT32_MAX : a->shard, sb = b->nslices ? INT32_MAX : b->shard;
		c = sa < sb ? -1 : sa > sb;
		if (!c)
			c = a->offset < b->offset ? -1 : a->offset > b->offset;
		break;
	}
	case SORT_NAME:
		break;
	}
	if (sort_rev)
		c = -c;
	if (!c)  /* ties stay in name order: entries are sorted by name already */
		c = a < b ? -1 : a > b;
	return c;
}

/* The full name the object graph records for e, or NULL (n: its length). */
static const char *full_name(const struct list_opts *o, const struct bundle_entry *e, size_t *n)
{
	const struct objgraph_name *f = objgraph_full_name(o->full, o->nfull, e->name, e->name_len);

	if (!f)
		return NULL;
	*n = f->full_len;
	return (const char *)f->full;
}

static char *name_text(const struct bundle_entry *e)
{
	struct buf b = BUF_INIT;
	name_escaped(&b, e->name, e->name_len);
	return buf_detach(&b, NULL);
}

/* Name and shape as shown, into reused buffers: no allocation per row. */
struct row_text {
	struct buf name, shape, full;
};

/* The name as shown (and its length, when len is not NULL): nearly every name is printable
 * ASCII, which escaping leaves alone, so the entry's own NUL-terminated copy serves. */
static const char *row_name(struct row_text *rt, const struct bundle_entry *e, size_t *len)
{
	if (name_is_plain_ascii(e->name, e->name_len)) {
		if (len)
			*len = e->name_len;
		return e->name;
	}
	buf_reset(&rt->name);
	name_escaped(&rt->name, e->name, e->name_len);
	buf_grow(&rt->name, 0);
	rt->name.p[rt->name.len] = 0;  /* NUL-terminated even when empty */
	if (len)
		*len = rt->name.len;
	return (const char *)rt->name.p;
}

static const char *row_shape(struct row_text *rt, const struct bundle_entry *e, size_t *len)
{
	buf_reset(&rt->shape);
	shape_format(&rt->shape, e->dims, e->rank);
	if (len)
		*len = rt->shape.len;
	return (const char *)rt->shape.p;
}

static void row_text_release(struct row_text *rt)
{
	buf_release(&rt->name);
	buf_release(&rt->shape);
	buf_release(&rt->full);
}

/* The rows to print, in order, pass after pass: the selection held in memory, or, when the
 * listing is in the index's own order, the index itself, read again for each pass so that
 * no row is held (memory stays flat however many tensors there are). */
struct rows {
	const struct list_opts *o;
	size_t n, i;                      /* rows in all; the next one */
	const struct bundle_entry **sel;  /* held */
	struct bundle_scan *scan;         /* or streamed */
	int rc;                           /* streamed: the first error of a later pass */
	struct ck_err err;
};

static void rows_rewind(struct rows *r)
{
	r->i = 0;
	if (r->scan && !r->rc)
		r->rc = bundle_scan_rewind(r->scan, &r->err);
}

/* The next row's entry (valid until the next call), or NULL after the last. A stream that
 * yields fewer rows than the first pass found (the index changed) ends early with an error. */
static const struct bundle_entry *rows_next(struct rows *r)
{
	const struct bundle_entry *e;

	if (r->i >= r->n)
		return NULL;
	if (!r->scan)
		return r->sel[r->i++];
	while (!r->rc && (r->rc = bundle_scan_next(r->scan, &e, &r->err)) == 1) {
		r->rc = 0;
		if (wanted(r->o, e)) {
			r->i++;
			return e;
		}
	}
	if (!r->rc)
		r->rc = ck_error(&r->err, CK_ECORRUPT, "%s: changed while being listed",
				 bundle_scan_bundle(r->scan)->index_path);
	return NULL;
}

/* TF1 savers write PREFIX.meta beside the checkpoint; it records the TF version. */
static char *writer_version(const struct bundle *b, char **meta)
{
	char v[128];

	*meta = graph_meta_path(b->prefix);
	if (graph_tf_version(*meta, v, sizeof(v)) == 0)
		return xstrdup(v);
	free(*meta);
	*meta = NULL;
	return NULL;
}

/* "%08x" without printf, which cost more than the rest of a long-format row. */
static size_t hex32(char out[9], uint32_t v)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 7; i >= 0; i--, v >>= 4)
		out[i] = digits[v & 15];
	out[8] = 0;
	return 8;
}

struct table_rows {
	const struct list_opts *o;
	int no_offsets;  /* V1: tensors sit inside the table's values, at no offset of their own */
	struct rows *rows;
	struct row_text rt;
	char num[7][32];  /* the numeric cells of the current row */
	char note[64];
};

#define CELL(text, n) (cell[c] = (text), len[c] = (n), c++)
#define CELL_STR(text) (cell[c] = (text), len[c] = strlen(cell[c]), c++)

/* The table's columns, and its header row. */
static const char *table_align(const struct list_opts *o)
{
	return o->full_names ? (o->longfmt ? "llllrrrrrrll" : "llllrrl")
			     : (o->longfmt ? "lllrrrrrrll" : "lllrrl");
}

static void table_head(const struct list_opts *o, const char **cell, size_t *len)
{
	static const char *const head[] = { "NAME", "DTYPE", "SHAPE", "ELEMENTS", "SIZE", "SHARD",
					    "OFFSET", "BYTES", "PARTS", "CRC32C" };
	size_t c = 0, ncols = o->longfmt ? 11 : 6;

	for (size_t h = 0; h + 1 < ncols; h++) {
		CELL_STR(head[h]);
		if (!h && o->full_names)
			CELL_STR("FULL NAME");
	}
	CELL("", 0);
}

/* e's row as cells (text in tr, valid until the next row). */
static void table_cells(struct table_rows *tr, const struct bundle_entry *e, const char **cell,
			size_t *len)
{
	const struct list_opts *o = tr->o;
	char (*num)[32] = tr->num;
	size_t c = 0;

	cell[c] = row_name(&tr->rt, e, &len[c]), c++;
	if (o->full_names) {
		size_t n;
		const char *f = full_name(o, e, &n);
		if (f && name_is_plain_ascii(f, n)) {
			CELL(f, n);
		} else if (f) {
			buf_reset(&tr->rt.full);
			name_escaped(&tr->rt.full, f, n);
			CELL((const char *)tr->rt.full.p, tr->rt.full.len);
		} else {
			CELL("-", 1);
		}
	}
	CELL_STR(dtype_name(e->dtype));
	cell[c] = row_shape(&tr->rt, e, &len[c]), c++;
	CELL(num[0], fmt_u64(num[0], e->elements));
	CELL_STR(fmt_size(num[1], totals_entry_bytes(e), o->exact));
	if (o->longfmt) {
		if (e->nslices) {
			CELL("-", 1);
			CELL("-", 1);
		} else {
			CELL(num[2], fmt_i64(num[2], e->shard));
			if (tr->no_offsets)
				CELL("-", 1);
			else
				CELL(num[3], fmt_u64(num[3], e->offset));
		}
		CELL(num[4], fmt_u64(num[4], totals_entry_bytes(e)));
		CELL(num[5], fmt_u64(num[5], e->nslices ? e->nslices : 1));
		if (e->nslices)
			CELL("-", 1);
		else
			CELL(num[6], hex32(num[6], crc32c_unmask(e->crc32c)));
	}
	if (is_object_graph(e))
		CELL_STR("(TF2 object graph)");
	else if (e->nslices)
		CELL(tr->note, (size_t)snprintf(tr->note, sizeof(tr->note), "(partitioned, %zu slices)",
						e->nslices));
	else
		CELL("", 0);
}

/* Row r of the table as cells: the header, then one tensor a row. tab_print_rows asks for
 * the rows in order, twice (widths, then lines), which costs less than holding 10^4 rows of
 * cells: each pass starts at the header. */
static void table_row(void *ctx, size_t r, const char **cell, size_t *len)
{
	struct table_rows *tr = ctx;
	const struct bundle_entry *e;
	size_t c = 0;

	if (r == 0) {
		table_head(tr->o, cell, len);
		rows_rewind(tr->rows);
		return;
	}
	e = rows_next(tr->rows);
	if (e) {
		table_cells(tr, e, cell, len);
		return;
	}
	/* the index changed under a streamed listing (rows_next says so) */
	while (c < strlen(table_align(tr->o)))
		CELL("", 0);
}
#undef CELL
#undef CELL_STR

/* The totals line, the last line of the table so that `| tail -1` finds it. */
static void print_totals(const struct list_opts *o, size_t ntensors, const struct totals *tot)
{
	struct buf line = BUF_INIT;

	totals_text(&line, tot, o->exact);
	if (tot->tensors != ntensors)
		buf_addf(&line, " (%zu tensors in all)", ntensors);
	printf("%s\n", (const char *)line.p);
	buf_release(&line);
}

/* Who wrote it, before the table: the .meta's TF version, when there is one. */
static void print_writer(const struct bundle *b)
{
	char *meta, *v = writer_version(b, &meta);

	if (v)
		printf("written by TensorFlow %s (%s)\n", v, meta);
	free(v);
	free(meta);
}

/* width: the columns' widths measured already (a streamed listing's first pass), or NULL. */
static void print_table(const struct list_opts *o, const struct bundle *b, struct rows *rows,
			size_t ntensors, const struct totals *tot, size_t *width)
{
	struct table_rows tr = { .o = o, .rows = rows, .no_offsets = b->format == 1 };
	struct tab t;

	print_writer(b);
	tab_init(&t, table_align(o));
	if (width)
		tab_print_measured(&t, rows->n + 1, table_row, &tr, width, stdout);
	else
		tab_print_rows(&t, rows->n + 1, table_row, &tr, stdout);
	tab_release(&t);
	row_text_release(&tr.rt);
	print_totals(o, ntensors, tot);
}

static void print_tsv(const struct list_opts *o, const struct bundle *b, struct rows *rows)
{
	struct row_text rt = { BUF_INIT, BUF_INIT, BUF_INIT };
	const struct bundle_entry *e;

	fputs(o->full_names ? "name\tfull_name\t" : "name\t", stdout);
	fputs(o->longfmt ? "dtype\tshape\telements\tbytes\tshard\toffset\tpartitions\tcrc32c\n"
			 : "dtype\tshape\telements\tbytes\n", stdout);
	rows_rewind(rows);
	while ((e = rows_next(rows))) {
		fputs(row_name(&rt, e, NULL), stdout);
		if (o->full_names) {
			size_t fl;
			const char *f = full_name(o, e, &fl);
			buf_reset(&rt.full);
			if (f)
				name_escaped(&rt.full, f, fl);
			printf("\t%.*s", (int)rt.full.len, rt.full.len ? (const char *)rt.full.p : "");
		}
		printf("\t%s\t%s\t%llu\t%llu", dtype_name(e->dtype),
		       row_shape(&rt, e, NULL), (unsigned long long)e->elements,
		       (unsigned long long)totals_entry_bytes(e));
		if (o->longfmt) {
			if (e->nslices)
				printf("\t-\t-\t%zu\t-", e->nslices);
			else if (b->format == 1)  /* no offsets in a V1 table (see table_rows) */
				printf("\t%d\t-\t1\t%08x", e->shard, crc32c_unmask(e->crc32c));
			else
				printf("\t%d\t%llu\t1\t%08x", e->shard, (unsigned long long)e->offset,
				       crc32c_unmask(e->crc32c));
		}
		putchar('\n');
	}
	row_text_release(&rt);
}

static void print_tf(struct rows *rows, const struct totals *tot)
{
	struct row_text rt = { BUF_INIT, BUF_INIT, BUF_INIT };
	const struct bundle_entry *e;

	rows_rewind(rows);
	while ((e = rows_next(rows)))
		printf("%s (%s) %s\n", row_name(&rt, e, NULL), dtype_tf_name(e->dtype),
		       row_shape(&rt, e, NULL));
	row_text_release(&rt);
	printf("# Total number of params: %llu\n", (unsigned long long)tot->elements);
}

/* Written as it goes, not built as a cJSON tree: 10^4 tensors made ~10^5 nodes. */
static void print_json(const struct list_opts *o, const char *arg, const struct bundle *b,
		       struct rows *rows, const struct totals *tot)
{
	const struct bundle_entry *e;
	struct jw w;

	jw_init(&w, stdout);
	jw_begin_object(&w);
	jw_key_string(&w, "path", arg);
	jw_key_string(&w, "prefix", b->prefix);
	jw_key_string(&w, "format", b->format == 1 ? "v1" : "v2");
	jw_key_i64(&w, "num_shards", b->num_shards);
	{
		char *meta, *v = writer_version(b, &meta);
		if (v)
			jw_key_string(&w, "tf_version", v);
		free(v);
		free(meta);
	}
	jw_key(&w, "tensors");
	jw_begin_array(&w);
	rows_rewind(rows);
	while ((e = rows_next(rows))) {
		jw_begin_object(&w);
		jw_name(&w, "name", e->name, e->name_len);
		if (o->full_names) {
			size_t fl;
			const char *f = full_name(o, e, &fl);
			if (f) {
				jw_name(&w, "full_name", f, fl);
			} else {
				jw_key(&w, "full_name");
				jw_raw(&w, "null");
			}
		}
		jw_key_string(&w, "dtype", dtype_name(e->dtype));
		jw_key_shape(&w, "shape", e->dims, e->rank);
		jw_key_u64(&w, "elements", e->elements);
		jw_key_u64(&w, "bytes", totals_entry_bytes(e));
		if (e->nslices) {
			jw_key(&w, "shard");
			jw_raw(&w, "null");
			jw_key(&w, "offset");
			jw_raw(&w, "null");
			jw_key(&w, "crc32c");
			jw_raw(&w, "null");
		} else {
			jw_key_i64(&w, "shard", e->shard);
			jw_key(&w, "offset");
			if (b->format == 1)
				jw_raw(&w, "null");
			else
				jw_u64(&w, e->offset);
			jw_key_u64(&w, "crc32c", crc32c_unmask(e->crc32c));
		}
		jw_key_u64(&w, "partitions", e->nslices ? e->nslices : 1);
		if (is_object_graph(e)) {
			jw_key(&w, "object_graph");
			jw_raw(&w, "true");
		}
		jw_end_object(&w);
	}
	jw_end_array(&w);
	jw_key(&w, "totals");
	jw_begin_object(&w);
	jw_key_u64(&w, "tensors", tot->tensors);
	jw_key_u64(&w, "elements", tot->elements);
	jw_key_u64(&w, "parameters", tot->params);
	jw_key_u64(&w, "optimizer_parameters", tot->opt_params);
	jw_key_u64(&w, "optimizer_tensors", tot->opt_tensors);
	jw_key_u64(&w, "bytes", tot->bytes);
	jw_finish(&w);
}

/* --by-scope: one row per name scope (the part before each '/'), as a tree. */
struct scope {
	char *name;   /* "encoder/layer_0/" ; "" for top-level tensors */
	int depth;
	struct totals t;
};

static int cmp_scope(const void *a, const void *b)
{
	return strcmp(((const struct scope *)a)->name, ((const struct scope *)b)->name);
}

static void add_scope(struct scope **sc, size_t *nsc, size_t *cap, char *name, int depth,
		      const struct bundle_entry *e)
{
	if (*nsc == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*sc = xreallocarray(*sc, *cap, sizeof(**sc));
	}
	(*sc)[*nsc] = (struct scope){ .name = name, .depth = depth };
	totals_add(&(*sc)[*nsc].t, e);
	(*nsc)++;
}

/* The scopes of the selected tensors, sorted, each once with its totals; returns how many. */
static size_t collect_scopes(const struct list_opts *o, const struct bundle_entry **sel, size_t n,
			     struct scope **out)
{
	struct scope *sc = NULL;
	size_t nsc = 0, cap = 0, m = 0;

	for (size_t i = 0; i < n; i++) {
		char *name = name_text(sel[i]);
		size_t len = strlen(name);
		int depth = 0, any = 0;
		/* A TF1 slot (dense/kernel/Adam) counts in its variable's scopes: its last '/'
		 * makes no scope of its own. */
		size_t owner = optimizer_slot_owner(name);
		if (owner)
			len = owner;
		for (size_t end = scope_next(name, len, 0); end; end = scope_next(name, len, end)) {
			if (o->scope_depth && depth >= o->scope_depth)
				break;
			add_scope(&sc, &nsc, &cap, xmemdup(name, end), depth++, sel[i]);
			any = 1;
		}
		if (!any)
			add_scope(&sc, &nsc, &cap, xstrdup(""), 0, sel[i]);
		free(name);
	}
	sort_array(sc, nsc, sizeof(*sc), cmp_scope);
	for (size_t i = 0; i < nsc; i++) {  /* merge equal scopes */
		if (m && !strcmp(sc[m - 1].name, sc[i].name)) {
			struct totals *a = &sc[m - 1].t, *b = &sc[i].t;
			a->tensors += b->tensors;
			a->elements += b->elements;
			a->params += b->params;
			a->opt_params += b->opt_params;
			a->opt_tensors += b->opt_tensors;
			a->bytes += b->bytes;
			free(sc[i].name);
		} else {
			sc[m++] = sc[i];
		}
	}
	*out = sc;
	return m;
}

static void print_scopes_json(const struct scope *sc, size_t m, const struct totals *tot)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "scopes"), *t;

	for (size_t i = 0; i < m; i++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "scope", sc[i].name);
		json_add_i64(s, "depth", sc[i].depth);
		json_add_u64(s, "tensors", sc[i].t.tensors);
		json_add_u64(s, "elements", sc[i].t.elements);
		json_add_u64(s, "parameters", sc[i].t.params);
		json_add_u64(s, "optimizer_parameters", sc[i].t.opt_params);
		json_add_u64(s, "bytes", sc[i].t.bytes);
		cJSON_AddItemToArray(arr, s);
	}
	t = cJSON_AddObjectToObject(root, "totals");
	json_add_u64(t, "tensors", tot->tensors);
	json_add_u64(t, "elements", tot->elements);
	json_add_u64(t, "parameters", tot->params);
	json_add_u64(t, "optimizer_parameters", tot->opt_params);
	json_add_u64(t, "optimizer_tensors", tot->opt_tensors);
	json_add_u64(t, "bytes", tot->bytes);
	json_print(root, stdout);
	cJSON_Delete(root);
}

/* One line a scope, its full name (top-level tensors under ""), for scripts: no totals line. */
static void print_scopes_tsv(const struct scope *sc, size_t m)
{
	fputs("scope\tdepth\ttensors\tparameters\toptimizer_parameters\tbytes\n", stdout);
	for (size_t i = 0; i < m; i++)
		printf("%s\t%d\t%llu\t%llu\t%llu\t%llu\n", sc[i].name, sc[i].depth,
		       (unsigned long long)sc[i].t.tensors, (unsigned long long)sc[i].t.params,
		       (unsigned long long)sc[i].t.opt_params, (unsigned long long)sc[i].t.bytes);
}

static void print_scopes_table(const struct list_opts *o, const struct bundle *b,
			       const struct scope *sc, size_t m, const struct totals *tot)
{
	struct tab t;
	char s1[32];

	tab_init(&t, "lrrrr");
	tab_add(&t, "SCOPE");
	tab_add(&t, "TENSORS");
	tab_add(&t, "PARAMETERS");
	tab_add(&t, "SIZE");
	tab_add(&t, "SHARE");
	for (size_t i = 0; i < m; i++) {
		const char *label = sc[i].name;
		/* Indent children and show only their last component. */
		if (*label && sc[i].depth) {
			const char *p = label + strlen(label) - 1;
			while (p > label && p[-1] != '/')
				p--;
			label = p;
		}
		tab_addf(&t, "%*s%s", 2 * sc[i].depth, "", *label ? label : "(top level)");
		tab_addf(&t, "%llu", (unsigned long long)sc[i].t.tensors);
		tab_add(&t, fmt_count(s1, sc[i].t.params));
		tab_add(&t, fmt_size(s1, sc[i].t.bytes, o->exact));
		tab_add(&t, fmt_percent(s1, sc[i].t.bytes, tot->bytes, 1));
	}
	tab_print(&t, stdout);
	tab_release(&t);
	print_totals(o, b->ntensors, tot);
}

static void print_scopes(const struct list_opts *o, const struct bundle *b,
			 const struct bundle_entry **sel, size_t n, const struct totals *tot)
{
	struct scope *sc = NULL;
	size_t m = collect_scopes(o, sel, n, &sc);

	if (o->format == FMT_JSON)
		print_scopes_json(sc, m, tot);
	else if (o->format == FMT_TSV)
		print_scopes_tsv(sc, m);
	else
		print_scopes_table(o, b, sc, m, tot);
	for (size_t i = 0; i < m; i++)
		free(sc[i].name);
	free(sc);
}

/* --full-names: the object graph's names. A name-based checkpoint has none: its keys are
 * the variable names already, which a note says; the listing goes on without the column. */
static int load_full_names(struct list_opts *o, struct bundle *b, int *status)
{
	struct ck_err err = { 0 };
	int rc = objgraph_load(b, &o->graph, &err);

	if (rc == CK_ENOTFOUND && !bundle_find(b, OBJECT_GRAPH_KEY, strlen(OBJECT_GRAPH_KEY))) {
		struct buf note = BUF_INIT;
		buf_addf(&note, "%s: no TF2 object graph: the keys are the variable names "
			 "(--full-names has nothing to add)\n", b->prefix);
		cli_notes(&note);
		buf_release(&note);
		o->full_names = 0;
		return 0;
	}
	if (rc < 0) {
		ck_wrap(&err, "--full-names");
		*status = cli_error(&err);
		return -1;
	}
	o->full = objgraph_full_names(o->graph, &o->nfull);
	return 0;
}

static const struct option opts[] = {
	{ "long", no_argument, NULL, 'l' },
	{ "sort", required_argument, NULL, 's' },
	{ "reverse", no_argument, NULL, 'r' },
	{ "include", required_argument, NULL, 'i' },
	{ "exclude", required_argument, NULL, 'x' },
	{ "by-scope", optional_argument, NULL, 'S' },
	{ "format", required_argument, NULL, 'f' },
	{ "json", no_argument, NULL, 'j' },
	{ "bytes", no_argument, NULL, 'b' },
	{ "width", required_argument, NULL, 'w' },
	{ "full-names", no_argument, NULL, 'F' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* One option into o; -1 to go on, else the exit status. */
static int list_option(const struct cmd *self, int c, struct list_opts *o, char **argv)
{
	switch (c) {
	case 'l': o->longfmt = 1; break;
	case 'r': o->reverse = 1; break;
	case 'b': o->exact = 1; break;
	case 'j': o->format = FMT_JSON; break;
	case 'F': o->full_names = 1; break;
	case 'h': return cli_help(self);
	case 's':
		if (!strcmp(optarg, "name")) o->sort = SORT_NAME;
		else if (!strcmp(optarg, "size")) o->sort = SORT_SIZE;
		else if (!strcmp(optarg, "elements")) o->sort = SORT_ELEMENTS;
		else if (!strcmp(optarg, "offset")) o->sort = SORT_OFFSET;
		else
			return cli_usage(self, "unknown sort key '%s' (name, size, elements, offset)",
					 optarg);
		break;
	case 'f':
		if (!strcmp(optarg, "table")) o->format = FMT_TABLE;
		else if (!strcmp(optarg, "json")) o->format = FMT_JSON;
		else if (!strcmp(optarg, "tsv")) o->format = FMT_TSV;
		else if (!strcmp(optarg, "tf")) o->format = FMT_TF;
		else
			return cli_usage(self, "unknown format '%s' (table, json, tsv, tf)", optarg);
		break;
	case 'i':
		if (cli_add_filter(self, &o->names, optarg, 0))
			return EXIT_TROUBLE;
		break;
	case 'x':
		if (cli_add_filter(self, &o->names, optarg, 1))
			return EXIT_TROUBLE;
		break;
	case 'w': {
		char *end;
		long wv = strtol(optarg, &end, 10);
		if (*end || wv < 0)
			return cli_usage(self, "--width takes a number of columns, not '%s'", optarg);
		out_set_width(wv);
		break;
	}
	case 'S': {
		char *end;
		o->by_scope = 1;
		if (optarg) {
			long d = strtol(optarg, &end, 10);
			if (*end || d < 1 || d > 1000)
				return cli_usage(self, "--by-scope takes a depth of 1 or more, not '%s'",
						 optarg);
			o->scope_depth = (int)d;
		}
		break;
	}
	default:  /* ':' (a missing value) too */
		return cli_bad_option(self, argv, opts);
	}
	return -1;
}

/* The command line, checked; -1 to go on, else the exit status. */
static int list_parse(const struct cmd *self, struct list_opts *o, int argc, char **argv)
{
	int c, st;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":ls:ri:x:f:bw:h", opts, NULL)) != -1)
		if ((st = list_option(self, c, o, argv)) >= 0)
			return st;
	if (cli_one_operand(self, argc - optind, "checkpoint"))
		return EXIT_TROUBLE;
	if (o->by_scope && o->format == FMT_TF)
		return cli_usage(self, "--by-scope prints a table, TSV or JSON, not the tf format");
	if (o->full_names && (o->by_scope || o->format == FMT_TF))
		return cli_usage(self, "--full-names goes with the table, JSON and tsv formats");
	return -1;
}

/* The listing in the index's own order, read twice from the index and held nowhere: a first
 * pass checks every entry (an error prints no row, as when the bundle is opened whole) and
 * counts rows and totals, the second prints. Returns the exit status, or -1 when this
 * checkpoint needs the whole bundle: partitioned tensors (their sizes are their slices'), or
 * an index that does not open (the whole open reports it, with its hints). */
static int list_streamed(struct list_opts *o, const char *arg, const struct ckpt_path *where)
{
	struct rows rows = { .o = o };
	struct totals tot = { 0 };
	const struct bundle_entry *e;
	const struct bundle *b;
	struct ck_err err = { 0 };
	/* The table's widths are measured in this pass too (its cells made as they will print). */
	int table = o->format == FMT_TABLE;
	struct table_rows tr = { .o = o, .rows = &rows };
	const char *cell[16];
	size_t len[16], width[16] = { 0 };
	struct tab t;
	int rc;

	if (bundle_scan_open(&rows.scan, where->prefix, &err) < 0)
		return -1;
	b = bundle_scan_bundle(rows.scan);
	tab_init(&t, table_align(o));
	table_head(o, cell, len);
	tab_measure(&t, cell, len, width);
	while ((rc = bundle_scan_next(rows.scan, &e, &err)) == 1) {
		if (e->is_slice || e->nslices)
			break;
		if (wanted(o, e)) {
			rows.n++;
			totals_add(&tot, e);
			if (table) {
				table_cells(&tr, e, cell, len);
				tab_measure(&t, cell, len, width);
			}
		}
	}
	tab_release(&t);
	row_text_release(&tr.rt);
	if (rc != 0) {
		bundle_scan_free(rows.scan);
		return -1;
	}
	{
		size_t ntensors = b->ntensors;
		if (o->format == FMT_JSON)
			print_json(o, arg, b, &rows, &tot);
		else if (o->format == FMT_TSV)
			print_tsv(o, b, &rows);
		else if (o->format == FMT_TF)
			print_tf(&rows, &tot);
		else
			print_table(o, b, &rows, ntensors, &tot, width);
	}
	rc = rows.rc ? cli_error(&rows.err) : cli_finish(EXIT_OK);
	bundle_scan_free(rows.scan);
	return rc;
}

int cmd_list(int argc, char **argv)
{
	const struct cmd *self = cli_find("list");
	struct list_opts o = { 0 };
	struct ckpt_path where = { 0 };
	struct bundle *b = NULL;
	struct ck_err err = { 0 };
	struct rows rows = { .o = &o };
	struct totals tot = { 0 };
	int status;

	/* Large listings go out in big writes, not 4 KiB ones. */
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	if ((status = list_parse(self, &o, argc, argv)) >= 0)
		goto out;
	status = EXIT_TROUBLE;
	if (ckpt_resolve(argv[optind], &where, &err) < 0) {
		cli_notes(&where.notes);
		status = cli_error(&err);
		goto out;
	}
	cli_notes(&where.notes);
	if (where.format == 2 && o.sort == SORT_NAME && !o.reverse && !o.by_scope &&
	    !o.full_names && (status = list_streamed(&o, argv[optind], &where)) >= 0)
		goto out;
	status = EXIT_TROUBLE;
	if (ckpt_open_resolved(&b, &where, &err) < 0) {
		status = cli_error(&err);
		goto out;
	}
	if (o.full_names && load_full_names(&o, b, &status) < 0)
		goto out;
	rows.sel = xcalloc(b->nentries + 1, sizeof(*rows.sel));
	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		if (!wanted(&o, e))
			continue;
		rows.sel[rows.n++] = e;
		totals_add(&tot, e);
	}
	sort_by = o.sort;
	sort_rev = o.reverse;
	if (o.sort != SORT_NAME || o.reverse)
		sort_array(rows.sel, rows.n, sizeof(*rows.sel), cmp_entries);
	if (o.by_scope)
		print_scopes(&o, b, rows.sel, rows.n, &tot);
	else if (o.format == FMT_JSON)
		print_json(&o, argv[optind], b, &rows, &tot);
	else if (o.format == FMT_TSV)
		print_tsv(&o, b, &rows);
	else if (o.format == FMT_TF)
		print_tf(&rows, &tot);
	else
		print_table(&o, b, &rows, b->ntensors, &tot, NULL);
	status = cli_finish(EXIT_OK);
out:
	namefilter_release(&o.names);
	free(o.full);
	objgraph_free(o.graph);
	free(rows.sel);
	bundle_free(b);
	ckpt_path_release(&where);
	return status;
}
