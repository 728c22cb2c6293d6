/* Streaming statistics (method in stats.h).
 *
 * float32 (and the narrow floats, widened to it) takes one pass over each block: sums of
 * d = x - k and d² for a shift k, the running mean, give mean = k + Σd/n and
 * m2 = Σd² - (Σd)²/n; when k lies too far from the block's mean for that difference to keep
 * its digits, the block is read again with k = its mean. Everything else is widened to double
 * and takes two passes: sum, min, max and zeros first, then d = x * inv - mean * inv, inv
 * being 1 or, for float64 (whose squares may overflow), a power of two near 1 / max|x|:
 * m2 = (Σd² - (Σd)²/n) / inv² (the corrected two-pass formula of Chan, Golub and LeVeque).
 * In both, Σ(x * inv)² = Σd² + c (2 Σd + n c), c the shift or mean times inv, gives the L2 norm
 * from the same sums, and a block holding NaN or Inf is compacted to its finite values first.
 *
 * The loops run in 8 independent lanes: an AVX2 version with intrinsics, chosen at run time,
 * and a portable one in plain C with the same lanes in the same order. Both hand their lanes
 * to the same scalar code, so either computes the same bits (-ffp-contract=off, the default
 * of GCC in ISO C mode, keeps the C loops unfused) and output does not depend on the CPU. */
#include "tensor/stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/util.h"
#include "format/dtype.h"
#include "tensor/assemble.h"
#include "tensor/convert.h"
#include "tensor/split.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2 1
#endif

#define L32 8   /* lanes of the float32 loop */
#define L64 8   /* lanes of the float64 loops */
/* Reads (and the halves of a split payload) begin and end on STATS_BLOCK elements of any size
 * (64 KiB), so that blocks, and so the results to the last bit, do not depend on them. */
_Static_assert(SPLIT_CHUNK % (STATS_BLOCK * 16) == 0, "chunks must end on block boundaries");

void stats_init(struct stats *s, int dtype)
{
	const struct dtype_info *d = dtype_info(dtype);

	memset(s, 0, sizeof(*s));
	s->kind = STATS_NONE;
	if (d && d->size && d->kind != DK_STRING && d->kind != DK_OPAQUE)
		s->kind = d->kind == DK_INT || (d->kind == DK_QUANT && (dtype == DT_QINT8 ||
				dtype == DT_QINT16 || dtype == DT_QINT32)) ? STATS_INT
			: d->kind == DK_UINT || d->kind == DK_QUANT || d->kind == DK_BOOL ? STATS_UINT
			: STATS_FLOAT;
	s->imin = INT64_MAX;
	s->imax = INT64_MIN;
	s->umin = UINT64_MAX;
}

/* One block's moments, combined into s with Chan et al.'s update. */
struct block {
	uint64_t n;
	double mean, m2, min, max, scale, ssq;
};

static void combine(struct stats *s, const struct block *k)
{
	uint64_t n = s->finite + k->n;
	double delta;

	if (!k->n)
		return;
	if (!s->finite) {
		s->mean = k->mean;
		s->m2 = k->m2;
		s->min = k->min;
		s->max = k->max;
	} else {
		delta = k->mean - s->mean;
		s->mean += delta * ((double)k->n / (double)n);
		s->m2 += k->m2 + delta * delta * ((double)s->finite * (double)k->n / (double)n);
		if (k->min < s->min)
			s->min = k->min;
		if (k->max > s->max)
			s->max = k->max;
	}
	s->finite = n;
	if (k->scale > s->l2_scale) {
		double r = s->l2_scale / k->scale;
		s->l2_ssq = k->ssq + s->l2_ssq * r * r;
		s->l2_scale = k->scale;
	} else if (k->scale > 0) {
		double r = k->scale / s->l2_scale;
		s->l2_ssq += k->ssq * r * r;
	}
}

/* ---- the block loops -------------------------------------------------------------------- */

