/* average: float32 means of more than a chunk, done on two cores (chunk 0), are the one-thread
 * path's bit for bit (an explicit chunk), rounding counts too; a damaged input chunk, the first
 * or the last, gives the one-thread path's error. */
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "edit/average.h"
#include "edit/cast.h"
#include "tap.h"

#define N 3
#define CE (CAST_CHUNK / 4)  /* float32 elements in a chunk */

static const struct {
	const char *name;
	size_t elements;
} tensors[] = {
	{ "small", 1000 },              /* less than a chunk: one thread */
	{ "one_more", CE + 1 },         /* the smallest on two cores: a last chunk of one */
	{ "exact", 3 * CE },            /* several whole chunks */
	{ "ragged", 4 * CE + 12345 },   /* not a multiple of the chunk */
};
#define NT (sizeof(tensors) / sizeof(tensors[0]))

static void make(const char *prefix, int k)
{
	struct bundle_writer *w;
	struct ck_err err;

	srand(5 + k);
	if (bundle_writer_open(&w, prefix, 1, BW_FORCE, &err) < 0)
		tap_bail(err.msg);
	for (size_t t = 0; t < NT; t++) {
		size_t m = tensors[t].elements;
		int64_t dim = (int64_t)m;
		float *v = malloc(m * sizeof(float));
		for (size_t i = 0; i < m; i++)
			v[i] = ((float)rand() / RAND_MAX - 0.5f) * (float)(1 << (rand() % 20));
		/* special values at chunk edges: NaN, infinities, a subnormal, the largest float */
		v[0] = k == 0 ? NAN : v[0];
		v[m - 1] = k == 1 ? INFINITY : k == 2 ? -INFINITY : v[m - 1];
		v[m / 2] = k == 0 ? 1e-45f : 0;
		v[m / 3] = 3.4028235e38f;
		v[m / 4] = -0.0f;  /* in every input: the mean is -0, not +0 */
		bundle_writer_add(w, tensors[t].name, strlen(tensors[t].name), DT_FLOAT, &dim, 1, 0, v,
				  m * sizeof(float));
		free(v);
	}
	if (bundle_writer_finish(w, &err) < 0)
		tap_bail(err.msg);
}

static void open_all(struct bundle *in[N], char p[N][256])
{
	struct ck_err err;

	for (int k = 0; k < N; k++)
		if (bundle_open(&in[k], p[k], &err) < 0)
			tap_bail(err.msg);
}

static void free_all(struct bundle *in[N])
{
	for (int k = 0; k < N; k++)
		bundle_free(in[k]);
}

/* Average tensor t of in into a new checkpoint at out, chunk as given. rc; err set. */
/* Average tensor t of nsrc inputs, in[k % N] for the k-th, into a new checkpoint at out. */
static int average_many(struct bundle *in[N], size_t nsrc, size_t t, const char *out,
			size_t chunk, struct cast_stats *st, struct ck_err *err)
{
	struct avg_src src[2 * N];
	struct bundle_writer *w;
	uint64_t bytes = 0;
	int rc;

	for (size_t k = 0; k < nsrc; k++) {
		src[k].b = in[k % N];
		src[k].e = bundle_find(in[k % N], tensors[t].name, strlen(tensors[t].name));
	}
	memset(st, 0, sizeof(*st));
	if (bundle_writer_open(&w, out, 1, BW_FORCE, err) < 0)
		tap_bail(err->msg);
	rc = average_payload(w, src, nsrc, DT_FLOAT, chunk, st, &bytes, err);
	if (rc < 0) {
		bundle_writer_abort(w);
		return rc;
	}
	if (bytes != tensors[t].elements * 4)
		printf("# %zu bytes counted\n", (size_t)bytes);
	return bundle_writer_finish(w, err);
}

static int average_one(struct bundle *in[N], size_t t, const char *out, size_t chunk,
		       struct cast_stats *st, struct ck_err *err)
{
	return average_many(in, N, t, out, chunk, st, err);
}

