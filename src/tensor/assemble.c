/* Element reads of regular and partitioned tensors (doc/FORMAT.md §7.4). */
#include "tensor/assemble.h"

#include <stdlib.h>
#include <string.h>

#include "format/dtype.h"
#include "format/slicekey.h"

#define MAX_RANK 255

const struct bundle_entry *slice_entry(const struct bundle *b, const struct bundle_entry *e,
				       size_t s, int64_t *ext)
{
	const int64_t *raw = e->slices + s * (size_t)e->rank * 2;
	const struct bundle_entry *se;
	struct buf key = BUF_INIT;

	for (int d = 0; d < e->rank; d++) {
		ext[2 * d] = raw[2 * d];
		ext[2 * d + 1] = raw[2 * d + 1] < 0 ? e->dims[d] - raw[2 * d] : raw[2 * d + 1];
	}
	slice_key(&key, e->name, e->name_len, e->rank, raw);
	se = bundle_find(b, key.p, key.len);
	buf_release(&key);
	return se;
}

static int overlap(const int64_t *a, const int64_t *b, int rank)
{
	for (int d = 0; d < rank; d++)
		if (a[2 * d] + a[2 * d + 1] <= b[2 * d] || b[2 * d] + b[2 * d + 1] <= a[2 * d])
			return 0;
	return 1;
}

int partition_check(const struct bundle *b, const struct bundle_entry *e, struct ck_err *err)
{
	struct buf tmp = BUF_INIT;
	int64_t *ext;
	uint64_t total = 0;
	int rc = 0;

	if (!e->nslices)
		return 0;
	ext = xcalloc(e->nslices * (size_t)(e->rank + 1) * 2, sizeof(int64_t));
	for (size_t s = 0; s < e->nslices && !rc; s++) {
		int64_t *x = ext + s * (size_t)e->rank * 2;
		const struct bundle_entry *se = slice_entry(b, e, s, x);
		uint64_t n = 1;
		if (!se) {
			rc = ck_error(err, CK_ECORRUPT, "%s: partitioned tensor \"%s\": slice %zu of %zu "
				      "is not in the index", b->index_path, name_msg(&tmp, e->name, e->name_len),
				      s + 1, e->nslices);
			break;
		}
		if (se->dtype != e->dtype) {
			rc = ck_error(err, CK_ECORRUPT, "%s: partitioned tensor \"%s\": slice %zu is %s, "
				      "the tensor %s", b->index_path, name_msg(&tmp, e->name, e->name_len),
				      s + 1, dtype_name(se->dtype), dtype_name(e->dtype));
			break;
		}
		for (int d = 0; d < e->rank; d++)
			n *= (uint64_t)x[2 * d + 1];
		if (se->rank != e->rank || se->nslices) {
			rc = -1;
		} else {
			for (int d = 0; d < e->rank; d++)
				if (se->dims[d] != x[2 * d + 1])
					rc = -1;
		}
		if (rc) {
			rc = ck_error(err, CK_ECORRUPT, "%s: partitioned tensor \"%s\": slice %zu is stored "
				      "with a shape that does not match its extent", b->index_path,
				      name_msg(&tmp, e->name, e->name_len), s + 1);
			break;
		}
		total += n;  /* each n <= elements, and at most 2^32 slices: no overflow */
		for (size_t t = 0; t < s; t++)
			if (n && overlap(x, ext + t * (size_t)e->rank * 2, e->rank)) {
				rc = ck_error(err, CK_ECORRUPT, "%s: partitioned tensor \"%s\": slices %zu "
					      "and %zu overlap", b->index_path,
					      name_msg(&tmp, e->name, e->name_len), t + 1, s + 1);
				break;
			}
	}
	if (!rc && total != e->elements)
		rc = ck_error(err, CK_ECORRUPT, "%s: partitioned tensor \"%s\": its %zu slices hold "
			      "%llu of its %llu elements", b->index_path, name_msg(&tmp, e->name, e->name_len),
			      e->nslices, (unsigned long long)total, (unsigned long long)e->elements);
	free(ext);
	buf_release(&tmp);
	return rc;
}

