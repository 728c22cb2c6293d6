/* split_read: payloads around the chunk and split sizes read back whole, each half in order;
 * CRC mismatches in either half; a shard cut short before and during the read; a callback
 * that stops; stats_tensor on a split payload is its two halves merged, bit for bit. Meant
 * to be run under -fsanitize=thread or valgrind --tool=helgrind as well. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "tensor/split.h"
#include "tensor/stats.h"
#include "tap.h"

#define Q (SPLIT_CHUNK / 4)  /* float32 elements per chunk */

static char dir[] = "/tmp/ckpt-test-split.XXXXXX";
static char prefix[256], shard[300];

/* Payload sizes in float32 elements, around a chunk and the split threshold (4 chunks). */
static const size_t sizes[] = { 0, 1, Q - 1, Q, Q + 1, 4 * Q - 1, 4 * Q, 4 * Q + 1, 9 * Q + 7 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))
static float *data[NSIZES];

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
	ok(bundle_writer_finish(w, &err) == 0, "bundle written: %s", err.msg);
}

/* What one half saw: its bytes put at their offsets, and whether they came in order. */
struct seen {
	uint8_t *out;
	uint64_t next, first;  /* next offset expected; the half's first (UINT64_MAX: none) */
	int in_order, calls;
	int stop_at;           /* return 7 on this call (0: never) */
	long cut;              /* truncate the shard here on the first call (0: never) */
};

static int collect(void *ctx, const uint8_t *p, size_t n, uint64_t off)
{
	struct seen *s = ctx;

	if (s->first == UINT64_MAX)
		s->first = s->next = off;
	s->in_order &= off == s->next && n <= SPLIT_CHUNK && off % SPLIT_CHUNK == 0;
	s->next = off + n;
	memcpy(s->out + off, p, n);
	if (s->cut && !s->calls++ && truncate(shard, s->cut)) {}
	return s->stop_at && ++s->calls >= s->stop_at ? 7 : 0;
}

static int read_whole(struct bundle *b, const struct bundle_entry *e, struct seen s[2],
		      uint8_t *out, int *halves, struct ck_err *err)
{
	void *ctx[2] = { &s[0], &s[1] };

	for (int k = 0; k < 2; k++) {
		s[k].out = out;
		s[k].first = UINT64_MAX;
		s[k].in_order = 1;
		s[k].calls = 0;
	}
	return split_read(b, e, collect, ctx, halves, err);
}

static void round_trips(void)
{
	struct bundle *b;
	struct ck_err err = { 0 };
	int threads = -1;

	ok(bundle_open(&b, prefix, &err) == 0, "bundle opens: %s", err.msg);
	for (int rep = 0; rep < 3; rep++) {
		for (size_t i = 0; i < NSIZES; i++) {
			size_t bytes = sizes[i] * sizeof(float);
			uint8_t *out = calloc(bytes + 1, 1);
			struct seen s[2] = { { 0 }, { 0 } };
			int want = bytes >= SPLIT_MIN ? 2 : 1, halves;
			int rc = read_whole(b, entry(b, i), s, out, &halves, &err);
			if (rep) {  /* quietly: the same again, and no thread made per call */
				if (rc || memcmp(out, data[i], bytes) || halves != want)
					ok(0, "repeat %d, %zu bytes", rep, bytes);
				free(out);
				continue;
			}
			is_int(rc, 0, "%zu bytes: read, CRC checked: %s", bytes, rc ? err.msg : "");
			ok(!memcmp(out, data[i], bytes), "%zu bytes: the same bytes", bytes);
			is_int(halves, want, "%zu bytes: %d half(s)", bytes, want);
			ok(s[0].in_order && s[1].in_order, "%zu bytes: each half in order, whole chunks",
			   bytes);
			if (want == 2)
				ok(s[0].first == 0 && s[0].next == s[1].first && s[1].next == bytes &&
				   s[1].first % SPLIT_CHUNK == 0,
				   "%zu bytes: halves meet on a chunk at %llu", bytes,
				   (unsigned long long)s[1].first);
			free(out);
		}
		if (!rep)
			threads = threads_now();
	}
	is_int(threads_now(), threads, "one helper thread for every split read");
	bundle_free(b);
}

