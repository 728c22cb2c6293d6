/* ckpt list: the tensors of a checkpoint, from its index alone. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "cli.h"
#include "cmds.h"
#include "crc32c.h"
#include "dtype.h"
#include "graph.h"
#include "output.h"
#include "path.h"

const char cmd_list_usage[] =
"usage: ckpt list [-l] [--sort KEY] [-r] [--include REGEX]... [--exclude REGEX]...\n"
"                 [--by-scope[=DEPTH]] [--format table|json|tsv|tf] [--json] [--bytes]\n"
"                 [-w N] PATH\n"
"\n"
"List the tensors of a checkpoint: name, dtype, shape, elements and size, sorted by name,\n"
"then a totals line. Only the .index file is read, so this works when data shards are\n"
"missing. Slices of partitioned tensors are not listed; the full tensor is, once.\n"
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
"                         tree, DEPTH levels deep (default: all)\n"
"  -f, --format FORMAT    table (default), json, tsv, or tf (TensorFlow's\n"
"                         'name (DT_FLOAT) [3,3]' lines)\n"
"      --json             same as --format json\n"
"  -b, --bytes            print sizes as exact byte counts\n"
"  -w, --width N          fit the table in N columns, shortening long names in the\n"
"                         middle (0: never; default: the terminal's width on a terminal)\n"
"  -h, --help             show this help\n"
"\n"
"Exit status: 0 success, 2 trouble (unreadable or missing checkpoint).\n";

enum sort_key { SORT_NAME, SORT_SIZE, SORT_ELEMENTS, SORT_OFFSET };
enum format { FMT_TABLE, FMT_JSON, FMT_TSV, FMT_TF };

struct list_opts {
	int longfmt, reverse, exact, by_scope, scope_depth;
	enum sort_key sort;
	enum format format;
	regex_t *include, *exclude;
	size_t ninclude, nexclude;
};

static uint64_t entry_bytes(const struct bundle_entry *e)
{
	return e->nslices ? e->slices_bytes : e->size;
}

static int is_object_graph(const struct bundle_entry *e)
{
	return e->name_len == strlen(OBJECT_GRAPH_KEY) && !memcmp(e->name, OBJECT_GRAPH_KEY, e->name_len);
}

static int wanted(const struct list_opts *o, const struct bundle_entry *e)
{
	if (e->is_slice)
		return 0;
	/* Names are matched as text; an embedded NUL ends the name for the regex. */
	if (o->ninclude) {
		size_t i;
		for (i = 0; i < o->ninclude; i++)
			if (!regexec(&o->include[i], e->name, 0, NULL, 0))
				break;
		if (i == o->ninclude)
			return 0;
	}
	for (size_t i = 0; i < o->nexclude; i++)
		if (!regexec(&o->exclude[i], e->name, 0, NULL, 0))
			return 0;
	return 1;
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
		c = entry_bytes(a) < entry_bytes(b) ? -1 : entry_bytes(a) > entry_bytes(b);
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

static char *name_text(const struct bundle_entry *e)
{
	struct buf b = BUF_INIT;
	name_escaped(&b, e->name, e->name_len);
	return buf_detach(&b, NULL);
}

static char *shape_text(const struct bundle_entry *e)
{
	struct buf b = BUF_INIT;
	shape_format(&b, e->dims, e->rank);
	return buf_detach(&b, NULL);
}

struct totals {
	uint64_t tensors, elements, bytes;
};

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