struct pass1 {
	double sum, lo, hi;
	uint64_t zeros;
	int finite;   /* no NaN or Inf in the block (else the fields above mean nothing) */
};

struct pass2 {
	double q, e;  /* Σd², Σd */
};

static double lanes_sum(const double *v, int n)
{
	double t = 0;
	for (int l = 0; l < n; l++)
		t += v[l];
	return t;
}

/* float32, in one pass over the block: sums of d = x - k and d² for a shift k near the mean
 * (the shifted-data method), with min, max and zeros. Lanes reduced, then the tail x[nv..n). */
struct shifted {
	double e, q;   /* Σd, Σd²: NaN or infinite exactly when a value is (no float overflows) */
	float lo, hi;
	uint64_t zeros;
};

static void f32_finish(const double *e, const double *q, const float *lo, const float *hi,
		       const int32_t *z, const float *x, size_t nv, size_t n, double k,
		       struct shifted *r)
{
	float l = lo[0], h = hi[0];
	uint64_t zeros = 0;

	r->e = lanes_sum(e, L32);
	r->q = lanes_sum(q, L32);
	for (int j = 0; j < L32; j++) {
		l = lo[j] < l ? lo[j] : l;
		h = hi[j] > h ? hi[j] : h;
		zeros += (uint32_t)z[j];
	}
	for (size_t i = nv; i < n; i++) {
		double d = x[i] - k;
		r->e += d;
		r->q += d * d;
		l = x[i] < l ? x[i] : l;
		h = x[i] > h ? x[i] : h;
		zeros += x[i] == 0;
	}
	r->lo = l;
	r->hi = h;
	r->zeros = zeros;
}

static void f32_pass_c(const float *x, size_t n, double k, struct shifted *r)
{
	double e[L32] = { 0 }, q[L32] = { 0 };
	float lo[L32], hi[L32];
	int32_t z[L32] = { 0 };
	size_t nv = n / L32 * L32;

	for (int l = 0; l < L32; l++)
		lo[l] = hi[l] = x[0];
	for (size_t i = 0; i < nv; i += L32)
		for (int l = 0; l < L32; l++) {
			float v = x[i + l];
			double d = v - k;
			e[l] += d;
			q[l] += d * d;
			lo[l] = v < lo[l] ? v : lo[l];   /* as minps: the second operand unless less */
			hi[l] = v > hi[l] ? v : hi[l];
			z[l] += v == 0;
		}
	f32_finish(e, q, lo, hi, z, x, nv, n, k, r);
}

/* float64: v * 0 is NaN exactly for NaN and Inf, so the "bad" lanes stay zero otherwise. */
static void f64_finish1(const double *s, const double *lo, const double *hi, const int64_t *z,
			const double *bad, const double *x, size_t nv, size_t n, struct pass1 *r)
{
	double sum = lanes_sum(s, L64), b = lanes_sum(bad, L64), l = lo[0], h = hi[0];
	uint64_t zeros = 0;

	for (int k = 0; k < L64; k++) {
		l = lo[k] < l ? lo[k] : l;
		h = hi[k] > h ? hi[k] : h;
		zeros += (uint64_t)z[k];
	}
	for (size_t i = nv; i < n; i++) {
		sum += x[i];
		l = x[i] < l ? x[i] : l;
		h = x[i] > h ? x[i] : h;
		zeros += x[i] == 0;
		b += x[i] * 0;
	}
	r->sum = sum;
	r->lo = l;
	r->hi = h;
	r->zeros = zeros;
	r->finite = b == 0;
}

