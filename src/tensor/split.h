/* One stored payload read on two cores: its first half on the caller's thread while a helper
 * (par.h) reads the second, chunk by chunk, each half summing its own CRC-32C; the two are
 * combined (crc32c_combine) and checked against the stored CRC once both halves are done.
 *
 * Reading is the copy out of the page cache plus the CRC: cat's work and then some, which one
 * core cannot keep up with; two can. Payloads under SPLIT_MIN, V1 bundles, strings and
 * variants are read in order on the caller's thread, as tensor_stream_read does. */
#ifndef CKPT_SPLIT_H
#define CKPT_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "format/bundle.h"

/* Bytes per chunk: a multiple of every element size and of 64 KiB (stats blocks), small
 * enough that a chunk stays in a core's L2 while the CRC and the caller go over it. */
#define SPLIT_CHUNK (1u << 18)
#define SPLIT_MIN (4 * (uint64_t)SPLIT_CHUNK)

/* Called for every chunk of a half, in order: p holds n bytes (stored byte order) at byte
 * offset off of the payload. ctx is the half's. Nonzero stops the read and is returned. */
typedef int (*split_fn)(void *ctx, const uint8_t *p, size_t n, uint64_t off);

/* Read e whole, CRC-checked. Half k calls fn(ctx[k], ...); a payload read in order calls
 * fn(ctx[0], ...) only. fn may be NULL (a CRC check). Returns 0, a read error (for the
 * first half first), fn's nonzero result, or the CRC mismatch. *halves: 2 when read in two
 * halves (the caller merges what ctx[1] gathered after ctx[0]'s), 1 otherwise. */
int split_read(struct bundle *b, const struct bundle_entry *e, split_fn fn, void *ctx[2],
	       int *halves, struct ck_err *err);

/* Read e whole into dst (e->size bytes), CRC-checked, as split_read does but each chunk read
 * straight into its place: a payload wanted whole in memory (a transpose) is copied once. */
int split_read_into(struct bundle *b, const struct bundle_entry *e, uint8_t *dst,
		    struct ck_err *err);

/* tensor_stream_read of n bytes (or what is left) on two cores: the first half read and
 * summed here while the helper does the second, the CRCs combined into s's (checked at the
 * end, as there). For a reader that takes a payload in large pieces, in order; a piece under
 * SPLIT_MIN, a V1 bundle or a string payload is read by tensor_stream_read alone. Not from
 * a par job (par.h). */
long long split_stream_read(struct tensor_stream *s, void *p, size_t n, struct ck_err *err);

#endif
