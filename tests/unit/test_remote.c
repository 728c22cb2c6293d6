/* remote and http against a small HTTP server run by the test itself on 127.0.0.1: range
 * reads and how many requests they make, an index read in few requests, S3 listing and
 * signatures, retries on 503 and truncated bodies, a server that ignores Range, 404 hints. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "store/file.h"
#include "store/http.h"
#include "store/remote.h"
#include "tap.h"

#ifndef CURL_SONAME
#define CURL_SONAME "libcurl.so.4"
#endif

struct object {
	const char *key; /* path after the bucket, e.g. "run/m.index" */
	uint8_t *p;
	size_t n;
};

static struct object objs[5];
static int nobjs;
static int port;
static int fail_503;      /* answer this many requests with 503 */
static int truncate_next; /* send half of the next body, then close */
static int ignore_range;
static int retry_after;   /* 503s say Retry-After: 1 */
static int requests;
static char last_auth[512], last_range[64], last_target[512], last_method[8];

static struct object *find_obj(const char *key)
{
	int i;
	for (i = 0; i < nobjs; i++)
		if (!strcmp(objs[i].key, key))
			return &objs[i];
	return NULL;
}

static void send_all(int fd, const void *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL); /* the client may hang up early */
		if (w <= 0)
			return;
		p = (const char *)p + w;
		n -= (size_t)w;
	}
}

static void reply(int fd, int status, const char *extra, const void *body, size_t n, int head)
{
	char h[512];
	int k = snprintf(h, sizeof(h), "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n", status, n,
			 extra ? extra : "");
	send_all(fd, h, (size_t)k);
	if (!head)
		send_all(fd, body, n);
}

static void list_reply(int fd, const char *query)
{
	char xml[4096], prefix[256] = "";
	const char *p = strstr(query, "prefix=");
	int i, k;

	if (p) {
		size_t c, j;
		sscanf(p + 7, "%255[^&]", prefix);
		for (c = j = 0; prefix[c]; j++) /* percent-decoded */
			if (prefix[c] == '%' && prefix[c + 1] && prefix[c + 2]) {
				char hex[3] = { prefix[c + 1], prefix[c + 2], 0 };
				prefix[j] = (char)strtol(hex, NULL, 16);
				c += 3;
			} else {
				prefix[j] = prefix[c++];
			}
		prefix[j] = 0;
	}
	k = snprintf(xml, sizeof(xml), "<ListBucketResult><IsTruncated>false</IsTruncated>");
	for (i = 0; i < nobjs; i++)
		if (!strncmp(objs[i].key, prefix, strlen(prefix)) && !strchr(objs[i].key + strlen(prefix), '/'))
			k += snprintf(xml + k, sizeof(xml) - (size_t)k,
				      "<Contents><Key>%s</Key><Size>%zu</Size></Contents>", objs[i].key,
				      objs[i].n);
	k += snprintf(xml + k, sizeof(xml) - (size_t)k, "</ListBucketResult>");
	reply(fd, 200, NULL, xml, (size_t)k, 0);
}

