/* Remote paths parsed into endpoints and request paths (see url.h). */
#include "store/url.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *prefix;
	enum ck_url_scheme scheme;
} schemes[] = {
	{ "https://", CK_URL_HTTPS }, { "http://", CK_URL_HTTP },
	{ "s3://", CK_URL_S3 },       { "gs://", CK_URL_GS },
};

enum ck_url_scheme ck_url_scheme_of(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (!strncasecmp(s, schemes[i].prefix, strlen(schemes[i].prefix)))
			return schemes[i].scheme;
	return CK_URL_NONE;
}

static size_t scheme_len(const char *s) { return (size_t)(strstr(s, "://") - s) + 3; }

void ck_url_release(struct ck_url *u)
{
	free(u->base);
	free(u->host);
	free(u->root);
	free(u->bucket);
	free(u->key);
	free(u->query);
	free(u->region);
	free(u->display);
	memset(u, 0, sizeof(*u));
}

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* Credentials taken out of arguments (ck_url_hide_userinfo): "scheme://host" and "user:pw". */
#define USERINFO_MAX 16
static struct {
	char *origin, *userinfo;
} hidden[USERINFO_MAX];
static int nhidden;

int ck_url_hide_userinfo(char *s)
{
	enum ck_url_scheme sch = ck_url_scheme_of(s);
	char *auth, *end, *at;

	if (sch != CK_URL_HTTP && sch != CK_URL_HTTPS)
		return 0;
	auth = s + scheme_len(s);
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	if (!at)
		return 0;
	if (nhidden < USERINFO_MAX) {
		hidden[nhidden].userinfo = xasprintf("%.*s", (int)(at - auth), auth);
		hidden[nhidden].origin = xasprintf("%.*s%.*s", (int)(auth - s), s, (int)(end - at - 1),
						   at + 1);
		nhidden++;
	}
	memset(auth, 0, (size_t)(at + 1 - auth)); /* gone from the process's memory too */
	memmove(auth, at + 1, strlen(at + 1) + 1);
	return 1;
}

/* user:password kept for the scheme://host:port in s[0..n), or NULL. */
static const char *userinfo_for_n(const char *s, size_t n)
{
	int i;

	for (i = 0; i < nhidden; i++)
		if (strlen(hidden[i].origin) == n && !strncasecmp(hidden[i].origin, s, n))
			return hidden[i].userinfo;
	return NULL;
}

/* An http(s):// URL split into base (scheme://authority, userinfo kept for the request),
 * host (authority without userinfo), path (after the authority, without the '/') and query. */
static int split_http(const char *s, char **base, char **host, char **path, char **query,
		      const char *what, struct ck_err *err)
{
	const char *auth = s + scheme_len(s), *end = auth + strcspn(auth, "/?#"), *at, *q;

	at = memchr(auth, '@', (size_t)(end - auth));
	if (end == (at ? at + 1 : auth))
		return ck_error(err, CK_EUSAGE, "%s: no host in the URL", what);
	if (!at && userinfo_for_n(s, (size_t)(end - s)))
		*base = xasprintf("%.*s%s@%.*s", (int)(auth - s), s, userinfo_for_n(s, (size_t)(end - s)),
				  (int)(end - auth), auth);
	else
		*base = xasprintf("%.*s", (int)(end - s), s);
	at = at ? at + 1 : auth;
	*host = xasprintf("%.*s", (int)(end - at), at);
	if (*end == '/')
		end++;
	q = end + strcspn(end, "?#");
	*path = xasprintf("%.*s", (int)(q - end), end);
	*query = *q == '?' ? xasprintf("%.*s", (int)strcspn(q + 1, "#"), q + 1) : NULL;
	return 0;
}

/* An endpoint from the environment ("http://127.0.0.1:4568", or "host:port" for the GCS
 * emulator, which Google's clients take as http). */
static int set_endpoint(struct ck_url *u, const char *ep, const char *var, struct ck_err *err)
{
	char *path = NULL, *query = NULL, *withscheme = NULL;
	size_t n;
	int rc;

	if (ck_url_scheme_of(ep) != CK_URL_HTTP && ck_url_scheme_of(ep) != CK_URL_HTTPS) {
		if (strstr(ep, "://"))
			return ck_error(err, CK_EUSAGE, "%s: not an http:// or https:// endpoint", var);
		ep = withscheme = xasprintf("http://%s", ep);
	}
	rc = split_http(ep, &u->base, &u->host, &path, &query, var, err);
	if (rc == 0) {
		n = strlen(path);
		while (n && path[n - 1] == '/')
			n--;
		u->root = n ? xasprintf("/%.*s", (int)n, path) : xstrdup("");
		u->path_style = 1;
	}
	free(path);
	free(query);
	free(withscheme);
	return rc;
}

