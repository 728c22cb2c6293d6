/* A pool of small copies that live and die together (names, shapes): carved out of 256 KiB
 * blocks, one allocation per block instead of one per copy. Blocks never move, so pointers
 * into them stay valid until pool_release. Not thread-safe. */
#ifndef CKPT_POOL_H
#define CKPT_POOL_H

#include <stddef.h>

struct pool_block;

struct pool {
	struct pool_block *head;   /* the block being filled, then older ones */
};

#define POOL_INIT { NULL }

/* n bytes, 8-byte aligned, uninitialised (n may be 0). */
void *pool_alloc(struct pool *p, size_t n);

/* A copy of the n bytes at src, with a NUL after them (as xmemdup). */
void *pool_copy(struct pool *p, const void *src, size_t n);

/* Free every block; the pool is empty (and usable) again. */
void pool_release(struct pool *p);

#endif
