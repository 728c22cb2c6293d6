/* V2 bundle writer (see bundle_writer.h for the write protocol). */
#include "format/bundle_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/crc32c.h"
#include "base/par.h"
#include "base/pool.h"
#include "store/file.h"
#include "store/outfile.h"
#include "store/outguard.h"
#include "format/dtype.h"
#include "format/slicekey.h"
#include "format/table.h"
#include "tensor_bundle.pb-c.h"

struct wshard {
	struct ck_outfile out;  /* out.fd, out.tmp: the temporary file (store/outfile.h) */
	char *final;
	uint64_t length;
	int linked;   /* tmp is a hard link to an input's file: never write to it */
};

/* A copy bundle_writer_copy queued for the helper thread. */
struct bw_copy {
	int shard;
	struct ck_file *src;
	uint64_t off, n;
	const char *name;
};

struct bundle_writer {
	char *prefix;
	struct ck_outfile index;  /* index.tmp named at open, the file created at finish */
	char *index_final;
	int num_shards, flags;
	int big_endian;
	uint64_t tag;
	char *check_dir;              /* symlinks for the re-read check, while it exists */
	char **check_links;
	int ncheck_links;
	struct wshard *shards;
	struct bundle_entry *entries;
	size_t n, cap;
	/* Entries the caller holds in key order (bundle_writer_add_sorted), merged with the
	 * entries above at finish. */
	size_t nsorted;
	void (*get)(void *ctx, size_t i, struct bundle_entry *e);
	void *get_ctx;
	struct pool names;            /* the entries' names, dims and slices: one malloc per
	                               * 256 KiB, not three per entry */
	int status;
	struct ck_err err;
	/* Copies from local files, done in order on the helper thread (par_start) while the
	 * caller goes on, the index written meanwhile: on (e), the copy is half of a subset.
	 * Every other use of the shards first waits for them (copies_wait). */
	pthread_mutex_t qmu;          /* guards the queue and the copy_ fields */
	pthread_cond_t qdone;         /* a queued copy is done */
	struct bw_copy *queue;
	size_t qhead, qn, qcap;
	uint64_t qbytes;              /* bytes queued and not yet copied */
	int qrunning;                 /* copy_job is on the helper */
	int qstarted;                 /* par_start called, par_wait not yet */
	int copy_rc;
	struct ck_err copy_err;
	struct outlock lock;         /* on the prefix, from open to finish or abort */
	struct bundle_writer *next;  /* registry of open writers, for signal cleanup */
};

/* Open writers, so that a signal handler can unlink their temporary files. */
static struct bundle_writer *volatile open_writers;

static void registry_add(struct bundle_writer *w)
{
	w->next = open_writers;
	open_writers = w;
}

static void registry_remove(struct bundle_writer *w)
{
	struct bundle_writer *volatile *p = &open_writers;

	while (*p && *p != w)
		p = &(*p)->next;
	if (*p)
		*p = w->next;
}

void bundle_writer_cleanup_signal(void)
{
	for (struct bundle_writer *w = open_writers; w; w = w->next) {
		for (int i = 0; i < w->num_shards; i++)
			if (w->shards[i].out.tmp)
				unlink(w->shards[i].out.tmp);
		if (w->index.tmp)
			unlink(w->index.tmp);
		for (int i = 0; i < w->ncheck_links; i++)
			if (w->check_links[i])
				unlink(w->check_links[i]);
		if (w->check_dir)
			rmdir(w->check_dir);
	}
}

/* Temporary names carry a tag whose high 32 bits are the writer's process id, so that a
 * later writer of the same prefix can tell the leftovers of a killed run (SIGKILL, power
 * loss) from the files of a writer still at work. */
static uint64_t make_tag(void)
{
	return (uint64_t)(uint32_t)getpid() << 32 | (ck_random_u64() & 0xffffffffu);
}

/* Is name (in prefix's folder) a temporary file of a writer of prefix that no longer runs?
 *   B.index.tempstate<T>   B.data-NNNNN-of-MMMMM.tempstate<T>   B.tempstate<T>.check/ */
static int stale_temp(const char *base, const char *name, int *is_dir)
{
	size_t bn = strlen(base);
	const char *t, *end;
	unsigned long long tag;
	char *stop;
	pid_t pid;

	if (strncmp(name, base, bn) || name[bn] != '.' || !(t = strstr(name + bn, ".tempstate")))
		return 0;
	if (strncmp(name + bn, ".index.", 7) && strncmp(name + bn, ".data-", 6) &&
	    t != name + bn)
		return 0;
	t += strlen(".tempstate");
	if (*t < '0' || *t > '9')
		return 0;
	errno = 0;
	tag = strtoull(t, &stop, 10);
	end = stop;
	*is_dir = t - strlen(".tempstate") == name + bn;  /* only the check folder looks so */
	if (errno || strcmp(end, *is_dir ? ".check" : ""))
		return 0;
	pid = (pid_t)(tag >> 32);
	/* Files of live writers (this one included) stay. A tag not made by make_tag (TF's are
	 * random) almost surely names no live process: such leftovers go too. */
	return pid != getpid() && (pid <= 0 || (kill(pid, 0) < 0 && errno == ESRCH));
}

struct stale_walk {
	const char *dir, *base;
};

/* The re-read check's folder holds only symbolic links. */
static int unlink_in(void *arg, const char *name)
{
	if (name[0] != '.') {
		char *link = xasprintf("%s/%s", (const char *)arg, name);
		unlink(link);
		free(link);
	}
	return 0;
}

static int remove_if_stale(void *arg, const char *name)
{
	struct stale_walk *s = arg;
	char *path;
	int is_dir;

	if (!stale_temp(s->base, name, &is_dir))
		return 0;
	path = xasprintf("%s/%s", s->dir, name);
	if (is_dir) {
		ck_store_list(path, unlink_in, path, NULL);
		rmdir(path);
	} else {
		unlink(path);
	}
	free(path);
	return 0;
}

/* Remove what killed writers of prefix left in its folder; best effort. */
static void remove_stale_temps(const char *prefix)
{
	char *dir = path_folder(prefix);
	struct stale_walk s = { dir, path_base(prefix) };

	ck_store_list(dir, remove_if_stale, &s, NULL);
	free(dir);
}

static void writer_free(struct bundle_writer *w);

/* No output name may be one of the run's inputs, --force or not (outguard.h). */
static int check_outputs(const struct bundle_writer *w, struct ck_err *err)
{
	int rc = outguard_check(w->index_final, err);

	for (int i = 0; !rc && i < w->num_shards; i++)
		rc = outguard_check_replaced(w->shards[i].final, err);
	return rc;
}

