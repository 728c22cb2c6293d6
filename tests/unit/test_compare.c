/* compare: tolerance rule, statistics, NaN/Inf bookkeeping and every numeric dtype; stored
 * payloads compared in two halves on two cores give what one pass in memory gives. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "tensor/compare.h"
#include "tap.h"

static const struct compare_opts exact = { 0, 0, 0, 0 };

static struct compare_result run(int dtype, const void *a, const void *b, size_t n, size_t esize,
				 const struct compare_opts *o)
{
	struct compare_result r = { 0 };
	struct ck_err err = { 0 };
	int rc = compare_buffers(dtype, n, a, n * esize, b, n * esize, o, &r, &err);
	if (rc)
		printf("# compare_buffers: %s\n", err.msg);
	return r;
}

static int near(double x, double y)
{
	return fabs(x - y) <= 1e-12 * (fabs(y) > 1 ? fabs(y) : 1);
}

static void test_stats(void)
{
	float a[4] = { 1, 2, 3, 4 }, b[4] = { 1, 2.5f, 3, 3 };
	struct compare_result r = run(DT_FLOAT, a, b, 4, 4, &exact);

	is_int(r.equal, 0, "float32: not equal");
	is_int(r.differ, 2, "two elements differ");
	is_int(r.first, 1, "first difference at 1");
	ok(r.max_abs == 1 && r.max_index == 3 && r.max_a == 4 && r.max_b == 3, "max |d| 1 at 3 (4 vs 3)");
	ok(near(compare_mean_abs(&r), 0.375), "mean |d| 0.375");
	ok(near(compare_rms(&r), sqrt(1.25 / 4)), "rms");
	ok(near(compare_rel(&r), sqrt(1.25) / sqrt(30)), "relative change");
	r = run(DT_FLOAT, a, a, 4, 4, &exact);
	ok(r.equal && r.bytewise && r.max_abs == 0, "equal to itself, bytewise");
}

static void test_tolerance(void)
{
	double a[1] = { 1.0 }, b[1] = { 1.5 }, c[1] = { 1.5000001 };
	struct compare_opts o = { 0.5, 0, 0, 0 };

	ok(run(DT_DOUBLE, a, b, 1, 8, &o).equal, "|a-b| == atol is close");
	ok(!run(DT_DOUBLE, a, c, 1, 8, &o).equal, "just past atol is not");
	o.atol = 0;
	o.rtol = 0.5;
	ok(run(DT_DOUBLE, b, a, 1, 8, &o).equal, "|a-b| == rtol*|b| is close (b from B)");
	ok(run(DT_DOUBLE, a, b, 1, 8, &o).equal, "0.5 <= 0.5*1.5 is close");
	ok(!run(DT_DOUBLE, c, a, 1, 8, &o).equal, "rtol uses |b|, not |a|");
	o.atol = 0.25;
	o.rtol = 0.25;
	ok(run(DT_DOUBLE, c, a, 1, 8, &o).equal == 0, "atol + rtol*|b| = 0.5 < 0.5000001");
	ok(run(DT_DOUBLE, b, a, 1, 8, &o).equal, "atol + rtol*|b| = 0.5 exactly");
	{
		struct compare_result r = run(DT_DOUBLE, b, a, 1, 8, &o);
		ok(!r.bytewise && r.max_abs == 0.5, "within tolerance keeps the statistics");
	}
}

static void test_nan_inf(void)
{
	float a[3] = { NAN, 1, INFINITY }, b[3] = { NAN, NAN, INFINITY };
	float c[3] = { 1, INFINITY, -INFINITY }, d[3] = { 1, 2, INFINITY };
	struct compare_opts eq = { 0, 0, 1, 0 };
	struct compare_result r;

	r = run(DT_FLOAT, a, a, 3, 4, &exact);
	ok(r.equal && r.bytewise, "identical bytes with NaN are equal without --equal-nan");
	r = run(DT_FLOAT, a, b, 3, 4, &exact);
	is_int(r.differ, 2, "NaN vs NaN differs without equal_nan, 1 -> NaN differs");
	is_int(r.nan_new, 1, "one NaN appeared");
	is_int(r.nan_gone, 0, "none disappeared");
	ok(r.max_abs == 0, "NaN gives no |d|");
	{
		float n4[4] = { NAN, NAN, NAN, NAN }, f4[4] = { 1, 2, 3, 4 }, g4[4] = { NAN, 2, 3, 5 };
		r = run(DT_FLOAT, n4, f4, 4, 4, &(struct compare_opts){ 1e30, 1e30, 1, 0 });
		ok(!r.equal && r.differ == 4 && r.nan_gone == 4, "NaN -> finite differs, any tolerance");
		ok(!compare_has_stats(&r) && isnan(compare_rel(&r)) && isnan(compare_max_abs(&r)) &&
		   isnan(compare_mean_abs(&r)) && isnan(compare_rms(&r)),
		   "no finite pair: no statistics (not 0)");
		r = run(DT_FLOAT, g4, f4, 4, 4, &exact);
		ok(compare_has_stats(&r) && r.nonfinite == 1 && compare_max_abs(&r) == 1 &&
		   near(compare_mean_abs(&r), 1.0 / 3) && near(compare_rel(&r), 1 / sqrt(4 + 9 + 25.0)),
		   "statistics over the three finite pairs");
		r = run(DT_FLOAT, n4, n4, 4, 4, &exact);
		ok(compare_has_stats(&r) && compare_rel(&r) == 0, "equal bytes: statistics 0, NaN or not");
	}
	r = run(DT_FLOAT, a, b, 3, 4, &eq);
	is_int(r.differ, 1, "equal_nan: only the new NaN differs");
	r = run(DT_FLOAT, b, a, 3, 4, &eq);
	is_int(r.nan_gone, 1, "a NaN disappeared");
	r = run(DT_FLOAT, c, d, 3, 4, &exact);
	is_int(r.differ, 2, "inf vs finite and -inf vs inf differ");
	is_int(r.inf_gone, 1, "an Inf disappeared");
	ok(r.max_abs == 0 && r.nonfinite == 2, "infinities are left out of |d|: two pairs not finite");
	ok(compare_has_stats(&r) && compare_rel(&r) == 0, "statistics over the one finite pair");
	r = run(DT_FLOAT, d, c, 3, 4, &(struct compare_opts){ 1e30, 1e30, 0, 0 });
	is_int(r.inf_new, 1, "an Inf appeared; no tolerance makes it close");
	is_int(r.differ, 2, "infinite differences are never within tolerance");
}

/* Every numeric dtype: a known max |d| at a known place, and exactness for integers. */
static void test_dtypes(void)
{
	struct compare_opts loose = { 100, 0, 0, 0 };
	struct compare_result r;
	{
		int8_t a[3] = { -128, 0, 5 }, b[3] = { 127, 0, 5 };
		r = run(DT_INT8, a, b, 3, 1, &loose);
		ok(r.differ == 1 && r.max_abs == 255 && r.max_index == 0, "int8: |d| 255, atol ignored");
	}
	{
		int16_t a[2] = { 7, -32768 }, b[2] = { 7, 32767 };
		r = run(DT_INT16, a, b, 2, 2, &exact);
		ok(r.differ == 1 && r.max_abs == 65535 && r.max_index == 1, "int16: |d| 65535 at 1");
	}
	{
		int32_t a[2] = { INT32_MIN, 1 }, b[2] = { INT32_MAX, 2 };
		r = run(DT_INT32, a, b, 2, 4, &loose);
		ok(r.differ == 2 && r.max_abs == 4294967295.0, "int32: exact even within atol");
	}
	{
		int64_t a[2] = { INT64_MIN, 0 }, b[2] = { INT64_MAX, 0 };
		r = run(DT_INT64, a, b, 2, 8, &exact);
		ok(r.differ == 1 && r.max_abs == 18446744073709551615.0, "int64: |d| 2^64-1 without overflow");
		r = run(DT_QINT32, (int32_t[]){ 1, 2 }, (int32_t[]){ 1, 5 }, 2, 4, &exact);
		ok(r.differ == 1 && r.max_abs == 3, "qint32 as int32");
	}
	{
		uint8_t a[2] = { 0, 255 }, b[2] = { 255, 255 };
		r = run(DT_UINT8, a, b, 2, 1, &exact);
		ok(r.differ == 1 && r.max_abs == 255 && r.max_b == 255, "uint8");
		r = run(DT_BOOL, (uint8_t[]){ 1, 0, 1 }, (uint8_t[]){ 1, 1, 0 }, 3, 1, &loose);
		ok(r.differ == 2 && r.max_abs == 1, "bool: exact");
	}
	{
		uint16_t a[2] = { 0, 65535 }, b[2] = { 1, 0 };
		r = run(DT_UINT16, a, b, 2, 2, &exact);
		ok(r.differ == 2 && r.max_abs == 65535 && r.max_index == 1, "uint16");
	}
	{
		uint32_t a[1] = { 4294967295u }, b[1] = { 0 };
		r = run(DT_UINT32, a, b, 1, 4, &exact);
		ok(r.max_abs == 4294967295.0, "uint32");
		uint64_t c[1] = { 18446744073709551615ull }, d[1] = { 0 };
		r = run(DT_UINT64, c, d, 1, 8, &exact);
		ok(r.max_abs == 18446744073709551615.0, "uint64");
	}
	{
		uint16_t a[3] = { 0x3c00, 0x4000, 0x7c00 }, b[3] = { 0x3c00, 0x4200, 0x7c00 };  /* 1,2,inf; 1,3,inf */
		r = run(DT_HALF, a, b, 3, 2, &exact);
		ok(r.differ == 1 && r.max_abs == 1 && r.max_index == 1, "float16: 2 vs 3 in double");
		r = run(DT_HALF, a, b, 3, 2, &(struct compare_opts){ 1, 0, 0, 0 });
		ok(r.equal, "float16: within atol 1");
	}
	{
		uint16_t a[2] = { 0x3f80, 0xc040 }, b[2] = { 0x3f80, 0x4040 };  /* 1,-3; 1,3 */
		r = run(DT_BFLOAT16, a, b, 2, 2, &exact);
		ok(r.differ == 1 && r.max_abs == 6 && r.max_a == -3, "bfloat16: -3 vs 3");
	}
	{
		uint8_t a[2] = { 0x38, 0x7f }, b[2] = { 0x40, 0x7f };  /* e4m3fn: 1, NaN; 2, NaN */
		r = run(DT_FLOAT8_E4M3FN, a, b, 2, 1, &exact);
		ok(r.differ == 2 && r.max_abs == 1, "float8_e4m3fn: 1 vs 2, NaN vs NaN differs");
		r = run(DT_FLOAT8_E5M2, (uint8_t[]){ 0x3c }, (uint8_t[]){ 0xc0 }, 1, 1, &exact);
		ok(r.max_abs == 3, "float8_e5m2: 1 vs -2");
	}
	{
		float a[4] = { 1, 1, 0, 0 }, b[4] = { 1, 1, 3, 4 };
		r = run(DT_COMPLEX64, a, b, 2, 8, &exact);
		ok(r.differ == 1 && r.max_abs == 5 && r.max_index == 1, "complex64: |d| is the modulus");
		double c[2] = { 0, 0 }, d[2] = { 0, 2 };
		r = run(DT_COMPLEX128, c, d, 1, 16, &(struct compare_opts){ 2, 0, 0, 0 });
		ok(r.equal && r.max_abs == 2, "complex128: at atol");
	}
}

