/* Legacy V1 checkpoint reader (layout in v1.h). */
#include "format/v1.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "store/file.h"
#include "format/dtype.h"
#include "format/slicekey.h"
#include "format/table.h"
#include "saved_tensor_slice.pb-c.h"

#define MAX_FILES 100000
#define MAX_RANK 254

struct v1_part {
	int file;
	int key_rank;   /* extents in the stored slice proto: the rank its key was built with */
	int64_t *ext;   /* rank (start, length) pairs, length -1 = whole dimension */
};

struct v1_tensor {
	size_t nparts;
	struct v1_part *parts;
	char *problem;  /* why the slices cannot make up the tensor, or NULL */
};

struct v1_reader {
	int nfiles;
	char **paths;
	struct table **tables;
	struct v1_tensor *tensors;  /* parallel to b->entries */
	size_t ntensors;
	ptrdiff_t cur;              /* entry whose payload is in data, -1 for none */
	struct buf data;
};

/* A tensor while the tables of contents are gathered. */
struct rec {
	struct bundle_entry e;
	struct v1_tensor t;
};

static void tensor_release(struct v1_tensor *t)
{
	for (size_t i = 0; i < t->nparts; i++)
		free(t->parts[i].ext);
	free(t->parts);
	free(t->problem);
}

/* bundle_ops.release: the tables, the decoded tensor, and each entry's own parts. */
static void v1_release(struct bundle *b)
{
	struct v1_reader *r = b->reader;

	for (size_t i = 0; i < b->nentries; i++) {
		free(b->entries[i].name);
		free(b->entries[i].dims);
		free(b->entries[i].slices);
	}
	if (!r)
		return;
	for (int i = 0; i < r->nfiles; i++) {
		free(r->paths[i]);
		table_free(r->tables[i]);
	}
	free(r->paths);
	free(r->tables);
	for (size_t i = 0; i < r->ntensors; i++)
		tensor_release(&r->tensors[i]);
	free(r->tensors);
	buf_release(&r->data);
	free(r);
}

const char *v1_file_path(const struct bundle *b, int shard)
{
	const struct v1_reader *r = b->reader;
	return r && shard >= 0 && shard < r->nfiles ? r->paths[shard] : b->prefix;
}

static char *v1_file_path_copy(const struct bundle *b, int shard)
{
	return xstrdup(v1_file_path(b, shard));
}

static int v1_load(struct bundle *b, const struct bundle_entry *ce, struct ck_err *err);
static int v1_pread(struct bundle *b, const struct bundle_entry *e, uint64_t off, void *p,
		    size_t n, struct ck_err *err);

/* What bundle.c calls for a V1 bundle (bundle.h). */
static const struct bundle_ops v1_ops = { v1_load, v1_pread, v1_file_path_copy, v1_release };

/* ---- finding the files ------------------------------------------------------------- */

/* "P-00001-of-00004": 1 with the stem length, the index and count digits, else 0. */
static int shard_name(const char *path, size_t *stem, size_t *idx_at, size_t *of_at)
{
	regex_t re;
	regmatch_t m[3];
	int r = 0;

	if (regcomp(&re, "-([0-9]{5,})-of-([0-9]{5,})$", REG_EXTENDED))
		return 0;
	if (regexec(&re, path, 3, m, 0) == 0) {
		*stem = (size_t)m[0].rm_so;
		*idx_at = (size_t)m[1].rm_so;
		*of_at = (size_t)m[2].rm_so;
		r = 1;
	}
	regfree(&re);
	return r;
}

static int is_regular(const char *path)
{
	struct ck_stat st;
	return ck_store_stat(path, &st, NULL) == 0 && st.kind == CK_STORE_FILE;
}

