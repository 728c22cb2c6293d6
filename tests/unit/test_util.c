/* util: buffers for read()/pread() come page-aligned whatever their size (xmalloc_io). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "tap.h"

int main(void)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, 65536, 1u << 20, (1u << 20) + 3 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *p = xmalloc_io(sizes[i]);
		ok(((uintptr_t)p & 4095) == 0, "xmalloc_io(%zu) is page-aligned", sizes[i]);
		memset(p, 0xa5, sizes[i]);  /* the whole size is usable (valgrind/ASan check it) */
		free(p);
	}
	/* Big blocks get a 2 MiB-aligned mapping of their own (huge pages where offered), small
	 * ones malloc; both whole and writable, both freed by xfree_huge with their size. */
	{
		static const size_t big[] = { 1, XMALLOC_HUGE_MIN - 1, XMALLOC_HUGE_MIN,
					      (2u << 20) + 1, 5u << 20 };
		for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
			uint8_t *p = xmalloc_huge(big[i]);
			memset(p, 0x5a, big[i]);
			if (big[i] >= XMALLOC_HUGE_MIN)
				ok(((uintptr_t)p & ((2u << 20) - 1)) == 0,
				   "xmalloc_huge(%zu) is 2 MiB-aligned", big[i]);
			ok(p[0] == 0x5a && p[big[i] - 1] == 0x5a, "xmalloc_huge(%zu): whole", big[i]);
			xfree_huge(p, big[i]);
		}
		xfree_huge(NULL, 5u << 20);
		xfree_huge(NULL, 1);
		ok(1, "xfree_huge(NULL) is harmless");
	}
	/* xrealloc_huge keeps the contents across malloc blocks and mappings, growing through
	 * XMALLOC_HUGE_MIN and shrinking back under it. */
	{
		static const size_t steps[] = { 0, 100, XMALLOC_HUGE_MIN - 8, XMALLOC_HUGE_MIN,
						(3u << 20) + 5, 5u << 20, 1000, 10 };
		uint8_t *p = NULL;
		size_t have = 0, bad = 0;
		for (size_t i = 1; i < sizeof(steps) / sizeof(steps[0]); i++) {
			size_t keep = have < steps[i] ? have : steps[i];
			p = xrealloc_huge(p, have, steps[i]);
			for (size_t k = 0; k < keep; k++)
				bad += p[k] != (uint8_t)(k * 7);
			for (size_t k = keep; k < steps[i]; k++)
				p[k] = (uint8_t)(k * 7);
			have = steps[i];
		}
		is_int(bad, 0, "xrealloc_huge keeps the bytes through every size");
		xfree_huge(p, have);
	}
	/* The one suffix test and the one message form of a name. */
	ok(has_suffix("m.index", ".index") && has_suffix(".index", ".index") &&
	   !has_suffix("index", ".index") && has_suffix("x", ""), "has_suffix");
	ok(mem_has_suffix("a:0\0b", 3, ":0") && !mem_has_suffix("a:0\0b", 5, ":0") &&
	   !mem_has_suffix("0", 1, ":0"), "mem_has_suffix: n bytes, NULs and all");
	{
		struct buf tmp = BUF_INIT;
		buf_add(&tmp, "junk", 4);
		ok(!strcmp(name_msg(&tmp, "a\nb", 3), "a\\x0ab") && tmp.len == 6,
		   "name_msg: the buffer emptied first, the name escaped");
		buf_release(&tmp);
	}
	{  /* fmt_u64 and fmt_i64 against printf at every length */
		char a[32], b[32];
		int same = 1;
		uint64_t v = 1;
		for (int i = 0; i < 20; i++, v *= 10) {
			uint64_t t[3] = { v - 1, v, v + 7 };
			for (int k = 0; k < 3; k++) {
				snprintf(b, sizeof(b), "%llu", (unsigned long long)t[k]);
				same &= fmt_u64(a, t[k]) == strlen(b) && !strcmp(a, b);
			}
		}
		snprintf(b, sizeof(b), "%llu", (unsigned long long)UINT64_MAX);
		same &= fmt_u64(a, UINT64_MAX) == strlen(b) && !strcmp(a, b);
		snprintf(b, sizeof(b), "%lld", (long long)INT64_MIN);
		same &= fmt_i64(a, INT64_MIN) == strlen(b) && !strcmp(a, b);
		ok(same, "fmt_u64, fmt_i64: printf's digits, 0 to UINT64_MAX, INT64_MIN");
	}
	return tap_done();
}
