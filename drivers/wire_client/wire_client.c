/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The wire protocol's client side (see wire_client.h). Request i of the
 * pool is slot i; its message id is the slot in the low 32 bits and the
 * slot's generation above, so a late answer to a request that already timed
 * out and whose slot was reused is recognised and dropped. Timeouts are
 * found by a scan of the slots every 50 ms (4096 slots: a few microseconds).
 */
#include "wire_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "wire.h"
#include "clock.h"

#define PER_DGRAM AKMA_WIRE_MAX_MSGS

struct slot {
	uint32_t gen;
	uint8_t in_flight;
	uint8_t unanswered; /* 0, or AKMA_WIRE_CLIENT_TIMED_OUT or _REFUSED */
	uint8_t server;
	uint64_t deadline_ms;
};

struct server {
	int fd;
	struct akma_wire_sender sender; /* its epoch is this server's */
	unsigned in_flight;
};

struct akma_wire_client {
	struct server *servers;
	unsigned n_servers;
	struct akma_wire_key *key;
	struct akma_wire_replay *replay;
	unsigned n, timeout_ms;
	struct akma_req *reqs;
	struct slot *slots;
	uint32_t *free_stack;
	unsigned n_free;
	uint64_t next_scan_ms;
	uint64_t dropped_datagrams, dropped_answers; /* read relaxed by any thread */
	struct akma_req **ready;                     /* answered, not yet handed out (a datagram's
				  * answers may outnumber one poll's room) */
	unsigned ready_head, ready_len;
	uint8_t out[AKMA_WIRE_MAX_DGRAM], in[AKMA_WIRE_MAX_DGRAM];
};

