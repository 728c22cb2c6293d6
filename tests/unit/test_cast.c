/* cast_payload(s): payloads around the chunk and two-thread sizes converted by two threads
 * are, bit for bit, what one cast_elements call over the whole array gives, with the same
 * counts, alone or in one batch; the CRC stored is that of the bytes written (the writer
 * re-reads them, BW_VERIFY_DATA); tensors written after a conversion land after it;
 * big-endian inputs stay big-endian; a bad byte anywhere is reported, in a batch the first
 * payload's in order. Meant to be run under -fsanitize=thread as well (make check-tsan). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "tensor/assemble.h"
#include "edit/cast.h"
#include "tap.h"

#define Q (CAST_CHUNK / 4)  /* float32 elements per chunk */

static char dir[] = "/tmp/ckpt-test-cast.XXXXXX";
static char in_prefix[256], out_prefix[256];

/* The inputs: float32 around one chunk (one thread) and several (two), float64 too. */
static const struct { int dtype; size_t n; int to; } cases[] = {
	{ DT_FLOAT, 0, DT_BFLOAT16 },
	{ DT_FLOAT, 1, DT_BFLOAT16 },
	{ DT_FLOAT, Q + 1, DT_BFLOAT16 },
	{ DT_FLOAT, 4 * Q - 1, DT_BFLOAT16 },
	{ DT_FLOAT, 4 * Q, DT_BFLOAT16 },
	{ DT_FLOAT, 9 * Q + 7, DT_BFLOAT16 },
	{ DT_FLOAT, 9 * Q + 7, DT_HALF },
	{ DT_FLOAT, 5 * Q + 3, DT_DOUBLE },   /* the output larger than the input */
	{ DT_DOUBLE, 5 * Q + 1, DT_HALF },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))
static uint8_t *data[NCASES];

/* Values with known bfloat16 bits, put in both halves of the payloads that have them. */
static const struct { float x; uint16_t bf16; } known[] = {
	{ 1.0f, 0x3f80 }, { -2.0f, 0xc000 },
	{ 3.4e38f, 0x7f80 },          /* beyond bfloat16's largest finite value: Inf */
	{ 1e-45f, 0x0000 },           /* the smallest subnormal float: zero */
	{ 1.00390625f, 0x3f80 },      /* 1 + 2^-8: halfway, ties to the even 1.0 */
	{ 1.01171875f, 0x3f82 },      /* 1 + 3 * 2^-8: halfway, ties to the even 0x3f82 */
};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

static size_t known_at(size_t n, size_t k)  /* where known[k] goes: near the start, the end */
{
	return k < NKNOWN / 2 ? 3 + k : n - 3 - k;
}

static void fill(size_t c)
{
	size_t n = cases[c].n, es = (size_t)dtype_info(cases[c].dtype)->size;

	data[c] = malloc(n * es + 1);
	for (size_t j = 0; j < n; j++) {
		double v = (double)((j * 2654435761u + c) % 1000003) * 1e-3 - 500.0;
		if (cases[c].dtype == DT_FLOAT) {
			float f = (float)v;
			memcpy(data[c] + 4 * j, &f, 4);
		} else {
			memcpy(data[c] + 8 * j, &v, 8);
		}
	}
	if (cases[c].dtype == DT_FLOAT && n > 16)
		for (size_t k = 0; k < NKNOWN; k++)
			memcpy(data[c] + 4 * known_at(n, k), &known[k].x, 4);
}

static void name_of(char *name, size_t c)
{
	snprintf(name, 16, "t%zu", c);
}

/* The inputs, in the host's order or swapped to big-endian. */
static void write_inputs(int big_endian)
{
	struct bundle_writer *w;
	struct ck_err err = { 0 };

	if (bundle_writer_open(&w, in_prefix, 1, BW_FORCE, &err) < 0)
		exit(1);
	bundle_writer_set_big_endian(w, big_endian);
	for (size_t c = 0; c < NCASES; c++) {
		char name[16];
		int64_t dim = (int64_t)cases[c].n;
		size_t bytes = cases[c].n * (size_t)dtype_info(cases[c].dtype)->size;
		uint8_t *p = malloc(bytes + 1);
		memcpy(p, data[c], bytes);
		if (big_endian)
			swap_elements(cases[c].dtype, p, cases[c].n);
		name_of(name, c);
		bundle_writer_add(w, name, strlen(name), cases[c].dtype, &dim, 1, 0, p, bytes);
		free(p);
	}
	ok(bundle_writer_finish(w, &err) == 0, "inputs written%s: %s",
	   big_endian ? " big-endian" : "", err.msg);
}