static void print_table(const struct list_opts *o, const struct bundle *b,
			const struct bundle_entry **sel, size_t n, const struct totals *tot)
{
	struct tab t;
	char s1[32], s2[32], s3[32];
	int notes = 0;

	for (size_t i = 0; i < n; i++)
		notes |= is_object_graph(sel[i]) || sel[i]->nslices;
	tab_init(&t, o->longfmt ? "lllrrrrrrll" : "lllrrl");
	tab_add(&t, "NAME");
	tab_add(&t, "DTYPE");
	tab_add(&t, "SHAPE");
	tab_add(&t, "ELEMENTS");
	tab_add(&t, "SIZE");
	if (o->longfmt) {
		tab_add(&t, "SHARD");
		tab_add(&t, "OFFSET");
		tab_add(&t, "BYTES");
		tab_add(&t, "PARTS");
		tab_add(&t, "CRC32C");
	}
	tab_add(&t, "");
	for (size_t i = 0; i < n; i++) {
		const struct bundle_entry *e = sel[i];
		char *name = name_text(e), *shape = shape_text(e);
		tab_add(&t, name);
		tab_add(&t, dtype_name(e->dtype));
		tab_add(&t, shape);
		tab_add_u64(&t, e->elements);
		tab_add(&t, fmt_size(s1, entry_bytes(e), o->exact));
		if (o->longfmt) {
			if (e->nslices) {
				tab_add(&t, "-");
				tab_add(&t, "-");
			} else {
				tab_addf(&t, "%d", e->shard);
				tab_addf(&t, "%llu", (unsigned long long)e->offset);
			}
			tab_addf(&t, "%llu", (unsigned long long)entry_bytes(e));
			tab_addf(&t, "%zu", e->nslices ? e->nslices : 1);
			if (e->nslices)
				tab_add(&t, "-");
			else
				tab_addf(&t, "%08x", crc32c_unmask(e->crc32c));
		}
		if (is_object_graph(e))
			tab_add(&t, "(TF2 object graph)");
		else if (e->nslices)
			tab_addf(&t, "(partitioned, %zu slices)", e->nslices);
		else
			tab_add(&t, "");
		free(name);
		free(shape);
	}
	(void)notes;
	tab_print(&t, stdout);
	tab_release(&t);
	printf("%s %s, %s %s, %s", fmt_count(s1, tot->tensors),
	       tot->tensors == 1 ? "tensor" : "tensors", fmt_count(s2, tot->elements),
	       tot->elements == 1 ? "parameter" : "parameters", fmt_size(s3, tot->bytes, o->exact));
	if (o->exact)
		fputs(" bytes", stdout);
	if (tot->tensors != b->ntensors)
		printf(" (%zu tensors in all)", b->ntensors);
	putchar('\n');
	{
		char *meta, *v = writer_version(b, &meta);
		if (v)
			printf("written by TensorFlow %s (%s)\n", v, meta);
		free(v);
		free(meta);
	}
}

static void print_tsv(const struct list_opts *o, const struct bundle_entry **sel, size_t n)
{
	fputs(o->longfmt ? "name\tdtype\tshape\telements\tbytes\tshard\toffset\tpartitions\tcrc32c\n"
			 : "name\tdtype\tshape\telements\tbytes\n", stdout);
	for (size_t i = 0; i < n; i++) {
		const struct bundle_entry *e = sel[i];
		char *name = name_text(e), *shape = shape_text(e);
		printf("%s\t%s\t%s\t%llu\t%llu", name, dtype_name(e->dtype), shape,
		       (unsigned long long)e->elements, (unsigned long long)entry_bytes(e));
		if (o->longfmt) {
			if (e->nslices)
				printf("\t-\t-\t%zu\t-", e->nslices);
			else
				printf("\t%d\t%llu\t1\t%08x", e->shard, (unsigned long long)e->offset,
				       crc32c_unmask(e->crc32c));
		}
		putchar('\n');
		free(name);
		free(shape);
	}
}

static void print_tf(const struct bundle_entry **sel, size_t n, const struct totals *tot)
{
	for (size_t i = 0; i < n; i++) {
		char *name = name_text(sel[i]), *shape = shape_text(sel[i]);
		printf("%s (%s) %s\n", name, dtype_tf_name(sel[i]->dtype), shape);
		free(name);
		free(shape);
	}
	printf("# Total number of params: %llu\n", (unsigned long long)tot->elements);
}

static int print_json(const char *arg, const struct bundle *b, const struct bundle_entry **sel,
		      size_t n, const struct totals *tot)
{
	cJSON *root = cJSON_CreateObject(), *arr, *t;
	int rc;

	cJSON_AddStringToObject(root, "path", arg);
	cJSON_AddStringToObject(root, "prefix", b->prefix);
	cJSON_AddStringToObject(root, "format", b->format == 1 ? "v1" : "v2");
	json_add_i64(root, "num_shards", b->num_shards);
	{
		char *meta, *v = writer_version(b, &meta);
		if (v)
			cJSON_AddStringToObject(root, "tf_version", v);
		free(v);
		free(meta);
	}
	arr = cJSON_AddArrayToObject(root, "tensors");
	for (size_t i = 0; i < n; i++) {
		const struct bundle_entry *e = sel[i];
		cJSON *o = cJSON_CreateObject();
		json_add_name(o, "name", e->name, e->name_len);
		cJSON_AddStringToObject(o, "dtype", dtype_name(e->dtype));
		cJSON_AddItemToObject(o, "shape", json_shape(e->dims, e->rank));
		json_add_u64(o, "elements", e->elements);
		json_add_u64(o, "bytes", entry_bytes(e));
		if (e->nslices) {
			cJSON_AddNullToObject(o, "shard");
			cJSON_AddNullToObject(o, "offset");
			cJSON_AddNullToObject(o, "crc32c");
		} else {
			json_add_i64(o, "shard", e->shard);
			json_add_u64(o, "offset", e->offset);
			json_add_u64(o, "crc32c", crc32c_unmask(e->crc32c));
		}
		json_add_u64(o, "partitions", e->nslices ? e->nslices : 1);
		if (is_object_graph(e))
			cJSON_AddBoolToObject(o, "object_graph", 1);
		cJSON_AddItemToArray(arr, o);
	}
	t = cJSON_AddObjectToObject(root, "totals");
	json_add_u64(t, "tensors", tot->tensors);
	json_add_u64(t, "elements", tot->elements);
	json_add_u64(t, "bytes", tot->bytes);
	rc = json_print(root, stdout);
	cJSON_Delete(root);
	return rc;
}

