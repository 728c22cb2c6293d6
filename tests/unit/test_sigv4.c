/* sigv4: AWS's published Signature Version 4 examples (S3's "GET Object" with its canonical
 * request and string to sign, "GET Bucket (List Objects)", and the test suite's
 * get-vanilla-query-order-key-case), a session token, and the date form. */
#include <string.h>

#include "store/sigv4.h"
#include "tap.h"

static const struct sigv4_keys doc_keys = { "AKIAIOSFODNN7EXAMPLE",
					    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL };

static void test_get_object(void)
{
	struct sigv4_request r = { "GET", "examplebucket.s3.amazonaws.com", "/test.txt", NULL,
				   "bytes=0-9", SIGV4_EMPTY_HASH, "20130524T000000Z", "us-east-1",
				   "s3" };
	struct buf auth = BUF_INIT, creq = BUF_INIT, sts = BUF_INIT;
	const char *want_creq = "GET\n/test.txt\n\n"
				"host:examplebucket.s3.amazonaws.com\n"
				"range:bytes=0-9\n"
				"x-amz-content-sha256:" SIGV4_EMPTY_HASH "\n"
				"x-amz-date:20130524T000000Z\n\n"
				"host;range;x-amz-content-sha256;x-amz-date\n" SIGV4_EMPTY_HASH;
	const char *want_sts = "AWS4-HMAC-SHA256\n20130524T000000Z\n"
			       "20130524/us-east-1/s3/aws4_request\n"
			       "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972";

	sigv4_sign(&r, &doc_keys, &auth, &creq, &sts);
	is_mem(creq.p, creq.len, want_creq, strlen(want_creq), "GET Object: the canonical request");
	is_mem(sts.p, sts.len, want_sts, strlen(want_sts), "GET Object: the string to sign");
	ok(!strcmp((char *)auth.p,
		   "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
		   "aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
		   "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"),
	   "GET Object: the Authorization header");
	ok(!strstr((char *)auth.p, doc_keys.secret_key) && !strstr((char *)creq.p, "wJalr") &&
		   !strstr((char *)sts.p, "wJalr"),
	   "the secret is in none of them");
	buf_release(&auth);
	buf_release(&creq);
	buf_release(&sts);
}

static void test_list(void)
{
	/* the query in the other order: signing sorts it */
	struct sigv4_request r = { "GET", "examplebucket.s3.amazonaws.com", "/", "prefix=J&max-keys=2",
				   NULL, SIGV4_EMPTY_HASH, "20130524T000000Z", "us-east-1", "s3" };
	struct buf auth = BUF_INIT, creq = BUF_INIT;

	sigv4_sign(&r, &doc_keys, &auth, &creq, NULL);
	ok(strstr((char *)creq.p, "\n/\nmax-keys=2&prefix=J\n") != NULL,
	   "List Objects: the query sorted in the canonical request");
	ok(strstr((char *)auth.p, "SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature="
				  "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
	   "List Objects: the published signature");
	buf_release(&auth);
	buf_release(&creq);
}

static void test_suite(void)
{
	static const struct sigv4_keys suite = { "AKIDEXAMPLE",
						 "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL };
	struct sigv4_request r = { "GET", "example.amazonaws.com", "/", "Param2=value2&Param1=value1",
				   NULL, NULL, "20150830T123600Z", "us-east-1", "service" };
	struct buf auth = BUF_INIT;

	sigv4_sign(&r, &suite, &auth, NULL, NULL);
	ok(!strcmp((char *)auth.p,
		   "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request,"
		   "SignedHeaders=host;x-amz-date,"
		   "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
	   "get-vanilla-query-order-key-case (no content hash header)");
	buf_release(&auth);
}

static void test_token(void)
{
	struct sigv4_keys k = doc_keys;
	struct sigv4_request r = { "HEAD", "h:9000", "/b/k", NULL, NULL, "UNSIGNED-PAYLOAD",
				   "20130524T000000Z", "us-east-1", "s3" };
	struct buf auth = BUF_INIT, creq = BUF_INIT, plain = BUF_INIT;

	sigv4_sign(&r, &k, &plain, NULL, NULL);
	k.session_token = "TOKEN123";
	sigv4_sign(&r, &k, &auth, &creq, NULL);
	ok(strstr((char *)creq.p, "x-amz-security-token:TOKEN123\n") &&
		   strstr((char *)auth.p, "SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
					  "x-amz-security-token,"),
	   "a session token is a signed header");
	ok(strstr((char *)creq.p, "\nUNSIGNED-PAYLOAD") && strcmp((char *)auth.p, (char *)plain.p),
	   "UNSIGNED-PAYLOAD is the payload line, and the token changes the signature");
	buf_release(&auth);
	buf_release(&creq);
	buf_release(&plain);
}

int main(void)
{
	char d[17];

	test_get_object();
	test_list();
	test_suite();
	test_token();
	sigv4_date(1369353600, d);
	ok(!strcmp(d, "20130524T000000Z"), "x-amz-date of 2013-05-24 00:00:00 UTC");
	return tap_done();
}