/* One server's socket, connected. Returns 0, or -1 with why. */
static int server_open(struct server *sv, const char *name, char *why, size_t why_size)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (akma_addr_parse("server", name, AKMA_ADDR_WIRE, &ss, &len, why, why_size) != 0)
		return -1;
	sv->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sv->fd < 0 || akma_wire_sender_init(&sv->sender) != 0) {
		snprintf(why, why_size, "wire client: %s",
			 sv->fd < 0 ? strerror(errno) : "no entropy");
		return -1;
	}
	/* A Unix datagram client needs an address of its own for the answers:
	 * an autobound abstract one. */
	sa_family_t family = ss.ss_family;
	if ((family == AF_UNIX && bind(sv->fd, (struct sockaddr *)&family, sizeof(family)) != 0) ||
	    connect(sv->fd, (struct sockaddr *)&ss, len) != 0) {
		snprintf(why, why_size, "%s: %s", name, strerror(errno));
		return -1;
	}
	int buf = 4 << 20;
	setsockopt(sv->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(sv->fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return 0;
}

struct akma_wire_client *akma_wire_client_open_multi(const char *const *servers, unsigned n,
						     const uint8_t psk[32], unsigned max_in_flight,
						     unsigned timeout_ms, char *why,
						     size_t why_size)
{
	int err;

	if (n < 1 || n > AKMA_WIRE_CLIENT_SERVERS) {
		snprintf(why, why_size, "wire client: 1..%d servers", AKMA_WIRE_CLIENT_SERVERS);
		return NULL;
	}
	struct akma_wire_client *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	c->n = max_in_flight;
	c->timeout_ms = timeout_ms;
	c->servers = calloc(n, sizeof(*c->servers));
	for (unsigned i = 0; c->servers && i < n; i++)
		c->servers[i].fd = -1;
	c->reqs = aligned_alloc(64, sizeof(struct akma_req) * c->n);
	c->slots = calloc(c->n, sizeof(*c->slots));
	c->free_stack = calloc(c->n, sizeof(*c->free_stack));
	c->ready = calloc(c->n, sizeof(*c->ready));
	c->key = akma_wire_key_create(psk, &err);
	c->replay = akma_wire_replay_create(16 + n, 30000, &err);
	if (!c->servers || !c->reqs || !c->slots || !c->free_stack || !c->ready || !c->key ||
	    !c->replay) {
		snprintf(why, why_size, "wire client: out of memory");
		akma_wire_client_close(c);
		return NULL;
	}
	c->n_servers = n;
	for (unsigned i = 0; i < n; i++)
		if (server_open(&c->servers[i], servers[i], why, why_size) != 0) {
			akma_wire_client_close(c);
			return NULL;
		}
	memset(c->reqs, 0, sizeof(struct akma_req) * c->n);
	for (unsigned i = 0; i < c->n; i++)
		c->free_stack[i] = c->n - 1 - i;
	c->n_free = c->n;
	return c;
}

struct akma_wire_client *akma_wire_client_open(const char *server, const uint8_t psk[32],
					       unsigned max_in_flight, unsigned timeout_ms,
					       char *why, size_t why_size)
{
	return akma_wire_client_open_multi(&server, 1, psk, max_in_flight, timeout_ms, why,
					   why_size);
}

void akma_wire_client_dropped(const struct akma_wire_client *c, uint64_t *datagrams,
			      uint64_t *answers)
{
	*datagrams = __atomic_load_n(&c->dropped_datagrams, __ATOMIC_RELAXED);
	*answers = __atomic_load_n(&c->dropped_answers, __ATOMIC_RELAXED);
}

unsigned akma_wire_client_size(const struct akma_wire_client *c)
{
	return c->n;
}

unsigned akma_wire_client_index(const struct akma_wire_client *c, const struct akma_req *r)
{
	return (unsigned)(r - c->reqs);
}

int akma_wire_client_unanswered(const struct akma_wire_client *c, const struct akma_req *r)
{
	return c->slots[r - c->reqs].unanswered;
}

void akma_wire_client_close(struct akma_wire_client *c)
{
	if (!c)
		return;
	for (unsigned i = 0; c->servers && i < c->n_servers; i++)
		if (c->servers[i].fd >= 0)
			close(c->servers[i].fd);
	free(c->servers);
	if (c->reqs) {
		explicit_bzero(c->reqs, sizeof(struct akma_req) * c->n);
		free(c->reqs);
	}
	free(c->slots);
	free(c->free_stack);
	free(c->ready);
	akma_wire_key_free(c->key);
	akma_wire_replay_free(c->replay);
	free(c);
}

int akma_wire_client_alloc(struct akma_wire_client *c, struct akma_req **r)
{
	if (!c->n_free)
		return -ENOBUFS;
	*r = &c->reqs[c->free_stack[--c->n_free]];
	return 0;
}

void akma_wire_client_release(struct akma_wire_client *c, struct akma_req *r)
{
	unsigned i = (unsigned)(r - c->reqs);
	explicit_bzero(r->kaf, sizeof(r->kaf));
	explicit_bzero(r->kakma, sizeof(r->kakma));
	c->slots[i].gen++; /* a late answer to it is dropped */
	if (c->slots[i].in_flight)
		c->servers[c->slots[i].server].in_flight--;
	c->slots[i].in_flight = 0;
	c->free_stack[c->n_free++] = i;
}

static void ready_push(struct akma_wire_client *c, struct akma_req *r);

/* The server's host said its port is closed (ICMP port unreachable, seen as
 * ECONNREFUSED by the next send or recv): nothing listens there, so what is
 * in flight to it was never read. Handed back at once, not at its timeout. */
static void port_unreachable(struct akma_wire_client *c, unsigned server)
{
	struct server *sv = &c->servers[server];

	for (unsigned i = 0; i < c->n && sv->in_flight; i++)
		if (c->slots[i].in_flight && c->slots[i].server == server) {
			c->slots[i].in_flight = 0;
			c->slots[i].unanswered = AKMA_WIRE_CLIENT_REFUSED;
			sv->in_flight--;
			c->reqs[i].status = AKMA_ST_OVERLOAD; /* K_AKMA kept: it may go elsewhere */
			ready_push(c, &c->reqs[i]);
		}
}

/* Seal and send the datagram of k messages, body_len octets. Returns 0,
 * or a negative errno (-EMSGSIZE when it could not be sealed). */
static int flush(struct akma_wire_client *c, struct server *sv, size_t body_len)
{
	int len = akma_wire_seal(c->key, &sv->sender, c->out, body_len, akma_wall_ms(),
				 AKMA_WIRE_GCM);
	if (len < 0)
		return -EMSGSIZE;
	ssize_t n = send(sv->fd, c->out, (size_t)len, 0);
	int err = n < 0 ? errno : EIO;
	explicit_bzero(c->out, (size_t)len);
	return n == len ? 0 : -err;
}

unsigned akma_wire_client_submit(struct akma_wire_client *c, struct akma_req **r, unsigned n,
				 struct akma_req **rejected, unsigned *n_rejected)
{
	return akma_wire_client_submit_to(c, 0, r, n, rejected, n_rejected);
}

unsigned akma_wire_client_submit_to(struct akma_wire_client *c, unsigned server,
				    struct akma_req **r, unsigned n, struct akma_req **rejected,
				    unsigned *n_rejected)
{
	struct server *sv = &c->servers[server];
	const size_t cap = AKMA_WIRE_MAX_DGRAM - AKMA_WIRE_HDR_LEN - AKMA_WIRE_TAG_LEN;
	uint64_t deadline = akma_wall_ms() + c->timeout_ms;
	unsigned sent = 0, i = 0;

	*n_rejected = 0;
	while (i < n) {
		/* Fill one datagram. */
		unsigned first = i, k = 0;
		size_t off = 0;
		while (i < n && k < PER_DGRAM) {
			unsigned slot = (unsigned)(r[i] - c->reqs);
			r[i]->client_id = (uint64_t)c->slots[slot].gen << 32 | slot;
			int m = akma_wire_encode_request(r[i], c->out + AKMA_WIRE_HDR_LEN + off,
							 cap - off);
			if (m < 0)
				break;
			off += (size_t)m;
			k++;
			i++;
		}
		if (!k) { /* too large even alone: the engine's limits would refuse it */
			r[i]->status = AKMA_ST_BAD_FIELD;
			r[i]->bad_field = AKMA_FIELD_LENGTH;
			rejected[(*n_rejected)++] = r[i++];
			continue;
		}
		int rc = flush(c, sv, off), ok = rc == 0;
		if (rc == -ECONNREFUSED)
			port_unreachable(c, server);
		for (unsigned j = first; j < first + k; j++) {
			unsigned slot = (unsigned)(r[j] - c->reqs);
			c->slots[slot].server = (uint8_t)server;
			c->slots[slot].unanswered = ok ? 0 : AKMA_WIRE_CLIENT_REFUSED;
			if (ok) {
				c->slots[slot].in_flight = 1;
				c->slots[slot].deadline_ms = deadline;
				sv->in_flight++;
				sent++;
			} else {
				r[j]->status = AKMA_ST_OVERLOAD;
				rejected[(*n_rejected)++] = r[j];
			}
		}
	}
	return sent;
}

static void ready_push(struct akma_wire_client *c, struct akma_req *r)
{
	c->ready[(c->ready_head + c->ready_len++) % c->n] = r;
}

/* Read server sv's answers while there is room for a whole datagram's. */
static void read_server(struct akma_wire_client *c, unsigned server, unsigned max, uint64_t now)
{
	struct server *sv = &c->servers[server];

	while (sv->in_flight && c->ready_len + PER_DGRAM <= c->n && c->ready_len < max) {
		ssize_t len = recv(sv->fd, c->in, sizeof(c->in), MSG_DONTWAIT);
		if (len < 0 && errno == ECONNREFUSED) {
			port_unreachable(c, server);
			break;
		}
		if (len <= 0)
			break;
		struct akma_wire_hdr h;
		const uint8_t *body;
		size_t blen, off = 0;
		if (akma_wire_open(c->key, c->replay, c->in, (size_t)len, now, 0, &h, &body,
				   &blen) != 0 ||
		    !h.response) {
			__atomic_store_n(&c->dropped_datagrams, c->dropped_datagrams + 1,
					 __ATOMIC_RELAXED); /* not from our akmad: dropped */
			continue;
		}
		akma_wire_learn_epoch(&sv->sender, &h);
		struct akma_req *again[PER_DGRAM];
		unsigned n_again = 0;
		struct akma_wire_msg m;
		while (akma_wire_next(body, blen, &off, &m) == 1) {
			unsigned slot = (unsigned)(m.id & 0xffffffffu);
			if (slot >= c->n || c->slots[slot].gen != (uint32_t)(m.id >> 32) ||
			    !c->slots[slot].in_flight || c->slots[slot].server != server) {
				__atomic_store_n(
					&c->dropped_answers, c->dropped_answers + 1,
					__ATOMIC_RELAXED); /* late, unknown, or not this server's */
				continue;
			}
			struct akma_req *r = &c->reqs[slot];
			if (akma_wire_decode_response(&m, r) != 0) {
				r->status = AKMA_ST_INTERNAL;
				explicit_bzero(r->kaf, sizeof(r->kaf));
			}
			c->slots[slot].in_flight = 0;
			sv->in_flight--;
			if (r->status == AKMA_WIRE_ST_EPOCH && n_again < PER_DGRAM) {
				/* akmad restarted (or this is our first datagram): not
				 * applied; once more under the epoch its answer carries. */
				again[n_again++] = r;
				continue;
			}
			ready_push(c, r);
		}
		explicit_bzero(c->in, (size_t)len);
		if (n_again) {
			struct akma_req *rej[PER_DGRAM];
			unsigned n_rej;
			akma_wire_client_submit_to(c, server, again, n_again, rej, &n_rej);
			for (unsigned k = 0; k < n_rej; k++)
				ready_push(c, rej[k]);
		}
	}
}

unsigned akma_wire_client_poll(struct akma_wire_client *c, struct akma_req **out, unsigned max)
{
	uint64_t now = akma_wall_ms();

	for (unsigned i = 0; i < c->n_servers; i++)
		read_server(c, i, max, now);
	if (now >= c->next_scan_ms) {
		c->next_scan_ms = now + 50;
		for (unsigned i = 0; i < c->n; i++)
			if (c->slots[i].in_flight && c->slots[i].deadline_ms <= now) {
				c->slots[i].in_flight = 0;
				c->slots[i].unanswered = AKMA_WIRE_CLIENT_TIMED_OUT;
				c->servers[c->slots[i].server].in_flight--;
				c->reqs[i].status = AKMA_ST_OVERLOAD;
				explicit_bzero(c->reqs[i].kakma, sizeof(c->reqs[i].kakma));
				ready_push(c, &c->reqs[i]);
			}
	}
	unsigned got = 0;
	while (got < max && c->ready_len) {
		out[got++] = c->ready[c->ready_head];
		c->ready_head = (c->ready_head + 1) % c->n;
		c->ready_len--;
	}
	return got;
}
