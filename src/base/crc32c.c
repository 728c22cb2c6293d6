/* CRC-32C: slicing-by-8 tables, and on x86-64 the crc32 instruction on three streams at once,
 * or for longer runs folding with carry-less multiplication (VPCLMULQDQ on AVX-512).
 *
 * One crc32 instruction has a latency of three cycles but a throughput of one, so three
 * independent streams keep the unit busy. The three partial CRCs are joined by "shifting"
 * the earlier ones over the later streams' lengths: CRC is linear over GF(2), so
 * crc(A||B) = shift(crc(A), len B) ^ crc0(B), where crc0 starts from a zero register.
 *
 * The folding is crc32.c's (which see) with CRC-32C's constants; only the last 16 bytes it
 * leaves are reduced differently: by two crc32 instructions instead of a Barrett step. */
#include "base/crc32c.h"
#include "base/crctab.h"

#include <pthread.h>
#include <string.h>

#define POLY 0x82f63b78u  /* reflected 0x1EDC6F41 */

static crctab sw_table;

static void sw_init(void)
{
	crctab_init(sw_table, POLY);
}

static uint32_t sw_update(uint32_t r, const uint8_t *p, size_t n)
{
	return crctab_update(sw_table, r, p, n);
}

/* zeros[k]: the operator that feeds 2^k zero bytes through the register (crctab.h). The
 * first ZEROS_FIRST are made with the shift tables (every run that reads data needs them);
 * the rest only for crc32c_combine. */
#define ZEROS_FIRST 14
static crczeros zeros;

static void zeros_init_rest(void)
{
	crczeros_init(zeros, POLY, ZEROS_FIRST, 64);
}

/* r fed through len zero bytes. */
static uint32_t zeros_shift(uint32_t r, uint64_t len)
{
	return crczeros_shift(zeros, r, len);
}

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_HW 1

/* Stream lengths for the interleaved loop: long rounds for bulk data, short for tails. */
#define LONG_LEN 8192
#define SHORT_LEN 256

/* Tables that shift a register over LONG_LEN and SHORT_LEN zero bytes, a byte at a time. */
static uint32_t shift_long[4][256], shift_short[4][256];

/* By linearity, an entry is the xor of those of its bits: 8 shifts per byte position. */
static void shift_init(uint32_t table[4][256], size_t len)
{
	for (int k = 0; k < 4; k++) {
		table[k][0] = 0;
		for (int bit = 0; bit < 8; bit++)
			table[k][1u << bit] = zeros_shift(1u << (8 * k + bit), len);
		for (uint32_t v = 3; v < 256; v++)
			if (v & (v - 1))
				table[k][v] = table[k][v & (v - 1)] ^ table[k][v & -v];
	}
}

static inline uint32_t shift(uint32_t table[4][256], uint32_t r)
{
	return table[0][r & 0xff] ^ table[1][(r >> 8) & 0xff] ^ table[2][(r >> 16) & 0xff] ^
	       table[3][r >> 24];
}

#include "base/clmul.h"

__attribute__((target("sse4.2"))) static uint32_t hw_update(uint32_t r, const uint8_t *p, size_t n)
{
	uint64_t c0 = r;

	while (n && ((uintptr_t)p & 7)) {
		c0 = __builtin_ia32_crc32qi((uint32_t)c0, *p++);
		n--;
	}
	/* Three streams of `len` bytes each; streams 1 and 2 start from a zero register. */
#define ROUNDS(len, table)                                                          \
	while (n >= 3 * (len)) {                                                    \
		uint64_t c1 = 0, c2 = 0;                                             \
		const uint8_t *end = p + (len);                                      \
		while (p < end) {                                                    \
			uint64_t a, b, c;                                            \
			memcpy(&a, p, 8);                                            \
			memcpy(&b, p + (len), 8);                                    \
			memcpy(&c, p + 2 * (len), 8);                                \
			c0 = __builtin_ia32_crc32di(c0, a);                          \
			c1 = __builtin_ia32_crc32di(c1, b);                          \
			c2 = __builtin_ia32_crc32di(c2, c);                          \
			p += 8;                                                      \
		}                                                                    \
		c0 = shift(table, (uint32_t)c0) ^ c1;                                \
		c0 = shift(table, (uint32_t)c0) ^ c2;                                \
		p += 2 * (len);                                                      \
		n -= 3 * (len);                                                      \
	}
	ROUNDS(LONG_LEN, shift_long)
	ROUNDS(SHORT_LEN, shift_short)
#undef ROUNDS
	while (n >= 8) {
		uint64_t a;
		memcpy(&a, p, 8);
		c0 = __builtin_ia32_crc32di(c0, a);
		p += 8;
		n -= 8;
	}
	while (n--)
		c0 = __builtin_ia32_crc32qi((uint32_t)c0, *p++);
	return (uint32_t)c0;
}

/* Folding constants: x^k mod P(x), bit-reflected over 33 bits (reflect32 << 1), the formula
 * that gives crc32.c's constants for CRC-32's P. K64 folds over 64 bytes (k = 512 -+ 32),
 * K16 over 16 (k = 128 -+ 32), K256 over 256 (k = 2048 -+ 32); as _mm_set_epi64x takes them,
 * the high lane's (k - 32) first. A throwaway program computed them; test_crc32c checks them. */
#define K64 _mm_set_epi64x(0x009e4addf8, 0x00740eef02)
#define K16 _mm_set_epi64x(0x014cd00bd6, 0x00f20c0dfe)
#define K256 _mm_set_epi64x(0x00b9e02b86, 0x00dcb17aa4)

