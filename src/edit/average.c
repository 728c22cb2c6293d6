/* Streamed averaging of checkpoints (see average.h). */
#include "edit/average.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "base/crc32c.h"
#include "base/par.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "format/objgraph.h"
#include "tensor/assemble.h"
#include "tensor/convert.h"
#include "edit/cast.h"
#include "edit/xform.h"

int average_dtype(int dtype)
{
	return cast_is_float(dtype) || dtype == DT_COMPLEX64 || dtype == DT_COMPLEX128;
}

void avg_result_release(struct avg_result *r)
{
	buf_release(&r->diffs);
}

static int is_graph(const struct bundle_entry *e)
{
	return is_graph_key(e->name, e->name_len);
}

static int alike(const struct bundle_entry *a, const struct bundle_entry *b)
{
	return a->dtype == b->dtype && a->rank == b->rank && a->nslices == b->nslices &&
	       !memcmp(a->dims, b->dims, (size_t)a->rank * sizeof(int64_t)) &&
	       (!a->nslices ||
		!memcmp(a->slices, b->slices, a->nslices * (size_t)a->rank * 2 * sizeof(int64_t)));
}

static void add_layout(struct buf *b, const struct bundle_entry *e)
{
	buf_addf(b, "%s ", dtype_name(e->dtype));
	shape_format(b, e->dims, e->rank);
	if (e->nslices)
		buf_addf(b, " in %zu slices", e->nslices);
}

static void add_diff(struct avg_result *r, const struct bundle_entry *e)
{
	buf_addc(&r->diffs, '"');
	buf_add_name_msg(&r->diffs, e->name, e->name_len);
	buf_add(&r->diffs, "\": ", 3);
	r->ndiffs++;
}

/* Which tensors of the last input are averaged or copied (keep[i] for its entries), and the
 * differences between the inputs. */
static void plan(struct bundle *const *in, const char *const *labels, size_t n,
		 const struct avg_opts *o, const unsigned char *graph_opt, unsigned char *keep,
		 struct avg_result *r)
{
	const struct bundle *last = in[n - 1];

	for (size_t k = 0; k < last->nentries; k++) {
		const struct bundle_entry *e = &last->entries[k];
		int ok = 1;
		if (e->is_slice)
			continue;
		if (is_graph(e)) {
			keep[k] = 1;
			continue;
		}
		if (!o->keep_optimizer && (graph_opt[k] || is_optimizer_name(e->name))) {
			r->optimizer++;
			continue;
		}
		for (size_t i = 0; i + 1 < n; i++) {
			const struct bundle_entry *f = bundle_find(in[i], e->name, e->name_len);
			if (!f || f->is_slice) {
				add_diff(r, e);
				buf_addf(&r->diffs, "not in %s\n", labels[i]);
				ok = 0;
			} else if (!alike(e, f)) {
				add_diff(r, e);
				add_layout(&r->diffs, e);
				buf_addf(&r->diffs, " in %s, ", labels[n - 1]);
				add_layout(&r->diffs, f);
				buf_addf(&r->diffs, " in %s\n", labels[i]);
				ok = 0;
			}
		}
		keep[k] = (unsigned char)ok;
		r->left_out += !ok;
	}
	for (size_t i = 0; i + 1 < n; i++)
		for (size_t k = 0; k < in[i]->nentries; k++) {
			const struct bundle_entry *f = &in[i]->entries[k], *e;
			if (f->is_slice || is_graph(f) || (!o->keep_optimizer && is_optimizer_name(f->name)))
				continue;
			e = bundle_find(last, f->name, f->name_len);
			if (!e || e->is_slice) {
				add_diff(r, f);
				buf_addf(&r->diffs, "in %s, not in %s\n", labels[i], labels[n - 1]);
			}
		}
}

struct graph_ctx {
	const struct bundle *b;
	unsigned char *marks;   /* per entry of b */
};

static void mark_key(void *ctx, const uint8_t *key, size_t len)
{
	struct graph_ctx *g = ctx;
	const struct bundle_entry *e = bundle_find(g->b, key, len);

	if (e)
		g->marks[e - g->b->entries] = 1;
}

/* objgraph_drop: a key stays if its tensor is written (or was never in the bundle). */
static int key_written(void *ctx, const uint8_t *key, size_t len)
{
	struct graph_ctx *g = ctx;
	const struct bundle_entry *e = bundle_find(g->b, key, len);

	return !e || g->marks[e - g->b->entries];
}

/* ---- float32 means, in blocks ------------------------------------------------------------ */

/* The general path takes every element through elements_to_double and doubles_to_elements,
 * a call and a switch per element. float32 to float32 does the same operations in the same
 * order (sum in input order in double, divide, round to float), so the same bits, in loops of
 * a constant count over blocks (zeros after the last element) that the compiler vectorises;
 * the rounding is counted in a second pass, as count() in castconv.c counts it. */
#define MEAN_BLOCK 1024

static size_t mean_padded(size_t m)
{
	return (m + MEAN_BLOCK - 1) / MEAN_BLOCK * MEAN_BLOCK;
}

/* acc = x (first) or acc += x, over m elements (float-aligned x, padded to whole blocks). */
static inline __attribute__((always_inline)) void mean_add_body(double *restrict acc,
								 const float *restrict x,
								 size_t mp, int first)
{
	for (size_t o = 0; o < mp; o += MEAN_BLOCK) {
		double *a = acc + o;
		const float *f = x + o;
		if (first)
			for (size_t k = 0; k < MEAN_BLOCK; k++)
				a[k] = f[k];
		else
			for (size_t k = 0; k < MEAN_BLOCK; k++)
				a[k] += f[k];
	}
}

/* out = (float)(acc / n), counting what the rounding did to the m real elements. */
static inline __attribute__((always_inline)) void mean_out_body(const double *restrict acc,
								 size_t n, float *restrict out,
								 size_t m, size_t mp,
								 struct cast_stats *st)
{
	double dn = (double)n;
	uint32_t changed = 0, overflow = 0, underflow = 0;

