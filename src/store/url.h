/* Remote paths: https://, http://, s3://BUCKET/KEY and gs://BUCKET/KEY, parsed into where the
 * requests go (the endpoint, the Host header, the request path) and how messages show them.
 *
 * s3:// goes to AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL when set (MinIO, Ceph, s3rver: the
 * bucket in the path, http://HOST:PORT/BUCKET/KEY), else to https://BUCKET.s3.REGION.amazonaws.com
 * (REGION from AWS_REGION, AWS_DEFAULT_REGION, else us-east-1; a bucket with a dot goes in the
 * path, as AWS's clients do, since its name would not match the certificate). gs:// goes to the
 * XML API, https://storage.googleapis.com/BUCKET/KEY, or to STORAGE_EMULATOR_HOST when set.
 * Keys are written as they are (s3://b/my model/x), and encoded per S3's rules on the wire. */
#ifndef CKPT_URL_H
#define CKPT_URL_H

#include "base/err.h"
#include "base/util.h"

enum ck_url_scheme { CK_URL_NONE, CK_URL_HTTP, CK_URL_HTTPS, CK_URL_S3, CK_URL_GS };

struct ck_url {
	enum ck_url_scheme scheme;
	char *base;    /* scheme://authority the requests go to, no trailing '/' */
	char *host;    /* authority without user:password@: the Host header */
	char *root;    /* the endpoint's own path before the bucket ("" or "/x"), s3/gs only */
	char *bucket;  /* s3/gs: the bucket; NULL for http(s) */
	char *key;     /* s3/gs: the key, decoded ("" for the bucket's root); http(s): the path
			* after the authority without its leading '/', as written (encoded) */
	char *query;   /* http(s): the query as written (a presigned URL's signature), else NULL */
	int path_style; /* s3/gs: the bucket is the first segment of the request path */
	char *region;  /* s3: the region requests are signed for */
	char *display; /* the URL for messages: no user:password@, no ?query */
};

/* The scheme of s, or CK_URL_NONE when s is not a URL the store reads. */
enum ck_url_scheme ck_url_scheme_of(const char *s);

/* Parse s (the environment gives endpoints and the region). CK_EUSAGE for a malformed URL
 * (no host, no bucket, an endpoint that is not http(s)://). Release u with ck_url_release. */
int ck_url_parse(const char *s, struct ck_url *u, struct ck_err *err);
void ck_url_release(struct ck_url *u);

/* Append to out the request path of u's object: "/" then, for s3/gs, the endpoint's root, the
 * bucket when path-style, and the key percent-encoded ('/' kept); for http(s) the path as
 * written. This is also SigV4's canonical URI. */
void ck_url_path(const struct ck_url *u, struct buf *out);

/* Append to out the request path of u's bucket (its listing): "/BUCKET" or "/". */
void ck_url_bucket_path(const struct ck_url *u, struct buf *out);

/* The request URL of u's object: base + path (+ "?" + query); owned by the caller. */
char *ck_url_request(const struct ck_url *u);

/* Append s[0..n) percent-encoded per S3's rules (RFC 3986 unreserved characters kept, the rest
 * as %XX in upper case), keeping '/' when keep_slash (a path) and encoding it otherwise (a
 * query value). */
void ck_url_encode(struct buf *out, const char *s, size_t n, int keep_slash);

/* Take user:password@ out of the URL s (an argument), in place, so that it shows in no
 * message, JSON or process listing, and keep it for requests to the same scheme://host:port.
 * Returns 1 when s held credentials. Call before any thread starts (the CLI does, on argv). */
int ck_url_hide_userinfo(char *s);

/* The form of a path messages show: a URL without user:password@ or ?query, else path itself.
 * Returns s or tmp's text. */
const char *ck_url_display(const char *s, struct buf *tmp);

#endif
