/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The socket driver (see sock.h). Each received datagram that opens gets a
 * context from a fixed pool: the peer's address, the count of its requests
 * still in the engine, and a buffer where their responses accumulate. The
 * buffer is sized for AKMA_SOCK_MAX_MSGS responses of the largest kind, so
 * appending never fails. When the count reaches zero the buffer is sealed
 * and queued for sendmmsg; its context is freed once sent.
 */
#include "secmem.h"
#include "sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_log.h>

#include "addr.h"
#include "clock.h"
#include "counters.h"
#include "err.h"
#include "wire.h"

#define MAX_LISTENERS 8
#define VERSION_ERRORS_PER_S 100 /* answers to unauthenticated datagrams */
#define RX_BATCH 32
#define N_CONTEXTS 1024
#define TX_BATCH 64
/* the largest response: a GET_KAF with the longest UE identity */
#define MAX_RESPONSE (AKMA_WIRE_MSG_HDR_LEN + 2 + AKMA_KEY_LEN + 8 + 3 + AKMA_UEID_MAX)
/* one STATS answer: status, count, and every counter with its name */
#define STATS_RESPONSE \
	(AKMA_WIRE_MSG_HDR_LEN + 4 + AKMA_N_COUNTERS * (1 + AKMA_WIRE_STAT_NAME_MAX + 8))
#define RESP_BUF \
	(AKMA_WIRE_HDR_LEN + AKMA_SOCK_MAX_MSGS * MAX_RESPONSE + STATS_RESPONSE + AKMA_WIRE_TAG_LEN)

