/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_WIRE_CLIENT_H
#define AKMA_WIRE_CLIENT_H

/*
 * A non-blocking client of akmad's wire protocol (engine/wire.md), for a
 * front end that runs apart from the engine (akma-sbi): requests from a
 * pool of its own go out batched, up to 64 to a sealed datagram, and come
 * back matched by message id; a request unanswered within the timeout comes
 * back with AKMA_ST_OVERLOAD (akma_wire_client_timed_out() tells it from an
 * engine's overload). A client may talk to several servers (the route
 * table's engines, drivers/route): one pool, one socket and sender state
 * (epoch) per server, each request sent to the server its caller names.
 * One thread uses a client; nothing blocks.
 */

#include <stddef.h>
#include <stdint.h>

#include "req.h"

struct akma_wire_client;

/* Connect to server ("udp:HOST:PORT", "udp:[V6]:PORT", "unix:PATH") with
 * the PSK; at most max_in_flight requests exist at once. Returns NULL with a
 * reason in why. */
struct akma_wire_client *akma_wire_client_open(const char *server, const uint8_t psk[32],
					       unsigned max_in_flight, unsigned timeout_ms,
					       char *why, size_t why_size);
void akma_wire_client_close(struct akma_wire_client *c);

/* The same for n servers (1..AKMA_WIRE_CLIENT_SERVERS), numbered in order. */
#define AKMA_WIRE_CLIENT_SERVERS 64
struct akma_wire_client *akma_wire_client_open_multi(const char *const *servers, unsigned n,
						     const uint8_t psk[32], unsigned max_in_flight,
						     unsigned timeout_ms, char *why,
						     size_t why_size);

/* Datagrams dropped (not sealed by the PSK, replayed, stale, not answers)
 * and answers dropped (late: their request timed out or went elsewhere;
 * or unknown). Any thread; relaxed reads. */
void akma_wire_client_dropped(const struct akma_wire_client *c, uint64_t *datagrams,
			      uint64_t *answers);

/* The pool's size, and request r's place in it (0..size-1), for a caller's
 * state beside each request. */
unsigned akma_wire_client_size(const struct akma_wire_client *c);
unsigned akma_wire_client_index(const struct akma_wire_client *c, const struct akma_req *r);

/* Why r, just polled back, came back without its server's answer: 0 it was
 * answered; AKMA_WIRE_CLIENT_TIMED_OUT no answer within the timeout (it may
 * or may not have been applied); AKMA_WIRE_CLIENT_REFUSED the kernel
 * refused to send it, or the server's host said its port is closed (ICMP
 * port unreachable: a dead akmad), so it never reached an engine. */
#define AKMA_WIRE_CLIENT_TIMED_OUT 1
#define AKMA_WIRE_CLIENT_REFUSED 2
int akma_wire_client_unanswered(const struct akma_wire_client *c, const struct akma_req *r);

/* The request pool: 0 or -ENOBUFS; release wipes the keys. */
int akma_wire_client_alloc(struct akma_wire_client *c, struct akma_req **r);
void akma_wire_client_release(struct akma_wire_client *c, struct akma_req *r);

/* Send n requests (batched into datagrams) to server 0, or to server
 * `server`; those that could not be sent go to rejected[] with
 * AKMA_ST_OVERLOAD (the kernel refused the datagram: for a connected UDP
 * socket, often the port unreachable of a dead server). Returns how many
 * went. */
unsigned akma_wire_client_submit(struct akma_wire_client *c, struct akma_req **r, unsigned n,
				 struct akma_req **rejected, unsigned *n_rejected);
unsigned akma_wire_client_submit_to(struct akma_wire_client *c, unsigned server,
				    struct akma_req **r, unsigned n, struct akma_req **rejected,
				    unsigned *n_rejected);

/* Answers (and timed-out requests), up to max. */
unsigned akma_wire_client_poll(struct akma_wire_client *c, struct akma_req **out, unsigned max);

#endif
