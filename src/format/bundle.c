/* V2 bundle reader (layout in bundle.h). */
#include "format/bundle.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/crc32c.h"
#include "base/cursor.h"
#include "store/file.h"
#include "format/dtype.h"
#include "format/slicekey.h"
#include "format/table.h"
#include "format/entry_proto.h"
#include "tensor_bundle.pb-c.h"

#define MAX_SHARDS 1000000
#define ENTRIES_GUESS_MAX (1u << 20)
#define CHUNK (1u << 20)

struct bundle_shard {
	struct ck_file *f;  /* NULL until opened */
	uint64_t size;
	struct ck_err *err;  /* why opening failed (kept small: headers may declare 10^6 shards) */
};

void shape_format(struct buf *out, const int64_t *dims, int rank)
{
	char *p;

	/* One growth for the whole shape: listings format one a tensor, twice. */
	buf_grow(out, 2 + (size_t)rank * 21);
	p = (char *)out->p + out->len;
	*p++ = '[';
	for (int i = 0; i < rank; i++) {
		if (i)
			*p++ = ',';
		p += fmt_i64(p, dims[i]);
	}
	*p++ = ']';
	*p = 0;
	out->len = (size_t)(p - (char *)out->p);
}

/* A V2 index's names, shapes and slices live in a few large blocks freed with the bundle:
 * a malloc per name and per shape cost more than decoding the entries, and small blocks
 * scattered over the heap touch more pages (page faults are most of what remains of
 * listing 10^4 tensors). V1 bundles (v1.c) own each entry's parts separately. */
struct bundle_mem {
	struct bundle_mem *next;
	size_t used, cap;
	max_align_t data[];
};

#define MEM_FIRST (16u << 10)
#define MEM_MAX (1u << 20)

static void *mem_alloc(struct bundle *b, size_t n)
{
	struct bundle_mem *m = b->mem;
	void *p;

	n = n ? (n + 7) & ~(size_t)7 : 8;  /* int64_t alignment */
	if (!m || m->cap - m->used < n) {
		size_t cap = m ? (m->cap < MEM_MAX ? 2 * m->cap : MEM_MAX)
			       : b->mem_first > MEM_FIRST ? b->mem_first : MEM_FIRST;
		struct bundle_mem *nm;
		if (cap < n)
			cap = n;
		/* A size past the address space cannot be had: xmalloc reports it. */
		nm = xmalloc_huge(cap > SIZE_MAX - sizeof(*nm) ? SIZE_MAX : sizeof(*nm) + cap);
		nm->used = 0;
		nm->cap = cap;
		if (m && n > MEM_MAX / 4) {
			/* A large piece gets a block of its own, behind the one still filling. */
			nm->next = m->next;
			m->next = nm;
		} else {
			nm->next = m;
			b->mem = nm;
		}
		m = nm;
	}
	p = (uint8_t *)m->data + m->used;
	m->used += n;
	return p;
}

static void mem_free(struct bundle_mem *m)
{
	while (m) {
		struct bundle_mem *next = m->next;
		xfree_huge(m, sizeof(*m) + m->cap);
		m = next;
	}
}

static void v2_release(struct bundle *b)
{
	mem_free(b->mem);
	if (b->shards)
		for (int i = 0; i < b->num_shards; i++) {
			ck_file_close(b->shards[i].f);
			free(b->shards[i].err);
		}
	free(b->shards);
}

void bundle_free(struct bundle *b)
{
	if (!b)
		return;
	if (b->ops)
		b->ops->release(b);
	xfree_huge(b->entries, b->entries_cap * sizeof(*b->entries));
	free(b->prefix);
	free(b->index_path);
	free(b);
}

