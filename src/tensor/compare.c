/* Streaming comparison of two tensors: memcmp per chunk first, then one decoding loop per dtype
 * over the chunks that differ. */
#include "tensor/compare.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crc32c.h"
#include "base/par.h"
#include "base/util.h"
#include "format/dtype.h"
#include "format/slicekey.h"
#include "tensor/assemble.h"
#include "tensor/convert.h"
#include "tensor/split.h"

/* Read size, a multiple of every element size: both sides' chunks stay in a core's L2 while
 * the CRCs and the comparison go over them (256 KiB: 20% faster than 1 MiB here). A stored
 * payload pair from SPLIT_MIN bytes on is compared in two halves on two cores, as split.h
 * reads one payload. */
#define CHUNK SPLIT_CHUNK

/* Decoding tables for the narrow floats, built once: a lookup is cheaper than the bit work,
 * and all their values are exact in a float. */
static float half_tab[65536];
static float f8_tab[5][256];
static int tabs_ready;

static void tables_init(void)
{
	if (tabs_ready)
		return;
	for (unsigned i = 0; i < 65536; i++)
		half_tab[i] = (float)half_to_double((uint16_t)i);
	for (int t = 0; t < 5; t++)
		for (unsigned i = 0; i < 256; i++)
			f8_tab[t][i] = (float)float8_to_double(DT_FLOAT8_E5M2 + t, (uint8_t)i);
	tabs_ready = 1;
}

int compare_has_stats(const struct compare_result *r)
{
	return r->numeric && !r->bytes_only && !r->by_crc &&
	       (r->bytewise || r->elements > r->nonfinite);
}

double compare_max_abs(const struct compare_result *r)
{
	return compare_has_stats(r) ? r->max_abs : NAN;
}

double compare_mean_abs(const struct compare_result *r)
{
	if (!compare_has_stats(r))
		return NAN;
	return r->bytewise ? 0.0 : r->sum_abs / (double)(r->elements - r->nonfinite);
}

double compare_rms(const struct compare_result *r)
{
	if (!compare_has_stats(r))
		return NAN;
	return r->bytewise ? 0.0 : sqrt(r->sum_sq / (double)(r->elements - r->nonfinite));
}

double compare_rel(const struct compare_result *r)
{
	if (!compare_has_stats(r))
		return NAN;
	if (r->sum_sq_a > 0)
		return sqrt(r->sum_sq) / sqrt(r->sum_sq_a);
	return r->sum_sq > 0 ? INFINITY : 0.0;
}

void compare_unravel(uint64_t flat, const int64_t *dims, int rank, int64_t *idx)
{
	for (int d = rank - 1; d >= 0; d--) {
		uint64_t n = dims[d] > 0 ? (uint64_t)dims[d] : 1;
		idx[d] = (int64_t)(flat % n);
		flat /= n;
	}
}

/* ---- the per-dtype loops ---------------------------------------------------------------- */

struct acc {
	double atol, rtol;
	int equal_nan;
	struct compare_result r;
};

static inline __attribute__((always_inline)) void note_differ(struct acc *s, uint64_t i)
{
	if (!s->r.differ)
		s->r.first = i;
	s->r.differ++;
}

static inline __attribute__((always_inline)) void note_delta(struct acc *s, double ad, double d,
							      double x, double y, uint64_t i)
{
	s->r.sum_abs += ad;
	s->r.sum_sq += d * d;
	if (ad > s->r.max_abs) {
		s->r.max_abs = ad;
		s->r.max_index = i;
		s->r.max_a = x;
		s->r.max_b = y;
	}
}

/* What real and complex pairs share once they are known to differ: NaN and Inf bookkeeping
 * (such pairs are left out of the sums: the caller counted them in nonfinite), the |Δ|
 * statistics of finite pairs, and the tolerance test: |Δ| <= atol + rtol * |b|. */
static inline __attribute__((always_inline)) void acc_unequal(struct acc *s, int xnan, int ynan,
							       int xf, int yf, double ad, double d,
							       double x, double y, double absb,
							       uint64_t i)
{
	if (xnan || ynan) {
		if (!xnan || !ynan) {
			s->r.nan_new += !xnan;
			s->r.nan_gone += !ynan;
			note_differ(s, i);
		} else if (!s->equal_nan) {
			note_differ(s, i);
		}
		return;
	}
	if (!xf || !yf) {  /* an infinity on one side, or both opposite: never close */
		s->r.inf_new += xf;
		s->r.inf_gone += yf;
		note_differ(s, i);
		return;
	}
	note_delta(s, ad, d, x, y, i);
	/* A finite pair may still overflow |Δ| (doubles near the limit): never close either. */
	if (!(ad <= s->atol + s->rtol * absb) || ad == INFINITY)
		note_differ(s, i);
}

static inline __attribute__((always_inline)) void acc_real(struct acc *s, double x, double y,
							    uint64_t i)
{
	int xf = x - x == 0, yf = y - y == 0;  /* finite */

	if (xf && yf)
		s->r.sum_sq_a += x * x;
	else
		s->r.nonfinite++;
	if (x != y)
		acc_unequal(s, x != x, y != y, xf, yf, fabs(x - y), x - y, x, y, fabs(y), i);
}

/* Integers compare exactly; |Δ| is computed without overflow (as an unsigned difference),
 * then as a double. */
