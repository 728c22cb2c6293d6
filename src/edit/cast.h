/* Converting stored float payloads to another float type (`ckpt cast`), on two cores.
 *
 * A conversion is the read (the copy out of the page cache and the CRC-32C check), the
 * conversion, the CRC of the result and its write: four passes over the bytes, which one core
 * does about half as fast as `cp` copies them in the kernel. So the payloads of a batch are
 * cut into chunks (CAST_CHUNK) that two threads take in turn, each chunk read, converted,
 * summed and written at its own offset (bundle_writer_write_at); the chunks' CRCs are joined
 * (crc32c_combine) and checked once both threads are done. Taking chunks, not halves, keeps
 * both threads busy to the end of the batch on a loaded machine, where either may be set
 * aside for a while; one batch for many tensors saves the meeting after each. Memory: two
 * chunks a thread, and 8 bytes a chunk of CRCs. V1 inputs are converted on the caller's
 * thread, one payload at a time. */
#ifndef CKPT_EDIT_CAST_H
#define CKPT_EDIT_CAST_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "format/bundle.h"
#include "tensor/castconv.h"

struct bundle_writer;

/* Bytes read per chunk: 1 MiB took about a tenth less CPU time than 256 KiB (fewer calls
 * into the kernel) and 4 MiB more (the chunk no longer stays in a core's L2 between passes). */
#define CAST_CHUNK ((size_t)1 << 20)

/* One payload to convert (in) and what its conversion did (out). */
struct cast_item {
	const struct bundle_entry *e;  /* a float payload of the input (cast_is_float) */
	struct cast_stats st;          /* its rounding, counted from zero */
};

/* Convert the payloads of items (read from b, CRC-checked) into float dtype to and append
 * them, in order, to shard 0 of w, each as an entry like its e (name, shape) with dtype to
 * and the CRC of the new bytes; the byte order stays b's. Bytes written are added to *bytes
 * (may be NULL). 0, or the error (the first payload's in order; the writer is then to be
 * aborted). One caller at a time. */
int cast_payloads(struct bundle_writer *w, struct bundle *b, struct cast_item *items, size_t n,
		  int to, uint64_t *bytes, struct ck_err *err);

/* The same for one payload, its rounding counted into st (may be NULL). */
int cast_payload(struct bundle_writer *w, struct bundle *b, const struct bundle_entry *e, int to,
		 struct cast_stats *st, uint64_t *bytes, struct ck_err *err);

#endif
