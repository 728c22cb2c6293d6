/* Fuzz target: the .npy header parser, and the Fortran-order reordering behind it.
 * Input: the bytes of a .npy file, delivered in pieces of 1 to 7 bytes (as a zip member may
 * deliver them). A header that parses must describe a consistent array; when it is a small
 * Fortran-order array whose data follows, reordering through temporary files with a tiny
 * memory limit must give the same bytes as reordering in memory. */
#include <assert.h>

#include "tensor/fortran.h"
#include "tensor/npy.h"
#include "fuzz.h"

struct src {
	const uint8_t *p;
	size_t n, at;
};

static long long take(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct src *s = ctx;
	size_t k = 1 + s->at % 7;

	(void)err;
	if (n > k)
		n = k;
	if (n > s->n - s->at)
		n = s->n - s->at;
	memcpy(p, s->p + s->at, n);
	s->at += n;
	return (long long)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct src s = { data, size, 0 };
	struct npy_info a;
	struct ck_err err;
	int rc;

	if (!getenv("TMPDIR") || strcmp(getenv("TMPDIR"), fuzz_dir()))
		setenv("TMPDIR", fuzz_dir(), 1);
	rc = npy_read_header(take, &s, &a, &err);
	if (rc < 0) {
		assert(rc == err.code && err.msg[0]);
		return 0;
	}
	assert(a.rank >= 0 && a.rank <= NPY_MAX_RANK && a.itemsize > 0);
	{
		uint64_t n = 1;
		for (int i = 0; i < a.rank; i++)
			n *= (uint64_t)a.dims[i];
		assert(n == a.elements && a.data_bytes == a.elements * a.itemsize);
	}
	if (a.fortran && a.rank > 1 && a.data_bytes <= size - s.at && a.data_bytes <= 4096) {
		uint8_t *want = xmalloc((size_t)a.data_bytes + 1), *got = xmalloc((size_t)a.data_bytes + 1);
		int fd = -1;
		fortran_to_c_mem(data + s.at, want, a.dims, a.rank, a.itemsize);
		rc = fortran_to_c(take, &s, a.dims, a.rank, a.itemsize, 64, &fd, &err);
		if (rc == 0) {
			assert(pread_full(fd, got, (size_t)a.data_bytes, 0) == (long long)a.data_bytes);
			assert(!memcmp(want, got, (size_t)a.data_bytes));
			close(fd);
		} else {
			assert(rc == err.code && err.msg[0] && a.itemsize > 32);
		}
		free(want);
		free(got);
	}
	return 0;
}
