/* Tensors written at their places on two cores (placed.h). */
#include "edit/placed.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "base/crc32c.h"
#include "base/par.h"
#include "base/util.h"
#include "format/dtype.h"
#include "edit/maprules.h"

/* Bytes read and written at a time: a chunk stays in the core's L2 between the two. */
#define PLACED_CHUNK (1u << 20)
#define WHOLE UINT64_MAX

struct unit {
	const struct placed *p;
	uint64_t chunk;      /* the chunk of p's payload, or WHOLE: the kernel, transposed */
	uint32_t crc;        /* a chunk's CRC-32C, combined with the others' at the end */
};

struct job {                 /* what both threads share */
	struct unit *u;
	size_t n;
	int fd;
	const char *path;
	atomic_size_t next;  /* the next unit to take */
	atomic_int stop;     /* a unit failed: take no more */
};

struct worker {
	struct job *j;
	uint8_t *in;         /* a kernel, read whole */
	uint8_t *chunk;      /* PLACED_CHUNK bytes */
	size_t failed;       /* the unit that failed, or SIZE_MAX */
	int rc;
	struct ck_err err;
};

static size_t chunk_len(const struct placed *p, uint64_t chunk)
{
	uint64_t pos = chunk * PLACED_CHUNK;

	return p->e->size - pos < PLACED_CHUNK ? (size_t)(p->e->size - pos) : PLACED_CHUNK;
}

static int put(struct worker *w, const void *p, size_t n, uint64_t at)
{
	if (pwrite_full(w->j->fd, p, n, at) < 0)
		return ck_syserr(&w->err, errno, "%s", w->j->path);
	return 0;
}

/* A kernel: read whole and checked, then transposed into the chunk a piece at a time. */
static int put_transposed(struct worker *w, const struct placed *p)
{
	size_t esize = (size_t)dtype_info(p->e->dtype)->size, per = PLACED_CHUNK / esize;
	uint64_t elems = p->rows * p->cols;
	uint8_t *in = w->in;
	uint32_t crc = 0;
	int rc;

	for (uint64_t pos = 0; pos < p->e->size; pos += PLACED_CHUNK) {
		size_t n = chunk_len(p, pos / PLACED_CHUNK);
		if ((rc = bundle_pread(p->b, p->e, pos, in + pos, n, &w->err)) < 0)
			return rc;
		crc = crc32c_extend(crc, in + pos, n);
	}
	if ((rc = bundle_check_crc(p->b, p->e, crc, &w->err)) < 0)
		return rc;
	for (uint64_t first = 0; first < elems; first += per) {
		uint64_t m = elems - first < per ? elems - first : per;
		maprules_transpose_part(in, p->rows, p->cols, first, m, w->chunk, esize);
		if ((rc = put(w, w->chunk, (size_t)(m * esize), p->at + first * esize)) < 0)
			return rc;
	}
	return 0;
}

static int unit_run(struct worker *w, struct unit *u)
{
	const struct placed *p = u->p;
	uint64_t pos = u->chunk * PLACED_CHUNK;
	size_t n;
	int rc;

	if (u->chunk == WHOLE)
		return put_transposed(w, p);
	n = chunk_len(p, u->chunk);
	if ((rc = bundle_pread(p->b, p->e, pos, w->chunk, n, &w->err)) < 0)
		return rc;
	u->crc = crc32c_extend(0, w->chunk, n);
	return put(w, w->chunk, n, p->at + pos);
}

static void work(void *arg)
{
	struct worker *w = arg;
	struct job *j = w->j;

	while (!atomic_load_explicit(&j->stop, memory_order_relaxed)) {
		size_t k = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
		if (k >= j->n)
			return;
		if ((w->rc = unit_run(w, &j->u[k])) < 0) {
			w->failed = k;
			atomic_store_explicit(&j->stop, 1, memory_order_relaxed);
			return;
		}
	}
}

/* Kernels first, then every chunk of the others in order (an empty payload is one empty
 * chunk, so that its CRC is checked too). */
static struct unit *plan(const struct placed *p, size_t n, size_t *nu)
{
	struct unit *u = NULL;
	size_t k = 0, cap = 0;

	for (int kernels = 1; kernels >= 0; kernels--)
		for (size_t i = 0; i < n; i++) {
			uint64_t chunks = (p[i].e->size + PLACED_CHUNK - 1) / PLACED_CHUNK;
			if ((p[i].rows != 0) != kernels)
				continue;
			for (uint64_t c = 0; c < (kernels ? 1 : chunks + !chunks); c++) {
				if (k == cap)
					u = xreallocarray(u, cap = cap ? 2 * cap : 64, sizeof(*u));
				u[k++] = (struct unit){ &p[i], kernels ? WHOLE : c, 0 };
			}
		}
	*nu = k;
	return u;
}

/* Each chunked payload's CRC: its chunks' combined in order. */
static int check_chunks(const struct job *j, struct ck_err *err)
{
	for (size_t k = 0; k < j->n;) {
		const struct placed *p = j->u[k].p;
		uint32_t crc = 0;
		if (j->u[k].chunk == WHOLE) {
			k++;
			continue;
		}
		for (; k < j->n && j->u[k].p == p; k++)
			crc = crc32c_combine(crc, j->u[k].crc, chunk_len(p, j->u[k].chunk));
		if (bundle_check_crc(p->b, p->e, crc, err) < 0)
			return CK_ECORRUPT;
	}
	return 0;
}

int placed_write(const struct placed *p, size_t n, int fd, const char *path, struct ck_err *err)
{
	struct job j = { .fd = fd, .path = path };
	struct worker w[2] = { { .j = &j, .failed = SIZE_MAX }, { .j = &j, .failed = SIZE_MAX } };
	uint64_t in_size = 0;
	int rc = 0, bad;

	for (size_t i = 0; i < n; i++) {  /* open every shard here: the threads only pread */
		struct tensor_stream ts;
		if ((rc = tensor_stream_open(&ts, p[i].b, p[i].e, err)) < 0)
			return rc;
	}
	j.u = plan(p, n, &j.n);
	atomic_init(&j.next, 0);
	atomic_init(&j.stop, 0);
	/* Each thread's buffers, in huge pages and sized once: a fault costs over 10 us on a
	 * virtual machine, a huge page's up to milliseconds when memory must be compacted, and
	 * a buffer grown from a small kernel to a large one took both sizes' faults. */
	for (size_t i = 0; i < n; i++)
		if (p[i].rows && p[i].e->size > in_size)
			in_size = p[i].e->size;
	for (int k = 0; k < 2 && j.n; k++) {
		w[k].chunk = xmalloc_huge(PLACED_CHUNK);
		w[k].in = in_size ? xmalloc_huge(in_size) : NULL;
	}
	if (j.n)
		par_both(work, &w[0], &w[1]);
	bad = w[1].failed < w[0].failed;
	if (w[bad].failed != SIZE_MAX) {
		*err = w[bad].err;
		rc = w[bad].rc;
	} else {
		rc = check_chunks(&j, err);
	}
	for (int k = 0; k < 2; k++) {
		if (w[k].in)
			xfree_huge(w[k].in, in_size);
		if (w[k].chunk)
			xfree_huge(w[k].chunk, PLACED_CHUNK);
	}
	free(j.u);
	return rc;
}
