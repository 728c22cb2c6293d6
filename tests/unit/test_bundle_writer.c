/* bundle_writer: round trips through the reader, payload copies and shared data files with
 * CRCs kept, byte-identical index rebuilds, the re-read check, --force replacement, and no
 * temporary file left behind on any failure. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "format/slicekey.h"
#include "tap.h"

static char dir[256];

static char *path(const char *name)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static size_t count_files(const char *sub)
{
	DIR *d = opendir(path(sub));
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static size_t count_temps(const char *sub)
{
	DIR *d = opendir(path(sub));
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		n += strstr(de->d_name, "tempstate") != NULL;
	closedir(d);
	return n;
}

static struct buf slurp(const char *p)
{
	struct buf b = BUF_INIT;
	FILE *f = fopen(p, "rb");
	char tmp[4096];
	size_t n;

	while (f && (n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	if (f)
		fclose(f);
	return b;
}

/* A bundle with floats in two shards, strings, and a partitioned tensor. */
static int write_source(const char *prefix, int flags)
{
	struct bundle_writer *w;
	struct ck_err err;
	int64_t d[2] = { 4, 3 }, full[2] = { 4, 3 }, half[2] = { 2, 3 };
	int64_t slices[8] = { 0, 2, 0, -1, 2, 2, 0, -1 };
	float v[12];
	const uint8_t *s[2] = { (const uint8_t *)"ab", (const uint8_t *)"\xff\x00z" };
	size_t l[2] = { 2, 3 };
	int64_t two = 2;
	struct buf key = BUF_INIT;

	for (int i = 0; i < 12; i++)
		v[i] = (float)i * 0.5f;
	if (bundle_writer_open(&w, prefix, 2, flags | BW_MKDIR, &err) < 0) {
		printf("# %s\n", err.msg);
		return -1;
	}
	bundle_writer_add(w, "w", 1, DT_FLOAT, d, 2, 0, v, sizeof(v));
	bundle_writer_add(w, "b", 1, DT_FLOAT, d + 1, 1, 1, v, 12);
	bundle_writer_add_strings(w, "s", 1, &two, 1, 1, s, l, 2);
	bundle_writer_add_partitioned(w, "p", 1, DT_FLOAT, full, 2, 2, slices);
	slice_key(&key, "p", 1, 2, slices);
	bundle_writer_add(w, key.p, key.len, DT_FLOAT, half, 2, 0, v, 24);
	buf_reset(&key);
	slice_key(&key, "p", 1, 2, slices + 4);
	bundle_writer_add(w, key.p, key.len, DT_FLOAT, half, 2, 1, v + 6, 24);
	buf_release(&key);
	if (bundle_writer_finish(w, &err) < 0) {
		printf("# %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int all_verify(struct bundle *b)
{
	struct ck_err err;
	for (size_t i = 0; i < b->nentries; i++)
		if (!b->entries[i].nslices && bundle_verify(b, &b->entries[i], &err) < 0) {
			printf("# %s\n", err.msg);
			return 0;
		}
	return 1;
}

/* Copy every payload of src into a new bundle with copy ranges (renamed with a prefix). */
static int copy_all(struct bundle *src, const char *prefix, const char *add, int flags,
		    struct ck_err *err)
{
	struct bundle_writer *w;
	int rc = bundle_writer_open(&w, prefix, 1, flags | BW_MKDIR, err);

	if (rc < 0)
		return rc;
	for (size_t i = 0; i < src->nentries && rc == 0; i++) {
		struct bundle_entry e = src->entries[i];
		struct buf name = BUF_INIT;
		if (e.is_slice) {  /* slices are keyed by their parent's name */
			struct buf parent = BUF_INIT;
			int rank;
			int64_t *ext;
			slice_key_parse((const uint8_t *)e.name, e.name_len, &parent, &rank, &ext);
			buf_add(&parent, "", 0);
			buf_reset(&name);
			{
				struct buf full = BUF_INIT;
				buf_add(&full, add, strlen(add));
				buf_add(&full, parent.p, parent.len);
				slice_key(&name, full.p, full.len, rank, ext);
				buf_release(&full);
			}
			free(ext);
			buf_release(&parent);
		} else {
			buf_add(&name, add, strlen(add));
			buf_add(&name, e.name, e.name_len);
		}
		e.name = (char *)name.p;
		e.name_len = name.len;
		e.shard = 0;
		if (!e.nslices) {
			char *sp = bundle_shard_path(src, src->entries[i].shard);
			struct ck_file *f = NULL;
			rc = ck_file_open(sp, &f, err);
			if (rc == 0)
				rc = bundle_writer_begin(w, 0, &e.offset);
			if (rc == 0)
				rc = bundle_writer_copy(w, 0, f, src->entries[i].offset, e.size, sp);
			ck_file_close(f);
			free(sp);
		}
		if (rc == 0)
			rc = bundle_writer_add_entry(w, &e);
		buf_release(&name);
	}
	if (rc < 0) {
		bundle_writer_status(w, err);
		bundle_writer_abort(w);
		return rc;
	}
	return bundle_writer_finish(w, err);
}

static void entry_of(void *ctx, size_t i, struct bundle_entry *e)
{
	const struct bundle_entry *const *es = ctx;
	*e = *es[i];
}

/* b's entries but entry `skip` given through bundle_writer_add_sorted, entry `add` added
 * with bundle_writer_add_entry, its data files shared. */
static int sorted_copy(struct bundle *b, const char *prefix, size_t skip, size_t add, int flags,
		       struct ck_err *err)
{
	const struct bundle_entry **es = xcalloc(b->nentries, sizeof(*es));
	struct bundle_writer *w;
	enum bw_share how;
	size_t n = 0;
	int rc = bundle_writer_open(&w, prefix, b->num_shards, BW_MKDIR | flags, err);

	if (rc < 0) {
		free(es);
		return rc;
	}
	for (int i = 0; i < b->num_shards && rc == 0; i++) {
		char *sp = bundle_shard_path(b, i);
		rc = bundle_writer_share(w, i, sp, 0, NULL, 0, &how);
		free(sp);
	}
	for (size_t i = 0; i < b->nentries; i++)
		if (i != skip)
			es[n++] = &b->entries[i];
	bundle_writer_add_sorted(w, n, entry_of, es);
	if (rc == 0)
		bundle_writer_add_entry(w, &b->entries[add]);
	rc = bundle_writer_finish(w, err);
	free(es);
	return rc;
}

int main(void)
{
	struct bundle *a = NULL, *b = NULL;
	struct bundle_writer *w;
	struct ck_err err;
	struct stat st;
	char tmpl[] = "/tmp/ckpt-bw.XXXXXX";

	snprintf(dir, sizeof(dir), "%s", mkdtemp(tmpl));

	/* Round trip through the reader. */
	ok(write_source(path("src/a"), 0) == 0, "a two-shard bundle is written");
	ok(bundle_open(&a, path("src/a"), &err) == 0, "and reads back");
	is_int(a->num_shards, 2, "two shards in the header");
	is_int(a->nentries, 6, "six entries (two of them slices)");
	ok(all_verify(a), "every payload's CRC checks");
	is_int(count_temps("src"), 0, "no temporary file left");

	/* Copies keep the CRCs; the re-read check passes; the data verifies. */
	ok(copy_all(a, path("copy/c"), "x/", BW_VERIFY_DATA, &err) == 0, "copy_file_range copy with --verify-data");
	ok(bundle_open(&b, path("copy/c"), &err) == 0, "the copy reads back");
	if (b) {
		int same = b->nentries == a->nentries;
		for (size_t i = 0; same && i < a->nentries; i++) {
			const struct bundle_entry *e = &a->entries[i];
			struct buf n = BUF_INIT;
			const struct bundle_entry *f;
			if (e->is_slice)
				continue;
			buf_add(&n, "x/", 2);
			buf_add(&n, e->name, e->name_len);
			f = bundle_find(b, n.p, n.len);
			same = f && f->dtype == e->dtype && f->size == e->size && f->crc32c == e->crc32c &&
			       f->nslices == e->nslices;
			buf_release(&n);
		}
		ok(same, "every tensor kept its dtype, size and CRC under the new name");
		ok(all_verify(b), "every copied payload verifies (slices re-keyed too)");
		bundle_free(b);
		b = NULL;
	}

	/* Shared data files and an index rebuilt from the same entries: byte-identical. */
	ok(bundle_writer_open(&w, path("share/s"), 2, BW_MKDIR, &err) == 0, "writer for sharing");
	{
		enum bw_share how = BW_SHARE_COPY;
		int rc = 0;
		for (int i = 0; i < 2 && rc == 0; i++) {
			char *sp = bundle_shard_path(a, i);
			rc = bundle_writer_share(w, i, sp, 1, NULL, 0, &how);
			free(sp);
		}
		for (size_t i = 0; i < a->nentries && rc == 0; i++)
			rc = bundle_writer_add_entry(w, &a->entries[i]);
		ok(rc == 0 && how != BW_SHARE_COPY, "data files shared (reflink or hard link)");
		ok(bundle_writer_write(w, 0, "x", 1) != 0 || how == BW_SHARE_REFLINK,
		   "a hard-linked shard refuses to grow");
		if (how != BW_SHARE_REFLINK) {
			bundle_writer_abort(w);
			ok(bundle_writer_open(&w, path("share/s"), 2, BW_MKDIR, &err) == 0, "again");
			for (int i = 0; i < 2; i++) {
				char *sp = bundle_shard_path(a, i);
				bundle_writer_share(w, i, sp, 1, NULL, 0, &how);
				free(sp);
			}
			for (size_t i = 0; i < a->nentries; i++)
				bundle_writer_add_entry(w, &a->entries[i]);
		}
		ok(bundle_writer_finish(w, &err) == 0, "shared bundle finishes");
	}
	{
		struct buf x = slurp(path("src/a.index")), y = slurp(path("share/s.index"));
		is_mem(y.p, y.len, x.p, x.len, "rebuilt index is byte-identical");
		buf_release(&x);
		buf_release(&y);
	}
	ok(stat(path("share/s.data-00000-of-00002"), &st) == 0, "shared data file in place");

	/* Entries given sorted (bundle_writer_add_sorted), one added the ordinary way: merged by
	 * key into the same index, checked on re-reading (payloads too). */
	ok(sorted_copy(a, path("sorted/s"), 2, 2, BW_VERIFY_DATA, &err) == 0,
	   "sorted entries merged with an added one");
	{
		struct buf x = slurp(path("src/a.index")), y = slurp(path("sorted/s.index"));
		is_mem(y.p, y.len, x.p, x.len, "and the index is byte-identical");
		buf_release(&x);
		buf_release(&y);
	}
	ok(sorted_copy(a, path("sorted/d"), SIZE_MAX, 1, 0, &err) == CK_EUSAGE &&
	   strstr(err.msg, "two tensors named"), "an added entry named as a sorted one fails: %s",
	   err.msg);
	is_int(count_files("sorted"), 3, "and leaves no file (the first one's three stay)");

	/* A copy that fails on the helper thread (its source ends early) fails the finish, with
	 * the copy's message, and leaves no file. */
	ok(bundle_writer_open(&w, path("early/e"), 1, BW_MKDIR, &err) == 0, "writer for a failing copy");
	{
		char *sp = bundle_shard_path(a, 0);
		struct ck_file *f = NULL;
		ok(ck_file_open(sp, &f, &err) == 0, "source opened");
		ok(bundle_writer_copy_later(w, 0, f, 0, f->size + 100, sp) == 0,
		   "the copy is queued: its failure shows later");
		ok(bundle_writer_finish(w, &err) == CK_ECORRUPT && strstr(err.msg, "ends 100 bytes early"),
		   "finish fails with the copy's error: %s", err.msg);
		ck_file_close(f);
		free(sp);
	}
	is_int(count_files("early"), 0, "and leaves no file");

	/* Output exists: refused without force; with force, a 1-shard output replaces the
	 * 2-shard one and its stale data files go. */
	ok(bundle_writer_open(&w, path("share/s"), 1, 0, &err) == CK_EEXIST, "existing output refused");
	ok(copy_all(a, path("share/s"), "", BW_FORCE, &err) == 0, "--force replaces it");
	ok(stat(path("share/s.data-00001-of-00002"), &st) < 0, "stale data file of the old one removed");
	is_int(count_files("share"), 2, "only the new index and data file remain");
	ok(bundle_open(&b, path("share/s"), &err) == 0 && b->num_shards == 1 && all_verify(b),
	   "the replacement reads and verifies");
	bundle_free(b);
	b = NULL;

	/* Failures leave nothing behind. */
	ok(bundle_writer_open(&w, path("fail/f"), 1, BW_MKDIR, &err) == 0, "writer for failures");
	bundle_writer_add(w, "dup", 3, DT_FLOAT, NULL, 0, 0, "abcd", 4);
	bundle_writer_add(w, "dup", 3, DT_FLOAT, NULL, 0, 0, "abcd", 4);
	ok(bundle_writer_finish(w, &err) == CK_EUSAGE, "two tensors with one name fail");
	is_int(count_files("fail"), 0, "and leave no file");

	ok(bundle_writer_open(&w, path("fail/f"), 1, BW_MKDIR, &err) == 0, "writer");
	{
		struct bundle_entry e = a->entries[0];
		uint64_t off;
		bundle_writer_begin(w, 0, &off);
		e.shard = 0;
		e.offset = 0;  /* nothing was written: the entry points past the end */
		bundle_writer_add_entry(w, &e);
	}
	ok(bundle_writer_finish(w, &err) == CK_ECORRUPT, "an entry past the end of its data fails the re-read check");
	is_int(count_files("fail"), 0, "and leaves no file");

	ok(bundle_writer_open(&w, path("fail/f"), 1, BW_MKDIR | BW_VERIFY_DATA, &err) == 0, "writer");
	{
		struct bundle_entry e;
		int64_t four = 4;
		memset(&e, 0, sizeof(e));
		e.name = "bad";
		e.name_len = 3;
		e.dtype = DT_FLOAT;
		e.rank = 1;
		e.dims = &four;
		e.elements = 4;
		e.size = 16;
		e.crc32c = 12345;  /* not the CRC of the bytes */
		bundle_writer_write(w, 0, "0123456789abcdef", 16);
		bundle_writer_add_entry(w, &e);
	}
	ok(bundle_writer_finish(w, &err) == CK_ECORRUPT, "--verify-data catches a wrong CRC");
	is_int(count_files("fail"), 0, "and leaves no file");

	bundle_free(a);
	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return tap_done();
}
