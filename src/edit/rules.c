/* Renaming rules: parsing OLD=NEW, OLD/=NEW/ and s/RE/REPL/[g], map files, and applying them. */
#include "edit/rules.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/optfile.h"

void rules_init(struct rules *r)
{
	r->v = NULL;
	r->n = 0;
}

void rules_release(struct rules *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct rule *u = &r->v[i];
		if (u->kind == RULE_REGEX)
			regfree(&u->re);
		free(u->text);
		free(u->from);
		free(u->to);
	}
	free(r->v);
	rules_init(r);
}

static struct rule *rule_new(struct rules *r, enum rule_kind kind, const char *text)
{
	struct rule *u;

	r->v = xreallocarray(r->v, r->n + 1, sizeof(*r->v));
	u = &r->v[r->n++];
	memset(u, 0, sizeof(*u));
	u->kind = kind;
	u->text = xstrdup(text);
	return u;
}

static void rule_strings(struct rule *u, const char *from, size_t fl, const char *to, size_t tl)
{
	u->from = xmemdup(from, fl);
	u->from_len = fl;
	u->to = xmemdup(to ? to : "", tl);
	u->to_len = tl;
}

static void add_rename(struct rules *r, const char *text, const char *from, size_t fl,
		       const char *to, size_t tl)
{
	/* A trailing '/' makes a scope, as init_from_checkpoint's assignment map. */
	struct rule *u = rule_new(r, fl && from[fl - 1] == '/' ? RULE_SCOPE : RULE_EXACT, text);
	rule_strings(u, from, fl, to, tl);
}

void rules_add_prefix(struct rules *r, const char *prefix)
{
	struct rule *u = rule_new(r, RULE_ADD_PREFIX, prefix);
	rule_strings(u, prefix, strlen(prefix), NULL, 0);
}

void rules_strip_prefix(struct rules *r, const char *prefix)
{
	struct rule *u = rule_new(r, RULE_STRIP_PREFIX, prefix);
	rule_strings(u, prefix, strlen(prefix), NULL, 0);
}

void rules_add_suffix(struct rules *r, const char *suffix)
{
	struct rule *u = rule_new(r, RULE_ADD_SUFFIX, suffix);
	rule_strings(u, suffix, strlen(suffix), NULL, 0);
}

void rules_strip_suffix(struct rules *r, const char *suffix)
{
	struct rule *u = rule_new(r, RULE_STRIP_SUFFIX, suffix);
	rule_strings(u, suffix, strlen(suffix), NULL, 0);
}

static int is_ere_special(int c)
{
	return c && strchr(".[]()*+?{}|^$", c) != NULL;
}

/* One field of an s rule, up to the unescaped delimiter d: *p advances past it. -1 if the
 * delimiter never comes. In the regex field an escaped delimiter that is special to ERE stays
 * escaped (so s|a\|b|x| matches a literal '|'). */
static int s_field(const char **p, int d, int is_regex, struct buf *out)
{
	const char *s = *p;

	buf_reset(out);
	for (; *s; s++) {
		if (*s == '\\' && s[1] == d) {
			if (is_regex && is_ere_special(d))
				buf_addc(out, '\\');
			buf_addc(out, (uint8_t)d);
			s++;
		} else if (is_regex && *s == '\\' && s[1] == 'd') {
			buf_add(out, "[0-9]", 5);  /* \d as in Perl and Python: POSIX has no such class */
			s++;
		} else if (*s == '\\' && s[1]) {
			buf_addc(out, '\\');
			buf_addc(out, (uint8_t)*++s);
		} else if (*s == d) {
			*p = s + 1;
			return 0;
		} else {
			buf_addc(out, (uint8_t)*s);
		}
	}
	return -1;
}

/* A numeric rewrite after "\\{": "N}", "N+K}" or "N-K}" (K decimal, at most 9 digits). Its
 * length up to and including '}', or 0 if malformed; *group and *delta are set when not NULL. */
static size_t numeric_ref(const char *s, int *group, long *delta)
{
	const char *p = s + 1;
	long k = 0;
	int sign = 0, digits = 0;

	if (*s < '0' || *s > '9')
		return 0;
	if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		for (; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
			k = k * 10 + (*p - '0');
		if (!digits)
			return 0;
	}
	if (*p != '}')
		return 0;
	if (group)
		*group = *s - '0';
	if (delta)
		*delta = sign * k;
	return (size_t)(p + 1 - s);
}

