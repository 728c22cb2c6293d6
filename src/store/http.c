/* HTTP requests over libcurl, loaded on first use (see http.h). */
#include "store/http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>

#include "base/dynload.h"

#ifndef CURL_SONAME
#define CURL_SONAME "libcurl.so.4"
#endif
#define CURL_FUNCS(X) \
	X(curl_global_init) \
	X(curl_easy_init) \
	X(curl_easy_setopt) \
	X(curl_easy_perform) \
	X(curl_easy_getinfo) \
	X(curl_easy_reset) \
	X(curl_easy_cleanup) \
	X(curl_easy_strerror) \
	X(curl_slist_append) \
	X(curl_slist_free_all) \
	X(curl_share_init) \
	X(curl_share_setopt)
#define DECLARE(f) static __typeof__(f) *p_##f;
#define NAME(f) #f,
#define SLOT(f) (void **)&p_##f,
CURL_FUNCS(DECLARE)
static const char *const curl_names[] = { CURL_FUNCS(NAME) NULL };
static void **const curl_slots[] = { CURL_FUNCS(SLOT) };
static struct dynlib libcurl = { CURL_SONAME, curl_names, curl_slots, 0, "" };

/* A server that ignores Range answers with the whole object: up to this many bytes before the
 * wanted range are read and dropped; further in, the request fails instead. */
#define HTTP_SKIP_MAX (1u << 20)

void (*http_on_retry)(const char *display, const char *why, int attempt, int tries);

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static pthread_key_t handle_key;
static int load_rc;
static struct ck_err load_err;

static void handle_free(void *h) { p_curl_easy_cleanup(h); }

/* One pool of connections (and DNS answers) for the process: a reader's threads come and go
 * (par.c), and each would otherwise open connections of its own and close them on exit. */
static CURLSH *share;
static pthread_mutex_t share_mu[CURL_LOCK_DATA_LAST];

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *arg)
{
	pthread_mutex_lock(&share_mu[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *arg)
{
	pthread_mutex_unlock(&share_mu[data]);
}

static void load(void)
{
	int i;

	load_rc = dynlib_load(&libcurl, "https://, s3:// and gs:// paths", &load_err);
	if (load_rc == 0 && p_curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		load_rc = ck_error(&load_err, CK_EUNSUP, "cannot initialize libcurl");
	if (load_rc < 0)
		return;
	pthread_key_create(&handle_key, handle_free);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_mu[i], NULL);
	if ((share = p_curl_share_init())) {
		p_curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock);
		p_curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock);
		p_curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
		p_curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
		p_curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	}
}

/* This thread's handle, made on its first request and kept for the connections it holds. */
static CURL *thread_handle(struct ck_err *err)
{
	CURL *h;

	pthread_once(&load_once, load);
	if (load_rc < 0) {
		if (err)
			*err = load_err;
		return NULL;
	}
	h = pthread_getspecific(handle_key);
	if (!h) {
		h = p_curl_easy_init();
		if (!h) {
			ck_error(err, CK_EIO, "cannot make a libcurl handle");
			return NULL;
		}
		pthread_setspecific(handle_key, h);
	} else {
		p_curl_easy_reset(h); /* options go; live connections stay */
	}
	return h;
}

int http_retryable(long status, int net_transient, int truncated)
{
	if (net_transient || truncated)
		return 1;
	return status == 429 || (status >= 500 && status <= 599 && status != 501);
}

unsigned http_backoff_ms(int attempt)
{
	unsigned ms = 100u << (attempt > 2 ? attempt - 2 : 0);
	return ms > 5000 ? 5000 : ms;
}

void http_range_value(const struct http_request *rq, char out[48])
{
	if (rq->suffix)
		snprintf(out, 48, "bytes=-%llu", (unsigned long long)rq->len);
	else
		snprintf(out, 48, "bytes=%llu-%llu", (unsigned long long)rq->off,
			 (unsigned long long)(rq->off + rq->len - 1));
}

