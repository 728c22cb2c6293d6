/* Text and JSON forms of tensor elements (rules in values.h). The text layout follows numpy's
 * array2string with its defaults: separator ' ', line width 75, edge items 3, floatmode
 * 'maxprec'; the recursion below mirrors its _formatArray so that wrapping and blank lines
 * between blocks come out the same. */
#include "tensor/values.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fmt.h"
#include "format/dtype.h"
#include "tensor/convert.h"
#include "base/shortest.h"

/* ---- numbers ---------------------------------------------------------------------- */

/* v rounded to a binary float with mant fraction bits and minimum exponent emin. */
static double round_bits(double v, int mant, int emin)
{
	int e;

	if (v == 0 || !isfinite(v))
		return v;
	frexp(v, &e);
	e -= 1;
	if (e < emin)
		e = emin;
	return nearbyint(ldexp(v, mant - e)) * ldexp(1.0, e - mant);
}

/* 1 if a (> 0) is a normal value of a format of mant significand bits and least normal
 * exponent emin: round_bits would give it back, after four calls to libm (a statistics table
 * formats two such numbers a row). */
static int is_normal_of(double a, int mant, int emin)
{
	uint64_t bits;
	int e;

	memcpy(&bits, &a, 8);
	e = (int)(bits >> 52 & 0x7ff) - 1023;
	return e >= emin && e < 1024 && !(bits & ((1ull << (53 - mant)) - 1));
}

/* A float dtype's significand bits (the leading one counted) and least normal exponent, as
 * its values are decoded (dtype.h); float64 for any other. */
static void float_format(int dtype, int *mant, int *emin)
{
	switch (dtype) {
	case DT_FLOAT: case DT_COMPLEX64: *mant = 24; *emin = -126; return;
	case DT_HALF: *mant = 11; *emin = -14; return;
	case DT_BFLOAT16: *mant = 8; *emin = -126; return;
	case DT_FLOAT8_E5M2: *mant = 3; *emin = -14; return;
	case DT_FLOAT8_E4M3FN: *mant = 4; *emin = -6; return;
	case DT_FLOAT8_E4M3FNUZ: *mant = 4; *emin = -7; return;
	case DT_FLOAT8_E4M3B11FNUZ: *mant = 4; *emin = -10; return;
	case DT_FLOAT8_E5M2FNUZ: *mant = 3; *emin = -15; return;
	}
	*mant = 53;
	*emin = -1022;
}

int float_digits(int dtype, double x, char dig[24])
{
	double a = fabs(x), r;
	int mant, emin;

	if (a == 0) {
		strcpy(dig, "0");
		return 0;
	}
	float_format(dtype, &mant, &emin);
	/* Callers pass values of the dtype; anything else stands for the nearest one. */
	r = mant == 53 || is_normal_of(a, mant, emin) ? a : round_bits(a, mant - 1, emin);
	if (r == 0 || !isfinite(r)) {
		r = a;
		mant = 53;
		emin = -1022;
	}
	return shortest_digits(r, mant, emin, dig);
}

static void trim_zeros(char *s)
{
	char *dot = strchr(s, '.'), *e, *end;

	if (!dot)
		return;
	e = strpbrk(dot, "eE");
	end = e ? e : s + strlen(s);
	while (end > dot + 1 && end[-1] == '0')
		end--;
	if (e)
		memmove(end, e, strlen(e) + 1);
	else
		*end = '\0';
}

/* dig (len digits) * 10^(e - first) as "123.45", "0.00123", "65500" (no point when nothing
 * follows it); sign is "", "-" or "+"; n must exceed the length, which callers keep below 400
 * (|e| stays under 330). */
