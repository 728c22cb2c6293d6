/* What the commands that compute new tensors share (average, cast, export, import): copying
 * one payload unchanged into a bundle writer, reading a stream exactly. Name filters are in
 * namefilter.h. */
#ifndef CKPT_XFORM_H
#define CKPT_XFORM_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "edit/namefilter.h"

/* Append e's payload, read from b (CRC-checked as it streams), to shard of w as an entry named
 * name with e's dtype, shape and CRC. A partitioned e (nslices) gets only its entry; its slices
 * are entries of their own. Errors name the input. */
int xform_copy(struct bundle_writer *w, int shard, struct bundle *b, const struct bundle_entry *e,
	       const void *name, size_t name_len, struct ck_err *err);

/* Exactly n bytes from a tensor stream (CK_ECORRUPT if the payload ends first). */
int xform_read_exact(struct tensor_stream *s, void *p, size_t n, struct ck_err *err);

/* Stream e's payload (CRC-checked) to fn in pieces of at most chunk bytes. */
int xform_stream(struct bundle *b, const struct bundle_entry *e, void *chunk, size_t chunk_size,
		 int (*fn)(void *ctx, const void *p, size_t n, struct ck_err *err), void *ctx,
		 struct ck_err *err);

#endif