/* Over several chunks: equal chunks skipped, yet ||A|| counts every element. */
static void test_chunks(void)
{
	size_t n = 700000;  /* 2.7 MB: three chunks */
	float *a = malloc(n * 4), *b = malloc(n * 4);
	double sa = 0;
	struct compare_result r;

	for (size_t i = 0; i < n; i++) {
		a[i] = b[i] = (float)(i % 97) - 48;
		sa += (double)a[i] * a[i];
	}
	b[n - 5] += 2;
	r = run(DT_FLOAT, a, b, n, 4, &exact);
	ok(r.differ == 1 && r.max_index == n - 5 && r.first == n - 5, "a difference in the last chunk");
	ok(near(r.sum_sq_a, sa), "sum of squares of A covers the skipped prefix");
	ok(near(compare_rel(&r), 2 / sqrt(sa)), "relative change");
	b[n - 5] = a[n - 5];
	b[3] = 1e6f;
	r = run(DT_FLOAT, a, b, n, 4, &exact);
	ok(r.differ == 1 && near(r.sum_sq_a, sa), "a difference in the first chunk, equal ones after");
	free(a);
	free(b);
}

/* The element rules of compare.h, one element at a time: the reference for the block loops. */
static void naive(const double *x, const double *y, size_t n, const struct compare_opts *o,
		  struct compare_result *r)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		int xn = isnan(x[i]), yn = isnan(y[i]), xf = isfinite(x[i]), yf = isfinite(y[i]);
		double d = x[i] - y[i], ad = fabs(d);
		int bad;
		if (xf && yf)
			r->sum_sq_a += x[i] * x[i];
		else
			r->nonfinite++;
		if (x[i] == y[i])
			continue;
		if (xn || yn) {
			bad = !(xn && yn) || !o->equal_nan;
			if (!(xn && yn)) {
				r->nan_new += !xn;
				r->nan_gone += !yn;
			}
		} else if (!xf || !yf) {
			r->inf_new += xf && !yf;
			r->inf_gone += !xf && yf;
			bad = 1;
		} else {
			r->sum_abs += ad;
			r->sum_sq += d * d;
			if (ad > r->max_abs) {
				r->max_abs = ad;
				r->max_index = i;
				r->max_a = x[i];
				r->max_b = y[i];
			}
			bad = !(ad <= o->atol + o->rtol * fabs(y[i])) || isinf(ad);
		}
		if (bad && !r->differ++)
			r->first = i;
	}
}

