/* Norms, relative changes and counters of tensors over the checkpoints of a training run. */
#include "edit/trend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/par.h"
#include "store/file.h"
#include "store/outguard.h"
#include "format/bundle.h"
#include "format/dtype.h"
#include "format/path.h"
#include "tensor/compare.h"
#include "tensor/convert.h"
#include "tensor/split.h"
#include "tensor/stats.h"
#include "edit/scope.h"

int trend_folder(const char *dir, size_t last, char ***prefixes, size_t *n, struct buf *notes,
		 struct ck_err *err)
{
	struct ckpt_folder f;
	size_t first;
	int rc = ckpt_folder_scan(dir, &f, err);

	*prefixes = NULL;
	*n = 0;
	if (rc < 0)
		goto out;
	buf_add(notes, f.notes.p, f.notes.len);
	if (f.gone_latest)
		buf_addf(notes, "%s names \"%s\", which is gone\n", f.state, f.gone_latest);
	if (!f.n) {
		rc = ck_error(err, CK_EUSAGE, "%s: no checkpoints in this folder (no *.index file%s)",
			      dir, ck_store_can_list(dir) ? "" : "; an http(s) folder is known only by "
			      "its 'checkpoint' state file, and it has none");
		goto out;
	}
	first = last && last < f.n ? f.n - last : 0;
	*n = f.n - first;
	*prefixes = xcalloc(*n, sizeof(char *));
	for (size_t i = first; i < f.n; i++)
		(*prefixes)[i - first] = xstrdup(f.c[i].prefix);
out:
	ckpt_folder_release(&f);
	return rc;
}

static int tracked_float(int dtype)
{
	const struct dtype_info *d = dtype_info(dtype);

	return d && (d->kind == DK_FLOAT || d->kind == DK_COMPLEX);
}

static int counter_dtype(const struct bundle_entry *e)
{
	const struct dtype_info *d = dtype_info(e->dtype);

	return d && (d->kind == DK_INT || d->kind == DK_UINT) && e->rank == 0 && d->size > 0;
}

/* "global_step", "scope/global_step", or the TF2 key "global_step/.ATTRIBUTES/..." */
static int is_step_name(const char *name, size_t len)
{
	static const char want[] = "global_step";
	size_t w = sizeof(want) - 1, end = len;
	const char *tail = NULL;

	for (size_t i = 0; i + 1 < len; i++)
		if (name[i] == '/' && name[i + 1] == '.') {
			tail = name + i;
			break;
		}
	if (tail)
		end = (size_t)(tail - name);
	if (end < w || memcmp(name + end - w, want, w))
		return 0;
	return end == w || name[end - w - 1] == '/';
}

/* The trailing "-N" of a prefix (model.ckpt-1000), as the step when no global_step is stored. */
static int step_from_prefix(const char *prefix, int64_t *step)
{
	const char *base = path_base(prefix), *dash = strrchr(base, '-');
	char *end;
	long long v;

	if (!dash || !dash[1] || dash[1] < '0' || dash[1] > '9')
		return 0;
	v = strtoll(dash + 1, &end, 10);
	if (*end)
		return 0;
	*step = v;
	return 1;
}

static void series_alloc(struct trend_series *s, size_t n)
{
	size_t m = n ? n - 1 : 0;

	s->present = xcalloc(n, 1);
	s->norm = xcalloc(n, sizeof(double));
	s->nan = xcalloc(n, sizeof(uint64_t));
	s->inf = xcalloc(n, sizeof(uint64_t));
	s->value = xcalloc(n, sizeof(int64_t));
	s->rel = xcalloc(m + 1, sizeof(double));
	s->reshaped = xcalloc(m + 1, 1);
	s->dsq = xcalloc(m + 1, sizeof(double));
	s->asq = xcalloc(m + 1, sizeof(double));
	for (size_t i = 0; i < n; i++)
		s->norm[i] = NAN;
	for (size_t i = 0; i < m; i++)
		s->rel[i] = s->dsq[i] = s->asq[i] = NAN;
}

static void series_release(struct trend_series *s)
{
	free(s->name);
	free(s->dims);
	free(s->present);
	free(s->norm);
	free(s->nan);
	free(s->inf);
	free(s->value);
	free(s->rel);
	free(s->reshaped);
	free(s->dsq);
	free(s->asq);
}

static void series_set_shape(struct trend_series *s, const struct bundle_entry *e)
{
	free(s->dims);
	s->dtype = e->dtype;
	s->rank = e->rank;
	s->dims = xcalloc((size_t)e->rank + 1, sizeof(int64_t));
	if (e->rank)
		memcpy(s->dims, e->dims, (size_t)e->rank * sizeof(int64_t));
}

