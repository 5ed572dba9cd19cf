/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_RLIMIT_H
#define AKMA_RLIMIT_H

/* Raise the soft limit of open files (RLIMIT_NOFILE) to the hard limit:
 * systemd's default soft limit is 1024, fewer than sbi.max_connections.
 * Returns the soft limit in force afterwards. Call from main, at start. */
unsigned long akma_raise_nofile(void);

#endif