/* Expand path to the sorted list of table files; *shown is the name the bundle is known by. */
static int find_files(const char *path, char ***out, int *nout, char **shown, struct ck_err *err)
{
	size_t stem, ia, oa;
	char *pattern = NULL;
	char **paths = NULL;
	size_t npaths = 0;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	*shown = NULL;
	if (is_regular(path)) {
		/* One shard of a set stands for the whole set. */
		if (shard_name(path, &stem, &ia, &oa) && strtol(path + oa, NULL, 10) > 1) {
			struct buf p = BUF_INIT;
			buf_add(&p, path, stem + 1);
			for (size_t i = ia; i < oa - 4; i++)
				buf_addc(&p, '?');
			buf_add(&p, path + oa - 4, strlen(path + oa - 4));
			pattern = buf_detach(&p, NULL);
		} else {
			*out = xcalloc(1, sizeof(char *));
			(*out)[0] = xstrdup(path);
			*nout = 1;
			*shown = xstrdup(path);
			return 0;
		}
	} else if (strpbrk(path, "*?[")) {
		pattern = xstrdup(path);
	} else {
		pattern = xasprintf("%s-\?\?\?\?\?-of-\?\?\?\?\?", path);
	}
	rc = ck_store_glob(pattern, &paths, &npaths, err);
	if (rc < 0)
		goto out;
	if (npaths == 0) {
		rc = ck_error(err, CK_ENOTFOUND, "%s: no such file", path);
		goto out;
	}
	if (npaths > MAX_FILES) {
		rc = ck_error(err, CK_EUNSUP, "%s: %zu files", pattern, (size_t)npaths);
		goto out;
	}
	/* A set of shards must be complete and only one set: every -NNNNN-of-M for one M. */
	{
		long of = -1;
		size_t nshard = 0;
		for (size_t i = 0; i < npaths; i++) {
			const char *f = paths[i];
			if (!shard_name(f, &stem, &ia, &oa))
				continue;
			nshard++;
			if (of >= 0 && strtol(f + oa, NULL, 10) != of) {
				rc = ck_error(err, CK_EUSAGE,
					      "%s: matches shards of different checkpoints (%s and %s); "
					      "name one shard", path, paths[0], f);
				goto out;
			}
			of = strtol(f + oa, NULL, 10);
		}
		if (nshard == npaths && of >= 0 && (long)nshard != of) {
			/* glob sorts, and equal-width indices sort numerically: find the gap. */
			long want = 0;
			for (size_t i = 0; i < npaths; i++, want++) {
				shard_name(paths[i], &stem, &ia, &oa);
				if (strtol(paths[i] + ia, NULL, 10) != want)
					break;
			}
			rc = ck_error(err, CK_ENOTFOUND,
				      "%s: shard %ld of %ld is missing (%zu of the %ld files are here)",
				      pattern, want + 1, of, nshard, of);
			goto out;
		}
		if (nshard == npaths && of >= 0) {
			/* Show the pattern TF itself stores: P-?????-of-00004. */
			const char *f = paths[0];
			shard_name(f, &stem, &ia, &oa);
			free(pattern);
			struct buf p = BUF_INIT;
			buf_add(&p, f, ia);
			for (size_t i = ia; i < oa - 4; i++)
				buf_addc(&p, '?');
			buf_add(&p, f + oa - 4, strlen(f + oa - 4));
			pattern = buf_detach(&p, NULL);
		}
	}
	*out = paths;
	*nout = (int)npaths;
	*shown = pattern;
	paths = NULL;
	npaths = 0;
	pattern = NULL;
out:
	ck_store_glob_free(paths, npaths);
	free(pattern);
	return rc;
}

/* ---- tables of contents ------------------------------------------------------------ */

static int extents_from_proto(const Tensorflow__TensorSliceProto *sl, const struct bundle_entry *e,
			      int64_t *ext)
{
	/* A rank-0 tensor's only slice has no extents. */
	if ((int)sl->n_extent != e->rank)
		return -1;
	for (int d = 0; d < e->rank; d++) {
		const Tensorflow__TensorSliceProto__Extent *x = sl->extent[d];
		if (x->has_length_case != TENSORFLOW__TENSOR_SLICE_PROTO__EXTENT__HAS_LENGTH_LENGTH) {
			ext[2 * d] = 0;
			ext[2 * d + 1] = -1;
			continue;
		}
		if (x->start < 0 || x->length < 0 || x->start > e->dims[d] ||
		    x->length > e->dims[d] - x->start)
			return -1;
		ext[2 * d] = x->start;
		ext[2 * d + 1] = x->length;
	}
	return 0;
}

static int parse_meta(const char *file, int fileno, const Tensorflow__SavedSliceMeta *m,
		      struct rec *rec, struct ck_err *err)
{
	const struct dtype_info *di = dtype_info(m->type);
	struct buf tmp = BUF_INIT;
	struct bundle_entry *e = &rec->e;
	int rc = 0;

