/* Two cores at once: a job split in two halves run side by side. The helper thread takes no
 * signals: they go to the main thread, whose handlers remove temporary outputs. */
#ifndef CKPT_PAR_H
#define CKPT_PAR_H

#include <stdint.h>

/* fn(a) on this thread while fn(b) runs on a helper thread (one, kept for the process);
 * returns when both are done. One caller at a time. Without a helper (none could be made)
 * they run one after the other. */
void par_both(void (*fn)(void *), void *a, void *b);

/* fn(arg) on the helper thread while the caller goes on, until par_wait(): work that overlaps
 * with what the caller does next (a writer's copies with its index). One job at a time: a
 * second par_start, or a par_both, first waits for the first. Without a helper, fn runs here
 * and now. */
void par_start(void (*fn)(void *), void *arg);
void par_wait(void);

/* par_start and par_wait on a second helper thread of their own, for work that goes on
 * beside the calls above (an export's writes while the next tensor is read on two cores). */
void par_bg_start(void (*fn)(void *), void *arg);
void par_bg_wait(void);

/* Chunks 0 to n - 1 of a job, taken in turn from a shared counter by two threads (par_both;
 * by this one alone when !two), fn(a or b, c) for each, each thread's in rising order. Chunks,
 * not halves, keep both threads busy to the end on a loaded machine, where either may be set
 * aside for a while. A nonzero return from fn stops both from taking more; the result is then
 * the lowest chunk that failed (every chunk below it was done) and *who (may be NULL) 0 or 1
 * for the argument it failed with; else UINT64_MAX. */
uint64_t par_chunks(uint64_t n, int two, int (*fn)(void *arg, uint64_t c), void *a, void *b,
		    int *who);

#endif
