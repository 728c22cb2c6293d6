/* The hand packing of BundleEntryProto against protobuf-c's (entry_encode_same.h): the entries
 * TF writes (plain, scalar, partitioned), then a million made from random bytes. */
#include <stdio.h>
#include <string.h>

#include "entry_encode_same.h"
#include "tap.h"
#include "format/dtype.h"

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	return tap_rand(&rng_state);
}

static void known(void)
{
	int64_t dims[2] = { 16, 16 }, slices[4] = { 0, 8, 0, -1 };
	struct bundle_entry e = { .name = "w", .name_len = 1, .dtype = DT_FLOAT, .rank = 2,
				  .dims = dims, .offset = 1024, .size = 1024,
				  .crc32c = 0x04030201 };
	static const uint8_t want[] = { 0x08, 0x01, 0x12, 0x08, 0x12, 0x02, 0x08, 0x10, 0x12, 0x02,
					0x08, 0x10, 0x20, 0x80, 0x08, 0x28, 0x80, 0x08, 0x35, 0x01,
					0x02, 0x03, 0x04 };
	static const uint8_t want_part[] = { 0x08, 0x01, 0x12, 0x08, 0x12, 0x02, 0x08, 0x10, 0x12,
					     0x02, 0x08, 0x10, 0x3a, 0x06, 0x0a, 0x02, 0x10, 0x08,
					     0x0a, 0x00 };
	struct buf b = BUF_INIT;

	/* As TF writes them (the first is a fuzz seed of tests/fuzz/seed.pl, from TF). */
	bundle_encode_entry(&b, &e);
	is_mem(b.p, b.len, want, sizeof(want), "a 16x16 float tensor packs as TF packs it");
	ok(entry_encode_same(&e), "and as protobuf-c packs it");
	e.nslices = 1;
	e.slices = slices;
	buf_reset(&b);
	bundle_encode_entry(&b, &e);
	is_mem(b.p, b.len, want_part, sizeof(want_part),
	       "a partitioned tensor: slices, no place, an empty extent for a whole dim");
	ok(entry_encode_same(&e), "and as protobuf-c packs it");
	memset(&e, 0, sizeof(e));
	e.name = "s";
	e.name_len = 1;
	buf_reset(&b);
	bundle_encode_entry(&b, &e);
	is_mem(b.p, b.len, "\x12\x00", 2, "an all-zero scalar: only its empty shape");
	ok(entry_encode_same(&e), "and as protobuf-c packs it");
	e.dtype = -1;
	e.shard = -5;
	ok(entry_encode_same(&e), "negative dtype and shard: 10-byte varints like protobuf-c's");
	buf_release(&b);
}

int main(void)
{
	struct encode_case c;
	uint8_t bytes[160];
	long bad = 0, first = -1;

	known();
	for (long i = 0; i < 1000000; i++) {
		size_t n = (size_t)(rnd() % sizeof(bytes));
		for (size_t k = 0; k < n; k++)
			bytes[k] = (uint8_t)rnd();
		entry_from_bytes(bytes, n, &c);
		if (!entry_encode_same(&c.e) && !bad++)
			first = i;
	}
	ok(!bad, "a million random entries pack as protobuf-c packs them (%ld differ, first #%ld)",
	   bad, first);
	return tap_done();
}
