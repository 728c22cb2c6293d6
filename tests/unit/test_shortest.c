/* The shortest-digit algorithm (shortest.h, through float_digits) against the search it
 * replaced, kept here verbatim as the oracle: printf with 1 to 17 significant digits, each
 * read back with strtof/strtod at the dtype's precision (numpy's digits, checked against
 * numpy 1.24 when it was written). Every float16, bfloat16 and float8 value, two million
 * random float32 bit patterns, 400 000 float64 ones, and the edges (powers of
 * two, subnormals, the largest values). And format_g against printf's %g. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor/convert.h"
#include "format/dtype.h"
#include "tap.h"
#include "tensor/values.h"

/* ---- the oracle: values.c's search before shortest.c ----------------------------- */

/* ---- numbers ---------------------------------------------------------------------- */

/* v rounded to a binary float with mant fraction bits and minimum exponent emin. */
static double round_bits(double v, int mant, int emin)
{
	int e;

	if (v == 0 || !isfinite(v))
		return v;
	frexp(v, &e);
	e -= 1;
	if (e < emin)
		e = emin;
	return nearbyint(ldexp(v, mant - e)) * ldexp(1.0, e - mant);
}

/* Does the decimal text s read back as x, at the precision of dtype? */
static int reads_back(int dtype, const char *s, double x)
{
	double v;

	switch (dtype) {
	case DT_FLOAT: case DT_COMPLEX64:
		return strtof(s, NULL) == (float)x;
	}
	v = strtod(s, NULL);
	switch (dtype) {
	case DT_HALF: return round_bits(v, 10, -14) == x;
	case DT_BFLOAT16: return round_bits(v, 7, -126) == x;
	case DT_FLOAT8_E5M2: return round_bits(v, 2, -14) == x;
	case DT_FLOAT8_E4M3FN: return round_bits(v, 3, -6) == x;
	case DT_FLOAT8_E4M3FNUZ: return round_bits(v, 3, -7) == x;
	case DT_FLOAT8_E4M3B11FNUZ: return round_bits(v, 3, -10) == x;
	case DT_FLOAT8_E5M2FNUZ: return round_bits(v, 2, -15) == x;
	}
	return v == x;
}


/* Do p + 1 significant digits identify a (finite, > 0)? Tries the nearest such decimal and,
 * when a is a power of two, its neighbour on the other side: below a power of two the gap is
 * half the gap above, so the nearest can miss where the other one fits (elsewhere the
 * interval is symmetric and the nearest is the best candidate). On success *m holds the
 * digits as an integer and *e the power of ten of the first. */
static int digits_fit(int dtype, double a, int p, int pow2, unsigned long long *m, int *e)
{
	unsigned long long top = 1;  /* 10^p: *m is in [top, 10 * top) */
	char s[48];
	double near;

	snprintf(s, sizeof(s), "%.*e", p, a);
	*e = atoi(strchr(s, 'e') + 1);
	*m = 0;
	for (const char *c = s; *c != 'e'; c++)
		if (*c != '.')
			*m = *m * 10 + (unsigned long long)(*c - '0');
	if (reads_back(dtype, s, a))
		return 1;
	if (!pow2)
		return 0;
	for (int k = 0; k < p; k++)
		top *= 10;
	near = strtod(s, NULL);
	if (near < a && ++*m == 10 * top) {
		*m = top;
		++*e;
	} else if (near > a && (*m)-- == top) {
		*m = 10 * top - 1;
		--*e;
	}
	snprintf(s, sizeof(s), "%llue%d", *m, *e - p);
	return reads_back(dtype, s, a);
}

/* Significant digits that always identify a value of dtype: 1 + ceil(bits * log10(2)). */
static int max_digits(int dtype)
{
	switch (dtype) {
	case DT_FLOAT: case DT_COMPLEX64: return 9;
	case DT_HALF: return 5;
	case DT_BFLOAT16: return 4;
	case DT_FLOAT8_E4M3FN: case DT_FLOAT8_E4M3FNUZ: case DT_FLOAT8_E4M3B11FNUZ: return 3;
	case DT_FLOAT8_E5M2: case DT_FLOAT8_E5M2FNUZ: return 2;
	}
	return 17;
}

/* The shortest significand digits of |x| (finite) that read back as x at dtype's precision,
 * as numpy's Dragon4 finds them. dig gets the digits (no trailing zeros, "0" for zero);
 * returns the power of ten of the first. If p digits fit, so do p + 1 (the nearest of p + 1
 * is at least as close on each side), so the length is found by bisection: about four
 * printf/strtod rounds per value instead of up to seventeen. */
static int search_digits(int dtype, double x, char dig[24])
{
	double a = fabs(x);
	unsigned long long m = 0;
	int lo = 0, hi = max_digits(dtype) - 1, found = -1, e = 0, n, pow2;

	if (a == 0) {
		strcpy(dig, "0");
		return 0;
	}
	pow2 = frexp(a, &n) == 0.5;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		unsigned long long mt;
		int et;
		if (digits_fit(dtype, a, mid, pow2, &mt, &et)) {
			hi = found = mid;
			m = mt;
			e = et;
		} else {
			lo = mid + 1;
		}
	}
	if (found != hi)  /* max_digits always fit: not probed above */
		while (!digits_fit(dtype, a, hi, pow2, &m, &e) && hi < 16)
			hi++;
	n = snprintf(dig, 24, "%llu", m);
	while (n > 1 && dig[n - 1] == '0')
		dig[--n] = '\0';
	return e;
}

