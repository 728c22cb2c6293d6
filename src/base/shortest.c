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

int shortest_digits(double a, int mant_bits, int emin_normal, char dig[24])
{
	struct big r, s, mp, mm, t;
	int fe, e, k, n = 0, inclusive, asym;
	uint64_t f;

	/* a = f * 2^e, f an integer of at most mant_bits bits, e at least the subnormal one. */
	frexp(a, &fe);
	e = fe - 1 < emin_normal ? emin_normal : fe - 1;
	e -= mant_bits - 1;
	f = (uint64_t)ldexp(a, -e);
	/* A midpoint reads back as the value with the even significand: the ends of the interval
	 * belong to it when f is even. Below a power of two (not the smallest normal one) the
	 * values lie twice as close: the lower end is nearer. */
	inclusive = !(f & 1);
	asym = f == (uint64_t)1 << (mant_bits - 1) && e > emin_normal - (mant_bits - 1);

	/* a = r / s, its interval (r - mm) / s to (r + mp) / s, all doubled (or quadrupled) so
	 * that the half-gaps are integers. */
	big_set(&r, f);
	big_shl(&r, asym ? 2 : 1);
	big_set(&s, asym ? 4 : 2);
	big_set(&mp, asym ? 2 : 1);
	big_set(&mm, 1);
	if (e >= 0) {
		big_shl(&r, e);
		big_shl(&mp, e);
		big_shl(&mm, e);
	} else {
		big_shl(&s, -e);
	}

	/* k: 10^(k-1) <= a < 10^k, so that the digits are a's own, first digit first: at each
	 * length the candidates are a cut there and a rounded up there, as printf rounds a (a
	 * power of ten above the interval's first digit is not a shorter form of a: numpy and
	 * the printf search agree on that, which matters for 8-bit floats). Estimated, then
	 * corrected. */
	k = (int)floor(log10(a)) + 1;
	if (k >= 0) {
		big_mul_pow10(&s, k);
	} else {
		big_mul_pow10(&r, -k);
		big_mul_pow10(&mp, -k);
		big_mul_pow10(&mm, -k);
	}
	while (big_cmp(&r, &s) >= 0) {
		big_mul_small(&s, 10);
		k++;
	}
	for (;;) {
		t = r;
		big_mul_small(&t, 10);
		if (big_cmp(&t, &s) >= 0)
			break;
		big_mul_small(&r, 10);
		big_mul_small(&mp, 10);
		big_mul_small(&mm, 10);
		k--;
	}

	/* Digits until one of the two candidates at this length lies inside the interval. */
	for (;;) {
		int d = 0, low, high, c;
		big_mul_small(&r, 10);
		big_mul_small(&mp, 10);
		big_mul_small(&mm, 10);
		while (big_cmp(&r, &s) >= 0) {
			big_sub(&r, &s);
			d++;
		}
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
		/* d may be 10: carry into the digits before it. */
		while (d == 10 && n > 0) {
			d = dig[--n] - '0' + 1;
		}
		if (d == 10) {  /* 9.99... became 10: one digit, a power higher */
			d = 1;
			k++;
		}
		dig[n++] = (char)('0' + d);
		break;
	}
	while (n > 1 && dig[n - 1] == '0')
		n--;
	dig[n] = '\0';
	return k - 1;
}
