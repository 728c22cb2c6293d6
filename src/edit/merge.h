/* The merge engine (`ckpt merge`): every tensor of several inputs under its new name (the
 * input's name prefix, if any, then its key), names found in more than one input resolved
 * (an error, or the first or the last input wins), and the TF2 object graphs kept or put
 * under one new root, into a surgery plan (surgery.h) that surg_write copies out. */
#ifndef CKPT_MERGE_H
#define CKPT_MERGE_H

#include <stddef.h>

#include "base/err.h"
#include "base/pool.h"
#include "base/util.h"
#include "edit/surgery.h"

enum merge_conflict { MERGE_ON_ERROR, MERGE_ON_FIRST, MERGE_ON_LAST };

/* One tensor of one input, under its new name. */
struct merge_cand {
	size_t input;
	const struct bundle_entry *e;  /* borrowed from in[input] */
	struct {
		const uint8_t *p;
		size_t len;
	} name;        /* the entry's own, or with a --prefix a copy in merge_plan's pool */
	int drop;                      /* a conflict's loser */
};

struct merge_plan {
	struct surg_input *in;       /* the open inputs (borrowed), nin of them */
	size_t nin;
	enum merge_conflict on;      /* set before merge_plan_build */
	/* results */
	struct merge_cand *cands;    /* every tensor of every input under its new name, sorted */
	struct pool names;           /* the candidates' prefixed names */
	size_t ncand, cand_cap;
	size_t nconf;                /* names in several inputs */
	struct buf conflicts;        /* those names, '\n  "name": IN dtype[shape] vs ...' (bounded) */
	size_t ngraphs;              /* TF2 inputs whose object graphs go under a new root */
};

/* Decide every tensor of m->in and add the kept ones to plan (inputs m->in, sorted by name).
 * CK_EUSAGE when names conflict and m->on is MERGE_ON_ERROR (m->conflicts lists them), or
 * when TF2 inputs cannot go under a new root (an unreadable graph, a missing or shared
 * --prefix NAME/). The input graphs' keys are rewritten in place. */
int merge_plan_build(struct merge_plan *m, struct surg_plan *plan, struct ck_err *err);
void merge_plan_release(struct merge_plan *m);

#endif
