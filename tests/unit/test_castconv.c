/* castconv: every narrow float code round-trips, float32 -> half agrees with the compiler's
 * own _Float16 conversion, ties go to even, float32 -> bfloat16 equals the scalar loop on every
 * bit pattern, and the counters count. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/dtype.h"
#include "tensor/castconv.h"
#include "tensor/convert.h"
#include "tap.h"

static float f32(uint32_t bits)
{
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

static void all_codes_round_trip(void)
{
	static const int f8[] = { DT_FLOAT8_E5M2, DT_FLOAT8_E4M3FN, DT_FLOAT8_E4M3FNUZ,
				  DT_FLOAT8_E4M3B11FNUZ, DT_FLOAT8_E5M2FNUZ };
	int bad = 0, ovf = 0;

	for (uint32_t h = 0; h < 0x10000; h++) {
		double v = half_to_double((uint16_t)h);
		uint16_t back = double_to_half(v, &ovf);
		if (isnan(v) ? !isnan(half_to_double(back)) : back != h)
			bad++;
	}
	is_int(bad, 0, "every half code decodes and encodes to itself");
	bad = 0;
	for (uint32_t b = 0; b < 0x10000; b++) {
		double v = bfloat16_to_double((uint16_t)b);
		uint16_t back = double_to_bfloat16(v, &ovf);
		if (isnan(v) ? !isnan(bfloat16_to_double(back)) : back != b)
			bad++;
	}
	is_int(bad, 0, "every bfloat16 code decodes and encodes to itself");
	for (size_t t = 0; t < sizeof(f8) / sizeof(f8[0]); t++) {
		bad = 0;
		for (uint32_t c = 0; c < 256; c++) {
			double v = float8_to_double(f8[t], (uint8_t)c);
			uint8_t back = double_to_float8(f8[t], v, &ovf);
			/* fnuz formats have no -0: 0x80 is their NaN, so only NaN may differ */
			if (isnan(v) ? !isnan(float8_to_double(f8[t], back)) : back != c)
				bad++;
		}
		is_int(bad, 0, "every %s code decodes and encodes to itself", dtype_name(f8[t]));
	}
	is_int(ovf, 0, "no overflow reported for representable values");
}

static void half_matches_compiler(void)
{
#ifdef __FLT16_MAX__
	int bad = 0;
	uint32_t first = 0;

	for (uint64_t bits = 0; bits < 0x100000000ull; bits += 4093) {
		float f = f32((uint32_t)bits);
		_Float16 want = (_Float16)f;
		uint16_t w, got = double_to_half(f, NULL);
		memcpy(&w, &want, 2);
		if (isnan(f) ? !isnan(half_to_double(got)) : got != w) {
			if (!bad++)
				first = (uint32_t)bits;
		}
	}
	ok(!bad, "float32 -> half agrees with _Float16 on 1M float32 patterns (first bad %08x)",
	   first);
#else
	ok(1, "# SKIP no _Float16 in this compiler");
#endif
}

static void ties_to_even(void)
{
	int bad = 0;

	/* The midpoint between two neighbouring halves is exact in float32: it must go to the
	 * code with an even mantissa. */
	for (uint32_t h = 0; h < 0x7bff; h++) {
		double lo = half_to_double((uint16_t)h), hi = half_to_double((uint16_t)(h + 1));
		uint16_t got = double_to_half((lo + hi) / 2, NULL);
		if (got != ((h & 1) ? h + 1 : h))
			bad++;
	}
	is_int(bad, 0, "half: every positive midpoint rounds to even");
	bad = 0;
	for (uint32_t b = 0; b < 0x7f7f; b += 7) {
		double lo = bfloat16_to_double((uint16_t)b), hi = bfloat16_to_double((uint16_t)(b + 1));
		uint16_t got = double_to_bfloat16((lo + hi) / 2, NULL);
		if (got != ((b & 1) ? b + 1 : b))
			bad++;
	}
	is_int(bad, 0, "bfloat16: midpoints round to even");
}

static void bf16_fast_path(void)
{
	int bad = 0;
	uint8_t in[4], fast[2];

	for (uint64_t bits = 0; bits < 0x100000000ull; bits += 4099) {
		float f = f32((uint32_t)bits);
		uint16_t slow = double_to_bfloat16(f, NULL);
		for (int k = 0; k < 4; k++)
			in[k] = (uint8_t)(bits >> 8 * k);
		cast_elements(DT_FLOAT, in, DT_BFLOAT16, fast, 1, NULL);
		uint16_t got = (uint16_t)(fast[0] | fast[1] << 8);
		if (isnan(f) ? !isnan(bfloat16_to_double(got)) : got != slow)
			bad++;
	}
	is_int(bad, 0, "float32 -> bfloat16 bit path equals the generic path");
}