struct listener {
	int fd;
	int is_unix;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

struct dgram_ctx {
	struct sockaddr_storage peer;
	socklen_t peer_len;
	int fd;
	uint8_t mode;
	unsigned pending;
	int stats_answered;
	size_t body_len;
	struct dgram_ctx *next_free;
	uint8_t buf[RESP_BUF];
};

struct akma_sock {
	struct akma_engine *e;
	unsigned producer;
	struct akma_wire_key *key;
	struct akma_wire_replay *replay;
	struct akma_wire_sender sender;
	int allow_plain_unix;
	struct listener ls[MAX_LISTENERS];
	unsigned n_ls;
	struct dgram_ctx *contexts, *free_ctx;
	struct dgram_ctx *spare; /* answers OVERLOAD when every other one is busy */
	unsigned in_flight;
	/* receive batch */
	uint8_t (*rx)[AKMA_WIRE_MAX_DGRAM];
	struct mmsghdr rx_msg[RX_BATCH];
	struct iovec rx_iov[RX_BATCH];
	struct sockaddr_storage rx_addr[RX_BATCH];
	/* send queue */
	struct dgram_ctx *tx_ctx[TX_BATCH];
	struct mmsghdr tx_msg[TX_BATCH];
	struct iovec tx_iov[TX_BATCH];
	unsigned n_tx;
	/* requests waiting for submission in this pass */
	struct akma_req *submit[AKMA_SOCK_MAX_MSGS * RX_BATCH];
	unsigned n_submit;
	uint64_t now_ms;
	uint64_t epoch; /* this start's server epoch */
	double version_error_budget;
	uint64_t version_errors_ns;
	struct akma_sock_stats st;
};

/* One log type per component: opening and closing only. */
static int sock_log = -1;
#define SOCK_LOG(level, ...) rte_log(RTE_LOG_##level, (uint32_t)sock_log, "akma.sock: " __VA_ARGS__)

/* ---- listeners ----------------------------------------------------------------- */

static int open_one(struct akma_sock *s, const char *addr, char *why, size_t size)
{
	struct listener *l = &s->ls[s->n_ls];
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, bufsize = 4 << 20;

	memset(l, 0, sizeof(*l));
	if (akma_addr_parse("wire.listen", addr, AKMA_ADDR_WIRE, &ss, &len, why, size) != 0)
		return -1;
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd >= 0 && ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	int rc = -1;
	if (fd >= 0 && ss.ss_family == AF_UNIX) {
		const char *path = ((struct sockaddr_un *)&ss)->sun_path;
		unlink(path);            /* a socket file left by an earlier run */
		mode_t old = umask(077); /* the socket is for this user only */
		rc = bind(fd, (struct sockaddr *)&ss, len);
		umask(old);
		l->is_unix = 1;
		memcpy(l->path, path,
		       strnlen(path, sizeof(l->path) - 1)); /* checked by the parser */
	} else if (fd >= 0) {
		rc = bind(fd, (struct sockaddr *)&ss, len);
	}
	if (rc != 0) {
		snprintf(why, size, "%s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		l->is_unix = 0;
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
	if (sock_log >= 0)
		SOCK_LOG(INFO, "listening on %s%s\n", addr,
			 l->is_unix && s->allow_plain_unix ? " (plain datagrams allowed)" : "");
	l->fd = fd;
	s->n_ls++;
	return 0;
}

/* Buffers that hold keys (K_AKMA in requests, K_AF in answers): zeroed,
 * and never in a core dump. */
static void *map_secret(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	madvise(p, size, MADV_DONTDUMP);
	return p;
}

struct akma_sock *akma_sock_open(const struct akma_sock_params *p, struct akma_engine *e,
				 unsigned producer, char *why, size_t why_size)
{
	struct akma_sock *s = calloc(1, sizeof(*s));
	char list[512];
	int err;

	if (!s) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	if (sock_log < 0)
		sock_log = rte_log_register_type_and_pick_level("akma.sock", RTE_LOG_NOTICE);
	s->e = e;
	s->producer = producer;
	s->allow_plain_unix = p->allow_plain_unix;
	s->key = akma_wire_key_create(p->psk, &err);
	s->replay = akma_wire_replay_create(p->max_senders, p->replay_window_ms, &err);
	s->contexts = map_secret((N_CONTEXTS + 1) * sizeof(*s->contexts));
	s->rx = map_secret(RX_BATCH * sizeof(*s->rx));
	if (!s->key || !s->replay || !s->contexts || !s->rx || akma_wire_sender_init(&s->sender) ||
	    getrandom(&s->epoch, sizeof(s->epoch), GRND_NONBLOCK) != (ssize_t)sizeof(s->epoch)) {
		snprintf(why, why_size, "cannot set up the wire protocol: %s", akma_strerror(err));
		akma_sock_close(s);
		return NULL;
	}
	/* The server side: answers, under this start's own epoch (wire.md). */
	s->epoch |= 1; /* never 0, a client's "not learned yet" */
	s->sender.response = 1;
	s->sender.epoch = s->epoch;
	s->version_errors_ns = akma_mono_ns();
	s->version_error_budget = VERSION_ERRORS_PER_S;
	for (unsigned i = 0; i < N_CONTEXTS; i++) {
		s->contexts[i].next_free = s->free_ctx;
		s->free_ctx = &s->contexts[i];
	}
	s->spare = &s->contexts[N_CONTEXTS];
	snprintf(list, sizeof(list), "%s", p->listen);
	for (char *save = NULL, *a = strtok_r(list, ",", &save); a;
	     a = strtok_r(NULL, ",", &save)) {
		while (*a == ' ')
			a++;
		if (s->n_ls == MAX_LISTENERS) {
			snprintf(why, why_size, "more than %d listen addresses", MAX_LISTENERS);
			akma_sock_close(s);
			return NULL;
		}
		if (open_one(s, a, why, why_size) != 0) {
			akma_sock_close(s);
			return NULL;
		}
	}
	if (!s->n_ls) {
		snprintf(why, why_size, "no listen address");
		akma_sock_close(s);
		return NULL;
	}
	return s;
}

void akma_sock_close(struct akma_sock *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n_ls; i++) {
		close(s->ls[i].fd);
		if (s->ls[i].is_unix)
			unlink(s->ls[i].path);
	}
	akma_wire_key_free(s->key);
	akma_wire_replay_free(s->replay);
	if (s->contexts) {
		explicit_bzero(s->contexts, (N_CONTEXTS + 1) * sizeof(*s->contexts)); /* K_AF */
		munmap(s->contexts, (N_CONTEXTS + 1) * sizeof(*s->contexts));
	}
	if (s->rx) {
		explicit_bzero(s->rx, RX_BATCH * sizeof(*s->rx));
		munmap(s->rx, RX_BATCH * sizeof(*s->rx));
	}
	free(s);
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
	size_t room = RESP_BUF - AKMA_WIRE_HDR_LEN - AKMA_WIRE_TAG_LEN - c->body_len;
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

static void flush_tx(struct akma_sock *s)
{
	unsigned i = 0;

	while (i < s->n_tx) {
		int fd = s->tx_ctx[i]->fd;
		unsigned j = i;
		while (j < s->n_tx && s->tx_ctx[j]->fd == fd)
			j++;
		int sent = sendmmsg(fd, &s->tx_msg[i], j - i, MSG_DONTWAIT);
		unsigned ok = sent > 0 ? (unsigned)sent : 0;
		s->st.tx_datagrams += ok;
		s->st.send_errors += (j - i) - ok;
		i = j;
	}
	for (i = 0; i < s->n_tx; i++) {
		struct dgram_ctx *c = s->tx_ctx[i];
		explicit_bzero(c->buf, AKMA_WIRE_HDR_LEN + c->body_len + AKMA_WIRE_TAG_LEN);
		c->next_free = s->free_ctx;
		s->free_ctx = c;
	}
	s->n_tx = 0;
}

static void finish(struct akma_sock *s, struct dgram_ctx *c)
{
	int len = akma_wire_seal(s->key, &s->sender, c->buf, c->body_len, s->now_ms, c->mode);

	if (s->n_tx == TX_BATCH)
		flush_tx(s);
	if (len < 0) { /* cannot happen: the buffer is sized below the limit */
		c->next_free = s->free_ctx;
		s->free_ctx = c;
		return;
	}
	unsigned i = s->n_tx++;
	s->tx_ctx[i] = c;
	s->tx_iov[i] = (struct iovec){c->buf, (size_t)len};
	s->tx_msg[i].msg_hdr = (struct msghdr){.msg_name = &c->peer,
					       .msg_namelen = c->peer_len,
					       .msg_iov = &s->tx_iov[i],
					       .msg_iovlen = 1};
}

/* ---- receiving ------------------------------------------------------------------------- */

static void count_drop(struct akma_sock *s, int rc)
{
	switch (-rc) {
	case AKMA_E_WIRE_SHORT:
		s->st.dropped_short++;
		break;
	case AKMA_E_WIRE_PLAIN:
		s->st.dropped_plain++;
		break;
	case AKMA_E_WIRE_STALE:
		s->st.dropped_stale++;
		break;
	case AKMA_E_WIRE_AUTH:
		s->st.dropped_auth++;
		break;
	case AKMA_E_WIRE_REPLAY:
		s->st.dropped_replay++;
		break;
	case AKMA_E_WIRE_SENDERS:
		s->st.dropped_senders++;
		break;
	default:
		s->st.dropped_magic++;
		break;
	}
}

static void stats_answer(struct akma_sock *s, struct dgram_ctx *c, uint64_t id);

static void take_datagram(struct akma_sock *s, const struct listener *l, uint8_t *d, size_t len,
			  const struct sockaddr_storage *from, socklen_t from_len)
{
	struct akma_wire_hdr h;
	const uint8_t *body;
	size_t blen, off = 0;

	s->st.rx_datagrams++;
	int rc = akma_wire_open(s->key, s->replay, d, len, s->now_ms,
				l->is_unix && s->allow_plain_unix, &h, &body, &blen);
	if (rc == -AKMA_E_WIRE_VERSION) {
		s->st.version_errors++;
		/* Unauthenticated: never more octets back than came in, and a
		 * bounded rate, so akmad reflects nothing (wire.md, check 2). */
		uint64_t now = akma_mono_ns();
		s->version_error_budget +=
			(double)(now - s->version_errors_ns) * 1e-9 * VERSION_ERRORS_PER_S;
		if (s->version_error_budget > VERSION_ERRORS_PER_S)
			s->version_error_budget = VERSION_ERRORS_PER_S;
		s->version_errors_ns = now;
		uint8_t answer[64];
		int n = akma_wire_version_error(&s->sender, answer, sizeof(answer), s->now_ms);
		if (n <= 0 || len < (size_t)n || s->version_error_budget < 1) {
			s->st.version_errors_unanswered++;
			return;
		}
		s->version_error_budget -= 1;
		if (sendto(l->fd, answer, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)from,
			   from_len) == n)
			s->st.tx_datagrams++;
		return;
	}
	if (rc) {
		count_drop(s, rc);
		return;
	}
	/* A response is never answered, and nothing under our own sender id is
	 * taken: a captured answer sent back cannot make akmad answer itself. */
	if (h.response || h.sender == s->sender.id) {
		s->st.dropped_direction++;
		explicit_bzero(d, len);
		return;
	}
	struct dgram_ctx *c = s->free_ctx;
	if (!c) {
		/* Every context awaits the engine: the spare answers each message
		 * OVERLOAD now, so the sender hears something and retries. */
		struct akma_wire_msg m;
		c = s->spare;
		c->body_len = 0;
		while (akma_wire_next(body, blen, &off, &m) == 1) {
			append_status(c, m.type, m.id, AKMA_ST_OVERLOAD, AKMA_FIELD_NONE);
			s->st.overload++;
			if (c->body_len + MAX_RESPONSE >
			    RESP_BUF - AKMA_WIRE_HDR_LEN - AKMA_WIRE_TAG_LEN)
				break;
		}
		int n = akma_wire_seal(s->key, &s->sender, c->buf, c->body_len, s->now_ms, h.mode);
		if (n > 0 && sendto(l->fd, c->buf, (size_t)n, MSG_DONTWAIT,
				    (const struct sockaddr *)from, from_len) == n)
			s->st.tx_datagrams++;
		explicit_bzero(d, len);
		return;
	}
	s->free_ctx = c->next_free;
	memcpy(&c->peer, from, from_len);
	c->peer_len = from_len;
	c->fd = l->fd;
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
			s->st.malformed++;
			break;
		}
		s->st.requests++;
		if (h.epoch != s->epoch) {
			/* Sealed under another start (or before the client learned
			 * this one's epoch): never applied; the answer carries ours. */
			append_status(c, m.type & 0x7f, m.id, AKMA_WIRE_ST_EPOCH, AKMA_FIELD_NONE);
			s->st.stale_epoch++;
			if (++count >= AKMA_SOCK_MAX_MSGS)
				break;
			continue;
		}
		if (++count > AKMA_SOCK_MAX_MSGS) {
			append_status(c, m.type, m.id, AKMA_ST_OVERLOAD, AKMA_FIELD_NONE);
			s->st.overload++;
			continue;
		}
		if (m.type == AKMA_WIRE_STATS) {
			stats_answer(s, c, m.id);
			continue;
		}
		struct akma_req *r;
		if (akma_engine_req_alloc(s->e, &r, 1) != 0) {
			append_status(c, m.type, m.id, AKMA_ST_OVERLOAD, AKMA_FIELD_NONE);
			s->st.overload++;
			continue;
		}
		if (akma_wire_decode_request(&m, r) != 0) {
			append(c, r, m.type);
			s->st.malformed++;
			akma_engine_req_free(s->e, &r, 1);
			continue;
		}
		r->producer_data = c;
		c->pending++;
		s->submit[s->n_submit++] = r;
	}
	explicit_bzero(d, len); /* requests carried K_AKMA */
	if (!c->pending)
		finish(s, c);
}