/* 1 if text is an s rule (and it was added or an error set), 0 if it is not one. */
static int parse_subst(struct rules *r, const char *text, int *rc, struct ck_err *err)
{
	struct buf re = BUF_INIT, repl = BUF_INIT;
	const char *p = text + 2;
	int d = (unsigned char)text[1], global = 0, ec;
	struct rule *u;
	regex_t rx;

	if (text[0] != 's' || !ispunct(d) || d == '\\' ||
	    s_field(&p, d, 1, &re) < 0 || s_field(&p, d, 0, &repl) < 0)
		goto not_subst;
	for (const char *f = p; *f; f++) {
		if (*f != 'g') {
			*rc = ck_error(err, CK_EUSAGE, "rule '%s': unknown flag '%c' (only g is known)",
				       text, *f);
			goto out;
		}
		global = 1;
	}
	if (!re.len) {
		*rc = ck_error(err, CK_EUSAGE, "rule '%s': empty regular expression", text);
		goto out;
	}
	ec = regcomp(&rx, (const char *)re.p, REG_EXTENDED);
	if (ec) {
		char msg[256];
		regerror(ec, &rx, msg, sizeof(msg));
		*rc = ck_error(err, CK_EUSAGE, "rule '%s': bad regular expression: %s", text, msg);
		goto out;
	}
	for (size_t i = 0; i + 1 < repl.len; i++) {
		if (repl.p[i] != '\\')
			continue;
		i++;
		if (repl.p[i] == '{' && !numeric_ref((const char *)repl.p + i + 1, NULL, NULL)) {
			*rc = ck_error(err, CK_EUSAGE, "rule '%s': bad numeric rewrite (expected \\{N}, "
				       "\\{N+K} or \\{N-K})", text);
			regfree(&rx);
			goto out;
		}
		if (repl.p[i] == '{')
			i++;
		if (repl.p[i] >= '1' && repl.p[i] <= '9' && (size_t)(repl.p[i] - '0') > rx.re_nsub) {
			*rc = ck_error(err, CK_EUSAGE, "rule '%s': \\%c but the expression has %zu group%s",
				       text, repl.p[i], rx.re_nsub, rx.re_nsub == 1 ? "" : "s");
			regfree(&rx);
			goto out;
		}
	}
	u = rule_new(r, RULE_REGEX, text);
	u->re = rx;
	u->global = global;
	rule_strings(u, (const char *)re.p, re.len, (const char *)repl.p, repl.len);
	*rc = 0;
out:
	buf_release(&re);
	buf_release(&repl);
	return 1;
not_subst:
	buf_release(&re);
	buf_release(&repl);
	return 0;
}

int rules_parse(struct rules *r, const char *text, struct ck_err *err)
{
	const char *eq;
	int rc;

	if (parse_subst(r, text, &rc, err))
		return rc;
	eq = strchr(text, '=');
	if (!eq)
		return ck_error(err, CK_EUSAGE, "'%s' is not a rule (expected OLD=NEW, OLD/=NEW/ or "
				"s/REGEX/REPLACEMENT/[g])", text);
	if (eq == text)
		return ck_error(err, CK_EUSAGE, "rule '%s': nothing before '='", text);
	add_rename(r, text, text, (size_t)(eq - text), eq + 1, strlen(eq + 1));
	return 0;
}

static int load_json(struct rules *r, const char *path, const char *text, struct ck_err *err)
{
	cJSON *root = cJSON_Parse(text), *it;
	int rc = 0;

	if (!cJSON_IsObject(root)) {
		rc = ck_error(err, CK_EUSAGE, "%s: not a JSON object of \"old\": \"new\" names", path);
		goto out;
	}
	cJSON_ArrayForEach(it, root) {
		struct buf t = BUF_INIT;
		if (!cJSON_IsString(it) || !*it->string) {
			rc = ck_error(err, CK_EUSAGE, "%s: \"%s\": the new name must be a string", path,
				      it->string);
			goto out;
		}
		buf_addf(&t, "%s=%s", it->string, it->valuestring);
		add_rename(r, (const char *)t.p, it->string, strlen(it->string), it->valuestring,
			   strlen(it->valuestring));
		buf_release(&t);
	}
out:
	cJSON_Delete(root);
	return rc;
}

int rules_load(struct rules *r, const char *path, struct ck_err *err)
{
	struct buf all = BUF_INIT;
	size_t lineno = 0;
	char *line, *cursor;
	int rc = optfile_read(path, &all, err);

	if (rc < 0)
		goto out;
	line = (char *)all.p + strspn((const char *)all.p, " \t\r\n");
	if (*line == '{') {
		rc = load_json(r, path, line, err);
		goto out;
	}
	cursor = (char *)all.p;
	while ((line = optfile_line(&cursor, &all)) != NULL) {
		char *tab;
		lineno++;
		if (!*line || *line == '#')
			continue;
		tab = strchr(line, '\t');
		if (tab && !(line[0] == 's' && ispunct((unsigned char)line[1]))) {
			*tab = 0;
			if (!*line) {
				rc = ck_error(err, CK_EUSAGE, "%s:%zu: empty old name", path, lineno);
				goto out;
			}
			add_rename(r, line, line, strlen(line), tab + 1, strlen(tab + 1));
			continue;
		}
		rc = rules_parse(r, line, err);
		if (rc < 0) {
			ck_wrap(err, "%s:%zu", path, lineno);
			goto out;
		}
	}
out:
	buf_release(&all);
	return rc;
}

