/* Outputs that must not be written: the run's inputs, and names another writer holds. */
#include "store/outguard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "format/v1.h"

struct input_file {
	dev_t dev;
	ino_t ino;
	char *path;
};

/* Files known by device and inode, and V2 checkpoints whose data files are not stat()ed
 * until an output name is found to exist: a header may declare 10^6 shards, and most runs
 * write only new names, which need no comparison at all. */
static struct input_file *inputs;
static size_t ninputs, inputs_cap;
static int inputs_sorted;
struct input_bundle {
	char *prefix;
	int num_shards;
};
static struct input_bundle *pending;
static size_t npending;

static void add_id(const struct stat *st, const char *path)
{
	if (ninputs == inputs_cap) {
		inputs_cap = inputs_cap ? 2 * inputs_cap : 16;
		inputs = xreallocarray(inputs, inputs_cap, sizeof(*inputs));
	}
	inputs[ninputs].dev = st->st_dev;
	inputs[ninputs].ino = st->st_ino;
	inputs[ninputs].path = xstrdup(path);
	ninputs++;
	inputs_sorted = 0;
}

void outguard_add_input(const char *path)
{
	struct stat st;

	if (stat(path, &st) == 0)
		add_id(&st, path);
}

void outguard_add_bundle(const struct bundle *b)
{
	if (!b)
		return;
	if (b->format == 1) {
		for (int i = 0; i < b->num_shards; i++)
			outguard_add_input(v1_file_path(b, i));
		return;
	}
	outguard_add_input(b->index_path);
	pending = xreallocarray(pending, npending + 1, sizeof(*pending));
	pending[npending].prefix = xstrdup(b->prefix);
	pending[npending].num_shards = b->num_shards;
	npending++;
}

void outguard_reset(void)
{
	for (size_t i = 0; i < ninputs; i++)
		free(inputs[i].path);
	for (size_t i = 0; i < npending; i++)
		free(pending[i].prefix);
	free(inputs);
	free(pending);
	inputs = NULL;
	pending = NULL;
	ninputs = inputs_cap = npending = 0;
}

static int cmp_id(const void *a, const void *b)
{
	const struct input_file *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino ? 1 : 0;
}

/* Turn the pending checkpoints' data files into ids (once), and sort for lookups. */
static void resolve_inputs(void)
{
	for (size_t k = 0; k < npending; k++) {
		for (int i = 0; i < pending[k].num_shards; i++) {
			char *p = bundle_data_path(pending[k].prefix, i, pending[k].num_shards);
			outguard_add_input(p);
			free(p);
		}
		free(pending[k].prefix);
	}
	npending = 0;
	if (!inputs_sorted) {
		sort_array(inputs, ninputs, sizeof(*inputs), cmp_id);
		inputs_sorted = 1;
	}
}

/* 1 when a and b name one directory entry: the same name in the same folder, however each
 * path spells the folder. */
static int same_entry(const char *a, const char *b)
{
	char *da = path_folder(a), *db = path_folder(b);
	struct stat sa, sb;
	int same = !strcmp(path_base(a), path_base(b)) && stat(da, &sa) == 0 &&
		   stat(db, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;

	free(da);
	free(db);
	return same;
}

static int check(const char *path, int links_ok, struct ck_err *err)
{
	struct input_file key, *hit;
	struct stat st;

	/* stat follows symbolic links (the link's target is what a careless write would hit);
	 * a name that does not exist yet cannot be an input. */
	if ((!ninputs && !npending) || stat(path, &st) < 0)
		return 0;
	resolve_inputs();
	key.dev = st.st_dev;
	key.ino = st.st_ino;
	hit = ninputs ? bsearch(&key, inputs, ninputs, sizeof(*inputs), cmp_id) : NULL;
	if (hit && links_ok && lstat(path, &st) == 0 && !S_ISLNK(st.st_mode)) {
		/* Every file of that inode is the input; only its own name is refused. */
		for (struct input_file *e = inputs; e < inputs + ninputs; e++)
			if (e->dev == key.dev && e->ino == key.ino && same_entry(path, e->path))
				goto refuse;
		return 0;
	}
	if (hit) {
	refuse:;  /* C11 allows no declaration right after a label (clang refuses one) */
		int same_name = !strcmp(path, hit->path);
		return ck_error(err, CK_EUSAGE,
				"%s: is %s%s; ckpt never writes over its inputs, even with --force: "
				"choose another output name",
				path, same_name ? "an input file" : "the input file ",
				same_name ? "" : hit->path);
	}
	return 0;
}

int outguard_check(const char *path, struct ck_err *err)
{
	return check(path, 0, err);
}

int outguard_check_replaced(const char *path, struct ck_err *err)
{
	return check(path, 1, err);
}

/* ---- locks ---- */

/* Lock files held, for the signal handler (which must not allocate or walk a list being
 * changed: a fixed array of pointers, each set or cleared in one store). */
#define MAX_HELD 8
static char *volatile held[MAX_HELD];

static void held_set(char *path, char *value)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (held[i] == path) {
			held[i] = value;
			return;
		}
}

