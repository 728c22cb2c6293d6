/* The store: the one way ckpt reaches the bytes of an input, wherever it lives.
 *
 * A path is a local file name or a URL (https://, http://, s3://BUCKET/KEY, gs://BUCKET/KEY).
 * Every reader opens its inputs through ck_file_open and reads them with ck_file_pread, and
 * path resolution asks ck_store_stat and ck_store_list, so no format or engine code calls
 * open(), stat() or pread() on a path itself, and a remote checkpoint is read the way a local
 * one is: one range at a time, only the bytes a command needs.
 *
 * Backends fill struct ck_file_ops: the local one (store/file.c) over a descriptor, the remote
 * one (store/remote.c) over HTTP range requests. */
#ifndef CKPT_STORE_FILE_H
#define CKPT_STORE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"

struct ck_file;

struct ck_file_ops {
	/* Read up to n bytes at off into p: the count read (less than n only at the end of the
	 * file) or a negative ck code with err filled. May be called from several threads at
	 * once on one file. */
	long long (*pread)(struct ck_file *f, void *p, size_t n, uint64_t off, struct ck_err *err);
	/* Say that [off, off + n) will be read soon, in order (a local file's readahead, a remote
	 * file's larger ranges); n == 0 means to the end of the file. May be NULL. */
	void (*advise)(struct ck_file *f, uint64_t off, uint64_t n);
	void (*close)(struct ck_file *f);
};

struct ck_file {
	const struct ck_file_ops *ops;
	char *name;      /* as the user wrote it, a URL without credentials: for messages */
	uint64_t size;
	int64_t mtime;   /* seconds since the epoch, or -1 when the store does not say */
	int fd;          /* a local file's descriptor (for copy_file_range, fadvise), else -1 */
};

/* The backend of a kind of path other than local files: the remote one (store/remote.c) serves
 * URLs. file.c sends a URL to it through this table rather than an include, since the backend
 * itself is built on this header. */
struct ck_stat;
struct ck_store_backend {
	int (*open)(const char *path, struct ck_file **out, struct ck_err *err);
	int (*stat)(const char *path, struct ck_stat *st, struct ck_err *err);
	int (*list)(const char *folder, int (*fn)(void *arg, const char *name), void *arg,
		    struct ck_err *err);
};
extern const struct ck_store_backend ck_remote_backend;

/* Open path for reading. A local path must be a regular file: a FIFO, device or folder is
 * CK_EKIND ("PATH: is a FIFO, not a file"), without blocking on a FIFO; a missing file is
 * CK_ENOTFOUND. A URL is opened by the remote backend (CK_EUNSUP when it cannot be loaded).
 * Returns 0 and *out (close it with ck_file_close), or a negative ck code with err filled. */
int ck_file_open(const char *path, struct ck_file **out, struct ck_err *err);

static inline long long ck_file_pread(struct ck_file *f, void *p, size_t n, uint64_t off,
				      struct ck_err *err)
{
	return f->ops->pread(f, p, n, off, err);
}

/* Read exactly n bytes at off: a short read is CK_ECORRUPT ("NAME: truncated ..."). */
int ck_file_read_exact(struct ck_file *f, void *p, size_t n, uint64_t off, struct ck_err *err);

void ck_file_advise(struct ck_file *f, uint64_t off, uint64_t n);

/* Close f (NULL is allowed). */
void ck_file_close(struct ck_file *f);

/* 1 when path names a remote object (a URL of a scheme the store knows), else 0. */
int ck_store_is_remote(const char *path);

/* 0 when folders under path cannot be listed (an http(s) server's: they are known only by
 * their `checkpoint` state file), else 1 (local folders, S3 and GCS prefixes). */
int ck_store_can_list(const char *path);

enum ck_store_kind { CK_STORE_MISSING, CK_STORE_FILE, CK_STORE_FOLDER, CK_STORE_OTHER };

struct ck_stat {
	enum ck_store_kind kind;
	uint64_t size;
	int64_t mtime;   /* -1 when unknown */
	unsigned mode;   /* a local file's st_mode, 0 for a remote one */
	uint64_t dev, ino; /* a local file's device and inode (is it the same file), 0 remote */
};

/* "a FIFO", "a directory", ... for what a local st_mode names when it is not a regular file
 * (the words of "PATH: is a FIFO, not a file"); NULL for a regular file. */
const char *ck_store_kind_name(unsigned mode);

/* What path is, following symbolic links. A path that does not exist is not an error: it is
 * kind CK_STORE_MISSING (returns 0); one below a file ("FILE/x", ENOTDIR) is CK_ENOTFOUND with
 * the system's words, as stat(2) says it. A remote "folder" is a URL ending in '/' (or a prefix
 * with objects under it). Returns 0 or a negative ck code (permission, network). */
int ck_store_stat(const char *path, struct ck_stat *st, struct ck_err *err);

/* Call fn(arg, name) for each entry directly in folder (names relative to it, no "." or "..",
 * in no particular order); fn returns 0 to go on, anything else stops the walk and is
 * returned. A remote folder is listed by the store's listing (S3 ListObjectsV2) where it has
 * one, else CK_EUNSUP. */
int ck_store_list(const char *folder, int (*fn)(void *arg, const char *name), void *arg,
		  struct ck_err *err);

/* The paths that match pattern (glob(3) wildcards *, ? and [...]; in a URL only in its last
 * component), sorted, each as pattern's folder part followed by the name. No match is no
 * error: *n = 0. Returns 0 with *out (free it with ck_store_glob_free), or a negative ck code
 * (CK_EIO "PATTERN: cannot list the files of this pattern"). Where a URL's folder cannot be
 * listed, a V1 shard pattern "P-?????-of-NNNNN" still finds its shards, each asked for. */
int ck_store_glob(const char *pattern, char ***out, size_t *n, struct ck_err *err);
void ck_store_glob_free(char **paths, size_t n);

/* Read all of a small file (a rules file, a list of names) into out (appended, NUL-kept
 * after the bytes), refusing one over max bytes (CK_EUSAGE, "PATH: larger than N bytes").
 * Unlike ck_file_open, a local FIFO or pipe is read to its end: the user named it, as in
 * `--names <(cmd)`. On failure out is as it was. */
int ck_store_read_all(const char *path, size_t max, struct buf *out, struct ck_err *err);

#endif
