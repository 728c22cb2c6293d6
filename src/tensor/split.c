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
		h->rc = bundle_pread(h->b, h->e, pos, h->buf, n, &h->err);
		if (h->rc) {
			h->read_failed = 1;
			break;
		}
		h->crc = crc32c_extend(h->crc, h->buf, n);
		if (h->fn)
			h->rc = h->fn(h->ctx, h->buf, n, pos);
	}
}

/* In order on this thread: tensor_stream_read checks the CRC (or the strings) itself. */
static int read_in_order(struct tensor_stream *ts, split_fn fn, void *ctx, struct ck_err *err)
{
	uint8_t *buf = half_buf(0);
	uint64_t pos = 0;
	long long n;

	while ((n = tensor_stream_read(ts, buf, SPLIT_CHUNK, err)) > 0) {
		int rc = fn ? fn(ctx, buf, (size_t)n, pos) : 0;
		if (rc)
			return rc;
		pos += (uint64_t)n;
	}
	return (int)n;
}

int split_read(struct bundle *b, const struct bundle_entry *e, split_fn fn, void *ctx[2],
	       int *halves, struct ck_err *err)
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
		return read_in_order(&ts, fn, ctx[0], err);
	*halves = 2;
	mid = e->size / 2 / SPLIT_CHUNK * SPLIT_CHUNK;
	for (int k = 0; k < 2; k++) {
		h[k] = (struct half){ .b = b, .e = e, .lo = k ? mid : 0, .hi = k ? e->size : mid,
				      .buf = half_buf(k), .fn = fn, .ctx = ctx[k] };
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
