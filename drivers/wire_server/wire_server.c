/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The wire server (see wire_server.h). Each datagram that opens gets a
 * context from a fixed pool: the transport's peer, the count of its
 * requests still in the engine, and a buffer where their responses
 * accumulate. The buffer is sized for AKMA_WIRE_SERVER_MAX_MSGS responses of
 * the largest kind, so appending never fails. When the count reaches zero
 * the buffer is sealed and given to the transport; its context is freed
 * once the transport has flushed.
 */
#include "wire_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <rte_cycles.h>

#include "clock.h"
#include "err.h"
#include "counters.h"
#include "secmem.h"

#define VERSION_ERRORS_PER_S 100 /* answers to unauthenticated datagrams */
#define N_CONTEXTS 1024
#define MAX_SUBMIT (AKMA_WIRE_SERVER_MAX_MSGS * 64)
/* Request objects are taken from the engine's pool STASH at a time: with
 * hundreds in flight a pass outruns the lcore's mempool cache, and one
 * ring dequeue of 32 costs about what one of 1 does. */
#define STASH 32
/* the largest response: a GET_KAF with the longest UE identity */
#define MAX_RESPONSE (AKMA_WIRE_MSG_HDR_LEN + 2 + AKMA_KEY_LEN + 8 + 3 + AKMA_UEID_MAX)
/* one STATS answer: status, count, and every counter with its name */
#define STATS_RESPONSE (AKMA_WIRE_MSG_HDR_LEN + 4 + 128 * (1 + AKMA_WIRE_STAT_NAME_MAX + 8))
#define STATS_MAX 128
#define RESP_BUF                                                                         \
	(AKMA_WIRE_HDR_LEN + AKMA_WIRE_SERVER_MAX_MSGS * MAX_RESPONSE + STATS_RESPONSE + \
	 AKMA_WIRE_TAG_LEN)
/* Spares answer OVERLOAD (or a version error) when every context is busy:
 * status-only answers, one per datagram a pass can take. */
#define N_SPARES 512
#define BUFS_SIZE ((size_t)N_CONTEXTS * RESP_BUF + (size_t)N_SPARES * SPARE_BUF)
#define STATUS_RESPONSE (AKMA_WIRE_MSG_HDR_LEN + 2)
#define SPARE_BUF \
	(AKMA_WIRE_HDR_LEN + AKMA_WIRE_SERVER_MAX_MSGS * STATUS_RESPONSE + AKMA_WIRE_TAG_LEN + 64)

_Static_assert(AKMA_N_COUNTERS <= AKMA_WIRE_STATS_MAX, "one STATS answer carries every counter");

struct dgram_ctx {
	uint8_t mode, is_spare;
	unsigned pending;
	int stats_answered;
	size_t body_len;
	struct dgram_ctx *next;
	uint8_t peer[AKMA_WIRE_SERVER_MAX_PEER];
	size_t cap;
	uint8_t *buf; /* cap octets */
};

struct akma_wire_server {
	struct akma_engine *e;
	unsigned producer, peer_size, path;
	struct akma_wire_transport t;
	struct akma_wire_key *key;
	struct akma_wire_replay *replay;
	struct akma_wire_sender sender;
	struct dgram_ctx *contexts, *free_ctx, *free_spare;
	struct dgram_ctx *sent; /* given to send(), freed after flush() */
	uint8_t *bufs;          /* the contexts' buffers, then the spares' */
	unsigned in_flight;
	struct akma_req *submit[MAX_SUBMIT];
	unsigned n_submit;
	struct akma_req *stash[STASH]; /* request objects taken from the pool in bulk */
	unsigned n_stash;
	uint64_t now_ms;
	uint64_t epoch; /* this start's server epoch */
	double version_error_budget;
	uint64_t version_errors_ns;
	struct akma_wire_server_stats st;
};

/* Every exclusive phase so far: a region measured around calls that count
 * phases of their own takes this before and after, and keeps only the
 * difference nobody else counted. */
static inline uint64_t phases(const struct akma_wire_server *ws)
{
	const struct akma_wire_cycles *c = &ws->st.cycles;
	return c->io + c->parse + c->crypto + c->decode + c->handoff;
}

