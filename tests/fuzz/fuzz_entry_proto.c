/* Fuzz target: the hand decoder of BundleEntryProto (src/entry_proto.h) against protobuf-c.
 * Input: an entry's value bytes. Whenever the hand decoder takes them, protobuf-c must take
 * them too and give the same fields (tests/unit/entry_proto_same.h). */
#include <assert.h>
#include <stdio.h>

#include "fuzz.h"
#include "../unit/entry_proto_same.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exact-size copy: a read past the end is caught by AddressSanitizer. */
	uint8_t *in = malloc(size ? size : 1);
	const char *why;
	int rc;

	memcpy(in, data, size);
	rc = entry_proto_same(in, size, &why);
	if (rc == SAME_DIFFERENT)
		fprintf(stderr, "hand decoder and protobuf-c differ: %s\n", why);
	assert(rc != SAME_DIFFERENT);
	free(in);
	return 0;
}
