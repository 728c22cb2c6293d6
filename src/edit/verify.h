/* The verify engine (`ckpt verify`): is a checkpoint whole? Every payload's checksum (read in
 * file order, small ones a window at a time), every shard present and long enough, partitioned
 * tensors' slices, orphan slices, and the TF2 object graph's references. Nothing is printed:
 * the result is a report of problems, each naming its tensor, file and byte range. */
#ifndef CKPT_VERIFY_H
#define CKPT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"
#include "format/bundle.h"

/* A report's status, worst wins; the same numbers as ckpt's exit statuses. */
enum { VERIFY_OK = 0, VERIFY_DAMAGED = 1, VERIFY_TROUBLE = 2 };

struct verify_problem {
	char *tensor;          /* escaped name (a slice as NAME[a:b,...]), or NULL */
	char *file;            /* or NULL */
	uint64_t offset, end;  /* byte range in file, when known */
	int has_range;
	char *msg;             /* the reason */
};

struct verify_report {
	const char *path;      /* as given (borrowed) */
	int status;            /* VERIFY_OK, VERIFY_DAMAGED, VERIFY_TROUBLE */
	struct verify_problem *p;
	size_t np, cap;
	size_t tensors, unchecked;
	uint64_t bytes;        /* tensor data read and found intact */
	uint64_t total_bytes;  /* the checkpoint's tensor data (totals.h) */
	char *error;           /* could not be examined (VERIFY_TROUBLE) */
	struct buf notes;      /* how the path was resolved: lines for the caller to show */
};

/* Check the checkpoint arg names (any path form ckpt_open takes) into r (overwritten).
 * progress, if not NULL, is told the payload bytes checked of the total (done == total at
 * the end). Release r with verify_report_release. */
void verify_checkpoint(const char *arg, struct verify_report *r,
		       void (*progress)(void *ctx, uint64_t done, uint64_t total), void *ctx);
/* Add a problem (the tensor e, the file, range's byte range; each may be NULL) and make the
 * status at least VERIFY_DAMAGED. */
void verify_add_problem(struct verify_report *r, const struct bundle_entry *e, const char *file,
			const struct bundle_entry *range, const char *msg);
void verify_report_release(struct verify_report *r);

#endif
