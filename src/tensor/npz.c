/* .npz archives (see npz.h): written by our own zip writer, stored members at the speed of a
 * copy (deflated ones through zlib, opened on first use); read through libzip, which pulls
 * the archive from its path and checks each member's CRC. */
#include "tensor/npz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>
#include <zlib.h>

#include "base/crc32.h"
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
	X(zip_discard) \
	X(zip_strerror) \
	X(zip_error_strerror) \
	X(zip_error_fini) \
	X(zip_error_init_with_code) \
	X(zip_stat_index) \
	X(zip_get_num_entries) \
	X(zip_get_name) \
	X(zip_fread) \
	X(zip_fopen_index) \
	X(zip_file_strerror) \
	X(zip_fclose)
#define DECLARE(f) static __typeof__(f) *p_##f;
#define NAME(f) #f,
#define SLOT(f) (void **)&p_##f,
ZIP_FUNCS(DECLARE)
static const char *const zip_names[] = { ZIP_FUNCS(NAME) NULL };
static void **const zip_slots[] = { ZIP_FUNCS(SLOT) };
static struct dynlib libzip = { ZIP_SONAME, zip_names, zip_slots, 0, "" };
#define zip_open (*p_zip_open)
#define zip_discard (*p_zip_discard)
#define zip_strerror (*p_zip_strerror)
#define zip_error_strerror (*p_zip_error_strerror)
#define zip_error_fini (*p_zip_error_fini)
#define zip_error_init_with_code (*p_zip_error_init_with_code)
#define zip_stat_index (*p_zip_stat_index)
#define zip_get_num_entries (*p_zip_get_num_entries)
#define zip_get_name (*p_zip_get_name)
#define zip_fread (*p_zip_fread)
#define zip_fopen_index (*p_zip_fopen_index)
#define zip_file_strerror (*p_zip_file_strerror)
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

/* ---- writing ----
 *
 * The archive is written in one pass through a large buffer (no stdio, no copy but the one
 * into the buffer: a stored member's bytes are read by its source straight into it). Every
 * size is known before a member is written (the .npy header and elements), so its local
 * header carries its sizes; only the CRC-32 (and, deflated, the compressed size) is filled
 * in once the data is through: in the buffer while the header is still there, by pwrite
 * when it has gone to the file. No data descriptors (flag bit 3), which some readers handle
 * badly; ZIP64 records only where a field would not hold its value. */

/* The output buffer, and how a member's bytes go through it: read by the source in pieces of
 * at most PIECE (export.c reads one this large straight into the buffer), and written out
 * once FLUSH_AT bytes are pending. A piece this small is still in the CPU's cache when the
 * CRC runs over it and when write(2) copies it to the page cache. Measured on the 1.2 GiB
 * checkpoint (a) of bench/run, CPU seconds: 4 MiB pieces 1.08 (the copy read them back from
 * memory), 1 MiB 0.36, 512 KiB 0.39, 256 KiB 0.40 (more calls); export --safetensors 0.33. */
#define OUT_BUF (4u << 20)
#define PIECE (1u << 20)
#define FLUSH_AT (1u << 20)
#define DEFLATE_IN (1u << 20)

/* zlib (deflate, for --compress) is opened on first use, like libzip. */
#ifndef Z_SONAME
#define Z_SONAME "libz.so.1"
#endif
#define Z_FUNCS(X) X(deflateInit2_) X(deflate) X(deflateReset) X(deflateEnd)
#define ZLOT(f) (void **)&pz_##f,
#define ZDECLARE(f) static __typeof__(f) *pz_##f;
Z_FUNCS(ZDECLARE)
static const char *const z_names[] = { Z_FUNCS(NAME) NULL };
static void **const z_slots[] = { Z_FUNCS(ZLOT) };
static struct dynlib libz = { Z_SONAME, z_names, z_slots, 0, "" };

