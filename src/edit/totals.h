/* The totals every command reports about a checkpoint's tensors, each defined once here so
 * that list, verify, rename, subset, merge, cast and average agree on them. */
#ifndef CKPT_TOTALS_H
#define CKPT_TOTALS_H

#include <stdint.h>

#include "base/util.h"
#include "format/bundle.h"

struct totals {
	uint64_t tensors;     /* tensors as listed: a partitioned tensor once, its slices never;
	                       * the TF2 object graph is one */
	uint64_t elements;    /* every element of every tensor, whatever its dtype */
	uint64_t params;      /* parameters: elements of floating-point, complex and quantized
	                       * tensors that are not optimizer state (not step counters, ids,
	                       * strings, bools or the object graph) */
	uint64_t opt_params;  /* the same elements of optimizer state (is_optimizer_name) */
	uint64_t opt_tensors; /* tensors of optimizer state, of any dtype */
	uint64_t bytes;       /* tensor data: the stored payload bytes of every tensor (of each
	                       * slice of a partitioned one), the object graph included */
};

/* 1 if e's elements count as parameters (or optimizer state) by its dtype. */
int totals_dtype_counts(int dtype);

/* The stored bytes of e: its payload, or a partitioned tensor's slices together. */
uint64_t totals_entry_bytes(const struct bundle_entry *e);

/* Add one listed entry (not a slice: slices count through their full entry). */
void totals_add(struct totals *t, const struct bundle_entry *e);

/* The same for a tensor known by name, dtype and size only (a graph's variable). */
void totals_add_named(struct totals *t, const char *name, int dtype, uint64_t elements,
		      uint64_t bytes);

/* Every listed entry of b. */
void totals_of_bundle(struct totals *t, const struct bundle *b);

/* "N tensors, P parameters (M more in optimizer state), SIZE of tensor data" appended to out
 * (the parenthesis only when there is optimizer state; SIZE exact in bytes when exact). */
void totals_text(struct buf *out, const struct totals *t, int exact);

#endif
