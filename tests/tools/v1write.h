/* A legacy V1 checkpoint writer for tests (doc/FORMAT.md §9), built on ckpt's table writer and the
 * protos in proto/saved_tensor_slice.proto; plus the V1 test sets (make_v1_sets) that
 * mkckpt writes under v1/ and the unit tests rebuild. Header-only so that both can use it.
 *
 *   table:  ""        -> SavedTensorSlices{meta: one SavedSliceMeta per tensor}
 *           slice key -> SavedTensorSlices{data: SavedSlice{name, slice, TensorProto}}
 */
#ifndef CKPT_TESTS_V1WRITE_H
#define CKPT_TESTS_V1WRITE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/util.h"
#include "format/dtype.h"
#include "format/slicekey.h"
#include "format/table.h"
#include "saved_tensor_slice.pb-c.h"

struct v1w_kv {
	struct buf key, val;
};

struct v1w {
	Tensorflow__SavedTensorSliceMeta meta;
	Tensorflow__VersionDef version;
	struct v1w_kv *kv;
	size_t nkv;
};

static void v1w_init(struct v1w *w, int with_versions)
{
	memset(w, 0, sizeof(*w));
	tensorflow__saved_tensor_slice_meta__init(&w->meta);
	tensorflow__version_def__init(&w->version);
	w->version.producer = 1;
	if (with_versions)
		w->meta.versions = &w->version;
}

static Tensorflow__TensorSliceProto *v1w_slice_proto(int rank, const int64_t *ext)
{
	Tensorflow__TensorSliceProto *s = xcalloc(1, sizeof(*s));
	tensorflow__tensor_slice_proto__init(s);
	s->n_extent = (size_t)rank;
	s->extent = xcalloc((size_t)rank + 1, sizeof(*s->extent));
	for (int d = 0; d < rank; d++) {
		Tensorflow__TensorSliceProto__Extent *x = xcalloc(1, sizeof(*x));
		tensorflow__tensor_slice_proto__extent__init(x);
		if (ext[2 * d + 1] >= 0) {
			x->start = ext[2 * d];
			x->has_length_case = TENSORFLOW__TENSOR_SLICE_PROTO__EXTENT__HAS_LENGTH_LENGTH;
			x->length = ext[2 * d + 1];
		}
		s->extent[d] = x;
	}
	return s;
}

static void v1w_free_slice_proto(Tensorflow__TensorSliceProto *s)
{
	for (size_t d = 0; d < s->n_extent; d++)
		free(s->extent[d]);
	free(s->extent);
	free(s);
}

/* Declare a tensor: full shape; its slices follow with v1w_slice. */
static void v1w_tensor(struct v1w *w, const char *name, int dtype, const int64_t *dims, int rank)
{
	Tensorflow__SavedSliceMeta *m = xcalloc(1, sizeof(*m));
	Tensorflow__TensorShapeProto *sh = xcalloc(1, sizeof(*sh));

	tensorflow__saved_slice_meta__init(m);
	tensorflow__tensor_shape_proto__init(sh);
	sh->n_dim = (size_t)rank;
	sh->dim = xcalloc((size_t)rank + 1, sizeof(*sh->dim));
	for (int d = 0; d < rank; d++) {
		sh->dim[d] = xcalloc(1, sizeof(*sh->dim[d]));
		tensorflow__tensor_shape_proto__dim__init(sh->dim[d]);
		sh->dim[d]->size = dims[d];
	}
	m->name.data = (uint8_t *)xstrdup(name);
	m->name.len = strlen(name);
	m->shape = sh;
	m->type = (Tensorflow__DataType)dtype;
	w->meta.tensor = xreallocarray(w->meta.tensor, w->meta.n_tensor + 1, sizeof(m));
	w->meta.tensor[w->meta.n_tensor++] = m;
}

/* A slice of the last declared tensor: ext = rank (start, length) pairs, length -1 for a whole
 * dimension; tp = a serialized TensorProto holding its values. declare = 0 stores the data
 * without listing the slice in the table of contents (for another shard, or a broken file). */
