/* average: three generated checkpoints averaged in small chunks equal the mean computed here
 * from the values they were made of; differences between inputs are found. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "format/slicekey.h"
#include "tensor/assemble.h"
#include "tensor/castconv.h"
#include "tensor/convert.h"
#include "edit/average.h"
#include "tap.h"

#define N 3
#define KN 1000  /* elements of "kernel": not a multiple of the chunk */

static float kernel[N][KN], bias[N][5], emb[N][12], slot[N][5];
static uint16_t halfv[N][4], bf[N][4];
static double dbl[N][3];

static void make(const char *prefix, int k, int extra)
{
	struct bundle_writer *w;
	struct ck_err err;
	int64_t kd[2] = { 40, 25 }, bd[1] = { 5 }, ed[2] = { 4, 3 }, hd[1] = { 4 }, dd[1] = { 3 };
	int64_t step = 100 * (k + 1), half_ext[4] = { 0, 2, 0, -1 }, half2[4] = { 2, 2, 0, -1 };
	int64_t sd[2] = { 2, 3 };
	struct buf key = BUF_INIT;

	srand(17 + k);
	for (int i = 0; i < KN; i++)
		kernel[k][i] = (float)rand() / RAND_MAX - 0.5f;
	/* float32 special values, through the block loops: NaN and infinities in one input, the
	 * smallest subnormal (its mean rounds to zero), the largest float (its mean is exact). */
	kernel[k][1] = k == 0 ? NAN : kernel[k][1];
	kernel[k][2] = k == 1 ? INFINITY : kernel[k][2];
	kernel[k][3] = k == 1 ? INFINITY : k == 2 ? -INFINITY : kernel[k][3];
	kernel[k][4] = k == 0 ? 1e-45f : 0;
	kernel[k][5] = 3.4028235e38f;
	kernel[k][6] = k == 0 ? -0.0f : kernel[k][6];
	for (int i = 0; i < 5; i++) {
		bias[k][i] = (float)(i + k) / 7;
		slot[k][i] = 1000.0f * (float)(k + 1);
	}
	for (int i = 0; i < 12; i++)
		emb[k][i] = (float)(i * (k + 1));
	for (int i = 0; i < 4; i++) {
		halfv[k][i] = double_to_half(0.1 * (i + 1) * (k + 1), NULL);
		bf[k][i] = double_to_bfloat16(-1.7 * (i + 1) + k, NULL);
	}
	for (int i = 0; i < 3; i++)
		dbl[k][i] = 1.0 / 3 + i + k * 1e-9;
	if (bundle_writer_open(&w, prefix, 1, BW_FORCE, &err) < 0)
		tap_bail(err.msg);
	bundle_writer_add(w, "global_step", 11, DT_INT64, NULL, 0, 0, &step, 8);
	bundle_writer_add(w, "dense/kernel", 12, DT_FLOAT, kd, 2, 0, kernel[k], sizeof(kernel[k]));
	bundle_writer_add(w, "dense/bias", 10, DT_FLOAT, bd, 1, 0, bias[k], sizeof(bias[k]));
	bundle_writer_add(w, "dense/bias/Adam", 15, DT_FLOAT, bd, 1, 0, slot[k], sizeof(slot[k]));
	bundle_writer_add(w, "h", 1, DT_HALF, hd, 1, 0, halfv[k], sizeof(halfv[k]));
	bundle_writer_add(w, "b", 1, DT_BFLOAT16, hd, 1, 0, bf[k], sizeof(bf[k]));
	bundle_writer_add(w, "d", 1, DT_DOUBLE, dd, 1, 0, dbl[k], sizeof(dbl[k]));
	{
		int64_t slices[8] = { 0, 2, 0, -1, 2, 2, 0, -1 };
		bundle_writer_add_partitioned(w, "emb", 3, DT_FLOAT, ed, 2, 2, slices);
		slice_key(&key, "emb", 3, 2, half_ext);
		bundle_writer_add(w, key.p, key.len, DT_FLOAT, sd, 2, 0, emb[k], 6 * sizeof(float));
		buf_reset(&key);
		slice_key(&key, "emb", 3, 2, half2);
		bundle_writer_add(w, key.p, key.len, DT_FLOAT, sd, 2, 0, emb[k] + 6, 6 * sizeof(float));
	}
	if (extra)
		bundle_writer_add(w, "extra", 5, DT_FLOAT, bd, 1, 0, bias[k], sizeof(bias[k]));
	buf_release(&key);
	if (bundle_writer_finish(w, &err) < 0)
		tap_bail(err.msg);
}