static void collect(struct akma_sock *s, struct akma_req **r, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct dgram_ctx *c = r[i]->producer_data;
		append(c, r[i], wire_type_of(r[i]->type));
		s->st.answered++;
		if (--c->pending == 0)
			finish(s, c);
	}
	akma_engine_req_free(s->e, r, n);
}

unsigned akma_sock_poll(struct akma_sock *s, uint64_t now_ms)
{
	unsigned work = 0;
	struct akma_req *rej[64], *done[256];

	s->now_ms = now_ms;
	for (unsigned li = 0; li < s->n_ls; li++) {
		struct listener *l = &s->ls[li];
		for (unsigned i = 0; i < RX_BATCH; i++) {
			s->rx_iov[i] = (struct iovec){s->rx[i], AKMA_WIRE_MAX_DGRAM};
			s->rx_msg[i].msg_hdr = (struct msghdr){.msg_name = &s->rx_addr[i],
							       .msg_namelen = sizeof(s->rx_addr[i]),
							       .msg_iov = &s->rx_iov[i],
							       .msg_iovlen = 1};
		}
		int got = recvmmsg(l->fd, s->rx_msg, RX_BATCH, MSG_DONTWAIT, NULL);
		for (int i = 0; i < got; i++) {
			if (s->rx_msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
				s->st.dropped_short++;
				continue;
			}
			take_datagram(s, l, s->rx[i], s->rx_msg[i].msg_len, &s->rx_addr[i],
				      s->rx_msg[i].msg_hdr.msg_namelen);
		}
		work += got > 0 ? (unsigned)got : 0;
	}
	/* Submit; what a full ring refuses is answered OVERLOAD now. */
	for (unsigned base = 0; base < s->n_submit; base += 64) {
		unsigned m = s->n_submit - base < 64 ? s->n_submit - base : 64, n_rej;
		s->in_flight +=
			akma_engine_submit(s->e, s->producer, s->submit + base, m, rej, &n_rej);
		s->st.overload += n_rej;
		collect(s, rej, n_rej);
	}
	s->n_submit = 0;
	unsigned n;
	while ((n = akma_engine_poll(s->e, s->producer, done, 256)) > 0) {
		s->in_flight -= n;
		collect(s, done, n);
		work += n;
	}
	flush_tx(s);
	return work;
}

