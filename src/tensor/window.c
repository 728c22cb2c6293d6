/* Index expressions and selective reads (see window.h). */
#include "tensor/window.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "format/dtype.h"

#define GAP_BYTES (64u << 10)   /* read through holes up to this size */
#define SPAN_BYTES (4u << 20)   /* largest merged read */

static void window_init(struct window *w, const int64_t *dims, int rank)
{
	size_t r = (size_t)rank + 1;

	memset(w, 0, sizeof(*w));
	w->rank = rank;
	w->shape = dims;
	w->n = xcalloc(r, sizeof(*w->n));
	w->runs = xcalloc(r, sizeof(*w->runs));
	w->drop = xcalloc(r, 1);
	w->elided = xcalloc(r, 1);
}

static void set_range(struct window *w, int d, int64_t start, int64_t step, int64_t count)
{
	w->n[d] = count;
	w->runs[d][0] = (struct window_run){ start, step, count };
	w->runs[d][1] = (struct window_run){ 0, 1, 0 };
	w->elided[d] = 0;
}

int64_t window_index(const struct window *w, int d, int64_t k)
{
	const struct window_run *r = w->runs[d];

	if (k >= r[0].count) {
		k -= r[0].count;
		r++;
	}
	return r->start + k * r->step;
}

void window_all(struct window *w, const int64_t *dims, int rank)
{
	window_init(w, dims, rank);
	for (int d = 0; d < rank; d++)
		set_range(w, d, 0, 1, dims[d]);
}

void window_release(struct window *w)
{
	free(w->runs);
	free(w->n);
	free(w->drop);
	free(w->elided);
	memset(w, 0, sizeof(*w));
}

uint64_t window_count(const struct window *w)
{
	uint64_t c = 1;
	for (int d = 0; d < w->rank; d++)
		c *= (uint64_t)w->n[d];
	return c;
}

int window_is_all(const struct window *w)
{
	for (int d = 0; d < w->rank; d++) {
		if (w->drop[d] || w->elided[d] || w->n[d] != w->shape[d])
			return 0;
		if (w->n[d] > 1 && (w->runs[d][0].start != 0 || w->runs[d][0].step != 1))
			return 0;
	}
	return 1;
}

void window_summarise(struct window *w, int edge)
{
	for (int d = 0; d < w->rank; d++) {
		struct window_run *r = w->runs[d];
		if (w->drop[d] || w->elided[d] || w->n[d] <= 2 * edge)
			continue;
		r[1] = (struct window_run){ r[0].start + (r[0].count - edge) * r[0].step, r[0].step,
					    edge };
		r[0].count = edge;
		w->n[d] = 2 * edge;
		w->elided[d] = 1;
	}
}

int window_shape(const struct window *w, int64_t *dims, unsigned char *elided)
{
	int r = 0;

	for (int d = 0; d < w->rank; d++) {
		if (w->drop[d])
			continue;
		dims[r] = w->n[d];
		elided[r++] = w->elided[d];
	}
	return r;
}

/* ---- parsing ---------------------------------------------------------------------- */

static int parse_int(const char **p, int64_t *v)
{
	char *end;
	long long x;

	while (isspace((unsigned char)**p))
		(*p)++;
	if (!(**p == '-' || **p == '+' || isdigit((unsigned char)**p)))
		return 0;
	errno = 0;
	x = strtoll(*p, &end, 10);
	if (errno || end == *p)
		return -1;
	*p = end;
	*v = x;
	while (isspace((unsigned char)**p))
		(*p)++;
	return 1;
}