#define ACC_INTEGER(fn, T)                                                                  \
	static inline __attribute__((always_inline)) void fn(struct acc *s, T x, T y, uint64_t i) \
	{                                                                                   \
		double d;                                                                   \
		s->r.sum_sq_a += (double)x * (double)x;                                     \
		if (x == y)                                                                 \
			return;                                                             \
		d = x > y ? (double)((uint64_t)x - (uint64_t)y)                             \
			  : -(double)((uint64_t)y - (uint64_t)x);                           \
		note_delta(s, fabs(d), d, (double)x, (double)y, i);                         \
		note_differ(s, i);                                                          \
	}
ACC_INTEGER(acc_int, int64_t)
ACC_INTEGER(acc_uint, uint64_t)

/* Complex: |Δ| is the modulus of the difference, |b| the modulus of b; a NaN or infinite
 * part makes the element NaN or infinite. */
static inline __attribute__((always_inline)) void acc_complex(struct acc *s, double xr, double xi,
							       double yr, double yi, uint64_t i)
{
	int xnan = xr != xr || xi != xi, ynan = yr != yr || yi != yi;
	int xf = !xnan && xr - xr == 0 && xi - xi == 0, yf = !ynan && yr - yr == 0 && yi - yi == 0;
	double ad;

	if (xf && yf)
		s->r.sum_sq_a += xr * xr + xi * xi;
	else
		s->r.nonfinite++;
	if (xr == yr && xi == yi)
		return;
	ad = xf && yf ? hypot(xr - yr, xi - yi) : INFINITY;
	acc_unequal(s, xnan, ynan, xf, yf, ad, ad, hypot(xr, xi), hypot(yr, yi), hypot(yr, yi), i);
}

static inline float ld_f32(const uint8_t *p)
{
	float f;
	memcpy(&f, p, 4);
	return f;
}

static inline double ld_f64(const uint8_t *p)
{
	double f;
	memcpy(&f, p, 8);
	return f;
}

static inline uint16_t ld_u16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return v;
}

static inline float ld_bf16(const uint8_t *p)
{
	uint32_t bits = (uint32_t)ld_u16(p) << 16;
	float f;
	memcpy(&f, &bits, 4);
	return f;
}

#define LD_NATIVE(T)                                  \
	static inline T ld_##T(const uint8_t *p)      \
	{                                             \
		T v;                                  \
		memcpy(&v, p, sizeof(v));             \
		return v;                             \
	}
LD_NATIVE(int16_t)
LD_NATIVE(int32_t)
LD_NATIVE(int64_t)
LD_NATIVE(uint32_t)
LD_NATIVE(uint64_t)

/* A loop over n elements of size SZ: x and y decoded by EXPR(pointer), fed to ACC. The
 * accumulator lives in a local copy so that the compiler keeps it in registers. */
#define LOOP(fn, SZ, ACC, EXPR)                                                              \
	static void fn(struct acc *g, const uint8_t *a, const uint8_t *b, size_t n, uint64_t at) \
	{                                                                                    \
		struct acc s = *g;                                                           \
		for (size_t k = 0; k < n; k++)                                               \
			ACC(&s, EXPR(a + (SZ) * k), EXPR(b + (SZ) * k), at + k);             \
		*g = s;                                                                      \
	}

#define HALF(p) half_tab[ld_u16(p)]
#define I8(p) ((int8_t)*(p))
#define U8(p) (*(p))
#define U16(p) ld_u16(p)

LOOP(elem_f32, 4, acc_real, ld_f32)
LOOP(elem_f64, 8, acc_real, ld_f64)
LOOP(loop_f16, 2, acc_real, HALF)
LOOP(loop_bf16, 2, acc_real, ld_bf16)
LOOP(loop_i8, 1, acc_int, I8)
LOOP(loop_i16, 2, acc_int, ld_int16_t)
LOOP(loop_i32, 4, acc_int, ld_int32_t)
LOOP(loop_i64, 8, acc_int, ld_int64_t)
LOOP(loop_u8, 1, acc_uint, U8)
LOOP(loop_u16, 2, acc_uint, U16)
LOOP(loop_u32, 4, acc_uint, ld_uint32_t)
LOOP(loop_u64, 8, acc_uint, ld_uint64_t)

static void loop_f8(struct acc *g, const float *tab, const uint8_t *a, const uint8_t *b, size_t n,
		    uint64_t at)
{
	struct acc s = *g;
	for (size_t k = 0; k < n; k++)
		acc_real(&s, tab[a[k]], tab[b[k]], at + k);
	*g = s;
}

static void loop_c64(struct acc *g, const uint8_t *a, const uint8_t *b, size_t n, uint64_t at)
{
	struct acc s = *g;
	for (size_t k = 0; k < n; k++)
		acc_complex(&s, ld_f32(a + 8 * k), ld_f32(a + 8 * k + 4), ld_f32(b + 8 * k),
			    ld_f32(b + 8 * k + 4), at + k);
	*g = s;
}

static void loop_c128(struct acc *g, const uint8_t *a, const uint8_t *b, size_t n, uint64_t at)
{
	struct acc s = *g;
	for (size_t k = 0; k < n; k++)
		acc_complex(&s, ld_f64(a + 16 * k), ld_f64(a + 16 * k + 8), ld_f64(b + 16 * k),
			    ld_f64(b + 16 * k + 8), at + k);
	*g = s;
}


/* Real pairs in blocks, without a branch per element: sums in LANES independent lanes (the
 * compiler keeps them in vector registers), then the first index outside tolerance and the
 * index of max |Δ| found again by a scan of the block, only when the block has them. A block
 * holding NaN or Inf (or whose squares overflow) takes the element loop, which has the rules
 * for them: its sums then come out not finite, as nothing else can make them so. */
