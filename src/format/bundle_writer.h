/* Writing a V2 bundle: payloads appended to data shards, then the index (doc/FORMAT.md §10).
 *
 * Everything is written under temporary names in the destination folder
 * (P.data-NNNNN-of-MMMMM.tempstate<R>, P.index.tempstate<R>), fsynced, then renamed into place,
 * data shards first and the index last: a present P.index implies complete data. On failure,
 * or bundle_writer_abort, every temporary file is removed. */
#ifndef CKPT_BUNDLE_WRITER_H
#define CKPT_BUNDLE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "store/file.h"
#include "format/bundle.h"

enum {
	BW_FORCE = 1,        /* replace an existing P.index and its shards */
	BW_MKDIR = 2,        /* create the destination folder if missing */
	BW_VERIFY_DATA = 4,  /* the re-read check also CRC-checks every payload */
	BW_NO_SYNC = 8,      /* no fsync: files are still complete when renamed into place, but
	                      * a crash of the machine soon after may lose or truncate them */
};

struct bundle_writer;

int bundle_writer_open(struct bundle_writer **w, const char *prefix, int num_shards, int flags,
		       struct ck_err *err);

/* A numeric (or bool) tensor whose payload is given whole; its CRC is computed here. */
int bundle_writer_add(struct bundle_writer *w, const void *name, size_t name_len, int dtype,
		      const int64_t *dims, int rank, int shard, const void *data, size_t n);

/* The payload bytes bundle_writer_add_strings stores for count elements: their varint
 * lengths, the 4-byte checksum of the lengths, then the bytes. */
uint64_t bundle_strings_size(const size_t *lens, uint64_t count);

/* A DT_STRING tensor from count elements (doc/FORMAT.md §6.3 layout and checksums). */
int bundle_writer_add_strings(struct bundle_writer *w, const void *name, size_t name_len,
			      const int64_t *dims, int rank, int shard,
			      const uint8_t *const *strs, const size_t *lens, uint64_t count);

/* The same layout streamed, for string tensors too large to hold: begin, give every element's
 * length in order (in pieces), then every element's bytes in order (in pieces, any split),
 * then end. The writer's first error is kept and returned by each call. */
struct bw_strings {
	struct bundle_writer *w;
	struct bundle_entry e;
	uint32_t crc;
	uint64_t lengths, bytes, want_bytes;  /* elements given, bytes given, bytes announced */
	int in_bytes;
	struct buf pend;      /* varints not yet written */
};
int bundle_writer_strings_begin(struct bundle_writer *w, struct bw_strings *s, const void *name,
				size_t name_len, const int64_t *dims, int rank, int shard);
int bundle_writer_strings_lengths(struct bw_strings *s, const size_t *lens, size_t n);
int bundle_writer_strings_bytes(struct bw_strings *s, const void *p, size_t n);
int bundle_writer_strings_end(struct bw_strings *s);
/* Frees what s holds (after end, or to give up; the writer is then to be aborted). */
void bundle_writer_strings_release(struct bw_strings *s);

/* The full entry of a partitioned tensor; its slices are added with bundle_writer_add under
 * slice_key() names. slices: nslices * rank (start, length) pairs, length -1 = whole dim. */
int bundle_writer_add_partitioned(struct bundle_writer *w, const void *name, size_t name_len,
				  int dtype, const int64_t *dims, int rank, size_t nslices,
				  const int64_t *slices);

/* Payload streaming for copies: begin an entry, append its bytes in pieces (CRC kept by the
 * caller when the bytes are copied unchanged), end it with the masked CRC to store. */
int bundle_writer_begin(struct bundle_writer *w, int shard, uint64_t *offset);
int bundle_writer_write(struct bundle_writer *w, int shard, const void *p, size_t n);
/* The fd of a shard's temporary file (for copy_file_range), and its current length. */
int bundle_writer_shard_fd(struct bundle_writer *w, int shard, uint64_t *length);
void bundle_writer_shard_advance(struct bundle_writer *w, int shard, uint64_t n);
/* A payload written by several threads at once: bundle_writer_extend makes room for n bytes
 * at the end of a shard (*offset: where they start); bundle_writer_write_at then fills them,
 * range by range, in any order and from any thread: it reads the shard's descriptor and
 * touches nothing else of the writer. It returns 0 or an errno value, which the caller hands
 * back (on its own thread) to bundle_writer_write_failed: the writer keeps it as its error
 * ("TMP: write: why") and returns it. */
int bundle_writer_extend(struct bundle_writer *w, int shard, uint64_t n, uint64_t *offset);
int bundle_writer_write_at(const struct bundle_writer *w, int shard, uint64_t off, const void *p,
			   size_t n);
