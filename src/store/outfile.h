/* The one protocol by which every output file is written (checkpoint shards and index, .npy,
 * .npz and safetensors files, the `checkpoint` state file):
 *
 *   create   a temporary name beside the target, opened with O_EXCL (never an existing file,
 *            never through a symbolic link), mode 0666 less the umask;
 *   write    the whole content;
 *   close    fsync (unless CK_OUT_NO_SYNC), then close: the bytes are on disk;
 *   rename   into place: never over an existing name unless CK_OUT_FORCE (rename_noreplace);
 *   sync     the folder (sync_folder_of), so the new name survives a crash too;
 *   abort    on any failure: the temporary name is removed.
 *
 * ck_outfile_commit does close, rename and sync; a writer of several files (a checkpoint:
 * data first, index last, one folder sync) calls the steps itself. The checks of what may be
 * written at all (outguard_check, outlock) stay with the writers. */
#ifndef CKPT_STORE_OUTFILE_H
#define CKPT_STORE_OUTFILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct ck_outfile {
	int fd;      /* the temporary file; -1 once closed (or never opened) */
	char *path;  /* the target (owned) */
	char *tmp;   /* the temporary name (owned); NULL once renamed into place */
};
#define CK_OUTFILE_INIT { -1, NULL, NULL }

enum { CK_OUT_FORCE = 1, CK_OUT_NO_SYNC = 2 };

/* A fresh temporary name for path: "<path>.tmp" and six random letters and digits, as
 * mkstemp(3) makes them. Caller frees. */
char *ck_outfile_tmp_name(const char *path);

/* Create the temporary file tmp for the target path; f takes tmp over (it is freed by f,
 * also on failure). tmp NULL: a ck_outfile_tmp_name, tried again while the name is taken.
 * 0, or the error naming tmp (CK_EEXIST when tmp exists). */
int ck_outfile_create(struct ck_outfile *f, const char *path, char *tmp, struct ck_err *err);
int ck_outfile_write(struct ck_outfile *f, const void *p, size_t n, struct ck_err *err);
/* The file will be written to n bytes: on ext4, reserve its blocks now (fallocate, the size
 * unchanged), which made a 256 MB copy_file_range a seventh faster than allocating them page
 * by page as the data comes. Elsewhere nothing (a reserved range would spoil a reflink on
 * btrfs or xfs). Best effort: never fails. */
void ck_outfile_reserve(struct ck_outfile *f, uint64_t n);
/* fsync unless CK_OUT_NO_SYNC, and close. */
int ck_outfile_close(struct ck_outfile *f, int flags, struct ck_err *err);
/* Rename the closed temporary file to its target: rename(2) with CK_OUT_FORCE, else never
 * over an existing name (CK_EEXIST, "PATH: already exists (use --force to replace it)"). */
int ck_outfile_rename(struct ck_outfile *f, int flags, struct ck_err *err);
/* close, rename, and sync the folder (unless CK_OUT_NO_SYNC); aborts f on failure. f is
 * released either way. */
int ck_outfile_commit(struct ck_outfile *f, int flags, struct ck_err *err);
/* Close and remove the temporary file if any; release f (safe on CK_OUTFILE_INIT). */
void ck_outfile_abort(struct ck_outfile *f);

/* For a signal handler: unlink tmp and every "<tmp>.*" beside it (libzip's own temporary
 * names), allocating nothing. */
void ck_outfile_unlink_signal(const char *tmp);

/* Is there a name path in the way (a file, a folder, a symbolic link even dangling)? */
int ck_outfile_exists(const char *path);

/* 64 random bits (/dev/urandom; the clock and process id where it cannot be read). */
uint64_t ck_random_u64(void);

#endif
