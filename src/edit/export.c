/* The export engine: a plan of the tensors to write to a .npz or safetensors file (export.h),
 * and each tensor streamed into it from the checkpoint, converted on the way (bfloat16 widened
 * for NumPy, strings as fixed-width bytes, mapping rules' casts, transposes and splits). */
#include "edit/export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/outguard.h"
#include "format/dtype.h"
#include "tensor/assemble.h"
#include "tensor/castconv.h"
#include "tensor/convert.h"
#include "tensor/fortran.h"
#include "tensor/npy.h"
#include "tensor/npz.h"
#include "tensor/safetensors.h"
#include "tensor/split.h"
#include "edit/matchset.h"
#include "edit/placed.h"
#include "edit/xform.h"

enum how { X_RAW, X_WIDEN, X_STRINGS };

#define CHUNK_BYTES (1u << 20)

/* Memory kept from tensor to tensor, grown as needed (scratch()). */
struct scratch_buf {
	uint8_t *p;
	uint64_t cap;
};

/* One tensor to write, and the state of streaming it. */
struct xtensor {
	struct bundle *b;
	const struct bundle_entry *e;  /* the source, as stored */
	const struct bundle_entry *o;  /* what is written: e, or ov after --rules */
	struct bundle_entry *ov;       /* --rules: the new name, dtype and shape (owned, with its
					* name and dims; on the heap, as sorting moves xtensors) */
	int perm[MAPRULES_MAX_RANK];   /* --rules: output axis k is source axis perm[k] */
	int transposed;
	int out_dtype;        /* dtype of the written elements (DT_STRING for '|S') */
	enum how how;
	size_t width;         /* X_STRINGS: bytes per element */
	struct buf head;      /* .npy header (npz only) */
	uint64_t size;        /* bytes written for this tensor, header included */
	/* streaming */
	uint64_t next;        /* next element */
	struct tensor_stream ts;
	struct strtab strs;
	struct buf pend;      /* produced, not yet delivered */
	size_t pend_off;
	uint8_t *raw;
	double *dbl;
	uint8_t *cast;        /* elements after a --rules cast */
	int tfd;              /* transposed: the elements in output order, in a temporary file */
	uint8_t *tmem;        /* ... or in memory */
	const uint8_t *tin;   /* ... or a 2-D source whole in memory, transposed as read */
	uint64_t src_next;    /* elements of the source read into the transpose */
	/* --rules split: this tensor is part `part` of `nparts` of e along e's axis part_axis;
	 * sdims and selems describe what is read (e's own unless split) */
	int nparts, part, part_axis;
	int64_t sdims[MAPRULES_MAX_RANK];
	uint64_t selems;
	int by_range;         /* read with tensor_read_range (slices, parts), CRCs checked first */
};

/* A transpose that does not just reverse the axes is done in memory up to this size. */
#define PERMUTE_MEMORY (1ull << 30)

/* Elements [first, first + m) of what t reads: of e, or of its part, which along part_axis
 * is runs of the part's width (times the elements of the axes after it) spaced by e's. */
static int read_range(struct xtensor *t, uint64_t first, uint64_t m, uint8_t *p,
		      struct ck_err *err)
{
	size_t esize = (size_t)dtype_info(t->e->dtype)->size;
	uint64_t inner = 1, run, stride;

	if (!t->nparts)
		return tensor_read_range(t->b, t->e, first, m, p, err);
	for (int k = t->part_axis + 1; k < t->e->rank; k++)
		inner *= (uint64_t)t->e->dims[k];
	run = (uint64_t)t->sdims[t->part_axis] * inner;
	stride = (uint64_t)t->e->dims[t->part_axis] * inner;
	while (m) {
		uint64_t outer = first / run, off = first % run, k = run - off < m ? run - off : m;
		int rc = tensor_read_range(t->b, t->e, outer * stride + (uint64_t)t->part * run + off, k,
					   p, err);
		if (rc < 0)
			return rc;
		first += k;
		m -= k;
		p += k * esize;
	}
	return 0;
}

/* The source's bytes in order, as fortran_to_c reads them (whole elements of a slice at a time). */
static long long source_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct xtensor *t = ctx;
	size_t esize = (size_t)dtype_info(t->e->dtype)->size;
	uint64_t left = t->selems - t->src_next, m = n / esize;
	int rc;

	if (!t->by_range)
		return tensor_stream_read(&t->ts, p, n, err);
	if (m > left)
		m = left;
	if (!m)
		return left ? ck_error(err, CK_EIO, "transpose: a read smaller than an element") : 0;
	rc = read_range(t, t->src_next, m, p, err);
	if (rc < 0)
		return rc;
	t->src_next += m;
	return (long long)(m * esize);
}

/* The in-memory permutations reuse their buffers from tensor to tensor: fresh pages for every
 * tensor cost more than the permutation itself. */
static struct scratch_buf permute_in, permute_out;

/* In huge pages: filling 9 MB of fresh small pages cost 2,300 page faults, over 10 us each on
 * a virtual machine (util.h). */
static uint8_t *scratch(struct scratch_buf *s, uint64_t n)
{
	if (n + 1 > s->cap) {
		xfree_huge(s->p, s->cap);
		s->p = xmalloc_huge(n + 1);
		s->cap = n + 1;
	}
	return s->p;
}