static int fail(struct bundle_writer *w, int rc)
{
	if (!w->status)
		w->status = rc;
	return w->status;
}

int bundle_writer_open(struct bundle_writer **out, const char *prefix, int num_shards, int flags,
		       struct ck_err *err)
{
	struct bundle_writer *w;
	char *dir;
	struct ck_stat st;
	uint64_t tag;
	int rc;

	*out = NULL;
	if (num_shards < 1 || num_shards > 99999)
		return ck_error(err, CK_EUSAGE, "cannot write %d data shards", num_shards);
	dir = path_folder(prefix);
	rc = ck_store_stat(dir, &st, err);
	if (rc == 0 && st.kind == CK_STORE_MISSING)
		rc = flags & BW_MKDIR ? make_dirs(dir, err) : ck_syserr(err, ENOENT, "%s", dir);
	if (rc < 0) {
		free(dir);
		return rc;
	} else if (st.kind != CK_STORE_FOLDER && st.kind != CK_STORE_MISSING) {
		rc = ck_error(err, CK_EUSAGE, "%s: not a folder", dir);
		free(dir);
		return rc;
	}
	free(dir);
	w = xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->qmu, NULL);
	pthread_cond_init(&w->qdone, NULL);
	w->prefix = xstrdup(prefix);
	w->num_shards = num_shards;
	w->flags = flags;
	w->lock.fd = -1;
	w->index.fd = -1;
	w->index_final = bundle_index_path(prefix);
	w->shards = xcalloc((size_t)num_shards, sizeof(*w->shards));
	for (int i = 0; i < num_shards; i++) {
		w->shards[i].out.fd = -1;
		w->shards[i].final = bundle_data_path(prefix, i, num_shards);
	}
	rc = check_outputs(w, err);
	if (!rc)
		rc = outlock_take(&w->lock, prefix, err);
	if (!rc && !(flags & BW_FORCE) && ck_outfile_exists(w->index_final))
		rc = ck_error(err, CK_EEXIST, "%s: already exists (use --force to replace it)",
			      w->index_final);
	if (rc) {
		writer_free(w);
		return rc;
	}
	remove_stale_temps(prefix);
	tag = make_tag();
	w->tag = tag;
	w->index.tmp = xasprintf("%s.index.tempstate%llu", prefix, (unsigned long long)tag);
	registry_add(w);
	for (int i = 0; i < num_shards; i++) {
		struct wshard *s = &w->shards[i];
		/* Named before it exists: the signal handler sees the name from now on. */
		s->out.tmp = xasprintf("%s.tempstate%llu", s->final, (unsigned long long)tag);
		rc = ck_outfile_create(&s->out, s->final, s->out.tmp, err);
		if (rc < 0) {
			bundle_writer_abort(w);
			return rc;
		}
	}
	*out = w;
	return 0;
}

/* On the helper thread: the queued copies, in order, until none is left. After a failure the
 * rest are dropped; the failure waits in copy_rc for copies_wait. */
static void copy_job(void *arg)
{
	struct bundle_writer *w = arg;
	struct ck_err err;

	pthread_mutex_lock(&w->qmu);
	while (w->qhead < w->qn) {
		struct bw_copy c = w->queue[w->qhead++];
		struct wshard *s = &w->shards[c.shard];
		int rc = 0, skip = w->copy_rc != 0;
		pthread_mutex_unlock(&w->qmu);
		if (!skip)
			rc = bundle_copy_range(c.src, c.off, s->out.fd, c.n, c.name, s->out.tmp, &err);
		pthread_mutex_lock(&w->qmu);
		if (rc < 0 && !w->copy_rc) {
			w->copy_rc = rc;
			w->copy_err = err;
		}
		w->qbytes -= c.n;
		pthread_cond_broadcast(&w->qdone);
	}
	w->qhead = w->qn = 0;
	w->qrunning = 0;
	pthread_mutex_unlock(&w->qmu);
}

static void copy_queue(struct bundle_writer *w, const struct bw_copy *c)
{
	int start;

	pthread_mutex_lock(&w->qmu);
	if (w->qn == w->qcap) {
		w->qcap = w->qcap ? 2 * w->qcap : 64;
		w->queue = xreallocarray(w->queue, w->qcap, sizeof(*w->queue));
	}
	w->queue[w->qn++] = *c;
	w->qbytes += c->n;
	start = !w->qrunning;
	w->qrunning = 1;
	pthread_mutex_unlock(&w->qmu);
	if (start) {
		w->qstarted = 1;
		par_start(copy_job, w);
	}
}

/* Wait for the queued copies; their failure becomes the writer's. */
static int copies_wait(struct bundle_writer *w)
{
	if (w->qstarted) {
		par_wait();
		w->qstarted = 0;
	}
	if (w->copy_rc && !w->status) {
		w->err = w->copy_err;
		w->status = w->copy_rc;
	}
	return w->status;
}

int bundle_writer_wait(struct bundle_writer *w, uint64_t ahead)
{
	if (!ahead)
		return copies_wait(w);
	pthread_mutex_lock(&w->qmu);
	while (w->qbytes > ahead && !w->copy_rc)
		pthread_cond_wait(&w->qdone, &w->qmu);
	pthread_mutex_unlock(&w->qmu);
	return w->status;
}

static int check_shard(struct bundle_writer *w, int shard)
{
	if (shard < 0 || shard >= w->num_shards)
		return fail(w, ck_error(&w->err, CK_EUSAGE, "shard %d out of range", shard));
	return 0;
}

void bundle_writer_expect(struct bundle_writer *w, int shard, uint64_t n)
{
	if (!w->status && !check_shard(w, shard) && !w->shards[shard].linked)
		ck_outfile_reserve(&w->shards[shard].out, n);
}

int bundle_writer_begin(struct bundle_writer *w, int shard, uint64_t *offset)
{
	if (w->status)
		return w->status;
	if (check_shard(w, shard))
		return w->status;
	*offset = w->shards[shard].length;
	return 0;
}

int bundle_writer_write(struct bundle_writer *w, int shard, const void *p, size_t n)
{
	struct wshard *s;

	if (copies_wait(w))
		return w->status;
	if (check_shard(w, shard))
		return w->status;
	s = &w->shards[shard];
	if (s->linked)
		return fail(w, ck_error(&w->err, CK_EUSAGE, "%s: shared with an input, cannot grow",
					s->out.tmp));
	if (write_full(s->out.fd, p, n) < 0)
		return fail(w, ck_syserr(&w->err, errno, "%s: write", s->out.tmp));
	s->length += n;
	return 0;
}