/* The payload of the only tensor of checkpoint prefix (CRC-checked), and its stored CRC. */
static void read_out(const char *prefix, const char *name, struct buf *b, uint32_t *crc)
{
	struct bundle *o;
	const struct bundle_entry *e;
	struct ck_err err;

	if (bundle_open(&o, prefix, &err) < 0)
		tap_bail(err.msg);
	e = bundle_find(o, name, strlen(name));
	if (!e || bundle_read(o, e, b, &err) < 0)
		tap_bail(e ? err.msg : "no tensor");
	*crc = e->crc32c;
	bundle_free(o);
}

/* Every tensor of checkpoints a and b: the same bytes and CRCs. */
static int same_outputs(const char *a, const char *b)
{
	int same = 1;

	for (size_t t = 0; t < NT; t++) {
		struct buf x = BUF_INIT, y = BUF_INIT;
		uint32_t cx, cy;
		read_out(a, tensors[t].name, &x, &cx);
		read_out(b, tensors[t].name, &y, &cy);
		same &= x.len == y.len && !memcmp(x.p, y.p, x.len) && cx == cy;
		buf_release(&x);
		buf_release(&y);
	}
	return same;
}

/* All N inputs averaged whole (average_checkpoints), the float32 tensors as one two-core run
 * (chunk 0) or one by one on this thread. */
static int average_all(struct bundle *in[N], char p[N][256], const char *out, size_t chunk,
		       struct avg_result *r, struct ck_err *err)
{
	const char *labels[N];
	struct avg_opts o = { .keep_optimizer = 1, .flags = BW_FORCE, .chunk = chunk };

	for (int k = 0; k < N; k++)
		labels[k] = p[k];
	return average_checkpoints(in, labels, N, out, &o, r, err);
}

/* Flip a bit of input k's tensor t at element i. */
static void damage(struct bundle *in[N], char p[N][256], int k, size_t t, size_t i)
{
	const struct bundle_entry *e = bundle_find(in[k], tensors[t].name, strlen(tensors[t].name));
	char path[300];
	unsigned char c;
	int fd;

	snprintf(path, sizeof(path), "%s.data-00000-of-00001", p[k]);
	fd = open(path, O_RDWR);
	if (fd < 0 || pread(fd, &c, 1, (off_t)(e->offset + i * 4)) != 1) {
		printf("Bail out! %s\n", path);
		exit(1);
	}
	c ^= 0x10;
	if (pwrite(fd, &c, 1, (off_t)(e->offset + i * 4)) != 1) {
		printf("Bail out! %s\n", path);
		exit(1);
	}
	close(fd);
}