/* Equal, or both the same infinity. */
static int near_or_inf(double x, double y)
{
	return x == y || near(x, y);
}

static int same_result(const struct compare_result *r, const struct compare_result *w)
{
	return r->differ == w->differ && (!w->differ || r->first == w->first) &&
	       r->max_abs == w->max_abs && r->max_index == w->max_index && r->max_a == w->max_a &&
	       r->max_b == w->max_b && r->nonfinite == w->nonfinite && r->nan_new == w->nan_new &&
	       r->nan_gone == w->nan_gone && r->inf_new == w->inf_new && r->inf_gone == w->inf_gone &&
	       near_or_inf(r->sum_abs, w->sum_abs) && near_or_inf(r->sum_sq, w->sum_sq) &&
	       near_or_inf(r->sum_sq_a, w->sum_sq_a);
}

static uint64_t rng = 88172645463325252u;

static double uniform(void)  /* [0, 1), xorshift64 */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

/* float32 and float64 pairs of random lengths around the 4096-element blocks and 8 lanes, with
 * NaN, infinities (alone and matched), zeros, denormals and equal runs at their edges. */
static void test_blocks(void)
{
	static const size_t lens[] = { 1, 7, 8, 9, 17, 4095, 4096, 4097, 3 * 4096 + 13 };
	size_t nmax = 3 * 4096 + 13;
	double *x = malloc(nmax * 8), *y = malloc(nmax * 8);
	float *fx = malloc(nmax * 4), *fy = malloc(nmax * 4);
	struct compare_opts tol = { 1e-3, 1e-2, 0, 0 }, tol_nan = { 1e-3, 1e-2, 1, 0 };
	const struct compare_opts *opts[3] = { &exact, &tol, &tol_nan };

	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++)
		for (int special = 0; special < 2; special++) {
			size_t n = lens[k];
			int good[2][3] = { { 1, 1, 1 }, { 1, 1, 1 } };
			for (size_t i = 0; i < n; i++) {
				x[i] = (float)(uniform() * 2 - 1);
				/* most moved a little, some a lot, a few not at all */
				y[i] = i % 5 == 0 ? x[i] : (float)(x[i] * (1 + (uniform() - 0.5) * (i % 7 ? 0.01 : 0.5)));
			}
			for (size_t i = 0; special && i < n; i++) {
				size_t m = i % 4096;
				if (m == 0 || i == n - 1)
					x[i] = NAN;
				else if (m == 4095)
					x[i] = y[i] = NAN;
				else if (m == 7)
					y[i] = INFINITY;
				else if (m == 8)
					x[i] = y[i] = -INFINITY;
				else if (m == 9 || m == 4094)
					x[i] = 0, y[i] = -0.0;
				else if (m == 15)
					x[i] = 1.4e-45, y[i] = 0;  /* the smallest float denormal */
			}
			for (size_t i = 0; i < n; i++) {
				fx[i] = (float)x[i];
				fy[i] = (float)y[i];
			}
			for (int t = 0; t < 3; t++) {
				struct compare_result w, r64 = run(DT_DOUBLE, x, y, n, 8, opts[t]);
				struct compare_result r32 = run(DT_FLOAT, fx, fy, n, 4, opts[t]);
				double sa;
				naive(x, y, n, opts[t], &w);
				/* equal bytes throughout: Σa² is not needed, and not computed */
				sa = w.sum_sq_a;
				w.sum_sq_a = memcmp(fx, fy, n * 4) ? sa : 0;
				good[0][t] = same_result(&r32, &w);
				w.sum_sq_a = memcmp(x, y, n * 8) ? sa : 0;
				good[1][t] = same_result(&r64, &w);
				if (!good[0][t] || !good[1][t])
					printf("# n=%zu special=%d opts %d: differ %llu/%llu/%llu first %llu/%llu max %g/%g/%g at %llu/%llu\n",
					       n, special, t, (unsigned long long)r32.differ,
					       (unsigned long long)r64.differ, (unsigned long long)w.differ,
					       (unsigned long long)r32.first, (unsigned long long)w.first,
					       r32.max_abs, r64.max_abs, w.max_abs,
					       (unsigned long long)r32.max_index, (unsigned long long)w.max_index);
			}
			ok(good[0][0] && good[0][1] && good[0][2], "float32, %zu elements%s: as the element rules",
			   n, special ? ", NaN/Inf/0/denormals" : "");
			ok(good[1][0] && good[1][1] && good[1][2], "float64, %zu elements%s: as the element rules",
			   n, special ? ", NaN/Inf/0/denormals" : "");
		}
	free(x);
	free(y);
	free(fx);
	free(fy);
}

