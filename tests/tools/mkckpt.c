/* mkckpt: writes deterministic checkpoints with ckpt's own writer, for the README's sample,
 * the test suite and the benchmarks. Nothing here depends on TensorFlow.
 *
 *   mkckpt sample DIR     a small dense model at two steps (+ Adam slots, state file)
 *   mkckpt all DIR        every test set below DIR (sample/, dtypes/, partitioned/, ...)
 *   mkckpt SET DIR        one of: sample dtypes partitioned many names twoshards v1 graph
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "meta_graph.pb-c.h"  /* the graph/ set: a TF1 .meta */
#include "format/objgraph.h"         /* the tf2/ set: an object graph */
#include "format/slicekey.h"
#include "v1write.h"  /* the v1/ set: legacy V1 tables */
#include "variable.pb-c.h"

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

/* tf2/: an object-based (TF2 Keras) checkpoint made here, so the tests of full names run
 * without fixtures: a dense layer (kernel [3,2], bias [2]) with an Adam slot for the kernel,
 * the optimizer's iteration counter, save_counter, and two metrics whose variables share
 * the full names "count" and "total", as Keras records them. The keys are the node paths
 * plus "/.ATTRIBUTES/VARIABLE_VALUE", as tf.train.Checkpoint writes them. */
static void make_tf2(const char *dir)
{
	enum { NN = 17 };
	static const struct { const char *key, *full; } attr[NN] = {
		[3] = { "model/layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE", "dense/kernel" },
		[4] = { "model/layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE", "dense/bias" },
		[6] = { "optimizer/iter/.ATTRIBUTES/VARIABLE_VALUE", "Adam/iter" },
		[7] = { "model/layer_with_weights-0/kernel/.OPTIMIZER_SLOT/optimizer/m/.ATTRIBUTES/"
			"VARIABLE_VALUE", "Adam/m/dense/kernel" },
		[8] = { "save_counter/.ATTRIBUTES/VARIABLE_VALUE", "save_counter" },
		[12] = { "keras_api/metrics/0/total/.ATTRIBUTES/VARIABLE_VALUE", "total" },
		[13] = { "keras_api/metrics/0/count/.ATTRIBUTES/VARIABLE_VALUE", "count" },
		[15] = { "keras_api/metrics/1/total/.ATTRIBUTES/VARIABLE_VALUE", "total" },
		[16] = { "keras_api/metrics/1/count/.ATTRIBUTES/VARIABLE_VALUE", "count" },
	};
	static const struct { int from, to; const char *name; } edge[] = {
		{ 0, 1, "model" }, { 0, 5, "optimizer" }, { 0, 8, "save_counter" },
		{ 0, 9, "keras_api" }, { 1, 2, "layer_with_weights-0" }, { 2, 3, "kernel" },
		{ 2, 4, "bias" }, { 5, 6, "iter" }, { 9, 10, "metrics" }, { 10, 11, "0" },
		{ 10, 14, "1" }, { 11, 12, "total" }, { 11, 13, "count" }, { 14, 15, "total" },
		{ 14, 16, "count" },
	};
	enum { NE = sizeof(edge) / sizeof(edge[0]) };
	Tensorflow__TrackableObjectGraph g = TENSORFLOW__TRACKABLE_OBJECT_GRAPH__INIT;
	Tensorflow__TrackableObjectGraph__TrackableObject obj[NN], *objp[NN];
	Tensorflow__TrackableObjectGraph__TrackableObject__ObjectReference ref[NE], *refp[NE];
	Tensorflow__TrackableObjectGraph__TrackableObject__SerializedTensor st[NN], *stp[NN];
	Tensorflow__TrackableObjectGraph__TrackableObject__SlotVariableReference slot =
		TENSORFLOW__TRACKABLE_OBJECT_GRAPH__TRACKABLE_OBJECT__SLOT_VARIABLE_REFERENCE__INIT,
		*slotp = &slot;
	int64_t d32[2] = { 3, 2 }, d2[1] = { 2 };
	int64_t one = 1;
	float two = 2;
	struct bundle_writer *w;
	struct buf packed = BUF_INIT;
	const uint8_t *gp[1];
	size_t gl[1];
	char prefix[4096];

	for (int i = 0; i < NN; i++) {
		Tensorflow__TrackableObjectGraph__TrackableObject o =
			TENSORFLOW__TRACKABLE_OBJECT_GRAPH__TRACKABLE_OBJECT__INIT;
		Tensorflow__TrackableObjectGraph__TrackableObject__SerializedTensor a =
			TENSORFLOW__TRACKABLE_OBJECT_GRAPH__TRACKABLE_OBJECT__SERIALIZED_TENSOR__INIT;
		obj[i] = o;
		objp[i] = &obj[i];
		st[i] = a;
		stp[i] = &st[i];
		if (!attr[i].key)
			continue;
		st[i].name = (ProtobufCBinaryData){ 14, (uint8_t *)"VARIABLE_VALUE" };
		st[i].full_name = (ProtobufCBinaryData){ strlen(attr[i].full), (uint8_t *)attr[i].full };
		st[i].checkpoint_key = (ProtobufCBinaryData){ strlen(attr[i].key), (uint8_t *)attr[i].key };
		obj[i].n_attributes = 1;
		obj[i].attributes = &stp[i];
	}
	/* Edges are grouped by parent, so each node's children are one run of refp. */
	for (int e = 0; e < NE; e++) {
		Tensorflow__TrackableObjectGraph__TrackableObject__ObjectReference r =
			TENSORFLOW__TRACKABLE_OBJECT_GRAPH__TRACKABLE_OBJECT__OBJECT_REFERENCE__INIT;
		ref[e] = r;
		ref[e].node_id = edge[e].to;
		ref[e].local_name = (ProtobufCBinaryData){ strlen(edge[e].name), (uint8_t *)edge[e].name };
		refp[e] = &ref[e];
		if (!obj[edge[e].from].n_children)
			obj[edge[e].from].children = &refp[e];
		obj[edge[e].from].n_children++;
	}
	slot.original_variable_node_id = 3;
	slot.slot_name = (ProtobufCBinaryData){ 1, (uint8_t *)"m" };
	slot.slot_variable_node_id = 7;
	obj[5].n_slot_variables = 1;
	obj[5].slot_variables = &slotp;
	g.n_nodes = NN;
	g.nodes = objp;
	objgraph_serialize(&g, &packed);
	gp[0] = packed.p;
	gl[0] = packed.len;

	snprintf(prefix, sizeof(prefix), "%s/ckpt-1", dir);
	w = open_w(prefix, 1);
	bundle_writer_add_strings(w, "_CHECKPOINTABLE_OBJECT_GRAPH", 28, NULL, 0, 0, gp, gl, 1);
	for (int m = 0; m < 2; m++) {
		add_scalar(w, attr[m ? 16 : 13].key, DT_FLOAT, &two, sizeof(two));
		add_scalar(w, attr[m ? 15 : 12].key, DT_FLOAT, &two, sizeof(two));
	}
	add_f32(w, attr[4].key, d2, 1, 0.1f, 0);
	add_f32(w, attr[3].key, d32, 2, 0.1f, 0);
	add_f32(w, attr[7].key, d32, 2, 0.01f, 0);
	add_scalar(w, attr[6].key, DT_INT64, &one, sizeof(one));
	add_scalar(w, attr[8].key, DT_INT64, &one, sizeof(one));
	finish(w);
	buf_release(&packed);
}

/* Edge cases for show: negative zero, digits past the shortest, tensors that cannot be
 * decoded (resource, variant, a dtype this tool does not know), a string tensor, and a TF2
 * object-graph entry (its bytes are not a valid graph: show only points to --object-graph). */
