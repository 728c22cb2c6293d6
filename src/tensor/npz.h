/* NumPy .npz archives: a zip file of .npy members, one per array ("name.npy"). Members are
 * written stored (numpy.savez) or deflated (savez_compressed) by our own writer, and read in
 * either form through Debian's libzip; their bytes are streamed both ways, never held whole.
 * The records, as PKWARE's APPNOTE.TXT (6.3) draws them (all integers little-endian):
 *
 *   local header   50 4B 03 04 | need u16 | flags u16 | method u16 | time u16 | date u16 |
 *                  crc32 u32 | compressed u32 | size u32 | name len u16 | extra len u16 |
 *                  name | extra                                  then the member's bytes
 *   central header 50 4B 01 02 | made by u16 | need ... name len (as above) | extra len u16 |
 *                  comment len u16 | disk u16 | internal u16 | external u32 | offset u32 |
 *                  name | extra                                  one per member, in order
 *   [zip64 end     50 4B 06 06 | 44 u64 | made by u16 | need u16 | disk u32 | cd disk u32 |
 *                  entries here u64 | entries u64 | cd size u64 | cd offset u64
 *    zip64 locator 50 4B 06 07 | disk u32 | offset of zip64 end u64 | disks u32]
 *   end            50 4B 05 06 | disk u16 | cd disk u16 | entries here u16 | entries u16 |
 *                  cd size u32 | cd offset u32 | comment len u16
 *
 * ZIP64: a size or offset of 0xFFFFFFFF or more is written as 0xFFFFFFFF and given in the
 * zip64 extra field (id 0x0001: size u64, compressed u64, offset u64; in a local header both
 * sizes, in a central header only the fields marked); 65535 members or more, or a central
 * directory at or past 4 GiB, add the zip64 end record and its locator.
 */
#ifndef CKPT_NPZ_H
#define CKPT_NPZ_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"

/* ---- member names ----
 * A tensor "NAME" is the member "NAME.npy", as numpy.savez writes a key, with the bytes that
 * could make the member a path outside the folder it is unzipped in, or an unreadable name,
 * written as %XX (two hex digits): '%' itself, '\\', control bytes and DEL, bytes that are not
 * UTF-8, a '.' that begins a component ("..", ".x"), and a '/' that would make an empty
 * component (leading, trailing or doubled). Every member name is thus a relative path of
 * ordinary components; "dense/kernel" stays "dense/kernel.npy" (numpy's key). Reading, %XX is
 * decoded wherever it occurs. */

/* A zip entry name is at most 65535 bytes (a 16-bit length). */
#define NPZ_MAX_MEMBER 65535u

/* Appends the member name of the tensor name (len bytes, any bytes), ".npy" included. */
void npz_member_name(struct buf *out, const void *name, size_t len);
/* Appends the tensor name of a member name given without its ".npy". */
void npz_name_decode(struct buf *out, const char *member, size_t len);

/* ---- writing ---- */

/* Where a member's bytes come from: open, read pieces until the declared size (read returns
 * the bytes given, < 0 on error with err filled), close. Called while npz_writer_finish runs,
 * one member at a time, in the order added. */
struct npz_source {
	int (*open)(void *ctx, struct ck_err *err);
	long long (*read)(void *ctx, void *p, size_t n, struct ck_err *err);
	void (*close)(void *ctx);
	void *ctx;
};

struct npz_writer;

/* Start OUT (written under a temporary name beside it; an existing OUT is replaced only with
 * force). compress: deflate members instead of storing them. */
int npz_writer_open(struct npz_writer **w, const char *path, int force, int compress,
		    struct ck_err *err);
/* Commit the archive without fsync (--no-sync): complete when renamed into place, but a crash
 * of the machine soon after may lose it. */
void npz_writer_no_sync(struct npz_writer *w);
/* Add a member of exactly size bytes. name must not hold NUL bytes. The source is used later,
 * so src->ctx must stay valid until finish. */
int npz_writer_add(struct npz_writer *w, const char *name, uint64_t size,
		   const struct npz_source *src, struct ck_err *err);
/* A stored member (not in a deflated archive) of size bytes whose first head_len are given
 * here and whose rest the caller writes itself, at a place known once the archive is laid
 * out: chunks of it may then be written at once by several threads. After every member is
 * added, npz_writer_lay writes the archive up to its directory, every other member streamed,
 * and leaves each hole's rest unwritten; the caller writes it (npz_writer_file,
 * npz_writer_hole_at: the file offset of its first byte; member counts from 0 in the order
 * added) and gives its CRC-32 (npz_writer_fill) before npz_writer_finish. */
int npz_writer_add_hole(struct npz_writer *w, const char *name, uint64_t size,
			const void *head, size_t head_len, struct ck_err *err);
int npz_writer_lay(struct npz_writer *w, struct ck_err *err);
/* The temporary file's descriptor, and its name for messages. */
int npz_writer_file(const struct npz_writer *w, const char **path);
uint64_t npz_writer_hole_at(const struct npz_writer *w, size_t member);
void npz_writer_fill(struct npz_writer *w, size_t member, uint32_t crc);
/* Write the archive (laid out first unless it was), sync it and move it into place; frees w
 * in all cases. On failure the temporary file is removed and err says why (a source's own
 * error when one failed; a hole never filled is CK_EUSAGE). */
int npz_writer_finish(struct npz_writer *w, struct ck_err *err);
/* Give up: remove the temporary file and free w. Safe on NULL. */
void npz_writer_abort(struct npz_writer *w);

/* ---- the records (exposed for tests: an archive past 4 GiB without writing 4 GiB) ---- */

#define ZIP_MAX32 0xffffffffull  /* a 32-bit field holds less: this value marks ZIP64 */

struct npz_entry {
	const char *name;     /* the member name, name_len bytes */
	size_t name_len;
	uint64_t size, csize; /* uncompressed and compressed (stored: the same) */
	uint64_t off;         /* of the local header */
	uint32_t crc;
	int method;           /* 0 stored, 8 deflated */
	int zip64;            /* the local header carries the zip64 sizes */
	uint16_t dos_time, dos_date;
};

void npz_local_header(struct buf *out, const struct npz_entry *e);
void npz_central_header(struct buf *out, const struct npz_entry *e);
/* The end records of a central directory of n headers, cd_size bytes at cd_off. */
void npz_end_records(struct buf *out, uint64_t n, uint64_t cd_off, uint64_t cd_size);

/* ---- reading ---- */

struct npz_reader;

/* CK_ENOTFOUND, or CK_EKIND when the file is not a zip archive. */
int npz_open(struct npz_reader **r, const char *path, struct ck_err *err);
void npz_close(struct npz_reader *r);
size_t npz_count(const struct npz_reader *r);
/* Member i's name as stored (raw bytes, NUL-terminated; owned by r). */
const char *npz_name(struct npz_reader *r, size_t i);
/* Member i's uncompressed size. */
uint64_t npz_size(struct npz_reader *r, size_t i);
/* Read member i from its start; one member is open at a time (opening another closes it).
 * The member's CRC is checked when its end is read. */
int npz_member_open(struct npz_reader *r, size_t i, struct ck_err *err);
long long npz_member_read(struct npz_reader *r, void *p, size_t n, struct ck_err *err);
void npz_member_close(struct npz_reader *r);

#endif
