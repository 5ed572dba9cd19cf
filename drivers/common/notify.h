/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_NOTIFY_H
#define AKMA_NOTIFY_H

/*
 * The service manager's notification protocol (sd_notify(3)), written here
 * rather than linked from libsystemd: one datagram of "KEY=VALUE" lines to
 * the unix socket $NOTIFY_SOCKET ("@" at its start: the abstract
 * namespace). Without NOTIFY_SOCKET every call is a no-op, so akmad runs
 * the same outside systemd. Thread-safe; never blocks (MSG_DONTWAIT).
 */

#include <stdint.h>

/* Send state ("READY=1", "STATUS=recovering", "STOPPING=1", "WATCHDOG=1",
 * several joined by "\n"). Returns 1 sent, 0 no NOTIFY_SOCKET, -1 failed. */
int akma_notify(const char *state);

/* The watchdog interval the manager asks for (WATCHDOG_USEC, for this
 * process when WATCHDOG_PID is set), in microseconds; 0: none. */
uint64_t akma_notify_watchdog_usec(void);

/* Send WATCHDOG=1 when half the interval has passed since the last one
 * (now_ms monotonic); nothing without a watchdog. Call often, from the one
 * loop whose hang should stop the service; not thread-safe. */
void akma_notify_watchdog(uint64_t now_ms);

#endif
