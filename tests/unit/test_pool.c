/* pool.h: copies keep their bytes and a NUL, are 8-byte aligned, stay where they are while
 * the pool grows (small copies, one larger than a block, empty ones), and a released pool
 * is empty and usable again. Run under valgrind or ASan to see that nothing leaks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/pool.h"
#include "tap.h"

#define N 50000

int main(void)
{
	struct pool p = POOL_INIT;
	static char *got[N + 2];
	char want[64];
	size_t big = 700u << 10;
	unsigned char *large = NULL;
	int bad = 0, misaligned = 0;

	for (int i = 0; i < N; i++) {
		int n = snprintf(want, sizeof(want), "model/layer_%d/kernel", i * 7919);
		got[i] = pool_copy(&p, want, (size_t)n);
		if (i == N / 2) {  /* a copy larger than a block, in the middle */
			unsigned char *src = malloc(big);
			for (size_t k = 0; k < big; k++)
				src[k] = (unsigned char)(k * 31);
			large = pool_copy(&p, src, big);
			ok(!memcmp(large, src, big) && large[big] == 0, "a %zu-byte copy, whole", big);
			free(src);
		}
	}
	got[N] = pool_copy(&p, "", 0);
	for (int i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "model/layer_%d/kernel", i * 7919);
		bad += strcmp(got[i], want) != 0;
		misaligned += (uintptr_t)got[i] % 8 != 0;
	}
	is_int(bad, 0, "%d small copies keep their bytes and NUL as the pool grows", N);
	is_int(misaligned, 0, "every copy is 8-byte aligned");
	ok(got[N][0] == 0, "an empty copy is an empty string");
	ok(large && large[1] == 31 && large[big - 1] == (unsigned char)((big - 1) * 31),
	   "the large copy is still there after more small ones");
	{
		int64_t dims[3] = { 784, -1, 1ll << 40 };
		int64_t *d = pool_alloc(&p, sizeof(dims));
		memcpy(d, dims, sizeof(dims));
		ok(d[2] == 1ll << 40 && (uintptr_t)d % 8 == 0, "pool_alloc: room for int64s");
	}
	pool_release(&p);
	ok(p.head == NULL, "released: empty");
	ok(!strcmp(pool_copy(&p, "again", 5), "again"), "and usable again");
	pool_release(&p);
	return tap_done();
}