int bundle_writer_extend(struct bundle_writer *w, int shard, uint64_t n, uint64_t *offset)
{
	struct wshard *s;

	if (copies_wait(w) || bundle_writer_begin(w, shard, offset)) /* the fd's offset moves */
		return w->status;
	s = &w->shards[shard];
	if (s->linked)
		return fail(w, ck_error(&w->err, CK_EUSAGE, "%s: shared with an input, cannot grow",
					s->out.tmp));
	/* The next write(2) or copy_file_range goes after the room, filled or not yet. */
	if (lseek(s->out.fd, (off_t)(s->length + n), SEEK_SET) < 0)
		return fail(w, ck_syserr(&w->err, errno, "%s", s->out.tmp));
	s->length += n;
	return 0;
}

int bundle_writer_write_at(const struct bundle_writer *w, int shard, uint64_t off, const void *p,
			   size_t n)
{
	return pwrite_full(w->shards[shard].out.fd, p, n, off) < 0 ? errno : 0;
}

int bundle_writer_write_failed(struct bundle_writer *w, int shard, int errnum)
{
	return fail(w, ck_syserr(&w->err, errnum, "%s: write", w->shards[shard].out.tmp));
}

int bundle_writer_shard_fd(struct bundle_writer *w, int shard, uint64_t *length)
{
	if (copies_wait(w) || check_shard(w, shard))
		return -1;
	*length = w->shards[shard].length;
	return w->shards[shard].out.fd;
}

void bundle_writer_shard_advance(struct bundle_writer *w, int shard, uint64_t n)
{
	if (!check_shard(w, shard))
		w->shards[shard].length += n;
}

/* The entries live in huge pages (xmalloc_huge) once large: 100 000 of them fault in 11 MB,
 * and a fault per 4 KiB page cost a tenth of a small-tensor merge. */
static void reserve(struct bundle_writer *w, size_t n)
{
	if (n <= w->cap)
		return;
	if (n > SIZE_MAX / 2 / sizeof(*w->entries))
		n = SIZE_MAX / 2 / sizeof(*w->entries);  /* cannot be had: out of memory */
	w->entries = xrealloc_huge(w->entries, w->cap * sizeof(*w->entries),
				   n * sizeof(*w->entries));
	w->cap = n;
}

static struct bundle_entry *entry_new(struct bundle_writer *w, const struct bundle_entry *e)
{
	if (w->status)
		return NULL;
	if (!e->name_len) {  /* the table would see the key twice, with no name to report */
		fail(w, ck_error(&w->err, CK_EUSAGE, "a tensor cannot be named \"\": the empty key "
				 "holds the checkpoint's header"));
		return NULL;
	}
	if (w->n == w->cap)
		reserve(w, w->cap ? w->cap * 2 : 64);
	w->entries[w->n] = *e;
	return &w->entries[w->n++];
}

int bundle_writer_add_entry(struct bundle_writer *w, const struct bundle_entry *e)
{
	struct bundle_entry *c = entry_new(w, e);
	size_t nsl;

	if (!c)
		return w->status;
	c->name = pool_copy(&w->names, e->name, e->name_len);
	c->dims = pool_copy(&w->names, e->dims, (size_t)e->rank * sizeof(int64_t));
	nsl = e->nslices * (size_t)e->rank * 2;
	c->slices = e->nslices ? pool_copy(&w->names, e->slices, nsl * sizeof(int64_t)) : NULL;
	return 0;
}

void bundle_writer_add_sorted(struct bundle_writer *w, size_t n,
			      void (*get)(void *ctx, size_t i, struct bundle_entry *e), void *ctx)
{
	w->nsorted = n;
	w->get = get;
	w->get_ctx = ctx;
}

/* All entries in key order: the writer's own (sorted at finish) merged with the caller's
 * sorted ones. An entry returned stays valid until the next call. */
struct entry_walk {
	size_t i, j;
	struct bundle_entry tmp;
};

static const struct bundle_entry *walk_next(const struct bundle_writer *w, struct entry_walk *k)
{
	const struct bundle_entry *own = k->i < w->n ? &w->entries[k->i] : NULL;

	if (k->j < w->nsorted) {
		w->get(w->get_ctx, k->j, &k->tmp);
		if (!own || key_cmp(k->tmp.name, k->tmp.name_len, own->name, own->name_len) < 0) {
			k->j++;
			return &k->tmp;
		}
	}
	if (own)
		k->i++;
	return own;
}

static void meta(struct bundle_entry *e, const void *name, size_t name_len, int dtype,
		 const int64_t *dims, int rank)
{
	memset(e, 0, sizeof(*e));
	e->name = (char *)name;
	e->name_len = name_len;
	e->dtype = dtype;
	e->rank = rank;
	e->dims = (int64_t *)dims;
	e->elements = 1;
	for (int i = 0; i < rank; i++)
		e->elements *= (uint64_t)dims[i];
}

int bundle_writer_add(struct bundle_writer *w, const void *name, size_t name_len, int dtype,
		      const int64_t *dims, int rank, int shard, const void *data, size_t n)
{
	struct bundle_entry e;

	meta(&e, name, name_len, dtype, dims, rank);
	e.shard = shard;
	if (bundle_writer_begin(w, shard, &e.offset) || bundle_writer_write(w, shard, data, n))
		return w->status;
	e.size = n;
	e.crc32c = crc32c_mask(crc32c(data, n));
	return bundle_writer_add_entry(w, &e);
}

int bundle_writer_strings_begin(struct bundle_writer *w, struct bw_strings *s, const void *name,
				size_t name_len, const int64_t *dims, int rank, int shard)
{
	memset(s, 0, sizeof(*s));
	s->w = w;
	meta(&s->e, name, name_len, DT_STRING, dims, rank);
	s->e.shard = shard;
	return bundle_writer_begin(w, shard, &s->e.offset);
}

static int strings_flush(struct bw_strings *s)
{
	if (s->pend.len && bundle_writer_write(s->w, s->e.shard, s->pend.p, s->pend.len) == 0)
		s->e.size += s->pend.len;
	buf_reset(&s->pend);
	return s->w->status;
}

int bundle_writer_strings_lengths(struct bw_strings *s, const size_t *lens, size_t n)
{
	for (size_t i = 0; i < n && s->lengths < s->e.elements; i++, s->lengths++) {
		uint64_t len = lens[i];
		uint8_t wide[8];
		put_varint64(&s->pend, len);
		for (int k = 0; k < 8; k++)
			wide[k] = (uint8_t)(len >> (8 * k));
		s->crc = crc32c_extend(s->crc, wide, len <= UINT32_MAX ? 4 : 8);
		s->want_bytes += len;
	}
	return s->pend.len >= (64u << 10) ? strings_flush(s) : s->w->status;
}

