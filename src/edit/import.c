/* The import engine: arrays of a .npz, a safetensors file, a .npy file or a folder of .npy
 * files added to a checkpoint being written (import.h), each streamed from its file: .npy
 * headers checked, Fortran-order arrays put in C order, byte order and bools normalised,
 * numpy's fixed-width strings turned into TF strings. */
#include "edit/import.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crc32c.h"
#include "store/file.h"
#include "store/walk.h"
#include "store/outguard.h"
#include "format/dtype.h"
#include "format/path.h"
#include "tensor/assemble.h"
#include "tensor/fortran.h"
#include "tensor/npy.h"
#include "tensor/npz.h"
#include "tensor/safetensors.h"
#include "edit/xform.h"

#define CHUNK_BYTES (1u << 20)

/* A byte stream an array is read from. */
struct source {
	long long (*read)(void *ctx, void *p, size_t n, struct ck_err *err);
	void *ctx;
};


static int read_exact(const struct source *s, void *p, size_t n, struct ck_err *err)
{
	uint8_t *q = p;

	while (n) {
		long long got = s->read(s->ctx, q, n, err);
		if (got < 0)
			return (int)got;
		if (!got)
			return ck_error(err, CK_ECORRUPT, "array data ends early");
		q += got;
		n -= (size_t)got;
	}
	return 0;
}

/* TensorFlow's bool is one byte, 0 or 1; any other byte would read back as neither. at: the
 * index of the first of the n elements, for the message. */
static int check_bools(const struct npy_info *a, const char *name, size_t name_len,
		       const uint8_t *p, size_t n, uint64_t at, struct ck_err *err)
{
	if (a->dtype != DT_BOOL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (p[i] > 1)
			return ck_error(err, CK_ECORRUPT, "array \"%.*s\": bool element %llu is byte 0x%02x "
					"(bools are 0 or 1)", (int)name_len, name,
					(unsigned long long)(at + i), p[i]);
	return 0;
}

/* A temporary file read from a position (a reordered or spooled array). */
struct tmp_src {
	int fd;
	uint64_t at;
};

static long long tmp_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct tmp_src *t = ctx;
	long long got = pread_full(t->fd, p, n, t->at);

	if (got < 0)
		return ck_syserr(err, errno, "reading back a temporary file");
	t->at += (uint64_t)got;
	return got;
}

