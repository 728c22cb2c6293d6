/* Reading tensor elements by position, for regular and partitioned tensors alike.
 *
 * A partitioned tensor (doc/FORMAT.md §7.3) has a full entry listing its slices and one stored
 * entry per slice under an OrderedCode key (slicekey.h). Reading element i of the full tensor
 * means finding the slice that holds its coordinates and the offset inside that slice's
 * row-major payload; runs that stay inside one slice are read with a single pread. */
#ifndef CKPT_ASSEMBLE_H
#define CKPT_ASSEMBLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "format/bundle.h"

/* Slice s of partitioned e: its extents (rank (start, length) pairs with lengths resolved,
 * never -1) into ext, and its stored entry (NULL if the index lacks it). */
const struct bundle_entry *slice_entry(const struct bundle *b, const struct bundle_entry *e,
				       size_t s, int64_t *ext);

/* Structure of a partitioned tensor: every slice stored, with e's dtype and a shape equal to
 * its extents, no two slices overlapping, and together covering every element exactly once.
 * CK_ECORRUPT naming the first problem. 0 for a regular tensor. */
int partition_check(const struct bundle *b, const struct bundle_entry *e, struct ck_err *err);

/* Check every CRC behind e (its payload, or each slice's). */
int tensor_verify(struct bundle *b, const struct bundle_entry *e, struct ck_err *err);

/* Elements [first, first + n) of e in row-major order, as stored (not byte-swapped), into out
 * (n * element size bytes). Numeric dtypes only; no CRC check (see tensor_verify). */
int tensor_read_range(struct bundle *b, const struct bundle_entry *e, uint64_t first,
		      uint64_t n, void *out, struct ck_err *err);

/* Byte-swap n elements of dtype in place (complex: each part on its own). */
void swap_elements(int dtype, void *p, uint64_t n);

/* The elements of a DT_STRING tensor (regular or partitioned), CRC-checked, in row-major
 * order. p[i] points into memory the table owns. */
struct strtab {
	uint64_t n;
	const uint8_t **p;
	size_t *len;
	struct buf *bufs;   /* payloads the pointers refer to */
	size_t nbufs;
};
int tensor_strings(struct bundle *b, const struct bundle_entry *e, struct strtab *t,
		   struct ck_err *err);
void strtab_release(struct strtab *t);

#endif
