/* par: both halves run, and the helper thread's stack holds what its jobs put there (stats_add
 * keeps ~200 KiB of blocks on the stack) even where the default thread stack is small: the
 * test runs itself again under a 256 KiB `ulimit -s`, which glibc takes as that default;
 * par_chunks does every chunk, or stops at the first failure with every chunk below it done. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/par.h"
#include "tap.h"

struct half {
	int ran;
	size_t stack;   /* the stack size of the thread that ran it */
};

static void job(void *arg)
{
	struct half *h = arg;
	pthread_attr_t attr;

	h->ran = 1;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		pthread_attr_getstacksize(&attr, &h->stack);
		pthread_attr_destroy(&attr);
	}
}

/* par_chunks: each chunk marked by the argument that did it; chunk fail_at fails. */
#define NCHUNKS 5000
static unsigned char done_by[NCHUNKS];
static uint64_t fail_at = UINT64_MAX;

static int mark(void *arg, uint64_t c)
{
	if (c == fail_at)
		return -1;
	done_by[c] = (unsigned char)(*(int *)arg);
	return 0;
}

static void test_chunks(void)
{
	int one = 1, two = 2, who = -1, all = 1;
	uint64_t r = par_chunks(NCHUNKS, 1, mark, &one, &two, &who);

	for (size_t c = 0; c < NCHUNKS; c++)
		all &= done_by[c] != 0;
	ok(r == UINT64_MAX && all, "par_chunks did every chunk once");
	memset(done_by, 0, sizeof(done_by));
	fail_at = 1234;
	r = par_chunks(NCHUNKS, 1, mark, &one, &two, &who);
	all = 1;
	for (size_t c = 0; c < 1234; c++)
		all &= done_by[c] != 0;
	ok(r == 1234 && all && (who == 0 || who == 1), "a failed chunk: its number, every chunk "
	   "below it done (by %d)", who);
	memset(done_by, 0, sizeof(done_by));
	r = par_chunks(NCHUNKS, 0, mark, &one, &two, &who);
	ok(r == 1234 && who == 0 && done_by[0] == 1 && done_by[1233] == 1 && !done_by[1235],
	   "one thread: the first argument, stopped at the failure");
}

/* par_bg_start's thread is not par_both's: a background job waiting for a flag that a
 * par_both half sets sees it (on one shared thread, par_both would wait for the job first and
 * the job would give up after 5 s). */
static atomic_int flag, bg_saw;

static void bg_job(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5000 && !atomic_load(&flag); i++)
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	atomic_store(&bg_saw, atomic_load(&flag));
}

static void set_flag(void *arg)
{
	if (*(int *)arg)
		atomic_store(&flag, 1);
}

static void test_bg(void)
{
	int zero = 0, one = 1;

	par_bg_start(bg_job, NULL);
	par_both(set_flag, &zero, &one);
	par_bg_wait();
	ok(atomic_load(&bg_saw), "a background job runs beside par_both");
}

int main(int argc, char **argv)
{
	struct half a = { 0 }, b = { 0 };

	if (!getenv("TEST_PAR_SMALL_STACK")) {
		struct rlimit rl = { 256 << 10, 256 << 10 };
		if (getrlimit(RLIMIT_STACK, &rl) == 0 && (rl.rlim_cur = 256 << 10) &&
		    setrlimit(RLIMIT_STACK, &rl) == 0 && setenv("TEST_PAR_SMALL_STACK", "1", 1) == 0)
			execv(argv[0], argv);  /* on failure, go on with the usual stack */
	}
	(void)argc;
	par_both(job, &a, &b);
	ok(a.ran && b.ran, "par_both ran both halves");
	ok(b.stack >= (size_t)4 << 20, "the helper thread has a stack of %zu KiB (at least 4 MiB)%s",
	   b.stack >> 10, getenv("TEST_PAR_SMALL_STACK") ? " under ulimit -s 256" : "");
	test_chunks();
	test_bg();
	return tap_done();
}