	for (size_t o = 0; o < mp; o += MEAN_BLOCK) {
		double q[MEAN_BLOCK];
		float *f = out + o;
		for (size_t k = 0; k < MEAN_BLOCK; k++) {
			q[k] = acc[o + k] / dn;
			f[k] = (float)q[k];
		}
		if (!st)
			continue;
		/* The padding is 0 -> 0: it counts nothing. */
		for (size_t k = 0; k < MEAN_BLOCK; k++) {
			double x = q[k], y = f[k];
			int xinf = x - x != 0 && x == x, yinf = y - y != 0 && y == y;
			changed += x != y && !(x != x && y != y);
			overflow += yinf && !xinf;
			underflow += y == 0 && x != 0;
		}
	}
	if (st) {
		st->values += m;
		st->changed += changed;
		st->overflow += overflow;
		st->underflow += underflow;
	}
}

/* out = the mean of n inputs' blocks (x[i], as mean_add takes them), summed a stretch of
 * MEAN_STRETCH elements at a time, in an accumulator that stays in the L1 cache: mean_add
 * and mean_out over a whole chunk take its 2 MiB of sums through memory n + 1 times. The
 * same operations on each element in the same order: the same bits. (One block a stretch:
 * 25% fewer samples than four, measured.) */
#define MEAN_STRETCH MEAN_BLOCK

static inline __attribute__((always_inline)) void mean_fused_body(const float *const *x,
								   size_t n, float *restrict out,
								   size_t m, size_t mp,
								   struct cast_stats *st)
{
	for (size_t o = 0; o < mp; o += MEAN_STRETCH) {
		double acc[MEAN_STRETCH];
		size_t len = mp - o < MEAN_STRETCH ? mp - o : MEAN_STRETCH;
		for (size_t i = 0; i < n; i++)
			mean_add_body(acc, x[i] + o, len, i == 0);
		mean_out_body(acc, n, out + o, m - o < len ? m - o : len, len, st);
	}
}

/* The loops as they are, and in AVX2 or AVX-512 where the CPU has it (the same operations
 * lane by lane, no FMA: the same bits; two or four times the divisions a cycle). GCC keeps to
 * 256-bit registers unless told; the target is cpu_has_avx512()'s. */
#define MEAN_FNS(sfx, ATTR)                                                                \
	ATTR static void mean_add_##sfx(double *acc, const float *x, size_t mp, int first) \
	{                                                                                  \
		mean_add_body(acc, x, mp, first);                                          \
	}                                                                                  \
	ATTR static void mean_out_##sfx(const double *acc, size_t n, float *out, size_t m, \
					size_t mp, struct cast_stats *st)                  \
	{                                                                                  \
		mean_out_body(acc, n, out, m, mp, st);                                     \
	}
#define MEAN_FUSED_FN(sfx, ATTR)                                                           \
	ATTR static void mean_fused_##sfx(const float *const *x, size_t n, float *out,     \
					  size_t m, size_t mp, struct cast_stats *st)      \
	{                                                                                  \
		mean_fused_body(x, n, out, m, mp, st);                                     \
	}
MEAN_FNS(c, )
MEAN_FUSED_FN(c, )
#if defined(__x86_64__) && defined(__GNUC__)
#define MEAN_AVX2 1
MEAN_FNS(avx2, __attribute__((target("avx2"))))
MEAN_FUSED_FN(avx2, __attribute__((target("avx2"))))
#ifdef __clang__
#define MEAN_AVX512_TARGET "avx512f,avx512bw"
#else
#define MEAN_AVX512_TARGET "avx512f,avx512bw,prefer-vector-width=512"
#endif
MEAN_FNS(avx512, __attribute__((target(MEAN_AVX512_TARGET))))

/* The hand-written kernel below: FMA too (cpu_has_avx512() checks it), only where written. */
#define MEAN_AVX512K_TARGET MEAN_AVX512_TARGET ",fma"

/* a / n rounded to double as the division rounds it, for the n of mean_fused (2 to 4), the
 * sum of n floats: vdivpd takes 8 to 16 cycles a register, and the loop waited on it.
 * n = 2 or 4: a * (1 / n) is exact (a power of two; a is 0 or at least 2^-149, so no
 * underflow). n = 3, Markstein's correction: y = RN(1/3) = (1 - 2^-54) / 3, q = RN(a * y) is
 * a / 3 or the double below it, so the remainder a - 3q is a small multiple of q's ulp, exact
 * in the FMA; q + (a - 3q) * y is a / 3 within 2^-54 ulp, and a / 3 is never nearer than a
 * sixth of an ulp to a midpoint (a = 3 * a midpoint would need 55 bits): RN of it is RN(a / 3).
 * No under- or overflow on the way (|a| <= 3 * FLT_MAX). Where the remainder is 0 (q exact,
 * a zero of either sign: the FMA would make -0 +0) or NaN (a infinite or NaN: q is then
 * a / 3, with a's NaN payload as the division keeps it), q is the answer. */
static inline __attribute__((always_inline, target(MEAN_AVX512K_TARGET))) __m512d
mean_div(__m512d a, size_t n)
{
	if (n == 3) {
		const __m512d y = _mm512_set1_pd(1.0 / 3), three = _mm512_set1_pd(3.0);
		__m512d q = _mm512_mul_pd(a, y), r = _mm512_fnmadd_pd(q, three, a);
		return _mm512_mask3_fmadd_pd(r, y, q, _mm512_cmp_pd_mask(r, _mm512_setzero_pd(),
									  _CMP_NEQ_OQ));
	}
	if (n == 2 || n == 4)
		return _mm512_mul_pd(a, _mm512_set1_pd(1.0 / (double)n));
	return _mm512_div_pd(a, _mm512_set1_pd((double)n));
}

/* mean_fused in AVX-512 by hand, 16 elements at a time in registers: the compiled loops store
 * the sums, the quotients and the floats and load them again for the next loop and for the
 * counts (a third of the whole run's samples, measured). The same operations on each element
 * in the same order (sum in input order, divide (mean_div), round): the same bits. The counts
 * are count()'s with masks: x the quotient, y the float; y is NaN exactly when x is, so
 * "x != y, not both NaN" is an ordered not-equal, counted in the lanes of a vector. Overflow
 * (y infinite, x not) and underflow (y 0, x not) need y 0 or infinite: tested 16 floats at
 * once, and only where there is one, counted (mean_count_rare). */
