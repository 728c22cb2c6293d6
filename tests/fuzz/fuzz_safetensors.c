/* Fuzz target: the safetensors reader. Input: the bytes of the file. A file that opens must
 * keep every rule the reader promises (safetensors.h): UTF-8 names without NUL, unique,
 * sizes matching shapes, and data offsets tiling the data buffer exactly; each tensor's
 * bytes are then read. */
#include <assert.h>

#include "format/dtype.h"
#include "tensor/safetensors.h"
#include "fuzz.h"

static int cmp_begin(const void *a, const void *b)
{
	const struct st_tensor *x = *(const struct st_tensor *const *)a;
	const struct st_tensor *y = *(const struct st_tensor *const *)b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *path;
	static uint8_t chunk[4096];
	struct st_file *f;
	struct st_tensor **order;
	struct ck_err err;
	uint64_t at = 0;
	int rc;

	if (!path)
		path = xasprintf("%s/a.safetensors", fuzz_dir());
	fuzz_write(path, data, size);
	rc = safetensors_open(&f, path, &err);
	if (rc < 0) {
		assert(rc == err.code && err.msg[0]);
		return 0;
	}
	order = xcalloc(f->n + 1, sizeof(*order));
	for (size_t i = 0; i < f->n; i++) {
		const struct st_tensor *t = &f->t[i];
		uint64_t bytes = (uint64_t)dtype_info(t->dtype)->size;
		for (int d = 0; d < t->rank; d++)
			bytes *= (uint64_t)t->dims[d];
		assert(t->end - t->begin == bytes && t->end <= f->data_size);
		for (size_t j = 0; j < i; j++)
			assert(strcmp(f->t[j].name, t->name));
		order[i] = &f->t[i];
		for (uint64_t off = 0; off < bytes; off += sizeof(chunk)) {
			size_t n = bytes - off < sizeof(chunk) ? (size_t)(bytes - off) : sizeof(chunk);
			rc = safetensors_pread(f, i, off, chunk, n, &err);
			assert(rc == 0);
		}
	}
	sort_array(order, f->n, sizeof(*order), cmp_begin);
	for (size_t i = 0; i < f->n; i++) {
		assert(order[i]->begin == at);
		at = order[i]->end;
	}
	assert(at == f->data_size);
	free(order);
	safetensors_close(f);
	return 0;
}
