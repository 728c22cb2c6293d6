/* ckpt verify: is a checkpoint whole? Every checksum, every shard, every structural rule. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/file.h"
#include "format/bundle.h"
#include "format/dtype.h"
#include "format/objgraph.h"
#include "format/path.h"
#include "format/slicekey.h"
#include "base/crc32c.h"
#include "tensor/assemble.h"
#include "tensor/batch.h"
#include "tensor/split.h"
#include "tensor/values.h"
#include "edit/totals.h"
#include "cli/cli.h"
#include "cli/cmds.h"
#include "cli/output.h"

const char cmd_verify_usage[] =
"usage: ckpt verify [--json] [-q] [--latest] PATH...\n"
"\n"
"Check that each checkpoint is intact: more than TensorFlow checks on a full restore.\n"
"A training folder is checked whole: every checkpoint its 'checkpoint' state file lists and\n"
"every other PREFIX.index (or legacy V1 checkpoint file) in it, each named in the output.\n"
"  - the index: every block checksum, the header, every entry (dtype known, size equal to\n"
"    elements x element size)\n"
"  - every data shard the header declares is present and long enough for its tensors\n"
"  - every tensor's CRC-32C, and for strings the length checksum and layout\n"
"  - partitioned tensors: every slice stored, none overlapping, covering the whole tensor;\n"
"    no stored slice without its tensor\n"
"  - TF2: the object graph decodes and every checkpoint key it names is in the index\n"
"Data is read once, in file order, in 1 MiB pieces: memory stays small for any size.\n"
"\n"
"Per checkpoint it prints 'PATH: ok: N tensors, SIZE verified', or one line per problem,\n"
"naming the tensor, file and byte range, then 'PATH: FAILED: N problems'.\n"
"\n"
"Legacy V1 checkpoints (a single table file, or sharded P-NNNNN-of-NNNNN files) are checked\n"
"too: every block checksum, every slice's shape and byte count; V1 stores no per-tensor CRC.\n"
"\n"
"Options:\n"
"  -j, --json    one JSON object: per checkpoint its path, status, counts and problems\n"
"  -l, --latest  for a folder, only the checkpoint its state file names (the newest)\n"
"  -q, --quiet   print nothing for intact checkpoints\n"
"  -h, --help    show this help\n"
"\n"
"Exit status: 0 every checkpoint is intact; 1 some checkpoint is damaged: a file that exists\n"
"but is damaged (an index or data shard truncated, empty, without its magic number or with a\n"
"bad block; a checksum mismatch; an index that does not match its data), a missing data shard,\n"
"or a state file whose newest checkpoint is gone; 2 trouble: a checkpoint could not be\n"
"examined at all (no such path, not a checkpoint, permission denied, an I/O error) or a usage\n"
"error. The worst case wins.\n";

struct problem {
	char *tensor;          /* escaped name, or NULL */
	char *file;            /* or NULL */
	uint64_t offset, end;  /* byte range in file, when known */
	int has_range;
	char *msg;
};

struct report {
	const char *path;
	int status;            /* EXIT_OK, EXIT_DIFF, EXIT_TROUBLE */
	struct problem *p;
	size_t np, cap;
	size_t tensors, unchecked;
	uint64_t bytes;        /* tensor data read and found intact */
	uint64_t total_bytes;  /* the checkpoint's tensor data (totals.h) */
	char *error;           /* could not be examined */
};

