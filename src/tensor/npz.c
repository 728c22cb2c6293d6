/* .npz archives through libzip (see npz.h). libzip pulls member data through source
 * callbacks while zip_close writes the archive, itself through a source of ours (archive_cb)
 * that writes the temporary file outfile_create made through a large buffer (libzip's own
 * file source gave one write call per 4 KiB); the final name appears only once the archive is
 * complete and synced. */
#include "tensor/npz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#include "base/dynload.h"
#include "base/util.h"
#include "store/file.h"
#include "tensor/npy.h"

/* libzip is opened on first use (dynload.h). */
#ifndef ZIP_SONAME
#define ZIP_SONAME "libzip.so"
#endif
#define ZIP_FUNCS(X) \
	X(zip_open) \
	X(zip_open_from_source) \
	X(zip_source_function_create) \
	X(zip_source_seek_compute_offset) \
	X(zip_close) \
	X(zip_discard) \
	X(zip_strerror) \
	X(zip_error_strerror) \
	X(zip_error_fini) \
	X(zip_error_set) \
	X(zip_error_init) \
	X(zip_error_init_with_code) \
	X(zip_error_to_data) \
	X(zip_stat_init) \
	X(zip_stat_index) \
	X(zip_source_make_command_bitmap) \
	X(zip_source_function) \
	X(zip_source_free) \
	X(zip_set_file_compression) \
	X(zip_get_num_entries) \
	X(zip_get_name) \
	X(zip_fread) \
	X(zip_fopen_index) \
	X(zip_file_strerror) \
	X(zip_file_add) \
	X(zip_fclose)
#define DECLARE(f) static __typeof__(f) *p_##f;
#define NAME(f) #f,
#define SLOT(f) (void **)&p_##f,
ZIP_FUNCS(DECLARE)
static const char *const zip_names[] = { ZIP_FUNCS(NAME) NULL };
static void **const zip_slots[] = { ZIP_FUNCS(SLOT) };
static struct dynlib libzip = { ZIP_SONAME, zip_names, zip_slots, 0, "" };
#define zip_open (*p_zip_open)
#define zip_open_from_source (*p_zip_open_from_source)
#define zip_source_function_create (*p_zip_source_function_create)
#define zip_source_seek_compute_offset (*p_zip_source_seek_compute_offset)
#define zip_close (*p_zip_close)
#define zip_discard (*p_zip_discard)
#define zip_strerror (*p_zip_strerror)
#define zip_error_strerror (*p_zip_error_strerror)
#define zip_error_fini (*p_zip_error_fini)
#define zip_error_set (*p_zip_error_set)
#define zip_error_init (*p_zip_error_init)
#define zip_error_init_with_code (*p_zip_error_init_with_code)
#define zip_error_to_data (*p_zip_error_to_data)
#define zip_stat_init (*p_zip_stat_init)
#define zip_stat_index (*p_zip_stat_index)
#define zip_source_make_command_bitmap (*p_zip_source_make_command_bitmap)
#define zip_source_function (*p_zip_source_function)
#define zip_source_free (*p_zip_source_free)
#define zip_set_file_compression (*p_zip_set_file_compression)
#define zip_get_num_entries (*p_zip_get_num_entries)
#define zip_get_name (*p_zip_get_name)
#define zip_fread (*p_zip_fread)
#define zip_fopen_index (*p_zip_fopen_index)
#define zip_file_strerror (*p_zip_file_strerror)
#define zip_file_add (*p_zip_file_add)
#define zip_fclose (*p_zip_fclose)

static int zip_load(struct ck_err *err)
{
	return dynlib_load(&libzip, ".npz files", err);
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

void npz_member_name(struct buf *out, const void *name, size_t len)
{
	const uint8_t *p = name;

	for (size_t i = 0; i < len;) {
		int k = utf8_seq_len(p + i, len - i);
		uint8_t c = p[i];
		int start = !i || p[i - 1] == '/';
		int esc = !k || c == '%' || c == '\\' || c < 0x20 || c == 0x7f || (c == '.' && start) ||
			  (c == '/' && (start || i + 1 == len || p[i + 1] == '/'));
		if (esc) {
			buf_addf(out, "%%%02X", c);
			i++;
		} else {
			buf_add(out, p + i, (size_t)k);
			i += (size_t)k;
		}
	}
	buf_add(out, ".npy", 4);
}

void npz_name_decode(struct buf *out, const char *member, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		int hi, lo;
		if (member[i] == '%' && len - i >= 3 && (hi = hexval(member[i + 1])) >= 0 &&
		    (lo = hexval(member[i + 2])) >= 0) {
			buf_addc(out, (uint8_t)(hi << 4 | lo));
			i += 2;
		} else {
			buf_addc(out, (uint8_t)member[i]);
		}
	}
}

