/* CRC-32 (zip's): slicing-by-8 tables, and on x86-64 folding with carry-less multiplication.
 *
 * The folding follows Gopal et al., "Fast CRC Computation for Generic Polynomials Using
 * PCLMULQDQ Instruction" (Intel, 2009), in the bit-reflected form zlib's crc32_simd.c
 * (Chromium) uses: four 128-bit lanes are multiplied forward over 64 bytes and xored with the
 * next 64, folded into one lane, then Barrett-reduced to 32 bits. A table CRC runs at about
 * 1 byte per cycle; this at over 10, so the CRC of a stored .npz member costs less than
 * writing it. The constants are x^k mod P(x) in the reflected domain, from the paper. */
#include "base/crc32.h"
#include "base/crctab.h"

#include <pthread.h>
#include <string.h>

#define POLY 0xedb88320u  /* reflected 0x04C11DB7 */

static crctab sw_table;

static void sw_init(void)
{
	crctab_init(sw_table, POLY);
}

static uint32_t sw_update(uint32_t r, const uint8_t *p, size_t n)
{
	return crctab_update(sw_table, r, p, n);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_HW 1
#include "base/clmul.h"

#define HW_TARGET __attribute__((target("pclmul,sse4.1")))

/* Fold 64 bytes: k = (x^(512+32) mod P, x^(512-32) mod P), bit-reflected and shifted left by
 * one (the paper's k1, k2); FOLD16 likewise over 16 bytes (k3, k4). */
#define K64 _mm_set_epi64x(0x01c6e41596, 0x0154442bd4)
#define K16 _mm_set_epi64x(0x00ccaa009e, 0x01751997d0)

#define K256 _mm_set_epi64x(0x01322d1430, 0x011542778a)

/* Four lanes that hold the last 64 bytes folded, then n more bytes (a multiple of 16): the
 * raw register. */
HW_TARGET static uint32_t reduce(const __m128i x[4], const uint8_t *p, size_t n)
{
	const __m128i k5k0 = _mm_set_epi64x(0, 0x0163cd6124);             /* 64 -> 32 bits */
	const __m128i poly = _mm_set_epi64x(0x01f7011641, 0x01db710641);  /* P(x), Barrett mu */
	const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);
	__m128i k = K16, x1 = x[0], x2;

	for (int i = 1; i < 4; i++)
		x1 = clmul_fold(x1, k, x[i]);
	for (; n >= 16; p += 16, n -= 16)
		x1 = clmul_fold(x1, k, _mm_loadu_si128((const __m128i *)p));
	/* 128 -> 64 bits, 64 -> 32 bits, then Barrett reduction to the 32-bit remainder. */
	x2 = _mm_clmulepi64_si128(x1, k, 0x10);
	x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
	x2 = _mm_srli_si128(x1, 4);
	x1 = _mm_and_si128(x1, low32);
	x1 = _mm_xor_si128(_mm_clmulepi64_si128(x1, k5k0, 0x00), x2);
	x2 = _mm_and_si128(x1, low32);
	x2 = _mm_clmulepi64_si128(x2, poly, 0x10);
	x2 = _mm_and_si128(x2, low32);
	x2 = _mm_clmulepi64_si128(x2, poly, 0x00);
	return (uint32_t)_mm_extract_epi32(_mm_xor_si128(x1, x2), 1);
}

/* The raw register over n bytes, n >= 64 and a multiple of 16. */
HW_TARGET static uint32_t fold(uint32_t r, const uint8_t *p, size_t n)
{
	__m128i x[4];
	size_t left = clmul_fold64(x, r, p, n, K64);

	return reduce(x, p + n - left, left);
}

/* The same with VPCLMULQDQ on 512-bit registers (K256 for x^(2048 +- 32)). n >= 256 and a
 * multiple of 16. */
CLMUL512_TARGET static uint32_t fold512(uint32_t r, const uint8_t *p, size_t n)
{
	__m128i x[4];
	size_t left = clmul_fold256(x, r, p, n, K256, K64);

	return reduce(x, p + n - left, left);
}

static int have_z;  /* fold512 may be used */

static uint32_t hw_update(uint32_t r, const uint8_t *p, size_t n)
{
	if (n >= 64) {
		size_t bulk = n & ~(size_t)15;
		r = have_z && bulk >= 256 ? fold512(r, p, bulk) : fold(r, p, bulk);
		p += bulk;
		n -= bulk;
	}
	return sw_update(r, p, n);
}
#else
#define HAVE_HW 0
#endif

static uint32_t (*update_fn)(uint32_t, const uint8_t *, size_t) = sw_update;
static const char *impl_name = "table";
static int best;  /* 0 table, 1 pclmul, 2 vpclmulqdq: what the CPU has */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	sw_init();  /* the tails of the folding path use the tables too */
#if HAVE_HW
	__builtin_cpu_init();
	if (__builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1")) {
		update_fn = hw_update;
		impl_name = "pclmul";
		best = 1;
		if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
		    __builtin_cpu_supports("vpclmulqdq")) {
			have_z = 1;
			impl_name = "vpclmulqdq";
			best = 2;
		}
	}
#endif
}

uint32_t crc32_update(uint32_t crc, const void *p, size_t n)
{
	pthread_once(&once, init);
	return ~update_fn(~crc, p, n);
}

uint32_t crc32_update_sw(uint32_t crc, const void *p, size_t n)
{
	pthread_once(&once, init);
	return ~sw_update(~crc, p, n);
}

int crc32_use(const char *name)
{
	static const char *const names[] = { "table", "pclmul", "vpclmulqdq" };

	pthread_once(&once, init);
	for (int i = 0; i <= best; i++)
		if (!strcmp(name, names[i])) {
			update_fn = i ? hw_update : sw_update;
			have_z = i == 2;
			impl_name = names[i];
			return 0;
		}
	return -1;
}

const char *crc32_impl(void)
{
	pthread_once(&once, init);
	return impl_name;
}

static crczeros zeros;  /* crctab.h: only for crc32_concat */
static pthread_once_t zeros_once = PTHREAD_ONCE_INIT;

static void zeros_init(void)
{
	crczeros_init(zeros, POLY, 0, 64);
}

uint32_t crc32_concat(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
	pthread_once(&zeros_once, zeros_init);
	return crczeros_shift(zeros, crc1, len2) ^ crc2;
}
