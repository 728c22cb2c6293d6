/* Fuzz target: OrderedCode slice keys. Input: a key to parse; a parsed key must re-encode to
 * a key that parses to the same (normalised) name and extents. The first 8 bytes, read as a
 * number, must also round-trip through the signed and unsigned encoders. */
#include <assert.h>

#include "format/slicekey.h"
#include "fuzz.h"

static void number_round_trip(const uint8_t *data, size_t size)
{
	uint64_t u = 0, u2;
	int64_t s2;
	struct buf b = BUF_INIT;
	const uint8_t *p;

	for (size_t i = 0; i < 8 && i < size; i++)
		u = u << 8 | data[i];
	oc_put_unsigned(&b, u);
	p = b.p;
	assert(oc_get_unsigned(&p, b.p + b.len, &u2) == 0 && u2 == u && p == b.p + b.len);
	buf_reset(&b);
	oc_put_signed(&b, (int64_t)u);
	p = b.p;
	assert(oc_get_signed(&p, b.p + b.len, &s2) == 0 && s2 == (int64_t)u && p == b.p + b.len);
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf name = BUF_INIT, name2 = BUF_INIT, key = BUF_INIT;
	int64_t *ext = NULL, *ext2 = NULL;
	int rank, rank2;
	/* Exact-size copy: a read past the end is caught by AddressSanitizer. */
	uint8_t *in = malloc(size ? size : 1);

	memcpy(in, data, size);
	number_round_trip(in, size);
	if (slice_key_parse(in, size, &name, &rank, &ext) == 0) {
		assert(rank >= 0 && rank <= 64);
		slice_key(&key, name.p, name.len, rank, ext);
		assert(slice_key_parse(key.p, key.len, &name2, &rank2, &ext2) == 0);
		assert(rank2 == rank && name2.len == name.len &&
		       (!name.len || !memcmp(name.p, name2.p, name.len)));
		for (int d = 0; d < rank; d++) {
			/* A negative length means "whole dimension", written as (0, -1). */
			int full = ext[2 * d + 1] < 0;
			assert(ext2[2 * d] == (full ? 0 : ext[2 * d]));
			assert(ext2[2 * d + 1] == (full ? -1 : ext[2 * d + 1]));
		}
	} else {
		assert(!ext);
	}
	free(ext);
	free(ext2);
	free(in);
	buf_release(&name);
	buf_release(&name2);
	buf_release(&key);
	return 0;
}
