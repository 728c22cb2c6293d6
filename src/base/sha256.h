/* SHA-256 (FIPS 180-4) and HMAC-SHA-256 (RFC 2104), for signing S3 requests (store/sigv4.c).
 * Small and self-contained: loading libcrypto for a few hashes per request would cost more at
 * start-up than the hashing itself. */
#ifndef CKPT_SHA256_H
#define CKPT_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t total;     /* bytes hashed so far */
	uint8_t block[64];
	size_t fill;        /* bytes waiting in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *p, size_t n);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_LEN]);

/* The digest of p[0..n) in one call. */
void sha256(const void *p, size_t n, uint8_t out[SHA256_LEN]);

void hmac_sha256(const void *key, size_t klen, const void *msg, size_t n, uint8_t out[SHA256_LEN]);

/* out gets 2 * n lower-case hex digits and a NUL. */
void hex_lower(const uint8_t *p, size_t n, char *out);

#endif
