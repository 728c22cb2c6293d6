/* A stored payload read in two halves on two cores (split.h). */
#include "tensor/split.h"

#include "base/crc32c.h"
#include "base/par.h"
#include "base/util.h"

/* Page-aligned (the kernel copies into them faster), one per half, kept for the run. */
static uint8_t *bufs[2];

static uint8_t *half_buf(int k)
{
	if (!bufs[k])
		bufs[k] = xmalloc_io(SPLIT_CHUNK);
	return bufs[k];
}

struct half {
	struct bundle *b;
	const struct bundle_entry *e;
	uint64_t lo, hi;
	uint8_t *buf;
	uint8_t *dst;         /* or each chunk read into dst + its offset */
	uint32_t crc;
	split_fn fn;
	void *ctx;
	int rc, read_failed;  /* rc: a read error (read_failed, with err) or what fn returned */
	struct ck_err err;
};

static void half_run(void *arg)
{
	struct half *h = arg;

	for (uint64_t pos = h->lo; pos < h->hi && !h->rc; pos += SPLIT_CHUNK) {
		size_t n = h->hi - pos < SPLIT_CHUNK ? (size_t)(h->hi - pos) : SPLIT_CHUNK;
		uint8_t *p = h->dst ? h->dst + pos : h->buf;
		h->rc = bundle_pread(h->b, h->e, pos, p, n, &h->err);
		if (h->rc) {
			h->read_failed = 1;
			break;
		}
		h->crc = crc32c_extend(h->crc, p, n);
		if (h->fn)
			h->rc = h->fn(h->ctx, p, n, pos);
	}
}

/* In order on this thread: tensor_stream_read checks the CRC (or the strings) itself. */
static int read_in_order(struct tensor_stream *ts, uint8_t *dst, split_fn fn, void *ctx,
			 struct ck_err *err)
{
	for (uint64_t pos = 0;;) {
		uint8_t *p = dst ? dst + pos : half_buf(0);
		long long n = tensor_stream_read(ts, p, SPLIT_CHUNK, err);
		int rc = n > 0 && fn ? fn(ctx, p, (size_t)n, pos) : 0;
		if (n <= 0)
			return (int)n;
		if (rc)
			return rc;
		pos += (uint64_t)n;
	}
}

static int read_split(struct bundle *b, const struct bundle_entry *e, uint8_t *dst, split_fn fn,
		      void *ctx[2], int *halves, struct ck_err *err)
{
	struct tensor_stream ts;
	struct half h[2];
	uint64_t mid;
	int rc;

	*halves = 1;
	rc = tensor_stream_open(&ts, b, e, err);  /* opens the shard: the halves may pread at once */
	if (rc < 0)
		return rc;
	if (b->format != 2 || !ts.check || e->size < SPLIT_MIN)
		return read_in_order(&ts, dst, fn, ctx[0], err);
	*halves = 2;
	mid = e->size / 2 / SPLIT_CHUNK * SPLIT_CHUNK;
	for (int k = 0; k < 2; k++) {
		h[k] = (struct half){ .b = b, .e = e, .lo = k ? mid : 0, .hi = k ? e->size : mid,
				      .buf = dst ? NULL : half_buf(k), .dst = dst, .fn = fn,
				      .ctx = ctx[k] };
	}
	par_both(half_run, &h[0], &h[1]);
	for (int k = 0; k < 2; k++) {
		if (h[k].rc) {
			if (h[k].read_failed && err)
				*err = h[k].err;
			return h[k].rc;
		}
	}
	return bundle_check_crc(b, e, crc32c_combine(h[0].crc, h[1].crc, e->size - mid), err);
}

int split_read(struct bundle *b, const struct bundle_entry *e, split_fn fn, void *ctx[2],
	       int *halves, struct ck_err *err)
{
	return read_split(b, e, NULL, fn, ctx, halves, err);
}


int split_read_into(struct bundle *b, const struct bundle_entry *e, uint8_t *dst,
		    struct ck_err *err)
{
	void *ctx[2] = { NULL, NULL };
	int halves;

	return read_split(b, e, dst, NULL, ctx, &halves, err);
}

struct piece {
	struct tensor_stream *s;
	uint64_t off;
	uint8_t *p;
	size_t n;
	uint32_t crc;
	int rc;
	struct ck_err err;
};

static void piece_run(void *arg)
{
	struct piece *k = arg;

	k->rc = bundle_pread(k->s->b, k->s->e, k->off, k->p, k->n, &k->err);
	if (k->rc == 0)
		k->crc = crc32c_extend(0, k->p, k->n);
}

long long split_stream_read(struct tensor_stream *s, void *p, size_t n, struct ck_err *err)
{
	uint64_t left = s->e->size - s->pos;
	struct piece k[2];
	size_t half;

	if (n > left)
		n = (size_t)left;
	if (n < SPLIT_MIN || s->b->format != 2 || !s->check)
		return tensor_stream_read(s, p, n, err);
	half = n / 2 / 4096 * 4096;
	k[0] = (struct piece){ .s = s, .off = s->pos, .p = p, .n = half };
	k[1] = (struct piece){ .s = s, .off = s->pos + half, .p = (uint8_t *)p + half, .n = n - half };
	par_both(piece_run, &k[0], &k[1]);
	for (int j = 0; j < 2; j++) {
		if (k[j].rc) {
			if (err)
				*err = k[j].err;
			return k[j].rc;
		}
	}
	s->crc = crc32c_combine(crc32c_combine(s->crc, k[0].crc, half), k[1].crc, n - half);
	s->pos += n;
	if (s->pos == s->e->size) {
		int rc = bundle_check_crc(s->b, s->e, s->crc, err);
		s->check = 0;  /* reported once, as tensor_stream_read does */
		if (rc < 0)
			return rc;
	}
	return (long long)n;
}
