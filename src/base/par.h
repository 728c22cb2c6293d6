/* Two cores at once: a job split in two halves run side by side. The helper thread takes no
 * signals: they go to the main thread, whose handlers remove temporary outputs. */
#ifndef CKPT_PAR_H
#define CKPT_PAR_H

/* fn(a) on this thread while fn(b) runs on a helper thread (one, kept for the process);
 * returns when both are done. One caller at a time. Without a helper (none could be made)
 * they run one after the other. */
void par_both(void (*fn)(void *), void *a, void *b);

#endif
