/* Small stored payloads read together. Commands that walk many tensors in file order (verify,
 * diff) spend more on one pread per tensor than on the bytes when payloads are 1-4 KiB, so
 * the payloads of consecutive small tensors of one data shard, taken in the caller's order,
 * are fetched with one read of a window of up to BATCH_WINDOW bytes and then found in memory.
 *
 * Planning: batch_start, then batch_add for each next entry until it refuses one (another
 * shard, a large or string payload, or bytes too far from the others: the window would be
 * mostly holes). Then batch_fill reads the window and batch_payload finds each entry's bytes
 * in it. An entry whose bytes the window does not hold (the read failed or came back short:
 * a missing or truncated shard) gets NULL: the caller reads it the per-tensor way
 * (bundle.h, split.h), which reports what is wrong exactly as it always did.
 *
 *   shard file  ...|  e1  |e2|   e3   |gap|  e4  |......|  big  |...
 *                  ^ lo                          ^ hi   (big: on its own)
 *                  buf[0 .. hi - lo), one read */
#ifndef CKPT_BATCH_H
#define CKPT_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "format/bundle.h"

#define BATCH_WINDOW (1u << 18)   /* bytes read at once: the CRC finds them still in L2 */
#define BATCH_SMALL (1u << 16)    /* payloads up to this size are batched */
#define BATCH_SLACK (1u << 16)    /* hole bytes a window may hold beyond its payload bytes */

struct batch {
	struct bundle *b;
	uint8_t *buf;         /* BATCH_WINDOW bytes, page-aligned, allocated once */
	int shard;            /* of the planned entries; -1 when none */
	uint64_t lo, hi;      /* the planned byte range of the shard */
	uint64_t used;        /* payload bytes planned in it */
	size_t n;             /* entries planned */
	size_t len;           /* bytes read into buf, from lo */
};

/* An empty batch; batch_release frees its buffer. */
void batch_init(struct batch *w);
void batch_release(struct batch *w);

/* Plan a new window over b's data (what was read before is dropped). */
void batch_start(struct batch *w, struct bundle *b);

/* Add e to the planned window: 1 if it fits, 0 if not (the window is then complete, and e
 * is for the next one or for the per-tensor path). Only V2 payloads of 1 to BATCH_SMALL bytes
 * whose check is a plain CRC (not strings, not variants) are batched. */
int batch_add(struct batch *w, const struct bundle_entry *e);

/* 1 if e is of a kind batch_add takes (whether it fits the window aside). */
int batch_eligible(const struct bundle *b, const struct bundle_entry *e);

/* Read the planned window (nothing when it plans fewer than two entries: one pread is as
 * fast then). A read error is returned, and batch_payload then gives NULL. */
int batch_fill(struct batch *w, struct ck_err *err);

/* e's payload bytes in the window that was read, or NULL when it does not hold them all or
 * e is not of a kind batch_add takes. */
const uint8_t *batch_payload(const struct batch *w, const struct bundle_entry *e);

#endif
