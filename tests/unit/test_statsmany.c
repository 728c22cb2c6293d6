/* statsmany.h: statistics of many small tensors by two runs taking chunks in turn. A bundle
 * of 1300 float32 tensors of 64 to 1024 elements, with a hole too wide to read through before
 * the last entry of the first chunk (its window holds it alone, and batch_fill reads no
 * window of one). Every tensor's statistics are stats_tensor's, bit for bit, each run's rows
 * come in rising order, and from[] says who made each; a payload whose checksum does not
 * match is left to the caller (from[i] STATSMANY_NONE), with every chunk below it done. Run
 * under ThreadSanitizer (TSAN_UNITS). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/util.h"
#include "edit/statsmany.h"
#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "tap.h"

static char dir[] = "/tmp/ckpt-test-statsmany.XXXXXX";
static char prefix[256], shard[300];

#define N 1300
#define HOLE_BEFORE 511           /* the last entry of the first chunk (chunks of 512) */
#define HOLE_SIZE (200u << 10)

static uint64_t offset_of[N];

static void write_bundle(void)
{
	struct bundle_writer *w;
	struct ck_err err = { 0 };
	uint64_t at = 0;

	if (bundle_writer_open(&w, prefix, 1, BW_FORCE | BW_NO_SYNC, &err) < 0)
		exit(1);
	for (int i = 0; i < N; i++) {
		size_t m = 64u << (i % 5), size = m * 4;
		float *x = malloc(size);
		char name[32];
		int64_t dim = (int64_t)m;
		struct bundle_entry e = { .name = name, .dtype = DT_FLOAT, .rank = 1, .dims = &dim,
					  .elements = m, .shard = 0, .size = size };
		if (i == HOLE_BEFORE) {
			uint8_t *z = calloc(HOLE_SIZE, 1);
			bundle_writer_write(w, 0, z, HOLE_SIZE);
			at += HOLE_SIZE;
			free(z);
		}
		for (size_t k = 0; k < m; k++)
			x[k] = (float)((k * 2654435761u + (unsigned)i * 40503u) % 100003) * 1e-5f - 0.4f;
		snprintf(name, sizeof(name), "t/%04d", i);
		e.name_len = strlen(name);
		e.offset = offset_of[i] = at;
		e.crc32c = crc32c_mask(crc32c_extend(0, x, size));
		bundle_writer_write(w, 0, x, size);
		bundle_writer_add_entry(w, &e);
		at += size;
		free(x);
	}
	if (bundle_writer_finish(w, &err) < 0)
		exit(1);
}

/* A sink: the statistics it was handed, by entry, and whether they came in rising order. */
struct sink {
	struct bundle *b;
	struct stats *got;
	long last;
	int rising, rows;
};

static void sink_row(void *arg, const struct bundle_entry *e, const struct stats *st)
{
	struct sink *k = arg;
	long i = (long)(e - k->b->entries);

	k->rising &= i > k->last;
	k->last = i;
	k->got[i] = *st;
	k->rows++;
}

/* One statsmany_run over every entry; 1 if each row made is stats_tensor's and came once, in
 * order; *left gets the entries left. */
static int run_all(unsigned char *from, size_t *left, int *rows)
{
	struct bundle *b;
	struct ck_err err = { 0 };
	const struct bundle_entry *sel[N];
	struct stats *got = calloc(N, sizeof(*got));
	struct sink k[2] = { { .last = -1, .rising = 1 }, { .last = -1, .rising = 1 } };
	void *sinks[2] = { &k[0], &k[1] };
	int good = 1;

	if (bundle_open(&b, prefix, &err) < 0 || b->nentries != N)
		return 0;
	for (size_t i = 0; i < N; i++)
		sel[i] = &b->entries[i];
	for (int j = 0; j < 2; j++) {
		k[j].b = b;
		k[j].got = got;
	}
	good &= statsmany_eligible(b, sel, N);
	*left = statsmany_run(b, sel, N, sink_row, sinks, from);
	for (size_t i = 0; i < N; i++) {
		struct stats want;
		if (from[i] == STATSMANY_NONE)
			continue;
		good &= from[i] < 2 && stats_tensor(b, sel[i], &want, &err) == 0 &&
			!memcmp(&want, &got[i], sizeof(want));
	}
	good &= k[0].rising && k[1].rising;
	*rows = k[0].rows + k[1].rows;
	free(got);
	bundle_free(b);
	return good;
}

int main(void)
{
	unsigned char from[N];
	size_t left, done = 0, below = 0;
	int rows;

	if (!mkdtemp(dir))
		return 1;
	snprintf(prefix, sizeof(prefix), "%s/m", dir);
	snprintf(shard, sizeof(shard), "%s.data-00000-of-00001", prefix);
	write_bundle();

	ok(run_all(from, &left, &rows), "every row is stats_tensor's, each run's in rising order");
	is_int(left, 0, "no entry left");
	is_int(rows, N, "each entry once");
	ok(from[HOLE_BEFORE] < 2, "the payload a window holds alone, read on its own");

	{	/* one byte of entry 700 changed: its checksum no longer matches */
		FILE *f = fopen(shard, "r+b");
		int c;
		fseek(f, (long)offset_of[700] + 3, SEEK_SET);
		c = fgetc(f);
		fseek(f, (long)offset_of[700] + 3, SEEK_SET);
		fputc(c ^ 1, f);
		fclose(f);
	}
	ok(run_all(from, &left, &rows), "damaged: every row made is stats_tensor's");
	for (size_t i = 0; i < N; i++) {
		done += from[i] != STATSMANY_NONE;
		below += i < 512 && from[i] != STATSMANY_NONE;
	}
	ok(left > 0 && from[700] == STATSMANY_NONE && left == N - done && (size_t)rows == done,
	   "damaged: the entry left to the caller (%zu left)", left);
	is_int(below, 512, "damaged: the chunk below it done");

	{
		struct bundle *b;
		struct ck_err err = { 0 };
		const struct bundle_entry *sel[STATSMANY_MIN];
		bundle_open(&b, prefix, &err);
		for (size_t i = 0; i < STATSMANY_MIN; i++)
			sel[i] = &b->entries[i];
		ok(!statsmany_eligible(b, sel, STATSMANY_MIN - 1), "too few entries: not taken");
		ok(statsmany_eligible(b, sel, STATSMANY_MIN), "enough: taken");
		bundle_free(b);
	}
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd)) {}
	}
	return tap_done();
}