static size_t put_positional(char *s, size_t n, const char *sign, const char *dig, size_t len,
			     int e)
{
	size_t at = *sign != 0;

	/* Without printf: a statistics table lays out several numbers a row. */
	memcpy(s, sign, at);
	if (e < 0) {
		s[at++] = '0';
		s[at++] = '.';
		for (int i = 0; i < -e - 1 && at + len + 1 < n; i++)
			s[at++] = '0';
		if (at + len + 1 > n)
			len = n - at - 1;
		memcpy(s + at, dig, len);
		s[at + len] = '\0';
		return at + len;
	}
	for (size_t i = 0; i <= (size_t)e && at + 1 < n; i++)
		s[at++] = i < len ? dig[i] : '0';
	if (len > (size_t)e + 1 && at + 1 + len - (size_t)e - 1 < n) {
		s[at++] = '.';
		memcpy(s + at, dig + e + 1, len - (size_t)e - 1);
		at += len - (size_t)e - 1;
	}
	s[at] = '\0';
	return at;
}

/* dig (len digits) * 10^(e - first) as "1.2345e-07", "6e+00" (n > 32 + len). */
static size_t put_scientific(char *s, size_t n, const char *sign, const char *dig, size_t len,
			     int e)
{
	size_t at = *sign != 0;
	unsigned u = (unsigned)(e < 0 ? -e : e);

	(void)n;
	memcpy(s, sign, at);
	s[at++] = dig[0];
	if (len > 1) {
		s[at++] = '.';
		memcpy(s + at, dig + 1, len - 1);
		at += len - 1;
	}
	s[at++] = 'e';
	s[at++] = e < 0 ? '-' : '+';
	if (u >= 100)
		s[at++] = (char)('0' + u / 100);
	s[at++] = (char)('0' + u / 10 % 10);
	s[at++] = (char)('0' + u % 10);
	s[at] = '\0';
	return at;
}

/* numpy's dragon4_positional / dragon4_scientific with unique=True, trim='.': the shortest
 * digits that identify x, or, when they need more than prec fraction digits, x rounded to
 * prec of them, trailing zeros dropped. No point is added after an integer ("1", "-0"). */
static void shortest(char *s, size_t n, int dtype, double x, int prec, int sci, int plus)
{
	const char *sign = signbit(x) ? "-" : plus ? "+" : "";
	char dig[24];
	int e = float_digits(dtype, x, dig), len = (int)strlen(dig);
	int frac = sci ? len - 1 : len - 1 - e > 0 ? len - 1 - e : 0;

	if (frac > prec) {
		const char *fmt = sci ? (plus ? "%+.*e" : "%.*e") : (plus ? "%+.*f" : "%.*f");
		snprintf(s, n, fmt, prec, x);
		trim_zeros(s);
	} else if (sci) {
		put_scientific(s, n, sign, dig, (size_t)len, e);
	} else {
		put_positional(s, n, sign, dig, (size_t)len, e);
	}
}

/* Room for a number written straight into out (put_positional, put_scientific): a statistics
 * table formats five a row, and a copy each cost as much as the digits. */
#define NUMBER_MAX 400

