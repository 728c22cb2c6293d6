/* Stored tensors written into an output file at places given in advance, on two cores: each
 * thread takes the next unit of work (a whole kernel, or one chunk of any other tensor), reads
 * it, checks it and writes it at its place itself (pwrite).
 *
 * Why not a reading thread handing chunks to a writing one (outfile_write_bg): every MiB then
 * cost a sleep and a wake-up on each side, each a trip through the hypervisor on a virtual
 * machine, and moved every byte from one core's cache to the other's. For a safetensors file,
 * whose layout the header fixes before any tensor is written, threads that each do all of a
 * unit wrote a BERT model with its kernels transposed in 0.6 of the time. */
#ifndef CKPT_EDIT_PLACED_H
#define CKPT_EDIT_PLACED_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "format/bundle.h"

/* One tensor of a V2 bundle (e->size is its elements' bytes, little-endian) written at byte
 * `at` of the output: as stored, or, when rows is not 0, transposed as the rows x cols matrix
 * it is (e->size no larger than FORTRAN_MEMORY: each thread reads a kernel whole); and cast
 * to dtype (cast_elements: both float types) when that is not e's. */
struct placed {
	struct bundle *b;
	const struct bundle_entry *e;
	uint64_t at;
	uint64_t rows, cols;
	int dtype;
	int zip;       /* sum crc32, zip's CRC-32 of the bytes written (a .npz member's) */
	uint32_t crc32;
};

/* Write the n tensors into fd (path: for messages), every payload's CRC checked; kernels are
 * taken first, so that none is left to one thread at the end. Returns 0, or the error of the
 * unit that failed first (a read error, a CRC mismatch, the write's errno): the file is then
 * partly written. Not from a par job (par.h). */
int placed_write(struct placed *p, size_t n, int fd, const char *path, struct ck_err *err);

#endif