static void scratch_free(struct scratch_buf *s)
{
	xfree_huge(s->p, s->cap);
	*s = (struct scratch_buf){ NULL, 0 };
}

static void scratch_release(void)
{
	scratch_free(&permute_in);
	scratch_free(&permute_out);
}

/* What t reads, whole, into in (bytes long): a payload on two cores, each chunk read into
 * place; slices and parts by range. */
static int read_whole(struct xtensor *t, uint8_t *in, uint64_t bytes, struct ck_err *err)
{
	if (!t->by_range)
		return split_read_into(t->b, t->e, in, err);
	for (uint64_t got = 0; got < bytes;) {
		long long k = source_read(t, in + got, (size_t)(bytes - got), err);
		if (k <= 0) {
			return k < 0 ? (int)k : ck_error(err, CK_ECORRUPT, "%s: tensor payload ends early",
							 t->b->index_path);
		}
		got += (uint64_t)k;
	}
	return 0;
}

/* Put the source's elements in output order: a reversal of the axes (numpy's .T, a dense
 * kernel's 1,0) of a tensor larger than FORTRAN_MEMORY streams through temporary files in
 * bounded memory (fortran.h); smaller tensors, and other permutations up to PERMUTE_MEMORY,
 * are read whole into memory. A dense kernel is then transposed piece by piece as it is
 * written, into the writer's own buffer (read_stored): a whole transposed copy, written out
 * of cache and read back, cost more than the transposing. Others are permuted at once. */
static int transpose_source(struct xtensor *t, struct ck_err *err)
{
	size_t esize = (size_t)dtype_info(t->e->dtype)->size;
	uint64_t bytes = t->selems * (uint64_t)esize;
	uint8_t *in;
	int rc;

	t->src_next = 0;
	if (bytes > FORTRAN_MEMORY && maprules_perm_reverses(t->perm, t->e->rank)) {
		int64_t rev[MAPRULES_MAX_RANK];
		for (int k = 0; k < t->e->rank; k++)  /* row-major (a0..ak) is column-major (ak..a0) */
			rev[k] = t->sdims[t->e->rank - 1 - k];
		return fortran_to_c(source_read, t, rev, t->e->rank, esize, FORTRAN_MEMORY, &t->tfd, err);
	}
	if (bytes > PERMUTE_MEMORY)
		return ck_error(err, CK_EUNSUP, "\"%.*s\": a transpose other than a reversal of all axes "
				"is done in memory, and this tensor has more than %llu bytes",
				(int)t->e->name_len, t->e->name, (unsigned long long)PERMUTE_MEMORY);
	in = scratch(&permute_in, bytes);
	if ((rc = read_whole(t, in, bytes, err)) < 0)
		return rc;
	if (t->e->rank == 2 && t->perm[0] == 1) {  /* a dense kernel: transposed as written */
		t->tin = in;
		return 0;
	}
	t->tmem = scratch(&permute_out, bytes);
	maprules_permute(in, t->tmem, t->sdims, t->e->rank, t->perm, esize);
	return 0;
}

static int x_open(void *ctx, struct ck_err *err)
{
	struct xtensor *t = ctx;
	int rc = 0;

	t->next = 0;
	t->pend_off = 0;
	buf_reset(&t->pend);
	buf_add(&t->pend, t->head.p, t->head.len);
	if (t->how == X_STRINGS)
		return tensor_strings(t->b, t->e, &t->strs, err);
	if (t->by_range)  /* read by position below: check every slice's CRC first */
		rc = tensor_verify(t->b, t->e, err);
	else
		rc = tensor_stream_open(&t->ts, t->b, t->e, err);
	if (rc == 0 && t->transposed)
		rc = transpose_source(t, err);
	if (rc < 0)
		return rc;
	/* produce() takes at most CHUNK_BYTES / 4 bytes a time, as read and as cast, and no more
	 * than the tensor's elements, at most 16 bytes wide (an export of 70000 small tensors
	 * allocated 1 MiB for each; the sanitizers' allocator mapped and poisoned every one) */
	{
		uint64_t most = CHUNK_BYTES / 4, elems = t->selems < most ? t->selems : most;
		size_t bytes = (size_t)(elems < most / 16 ? elems * 16 : most) + 16;
		t->raw = xmalloc(bytes);
		if (t->how == X_WIDEN)
			t->dbl = xmalloc((size_t)elems * sizeof(double) + 16);
		if (t->o->dtype != t->e->dtype)
			t->cast = xmalloc(bytes);
	}
	return 0;
}

static void x_close(void *ctx)
{
	struct xtensor *t = ctx;

	strtab_release(&t->strs);
	free(t->raw);
	free(t->dbl);
	free(t->cast);
	if (t->tfd >= 0)
		close(t->tfd);
	t->tfd = -1;
	t->raw = NULL;
	t->dbl = NULL;
	t->cast = NULL;
	t->tmem = NULL;
	t->tin = NULL;
	buf_release(&t->pend);
}

