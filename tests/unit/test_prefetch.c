/* The read-ahead reader: every payload size around the chunk boundaries read back whole, on
 * its thread or inline; CRC mismatches, a truncated shard and a shard that shrinks while being
 * read reported; early closes; the thread always joined; stats_tensor through it, bit for bit.
 * Meant to be run under -fsanitize=thread or valgrind --tool=helgrind as well. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bundle.h"
#include "bundle_writer.h"
#include "dtype.h"
#include "prefetch.h"
#include "stats.h"
#include "tap.h"

#define CH 4096  /* the chunk of most cases: many boundaries in a small file */

static char dir[] = "/tmp/ckpt-test-prefetch.XXXXXX";
static char prefix[256], shard[300];

/* Payload sizes, in float32 elements, around the chunk of CH bytes. */
static const size_t sizes[] = { 0, 1, 1023, 1024, 1025, 2048, 3 * 1024 + 7, 40 * 1024 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
#define BIG (3 * (1u << 20) / 4 + 5000)  /* elements: > 3 chunks of PREFETCH_CHUNK */

static float *data[NSIZES];
static float *big;
static int threads0;  /* threads before any reader (a sanitizer may have its own) */

static int threads_now(void)  /* "Threads:" of /proc/self/status, -1 if unknown */
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Threads:", 8))
			n = atoi(line + 8);
	if (f)
		fclose(f);
	return n;
}

static void poke(long off)
{
	int fd = open(shard, O_RDWR);
	uint8_t c;
	if (pread(fd, &c, 1, off) == 1) {
		c ^= 0x40;
		if (pwrite(fd, &c, 1, off) != 1) {}
	}
	close(fd);
}

static const struct bundle_entry *entry(struct bundle *b, size_t i)
{
	char name[16];
	snprintf(name, sizeof(name), "t%zu", i);
	return bundle_find(b, name, strlen(name));
}

/* Read e whole through pf; returns prefetch_next's last result, the bytes in out. */
static long long read_all(struct prefetch *pf, struct bundle *b, const struct bundle_entry *e,
			  struct buf *out, size_t *calls, struct ck_err *err)
{
	const uint8_t *p;
	long long n;
	int rc = prefetch_open(pf, b, e, err);

	buf_reset(out);
	buf_grow(out, 1);  /* never NULL, for memcmp */
	*calls = 0;
	if (rc < 0)
		return rc;
	while ((n = prefetch_next(pf, &p, err)) > 0) {
		buf_add(out, p, (size_t)n);
		++*calls;
	}
	return n;
}

static void write_bundle(void)
{
	struct bundle_writer *w;
	struct ck_err err = { 0 };

	if (bundle_writer_open(&w, prefix, 1, BW_FORCE, &err) < 0)
		exit(1);
	for (size_t i = 0; i < NSIZES; i++) {
		char name[16];
		int64_t dim = (int64_t)sizes[i];
		snprintf(name, sizeof(name), "t%zu", i);
		bundle_writer_add(w, name, strlen(name), DT_FLOAT, &dim, 1, 0, data[i],
				  sizes[i] * sizeof(float));
	}
	{
		int64_t dim = BIG;
		bundle_writer_add(w, "big", 3, DT_FLOAT, &dim, 1, 0, big, BIG * sizeof(float));
	}
	ok(bundle_writer_finish(w, &err) == 0, "bundle written: %s", err.msg);
}

