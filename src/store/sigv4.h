/* AWS Signature Version 4 for the few S3 requests ckpt makes: GET and HEAD of an object
 * (with a Range) and GET of a bucket's listing (ListObjectsV2, with a query).
 *
 * Keys come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; without them
 * requests go unsigned (a public bucket). The secret never leaves this module: it is in no
 * message, header other than the signature, or argument list. */
#ifndef CKPT_SIGV4_H
#define CKPT_SIGV4_H

#include "base/util.h"

struct sigv4_keys {
	const char *access_key, *secret_key, *session_token; /* session_token may be NULL */
};

/* The keys in the environment: 1 and *k filled (pointers into the environment), or 0 when
 * AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is unset or empty (anonymous requests). */
int sigv4_keys_from_env(struct sigv4_keys *k);

struct sigv4_request {
	const char *method;       /* "GET" or "HEAD" */
	const char *host;         /* the Host header sent */
	const char *path;         /* the request path, percent-encoded (ck_url_path) */
	const char *query;        /* "name=value&...", each part encoded, in any order; or NULL */
	const char *range;        /* the Range header's value, or NULL when none is sent */
	const char *payload_hash; /* x-amz-content-sha256's value (UNSIGNED-PAYLOAD or the hash of
				   * the empty body), or NULL when the header is not sent */
	const char *amz_date;     /* x-amz-date: "YYYYMMDDTHHMMSSZ" (UTC) */
	const char *region;
	const char *service;      /* "s3" */
};

/* SHA-256 of the empty body, hex: x-amz-content-sha256 of a GET. */
#define SIGV4_EMPTY_HASH "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Sign r with k: auth gets the Authorization header's value ("AWS4-HMAC-SHA256 Credential=...,
 * SignedHeaders=..., Signature=..."). canonical and to_sign, when not NULL, get the canonical
 * request and the string to sign (for tests). The headers signed are the ones the caller must
 * send: Host, Range (when set), x-amz-content-sha256 (when set), x-amz-date, and
 * x-amz-security-token (when k has a session token). */
void sigv4_sign(const struct sigv4_request *r, const struct sigv4_keys *k, struct buf *auth,
		struct buf *canonical, struct buf *to_sign);

/* x-amz-date's form of the time t (seconds since the epoch) into out[17]. */
void sigv4_date(long long t, char out[17]);

#endif