static int read_stored(struct xtensor *t, uint8_t *p, size_t m, struct ck_err *err)
{
	size_t esize = (size_t)dtype_info(t->e->dtype)->size;

	if (t->tin) {
		maprules_transpose_range(t->tin, (uint64_t)t->sdims[0], (uint64_t)t->sdims[1], t->next,
					 m, p, esize);
		return 0;
	}
	if (t->tmem) {
		memcpy(p, t->tmem + t->next * esize, m * esize);
		return 0;
	}
	if (t->tfd >= 0) {
		if (pread_full(t->tfd, p, m * esize, (off_t)(t->next * esize)) != (long long)(m * esize))
			return ck_error(err, CK_EIO, "transpose: reading the temporary file failed");
		return 0;
	}
	if (t->by_range)
		return read_range(t, t->next, m, p, err);
	if (m * esize >= SPLIT_MIN) {  /* a large piece: read and summed on two cores */
		long long got = split_stream_read(&t->ts, p, m * esize, err);
		if (got >= 0 && (size_t)got < m * esize)
			return ck_error(err, CK_ECORRUPT, "%s: tensor payload ends early",
					t->b->index_path);
		return got < 0 ? (int)got : 0;
	}
	return xform_read_exact(&t->ts, p, m * esize, err);
}

/* The next piece of the tensor's bytes, as written, into t->pend. */
static int produce(struct xtensor *t, struct ck_err *err)
{
	uint64_t left = t->selems - t->next;
	size_t esize, wide, m;
	int rc;

	buf_reset(&t->pend);
	t->pend_off = 0;
	if (!left)
		return 0;
	if (t->how == X_STRINGS) {
		for (; t->next < t->e->elements && t->pend.len < CHUNK_BYTES; t->next++) {
			size_t len = t->strs.len[t->next];
			buf_add(&t->pend, t->strs.p[t->next], len);
			for (; len < t->width; len++)
				buf_addc(&t->pend, 0);
		}
		return 0;
	}
	esize = (size_t)dtype_info(t->e->dtype)->size;
	/* as many elements as fit CHUNK_BYTES / 4 both as read and as cast (float8 to float64
	 * is 8 times wider: sized by the source alone, the cast overran its buffer) */
	wide = esize > (size_t)dtype_info(t->o->dtype)->size ? esize
							     : (size_t)dtype_info(t->o->dtype)->size;
	m = (size_t)(left < CHUNK_BYTES / 4 / wide ? left : CHUNK_BYTES / 4 / wide);
	if (!m)
		m = 1;
	rc = read_stored(t, t->raw, m, err);
	if (rc < 0)
		return rc;
	if (t->b->big_endian)
		swap_elements(t->e->dtype, t->raw, m);
	if (t->cast) {  /* --rules cast: at most CHUNK_BYTES / 4 bytes either way */
		cast_elements(t->e->dtype, t->raw, t->o->dtype, t->cast, m, NULL);
		memcpy(t->raw, t->cast, m * (size_t)dtype_info(t->o->dtype)->size);
		esize = (size_t)dtype_info(t->o->dtype)->size;
	}
	if (t->how == X_WIDEN) {  /* bfloat16 / float8 -> float32: every value is exact */
		elements_to_double(t->o->dtype, t->raw, m, t->dbl);
		buf_grow(&t->pend, m * 4);
		for (size_t k = 0; k < m; k++) {
			float f = (float)t->dbl[k];
			uint32_t bits;
			memcpy(&bits, &f, 4);
			put_fixed32(&t->pend, bits);
		}
	} else {
		buf_add(&t->pend, t->raw, m * esize);
	}
	t->next += m;
	return 0;
}

/* Elements as stored, read straight into the caller's buffer: no copy through pend. For
 * large reads only (safetensors asks for CHUNK_BYTES, the .npz writer for up to 1 MiB; the
 * tail of a small tensor is better served from pend than by a read each). */
#define DIRECT_MIN (64u << 10)

static long long read_direct(struct xtensor *t, void *p, size_t n, struct ck_err *err)
{
	size_t esize = (size_t)dtype_info(t->e->dtype)->size;
	uint64_t left = t->selems - t->next;
	size_t m = (size_t)(left < n / esize ? left : n / esize);
	int rc;

	if (!m)
		return 0;
	if ((rc = read_stored(t, p, m, err)) < 0)
		return rc;
	if (t->b->big_endian)
		swap_elements(t->e->dtype, p, m);
	t->next += m;
	return (long long)(m * esize);
}

static long long x_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct xtensor *t = ctx;
	size_t have;

	if (t->pend_off == t->pend.len && t->how == X_RAW && !t->cast && n >= DIRECT_MIN)
		return read_direct(t, p, n, err);
	if (t->pend_off == t->pend.len) {
		int rc = produce(t, err);
		if (rc < 0)
			return rc;
	}
	have = t->pend.len - t->pend_off;
	if (n > have)
		n = have;
	memcpy(p, t->pend.p + t->pend_off, n);
	t->pend_off += n;
	return (long long)n;
}

static int valid_utf8(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		int k = utf8_seq_len((const uint8_t *)s + i, n - i);
		if (!k)
			return 0;
		i += (size_t)k;
	}
	return 1;
}


static void note_change(struct exporter *x, int from, int to)
{
	for (size_t i = 0; i < x->nch; i++)
		if (x->ch[i].from == from && x->ch[i].to == to) {
			x->ch[i].n++;
			return;
		}
	x->ch = xreallocarray(x->ch, x->nch + 1, sizeof(*x->ch));
	x->ch[x->nch++] = (struct export_change){ from, to, 1 };
}

