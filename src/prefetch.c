/* Read-ahead of one payload by a helper thread (method in prefetch.h).
 *
 * Chunk i of the payload (bytes i*chunk .. , the last one shorter) goes to slot i % SLOTS.
 * Three counters, guarded by mu, say where everyone is:
 *
 *   released <= crc_next, filled <= released + SLOTS       (chunks, not bytes)
 *   [0, released)        handed to the caller and given back: the slots are free again
 *   [released, filled)   read; chunk `released` is the caller's while `holding`
 *   [0, crc_next)        in the running CRC; chunk crc_next is being added while crc_busy
 *
 * The CRC must be extended in order, so only one thread at a time does it (crc_busy), and
 * pf->crc is touched only by that thread: the mutex hands it over. The caller does not give a
 * chunk back before its CRC is in, so a slot is never overwritten before it was checked. */
#include "prefetch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "par.h"
#include "util.h"

#define SLOTS PREFETCH_SLOTS

struct prefetch {
	size_t chunk;
	uint8_t *buf[SLOTS];          /* allocated on first use, kept across payloads */
	struct bundle *b;
	const struct bundle_entry *e;
	int open, threaded;
	int status;                   /* 1 while reading; then 0 (the end) or the error, sticky */
	struct ck_err status_err;

	struct tensor_stream ts;      /* the payload on the caller's thread (small ones) */

	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;            /* any counter moved, an error, or stop */
	uint64_t nchunks, filled, released, crc_next;
	int crc_busy, holding, stop;
	uint32_t crc;                 /* of chunks [0, crc_next), unmasked */
	int read_rc;                  /* the reader's error, with read_err */
	struct ck_err read_err;
};

struct prefetch *prefetch_new(size_t chunk)
{
	struct prefetch *pf = xcalloc(1, sizeof(*pf));

	pf->chunk = chunk ? (chunk + 15) & ~(size_t)15 : PREFETCH_CHUNK;
	return pf;
}

void prefetch_free(struct prefetch *pf)
{
	if (!pf)
		return;
	prefetch_close(pf);
	for (int i = 0; i < SLOTS; i++)
		free(pf->buf[i]);
	free(pf);
}

size_t prefetch_chunk(const struct prefetch *pf)
{
	return pf->chunk;
}

static uint8_t *slot(struct prefetch *pf, uint64_t i)
{
	if (!pf->buf[i % SLOTS])
		pf->buf[i % SLOTS] = xmalloc_io(pf->chunk);  /* page-aligned: faster copies */
	return pf->buf[i % SLOTS];
}

static size_t chunk_len(const struct prefetch *pf, uint64_t i)
{
	uint64_t left = pf->e->size - i * pf->chunk;
	return left < pf->chunk ? (size_t)left : pf->chunk;
}

/* Called with mu held, crc_busy claimed by the caller of this function; returns with mu held. */
static void add_crc(struct prefetch *pf)
{
	uint64_t i = pf->crc_next;

	pthread_mutex_unlock(&pf->mu);
	pf->crc = crc32c_extend(pf->crc, pf->buf[i % SLOTS], chunk_len(pf, i));
	pthread_mutex_lock(&pf->mu);
	pf->crc_busy = 0;
	pf->crc_next++;
	pthread_cond_broadcast(&pf->cv);
}

/* The helper thread: read while a slot is free; when the ring is full, take the next CRC the
 * caller has not reached yet; leave when everything is read and summed, or on stop. */
static void *reader(void *arg)
{
	struct prefetch *pf = arg;
	struct ck_err err;

	pthread_mutex_lock(&pf->mu);
	while (!pf->stop && pf->crc_next < pf->nchunks) {
		if (pf->filled < pf->nchunks && pf->filled < pf->released + SLOTS) {
			uint64_t i = pf->filled;
			int rc;
			pthread_mutex_unlock(&pf->mu);
			rc = bundle_pread(pf->b, pf->e, i * pf->chunk, pf->buf[i % SLOTS],
					  chunk_len(pf, i), &err);
			pthread_mutex_lock(&pf->mu);
			if (rc < 0) {
				pf->read_rc = rc;
				pf->read_err = err;
				pthread_cond_broadcast(&pf->cv);
				break;
			}
			pf->filled++;
			pthread_cond_broadcast(&pf->cv);
		} else if (!pf->crc_busy && pf->crc_next < pf->filled) {
			pf->crc_busy = 1;
			add_crc(pf);
		} else {
			pthread_cond_wait(&pf->cv, &pf->mu);
		}
	}
	pthread_mutex_unlock(&pf->mu);
	return NULL;
}

