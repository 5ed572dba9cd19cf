/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_SOCK_H
#define AKMA_SOCK_H

/*
 * The wire protocol over kernel sockets: UDP on IPv4 and IPv6, and Unix
 * datagram sockets. One akma_sock belongs to one thread (akmad's main
 * lcore); it is a transport of a wire server (drivers/wire_server, where
 * the protocol's rules live): each pass receives a batch of datagrams with
 * recvmmsg, hands them to the server, and sends the server's answers with
 * sendmmsg. Never blocks (the sockets are non-blocking); never allocates
 * after open.
 */

#include <stdint.h>

#include "wire_server.h"
#include "worker.h"

struct akma_sock_params {
	const char *listen; /* "udp:127.0.0.1:7777,udp:[::1]:7777,unix:/path" */
	int allow_plain_unix;
	const uint8_t *psk; /* 32 octets */
	uint64_t replay_window_ms;
	unsigned max_senders;
	void (*read_counters)(void *counters_arg, uint64_t *v); /* for STATS */
	void *counters_arg;
};

struct akma_sock;

/* Open every listener of p->listen. Returns NULL with a one-line reason in
 * why (which address, what failed). Blocks only in bind(). */
struct akma_sock *akma_sock_open(const struct akma_sock_params *p, struct akma_engine *e,
				 unsigned producer, char *why, size_t why_size);

/* One pass: receive, submit, complete, send. Returns how much it did (0:
 * idle). Non-blocking. now_ms: the wall clock, Unix milliseconds. */
unsigned akma_sock_poll(struct akma_sock *s, uint64_t now_ms);

/* Wait up to timeout_ms for a datagram on any listener, or for also_fd to
 * become readable (-1: none; the engine's completion doorbell, from
 * akma_engine_arm(), while requests are in flight). For an idle loop;
 * blocks. */
void akma_sock_wait(struct akma_sock *s, int timeout_ms, int also_fd);

/* Requests submitted and not yet answered. */
unsigned akma_sock_in_flight(const struct akma_sock *s);

/* The wire server's counters with this transport's own (send errors,
 * truncated datagrams) added. Any thread. */
void akma_sock_stats(const struct akma_sock *s, struct akma_wire_server_stats *st);

/* Change the wire freshness window (SIGHUP); the owner's thread. */
void akma_sock_set_replay_window(struct akma_sock *s, uint64_t window_ms);

/* Close the listeners (unix socket files are removed) and free. Requests
 * still in flight must have been collected first (poll until
 * akma_sock_in_flight() is 0). */
void akma_sock_close(struct akma_sock *s);

#endif
