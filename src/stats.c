/* Streaming statistics (method in stats.h). The inner loops work on plain arrays in 8
 * independent lanes with no calls and no branches on the common all-finite path, so the
 * compiler can keep them in vector registers; blocks holding NaN or Inf take a slower loop. */
#include "stats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "convert.h"
#include "dtype.h"

#define LANES 8
#define NLANES 4   /* the fused loop keeps 7 sums a lane: 4 lanes fit the registers */
#define CHUNK (64u << 10)  /* measured: small reads keep each piece in L2 for the pass */

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

/* Second pass over a block with known mean and scale: squared deviations and scaled squares. */
static void block_moments(struct block *k, const double *x, size_t n)
{
	double m2[LANES] = { 0 }, q[LANES] = { 0 }, mean = k->mean;
	double inv = k->scale > 0 ? 1.0 / k->scale : 0.0;
	size_t i = 0;

	if (isinf(inv))  /* scale is subnormal: keep the division exact */
		inv = 0;
	for (; i + LANES <= n; i += LANES)
		for (int l = 0; l < LANES; l++) {
			double d = x[i + l] - mean, t = inv ? x[i + l] * inv : x[i + l] / k->scale;
			m2[l] += d * d;
			q[l] += t * t;
		}
	for (; i < n; i++) {
		double d = x[i] - mean, t = inv ? x[i] * inv : x[i] / k->scale;
		m2[0] += d * d;
		q[0] += t * t;
	}
	for (int l = 1; l < LANES; l++) {
		m2[0] += m2[l];
		q[0] += q[l];
	}
	k->m2 = m2[0];
	k->ssq = k->scale > 0 ? q[0] : 0;
}

/* A block without NaN or Inf. */
static void block_finite(struct stats *s, const double *x, size_t n)
{
	double sum[LANES] = { 0 }, lo[LANES], hi[LANES];
	uint64_t zeros[LANES] = { 0 };
	struct block k = { 0 };
	size_t i = 0;

	if (!n)
		return;
	for (int l = 0; l < LANES; l++)
		lo[l] = hi[l] = x[0];
	for (; i + LANES <= n; i += LANES)
		for (int l = 0; l < LANES; l++) {
			double v = x[i + l];
			sum[l] += v;
			lo[l] = v < lo[l] ? v : lo[l];
			hi[l] = v > hi[l] ? v : hi[l];
			zeros[l] += v == 0;
		}
	for (; i < n; i++) {
		double v = x[i];
		sum[0] += v;
		lo[0] = v < lo[0] ? v : lo[0];
		hi[0] = v > hi[0] ? v : hi[0];
		zeros[0] += v == 0;
	}
	for (int l = 1; l < LANES; l++) {
		sum[0] += sum[l];
		lo[0] = lo[l] < lo[0] ? lo[l] : lo[0];
		hi[0] = hi[l] > hi[0] ? hi[l] : hi[0];
		zeros[0] += zeros[l];
	}
	k.n = n;
	k.mean = sum[0] / (double)n;
	k.min = lo[0];
	k.max = hi[0];
	k.scale = fabs(lo[0]) > fabs(hi[0]) ? fabs(lo[0]) : fabs(hi[0]);
	block_moments(&k, x, n);
	s->zeros += zeros[0];
	combine(s, &k);
}

static size_t count_nonfinite(const double *x, size_t n)
{
	uint64_t bad[LANES] = { 0 };
	size_t i = 0;

	for (; i + LANES <= n; i += LANES)
		for (int l = 0; l < LANES; l++)
			bad[l] += !(fabs(x[i + l]) <= DBL_MAX);
	for (; i < n; i++)
		bad[0] += !(fabs(x[i]) <= DBL_MAX);
	for (int l = 1; l < LANES; l++)
		bad[0] += bad[l];
	return bad[0];
}

/* One fused pass for values whose squares cannot overflow a double (all types but float64):
 * sums of d = x - x[0] and d^2 give the mean and variance without cancellation trouble (the
 * shifted-data method), and the squares sum directly for the L2 norm. Returns 0 if the block
 * holds NaN or Inf, leaving s untouched. */
static int block_narrow(struct stats *s, const double *x, size_t n)
{
	double s1[NLANES] = { 0 }, s2[NLANES] = { 0 }, q[NLANES] = { 0 }, lo[NLANES], hi[NLANES];
	double zeros[NLANES] = { 0 }, bad[NLANES] = { 0 };  /* doubles: one lane type vectorises */
	double k0 = x[0];
	struct block k = { 0 };
	size_t i = 0;

	for (int l = 0; l < NLANES; l++)
		lo[l] = hi[l] = k0;
	for (; i + NLANES <= n; i += NLANES)
		for (int l = 0; l < NLANES; l++) {
			double v = x[i + l], d = v - k0;
			s1[l] += d;
			s2[l] += d * d;
			q[l] += v * v;
			lo[l] = v < lo[l] ? v : lo[l];
			hi[l] = v > hi[l] ? v : hi[l];
			zeros[l] += v == 0 ? 1.0 : 0.0;
			bad[l] += fabs(v) <= DBL_MAX ? 0.0 : 1.0;
		}
	for (; i < n; i++) {
		double v = x[i], d = v - k0;
		s1[0] += d;
		s2[0] += d * d;
		q[0] += v * v;
		lo[0] = v < lo[0] ? v : lo[0];
		hi[0] = v > hi[0] ? v : hi[0];
		zeros[0] += v == 0 ? 1.0 : 0.0;
		bad[0] += fabs(v) <= DBL_MAX ? 0.0 : 1.0;
	}
	for (int l = 1; l < NLANES; l++) {
		s1[0] += s1[l];
		s2[0] += s2[l];
		q[0] += q[l];
		lo[0] = lo[l] < lo[0] ? lo[l] : lo[0];
		hi[0] = hi[l] > hi[0] ? hi[l] : hi[0];
		zeros[0] += zeros[l];
		bad[0] += bad[l];
	}
	if (bad[0])
		return 0;
	k.n = n;
	k.mean = k0 + s1[0] / (double)n;
	k.m2 = s2[0] - s1[0] * (s1[0] / (double)n);
	if (k.m2 < 0)
		k.m2 = 0;
	k.min = lo[0];
	k.max = hi[0];
	k.scale = q[0] > 0 ? 1 : 0;
	k.ssq = q[0];
	s->zeros += (uint64_t)zeros[0];
	combine(s, &k);
	return 1;
}