/* The run's state while reading: the series, and an index of them sorted by name. */
struct run {
	struct trend *t;
	size_t cap;
	size_t *order;    /* indexes into t->s, sorted by name */
	size_t norder;
	const struct trend_opts *o;
	uint64_t done, total;
	uint8_t *bufa, *bufb;  /* pair_pass's reads, PAIR_CHUNK each */
	/* The checkpoints, opened in order as the run or a chain (chain_pass) reaches them, and
	 * freed once read: at most CHAIN_AHEAD + 2 are open. */
	const char *const *paths;
	struct buf *notes;
	struct bundle **bs;
	int *open_rc;
	struct ck_err *open_err;
	size_t opened;
};

static int cmp_name(const char *a, size_t na, const char *b, size_t nb)
{
	int c = memcmp(a, b, na < nb ? na : nb);

	return c ? c : na < nb ? -1 : na > nb;
}

static struct run *sort_ctx;

static int cmp_order(const void *x, const void *y)
{
	const struct trend_series *a = &sort_ctx->t->s[*(const size_t *)x];
	const struct trend_series *b = &sort_ctx->t->s[*(const size_t *)y];

	return cmp_name(a->name, a->name_len, b->name, b->name_len);
}

static void reindex(struct run *r)
{
	r->order = xreallocarray(r->order, r->t->ns + 1, sizeof(size_t));
	for (size_t i = 0; i < r->t->ns; i++)
		r->order[i] = i;
	r->norder = r->t->ns;
	sort_ctx = r;
	sort_array(r->order, r->norder, sizeof(size_t), cmp_order);
}

static struct trend_series *series_get(struct run *r, const struct bundle_entry *e,
				       enum trend_kind kind)
{
	size_t lo = 0, hi = r->norder;
	struct trend_series *s;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		s = &r->t->s[r->order[mid]];
		int c = cmp_name(e->name, e->name_len, s->name, s->name_len);
		if (!c)
			return s->kind == kind ? s : NULL;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (r->t->ns == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->t->s = xreallocarray(r->t->s, r->cap, sizeof(*r->t->s));
	}
	s = &r->t->s[r->t->ns++];
	memset(s, 0, sizeof(*s));
	s->name = xmemdup(e->name, e->name_len);
	s->name_len = e->name_len;
	s->kind = kind;
	s->tensors = 1;
	series_alloc(s, r->t->n);
	series_set_shape(s, e);
	return s;
}

static uint64_t stored_bytes(const struct bundle_entry *e)
{
	return e->nslices ? e->slices_bytes : e->size;
}

static int same_shape(const struct bundle_entry *a, const struct bundle_entry *b)
{
	return a->dtype == b->dtype && a->rank == b->rank &&
	       (!a->rank || !memcmp(a->dims, b->dims, (size_t)a->rank * sizeof(int64_t)));
}

/* ---- one pass over a pair: the newer side's statistics and the comparison together ------ */

#define PAIR_CHUNK (1u << 20)  /* a multiple of every element size */

struct pair_job {
	int dtype;
	const uint8_t *a, *b;
	size_t bytes, elements;
	struct stats st;             /* of b's chunk */
	struct compare_result cr;
	int rc;
	struct ck_err err;
};

/* One half of a chunk pair: the statistics of b's part, and the comparison of the two parts by
 * compare_buffers, compare.c's own loops. */
static void pair_work(void *arg)
{
	static const struct compare_opts exact = { 0, 0, 1, 0 };
	struct pair_job *j = arg;

	stats_init(&j->st, j->dtype);
	stats_add(&j->st, j->dtype, j->b, j->elements, 0);
	memset(&j->cr, 0, sizeof(j->cr));
	j->rc = compare_buffers(j->dtype, j->elements, j->a, j->bytes, j->b, j->bytes, &exact,
				&j->cr, &j->err);
}

/* Add a part's results to the pair's, as compare_tensors merges the parts of a payload: a part
 * equal byte for byte adds its Σa² and non-finite count, known from b's statistics. */
static void pair_merge(struct stats *st, struct compare_result *cr, const struct pair_job *j)
{
	stats_merge(st, &j->st);
	cr->elements += j->elements;
	if (j->cr.bytewise) {
		double l2 = stats_l2(&j->st);
		cr->sum_sq_a += l2 * l2;
		cr->nonfinite += j->st.nan + j->st.posinf + j->st.neginf;
	} else {
		cr->bytewise = 0;
		cr->sum_sq += j->cr.sum_sq;
		cr->sum_sq_a += j->cr.sum_sq_a;
		cr->nonfinite += j->cr.nonfinite;
	}
}

