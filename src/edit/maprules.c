/* Mapping rules: parsing rule files line by line and applying them to a tensor's name, dtype
 * and shape (maprules.h). */
#include "edit/maprules.h"

#include <ctype.h>
#include <limits.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/par.h"
#include "store/file.h"
#include "store/optfile.h"
#include "format/dtype.h"
#include "tensor/castconv.h"
#include "edit/namefilter.h"

void maprules_init(struct maprules *m)
{
	m->v = NULL;
	m->n = 0;
}

static void rule_release(struct maprule *u)
{
	if (u->has_re)
		regfree(&u->re);
	rules_release(&u->rename);
	free(u->where);
	free(u->text);
}

void maprules_release(struct maprules *m)
{
	for (size_t i = 0; i < m->n; i++)
		rule_release(&m->v[i]);
	free(m->v);
	maprules_init(m);
}

void maprules_out_init(struct maprules_out *o)
{
	memset(o, 0, sizeof(*o));
	o->name = (struct buf)BUF_INIT;
	o->want_part = -1;
}

void maprules_out_release(struct maprules_out *o)
{
	buf_release(&o->name);
}

/* The next space-separated word of *p (a copy, NUL-terminated in w); 0 if there is none. */
static int word(const char **p, struct buf *w)
{
	const char *s = *p + strspn(*p, " \t"), *e = s + strcspn(s, " \t");

	buf_reset(w);
	buf_add(w, s, (size_t)(e - s));
	buf_addc(w, 0);
	w->len--;
	*p = e + strspn(e, " \t");
	return e > s;
}

/* A regex operand with \d as [0-9] (Perl's spelling, which POSIX lacks). */
static int compile(struct maprule *u, const char *src, struct ck_err *err)
{
	struct buf re = BUF_INIT;
	int ec;

	for (const char *s = src; *s; s++) {
		if (s[0] == '\\' && s[1] == 'd') {
			buf_add(&re, "[0-9]", 5);
			s++;
		} else {
			if (s[0] == '\\' && s[1])
				buf_addc(&re, (uint8_t)*s++);
			buf_addc(&re, (uint8_t)*s);
		}
	}
	buf_addc(&re, 0);
	ec = regcomp(&u->re, (const char *)re.p, REG_EXTENDED | REG_NOSUB);
	buf_release(&re);
	if (ec) {
		char msg[256];
		regerror(ec, &u->re, msg, sizeof(msg));
		return ck_error(err, CK_EUSAGE, "%s: bad regular expression '%s': %s", u->where, src, msg);
	}
	u->has_re = 1;
	return 0;
}

/* "1,0", "3,2,0,1" or T. */
static int parse_axes(struct maprule *u, const char *s, struct ck_err *err)
{
	unsigned seen = 0;

	if (!strcmp(s, "T"))
		return 0;
	for (;;) {
		char *end;
		long a = strtol(s, &end, 10);
		if (end == s || a < 0 || a >= MAPRULES_MAX_RANK || (*end && *end != ','))
			return ck_error(err, CK_EUSAGE, "%s: bad axes '%s' (expected T or a list like "
					"1,0 or 3,2,0,1)", u->where, s);
		if (seen & (1u << a))
			return ck_error(err, CK_EUSAGE, "%s: axis %ld given twice", u->where, a);
		seen |= 1u << a;
		u->perm[u->nperm++] = (int)a;
		if (!*end)
			break;
		s = end + 1;
	}
	if (seen != (1u << u->nperm) - 1)
		return ck_error(err, CK_EUSAGE, "%s: axes '%s' are not a permutation of 0..%d", u->where,
				u->text, u->nperm - 1);
	return 0;
}

static struct maprule *rule_new(struct maprules *m, const char *text, const char *file,
				size_t lineno)
{
	struct maprule *u;
	struct buf w = BUF_INIT;

	m->v = xreallocarray(m->v, m->n + 1, sizeof(*m->v));
	u = &m->v[m->n++];
	memset(u, 0, sizeof(*u));
	rules_init(&u->rename);
	u->text = xstrdup(text);
	buf_addf(&w, "%s:%zu", file, lineno);
	u->where = xstrdup((const char *)w.p);
	buf_release(&w);
	return u;
}

