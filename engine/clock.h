/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_CLOCK_H
#define AKMA_CLOCK_H

/*
 * The clocks, one definition for the engine and every edge. The wall clock
 * (Unix milliseconds) is what contexts, K_AF expiries, replication records
 * and the wire protocol's freshness window are measured in; the monotonic
 * clock is for timeouts, sweeps and durations, which must not jump when the
 * wall clock is set. Both are vDSO reads: thread-safe, never block.
 */

#include <stdint.h>
#include <time.h>

/* Unix time in milliseconds (CLOCK_REALTIME). */
static inline uint64_t akma_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Monotonic nanoseconds since an arbitrary start (CLOCK_MONOTONIC). */
static inline uint64_t akma_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Monotonic milliseconds, for timeouts. */
static inline uint64_t akma_mono_ms(void)
{
	return akma_mono_ns() / 1000000u;
}

/* Sleep ms milliseconds (a signal may end it early). */
static inline void akma_sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

#endif