static void skip(struct exporter *x, const struct bundle_entry *e, const char *why)
{
	buf_add(&x->notes, "skipped \"", 9);
	buf_add_name_msg(&x->notes, e->name, e->name_len);
	buf_addf(&x->notes, "\": %s\n", why);
	x->nskipped++;
}

/* A string tensor for .npz: fixed-width bytes as wide as its longest element. src is the
 * stored tensor, e the tensor as written. */
static int plan_strings(struct exporter *x, struct bundle *b, const struct bundle_entry *src,
			const struct bundle_entry *e, struct xtensor *t, struct ck_err *err)
{
	struct strtab s;
	char descr[32];
	int lossy = 0, rc = tensor_strings(b, src, &s, err);

	if (rc < 0)
		return rc;
	t->width = 1;  /* numpy has no zero-width bytes type */
	for (uint64_t i = 0; i < s.n; i++) {
		if (s.len[i] > t->width)
			t->width = s.len[i];
		lossy |= s.len[i] && !s.p[i][s.len[i] - 1];
	}
	strtab_release(&s);
	if (lossy && !is_graph_key(e->name, e->name_len)) {
		buf_add(&x->notes, "\"", 1);
		buf_add_name_msg(&x->notes, e->name, e->name_len);
		buf_add(&x->notes, "\": strings ending in NUL bytes lose them in .npy\n", 49);
	}
	t->how = X_STRINGS;
	snprintf(descr, sizeof(descr), "|S%zu", t->width);
	npy_header(&t->head, descr, e->dims, e->rank);
	t->size = t->head.len + e->elements * (uint64_t)t->width;
	return 0;
}

/* Decide how e is written; 0 if it is, 1 if it is skipped (noted), < 0 on error. */
static int plan_tensor(struct exporter *x, struct bundle *b, const struct bundle_entry *src,
		       const struct maprules_out *mo, struct xtensor *t, struct ck_err *err)
{
	const struct bundle_entry *e = src;  /* from here on: the tensor as written */
	const struct dtype_info *d;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	t->b = b;
	t->e = src;
	t->tfd = -1;
	t->selems = src->elements;
	t->by_range = src->nslices != 0;
	for (int k = 0; k < src->rank && k < MAPRULES_MAX_RANK; k++)
		t->sdims[k] = src->dims[k];
	if (mo && mo->nparts) {
		t->nparts = mo->nparts;
		t->part = mo->want_part;
		t->part_axis = mo->part_axis;
		t->sdims[t->part_axis] /= mo->nparts;
		t->selems = src->elements / (uint64_t)mo->nparts;
		t->by_range = 1;
		if (!dtype_info(src->dtype)->size)
			return ck_error(err, CK_EUNSUP, "\"%.*s\": only tensors of numbers can be split",
					(int)src->name_len, src->name);
	}
	if (mo) {
		struct bundle_entry *ov = xmalloc(sizeof(*ov));
		*ov = *src;
		ov->name = xmemdup(mo->name.p, mo->name.len);
		ov->name_len = mo->name.len;
		ov->dtype = mo->dtype;
		ov->dims = xmemdup(mo->dims, sizeof(mo->dims[0]) * ((size_t)mo->rank + 1));
		ov->elements = t->selems;
		t->ov = ov;
		e = ov;
		t->transposed = mo->transposed;
		memcpy(t->perm, mo->perm, sizeof(t->perm));
		if (t->transposed && !dtype_info(src->dtype)->size)
			return ck_error(err, CK_EUNSUP, "\"%.*s\": only tensors of numbers can be transposed",
					(int)src->name_len, src->name);
	}
	t->o = e;
	d = dtype_info(e->dtype);
	t->out_dtype = e->dtype;
	if (x->safetensors && memchr(e->name, 0, e->name_len)) {
		skip(x, e, "names with NUL bytes cannot be stored");
		return 1;
	}
	if (!x->safetensors) {  /* never a cut member name: the tensor would come back renamed */
		struct buf m = BUF_INIT;
		npz_member_name(&m, e->name, e->name_len);
		if (m.len > NPZ_MAX_MEMBER) {
			struct buf shown = BUF_INIT;
			buf_add_name_msg(&shown, e->name, e->name_len);
			rc = ck_error(err, CK_EUNSUP, "tensor \"%s\" (%zu bytes): its .npz member name "
				      "would take %zu bytes, more than the %u of a zip entry name (use "
				      "--exclude, or --safetensors)", (const char *)shown.p, e->name_len,
				      m.len, NPZ_MAX_MEMBER);
			buf_release(&shown);
		}
		buf_release(&m);
		if (rc < 0)
			return rc;
	}
	if (!d || !d->size) {
		if (e->dtype != DT_STRING || x->safetensors) {
			skip(x, e, x->safetensors ? "safetensors has no string type"
					 : "resource and variant tensors hold no array");
			return 1;
		}
	}
	if (x->safetensors) {
		int same;
		if (!valid_utf8(e->name, e->name_len)) {
			skip(x, e, "safetensors names must be UTF-8");
			return 1;
		}
		if (!safetensors_dtype(e->dtype, &same)) {
			skip(x, e, d->kind == DK_COMPLEX ? "safetensors has no complex type"
						  : "safetensors has no such float8 type");
			return 1;
		}
		if (!same)
			note_change(x, e->dtype, safetensors_dtype_id(safetensors_dtype(e->dtype, &same)));
		t->size = e->elements * (uint64_t)d->size;
		return 0;
	}
	if (e->dtype == DT_STRING)
		return plan_strings(x, b, src, e, t, err);
	{
		int widen;
		const char *descr = npy_descr(e->dtype, &widen);
		if (!descr) {
			skip(x, e, "NumPy has no such type");
			return 1;
		}
		npy_header(&t->head, descr, e->dims, e->rank);
		if (widen) {
			t->how = X_WIDEN;
			t->out_dtype = DT_FLOAT;
			note_change(x, e->dtype, DT_FLOAT);
		} else if (d->kind == DK_QUANT || e->dtype == DT_INT4 || e->dtype == DT_UINT4 ||
			   e->dtype == DT_INT2 || e->dtype == DT_UINT2) {
			note_change(x, e->dtype, e->dtype == DT_QINT8 || e->dtype == DT_INT4 ||
					 e->dtype == DT_INT2 ? DT_INT8 : e->dtype == DT_QINT16 ? DT_INT16 :
					 e->dtype == DT_QINT32 ? DT_INT32 : e->dtype == DT_QUINT16 ?
					 DT_UINT16 : DT_UINT8);
		}
		t->size = t->head.len + e->elements * (uint64_t)(widen ? 4 : d->size);
	}
	return 0;
}