/* The rule after its keyword: REGEX [ARG]; nargs says how many words must follow. */
static int operands(struct maprule *u, const char *p, int nargs, int optional_re, struct buf *arg,
		    const char *usage, struct ck_err *err)
{
	struct buf re = BUF_INIT;
	int rc = 0;

	if (!word(&p, &re)) {
		if (!optional_re)
			rc = ck_error(err, CK_EUSAGE, "%s: '%s' needs %s", u->where, u->text, usage);
		goto out;
	}
	if (nargs && !word(&p, arg)) {
		rc = ck_error(err, CK_EUSAGE, "%s: '%s' needs %s", u->where, u->text, usage);
		goto out;
	}
	if (*p) {
		rc = ck_error(err, CK_EUSAGE, "%s: unexpected '%s' after the rule (expected %s)", u->where,
			      p, usage);
		goto out;
	}
	rc = compile(u, (const char *)re.p, err);
out:
	buf_release(&re);
	return rc;
}

/* split REGEX AXIS NAME,NAME,...: each NAME becomes the rule s/REGEX/NAME/ (with a delimiter
 * neither holds) so that it may use REGEX's groups. */
static int parse_split(struct maprule *u, const char *p, struct ck_err *err)
{
	struct buf re = BUF_INIT, axis = BUF_INIT, names = BUF_INIT, one = BUF_INIT;
	const char *usage = "REGEX AXIS NAME,NAME,... (two names or more)";
	char *end;
	int rc = 0;

	if (!word(&p, &re) || !word(&p, &axis) || !word(&p, &names) || *p) {
		rc = ck_error(err, CK_EUSAGE, "%s: '%s' needs %s", u->where, u->text, usage);
		goto out;
	}
	u->axis = (int)strtol((const char *)axis.p, &end, 10);
	if (*end || end == (char *)axis.p || u->axis < 0 || u->axis >= MAPRULES_MAX_RANK) {
		rc = ck_error(err, CK_EUSAGE, "%s: bad axis '%s'", u->where, (const char *)axis.p);
		goto out;
	}
	rc = compile(u, (const char *)re.p, err);
	for (const char *n = (const char *)names.p; !rc && n;) {
		const char *comma = strchr(n, ',');
		size_t len = comma ? (size_t)(comma - n) : strlen(n);
		const char *d = "/|#:;!@%~^";
		while (d[1] && (strchr((const char *)re.p, *d) || memchr(n, *d, len)))
			d++;
		buf_reset(&one);
		buf_addf(&one, "s%c%s%c%.*s%c", *d, (const char *)re.p, *d, (int)len, n, *d);
		if (!len)
			rc = ck_error(err, CK_EUSAGE, "%s: an empty name in '%s'", u->where,
				      (const char *)names.p);
		else if ((rc = rules_parse(&u->rename, (const char *)one.p, err)) < 0)
			ck_error(err, CK_EUSAGE, "%s: bad part name '%.*s'", u->where, (int)len, n);
		n = comma ? comma + 1 : NULL;
	}
	if (!rc && u->rename.n < 2)
		rc = ck_error(err, CK_EUSAGE, "%s: '%s' needs %s", u->where, u->text, usage);
out:
	buf_release(&re);
	buf_release(&axis);
	buf_release(&names);
	buf_release(&one);
	return rc;
}

