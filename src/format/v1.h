/* Reading legacy V1 checkpoints (TensorFlow <= 0.12, doc/FORMAT.md §9) into a struct bundle, so
 * every reading command treats them like V2 bundles.
 *
 *   P  or  P-00000-of-00002, P-00001-of-00002     one table per shard
 *   ""                 -> SavedTensorSlices{meta: [SavedSliceMeta{name, shape, type, slice...}]}
 *   slice key (§7.2)   -> SavedTensorSlices{data: SavedSlice{name, slice, TensorProto}}
 *
 * Entries carry name, dtype and full shape; a tensor stored as several slices (possibly in
 * several files) is one entry, assembled on read. Payloads are presented in V2's layout
 * (raw little-endian elements; DT_STRING as §6.3 with its checksums): the first read of a
 * tensor decodes it into one buffer (the previous tensor's is dropped) and sets the entry's
 * crc32c to the CRC of those bytes, since V1 only has block checksums. Until then crc32c is 0.
 * `size` is exact from the start (string tensors are decoded on open to measure them). */
#ifndef CKPT_V1_H
#define CKPT_V1_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "format/bundle.h"

/* path: one table file, a glob pattern of shard files ("P-?????-of-00002"), or a name P whose
 * shards P-NNNNN-of-MMMMM exist. A single shard file opens its whole set. The bundle gets
 * format 1, prefix = path (or the shard pattern used), num_shards = number of files. */
int v1_open(struct bundle **out, const char *path, struct ck_err *err);

/* The table file of shard `shard` of a V1 bundle (b->format == 1), owned by the bundle.
 * bundle.c reads V1 bundles through the struct bundle_ops that v1_open installs. */
const char *v1_file_path(const struct bundle *b, int shard);

/* Decode count elements of dtype from a TensorProto's typed fields (or tensor_content) into
 * raw little-endian bytes at out (count * element size). Not for DT_STRING. Errors say what
 * is wrong without a file name. */
struct Tensorflow__TensorProto;
int tensor_proto_raw(const struct Tensorflow__TensorProto *tp, int dtype, uint64_t count,
		     uint8_t *out, struct ck_err *err);

#endif