static inline __attribute__((always_inline, target(MEAN_AVX512K_TARGET))) __mmask8
mean_changed8(__m512d x, __m256 f)
{
	return _mm512_cmp_pd_mask(x, _mm512_cvtps_pd(f), _CMP_NEQ_OQ);
}

__attribute__((noinline, target(MEAN_AVX512K_TARGET))) static void
mean_count_rare(__m512d x, __m256 f, uint64_t c[2])
{
	const __m512d zero = _mm512_setzero_pd(), inf = _mm512_set1_pd(__builtin_inf());
	__m512d y = _mm512_cvtps_pd(f), ax = _mm512_abs_pd(x), ay = _mm512_abs_pd(y);

	c[0] += (uint64_t)__builtin_popcount((unsigned)(_mm512_cmp_pd_mask(ay, inf, _CMP_EQ_OQ) &
							_mm512_cmp_pd_mask(ax, inf, _CMP_NEQ_UQ)));
	c[1] += (uint64_t)__builtin_popcount((unsigned)(_mm512_cmp_pd_mask(y, zero, _CMP_EQ_OQ) &
							_mm512_cmp_pd_mask(x, zero, _CMP_NEQ_UQ)));
}

static inline __attribute__((always_inline, target(MEAN_AVX512K_TARGET))) void
mean_fused_k(const float *const *x, size_t n, float *out, size_t m, size_t mp,
	     struct cast_stats *st)
{
	const __m512 inf = _mm512_set1_ps(__builtin_inff());
	const __m512i one = _mm512_set1_epi32(1);
	__m512i changed = _mm512_setzero_si512();  /* lane k: a count of at most mp / 16 */
	uint64_t c[2] = { 0, 0 };

	for (size_t o = 0; o < mp; o += 16) {
		__m512d lo = _mm512_cvtps_pd(_mm256_loadu_ps(x[0] + o));
		__m512d hi = _mm512_cvtps_pd(_mm256_loadu_ps(x[0] + o + 8));
		__m256 flo, fhi;
		__m512 f;
		for (size_t i = 1; i < n; i++) {
			lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm256_loadu_ps(x[i] + o)));
			hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm256_loadu_ps(x[i] + o + 8)));
		}
		lo = mean_div(lo, n);
		hi = mean_div(hi, n);
		flo = _mm512_cvtpd_ps(lo);
		fhi = _mm512_cvtpd_ps(hi);
		f = _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(flo)),
							_mm256_castps_pd(fhi), 1));
		_mm512_storeu_ps(out + o, f);
		if (!st)
			continue;
		/* (the padding is 0 -> 0: it counts nothing) */
		changed = _mm512_mask_add_epi32(changed, _mm512_kunpackb(mean_changed8(hi, fhi),
									 mean_changed8(lo, flo)),
						changed, one);
		if (_mm512_cmp_ps_mask(_mm512_abs_ps(f), inf, _CMP_EQ_OQ) |
		    _mm512_cmp_ps_mask(f, _mm512_setzero_ps(), _CMP_EQ_OQ)) {
			mean_count_rare(lo, flo, c);
			mean_count_rare(hi, fhi, c);
		}
	}
	if (st) {
		st->values += m;
		st->changed += (uint64_t)(uint32_t)_mm512_reduce_add_epi32(changed);
		st->overflow += c[0];
		st->underflow += c[1];
	}
}

/* n a constant in each call: the loop over the inputs unrolled. */
__attribute__((target(MEAN_AVX512K_TARGET))) static void
mean_fused_avx512k(const float *const *x, size_t n, float *out, size_t m, size_t mp,
		   struct cast_stats *st)
{
	switch (n) {
	case 2:
		mean_fused_k(x, 2, out, m, mp, st);
		break;
	case 3:
		mean_fused_k(x, 3, out, m, mp, st);
		break;
	case 4:
		mean_fused_k(x, 4, out, m, mp, st);
		break;
	default:
		mean_fused_k(x, n, out, m, mp, st);
	}
}
#endif

static void mean_add(double *acc, const float *x, size_t mp, int first)
{
#ifdef MEAN_AVX2
	if (cpu_has_avx512()) {
		mean_add_avx512(acc, x, mp, first);
		return;
	}
	if (cpu_has_avx2()) {
		mean_add_avx2(acc, x, mp, first);
		return;
	}
#endif
	mean_add_c(acc, x, mp, first);
}

static void mean_out(const double *acc, size_t n, float *out, size_t m, size_t mp,
		     struct cast_stats *st)
{
#ifdef MEAN_AVX2
	if (cpu_has_avx512()) {
		mean_out_avx512(acc, n, out, m, mp, st);
		return;
	}
	if (cpu_has_avx2()) {
		mean_out_avx2(acc, n, out, m, mp, st);
		return;
	}
#endif
	mean_out_c(acc, n, out, m, mp, st);
}

static void mean_fused(const float *const *x, size_t n, float *out, size_t m, size_t mp,
		       struct cast_stats *st)
{
#ifdef MEAN_AVX2
	if (cpu_has_avx512()) {
		mean_fused_avx512k(x, n, out, m, mp, st);
		return;
	}
	if (cpu_has_avx2()) {
		mean_fused_avx2(x, n, out, m, mp, st);
		return;
	}
#endif
	mean_fused_c(x, n, out, m, mp, st);
}

/* ---- float32 means on two cores ---------------------------------------------------------- */

