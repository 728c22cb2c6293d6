/* OrderedCode number and string encodings used in slice keys (layout drawn in slicekey.h). */
#include "format/slicekey.h"

#include <stdlib.h>
#include <string.h>

void oc_put_unsigned(struct buf *b, uint64_t v)
{
	uint8_t t[9];
	int len = 0;

	for (uint64_t x = v; x; x >>= 8)
		len++;
	t[0] = (uint8_t)len;
	for (int i = 0; i < len; i++)
		t[len - i] = (uint8_t)(v >> (8 * i));
	buf_add(b, t, (size_t)len + 1);
}

/* First-byte and second-byte markers of an n-byte signed number. */
static const uint8_t H0[11] = { 0, 0x80, 0xc0, 0xe0, 0xf0, 0xf8, 0xfc, 0xfe, 0xff, 0xff, 0xff };
static const uint8_t H1[11] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xc0 };

void oc_put_signed(struct buf *b, int64_t v)
{
	uint64_t x = v >= 0 ? (uint64_t)v : ~(uint64_t)v;
	int bits = 0, n;
	uint8_t t[10];

	for (; x; x >>= 1)
		bits++;
	n = bits / 7 + 1;
	for (int i = 0; i < 10; i++)
		t[9 - i] = i < 8 ? (uint8_t)((uint64_t)v >> (8 * i)) : (v < 0 ? 0xff : 0);
	t[10 - n] ^= H0[n];
	if (n >= 2)
		t[11 - n] ^= H1[n];
	buf_add(b, t + 10 - n, (size_t)n);
}

void oc_put_string(struct buf *b, const void *s, size_t n)
{
	const uint8_t *p = s;

	for (size_t i = 0; i < n; i++) {
		buf_addc(b, p[i]);
		if (p[i] == 0x00)
			buf_addc(b, 0xff);
		else if (p[i] == 0xff)
			buf_addc(b, 0x00);
	}
	buf_add(b, "\x00\x01", 2);
}

int oc_get_unsigned(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t r = 0;
	size_t len;

	if (q >= end || *q > 8 || (size_t)(end - q - 1) < *q)
		return -1;
	len = *q++;
	for (size_t i = 0; i < len; i++)
		r = r << 8 | *q++;
	*v = r;
	*p = q;
	return 0;
}

int oc_get_signed(const uint8_t **p, const uint8_t *end, int64_t *v)
{
	const uint8_t *q = *p;
	uint8_t s, b0, b1;
	uint16_t head;
	int n = 0;
	uint64_t r;

	if (q >= end)
		return -1;
	s = (q[0] & 0x80) ? 0x00 : 0xff;
	b0 = q[0] ^ s;
	b1 = (end - q >= 2) ? (uint8_t)(q[1] ^ s) : 0;
	head = (uint16_t)(b0 << 8 | b1);
	while (n < 16 && (head & (0x8000 >> n)))
		n++;
	if (n < 1 || n > 10 || end - q < n)
		return -1;
	if (n <= 8) {
		static const uint64_t M[9] = { 0, 0x80, 0xc000, 0xe00000, 0xf0000000,
			0xf800000000ull, 0xfc0000000000ull, 0xfe000000000000ull, 0xff00000000000000ull };
		r = s ? ~(uint64_t)0 : 0;
		for (int i = 0; i < n; i++)
			r = r << 8 | q[i];
		r ^= M[n];
	} else {
		r = 0;
		for (int i = n - 8; i < n; i++)
			r = r << 8 | q[i];
		r ^= n == 9 ? 0x8000000000000000ull : 0;
	}
	*v = (int64_t)r;
	*p = q + n;
	return 0;
}

int oc_get_string(const uint8_t **p, const uint8_t *end, struct buf *out)
{
	const uint8_t *q = *p;

	buf_reset(out);
	while (q < end) {
		if (*q == 0x00 || *q == 0xff) {
			if (end - q < 2)
				return -1;
			if (q[0] == 0x00 && q[1] == 0x01) {
				*p = q + 2;
				return 0;
			}
			if (q[0] == 0x00 && q[1] == 0xff)
				buf_addc(out, 0x00);
			else if (q[0] == 0xff && q[1] == 0x00)
				buf_addc(out, 0xff);
			else
				return -1;
			q += 2;
		} else {
			buf_addc(out, *q++);
		}
	}
	return -1;
}

void slice_key(struct buf *out, const void *name, size_t name_len, int rank, const int64_t *extents)
{
	oc_put_unsigned(out, 0);
	oc_put_string(out, name, name_len);
	oc_put_unsigned(out, (uint64_t)rank);
	for (int d = 0; d < rank; d++) {
		int64_t len = extents[2 * d + 1];
		oc_put_signed(out, len < 0 ? 0 : extents[2 * d]);
		oc_put_signed(out, len < 0 ? -1 : len);
	}
}

int slice_key_parse(const uint8_t *key, size_t n, struct buf *name, int *rank, int64_t **extents)
{
	const uint8_t *p = key, *end = key + n;
	uint64_t zero, r;
	int64_t *ext;

	*extents = NULL;
	if (oc_get_unsigned(&p, end, &zero) || zero != 0 || oc_get_string(&p, end, name) ||
	    oc_get_unsigned(&p, end, &r) || r > 64)
		return -1;
	ext = xcalloc(r ? 2 * r : 1, sizeof(int64_t));
	for (uint64_t d = 0; d < 2 * r; d++)
		if (oc_get_signed(&p, end, &ext[d])) {
			free(ext);
			return -1;
		}
	if (p != end) {
		free(ext);
		return -1;
	}
	*rank = (int)r;
	*extents = ext;
	return 0;
}
