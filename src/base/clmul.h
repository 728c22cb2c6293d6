/* Folding a bit-reflected CRC-32 with carry-less multiplication (Gopal et al., "Fast CRC
 * Computation for Generic Polynomials Using PCLMULQDQ Instruction", Intel 2009), shared by
 * crc32.c (zip's polynomial) and crc32c.c (Castagnoli's, TensorFlow's). The data is folded
 * into four 128-bit lanes 64 bytes a step: each lane is multiplied forward by x^(512 +- 32)
 * mod P (k64) and xored with the next 64 bytes; with VPCLMULQDQ four 512-bit registers do
 * the same 256 bytes a step (k256). The constants and the reduction of the four lanes to 32
 * bits are each polynomial's own, in its file. x86-64 with GCC or clang only. */
#ifndef CKPT_CLMUL_H
#define CKPT_CLMUL_H

#include <stddef.h>
#include <stdint.h>
#include <immintrin.h>

#define CLMUL_TARGET __attribute__((target("pclmul,sse4.1")))
#define CLMUL512_TARGET __attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.1")))

/* x * k (its low and high 64 bits each by their constant) xor next. */
CLMUL_TARGET static inline __m128i clmul_fold(__m128i x, __m128i k, __m128i next)
{
	__m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
	return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x11), lo), next);
}

/* The raw register r and the bytes at p (n >= 64) folded 64 bytes a step into x[4]; returns
 * how many bytes are left after the last whole 64 (fewer than 64, at p + n - returned). The
 * lanes are locals, not x[], in the loop: an array there went through memory, 30% slower. */
CLMUL_TARGET static inline __attribute__((always_inline)) size_t
clmul_fold64(__m128i x[4], uint32_t r, const uint8_t *p, size_t n, __m128i k64)
{
	__m128i x0, x1, x2, x3;

	x0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)r));
	x1 = _mm_loadu_si128((const __m128i *)(p + 16));
	x2 = _mm_loadu_si128((const __m128i *)(p + 32));
	x3 = _mm_loadu_si128((const __m128i *)(p + 48));
	for (p += 64, n -= 64; n >= 64; p += 64, n -= 64) {
		x0 = clmul_fold(x0, k64, _mm_loadu_si128((const __m128i *)p));
		x1 = clmul_fold(x1, k64, _mm_loadu_si128((const __m128i *)(p + 16)));
		x2 = clmul_fold(x2, k64, _mm_loadu_si128((const __m128i *)(p + 32)));
		x3 = clmul_fold(x3, k64, _mm_loadu_si128((const __m128i *)(p + 48)));
	}
	x[0] = x0;
	x[1] = x1;
	x[2] = x2;
	x[3] = x3;
	return n;
}

#define CLMUL_ZFOLD(z, k, next)                                                                \
	((z) = _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128((z), (k), 0x00),          \
					 _mm512_clmulepi64_epi128((z), (k), 0x11), (next), 0x96))

/* The same for n >= 256: four 512-bit registers fold 256 bytes a step, then fold into one
 * another and on 64 bytes a step; its four lanes are where clmul_fold64's would be. */
CLMUL512_TARGET static inline __attribute__((always_inline)) size_t
clmul_fold256(__m128i x[4], uint32_t r, const uint8_t *p, size_t n, __m128i k256, __m128i k64)
{
	__m512i k = _mm512_broadcast_i32x4(k256), z0, z1, z2, z3;

	z0 = _mm512_xor_si512(_mm512_loadu_si512(p),
			      _mm512_inserti32x4(_mm512_setzero_si512(), _mm_cvtsi32_si128((int)r), 0));
	z1 = _mm512_loadu_si512(p + 64);
	z2 = _mm512_loadu_si512(p + 128);
	z3 = _mm512_loadu_si512(p + 192);
	for (p += 256, n -= 256; n >= 256; p += 256, n -= 256) {
		CLMUL_ZFOLD(z0, k, _mm512_loadu_si512(p));
		CLMUL_ZFOLD(z1, k, _mm512_loadu_si512(p + 64));
		CLMUL_ZFOLD(z2, k, _mm512_loadu_si512(p + 128));
		CLMUL_ZFOLD(z3, k, _mm512_loadu_si512(p + 192));
	}
	k = _mm512_broadcast_i32x4(k64);
	CLMUL_ZFOLD(z0, k, z1);
	CLMUL_ZFOLD(z0, k, z2);
	CLMUL_ZFOLD(z0, k, z3);
	for (; n >= 64; p += 64, n -= 64)
		CLMUL_ZFOLD(z0, k, _mm512_loadu_si512(p));
	x[0] = _mm512_extracti32x4_epi32(z0, 0);
	x[1] = _mm512_extracti32x4_epi32(z0, 1);
	x[2] = _mm512_extracti32x4_epi32(z0, 2);
	x[3] = _mm512_extracti32x4_epi32(z0, 3);
	return n;
}

#endif
