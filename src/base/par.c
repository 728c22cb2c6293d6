/* Helper threads (par.h). par_both hands its second half to one worker thread, started on
 * first use and kept until exit: a diff calls it for hundreds of tensors, and a thread made
 * per call costs more than the half of a small tensor it would take. */
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

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;  /* a job given, or a job done */
static void (*job_fn)(void *);
static void *job_arg;
static int job_pending;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int have_worker;

static void *worker(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (!job_pending)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		job_fn(job_arg);
		pthread_mutex_lock(&mu);
		job_pending = 0;
		pthread_cond_broadcast(&cv);
	}
	return NULL;
}

static void start_worker(void)
{
	pthread_t t;

	have_worker = !par_spawn(&t, worker, NULL) && !pthread_detach(t);
}

/* With mu held: the helper is free (a par_start job may still run). */
static void wait_idle(void)
{
	while (job_pending)
		pthread_cond_wait(&cv, &mu);
}

void par_both(void (*fn)(void *), void *a, void *b)
{
	pthread_once(&once, start_worker);
	if (!have_worker) {
		fn(a);
		fn(b);
		return;
	}
	pthread_mutex_lock(&mu);
	wait_idle();
	job_fn = fn;
	job_arg = b;
	job_pending = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	fn(a);
	pthread_mutex_lock(&mu);
	while (job_pending)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

void par_start(void (*fn)(void *), void *arg)
{
	pthread_once(&once, start_worker);
	if (!have_worker) {
		fn(arg);
		return;
	}
	pthread_mutex_lock(&mu);
	wait_idle();
	job_fn = fn;
	job_arg = arg;
	job_pending = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

void par_wait(void)
{
	pthread_mutex_lock(&mu);
	wait_idle();
	pthread_mutex_unlock(&mu);
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
