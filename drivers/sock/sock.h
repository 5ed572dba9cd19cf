/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_SOCK_H
#define AKMA_SOCK_H

/*
 * The wire protocol over kernel sockets: UDP on IPv4 and IPv6, and Unix
 * datagram sockets. One akma_sock belongs to one thread (akmad's main
 * lcore), which is one producer of the engine: each pass receives a batch of
 * datagrams with recvmmsg, opens them, turns their messages into requests,
 * submits them, collects completions, and sends every datagram's answers
 * back to its sender in one sealed datagram with sendmmsg.
 *
 * A datagram carries at most AKMA_SOCK_MAX_MSGS messages; later ones are
 * answered OVERLOAD, as are requests the engine's rings or request pool
 * refuse and datagrams that find all 1024 answer buffers busy: an answer is
 * never silence. Datagrams that fail the wire checks are dropped and counted
 * by cause; their senders learn nothing. Never blocks (the sockets are
 * non-blocking); never allocates after open.
 */

#include <stdint.h>

#include "wire.h"
#include "worker.h"

#define AKMA_SOCK_MAX_MSGS AKMA_WIRE_MAX_MSGS

struct akma_sock_params {
	const char *listen; /* "udp:127.0.0.1:7777,udp:[::1]:7777,unix:/path" */
	int allow_plain_unix;
	const uint8_t *psk; /* 32 octets */
	uint64_t replay_window_ms;
	unsigned max_senders;
};

struct akma_sock_stats {
	uint64_t rx_datagrams, tx_datagrams, requests, answered;
	uint64_t dropped_short, dropped_magic, dropped_plain, dropped_stale, dropped_auth,
		dropped_replay, dropped_senders, version_errors, malformed, overload, send_errors;
	uint64_t dropped_direction;         /* responses, or under akmad's own sender id */
	uint64_t stale_epoch;               /* requests under another server epoch */
	uint64_t senders;                   /* heard from within the freshness window (a gauge) */
	uint64_t version_errors_unanswered; /* shorter than the answer, or over the rate */
};

struct akma_sock;

/* Open every listener of p->listen. Returns NULL with a one-line reason in
 * why (which address, what failed). Blocks only in bind(). */
struct akma_sock *akma_sock_open(const struct akma_sock_params *p, struct akma_engine *e,
				 unsigned producer, char *why, size_t why_size);

/* One pass: receive, submit, complete, send. Returns how much it did (0:
 * idle). Non-blocking. now_ms: the wall clock, Unix milliseconds. */
unsigned akma_sock_poll(struct akma_sock *s, uint64_t now_ms);

/* Wait up to timeout_ms for a datagram on any listener (for an idle loop). */
void akma_sock_wait(struct akma_sock *s, int timeout_ms);

/* Requests submitted and not yet answered. */
unsigned akma_sock_in_flight(const struct akma_sock *s);

void akma_sock_stats(const struct akma_sock *s, struct akma_sock_stats *st);

/* Change the wire freshness window (SIGHUP); the owner's thread. */
void akma_sock_set_replay_window(struct akma_sock *s, uint64_t window_ms);

/* Close the listeners (unix socket files are removed) and free. Requests
 * still in flight must have been collected first (poll until
 * akma_sock_in_flight() is 0). */
void akma_sock_close(struct akma_sock *s);

#endif
