/* Choosing tensors by name: --include/--exclude filters, and what counts as optimizer state. */
#ifndef CKPT_NAMEFILTER_H
#define CKPT_NAMEFILTER_H

#include <regex.h>
#include <stddef.h>

#include "base/err.h"

/* --include / --exclude: a name is selected if it matches some include (or there are none)
 * and no exclude. POSIX extended regexes, matched against the name as text (an embedded NUL
 * ends it). */
struct namefilter {
	regex_t *inc, *exc;
	size_t ninc, nexc;
	unsigned char *inc_kind, *exc_kind;  /* per pattern: what it matches without regexec */
};

/* CK_EUSAGE "bad regular expression 're': why" on a regex that does not compile. */
int namefilter_add(struct namefilter *f, const char *re, int exclude, struct ck_err *err);
int namefilter_match(const struct namefilter *f, const char *name);
/* 1 if name matches include pattern k (0 <= k < ninc). */
int namefilter_inc_match(const struct namefilter *f, size_t k, const char *name);
/* The two halves: matches some include (0 when there are none); matches some exclude. */
int namefilter_included(const struct namefilter *f, const char *name);
int namefilter_excluded(const struct namefilter *f, const char *name);
void namefilter_release(struct namefilter *f);

/* 1 if name is optimizer state rather than a model variable, by the spellings real
 * checkpoints use (one table in namefilter.c, listed in the man page's OPTIMIZER STATE): TF2
 * `.OPTIMIZER_SLOT/` keys and `optimizer/...` variables, Keras `training/<Optimizer>/` scopes,
 * TF1 slot suffixes (`/Adam`, `/Adam_1`, `/Momentum`, `/RMSProp_1`, `/Adagrad`, `/LARSOptimizer`,
 * `/Adafactor`, ...), BERT/LAMB `/adam_m`, `/lamb_v`, mesh-TF `_slot_vr`, `_slot_vc`, `_slot_v`,
 * `_slot_m`, `_momentum_v`, and `beta1_power`/`beta2_power`. */
int is_optimizer_name(const char *name);
/* For a slot named after its variable plus a last component (`dense/kernel/Adam_1`,
 * `layer/kernel/adam_m`), the length of the variable's name (`dense/kernel`); else 0. */
size_t optimizer_slot_owner(const char *name);

#endif
