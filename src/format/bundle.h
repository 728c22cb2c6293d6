/* Reading a V2 tensor bundle: the .index (header + one entry per tensor) and its data shards.
 *
 *   P.index                  table: "" -> BundleHeaderProto, name -> BundleEntryProto
 *   P.data-00000-of-00002    raw tensor payloads at (offset, size), in the order written
 *
 * The whole index is decoded on open (it is small: ~100 bytes a tensor); data shards are
 * opened only when a payload is read, so everything about names, dtypes and shapes works
 * when shards are missing. */
#ifndef CKPT_BUNDLE_H
#define CKPT_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"

#define OBJECT_GRAPH_KEY "_CHECKPOINTABLE_OBJECT_GRAPH"

/* 1 if the len bytes at name are OBJECT_GRAPH_KEY. */
int is_graph_key(const void *name, size_t len);

struct bundle_entry {
	char *name;          /* copy owned by the bundle, NUL-terminated (names may hold NUL bytes:
	                      * use name_len) */
	size_t name_len;
	int dtype;           /* TF DataType value (dtype.h) */
	int rank;
	int64_t *dims;       /* rank sizes, outermost first */
	uint64_t elements;   /* product of dims (checked for overflow on open) */
	int32_t shard;
	uint64_t offset, size;
	uint32_t crc32c;     /* masked, as stored */
	/* A partitioned tensor's full entry lists its slices; each slice is rank (start, length)
	 * pairs, length -1 meaning the whole dimension. Its own shard/offset/size are unused. */
	size_t nslices;
	int64_t *slices;
	uint64_t slices_bytes;  /* sum of the stored slices' sizes (0 if some are missing) */
	unsigned is_slice : 1;  /* a stored slice of a partitioned tensor (key starts with 0x00) */
};

struct bundle;
struct bundle_shard;

/* The reader behind a bundle: V2's own (bundle.c) or V1's (v1.c, which decodes legacy tables
 * into the same entries). Everything here dispatches through it, so the readers meet only in
 * this header and neither includes the other. */
struct bundle_ops {
	/* Make e's payload readable and check it is there (V2: open its shard and check that the
	 * payload lies inside; V1: decode the tensor into memory). */
	int (*load)(struct bundle *b, const struct bundle_entry *e, struct ck_err *err);
	/* n payload bytes of e from off (off + n <= e->size). */
	int (*pread)(struct bundle *b, const struct bundle_entry *e, uint64_t off, void *p, size_t n,
		     struct ck_err *err);
	/* The file holding shard `shard` (V1: that table file); caller frees. */
	char *(*file_path)(const struct bundle *b, int shard);
	/* Release what the reader owns: its state and the entries' contents (not the entries
	 * array, prefix or index_path, which bundle_free releases). */
	void (*release)(struct bundle *b);
};

struct bundle {
	int format;           /* 2 for a V2 bundle, 1 for a legacy V1 checkpoint (v1.h) */
	char *prefix;
	char *index_path;
	int num_shards;
	int big_endian;       /* tensor bytes were written big-endian */
	int producer, min_consumer;
	struct bundle_entry *entries;  /* every key but the header, in key order */
	size_t nentries;
	size_t entries_cap;            /* private: entries from xmalloc_huge for so many, or 0 */
	size_t ntensors;               /* entries that are not hidden slices */
	struct bundle_shard *shards;   /* private: lazily opened data files */
	const struct bundle_ops *ops;  /* private: the reader (above) */
	void *reader;                  /* private: its state (V1: the tables, v1.h) */
	struct bundle_mem *mem;        /* private: V2 only, holds the entries' names, dims, slices */
	size_t mem_first;              /* private: the size of mem's first block */
};

/* Open P.index. Errors name the file: CK_ENOTFOUND if it does not exist, CK_EKIND if it is a
 * table but not a V2 index (a V1 checkpoint), CK_ECORRUPT for broken bytes. */
int bundle_open(struct bundle **out, const char *prefix, struct ck_err *err);
void bundle_free(struct bundle *b);

/* A V2 index read one entry at a time, in key order, holding none: for listings of any size
 * in constant memory. Each entry is decoded and checked as bundle_open checks it, with the
 * same errors; the end-of-index checks come as the error of the call that meets the end.
 * Partitioned tensors' full entries come with slices_bytes 0 (their slices are not looked
 * up). bundle_scan_open takes the errors of bundle_open up to the header. */
struct bundle_scan;
int bundle_scan_open(struct bundle_scan **out, const char *prefix, struct ck_err *err);
/* 1 with *e (owned by the scan, valid until the next call), 0 at the end, < 0 on error. */
int bundle_scan_next(struct bundle_scan *s, const struct bundle_entry **e, struct ck_err *err);
/* Back to the first entry, for another pass. */
int bundle_scan_rewind(struct bundle_scan *s, struct ck_err *err);
/* The header's facts (prefix, format, num_shards; ntensors: those read so far in this pass);
 * it holds no entries. Owned by the scan. */
