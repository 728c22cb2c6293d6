/* The sorted-string table that holds a V2 .index and every V1 checkpoint file (doc/FORMAT.md §4).
 *
 *   [data block][trailer] ... [metaindex block][trailer] [index block][trailer] [footer]
 *   trailer = type:u8 (0 none, 1 snappy) | masked crc32c(block || type):fixed32
 *   footer  = metaindex handle | index handle | zero padding to 40 | magic:fixed64 (48 bytes)
 *   handle  = offset:varint64 | size:varint64          (size excludes the trailer)
 *   block   = entries | restart offsets:fixed32 x N | N:fixed32
 *   entry   = shared:varint32 | non_shared:varint32 | value_len:varint32 | key delta | value
 */
#ifndef CKPT_TABLE_H
#define CKPT_TABLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"

#define TABLE_MAGIC 0xdb4775248b80fb57ull
#define TABLE_FOOTER_LEN 48

struct table;       /* an open table file; reads blocks with pread */
struct table_iter;  /* walks every key in order */

/* Open path and check footer, magic and the index block. On error *out is NULL and err names
 * the file. CK_EKIND means "not a table at all" (size or magic), or not a regular file. */
int table_open(struct table **out, const char *path, struct ck_err *err);
/* The same for a file whose name says it is a table (a V2 .index, a V1 checkpoint file): there a
 * wrong size or a missing magic is damage, CK_ECORRUPT; only a non-regular file stays CK_EKIND. */
int table_open_named(struct table **out, const char *path, struct ck_err *err);
void table_free(struct table *t);
const char *table_path(const struct table *t);
uint64_t table_file_size(const struct table *t);

/* Look up key: 1 found (value copied into val), 0 absent, < 0 error. */
int table_get(struct table *t, const void *key, size_t key_len, struct buf *val, struct ck_err *err);

/* Iteration. table_iter_next returns 1 with key/value valid until the next call, 0 at the
 * end, < 0 on corruption. Keys are checked to be strictly increasing across the table. */
struct table_iter *table_iter_new(struct table *t);
int table_iter_next(struct table_iter *it, const uint8_t **key, size_t *key_len,
		    const uint8_t **val, size_t *val_len, struct ck_err *err);
/* Back to the first key, keeping the iterator's buffers: a data block is 256 KiB, and fresh
 * memory for it costs the clearing of a huge page (a second pass over an index, list). */
void table_iter_rewind(struct table_iter *it);
void table_iter_free(struct table_iter *it);

/* Byte-wise key order (memcmp, then shorter first). */
int key_cmp(const void *a, size_t an, const void *b, size_t bn);

/* The writer, with TensorFlow's settings by default (doc/FORMAT.md §4.8): 256 KiB blocks,
 * restart interval 16 (index: 1), no compression. Keys must be added in strictly increasing
 * order. Output is appended to `out`; the caller writes it where it belongs. Errors are sticky:
 * the first one is kept and returned by table_builder_finish. */
struct table_builder {
	struct buf *out;
	size_t block_size;
	int restart_interval;
	int snappy;          /* compress blocks that shrink by more than 1/8 */
	int status;
	struct ck_err err;
	/* private */
	struct block_builder *data, *index;
	struct buf last_key;
	int pending_index;
	uint64_t pending_off, pending_size;
	uint64_t num_entries;
	size_t base;         /* out->len when the table started */
	uint64_t drained;    /* table bytes the caller took out of out (table_builder_drained) */
};

void table_builder_init(struct table_builder *tb, struct buf *out);
int table_builder_add(struct table_builder *tb, const void *key, size_t key_len,
		      const void *val, size_t val_len);
int table_builder_finish(struct table_builder *tb, struct ck_err *err);
/* The caller has taken every table byte in out (those past where the table began) and written
 * them away: out is cut back to that point, and later block offsets count the bytes taken.
 * For writing a large table as it is built, never whole in memory. */
void table_builder_drained(struct table_builder *tb);
void table_builder_release(struct table_builder *tb);

/* TF's shortening rules for index keys, exposed for tests. Results go to out. */
void table_separator(struct buf *out, const uint8_t *a, size_t an, const uint8_t *b, size_t bn);
void table_successor(struct buf *out, const uint8_t *a, size_t an);

#endif
