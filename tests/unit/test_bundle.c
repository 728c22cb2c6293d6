/* Bundle writer -> reader round trips, the string checksum rule, partitioned entries, and the
 * errors a damaged checkpoint must produce. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crc32c.h"
#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "format/slicekey.h"
#include "format/table.h"
#include "tap.h"

static char dir[] = "/tmp/ckpt-test-bundle.XXXXXX";
static char prefix[256];

static void poke(const char *path, long off, uint8_t x)
{
	int fd = open(path, O_RDWR);
	uint8_t c;
	if (pread(fd, &c, 1, off) == 1) {
		c ^= x;
		if (pwrite(fd, &c, 1, off) != 1) {}
	}
	close(fd);
}

static int count_files(void)
{
	char cmd[300];
	FILE *p;
	int n = -1;
	snprintf(cmd, sizeof(cmd), "ls %s | wc -l", dir);
	p = popen(cmd, "r");
	if (fscanf(p, "%d", &n) != 1) {}
	pclose(p);
	return n;
}

int main(void)
{
	struct bundle_writer *w;
	struct bundle *b;
	struct ck_err err;
	const struct bundle_entry *e;
	float v[12];
	int64_t d34[2] = { 3, 4 }, half[2] = { 1, 4 }, d2[1] = { 2 };
	struct buf key = BUF_INIT, data = BUF_INIT;
	char path[300];

	if (!mkdtemp(dir))
		return 1;
	snprintf(prefix, sizeof(prefix), "%s/model", dir);
	for (int i = 0; i < 12; i++)
		v[i] = (float)i * 0.5f;

	ok(bundle_writer_open(&w, prefix, 2, 0, &err) == 0, "writer opens");
	bundle_writer_add(w, "w", 1, DT_FLOAT, d34, 2, 0, v, sizeof(v));
	bundle_writer_add(w, "step", 4, DT_INT64, NULL, 0, 1, "\x07\0\0\0\0\0\0\0", 8);
	{
		const uint8_t *s[2] = { (const uint8_t *)"ab", (const uint8_t *)"" };
		size_t l[2] = { 2, 0 };
		bundle_writer_add_strings(w, "s", 1, d2, 1, 1, s, l, 2);
	}
	{
		int64_t sl[8] = { 0, 1, 0, -1, 1, 2, 0, -1 };
		bundle_writer_add_partitioned(w, "p", 1, DT_FLOAT, d34, 2, 2, sl);
		slice_key(&key, "p", 1, 2, sl);
		bundle_writer_add(w, key.p, key.len, DT_FLOAT, half, 2, 0, v, 16);
		buf_reset(&key);
		slice_key(&key, "p", 1, 2, sl + 4);
		int64_t two[2] = { 2, 4 };
		bundle_writer_add(w, key.p, key.len, DT_FLOAT, two, 2, 1, v + 4, 32);
	}
	ok(bundle_writer_finish(w, &err) == 0, "writer finishes: %s", err.msg);
	is_int(count_files(), 3, "index and two shards, no temporary files left");

	ok(bundle_open(&b, prefix, &err) == 0, "reader opens what the writer wrote");
	is_int(b->num_shards, 2, "two shards");
	is_int(b->ntensors, 4, "four tensors (slice entries hidden)");
	is_int(b->nentries, 6, "six entries in all");
	e = bundle_find(b, "w", 1);
	ok(e && e->dtype == DT_FLOAT && e->rank == 2 && e->dims[0] == 3 && e->dims[1] == 4 &&
	   e->elements == 12 && e->size == 48, "w: float32 [3,4], 48 bytes");
	ok(e && bundle_read(b, e, &data, &err) == 0 && data.len == 48 && !memcmp(data.p, v, 48),
	   "w's payload reads back and verifies");
	e = bundle_find(b, "s", 1);
	ok(e && bundle_verify(b, e, &err) == 0, "string tensor verifies (length checksum rule)");
	ok(e && bundle_read(b, e, &data, &err) == 0 && data.len == 2 + 4 + 2 && data.p[0] == 2 &&
	   data.p[1] == 0, "string payload: varint lengths, checksum, bytes");
	e = bundle_find(b, "p", 1);
	ok(e && e->nslices == 2 && e->slices_bytes == 48 && e->slices[1] == 1 && e->slices[3] == -1,
	   "partitioned entry: 2 slices, full columns, 48 bytes stored");
	ok(!bundle_find(b, "x", 1) && !bundle_find(b, "", 0), "absent names are not found");
	bundle_free(b);

	/* Refuse to replace, then replace with BW_FORCE. */
	ok(bundle_writer_open(&w, prefix, 1, 0, &err) == CK_EEXIST && strstr(err.msg, "--force"),
	   "an existing output is not replaced without force");
	ok(bundle_writer_open(&w, prefix, 1, BW_FORCE, &err) == 0, "force opens");
	bundle_writer_add(w, "a", 1, DT_FLOAT, NULL, 0, 0, v, 4);
	bundle_writer_add(w, "a", 1, DT_FLOAT, NULL, 0, 0, v, 4);
	ok(bundle_writer_finish(w, &err) == CK_EUSAGE && strstr(err.msg, "two tensors named"),
	   "duplicate names are refused");
	ok(bundle_open(&b, prefix, &err) == 0 && b->ntensors == 4,
	   "a failed write leaves the previous checkpoint untouched");
	bundle_free(b);
	ok(bundle_writer_open(&w, prefix, 1, BW_FORCE, &err) == 0, "abort test opens");
	bundle_writer_add(w, "a", 1, DT_FLOAT, NULL, 0, 0, v, 4);
	bundle_writer_abort(w);
	is_int(count_files(), 3, "abort removes its temporary files");

	/* Damage: a payload byte, a truncated shard, a missing shard. */
	snprintf(path, sizeof(path), "%s.data-00000-of-00002", prefix);
	ok(bundle_open(&b, prefix, &err) == 0, "reopen");
	poke(path, 5, 0x01);
	e = bundle_find(b, "w", 1);
	ok(bundle_verify(b, e, &err) == CK_ECORRUPT && strstr(err.msg, "checksum mismatch") &&
	   strstr(err.msg, "data-00000-of-00002") && strstr(err.msg, "\"w\""),
	   "a flipped payload bit is a checksum mismatch naming file and tensor");
	bundle_free(b);
	poke(path, 5, 0x01);
	snprintf(path, sizeof(path), "%s.data-00001-of-00002", prefix);
	ok(bundle_open(&b, prefix, &err) == 0, "reopen");
	poke(path, 8 + 2 + 3, 0x01);  /* inside the string tensor's length checksum */
	e = bundle_find(b, "s", 1);
	ok(bundle_verify(b, e, &err) == CK_ECORRUPT && strstr(err.msg, "length checksum"),
	   "a damaged string length checksum is detected: %s", err.msg);
	bundle_free(b);
	if (truncate(path, 4) != 0) {}
	ok(bundle_open(&b, prefix, &err) == 0, "reopen");
	e = bundle_find(b, "step", 4);
	ok(bundle_verify(b, e, &err) == CK_ECORRUPT && strstr(err.msg, "extends past the end"),
	   "a truncated shard is reported: %s", err.msg);
	bundle_free(b);
	unlink(path);
	ok(bundle_open(&b, prefix, &err) == 0, "the index opens without its data");
	e = bundle_find(b, "step", 4);
	is_int(bundle_verify(b, e, &err), CK_ENOTFOUND, "a missing shard is not found");
	ok(strstr(err.msg, "shard 2 of 2 is missing") != NULL, "a missing shard is named: %s", err.msg);
	bundle_free(b);

	/* An index that is not a bundle. */
	{
		struct table_builder tb;
		struct buf out = BUF_INIT;
		FILE *f;
		snprintf(path, sizeof(path), "%s/v1.index", dir);
		table_builder_init(&tb, &out);
		table_builder_add(&tb, "", 0, "\x0a\x00", 2);
		table_builder_finish(&tb, NULL);
		table_builder_release(&tb);
		f = fopen(path, "wb");
		fwrite(out.p, 1, out.len, f);
		fclose(f);
		snprintf(path, sizeof(path), "%s/v1", dir);
		ok(bundle_open(&b, path, &err) == CK_EKIND && strstr(err.msg, "V1"),
		   "a V1 table is recognised: %s", err.msg);
		buf_release(&out);
	}
	ok(bundle_open(&b, "/nonexistent/x", &err) == CK_ENOTFOUND && strstr(err.msg, "x.index"),
	   "a missing index names the file");

	/* The one home of the file names, of disk order and of the object-graph key. */
	{
		char *i = bundle_index_path("d/m"), *d = bundle_data_path("d/m", 3, 12);
		ok(!strcmp(i, "d/m.index") && !strcmp(d, "d/m.data-00003-of-00012"),
		   "bundle_index_path, bundle_data_path");
		free(i);
		free(d);
	}
	{
		struct bundle_entry x = { .shard = 0, .offset = 900 }, y = { .shard = 1, .offset = 0 },
				    z = { .shard = 0, .offset = 0, .nslices = 2 },
				    z2 = { .shard = 0, .offset = 5, .nslices = 1 };
		ok(bundle_disk_cmp(&x, &y) < 0 && bundle_disk_cmp(&y, &x) > 0 &&
		   bundle_disk_cmp(&x, &x) == 0 && bundle_disk_cmp(&y, &z) < 0 &&
		   bundle_disk_cmp(&z, &x) > 0 && bundle_disk_cmp(&z, &z2) == 0,
		   "bundle_disk_cmp: shard, offset, partitioned last");
	}
	ok(is_graph_key(OBJECT_GRAPH_KEY, strlen(OBJECT_GRAPH_KEY)) &&
	   !is_graph_key(OBJECT_GRAPH_KEY, strlen(OBJECT_GRAPH_KEY) - 1) && !is_graph_key("", 0),
	   "is_graph_key");
	ok(dtype_is_numeric(DT_FLOAT) && dtype_is_numeric(DT_BOOL) && dtype_is_numeric(DT_COMPLEX64) &&
	   !dtype_is_numeric(DT_STRING) && !dtype_is_numeric(DT_VARIANT) &&
	   !dtype_is_numeric(DT_RESOURCE) && !dtype_is_numeric(999), "dtype_is_numeric");

	buf_release(&key);
	buf_release(&data);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd)) {}
	}
	return tap_done();
}
