#include "base/crctab.h"

#include <string.h>

void crctab_init(crctab t, uint32_t poly)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ ((c & 1) ? poly : 0);
		t[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int k = 1; k < 8; k++)
			t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
}

uint32_t crctab_update(crctab t, uint32_t r, const uint8_t *p, size_t n)
{
	while (n && ((uintptr_t)p & 7)) {
		r = (r >> 8) ^ t[0][(r ^ *p++) & 0xff];
		n--;
	}
	while (n >= 8) {
		uint32_t lo = r ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
				   (uint32_t)p[3] << 24);
		r = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^
		    t[4][lo >> 24] ^ t[3][p[4]] ^ t[2][p[5]] ^ t[1][p[6]] ^ t[0][p[7]];
		p += 8;
		n -= 8;
	}
	while (n--)
		r = (r >> 8) ^ t[0][(r ^ *p++) & 0xff];
	return r;
}

static uint32_t gf2_times(const uint32_t *mat, uint32_t vec)
{
	uint32_t sum = 0;
	for (int i = 0; vec; i++, vec >>= 1)
		if (vec & 1)
			sum ^= mat[i];
	return sum;
}

static void gf2_mul(uint32_t *out, const uint32_t *a, const uint32_t *b)
{
	uint32_t t[32];
	for (int i = 0; i < 32; i++)
		t[i] = gf2_times(a, b[i]);
	memcpy(out, t, sizeof(t));
}

void crczeros_init(crczeros z, uint32_t poly, int from, int to)
{
	if (!from) {
		uint32_t *op = z[0];
		/* One zero bit: shift right, xor the polynomial when the low bit falls out. */
		op[0] = poly;
		for (int i = 1; i < 32; i++)
			op[i] = 1u << (i - 1);
		for (int k = 0; k < 3; k++)  /* 1 -> 2 -> 4 -> 8 bits */
			gf2_mul(op, op, op);
		from = 1;
	}
	for (int k = from; k < to; k++)
		gf2_mul(z[k], z[k - 1], z[k - 1]);
}

uint32_t crczeros_shift(crczeros z, uint32_t r, uint64_t len)
{
	for (int k = 0; len; k++, len >>= 1)
		if (len & 1)
			r = gf2_times(z[k], r);
	return r;
}