#define LANES 8
#define BLOCK 4096

#define FAST(fn, SZ, ELEM)                                                            \
	static void fn(struct acc *g, const uint8_t *a, const uint8_t *b, size_t n, uint64_t at) \
	{                                                                                    \
		for (size_t o = 0; o < n; o += BLOCK) {                                       \
			size_t m = n - o < BLOCK ? n - o : BLOCK;                             \
			if (!fast_block(g, a + (SZ) * o, b + (SZ) * o, m, at + o, SZ))        \
				ELEM(g, a + (SZ) * o, b + (SZ) * o, m, at + o);               \
		}                                                                            \
	}

static inline __attribute__((always_inline)) double ld_real(const uint8_t *p, int size)
{
	return size == 4 ? ld_f32(p) : ld_f64(p);
}

/* size: 4 (float32) or 8 (float64), a constant once inlined. Returns 0, leaving s untouched,
 * when the block needs the element loop. */
static inline __attribute__((always_inline)) int fast_block(struct acc *s, const uint8_t *a,
							     const uint8_t *b, size_t n, uint64_t at,
							     int size)
{
	double sa[LANES] = { 0 }, sabs[LANES] = { 0 }, ssq[LANES] = { 0 }, top[LANES] = { 0 };
	double out[LANES] = { 0 };  /* doubles: one lane type vectorises */
	double atol = s->atol, rtol = s->rtol, sum_a = 0, sum_abs = 0, sum_sq = 0, max = 0;
	uint64_t differ = 0;
	size_t nv = n / LANES * LANES;

	for (size_t i = 0; i < nv; i += LANES)
		for (int l = 0; l < LANES; l++) {
			double x = ld_real(a + size * (i + l), size), y = ld_real(b + size * (i + l), size);
			double d = x - y, ad = fabs(d);
			sa[l] += x * x;
			sabs[l] += ad;
			ssq[l] += d * d;
			top[l] = ad > top[l] ? ad : top[l];
			out[l] += ad <= atol + rtol * fabs(y) ? 0.0 : 1.0;
		}
	for (int l = 0; l < LANES; l++) {
		sum_a += sa[l];
		sum_abs += sabs[l];
		sum_sq += ssq[l];
		max = top[l] > max ? top[l] : max;
		differ += (uint64_t)out[l];
	}
	for (size_t i = nv; i < n; i++) {
		double x = ld_real(a + size * i, size), y = ld_real(b + size * i, size);
		double d = x - y, ad = fabs(d);
		sum_a += x * x;
		sum_abs += ad;
		sum_sq += d * d;
		max = ad > max ? ad : max;
		differ += !(ad <= atol + rtol * fabs(y));
	}
	if (sum_a - sum_a != 0 || sum_sq - sum_sq != 0)
		return 0;
	s->r.sum_sq_a += sum_a;
	s->r.sum_abs += sum_abs;
	s->r.sum_sq += sum_sq;
	if (max > s->r.max_abs)  /* its first occurrence, as the element loop keeps it */
		for (size_t i = 0; i < n; i++) {
			double x = ld_real(a + size * i, size), y = ld_real(b + size * i, size);
			if (fabs(x - y) == max) {
				s->r.max_abs = max;
				s->r.max_index = at + i;
				s->r.max_a = x;
				s->r.max_b = y;
				break;
			}
		}
	if (differ && !s->r.differ)
		for (size_t i = 0; i < n; i++) {
			double x = ld_real(a + size * i, size), y = ld_real(b + size * i, size);
			if (!(fabs(x - y) <= atol + rtol * fabs(y))) {
				s->r.first = at + i;
				break;
			}
		}
	s->r.differ += differ;
	return 1;
}

FAST(loop_f32, 4, elem_f32)
FAST(loop_f64, 8, elem_f64)

/* Σa² alone, for a chunk whose bytes are equal on both sides (Δ = 0 there), and the count of
 * its non-finite pairs. */
#define SAME(fn, SZ, EXPR)                                              \
	static double fn(const uint8_t *a, size_t n, uint64_t *nonfinite) \
	{                                                               \
		double sum = 0;                                         \
		uint64_t bad = 0;                                       \
		for (size_t k = 0; k < n; k++) {                        \
			double x = EXPR(a + (SZ) * k);                  \
			if (x - x == 0)                                 \
				sum += x * x;                           \
			else                                            \
				bad++;                                  \
		}                                                       \
		*nonfinite += bad;                                      \
		return sum;                                             \
	}

SAME(same_f32, 4, ld_f32)
SAME(same_f64, 8, ld_f64)
SAME(same_f16, 2, HALF)
SAME(same_bf16, 2, ld_bf16)
SAME(same_i8, 1, I8)
SAME(same_i16, 2, ld_int16_t)
SAME(same_i32, 4, ld_int32_t)
SAME(same_i64, 8, ld_int64_t)
SAME(same_u8, 1, U8)
SAME(same_u16, 2, U16)
SAME(same_u32, 4, ld_uint32_t)
SAME(same_u64, 8, ld_uint64_t)

static double same_f8(const float *tab, const uint8_t *a, size_t n, uint64_t *nonfinite)
{
	double sum = 0;
	for (size_t k = 0; k < n; k++) {
		double x = tab[a[k]];
		if (x - x == 0)
			sum += x * x;
		else
			++*nonfinite;
	}
	return sum;
}

