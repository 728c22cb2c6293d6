/* Bounded reads of option files (see optfile.h). */
#include "base/optfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int too_large(const char *name, struct ck_err *err)
{
	return ck_error(err, CK_EUSAGE,
			"%s: larger than %zu MiB; a list of names or rules is never so large "
			"(is it the right file?)", name, OPTFILE_MAX_SIZE >> 20);
}

int optfile_read(const char *path, struct buf *out, struct ck_err *err)
{
	int is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "standard input" : path;
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	size_t start = out->len, line = 0, lineno = 1;
	struct stat st;
	int rc = 0;

	if (fd < 0)
		return ck_syserr(err, errno, "%s", path);
	/* A regular file says its size: refuse a huge one before reading a byte of it. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > OPTFILE_MAX_SIZE) {
		rc = too_large(name, err);
		goto out;
	}
	for (;;) {
		ssize_t n;
		uint8_t *p, *nl;

		buf_grow(out, 65536);
		p = out->p + out->len;
		n = read(fd, p, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ck_syserr(err, errno, "%s", name);
			goto out;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len - start > OPTFILE_MAX_SIZE) {
			rc = too_large(name, err);
			goto out;
		}
		/* The length of the line being read, carried from chunk to chunk. */
		for (uint8_t *q = p, *end = p + n; q < end; q = nl + 1) {
			nl = memchr(q, '\n', (size_t)(end - q));
			if (!nl) {
				line += (size_t)(end - q);
				break;
			}
			line += (size_t)(nl - q);
			if (line > OPTFILE_MAX_LINE)
				break;
			line = 0;
			lineno++;
		}
		if (line > OPTFILE_MAX_LINE) {
			rc = ck_error(err, CK_EUSAGE,
				      "%s:%zu: line longer than %zu MiB; a list of names or rules has "
				      "no such line (is it the right file?)",
				      name, lineno, OPTFILE_MAX_LINE >> 20);
			goto out;
		}
	}
	out->p[out->len] = 0;
out:
	if (rc < 0) {
		out->len = start;  /* nothing half-read is kept */
		if (out->p)
			out->p[start] = 0;
	}
	if (!is_stdin)
		close(fd);
	return rc;
}

char *optfile_line(char **cursor, const struct buf *all)
{
	char *line = *cursor, *end = (char *)all->p + all->len, *nl;
	size_t n;

	if (!line || line >= end)
		return NULL;
	nl = memchr(line, '\n', (size_t)(end - line));
	nl = nl ? nl : end;
	*nl = '\0';  /* at end: the buffer's own NUL */
	*cursor = nl + 1;
	n = strlen(line);
	while (n && line[n - 1] == '\r')
		line[--n] = '\0';
	return line;
}