int tensor_verify(struct bundle *b, const struct bundle_entry *e, struct ck_err *err)
{
	int64_t ext[2 * MAX_RANK];
	int rc;

	if (!e->nslices)
		return bundle_verify(b, e, err);
	rc = partition_check(b, e, err);
	for (size_t s = 0; s < e->nslices && !rc; s++) {
		rc = bundle_verify(b, slice_entry(b, e, s, ext), err);
		if (rc < 0) {
			struct buf tmp = BUF_INIT;
			ck_wrap(err, "partitioned tensor \"%s\", slice %zu of %zu",
				name_msg(&tmp, e->name, e->name_len), s + 1, e->nslices);
			buf_release(&tmp);
		}
	}
	return rc;
}

static int element_size(const struct bundle_entry *e, struct ck_err *err)
{
	const struct dtype_info *d = dtype_info(e->dtype);

	if (!d || !d->size || d->kind == DK_STRING || d->kind == DK_OPAQUE)
		return ck_error(err, CK_EUNSUP, "%s tensors have no fixed-size elements",
				dtype_name(e->dtype));
	return d->size;
}

/* One run of a partitioned read: the slice holding element coordinates c and how many
 * elements follow contiguously in both the full tensor and that slice's payload. */
static int partition_run(const struct bundle *b, const struct bundle_entry *e, const int64_t *c,
			 size_t *hint, const struct bundle_entry **se, uint64_t *local,
			 uint64_t *run, struct ck_err *err)
{
	int64_t ext[2 * MAX_RANK];
	int rank = e->rank;

	for (size_t k = 0; k < e->nslices; k++) {
		size_t s = (*hint + k) % e->nslices;
		int inside = 1, lead;
		uint64_t off = 0, block = 1, tail = 0;
		*se = slice_entry(b, e, s, ext);
		for (int d = 0; d < rank && inside; d++)
			inside = c[d] >= ext[2 * d] && c[d] < ext[2 * d] + ext[2 * d + 1];
		if (!inside)
			continue;
		if (!*se)
			break;
		*hint = s;
		for (int d = 0; d < rank; d++)
			off = off * (uint64_t)ext[2 * d + 1] + (uint64_t)(c[d] - ext[2 * d]);
		*local = off;
		/* Trailing dimensions the slice spans whole continue the run across rows. */
		lead = rank - 1;
		while (lead > 0 && ext[2 * lead] == 0 && ext[2 * lead + 1] == e->dims[lead])
			lead--;
		for (int d = rank - 1; d > lead; d--) {
			tail += (uint64_t)c[d] * block;
			block *= (uint64_t)e->dims[d];
		}
		*run = rank ? (uint64_t)(ext[2 * lead] + ext[2 * lead + 1] - c[lead]) * block - tail : 1;
		return 0;
	}
	{
		struct buf tmp = BUF_INIT;
		int rc = ck_error(err, CK_ECORRUPT, "%s: partitioned tensor \"%s\": no stored slice "
				  "holds some of its elements", b->index_path,
				  name_msg(&tmp, e->name, e->name_len));
		buf_release(&tmp);
		return rc;
	}
}

int tensor_read_range(struct bundle *b, const struct bundle_entry *e, uint64_t first,
		      uint64_t n, void *out, struct ck_err *err)
{
	int64_t c[MAX_RANK];
	uint8_t *o = out;
	size_t hint = 0;
	int w = element_size(e, err);

	if (w < 0)
		return w;
	if (first > e->elements || n > e->elements - first)
		return ck_error(err, CK_EUSAGE, "element range past the end of the tensor");
	if (!e->nslices)
		return bundle_pread(b, e, first * (uint64_t)w, out, (size_t)(n * (uint64_t)w), err);
	while (n) {
		const struct bundle_entry *se = NULL;
		uint64_t i = first, local = 0, run = 0;
		int rc;
		for (int d = e->rank - 1; d >= 0; d--) {
			c[d] = e->dims[d] ? (int64_t)(i % (uint64_t)e->dims[d]) : 0;
			i = e->dims[d] ? i / (uint64_t)e->dims[d] : 0;
		}
		rc = partition_run(b, e, c, &hint, &se, &local, &run, err);
		if (rc < 0)
			return rc;
		if (run > n)
			run = n;
		if (se->dtype != e->dtype || local + run > se->elements)
			return partition_check(b, e, err) < 0 ? -1
				: ck_error(err, CK_ECORRUPT, "inconsistent slice of a partitioned tensor");
		rc = bundle_pread(b, se, local * (uint64_t)w, o, (size_t)(run * (uint64_t)w), err);
		if (rc < 0)
			return rc;
		o += run * (uint64_t)w;
		first += run;
		n -= run;
	}
	return 0;
}

