/* Small copies carved out of large blocks (pool.h). */
#include "base/pool.h"

#include <stdint.h>
#include <string.h>

#include "base/util.h"

#define POOL_BLOCK (256u << 10)

struct pool_block {
	struct pool_block *next;
	size_t used, cap;
	_Alignas(16) unsigned char p[];
};

void *pool_alloc(struct pool *p, size_t n)
{
	struct pool_block *b = p->head;
	size_t need = (n + 7) & ~(size_t)7;
	void *q;

	if (n > SIZE_MAX / 2)
		return xmalloc(n);  /* cannot be had: xmalloc's out-of-memory path */
	if (!b || need > b->cap - b->used) {
		size_t cap = need > POOL_BLOCK ? need : POOL_BLOCK;
		b = xmalloc(sizeof(*b) + cap);
		b->used = 0;
		b->cap = cap;
		/* A block bigger than the rest goes behind the one being filled: its space stays. */
		if (p->head && cap > POOL_BLOCK) {
			b->next = p->head->next;
			p->head->next = b;
			b->used = need;
			return b->p;
		}
		b->next = p->head;
		p->head = b;
	}
	q = b->p + b->used;
	b->used += need;
	return q;
}

void *pool_copy(struct pool *p, const void *src, size_t n)
{
	unsigned char *q = pool_alloc(p, n + 1);

	if (n)
		memcpy(q, src, n);
	q[n] = 0;
	return q;
}

void pool_release(struct pool *p)
{
	while (p->head) {
		struct pool_block *next = p->head->next;
		free(p->head);
		p->head = next;
	}
}