int http_status_error(const char *display, long status, const char *more, struct ck_err *err)
{
	const char *hint;
	int code = CK_EIO;

	if (status == 404 || status == 410) {
		code = CK_ENOTFOUND;
		hint = "no such object; is the prefix right?";
	} else if (status == 401 || status == 403) {
		/* S3 also answers 403 for a missing key when listing is not allowed */
		hint = !strncmp(display, "s3://", 5)
			? "access denied; are AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY right, "
			  "and is the object there?"
			: !strncmp(display, "gs://", 5)
			? "access denied; is GOOGLE_OAUTH_ACCESS_TOKEN set and current?"
			: "access denied";
	} else if (status == 416) {
		hint = "the range asked is past the end of the object";
	} else if (status >= 500) {
		hint = "the server failed";
	} else {
		hint = "unexpected answer";
	}
	return ck_error(err, code, "%s: %ld: %s%s%s", display, status, hint, more ? " " : "",
			more ? more : "");
}

/* One try's state, shared by the header and body callbacks. */
struct xfer {
	const struct http_request *rq;
	struct http_response *rs;
	long status;
	int have_cr, have_clen;
	uint64_t cr_first, cr_last, cr_total, clen;
	int started, stop, refuse, too_big;
	uint64_t skip, want;  /* bytes to drop, then to keep */
	unsigned *retry_after_ms; /* a 503's or 429's Retry-After (seconds), for the pause */
	uint64_t err_body;        /* bytes of an error page seen */
};

static uint64_t parse_u64(const char **p)
{
	uint64_t v = 0;
	while (**p == ' ')
		(*p)++;
	while (**p >= '0' && **p <= '9' && v < UINT64_MAX / 10)
		v = v * 10 + (uint64_t)(*(*p)++ - '0');
	return v;
}

static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n;
	char tmp[256];
	const char *p;

	if (len >= sizeof(tmp))
		return len;
	memcpy(tmp, line, len);
	tmp[len] = 0;
	if (!strncmp(tmp, "HTTP/", 5)) { /* a new response: after a redirect or a 100 */
		p = strchr(tmp, ' ');
		x->status = p ? strtol(p + 1, NULL, 10) : 0;
		x->have_cr = x->have_clen = x->started = 0;
	} else if (!strncasecmp(tmp, "content-range:", 14)) {
		p = tmp + 14;
		while (*p == ' ')
			p++;
		if (!strncasecmp(p, "bytes ", 6)) {
			p += 6;
			x->cr_first = parse_u64(&p);
			if (*p++ == '-') {
				x->cr_last = parse_u64(&p);
				if (*p++ == '/') {
					x->cr_total = *p == '*' ? UINT64_MAX : parse_u64(&p);
					x->have_cr = x->cr_last >= x->cr_first;
				}
			}
		}
	} else if (!strncasecmp(tmp, "retry-after:", 12)) {
		/* seconds (an HTTP date is not worth parsing here); at most 10 s */
		p = tmp + 12;
		uint64_t sec = parse_u64(&p);
		*x->retry_after_ms = (unsigned)(sec > 10 ? 10000 : sec * 1000);
	} else if (!strncasecmp(tmp, "content-length:", 15)) {
		p = tmp + 15;
		x->clen = parse_u64(&p);
		x->have_clen = 1;
	}
	return len;
}

/* Where the body's bytes go, decided at its first byte from the status. */
static void body_plan(struct xfer *x)
{
	const struct http_request *rq = x->rq;

	x->started = 1;
	x->skip = 0;
	x->want = rq->cap;
	if (x->status != 200 || !rq->ranged)
		return;
	/* the whole object in answer to a range: keep the range's bytes if they are near */
	x->rs->range_ignored = 1;
	if (rq->suffix) {
		if (!x->have_clen) {
			x->refuse = 1;
			return;
		}
		x->skip = x->clen > rq->len ? x->clen - rq->len : 0;
	} else {
		x->skip = rq->off;
	}
	if (x->skip > HTTP_SKIP_MAX)
		x->refuse = 1;
	x->want = rq->len;
	x->rs->first = x->skip;
}