static void test_strings(void)
{
	/* lengths 2,1 | checksum (not checked here) | "hi" "x" */
	uint8_t a[] = { 2, 1, 0, 0, 0, 0, 'h', 'i', 'x' }, b[] = { 2, 1, 0, 0, 0, 0, 'h', 'o', 'x' };
	struct compare_result r = { 0 };
	struct ck_err err;

	ok(!compare_buffers(DT_STRING, 2, a, sizeof(a), b, sizeof(b), &exact, &r, &err) &&
	   r.differ == 1 && r.first == 0 && !r.numeric, "strings: element 0 differs");
	ok(!compare_buffers(DT_STRING, 2, a, sizeof(a), a, sizeof(a), &exact, &r, &err) && r.equal,
	   "strings: equal");
	ok(compare_buffers(DT_STRING, 3, a, sizeof(a), a, sizeof(a), &exact, &r, &err) < 0,
	   "strings: a truncated payload is an error");
	ok(compare_buffers(DT_FLOAT, 3, a, 8, a, 8, &exact, &r, &err) < 0,
	   "a payload of the wrong size is an error");
}

static void test_unravel(void)
{
	int64_t dims[3] = { 2, 3, 4 }, idx[3];

	compare_unravel(23, dims, 3, idx);
	ok(idx[0] == 1 && idx[1] == 2 && idx[2] == 3, "unravel 23 in [2,3,4]");
	compare_unravel(5, dims, 3, idx);
	ok(idx[0] == 0 && idx[1] == 1 && idx[2] == 1, "unravel 5 in [2,3,4]");
}

