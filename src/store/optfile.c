/* Bounded reads of option files (see optfile.h). */
#include "store/optfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/file.h"

static int too_large(const char *name, struct ck_err *err)
{
	return ck_error(err, CK_EUSAGE,
			"%s: larger than %zu MiB; a list of names or rules is never so large "
			"(is it the right file?)", name, OPTFILE_MAX_SIZE >> 20);
}

/* The length of the line being read, carried from chunk to chunk: 0, or the error of a line
 * over OPTFILE_MAX_LINE. */
struct lines {
	size_t line, lineno;
};

static int scan_lines(struct lines *l, const uint8_t *p, size_t n, const char *name,
		      struct ck_err *err)
{
	const uint8_t *nl, *end = p + n;

	for (const uint8_t *q = p; q < end; q = nl + 1) {
		nl = memchr(q, '\n', (size_t)(end - q));
		if (!nl) {
			l->line += (size_t)(end - q);
			break;
		}
		l->line += (size_t)(nl - q);
		if (l->line > OPTFILE_MAX_LINE)
			break;
		l->line = 0;
		l->lineno++;
	}
	if (l->line > OPTFILE_MAX_LINE)
		return ck_error(err, CK_EUSAGE,
				"%s:%zu: line longer than %zu MiB; a list of names or rules has "
				"no such line (is it the right file?)",
				name, l->lineno, OPTFILE_MAX_LINE >> 20);
	return 0;
}

/* A remote file is fetched whole by the store (its size is known before a byte is read). */
static int read_remote(const char *url, struct buf *out, struct ck_err *err)
{
	struct lines l = { 0, 1 };
	size_t start = out->len;
	int rc = ck_store_read_all(url, OPTFILE_MAX_SIZE, out, err);

	if (rc == CK_EUSAGE)
		return too_large(url, err);
	if (rc == 0 && (rc = scan_lines(&l, out->p + start, out->len - start, url, err)) < 0) {
		out->len = start;
		out->p[start] = 0;
	}
	return rc;
}

/* A local file, FIFO or pipe (--names <(cmd)) is read as a stream, each line checked as it
 * comes, so that an endless line is refused after 16 MiB, not 256. */
int optfile_read(const char *path, struct buf *out, struct ck_err *err)
{
	int is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "standard input" : path;
	struct lines l = { 0, 1 };
	size_t start = out->len;
	struct stat st;
	int fd, rc = 0;

	if (!is_stdin && ck_store_is_remote(path))
		return read_remote(path, out, err);
	fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ck_syserr(err, errno, "%s", path);
	/* A regular file says its size: refuse a huge one before reading a byte of it. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > OPTFILE_MAX_SIZE) {
		rc = too_large(name, err);
		goto out;
	}
	for (;;) {
		ssize_t n;
		uint8_t *p;

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
		if ((rc = scan_lines(&l, p, (size_t)n, name, err)) < 0)
			goto out;
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