/* After the last length: the lengths' own checksum, which the payload CRC covers too. */
static int strings_sum(struct bw_strings *s)
{
	uint32_t m = crc32c_mask(s->crc);
	uint8_t sum[4];

	for (int k = 0; k < 4; k++)
		sum[k] = (uint8_t)(m >> (8 * k));
	buf_add(&s->pend, sum, 4);
	s->crc = crc32c_extend(s->crc, sum, 4);
	s->in_bytes = 1;
	return strings_flush(s);
}

int bundle_writer_strings_bytes(struct bw_strings *s, const void *p, size_t n)
{
	if (!s->in_bytes && strings_sum(s))
		return s->w->status;
	if (n && bundle_writer_write(s->w, s->e.shard, p, n) == 0) {
		s->crc = crc32c_extend(s->crc, p, n);
		s->e.size += n;
		s->bytes += n;
	}
	return s->w->status;
}

int bundle_writer_strings_end(struct bw_strings *s)
{
	if (!s->in_bytes && strings_sum(s))
		return s->w->status;
	if (s->lengths != s->e.elements || s->bytes != s->want_bytes)
		return fail(s->w, ck_error(&s->w->err, CK_EUSAGE, "string tensor: %llu lengths and %llu "
					   "bytes given for %llu elements of %llu bytes",
					   (unsigned long long)s->lengths, (unsigned long long)s->bytes,
					   (unsigned long long)s->e.elements,
					   (unsigned long long)s->want_bytes));
	s->e.crc32c = crc32c_mask(s->crc);
	return bundle_writer_add_entry(s->w, &s->e);
}

void bundle_writer_strings_release(struct bw_strings *s)
{
	buf_release(&s->pend);
}

uint64_t bundle_strings_size(const size_t *lens, uint64_t count)
{
	uint64_t n = 4;

	for (uint64_t i = 0; i < count; i++) {
		n += lens[i];
		for (uint64_t v = lens[i]; ; v >>= 7) {
			n++;
			if (v < 128)
				break;
		}
	}
	return n;
}

int bundle_writer_add_strings(struct bundle_writer *w, const void *name, size_t name_len,
			      const int64_t *dims, int rank, int shard,
			      const uint8_t *const *strs, const size_t *lens, uint64_t count)
{
	struct bw_strings s;

	if (bundle_writer_strings_begin(w, &s, name, name_len, dims, rank, shard) == 0)
		bundle_writer_strings_lengths(&s, lens, (size_t)count);
	for (uint64_t i = 0; i < count && !w->status; i++)
		bundle_writer_strings_bytes(&s, strs[i], lens[i]);
	if (!w->status)
		bundle_writer_strings_end(&s);
	bundle_writer_strings_release(&s);
	return w->status;
}

int bundle_writer_add_partitioned(struct bundle_writer *w, const void *name, size_t name_len,
				  int dtype, const int64_t *dims, int rank, size_t nslices,
				  const int64_t *slices)
{
	struct bundle_entry e;

	meta(&e, name, name_len, dtype, dims, rank);
	e.nslices = nslices;
	e.slices = (int64_t *)slices;
	return bundle_writer_add_entry(w, &e);
}

void bundle_encode_header(struct buf *out, int num_shards, int big_endian)
{
	Tensorflow__BundleHeaderProto h = TENSORFLOW__BUNDLE_HEADER_PROTO__INIT;
	Tensorflow__VersionDef v = TENSORFLOW__VERSION_DEF__INIT;
	size_t n;

	v.producer = 1;
	h.num_shards = num_shards;
	h.endianness = big_endian ? TENSORFLOW__BUNDLE_HEADER_PROTO__ENDIANNESS__BIG
				  : TENSORFLOW__BUNDLE_HEADER_PROTO__ENDIANNESS__LITTLE;
	h.version = &v;
	n = tensorflow__bundle_header_proto__get_packed_size(&h);
	buf_grow(out, n);
	out->len += tensorflow__bundle_header_proto__pack(&h, out->p + out->len);
}

/* ---- BundleEntryProto, packed by hand ----
 *
 *   BundleEntryProto  = dtype:1 varint | shape:2 bytes | shard_id:3 varint | offset:4 varint
 *                       | size:5 varint | crc32c:6 fixed32 | slices:7 bytes (repeated)
 *   TensorShapeProto  = dim:2 bytes (repeated)
 *   Dim               = size:1 varint
 *   TensorSliceProto  = extent:1 bytes (repeated)
 *   Extent            = start:1 varint | length:2 varint (a oneof: present even when 0)
 *
 * proto3 as protobuf-c packs it: fields in ascending order, a scalar only when not 0, int32
 * and enum values sign-extended to 64 bits (10 bytes when negative), the shape always (empty
 * for a scalar). protobuf-c's generic packing (bundle_encode_entry_pb) cost a seventh of a
 * small-tensor subset; tests/unit/test_entry_encode.c and tests/fuzz/fuzz_entry_encode.c hold
 * this byte-equal to it. */

static size_t vlen(uint64_t v)
{
	size_t n = 1;

	for (; v >= 0x80; v >>= 7)
		n++;
	return n;
}

static uint8_t *vput(uint8_t *p, uint64_t v)
{
	for (; v >= 0x80; v >>= 7)
		*p++ = (uint8_t)(v | 0x80);
	*p++ = (uint8_t)v;
	return p;
}

/* A scalar field: tag and varint, or nothing for 0. */
static size_t field_len(int64_t v)
{
	return v ? 1 + vlen((uint64_t)v) : 0;
}

static uint8_t *field_put(uint8_t *p, uint8_t tag, int64_t v)
{
	if (!v)
		return p;
	*p++ = tag;
	return vput(p, (uint64_t)v);
}

/* Extent k of a slice, without its tag and length (length -1: the whole dim, an empty one). */
static size_t extent_len(const int64_t *pair)
{
	return pair[1] < 0 ? 0 : field_len(pair[0]) + 1 + vlen((uint64_t)pair[1]);
}

static size_t shape_len(const struct bundle_entry *e)
{
	size_t n = 0;

	for (int i = 0; i < e->rank; i++) {
		size_t d = field_len(e->dims[i]);
		n += 1 + vlen(d) + d;
	}
	return n;
}

static size_t slice_len(const struct bundle_entry *e, size_t s)
{
	size_t n = 0;

	for (int d = 0; d < e->rank; d++) {
		size_t x = extent_len(e->slices + 2 * (s * (size_t)e->rank + (size_t)d));
		n += 1 + vlen(x) + x;
	}
	return n;
}