/* Every case converted, each followed by a small int32 tensor copied as it is. */
static void convert_all(int big_endian)
{
	struct bundle *b, *o = NULL;
	struct bundle_writer *w;
	struct ck_err err = { 0 };
	struct buf got = BUF_INIT;
	const char *how = big_endian ? " (big-endian)" : "";

	bundle_open(&b, in_prefix, &err);
	is_int(b->big_endian, big_endian, "input byte order%s", how);
	bundle_writer_open(&w, out_prefix, 1, BW_FORCE | BW_VERIFY_DATA | BW_NO_SYNC, &err);
	bundle_writer_set_big_endian(w, b->big_endian);
	for (size_t c = 0; c < NCASES; c++) {
		char name[16], after[32];
		struct cast_stats st = { 0 };
		uint64_t bytes = 0;
		int32_t tail[3] = { (int32_t)c, -1, 7 };
		int64_t three = 3;
		name_of(name, c);
		is_int(cast_payload(w, b, bundle_find(b, name, strlen(name)), cases[c].to, &st, &bytes,
				    &err), 0, "%s: %zu elements of %s to %s%s: %s", name, cases[c].n,
		       dtype_name(cases[c].dtype), dtype_name(cases[c].to), how, err.msg);
		is_int(bytes, cases[c].n * (uint64_t)dtype_info(cases[c].to)->size, "%s: bytes counted",
		       name);
		snprintf(after, sizeof(after), "%s-after", name);
		bundle_writer_add(w, after, strlen(after), DT_INT32, &three, 1, 0, tail, sizeof(tail));
		if (!big_endian) {  /* the counts do not depend on the byte order */
			struct cast_stats want = { 0 };
			uint8_t *ref = malloc(cases[c].n * 8 + 1);
			cast_elements(cases[c].dtype, data[c], cases[c].to, ref, cases[c].n, &want);
			ok(!memcmp(&st, &want, sizeof(st)), "%s: counted as one call counts: %llu values, "
			   "%llu rounded, %llu overflowed, %llu underflowed", name,
			   (unsigned long long)st.values, (unsigned long long)st.changed,
			   (unsigned long long)st.overflow, (unsigned long long)st.underflow);
			free(ref);
		}
	}
	/* finish re-reads every payload against the CRC cast_payload stored */
	is_int(bundle_writer_finish(w, &err), 0, "output written, every CRC checked%s: %s", how,
	       err.msg);
	is_int(bundle_open(&o, out_prefix, &err), 0, "output opens: %s", err.msg);
	if (!o) {
		bundle_free(b);
		return;
	}
	is_int(o->big_endian, big_endian, "output byte order kept%s", how);
	for (size_t c = 0; c < NCASES; c++) {
		char name[16], after[32];
		size_t n = cases[c].n, os = (size_t)dtype_info(cases[c].to)->size;
		uint8_t *want = malloc(n * os + 1);
		const struct bundle_entry *e;
		name_of(name, c);
		cast_elements(cases[c].dtype, data[c], cases[c].to, want, n, NULL);
		if (big_endian)
			swap_elements(cases[c].to, want, n);
		e = bundle_find(o, name, strlen(name));
		ok(e && e->dtype == cases[c].to && bundle_read(o, e, &got, &err) == 0 &&
		   got.len == n * os && !memcmp(got.p, want, n * os),
		   "%s: the bits of one cast_elements call%s", name, how);
		if (cases[c].to == DT_BFLOAT16 && n > 16 && !big_endian) {
			int all = 1;
			for (size_t k = 0; k < NKNOWN; k++) {
				uint16_t h;
				memcpy(&h, got.p + 2 * known_at(n, k), 2);
				all &= h == known[k].bf16;
			}
			ok(all, "%s: known bfloat16 values in both halves", name);
		}
		snprintf(after, sizeof(after), "%s-after", name);
		e = bundle_find(o, after, strlen(after));
		ok(e && bundle_read(o, e, &got, &err) == 0 && got.len == 12 &&
		   !memcmp(got.p + 4, "\xff\xff\xff\xff", 4), "%s: the tensor written after it%s",
		   after, how);
		free(want);
	}
	buf_release(&got);
	bundle_free(o);
	bundle_free(b);
}

