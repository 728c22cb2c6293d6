/* Shortest round-trip digits (shortest.h), with a small fixed-size bignum: float64's extremes
 * need about 1,130 bits (10^323 times a 53-bit significand), float32's about 200. */
#include "base/shortest.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define BIG_WORDS 40  /* 1,280 bits */

struct big {
	int n;                 /* words in use; no leading zero words */
	uint32_t w[BIG_WORDS]; /* least significant first */
};

static void big_set(struct big *b, uint64_t v)
{
	b->n = 0;
	while (v) {
		b->w[b->n++] = (uint32_t)v;
		v >>= 32;
	}
}

static void big_mul_small(struct big *b, uint32_t m)
{
	uint64_t carry = 0;

	for (int i = 0; i < b->n; i++) {
		uint64_t t = (uint64_t)b->w[i] * m + carry;
		b->w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry)
		b->w[b->n++] = (uint32_t)carry;
}

static void big_mul_pow10(struct big *b, int k)
{
	static const uint32_t p10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
					100000000, 1000000000 };

	for (; k >= 9; k -= 9)
		big_mul_small(b, p10[9]);
	if (k)
		big_mul_small(b, p10[k]);
}

static void big_shl(struct big *b, int bits)
{
	int words = bits / 32, s = bits % 32;

	if (!b->n)
		return;
	if (s) {
		uint32_t carry = 0;
		for (int i = 0; i < b->n; i++) {
			uint32_t w = b->w[i];
			b->w[i] = w << s | carry;
			carry = w >> (32 - s);
		}
		if (carry)
			b->w[b->n++] = carry;
	}
	if (words) {
		memmove(b->w + words, b->w, (size_t)b->n * sizeof(b->w[0]));
		memset(b->w, 0, (size_t)words * sizeof(b->w[0]));
		b->n += words;
	}
}

