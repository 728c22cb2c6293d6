/* Tensors written at their places on two cores (placed.h). */
#include "edit/placed.h"

#include <errno.h>
#include <stdlib.h>

#include "base/crc32.h"
#include "base/crc32c.h"
#include "base/par.h"
#include "base/util.h"
#include "format/dtype.h"
#include "tensor/castconv.h"
#include "edit/maprules.h"

/* Bytes read and written at a time, at most: a chunk stays in the core's L2 between the
 * two. A chunk is a run of elements, as many as fit both as read and as written. */
#define PLACED_CHUNK (1u << 20)
#define WHOLE UINT64_MAX

struct unit {
	struct placed *p;
	uint64_t chunk;      /* the chunk of p's elements, or WHOLE: the kernel, transposed */
	uint32_t crc;        /* a chunk's CRC-32C, combined with the others' at the end */
	uint32_t zip;        /* p->zip: the CRC-32 of the chunk as written, likewise */
};

struct job {                 /* what both threads share: units taken in turn (par_chunks) */
	struct unit *u;
	size_t n;
	int fd;
	const char *path;
};

struct worker {
	struct job *j;
	uint8_t *in;         /* a kernel, read whole */
	uint8_t *chunk;      /* PLACED_CHUNK bytes, as read or transposed */
	uint8_t *cast;       /* PLACED_CHUNK bytes, as cast (when a tensor is) */
	int rc;              /* the failed unit's error */
	struct ck_err err;
};

static size_t in_size(const struct placed *p)
{
	return (size_t)dtype_info(p->e->dtype)->size;
}

static size_t out_size(const struct placed *p)
{
	return (size_t)dtype_info(p->dtype)->size;
}

/* Elements per chunk. */
static uint64_t per_chunk(const struct placed *p)
{
	size_t w = in_size(p) > out_size(p) ? in_size(p) : out_size(p);

	return PLACED_CHUNK / w;
}

static uint64_t chunk_elems(const struct placed *p, uint64_t chunk)
{
	uint64_t per = per_chunk(p), first = chunk * per;

	return p->e->elements - first < per ? p->e->elements - first : per;
}

/* m elements at p's element `first`, as read into src: cast if p is, then written; their
 * CRC-32 as written extends *zip when p->zip. */
static int put(struct worker *w, const struct placed *p, uint8_t *src, uint64_t first, uint64_t m,
	       uint32_t *zip)
{
	const uint8_t *out = src;
	size_t n = (size_t)m * out_size(p);

	if (p->dtype != p->e->dtype) {  /* both floats (placed.h) */
		cast_elements(p->e->dtype, src, p->dtype, w->cast, (size_t)m, NULL);
		out = w->cast;
	}
	if (p->zip)
		*zip = crc32_update(*zip, out, n);
	if (pwrite_full(w->j->fd, out, n, p->at + first * out_size(p)) < 0)
		return ck_syserr(&w->err, errno, "%s", w->j->path);
	return 0;
}

/* A kernel: read whole and checked, then transposed into the chunk a piece at a time, each
 * piece whole output rows in groups of 16 where a group fits (the transpose's blocks: no
 * edges, no row split between pieces). */
static int put_transposed(struct worker *w, struct placed *p)
{
	uint64_t elems = p->rows * p->cols, per = per_chunk(p), rows16 = 16 * p->rows;
	uint32_t crc = 0;
	int rc;

	for (uint64_t pos = 0; pos < p->e->size; pos += PLACED_CHUNK) {
		size_t n = p->e->size - pos < PLACED_CHUNK ? (size_t)(p->e->size - pos) : PLACED_CHUNK;
		if ((rc = bundle_pread(p->b, p->e, pos, w->in + pos, n, &w->err)) < 0)
			return rc;
		crc = crc32c_extend(crc, w->in + pos, n);
	}
	if ((rc = bundle_check_crc(p->b, p->e, crc, &w->err)) < 0)
		return rc;
	if (rows16 <= per)
		per = per / rows16 * rows16;
	for (uint64_t first = 0; first < elems; first += per) {
		uint64_t m = elems - first < per ? elems - first : per;
		maprules_transpose_part(w->in, p->rows, p->cols, first, m, w->chunk, in_size(p));
		if ((rc = put(w, p, w->chunk, first, m, &p->crc32)) < 0)
			return rc;
	}
	return 0;
}