struct akma_wire_server *akma_wire_server_create(const struct akma_wire_server_params *p,
						 struct akma_engine *e, unsigned producer,
						 char *why, size_t why_size)
{
	struct akma_wire_server *ws;
	int err = 0;

	if (p->peer_size > AKMA_WIRE_SERVER_MAX_PEER || !p->transport.send || !p->transport.flush ||
	    p->path >= AKMA_WIRE_N_PATHS) {
		snprintf(why, why_size, "wire server: bad parameters");
		return NULL;
	}
	ws = calloc(1, sizeof(*ws));
	if (!ws) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	ws->e = e;
	ws->producer = producer;
	ws->peer_size = p->peer_size;
	ws->path = p->path;
	ws->t = p->transport;
	ws->key = akma_wire_key_create(p->psk, &err);
	ws->replay = akma_wire_replay_create(p->max_senders, p->replay_window_ms, &err);
	ws->contexts = calloc(N_CONTEXTS + N_SPARES, sizeof(*ws->contexts));
	ws->bufs = akma_secmem_map(BUFS_SIZE); /* K_AF in answers */
	if (!ws->key || !ws->replay || !ws->contexts || !ws->bufs ||
	    akma_wire_sender_init(&ws->sender) ||
	    getrandom(&ws->epoch, sizeof(ws->epoch), GRND_NONBLOCK) != (ssize_t)sizeof(ws->epoch)) {
		snprintf(why, why_size, "cannot set up the wire protocol: %s", akma_strerror(err));
		akma_wire_server_free(ws);
		return NULL;
	}
	/* The server side: answers, under this start's own epoch (wire.md). */
	ws->epoch |= 1; /* never 0, a client's "not learned yet" */
	ws->sender.response = 1;
	ws->sender.epoch = ws->epoch;
	ws->version_errors_ns = akma_mono_ns();
	ws->version_error_budget = VERSION_ERRORS_PER_S;
	for (unsigned i = 0; i < N_CONTEXTS + N_SPARES; i++) {
		struct dgram_ctx *c = &ws->contexts[i];
		int spare = i >= N_CONTEXTS;
		c->cap = spare ? SPARE_BUF : RESP_BUF;
		c->buf = ws->bufs + (spare ? (size_t)N_CONTEXTS * RESP_BUF +
						     (size_t)(i - N_CONTEXTS) * SPARE_BUF
					   : (size_t)i * RESP_BUF);
		c->is_spare = (uint8_t)spare;
		struct dgram_ctx **list = spare ? &ws->free_spare : &ws->free_ctx;
		c->next = *list;
		*list = c;
	}
	return ws;
}

void akma_wire_server_free(struct akma_wire_server *ws)
{
	if (!ws)
		return;
	if (ws->n_stash)
		akma_engine_req_free(ws->e, ws->stash, ws->n_stash);
	akma_wire_key_free(ws->key);
	akma_wire_replay_free(ws->replay);
	akma_secmem_unmap(ws->bufs, BUFS_SIZE);
	free(ws->contexts);
	free(ws);
}

/* ---- answers ------------------------------------------------------------------------ */

static uint8_t wire_type_of(uint8_t req_type)
{
	return req_type == AKMA_REQ_REGISTER  ? AKMA_WIRE_REGISTER
	       : req_type == AKMA_REQ_GET_KAF ? AKMA_WIRE_GET_KAF
					      : AKMA_WIRE_REMOVE;
}

static void append(struct dgram_ctx *c, const struct akma_req *r, uint8_t wire_type)
{
	uint8_t *at = c->buf + AKMA_WIRE_HDR_LEN + c->body_len;
	size_t room = c->cap - AKMA_WIRE_HDR_LEN - AKMA_WIRE_TAG_LEN - c->body_len;
	int n = akma_wire_encode_response(r, wire_type, at, room);
	if (n > 0)
		c->body_len += (size_t)n;
}

/* A status-only answer for a message that got no request object. */
static void append_status(struct dgram_ctx *c, uint8_t wire_type, uint64_t id, uint8_t status,
			  uint8_t field)
{
	static struct akma_req r; /* only the header fields are read */
	r.client_id = id;
	r.status = status; /* never OK here, so no key follows */
	r.bad_field = field;
	append(c, &r, wire_type);
}

