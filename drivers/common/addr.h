/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_ADDR_H
#define AKMA_ADDR_H

/*
 * Every address form akmad and its tools read, in one parser:
 *
 *   HOST:PORT, [V6]:PORT        TCP endpoints (sbi.listen, redis.address,
 *                               redis.sentinels, akma-bench --server)
 *   udp:IPv4:PORT, udp:[V6]:PORT, unix:PATH
 *                               wire-protocol endpoints (wire.listen,
 *                               akmactl --server, akma-sbi --server)
 *
 * An IPv6 literal is always bracketed, and a bracket is always closed and
 * followed by ":PORT"; ports are 1..65535. Errors name the option or key the
 * text came from. Thread-safe, never blocks (no name resolution).
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Split "HOST:PORT" or "[V6]:PORT" into host (brackets dropped) and port.
 * host may be a name here (Redis takes one). Returns 0, or -1 with "what
 * 'text': reason" in why. */
int akma_addr_split(const char *what, const char *text, char *host, size_t host_size,
		    uint16_t *port, char *why, size_t why_size);

/* The forms akma_addr_parse() accepts. */
enum akma_addr_forms {
	AKMA_ADDR_HOSTPORT = 1, /* HOST:PORT or [V6]:PORT, HOST an IP literal */
	AKMA_ADDR_WIRE = 2,     /* udp:IPv4:PORT, udp:[V6]:PORT, unix:PATH */
};

/* Parse text, one of forms, into *ss and *len (an AF_INET, AF_INET6 or
 * AF_UNIX address). Returns 0, or -1 with "what 'text': reason" in why. */
int akma_addr_parse(const char *what, const char *text, unsigned forms, struct sockaddr_storage *ss,
		    socklen_t *len, char *why, size_t why_size);

#endif