static void f64_pass1_c(const double *x, size_t n, struct pass1 *r)
{
	double s[L64] = { 0 }, lo[L64], hi[L64], bad[L64] = { 0 };
	int64_t z[L64] = { 0 };
	size_t nv = n / L64 * L64;

	for (int l = 0; l < L64; l++)
		lo[l] = hi[l] = x[0];
	for (size_t i = 0; i < nv; i += L64)
		for (int l = 0; l < L64; l++) {
			double v = x[i + l];
			s[l] += v;
			lo[l] = v < lo[l] ? v : lo[l];
			hi[l] = v > hi[l] ? v : hi[l];
			z[l] += v == 0;
			bad[l] += v * 0;
		}
	f64_finish1(s, lo, hi, z, bad, x, nv, n, r);
}

static void f64_finish2(const double *q, const double *e, const double *x, size_t nv, size_t n,
			double inv, double c, struct pass2 *r)
{
	r->q = lanes_sum(q, L64);
	r->e = lanes_sum(e, L64);
	for (size_t i = nv; i < n; i++) {
		double d = x[i] * inv - c;
		r->q += d * d;
		r->e += d;
	}
}

/* Scaling before subtracting: x * inv - c cannot overflow where x - mean could. */
static void f64_pass2_c(const double *x, size_t n, double inv, double c, struct pass2 *r)
{
	double q[L64] = { 0 }, e[L64] = { 0 };
	size_t nv = n / L64 * L64;

	for (size_t i = 0; i < nv; i += L64)
		for (int l = 0; l < L64; l++) {
			double d = x[i + l] * inv - c;
			q[l] += d * d;
			e[l] += d;
		}
	f64_finish2(q, e, x, nv, n, inv, c, r);
}

#ifdef HAVE_AVX2
/* The same lanes as the C loops: lanes 0-3 of the doubles in one register, 4-7 in the next. */
__attribute__((target("avx2")))
static void f32_pass_avx2(const float *x, size_t n, double k, struct shifted *r)
{
	__m256d vk = _mm256_set1_pd(k), e0 = _mm256_setzero_pd(), e1 = e0, q0 = e0, q1 = e0;
	__m256 lo0 = _mm256_set1_ps(x[0]), hi0 = lo0, zero = _mm256_setzero_ps();
	__m256i z0 = _mm256_setzero_si256();
	double e[L32], q[L32];
	float lo[L32], hi[L32];
	int32_t z[L32];
	size_t nv = n / L32 * L32;

	for (size_t i = 0; i < nv; i += L32) {
		__m256 v = _mm256_loadu_ps(x + i);
		__m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i)), vk);
		__m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x + i + 4)), vk);
		e0 = _mm256_add_pd(e0, d0);
		e1 = _mm256_add_pd(e1, d1);
		q0 = _mm256_add_pd(q0, _mm256_mul_pd(d0, d0));
		q1 = _mm256_add_pd(q1, _mm256_mul_pd(d1, d1));
		lo0 = _mm256_min_ps(v, lo0);
		hi0 = _mm256_max_ps(v, hi0);
		/* a true compare is all ones, -1 */
		z0 = _mm256_sub_epi32(z0, _mm256_castps_si256(_mm256_cmp_ps(v, zero, _CMP_EQ_OQ)));
	}
	_mm256_storeu_pd(e, e0);
	_mm256_storeu_pd(e + 4, e1);
	_mm256_storeu_pd(q, q0);
	_mm256_storeu_pd(q + 4, q1);
	_mm256_storeu_ps(lo, lo0);
	_mm256_storeu_ps(hi, hi0);
	_mm256_storeu_si256((__m256i *)z, z0);
	f32_finish(e, q, lo, hi, z, x, nv, n, k, r);
}

