/* The import engine (`ckpt import`): a checkpoint from NumPy and safetensors files. The arrays
 * of a .npz, a safetensors file, one .npy file or a folder of .npy files (walked, names from
 * their paths) are added, under their names, to a bundle writer the caller opened. Nothing is
 * printed: notes (what was converted on the way) are lines in struct importer. */
#ifndef CKPT_IMPORT_H
#define CKPT_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"
#include "format/bundle_writer.h"
#include "edit/namefilter.h"

/* What the input is, by its first bytes. */
enum import_kind { IMPORT_DIR, IMPORT_NPZ, IMPORT_NPY, IMPORT_SAFETENSORS };

struct importer {
	struct bundle_writer *w;   /* set by the caller; finished by import_finish, else aborted
				    * by importer_release */
	struct namefilter filter;  /* which names to import (set by the caller) */
	const char *file;      /* the input, for messages */
	size_t tensors;        /* imported so far */
	uint64_t bytes;
	struct buf notes;      /* '\n'-ended lines for the caller to show */
	struct buf files;      /* a folder's imported files, relative, each NUL-terminated */
};

/* A folder, a .npz, a .npy or a safetensors file; CK_EKIND (with a hint for a checkpoint's
 * .index) when none of them. */
int import_sniff(const char *path, enum import_kind *k, struct ck_err *err);
/* Add every array of in that im->filter selects to im->w. Every error message names the file
 * it is about; none imported is CK_EUSAGE. */
int import_read(struct importer *im, const char *in, enum import_kind kind, struct ck_err *err);
/* Finish im->w at out; an error not about an output file (two arrays of one name) names the
 * input. */
int import_finish(struct importer *im, const char *out, struct ck_err *err);
void importer_release(struct importer *im);

#endif