/* One item of the expression, between commas: "i", "a:b", "a:b:c", ":" ... */
static int parse_item(struct window *w, int d, const char *s, const char *end, struct ck_err *err)
{
	int64_t n = w->shape[d], v[3] = { 0, 0, 1 };
	int have[3] = { 0, 0, 0 }, part = 0;
	const char *p = s;

	for (;;) {
		int r = parse_int(&p, &v[part]);
		if (r < 0)
			return ck_error(err, CK_EUSAGE, "bad number in index '%.*s'", (int)(end - s), s);
		have[part] = r;
		if (p < end && *p == ':' && part < 2) {
			part++;
			p++;
			continue;
		}
		break;
	}
	while (p < end && isspace((unsigned char)*p))
		p++;
	if (p != end)
		return ck_error(err, CK_EUSAGE, "cannot read index '%.*s' (use i, start:stop or "
				"start:stop:step)", (int)(end - s), s);
	if (part == 0) {
		int64_t i = v[0];
		if (!have[0])
			return ck_error(err, CK_EUSAGE, "empty index for dimension %d", d);
		if (i < -n || i >= n)
			return ck_error(err, CK_EUSAGE, "index %lld is out of bounds for dimension %d "
					"of size %lld", (long long)i, d, (long long)n);
		set_range(w, d, i < 0 ? i + n : i, 1, 1);
		w->drop[d] = 1;
		return 0;
	}
	{
		/* Python's slice.indices(n) */
		int64_t step = have[2] ? v[2] : 1, start, stop, count;
		if (step == 0)
			return ck_error(err, CK_EUSAGE, "slice step cannot be zero");
		if (!have[0])
			start = step < 0 ? n - 1 : 0;
		else {
			start = v[0] < 0 ? v[0] + n : v[0];
			if (start < 0)
				start = step < 0 ? -1 : 0;
			if (start >= n)
				start = step < 0 ? n - 1 : n;
		}
		if (!have[1])
			stop = step < 0 ? -1 : n;
		else {
			stop = v[1] < 0 ? v[1] + n : v[1];
			if (stop < 0)
				stop = step < 0 ? -1 : 0;
			if (stop >= n)
				stop = step < 0 ? n - 1 : n;
		}
		if (step > 0)
			count = stop > start ? (stop - start + step - 1) / step : 0;
		else
			count = start > stop ? (start - stop - step - 1) / -step : 0;
		set_range(w, d, start, step, count);
	}
	return 0;
}

int window_parse(struct window *w, const char *expr, const int64_t *dims, int rank,
		 struct ck_err *err)
{
	const char *p = expr, *end = expr + strlen(expr);
	const char *items[256 + 2], *ends[256 + 2];
	int nitems = 0, ellipsis = -1, rc = 0;

	window_all(w, dims, rank);
	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (p < end && *p == '[') {
		if (end[-1] != ']')
			return ck_error(err, CK_EUSAGE, "index '%s' lacks its closing ']'", expr);
		p++;
		end--;
	}
	/* An empty expression ("[]" or "") selects everything, as a[()] does. */
	for (const char *q = p; q < end;) {
		const char *c = memchr(q, ',', (size_t)(end - q));
		const char *e = c ? c : end;
		if (nitems == 256)
			return ck_error(err, CK_EUSAGE, "too many indices");
		items[nitems] = q;
		ends[nitems] = e;
		{
			const char *a = q, *z = e;
			while (a < z && isspace((unsigned char)*a))
				a++;
			while (z > a && isspace((unsigned char)z[-1]))
				z--;
			if (z - a == 3 && !memcmp(a, "...", 3)) {
				if (ellipsis >= 0)
					return ck_error(err, CK_EUSAGE, "index '%s' has more than one '...'", expr);
				ellipsis = nitems;
			}
		}
		nitems++;
		q = c ? c + 1 : end;
		if (c && q == end)  /* a trailing comma, as in "[1,]" */
			break;
	}
	if (nitems - (ellipsis >= 0) > rank)
		return ck_error(err, CK_EUSAGE, "too many indices for a tensor of rank %d: '%s'", rank,
				expr);
	for (int i = 0, d = 0; i < nitems && !rc; i++) {
		if (i == ellipsis) {
			d += rank - (nitems - 1);
			continue;
		}
		rc = parse_item(w, d++, items[i], ends[i], err);
	}
	return rc;
}

/* ---- reading ---------------------------------------------------------------------- */

