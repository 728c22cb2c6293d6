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
		4097, 65535, 65536, 65537, 100003, 262144, 299990 };
	uint8_t *buf = malloc(SIZE + 64);
	uint32_t x = 2718281;
	int same_zlib = 1, same_sw = 1, pieces = 1;

	is_int(crc32_update(0, "123456789", 9), 0xcbf43926u, "check value of \"123456789\"");
	is_int(crc32_update(0, "", 0), 0, "empty input");
	is_int(crc32_update(0, "a", 1), 0xe8b7be43u, "\"a\"");
	is_int(crc32_update(0, "The quick brown fox jumps over the lazy dog", 43), 0x414fa339u,
	       "the quick brown fox");
	for (int i = 0; i < SIZE + 64; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (size_t a = 0; a < 17; a++) {
			uint32_t c = crc32_update(0, buf + a, lens[i]);
			same_zlib &= c == (uint32_t)crc32(0, buf + a, (uInt)lens[i]);
			same_sw &= c == crc32_update_sw(0, buf + a, lens[i]);
		}
	ok(same_zlib, "%s path equals zlib's crc32 for %zu lengths at 17 alignments", crc32_impl(),
	   sizeof(lens) / sizeof(lens[0]));
	ok(same_sw, "%s path equals the table path", crc32_impl());
	for (size_t cut = 0; cut < 300; cut += 13)  /* pieces of odd sizes, as a stream gives them */
		pieces &= crc32_update(crc32_update(0, buf, cut), buf + cut, SIZE - cut) ==
			  (uint32_t)crc32(0, buf, SIZE);
	ok(pieces, "extending in two pieces equals one pass");
	memset(buf, 0, 4096);
	is_int(crc32_update(0, buf, 4096), (uint32_t)crc32(0, buf, 4096), "4 KiB of zeros");
	memset(buf, 0xff, 4096);
	is_int(crc32_update(0, buf, 4096), (uint32_t)crc32(0, buf, 4096), "4 KiB of 0xff");
	free(buf);
	return tap_done();
}