static size_t utf8_len(uint32_t c)
{
	return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

static void put_utf8(struct buf *b, uint32_t c)
{
	if (c < 0x80) {
		buf_addc(b, (uint8_t)c);
	} else if (c < 0x800) {
		buf_addc(b, (uint8_t)(0xc0 | c >> 6));
		buf_addc(b, (uint8_t)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		buf_addc(b, (uint8_t)(0xe0 | c >> 12));
		buf_addc(b, (uint8_t)(0x80 | (c >> 6 & 0x3f)));
		buf_addc(b, (uint8_t)(0x80 | (c & 0x3f)));
	} else {
		buf_addc(b, (uint8_t)(0xf0 | c >> 18));
		buf_addc(b, (uint8_t)(0x80 | (c >> 12 & 0x3f)));
		buf_addc(b, (uint8_t)(0x80 | (c >> 6 & 0x3f)));
		buf_addc(b, (uint8_t)(0x80 | (c & 0x3f)));
	}
}

/* One pass over the fixed-width elements of an 'S' or 'U' array: the first gives each
 * element's length to the writer, the second its bytes. NUL units (bytes, or code points)
 * at an element's end are padding and dropped, except in the TF2 object graph (a serialized
 * protobuf, whose last byte may well be 0); NULs before other units are kept. */
struct str_pass {
	const struct npy_info *a;
	const char *name;
	size_t name_len;
	int graph, bytes;     /* bytes: the second pass */
	struct bw_strings *bs;
	uint64_t pos, len, zeros;  /* in the current element */
	size_t lens[4096], nl;
	struct buf out;
};

static int str_unit(struct str_pass *s, const uint8_t *c, struct ck_err *err)
{
	uint32_t cp = c[0];
	size_t enc = 1;

	if (s->a->kind == 'U') {
		cp = s->a->swap ? (uint32_t)c[0] << 24 | (uint32_t)c[1] << 16 | c[2] << 8 | c[3]
				: (uint32_t)c[3] << 24 | (uint32_t)c[2] << 16 | c[1] << 8 | c[0];
		if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
			return ck_error(err, CK_ECORRUPT, "array \"%.*s\": code point U+%X is not valid "
					"Unicode", (int)s->name_len, s->name, cp);
		enc = utf8_len(cp);
	}
	if (!cp && !s->graph) {
		s->zeros++;
		return 0;
	}
	if (s->bytes) {
		for (; s->zeros; s->zeros--)
			buf_addc(&s->out, 0);
		if (s->a->kind == 'U')
			put_utf8(&s->out, cp);
		else
			buf_addc(&s->out, (uint8_t)cp);
	}
	s->len += s->zeros + enc;
	s->zeros = 0;
	return 0;
}

static int str_chunk(struct str_pass *s, const uint8_t *p, size_t n, struct ck_err *err)
{
	size_t unit = s->a->kind == 'U' ? 4 : 1;

	for (size_t k = 0; k < n; k += unit) {
		int rc = str_unit(s, p + k, err);
		if (rc < 0)
			return rc;
		s->pos += unit;
		if (s->pos < s->a->itemsize)
			continue;
		if (!s->bytes) {
			s->lens[s->nl++] = (size_t)s->len;
			if (s->nl == sizeof(s->lens) / sizeof(s->lens[0]))
				bundle_writer_strings_lengths(s->bs, s->lens, s->nl), s->nl = 0;
		}
		s->pos = s->len = s->zeros = 0;
		if (s->out.len >= (64u << 10)) {
			bundle_writer_strings_bytes(s->bs, s->out.p, s->out.len);
			buf_reset(&s->out);
		}
	}
	if (!s->bytes && s->nl)
		bundle_writer_strings_lengths(s->bs, s->lens, s->nl), s->nl = 0;
	if (s->out.len) {
		bundle_writer_strings_bytes(s->bs, s->out.p, s->out.len);
		buf_reset(&s->out);
	}
	return 0;
}

/* 'S' and 'U' arrays -> DT_STRING, streamed in two passes over the spooled array at fd. */
static int add_strings(struct importer *im, const char *name, size_t name_len,
		       const struct npy_info *a, int fd, struct ck_err *err)
{
	struct bw_strings bs;
	struct str_pass *s = xcalloc(1, sizeof(*s));
	uint8_t *chunk = xmalloc(CHUNK_BYTES);
	int rc = 0;

	s->a = a;
	s->name = name;
	s->name_len = name_len;
	s->bs = &bs;
	s->graph = a->kind == 'S' && is_graph_key(name, name_len);
	if (bundle_writer_strings_begin(im->w, &bs, name, name_len, a->dims, a->rank, 0))
		rc = bundle_writer_status(im->w, err);
	for (s->bytes = 0; s->bytes < 2 && !rc; s->bytes++) {
		struct tmp_src t = { fd, 0 };
		for (uint64_t left = a->data_bytes; left && !rc;) {
			size_t n = left < CHUNK_BYTES ? (size_t)left : CHUNK_BYTES;  /* a multiple of 4 */
			long long got = tmp_read(&t, chunk, n, err);
			if (got < 0)
				rc = (int)got;
			else if ((size_t)got != n)
				rc = ck_error(err, CK_EIO, "temporary file short");
			else
				rc = str_chunk(s, chunk, n, err);
			left -= n;
			if (!rc && bundle_writer_status(im->w, NULL))
				rc = bundle_writer_status(im->w, err);
		}
	}
	if (!rc && bundle_writer_strings_end(&bs))
		rc = bundle_writer_status(im->w, err);
	bundle_writer_strings_release(&bs);
	buf_release(&s->out);
	free(s);
	free(chunk);
	return rc;
}

/* One array: its description a, its data read from s. Fortran-order arrays are reordered
 * and string arrays spooled through temporary files (fortran.h), so that memory stays bounded
 * whatever the array's size: a small .npz may inflate to gigabytes. */
static int add_array(struct importer *im, const char *name, size_t name_len,
		     const struct npy_info *a, const struct source *s, struct ck_err *err)
{
	struct bundle_entry e = { 0 };
	struct tmp_src t = { -1, 0 };
	struct source ts = { tmp_read, &t };
	uint8_t *chunk = NULL;
	uint64_t left = a->data_bytes;
	uint32_t crc = 0;
	int rc = 0;

	if (a->dtype == DT_STRING || (a->fortran && a->rank > 1)) {
		int64_t flat = (int64_t)a->elements;
		int fortran = a->fortran && a->rank > 1;
		rc = fortran_to_c(s->read, s->ctx, fortran ? a->dims : &flat, fortran ? a->rank : 1,
				  a->itemsize, FORTRAN_MEMORY, &t.fd, err);
		if (rc < 0)
			return rc;
		s = &ts;
		if (a->dtype == DT_STRING) {
			rc = add_strings(im, name, name_len, a, t.fd, err);
			goto done;
		}
	}
	e.name = (char *)name;
	e.name_len = name_len;
	e.dtype = a->dtype;
	e.rank = a->rank;
	e.dims = (int64_t *)a->dims;
	e.elements = a->elements;
	e.size = a->data_bytes;
	if (bundle_writer_begin(im->w, 0, &e.offset)) {
		rc = bundle_writer_status(im->w, err);
		goto out;
	}
	chunk = xmalloc(CHUNK_BYTES);
	while (left && !rc) {
		size_t n = left < CHUNK_BYTES ? (size_t)left : CHUNK_BYTES;
		n -= n % a->itemsize;  /* whole elements, for swapping */
		rc = read_exact(s, chunk, n, err);
		if (rc == 0)
			rc = check_bools(a, name, name_len, chunk, n, a->data_bytes - left, err);
		if (rc < 0)
			break;
		if (a->swap)
			swap_elements(a->dtype, chunk, n / a->itemsize);
		crc = crc32c_extend(crc, chunk, n);
		if (bundle_writer_write(im->w, 0, chunk, n))
			rc = bundle_writer_status(im->w, err);
		left -= n;
	}
	if (rc < 0)
		goto out;
	e.crc32c = crc32c_mask(crc);
	if (bundle_writer_add_entry(im->w, &e))
		rc = bundle_writer_status(im->w, err);
done:
	if (!rc) {
		im->tensors++;
		im->bytes += a->data_bytes;
	}
out:
	free(chunk);
	if (t.fd >= 0)
		close(t.fd);
	return rc;
}

/* --include / --exclude on a name that may lack a NUL terminator. */
static int wanted(const struct importer *im, const char *name, size_t len)
{
	char *copy = xmemdup(name, len);
	int yes = namefilter_match(&im->filter, copy);

	free(copy);
	return yes;
}

static int has_npy_suffix(const char *s, size_t n)
{
	return n > 4 && !memcmp(s + n - 4, ".npy", 4);
}

/* ---- .npz ---- */

static long long npz_src_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	return npz_member_read(ctx, p, n, err);
}

/* Read a member to its end: libzip checks the member's CRC only when it reaches it. Bytes
 * after the array are ignored, as numpy.load ignores them. */
static int drain(struct npz_reader *r, struct ck_err *err)
{
	uint8_t tmp[4096];
	long long got;

	while ((got = npz_member_read(r, tmp, sizeof(tmp), err)) > 0)
		;
	return (int)got;
}

static int import_npz(struct importer *im, const char *path, struct ck_err *err)
{
	struct npz_reader *r = NULL;
	struct source s;
	int rc = npz_open(&r, path, err);

	if (rc < 0)
		return rc;
	s.read = npz_src_read;
	s.ctx = r;
	for (size_t i = 0; i < npz_count(r) && !rc; i++) {
		const char *member = npz_name(r, i);
		size_t len = strlen(member);
		struct buf name = BUF_INIT;
		struct npy_info a;
		if (len && member[len - 1] == '/')
			continue;  /* a folder entry */
		if (len < 4 || memcmp(member + len - 4, ".npy", 4)) {  /* ".npy": the name "" */
			buf_add(&im->notes, "skipped member \"", 16);
			buf_add_name_msg(&im->notes, member, len);
			buf_add(&im->notes, "\": not a .npy file\n", 19);
			continue;
		}
		npz_name_decode(&name, member, len - 4);  /* %XX escapes (npz.h) */
		buf_grow(&name, 0);
		if (!wanted(im, (const char *)name.p, name.len)) {
			buf_release(&name);
			continue;
		}
		rc = npz_member_open(r, i, err);
		if (rc == 0)
			rc = npy_read_header(npz_src_read, r, &a, err);
		if (rc == 0 && npz_size(r, i) < a.data_bytes)
			rc = ck_error(err, CK_ECORRUPT, "member of %llu bytes for %llu bytes of data",
				      (unsigned long long)npz_size(r, i),
				      (unsigned long long)a.data_bytes);
		if (rc == 0)
			rc = add_array(im, (const char *)name.p, name.len, &a, &s, err);
		if (rc == 0)
			rc = drain(r, err);
		if (rc < 0 && !strstr(err->msg, path)) {
			struct buf n = BUF_INIT;
			buf_add_name_msg(&n, member, len);
			ck_wrap(err, "%s: member \"%s\"", path, (const char *)n.p);
			buf_release(&n);
		}
		buf_release(&name);
		npz_member_close(r);
	}
	npz_close(r);
	return rc;
}

/* ---- .npy files ---- */

/* An input file read from start to end. */
struct file_src {
	struct ck_file *f;
	uint64_t at;
};

static long long file_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct file_src *s = ctx;
	long long got = ck_file_pread(s->f, p, n, s->at, err);

	if (got > 0)
		s->at += (uint64_t)got;
	return got;
}

