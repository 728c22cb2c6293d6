/* mkckpt: writes deterministic checkpoints with ckpt's own writer, for the README's sample,
 * the test suite and the benchmarks. Nothing here depends on TensorFlow.
 *
 *   mkckpt sample DIR     a small dense model at two steps (+ Adam slots, state file)
 *   mkckpt all DIR        every test set below DIR (sample/, dtypes/, partitioned/, ...)
 *   mkckpt SET DIR        one of: sample dtypes partitioned many names twoshards v1
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bundle_writer.h"
#include "dtype.h"
#include "slicekey.h"
#include "v1write.h"  /* the v1/ set: legacy V1 tables */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic across machines */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static float rnd_normal(void)
{
	double u = ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0;
	double v = ((double)(rnd() >> 11) + 0.5) / 9007199254740992.0;
	return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

static void die(const struct ck_err *err)
{
	fprintf(stderr, "mkckpt: %s\n", err->msg);
	exit(2);
}

static struct bundle_writer *open_w(const char *prefix, int shards)
{
	struct bundle_writer *w;
	struct ck_err err;

	if (bundle_writer_open(&w, prefix, shards, BW_FORCE | BW_MKDIR, &err) < 0)
		die(&err);
	return w;
}

static void finish(struct bundle_writer *w)
{
	struct ck_err err;
	if (bundle_writer_finish(w, &err) < 0)
		die(&err);
}

static void add_f32(struct bundle_writer *w, const char *name, const int64_t *dims, int rank,
		    float scale, int shard)
{
	uint64_t n = 1;
	float *v;

	for (int i = 0; i < rank; i++)
		n *= (uint64_t)dims[i];
	v = malloc(n * sizeof(float) + 1);
	for (uint64_t i = 0; i < n; i++)
		v[i] = scale == 0 ? 0.0f : rnd_normal() * scale;
	bundle_writer_add(w, name, strlen(name), DT_FLOAT, dims, rank, shard, v, n * sizeof(float));
	free(v);
}

static void add_scalar(struct bundle_writer *w, const char *name, int dtype, const void *v, size_t n)
{
	bundle_writer_add(w, name, strlen(name), dtype, NULL, 0, 0, v, n);
}

static void write_state(const char *dir, const char *latest, const char **all, int nall)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/checkpoint", dir);
	f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(2);
	}
	fprintf(f, "model_checkpoint_path: \"%s\"\n", latest);
	for (int i = 0; i < nall; i++)
		fprintf(f, "all_model_checkpoint_paths: \"%s\"\n", all[i]);
	fclose(f);
}

/* A two-layer dense classifier with Adam slots, at global step `step`. */
static void sample_at(const char *dir, int step, uint64_t seed)
{
	static const struct { const char *name; int64_t dims[2]; int rank; float scale; } vars[] = {
		{ "dense/kernel", { 784, 128 }, 2, 0.05f },
		{ "dense/bias", { 128 }, 1, 0.01f },
		{ "dense_1/kernel", { 128, 10 }, 2, 0.1f },
		{ "dense_1/bias", { 10 }, 1, 0.01f },
	};
	char prefix[4096], name[256];
	struct bundle_writer *w;
	int64_t gs = step;
	float b1 = powf(0.9f, (float)step), b2 = powf(0.999f, (float)step);

	snprintf(prefix, sizeof(prefix), "%s/model.ckpt-%d", dir, step);
	w = open_w(prefix, 1);
	add_scalar(w, "global_step", DT_INT64, &gs, 8);
	add_scalar(w, "beta1_power", DT_FLOAT, &b1, 4);
	add_scalar(w, "beta2_power", DT_FLOAT, &b2, 4);
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		rng_state = seed + i;  /* each variable drifts from its own stream */
		add_f32(w, vars[i].name, vars[i].dims, vars[i].rank, vars[i].scale, 0);
		snprintf(name, sizeof(name), "%s/Adam", vars[i].name);
		add_f32(w, name, vars[i].dims, vars[i].rank, vars[i].scale / 100, 0);
		snprintf(name, sizeof(name), "%s/Adam_1", vars[i].name);
		add_f32(w, name, vars[i].dims, vars[i].rank, vars[i].scale / 1000, 0);
	}
	finish(w);
}

