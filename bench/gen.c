/* bench-gen: writes the benchmark checkpoints with ckpt's own writer, deterministic by seed.
 *
 *   bench-gen [-s SEED] SET DIR      SET: bert, many, big, small or all (bench/README.md)
 *
 *   DIR/bert/model.ckpt-1000    (a) a BERT-base-like model: 206 float32 tensors (~440 MB) with
 *                               AdamWeightDecay slots adam_m/adam_v (~1.32 GB in all)
 *   DIR/bert/model.ckpt-2000    (d) the same checkpoint one epoch later: exactly 10% of the
 *                               tensors changed slightly (relative noise of 1e-3), the rest
 *                               bytewise identical, global_step advanced
 *   DIR/many/ckpt               (b) 10 000 small tensors
 *   DIR/big/ckpt                (c) 2.13 GiB in one shard, with a 1 GiB [262144,1024] tensor
 *   DIR/small/ckpt              (e) 100 000 tensors of 1-4 KiB (~250 MB): per-tensor overhead
 *
 * Payloads are generated and written in 4 MiB chunks (bundle_writer_begin/write/add_entry with
 * a running CRC), so the generator itself needs little memory even for the 1 GiB tensor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/crc32c.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"

#define CHUNK_FLOATS (1u << 20)
#define MAX_TENSORS 1024

struct spec {
	char name[160];
	int64_t dims[2];
	int rank;
	float scale;
	int positive;   /* second-moment slots hold squares: no negative values */
};

static uint64_t seed = 20240601;

/* splitmix64: a well-mixed 64-bit stream from any starting value */
static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* An approximately normal value from the sum of four 16-bit uniforms (Irwin-Hall): cheap
 * enough to generate gigabytes in seconds, and values look like trained weights. */
static float pseudo_normal(uint64_t *s)
{
	uint64_t r = mix(s);
	int sum = (int)(r & 0xffff) + (int)((r >> 16) & 0xffff) + (int)((r >> 32) & 0xffff) +
		  (int)(r >> 48) - 2 * 65535;
	return (float)sum * (1.0f / 37837.0f);  /* sd of the sum: 65536 * sqrt(4/12) */
}

static void die(const struct ck_err *err)
{
	fprintf(stderr, "bench-gen: %s\n", err->msg);
	exit(2);
}

static void mkdir_or_die(const char *path)
{
	if (mkdir(path, 0777) < 0) {
		struct stat st;
		if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			perror(path);
			exit(2);
		}
	}
}

/* Stream one float32 tensor: values from its own stream (seeded by name index), and when
 * `drift` is non-zero, each value moved by a relative amount of about `drift`. */
static void write_tensor(struct bundle_writer *w, const struct spec *t, uint64_t stream,
			 float drift, float *buf)
{
	struct bundle_entry e;
	uint64_t n = 1, done = 0, s = seed ^ (stream * 0xd1b54a32d192ed03ull), s2 = ~s;
	uint32_t crc = 0;

	for (int i = 0; i < t->rank; i++)
		n *= (uint64_t)t->dims[i];
	memset(&e, 0, sizeof(e));
	e.name = (char *)t->name;
	e.name_len = strlen(t->name);
	e.dtype = DT_FLOAT;
	e.rank = t->rank;
	e.dims = (int64_t *)t->dims;
	e.elements = n;
	e.size = n * sizeof(float);
	if (bundle_writer_begin(w, 0, &e.offset))
		return;  /* the writer's sticky error is reported by finish */
	while (done < n) {
		size_t k = n - done < CHUNK_FLOATS ? (size_t)(n - done) : CHUNK_FLOATS;
		for (size_t i = 0; i < k; i++) {
			float v = pseudo_normal(&s) * t->scale;
			if (t->positive)
				v = v * v;
			if (drift != 0.0f)
				v += v * drift * pseudo_normal(&s2);
			buf[i] = v;
		}
		crc = crc32c_extend(crc, buf, k * sizeof(float));
		if (bundle_writer_write(w, 0, buf, k * sizeof(float)))
			return;
		done += k;
	}
	e.crc32c = crc32c_mask(crc);
	bundle_writer_add_entry(w, &e);
}