static void flush(struct akma_wire_server *ws)
{
	if (!ws->sent)
		return;
	ws->t.flush(ws->t.arg);
	for (struct dgram_ctx *c = ws->sent, *next; c; c = next) {
		next = c->next;
		explicit_bzero(c->buf, AKMA_WIRE_HDR_LEN + c->body_len + AKMA_WIRE_TAG_LEN);
		struct dgram_ctx **list = c->is_spare ? &ws->free_spare : &ws->free_ctx;
		c->next = *list;
		*list = c;
	}
	ws->sent = NULL;
}

/* Seal c's answer and hand it to the transport. */
static void finish(struct akma_wire_server *ws, struct dgram_ctx *c)
{
	uint64_t t0 = rte_rdtsc();
	int len = akma_wire_seal(ws->key, &ws->sender, c->buf, c->body_len, ws->now_ms, c->mode);
	ws->st.cycles.crypto += rte_rdtsc() - t0;
	if (len < 0) /* cannot happen: the buffer is sized below the limit */
		len = 0;
	ws->t.send(ws->t.arg, c->peer, c->buf, (size_t)len);
	ws->st.tx_datagrams++;
	c->next = ws->sent;
	ws->sent = c;
}

/* ---- receiving ------------------------------------------------------------------------- */

static void count_drop(struct akma_wire_server *ws, int rc)
{
	switch (-rc) {
	case AKMA_E_WIRE_SHORT:
		ws->st.dropped_short++;
		break;
	case AKMA_E_WIRE_PLAIN:
		ws->st.dropped_plain++;
		break;
	case AKMA_E_WIRE_STALE:
		ws->st.dropped_stale++;
		break;
	case AKMA_E_WIRE_AUTH:
		ws->st.dropped_auth++;
		break;
	case AKMA_E_WIRE_REPLAY:
		ws->st.dropped_replay++;
		break;
	case AKMA_E_WIRE_SENDERS:
		ws->st.dropped_senders++;
		break;
	default:
		ws->st.dropped_magic++;
		break;
	}
}

static void stats_answer(struct akma_wire_server *ws, struct dgram_ctx *c, uint64_t id);

static struct akma_req *req_alloc(struct akma_wire_server *ws)
{
	struct akma_req *r;
	if (!ws->n_stash) {
		if (akma_engine_req_alloc(ws->e, ws->stash, STASH) == 0)
			ws->n_stash = STASH;
		else if (akma_engine_req_alloc(ws->e, &r, 1) == 0)
			return r; /* the pool is nearly dry: one at a time */
		else
			return NULL;
	}
	return ws->stash[--ws->n_stash];
}

/* Unauthenticated: never more octets back than came in, and a bounded
 * rate, so akmad reflects nothing (wire.md, check 2). */
static int version_error(struct akma_wire_server *ws, size_t len, const void *peer)
{
	ws->st.version_errors++;
	uint64_t now = akma_mono_ns();
	ws->version_error_budget +=
		(double)(now - ws->version_errors_ns) * 1e-9 * VERSION_ERRORS_PER_S;
	if (ws->version_error_budget > VERSION_ERRORS_PER_S)
		ws->version_error_budget = VERSION_ERRORS_PER_S;
	ws->version_errors_ns = now;
	struct dgram_ctx *c = ws->free_spare;
	int n = c ? akma_wire_version_error(&ws->sender, c->buf, c->cap, ws->now_ms) : -1;
	if (n <= 0 || len < (size_t)n || ws->version_error_budget < 1) {
		ws->st.version_errors_unanswered++;
		return 0;
	}
	ws->version_error_budget -= 1;
	ws->free_spare = c->next;
	c->body_len = (size_t)n - AKMA_WIRE_HDR_LEN; /* what flush() wipes */
	memcpy(c->peer, peer, ws->peer_size);
	ws->t.send(ws->t.arg, c->peer, c->buf, (size_t)n);
	ws->st.tx_datagrams++;
	c->next = ws->sent;
	ws->sent = c;
	return 1;
}

/* Every context awaits the engine: a spare answers each message OVERLOAD
 * now, so the sender hears something and retries. Spares are freed at the
 * pass's flush; a pass takes fewer datagrams than there are spares. */
