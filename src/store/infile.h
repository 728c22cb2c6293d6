/* Opening an input file: one helper every reader uses, so that a FIFO, a device or a folder
 * where a file is expected is refused at once instead of blocking a read forever. */
#ifndef CKPT_INFILE_H
#define CKPT_INFILE_H

#include <sys/stat.h>

#include "base/err.h"

/* Open path read-only (following symbolic links) and check that it is a regular file: a FIFO,
 * socket, device or folder is CK_EKIND, "PATH: is a FIFO, not a file". The open itself does not
 * block on a FIFO (O_NONBLOCK, cleared again before returning). Returns the descriptor (>= 0,
 * close-on-exec, owned by the caller) or a negative ck code with err filled; st (may be NULL)
 * receives the file's status. */
int infile_open(const char *path, struct stat *st, struct ck_err *err);

/* "a FIFO", "a folder", ... for a non-regular st_mode; NULL for a regular file. */
const char *infile_kind(mode_t mode);

#endif