__attribute__((target("avx2")))
static void f64_pass1_avx2(const double *x, size_t n, struct pass1 *r)
{
	__m256d s0 = _mm256_setzero_pd(), s1 = s0, b0 = s0, b1 = s0, zero = s0;
	__m256d lo0 = _mm256_set1_pd(x[0]), lo1 = lo0, hi0 = lo0, hi1 = lo0;
	__m256i z0 = _mm256_setzero_si256(), z1 = z0;
	double s[L64], lo[L64], hi[L64], bad[L64];
	int64_t z[L64];
	size_t nv = n / L64 * L64;

	for (size_t i = 0; i < nv; i += L64) {
		__m256d a = _mm256_loadu_pd(x + i), b = _mm256_loadu_pd(x + i + 4);
		s0 = _mm256_add_pd(s0, a);
		s1 = _mm256_add_pd(s1, b);
		lo0 = _mm256_min_pd(a, lo0);
		lo1 = _mm256_min_pd(b, lo1);
		hi0 = _mm256_max_pd(a, hi0);
		hi1 = _mm256_max_pd(b, hi1);
		z0 = _mm256_sub_epi64(z0, _mm256_castpd_si256(_mm256_cmp_pd(a, zero, _CMP_EQ_OQ)));
		z1 = _mm256_sub_epi64(z1, _mm256_castpd_si256(_mm256_cmp_pd(b, zero, _CMP_EQ_OQ)));
		b0 = _mm256_add_pd(b0, _mm256_mul_pd(a, zero));
		b1 = _mm256_add_pd(b1, _mm256_mul_pd(b, zero));
	}
	_mm256_storeu_pd(s, s0);
	_mm256_storeu_pd(s + 4, s1);
	_mm256_storeu_pd(lo, lo0);
	_mm256_storeu_pd(lo + 4, lo1);
	_mm256_storeu_pd(hi, hi0);
	_mm256_storeu_pd(hi + 4, hi1);
	_mm256_storeu_pd(bad, b0);
	_mm256_storeu_pd(bad + 4, b1);
	_mm256_storeu_si256((__m256i *)z, z0);
	_mm256_storeu_si256((__m256i *)(z + 4), z1);
	f64_finish1(s, lo, hi, z, bad, x, nv, n, r);
}

__attribute__((target("avx2")))
static void f64_pass2_avx2(const double *x, size_t n, double inv, double c, struct pass2 *r)
{
	__m256d vi = _mm256_set1_pd(inv), vc = _mm256_set1_pd(c);
	__m256d q0 = _mm256_setzero_pd(), q1 = q0, e0 = q0, e1 = q0;
	double q[L64], e[L64];
	size_t nv = n / L64 * L64;

	for (size_t i = 0; i < nv; i += L64) {
		__m256d d0 = _mm256_sub_pd(_mm256_mul_pd(_mm256_loadu_pd(x + i), vi), vc);
		__m256d d1 = _mm256_sub_pd(_mm256_mul_pd(_mm256_loadu_pd(x + i + 4), vi), vc);
		q0 = _mm256_add_pd(q0, _mm256_mul_pd(d0, d0));
		q1 = _mm256_add_pd(q1, _mm256_mul_pd(d1, d1));
		e0 = _mm256_add_pd(e0, d0);
		e1 = _mm256_add_pd(e1, d1);
	}
	_mm256_storeu_pd(q, q0);
	_mm256_storeu_pd(q + 4, q1);
	_mm256_storeu_pd(e, e0);
	_mm256_storeu_pd(e + 4, e1);
	f64_finish2(q, e, x, nv, n, inv, c, r);
}
#endif

/* 1: AVX2 loops, 0: portable loops, -1: not decided yet. */
static int use_avx2 = -1;

static int have_avx2(void)
{
	if (use_avx2 < 0) {
#ifdef HAVE_AVX2
		__builtin_cpu_init();
		use_avx2 = __builtin_cpu_supports("avx2") != 0;
#else
		use_avx2 = 0;
#endif
	}
	return use_avx2;
}

const char *stats_impl(int portable)
{
	if (portable)
		use_avx2 = 0;
	else if (!use_avx2)
		use_avx2 = -1;
	return have_avx2() ? "avx2" : "portable";
}