	memset(rec, 0, sizeof(*rec));
	e->name = xmemdup(m->name.data, m->name.len);
	e->name_len = m->name.len;
	e->dtype = m->type;
	e->shard = fileno;
	if (!m->name.len) {
		rc = ck_error(err, CK_ECORRUPT, "%s: a tensor with an empty name", file);
		goto out;
	}
	if (!di || (!di->size && (int)m->type != DT_STRING)) {
		rc = ck_error(err, CK_EUNSUP, "%s: tensor \"%s\" has dtype %s, which V1 cannot hold",
			      file, name_msg(&tmp, m->name.data, m->name.len), dtype_name(m->type));
		goto out;
	}
	if (m->shape && (m->shape->unknown_rank || m->shape->n_dim > MAX_RANK)) {
		rc = ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\" has no usable shape", file,
			      name_msg(&tmp, m->name.data, m->name.len));
		goto out;
	}
	e->rank = m->shape ? (int)m->shape->n_dim : 0;
	e->dims = xcalloc((size_t)e->rank + 1, sizeof(int64_t));
	e->elements = 1;
	for (int d = 0; d < e->rank; d++) {
		e->dims[d] = m->shape->dim[d]->size;
		if (e->dims[d] < 0 ||
		    __builtin_mul_overflow(e->elements, (uint64_t)e->dims[d], &e->elements)) {
			rc = ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\" has a bad shape", file,
				      name_msg(&tmp, m->name.data, m->name.len));
			goto out;
		}
	}
	if (di->size && __builtin_mul_overflow(e->elements, (uint64_t)di->size, &e->size)) {
		rc = ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\" is too large", file,
			      name_msg(&tmp, m->name.data, m->name.len));
		goto out;
	}
	rec->t.nparts = m->n_slice;
	rec->t.parts = xcalloc(m->n_slice + 1, sizeof(struct v1_part));
	for (size_t s = 0; s < m->n_slice; s++) {
		struct v1_part *p = &rec->t.parts[s];
		p->file = fileno;
		p->key_rank = (int)m->slice[s]->n_extent;
		p->ext = xcalloc(2 * (size_t)e->rank + 1, sizeof(int64_t));
		if (extents_from_proto(m->slice[s], e, p->ext) < 0) {
			rc = ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": slice %zu does not fit its "
				      "shape", file, name_msg(&tmp, m->name.data, m->name.len), s + 1);
			goto out;
		}
	}
out:
	buf_release(&tmp);
	return rc;
}

static int read_toc(struct v1_reader *r, int fileno, struct rec **recs, size_t *n, size_t *cap,
		    struct ck_err *err)
{
	const char *file = r->paths[fileno];
	Tensorflow__SavedTensorSlices *s = NULL;
	struct table_iter *it = table_iter_new(r->tables[fileno]);
	const uint8_t *k, *v;
	size_t kn, vn;
	int rc;

	rc = table_iter_next(it, &k, &kn, &v, &vn, err);
	if (rc < 0)
		goto out;
	if (rc == 0 || kn != 0) {
		rc = ck_error(err, CK_EKIND, "%s: a table without a V1 table of contents, not a "
			      "checkpoint", file);
		goto out;
	}
	s = tensorflow__saved_tensor_slices__unpack(NULL, vn, v);
	if (!s || !s->meta) {
		rc = ck_error(err, s ? CK_EKIND : CK_ECORRUPT,
			      "%s: %s", file, s ? "not a V1 checkpoint (its first entry is not a table "
			      "of contents)" : "the V1 table of contents is not a valid SavedTensorSlices");
		goto out;
	}
	if (s->meta->versions && s->meta->versions->min_consumer > 0) {
		rc = ck_error(err, CK_EUNSUP, "%s: needs a V1 reader of version %d or newer", file,
			      s->meta->versions->min_consumer);
		goto out;
	}
	rc = 0;
	for (size_t i = 0; i < s->meta->n_tensor; i++) {
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*recs = xreallocarray(*recs, *cap, sizeof(**recs));
		}
		rc = parse_meta(file, fileno, s->meta->tensor[i], &(*recs)[*n], err);
		(*n)++;  /* counted even on failure so that the caller frees it */
		if (rc < 0)
			break;
	}
