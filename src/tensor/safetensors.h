/* The safetensors format (Hugging Face): a JSON header describing each tensor, then the raw
 * little-endian data of all tensors back to back, without gaps.
 *
 *   N (uint64 LE) | N bytes of JSON, padded with spaces | data buffer
 *   {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [BEGIN, END]}, ...,
 *    "__metadata__": {"key": "value"}}                 offsets relative to the data buffer
 */
#ifndef CKPT_SAFETENSORS_H
#define CKPT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"
#include "store/file.h"

/* The safetensors name of a TF dtype stored with the same bytes ("F32", "BF16", "F8_E4M3"),
 * or NULL. *same is cleared when the dtype changes name on the way (quantized and 4-bit
 * integers, stored one per byte, become plain integers). */
const char *safetensors_dtype(int dtype, int *same);
/* The TF dtype for a safetensors dtype name, -1 if unknown. */
int safetensors_dtype_id(const char *name);

struct st_tensor {
	char *name;          /* NUL-terminated, valid UTF-8 */
	int dtype;           /* TF dtype */
	int rank;
	int64_t *dims;
	uint64_t begin, end; /* byte range in the data buffer */
};

/* The header for tensors whose data follow in the order given (begin/end are computed and
 * stored back). Appends the 8-byte length and the JSON, space-padded so the data buffer
 * starts at a multiple of 8. */
void safetensors_header(struct buf *out, struct st_tensor *t, size_t n);

/* Reading: the header parsed and checked against every rule of the format (its README): UTF-8
 * JSON object padded with spaces only, unique names, __metadata__ a map of strings to strings,
 * known dtypes, sizes matching the shapes, and data offsets that index the whole data buffer
 * without holes or overlaps. Names holding NUL (\u0000) are refused. Each message names the
 * file and the rule broken. */
struct st_file {
	struct ck_file *file;
	char *path;
	uint64_t data_start, data_size;
	struct st_tensor *t;
	size_t n;
};

/* CK_ENOTFOUND, CK_EKIND (not a safetensors file), CK_ECORRUPT, CK_EUNSUP (unknown dtype). */
int safetensors_open(struct st_file **f, const char *path, struct ck_err *err);
void safetensors_close(struct st_file *f);
/* n bytes of tensor i from offset off within its data. */
int safetensors_pread(struct st_file *f, size_t i, uint64_t off, void *p, size_t n,
		      struct ck_err *err);

#endif