static int parse_rule(struct maprule *u, const char *p, struct ck_err *err)
{
	struct buf kw = BUF_INIT, arg = BUF_INIT;
	const char *rest = p;
	int rc = 0;

	word(&rest, &kw);
	if (!strcmp((const char *)kw.p, "drop") && !strcmp(rest, "optimizer")) {
		u->kind = MR_DROP_OPTIMIZER;
	} else if (!strcmp((const char *)kw.p, "drop") || !strcmp((const char *)kw.p, "keep")) {
		u->kind = kw.p[0] == 'd' ? MR_DROP : MR_KEEP;
		rc = operands(u, rest, 0, 0, &arg, "a regular expression", err);
	} else if (!strcmp((const char *)kw.p, "transpose")) {
		u->kind = MR_TRANSPOSE;
		rc = operands(u, rest, 1, 0, &arg, "REGEX AXES (AXES: T, 1,0, 3,2,0,1 ...)", err);
		if (!rc)
			rc = parse_axes(u, (const char *)arg.p, err);
	} else if (!strcmp((const char *)kw.p, "cast")) {
		u->kind = MR_CAST;
		rc = operands(u, rest, 1, 0, &arg, "REGEX DTYPE", err);
		if (!rc) {
			u->dtype = dtype_from_name((const char *)arg.p);
			if (u->dtype <= 0 || !cast_is_float(u->dtype))
				rc = ck_error(err, CK_EUSAGE, "%s: cast to '%s': not a float dtype (float16, "
					      "bfloat16, float32, float64)", u->where, (const char *)arg.p);
		}
	} else if (!strcmp((const char *)kw.p, "split")) {
		u->kind = MR_SPLIT;
		rc = parse_split(u, rest, err);
	} else if (!strcmp((const char *)kw.p, "fullname")) {
		u->kind = MR_FULLNAME;
		rc = operands(u, rest, 0, 1, &arg, "at most a regular expression", err);
	} else if (!strcmp((const char *)kw.p, "add-prefix") || !strcmp((const char *)kw.p, "strip-prefix") ||
		   !strcmp((const char *)kw.p, "add-suffix") || !strcmp((const char *)kw.p, "strip-suffix")) {
		u->kind = MR_RENAME;
		if (!*rest || strpbrk(rest, " \t"))
			rc = ck_error(err, CK_EUSAGE, "%s: '%s' needs one word", u->where, kw.p);
		else if (kw.p[0] == 'a')
			(kw.p[4] == 'p' ? rules_add_prefix : rules_add_suffix)(&u->rename, rest);
		else
			(kw.p[6] == 'p' ? rules_strip_prefix : rules_strip_suffix)(&u->rename, rest);
	} else if ((p[0] == 's' && ispunct((unsigned char)p[1])) || strchr(p, '=')) {
		u->kind = MR_RENAME;
		rc = rules_parse(&u->rename, p, err);
		if (rc < 0)
			ck_wrap(err, "%s", u->where);
	} else {
		rc = ck_error(err, CK_EUSAGE, "%s: unknown rule '%s' (expected s/RE/REPL/, OLD=NEW, drop, "
			      "keep, transpose, cast, fullname, split, add-prefix, strip-prefix, add-suffix or "
			      "strip-suffix)", u->where, (const char *)kw.p);
	}
	buf_release(&kw);
	buf_release(&arg);
	return rc;
}

int maprules_parse_line(struct maprules *m, const char *line, const char *file, size_t lineno,
			struct ck_err *err)
{
	struct buf text = BUF_INIT, mod = BUF_INIT;
	const char *p = line + strspn(line, " \t");
	size_t len = strlen(p);
	struct maprule *u;
	int optional = 0, also = 0, rc;

	while (len && strchr(" \t\r", p[len - 1]))
		len--;
	if (!len || *p == '#')
		return 0;
	buf_add(&text, p, len);
	buf_addc(&text, 0);
	p = (const char *)text.p;
	for (;;) {  /* modifiers */
		const char *q = p;
		word(&q, &mod);
		if (!strcmp((const char *)mod.p, "optional") && *q)
			optional = 1;
		else if (!strcmp((const char *)mod.p, "also") && *q)
			also = 1;
		else
			break;
		p = q;
	}
	u = rule_new(m, p, file, lineno);
	u->optional = optional;
	u->also = also;
	rc = parse_rule(u, p, err);
	if (rc < 0) {  /* the half-made rule goes: its error is the message */
		rule_release(u);
		m->n--;
	}
	buf_release(&text);
	buf_release(&mod);
	return rc;
}

/* The rules in path; messages name the file as shown. */
static int load_as(struct maprules *m, const char *path, const char *shown, struct ck_err *err)
{
	struct buf all = BUF_INIT;
	size_t lineno = 0;
	char *line, *cursor;
	int rc = optfile_read(path, &all, err);

	cursor = rc == 0 ? (char *)all.p : NULL;
	while (rc == 0 && (line = optfile_line(&cursor, &all)) != NULL)
		rc = maprules_parse_line(m, line, shown, ++lineno, err);
	buf_release(&all);
	return rc;
}

int maprules_load(struct maprules *m, const char *path, struct ck_err *err)
{
	return load_as(m, path, path, err);
}

static int name_matches(const struct maprule *u, const struct buf *name)
{
	return !u->has_re || !regexec(&u->re, (const char *)name->p, 0, NULL, 0);
}

/* Compose rule u's permutation onto o's shape; the new axis k is the current axis p[k]. */
static int transpose(const struct maprule *u, struct maprules_out *o, struct ck_err *err)
{
	int p[MAPRULES_MAX_RANK], perm[MAPRULES_MAX_RANK];
	int64_t dims[MAPRULES_MAX_RANK];

	if (u->nperm && u->nperm != o->rank)
		return ck_error(err, CK_EUSAGE, "%s: transpose %d axes of \"%s\", which has %d", u->where,
				u->nperm, (const char *)o->name.p, o->rank);
	for (int k = 0; k < o->rank; k++)
		p[k] = u->nperm ? u->perm[k] : o->rank - 1 - k;
	for (int k = 0; k < o->rank; k++) {
		dims[k] = o->dims[p[k]];
		perm[k] = o->perm[p[k]];
	}
	memcpy(o->dims, dims, sizeof(dims[0]) * (size_t)o->rank);
	memcpy(o->perm, perm, sizeof(perm[0]) * (size_t)o->rank);
	o->transposed = 0;
	for (int k = 0; k < o->rank; k++)
		o->transposed |= o->perm[k] != k;
	return 0;
}