static struct bundle_writer *open_w(const char *prefix)
{
	struct bundle_writer *w;
	struct ck_err err;

	if (bundle_writer_open(&w, prefix, 1, BW_FORCE | BW_MKDIR, &err) < 0)
		die(&err);
	return w;
}

static void finish(struct bundle_writer *w, const char *prefix)
{
	struct ck_err err;

	if (bundle_writer_finish(w, &err) < 0)
		die(&err);
	printf("bench-gen: wrote %s\n", prefix);
	fflush(stdout);
}

static void add(struct spec *t, size_t *n, const char *name, int64_t d0, int64_t d1, float scale)
{
	struct spec *s;

	if (*n == MAX_TENSORS) {
		fprintf(stderr, "bench-gen: too many tensors\n");
		exit(2);
	}
	s = &t[(*n)++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->dims[0] = d0;
	s->dims[1] = d1;
	s->rank = d1 ? 2 : 1;
	s->scale = scale;
	s->positive = 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct spec *)a)->name, ((const struct spec *)b)->name);
}

/* BERT-base (uncased, L=12, H=768): the variables of Google's release plus adam_m/adam_v. */
static size_t bert_specs(struct spec *t)
{
	/* One encoder layer, in the order of Google's release. */
	static const struct { const char *leaf; int64_t d0, d1; float scale; } layer[] = {
		{ "attention/self/query/kernel", 768, 768, 0.02f },
		{ "attention/self/query/bias", 768, 0, 0.02f },
		{ "attention/self/key/kernel", 768, 768, 0.02f },
		{ "attention/self/key/bias", 768, 0, 0.02f },
		{ "attention/self/value/kernel", 768, 768, 0.02f },
		{ "attention/self/value/bias", 768, 0, 0.02f },
		{ "attention/output/dense/kernel", 768, 768, 0.02f },
		{ "attention/output/dense/bias", 768, 0, 0.02f },
		{ "attention/output/LayerNorm/gamma", 768, 0, 0.1f },
		{ "attention/output/LayerNorm/beta", 768, 0, 0.1f },
		{ "intermediate/dense/kernel", 768, 3072, 0.02f },
		{ "intermediate/dense/bias", 3072, 0, 0.02f },
		{ "output/dense/kernel", 3072, 768, 0.02f },
		{ "output/dense/bias", 768, 0, 0.02f },
		{ "output/LayerNorm/gamma", 768, 0, 0.1f },
		{ "output/LayerNorm/beta", 768, 0, 0.1f },
	};
	char name[sizeof(t->name)];
	size_t n = 0, vars;

	add(t, &n, "bert/embeddings/word_embeddings", 30522, 768, 0.02f);
	add(t, &n, "bert/embeddings/position_embeddings", 512, 768, 0.02f);
	add(t, &n, "bert/embeddings/token_type_embeddings", 2, 768, 0.02f);
	add(t, &n, "bert/embeddings/LayerNorm/gamma", 768, 0, 0.1f);
	add(t, &n, "bert/embeddings/LayerNorm/beta", 768, 0, 0.1f);
	for (int l = 0; l < 12; l++)
		for (size_t k = 0; k < sizeof(layer) / sizeof(layer[0]); k++) {
			snprintf(name, sizeof(name), "bert/encoder/layer_%d/%s", l, layer[k].leaf);
			add(t, &n, name, layer[k].d0, layer[k].d1, layer[k].scale);
		}
	add(t, &n, "bert/pooler/dense/kernel", 768, 768, 0.02f);
	add(t, &n, "bert/pooler/dense/bias", 768, 0, 0.02f);
	add(t, &n, "cls/predictions/output_bias", 30522, 0, 0.02f);
	add(t, &n, "cls/predictions/transform/dense/kernel", 768, 768, 0.02f);
	add(t, &n, "cls/predictions/transform/dense/bias", 768, 0, 0.02f);
	add(t, &n, "cls/predictions/transform/LayerNorm/gamma", 768, 0, 0.1f);
	add(t, &n, "cls/predictions/transform/LayerNorm/beta", 768, 0, 0.1f);
	add(t, &n, "cls/seq_relationship/output_weights", 2, 768, 0.02f);
	add(t, &n, "cls/seq_relationship/output_bias", 2, 0, 0.02f);
	vars = n;
	for (size_t i = 0; i < vars; i++) {
		snprintf(name, sizeof(name), "%.150s/adam_m", t[i].name);
		add(t, &n, name, t[i].dims[0], t[i].rank == 2 ? t[i].dims[1] : 0, t[i].scale / 100);
		snprintf(name, sizeof(name), "%.150s/adam_v", t[i].name);
		add(t, &n, name, t[i].dims[0], t[i].rank == 2 ? t[i].dims[1] : 0, t[i].scale / 100);
		t[n - 1].positive = 1;
	}
	qsort(t, n, sizeof(*t), by_name);  /* TF writes payloads in key order */
	return n;
}

