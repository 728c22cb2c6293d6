/* par: both halves run, and the helper thread's stack holds what its jobs put there (stats_add
 * keeps ~200 KiB of blocks on the stack) even where the default thread stack is small: the
 * test runs itself again under a 256 KiB `ulimit -s`, which glibc takes as that default. */
#include <pthread.h>
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
	return tap_done();
}
