/* From what a user types to a checkpoint: one resolver used by every command.
 *
 * Accepted: a prefix (P, with P.index beside it); P.index; P.data-NNNNN-of-MMMMM; a folder with
 * a `checkpoint` state file, with exactly one checkpoint, or holding a SavedModel
 * (variables/variables); the state file itself; a legacy V1 table file. A .meta,
 * saved_model.pb or other file gets an error that says what it is and what to pass instead. */
#ifndef CKPT_PATH_H
#define CKPT_PATH_H

#include "base/err.h"
#include "base/util.h"
#include "format/bundle.h"

struct ckpt_path {
	char *prefix;     /* V2: the prefix; V1: the table file or shard pattern */
	int format;       /* 2 or 1 */
	struct buf notes; /* lines the CLI should show on stderr (fallbacks taken), '\n'-ended */
};

int ckpt_resolve(const char *arg, struct ckpt_path *out, struct ck_err *err);
void ckpt_path_release(struct ckpt_path *p);

/* Resolve and open in one step: a V2 bundle (bundle.h), or legacy V1 tables read into the
 * same struct bundle (v1.h). */
int ckpt_open(struct bundle **b, const char *arg, struct ckpt_path *where, struct ck_err *err);
/* The second step alone, for a path ckpt_resolve has resolved. */
int ckpt_open_resolved(struct bundle **b, const struct ckpt_path *where, struct ck_err *err);

/* Every checkpoint in a training folder: those its `checkpoint` state file lists, in its order
 * (found as ckpt_resolve finds them, beside the state file when written elsewhere), then every
 * other PREFIX.index and legacy V1 file there in natural order (model.ckpt-500 before
 * model.ckpt-1000). Each checkpoint appears once. Listed checkpoints that are gone are not in
 * the list: notes name them (and gone_latest says when the newest one is among them). */
struct ckpt_found {
	char *prefix;  /* as ckpt_resolve would give it */
	int format;    /* 2 or 1 */
	int listed;    /* named by the state file */
};

struct ckpt_folder {
	struct ckpt_found *c;
	size_t n;
	char *state;       /* the state file's path, or NULL when the folder has none */
	char *latest;      /* the state file's newest checkpoint, when it exists; or NULL */
	char *gone_latest; /* the state file's newest checkpoint as written, when it is gone */
	struct buf notes;  /* '\n'-ended lines for stderr: listed checkpoints gone or moved */
};

/* CK_ENOTFOUND when dir cannot be listed; a damaged state file is its error. An empty folder is
 * not an error (n == 0). */
int ckpt_folder_scan(const char *dir, struct ckpt_folder *f, struct ck_err *err);
void ckpt_folder_release(struct ckpt_folder *f);

/* The `checkpoint` state file (protobuf text format of CheckpointState, doc/FORMAT.md §2.4). */
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
