/* Table reader and writer (layout drawn in table.h). The reader checks, in order: file size,
 * magic, handle bounds, trailer checksum, compression type, Snappy length, restart array, and
 * every entry's varints against the end of its block (doc/FORMAT.md §4.9). */
#include "format/table.h"

#include <fcntl.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/cursor.h"
#include "base/dynload.h"
#include "store/file.h"

/* Snappy is opened on first use (dynload.h): TensorFlow never compresses its index blocks,
 * so almost no run needs it, and linking it loads libstdc++ into every start. */
#ifndef SNAPPY_SONAME
#define SNAPPY_SONAME "libsnappy.so"
#endif
#define SNAPPY_FUNCS(X) X(snappy_uncompressed_length) X(snappy_uncompress) \
	X(snappy_max_compressed_length) X(snappy_compress)
#define DECLARE(f) static __typeof__(f) *p_##f;
#define NAME(f) #f,
#define SLOT(f) (void **)&p_##f,
SNAPPY_FUNCS(DECLARE)
static const char *const snappy_names[] = { SNAPPY_FUNCS(NAME) NULL };
static void **const snappy_slots[] = { SNAPPY_FUNCS(SLOT) };
static struct dynlib libsnappy = { SNAPPY_SONAME, snappy_names, snappy_slots, 0, "" };
#define snappy_uncompressed_length (*p_snappy_uncompressed_length)
#define snappy_uncompress (*p_snappy_uncompress)
#define snappy_max_compressed_length (*p_snappy_max_compressed_length)
#define snappy_compress (*p_snappy_compress)

/* ---- blocks ------------------------------------------------------------------------- */

struct block {
	uint8_t *owned;        /* buffer holding the block (and trailer), kept for the next one */
	size_t cap;            /* its size (xmalloc_huge) */
	const uint8_t *data;   /* contents after decompression */
	size_t restart_off;    /* entries end here */
	size_t nrestarts;
};

struct block_iter {
	const struct block *b;
	size_t off;            /* next entry */
	size_t rk;             /* next restart point a sequential walk must meet (SIZE_MAX: off) */
	struct buf key;
	const uint8_t *val;
	size_t val_len;
};

struct table {
	struct ck_file *f;
	char *path;
	uint64_t size;
	struct block index;
};

struct table_iter {
	struct table *t;
	struct block_iter idx;
	struct block data;
	struct block_iter blk;
	int in_block;
	struct buf prev;
	int have_prev;
	struct ck_err err;
};

int key_cmp(const void *a, size_t an, const void *b, size_t bn)
{
	size_t n = an < bn ? an : bn;
	int c = n ? memcmp(a, b, n) : 0;

	if (c)
		return c;
	return an < bn ? -1 : an > bn;
}

static void block_release(struct block *b)
{
	xfree_huge(b->owned, b->cap);
	memset(b, 0, sizeof(*b));
}

/* b's buffer, of at least n bytes: an iterator reads block after block into the same one
 * (fresh memory costs a page fault per 4 KiB: blocks are 256 KiB as TF writes them). */
static uint8_t *block_buffer(struct block *b, size_t n)
{
	if (b->cap < n) {
		xfree_huge(b->owned, b->cap);
		b->owned = xmalloc_huge(n);
		b->cap = n;
	}
	return b->owned;
}

static int corrupt(struct ck_err *err, const struct table *t, uint64_t off, const char *what)
{
	return ck_error(err, CK_ECORRUPT, "%s: block at offset %llu: %s", t->path,
			(unsigned long long)off, what);
}

/* Read the block at (off, size) into b (its buffer reused), check its trailer and decompress
 * it. */
static int read_block(struct table *t, uint64_t off, uint64_t size, struct block *b,
		      struct ck_err *err)
{
	uint8_t *raw;
	uint32_t stored, actual;
	uint8_t type;
	long long got;