static int read_full(struct tensor_stream *s, uint8_t *p, size_t n, struct ck_err *err)
{
	while (n) {
		long long got = tensor_stream_read(s, p, n, err);
		if (got < 0)
			return (int)got;
		if (got == 0)
			return ck_error(err, CK_ECORRUPT, "%s: tensor '%s' ends early", s->b->prefix,
					s->e->name);
		p += got;
		n -= (size_t)got;
	}
	return 0;
}

/* Whether a pair can go through pair_pass: stored whole (not partitioned), little-endian, in
 * V2 bundles, with a payload as long as its elements. Others take stats_tensor and
 * compare_tensors, which handle every case, reading the newer side twice. */
static int pair_streamable(const struct bundle *pa, const struct bundle_entry *ea,
			   const struct bundle *pb, const struct bundle_entry *eb)
{
	const struct dtype_info *d = dtype_info(eb->dtype);

	return pa->format == 2 && pb->format == 2 && !pa->big_endian && !pb->big_endian &&
	       !ea->nslices && !eb->nslices && d && d->size > 0 && eb->size == ea->size &&
	       eb->size == eb->elements * (uint64_t)d->size;
}

/* Read a and b side by side once, chunk by chunk (both CRC-checked): b's statistics into st
 * and the comparison into cr (pair_merge). Each chunk pair is done in two halves on two
 * cores. */
static int pair_pass(struct run *r, struct bundle *pa, const struct bundle_entry *ea,
		     struct bundle *pb, const struct bundle_entry *eb, struct stats *st,
		     struct compare_result *cr, struct ck_err *err)
{
	size_t esize = (size_t)dtype_info(eb->dtype)->size;
	uint8_t *ba, *bb;
	struct tensor_stream sa, sb;
	struct pair_job j[2];
	uint64_t pos = 0;
	uint8_t end;
	int rc;

	/* Kept for the run: a mapping per tensor would cost more than reading a small one. */
	if (!r->bufa) {
		r->bufa = xmalloc_io(PAIR_CHUNK);
		r->bufb = xmalloc_io(PAIR_CHUNK);
	}
	ba = r->bufa;
	bb = r->bufb;
	stats_init(st, eb->dtype);
	memset(cr, 0, sizeof(*cr));
	cr->numeric = 1;
	cr->bytewise = 1;
	if ((rc = tensor_stream_open(&sa, pa, ea, err)) < 0 ||
	    (rc = tensor_stream_open(&sb, pb, eb, err)) < 0)
		goto out;
	while (pos < eb->size) {
		size_t m = eb->size - pos < PAIR_CHUNK ? (size_t)(eb->size - pos) : PAIR_CHUNK;
		if ((rc = read_full(&sa, ba, m, err)) < 0 || (rc = read_full(&sb, bb, m, err)) < 0)
			goto out;
		/* Two halves on two cores, each a whole number of STATS_BLOCKs when large. */
		size_t h = m / esize > 2 * STATS_BLOCK ? (m / esize / 2 / STATS_BLOCK) * STATS_BLOCK
						       : m / esize;
		memset(j, 0, sizeof(j));
		for (int i = 0; i < 2; i++) {
			j[i].dtype = eb->dtype;
			j[i].a = ba + (i ? h * esize : 0);
			j[i].b = bb + (i ? h * esize : 0);
			j[i].elements = i ? m / esize - h : h;
			j[i].bytes = j[i].elements * esize;
		}
		if (j[1].elements)
			par_both(pair_work, &j[0], &j[1]);
		else
			pair_work(&j[0]);
		for (int i = 0; i < 2; i++) {
			if (j[i].rc < 0) {
				*err = j[i].err;
				rc = j[i].rc;
				goto out;
			}
			if (j[i].elements)
				pair_merge(st, cr, &j[i]);
		}
		pos += m;
	}
	/* The end of both streams: their CRCs are checked there. */
	if ((rc = (int)tensor_stream_read(&sa, &end, 0, err)) >= 0)
		rc = (int)tensor_stream_read(&sb, &end, 0, err);
	rc = rc < 0 ? rc : 0;
out:
	return rc;
}

/* ---- float32 pairs: b's statistics and the change alone, each read on two cores --------- */

/* Σa² and Σ(a − b)² over the pairs where both values are finite, and the count of the other
 * pairs: what compare_rel needs, summed as compare.c sums them (blocks of 4096 in 8 double
 * lanes, lanes then tail; a block holding a NaN or Inf element by element), so that small
 * tensors give diff's bits and large ones its value to rounding. None of diff's max |Δ|,
 * first index or tolerance counts: their bookkeeping was half of trend's time. */
#define CH_LANES 8
#define CH_BLOCK 4096

struct change {
	double aa, dd;
	uint64_t bad;
};