void bundle_encode_entry(struct buf *out, const struct bundle_entry *e)
{
	size_t shape = shape_len(e), n = field_len(e->dtype) + 1 + vlen(shape) + shape;
	uint8_t *p;

	if (e->nslices) {
		for (size_t s = 0; s < e->nslices; s++) {
			size_t sl = slice_len(e, s);
			n += 1 + vlen(sl) + sl;
		}
	} else {
		n += field_len(e->shard) + field_len((int64_t)e->offset) + field_len((int64_t)e->size) +
		     (e->crc32c ? 5 : 0);
	}
	buf_grow(out, n);
	p = field_put(out->p + out->len, 0x08, e->dtype);
	*p++ = 0x12;
	p = vput(p, shape);
	for (int i = 0; i < e->rank; i++) {
		*p++ = 0x12;
		p = vput(p, field_len(e->dims[i]));
		p = field_put(p, 0x08, e->dims[i]);
	}
	if (e->nslices) {
		for (size_t s = 0; s < e->nslices; s++) {
			*p++ = 0x3a;
			p = vput(p, slice_len(e, s));
			for (int d = 0; d < e->rank; d++) {
				const int64_t *pair = e->slices + 2 * (s * (size_t)e->rank + (size_t)d);
				*p++ = 0x0a;
				p = vput(p, extent_len(pair));
				if (pair[1] >= 0) {
					p = field_put(p, 0x08, pair[0]);
					*p++ = 0x10;
					p = vput(p, (uint64_t)pair[1]);
				}
			}
		}
	} else {
		p = field_put(p, 0x18, e->shard);
		p = field_put(p, 0x20, (int64_t)e->offset);
		p = field_put(p, 0x28, (int64_t)e->size);
		if (e->crc32c) {
			*p++ = 0x35;
			for (int k = 0; k < 4; k++)
				*p++ = (uint8_t)(e->crc32c >> (8 * k));
		}
	}
	out->len += n;
}

void bundle_encode_entry_pb(struct buf *out, const struct bundle_entry *e)
{
	Tensorflow__BundleEntryProto p = TENSORFLOW__BUNDLE_ENTRY_PROTO__INIT;
	Tensorflow__TensorShapeProto shape = TENSORFLOW__TENSOR_SHAPE_PROTO__INIT;
	Tensorflow__TensorShapeProto__Dim *dims = xcalloc((size_t)e->rank + 1, sizeof(*dims));
	Tensorflow__TensorShapeProto__Dim **dimp = xcalloc((size_t)e->rank + 1, sizeof(*dimp));
	Tensorflow__TensorSliceProto *sl = NULL, **slp = NULL;
	Tensorflow__TensorSliceProto__Extent *ext = NULL, **extp = NULL;
	size_t n;

	for (int i = 0; i < e->rank; i++) {
		tensorflow__tensor_shape_proto__dim__init(&dims[i]);
		dims[i].size = e->dims[i];
		dimp[i] = &dims[i];
	}
	shape.n_dim = (size_t)e->rank;
	shape.dim = dimp;
	p.dtype = (Tensorflow__DataType)e->dtype;
	p.shape = &shape;  /* TF always emits the shape, empty for scalars */
	if (e->nslices) {
		size_t next = e->nslices * (size_t)e->rank;
		sl = xcalloc(e->nslices, sizeof(*sl));
		slp = xcalloc(e->nslices, sizeof(*slp));
		ext = xcalloc(next + 1, sizeof(*ext));
		extp = xcalloc(next + 1, sizeof(*extp));
		for (size_t s = 0; s < e->nslices; s++) {
			tensorflow__tensor_slice_proto__init(&sl[s]);
			sl[s].n_extent = (size_t)e->rank;
			sl[s].extent = extp + s * (size_t)e->rank;
			for (int d = 0; d < e->rank; d++) {
				size_t k = s * (size_t)e->rank + (size_t)d;
				tensorflow__tensor_slice_proto__extent__init(&ext[k]);
				ext[k].start = e->slices[2 * k];
				if (e->slices[2 * k + 1] >= 0) {
					ext[k].has_length_case =
						TENSORFLOW__TENSOR_SLICE_PROTO__EXTENT__HAS_LENGTH_LENGTH;
					ext[k].length = e->slices[2 * k + 1];
				} else {
					ext[k].start = 0;
				}
				extp[k] = &ext[k];
			}
			slp[s] = &sl[s];
		}
		p.n_slices = e->nslices;
		p.slices = slp;
	} else {
		p.shard_id = e->shard;
		p.offset = (int64_t)e->offset;
		p.size = (int64_t)e->size;
		p.crc32c = e->crc32c;
	}
	n = tensorflow__bundle_entry_proto__get_packed_size(&p);
	buf_grow(out, n);
	out->len += tensorflow__bundle_entry_proto__pack(&p, out->p + out->len);
	free(dims);
	free(dimp);
	free(sl);
	free(slp);
	free(ext);
	free(extp);
}

/* ---- copying payloads ---- */

#define COPY_CHUNK (1u << 20)

void bundle_writer_set_big_endian(struct bundle_writer *w, int big_endian)
{
	w->big_endian = big_endian;
}

/* Plain read/write, for file systems or kernels without copy_file_range, and remote inputs. */
static int copy_rw(struct ck_file *in, uint64_t off, int out, uint64_t n, const char *src,
		   const char *dst, struct ck_err *err)
{
	uint8_t *buf = xmalloc(COPY_CHUNK);
	int rc = 0;

	while (n) {
		size_t want = n < COPY_CHUNK ? (size_t)n : COPY_CHUNK;
		long long got = ck_file_pread(in, buf, want, off, err);
		if (got < 0) {
			rc = (int)got;
			break;
		}
		if ((size_t)got != want) {
			rc = ck_error(err, CK_ECORRUPT, "%s: file ends %llu bytes early", src,
				      (unsigned long long)(n - (uint64_t)got));
			break;
		}
		if (write_full(out, buf, want) < 0) {
			rc = ck_syserr(err, errno, "%s: write", dst);
			break;
		}
		off += want;
		n -= want;
	}
	free(buf);
	return rc;
}

