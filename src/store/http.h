/* HTTP GET and HEAD over libcurl, opened with dlopen on the first remote read so that local
 * commands never load it (base/dynload.h).
 *
 * One handle per thread, kept between requests so that connections stay alive. Every request
 * has a connect timeout (10 s) and a low-speed limit (a body that stalls for 30 s fails
 * rather than hangs); CKPT_HTTP_TIMEOUT=SECONDS sets both. A request that fails in a way that
 * may pass (5xx, 429, a reset or refused connection, a truncated body) is tried
 * again after a growing pause, at most HTTP_TRIES times in all, each retry reported through
 * http_on_retry. Redirects are followed (at most 5). */
#ifndef CKPT_HTTP_H
#define CKPT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/util.h"

#define HTTP_TRIES 5

struct http_request {
	const char *url;      /* the request URL (it may carry a presigned query: never shown) */
	const char *display;  /* the URL as messages show it */
	int head;             /* HEAD rather than GET */
	int ranged;           /* send Range: bytes=off-(off+len-1), or bytes=-len when suffix */
	int suffix;
	uint64_t off, len;
	const char *const *headers; /* more "Name: value" lines (signature), NULL-terminated */
	/* The body goes to dst (at most cap bytes; a ranged GET's len must fit), or, when dst is
	 * NULL, to body (at most cap bytes: more is an error, never memory). */
	void *dst;
	struct buf *body;
	size_t cap;
};

struct http_response {
	long status;       /* the final status (after redirects) */
	uint64_t first;    /* object offset of the first byte kept */
	uint64_t total;    /* the object's size (Content-Range's total, or a 200's or HEAD's
			    * Content-Length), UINT64_MAX when the server does not say */
	size_t got;        /* body bytes kept */
	int64_t mtime;     /* Last-Modified, or -1 */
	int range_ignored; /* a Range was sent and the server answered 200 with the whole body */
	int to_folder;     /* redirected to the same URL with a '/' added: a folder (a web
			    * server's answer for a folder named without its slash) */
};

/* The Range header's value for rq ("bytes=0-9", "bytes=-65536") into out. */
void http_range_value(const struct http_request *rq, char out[48]);

/* Make the request, retrying as above. Returns 0 with rs filled for any final status (the
 * caller judges 4xx; see http_status_error), or a negative ck code: CK_EUNSUP when libcurl
 * cannot be loaded or the server ignores Range where a prefix of the body will not do,
 * CK_EIO for a network failure after the last try ("URL: why (after 5 tries)"). */
int http_fetch(const struct http_request *rq, struct http_response *rs, struct ck_err *err);

/* The error for a status that is not success: 404 and 410 are CK_ENOTFOUND ("URL: 404: no
 * such object; is the prefix right?"), 401 and 403 CK_EIO with a hint on credentials, others
 * CK_EIO with the status. more, when not NULL, is appended to the hint. */
int http_status_error(const char *display, long status, const char *more, struct ck_err *err);

/* The retry policy, apart from the transport so that it can be tested: 1 when a try that
 * ended with status (0 when no response came) or a transport failure (net_transient: reset,
 * refused; truncated: fewer body bytes than announced) deserves another. A timeout does not:
 * a stalled server stalls again, and five waits would be long. */
int http_retryable(long status, int net_transient, int truncated);
/* The pause before try number attempt (2 .. HTTP_TRIES), in milliseconds (a longer
 * Retry-After of the answer, up to 10 s, is waited instead). */
unsigned http_backoff_ms(int attempt);

/* Called before each retry (by the CLI, which prints "ckpt: retrying URL (why), 2 of 5").
 * NULL: retries are silent. Set once before any request. */
extern void (*http_on_retry)(const char *display, const char *why, int attempt, int tries);

#endif
