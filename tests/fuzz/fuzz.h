/* Shared helpers of the libFuzzer targets: a private scratch folder on tmpfs and whole-file
 * writes, so that targets can hand the library real paths (it reads files, not buffers). */
#ifndef CKPT_FUZZ_H
#define CKPT_FUZZ_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crc32c.h"
#include "base/cursor.h"
#include "base/util.h"

static char fuzz_root[256];

static inline int fuzz_rm1(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

/* rm -rf without a shell: removes links, not what they point to. */
static inline void fuzz_rmtree(const char *dir)
{
	nftw(dir, fuzz_rm1, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void fuzz_cleanup(void)
{
	if (fuzz_root[0])
		fuzz_rmtree(fuzz_root);
}

/* A folder private to this process, removed at exit. /dev/shm keeps the file I/O in memory.
 * libFuzzer leaves by _Exit on a crash or timeout, so folders of dead fuzzers (named by
 * process id) are removed here too. */
static inline const char *fuzz_dir(void)
{
	if (!fuzz_root[0]) {
		const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		DIR *d = opendir(base);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			int pid;
			char end;
			if (sscanf(de->d_name, "ckpt-fuzz.%d%c", &pid, &end) == 1 && pid > 0 &&
			    kill(pid, 0) < 0 && errno == ESRCH) {
				char *old = xasprintf("%s/%s", base, de->d_name);
				fuzz_rmtree(old);
				free(old);
			}
		}
		if (d)
			closedir(d);
		snprintf(fuzz_root, sizeof(fuzz_root), "%s/ckpt-fuzz.%d", base, (int)getpid());
		fuzz_rmtree(fuzz_root);
		if (mkdir(fuzz_root, 0700) < 0) {
			perror(fuzz_root);
			abort();
		}
		atexit(fuzz_cleanup);
	}
	return fuzz_root;
}

/* Write n bytes to path, replacing it; aborts on failure (the harness, not the target, broke). */
static inline void fuzz_write(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write_full(fd, p, n) < 0 || close(fd) < 0) {
		perror(path);
		abort();
	}
}

/* Write when possible: the path may be a folder or a dangling link's odd target. */
static inline void fuzz_write_soft(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd >= 0) {
		if (write_full(fd, p, n) < 0)
			abort();
		close(fd);
	}
}

/* Read a little-endian 32-bit length from the input, if there is one. */
static inline uint32_t fuzz_take32(const uint8_t **p, size_t *n)
{
	uint32_t v = 0;

	for (int i = 0; i < 4 && *n; i++, (*p)++, (*n)--)
		v |= (uint32_t)**p << (8 * i);
	return v;
}

/* Recompute the trailer checksum of the block at (off, size), if it lies inside the file. */
static inline void fuzz_fix_block(uint8_t *p, size_t n, uint64_t off, uint64_t size)
{
	if (size > n || off > n - size || n - off - size < 5)
		return;
	uint32_t crc = crc32c_mask(crc32c(p + off, (size_t)size + 1));
	for (int i = 0; i < 4; i++)
		p[off + size + 1 + i] = (uint8_t)(crc >> (8 * i));
}

/* Mutated tables almost never get past their block checksums, and then the parsers behind
 * them are never fuzzed. Repair the checksums of the index block (from the footer) and of the
 * data blocks its entries name. A harness helper only: a parse that fails here just leaves
 * the bytes as they are. Some inputs (size % 7 == 0) keep their checksums as mutated. */
static inline void fuzz_fix_table(uint8_t *p, size_t n)
{
	struct cursor c;
	uint64_t moff, msize, ioff, isize;

	if (n < 48 || n % 7 == 0)
		return;
	c = cursor_make(p + n - 48, 40);
	if (cursor_varint64(&c, &moff) || cursor_varint64(&c, &msize) ||
	    cursor_varint64(&c, &ioff) || cursor_varint64(&c, &isize))
		return;
	fuzz_fix_block(p, n, moff, msize);
	if (isize > n || ioff > n - isize || n - ioff - isize < 5 || isize < 4 || p[ioff + isize])
		return;
	/* Walk the (uncompressed) index block's entries: each value is a block handle. */
	{
		const uint8_t *blk = p + ioff;
		uint32_t nr = load_le32(blk + isize - 4);
		uint64_t end = nr <= (isize - 4) / 4 ? isize - 4 - 4 * (uint64_t)nr : 0;
		uint32_t shared, nonshared, vlen;
		uint64_t boff, bsize;
		const uint8_t *key, *val;

		c = cursor_make(blk, (size_t)end);
		while (c.n) {
			if (cursor_varint32(&c, &shared) || cursor_varint32(&c, &nonshared) ||
			    cursor_varint32(&c, &vlen) || cursor_bytes(&c, nonshared, &key) ||
			    cursor_bytes(&c, vlen, &val))
				break;
			struct cursor h = cursor_make(val, vlen);
			if (cursor_varint64(&h, &boff) || cursor_varint64(&h, &bsize))
				break;
			fuzz_fix_block(p, n, boff, bsize);
		}
	}
	fuzz_fix_block(p, n, ioff, isize);
}

/* Write a table file with its checksums repaired (a copy of the input is changed). */
static inline void fuzz_write_table(const char *path, const uint8_t *p, size_t n)
{
	uint8_t *copy = xmemdup(p, n);

	fuzz_fix_table(copy, n);
	fuzz_write(path, copy, n);
	free(copy);
}

#endif
