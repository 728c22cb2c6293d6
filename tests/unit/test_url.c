/* url: endpoints, request paths and display forms of https://, s3:// and gs:// paths. */
#include <stdlib.h>
#include <string.h>

#include "store/url.h"
#include "tap.h"

static char *request_of(const char *s)
{
	struct ck_url u;
	struct ck_err err;
	char *r;

	if (ck_url_parse(s, &u, &err) < 0)
		return xasprintf("error: %s", err.msg);
	r = ck_url_request(&u);
	ck_url_release(&u);
	return r;
}

#define is_str(got, want, ...)                                                     \
	do {                                                                       \
		char *g_ = (got);                                                  \
		ok(g_ && !strcmp(g_, want), __VA_ARGS__);                          \
		if (!g_ || strcmp(g_, want))                                       \
			printf("#   got \"%s\", want \"%s\"\n", g_ ? g_ : "(null)", want); \
		free(g_);                                                          \
	} while (0)

static void test_s3(void)
{
	struct ck_url u;
	struct ck_err err;

	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_S3");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
	is_str(request_of("s3://bkt/run/model.ckpt-5.index"),
	       "https://bkt.s3.us-east-1.amazonaws.com/run/model.ckpt-5.index",
	       "s3: virtual-hosted at AWS, us-east-1 by default");
	setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
	is_str(request_of("s3://bkt/k"), "https://bkt.s3.eu-west-1.amazonaws.com/k",
	       "the region from AWS_DEFAULT_REGION");
	setenv("AWS_REGION", "eu-central-1", 1);
	is_str(request_of("s3://bkt/k"), "https://bkt.s3.eu-central-1.amazonaws.com/k",
	       "AWS_REGION before AWS_DEFAULT_REGION");
	is_str(request_of("s3://my.bucket/k"), "https://s3.eu-central-1.amazonaws.com/my.bucket/k",
	       "a bucket with a dot goes in the path");
	is_str(request_of("s3://bkt/my model/a+b=c&d~e.index"),
	       "https://bkt.s3.eu-central-1.amazonaws.com/my%20model/a%2Bb%3Dc%26d~e.index",
	       "keys are percent-encoded per S3's rules, '/' and unreserved kept");
	is_str(request_of("s3://bkt/caf\xc3\xa9"), "https://bkt.s3.eu-central-1.amazonaws.com/caf%C3%A9",
	       "UTF-8 bytes encoded one by one, upper-case hex");

	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4568/", 1);
	ok(ck_url_parse("s3://bkt/dir/x.index", &u, &err) == 0, "s3 with AWS_ENDPOINT_URL parses");
	ok(!strcmp(u.host, "127.0.0.1:4568") && u.path_style && !strcmp(u.bucket, "bkt") &&
		   !strcmp(u.key, "dir/x.index") && !strcmp(u.region, "eu-central-1"),
	   "host, bucket, key and region");
	ok(!strcmp(u.display, "s3://bkt/dir/x.index"), "shown as written");
	ck_url_release(&u);
	is_str(request_of("s3://bkt/dir/x.index"), "http://127.0.0.1:4568/bkt/dir/x.index",
	       "path-style at the endpoint");
	setenv("AWS_ENDPOINT_URL_S3", "http://minio:9000/s3", 1);
	is_str(request_of("s3://bkt/x"), "http://minio:9000/s3/bkt/x",
	       "AWS_ENDPOINT_URL_S3 first, its path kept before the bucket");
	setenv("AWS_ENDPOINT_URL_S3", "ftp://x", 1);
	ok(ck_url_parse("s3://bkt/x", &u, &err) == CK_EUSAGE &&
		   strstr(err.msg, "AWS_ENDPOINT_URL_S3"),
	   "an endpoint that is not http(s) is refused, naming the variable");
	unsetenv("AWS_ENDPOINT_URL_S3");
	ok(ck_url_parse("s3:///x", &u, &err) == CK_EUSAGE && strstr(err.msg, "no bucket"),
	   "s3:///x: no bucket");
	ok(ck_url_parse("s3://bkt", &u, &err) == 0 && !strcmp(u.key, ""), "s3://bkt: the root");
	ck_url_release(&u);
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
}

