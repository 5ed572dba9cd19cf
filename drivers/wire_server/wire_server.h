/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_WIRE_SERVER_H
#define AKMA_WIRE_SERVER_H

/*
 * The server side of the wire protocol (engine/wire.md), whatever carries
 * its datagrams: kernel sockets (drivers/sock) or a DPDK port
 * (drivers/ethdev). A transport hands each received datagram to
 * akma_wire_server_take() with a peer: an opaque blob of the transport's
 * own (a socket address, or the mbuf the request came in) that the server
 * keeps beside the datagram and gives back with its answer. The server opens
 * the datagram, turns its messages into engine requests, submits them,
 * collects their completions, and when every message of a datagram has its
 * response seals the answer and calls the transport's send() with the peer.
 *
 * One server belongs to one thread (akmad's main lcore) and is one producer
 * of the engine. Each pass is begin, any number of takes, end.
 *
 * An answer is never silence: messages after the 64th, requests the rings
 * or the request pool refuse, and datagrams that find all 1024 answer
 * buffers busy are answered OVERLOAD. Datagrams that fail the wire checks
 * are dropped and counted by cause; their senders learn nothing. Never
 * blocks; never allocates after create. Buffers that held keys are wiped
 * and kept out of core dumps.
 *
 * Where the cycles go (for the I/O cost per request, issue 16): the server
 * counts TSC cycles in AES-GCM (open and seal), message decoding and the
 * engine hand-off (submit, poll, answer encoding); the transport adds its
 * own I/O (system calls, or rx/tx bursts) and frame parsing as they happen,
 * and whole busy passes at their end, with akma_wire_server_add_cycles().
 * Phases are exclusive: a phase measured around a call subtracts what the
 * call added to the others.
 */

#include <stddef.h>
#include <stdint.h>

#include "wire.h"
#include "worker.h"

#define AKMA_WIRE_SERVER_MAX_MSGS AKMA_WIRE_MAX_MSGS
#define AKMA_WIRE_SERVER_MAX_PEER 144 /* a sockaddr_storage and an fd, or an mbuf's */

/* How answers leave. send() is called once for every datagram the server
 * took, with the peer it was taken with: dgram (len octets, sealed) stays
 * valid until flush() returns, which the server calls at the end of every
 * pass that sent. */
struct akma_wire_transport {
	void *arg;
	void (*send)(void *arg, void *peer, const uint8_t *dgram, size_t len);
	void (*flush)(void *arg);
	/* Every counter of counters.h for a STATS answer (akmad's, all paths);
	 * NULL: STATS is answered OVERLOAD. */
	void (*read_counters)(void *counters_arg, uint64_t *v);
	void *counters_arg;
};

struct akma_wire_server_params {
	const uint8_t *psk; /* 32 octets */
	uint64_t replay_window_ms;
	unsigned max_senders;
	unsigned peer_size; /* octets of a peer, at most AKMA_WIRE_SERVER_MAX_PEER */
	unsigned path;      /* enum akma_wire_path: which counters.h profile it feeds */
	struct akma_wire_transport transport;
};

enum akma_wire_path { AKMA_WIRE_PATH_SOCK = 0, AKMA_WIRE_PATH_ETHDEV = 1, AKMA_WIRE_N_PATHS };

/* TSC cycles by phase (see the opening comment). */
struct akma_wire_cycles {
	uint64_t busy;    /* passes that did work, whole */
	uint64_t io;      /* system calls, or rx/tx bursts */
	uint64_t parse;   /* frames classified and rewritten (ethdev) */
	uint64_t crypto;  /* AES-GCM open and seal */
	uint64_t decode;  /* messages checked and turned into requests */
	uint64_t handoff; /* engine submit, completions, answer encoding */
};

struct akma_wire_server_stats {
	uint64_t rx_datagrams, tx_datagrams, requests, answered;
	uint64_t dropped_short, dropped_magic, dropped_plain, dropped_stale, dropped_auth,
		dropped_replay, dropped_senders, version_errors, malformed, overload, send_errors;
	uint64_t dropped_direction;         /* responses, or under akmad's own sender id */
	uint64_t stale_epoch;               /* requests under another server epoch */
	uint64_t senders;                   /* heard from within the freshness window (a gauge) */
	uint64_t version_errors_unanswered; /* shorter than the answer, or over the rate */
	struct akma_wire_cycles cycles;
};

struct akma_wire_server;

/* Returns NULL with a one-line reason in why. Any thread; does not block. */
struct akma_wire_server *akma_wire_server_create(const struct akma_wire_server_params *p,
						 struct akma_engine *e, unsigned producer,
						 char *why, size_t why_size);

/* Start a pass: now_ms is the wall clock (Unix milliseconds) the datagrams
 * of this pass are checked and sealed with. */
void akma_wire_server_begin(struct akma_wire_server *ws, uint64_t now_ms);

/* Take one received datagram of len octets at d (opened in place, then
 * wiped: it may carry K_AKMA). allow_plain: mode 0 is accepted (a Unix
 * socket configured so). peer: peer_size octets, copied. Returns 1 when the
 * datagram was taken, so send() will be called for it exactly once (perhaps
 * before this returns), or 0 when it was dropped (counted; the transport
 * keeps whatever the peer refers to). */
int akma_wire_server_take(struct akma_wire_server *ws, uint8_t *d, size_t len, int allow_plain,
			  const void *peer);

/* End a pass: submit what the takes made, collect completions, send every
 * answer that is complete, flush. Returns the requests completed. */
unsigned akma_wire_server_end(struct akma_wire_server *ws);

/* Requests submitted and not yet answered. */
unsigned akma_wire_server_in_flight(const struct akma_wire_server *ws);

/* The transport's share of the cycles (added to stats.cycles); io and
 * parse as they are spent (also from inside send() and flush()), busy once
 * a pass. */
void akma_wire_server_add_cycles(struct akma_wire_server *ws, const struct akma_wire_cycles *c);

/* Any thread: each value read atomically, the set is not a snapshot. */
void akma_wire_server_stats(const struct akma_wire_server *ws, struct akma_wire_server_stats *st);
unsigned akma_wire_server_path(const struct akma_wire_server *ws);

/* Add every field of s to sum (the totals over paths). */
void akma_wire_server_stats_add(struct akma_wire_server_stats *sum,
				const struct akma_wire_server_stats *s);

/* The owner's thread (SIGHUP). */
void akma_wire_server_set_replay_window(struct akma_wire_server *ws, uint64_t window_ms);

/* Free (keys and buffers wiped). Requests still in flight must have been
 * collected first (end passes until in_flight is 0). */
void akma_wire_server_free(struct akma_wire_server *ws);

#endif