/* A split rule on o: the first time, how many parts along which source axis; for a part, its
 * name and dims. */
static int split(struct maprule *u, struct maprules_out *o, struct ck_err *err)
{
	int n = (int)u->rename.n;
	struct buf tmp = BUF_INIT;
	struct rules one;

	if (u->axis >= o->rank || o->dims[u->axis] % n)
		return ck_error(err, CK_EUSAGE, "%s: \"%s\" has no axis %d of a size %d divides",
				u->where, (const char *)o->name.p, u->axis, n);
	if (o->want_part < 0) {
		o->nparts = n;
		o->part_axis = o->perm[u->axis];
		return 0;
	}
	one.v = &u->rename.v[o->want_part];
	one.n = 1;
	rules_apply(&one, o->name.p, o->name.len, &tmp);
	buf_reset(&o->name);
	buf_add(&o->name, tmp.p, tmp.len);
	buf_release(&tmp);
	o->dims[u->axis] /= n;
	o->nparts = n;
	o->part_axis = o->perm[u->axis];
	return 0;
}

int maprules_apply(struct maprules *m, const char *name, size_t len, const char *full,
		   size_t full_len, int dtype, int rank, const int64_t *dims,
		   struct maprules_out *o, struct ck_err *err)
{
	struct buf tmp = BUF_INIT;
	int rc = 0, splits = 0;

	if (rank < 0 || rank > MAPRULES_MAX_RANK)
		return ck_error(err, CK_EUNSUP, "\"%.*s\": rank %d (at most %d)", (int)len, name, rank,
				MAPRULES_MAX_RANK);
	buf_reset(&o->name);
	buf_add(&o->name, name, len);
	buf_addc(&o->name, 0);
	o->name.len--;
	o->dropped = o->accounted = o->transposed = 0;
	o->nparts = 0;
	o->dtype = dtype;
	o->rank = rank;
	for (int k = 0; k < rank; k++) {
		o->dims[k] = dims[k];
		o->perm[k] = k;
	}
	for (size_t i = 0; i < m->n && !o->dropped && rc == 0; i++) {
		struct maprule *u = &m->v[i];
		int hit = 0;
		switch (u->kind) {
		case MR_RENAME:
			u->rename.v[0].hits = 0;
			rules_apply(&u->rename, o->name.p, o->name.len, &tmp);
			if ((hit = u->rename.v[0].hits != 0)) {
				buf_reset(&o->name);
				buf_add(&o->name, tmp.p, tmp.len);
			}
			break;
		case MR_DROP:
		case MR_DROP_OPTIMIZER:
			hit = u->kind == MR_DROP ? name_matches(u, &o->name)
						 : is_optimizer_name((const char *)o->name.p);
			o->dropped = hit;
			break;
		case MR_KEEP:
			hit = name_matches(u, &o->name);
			break;
		case MR_TRANSPOSE:
			if ((hit = name_matches(u, &o->name)))
				rc = transpose(u, o, err);
			break;
		case MR_CAST:
			if ((hit = name_matches(u, &o->name)) && !cast_is_float(o->dtype))
				rc = ck_error(err, CK_EUSAGE, "%s: cannot cast \"%s\" (%s) to %s: not a float",
					      u->where, (const char *)o->name.p, dtype_name(o->dtype),
					      dtype_name(u->dtype));
			else if (hit)
				o->dtype = u->dtype;
			break;
		case MR_SPLIT:
			if (!(hit = name_matches(u, &o->name)))
				break;
			rc = splits++ ? ck_error(err, CK_EUSAGE, "%s: \"%s\" is split twice (one split "
						 "a tensor)", u->where, (const char *)o->name.p)
				      : split(u, o, err);
			if (rc == 0 && o->want_part < 0) {  /* the caller asks again for each part */
				u->hits++;
				goto out;
			}
			break;
		case MR_FULLNAME:
			if ((hit = full && full_len && name_matches(u, &o->name))) {
				buf_reset(&o->name);
				buf_add(&o->name, full, full_len);
			}
			break;
		}
		buf_addc(&o->name, 0);  /* regexec reads a C string */
		o->name.len--;
		if (hit) {
			u->hits++;
			o->accounted |= !u->also;
		}
	}
	if (!rc && !o->dropped && !o->name.len)
		o->dropped = 1;  /* the rules emptied the name, as rules.h's RULES_DROPPED */
out:
	buf_release(&tmp);
	return rc;
}

