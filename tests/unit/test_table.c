/* Table writer and reader: doc/FORMAT.md §12's file byte for byte, round trips across many blocks,
 * lookups, the shortening rules, and every corruption check of §4.9. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/crc32c.h"
#include "format/table.h"
#include "tap.h"

static char dir[] = "/tmp/ckpt-test-table.XXXXXX";

static const char *write_file(const char *name, const void *p, size_t n)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	fwrite(p, 1, n, f);
	fclose(f);
	return path;
}

static void build(struct buf *out, int n, size_t block_size, int snappy)
{
	struct table_builder tb;
	char k[64], v[256];

	buf_reset(out);
	table_builder_init(&tb, out);
	if (block_size)
		tb.block_size = block_size;
	tb.snappy = snappy;
	for (int i = 0; i < n; i++) {
		int vn = snprintf(v, sizeof(v), "value-%d-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", i * 7);
		snprintf(k, sizeof(k), "key/%06d", i * 2);  /* even numbers: odd ones are absent */
		table_builder_add(&tb, k, strlen(k), v, (size_t)vn);
	}
	table_builder_finish(&tb, NULL);
	table_builder_release(&tb);
}

/* Read everything back: count entries, check order, then look up present and absent keys. */
static int check_table(const char *path, int n)
{
	struct table *t;
	struct table_iter *it;
	struct ck_err err;
	const uint8_t *k, *v;
	size_t kn, vn;
	int count = 0, rc, good = 1;
	struct buf val = BUF_INIT;
	char key[64];

	if (table_open(&t, path, &err) < 0)
		return 0;
	it = table_iter_new(t);
	while ((rc = table_iter_next(it, &k, &kn, &v, &vn, &err)) == 1) {
		snprintf(key, sizeof(key), "key/%06d", count * 2);
		if (kn != strlen(key) || memcmp(k, key, kn))
			good = 0;
		count++;
	}
	table_iter_free(it);
	if (rc < 0 || count != n)
		good = 0;
	for (int i = 0; i < n && good; i += 1 + n / 97) {
		char want[256];
		snprintf(key, sizeof(key), "key/%06d", i * 2);
		snprintf(want, sizeof(want), "value-%d-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", i * 7);
		if (table_get(t, key, strlen(key), &val, &err) != 1 || strcmp((char *)val.p, want))
			good = 0;
		snprintf(key, sizeof(key), "key/%06d", i * 2 + 1);
		if (table_get(t, key, strlen(key), &val, &err) != 0)
			good = 0;
	}
	if (good && (table_get(t, "a", 1, &val, &err) != 0 || table_get(t, "z", 1, &val, &err) != 0 ||
		     table_get(t, "", 0, &val, &err) != 0))
		good = 0;
	buf_release(&val);
	table_free(t);
	return good;
}

/* Recompute the trailer CRC of the block at off (size bytes) after a deliberate edit. */
static void fix_crc(uint8_t *p, size_t off, size_t size)
{
	uint32_t crc = crc32c_mask(crc32c(p + off, size + 1));
	for (int i = 0; i < 4; i++)
		p[off + size + 1 + i] = (uint8_t)(crc >> (8 * i));
}

static int open_fails(const void *p, size_t n, int code, const char *needle, const char *what)
{
	struct table *t = NULL;
	struct table_iter *it;
	struct ck_err err = { 0 };
	const uint8_t *k, *v;
	size_t kn, vn;
	const char *path = write_file("bad", p, n);
	int rc = table_open(&t, path, &err);

	if (rc == 0) {
		it = table_iter_new(t);
		while ((rc = table_iter_next(it, &k, &kn, &v, &vn, &err)) == 1)
			;
		table_iter_free(it);
		table_free(t);
	}
	if (rc != code || !strstr(err.msg, needle)) {
		printf("# %s: rc %d, message: %s\n", what, rc, err.msg);
		return 0;
	}
	return 1;
}