static int parse_header(struct bundle *b, const uint8_t *v, size_t n, struct ck_err *err)
{
	Tensorflow__BundleHeaderProto *h;
	int rc = 0;

	/* A V1 table's header is a SavedTensorSlices whose field 1 is a message (tag 0x0A);
	 * a V2 header starts with num_shards (tag 0x08). */
	if (n && v[0] == 0x0a)
		return ck_error(err, CK_EKIND, "%s: a legacy V1 checkpoint table, not a V2 index",
				b->index_path);
	h = tensorflow__bundle_header_proto__unpack(NULL, n, v);
	if (!h)
		return ck_error(err, CK_ECORRUPT, "%s: header is not a valid BundleHeaderProto",
				b->index_path);
	b->num_shards = h->num_shards;
	b->big_endian = h->endianness == TENSORFLOW__BUNDLE_HEADER_PROTO__ENDIANNESS__BIG;
	if (h->version) {
		b->producer = h->version->producer;
		b->min_consumer = h->version->min_consumer;
	}
	if (h->num_shards < 0 || h->num_shards > MAX_SHARDS)
		rc = ck_error(err, CK_ECORRUPT, "%s: header claims %d data shards", b->index_path,
			      h->num_shards);
	else if (h->endianness > 1)
		rc = ck_error(err, CK_ECORRUPT, "%s: unknown endianness %d", b->index_path,
			      h->endianness);
	else if (h->version && h->version->producer < 0)
		rc = ck_error(err, CK_ECORRUPT, "%s: negative producer version", b->index_path);
	else if (h->version && h->version->min_consumer > 1)
		rc = ck_error(err, CK_EUNSUP,
			      "%s: needs a reader of bundle version %d or newer (this reads version 1)",
			      b->index_path, h->version->min_consumer);
	else if (h->version)
		for (size_t i = 0; i < h->version->n_bad_consumers; i++)
			if (h->version->bad_consumers[i] == 1)
				rc = ck_error(err, CK_EUNSUP, "%s: marks bundle reader version 1 as bad",
					      b->index_path);
	tensorflow__bundle_header_proto__free_unpacked(h, NULL);
	return rc;
}

/* Entries are unpacked one at a time and dropped at once: a bump allocator handed to
 * protobuf-c replaces its many small mallocs and frees (they dominated `list`). */
struct arena {
	uint8_t *p;
	size_t used, cap;
};

static void *arena_alloc(void *data, size_t n)
{
	struct arena *a = data;
	void *r;

	n = (n + 15) & ~(size_t)15;
	if (n > a->cap - a->used)
		return NULL;  /* rare (thousands of slices): the caller unpacks again on the heap */
	r = a->p + a->used;
	a->used += n;
	return r;
}

static void arena_free(void *data, void *p)
{
	(void)data;
	(void)p;  /* everything goes when the arena is reset */
}

static int mul_overflows(uint64_t a, uint64_t b, uint64_t *r)
{
	return __builtin_mul_overflow(a, b, r);
}