size_t maprules_unmatched(const struct maprules *m, size_t *out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++)
		if (!m->v[i].hits && !m->v[i].optional && !m->v[i].also) {
			if (n < max)
				out[n] = i;
			n++;
		}
	return n;
}

int maprules_perm_reverses(const int *perm, int rank)
{
	for (int k = 0; k < rank; k++)
		if (perm[k] != rank - 1 - k)
			return 0;
	return 1;
}

/* A block of rows x cols elements of W bytes, its rows is elements apart, transposed into
 * out, whose rows are os elements apart: out[j][i] = in[i][j]. In tiles of one cache line
 * square (T x T elements, T * W = 64): a tile's T input lines are read into a small buffer,
 * transposed there, and written out as T whole output lines. Writing the output a column at a
 * time instead (element by element along a block) left each output line half written while
 * the next ones were touched: with a row length that is a multiple of 4 KiB (a 3072 x 768 or
 * 1024 x 1024 kernel) those lines all fall in one cache set and were evicted and fetched again
 * for every element, 10x slower. W is constant per copy so that memcpy compiles to moves. */
#define TILE2(W)                                                                            \
	do {                                                                                \
		enum { T = 64 / (W) };                                                      \
		uint8_t tmp[T * T * (W)];                                                   \
		for (uint64_t ib = 0; ib < rows; ib += T)                                   \
			for (uint64_t jb = 0; jb < cols; jb += T) {                         \
				if (rows - ib < T || cols - jb < T) {  /* an edge */        \
					for (uint64_t i = ib; i < rows && i < ib + T; i++)  \
						for (uint64_t j = jb; j < cols && j < jb + T; j++) \
							memcpy(out + (j * os + i) * (W),    \
							       in + (i * is + j) * (W), (W)); \
					continue;                                           \
				}                                                           \
				for (int i = 0; i < T; i++)                                 \
					for (int j = 0; j < T; j++)                         \
						memcpy(tmp + (j * T + i) * (W),             \
						       in + ((ib + i) * is + jb + j) * (W), (W)); \
				for (int j = 0; j < T; j++)                                 \
					memcpy(out + ((jb + j) * os + ib) * (W), tmp + j * T * (W), \
					       T * (W));                                    \
			}                                                                   \
	} while (0)

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define AVX2_TRANSPOSE 1

/* 8 x 8 four-byte elements in registers: in rows is elements apart, out rows os apart. */
__attribute__((target("avx2"))) static inline void t8x8(const float *in, uint64_t is, float *out,
							  uint64_t os)
{
	__m256 r[8], t[8], u[8];

	for (int k = 0; k < 8; k++)
		r[k] = _mm256_loadu_ps(in + k * is);
	for (int k = 0; k < 8; k += 2) {  /* pairs of rows interleaved */
		t[k] = _mm256_unpacklo_ps(r[k], r[k + 1]);
		t[k + 1] = _mm256_unpackhi_ps(r[k], r[k + 1]);
	}
	for (int k = 0; k < 8; k += 4) {  /* then quadruples, within each 128-bit lane */
		u[k] = _mm256_shuffle_ps(t[k], t[k + 2], 0x44);
		u[k + 1] = _mm256_shuffle_ps(t[k], t[k + 2], 0xee);
		u[k + 2] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0x44);
		u[k + 3] = _mm256_shuffle_ps(t[k + 1], t[k + 3], 0xee);
	}
	for (int k = 0; k < 4; k++) {  /* and the lanes of rows 0-3 with those of rows 4-7 */
		_mm256_storeu_ps(out + k * os, _mm256_permute2f128_ps(u[k], u[k + 4], 0x20));
		_mm256_storeu_ps(out + (k + 4) * os, _mm256_permute2f128_ps(u[k], u[k + 4], 0x31));
	}
}

/* 16 x 16 four-byte elements: each input row and each output row one whole 64-byte line, so
 * that no line is left half written for a later pass. With 8 x 8 blocks (half lines), a
 * kernel whose rows are a multiple of 4 KiB apart (3072 x 768, 1024 x 1024) put every
 * half-written output line in one cache set, and ran at half the speed. The first two steps
 * are t8x8's within each 128-bit lane; the last puts lanes in place across the four rows
 * groups. */