/* A mean is n reads (copies out of the page cache and CRCs), n sums, a division, the CRC of
 * the result and its write: one core does it at about half the speed `cat` reads the inputs.
 * So a float32 payload of more than a chunk is cut into chunks, as cast cuts its payloads
 * (CAST_CHUNK bytes of each input), that two threads take in turn (par_chunks): each reads
 * the same elements of every input, sums them into its own accumulator, writes the mean at
 * its place (bundle_writer_write_at) and keeps the chunks' CRCs, joined and checked in input
 * order once both are done. The sums are the one-thread path's, element by element, in the
 * same order: the same bits. average_checkpoints hands a run of float32 tensors, of any size,
 * to one job (mean_batch): their chunks one sequence. */
#define MEAN_CHUNK (CAST_CHUNK / sizeof(float))  /* elements: whole blocks */

/* The writes. Two threads writing one file at once contend for its inode lock in the kernel
 * (one spins while the other copies into the page cache: 11% of the time, measured), and the
 * copies are one after the other anyway. So one thread writes at a time: a thread done with a
 * chunk queues its means and, if no one is writing, writes the queue until it is empty; else
 * it goes on to its next chunk (into its other result buffer) while the writer writes its
 * means too. */
#define MEAN_BUFS 2             /* result buffers per thread */

struct mean_write {
	const uint8_t *p;
	uint64_t off, c;
	size_t len;
	int *busy;                  /* cleared once written */
};

/* Per thread, kept for the run: a step read of up to MEAN_FUSE inputs, the sums when there
 * are more, and a chunk's means (page-aligned). */
#define MEAN_FUSE 4             /* up to this many inputs: each step read whole, mean_fused */
#define MEAN_STEP (MEAN_CHUNK / 8)  /* elements of each input at once: whole blocks, 128 KiB */
static uint8_t *mean_raw[2], *mean_res[2][MEAN_BUFS];
static double *mean_acc[2];

/* One payload of a job: its chunks are the job's [first, first + chunks). */
struct mean_tensor {
	const struct avg_src *src;  /* n */
	uint64_t elements, chunks, first, out_off;
	uint32_t *crc_in;           /* input i's chunk c: crc_in[i * chunks + c], each from 0 */
	uint32_t *crc_out;          /* per chunk */
	uint32_t crc;               /* masked, of the whole mean, once checked */
};

/* A job: one payload, or a run of them (mean_batch), whose chunks both threads take in turn
 * as one sequence: no wait at the end of each payload for the other thread's last chunk. */
struct mean_job {               /* what both threads share */
	size_t n;
	struct bundle_writer *w;
	struct mean_tensor *ts;
	size_t nts;
	uint64_t chunks;            /* of all of them */
	pthread_mutex_t mu;         /* guards what follows and the workers' busy flags */
	pthread_cond_t freed;       /* a result buffer was written */
	struct mean_write queue[2 * MEAN_BUFS];
	size_t queued;
	int writing;                /* a thread writes the queue */
	int werrnum;                /* the first failed write's errno (at chunk wfailed) */
	uint64_t wfailed;           /* the lowest chunk whose write failed, or UINT64_MAX */
};

struct mean_worker {
	struct mean_job *t;
	size_t tk;                  /* the payload of its last chunk (they come in rising order) */
	uint8_t *raw, *res[MEAN_BUFS];
	int busy[MEAN_BUFS], cur;   /* res[b] queued or being written; the buffer to fill next */
	double *acc;
	struct cast_stats st, *stp;  /* stp: &st, or NULL when the caller counts nothing */
	size_t failed_input;        /* the input whose read failed */
	int rc;                     /* that read's error (in err) */
	struct ck_err err;
};

/* With t->mu held (let go during the write): the oldest queued write. After a failed write
 * the rest is dropped: the output is given up. */
static void mean_write_one(struct mean_job *t)
{
	struct mean_write q = t->queue[0];
	int errnum = 0;

	memmove(t->queue, t->queue + 1, --t->queued * sizeof(t->queue[0]));
	if (t->wfailed == UINT64_MAX) {
		pthread_mutex_unlock(&t->mu);
		errnum = bundle_writer_write_at(t->w, 0, q.off, q.p, q.len);
		pthread_mutex_lock(&t->mu);
	}
	if (errnum && q.c < t->wfailed) {
		t->wfailed = q.c;
		t->werrnum = errnum;
	}
	*q.busy = 0;
	pthread_cond_broadcast(&t->freed);
}

/* With t->mu held: write the queue, oldest first, until it is empty. */
static void mean_write_queue(struct mean_job *t)
{
	t->writing = 1;
	while (t->queued)
		mean_write_one(t);
	t->writing = 0;
}

/* After input i's read of step s of chunk c failed: the CRCs of the inputs before it, to the
 * chunk's end, which mean_failed checks if c is the last chunk (the one-thread path reads
 * them through before it reads input i's last part). A read failing on the way is the error
 * then, at the lower input. */
static void mean_crc_rest(struct mean_worker *k, const struct mean_tensor *mt, uint64_t c,
			  size_t i, size_t s, size_t m)
{
	uint64_t first = c * MEAN_CHUNK;

	if (c + 1 != mt->chunks)
		return;
	for (size_t j = 0; j < i; j++)
		for (size_t u = s + MEAN_STEP; u < m; u += MEAN_STEP) {
			size_t len = (m - u < MEAN_STEP ? m - u : MEAN_STEP) * sizeof(float);
			uint32_t *crc = &mt->crc_in[j * mt->chunks + c];
			struct ck_err err;
			int rc = bundle_pread(mt->src[j].b, mt->src[j].e, (first + u) * sizeof(float),
					      k->raw, len, &err);
			if (rc) {
				k->rc = rc;
				k->err = err;
				k->failed_input = j;
				return;
			}
			*crc = crc32c_extend(*crc, k->raw, len);
		}
}

/* par_chunks' job: chunk g of the job (chunk c of a payload), of every input, summed, divided,
 * rounded, written. A step of MEAN_STEP elements at a time: each input's part read, its CRC,
 * the means and theirs while it is all in the L2 cache (the chunk at once went through memory:
 * its reads, CRCs and sums three times). */