/* What rounding the mean x to y counts (castconv.h's rules), added up over the test's tensors. */
static struct cast_stats want_st;

static void tally(double x, double y)
{
	want_st.values++;
	want_st.changed += x != y && !(isnan(x) && isnan(y));
	want_st.overflow += isinf(y) && !isinf(x);
	want_st.underflow += y == 0 && x != 0;
}

static void read_all(struct bundle *b, const char *name, void *out, size_t size)
{
	const struct bundle_entry *e = bundle_find(b, name, strlen(name));
	struct ck_err err;

	ok(e != NULL, "output has %s", name);
	if (!e)
		return;
	if (tensor_verify(b, e, &err) < 0 || tensor_read_range(b, e, 0, e->elements, out, &err) < 0)
		tap_bail(err.msg);
	is_int(e->elements * (uint64_t)dtype_info(e->dtype)->size, size, "%s: size", name);
}

int main(void)
{
	char dir[] = "/tmp/ckpt-avg-XXXXXX", p[N][256], out[256], out2[256];
	struct bundle *in[N], *o;
	const char *labels[N] = { "A", "B", "C" };
	struct avg_opts opts = { 0 };
	struct avg_result r;
	struct cast_stats st;
	struct ck_err err;
	int bad;

	if (!mkdtemp(dir)) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	for (int k = 0; k < N; k++) {
		snprintf(p[k], sizeof(p[k]), "%s/ckpt-%d", dir, k);
		make(p[k], k, 0);
		if (bundle_open(&in[k], p[k], &err) < 0)
			tap_bail(err.msg);
	}
	snprintf(out, sizeof(out), "%s/avg", dir);
	opts.chunk = 7;  /* many chunks, the last one partial */
	ok(average_checkpoints(in, labels, N, out, &opts, &r, &err) == 0, "average of three: %s",
	   err.msg);
	is_int(r.averaged, 6, "kernel, bias, h, b, d, emb averaged");
	is_int(r.copied, 1, "global_step taken from the last");
	is_int(r.optimizer, 1, "the Adam slot left out");
	is_int(r.ndiffs, 0, "no differences");
	st = r.st;
	avg_result_release(&r);
	if (bundle_open(&o, out, &err) < 0)
		tap_bail(err.msg);
	ok(!bundle_find(o, "dense/bias/Adam", 15), "no optimizer slot in the output");
	{
		float got[KN];
		read_all(o, "dense/kernel", got, sizeof(got));
		bad = 0;
		for (int i = 0; i < KN; i++) {
			double m = ((double)kernel[0][i] + kernel[1][i] + kernel[2][i]) / 3;
			float want = (float)m;
			bad += memcmp(&got[i], &want, 4) != 0;
			tally(m, want);
		}
		is_int(bad, 0, "float32 kernel: every element is the mean, rounded once (NaN, "
		       "infinities, subnormals too)");
		ok(isnan(got[1]) && got[2] == INFINITY && isnan(got[3]) && got[4] == 0 &&
		   got[5] == 3.4028235e38f, "NaN, Inf, Inf - Inf, a tiny mean, the largest float");
		for (int i = 0; i < 5; i++)
			tally(((double)bias[0][i] + bias[1][i] + bias[2][i]) / 3,
			      (float)(((double)bias[0][i] + bias[1][i] + bias[2][i]) / 3));
	}
	{
		float got[12];
		read_all(o, "emb", got, sizeof(got));
		bad = 0;
		for (int i = 0; i < 12; i++) {
			double m = ((double)emb[0][i] + emb[1][i] + emb[2][i]) / 3;
			bad += got[i] != (float)m;
			tally(m, (float)m);
		}
		is_int(bad, 0, "partitioned tensor: both slices averaged");
	}
	{
		uint16_t got[4];
		read_all(o, "h", got, sizeof(got));
		bad = 0;
		for (int i = 0; i < 4; i++) {
			double m = (half_to_double(halfv[0][i]) + half_to_double(halfv[1][i]) +
				    half_to_double(halfv[2][i])) / 3;
			bad += got[i] != double_to_half(m, NULL);
			tally(m, half_to_double(double_to_half(m, NULL)));
		}
		is_int(bad, 0, "float16: mean of the decoded values, rounded to nearest even");
		read_all(o, "b", got, sizeof(got));
		bad = 0;
		for (int i = 0; i < 4; i++) {
			double m = (bfloat16_to_double(bf[0][i]) + bfloat16_to_double(bf[1][i]) +
				    bfloat16_to_double(bf[2][i])) / 3;
			bad += got[i] != double_to_bfloat16(m, NULL);
			tally(m, bfloat16_to_double(double_to_bfloat16(m, NULL)));
		}
		is_int(bad, 0, "bfloat16 averaged");
	}
	{
		double got[3];
		read_all(o, "d", got, sizeof(got));
		ok(fabs(got[1] - (1.0 / 3 + 1 + 1e-9)) < 1e-15, "float64 averaged in double");
		for (int i = 0; i < 3; i++)
			tally(got[i], got[i]);
		is_int(st.values, want_st.values, "rounding counted over every averaged value");
		is_int(st.changed, want_st.changed, "values rounded");
		is_int(st.underflow, want_st.underflow, "means that became zero");
		is_int(st.overflow, want_st.overflow, "overflows");
	}
	{
		int64_t step;
		read_all(o, "global_step", &step, 8);
		is_int(step, 300, "global_step from the last input");
	}
	bundle_free(o);

	/* An input with one more tensor: an error listing it, then --intersect. */
	make(p[1], 1, 1);
	bundle_free(in[1]);
	if (bundle_open(&in[1], p[1], &err) < 0)
		tap_bail(err.msg);
	snprintf(out2, sizeof(out2), "%s/avg2", dir);
	ok(average_checkpoints(in, labels, N, out2, &opts, &r, &err) == CK_EUSAGE,
	   "differing inputs are an error");
	is_int(r.ndiffs, 1, "one difference");
	ok(r.diffs.len && strstr((char *)r.diffs.p, "\"extra\": in B, not in C"), "it names the tensor "
	   "and the inputs: %s", r.diffs.len ? (char *)r.diffs.p : "");
	ok(access(out2, F_OK) != 0, "nothing written");
	avg_result_release(&r);
	opts.intersect = 1;
	opts.keep_optimizer = 1;
	ok(average_checkpoints(in, labels, N, out2, &opts, &r, &err) == 0, "--intersect: %s", err.msg);
	is_int(r.averaged, 7, "with --keep-optimizer the slot is averaged too");
	avg_result_release(&r);
	if (bundle_open(&o, out2, &err) < 0)
		tap_bail(err.msg);
	ok(!bundle_find(o, "extra", 5), "the extra tensor is left out");
	{
		float got[5];
		read_all(o, "dense/bias/Adam", got, sizeof(got));
		ok(got[0] == 2000.0f, "slot averaged: %g", got[0]);
	}
	bundle_free(o);
	for (int k = 0; k < N; k++)
		bundle_free(in[k]);
	{
		char cmd[300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return tap_done();
}
