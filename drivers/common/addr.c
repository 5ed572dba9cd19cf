/* SPDX-License-Identifier: BSD-3-Clause */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

int akma_addr_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len, char *why,
		    size_t why_size)
{
	memset(ss, 0, sizeof(*ss));
	if (strncmp(text, "unix:", 5) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;
		const char *path = text + 5;
		if (!*path || strlen(path) >= sizeof(sun->sun_path)) {
			snprintf(why, why_size, "%s: unix socket path empty or longer than %zu", text,
				 sizeof(sun->sun_path) - 1);
			return -1;
		}
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, path, strlen(path));
		*len = sizeof(*sun);
		return 0;
	}
	if (strncmp(text, "udp:", 4) != 0)
		goto bad;
	char host[128];
	const char *a = text + 4, *colon;
	if (a[0] == '[') {
		const char *close_br = strchr(a, ']');
		if (!close_br || close_br[1] != ':' || (size_t)(close_br - a - 1) >= sizeof(host))
			goto bad;
		memcpy(host, a + 1, (size_t)(close_br - a - 1));
		host[close_br - a - 1] = '\0';
		colon = close_br + 1;
	} else {
		colon = strrchr(a, ':');
		if (!colon || (size_t)(colon - a) >= sizeof(host))
			goto bad;
		memcpy(host, a, (size_t)(colon - a));
		host[colon - a] = '\0';
	}
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || colon[1] == '\0' || port == 0 || port > 65535)
		goto bad;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
bad:
	snprintf(why, why_size, "%s: not udp:IPv4:PORT, udp:[IPv6]:PORT or unix:PATH", text);
	return -1;
}