/* safetensors: widest elements first, so that every tensor starts aligned to its size. */
static int cmp_align(const void *a, const void *b)
{
	const struct xtensor *x = a, *y = b;
	int sx = dtype_info(x->o->dtype)->size, sy = dtype_info(y->o->dtype)->size;

	if (sx != sy)
		return sx > sy ? -1 : 1;
	return x->e < y->e ? -1 : x->e > y->e;
}

/* safetensors: the tensors placed_write does not take (conversions, slices and parts, large
 * or other transposes) are streamed one by one, each chunk written on a second thread
 * (outfile_write_bg) while the next is read, converted or transposed on this one (and the
 * helper), two chunks taking turns. */
struct st_out {
	struct outfile of;
	struct scratch_buf chunk[2];
};

/* The chunk that is not being written. */
static uint8_t *free_chunk(struct st_out *w)
{
	const void *busy = outfile_in_flight(&w->of);

	return scratch(&w->chunk[busy && busy == w->chunk[0].p], CHUNK_BYTES);
}

static int write_tensor(struct st_out *w, struct xtensor *t, struct ck_err *err)
{
	uint64_t left = t->size;
	int rc = x_open(t, err);

	/* a transpose's output is copied into chunks too: the kernel's own copy from 9 MB of
	 * memory not in cache took twice as long as a chunk in cache and the copy into it */
	while (!rc && left) {
		uint8_t *chunk = free_chunk(w);
		long long got = x_read(t, chunk, left < CHUNK_BYTES ? (size_t)left : CHUNK_BYTES, err);
		if (got <= 0) {
			rc = got < 0 ? (int)got : ck_error(err, CK_EIO, "tensor data ended early");
			break;
		}
		rc = outfile_write_bg(&w->of, chunk, (size_t)got, err);
		left -= (uint64_t)got;
	}
	x_close(t);
	return rc;
}

/* A tensor placed_write can take: read as stored, cast or not, no other change but a 2-D
 * transpose of at most FORTRAN_MEMORY bytes (a larger one streams through temporary files),
 * its bytes after the .npy header (if any) as many as planned. */
static int placeable(const struct xtensor *t)
{
	const struct dtype_info *d = dtype_info(t->e->dtype), *od = dtype_info(t->o->dtype);

	if (t->how != X_RAW || t->by_range || t->b->big_endian || t->b->format != 2 || !d ||
	    !d->size || !od || !od->size || t->e->size != t->e->elements * (uint64_t)d->size ||
	    t->size - t->head.len != t->e->elements * (uint64_t)od->size)
		return 0;
	if (t->o->dtype != t->e->dtype && (!cast_is_float(t->e->dtype) || !cast_is_float(t->o->dtype)))
		return 0;
	if (!t->transposed)
		return 1;
	return t->e->rank == 2 && t->perm[0] == 1 && t->e->size <= FORTRAN_MEMORY;
}

/* The tensors marked in take[], each at byte at[i] of fd (path: for messages), on two cores;
 * zip: each one's CRC-32 as written into zip[i] (a .npz member's). */
static int write_placed(struct exporter *x, const char *take, const uint64_t *at, int fd,
			const char *path, uint32_t *zip, struct ck_err *err)
{
	struct placed *p = xcalloc(x->n + 1, sizeof(*p));
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < x->n; i++) {
		const struct xtensor *t = &x->t[i];
		if (!take[i])
			continue;
		p[n++] = (struct placed){ .b = t->b, .e = t->e, .at = at[i], .dtype = t->o->dtype,
					  .rows = t->transposed ? (uint64_t)t->sdims[0] : 0,
					  .cols = t->transposed ? (uint64_t)t->sdims[1] : 0,
					  .zip = zip != NULL };
	}
	rc = placed_write(p, n, fd, path, err);
	for (size_t i = 0, k = 0; zip && rc == 0 && i < x->n; i++)
		if (take[i])
			zip[i] = p[k++].crc32;
	free(p);
	return rc;
}

