/* Streaming statistics against direct two-pass computations, and merges; the block loops
 * (AVX2 where the CPU has it, portable otherwise) against a naive reference, and each other. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "format/bundle.h"
#include "format/bundle_writer.h"
#include "format/dtype.h"
#include "tensor/stats.h"
#include "tap.h"

static int close_to(double a, double b, double rel)
{
	return fabs(a - b) <= rel * fmax(fabs(a), fabs(b)) + 1e-300;
}

/* Naive reference: sequential double sums over the finite values, two passes. */
struct ref {
	uint64_t finite, zeros, nan, posinf, neginf;
	double min, max, mean, std, l2;
};

static struct ref reference(const double *v, size_t n)
{
	struct ref r = { 0 };
	double sum = 0, m2 = 0, sq = 0;

	r.min = INFINITY;
	r.max = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		if (isnan(v[i])) {
			r.nan++;
		} else if (isinf(v[i])) {
			*(v[i] > 0 ? &r.posinf : &r.neginf) += 1;
		} else {
			r.finite++;
			r.zeros += v[i] == 0;
			sum += v[i];
			sq += v[i] * v[i];
			r.min = fmin(r.min, v[i]);
			r.max = fmax(r.max, v[i]);
		}
	}
	r.mean = sum / (double)r.finite;
	for (size_t i = 0; i < n; i++)
		if (isfinite(v[i]))
			m2 += (v[i] - r.mean) * (v[i] - r.mean);
	r.std = sqrt(m2 / (double)r.finite);
	r.l2 = sqrt(sq);
	return r;
}

static uint64_t rng = 88172645463325252u;

static double uniform(void)  /* [0, 1), xorshift64 */
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / 9007199254740992.0;
}

static int same_stats(const struct stats *a, const struct stats *b)
{
	return a->count == b->count && a->finite == b->finite && a->zeros == b->zeros &&
	       a->nan == b->nan && a->posinf == b->posinf && a->neginf == b->neginf &&
	       !memcmp(&a->min, &b->min, sizeof(double)) && !memcmp(&a->max, &b->max, sizeof(double)) &&
	       !memcmp(&a->mean, &b->mean, sizeof(double)) && !memcmp(&a->m2, &b->m2, sizeof(double)) &&
	       !memcmp(&a->l2_ssq, &b->l2_ssq, sizeof(double)) && a->l2_scale == b->l2_scale;
}

/* One float32 or float64 array through stats_add, in pieces of `piece` elements, checked
 * against the reference; then the same through the other block loops, bit for bit. */
static void check_array(const char *what, int dtype, const double *v, size_t n, size_t piece,
			double tol)
{
	struct ref r = reference(v, n);
	struct stats s, t;
	void *buf = malloc(n * 8 + 8);
	float *f = buf;
	double *d = buf;
	int good;

	for (size_t i = 0; i < n; i++) {
		if (dtype == DT_FLOAT)
			f[i] = (float)v[i];
		else
			d[i] = v[i];
	}
	for (int portable = 0; portable < 2; portable++) {
		struct stats *x = portable ? &t : &s;
		stats_impl(portable);
		stats_init(x, dtype);
		for (size_t at = 0; at < n; at += piece)
			stats_add(x, dtype, (char *)buf + at * (dtype == DT_FLOAT ? 4 : 8),
				  n - at < piece ? n - at : piece, 0);
	}
	stats_impl(0);
	good = s.count == n && s.finite == r.finite && s.zeros == r.zeros && s.nan == r.nan &&
	      s.posinf == r.posinf && s.neginf == r.neginf;
	ok(good, "%s: counts (%llu finite, %llu zeros, %llu nan, %llu+%llu inf)", what,
	   (unsigned long long)s.finite, (unsigned long long)s.zeros, (unsigned long long)s.nan,
	   (unsigned long long)s.posinf, (unsigned long long)s.neginf);
	if (r.finite) {
		ok(s.min == r.min && s.max == r.max, "%s: min %g max %g exact", what, s.min, s.max);
		ok(close_to(s.mean, r.mean, tol) || fabs(s.mean - r.mean) <= tol * r.std,
		   "%s: mean %.17g vs %.17g", what, s.mean, r.mean);
		ok(close_to(stats_std(&s), r.std, tol), "%s: std %.17g vs %.17g", what, stats_std(&s),
		   r.std);
		ok(close_to(stats_l2(&s), r.l2, tol), "%s: l2 %.17g vs %.17g", what, stats_l2(&s), r.l2);
	}
	ok(same_stats(&s, &t), "%s: %s and portable loops agree bit for bit", what, stats_impl(0));
	free(buf);
}