void akma_sock_wait(struct akma_sock *s, int timeout_ms)
{
	struct pollfd p[MAX_LISTENERS];

	for (unsigned i = 0; i < s->n_ls; i++)
		p[i] = (struct pollfd){.fd = s->ls[i].fd, .events = POLLIN};
	akma_secmem_clear_registers(); /* the last datagrams' keys, out of a dump */
	poll(p, s->n_ls, timeout_ms);
}

unsigned akma_sock_in_flight(const struct akma_sock *s)
{
	return s->in_flight;
}

void akma_sock_set_replay_window(struct akma_sock *s, uint64_t window_ms)
{
	akma_wire_replay_set_window(s->replay, window_ms);
}

void akma_sock_stats(const struct akma_sock *s, struct akma_sock_stats *st)
{
	*st = s->st;
	st->senders = akma_wire_replay_senders(s->replay, akma_wall_ms());
}

/* STATS: every counter of counters.h, once per datagram (the answer
 * buffer has room for one beside AKMA_SOCK_MAX_MSGS others); a second
 * STATS in the same datagram is answered OVERLOAD. */
static void stats_answer(struct akma_sock *s, struct dgram_ctx *c, uint64_t id)
{
	uint64_t v[AKMA_N_COUNTERS];
	int n = -1;

	if (!c->stats_answered) {
		akma_counters_read(s->e, s, v);
		n = akma_wire_encode_stats(id, akma_counter_names, v, AKMA_N_COUNTERS,
					   c->buf + AKMA_WIRE_HDR_LEN + c->body_len,
					   STATS_RESPONSE);
	}
	if (n < 0) {
		append_status(c, AKMA_WIRE_STATS, id, AKMA_ST_OVERLOAD, AKMA_FIELD_NONE);
		s->st.overload++;
		return;
	}
	c->stats_answered = 1;
	c->body_len += (size_t)n;
}
