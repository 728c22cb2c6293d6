/* From what a user types to a checkpoint: one resolver used by every command.
 *
 * Accepted: a prefix (P, with P.index beside it); P.index; P.data-NNNNN-of-MMMMM; a folder with
 * a `checkpoint` state file, with exactly one checkpoint, or holding a SavedModel
 * (variables/variables); the state file itself; a legacy V1 table file. A .meta,
 * saved_model.pb or other file gets an error that says what it is and what to pass instead. */
#ifndef CKPT_PATH_H
#define CKPT_PATH_H

#include "bundle.h"
#include "err.h"
#include "util.h"

struct ckpt_path {
	char *prefix;     /* V2: the prefix; V1: the table file or shard pattern */
	int format;       /* 2 or 1 */
	struct buf notes; /* lines the CLI should show on stderr (fallbacks taken), '\n'-ended */
};

int ckpt_resolve(const char *arg, struct ckpt_path *out, struct ck_err *err);
void ckpt_path_release(struct ckpt_path *p);

/* Resolve and open in one step. V1 checkpoints fail with CK_EKIND until V1 reading exists. */
int ckpt_open(struct bundle **b, const char *arg, struct ckpt_path *where, struct ck_err *err);

/* The `checkpoint` state file (protobuf text format of CheckpointState, FORMAT.md §2.4). */
struct ckpt_state {
	char *model_checkpoint_path;
	char **all_model_checkpoint_paths;
	size_t nall;
};

/* Parse text; CK_ECORRUPT (no path or a syntax error) or CK_EKIND (not a state file). */
int ckpt_state_parse(const char *text, size_t n, struct ckpt_state *st, struct ck_err *err);
int ckpt_state_read(const char *path, struct ckpt_state *st, struct ck_err *err);
void ckpt_state_release(struct ckpt_state *st);

#endif
