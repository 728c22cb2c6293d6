/* Element decoding. The narrow float formats are decoded by hand: exponent bias, mantissa
 * width and which codes mean NaN/Inf differ per variant (ml_dtypes' definitions). */
#include "tensor/convert.h"

#include <math.h>
#include <string.h>

#include "base/cursor.h"
#include "format/dtype.h"

double half_to_double(uint16_t h)
{
	int sign = h >> 15, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
	double v;

	if (exp == 0)
		v = ldexp(man, -24);
	else if (exp == 31)
		v = man ? NAN : INFINITY;
	else
		v = ldexp(man | 0x400, exp - 25);
	return sign ? -v : v;
}

double bfloat16_to_double(uint16_t b)
{
	uint32_t bits = (uint32_t)b << 16;
	float f;

	memcpy(&f, &bits, 4);
	return f;
}

/* A generic 1-byte float: e exponent bits, m mantissa bits, exponent bias. */
static double small_float(uint8_t v, int e, int m, int bias)
{
	int sign = v >> 7, exp = (v >> m) & ((1 << e) - 1), man = v & ((1 << m) - 1);
	double r = exp ? ldexp(man | (1 << m), exp - bias - m) : ldexp(man, 1 - bias - m);

	return sign ? -r : r;
}

double float8_to_double(int dtype, uint8_t v)
{
	switch (dtype) {
	case DT_FLOAT8_E5M2:  /* the top byte of an IEEE half */
		return half_to_double((uint16_t)(v << 8));
	case DT_FLOAT8_E4M3FN:  /* no infinities; S.1111.111 is NaN */
		if ((v & 0x7f) == 0x7f)
			return NAN;
		return small_float(v, 4, 3, 7);
	case DT_FLOAT8_E4M3FNUZ:  /* "uz": no negative zero, 0x80 is the only NaN */
		return v == 0x80 ? NAN : small_float(v, 4, 3, 8);
	case DT_FLOAT8_E4M3B11FNUZ:
		return v == 0x80 ? NAN : small_float(v, 4, 3, 11);
	case DT_FLOAT8_E5M2FNUZ:
		return v == 0x80 ? NAN : small_float(v, 5, 2, 16);
	}
	return NAN;
}

int dtype_is_real(int dtype)
{
	const struct dtype_info *d = dtype_info(dtype);

	return d && d->size && d->kind != DK_COMPLEX && d->kind != DK_STRING && d->kind != DK_OPAQUE;
}

int element_int(int dtype, const uint8_t *p, int64_t *i, uint64_t *u, int *is_unsigned)
{
	*is_unsigned = 0;
	switch (dtype) {
	case DT_INT8: case DT_QINT8: case DT_INT4: case DT_INT2:
		*i = (int8_t)p[0];
		return 1;
	case DT_INT16: case DT_QINT16:
		*i = (int16_t)(p[0] | p[1] << 8);
		return 1;
	case DT_INT32: case DT_QINT32:
		*i = (int32_t)load_le32(p);
		return 1;
	case DT_INT64:
		*i = (int64_t)load_le64(p);
		return 1;
	case DT_UINT8: case DT_QUINT8: case DT_UINT4: case DT_UINT2: case DT_BOOL:
		*is_unsigned = 1;
		*u = p[0];
		return 1;
	case DT_UINT16: case DT_QUINT16:
		*is_unsigned = 1;
		*u = (uint16_t)(p[0] | p[1] << 8);
		return 1;
	case DT_UINT32:
		*is_unsigned = 1;
		*u = load_le32(p);
		return 1;
	case DT_UINT64:
		*is_unsigned = 1;
		*u = load_le64(p);
		return 1;
	}
	return 0;
}

int elements_to_double(int dtype, const void *src, size_t n, double *out)
{
	const uint8_t *p = src;
	const struct dtype_info *d = dtype_info(dtype);
	int64_t iv;
	uint64_t uv;
	int uns;

	if (!d || !d->size || d->kind == DK_STRING || d->kind == DK_OPAQUE)
		return -1;
	switch (dtype) {
	case DT_FLOAT:
		for (size_t k = 0; k < n; k++) {
			uint32_t bits = load_le32(p + 4 * k);
			float f;
			memcpy(&f, &bits, 4);
			out[k] = f;
		}
		return 0;
	case DT_DOUBLE:
		for (size_t k = 0; k < n; k++) {
			uint64_t bits = load_le64(p + 8 * k);
			memcpy(&out[k], &bits, 8);
		}
		return 0;
	case DT_COMPLEX64:
		return elements_to_double(DT_FLOAT, p, 2 * n, out);
	case DT_COMPLEX128:
		return elements_to_double(DT_DOUBLE, p, 2 * n, out);
	case DT_HALF:
		for (size_t k = 0; k < n; k++)
			out[k] = half_to_double((uint16_t)(p[2 * k] | p[2 * k + 1] << 8));
		return 0;
	case DT_BFLOAT16:
		for (size_t k = 0; k < n; k++)
			out[k] = bfloat16_to_double((uint16_t)(p[2 * k] | p[2 * k + 1] << 8));
		return 0;
	case DT_FLOAT8_E5M2: case DT_FLOAT8_E4M3FN: case DT_FLOAT8_E4M3FNUZ:
	case DT_FLOAT8_E4M3B11FNUZ: case DT_FLOAT8_E5M2FNUZ:
		for (size_t k = 0; k < n; k++)
			out[k] = float8_to_double(dtype, p[k]);
		return 0;
	}
	for (size_t k = 0; k < n; k++) {
		if (!element_int(dtype, p + (size_t)d->size * k, &iv, &uv, &uns))
			return -1;
		out[k] = uns ? (double)uv : (double)iv;
	}
	return 0;
}