struct wmember {
	struct npz_entry e;
	struct npz_source src;
	/* npz_writer_add_hole: the first bytes, given; the rest the caller's, at hole_at, with
	 * their CRC-32 (filled: given) */
	uint8_t *head;
	size_t head_len;
	int hole, filled;
	uint64_t hole_at;
	uint32_t hole_crc;
};

struct npz_writer {
	struct outfile of;
	int compress;
	struct wmember *m;
	size_t n, cap;
	uint8_t *buf;         /* OUT_BUF bytes: [0, len) go to the file at boff */
	uint8_t *spare;       /* the other OUT_BUF bytes, written in the background after a
			       * flush while buf fills (outfile_write_bg) */
	size_t len;
	uint64_t boff;
	uint16_t dos_time, dos_date;
	z_stream z;           /* compress: one deflate stream, reset for each member */
	int z_ready;
	uint8_t *zin;         /* compress: a member's bytes before deflate */
	int laid;             /* npz_writer_lay done: every member in the file */
};

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

static void le64(uint8_t *p, uint64_t v)
{
	le32(p, (uint32_t)v);
	le32(p + 4, (uint32_t)(v >> 32));
}

static void put16(struct buf *b, uint16_t v)
{
	uint8_t t[2];
	le16(t, v);
	buf_add(b, t, 2);
}

/* A 32-bit field, or its ZIP64 marker when the value needs the extra field. */
static uint32_t field32(uint64_t v)
{
	return v >= ZIP_MAX32 ? 0xffffffffu : (uint32_t)v;
}

static int utf8_flag(const struct npz_entry *e)
{
	for (size_t i = 0; i < e->name_len; i++)
		if ((uint8_t)e->name[i] >= 0x80)
			return 1 << 11;  /* the name is UTF-8 (npz_member_name makes it so) */
	return 0;
}

/* The fields local and central headers share, from "version needed" to the name length. */
static void common_fields(struct buf *b, const struct npz_entry *e, int zip64)
{
	put16(b, zip64 ? 45 : 20);
	put16(b, (uint16_t)utf8_flag(e));
	put16(b, (uint16_t)e->method);
	put16(b, e->dos_time);
	put16(b, e->dos_date);
	put_fixed32(b, e->crc);
}

void npz_local_header(struct buf *b, const struct npz_entry *e)
{
	put_fixed32(b, 0x04034b50);
	common_fields(b, e, e->zip64);
	put_fixed32(b, e->zip64 ? 0xffffffffu : (uint32_t)e->csize);
	put_fixed32(b, e->zip64 ? 0xffffffffu : (uint32_t)e->size);
	put16(b, (uint16_t)e->name_len);
	put16(b, e->zip64 ? 20 : 0);
	buf_add(b, e->name, e->name_len);
	if (e->zip64) {  /* APPNOTE 4.5.3: in a local header, both sizes */
		put16(b, 0x0001);
		put16(b, 16);
		put_fixed64(b, e->size);
		put_fixed64(b, e->csize);
	}
}

void npz_central_header(struct buf *b, const struct npz_entry *e)
{
	int big_u = e->size >= ZIP_MAX32, big_c = e->csize >= ZIP_MAX32, big_o = e->off >= ZIP_MAX32;
	uint16_t extra = (uint16_t)(8 * (big_u + big_c + big_o));
	int zip64 = extra || e->zip64;

	put_fixed32(b, 0x02014b50);
	put16(b, (uint16_t)(3 << 8 | (zip64 ? 45 : 20)));  /* made by: Unix, so the mode counts */
	common_fields(b, e, zip64);
	put_fixed32(b, field32(e->csize));
	put_fixed32(b, field32(e->size));
	put16(b, (uint16_t)e->name_len);
	put16(b, extra ? (uint16_t)(4 + extra) : 0);
	put16(b, 0);                      /* comment length */
	put16(b, 0);                      /* disk number */
	put16(b, 0);                      /* internal attributes */
	put_fixed32(b, 0100644u << 16);   /* external: a regular file, rw-r--r-- */
	put_fixed32(b, field32(e->off));
	buf_add(b, e->name, e->name_len);
	if (extra) {  /* APPNOTE 4.5.3: here only the fields marked 0xFFFFFFFF, in this order */
		put16(b, 0x0001);
		put16(b, extra);
		if (big_u)
			put_fixed64(b, e->size);
		if (big_c)
			put_fixed64(b, e->csize);
		if (big_o)
			put_fixed64(b, e->off);
	}
}