/* Start the reader. Returns 0, or -1 if no thread could be made (the payload is then read
 * inline). */
static int start_thread(struct prefetch *pf)
{

	pf->nchunks = (pf->e->size + pf->chunk - 1) / pf->chunk;
	pf->filled = pf->released = pf->crc_next = 0;
	pf->crc_busy = pf->holding = pf->stop = 0;
	pf->crc = 0;
	pf->read_rc = 0;
	for (uint64_t i = 0; i < SLOTS; i++)
		slot(pf, i);
	if (pthread_mutex_init(&pf->mu, NULL))
		return -1;
	if (pthread_cond_init(&pf->cv, NULL)) {
		pthread_mutex_destroy(&pf->mu);
		return -1;
	}
	if (par_spawn(&pf->thread, reader, pf) < 0) {
		pthread_cond_destroy(&pf->cv);
		pthread_mutex_destroy(&pf->mu);
		return -1;
	}
	return 0;
}

int prefetch_open(struct prefetch *pf, struct bundle *b, const struct bundle_entry *e,
		  struct ck_err *err)
{
	int rc;

	prefetch_close(pf);
	pf->b = b;
	pf->e = e;
	rc = tensor_stream_open(&pf->ts, b, e, err);  /* opens the shard, checks the bounds */
	if (rc < 0)
		return rc;
	pf->open = 1;
	pf->status = 1;
	/* The thread pays off from two chunks on; the V1 hook and strings stay on this thread. */
	pf->threaded = b->format == 2 && pf->ts.check && e->size > pf->chunk &&
		       !start_thread(pf);
	return 0;
}

static long long finish(struct prefetch *pf, int rc, struct ck_err *err)
{
	pf->status = rc;
	if (rc < 0 && err)
		pf->status_err = *err;
	return rc;
}

static long long next_threaded(struct prefetch *pf, const uint8_t **p, struct ck_err *err)
{
	uint64_t c;

	pthread_mutex_lock(&pf->mu);
	if (pf->holding) {  /* give the last chunk back once its CRC is in */
		while (pf->crc_next <= pf->released)
			pthread_cond_wait(&pf->cv, &pf->mu);
		pf->released++;
		pf->holding = 0;
		pthread_cond_broadcast(&pf->cv);
	}
	if (pf->released == pf->nchunks) {
		pthread_mutex_unlock(&pf->mu);
		return finish(pf, bundle_check_crc(pf->b, pf->e, pf->crc, err), err);
	}
	while (pf->filled <= pf->released && !pf->read_rc)
		pthread_cond_wait(&pf->cv, &pf->mu);
	if (pf->filled <= pf->released) {
		int rc = pf->read_rc;
		if (err)
			*err = pf->read_err;
		pthread_mutex_unlock(&pf->mu);
		return finish(pf, rc, err);
	}
	c = pf->released;
	pf->holding = 1;
	if (pf->crc_next == c && !pf->crc_busy) {  /* the reader is not ahead: sum it here */
		pf->crc_busy = 1;
		add_crc(pf);
	}
	pthread_mutex_unlock(&pf->mu);
	*p = pf->buf[c % SLOTS];
	return (long long)chunk_len(pf, c);
}

long long prefetch_next(struct prefetch *pf, const uint8_t **p, struct ck_err *err)
{
	long long n;

	if (!pf->open)
		return ck_error(err, CK_EUSAGE, "prefetch: no payload open");
	if (pf->status <= 0) {
		if (pf->status < 0 && err)
			*err = pf->status_err;
		return pf->status;
	}
	if (pf->threaded)
		return next_threaded(pf, p, err);
	n = tensor_stream_read(&pf->ts, slot(pf, 0), pf->chunk, err);
	if (n <= 0)
		return finish(pf, (int)n, err);
	*p = pf->buf[0];
	return n;
}

void prefetch_close(struct prefetch *pf)
{
	if (!pf || !pf->open)
		return;
	if (pf->threaded) {
		pthread_mutex_lock(&pf->mu);
		pf->stop = 1;
		pthread_cond_broadcast(&pf->cv);
		pthread_mutex_unlock(&pf->mu);
		pthread_join(pf->thread, NULL);
		pthread_cond_destroy(&pf->cv);
		pthread_mutex_destroy(&pf->mu);
		pf->threaded = 0;
	}
	pf->open = 0;
}

int prefetch_threaded(const struct prefetch *pf)
{
	return pf->open && pf->threaded;
}
