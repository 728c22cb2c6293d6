/* Rounding into the narrow float formats (see castconv.h). One generic encoder serves every
 * format: the value is scaled so that one unit in the last place of the target is 1, rint()
 * rounds it (ties to even in the default rounding mode), and the integer is placed under the
 * biased exponent; a mantissa that rounds up into the next binade carries into the exponent
 * field by plain addition, and subnormals fall out of the same sum with exponent field 0. */
#include "tensor/castconv.h"

#include <math.h>
#include <string.h>

#include "base/cursor.h"
#include "base/util.h"
#include "format/dtype.h"
#include "tensor/convert.h"

enum nkind { N_IEEE, N_FN, N_FNUZ };

struct nfmt {
	int ebits, mbits, bias;
	enum nkind kind;
};

static const struct nfmt fmt_half = { 5, 10, 15, N_IEEE };
static const struct nfmt fmt_bf16 = { 8, 7, 127, N_IEEE };

static const struct nfmt *float8_fmt(int dtype)
{
	static const struct nfmt e5m2 = { 5, 2, 15, N_IEEE }, e4m3fn = { 4, 3, 7, N_FN },
		e4m3fnuz = { 4, 3, 8, N_FNUZ }, e4m3b11 = { 4, 3, 11, N_FNUZ },
		e5m2fnuz = { 5, 2, 16, N_FNUZ };

	switch (dtype) {
	case DT_FLOAT8_E5M2: return &e5m2;
	case DT_FLOAT8_E4M3FN: return &e4m3fn;
	case DT_FLOAT8_E4M3FNUZ: return &e4m3fnuz;
	case DT_FLOAT8_E4M3B11FNUZ: return &e4m3b11;
	case DT_FLOAT8_E5M2FNUZ: return &e5m2fnuz;
	}
	return NULL;
}

static uint32_t encode(double x, const struct nfmt *f, int *overflow)
{
	uint32_t sign = signbit(x) ? 1u << (f->ebits + f->mbits) : 0;
	uint32_t manmask = (1u << f->mbits) - 1;
	uint32_t inf = ((1u << f->ebits) - 1) << f->mbits;
	uint32_t nan, maxbits, bits;
	double a = fabs(x);
	int e, emin = 1 - f->bias;

	switch (f->kind) {
	case N_IEEE:
		nan = inf | 1u << (f->mbits - 1);  /* the quiet NaN */
		maxbits = inf - 1;
		break;
	case N_FN:
		nan = inf | manmask;
		maxbits = nan - 1;
		break;
	default:
		nan = 1u << (f->ebits + f->mbits);  /* the sign bit alone: there is no -0 */
		maxbits = inf | manmask;
		break;
	}
	if (isnan(x))
		return f->kind == N_FNUZ ? nan : sign | nan;
	if (isinf(x))
		return f->kind == N_IEEE ? sign | inf : f->kind == N_FN ? sign | nan : nan;
	if (a == 0)
		return f->kind == N_FNUZ ? 0 : sign;
	frexp(a, &e);
	e--;  /* a = 1.m * 2^e */
	if (e > f->bias + (int)(maxbits >> f->mbits)) {
		bits = maxbits + 1;  /* far beyond: skip the scaling, which could overflow */
	} else {
		int q = (e < emin ? emin : e) - f->mbits;
		uint32_t r = (uint32_t)rint(ldexp(a, -q));
		if (e < emin)
			bits = r;
		else
			bits = ((uint32_t)(e + f->bias) << f->mbits) + r - (1u << f->mbits);
	}
	if (bits > maxbits) {
		if (overflow)
			*overflow = 1;
		return f->kind == N_IEEE ? sign | inf : f->kind == N_FN ? sign | nan : nan;
	}
	if (!bits && f->kind == N_FNUZ)
		return 0;
	return sign | bits;
}

uint16_t double_to_half(double x, int *overflow)
{
	return (uint16_t)encode(x, &fmt_half, overflow);
}

uint16_t double_to_bfloat16(double x, int *overflow)
{
	return (uint16_t)encode(x, &fmt_bf16, overflow);
}

uint8_t double_to_float8(int dtype, double x, int *overflow)
{
	const struct nfmt *f = float8_fmt(dtype);

	return f ? (uint8_t)encode(x, f, overflow) : 0;
}

int cast_is_float(int dtype)
{
	return dtype == DT_HALF || dtype == DT_BFLOAT16 || dtype == DT_FLOAT || dtype == DT_DOUBLE ||
	       float8_fmt(dtype);
}

static void count(struct cast_stats *st, double x, double y, int overflow)
{
	if (!st)
		return;
	st->values++;
	st->overflow += overflow != 0;
	if (x != y && !(isnan(x) && isnan(y)))
		st->changed++;
	if (y == 0 && x != 0)
		st->underflow++;
}