/* A complex element counts when both parts are finite, as in acc_complex. */
static double same_complex(const uint8_t *a, size_t n, int part, uint64_t *nonfinite)
{
	double sum = 0;
	for (size_t k = 0; k < n; k++) {
		double x = part == 4 ? ld_f32(a + 8 * k) : ld_f64(a + 16 * k);
		double y = part == 4 ? ld_f32(a + 8 * k + 4) : ld_f64(a + 16 * k + 8);
		if (x - x == 0 && y - y == 0)
			sum += x * x + y * y;
		else
			++*nonfinite;
	}
	return sum;
}

/* Route n elements to the loop of their dtype: b == NULL means "equal bytes, Σa² only". */
static void run_loop(struct acc *s, int dtype, const uint8_t *a, const uint8_t *b, size_t n,
		     uint64_t at)
{
	switch (dtype) {
#define CASE(dt, name)                                      \
	case dt:                                            \
		if (b)                                      \
			loop_##name(s, a, b, n, at);        \
		else                                        \
			s->r.sum_sq_a += same_##name(a, n, &s->r.nonfinite); \
		return;
	CASE(DT_FLOAT, f32)
	CASE(DT_DOUBLE, f64)
	CASE(DT_HALF, f16)
	CASE(DT_BFLOAT16, bf16)
	case DT_INT4: case DT_INT2: case DT_QINT8:
	CASE(DT_INT8, i8)
	case DT_QINT16:
	CASE(DT_INT16, i16)
	case DT_QINT32:
	CASE(DT_INT32, i32)
	CASE(DT_INT64, i64)
	case DT_UINT4: case DT_UINT2: case DT_QUINT8: case DT_BOOL:
	CASE(DT_UINT8, u8)
	case DT_QUINT16:
	CASE(DT_UINT16, u16)
	CASE(DT_UINT32, u32)
	CASE(DT_UINT64, u64)
#undef CASE
	case DT_FLOAT8_E5M2: case DT_FLOAT8_E4M3FN: case DT_FLOAT8_E4M3FNUZ:
	case DT_FLOAT8_E4M3B11FNUZ: case DT_FLOAT8_E5M2FNUZ: {
		const float *tab = f8_tab[dtype - DT_FLOAT8_E5M2];
		if (b)
			loop_f8(s, tab, a, b, n, at);
		else
			s->r.sum_sq_a += same_f8(tab, a, n, &s->r.nonfinite);
		return;
	}
	case DT_COMPLEX64:
		if (b)
			loop_c64(s, a, b, n, at);
		else
			s->r.sum_sq_a += same_complex(a, n, 4, &s->r.nonfinite);
		return;
	case DT_COMPLEX128:
		if (b)
			loop_c128(s, a, b, n, at);
		else
			s->r.sum_sq_a += same_complex(a, n, 8, &s->r.nonfinite);
		return;
	}
}

/* ---- sources: a tensor stream or bytes in memory ----------------------------------------- */

struct src {
	const uint8_t *mem;        /* bytes in memory, or else: */
	struct tensor_stream ts;   /* a stored payload, read in order and CRC-checked; or */
	int at_offset;             /* a part of one, read by position, its CRC summed in crc; or */
	uint32_t crc;
	int by_position;           /* elements by position through the partitioning (assemble.h) */
	struct bundle *b;
	const struct bundle_entry *e;
	int dtype;
	size_t esize;
	uint8_t *buf;              /* CHUNK bytes: the current chunk, or a swapped copy */
	int swap;                  /* element bytes must be reversed to host order */
};

/* Read buffers, page-aligned (the kernel copies into them faster) and kept for the whole run:
 * per tensor, a diff of thousands of tensors would map and fault in fresh megabytes each time.
 * Slots 0 and 1 serve the two sides, 2 the rereading of an equal prefix; 3 to 5 the same for
 * the second half of a split payload. */
static uint8_t *io_buf[6];

static uint8_t *chunk_buf(int slot)
{
	if (!io_buf[slot])
		io_buf[slot] = xmalloc_io(CHUNK);
	return io_buf[slot];
}

static int host_big_endian(void)
{
	return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
}

/* Bytes [off, off + n) into p, in any order (for summing again an equal prefix). */
static int src_pread(struct src *s, uint64_t off, size_t n, uint8_t *p, struct ck_err *err)
{
	if (s->mem) {
		memcpy(p, s->mem + off, n);
		return 0;
	}
	if (s->by_position)
		return tensor_read_range(s->b, s->e, off / s->esize, n / s->esize, p, err);
	return bundle_pread(s->b, s->e, off, p, n, err);
}

/* The next n bytes, at offset off (streams: in order). */
static int src_get(struct src *s, uint64_t off, size_t n, const uint8_t **p, struct ck_err *err)
{
	if (s->mem) {
		*p = s->mem + off;
		return 0;
	}
	*p = s->buf;
	if (s->by_position)
		return src_pread(s, off, n, s->buf, err);
	if (s->at_offset) {
		int rc = src_pread(s, off, n, s->buf, err);
		if (!rc)
			s->crc = crc32c_extend(s->crc, s->buf, n);
		return rc;
	}
	for (size_t got = 0; got < n;) {
		long long r = tensor_stream_read(&s->ts, s->buf + got, n - got, err);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return ck_error(err, CK_ECORRUPT, "tensor payload ended early");
		got += (size_t)r;
	}
	return 0;
}

/* Host-order bytes for decoding: in place in the chunk buffer, a copy for memory. */
static const uint8_t *src_host(struct src *s, const uint8_t *p, size_t n)
{
	if (!s->swap)
		return p;
	if (p != s->buf)
		memcpy(s->buf, p, n);
	swap_elements(s->dtype, s->buf, n / s->esize);
	return s->buf;
}

