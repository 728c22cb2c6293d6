/* .npz member names: every tensor name, of any bytes, becomes a plain relative member name
 * (no absolute path, no "." or ".." or empty component, no backslash or control byte, valid
 * UTF-8) and decodes back to itself exactly. */
#include <stdlib.h>

#include "base/util.h"
#include "tensor/npz.h"
#include "tap.h"

/* 1 if the member name is a safe relative path of ordinary components. */
static int plain(const uint8_t *p, size_t n)
{
	size_t start = 0;

	if (!n || n > NPZ_MAX_MEMBER)
		return 0;
	for (size_t i = 0; i < n;) {
		int k = utf8_seq_len(p + i, n - i);
		if (!k || p[i] < 0x20 || p[i] == 0x7f || p[i] == '\\')
			return 0;
		i += (size_t)k;
	}
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '/')
			continue;
		if (i == start || p[start] == '.')  /* empty, ".", "..", hidden */
			return 0;
		start = i + 1;
	}
	return 1;
}

static int round_trip(const void *name, size_t len)
{
	struct buf m = BUF_INIT, back = BUF_INIT;
	int good;

	npz_member_name(&m, name, len);
	good = m.len >= 4 && !memcmp(m.p + m.len - 4, ".npy", 4) && plain(m.p, m.len);
	npz_name_decode(&back, (const char *)m.p, m.len - 4);
	good = good && back.len == len && !memcmp(back.p, name, len);
	if (!good)
		printf("#   member \"%.*s\"\n", (int)m.len, (const char *)m.p);
	buf_release(&m);
	buf_release(&back);
	return good;
}

int main(void)
{
	static const char *const names[] = {
		"../../evil", "/abs/path", "a//b", "x/", "/", "//", ".", "..", ".hidden", "a/./b",
		"a/../b", "100%", "%41", "%", "%%", "back\\slash", "tab\there", "new\nline",
		"dense/kernel", "caf\xc3\xa9", "bad\xff\xfeutf8", "a/.b/.", "...",
	};
	struct buf m = BUF_INIT, d = BUF_INIT;
	uint32_t x = 1;
	int all = 1;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ok(round_trip(names[i], strlen(names[i])), "\"%s\" is a plain member and comes back",
		   names[i]);
	ok(round_trip("a\0b", 3), "a NUL byte too");
	npz_member_name(&m, "", 0);
	is_mem(m.p, m.len, ".npy", 4, "the empty name is \".npy\", as numpy.savez writes it");
	buf_reset(&m);
	npz_member_name(&m, "dense/kernel", 12);
	is_mem(m.p, m.len, "dense/kernel.npy", 16, "ordinary names keep numpy's key");
	npz_name_decode(&d, "%zz%4", 5);
	is_mem(d.p, d.len, "%zz%4", 5, "a '%%' without two hex digits is kept");
	for (int i = 0; i < 256; i++) {  /* every byte alone, and between slashes */
		char one[3] = { '/', (char)i, '/' };
		all &= round_trip(one + 1, 1) && round_trip(one, 3) && round_trip(one, 2);
	}
	ok(all, "every byte value, alone and beside slashes");
	for (int t = 0; t < 2000; t++) {  /* random names of the bytes that matter */
		static const char pick[] = "./%\\a\x01\xff\xc3\xa9";
		char name[12];
		size_t n = 1 + (size_t)(t % 11);
		for (size_t i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			name[i] = pick[(x >> 16) % (sizeof(pick) - 1)];
		}
		all &= round_trip(name, n);
	}
	ok(all, "2000 random names of '.', '/', '%%', '\\\\', controls and UTF-8");
	buf_release(&m);
	buf_release(&d);
	return tap_done();
}