static int mean_chunk(void *arg, uint64_t g)
{
	struct mean_worker *k = arg;
	struct mean_job *t = k->t;
	const struct mean_tensor *mt;
	uint64_t c, first;
	size_t m;
	int b = k->cur;
	uint8_t *res = k->res[b];

	/* Both result buffers still queued: the writer is slow, or its thread was set aside by the
	 * scheduler (the machine is shared). Rather than sleep (about 200 times a run of bench's
	 * average-t, 0.13-0.36 s in all, on a loaded machine), write queued ones here too, beside
	 * it; wait only for its own. */
	pthread_mutex_lock(&t->mu);
	while (k->busy[b]) {
		if (t->queued)
			mean_write_one(t);
		else
			pthread_cond_wait(&t->freed, &t->mu);
	}
	if (t->wfailed != UINT64_MAX) {  /* a lower chunk's write failed: stop (k->rc 0) */
		pthread_mutex_unlock(&t->mu);
		return -1;
	}
	pthread_mutex_unlock(&t->mu);
	while (g >= t->ts[k->tk].first + t->ts[k->tk].chunks)
		k->tk++;
	mt = &t->ts[k->tk];
	c = g - mt->first;
	first = c * MEAN_CHUNK;
	m = mt->elements - first < MEAN_CHUNK ? (size_t)(mt->elements - first) : MEAN_CHUNK;
	for (size_t s = 0; s < m; s += MEAN_STEP) {
		size_t ms = m - s < MEAN_STEP ? m - s : MEAN_STEP, msp = mean_padded(ms);
		float *out = (float *)res + s;
		for (size_t i = 0; i < t->n; i++) {
			uint8_t *raw = k->raw + (t->n <= MEAN_FUSE ? i * MEAN_STEP * sizeof(float) : 0);
			uint32_t *crc = &mt->crc_in[i * mt->chunks + c];
			k->rc = bundle_pread(mt->src[i].b, mt->src[i].e, (first + s) * sizeof(float),
					     raw, ms * sizeof(float), &k->err);
			if (k->rc) {
				k->failed_input = i;
				mean_crc_rest(k, mt, c, i, s, m);
				return -1;
			}
			*crc = crc32c_extend(s ? *crc : 0, raw, ms * sizeof(float));
			memset(raw + ms * sizeof(float), 0, (msp - ms) * sizeof(float));
			if (t->n > MEAN_FUSE)
				mean_add(k->acc, (const float *)raw, msp, i == 0);
		}
		if (t->n <= MEAN_FUSE) {
			const float *x[MEAN_FUSE];
			for (size_t i = 0; i < t->n; i++)
				x[i] = (const float *)(k->raw + i * MEAN_STEP * sizeof(float));
			mean_fused(x, t->n, out, ms, msp, k->stp);
		} else {
			mean_out(k->acc, t->n, out, ms, msp, k->stp);
		}
		mt->crc_out[c] = crc32c_extend(s ? mt->crc_out[c] : 0, out, ms * sizeof(float));
	}
	pthread_mutex_lock(&t->mu);
	k->busy[b] = 1;
	k->cur = (b + 1) % MEAN_BUFS;
	t->queue[t->queued++] = (struct mean_write){ res, mt->out_off + first * sizeof(float), g,
						     m * sizeof(float), &k->busy[b] };
	if (!t->writing)
		mean_write_queue(t);
	pthread_mutex_unlock(&t->mu);
	return 0;
}