static void round_trips(void)
{
	struct prefetch *pf = prefetch_new(CH);
	struct bundle *b;
	struct ck_err err = { 0 };
	struct buf got = BUF_INIT;
	size_t calls;

	ok(bundle_open(&b, prefix, &err) == 0, "bundle opens: %s", err.msg);
	is_int((long long)prefetch_chunk(pf), CH, "chunk as asked");
	for (size_t i = 0; i < NSIZES; i++) {
		const struct bundle_entry *e = entry(b, i);
		size_t bytes = sizes[i] * sizeof(float), want = (bytes + CH - 1) / CH;
		long long rc = read_all(pf, b, e, &got, &calls, &err);

		is_int(rc, 0, "%zu bytes: read to the end, CRC checked: %s", bytes,
		       rc ? err.msg : "");
		is_mem(got.p, got.len, data[i], bytes, "%zu bytes: the same bytes", bytes);
		is_int((long long)calls, (long long)want, "%zu bytes: %zu chunks", bytes, want);
		is_int(prefetch_threaded(pf), bytes > CH, "%zu bytes: %s", bytes,
		       bytes > CH ? "on a thread" : "inline");
		is_int(prefetch_next(pf, &(const uint8_t *){ NULL }, &err), 0, "%zu bytes: 0 again",
		       bytes);
		prefetch_close(pf);
		is_int(threads_now(), threads0, "%zu bytes: no thread left after close", bytes);
	}

	/* Closing in the middle, with the ring full and the reader waiting, then reading again. */
	for (int k = 0; k < 50; k++) {
		const uint8_t *p;
		const struct bundle_entry *e = entry(b, NSIZES - 1);
		int bad = prefetch_open(pf, b, e, &err) < 0, during = threads_now();
		for (int j = 0; j < k % 7 && !bad; j++)
			bad = prefetch_next(pf, &p, &err) != CH;
		prefetch_close(pf);
		if (bad || during != threads0 + 1 || threads_now() != threads0) {
			ok(0, "early close %d", k);
			break;
		}
	}
	ok(1, "early closes join the thread");
	prefetch_close(pf);  /* twice is harmless */
	ok(read_all(pf, b, entry(b, NSIZES - 1), &got, &calls, &err) == 0 &&
	   got.len == sizes[NSIZES - 1] * sizeof(float), "reads whole again after early closes");
	prefetch_free(pf);  /* frees an open one too (closes it first) */

	/* Tiny chunks: thousands of hand-overs between the threads. */
	pf = prefetch_new(16);
	is_int(read_all(pf, b, entry(b, NSIZES - 1), &got, &calls, &err), 0, "16-byte chunks");
	is_mem(got.p, got.len, data[NSIZES - 1], sizes[NSIZES - 1] * sizeof(float),
	       "16-byte chunks: the same bytes");
	prefetch_free(pf);
	prefetch_free(NULL);

	/* stats_tensor reads through the default chunk: the same bits as the array at once. */
	{
		struct stats want, s1, s2;
		const struct bundle_entry *e = bundle_find(b, "big", 3);
		pf = prefetch_new(0);
		stats_init(&want, DT_FLOAT);
		stats_add(&want, DT_FLOAT, big, BIG, 0);
		ok(stats_tensor(b, e, &s1, pf, &err) == 0 && stats_tensor(b, e, &s2, NULL, &err) == 0,
		   "stats of %u elements: %s", BIG, err.msg);
		ok(!memcmp(&s1, &want, sizeof(want)) && !memcmp(&s2, &want, sizeof(want)),
		   "stats through the reader: the same bits");
		prefetch_free(pf);
		pf = prefetch_new(3 * CH);  /* chunks not on blocks: stats_tensor uses its own */
		ok(stats_tensor(b, e, &s1, pf, &err) == 0 && !memcmp(&s1, &want, sizeof(want)),
		   "stats with an unfit reader: the same bits");
		prefetch_free(pf);
	}
	bundle_free(b);
	buf_release(&got);
}

/* A flipped byte in chunk `at` (or the last byte) of every payload: each one a mismatch. */
static void mismatches(void)
{
	struct prefetch *pf = prefetch_new(CH);
	struct bundle *b;
	struct ck_err err = { 0 };
	struct buf got = BUF_INIT;
	size_t calls;

	for (size_t i = 1; i < NSIZES; i++) {
		const struct bundle_entry *e;
		size_t bytes = sizes[i] * sizeof(float);
		long long off;
		bundle_open(&b, prefix, &err);
		e = entry(b, i);
		off = (long long)e->offset + (long long)(bytes > 2 * CH ? CH + 3 : bytes - 1);
		poke(off);
		ok(read_all(pf, b, e, &got, &calls, &err) == CK_ECORRUPT &&
		   strstr(err.msg, "checksum mismatch") && strstr(err.msg, "\"t") &&
		   strstr(err.msg, ".data-00000-of-00001"), "%zu bytes, bad byte: %s", bytes,
		   err.msg);
		ok(prefetch_next(pf, &(const uint8_t *){ NULL }, &err) == CK_ECORRUPT &&
		   strstr(err.msg, "checksum mismatch"), "%zu bytes: the error again", bytes);
		prefetch_close(pf);
		poke(off);  /* mended */
		ok(read_all(pf, b, e, &got, &calls, &err) == 0, "%zu bytes: good again", bytes);
		bundle_free(b);
	}
	prefetch_free(pf);
	buf_release(&got);

	/* Through stats_tensor, on its 1 MiB chunks: a bad byte in the third one. */
	{
		struct stats st;
		const struct bundle_entry *e;
		long off;
		bundle_open(&b, prefix, &err);
		e = bundle_find(b, "big", 3);
		off = (long)e->offset + 2 * PREFETCH_CHUNK + 77;
		poke(off);
		ok(stats_tensor(b, e, &st, NULL, &err) == CK_ECORRUPT &&
		   strstr(err.msg, "tensor \"big\": checksum mismatch"), "stats: %s", err.msg);
		poke(off);
		bundle_free(b);
	}
}

