/* What the commands that select or compute tensors share (subset, average, cast, export,
 * import): name filters, the optimizer-state test, and copying one payload unchanged into a
 * bundle writer. */
#ifndef CKPT_XFORM_H
#define CKPT_XFORM_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "bundle_writer.h"
#include "err.h"

/* --include / --exclude: a name is selected if it matches some include (or there are none)
 * and no exclude. POSIX extended regexes, matched against the name as text (an embedded NUL
 * ends it). */
struct namefilter {
	regex_t *inc, *exc;
	size_t ninc, nexc;
};

/* CK_EUSAGE "bad regular expression 're': why" on a regex that does not compile. */
int namefilter_add(struct namefilter *f, const char *re, int exclude, struct ck_err *err);
int namefilter_match(const struct namefilter *f, const char *name);
/* The two halves: matches some include (0 when there are none); matches some exclude. */
int namefilter_included(const struct namefilter *f, const char *name);
int namefilter_excluded(const struct namefilter *f, const char *name);
void namefilter_release(struct namefilter *f);

/* 1 if name is optimizer state rather than a model variable, by the spellings real
 * checkpoints use: TF2 `.OPTIMIZER_SLOT/` keys and `optimizer/...` variables, Keras
 * `training/<Optimizer>/` scopes, TF1 slot suffixes (`/Adam`, `/Adam_1`, `/Momentum`,
 * `/RMSProp`, `/Adagrad`, `/Ftrl`, `/adam_m`, `/adam_v`, ...) and `beta1_power`/`beta2_power`. */
int is_optimizer_name(const char *name);

/* Append e's payload, read from b (CRC-checked as it streams), to shard of w as an entry named
 * name with e's dtype, shape and CRC. A partitioned e (nslices) gets only its entry; its slices
 * are entries of their own. Errors name the input. */
int xform_copy(struct bundle_writer *w, int shard, struct bundle *b, const struct bundle_entry *e,
	       const void *name, size_t name_len, struct ck_err *err);

/* Exactly n bytes from a tensor stream (CK_ECORRUPT if the payload ends first). */
int xform_read_exact(struct tensor_stream *s, void *p, size_t n, struct ck_err *err);

/* Stream e's payload (CRC-checked) to fn in pieces of at most chunk bytes. */
int xform_stream(struct bundle *b, const struct bundle_entry *e, void *chunk, size_t chunk_size,
		 int (*fn)(void *ctx, const void *p, size_t n, struct ck_err *err), void *ctx,
		 struct ck_err *err);

#endif
