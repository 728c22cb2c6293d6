/* Float payloads converted in chunks that two threads take in turn (cast.h). */
#include "edit/cast.h"

#include <stdlib.h>

#include "base/crc32c.h"
#include "base/par.h"
#include "base/util.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "tensor/assemble.h"

/* Payloads per batch: the threads meet after each, and its arrays stay small whatever the
 * number of tensors. */
#define BATCH 1024

/* Per thread, kept for the run (a command converts batch after batch): the chunk read and
 * the chunk converted (up to 8 bytes an input byte: float8 to float64). Page-aligned: see
 * xmalloc_io. */
static uint8_t *ins[2], *outs[2];

struct batch {                  /* what both threads share */
	struct bundle *b;
	struct bundle_writer *w;
	const struct cast_item *items;
	size_t n;
	int to;
	uint64_t *first;            /* item i's chunks: first[i] to first[i + 1] - 1 */
	uint64_t *out_off;          /* where item i goes in shard 0 */
	uint32_t *crc_in, *crc_out; /* per chunk, each from 0 */
};

struct worker {
	struct batch *t;
	uint8_t *in, *out;
	struct cast_stats *st;      /* per item */
	size_t i;                   /* the item of the last chunk taken */
	int rc, errnum;             /* a read's error (in err), or a write's errno */
	struct ck_err err;
};

/* Chunk c, of item i: read, summed, converted, summed, written in place. */
static int do_chunk(struct worker *k, size_t i, uint64_t c)
{
	struct batch *t = k->t;
	const struct bundle_entry *e = t->items[i].e;
	size_t es = (size_t)dtype_info(e->dtype)->size, os = (size_t)dtype_info(t->to)->size;
	uint64_t off = (c - t->first[i]) * CAST_CHUNK;
	size_t n = e->size - off < CAST_CHUNK ? (size_t)(e->size - off) : CAST_CHUNK, m = n / es;

	k->rc = bundle_pread(t->b, e, off, k->in, n, &k->err);
	if (k->rc)
		return -1;
	t->crc_in[c] = crc32c_extend(0, k->in, n);
	if (t->b->big_endian)  /* converted in host order, stored as it came */
		swap_elements(e->dtype, k->in, m);
	cast_elements(e->dtype, k->in, t->to, k->out, m, &k->st[i]);
	if (t->b->big_endian)
		swap_elements(t->to, k->out, m);
	t->crc_out[c] = crc32c_extend(0, k->out, m * os);
	k->errnum = bundle_writer_write_at(t->w, 0, t->out_off[i] + off / es * os, k->out, m * os);
	return k->errnum ? -1 : 0;
}

/* par_chunks' job: chunk c, of the item at or after the last one this thread did. */
static int take(void *arg, uint64_t c)
{
	struct worker *k = arg;

	while (k->t->first[k->i + 1] <= c)
		k->i++;
	return do_chunk(k, k->i, c);
}

/* Checked, opened for reading (the shard, before the threads pread it) and given its room
 * in shard 0. */
static int begin_item(struct bundle_writer *w, struct bundle *b, const struct bundle_entry *e,
		      int to, uint64_t *out_off, struct ck_err *err)
{
	const struct dtype_info *d = dtype_info(e->dtype);
	struct tensor_stream ts;
	int rc;

	if (!cast_is_float(e->dtype) || !cast_is_float(to))
		return ck_error(err, CK_EUSAGE, "cannot cast %s to %s", d->name, dtype_name(to));
	/* (divided, not multiplied: a hostile element count cannot wrap around to match) */
	if (e->size % (uint64_t)d->size || e->size / (uint64_t)d->size != e->elements) {
		struct buf name = BUF_INIT;
		buf_add_name_msg(&name, e->name, e->name_len);
		rc = ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": %llu bytes for %llu elements of %s",
			      b->index_path, (const char *)name.p, (unsigned long long)e->size,
			      (unsigned long long)e->elements, d->name);
		buf_release(&name);
		return rc;
	}
	rc = tensor_stream_open(&ts, b, e, err);
	if (rc < 0)
		return rc;
	if (bundle_writer_extend(w, 0, e->elements * (uint64_t)dtype_info(to)->size, out_off))
		return bundle_writer_status(w, err);
	return 0;
}

/* After the threads: each item's CRC checked and its entry added, in order, up to the first
 * chunk that failed, whose error is then returned. */
