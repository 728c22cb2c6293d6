/* Mapping rules for `ckpt export --rules` and `ckpt rename --rules`: what each tensor becomes
 * (its name, whether it is kept, the order of its axes, its dtype). One rule a line, applied in
 * order to each tensor; every rule sees the name as the rules before it left it.
 *
 *   s/RE/REPL/[g]  OLD=NEW  OLD/=NEW/     rename, as rules.h (\d means [0-9]; REPL may use
 *                                         \1..\9, & and \{N}, \{N+K}, \{N-K})
 *   add-prefix STR  strip-prefix STR  add-suffix STR  strip-suffix STR
 *   drop REGEX            leave the tensor out
 *   drop optimizer        leave out optimizer state (namefilter.h's is_optimizer_name)
 *   keep REGEX            account for the tensor, unchanged
 *   transpose REGEX AXES  permute the axes: "1,0", "3,2,0,1" (HWIO -> OIHW), or T (reverse all,
 *                         as numpy.transpose; a no-op on rank 0 and 1)
 *   cast REGEX DTYPE      convert floats to DTYPE (float16, bfloat16, float32, float64)
 *   fullname [REGEX]      rename to the full name the TF2 object graph records, when it has one
 *   split REGEX AXIS NAME,NAME,...
 *                         cut the tensor into equal parts along AXIS (a fused qkv kernel), part
 *                         k named by NAME k, which may use REGEX's groups as s/// does; the
 *                         rules after it apply to each part. One split a tensor.
 *
 * Modifiers before a rule: "optional" (matching nothing is fine), "also" (a general rewrite:
 * matching nothing is fine and matching does not account for a tensor). A tensor is accounted
 * for when some rule without "also" matched it. '#' starts a comment line; blank lines are
 * skipped. REGEX is a POSIX ERE on the current name, up to the first space. */
#ifndef CKPT_MAPRULES_H
#define CKPT_MAPRULES_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"
#include "edit/rules.h"

#define MAPRULES_MAX_RANK 16

enum maprule_kind { MR_RENAME, MR_DROP, MR_DROP_OPTIMIZER, MR_KEEP, MR_TRANSPOSE, MR_CAST,
		    MR_FULLNAME, MR_SPLIT };

struct maprule {
	enum maprule_kind kind;
	char *where;            /* "FILE:LINE", for messages */
	char *text;             /* the line as written */
	int optional, also;
	int has_re;
	regex_t re;             /* which names (all but MR_RENAME, MR_DROP_OPTIMIZER) */
	struct rules rename;    /* MR_RENAME: one rule of rules.h; MR_SPLIT: the name of each part */
	int nperm;              /* MR_TRANSPOSE: axes, or 0 for T */
	int perm[MAPRULES_MAX_RANK];
	int dtype;              /* MR_CAST */
	int axis;               /* MR_SPLIT */
	size_t hits;            /* tensors it matched */
};

struct maprules {
	struct maprule *v;
	size_t n;
};

/* What the rules make of one tensor. */
struct maprules_out {
	struct buf name;        /* the new name */
	int dropped;
	int accounted;          /* some rule without "also" matched */
	int dtype;              /* the output dtype (the input's unless cast) */
	int rank;
	int64_t dims[MAPRULES_MAX_RANK];  /* the output shape */
	int perm[MAPRULES_MAX_RANK];      /* output axis k is input axis perm[k] */
	int transposed;         /* perm is not the identity */
	/* split: set want_part to -1 (maprules_out_init does) for the first call; when a split
	 * rule matches, nparts and part_axis (an axis of the source) are set and the rules stop:
	 * call again with want_part = 0 .. nparts-1 for each part, whose dims are the part's. */
	int want_part;
	int nparts, part_axis;
};

void maprules_init(struct maprules *m);
void maprules_release(struct maprules *m);

/* One line of a rules file; errors are CK_EUSAGE "FILE:LINE: message". Blank and comment
 * lines add nothing. */
int maprules_parse_line(struct maprules *m, const char *line, const char *file, size_t lineno,
			struct ck_err *err);
/* Every line of the file at path. */
int maprules_load(struct maprules *m, const char *path, struct ck_err *err);

/* Apply the rules to a tensor (name, the object graph's full name or NULL, dtype, shape);
 * fills o (init it with maprules_out_init). CK_EUSAGE "FILE:LINE: ..." when a rule cannot
 * apply (axes that do not fit the rank, a cast of a dtype that is not a float). */
void maprules_out_init(struct maprules_out *o);
void maprules_out_release(struct maprules_out *o);
int maprules_apply(struct maprules *m, const char *name, size_t len, const char *full,
		   size_t full_len, int dtype, int rank, const int64_t *dims,
		   struct maprules_out *o, struct ck_err *err);

/* Rules that must have matched something and did not (neither optional nor also): their
 * indexes into out[], up to max; returns how many there are. */
size_t maprules_unmatched(const struct maprules *m, size_t *out, size_t max);

/* 1 if perm (of rank axes) reverses them all: the transpose fortran.h streams through
 * temporary files in bounded memory. */
int maprules_perm_reverses(const int *perm, int rank);

/* In memory: out = in with its axes permuted (output axis k is input axis perm[k]); in has
 * dims in_dims[rank], elements of w bytes; in and out do not overlap. Tensors over a MiB are
 * permuted on two cores (par.h: not from a par job). */
void maprules_permute(const uint8_t *in, uint8_t *out, const int64_t *in_dims, int rank,
		      const int *perm, size_t w);

/* Elements [first, first + n) of the transpose (c x r) of in, an r x c matrix of w-byte
 * elements, into out: a transpose taken in pieces in output order, each written straight into
 * the writer's buffer. From TRANSPOSE_TWO_MIN bytes on, on two cores (par.h: not from a par
 * job). */
#define TRANSPOSE_TWO_MIN (256u << 10)
void maprules_transpose_range(const uint8_t *in, uint64_t r, uint64_t c, uint64_t first,
			      uint64_t n, uint8_t *out, size_t w);
/* The same on the caller's thread alone (a par job may call it). */
void maprules_transpose_part(const uint8_t *in, uint64_t r, uint64_t c, uint64_t first,
			     uint64_t n, uint8_t *out, size_t w);

/* Presets: rule files NAME.rules shipped with ckpt, looked for in $CKPT_PRESETS if set, else
 * beside the binary (presets/ next to it or one folder up: the build tree) and in its
 * installed share folder (../share/ckpt/presets). */
/* Load preset name (messages name it NAME.rules:LINE); CK_ENOTFOUND when there is none. */
int maprules_load_preset(struct maprules *m, const char *name, struct ck_err *err);
/* The folder presets come from, into dir (empty if none); the names found there, sorted, one
 * a line "NAME<TAB>first comment line", into list. */
void maprules_list_presets(struct buf *dir, struct buf *list);

#endif