/* Stream end: the read that checks the CRC (a no-op when it already ran; parts are checked
 * once put together). */
static int src_end(struct src *s, struct ck_err *err)
{
	uint8_t dummy;
	long long r = s->mem || s->by_position || s->at_offset
			      ? 0 : tensor_stream_read(&s->ts, &dummy, 0, err);
	return r < 0 ? (int)r : 0;
}

/* The chunk loop over bytes [lo, hi), shared by streams and memory: equal chunks cost a memcmp
 * until the first difference; from then on they still add Σa² (and the equal prefix is summed
 * once, read again from the file or memory into buffer slot `spare`). */
static int drive(struct acc *s, int dtype, uint64_t lo, uint64_t hi, struct src *a,
		 struct src *b, int spare, struct ck_err *err)
{
	size_t esize = (size_t)dtype_info(dtype)->size;
	uint8_t *scratch = NULL;
	uint64_t pos = lo;
	int dirty = 0, rc = 0, fast = a->swap == b->swap;  /* equal bytes mean equal values */

	while (pos < hi) {
		size_t m = hi - pos < CHUNK ? (size_t)(hi - pos) : CHUNK;
		const uint8_t *pa, *pb;
		if ((rc = src_get(a, pos, m, &pa, err)) < 0 || (rc = src_get(b, pos, m, &pb, err)) < 0)
			goto out;
		if (fast && !memcmp(pa, pb, m)) {
			if (dirty)
				run_loop(s, dtype, src_host(a, pa, m), NULL, m / esize, pos / esize);
			pos += m;
			continue;
		}
		if (!dirty) {
			dirty = 1;
			s->r.bytewise = 0;
			if (pos > lo)
				scratch = chunk_buf(spare);
			for (uint64_t q = lo; q < pos; q += CHUNK) {
				size_t k = pos - q < CHUNK ? (size_t)(pos - q) : CHUNK;
				if ((rc = src_pread(a, q, k, scratch, err)) < 0)
					goto out;
				if (a->swap)
					swap_elements(dtype, scratch, k / esize);
				run_loop(s, dtype, scratch, NULL, k / esize, q / esize);
			}
		}
		pa = src_host(a, pa, m);
		pb = src_host(b, pb, m);
		run_loop(s, dtype, pa, pb, m / esize, pos / esize);
		pos += m;
	}
	if ((rc = src_end(a, err)) < 0 || (rc = src_end(b, err)) < 0)
		goto out;
	if (!dirty)
		s->r.bytewise = 1;
out:
	return rc;
}

/* ---- strings and opaque payloads -------------------------------------------------------- */

static int collect(void *ctx, uint64_t i, const uint8_t *s, size_t len)
{
	struct strtab *t = ctx;
	t->p[i] = s;
	t->len[i] = len;
	return 0;
}

/* Element by element, exactly. */
static void compare_strings(struct acc *s, const struct strtab *a, const struct strtab *b)
{
	for (uint64_t i = 0; i < a->n && i < b->n; i++)
		if (a->len[i] != b->len[i] || memcmp(a->p[i], b->p[i], a->len[i]))
			note_differ(s, i);
	s->r.bytewise = !s->r.differ;
}

static int compare_bytes(struct acc *s, struct src *a, struct src *b, uint64_t na, uint64_t nb,
			 struct ck_err *err)
{
	uint64_t size = na < nb ? na : nb;
	int rc = 0;

	s->r.bytes_only = 1;
	s->r.bytewise = na == nb;
	for (uint64_t pos = 0; pos < size;) {
		size_t m = size - pos < CHUNK ? (size_t)(size - pos) : CHUNK;
		const uint8_t *pa, *pb;
		if ((rc = src_get(a, pos, m, &pa, err)) < 0 || (rc = src_get(b, pos, m, &pb, err)) < 0)
			return rc;
		if (s->r.bytewise && memcmp(pa, pb, m))
			s->r.bytewise = 0;
		pos += m;
	}
	/* Read the rest of the longer one too, so that its checksum is checked. */
	for (uint64_t end = na > nb ? na : nb; size < end;) {
		size_t m = end - size < CHUNK ? (size_t)(end - size) : CHUNK;
		const uint8_t *p;
		if ((rc = src_get(na > nb ? a : b, size, m, &p, err)) < 0)
			return rc;
		size += m;
	}
	if ((rc = src_end(a, err)) < 0 || (rc = src_end(b, err)) < 0)
		return rc;
	if (!s->r.bytewise) {
		s->r.differ = s->r.elements ? s->r.elements : 1;
		s->r.first = 0;
	}
	return 0;
}

static void acc_init(struct acc *s, const struct compare_opts *o, uint64_t elements)
{
	memset(s, 0, sizeof(*s));
	s->atol = o->atol;
	s->rtol = o->rtol;
	s->equal_nan = o->equal_nan;
	s->r.elements = elements;
}

static int acc_done(struct acc *s, struct compare_result *r, int rc)
{
	if (rc < 0)
		return rc;
	s->r.equal = s->r.differ == 0;
	*r = s->r;
	return 0;
}

/* ---- one stored tensor against another --------------------------------------------------- */

static void src_stored(struct src *s, struct bundle *b, const struct bundle_entry *e, int slot)
{
	const struct dtype_info *d = dtype_info(e->dtype);

	memset(s, 0, sizeof(*s));
	s->b = b;
	s->e = e;
	s->dtype = e->dtype;
	s->esize = d && d->size ? (size_t)d->size : 1;
	s->swap = b->big_endian != host_big_endian();
	s->buf = chunk_buf(slot);
}

