/* .npz member names: every tensor name, of any bytes, becomes a plain relative member name
 * (no absolute path, no "." or ".." or empty component, no backslash or control byte, valid
 * UTF-8) and decodes back to itself exactly. The zip64 records. Holes: members whose bytes
 * the caller writes at their places, read back by libzip with their CRCs. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/crc32.h"
#include "base/err.h"
#include "base/util.h"
#include "tensor/npz.h"
#include "tap.h"

/* 1 if the member name is a safe relative path of ordinary components. */
static int plain(const uint8_t *p, size_t n)
{
	size_t start = 0;

	if (!n || n > NPZ_MAX_MEMBER)
		return 0;
	for (size_t i = 0; i < n;) {
		int k = utf8_seq_len(p + i, n - i);
		if (!k || p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
			return 0;
		i += (size_t)k;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (i == start || p[start] == '.')  /* empty, ".", "..", hidden */
			return 0;
		start = i + 1;
	}
	return 1;
}

static int round_trip(const void *name, size_t len)
{
	struct buf m = BUF_INIT, back = BUF_INIT;
	int good;

	npz_member_name(&m, name, len);
	good = m.len >= 4 && !memcmp(m.p + m.len - 4, ".npy", 4) && plain(m.p, m.len);
	npz_name_decode(&back, (const char *)m.p, m.len - 4);
	good = good && back.len == len && !memcmp(back.p, name, len);
	if (!good)
		printf("#   member \"%.*s\"\n", (int)m.len, (const char *)m.p);
	buf_release(&m);
	buf_release(&back);
	return good;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void put_at(int fd, const struct buf *b, uint64_t off)
{
	if (pwrite(fd, b->p, b->len, (off_t)off) != (ssize_t)b->len)
		abort();
}

/* A member of SMALL bytes; the archive's offsets past 4 GiB come from holes (a sparse file). */
#define SMALL 100
#define FAR (5ull << 30)

/* An archive past 4 GiB without writing 4 GiB: "a.npy" at 0, "b.npy" at 5 GiB, and "big.npy",
 * a hole of 4 GiB + 16 zero bytes whose CRC is not checked here (its header and size are).
 * Its central directory starts past 9 GiB, so the end records are ZIP64's too. The file stays
 * when $NPZ_SPARSE names it (tests/npz.t reads it with Python's zipfile). */
static void zip64_offsets(void)
{
	const char *keep = getenv("NPZ_SPARSE");
	char path[] = "/tmp/test_npz.XXXXXX";
	struct npz_entry e[3] = {
		{ "a.npy", 5, SMALL, SMALL, 0, 0, 0, 0, 1 << 11, 0x5821 },
		{ "b.npy", 5, SMALL, SMALL, FAR, 0, 0, 0, 1 << 11, 0x5821 },
		{ "big.npy", 7, (4ull << 30) + 16, (4ull << 30) + 16, FAR + 200, 0, 0, 1, 0, 0x5821 },
	};
	struct buf b = BUF_INIT, data = BUF_INIT;
	struct npz_reader *r = NULL;
	struct ck_err err;
	uint64_t cd_off, cd_len;
	int fd = keep ? open(keep, O_RDWR | O_CREAT | O_TRUNC, 0644) : mkstemp(path);
	uint8_t got[SMALL];
	int rc;

	if (fd < 0)
		abort();
	for (int i = 0; i < SMALL; i++)
		buf_addc(&data, (uint8_t)(i * 7));
	for (int i = 0; i < 2; i++) {
		data.p[0] = (uint8_t)i;
		e[i].crc = crc32_update(0, data.p, SMALL);
		buf_reset(&b);
		npz_local_header(&b, &e[i]);
		buf_add(&b, data.p, SMALL);
		put_at(fd, &b, e[i].off);
	}
	buf_reset(&b);
	npz_local_header(&b, &e[2]);
	ok(b.len == 30 + 7 + 20 && rd32(b.p + 18) == 0xffffffffu && rd32(b.p + 22) == 0xffffffffu &&
	   rd64(b.p + 41) == e[2].size && rd64(b.p + 49) == e[2].csize,
	   "a member of 4 GiB or more: sizes 0xFFFFFFFF, both in the local zip64 extra field");
	put_at(fd, &b, e[2].off);
	cd_off = e[2].off + b.len + e[2].size;
	buf_reset(&b);
	for (int i = 0; i < 3; i++)
		npz_central_header(&b, &e[i]);
	cd_len = b.len;
	/* central headers: a.npy 46 + 5 bytes; b.npy at 51, its extra the offset only; big.npy at
	 * 51 + 46 + 5 + 12 = 114, its extra both sizes then the offset (APPNOTE 4.5.3) */
	ok(rd32(b.p + 42) == 0 && b.p[30] == 0 && rd32(b.p + 51 + 42) == 0xffffffffu &&
	   rd32(b.p + 51 + 20) == SMALL && b.p[51 + 30] == 12 && rd32(b.p + 102) == 0x00080001 &&
	   rd64(b.p + 106) == FAR, "a member at 5 GiB: offset 0xFFFFFFFF, in the central zip64 extra");
	ok(b.p[114 + 30] == 28 && rd32(b.p + 167) == 0x00180001 && rd64(b.p + 171) == e[2].size &&
	   rd64(b.p + 179) == e[2].csize && rd64(b.p + 187) == e[2].off && cd_len == 195,
	   "a member of 4 GiB past 4 GiB: size, compressed size, offset in that order");
	npz_end_records(&b, 3, cd_off, cd_len);
	put_at(fd, &b, cd_off);
	ok(rd32(b.p + cd_len) == 0x06064b50 && rd64(b.p + cd_len + 48) == cd_off &&
	   rd32(b.p + cd_len + 56) == 0x07064b50 && rd64(b.p + cd_len + 64) == cd_off + cd_len &&
	   rd32(b.p + cd_len + 76) == 0x06054b50 && rd32(b.p + cd_len + 92) == 0xffffffffu,
	   "a central directory past 4 GiB: ZIP64 end record and locator, offset 0xFFFFFFFF");
	close(fd);

	rc = npz_open(&r, keep ? keep : path, &err);
	ok(rc == 0, "libzip opens it%s%s", rc ? ": " : "", rc ? err.msg : "");
	if (rc == 0) {
		ok(npz_count(r) == 3 && !strcmp(npz_name(r, 1), "b.npy") && npz_size(r, 1) == SMALL &&
		   npz_size(r, 2) == e[2].size, "libzip sees the three members and their sizes");
		rc = npz_member_open(r, 1, &err);
		ok(rc == 0 && npz_member_read(r, got, SMALL, &err) == SMALL && got[0] == 1 &&
		   !memcmp(got + 1, data.p + 1, SMALL - 1) && npz_member_read(r, got, 1, &err) == 0,
		   "libzip reads the member at 5 GiB, CRC checked%s%s", rc ? ": " : "", rc ? err.msg : "");
		npz_close(r);
	}
	if (!keep)
		unlink(path);
	buf_release(&b);
	buf_release(&data);
}

/* A streamed member's bytes, from memory. */
struct mem {
	const uint8_t *p;
	size_t n, at;
};

static long long mem_read(void *ctx, void *p, size_t n, struct ck_err *err)
{
	struct mem *m = ctx;

	(void)err;
	if (n > m->n - m->at)
		n = m->n - m->at;
	memcpy(p, m->p + m->at, n);
	m->at += n;
	return (long long)n;
}

/* Member i's bytes: a pattern, with "H<i>" first when it is that long. */
static void member_bytes(uint8_t *p, size_t n, int i)
{
	for (size_t k = 0; k < n; k++)
		p[k] = (uint8_t)(k * 131 + (size_t)i * 7 + (k >> 9));
	if (n >= 2) {
		p[0] = 'H';
		p[1] = (uint8_t)('0' + i);
	}
}

/* Streamed members between holes (one of 3 MiB, past the writer's buffers, filled in pieces
 * out of order); libzip reads every member back, CRC checked. A hole never filled fails the
 * archive, which is then not left behind; a deflated archive has no holes. */
static void holes(void)
{
	static const size_t sizes[] = { 700, 5000, 3u << 20, 1, 40000 };
	enum { N = 5 };
	const int hole[N] = { 0, 1, 1, 0, 1 };
	char dir[] = "/tmp/test_npz_holes.XXXXXX", out[100], name[8];
	struct npz_writer *w = NULL;
	struct npz_reader *r = NULL;
	struct mem src[N];
	uint8_t *bytes[N], *got = malloc(3u << 20);
	struct ck_err err;
	const char *path;
	int fd, good = 1, rc;

	if (!mkdtemp(dir))
		tap_bail("mkdtemp");
	snprintf(out, sizeof(out), "%s/h.npz", dir);
	rc = npz_writer_open(&w, out, 0, 0, &err);
	npz_writer_no_sync(w);
	for (int i = 0; i < N && rc == 0; i++) {
		bytes[i] = malloc(sizes[i]);
		member_bytes(bytes[i], sizes[i], i);
		src[i] = (struct mem){ bytes[i], sizes[i], 0 };
		snprintf(name, sizeof(name), "m%d.npy", i);
		rc = hole[i] ? npz_writer_add_hole(w, name, sizes[i], bytes[i], 2, &err)
			     : npz_writer_add(w, name, sizes[i],
					      &(struct npz_source){ NULL, mem_read, NULL, &src[i] }, &err);
	}
	ok(rc == 0 && npz_writer_lay(w, &err) == 0, "holes: laid out");
	fd = npz_writer_file(w, &path);
	for (int i = N - 1; i >= 0; i--) {  /* last hole first, its second half first */
		size_t half = (sizes[i] - 2) / 2;
		if (!hole[i])
			continue;
		good &= pwrite_full(fd, bytes[i] + 2 + half, sizes[i] - 2 - half,
				    npz_writer_hole_at(w, i) + half) == 0;
		good &= pwrite_full(fd, bytes[i] + 2, half, npz_writer_hole_at(w, i)) == 0;
		npz_writer_fill(w, i, crc32_update(0, bytes[i] + 2, sizes[i] - 2));
	}
	ok(good && npz_writer_finish(w, &err) == 0, "holes: filled and finished");
	rc = npz_open(&r, out, &err);
	ok(rc == 0 && npz_count(r) == N, "holes: libzip opens the archive, %d members", N);
	for (size_t i = 0; rc == 0 && i < N; i++) {
		long long n;
		good = npz_member_open(r, i, &err) == 0;
		n = good ? npz_member_read(r, got, sizes[i], &err) : -1;
		good &= n == (long long)sizes[i] && !memcmp(got, bytes[i], sizes[i]) &&
			npz_member_read(r, got, 1, &err) == 0;
		npz_member_close(r);
		ok(good, "holes: member %zu (%s, %zu bytes) reads back, CRC checked", i,
		   hole[i] ? "a hole" : "streamed", sizes[i]);
	}
	npz_close(r);
	unlink(out);

	rc = npz_writer_open(&w, out, 0, 0, &err);
	if (rc == 0)
		rc = npz_writer_add_hole(w, "x.npy", 10, "HE", 2, &err);
	ok(rc == 0 && npz_writer_finish(w, &err) == CK_EUSAGE && strstr(err.msg, "never filled") &&
	   access(out, F_OK) != 0, "holes: one never filled fails, nothing left: %s", err.msg);
	rc = npz_writer_open(&w, out, 0, 1, &err);
	ok(rc == 0 && npz_writer_add_hole(w, "x.npy", 10, "HE", 2, &err) == CK_EUSAGE,
	   "holes: none in a deflated archive");
	npz_writer_abort(w);
	for (int i = 0; i < N; i++)
		free(bytes[i]);
	free(got);
	rmdir(dir);
}

int main(void)
{
	static const char *const names[] = {
		"../../evil", "/abs/path", "a//b", "x/", "/", "//", ".", "..", ".hidden", "a/./b",
		"a/../b", "100%", "%41", "%", "%%", "back\\slash", "tab\there", "new\nline",
		"dense/kernel", "caf\xc3\xa9", "bad\xff\xfeutf8", "a/.b/.", "...",
	};
	struct buf m = BUF_INIT, d = BUF_INIT;
	uint32_t x = 1;
	int all = 1;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ok(round_trip(names[i], strlen(names[i])), "\"%s\" is a plain member and comes back",
		   names[i]);
	ok(round_trip("a\0b", 3), "a NUL byte too");
	npz_member_name(&m, "", 0);
	is_mem(m.p, m.len, ".npy", 4, "the empty name is \".npy\", as numpy.savez writes it");
	buf_reset(&m);
	npz_member_name(&m, "dense/kernel", 12);
	is_mem(m.p, m.len, "dense/kernel.npy", 16, "ordinary names keep numpy's key");
	npz_name_decode(&d, "%zz%4", 5);
	is_mem(d.p, d.len, "%zz%4", 5, "a '%%' without two hex digits is kept");
	for (int i = 0; i < 256; i++) {  /* every byte alone, and between slashes */
		char one[3] = { '/', (char)i, '/' };
		all &= round_trip(one + 1, 1) && round_trip(one, 3) && round_trip(one, 2);
	}
	ok(all, "every byte value, alone and beside slashes");
	for (int t = 0; t < 2000; t++) {  /* random names of the bytes that matter */
		static const char pick[] = "./%\\a\x01\xff\xc3\xa9";
		char name[12];
		size_t n = 1 + (size_t)(t % 11);
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			name[i] = pick[(x >> 16) % (sizeof(pick) - 1)];
		}
		all &= round_trip(name, n);
	}
	ok(all, "2000 random names of '.', '/', '%%', '\\\\', controls and UTF-8");
	buf_release(&m);
	buf_release(&d);
	zip64_offsets();
	holes();
	return tap_done();
}