/* Whether the body goes on past the bytes kept (it is not known: yes). */
static int more_coming(const struct xfer *x)
{
	if (x->status == 206)
		return !x->have_cr || x->cr_last - x->cr_first + 1 > x->want;
	return !x->have_clen || x->clen > x->rs->first + x->want;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * n, take;

	if (!x->started)
		body_plan(x);
	if (x->refuse)
		return 0;
	if (x->status < 200 || x->status > 299) {
		/* an error page: not kept, and not read past 64 KiB (the status is the answer) */
		x->err_body += len;
		if (x->err_body > (64u << 10)) {
			x->stop = 1;
			return 0;
		}
		return len;
	}
	if (x->skip) {
		take = x->skip < len ? (size_t)x->skip : len;
		x->skip -= take;
		p += take;
		len -= take;
	}
	take = x->want - x->rs->got < len ? (size_t)(x->want - x->rs->got) : len;
	if (len > take && !x->rq->ranged) {
		x->too_big = 1;
		return 0;
	}
	if (x->rq->dst)
		memcpy((char *)x->rq->dst + x->rs->got, p, take);
	else
		buf_add(x->rq->body, p, take);
	x->rs->got += take;
	if (x->rs->got == x->want && x->rq->ranged && more_coming(x)) {
		/* all we asked for: do not read the rest of a whole object, nor more than asked of
		 * a server that answers a suffix range with another (s3rver sends bytes 0-N). Only
		 * then: a transfer cut short closes its connection. */
		x->stop = 1;
		return 0;
	}
	return size * n;
}

/* The stall watchdog: libcurl's low-speed limit averages over a window and let a body that
 * stopped after its first bytes hang for several times the limit; this counts from the last
 * byte that arrived. */
struct watch {
	curl_off_t seen;
	double last;    /* seconds, CLOCK_MONOTONIC */
	double limit;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct watch *w = arg;
	double t = now_s();

	if (dlnow != w->seen || !w->last) {
		w->seen = dlnow;
		w->last = t;
		return 0;
	}
	return t - w->last > w->limit; /* nonzero aborts: CURLE_ABORTED_BY_CALLBACK */
}

static double timeout_s(void)
{
	const char *v = getenv("CKPT_HTTP_TIMEOUT");
	double t = v && *v ? strtod(v, NULL) : 0;
	return t > 0 ? t : 0;
}

static struct curl_slist *set_options(CURL *h, const struct http_request *rq, struct xfer *x,
				      struct watch *w, char range[48])
{
	struct curl_slist *hl = NULL;
	double t = timeout_s();
	size_t i;

	w->seen = 0;
	w->last = 0;
	w->limit = t ? t : 30;
	p_curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	p_curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	p_curl_easy_setopt(h, CURLOPT_XFERINFODATA, w);

	p_curl_easy_setopt(h, CURLOPT_URL, rq->url);
	if (share)
		p_curl_easy_setopt(h, CURLOPT_SHARE, share);
	p_curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	p_curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	p_curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	p_curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	p_curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	p_curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)((t ? t : 10) * 1000));
	p_curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	p_curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, t ? (long)(t < 1 ? 1 : t) : 30L);
	p_curl_easy_setopt(h, CURLOPT_FILETIME, 1L);
	p_curl_easy_setopt(h, CURLOPT_USERAGENT, "ckpt");
	p_curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L << 10); /* fewer, larger writes */
	p_curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	p_curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	p_curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	p_curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	if (rq->head)
		p_curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (rq->ranged) {
		http_range_value(rq, range);
		p_curl_easy_setopt(h, CURLOPT_RANGE, range + 6); /* without "bytes=" */
	}
	for (i = 0; rq->headers && rq->headers[i]; i++)
		hl = p_curl_slist_append(hl, rq->headers[i]);
	if (hl)
		p_curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	return hl;
}

static int net_transient(CURLcode rc)
{
	/* not a timeout: a server that stalled once will stall again, and five waits are long */
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* After a try that got a response: the object's size, where the kept bytes start, and whether
 * the body was cut short. */
static int finish(CURL *h, struct xfer *x, int *truncated, struct ck_err *err)
{
	struct http_response *rs = x->rs;
	const struct http_request *rq = x->rq;
	long ft = -1;

	char *last = NULL;
	size_t n = strlen(rq->url);

	p_curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
	p_curl_easy_getinfo(h, CURLINFO_FILETIME, &ft);
	p_curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &last);
	rs->to_folder = last && strlen(last) == n + 1 && !strncmp(last, rq->url, n) && last[n] == '/';
	rs->mtime = ft;
	if (rs->status == 206) {
		if (!x->have_cr || (rq->ranged && !rq->suffix && x->cr_first != rq->off))
			return ck_error(err, CK_EIO, "%s: the server answered another range than "
					"the one asked", rq->display);
		rs->first = x->cr_first;
		rs->total = x->cr_total;
		*truncated = rs->got < x->cr_last - x->cr_first + 1 && rs->got < rq->cap;
	} else if (rs->status == 200 || (rq->head && rs->status < 300)) {
		rs->total = x->have_clen ? x->clen : rq->head ? UINT64_MAX : rs->got;
		*truncated = !rq->head && !x->stop && x->have_clen && !rq->ranged &&
			     rs->got < x->clen && rs->got < rq->cap;
	}
	return 0;
}

