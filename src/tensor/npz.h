/* NumPy .npz archives: a zip file of .npy members, one per array ("name.npy"), through
 * Debian's libzip. Members are written stored (numpy.savez) or deflated (savez_compressed),
 * and read in either form; their bytes are streamed both ways, never held whole.
 *
 *   local header + "a.npy" data | local header + "b/c.npy" data | ... | central directory
 *   (ZIP64 records when a member or the archive passes 4 GiB)
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
/* Write the archive, sync it and move it into place; frees w in all cases. On failure the
 * temporary file is removed and err says why (a source's own error when one failed). */
int npz_writer_finish(struct npz_writer *w, struct ck_err *err);
/* Give up: remove the temporary file and free w. Safe on NULL. */
void npz_writer_abort(struct npz_writer *w);

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
