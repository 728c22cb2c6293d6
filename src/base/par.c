/* Helper threads (par.h). par_both hands its second half to one worker thread, started on
 * first use and kept until exit: a diff calls it for hundreds of tensors, and a thread made
 * per call costs more than the half of a small tensor it would take. par_bg_start has a
 * second one, so that its job never waits for par_both's nor par_both for it. */
#include "base/par.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

/* The helper's stack. Its jobs keep blocks of 4096 elements on the stack (stats_add: about
 * 200 KiB with what it inlines), more than a thread gets by default on musl (128 KiB) or under
 * a small `ulimit -s` with glibc, which takes the default from it; so the size is set, as
 * large as a main thread's usual one (memory is only used as touched). */
#define PAR_STACK ((size_t)8 << 20)

/* pthread_create with every signal blocked in the new thread. 0, or -1 if none was made. */
static int par_spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	pthread_attr_t attr;
	int rc;

	if (pthread_attr_init(&attr))
		return -1;
	pthread_attr_setstacksize(&attr, PAR_STACK);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(t, &attr, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return rc ? -1 : 0;
}

/* A thread taking one job at a time. */
struct lane {
	pthread_mutex_t mu;
	pthread_cond_t cv;  /* a job given, or a job done */
	void (*fn)(void *);
	void *arg;
	int pending;
	pthread_once_t once;
	int have_worker;
};
#define LANE_INIT { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, NULL, 0, \
		    PTHREAD_ONCE_INIT, 0 }

static struct lane helper = LANE_INIT;  /* par_both, par_start */
static struct lane bg = LANE_INIT;      /* par_bg_start */

static void *worker(void *arg)
{
	struct lane *l = arg;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (!l->pending)
			pthread_cond_wait(&l->cv, &l->mu);
		pthread_mutex_unlock(&l->mu);
		l->fn(l->arg);
		pthread_mutex_lock(&l->mu);
		l->pending = 0;
		pthread_cond_broadcast(&l->cv);
	}
	return NULL;
}

static void lane_spawn(struct lane *l)
{
	pthread_t t;

	l->have_worker = !par_spawn(&t, worker, l) && !pthread_detach(t);
}

static void start_helper(void)
{
	lane_spawn(&helper);
}

static void start_bg(void)
{
	lane_spawn(&bg);
}

/* With l->mu held: the lane is free. */
static void wait_idle(struct lane *l)
{
	while (l->pending)
		pthread_cond_wait(&l->cv, &l->mu);
}

/* fn(arg) on l's thread (1), or nowhere (0: there is no thread; the caller runs it). */
static int lane_give(struct lane *l, void (*start)(void), void (*fn)(void *), void *arg)
{
	pthread_once(&l->once, start);
	if (!l->have_worker)
		return 0;
	pthread_mutex_lock(&l->mu);
	wait_idle(l);
	l->fn = fn;
	l->arg = arg;
	l->pending = 1;
	pthread_cond_broadcast(&l->cv);
	pthread_mutex_unlock(&l->mu);
	return 1;
}

static void lane_wait(struct lane *l)
{
	pthread_mutex_lock(&l->mu);
	wait_idle(l);
	pthread_mutex_unlock(&l->mu);
}

void par_both(void (*fn)(void *), void *a, void *b)
{
	if (!lane_give(&helper, start_helper, fn, b)) {
		fn(a);
		fn(b);
		return;
	}
	fn(a);
	lane_wait(&helper);
}

void par_start(void (*fn)(void *), void *arg)
{
	if (!lane_give(&helper, start_helper, fn, arg))
		fn(arg);
}

void par_wait(void)
{
	lane_wait(&helper);
}

void par_bg_start(void (*fn)(void *), void *arg)
{
	if (!lane_give(&bg, start_bg, fn, arg))
		fn(arg);
}

void par_bg_wait(void)
{
	lane_wait(&bg);
}

struct chunks {                 /* what both threads of par_chunks share */
	uint64_t n;
	int (*fn)(void *, uint64_t);
	atomic_uint_fast64_t next;  /* the next chunk to take */
	atomic_int stop;            /* a thread failed: take no more */
};

struct chunk_taker {
	struct chunks *t;
	void *arg;
	uint64_t failed_at;
};

static void take_chunks(void *arg)
{
	struct chunk_taker *k = arg;
	struct chunks *t = k->t;

	while (!atomic_load_explicit(&t->stop, memory_order_relaxed)) {
		uint64_t c = atomic_fetch_add_explicit(&t->next, 1, memory_order_relaxed);
		if (c >= t->n)
			return;
		if (t->fn(k->arg, c)) {
			k->failed_at = c;
			atomic_store_explicit(&t->stop, 1, memory_order_relaxed);
			return;
		}
	}
}

uint64_t par_chunks(uint64_t n, int two, int (*fn)(void *arg, uint64_t c), void *a, void *b,
		    int *who)
{
	struct chunks t = { .n = n, .fn = fn };
	struct chunk_taker k[2] = { { &t, a, UINT64_MAX }, { &t, b, UINT64_MAX } };
	int bad;

	atomic_init(&t.next, 0);
	atomic_init(&t.stop, 0);
	if (two && n >= 2)
		par_both(take_chunks, &k[0], &k[1]);
	else
		take_chunks(&k[0]);
	bad = k[1].failed_at < k[0].failed_at;
	if (who)
		*who = bad;
	return k[bad].failed_at;
}