/* A flipped byte in the first half, the second half and a small payload: each a mismatch. */
static void mismatches(void)
{
	static const struct { size_t i; long at; const char *what; } cases[] = {
		{ NSIZES - 1, 5, "first half" },
		{ NSIZES - 1, 9 * SPLIT_CHUNK + 3, "second half, last chunk" },
		{ NSIZES - 1, 5 * SPLIT_CHUNK - 1, "second half, first byte" },
		{ 3, SPLIT_CHUNK - 1, "one chunk, last byte" },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct bundle *b;
		struct ck_err err = { 0 };
		const struct bundle_entry *e;
		size_t bytes = sizes[cases[c].i] * sizeof(float);
		uint8_t *out = malloc(bytes + 1);
		struct seen s[2] = { { 0 }, { 0 } };
		int halves;
		bundle_open(&b, prefix, &err);
		e = entry(b, cases[c].i);
		poke((long)e->offset + cases[c].at);
		ok(read_whole(b, e, s, out, &halves, &err) == CK_ECORRUPT &&
		   strstr(err.msg, "checksum mismatch") && strstr(err.msg, "\"t") &&
		   strstr(err.msg, ".data-00000-of-00001"), "bad byte, %s: %s", cases[c].what,
		   err.msg);
		poke((long)e->offset + cases[c].at);  /* mended */
		is_int(read_whole(b, e, s, out, &halves, &err), 0, "%s: good again", cases[c].what);
		bundle_free(b);
		free(out);
	}
}

/* split_stream_read: a payload in pieces on two cores, bytes and CRC as tensor_stream_read's;
 * a bad byte in either half of a piece found at the end. */
static void stream_pieces(void)
{
	struct bundle *b;
	struct ck_err err = { 0 };
	const struct bundle_entry *e;
	uint8_t *out;

	bundle_open(&b, prefix, &err);
	e = entry(b, NSIZES - 1);
	out = calloc(e->size + 1, 1);
	for (int bad = -1; bad < 2; bad++) {
		struct tensor_stream ts;
		long long got = 0, rc = 0;
		long at = bad == 0 ? 5 : (long)SPLIT_MIN + 7;  /* first piece: first half; second */
		if (bad >= 0)
			poke((long)e->offset + at);
		tensor_stream_open(&ts, b, e, &err);
		for (uint64_t pos = 0; pos < e->size && rc >= 0; pos += (uint64_t)rc) {
			rc = split_stream_read(&ts, out + pos, SPLIT_MIN + 4 * 3, &err);
			got += rc > 0 ? rc : 0;
		}
		if (bad < 0)
			ok(rc > 0 && (uint64_t)got == e->size && !memcmp(out, data[NSIZES - 1], e->size),
			   "split_stream_read: %llu bytes in pieces: %s", (unsigned long long)got,
			   err.msg);
		else
			ok(rc == CK_ECORRUPT && strstr(err.msg, "checksum mismatch"),
			   "split_stream_read: a bad byte at %ld: %s", at, err.msg);
		if (bad >= 0)
			poke((long)e->offset + at);
	}
	free(out);
	bundle_free(b);
}

/* split_read_into: every size read whole into place, and a bad byte in either half found. */
static void into_place(void)
{
	struct bundle *b;
	struct ck_err err = { 0 };
	int good = 1;

	bundle_open(&b, prefix, &err);
	for (size_t i = 0; i < NSIZES; i++) {
		size_t bytes = sizes[i] * sizeof(float);
		uint8_t *out = calloc(bytes + 1, 1);
		good &= split_read_into(b, entry(b, i), out, &err) == 0 &&
			!memcmp(out, data[i], bytes);
		free(out);
	}
	ok(good, "split_read_into: every size read into place: %s", err.msg);
	for (int k = 0; k < 2; k++) {
		const struct bundle_entry *e = entry(b, NSIZES - 1);
		long at = k ? 9 * SPLIT_CHUNK + 3 : 5;
		uint8_t *out = malloc(e->size);
		poke((long)e->offset + at);
		ok(split_read_into(b, e, out, &err) == CK_ECORRUPT &&
		   strstr(err.msg, "checksum mismatch"), "split_read_into: bad byte in half %d: %s",
		   k, err.msg);
		poke((long)e->offset + at);
		free(out);
	}
	bundle_free(b);
}