static void add_problem(struct report *r, const struct bundle_entry *e, const char *file,
			const struct bundle_entry *range, const char *msg)
{
	struct problem *p;

	if (r->np == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 16;
		r->p = xreallocarray(r->p, r->cap, sizeof(*r->p));
	}
	p = &r->p[r->np++];
	memset(p, 0, sizeof(*p));
	if (e) {
		struct buf b = BUF_INIT, name = BUF_INIT;
		int64_t *ext = NULL;
		int rank;
		/* A stored slice is named as its tensor with numpy's index of the slice. */
		if (e->is_slice && slice_key_parse((const uint8_t *)e->name, e->name_len, &name, &rank,
						   &ext) == 0) {
			name_escaped(&b, name.p, name.len);
			buf_addc(&b, '[');
			for (int d = 0; d < rank; d++) {
				if (ext[2 * d + 1] < 0)
					buf_addf(&b, d ? ",:" : ":");
				else
					buf_addf(&b, "%s%lld:%lld", d ? "," : "", (long long)ext[2 * d],
						 (long long)(ext[2 * d] + ext[2 * d + 1]));
			}
			buf_addc(&b, ']');
		} else {
			name_escaped(&b, e->name, e->name_len);
		}
		p->tensor = buf_detach(&b, NULL);
		buf_release(&name);
		free(ext);
	}
	p->file = file ? xstrdup(file) : NULL;
	if (range) {
		p->has_range = 1;
		p->offset = range->offset;
		p->end = range->offset + range->size;
	}
	p->msg = xstrdup(msg);
	if (r->status < EXIT_DIFF)
		r->status = EXIT_DIFF;
}

/* The reason alone, when the library's message starts with the file and tensor we print. */
static const char *reason(const char *msg, const char *file, const char *tensor)
{
	struct buf pre = BUF_INIT;
	const char *r = msg;
	const char *forms[] = { "%s: tensor \"%s\": ", "%s: string tensor \"%s\": " };

	for (size_t i = 0; i < 2 && r == msg; i++) {
		buf_reset(&pre);
		buf_addf(&pre, forms[i], file, tensor);
		if (!strncmp(msg, (char *)pre.p, pre.len))
			r = msg + pre.len;
	}
	buf_release(&pre);
	return r;
}

static void entry_problem(struct report *r, struct bundle *b, const struct bundle_entry *e,
			  const struct ck_err *err)
{
	char *file = bundle_shard_path(b, e->shard);
	struct buf name = BUF_INIT;

	name_escaped(&name, e->name, e->name_len);
	if (err->code == CK_EIO) {
		/* Not a defect of the checkpoint: the bytes could not be read. */
		if (!r->error)
			r->error = xstrdup(err->msg);
		r->status = EXIT_TROUBLE;
	} else {
		const char *why = reason(err->msg, file, (char *)name.p);
		if (why == err->msg && !strncmp(why, b->index_path, strlen(b->index_path))) {
			why = reason(err->msg, b->index_path, (char *)name.p);
		}
		add_problem(r, e, file, e, why);
	}
	free(file);
	buf_release(&name);
}

/* Numeric payloads are read in two halves on two cores (split.h): copying out of the page
 * cache and the CRC together are more than one core can do at cat's speed. A file truncated
 * while we run is a short read, an error for that tensor. */
static int verify_entry(struct bundle *b, const struct bundle_entry *e, struct ck_err *err)
{
	void *ctx[2] = { NULL, NULL };
	int halves;

	if (e->dtype == DT_STRING)
		return bundle_verify(b, e, err);
	return split_read(b, e, NULL, ctx, &halves, err);
}

/* The payloads, in file order: small ones a window at a time (batch.h), the others and those
 * a window could not hold (a shard that shrank, a read error) one by one. */
static void verify_payloads(struct bundle *b, const struct bundle_entry **order, size_t n,
			    struct report *r)
{
	uint64_t total = 0, done = 0;
	struct ck_err err = { 0 };
	struct batch w;

	batch_init(&w);
	for (size_t i = 0; i < n; i++)
		total += order[i]->size;
	for (size_t i = 0, j = 0; i < n && r->status != EXIT_TROUBLE; i++) {
		const struct bundle_entry *e = order[i];
		const uint8_t *p;
		if (i == j) {  /* plan and read the next window */
			batch_start(&w, b);
			while (j < n && batch_add(&w, order[j]))
				j++;
			j += j == i;
			batch_fill(&w, NULL);  /* on failure, the one-by-one reads say why */
		}
		p = batch_payload(&w, e);
		if ((p ? bundle_check_crc(b, e, crc32c_extend(0, p, e->size), &err)
		       : verify_entry(b, e, &err)) < 0)
			entry_problem(r, b, e, &err);
		else
			r->bytes += e->size;
		done += e->size;
		cli_progress(NULL, done, total);
	}
	if (done < total || !n)
		cli_progress(NULL, total, total);  /* clears the meter */
	batch_release(&w);
}

