/* compare: tolerance rule, statistics, NaN/Inf bookkeeping and every numeric dtype. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "compare.h"
#include "dtype.h"
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
	r = run(DT_FLOAT, a, b, 3, 4, &eq);
	is_int(r.differ, 1, "equal_nan: only the new NaN differs");
	r = run(DT_FLOAT, b, a, 3, 4, &eq);
	is_int(r.nan_gone, 1, "a NaN disappeared");
	r = run(DT_FLOAT, c, d, 3, 4, &exact);
	is_int(r.differ, 2, "inf vs finite and -inf vs inf differ");
	is_int(r.inf_gone, 1, "an Inf disappeared");
	ok(isinf(r.max_abs) && r.max_index == 1, "max |d| is infinite, at the first");
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

int main(void)
{
	test_stats();
	test_tolerance();
	test_nan_inf();
	test_dtypes();
	test_chunks();
	test_strings();
	test_unravel();
	return tap_done();
}