static void write_state(const char *dir, const char *latest, const char *other)
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
	fprintf(f, "all_model_checkpoint_paths: \"%s\"\n", other);
	fprintf(f, "all_model_checkpoint_paths: \"%s\"\n", latest);
	if (fclose(f)) {
		perror(path);
		exit(2);
	}
}

/* (a) at step 1000 and (d) at step 2000: the same streams, exactly a tenth of the tensors
 * (chosen by a seeded shuffle) drifted. */
static void make_bert(const char *dir, float *buf)
{
	static struct spec t[MAX_TENSORS];
	static size_t order[MAX_TENSORS];
	static unsigned char changed[MAX_TENSORS];
	size_t n = bert_specs(t), nchanged;
	uint64_t s = seed;
	char prefix[4096];

	for (size_t i = 0; i < n; i++)
		order[i] = i;
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)(mix(&s) % (i + 1)), x = order[i];
		order[i] = order[j];
		order[j] = x;
	}
	nchanged = (n + 5) / 10;
	for (size_t i = 0; i < nchanged; i++)
		changed[order[i]] = 1;
	for (int epoch = 1; epoch <= 2; epoch++) {
		struct bundle_writer *w;
		int64_t step = 1000 * epoch;

		snprintf(prefix, sizeof(prefix), "%s/model.ckpt-%d", dir, (int)step);
		w = open_w(prefix);
		bundle_writer_add(w, "global_step", 11, DT_INT64, NULL, 0, 0, &step, sizeof(step));
		for (size_t i = 0; i < n; i++)
			write_tensor(w, &t[i], i, epoch == 2 && changed[i] ? 1e-3f : 0.0f, buf);
		finish(w, prefix);
	}
	write_state(dir, "model.ckpt-2000", "model.ckpt-1000");
}

/* (b) 10 000 small tensors: 2 500 blocks of kernel, bias, gamma, beta. */
static void make_many(const char *dir, float *buf)
{
	static const char *leaf[] = { "bias", "kernel", "norm/beta", "norm/gamma" };
	struct bundle_writer *w;
	struct spec t;
	char prefix[4096];

	snprintf(prefix, sizeof(prefix), "%s/ckpt", dir);
	w = open_w(prefix);
	for (int i = 0; i < 2500; i++)
		for (int k = 0; k < 4; k++) {
			snprintf(t.name, sizeof(t.name), "net/stage_%02d/unit_%04d/%s", i / 100, i, leaf[k]);
			t.rank = k == 1 ? 2 : 1;
			t.dims[0] = 16;
			t.dims[1] = 16;
			t.scale = 0.1f;
			t.positive = 0;
			write_tensor(w, &t, (uint64_t)(i * 4 + k), 0.0f, buf);
		}
	finish(w, prefix);
}

