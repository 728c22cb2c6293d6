/* Slicing-by-8 tables for a bit-reflected CRC-32 of any polynomial: the portable path of both
 * CRC-32C (crc32c.c, TensorFlow's) and CRC-32 (crc32.c, zip's), and the tails of their
 * hardware paths. Eight bytes a step through eight tables is about one byte a cycle. */
#ifndef CKPT_CRCTAB_H
#define CKPT_CRCTAB_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t crctab[8][256];

/* Fill t for the reflected polynomial poly (0x82f63b78 for CRC-32C, 0xedb88320 for CRC-32). */
void crctab_init(crctab t, uint32_t poly);

/* The raw register r run over n bytes (pre- and post-inversion are the callers'); t is
 * only read (not const: a pointer to const arrays is not compatible before C23). */
uint32_t crctab_update(crctab t, uint32_t r, const uint8_t *p, size_t n);

/* CRC is linear over GF(2): crc(A || B) = shift(crc(A), len B) ^ crc(B), where shift feeds
 * the register through len B zero bytes. z[k] is the operator for 2^k zero bytes, a 32 x 32
 * matrix as 32 column vectors. crczeros_init fills z[from..to) (z[0] from poly when from is
 * 0; later entries need the ones before them), so that a caller may build the few it needs
 * at once and the rest later. */
typedef uint32_t crczeros[64][32];
void crczeros_init(crczeros z, uint32_t poly, int from, int to);

/* The register r fed through len zero bytes (len < 2^to of the entries filled). */
uint32_t crczeros_shift(crczeros z, uint32_t r, uint64_t len);

#endif