static int write_safetensors(struct exporter *x, const struct export_opts *o, struct ck_err *err)
{
	struct st_out w = { .of = OUTFILE_INIT };
	struct st_tensor *st = xcalloc(x->n + 1, sizeof(*st));
	uint64_t *off;
	char *take;
	struct buf head = BUF_INIT;
	int rc;

	sort_array(x->t, x->n, sizeof(*x->t), cmp_align);
	for (size_t i = 0; i < x->n; i++) {
		const struct bundle_entry *e = x->t[i].o;
		int same;
		st[i].name = xmemdup(e->name, e->name_len);
		st[i].dtype = safetensors_dtype_id(safetensors_dtype(e->dtype, &same));
		st[i].rank = e->rank;
		st[i].dims = e->dims;
	}
	safetensors_header(&head, st, x->n);
	take = xcalloc(x->n + 1, 1);
	off = xcalloc(x->n + 1, sizeof(*off));
	for (size_t i = 0; i < x->n; i++) {
		off[i] = (i ? off[i - 1] + x->t[i - 1].size : head.len);
		take[i] = (char)placeable(&x->t[i]);
	}
	rc = outfile_create(&w.of, o->out, o->force, err);
	w.of.no_sync = o->no_sync;
	if (rc == 0)
		rc = outfile_write(&w.of, head.p, head.len, err);
	if (rc == 0)
		rc = write_placed(x, take, off, w.of.f.fd, w.of.f.path, NULL, err);
	for (size_t i = 0; i < x->n && !rc; i++) {  /* the rest, streamed one by one */
		if (take[i])
			continue;
		if ((rc = outfile_drain(&w.of, err)) < 0)
			break;
		if (lseek(w.of.f.fd, (off_t)off[i], SEEK_SET) < 0)
			rc = ck_syserr(err, errno, "%s", w.of.f.path);
		else
			rc = write_tensor(&w, &x->t[i], err);
	}
	if (rc == 0)
		rc = outfile_commit(&w.of, err);
	outfile_abort(&w.of);
	scratch_free(&w.chunk[0]);
	scratch_free(&w.chunk[1]);
	for (size_t i = 0; i < x->n; i++)
		free(st[i].name);
	free(st);
	free(take);
	free(off);
	buf_release(&head);
	return rc;
}

/* A stored archive's members that placed_write can take are holes (npz.h) that it fills on
 * two cores, their CRC-32s summed as written; the others are streamed one by one. A hole
 * costs a write of what is buffered before it and a patch of its header after: only members
 * of HOLE_MIN bytes or more are made holes (an export of 70,000 small tensors took 70,000
 * writes and 140,000 patches where streaming took 30 writes). */
#define HOLE_MIN (1u << 20)

static int fill_holes(struct exporter *x, struct npz_writer *w, const char *take,
		      struct ck_err *err)
{
	uint64_t *at = xcalloc(x->n + 1, sizeof(*at));
	uint32_t *zip = xcalloc(x->n + 1, sizeof(*zip));
	const char *path;
	int fd = npz_writer_file(w, &path);
	int rc = npz_writer_lay(w, err);

	for (size_t i = 0; i < x->n; i++)
		at[i] = take[i] ? npz_writer_hole_at(w, i) : 0;
	if (rc == 0)
		rc = write_placed(x, take, at, fd, path, zip, err);
	for (size_t i = 0; rc == 0 && i < x->n; i++)
		if (take[i])
			npz_writer_fill(w, i, zip[i]);
	free(at);
	free(zip);
	return rc;
}

static int write_npz(struct exporter *x, const struct export_opts *o, struct ck_err *err)
{
	struct npz_writer *w = NULL;
	char *take = xcalloc(x->n + 1, 1);
	int rc = npz_writer_open(&w, o->out, o->force, o->compress, err), holes = 0;

	if (rc == 0 && o->no_sync)
		npz_writer_no_sync(w);

	for (size_t i = 0; i < x->n && !rc; i++) {
		struct xtensor *t = &x->t[i];
		struct npz_source src = { x_open, x_read, x_close, t };
		struct buf member = BUF_INIT;
		npz_member_name(&member, t->o->name, t->o->name_len);
		take[i] = (char)(!o->compress && t->size >= HOLE_MIN && placeable(t));
		holes |= take[i];
		rc = take[i] ? npz_writer_add_hole(w, (const char *)member.p, t->size, t->head.p,
						    t->head.len, err)
			     : npz_writer_add(w, (const char *)member.p, t->size, &src, err);
		buf_release(&member);
	}
	if (rc == 0 && holes)
		rc = fill_holes(x, w, take, err);
	free(take);
	if (rc < 0) {
		npz_writer_abort(w);
		return rc;
	}
	return npz_writer_finish(w, err);
}

static void add_shape(struct buf *b, int dtype, const int64_t *dims, int rank)
{
	buf_addf(b, "%s[", dtype_name(dtype));
	for (int k = 0; k < rank; k++)
		buf_addf(b, "%s%lld", k ? "," : "", (long long)dims[k]);
	buf_addc(b, ']');
}