static void v1w_slice_ex(struct v1w *w, const int64_t *ext, const void *tp, size_t tpn, int declare,
			 int store)
{
	Tensorflow__SavedSliceMeta *m = w->meta.tensor[w->meta.n_tensor - 1];
	int rank = (int)m->shape->n_dim;
	Tensorflow__SavedTensorSlices top;
	Tensorflow__SavedSlice ss;
	Tensorflow__TensorProto *data;
	struct v1w_kv *kv;

	if (declare) {
		m->slice = xreallocarray(m->slice, m->n_slice + 1, sizeof(*m->slice));
		m->slice[m->n_slice++] = v1w_slice_proto(rank, ext);
	}
	if (!store)
		return;
	data = tensorflow__tensor_proto__unpack(NULL, tpn, tp);
	if (!data) {
		fprintf(stderr, "v1write: bad TensorProto\n");
		exit(2);
	}
	tensorflow__saved_tensor_slices__init(&top);
	tensorflow__saved_slice__init(&ss);
	ss.name = m->name;
	ss.slice = v1w_slice_proto(rank, ext);
	ss.data = data;
	top.data = &ss;
	w->kv = xreallocarray(w->kv, w->nkv + 1, sizeof(*w->kv));
	kv = &w->kv[w->nkv++];
	memset(kv, 0, sizeof(*kv));
	slice_key(&kv->key, m->name.data, m->name.len, rank, ext);
	/* Keep the TensorProto bytes as given (packed or not): splice them in by hand. */
	top.data->data = NULL;
	buf_grow(&kv->val, tensorflow__saved_tensor_slices__get_packed_size(&top) + tpn + 32);
	{
		struct buf inner = BUF_INIT;
		buf_grow(&inner, tensorflow__saved_slice__get_packed_size(&ss));
		inner.len = tensorflow__saved_slice__pack(&ss, inner.p);
		buf_addc(&inner, 0x1a);  /* SavedSlice.data, field 3, length-delimited */
		put_varint64(&inner, tpn);
		buf_add(&inner, tp, tpn);
		buf_addc(&kv->val, 0x12);  /* SavedTensorSlices.data, field 2 */
		put_varint64(&kv->val, inner.len);
		buf_add(&kv->val, inner.p, inner.len);
		buf_release(&inner);
	}
	tensorflow__tensor_proto__free_unpacked(data, NULL);
	v1w_free_slice_proto(ss.slice);
}

static void v1w_slice(struct v1w *w, const int64_t *ext, const void *tp, size_t tpn)
{
	v1w_slice_ex(w, ext, tp, tpn, 1, 1);
}

static int v1w_cmp(const void *a, const void *b)
{
	const struct v1w_kv *x = a, *y = b;
	return key_cmp(x->key.p, x->key.len, y->key.p, y->key.len);
}

static void v1w_release(struct v1w *w)
{
	for (size_t i = 0; i < w->meta.n_tensor; i++) {
		Tensorflow__SavedSliceMeta *m = w->meta.tensor[i];
		for (size_t d = 0; d < m->shape->n_dim; d++)
			free(m->shape->dim[d]);
		free(m->shape->dim);
		free(m->shape);
		for (size_t s = 0; s < m->n_slice; s++)
			v1w_free_slice_proto(m->slice[s]);
		free(m->slice);
		free(m->name.data);
		free(m);
	}
	free(w->meta.tensor);
	for (size_t i = 0; i < w->nkv; i++) {
		buf_release(&w->kv[i].key);
		buf_release(&w->kv[i].val);
	}
	free(w->kv);
	memset(w, 0, sizeof(*w));
}