#ifdef HAVE_AVX2
#define DISPATCH(fn, ...) (have_avx2() ? fn##_avx2(__VA_ARGS__) : fn##_c(__VA_ARGS__))
#else
#define DISPATCH(fn, ...) fn##_c(__VA_ARGS__)
#endif

/* ---- blocks ----------------------------------------------------------------------------- */

/* float64 block moments from the two passes; scale = 1 / inv. */
static void block_done(struct stats *s, size_t n, const struct pass1 *a, double mean, double scale,
		       const struct pass2 *b)
{
	double c = mean / scale, m2 = b->q - b->e * (b->e / (double)n);
	struct block k;

	k.n = n;
	k.mean = mean;
	k.min = a->lo;
	k.max = a->hi;
	k.m2 = m2 > 0 ? m2 * scale * scale : 0;
	k.ssq = b->q + c * (2 * b->e + (double)n * c);
	if (!(k.ssq > 0))
		k.ssq = 0;
	k.scale = k.ssq > 0 ? scale : 0;
	s->zeros += a->zeros;
	combine(s, &k);
}

/* Count NaN and infinities, keep the finite values (to the front of out). */
#define COMPACT(T, x, n, out, m)                                                  \
	do {                                                                      \
		for (size_t i_ = 0; i_ < (n); i_++) {                             \
			T v_ = (x)[i_];                                           \
			if (v_ != v_)                                             \
				s->nan++;                                         \
			else if (v_ - v_ != 0)                                    \
				*(v_ > 0 ? &s->posinf : &s->neginf) += 1;         \
			else                                                      \
				(out)[(m)++] = v_;                                \
		}                                                                 \
	} while (0)

/* The shift is the running mean (the first value for a first block). When it lies more than
 * about one standard deviation from the block's mean, (Σd)²/n > Σd²/2, subtracting the two
 * would cancel digits: the block is read again, shifted by its own mean. */
static void block_f32(struct stats *s, const float *x, size_t n)
{
	double k = s->finite ? s->mean : x[0], mean, m2;
	struct shifted r;
	struct block b;

	if (!n)
		return;
	DISPATCH(f32_pass, x, n, k, &r);
	if (r.q - r.q != 0) {
		float y[STATS_BLOCK];
		size_t m = 0;
		COMPACT(float, x, n, y, m);
		block_f32(s, y, m);
		return;
	}
	if (r.e * r.e > 0.5 * (double)n * r.q) {
		k += r.e / (double)n;
		DISPATCH(f32_pass, x, n, k, &r);
	}
	mean = k + r.e / (double)n;
	m2 = r.q - r.e * (r.e / (double)n);
	b.n = n;
	b.mean = mean;
	b.m2 = m2 > 0 ? m2 : 0;
	b.min = r.lo;
	b.max = r.hi;
	b.ssq = r.q + k * (2 * r.e + (double)n * k);   /* Σx² = Σ(d + k)² */
	if (!(b.ssq > 0))
		b.ssq = 0;
	b.scale = b.ssq > 0 ? 1 : 0;
	s->zeros += r.zeros;
	combine(s, &b);
}

/* wide: the squares may overflow (float64, complex128); else inv = 1. */
static void block_f64(struct stats *s, const double *x, size_t n, int wide)
{
	double mean, scale = 1;
	struct pass1 a;
	struct pass2 b;

	if (!n)
		return;
	DISPATCH(f64_pass1, x, n, &a);
	if (!a.finite) {
		double y[STATS_BLOCK];
		size_t m = 0;
		COMPACT(double, x, n, y, m);
		block_f64(s, y, m, wide);
		return;
	}
	mean = a.sum / (double)n;
	if (mean - mean != 0) {
		/* The sum overflowed: again over x / 2^11, which cannot (n <= 2^11), exactly. */
		double t = 0;
		for (size_t i = 0; i < n; i++)
			t += ldexp(x[i], -11);
		mean = ldexp(t / (double)n, 11);
	}
	if (wide) {
		int e;
		frexp(fmax(fabs(a.lo), fabs(a.hi)), &e);
		/* 2^e > max|x|; clamped so that both 2^e and 2^-e are normal doubles */
		e = e < -1021 ? -1021 : e > 1023 ? 1023 : e;
		scale = ldexp(1, e);
	}
	DISPATCH(f64_pass2, x, n, 1 / scale, mean / scale, &b);
	block_done(s, n, &a, mean, scale, &b);
}

