/* Two cores at once: helper threads that take no signals (they go to the main thread, whose
 * handlers remove temporary outputs), and a job split in two halves run side by side. */
#ifndef CKPT_PAR_H
#define CKPT_PAR_H

#include <pthread.h>

/* pthread_create with every signal blocked in the new thread. 0, or -1 if none was made. */
int par_spawn(pthread_t *t, void *(*fn)(void *), void *arg);

/* fn(a) on this thread while fn(b) runs on a helper thread (one, kept for the process);
 * returns when both are done. One caller at a time. Without a helper (none could be made)
 * they run one after the other. */
void par_both(void (*fn)(void *), void *a, void *b);

#endif
