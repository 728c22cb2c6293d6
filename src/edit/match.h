/* Pairing the names a target expects (a graph's restore keys, another checkpoint's tensors, a
 * names list) with the tensors of a checkpoint, for `ckpt match`.
 *
 * Rules, in order, each only among what is still unpaired:
 *   exact       the same name (or the same full name a TF2 object graph records, or the
 *               same name once ".ATTRIBUTES/VARIABLE_VALUE" is dropped)
 *   rewrite     a systematic rewrite inferred from the names: a scope added, removed or
 *               replaced ("net/" -> "", "model/encoder/" -> "encoder/"), possibly with a
 *               known leaf synonym (weights -> kernel, biases -> bias, gamma -> scale ...);
 *               a rewrite must explain two pairs or more, unless it only renames the leaf
 *   shape       the one tensor of that kind, dtype and shape, for the one target that has it
 *   similar     the closest name among the same-shape candidates, when it is clearly
 *               closest both ways
 *   order       a tie of equally close names broken by layer order: as many targets as
 *               tensors of one shape, each pair at the same place in natural name order
 * Two items are never paired when their dtypes or shapes differ (an unknown dtype, rank or
 * dimension on either side is compatible), and no tensor is used twice. What is left is
 * reported: a target with two or more candidates is ambiguous, not guessed. Optimizer
 * slots and counters (global_step, save_counter, iter) pair only with their own kind after
 * the exact and rewrite rules.
 *
 * Nothing here prints; the result holds indexes into the caller's arrays. */
#ifndef CKPT_MATCH_H
#define CKPT_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/util.h"

#define MATCH_NONE ((size_t)-1)
#define MATCH_MAX_CAND 4

struct match_item {
	const uint8_t *name;       /* borrowed; need not be NUL-terminated */
	size_t len;
	const uint8_t *full;       /* TF2: the full variable name the object graph records, or NULL */
	size_t full_len;
	int dtype;                 /* TF DataType; <= 0 unknown */
	int rank;                  /* -1 unknown */
	const int64_t *dims;       /* rank sizes, -1 unknown */
};

enum match_how { MATCH_UNPAIRED, MATCH_EXACT, MATCH_FULL_NAME, MATCH_REWRITE, MATCH_SHAPE,
		 MATCH_SIMILAR, MATCH_ORDER };

enum match_kind { MATCH_VARIABLE, MATCH_SLOT, MATCH_COUNTER };

/* An inferred rewrite: a checkpoint name starting with `from` (the part before the common
 * tail) gets `to` instead. Either may be empty. */
struct match_rewrite {
	char *from, *to;           /* owned, NUL-terminated */
	size_t uses;               /* pairs it made */
};

struct match_target {
	size_t src;                /* the paired checkpoint item, or MATCH_NONE */
	enum match_how how;
	size_t rewrite;            /* MATCH_REWRITE: index in rewrites */
	int leaf_renamed;          /* MATCH_REWRITE: the last name component differs too */
	/* Unpaired: the compatible items left (the first MATCH_MAX_CAND; ncand counts all, up
	 * to 33): ncand >= 1 means ambiguous (contested, or equally close names), 0 that no
	 * tensor can serve; and an item with the same name but another dtype or shape (or
	 * MATCH_NONE). */
	size_t cand[MATCH_MAX_CAND];
	size_t ncand;
	size_t conflict;
};

struct match_result {
	struct match_target *t;    /* one per target */
	size_t *tgt_of;            /* one per checkpoint item: its target, or MATCH_NONE */
	enum match_kind *kind;     /* one per checkpoint item */
	struct match_rewrite *rewrites;
	size_t nrewrites;
	size_t npaired, nambiguous;  /* nambiguous: unpaired targets with candidates */
};

/* Pair tgt[0..nt) with src[0..ns). r is filled (and owns its arrays); release it with
 * match_release. */
void match_run(const struct match_item *tgt, size_t nt, const struct match_item *src, size_t ns,
	       struct match_result *r);
void match_release(struct match_result *r);

/* The name of each checkpoint item once the match is applied, into out[0..ns) (replacing
 * their contents): a paired item takes its target's name; an unpaired one under a paired
 * one's name (the slot "v/Momentum" of "v", or a TF2 key under "v/") moves with it
 * unless its new name is a target's; the rest keep theirs. moved[i] (if not NULL) is set
 * for those that moved with their variable. Returns how many names change. */
size_t match_new_names(const struct match_item *tgt, size_t nt, const struct match_item *src,
		       size_t ns, const struct match_result *r, struct buf *out,
		       unsigned char *moved);

/* The length of name without the "/.ATTRIBUTES/VARIABLE_VALUE" of TF2 keys. */
size_t match_stem_len(const uint8_t *name, size_t len);

/* "exact", "full name", "rewrite", "shape", "similar", "order" ("" for unpaired). */
const char *match_how_name(enum match_how how);

/* The kind of a name: an optimizer slot or hyperparameter, a step counter, or a variable. */
enum match_kind match_kind_of(const uint8_t *name, size_t len);

/* Whether a can be restored from b: same dtype and shape, unknown parts agreeing with
 * anything. */
int match_compatible(const struct match_item *a, const struct match_item *b);

#endif