/* The scalar float32 -> bfloat16 loop cast used before its block loop, kept as the reference
 * the block loop must equal: bits and counters. */
static void bf16_scalar(const uint32_t *in, uint16_t *out, size_t n, struct cast_stats *st)
{
	for (size_t k = 0; k < n; k++) {
		uint32_t bits = in[k], mag = bits & 0x7fffffffu;
		uint16_t b;
		if (mag > 0x7f800000u) {
			b = (uint16_t)(bits >> 16 | 0x40);
		} else {
			b = (uint16_t)((bits + 0x7fffu + (bits >> 16 & 1)) >> 16);
			st->changed += (uint32_t)b << 16 != bits;
			st->overflow += (b & 0x7fff) == 0x7f80 && mag != 0x7f800000u;
			st->underflow += !(b & 0x7fff) && mag;
		}
		st->values++;
		out[k] = b;
	}
}

/* float32 patterns in runs of odd lengths (so that blocks end anywhere): with CKPT_TEST_SLOW
 * set every one of the 2^32 (about 15 s for bfloat16, a minute for float16), else every sign,
 * exponent and top mantissa (the high 16 bits) with the low halves that decide the rounding
 * (0, 1, just under, at and over bfloat16's and float16's halfway, all ones), and every 97th
 * pattern besides. */
static size_t bf16_patterns(uint64_t *next, int every, uint32_t *in, size_t max)
{
	static const uint16_t low[] = { 0, 1, 2, 0x3fff, 0x4000, 0x7ffe, 0x7fff, 0x8000, 0x8001,
					0xbfff, 0xc000, 0xfffe, 0xffff,
					/* float16 keeps 10 of 23 bits: its halfway is 0x1000 */
					0x0fff, 0x1000, 0x1001, 0x2000, 0x3000, 0xe000, 0xf000 };
	size_t n = 0;

	if (every) {
		while (n < max && *next < 0x100000000ull)
			in[n++] = (uint32_t)(*next)++;
		return n;
	}
	/* *next: the high half (then the 97-strided sweep, from 2^16 on) */
	while (n + sizeof(low) / sizeof(low[0]) <= max && *next < 0x10000) {
		for (size_t k = 0; k < sizeof(low) / sizeof(low[0]); k++)
			in[n++] = (uint32_t)*next << 16 | low[k];
		++*next;
	}
	for (uint64_t b = (*next - 0x10000) * 97; n < max && *next >= 0x10000 &&
	     b < 0x100000000ull; b += 97, ++*next)
		in[n++] = (uint32_t)b;
	return n;
}

static void bf16_every_pattern(void)
{
	enum { RUN = 1 << 16 };
	static uint32_t in[RUN];
	static uint16_t want[RUN], got[RUN];
	struct cast_stats a = { 0 }, b = { 0 };
	uint64_t bad = 0, bad_counts = 0, next = 0;
	int every = getenv("CKPT_TEST_SLOW") != NULL;
	size_t len = RUN - 1, n;

	while ((n = bf16_patterns(&next, every, in, len)) > 0) {
		bf16_scalar(in, want, n, &a);
		cast_elements(DT_FLOAT, in, DT_BFLOAT16, got, n, &b);
		bad += memcmp(want, got, 2 * n) != 0;
		bad_counts += memcmp(&a, &b, sizeof(a)) != 0;
		len = len == RUN - 1 ? 777 : RUN - 1;
	}
	is_int(bad, 0, "float32 -> bfloat16 block loop: %s as the scalar loop",
	       every ? "every bit pattern" : "the patterns");
	is_int(bad_counts, 0, "... and the same counts of rounded, overflowed and underflowed");
	ok(a.values >= (every ? 0x100000000ull : 44000000), "... over %llu patterns",
	   (unsigned long long)a.values);
}

/* float32 -> float16: the block loop against the generic path it replaced (the value
 * through a double, encode(), count()), on the same patterns. */
