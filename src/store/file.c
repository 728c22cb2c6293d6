/* The store's local backend (a descriptor, pread) and the entry points of file.h, which send a
 * URL to the remote backend and everything else here. */
#include "store/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/url.h"

/* ---- URLs go to the remote backend (ck_remote_backend, store/remote.c) ---- */

int ck_store_is_remote(const char *path)
{
	return ck_url_scheme_of(path) != CK_URL_NONE;
}

int ck_store_can_list(const char *path)
{
	enum ck_url_scheme s = ck_url_scheme_of(path);
	return s != CK_URL_HTTP && s != CK_URL_HTTPS;
}

/* ---- the local backend ---- */

static long long local_pread(struct ck_file *f, void *p, size_t n, uint64_t off,
			     struct ck_err *err)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(f->fd, (char *)p + done, n - done, (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return ck_syserr(err, errno, "%s", f->name);
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (long long)done;
}

static void local_advise(struct ck_file *f, uint64_t off, uint64_t n)
{
	/* A larger readahead window, no more: WILLNEED would read the whole range now. */
	posix_fadvise(f->fd, (off_t)off, (off_t)n, POSIX_FADV_SEQUENTIAL);
}

static void local_close(struct ck_file *f)
{
	close(f->fd);
	free(f->name);
	free(f);
}

static const struct ck_file_ops local_ops = { local_pread, local_advise, local_close };

const char *ck_store_kind_name(unsigned mode)
{
	if (S_ISREG(mode))
		return NULL;
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	return "an unknown kind of file";
}

/* Open path read-only (following symbolic links), refusing what is not a regular file before
 * anything reads from it: a FIFO, socket, device or folder would block a read or make no
 * sense. */
static int local_open(const char *path, struct ck_file **out, struct ck_err *err)
{
	struct ck_file *f;
	struct stat st;
	const char *kind;
	int fd, flags;

	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENXIO)  /* a socket (or a device without its driver) */
			return ck_error(err, CK_EKIND, "%s: is a socket or device, not a file", path);
		return ck_syserr(err, errno, "%s", path);
	}
	if (fstat(fd, &st) < 0) {
		int rc = ck_syserr(err, errno, "%s", path);
		close(fd);
		return rc;
	}
	kind = ck_store_kind_name(st.st_mode);
	if (kind) {
		close(fd);
		return ck_error(err, CK_EKIND, "%s: is %s, not a file", path, kind);
	}
	/* Regular files never block, but a later fcntl user should see the usual flags. */
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	f = xcalloc(1, sizeof(*f));
	f->ops = &local_ops;
	f->name = xstrdup(path);
	f->size = (uint64_t)st.st_size;
	f->mtime = (int64_t)st.st_mtime;
	f->fd = fd;
	*out = f;
	return 0;
}

/* ---- file.h ---- */

int ck_file_open(const char *path, struct ck_file **out, struct ck_err *err)
{
	*out = NULL;
	if (ck_store_is_remote(path))
		return ck_remote_backend.open(path, out, err);
	return local_open(path, out, err);
}

int ck_file_read_exact(struct ck_file *f, void *p, size_t n, uint64_t off, struct ck_err *err)
{
	long long got = ck_file_pread(f, p, n, off, err);

	if (got < 0)
		return (int)got;
	if ((size_t)got != n)
		return ck_error(err, CK_ECORRUPT, "%s: truncated: %zu bytes at offset %llu, the file "
				"ends after %llu", f->name, n, (unsigned long long)off,
				(unsigned long long)(off + (uint64_t)got));
	return 0;
}

void ck_file_advise(struct ck_file *f, uint64_t off, uint64_t n)
{
	if (f->ops->advise)
		f->ops->advise(f, off, n);
}

void ck_file_close(struct ck_file *f)
{
	if (f)
		f->ops->close(f);
}

int ck_store_stat(const char *path, struct ck_stat *st, struct ck_err *err)
{
	struct stat sb;

	memset(st, 0, sizeof(*st));
	if (ck_store_is_remote(path))
		return ck_remote_backend.stat(path, st, err);
	if (stat(path, &sb) < 0) {
		st->kind = CK_STORE_MISSING;
		st->mtime = -1;
		if (errno == ENOENT)
			return 0;
		return ck_syserr(err, errno, "%s", path);
	}
	st->kind = S_ISREG(sb.st_mode) ? CK_STORE_FILE : S_ISDIR(sb.st_mode) ? CK_STORE_FOLDER
		 : CK_STORE_OTHER;
	st->size = (uint64_t)sb.st_size;
	st->mtime = (int64_t)sb.st_mtime;
	st->mode = (unsigned)sb.st_mode;
	st->dev = (uint64_t)sb.st_dev;
	st->ino = (uint64_t)sb.st_ino;
	return 0;
}

int ck_store_list(const char *folder, int (*fn)(void *arg, const char *name), void *arg,
		  struct ck_err *err)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (ck_store_is_remote(folder))
		return ck_remote_backend.list(folder, fn, arg, err);
	d = opendir(folder);
	if (!d)
		return ck_syserr(err, errno, "%s", folder);
	while (!rc && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rc = fn(arg, de->d_name);
	closedir(d);
	return rc;
}

struct glob_walk {
	const char *dir, *pat;  /* dir: the pattern up to and with its last '/' */
	size_t ndir;
	char **paths;
	size_t n;
};