static int parse_bucket(const char *s, struct ck_url *u, struct ck_err *err)
{
	const char *b = s + scheme_len(s), *slash = strchr(b, '/');
	size_t bn = slash ? (size_t)(slash - b) : strlen(b);

	if (!bn)
		return ck_error(err, CK_EUSAGE, "%s: no bucket in the URL", u->display);
	u->bucket = xasprintf("%.*s", (int)bn, b);
	u->key = xstrdup(slash ? slash + 1 : "");
	return 0;
}

static int parse_s3(const char *s, struct ck_url *u, struct ck_err *err)
{
	const char *ep = env("AWS_ENDPOINT_URL_S3"), *var = "AWS_ENDPOINT_URL_S3";
	const char *region = env("AWS_REGION");
	int rc;

	if ((rc = parse_bucket(s, u, err)) < 0)
		return rc;
	if (!region)
		region = env("AWS_DEFAULT_REGION");
	u->region = xstrdup(region ? region : "us-east-1");
	if (!ep) {
		ep = env("AWS_ENDPOINT_URL");
		var = "AWS_ENDPOINT_URL";
	}
	if (ep)
		return set_endpoint(u, ep, var, err);
	u->root = xstrdup("");
	if (strchr(u->bucket, '.')) {
		u->host = xasprintf("s3.%s.amazonaws.com", u->region);
		u->path_style = 1;
	} else {
		u->host = xasprintf("%s.s3.%s.amazonaws.com", u->bucket, u->region);
	}
	u->base = xasprintf("https://%s", u->host);
	return 0;
}

static int parse_gs(const char *s, struct ck_url *u, struct ck_err *err)
{
	const char *ep = env("STORAGE_EMULATOR_HOST");
	int rc;

	if ((rc = parse_bucket(s, u, err)) < 0)
		return rc;
	if (ep)
		return set_endpoint(u, ep, "STORAGE_EMULATOR_HOST", err);
	u->host = xstrdup("storage.googleapis.com");
	u->base = xstrdup("https://storage.googleapis.com");
	u->root = xstrdup("");
	u->path_style = 1;
	return 0;
}

int ck_url_parse(const char *s, struct ck_url *u, struct ck_err *err)
{
	struct buf tmp = BUF_INIT;
	int rc;

	memset(u, 0, sizeof(*u));
	u->scheme = ck_url_scheme_of(s);
	u->display = xstrdup(ck_url_display(s, &tmp));
	buf_release(&tmp);
	switch (u->scheme) {
	case CK_URL_HTTP:
	case CK_URL_HTTPS:
		rc = split_http(s, &u->base, &u->host, &u->key, &u->query, u->display, err);
		break;
	case CK_URL_S3:
		rc = parse_s3(s, u, err);
		break;
	case CK_URL_GS:
		rc = parse_gs(s, u, err);
		break;
	default:
		rc = ck_error(err, CK_EUSAGE, "%s: not a URL (https://, http://, s3://, gs://)", s);
	}
	if (rc < 0)
		ck_url_release(u);
	return rc;
}

void ck_url_encode(struct buf *out, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && keep_slash)) {
			buf_addc(out, c);
		} else {
			buf_addc(out, '%');
			buf_addc(out, (uint8_t)hex[c >> 4]);
			buf_addc(out, (uint8_t)hex[c & 15]);
		}
	}
}

void ck_url_bucket_path(const struct ck_url *u, struct buf *out)
{
	if (u->bucket && u->path_style) {
		buf_add(out, u->root, strlen(u->root));
		buf_addc(out, '/');
		ck_url_encode(out, u->bucket, strlen(u->bucket), 0);
	} else {
		buf_addc(out, '/');
	}
}

void ck_url_path(const struct ck_url *u, struct buf *out)
{
	if (!u->bucket) {
		buf_addc(out, '/');
		buf_add(out, u->key, strlen(u->key));
		return;
	}
	ck_url_bucket_path(u, out);
	if (u->path_style)
		buf_addc(out, '/');
	ck_url_encode(out, u->key, strlen(u->key), 1);
}

char *ck_url_request(const struct ck_url *u)
{
	struct buf b = BUF_INIT;

	buf_add(&b, u->base, strlen(u->base));
	ck_url_path(u, &b);
	if (u->query)
		buf_addf(&b, "?%s", u->query);
	return buf_detach(&b, NULL);
}

const char *ck_url_display(const char *s, struct buf *tmp)
{
	const char *auth, *end, *at, *q;
	enum ck_url_scheme sch = ck_url_scheme_of(s);

	/* an s3/gs key may hold '?' and '@', and these URLs carry no secrets */
	if (sch != CK_URL_HTTP && sch != CK_URL_HTTPS)
		return s;
	auth = s + scheme_len(s);
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	q = end + strcspn(end, "?#");
	buf_reset(tmp);
	buf_add(tmp, s, (size_t)(auth - s));
	if (at)
		auth = at + 1;
	buf_add(tmp, auth, (size_t)(q - auth));
	buf_addc(tmp, 0);
	tmp->len--;
	return (const char *)tmp->p;
}
