/* Converting one stored float payload to another float type (`ckpt cast`), on two cores.
 *
 * A conversion is the read (the copy out of the page cache and the CRC-32C check), the
 * conversion, the CRC of the result and its write: four passes over the bytes, of which one
 * core does about half as fast as `cp` copies them in the kernel. Split in two halves
 * (tensor/split.h), each half reads, converts, sums and writes its own chunks at their own
 * offsets (bundle_writer_write_at), in memory bounded by two chunks a half; the two CRCs are
 * combined. Small payloads, V1 inputs and the like go in order on the caller's thread. */
#ifndef CKPT_EDIT_CAST_H
#define CKPT_EDIT_CAST_H

#include <stdint.h>

#include "base/err.h"
#include "format/bundle.h"
#include "tensor/castconv.h"

struct bundle_writer;

/* Convert e's payload (a float dtype, cast_is_float) from b, CRC-checked, into float dtype to,
 * and append it to shard 0 of w as an entry like e (name, shape) with dtype to and the CRC of
 * the new bytes; the byte order stays b's. Rounding is counted into st (may be NULL), bytes
 * written added to *bytes (may be NULL). 0, or the error (the writer is then to be aborted).
 * One caller at a time. */
int cast_payload(struct bundle_writer *w, struct bundle *b, const struct bundle_entry *e, int to,
		 struct cast_stats *st, uint64_t *bytes, struct ck_err *err);

#endif