static int size_error(const struct bundle_entry *e, struct ck_err *err)
{
	struct buf t = BUF_INIT;
	int rc;

	buf_add_name_msg(&t, e->name, e->name_len);
	rc = ck_error(err, CK_ECORRUPT, "tensor \"%s\": %llu bytes stored for %llu %s elements",
		      (const char *)t.p, (unsigned long long)e->size, (unsigned long long)e->elements,
		      dtype_name(e->dtype));
	buf_release(&t);
	return rc;
}

/* Index i of a slice (extents ext, lengths resolved) as a flat index of the full tensor. */
static uint64_t slice_to_full(uint64_t i, const int64_t *ext, const int64_t *dims, int rank)
{
	uint64_t flat = 0, mul = 1;

	if (!ext)  /* not a slice: the same index */
		return i;
	for (int k = rank - 1; k >= 0; k--) {
		uint64_t len = (uint64_t)ext[2 * k + 1];
		flat += ((uint64_t)ext[2 * k] + (len ? i % len : 0)) * mul;
		i = len ? i / len : 0;
		mul *= (uint64_t)dims[k];
	}
	return flat;
}

static void merge(struct compare_result *t, const struct compare_result *p, const int64_t *ext,
		  const int64_t *dims, int rank)
{
	if (p->differ) {
		uint64_t first = slice_to_full(p->first, ext, dims, rank);
		if (!t->differ || first < t->first)
			t->first = first;
	}
	t->differ += p->differ;
	t->nonfinite += p->nonfinite;
	if (p->max_abs > t->max_abs) {
		t->max_abs = p->max_abs;
		t->max_index = slice_to_full(p->max_index, ext, dims, rank);
		t->max_a = p->max_a;
		t->max_b = p->max_b;
	}
	t->sum_abs += p->sum_abs;
	t->sum_sq += p->sum_sq;
	t->sum_sq_a += p->sum_sq_a;
	t->nan_new += p->nan_new;
	t->nan_gone += p->nan_gone;
	t->inf_new += p->inf_new;
	t->inf_gone += p->inf_gone;
	t->bytewise &= p->bytewise;
	t->by_crc &= p->by_crc;
	t->bytes_only |= p->bytes_only;
	t->equal = t->differ == 0;
}

/* Σa² of bytes [lo, hi) of a stored payload read again: a slice or half found equal (and so
 * skipped) within a tensor that differs elsewhere still counts in ||A||, and its non-finite
 * values in the pairs left out of the statistics. */
static int sum_squares(struct src *a, uint64_t lo, uint64_t hi, struct compare_result *t,
		       struct ck_err *err)
{
	struct acc s = { 0 };
	int rc = 0;

	for (uint64_t pos = lo; pos < hi && !rc; pos += CHUNK) {
		size_t m = hi - pos < CHUNK ? (size_t)(hi - pos) : CHUNK;
		if ((rc = src_pread(a, pos, m, a->buf, err)) < 0)
			break;
		run_loop(&s, a->dtype, src_host(a, a->buf, m), NULL, m / a->esize, 0);
	}
	t->sum_sq_a += s.r.sum_sq_a;
	t->nonfinite += s.r.nonfinite;
	return rc;
}

/* Half of a stored payload pair, compared on its own thread. */
struct part {
	struct acc s;
	struct src a, b;
	int dtype, spare;
	uint64_t lo, hi;
	int rc;
	struct ck_err err;
};

static void part_run(void *arg)
{
	struct part *p = arg;
	p->rc = drive(&p->s, p->dtype, p->lo, p->hi, &p->a, &p->b, p->spare, &p->err);
}

/* drive() over [0, size) as two halves on two cores, each reading by position and summing its
 * own CRCs; the CRCs are combined and checked, and the results merged, as if read in order.
 * a and b are open streams: their shards are open, so the halves may pread at once. */
static int drive_split(struct acc *s, int dtype, uint64_t size, struct src *a, struct src *b,
		       struct ck_err *err)
{
	struct part p[2];
	uint64_t half = size / 2 / CHUNK * CHUNK;
	int rc;

	for (int k = 0; k < 2; k++) {
		p[k].s = *s;
		p[k].a = *a;
		p[k].b = *b;
		p[k].a.at_offset = p[k].b.at_offset = 1;
		p[k].a.crc = p[k].b.crc = 0;
		p[k].a.buf = chunk_buf(3 * k);
		p[k].b.buf = chunk_buf(3 * k + 1);
		p[k].spare = 3 * k + 2;
		p[k].dtype = dtype;
		p[k].lo = k ? half : 0;
		p[k].hi = k ? size : half;
	}
	par_both(part_run, &p[0], &p[1]);
	for (int k = 0; k < 2; k++) {
		if (p[k].rc < 0) {
			if (err)
				*err = p[k].err;
			return p[k].rc;
		}
	}
	if ((rc = bundle_check_crc(a->b, a->e, crc32c_combine(p[0].a.crc, p[1].a.crc, size - half),
				   err)) < 0 ||
	    (rc = bundle_check_crc(b->b, b->e, crc32c_combine(p[0].b.crc, p[1].b.crc, size - half),
				   err)) < 0)
		return rc;
	s->r = p[0].s.r;
	merge(&s->r, &p[1].s.r, NULL, NULL, 0);
	for (int k = 0; k < 2 && !s->r.bytewise; k++)  /* an equal half still counts in ||A|| */
		if (p[k].s.r.bytewise && (rc = sum_squares(&p[k].a, p[k].lo, p[k].hi,
							  &s->r, err)) < 0)
			return rc;
	return 0;
}