static void table_line(struct export_mapping *mp, const struct bundle_entry *e,
		       const struct maprules_out *o)
{
	buf_add_name_msg(&mp->table, e->name, e->name_len);
	buf_addc(&mp->table, ' ');
	add_shape(&mp->table, e->dtype, e->dims, e->rank);
	buf_add(&mp->table, " -> ", 4);
	if (o->dropped) {
		buf_add(&mp->table, "(dropped)\n", 10);
		return;
	}
	buf_add_name_msg(&mp->table, o->name.p, o->name.len);
	buf_addc(&mp->table, ' ');
	add_shape(&mp->table, o->dtype, o->dims, o->rank);
	if (o->nparts)
		buf_addf(&mp->table, " (part %d of %d)", o->want_part + 1, o->nparts);
	if (o->transposed)
		buf_add(&mp->table, " (transposed)", 13);
	if (!o->accounted)
		buf_add(&mp->table, " (no rule)", 10);
	buf_addc(&mp->table, '\n');
}


static void problem(struct export_mapping *mp, int fatal, const char *fmt, const char *name, size_t len)
{
	struct buf shown = BUF_INIT;

	mp->nproblems++;
	mp->nfatal += fatal;
	if (mp->nproblems > EXPORT_MAX_PROBLEMS_SHOWN)  /* the count says how many more */
		return;
	if (name) {  /* fmt holds one %s: the tensor's name, escaped for a message */
		buf_add_name_msg(&shown, name, len);
		buf_addf(&mp->problems, fmt, (const char *)shown.p);
	} else {     /* fmt is the line as it is */
		buf_add(&mp->problems, fmt, strlen(fmt));
	}
	buf_addc(&mp->problems, '\n');
	buf_release(&shown);
}

/* Names the rules give more than one tensor (always an error: one would hide the other). */
static int cmp_oname(const void *a, const void *b)
{
	const struct xtensor *x = a, *y = b;
	size_t n = x->o->name_len < y->o->name_len ? x->o->name_len : y->o->name_len;
	int c = memcmp(x->o->name, y->o->name, n);

	return c ? c : (x->o->name_len > y->o->name_len) - (x->o->name_len < y->o->name_len);
}

static void check_duplicates(struct export_mapping *mp, struct exporter *x)
{
	sort_array(x->t, x->n, sizeof(*x->t), cmp_oname);
	for (size_t i = 1; i < x->n; i++)
		if (!cmp_oname(&x->t[i - 1], &x->t[i]))
			problem(mp, 1, "two tensors would be named \"%s\"", x->t[i].o->name,
				x->t[i].o->name_len);
}

/* --check-against: exactly the target's names, each with its shape. */
static int check_against(struct export_mapping *mp, struct exporter *x, struct ck_err *err)
{
	struct matchset tgt = { 0 };
	unsigned char *seen;
	int rc = matchset_open_target(&tgt, mp->check, err);

	if (rc < 0)
		return rc;
	seen = xcalloc(tgt.n + 1, 1);
	for (size_t i = 0; i < x->n; i++) {
		const struct bundle_entry *o = x->t[i].o;
		size_t j;
		for (j = 0; j < tgt.n; j++)
			if (tgt.items[j].len == o->name_len && !memcmp(tgt.items[j].name, o->name, o->name_len))
				break;
		if (j == tgt.n) {
			problem(mp, 1, "\"%s\": not in the --check-against names", o->name, o->name_len);
			continue;
		}
		seen[j] = 1;
		if (tgt.items[j].rank >= 0 && (tgt.items[j].rank != o->rank ||
		    memcmp(tgt.items[j].dims, o->dims, sizeof(o->dims[0]) * (size_t)o->rank))) {
			struct buf f = BUF_INIT;
			buf_add(&f, "\"%s\": shape ", 12);
			add_shape(&f, o->dtype, o->dims, o->rank);
			buf_add(&f, ", expected [", 12);
			for (int k = 0; k < tgt.items[j].rank; k++)
				buf_addf(&f, "%s%lld", k ? "," : "", (long long)tgt.items[j].dims[k]);
			buf_addc(&f, ']');
			problem(mp, 1, (const char *)f.p, o->name, o->name_len);
			buf_release(&f);
		}
	}
	for (size_t j = 0; j < tgt.n; j++)
		if (!seen[j])
			problem(mp, 1, "\"%s\": expected by --check-against, not in the output",
				(const char *)tgt.items[j].name, tgt.items[j].len);
	free(seen);
	matchset_release(&tgt);
	return 0;
}

/* Room for n planned tensors in x->t, zeroed. */
static void reserve(struct exporter *x, size_t n)
{
	if (x->cap >= n)
		return;
	x->t = xreallocarray(x->t, n, sizeof(*x->t));
	memset(x->t + x->cap, 0, (n - x->cap) * sizeof(*x->t));
	x->cap = n;
}

/* One tensor (or part) as the rules left it: in the -n table, and planned unless dropped. */
static int plan_mapped_one(struct export_mapping *mp, struct exporter *x, struct bundle *b,
			   const struct bundle_entry *e, const struct maprules_out *o,
			   struct ck_err *err)
{
	int rc;

	table_line(mp, e, o);
	if (o->dropped)
		return 0;
	if (!o->accounted)
		problem(mp, mp->strict, "tensor \"%s\": no rule accounts for it", e->name, e->name_len);
	if (x->n + 1 >= x->cap)  /* splits make more tensors than the checkpoint has */
		reserve(x, x->cap * 2);
	rc = plan_tensor(x, b, e, o, &x->t[x->n], err);
	if (rc == 0) {
		x->bytes += x->t[x->n++].size;
		return 0;
	}
	if (x->t[x->n].ov) {  /* skipped (noted) or refused: the next plan reuses the slot */
		free((void *)x->t[x->n].ov->name);
		free((void *)x->t[x->n].ov->dims);
		free(x->t[x->n].ov);
		x->t[x->n].ov = NULL;
	}
	buf_release(&x->t[x->n].head);
	return rc > 0 ? 0 : rc;
}

