/* Reading the small text files that options name (subset --names-from, rename --map-file,
 * diff --map), in bounded memory: such a file is never hundreds of MiB, and /dev/zero or a
 * runaway pipe must be refused, not read until memory runs out. */
#ifndef CKPT_OPTFILE_H
#define CKPT_OPTFILE_H

#include "base/err.h"
#include "base/util.h"

#define OPTFILE_MAX_SIZE ((size_t)256 << 20)  /* bytes in the whole file */
#define OPTFILE_MAX_LINE ((size_t)16 << 20)   /* bytes in one line */

/* Append the contents of path ("-": standard input) to out, NUL-terminated (the NUL not
 * counted in out->len). CK_EUSAGE naming the file when it passes either limit; errors of the
 * system name it too. */
int optfile_read(const char *path, struct buf *out, struct ck_err *err);

/* The lines of what optfile_read put in all, one a call: *cursor starts at all->p and walks
 * on; each line is cut in place at its '\n', without the '\r's before it; NULL after the last.
 * A NUL byte ends a line's text but not the file, as getline's callers saw it. */
char *optfile_line(char **cursor, const struct buf *all);

#endif