/* Write the table to dir/name (plainly: tests need no atomic rename) and release w. */
static void v1w_write(struct v1w *w, const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	Tensorflow__SavedTensorSlices top;
	struct table_builder tb;
	struct buf out = BUF_INIT, meta = BUF_INIT;
	struct ck_err err;
	int fd;

	tensorflow__saved_tensor_slices__init(&top);
	top.meta = &w->meta;
	buf_grow(&meta, tensorflow__saved_tensor_slices__get_packed_size(&top));
	meta.len = tensorflow__saved_tensor_slices__pack(&top, meta.p);
	qsort(w->kv, w->nkv, sizeof(*w->kv), v1w_cmp);
	table_builder_init(&tb, &out);
	table_builder_add(&tb, "", 0, meta.p, meta.len);
	for (size_t i = 0; i < w->nkv; i++)
		table_builder_add(&tb, w->kv[i].key.p, w->kv[i].key.len, w->kv[i].val.p, w->kv[i].val.len);
	if (table_builder_finish(&tb, &err) < 0) {
		fprintf(stderr, "v1write: %s\n", err.msg);
		exit(2);
	}
	table_builder_release(&tb);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0666);
	if (fd < 0 || write_full(fd, out.p, out.len) < 0 || close(fd) < 0) {
		perror(path);
		exit(2);
	}
	free(path);
	buf_release(&out);
	buf_release(&meta);
	v1w_release(w);
}

/* ---- TensorProto values ---- */

static void v1w_tag(struct buf *b, int field, int wire)
{
	put_varint64(b, (uint64_t)(field << 3 | wire));
}

/* Packed repeated varints (int_val 7, int64_val 10, bool_val 11, half_val 13 ...). */
static void v1w_tp_varints(struct buf *b, int field, const int64_t *v, size_t n, int packed)
{
	if (!packed) {
		for (size_t i = 0; i < n; i++) {
			v1w_tag(b, field, 0);
			put_varint64(b, (uint64_t)v[i]);
		}
		return;
	}
	struct buf in = BUF_INIT;
	for (size_t i = 0; i < n; i++)
		put_varint64(&in, (uint64_t)v[i]);
	v1w_tag(b, field, 2);
	put_varint64(b, in.len);
	buf_add(b, in.p, in.len);
	buf_release(&in);
}

static void v1w_tp_floats(struct buf *b, int field, const float *v, size_t n, int packed)
{
	if (packed) {
		v1w_tag(b, field, 2);
		put_varint64(b, n * 4);
	}
	for (size_t i = 0; i < n; i++) {
		uint32_t u;
		memcpy(&u, &v[i], 4);
		if (!packed)
			v1w_tag(b, field, 5);
		put_fixed32(b, u);
	}
}

static void v1w_tp_doubles(struct buf *b, int field, const double *v, size_t n, int packed)
{
	if (packed) {
		v1w_tag(b, field, 2);
		put_varint64(b, n * 8);
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t u;
		memcpy(&u, &v[i], 8);
		if (!packed)
			v1w_tag(b, field, 1);
		put_fixed64(b, u);
	}
}

static void v1w_tp_bytes(struct buf *b, int field, const void *p, size_t n)
{
	v1w_tag(b, field, 2);
	put_varint64(b, n);
	buf_add(b, p, n);
}

/* ---- the test sets ---- */