out:
	if (s)
		tensorflow__saved_tensor_slices__free_unpacked(s, NULL);
	table_iter_free(it);
	return rc;
}

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c = key_cmp(x->e.name, x->e.name_len, y->e.name, y->e.name_len);
	/* Stable by file, so merged slices keep the order of the files. */
	return c ? c : (x->e.shard > y->e.shard) - (x->e.shard < y->e.shard);
}

static uint64_t part_elements(const struct bundle_entry *e, const int64_t *ext)
{
	uint64_t n = 1;
	for (int d = 0; d < e->rank; d++)
		n *= (uint64_t)(ext[2 * d + 1] < 0 ? e->dims[d] : ext[2 * d + 1]);
	return n;
}

static int parts_overlap(const struct bundle_entry *e, const int64_t *a, const int64_t *b)
{
	for (int d = 0; d < e->rank; d++) {
		int64_t as = a[2 * d], al = a[2 * d + 1] < 0 ? e->dims[d] : a[2 * d + 1];
		int64_t bs = b[2 * d], bl = b[2 * d + 1] < 0 ? e->dims[d] : b[2 * d + 1];
		if (as + al <= bs || bs + bl <= as)
			return 0;
	}
	return 1;
}

/* Slices must tile the tensor: no overlap, and together every element. */
static void check_tiling(struct rec *rc)
{
	struct bundle_entry *e = &rc->e;
	struct v1_tensor *t = &rc->t;
	uint64_t sum = 0;

	if (!t->nparts) {
		t->problem = xstrdup("no stored slice");
		return;
	}
	for (size_t i = 0; i < t->nparts; i++) {
		uint64_t n = part_elements(e, t->parts[i].ext);
		if (!n)
			continue;
		for (size_t j = 0; j < i; j++)
			if (part_elements(e, t->parts[j].ext) &&
			    parts_overlap(e, t->parts[i].ext, t->parts[j].ext)) {
				t->problem = xasprintf("stored slices %zu and %zu overlap", j + 1, i + 1);
				return;
			}
		sum += n;
	}
	if (sum != e->elements)
		t->problem = xasprintf("its %zu stored slices hold %llu of its %llu elements",
				       t->nparts, (unsigned long long)sum,
				       (unsigned long long)e->elements);
}

/* Sort the records by name and merge a tensor's slices from several files into one. */
static int merge_recs(struct v1_reader *r, struct rec *recs, size_t *n, struct ck_err *err)
{
	struct buf tmp = BUF_INIT;
	size_t m = 0;

	sort_array(recs, *n, sizeof(*recs), cmp_rec);
	for (size_t i = 0; i < *n; i++) {
		struct rec *a = m ? &recs[m - 1] : NULL, *x = &recs[i];
		if (!a || key_cmp(a->e.name, a->e.name_len, x->e.name, x->e.name_len)) {
			recs[m++] = *x;
			continue;
		}
		if (a->e.dtype != x->e.dtype || a->e.rank != x->e.rank ||
		    memcmp(a->e.dims, x->e.dims, (size_t)a->e.rank * sizeof(int64_t))) {
			int rc = ck_error(err, CK_ECORRUPT,
					  "%s: tensor \"%s\" has another dtype or shape than in %s",
					  r->paths[x->e.shard], name_msg(&tmp, x->e.name, x->e.name_len),
					  r->paths[a->e.shard]);
			buf_release(&tmp);
			/* Free what is no longer referenced from recs[0..m). */
			for (size_t j = i; j < *n; j++) {
				free(recs[j].e.name);
				free(recs[j].e.dims);
				tensor_release(&recs[j].t);
			}
			*n = m;
			return rc;
		}
		a->t.parts = xreallocarray(a->t.parts, a->t.nparts + x->t.nparts + 1,
					   sizeof(struct v1_part));
		memcpy(a->t.parts + a->t.nparts, x->t.parts, x->t.nparts * sizeof(struct v1_part));
		a->t.nparts += x->t.nparts;
		free(x->t.parts);
		free(x->e.name);
		free(x->e.dims);
	}
	*n = m;
	for (size_t i = 0; i < m; i++)
		check_tiling(&recs[i]);
	buf_release(&tmp);
	return 0;
}

