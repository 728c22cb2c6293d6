/* Sequential, CRC-verified reading of one tensor payload with the reads done ahead by a helper
 * thread, so that copying bytes out of the page cache overlaps the caller's work on them.
 *
 * A payload of more than one chunk is read by a thread into a ring of PREFETCH_SLOTS
 * page-aligned buffers of `chunk` bytes while the caller works on the previous chunk. The
 * running CRC-32C must be taken in order; whichever thread is free takes the next chunk's:
 * the reader when the ring is full, the caller otherwise, so the work is shared out on two
 * cores without a fixed split. Smaller payloads, V1 bundles and strings are read on the
 * caller's thread, exactly as tensor_stream_read does (no thread is started).
 *
 *   struct prefetch *pf = prefetch_new(0);
 *   rc = prefetch_open(pf, b, e, err);
 *   while (!rc && (n = prefetch_next(pf, &p, err)) > 0)
 *           use(p, n);                     (p valid until the next call)
 *   prefetch_close(pf);                    (always; stops and joins the thread)
 *   prefetch_free(pf);
 *
 * While a payload is open, the bundle must not be used by the caller (the reader thread reads
 * through it); prefetch_close gives it back. */
#ifndef CKPT_PREFETCH_H
#define CKPT_PREFETCH_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "err.h"

#define PREFETCH_CHUNK (1u << 20)  /* fits a core's L2 while the CRC and the caller read it */
#define PREFETCH_SLOTS 3

struct prefetch;

/* chunk: bytes per read, rounded up to a multiple of 16 (so that it holds whole elements of
 * any dtype); 0 for PREFETCH_CHUNK. Buffers are allocated on first use and kept until
 * prefetch_free. */
struct prefetch *prefetch_new(size_t chunk);
void prefetch_free(struct prefetch *pf);   /* closes first; accepts NULL */
size_t prefetch_chunk(const struct prefetch *pf);

/* Start reading e (a stored payload: not a partitioned tensor's full entry). Errors are
 * those of tensor_stream_open. A failed open leaves nothing to close (closing is harmless). */
int prefetch_open(struct prefetch *pf, struct bundle *b, const struct bundle_entry *e,
		  struct ck_err *err);

/* The next chunk of the payload, in order: *p points into pf's buffers, valid until the next
 * call or prefetch_close. Returns its length, 0 at the end once the whole payload matched its
 * stored CRC (for an empty payload too), < 0 on a read error, a shrunken file or a CRC
 * mismatch (the error of tensor_stream_read). After 0 or an error, it returns the same. */
long long prefetch_next(struct prefetch *pf, const uint8_t **p, struct ck_err *err);

/* Stop reading (the thread, if any, is told to stop and joined). pf can be opened again. */
void prefetch_close(struct prefetch *pf);

/* 1 if the payload now open is being read by a helper thread (for tests). */
int prefetch_threaded(const struct prefetch *pf);

#endif
