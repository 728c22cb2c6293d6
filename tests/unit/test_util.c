/* util: buffers for read()/pread() come page-aligned whatever their size (xmalloc_io). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util.h"

int main(void)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 65536, 1u << 20, (1u << 20) + 3 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *p = xmalloc_io(sizes[i]);
		ok(((uintptr_t)p & 4095) == 0, "xmalloc_io(%zu) is page-aligned", sizes[i]);
		memset(p, 0xa5, sizes[i]);  /* the whole size is usable (valgrind/ASan check it) */
		free(p);
	}
	return tap_done();
}
