/* V1 reader: generated tables of every dtype and encoding, multi-slice and sharded tensors,
 * broken files, and the real V1 fixtures against EXPECTED.jsonl. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#include "base/crc32c.h"
#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/path.h"
#include "tensor/convert.h"
#include "../tools/v1write.h"

static char dir[64];

static struct bundle *open_ckpt(const char *arg, struct ck_err *err)
{
	struct ckpt_path where;
	struct bundle *b = NULL;

	if (ckpt_open(&b, arg, &where, err) < 0)
		b = NULL;
	ckpt_path_release(&where);
	return b;
}

static struct bundle *open_gen(const char *name)
{
	struct ck_err err = { 0 };
	char *p = xasprintf("%s/%s", dir, name);
	struct bundle *b = open_ckpt(p, &err);

	if (!b)
		printf("# %s: %s\n", p, err.msg);
	free(p);
	return b;
}

/* The payload of name, read and verified; len in *n. NULL on failure. */
static uint8_t *payload(struct bundle *b, const char *name, size_t *n)
{
	const struct bundle_entry *e = bundle_find(b, name, strlen(name));
	struct buf out = BUF_INIT;
	struct ck_err err = { 0 };

	if (!e || bundle_read(b, e, &out, &err) < 0 || bundle_verify(b, e, &err) < 0) {
		printf("# %s: %s\n", name, e ? err.msg : "absent");
		buf_release(&out);
		return NULL;
	}
	*n = out.len;
	return out.p ? out.p : xmalloc(1);
}

static void check_bytes(struct bundle *b, const char *name, const void *want, size_t wn)
{
	size_t n = 0;
	uint8_t *p = payload(b, name, &n);
	is_mem(p, n, want, wn, "%s: bytes", name);
	free(p);
}

static void check_shape(struct bundle *b, const char *name, int dtype, int rank, int64_t d0, int64_t d1)
{
	const struct bundle_entry *e = bundle_find(b, name, strlen(name));
	ok(e && e->dtype == dtype && e->rank == rank && (rank < 1 || e->dims[0] == d0) &&
	   (rank < 2 || e->dims[1] == d1), "%s: dtype and shape", name);
}

