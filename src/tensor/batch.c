/* Small stored payloads read together in windows (batch.h). */
#include "tensor/batch.h"

#include <stdlib.h>

#include "base/util.h"
#include "format/dtype.h"

void batch_init(struct batch *w)
{
	*w = (struct batch){ .shard = -1 };
}

void batch_release(struct batch *w)
{
	free(w->buf);
	batch_init(w);
}

void batch_start(struct batch *w, struct bundle *b)
{
	w->b = b;
	w->shard = -1;
	w->lo = w->hi = w->used = 0;
	w->n = w->len = 0;
}

/* Strings and variants have checks of their own; partitioned tensors no bytes of their own. */
int batch_eligible(const struct bundle *b, const struct bundle_entry *e)
{
	return b->format == 2 && !e->nslices && e->size && e->size <= BATCH_SMALL &&
	       e->dtype != DT_STRING && e->dtype != DT_VARIANT && e->shard >= 0 &&
	       e->shard < b->num_shards && e->offset <= UINT64_MAX - e->size;
}

int batch_add(struct batch *w, const struct bundle_entry *e)
{
	uint64_t lo, hi, used;

	if (!batch_eligible(w->b, e))
		return 0;
	if (!w->n) {
		w->shard = e->shard;
		w->lo = e->offset;
		w->hi = e->offset + e->size;
		w->used = e->size;
		w->n = 1;
		return 1;
	}
	if (e->shard != w->shard)
		return 0;
	/* Any order within the window: entries need not be sorted by offset. */
	lo = e->offset < w->lo ? e->offset : w->lo;
	hi = e->offset + e->size > w->hi ? e->offset + e->size : w->hi;
	used = w->used + e->size;
	/* Holes cost a copy each: a window mostly holes is better read tensor by tensor. */
	if (hi - lo > BATCH_WINDOW || hi - lo > 2 * used + BATCH_SLACK)
		return 0;
	w->lo = lo;
	w->hi = hi;
	w->used = used;
	w->n++;
	return 1;
}

int batch_fill(struct batch *w, struct ck_err *err)
{
	long long got;

	w->len = 0;
	if (w->n < 2)
		return 0;
	if (!w->buf)
		w->buf = xmalloc_io(BATCH_WINDOW);
	got = bundle_shard_pread(w->b, w->shard, w->lo, w->buf, (size_t)(w->hi - w->lo), err);
	if (got < 0)
		return (int)got;
	w->len = (size_t)got;
	return 0;
}

const uint8_t *batch_payload(const struct batch *w, const struct bundle_entry *e)
{
	uint64_t at;

	if (!w->len || e->shard != w->shard || e->offset < w->lo || !batch_eligible(w->b, e))
		return NULL;
	at = e->offset - w->lo;
	if (at > w->len || e->size > w->len - at)
		return NULL;
	return w->buf + at;
}
