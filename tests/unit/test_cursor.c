/* The bounds-checked cursor: varints at their limits, truncation, no advance on failure. */
#include "base/cursor.h"
#include "base/util.h"
#include "tap.h"

int main(void)
{
	struct buf b = BUF_INIT;
	struct cursor c;
	uint64_t v64;
	uint32_t v32;

	put_varint64(&b, 0);
	put_varint64(&b, 127);
	put_varint64(&b, 128);
	put_varint64(&b, UINT64_MAX);
	put_fixed32(&b, 0xdeadbeef);
	put_fixed64(&b, 0x0102030405060708ull);
	c = cursor_make(b.p, b.len);
	ok(!cursor_varint64(&c, &v64) && v64 == 0, "varint 0");
	ok(!cursor_varint64(&c, &v64) && v64 == 127, "varint 127 (one byte)");
	ok(!cursor_varint64(&c, &v64) && v64 == 128, "varint 128 (two bytes)");
	ok(!cursor_varint64(&c, &v64) && v64 == UINT64_MAX, "varint 2^64-1 (ten bytes)");
	ok(!cursor_fixed32(&c, &v32) && v32 == 0xdeadbeef, "fixed32 little-endian");
	ok(!cursor_fixed64(&c, &v64) && v64 == 0x0102030405060708ull, "fixed64 little-endian");
	ok(c.n == 0 && cursor_fixed32(&c, &v32) == -1, "reading past the end fails");

	{
		uint8_t eleven[11] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0 };
		uint8_t tenth_big[10] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02 };
		uint8_t trunc[2] = { 0x80, 0x80 };
		uint8_t big32[5] = { 0xff, 0xff, 0xff, 0xff, 0x10 };
		uint8_t ok32[5] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
		c = cursor_make(eleven, 11);
		ok(cursor_varint64(&c, &v64) == -1 && c.n == 11, "an 11-byte varint is rejected, cursor unmoved");
		c = cursor_make(tenth_big, 10);
		ok(cursor_varint64(&c, &v64) == -1, "a tenth byte above 1 overflows 64 bits");
		c = cursor_make(trunc, 2);
		ok(cursor_varint64(&c, &v64) == -1 && c.n == 2, "a truncated varint is rejected");
		c = cursor_make(big32, 5);
		ok(cursor_varint32(&c, &v32) == -1 && c.n == 5, "varint32 above 2^32-1 is rejected");
		c = cursor_make(ok32, 5);
		ok(!cursor_varint32(&c, &v32) && v32 == UINT32_MAX, "varint32 2^32-1 accepted");
	}
	{
		const uint8_t *p;
		uint8_t three[3] = { 1, 2, 3 };
		c = cursor_make(three, 3);
		ok(cursor_bytes(&c, 4, &p) == -1 && c.n == 3, "borrowing more bytes than remain fails");
		ok(!cursor_bytes(&c, 3, &p) && p == three && c.n == 0, "borrowing exactly what remains");
	}
	{
		struct buf e = BUF_INIT;
		buf_add_escaped(&e, "a\n\xff\\\xc3\xa9", 6);
		ok(!strcmp((char *)e.p, "a\\x0a\\xff\\\\\xc3\xa9"), "escaping keeps UTF-8, escapes the rest");
		ok(is_plain_utf8("caf\xc3\xa9", 5) && !is_plain_utf8("\xc0\xaf", 2) &&
		   !is_plain_utf8("\xed\xa0\x80", 3), "overlong and surrogate forms are not UTF-8");
		buf_release(&e);
	}
	buf_release(&b);
	return tap_done();
}