static void make_sample(const char *dir)
{
	const char *all[] = { "model.ckpt-500", "model.ckpt-1000" };

	sample_at(dir, 500, 0x5eed0500);
	sample_at(dir, 1000, 0x5eed1000);
	write_state(dir, "model.ckpt-1000", all, 2);
}

/* One tensor of every dtype, small enough to print whole, plus edge cases. */
static void make_dtypes(const char *dir)
{
	char prefix[4096];
	struct bundle_writer *w;
	int64_t d4[1] = { 4 }, d23[2] = { 2, 3 }, d0[2] = { 0, 3 }, d3[1] = { 3 };
	uint8_t bytes[64];

	snprintf(prefix, sizeof(prefix), "%s/ckpt", dir);
	w = open_w(prefix, 1);
	{
		float v[6] = { 0.0f, -1.5f, 3.25f, NAN, INFINITY, -INFINITY };
		bundle_writer_add(w, "float32", 7, DT_FLOAT, d23, 2, 0, v, sizeof(v));
	}
	{
		double v[4] = { 1e-300, -2.5, 1e300, 0.1 };
		bundle_writer_add(w, "float64", 7, DT_DOUBLE, d4, 1, 0, v, sizeof(v));
	}
	{
		uint16_t h[4] = { 0x3c00, 0xc000, 0x7c00, 0x0001 };  /* 1, -2, inf, min subnormal */
		bundle_writer_add(w, "float16", 7, DT_HALF, d4, 1, 0, h, sizeof(h));
		uint16_t bf[4] = { 0x3f80, 0xc040, 0x7fc0, 0x0000 };  /* 1, -3, nan, 0 */
		bundle_writer_add(w, "bfloat16", 8, DT_BFLOAT16, d4, 1, 0, bf, sizeof(bf));
	}
	{
		uint8_t e5[4] = { 0x3c, 0xc0, 0x7c, 0x01 }, e4[4] = { 0x38, 0xc0, 0x7f, 0x01 };
		bundle_writer_add(w, "float8_e5m2", 11, DT_FLOAT8_E5M2, d4, 1, 0, e5, 4);
		bundle_writer_add(w, "float8_e4m3fn", 13, DT_FLOAT8_E4M3FN, d4, 1, 0, e4, 4);
	}
	{
		int8_t i8[4] = { -128, -1, 0, 127 };
		int16_t i16[4] = { -32768, -1, 0, 32767 };
		int32_t i32[4] = { INT32_MIN, -1, 0, INT32_MAX };
		int64_t i64[4] = { INT64_MIN, -1, 0, INT64_MAX };
		uint8_t u8[4] = { 0, 1, 128, 255 };
		uint16_t u16[4] = { 0, 1, 32768, 65535 };
		uint32_t u32[4] = { 0, 1, 2147483648u, 4294967295u };
		uint64_t u64[4] = { 0, 1, 9223372036854775808ull, 18446744073709551615ull };
		bundle_writer_add(w, "int8", 4, DT_INT8, d4, 1, 0, i8, sizeof(i8));
		bundle_writer_add(w, "int16", 5, DT_INT16, d4, 1, 0, i16, sizeof(i16));
		bundle_writer_add(w, "int32", 5, DT_INT32, d4, 1, 0, i32, sizeof(i32));
		bundle_writer_add(w, "int64", 5, DT_INT64, d4, 1, 0, i64, sizeof(i64));
		bundle_writer_add(w, "uint8", 5, DT_UINT8, d4, 1, 0, u8, sizeof(u8));
		bundle_writer_add(w, "uint16", 6, DT_UINT16, d4, 1, 0, u16, sizeof(u16));
		bundle_writer_add(w, "uint32", 6, DT_UINT32, d4, 1, 0, u32, sizeof(u32));
		bundle_writer_add(w, "uint64", 6, DT_UINT64, d4, 1, 0, u64, sizeof(u64));
		bundle_writer_add(w, "qint8", 5, DT_QINT8, d4, 1, 0, i8, sizeof(i8));
		bundle_writer_add(w, "quint8", 6, DT_QUINT8, d4, 1, 0, u8, sizeof(u8));
		bundle_writer_add(w, "qint32", 6, DT_QINT32, d4, 1, 0, i32, sizeof(i32));
		int8_t i4[4] = { -8, -1, 0, 7 };
		uint8_t u4[4] = { 0, 1, 8, 15 };
		bundle_writer_add(w, "int4", 4, DT_INT4, d4, 1, 0, i4, 4);
		bundle_writer_add(w, "uint4", 5, DT_UINT4, d4, 1, 0, u4, 4);
	}
	{
		uint8_t b[4] = { 1, 0, 0, 1 };
		bundle_writer_add(w, "bool", 4, DT_BOOL, d4, 1, 0, b, 4);
		float c64[6] = { 1, 2, -0.5f, 0, 0, -1 };
		bundle_writer_add(w, "complex64", 9, DT_COMPLEX64, d3, 1, 0, c64, sizeof(c64));
		double c128[2] = { 3, -4 };
		bundle_writer_add(w, "complex128", 10, DT_COMPLEX128, NULL, 0, 0, c128, sizeof(c128));
	}
	{
		const uint8_t *s[3] = { (const uint8_t *)"hello", (const uint8_t *)"caf\xc3\xa9 \xe2\x9c\x93",
					(const uint8_t *)"\x00\xff\n\\" };
		size_t l[3] = { 5, 10, 4 };
		bundle_writer_add_strings(w, "string", 6, d3, 1, 0, s, l, 3);
		const uint8_t *one[1] = { (const uint8_t *)"scalar string" };
		size_t ol[1] = { 13 };
		bundle_writer_add_strings(w, "string_scalar", 13, NULL, 0, 0, one, ol, 1);
		bundle_writer_add_strings(w, "string_empty", 12, d0, 2, 0, NULL, NULL, 0);
	}
	memset(bytes, 0, sizeof(bytes));
	bundle_writer_add(w, "empty_float32", 13, DT_FLOAT, d0, 2, 0, bytes, 0);
	finish(w);
}

