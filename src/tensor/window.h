/* A selection of a tensor's elements, as numpy's basic indexing writes it ("[0:2, :]",
 * "[-1]", "[..., ::2]"): per dimension a list of indices, the selection being their outer
 * product in row-major order. Each list is one or two arithmetic progressions (two once
 * summarised: the first and the last few), so a window costs the same for any size. Reading a selection reads only the byte ranges it needs,
 * merging ranges that lie close together into one read. */
#ifndef CKPT_WINDOW_H
#define CKPT_WINDOW_H

#include <stdint.h>

#include "base/err.h"
#include "format/bundle.h"
#include "tensor/assemble.h"

struct window_run {
	int64_t start, step, count;
};

struct window {
	int rank;                /* of the tensor */
	const int64_t *shape;    /* the tensor's dims (borrowed) */
	int64_t *n;              /* per dimension: number of indices selected */
	struct window_run (*runs)[2]; /* per dimension: the indices, in output order; the
				       * second progression is used only when elided */
	unsigned char *drop;     /* indexed by a single integer: not in the result's shape */
	unsigned char *elided;   /* summarised: "..." between the first and second half */
};

/* Every element. */
void window_all(struct window *w, const int64_t *dims, int rank);

/* Parse an index expression against a shape: comma-separated integers (negative counts from
 * the end), start:stop:step slices with Python's rules, and one "..." for the remaining
 * dimensions; surrounding brackets optional. CK_EUSAGE with a message on error. */
int window_parse(struct window *w, const char *expr, const int64_t *dims, int rank,
		 struct ck_err *err);

void window_release(struct window *w);

/* The k-th index selected in dimension d (0 <= k < w->n[d]). */
int64_t window_index(const struct window *w, int d, int64_t k);

/* Number of elements selected. */
uint64_t window_count(const struct window *w);

/* 1 if the selection is every element in stored order. */
int window_is_all(const struct window *w);

/* numpy's summary: keep the first and last `edge` indices of every kept dimension longer than
 * 2 * edge, marking it elided. */
void window_summarise(struct window *w, int edge);

/* The result's rank, and its dims and elided flags (arrays of w->rank entries). */
int window_shape(const struct window *w, int64_t *dims, unsigned char *elided);

/* Read the selected elements of e (as stored, not byte-swapped) into out. */
int window_read(struct bundle *b, const struct bundle_entry *e, const struct window *w,
		void *out, struct ck_err *err);

/* The selected elements of a string table. */
void window_strings(const struct window *w, const struct strtab *t, const uint8_t **p,
		    size_t *len);

#endif