/* Random values with NaN, infinities, zeros and denormals where blocks and lanes meet. */
static void test_loops(void)
{
	static const size_t lens[] = { 1, 2, 7, 8, 9, 15, 17, 31, 33, STATS_BLOCK - 1, STATS_BLOCK,
				       STATS_BLOCK + 1, 3 * STATS_BLOCK + 13 };
	size_t nmax = 3 * STATS_BLOCK + 13;
	double *v = malloc(nmax * sizeof(*v));
	char what[96];

	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t n = lens[k];
		for (int dt = 0; dt < 2; dt++) {
			int dtype = dt ? DT_DOUBLE : DT_FLOAT;
			for (size_t i = 0; i < n; i++)
				v[i] = (float)(uniform() * 4 - 1.5);  /* exact in a float */
			snprintf(what, sizeof(what), "%s n=%zu", dt ? "float64" : "float32", n);
			check_array(what, dtype, v, n, n, 1e-12);
			/* specials at both ends, at lane and block edges */
			for (size_t i = 0; i < n; i++) {
				size_t m = i % STATS_BLOCK;
				if (m == 0 || m == STATS_BLOCK - 1 || i == n - 1)
					v[i] = i % 3 ? NAN : INFINITY;
				else if (m == 7 || m == 8)
					v[i] = -INFINITY;
				else if (m == 9 || m == 16 || m == STATS_BLOCK - 2)
					v[i] = 0;
				else if (m == 15 || m == STATS_BLOCK - 3)
					v[i] = dt ? 4.9e-324 : 1.4e-45;  /* the smallest denormal */
			}
			snprintf(what, sizeof(what), "%s n=%zu with NaN/Inf/0/denormals",
				 dt ? "float64" : "float32", n);
			check_array(what, dtype, v, n, n > 5 ? n / 3 + 1 : 1, 1e-12);
		}
	}
	/* A first value far from the rest (the shift is redone), and a steady trend. */
	for (size_t i = 0; i < nmax; i++)
		v[i] = (float)(1000 + uniform());
	v[0] = 1e6;
	check_array("float32, outlier first", DT_FLOAT, v, nmax, nmax, 1e-13);
	for (size_t i = 0; i < nmax; i++)
		v[i] = (float)i;
	check_array("float32, increasing", DT_FLOAT, v, nmax, 1000, 1e-12);
	for (size_t i = 0; i < nmax; i++)
		v[i] = (float)(1e4 + (uniform() - 0.5) * 1e-3);
	check_array("float32, mean 1e4, spread 3e-4", DT_FLOAT, v, nmax, nmax, 1e-7);
	/* float64 at the ends of the range: the sum and the squares overflow, not the results. */
	{
		struct stats s;
		double sum = 0, sq = 0;
		for (size_t i = 0; i < 40; i++) {
			v[i] = 1e307 * (0.5 + uniform() / 2);
			sum += v[i] / 64;
			sq += (v[i] / 1e300) * (v[i] / 1e300);
		}
		stats_init(&s, DT_DOUBLE);
		stats_add(&s, DT_DOUBLE, v, 40, 0);
		ok(close_to(s.mean, sum / 40 * 64, 1e-14) && close_to(stats_l2(&s), sqrt(sq) * 1e300, 1e-14),
		   "float64 summing past DBL_MAX: mean %g, l2 %g", s.mean, stats_l2(&s));
		for (size_t i = 0; i < 40; i++)
			v[i] = 4.9406564584124654e-324 * (double)(i + 1);  /* 1..40 times 2^-1074 */
		stats_init(&s, DT_DOUBLE);
		stats_add(&s, DT_DOUBLE, v, 40, 0);
		ok(s.min == v[0] && s.max == v[39] && close_to(stats_l2(&s), sqrt(22140.0) * v[0], 1e-2),
		   "float64 denormals only: l2 %g (sqrt(sum k^2) * 2^-1074)", stats_l2(&s));
	}
	free(v);
}

