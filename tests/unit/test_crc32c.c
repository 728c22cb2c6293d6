/* CRC-32C: known vectors, masking, and every implementation the CPU has against the table
 * path. */
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "tap.h"

static const char *crc32c_impl_default;

/* One implementation against the table path: every length 0..4200 at 17 alignments, random
 * long ones, extending in pieces of odd sizes, and known vectors. */
static void check_impl(int impl, const uint8_t *buf)
{
	static const char *const names[] = { "table", "sse4.2", "pclmul", "vpclmulqdq" };
	const char *name = names[impl];
	uint8_t fill[32];
	int same = 1, pieces = 1;
	uint32_t x = 31337;

	if (crc32c_use(name) < 0) {
		for (int i = 0; i < 6; i++)
			ok(1, "# SKIP this CPU has no %s", name);
		return;
	}
	is_int(crc32c("123456789", 9), 0xe3069283u, "%s: check value of \"123456789\"", name);
	memset(fill, 0, sizeof(fill));
	is_int(crc32c(fill, 32), 0x8a9136aau, "%s: 32 bytes of zeros (RFC 3720 B.4)", name);
	memset(fill, 0xff, sizeof(fill));
	is_int(crc32c(fill, 32), 0x62a8ab43u, "%s: 32 bytes of 0xff (RFC 3720 B.4)", name);
	for (size_t n = 0; n <= 4200; n++)
		for (size_t a = 0; a < 17; a++)
			same &= crc32c(buf + a, n) == crc32c_extend_sw(0, buf + a, n);
	ok(same, "%s equals the table path for lengths 0..4200 at 17 alignments", name);
	for (int i = 0; i < 200; i++) {  /* long random lengths and offsets */
		x = x * 1103515245u + 12345u;
		size_t off = (x >> 8) % 64, n = (x >> 12) % (200000 - 64);
		same &= crc32c(buf + off, n) == crc32c_extend_sw(0, buf + off, n);
	}
	ok(same, "%s equals the table path on 200 long random buffers", name);
	for (size_t cut = 0; cut < 5000; cut += 37)  /* pieces of odd sizes, as streams give */
		for (size_t cut2 = cut; cut2 < cut + 700; cut2 += 97)
			pieces &= crc32c_extend(crc32c_extend(crc32c(buf, cut), buf + cut, cut2 - cut),
						buf + cut2, 200000 - cut2) ==
				  crc32c_extend_sw(0, buf, 200000);
	ok(pieces, "%s: extending in three pieces equals one pass", name);
}

int main(void)
{
	uint8_t *buf = malloc(200000);
	uint32_t x = 12345;
	int all_same = 1;

	crc32c_impl_default = crc32c_impl();

	is_int(crc32c("123456789", 9), 0xe3069283u, "check value of \"123456789\"");
	is_int(crc32c("", 0), 0, "empty input");
	is_int(crc32c_mask(0), 0xa282ead8u, "Mask(0)");
	is_int(crc32c_mask(0x48674bc7u), 0x3a117ba6u, "Mask of doc/FORMAT.md §12's payload CRC");
	is_int(crc32c_unmask(0x7310a05fu), 0xdac3e846u, "Unmask of §12's block trailer");
	{
		uint8_t zeros[4] = { 0 };
		is_int(crc32c_mask(crc32c(zeros, 4)), 0x3a117ba6u, "stored CRC of a float32 0.0");
	}
	for (int i = 0; i < 200000; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	/* Lengths around the stream sizes, at every alignment. */
	{
		static const size_t lens[] = { 0, 1, 7, 8, 9, 255, 256, 767, 768, 769, 5000,
			24575, 24576, 24577, 49152 + 13, 150000, 199990 };
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
			for (size_t a = 0; a < 8; a++)
				if (crc32c(buf + a, lens[i]) != crc32c_extend_sw(0, buf + a, lens[i]))
					all_same = 0;
	}
	ok(all_same, "%s path equals the table path for all lengths and alignments", crc32c_impl());
	for (int impl = 0; impl < 4; impl++)  /* each implementation this CPU has */
		check_impl(impl, buf);
	crc32c_use(crc32c_impl_default);
	ok(crc32c_extend(crc32c(buf, 100001), buf + 100001, 99999) == crc32c(buf, 200000),
	   "extending in two pieces equals one pass");
	{
		static const size_t cuts[] = { 0, 1, 8, 4095, 100001, 199999, 200000 };
		int combined = 1;
		for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
			if (crc32c_combine(crc32c(buf, cuts[i]), crc32c(buf + cuts[i], 200000 - cuts[i]),
					   200000 - cuts[i]) != crc32c(buf, 200000))
				combined = 0;
		ok(combined, "combining the CRCs of two parts equals one pass, for any cut");
		is_int(crc32c_combine(0xe3069283u, 0, 0), 0xe3069283u, "combining with nothing");
	}
	{
		/* 200000 bytes in parts of 65536: three whole and a short last one. */
		uint32_t parts[4];
		for (int j = 0; j < 4; j++)
			parts[j] = crc32c(buf + j * 65536, j < 3 ? 65536 : 200000 - 3 * 65536);
		is_int(crc32c_join(parts, 4, 200000, 65536), crc32c(buf, 200000),
		       "joining the CRCs of chunks equals one pass");
		is_int(crc32c_join(parts, 1, 65536, 65536), parts[0], "one part is itself");
		is_int(crc32c_join(parts, 0, 0, 65536), 0, "no part: the CRC of nothing");
	}
	{
		int inverts = 1;
		for (uint32_t v = 1; v; v <<= 1)
			inverts &= crc32c_unmask(crc32c_mask(v)) == v;
		ok(inverts, "unmask inverts mask");
	}
	free(buf);
	return tap_done();
}