	b->data = NULL;
	b->restart_off = b->nrestarts = 0;
	if (size > t->size || off > t->size - size || t->size - off - size < 5)
		return ck_error(err, CK_ECORRUPT,
				"%s: block handle (offset %llu, size %llu) lies outside the %llu-byte file",
				t->path, (unsigned long long)off, (unsigned long long)size,
				(unsigned long long)t->size);
	raw = block_buffer(b, (size_t)size + 5);
	got = ck_file_pread(t->f, raw, (size_t)size + 5, off, err);
	if (got < 0)
		return (int)got;
	if ((uint64_t)got != size + 5)
		return corrupt(err, t, off, "file shrank while reading");
	stored = load_le32(raw + size + 1);
	actual = crc32c(raw, (size_t)size + 1);
	if (crc32c_unmask(stored) != actual)
		return ck_error(err, CK_ECORRUPT,
				"%s: block at offset %llu: checksum mismatch (stored %08x, computed %08x)",
				t->path, (unsigned long long)off, crc32c_unmask(stored), actual);
	type = raw[size];
	if (type == 0) {
		b->data = raw;
	} else if (type == 1) {
		size_t ulen;
		uint8_t *out;
		struct ck_err why;
		if (dynlib_load(&libsnappy, "Snappy-compressed blocks", &why) < 0)
			return ck_error(err, why.code, "%s: block at offset %llu: %s", t->path,
					(unsigned long long)off, why.msg);
		if (snappy_uncompressed_length((const char *)raw, (size_t)size, &ulen) != SNAPPY_OK ||
		    ulen / 32 > size + 1)
			return corrupt(err, t, off, "bad snappy length preamble");
		out = xmalloc_huge(ulen + 1);
		if (snappy_uncompress((const char *)raw, (size_t)size, (char *)out, &ulen) !=
		    SNAPPY_OK) {
			xfree_huge(out, ulen + 1);
			return corrupt(err, t, off, "snappy data does not decompress");
		}
		xfree_huge(b->owned, b->cap);  /* the decompressed block takes the raw one's place */
		b->owned = out;
		b->data = out;
		b->cap = ulen + 1;
		size = ulen;
	} else {
		return ck_error(err, CK_ECORRUPT, "%s: block at offset %llu: unknown compression type %u",
				t->path, (unsigned long long)off, type);
	}
	if (size < 4) {
		block_release(b);
		return corrupt(err, t, off, "block shorter than its restart count");
	}
	b->nrestarts = load_le32(b->data + size - 4);
	if (b->nrestarts > (size - 4) / 4) {
		block_release(b);
		return corrupt(err, t, off, "restart array larger than the block");
	}
	/* TF treats a block with no restart points as empty. */
	b->restart_off = b->nrestarts ? (size_t)size - 4 - 4 * b->nrestarts : 0;
	/* Lookups binary-search the restart points, walks do not: so that both see the same
	 * table, the points must start at 0, ascend and lie among the entries (and each must be
	 * an entry with shared = 0: block_iter_next checks that on its walk). */
	if (b->restart_off) {
		for (size_t i = 0; i < b->nrestarts; i++) {
			uint32_t r = load_le32(b->data + b->restart_off + 4 * i);
			if (r >= b->restart_off || (i ? r <= load_le32(b->data + b->restart_off + 4 * (i - 1))
						       : r != 0)) {
				block_release(b);
				return corrupt(err, t, off, "bad restart array");
			}
		}
	}
	return 0;
}

static void block_iter_init(struct block_iter *it, const struct block *b)
{
	it->b = b;
	it->off = 0;
	it->rk = 0;
	buf_reset(&it->key);
	it->val = NULL;
	it->val_len = 0;
}

/* Decode the entry at it->off: 1 done, 0 end of block, < 0 corruption. */
static int block_iter_next(struct block_iter *it, struct ck_err *err, const struct table *t)
{
	struct cursor c;
	uint32_t shared, non_shared, vlen;
	const uint8_t *delta;

	if (it->off >= it->b->restart_off) {
		if (it->rk != SIZE_MAX && it->rk < it->b->nrestarts && it->b->restart_off)
			return ck_error(err, CK_ECORRUPT, "%s: restart point %zu is inside the last entry",
					t->path, it->rk);
		return 0;
	}
	c = cursor_make(it->b->data + it->off, it->b->restart_off - it->off);
	if (cursor_varint32(&c, &shared) || cursor_varint32(&c, &non_shared) ||
	    cursor_varint32(&c, &vlen))
		return ck_error(err, CK_ECORRUPT, "%s: bad entry header at block offset %zu",
				t->path, it->off);
	if (shared > it->key.len)
		return ck_error(err, CK_ECORRUPT,
				"%s: entry shares %u key bytes but the previous key has %zu", t->path,
				shared, it->key.len);
	if (it->rk != SIZE_MAX && it->rk < it->b->nrestarts) {
		uint32_t r = load_le32(it->b->data + it->b->restart_off + 4 * it->rk);
		if (r < it->off || (r == it->off && shared))
			return ck_error(err, CK_ECORRUPT,
					"%s: restart point %zu is not the start of an unshared entry",
					t->path, it->rk);
		if (r == it->off)
			it->rk++;
	}
	if ((uint64_t)non_shared + vlen > c.n)
		return ck_error(err, CK_ECORRUPT, "%s: entry overruns its block at block offset %zu",
				t->path, it->off);
	cursor_bytes(&c, non_shared, &delta);
	cursor_bytes(&c, vlen, &it->val);
	it->val_len = vlen;
	it->key.len = shared;
	buf_add(&it->key, delta, non_shared);
	it->off = (size_t)(c.p - it->b->data);
	return 1;
}