/* dtypes: one tensor of every type V1 can hold, in every TensorProto encoding. */
static void v1w_make_dtypes(const char *dir)
{
	struct v1w w;
	struct buf b = BUF_INIT;
	int64_t d1[1], d2[2], full1[2] = { 0, -1 }, full2[4] = { 0, -1, 0, -1 };

#define V1W_ADD(name, dt, dims, rank, full) \
	do { v1w_tensor(&w, name, dt, dims, rank); v1w_slice(&w, full, b.p, b.len); buf_reset(&b); } while (0)

	v1w_init(&w, 0);  /* like the files of 2015: no VersionDef */
	{
		float v[6] = { -2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f };
		v1w_tp_floats(&b, 5, v, 6, 1);
		d2[0] = 2, d2[1] = 3;
		V1W_ADD("float", DT_FLOAT, d2, 2, full2);
		v1w_tp_floats(&b, 5, v, 4, 0);
		d1[0] = 4;
		V1W_ADD("float_unpacked", DT_FLOAT, d1, 1, full1);
		v1w_tp_bytes(&b, 4, v, 16);  /* tensor_content: raw little-endian */
		d2[0] = 2, d2[1] = 2;
		V1W_ADD("float_content", DT_FLOAT, d2, 2, full2);
	}
	{
		double v[3] = { 0.25, -1e300, 3.0 };
		v1w_tp_doubles(&b, 6, v, 3, 1);
		d1[0] = 3;
		V1W_ADD("double", DT_DOUBLE, d1, 1, full1);
	}
	{
		int64_t v[3] = { -1, 0, 2147483647 };
		v1w_tp_varints(&b, 7, v, 3, 1);
		d1[0] = 3;
		V1W_ADD("int32", DT_INT32, d1, 1, full1);
		v1w_tp_varints(&b, 7, v, 3, 0);
		V1W_ADD("int32_unpacked", DT_INT32, d1, 1, full1);
	}
	{
		int64_t i16[2] = { -32768, 32767 }, i8[2] = { -128, 127 }, u8[3] = { 0, 128, 255 },
			u16[2] = { 0, 65535 };
		d1[0] = 2;
		v1w_tp_varints(&b, 7, i16, 2, 1);
		V1W_ADD("int16", DT_INT16, d1, 1, full1);
		v1w_tp_varints(&b, 7, i8, 2, 1);
		V1W_ADD("int8", DT_INT8, d1, 1, full1);
		v1w_tp_varints(&b, 7, u16, 2, 1);
		V1W_ADD("uint16", DT_UINT16, d1, 1, full1);
		d1[0] = 3;
		v1w_tp_varints(&b, 7, u8, 3, 1);
		V1W_ADD("uint8", DT_UINT8, d1, 1, full1);
	}
	{
		int64_t v[2] = { -9007199254740993ll, 9223372036854775807ll };
		d1[0] = 2;
		v1w_tp_varints(&b, 10, v, 2, 1);
		V1W_ADD("int64", DT_INT64, d1, 1, full1);
	}
	{
		int64_t v[3] = { 1, 0, 1 };
		d1[0] = 3;
		v1w_tp_varints(&b, 11, v, 3, 0);
		V1W_ADD("bool", DT_BOOL, d1, 1, full1);
	}
	{
		float c[4] = { 1, 2, 3, 4 };
		double z[2] = { -1, 0.5 };
		d1[0] = 2;
		v1w_tp_floats(&b, 9, c, 4, 1);
		V1W_ADD("complex64", DT_COMPLEX64, d1, 1, full1);
		d1[0] = 1;
		v1w_tp_doubles(&b, 12, z, 2, 1);
		V1W_ADD("complex128", DT_COMPLEX128, d1, 1, full1);
	}
	{
		int64_t h[3] = { 0x3c00, 0xc000, 0x7c00 }, bf[2] = { 0x3f80, 0xc040 };
		d1[0] = 3;
		v1w_tp_varints(&b, 13, h, 3, 1);
		V1W_ADD("half", DT_HALF, d1, 1, full1);
		d1[0] = 2;
		v1w_tp_varints(&b, 13, bf, 2, 1);
		V1W_ADD("bfloat16", DT_BFLOAT16, d1, 1, full1);
	}
	{
		v1w_tp_bytes(&b, 8, "hello", 5);
		v1w_tp_bytes(&b, 8, "", 0);
		v1w_tp_bytes(&b, 8, "\xff\xfe not utf-8", 12);
		d1[0] = 3;
		V1W_ADD("string", DT_STRING, d1, 1, full1);
	}
	d2[0] = 0, d2[1] = 3;
	V1W_ADD("empty", DT_FLOAT, d2, 2, full2);
	{
		int64_t v = 7;
		v1w_tp_varints(&b, 10, &v, 1, 1);
		V1W_ADD("step", DT_INT64, NULL, 0, NULL);
	}
#undef V1W_ADD
	v1w_write(&w, dir, "dtypes");
	buf_release(&b);
}

/* A float [rows, cols] tensor holding 0, 1, 2 ... in row-major order: the rows [r0, r1). */
static void v1w_rows(struct buf *b, int64_t r0, int64_t r1, int64_t cols)
{
	float v[64];
	size_t n = 0;
	for (int64_t r = r0; r < r1; r++)
		for (int64_t c = 0; c < cols; c++)
			v[n++] = (float)(r * cols + c);
	v1w_tp_floats(b, 5, v, n, 1);
}