/* One request on fd: 0 to go on with the connection, -1 to close it. */
static int serve_one(int fd)
{
	char req[8192], method[8], target[512], *line, *save;
	size_t n = 0;
	struct object *o;
	uint64_t a = 0, b = 0;
	int head;

	while (n < sizeof(req) - 1) {
		ssize_t r = read(fd, req + n, 1);
		if (r <= 0)
			return -1;
		n++;
		if (n >= 4 && !memcmp(req + n - 4, "\r\n\r\n", 4))
			break;
	}
	req[n] = 0;
	requests++;
	last_auth[0] = last_range[0] = 0;
	sscanf(req, "%7s %511s", method, target);
	snprintf(last_target, sizeof(last_target), "%s", target);
	for (line = strtok_r(req, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
		if (!strncasecmp(line, "Authorization: ", 15))
			snprintf(last_auth, sizeof(last_auth), "%s", line + 15);
		if (!strncasecmp(line, "Range: ", 7))
			snprintf(last_range, sizeof(last_range), "%s", line + 7);
	}
	head = !strcmp(method, "HEAD");
	snprintf(last_method, sizeof(last_method), "%s", method);
	if (fail_503 > 0) {
		fail_503--;
		reply(fd, 503, retry_after ? "Retry-After: 1\r\n" : NULL, "busy", 4, head);
		return 0;
	}
	/* path-style: /bkt/KEY or /bkt?list-type=2... */
	if (!strncmp(target, "/bkt?", 5)) {
		list_reply(fd, target + 5);
		return 0;
	}
	o = !strncmp(target, "/bkt/", 5) ? find_obj(target + 5) : NULL;
	if (!o) {
		reply(fd, 404, NULL, "no", 2, head);
		return 0;
	}
	if (last_range[0] && !ignore_range) {
		char cr[128];
		if (last_range[6] == '-') {
			uint64_t s = strtoull(last_range + 7, NULL, 10);
			a = s >= o->n ? 0 : o->n - s;
			b = o->n - 1;
		} else {
			sscanf(last_range + 6, "%lu-%lu", &a, &b);
			if (b >= o->n)
				b = o->n - 1;
		}
		snprintf(cr, sizeof(cr), "Content-Range: bytes %lu-%lu/%zu\r\n", a, b, o->n);
		if (truncate_next) {
			char h[256];
			int k = snprintf(h, sizeof(h), "HTTP/1.1 206 X\r\nContent-Length: %lu\r\n%s\r\n",
					 b - a + 1, cr);
			truncate_next = 0;
			send_all(fd, h, (size_t)k);
			send_all(fd, o->p + a, (size_t)(b - a + 1) / 2);
			return -1;
		}
		reply(fd, 206, cr, o->p + a, (size_t)(b - a + 1), head);
		return 0;
	}
	reply(fd, 200, NULL, o->p, o->n, head);
	return 0;
}

/* One connection (a thread each: the prefetcher holds one beside the reader's). Requests
 * are served one at a time across connections, so the counters and faults stay simple. */
static pthread_mutex_t serve_mu = PTHREAD_MUTEX_INITIALIZER;

static void *connection(void *arg)
{
	int fd = (int)(intptr_t)arg, go;

	do {
		pthread_mutex_lock(&serve_mu);
		go = serve_one(fd) == 0;
		pthread_mutex_unlock(&serve_mu);
	} while (go);
	close(fd);
	return NULL;
}

static void *server(void *arg)
{
	int ls = *(int *)arg;

	for (;;) {
		pthread_t t;
		int fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		pthread_create(&t, NULL, connection, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
	return NULL;
}

static void start_server(void)
{
	static int ls;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	pthread_t t;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(ls, (struct sockaddr *)&sa, sizeof(sa));
	listen(ls, 8);
	getsockname(ls, (struct sockaddr *)&sa, &sl);
	port = ntohs(sa.sin_port);
	pthread_create(&t, NULL, server, &ls);
	pthread_detach(t);
}

static void add_obj(const char *key, size_t n)
{
	size_t i;
	objs[nobjs].key = key;
	objs[nobjs].p = malloc(n);
	for (i = 0; i < n; i++)
		objs[nobjs].p[i] = (uint8_t)(i * 7 + i / 251);
	objs[nobjs].n = n;
	nobjs++;
}

static int retries_seen;
static char retry_msg[256];
static void on_retry(const char *display, const char *why, int attempt, int tries)
{
	retries_seen++;
	snprintf(retry_msg, sizeof(retry_msg), "retrying %s (%s), %d of %d", display, why, attempt,
		 tries);
}

static int collect(void *arg, const char *name)
{
	struct buf *b = arg;
	buf_addf(b, "%s;", name);
	return 0;
}

static char *s3(const char *key)
{
	return xasprintf("s3://bkt/%s", key);
}

static void test_policy(void)
{
	ok(http_retryable(503, 0, 0) && http_retryable(500, 0, 0) && http_retryable(429, 0, 0),
	   "5xx and 429 are retried");
	ok(!http_retryable(404, 0, 0) && !http_retryable(403, 0, 0) && !http_retryable(200, 0, 0) &&
		   !http_retryable(501, 0, 0),
	   "404, 403, 200 and 501 are not");
	ok(http_retryable(0, 1, 0) && http_retryable(206, 0, 1), "resets and truncated bodies are");
	ok(http_backoff_ms(2) == 100 && http_backoff_ms(3) == 200 && http_backoff_ms(5) == 800 &&
		   http_backoff_ms(30) == 5000,
	   "the pause doubles from 100 ms, at most 5 s");
}

static void test_reads(void)
{
	struct ck_file *f;
	struct ck_err err;
	struct ck_stat st;
	static uint8_t buf[1300000];
	char *u;
	int r0;

	u = s3("run/m.index");
	r0 = requests;
	ok(remote_stat(u, &st, &err) == 0 && st.kind == CK_STORE_FILE && st.size == 200000,
	   "stat of an index: a file and its size");
	ok(remote_open(u, &f, &err) == 0 && f->size == 200000, "open after stat");
	is_int(requests - r0, 1, "stat and open together: one request (the tail)");
	ok(ck_file_pread(f, buf, 48, 200000 - 48, &err) == 48 && !memcmp(buf, objs[0].p + 200000 - 48, 48),
	   "the footer comes from the tail");
	ok(ck_file_pread(f, buf, 4096, 1000, &err) == 4096 && !memcmp(buf, objs[0].p + 1000, 4096),
	   "a block before the tail");
	ok(ck_file_pread(f, buf, 4096, 50000, &err) == 4096 && !memcmp(buf, objs[0].p + 50000, 4096),
	   "another");
	ok(ck_file_pread(f, buf, 200000, 0, &err) == 200000 && !memcmp(buf, objs[0].p, 200000),
	   "the whole index");
	is_int(requests - r0, 3, "an index read block by block: three requests in all");
	f->ops->close(f);
	free(u);

	u = s3("run/checkpoint");
	r0 = requests;
	ok(remote_stat(u, &st, &err) == 0 && st.kind == CK_STORE_FILE && st.size == 40,
	   "stat of a small file");
	ok(remote_open(u, &f, &err) == 0 && ck_file_pread(f, buf, 40, 0, &err) == 40 &&
		   !memcmp(buf, objs[2].p, 40),
	   "open and read it");
	f->ops->close(f);
	ok(remote_open(u, &f, &err) == 0 && ck_file_pread(f, buf, 10, 5, &err) == 10, "and again");
	f->ops->close(f);
	is_int(requests - r0, 1, "one request for all of that (its first bytes came with stat)");
	free(u);

	u = s3("run/m.data-00000-of-00001");
	r0 = requests;
	ok(remote_open(u, &f, &err) == 0 && f->size == 1300000, "open of a data file (HEAD)");
	ok(!strcmp(last_method, "HEAD"), "by HEAD, reading none of its bytes");
	ok(ck_file_pread(f, buf, 1000, 123456, &err) == 1000 && !memcmp(buf, objs[1].p + 123456, 1000),
	   "one tensor's bytes");
	ok(!strcmp(last_range, "bytes=123456-124455"), "exactly its range asked");
	is_int(requests - r0, 2, "two requests");
	ok(ck_file_pread(f, buf, 100, 1299950, &err) == 50, "a read past the end is short");
	f->ops->advise(f, 0, 1300000);
	r0 = requests;
	ok(ck_file_pread(f, buf, 1300000, 0, &err) == 1300000 && !memcmp(buf, objs[1].p, 1300000),
	   "a streamed read of the whole file");
	is_int(requests - r0, 1, "in one request");
	f->ops->close(f);
	free(u);
}

static void test_stream(void)
{
	static uint8_t buf[256 << 10];
	struct ck_file *f;
	struct ck_err err;
	char *u = s3("run/big.data-00000-of-00001");
	uint64_t off;
	int r0, same = 1;

	ok(remote_open(u, &f, &err) == 0 && f->size == 10u << 20, "open of a 10 MiB shard");
	f->ops->advise(f, 0, 0);
	r0 = requests;
	for (off = 0; off < f->size; off += sizeof(buf))
		same &= ck_file_pread(f, buf, sizeof(buf), off, &err) == (long long)sizeof(buf) &&
			!memcmp(buf, objs[3].p + off, sizeof(buf));
	ok(same, "streamed in 256 KiB reads, every byte right (prefetched windows included)");
	ok(requests - r0 <= 7, "in few requests (%d)", requests - r0);
	f->ops->close(f);

	ok(remote_open(u, &f, &err) == 0, "again");
	f->ops->advise(f, 0, 0);
	for (off = 0; off < (6u << 20); off += sizeof(buf))
		ck_file_pread(f, buf, sizeof(buf), off, &err);
	f->ops->close(f); /* with a prefetch maybe in flight: close waits for it */
	ok(1, "closed while reading ahead");

	ok(remote_open(u, &f, &err) == 0, "and again");
	f->ops->advise(f, 0, 0);
	r0 = requests;
	ok(ck_file_pread(f, buf, 1000, 5000000, &err) == 1000 && !memcmp(buf, objs[3].p + 5000000, 1000),
	   "a lone read in an advised file");
	usleep(200000);
	is_int(requests - r0, 1, "reads its bytes and nothing ahead");
	ok(!strcmp(last_range, "bytes=5000000-5000999"), "exactly its range");
	f->ops->close(f);
	free(u);
}

static void test_s3(void)
{
	struct ck_err err;
	struct ck_stat st;
	struct ck_file *f;
	struct buf names = BUF_INIT;
	char *u;

	ok(remote_list("s3://bkt/run/", collect, &names, &err) == 0, "listing a folder");
	ok(names.len && strstr((char *)names.p, "m.index;") &&
		   strstr((char *)names.p, "m.data-00000-of-00001;"),
	   "its names, relative to it (%s)", names.len ? (char *)names.p : "");
	ok(!strstr(last_auth, "AWS4"), "anonymous without keys: no Authorization");
	buf_release(&names);

	u = s3("run/nothing.index");
	ok(remote_stat(u, &st, &err) == 0 && st.kind == CK_STORE_MISSING, "a missing object: MISSING");
	ok(remote_open(u, &f, &err) == CK_ENOTFOUND, "opening it: not found");
	ok(strstr(err.msg, "s3://bkt/run/nothing.index: 404: no such object; is the prefix right?") &&
		   strstr(err.msg, "objects under s3://bkt/run/: "),
	   "with the objects beside in the hint: %s", err.msg);
	free(u);

	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secret-that-must-not-show", 1);
	u = s3("run/other");
	ok(remote_stat(u, &st, &err) == 0 && st.kind == CK_STORE_MISSING, "a signed HEAD");
	ok(!strncmp(last_auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 40),
	   "carries a SigV4 Authorization");
	ok(remote_open(u, &f, &err) < 0 && !strstr(err.msg, "secret-that"), "no secret in the error");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	free(u);
}

static void test_faults(void)
{
	struct ck_err err;
	struct ck_file *f;
	uint8_t buf[5000];
	char *u = s3("run/m.data-00000-of-00001");
	char *v = xasprintf("http://127.0.0.1:%d/bkt/run/m.data-00000-of-00001", port);

	http_on_retry = on_retry;
	setenv("CKPT_HTTP_TIMEOUT", "2", 1);
	ok(remote_open(u, &f, &err) == 0, "open");
	fail_503 = 2;
	ok(ck_file_pread(f, buf, 5000, 777, &err) == 5000 && !memcmp(buf, objs[1].p + 777, 5000),
	   "two 503s, then the bytes");
	is_int(retries_seen, 2, "two retries reported");
	ok(!strcmp(retry_msg, "retrying s3://bkt/run/m.data-00000-of-00001 (503), 3 of 5"),
	   "as \"%s\"", retry_msg);
	truncate_next = 1;
	ok(ck_file_pread(f, buf, 3000, 90001, &err) == 3000 && !memcmp(buf, objs[1].p + 90001, 3000),
	   "a truncated body is retried");
	{
		struct timespec t0, t1;
		fail_503 = 1;
		retry_after = 1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ok(ck_file_pread(f, buf, 100, 700000, &err) == 100 && !fail_503, "a 503 with Retry-After: 1");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ok(t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9 >= 0.95,
		   "is retried after the second it asks for, not the 100 ms backoff");
		retry_after = 0;
	}
	fail_503 = 9;
	ok(ck_file_pread(f, buf, 100, 5, &err) == CK_EIO && strstr(err.msg, "503") &&
		   strstr(err.msg, "after 5 tries"),
	   "503 five times: an error (%s)", err.msg);
	fail_503 = 0;
	f->ops->close(f);

	ignore_range = 1;
	ok(remote_open(v, &f, &err) == 0, "http: open (HEAD)");
	ok(ck_file_pread(f, buf, 100, 1000, &err) == 100 && !memcmp(buf, objs[1].p + 1000, 100),
	   "a server that ignores Range: a range near the start is read from the whole body");
	ok(ck_file_pread(f, buf, 100, 1200000, &err) == CK_EUNSUP &&
		   strstr(err.msg, "ignores Range"),
	   "far in, a clear error rather than reading the object (%s)", err.msg);
	ignore_range = 0;
	f->ops->close(f);
	ok(remote_list(v, collect, NULL, &err) == CK_EUNSUP, "an http folder cannot be listed");
	free(u);
	free(v);
}

/* A local read must not load libcurl (its start-up is what local commands are spared). */
static void test_local_only(void)
{
	struct ck_file *f;
	struct ck_err err;
	char path[] = "/tmp/ckpt-test-remote-XXXXXX";
	int fd = mkstemp(path);

	ok(fd >= 0 && write(fd, "abc", 3) == 3, "a local file");
	char got[3];

	ok(ck_file_open(path, &f, &err) == 0 && ck_file_pread(f, got, 3, 0, &err) == 3 &&
		   !memcmp(got, "abc", 3),
	   "opened and read through the store");
	ck_file_close(f);
	ok(!dlopen(CURL_SONAME, RTLD_NOW | RTLD_NOLOAD), "and libcurl is not loaded");
	unlink(path);
	close(fd);
}

int main(void)
{
	char ep[64];

	add_obj("run/m.index", 200000);
	add_obj("run/m.data-00000-of-00001", 1300000);
	add_obj("run/checkpoint", 40);
	add_obj("run/big.data-00000-of-00001", 10u << 20);
	start_server();
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", port);
	setenv("AWS_ENDPOINT_URL", ep, 1);
	unsetenv("AWS_ACCESS_KEY_ID");
	test_local_only();
	test_policy();
	test_reads();
	test_stream();
	test_s3();
	test_faults();
	ok(dlopen(CURL_SONAME, RTLD_NOW | RTLD_NOLOAD) != NULL,
	   "libcurl is loaded once a URL was read (the check above can fail)");
	return tap_done();
}
