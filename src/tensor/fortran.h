/* Column-major (Fortran-order) arrays into row-major (C) order in bounded memory, through two
 * temporary files: the array is spooled to one, then its axes are reversed by blocked 2-D
 * transposes between the two, in pieces of at most a given number of bytes (FORTRAN_MEMORY for
 * the tool). A column-major array
 * of dims (d0, ..., dk) is a row-major array of dims (dk, ..., d0); seen as the 2-D row-major
 * (X, d0) with X = d1*...*dk, one transpose gives (d0, X), whose d0 slabs are each a
 * column-major (d1, ..., dk) array: the same problem one axis smaller, done in memory once a
 * slab fits. */
#ifndef CKPT_FORTRAN_H
#define CKPT_FORTRAN_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define FORTRAN_MEMORY (32u << 20)

/* Reads exactly the array's bytes (elements of w bytes, dims[rank]) through read, using about
 * mem bytes of memory (elements wider than mem / 2 are refused, CK_EUNSUP, when rank > 1;
 * rank 1 just spools the bytes), and returns in *fd a descriptor of an unlinked temporary file (in
 * $TMPDIR, else /tmp) holding them in row-major order from offset 0; the caller closes it.
 * read returns the bytes read, 0 at the end, < 0 on error with err filled. */
int fortran_to_c(long long (*read)(void *ctx, void *p, size_t n, struct ck_err *err), void *ctx,
		 const int64_t *dims, int rank, size_t w, size_t mem, int *fd, struct ck_err *err);

/* The same reordering in memory: in (column-major) to out (row-major), elements of w bytes. */
void fortran_to_c_mem(const uint8_t *in, uint8_t *out, const int64_t *dims, int rank, size_t w);

#endif
