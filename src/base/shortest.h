/* The shortest decimal digits that read back as a given binary floating-point value, for
 * formats of any width (float64 down to float8): Steele & White's free-format digit
 * generation ("How to print floating-point numbers accurately", 1990, with Burger & Dybvig's
 * scaling, 1996) in exact integer arithmetic. The digits are the value's own, from its first
 * significant one: at each length the two candidates are the value cut there and rounded up
 * there; at the first length where one reads back it is taken, both: the nearer (an exact
 * tie: the even digit). That is what printf's correctly rounded digits with a read-back check
 * find, precision after precision, and the digits numpy's Dragon4 prints; it is checked
 * against that search in tests/unit/test_shortest.c. */
#ifndef CKPT_SHORTEST_H
#define CKPT_SHORTEST_H

/* a > 0 and finite, exactly f * 2^e for an integer f < 2^mant_bits (mant_bits counts the
 * leading one: 53 for float64, 24 for float32, 11 for float16) with e no lower than the
 * format's subnormal exponent, emin_normal - (mant_bits - 1); the format rounds to nearest,
 * ties to even. Reading back is as the format's rounding does it: no overflow to infinity
 * is assumed beyond the largest value, whose interval is that of any other value (an odd
 * largest significand, as in IEEE formats, excludes its upper midpoint all the same).
 * dig gets the digits, no trailing zeros; returns the power of ten of the first. */
int shortest_digits(double a, int mant_bits, int emin_normal, char dig[24]);

/* The first ndig (1 to 23) significant digits of the double a > 0, correctly rounded (an
 * exact tie to the even digit), as printf's %.*e gives them: dig gets exactly ndig digits;
 * returns the power of ten of the first. */
int rounded_digits(double a, int ndig, char dig[24]);

#endif
