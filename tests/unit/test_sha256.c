/* sha256: the FIPS 180-4 / NIST examples, and HMAC-SHA-256 against RFC 4231's test cases. */
#include <string.h>

#include "base/sha256.h"
#include "tap.h"

static const char *hex_of(const void *p, size_t n)
{
	static char out[2 * SHA256_LEN + 1];
	uint8_t d[SHA256_LEN];
	sha256(p, n, d);
	hex_lower(d, SHA256_LEN, out);
	return out;
}

static const char *hmac_hex(const void *k, size_t kn, const void *m, size_t n)
{
	static char out[2 * SHA256_LEN + 1];
	uint8_t d[SHA256_LEN];
	hmac_sha256(k, kn, m, n, d);
	hex_lower(d, SHA256_LEN, out);
	return out;
}

int main(void)
{
	static char million[1000000];
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	uint8_t key[131];
	struct sha256 s;
	uint8_t d[SHA256_LEN];
	char h[2 * SHA256_LEN + 1];
	size_t i;

	ok(!strcmp(hex_of("abc", 3),
		   "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
	   "\"abc\" (one block)");
	ok(!strcmp(hex_of("", 0),
		   "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
	   "the empty message");
	ok(!strcmp(hex_of(two, strlen(two)),
		   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
	   "448 bits (the padding takes a second block)");
	memset(million, 'a', sizeof(million));
	ok(!strcmp(hex_of(million, sizeof(million)),
		   "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
	   "a million 'a'");
	/* the same, fed in uneven pieces */
	sha256_init(&s);
	for (i = 0; i < sizeof(million);) {
		size_t n = (i % 7) * 13 + 1;
		if (n > sizeof(million) - i)
			n = sizeof(million) - i;
		sha256_update(&s, million + i, n);
		i += n;
	}
	sha256_final(&s, d);
	hex_lower(d, SHA256_LEN, h);
	ok(!strcmp(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
	   "a million 'a' in pieces of 1 to 79 bytes");

	memset(key, 0x0b, 20);
	ok(!strcmp(hmac_hex(key, 20, "Hi There", 8),
		   "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
	   "RFC 4231 case 1");
	ok(!strcmp(hmac_hex("Jefe", 4, "what do ya want for nothing?", 28),
		   "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
	   "RFC 4231 case 2 (a key shorter than the output)");
	memset(key, 0xaa, sizeof(key));
	ok(!strcmp(hmac_hex(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54),
		   "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
	   "RFC 4231 case 6 (a key longer than a block is hashed first)");
	return tap_done();
}
