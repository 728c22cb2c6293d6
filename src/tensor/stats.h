/* Summary statistics of tensor elements in one streaming pass: counts of zeros, NaN and
 * infinities, and min, max, mean, standard deviation and L2 norm of the finite values.
 *
 * Values are taken in double precision. Each block of up to STATS_BLOCK elements is reduced
 * on its own while it sits in L1, by vectorised loops (shifted sums for float32, two passes
 * for the others), and blocks are combined with Chan et al.'s pairwise update, so the mean and
 * variance stay accurate over billions of elements. The L2 norm is kept as
 * scale * sqrt(ssq), as LAPACK's dnrm2, so it cannot overflow. Integer tensors also keep
 * their exact minimum and maximum. Complex tensors are summarised by their modulus |z|. */
#ifndef CKPT_STATS_H
#define CKPT_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "format/bundle.h"

#define STATS_BLOCK 4096

enum stats_kind { STATS_NONE, STATS_FLOAT, STATS_INT, STATS_UINT };

struct stats {
	enum stats_kind kind;   /* STATS_NONE: strings, resources, variants (count only) */
	uint64_t count;         /* elements seen */
	uint64_t finite, zeros, nan, posinf, neginf;
	double min, max;        /* of the finite values; meaningless while finite == 0 */
	double mean, m2;        /* mean of the finite values and sum of squared deviations */
	double l2_scale, l2_ssq;
	int64_t imin, imax;     /* exact, for STATS_INT */
	uint64_t umin, umax;    /* exact, for STATS_UINT */
};

void stats_init(struct stats *s, int dtype);

/* Add n elements stored at p as dtype, little-endian (swap: big-endian, as a bundle written
 * on a big-endian machine). Returns 0, or -1 if dtype has no numeric value. */
int stats_add(struct stats *s, int dtype, const void *p, size_t n, int swap);

/* Fold b into a, as if a's elements had been followed by b's. */
void stats_merge(struct stats *a, const struct stats *b);

/* The block loops in use: "avx2" (chosen at run time where the CPU has it) or "portable".
 * portable = 1 forces the portable loops (for tests: both must give the same bits), 0 goes
 * back to the choice by CPU. */
const char *stats_impl(int portable);

double stats_std(const struct stats *s);   /* population (ddof = 0), as numpy's std */
double stats_l2(const struct stats *s);

/* Statistics of a whole tensor, regular or partitioned, read in chunks (in two halves on two
 * cores when large: split.h) and checked against the stored CRC-32C as it goes. Strings and
 * opaque types: count only. */
int stats_tensor(struct bundle *b, const struct bundle_entry *e, struct stats *s,
		 struct ck_err *err);

/* The same for a payload already read (a window of small payloads, batch.h): p holds e's
 * e->size stored bytes, checked here against the CRC; the result is stats_tensor's, bit for
 * bit (one chunk, as split_read hands a payload of up to SPLIT_CHUNK bytes). Entries with no
 * bytes of their own, or no numbers, go to stats_tensor. */
int stats_tensor_bytes(struct bundle *b, const struct bundle_entry *e, const uint8_t *p,
		       struct stats *s, struct ck_err *err);

#endif