void swap_elements(int dtype, void *p, uint64_t n)
{
	const struct dtype_info *d = dtype_info(dtype);
	uint8_t *q = p;
	int w;

	if (!d || d->size < 2)
		return;
	w = d->size;
	if (d->kind == DK_COMPLEX) {
		w /= 2;
		n *= 2;
	}
	for (uint64_t i = 0; i < n; i++, q += w)
		for (int a = 0, z = w - 1; a < z; a++, z--) {
			uint8_t t = q[a];
			q[a] = q[z];
			q[z] = t;
		}
}

struct split_ctx {
	struct strtab *t;
	const struct bundle_entry *e;  /* full tensor */
	const int64_t *ext;            /* slice extents, NULL for a regular tensor */
	int rank;
};

static int put_string(void *ctx, uint64_t i, const uint8_t *s, size_t len)
{
	struct split_ctx *x = ctx;
	uint64_t at = i;

	if (x->ext) {  /* slice-local index -> full-tensor index */
		int64_t c[MAX_RANK];
		at = 0;
		for (int d = x->rank - 1; d >= 0; d--) {
			int64_t len_d = x->ext[2 * d + 1];
			c[d] = len_d ? (int64_t)(i % (uint64_t)len_d) + x->ext[2 * d] : 0;
			i = len_d ? i / (uint64_t)len_d : 0;
		}
		for (int d = 0; d < x->rank; d++)
			at = at * (uint64_t)x->e->dims[d] + (uint64_t)c[d];
	}
	if (at >= x->t->n)
		return 1;
	x->t->p[at] = s;
	x->t->len[at] = len;
	return 0;
}

int tensor_strings(struct bundle *b, const struct bundle_entry *e, struct strtab *t,
		   struct ck_err *err)
{
	int64_t ext[2 * MAX_RANK];
	size_t parts = e->nslices ? e->nslices : 1;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	if (e->dtype != DT_STRING)
		return ck_error(err, CK_EUSAGE, "not a string tensor");
	if (e->elements > SIZE_MAX / sizeof(size_t) / 2)
		return ck_error(err, CK_EUNSUP, "string tensor too large to hold in memory");
	rc = partition_check(b, e, err);
	if (rc < 0)
		return rc;
	for (size_t s = 0; s < parts; s++) {
		const struct bundle_entry *se = e->nslices ? slice_entry(b, e, s, ext) : e;
		if (!bundle_strings_fit(se->elements, se->size)) {
			struct buf tmp = BUF_INIT;
			rc = ck_error(err, CK_ECORRUPT, "%s: string tensor \"%s\": %llu bytes cannot "
				      "hold %llu strings", b->index_path, name_msg(&tmp, e->name, e->name_len),
				      (unsigned long long)se->size, (unsigned long long)se->elements);
			buf_release(&tmp);
			return rc;
		}
	}
	t->n = e->elements;
	t->p = xcalloc((size_t)t->n + 1, sizeof(*t->p));
	t->len = xcalloc((size_t)t->n + 1, sizeof(*t->len));
	t->bufs = xcalloc(parts, sizeof(*t->bufs));
	t->nbufs = parts;
	for (size_t s = 0; s < parts && !rc; s++) {
		const struct bundle_entry *se = e->nslices ? slice_entry(b, e, s, ext) : e;
		struct split_ctx x = { t, e, e->nslices ? ext : NULL, e->rank };
		rc = bundle_read(b, se, &t->bufs[s], err);
		if (!rc)
			rc = bundle_strings(t->bufs[s].p, t->bufs[s].len, se->elements, put_string, &x,
					    err);
		if (rc > 0)
			rc = ck_error(err, CK_ECORRUPT, "%s: string slice larger than its extent",
				      b->index_path);
	}
	if (rc < 0)
		strtab_release(t);
	return rc;
}

void strtab_release(struct strtab *t)
{
	for (size_t i = 0; i < t->nbufs; i++)
		buf_release(&t->bufs[i]);
	free(t->bufs);
	free(t->p);
	free(t->len);
	memset(t, 0, sizeof(*t));
}
