/* Writing an output file through a temporary name, fsync and rename (see outfile.h). */
#include "store/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "store/outguard.h"

uint64_t ck_random_u64(void)
{
	uint64_t r = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &r, sizeof(r)) != (ssize_t)sizeof(r))
			r = 0;
		close(fd);
	}
	if (!r) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		r = (uint64_t)ts.tv_nsec * 6364136223846793005ull ^ (uint64_t)ts.tv_sec ^
		    (uint64_t)getpid() << 32;
	}
	return r;
}

char *ck_outfile_tmp_name(const char *path)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	uint64_t r = ck_random_u64();
	char x[7];

	for (int i = 0; i < 6; i++, r /= 62)
		x[i] = set[r % 62];
	x[6] = 0;
	return xasprintf("%s.tmp%s", path, x);
}

static int create_exclusive(struct ck_outfile *f, struct ck_err *err)
{
	mode_t mask;

	/* O_EXCL: a name that exists (a symbolic link planted there included) is never opened. */
	f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (f->fd < 0)
		return errno == EEXIST ? ck_error(err, CK_EEXIST, "%s: exists", f->tmp)
				       : ck_syserr(err, errno, "%s", f->tmp);
	/* open() applied the umask already; fchmod makes it exact where a default ACL differs. */
	mask = umask(0);
	umask(mask);
	fchmod(f->fd, 0666 & ~mask);
	return 0;
}

int ck_outfile_create(struct ck_outfile *f, const char *path, char *tmp, struct ck_err *err)
{
	int rc, tries = tmp ? 1 : 100;

	f->fd = -1;
	f->path = xstrdup(path);
	f->tmp = tmp;
	do {
		if (!tmp) {
			free(f->tmp);
			f->tmp = ck_outfile_tmp_name(path);
		}
		rc = create_exclusive(f, err);
	} while (rc == CK_EEXIST && --tries > 0);
	if (rc < 0) {
		free(f->tmp);
		f->tmp = NULL;  /* not ours to remove */
		ck_outfile_abort(f);
	}
	return rc;
}

int ck_outfile_write(struct ck_outfile *f, const void *p, size_t n, struct ck_err *err)
{
	if (write_full(f->fd, p, n) < 0)
		return ck_syserr(err, errno, "%s", f->tmp);
	return 0;
}

#define EXT4_MAGIC 0xEF53  /* statfs f_type of ext2/3/4 (linux/magic.h) */

void ck_outfile_reserve(struct ck_outfile *f, uint64_t n)
{
	struct statfs st;

	if (f->fd >= 0 && n && n <= INT64_MAX && fstatfs(f->fd, &st) == 0 && st.f_type == EXT4_MAGIC)
		(void)fallocate(f->fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)n);
}

int ck_outfile_close(struct ck_outfile *f, int flags, struct ck_err *err)
{
	int rc = 0;

	if (f->fd < 0)
		return 0;
	if ((!(flags & CK_OUT_NO_SYNC) && fsync(f->fd) < 0) || close(f->fd) < 0)
		rc = ck_syserr(err, errno, "%s", f->tmp);
	else
		f->fd = -1;
	if (rc < 0 && f->fd >= 0) {  /* fsync failed: the descriptor is still open */
		close(f->fd);
		f->fd = -1;
	}
	return rc;
}

int ck_outfile_rename(struct ck_outfile *f, int flags, struct ck_err *err)
{
	if ((flags & CK_OUT_FORCE ? rename(f->tmp, f->path) : rename_noreplace(f->tmp, f->path)) < 0)
		return errno == EEXIST
			? ck_error(err, CK_EEXIST, "%s: already exists (use --force to replace it)",
				   f->path)
			: ck_syserr(err, errno, "%s", f->path);
	free(f->tmp);
	f->tmp = NULL;
	return 0;
}

int ck_outfile_commit(struct ck_outfile *f, int flags, struct ck_err *err)
{
	int rc = ck_outfile_close(f, flags, err);

	if (!rc)
		rc = ck_outfile_rename(f, flags, err);
	if (!rc && !(flags & CK_OUT_NO_SYNC))
		rc = sync_folder_of(f->path, err);
	ck_outfile_abort(f);
	return rc;
}

void ck_outfile_abort(struct ck_outfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->tmp)
		unlink(f->tmp);
	free(f->tmp);
	free(f->path);
	f->fd = -1;
	f->tmp = f->path = NULL;
}

/* Unlinks tmp and every "<tmp>.*" beside it: libzip, when it closes an archive, writes it to
 * a temporary name of its own made that way. Raw getdents64 into a stack buffer, because a
 * signal handler must not allocate (opendir does). */
void ck_outfile_unlink_signal(const char *tmp)
{
	char dir[4096], buf[8192];
	const char *slash = strrchr(tmp, '/'), *base = slash ? slash + 1 : tmp;
	size_t nbase = strlen(base), ndir = slash ? (size_t)(slash - tmp) : 1;
	long n;
	int fd;

	unlink(tmp);
	if (ndir >= sizeof(dir))
		return;
	memcpy(dir, slash ? tmp : ".", ndir);
	dir[ndir] = 0;
	if (slash && !ndir)
		strcpy(dir, "/");
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long at = 0; at < n;) {
			struct dirent64_raw {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (struct dirent64_raw *)(buf + at);
			if (!strncmp(d->name, base, nbase) && d->name[nbase] == '.')
				unlinkat(fd, d->name, 0);
			at += d->reclen;
		}
	}
	close(fd);
}

int ck_outfile_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}