/* sliced: tensors stored as several slices, assembled on read. */
static void v1w_make_sliced(const char *dir)
{
	struct v1w w;
	struct buf b = BUF_INIT;
	int64_t d[2] = { 6, 3 };

	v1w_init(&w, 1);
	v1w_tensor(&w, "w", DT_FLOAT, d, 2);
	{
		int64_t top[4] = { 0, 2, 0, -1 }, bottom[4] = { 2, 4, 0, -1 };
		v1w_rows(&b, 2, 6, 3);
		v1w_slice(&w, bottom, b.p, b.len);
		buf_reset(&b);
		v1w_rows(&b, 0, 2, 3);
		v1w_slice(&w, top, b.p, b.len);
		buf_reset(&b);
	}
	/* grid[i][j] = 10 i + j in four 2x2 blocks */
	d[0] = d[1] = 4;
	v1w_tensor(&w, "grid", DT_INT32, d, 2);
	for (int bi = 0; bi < 2; bi++)
		for (int bj = 0; bj < 2; bj++) {
			int64_t ext[4] = { 2 * bi, 2, 2 * bj, 2 }, v[4];
			for (int k = 0; k < 4; k++)
				v[k] = 10 * (2 * bi + k / 2) + 2 * bj + k % 2;
			v1w_tp_varints(&b, 7, v, 4, 1);
			v1w_slice(&w, ext, b.p, b.len);
			buf_reset(&b);
		}
	d[0] = 4;
	v1w_tensor(&w, "names", DT_STRING, d, 1);
	{
		int64_t a[2] = { 0, 1 }, c[2] = { 1, 3 };
		v1w_tp_bytes(&b, 8, "zero", 4);
		v1w_slice(&w, a, b.p, b.len);
		buf_reset(&b);
		v1w_tp_bytes(&b, 8, "one", 3);
		v1w_tp_bytes(&b, 8, "two", 3);
		v1w_tp_bytes(&b, 8, "three", 5);
		v1w_slice(&w, c, b.p, b.len);
		buf_reset(&b);
	}
	v1w_write(&w, dir, "sliced");
	buf_release(&b);
}

/* sharded: model-0000{0,1}-of-00002, "split" has a slice in each shard; state file holds
 * the glob a sharded V1 save stores. */
static void v1w_make_sharded(const char *dir)
{
	struct v1w w;
	struct buf b = BUF_INIT;
	int64_t d2[2] = { 4, 2 }, d1[1], full1[2] = { 0, -1 };
	int64_t top[4] = { 0, 2, 0, -1 }, bottom[4] = { 2, 2, 0, -1 };
	char *path;
	FILE *f;

	v1w_init(&w, 1);
	d1[0] = 2;
	v1w_tensor(&w, "a", DT_FLOAT, d1, 1);
	v1w_rows(&b, 0, 1, 2);
	v1w_slice(&w, full1, b.p, b.len);
	buf_reset(&b);
	v1w_tensor(&w, "split", DT_FLOAT, d2, 2);
	v1w_rows(&b, 0, 2, 2);
	v1w_slice(&w, top, b.p, b.len);
	buf_reset(&b);
	v1w_write(&w, dir, "model-00000-of-00002");

	v1w_init(&w, 1);
	d1[0] = 3;
	v1w_tensor(&w, "b", DT_FLOAT, d1, 1);
	v1w_rows(&b, 0, 1, 3);
	v1w_slice(&w, full1, b.p, b.len);
	buf_reset(&b);
	v1w_tensor(&w, "split", DT_FLOAT, d2, 2);
	v1w_rows(&b, 2, 4, 2);
	v1w_slice(&w, bottom, b.p, b.len);
	buf_reset(&b);
	v1w_write(&w, dir, "model-00001-of-00002");
	buf_release(&b);

	path = xasprintf("%s/checkpoint", dir);
	f = fopen(path, "w");
	free(path);
	if (f) {
		fputs("model_checkpoint_path: \"model-\?\?\?\?\?-of-00002\"\n"
		      "all_model_checkpoint_paths: \"model-\?\?\?\?\?-of-00002\"\n", f);
		fclose(f);
	}
}

/* Broken files: a declared slice with no data, a slice with too few values, slices that
 * leave a gap. */
