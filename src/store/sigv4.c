/* AWS Signature Version 4 (see sigv4.h): canonical request, string to sign, signing key. */
#include "store/sigv4.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/sha256.h"

int sigv4_keys_from_env(struct sigv4_keys *k)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");

	memset(k, 0, sizeof(*k));
	if (!id || !*id || !secret || !*secret)
		return 0;
	k->access_key = id;
	k->secret_key = secret;
	k->session_token = token && *token ? token : NULL;
	return 1;
}

void sigv4_date(long long t, char out[17])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

struct param {
	const char *name, *value;
	size_t nn, vn;
};

static int cmp_param(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	size_t n = x->nn < y->nn ? x->nn : y->nn;
	int c = memcmp(x->name, y->name, n);

	if (c || x->nn != y->nn)
		return c ? c : (x->nn < y->nn ? -1 : 1);
	n = x->vn < y->vn ? x->vn : y->vn;
	c = memcmp(x->value, y->value, n);
	return c ? c : (x->vn > y->vn) - (x->vn < y->vn);
}

/* The query's parameters sorted by name, then value (by bytes), each as name=value. */
static void canonical_query(const char *q, struct buf *out)
{
	struct param *v;
	size_t n = 0, i;
	const char *p;

	if (!q || !*q)
		return;
	v = xmalloc((strlen(q) / 2 + 1) * sizeof(*v));
	for (p = q; *p;) {
		size_t len = strcspn(p, "&");
		const char *eq = memchr(p, '=', len);
		if (len) {
			v[n].name = p;
			v[n].nn = eq ? (size_t)(eq - p) : len;
			v[n].value = eq ? eq + 1 : p + len;
			v[n].vn = eq ? len - v[n].nn - 1 : 0;
			n++;
		}
		p += len + (p[len] == '&');
	}
	sort_array(v, n, sizeof(*v), cmp_param);
	for (i = 0; i < n; i++)
		buf_addf(out, "%s%.*s=%.*s", i ? "&" : "", (int)v[i].nn, v[i].name, (int)v[i].vn,
			 v[i].value);
	free(v);
}

/* The canonical headers (sorted by name: host < range < x-amz-content-sha256 < x-amz-date <
 * x-amz-security-token) and the signed-header list. */
static void canonical_headers(const struct sigv4_request *r, const struct sigv4_keys *k,
			      struct buf *out, struct buf *names)
{
	buf_addf(out, "host:%s\n", r->host);
	buf_addf(names, "host");
	if (r->range) {
		buf_addf(out, "range:%s\n", r->range);
		buf_addf(names, ";range");
	}
	if (r->payload_hash) {
		buf_addf(out, "x-amz-content-sha256:%s\n", r->payload_hash);
		buf_addf(names, ";x-amz-content-sha256");
	}
	buf_addf(out, "x-amz-date:%s\n", r->amz_date);
	buf_addf(names, ";x-amz-date");
	if (k->session_token) {
		buf_addf(out, "x-amz-security-token:%s\n", k->session_token);
		buf_addf(names, ";x-amz-security-token");
	}
}

void sigv4_sign(const struct sigv4_request *r, const struct sigv4_keys *k, struct buf *auth,
		struct buf *canonical, struct buf *to_sign)
{
	struct buf creq = BUF_INIT, sts = BUF_INIT, names = BUF_INIT, key = BUF_INIT;
	uint8_t d[SHA256_LEN], kd[SHA256_LEN];
	char hex[2 * SHA256_LEN + 1], day[9];

	memcpy(day, r->amz_date, 8);
	day[8] = 0;
	buf_addf(&creq, "%s\n%s\n", r->method, r->path);
	canonical_query(r->query, &creq);
	buf_addc(&creq, '\n');
	canonical_headers(r, k, &creq, &names);
	buf_addf(&creq, "\n%s\n%s", (char *)names.p,
		 r->payload_hash ? r->payload_hash : SIGV4_EMPTY_HASH);

	sha256(creq.p, creq.len, d);
	hex_lower(d, SHA256_LEN, hex);
	buf_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", r->amz_date, day,
		 r->region, r->service, hex);

	/* the signing key: HMAC chained over the day, region, service and "aws4_request" */
	buf_addf(&key, "AWS4%s", k->secret_key);
	hmac_sha256(key.p, key.len, day, strlen(day), kd);
	hmac_sha256(kd, SHA256_LEN, r->region, strlen(r->region), kd);
	hmac_sha256(kd, SHA256_LEN, r->service, strlen(r->service), kd);
	hmac_sha256(kd, SHA256_LEN, "aws4_request", 12, kd);
	hmac_sha256(kd, SHA256_LEN, sts.p, sts.len, d);
	hex_lower(d, SHA256_LEN, hex);

	buf_addf(auth, "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request,SignedHeaders=%s,"
		 "Signature=%s", k->access_key, day, r->region, r->service, (char *)names.p, hex);
	if (canonical)
		buf_add(canonical, creq.p, creq.len);
	if (to_sign)
		buf_add(to_sign, sts.p, sts.len);
	/* the secret and what derives from it do not outlive the call */
	memset(key.p, 0, key.len);
	memset(kd, 0, sizeof(kd));
	buf_release(&key);
	buf_release(&creq);
	buf_release(&sts);
	buf_release(&names);
}