static int import_npy_file(struct importer *im, const char *path, const char *name,
			   size_t name_len, struct ck_err *err)
{
	struct file_src f = { NULL, 0 };
	struct source s = { file_read, &f };
	struct npy_info a;
	int rc = ck_file_open(path, &f.f, err);

	if (rc < 0)
		return rc;
	ck_file_advise(f.f, 0, 0);
	outguard_add_input(path);
	rc = npy_read_header(file_read, &f, &a, err);
	if (rc == 0 && f.f->size < a.data_bytes)
		rc = ck_error(err, CK_ECORRUPT, "file of %lld bytes for %llu bytes of data",
			      (long long)f.f->size, (unsigned long long)a.data_bytes);
	if (rc == 0)
		rc = add_array(im, name, name_len, &a, &s, err);
	if (rc < 0 && !strstr(err->msg, path))
		ck_wrap(err, "%s", path);
	ck_file_close(f.f);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int import_dir(struct importer *im, const char *dir, struct ck_err *err)
{
	char **files = NULL;
	size_t n = 0;
	int rc = store_walk(dir, ".npy", &files, &n, &im->notes, err);

	if (rc == 0 && !n)
		rc = ck_error(err, CK_ENOTFOUND, "%s: no .npy files in this folder", dir);
	if (rc == 0)
		sort_array(files, n, sizeof(*files), cmp_str);
	for (size_t i = 0; i < n && !rc; i++) {
		char *path;
		if (!wanted(im, files[i], strlen(files[i]) - 4))
			continue;
		path = xasprintf("%s/%s", dir, files[i]);
		rc = import_npy_file(im, path, files[i], strlen(files[i]) - 4, err);
		buf_add(&im->files, files[i], strlen(files[i]) + 1);
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	free(files);
	return rc;
}

/* ---- safetensors ---- */

struct st_src {
	struct st_file *f;
	size_t i;
	uint64_t pos;
};

static long long st_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct st_src *s = ctx;
	uint64_t left = s->f->t[s->i].end - s->f->t[s->i].begin - s->pos;
	int rc;

	if (n > left)
		n = (size_t)left;
	rc = safetensors_pread(s->f, s->i, s->pos, p, n, err);
	if (rc < 0)
		return rc;
	s->pos += n;
	return (long long)n;
}

static int import_safetensors(struct importer *im, const char *path, struct ck_err *err)
{
	struct st_file *f = NULL;
	int rc = safetensors_open(&f, path, err);

	for (size_t i = 0; rc == 0 && i < f->n; i++) {
		const struct st_tensor *t = &f->t[i];
		struct st_src ss = { f, i, 0 };
		struct source s = { st_read, &ss };
		struct npy_info a;
		if (!wanted(im, t->name, strlen(t->name)))
			continue;
		memset(&a, 0, sizeof(a));
		a.dtype = t->dtype;
		a.kind = 'f';
		a.itemsize = (size_t)dtype_info(t->dtype)->size;
		a.rank = t->rank;
		memcpy(a.dims, t->dims, (size_t)t->rank * sizeof(int64_t));
		a.elements = a.itemsize ? (t->end - t->begin) / a.itemsize : 0;
		a.data_bytes = t->end - t->begin;
		rc = add_array(im, t->name, strlen(t->name), &a, &s, err);
		if (rc < 0 && !strstr(err->msg, path))
			ck_wrap(err, "%s", path);
	}
	safetensors_close(f);
	return rc;
}

int import_sniff(const char *path, enum import_kind *k, struct ck_err *err)
{
	uint8_t h[9] = { 0 };
	struct ck_stat st;
	struct ck_file *f;
	long long got;
	int rc;

	if ((rc = ck_store_stat(path, &st, err)) < 0)
		return rc;
	if (st.kind == CK_STORE_MISSING)
		return ck_syserr(err, ENOENT, "%s", path);
	if (st.kind == CK_STORE_FOLDER) {
		*k = IMPORT_DIR;
		return 0;
	}
	if ((rc = ck_file_open(path, &f, err)) < 0)
		return rc;
	got = ck_file_pread(f, h, sizeof(h), 0, err);
	ck_file_close(f);
	if (got < 0)
		return (int)got;
	if (got >= 4 && !memcmp(h, "PK", 2) && ((h[2] == 3 && h[3] == 4) || (h[2] == 5 && h[3] == 6))) {
		*k = IMPORT_NPZ;
	} else if (got >= 6 && !memcmp(h, "\x93NUMPY", 6)) {
		*k = IMPORT_NPY;
	} else if (got == 9 && h[8] == '{') {
		*k = IMPORT_SAFETENSORS;
	} else {
		const char *hint = "";
		size_t n = strlen(path);
		if (n > 6 && !strcmp(path + n - 6, ".index"))
			hint = " (this is a checkpoint: 'ckpt export' writes these formats)";
		return ck_error(err, CK_EKIND, "%s: not a .npz, .npy or safetensors file, nor a folder "
				"of .npy files%s", path, hint);
	}
	return 0;
}

int import_read(struct importer *im, const char *in, enum import_kind kind, struct ck_err *err)
{
	int rc;

	im->file = in;
	switch (kind) {
	case IMPORT_DIR: rc = import_dir(im, in, err); break;
	case IMPORT_NPZ: rc = import_npz(im, in, err); break;
	case IMPORT_SAFETENSORS: rc = import_safetensors(im, in, err); break;
	default: {
		const char *base = path_base(in);
		size_t n = strlen(base);
		n = has_npy_suffix(base, n) ? n - 4 : n;
		if (wanted(im, base, n))
			rc = import_npy_file(im, in, base, n, err);
		else
			rc = 0;
		break;
	}
	}
	if (rc < 0 && !strstr(err->msg, in))
		ck_wrap(err, "%s", in);  /* every message names the file it is about */
	if (rc == 0 && !im->tensors)
		rc = ck_error(err, CK_EUSAGE, "%s: no array to import%s", in,
			      im->filter.ninc || im->filter.nexc ? " (check --include/--exclude)" : "");
	return rc;
}

int import_finish(struct importer *im, const char *out, struct ck_err *err)
{
	char *out_dot;
	int rc = bundle_writer_finish(im->w, err);

	im->w = NULL;
	if (rc == 0)
		return 0;
	out_dot = xasprintf("%s.", out);  /* the output's files: OUT.index ... */
	if (!strstr(err->msg, im->file) && !strstr(err->msg, out_dot))
		ck_wrap(err, "%s", im->file);  /* two tensors of one name: the input's fault */
	free(out_dot);
	return rc;
}

void importer_release(struct importer *im)
{
	if (im->w)
		bundle_writer_abort(im->w);
	namefilter_release(&im->filter);
	buf_release(&im->notes);
	buf_release(&im->files);
	memset(im, 0, sizeof(*im));
}