/* The CRCs of payload mt's inputs [0, upto), checked in order. */
static int mean_check_crcs(const struct mean_tensor *mt, size_t upto, struct ck_err *err)
{
	for (size_t i = 0; i < upto; i++) {
		const struct bundle_entry *e = mt->src[i].e;
		uint32_t crc = crc32c_join(mt->crc_in + i * mt->chunks, mt->chunks, e->size,
					   CAST_CHUNK);
		int rc = bundle_check_crc(mt->src[i].b, e, crc, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* After the threads: the error the one-thread path meets first, a read's at chunk g (bad's)
 * or a write's at t->wfailed. It takes the payloads in turn, each chunk by chunk, input by
 * input, checks an input's CRC as it reads its last chunk, and writes a chunk's means after
 * reading it. Every chunk below the failed one was done: the payloads before its own are
 * whole, their CRCs checked first. */
static int mean_failed(struct mean_job *t, struct mean_worker *bad, uint64_t g,
		       struct ck_err *err)
{
	int write = t->wfailed <= g;
	uint64_t at = write ? t->wfailed : g, c;
	const struct mean_tensor *mt = t->ts;

	for (; at >= mt->first + mt->chunks; mt++) {
		int rc = mean_check_crcs(mt, t->n, err);
		if (rc < 0)
			return rc;
	}
	c = at - mt->first;
	if (c + 1 == mt->chunks) {
		int rc = mean_check_crcs(mt, write ? t->n : bad->failed_input, err);
		if (rc < 0)
			return rc;
	}
	if (write) {
		bundle_writer_write_failed(t->w, 0, t->werrnum);
		return bundle_writer_status(t->w, err);
	}
	if (err)
		*err = bad->err;
	return bad->rc;
}

/* The means of float32 payloads ts[0..nts) (src, elements set) of n V2 inputs opened for
 * reading (tensor_stream_open), one after the other into shard 0 of w, each with its offset
 * (out_off) and the masked CRC of its mean (crc) set. */
static int mean_run(struct bundle_writer *w, struct mean_tensor *ts, size_t nts, size_t n,
		    struct cast_stats *st, struct ck_err *err)
{
	struct mean_job t = { .n = n, .w = w, .ts = ts, .nts = nts, .wfailed = UINT64_MAX };
	struct mean_worker k[2];
	uint32_t *crcs;
	uint64_t failed_at;
	int rc = 0, who;

	for (size_t j = 0; j < nts; j++) {
		ts[j].chunks = (ts[j].elements + MEAN_CHUNK - 1) / MEAN_CHUNK;
		ts[j].first = t.chunks;
		t.chunks += ts[j].chunks;
		if (bundle_writer_extend(w, 0, ts[j].elements * sizeof(float), &ts[j].out_off))
			return bundle_writer_status(w, err);
	}
	crcs = xmalloc((n + 1) * t.chunks * sizeof(uint32_t));
	for (size_t j = 0; j < nts; j++) {
		ts[j].crc_in = crcs + n * ts[j].first;
		ts[j].crc_out = crcs + n * t.chunks + ts[j].first;
	}
	pthread_mutex_init(&t.mu, NULL);
	pthread_cond_init(&t.freed, NULL);
	for (int j = 0; j < 2; j++) {
		if (!mean_raw[j]) {
			mean_raw[j] = xmalloc_io(MEAN_FUSE * MEAN_STEP * sizeof(float));
			for (int b = 0; b < MEAN_BUFS; b++)
				mean_res[j][b] = xmalloc_io(MEAN_CHUNK * sizeof(float));
			mean_acc[j] = xmalloc_io(MEAN_STEP * sizeof(double));
		}
		k[j] = (struct mean_worker){ .t = &t, .raw = mean_raw[j], .acc = mean_acc[j],
					     .stp = st ? &k[j].st : NULL };
		memcpy(k[j].res, mean_res[j], sizeof(k[j].res));
	}
	/* Every queued write is done when both threads are: a thread that queues one either
	 * writes the queue to its end or leaves it to the thread writing it, which does. */
	failed_at = par_chunks(t.chunks, 1, mean_chunk, &k[0], &k[1], &who);
	if (failed_at != UINT64_MAX || t.wfailed != UINT64_MAX)
		rc = mean_failed(&t, &k[who], failed_at, err);
	for (size_t j = 0; j < nts && !rc; j++) {
		rc = mean_check_crcs(&ts[j], n, err);
		ts[j].crc = crc32c_mask(crc32c_join(ts[j].crc_out, ts[j].chunks,
						    ts[j].elements * sizeof(float), CAST_CHUNK));
	}
	if (!rc && st) {
		cast_stats_add(st, &k[0].st);
		cast_stats_add(st, &k[1].st);
	}
	pthread_mutex_destroy(&t.mu);
	pthread_cond_destroy(&t.freed);
	free(crcs);
	return rc;
}

/* The mean of float32 payloads of more than a chunk, of V2 inputs opened for reading
 * (tensor_stream_open), into oe (its offset, size and CRC). */
static int mean_f32_chunks(struct bundle_writer *w, const struct avg_src *src, size_t n,
			   struct bundle_entry *oe, struct cast_stats *st, struct ck_err *err)
{
	struct mean_tensor mt = { .src = src, .elements = oe->elements };
	int rc = mean_run(w, &mt, 1, n, st, err);

	oe->size = oe->elements * sizeof(float);
	oe->offset = mt.out_off;
	oe->crc32c = mt.crc;
	return rc;
}

/* 1 if src can take mean_f32_chunks. */
static int mean_two_cores(const struct avg_src *src, size_t n, int to, size_t chunk)
{
	const struct bundle_entry *e = src[n - 1].e;

	if (chunk || n < 2 || e->dtype != DT_FLOAT || to != DT_FLOAT ||
	    __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__ || e->elements <= MEAN_CHUNK)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (src[i].b->format != 2 || src[i].b->big_endian)
			return 0;
	return 1;
}

int average_payload(struct bundle_writer *w, const struct avg_src *src, size_t n, int to,
		    size_t chunk, struct cast_stats *st, uint64_t *bytes, struct ck_err *err)
{
	const struct bundle_entry *e = src[n - 1].e;
	const struct dtype_info *d = dtype_info(e->dtype);
	size_t esize = (size_t)d->size, parts = d->kind == DK_COMPLEX ? 2 : 1;
	size_t osize = (size_t)dtype_info(to)->size;
	int f32 = e->dtype == DT_FLOAT && to == DT_FLOAT && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
	struct tensor_stream *ts;
	struct bundle_entry oe = *e;
	uint8_t *raw = NULL, *outb = NULL;
	double *acc = NULL, *tmp = NULL;
	uint64_t done = 0;
	uint32_t crc = 0;
	size_t cap;
	int rc = 0;

	if (n == 1 && cast_is_float(e->dtype) && cast_is_float(to))  /* a plain conversion */
		return cast_payload(w, src[0].b, e, to, st, bytes, err);
	ts = xcalloc(n, sizeof(*ts));
	for (size_t i = 0; i < n && !rc; i++) {
		const struct bundle_entry *f = src[i].e;
		if (f->size != f->elements * esize) {
			struct buf name = BUF_INIT;
			buf_add_name_msg(&name, f->name, f->name_len);
			rc = ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": %llu bytes for %llu elements "
				      "of %s", src[i].b->index_path, (const char *)name.p,
				      (unsigned long long)f->size, (unsigned long long)f->elements,
				      d->name);
			buf_release(&name);
			break;
		}
		rc = tensor_stream_open(&ts[i], src[i].b, f, err);
	}
	if (rc < 0)
		goto out;
	oe.shard = 0;
	oe.dtype = to;
	if (mean_two_cores(src, n, to, chunk)) {
		rc = mean_f32_chunks(w, src, n, &oe, st, err);
		goto entry;
	}
	if (!chunk)
		chunk = 65536;
	/* Buffers for the largest step, the tensor's size if smaller: chunk-sized ones are mapped
	 * and unmapped by malloc for each small tensor, a page fault a page and a TLB shootdown to
	 * the other core each time (5% of the samples of averaging BERT, measured).
	 * (f32: whole blocks; doubles and floats aligned for the block loops) */
	cap = e->elements < chunk ? (size_t)e->elements : chunk;
	raw = xmalloc_io(mean_padded(cap) * esize);
	outb = xmalloc_io(mean_padded(cap) * osize);
	acc = xmalloc_io(mean_padded(cap) * parts * sizeof(double));
	tmp = f32 ? NULL : xmalloc((cap ? cap : 1) * parts * sizeof(double));
	if (bundle_writer_begin(w, 0, &oe.offset)) {
		rc = bundle_writer_status(w, err);
		goto out;
	}
	if (!e->elements)  /* no data: each stream still checks its (empty) payload's CRC */
		for (size_t i = 0; i < n && !rc; i++)
			rc = (int)tensor_stream_read(&ts[i], raw, 0, err);
	while (done < e->elements && !rc) {
		size_t m = e->elements - done < chunk ? (size_t)(e->elements - done) : chunk;
		for (size_t i = 0; i < n; i++) {
			double *dst = i ? tmp : acc;
			rc = xform_read_exact(&ts[i], raw, m * esize, err);
			if (rc < 0)
				goto out;
			if (src[i].b->big_endian)
				swap_elements(e->dtype, raw, m);
			if (f32) {
				memset(raw + m * esize, 0, (mean_padded(m) - m) * esize);
				mean_add(acc, (const float *)raw, mean_padded(m), i == 0);
				continue;
			}
			elements_to_double(e->dtype, raw, m, dst);
			if (i)
				for (size_t k = 0; k < m * parts; k++)
					acc[k] += tmp[k];
		}
		if (f32) {
			mean_out(acc, n, (float *)outb, m, mean_padded(m), st);
		} else {
			for (size_t k = 0; k < m * parts; k++)
				acc[k] /= (double)n;
			doubles_to_elements(to, acc, m, outb, st);
		}
		if (src[n - 1].b->big_endian)
			swap_elements(to, outb, m);
		crc = crc32c_extend(crc, outb, m * osize);
		if (bundle_writer_write(w, 0, outb, m * osize)) {
			rc = bundle_writer_status(w, err);
			goto out;
		}
		done += m;
	}
	oe.size = e->elements * osize;
	oe.crc32c = crc32c_mask(crc);
entry:
	if (rc < 0)
		goto out;
	if (bytes)
		*bytes += oe.size;
	if (bundle_writer_add_entry(w, &oe))
		rc = bundle_writer_status(w, err);
out:
	free(ts);
	free(raw);
	free(outb);
	free(acc);
	free(tmp);
	return rc;
}

/* One tensor of the last input: averaged (float) or copied, slice by slice if partitioned. */
static int write_tensor(struct bundle_writer *w, struct bundle *const *in, size_t n,
			const struct bundle_entry *e, size_t chunk, struct avg_result *r,
			struct ck_err *err)
{
	struct bundle *last = in[n - 1];
	int avg = average_dtype(e->dtype) && !is_graph(e);
	struct avg_src *src = xcalloc(n, sizeof(*src));
	int64_t *ext = NULL;
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++) {
		src[i].b = in[i];
		src[i].e = i + 1 < n ? bundle_find(in[i], e->name, e->name_len) : e;
		if (e->nslices && (avg || i + 1 == n))
			rc = partition_check(in[i], src[i].e, err);
	}
	if (rc < 0)
		goto out;
	if (!e->nslices) {
		if (avg) {
			rc = average_payload(w, src, n, e->dtype, chunk, &r->st, &r->bytes, err);
		} else {
			rc = xform_copy(w, 0, last, e, e->name, e->name_len, err);
			r->bytes += e->size;
		}
		goto out;
	}
	rc = xform_copy(w, 0, last, e, e->name, e->name_len, err);  /* the partitioned entry */
	ext = xcalloc((size_t)e->rank * 2 + 1, sizeof(int64_t));
	for (size_t s = 0; s < e->nslices && !rc; s++) {
		struct avg_src *ss = xcalloc(n, sizeof(*ss));
		for (size_t i = 0; i < n; i++) {
			ss[i].b = in[i];
			ss[i].e = avg || i + 1 == n ? slice_entry(in[i], src[i].e, s, ext) : NULL;
		}
		if (avg) {
			rc = average_payload(w, ss, n, e->dtype, chunk, &r->st, &r->bytes, err);
		} else {
			const struct bundle_entry *se = ss[n - 1].e;
			rc = xform_copy(w, 0, last, se, se->name, se->name_len, err);
			r->bytes += se->size;
		}
		free(ss);
	}
out:
	if (!rc) {
		r->averaged += avg;
		r->copied += !avg && !is_graph(e);
		r->graph |= is_graph(e);
	}
	free(ext);
	free(src);
	return rc;
}