/* Two stored payloads (regular tensors or two matching slices), streamed. */
static int compare_stored(struct bundle *ba, const struct bundle_entry *ea, struct bundle *bb,
			  const struct bundle_entry *eb, const struct compare_opts *o,
			  struct compare_result *r, struct ck_err *err)
{
	struct src a, b;
	struct acc s;
	int rc;

	acc_init(&s, o, ea->elements);
	s.r.numeric = dtype_is_numeric(ea->dtype);
	if (o->trust_crc && ea->size == eb->size && ea->crc32c == eb->crc32c) {
		s.r.bytewise = s.r.by_crc = 1;
		return acc_done(&s, r, 0);
	}
	src_stored(&a, ba, ea, 0);
	src_stored(&b, bb, eb, 1);
	if ((rc = tensor_stream_open(&a.ts, ba, ea, err)) < 0 ||
	    (rc = tensor_stream_open(&b.ts, bb, eb, err)) < 0)
		goto out;
	if (!s.r.numeric)
		rc = compare_bytes(&s, &a, &b, ea->size, eb->size, err);
	else if (ea->size != ea->elements * a.esize || eb->size != eb->elements * b.esize)
		rc = size_error(ea->size != ea->elements * a.esize ? ea : eb, err);
	else
		rc = ea->size >= SPLIT_MIN && a.ts.check && b.ts.check && ba->format == 2 &&
			     bb->format == 2
			     ? drive_split(&s, ea->dtype, ea->size, &a, &b, err)
			     : drive(&s, ea->dtype, 0, ea->size, &a, &b, 2, err);
out:
	return acc_done(&s, r, rc);
}

int compare_payloads(struct bundle *ba, const struct bundle_entry *ea, const uint8_t *pa,
		     struct bundle *bb, const struct bundle_entry *eb, const uint8_t *pb,
		     const struct compare_opts *o, struct compare_result *r, struct ck_err *err)
{
	struct src a, b;
	struct acc s;
	int rc;

	if (ea->dtype != eb->dtype || ea->dtype == DT_STRING || ea->nslices || eb->nslices ||
	    ea->rank != eb->rank || memcmp(ea->dims, eb->dims, (size_t)ea->rank * sizeof(*ea->dims)))
		return ck_error(err, CK_EUSAGE, "compare_payloads: not two stored tensors alike");
	tables_init();
	acc_init(&s, o, ea->elements);
	s.r.numeric = dtype_is_numeric(ea->dtype);
	if (o->trust_crc && ea->size == eb->size && ea->crc32c == eb->crc32c) {
		s.r.bytewise = s.r.by_crc = 1;
		return acc_done(&s, r, 0);
	}
	src_stored(&a, ba, ea, 0);
	src_stored(&b, bb, eb, 1);
	a.mem = pa;
	b.mem = pb;
	/* compare_stored's order: a size error before any read, then A's CRC, then B's. */
	if (s.r.numeric && (ea->size != ea->elements * a.esize || eb->size != eb->elements * b.esize))
		rc = size_error(ea->size != ea->elements * a.esize ? ea : eb, err);
	else if ((rc = bundle_check_crc(ba, ea, crc32c_extend(0, pa, ea->size), err)) < 0 ||
		 (rc = bundle_check_crc(bb, eb, crc32c_extend(0, pb, eb->size), err)) < 0)
		;
	else if (!s.r.numeric)
		rc = compare_bytes(&s, &a, &b, ea->size, eb->size, err);
	else
		rc = drive(&s, ea->dtype, 0, ea->size, &a, &b, 2, err);
	return acc_done(&s, r, rc);
}

/* Both partitioned alike: slice against slice, reported at the full tensor's indices. */
static int compare_sliced(struct bundle *ba, const struct bundle_entry *ea, struct bundle *bb,
			  const struct bundle_entry *eb, const struct compare_opts *o,
			  struct compare_result *r, struct ck_err *err)
{
	int64_t *ext = xcalloc(2 * (size_t)ea->rank + 1, sizeof(*ext));
	char *skipped = xcalloc(ea->nslices + 1, 1);
	struct compare_result t = { 0 }, p;
	int rc = 0;

	t.elements = ea->elements;
	t.bytewise = t.by_crc = t.equal = 1;
	t.numeric = dtype_is_numeric(ea->dtype);
	for (size_t j = 0; j < ea->nslices && !rc; j++) {
		const struct bundle_entry *sa = slice_entry(ba, ea, j, ext);
		const struct bundle_entry *sb = slice_entry(bb, eb, j, ext);
		/* partition_check has vouched for both */
		rc = compare_stored(ba, sa, bb, sb, o, &p, err);
		if (!rc)
			merge(&t, &p, ext, ea->dims, ea->rank);
		skipped[j] = p.bytewise;
	}
	for (size_t j = 0; j < ea->nslices && !rc && !t.bytewise && t.numeric; j++) {
		if (skipped[j]) {
			struct src a;
			src_stored(&a, ba, slice_entry(ba, ea, j, ext), 0);
			rc = sum_squares(&a, 0, a.e->size, &t, err);
		}
	}
	free(ext);
	free(skipped);
	if (!rc)
		*r = t;
	return rc;
}

/* Partitioned differently (or on one side only): elements by position through both
 * partitionings, after a CRC check of every payload involved. */
static int compare_by_position(struct bundle *ba, const struct bundle_entry *ea,
			       struct bundle *bb, const struct bundle_entry *eb,
			       const struct compare_opts *o, struct compare_result *r,
			       struct ck_err *err)
{
	struct src a, b;
	struct acc s;
	int rc;