static inline __attribute__((always_inline)) void change_block(struct change *c, const float *a,
								const float *b, size_t n)
{
	double sa[CH_LANES] = { 0 }, sd[CH_LANES] = { 0 }, aa = 0, dd = 0;
	size_t nv = n / CH_LANES * CH_LANES;

	for (size_t i = 0; i < nv; i += CH_LANES)
		for (int l = 0; l < CH_LANES; l++) {
			double x = a[i + l], y = b[i + l], d = x - y;
			sa[l] += x * x;
			sd[l] += d * d;
		}
	for (int l = 0; l < CH_LANES; l++) {
		aa += sa[l];
		dd += sd[l];
	}
	for (size_t i = nv; i < n; i++) {
		double x = a[i], y = b[i], d = x - y;
		aa += x * x;
		dd += d * d;
	}
	if (aa - aa == 0 && dd - dd == 0) {  /* no NaN or Inf in the block */
		c->aa += aa;
		c->dd += dd;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		double x = a[i], y = b[i];
		if (x - x == 0 && y - y == 0) {
			c->aa += x * x;
			if (x != y)
				c->dd += (x - y) * (x - y);
		} else {
			c->bad++;
		}
	}
}

/* n elements at a and b (float-aligned), in blocks from the first. */
#define CHANGE_LOOP(fn, ATTR)                                                            \
	ATTR static void fn(struct change *c, const float *a, const float *b, size_t n)  \
	{                                                                                \
		for (size_t o = 0; o < n; o += CH_BLOCK)                                 \
			change_block(c, a + o, b + o, n - o < CH_BLOCK ? n - o : CH_BLOCK); \
	}
CHANGE_LOOP(change_c, )
#if defined(__x86_64__) && defined(__GNUC__)
#define CH_AVX2 1
/* The same C, the lanes in 256-bit registers: each lane still sums in order (no FMA), so
 * the bits are the portable loop's. */
CHANGE_LOOP(change_avx2, __attribute__((target("avx2"))))
#endif

static void change_add(struct change *c, const float *a, const float *b, size_t n)
{
#ifdef CH_AVX2
	if (cpu_has_avx2()) {
		change_avx2(c, a, b, n);
		return;
	}
#endif
	change_c(c, a, b, n);
}

/* A float32 tensor in up to CHAIN_MAX consecutive checkpoints, read side by side in one pass,
 * so that each checkpoint is read once (but for the one before a chain: its values are read
 * again for the first change). Stream 0 is checkpoint k - 1 (has_prev: read for that change
 * only) or k; the others follow. */
#define CHAIN_AHEAD 8
#define CHAIN_MAX (CHAIN_AHEAD + 2)

struct chain {
	int m, has_prev;
	struct bundle *b[CHAIN_MAX];
	const struct bundle_entry *e[CHAIN_MAX];
};

/* One half of a chain: bytes [lo, hi) of every payload, read by position and CRC'd; stream j's
 * chunk goes into buf[j & 1], beside stream j - 1's for their change. */
struct chain_half {
	const struct chain *c;
	uint64_t lo, hi;
	uint8_t *buf[2];           /* SPLIT_CHUNK each */
	uint32_t crc[CHAIN_MAX];
	int same[CHAIN_MAX];       /* [j]: streams j - 1 and j equal byte for byte so far */
	struct stats st[CHAIN_MAX];
	struct change ch[CHAIN_MAX];
	int rc;
	struct ck_err err;
};

/* Chunks equal on both sides are not decoded until one differs: Σa² over their finite pairs
 * is then b's squared norm over its finite values so far, and their other pairs its NaN and
 * Inf (as compare.c adds an equal half's). */
static void same_prefix(struct change *ch, const struct stats *st)
{
	double l2 = stats_l2(st);

	ch->aa += l2 * l2;
	ch->bad += st->nan + st->posinf + st->neginf;
}

static void chain_half_run(void *arg)
{
	struct chain_half *h = arg;
	const struct chain *c = h->c;

	for (uint64_t pos = h->lo; pos < h->hi; pos += SPLIT_CHUNK) {
		size_t n = h->hi - pos < SPLIT_CHUNK ? (size_t)(h->hi - pos) : SPLIT_CHUNK;
		for (int j = 0; j < c->m; j++) {
			uint8_t *p = h->buf[j & 1], *q = h->buf[!(j & 1)];
			if ((h->rc = bundle_pread(c->b[j], c->e[j], pos, p, n, &h->err)) < 0)
				return;
			h->crc[j] = crc32c_extend(h->crc[j], p, n);
			if (j && !(h->same[j] && !memcmp(q, p, n))) {
				if (h->same[j])
					same_prefix(&h->ch[j], &h->st[j]);
				h->same[j] = 0;
				change_add(&h->ch[j], (const float *)q, (const float *)p, n / 4);
			}
			if (j || !c->has_prev)
				stats_add(&h->st[j], DT_FLOAT, p, n / 4, 0);
		}
	}
}