void npz_end_records(struct buf *b, uint64_t n, uint64_t cd_off, uint64_t cd_size)
{
	if (n >= 0xffff || cd_off >= ZIP_MAX32 || cd_size >= ZIP_MAX32) {
		uint64_t at = cd_off + cd_size;
		put_fixed32(b, 0x06064b50);  /* ZIP64 end of central directory record */
		put_fixed64(b, 44);          /* its size after this field */
		put16(b, 3 << 8 | 45);
		put16(b, 45);
		put_fixed32(b, 0);           /* this disk */
		put_fixed32(b, 0);           /* the disk of the central directory */
		put_fixed64(b, n);
		put_fixed64(b, n);
		put_fixed64(b, cd_size);
		put_fixed64(b, cd_off);
		put_fixed32(b, 0x07064b50);  /* ZIP64 end of central directory locator */
		put_fixed32(b, 0);
		put_fixed64(b, at);
		put_fixed32(b, 1);           /* disks in all */
	}
	put_fixed32(b, 0x06054b50);
	put16(b, 0);
	put16(b, 0);
	put16(b, n >= 0xffff ? 0xffff : (uint16_t)n);
	put16(b, n >= 0xffff ? 0xffff : (uint16_t)n);
	put_fixed32(b, field32(cd_size));
	put_fixed32(b, field32(cd_off));
	put16(b, 0);                         /* comment length */
}

static int flush(struct npz_writer *w, struct ck_err *err)
{
	uint8_t *filled = w->buf;
	int rc = w->len ? outfile_write_bg(&w->of, filled, w->len, err) : 0;

	w->boff += w->len;
	w->len = 0;
	w->buf = w->spare;  /* free again: outfile_write_bg waited for its write */
	w->spare = filled;
	return rc;
}

/* Bytes that are not a member's data: into the buffer whole, so that a header is either
 * all in the buffer or all in the file when it is patched. */
static int put(struct npz_writer *w, const void *p, size_t n, struct ck_err *err)
{
	while (n) {
		size_t k;
		if (OUT_BUF - w->len < n && w->len) {
			int rc = flush(w, err);
			if (rc < 0)
				return rc;
		}
		k = n < OUT_BUF - w->len ? n : OUT_BUF - w->len;
		memcpy(w->buf + w->len, p, k);
		w->len += k;
		p = (const uint8_t *)p + k;
		n -= k;
	}
	return 0;
}

/* Overwrite n bytes at file offset at, which were put (put() keeps them in one piece). */
static int patch(struct npz_writer *w, uint64_t at, const void *p, size_t n, struct ck_err *err)
{
	int rc;

	if (at >= w->boff) {
		memcpy(w->buf + (at - w->boff), p, n);
		return 0;
	}
	rc = outfile_drain(&w->of, err);  /* in the file before it is overwritten there */
	if (rc < 0)
		return rc;
	if (pwrite_full(w->of.f.fd, p, n, at) < 0)
		return ck_syserr(err, errno, "%s", w->of.f.path);
	return 0;
}

/* The CRC and compressed size, now known, into the member's local header. */
static int patch_local(struct npz_writer *w, const struct npz_entry *e, struct ck_err *err)
{
	uint8_t t[16];
	int rc;

	le32(t, e->crc);
	le32(t + 4, e->zip64 ? 0xffffffffu : (uint32_t)e->csize);  /* zip64: as it was */
	rc = patch(w, e->off + 14, t, 8, err);
	if (rc == 0 && e->zip64 && e->method) {
		le64(t, e->csize);
		rc = patch(w, e->off + 30 + e->name_len + 4 + 8, t, 8, err);
	}
	return rc;
}