/* (e) 100 000 small tensors of 256 to 1 024 float32 (1-4 KiB), the per-tensor costs' set:
 * 1 000 blocks of 100 layers, sizes cycling so that payloads are not all alike. */
static void make_small(const char *dir, float *buf)
{
	struct bundle_writer *w;
	struct spec t;
	char prefix[4096];

	snprintf(prefix, sizeof(prefix), "%s/ckpt", dir);
	w = open_w(prefix);
	for (int i = 0; i < 100000; i++) {
		snprintf(t.name, sizeof(t.name), "model/block_%03d/layer_%02d/w", i / 100, i % 100);
		t.rank = 1;
		t.dims[0] = 256 * (1 + i % 4);
		t.scale = 0.05f;
		t.positive = 0;
		write_tensor(w, &t, (uint64_t)i, 0.0f, buf);
	}
	finish(w, prefix);
}

/* (c) a 1 GiB embedding, a 512 MiB softmax and 40 dense layers of 16 MiB: 2.13 GiB. */
static void make_big(const char *dir, float *buf)
{
	struct bundle_writer *w;
	struct spec t = { "", { 0, 0 }, 2, 0.02f, 0 };
	char prefix[4096];
	uint64_t stream = 0;

	snprintf(prefix, sizeof(prefix), "%s/ckpt", dir);
	w = open_w(prefix);
	snprintf(t.name, sizeof(t.name), "big/embedding");
	t.dims[0] = 262144;
	t.dims[1] = 1024;
	write_tensor(w, &t, stream++, 0.0f, buf);
	for (int l = 0; l < 40; l++) {
		snprintf(t.name, sizeof(t.name), "big/layer_%02d/bias", l);
		t.rank = 1;
		t.dims[0] = 4096;
		write_tensor(w, &t, stream++, 0.0f, buf);
		snprintf(t.name, sizeof(t.name), "big/layer_%02d/kernel", l);
		t.rank = 2;
		t.dims[0] = 1024;
		t.dims[1] = 4096;
		write_tensor(w, &t, stream++, 0.0f, buf);
	}
	snprintf(t.name, sizeof(t.name), "big/softmax");
	t.dims[0] = 131072;
	t.dims[1] = 1024;
	write_tensor(w, &t, stream++, 0.0f, buf);
	finish(w, prefix);
}

static const char *sub(const char *dir, const char *name)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mkdir_or_die(dir);
	mkdir_or_die(path);
	return path;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench-gen [-s SEED] bert|many|big|small|all DIR\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *set, *dir;
	float *buf;
	int all, known;

	if (argc == 5 && !strcmp(argv[1], "-s")) {
		char *end;
		seed = strtoull(argv[2], &end, 0);
		if (*end || !*argv[2])
			return usage();
		argv += 2;
		argc -= 2;
	}
	if (argc != 3)
		return usage();
	set = argv[1];
	dir = argv[2];
	all = !strcmp(set, "all");
	known = all || !strcmp(set, "bert") || !strcmp(set, "many") || !strcmp(set, "big") ||
		!strcmp(set, "small");
	if (!known)
		return usage();
	buf = malloc(CHUNK_FLOATS * sizeof(float));
	if (!buf) {
		perror("bench-gen");
		return 2;
	}
	if (all || !strcmp(set, "many"))
		make_many(sub(dir, "many"), buf);
	if (all || !strcmp(set, "bert"))
		make_bert(sub(dir, "bert"), buf);
	if (all || !strcmp(set, "big"))
		make_big(sub(dir, "big"), buf);
	if (all || !strcmp(set, "small"))
		make_small(sub(dir, "small"), buf);
	free(buf);
	return 0;
}