static void block_values(struct stats *s, int dtype, double *x, size_t n)
{
	size_t m = 0;

	if (!n)
		return;
	s->count += n;
	if (dtype != DT_DOUBLE && dtype != DT_COMPLEX128 && block_narrow(s, x, n))
		return;
	if (!count_nonfinite(x, n)) {
		block_finite(s, x, n);
		return;
	}
	/* Count the non-finite values and compact the finite ones to the front. */
	for (size_t i = 0; i < n; i++) {
		double v = x[i];
		if (isnan(v))
			s->nan++;
		else if (isinf(v))
			*(v > 0 ? &s->posinf : &s->neginf) += 1;
		else
			x[m++] = v;
	}
	block_finite(s, x, m);
}

static double half_table[65536];
static double f8_table[5][256];
static int half_ready, f8_ready[5];

static const double *f8_lut(int dtype)
{
	int k = dtype - DT_FLOAT8_E5M2;

	if (!f8_ready[k]) {
		for (int v = 0; v < 256; v++)
			f8_table[k][v] = float8_to_double(dtype, (uint8_t)v);
		f8_ready[k] = 1;
	}
	return f8_table[k];
}

static const double *half_lut(void)
{
	if (!half_ready) {
		for (uint32_t v = 0; v < 65536; v++)
			half_table[v] = half_to_double((uint16_t)v);
		half_ready = 1;
	}
	return half_table;
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

/* Decode n <= STATS_BLOCK little-endian elements into x; p is suitably aligned scratch. */
static void decode_block(struct stats *s, int dtype, const uint8_t *p, size_t n, double *x)
{
	switch (dtype) {
	case DT_FLOAT: {
		float f[STATS_BLOCK];
		memcpy(f, p, n * 4);
		for (size_t i = 0; i < n; i++)
			x[i] = f[i];
		return;
	}
	case DT_DOUBLE:
		memcpy(x, p, n * 8);
		return;
	case DT_BFLOAT16: {
		uint16_t h[STATS_BLOCK];
		uint32_t u[STATS_BLOCK];
		float f[STATS_BLOCK];
		memcpy(h, p, n * 2);
		for (size_t i = 0; i < n; i++)
			u[i] = (uint32_t)h[i] << 16;
		memcpy(f, u, n * 4);
		for (size_t i = 0; i < n; i++)
			x[i] = f[i];
		return;
	}
	case DT_HALF: {
		const double *t = half_lut();
		uint16_t h[STATS_BLOCK];
		memcpy(h, p, n * 2);
		for (size_t i = 0; i < n; i++)
			x[i] = t[h[i]];
		return;
	}
	case DT_FLOAT8_E5M2: case DT_FLOAT8_E4M3FN: case DT_FLOAT8_E4M3FNUZ:
	case DT_FLOAT8_E4M3B11FNUZ: case DT_FLOAT8_E5M2FNUZ: {
		const double *t = f8_lut(dtype);
		for (size_t i = 0; i < n; i++)
			x[i] = t[p[i]];
		return;
	}
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
	uint8_t tmp[16 * STATS_BLOCK];

	if (s->kind == STATS_NONE || !d || !d->size) {
		s->count += n;
		return -1;
	}
	while (n) {
		size_t k = n < STATS_BLOCK ? n : STATS_BLOCK;
		const uint8_t *q = p;
		if (swap != HOST_BIG && d->size > 1) {
			memcpy(tmp, p, k * (size_t)d->size);
			swap_elements(dtype, tmp, k);
			q = tmp;
		}
		decode_block(s, dtype, q, k, x);
		block_values(s, dtype, x, k);
		p += k * (size_t)d->size;
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

/* Stream one stored payload through the statistics, CRC-checked. */
static int stats_payload(struct bundle *b, const struct bundle_entry *e, struct stats *s,
			 uint8_t *chunk, struct ck_err *err)
{
	const struct dtype_info *d = dtype_info(e->dtype);
	struct tensor_stream ts;
	long long got;
	int rc = tensor_stream_open(&ts, b, e, err);

	if (rc < 0)
		return rc;
	while ((got = tensor_stream_read(&ts, chunk, CHUNK, err)) > 0)
		stats_add(s, e->dtype, chunk, (size_t)got / (size_t)d->size, b->big_endian);
	if (got == 0 && e->size == 0)  /* an empty payload: the CRC check happens on a read */
		got = tensor_stream_read(&ts, chunk, 0, err);
	return got < 0 ? (int)got : 0;
}

int stats_tensor(struct bundle *b, const struct bundle_entry *e, struct stats *s,
		 struct ck_err *err)
{
	int64_t ext[2 * 256];
	uint8_t *chunk;
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
	chunk = xmalloc(CHUNK);
	/* Statistics do not depend on element order: a partitioned tensor is its slices. */
	if (!e->nslices)
		rc = stats_payload(b, e, s, chunk, err);
	for (size_t i = 0; i < e->nslices && !rc; i++)
		rc = stats_payload(b, slice_entry(b, e, i, ext), s, chunk, err);
	free(chunk);
	return rc;
}
