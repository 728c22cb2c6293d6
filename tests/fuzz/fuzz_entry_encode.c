/* Fuzz target: the hand packing of BundleEntryProto (bundle_encode_entry) against protobuf-c's.
 * Input: bytes an entry is made from (tests/unit/entry_encode_same.h); both packings of it
 * must be the same bytes. */
#include <assert.h>
#include <stdio.h>

#include "fuzz.h"
#include "../unit/entry_encode_same.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct encode_case c;
	int same;

	entry_from_bytes(data, size, &c);
	same = entry_encode_same(&c.e);
	if (!same)
		fprintf(stderr, "hand packing and protobuf-c differ (rank %d, %zu slices)\n", c.e.rank,
			c.e.nslices);
	assert(same);
	return 0;
}
