/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_LOG_H
#define AKMA_LOG_H

/*
 * The programs' log: one line per event with a timestamp and a severity,
 * the same for akmad (its rte_log lines are routed here: eal.h,
 * akma_eal_log_stream()), akma-sbi and the SBI library. log.target:
 *   stderr  "2026-12-01T23:59:59.123Z akmad[1234]: notice: text"; when
 *           stderr is the journal (JOURNAL_STREAM names it), the line
 *           takes sd-daemon(3)'s "<N>" priority prefix instead, journald
 *           keeping the time itself;
 *   syslog  syslog(3), facility daemon, tagged with the program.
 * Before akma_log_setup() lines go to stderr in the stderr form, tagged
 * "akma". Key material is never passed to the log in the first place.
 * Thread-safe; a line is one write(2).
 */

#include <stddef.h>
#include <syslog.h> /* LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG */

/* Returns 0, or -1 when target is neither "stderr" nor "syslog". Call from
 * main, before threads log. */
int akma_log_setup(const char *program, const char *target);

/* One line at priority prio (syslog's: LOG_ERR...), printf-style; a final
 * newline is optional. */
void akma_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line of len octets, no newline in it. */
void akma_log_emit(int prio, const char *text, size_t len);

#endif