static int unit_run(void *arg, uint64_t k)
{
	struct worker *w = arg;
	struct unit *u = &w->j->u[k];
	struct placed *p = u->p;
	int rc;

	if (u->chunk == WHOLE) {
		rc = put_transposed(w, p);
	} else {
		uint64_t first = u->chunk * per_chunk(p), m = chunk_elems(p, u->chunk);
		rc = bundle_pread(p->b, p->e, first * in_size(p), w->chunk, (size_t)m * in_size(p),
				  &w->err);
		if (rc == 0) {
			u->crc = crc32c_extend(0, w->chunk, (size_t)m * in_size(p));
			rc = put(w, p, w->chunk, first, m, &u->zip);
		}
	}
	return w->rc = rc;
}

/* Kernels first, then every chunk of the others in order (an empty payload is one empty
 * chunk, so that its CRC is checked too). */
static struct unit *plan(struct placed *p, size_t n, size_t *nu)
{
	struct unit *u = NULL;
	size_t k = 0, cap = 0;

	for (int kernels = 1; kernels >= 0; kernels--)
		for (size_t i = 0; i < n; i++) {
			uint64_t per = per_chunk(&p[i]), chunks = (p[i].e->elements + per - 1) / per;
			if ((p[i].rows != 0) != kernels)
				continue;
			for (uint64_t c = 0; c < (kernels ? 1 : chunks + !chunks); c++) {
				if (k == cap)
					u = xreallocarray(u, cap = cap ? 2 * cap : 64, sizeof(*u));
				u[k++] = (struct unit){ &p[i], kernels ? WHOLE : c, 0, 0 };
			}
		}
	*nu = k;
	return u;
}

/* Each chunked payload's CRC: its chunks' combined in order (and so their CRC-32s as
 * written). */
static int check_chunks(const struct job *j, struct ck_err *err)
{
	for (size_t k = 0; k < j->n;) {
		struct placed *p = j->u[k].p;
		uint32_t crc = 0;
		if (j->u[k].chunk == WHOLE) {
			k++;
			continue;
		}
		for (; k < j->n && j->u[k].p == p; k++) {
			uint64_t m = chunk_elems(p, j->u[k].chunk);
			crc = crc32c_combine(crc, j->u[k].crc, m * in_size(p));
			if (p->zip)
				p->crc32 = crc32_concat(p->crc32, j->u[k].zip, m * out_size(p));
		}
		if (bundle_check_crc(p->b, p->e, crc, err) < 0)
			return CK_ECORRUPT;
	}
	return 0;
}

/* Each thread's buffers, in huge pages and sized once: a fault costs over 10 us on a virtual
 * machine, a huge page's up to milliseconds when memory must be compacted, and a buffer grown
 * from a small kernel to a large one took both sizes' faults. */
static void buffers(struct worker w[2], const struct placed *p, size_t n, uint64_t *in_bytes,
		    int *cast)
{
	*in_bytes = 0;
	*cast = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i].rows && p[i].e->size > *in_bytes)
			*in_bytes = p[i].e->size;
		*cast |= p[i].dtype != p[i].e->dtype;
	}
	for (int k = 0; k < 2; k++) {
		w[k].chunk = xmalloc_huge(PLACED_CHUNK);
		w[k].cast = *cast ? xmalloc_huge(PLACED_CHUNK) : NULL;
		w[k].in = *in_bytes ? xmalloc_huge(*in_bytes) : NULL;
	}
}

int placed_write(struct placed *p, size_t n, int fd, const char *path, struct ck_err *err)
{
	struct job j = { .fd = fd, .path = path };
	struct worker w[2] = { { .j = &j }, { .j = &j } };
	uint64_t in_bytes;
	int rc = 0, who, cast;

	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {  /* open every shard here: the threads only pread */
		struct tensor_stream ts;
		if ((rc = tensor_stream_open(&ts, p[i].b, p[i].e, err)) < 0)
			return rc;
	}
	for (size_t i = 0; i < n; i++)
		p[i].crc32 = 0;
	j.u = plan(p, n, &j.n);
	buffers(w, p, n, &in_bytes, &cast);
	if (par_chunks(j.n, 1, unit_run, &w[0], &w[1], &who) != UINT64_MAX) {
		*err = w[who].err;
		rc = w[who].rc;
	} else {
		rc = check_chunks(&j, err);
	}
	for (int k = 0; k < 2; k++) {
		xfree_huge(w[k].chunk, PLACED_CHUNK);
		if (cast)
			xfree_huge(w[k].cast, PLACED_CHUNK);
		if (in_bytes)
			xfree_huge(w[k].in, in_bytes);
	}
	free(j.u);
	return rc;
}