/* All cases in one batch, with no tensor between them: the same bits as one call each. */
static void batch_all(void)
{
	struct bundle *b, *o = NULL;
	struct bundle_writer *w;
	struct ck_err err = { 0 };
	struct cast_item items[NCASES];
	struct buf got = BUF_INIT;
	uint64_t bytes = 0, want_bytes = 0;
	int same = 1, counts = 1;

	bundle_open(&b, in_prefix, &err);
	bundle_writer_open(&w, out_prefix, 1, BW_FORCE | BW_VERIFY_DATA | BW_NO_SYNC, &err);
	for (size_t c = 0; c < NCASES; c++) {
		char name[16];
		name_of(name, c);
		items[c] = (struct cast_item){ .e = bundle_find(b, name, strlen(name)) };
		want_bytes += cases[c].n * (uint64_t)dtype_info(DT_HALF)->size;
	}
	is_int(cast_payloads(w, b, items, NCASES, DT_HALF, &bytes, &err), 0,
	       "one batch of %zu payloads to float16: %s", NCASES, err.msg);
	is_int(bytes, want_bytes, "batch: bytes counted");
	is_int(bundle_writer_finish(w, &err), 0, "batch: every CRC checked: %s", err.msg);
	bundle_open(&o, out_prefix, &err);
	for (size_t c = 0; o && c < NCASES; c++) {
		char name[16];
		size_t n = cases[c].n;
		uint8_t *want = malloc(n * 2 + 1);
		struct cast_stats st = { 0 };
		const struct bundle_entry *e;
		name_of(name, c);
		cast_elements(cases[c].dtype, data[c], DT_HALF, want, n, &st);
		e = bundle_find(o, name, strlen(name));
		same &= e && bundle_read(o, e, &got, &err) == 0 && got.len == n * 2 &&
			!memcmp(got.p, want, n * 2);
		counts &= !memcmp(&st, &items[c].st, sizeof(st));
		free(want);
	}
	ok(o && same, "batch: each payload the bits of one cast_elements call");
	ok(counts, "batch: each payload's counts its own");
	buf_release(&got);
	bundle_free(o);
	bundle_free(b);
}

static void poke(long off)
{
	char shard[300];
	int fd;
	uint8_t ch;

	snprintf(shard, sizeof(shard), "%s.data-00000-of-00001", in_prefix);
	fd = open(shard, O_RDWR);
	if (pread(fd, &ch, 1, off) == 1) {
		ch ^= 0x10;
		if (pwrite(fd, &ch, 1, off) != 1) {}
	}
	close(fd);
}

/* A flipped byte in the first chunk, the last, and a payload of one chunk. */
static void mismatches(void)
{
	static const struct { size_t c; long at; const char *what; } bad[] = {
		{ 5, 7, "first chunk" },
		{ 5, 9 * (long)CAST_CHUNK + 1, "last chunk" },
		{ 1, 2, "one chunk, on the caller's thread" },
	};

	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		struct bundle *b;
		struct bundle_writer *w;
		struct ck_err err = { 0 };
		const struct bundle_entry *e;
		char name[16];
		name_of(name, bad[k].c);
		bundle_open(&b, in_prefix, &err);
		e = bundle_find(b, name, strlen(name));
		poke((long)e->offset + bad[k].at);
		bundle_writer_open(&w, out_prefix, 1, BW_FORCE | BW_NO_SYNC, &err);
		ok(cast_payload(w, b, e, DT_BFLOAT16, NULL, NULL, &err) == CK_ECORRUPT &&
		   strstr(err.msg, "checksum mismatch") && strstr(err.msg, name),
		   "bad byte, %s: %s", bad[k].what, err.msg);
		bundle_writer_abort(w);
		poke((long)e->offset + bad[k].at);  /* mended */
		bundle_free(b);
	}
	{  /* two bad payloads in one batch: the first in order is reported */
		struct bundle *b;
		struct bundle_writer *w;
		struct ck_err err = { 0 };
		struct cast_item items[NCASES];
		long at4, at7;
		bundle_open(&b, in_prefix, &err);
		for (size_t c = 0; c < NCASES; c++) {
			char name[16];
			name_of(name, c);
			items[c] = (struct cast_item){ .e = bundle_find(b, name, strlen(name)) };
		}
		at4 = (long)items[4].e->offset + 3 * (long)CAST_CHUNK + 9;
		at7 = (long)items[7].e->offset + 11;
		poke(at4);
		poke(at7);
		bundle_writer_open(&w, out_prefix, 1, BW_FORCE | BW_NO_SYNC, &err);
		ok(cast_payloads(w, b, items, NCASES, DT_BFLOAT16, NULL, &err) == CK_ECORRUPT &&
		   strstr(err.msg, "checksum mismatch") && strstr(err.msg, "\"t4\""),
		   "two bad payloads in a batch: the first reported: %s", err.msg);
		bundle_writer_abort(w);
		poke(at4);
		poke(at7);
		bundle_free(b);
	}
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(in_prefix, sizeof(in_prefix), "%s/in", dir);
	snprintf(out_prefix, sizeof(out_prefix), "%s/out", dir);
	for (size_t c = 0; c < NCASES; c++)
		fill(c);
	write_inputs(0);
	convert_all(0);
	batch_all();
	mismatches();
	write_inputs(1);
	convert_all(1);
	for (size_t c = 0; c < NCASES; c++)
		free(data[c]);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd)) {}
	}
	return tap_done();
}