int main(void)
{
	char dir[] = "/tmp/ckpt-avgpar-XXXXXX", p[N][256], one[300], two[300], bad[300], idx[310];
	struct bundle *in[N];
	struct ck_err err, err1;

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	for (int k = 0; k < N; k++) {
		snprintf(p[k], sizeof(p[k]), "%s/ckpt-%d", dir, k);
		make(p[k], k);
	}
	snprintf(one, sizeof(one), "%s/one", dir);
	snprintf(two, sizeof(two), "%s/two", dir);
	snprintf(bad, sizeof(bad), "%s/bad", dir);
	snprintf(idx, sizeof(idx), "%s.index", bad);
	open_all(in, p);
	for (size_t t = 0; t < NT; t++) {
		const char *name = tensors[t].name;
		struct cast_stats s1, s2;
		struct buf b1 = BUF_INIT, b2 = BUF_INIT;
		uint32_t c1, c2;
		if (average_one(in, t, one, 65536, &s1, &err) < 0 ||
		    average_one(in, t, two, 0, &s2, &err) < 0)
			tap_bail(err.msg);
		read_out(one, name, &b1, &c1);
		read_out(two, name, &b2, &c2);
		ok(b1.len == tensors[t].elements * 4 && b1.len == b2.len &&
		   !memcmp(b1.p, b2.p, b1.len), "%s: two cores, the one-thread path's bits", name);
		is_int(c2, c1, "%s: the same CRC", name);
		ok(s1.values == s2.values && s1.changed == s2.changed && s1.overflow == s2.overflow &&
		   s1.underflow == s2.underflow && s2.values == tensors[t].elements,
		   "%s: the same rounding counted (%llu changed, %llu underflow)", name,
		   (unsigned long long)s2.changed, (unsigned long long)s2.underflow);
		buf_release(&b1);
		buf_release(&b2);
	}
	/* Two and four inputs (each count its own unrolled loop), and more than four: a chunk of
	 * each at once, sums kept in memory. */
	for (size_t nsrc = 2; nsrc <= 2 * N; nsrc += 2) {
		struct cast_stats s1, s2;
		struct buf b1 = BUF_INIT, b2 = BUF_INIT;
		uint32_t c1, c2;
		if (average_many(in, nsrc, 3, one, 65536, &s1, &err) < 0 ||
		    average_many(in, nsrc, 3, two, 0, &s2, &err) < 0)
			tap_bail(err.msg);
		read_out(one, "ragged", &b1, &c1);
		read_out(two, "ragged", &b2, &c2);
		ok(b1.len == b2.len && !memcmp(b1.p, b2.p, b1.len) && c1 == c2 &&
		   s1.changed == s2.changed && s1.underflow == s2.underflow &&
		   s1.overflow == s2.overflow,
		   "%zu inputs: two cores, the one-thread path's bits, CRC and counts", nsrc);
		buf_release(&b1);
		buf_release(&b2);
	}
	/* The whole checkpoints: the run of all four tensors, small ones included, gives the
	 * one-thread path's bytes, CRCs, counts and totals. */
	{
		struct avg_result r1, r2;
		if (average_all(in, p, one, 65536, &r1, &err) < 0 ||
		    average_all(in, p, two, 0, &r2, &err) < 0)
			tap_bail(err.msg);
		ok(same_outputs(one, two), "a run of tensors: the one-thread path's bits and CRCs");
		ok(r1.averaged == NT && r2.averaged == NT && r1.bytes == r2.bytes &&
		   r1.st.values == r2.st.values && r1.st.changed == r2.st.changed &&
		   r1.st.underflow == r2.st.underflow, "and its counts (%zu averaged, %llu bytes)",
		   r2.averaged, (unsigned long long)r2.bytes);
		avg_result_release(&r1);
		avg_result_release(&r2);
	}
	free_all(in);

	/* A run with two damaged tensors, C's "exact" (third) in its last chunk and B's "ragged"
	 * (fourth) in its first: the error is about the earlier tensor, as one by one. */
	{
		struct avg_result r1, r2;
		int rc1, rc2;
		open_all(in, p);
		damage(in, p, 2, 2, 3 * CE - 5);
		damage(in, p, 1, 3, 7);
		free_all(in);
		open_all(in, p);
		rc1 = average_all(in, p, one, 65536, &r1, &err1);
		rc2 = average_all(in, p, bad, 0, &r2, &err);
		ok(rc1 == CK_ECORRUPT && rc2 == rc1 && !strcmp(err.msg, err1.msg) &&
		   strstr(err.msg, "ckpt-2") && strstr(err.msg, "\"exact\""),
		   "a run, two tensors damaged: the earlier one's error: %s", err.msg);
		ok(access(idx, F_OK) != 0, "nothing written");
		avg_result_release(&r1);
		avg_result_release(&r2);
		free_all(in);
		/* B's "ragged" repaired (the bit flipped back) but cut short instead, once B is open
		 * (its shard loaded, by a read): a read fails, in a later chunk of the run than C's
		 * damage; the error is still C's. */
		open_all(in, p);
		damage(in, p, 1, 3, 7);
		free_all(in);
		open_all(in, p);
		{
			char path[300], cmd[700];
			const struct bundle_entry *e = bundle_find(in[1], "ragged", 6);
			struct buf small = BUF_INIT;
			if (bundle_read(in[1], bundle_find(in[1], "small", 5), &small, &err) < 0)
				tap_bail(err.msg);
			buf_release(&small);
			snprintf(path, sizeof(path), "%s.data-00000-of-00001", p[1]);
			snprintf(cmd, sizeof(cmd), "cp '%s' '%s.keep'", path, path);
			if (system(cmd) != 0 || truncate(path, (off_t)(e->offset + e->size - 100)) != 0)
				tap_bail("truncate");
			rc1 = average_all(in, p, one, 65536, &r1, &err1);
			rc2 = average_all(in, p, bad, 0, &r2, &err);
			ok(rc1 == CK_ECORRUPT && rc2 == rc1 && !strcmp(err.msg, err1.msg) &&
			   strstr(err.msg, "\"exact\""),
			   "a later read fails: still the earlier tensor's error: %s", err.msg);
			avg_result_release(&r1);
			avg_result_release(&r2);
			free_all(in);
			snprintf(cmd, sizeof(cmd), "mv '%s.keep' '%s'", path, path);
			if (system(cmd) != 0)
				tap_bail("restore");
		}
		open_all(in, p);
		damage(in, p, 2, 2, 3 * CE - 5);  /* C repaired */
		free_all(in);
	}

	/* Input B damaged in the first chunk of "ragged", then C also in its last. */
	{
		const size_t t = 3, where[2] = { 7, 4 * CE + 100 };
		for (int d = 0; d < 2; d++) {
			struct cast_stats st;
			int rc1, rc2;
			open_all(in, p);
			damage(in, p, d ? 2 : 1, t, where[d]);
			free_all(in);
			open_all(in, p);
			rc1 = average_one(in, t, one, 65536, &st, &err1);
			rc2 = average_one(in, t, bad, 0, &st, &err);
			ok(rc1 == CK_ECORRUPT && rc2 == rc1, "damaged %s chunk: CK_ECORRUPT (%d, %d)",
			   d ? "last" : "first", rc1, rc2);
			ok(!strcmp(err.msg, err1.msg) && strstr(err.msg, "ckpt-1"),
			   "the same error, about the first input damaged: %s", err.msg);
			ok(access(idx, F_OK) != 0, "nothing written");
			free_all(in);
		}
		/* B repaired: the error is C's, found in the last chunk. */
		open_all(in, p);
		damage(in, p, 1, t, where[0]);
		free_all(in);
		open_all(in, p);
		{
			struct cast_stats st;
			int rc1 = average_one(in, t, one, 65536, &st, &err1);
			int rc2 = average_one(in, t, two, 0, &st, &err);
			ok(rc1 == CK_ECORRUPT && rc2 == rc1 && !strcmp(err.msg, err1.msg) &&
			   strstr(err.msg, "ckpt-2"), "damaged last chunk alone: %s", err.msg);
		}
		free_all(in);
	}
	/* Writes past a file size limit fail (EFBIG, SIGXFSZ ignored) from the third chunk on:
	 * the threads' queued writes report it as the one-thread path does, and leave nothing.
	 * C is still damaged in its last chunk: the failed write, in an earlier one, comes first. */
	{
		struct rlimit old, lim;
		struct cast_stats st;
		int rc1, rc2;
		open_all(in, p);
		getrlimit(RLIMIT_FSIZE, &old);
		lim = old;
		lim.rlim_cur = 2 * CE * 4 + 100;
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
			rc1 = average_one(in, 3, one, 65536, &st, &err1);
			rc2 = average_one(in, 3, bad, 0, &st, &err);
			setrlimit(RLIMIT_FSIZE, &old);
			ok(rc1 < 0 && rc2 == rc1 && strstr(err1.msg, "File too large") &&
			   strstr(err.msg, ": write: File too large"), "a write fails: %s (one thread: %s)",
			   err.msg, err1.msg);
			ok(access(idx, F_OK) != 0, "nothing written");
		} else {
			ok(1, "# skip cannot set RLIMIT_FSIZE");
		}
		free_all(in);
	}
	{
		char cmd[350];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return tap_done();
}