/* Calls fn for each run of consecutive source elements, in output order. */
static int each_run(const struct window *w, int (*fn)(void *ctx, uint64_t first, uint64_t n),
		    void *ctx)
{
	int r = w->rank, last = r - 1;
	int64_t *pos;
	uint64_t *stride;
	int rc = 0;

	if (window_count(w) == 0)
		return 0;
	if (r == 0)
		return fn(ctx, 0, 1);
	pos = xcalloc((size_t)r, sizeof(int64_t));
	stride = xcalloc((size_t)r, sizeof(uint64_t));
	stride[last] = 1;
	for (int d = last - 1; d >= 0; d--)
		stride[d] = stride[d + 1] * (uint64_t)w->shape[d + 1];
	for (;;) {
		uint64_t base = 0;
		for (int d = 0; d < last; d++)
			base += (uint64_t)window_index(w, d, pos[d]) * stride[d];
		for (int i = 0; i < 2 && !rc; i++) {
			const struct window_run *run = &w->runs[last][i];
			if (run->step == 1 && run->count > 0) {
				rc = fn(ctx, base + (uint64_t)run->start, (uint64_t)run->count);
				continue;
			}
			for (int64_t k = 0; k < run->count && !rc; k++)
				rc = fn(ctx, base + (uint64_t)(run->start + k * run->step), 1);
		}
		if (rc)
			break;
		{
			int d = last - 1;
			while (d >= 0 && ++pos[d] == w->n[d])
				pos[d--] = 0;
			if (d < 0)
				break;
		}
	}
	free(pos);
	free(stride);
	return rc;
}

struct run {
	uint64_t first, n, dst;
};

struct reader {
	struct bundle *b;
	const struct bundle_entry *e;
	struct ck_err *err;
	uint8_t *out;
	uint64_t width, done;       /* elements written so far */
	struct run *runs;
	size_t nruns, cap;
	uint64_t lo, hi;            /* span of the pending runs, in elements */
	struct buf tmp;
};

static int flush(struct reader *r)
{
	int rc = 0;

	if (!r->nruns)
		return 0;
	if (r->nruns == 1) {
		rc = tensor_read_range(r->b, r->e, r->runs[0].first, r->runs[0].n,
				       r->out + r->runs[0].dst * r->width, r->err);
	} else {
		buf_reset(&r->tmp);
		buf_grow(&r->tmp, (size_t)((r->hi - r->lo) * r->width));
		rc = tensor_read_range(r->b, r->e, r->lo, r->hi - r->lo, r->tmp.p, r->err);
		for (size_t i = 0; i < r->nruns && !rc; i++)
			memcpy(r->out + r->runs[i].dst * r->width,
			       r->tmp.p + (r->runs[i].first - r->lo) * r->width,
			       (size_t)(r->runs[i].n * r->width));
	}
	r->nruns = 0;
	return rc;
}

static int add_run(void *ctx, uint64_t first, uint64_t n)
{
	struct reader *r = ctx;

	if (r->nruns && !(first >= r->hi && (first - r->hi) * r->width <= GAP_BYTES &&
			  (first + n - r->lo) * r->width <= SPAN_BYTES)) {
		int rc = flush(r);
		if (rc < 0)
			return rc;
	}
	if (!r->nruns)
		r->lo = first;
	if (r->nruns == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		r->runs = xreallocarray(r->runs, r->cap, sizeof(*r->runs));
	}
	r->runs[r->nruns++] = (struct run){ first, n, r->done };
	r->hi = first + n;
	r->done += n;
	return 0;
}

int window_read(struct bundle *b, const struct bundle_entry *e, const struct window *w,
		void *out, struct ck_err *err)
{
	const struct dtype_info *d = dtype_info(e->dtype);
	struct reader r = { b, e, err, out, d && d->size ? (uint64_t)d->size : 1, 0, NULL, 0, 0,
			    0, 0, BUF_INIT };
	int rc = each_run(w, add_run, &r);

	if (!rc)
		rc = flush(&r);
	free(r.runs);
	buf_release(&r.tmp);
	return rc < 0 ? rc : 0;
}

struct gather {
	const struct strtab *t;
	const uint8_t **p;
	size_t *len;
	uint64_t done;
};

static int gather_run(void *ctx, uint64_t first, uint64_t n)
{
	struct gather *g = ctx;

	for (uint64_t i = 0; i < n; i++, g->done++) {
		g->p[g->done] = g->t->p[first + i];
		g->len[g->done] = g->t->len[first + i];
	}
	return 0;
}

void window_strings(const struct window *w, const struct strtab *t, const uint8_t **p,
		    size_t *len)
{
	struct gather g = { t, p, len, 0 };
	each_run(w, gather_run, &g);
}