/* Payloads of over 1 MiB are compared in halves (compare.c drive_split): differences in
 * either half or both, none, and a corrupted byte in the second half, each against the same
 * arrays compared in memory. */
#define SPLIT_N (3 * (1u << 18) / 4 * 4 + 5)  /* float32: about 3 MiB, halves not alike */

static int write_one(const char *prefix, const float *v)
{
	struct bundle_writer *w;
	struct ck_err err = { 0 };
	int64_t dim = SPLIT_N;

	if (bundle_writer_open(&w, prefix, 1, BW_FORCE, &err) < 0)
		return -1;
	bundle_writer_add(w, "t", 1, DT_FLOAT, &dim, 1, 0, v, SPLIT_N * sizeof(float));
	return bundle_writer_finish(w, &err);
}

static int compare_stored_pair(const char *pa, const char *pb, struct compare_result *r,
			       struct ck_err *err)
{
	struct bundle *a = NULL, *b = NULL;
	int rc = bundle_open(&a, pa, err);

	if (!rc)
		rc = bundle_open(&b, pb, err);
	if (!rc)
		rc = compare_tensors(a, bundle_find(a, "t", 1), b, bundle_find(b, "t", 1), &exact, r,
				     err);
	bundle_free(a);
	bundle_free(b);
	return rc;
}