static int cmp_offset(const void *pa, const void *pb)
{
	const struct bundle_entry *a = *(const struct bundle_entry *const *)pa;
	const struct bundle_entry *b = *(const struct bundle_entry *const *)pb;

	return bundle_disk_cmp(a, b);
}

struct shard_listing {
	const struct bundle *b;
	const char *base;
	size_t nbase;
	unsigned char *seen;
};

static int see_shard(void *arg, const char *name)
{
	struct shard_listing *l = arg;
	char *want;
	long s;

	if (strncmp(name, l->base, l->nbase) || strncmp(name + l->nbase, ".data-", 6))
		return 0;
	s = strtol(name + l->nbase + 6, NULL, 10);
	if (s < 0 || s >= l->b->num_shards)
		return 0;
	want = bundle_data_path("", (int)s, l->b->num_shards);  /* the name's suffix */
	if (!strcmp(name + l->nbase, want))
		l->seen[s] = 1;
	free(want);
	return 0;
}

/* Which shards exist, from one listing of the folder: a header may declare a million shards,
 * and a stat() for each would cost seconds. NULL when the folder cannot be listed. */
static unsigned char *listed_shards(const struct bundle *b)
{
	char *dir = xstrdup(b->prefix), *slash = strrchr(dir, '/');
	struct shard_listing l = { b, slash ? slash + 1 : b->prefix, 0, NULL };
	int rc;

	l.nbase = strlen(l.base);
	if (slash)
		*slash = 0;
	l.seen = xcalloc((size_t)b->num_shards + 1, 1);
	rc = ck_store_list(slash ? (*dir ? dir : "/") : ".", see_shard, &l, NULL);
	free(dir);
	if (rc < 0) {
		free(l.seen);
		return NULL;
	}
	return l.seen;
}

/* Shards: present? Returns per shard its size (0 for a present shard that holds no tensor),
 * or -1 when missing. A missing shard that holds tensors is one problem each; those holding
 * none make a single problem, however many there are. */
static int64_t *check_shards(struct bundle *b, struct report *r)
{
	int64_t *ok = xcalloc((size_t)b->num_shards + 1, sizeof(int64_t));
	size_t *count = xcalloc((size_t)b->num_shards + 1, sizeof(size_t));
	unsigned char *seen = b->num_shards > 64 ? listed_shards(b) : NULL;
	int empty_missing = 0, first_empty = -1;

	for (size_t i = 0; i < b->nentries; i++)
		if (!b->entries[i].nslices && b->entries[i].shard < b->num_shards)
			count[b->entries[i].shard]++;
	for (int s = 0; s < b->num_shards; s++) {
		char *file, *msg;
		struct ck_stat st = { .kind = CK_STORE_MISSING };
		struct ck_err why;
		int rc = 0;
		if (seen && !count[s] && seen[s])
			continue;
		file = bundle_shard_path(b, s);
		if (!seen || count[s])
			rc = ck_store_stat(file, &st, &why); /* a local file or a URL */
		if (rc < 0) {
			ok[s] = -1;
			if (!r->error)
				r->error = xstrdup(why.msg);
			r->status = EXIT_TROUBLE;
		} else if (st.kind == CK_STORE_FILE) {
			ok[s] = (int64_t)st.size;
		} else if (st.kind != CK_STORE_MISSING) {
			/* A FIFO, device or folder where a shard should be: not examinable, trouble. */
			ok[s] = -1;
			if (!r->error)
				r->error = xasprintf("%s: is %s, not a file", file,
						     st.mode ? ck_store_kind_name(st.mode) : "a folder");
			r->status = EXIT_TROUBLE;
		} else if (!count[s]) {
			ok[s] = -1;
			if (!empty_missing++)
				first_empty = s;
		} else {
			ok[s] = -1;
			msg = xasprintf("data shard %d of %d is missing (%zu %s in it cannot be read)",
					s + 1, b->num_shards, count[s], count[s] == 1 ? "tensor" : "tensors");
			add_problem(r, NULL, file, NULL, msg);
			free(msg);
		}
		free(file);
	}
	if (empty_missing) {
		char *file = bundle_shard_path(b, first_empty);
		char *msg = empty_missing == 1
			? xasprintf("data shard %d of %d is missing (it holds no tensors)",
				    first_empty + 1, b->num_shards)
			: xasprintf("%d of the %d data shards are missing, from shard %d on (they hold "
				    "no tensors)", empty_missing, b->num_shards, first_empty + 1);
		add_problem(r, NULL, file, NULL, msg);
		free(msg);
		free(file);
	}
	free(seen);
	free(count);
	return ok;
}

