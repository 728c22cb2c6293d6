/* Shared pieces of the transforming commands (see xform.h). */
#include "edit/xform.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

int xform_read_exact(struct tensor_stream *s, void *p, size_t n, struct ck_err *err)
{
	uint8_t *q = p;

	while (n) {
		long long got = tensor_stream_read(s, q, n, err);
		if (got < 0)
			return (int)got;
		if (!got)
			return ck_error(err, CK_ECORRUPT, "%s: tensor payload ends early", s->b->index_path);
		q += got;
		n -= (size_t)got;
	}
	return 0;
}

int xform_stream(struct bundle *b, const struct bundle_entry *e, void *chunk, size_t chunk_size,
		 int (*fn)(void *ctx, const void *p, size_t n, struct ck_err *err), void *ctx,
		 struct ck_err *err)
{
	struct tensor_stream s;
	long long got;
	int rc;

	rc = tensor_stream_open(&s, b, e, err);
	if (rc < 0)
		return rc;
	if (!e->size)  /* nothing to read: the stream still checks the CRC of no bytes */
		return (int)tensor_stream_read(&s, chunk, 0, err);
	while ((got = tensor_stream_read(&s, chunk, chunk_size, err)) > 0) {
		rc = fn(ctx, chunk, (size_t)got, err);
		if (rc < 0)
			return rc;
	}
	return (int)got;
}

struct copy_ctx {
	struct bundle_writer *w;
	int shard;
};

static int copy_piece(void *ctx, const void *p, size_t n, struct ck_err *err)
{
	struct copy_ctx *c = ctx;

	if (bundle_writer_write(c->w, c->shard, p, n))
		return bundle_writer_status(c->w, err);
	return 0;
}

int xform_copy(struct bundle_writer *w, int shard, struct bundle *b, const struct bundle_entry *e,
	       const void *name, size_t name_len, struct ck_err *err)
{
	struct bundle_entry out = *e;
	struct copy_ctx c = { w, shard };
	enum { CHUNK = 1 << 20 };
	void *chunk;
	int rc;

	out.name = (char *)name;
	out.name_len = name_len;
	if (e->nslices) {
		out.shard = 0;
		out.offset = out.size = 0;
		out.crc32c = 0;
		if (bundle_writer_add_entry(w, &out))
			return bundle_writer_status(w, err);
		return 0;
	}
	if (bundle_writer_begin(w, shard, &out.offset))
		return bundle_writer_status(w, err);
	out.shard = shard;
	chunk = xmalloc(CHUNK);
	rc = xform_stream(b, e, chunk, CHUNK, copy_piece, &c, err);
	free(chunk);
	if (rc < 0)
		return rc;
	if (bundle_writer_add_entry(w, &out))
		return bundle_writer_status(w, err);
	return 0;
}
