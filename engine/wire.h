/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_WIRE_H
#define AKMA_WIRE_H

/*
 * The wire protocol between front ends (the SBI front end, akmactl,
 * akma-bench) and the engine: datagrams of batched binary messages, sealed
 * with AES-256-GCM under a pre-shared key. engine/wire.md is the
 * specification a client can be written from; this header is the C side.
 *
 * Every function here is thread-compatible (objects are not shared between
 * threads without the caller's locking), never blocks and, once created,
 * never allocates. Errors are negative akma_err codes (err.h), or -errno
 * where a function says so.
 */

#include <stddef.h>
#include <stdint.h>

#include "req.h"

#define AKMA_WIRE_VERSION 2
#define AKMA_WIRE_VERSION_TEXT "2"
#define AKMA_WIRE_HDR_LEN 32
#define AKMA_WIRE_TAG_LEN 16
#define AKMA_WIRE_MSG_HDR_LEN 12
#define AKMA_WIRE_MAX_DGRAM 65507 /* the largest UDP payload over IPv4 */
#define AKMA_WIRE_PSK_LEN 32
#define AKMA_WIRE_MAX_MSGS \
	64 /* messages akmad takes from one datagram; later ones
				* are answered OVERLOAD (wire.md) */

enum akma_wire_mode { AKMA_WIRE_PLAIN = 0, AKMA_WIRE_GCM = 1 };
#define AKMA_WIRE_MODE_MASK 0x0f
#define AKMA_WIRE_DIR_RESPONSE 0x80 /* in the mode octet: a response datagram */

/* Message types; a response has the request's type | 0x80. */
enum akma_wire_type {
	AKMA_WIRE_REGISTER = 1,
	AKMA_WIRE_GET_KAF = 2,
	AKMA_WIRE_REMOVE = 3,
	AKMA_WIRE_STATS = 4,
	AKMA_WIRE_RESPONSE = 0x80,
	AKMA_WIRE_ERROR = 0xff, /* datagram-level answer: unsupported version */
};

/* Status codes on the wire: the engine's (req.h) and the wire's own. */
enum akma_wire_status {
	AKMA_WIRE_ST_UNSUPPORTED = 6,    /* unknown message type */
	AKMA_WIRE_ST_BAD_VERSION = 7,    /* in an AKMA_WIRE_ERROR message */
	AKMA_WIRE_ST_EPOCH = 8,          /* sent under another server epoch: not applied;
					  * send again under the answer's epoch */
	AKMA_WIRE_ST_NOT_PRIMARY = 9,    /* this engine is not the primary of its group */
	AKMA_WIRE_ST_RID_NOT_SERVED = 10 /* the A-KID's routing indicator is served elsewhere */
};

/* UE identity kinds in REGISTER. */
enum akma_wire_ueid_type {
	AKMA_WIRE_SUPI = AKMA_UEID_TYPE_SUPI,
	AKMA_WIRE_GPSI = AKMA_UEID_TYPE_GPSI
};

/* The sealing side of one sender: its id and next sequence number, the
 * direction of what it sends, and the server epoch it writes: a server its
 * own (random at start), a client the one it learned from the server's
 * answers (0 until then). */
struct akma_wire_sender {
	uint64_t id;
	uint32_t seq;
	uint8_t response; /* 1: a server, sealing answers */
	uint64_t epoch;
};

/* A decoded datagram header. */
struct akma_wire_hdr {
	uint8_t version;
	uint8_t mode;
	uint8_t response; /* a response datagram */
	uint64_t sender;
	uint32_t seq;
	uint64_t time_ms;
	uint64_t epoch;
};

/* One message found in a body. */
struct akma_wire_msg {
	uint8_t type;
	uint8_t flags;
	uint64_t id;
	const uint8_t *payload; /* after the 12-octet message header */
	size_t payload_len;
};

struct akma_wire_key;
struct akma_wire_replay;