static void half_scalar(const uint32_t *in, uint16_t *out, size_t n, struct cast_stats *st)
{
	for (size_t k = 0; k < n; k++) {
		double x = f32(in[k]), y;
		int ovf = 0;
		out[k] = double_to_half(x, &ovf);
		y = half_to_double(out[k]);
		st->values++;
		st->overflow += ovf != 0;
		st->changed += x != y && !(isnan(x) && isnan(y));
		st->underflow += y == 0 && x != 0;
	}
}

static void half_every_pattern(void)
{
	enum { RUN = 1 << 16 };
	static uint32_t in[RUN];
	static uint16_t want[RUN], got[RUN];
	struct cast_stats a = { 0 }, b = { 0 };
	uint64_t bad = 0, bad_counts = 0, next = 0, first_bad = 0;
	int every = getenv("CKPT_TEST_SLOW") != NULL;
	size_t len = RUN - 1, n;

	while ((n = bf16_patterns(&next, every, in, len)) > 0) {
		half_scalar(in, want, n, &a);
		cast_elements(DT_FLOAT, in, DT_HALF, got, n, &b);
		for (size_t k = 0; k < n; k++)
			if (want[k] != got[k] && !bad++)
				first_bad = in[k];
		bad_counts += memcmp(&a, &b, sizeof(a)) != 0;
		len = len == RUN - 1 ? 777 : RUN - 1;
	}
	is_int(bad, 0, "float32 -> float16 block loop: %s as the generic path (first bad %08llx)",
	       every ? "every bit pattern" : "the patterns", (unsigned long long)first_bad);
	is_int(bad_counts, 0, "... and the same counts of rounded, overflowed and underflowed");
	ok(a.values >= (every ? 0x100000000ull : 44000000), "... over %llu patterns",
	   (unsigned long long)a.values);
}

static void counters(void)
{
	float in[] = { 1.0f, 65504.0f, 65519.0f, 65520.0f, -1e6f, 1e-8f, 0.1f, INFINITY, NAN, -0.0f };
	uint16_t out[10];
	struct cast_stats st = { 0 };

	ok(!cast_elements(DT_FLOAT, in, DT_HALF, out, 10, &st), "cast float32 -> half");
	is_int(st.values, 10, "10 values");
	is_int(st.overflow, 2, "65520 and -1e6 overflow");
	is_int(out[3], 0x7c00, "65520 -> +Inf");
	is_int(out[4], 0xfc00, "-1e6 -> -Inf");
	is_int(out[2], 0x7bff, "65519 -> 65504");
	is_int(st.underflow, 1, "1e-8 becomes 0");
	is_int(st.changed, 5, "65519, 65520, -1e6, 1e-8, 0.1 changed");
	is_int(out[9], 0x8000, "-0 kept");
	is_int(out[7], 0x7c00, "Inf kept, not counted as overflow");
	ok(isnan(half_to_double(out[8])), "NaN kept");
	ok(cast_elements(DT_INT32, in, DT_HALF, out, 1, NULL) < 0, "int32 is not a float");

	/* e4m3fn has no Inf: 464, half-way between 448 and the NaN code, goes to the even 448;
	 * past it the value rounds onto the NaN code, which is an overflow */
	int ovf = 0;
	is_int(double_to_float8(DT_FLOAT8_E4M3FN, 464, &ovf), 0x7e, "464 -> 448 (ties to even)");
	is_int(ovf, 0, "no overflow at 464");
	is_int(double_to_float8(DT_FLOAT8_E4M3FN, -470, &ovf), 0xff, "-470 -> NaN");
	is_int(ovf, 1, "overflow counted");
	is_int(double_to_float8(DT_FLOAT8_E4M3FNUZ, -0.0, NULL), 0, "fnuz: -0 -> 0");
	is_int(double_to_float8(DT_FLOAT8_E4M3FNUZ, -1.0, NULL), 0xc0, "fnuz: -1 keeps its sign");

	double d[] = { 1.5, -2.25, 3.0, 4.0 };
	float c[4];
	st = (struct cast_stats){ 0 };
	ok(!doubles_to_elements(DT_COMPLEX64, d, 2, c, &st), "complex64 from doubles");
	ok(c[0] == 1.5f && c[1] == -2.25f && c[3] == 4.0f, "complex parts in order");
	is_int(st.values, 4, "both parts counted");
}

int main(void)
{
	all_codes_round_trip();
	half_matches_compiler();
	ties_to_even();
	bf16_fast_path();
	bf16_every_pattern();
	half_every_pattern();
	counters();
	return tap_done();
}
