/* The differential check of the hand packing of BundleEntryProto (bundle_encode_entry) against
 * protobuf-c's (bundle_encode_entry_pb), shared by tests/unit/test_entry_encode.c and
 * tests/fuzz/fuzz_entry_encode.c: an entry made from any bytes must pack to the same bytes. */
#ifndef CKPT_ENTRY_ENCODE_SAME_H
#define CKPT_ENTRY_ENCODE_SAME_H

#include <string.h>

#include "base/util.h"
#include "format/bundle_writer.h"

#define ENCODE_MAX_RANK 8
#define ENCODE_MAX_SLICES 4

/* Room for what entry_from_bytes makes. */
struct encode_case {
	struct bundle_entry e;
	int64_t dims[ENCODE_MAX_RANK];
	int64_t slices[ENCODE_MAX_SLICES * ENCODE_MAX_RANK * 2];
};

/* The next value from the bytes (0 once they run out): mostly edges a varint packing can get
 * wrong (0, 127/128, 2^31, 2^32, negatives, 2^63), sometimes 8 raw bytes. */
static inline int64_t encode_value(const uint8_t **p, const uint8_t *end)
{
	static const int64_t edge[] = { 0, 1, -1, 127, 128, 16383, 16384, 0x7fffffff,
					(int64_t)0x80000000u, -2147483647 - 1, 0xffffffffll,
					0x100000000ll, INT64_MAX, INT64_MIN, -2, 300 };
	uint8_t k;
	uint64_t v = 0;

	if (*p == end)
		return 0;
	k = *(*p)++;
	if (k < 0x80)
		return edge[k % (sizeof(edge) / sizeof(edge[0]))];
	if (k < 0xc0)
		return k & 0x3f;
	for (int i = 0; i < 8 && *p < end; i++)
		v |= (uint64_t)*(*p)++ << (8 * i);
	return (int64_t)v;
}

/* An entry from bytes: rank, dtype, dims, then a plain tensor's place and CRC or a
 * partitioned one's slices (a negative length: the whole dim). */
static inline void entry_from_bytes(const uint8_t *p, size_t n, struct encode_case *c)
{
	const uint8_t *end = p + n;
	uint8_t head = p < end ? *p++ : 0;

	memset(c, 0, sizeof(*c));
	c->e.name = "t";
	c->e.name_len = 1;
	c->e.rank = head % (ENCODE_MAX_RANK + 1);
	c->e.dims = c->dims;
	c->e.dtype = (int)(int32_t)encode_value(&p, end);
	for (int i = 0; i < c->e.rank; i++)
		c->dims[i] = encode_value(&p, end);
	c->e.nslices = head & 0x80 ? (size_t)(head >> 4 & 3) + 1 : 0;
	if (c->e.nslices) {
		c->e.slices = c->slices;
		for (size_t k = 0; k < c->e.nslices * (size_t)c->e.rank * 2; k++)
			c->slices[k] = encode_value(&p, end);
	} else {
		c->e.shard = (int32_t)encode_value(&p, end);
		c->e.offset = (uint64_t)encode_value(&p, end);
		c->e.size = (uint64_t)encode_value(&p, end);
		c->e.crc32c = (uint32_t)encode_value(&p, end);
	}
}

/* 1 when both packings of e give the same bytes. */
static inline int entry_encode_same(const struct bundle_entry *e)
{
	struct buf hand = BUF_INIT, pb = BUF_INIT;
	int same;

	buf_add(&hand, "x", 1);  /* packing appends */
	buf_add(&pb, "x", 1);
	bundle_encode_entry(&hand, e);
	bundle_encode_entry_pb(&pb, e);
	same = hand.len == pb.len && !memcmp(hand.p, pb.p, pb.len);
	buf_release(&hand);
	buf_release(&pb);
	return same;
}

#endif