/* A [6,3] variable stored as two row slices in two shards, as a partitioned saver would. */
static void make_partitioned(const char *dir)
{
	char prefix[4096];
	struct bundle_writer *w;
	int64_t full[2] = { 6, 3 }, half[2] = { 3, 3 }, col[1] = { 5 };
	int64_t slices[8] = { 0, 3, 0, -1, 3, 3, 0, -1 };
	float v[18];
	struct buf key = BUF_INIT;

	for (int i = 0; i < 18; i++)
		v[i] = (float)i;
	snprintf(prefix, sizeof(prefix), "%s/ckpt", dir);
	w = open_w(prefix, 2);
	bundle_writer_add_partitioned(w, "emb", 3, DT_FLOAT, full, 2, 2, slices);
	slice_key(&key, "emb", 3, 2, slices);
	bundle_writer_add(w, key.p, key.len, DT_FLOAT, half, 2, 0, v, 9 * sizeof(float));
	buf_reset(&key);
	slice_key(&key, "emb", 3, 2, slices + 4);
	bundle_writer_add(w, key.p, key.len, DT_FLOAT, half, 2, 1, v + 9, 9 * sizeof(float));
	rng_state = 7;
	add_f32(w, "dense/bias", col, 1, 1.0f, 1);
	buf_release(&key);
	finish(w);
}

/* Many small tensors: enc/layer_NNNN/{kernel,bias} ... for listing speed. */
static void make_many(const char *dir, int count)
{
	char prefix[4096], name[128];
	struct bundle_writer *w;
	int64_t k[2] = { 8, 8 }, b[1] = { 8 };

	snprintf(prefix, sizeof(prefix), "%s/ckpt", dir);
	w = open_w(prefix, 1);
	rng_state = 42;
	for (int i = 0; i < count / 2; i++) {
		snprintf(name, sizeof(name), "model/block_%02d/layer_%04d/kernel", i / 100, i);
		add_f32(w, name, k, 2, 0.1f, 0);
		snprintf(name, sizeof(name), "model/block_%02d/layer_%04d/bias", i / 100, i);
		add_f32(w, name, b, 1, 0.1f, 0);
	}
	finish(w);
}

/* Names a careless printer would mangle. */
static void make_names(const char *dir)
{
	static const char *names[] = {
		"plain/name", "with space", "new\nline", "tab\there", "back\\slash",
		"caf\xc3\xa9", "bad\xff\xfeutf8", "esc\x1b[31mred",
	};
	char prefix[4096];
	struct bundle_writer *w;
	float one = 1.0f;

	snprintf(prefix, sizeof(prefix), "%s/ckpt", dir);
	w = open_w(prefix, 1);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		bundle_writer_add(w, names[i], strlen(names[i]), DT_FLOAT, NULL, 0, 0, &one, 4);
	finish(w);
}