int bundle_copy_range(struct ck_file *in, uint64_t off, int out, uint64_t n, const char *src,
		      const char *dst, struct ck_err *err)
{
	loff_t ioff = (loff_t)off;

	if (in->fd < 0)  /* not a local file: through the store */
		return copy_rw(in, off, out, n, src, dst, err);
	/* In-kernel copy: no user-space buffer, and a reflink on file systems that share extents. */
	while (n) {
		size_t want = n > (1ull << 30) ? (size_t)1 << 30 : (size_t)n;
		ssize_t got = copy_file_range(in->fd, &ioff, out, NULL, want, 0);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EXDEV || errno == ENOSYS || errno == EOPNOTSUPP || errno == EINVAL ||
			    errno == EBADF || errno == EPERM || errno == ETXTBSY)
				return copy_rw(in, (uint64_t)ioff, out, n, src, dst, err);
			return ck_syserr(err, errno, "%s: copy to %s", src, dst);
		}
		if (got == 0)
			return ck_error(err, CK_ECORRUPT, "%s: file ends %llu bytes early", src,
					(unsigned long long)n);
		n -= (uint64_t)got;
	}
	return 0;
}

/* Checks shared by the copies: 0, or the writer's status. */
static int copy_check(struct bundle_writer *w, int shard)
{
	if (w->status)
		return w->status;
	if (check_shard(w, shard))
		return w->status;
	if (w->shards[shard].linked)
		return fail(w, ck_error(&w->err, CK_EUSAGE, "%s: shared with an input, cannot grow",
					w->shards[shard].out.tmp));
	return 0;
}

int bundle_writer_copy(struct bundle_writer *w, int shard, struct ck_file *src, uint64_t src_off,
		       uint64_t n, const char *src_name)
{
	struct wshard *s;

	if (copies_wait(w) || copy_check(w, shard))
		return w->status;
	s = &w->shards[shard];
	if (bundle_copy_range(src, src_off, s->out.fd, n, src_name, s->out.tmp, &w->err) < 0)
		return fail(w, w->err.code);
	s->length += n;
	return 0;
}

int bundle_writer_copy_later(struct bundle_writer *w, int shard, struct ck_file *src,
			     uint64_t src_off, uint64_t n, const char *src_name)
{
	if (src->fd < 0)  /* a remote input stays on this thread, with the store */
		return bundle_writer_copy(w, shard, src, src_off, n, src_name);
	if (copy_check(w, shard))
		return w->status;
	copy_queue(w, &(struct bw_copy){ shard, src, src_off, n, src_name });
	w->shards[shard].length += n;
	return 0;
}

/* Copy the used ranges of in to the same offsets of s (whole file when used is NULL). */
static int copy_used(struct bundle_writer *w, struct wshard *s, struct ck_file *in, uint64_t size,
		     const uint64_t (*used)[2], size_t nused, const char *src_path)
{
	uint64_t whole[1][2] = { { 0, size } };

	if (!used) {
		used = (const uint64_t (*)[2])whole;
		nused = 1;
	}
	s->length = 0;
	/* Bytes past the end of the input are left out: the caller reports the tensors that
	 * would need them (a truncated file), with their names. */
	for (size_t i = 0; i < nused && used[i][0] < size; i++) {
		uint64_t end = used[i][1] < size ? used[i][1] : size;
		if (lseek(s->out.fd, (off_t)used[i][0], SEEK_SET) < 0)
			return fail(w, ck_syserr(&w->err, errno, "%s", s->out.tmp));
		if (bundle_copy_range(in, used[i][0], s->out.fd, end - used[i][0], src_path, s->out.tmp,
				      &w->err) < 0)
			return fail(w, w->err.code);
		s->length = end;
	}
	return 0;
}

int bundle_writer_share(struct bundle_writer *w, int shard, const char *src_path, int allow_link,
			const uint64_t (*used)[2], size_t nused, enum bw_share *how)
{
	struct wshard *s;
	struct ck_file *in;
	int rc = 0;

	if (copies_wait(w))
		return w->status;
	if (check_shard(w, shard))
		return w->status;
	s = &w->shards[shard];
	if (s->length)
		return fail(w, ck_error(&w->err, CK_EUSAGE, "%s: shard already has data", s->out.tmp));
	rc = ck_file_open(src_path, &in, &w->err);
	if (rc < 0) {
		if (rc == CK_ENOTFOUND)
			ck_error(&w->err, CK_ENOTFOUND,
				 "%s: data shard is missing, the tensors cannot be copied", src_path);
		return fail(w, rc);
	}
	if (in->fd < 0)  /* a remote input: neither a reflink nor a link can share it */
		allow_link = 0;
#ifdef FICLONE
	/* A reflink: a new file sharing the input's extents (btrfs, xfs, bcachefs ...). */
	if (in->fd >= 0 && ioctl(s->out.fd, FICLONE, in->fd) == 0) {
		s->length = in->size;
		/* The clone shares extents, but an unused tail would still show in its size. */
		if (used && (nused ? used[nused - 1][1] : 0) < s->length) {
			s->length = nused ? used[nused - 1][1] : 0;
			if (ftruncate(s->out.fd, (off_t)s->length) < 0)
				rc = fail(w, ck_syserr(&w->err, errno, "%s", s->out.tmp));
		}
		*how = BW_SHARE_REFLINK;
		goto out;
	}
#endif
	/* A hard link is safe because TensorFlow never rewrites a data file in place. */
	if (allow_link) {
		close(s->out.fd);
		s->out.fd = -1;
		if (unlink(s->out.tmp) == 0 && link(src_path, s->out.tmp) == 0) {
			s->linked = 1;
			s->length = in->size;
			*how = BW_SHARE_LINK;
			goto out;
		}
		free(s->out.path);  /* created again, under the same name */
		s->out.path = NULL;
		rc = ck_outfile_create(&s->out, s->final, s->out.tmp, &w->err);
		if (rc < 0) {
			rc = fail(w, rc);
			goto out;
		}
	}
	rc = copy_used(w, s, in, in->size, used, nused, src_path);
	if (rc < 0)
		goto out;
	*how = BW_SHARE_COPY;
out:
	ck_file_close(in);
	return rc;
}

int bundle_writer_status(const struct bundle_writer *w, struct ck_err *err)
{
	if (w->status && err)
		*err = w->err;
	return w->status;
}

uint64_t bundle_writer_shard_length(const struct bundle_writer *w, int shard)
{
	return shard >= 0 && shard < w->num_shards ? w->shards[shard].length : 0;
}

/* ---- finishing ---- */

/* Index bytes gathered before a write: about a block (256 KiB), so that the buffer stays in
 * the pages it first touched (fresh pages cost more than the extra writes). */
#define INDEX_FLUSH (256u << 10)

static int cmp_entry(const void *a, const void *b)
{
	const struct bundle_entry *x = a, *y = b;
	return key_cmp(x->name, x->name_len, y->name, y->name_len);
}

