/* batch.h: small payloads read a window at a time. A hand-laid bundle of two shards: small
 * float32 payloads of 1-4 KiB, holes between some of them (as a subset's shared data file
 * has), a payload larger than a window among the small ones, a hole too large to read
 * through, and names whose order is not the payloads' order. Every payload is found with the
 * right bytes whether planned in disk order or in name order; windows never pass BATCH_WINDOW
 * bytes or mix shards; a payload that would straddle a window's end starts the next one; a
 * shard cut short in the middle of a window (after it was opened) leaves exactly the
 * payloads past the cut to the per-tensor path; a missing shard leaves them all to it. And
 * compare_payloads gives what compare_tensors gives, results and errors alike. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/crc32c.h"
#include "base/util.h"
#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "tensor/batch.h"
#include "tensor/compare.h"
#include "tap.h"

static char dir[] = "/tmp/ckpt-test-batch.XXXXXX";
static char prefix[256], shard0[300], shard1[300];

#define N0 400      /* small payloads in shard 0: 1 MiB */
#define N1 20       /* in shard 1 */
#define BIG_AFTER 100                 /* shard 0: the large payload comes after this one */
#define BIG_SIZE (300u << 10)         /* larger than a window */
#define GAP_AFTER 60                  /* a hole too wide to read through after this one */
#define GAP_SIZE (200u << 10)

static uint8_t pattern(int shard, uint64_t off)
{
	return (uint8_t)((off * 131 + 7 + (uint64_t)shard * 57) >> 2);
}

/* Shard 0's names run backwards in blocks of 7, so name order is not file order. */
static void name_of(char *name, size_t n, int shard, int i)
{
	snprintf(name, n, "s%d/%03d", shard, shard ? i : i / 7 * 7 + 6 - i % 7);
}

static void put(struct bundle_writer *w, int shard, const char *name, uint64_t *at, size_t size)
{
	uint8_t *p = malloc(size);
	int64_t dim = (int64_t)(size / 4);
	struct bundle_entry e = { .name = (char *)name, .name_len = strlen(name), .dtype = DT_FLOAT,
				  .rank = 1, .dims = &dim, .elements = size / 4, .shard = shard,
				  .offset = *at, .size = size };

	for (size_t k = 0; k < size; k++)
		p[k] = pattern(shard, *at + k);
	e.crc32c = crc32c_mask(crc32c_extend(0, p, size));
	bundle_writer_write(w, shard, p, size);
	bundle_writer_add_entry(w, &e);
	*at += size;
	free(p);
}

static void hole(struct bundle_writer *w, int shard, uint64_t *at, size_t size)
{
	uint8_t *p = calloc(size, 1);
	bundle_writer_write(w, shard, p, size);
	*at += size;
	free(p);
}

static void write_bundle(void)
{
	struct bundle_writer *w;
	struct ck_err err = { 0 };
	uint64_t at[2] = { 0, 0 };
	char name[32];

	if (bundle_writer_open(&w, prefix, 2, BW_FORCE | BW_NO_SYNC, &err) < 0)
		exit(1);
	for (int i = 0; i < N0; i++) {
		name_of(name, sizeof(name), 0, i);
		put(w, 0, name, &at[0], 1024 + (size_t)(i * 1237 % 3073) / 4 * 4);
		if (i % 10 == 9)
			hole(w, 0, &at[0], 100);  /* small holes: read through */
		if (i == GAP_AFTER)
			hole(w, 0, &at[0], GAP_SIZE);
		if (i == BIG_AFTER)
			put(w, 0, "s0/big", &at[0], BIG_SIZE);
	}
	for (int i = 0; i < N1; i++) {
		name_of(name, sizeof(name), 1, i);
		put(w, 1, name, &at[1], 4096);
	}
	ok(bundle_writer_finish(w, &err) == 0, "bundle written: %s", err.msg);
}

static const struct bundle_entry *entry(struct bundle *b, int shard, int i)
{
	char name[32];
	name_of(name, sizeof(name), shard, i);
	return bundle_find(b, name, strlen(name));
}

static int right_bytes(const struct bundle_entry *e, const uint8_t *p)
{
	for (uint64_t k = 0; k < e->size; k++)
		if (p[k] != pattern(e->shard, e->offset + k))
			return 0;
	return 1;
}

static int cmp_disk(const void *x, const void *y)
{
	return bundle_disk_cmp(*(const struct bundle_entry *const *)x,
			       *(const struct bundle_entry *const *)y);
}

struct walk {
	size_t windows, from_window, one_by_one, bad, too_wide, mixed, straddlers;
	int big_planned;
};