void outlock_cleanup_signal(void)
{
	for (int i = 0; i < MAX_HELD; i++)
		if (held[i])
			unlink(held[i]);
}

/* The holder's process id as written in the lock file, or 0. */
static long lock_owner(int fd)
{
	char s[32];
	ssize_t n = pread(fd, s, sizeof(s) - 1, 0);

	if (n <= 0)
		return 0;
	s[n] = 0;
	return strtol(s, NULL, 10);
}

int outlock_take(struct outlock *l, const char *target, struct ck_err *err)
{
	char pid[24];
	int rc = 0;

	l->fd = -1;
	l->path = xasprintf("%s.lock", target);
	/* A holder removes its file before it lets go of the lock, so a file we lock may already
	 * be unlinked: then the lock is worth nothing and we try again on the new file. */
	for (int tries = 0; tries < 100; tries++) {
		struct stat a, b;
		int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);

		if (fd < 0) {
			rc = ck_syserr(err, errno, "%s: cannot create the output's lock file", l->path);
			goto fail;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			int e = errno;
			long owner = e == EWOULDBLOCK ? lock_owner(fd) : 0;
			close(fd);
			if (e != EWOULDBLOCK) {
				rc = ck_syserr(err, e, "%s: cannot lock", l->path);
				goto fail;
			}
			if (owner > 0)
				rc = ck_error(err, CK_EEXIST,
					      "%s: another ckpt (process %ld) is writing %s; "
					      "wait for it to finish, or write elsewhere",
					      l->path, owner, target);
			else
				rc = ck_error(err, CK_EEXIST,
					      "%s: another ckpt is writing %s; wait for it to finish, "
					      "or write elsewhere",
					      l->path, target);
			goto fail;
		}
		if (fstat(fd, &a) == 0 && stat(l->path, &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			l->fd = fd;
			break;
		}
		close(fd);
	}
	if (l->fd < 0) {
		rc = ck_error(err, CK_EIO, "%s: the lock file keeps changing", l->path);
		goto fail;
	}
	held_set(NULL, l->path);
	snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(l->fd, 0) < 0 || pwrite(l->fd, pid, strlen(pid), 0) < 0) {
		rc = ck_syserr(err, errno, "%s", l->path);
		outlock_release(l);
		return rc;
	}
	return 0;
fail:
	free(l->path);
	l->path = NULL;
	return rc;
}

void outlock_release(struct outlock *l)
{
	if (l->path && l->fd >= 0) {  /* a zeroed struct holds nothing */
		held_set(l->path, NULL);
		unlink(l->path);  /* before the lock goes: see outlock_take */
		close(l->fd);
	}
	free(l->path);
	l->path = NULL;
	l->fd = -1;
}

int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	/* No RENAME_NOREPLACE here: link() never replaces either. */
	if (link(from, to) < 0)
		return -1;
	unlink(from);
	return 0;
}

int sync_folder_of(const char *path, struct ck_err *err)
{
	char *dir = path_folder(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc = 0;

	if (fd >= 0) {
		if (fsync(fd) < 0 && errno != EINVAL)
			rc = ck_syserr(err, errno, "%s: fsync", dir);
		close(fd);
	}
	free(dir);
	return rc;
}
