/* Writing NumPy .npy files, and the atomic output file they are written through.
 *
 *   "\x93NUMPY" 01 00 | header length (uint16 LE) | "{'descr': '<f4', 'fortran_order': False,
 *   'shape': (2, 3), }" padded with spaces and a final '\n' to a multiple of 64 bytes | data
 *
 * (version 2.0, with a uint32 length, only when the header would not fit 64 KiB). */
#ifndef CKPT_NPY_H
#define CKPT_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"
#include "store/outfile.h"
#include "store/outguard.h"

/* numpy's type string for dtype ("<f4", "|b1"), or NULL if numpy has none (strings: the caller
 * builds "|S<width>"; resource and variant). *widen is set for bfloat16 and float8, which are
 * written as float32 ("<f4") because numpy itself has no such types. */
const char *npy_descr(int dtype, int *widen);

void npy_header(struct buf *out, const char *descr, const int64_t *dims, int rank);

/* An output file written under a temporary name in its destination folder, then synced and
 * moved into place by outfile_commit. Without force an existing file is never replaced
 * (CK_EEXIST, checked when creating and again, atomically, when committing); an input of
 * the run never is, even with force (outguard.h). */
struct outfile {
	struct ck_outfile f;  /* the temporary file and its target (store/outfile.h) */
	char *live;           /* the temporary name, as the signal handler knows it */
	int force;
	struct outlock lock;  /* on path, while the file is being written (outguard.h) */
	int no_sync;          /* set after outfile_create: commit without fsync (--no-sync) */
	/* outfile_write_bg: the write on par's background thread, and the first that failed */
	const void *bg_p;
	size_t bg_n;
	int bg_busy, bg_rc;
	struct ck_err bg_err;
};
#define OUTFILE_INIT { .f = CK_OUTFILE_INIT, .lock = OUTLOCK_INIT }

int outfile_create(struct outfile *f, const char *path, int force, struct ck_err *err);
int outfile_write(struct outfile *f, const void *p, size_t n, struct ck_err *err);
/* Write n bytes at p on a background thread (par_bg_start) while the caller goes on, once the
 * last such write is done: p must stay as it is until outfile_in_flight no longer returns it.
 * A failed write is returned by the next call here (or outfile_drain, outfile_write,
 * outfile_commit). Writes stay in order: every other call waits for the one in flight. */
int outfile_write_bg(struct outfile *f, const void *p, size_t n, struct ck_err *err);
/* Wait for the write in flight; 0, or the first background write's error. */
int outfile_drain(struct outfile *f, struct ck_err *err);
/* The buffer being written in the background, or NULL. */
const void *outfile_in_flight(const struct outfile *f);
int outfile_commit(struct outfile *f, struct ck_err *err);
/* Remove the temporary file (safe after commit, after a failed create, or on OUTFILE_INIT). */
void outfile_abort(struct outfile *f);
/* For a signal handler: unlink every temporary file not yet committed or aborted. */
void outfile_cleanup_signal(void);

/* ---- reading .npy headers (ckpt import) ---- */

#define NPY_MAX_RANK 64

struct npy_info {
	int dtype;            /* TensorFlow dtype; DT_STRING for numpy's 'S' and 'U' arrays */
	char kind;            /* numpy's kind letter: b i u f c S U */
	size_t itemsize;      /* bytes per element in the file ('U': 4 per character) */
	int swap;             /* big-endian elements: swap each to little-endian */
	int fortran;          /* column-major element order */
	int rank;
	int64_t dims[NPY_MAX_RANK];
	uint64_t elements;
	uint64_t data_bytes;  /* elements * itemsize */
	char descr[64];       /* the type string as written, for messages */
};

/* Read exactly the header of a .npy stream through read (which returns bytes read, 0 at end,
 * < 0 on error) and parse it: format versions 1 to 3. CK_EKIND when the bytes are not a .npy
 * file, CK_ECORRUPT for a broken header, CK_EUNSUP for element types TensorFlow has no
 * counterpart for (object, structured, void, datetime, float128). Messages do not name the
 * file (the caller adds it). */
int npy_read_header(long long (*read)(void *ctx, void *p, size_t n, struct ck_err *err),
		    void *ctx, struct npy_info *info, struct ck_err *err);

#endif