/* A float32 payload the chain reads directly: little-endian, stored whole, V2. */
static int f32_streamable(const struct bundle *b, const struct bundle_entry *e)
{
	return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && e->dtype == DT_FLOAT &&
	       b->format == 2 && !b->big_endian && !e->nslices && !e->is_slice &&
	       e->size == e->elements * 4;
}

/* Read the chain, in two halves on two cores when large (the halves stats_tensor reads, so
 * that a norm is the one it gives), each half reading and CRC-checking its own bytes. On
 * success st[j] holds stream j's statistics (j >= has_prev), and cr[j] (j >= 1) the change
 * from stream j - 1. */
static int chain_pass(struct run *r, const struct chain *c, struct stats *st,
		      struct compare_result *cr, struct ck_err *err)
{
	struct chain_half h[2];
	uint64_t size = c->e[0]->size, mid = size;
	int rc, halves = 1;

	if (!r->bufa) {
		r->bufa = xmalloc_io(PAIR_CHUNK);
		r->bufb = xmalloc_io(PAIR_CHUNK);
	}
	for (int j = 0; j < c->m; j++) {  /* opens the shards: the halves may pread at once */
		struct tensor_stream ts;
		if ((rc = tensor_stream_open(&ts, c->b[j], c->e[j], err)) < 0)
			return rc;
	}
	if (size >= SPLIT_MIN) {
		halves = 2;
		mid = size / 2 / SPLIT_CHUNK * SPLIT_CHUNK;
	}
	for (int k = 0; k < 2; k++) {
		memset(&h[k], 0, sizeof(h[k]));
		h[k].c = c;
		h[k].lo = k ? mid : 0;
		h[k].hi = k ? size : mid;
		h[k].buf[0] = (k ? r->bufb : r->bufa);
		h[k].buf[1] = (k ? r->bufb : r->bufa) + SPLIT_CHUNK;
		for (int j = 0; j < c->m; j++) {
			h[k].same[j] = 1;
			stats_init(&h[k].st[j], DT_FLOAT);
		}
	}
	if (halves == 2)
		par_both(chain_half_run, &h[0], &h[1]);
	else
		chain_half_run(&h[0]);
	for (int k = 0; k < halves; k++)
		if (h[k].rc < 0) {
			*err = h[k].err;
			return h[k].rc;
		}
	for (int j = 0; j < c->m; j++) {
		uint32_t crc = h[0].crc[j];
		if (halves == 2) {
			if (j && h[0].same[j] != h[1].same[j])  /* one half equal, the other not */
				same_prefix(&h[h[1].same[j]].ch[j], &h[h[1].same[j]].st[j]);
			crc = crc32c_combine(crc, h[1].crc[j], size - mid);
			stats_merge(&h[0].st[j], &h[1].st[j]);
			h[0].same[j] &= h[1].same[j];
			h[0].ch[j].aa += h[1].ch[j].aa;
			h[0].ch[j].dd += h[1].ch[j].dd;
			h[0].ch[j].bad += h[1].ch[j].bad;
		}
		if ((rc = bundle_check_crc(c->b[j], c->e[j], crc, err)) < 0)
			return rc;
		st[j] = h[0].st[j];
		memset(&cr[j], 0, sizeof(cr[j]));
		cr[j].numeric = 1;
		cr[j].bytewise = h[0].same[j];
		cr[j].elements = c->e[j]->elements;
		cr[j].sum_sq = h[0].ch[j].dd;
		cr[j].sum_sq_a = h[0].ch[j].aa;
		cr[j].nonfinite = h[0].ch[j].bad;
	}
	return 0;
}

static void put_norm(struct trend_series *s, size_t k, const struct stats *st)
{
	s->norm[k] = stats_l2(st);
	s->nan[k] = st->nan;
	s->inf[k] = st->posinf + st->neginf;
}

/* The change from checkpoint k - 1 to k (norm[k - 1] known). */
static void put_change(struct trend_series *s, size_t k, const struct compare_result *cr)
{
	if (!compare_has_stats(cr))
		return;
	s->rel[k - 1] = compare_rel(cr);
	/* Payloads equal byte for byte are not decoded: ‖a‖ over the finite values is then the
	 * norm already known. */
	s->dsq[k - 1] = cr->bytewise ? 0.0 : cr->sum_sq;
	s->asq[k - 1] = cr->bytewise ? s->norm[k - 1] * s->norm[k - 1] : cr->sum_sq_a;
}

