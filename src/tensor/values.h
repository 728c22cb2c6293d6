/* Printing tensor elements: numpy's layout for text (nested brackets, aligned columns, lines
 * wrapped at 75 columns, "..." for summarised dimensions) and nested JSON lists.
 *
 * Floats follow numpy's default print options: each value with the fewest digits that
 * identify it at its dtype's precision, at most `precision` (default 8) after the point,
 * aligned on the point; scientific notation when the largest magnitude is >= 1e8, the
 * smallest non-zero < 1e-4, or their ratio > 1000. Strings are quoted; bytes that are not
 * printable UTF-8 become \xNN. */
#ifndef CKPT_VALUES_H
#define CKPT_VALUES_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/util.h"

#define VALUES_PRECISION 8
#define VALUES_LINEWIDTH 75

struct vals {
	int dtype;
	int rank;
	const int64_t *dims;          /* shape of the elements given (after summarising) */
	const unsigned char *elided;  /* per dimension: 1 if "..." stands between its halves */
	const uint8_t *data;          /* numeric elements, little-endian, row-major */
	const uint8_t *const *strs;   /* DT_STRING elements */
	const size_t *lens;
};

/* Append the text form (no final newline). precision < 0 means the default. Returns 0, or -1
 * for a dtype without printable elements (resource, variant, unknown). */
int values_text(struct buf *out, const struct vals *v, int precision);

/* Append nested JSON lists: float numbers exact (format_repr: the shortest form that reads
 * back to the same value, always with a point or an exponent, so -0.0 stays a float),
 * NaN and infinities as the strings "nan", "inf", "-inf", complex as [re, im], bool as
 * true/false, "..." where a dimension was summarised. */
int values_json(struct buf *out, const struct vals *v);

/* The shortest decimal form of v that reads back as the same value of dtype (float16,
 * bfloat16, float8 and float32 need fewer digits than a double), the digits numpy's
 * Dragon4 prints, laid out as printf's %g does: "0.1", "1e-05", "-2", "6.55e+04", "nan". */
void format_shortest(struct buf *out, int dtype, double v);

/* printf's %.*g of v, character for character (precision 1 to 23), without printf's cost:
 * the statistics table prints three a row. */
void format_g(struct buf *out, double v, int prec);

/* The digits under both: the shortest significand digits of |x| that read back as x at
 * dtype's precision (numpy's Dragon4 digits; shortest.h), no trailing zeros, "0" for zero;
 * returns the power of ten of the first. x finite, a value of dtype (else its nearest). */
int float_digits(int dtype, double x, char dig[24]);

/* The same digits as numpy's repr of a scalar of dtype lays them out, always readable as a
 * float (a point or an exponent): "0.1", "-0.0", "1.0", "65500.0", "1e-05", "1e+16". */
void format_repr(struct buf *out, int dtype, double v);

/* Escape string bytes for display: valid UTF-8 kept, control characters, DEL and invalid
 * bytes as \xNN, backslash and the quote character q (if not 0) preceded by a backslash. */
void string_escaped(struct buf *out, const uint8_t *p, size_t n, char q);

/* A float that stays one for JSON readers ("1.0", "-0.0", not cJSON's "1" and "-0"), in
 * the shortest digits that read back; null for NaN and the infinities, which JSON lacks. */
void json_add_double(cJSON *obj, const char *key, double v);

#endif