/* A shard cut short before the read (found on open) and while the thread reads it. */
static void truncations(void)
{
	struct prefetch *pf = prefetch_new(CH);
	struct bundle *b;
	const struct bundle_entry *e;
	struct ck_err err = { 0 };
	struct buf got = BUF_INIT;
	size_t calls;
	const uint8_t *p;

	bundle_open(&b, prefix, &err);
	e = entry(b, NSIZES - 1);
	ok(prefetch_open(pf, b, e, &err) == 0 && prefetch_next(pf, &p, &err) == CH,
	   "open, one chunk read");
	ok(truncate(shard, (off_t)(e->offset + 5 * CH + 10)) == 0, "shard cut short");
	{
		long long rc;
		while ((rc = prefetch_next(pf, &p, &err)) > 0)
			;
		ok(rc == CK_ECORRUPT && strstr(err.msg, "shrank") &&
		   strstr(err.msg, ".data-00000-of-00001"), "shrank while read: %s", err.msg);
	}
	prefetch_close(pf);
	is_int(threads_now(), threads0, "no thread left after the error");
	bundle_free(b);

	bundle_open(&b, prefix, &err);
	ok(read_all(pf, b, entry(b, NSIZES - 1), &got, &calls, &err) == CK_ECORRUPT &&
	   strstr(err.msg, "extends past the end"), "already cut: %s", err.msg);
	prefetch_close(pf);  /* harmless after a failed open */
	ok(read_all(pf, b, entry(b, 2), &got, &calls, &err) == 0, "tensors before the cut read");
	bundle_free(b);

	write_bundle();  /* whole again */
	buf_release(&got);
	prefetch_free(pf);
}

int main(void)
{
	struct ck_err err = { 0 };
	const uint8_t *p;
	struct prefetch *pf;

	if (!mkdtemp(dir))
		return 1;
	snprintf(prefix, sizeof(prefix), "%s/m", dir);
	snprintf(shard, sizeof(shard), "%s.data-00000-of-00001", prefix);
	for (size_t i = 0; i < NSIZES; i++) {
		data[i] = malloc(sizes[i] * sizeof(float) + 1);
		for (size_t j = 0; j < sizes[i]; j++)
			data[i][j] = (float)(i * 100000 + j) * 0.25f;
	}
	big = malloc(BIG * sizeof(float));
	for (size_t j = 0; j < BIG; j++)
		big[j] = (float)((j * 2654435761u) % 1000003) * 1e-3f - 500.0f;

	pf = prefetch_new(0);
	is_int((long long)prefetch_chunk(pf), PREFETCH_CHUNK, "default chunk");
	ok(prefetch_next(pf, &p, &err) == CK_EUSAGE, "next with nothing open: an error");
	prefetch_free(pf);

	write_bundle();
	{
		/* The threads there are besides readers (a sanitizer starts its own with the first
		 * pthread_create): counted after one reader came and went. */
		struct bundle *b;
		bundle_open(&b, prefix, &err);
		pf = prefetch_new(CH);
		prefetch_open(pf, b, entry(b, NSIZES - 1), &err);
		prefetch_free(pf);
		bundle_free(b);
		threads0 = threads_now();
	}
	round_trips();
	mismatches();
	truncations();

	for (size_t i = 0; i < NSIZES; i++)
		free(data[i]);
	free(big);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd)) {}
	}
	return tap_done();
}
