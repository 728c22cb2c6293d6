/* Statistics of many small tensors on two cores (`ckpt show --stats --match .` over 10^5
 * tensors of 1-4 KiB, where reading, checking, summarising and formatting each cost alike):
 * two runs take chunks of entries in turn (par_chunks), read their payloads a window at a
 * time (batch.h) and hand each tensor's statistics to a sink of their own (a table each, on
 * its own thread). What a run cannot do on its own (a payload not read whole, a checksum
 * that does not match) is left for the caller's one-by-one path, which says why. */
#ifndef CKPT_STATSMANY_H
#define CKPT_STATSMANY_H

#include <stddef.h>

#include "format/bundle.h"
#include "tensor/stats.h"

#define STATSMANY_MIN 256    /* entries: below this, one run does as well */
#define STATSMANY_NONE 255   /* from[i] of an entry neither run did */

/* One tensor's statistics for sink; e is sel[i]. */
typedef void (*statsmany_row_fn)(void *sink, const struct bundle_entry *e, const struct stats *st);

/* 1 if statsmany_run can take sel[0..n): at least STATSMANY_MIN entries, each a small payload
 * (batch_eligible) with numbers in it, of a local bundle whose data shards open (opened here,
 * so that the runs share nothing else). */
int statsmany_eligible(struct bundle *b, const struct bundle_entry **sel, size_t n);

/* The statistics of sel[0..n) (statsmany_eligible) by two runs side by side: for each entry
 * run k (0, 1) did, row(sink[k], e, st), each run's in rising entry order, and from[i] = k
 * (from: n bytes). The others keep from[i] = STATSMANY_NONE. Returns the number of those:
 * 0 when every entry was done. */
size_t statsmany_run(struct bundle *b, const struct bundle_entry **sel, size_t n,
		     statsmany_row_fn row, void *sink[2], unsigned char *from);

#endif