/* A split tensor: the rules again for each part. */
static int plan_parts(struct export_mapping *mp, struct exporter *x, struct bundle *b,
		      const struct bundle_entry *e, const struct match_item *it,
		      struct maprules_out *o, struct ck_err *err)
{
	int n = o->nparts, rc = 0;

	for (int k = 0; k < n && rc == 0; k++) {
		o->want_part = k;
		rc = maprules_apply(&mp->rules, e->name, e->name_len, it ? (const char *)it->full : NULL,
				    it ? it->full_len : 0, e->dtype, e->rank, e->dims, o, err);
		if (rc == 0)
			rc = plan_mapped_one(mp, x, b, e, o, err);
	}
	return rc;
}

int export_plan_mapped(struct export_mapping *mp, struct exporter *x, struct surg_input *in,
		       const struct namefilter *filter, struct ck_err *err)
{
	struct matchset ms = { 0 };
	struct maprules_out o;
	const struct match_item **item;
	struct bundle *b = in->b;
	size_t un[64], nun;
	int rc = 0;

	reserve(x, b->nentries + 2);
	matchset_from_input(&ms, in);
	item = xcalloc(b->nentries + 1, sizeof(*item));
	for (size_t i = 0; i < ms.n; i++)
		item[ms.entries[i] - b->entries] = &ms.items[i];
	maprules_out_init(&o);
	for (size_t k = 0; k < b->nentries && rc == 0; k++) {
		const struct bundle_entry *e = &b->entries[k];
		const struct match_item *it = item[k];
		size_t planned = x->n;
		if (e->is_slice || !namefilter_match(filter, e->name))
			continue;
		o.want_part = -1;
		rc = maprules_apply(&mp->rules, e->name, e->name_len, it ? (const char *)it->full : NULL,
				    it ? it->full_len : 0, e->dtype, e->rank, e->dims, &o, err);
		if (rc == 0 && o.nparts)  /* a split: each part is a tensor of its own */
			rc = plan_parts(mp, x, b, e, it, &o, err);
		else if (rc == 0)
			rc = plan_mapped_one(mp, x, b, e, &o, err);
		if (rc < 0)
			break;
		if (x->n > planned)  /* kept, whole or in parts: its data counts once, as stored */
			totals_add(&x->data, e);
	}
	if (rc == 0) {
		nun = maprules_unmatched(&mp->rules, un, 64);
		for (size_t i = 0; i < nun && i < 64; i++) {
			const struct maprule *u = &mp->rules.v[un[i]];
			struct buf f = BUF_INIT;  /* the rule as written, backslashes and all */
			buf_addf(&f, "%s: rule '%s' matches no tensor", u->where, u->text);
			problem(mp, mp->strict, (const char *)f.p, NULL, 0);
			buf_release(&f);
		}
		check_duplicates(mp, x);
		if (mp->check)
			rc = check_against(mp, x, err);
	}
	maprules_out_release(&o);
	free(item);
	matchset_release(&ms);
	return rc;
}

void export_notes(const struct exporter *x, struct buf *out)
{
	for (size_t i = 0; i < x->nch; i++) {
		const struct export_change *c = &x->ch[i];
		buf_addf(out, "%zu %s tensor%s written as %s", c->n, dtype_name(c->from),
			 c->n == 1 ? "" : "s", dtype_name(c->to));
		if (c->to == DT_FLOAT)
			buf_addf(out, " (NumPy has no %s; --safetensors keeps it)", dtype_name(c->from));
		buf_addc(out, '\n');
	}
	buf_add(out, x->notes.p, x->notes.len);
}

int export_plan(struct exporter *x, struct bundle *b, const struct namefilter *filter,
		struct ck_err *err)
{
	reserve(x, b->nentries + 1);
	for (size_t k = 0; k < b->nentries; k++) {
		const struct bundle_entry *e = &b->entries[k];
		int rc;
		if (e->is_slice || !namefilter_match(filter, e->name))
			continue;
		rc = plan_tensor(x, b, e, NULL, &x->t[x->n], err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			x->bytes += x->t[x->n++].size;
			totals_add(&x->data, e);
		}
	}
	return 0;
}

int export_write(struct exporter *x, const struct export_opts *o, struct ck_err *err)
{
	return x->safetensors ? write_safetensors(x, o, err) : write_npz(x, o, err);
}

void export_mapping_init(struct export_mapping *mp)
{
	memset(mp, 0, sizeof(*mp));
	maprules_init(&mp->rules);
}

void export_mapping_release(struct export_mapping *mp)
{
	maprules_release(&mp->rules);
	buf_release(&mp->table);
	buf_release(&mp->problems);
}

void exporter_release(struct exporter *x)
{
	for (size_t i = 0; i < x->n; i++) {
		buf_release(&x->t[i].head);
		if (x->t[i].ov) {
			free((void *)x->t[i].ov->name);
			free((void *)x->t[i].ov->dims);
			free(x->t[i].ov);
		}
	}
	free(x->t);
	free(x->ch);
	buf_release(&x->notes);
	scratch_release();
	memset(x, 0, sizeof(*x));
}
