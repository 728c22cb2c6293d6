/* Walking a local folder tree for the files of one kind: symbolic links to files are
 * followed; links to folders are followed after the real folders, round by round in name
 * order, unless the folder they reach was searched (by device and inode: no loop, each file
 * once); at most 64 levels deep. */
#ifndef CKPT_STORE_WALK_H
#define CKPT_STORE_WALK_H

#include <stddef.h>

#include "base/err.h"
#include "base/util.h"

/* The files below root whose names end in suffix (and are longer than it), as paths relative
 * to root, in *files (n of them, each and the array owned by the caller; in no particular
 * order). Entries skipped (unreadable, another kind of file, a link to a folder already
 * searched) are '\n'-ended lines in notes. An error when root cannot be listed. */
int store_walk(const char *root, const char *suffix, char ***files, size_t *n,
	       struct buf *notes, struct ck_err *err);

#endif
