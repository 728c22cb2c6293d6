/* The rename engine (`ckpt rename`): each tensor's new name, from the name it starts from (its
 * key, or with full names the path the TF2 object graph records) through name rules (rules.h)
 * or mapping rules (maprules.h: renames and drops only), then the plan that writes them
 * (surgery.h) and the object graph rewritten to the new keys. Nothing is printed: warnings are
 * counts and lists in struct rename_map for the caller to show. */
#ifndef CKPT_RENAME_H
#define CKPT_RENAME_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"
#include "edit/maprules.h"
#include "edit/rules.h"
#include "edit/surgery.h"

/* The name an entry starts from, before the rules. */
struct rename_base {
	const uint8_t *p;    /* borrowed: the entry's key or the graph's full name */
	size_t len, entry;
	int full;            /* the object graph's full name, not the key */
	int kept;            /* its full name collided: the key kept */
};

/* What the rules make of every entry of one input, all arrays parallel to its entries. */
struct rename_map {
	size_t n;                  /* entries */
	int full;                  /* started from full names: the output has no object graph */
	struct rename_base *base;
	struct buf *names;         /* new name where changed */
	unsigned char *changed, *dropped;
	size_t nchanged;
	size_t nkept;              /* full names that collided: these keep their keys... */
	struct buf kept;           /* ...listed as '\n  "key", "key" -> "full name"' (bounded) */
	size_t nproblems;          /* mapping rules: tensors no rule accounts for, rules that
				    * match nothing... */
	struct buf problems;       /* ...listed as '\n  ...' lines */
};

/* Start from each entry's key or, with full_names, the full name the object graph records
 * (those equal to another name fall back to their key: m->nkept). CK_EUSAGE when full_names
 * and in has no readable graph. Release m with rename_map_release either way. */
int rename_map_init(struct rename_map *m, const struct surg_input *in, int full_names,
		    struct ck_err *err);
/* Apply name rules to every tensor (the graph's own entry and slices never), counting hits in
 * r. An error when a rule empties names (all listed) or makes one the graph's key. */
int rename_map_rules(struct rename_map *m, const struct surg_input *in, struct rules *r,
		     struct ck_err *err);
/* Apply mapping rules (renames and drops; a transpose, cast or split is CK_EUSAGE) to every
 * tensor; what they leave unexplained goes to m->problems. */
int rename_map_maprules(struct rename_map *m, struct surg_input *in, struct maprules *mr,
			struct ck_err *err);
/* Every tensor not dropped, under its new name, into plan (input 0). CK_EUSAGE when two
 * tensors get one name (all listed). */
int rename_map_plan(const struct rename_map *m, const struct surg_input *in,
		    struct surg_plan *plan, struct ck_err *err);
/* The object graph of in, for a plan about to be written: rewritten to the new keys (and
 * without the dropped ones) and moved from in to plan->graph, or carried as it is when
 * nothing in it changes. None with full names: the output is name-based. */
void rename_map_graph(const struct rename_map *m, struct surg_input *in, struct surg_plan *plan);
void rename_map_release(struct rename_map *m);

#endif