__attribute__((target("avx512f"))) static inline void t16x16(const float *in, uint64_t is,
							       float *out, uint64_t os)
{
	__m512 r[16], t[16], u[16];

	for (int k = 0; k < 16; k++)
		r[k] = _mm512_loadu_ps(in + k * is);
	for (int k = 0; k < 16; k += 2) {
		t[k] = _mm512_unpacklo_ps(r[k], r[k + 1]);
		t[k + 1] = _mm512_unpackhi_ps(r[k], r[k + 1]);
	}
	for (int k = 0; k < 16; k += 4) {  /* u[4g + k], lane L: rows 4g..4g+3 of column 4L + k */
		u[k] = _mm512_shuffle_ps(t[k], t[k + 2], 0x44);
		u[k + 1] = _mm512_shuffle_ps(t[k], t[k + 2], 0xee);
		u[k + 2] = _mm512_shuffle_ps(t[k + 1], t[k + 3], 0x44);
		u[k + 3] = _mm512_shuffle_ps(t[k + 1], t[k + 3], 0xee);
	}
	for (int k = 0; k < 4; k++) {  /* output row 4L + k: lane L of u[k], u[4 + k], ... */
		__m512 a = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x44);
		__m512 b = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xee);
		__m512 c = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x44);
		__m512 d = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xee);
		_mm512_storeu_ps(out + k * os, _mm512_shuffle_f32x4(a, c, 0x88));
		_mm512_storeu_ps(out + (4 + k) * os, _mm512_shuffle_f32x4(a, c, 0xdd));
		_mm512_storeu_ps(out + (8 + k) * os, _mm512_shuffle_f32x4(b, d, 0x88));
		_mm512_storeu_ps(out + (12 + k) * os, _mm512_shuffle_f32x4(b, d, 0xdd));
	}
}

static void block4_avx2(const uint8_t *in, uint64_t is, uint8_t *out, uint64_t os,
			uint64_t rows, uint64_t cols);

/* The block in 16 x 16 transposes; the edges (fewer than 16 rows or columns) by block4_avx2. */
__attribute__((target("avx512f"))) static void block4_avx512(const uint8_t *in, uint64_t is,
							       uint8_t *out, uint64_t os,
							       uint64_t rows, uint64_t cols)
{
	const float *a = (const float *)(const void *)in;
	float *b = (float *)(void *)out;
	uint64_t r16 = rows / 16 * 16, c16 = cols / 16 * 16;

	for (uint64_t ib = 0; ib < r16; ib += 16)
		for (uint64_t jb = 0; jb < c16; jb += 16)
			t16x16(a + ib * is + jb, is, b + jb * os + ib, os);
	if (c16 < cols)  /* the last columns, every row */
		block4_avx2(in + c16 * 4, is, out + c16 * os * 4, os, rows, cols - c16);
	if (r16 < rows)  /* the last rows, the columns done above */
		block4_avx2(in + r16 * is * 4, is, out + r16 * 4, os, rows - r16, c16);
}

/* The block of four-byte elements in 8 x 8 register transposes, the edges as they come. */
__attribute__((target("avx2"))) static void block4_avx2(const uint8_t *in, uint64_t is,
							  uint8_t *out, uint64_t os, uint64_t rows,
							  uint64_t cols)
{
	const float *a = (const float *)(const void *)in;
	float *b = (float *)(void *)out;
	uint64_t r8 = rows / 8 * 8, c8 = cols / 8 * 8;

	for (uint64_t ib = 0; ib < r8; ib += 8)
		for (uint64_t jb = 0; jb < c8; jb += 8)
			t8x8(a + ib * is + jb, is, b + jb * os + ib, os);
	for (uint64_t i = 0; i < rows; i++)
		for (uint64_t j = i < r8 ? c8 : 0; j < cols; j++)
			memcpy(out + (j * os + i) * 4, in + (i * is + j) * 4, 4);
}
#endif

static void transpose_block(const uint8_t *in, uint64_t is, uint8_t *out, uint64_t os,
			    uint64_t rows, uint64_t cols, size_t w)
{
#ifdef AVX2_TRANSPOSE
	if (w == 4 && cpu_has_avx512()) {
		block4_avx512(in, is, out, os, rows, cols);
		return;
	}
	if (w == 4 && cpu_has_avx2()) {
		block4_avx2(in, is, out, os, rows, cols);
		return;
	}
#endif
	switch (w) {
	case 1: TILE2(1); return;
	case 2: TILE2(2); return;
	case 4: TILE2(4); return;
	case 8: TILE2(8); return;
	case 16: TILE2(16); return;
	}
	for (uint64_t i = 0; i < rows; i++)  /* no such element size today */
		for (uint64_t j = 0; j < cols; j++)
			memcpy(out + (j * os + i) * w, in + (i * is + j) * w, w);
}

