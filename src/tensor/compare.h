/* Comparing the values of two tensors of one dtype and shape, streaming, in bounded memory.
 *
 * Both payloads are read once, chunk by chunk; a chunk whose bytes are equal costs a memcmp
 * and nothing else. Only differing chunks are decoded, by one loop per dtype. Elements are
 * close when |a - b| <= atol + rtol * |b| (numpy's allclose, b being the second tensor);
 * infinities must match exactly, NaN equals NaN only with equal_nan; integers, bools and
 * strings compare exactly whatever the tolerances. */
#ifndef CKPT_COMPARE_H
#define CKPT_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "format/bundle.h"

struct compare_opts {
	double atol, rtol;
	int equal_nan;
	int trust_crc;   /* equal size and CRC-32C count as equal bytes: data not read */
};

struct compare_result {
	int equal;          /* no element outside tolerance */
	int bytewise;       /* the payloads are equal byte for byte */
	int by_crc;         /* judged equal from size and CRC-32C alone (trust_crc) */
	int numeric;        /* the |Δ| statistics apply (numbers and bools) */
	int bytes_only;     /* variant/resource payloads: only "same bytes or not" is known */
	int assembled;      /* partitioned differently: both sides were assembled in memory */
	uint64_t elements;
	uint64_t differ;    /* elements outside tolerance */
	uint64_t first;     /* flat index of the first of them (when differ > 0) */
	uint64_t nonfinite; /* pairs with a NaN or Inf on either side: left out of the statistics
			     * below (counted only when the payloads differ somewhere) */
	double max_abs;     /* max |Δ| of finite pairs (0 when none differs numerically) */
	uint64_t max_index; /* where it occurs (flat, row-major), with both values */
	double max_a, max_b;
	double sum_abs, sum_sq;  /* Σ|Δ|, ΣΔ² over the finite pairs */
	double sum_sq_a;         /* Σa² over the finite pairs */
	uint64_t nan_new, nan_gone, inf_new, inf_gone;  /* NaN/Inf in b and not a, or the reverse */
};

/* The statistics (max |Δ|, mean |Δ|, RMS of Δ, ‖Δ‖₂/‖A‖₂) cover the pairs where both values
 * are finite: a NaN or Inf on either side is counted in nan_* / inf_* instead. They exist for
 * numbers compared by value: 0 for payloads equal byte for byte (Δ = 0 everywhere, NaN
 * included), else over the finite pairs, and not at all when there is none (a tensor whose
 * every value went from NaN to finite): compare_has_stats is 0 and the functions return NaN. */
int compare_has_stats(const struct compare_result *r);
double compare_max_abs(const struct compare_result *r);
/* Mean |Δ|, RMS of Δ, and ‖Δ‖₂/‖A‖₂ (infinite when A is all zero and Δ is not). */
double compare_mean_abs(const struct compare_result *r);
double compare_rms(const struct compare_result *r);
double compare_rel(const struct compare_result *r);

/* Compare ea's values in ba with eb's in bb. Dtypes and shapes must be equal (CK_EUSAGE if
 * not: the caller reports such pairs as not comparable). Partitioned tensors are compared
 * slice by slice when both are partitioned alike, else assembled in memory. Read errors (a
 * missing shard, a CRC mismatch) are returned; r is then incomplete. */
int compare_tensors(struct bundle *ba, const struct bundle_entry *ea, struct bundle *bb,
		    const struct bundle_entry *eb, const struct compare_opts *o,
		    struct compare_result *r, struct ck_err *err);

/* compare_tensors of two regular stored tensors (not strings, not partitioned) whose payloads
 * the caller has read itself (pa: ea->size bytes as stored, pb: eb->size; small tensors read
 * a window at a time, batch.h): the same checks, in the same order (sizes, A's CRC, B's CRC),
 * the same results. CK_EUSAGE for any other pair. */
int compare_payloads(struct bundle *ba, const struct bundle_entry *ea, const uint8_t *pa,
		     struct bundle *bb, const struct bundle_entry *eb, const uint8_t *pb,
		     const struct compare_opts *o, struct compare_result *r, struct ck_err *err);

/* The same comparison over two payloads in memory (host byte order; for DT_STRING the
 * stored encoding), for tests and for callers that already hold the bytes. */
int compare_buffers(int dtype, uint64_t elements, const void *a, size_t na, const void *b,
		    size_t nb, const struct compare_opts *o, struct compare_result *r,
		    struct ck_err *err);

/* Flat row-major index to one index per dimension. */
void compare_unravel(uint64_t flat, const int64_t *dims, int rank, int64_t *idx);

#endif