static int run_open(struct run *r, size_t k);

/* Checkpoint k's float32 tensor e (and pe, its predecessor, or NULL) as a chain with the same
 * tensor in the next checkpoints, as long as it stays alike: their values are filled in now,
 * and marked present 2 ("read ahead") until take_checkpoint reaches them. */
static int take_chain(struct run *r, struct trend_series *s, size_t k, struct bundle *prev,
		      const struct bundle_entry *pe, struct bundle *b,
		      const struct bundle_entry *e, struct ck_err *err)
{
	struct chain c = { 0 };
	struct stats st[CHAIN_MAX];
	struct compare_result cr[CHAIN_MAX];
	size_t first;
	int rc;

	if (pe) {
		c.b[c.m] = prev;
		c.e[c.m++] = pe;
		c.has_prev = 1;
	}
	c.b[c.m] = b;
	c.e[c.m++] = e;
	for (size_t j = k + 1; j < r->t->n && j <= k + CHAIN_AHEAD; j++) {
		const struct bundle_entry *ej;
		if (run_open(r, j) < 0)
			break;  /* reported when the run gets there */
		ej = bundle_find(r->bs[j], e->name, e->name_len);
		if (!ej || !f32_streamable(r->bs[j], ej) || !same_shape(c.e[c.m - 1], ej) ||
		    !pair_streamable(c.b[c.m - 1], c.e[c.m - 1], r->bs[j], ej))
			break;
		c.b[c.m] = r->bs[j];
		c.e[c.m++] = ej;
	}
	if ((rc = chain_pass(r, &c, st, cr, err)) < 0)
		return rc;
	first = k - (size_t)c.has_prev;
	for (int j = c.has_prev; j < c.m; j++) {
		put_norm(s, first + j, &st[j]);
		if (j)
			put_change(s, first + j, &cr[j]);
		if (first + j > k)
			s->present[first + j] = 2;
	}
	s->present[k] = 1;
	r->t->bytes += stored_bytes(e);
	series_set_shape(s, e);
	return 0;
}

/* Checkpoint k's float tensor e: its statistics, and its change from checkpoint k - 1. */
static int take_float(struct run *r, struct trend_series *s, size_t k, struct bundle *prev,
		      struct bundle *b, const struct bundle_entry *e, struct ck_err *err)
{
	static const struct compare_opts exact = { 0, 0, 1, 0 };
	const struct bundle_entry *pe = NULL;
	struct compare_result cr;
	struct stats st;
	int rc, compared = 0;

	if (s->present[k] == 2) {  /* read ahead by a chain */
		s->present[k] = 1;
		r->t->bytes += stored_bytes(e);
		series_set_shape(s, e);
		return 0;
	}
	if (k && s->present[k - 1])
		pe = bundle_find(prev, e->name, e->name_len);
	if (pe && !same_shape(pe, e)) {
		s->reshaped[k - 1] = 1;
		pe = NULL;
	}
	if (f32_streamable(b, e) && (!pe || pair_streamable(prev, pe, b, e)))
		return take_chain(r, s, k, prev, pe, b, e, err);
	if (pe && pair_streamable(prev, pe, b, e)) {
		rc = pair_pass(r, prev, pe, b, e, &st, &cr, err);
		compared = 1;
	} else {
		rc = stats_tensor(b, e, &st, err);
		if (rc == 0 && pe) {
			memset(&cr, 0, sizeof(cr));
			rc = compare_tensors(prev, pe, b, e, &exact, &cr, err);
			compared = 1;
		}
	}
	if (rc < 0)
		return rc;
	s->present[k] = 1;
	put_norm(s, k, &st);
	r->t->bytes += stored_bytes(e);
	if (compared)
		put_change(s, k, &cr);
	series_set_shape(s, e);
	return 0;
}

static int read_counter(struct bundle *b, const struct bundle_entry *e, int64_t *v,
			struct ck_err *err)
{
	struct buf raw = BUF_INIT;
	uint8_t tmp[16];
	uint64_t u;
	int is_unsigned, rc = bundle_read(b, e, &raw, err);
	int size = dtype_info(e->dtype)->size;

	if (rc < 0)
		goto out;
	if (raw.len < (size_t)size || size > (int)sizeof(tmp)) {
		rc = ck_error(err, CK_ECORRUPT, "%s: tensor '%s' holds %zu bytes, not one %s",
			      b->prefix, e->name, raw.len, dtype_name(e->dtype));
		goto out;
	}
	for (int i = 0; i < size; i++)
		tmp[i] = ((uint8_t *)raw.p)[b->big_endian ? size - 1 - i : i];
	element_int(e->dtype, tmp, v, &u, &is_unsigned);
	if (is_unsigned)
		*v = (int64_t)u;
out:
	buf_release(&raw);
	return rc;
}