/* Encode x as one element of a float dtype at p; returns the value stored. */
static double put_one(int dtype, double x, uint8_t *p, int *overflow)
{
	switch (dtype) {
	case DT_HALF: {
		uint16_t h = double_to_half(x, overflow);
		p[0] = (uint8_t)h;
		p[1] = (uint8_t)(h >> 8);
		return half_to_double(h);
	}
	case DT_BFLOAT16: {
		uint16_t b = double_to_bfloat16(x, overflow);
		p[0] = (uint8_t)b;
		p[1] = (uint8_t)(b >> 8);
		return bfloat16_to_double(b);
	}
	case DT_FLOAT: {
		float f = (float)x;
		uint32_t bits;
		memcpy(&bits, &f, 4);
		for (int k = 0; k < 4; k++)
			p[k] = (uint8_t)(bits >> 8 * k);
		if (isinf(f) && !isinf(x))
			*overflow = 1;
		return f;
	}
	case DT_DOUBLE: {
		uint64_t bits;
		memcpy(&bits, &x, 8);
		for (int k = 0; k < 8; k++)
			p[k] = (uint8_t)(bits >> 8 * k);
		return x;
	}
	}
	p[0] = double_to_float8(dtype, x, overflow);
	return float8_to_double(dtype, p[0]);
}

/* float32 -> bfloat16 is the common case of `cast`: done on the bits, without doubles, in
 * blocks: a loop without a branch that the compiler vectorises. */
#define BF_BLOCK 2048
#define HALF_BLOCK 2048
#define HOST_LE (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

/* One block (m values, then zeros, which count nothing), host-order float32 at in to
 * bfloat16 at out (no alignment needed; they do not overlap, which lets the loop be
 * vectorised without a check), counting as it goes, from the input bits alone, of the
 * non-NaN values: those not exact (low 16 bits set), the finite ones that round up to Inf
 * (from halfway past the largest bfloat16 on, 0x7f7f8000: its last bit is odd, so the tie
 * goes up) and the non-zero ones that round to zero (up to the halfway 0x8000, whose tie goes
 * to the even zero). One pass with the NaN test shared, the ranges tested by one signed
 * comparison each (shifted so that the range starts at INT32_MIN), 32-bit lanes only:
 * with AVX-512 about twice as fast as a conversion pass and a counting pass. */
static inline __attribute__((always_inline)) void bf16_block(const uint8_t *restrict in,
							      uint8_t *restrict out, size_t m,
							      struct cast_stats *st)
{
	uint32_t changed = 0, overflow = 0, underflow = 0;

	for (size_t k = 0; k < BF_BLOCK; k++) {
		uint32_t w, mag, rounded, quiet;
		int32_t nan;
		uint16_t h;
		memcpy(&w, in + 4 * k, 4);
		/* round to nearest even on the bits (a carry out of the mantissa steps the
		 * exponent, up to Inf); NaN keeps its sign and payload top and is made quiet */
		mag = w & 0x7fffffffu;
		nan = (int32_t)mag > 0x7f800000;
		rounded = (w + 0x7fffu + (w >> 16 & 1)) >> 16;
		quiet = w >> 16 | 0x40;
		h = (uint16_t)(nan ? quiet : rounded);
		memcpy(out + 2 * k, &h, 2);
		changed += !nan & ((w & 0xffffu) != 0);
		/* mag in [0x7f7f8000, 0x7f800000), and in [1, 0x8000] */
		overflow += (int32_t)(mag + 0x00808000u) < (int32_t)0x80008000u;
		underflow += (int32_t)(mag + 0x7fffffffu) < (int32_t)0x80008000u;
	}
	if (st) {
		st->values += m;
		st->changed += changed;
		st->overflow += overflow;
		st->underflow += underflow;
	}
}

/* Whole blocks, straight from in to out (little-endian hosts). */
#define BF16_BLOCKS(fn, ATTR)                                                            \
	ATTR static void fn(const uint8_t *in, uint8_t *out, size_t blocks,               \
			    struct cast_stats *st)                                        \
	{                                                                                \
		for (size_t b = 0; b < blocks; b++)                                      \
			bf16_block(in + 4 * BF_BLOCK * b, out + 2 * BF_BLOCK * b, BF_BLOCK, st); \
	}
BF16_BLOCKS(bf16_blocks_c, )
#if defined(__x86_64__) && defined(__GNUC__)
#define BF16_AVX2 1
/* The same C in 256-bit registers (AVX2 has the 32-to-16-bit pack SSE2 lacks), and in
 * 512-bit ones where the CPU has AVX-512 (GCC keeps to 256 bits unless told). */
