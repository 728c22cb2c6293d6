/* The export engine (`ckpt export`): which tensors of a checkpoint go into a NumPy .npz archive
 * or a safetensors file and as what (a plan, from the checkpoint alone or through mapping
 * rules: renames, drops, casts, transposes and splits), then the file written from the plan,
 * each tensor streamed from the checkpoint CRC-checked. Nothing is printed: what a command
 * shows (skipped tensors, dtype changes, the -n table, problems with the rules) is text in the
 * structs below. */
#ifndef CKPT_EXPORT_H
#define CKPT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"
#include "format/bundle.h"
#include "edit/maprules.h"
#include "edit/namefilter.h"
#include "edit/surgery.h"
#include "edit/totals.h"

/* Counts of tensors whose dtype changed on the way, for one note per kind. */
struct export_change {
	int from, to;
	size_t n;
};

struct xtensor;  /* one tensor to write, and the state of streaming it (export.c) */

/* The plan: set `safetensors` (else .npz) before planning. */
struct exporter {
	int safetensors;
	struct xtensor *t;    /* the tensors to write, n of them (owned) */
	size_t n;
	struct export_change *ch;
	size_t nch;
	size_t cap;           /* slots in t */
	struct buf notes;     /* '\n'-ended lines: skipped tensors, losses */
	size_t nskipped;
	uint64_t bytes;       /* to be written: .npy headers and widened elements included */
	struct totals data;   /* the checkpoint's tensors exported, counted as every command does */
};

/* What mapping rules made of the checkpoint. Set rules, strict and check before planning. */
struct export_mapping {
	struct maprules rules;
	int strict;              /* unmatched rules and tensors no rule accounts for are fatal */
	const char *check;       /* --check-against: a .safetensors or names file, or NULL */
	struct buf table;        /* "old dtype[shape] -> new dtype[shape]" lines (-n) */
	struct buf problems;     /* unmatched rules, unaccounted tensors, duplicate names: lines,
				  * the first EXPORT_MAX_PROBLEMS_SHOWN of nproblems */
	size_t nproblems, nfatal;
};

#define EXPORT_MAX_PROBLEMS_SHOWN 200

/* Where and how the plan is written. */
struct export_opts {
	const char *out;      /* the file to write (its folder is created if missing) */
	int force;            /* replace out if it exists (never a file of an input: outguard) */
	int compress;         /* .npz: deflate the members */
	int no_sync;          /* renamed into place whole, but not synced */
};

/* Plan every tensor of b that filter selects, under its own name. 0, or < 0 when a tensor
 * cannot be written at all (an .npz member name too long): skipped ones are notes. */
int export_plan(struct exporter *x, struct bundle *b, const struct namefilter *filter,
		struct ck_err *err);
/* Apply mp->rules to every tensor of in that filter selects and plan those kept; the -n
 * table, the problems (and with mp->check, the target's names and shapes compared) are left
 * in mp. 0, or < 0 on an error (a rule that cannot apply). */
int export_plan_mapped(struct export_mapping *mp, struct exporter *x, struct surg_input *in,
		       const struct namefilter *filter, struct ck_err *err);
/* Write the planned tensors to o->out, as x->safetensors says. */
int export_write(struct exporter *x, const struct export_opts *o, struct ck_err *err);
/* The notes of a plan: one line per kind of dtype change, then x->notes. Appends to out. */
void export_notes(const struct exporter *x, struct buf *out);

void export_mapping_init(struct export_mapping *mp);
void export_mapping_release(struct export_mapping *mp);
void exporter_release(struct exporter *x);

#endif
