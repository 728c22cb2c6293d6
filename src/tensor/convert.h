/* Decoding tensor elements as stored (little-endian, doc/FORMAT.md §6.1) into doubles, and the
 * narrow float formats: IEEE half, bfloat16 and the float8 variants of ml_dtypes. */
#ifndef CKPT_CONVERT_H
#define CKPT_CONVERT_H

#include <stddef.h>
#include <stdint.h>

double half_to_double(uint16_t h);
double bfloat16_to_double(uint16_t b);
/* dtype is one of DT_FLOAT8_*; NaN for the NaN encodings of each variant. */
double float8_to_double(int dtype, uint8_t v);

/* 1 if elements of dtype can be decoded to real numbers by elements_to_double: floats,
 * integers (incl. quantized, int4/uint4 stored one per byte) and bool. Complex types decode
 * as 2 numbers per element (real, imaginary) when complex_parts is set. */
int dtype_is_real(int dtype);

/* Decode n elements (n * size bytes at p, little-endian) into out[n] (complex: out[2n]).
 * 64-bit integers beyond 2^53 lose precision, as they must in a double. Returns 0, or -1 if
 * the dtype is not numeric (string, resource, variant, unknown). */
int elements_to_double(int dtype, const void *p, size_t n, double *out);

/* Exact integer access for printing: 1 if dtype is an integer type (and fills *i or *u). */
int element_int(int dtype, const uint8_t *p, int64_t *i, uint64_t *u, int *is_unsigned);

#endif
