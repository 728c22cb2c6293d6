/* Encoding real numbers into TensorFlow's float formats with round to nearest, ties to even,
 * and converting whole runs of float elements from one format to another (`ckpt cast`,
 * `ckpt average`). Decoding is convert.h's job; this is its inverse.
 *
 *   half      S EEEEE MMMMMMMMMM          bias 15   Inf/NaN at E = 11111
 *   bfloat16  S EEEEEEEE MMMMMMM          bias 127  Inf/NaN at E = all ones
 *   float8    S EEEEE MM (e5m2, IEEE-like) / S EEEE MMM (e4m3fn: no Inf, S.1111.111 NaN)
 *             *fnuz variants: no Inf, no -0, 0x80 the only NaN
 *
 * Elements are little-endian, as stored. */
#ifndef CKPT_CASTCONV_H
#define CKPT_CASTCONV_H

#include <stddef.h>
#include <stdint.h>

/* What a conversion did to the values it was given (accumulated across calls). */
struct cast_stats {
	uint64_t values;     /* elements converted */
	uint64_t changed;    /* elements whose value is not exactly representable (rounded) */
	uint64_t overflow;   /* finite values beyond the target's range: now Inf (NaN if no Inf) */
	uint64_t underflow;  /* non-zero values that became zero */
};

/* st += a: the counts of work done in parts (by several threads). */
static inline void cast_stats_add(struct cast_stats *st, const struct cast_stats *a)
{
	st->values += a->values;
	st->changed += a->changed;
	st->overflow += a->overflow;
	st->underflow += a->underflow;
}

/* The bits of the representable value of the format nearest to x (ties to even). A finite x
 * too large for the format sets *overflow (if not NULL) and gives Inf, or NaN in formats
 * without Inf. NaN stays NaN (quiet, sign kept where the format has signed NaNs). */
uint16_t double_to_half(double x, int *overflow);
uint16_t double_to_bfloat16(double x, int *overflow);
/* dtype is one of DT_FLOAT8_*. */
uint8_t double_to_float8(int dtype, double x, int *overflow);

/* 1 if dtype is a float format cast_elements can read or write (half, bfloat16, float32,
 * float64, float8 variants). */
int cast_is_float(int dtype);

/* Convert n elements of float dtype from (at in) into float dtype to (at out); in and out must
 * not overlap. Counts into st (may be NULL). Returns 0, or -1 if either dtype is not a float. */
int cast_elements(int from, const void *in, int to, void *out, size_t n, struct cast_stats *st);

/* Encode n doubles as elements of dtype (a float, or complex64/128 from 2n doubles); counts
 * into st (may be NULL). Returns 0, or -1 for any other dtype. */
int doubles_to_elements(int dtype, const double *in, size_t n, void *out, struct cast_stats *st);

#endif
