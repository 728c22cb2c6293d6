/* CRC-32 as zip, gzip and PNG use it (reflected polynomial 0xEDB88320; "123456789" gives
 * 0xCBF43926): the checksum of every .npz member. */
#ifndef CKPT_CRC32_H
#define CKPT_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc (the CRC-32 of the bytes so far; 0 for none) with n more bytes. Folds 256 or 64
 * bytes at a time with carry-less multiplication (VPCLMULQDQ on AVX-512, or PCLMULQDQ) when
 * the CPU has it, slicing-by-8 tables otherwise. */
uint32_t crc32_update(uint32_t crc, const void *p, size_t n);

/* The CRC-32 of A || B from crc1 = CRC-32(A), crc2 = CRC-32(B) and B's length: pieces
 * summed apart (on two threads) joined in order: zlib's crc32_combine, named apart from it
 * since zlib.h may be included beside this. */
uint32_t crc32_concat(uint32_t crc1, uint32_t crc2, uint64_t len2);

/* The table implementation, exposed so that tests can compare both paths. */
uint32_t crc32_update_sw(uint32_t crc, const void *p, size_t n);

/* Name of the implementation chosen at run time: "vpclmulqdq" (AVX-512, 256 bytes a step),
 * "pclmul" (64 bytes a step) or "table". */
const char *crc32_impl(void);

/* For tests: use the implementation of that name instead; -1 if this CPU lacks it. Not
 * thread-safe. */
int crc32_use(const char *name);

#endif