void maprules_transpose_part(const uint8_t *in, uint64_t r, uint64_t c, uint64_t first,
			     uint64_t n, uint8_t *out, size_t w)
{
	uint64_t j = first / r, i = first % r, head = i ? r - i : 0, full;

	if (head > n)
		head = n;
	for (uint64_t k = 0; k < head; k++)  /* the end of an output row begun before */
		memcpy(out + k * w, in + ((i + k) * c + j) * w, w);
	if (head) {
		j++;
		out += head * w;
		n -= head;
	}
	full = n / r;  /* whole output rows: in's columns j to j + full - 1 */
	transpose_block(in + j * w, c, out, r, r, full, w);
	for (uint64_t k = 0; k < n % r; k++)  /* the start of a row the next range ends */
		memcpy(out + (full * r + k) * w, in + (k * c + j + full) * w, w);
}

struct range_job {
	const uint8_t *in;
	uint64_t r, c, first, n;
	uint8_t *out;
	size_t w;
};

static void range_run(void *arg)
{
	const struct range_job *j = arg;

	maprules_transpose_part(j->in, j->r, j->c, j->first, j->n, j->out, j->w);
}

void maprules_transpose_range(const uint8_t *in, uint64_t r, uint64_t c, uint64_t first,
			      uint64_t n, uint8_t *out, size_t w)
{
	uint64_t half = n / 2;
	struct range_job h[2] = { { in, r, c, first, half, out, w },
				  { in, r, c, first + half, n - half, out + half * w, w } };

	if (n * w < TRANSPOSE_TWO_MIN) {
		maprules_transpose_part(in, r, c, first, n, out, w);
		return;
	}
	par_both(range_run, &h[0], &h[1]);
}

/* Output elements [lo, hi) of any permutation: an odometer over the output's coordinates,
 * started at lo's. */
static void permute_range(const uint8_t *in, uint8_t *out, const int64_t *in_dims, int rank,
			  const int *perm, size_t w, uint64_t lo, uint64_t hi)
{
	uint64_t stride[MAPRULES_MAX_RANK], ostride[MAPRULES_MAX_RANK], idx[MAPRULES_MAX_RANK];
	uint64_t total = 1, off = 0, rest = lo;

	for (int k = rank - 1; k >= 0; k--) {
		stride[k] = total;
		total *= (uint64_t)in_dims[k];
	}
	for (int k = rank - 1; k >= 0; k--) {  /* lo's coordinates, and its source offset */
		uint64_t d = (uint64_t)in_dims[perm[k]];
		ostride[k] = stride[perm[k]];  /* input stride of output axis k */
		idx[k] = rest % d;
		rest /= d;
		off += idx[k] * ostride[k];
	}
	for (uint64_t i = lo; i < hi; i++) {
		memcpy(out + i * w, in + off * w, w);
		for (int k = rank - 1; k >= 0; k--) {
			off += ostride[k];
			if (++idx[k] < (uint64_t)in_dims[perm[k]])
				break;
			off -= ostride[k] * idx[k];
			idx[k] = 0;
		}
	}
}

/* A permutation in parts that two threads take in turn (par.h): parts of about PERMUTE_PART
 * bytes, of output rows (2-D) or output elements. */
#define PERMUTE_PART (1u << 20)

struct permute_job {
	const uint8_t *in;
	uint8_t *out;
	const int64_t *dims;
	int rank;
	const int *perm;
	size_t w;
	uint64_t total, nparts;
};

static int permute_part(void *arg, uint64_t p)
{
	const struct permute_job *j = arg;

	if (j->rank == 2 && j->perm[0] == 1) {  /* the common case: a dense kernel */
		uint64_t r = (uint64_t)j->dims[0], c = (uint64_t)j->dims[1], blocks = (c + 63) / 64;
		uint64_t c0 = blocks * p / j->nparts * 64, c1 = blocks * (p + 1) / j->nparts * 64;
		transpose_block(j->in + c0 * j->w, c, j->out + c0 * r * j->w, r, r,
				(c1 < c ? c1 : c) - c0, j->w);
	} else {
		permute_range(j->in, j->out, j->dims, j->rank, j->perm, j->w,
			      j->total * p / j->nparts, j->total * (p + 1) / j->nparts);
	}
	return 0;
}