int bundle_writer_write_failed(struct bundle_writer *w, int shard, int errnum);
int bundle_writer_add_entry(struct bundle_writer *w, const struct bundle_entry *e);
/* n entries the caller holds, given at once instead of one add each: get(ctx, i, e) fills
 * entry i (i < n); they come in strictly increasing key order (key_cmp) and get stays callable,
 * with e's name, dims and slices unchanged, until finish or abort. The writer keeps no copy
 * (100 000 copies were 11 MB of fresh pages, a seventh of a small-tensor subset); entries added
 * the other ways are merged in by key at finish. At most one such call per writer. */
void bundle_writer_add_sorted(struct bundle_writer *w, size_t n,
			      void (*get)(void *ctx, size_t i, struct bundle_entry *e), void *ctx);

/* Tensor bytes are big-endian (kept from a big-endian input); recorded in the header. */
void bundle_writer_set_big_endian(struct bundle_writer *w, int big_endian);

/* Append n bytes of src at src_off to a shard: copy_file_range when src is a local file
 * (in-kernel; a reflink on file systems that share extents), pread/write where the kernel
 * cannot or src is remote. src_name for errors. */
int bundle_writer_copy(struct bundle_writer *w, int shard, struct ck_file *src, uint64_t src_off,
		       uint64_t n, const char *src_name);
/* The same, but from a local file the copy is queued for a helper thread (base/par.h) and done,
 * in order with the other queued ones, while the caller goes on and finish writes the index; its
 * failure shows at a later call or at finish. src and src_name must stay valid until finish or
 * abort. Any other use of the shards first waits for the queue. */
int bundle_writer_copy_later(struct bundle_writer *w, int shard, struct ck_file *src,
			     uint64_t src_off, uint64_t n, const char *src_name);
/* The shard will hold n bytes in the end: its space may be reserved now (ck_outfile_reserve). */
void bundle_writer_expect(struct bundle_writer *w, int shard, uint64_t n);
/* Wait until at most `ahead` bytes of the queued copies are still to copy (0: all are done,
 * and a failed one is the writer's error): a caller reporting progress keeps it that close to
 * the truth. 0, or the writer's first error. */
int bundle_writer_wait(struct bundle_writer *w, uint64_t ahead);
/* The same copy from an input to a descriptor, outside a writer. */
int bundle_copy_range(struct ck_file *in, uint64_t off, int out, uint64_t n, const char *src,
		      const char *dst, struct ck_err *err);

/* Make a still-empty shard a copy of a whole input data file: a reflink (FICLONE) where the
 * file system supports it, else (allow_link) a hard link, else an in-kernel copy. Entries then
 * keep their offsets. A hard-linked shard cannot grow. used (nused sorted, disjoint
 * [start, end) pairs, or NULL for all) names the bytes the entries use: a copy copies only
 * those, at their offsets (gaps stay holes), and a copy or reflink ends where the last one
 * does, so that an unused tail (a sparse 64 GiB one) is never copied. */
enum bw_share { BW_SHARE_REFLINK, BW_SHARE_LINK, BW_SHARE_COPY };
int bundle_writer_share(struct bundle_writer *w, int shard, const char *src_path, int allow_link,
			const uint64_t (*used)[2], size_t nused, enum bw_share *how);
uint64_t bundle_writer_shard_length(const struct bundle_writer *w, int shard);
/* The writer's first error (copied to err when there is one), or 0. */
int bundle_writer_status(const struct bundle_writer *w, struct ck_err *err);

/* Write the index, read everything back through the reader under the temporary names and
 * compare it with the entries added (names, dtypes, shapes, places, CRCs; with BW_VERIFY_DATA
 * every payload's CRC too), then rename into place: data files first, the index last. With
 * BW_FORCE an existing index is removed before the data files are renamed, and old data files
 * the new checkpoint does not replace are removed after. Frees w in all cases. */
int bundle_writer_finish(struct bundle_writer *w, struct ck_err *err);
/* Remove every temporary file and free w. Safe on NULL. */
void bundle_writer_abort(struct bundle_writer *w);

/* Remove temporary files of all open writers (async-signal-safe: for SIGINT/SIGTERM). */
void bundle_writer_cleanup_signal(void);

/* Encode a header / entry exactly as TensorFlow does (ascending fields, zeros omitted). */
void bundle_encode_header(struct buf *out, int num_shards, int big_endian);
void bundle_encode_entry(struct buf *out, const struct bundle_entry *e);
/* The same through protobuf-c: the reference the hand packing above is tested against. */
void bundle_encode_entry_pb(struct buf *out, const struct bundle_entry *e);

#endif