static int ended_early(struct npz_writer *w, const struct npz_entry *e, uint64_t left,
		       struct ck_err *err)
{
	return ck_error(err, CK_EIO, "%s: member \"%s\": data ended %llu bytes early",
			w->of.f.path, e->name, (unsigned long long)left);
}

/* A stored member: the source reads into the buffer, the CRC runs over what it read. */
static int copy_stored(struct npz_writer *w, struct wmember *m, struct ck_err *err)
{
	for (uint64_t left = m->e.size; left;) {
		size_t room;
		long long got;
		int rc;
		/* a member of one piece stays whole in the buffer (write_member left room), with
		 * its header, whose CRC is then filled in there rather than by pwrite */
		if (m->e.size > PIECE && w->len >= FLUSH_AT && (rc = flush(w, err)) < 0)
			return rc;
		room = OUT_BUF - w->len < PIECE ? OUT_BUF - w->len : PIECE;
		got = m->src.read(m->src.ctx, w->buf + w->len, left < room ? (size_t)left : room, err);
		if (got <= 0)
			return got < 0 ? (int)got : ended_early(w, &m->e, left, err);
		m->e.crc = crc32_update(m->e.crc, w->buf + w->len, (size_t)got);
		w->len += (size_t)got;
		left -= (uint64_t)got;
	}
	m->e.csize = m->e.size;
	return 0;
}

static int z_fail(struct npz_writer *w, int zrc, struct ck_err *err)
{
	return ck_error(err, CK_EIO, "%s: deflate failed (zlib error %d%s%s)", w->of.f.path, zrc,
			w->z.msg ? ": " : "", w->z.msg ? w->z.msg : "");
}

/* A deflated member (raw deflate, as zip wants it: no zlib header). */
static int copy_deflated(struct npz_writer *w, struct wmember *m, struct ck_err *err)
{
	uint64_t left = m->e.size;
	int zrc = Z_OK, rc;

	m->e.csize = 0;
	if ((zrc = pz_deflateReset(&w->z)) != Z_OK)
		return z_fail(w, zrc, err);
	w->z.avail_in = 0;
	while (zrc != Z_STREAM_END) {
		size_t room;
		if (!w->z.avail_in && left) {
			long long got = m->src.read(m->src.ctx, w->zin,
						    left < DEFLATE_IN ? (size_t)left : DEFLATE_IN, err);
			if (got <= 0)
				return got < 0 ? (int)got : ended_early(w, &m->e, left, err);
			m->e.crc = crc32_update(m->e.crc, w->zin, (size_t)got);
			w->z.next_in = w->zin;
			w->z.avail_in = (uInt)got;
			left -= (uint64_t)got;
		}
		if (w->len >= FLUSH_AT && (rc = flush(w, err)) < 0)
			return rc;
		room = OUT_BUF - w->len;
		w->z.next_out = w->buf + w->len;
		w->z.avail_out = (uInt)room;
		zrc = pz_deflate(&w->z, left || w->z.avail_in ? Z_NO_FLUSH : Z_FINISH);
		if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR)
			return z_fail(w, zrc, err);
		w->len += room - w->z.avail_out;
		m->e.csize += room - w->z.avail_out;
	}
	if (!m->e.zip64 && m->e.csize >= ZIP_MAX32)  /* npz_writer_add allows for the worst case */
		return ck_error(err, CK_EIO, "%s: member \"%s\": deflated beyond 4 GiB", w->of.f.path,
				m->e.name);
	return 0;
}

/* A hole: its head into the buffer, then the file's position moved past the rest, which the
 * caller writes later (the background write first: it writes at the position). */
static int skip_hole(struct npz_writer *w, struct wmember *m, struct ck_err *err)
{
	int rc = put(w, m->head, m->head_len, err);

	m->e.crc = crc32_update(0, m->head, m->head_len);
	m->hole_at = w->boff + w->len;
	if (rc == 0)
		rc = flush(w, err);
	if (rc == 0)
		rc = outfile_drain(&w->of, err);
	if (rc < 0)
		return rc;
	w->boff = m->hole_at + (m->e.size - m->head_len);
	if (lseek(w->of.f.fd, (off_t)w->boff, SEEK_SET) < 0)
		return ck_syserr(err, errno, "%s", w->of.f.path);
	return 0;
}