#define FOLD_TARGET __attribute__((target("pclmul,sse4.2")))

/* Four lanes that hold the last 64 bytes folded: the raw register. Folded into one lane,
 * they are 16 bytes with the CRC of all the data before, fed from a zero register. */
FOLD_TARGET static uint32_t reduce(const __m128i x[4])
{
	__m128i x1 = x[0];

	for (int i = 1; i < 4; i++)
		x1 = clmul_fold(x1, K16, x[i]);
	return (uint32_t)__builtin_ia32_crc32di(
		__builtin_ia32_crc32di(0, (uint64_t)_mm_cvtsi128_si64(x1)),
		(uint64_t)_mm_extract_epi64(x1, 1));
}

/* The raw register over n bytes, n >= 64 and a multiple of 64. */
FOLD_TARGET static uint32_t fold(uint32_t r, const uint8_t *p, size_t n)
{
	__m128i x[4];

	clmul_fold64(x, r, p, n, K64);
	return reduce(x);
}

/* The same on 512-bit registers: n >= 256 and a multiple of 64. */
__attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.2")))
static uint32_t fold512(uint32_t r, const uint8_t *p, size_t n)
{
	__m128i x[4];

	clmul_fold256(x, r, p, n, K256, K64);
	return reduce(x);
}

/* Which path a run takes, by its length (measured on AMD EPYC with AVX-512, 1-4 KiB runs):
 * three crc32 streams need 3 * SHORT_LEN bytes and run at about 8 bytes a cycle beyond;
 * below that one stream does 8 bytes in 3 cycles, and 128-bit folding is faster from 128
 * bytes on; 512-bit folding is faster than either from 256 bytes on (3x at 1 KiB). The
 * folds leave the last 63 or fewer bytes to the crc32 instruction. */
#define FOLD_MIN 128
#define FOLD512_MIN 256
static int use_fold, use_fold512;

static uint32_t fold_update(uint32_t r, const uint8_t *p, size_t n)
{
	if (use_fold512 && n >= FOLD512_MIN) {
		size_t bulk = n & ~(size_t)63;
		r = fold512(r, p, bulk);
		p += bulk;
		n -= bulk;
	} else if (use_fold && n >= FOLD_MIN && n < 3 * SHORT_LEN) {
		size_t bulk = n & ~(size_t)63;
		r = fold(r, p, bulk);
		p += bulk;
		n -= bulk;
	}
	return hw_update(r, p, n);
}
#else
#define HAVE_HW 0
#endif

static uint32_t (*update_fn)(uint32_t, const uint8_t *, size_t) = sw_update;
static const char *impl_name = "table";
static int best;  /* what the CPU has: 0 table, 1 sse4.2, 2 pclmul, 3 vpclmulqdq */
static const char *const impl_names[] = { "table", "sse4.2", "pclmul", "vpclmulqdq" };
static pthread_once_t once = PTHREAD_ONCE_INIT, sw_once = PTHREAD_ONCE_INIT,
		      rest_once = PTHREAD_ONCE_INIT;

static void select_impl(int i)
{
	impl_name = impl_names[i];
#if HAVE_HW
	update_fn = i == 0 ? sw_update : i == 1 ? hw_update : fold_update;
	use_fold = i >= 2;
	use_fold512 = i == 3;
#else
	update_fn = sw_update;
#endif
}

/* Only what the chosen path needs: `ckpt list` checks a few index blocks and is done. */
static void init(void)
{
	crczeros_init(zeros, POLY, 0, ZEROS_FIRST);
#if HAVE_HW
	__builtin_cpu_init();
	if (__builtin_cpu_supports("sse4.2")) {
		shift_init(shift_long, LONG_LEN);
		shift_init(shift_short, SHORT_LEN);
		best = 1;
		if (__builtin_cpu_supports("pclmul")) {
			best = 2;
			if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
			    __builtin_cpu_supports("vpclmulqdq"))
				best = 3;
		}
		select_impl(best);
		return;
	}
#endif
	pthread_once(&sw_once, sw_init);
}

uint32_t crc32c_extend(uint32_t crc, const void *p, size_t n)
{
	pthread_once(&once, init);
	return ~update_fn(~crc, p, n);
}

uint32_t crc32c_extend_sw(uint32_t crc, const void *p, size_t n)
{
	pthread_once(&sw_once, sw_init);
	return ~sw_update(~crc, p, n);
}

uint32_t crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2)
{
	pthread_once(&once, init);
	pthread_once(&rest_once, zeros_init_rest);
	return zeros_shift(crc1, len2) ^ crc2;
}

int crc32c_use(const char *name)
{
	pthread_once(&once, init);
	for (int i = 0; i <= best; i++)
		if (!strcmp(name, impl_names[i])) {
			if (!i)
				pthread_once(&sw_once, sw_init);
			select_impl(i);
			return 0;
		}
	return -1;
}

const char *crc32c_impl(void)
{
	pthread_once(&once, init);
	return impl_name;
}

uint32_t crc32c_join(const uint32_t *crc, uint64_t n, uint64_t size, uint64_t part_len)
{
	uint32_t c = n ? crc[0] : 0;

	for (uint64_t j = 1; j < n; j++)
		c = crc32c_combine(c, crc[j], j + 1 < n ? part_len : size - j * part_len);
	return c;
}
