/* A bounds-checked read cursor over bytes it does not own: every parse of file bytes uses it.
 * Each getter returns 0 and advances on success, or returns -1 and leaves the cursor as it was. */
#ifndef CKPT_CURSOR_H
#define CKPT_CURSOR_H

#include <stddef.h>
#include <stdint.h>

struct cursor {
	const uint8_t *p;
	size_t n;  /* bytes remaining */
};

static inline struct cursor cursor_make(const void *p, size_t n)
{
	struct cursor c = { (const uint8_t *)p, n };
	return c;
}

int cursor_u8(struct cursor *c, uint8_t *v);
int cursor_fixed32(struct cursor *c, uint32_t *v);
int cursor_fixed64(struct cursor *c, uint64_t *v);
int cursor_varint32(struct cursor *c, uint32_t *v);  /* at most 5 bytes, value < 2^32 */
int cursor_varint64(struct cursor *c, uint64_t *v);  /* at most 10 bytes */
int cursor_bytes(struct cursor *c, size_t n, const uint8_t **p);  /* borrow n bytes */
int cursor_skip(struct cursor *c, size_t n);

/* Little-endian loads from memory the caller has already bounds-checked. */
static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t load_le64(const uint8_t *p)
{
	return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32;
}

#endif