/* A stored slice must belong to a partitioned tensor that lists it. */
static void check_orphan(struct bundle *b, const struct bundle_entry *e, struct report *r)
{
	struct buf name = BUF_INIT, key = BUF_INIT;
	int64_t *ext = NULL;
	int rank, listed = 0;
	const struct bundle_entry *full;

	if (slice_key_parse((const uint8_t *)e->name, e->name_len, &name, &rank, &ext) < 0) {
		add_problem(r, e, b->index_path, NULL, "key starts with a 0x00 byte but is not a "
			    "valid slice key");
		goto out;
	}
	full = bundle_find(b, name.p, name.len);
	for (size_t s = 0; full && s < full->nslices && !listed; s++) {
		buf_reset(&key);
		slice_key(&key, full->name, full->name_len, full->rank,
			  full->slices + s * (size_t)full->rank * 2);
		listed = key.len == e->name_len && !memcmp(key.p, e->name, key.len);
	}
	if (!listed) {
		struct buf msg = BUF_INIT;
		buf_add(&msg, "a stored slice of \"", 19);
		name_escaped(&msg, name.p, name.len);
		buf_add(&msg, "\" that no partitioned tensor lists", 34);
		add_problem(r, e, b->index_path, NULL, (char *)msg.p);
		buf_release(&msg);
	}
out:
	free(ext);
	buf_release(&name);
	buf_release(&key);
}

static void check_object_graph(struct bundle *b, struct report *r)
{
	objgraph *g;
	struct ck_err err = { 0 };

	if (!bundle_find(b, OBJECT_GRAPH_KEY, strlen(OBJECT_GRAPH_KEY)))
		return;
	if (objgraph_load(b, &g, &err) < 0) {
		if (err.code != CK_ECORRUPT)  /* a CRC problem is reported with the tensor */
			return;
		if (strstr(err.msg, "TrackableObjectGraph"))
			add_problem(r, NULL, b->index_path, NULL, err.msg);
		return;
	}
	for (size_t i = 0; i < g->n_nodes; i++)
		for (size_t k = 0; k < g->nodes[i]->n_attributes; k++) {
			const ProtobufCBinaryData *key = &g->nodes[i]->attributes[k]->checkpoint_key;
			struct buf msg = BUF_INIT;
			if (bundle_find(b, key->data, key->len))
				continue;
			buf_addf(&msg, "object graph node %zu names checkpoint key \"", i);
			string_escaped(&msg, key->data, key->len, '"');
			buf_add(&msg, "\", which is not in the index", 28);
			add_problem(r, NULL, b->index_path, NULL, (char *)msg.p);
			buf_release(&msg);
		}
	objgraph_free(g);
}

