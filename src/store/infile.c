/* Opening input files: refuse what is not a regular file before anything reads from it. */
#include "store/infile.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

const char *infile_kind(mode_t mode)
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

int infile_open(const char *path, struct stat *st, struct ck_err *err)
{
	struct stat tmp;
	const char *kind;
	int fd, flags;

	if (!st)
		st = &tmp;
	/* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENXIO)  /* a socket (or a device without its driver) */
			return ck_error(err, CK_EKIND, "%s: is a socket or device, not a file", path);
		return ck_syserr(err, errno, "%s", path);
	}
	if (fstat(fd, st) < 0) {
		int rc = ck_syserr(err, errno, "%s", path);
		close(fd);
		return rc;
	}
	kind = infile_kind(st->st_mode);
	if (kind) {
		close(fd);
		return ck_error(err, CK_EKIND, "%s: is %s, not a file", path, kind);
	}
	/* Regular files never block, but a later fcntl user should see the usual flags. */
	flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	return fd;
}
