/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_ADDR_H
#define AKMA_ADDR_H

/* The address forms of wire.listen and akmactl --server. Thread-safe. */

#include <stddef.h>
#include <sys/socket.h>

/* Parse "udp:IPv4:PORT", "udp:[IPv6]:PORT" or "unix:PATH" into *ss and *len
 * (an AF_INET, AF_INET6 or AF_UNIX address). Returns 0, or -1 with a
 * one-line reason naming the text in why. */
int akma_addr_parse(const char *text, struct sockaddr_storage *ss, socklen_t *len, char *why,
		    size_t why_size);

#endif