static void verify_one(const char *arg, struct report *r)
{
	struct ckpt_path where = { 0 };
	struct bundle *b = NULL;
	struct ck_err err = { 0 };
	const struct bundle_entry **order = NULL;
	int64_t *shard_ok = NULL;
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	r->path = arg;
	if (ckpt_open(&b, arg, &where, &err) < 0) {
		cli_notes(&where.notes);
		if (err.code == CK_ECORRUPT) {
			add_problem(r, NULL, NULL, NULL, err.msg);  /* the index itself is damaged */
		} else {
			r->error = xstrdup(err.msg);
			r->status = EXIT_TROUBLE;
		}
		goto out;
	}
	cli_notes(&where.notes);
	{
		struct totals t;
		totals_of_bundle(&t, b);
		r->total_bytes = t.bytes;
	}
	shard_ok = check_shards(b, r);
	order = xcalloc(b->nentries + 1, sizeof(*order));
	for (size_t i = 0; i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		if (!e->is_slice)
			r->tensors++;
		if (!dtype_info(e->dtype)) {
			char *msg = xasprintf("unknown dtype %d", e->dtype);
			add_problem(r, e, b->index_path, NULL, msg);
			free(msg);
			continue;
		}
		if (e->nslices) {
			if (partition_check(b, e, &err) < 0)
				add_problem(r, e, NULL, NULL, err.msg);
			continue;
		}
		if (e->is_slice)
			check_orphan(b, e, r);
		if (e->dtype == DT_RESOURCE || e->dtype == DT_VARIANT) {
			r->unchecked++;  /* no checksum rule we can apply */
			continue;
		}
		if (shard_ok[e->shard] < 0)
			continue;
		if (e->offset > (uint64_t)shard_ok[e->shard] ||
		    e->size > (uint64_t)shard_ok[e->shard] - e->offset) {
			char *file = bundle_shard_path(b, e->shard);
			char *msg = xasprintf("past the end of the file, which has %lld bytes (truncated "
					      "copy?)", (long long)shard_ok[e->shard]);
			add_problem(r, e, file, e, msg);
			free(msg);
			free(file);
			continue;
		}
		order[n++] = e;
	}
	/* File order: sequential reads, each shard once. */
	sort_array(order, n, sizeof(*order), cmp_offset);
	verify_payloads(b, order, n, r);
	if (r->status != EXIT_TROUBLE)
		check_object_graph(b, r);
out:
	free(order);
	free(shard_ok);
	bundle_free(b);
	ckpt_path_release(&where);
}

static void report_text(const struct report *r, int quiet)
{
	char s1[32], s2[32];

	if (r->error) {
		cli_errorf("%s", r->error);
		return;
	}
	for (size_t i = 0; i < r->np; i++) {
		const struct problem *p = &r->p[i];
		printf("%s: ", r->path);
		if (p->tensor)
			printf("tensor \"%s\"%s", p->tensor, p->file ? " in " : ": ");
		if (p->file)
			printf("%s%s", p->file, p->has_range ? "" : ": ");
		if (p->has_range)
			printf(" bytes %llu..%llu: ", (unsigned long long)p->offset,
			       (unsigned long long)p->end);
		printf("%s\n", p->msg);
	}
	if (r->np) {
		char s3[32];
		printf("%s: FAILED: %zu %s (%s %s, %s", r->path, r->np,
		       r->np == 1 ? "problem" : "problems", fmt_count(s1, r->tensors),
		       r->tensors == 1 ? "tensor" : "tensors", fmt_size(s2, r->bytes, 0));
		/* Of how much: "24 B verified" alone read as if that were all there was. */
		if (r->total_bytes)
			printf(" of %s of tensor data", fmt_size(s3, r->total_bytes, 0));
		printf(" verified)\n");
	} else if (!quiet) {
		printf("%s: ok: %s %s, %s verified", r->path, fmt_count(s1, r->tensors),
		       r->tensors == 1 ? "tensor" : "tensors", fmt_size(s2, r->bytes, 0));
		if (r->unchecked)
			printf(" (%zu resource/variant %s not checkable)", r->unchecked,
			       r->unchecked == 1 ? "tensor" : "tensors");
		putchar('\n');
	}
}

static cJSON *report_json(const struct report *r)
{
	cJSON *o = cJSON_CreateObject(), *a;

	cJSON_AddStringToObject(o, "path", r->path);
	cJSON_AddStringToObject(o, "status", r->error ? "error" : r->np ? "damaged" : "ok");
	if (r->error) {
		cJSON_AddStringToObject(o, "error", r->error);
		return o;
	}
	json_add_u64(o, "tensors", r->tensors);
	json_add_u64(o, "bytes_verified", r->bytes);
	json_add_u64(o, "bytes", r->total_bytes);
	json_add_u64(o, "unchecked", r->unchecked);
	a = cJSON_AddArrayToObject(o, "problems");
	for (size_t i = 0; i < r->np; i++) {
		const struct problem *p = &r->p[i];
		cJSON *j = cJSON_CreateObject();
		if (p->tensor)
			cJSON_AddStringToObject(j, "tensor", p->tensor);
		else
			cJSON_AddNullToObject(j, "tensor");
		if (p->file)
			cJSON_AddStringToObject(j, "file", p->file);
		else
			cJSON_AddNullToObject(j, "file");
		if (p->has_range) {
			json_add_u64(j, "offset", p->offset);
			json_add_u64(j, "end", p->end);
		}
		cJSON_AddStringToObject(j, "message", p->msg);
		cJSON_AddItemToArray(a, j);
	}
	return o;
}