/* ---- the comparison ---------------------------------------------------------------- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint64_t rnd(void)
{
	return tap_rand(&rng_state);
}

static size_t failures;

/* 1 if both give the same digits and exponent for x (a finite value of dtype). */
static int same(int dtype, double x)
{
	char a[24], b[24];
	int ea = float_digits(dtype, x, a), eb = search_digits(dtype, x, b);

	if (ea == eb && !strcmp(a, b))
		return 1;
	if (failures++ < 10)
		printf("# %s %.17g: new %se%d, search %se%d\n", dtype_name(dtype), x, a, ea, b, eb);
	return 0;
}

/* Every finite value of a 16- or 8-bit dtype, decoded as ckpt decodes it. */
static size_t every_value(int dtype, unsigned bits)
{
	size_t bad = 0;

	for (uint32_t i = 0; i < (1u << bits); i++) {
		uint8_t raw[2] = { (uint8_t)i, (uint8_t)(i >> 8) };
		double v[2];
		elements_to_double(dtype, raw, 1, v);
		if (isfinite(v[0]))
			bad += !same(dtype, v[0]);
	}
	return bad;
}

int main(void)
{
	static const int narrow[] = { DT_FLOAT8_E5M2, DT_FLOAT8_E4M3FN, DT_FLOAT8_E4M3FNUZ,
				      DT_FLOAT8_E4M3B11FNUZ, DT_FLOAT8_E5M2FNUZ };
	size_t bad = 0;

	is_int(every_value(DT_HALF, 16), 0, "every float16 value");
	is_int(every_value(DT_BFLOAT16, 16), 0, "every bfloat16 value");
	for (size_t i = 0; i < sizeof(narrow) / sizeof(narrow[0]); i++)
		is_int(every_value(narrow[i], 8), 0, "every %s value", dtype_name(narrow[i]));

	for (int i = 0; i < 2000000; i++) {
		uint32_t u = (uint32_t)rnd();
		float f;
		memcpy(&f, &u, 4);
		if (isfinite(f))
			bad += !same(DT_FLOAT, f);
	}
	is_int(bad, 0, "2 million random float32 bit patterns");
	/* Values of everyday size (the fast path's range) and short decimals, whose candidates
	 * lie on or next to the interval's ends. */
	bad = 0;
	for (int i = 0; i < 1000000; i++) {
		float f = ldexpf((float)(rnd() >> 40) / 16777216.0f + 0.5f, (int)(rnd() % 61) - 30);
		float g = (float)((double)(int64_t)(rnd() % 2000001 - 1000000) / (double)(1 + rnd() % 10000));
		bad += !same(DT_FLOAT, f) + !same(DT_FLOAT, g);
	}
	is_int(bad, 0, "float32 of everyday size and short decimals");
	bad = 0;
	for (int e = -149; e <= 127; e++) {  /* powers of two and their neighbours */
		float p = ldexpf(1, e);
		bad += !same(DT_FLOAT, p) + !same(DT_FLOAT, nextafterf(p, 0)) +
		       !same(DT_FLOAT, nextafterf(p, INFINITY));
	}
	bad += !same(DT_FLOAT, 3.4028234663852886e38) + !same(DT_FLOAT, 1.401298464324817e-45) +
	       !same(DT_FLOAT, 1.1754942106924411e-38) + !same(DT_FLOAT, 1e10) +
	       !same(DT_FLOAT, 0.1f) + !same(DT_FLOAT, 123456792) + !same(DT_FLOAT, -0.0);
	is_int(bad, 0, "float32 edges: powers of two, subnormals, the largest");

	bad = 0;
	for (int i = 0; i < 200000; i++) {
		uint64_t u = rnd();
		double d;
		memcpy(&d, &u, 8);
		if (isfinite(d))
			bad += !same(DT_DOUBLE, d);
		/* and values of everyday size, where most numbers are */
		d = ldexp((double)(rnd() >> 11), -53 - (int)(rnd() % 40));
		bad += !same(DT_DOUBLE, d);
	}
	is_int(bad, 0, "random float64 values");
	bad = 0;
	for (int e = -1074; e <= 1023; e++) {
		double p = ldexp(1, e);
		bad += !same(DT_DOUBLE, p) + !same(DT_DOUBLE, nextafter(p, 0)) +
		       !same(DT_DOUBLE, nextafter(p, INFINITY));
	}
	bad += !same(DT_DOUBLE, 1.7976931348623157e308) + !same(DT_DOUBLE, 5e-324) +
	       !same(DT_DOUBLE, 2.2250738585072014e-308) + !same(DT_DOUBLE, 0.1) +
	       !same(DT_DOUBLE, 0.3) + !same(DT_DOUBLE, 1e23) + !same(DT_DOUBLE, 9007199254740993.0);
	is_int(bad, 0, "float64 edges");

	/* format_g against printf's %g itself. */
	bad = 0;
	for (int i = 0; i < 600000; i++) {
		uint64_t u = rnd();
		int prec = i % 3 ? 7 : 1 + (int)(rnd() % 17);
		double d;
		char want[64];
		struct buf got = BUF_INIT;
		memcpy(&d, &u, 8);
		if (i % 4 == 1)  /* everyday sizes, and exact ties such as 0.5 and 2.5 */
			d = ldexp((double)(int64_t)(rnd() >> 20) - (double)(1ll << 43), -(int)(rnd() % 60));
		else if (i % 4 == 2)
			d = (double)(int64_t)(rnd() % 2000001 - 1000000) / (double)(1 + rnd() % 1000);
		snprintf(want, sizeof(want), "%.*g", prec, d);
		format_g(&got, d, prec);
		if (strcmp((char *)got.p, want) && bad++ < 10)
			printf("# %%.%dg of %a: got %s, printf %s\n", prec, d, (char *)got.p, want);
		buf_release(&got);
	}
	is_int(bad, 0, "format_g is printf's %%g (600 000 values, precisions 1 to 17)");
	return tap_done();
}