struct member {
	struct npz_writer *w;
	struct npz_source src;
	uint64_t size, done;
	int opened;
	zip_error_t zerr;
};

/* The archive's own bytes: [off, off + len) pending in buf; the write position is their end. */
#define ARCHIVE_BUF (1u << 20)

struct archive_out {
	int fd;
	uint8_t *buf;
	size_t len;
	uint64_t off, size;   /* size: the end of what was written */
	uint64_t rpos;        /* read position (libzip reads nothing of a new archive) */
	zip_error_t zerr;
};

struct npz_writer {
	zip_t *za;
	struct archive_out out;
	struct outfile of;
	int compress;
	struct member **m;
	size_t n;
	int failed;           /* a source failed: err holds its message */
	struct ck_err err;
};

static zip_int64_t source_failed(struct member *m)
{
	m->w->failed = 1;
	zip_error_set(&m->zerr, ZIP_ER_READ, EIO);
	return -1;
}

static zip_int64_t member_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct member *m = ud;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		m->done = 0;
		if (m->src.open && m->src.open(m->src.ctx, &m->w->err) < 0)
			return source_failed(m);
		m->opened = 1;
		return 0;
	case ZIP_SOURCE_READ: {
		uint64_t left = m->size - m->done;
		long long got;
		if (len > left)
			len = left;
		if (!len)
			return 0;
		got = m->src.read(m->src.ctx, data, (size_t)len, &m->w->err);
		if (got < 0)
			return source_failed(m);
		if (!got) {
			ck_error(&m->w->err, CK_EIO, "member data ended %llu bytes early",
				 (unsigned long long)left);
			return source_failed(m);
		}
		m->done += (uint64_t)got;
		return got;
	}
	case ZIP_SOURCE_CLOSE:
		if (m->opened && m->src.close)
			m->src.close(m->src.ctx);
		m->opened = 0;
		return 0;
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &m->zerr);
		if (!st)
			return -1;
		zip_stat_init(st);
		st->size = m->size;
		st->valid |= ZIP_STAT_SIZE;
		return sizeof(*st);
	}
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&m->zerr, data, len);
	case ZIP_SOURCE_FREE:
		return 0;  /* members are freed with the writer */
	case ZIP_SOURCE_SUPPORTS:
		return zip_source_make_command_bitmap(ZIP_SOURCE_OPEN, ZIP_SOURCE_READ, ZIP_SOURCE_CLOSE,
						      ZIP_SOURCE_STAT, ZIP_SOURCE_ERROR, ZIP_SOURCE_FREE,
						      -1);
	default:
		zip_error_set(&m->zerr, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

static zip_int64_t archive_fail(struct archive_out *a, int sys)
{
	zip_error_set(&a->zerr, ZIP_ER_WRITE, sys);
	return -1;
}

static int archive_flush(struct archive_out *a)
{
	if (a->len && (lseek(a->fd, (off_t)a->off, SEEK_SET) < 0 ||
		       write_full(a->fd, a->buf, a->len) < 0))
		return -1;
	a->off += a->len;
	a->len = 0;
	return 0;
}

/* A seekable, writable source over the temporary file (zip_source_function(3)). */
static zip_int64_t archive_cb(void *ud, void *data, zip_uint64_t len, zip_source_cmd_t cmd)
{
	struct archive_out *a = ud;

	switch (cmd) {
	case ZIP_SOURCE_OPEN:
		a->rpos = 0;
		return 0;
	case ZIP_SOURCE_READ: {
		long long got;
		if (archive_flush(a) < 0)
			return archive_fail(a, errno);
		got = pread_full(a->fd, data, (size_t)len, a->rpos);
		if (got < 0) {
			zip_error_set(&a->zerr, ZIP_ER_READ, errno);
			return -1;
		}
		a->rpos += (uint64_t)got;
		return got;
	}
	case ZIP_SOURCE_CLOSE:
		return 0;
	case ZIP_SOURCE_STAT: {
		zip_stat_t *st = ZIP_SOURCE_GET_ARGS(zip_stat_t, data, len, &a->zerr);
		if (!st)
			return -1;
		zip_stat_init(st);
		st->size = a->size;
		st->valid |= ZIP_STAT_SIZE;
		return sizeof(*st);
	}
	case ZIP_SOURCE_ERROR:
		return zip_error_to_data(&a->zerr, data, len);
	case ZIP_SOURCE_FREE:
		return 0;
	case ZIP_SOURCE_SEEK: {
		zip_int64_t to = zip_source_seek_compute_offset(a->rpos, a->size, data, len, &a->zerr);
		if (to < 0)
			return -1;
		a->rpos = (uint64_t)to;
		return 0;
	}
	case ZIP_SOURCE_TELL:
		return (zip_int64_t)a->rpos;
	case ZIP_SOURCE_BEGIN_WRITE:
		a->off = a->size = 0;
		a->len = 0;
		return ftruncate(a->fd, 0) < 0 ? archive_fail(a, errno) : 0;
	case ZIP_SOURCE_WRITE: {
		const uint8_t *p = data;
		for (zip_uint64_t left = len; left;) {
			size_t k = ARCHIVE_BUF - a->len < left ? ARCHIVE_BUF - a->len : (size_t)left;
			memcpy(a->buf + a->len, p, k);
			a->len += k;
			p += k;
			left -= k;
			if (a->off + a->len > a->size)
				a->size = a->off + a->len;
			if (a->len == ARCHIVE_BUF && archive_flush(a) < 0)
				return archive_fail(a, errno);
		}
		return (zip_int64_t)len;
	}
	case ZIP_SOURCE_SEEK_WRITE: {
		zip_int64_t to;
		if (archive_flush(a) < 0)
			return archive_fail(a, errno);
		to = zip_source_seek_compute_offset(a->off, a->size, data, len, &a->zerr);
		if (to < 0)
			return -1;
		a->off = (uint64_t)to;
		return 0;
	}
	case ZIP_SOURCE_TELL_WRITE:
		return (zip_int64_t)(a->off + a->len);
	case ZIP_SOURCE_COMMIT_WRITE:
		return archive_flush(a) < 0 ? archive_fail(a, errno) : 0;
	case ZIP_SOURCE_ROLLBACK_WRITE:
		a->len = 0;
		return 0;
	case ZIP_SOURCE_REMOVE:  /* an archive without members: npz_writer_finish refuses it first */
		return 0;
	case ZIP_SOURCE_SUPPORTS:
		return ZIP_SOURCE_SUPPORTS_WRITABLE;
	default:
		zip_error_set(&a->zerr, ZIP_ER_OPNOTSUPP, 0);
		return -1;
	}
}

static void writer_free(struct npz_writer *w)
{
	for (size_t i = 0; i < w->n; i++) {
		zip_error_fini(&w->m[i]->zerr);
		free(w->m[i]);
	}
	free(w->m);
	free(w->out.buf);
	zip_error_fini(&w->out.zerr);
	outfile_abort(&w->of);
	free(w);
}

int npz_writer_open(struct npz_writer **out, const char *path, int force, int compress,
		    struct ck_err *err)
{
	struct npz_writer *w = xcalloc(1, sizeof(*w));
	zip_source_t *src;
	zip_error_t ze;
	int rc;

	*out = NULL;
	w->compress = compress;
	rc = zip_load(err);
	if (!rc)
		rc = outfile_create(&w->of, path, force, err);
	if (rc < 0) {
		free(w);
		return rc;
	}
	w->out.fd = w->of.f.fd;
	w->out.buf = xmalloc(ARCHIVE_BUF);
	zip_error_init(&w->out.zerr);
	zip_error_init(&ze);
	src = zip_source_function_create(archive_cb, &w->out, &ze);
	if (src && !(w->za = zip_open_from_source(src, ZIP_CREATE | ZIP_TRUNCATE, &ze)))
		zip_source_free(src);
	if (!w->za) {
		rc = ck_error(err, CK_EIO, "%s: %s", path, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		writer_free(w);
		return rc;
	}
	zip_error_fini(&ze);
	*out = w;
	return 0;
}

void npz_writer_no_sync(struct npz_writer *w)
{
	w->of.no_sync = 1;
}

int npz_writer_add(struct npz_writer *w, const char *name, uint64_t size,
		   const struct npz_source *src, struct ck_err *err)
{
	struct member *m;
	zip_source_t *zs;
	zip_int64_t idx;

	if (strlen(name) > NPZ_MAX_MEMBER)  /* libzip would cut it to its 16 low bits */
		return ck_error(err, CK_EUNSUP, "%s: a member name of %zu bytes (a zip entry name "
				"holds %u at most)", w->of.f.path, strlen(name), NPZ_MAX_MEMBER);
	m = xcalloc(1, sizeof(*m));
	m->w = w;
	m->src = *src;
	m->size = size;
	zip_error_init(&m->zerr);
	w->m = xreallocarray(w->m, w->n + 1, sizeof(*w->m));
	w->m[w->n++] = m;
	zs = zip_source_function(w->za, member_cb, m);
	if (!zs)
		return ck_error(err, CK_EIO, "%s: %s", w->of.f.path, zip_strerror(w->za));
	idx = zip_file_add(w->za, name, zs, ZIP_FL_ENC_GUESS);
	if (idx < 0) {
		zip_source_free(zs);
		return ck_error(err, CK_EIO, "%s: member \"%s\": %s", w->of.f.path, name,
				zip_strerror(w->za));
	}
	if (zip_set_file_compression(w->za, (zip_uint64_t)idx, w->compress ? ZIP_CM_DEFLATE
									 : ZIP_CM_STORE, 0) < 0)
		return ck_error(err, CK_EIO, "%s: %s", w->of.f.path, zip_strerror(w->za));
	return 0;
}

int npz_writer_finish(struct npz_writer *w, struct ck_err *err)
{
	int rc;

	if (!w->n) {  /* libzip deletes an archive without members instead of writing it */
		rc = ck_error(err, CK_EUSAGE, "%s: no arrays to write", w->of.f.path);
		npz_writer_abort(w);
		return rc;
	}
	if (zip_close(w->za) < 0) {
		if (w->failed) {
			*err = w->err;
			rc = err->code;
		} else {
			rc = ck_error(err, CK_EIO, "%s: %s", w->of.f.path, zip_strerror(w->za));
		}
		zip_discard(w->za);
		writer_free(w);
		return rc;
	}
	rc = outfile_commit(&w->of, err);
	writer_free(w);
	return rc;
}

void npz_writer_abort(struct npz_writer *w)
{
	if (!w)
		return;
	zip_discard(w->za);
	writer_free(w);
}

struct npz_reader {
	zip_t *za;
	char *path;
	zip_file_t *cur;
	size_t cur_i;
};

int npz_open(struct npz_reader **out, const char *path, struct ck_err *err)
{
	struct npz_reader *r;
	zip_t *za;
	int ze = 0, rc;

	*out = NULL;
	if ((rc = zip_load(err)) < 0)
		return rc;
	/* libzip would block reading a FIFO: only a regular file is opened. libzip reads the
	 * archive from its path itself, so a URL stops here (the store refuses what it cannot
	 * open). */
	{
		struct ck_file *f;
		if ((rc = ck_file_open(path, &f, err)) < 0)
			return rc;
		ck_file_close(f);
	}
	za = zip_open(path, ZIP_RDONLY, &ze);
	if (!za) {
		zip_error_t e;
		zip_error_init_with_code(&e, ze);
		if (ze == ZIP_ER_NOENT)
			rc = ck_error(err, CK_ENOTFOUND, "%s: no such file", path);
		else if (ze == ZIP_ER_NOZIP)
			rc = ck_error(err, CK_EKIND, "%s: not a zip archive (.npz)", path);
		else if (ze == ZIP_ER_OPEN || ze == ZIP_ER_READ)
			rc = ck_error(err, CK_EIO, "%s: %s", path, zip_error_strerror(&e));
		else
			rc = ck_error(err, CK_ECORRUPT, "%s: %s", path, zip_error_strerror(&e));
		zip_error_fini(&e);
		return rc;
	}
	r = xcalloc(1, sizeof(*r));
	r->za = za;
	r->path = xstrdup(path);
	*out = r;
	return 0;
}

void npz_close(struct npz_reader *r)
{
	if (!r)
		return;
	npz_member_close(r);
	zip_discard(r->za);  /* opened read-only: nothing to write back */
	free(r->path);
	free(r);
}

size_t npz_count(const struct npz_reader *r)
{
	zip_int64_t n = zip_get_num_entries(r->za, 0);
	return n > 0 ? (size_t)n : 0;
}

const char *npz_name(struct npz_reader *r, size_t i)
{
	const char *name = zip_get_name(r->za, i, ZIP_FL_ENC_RAW);
	return name ? name : "";
}

uint64_t npz_size(struct npz_reader *r, size_t i)
{
	zip_stat_t st;

	if (zip_stat_index(r->za, i, 0, &st) < 0 || !(st.valid & ZIP_STAT_SIZE))
		return 0;
	return st.size;
}

int npz_member_open(struct npz_reader *r, size_t i, struct ck_err *err)
{
	npz_member_close(r);
	r->cur = zip_fopen_index(r->za, i, 0);
	r->cur_i = i;
	if (!r->cur)
		return ck_error(err, CK_ECORRUPT, "%s: member \"%s\": %s", r->path, npz_name(r, i),
				zip_strerror(r->za));
	return 0;
}

long long npz_member_read(struct npz_reader *r, void *p, size_t n, struct ck_err *err)
{
	zip_int64_t got = zip_fread(r->cur, p, n);

	if (got < 0)
		return ck_error(err, CK_ECORRUPT, "%s: member \"%s\": %s", r->path,
				npz_name(r, r->cur_i), zip_file_strerror(r->cur));
	return got;
}

void npz_member_close(struct npz_reader *r)
{
	if (r->cur)
		zip_fclose(r->cur);
	r->cur = NULL;
}