static void report_release(struct report *r)
{
	for (size_t i = 0; i < r->np; i++) {
		free(r->p[i].tensor);
		free(r->p[i].file);
		free(r->p[i].msg);
	}
	free(r->p);
	free(r->error);
}

/* One checkpoint's report, printed or added to the JSON; returns its status. */
static int verify_and_report(const char *path, cJSON *arr, int quiet)
{
	struct report r;
	int status;

	verify_one(path, &r);
	if (arr) {
		cJSON_AddItemToArray(arr, report_json(&r));
	} else {
		report_text(&r, quiet);
		fflush(stdout);
	}
	status = r.status;
	report_release(&r);
	return status;
}

/* The state file's newest checkpoint is gone: a restore from the folder would fail. */
static int report_gone(const char *dir, const struct ckpt_folder *f, cJSON *arr)
{
	struct report r = { 0 };
	char *path = f->gone_latest[0] == '/' ? xstrdup(f->gone_latest)
					      : xasprintf("%s%s%s", dir,
							  dir[strlen(dir) - 1] == '/' ? "" : "/",
							  f->gone_latest);
	char *msg = xasprintf("the newest checkpoint %s names, but its index is gone (a restore "
			      "of the latest checkpoint would fail)", f->state);

	r.path = path;
	add_problem(&r, NULL, NULL, NULL, msg);
	if (arr)
		cJSON_AddItemToArray(arr, report_json(&r));
	else
		report_text(&r, 0);
	report_release(&r);
	free(msg);
	free(path);
	return EXIT_DIFF;
}

/* A training folder, whole: every checkpoint in it (ckpt_folder_scan). A folder without any
 * (a SavedModel's, an empty one) is verified as one path, which names what is there. */
static int verify_folder(const char *dir, cJSON *arr, int quiet)
{
	struct ckpt_folder f;
	struct ck_err err = { 0 };
	int status = EXIT_OK, s;

	if (ckpt_folder_scan(dir, &f, &err) < 0 || (!f.n && !f.gone_latest)) {
		ckpt_folder_release(&f);
		return verify_and_report(dir, arr, quiet);
	}
	cli_notes(&f.notes);
	for (size_t i = 0; i < f.n; i++) {
		s = verify_and_report(f.c[i].prefix, arr, quiet);
		if (s > status)
			status = s;
	}
	if (f.gone_latest && (s = report_gone(dir, &f, arr)) > status)
		status = s;
	ckpt_folder_release(&f);
	return status;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "latest", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct cmd *self = cli_find("verify");
	int c, json = 0, quiet = 0, latest = 0, status = EXIT_OK;
	cJSON *root = NULL, *arr = NULL;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":jqlh", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'l': latest = 1; break;
		case 'h': return cli_help(self);
		default: return cli_bad_option(self, argv, opts);
		}
	}
	if (optind >= argc)
		return cli_usage(self, "no checkpoint given");
	if (json) {
		root = cJSON_CreateObject();
		arr = cJSON_AddArrayToObject(root, "checkpoints");
	}
	for (int i = optind; i < argc; i++) {
		struct ck_stat st;
		int s = !latest && ck_store_stat(argv[i], &st, NULL) == 0 && st.kind == CK_STORE_FOLDER
			? verify_folder(argv[i], arr, quiet) : verify_and_report(argv[i], arr, quiet);
		if (s > status)
			status = s;
	}
	if (json) {
		json_add_i64(root, "status", status);
		json_print(root, stdout);
		cJSON_Delete(root);
	}
	return cli_finish(status);
}