/* Expand a 32-octet PSK for AES-256-GCM (ipsec-mb, the fastest manager this
 * CPU runs). Returns NULL with *err -ENOMEM or -AKMA_E_MB_ARCH. The expanded
 * key is wiped on free. */
struct akma_wire_key *akma_wire_key_create(const uint8_t psk[AKMA_WIRE_PSK_LEN], int *err);
void akma_wire_key_free(struct akma_wire_key *k);

/* A sender with a fresh random id (getrandom, non-blocking) and sequence 1,
 * a client's (response 0, epoch 0; see struct akma_wire_sender).
 * Returns 0, or -EAGAIN when the kernel's random pool is not initialised yet
 * (early boot), or another -errno. A sender must take a new id before its
 * sequence wraps: akma_wire_seal() does that itself. */
int akma_wire_sender_init(struct akma_wire_sender *s);

/* Receiver state for replay protection: up to max_senders senders, each
 * with a 64-datagram window, and datagrams accepted only within window_ms of
 * the receiver's clock. A sender's state is kept at least window_ms after
 * its last datagram; when the table is full of such state, datagrams from
 * new senders are refused (-AKMA_E_WIRE_SENDERS) rather than forgetting
 * state an old datagram could be replayed against. */
struct akma_wire_replay *akma_wire_replay_create(unsigned max_senders, uint64_t window_ms,
						 int *err);
void akma_wire_replay_free(struct akma_wire_replay *r);

/* Senders heard from within the freshness window at now_ms: a scan of the
 * table (2 x max_senders slots). Any thread: read from another than the
 * owner's it is approximate, never wrong by more than the senders that
 * came and went meanwhile. */
unsigned akma_wire_replay_senders(const struct akma_wire_replay *r, uint64_t now_ms);

/* Change the freshness window (SIGHUP); the owner's thread. */
void akma_wire_replay_set_window(struct akma_wire_replay *r, uint64_t window_ms);

/* Write the header, encrypt body_len octets of body at dgram +
 * AKMA_WIRE_HDR_LEN in place, and append the tag (AKMA_WIRE_GCM); or leave
 * the body in clear with no tag (AKMA_WIRE_PLAIN). dgram must hold
 * AKMA_WIRE_HDR_LEN + body_len + AKMA_WIRE_TAG_LEN octets. Returns the
 * datagram's length, or -AKMA_E_WIRE_SIZE if it would exceed
 * AKMA_WIRE_MAX_DGRAM. */
int akma_wire_seal(const struct akma_wire_key *k, struct akma_wire_sender *s, uint8_t *dgram,
		   size_t body_len, uint64_t now_ms, enum akma_wire_mode mode);

/* A client learns the server's epoch from an authentic answer: every
 * response datagram carries it. */
static inline void akma_wire_learn_epoch(struct akma_wire_sender *s, const struct akma_wire_hdr *h)
{
	if (h->response)
		s->epoch = h->epoch;
}

/* Check and open a datagram in place: header, version, mode, freshness,
 * tag (constant-time compare), then replay (only an authentic datagram
 * moves a sender's window). On success *body points at the clear body.
 * Direction and epoch are the caller's to check (hdr). Returns 0 or:
 * -AKMA_E_WIRE_SHORT, -AKMA_E_WIRE_MAGIC (also for unknown mode bits),
 * -AKMA_E_WIRE_VERSION (hdr->version says which was asked for),
 * -AKMA_E_WIRE_PLAIN (plain datagram where not allowed), -AKMA_E_WIRE_STALE,
 * -AKMA_E_WIRE_AUTH, -AKMA_E_WIRE_REPLAY, -AKMA_E_WIRE_SENDERS. A failed
 * datagram's body is left unusable; its sender must learn nothing. */
int akma_wire_open(const struct akma_wire_key *k, struct akma_wire_replay *r, uint8_t *dgram,
		   size_t len, uint64_t now_ms, int allow_plain, struct akma_wire_hdr *hdr,
		   const uint8_t **body, size_t *body_len);