int v1_open(struct bundle **out, const char *path, struct ck_err *err)
{
	struct bundle *b = xcalloc(1, sizeof(*b));
	struct v1_reader *r = xcalloc(1, sizeof(*r));
	struct rec *recs = NULL;
	size_t nrec = 0, cap = 0;
	char *shown = NULL;
	int rc;

	*out = NULL;
	b->format = 1;
	b->ops = &v1_ops;
	b->reader = r;
	r->cur = -1;
	rc = find_files(path, &r->paths, &r->nfiles, &shown, err);
	if (rc < 0)
		goto fail;
	b->prefix = shown;
	b->index_path = xstrdup(shown);
	b->num_shards = r->nfiles;
	b->producer = 1;
	r->tables = xcalloc((size_t)r->nfiles, sizeof(struct table *));
	for (int i = 0; i < r->nfiles; i++) {
		rc = table_open_named(&r->tables[i], r->paths[i], err);
		if (rc < 0)
			goto fail;
		rc = read_toc(r, i, &recs, &nrec, &cap, err);
		if (rc < 0)
			goto fail;
	}
	rc = merge_recs(r, recs, &nrec, err);
	if (rc < 0)
		goto fail;
	b->entries = xcalloc(nrec + 1, sizeof(*b->entries));
	r->tensors = xcalloc(nrec + 1, sizeof(*r->tensors));
	for (size_t i = 0; i < nrec; i++) {
		b->entries[i] = recs[i].e;
		r->tensors[i] = recs[i].t;
	}
	b->nentries = b->ntensors = r->ntensors = nrec;
	free(recs);
	recs = NULL;
	nrec = 0;
	/* V1 stores no tensor checksums, and strings no size: decode every tensor once, one at a
	 * time, to set both, so that entries compare and verify as V2 ones do. A tensor that does
	 * not decode keeps its error for the reads; listing still works. */
	for (size_t i = 0; i < b->nentries; i++) {
		struct v1_tensor *t = &r->tensors[i];
		if (t->problem) {
			struct buf tmp = BUF_INIT;
			char *why = t->problem;
			t->problem = xasprintf("%s: tensor \"%s\" cannot be assembled: %s", b->prefix,
					       name_msg(&tmp, b->entries[i].name, b->entries[i].name_len), why);
			free(why);
			buf_release(&tmp);
		} else if (v1_load(b, &b->entries[i], err) < 0) {
			t->problem = xstrdup(err ? err->msg : "cannot be decoded");
		}
	}
	if (err)
		ck_err_clear(err);
	*out = b;
	return 0;
fail:
	for (size_t i = 0; i < nrec; i++) {
		free(recs[i].e.name);
		free(recs[i].e.dims);
		tensor_release(&recs[i].t);
	}
	free(recs);
	if (!b->prefix)
		free(shown);
	bundle_free(b);
	return rc;
}

/* ---- payloads ---------------------------------------------------------------------- */

static void st16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void st32(uint8_t *p, uint32_t v) { st16(p, v); st16(p + 2, v >> 16); }
static void st64(uint8_t *p, uint64_t v) { st32(p, (uint32_t)v); st32(p + 4, (uint32_t)(v >> 32)); }

static int count_error(struct ck_err *err, const char *field, size_t have, uint64_t want)
{
	return ck_error(err, CK_ECORRUPT, "slice holds %zu %s values, its shape needs %llu", have,
			field, (unsigned long long)want);
}

int tensor_proto_raw(const Tensorflow__TensorProto *tp, int dtype, uint64_t count, uint8_t *out,
		     struct ck_err *err)
{
	const struct dtype_info *di = dtype_info(dtype);
	size_t es = di ? (size_t)di->size : 0;