/* The loop verify runs: plan a window, fill it, take each payload from it or read it alone. */
static void walk(struct bundle *b, const struct bundle_entry **order, size_t n, struct walk *s)
{
	struct batch w;
	uint8_t *one = malloc(BIG_SIZE);
	struct ck_err err;

	memset(s, 0, sizeof(*s));
	batch_init(&w);
	for (size_t i = 0, j = 0; i < n; i++) {
		const uint8_t *p;
		if (i == j) {
			batch_start(&w, b);
			while (j < n && batch_add(&w, order[j]))
				j++;
			if (j > i + 1) {
				s->windows++;
				s->too_wide += w.hi - w.lo > BATCH_WINDOW;
				/* The next one would not fit only for the window's size. */
				s->straddlers += j < n && order[j]->shard == w.shard &&
						 order[j]->size <= BATCH_SMALL &&
						 order[j]->offset < w.lo + BATCH_WINDOW &&
						 order[j]->offset + order[j]->size > w.lo + BATCH_WINDOW;
			}
			for (size_t k = i; k < j; k++) {
				s->mixed += order[k]->shard != w.shard;
				s->big_planned |= order[k]->size > BATCH_SMALL;
			}
			j += j == i;
			batch_fill(&w, NULL);
		}
		if ((p = batch_payload(&w, order[i]))) {
			s->from_window++;
		} else {
			s->one_by_one++;
			p = one;
			if (bundle_pread(b, order[i], 0, one, (size_t)order[i]->size, &err) < 0)
				p = NULL;
		}
		s->bad += !p || !right_bytes(order[i], p);
	}
	batch_release(&w);
	free(one);
}

static void walks(void)
{
	struct bundle *b;
	struct ck_err err = { 0 };
	const struct bundle_entry **order;
	struct walk s;

	ok(bundle_open(&b, prefix, &err) == 0, "bundle opens: %s", err.msg);
	is_int(b->nentries, N0 + N1 + 1, "every entry in the index");
	order = calloc(b->nentries, sizeof(*order));
	for (size_t i = 0; i < b->nentries; i++)
		order[i] = &b->entries[i];
	ok(b->entries[0].offset > b->entries[1].offset, "name order is not file order");

	walk(b, order, b->nentries, &s);  /* name order, as the index has them */
	is_int(s.bad, 0, "name order: every payload has its bytes");
	ok(s.windows > 1 && s.from_window > (N0 + N1) / 2,
	   "name order: %zu windows hold %zu payloads", s.windows, s.from_window);
	ok(!s.too_wide && !s.mixed && !s.big_planned,
	   "name order: no window wider than %u bytes, none across shards, the big one alone",
	   BATCH_WINDOW);

	qsort(order, b->nentries, sizeof(*order), cmp_disk);
	walk(b, order, b->nentries, &s);
	is_int(s.bad, 0, "file order: every payload has its bytes");
	is_int(s.one_by_one, 1, "file order: only the big one is read alone");
	ok(s.windows >= 3 && s.windows < 10, "file order: %zu windows", s.windows);
	ok(s.straddlers >= 1, "file order: a payload across a window's end starts the next (%zu)",
	   s.straddlers);
	ok(!s.too_wide && !s.mixed && !s.big_planned, "file order: windows within bounds");
	free(order);
	bundle_free(b);
}

/* A hole wider than the payloads around it is not read through. */
static void wide_hole(void)
{
	struct bundle *b;
	struct ck_err err = { 0 };
	struct batch w;

	bundle_open(&b, prefix, &err);
	batch_init(&w);
	batch_start(&w, b);
	for (int i = GAP_AFTER - 5; i <= GAP_AFTER; i++)
		batch_add(&w, entry(b, 0, i));
	is_int(w.n, 6, "six payloads before the hole planned");
	ok(!batch_add(&w, entry(b, 0, GAP_AFTER + 1)), "the one past a %u-byte hole is not",
	   GAP_SIZE);
	ok(!batch_add(&w, entry(b, 1, 0)), "nor one of another shard");
	ok(!batch_add(&w, bundle_find(b, "s0/big", 6)), "nor one larger than BATCH_SMALL");
	batch_fill(&w, NULL);
	ok(batch_payload(&w, entry(b, 0, GAP_AFTER)) && !batch_payload(&w, entry(b, 0, GAP_AFTER + 1)),
	   "the window holds the planned payloads only");
	batch_release(&w);
	bundle_free(b);
}

/* The shard shrinks after it was opened, in the middle of a window. */
static void cut_mid_window(void)
{
	struct bundle *b;
	struct ck_err err = { 0 };
	const struct bundle_entry *e5, *e20;
	struct batch w;
	uint8_t tmp[4];
	uint64_t cut;
	int before = 0, after = 0, wrong = 0;

	bundle_open(&b, prefix, &err);
	e5 = entry(b, 0, 5);
	e20 = entry(b, 0, 20);
	bundle_pread(b, e5, 0, tmp, 4, &err);  /* opens shard 0 at its full size */
	cut = entry(b, 0, 12)->offset + 10;    /* inside payload 12 */
	ok(truncate(shard0, (off_t)cut) == 0, "shard cut at byte %llu", (unsigned long long)cut);
	batch_init(&w);
	batch_start(&w, b);
	for (int i = 0; i <= 20; i++)
		batch_add(&w, entry(b, 0, i));
	is_int(batch_fill(&w, &err), 0, "a short window read is no error");
	for (int i = 0; i <= 20; i++) {
		const struct bundle_entry *e = entry(b, 0, i);
		const uint8_t *p = batch_payload(&w, e);
		if (e->offset + e->size <= cut)
			before += p && right_bytes(e, p);
		else
			after += !p;
		wrong += p && e->offset + e->size > cut;
	}
	is_int(before, 12, "the 12 payloads before the cut are in the window, right");
	is_int(after, 9, "the 9 from the one the cut goes through are not");
	is_int(wrong, 0, "no payload past the cut is given");
	ok(bundle_pread(b, e20, 0, tmp, 4, &err) == CK_ECORRUPT && strstr(err.msg, "shrank"),
	   "read alone, one past the cut says why: %s", err.msg);
	batch_release(&w);
	bundle_free(b);
	write_bundle();
}