static const char *why_of(CURLcode rc, long status, int truncated, char *tmp, size_t n)
{
	if (truncated)
		return "truncated body";
	if (rc == CURLE_OK) {
		snprintf(tmp, n, "%ld", status);
		return tmp;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_ABORTED_BY_CALLBACK)
		return "timed out";
	if (rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING)
		return "connection reset";
	if (rc == CURLE_PARTIAL_FILE)
		return "truncated body";
	return p_curl_easy_strerror(rc);
}

/* One try: 0 with rs filled, 1 when it failed in a way worth retrying (why filled), or a
 * negative ck code. */
static int try_once(CURL *h, const struct http_request *rq, struct http_response *rs,
		    size_t body0, char *why, size_t whyn, unsigned *retry_after_ms,
		    struct ck_err *err)
{
	struct xfer x = { .rq = rq, .rs = rs, .retry_after_ms = retry_after_ms };
	struct watch w;
	struct curl_slist *hl;
	char range[48], tmp[32];
	CURLcode rc;
	int truncated = 0, r;

	memset(rs, 0, sizeof(*rs));
	rs->total = UINT64_MAX;
	rs->mtime = -1;
	if (rq->body)
		rq->body->len = body0;
	hl = set_options(h, rq, &x, &w, range);
	rc = p_curl_easy_perform(h);
	p_curl_slist_free_all(hl);
	if (x.refuse)
		return ck_error(err, CK_EUNSUP, "%s: the server ignores Range requests (it answered "
				"200 with the whole object); ckpt reads remote files by ranges",
				rq->display);
	if (x.too_big)
		return ck_error(err, CK_EUSAGE, "%s: larger than %zu bytes", rq->display, rq->cap);
	if (rc == CURLE_WRITE_ERROR && x.stop)
		rc = CURLE_OK;
	if (rc == CURLE_OK && (r = finish(h, &x, &truncated, err)) < 0)
		return r;
	if (rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_ABORTED_BY_CALLBACK)
		return ck_error(err, CK_EIO, "%s: timed out: the server stopped answering "
				"(CKPT_HTTP_TIMEOUT sets how long to wait)", rq->display);
	if (rc != CURLE_OK && !net_transient(rc))
		return ck_error(err, CK_EIO, "%s: %s", rq->display, p_curl_easy_strerror(rc));
	if (!http_retryable(rc == CURLE_OK ? rs->status : 0, rc != CURLE_OK, truncated))
		return 0;
	snprintf(why, whyn, "%s", why_of(rc, rs->status, truncated, tmp, sizeof(tmp)));
	return 1;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int http_fetch(const struct http_request *rq, struct http_response *rs, struct ck_err *err)
{
	CURL *h = thread_handle(err);
	size_t body0 = rq->body ? rq->body->len : 0;
	char why[128];
	unsigned after = 0;
	int attempt, r = 1;

	if (!h)
		return err ? err->code : CK_EUNSUP;
	for (attempt = 1; attempt <= HTTP_TRIES; attempt++) {
		if (attempt > 1) {
			if (http_on_retry)
				http_on_retry(rq->display, why, attempt, HTTP_TRIES);
			/* the server's Retry-After when it says a longer pause */
			sleep_ms(after > http_backoff_ms(attempt) ? after : http_backoff_ms(attempt));
		}
		after = 0;
		r = try_once(h, rq, rs, body0, why, sizeof(why), &after, err);
		if (r <= 0)
			return r;
	}
	if (rs->status >= 400)
		return http_status_error(rq->display, rs->status, "(after 5 tries)", err);
	return ck_error(err, CK_EIO, "%s: %s (after %d tries)", rq->display, why, HTTP_TRIES);
}