	acc_init(&s, o, ea->elements);
	s.r.numeric = 1;
	s.r.assembled = 1;
	src_stored(&a, ba, ea, 0);
	src_stored(&b, bb, eb, 1);
	a.by_position = b.by_position = 1;
	if ((rc = tensor_verify(ba, ea, err)) < 0 || (rc = tensor_verify(bb, eb, err)) < 0)
		goto out;
	if ((!ea->nslices && ea->size != ea->elements * a.esize) ||
	    (!eb->nslices && eb->size != eb->elements * b.esize)) {
		rc = size_error(!ea->nslices && ea->size != ea->elements * a.esize ? ea : eb, err);
		goto out;
	}
	rc = drive(&s, ea->dtype, 0, ea->elements * a.esize, &a, &b, 2, err);
out:
	return acc_done(&s, r, rc);
}

int compare_buffers(int dtype, uint64_t elements, const void *a, size_t na, const void *b,
		    size_t nb, const struct compare_opts *o, struct compare_result *r,
		    struct ck_err *err)
{
	const struct dtype_info *d = dtype_info(dtype);
	struct src ma = { 0 }, mb = { 0 };
	struct acc s;
	int rc = 0;

	acc_init(&s, o, elements);
	ma.mem = a;
	mb.mem = b;
	ma.esize = mb.esize = d && d->size ? (size_t)d->size : 1;
	if (dtype == DT_STRING) {
		struct strtab ta = { 0 }, tb = { 0 };
		if (elements > SIZE_MAX / sizeof(void *) / 2)
			return ck_error(err, CK_EUNSUP, "string tensor too large");
		if (!bundle_strings_fit(elements, na) || !bundle_strings_fit(elements, nb))
			return ck_error(err, CK_ECORRUPT, "%zu and %zu bytes cannot hold %llu strings",
					na, nb, (unsigned long long)elements);
		ta.n = tb.n = elements;
		ta.p = xcalloc((size_t)elements + 1, sizeof(*ta.p));
		ta.len = xcalloc((size_t)elements + 1, sizeof(*ta.len));
		tb.p = xcalloc((size_t)elements + 1, sizeof(*tb.p));
		tb.len = xcalloc((size_t)elements + 1, sizeof(*tb.len));
		rc = bundle_strings(a, na, elements, collect, &ta, err);
		if (!rc)
			rc = bundle_strings(b, nb, elements, collect, &tb, err);
		if (!rc)
			compare_strings(&s, &ta, &tb);
		strtab_release(&ta);
		strtab_release(&tb);
	} else if (!dtype_is_numeric(dtype)) {
		rc = compare_bytes(&s, &ma, &mb, na, nb, err);
	} else if (na != elements * ma.esize || nb != na) {
		rc = ck_error(err, CK_ECORRUPT, "%zu and %zu bytes for %llu %s elements", na, nb,
			      (unsigned long long)elements, d->name);
	} else {
		s.r.numeric = 1;
		tables_init();
		rc = drive(&s, dtype, 0, na, &ma, &mb, 2, err);
	}
	return acc_done(&s, r, rc);
}

int compare_tensors(struct bundle *ba, const struct bundle_entry *ea, struct bundle *bb,
		    const struct bundle_entry *eb, const struct compare_opts *o,
		    struct compare_result *r, struct ck_err *err)
{
	int rc;

	if (ea->dtype != eb->dtype || ea->rank != eb->rank ||
	    memcmp(ea->dims, eb->dims, (size_t)ea->rank * sizeof(*ea->dims))) {
		struct buf t = BUF_INIT;
		buf_add_name_msg(&t, ea->name, ea->name_len);
		rc = ck_error(err, CK_EUSAGE, "tensor \"%s\": dtypes or shapes differ", (const char *)t.p);
		buf_release(&t);
		return rc;
	}
	tables_init();
	if ((rc = partition_check(ba, ea, err)) < 0 || (rc = partition_check(bb, eb, err)) < 0)
		return rc;
	if (ea->dtype == DT_STRING && !(o->trust_crc && !ea->nslices && !eb->nslices &&
					ea->size == eb->size && ea->crc32c == eb->crc32c)) {
		struct strtab ta = { 0 }, tb = { 0 };
		struct acc s;
		acc_init(&s, o, ea->elements);
		rc = tensor_strings(ba, ea, &ta, err);
		if (!rc)
			rc = tensor_strings(bb, eb, &tb, err);
		if (!rc)
			compare_strings(&s, &ta, &tb);
		strtab_release(&ta);
		strtab_release(&tb);
		return acc_done(&s, r, rc);
	}
	if (!ea->nslices && !eb->nslices)
		return compare_stored(ba, ea, bb, eb, o, r, err);
	if (ea->nslices == eb->nslices &&
	    !memcmp(ea->slices, eb->slices, ea->nslices * 2 * (size_t)ea->rank * sizeof(int64_t)))
		return compare_sliced(ba, ea, bb, eb, o, r, err);
	if (!dtype_is_numeric(ea->dtype)) {
		struct buf t = BUF_INIT;
		buf_add_name_msg(&t, ea->name, ea->name_len);
		rc = ck_error(err, CK_EUNSUP, "tensor \"%s\": partitioned differently, and only "
			      "numbers are compared across partitionings", (const char *)t.p);
		buf_release(&t);
		return rc;
	}
	return compare_by_position(ba, ea, bb, eb, o, r, err);
}