/* Variables spread over two data shards. */
static void make_twoshards(const char *dir)
{
	char prefix[4096];
	struct bundle_writer *w;
	int64_t d[2] = { 16, 4 };

	snprintf(prefix, sizeof(prefix), "%s/model", dir);
	w = open_w(prefix, 2);
	rng_state = 99;
	add_f32(w, "a/kernel", d, 2, 1.0f, 0);
	add_f32(w, "b/kernel", d, 2, 1.0f, 1);
	add_f32(w, "c/kernel", d, 2, 1.0f, 1);
	finish(w);
}

/* Two checkpoints, a and b, with one of each kind of difference `ckpt diff` reports. */
static void make_diffpair(const char *dir)
{
	char pa[4096], pb[4096];
	struct bundle_writer *a, *b;
	int64_t d23[2] = { 2, 3 }, d3[1] = { 3 }, d4[1] = { 4 }, d2[1] = { 2 }, d63[2] = { 6, 3 };
	int64_t d33[2] = { 3, 3 }, rows[8] = { 0, 3, 0, -1, 3, 3, 0, -1 };
	float v18[18], w18[18];
	struct buf key = BUF_INIT;

	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	a = open_w(pa, 1);
	b = open_w(pb, 1);
	{
		float x[6] = { 1, 2, 3, 4, 5, 6 }, y[6] = { 1, 2, 3.5f, 4, NAN, 6 };
		bundle_writer_add(a, "changed", 7, DT_FLOAT, d23, 2, 0, x, sizeof(x));
		bundle_writer_add(b, "changed", 7, DT_FLOAT, d23, 2, 0, y, sizeof(y));
		bundle_writer_add(a, "same", 4, DT_FLOAT, d23, 2, 0, x, sizeof(x));
		bundle_writer_add(b, "same", 4, DT_FLOAT, d23, 2, 0, x, sizeof(x));
		bundle_writer_add(a, "enc/w", 5, DT_FLOAT, d3, 1, 0, x, 12);
		bundle_writer_add(b, "encoder/w", 9, DT_FLOAT, d3, 1, 0, x, 12);
		bundle_writer_add(a, "gone", 4, DT_FLOAT, d3, 1, 0, x, 12);
		bundle_writer_add(b, "new", 3, DT_FLOAT, d2, 1, 0, x, 8);
		bundle_writer_add(a, "shape", 5, DT_FLOAT, d3, 1, 0, x, 12);
		bundle_writer_add(b, "shape", 5, DT_FLOAT, d4, 1, 0, x, 16);
		bundle_writer_add(a, "dtype", 5, DT_FLOAT, d2, 1, 0, x, 8);
		bundle_writer_add(b, "dtype", 5, DT_DOUBLE, d2, 1, 0, x, 16);
		float n1[3] = { NAN, INFINITY, 1 }, n2[3] = { 2, INFINITY, -INFINITY };
		bundle_writer_add(a, "nan_same", 8, DT_FLOAT, d3, 1, 0, n1, sizeof(n1));
		bundle_writer_add(b, "nan_same", 8, DT_FLOAT, d3, 1, 0, n1, sizeof(n1));
		float n3[2] = { NAN, 1 }, n4[2] = { NAN, 2 };
		bundle_writer_add(a, "nan_both", 8, DT_FLOAT, d2, 1, 0, n3, sizeof(n3));
		bundle_writer_add(b, "nan_both", 8, DT_FLOAT, d2, 1, 0, n4, sizeof(n4));
		bundle_writer_add(a, "nan_inf", 7, DT_FLOAT, d3, 1, 0, n1, sizeof(n1));
		bundle_writer_add(b, "nan_inf", 7, DT_FLOAT, d3, 1, 0, n2, sizeof(n2));
	}
	{
		double x[2] = { 1.0, 2.0 }, y[2] = { 1.0005, 2.0 };
		bundle_writer_add(a, "tol", 3, DT_DOUBLE, d2, 1, 0, x, sizeof(x));
		bundle_writer_add(b, "tol", 3, DT_DOUBLE, d2, 1, 0, y, sizeof(y));
		int32_t i[4] = { 1, 2, 3, 4 }, j[4] = { 1, 9, 3, 4 };
		bundle_writer_add(a, "step", 4, DT_INT32, d4, 1, 0, i, sizeof(i));
		bundle_writer_add(b, "step", 4, DT_INT32, d4, 1, 0, j, sizeof(j));
	}
	{
		const uint8_t *s1[3] = { (const uint8_t *)"a", (const uint8_t *)"bb", (const uint8_t *)"c" };
		const uint8_t *s2[3] = { (const uint8_t *)"a", (const uint8_t *)"bB", (const uint8_t *)"c" };
		size_t l[3] = { 1, 2, 1 };
		bundle_writer_add_strings(a, "vocab", 5, d3, 1, 0, s1, l, 3);
		bundle_writer_add_strings(b, "vocab", 5, d3, 1, 0, s2, l, 3);
	}
	/* part: two row slices in a, one whole tensor in b; part2: sliced alike in both. */
	for (int i = 0; i < 18; i++)
		v18[i] = w18[i] = (float)i;
	w18[16] = 100;
	bundle_writer_add_partitioned(a, "part", 4, DT_FLOAT, d63, 2, 2, rows);
	bundle_writer_add_partitioned(a, "part2", 5, DT_FLOAT, d63, 2, 2, rows);
	bundle_writer_add_partitioned(b, "part2", 5, DT_FLOAT, d63, 2, 2, rows);
	for (int k = 0; k < 2; k++) {
		buf_reset(&key);
		slice_key(&key, "part", 4, 2, rows + 4 * k);
		bundle_writer_add(a, key.p, key.len, DT_FLOAT, d33, 2, 0, v18 + 9 * k, 36);
		buf_reset(&key);
		slice_key(&key, "part2", 5, 2, rows + 4 * k);
		bundle_writer_add(a, key.p, key.len, DT_FLOAT, d33, 2, 0, v18 + 9 * k, 36);
		bundle_writer_add(b, key.p, key.len, DT_FLOAT, d33, 2, 0, w18 + 9 * k, 36);
	}
	bundle_writer_add(b, "part", 4, DT_FLOAT, d63, 2, 0, w18, sizeof(w18));
	buf_release(&key);
	finish(a);
	finish(b);
}