/* ---- runs of float32 tensors, one two-core job ------------------------------------------- */

/* 1 if entry e of the last input (kept, alike in every input) can be averaged in a run
 * (mean_batch): a float32 tensor, not partitioned, not empty, stored as the two-core mean
 * reads it in every input (V2, little-endian, 4 bytes an element, its shard opened). Else
 * write_tensor takes it, and meets any error in it there, in its turn. src: n, filled. */
static int batchable(struct bundle *const *in, size_t n, const struct bundle_entry *e,
		     size_t chunk, struct avg_src *src)
{
	if (chunk || n < 2 || e->nslices || is_graph(e) || e->dtype != DT_FLOAT || !e->elements ||
	    __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct tensor_stream ts;
		src[i].b = in[i];
		src[i].e = i + 1 < n ? bundle_find(in[i], e->name, e->name_len) : e;
		if (!src[i].e || in[i]->format != 2 || in[i]->big_endian ||
		    src[i].e->size != src[i].e->elements * sizeof(float) ||
		    tensor_stream_open(&ts, in[i], src[i].e, NULL) < 0)
			return 0;
	}
	return 1;
}

/* Entries [k, *end) of the last input that are kept: each batchable (src: n per entry, in
 * order, of the kept ones) or left out; *end stops at the first kept one that is not, or
 * after MEAN_RUN_MAX kept (what a run holds per tensor stays a few hundred KiB: 100 000
 * small tensors would be 10 MB). The number kept. */
#define MEAN_RUN_MAX 4096
static size_t batch_collect(struct bundle *const *in, size_t n, const unsigned char *keep,
			    size_t k, size_t chunk, struct avg_src **src, size_t *end)
{
	const struct bundle *last = in[n - 1];
	size_t nb = 0, cap = 0;

	for (; k < last->nentries && nb < MEAN_RUN_MAX; k++) {
		if (!keep[k])
			continue;
		if (nb == cap) {
			cap = cap ? 2 * cap : 64;
			*src = xrealloc(*src, cap * n * sizeof(**src));
		}
		if (!batchable(in, n, &last->entries[k], chunk, *src + nb * n))
			break;
		nb++;
	}
	*end = k;
	return nb;
}

