/* Fortran-order arrays reordered through temporary files in bounded memory: the result must
 * equal the in-memory reordering (checked by index arithmetic) for ranks 2 to 4, odd sizes and
 * memory limits small enough to force transposes at several levels. */
#include <stdlib.h>
#include <unistd.h>

#include "base/util.h"
#include "tensor/fortran.h"
#include "tap.h"

struct mem_src {
	const uint8_t *p;
	size_t n, at;
};

static long long mem_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct mem_src *m = ctx;

	if (n > m->n - m->at)
		n = m->n - m->at;
	if (n > 1000)  /* short reads, as a zip member gives */
		n = 1000;
	memcpy(p, m->p + m->at, n);
	m->at += n;
	return (long long)n;
}

/* Element at row-major position i of a column-major array whose element f holds value f. */
static int check(int fd, const int64_t *dims, int rank, size_t w)
{
	uint64_t n = 1;
	int64_t idx[8] = { 0 };
	int good = 1;

	for (int d = 0; d < rank; d++)
		n *= (uint64_t)dims[d];
	uint8_t *got = xmalloc((size_t)(n * w) + 1);
	if (pread_full(fd, got, (size_t)(n * w), 0) != (long long)(n * w))
		return 0;
	for (uint64_t i = 0; i < n && good; i++) {
		uint64_t f = 0;
		uint32_t v;
		for (int d = rank - 1; d >= 0; d--)
			f = f * (uint64_t)dims[d] + (uint64_t)idx[d];
		memcpy(&v, got + i * w, 4);
		good = v == (uint32_t)f;
		for (int d = rank - 1; d >= 0; d--) {
			if (++idx[d] < dims[d])
				break;
			idx[d] = 0;
		}
	}
	free(got);
	return good;
}

static void one(const int64_t *dims, int rank, size_t w, size_t mem)
{
	uint64_t n = 1;
	struct ck_err err = { 0 };
	int fd = -1, rc;

	for (int d = 0; d < rank; d++)
		n *= (uint64_t)dims[d];
	uint8_t *in = xcalloc((size_t)(n * w) + 1, 1);
	for (uint64_t f = 0; f < n; f++) {
		uint32_t v = (uint32_t)f;
		memcpy(in + f * w, &v, 4);
	}
	struct mem_src m = { in, (size_t)(n * w), 0 };
	rc = fortran_to_c(mem_read, &m, dims, rank, w, mem, &fd, &err);
	ok(rc == 0 && check(fd, dims, rank, w), "rank %d (%lld x %lld ...), %zu-byte elements, "
	   "%zu bytes of memory%s%s", rank, (long long)dims[0], (long long)dims[1], w, mem,
	   rc ? ": " : "", rc ? err.msg : "");
	if (fd >= 0)
		close(fd);
	free(in);
}

int main(void)
{
	static const int64_t d2[] = { 37, 53 }, d3[] = { 7, 11, 13 }, d4[] = { 3, 5, 7, 9 },
			     thin[] = { 1000, 2 }, flat[] = { 2, 1000 }, empty[] = { 4, 0, 3 };

	one(d2, 2, 4, 1 << 20);  /* in memory */
	one(d2, 2, 4, 256);
	one(d2, 2, 8, 64);
	one(d3, 3, 4, 200);
	one(d3, 3, 4, 5000);
	one(d4, 4, 4, 128);
	one(d4, 4, 12, 1000);
	one(thin, 2, 4, 100);
	one(flat, 2, 4, 100);
	one(empty, 3, 4, 16);
	{
		struct ck_err err = { 0 };
		uint8_t b[64] = { 0 };
		struct mem_src m = { b, 10, 0 };
		int fd;
		is_int(fortran_to_c(mem_read, &m, d2, 2, 4, 1 << 20, &fd, &err), CK_ECORRUPT,
		       "an array that ends early: %s", err.msg);
		m.at = 0;
		m.n = 64;
		static const int64_t one_dim[] = { 2, 2 };
		is_int(fortran_to_c(mem_read, &m, one_dim, 2, 16, 16, &fd, &err), CK_EUNSUP,
		       "elements wider than half the memory: %s", err.msg);
	}
	return tap_done();
}
