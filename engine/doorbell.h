/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_DOORBELL_H
#define AKMA_DOORBELL_H

/*
 * A doorbell: how a thread that polls rings sleeps when they are empty and
 * is woken as soon as one is filled, without a system call on the fast path.
 *
 * The sleeper arms the bell, looks at its rings one last time, and sleeps on
 * an eventfd only if they are still empty; whoever fills one of its rings
 * rings the bell after the enqueue, which costs a fence and a load unless
 * the sleeper is armed, and then one write(2). The sleeper's arming store
 * and the waker's load each follow a full fence, so one of them sees the
 * other: either the sleeper sees the new entry, or the waker sees the bell
 * armed (Dekker's pattern). A ring that finds the bell armed after the
 * sleeper has seen the entry anyway costs one spurious wake-up, never a lost
 * one.
 *
 * Napping a fixed 50 us between polls instead cost the idle worker (and the
 * producer, napping 20 us) about 0.3 us of CPU per sync registration each
 * (akma-bench replication: two dozen wake-ups per Redis round trip of a
 * batch, each a timer, a context switch and a poll of every ring).
 */

#include <stdint.h>

struct akma_doorbell {
	int fd;    /* eventfd, non-blocking */
	int armed; /* atomic: the sleeper is about to sleep, or sleeping */
};

/* An eventfd for bell. Returns 0 or a negative errno; allocates a
 * descriptor. */
int akma_doorbell_init(struct akma_doorbell *bell);

/* Close it (after every thread is done with it). */
void akma_doorbell_fini(struct akma_doorbell *bell);

/* Sleeper, before its last look at its rings: from here on a ring wakes it. */
static inline void akma_doorbell_arm(struct akma_doorbell *bell)
{
	__atomic_store_n(&bell->armed, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Sleeper, when its last look found work: no need to be woken. */
static inline void akma_doorbell_disarm(struct akma_doorbell *bell)
{
	__atomic_store_n(&bell->armed, 0, __ATOMIC_RELAXED);
}

/* Sleeper, armed and with empty rings: sleep until rung or timeout_us
 * passes (0: no timeout), then disarm. Returns 1 when rung, 0 on timeout or
 * a signal. Blocks. */
int akma_doorbell_wait(struct akma_doorbell *bell, unsigned timeout_us);

/* Sleeper that slept on bell's descriptor in a poll set of its own, after
 * disarming: read any count off it, so that its next sleep does not end at
 * once. One read(2); never blocks. */
void akma_doorbell_drain(struct akma_doorbell *bell);

/* akma_doorbell_ring()'s slow path, for a bell found armed: disarms it and
 * writes the eventfd (once per sleep, whoever rings first). */
void akma_doorbell_wake(struct akma_doorbell *bell);

/* Any thread, after enqueueing on one of the sleeper's rings: wakes it if it
 * is armed. A fence and a load; never blocks (one write(2) when it wakes). */
static inline void akma_doorbell_ring(struct akma_doorbell *bell)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&bell->armed, __ATOMIC_RELAXED))
		akma_doorbell_wake(bell);
}

#endif