static int end_items(struct batch *t, const struct worker *bad, uint64_t failed_at,
		     uint64_t *bytes, struct ck_err *err)
{
	size_t os = (size_t)dtype_info(t->to)->size;

	for (size_t i = 0; i < t->n; i++) {
		const struct bundle_entry *e = t->items[i].e;
		size_t es = (size_t)dtype_info(e->dtype)->size;
		struct bundle_entry oe = *e;
		uint32_t crc;
		int rc;
		if (t->first[i + 1] > failed_at) {
			if (bad->errnum) {
				bundle_writer_write_failed(t->w, 0, bad->errnum);
				return bundle_writer_status(t->w, err);
			}
			if (err)
				*err = bad->err;
			return bad->rc;
		}
		crc = crc32c_join(t->crc_in + t->first[i], t->first[i + 1] - t->first[i], e->size,
				  CAST_CHUNK);
		rc = bundle_check_crc(t->b, e, crc, err);
		if (rc < 0)
			return rc;
		oe.shard = 0;
		oe.dtype = t->to;
		oe.offset = t->out_off[i];
		oe.size = e->elements * os;
		oe.crc32c = crc32c_mask(crc32c_join(t->crc_out + t->first[i],
						    t->first[i + 1] - t->first[i], oe.size,
						    CAST_CHUNK / es * os));
		if (bundle_writer_add_entry(t->w, &oe))
			return bundle_writer_status(t->w, err);
		if (bytes)
			*bytes += oe.size;
	}
	return 0;
}

/* One batch: on two threads when the input allows reads from both at once (V2) and there
 * are chunks enough to share. */
static int run(struct bundle_writer *w, struct bundle *b, struct cast_item *items, size_t n,
	       int to, uint64_t *bytes, struct ck_err *err)
{
	struct batch t = { .b = b, .w = w, .items = items, .n = n, .to = to };
	struct worker k[2];
	uint64_t chunks = 0, failed_at;
	int rc = 0, who;

	t.first = xmalloc((n + 1) * sizeof(*t.first));
	t.out_off = xmalloc((n + 1) * sizeof(*t.out_off));
	for (size_t i = 0; i < n && !rc; i++) {
		rc = begin_item(w, b, items[i].e, to, &t.out_off[i], err);
		t.first[i] = chunks;
		chunks += (items[i].e->size + CAST_CHUNK - 1) / CAST_CHUNK;
	}
	t.first[n] = chunks;
	t.crc_in = xmalloc((chunks + 1) * sizeof(uint32_t));
	t.crc_out = xmalloc((chunks + 1) * sizeof(uint32_t));
	for (int j = 0; j < 2; j++) {
		if (!ins[j]) {
			ins[j] = xmalloc_io(CAST_CHUNK);
			outs[j] = xmalloc_io(8 * (size_t)CAST_CHUNK);
		}
		k[j] = (struct worker){ .t = &t, .in = ins[j], .out = outs[j],
					.st = xcalloc(n + 1, sizeof(struct cast_stats)) };
	}
	if (!rc) {
		failed_at = par_chunks(chunks, b->format == 2, take, &k[0], &k[1], &who);
		rc = end_items(&t, &k[who], failed_at, bytes, err);
	}
	for (size_t i = 0; i < n && !rc; i++) {
		items[i].st = k[0].st[i];
		cast_stats_add(&items[i].st, &k[1].st[i]);
	}
	free(k[0].st);
	free(k[1].st);
	free(t.first);
	free(t.out_off);
	free(t.crc_in);
	free(t.crc_out);
	return rc;
}

int cast_payloads(struct bundle_writer *w, struct bundle *b, struct cast_item *items, size_t n,
		  int to, uint64_t *bytes, struct ck_err *err)
{
	int rc = 0;

	/* A V1 bundle holds one tensor read at a time, on this thread: batches of one. */
	for (size_t i = 0, m; i < n && !rc; i += m) {
		m = b->format != 2 ? 1 : n - i < BATCH ? n - i : BATCH;
		rc = run(w, b, items + i, m, to, bytes, err);
	}
	return rc;
}

int cast_payload(struct bundle_writer *w, struct bundle *b, const struct bundle_entry *e, int to,
		 struct cast_stats *st, uint64_t *bytes, struct ck_err *err)
{
	struct cast_item it = { .e = e };
	int rc = cast_payloads(w, b, &it, 1, to, bytes, err);

	if (!rc && st)
		cast_stats_add(st, &it.st);
	return rc;
}
