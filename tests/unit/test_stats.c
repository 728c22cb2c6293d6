/* Streaming statistics against direct two-pass computations, and merges. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "dtype.h"
#include "stats.h"
#include "tap.h"

static int close_to(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + 1e-300;
}

int main(void)
{
	struct stats s, t, u;
	size_t n = 3 * STATS_BLOCK + 17;   /* several blocks and a ragged tail */
	float *f = malloc(n * sizeof(float));
	double sum = 0, m2 = 0, sq = 0, mean, lo = INFINITY, hi = -INFINITY;

	for (size_t i = 0; i < n; i++) {
		f[i] = (float)(1000.0 + sin((double)i) * 0.001);  /* large mean, tiny spread */
		if (i % 97 == 0)
			f[i] = 0;
	}
	for (size_t i = 0; i < n; i++) {
		sum += f[i];
		sq += (double)f[i] * f[i];
		lo = fmin(lo, f[i]);
		hi = fmax(hi, f[i]);
	}
	mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		m2 += (f[i] - mean) * (f[i] - mean);
	stats_init(&s, DT_FLOAT);
	ok(stats_add(&s, DT_FLOAT, f, n, 0) == 0, "float32 accepted");
	is_int(s.count, n, "count");
	is_int(s.zeros, (n + 96) / 97, "zeros");
	ok(s.min == lo && s.max == hi, "min and max exact");
	ok(close_to(s.mean, mean, 1e-13), "mean %.17g vs %.17g", s.mean, mean);
	ok(close_to(stats_std(&s), sqrt(m2 / (double)n), 1e-9), "std despite a large mean");
	ok(close_to(stats_l2(&s), sqrt(sq), 1e-13), "l2");

	/* Merging halves gives the same as one pass. */
	stats_init(&t, DT_FLOAT);
	stats_init(&u, DT_FLOAT);
	stats_add(&t, DT_FLOAT, f, 1000, 0);
	stats_add(&u, DT_FLOAT, f + 1000, n - 1000, 0);
	stats_merge(&t, &u);
	ok(t.count == s.count && t.min == s.min && t.max == s.max && t.zeros == s.zeros, "merge counts");
	ok(close_to(t.mean, s.mean, 1e-13) && close_to(stats_std(&t), stats_std(&s), 1e-9), "merge moments");

	/* NaN and infinities are counted, never folded into the moments. */
	{
		float v[6] = { 1, NAN, INFINITY, -INFINITY, 3, 0 };
		stats_init(&s, DT_FLOAT);
		stats_add(&s, DT_FLOAT, v, 6, 0);
		ok(s.nan == 1 && s.posinf == 1 && s.neginf == 1 && s.finite == 3 && s.zeros == 1,
		   "non-finite counts");
		ok(s.min == 0 && s.max == 3 && close_to(s.mean, 4.0 / 3, 1e-15), "finite moments");
	}
	/* float64 extremes: the L2 norm does not overflow. */
	{
		double v[3] = { 1e300, -1e300, 1e300 };
		stats_init(&s, DT_DOUBLE);
		stats_add(&s, DT_DOUBLE, v, 3, 0);
		ok(close_to(stats_l2(&s), sqrt(3.0) * 1e300, 1e-14), "l2 of 1e300s is finite");
	}
	/* Exact integer extremes beyond 2^53. */
	{
		int64_t v[3] = { INT64_MIN, 5, INT64_MAX };
		uint64_t w[2] = { 0, UINT64_MAX };
		stats_init(&s, DT_INT64);
		stats_add(&s, DT_INT64, v, 3, 0);
		ok(s.kind == STATS_INT && s.imin == INT64_MIN && s.imax == INT64_MAX, "int64 exact");
		stats_init(&s, DT_UINT64);
		stats_add(&s, DT_UINT64, w, 2, 0);
		ok(s.kind == STATS_UINT && s.umax == UINT64_MAX, "uint64 exact");
	}
	/* Big-endian storage. */
	{
		uint8_t be[8] = { 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0 };  /* 1.0, -2.0 */
		stats_init(&s, DT_FLOAT);
		stats_add(&s, DT_FLOAT, be, 2, 1);
		ok(s.min == -2 && s.max == 1, "big-endian swapped");
	}
	/* Narrow floats, complex modulus, bool, strings. */
	{
		uint16_t h[3] = { 0x3c00, 0xc000, 0x7e00 };  /* 1, -2, nan */
		float c[4] = { 3, 4, 0, -1 };
		uint8_t b[3] = { 1, 0, 1 };
		stats_init(&s, DT_HALF);
		stats_add(&s, DT_HALF, h, 3, 0);
		ok(s.min == -2 && s.max == 1 && s.nan == 1, "float16");
		stats_init(&s, DT_COMPLEX64);
		stats_add(&s, DT_COMPLEX64, c, 2, 0);
		ok(s.min == 1 && s.max == 5, "complex by modulus");
		stats_init(&s, DT_BOOL);
		stats_add(&s, DT_BOOL, b, 3, 0);
		ok(s.umin == 0 && s.umax == 1 && s.zeros == 1, "bool");
		stats_init(&s, DT_STRING);
		ok(s.kind == STATS_NONE && stats_add(&s, DT_STRING, "", 0, 0) < 0, "strings: no values");
	}
	free(f);
	return tap_done();
}
