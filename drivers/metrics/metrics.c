/* SPDX-License-Identifier: BSD-3-Clause */
/* The metrics listener (see metrics.h). */
#include "metrics.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"

#define REQUEST_MAX 8192
#define REQUEST_MS 2000

struct akma_metrics {
	struct akma_metrics_params p;
	char program[32], build[512], address[128];
	int fd;
	int stop; /* atomic */
	pthread_t thread;
};

static double start_time_s;

void akma_metrics_process(const char *program, const char *build, FILE *f)
{
	long rss_pages = 0, page = sysconf(_SC_PAGESIZE);
	unsigned fds = 0;
	FILE *statm = fopen("/proc/self/statm", "r");
	if (statm) {
		long size;
		if (fscanf(statm, "%ld %ld", &size, &rss_pages) != 2)
			rss_pages = 0;
		fclose(statm);
	}
	DIR *d = opendir("/proc/self/fd");
	if (d) {
		while (readdir(d))
			fds++;
		closedir(d);
		fds = fds > 3 ? fds - 3 : 0; /* ., .. and the directory's own */
	}
	fprintf(f,
		"# HELP akmad_process_start_time_seconds Start time of the process, Unix seconds.\n"
		"# TYPE akmad_process_start_time_seconds gauge\n"
		"akmad_process_start_time_seconds %.3f\n"
		"# HELP akmad_process_resident_memory_bytes Resident memory of the process.\n"
		"# TYPE akmad_process_resident_memory_bytes gauge\n"
		"akmad_process_resident_memory_bytes %ld\n"
		"# HELP akmad_process_open_fds Open file descriptors of the process.\n"
		"# TYPE akmad_process_open_fds gauge\n"
		"akmad_process_open_fds %u\n"
		"# HELP akmad_build_info The program and the versions it runs with (value 1).\n"
		"# TYPE akmad_build_info gauge\n"
		"akmad_build_info{program=\"%s\"%s%s} 1\n",
		start_time_s, rss_pages * page, fds, program, build && build[0] ? "," : "",
		build ? build : "");
}

/* Read the request head (up to the blank line) within the deadline. */
static ssize_t read_head(int fd, char *buf, size_t size, uint64_t deadline_ms)
{
	size_t len = 0;
	while (len < size - 1) {
		uint64_t now = akma_mono_ms();
		if (now >= deadline_ms)
			return -1;
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, (int)(deadline_ms - now)) <= 0)
			return -1;
		ssize_t n = recv(fd, buf + len, size - 1 - len, 0);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return (ssize_t)len;
	}
	return -2; /* too long */
}

static void send_all(int fd, const char *data, size_t len, uint64_t deadline_ms)
{
	while (len) {
		uint64_t now = akma_mono_ms();
		struct pollfd p = {fd, POLLOUT, 0};
		if (now >= deadline_ms || poll(&p, 1, (int)(deadline_ms - now)) <= 0)
			return;
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

static void answer(int fd, int status, const char *reason, const char *extra, const char *type,
		   const char *body, size_t body_len, int head_only, uint64_t deadline_ms)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
			 "Connection: close\r\n\r\n",
			 status, reason, type, body_len, extra ? extra : "");
	send_all(fd, head, (size_t)n, deadline_ms);
	if (!head_only && body_len)
		send_all(fd, body, body_len, deadline_ms);
}

