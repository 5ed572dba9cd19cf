/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The socket transport (see sock.h): recvmmsg on each listener into a
 * receive batch, each datagram handed to the wire server with its sender's
 * address and socket as the peer, and the server's answers queued and sent
 * with one sendmmsg per run of answers to one socket.
 */
#include "sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_log.h>

#include "addr.h"
#include "err.h"
#include "secmem.h"

#define MAX_LISTENERS 8
#define RX_BATCH 32
#define TX_BATCH 64

struct listener {
	int fd;
	int is_unix;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* What the wire server keeps beside a datagram to answer it. */
struct sock_peer {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int fd;
};

_Static_assert(sizeof(struct sock_peer) <= AKMA_WIRE_SERVER_MAX_PEER, "a peer fits");

struct akma_sock {
	struct akma_wire_server *ws;
	int allow_plain_unix;
	struct listener ls[MAX_LISTENERS];
	unsigned n_ls;
	/* receive batch */
	uint8_t (*rx)[AKMA_WIRE_MAX_DGRAM];
	struct mmsghdr rx_msg[RX_BATCH];
	struct iovec rx_iov[RX_BATCH];
	struct sockaddr_storage rx_addr[RX_BATCH];
	/* send queue */
	int tx_fd[TX_BATCH];
	struct mmsghdr tx_msg[TX_BATCH];
	struct iovec tx_iov[TX_BATCH];
	unsigned n_tx;
	uint64_t send_errors, truncated;
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

static void flush_tx(struct akma_sock *s)
{
	uint64_t t0 = rte_rdtsc();
	unsigned i = 0;

	while (i < s->n_tx) {
		int fd = s->tx_fd[i];
		unsigned j = i;
		while (j < s->n_tx && s->tx_fd[j] == fd)
			j++;
		int sent = sendmmsg(fd, &s->tx_msg[i], j - i, MSG_DONTWAIT);
		unsigned ok = sent > 0 ? (unsigned)sent : 0;
		s->send_errors += (j - i) - ok;
		i = j;
	}
	s->n_tx = 0;
	const struct akma_wire_cycles c = {.io = rte_rdtsc() - t0};
	akma_wire_server_add_cycles(s->ws, &c);
}

static void sock_send(void *arg, void *peer_blob, const uint8_t *dgram, size_t len)
{
	struct akma_sock *s = arg;
	struct sock_peer *peer = peer_blob;

	if (s->n_tx == TX_BATCH)
		flush_tx(s);
	unsigned i = s->n_tx++;
	s->tx_fd[i] = peer->fd;
	s->tx_iov[i] = (struct iovec){(void *)(uintptr_t)dgram, len};
	s->tx_msg[i].msg_hdr = (struct msghdr){.msg_name = &peer->addr,
					       .msg_namelen = peer->addr_len,
					       .msg_iov = &s->tx_iov[i],
					       .msg_iovlen = 1};
}

static void sock_flush(void *arg)
{
	flush_tx(arg);
}

struct akma_sock *akma_sock_open(const struct akma_sock_params *p, struct akma_engine *e,
				 unsigned producer, char *why, size_t why_size)
{
	struct akma_sock *s = calloc(1, sizeof(*s));
	char list[512];

	if (!s) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	if (sock_log < 0)
		sock_log = rte_log_register_type_and_pick_level("akma.sock", RTE_LOG_NOTICE);
	s->allow_plain_unix = p->allow_plain_unix;
	const struct akma_wire_server_params wp = {
		.psk = p->psk,
		.replay_window_ms = p->replay_window_ms,
		.max_senders = p->max_senders,
		.peer_size = sizeof(struct sock_peer),
		.path = AKMA_WIRE_PATH_SOCK,
		.transport = {s, sock_send, sock_flush, p->read_counters, p->counters_arg},
	};
	s->ws = akma_wire_server_create(&wp, e, producer, why, why_size);
	s->rx = akma_secmem_map(RX_BATCH * sizeof(*s->rx)); /* K_AKMA in requests */
	if (!s->ws || !s->rx) {
		if (s->ws)
			snprintf(why, why_size, "out of memory");
		akma_sock_close(s);
		return NULL;
	}
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
	akma_wire_server_free(s->ws);
	akma_secmem_unmap(s->rx, RX_BATCH * sizeof(*s->rx));
	free(s);
}

unsigned akma_sock_poll(struct akma_sock *s, uint64_t now_ms)
{
	unsigned work = 0;
	uint64_t t_start = rte_rdtsc();

	akma_wire_server_begin(s->ws, now_ms);
	for (unsigned li = 0; li < s->n_ls; li++) {
		struct listener *l = &s->ls[li];
		for (unsigned i = 0; i < RX_BATCH; i++) {
			s->rx_iov[i] = (struct iovec){s->rx[i], AKMA_WIRE_MAX_DGRAM};
			s->rx_msg[i].msg_hdr = (struct msghdr){.msg_name = &s->rx_addr[i],
							       .msg_namelen = sizeof(s->rx_addr[i]),
							       .msg_iov = &s->rx_iov[i],
							       .msg_iovlen = 1};
		}
		uint64_t t0 = rte_rdtsc();
		int got = recvmmsg(l->fd, s->rx_msg, RX_BATCH, MSG_DONTWAIT, NULL);
		if (got > 0) { /* an empty poll is nobody's cost */
			const struct akma_wire_cycles c = {.io = rte_rdtsc() - t0};
			akma_wire_server_add_cycles(s->ws, &c);
		}
		for (int i = 0; i < got; i++) {
			if (s->rx_msg[i].msg_hdr.msg_flags & MSG_TRUNC) {
				s->truncated++;
				continue;
			}
			struct sock_peer peer;
			socklen_t alen = s->rx_msg[i].msg_hdr.msg_namelen;
			memcpy(&peer.addr, &s->rx_addr[i], alen);
			peer.addr_len = alen;
			peer.fd = l->fd;
			akma_wire_server_take(s->ws, s->rx[i], s->rx_msg[i].msg_len,
					      l->is_unix && s->allow_plain_unix, &peer);
		}
		work += got > 0 ? (unsigned)got : 0;
	}
	work += akma_wire_server_end(s->ws);
	if (work) {
		struct akma_wire_cycles c = {.busy = rte_rdtsc() - t_start};
		akma_wire_server_add_cycles(s->ws, &c);
	}
	return work;
}

void akma_sock_wait(struct akma_sock *s, int timeout_ms, int also_fd)
{
	struct pollfd p[MAX_LISTENERS + 1];
	unsigned n = s->n_ls;

	for (unsigned i = 0; i < s->n_ls; i++)
		p[i] = (struct pollfd){.fd = s->ls[i].fd, .events = POLLIN};
	if (also_fd >= 0)
		p[n++] = (struct pollfd){.fd = also_fd, .events = POLLIN};
	akma_secmem_clear_registers(); /* the last datagrams' keys, out of a dump */
	akma_secmem_clear_stack();
	poll(p, n, timeout_ms);
}

unsigned akma_sock_in_flight(const struct akma_sock *s)
{
	return akma_wire_server_in_flight(s->ws);
}

void akma_sock_set_replay_window(struct akma_sock *s, uint64_t window_ms)
{
	akma_wire_server_set_replay_window(s->ws, window_ms);
}

void akma_sock_stats(const struct akma_sock *s, struct akma_wire_server_stats *st)
{
	akma_wire_server_stats(s->ws, st);
	st->send_errors += s->send_errors;
	st->dropped_short += s->truncated;
	st->rx_datagrams += s->truncated;
}
