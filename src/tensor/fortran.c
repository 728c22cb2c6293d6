/* Fortran-order arrays reordered in bounded memory (see fortran.h). */
#include "tensor/fortran.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/util.h"

void fortran_to_c_mem(const uint8_t *in, uint8_t *out, const int64_t *dims, int rank, size_t w)
{
	int64_t idx[64] = { 0 };
	uint64_t n = 1;

	for (int d = 0; d < rank; d++)
		n *= (uint64_t)dims[d];
	for (uint64_t i = 0; i < n; i++) {  /* i: row-major position */
		uint64_t f = 0;
		for (int d = rank - 1; d >= 0; d--)
			f = f * (uint64_t)dims[d] + (uint64_t)idx[d];
		memcpy(out + i * w, in + f * w, w);
		for (int d = rank - 1; d >= 0; d--) {
			if (++idx[d] < dims[d])
				break;
			idx[d] = 0;
		}
	}
}

static int get(int fd, void *p, size_t n, uint64_t off, struct ck_err *err)
{
	long long got = pread_full(fd, p, n, off);

	if (got < 0)
		return ck_syserr(err, errno, "reordering a Fortran-order array");
	if ((size_t)got != n)
		return ck_error(err, CK_EIO, "reordering a Fortran-order array: temporary file short");
	return 0;
}

static int put(int fd, const void *p, size_t n, uint64_t off, struct ck_err *err)
{
	if (pwrite_full(fd, p, n, off) < 0)
		return ck_syserr(err, errno ? errno : ENOSPC, "reordering a Fortran-order array "
				 "(temporary file)");
	return 0;
}

/* Row-major R x C elements at off in src -> row-major C x R at off in dst, by tiles that
 * fit mem bytes (an input and an output copy). */
static int transpose(int src, int dst, uint64_t off, uint64_t R, uint64_t C, size_t w,
		     size_t mem, struct ck_err *err)
{
	uint64_t cap = mem / 2 / w, tr = 1, tc;
	uint8_t *in, *out;
	int rc = 0;

	if (!cap)
		cap = 1;
	while (tr * tr < cap && tr < R)
		tr *= 2;
	if (tr > R)
		tr = R;
	tc = cap / tr ? cap / tr : 1;
	if (tc > C)
		tc = C;
	in = xmalloc((size_t)(tr * tc * w));
	out = xmalloc((size_t)(tr * tc * w));
	for (uint64_t r0 = 0; r0 < R && !rc; r0 += tr) {
		uint64_t nr = R - r0 < tr ? R - r0 : tr;
		for (uint64_t c0 = 0; c0 < C && !rc; c0 += tc) {
			uint64_t nc = C - c0 < tc ? C - c0 : tc;
			for (uint64_t r = 0; r < nr && !rc; r++)
				rc = get(src, in + r * nc * w, (size_t)(nc * w), off + ((r0 + r) * C + c0) * w,
					 err);
			for (uint64_t r = 0; r < nr; r++)
				for (uint64_t c = 0; c < nc; c++)
					memcpy(out + (c * nr + r) * w, in + (r * nc + c) * w, w);
			for (uint64_t c = 0; c < nc && !rc; c++)
				rc = put(dst, out + c * nr * w, (size_t)(nr * w), off + ((c0 + c) * R + r0) * w,
					 err);
		}
	}
	free(in);
	free(out);
	return rc;
}

/* The column-major array at off in *a, reordered: the result is in *a or *b (swapped so that
 * it is in *a on return). */
static int reverse(int *a, int *b, uint64_t off, const int64_t *dims, int rank, size_t w,
		   size_t mem, struct ck_err *err)
{
	uint64_t x = 1, bytes;
	int rc;

	if (rank <= 1)
		return 0;
	for (int d = 1; d < rank; d++)
		x *= (uint64_t)dims[d];
	bytes = x * (uint64_t)dims[0] * w;
	if (bytes <= mem) {
		uint8_t *in = xmalloc((size_t)bytes + 1), *out = xmalloc((size_t)bytes + 1);
		rc = get(*a, in, (size_t)bytes, off, err);
		if (!rc) {
			fortran_to_c_mem(in, out, dims, rank, w);
			rc = put(*a, out, (size_t)bytes, off, err);
		}
		free(in);
		free(out);
		return rc;
	}
	rc = transpose(*a, *b, off, x, (uint64_t)dims[0], w, mem, err);
	if (rc)
		return rc;
	/* The slabs now live in *b: each is reordered there or, when it needs transposes of its
	 * own, ends in *a (whose bytes at its offsets are free now). Same dims, same path. */
	{
		int where = -1;
		for (int64_t i = 0; i < dims[0] && !rc; i++) {
			int pa = *b, pb = *a;
			rc = reverse(&pa, &pb, off + (uint64_t)i * x * w, dims + 1, rank - 1, w, mem, err);
			where = pa;
		}
		if (!rc && where == *b) {
			int t = *a;
			*a = *b;
			*b = t;
		}
	}
	return rc;
}

static int temp_file(int *fd, struct ck_err *err)
{
	const char *dir = getenv("TMPDIR");
	char *path = xasprintf("%s/ckpt-fortran.XXXXXX", dir && *dir ? dir : "/tmp");

	*fd = mkstemp(path);
	if (*fd < 0) {
		int rc = ck_syserr(err, errno, "%s: cannot create a temporary file to reorder a "
				   "Fortran-order array", path);
		free(path);
		return rc;
	}
	unlink(path);
	free(path);
	return 0;
}

int fortran_to_c(long long (*read)(void *ctx, void *p, size_t n, struct ck_err *err), void *ctx,
		 const int64_t *dims, int rank, size_t w, size_t mem, int *fd, struct ck_err *err)
{
	uint64_t bytes = w, at = 0;
	size_t chunk = 1u << 20;
	uint8_t *p = xmalloc(chunk);
	int a = -1, b = -1, rc;

	*fd = -1;
	for (int d = 0; d < rank; d++)
		bytes *= (uint64_t)dims[d];
	rc = temp_file(&a, err);
	if (!rc)
		rc = temp_file(&b, err);
	while (!rc && at < bytes) {
		size_t n = bytes - at < chunk ? (size_t)(bytes - at) : chunk;
		long long got = read(ctx, p, n, err);
		if (got < 0)
			rc = (int)got;
		else if (!got)
			rc = ck_error(err, CK_ECORRUPT, "array data ends early");
		else
			rc = put(a, p, (size_t)got, at, err);
		at += got > 0 ? (uint64_t)got : 0;
	}
	free(p);
	if (!rc && rank > 1 && w > mem / 2)
		rc = ck_error(err, CK_EUNSUP, "Fortran-order array of %zu-byte elements: too wide to "
			      "reorder", w);
	if (!rc)
		rc = reverse(&a, &b, 0, dims, rank, w, mem, err);
	if (b >= 0)
		close(b);
	if (rc) {
		if (a >= 0)
			close(a);
		return rc;
	}
	*fd = a;
	return 0;
}