int main(void)
{
	/* doc/FORMAT.md §12: saved_model_counter's 123-byte variables.index. */
	static const uint8_t counter[123] = {
		0x00, 0x00, 0x06, 0x08, 0x01, 0x1a, 0x02, 0x08, 0x01, 0x00, 0x07, 0x0b, 0x63, 0x6f, 0x75, 0x6e,
		0x74, 0x65, 0x72, 0x08, 0x01, 0x12, 0x00, 0x28, 0x04, 0x35, 0xa6, 0x7b, 0x11, 0x3a, 0x00, 0x00,
		0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x5f, 0xa0, 0x10, 0x73, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x00, 0x00, 0x00, 0x00, 0xc0, 0xf2, 0xa1, 0xb0, 0x00, 0x01, 0x02, 0x64, 0x00, 0x26, 0x00, 0x00,
		0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x22, 0xb1, 0x61, 0x03, 0x2b, 0x08, 0x38, 0x0e, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x57, 0xfb, 0x80, 0x8b, 0x24, 0x75, 0x47, 0xdb,
	};
	struct buf out = BUF_INIT, s = BUF_INIT;
	struct table_builder tb;

	if (!mkdtemp(dir))
		return 1;
	table_builder_init(&tb, &out);
	table_builder_add(&tb, "", 0, "\x08\x01\x1a\x02\x08\x01", 6);
	table_builder_add(&tb, "counter", 7, "\x08\x01\x12\x00\x28\x04\x35\xa6\x7b\x11\x3a", 11);
	table_builder_finish(&tb, NULL);
	table_builder_release(&tb);
	is_mem(out.p, out.len, counter, sizeof(counter),
	       "doc/FORMAT.md §12's index rebuilt byte for byte");

	table_separator(&s, (const uint8_t *)"counter", 7, (const uint8_t *)"zebra", 5);
	is_mem(s.p, s.len, "d", 1, "Separator(counter, zebra) = d");
	table_separator(&s, (const uint8_t *)"abc", 3, (const uint8_t *)"abd", 3);
	is_mem(s.p, s.len, "abc", 3, "Separator keeps a when the next byte is adjacent");
	table_separator(&s, (const uint8_t *)"ab", 2, (const uint8_t *)"abzz", 4);
	is_mem(s.p, s.len, "ab", 2, "Separator keeps a prefix of b");
	table_successor(&s, (const uint8_t *)"_CHECKPOINTABLE_OBJECT_GRAPH", 28);
	is_mem(s.p, s.len, "`", 1, "Successor(_CHECKPOINTABLE_OBJECT_GRAPH) = `");
	table_successor(&s, (const uint8_t *)"\xff\xff\x01", 3);
	is_mem(s.p, s.len, "\xff\xff\x02", 3, "Successor skips leading 0xFF bytes");
	table_successor(&s, (const uint8_t *)"\xff\xff", 2);
	is_mem(s.p, s.len, "\xff\xff", 2, "Successor of all-0xFF is itself");

	build(&out, 0, 0, 0);
	ok(check_table(write_file("t0", out.p, out.len), 0), "empty table round trip");
	build(&out, 1, 0, 0);
	ok(check_table(write_file("t1", out.p, out.len), 1), "one entry");
	build(&out, 5000, 0, 0);
	ok(check_table(write_file("t5000", out.p, out.len), 5000), "5000 entries, TF's 256 KiB blocks");
	build(&out, 5000, 1024, 0);
	ok(check_table(write_file("t5000s", out.p, out.len), 5000), "5000 entries over many 1 KiB blocks");
	build(&out, 5000, 1024, 1);
	ok(check_table(write_file("t5000z", out.p, out.len), 5000), "5000 entries in Snappy blocks");
	{
		/* An entry twice the block size forces the early flush of §4.8 step 1a. */
		struct table_builder big;
		char *v = calloc(1, 3000);
		struct table *t;
		struct ck_err err;
		struct buf val = BUF_INIT;
		out.len = 0;
		table_builder_init(&big, &out);
		big.block_size = 1024;
		table_builder_add(&big, "a", 1, "x", 1);
		table_builder_add(&big, "b", 1, v, 3000);
		table_builder_add(&big, "c", 1, "y", 1);
		table_builder_finish(&big, NULL);
		table_builder_release(&big);
		ok(table_open(&t, write_file("big", out.p, out.len), &err) == 0 &&
		   table_get(t, "b", 1, &val, &err) == 1 && val.len == 3000 &&
		   table_get(t, "c", 1, &val, &err) == 1, "an oversized entry gets a block of its own");
		table_free(t);
		free(v);
		buf_release(&val);
	}
	{
		/* Taken out of the buffer as it is built (table_builder_drained), behind a prefix
		 * of bytes not the table's: the same table, byte for byte. */
		struct table_builder a, d;
		struct buf whole = BUF_INIT, part = BUF_INIT, got = BUF_INIT;
		char key[32], val[128];
		table_builder_init(&a, &whole);
		buf_add(&part, "HEAD", 4);
		table_builder_init(&d, &part);
		a.block_size = d.block_size = 512;
		for (int i = 0; i < 3000; i++) {
			int kn = snprintf(key, sizeof(key), "key/%06d", i * 2);  /* as build() */
			int vn = snprintf(val, sizeof(val),
					  "value-%d-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", i * 7);
			table_builder_add(&a, key, (size_t)kn, val, (size_t)vn);
			table_builder_add(&d, key, (size_t)kn, val, (size_t)vn);
			if (i % 97 == 0) {
				buf_add(&got, part.p + 4, part.len - 4);
				table_builder_drained(&d);
			}
		}
		table_builder_finish(&a, NULL);
		table_builder_finish(&d, NULL);
		buf_add(&got, part.p + 4, part.len - 4);
		ok(part.len >= 4 && !memcmp(part.p, "HEAD", 4) && got.len == whole.len &&
		   !memcmp(got.p, whole.p, whole.len), "drained as built: the same %zu bytes",
		   whole.len);
		ok(check_table(write_file("drained", got.p, got.len), 3000), "and it reads back");
		table_builder_release(&a);
		table_builder_release(&d);
		buf_release(&whole);
		buf_release(&part);
		buf_release(&got);
	}
	{
		struct table_builder bad;
		struct ck_err err;
		table_builder_init(&bad, &s);
		table_builder_add(&bad, "b", 1, "", 0);
		table_builder_add(&bad, "a", 1, "", 0);
		ok(table_builder_finish(&bad, &err) == CK_EUSAGE, "keys out of order are refused");
		table_builder_release(&bad);
	}

	/* Corruption, checked in the order of §4.9. */
	{
		uint8_t f[123];
		ok(open_fails(counter, 0, CK_EKIND, "empty file", "empty"), "empty file");
		ok(open_fails(counter, 47, CK_EKIND, "too short", "47 bytes"), "file shorter than a footer");
		memcpy(f, counter, 123);
		f[122] ^= 1;
		ok(open_fails(f, 123, CK_EKIND, "magic number", "magic"), "bad magic number");
		memcpy(f, counter, 123);
		f[0x4d] = 0x70;  /* index handle offset beyond the file */
		ok(open_fails(f, 123, CK_ECORRUPT, "outside", "handle"), "index handle outside the file");
		memcpy(f, counter, 123);
		f[0x0c] ^= 0x20;  /* a key byte in the data block */
		ok(open_fails(f, 123, CK_ECORRUPT, "checksum mismatch", "crc"), "data block checksum mismatch");
		memcpy(f, counter, 123);
		f[0x26] = 2;
		fix_crc(f, 0, 0x26);
		ok(open_fails(f, 123, CK_ECORRUPT, "compression type 2", "type"), "unknown compression type");
		memcpy(f, counter, 123);
		f[0x26] = 1;
		fix_crc(f, 0, 0x26);
		ok(open_fails(f, 123, CK_ECORRUPT, "snappy", "snappy"), "bytes that are not Snappy");
		memcpy(f, counter, 123);
		f[0x22] = 0x50;  /* num_restarts larger than the block */
		fix_crc(f, 0, 0x26);
		ok(open_fails(f, 123, CK_ECORRUPT, "restart array", "restarts"), "restart count too large");
		memcpy(f, counter, 123);
		f[0x0b] = 0x40;  /* value length running past the entries */
		fix_crc(f, 0, 0x26);
		ok(open_fails(f, 123, CK_ECORRUPT, "overruns", "overrun"), "entry overruns its block");
		memcpy(f, counter, 123);
		f[0x09] = 0x05;  /* shares 5 bytes with the empty previous key */
		fix_crc(f, 0, 0x26);
		ok(open_fails(f, 123, CK_ECORRUPT, "shares", "shared"), "shared prefix longer than the previous key");
		memcpy(f, counter, 123);
		f[0x3b] = 0x61;  /* index separator "a" < "counter": key beyond its separator */
		fix_crc(f, 0x38, 0x0e);
		ok(open_fails(f, 123, CK_ECORRUPT, "separator", "separator"), "key beyond its index separator");
	}
	{
		/* Keys out of order inside a block: "counter" then "b" (patched from a valid table). */
		struct table_builder tb2;
		uint8_t *f;
		out.len = 0;
		table_builder_init(&tb2, &out);
		table_builder_add(&tb2, "a", 1, "1", 1);
		table_builder_add(&tb2, "c", 1, "2", 1);
		table_builder_finish(&tb2, NULL);
		table_builder_release(&tb2);
		f = out.p;
		f[3] = 'd';  /* first key "a" -> "d" > "c" */
		fix_crc(f, 0, 18);
		ok(open_fails(f, out.len, CK_ECORRUPT, "out of order", "order"), "keys out of order");
	}
	buf_release(&out);
	buf_release(&s);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd)) {}
	}
	return tap_done();
}