void maprules_permute(const uint8_t *in, uint8_t *out, const int64_t *in_dims, int rank,
		      const int *perm, size_t w)
{
	struct permute_job j = { in, out, in_dims, rank, perm, w, 1, 1 };

	for (int k = 0; k < rank; k++)
		j.total *= (uint64_t)in_dims[k];
	j.nparts = j.total * w / PERMUTE_PART;
	if (j.nparts < 2) {
		j.nparts = 1;
		permute_part(&j, 0);
		return;
	}
	par_chunks(j.nparts, 1, permute_part, &j, &j, NULL);
}

/* The first folder that exists of those maprules.h names, into dir (empty if none). */
static void preset_dir(struct buf *dir)
{
	static const char *const rel[] = { "/presets", "/../presets", "/../share/ckpt/presets" };
	const char *env = getenv("CKPT_PRESETS");
	char exe[PATH_MAX];
	ssize_t n;

	buf_reset(dir);
	if (env && *env) {
		buf_addf(dir, "%s", env);
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = 0;
	if (strrchr(exe, '/'))
		*strrchr(exe, '/') = 0;
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		struct ck_stat st;
		buf_reset(dir);
		buf_addf(dir, "%s%s", exe, rel[i]);
		if (ck_store_stat((const char *)dir->p, &st, NULL) == 0 && st.kind == CK_STORE_FOLDER)
			return;
	}
	buf_reset(dir);
}

static int preset_name_ok(const char *name)
{
	if (!*name)
		return 0;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			return 0;
	return 1;
}

int maprules_load_preset(struct maprules *m, const char *name, struct ck_err *err)
{
	struct buf dir = BUF_INIT, path = BUF_INIT;
	int rc;

	preset_dir(&dir);
	if (!preset_name_ok(name))
		rc = ck_error(err, CK_EUSAGE, "bad preset name '%s' (see --list-presets)", name);
	else if (!dir.len)
		rc = ck_error(err, CK_ENOTFOUND, "no presets folder found (presets/ beside the binary, "
			      "../share/ckpt/presets, or $CKPT_PRESETS)");
	else {
		struct ck_stat st;
		buf_addf(&path, "%s/%s.rules", (const char *)dir.p, name);
		if (ck_store_stat((const char *)path.p, &st, NULL) < 0 || st.kind == CK_STORE_MISSING)
			rc = ck_error(err, CK_ENOTFOUND, "no preset '%s' in %s (see --list-presets)", name,
				      (const char *)dir.p);
		else  /* messages say "preset bert.rules:12", the same wherever it is installed */
			rc = load_as(m, (const char *)path.p, strrchr((const char *)path.p, '/') + 1, err);
	}
	buf_release(&dir);
	buf_release(&path);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct preset_names {
	char **names;
	size_t n;
};

static int add_preset_name(void *arg, const char *name)
{
	struct preset_names *p = arg;
	size_t len = strlen(name);

	if (len > 6 && !strcmp(name + len - 6, ".rules")) {
		p->names = xreallocarray(p->names, p->n + 1, sizeof(*p->names));
		p->names[p->n++] = xmemdup(name, len - 6);
	}
	return 0;
}

void maprules_list_presets(struct buf *dir, struct buf *list)
{
	struct preset_names found = { NULL, 0 };
	char **names;
	size_t n;

	buf_reset(list);
	preset_dir(dir);
	if (!dir->len || ck_store_list((const char *)dir->p, add_preset_name, &found, NULL) < 0) {
		for (size_t i = 0; i < found.n; i++)
			free(found.names[i]);
		free(found.names);
		return;
	}
	names = found.names;
	n = found.n;
	sort_array(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct buf path = BUF_INIT, text = BUF_INIT;
		struct ck_err err;
		const char *p;
		buf_addf(&path, "%s/%s.rules", (const char *)dir->p, names[i]);
		buf_addf(list, "%s\t", names[i]);
		if (optfile_read((const char *)path.p, &text, &err) == 0 && text.len) {
			buf_addc(&text, 0);
			p = (const char *)text.p;
			if (*p == '#') {  /* the first line says what the preset is for */
				p += 1 + strspn(p + 1, " ");
				buf_add(list, p, strcspn(p, "\n"));
			}
		}
		buf_addc(list, '\n');
		buf_release(&path);
		buf_release(&text);
		free(names[i]);
	}
	free(names);
}