static int glob_entry(void *arg, const char *name)
{
	struct glob_walk *g = arg;

	if (fnmatch(g->pat, name, FNM_PERIOD) == 0) {
		g->paths = xreallocarray(g->paths, g->n + 1, sizeof(char *));
		g->paths[g->n++] = xasprintf("%.*s%s", (int)g->ndir, g->dir, name);
	}
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A URL's "folder" is listed by the remote backend and its names matched here. */
static int glob_listed(const char *pattern, char ***out, size_t *n, struct ck_err *err)
{
	const char *slash = strrchr(pattern, '/');
	struct glob_walk g = { pattern, slash + 1, (size_t)(slash + 1 - pattern), NULL, 0 };
	char *dir = xmemdup(pattern, g.ndir);
	int rc;

	dir[g.ndir] = 0;
	rc = ck_store_list(dir, glob_entry, &g, err);
	free(dir);
	if (rc < 0) {
		ck_store_glob_free(g.paths, g.n);
		return rc;
	}
	sort_array(g.paths, g.n, sizeof(char *), cmp_path); /* paths is NULL when none matched */
	*out = g.paths;
	*n = g.n;
	return 0;
}

/* A V1 sharded save's pattern "P-?????-of-NNNNN" names its files outright: where a folder
 * cannot be listed (an https server; a GCS emulator without listings), each is asked for.
 * Returns 1 and the paths when pattern is one, else 0. */
static int glob_shards(const char *pattern, char ***out, size_t *n, struct ck_err *err)
{
	static const char mark[] = "-\?\?\?\?\?-of-";
	const char *m = strstr(pattern, mark);
	size_t plen = m ? (size_t)(m - pattern) : 0;
	struct ck_stat st;
	long total;
	char *end;

	if (!m || strlen(m) != sizeof(mark) - 1 + 5 || strpbrk(m + sizeof(mark) - 1, "*?["))
		return 0;
	total = strtol(m + sizeof(mark) - 1, &end, 10);
	if (*end || total < 1 || total > 1000)
		return 0;
	*out = xcalloc((size_t)total + 1, sizeof(char *));
	for (long i = 0; i < total; i++) {
		char *path = xasprintf("%.*s-%05ld-of-%05ld", (int)plen, pattern, i, total);
		if (ck_store_stat(path, &st, err) == 0 && st.kind == CK_STORE_FILE)
			(*out)[(*n)++] = path;
		else
			free(path);
	}
	return 1;
}

int ck_store_glob(const char *pattern, char ***out, size_t *n, struct ck_err *err)
{
	glob_t g;
	int gr;

	*out = NULL;
	*n = 0;
	if (ck_store_is_remote(pattern)) {
		int rc = glob_listed(pattern, out, n, err);
		if (rc < 0 && glob_shards(pattern, out, n, err))
			return 0;
		return rc;
	}
	gr = glob(pattern, 0, NULL, &g);
	if (gr == GLOB_NOMATCH) {
		globfree(&g);
		return 0;
	}
	if (gr != 0) {
		globfree(&g);
		return ck_error(err, CK_EIO, "%s: cannot list the files of this pattern", pattern);
	}
	*out = xcalloc(g.gl_pathc + 1, sizeof(char *));
	for (size_t i = 0; i < g.gl_pathc; i++)
		(*out)[i] = xstrdup(g.gl_pathv[i]);
	*n = g.gl_pathc;
	globfree(&g);
	return 0;
}

void ck_store_glob_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

static int too_large(const char *name, size_t max, struct ck_err *err)
{
	return ck_error(err, CK_EUSAGE, "%s: larger than %zu bytes", name, max);
}

static int read_fd(int fd, const char *name, size_t max, struct buf *out, struct ck_err *err)
{
	size_t start = out->len;
	struct stat st;
	int rc = 0;

	/* A regular file says its size: refuse a huge one before reading a byte of it. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > max)
		return too_large(name, max, err);
	for (;;) {
		ssize_t n;

		buf_grow(out, 65536 + 1);
		n = read(fd, out->p + out->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ck_syserr(err, errno, "%s", name);
			break;
		}
		if (n == 0)
			break;
		out->len += (size_t)n;
		if (out->len - start > max) {
			rc = too_large(name, max, err);
			break;
		}
	}
	if (rc < 0)
		out->len = start;  /* nothing half-read is kept */
	if (out->p)
		out->p[out->len] = 0;
	return rc;
}

/* A URL is fetched through ck_file_open, as any remote input. */
static int read_all_file(const char *path, size_t max, struct buf *out, struct ck_err *err)
{
	struct ck_file *f;
	int rc = ck_file_open(path, &f, err);

	if (rc < 0)
		return rc;
	if (f->size > max) {
		rc = too_large(path, max, err);
	} else {
		buf_grow(out, (size_t)f->size + 1);
		rc = ck_file_read_exact(f, out->p + out->len, (size_t)f->size, 0, err);
		if (rc == 0)
			out->len += (size_t)f->size;
		out->p[out->len] = 0;
	}
	ck_file_close(f);
	return rc;
}

int ck_store_read_all(const char *path, size_t max, struct buf *out, struct ck_err *err)
{
	int fd, rc;

	if (ck_store_is_remote(path))
		return read_all_file(path, max, out, err);
	/* A blocking open: a FIFO named here is read once its writer comes, like cat(1) would. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ck_syserr(err, errno, "%s", path);
	rc = read_fd(fd, path, max, out, err);
	close(fd);
	return rc;
}