	if (!es)
		return ck_error(err, CK_EUNSUP, "cannot decode %s values", dtype_name(dtype));
	if (tp->tensor_content.len) {
		if (tp->tensor_content.len / es != count || tp->tensor_content.len % es)
			return ck_error(err, CK_ECORRUPT, "slice holds %zu bytes, its shape needs %llu",
					tp->tensor_content.len, (unsigned long long)(count * es));
		memcpy(out, tp->tensor_content.data, tp->tensor_content.len);
		return 0;
	}
	switch (dtype) {
	case DT_FLOAT:
		if (tp->n_float_val != count)
			return count_error(err, "float_val", tp->n_float_val, count);
		for (uint64_t i = 0; i < count; i++) {
			uint32_t u;
			memcpy(&u, &tp->float_val[i], 4);
			st32(out + 4 * i, u);
		}
		return 0;
	case DT_DOUBLE:
		if (tp->n_double_val != count)
			return count_error(err, "double_val", tp->n_double_val, count);
		for (uint64_t i = 0; i < count; i++) {
			uint64_t u;
			memcpy(&u, &tp->double_val[i], 8);
			st64(out + 8 * i, u);
		}
		return 0;
	case DT_COMPLEX64:
		if (tp->n_scomplex_val / 2 != count || tp->n_scomplex_val % 2)
			return count_error(err, "scomplex_val", tp->n_scomplex_val, 2 * count);
		for (uint64_t i = 0; i < 2 * count; i++) {
			uint32_t u;
			memcpy(&u, &tp->scomplex_val[i], 4);
			st32(out + 4 * i, u);
		}
		return 0;
	case DT_COMPLEX128:
		if (tp->n_dcomplex_val / 2 != count || tp->n_dcomplex_val % 2)
			return count_error(err, "dcomplex_val", tp->n_dcomplex_val, 2 * count);
		for (uint64_t i = 0; i < 2 * count; i++) {
			uint64_t u;
			memcpy(&u, &tp->dcomplex_val[i], 8);
			st64(out + 8 * i, u);
		}
		return 0;
	case DT_INT32: case DT_INT16: case DT_INT8: case DT_UINT8: case DT_UINT16:
	case DT_QINT8: case DT_QUINT8: case DT_QINT16: case DT_QUINT16: case DT_QINT32:
		if (tp->n_int_val != count)
			return count_error(err, "int_val", tp->n_int_val, count);
		for (uint64_t i = 0; i < count; i++) {
			uint32_t u = (uint32_t)tp->int_val[i];
			for (size_t k = 0; k < es; k++)
				out[es * i + k] = (uint8_t)(u >> (8 * k));
		}
		return 0;
	case DT_HALF: case DT_BFLOAT16:
		/* The 16-bit pattern sits in an int32. */
		if (tp->n_half_val != count)
			return count_error(err, "half_val", tp->n_half_val, count);
		for (uint64_t i = 0; i < count; i++)
			st16(out + 2 * i, (uint32_t)tp->half_val[i]);
		return 0;
	case DT_INT64:
		if (tp->n_int64_val != count)
			return count_error(err, "int64_val", tp->n_int64_val, count);
		for (uint64_t i = 0; i < count; i++)
			st64(out + 8 * i, (uint64_t)tp->int64_val[i]);
		return 0;
	case DT_UINT32:
		if (tp->n_uint32_val != count)
			return count_error(err, "uint32_val", tp->n_uint32_val, count);
		for (uint64_t i = 0; i < count; i++)
			st32(out + 4 * i, tp->uint32_val[i]);
		return 0;
	case DT_UINT64:
		if (tp->n_uint64_val != count)
			return count_error(err, "uint64_val", tp->n_uint64_val, count);
		for (uint64_t i = 0; i < count; i++)
			st64(out + 8 * i, tp->uint64_val[i]);
		return 0;
	case DT_BOOL:
		if (tp->n_bool_val != count)
			return count_error(err, "bool_val", tp->n_bool_val, count);
		for (uint64_t i = 0; i < count; i++)
			out[i] = tp->bool_val[i] ? 1 : 0;
		return 0;
	default:
		return ck_error(err, CK_EUNSUP, "cannot decode %s values from a TensorProto",
				dtype_name(dtype));
	}
}

