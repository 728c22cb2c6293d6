/* numpy-style text and JSON forms of elements. */
#include <math.h>
#include <string.h>

#include "format/dtype.h"
#include "tensor/values.h"
#include "tap.h"

static char got[4096];

static const char *text(int dtype, const void *data, int rank, const int64_t *dims,
			const unsigned char *elided, int prec)
{
	struct buf b = BUF_INIT;
	struct vals v = { dtype, rank, dims, elided, data, NULL, NULL };
	values_text(&b, &v, prec);
	snprintf(got, sizeof(got), "%s", b.p ? (char *)b.p : "");
	buf_release(&b);
	return got;
}

static const char *json(int dtype, const void *data, int rank, const int64_t *dims)
{
	struct buf b = BUF_INIT;
	struct vals v = { dtype, rank, dims, NULL, data, NULL, NULL };
	values_json(&b, &v);
	snprintf(got, sizeof(got), "%s", b.p ? (char *)b.p : "");
	buf_release(&b);
	return got;
}

#define IS(a, b, name) do { const char *a_ = (a); ok(!strcmp(a_, b), name); \
	if (strcmp(a_, b)) printf("#   got  '%s'\n#   want '%s'\n", a_, b); } while (0)

int main(void)
{
	int64_t d4[1] = { 4 }, d23[2] = { 2, 3 }, d6[1] = { 6 };
	float f[6] = { 0, -1.5f, 3.25f, NAN, INFINITY, -INFINITY };
	float tenth[2] = { 0.1f, 1 };
	double sci[4] = { 1e-300, -2.5, 1e300, 0.1 };
	int32_t i[4] = { -5, 100, 7, 0 };
	uint8_t b[4] = { 1, 0, 0, 1 };
	float c[6] = { 1, 2, -0.5f, 0, 0, -1 };
	float big[30];
	unsigned char el[1] = { 1 };
	int64_t d3[1] = { 3 };

	IS(text(DT_FLOAT, f, 2, d23, NULL, -1), "[[ 0.   -1.5   3.25]\n [  nan   inf  -inf]]",
	   "floats aligned on the point, non-finite right-aligned");
	IS(text(DT_FLOAT, tenth, 1, (int64_t[]){ 2 }, NULL, -1), "[0.1 1. ]",
	   "float32 0.1 prints as 0.1, not its double expansion");
	IS(text(DT_DOUBLE, sci, 1, d4, NULL, -1), "[ 1.0e-300 -2.5e+000  1.0e+300  1.0e-001]",
	   "scientific: equal mantissa digits and exponent widths");
	IS(text(DT_INT32, i, 1, d4, NULL, -1), "[ -5 100   7   0]", "integers right-aligned");
	IS(text(DT_BOOL, b, 1, d4, NULL, -1), "[ True False False  True]", "bools");
	IS(text(DT_COMPLEX64, c, 1, d3, NULL, -1), "[ 1. +2.j -0.5+0.j  0. -1.j]", "complex");
	IS(text(DT_FLOAT, (float[]){ 0.5f }, 0, NULL, NULL, -1), "0.5", "scalar");
	IS(text(DT_FLOAT, (float[]){ 2.0f }, 0, NULL, NULL, -1), "2.0", "integral scalar");
	IS(text(DT_COMPLEX128, (double[]){ 3, -4 }, 0, NULL, NULL, -1), "(3-4j)", "complex scalar");
	IS(text(DT_FLOAT, (float[]){ 3.14159f, 2.71828f }, 1, (int64_t[]){ 2 }, NULL, 2),
	   "[3.14 2.72]", "--precision");
	IS(text(DT_FLOAT, f, 2, (int64_t[]){ 0, 3 }, NULL, -1), "[]", "zero elements");
	/* Summarised: first and last 3 with "..." between. */
	for (int k = 0; k < 6; k++)
		big[k] = (float)k;
	IS(text(DT_FLOAT, big, 1, d6, el, -1), "[0. 1. 2. ... 3. 4. 5.]", "summary row");
	{
		int64_t d[2] = { 6, 2 };
		unsigned char e2[2] = { 1, 0 };
		for (int k = 0; k < 12; k++)
			big[k] = (float)k;
		IS(text(DT_FLOAT, big, 2, d, e2, -1),
		   "[[ 0.  1.]\n [ 2.  3.]\n [ 4.  5.]\n ...\n [ 6.  7.]\n [ 8.  9.]\n [10. 11.]]",
		   "summary rows");
	}
	/* Wrapping at 75 columns with a one-space hanging indent. */
	for (int k = 0; k < 30; k++)
		big[k] = (float)k * 0.5f;
	IS(text(DT_FLOAT, big, 1, (int64_t[]){ 30 }, NULL, -1),
	   "[ 0.   0.5  1.   1.5  2.   2.5  3.   3.5  4.   4.5  5.   5.5  6.   6.5\n"
	   "  7.   7.5  8.   8.5  9.   9.5 10.  10.5 11.  11.5 12.  12.5 13.  13.5\n"
	   " 14.  14.5]", "line wrapping");
	IS(json(DT_FLOAT, f, 2, d23), "[[0.0, -1.5, 3.25], [\"nan\", \"inf\", \"-inf\"]]", "json floats");
	IS(json(DT_COMPLEX64, c, 1, d3), "[[1.0, 2.0], [-0.5, 0.0], [0.0, -1.0]]", "json complex pairs");
	/* JSON readers take "-0" and "1" for integers: floats keep a point or an exponent. */
	IS(json(DT_FLOAT, (float[]){ -0.0f, 1, 1e20f, 65504, 2.5e-5f }, 1, (int64_t[]){ 5 }),
	   "[-0.0, 1.0, 1e+20, 65504.0, 2.5e-05]", "json floats stay floats");
	IS(json(DT_DOUBLE, (double[]){ -0.0 }, 0, NULL), "-0.0", "json scalar -0.0");
	IS(json(DT_BOOL, b, 1, d4), "[true, false, false, true]", "json bools");
	{
		int64_t v = INT64_MIN;
		IS(json(DT_INT64, &v, 0, NULL), "-9223372036854775808", "json exact int64");
	}
	{
		const uint8_t *s[2] = { (const uint8_t *)"caf\xc3\xa9", (const uint8_t *)"a'\"\\\x01\xff" };
		size_t l[2] = { 5, 6 };
		struct vals v = { DT_STRING, 1, (int64_t[]){ 2 }, NULL, NULL, s, l };
		struct buf t = BUF_INIT;
		values_text(&t, &v, -1);
		IS((char *)t.p, "['caf\xc3\xa9' 'a\\'\"\\\\\\x01\\xff']", "strings escaped in text");
		buf_reset(&t);
		values_json(&t, &v);
		IS((char *)t.p, "[\"caf\xc3\xa9\", \"a'\\\"\\\\\\\\\\\\x01\\\\xff\"]", "strings escaped in json");
		buf_release(&t);
	}
	/* The digits numpy prints (numpy 1.24: print(a), repr(a[i])). In scientific notation the
	 * shorter values get the further digits of their own value (min_digits), not zeros. */
	IS(text(DT_FLOAT, (float[]){ -0.0115264151f, 0.100000024f, 2.5e-5f }, 1, d3, NULL, -1),
	   "[-1.15264151e-02  1.00000024e-01  2.49999994e-05]", "numpy's digits past the shortest");
	IS(text(DT_HALF, (uint16_t[]){ 0x7bff, 0x3c00, 0x8000 }, 1, d3, NULL, -1),
	   "[ 6.55e+04  1.00e+00 -0.00e+00]", "float16 65504 has 3 digits");
	IS(text(DT_HALF, (uint16_t[]){ 0x2e66, 0x0100 }, 1, (int64_t[]){ 2 }, NULL, -1),
	   "[9.998e-02 1.526e-05]", "float16 0.09998 keeps its exponent past the shortest 1e-01");
	IS(text(DT_HALF, (uint16_t[]){ 0x7bff }, 0, NULL, NULL, -1), "65500.0",
	   "float16 scalar 65504 as numpy's repr");
	IS(text(DT_FLOAT, (float[]){ 123456792.0f }, 0, NULL, NULL, -1), "123456790.0",
	   "float32 scalar 123456792 as numpy's repr");
	IS(text(DT_FLOAT, (float[]){ -0.0f }, 0, NULL, NULL, -1), "-0.0", "scalar -0.0");
	IS(text(DT_DOUBLE, (double[]){ 1.2345678901234568e16 }, 0, NULL, NULL, -1),
	   "1.2345678901234568e+16", "scalar of 17 digits from 1e16");
	/* Below a power of two the gap is half the gap above: the nearest decimal of the length
	 * may not read back where its neighbour does. */
	IS(text(DT_HALF, (uint16_t[]){ 0x2400 }, 0, NULL, NULL, -1), "0.01563", "float16 2^-6");
	IS(text(DT_FLOAT, (float[]){ 0x1p-96f }, 0, NULL, NULL, -1), "1.2621775e-29",
	   "float32 2^-96");
	IS(text(DT_DOUBLE, (double[]){ 0x1p-1017 }, 0, NULL, NULL, -1), "7.120236347223045e-307",
	   "float64 2^-1017");
	IS(text(DT_COMPLEX64, (float[]){ 123456792.0f, 1e20f }, 0, NULL, NULL, -1),
	   "(123456790+1e+20j)", "complex64 scalar parts");
	{
		struct buf t = BUF_INIT;
		format_shortest(&t, DT_HALF, 0.0999755859375);
		IS((char *)t.p, "0.1", "shortest float16");
		buf_reset(&t);
		format_shortest(&t, DT_DOUBLE, 0.1 + 0.2);
		IS((char *)t.p, "0.30000000000000004", "shortest float64");
		buf_release(&t);
	}
	return tap_done();
}