/* ---- decoding --------------------------------------------------------------------------- */

static float half_table[65536];   /* every half and float8 value is exact in a float */
static float f8_table[5][256];
static int half_ready, f8_ready[5];

static const float *f8_lut(int dtype)
{
	int k = dtype - DT_FLOAT8_E5M2;

	if (!f8_ready[k]) {
		for (int v = 0; v < 256; v++)
			f8_table[k][v] = (float)float8_to_double(dtype, (uint8_t)v);
		f8_ready[k] = 1;
	}
	return f8_table[k];
}

static const float *half_lut(void)
{
	if (!half_ready) {
		for (uint32_t v = 0; v < 65536; v++)
			half_table[v] = (float)half_to_double((uint16_t)v);
		half_ready = 1;
	}
	return half_table;
}

/* The narrow floats, as float32. */
static void decode_float(int dtype, const uint8_t *p, size_t n, float *f)
{
	uint16_t h[STATS_BLOCK];

	switch (dtype) {
	case DT_BFLOAT16: {
		uint32_t u[STATS_BLOCK];
		memcpy(h, p, n * 2);
		for (size_t i = 0; i < n; i++)
			u[i] = (uint32_t)h[i] << 16;
		memcpy(f, u, n * 4);
		return;
	}
	case DT_HALF: {
		const float *t = half_lut();
		memcpy(h, p, n * 2);
		for (size_t i = 0; i < n; i++)
			f[i] = t[h[i]];
		return;
	}
	default: {  /* the float8 variants */
		const float *t = f8_lut(dtype);
		for (size_t i = 0; i < n; i++)
			f[i] = t[p[i]];
		return;
	}
	}
}

/* Integer blocks: exact min/max beside the double conversion. */
#define INT_BLOCK(T, LOADER, MINV, MAXV, LO, HI)                                  \
	do {                                                                      \
		T lo_ = (T)(LO), hi_ = (T)(HI);                                   \
		for (size_t i = 0; i < n; i++) {                                  \
			T v_ = LOADER;                                            \
			lo_ = v_ < lo_ ? v_ : lo_;                                \
			hi_ = v_ > hi_ ? v_ : hi_;                                \
			x[i] = (double)v_;                                        \
		}                                                                 \
		if (n && lo_ < MINV)                                              \
			MINV = lo_;                                               \
		if (n && hi_ > MAXV)                                              \
			MAXV = hi_;                                               \
	} while (0)