/* Copy a slice's elements (row-major, es bytes each) to their place in the full tensor. */
static void scatter(uint8_t *dst, const struct bundle_entry *e, const int64_t *ext,
		    const uint8_t *src, size_t es)
{
	int rank = e->rank;
	int64_t idx[MAX_RANK + 1] = { 0 }, start[MAX_RANK + 1], len[MAX_RANK + 1];
	uint64_t stride[MAX_RANK + 1];
	size_t run;

	if (rank == 0) {
		memcpy(dst, src, es);
		return;
	}
	for (int d = 0; d < rank; d++) {
		start[d] = ext[2 * d + 1] < 0 ? 0 : ext[2 * d];
		len[d] = ext[2 * d + 1] < 0 ? e->dims[d] : ext[2 * d + 1];
		if (!len[d])
			return;
	}
	stride[rank - 1] = 1;
	for (int d = rank - 1; d > 0; d--)
		stride[d - 1] = stride[d] * (uint64_t)e->dims[d];
	run = (size_t)len[rank - 1] * es;
	for (;;) {
		uint64_t at = 0;
		for (int d = 0; d < rank; d++)
			at += (uint64_t)(start[d] + idx[d]) * stride[d];
		memcpy(dst + at * es, src, run);
		src += run;
		int d = rank - 2;
		for (; d >= 0; d--) {
			if (++idx[d] < len[d])
				break;
			idx[d] = 0;
		}
		if (d < 0)
			return;
	}
}

/* Fetch and check the SavedSlice of one part. */
static int read_part(struct v1_reader *r, const struct bundle_entry *e, const struct v1_part *pt,
		     Tensorflow__SavedTensorSlices **out, struct ck_err *err)
{
	struct buf key = BUF_INIT, val = BUF_INIT, tmp = BUF_INIT;
	const char *file = r->paths[pt->file];
	Tensorflow__SavedTensorSlices *s = NULL;
	int rc;

	*out = NULL;
	slice_key(&key, e->name, e->name_len, pt->key_rank, pt->ext);
	rc = table_get(r->tables[pt->file], key.p, key.len, &val, err);
	if (rc == 0)
		rc = ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": a stored slice is missing", file,
			      name_msg(&tmp, e->name, e->name_len));
	if (rc < 0)
		goto out;
	s = tensorflow__saved_tensor_slices__unpack(NULL, val.len, val.p);
	if (!s || !s->data || !s->data->data) {
		rc = ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": a stored slice is not a valid "
			      "SavedSlice", file, name_msg(&tmp, e->name, e->name_len));
		goto out;
	}
	if (s->data->name.len != e->name_len || memcmp(s->data->name.data, e->name, e->name_len)) {
		rc = ck_error(err, CK_ECORRUPT, "%s: tensor \"%s\": its slice is stored under "
			      "another name", file, name_msg(&tmp, e->name, e->name_len));
		goto out;
	}
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (s)
		tensorflow__saved_tensor_slices__free_unpacked(s, NULL);
	buf_release(&key);
	buf_release(&val);
	buf_release(&tmp);
	return rc;
}

struct sref {
	const uint8_t *p;
	size_t n;
};

/* doc/FORMAT.md §6.3: varint lengths, masked CRC of the lengths as fixed-width integers, bytes. */
static uint32_t encode_strings(struct buf *out, const struct sref *s, uint64_t n)
{
	uint32_t crc = 0;
	uint8_t w[8];

	for (uint64_t i = 0; i < n; i++) {
		put_varint64(out, s[i].n);
		st64(w, s[i].n);
		crc = crc32c_extend(crc, w, s[i].n <= UINT32_MAX ? 4 : 8);
	}
	st32(w, crc32c_mask(crc));
	buf_add(out, w, 4);
	crc = crc32c_extend(crc, w, 4);
	for (uint64_t i = 0; i < n; i++) {
		buf_add(out, s[i].p, s[i].n);
		crc = crc32c_extend(crc, s[i].p, s[i].n);
	}
	return crc;
}

static int load_strings(struct v1_reader *r, struct bundle_entry *e, const struct v1_tensor *t,
			struct ck_err *err)
{
	Tensorflow__SavedTensorSlices **msgs = xcalloc(t->nparts, sizeof(*msgs));
	struct sref *all = NULL;
	struct buf tmp = BUF_INIT;
	uint32_t crc;
	int rc = 0;