static void progress(struct run *r, uint64_t add)
{
	r->done += add;
	if (r->done >= r->total)
		r->total = r->done + 1;
	if (r->o->progress)
		r->o->progress(r->o->progress_ctx, r->done, r->total);
}

static int take_checkpoint(struct run *r, size_t k, struct bundle *prev, struct bundle *b,
			   struct ck_err *err)
{
	struct trend_ckpt *c = &r->t->c[k];
	int rc = 0;

	if (!k) {
		for (size_t i = 0; i < b->nentries; i++)
			if (!b->entries[i].is_slice)
				r->total += stored_bytes(&b->entries[i]);
		r->total = r->total * r->t->n + 1;
	}
	for (size_t i = 0; i < b->nentries && rc == 0; i++) {
		const struct bundle_entry *e = &b->entries[i];
		struct trend_series *s;

		if (e->is_slice || (r->o->filter && !namefilter_match(r->o->filter, e->name)))
			continue;
		if (tracked_float(e->dtype)) {
			if ((s = series_get(r, e, TREND_FLOAT)))
				rc = take_float(r, s, k, prev, b, e, err);
		} else if (counter_dtype(e) && (s = series_get(r, e, TREND_COUNTER))) {
			rc = read_counter(b, e, &s->value[k], err);
			s->present[k] = 1;
			series_set_shape(s, e);
			if (rc == 0 && is_step_name(e->name, e->name_len) && !c->has_step) {
				c->step = s->value[k];
				c->has_step = 1;
			}
		}
		progress(r, stored_bytes(e));
	}
	return rc;
}

/* Open checkpoints up to k (each once, in order): its notes, prefix and time recorded. The
 * result of opening k, kept for when the run reaches it. */
static int run_open(struct run *r, size_t k)
{
	while (r->opened <= k) {
		size_t j = r->opened++;
		struct ckpt_path where = { 0 };
		struct trend_ckpt *c = &r->t->c[j];
		struct ck_stat sb;
		char *idx;

		r->open_rc[j] = ckpt_open(&r->bs[j], r->paths[j], &where, &r->open_err[j]);
		buf_add(r->notes, where.notes.p, where.notes.len);
		if (r->open_rc[j] == 0) {
			c->prefix = xstrdup(where.prefix);
			outguard_add_bundle(r->bs[j]);  /* an output of the run never replaces it */
			idx = bundle_index_path(where.prefix);
			if (ck_store_stat(idx, &sb, NULL) < 0 || sb.kind == CK_STORE_MISSING)
				if (ck_store_stat(where.prefix, &sb, NULL) < 0)
					sb.kind = CK_STORE_MISSING;
			if (sb.kind != CK_STORE_MISSING && sb.mtime >= 0) {
				c->has_time = 1;
				c->mtime = sb.mtime;
			}
			free(idx);
		}
		ckpt_path_release(&where);
	}
	return r->open_rc[k];
}

int trend_run(const char *const *paths, size_t n, const struct trend_opts *o, struct trend *t,
	      struct buf *notes, struct ck_err *err)
{
	struct run r = { t, 0, NULL, 0, o, 0, 0, NULL, NULL, paths, notes, NULL, NULL, NULL, 0 };
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->n = n;
	t->c = xcalloc(n + 1, sizeof(*t->c));
	r.bs = xcalloc(n + 1, sizeof(*r.bs));
	r.open_rc = xcalloc(n + 1, sizeof(*r.open_rc));
	r.open_err = xcalloc(n + 1, sizeof(*r.open_err));
	for (size_t k = 0; k < n && rc == 0; k++) {
		if ((rc = run_open(&r, k)) < 0) {
			*err = r.open_err[k];
			break;
		}
		rc = take_checkpoint(&r, k, k ? r.bs[k - 1] : NULL, r.bs[k], err);
		if (rc == 0 && !t->c[k].has_step)
			t->c[k].has_step = step_from_prefix(t->c[k].prefix, &t->c[k].step);
		reindex(&r);
		if (k) {
			bundle_free(r.bs[k - 1]);
			r.bs[k - 1] = NULL;
		}
	}
	for (size_t k = 0; k < r.opened; k++)
		bundle_free(r.bs[k]);
	free(r.bs);
	free(r.open_rc);
	free(r.open_err);
	free(r.order);
	free(r.bufa);
	free(r.bufb);
	if (rc == 0 && o->progress)
		o->progress(o->progress_ctx, r.total, r.total);
	return rc;
}

/* ---- scopes --------------------------------------------------------------------------- */