static void check_dir_remove(struct bundle_writer *w)
{
	for (int i = 0; i < w->ncheck_links; i++) {
		if (w->check_links[i])
			unlink(w->check_links[i]);
		free(w->check_links[i]);
	}
	free(w->check_links);
	w->check_links = NULL;
	w->ncheck_links = 0;
	if (w->check_dir)
		rmdir(w->check_dir);
	free(w->check_dir);
	w->check_dir = NULL;
}

static void writer_free(struct bundle_writer *w)
{
	copies_wait(w);  /* before the files they write go */
	free(w->queue);
	pthread_cond_destroy(&w->qdone);
	pthread_mutex_destroy(&w->qmu);
	registry_remove(w);
	check_dir_remove(w);
	outlock_release(&w->lock);
	/* Temporary names still held are removed (after a finish none is). */
	for (int i = 0; i < w->num_shards; i++) {
		ck_outfile_abort(&w->shards[i].out);
		free(w->shards[i].final);
	}
	ck_outfile_abort(&w->index);
	pool_release(&w->names);
	xfree_huge(w->entries, w->cap * sizeof(*w->entries));
	free(w->shards);
	free(w->index_final);
	free(w->prefix);
	free(w);
}

void bundle_writer_abort(struct bundle_writer *w)
{
	if (w)
		writer_free(w);  /* which removes every temporary file */
}

static int same_entry(const struct bundle_entry *a, const struct bundle_entry *b)
{
	size_t nsl = a->nslices * (size_t)a->rank * 2;

	if (a->name_len != b->name_len || memcmp(a->name, b->name, a->name_len) ||
	    a->dtype != b->dtype || a->rank != b->rank || a->nslices != b->nslices ||
	    memcmp(a->dims, b->dims, (size_t)a->rank * sizeof(int64_t)))
		return 0;
	if (a->nslices)
		return !memcmp(a->slices, b->slices, nsl * sizeof(int64_t));
	return a->shard == b->shard && a->offset == b->offset && a->size == b->size &&
	       a->crc32c == b->crc32c;
}

static int check_header(struct bundle_writer *w, const struct bundle *b, size_t n,
			struct ck_err *err)
{
	if (b->num_shards != w->num_shards || b->big_endian != w->big_endian ||
	    n != w->n + w->nsorted)
		return ck_error(err, CK_ECORRUPT,
				"%s: re-reading the output: header or entry count differs", w->index.tmp);
	return 0;
}

/* An entry as read back: what was meant (want, NULL past the last), and inside its data file. */
static int check_entry(struct bundle_writer *w, const struct bundle_entry *e,
		       const struct bundle_entry *want, struct ck_err *err)
{
	struct buf tmp = BUF_INIT;
	int rc = 0;

	if (!want || !same_entry(e, want)) {
		buf_add_name_msg(&tmp, e->name, e->name_len);
		rc = ck_error(err, CK_ECORRUPT,
			      "%s: re-reading the output: entry \"%s\" differs from what was written",
			      w->index.tmp, (const char *)tmp.p);
	} else if (!e->nslices && e->offset + e->size > w->shards[e->shard].length) {
		buf_add_name_msg(&tmp, e->name, e->name_len);
		rc = ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\" lies past the end of its data",
			      w->shards[e->shard].out.tmp, (const char *)tmp.p);
	}
	buf_release(&tmp);
	return rc;
}

/* The index read back one entry at a time (bundle_scan), holding none of them: a second copy
 * of every entry would double the writer's memory. */
static int check_scan(struct bundle_writer *w, const char *prefix, struct ck_err *err)
{
	struct bundle_scan *sc = NULL;
	const struct bundle_entry *e;
	struct entry_walk k = { 0 };
	size_t n = 0;
	int rc = bundle_scan_open(&sc, prefix, err), ours = 0;

	if (rc == 0 && (rc = check_header(w, bundle_scan_bundle(sc), w->n + w->nsorted, err)) < 0)
		ours = 1;
	while (rc == 0 && (rc = bundle_scan_next(sc, &e, err)) > 0) {
		n++;
		if ((rc = check_entry(w, e, walk_next(w, &k), err)) < 0)
			ours = 1;
	}
	if (rc == 0 && (rc = check_header(w, bundle_scan_bundle(sc), n, err)) < 0)
		ours = 1;
	if (rc < 0 && !ours)  /* the reader's own complaint */
		ck_wrap(err, "re-reading the output failed");
	bundle_scan_free(sc);
	return rc;
}

/* With BW_VERIFY_DATA: the whole bundle, whose payloads are read and CRC-checked too. */
static int check_bundle(struct bundle_writer *w, const char *prefix, struct ck_err *err)
{
	struct bundle *b = NULL;
	struct entry_walk k = { 0 };
	int rc = bundle_open(&b, prefix, err);

	if (rc < 0) {
		ck_wrap(err, "re-reading the output failed");
		return rc;
	}
	rc = check_header(w, b, b->nentries, err);
	for (size_t i = 0; i < b->nentries && rc == 0; i++) {
		const struct bundle_entry *e = &b->entries[i];
		rc = check_entry(w, e, walk_next(w, &k), err);
		if (rc == 0 && !e->nslices && e->dtype != DT_VARIANT &&
		    (rc = bundle_verify(b, e, err)) < 0)
			ck_wrap(err, "re-reading the output");
	}
	bundle_free(b);
	return rc;
}

/* Read the written files back through the ordinary reader, under their temporary names (a
 * folder of symlinks gives them the names the reader expects), and compare every entry with
 * what was meant to be written. */
static int check_output(struct bundle_writer *w, struct ck_err *err)
{
	char *prefix = NULL, *target;
	int rc = 0;

	w->check_dir = xasprintf("%s.tempstate%llu.check", w->prefix, (unsigned long long)w->tag);
	if (mkdir(w->check_dir, 0700) < 0) {
		rc = ck_syserr(err, errno, "%s", w->check_dir);
		free(w->check_dir);
		w->check_dir = NULL;
		return rc;
	}
	w->check_links = xcalloc((size_t)w->num_shards + 1, sizeof(char *));
	prefix = xasprintf("%s/c", w->check_dir);
	for (int i = 0; i <= w->num_shards; i++) {
		char *link_path = i < w->num_shards
			? bundle_data_path(prefix, i, w->num_shards)
			: bundle_index_path(prefix);
		target = xasprintf("../%s", path_base(i < w->num_shards ? w->shards[i].out.tmp
								       : w->index.tmp));
		w->check_links[w->ncheck_links++] = link_path;
		if (symlink(target, link_path) < 0) {
			rc = ck_syserr(err, errno, "%s", link_path);
			free(target);
			goto out;
		}
		free(target);
	}
	rc = w->flags & BW_VERIFY_DATA ? check_bundle(w, prefix, err) : check_scan(w, prefix, err);
out:
	free(prefix);
	check_dir_remove(w);
	return rc;
}