static int write_member(struct npz_writer *w, struct wmember *m, struct ck_err *err)
{
	struct buf h = BUF_INIT;
	int rc;

	if (w->len >= FLUSH_AT && (rc = flush(w, err)) < 0)  /* room for a piece (copy_stored) */
		return rc;
	m->e.off = w->boff + w->len;
	m->e.crc = 0;
	m->e.csize = m->e.method ? 0 : m->e.size;
	npz_local_header(&h, &m->e);
	rc = put(w, h.p, h.len, err);
	buf_release(&h);
	if (rc < 0)
		return rc;
	if (m->hole)  /* its CRC is patched in by npz_writer_finish, once filled */
		return skip_hole(w, m, err);
	if (m->src.open && (rc = m->src.open(m->src.ctx, err)) < 0)
		return rc;
	rc = m->e.method ? copy_deflated(w, m, err) : copy_stored(w, m, err);
	if (m->src.close)
		m->src.close(m->src.ctx);
	return rc < 0 ? rc : patch_local(w, &m->e, err);
}

static int write_directory(struct npz_writer *w, struct ck_err *err)
{
	uint64_t cd_off = w->boff + w->len;
	struct buf b = BUF_INIT;
	int rc = 0;

	for (size_t i = 0; i < w->n && rc == 0; i++) {
		buf_reset(&b);
		npz_central_header(&b, &w->m[i].e);
		rc = put(w, b.p, b.len, err);
	}
	if (rc == 0) {
		buf_reset(&b);
		npz_end_records(&b, w->n, cd_off, w->boff + w->len - cd_off);
		rc = put(w, b.p, b.len, err);
	}
	buf_release(&b);
	return rc < 0 ? rc : flush(w, err);
}