/* Find the first key >= target: 1 with it->key/val set to that entry, 0 if every key is
 * smaller, < 0 on corruption. Binary search over restart points, then a linear scan. */
static int block_iter_seek(struct block_iter *it, const uint8_t *target, size_t tlen,
			   struct ck_err *err, const struct table *t)
{
	const struct block *b = it->b;
	size_t lo = 0, hi;
	int r;

	block_iter_init(it, b);
	it->rk = SIZE_MAX;  /* jumps between restart points: the walk checks them */
	if (!b->nrestarts || !b->restart_off)
		return 0;  /* no entries */
	hi = b->nrestarts - 1;
	while (lo < hi) {
		size_t mid = (lo + hi + 1) / 2;
		uint32_t roff = load_le32(b->data + b->restart_off + 4 * mid);
		if (roff >= b->restart_off)
			return ck_error(err, CK_ECORRUPT, "%s: restart point %zu out of range", t->path, mid);
		it->off = roff;
		buf_reset(&it->key);
		r = block_iter_next(it, err, t);
		if (r < 0)
			return r;
		if (key_cmp(it->key.p, it->key.len, target, tlen) < 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	it->off = load_le32(b->data + b->restart_off + 4 * lo);
	if (it->off >= b->restart_off)
		return ck_error(err, CK_ECORRUPT, "%s: restart point out of range", t->path);
	buf_reset(&it->key);
	while ((r = block_iter_next(it, err, t)) == 1)
		if (key_cmp(it->key.p, it->key.len, target, tlen) >= 0)
			return 1;
	return r;
}

/* ---- reader ------------------------------------------------------------------------- */

static int decode_handle(struct cursor *c, uint64_t *off, uint64_t *size)
{
	return cursor_varint64(c, off) || cursor_varint64(c, size) ? -1 : 0;
}

static int open_table(struct table **out, const char *path, int named, struct ck_err *err)
{
	int notable = named ? CK_ECORRUPT : CK_EKIND;
	struct table *t;
	struct ck_file *f;
	uint8_t footer[TABLE_FOOTER_LEN];
	struct cursor c;
	uint64_t moff, msize, ioff, isize, size;
	long long got;
	int rc;

	*out = NULL;
	rc = ck_file_open(path, &f, err);
	if (rc < 0)
		return rc;
	size = f->size;
	if (size < TABLE_FOOTER_LEN) {
		ck_file_close(f);
		return ck_error(err, notable, "%s: %s (%lld bytes, a table needs at least 48)", path,
				size ? "too short to be a table file" : "empty file", (long long)size);
	}
	got = ck_file_pread(f, footer, sizeof(footer), size - TABLE_FOOTER_LEN, err);
	if (got != TABLE_FOOTER_LEN) {
		rc = got < 0 ? (int)got : ck_error(err, CK_EIO, "%s: read footer: file shrank", path);
		ck_file_close(f);
		return rc;
	}
	if (load_le64(footer + 40) != TABLE_MAGIC) {
		ck_file_close(f);
		return ck_error(err, notable,
				"%s: no table magic number at the end: truncated, or not a table file", path);
	}
	t = xcalloc(1, sizeof(*t));
	t->f = f;
	t->path = xstrdup(path);
	t->size = size;
	c = cursor_make(footer, 40);
	if (decode_handle(&c, &moff, &msize) || decode_handle(&c, &ioff, &isize)) {
		rc = ck_error(err, CK_ECORRUPT, "%s: bad block handle in footer", path);
		goto fail;
	}
	(void)moff;
	(void)msize;  /* TF never reads the metaindex, nor do we */
	rc = read_block(t, ioff, isize, &t->index, err);
	if (rc < 0)
		goto fail;
	*out = t;
	return 0;
fail:
	table_free(t);
	return rc;
}

int table_open(struct table **out, const char *path, struct ck_err *err)
{
	return open_table(out, path, 0, err);
}

int table_open_named(struct table **out, const char *path, struct ck_err *err)
{
	return open_table(out, path, 1, err);
}

void table_free(struct table *t)
{
	if (!t)
		return;
	ck_file_close(t->f);
	block_release(&t->index);
	free(t->path);
	free(t);
}

const char *table_path(const struct table *t)
{
	return t->path;
}

uint64_t table_file_size(const struct table *t)
{
	return t->size;
}

static int index_value_block(struct table *t, const uint8_t *v, size_t vn, struct block *b,
			     struct ck_err *err)
{
	struct cursor c = cursor_make(v, vn);
	uint64_t off, size;

	if (decode_handle(&c, &off, &size))
		return ck_error(err, CK_ECORRUPT, "%s: bad block handle in the index block", t->path);
	return read_block(t, off, size, b, err);
}

int table_get(struct table *t, const void *key, size_t key_len, struct buf *val, struct ck_err *err)
{
	struct block_iter idx = { 0 }, it = { 0 };
	struct block data = { 0 };
	int rc;

	block_iter_init(&idx, &t->index);
	rc = block_iter_seek(&idx, key, key_len, err, t);
	if (rc <= 0)
		goto done;  /* past the last block: absent */
	rc = index_value_block(t, idx.val, idx.val_len, &data, err);
	if (rc < 0)
		goto done;
	block_iter_init(&it, &data);
	rc = block_iter_seek(&it, key, key_len, err, t);
	if (rc == 1) {
		rc = key_cmp(it.key.p, it.key.len, key, key_len) == 0;
		if (rc && val) {
			buf_reset(val);
			buf_add(val, it.val, it.val_len);
		}
	}
done:
	block_release(&data);
	buf_release(&idx.key);
	buf_release(&it.key);
	return rc;
}

struct table_iter *table_iter_new(struct table *t)
{
	struct table_iter *it = xcalloc(1, sizeof(*it));

	it->t = t;
	block_iter_init(&it->idx, &t->index);
	return it;
}

int table_iter_next(struct table_iter *it, const uint8_t **key, size_t *key_len,
		    const uint8_t **val, size_t *val_len, struct ck_err *err)
{
	int rc;

	for (;;) {
		if (it->in_block) {
			rc = block_iter_next(&it->blk, err, it->t);
			if (rc < 0)
				return rc;
			if (rc == 1)
				break;
			it->in_block = 0;  /* it->data keeps its buffer for the next block */
		}
		rc = block_iter_next(&it->idx, err, it->t);
		if (rc <= 0)
			return rc;
		rc = index_value_block(it->t, it->idx.val, it->idx.val_len, &it->data, err);
		if (rc < 0)
			return rc;
		block_iter_init(&it->blk, &it->data);
		it->in_block = 1;
	}
	/* Lookups binary-search, so order is part of validity: check it as we go. */
	if (it->have_prev && key_cmp(it->prev.p, it->prev.len, it->blk.key.p, it->blk.key.len) >= 0) {
		/* Keys are file bytes: escaped, and cut to 60 bytes each. */
		struct buf k1 = BUF_INIT, k2 = BUF_INIT;
		buf_add_escaped(&k1, it->blk.key.p, it->blk.key.len < 60 ? it->blk.key.len : 60);
		buf_add_escaped(&k2, it->prev.p, it->prev.len < 60 ? it->prev.len : 60);
		buf_addc(&k1, 0);
		buf_addc(&k2, 0);
		ck_error(err, CK_ECORRUPT, "%s: keys out of order (\"%s\" after \"%s\")",
			 it->t->path, (const char *)k1.p, (const char *)k2.p);
		buf_release(&k1);
		buf_release(&k2);
		return CK_ECORRUPT;
	}
	if (key_cmp(it->blk.key.p, it->blk.key.len, it->idx.key.p, it->idx.key.len) > 0)
		return ck_error(err, CK_ECORRUPT, "%s: key beyond its index separator", it->t->path);
	buf_reset(&it->prev);
	buf_add(&it->prev, it->blk.key.p, it->blk.key.len);
	it->have_prev = 1;
	*key = it->blk.key.p;
	*key_len = it->blk.key.len;
	*val = it->blk.val;
	*val_len = it->blk.val_len;
	return 1;
}

void table_iter_rewind(struct table_iter *it)
{
	block_iter_init(&it->idx, &it->t->index);
	it->in_block = 0;   /* it->data keeps its buffer */
	it->have_prev = 0;
	buf_reset(&it->prev);
}

void table_iter_free(struct table_iter *it)
{
	if (!it)
		return;
	block_release(&it->data);
	buf_release(&it->idx.key);
	buf_release(&it->blk.key);
	buf_release(&it->prev);
	free(it);
}

/* ---- writer ------------------------------------------------------------------------- */

struct block_builder {
	struct buf data;
	uint32_t *restarts;
	size_t nrestarts, cap;
	int counter, interval;
	struct buf last_key;
};

static struct block_builder *bb_new(int interval)
{
	struct block_builder *bb = xcalloc(1, sizeof(*bb));

	bb->interval = interval;
	bb->cap = 16;
	bb->restarts = xmalloc(bb->cap * sizeof(uint32_t));
	bb->restarts[bb->nrestarts++] = 0;
	return bb;
}

static void bb_free(struct block_builder *bb)
{
	if (!bb)
		return;
	buf_release(&bb->data);
	buf_release(&bb->last_key);
	free(bb->restarts);
	free(bb);
}

static void bb_reset(struct block_builder *bb)
{
	buf_reset(&bb->data);
	buf_reset(&bb->last_key);
	bb->nrestarts = 1;
	bb->restarts[0] = 0;
	bb->counter = 0;
}

static size_t bb_estimate(const struct block_builder *bb)
{
	return bb->data.len + 4 * bb->nrestarts + 4;
}

static void bb_add(struct block_builder *bb, const uint8_t *k, size_t kn, const uint8_t *v, size_t vn)
{
	size_t shared = 0;

	if (bb->counter < bb->interval) {
		size_t m = kn < bb->last_key.len ? kn : bb->last_key.len;
		while (shared < m && bb->last_key.p[shared] == k[shared])
			shared++;
	} else {
		if (bb->nrestarts == bb->cap) {
			bb->cap *= 2;
			bb->restarts = xreallocarray(bb->restarts, bb->cap, sizeof(uint32_t));
		}
		bb->restarts[bb->nrestarts++] = (uint32_t)bb->data.len;
		bb->counter = 0;
	}
	put_varint32(&bb->data, (uint32_t)shared);
	put_varint32(&bb->data, (uint32_t)(kn - shared));
	put_varint32(&bb->data, (uint32_t)vn);
	buf_add(&bb->data, k + shared, kn - shared);
	buf_add(&bb->data, v, vn);
	buf_reset(&bb->last_key);
	buf_add(&bb->last_key, k, kn);
	bb->counter++;
}

static void bb_finish(struct block_builder *bb)
{
	for (size_t i = 0; i < bb->nrestarts; i++)
		put_fixed32(&bb->data, bb->restarts[i]);
	put_fixed32(&bb->data, (uint32_t)bb->nrestarts);
}

void table_separator(struct buf *out, const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t i = 0, m = an < bn ? an : bn;

	buf_reset(out);
	while (i < m && a[i] == b[i])
		i++;
	if (i < m && a[i] < 0xff && a[i] + 1 < b[i]) {
		buf_add(out, a, i);
		buf_addc(out, (uint8_t)(a[i] + 1));
		return;
	}
	buf_add(out, a, an);
}

void table_successor(struct buf *out, const uint8_t *a, size_t an)
{
	buf_reset(out);
	for (size_t i = 0; i < an; i++) {
		if (a[i] != 0xff) {
			buf_add(out, a, i);
			buf_addc(out, (uint8_t)(a[i] + 1));
			return;
		}
	}
	buf_add(out, a, an);
}

void table_builder_init(struct table_builder *tb, struct buf *out)
{
	memset(tb, 0, sizeof(*tb));
	tb->out = out;
	tb->base = out->len;
	tb->block_size = 262144;
	tb->restart_interval = 16;
	tb->data = bb_new(16);
	tb->index = bb_new(1);
}

static void write_raw_block(struct table_builder *tb, struct buf *contents, uint64_t *off,
			    uint64_t *size)
{
	const uint8_t *p = contents->p;
	size_t n = contents->len;
	uint8_t type = 0;
	char *z = NULL;
	uint32_t crc;

	if (tb->snappy && n && dynlib_load(&libsnappy, "compressing", &(struct ck_err){ 0 }) == 0) {
		size_t zn = snappy_max_compressed_length(n);
		z = xmalloc(zn);
		if (snappy_compress((const char *)p, n, z, &zn) == SNAPPY_OK && zn < n - n / 8) {
			p = (const uint8_t *)z;
			n = zn;
			type = 1;
		}
	}
	*off = tb->drained + (tb->out->len - tb->base);
	*size = n;
	buf_add(tb->out, p, n);
	crc = crc32c_extend(crc32c(p, n), &type, 1);
	buf_addc(tb->out, type);
	put_fixed32(tb->out, crc32c_mask(crc));
	free(z);
}

static void flush_data(struct table_builder *tb)
{
	if (!tb->data->data.len)
		return;
	bb_finish(tb->data);
	write_raw_block(tb, &tb->data->data, &tb->pending_off, &tb->pending_size);
	tb->pending_index = 1;
	bb_reset(tb->data);
}

static void add_index_entry(struct table_builder *tb, const struct buf *sep)
{
	struct buf h = BUF_INIT;

	put_varint64(&h, tb->pending_off);
	put_varint64(&h, tb->pending_size);
	bb_add(tb->index, sep->p, sep->len, h.p, h.len);
	buf_release(&h);
	tb->pending_index = 0;
}

int table_builder_add(struct table_builder *tb, const void *key, size_t key_len, const void *val,
		      size_t val_len)
{
	const uint8_t *k = key;

	if (tb->status)
		return tb->status;
	if (key_len > UINT32_MAX || val_len > UINT32_MAX)
		return tb->status = ck_error(&tb->err, CK_EUSAGE, "table entry too large");
	if (tb->num_entries && key_cmp(tb->last_key.p, tb->last_key.len, k, key_len) >= 0)
		return tb->status = ck_error(&tb->err, CK_EUSAGE,
					     "table keys added out of order or twice");
	/* TF flushes before an entry too large to share a block (doc/FORMAT.md §4.8 step 1a). */
	if (tb->num_entries && (uint64_t)key_len + val_len >= 2 * (uint64_t)tb->block_size)
		flush_data(tb);
	if (tb->pending_index) {
		struct buf sep = BUF_INIT;
		table_separator(&sep, tb->last_key.p, tb->last_key.len, k, key_len);
		add_index_entry(tb, &sep);
		buf_release(&sep);
	}
	bb_add(tb->data, k, key_len, val, val_len);
	buf_reset(&tb->last_key);
	buf_add(&tb->last_key, k, key_len);
	tb->num_entries++;
	if (bb_estimate(tb->data) >= tb->block_size)
		flush_data(tb);
	return 0;
}

int table_builder_finish(struct table_builder *tb, struct ck_err *err)
{
	struct block_builder *meta;
	uint64_t moff, msize, ioff, isize;
	size_t footer_start;

	if (tb->status) {
		if (err)
			*err = tb->err;
		return tb->status;
	}
	flush_data(tb);
	meta = bb_new(tb->restart_interval);
	bb_finish(meta);
	write_raw_block(tb, &meta->data, &moff, &msize);
	bb_free(meta);
	if (tb->pending_index) {
		struct buf succ = BUF_INIT;
		table_successor(&succ, tb->last_key.p, tb->last_key.len);
		add_index_entry(tb, &succ);
		buf_release(&succ);
	}
	bb_finish(tb->index);
	write_raw_block(tb, &tb->index->data, &ioff, &isize);
	footer_start = tb->out->len;
	put_varint64(tb->out, moff);
	put_varint64(tb->out, msize);
	put_varint64(tb->out, ioff);
	put_varint64(tb->out, isize);
	while (tb->out->len < footer_start + 40)
		buf_addc(tb->out, 0);
	put_fixed64(tb->out, TABLE_MAGIC);
	return 0;
}

void table_builder_drained(struct table_builder *tb)
{
	tb->drained += tb->out->len - tb->base;
	tb->out->len = tb->base;
}

void table_builder_release(struct table_builder *tb)
{
	bb_free(tb->data);
	bb_free(tb->index);
	buf_release(&tb->last_key);
	tb->data = tb->index = NULL;
}