static int big_cmp(const struct big *a, const struct big *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (int i = a->n - 1; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

/* out = a + b */
static void big_add(struct big *out, const struct big *a, const struct big *b)
{
	const struct big *l = a->n >= b->n ? a : b, *s = a->n >= b->n ? b : a;
	uint64_t carry = 0;
	int i;

	for (i = 0; i < l->n; i++) {
		uint64_t t = (uint64_t)l->w[i] + (i < s->n ? s->w[i] : 0) + carry;
		out->w[i] = (uint32_t)t;
		carry = t >> 32;
	}
	out->n = l->n;
	if (carry)
		out->w[out->n++] = (uint32_t)carry;
}

/* a -= b, for a >= b */
static void big_sub(struct big *a, const struct big *b)
{
	int64_t borrow = 0;

	for (int i = 0; i < a->n; i++) {
		int64_t t = (int64_t)a->w[i] - (i < b->n ? b->w[i] : 0) - borrow;
		borrow = t < 0;
		a->w[i] = (uint32_t)(t + (borrow << 32));
	}
	while (a->n && !a->w[a->n - 1])
		a->n--;
}

/* Is (r + m) against s at or past the upper end: >= when the end is inclusive, else >? */
static int above(const struct big *r, const struct big *m, const struct big *s, int inclusive)
{
	struct big t;
	int c;

	big_add(&t, r, m);
	c = big_cmp(&t, s);
	return inclusive ? c >= 0 : c > 0;
}

/* a = f * 2^e, f an integer of at most mant_bits bits, e at least the subnormal one. A
 * midpoint reads back as the value with the even significand: the ends of the interval belong
 * to a when f is even. Below a power of two (not the smallest normal one) the values lie twice
 * as close: the lower end is nearer (asym). */
static uint64_t decompose(double a, int mant_bits, int emin_normal, int *e, int *inclusive,
			  int *asym)
{
	int fe;
	uint64_t f;

	frexp(a, &fe);
	*e = fe - 1 < emin_normal ? emin_normal : fe - 1;
	*e -= mant_bits - 1;
	f = (uint64_t)ldexp(a, -*e);
	*inclusive = !(f & 1);
	*asym = f == (uint64_t)1 << (mant_bits - 1) && *e > emin_normal - (mant_bits - 1);
	return f;
}

/* Put a = r / s with r < s <= 10 r (scaled by the returned k: a = r / s * 10^k) and the
 * interval's half-gaps mp, mm on the same scale. */
static int decade_scale(double a, int mant_bits, int emin_normal, struct big *r, struct big *s,
			struct big *mp, struct big *mm, int *inclusive)
{
	struct big t;
	int e, k, asym;
	uint64_t f = decompose(a, mant_bits, emin_normal, &e, inclusive, &asym);

	/* a = r / s, its interval (r - mm) / s to (r + mp) / s, all doubled (or quadrupled) so
	 * that the half-gaps are integers. */
	big_set(r, f);
	big_shl(r, asym ? 2 : 1);
	big_set(s, asym ? 4 : 2);
	big_set(mp, asym ? 2 : 1);
	big_set(mm, 1);
	if (e >= 0) {
		big_shl(r, e);
		big_shl(mp, e);
		big_shl(mm, e);
	} else {
		big_shl(s, -e);
	}

	/* k: 10^(k-1) <= a < 10^k, so that the digits are a's own, first digit first: at each
	 * length the candidates are a cut there and a rounded up there, as printf rounds a (a
	 * power of ten above the interval's first digit is not a shorter form of a: numpy and
	 * the printf search agree on that, which matters for 8-bit floats). Estimated, then
	 * corrected. */
	k = (int)floor(log10(a)) + 1;
	if (k >= 0) {
		big_mul_pow10(s, k);
	} else {
		big_mul_pow10(r, -k);
		big_mul_pow10(mp, -k);
		big_mul_pow10(mm, -k);
	}
	while (big_cmp(r, s) >= 0) {
		big_mul_small(s, 10);
		k++;
	}
	for (;;) {
		t = *r;
		big_mul_small(&t, 10);
		if (big_cmp(&t, s) >= 0)
			break;
		big_mul_small(r, 10);
		big_mul_small(mp, 10);
		big_mul_small(mm, 10);
		k--;
	}
	return k;
}

/* The next digit of r / s, r left as the remainder. */
static int next_digit(struct big *r, const struct big *s)
{
	int d = 0;

	big_mul_small(r, 10);
	while (big_cmp(r, s) >= 0) {
		big_sub(r, s);
		d++;
	}
	return d;
}

/* The last digit d (digits before it in dig[0..n-1]) raised by one: carries. Returns the new
 * digit count; *k grows when 9.99... becomes 10. */
static int carry(char *dig, int n, int d, int *k)
{
	while (d == 10 && n > 0)
		d = dig[--n] - '0' + 1;
	if (d == 10) {
		d = 1;
		++*k;
	}
	dig[n++] = (char)('0' + d);
	return n;
}

typedef unsigned __int128 u128;

#define LIMIT ((u128)1 << 124)  /* then 10 x, and sums of two such, stay in 128 bits */

/* decade_scale in 128-bit integers, for every value of everyday size (a float64 from about
 * 1e-27 to 1e36, every float32 but the subnormals' far end): 1, or 0 when a number would pass
 * LIMIT (the bignum takes over). */
static int scale_small(double a, int mant_bits, int emin_normal, u128 *r, u128 *s, u128 *mp,
		       u128 *mm, int *inclusive, int *kout)
{
	int e, k, asym;
	uint64_t f = decompose(a, mant_bits, emin_normal, &e, inclusive, &asym);
	u128 p10 = 1;

	if (e > 60 || e < -110)
		return 0;
	*r = (u128)f << (asym ? 2 : 1);
	*s = asym ? 4 : 2;
	*mp = asym ? 2 : 1;
	*mm = 1;
	if (e >= 0) {
		*r <<= e;
		*mp <<= e;
		*mm <<= e;
	} else {
		*s <<= -e;
	}
	k = (int)floor(log10(a)) + 1;
	for (int i = 0; i < (k < 0 ? -k : k); i++) {
		if (p10 > LIMIT / 10)
			return 0;
		p10 *= 10;
	}
	if (k >= 0) {
		if (__builtin_mul_overflow(*s, p10, s))
			return 0;
	} else if (__builtin_mul_overflow(*r, p10, r) || __builtin_mul_overflow(*mp, p10, mp) ||
		   __builtin_mul_overflow(*mm, p10, mm)) {
		return 0;
	}
	if (*s >= LIMIT || *r >= LIMIT || *mp >= LIMIT)
		return 0;
	while (*r >= *s) {
		if (*s >= LIMIT / 10)
			return 0;
		*s *= 10;
		k++;
	}
	while (*r * 10 < *s) {
		*r *= 10;
		*mp *= 10;
		*mm *= 10;
		k--;
	}
	*kout = k;
	return 1;
}

/* The next digit of r / s (r < s < LIMIT), r left as the remainder; s2, s4, s8: s times 2, 4,
 * 8 (no division: a 128-bit one costs more than these four steps). */
static int digit_small(u128 *r, u128 s, u128 s2, u128 s4, u128 s8)
{
	int d = 0;

	*r *= 10;
	if (*r >= s8) {
		*r -= s8;
		d = 8;
	}
	if (*r >= s4) {
		*r -= s4;
		d += 4;
	}
	if (*r >= s2) {
		*r -= s2;
		d += 2;
	}
	if (*r >= s) {
		*r -= s;
		d++;
	}
	return d;
}

/* shortest_digits' loop in 128-bit arithmetic (scale_small's numbers). */
static int shortest_small(u128 r, u128 s, u128 mp, u128 mm, int inclusive, char *dig, int *k)
{
	u128 s2 = 2 * s, s4 = 4 * s, s8 = 8 * s;
	int n = 0;

	for (;;) {
		int d, low, high;
		mp *= 10;
		mm *= 10;
		d = digit_small(&r, s, s2, s4, s8);
		low = inclusive ? r <= mm : r < mm;
		high = inclusive ? r + mp >= s : r + mp > s;
		if (!low && !high && n < 22) {
			dig[n++] = (char)('0' + d);
			continue;
		}
		if (low && high)  /* both fit: the nearer, an exact tie to the even digit */
			d += 2 * r > s || (2 * r == s && (d & 1));
		else
			d += high;
		return carry(dig, n, d, k);
	}
}


/* ---- fast paths: double arithmetic whose one rounding is proven harmless, else exact ----
 *
 * a * 10^p for |p| <= 22 is one correctly rounded operation (10^p is exact in a double, and
 * a division by it is as exact as a product), so it is within a relative 2^-53 of the true
 * product. Every decision below (which integer, which side of a half, of a bound) is taken
 * only when the computed number lies further than TOL_REL times itself from the edge, which
 * is far more than that error; otherwise the exact integer paths above decide. A statistics
 * table formats five numbers a row for 10^5 rows: the exact paths cost ~150 ns a number. */

#define TOL_REL 0x1p-48

static const double p10d[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,
			       1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17,
			       1e18, 1e19, 1e20, 1e21, 1e22 };

/* x * 10^p in one rounding; 0 when |p| > 22. */
static int times_pow10(double x, int p, double *out)
{
	if (p > 22 || p < -22)
		return 0;
	*out = p >= 0 ? x * p10d[p] : x / p10d[-p];
	return 1;
}

/* The binary exponent of a double, -1023 for zero and subnormals, 1024 for Inf and NaN. */
static int bin_exp(double a, uint64_t *bits)
{
	memcpy(bits, &a, 8);
	return (int)(*bits >> 52 & 0x7ff) - 1023;
}

/* For a normal a > 0 of binary exponent e2: s = a * 10^p in [10^(n-1), 10^n), clear of both
 * ends, with d = floor(log10 a) and p = n - 1 - d (n <= 15). 1, or 0 when that cannot be
 * shown. */
static int scaled_fast(double a, int e2, int n, double *s, int *d, int *p)
{
	double lo = p10d[n - 1], hi = p10d[n];

	/* floor(log10 a) is floor(e2 log10 2) or one more; 78913 / 2^18 is log10 2 closely
	 * enough for |e2| < 1650 (and >> of a negative int is arithmetic in GCC and Clang) */
	*d = (e2 * 78913) >> 18;
	*p = n - 1 - *d;
	if (!times_pow10(a, *p, s))
		return 0;
	if (*s >= hi) {
		++*d;
		--*p;
		if (!times_pow10(a, *p, s))
			return 0;
	}
	return *s > lo + *s * TOL_REL && *s < hi - *s * TOL_REL;
}

static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* v (< 10^n) as exactly n digits, leading zeros included: two at a time, in 32 bits when
 * they fit (a statistics table formats five numbers a row, and a digit at a time was a chain
 * of a dozen dependent 64-bit divisions). */
static void put_digits(char *dig, uint64_t v, int n)
{
	uint32_t w;

	for (; n > 9; n -= 2, v /= 100)
		memcpy(dig + n - 2, digit_pairs + 2 * (v % 100), 2);
	for (w = (uint32_t)v; n >= 2; n -= 2, w /= 100)
		memcpy(dig + n - 2, digit_pairs + 2 * (w % 100), 2);
	if (n)
		dig[0] = (char)('0' + w);
}

/* x / 10^k for k from 0 to 8, by constants (a division by a variable costs as much as the
 * rest of a digit step). */
static uint32_t div_pow10(uint32_t x, int k)
{
	switch (k) {
	case 0: return x;
	case 1: return x / 10;
	case 2: return x / 100;
	case 3: return x / 1000;
	case 4: return x / 10000;
	case 5: return x / 100000;
	case 6: return x / 1000000;
	case 7: return x / 10000000;
	default: return x / 100000000;
	}
}

static const uint32_t p10u[] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
				 100000000, 1000000000 };

/* shortest_digits for formats of up to 24 significand bits, whose shortest digits never
 * number more than 9: all the candidates are cuts of S = a * 10^(8-d), a's first nine digits
 * and the rest, and the interval's ends scaled alike, lb and ub. Returns the digit count (dig
 * not yet ended), or 0 for the exact path. */
static int shortest_fast(double a, int mant_bits, int emin_normal, char *dig, int *k)
{
	int e2, e, d, p, asym, n0 = 1;
	uint64_t bits, f;
	uint32_t whole, rest;
	double s, lb, ub, tol, half;

	e2 = bin_exp(a, &bits);
	if (mant_bits > 24 || e2 == -1023 || e2 == 1024)
		return 0;
	/* a = f 2^e, f the format's significand (decompose, from the bits: a is of the format) */
	e = (e2 < emin_normal ? emin_normal : e2) - (mant_bits - 1);
	if (e - 2 < -1022 || e2 < e)
		return 0;
	f = ((bits & ((1ull << 52) - 1)) | 1ull << 52) >> (52 - (e2 - e));
	asym = f == 1ull << (mant_bits - 1) && e > emin_normal - (mant_bits - 1);
	bits = (uint64_t)(e - 1 + 1023) << 52;
	memcpy(&half, &bits, 8);  /* 2^(e-1): the ends, exact in a double, are a + half and
				     a - half (a - half / 2 below a power of two) */
	if (!scaled_fast(a, e2, 9, &s, &d, &p) || !times_pow10(a - (asym ? half / 2 : half), p, &lb) ||
	    !times_pow10(a + half, p, &ub))
		return 0;
	tol = s * TOL_REL;
	whole = (uint32_t)s;
	if (s - whole <= tol || s - whole >= 1 - tol)
		return 0;  /* floor(S) not certain */
	/* A cut at length n <= 6 leaves a rest r = whole mod 10^(9-n) with r mod 1000 = rest; it
	 * is inside the interval only if r < S - lb, rounded up only if 10^(9-n) - r < ub - S:
	 * neither when rest is further than the half-gaps (plus one, for S's fraction) from 0 and
	 * 1000 (nearly every value: its shortest digits number 7 to 9). */
	rest = whole % 1000;
	if (rest > s - lb + 2 && 1000 - rest > ub - s + 2)
		n0 = 7;
	for (int n = n0; n <= 9; n++) {
		uint32_t unit = p10u[9 - n];
		uint64_t c = div_pow10(whole, 9 - n);
		double cut = (double)(c * unit), up = (double)((c + 1) * unit), mid;
		int low, high;
		if (fabs(cut - lb) <= tol || fabs(up - ub) <= tol)
			return 0;
		low = cut > lb;  /* an end itself (inclusive) is never certain: the exact path */
		high = up < ub;
		if (!low && !high)
			continue;
		if (low && high) {  /* the nearer: 2S against cut + up */
			mid = cut + up;
			if (fabs(2 * s - mid) <= 2 * tol)
				return 0;
			c += 2 * s > mid;
		} else {
			c += high;
		}
		*k = d + 1;
		if (c == p10u[n]) {  /* 9.99... rounded up to 10 */
			c /= 10;
			++*k;
		}
		put_digits(dig, c, n);
		return n;
	}
	return 0;
}

/* rounded_digits for ndig <= 15: a * 10^(ndig-1-d) rounded to an integer, unless it lies
 * too near a half. Returns the power of ten of the first digit through *first, 1; or 0. */
static int rounded_fast(double a, int ndig, char *dig, int *first)
{
	int d, p, e2;
	double s, whole, frac;
	uint64_t v, bits;

	e2 = bin_exp(a, &bits);
	if (ndig > 15 || e2 == -1023 || e2 == 1024 || !scaled_fast(a, e2, ndig, &s, &d, &p))
		return 0;
	whole = (double)(uint64_t)s;  /* floor: 0 < s < 2^53 */
	frac = s - whole;
	if (fabs(frac - 0.5) <= s * TOL_REL)
		return 0;
	v = (uint64_t)whole + (frac > 0.5);
	if (v == (uint64_t)p10d[ndig]) {
		v /= 10;
		d++;
	}
	put_digits(dig, v, ndig);
	*first = d;
	return 1;
}

int shortest_digits(double a, int mant_bits, int emin_normal, char dig[24])
{
	struct big r, s, mp, mm, t;
	u128 r1, s1, mp1, mm1;
	int k, n = 0, inclusive;

	n = shortest_fast(a, mant_bits, emin_normal, dig, &k);
	if (n)
		goto done;
	if (scale_small(a, mant_bits, emin_normal, &r1, &s1, &mp1, &mm1, &inclusive, &k)) {
		n = shortest_small(r1, s1, mp1, mm1, inclusive, dig, &k);
		goto done;
	}
	k = decade_scale(a, mant_bits, emin_normal, &r, &s, &mp, &mm, &inclusive);
	/* Digits until one of the two candidates at this length lies inside the interval. */
	for (;;) {
		int d, low, high, c;
		big_mul_small(&mp, 10);
		big_mul_small(&mm, 10);
		d = next_digit(&r, &s);
		c = big_cmp(&r, &mm);
		low = inclusive ? c <= 0 : c < 0;
		high = above(&r, &mp, &s, inclusive);
		if (!low && !high && n < 22) {
			dig[n++] = (char)('0' + d);
			continue;
		}
		if (low && high) {  /* both fit: the nearer, an exact tie to the even digit */
			t = r;
			big_shl(&t, 1);
			c = big_cmp(&t, &s);
			d += c > 0 || (c == 0 && (d & 1));
		} else {
			d += high;
		}
		n = carry(dig, n, d, &k);  /* d may be 10 */
		break;
	}
done:
	while (n > 1 && dig[n - 1] == '0')
		n--;
	dig[n] = '\0';
	return k - 1;
}

int rounded_digits(double a, int ndig, char dig[24])
{
	struct big r, s, mp, mm;
	u128 r1, s1, mp1, mm1;
	int k, n = 0, inclusive, d, c;

	if (rounded_fast(a, ndig, dig, &k)) {
		dig[ndig] = '\0';
		return k;
	}
	if (scale_small(a, 53, -1022, &r1, &s1, &mp1, &mm1, &inclusive, &k)) {
		u128 s2 = 2 * s1, s4 = 4 * s1, s8 = 8 * s1;
		while (n < ndig - 1)
			dig[n++] = (char)('0' + digit_small(&r1, s1, s2, s4, s8));
		d = digit_small(&r1, s1, s2, s4, s8);
		c = 2 * r1 > s1 ? 1 : 2 * r1 == s1 ? 0 : -1;
	} else {
		k = decade_scale(a, 53, -1022, &r, &s, &mp, &mm, &inclusive);
		while (n < ndig - 1)
			dig[n++] = (char)('0' + next_digit(&r, &s));
		d = next_digit(&r, &s);
		big_shl(&r, 1);
		c = big_cmp(&r, &s);
	}
	/* The rest, r / s, against one half: above rounds up, an exact half to the even digit. */
	n = carry(dig, n, d + (c > 0 || (c == 0 && (d & 1))), &k);
	while (n < ndig)  /* a carry out of the first digit shortened them */
		dig[n++] = '0';
	dig[n] = '\0';
	return k - 1;
}