	if (e->elements > SIZE_MAX / sizeof(struct sref)) {
		rc = ck_error(err, CK_EUNSUP, "string tensor too large");
		goto out;
	}
	all = xcalloc((size_t)e->elements + 1, sizeof(*all));
	for (size_t i = 0; i < t->nparts; i++) {
		const struct v1_part *pt = &t->parts[i];
		const Tensorflow__TensorProto *tp;
		uint64_t n = part_elements(e, pt->ext);
		rc = read_part(r, e, pt, &msgs[i], err);
		if (rc < 0)
			goto out;
		tp = msgs[i]->data->data;
		if (tp->n_string_val != n) {
			rc = count_error(err, "string_val", tp->n_string_val, n);
			ck_wrap(err, "%s: tensor \"%s\"", r->paths[pt->file], name_msg(&tmp, e->name, e->name_len));
			goto out;
		}
		struct sref *part = xcalloc((size_t)n + 1, sizeof(*part));
		for (uint64_t k = 0; k < n; k++)
			part[k] = (struct sref){ tp->string_val[k].data, tp->string_val[k].len };
		scatter((uint8_t *)all, e, pt->ext, (const uint8_t *)part, sizeof(*part));
		free(part);
	}
	buf_reset(&r->data);
	crc = encode_strings(&r->data, all, e->elements);
	e->size = r->data.len;
	e->crc32c = crc32c_mask(crc);
out:
	for (size_t i = 0; i < t->nparts; i++)
		if (msgs[i])
			tensorflow__saved_tensor_slices__free_unpacked(msgs[i], NULL);
	free(msgs);
	free(all);
	buf_release(&tmp);
	return rc;
}

static int load_numbers(struct v1_reader *r, struct bundle_entry *e, const struct v1_tensor *t,
			struct ck_err *err)
{
	size_t es = (size_t)dtype_info(e->dtype)->size;
	struct buf tmp = BUF_INIT;
	uint8_t *part = NULL;
	int rc = 0;

	buf_reset(&r->data);
	buf_grow(&r->data, (size_t)e->size);
	memset(r->data.p, 0, (size_t)e->size);
	for (size_t i = 0; i < t->nparts; i++) {
		const struct v1_part *pt = &t->parts[i];
		Tensorflow__SavedTensorSlices *s;
		uint64_t n = part_elements(e, pt->ext);
		rc = read_part(r, e, pt, &s, err);
		if (rc < 0)
			break;
		if (t->nparts == 1) {
			rc = tensor_proto_raw(s->data->data, e->dtype, n, r->data.p, err);
		} else {
			part = xrealloc(part, (size_t)n * es + 1);
			rc = tensor_proto_raw(s->data->data, e->dtype, n, part, err);
			if (rc == 0)
				scatter(r->data.p, e, pt->ext, part, es);
		}
		tensorflow__saved_tensor_slices__free_unpacked(s, NULL);
		if (rc < 0) {
			ck_wrap(err, "%s: tensor \"%s\"", r->paths[pt->file], name_msg(&tmp, e->name, e->name_len));
			break;
		}
	}
	if (rc == 0) {
		r->data.len = (size_t)e->size;
		e->crc32c = crc32c_mask(crc32c(r->data.p, r->data.len));
	}
	free(part);
	buf_release(&tmp);
	return rc;
}

static int v1_load(struct bundle *b, const struct bundle_entry *ce, struct ck_err *err)
{
	struct v1_reader *r = b->reader;
	ptrdiff_t i = ce - b->entries;
	struct bundle_entry *e;
	const struct v1_tensor *t;
	int rc;

	if (!r || i < 0 || (size_t)i >= b->nentries)
		return ck_error(err, CK_EUSAGE, "not an entry of this V1 checkpoint");
	if (r->cur == i)
		return 0;
	e = &b->entries[i];  /* the same entry, writable: its crc32c (and a string's size) is set here */
	t = &r->tensors[i];
	r->cur = -1;
	buf_reset(&r->data);
	if (t->problem)
		return ck_error(err, CK_ECORRUPT, "%s", t->problem);
	if (e->size > SIZE_MAX / 2)
		return ck_error(err, CK_EUNSUP, "tensor too large to decode in memory");
	rc = e->dtype == DT_STRING ? load_strings(r, e, t, err) : load_numbers(r, e, t, err);
	if (rc == 0)
		r->cur = i;
	else
		buf_reset(&r->data);
	return rc;
}

static int v1_pread(struct bundle *b, const struct bundle_entry *e, uint64_t off, void *p,
		    size_t n, struct ck_err *err)
{
	struct v1_reader *r = b->reader;
	int rc = v1_load(b, e, err);

	if (rc < 0)
		return rc;
	if (off > r->data.len || n > r->data.len - off)
		return ck_error(err, CK_EUSAGE, "read past the end of a tensor");
	memcpy(p, r->data.p + off, n);
	return 0;
}