static void serve(struct akma_metrics *m, int fd)
{
	char req[REQUEST_MAX];
	uint64_t deadline = akma_mono_ms() + REQUEST_MS;
	ssize_t n = read_head(fd, req, sizeof(req), deadline);
	static const char plain[] = "text/plain; charset=utf-8";
	if (n == -2) {
		answer(fd, 431, "Request Header Fields Too Large", NULL, plain, "", 0, 0, deadline);
		return;
	}
	if (n < 0)
		return; /* nothing in time: just close */
	char method[16], target[256], version[16];
	if (sscanf(req, "%15s %255s %15s", method, target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0) {
		static const char msg[] = "a request line: GET /metrics HTTP/1.1\n";
		answer(fd, 400, "Bad Request", NULL, plain, msg, sizeof(msg) - 1, 0, deadline);
		return;
	}
	char *q = strchr(target, '?');
	if (q)
		*q = '\0';
	if (strcmp(target, "/metrics") != 0) {
		static const char msg[] = "not found: the metrics are at /metrics\n";
		answer(fd, 404, "Not Found", NULL, plain, msg, sizeof(msg) - 1, 0, deadline);
		return;
	}
	int head_only = strcmp(method, "HEAD") == 0;
	if (!head_only && strcmp(method, "GET") != 0) {
		static const char msg[] = "GET or HEAD only\n";
		answer(fd, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n", plain, msg,
		       sizeof(msg) - 1, 0, deadline);
		return;
	}
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		answer(fd, 503, "Service Unavailable", NULL, plain, "", 0, 0, deadline);
		return;
	}
	m->p.write(m->p.ctx, f);
	akma_metrics_process(m->program, m->build, f);
	if (fclose(f) != 0) {
		free(text);
		answer(fd, 503, "Service Unavailable", NULL, plain, "", 0, 0, deadline);
		return;
	}
	answer(fd, 200, "OK", NULL, "text/plain; version=0.0.4; charset=utf-8", text, len,
	       head_only, deadline);
	free(text);
}

static void *metrics_main(void *arg)
{
	struct akma_metrics *m = arg;
	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd p = {m->fd, POLLIN, 0};
		if (poll(&p, 1, 250) <= 0)
			continue;
		int c = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0) {
			if (errno == EMFILE || errno == ENFILE)
				akma_sleep_ms(100); /* rest, do not spin */
			continue;
		}
		serve(m, c);
		shutdown(c, SHUT_WR);
		close(c);
	}
	return NULL;
}

struct akma_metrics *akma_metrics_start(const struct akma_metrics_params *p, char *why,
					size_t why_size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (!start_time_s) {
		struct timespec t;
		clock_gettime(CLOCK_REALTIME, &t);
		start_time_s = (double)t.tv_sec + t.tv_nsec / 1e9;
	}
	if (akma_addr_parse("metrics.listen", p->listen, AKMA_ADDR_HOSTPORT, &ss, &len, why,
			    why_size) != 0)
		return NULL;
	struct akma_metrics *m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	m->p = *p;
	snprintf(m->program, sizeof(m->program), "%s", p->program ? p->program : "akmad");
	snprintf(m->build, sizeof(m->build), "%s", p->build ? p->build : "");
	m->p.program = m->program;
	m->p.build = m->build;
	m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (m->fd >= 0)
		setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (m->fd < 0 || bind(m->fd, (struct sockaddr *)&ss, len) != 0 || listen(m->fd, 64) != 0) {
		snprintf(why, why_size, "metrics.listen %s: %s", p->listen, strerror(errno));
		if (m->fd >= 0)
			close(m->fd);
		free(m);
		return NULL;
	}
	char host[64], port[16];
	struct sockaddr_storage bound;
	socklen_t bl = sizeof(bound);
	getsockname(m->fd, (struct sockaddr *)&bound, &bl);
	if (getnameinfo((struct sockaddr *)&bound, bl, host, sizeof(host), port, sizeof(port),
			NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(m->address, sizeof(m->address),
			 bound.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
	int rc = pthread_create(&m->thread, NULL, metrics_main, m);
	if (rc) {
		snprintf(why, why_size, "metrics thread: %s", strerror(rc));
		close(m->fd);
		free(m);
		return NULL;
	}
	pthread_setname_np(m->thread, "akma-metrics");
	return m;
}

const char *akma_metrics_address(const struct akma_metrics *m)
{
	return m->address;
}

void akma_metrics_stop(struct akma_metrics *m)
{
	if (!m)
		return;
	__atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
	pthread_join(m->thread, NULL);
	close(m->fd);
	free(m);
}