/* CK_ECORRUPT "INDEX: entry "NAME"<what>", what formatted from fmt. */
static int entry_corrupt(const struct bundle *b, const uint8_t *key, size_t kn,
			 struct ck_err *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int entry_corrupt(const struct bundle *b, const uint8_t *key, size_t kn,
			 struct ck_err *err, const char *fmt, ...)
{
	struct buf tmp = BUF_INIT;
	char what[256];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	rc = ck_error(err, CK_ECORRUPT, "%s: entry \"%s\"%s", b->index_path,
		      name_msg(&tmp, key, kn), what);
	buf_release(&tmp);
	return rc;
}

/* The entry's rank, dims and element count, checked. */
static int entry_shape(struct bundle *b, struct bundle_entry *e, const struct entry_proto *p,
		       int too_many_dims, const uint8_t *key, size_t kn, struct ck_err *err)
{
	if (p->unknown_rank)
		return entry_corrupt(b, key, kn, err, " has an unknown rank");
	e->rank = (int)p->n_dim;
	if (too_many_dims || e->rank > 254)
		return entry_corrupt(b, key, kn, err, " has rank %d", e->rank);
	e->dims = mem_alloc(b, ((size_t)e->rank + 1) * sizeof(int64_t));
	e->dims[e->rank] = 0;
	e->elements = 1;
	for (int i = 0; i < e->rank; i++) {
		int64_t d = p->dim[i];
		if (d < 0)
			return entry_corrupt(b, key, kn, err, " has a negative dimension");
		e->dims[i] = d;
		if (mul_overflows(e->elements, (uint64_t)d, &e->elements))
			return entry_corrupt(b, key, kn, err,
					     ": element count of its shape overflows 64 bits");
	}
	return 0;
}

/* A partitioned tensor's slices, each inside the tensor, as (start, length) pairs. */
static int entry_slices(struct bundle *b, struct bundle_entry *e,
			const Tensorflow__BundleEntryProto *p, const uint8_t *key, size_t kn,
			struct ck_err *err)
{
	size_t pairs;

	e->nslices = p->n_slices;
	if (__builtin_mul_overflow(p->n_slices, (size_t)(e->rank ? e->rank : 1) * 2, &pairs) ||
	    pairs > SIZE_MAX / sizeof(int64_t))
		return entry_corrupt(b, key, kn, err, " has too many slices");
	e->slices = mem_alloc(b, pairs * sizeof(int64_t));
	for (size_t s = 0; s < p->n_slices; s++) {
		Tensorflow__TensorSliceProto *sl = p->slices[s];
		if ((int)sl->n_extent != e->rank)
			return entry_corrupt(b, key, kn, err, ": slice %zu has %zu extents for rank %d",
					     s, sl->n_extent, e->rank);
		for (int d = 0; d < e->rank; d++) {
			Tensorflow__TensorSliceProto__Extent *x = sl->extent[d];
			int full = x->has_length_case != TENSORFLOW__TENSOR_SLICE_PROTO__EXTENT__HAS_LENGTH_LENGTH;
			int64_t start = full ? 0 : x->start, len = full ? -1 : x->length;
			if (!full && (start < 0 || len < 0 || start > e->dims[d] ||
				      len > e->dims[d] - start))
				return entry_corrupt(b, key, kn, err, ": slice %zu lies outside the tensor",
						     s);
			e->slices[(s * (size_t)e->rank + (size_t)d) * 2] = start;
			e->slices[(s * (size_t)e->rank + (size_t)d) * 2 + 1] = len;
		}
	}
	return 0;
}

/* A stored entry's place: a shard the header declares, and a size that fits its shape. */
static int entry_place(struct bundle *b, const struct bundle_entry *e, const uint8_t *key,
		       size_t kn, struct ck_err *err)
{
	const struct dtype_info *di = dtype_info(e->dtype);
	uint64_t want;

	if (e->shard >= b->num_shards)
		return entry_corrupt(b, key, kn, err, " is in shard %d but the header declares %d",
				     e->shard, b->num_shards);
	if (di && di->size &&
	    (mul_overflows(e->elements, (uint64_t)di->size, &want) || want != e->size))
		return entry_corrupt(b, key, kn, err, ": size %llu does not match %s%s (%llu bytes)",
				     (unsigned long long)e->size, dtype_name(e->dtype), "",
				     (unsigned long long)want);
	return 0;
}

static int parse_entry(struct bundle *b, struct bundle_entry *e, const uint8_t *key, size_t kn,
		       const uint8_t *v, size_t vn, struct ck_err *err)
{
	static uint8_t arena_mem[65536] __attribute__((aligned(16)));
	struct arena ar = { arena_mem, 0, sizeof(arena_mem) };
	ProtobufCAllocator alloc = { arena_alloc, arena_free, &ar };
	Tensorflow__BundleEntryProto *p = NULL;
	struct entry_proto ep;
	int rc, too_many_dims = 0;

	memset(e, 0, sizeof(*e));
	e->name = mem_alloc(b, kn + 1);
	memcpy(e->name, key, kn);
	e->name[kn] = 0;
	e->name_len = kn;
	e->is_slice = kn > 0 && key[0] == 0x00;
	/* What TF writes, decoded by hand; the rest (slices, odd encodings, damage) by protobuf-c,
	 * which alone judges bytes bad (entry_proto.h). */
	if (!entry_proto_decode(v, vn, &ep)) {
		p = tensorflow__bundle_entry_proto__unpack(&alloc, vn, v);
		if (!p && ar.used) {  /* the arena ran out: unpack again on the heap */
			ar.used = ar.cap;
			p = tensorflow__bundle_entry_proto__unpack(NULL, vn, v);
			alloc.allocator_data = NULL;
		}
		if (!p)
			return entry_corrupt(b, key, kn, err, " is not a valid BundleEntryProto");
		too_many_dims = entry_proto_from_pb(p, &ep) < 0;
	}
	e->dtype = ep.dtype;
	e->shard = ep.shard_id;
	e->crc32c = ep.crc32c;
	if (ep.offset < 0 || ep.size < 0 || ep.shard_id < 0) {
		rc = entry_corrupt(b, key, kn, err, " has a negative offset, size or shard");
		goto out;
	}
	e->offset = (uint64_t)ep.offset;
	e->size = (uint64_t)ep.size;
	rc = entry_shape(b, e, &ep, too_many_dims, key, kn, err);
	if (!rc)
		rc = p && p->n_slices ? entry_slices(b, e, p, key, kn, err)
				      : entry_place(b, e, key, kn, err);
out:
	if (p && !alloc.allocator_data)
		tensorflow__bundle_entry_proto__free_unpacked(p, NULL);
	return rc;
}

/* Sum the sizes of a partitioned tensor's stored slices (0 when one is missing). */
static void sum_slices(struct bundle *b, struct bundle_entry *e)
{
	struct buf key = BUF_INIT;
	uint64_t total = 0;

	for (size_t s = 0; s < e->nslices; s++) {
		const struct bundle_entry *se;
		buf_reset(&key);
		slice_key(&key, e->name, e->name_len, e->rank, e->slices + s * (size_t)e->rank * 2);
		se = bundle_find(b, key.p, key.len);
		if (!se) {
			total = 0;
			break;
		}
		total += se->size;
	}
	e->slices_bytes = total;
	buf_release(&key);
}

static void grow_entries(struct bundle *b)
{
	size_t cap = b->entries_cap * 2;
	struct bundle_entry *e;

	if (cap > SIZE_MAX / sizeof(*e))
		xmalloc(SIZE_MAX);  /* reports it */
	e = xmalloc_huge(cap * sizeof(*e));
	memcpy(e, b->entries, b->nentries * sizeof(*e));
	xfree_huge(b->entries, b->entries_cap * sizeof(*e));
	b->entries = e;
	b->entries_cap = cap;
}

static int v2_load(struct bundle *b, const struct bundle_entry *e, struct ck_err *err);
static int v2_pread(struct bundle *b, const struct bundle_entry *e, uint64_t off, void *p,
		    size_t n, struct ck_err *err);
static char *v2_file_path(const struct bundle *b, int shard);

static const struct bundle_ops v2_ops = { v2_load, v2_pread, v2_file_path, v2_release };

/* A V2 bundle with prefix P, its entries still to be read. */
static struct bundle *v2_new(const char *prefix)
{
	struct bundle *b = xcalloc(1, sizeof(*b));

	b->format = 2;
	b->ops = &v2_ops;
	b->prefix = xstrdup(prefix);
	b->index_path = bundle_index_path(prefix);
	return b;
}

/* Open b's index and read its header row, leaving *it at the first entry. */
static int index_begin(struct bundle *b, struct table **t, struct table_iter **it,
		       struct ck_err *err)
{
	const uint8_t *k, *v;
	size_t kn, vn;
	int rc;

	rc = table_open_named(t, b->index_path, err);
	if (rc < 0)
		return rc;
	*it = table_iter_new(*t);
	rc = table_iter_next(*it, &k, &kn, &v, &vn, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return ck_error(err, CK_ECORRUPT, "%s: empty table, no bundle header", b->index_path);
	if (kn != 0)
		return ck_error(err, CK_EKIND,
				"%s: a table without a bundle header, not a V2 checkpoint index",
				b->index_path);
	return parse_header(b, v, vn, err);
}

/* The check made once every entry has been read. */
static int entries_end(const struct bundle *b, size_t nentries, struct ck_err *err)
{
	if (nentries && b->num_shards == 0)
		return ck_error(err, CK_ECORRUPT, "%s: header declares no data shards for %zu entries",
				b->index_path, nentries);
	return 0;
}

static void shards_init(struct bundle *b)
{
	b->shards = xcalloc((size_t)(b->num_shards ? b->num_shards : 1), sizeof(*b->shards));
	for (int i = 0; i < b->num_shards; i++)
		b->shards[i].f = NULL;
}

int bundle_open(struct bundle **out, const char *prefix, struct ck_err *err)
{
	struct bundle *b = v2_new(prefix);
	struct table *t = NULL;
	struct table_iter *it = NULL;
	const uint8_t *k, *v;
	size_t kn, vn, cap = 0;
	int rc;

	*out = NULL;
	rc = index_begin(b, &t, &it, err);
	if (rc < 0)
		goto fail;
	/* Room for the entries the index likely holds (TF writes about 30 to 100 bytes a tensor),
	 * as growing from a small array copies it through fresh pages, while room never used is
	 * never touched. An index with more entries still grows the array below. */
	cap = (size_t)(table_file_size(t) / 24 < ENTRIES_GUESS_MAX ? table_file_size(t) / 24
								    : ENTRIES_GUESS_MAX) + 16;
	b->entries = xmalloc_huge(cap * sizeof(*b->entries));
	b->entries_cap = cap;
	/* Names and shapes take about twice the index's size: one block for them all. */
	b->mem_first = table_file_size(t) * 2 < MEM_MAX ? (size_t)table_file_size(t) * 2 : MEM_MAX;
	while ((rc = table_iter_next(it, &k, &kn, &v, &vn, err)) == 1) {
		if (b->nentries == b->entries_cap)
			grow_entries(b);
		rc = parse_entry(b, &b->entries[b->nentries], k, kn, v, vn, err);
		b->nentries++;  /* counted even on failure so that bundle_free releases it */
		if (rc < 0)
			goto fail;
		if (!b->entries[b->nentries - 1].is_slice)
			b->ntensors++;
	}
	if (rc < 0 || (rc = entries_end(b, b->nentries, err)) < 0)
		goto fail;
	shards_init(b);
	for (size_t i = 0; i < b->nentries; i++)
		if (b->entries[i].nslices)
			sum_slices(b, &b->entries[i]);
	table_iter_free(it);
	table_free(t);
	*out = b;
	return 0;
fail:
	table_iter_free(it);
	table_free(t);
	bundle_free(b);
	return rc;
}

/* ---- scanning: one entry at a time ---------------------------------------------------- */

struct bundle_scan {
	struct bundle *b;      /* the header's facts; names and dims of the current entry only */
	struct table *t;
	struct table_iter *it;
	struct bundle_entry e;
	size_t nentries;       /* read so far in this pass */
};

/* Forget the previous entry's name and dims: keep the first block, emptied. */
static void mem_reset(struct bundle *b)
{
	if (!b->mem)
		return;
	mem_free(b->mem->next);
	b->mem->next = NULL;
	b->mem->used = 0;
}

int bundle_scan_open(struct bundle_scan **out, const char *prefix, struct ck_err *err)
{
	struct bundle_scan *s = xcalloc(1, sizeof(*s));
	int rc;

	s->b = v2_new(prefix);
	rc = index_begin(s->b, &s->t, &s->it, err);
	if (rc < 0) {
		bundle_scan_free(s);
		*out = NULL;
		return rc;
	}
	shards_init(s->b);
	*out = s;
	return 0;
}

int bundle_scan_next(struct bundle_scan *s, const struct bundle_entry **e, struct ck_err *err)
{
	const uint8_t *k, *v;
	size_t kn, vn;
	int rc = table_iter_next(s->it, &k, &kn, &v, &vn, err);

	if (rc <= 0)
		return rc < 0 ? rc : entries_end(s->b, s->nentries, err);
	mem_reset(s->b);
	rc = parse_entry(s->b, &s->e, k, kn, v, vn, err);
	if (rc < 0)
		return rc;
	s->nentries++;
	if (!s->e.is_slice)
		s->b->ntensors++;
	*e = &s->e;
	return 1;
}

int bundle_scan_rewind(struct bundle_scan *s, struct ck_err *err)
{
	const uint8_t *k, *v;
	size_t kn, vn;
	int rc;

	table_iter_rewind(s->it);
	s->nentries = 0;
	s->b->ntensors = 0;
	rc = table_iter_next(s->it, &k, &kn, &v, &vn, err);  /* the header, read on open */
	if (rc == 0)
		rc = ck_error(err, CK_ECORRUPT, "%s: changed while being read", s->b->index_path);
	return rc < 0 ? rc : 0;
}

const struct bundle *bundle_scan_bundle(const struct bundle_scan *s)
{
	return s->b;
}

void bundle_scan_free(struct bundle_scan *s)
{
	if (!s)
		return;
	table_iter_free(s->it);
	table_free(s->t);
	bundle_free(s->b);
	free(s);
}

const struct bundle_entry *bundle_find(const struct bundle *b, const void *name, size_t len)
{
	size_t lo = 0, hi = b->nentries;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct bundle_entry *e = &b->entries[mid];
		int c = key_cmp(e->name, e->name_len, name, len);
		if (c == 0)
			return e;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

char *bundle_shard_path(const struct bundle *b, int shard)
{
	return b->ops->file_path(b, shard);
}

int bundle_disk_cmp(const struct bundle_entry *a, const struct bundle_entry *b)
{
	int64_t sa = a->nslices ? INT32_MAX : a->shard, sb = b->nslices ? INT32_MAX : b->shard;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == INT32_MAX)
		return 0;
	return a->offset < b->offset ? -1 : a->offset > b->offset;
}

int is_graph_key(const void *name, size_t len)
{
	return len == sizeof(OBJECT_GRAPH_KEY) - 1 && !memcmp(name, OBJECT_GRAPH_KEY, len);
}

char *bundle_index_path(const char *prefix)
{
	return xasprintf("%s.index", prefix);
}

char *bundle_data_path(const char *prefix, int shard, int num_shards)
{
	return xasprintf("%s.data-%05d-of-%05d", prefix, shard, num_shards);
}

static char *v2_file_path(const struct bundle *b, int shard)
{
	return bundle_data_path(b->prefix, shard, b->num_shards);
}

int bundle_shard_size(const struct bundle *b, int shard, uint64_t *size)
{
	char *path = bundle_shard_path(b, shard);
	struct ck_stat st;
	int rc = ck_store_stat(path, &st, NULL);

	free(path);
	if (rc < 0)
		return -1;
	if (st.kind == CK_STORE_MISSING) {
		errno = ENOENT;
		return -1;
	}
	if (st.kind != CK_STORE_FILE) {
		errno = st.kind == CK_STORE_FOLDER ? EISDIR : EINVAL;
		return -1;
	}
	*size = st.size;
	return 0;
}

static int shard_open(struct bundle *b, int shard, struct ck_err *err)
{
	struct bundle_shard *s;
	struct ck_err why;
	char *path;
	int rc;

	if (shard < 0 || shard >= b->num_shards)
		return ck_error(err, CK_ECORRUPT, "%s: shard %d out of range", b->index_path, shard);
	s = &b->shards[shard];
	if (s->f)
		return 0;
	if (s->err) {
		if (err)
			*err = *s->err;
		return s->err->code;
	}
	path = bundle_shard_path(b, shard);
	rc = ck_file_open(path, &s->f, &why);
	if (rc < 0) {
		if (why.code == CK_ENOTFOUND)
			ck_error(&why, CK_ENOTFOUND,
				 "%s: data shard %d of %d is missing (only names, dtypes and shapes "
				 "can be read without it)", path, shard + 1, b->num_shards);
	} else {
		s->size = s->f->size;
		ck_file_advise(s->f, 0, 0);
	}
	free(path);
	if (rc < 0) {
		s->err = xmemdup(&why, sizeof(why));
		if (err)
			*err = why;
		return why.code;
	}
	return 0;
}

/* Open e's shard and check that its payload lies inside it. */
static int entry_shard(struct bundle *b, const struct bundle_entry *e, struct bundle_shard **out,
		       struct ck_err *err)
{
	struct buf tmp = BUF_INIT;
	struct bundle_shard *s;
	int rc;

	if (e->nslices) {
		rc = ck_error(err, CK_EUSAGE, "\"%s\" is partitioned: read its slices",
			      name_msg(&tmp, e->name, e->name_len));
		buf_release(&tmp);
		return rc;
	}
	rc = shard_open(b, e->shard, err);
	if (rc < 0)
		return rc;
	s = &b->shards[e->shard];
	if (e->offset > s->size || e->size > s->size - e->offset) {
		char *path = bundle_shard_path(b, e->shard);
		rc = ck_error(err, CK_ECORRUPT,
			      "%s: tensor \"%s\" (bytes %llu..%llu) extends past the end of the "
			      "%llu-byte file (truncated copy?)",
			      path, name_msg(&tmp, e->name, e->name_len), (unsigned long long)e->offset,
			      (unsigned long long)(e->offset + e->size), (unsigned long long)s->size);
		free(path);
		buf_release(&tmp);
		return rc;
	}
	*out = s;
	return 0;
}

static int v2_load(struct bundle *b, const struct bundle_entry *e, struct ck_err *err)
{
	struct bundle_shard *s;
	return entry_shard(b, e, &s, err);
}

int bundle_pread(struct bundle *b, const struct bundle_entry *e, uint64_t off, void *p, size_t n,
		 struct ck_err *err)
{
	return b->ops->pread(b, e, off, p, n, err);
}

static int v2_pread(struct bundle *b, const struct bundle_entry *e, uint64_t off, void *p,
		    size_t n, struct ck_err *err)
{
	struct bundle_shard *s;
	long long got;
	int rc;

	rc = entry_shard(b, e, &s, err);
	if (rc < 0)
		return rc;
	if (off > e->size || n > e->size - off)
		return ck_error(err, CK_EUSAGE, "read past the end of a tensor");
	got = ck_file_pread(s->f, p, n, e->offset + off, err);
	if (got < 0)
		return (int)got;
	if ((size_t)got != n) {
		char *path = bundle_shard_path(b, e->shard);
		rc = ck_error(err, CK_ECORRUPT, "%s: file shrank while reading", path);
		free(path);
	}
	return rc;
}

long long bundle_shard_pread(struct bundle *b, int shard, uint64_t off, void *p, size_t n,
			     struct ck_err *err)
{
	long long got;
	int rc;

	if (b->format != 2)
		return ck_error(err, CK_EUNSUP, "%s: not a V2 bundle", b->index_path);
	rc = shard_open(b, shard, err);
	if (rc < 0)
		return rc;
	got = ck_file_pread(b->shards[shard].f, p, n, off, err);
	return got;
}

static int crc_mismatch(struct bundle *b, const struct bundle_entry *e, const char *what,
			uint32_t stored, uint32_t actual, struct ck_err *err)
{
	struct buf tmp = BUF_INIT;
	char *path = bundle_shard_path(b, e->shard);
	int rc = ck_error(err, CK_ECORRUPT,
			  "%s: tensor \"%s\": %s mismatch (stored %08x, computed %08x)", path,
			  name_msg(&tmp, e->name, e->name_len), what, crc32c_unmask(stored), actual);
	free(path);
	buf_release(&tmp);
	return rc;
}

/* Buffered sequential reader over one payload, for the string rule's varints. */
struct payload_reader {
	struct bundle *b;
	const struct bundle_entry *e;
	uint64_t pos;          /* payload offset of buf[0] */
	uint8_t *buf;
	size_t len, at;
};

static int pr_fill(struct payload_reader *r, struct ck_err *err)
{
	uint64_t left;
	size_t n;
	int rc;

	r->pos += r->len;
	r->at = 0;
	r->len = 0;
	left = r->e->size - r->pos;
	n = left < CHUNK ? (size_t)left : CHUNK;
	if (!n)
		return 0;
	rc = bundle_pread(r->b, r->e, r->pos, r->buf, n, err);
	if (rc < 0)
		return rc;
	r->len = n;
	return 1;
}

static int pr_byte(struct payload_reader *r, uint8_t *c, struct ck_err *err)
{
	if (r->at == r->len) {
		int rc = pr_fill(r, err);
		if (rc <= 0)
			return rc;
	}
	*c = r->buf[r->at++];
	return 1;
}

static int pr_varint(struct payload_reader *r, uint64_t *v, struct ck_err *err)
{
	uint64_t x = 0;

	for (int i = 0; i < 10; i++) {
		uint8_t c;
		int rc = pr_byte(r, &c, err);
		if (rc <= 0)
			return rc;
		if (i == 9 && c > 1)
			return 0;
		x |= (uint64_t)(c & 0x7f) << (7 * i);
		if (!(c & 0x80)) {
			*v = x;
			return 1;
		}
	}
	return 0;
}

static uint64_t pr_offset(const struct payload_reader *r)
{
	return r->pos + r->at;
}

/* DT_STRING: CRC over fixed-width lengths, the stored length checksum, then the bytes. */
static int verify_strings(struct bundle *b, const struct bundle_entry *e, struct ck_err *err)
{
	struct payload_reader r = { b, e, 0, xmalloc_io(CHUNK), 0, 0 };
	struct buf tmp = BUF_INIT;
	uint64_t total = 0, len = 0;
	uint32_t crc = 0, lcrc;
	uint8_t stored[4];
	int rc = 0;

	for (uint64_t i = 0; i < e->elements; i++) {
		int got = pr_varint(&r, &len, err);
		if (got < 0) {
			rc = got;
			goto out;
		}
		if (!got || __builtin_add_overflow(total, len, &total)) {
			rc = ck_error(err, CK_ECORRUPT, "%s: string tensor \"%s\": bad length of element %llu",
				      b->index_path, name_msg(&tmp, e->name, e->name_len), (unsigned long long)i);
			goto out;
		}
		if (len <= UINT32_MAX) {
			uint8_t w[4] = { (uint8_t)len, (uint8_t)(len >> 8), (uint8_t)(len >> 16),
					 (uint8_t)(len >> 24) };
			crc = crc32c_extend(crc, w, 4);
		} else {
			uint8_t w[8];
			for (int k = 0; k < 8; k++)
				w[k] = (uint8_t)(len >> (8 * k));
			crc = crc32c_extend(crc, w, 8);
		}
	}
	for (int k = 0; k < 4; k++) {
		int got = pr_byte(&r, &stored[k], err);
		if (got <= 0) {
			rc = got < 0 ? got : ck_error(err, CK_ECORRUPT,
				"%s: string tensor \"%s\" ends inside its length checksum",
				b->index_path, name_msg(&tmp, e->name, e->name_len));
			goto out;
		}
	}
	lcrc = load_le32(stored);
	if (crc32c_unmask(lcrc) != crc) {
		rc = crc_mismatch(b, e, "string length checksum", lcrc, crc, err);
		goto out;
	}
	crc = crc32c_extend(crc, stored, 4);
	if (e->size - pr_offset(&r) != total) {
		rc = ck_error(err, CK_ECORRUPT,
			      "%s: string tensor \"%s\": lengths add up to %llu bytes but %llu remain",
			      b->index_path, name_msg(&tmp, e->name, e->name_len), (unsigned long long)total,
			      (unsigned long long)(e->size - pr_offset(&r)));
		goto out;
	}
	crc = crc32c_extend(crc, r.buf + r.at, r.len - r.at);
	while ((rc = pr_fill(&r, err)) > 0)
		crc = crc32c_extend(crc, r.buf, r.len);
	if (rc < 0)
		goto out;
	if (crc32c_mask(crc) != e->crc32c)
		rc = crc_mismatch(b, e, "checksum", e->crc32c, crc, err);
out:
	free(r.buf);
	buf_release(&tmp);
	return rc;
}

int bundle_verify(struct bundle *b, const struct bundle_entry *e, struct ck_err *err)
{
	struct tensor_stream s;
	uint8_t *chunk;
	long long n;
	int rc;

	if (e->dtype == DT_VARIANT) {
		struct buf tmp = BUF_INIT;
		rc = ck_error(err, CK_EUNSUP, "\"%s\": variant tensors are not checked",
			      name_msg(&tmp, e->name, e->name_len));
		buf_release(&tmp);
		return rc;
	}
	if (e->dtype == DT_STRING)
		return verify_strings(b, e, err);
	rc = tensor_stream_open(&s, b, e, err);
	if (rc < 0)
		return rc;
	chunk = xmalloc_io(CHUNK);  /* aligned: see xmalloc_io */
	while ((n = tensor_stream_read(&s, chunk, CHUNK, err)) > 0)
		;
	free(chunk);
	return n < 0 ? (int)n : 0;
}

int tensor_stream_open(struct tensor_stream *s, struct bundle *b, const struct bundle_entry *e,
		       struct ck_err *err)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->b = b;
	s->e = e;
	rc = b->ops->load(b, e, err);
	if (rc < 0)
		return rc;
	if (e->dtype == DT_STRING) {
		rc = verify_strings(b, e, err);
		if (rc < 0)
			return rc;
	} else if (e->dtype != DT_VARIANT) {
		s->check = 1;
	}
	return 0;
}

long long tensor_stream_read(struct tensor_stream *s, void *p, size_t n, struct ck_err *err)
{
	uint64_t left = s->e->size - s->pos;
	int rc;

	if (n > left)
		n = (size_t)left;
	if (n) {
		rc = bundle_pread(s->b, s->e, s->pos, p, n, err);
		if (rc < 0)
			return rc;
		if (s->check)
			s->crc = crc32c_extend(s->crc, p, n);
		s->pos += n;
	}
	if (s->pos == s->e->size && s->check) {
		s->check = 0;  /* report a mismatch once, at the end */
		if (crc32c_mask(s->crc) != s->e->crc32c)
			return crc_mismatch(s->b, s->e, "checksum", s->e->crc32c, s->crc, err);
	}
	return (long long)n;
}

int bundle_check_crc(struct bundle *b, const struct bundle_entry *e, uint32_t crc,
		     struct ck_err *err)
{
	if (crc32c_mask(crc) != e->crc32c)
		return crc_mismatch(b, e, "checksum", e->crc32c, crc, err);
	return 0;
}

int bundle_read(struct bundle *b, const struct bundle_entry *e, struct buf *out, struct ck_err *err)
{
	struct tensor_stream s;
	long long n;
	int rc;

	buf_reset(out);
	if (e->size > SIZE_MAX / 2)
		return ck_error(err, CK_EUNSUP, "tensor too large to read whole");
	rc = tensor_stream_open(&s, b, e, err);
	if (rc < 0)
		return rc;
	buf_grow(out, (size_t)e->size);
	while ((n = tensor_stream_read(&s, out->p + out->len, (size_t)(e->size - out->len), err)) > 0)
		out->len += (size_t)n;
	if (n == 0 && e->size == 0)
		n = tensor_stream_read(&s, out->p, 0, err);
	return n < 0 ? (int)n : 0;
}

int bundle_strings(const uint8_t *p, size_t n, uint64_t elements,
		   int (*fn)(void *ctx, uint64_t i, const uint8_t *s, size_t len), void *ctx,
		   struct ck_err *err)
{
	struct cursor lens = cursor_make(p, n), data;
	uint64_t len;
	size_t skip = 0;

	/* First pass: find where the bytes start (after the varints and the checksum). */
	for (uint64_t i = 0; i < elements; i++)
		if (cursor_varint64(&lens, &len))
			return ck_error(err, CK_ECORRUPT, "string tensor: bad length of element %llu",
					(unsigned long long)i);
	if (cursor_skip(&lens, 4))
		return ck_error(err, CK_ECORRUPT, "string tensor: no length checksum");
	data = lens;
	lens = cursor_make(p, n);
	for (uint64_t i = 0; i < elements; i++) {
		const uint8_t *s;
		int r;
		cursor_varint64(&lens, &len);
		if (len > data.n || cursor_bytes(&data, (size_t)len, &s))
			return ck_error(err, CK_ECORRUPT, "string tensor: element %llu overruns the payload",
					(unsigned long long)i);
		r = fn(ctx, i, s, (size_t)len);
		if (r)
			return r;
		skip += (size_t)len;
	}
	(void)skip;
	return 0;
}
