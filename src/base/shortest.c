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

/* Put a = r / s with r < s <= 10 r (scaled by the returned k: a = r / s * 10^k) and the
 * interval's half-gaps mp, mm on the same scale. */
static int decade_scale(double a, int mant_bits, int emin_normal, struct big *r, struct big *s,
			struct big *mp, struct big *mm, int *inclusive)
{
	struct big t;
	int fe, e, k, asym;
	uint64_t f;

	/* a = f * 2^e, f an integer of at most mant_bits bits, e at least the subnormal one. */
	frexp(a, &fe);
	e = fe - 1 < emin_normal ? emin_normal : fe - 1;
	e -= mant_bits - 1;
	f = (uint64_t)ldexp(a, -e);
	/* A midpoint reads back as the value with the even significand: the ends of the interval
	 * belong to it when f is even. Below a power of two (not the smallest normal one) the
	 * values lie twice as close: the lower end is nearer. */
	*inclusive = !(f & 1);
	asym = f == (uint64_t)1 << (mant_bits - 1) && e > emin_normal - (mant_bits - 1);

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

/* b as a 128-bit integer when it is below 2^124 (then 10 b and sums of two such stay in
 * range): 1, else 0. */
static int small_big(const struct big *b, unsigned __int128 *v)
{
	if (b->n > 4 || (b->n == 4 && b->w[3] >> 28))
		return 0;
	*v = 0;
	for (int i = b->n - 1; i >= 0; i--)
		*v = *v << 32 | b->w[i];
	return 1;
}

/* shortest_digits' loop in 128-bit arithmetic, for every value of everyday size (a float32
 * from 1e-22 up, a float64 from 2^-71 to 1e21): r, mp, mm < s < 2^124. */
static int shortest_small(unsigned __int128 r, unsigned __int128 s, unsigned __int128 mp,
			  unsigned __int128 mm, int inclusive, char *dig, int *k)
{
	int n = 0;

	for (;;) {
		int d, low, high;
		r *= 10;
		mp *= 10;
		mm *= 10;
		d = (int)(r / s);
		r -= (unsigned __int128)d * s;
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

int shortest_digits(double a, int mant_bits, int emin_normal, char dig[24])
{
	struct big r, s, mp, mm, t;
	unsigned __int128 r1, s1, mp1, mm1;
	int k, n = 0, inclusive;

	k = decade_scale(a, mant_bits, emin_normal, &r, &s, &mp, &mm, &inclusive);
	if (small_big(&s, &s1) && small_big(&r, &r1) && small_big(&mp, &mp1) &&
	    small_big(&mm, &mm1)) {
		n = shortest_small(r1, s1, mp1, mm1, inclusive, dig, &k);
		goto done;
	}
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
	unsigned __int128 r1, s1;
	int k, n = 0, inclusive, d, c;

	k = decade_scale(a, 53, -1022, &r, &s, &mp, &mm, &inclusive);
	if (small_big(&s, &s1) && small_big(&r, &r1)) {
		for (;;) {
			r1 *= 10;
			d = (int)(r1 / s1);
			r1 -= (unsigned __int128)d * s1;
			if (++n == ndig)
				break;
			dig[n - 1] = (char)('0' + d);
		}
		n--;
		c = 2 * r1 > s1 ? 1 : 2 * r1 == s1 ? 0 : -1;
	} else {
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