static void test_dtypes(void)
{
	struct bundle *b = open_gen("v1/dtypes");
	static const uint8_t f32[] = { 0, 0, 0x20, 0xc0, 0, 0, 0xc0, 0xbf, 0, 0, 0, 0xbf,
				       0, 0, 0, 0x3f, 0, 0, 0xc0, 0x3f, 0, 0, 0x20, 0x40 };
	static const uint8_t i32[] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f };
	static const uint8_t i16[] = { 0, 0x80, 0xff, 0x7f }, i8[] = { 0x80, 0x7f },
			     u8[] = { 0, 128, 255 }, u16[] = { 0, 0, 0xff, 0xff },
			     bools[] = { 1, 0, 1 }, half[] = { 0, 0x3c, 0, 0xc0, 0, 0x7c },
			     bf16[] = { 0x80, 0x3f, 0x40, 0xc0 };
	static const uint8_t i64[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xdf, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
	static const uint8_t step[] = { 7, 0, 0, 0, 0, 0, 0, 0 };
	float c64[4] = { 1, 2, 3, 4 };
	double f64[3] = { 0.25, -1e300, 3.0 }, c128[2] = { -1, 0.5 };

	ok(b != NULL, "dtypes opens");
	if (!b)
		return;
	is_int(b->format, 1, "format 1");
	is_int(b->nentries, 19, "19 tensors");
	check_shape(b, "float", DT_FLOAT, 2, 2, 3);
	check_bytes(b, "float", f32, sizeof(f32));
	check_bytes(b, "float_unpacked", f32, 16);
	check_bytes(b, "float_content", f32, 16);
	check_bytes(b, "double", f64, sizeof(f64));
	check_bytes(b, "int32", i32, sizeof(i32));
	check_bytes(b, "int32_unpacked", i32, sizeof(i32));
	check_bytes(b, "int16", i16, sizeof(i16));
	check_bytes(b, "int8", i8, sizeof(i8));
	check_bytes(b, "uint8", u8, sizeof(u8));
	check_bytes(b, "uint16", u16, sizeof(u16));
	check_bytes(b, "int64", i64, sizeof(i64));
	check_bytes(b, "bool", bools, sizeof(bools));
	check_bytes(b, "complex64", c64, sizeof(c64));
	check_bytes(b, "complex128", c128, sizeof(c128));
	check_bytes(b, "half", half, sizeof(half));
	check_bytes(b, "bfloat16", bf16, sizeof(bf16));
	check_bytes(b, "empty", "", 0);
	check_shape(b, "empty", DT_FLOAT, 2, 0, 3);
	check_bytes(b, "step", step, sizeof(step));
	check_shape(b, "step", DT_INT64, 0, 0, 0);
	ok(half_to_double(0x7c00) == INFINITY, "half inf decodes");

	/* Strings: the same bytes and CRC as our V2 writer gives the same elements. */
	{
		const uint8_t *strs[3] = { (const uint8_t *)"hello", (const uint8_t *)"",
					   (const uint8_t *)"\xff\xfe not utf-8" };
		size_t lens[3] = { 5, 0, 12 };
		int64_t d = 3;
		struct bundle_writer *w;
		struct bundle *v2 = NULL;
		struct ck_err err = { 0 };
		char *prefix = xasprintf("%s/strings_v2", dir);
		size_t n1 = 0, n2 = 0;
		uint8_t *p1 = payload(b, "string", &n1), *p2 = NULL;
		const struct bundle_entry *e1 = bundle_find(b, "string", 6), *e2 = NULL;

		if (bundle_writer_open(&w, prefix, 1, BW_FORCE, &err) == 0 &&
		    bundle_writer_add_strings(w, "string", 6, &d, 1, 0, strs, lens, 3) == 0 &&
		    bundle_writer_finish(w, &err) == 0 && bundle_open(&v2, prefix, &err) == 0) {
			e2 = bundle_find(v2, "string", 6);
			p2 = payload(v2, "string", &n2);
		}
		ok(e1 && e2 && e1->crc32c == e2->crc32c && e1->size == e2->size,
		   "string: size and CRC equal the V2 writer's");
		is_mem(p1, n1, p2, n2, "string: V2 layout");
		free(p1);
		free(p2);
		free(prefix);
		bundle_free(v2);
	}
	bundle_free(b);
}

static void test_sliced(void)
{
	struct bundle *b = open_gen("v1/sliced");
	float w[18];
	int32_t grid[16];
	size_t n = 0;
	uint8_t *p;

	ok(b != NULL, "sliced opens");
	if (!b)
		return;
	for (int i = 0; i < 18; i++)
		w[i] = (float)i;
	for (int i = 0; i < 16; i++)
		grid[i] = 10 * (i / 4) + i % 4;
	check_shape(b, "w", DT_FLOAT, 2, 6, 3);
	check_bytes(b, "w", w, sizeof(w));
	check_bytes(b, "grid", grid, sizeof(grid));
	p = payload(b, "names", &n);
	ok(p && n >= 4 && !memcmp(p, "\x04\x03\x03\x05", 4), "names: lengths in element order");
	ok(p && n == 4 + 4 + 15 && !memcmp(p + 8, "zeroonetwothree", 15), "names: assembled");
	free(p);
	/* Reading one tensor, then another, then the first again. */
	check_bytes(b, "w", w, sizeof(w));
	bundle_free(b);
}