/* Two epochs of one big model for `ckpt diff` timing: DIR/a and DIR/b, 80 float32 tensors of
 * 1024x1024 (320 MiB each); every tenth tensor of b moved by a tiny step, the rest equal. */
static void make_bench_diff(const char *dir)
{
	char pa[4096], pb[4096], name[64];
	struct bundle_writer *wa, *wb;
	int64_t d[2] = { 1024, 1024 };
	size_t n = 1024 * 1024;
	float *v = malloc(n * sizeof(float));

	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	wa = open_w(pa, 1);
	wb = open_w(pb, 1);
	rng_state = 2024;
	for (int t = 0; t < 80; t++) {
		snprintf(name, sizeof(name), "model/layer_%02d/kernel", t);
		for (size_t i = 0; i < n; i++)
			v[i] = rnd_normal() * 0.05f;
		bundle_writer_add(wa, name, strlen(name), DT_FLOAT, d, 2, 0, v, n * sizeof(float));
		if (t % 10 == 3)
			for (size_t i = 0; i < n; i++)
				v[i] += rnd_normal() * 1e-4f;
		bundle_writer_add(wb, name, strlen(name), DT_FLOAT, d, 2, 0, v, n * sizeof(float));
	}
	free(v);
	finish(wa);
	finish(wb);
}

/* 1 GiB of float32 in 64 tensors of 16 MiB, one shard: the verify / show --stats benchmark. */
static void make_bench_verify(const char *dir)
{
	char prefix[4096], name[128];
	struct bundle_writer *w;
	int64_t d[2] = { 2048, 2048 };
	size_t n = 2048 * 2048;
	float *v = malloc(n * sizeof(float));

	snprintf(prefix, sizeof(prefix), "%s/big", dir);
	w = open_w(prefix, 1);
	rng_state = 77;
	for (int t = 0; t < 64; t++) {
		snprintf(name, sizeof(name), "model/layer_%02d/kernel", t);
		for (size_t i = 0; i < n; i++)  /* uniform in [-1, 1): cheap to make */
			v[i] = (float)((double)(int32_t)(rnd() >> 32) / 2147483648.0);
		bundle_writer_add(w, name, strlen(name), DT_FLOAT, d, 2, 0, v, n * sizeof(float));
	}
	free(v);
	finish(w);
}

