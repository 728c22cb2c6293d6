/* CRC-32C (Castagnoli) and TensorFlow's masking of stored checksums (doc/FORMAT.md §3). */
#ifndef CKPT_CRC32C_H
#define CKPT_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc (the value of the bytes so far; 0 for none) with n more bytes. Uses the SSE4.2
 * crc32 instruction on three interleaved streams when the CPU has it, a table otherwise; runs
 * of 256 bytes or more are folded with VPCLMULQDQ on AVX-512, and runs of 128 to 767 bytes
 * with PCLMULQDQ, when the CPU has them. */
uint32_t crc32c_extend(uint32_t crc, const void *p, size_t n);

static inline uint32_t crc32c(const void *p, size_t n)
{
	return crc32c_extend(0, p, n);
}

/* The CRC of A followed by B from crc1 = CRC(A), crc2 = CRC(B) and B's length, so that parts
 * of one payload can be summed on different threads: B's CRC starts from 0. */
uint32_t crc32c_combine(uint32_t crc1, uint32_t crc2, uint64_t len2);

/* The CRC of size bytes from the CRCs of its n consecutive parts (each from 0), every part
 * part_len bytes long but the last (size - (n - 1) * part_len): chunks summed apart. */
uint32_t crc32c_join(const uint32_t *crc, uint64_t n, uint64_t size, uint64_t part_len);

/* Portable implementation, exposed so that tests can compare both paths. */
uint32_t crc32c_extend_sw(uint32_t crc, const void *p, size_t n);

/* Name of the implementation chosen at run time, the best the CPU has: "vpclmulqdq",
 * "pclmul", "sse4.2" or "table". */
const char *crc32c_impl(void);

/* For tests: use the implementation of that name instead; -1 if this CPU lacks it. Not
 * thread-safe. */
int crc32c_use(const char *name);

#define CRC32C_MASK_DELTA 0xa282ead8u

static inline uint32_t crc32c_mask(uint32_t crc)
{
	return ((crc >> 15) | (crc << 17)) + CRC32C_MASK_DELTA;
}

static inline uint32_t crc32c_unmask(uint32_t masked)
{
	uint32_t rot = masked - CRC32C_MASK_DELTA;
	return (rot >> 17) | (rot << 15);
}

#endif
