/* Bounds-checked decoding of fixed-width integers and LEB128 varints (doc/FORMAT.md §1). */
#include "base/cursor.h"

int cursor_u8(struct cursor *c, uint8_t *v)
{
	if (c->n < 1)
		return -1;
	*v = c->p[0];
	c->p++;
	c->n--;
	return 0;
}

int cursor_fixed32(struct cursor *c, uint32_t *v)
{
	if (c->n < 4)
		return -1;
	*v = load_le32(c->p);
	c->p += 4;
	c->n -= 4;
	return 0;
}

int cursor_fixed64(struct cursor *c, uint64_t *v)
{
	if (c->n < 8)
		return -1;
	*v = load_le64(c->p);
	c->p += 8;
	c->n -= 8;
	return 0;
}

int cursor_varint64(struct cursor *c, uint64_t *v)
{
	uint64_t r = 0;
	size_t i;

	for (i = 0; i < c->n && i < 10; i++) {
		uint8_t b = c->p[i];
		/* The tenth byte may carry only the top bit of a 64-bit value. */
		if (i == 9 && b > 1)
			return -1;
		r |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = r;
			c->p += i + 1;
			c->n -= i + 1;
			return 0;
		}
	}
	return -1;
}

int cursor_varint32(struct cursor *c, uint32_t *v)
{
	struct cursor save = *c;
	uint64_t r;

	if (cursor_varint64(c, &r) < 0)
		return -1;
	if (r > UINT32_MAX || (size_t)(c->p - save.p) > 5) {
		*c = save;
		return -1;
	}
	*v = (uint32_t)r;
	return 0;
}

int cursor_bytes(struct cursor *c, size_t n, const uint8_t **p)
{
	if (n > c->n)
		return -1;
	*p = c->p;
	c->p += n;
	c->n -= n;
	return 0;
}

int cursor_skip(struct cursor *c, size_t n)
{
	const uint8_t *p;
	return cursor_bytes(c, n, &p);
}