/* Kept entries [k, end) of the last input, nb of them, all batchable (src), averaged as one
 * two-core job: the threads go from one to the next without waiting for each other at the
 * end of each (half a chunk, on average: 6% of the time of averaging BERT, where most
 * tensors are 3 or 9 chunks), and small tensors are chunks of the job too. The entries are
 * added in order once the job is done; the same bytes, CRCs and first error as one by one. */
static int mean_batch(struct bundle_writer *w, struct bundle *const *in, size_t n,
		      const unsigned char *keep, size_t k, size_t end, size_t nb,
		      const struct avg_src *src, struct avg_result *r, struct ck_err *err)
{
	const struct bundle *last = in[n - 1];
	struct mean_tensor *ts = xcalloc(nb, sizeof(*ts));
	size_t j = 0;
	int rc;

	for (size_t i = k; i < end; i++)
		if (keep[i]) {
			ts[j] = (struct mean_tensor){ .src = src + j * n,
						      .elements = last->entries[i].elements };
			j++;
		}
	rc = mean_run(w, ts, nb, n, &r->st, err);
	j = 0;
	for (size_t i = k; i < end && !rc; i++) {
		struct bundle_entry oe = last->entries[i];
		if (!keep[i])
			continue;
		oe.shard = 0;
		oe.offset = ts[j].out_off;
		oe.size = oe.elements * sizeof(float);
		oe.crc32c = ts[j].crc;
		j++;
		if (bundle_writer_add_entry(w, &oe)) {
			rc = bundle_writer_status(w, err);
			break;
		}
		r->bytes += oe.size;
		r->averaged++;
	}
	free(ts);
	return rc;
}

/* The pruned object graph, as a new string payload. */
static int write_graph(struct bundle_writer *w, const objgraph *g, const struct bundle_entry *e,
		       struct avg_result *r, struct ck_err *err)
{
	struct buf bytes = BUF_INIT;
	const uint8_t *p;
	size_t len;
	int rc = 0;

	objgraph_serialize(g, &bytes);
	p = bytes.p;
	len = bytes.len;
	if (bundle_writer_add_strings(w, e->name, e->name_len, e->dims, e->rank, 0, &p, &len, 1))
		rc = bundle_writer_status(w, err);
	r->graph = 1;
	r->bytes += bundle_strings_size(&len, 1);  /* as stored, like every total */
	buf_release(&bytes);
	return rc;
}

int average_checkpoints(struct bundle *const *in, const char *const *labels, size_t n,
			const char *out, const struct avg_opts *o, struct avg_result *r,
			struct ck_err *err)
{
	struct bundle *last;
	struct bundle_writer *w = NULL;
	unsigned char *keep = NULL, *graph_opt = NULL;
	struct avg_src *src = NULL;  /* a run's (batch_collect) */
	objgraph *graph = NULL;
	size_t chunk = o->chunk;
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (n < 1)
		return ck_error(err, CK_EUSAGE, "no checkpoints to average");
	last = in[n - 1];
	for (size_t i = 0; i + 1 < n; i++)
		if (in[i]->big_endian != last->big_endian)
			return ck_error(err, CK_EUNSUP, "%s is %s-endian but %s is %s-endian; average "
					"checkpoints written on machines of one byte order", labels[i],
					in[i]->big_endian ? "big" : "little", labels[n - 1],
					last->big_endian ? "big" : "little");
	keep = xcalloc(last->nentries + 1, 1);
	graph_opt = xcalloc(last->nentries + 1, 1);
	/* TF2: the object graph knows which variables belong to the optimizer, under any name. */
	if (bundle_find(last, OBJECT_GRAPH_KEY, sizeof(OBJECT_GRAPH_KEY) - 1)) {
		struct graph_ctx gc = { last, graph_opt };
		rc = objgraph_load(last, &graph, err);
		if (rc == 0)
			rc = objgraph_validate(graph, err);
		if (rc < 0)
			goto out;
		objgraph_optimizer_keys(graph, mark_key, &gc);
	}
	plan(in, labels, n, o, graph_opt, keep, r);
	if (r->ndiffs && !o->intersect) {
		rc = ck_error(err, CK_EUSAGE, "the inputs differ in %zu %s (use --intersect to average "
			      "the tensors they share)", r->ndiffs, r->ndiffs == 1 ? "way" : "ways");
		goto out;
	}
	{
		size_t kept = 0;
		for (size_t k = 0; k < last->nentries; k++)
			kept += keep[k] && !is_graph(&last->entries[k]);
		if (!kept) {
			rc = ck_error(err, CK_EUSAGE, "no tensor is alike in all %zu inputs: nothing to "
				      "average", n);
			goto out;
		}
	}
	/* The graph must not name tensors that are left out: TF would look for them. */
	if (graph) {
		struct graph_ctx gc = { last, keep };
		r->graph_dropped = objgraph_drop(graph, key_written, &gc);
	}
	rc = bundle_writer_open(&w, out, 1, o->flags, err);
	if (rc < 0)
		goto out;
	bundle_writer_set_big_endian(w, last->big_endian);
	for (size_t k = 0; k < last->nentries && !rc; k++) {
		const struct bundle_entry *e = &last->entries[k];
		size_t end, nb;
		if (!keep[k])
			continue;
		if (is_graph(e) && r->graph_dropped) {
			rc = write_graph(w, graph, e, r, err);
			continue;
		}
		nb = batch_collect(in, n, keep, k, chunk, &src, &end);
		if (nb) {
			rc = mean_batch(w, in, n, keep, k, end, nb, src, r, err);
			k = end - 1;
			continue;
		}
		rc = write_tensor(w, in, n, e, chunk, r, err);
	}
	if (rc < 0) {
		bundle_writer_abort(w);
		goto out;
	}
	rc = bundle_writer_finish(w, err);
out:
	objgraph_free(graph);
	free(src);
	free(graph_opt);
	free(keep);
	return rc;
}
