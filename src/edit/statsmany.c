/* Statistics of many small tensors on two cores (statsmany.h). */
#include "edit/statsmany.h"

#include <string.h>

#include "base/par.h"
#include "base/util.h"
#include "store/file.h"
#include "tensor/batch.h"

/* Entries a chunk: hundreds, so that the two runs stay busy to the end (on a loaded machine
 * either may be set aside a while), each a few windows of payloads. */
#define CHUNK 512

/* A run: its own window, and a buffer for a payload no window holds. */
struct run {
	struct bundle *b;
	const struct bundle_entry **sel;
	size_t n;
	statsmany_row_fn row;
	void *sink;
	unsigned char id, *from;
	struct batch w;
	struct buf one;
};

/* e's payload read on its own, when no window holds it (a window of one entry is not read:
 * batch_fill); NULL when it cannot be read whole. */
static const uint8_t *payload_alone(struct run *r, const struct bundle_entry *e)
{
	struct ck_err ignored;  /* the caller's one-by-one path reads it again and says why */

	buf_reset(&r->one);
	buf_grow(&r->one, (size_t)e->size);
	if (bundle_shard_pread(r->b, e->shard, e->offset, r->one.p, (size_t)e->size,
			       &ignored) != (long long)e->size)
		return NULL;
	return r->one.p;
}

/* par_chunks' job: the entries of chunk c, until one cannot be done (nonzero then). */
static int run_chunk(void *arg, uint64_t c)
{
	struct run *r = arg;
	size_t lo = (size_t)c * CHUNK, hi = r->n - lo > CHUNK ? lo + CHUNK : r->n;

	for (size_t i = lo, j = lo; i < hi; i++) {
		const struct bundle_entry *e = r->sel[i];
		const uint8_t *p;
		struct ck_err err;
		struct stats st;
		if (i == j) {  /* the next window: the entries from i that fit */
			batch_start(&r->w, r->b);
			while (j < hi && batch_add(&r->w, r->sel[j]))
				j++;
			j += j == i;
			batch_fill(&r->w, NULL);  /* on failure, the one-by-one path says why */
		}
		p = batch_payload(&r->w, e);
		if (!p)
			p = payload_alone(r, e);
		if (!p || stats_tensor_bytes(r->b, e, p, &st, &err) < 0)
			return 1;
		r->row(r->sink, e, &st);
		r->from[i] = r->id;
	}
	return 0;
}

int statsmany_eligible(struct bundle *b, const struct bundle_entry **sel, size_t n)
{
	struct ck_err ignored;  /* a shard that cannot be opened: the one-by-one path says why */
	struct stats st;

	if (n < STATSMANY_MIN || ck_store_is_remote(b->prefix))
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!i || sel[i]->dtype != sel[i - 1]->dtype)  /* one dtype after another, mostly */
			stats_init(&st, sel[i]->dtype);
		if (!batch_eligible(b, sel[i]) || st.kind == STATS_NONE ||
		    ((!i || sel[i]->shard != sel[i - 1]->shard) &&
		     bundle_shard_pread(b, sel[i]->shard, 0, NULL, 0, &ignored) < 0))
			return 0;
	}
	return 1;
}

size_t statsmany_run(struct bundle *b, const struct bundle_entry **sel, size_t n,
		     statsmany_row_fn row, void *sink[2], unsigned char *from)
{
	struct run r[2];
	size_t left = 0;

	(void)stats_impl(0);  /* the block loops chosen here, not by both runs at once */
	memset(from, STATSMANY_NONE, n);
	for (int k = 0; k < 2; k++) {
		r[k] = (struct run){ .b = b, .sel = sel, .n = n, .row = row, .sink = sink[k],
				     .id = (unsigned char)k, .from = from };
		batch_init(&r[k].w);
	}
	par_chunks((n + CHUNK - 1) / CHUNK, 1, run_chunk, &r[0], &r[1], NULL);
	for (int k = 0; k < 2; k++) {
		batch_release(&r[k].w);
		buf_release(&r[k].one);
	}
	for (size_t i = 0; i < n; i++)
		left += from[i] == STATSMANY_NONE;
	return left;
}