/* Step through the messages of a body: *off starts at 0. Returns 1 with *m
 * filled, 0 at the end, or -AKMA_E_WIRE_MSG when a message header is
 * truncated or its length runs past the body (m->id is set when at least
 * the header was there; the rest of the body cannot be read). */
int akma_wire_next(const uint8_t *body, size_t len, size_t *off, struct akma_wire_msg *m);

/* Fill a request from a REGISTER, GET_KAF or REMOVE message, checking every
 * length against the message and its field's own limit. Returns 0, or
 * -AKMA_E_WIRE_FIELD with r->status AKMA_ST_BAD_FIELD and r->bad_field
 * naming the field, or -AKMA_E_WIRE_TYPE for a type that is not an engine
 * request (STATS, responses, unknown). r->client_id is always set. */
int akma_wire_decode_request(const struct akma_wire_msg *m, struct akma_req *r);

/* Append the response of type (the request's type, without the response
 * bit) to r at out: its status and field, and for a successful GET_KAF the
 * key, expiry and UE identity. An unknown type's answer is written with
 * r->status AKMA_WIRE_ST_UNSUPPORTED as akma_wire_decode_request() set it.
 * Returns the octets written, or -AKMA_E_NOSPACE when cap is too small. */
int akma_wire_encode_response(const struct akma_req *r, uint8_t type, uint8_t *out, size_t cap);

/* Client side: append r (REGISTER, GET_KAF or REMOVE) as a request message.
 * Returns the octets written, -AKMA_E_NOSPACE when cap is too small, or
 * -AKMA_E_WIRE_TYPE for another r->type. */
int akma_wire_encode_request(const struct akma_req *r, uint8_t *out, size_t cap);

/* Client side: read a response message into r (status, field; for a
 * successful GET_KAF the key, expiry and UE identity into r->data). Returns
 * 0, or -AKMA_E_WIRE_FIELD when m is not a response or its fields do not
 * add up to its length. */
int akma_wire_decode_response(const struct akma_wire_msg *m, struct akma_req *r);

/* STATS (wire.md): counters as (name, value) pairs. */
#define AKMA_WIRE_STAT_NAME_MAX 32 /* octets of a counter's name */
#define AKMA_WIRE_STATS_MAX 64     /* counters in one answer */

struct akma_wire_stat {
	char name[AKMA_WIRE_STAT_NAME_MAX + 1];
	uint64_t value;
};

/* A STATS request message with id. Returns its length (12) or
 * -AKMA_E_NOSPACE. */
int akma_wire_encode_stats_request(uint64_t id, uint8_t *out, size_t cap);

/* The answer to STATS request id: status OK and n counters (names of 1..32
 * octets of a-z, 0-9 and '_'; n <= AKMA_WIRE_STATS_MAX). Returns the octets written,
 * -AKMA_E_NOSPACE (cap too small, or n too large) or -AKMA_E_WIRE_FIELD (a
 * name too long or empty). */
int akma_wire_encode_stats(uint64_t id, const char *const *names, const uint64_t *values,
			   unsigned n, uint8_t *out, size_t cap);

/* Read a STATS answer: *status, and up to max counters into out. Returns
 * how many (0 when *status is not OK), -AKMA_E_NOSPACE when it holds more
 * than max, or -AKMA_E_WIRE_FIELD when m is not a STATS answer, a name has
 * another character than a-z, 0-9 and '_', or the fields do not add up to
 * its length. */
int akma_wire_decode_stats(const struct akma_wire_msg *m, uint8_t *status,
			   struct akma_wire_stat *out, unsigned max);

/* The answer to a datagram of an unsupported version: a plain datagram in
 * this version with one AKMA_WIRE_ERROR message naming the version this side
 * speaks. Returns its length (39 octets), or -AKMA_E_NOSPACE when cap is
 * smaller. */
int akma_wire_version_error(struct akma_wire_sender *s, uint8_t *dgram, size_t cap,
			    uint64_t now_ms);

#endif