static int overload_all(struct akma_wire_server *ws, const struct akma_wire_hdr *h,
			const uint8_t *body, size_t blen, const void *peer)
{
	struct dgram_ctx *c = ws->free_spare;
	struct akma_wire_msg m;
	size_t off = 0;
	unsigned count = 0;

	if (!c) {
		ws->st.overload++;
		return 0;
	}
	ws->free_spare = c->next;
	c->body_len = 0;
	while (akma_wire_next(body, blen, &off, &m) == 1 && count++ < AKMA_WIRE_SERVER_MAX_MSGS) {
		append_status(c, m.type, m.id, AKMA_ST_OVERLOAD, AKMA_FIELD_NONE);
		ws->st.overload++;
	}
	memcpy(c->peer, peer, ws->peer_size);
	c->mode = h->mode;
	finish(ws, c);
	return 1;
}

int akma_wire_server_take(struct akma_wire_server *ws, uint8_t *d, size_t len, int allow_plain,
			  const void *peer)
{
	struct akma_wire_hdr h;
	const uint8_t *body;
	size_t blen, off = 0;
	uint64_t t0 = rte_rdtsc(), t_open, p_open;
	int taken = 1;

	ws->st.rx_datagrams++;
	int rc = akma_wire_open(ws->key, ws->replay, d, len, ws->now_ms, allow_plain, &h, &body,
				&blen);
	t_open = rte_rdtsc();
	ws->st.cycles.crypto += t_open - t0;
	p_open = phases(ws);
	if (rc == -AKMA_E_WIRE_VERSION)
		return version_error(ws, len, peer);
	if (rc) {
		count_drop(ws, rc);
		return 0;
	}
	/* A response is never answered, and nothing under our own sender id is
	 * taken: a captured answer sent back cannot make akmad answer itself. */
	if (h.response || h.sender == ws->sender.id) {
		ws->st.dropped_direction++;
		explicit_bzero(d, len);
		return 0;
	}
	struct dgram_ctx *c = ws->free_ctx;
	if (!c || ws->n_submit + AKMA_WIRE_SERVER_MAX_MSGS > MAX_SUBMIT) {
		taken = overload_all(ws, &h, body, blen, peer);
		explicit_bzero(d, len);
		return taken;
	}
	ws->free_ctx = c->next;
	memcpy(c->peer, peer, ws->peer_size);
	c->mode = h.mode;
	c->pending = 0;
	c->stats_answered = 0;
	c->body_len = 0;

	struct akma_wire_msg m;
	unsigned count = 0;
	int k;
	while ((k = akma_wire_next(body, blen, &off, &m)) != 0) {
		if (k < 0) {
			if (m.type) /* the header was there: say the length was wrong */
				append_status(c, m.type & 0x7f, m.id, AKMA_ST_BAD_FIELD,
					      AKMA_FIELD_LENGTH);
			ws->st.malformed++;
			break;
		}
		ws->st.requests++;
		if (h.epoch != ws->epoch) {
			/* Sealed under another start (or before the client learned
			 * this one's epoch): never applied; the answer carries ours. */
			append_status(c, m.type & 0x7f, m.id, AKMA_WIRE_ST_EPOCH, AKMA_FIELD_NONE);
			ws->st.stale_epoch++;
			if (++count >= AKMA_WIRE_SERVER_MAX_MSGS)
				break;
			continue;
		}
		if (++count > AKMA_WIRE_SERVER_MAX_MSGS) {
			append_status(c, m.type, m.id, AKMA_ST_OVERLOAD, AKMA_FIELD_NONE);
			ws->st.overload++;
			continue;
		}
		if (m.type == AKMA_WIRE_STATS) {
			stats_answer(ws, c, m.id);
			continue;
		}
		struct akma_req *r = req_alloc(ws);
		if (!r) {
			append_status(c, m.type, m.id, AKMA_ST_OVERLOAD, AKMA_FIELD_NONE);
			ws->st.overload++;
			continue;
		}
		if (akma_wire_decode_request(&m, r) != 0) {
			append(c, r, m.type);
			ws->st.malformed++;
			akma_engine_req_free(ws->e, &r, 1);
			continue;
		}
		r->producer_data = c;
		c->pending++;
		ws->submit[ws->n_submit++] = r;
	}
	explicit_bzero(d, len); /* requests carried K_AKMA */
	ws->st.cycles.decode += rte_rdtsc() - t_open - (phases(ws) - p_open);
	if (!c->pending)
		finish(ws, c);
	return taken;
}

