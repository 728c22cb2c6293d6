/* A training run at a glance (`ckpt trend`): per tensor and checkpoint the L2 norm and the
 * NaN/Inf counts, between consecutive checkpoints the relative change ‖b − a‖₂/‖a‖₂ exactly as
 * `ckpt diff` computes it (compare.h: over the pairs where both values are finite), and the
 * values of integer scalars (global_step, save_counter).
 *
 * Streaming: checkpoints are opened oldest first, two at a time (the current one and the one
 * before). A float tensor of checkpoint k that checkpoint k - 1 has alike is read side by side
 * with it, once, its statistics computed while the two are compared (compare_buffers, chunk by
 * chunk, in two halves on two cores); so every payload is read at most twice, as the newer and
 * then as the older side of a pair, the second time from the page cache. Partitioned or
 * big-endian payloads take stats_tensor and compare_tensors instead (three reads). Memory: two
 * indexes, two 1 MiB buffers and the per-tensor series (a few numbers per tensor and
 * checkpoint), whatever the size of the tensors. */
#ifndef CKPT_TREND_H
#define CKPT_TREND_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"
#include "edit/namefilter.h"

struct trend_opts {
	const struct namefilter *filter;  /* tensors chosen (NULL: all) */
	/* Called as the tensors are read: bytes done of an estimated total (the first
	 * checkpoint's size times their number); done == total at the end. May be NULL. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct trend_ckpt {
	char *prefix;       /* as resolved (ckpt_resolve) */
	int has_step;
	int64_t step;       /* the global_step tensor's value, else the prefix's trailing -N */
	int has_time;
	int64_t mtime;      /* modification time of PREFIX.index (seconds since the epoch) */
};

enum trend_kind { TREND_FLOAT, TREND_COUNTER };

/* One tensor (or, after trend_by_scope, one scope) over the n checkpoints. Arrays of n are
 * per checkpoint, arrays of n - 1 per consecutive pair (k - 1, k) at index k - 1. */
struct trend_series {
	char *name;               /* owned, NUL-terminated copy (may hold NUL bytes) */
	size_t name_len;
	enum trend_kind kind;     /* floats (and complex): norms; integer scalars: values */
	int dtype, rank;          /* as in the newest checkpoint holding it */
	int64_t *dims;
	size_t tensors;           /* 1, or the tensors a scope row sums up */
	unsigned char *present;   /* [n] */
	double *norm;             /* [n] L2 norm of the finite values; NAN when absent */
	uint64_t *nan, *inf;      /* [n] */
	int64_t *value;           /* [n] counters only */
	double *rel;              /* [n-1] NAN when not compared or without a finite pair */
	unsigned char *reshaped;  /* [n-1] present on both sides with another shape or dtype */
	double *dsq, *asq;        /* [n-1] ‖b − a‖² and ‖a‖² over the finite pairs (for scopes) */
};

struct trend {
	struct trend_ckpt *c;
	size_t n;
	struct trend_series *s;
	size_t ns;
	uint64_t bytes;           /* tensor bytes read for statistics */
};

/* The checkpoints of a training folder as ckpt_folder_scan orders them (those its state
 * file lists, in its order, then the others by step), the last `last` of them (0: all).
 * *prefixes (owned by the caller, each string too) gets them; notes get what the scan
 * noted. CK_EUSAGE for a folder without checkpoints. */
int trend_folder(const char *dir, size_t last, char ***prefixes, size_t *n, struct buf *notes,
		 struct ck_err *err);

/* Read the n checkpoints (oldest first) into t (released by trend_release). notes get the
 * resolver's fallbacks. Read errors end the run. */
int trend_run(const char *const *paths, size_t n, const struct trend_opts *o, struct trend *t,
	      struct buf *notes, struct ck_err *err);

/* Replace the float series by one per scope `depth` levels deep (scope.h; 0: innermost):
 * the norm of the scope's tensors as one vector, their NaN/Inf counts summed, and the same
 * relative change over the tensors compared at that step, ‖ΔS‖₂/‖AS‖₂. Names without a
 * scope stay rows of their own; counters are kept as they are. */
void trend_by_scope(struct trend *t, int depth);

/* The newest relative change of s (NAN when none), and the index of that pair, or -1. */
double trend_latest_rel(const struct trend *t, const struct trend_series *s, long *at);
/* The newest norm of s (NAN when absent from every checkpoint). */
double trend_latest_norm(const struct trend *t, const struct trend_series *s);
/* Sort the series: floats by latest relative change, largest first (series without one
 * last), then counters; ties by name. */
void trend_sort(struct trend *t);

void trend_release(struct trend *t);

#endif