/* stats_tensor_bytes (a payload from a window in memory) against stats_tensor (streamed
 * from the shard): the same statistics bit for bit, the same error for a damaged payload. */
static void test_bytes(void)
{
	char dir[] = "/tmp/ckpt-stats-XXXXXX", prefix[64], path[96];
	struct bundle_writer *w;
	struct bundle *b = NULL;
	struct ck_err e1 = { 0 }, e2 = { 0 };
	static float f[3000];
	static double d[700];
	int64_t df[1] = { 3000 }, dd[1] = { 700 };
	struct buf data = BUF_INIT;
	FILE *fp;

	if (!mkdtemp(dir))
		return;
	snprintf(prefix, sizeof(prefix), "%s/m", dir);
	for (size_t i = 0; i < 3000; i++)
		f[i] = (float)(uniform() * 2 - 1) * (i % 7 ? 1.0f : 1e-3f);
	f[5] = NAN;
	f[9] = -INFINITY;
	for (size_t i = 0; i < 700; i++)
		d[i] = 1e6 + uniform();
	ok(bundle_writer_open(&w, prefix, 1, 0, &e1) == 0, "a bundle to read stats from");
	bundle_writer_add(w, "d", 1, DT_DOUBLE, dd, 1, 0, d, sizeof(d));
	bundle_writer_add(w, "f", 1, DT_FLOAT, df, 1, 0, f, sizeof(f));
	ok(bundle_writer_finish(w, &e1) == 0 && bundle_open(&b, prefix, &e1) == 0, "written, opened");
	for (size_t i = 0; b && i < b->nentries; i++) {
		const struct bundle_entry *e = &b->entries[i];
		struct stats a, c;
		buf_reset(&data);
		ok(bundle_read(b, e, &data, &e1) == 0, "%s read", e->name);
		ok(stats_tensor(b, e, &a, &e1) == 0 && stats_tensor_bytes(b, e, data.p, &c, &e2) == 0 &&
		   same_stats(&a, &c), "%s: from memory, the streamed statistics bit for bit", e->name);
		data.p[e->size / 2] ^= 1;
		ok(stats_tensor_bytes(b, e, data.p, &c, &e2) == CK_ECORRUPT,
		   "%s: a damaged payload in memory is an error", e->name);
	}
	/* The same damage on disk: the streamed read's error, word for word. */
	if (b) {
		const struct bundle_entry *e = bundle_find(b, "f", 1);
		struct stats a;
		uint8_t byte;
		snprintf(path, sizeof(path), "%s.data-00000-of-00001", prefix);
		buf_reset(&data);
		bundle_read(b, e, &data, &e1);
		data.p[100] ^= 1;
		fp = fopen(path, "r+b");
		fseek(fp, (long)(e->offset + 100), SEEK_SET);
		byte = data.p[100];
		fwrite(&byte, 1, 1, fp);
		fclose(fp);
		memset(&e1, 0, sizeof(e1));
		memset(&e2, 0, sizeof(e2));
		stats_tensor(b, e, &a, &e1);
		stats_tensor_bytes(b, e, data.p, &a, &e2);
		ok(e1.code == CK_ECORRUPT && !strcmp(e1.msg, e2.msg), "same message: %s", e2.msg);
		unlink(path);
	}
	bundle_free(b);
	buf_release(&data);
	snprintf(path, sizeof(path), "%s.index", prefix);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	struct stats s, t, u;
	size_t n = 3 * STATS_BLOCK + 17;   /* several blocks and a ragged tail */
	float *f = malloc(n * sizeof(float));
	double sum = 0, m2 = 0, sq = 0, mean, lo = INFINITY, hi = -INFINITY;

	for (size_t i = 0; i < n; i++) {
		f[i] = (float)(1000.0 + sin((double)i) * 0.001);  /* large mean, tiny spread */
		if (i % 97 == 0)
			f[i] = 0;
	}
	for (size_t i = 0; i < n; i++) {
		sum += f[i];
		sq += (double)f[i] * f[i];
		lo = fmin(lo, f[i]);
		hi = fmax(hi, f[i]);
	}
	mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		m2 += (f[i] - mean) * (f[i] - mean);
	stats_init(&s, DT_FLOAT);
	ok(stats_add(&s, DT_FLOAT, f, n, 0) == 0, "float32 accepted");
	is_int(s.count, n, "count");
	is_int(s.zeros, (n + 96) / 97, "zeros");
	ok(s.min == lo && s.max == hi, "min and max exact");
	ok(close_to(s.mean, mean, 1e-13), "mean %.17g vs %.17g", s.mean, mean);
	ok(close_to(stats_std(&s), sqrt(m2 / (double)n), 1e-9), "std despite a large mean");
	ok(close_to(stats_l2(&s), sqrt(sq), 1e-13), "l2");

	/* Merging halves gives the same as one pass. */
	stats_init(&t, DT_FLOAT);
	stats_init(&u, DT_FLOAT);
	stats_add(&t, DT_FLOAT, f, 1000, 0);
	stats_add(&u, DT_FLOAT, f + 1000, n - 1000, 0);
	stats_merge(&t, &u);
	ok(t.count == s.count && t.min == s.min && t.max == s.max && t.zeros == s.zeros, "merge counts");
	ok(close_to(t.mean, s.mean, 1e-13) && close_to(stats_std(&t), stats_std(&s), 1e-9), "merge moments");

	/* NaN and infinities are counted, never folded into the moments. */
	{
		float v[6] = { 1, NAN, INFINITY, -INFINITY, 3, 0 };
		stats_init(&s, DT_FLOAT);
		stats_add(&s, DT_FLOAT, v, 6, 0);
		ok(s.nan == 1 && s.posinf == 1 && s.neginf == 1 && s.finite == 3 && s.zeros == 1,
		   "non-finite counts");
		ok(s.min == 0 && s.max == 3 && close_to(s.mean, 4.0 / 3, 1e-15), "finite moments");
	}
	/* float64 extremes: the L2 norm does not overflow. */
	{
		double v[3] = { 1e300, -1e300, 1e300 };
		stats_init(&s, DT_DOUBLE);
		stats_add(&s, DT_DOUBLE, v, 3, 0);
		ok(close_to(stats_l2(&s), sqrt(3.0) * 1e300, 1e-14), "l2 of 1e300s is finite");
	}
	/* Exact integer extremes beyond 2^53. */
	{
		int64_t v[3] = { INT64_MIN, 5, INT64_MAX };
		uint64_t w[2] = { 0, UINT64_MAX };
		stats_init(&s, DT_INT64);
		stats_add(&s, DT_INT64, v, 3, 0);
		ok(s.kind == STATS_INT && s.imin == INT64_MIN && s.imax == INT64_MAX, "int64 exact");
		stats_init(&s, DT_UINT64);
		stats_add(&s, DT_UINT64, w, 2, 0);
		ok(s.kind == STATS_UINT && s.umax == UINT64_MAX, "uint64 exact");
	}
	/* Big-endian storage. */
	{
		uint8_t be[8] = { 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0 };  /* 1.0, -2.0 */
		stats_init(&s, DT_FLOAT);
		stats_add(&s, DT_FLOAT, be, 2, 1);
		ok(s.min == -2 && s.max == 1, "big-endian swapped");
	}
	/* Narrow floats, complex modulus, bool, strings. */
	{
		uint16_t h[3] = { 0x3c00, 0xc000, 0x7e00 };  /* 1, -2, nan */
		float c[4] = { 3, 4, 0, -1 };
		uint8_t b[3] = { 1, 0, 1 };
		stats_init(&s, DT_HALF);
		stats_add(&s, DT_HALF, h, 3, 0);
		ok(s.min == -2 && s.max == 1 && s.nan == 1, "float16");
		stats_init(&s, DT_COMPLEX64);
		stats_add(&s, DT_COMPLEX64, c, 2, 0);
		ok(s.min == 1 && s.max == 5, "complex by modulus");
		stats_init(&s, DT_BOOL);
		stats_add(&s, DT_BOOL, b, 3, 0);
		ok(s.umin == 0 && s.umax == 1 && s.zeros == 1, "bool");
		stats_init(&s, DT_STRING);
		ok(s.kind == STATS_NONE && stats_add(&s, DT_STRING, "", 0, 0) < 0, "strings: no values");
	}
	free(f);
	test_loops();
	test_bytes();
	return tap_done();
}