static void collect(struct akma_wire_server *ws, struct akma_req **r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct dgram_ctx *c = r[i]->producer_data;
		append(c, r[i], wire_type_of(r[i]->type));
		ws->st.answered++;
		if (--c->pending == 0)
			finish(ws, c);
	}
	akma_engine_req_free(ws->e, r, n);
}

void akma_wire_server_begin(struct akma_wire_server *ws, uint64_t now_ms)
{
	ws->now_ms = now_ms;
}

unsigned akma_wire_server_end(struct akma_wire_server *ws)
{
	struct akma_req *rej[64], *done[256];
	unsigned work = 0, n;
	uint64_t t0 = rte_rdtsc(), p0 = phases(ws);
	int submitted = ws->n_submit != 0;

	/* Submit; what a full ring refuses is answered OVERLOAD now. */
	for (unsigned base = 0; base < ws->n_submit; base += 64) {
		unsigned m = ws->n_submit - base < 64 ? ws->n_submit - base : 64, n_rej;
		ws->in_flight +=
			akma_engine_submit(ws->e, ws->producer, ws->submit + base, m, rej, &n_rej);
		ws->st.overload += n_rej;
		collect(ws, rej, n_rej);
	}
	ws->n_submit = 0;
	while ((n = akma_engine_poll(ws->e, ws->producer, done, 256)) > 0) {
		ws->in_flight -= n;
		collect(ws, done, n);
		work += n;
	}
	/* the seals and sends inside collect() are theirs, not hand-off; an
	 * idle pass's empty polls are nobody's cost (no busy pass either) */
	if (submitted || work)
		ws->st.cycles.handoff += rte_rdtsc() - t0 - (phases(ws) - p0);
	flush(ws);
	return work;
}

unsigned akma_wire_server_in_flight(const struct akma_wire_server *ws)
{
	return ws->in_flight;
}

void akma_wire_server_add_cycles(struct akma_wire_server *ws, const struct akma_wire_cycles *c)
{
	ws->st.cycles.busy += c->busy;
	ws->st.cycles.io += c->io;
	ws->st.cycles.parse += c->parse;
	ws->st.cycles.crypto += c->crypto;
	ws->st.cycles.decode += c->decode;
	ws->st.cycles.handoff += c->handoff;
}

void akma_wire_server_set_replay_window(struct akma_wire_server *ws, uint64_t window_ms)
{
	akma_wire_replay_set_window(ws->replay, window_ms);
}

void akma_wire_server_stats(const struct akma_wire_server *ws, struct akma_wire_server_stats *st)
{
	*st = ws->st;
	st->senders = akma_wire_replay_senders(ws->replay, akma_wall_ms());
}

void akma_wire_server_stats_add(struct akma_wire_server_stats *sum,
				const struct akma_wire_server_stats *s)
{
	_Static_assert(sizeof(*s) % sizeof(uint64_t) == 0, "counters only");
	const uint64_t *src = (const uint64_t *)s;
	uint64_t *dst = (uint64_t *)sum;
	for (size_t k = 0; k < sizeof(*s) / sizeof(uint64_t); k++)
		dst[k] += src[k];
}

unsigned akma_wire_server_path(const struct akma_wire_server *ws)
{
	return ws->path;
}

/* STATS: every counter of counters.h, once per datagram (the answer
 * buffer has room for one beside AKMA_WIRE_SERVER_MAX_MSGS others); a
 * second STATS in the same datagram is answered OVERLOAD. */
static void stats_answer(struct akma_wire_server *ws, struct dgram_ctx *c, uint64_t id)
{
	uint64_t v[STATS_MAX];
	int n = -1;

	if (!c->stats_answered && ws->t.read_counters) {
		ws->t.read_counters(ws->t.counters_arg, v);
		n = akma_wire_encode_stats(id, akma_counter_names, v, AKMA_N_COUNTERS,
					   c->buf + AKMA_WIRE_HDR_LEN + c->body_len,
					   STATS_RESPONSE);
	}
	if (n < 0) {
		append_status(c, AKMA_WIRE_STATS, id, AKMA_ST_OVERLOAD, AKMA_FIELD_NONE);
		ws->st.overload++;
		return;
	}
	c->stats_answered = 1;
	c->body_len += (size_t)n;
}
