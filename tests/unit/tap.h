/* A minimal TAP producer for unit tests, read by prove(1). */
#ifndef CKPT_TAP_H
#define CKPT_TAP_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...)                                                              \
	do {                                                                       \
		int ok_ = !!(cond);                                                \
		printf("%s %d - ", ok_ ? "ok" : "not ok", ++tap_n);                \
		printf(__VA_ARGS__);                                               \
		printf("\n");                                                      \
		if (!ok_) {                                                        \
			tap_failed++;                                              \
			printf("#   failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                  \
	} while (0)

#define is_int(got, want, ...)                                                     \
	do {                                                                       \
		long long g_ = (long long)(got), w_ = (long long)(want);           \
		ok(g_ == w_, __VA_ARGS__);                                         \
		if (g_ != w_)                                                      \
			printf("#   got %lld, want %lld\n", g_, w_);               \
	} while (0)

#define is_mem(got, gn, want, wn, ...)                                             \
	ok((size_t)(gn) == (size_t)(wn) && !memcmp((got), (want), (wn)), __VA_ARGS__)

/* Stop the whole test: set-up failed (TAP's "Bail out!"), saying why. */
static inline _Noreturn void tap_bail(const char *why)
{
	printf("Bail out! %s\n", why);
	exit(1);
}

/* xorshift64: reproducible random inputs, each test with its own seed in *state. */
static inline uint64_t tap_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
