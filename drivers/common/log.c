/* SPDX-License-Identifier: BSD-3-Clause */
/* akmad's log (see log.h): a FILE made with fopencookie() is DPDK's log
 * stream; its write callback cuts what rte_log writes into lines and gives
 * each the severity rte_log_cur_msg_loglevel() says it has. */
#include "log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

enum target { TO_STDERR, TO_JOURNAL, TO_SYSLOG };

static enum target target;
static char program[32];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static __thread char line[2048];
static __thread size_t line_len;

static const char *const severity[] = {"emerg",   "alert",  "crit", "err",
				       "warning", "notice", "info", "debug"};

/* stderr is the journal: JOURNAL_STREAM is "device:inode" of our stderr. */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long long dev, ino;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void emit(const char *text, size_t len)
{
	int level = rte_log_cur_msg_loglevel(); /* RTE_LOG_EMERG 1 .. RTE_LOG_DEBUG 8 */
	int prio = level >= 1 && level <= 8 ? level - 1 : LOG_NOTICE;
	if (target == TO_SYSLOG) {
		syslog(prio, "%.*s", (int)len, text);
		return;
	}
	char out[2200];
	int n;
	if (target == TO_JOURNAL) {
		n = snprintf(out, sizeof(out), "<%d>%.*s\n", prio, (int)len, text);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[32];
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(out, sizeof(out), "%s.%03ldZ %s[%d]: %s: %.*s\n", when,
			     ts.tv_nsec / 1000000, program, (int)getpid(), severity[prio], (int)len,
			     text);
	}
	if (n > (int)sizeof(out))
		n = (int)sizeof(out);
	pthread_mutex_lock(&lock);
	ssize_t w = write(STDERR_FILENO, out, (size_t)n);
	(void)w;
	pthread_mutex_unlock(&lock);
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie;
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n' || line_len == sizeof(line)) {
			emit(line, line_len);
			line_len = 0;
			if (buf[i] == '\n')
				continue;
		}
		line[line_len++] = buf[i];
	}
	return (ssize_t)size;
}

int akma_log_open(const char *prog, const char *to)
{
	cookie_io_functions_t io = {.write = cookie_write};
	if (!strcmp(to, "syslog"))
		target = TO_SYSLOG;
	else if (!strcmp(to, "stderr"))
		target = stderr_is_journal() ? TO_JOURNAL : TO_STDERR;
	else
		return -1;
	snprintf(program, sizeof(program), "%s", prog);
	if (target == TO_SYSLOG)
		openlog(program, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	FILE *f = fopencookie(NULL, "w", io);
	if (!f)
		return -1;
	setvbuf(f, NULL, _IONBF, 0);
	return rte_openlog_stream(f);
}