static void stops_and_cuts(void)
{
	struct bundle *b;
	struct ck_err err = { 0 };
	const struct bundle_entry *e;
	size_t bytes = sizes[NSIZES - 1] * sizeof(float);
	uint8_t *out = malloc(bytes + 1);
	struct seen s[2] = { { 0 }, { 0 } };
	int halves;

	bundle_open(&b, prefix, &err);
	e = entry(b, NSIZES - 1);
	s[1].stop_at = 2;
	is_int(read_whole(b, e, s, out, &halves, &err), 7, "the callback's stop is returned");
	s[1].stop_at = 0;
	/* Cut inside the second half when it has its first chunk: its next read comes up short. */
	s[1].cut = (long)e->offset + 5 * SPLIT_CHUNK + 10;
	ok(read_whole(b, e, s, out, &halves, &err) == CK_ECORRUPT && strstr(err.msg, "shrank") &&
	   strstr(err.msg, ".data-00000-of-00001"), "shrank while read: %s", err.msg);
	s[1].cut = 0;
	bundle_free(b);

	bundle_open(&b, prefix, &err);
	ok(read_whole(b, entry(b, NSIZES - 1), s, out, &halves, &err) == CK_ECORRUPT &&
	   strstr(err.msg, "extends past the end"), "already cut: %s", err.msg);
	is_int(read_whole(b, entry(b, 2), s, out, &halves, &err), 0, "tensors before the cut read");
	bundle_free(b);
	write_bundle();  /* whole again */
	free(out);
}

/* stats_tensor of a split payload: the first half's statistics with the second's merged in;
 * of a payload read in one go, the whole array's. Bit for bit. The split one is the first
 * statistics of the process: its halves must not both choose the block loops (a data race
 * for ThreadSanitizer, make check-tsan). */
static void stats_halves(void)
{
	struct bundle *b;
	struct ck_err err = { 0 };
	struct stats want, second, got;
	size_t n = sizes[NSIZES - 1], mid = n * 4 / 2 / SPLIT_CHUNK * SPLIT_CHUNK / 4;
	int rc;

	bundle_open(&b, prefix, &err);
	rc = stats_tensor(b, entry(b, NSIZES - 1), &got, &err);
	stats_init(&want, DT_FLOAT);
	stats_add(&want, DT_FLOAT, data[NSIZES - 1], mid, 0);
	stats_init(&second, DT_FLOAT);
	stats_add(&second, DT_FLOAT, data[NSIZES - 1] + mid, n - mid, 0);
	stats_merge(&want, &second);
	ok(rc == 0 && !memcmp(&got, &want, sizeof(want)),
	   "stats of %zu elements in halves: the halves merged, the same bits %s", n, err.msg);
	stats_init(&want, DT_FLOAT);
	stats_add(&want, DT_FLOAT, data[4], sizes[4], 0);
	ok(stats_tensor(b, entry(b, 4), &got, &err) == 0 && !memcmp(&got, &want, sizeof(want)),
	   "stats of %zu elements in one go: the array's bits %s", sizes[4], err.msg);
	bundle_free(b);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(prefix, sizeof(prefix), "%s/m", dir);
	snprintf(shard, sizeof(shard), "%s.data-00000-of-00001", prefix);
	for (size_t i = 0; i < NSIZES; i++) {
		data[i] = malloc(sizes[i] * sizeof(float) + 1);
		for (size_t j = 0; j < sizes[i]; j++)
			data[i][j] = (float)((j * 2654435761u + i) % 1000003) * 1e-3f - 500.0f;
	}
	write_bundle();
	round_trips();
	mismatches();
	into_place();
	stream_pieces();
	stops_and_cuts();
	stats_halves();
	for (size_t i = 0; i < NSIZES; i++)
		free(data[i]);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd)) {}
	}
	return tap_done();
}