const struct bundle *bundle_scan_bundle(const struct bundle_scan *s);
void bundle_scan_free(struct bundle_scan *s);

/* Disk order: by shard, then offset; entries with no bytes of their own (partitioned tensors'
 * full entries) after all others, equal among themselves. For reading files forward. */
int bundle_disk_cmp(const struct bundle_entry *a, const struct bundle_entry *b);

/* Exact-name lookup by binary search (entries are sorted); NULL if absent. */
const struct bundle_entry *bundle_find(const struct bundle *b, const void *name, size_t len);

/* The files of the V2 checkpoint with prefix P: "P.index" and "P.data-%05d-of-%05d" (shard
 * counted from 0); the one place their names are made. Caller frees. */
char *bundle_index_path(const char *prefix);
char *bundle_data_path(const char *prefix, int shard, int num_shards);

/* The file of shard `shard` of b (V2: bundle_data_path; V1: the table file); caller frees. */
char *bundle_shard_path(const struct bundle *b, int shard);

/* The size of data shard `shard` by stat alone (no byte read): 0 with *size, or -1 with errno
 * set when it is missing or not a regular file (EISDIR, ...). */
int bundle_shard_size(const struct bundle *b, int shard, uint64_t *size);

/* Read n payload bytes of e starting at off (off + n <= e->size); no CRC check. Once e's shard
 * is open (format 2, after a tensor_stream_open of e) it is a pread that touches nothing
 * shared, and several threads may read e at once. */
int bundle_pread(struct bundle *b, const struct bundle_entry *e, uint64_t off, void *p, size_t n,
		 struct ck_err *err);

/* Up to n raw bytes of V2 data shard `shard` from file offset off, for readers that fetch
 * the payloads of many small tensors in one read (tensor/batch.h): the count read (less than
 * n only at the end of the file) or a negative code (the shard's open error, CK_EUNSUP for a
 * V1 bundle). No payload bounds and no CRC are checked. */
long long bundle_shard_pread(struct bundle *b, int shard, uint64_t off, void *p, size_t n,
			     struct ck_err *err);

/* Check e's payload against its stored CRC, streaming, in bounded memory. DT_STRING uses the
 * length-checksum rule of doc/FORMAT.md §3. CK_EUNSUP for variant tensors (not checked). */
int bundle_verify(struct bundle *b, const struct bundle_entry *e, struct ck_err *err);

/* Read the whole payload into out and verify it (for small tensors: object graph, scalars). */
int bundle_read(struct bundle *b, const struct bundle_entry *e, struct buf *out, struct ck_err *err);

/* Sequential reading of one payload in chunks, CRC-verified when the last byte has been read:
 * tensor_stream_read returns the bytes read, 0 at the end (after a successful check), < 0 on
 * error. For DT_STRING the whole payload is verified when the stream opens. */
struct tensor_stream {
	struct bundle *b;
	const struct bundle_entry *e;
	uint64_t pos;
	uint32_t crc;
	int check;   /* running CRC applies */
};
int tensor_stream_open(struct tensor_stream *s, struct bundle *b, const struct bundle_entry *e,
		       struct ck_err *err);
long long tensor_stream_read(struct tensor_stream *s, void *p, size_t n, struct ck_err *err);

/* For readers that compute the CRC-32C of a whole payload themselves (split.h): 0 if crc
 * (unmasked, of all e->size bytes) matches the stored checksum, else the CK_ECORRUPT error
 * tensor_stream_read gives, naming the shard and the tensor. */
int bundle_check_crc(struct bundle *b, const struct bundle_entry *e, uint32_t crc,
		     struct ck_err *err);

/* 1 if n payload bytes can hold a DT_STRING tensor of that many elements (a length varint of
 * at least one byte each, and the 4-byte checksum): checked before allocating per element. */
static inline int bundle_strings_fit(uint64_t elements, uint64_t n)
{
	return elements == 0 || (n >= 4 && elements <= n - 4);
}

/* Split a DT_STRING payload (already verified) into elements: calls fn for each element in
 * order; stops at the first non-zero return. */
int bundle_strings(const uint8_t *p, size_t n, uint64_t elements,
		   int (*fn)(void *ctx, uint64_t i, const uint8_t *s, size_t len), void *ctx,
		   struct ck_err *err);

/* Shape as "[784,512]" ("[]" for scalars) into out (appended). */
void shape_format(struct buf *out, const int64_t *dims, int rank);

#endif