static void missing_shard(void)
{
	struct bundle *b;
	struct ck_err err = { 0 };
	struct batch w;

	ok(unlink(shard1) == 0, "shard 1 removed");
	bundle_open(&b, prefix, &err);
	batch_init(&w);
	batch_start(&w, b);
	for (int i = 0; i < N1; i++)
		batch_add(&w, entry(b, 1, i));
	ok(batch_fill(&w, &err) == CK_ENOTFOUND && strstr(err.msg, "missing"),
	   "a window of a missing shard: %s", err.msg);
	ok(!batch_payload(&w, entry(b, 1, 0)), "and no payload from it");
	batch_release(&w);
	bundle_free(b);
	write_bundle();
}

/* compare_payloads against compare_tensors: equal, changed (B's byte flipped, its CRC
 * recomputed by a second bundle), and a CRC mismatch on either side. */
static void compare_same(void)
{
	struct bundle *a, *b;
	struct ck_err e1 = { 0 }, e2 = { 0 };
	struct compare_opts o = { 0 };
	struct compare_result r1, r2;
	struct buf pa = BUF_INIT, pb = BUF_INIT;
	const struct bundle_entry *ea, *eb;
	int rc1, rc2;

	bundle_open(&a, prefix, &e1);
	bundle_open(&b, prefix, &e1);
	ea = entry(a, 0, 3);
	eb = entry(b, 0, 3);
	bundle_read(a, ea, &pa, &e1);
	bundle_read(b, eb, &pb, &e1);
	memset(&r1, 0x55, sizeof(r1));
	memset(&r2, 0x55, sizeof(r2));
	rc1 = compare_tensors(a, ea, b, eb, &o, &r1, &e1);
	rc2 = compare_payloads(a, ea, pa.p, b, eb, pb.p, &o, &r2, &e2);
	ok(rc1 == 0 && rc2 == 0 && !memcmp(&r1, &r2, sizeof(r1)) && r2.bytewise,
	   "equal payloads: the same result");
	/* B's bytes with one flipped, and their CRC: a pair whose values differ. */
	{
		struct bundle_entry x = *entry(b, 0, 3);
		uint8_t *q = xmemdup(pb.p, pb.len);
		q[17] ^= 0x40;
		x.crc32c = crc32c_mask(crc32c_extend(0, q, x.size));
		o.equal_nan = 1;  /* the pattern holds NaNs, unequal to themselves otherwise */
		rc2 = compare_payloads(a, ea, pa.p, b, &x, q, &o, &r2, &e2);
		o.equal_nan = 0;
		ok(rc2 == 0 && !r2.equal && r2.differ == 1 && r2.first == 17 / 4,
		   "one element changed: found, at %llu (%llu differ)", (unsigned long long)r2.first,
		   (unsigned long long)r2.differ);
		rc2 = compare_payloads(a, ea, pa.p, b, eb, q, &o, &r2, &e2);
		ok(rc2 == CK_ECORRUPT && strstr(e2.msg, "checksum mismatch") && strstr(e2.msg, "s0/"),
		   "B's bytes without their CRC: mismatch: %s", e2.msg);
		rc2 = compare_payloads(a, ea, q, b, eb, pb.p, &o, &r2, &e2);
		ok(rc2 == CK_ECORRUPT && strstr(e2.msg, "checksum mismatch"),
		   "A's bytes without their CRC: mismatch: %s", e2.msg);
		free(q);
	}
	o.trust_crc = 1;
	rc2 = compare_payloads(a, ea, pa.p, b, eb, pb.p, &o, &r2, &e2);
	ok(rc2 == 0 && r2.by_crc, "trust_crc: judged by size and CRC");
	ok(compare_payloads(a, ea, pa.p, b, bundle_find(b, "s0/big", 6), pb.p, &o, &r2, &e2) ==
	   CK_EUSAGE, "shapes that differ: a usage error");
	buf_release(&pa);
	buf_release(&pb);
	bundle_free(a);
	bundle_free(b);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(prefix, sizeof(prefix), "%s/m", dir);
	snprintf(shard0, sizeof(shard0), "%s.data-00000-of-00002", prefix);
	snprintf(shard1, sizeof(shard1), "%s.data-00001-of-00002", prefix);
	write_bundle();
	walks();
	wide_hole();
	cut_mid_window();
	missing_shard();
	compare_same();
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd)) {}
	}
	return tap_done();
}