static void test_sharded(void)
{
	static const char *const ways[] = { "v1/sharded", "v1/sharded/model",
					    "v1/sharded/model-00001-of-00002",
					    "v1/sharded/model-\?\?\?\?\?-of-00002",
					    "v1/sharded/checkpoint" };
	float split[8];

	for (int i = 0; i < 8; i++)
		split[i] = (float)i;
	for (size_t k = 0; k < sizeof(ways) / sizeof(ways[0]); k++) {
		struct bundle *b = open_gen(ways[k]);
		ok(b && b->num_shards == 2 && b->nentries == 3, "%s: two shards, three tensors", ways[k]);
		if (!b)
			continue;
		ok(strstr(b->prefix, "model-\?\?\?\?\?-of-00002") != NULL, "%s: shown as the pattern",
		   ways[k]);
		check_bytes(b, "split", split, sizeof(split));
		is_int(bundle_find(b, "b", 1)->shard, 1, "%s: b is in the second file", ways[k]);
		bundle_free(b);
	}
	{
		/* A missing shard is an error that says which. */
		char *p = xasprintf("%s/v1/sharded/model-00001-of-00002", dir);
		char *q = xasprintf("%s/v1/sharded/moved", dir);
		struct ck_err err = { 0 };
		struct bundle *b;
		rename(p, q);
		b = open_gen("v1/sharded/model-00000-of-00002");
		ok(!b, "missing shard: open fails");
		char *stem = xasprintf("%s/v1/sharded/model", dir);
		b = open_ckpt(stem, &err);
		free(stem);
		ok(!b && strstr(err.msg, "shard 2 of 2 is missing"), "missing shard named: %s", err.msg);
		rename(q, p);
		free(p);
		free(q);
	}
}

static void expect_read_error(const char *file, const char *name, const char *what)
{
	struct bundle *b = open_gen(file);
	const struct bundle_entry *e = b ? bundle_find(b, name, strlen(name)) : NULL;
	struct buf out = BUF_INIT;
	struct ck_err err = { 0 };
	int rc = e ? bundle_read(b, e, &out, &err) : 0;

	ok(rc == CK_ECORRUPT && strstr(err.msg, what) && strstr(err.msg, name),
	   "%s: \"%s\" fails to read: %s", file, name, err.msg);
	rc = e ? bundle_verify(b, e, &err) : 0;
	is_int(rc, CK_ECORRUPT, "%s: verify fails too", file);
	buf_release(&out);
	bundle_free(b);
}

static void test_bad(void)
{
	struct bundle *b = open_gen("v1/bad/missing");
	size_t n;

	ok(b && b->nentries == 2, "a broken tensor is still listed");
	if (b) {
		uint8_t *p = payload(b, "ok", &n);
		ok(p && n == 16, "its good neighbour reads");
		free(p);
		bundle_free(b);
	}
	expect_read_error("v1/bad/missing", "lost", "stored slice is missing");
	expect_read_error("v1/bad/count", "short", "holds 3 float_val values, its shape needs 4");
	expect_read_error("v1/bad/gap", "half", "hold 2 of its 4 elements");
}

/* ---- the real files ---- */

static const char *fixtures(void)
{
	const char *f = getenv("CKPT_FIXTURES");
	return f ? f : "../shared/fixtures/tf";
}

static void stats(struct bundle *b, const struct bundle_entry *e, double *mn, double *mx,
		  double *mean, int *okp)
{
	struct buf out = BUF_INIT;
	struct ck_err err = { 0 };
	double *v;
	double sum = 0;

	*okp = 0;
	if (bundle_read(b, e, &out, &err) < 0 || bundle_verify(b, e, &err) < 0) {
		printf("# %s\n", err.msg);
		buf_release(&out);
		return;
	}
	v = xcalloc(e->elements + 1, sizeof(double));
	if (elements_to_double(e->dtype, out.p, (size_t)e->elements, v) == 0) {
		*mn = INFINITY;
		*mx = -INFINITY;
		for (uint64_t i = 0; i < e->elements; i++) {
			*mn = fmin(*mn, v[i]);
			*mx = fmax(*mx, v[i]);
			sum += v[i];
		}
		*mean = sum / (double)e->elements;
		*okp = 1;
	}
	free(v);
	buf_release(&out);
}

static int close_to(double a, double b, double tol)
{
	return fabs(a - b) <= tol * fmax(1.0, fmax(fabs(a), fabs(b)));
}

