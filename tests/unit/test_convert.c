/* Element decoding: IEEE half, bfloat16, every float8 variant's special codes, integers. */
#include <math.h>

#include "format/dtype.h"
#include "tensor/convert.h"
#include "tap.h"

int main(void)
{
	double out[8];

	ok(half_to_double(0x3c00) == 1.0 && half_to_double(0xc000) == -2.0, "half 1 and -2");
	ok(half_to_double(0x7bff) == 65504.0, "half max 65504");
	ok(half_to_double(0x0001) == ldexp(1, -24), "half smallest subnormal 2^-24");
	ok(isinf(half_to_double(0x7c00)) && half_to_double(0xfc00) < 0, "half +Inf and -Inf");
	ok(isnan(half_to_double(0x7e00)), "half NaN");
	ok(signbit(half_to_double(0x8000)) && half_to_double(0x8000) == 0, "half negative zero");
	ok(bfloat16_to_double(0x3f80) == 1.0 && bfloat16_to_double(0xc040) == -3.0, "bfloat16 1 and -3");
	ok(isnan(bfloat16_to_double(0x7fc0)) && isinf(bfloat16_to_double(0xff80)), "bfloat16 NaN, -Inf");

	ok(float8_to_double(DT_FLOAT8_E5M2, 0x3c) == 1.0, "e5m2 1.0");
	ok(isinf(float8_to_double(DT_FLOAT8_E5M2, 0x7c)), "e5m2 has Inf");
	ok(float8_to_double(DT_FLOAT8_E5M2, 0x7b) == 57344.0, "e5m2 max 57344");
	ok(float8_to_double(DT_FLOAT8_E4M3FN, 0x38) == 1.0, "e4m3fn 1.0");
	ok(float8_to_double(DT_FLOAT8_E4M3FN, 0x7e) == 448.0, "e4m3fn max 448 (no Inf)");
	ok(isnan(float8_to_double(DT_FLOAT8_E4M3FN, 0x7f)) && isnan(float8_to_double(DT_FLOAT8_E4M3FN, 0xff)),
	   "e4m3fn NaN is S.1111.111");
	ok(float8_to_double(DT_FLOAT8_E4M3FN, 0x01) == ldexp(1, -9), "e4m3fn smallest subnormal 2^-9");
	ok(float8_to_double(DT_FLOAT8_E4M3FNUZ, 0x40) == 1.0, "e4m3fnuz 1.0 (bias 8)");
	ok(isnan(float8_to_double(DT_FLOAT8_E4M3FNUZ, 0x80)) &&
	   float8_to_double(DT_FLOAT8_E4M3FNUZ, 0x7f) == 240.0, "e4m3fnuz: 0x80 NaN, max 240");
	ok(float8_to_double(DT_FLOAT8_E5M2FNUZ, 0x40) == 1.0 &&
	   float8_to_double(DT_FLOAT8_E5M2FNUZ, 0x7f) == 57344.0, "e5m2fnuz 1.0, max 57344");
	ok(float8_to_double(DT_FLOAT8_E4M3B11FNUZ, 0x58) == 1.0 &&
	   isnan(float8_to_double(DT_FLOAT8_E4M3B11FNUZ, 0x80)), "e4m3b11fnuz 1.0 (bias 11), NaN");

	{
		const uint8_t i16[4] = { 0xff, 0xff, 0x00, 0x80 };
		ok(!elements_to_double(DT_INT16, i16, 2, out) && out[0] == -1 && out[1] == -32768,
		   "int16 little-endian, signed");
		ok(!elements_to_double(DT_UINT16, i16, 2, out) && out[0] == 65535 && out[1] == 32768,
		   "uint16");
		const uint8_t f32[8] = { 0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x7f };
		ok(!elements_to_double(DT_FLOAT, f32, 2, out) && out[0] == 1.0 && isnan(out[1]), "float32");
		ok(!elements_to_double(DT_COMPLEX64, f32, 1, out) && out[0] == 1.0 && isnan(out[1]),
		   "complex64 decodes as (re, im)");
		const uint8_t i4[2] = { 0xf8, 0x07 };
		ok(!elements_to_double(DT_INT4, i4, 2, out) && out[0] == -8 && out[1] == 7,
		   "int4 one per byte, sign-extended");
	}
	ok(elements_to_double(DT_STRING, "", 0, out) == -1 && elements_to_double(DT_RESOURCE, "", 0, out) == -1 &&
	   elements_to_double(99, "", 0, out) == -1, "strings, resources and unknown dtypes are refused");
	ok(dtype_is_real(DT_BFLOAT16) && dtype_is_real(DT_BOOL) && !dtype_is_real(DT_COMPLEX64) &&
	   !dtype_is_real(DT_STRING), "dtype_is_real");
	is_int(dtype_from_name("DT_HALF"), DT_HALF, "TF names parse");
	is_int(dtype_from_name("bf16"), DT_BFLOAT16, "aliases parse");
	is_int(dtype_from_name("float33"), -1, "unknown names are refused");
	return tap_done();
}