static void test_split(void)
{
	char dir[] = "/tmp/ckpt-test-compare.XXXXXX", pa[300], pb[300], data[320], cmd[400];
	float *x = malloc(SPLIT_N * sizeof(float)), *y = malloc(SPLIT_N * sizeof(float));
	static const struct { const char *what; size_t at[3]; } cases[] = {
		{ "no difference", { 0 } },
		{ "one in the second half", { SPLIT_N - 1 } },
		{ "one in the first half", { 7 } },
		{ "in both halves", { 3, SPLIT_N / 2 + 100, SPLIT_N - 2 } },
	};

	if (!mkdtemp(dir) || !x || !y) {
		ok(0, "temporary folder");
		return;
	}
	snprintf(pa, sizeof(pa), "%s/a", dir);
	snprintf(pb, sizeof(pb), "%s/b", dir);
	for (size_t i = 0; i < SPLIT_N; i++)
		x[i] = (float)(uniform() * 2 - 1);
	ok(write_one(pa, x) == 0, "split: bundle a written");
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct compare_result r = { 0 }, w;
		struct ck_err err = { 0 };
		memcpy(y, x, SPLIT_N * sizeof(float));
		for (int k = 0; k < 3 && cases[c].at[k]; k++)
			y[cases[c].at[k]] += 0.5f * (float)(k + 1);
		write_one(pb, y);
		w = run(DT_FLOAT, x, y, SPLIT_N, 4, &exact);
		ok(compare_stored_pair(pa, pb, &r, &err) == 0 && same_result(&r, &w) &&
		   r.bytewise == w.bytewise && r.equal == w.equal,
		   "split, %s: as compared in memory (%llu differ, Σa² %.17g vs %.17g) %s",
		   cases[c].what, (unsigned long long)r.differ, r.sum_sq_a, w.sum_sq_a, err.msg);
	}
	{  /* a byte of the second half flipped on disk: b's CRC catches it */
		struct compare_result r = { 0 };
		struct ck_err err = { 0 };
		int fd;
		uint8_t v = 0x55;
		snprintf(data, sizeof(data), "%s.data-00000-of-00001", pb);
		fd = open(data, O_WRONLY);
		if (fd >= 0 && pwrite(fd, &v, 1, (off_t)(SPLIT_N * 4 - 9)) == 1)
			close(fd);
		ok(compare_stored_pair(pa, pb, &r, &err) < 0 && strstr(err.msg, "checksum mismatch") &&
		   strstr(err.msg, "/b.data"),
		   "split: a corrupted second half of b is a CRC mismatch in b: %s", err.msg);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd)) {}
	free(x);
	free(y);
}

int main(void)
{
	test_stats();
	test_tolerance();
	test_nan_inf();
	test_dtypes();
	test_chunks();
	test_blocks();
	test_strings();
	test_unravel();
	test_split();
	return tap_done();
}
