/* One float payload converted on two cores (cast.h). */
#include "edit/cast.h"

#include <string.h>

#include "base/crc32c.h"
#include "base/util.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "tensor/assemble.h"
#include "tensor/split.h"

/* Per half, kept for the run (a checkpoint calls this for each of its tensors): the converted
 * chunk (up to 8 bytes an input byte: float8 to float64) and, for big-endian inputs, the chunk
 * in host order. Page-aligned: see xmalloc_io. */
static uint8_t *outs[2], *tmps[2];

struct half {
	struct bundle_writer *w;
	int from, to, swap;   /* swap: stored big-endian, converted in host order */
	size_t esize, osize;
	uint64_t base;        /* where the payload starts in shard 0 */
	uint8_t *out, *tmp;
	uint32_t crc;         /* of this half's converted bytes, from 0 */
	uint64_t len;         /* how many */
	struct cast_stats st;
	int errnum;           /* of a failed write */
};

/* split_fn: n input bytes at payload offset off, converted, summed and written in place. */
static int cast_chunk(void *ctx, const uint8_t *p, size_t n, uint64_t off)
{
	struct half *h = ctx;
	size_t m = n / h->esize, on = m * h->osize;

	if (h->swap) {
		memcpy(h->tmp, p, n);
		swap_elements(h->from, h->tmp, m);
		p = h->tmp;
	}
	cast_elements(h->from, p, h->to, h->out, m, &h->st);
	if (h->swap)
		swap_elements(h->to, h->out, m);
	h->crc = crc32c_extend(h->crc, h->out, on);
	h->len += on;
	h->errnum = bundle_writer_write_at(h->w, 0, h->base + off / h->esize * h->osize, h->out, on);
	return h->errnum != 0;
}

static void half_init(struct half *h, int k, struct bundle_writer *w, const struct bundle *b,
		      const struct bundle_entry *e, int to, uint64_t base)
{
	memset(h, 0, sizeof(*h));
	h->w = w;
	h->from = e->dtype;
	h->to = to;
	h->swap = b->big_endian;
	h->esize = (size_t)dtype_info(e->dtype)->size;
	h->osize = (size_t)dtype_info(to)->size;
	h->base = base;
	if (!outs[k])
		outs[k] = xmalloc_io(8 * (size_t)SPLIT_CHUNK);
	if (h->swap && !tmps[k])
		tmps[k] = xmalloc_io(SPLIT_CHUNK);
	h->out = outs[k];
	h->tmp = tmps[k];
}

static void stats_sum(struct cast_stats *st, const struct cast_stats *a)
{
	st->values += a->values;
	st->changed += a->changed;
	st->overflow += a->overflow;
	st->underflow += a->underflow;
}

int cast_payload(struct bundle_writer *w, struct bundle *b, const struct bundle_entry *e, int to,
		 struct cast_stats *st, uint64_t *bytes, struct ck_err *err)
{
	const struct dtype_info *d = dtype_info(e->dtype);
	struct bundle_entry oe = *e;
	struct half h[2];
	void *ctx[2] = { &h[0], &h[1] };
	uint32_t crc;
	int halves, rc;

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
	oe.shard = 0;
	oe.dtype = to;
	oe.size = e->elements * (uint64_t)dtype_info(to)->size;
	if (bundle_writer_extend(w, 0, oe.size, &oe.offset))
		return bundle_writer_status(w, err);
	for (int k = 0; k < 2; k++)
		half_init(&h[k], k, w, b, e, to, oe.offset);
	rc = split_read(b, e, cast_chunk, ctx, &halves, err);
	for (int k = 0; k < 2; k++)
		if (h[k].errnum) {
			bundle_writer_write_failed(w, 0, h[k].errnum);
			return bundle_writer_status(w, err);
		}
	if (rc)
		return rc;
	crc = halves == 2 ? crc32c_combine(h[0].crc, h[1].crc, h[1].len) : h[0].crc;
	oe.crc32c = crc32c_mask(crc);
	if (st) {
		stats_sum(st, &h[0].st);
		stats_sum(st, &h[1].st);
	}
	if (bytes)
		*bytes += oe.size;
	if (bundle_writer_add_entry(w, &oe))
		return bundle_writer_status(w, err);
	return 0;
}
