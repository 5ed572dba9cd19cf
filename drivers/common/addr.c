/* SPDX-License-Identifier: BSD-3-Clause */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

int akma_addr_split(const char *what, const char *text, char *host, size_t host_size,
		    uint16_t *port, char *why, size_t why_size)
{
	const char *h = text, *colon;
	size_t hl;

	if (text[0] == '[') {
		const char *close_br = strchr(text, ']');
		if (!close_br) {
			snprintf(why, why_size, "%s '%s': '[' without its ']'", what, text);
			return -1;
		}
		if (close_br[1] != ':') {
			snprintf(why, why_size, "%s '%s': expected :PORT after ']'", what, text);
			return -1;
		}
		h = text + 1;
		hl = (size_t)(close_br - h);
		colon = close_br + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon) {
			snprintf(why, why_size, "%s '%s': expected HOST:PORT or [IPv6]:PORT", what,
				 text);
			return -1;
		}
		hl = (size_t)(colon - text);
		if (memchr(text, ':', hl) || memchr(text, ']', hl)) {
			snprintf(why, why_size, "%s '%s': an IPv6 address is written [V6]:PORT",
				 what, text);
			return -1;
		}
	}
	if (hl == 0 || hl >= host_size) {
		snprintf(why, why_size, "%s '%s': the host is empty or longer than %zu", what, text,
			 host_size - 1);
		return -1;
	}
	char *end;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || p == 0 || p > 65535) {
		snprintf(why, why_size, "%s '%s': the port must be 1..65535", what, text);
		return -1;
	}
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (uint16_t)p;
	return 0;
}

static int parse_ip(const char *what, const char *text, const char *hostport,
		    struct sockaddr_storage *ss, socklen_t *len, char *why, size_t why_size)
{
	char host[INET6_ADDRSTRLEN + 8];
	uint16_t port;

	if (akma_addr_split(what, hostport, host, sizeof(host), &port, why, why_size) != 0)
		return -1;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	int bracketed = hostport[0] == '[';
	if (!bracketed && inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		*len = sizeof(*in4);
		return 0;
	}
	if (bracketed && inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof(*in6);
		return 0;
	}
	snprintf(why, why_size, "%s '%s': '%s' is not an IPv4 address or a bracketed IPv6 one",
		 what, text, host);
	return -1;
}

int akma_addr_parse(const char *what, const char *text, unsigned forms, struct sockaddr_storage *ss,
		    socklen_t *len, char *why, size_t why_size)
{
	memset(ss, 0, sizeof(*ss));
	if ((forms & AKMA_ADDR_WIRE) && strncmp(text, "unix:", 5) == 0) {
		struct sockaddr_un *sun = (struct sockaddr_un *)ss;
		const char *path = text + 5;
		if (!*path || strlen(path) >= sizeof(sun->sun_path)) {
			snprintf(why, why_size,
				 "%s '%s': unix socket path empty or longer than %zu", what, text,
				 sizeof(sun->sun_path) - 1);
			return -1;
		}
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, path, strlen(path));
		*len = sizeof(*sun);
		return 0;
	}
	if ((forms & AKMA_ADDR_WIRE) && strncmp(text, "udp:", 4) == 0)
		return parse_ip(what, text, text + 4, ss, len, why, why_size);
	if (forms & AKMA_ADDR_HOSTPORT)
		return parse_ip(what, text, text, ss, len, why, why_size);
	snprintf(why, why_size, "%s '%s': not udp:IPv4:PORT, udp:[IPv6]:PORT or unix:PATH", what,
		 text);
	return -1;
}
