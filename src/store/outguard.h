/* What every writer asks before it touches an output: is the name one of this run's inputs,
 * and is another writer at work on it. Also the no-clobber rename they all use.
 *
 * Inputs are process-wide: a command registers the files it reads (outguard_add_*) once it
 * has opened them, and the writers (bundle_writer, outfile) refuse, with or without --force,
 * an output that is one of them by path, through a symbolic link, or as another hard link to
 * the same inode (same device and inode number). */
#ifndef CKPT_OUTGUARD_H
#define CKPT_OUTGUARD_H

#include "base/err.h"
#include "format/bundle.h"

/* Remember path (as the user would know it) as an input; a file that cannot be stat()ed is
 * not remembered (it cannot be overwritten by mistake either). */
void outguard_add_input(const char *path);
/* Every file of an open checkpoint: its index and data shards (V2), or its table files (V1). */
void outguard_add_bundle(const struct bundle *b);
/* Forget every input (tests). */
void outguard_reset(void);

/* 0, or CK_EUSAGE when path names an input file: "OUT: is the input file IN ...". */
int outguard_check(const char *path, struct ck_err *err);
/* The same for a file a writer only ever replaces by rename and never writes into, such as a
 * checkpoint's data shard: another hard link to an input's inode is then allowed, because
 * replacing that name leaves the input's own name and bytes as they were. This is what lets
 * `rename -f` replace its earlier output, whose data files share the input's by hard link.
 * The input's own name, or a symbolic link to it, is still refused. */
int outguard_check_replaced(const char *path, struct ck_err *err);

/* An exclusive lock on an output (a checkpoint prefix, or a file name), held for a writer's
 * whole run: the file "<target>.lock" beside it, locked with flock() and holding the
 * holder's process id. A lock left by a killed process is not held (the kernel drops flock
 * locks with their process) and is taken over. The holder removes the file on release. */
struct outlock {
	int fd;           /* -1 when not held */
	char *path;       /* "<target>.lock" (owned) */
};
#define OUTLOCK_INIT { -1, NULL }

/* Take the lock without waiting: 0, or CK_EEXIST naming the lock file and the process that
 * holds it, or CK_EIO. */
int outlock_take(struct outlock *l, const char *target, struct ck_err *err);
/* Remove the lock file and drop the lock. Safe on a lock not held. */
void outlock_release(struct outlock *l);
/* Remove the lock files this process holds (async-signal-safe: for SIGINT/SIGTERM). */
void outlock_cleanup_signal(void);

/* rename(from, to) that never replaces an existing to: renameat2(RENAME_NOREPLACE), or
 * link() + unlink() where the file system lacks it. -1 with errno EEXIST when to exists. */
int rename_noreplace(const char *from, const char *to);

/* After a rename into place: fsync the folder holding path, so that the new name survives a
 * crash too. 0, or the error "FOLDER: fsync: <why>" (a file system that cannot sync a folder,
 * EINVAL, counts as done). The one place every writer does this. */
int sync_folder_of(const char *path, struct ck_err *err);

#endif
