/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_LOG_H
#define AKMA_LOG_H

/*
 * akmad's log: DPDK's log stream (every component's rte_log) turned into
 * one line per event with a timestamp and a severity. log.target:
 *   stderr  "2026-12-01T23:59:59.123Z akmad[1234]: notice: text"; when
 *           stderr is the journal (JOURNAL_STREAM names it), the line
 *           takes sd-daemon(3)'s "<N>" priority prefix instead, journald
 *           keeping the time itself;
 *   syslog  syslog(3), facility daemon, tagged with the program.
 * Key material is never passed to the log in the first place; this only
 * shapes lines. Call from main after EAL started (its own start-up lines
 * go to stderr as they are); thread-safe as rte_log is.
 */

/* Returns 0, or -1 when target is neither "stderr" nor "syslog" or the
 * stream cannot be made (the log stays as it was). */
int akma_log_open(const char *program, const char *target);

#endif
