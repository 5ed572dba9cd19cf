/* SPDX-License-Identifier: BSD-3-Clause */
/* The programs' log (see log.h). */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum target { TO_STDERR, TO_JOURNAL, TO_SYSLOG };

static enum target target;
static char program[32] = "akma";
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

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

int akma_log_setup(const char *prog, const char *to)
{
	if (!strcmp(to, "syslog"))
		target = TO_SYSLOG;
	else if (!strcmp(to, "stderr"))
		target = stderr_is_journal() ? TO_JOURNAL : TO_STDERR;
	else
		return -1;
	snprintf(program, sizeof(program), "%s", prog);
	if (target == TO_SYSLOG)
		openlog(program, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	return 0;
}

void akma_log_emit(int prio, const char *text, size_t len)
{
	if (prio < LOG_EMERG || prio > LOG_DEBUG)
		prio = LOG_NOTICE;
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
	if (n >= (int)sizeof(out)) {
		n = (int)sizeof(out);
		out[n - 1] = '\n';
	}
	pthread_mutex_lock(&lock);
	ssize_t w = write(STDERR_FILENO, out, (size_t)n);
	(void)w;
	pthread_mutex_unlock(&lock);
}

void akma_log(int prio, const char *fmt, ...)
{
	char text[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
	while (len && text[len - 1] == '\n')
		len--;
	akma_log_emit(prio, text, len);
}