static void make_showedge(const char *dir)
{
	char prefix[4096];
	struct bundle_writer *w;
	int64_t d3[1] = { 3 }, d22[2] = { 2, 2 }, d2[1] = { 2 };
	float negzero[3] = { -0.0f, 1.0f, 2.5f };
	float digits[3] = { -0.0115264151f, 0.100000024f, 2.5e-5f };  /* numpy: 1.15264151e-02 */
	float kernel[4] = { 0.5f, -0.25f, 1.0f, 2.0f };
	uint8_t handle[16] = "resource-bytes!", state[8] = "variant", odd[4] = { 1, 2, 3, 4 };
	const uint8_t *words[2] = { (const uint8_t *)"a", (const uint8_t *)"b" };
	const uint8_t *graph[1] = { (const uint8_t *)"not a graph" };
	size_t wl[2] = { 1, 1 }, gl[1] = { 11 };

	snprintf(prefix, sizeof(prefix), "%s/ckpt", dir);
	w = open_w(prefix, 1);
	bundle_writer_add_strings(w, "_CHECKPOINTABLE_OBJECT_GRAPH", 28, NULL, 0, 0, graph, gl, 1);
	bundle_writer_add(w, "dense/kernel", 12, DT_FLOAT, d22, 2, 0, kernel, sizeof(kernel));
	bundle_writer_add(w, "digits", 6, DT_FLOAT, d3, 1, 0, digits, sizeof(digits));
	bundle_writer_add(w, "handle", 6, DT_RESOURCE, NULL, 0, 0, handle, sizeof(handle));
	bundle_writer_add(w, "negzero", 7, DT_FLOAT, d3, 1, 0, negzero, sizeof(negzero));
	bundle_writer_add(w, "state", 5, DT_VARIANT, NULL, 0, 0, state, sizeof(state));
	bundle_writer_add(w, "unknown", 7, 99, NULL, 0, 0, odd, sizeof(odd));
	bundle_writer_add_strings(w, "words", 5, d2, 1, 0, words, wl, 2);
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

/* Optimizer slots in the spellings of mesh-TF, BERT-style LAMB, tf.train and tf.contrib
 * optimizers beside the variables they belong to; element counts small and distinct, so that
 * totals can be checked by hand: 70 model parameters (plus a step counter and a vocabulary
 * of two strings), 74 elements of optimizer state. */
static void make_slots(const char *dir)
{
	static const struct { const char *name; int64_t dims[2]; int rank; } t[] = {
		{ "encoder/block_000/SelfAttention/q", { 4, 8 }, 2 },
		{ "encoder/block_000/SelfAttention/q_slot_vr", { 4 }, 1 },
		{ "encoder/block_000/SelfAttention/q_slot_vc", { 8 }, 1 },
		{ "encoder/final_layer_norm/scale", { 8 }, 1 },
		{ "encoder/final_layer_norm/scale_slot_v", { 8 }, 1 },
		{ "bert/pooler/kernel", { 3, 3 }, 2 },
		{ "bert/pooler/kernel/lamb_m", { 3, 3 }, 2 },
		{ "bert/pooler/kernel/lamb_v", { 3, 3 }, 2 },
		{ "dense/kernel", { 2, 5 }, 2 },
		{ "dense/kernel/RMSProp", { 2, 5 }, 2 },
		{ "dense/kernel/RMSProp_1", { 2, 5 }, 2 },
		{ "conv/kernel", { 6 }, 1 },
		{ "conv/kernel/LARSOptimizer", { 6 }, 1 },
		{ "embedding/table", { 5 }, 1 },
		{ "embedding/table/Adagrad", { 5 }, 1 },
		{ "embedding/table/Momentum", { 5 }, 1 },
	};
	char prefix[4096];
	struct bundle_writer *w;
	int64_t step = 1000;

	snprintf(prefix, sizeof(prefix), "%s/model.ckpt-1000", dir);
	w = open_w(prefix, 1);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		add_f32(w, t[i].name, t[i].dims, t[i].rank, 0.1f, 0);
	add_scalar(w, "global_step", DT_INT64, &step, sizeof(step));
	{
		const uint8_t *words[2] = { (const uint8_t *)"the", (const uint8_t *)"cat" };
		size_t len[2] = { 3, 3 };
		int64_t two = 2;
		bundle_writer_add_strings(w, "vocab", 5, &two, 1, 0, words, len, 2);
	}
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

/* Two checkpoints, a and b, of float32 tensors of 3 MiB, the size that diff, verify and show
 * --stats read in two halves on two cores (split.h): "both" differs in each half, "second"
 * only in the second half (the first half's ||A|| must still count), "same" not at all. */
static void make_halves(const char *dir)
{
	char pa[4096], pb[4096];
	struct bundle_writer *a, *b;
	int64_t d[2] = { 1025, 768 };
	size_t n = 1025 * 768;
	float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));

	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	a = open_w(pa, 1);
	b = open_w(pb, 1);
	rng_state = 2024;
	for (size_t i = 0; i < n; i++)
		x[i] = rnd_normal() * 0.02f;
	memcpy(y, x, n * sizeof(float));
	y[10] += 0.5f;
	y[700000] -= 0.25f;
	bundle_writer_add(a, "both", 4, DT_FLOAT, d, 2, 0, x, n * sizeof(float));
	bundle_writer_add(b, "both", 4, DT_FLOAT, d, 2, 0, y, n * sizeof(float));
	bundle_writer_add(a, "same", 4, DT_FLOAT, d, 2, 0, x, n * sizeof(float));
	bundle_writer_add(b, "same", 4, DT_FLOAT, d, 2, 0, x, n * sizeof(float));
	y[10] = x[10];
	bundle_writer_add(a, "second", 6, DT_FLOAT, d, 2, 0, x, n * sizeof(float));
	bundle_writer_add(b, "second", 6, DT_FLOAT, d, 2, 0, y, n * sizeof(float));
	finish(a);
	finish(b);
	free(x);
	free(y);
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

/* ---- graph/: a TF 1.15 training graph (.meta) beside its checkpoint ----------------------
 * What `saver.save(sess, "run/model.ckpt", global_step=1000)` leaves after this tf.compat.v1
 * program, node for node as TensorFlow 1.15 names them (the saver's part checked against a
 * real 1.15 .meta):
 *
 *   x = tf.placeholder(tf.float32, [None, 784], name="x")
 *   labels = tf.placeholder(tf.int64, [None], name="labels")
 *   h = tf.layers.dense(x, 128, activation=tf.nn.relu)
 *   logits = tf.layers.dense(h, 10)
 *   probs = tf.nn.softmax(logits)
 *   loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels,
 *                                                                        logits=logits))
 *   train_op = tf.train.AdamOptimizer(1e-3).minimize(loss, tf.train.get_or_create_global_step())
 *   init = tf.global_variables_initializer(); saver = tf.train.Saver()
 *
 * The messages are protobuf-c's, from our proto/ files. Left out: allowed_values in the stripped
 * op list, and the _output_shapes attributes TF adds only when asked. */

/* Everything a message under construction points to, freed at once when it is written. */
static void **g_arena;
static size_t g_narena;

static void *gnew(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	void **a = realloc(g_arena, (g_narena + 1) * sizeof(*g_arena));

	if (!p || !a) {
		perror("mkckpt");
		exit(2);
	}
	g_arena = a;
	g_arena[g_narena++] = p;
	return p;
}

static char *gstr(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(gnew(n), s, n);
}

static char *gfmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *gfmt(const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	return gstr(tmp);
}

static void gfree_all(void)
{
	for (size_t i = 0; i < g_narena; i++)
		free(g_arena[i]);
	free(g_arena);
	g_arena = NULL;
	g_narena = 0;
}

#define G_MAX_NODES 256
#define G_MAX_ATTRS 8
#define G_MAX_VARS 32

struct gbuild {
	Tensorflow__NodeDef *nodes[G_MAX_NODES];
	size_t nnodes;
	Tensorflow__VariableDef *vars[G_MAX_VARS];  /* GLOBAL_VARIABLES, in creation order */
	const char *var_names[G_MAX_VARS];
	size_t nvars;
};

static void gdie(const char *what)
{
	fprintf(stderr, "mkckpt: graph: %s\n", what);
	exit(2);
}

/* A node with inputs in[0..n) ("a", "a:1", "^a" for a control dependency). */
static Tensorflow__NodeDef *node_in(struct gbuild *g, const char *name, const char *op,
				    const char *const *in, size_t n)
{
	Tensorflow__NodeDef *nd = gnew(sizeof(*nd));

	if (g->nnodes == G_MAX_NODES)
		gdie("too many nodes");
	tensorflow__node_def__init(nd);
	nd->name = gstr(name);
	nd->op = gstr(op);
	nd->input = gnew(n * sizeof(char *));
	for (size_t i = 0; i < n; i++)
		nd->input[nd->n_input++] = gstr(in[i]);
	nd->attr = gnew(G_MAX_ATTRS * sizeof(*nd->attr));
	g->nodes[g->nnodes++] = nd;
	return nd;
}

/* node(g, name, op, input..., NULL) */
static Tensorflow__NodeDef *node(struct gbuild *g, const char *name, const char *op, ...)
{
	const char *in[16];
	size_t n = 0;
	va_list ap;

	va_start(ap, op);
	for (const char *s; (s = va_arg(ap, const char *)) != NULL;) {
		if (n == 16)
			gdie("too many inputs");
		in[n++] = s;
	}
	va_end(ap);
	return node_in(g, name, op, in, n);
}

static Tensorflow__AttrValue *attr_new(Tensorflow__NodeDef *nd, const char *key)
{
	Tensorflow__NodeDef__AttrEntry *e = gnew(sizeof(*e));
	Tensorflow__AttrValue *v = gnew(sizeof(*v));

	if (nd->n_attr == G_MAX_ATTRS)
		gdie("too many attributes");
	tensorflow__node_def__attr_entry__init(e);
	tensorflow__attr_value__init(v);
	e->key = gstr(key);
	e->value = v;
	nd->attr[nd->n_attr++] = e;
	return v;
}

static void a_type(Tensorflow__NodeDef *nd, const char *key, int dtype)
{
	Tensorflow__AttrValue *v = attr_new(nd, key);
	v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TYPE;
	v->type = (Tensorflow__DataType)dtype;
}

static void a_bool(Tensorflow__NodeDef *nd, const char *key, int b)
{
	Tensorflow__AttrValue *v = attr_new(nd, key);
	v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_B;
	v->b = b;
}

static void a_int(Tensorflow__NodeDef *nd, const char *key, int64_t i)
{
	Tensorflow__AttrValue *v = attr_new(nd, key);
	v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_I;
	v->i = i;
}

static void attr_set_s(Tensorflow__AttrValue *v, const char *s)
{
	v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_S;
	v->s.data = (uint8_t *)gstr(s);
	v->s.len = strlen(s);
}

static void a_str(Tensorflow__NodeDef *nd, const char *key, const char *s)
{
	attr_set_s(attr_new(nd, key), s);
}

/* rank -1: unknown rank; dims of -1: unknown size. */
static Tensorflow__TensorShapeProto *shape_new(const int64_t *dims, int rank)
{
	Tensorflow__TensorShapeProto *s = gnew(sizeof(*s));

	tensorflow__tensor_shape_proto__init(s);
	if (rank < 0) {
		s->unknown_rank = 1;
		return s;
	}
	s->dim = gnew((size_t)rank * sizeof(*s->dim));
	for (int i = 0; i < rank; i++) {
		Tensorflow__TensorShapeProto__Dim *d = gnew(sizeof(*d));
		tensorflow__tensor_shape_proto__dim__init(d);
		d->size = dims[i];
		s->dim[s->n_dim++] = d;
	}
	return s;
}

static void a_shape(Tensorflow__NodeDef *nd, const char *key, const int64_t *dims, int rank)
{
	Tensorflow__AttrValue *v = attr_new(nd, key);
	v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_SHAPE;
	v->shape = shape_new(dims, rank);
}

static Tensorflow__AttrValue__ListValue *list_new(Tensorflow__AttrValue *v)
{
	v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_LIST;
	v->list = gnew(sizeof(*v->list));
	tensorflow__attr_value__list_value__init(v->list);
	return v->list;
}

/* Colocation: _class = ["loc:@with"]. */
static void a_class(Tensorflow__NodeDef *nd, const char *with)
{
	Tensorflow__AttrValue__ListValue *l = list_new(attr_new(nd, "_class"));
	char *s = gfmt("loc:@%s", with);

	l->s = gnew(sizeof(*l->s));
	l->s[0].data = (uint8_t *)s;
	l->s[0].len = strlen(s);
	l->n_s = 1;
}

static void a_types(Tensorflow__NodeDef *nd, const char *key, const int *types, size_t n)
{
	Tensorflow__AttrValue__ListValue *l = list_new(attr_new(nd, key));

	l->type = gnew(n * sizeof(*l->type));
	for (size_t i = 0; i < n; i++)
		l->type[i] = (Tensorflow__DataType)types[i];
	l->n_type = n;
}

/* Const values as Python's make_tensor_proto writes them: a scalar or a splat in the typed
 * field, other numeric arrays as little-endian tensor_content, strings one by one. */
static Tensorflow__TensorProto *tensor_new(int dtype, const int64_t *dims, int rank)
{
	Tensorflow__TensorProto *t = gnew(sizeof(*t));

	tensorflow__tensor_proto__init(t);
	t->dtype = (Tensorflow__DataType)dtype;
	t->tensor_shape = shape_new(dims, rank);
	return t;
}

static Tensorflow__NodeDef *const_node(struct gbuild *g, const char *name, Tensorflow__TensorProto *t)
{
	Tensorflow__NodeDef *nd = node(g, name, "Const", NULL);
	Tensorflow__AttrValue *v = attr_new(nd, "value");

	v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TENSOR;
	v->tensor = t;
	a_type(nd, "dtype", t->dtype);
	return nd;
}

static Tensorflow__NodeDef *const_float(struct gbuild *g, const char *name, float x,
					const int64_t *dims, int rank)
{
	Tensorflow__TensorProto *t = tensor_new(DT_FLOAT, dims, rank);

	t->float_val = gnew(sizeof(float));
	t->float_val[0] = x;
	t->n_float_val = 1;
	return const_node(g, name, t);
}

static Tensorflow__NodeDef *const_int64(struct gbuild *g, const char *name, int64_t x)
{
	Tensorflow__TensorProto *t = tensor_new(DT_INT64, NULL, 0);

	t->int64_val = gnew(sizeof(int64_t));
	t->int64_val[0] = x;
	t->n_int64_val = 1;
	return const_node(g, name, t);
}

/* An int32 scalar (rank 0, one value) or vector of n values (rank 1). */
static Tensorflow__NodeDef *const_int32(struct gbuild *g, const char *name, const int32_t *v,
					size_t n, int rank)
{
	int64_t len = (int64_t)n;
	Tensorflow__TensorProto *t = tensor_new(DT_INT32, &len, rank);

	if (n == 1) {
		t->int_val = gnew(sizeof(int32_t));
		t->int_val[0] = v[0];
		t->n_int_val = 1;
	} else if (n > 1) {
		uint8_t *p = gnew(4 * n);
		for (size_t i = 0; i < n; i++)
			for (unsigned b = 0; b < 4; b++)
				p[4 * i + b] = (uint8_t)((uint32_t)v[i] >> (8 * b));
		t->tensor_content.data = p;
		t->tensor_content.len = 4 * n;
	}
	return const_node(g, name, t);
}

static Tensorflow__NodeDef *const_strings(struct gbuild *g, const char *name,
					  const char *const *s, size_t n, int rank)
{
	int64_t len = (int64_t)n;
	Tensorflow__TensorProto *t = tensor_new(DT_STRING, &len, rank);

	t->string_val = gnew(n * sizeof(*t->string_val));
	for (size_t i = 0; i < n; i++) {
		t->string_val[i].data = (uint8_t *)gstr(s[i]);
		t->string_val[i].len = strlen(s[i]);
	}
	t->n_string_val = n;
	return const_node(g, name, t);
}

/* A binary op on floats: Sub, Mul, MatMul, ... with T = float. */
static Tensorflow__NodeDef *fop(struct gbuild *g, const char *name, const char *op,
				const char *a, const char *b)
{
	Tensorflow__NodeDef *nd = b ? node(g, name, op, a, b, NULL) : node(g, name, op, a, NULL);
	a_type(nd, "T", DT_FLOAT);
	return nd;
}

enum ginit { INIT_GLOROT, INIT_ZEROS, INIT_VALUE };

/* A tf.Variable: its initializer, the VariableV2, `name/Assign`, `name/read`, and the
 * VariableDef the collections hold. value: the constant of INIT_VALUE, glorot's limit. */
static void variable(struct gbuild *g, const char *name, int dtype, const int64_t *dims, int rank,
		     enum ginit init, float value, const char *colocate, int trainable)
{
	const char *loc = colocate ? colocate : name, *initial;
	Tensorflow__NodeDef *nd;
	Tensorflow__VariableDef *vd;
	int32_t shape32[2] = { rank > 0 ? (int32_t)dims[0] : 0, rank > 1 ? (int32_t)dims[1] : 0 };
	int64_t count = 1;

	for (int i = 0; i < rank; i++)
		count *= dims[i];
	if (init == INIT_GLOROT) {
		const char *p = gfmt("%s/Initializer/random_uniform", name);
		const char *shape = gfmt("%s/shape", p), *min = gfmt("%s/min", p);
		const char *max = gfmt("%s/max", p), *ru = gfmt("%s/RandomUniform", p);
		const char *sub = gfmt("%s/sub", p), *mul = gfmt("%s/mul", p);
		a_class(const_int32(g, shape, shape32, (size_t)rank, 1), loc);
		a_class(const_float(g, min, -value, NULL, 0), loc);
		a_class(const_float(g, max, value, NULL, 0), loc);
		nd = node(g, ru, "RandomUniform", shape, NULL);
		a_type(nd, "T", DT_INT32);
		a_class(nd, loc);
		a_type(nd, "dtype", DT_FLOAT);
		a_int(nd, "seed", 0);
		a_int(nd, "seed2", 0);
		a_class(fop(g, sub, "Sub", max, min), loc);
		a_class(fop(g, mul, "Mul", ru, sub), loc);
		a_class(fop(g, p, "Add", mul, min), loc);
		initial = p;
	} else if (init == INIT_ZEROS && count > 1000) {
		/* zeros() of a large shape is Fill(shape, 0), not a splat constant */
		const char *p = gfmt("%s/Initializer/zeros", name);
		const char *shape = gfmt("%s/shape_as_tensor", p), *zero = gfmt("%s/Const", p);
		a_class(const_int32(g, shape, shape32, (size_t)rank, 1), loc);
		a_class(const_float(g, zero, 0.0f, NULL, 0), loc);
		nd = fop(g, p, "Fill", shape, zero);
		a_class(nd, loc);
		a_type(nd, "index_type", DT_INT32);
		initial = p;
	} else if (init == INIT_ZEROS) {
		initial = gfmt("%s/Initializer/zeros", name);
		nd = dtype == DT_INT64 ? const_int64(g, initial, 0)
				       : const_float(g, initial, 0.0f, dims, rank);
		a_class(nd, loc);
	} else {
		initial = gfmt("%s/initial_value", name);
		a_class(const_float(g, initial, value, NULL, 0), loc);
	}
	nd = node(g, name, "VariableV2", NULL);
	a_class(nd, loc);
	a_str(nd, "container", "");
	a_type(nd, "dtype", dtype);
	a_shape(nd, "shape", dims, rank);
	a_str(nd, "shared_name", "");
	nd = node(g, gfmt("%s/Assign", name), "Assign", name, initial, NULL);
	a_type(nd, "T", dtype);
	a_class(nd, loc);
	a_bool(nd, "use_locking", 1);
	a_bool(nd, "validate_shape", 1);
	nd = node(g, gfmt("%s/read", name), "Identity", name, NULL);
	a_type(nd, "T", dtype);
	a_class(nd, loc);

	if (g->nvars == G_MAX_VARS)
		gdie("too many variables");
	vd = gnew(sizeof(*vd));
	tensorflow__variable_def__init(vd);
	vd->variable_name = gfmt("%s:0", name);
	vd->initializer_name = gfmt("%s/Assign", name);
	vd->snapshot_name = gfmt("%s/read:0", name);
	vd->initial_value_name = gfmt("%s:0", initial);
	vd->trainable = trainable;
	g->var_names[g->nvars] = gstr(name);
	g->vars[g->nvars++] = vd;
}

/* The gradient of an op with two inputs, as tf.gradients groups it:
 * scope/tuple/{group_deps, control_dependency, control_dependency_1}. */
static void grad_tuple(struct gbuild *g, const char *scope, const char *a, const char *b)
{
	const char *deps = gfmt("%s/tuple/group_deps", scope);
	Tensorflow__NodeDef *nd;

	node(g, deps, "NoOp", gfmt("^%s", a), gfmt("^%s", b), NULL);
	nd = fop(g, gfmt("%s/tuple/control_dependency", scope), "Identity", a, gfmt("^%s", deps));
	a_class(nd, a);
	nd = fop(g, gfmt("%s/tuple/control_dependency_1", scope), "Identity", b, gfmt("^%s", deps));
	a_class(nd, b);
}

/* The stripped op list: each op the graph uses, as REGISTER_OP declares it.
 *   args:  name:T (type attr), name:&T (a ref), name:#string (a fixed type),
 *          name:@dtypes (a type-list attr); attrs: name:kind[=default], ">=1" a minimum. */
static const struct gop {
	const char *name, *in, *out, *attrs;
	const char *flags;  /* S stateful, C commutative, U allows uninitialized input */
} g_ops[] = {
	{ "Add", "x:T,y:T", "z:T", "T:type", "" },
	{ "ApplyAdam", "var:&T,m:&T,v:&T,beta1_power:T,beta2_power:T,lr:T,beta1:T,beta2:T,epsilon:T,grad:T",
	  "out:&T", "T:type,use_locking:bool=0,use_nesterov:bool=0", "" },
	{ "Assign", "ref:&T,value:T", "output_ref:&T", "T:type,validate_shape:bool=1,use_locking:bool=1", "U" },
	{ "AssignAdd", "ref:&T,value:T", "output_ref:&T", "T:type,use_locking:bool=0", "" },
	{ "BiasAdd", "value:T,bias:T", "output:T", "T:type,data_format:string=NHWC", "" },
	{ "BiasAddGrad", "out_backprop:T", "output:T", "T:type,data_format:string=NHWC", "" },
	{ "Cast", "x:SrcT", "y:DstT", "SrcT:type,DstT:type,Truncate:bool=0", "" },
	{ "Const", "", "output:dtype", "value:tensor,dtype:type", "" },
	{ "ExpandDims", "input:T,dim:Tdim", "output:T", "T:type,Tdim:type=int32", "" },
	{ "Fill", "dims:index_type,value:T", "output:T", "T:type,index_type:type=int32", "" },
	{ "FloorDiv", "x:T,y:T", "z:T", "T:type", "" },
	{ "Identity", "input:T", "output:T", "T:type", "" },
	{ "MatMul", "a:T,b:T", "product:T", "transpose_a:bool=0,transpose_b:bool=0,T:type", "" },
	{ "Maximum", "x:T,y:T", "z:T", "T:type", "C" },
	{ "Mean", "input:T,reduction_indices:Tidx", "output:T", "keep_dims:bool=0,T:type,Tidx:type=int32", "" },
	{ "Mul", "x:T,y:T", "z:T", "T:type", "C" },
	{ "NoOp", "", "", "", "" },
	{ "Placeholder", "", "output:dtype", "dtype:type,shape:shape=?", "" },
	{ "PlaceholderWithDefault", "input:dtype", "output:dtype", "dtype:type,shape:shape", "" },
	{ "PreventGradient", "input:T", "output:T", "T:type,message:string=", "" },
	{ "Prod", "input:T,reduction_indices:Tidx", "output:T", "keep_dims:bool=0,T:type,Tidx:type=int32", "" },
	{ "RandomUniform", "shape:T", "output:dtype", "seed:int=0,seed2:int=0,dtype:type,T:type", "S" },
	{ "RealDiv", "x:T,y:T", "z:T", "T:type", "" },
	{ "Relu", "features:T", "activations:T", "T:type", "" },
	{ "ReluGrad", "gradients:T,features:T", "backprops:T", "T:type", "" },
	{ "Reshape", "tensor:T,shape:Tshape", "output:T", "T:type,Tshape:type=int32", "" },
	{ "RestoreV2", "prefix:#string,tensor_names:#string,shape_and_slices:#string", "tensors:@dtypes",
	  "dtypes:list(type)>=1", "S" },
	{ "SaveV2", "prefix:#string,tensor_names:#string,shape_and_slices:#string,tensors:@dtypes", "",
	  "dtypes:list(type)>=1", "S" },
	{ "Shape", "input:T", "output:out_type", "T:type,out_type:type=int32", "" },
	{ "Softmax", "logits:T", "softmax:T", "T:type", "" },
	{ "SparseSoftmaxCrossEntropyWithLogits", "features:T,labels:Tlabels", "loss:T,backprop:T",
	  "T:type,Tlabels:type=int64", "" },
	{ "Sub", "x:T,y:T", "z:T", "T:type", "" },
	{ "Tile", "input:T,multiples:Tmultiples", "output:T", "T:type,Tmultiples:type=int32", "" },
	{ "VariableV2", "", "ref:&dtype", "shape:shape,dtype:type,container:string=,shared_name:string=", "S" },
	{ "ZerosLike", "x:T", "y:T", "T:type", "" },
};

/* Split "a,b,c" into gnew'd pieces; returns the count. */
static size_t split(const char *s, char sep, char **out, size_t max)
{
	size_t n = 0;

	while (*s) {
		const char *end = strchr(s, sep);
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (n == max)
			gdie("op spec too long");
		out[n] = gnew(len + 1);
		memcpy(out[n++], s, len);
		s += len + (end != NULL);
	}
	return n;
}

static Tensorflow__OpDef__ArgDef **op_args(const char *spec, size_t *n)
{
	char *part[16];
	Tensorflow__OpDef__ArgDef **args;

	*n = split(spec, ',', part, 16);
	args = gnew(*n * sizeof(*args));
	for (size_t i = 0; i < *n; i++) {
		Tensorflow__OpDef__ArgDef *a = gnew(sizeof(*a));
		char *t = strchr(part[i], ':');
		tensorflow__op_def__arg_def__init(a);
		*t++ = '\0';
		a->name = part[i];
		if (*t == '&')
			a->is_ref = 1, t++;
		if (*t == '#')
			a->type = (Tensorflow__DataType)dtype_from_name(t + 1);
		else if (*t == '@')
			a->type_list_attr = t + 1;
		else
			a->type_attr = t;
		args[i] = a;
	}
	return args;
}

static Tensorflow__OpDef__AttrDef **op_attrs(const char *spec, size_t *n)
{
	char *part[16];
	Tensorflow__OpDef__AttrDef **attrs;

	*n = split(spec, ',', part, 16);
	attrs = gnew(*n * sizeof(*attrs));
	for (size_t i = 0; i < *n; i++) {
		Tensorflow__OpDef__AttrDef *a = gnew(sizeof(*a));
		char *kind = strchr(part[i], ':'), *def, *min;
		tensorflow__op_def__attr_def__init(a);
		*kind++ = '\0';
		a->name = part[i];
		a->type = kind;
		if ((min = strstr(kind, ">=")) != NULL) {
			*min = '\0';
			a->has_minimum = 1;
			a->minimum = atoi(min + 2);
		}
		if ((def = strchr(kind, '=')) != NULL) {
			Tensorflow__AttrValue *v = gnew(sizeof(*v));
			*def++ = '\0';
			tensorflow__attr_value__init(v);
			if (!strcmp(kind, "bool")) {
				v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_B;
				v->b = atoi(def);
			} else if (!strcmp(kind, "int")) {
				v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_I;
				v->i = atoi(def);
			} else if (!strcmp(kind, "type")) {
				v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_TYPE;
				v->type = (Tensorflow__DataType)dtype_from_name(def);
			} else if (!strcmp(kind, "shape")) {
				v->value_case = TENSORFLOW__ATTR_VALUE__VALUE_SHAPE;
				v->shape = shape_new(NULL, -1);
			} else {
				attr_set_s(v, def);
			}
			a->default_value = v;
		}
		attrs[i] = a;
	}
	return attrs;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* TF's stripped_op_list: the OpDefs of the ops used, sorted by name, descriptions removed. */
static Tensorflow__OpList *stripped_ops(const struct gbuild *g)
{
	const char *used[G_MAX_NODES];
	Tensorflow__OpList *l = gnew(sizeof(*l));
	size_t n = 0;

	tensorflow__op_list__init(l);
	for (size_t i = 0; i < g->nnodes; i++)
		used[n++] = g->nodes[i]->op;
	qsort(used, n, sizeof(*used), cmp_cstr);
	l->op = gnew(n * sizeof(*l->op));
	for (size_t i = 0; i < n; i++) {
		const struct gop *s = NULL;
		Tensorflow__OpDef *o;
		if (i && !strcmp(used[i], used[i - 1]))
			continue;
		for (size_t k = 0; k < sizeof(g_ops) / sizeof(g_ops[0]); k++)
			if (!strcmp(g_ops[k].name, used[i]))
				s = &g_ops[k];
		if (!s)
			gdie(gfmt("no OpDef for %s", used[i]));
		o = gnew(sizeof(*o));
		tensorflow__op_def__init(o);
		o->name = (char *)s->name;
		o->input_arg = op_args(s->in, &o->n_input_arg);
		o->output_arg = op_args(s->out, &o->n_output_arg);
		o->attr = op_attrs(s->attrs, &o->n_attr);
		o->is_stateful = strchr(s->flags, 'S') != NULL;
		o->is_commutative = strchr(s->flags, 'C') != NULL;
		o->allows_uninitialized_input = strchr(s->flags, 'U') != NULL;
		l->op[l->n_op++] = o;
	}
	return l;
}

static int cmp_attr_entry(const void *a, const void *b)
{
	return strcmp((*(Tensorflow__NodeDef__AttrEntry *const *)a)->key,
		      (*(Tensorflow__NodeDef__AttrEntry *const *)b)->key);
}

static Tensorflow__CollectionDef *collection(Tensorflow__MetaGraphDef *mg, const char *key)
{
	Tensorflow__MetaGraphDef__CollectionDefEntry *e = gnew(sizeof(*e));
	Tensorflow__CollectionDef *c = gnew(sizeof(*c));

	tensorflow__meta_graph_def__collection_def_entry__init(e);
	tensorflow__collection_def__init(c);
	e->key = gstr(key);
	e->value = c;
	mg->collection_def[mg->n_collection_def++] = e;
	return c;
}

/* A bytes_list collection of VariableDefs: all, the trainable ones, or the one named only. */
static void var_collection(Tensorflow__MetaGraphDef *mg, const char *key, const struct gbuild *g,
			   int only_trainable, const char *only)
{
	Tensorflow__CollectionDef *c = collection(mg, key);
	Tensorflow__CollectionDef__BytesList *bl = gnew(sizeof(*bl));

	tensorflow__collection_def__bytes_list__init(bl);
	c->kind_case = TENSORFLOW__COLLECTION_DEF__KIND_BYTES_LIST;
	c->bytes_list = bl;
	bl->value = gnew(g->nvars * sizeof(*bl->value));
	for (size_t i = 0; i < g->nvars; i++) {
		size_t len;
		if ((only_trainable && !g->vars[i]->trainable) || (only && strcmp(only, g->var_names[i])))
			continue;
		len = tensorflow__variable_def__get_packed_size(g->vars[i]);
		bl->value[bl->n_value].data = gnew(len);
		bl->value[bl->n_value].len = tensorflow__variable_def__pack(g->vars[i],
									     bl->value[bl->n_value].data);
		bl->n_value++;
	}
}

static void write_message(const char *path, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *p = gnew(len);
	FILE *f;

	protobuf_c_message_pack(m, p);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static const struct { const char *name; int64_t dims[2]; int rank; } g_layers[] = {
	{ "dense/kernel", { 784, 128 }, 2 }, { "dense/bias", { 128 }, 1 },
	{ "dense_1/kernel", { 128, 10 }, 2 }, { "dense_1/bias", { 10 }, 1 },
};
#define G_XENT "SparseSoftmaxCrossEntropyWithLogits/SparseSoftmaxCrossEntropyWithLogits"

/* Placeholders, the two dense layers, softmax, the mean loss and the global step. */
static void build_model(struct gbuild *g)
{
	int64_t batch_784[2] = { -1, 784 }, batch[1] = { -1 };
	int32_t zero = 0;
	Tensorflow__NodeDef *nd;

	nd = node(g, "x", "Placeholder", NULL);
	a_type(nd, "dtype", DT_FLOAT);
	a_shape(nd, "shape", batch_784, 2);
	nd = node(g, "labels", "Placeholder", NULL);
	a_type(nd, "dtype", DT_INT64);
	a_shape(nd, "shape", batch, 1);
	for (int l = 0; l < 2; l++) {
		const char *d = l ? "dense_1" : "dense";
		const int64_t *kd = g_layers[2 * l].dims;
		variable(g, g_layers[2 * l].name, DT_FLOAT, kd, 2, INIT_GLOROT,
			 sqrtf(6.0f / (float)(kd[0] + kd[1])), NULL, 1);
		variable(g, g_layers[2 * l + 1].name, DT_FLOAT, g_layers[2 * l + 1].dims, 1, INIT_ZEROS,
			 0, NULL, 1);
		nd = fop(g, gfmt("%s/MatMul", d), "MatMul", l ? "dense/Relu" : "x", gfmt("%s/kernel/read", d));
		a_bool(nd, "transpose_a", 0);
		a_bool(nd, "transpose_b", 0);
		nd = fop(g, gfmt("%s/BiasAdd", d), "BiasAdd", gfmt("%s/MatMul", d), gfmt("%s/bias/read", d));
		a_str(nd, "data_format", "NHWC");
		if (!l)
			fop(g, "dense/Relu", "Relu", "dense/BiasAdd", NULL);
	}
	fop(g, "Softmax", "Softmax", "dense_1/BiasAdd", NULL);

	nd = node(g, "SparseSoftmaxCrossEntropyWithLogits/Shape", "Shape", "labels", NULL);
	a_type(nd, "T", DT_INT64);
	a_type(nd, "out_type", DT_INT32);
	nd = fop(g, G_XENT, "SparseSoftmaxCrossEntropyWithLogits", "dense_1/BiasAdd", "labels");
	a_type(nd, "Tlabels", DT_INT64);
	const_int32(g, "Const", &zero, 1, 1);
	nd = fop(g, "Mean", "Mean", G_XENT, "Const");
	a_type(nd, "Tidx", DT_INT32);
	a_bool(nd, "keep_dims", 0);
	variable(g, "global_step", DT_INT64, NULL, 0, INIT_ZEROS, 0, NULL, 0);
}

/* tf.gradients of the mean loss, back through both layers. */
static void build_gradients(struct gbuild *g)
{
	const char *mg = "gradients/Mean_grad";
	const char *sg = "gradients/" G_XENT "_grad";
	const char *up = gfmt("%s/mul", sg);
	int32_t zero = 0, one = 1, minus_one = -1;
	Tensorflow__NodeDef *nd;

	const_int32(g, "gradients/Shape", NULL, 0, 1);
	const_float(g, "gradients/grad_ys_0", 1.0f, NULL, 0);
	a_type(fop(g, "gradients/Fill", "Fill", "gradients/Shape", "gradients/grad_ys_0"),
	       "index_type", DT_INT32);
	const_int32(g, gfmt("%s/Reshape/shape", mg), &one, 1, 1);
	a_type(fop(g, gfmt("%s/Reshape", mg), "Reshape", "gradients/Fill", gfmt("%s/Reshape/shape", mg)),
	       "Tshape", DT_INT32);
	a_type(fop(g, gfmt("%s/Shape", mg), "Shape", G_XENT, NULL), "out_type", DT_INT32);
	a_type(fop(g, gfmt("%s/Tile", mg), "Tile", gfmt("%s/Reshape", mg), gfmt("%s/Shape", mg)),
	       "Tmultiples", DT_INT32);
	a_type(fop(g, gfmt("%s/Shape_1", mg), "Shape", G_XENT, NULL), "out_type", DT_INT32);
	const_int32(g, gfmt("%s/Shape_2", mg), NULL, 0, 1);
	for (int k = 0; k < 2; k++) {  /* Prod(Shape_1, Const), Prod_1(Shape_2, Const_1) */
		const char *c = gfmt("%s/Const%s", mg, k ? "_1" : "");
		const_int32(g, c, &zero, 1, 1);
		nd = node(g, gfmt("%s/Prod%s", mg, k ? "_1" : ""), "Prod",
			  gfmt("%s/Shape_%d", mg, k + 1), c, NULL);
		a_type(nd, "T", DT_INT32);
		a_type(nd, "Tidx", DT_INT32);
		a_bool(nd, "keep_dims", 0);
	}
	const_int32(g, gfmt("%s/Maximum/y", mg), &one, 1, 0);
	a_type(node(g, gfmt("%s/Maximum", mg), "Maximum", gfmt("%s/Prod_1", mg),
		    gfmt("%s/Maximum/y", mg), NULL), "T", DT_INT32);
	a_type(node(g, gfmt("%s/floordiv", mg), "FloorDiv", gfmt("%s/Prod", mg),
		    gfmt("%s/Maximum", mg), NULL), "T", DT_INT32);
	nd = node(g, gfmt("%s/Cast", mg), "Cast", gfmt("%s/floordiv", mg), NULL);
	a_type(nd, "DstT", DT_FLOAT);
	a_type(nd, "SrcT", DT_INT32);
	a_bool(nd, "Truncate", 0);
	fop(g, gfmt("%s/truediv", mg), "RealDiv", gfmt("%s/Tile", mg), gfmt("%s/Cast", mg));
	fop(g, "gradients/zeros_like", "ZerosLike", G_XENT ":1", NULL);
	a_str(fop(g, gfmt("%s/PreventGradient", sg), "PreventGradient", G_XENT ":1", NULL),
	      "message", "Currently there is no way to take the second derivative of "
	      "sparse_softmax_cross_entropy_with_logits due to the fused implementation's "
	      "interaction with tf.gradients()");
	const_int32(g, gfmt("%s/ExpandDims/dim", sg), &minus_one, 1, 0);
	a_type(fop(g, gfmt("%s/ExpandDims", sg), "ExpandDims", gfmt("%s/truediv", mg),
		   gfmt("%s/ExpandDims/dim", sg)), "Tdim", DT_INT32);
	fop(g, up, "Mul", gfmt("%s/ExpandDims", sg), gfmt("%s/PreventGradient", sg));

	/* dense_1 then dense: BiasAddGrad, the MatMul pair, ReluGrad between them */
	for (int l = 1; l >= 0; l--) {
		const char *d = l ? "dense_1" : "dense";
		const char *bg = gfmt("gradients/%s/BiasAdd_grad", d);
		const char *mm = gfmt("gradients/%s/MatMul_grad", d);
		const char *back = gfmt("%s/tuple/control_dependency", bg);
		a_str(fop(g, gfmt("%s/BiasAddGrad", bg), "BiasAddGrad", up, NULL), "data_format", "NHWC");
		grad_tuple(g, bg, up, gfmt("%s/BiasAddGrad", bg));
		nd = fop(g, gfmt("%s/MatMul", mm), "MatMul", back, gfmt("%s/kernel/read", d));
		a_bool(nd, "transpose_a", 0);
		a_bool(nd, "transpose_b", 1);
		nd = fop(g, gfmt("%s/MatMul_1", mm), "MatMul", l ? "dense/Relu" : "x", back);
		a_bool(nd, "transpose_a", 1);
		a_bool(nd, "transpose_b", 0);
		grad_tuple(g, mm, gfmt("%s/MatMul", mm), gfmt("%s/MatMul_1", mm));
		if (l) {
			up = "gradients/dense/Relu_grad/ReluGrad";
			fop(g, up, "ReluGrad", gfmt("%s/tuple/control_dependency", mm), "dense/Relu");
		}
	}
}

/* Adam: beta powers (colocated with the first variable by name), two slots a variable, one
 * ApplyAdam a variable, then the powers and the global step move on; and the initializer. */
static void build_adam(struct gbuild *g)
{
	static const char *const grads[] = {  /* the gradient each layer's ApplyAdam takes */
		"gradients/dense/MatMul_grad/tuple/control_dependency_1",
		"gradients/dense/BiasAdd_grad/tuple/control_dependency_1",
		"gradients/dense_1/MatMul_grad/tuple/control_dependency_1",
		"gradients/dense_1/BiasAdd_grad/tuple/control_dependency_1",
	};
	const char *in[G_MAX_VARS + 8];
	Tensorflow__NodeDef *nd;
	size_t n;

	variable(g, "beta1_power", DT_FLOAT, NULL, 0, INIT_VALUE, 0.9f, "dense/bias", 0);
	variable(g, "beta2_power", DT_FLOAT, NULL, 0, INIT_VALUE, 0.999f, "dense/bias", 0);
	for (size_t i = 0; i < 4; i++)
		for (int k = 0; k < 2; k++)
			variable(g, gfmt("%s/Adam%s", g_layers[i].name, k ? "_1" : ""), DT_FLOAT,
				 g_layers[i].dims, g_layers[i].rank, INIT_ZEROS, 0, g_layers[i].name, 0);
	const_float(g, "Adam/learning_rate", 0.001f, NULL, 0);
	const_float(g, "Adam/beta1", 0.9f, NULL, 0);
	const_float(g, "Adam/beta2", 0.999f, NULL, 0);
	const_float(g, "Adam/epsilon", 1e-08f, NULL, 0);
	for (size_t i = 0; i < 4; i++) {
		const char *v = g_layers[i].name;
		nd = node(g, gfmt("Adam/update_%s/ApplyAdam", v), "ApplyAdam", v, gfmt("%s/Adam", v),
			  gfmt("%s/Adam_1", v), "beta1_power/read", "beta2_power/read",
			  "Adam/learning_rate", "Adam/beta1", "Adam/beta2", "Adam/epsilon", grads[i], NULL);
		a_type(nd, "T", DT_FLOAT);
		a_class(nd, v);
		a_bool(nd, "use_locking", 0);
		a_bool(nd, "use_nesterov", 0);
	}
	for (int k = 0; k < 2; k++) {
		const char *power = k ? "beta2_power" : "beta1_power";
		const char *mul = k ? "Adam/mul_1" : "Adam/mul";
		n = 0;
		in[n++] = gfmt("%s/read", power);
		in[n++] = k ? "Adam/beta2" : "Adam/beta1";
		for (size_t i = 0; i < 4; i++)
			in[n++] = gfmt("^Adam/update_%s/ApplyAdam", g_layers[i].name);
		nd = node_in(g, mul, "Mul", in, n);
		a_type(nd, "T", DT_FLOAT);
		a_class(nd, "dense/bias");
		nd = node(g, k ? "Adam/Assign_1" : "Adam/Assign", "Assign", power, mul, NULL);
		a_type(nd, "T", DT_FLOAT);
		a_class(nd, "dense/bias");
		a_bool(nd, "use_locking", 0);
		a_bool(nd, "validate_shape", 1);
	}
	n = 0;
	for (size_t i = 0; i < 4; i++)
		in[n++] = gfmt("^Adam/update_%s/ApplyAdam", g_layers[i].name);
	in[n++] = "^Adam/Assign";
	in[n++] = "^Adam/Assign_1";
	node_in(g, "Adam/update", "NoOp", in, n);
	a_class(const_int64(g, "Adam/value", 1), "global_step");
	nd = node(g, "Adam", "AssignAdd", "global_step", "Adam/value", "^Adam/update", NULL);
	a_type(nd, "T", DT_INT64);
	a_class(nd, "global_step");
	a_bool(nd, "use_locking", 0);

	n = 0;
	for (size_t i = 0; i < g->nvars; i++)
		in[n++] = gfmt("^%s", g->vars[i]->initializer_name);
	node_in(g, "init", "NoOp", in, n);
}

/* tf.train.Saver() (V2, not sharded): every variable by name, sorted as Saver sorts them,
 * saved by save/SaveV2 and read back by one save/RestoreV2 feeding save/Assign_N. */
static void build_saver(struct gbuild *g)
{
	const char *in[G_MAX_VARS + 3], *saved[G_MAX_VARS], *empty[G_MAX_VARS];
	int dtypes[G_MAX_VARS];
	Tensorflow__NodeDef *nd;
	size_t n = 0;

	for (size_t i = 0; i < g->nvars; i++)
		saved[i] = g->var_names[i];
	qsort(saved, g->nvars, sizeof(*saved), cmp_cstr);
	for (size_t i = 0; i < g->nvars; i++) {
		dtypes[i] = strcmp(saved[i], "global_step") ? DT_FLOAT : DT_INT64;
		empty[i] = "";
	}
	const_strings(g, "save/filename/input", (const char *[]){ "model" }, 1, 0);
	nd = node(g, "save/filename", "PlaceholderWithDefault", "save/filename/input", NULL);
	a_type(nd, "dtype", DT_STRING);
	a_shape(nd, "shape", NULL, 0);
	nd = node(g, "save/Const", "PlaceholderWithDefault", "save/filename", NULL);
	a_type(nd, "dtype", DT_STRING);
	a_shape(nd, "shape", NULL, 0);
	const_strings(g, "save/SaveV2/tensor_names", saved, g->nvars, 1);
	const_strings(g, "save/SaveV2/shape_and_slices", empty, g->nvars, 1);
	in[n++] = "save/Const";
	in[n++] = "save/SaveV2/tensor_names";
	in[n++] = "save/SaveV2/shape_and_slices";
	for (size_t i = 0; i < g->nvars; i++)
		in[n++] = saved[i];
	a_types(node_in(g, "save/SaveV2", "SaveV2", in, n), "dtypes", dtypes, g->nvars);
	nd = node(g, "save/control_dependency", "Identity", "save/Const", "^save/SaveV2", NULL);
	a_type(nd, "T", DT_STRING);
	a_class(nd, "save/Const");
	const_strings(g, "save/RestoreV2/tensor_names", saved, g->nvars, 1);
	const_strings(g, "save/RestoreV2/shape_and_slices", empty, g->nvars, 1);
	a_types(node(g, "save/RestoreV2", "RestoreV2", "save/Const", "save/RestoreV2/tensor_names",
		     "save/RestoreV2/shape_and_slices", NULL), "dtypes", dtypes, g->nvars);
	n = 0;
	for (size_t i = 0; i < g->nvars; i++) {
		const char *assign = i ? gfmt("save/Assign_%zu", i) : "save/Assign";
		nd = node(g, assign, "Assign", saved[i],
			  i ? gfmt("save/RestoreV2:%zu", i) : "save/RestoreV2", NULL);
		a_type(nd, "T", dtypes[i]);
		a_class(nd, saved[i]);
		a_bool(nd, "use_locking", 1);
		a_bool(nd, "validate_shape", 1);
		in[n++] = gfmt("^%s", assign);
	}
	node_in(g, "save/restore_all", "NoOp", in, n);
}

/* The graph with its meta info, saver and collections, written to path. */
static void write_training_meta(const char *path)
{
	struct gbuild *g = gnew(sizeof(*g));
	Tensorflow__MetaGraphDef *mg = gnew(sizeof(*mg));
	Tensorflow__MetaGraphDef__MetaInfoDef *mi = gnew(sizeof(*mi));
	Tensorflow__GraphDef *gd = gnew(sizeof(*gd));
	Tensorflow__VersionDef *ver = gnew(sizeof(*ver));
	Tensorflow__SaverDef *sd = gnew(sizeof(*sd));
	Tensorflow__CollectionDef *c;

	build_model(g);
	build_gradients(g);
	build_adam(g);
	build_saver(g);

	/* The MetaGraphDef around it. */
	for (size_t i = 0; i < g->nnodes; i++)
		qsort(g->nodes[i]->attr, g->nodes[i]->n_attr, sizeof(*g->nodes[i]->attr), cmp_attr_entry);
	tensorflow__meta_graph_def__init(mg);
	tensorflow__meta_graph_def__meta_info_def__init(mi);
	tensorflow__graph_def__init(gd);
	tensorflow__version_def__init(ver);
	tensorflow__saver_def__init(sd);
	mi->tensorflow_version = "1.15.0";
	mi->tensorflow_git_version = "v1.15.0-rc3-22-g590d6ee";
	mi->stripped_op_list = stripped_ops(g);
	mg->meta_info_def = mi;
	ver->producer = 134;
	gd->versions = ver;
	gd->node = g->nodes;
	gd->n_node = g->nnodes;
	mg->graph_def = gd;
	sd->filename_tensor_name = "save/Const:0";
	sd->save_tensor_name = "save/control_dependency:0";
	sd->restore_op_name = "save/restore_all";
	sd->max_to_keep = 5;
	sd->keep_checkpoint_every_n_hours = 10000.0f;
	sd->version = TENSORFLOW__SAVER_DEF__CHECKPOINT_FORMAT_VERSION__V2;
	mg->saver_def = sd;
	mg->collection_def = gnew(4 * sizeof(*mg->collection_def));
	var_collection(mg, "global_step", g, 0, "global_step");
	c = collection(mg, "train_op");
	c->kind_case = TENSORFLOW__COLLECTION_DEF__KIND_NODE_LIST;
	c->node_list = gnew(sizeof(*c->node_list));
	tensorflow__collection_def__node_list__init(c->node_list);
	c->node_list->value = gnew(sizeof(char *));
	c->node_list->value[0] = "Adam";
	c->node_list->n_value = 1;
	var_collection(mg, "trainable_variables", g, 1, NULL);
	var_collection(mg, "variables", g, 0, NULL);
	write_message(path, &mg->base);
	gfree_all();
}

/* graph/run: the graph above at step 1000 beside its checkpoint and state file.
 * graph/ported: the same model's weights from elsewhere: the first layer under a `model/`
 * scope, a 12-class head, no optimizer slots; a restore into the graph fails. */
static void make_graph(const char *dir)
{
	const char *all[] = { "model.ckpt-1000" }, *ported[] = { "model.ckpt" };
	char path[4096];
	struct bundle_writer *w;
	int64_t k1[2] = { 784, 128 }, b1[1] = { 128 }, k2[2] = { 128, 12 }, b2[1] = { 12 }, step = 1000;

	snprintf(path, sizeof(path), "%s/run", dir);
	mkdir(path, 0777);
	sample_at(path, 1000, 0x5eed1000);
	write_state(path, all[0], all, 1);
	snprintf(path, sizeof(path), "%s/run/model.ckpt-1000.meta", dir);
	write_training_meta(path);

	snprintf(path, sizeof(path), "%s/ported", dir);
	mkdir(path, 0777);
	write_state(path, ported[0], ported, 1);
	snprintf(path, sizeof(path), "%s/ported/model.ckpt", dir);
	w = open_w(path, 1);
	rng_state = 0x9047ed;
	add_scalar(w, "global_step", DT_INT64, &step, 8);
	add_f32(w, "model/dense/kernel", k1, 2, 0.05f, 0);
	add_f32(w, "model/dense/bias", b1, 1, 0.01f, 0);
	add_f32(w, "dense_1/kernel", k2, 2, 0.1f, 0);
	add_f32(w, "dense_1/bias", b2, 1, 0.01f, 0);
	finish(w);
}

/* Two checkpoints whose differences involve NaN and Inf (`ckpt diff` statistics cover the pairs
 * of finite values only): every value NaN -> finite, one NaN and a finite change, an Inf gone,
 * infinities swapped (no finite pair, no NaN/Inf count changed), and a counter. */
static void make_nanpair(const char *dir)
{
	char pa[4096], pb[4096];
	struct bundle_writer *a, *b;
	int64_t d34[2] = { 3, 4 }, d4[1] = { 4 }, d3[1] = { 3 }, d2[1] = { 2 };
	float nan12[12], fin12[12];
	float ba[4] = { NAN, 1, 2, 3 }, bb[4] = { 0.5f, 1, 2.5f, 3 };
	float ia[3] = { INFINITY, 1, 2 }, ib[3] = { 3, 1, 2.5f };
	float sa[2] = { INFINITY, -INFINITY }, sb[2] = { -INFINITY, INFINITY };
	int64_t ga = 100, gb = 200;

	for (int i = 0; i < 12; i++) {
		nan12[i] = NAN;
		fin12[i] = 0.25f * (float)(i + 1);
	}
	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	a = open_w(pa, 1);
	b = open_w(pb, 1);
	bundle_writer_add(a, "dense/kernel", 12, DT_FLOAT, d34, 2, 0, nan12, sizeof(nan12));
	bundle_writer_add(b, "dense/kernel", 12, DT_FLOAT, d34, 2, 0, fin12, sizeof(fin12));
	bundle_writer_add(a, "dense/bias", 10, DT_FLOAT, d4, 1, 0, ba, sizeof(ba));
	bundle_writer_add(b, "dense/bias", 10, DT_FLOAT, d4, 1, 0, bb, sizeof(bb));
	bundle_writer_add(a, "inf_gone", 8, DT_FLOAT, d3, 1, 0, ia, sizeof(ia));
	bundle_writer_add(b, "inf_gone", 8, DT_FLOAT, d3, 1, 0, ib, sizeof(ib));
	bundle_writer_add(a, "inf_swapped", 11, DT_FLOAT, d2, 1, 0, sa, sizeof(sa));
	bundle_writer_add(b, "inf_swapped", 11, DT_FLOAT, d2, 1, 0, sb, sizeof(sb));
	bundle_writer_add(a, "global_step", 11, DT_INT64, NULL, 0, 0, &ga, sizeof(ga));
	bundle_writer_add(b, "global_step", 11, DT_INT64, NULL, 0, 0, &gb, sizeof(gb));
	finish(a);
	finish(b);
}

/* Two steps of a small training run for `ckpt diff --stat`: weights under scopes whose relative
 * changes span orders of magnitude (0.5, 0.01, 1e-4, 2e-6), one unchanged, and a counter. */
static void make_trainpair(const char *dir)
{
	static const struct { const char *name; int rows; double rel; } w[] = {
		{ "decoder/kernel", 2, 0 }, { "encoder/layer_0/bias", 1, 0.01 },
		{ "encoder/layer_0/kernel", 4, 1e-4 }, { "encoder/layer_1/bias", 1, 0 },
		{ "encoder/layer_1/kernel", 4, 0.5 },
	};
	char pa[4096], pb[4096];
	struct bundle_writer *a, *b;
	int64_t ga = 1000, gb = 2000;

	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	a = open_w(pa, 1);
	b = open_w(pb, 1);
	for (size_t k = 0; k < sizeof(w) / sizeof(w[0]); k++) {
		int64_t dims[2] = { w[k].rows, 4 };
		float x[16], y[16];
		int n = w[k].rows * 4;
		for (int i = 0; i < n; i++) {
			x[i] = 1 + 0.25f * (float)i;
			y[i] = (float)(x[i] * (1 + w[k].rel));
		}
		if (!strcmp(w[k].name, "decoder/kernel")) {  /* all ones, one moved by 4e-6 */
			for (int i = 0; i < n; i++)
				x[i] = y[i] = 1;
			y[n - 1] = 1.000004f;
		}
		bundle_writer_add(a, w[k].name, strlen(w[k].name), DT_FLOAT, w[k].rows > 1 ? dims : dims + 1,
				  w[k].rows > 1 ? 2 : 1, 0, x, (size_t)n * sizeof(float));
		bundle_writer_add(b, w[k].name, strlen(w[k].name), DT_FLOAT, w[k].rows > 1 ? dims : dims + 1,
				  w[k].rows > 1 ? 2 : 1, 0, y, (size_t)n * sizeof(float));
	}
	bundle_writer_add(a, "global_step", 11, DT_INT64, NULL, 0, 0, &ga, sizeof(ga));
	bundle_writer_add(b, "global_step", 11, DT_INT64, NULL, 0, 0, &gb, sizeof(gb));
	finish(a);
	finish(b);
}

/* ---- graph-hub/: a TF1 graph using a TF-Hub module, with two savers ------------------------
 * What a tf.compat.v1 program leaves that loads a hub.Module (its variables initialised by
 * tf.train.init_from_checkpoint: the checkpoint_initializer ops, reading the module's own
 * checkpoint under the module's names), adds a layer, and saves with tf.train.Saver() after
 * another Saver was made for the module alone (save/: "embeddings", "bias"). The graph's saver_def
 * is the second one, save_1/, which restores every variable by its graph name. The resource
 * placeholders (unknown, unknown_0, ...) stand for the hundreds a module's functions capture. */

/* A V2 Saver under scope restoring keys[i] into vars[i] (keys sorted), as build_saver does. */
static void hub_saver(struct gbuild *g, const char *scope, const char *const *keys,
		      const char *const *vars, const int *dtypes, size_t n)
{
	const char *in[G_MAX_VARS + 3], *empty[G_MAX_VARS];
	Tensorflow__NodeDef *nd;
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		empty[i] = "";
	const_strings(g, gfmt("%s/filename/input", scope), (const char *[]){ "model" }, 1, 0);
	nd = node(g, gfmt("%s/filename", scope), "PlaceholderWithDefault",
		  gfmt("%s/filename/input", scope), NULL);
	a_type(nd, "dtype", DT_STRING);
	a_shape(nd, "shape", NULL, 0);
	nd = node(g, gfmt("%s/Const", scope), "PlaceholderWithDefault", gfmt("%s/filename", scope), NULL);
	a_type(nd, "dtype", DT_STRING);
	a_shape(nd, "shape", NULL, 0);
	const_strings(g, gfmt("%s/RestoreV2/tensor_names", scope), keys, n, 1);
	const_strings(g, gfmt("%s/RestoreV2/shape_and_slices", scope), empty, n, 1);
	a_types(node(g, gfmt("%s/RestoreV2", scope), "RestoreV2", gfmt("%s/Const", scope),
		     gfmt("%s/RestoreV2/tensor_names", scope),
		     gfmt("%s/RestoreV2/shape_and_slices", scope), NULL), "dtypes", dtypes, n);
	for (size_t i = 0; i < n; i++) {
		const char *assign = i ? gfmt("%s/Assign_%zu", scope, i) : gfmt("%s/Assign", scope);
		nd = node(g, assign, "Assign", vars[i],
			  i ? gfmt("%s/RestoreV2:%zu", scope, i) : gfmt("%s/RestoreV2", scope), NULL);
		a_type(nd, "T", dtypes[i]);
		a_bool(nd, "use_locking", 1);
		a_bool(nd, "validate_shape", 1);
		in[k++] = gfmt("^%s", assign);
	}
	node_in(g, gfmt("%s/restore_all", scope), "NoOp", in, k);
}

/* tf.train.init_from_checkpoint: one RestoreV2 per variable, named checkpoint_initializer[_N]. */
static void hub_initializer(struct gbuild *g, const char *name, const char *key, int dtype)
{
	Tensorflow__NodeDef *nd;

	const_strings(g, gfmt("%s/prefix", name), (const char *[]){ "module/variables/variables" }, 1, 0);
	const_strings(g, gfmt("%s/tensor_names", name), &key, 1, 1);
	const_strings(g, gfmt("%s/shape_and_slices", name), (const char *[]){ "" }, 1, 1);
	nd = node(g, name, "RestoreV2", gfmt("%s/prefix", name), gfmt("%s/tensor_names", name),
		  gfmt("%s/shape_and_slices", name), NULL);
	a_types(nd, "dtypes", &dtype, 1);
}

static void write_hub_meta(const char *path, int with_saver_def)
{
	static const char *const all[] = { "dense/bias", "dense/kernel", "global_step",
					   "module/bias", "module/embeddings" };
	static const char *const mkeys[] = { "bias", "embeddings" };
	static const char *const mvars[] = { "module/bias", "module/embeddings" };
	static const int all_dt[] = { DT_FLOAT, DT_FLOAT, DT_INT64, DT_FLOAT, DT_FLOAT };
	static const int m_dt[] = { DT_FLOAT, DT_FLOAT };
	struct gbuild *g = gnew(sizeof(*g));
	Tensorflow__MetaGraphDef *mg = gnew(sizeof(*mg));
	Tensorflow__MetaGraphDef__MetaInfoDef *mi = gnew(sizeof(*mi));
	Tensorflow__GraphDef *gd = gnew(sizeof(*gd));
	Tensorflow__VersionDef *ver = gnew(sizeof(*ver));
	Tensorflow__SaverDef *sd = gnew(sizeof(*sd));
	int64_t batch[1] = { -1 }, emb[2] = { 100, 8 }, b8[1] = { 8 }, k[2] = { 8, 2 }, b2[1] = { 2 };
	Tensorflow__NodeDef *nd;

	nd = node(g, "text", "Placeholder", NULL);
	a_type(nd, "dtype", DT_STRING);
	a_shape(nd, "shape", batch, 1);
	for (int i = 0; i < 3; i++) {
		nd = node(g, i ? gfmt("unknown_%d", i - 1) : "unknown", "Placeholder", NULL);
		a_type(nd, "dtype", DT_RESOURCE);
		a_shape(nd, "shape", NULL, 0);
	}
	variable(g, "module/embeddings", DT_FLOAT, emb, 2, INIT_ZEROS, 0, NULL, 0);
	variable(g, "module/bias", DT_FLOAT, b8, 1, INIT_ZEROS, 0, NULL, 0);
	hub_initializer(g, "checkpoint_initializer", "embeddings", DT_FLOAT);
	hub_initializer(g, "checkpoint_initializer_1", "bias", DT_FLOAT);
	variable(g, "dense/kernel", DT_FLOAT, k, 2, INIT_ZEROS, 0, NULL, 1);
	variable(g, "dense/bias", DT_FLOAT, b2, 1, INIT_ZEROS, 0, NULL, 1);
	variable(g, "global_step", DT_INT64, NULL, 0, INIT_ZEROS, 0, NULL, 0);
	hub_saver(g, "save", mkeys, mvars, m_dt, 2);
	hub_saver(g, "save_1", all, all, all_dt, 5);

	for (size_t i = 0; i < g->nnodes; i++)
		qsort(g->nodes[i]->attr, g->nodes[i]->n_attr, sizeof(*g->nodes[i]->attr), cmp_attr_entry);
	tensorflow__meta_graph_def__init(mg);
	tensorflow__meta_graph_def__meta_info_def__init(mi);
	tensorflow__graph_def__init(gd);
	tensorflow__version_def__init(ver);
	tensorflow__saver_def__init(sd);
	mi->tensorflow_version = "1.15.0";
	mi->tensorflow_git_version = "v1.15.0-rc3-22-g590d6ee";
	mi->stripped_op_list = stripped_ops(g);
	mg->meta_info_def = mi;
	ver->producer = 134;
	gd->versions = ver;
	gd->node = g->nodes;
	gd->n_node = g->nnodes;
	mg->graph_def = gd;
	if (with_saver_def) {
		sd->filename_tensor_name = "save_1/Const:0";
		sd->save_tensor_name = "save_1/control_dependency:0";
		sd->restore_op_name = "save_1/restore_all";
		sd->max_to_keep = 5;
		sd->keep_checkpoint_every_n_hours = 10000.0f;
		sd->version = TENSORFLOW__SAVER_DEF__CHECKPOINT_FORMAT_VERSION__V2;
		mg->saver_def = sd;
	}
	mg->collection_def = gnew(2 * sizeof(*mg->collection_def));
	var_collection(mg, "trainable_variables", g, 1, NULL);
	var_collection(mg, "variables", g, 0, NULL);
	write_message(path, &mg->base);
	gfree_all();
}

/* graph-hub/run: the graph above at step 100 beside a checkpoint holding exactly what save_1/
 * restores. graph-hub/module: the module's own checkpoint (what save/ and the initializers
 * read). graph-hub/nosaverdef.meta: the same graph exported without its saver_def. */
static void make_graph_hub(const char *dir)
{
	const char *all[] = { "model.ckpt-100" };
	char path[4096];
	struct bundle_writer *w;
	int64_t emb[2] = { 100, 8 }, b8[1] = { 8 }, k[2] = { 8, 2 }, b2[1] = { 2 }, step = 100;

	snprintf(path, sizeof(path), "%s/run", dir);
	mkdir(path, 0777);
	write_state(path, all[0], all, 1);
	snprintf(path, sizeof(path), "%s/run/model.ckpt-100", dir);
	w = open_w(path, 1);
	rng_state = 0x4ab;
	add_f32(w, "dense/bias", b2, 1, 0.01f, 0);
	add_f32(w, "dense/kernel", k, 2, 0.1f, 0);
	add_scalar(w, "global_step", DT_INT64, &step, 8);
	add_f32(w, "module/bias", b8, 1, 0.01f, 0);
	add_f32(w, "module/embeddings", emb, 2, 0.1f, 0);
	finish(w);
	snprintf(path, sizeof(path), "%s/run/model.ckpt-100.meta", dir);
	write_hub_meta(path, 1);
	snprintf(path, sizeof(path), "%s/nosaverdef.meta", dir);
	write_hub_meta(path, 0);

	snprintf(path, sizeof(path), "%s/module", dir);
	mkdir(path, 0777);
	snprintf(path, sizeof(path), "%s/module/variables", dir);
	w = open_w(path, 1);
	add_f32(w, "bias", b8, 1, 0.01f, 0);
	add_f32(w, "embeddings", emb, 2, 0.1f, 0);
	finish(w);
}

/* match/slim: TF1-slim style names under a net/ scope (weights, biases, offset) with Momentum
 * slots; match/keras: the same model as Keras names it (kernel, bias, beta) without the scope,
 * the checkpoint `ckpt match` must pair it with. Two layer norms of one shape differ only by
 * name (enc_ln, dec_ln). */
static void make_match(const char *dir)
{
	static const struct { const char *slim, *keras; int64_t dims[2]; int rank; } v[] = {
		{ "net/encoder/dense/weights", "encoder/dense/kernel", { 16, 8 }, 2 },
		{ "net/encoder/dense/biases", "encoder/dense/bias", { 8 }, 1 },
		{ "net/decoder/dense/weights", "decoder/dense/kernel", { 8, 16 }, 2 },
		{ "net/decoder/dense/biases", "decoder/dense/bias", { 16 }, 1 },
		{ "net/enc_ln/offset", "encoder/layer_norm/beta", { 8 }, 1 },
		{ "net/dec_ln/offset", "decoder/layer_norm/beta", { 8 }, 1 },
		{ "net/head/weights", "head/kernel", { 16, 4 }, 2 },
		{ "net/head/biases", "head/bias", { 4 }, 1 },
	};
	char path[4096], name[256];
	struct bundle_writer *w;
	int64_t step = 300;

	for (int side = 0; side < 2; side++) {
		snprintf(path, sizeof(path), "%s/%s/model.ckpt", dir, side ? "keras" : "slim");
		w = open_w(path, 1);
		add_scalar(w, "global_step", DT_INT64, &step, 8);
		for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
			rng_state = 0x3a7c + i + 100 * (uint64_t)side;
			add_f32(w, side ? v[i].keras : v[i].slim, v[i].dims, v[i].rank, 0.1f, 0);
			if (side || v[i].rank != 2)
				continue;
			snprintf(name, sizeof(name), "%s/Momentum", v[i].slim);
			add_f32(w, name, v[i].dims, v[i].rank, 0.01f, 0);
		}
		finish(w);
	}
}

/* presets/bert: a two-layer BERT as google-research/bert names it (hidden 4, intermediate 8),
 * with Adam's adam_m/adam_v slots and global_step; presets/t5: a one-block T5 in mesh
 * TensorFlow names (d_model 4, heads 2 x 2, d_ff 6, 3 buckets), with Adafactor slots. The
 * `ckpt export --preset` tests check every exported name and value against these. */
static void add_with_slots(struct bundle_writer *w, const char *name, const int64_t *dims, int rank,
			   const char *const *slots, int nslots, int factored)
{
	char slot[512];

	add_f32(w, name, dims, rank, 0.5f, 0);
	for (int s = 0; s < nslots; s++) {
		int64_t d = dims[s == 0 ? 1 : 0];
		if (factored && rank == 2) {  /* Adafactor: a row and a column accumulator */
			snprintf(slot, sizeof(slot), "%s%s", name, slots[s]);
			add_f32(w, slot, &d, 1, 0.01f, 0);
		} else if (!factored || s == 0) {
			snprintf(slot, sizeof(slot), "%s%s", name, factored ? "_slot_v" : slots[s]);
			add_f32(w, slot, dims, rank, 0.01f, 0);
		}
	}
}

static void make_presets(const char *dir)
{
	static const char *const adam[] = { "/adam_m", "/adam_v" }, *const ada[] = { "_slot_vc", "_slot_vr" };
	static const struct { const char *name; int64_t dims[2]; int rank; } bert[] = {
		{ "bert/embeddings/word_embeddings", { 10, 4 }, 2 },
		{ "bert/embeddings/position_embeddings", { 6, 4 }, 2 },
		{ "bert/embeddings/token_type_embeddings", { 2, 4 }, 2 },
		{ "bert/embeddings/LayerNorm/gamma", { 4 }, 1 },
		{ "bert/embeddings/LayerNorm/beta", { 4 }, 1 },
		{ "L/attention/self/query/kernel", { 4, 4 }, 2 },
		{ "L/attention/self/query/bias", { 4 }, 1 },
		{ "L/attention/self/key/kernel", { 4, 4 }, 2 },
		{ "L/attention/self/key/bias", { 4 }, 1 },
		{ "L/attention/self/value/kernel", { 4, 4 }, 2 },
		{ "L/attention/self/value/bias", { 4 }, 1 },
		{ "L/attention/output/dense/kernel", { 4, 4 }, 2 },
		{ "L/attention/output/dense/bias", { 4 }, 1 },
		{ "L/attention/output/LayerNorm/gamma", { 4 }, 1 },
		{ "L/attention/output/LayerNorm/beta", { 4 }, 1 },
		{ "L/intermediate/dense/kernel", { 4, 8 }, 2 },
		{ "L/intermediate/dense/bias", { 8 }, 1 },
		{ "L/output/dense/kernel", { 8, 4 }, 2 },
		{ "L/output/dense/bias", { 4 }, 1 },
		{ "L/output/LayerNorm/gamma", { 4 }, 1 },
		{ "L/output/LayerNorm/beta", { 4 }, 1 },
		{ "bert/pooler/dense/kernel", { 4, 4 }, 2 },
		{ "bert/pooler/dense/bias", { 4 }, 1 },
		{ "cls/predictions/transform/dense/kernel", { 4, 4 }, 2 },
		{ "cls/predictions/transform/dense/bias", { 4 }, 1 },
		{ "cls/predictions/transform/LayerNorm/gamma", { 4 }, 1 },
		{ "cls/predictions/transform/LayerNorm/beta", { 4 }, 1 },
		{ "cls/predictions/output_bias", { 10 }, 1 },
		{ "cls/seq_relationship/output_weights", { 2, 4 }, 2 },
		{ "cls/seq_relationship/output_bias", { 2 }, 1 },
	};
	static const struct { const char *name; int64_t dims[2]; int rank; } t5[] = {
		{ "shared/embedding", { 10, 4 }, 2 },
		{ "encoder/block_000/layer_000/SelfAttention/q", { 4, 4 }, 2 },
		{ "encoder/block_000/layer_000/SelfAttention/k", { 4, 4 }, 2 },
		{ "encoder/block_000/layer_000/SelfAttention/v", { 4, 4 }, 2 },
		{ "encoder/block_000/layer_000/SelfAttention/o", { 4, 4 }, 2 },
		{ "encoder/block_000/layer_000/SelfAttention/relative_attention_bias", { 2, 3 }, 2 },
		{ "encoder/block_000/layer_000/layer_norm/scale", { 4 }, 1 },
		{ "encoder/block_000/layer_001/DenseReluDense/wi/kernel", { 4, 6 }, 2 },
		{ "encoder/block_000/layer_001/DenseReluDense/wo/kernel", { 6, 4 }, 2 },
		{ "encoder/block_000/layer_001/layer_norm/scale", { 4 }, 1 },
		{ "encoder/final_layer_norm/scale", { 4 }, 1 },
		{ "decoder/block_000/layer_000/SelfAttention/q", { 4, 4 }, 2 },
		{ "decoder/block_000/layer_000/SelfAttention/k", { 4, 4 }, 2 },
		{ "decoder/block_000/layer_000/SelfAttention/v", { 4, 4 }, 2 },
		{ "decoder/block_000/layer_000/SelfAttention/o", { 4, 4 }, 2 },
		{ "decoder/block_000/layer_000/SelfAttention/relative_attention_bias", { 2, 3 }, 2 },
		{ "decoder/block_000/layer_000/layer_norm/scale", { 4 }, 1 },
		{ "decoder/block_000/layer_001/EncDecAttention/q", { 4, 4 }, 2 },
		{ "decoder/block_000/layer_001/EncDecAttention/k", { 4, 4 }, 2 },
		{ "decoder/block_000/layer_001/EncDecAttention/v", { 4, 4 }, 2 },
		{ "decoder/block_000/layer_001/EncDecAttention/o", { 4, 4 }, 2 },
		{ "decoder/block_000/layer_001/layer_norm/scale", { 4 }, 1 },
		{ "decoder/block_000/layer_002/DenseReluDense/wi/kernel", { 4, 6 }, 2 },
		{ "decoder/block_000/layer_002/DenseReluDense/wo/kernel", { 6, 4 }, 2 },
		{ "decoder/block_000/layer_002/layer_norm/scale", { 4 }, 1 },
		{ "decoder/final_layer_norm/scale", { 4 }, 1 },
	};
	char path[4096], name[256];
	struct bundle_writer *w;
	int64_t step = 1000;

	rng_state = 0xbe27;
	snprintf(path, sizeof(path), "%s/bert/bert_model.ckpt", dir);
	w = open_w(path, 1);
	add_scalar(w, "global_step", DT_INT64, &step, 8);
	for (size_t i = 0; i < sizeof(bert) / sizeof(bert[0]); i++)
		for (int l = 0; l < (bert[i].name[0] == 'L' ? 2 : 1); l++) {
			if (bert[i].name[0] == 'L')
				snprintf(name, sizeof(name), "bert/encoder/layer_%d%s", l, bert[i].name + 1);
			else
				snprintf(name, sizeof(name), "%s", bert[i].name);
			add_with_slots(w, name, bert[i].dims, bert[i].rank, adam, 2, 0);
		}
	finish(w);
	rng_state = 0x75;
	snprintf(path, sizeof(path), "%s/t5/model.ckpt-1000", dir);
	w = open_w(path, 1);
	add_scalar(w, "global_step", DT_INT64, &step, 8);
	for (size_t i = 0; i < sizeof(t5) / sizeof(t5[0]); i++)
		add_with_slots(w, t5[i].name, t5[i].dims, t5[i].rank, ada, 2, 1);
	finish(w);
}

static char *sub(const char *dir, const char *name)
{
	static char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	mkdir(dir, 0777);
	mkdir(path, 0777);
	return path;
}

/* A training run of five checkpoints for `ckpt trend` (model.ckpt-100 ... -500, global_step
 * 100 ... 500), values exact in float32 so the tests can compute norms and changes from the
 * definition: dense/kernel = [1..6] * (1 + k/4) (relative change 0.25 / (1 + (k-1)/4)),
 * dense/bias constant, late/w = [3, 4] * (1 + (k-2)/2) from k = 2, emb [1..4] becoming
 * [1..6] at k = 3, head/w (float64) = [1..4] + k with a NaN from k = 3 and an Inf at k = 4,
 * big/w (300000 float32, more than one 1 MiB read): (i % 7) / 4 with a NaN at 5 for i < 2^18,
 * the same in every checkpoint, then (i % 5) / 2 + k / 4. */
static void make_trendrun(const char *dir)
{
	enum { BIG = 300000, SAME = 1 << 18 };
	static float big[BIG];

	int64_t d23[2] = { 2, 3 }, d3[1] = { 3 }, d2[1] = { 2 }, d4[1] = { 4 }, d6[1] = { 6 };
	int64_t dbig[1] = { BIG };

	for (int k = 0; k < 5; k++) {
		char p[4096];
		struct bundle_writer *w;
		float kern[6], bias[3] = { 0.5f, -0.5f, 1 }, late[2], emb[6];
		double head[4];
		int64_t step = 100 * (k + 1);

		snprintf(p, sizeof(p), "%s/model.ckpt-%d", dir, 100 * (k + 1));
		w = open_w(p, 1);
		for (int i = 0; i < 6; i++) {
			kern[i] = (float)(i + 1) * (1.0f + (float)k / 4);
			emb[i] = (float)(i + 1);
		}
		for (int i = 0; i < 4; i++)
			head[i] = i + 1 + k;
		if (k >= 3)
			head[0] = NAN;
		if (k == 4)
			head[3] = INFINITY;
		late[0] = 3 * (1.0f + (float)(k - 2) / 2);
		late[1] = 4 * (1.0f + (float)(k - 2) / 2);
		bundle_writer_add(w, "dense/kernel", 12, DT_FLOAT, d23, 2, 0, kern, sizeof(kern));
		bundle_writer_add(w, "dense/bias", 10, DT_FLOAT, d3, 1, 0, bias, sizeof(bias));
		bundle_writer_add(w, "emb", 3, DT_FLOAT, k >= 3 ? d6 : d4, 1, 0, emb,
				  (k >= 3 ? 6 : 4) * sizeof(float));
		bundle_writer_add(w, "global_step", 11, DT_INT64, NULL, 0, 0, &step, sizeof(step));
		bundle_writer_add(w, "head/w", 6, DT_DOUBLE, d4, 1, 0, head, sizeof(head));
		if (k >= 2)
			bundle_writer_add(w, "late/w", 6, DT_FLOAT, d2, 1, 0, late, sizeof(late));
		for (int i = 0; i < BIG; i++)
			big[i] = i < SAME ? (float)(i % 7) / 4 : (float)(i % 5) / 2 + (float)k / 4;
		big[5] = NAN;
		bundle_writer_add(w, "big/w", 5, DT_FLOAT, dbig, 1, 0, big, sizeof(big));
		finish(w);
	}
}

int main(int argc, char **argv)
{
	const char *set, *dir;
	int all;

	if (argc != 3) {
		/* The sets are the names main() tests below; listing them here only made every new set a merge conflict. */
		fprintf(stderr, "usage: mkckpt all|sample|bench-diff|bench-verify|bench-average|SET DIR (SET: see main() in %s)\n", __FILE__);
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
	if (!strcmp(set, "many70k"))  /* more than 65535 .npz members: ZIP64 (tests/npz.t) */
		make_many(sub(dir, "many70k"), 70000);
	if (all || !strcmp(set, "names"))
		make_names(sub(dir, "names"));
	if (all || !strcmp(set, "slots"))
		make_slots(sub(dir, "slots"));
	if (all || !strcmp(set, "diffpair"))
		make_diffpair(sub(dir, "diffpair"));
	if (all || !strcmp(set, "nanpair"))
		make_nanpair(sub(dir, "nanpair"));
	if (all || !strcmp(set, "trainpair"))
		make_trainpair(sub(dir, "trainpair"));
	if (all || !strcmp(set, "halves"))
		make_halves(sub(dir, "halves"));
	if (all || !strcmp(set, "twoshards"))
		make_twoshards(sub(dir, "twoshards"));
	if (all || !strcmp(set, "v1"))
		make_v1_sets(sub(dir, "v1"));
	if (all || !strcmp(set, "showedge"))
		make_showedge(sub(dir, "showedge"));
	if (all || !strcmp(set, "tf2"))
		make_tf2(sub(dir, "tf2"));
	if (all || !strcmp(set, "graph"))
		make_graph(sub(dir, "graph"));
	if (all || !strcmp(set, "graph-hub"))
		make_graph_hub(sub(dir, "graph-hub"));
	if (all || !strcmp(set, "presets"))
		make_presets(sub(dir, "presets"));
	if (all || !strcmp(set, "match"))
		make_match(sub(dir, "match"));
	if (all || !strcmp(set, "trendrun"))
		make_trendrun(sub(dir, "trendrun"));
	return 0;
}