BF16_BLOCKS(bf16_blocks_avx2, __attribute__((target("avx2"))))
#ifdef __clang__
#define AVX512_TARGET "avx512f,avx512bw"
#else
#define AVX512_TARGET "avx512f,avx512bw,prefer-vector-width=512"
#endif
BF16_BLOCKS(bf16_blocks_avx512, __attribute__((target(AVX512_TARGET))))
#endif

static void bf16_blocks(const uint8_t *in, uint8_t *out, size_t blocks, struct cast_stats *st)
{
#ifdef BF16_AVX2
	if (cpu_has_avx512()) {
		bf16_blocks_avx512(in, out, blocks, st);
		return;
	}
	if (cpu_has_avx2()) {
		bf16_blocks_avx2(in, out, blocks, st);
		return;
	}
#endif
	bf16_blocks_c(in, out, blocks, st);
}

static void f32_to_bf16(const uint8_t *in, uint8_t *out, size_t n, struct cast_stats *st)
{
	uint32_t w[BF_BLOCK];
	uint16_t h[BF_BLOCK];

	if (HOST_LE) {
		size_t blocks = n / BF_BLOCK;
		bf16_blocks(in, out, blocks, st);
		in += 4 * BF_BLOCK * blocks;
		out += 2 * BF_BLOCK * blocks;
		n -= BF_BLOCK * blocks;
	}
	/* The rest (and big-endian hosts) through a block of host-order words, zeros after m:
	 * the loop keeps its constant count, which is what gets it vectorised at -O2. */
	while (n) {
		size_t m = n < BF_BLOCK ? n : BF_BLOCK;
		for (size_t k = 0; k < m; k++)
			w[k] = load_le32(in + 4 * k);
		if (m < BF_BLOCK)
			memset(w + m, 0, 4 * (BF_BLOCK - m));
		bf16_block((const uint8_t *)w, (uint8_t *)h, m, st);
		for (size_t k = 0; k < m; k++) {
			out[2 * k] = (uint8_t)h[k];
			out[2 * k + 1] = (uint8_t)(h[k] >> 8);
		}
		in += 4 * m;
		out += 2 * m;
		n -= m;
	}
}

/* float32 -> float16 the same way: on the bits, branch-free, in blocks (F. Giesen's
 * float_to_half_fast3_rtne). Normal results round to nearest even by adding 0xfff plus the
 * last kept bit under the rebiased exponent (a carry steps the exponent, from 65520 on up to
 * Inf); subnormal ones by one float addition of 0.5, which puts the 10 kept bits at the bottom
 * and rounds them in the FPU's default mode, to nearest even; from 65536 on, Inf; NaN becomes
 * the quiet NaN 0x7e00 with its sign, as encode() makes it. */
static inline uint16_t half_bits(uint32_t bits)
{
	uint32_t sign = bits >> 16 & 0x8000u, mag = bits & 0x7fffffffu, sub, norm, top, big, small;
	float f;

	memcpy(&f, &mag, 4);
	f += 0.5f;  /* 2^-1: for |x| < 2^-14 the sum's low bits are the subnormal's */
	memcpy(&sub, &f, 4);
	sub -= 0x3f000000u;
	norm = (mag + 0xc8000fffu + (mag >> 13 & 1)) >> 13;  /* 0xc8000000: -112 << 23 */
	top = 0x7c00u | (uint32_t)(mag > 0x7f800000u) << 9;
	/* chosen by masks: a chain of conditions kept the loop from being vectorised */
	big = 0u - (uint32_t)(mag >= 0x47800000u);
	small = 0u - (uint32_t)(mag < 0x38800000u);
	return (uint16_t)(sign | (top & big) | (sub & small & ~big) | (norm & ~small & ~big));
}

/* What the block's rounding did, from input and output bits: not exact (for a subnormal
 * result the half's value h * 2^-24 differs, else bits under the kept 10 were set), finite to
 * Inf, non-zero to zero. */
static inline __attribute__((always_inline)) void half_count(const uint8_t *in,
							      const uint8_t *out, size_t m,
							      struct cast_stats *st)
{
	uint32_t changed = 0, overflow = 0, underflow = 0;

	for (size_t k = 0; k < HALF_BLOCK; k++) {
		uint32_t w, mag, hm;
		uint16_t h;
		float back;
		memcpy(&w, in + 4 * k, 4);
		memcpy(&h, out + 2 * k, 2);
		mag = w & 0x7fffffffu;
		hm = h & 0x7fffu;
		back = (float)(int32_t)hm * 0x1p-24f;  /* the half's value when subnormal */
		{
			float fm;
			memcpy(&fm, &mag, 4);
			uint32_t finite = mag < 0x7f800000u, inf = hm == 0x7c00u;
			/* (by the path taken: a subnormal may round up to 0x400, 2^-14); both
			 * tests made, then one chosen: no branch in the loop */
			uint32_t subn = mag < 0x38800000u;
			uint32_t off_sub = back != fm, off_norm = (mag & 0x1fffu) != 0;
			uint32_t inexact = (subn & off_sub) | (~subn & 1u & off_norm);
			changed += finite & (inexact | inf);
			overflow += finite & inf;
			underflow += (hm == 0) & (mag != 0);
		}
	}
	st->values += m;
	st->changed += changed;
	st->overflow += overflow;
	st->underflow += underflow;
}