/* --by-scope: one row per name scope (the part before each '/'), as a tree. */
struct scope {
	char *name;   /* "encoder/layer_0/" ; "" for top-level tensors */
	int depth;
	uint64_t tensors, elements, bytes;
};

static int cmp_scope(const void *a, const void *b)
{
	return strcmp(((const struct scope *)a)->name, ((const struct scope *)b)->name);
}

static int print_scopes(const struct list_opts *o, const struct bundle_entry **sel, size_t n,
			const struct totals *tot)
{
	struct scope *sc = NULL;
	size_t nsc = 0, cap = 0, m = 0;
	char s1[32], s2[32], s3[32];

	for (size_t i = 0; i < n; i++) {
		char *name = name_text(sel[i]);
		int depth = 0, any = 0;
		for (char *p = name; *p; p++) {
			if (*p != '/' || p == name)
				continue;
			/* TF2 keys end in ".ATTRIBUTES/..." or ".OPTIMIZER_SLOT/...": not scopes. */
			if (p[1] == '.')
				break;
			if (o->scope_depth && depth >= o->scope_depth)
				break;
			if (nsc == cap) {
				cap = cap ? cap * 2 : 256;
				sc = xreallocarray(sc, cap, sizeof(*sc));
			}
			sc[nsc].name = xmemdup(name, (size_t)(p - name + 1));
			sc[nsc].depth = depth++;
			sc[nsc].tensors = 1;
			sc[nsc].elements = sel[i]->elements;
			sc[nsc].bytes = entry_bytes(sel[i]);
			nsc++;
			any = 1;
		}
		if (!any) {
			if (nsc == cap) {
				cap = cap ? cap * 2 : 256;
				sc = xreallocarray(sc, cap, sizeof(*sc));
			}
			sc[nsc++] = (struct scope){ xstrdup(""), 0, 1, sel[i]->elements, entry_bytes(sel[i]) };
		}
		free(name);
	}
	sort_array(sc, nsc, sizeof(*sc), cmp_scope);
	for (size_t i = 0; i < nsc; i++) {  /* merge equal scopes */
		if (m && !strcmp(sc[m - 1].name, sc[i].name)) {
			sc[m - 1].tensors += sc[i].tensors;
			sc[m - 1].elements += sc[i].elements;
			sc[m - 1].bytes += sc[i].bytes;
			free(sc[i].name);
		} else {
			sc[m++] = sc[i];
		}
	}
	if (o->format == FMT_JSON) {
		cJSON *root = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(root, "scopes"), *t;
		for (size_t i = 0; i < m; i++) {
			cJSON *s = cJSON_CreateObject();
			cJSON_AddStringToObject(s, "scope", sc[i].name);
			json_add_i64(s, "depth", sc[i].depth);
			json_add_u64(s, "tensors", sc[i].tensors);
			json_add_u64(s, "elements", sc[i].elements);
			json_add_u64(s, "bytes", sc[i].bytes);
			cJSON_AddItemToArray(arr, s);
		}
		t = cJSON_AddObjectToObject(root, "totals");
		json_add_u64(t, "tensors", tot->tensors);
		json_add_u64(t, "elements", tot->elements);
		json_add_u64(t, "bytes", tot->bytes);
		json_print(root, stdout);
		cJSON_Delete(root);
	} else {
		struct tab t;
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
			tab_addf(&t, "%llu", (unsigned long long)sc[i].tensors);
			tab_add(&t, fmt_count(s1, sc[i].elements));
			tab_add(&t, fmt_size(s2, sc[i].bytes, o->exact));
			tab_addf(&t, "%.1f%%", tot->bytes ? 100.0 * (double)sc[i].bytes / (double)tot->bytes : 0.0);
		}
		tab_print(&t, stdout);
		tab_release(&t);
		printf("%s tensors, %s parameters, %s\n", fmt_count(s1, tot->tensors),
		       fmt_count(s2, tot->elements), fmt_size(s3, tot->bytes, o->exact));
	}
	for (size_t i = 0; i < m; i++)
		free(sc[i].name);
	free(sc);
	return 0;
}