static void scope_add(struct trend_series *g, const struct trend_series *s, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		if (!s->present[k])
			continue;
		if (!g->present[k])
			g->norm[k] = 0;
		g->present[k] = 1;
		g->norm[k] = hypot(g->norm[k], s->norm[k]);
		g->nan[k] += s->nan[k];
		g->inf[k] += s->inf[k];
	}
	for (size_t k = 0; k + 1 < n; k++) {
		g->reshaped[k] |= s->reshaped[k];
		if (isnan(s->dsq[k]))
			continue;
		g->dsq[k] = isnan(g->dsq[k]) ? s->dsq[k] : g->dsq[k] + s->dsq[k];
		g->asq[k] = isnan(g->asq[k]) ? s->asq[k] : g->asq[k] + s->asq[k];
		g->rel[k] = g->asq[k] > 0 ? sqrt(g->dsq[k]) / sqrt(g->asq[k])
			  : g->dsq[k] > 0 ? INFINITY : 0.0;
	}
	g->tensors += s->tensors;
}

/* Scope rows are found by sorting the series by their scope (a key per series), so that a
 * run of 10^5 tensors in 10^4 scopes groups in n log n. */
struct scope_key {
	size_t i, len;    /* series index, scope length (0: a row of its own) */
	const char *name;
};

static int cmp_scope_key(const void *x, const void *y)
{
	const struct scope_key *a = x, *b = y;
	int c;

	if (!a->len != !b->len)
		return !a->len ? -1 : 1;
	c = cmp_name(a->name, a->len, b->name, b->len);
	return c ? c : a->i < b->i ? -1 : a->i > b->i;
}

void trend_by_scope(struct trend *t, int depth)
{
	struct trend_series *out = xcalloc(t->ns + 1, sizeof(*out));
	struct scope_key *key = xcalloc(t->ns + 1, sizeof(*key));
	size_t m = 0;

	for (size_t i = 0; i < t->ns; i++) {
		const struct trend_series *s = &t->s[i];
		key[i].i = i;
		key[i].name = s->name;
		key[i].len = s->kind == TREND_FLOAT ? scope_prefix(s->name, s->name_len, depth) : 0;
	}
	sort_array(key, t->ns, sizeof(*key), cmp_scope_key);
	for (size_t j = 0; j < t->ns; j++) {
		struct trend_series *s = &t->s[key[j].i], *g;

		if (!key[j].len) {
			out[m++] = *s;
			continue;
		}
		/* (the previous key's name is released by now: the group's copy is compared) */
		if (!j || !key[j - 1].len || cmp_name(out[m - 1].name, out[m - 1].name_len,
						       key[j].name, key[j].len)) {
			g = &out[m++];
			g->name = xmemdup(s->name, key[j].len);
			g->name_len = key[j].len;
			g->kind = TREND_FLOAT;
			g->dtype = -1;
			series_alloc(g, t->n);
		}
		scope_add(&out[m - 1], s, t->n);
		series_release(s);
	}
	free(key);
	free(t->s);
	t->s = out;
	t->ns = m;
}

/* ---- reading the series --------------------------------------------------------------- */

double trend_latest_rel(const struct trend *t, const struct trend_series *s, long *at)
{
	for (size_t k = t->n; k-- > 1;)
		if (!isnan(s->rel[k - 1])) {
			if (at)
				*at = (long)k - 1;
			return s->rel[k - 1];
		}
	if (at)
		*at = -1;
	return NAN;
}

double trend_latest_norm(const struct trend *t, const struct trend_series *s)
{
	for (size_t k = t->n; k-- > 0;)
		if (s->present[k])
			return s->norm[k];
	return NAN;
}

static const struct trend *sort_trend;

static int cmp_series(const void *x, const void *y)
{
	const struct trend_series *a = x, *b = y;
	double ra, rb;

	if (a->kind != b->kind)
		return a->kind == TREND_FLOAT ? -1 : 1;
	ra = trend_latest_rel(sort_trend, a, NULL);
	rb = trend_latest_rel(sort_trend, b, NULL);
	if (isnan(ra) != isnan(rb))
		return isnan(ra) ? 1 : -1;
	if (!isnan(ra) && ra != rb)
		return ra < rb ? 1 : -1;
	return cmp_name(a->name, a->name_len, b->name, b->name_len);
}

void trend_sort(struct trend *t)
{
	sort_trend = t;
	sort_array(t->s, t->ns, sizeof(*t->s), cmp_series);
}

void trend_release(struct trend *t)
{
	for (size_t i = 0; i < t->n && t->c; i++)
		free(t->c[i].prefix);
	free(t->c);
	for (size_t i = 0; i < t->ns; i++)
		series_release(&t->s[i]);
	free(t->s);
	memset(t, 0, sizeof(*t));
}
