/* The differential check of the hand decoder (src/entry_proto.h) against protobuf-c, shared by
 * tests/unit/test_entry_proto.c and tests/fuzz/fuzz_entry_proto.c: on any bytes, when the hand
 * decoder takes them, protobuf-c must take them too and give the very same fields. */
#ifndef CKPT_ENTRY_PROTO_SAME_H
#define CKPT_ENTRY_PROTO_SAME_H

#include "format/entry_proto.h"

enum { SAME_TAKEN = 1, SAME_LEFT = 0, SAME_DIFFERENT = -1 };

/* SAME_TAKEN: decoded by hand, equal to protobuf-c; SAME_LEFT: left to protobuf-c;
 * SAME_DIFFERENT (why says what) when the two disagree. */
static inline int entry_proto_same(const uint8_t *p, size_t n, const char **why)
{
	static struct entry_proto ep;  /* 2 KiB: not on a fuzzer's stack */
	Tensorflow__BundleEntryProto *m;
	int rc = SAME_TAKEN;

	*why = "";
	if (!entry_proto_decode(p, n, &ep))
		return SAME_LEFT;
	m = tensorflow__bundle_entry_proto__unpack(NULL, n, p);
	if (!m) {
		*why = "protobuf-c rejects what the hand decoder took";
		return SAME_DIFFERENT;
	}
	if ((int32_t)m->dtype != ep.dtype)
		*why = "dtype", rc = SAME_DIFFERENT;
	else if (m->shard_id != ep.shard_id)
		*why = "shard_id", rc = SAME_DIFFERENT;
	else if (m->offset != ep.offset)
		*why = "offset", rc = SAME_DIFFERENT;
	else if (m->size != ep.size)
		*why = "size", rc = SAME_DIFFERENT;
	else if (m->crc32c != ep.crc32c)
		*why = "crc32c", rc = SAME_DIFFERENT;
	else if (m->n_slices != 0)
		*why = "slices", rc = SAME_DIFFERENT;
	else if ((m->shape != NULL) != ep.has_shape)
		*why = "shape presence", rc = SAME_DIFFERENT;
	else if (m->shape && ((m->shape->unknown_rank != 0) != ep.unknown_rank ||
			      m->shape->n_dim != ep.n_dim))
		*why = "unknown_rank or rank", rc = SAME_DIFFERENT;
	else if (!m->shape && (ep.unknown_rank || ep.n_dim))
		*why = "a shape without the field", rc = SAME_DIFFERENT;
	else
		for (size_t i = 0; m->shape && i < m->shape->n_dim; i++)
			if (m->shape->dim[i]->size != ep.dim[i] ||
			    (m->shape->dim[i]->name && *m->shape->dim[i]->name))
				*why = "dim", rc = SAME_DIFFERENT;
	tensorflow__bundle_entry_proto__free_unpacked(m, NULL);
	return rc;
}

#endif