static int add_regex(regex_t **arr, size_t *n, const char *re, const struct cmd *c)
{
	int rc;

	*arr = xreallocarray(*arr, *n + 1, sizeof(regex_t));
	rc = regcomp(&(*arr)[*n], re, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char msg[256];
		regerror(rc, &(*arr)[*n], msg, sizeof(msg));
		return cli_usage(c, "bad regular expression '%s': %s", re, msg);
	}
	(*n)++;
	return 0;
}

int cmd_list(int argc, char **argv)
{
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *self = cli_find("list");
	struct list_opts o = { 0 };
	struct ckpt_path where = { 0 };
	struct bundle *b = NULL;
	struct ck_err err = { 0 };
	const struct bundle_entry **sel = NULL;
	struct totals tot = { 0 };
	size_t n = 0;
	int c, status = EXIT_TROUBLE;

	/* Large listings go out in big writes, not 4 KiB ones. */
	static char outbuf[1 << 16];
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":ls:ri:x:f:bw:h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': o.longfmt = 1; break;
		case 'r': o.reverse = 1; break;
		case 'b': o.exact = 1; break;
		case 'j': o.format = FMT_JSON; break;
		case 'h': return cli_help(self);
		case 's':
			if (!strcmp(optarg, "name")) o.sort = SORT_NAME;
			else if (!strcmp(optarg, "size")) o.sort = SORT_SIZE;
			else if (!strcmp(optarg, "elements")) o.sort = SORT_ELEMENTS;
			else if (!strcmp(optarg, "offset")) o.sort = SORT_OFFSET;
			else {
				status = cli_usage(self, "unknown sort key '%s' (name, size, elements, offset)", optarg);
				goto out;
			}
			break;
		case 'f':
			if (!strcmp(optarg, "table")) o.format = FMT_TABLE;
			else if (!strcmp(optarg, "json")) o.format = FMT_JSON;
			else if (!strcmp(optarg, "tsv")) o.format = FMT_TSV;
			else if (!strcmp(optarg, "tf")) o.format = FMT_TF;
			else {
				status = cli_usage(self, "unknown format '%s' (table, json, tsv, tf)", optarg);
				goto out;
			}
			break;
		case 'i':
			if (add_regex(&o.include, &o.ninclude, optarg, self))
				goto out;
			break;
		case 'x':
			if (add_regex(&o.exclude, &o.nexclude, optarg, self))
				goto out;
			break;
		case 'w': {
			char *end;
			long wv = strtol(optarg, &end, 10);
			if (*end || wv < 0) {
				status = cli_usage(self, "--width takes a number of columns, not '%s'", optarg);
				goto out;
			}
			out_set_width(wv);
			break;
		}
		case 'S': {
			char *end;
			o.by_scope = 1;
			if (optarg) {
				long d = strtol(optarg, &end, 10);
				if (*end || d < 1 || d > 1000) {
					status = cli_usage(self, "--by-scope takes a depth of 1 or more, not '%s'", optarg);
					goto out;
				}
				o.scope_depth = (int)d;
			}
			break;
		}
		default:  /* ':' (a missing value) too */
			status = cli_bad_option(self, argv, opts);
			goto out;
		}
	}
	if (argc - optind != 1) {
		status = cli_usage(self, argc - optind ? "expected one checkpoint, got %d"
					 : "no checkpoint given", argc - optind);
		goto out;
	}
	if (o.by_scope && (o.format == FMT_TSV || o.format == FMT_TF)) {
		status = cli_usage(self, "--by-scope prints a table or JSON only");
		goto out;
	}
	if (ckpt_open(&b, argv[optind], &where, &err) < 0) {
		cli_notes(&where.notes);
		status = cli_error(&err);
		goto out;
	}
	cli_notes(&where.notes);
	sel = xcalloc(b->nentries + 1, sizeof(*sel));
	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		if (!wanted(&o, e))
			continue;
		sel[n++] = e;
		tot.tensors++;
		tot.elements += e->elements;
		tot.bytes += entry_bytes(e);
	}
	sort_by = o.sort;
	sort_rev = o.reverse;
	if (o.sort != SORT_NAME || o.reverse)
		sort_array(sel, n, sizeof(*sel), cmp_entries);
	if (o.by_scope)
		print_scopes(&o, sel, n, &tot);
	else if (o.format == FMT_JSON)
		print_json(argv[optind], b, sel, n, &tot);
	else if (o.format == FMT_TSV)
		print_tsv(&o, sel, n);
	else if (o.format == FMT_TF)
		print_tf(sel, n, &tot);
	else
		print_table(&o, b, sel, n, &tot);
	status = cli_finish(EXIT_OK);
out:
	for (size_t i = 0; i < o.ninclude; i++)
		regfree(&o.include[i]);
	for (size_t i = 0; i < o.nexclude; i++)
		regfree(&o.exclude[i]);
	free(o.include);
	free(o.exclude);
	free(sel);
	bundle_free(b);
	ckpt_path_release(&where);
	return status;
}