static void test_fixtures(void)
{
	char *path = xasprintf("%s/EXPECTED.jsonl", fixtures());
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int seen = 0;

	if (!f) {
		printf("# no fixtures at %s: skipped\n", fixtures());
		free(path);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		cJSON *j = cJSON_Parse(line), *t, *ts;
		const char *pre;
		struct bundle *b;
		struct ck_err err = { 0 };
		char *full;
		size_t i = 0;
		int good = 1;

		if (!j || strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(j, "format")), "V1")) {
			cJSON_Delete(j);
			continue;
		}
		seen++;
		pre = cJSON_GetStringValue(cJSON_GetObjectItem(j, "prefix"));
		full = xasprintf("%s/%s", fixtures(), pre);
		b = open_ckpt(full, &err);
		ok(b && b->format == 1, "%s opens as V1 %s", pre, b ? "" : err.msg);
		ts = cJSON_GetObjectItem(j, "tensors");
		if (b)
			is_int(b->nentries, cJSON_GetArraySize(ts), "%s: tensor count", pre);
		cJSON_ArrayForEach(t, ts) {
			const char *key = cJSON_GetStringValue(cJSON_GetObjectItem(t, "key"));
			const struct bundle_entry *e = b ? bundle_find(b, key, strlen(key)) : NULL;
			cJSON *shape = cJSON_GetObjectItem(t, "shape"), *d;
			double mn = 0, mx = 0, mean = 0;
			int k = 0, sok;
			if (!e || strcmp(dtype_name(e->dtype),
					 cJSON_GetStringValue(cJSON_GetObjectItem(t, "dtype"))) ||
			    e->rank != cJSON_GetArraySize(shape)) {
				printf("# %s: \"%s\" differs\n", pre, key);
				good = 0;
				continue;
			}
			cJSON_ArrayForEach(d, shape)
				if (e->dims[k++] != (int64_t)d->valuedouble)
					good = 0;
			stats(b, e, &mn, &mx, &mean, &sok);
			if (!sok ||
			    !close_to(mn, cJSON_GetObjectItem(t, "min")->valuedouble, 1e-8) ||
			    !close_to(mx, cJSON_GetObjectItem(t, "max")->valuedouble, 1e-8) ||
			    !close_to(mean, cJSON_GetObjectItem(t, "mean")->valuedouble, 1e-7)) {
				printf("# %s: \"%s\": min %.9g max %.9g mean %.9g\n", pre, key, mn, mx, mean);
				good = 0;
			}
			i++;
		}
		ok(b && good && i == b->nentries, "%s: names, dtypes, shapes and values as expected", pre);
		bundle_free(b);
		free(full);
		cJSON_Delete(j);
	}
	ok(seen >= 8, "%d V1 checkpoints in EXPECTED.jsonl", seen);
	free(line);
	fclose(f);
	free(path);
}

/* A flipped byte in a real V1 file's data block: the block checksum catches it. */
static void test_corrupt_fixture(void)
{
	char *src = xasprintf("%s/jonholifield+tensorflow_mechanics_101/data/checkpoint-999", fixtures());
	char *dst = xasprintf("%s/corrupt-v1", dir);
	struct buf data = BUF_INIT;
	FILE *f = fopen(src, "rb");
	struct ck_err err = { 0 };
	struct bundle *b;
	int c, failed = 0;

	if (!f) {
		printf("# no fixture %s: skipped\n", src);
		free(src);
		free(dst);
		return;
	}
	while ((c = getc(f)) != EOF)
		buf_addc(&data, (uint8_t)c);
	fclose(f);
	data.p[100000] ^= 0x40;  /* inside hidden1/weights */
	f = fopen(dst, "wb");
	fwrite(data.p, 1, data.len, f);
	fclose(f);
	b = open_ckpt(dst, &err);
	if (!b) {
		failed = 1;
	} else {
		const struct bundle_entry *e = bundle_find(b, "hidden1/weights", 15);
		failed = e && bundle_verify(b, e, &err) == CK_ECORRUPT;
	}
	ok(failed && strstr(err.msg, "corrupt-v1"), "flipped byte detected: %s", err.msg);
	bundle_free(b);
	buf_release(&data);
	free(src);
	free(dst);
}

int main(void)
{
	char *cmd;

	snprintf(dir, sizeof(dir), "%s", "/tmp/ckpt-test-v1.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	cmd = xasprintf("%s/v1", dir);
	make_v1_sets(cmd);
	free(cmd);
	test_dtypes();
	test_sliced();
	test_sharded();
	test_bad();
	test_fixtures();
	test_corrupt_fixture();
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	free(cmd);
	return tap_done();
}