/* Append group g of the match read as a decimal number plus delta, without leading zeros
 * (layer_007 -> 7); a group that is not a number is copied as it is. */
static void add_number(struct buf *out, const char *s, const regmatch_t *m, long delta)
{
	const char *p = s + m->rm_so;
	size_t n = (size_t)(m->rm_eo - m->rm_so);
	long long v = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9' || i >= 15) {
			buf_add(out, p, n);
			return;
		}
		v = v * 10 + (p[i] - '0');
	}
	if (!n) {
		return;
	}
	buf_addf(out, "%lld", v + delta);
}

/* Append REPL with \N, \0, & and \{N+K} replaced by the groups of the match in s. */
static void expand(struct buf *out, const struct rule *u, const char *s, const regmatch_t *m)
{
	for (size_t i = 0; i < u->to_len; i++) {
		int c = (unsigned char)u->to[i], g = -1, ng;
		long delta;
		size_t k;
		if (c == '&') {
			g = 0;
		} else if (c == '\\' && i + 2 < u->to_len && u->to[i + 1] == '{' &&
			   (k = numeric_ref(u->to + i + 2, &ng, &delta)) != 0) {
			if (m[ng].rm_so >= 0)
				add_number(out, s, &m[ng], delta);
			i += 1 + k;
			continue;
		} else if (c == '\\' && i + 1 < u->to_len) {
			c = (unsigned char)u->to[++i];
			if (c >= '0' && c <= '9')
				g = c - '0';
			else if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
		}
		if (g < 0)
			buf_addc(out, (uint8_t)c);
		else if (m[g].rm_so >= 0)
			buf_add(out, s + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
	}
}

/* One regex rule on cur (NUL-terminated, len bytes); 1 if something was replaced. */
static int apply_regex(const struct rule *u, const struct buf *cur, struct buf *out)
{
	const char *s = (const char *)cur->p;
	size_t pos = 0, len = cur->len;
	regmatch_t m[10];
	int any = 0;

	buf_reset(out);
	while (pos <= len) {
		m[0].rm_so = (regoff_t)pos;
		m[0].rm_eo = (regoff_t)len;
		if (regexec(&u->re, s, 10, m, REG_STARTEND | (pos ? REG_NOTBOL : 0)))
			break;
		any = 1;
		buf_add(out, s + pos, (size_t)m[0].rm_so - pos);
		expand(out, u, s, m);
		pos = (size_t)m[0].rm_eo;
		if (m[0].rm_eo == m[0].rm_so) {  /* an empty match: step over one byte */
			if (pos < len)
				buf_addc(out, (uint8_t)s[pos]);
			pos++;
		}
		if (!u->global)
			break;
	}
	if (pos < len)
		buf_add(out, s + pos, len - pos);
	return any;
}

int rules_apply(struct rules *r, const void *name, size_t len, struct buf *out)
{
	struct buf cur = BUF_INIT, tmp = BUF_INIT;
	int changed = 0;

	buf_add(&cur, name, len);
	for (size_t i = 0; i < r->n && cur.len; i++) {
		struct rule *u = &r->v[i];
		int hit = 0;
		buf_reset(&tmp);
		switch (u->kind) {
		case RULE_EXACT:
			if ((hit = cur.len == u->from_len && !memcmp(cur.p, u->from, cur.len)))
				buf_add(&tmp, u->to, u->to_len);
			break;
		case RULE_SCOPE:
		case RULE_STRIP_PREFIX:
			if ((hit = cur.len >= u->from_len && !memcmp(cur.p, u->from, u->from_len))) {
				buf_add(&tmp, u->to, u->to_len);
				buf_add(&tmp, cur.p + u->from_len, cur.len - u->from_len);
			}
			break;
		case RULE_ADD_PREFIX:
			hit = 1;
			buf_add(&tmp, u->from, u->from_len);
			buf_add(&tmp, cur.p, cur.len);
			break;
		case RULE_ADD_SUFFIX:
			hit = 1;
			buf_add(&tmp, cur.p, cur.len);
			buf_add(&tmp, u->from, u->from_len);
			break;
		case RULE_STRIP_SUFFIX:
			if ((hit = cur.len >= u->from_len &&
				   !memcmp(cur.p + cur.len - u->from_len, u->from, u->from_len)))
				buf_add(&tmp, cur.p, cur.len - u->from_len);
			break;
		case RULE_REGEX:
			hit = apply_regex(u, &cur, &tmp);
			break;
		}
		if (!hit)
			continue;
		if (tmp.len != cur.len || memcmp(tmp.p, cur.p, cur.len)) {
			struct buf swap = cur;
			cur = tmp;
			tmp = swap;
			u->hits++;
			changed = 1;
		}
	}
	buf_reset(out);
	buf_add(out, cur.p, cur.len);
	buf_release(&cur);
	buf_release(&tmp);
	if (!out->len && len)
		return RULES_DROPPED;
	return changed ? RULES_RENAMED : RULES_SAME;
}