static void test_gs(void)
{
	unsetenv("STORAGE_EMULATOR_HOST");
	is_str(request_of("gs://bkt/bert/model.ckpt.index"),
	       "https://storage.googleapis.com/bkt/bert/model.ckpt.index", "gs: the XML API");
	setenv("STORAGE_EMULATOR_HOST", "http://127.0.0.1:4443", 1);
	is_str(request_of("gs://bkt/a b"), "http://127.0.0.1:4443/bkt/a%20b",
	       "STORAGE_EMULATOR_HOST replaces the endpoint");
	setenv("STORAGE_EMULATOR_HOST", "localhost:4443", 1);
	is_str(request_of("gs://bkt/k"), "http://localhost:4443/bkt/k",
	       "an emulator host without a scheme is http");
	unsetenv("STORAGE_EMULATOR_HOST");
}

static void test_http(void)
{
	struct ck_url u;
	struct ck_err err;
	struct buf tmp = BUF_INIT;

	ok(ck_url_parse("https://user:secret@example.com:8443/a/b%20c.index?X-Amz-Signature=abc",
			&u, &err) == 0,
	   "https with credentials and a query parses");
	ok(!strcmp(u.host, "example.com:8443") && !strcmp(u.key, "a/b%20c.index") &&
		   !strcmp(u.query, "X-Amz-Signature=abc"),
	   "host without credentials, path as written, query kept for the request");
	ok(!strcmp(u.display, "https://example.com:8443/a/b%20c.index"),
	   "shown without credentials or query");
	ok(!strstr(u.display, "secret") && !strstr(u.display, "Signature"), "no secret in the display");
	ck_url_release(&u);
	is_str(request_of("http://127.0.0.1:8080/x/y.index"), "http://127.0.0.1:8080/x/y.index",
	       "http: requested as written");
	is_str(request_of("HTTP://h"), "HTTP://h/", "a scheme in capitals, no path");
	ok(ck_url_parse("https:///x", &u, &err) == CK_EUSAGE && strstr(err.msg, "no host"),
	   "no host: a usage error");
	ok(ck_url_parse("https://user@/x", &u, &err) == CK_EUSAGE, "credentials but no host");
	ok(ck_url_scheme_of("model.ckpt") == CK_URL_NONE && ck_url_scheme_of("s3:/x") == CK_URL_NONE &&
		   ck_url_scheme_of("gs://b") == CK_URL_GS,
	   "scheme detection");
	ok(!strcmp(ck_url_display("run/model.ckpt", &tmp), "run/model.ckpt"), "a local path shown as is");
	ok(!strcmp(ck_url_display("s3://b/k?v", &tmp), "s3://b/k?v"), "an s3 key with '?' shown whole");
	buf_release(&tmp);
}

static void test_hidden(void)
{
	char arg[] = "http://al:pw%40x@127.0.0.1:81/d/m.index", other[] = "http://h/x";
	struct ck_url u;
	struct ck_err err;

	ok(ck_url_hide_userinfo(arg) == 1 && !strcmp(arg, "http://127.0.0.1:81/d/m.index"),
	   "credentials taken out of the argument, in place");
	ok(ck_url_hide_userinfo(other) == 0 && ck_url_hide_userinfo(arg) == 0, "none in others");
	ok(ck_url_parse("http://127.0.0.1:81/d/m.data-00000-of-00001", &u, &err) == 0 &&
		   !strcmp(u.base, "http://al:pw%40x@127.0.0.1:81") &&
		   !strcmp(u.display, "http://127.0.0.1:81/d/m.data-00000-of-00001"),
	   "and put back in requests to the same host, never in the display");
	ck_url_release(&u);
	ok(ck_url_parse("http://127.0.0.1:82/x", &u, &err) == 0 && !strchr(u.base, '@'),
	   "not to another port");
	ck_url_release(&u);
}

static void test_encode(void)
{
	struct buf b = BUF_INIT;

	ck_url_encode(&b, "a/b c", 5, 0);
	ok(b.len == 9 && !memcmp(b.p, "a%2Fb%20c", 9), "a query value encodes '/'");
	buf_reset(&b);
	ck_url_encode(&b, "AZaz09-_.~!*'()", 15, 1);
	ok(b.len == 25 && !memcmp(b.p, "AZaz09-_.~%21%2A%27%28%29", 25),
	   "unreserved kept, sub-delimiters encoded (S3, not RFC 3986 paths)");
	buf_release(&b);
}

int main(void)
{
	test_s3();
	test_gs();
	test_http();
	test_hidden();
	test_encode();
	return tap_done();
}
