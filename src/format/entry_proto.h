/* A fast decoder for the common form of BundleEntryProto, the value of every .index entry.
 *
 *   BundleEntryProto  = dtype:1 varint | shape:2 bytes | shard_id:3 varint | offset:4 varint
 *                       | size:5 varint | crc32c:6 fixed32 | slices:7 bytes (repeated)
 *   TensorShapeProto  = dim:2 bytes (repeated) | unknown_rank:3 varint
 *   Dim               = size:1 varint | name:2 bytes
 *
 * protobuf-c's generic unpacking cost as much as the rest of `ckpt list` together. This decoder
 * takes only what TensorFlow writes: each known field at most once, one-byte tags, the wire
 * types above, no slices, no dim names, no unknown fields. Anything else it hands back
 * (returns 0) for protobuf-c to decode, so it never decides that bytes are bad: protobuf-c stays
 * the one judge. tests/unit/test_entry_proto.c and tests/fuzz/fuzz_entry_proto.c hold it equal
 * to protobuf-c on what it takes. */
#ifndef CKPT_ENTRY_PROTO_H
#define CKPT_ENTRY_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "tensor_bundle.pb-c.h"

#define ENTRY_PROTO_MAX_DIMS 255

/* The fields of a BundleEntryProto without slices, as protobuf-c gives them (proto3: an absent
 * field is 0). */
struct entry_proto {
	int32_t dtype, shard_id;
	int64_t offset, size;
	uint32_t crc32c;
	int has_shape;     /* the shape field is present (protobuf-c: shape != NULL) */
	int unknown_rank;  /* 0 or 1 */
	size_t n_dim;
	int64_t dim[ENTRY_PROTO_MAX_DIMS];
};

/* 1 with *out filled, or 0: not a form this decoder takes (see above); decode with protobuf-c. */
int entry_proto_decode(const uint8_t *p, size_t n, struct entry_proto *out);

/* The same fields from protobuf-c's message; 0, or -1 when it has more than
 * ENTRY_PROTO_MAX_DIMS dims (out->n_dim says how many; dims past the limit are not copied). */
int entry_proto_from_pb(const Tensorflow__BundleEntryProto *m, struct entry_proto *out);

#endif