static void v1w_make_bad(const char *dir)
{
	struct v1w w;
	struct buf b = BUF_INIT;
	int64_t d[1] = { 4 }, full[2] = { 0, -1 }, half[2] = { 0, 2 };

	v1w_init(&w, 1);
	v1w_tensor(&w, "ok", DT_FLOAT, d, 1);
	v1w_rows(&b, 0, 1, 4);
	v1w_slice(&w, full, b.p, b.len);
	v1w_tensor(&w, "lost", DT_FLOAT, d, 1);
	v1w_slice_ex(&w, full, b.p, b.len, 1, 0);
	buf_reset(&b);
	v1w_write(&w, dir, "missing");

	v1w_init(&w, 1);
	v1w_tensor(&w, "short", DT_FLOAT, d, 1);
	v1w_rows(&b, 0, 1, 3);
	v1w_slice(&w, full, b.p, b.len);
	buf_reset(&b);
	v1w_write(&w, dir, "count");

	v1w_init(&w, 1);
	v1w_tensor(&w, "half", DT_FLOAT, d, 1);
	v1w_rows(&b, 0, 1, 2);
	v1w_slice(&w, half, b.p, b.len);
	buf_reset(&b);
	v1w_write(&w, dir, "gap");
	buf_release(&b);
}

/* wrong: what the mechanics_101 graph (fixture checkpoint-999.meta) restores, gone wrong in
 * every way `ckpt graph --check` reports: hidden1/biases has another shape, hidden2/biases
 * another dtype, softmax_linear/weights is misspelt, hidden1/weights moved under a scope. */
static void v1w_make_wrong(const char *dir)
{
	struct v1w w;
	struct buf b = BUF_INIT;
	int64_t d1[1], d2[2], full1[2] = { 0, -1 }, full2[4] = { 0, -1, 0, -1 }, step = 1000;
	double dv[32] = { 0 };

	v1w_init(&w, 1);
	v1w_tp_varints(&b, 7, &step, 1, 1);
	v1w_tensor(&w, "global_step", DT_INT32, NULL, 0);
	v1w_slice(&w, NULL, b.p, b.len);
	buf_reset(&b);
	d1[0] = 64;
	v1w_rows(&b, 0, 1, 64);
	v1w_tensor(&w, "hidden1/biases", DT_FLOAT, d1, 1);
	v1w_slice(&w, full1, b.p, b.len);
	buf_reset(&b);
	d1[0] = 32;
	v1w_tp_doubles(&b, 6, dv, 32, 1);
	v1w_tensor(&w, "hidden2/biases", DT_DOUBLE, d1, 1);
	v1w_slice(&w, full1, b.p, b.len);
	buf_reset(&b);
	d2[0] = 2, d2[1] = 2;
	v1w_rows(&b, 0, 2, 2);
	v1w_tensor(&w, "model/hidden1/weights", DT_FLOAT, d2, 2);
	v1w_slice(&w, full2, b.p, b.len);
	buf_reset(&b);
	d1[0] = 10;
	v1w_rows(&b, 0, 1, 10);
	v1w_tensor(&w, "softmax_linear/biases", DT_FLOAT, d1, 1);
	v1w_slice(&w, full1, b.p, b.len);
	buf_reset(&b);
	v1w_rows(&b, 0, 1, 10);
	v1w_tensor(&w, "softmax_linear/weight", DT_FLOAT, d1, 1);
	v1w_slice(&w, full1, b.p, b.len);
	buf_reset(&b);
	v1w_write(&w, dir, "wrong");
	buf_release(&b);
}

/* Everything under dir/: dtypes, sliced, wrong, sharded/, bad/. */
static void make_v1_sets(const char *dir)
{
	char *sharded = xasprintf("%s/sharded", dir), *bad = xasprintf("%s/bad", dir);

	mkdir(dir, 0777);
	mkdir(sharded, 0777);
	mkdir(bad, 0777);
	v1w_make_dtypes(dir);
	v1w_make_sliced(dir);
	v1w_make_wrong(dir);
	v1w_make_sharded(sharded);
	v1w_make_bad(bad);
	free(sharded);
	free(bad);
}

#endif