/* Integers and complex moduli into x (n <= STATS_BLOCK host-order elements at p). */
static void decode_double(struct stats *s, int dtype, const uint8_t *p, size_t n, double *x)
{
	switch (dtype) {
	case DT_INT8: case DT_QINT8: case DT_INT4: case DT_INT2:
		INT_BLOCK(int8_t, (int8_t)p[i], s->imin, s->imax, INT8_MAX, INT8_MIN);
		return;
	case DT_UINT8: case DT_QUINT8: case DT_UINT4: case DT_UINT2: case DT_BOOL:
		INT_BLOCK(uint8_t, p[i], s->umin, s->umax, UINT8_MAX, 0);
		return;
	case DT_INT16: case DT_QINT16: {
		int16_t v[STATS_BLOCK];
		memcpy(v, p, n * 2);
		INT_BLOCK(int16_t, v[i], s->imin, s->imax, INT16_MAX, INT16_MIN);
		return;
	}
	case DT_UINT16: case DT_QUINT16: {
		uint16_t v[STATS_BLOCK];
		memcpy(v, p, n * 2);
		INT_BLOCK(uint16_t, v[i], s->umin, s->umax, UINT16_MAX, 0);
		return;
	}
	case DT_INT32: case DT_QINT32: {
		int32_t v[STATS_BLOCK];
		memcpy(v, p, n * 4);
		INT_BLOCK(int32_t, v[i], s->imin, s->imax, INT32_MAX, INT32_MIN);
		return;
	}
	case DT_UINT32: {
		uint32_t v[STATS_BLOCK];
		memcpy(v, p, n * 4);
		INT_BLOCK(uint32_t, v[i], s->umin, s->umax, UINT32_MAX, 0);
		return;
	}
	case DT_INT64: {
		int64_t v[STATS_BLOCK];
		memcpy(v, p, n * 8);
		INT_BLOCK(int64_t, v[i], s->imin, s->imax, INT64_MAX, INT64_MIN);
		return;
	}
	case DT_UINT64: {
		uint64_t v[STATS_BLOCK];
		memcpy(v, p, n * 8);
		INT_BLOCK(uint64_t, v[i], s->umin, s->umax, UINT64_MAX, 0);
		return;
	}
	case DT_COMPLEX64: case DT_COMPLEX128: {
		double re[2 * STATS_BLOCK];
		if (dtype == DT_COMPLEX64) {
			float f[2 * STATS_BLOCK];
			memcpy(f, p, n * 8);
			for (size_t i = 0; i < 2 * n; i++)
				re[i] = f[i];
		} else {
			memcpy(re, p, n * 16);
		}
		for (size_t i = 0; i < n; i++) {
			double a = re[2 * i], b = re[2 * i + 1], m = sqrt(a * a + b * b);
			/* Huge or tiny parts overflow or underflow the squares: rare, use hypot. */
			if (!(m <= 1e150 && m >= 1e-150) && m != 0)
				m = hypot(a, b);
			x[i] = m;
		}
		return;
	}
	}
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG 1
#else
#define HOST_BIG 0
#endif

int stats_add(struct stats *s, int dtype, const void *src, size_t n, int swap)
{
	const struct dtype_info *d = dtype_info(dtype);
	const uint8_t *p = src;
	double x[STATS_BLOCK];
	double tmp[2 * STATS_BLOCK];  /* 16 bytes an element at most; aligned for any type */
	size_t size;

	if (s->kind == STATS_NONE || !d || !d->size) {
		s->count += n;
		return -1;
	}
	size = (size_t)d->size;
	while (n) {
		size_t k = n < STATS_BLOCK ? n : STATS_BLOCK;
		const uint8_t *q = p;
		/* Byte-swapped, or not aligned for a direct float/double access: a copy. */
		if ((swap != HOST_BIG && size > 1) || (uintptr_t)p % (size > 8 ? 8 : size)) {
			memcpy(tmp, p, k * size);
			if (swap != HOST_BIG)
				swap_elements(dtype, tmp, k);
			q = (const uint8_t *)tmp;
		}
		s->count += k;
		switch (dtype) {
		case DT_FLOAT:
			block_f32(s, (const float *)q, k);
			break;
		case DT_DOUBLE:
			block_f64(s, (const double *)q, k, 1);
			break;
		case DT_HALF: case DT_BFLOAT16: case DT_FLOAT8_E5M2: case DT_FLOAT8_E4M3FN:
		case DT_FLOAT8_E4M3FNUZ: case DT_FLOAT8_E4M3B11FNUZ: case DT_FLOAT8_E5M2FNUZ: {
			float f[STATS_BLOCK];
			decode_float(dtype, q, k, f);
			block_f32(s, f, k);
			break;
		}
		default:
			decode_double(s, dtype, q, k, x);
			block_f64(s, x, k, dtype == DT_COMPLEX128);
			break;
		}
		p += k * size;
		n -= k;
	}
	return 0;
}

void stats_merge(struct stats *a, const struct stats *b)
{
	struct block k = { b->finite, b->mean, b->m2, b->min, b->max, b->l2_scale, b->l2_ssq };

	a->count += b->count;
	a->zeros += b->zeros;
	a->nan += b->nan;
	a->posinf += b->posinf;
	a->neginf += b->neginf;
	if (b->imin < a->imin)
		a->imin = b->imin;
	if (b->imax > a->imax)
		a->imax = b->imax;
	if (b->umin < a->umin)
		a->umin = b->umin;
	if (b->umax > a->umax)
		a->umax = b->umax;
	combine(a, &k);
}

double stats_std(const struct stats *s)
{
	return s->finite ? sqrt(s->m2 / (double)s->finite) : NAN;
}

double stats_l2(const struct stats *s)
{
	return s->l2_scale * sqrt(s->l2_ssq);
}
struct chunk_ctx {
	struct stats *s;
	int dtype, swap;
	size_t esize;
};

static int add_chunk(void *ctx, const uint8_t *p, size_t n, uint64_t off)
{
	struct chunk_ctx *c = ctx;

	(void)off;
	stats_add(c->s, c->dtype, p, n / c->esize, c->swap);
	return 0;
}

/* Stream one stored payload through the statistics, CRC-checked, in two halves on two cores
 * when large (split.h): the first half goes on into s, as one pass in order would; the
 * second is gathered apart and folded in after it. */
static int stats_payload(struct bundle *b, const struct bundle_entry *e, struct stats *s,
			 struct ck_err *err)
{
	struct stats second;
	struct chunk_ctx c[2];
	void *ctx[2] = { &c[0], &c[1] };
	int halves, rc;

	stats_init(&second, e->dtype);
	for (int k = 0; k < 2; k++)
		c[k] = (struct chunk_ctx){ k ? &second : s, e->dtype, b->big_endian,
					   (size_t)dtype_info(e->dtype)->size };
	(void)have_avx2();  /* the block loops chosen here, not by both halves at once */
	rc = split_read(b, e, add_chunk, ctx, &halves, err);
	if (!rc && halves == 2)
		stats_merge(s, &second);
	return rc;
}

int stats_tensor(struct bundle *b, const struct bundle_entry *e, struct stats *s,
		 struct ck_err *err)
{
	int64_t ext[2 * 256];
	int rc = 0;

	stats_init(s, e->dtype);
	if (s->kind == STATS_NONE) {
		/* Strings etc.: no numeric value, but the payload is still checked. */
		rc = e->dtype == DT_VARIANT || e->dtype == DT_RESOURCE ? 0 : tensor_verify(b, e, err);
		if (!rc)
			s->count = e->elements;
		return rc;
	}
	rc = partition_check(b, e, err);
	if (rc < 0)
		return rc;
	/* Statistics do not depend on element order: a partitioned tensor is its slices. */
	if (!e->nslices)
		rc = stats_payload(b, e, s, err);
	for (size_t i = 0; i < e->nslices && !rc; i++)
		rc = stats_payload(b, slice_entry(b, e, i, ext), s, err);
	return rc;
}

int stats_tensor_bytes(struct bundle *b, const struct bundle_entry *e, const uint8_t *p,
		       struct stats *s, struct ck_err *err)
{
	int rc;

	stats_init(s, e->dtype);
	if (s->kind == STATS_NONE || e->nslices || e->size > SPLIT_CHUNK)
		return stats_tensor(b, e, s, err);
	rc = bundle_check_crc(b, e, crc32c_extend(0, p, (size_t)e->size), err);
	if (rc < 0)
		return rc;
	stats_add(s, e->dtype, p, (size_t)(e->size / (uint64_t)dtype_info(e->dtype)->size),
		  b->big_endian);
	return 0;
}