/* Three steps of a BERT-base-like encoder cut to 4 layers (~207 MiB each) and their state file:
 * the `ckpt average` memory benchmark. */
static void make_bench_average(const char *dir)
{
	static const struct { const char *name; int64_t d0, d1; } parts[] = {
		{ "query/kernel", 768, 768 }, { "key/kernel", 768, 768 }, { "value/kernel", 768, 768 },
		{ "output/kernel", 768, 768 }, { "intermediate/kernel", 768, 3072 },
		{ "ffn_output/kernel", 3072, 768 }, { "query/bias", 768, 0 }, { "LayerNorm/gamma", 768, 0 },
	};
	const char *all[] = { "model.ckpt-1000", "model.ckpt-2000", "model.ckpt-3000" };
	size_t cap = 30522 * 768;
	float *v = malloc(cap * sizeof(float));

	for (int s = 0; s < 3; s++) {
		char prefix[4096], name[256];
		struct bundle_writer *w;
		int64_t emb[2] = { 30522, 768 }, step = 1000 * (s + 1);
		snprintf(prefix, sizeof(prefix), "%s/%s", dir, all[s]);
		w = open_w(prefix, 1);
		rng_state = 99 + (uint64_t)s;
		add_scalar(w, "global_step", DT_INT64, &step, 8);
		for (size_t i = 0; i < cap; i++)
			v[i] = (float)((double)(int32_t)(rnd() >> 32) / 2147483648.0) * 0.02f;
		bundle_writer_add(w, "bert/embeddings/word_embeddings", 31, DT_FLOAT, emb, 2, 0, v,
				  cap * sizeof(float));
		for (int l = 0; l < 4; l++)
			for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
				int64_t d[2] = { parts[k].d0, parts[k].d1 };
				size_t n = (size_t)d[0] * (size_t)(d[1] ? d[1] : 1);
				snprintf(name, sizeof(name), "bert/encoder/layer_%d/%s", l, parts[k].name);
				for (size_t i = 0; i < n; i++)
					v[i] = (float)((double)(int32_t)(rnd() >> 32) / 2147483648.0) * 0.02f;
				bundle_writer_add(w, name, strlen(name), DT_FLOAT, d, d[1] ? 2 : 1, 0, v,
						  n * sizeof(float));
			}
		finish(w);
	}
	write_state(dir, all[2], all, 3);
	free(v);
}

static char *sub(const char *dir, const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mkdir(dir, 0777);
	mkdir(path, 0777);
	return path;
}

int main(int argc, char **argv)
{
	const char *set, *dir;
	int all;

	if (argc != 3) {
		fprintf(stderr, "usage: mkckpt all|sample|dtypes|partitioned|many|names|twoshards|v1|diffpair|bench-diff|bench-verify|bench-average DIR\n");
		return 2;
	}
	set = argv[1];
	dir = argv[2];
	all = !strcmp(set, "all");
	if (!strcmp(set, "sample")) {
		mkdir(dir, 0777);
		make_sample(dir);
		return 0;
	}
	if (!strcmp(set, "bench-verify")) {  /* 1 GiB: never part of "all" */
		mkdir(dir, 0777);
		make_bench_verify(dir);
		return 0;
	}
	if (!strcmp(set, "bench-average")) {  /* 620 MiB: never part of "all" */
		mkdir(dir, 0777);
		make_bench_average(dir);
		return 0;
	}
	if (!strcmp(set, "bench-diff")) {  /* big: never part of "all" */
		mkdir(dir, 0777);
		make_bench_diff(dir);
		return 0;
	}
	if (all)
		make_sample(sub(dir, "sample"));
	if (all || !strcmp(set, "dtypes"))
		make_dtypes(sub(dir, "dtypes"));
	if (all || !strcmp(set, "partitioned"))
		make_partitioned(sub(dir, "partitioned"));
	if (all || !strcmp(set, "many"))
		make_many(sub(dir, "many"), 10000);
	if (all || !strcmp(set, "names"))
		make_names(sub(dir, "names"));
	if (all || !strcmp(set, "diffpair"))
		make_diffpair(sub(dir, "diffpair"));
	if (all || !strcmp(set, "twoshards"))
		make_twoshards(sub(dir, "twoshards"));
	if (all || !strcmp(set, "v1"))
		make_v1_sets(sub(dir, "v1"));
	return 0;
}