/* printf's %g with the shortest digits: positional for exponents -4 to digits - 1. */
void format_shortest(struct buf *out, int dtype, double v)
{
	char dig[24];
	size_t len;
	int e;

	if (!isfinite(v)) {
		buf_addf(out, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
		return;
	}
	e = float_digits(dtype, v, dig);
	len = strlen(dig);
	buf_grow(out, NUMBER_MAX);
	if (e < -4 || e >= (int)len)
		out->len += put_scientific((char *)out->p + out->len, NUMBER_MAX,
					   signbit(v) ? "-" : "", dig, len, e);
	else
		out->len += put_positional((char *)out->p + out->len, NUMBER_MAX,
					   signbit(v) ? "-" : "", dig, len, e);
}

void format_g(struct buf *out, double v, int prec)
{
	char dig[24];
	const char *sign = signbit(v) ? "-" : "";
	int e, n;

	if (!isfinite(v) || v == 0) {
		buf_addf(out, "%s", isnan(v) ? (signbit(v) ? "-nan" : "nan")
				    : isinf(v) ? (v > 0 ? "inf" : "-inf") : sign[0] ? "-0" : "0");
		return;
	}
	prec = prec < 1 ? 1 : prec > 23 ? 23 : prec;
	e = rounded_digits(fabs(v), prec, dig);
	for (n = prec; n > 1 && dig[n - 1] == '0'; n--)
		dig[n - 1] = '\0';
	buf_grow(out, NUMBER_MAX);
	if (e >= -4 && e < prec)
		out->len += put_positional((char *)out->p + out->len, NUMBER_MAX, sign, dig,
					   (size_t)n, e);
	else
		out->len += put_scientific((char *)out->p + out->len, NUMBER_MAX, sign, dig,
					   (size_t)n, e);
}

/* numpy's repr of a scalar: positional from 1e-4 to 1e16 (and for zero), else scientific;
 * point adds ".0" to a positional integer as float scalars have it (complex parts do not). */
static void repr_text(struct buf *out, int dtype, double v, int point)
{
	char s[400], dig[24];
	double a = fabs(v);
	int e;

	if (!isfinite(v)) {
		format_shortest(out, dtype, v);
		return;
	}
	e = float_digits(dtype, v, dig);
	if (a == 0 || (a >= 1e-4 && a < 1e16)) {
		put_positional(s, sizeof(s), signbit(v) ? "-" : "", dig, strlen(dig), e);
		buf_addf(out, "%s%s", s, point && !strchr(s, '.') ? ".0" : "");
	} else {
		put_scientific(s, sizeof(s), signbit(v) ? "-" : "", dig, strlen(dig), e);
		buf_addf(out, "%s", s);
	}
}

void format_repr(struct buf *out, int dtype, double v)
{
	repr_text(out, dtype, v, 1);
}

static double element(int dtype, const uint8_t *p, size_t i, int part)
{
	const struct dtype_info *d = dtype_info(dtype);
	double v[2];

	elements_to_double(dtype, p + i * (size_t)d->size, 1, v);
	return v[part];
}

/* numpy's FloatingFormat, fitted to a set of values. */
struct ffmt {
	int dtype, prec, plus;
	int sci, pad_left, pad_right, exp_size, digits;
};

static void ffmt_fit(struct ffmt *f, int dtype, const double *x, size_t n, int prec, int plus)
{
	double lo = INFINITY, hi = 0;
	int any_finite = 0, neginf = plus, has_nonfinite = 0;
	char s[400];

	memset(f, 0, sizeof(*f));
	f->dtype = dtype;
	f->prec = prec;
	f->plus = plus;
	for (size_t i = 0; i < n; i++) {
		double a = fabs(x[i]);
		if (!isfinite(x[i])) {
			has_nonfinite = 1;
			neginf |= isinf(x[i]) && x[i] < 0;
			continue;
		}
		any_finite = 1;
		if (a != 0) {
			lo = a < lo ? a : lo;
			hi = a > hi ? a : hi;
		}
	}
	if (hi > 0 && (hi >= 1e8 || lo < 1e-4 || hi / lo > 1e3))
		f->sci = 1;
	f->exp_size = -1;
	for (size_t i = 0; any_finite && i < n; i++) {
		char *dot, *e;
		int il, fl;
		if (!isfinite(x[i]))
			continue;
		shortest(s, sizeof(s), dtype, x[i], prec, f->sci, plus);
		dot = strchr(s, '.');
		e = strchr(s, 'e');
		il = dot ? (int)(dot - s) : e ? (int)(e - s) : (int)strlen(s);
		fl = dot ? (e ? (int)(e - dot - 1) : (int)strlen(dot + 1)) : 0;
		if (il > f->pad_left)
			f->pad_left = il;
		if (fl > f->pad_right)
			f->pad_right = fl;
		if (e) {
			int digits = (int)strlen(e + 2);
			if (digits > f->exp_size)
				f->exp_size = digits;
		}
	}
	if (f->sci) {
		f->digits = f->pad_right;
		f->pad_right = f->exp_size + 2 + f->digits;
	}
	if (has_nonfinite) {
		int offset = f->pad_right + 1, inflen = 3 + neginf;
		if (3 - offset > f->pad_left)
			f->pad_left = 3 - offset;
		if (inflen - offset > f->pad_left)
			f->pad_left = inflen - offset;
	}
}

static void ffmt_put(struct buf *out, const struct ffmt *f, double x)
{
	char s[400], m[sizeof(s) + 1];  /* s and a "." */
	int il, width = f->pad_left + f->pad_right + 1;

	if (!isfinite(x)) {
		const char *t = isnan(x) ? (f->plus ? "+nan" : "nan")
			: x < 0 ? "-inf" : f->plus ? "+inf" : "inf";
		int pad = width - (int)strlen(t);
		buf_addf(out, "%*s%s", pad > 0 ? pad : 0, "", t);
		return;
	}
	shortest(s, sizeof(s), f->dtype, x, f->prec, f->sci, f->plus);
	if (f->sci) {
		char *e = strchr(s, 'e'), *dot;
		int exp = atoi(e + 1), fl;
		*e = '\0';
		dot = strchr(s, '.');
		snprintf(m, sizeof(m), "%s%s", s, dot ? "" : ".");
		dot = strchr(m, '.');
		fl = (int)strlen(dot + 1);
		if (fl < f->digits) {
			/* numpy's min_digits: the further digits of x itself, rounded, not zeros;
			 * the exponent may drop (float16 0.09998 is "1e-01" at its shortest) */
			snprintf(s, sizeof(s), f->plus ? "%+.*e" : "%.*e", f->digits, x);
			e = strchr(s, 'e');
			exp = atoi(e + 1);
			*e = '\0';
			snprintf(m, sizeof(m), "%s", s);
			dot = strchr(m, '.');
		}
		il = (int)(dot - m);
		buf_addf(out, "%*s%s", f->pad_left - il, "", m);
		buf_addf(out, "e%c%0*d", exp < 0 ? '-' : '+', f->exp_size, exp < 0 ? -exp : exp);
		return;
	}
	{
		char *dot = strchr(s, '.');
		int fl;
		if (!dot) {
			strcat(s, ".");
			dot = strchr(s, '.');
		}
		il = (int)(dot - s);
		fl = (int)strlen(dot + 1);
		buf_addf(out, "%*s%s%*s", f->pad_left - il, "", s, f->pad_right - fl, "");
	}
}

/* ---- strings ---------------------------------------------------------------------- */

void string_escaped(struct buf *out, const uint8_t *s, size_t n, char q)
{
	for (size_t i = 0; i < n;) {
		int k = utf8_seq_len(s + i, n - i);
		if (k == 1 && (s[i] == '\\' || (q && s[i] == (uint8_t)q))) {
			buf_addc(out, '\\');
			buf_addc(out, s[i]);
		} else if (!k || (k == 1 && (s[i] < 0x20 || s[i] == 0x7f))) {
			buf_addf(out, "\\x%02x", s[i]);
			k = 1;
		} else {
			buf_add(out, s + i, (size_t)k);
		}
		i += (size_t)k;
	}
}

/* ---- the element formatter -------------------------------------------------------- */

struct efmt {
	const struct vals *v;
	const struct dtype_info *d;
	int width;              /* integers */
	struct ffmt re, im;     /* floats and complex parts */
};

static void efmt_fit(struct efmt *f, const struct vals *v, uint64_t n, int prec)
{
	const struct dtype_info *d = dtype_info(v->dtype);

	memset(f, 0, sizeof(*f));
	f->v = v;
	f->d = d;
	if (d->kind == DK_FLOAT || d->kind == DK_COMPLEX) {
		int parts = d->kind == DK_COMPLEX ? 2 : 1;
		double *x = xcalloc((size_t)n + 1, sizeof(double)), *y = NULL;
		if (parts == 2)
			y = xcalloc((size_t)n + 1, sizeof(double));
		for (uint64_t i = 0; i < n; i++) {
			x[i] = element(v->dtype, v->data, (size_t)i, 0);
			if (y)
				y[i] = element(v->dtype, v->data, (size_t)i, 1);
		}
		ffmt_fit(&f->re, v->dtype, x, (size_t)n, prec, 0);
		if (y)
			ffmt_fit(&f->im, v->dtype, y, (size_t)n, prec, 1);
		free(x);
		free(y);
	} else if (d->kind != DK_STRING && d->kind != DK_BOOL) {
		for (uint64_t i = 0; i < n; i++) {
			char s[32];
			int64_t iv;
			uint64_t uv;
			int uns, len;
			element_int(v->dtype, v->data + i * (size_t)d->size, &iv, &uv, &uns);
			len = uns ? snprintf(s, sizeof(s), "%" PRIu64, uv) : snprintf(s, sizeof(s), "%" PRId64, iv);
			if (len > f->width)
				f->width = len;
		}
	}
}

static void efmt_put(struct buf *out, const struct efmt *f, uint64_t i)
{
	const struct vals *v = f->v;
	const uint8_t *p = v->data ? v->data + i * (size_t)(f->d->size ? f->d->size : 1) : NULL;
	int64_t iv;
	uint64_t uv;
	int uns;

	switch (f->d->kind) {
	case DK_STRING:
		buf_addc(out, '\'');
		string_escaped(out, v->strs[i], v->lens[i], '\'');
		buf_addc(out, '\'');
		return;
	case DK_BOOL:
		buf_addf(out, "%s", p[0] ? " True" : "False");
		return;
	case DK_FLOAT:
		ffmt_put(out, &f->re, element(v->dtype, v->data, (size_t)i, 0));
		return;
	case DK_COMPLEX: {
		size_t at, end;
		ffmt_put(out, &f->re, element(v->dtype, v->data, (size_t)i, 0));
		at = out->len;
		ffmt_put(out, &f->im, element(v->dtype, v->data, (size_t)i, 1));
		/* 'j' goes before the padding of the imaginary part, as numpy does */
		end = out->len;
		while (end > at && out->p[end - 1] == ' ')
			end--;
		buf_addc(out, ' ');
		memmove(out->p + end + 1, out->p + end, out->len - 1 - end);
		out->p[end] = 'j';
		return;
	}
	default:
		element_int(v->dtype, p, &iv, &uv, &uns);
		if (uns)
			buf_addf(out, "%*" PRIu64, f->width, uv);
		else
			buf_addf(out, "%*" PRId64, f->width, iv);
	}
}

/* A rank-0 tensor: numpy prints the scalar itself, as Python would ("0.5", "1.0", "1e-05",
 * "(1+2j)", "2j", "True"). An explicit precision limits the fraction digits. */
static void scalar_text(struct buf *out, const struct vals *v, int prec)
{
	const struct dtype_info *d = dtype_info(v->dtype);
	char s[400];

	if (d->kind == DK_FLOAT) {
		double x = element(v->dtype, v->data, 0, 0), a = fabs(x);
		if (isfinite(x) && (a == 0 || (a >= 1e-4 && a < 1e16))) {
			shortest(s, sizeof(s), v->dtype, x, prec < 0 ? 17 : prec, 0, 0);
			buf_addf(out, "%s%s", s, !strchr(s, '.') ? ".0" : s[strlen(s) - 1] == '.' ? "0" : "");
		} else {
			format_repr(out, v->dtype, x);
		}
		return;
	}
	if (d->kind == DK_COMPLEX) {
		double re = element(v->dtype, v->data, 0, 0), im = element(v->dtype, v->data, 0, 1);
		struct buf i = BUF_INIT;
		repr_text(&i, v->dtype, im, 0);
		if (re == 0 && !signbit(re)) {
			buf_addf(out, "%sj", (char *)i.p);
		} else {
			buf_addc(out, '(');
			repr_text(out, v->dtype, re, 0);
			buf_addf(out, "%s%sj)", i.p[0] == '-' ? "" : "+", (char *)i.p);
		}
		buf_release(&i);
		return;
	}
	if (d->kind == DK_BOOL) {
		buf_addf(out, "%s", v->data[0] ? "True" : "False");
		return;
	}
	{
		struct efmt f;
		efmt_fit(&f, v, 1, prec);
		efmt_put(out, &f, 0);
	}
}

/* ---- layout ----------------------------------------------------------------------- */

struct layout {
	struct buf *out;
	const struct vals *v;
	struct efmt f;
	struct buf word;
	uint64_t *stride;   /* elements per step of each dimension */
};

static void trim_line(struct buf *out)
{
	while (out->len && out->p[out->len - 1] == ' ')
		out->len--;
	out->p[out->len] = 0;
}

/* Append one word to the current line, wrapping first if it would not fit. */
static void extend_line(struct layout *L, size_t *line, const char *w, size_t wl, size_t width,
			size_t indent)
{
	if (*line + wl > width && *line > indent) {
		trim_line(L->out);
		buf_addc(L->out, '\n');
		buf_addf(L->out, "%*s", (int)indent, "");
		*line = indent;
	}
	buf_add(L->out, w, strlen(w));
	*line += wl;
}

static void recurse(struct layout *L, int axis, uint64_t base, size_t indent, size_t width)
{
	const struct vals *v = L->v;
	int left = v->rank - axis;
	uint64_t n = (uint64_t)v->dims[axis];
	int summary = v->elided && v->elided[axis];
	uint64_t lead = summary ? n / 2 : 0;

	buf_addc(L->out, '[');
	if (left == 1) {
		size_t line = indent, ew = width - 1;
		for (uint64_t k = 0; k < n; k++) {
			if (summary && k == lead) {
				extend_line(L, &line, "...", 3, ew, indent);
				buf_addc(L->out, ' ');
				line++;
			}
			buf_reset(&L->word);
			efmt_put(&L->word, &L->f, base + k);
			extend_line(L, &line, (const char *)L->word.p, text_width((const char *)L->word.p),
				    ew, indent);
			if (k + 1 < n) {
				buf_addc(L->out, ' ');
				line++;
			}
		}
	} else {
		for (uint64_t k = 0; k < n; k++) {
			if (summary && k == lead) {
				buf_addf(L->out, "%*s...", (int)indent, "");
				for (int j = 0; j < left - 1; j++)
					buf_addc(L->out, '\n');
			}
			if (k)
				buf_addf(L->out, "%*s", (int)indent, "");
			recurse(L, axis + 1, base + k * L->stride[axis], indent + 1, width - 1);
			if (k + 1 < n)
				for (int j = 0; j < left - 1; j++)
					buf_addc(L->out, '\n');
		}
	}
	buf_addc(L->out, ']');
}

static int printable(const struct vals *v)
{
	const struct dtype_info *d = dtype_info(v->dtype);
	return d && (d->kind == DK_STRING || (d->size && d->kind != DK_OPAQUE));
}

static uint64_t count(const struct vals *v)
{
	uint64_t n = 1;
	for (int i = 0; i < v->rank; i++)
		n *= (uint64_t)v->dims[i];
	return n;
}

int values_text(struct buf *out, const struct vals *v, int prec)
{
	struct layout L = { out, v, { 0 }, BUF_INIT, NULL };
	uint64_t n = count(v);

	if (!printable(v))
		return -1;
	if (v->rank == 0) {
		scalar_text(out, v, prec);
		return 0;
	}
	if (n == 0) {
		buf_add(out, "[]", 2);
		return 0;
	}
	efmt_fit(&L.f, v, n, prec < 0 ? VALUES_PRECISION : prec);
	L.stride = xcalloc((size_t)v->rank, sizeof(uint64_t));
	L.stride[v->rank - 1] = 1;
	for (int d = v->rank - 2; d >= 0; d--)
		L.stride[d] = L.stride[d + 1] * (uint64_t)v->dims[d + 1];
	/* The text starts after numpy's "[" prefix: continuation lines are indented by one. */
	recurse(&L, 0, 0, 1, VALUES_LINEWIDTH);
	free(L.stride);
	buf_release(&L.word);
	return 0;
}

/* ---- JSON ------------------------------------------------------------------------- */

static void json_number(struct buf *out, int dtype, double x)
{
	if (isfinite(x)) {
		format_repr(out, dtype, x);  /* always with a point or exponent: JSON reads a float */
		return;
	}
	buf_addf(out, "\"%s\"", isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
}

static void json_element(struct buf *out, const struct vals *v, uint64_t i)
{
	const struct dtype_info *d = dtype_info(v->dtype);
	const uint8_t *p = v->data ? v->data + i * (size_t)(d->size ? d->size : 1) : NULL;
	int64_t iv;
	uint64_t uv;
	int uns;

	switch (d->kind) {
	case DK_STRING: {
		struct buf t = BUF_INIT;
		string_escaped(&t, v->strs[i], v->lens[i], 0);
		buf_addc(out, '"');
		for (size_t k = 0; k < t.len; k++) {  /* JSON escapes: only " and \ remain */
			if (t.p[k] == '"' || t.p[k] == '\\')
				buf_addc(out, '\\');
			buf_addc(out, t.p[k]);
		}
		buf_addc(out, '"');
		buf_release(&t);
		return;
	}
	case DK_BOOL:
		buf_addf(out, "%s", p[0] ? "true" : "false");
		return;
	case DK_FLOAT:
		json_number(out, v->dtype, element(v->dtype, v->data, (size_t)i, 0));
		return;
	case DK_COMPLEX:
		buf_addc(out, '[');
		json_number(out, v->dtype, element(v->dtype, v->data, (size_t)i, 0));
		buf_add(out, ", ", 2);
		json_number(out, v->dtype, element(v->dtype, v->data, (size_t)i, 1));
		buf_addc(out, ']');
		return;
	default:
		element_int(v->dtype, p, &iv, &uv, &uns);
		if (uns)
			buf_addf(out, "%" PRIu64, uv);
		else
			buf_addf(out, "%" PRId64, iv);
	}
}

static void json_recurse(struct buf *out, const struct vals *v, const uint64_t *stride, int axis,
			 uint64_t base)
{
	uint64_t n = (uint64_t)v->dims[axis];
	int summary = v->elided && v->elided[axis];

	buf_addc(out, '[');
	for (uint64_t k = 0; k < n; k++) {
		if (k)
			buf_add(out, ", ", 2);
		if (summary && k == n / 2)
			buf_add(out, "\"...\", ", 7);
		if (axis + 1 < v->rank)
			json_recurse(out, v, stride, axis + 1, base + k * stride[axis]);
		else
			json_element(out, v, base + k);
	}
	buf_addc(out, ']');
}

int values_json(struct buf *out, const struct vals *v)
{
	uint64_t *stride;

	if (!printable(v))
		return -1;
	if (v->rank == 0) {
		json_element(out, v, 0);
		return 0;
	}
	stride = xcalloc((size_t)v->rank, sizeof(uint64_t));
	stride[v->rank - 1] = 1;
	for (int d = v->rank - 2; d >= 0; d--)
		stride[d] = stride[d + 1] * (uint64_t)v->dims[d + 1];
	json_recurse(out, v, stride, 0, 0);
	free(stride);
	return 0;
}

void json_add_double(cJSON *obj, const char *key, double v)
{
	struct buf b = BUF_INIT;

	if (!isfinite(v)) {
		cJSON_AddNullToObject(obj, key);
		return;
	}
	format_repr(&b, DT_DOUBLE, v);
	buf_add(&b, "", 1);
	cJSON_AddRawToObject(obj, key, (const char *)b.p);
	buf_release(&b);
}