static inline __attribute__((always_inline)) void half_block(const uint8_t *restrict in,
							      uint8_t *restrict out,
							      struct cast_stats *st)
{
	for (size_t k = 0; k < HALF_BLOCK; k++) {
		uint32_t w;
		uint16_t h;
		memcpy(&w, in + 4 * k, 4);
		h = half_bits(w);
		memcpy(out + 2 * k, &h, 2);
	}
	if (st)
		half_count(in, out, HALF_BLOCK, st);
}

#define HALF_BLOCKS(fn, ATTR)                                                            \
	ATTR static void fn(const uint8_t *in, uint8_t *out, size_t blocks,               \
			    struct cast_stats *st)                                        \
	{                                                                                \
		for (size_t b = 0; b < blocks; b++)                                      \
			half_block(in + 4 * HALF_BLOCK * b, out + 2 * HALF_BLOCK * b, st); \
	}
HALF_BLOCKS(half_blocks_c, )
#ifdef BF16_AVX2
HALF_BLOCKS(half_blocks_avx2, __attribute__((target("avx2"))))
#endif

static void f32_to_half(const uint8_t *in, uint8_t *out, size_t n, struct cast_stats *st)
{
	uint32_t w[HALF_BLOCK];
	uint16_t h[HALF_BLOCK];

	if (HOST_LE) {
		size_t blocks = n / HALF_BLOCK;
#ifdef BF16_AVX2
		if (cpu_has_avx2())
			half_blocks_avx2(in, out, blocks, st);
		else
#endif
			half_blocks_c(in, out, blocks, st);
		in += 4 * HALF_BLOCK * blocks;
		out += 2 * HALF_BLOCK * blocks;
		n -= HALF_BLOCK * blocks;
	}
	while (n) {  /* the rest, through a padded block of host-order words, as for bfloat16 */
		size_t m = n < HALF_BLOCK ? n : HALF_BLOCK;
		for (size_t k = 0; k < m; k++)
			w[k] = load_le32(in + 4 * k);
		if (m < HALF_BLOCK)
			memset(w + m, 0, 4 * (HALF_BLOCK - m));
		for (size_t k = 0; k < HALF_BLOCK; k++)
			h[k] = half_bits(w[k]);
		for (size_t k = 0; k < m; k++) {
			out[2 * k] = (uint8_t)h[k];
			out[2 * k + 1] = (uint8_t)(h[k] >> 8);
		}
		if (st)
			half_count((const uint8_t *)w, (const uint8_t *)h, m, st);
		in += 4 * m;
		out += 2 * m;
		n -= m;
	}
}

int doubles_to_elements(int dtype, const double *in, size_t n, void *out, struct cast_stats *st)
{
	uint8_t *p = out;
	int size;

	if (dtype == DT_COMPLEX64 || dtype == DT_COMPLEX128)
		return doubles_to_elements(dtype == DT_COMPLEX64 ? DT_FLOAT : DT_DOUBLE, in, 2 * n,
					   out, st);
	if (!cast_is_float(dtype))
		return -1;
	size = dtype_info(dtype)->size;
	for (size_t k = 0; k < n; k++) {
		int ovf = 0;
		double y = put_one(dtype, in[k], p + (size_t)size * k, &ovf);
		count(st, in[k], y, ovf);
	}
	return 0;
}

int cast_elements(int from, const void *in, int to, void *out, size_t n, struct cast_stats *st)
{
	const uint8_t *p = in;
	uint8_t *q = out;
	double tmp[512];
	int sin, sout;

	if (!cast_is_float(from) || !cast_is_float(to))
		return -1;
	if (from == DT_FLOAT && to == DT_BFLOAT16) {
		f32_to_bf16(p, q, n, st);
		return 0;
	}
	if (from == DT_FLOAT && to == DT_HALF) {
		f32_to_half(p, q, n, st);
		return 0;
	}
	sin = dtype_info(from)->size;
	sout = dtype_info(to)->size;
	while (n) {
		size_t m = n < 512 ? n : 512;
		elements_to_double(from, p, m, tmp);
		doubles_to_elements(to, tmp, m, q, st);
		p += (size_t)sin * m;
		q += (size_t)sout * m;
		n -= m;
	}
	return 0;
}
