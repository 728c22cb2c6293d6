/* The verify engine: every checksum, shard and structural rule of one checkpoint checked, the
 * problems found gathered in a report (verify.h). */
#include "edit/verify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/crc32c.h"
#include "base/par.h"
#include "base/fmt.h"
#include "store/file.h"
#include "format/dtype.h"
#include "format/objgraph.h"
#include "format/path.h"
#include "format/slicekey.h"
#include "tensor/assemble.h"
#include "tensor/batch.h"
#include "tensor/split.h"
#include "tensor/values.h"
#include "edit/totals.h"

void verify_add_problem(struct verify_report *r, const struct bundle_entry *e, const char *file,
			const struct bundle_entry *range, const char *msg)
{
	struct verify_problem *p;

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
	if (r->status < VERIFY_DAMAGED)
		r->status = VERIFY_DAMAGED;
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

static void entry_problem(struct verify_report *r, struct bundle *b, const struct bundle_entry *e,
			  const struct ck_err *err)
{
	char *file = bundle_shard_path(b, e->shard);
	struct buf name = BUF_INIT;

	name_escaped(&name, e->name, e->name_len);
	if (err->code == CK_EIO) {
		/* Not a defect of the checkpoint: the bytes could not be read. */
		if (!r->error)
			r->error = xstrdup(err->msg);
		r->status = VERIFY_TROUBLE;
	} else {
		const char *why = reason(err->msg, file, (char *)name.p);
		if (why == err->msg && !strncmp(why, b->index_path, strlen(b->index_path))) {
			why = reason(err->msg, b->index_path, (char *)name.p);
		}
		verify_add_problem(r, e, file, e, why);
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

/* A half of the payloads, [next, hi), checked a window at a time on a core of its own. It
 * stops (next < hi) at the first payload a window does not hold or whose CRC is wrong: the
 * one-by-one loop of verify_payloads takes over there and says why. */
struct verify_half {
	struct bundle *b;
	const struct bundle_entry **order;
	size_t next, hi;
	uint64_t done;       /* bytes checked */
	void (*progress)(void *, uint64_t, uint64_t);  /* the first half only: its share, scaled */
	void *ctx;
	uint64_t total, share;
};

static void half_run(void *arg)
{
	struct verify_half *h = arg;
	struct batch w;

	batch_init(&w);
	for (size_t i = h->next, j = i; i < h->hi; i++) {
		const struct bundle_entry *e = h->order[i];
		const uint8_t *p;
		if (i == j) {
			batch_start(&w, h->b);
			while (j < h->hi && batch_add(&w, h->order[j]))
				j++;
			j += j == i;
			batch_fill(&w, NULL);
		}
		p = batch_payload(&w, e);
		if (!p || crc32c_mask(crc32c_extend(0, p, e->size)) != e->crc32c)
			break;
		h->done += e->size;
		h->next = i + 1;
		if (h->progress && h->share)
			h->progress(h->ctx, (uint64_t)((double)h->done / (double)h->share *
						       (double)h->total), h->total);
	}
	batch_release(&w);
}

/* Two halves side by side when every payload is small (10^5 of 1-4 KiB: the CRC and the copy
 * out of the page cache cost alike) in a local checkpoint whose shards are opened first (the
 * halves share nothing else). Returns the entry from which the one-by-one loop goes on (n:
 * none), with the bytes checked added to r. */
#define VERIFY_HALVES_MIN 256

static size_t verify_halves(struct bundle *b, const struct bundle_entry **order, size_t n,
			    struct verify_report *r, void (*progress)(void *, uint64_t, uint64_t),
			    void *ctx, uint64_t total, uint64_t *done)
{
	struct verify_half h[2];
	struct ck_err ignored;  /* a shard that cannot be opened: the one-by-one loop says why */

	if (n < VERIFY_HALVES_MIN || ck_store_is_remote(b->prefix))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!batch_eligible(b, order[i]) ||
		    ((!i || order[i]->shard != order[i - 1]->shard) &&
		     bundle_shard_pread(b, order[i]->shard, 0, NULL, 0, &ignored) < 0))
			return 0;
	for (int k = 0; k < 2; k++)
		h[k] = (struct verify_half){ .b = b, .order = order, .next = k ? n / 2 : 0,
					     .hi = k ? n : n / 2, .total = total };
	for (size_t i = 0; i < n / 2; i++)
		h[0].share += order[i]->size;
	h[0].progress = progress;
	h[0].ctx = ctx;
	par_both(half_run, &h[0], &h[1]);
	if (h[0].next < h[0].hi) {  /* the second half is checked again, one by one */
		*done = h[0].done;
		r->bytes += h[0].done;
		return h[0].next;
	}
	*done = h[0].done + h[1].done;
	r->bytes += *done;
	return h[1].next;
}

/* The payloads, in file order: small ones a window at a time (batch.h), the others and those
 * a window could not hold (a shard that shrank, a read error) one by one. */
static void verify_payloads(struct bundle *b, const struct bundle_entry **order, size_t n,
			    struct verify_report *r, void (*progress)(void *, uint64_t, uint64_t),
			    void *ctx)
{
	uint64_t total = 0, done = 0;
	struct ck_err err = { 0 };
	struct batch w;
	size_t from;

	batch_init(&w);
	for (size_t i = 0; i < n; i++)
		total += order[i]->size;
	from = verify_halves(b, order, n, r, progress, ctx, total, &done);
	for (size_t i = from, j = from; i < n && r->status != VERIFY_TROUBLE; i++) {
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
		if (progress)
			progress(ctx, done, total);
	}
	if (progress && (done < total || !n))
		progress(ctx, total, total);  /* clears the meter */
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
static int64_t *check_shards(struct bundle *b, struct verify_report *r)
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
		struct ck_stat st = { CK_STORE_MISSING, 0, -1, 0, 0, 0 };
		if (seen && !count[s] && seen[s])
			continue;
		file = bundle_shard_path(b, s);
		if ((!seen || count[s]) && ck_store_stat(file, &st, NULL) < 0)
			st.kind = CK_STORE_MISSING;
		if ((!seen || count[s]) && st.kind == CK_STORE_FILE) {
			ok[s] = (int64_t)st.size;
		} else if ((!seen || count[s]) && st.kind != CK_STORE_MISSING) {
			/* A FIFO, device or folder where a shard should be: not examinable, trouble. */
			ok[s] = -1;
			if (!r->error)
				r->error = xasprintf("%s: is %s, not a file", file,
						     ck_store_kind_name(st.mode));
			r->status = VERIFY_TROUBLE;
		} else if (!count[s]) {
			ok[s] = -1;
			if (!empty_missing++)
				first_empty = s;
		} else {
			ok[s] = -1;
			msg = xasprintf("data shard %d of %d is missing (%zu %s in it cannot be read)",
					s + 1, b->num_shards, count[s], count[s] == 1 ? "tensor" : "tensors");
			verify_add_problem(r, NULL, file, NULL, msg);
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
		verify_add_problem(r, NULL, file, NULL, msg);
		free(msg);
		free(file);
	}
	free(seen);
	free(count);
	return ok;
}

/* A stored slice must belong to a partitioned tensor that lists it. */
static void check_orphan(struct bundle *b, const struct bundle_entry *e, struct verify_report *r)
{
	struct buf name = BUF_INIT, key = BUF_INIT;
	int64_t *ext = NULL;
	int rank, listed = 0;
	const struct bundle_entry *full;

	if (slice_key_parse((const uint8_t *)e->name, e->name_len, &name, &rank, &ext) < 0) {
		verify_add_problem(r, e, b->index_path, NULL, "key starts with a 0x00 byte but is not a "
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
		verify_add_problem(r, e, b->index_path, NULL, (char *)msg.p);
		buf_release(&msg);
	}
out:
	free(ext);
	buf_release(&name);
	buf_release(&key);
}

static void check_object_graph(struct bundle *b, struct verify_report *r)
{
	objgraph *g;
	struct ck_err err = { 0 };

	if (!bundle_find(b, OBJECT_GRAPH_KEY, strlen(OBJECT_GRAPH_KEY)))
		return;
	if (objgraph_load(b, &g, &err) < 0) {
		if (err.code != CK_ECORRUPT)  /* a CRC problem is reported with the tensor */
			return;
		if (strstr(err.msg, "TrackableObjectGraph"))
			verify_add_problem(r, NULL, b->index_path, NULL, err.msg);
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
			verify_add_problem(r, NULL, b->index_path, NULL, (char *)msg.p);
			buf_release(&msg);
		}
	objgraph_free(g);
}

void verify_checkpoint(const char *arg, struct verify_report *r,
		       void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx)
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
		if (err.code == CK_ECORRUPT) {
			verify_add_problem(r, NULL, NULL, NULL, err.msg);  /* the index itself is damaged */
		} else {
			r->error = xstrdup(err.msg);
			r->status = VERIFY_TROUBLE;
		}
		goto out;
	}
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
			verify_add_problem(r, e, b->index_path, NULL, msg);
			free(msg);
			continue;
		}
		if (e->nslices) {
			if (partition_check(b, e, &err) < 0)
				verify_add_problem(r, e, NULL, NULL, err.msg);
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
			verify_add_problem(r, e, file, e, msg);
			free(msg);
			free(file);
			continue;
		}
		order[n++] = e;
	}
	/* File order: sequential reads, each shard once. */
	sort_array(order, n, sizeof(*order), cmp_offset);
	verify_payloads(b, order, n, r, progress, ctx);
	if (r->status != VERIFY_TROUBLE)
		check_object_graph(b, r);
out:
	buf_add(&r->notes, where.notes.p, where.notes.len);
	free(order);
	free(shard_ok);
	bundle_free(b);
	ckpt_path_release(&where);
}

void verify_report_release(struct verify_report *r)
{
	for (size_t i = 0; i < r->np; i++) {
		free(r->p[i].tensor);
		free(r->p[i].file);
		free(r->p[i].msg);
	}
	free(r->p);
	free(r->error);
	buf_release(&r->notes);
}