/* --force: the old checkpoint's index goes first, so that no moment shows the old index over
 * new data; its data files that the new one does not overwrite go last. */
static int old_shards(const char *prefix)
{
	struct bundle *old = NULL;
	struct ck_err e;
	int n = 0;

	if (bundle_open(&old, prefix, &e) == 0) {
		n = old->format == 2 ? old->num_shards : 0;
		bundle_free(old);
	}
	return n;
}

static int two_named(const struct bundle_entry *e, struct ck_err *err)
{
	struct buf name = BUF_INIT;
	int rc;

	buf_add_name_msg(&name, e->name, e->name_len);
	rc = ck_error(err, CK_EUSAGE, "two tensors named \"%s\"", (char *)name.p);
	buf_release(&name);
	return rc;
}

/* The index, written as it is built, a few blocks at a time: a whole index of 100 000 entries
 * in memory was megabytes of fresh pages, each a fault. */
static int write_index(struct bundle_writer *w, struct ck_err *err)
{
	struct table_builder tb;
	struct buf out = BUF_INIT, val = BUF_INIT;
	struct entry_walk k = { 0 };
	const char *prev = NULL;
	size_t prev_len = 0;
	int rc, nosync = w->flags & BW_NO_SYNC ? CK_OUT_NO_SYNC : 0;

	rc = ck_outfile_create(&w->index, w->index_final, w->index.tmp, err);
	if (rc < 0)
		return rc;
	table_builder_init(&tb, &out);
	bundle_encode_header(&val, w->num_shards, w->big_endian);
	table_builder_add(&tb, "", 0, val.p, val.len);
	for (size_t i = 0; i < w->n + w->nsorted && rc == 0; i++) {
		const struct bundle_entry *e = walk_next(w, &k);
		/* The caller's sorted entries are checked here, as entry_new checks the others; the
		 * table builder refuses a key not above the last, which tells two of one name. */
		if (!e->name_len) {
			rc = ck_error(err, CK_EUSAGE, "a tensor cannot be named \"\": the empty key "
				      "holds the checkpoint's header");
			break;
		}
		buf_reset(&val);
		bundle_encode_entry(&val, e);
		if (table_builder_add(&tb, e->name, e->name_len, val.p, val.len) < 0) {
			if (e->name_len == prev_len && !memcmp(e->name, prev, prev_len))
				rc = two_named(e, err);
			break;
		}
		prev = e->name;
		prev_len = e->name_len;
		if (out.len >= INDEX_FLUSH) {
			rc = ck_outfile_write(&w->index, out.p, out.len, err);
			table_builder_drained(&tb);
		}
	}
	if (rc == 0)
		rc = table_builder_finish(&tb, err);
	table_builder_release(&tb);
	if (rc == 0)
		rc = ck_outfile_write(&w->index, out.p, out.len, err);
	if (rc == 0)
		rc = ck_outfile_close(&w->index, nosync, err);
	buf_release(&out);
	buf_release(&val);
	return rc;
}

int bundle_writer_finish(struct bundle_writer *w, struct ck_err *err)
{
	int rc = w->status, old_n = 0, nosync = w->flags & BW_NO_SYNC ? CK_OUT_NO_SYNC : 0;

	if (rc) {
		if (err)
			*err = w->err;
		bundle_writer_abort(w);
		return rc;
	}
	sort_array(w->entries, w->n, sizeof(*w->entries), cmp_entry);
	for (size_t i = 1; i < w->n; i++)
		if (!cmp_entry(&w->entries[i - 1], &w->entries[i])) {
			rc = two_named(&w->entries[i], err);
			goto fail;
		}
	/* While queued copies run: the index, and its re-read check unless that reads the data
	 * too (the shards' lengths are known already). */
	rc = write_index(w, err);
	if (rc == 0 && !(w->flags & BW_VERIFY_DATA))
		rc = check_output(w, err);
	if (rc < 0)
		goto fail;
	if ((rc = copies_wait(w)) < 0) {
		if (err)
			*err = w->err;
		goto fail;
	}
	for (int i = 0; i < w->num_shards; i++) {
		struct wshard *s = &w->shards[i];
		/* (A hard link to an input has no descriptor: its data is already on disk.) */
		if ((rc = ck_outfile_close(&s->out, nosync, err)) < 0)
			goto fail;
	}
	if ((w->flags & BW_VERIFY_DATA) && (rc = check_output(w, err)) < 0)
		goto fail;
	rc = check_outputs(w, err);  /* again: a link may have appeared while we wrote */
	if (rc < 0)
		goto fail;
	if (ck_outfile_exists(w->index_final)) {
		if (!(w->flags & BW_FORCE)) {  /* appeared while we were writing */
			rc = ck_error(err, CK_EEXIST, "%s: already exists (use --force to replace it)",
				      w->index_final);
			goto fail;
		}
		old_n = old_shards(w->prefix);
		if (unlink(w->index_final) < 0) {
			rc = ck_syserr(err, errno, "%s", w->index_final);
			goto fail;
		}
	}
	/* Data first, index last: a visible index always has its data. */
	for (int i = 0; i < w->num_shards; i++) {
		char *tmp = w->shards[i].linked ? xstrdup(w->shards[i].out.tmp) : NULL;
		/* A data file replaces any old one of that name: the index decides what is seen. */
		rc = ck_outfile_rename(&w->shards[i].out, CK_OUT_FORCE, err);
		/* rename() of two links to one file does nothing: the final name already shows
		 * these bytes (a hard link to the same input), so the temporary name just goes. */
		if (rc == 0 && tmp && ck_outfile_exists(tmp))
			unlink(tmp);
		free(tmp);
		if (rc < 0)
			goto fail;
	}
	/* The lock keeps other ckpt writers out; without --force the index still goes in with
	 * a rename that cannot replace, against any other program. */
	rc = ck_outfile_rename(&w->index, w->flags & BW_FORCE ? CK_OUT_FORCE : 0, err);
	if (rc < 0)
		goto fail;
	if (old_n && old_n != w->num_shards)
		for (int i = 0; i < old_n; i++) {
			char *stale = bundle_data_path(w->prefix, i, old_n);
			if (!outguard_check_replaced(stale, NULL))
				unlink(stale);
			free(stale);
		}
	rc = w->flags & BW_NO_SYNC ? 0 : sync_folder_of(w->index_final, err);
	writer_free(w);
	return rc;
fail:
	bundle_writer_abort(w);
	return rc;
}