/* MS-DOS date and time fields, local time as zip tools show them. */
static void dos_now(uint16_t *t, uint16_t *d)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!localtime_r(&now, &tm) || tm.tm_year < 80) {
		*t = 0;
		*d = 1 << 5 | 1;  /* 1980-01-01 */
		return;
	}
	*t = (uint16_t)(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
	*d = (uint16_t)((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
}

static void writer_free(struct npz_writer *w)
{
	outfile_abort(&w->of);  /* first: waits for a write from a buffer */
	for (size_t i = 0; i < w->n; i++) {
		free((char *)w->m[i].e.name);
		free(w->m[i].head);
	}
	free(w->m);
	xfree_huge(w->buf, OUT_BUF);
	xfree_huge(w->spare, OUT_BUF);
	free(w->zin);
	if (w->z_ready)
		pz_deflateEnd(&w->z);
	free(w);
}

int npz_writer_open(struct npz_writer **out, const char *path, int force, int compress,
		    struct ck_err *err)
{
	struct npz_writer *w = xcalloc(1, sizeof(*w));
	int rc;

	*out = NULL;
	w->compress = compress;
	rc = compress ? dynlib_load(&libz, "compressed .npz files", err) : 0;
	if (rc == 0)
		rc = outfile_create(&w->of, path, force, err);
	if (rc < 0) {
		free(w);
		return rc;
	}
	if (compress) {
		int zrc = pz_deflateInit2_(&w->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8,
					   Z_DEFAULT_STRATEGY, ZLIB_VERSION, (int)sizeof(z_stream));
		if (zrc != Z_OK) {
			rc = z_fail(w, zrc, err);
			writer_free(w);
			return rc;
		}
		w->z_ready = 1;
		w->zin = xmalloc(DEFLATE_IN);
	}
	w->buf = xmalloc_huge(OUT_BUF);  /* a fault per 2 MiB, not per 4 KiB (util.h) */
	w->spare = xmalloc_huge(OUT_BUF);
	dos_now(&w->dos_time, &w->dos_date);
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
	size_t len = strlen(name);
	struct npz_entry *e;

	if (len > NPZ_MAX_MEMBER)
		return ck_error(err, CK_EUNSUP, "%s: a member name of %zu bytes (a zip entry name "
				"holds %u at most)", w->of.f.path, len, NPZ_MAX_MEMBER);
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 64;
		w->m = xreallocarray(w->m, w->cap, sizeof(*w->m));
	}
	memset(&w->m[w->n], 0, sizeof(w->m[w->n]));
	w->m[w->n].src = *src;
	e = &w->m[w->n++].e;
	e->name = xmemdup(name, len + 1);
	e->name_len = len;
	e->size = size;
	e->method = w->compress ? 8 : 0;
	e->dos_time = w->dos_time;
	e->dos_date = w->dos_date;
	/* deflate may grow incompressible bytes by 5 per 16 KiB block, and a little more */
	e->zip64 = size >= ZIP_MAX32 || (w->compress && size + (size >> 10) + 64 >= ZIP_MAX32);
	return 0;
}

int npz_writer_add_hole(struct npz_writer *w, const char *name, uint64_t size,
			const void *head, size_t head_len, struct ck_err *err)
{
	struct wmember *m;
	int rc;

	if (w->compress || head_len > size)
		return ck_error(err, CK_EUSAGE, "%s: a hole in a deflated archive, or shorter than "
				"its head", w->of.f.path);
	if ((rc = npz_writer_add(w, name, size, &(struct npz_source){ 0 }, err)) < 0)
		return rc;
	m = &w->m[w->n - 1];
	m->hole = 1;
	m->head = xmemdup(head, head_len);
	m->head_len = head_len;
	return 0;
}

int npz_writer_lay(struct npz_writer *w, struct ck_err *err)
{
	int rc = 0;

	if (!w->n)  /* numpy would read an empty archive, but it is never what was meant */
		rc = ck_error(err, CK_EUSAGE, "%s: no arrays to write", w->of.f.path);
	for (size_t i = 0; i < w->n && rc == 0; i++)
		rc = write_member(w, &w->m[i], err);
	if (rc == 0)
		rc = flush(w, err);
	if (rc == 0)
		rc = outfile_drain(&w->of, err);  /* nothing of ours in flight while holes fill */
	w->laid = rc == 0;
	return rc;
}

int npz_writer_file(const struct npz_writer *w, const char **path)
{
	*path = w->of.f.path;
	return w->of.f.fd;
}

uint64_t npz_writer_hole_at(const struct npz_writer *w, size_t member)
{
	return w->m[member].hole_at;
}

void npz_writer_fill(struct npz_writer *w, size_t member, uint32_t crc)
{
	w->m[member].hole_crc = crc;
	w->m[member].filled = 1;
}

/* Each hole's CRC (its head's and the caller's joined) into its local header. */
static int patch_holes(struct npz_writer *w, struct ck_err *err)
{
	for (size_t i = 0; i < w->n; i++) {
		struct wmember *m = &w->m[i];
		int rc;
		if (!m->hole)
			continue;
		if (!m->filled)
			return ck_error(err, CK_EUSAGE, "%s: member \"%s\" was never filled",
					w->of.f.path, m->e.name);
		m->e.crc = crc32_concat(m->e.crc, m->hole_crc, m->e.size - m->head_len);
		if ((rc = patch_local(w, &m->e, err)) < 0)
			return rc;
	}
	return 0;
}

int npz_writer_finish(struct npz_writer *w, struct ck_err *err)
{
	int rc = w->laid ? 0 : npz_writer_lay(w, err);

	if (rc == 0)
		rc = patch_holes(w, err);
	if (rc == 0)
		rc = write_directory(w, err);
	if (rc == 0)
		rc = outfile_commit(&w->of, err);
	writer_free(w);
	return rc;
}

void npz_writer_abort(struct npz_writer *w)
{
	if (w)
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
