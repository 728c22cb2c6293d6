/* CRC-32 (zip's): known check values, and the folding path against zlib's crc32() and our
 * table path on random buffers of many lengths at every alignment. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/crc32.h"
#include "tap.h"

#define SIZE 300000

int main(void)
{
	static const size_t lens[] = { 0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 47, 48, 63, 64, 65,
		79, 80, 81, 127, 128, 129, 191, 192, 255, 256, 257, 1000, 1023, 1024, 4095, 4096,
		4097, 65535, 65536, 65537, 100003, 262144, 299990, 271, 320, 511, 512, 527, 1040 };
	uint8_t *buf = malloc(SIZE + 64);
	uint32_t x = 2718281;

	is_int(crc32_update(0, "123456789", 9), 0xcbf43926u, "check value of \"123456789\"");
	is_int(crc32_update(0, "", 0), 0, "empty input");
	is_int(crc32_update(0, "a", 1), 0xe8b7be43u, "\"a\"");
	is_int(crc32_update(0, "The quick brown fox jumps over the lazy dog", 43), 0x414fa339u,
	       "the quick brown fox");
	for (int i = 0; i < SIZE + 64; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (int impl = 0; impl < 3; impl++) {  /* each implementation this CPU has */
		static const char *const names[] = { "table", "pclmul", "vpclmulqdq" };
		int same = 1, pieces = 1;
		if (crc32_use(names[impl]) < 0) {
			ok(1, "# SKIP this CPU has no %s", names[impl]);
			ok(1, "# SKIP this CPU has no %s", names[impl]);
			continue;
		}
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
			for (size_t a = 0; a < 17; a++)
				same &= crc32_update(0, buf + a, lens[i]) ==
					(uint32_t)crc32(0, buf + a, (uInt)lens[i]);
		ok(same, "%s equals zlib's crc32 for %zu lengths at 17 alignments", names[impl],
		   sizeof(lens) / sizeof(lens[0]));
		for (size_t cut = 0; cut < 600; cut += 13)  /* pieces of odd sizes, as streams give */
			pieces &= crc32_update(crc32_update(0, buf, cut), buf + cut, SIZE - cut) ==
				  (uint32_t)crc32(0, buf, SIZE);
		ok(pieces, "%s: extending in two pieces equals one pass", names[impl]);
	}
	{  /* joining the CRCs of two parts: zlib's one pass over both, for any cut */
		int joined = 1;
		for (size_t cut = 0; cut <= SIZE; cut += SIZE / 37 + 1)
			joined &= crc32_concat(crc32_update(0, buf, cut), crc32_update(0, buf + cut, SIZE - cut),
						SIZE - cut) == (uint32_t)crc32(0, buf, SIZE);
		ok(joined, "combining the CRCs of two parts equals one pass, for any cut");
		is_int(crc32_concat(0xcbf43926u, 0, 0), 0xcbf43926u, "combining with nothing");
		is_int(crc32_concat(0, 0xcbf43926u, 9), 0xcbf43926u, "nothing combined with a part");
	}
	memset(buf, 0, 4096);
	is_int(crc32_update(0, buf, 4096), (uint32_t)crc32(0, buf, 4096), "4 KiB of zeros");
	memset(buf, 0xff, 4096);
	is_int(crc32_update(0, buf, 4096), (uint32_t)crc32(0, buf, 4096), "4 KiB of 0xff");
	free(buf);
	return tap_done();
}
