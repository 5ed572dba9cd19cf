/* SPDX-License-Identifier: BSD-3-Clause */
/* The notification protocol (see notify.h). */
#include "notify.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int akma_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len;

	if (!path || !path[0])
		return 0;
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL | MSG_DONTWAIT,
			   (struct sockaddr *)&sun,
			   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len));
	close(fd);
	return n == (ssize_t)strlen(state) ? 1 : -1;
}

uint64_t akma_notify_watchdog_usec(void)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	if (!usec)
		return 0;
	if (pid && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	return strtoull(usec, NULL, 10);
}

void akma_notify_watchdog(uint64_t now_ms)
{
	static int read;
	static uint64_t every_ms, next_ms;

	if (!read) {
		every_ms = akma_notify_watchdog_usec() / 2000; /* twice an interval */
		read = 1;
	}
	if (!every_ms || now_ms < next_ms)
		return;
	akma_notify("WATCHDOG=1");
	next_ms = now_ms + every_ms;
}
