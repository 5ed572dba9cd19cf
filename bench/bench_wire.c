/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akma-bench wire: load over UDP on loopback against a running akmad, beside
 * a baseline in the same run: the same datagrams sent to a minimal UDP echo
 * (recvmmsg/sendmmsg, no crypto, no store) that runs in this process. The
 * client does the same work for both: it seals GET_KAF batches of uniformly
 * random A-KIDs, keeps a window of datagrams in flight, and opens and
 * parses every answer (the echo's answers are its own requests, which open
 * under the same key). Rounds alternate between the two targets.
 *
 * Around the rounds it reads akmad's STATS and prints what akmad's I/O
 * lcore spent per request on the path the load took (socket or DPDK port):
 * busy TSC cycles and their phases (drivers/wire_server/wire_server.h).
 * With --vdev this process is a DPDK peer instead (bench_port.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_port.h"
#include "err.h"
#include "kdf.h"
#include "secret.h"
#include "wire.h"
#include "clock.h"

static const char usage_text[] =
	"Usage: akma-bench wire [OPTIONS]\n"
	"\n"
	"Load a running akmad over UDP with GET_KAF requests for uniformly random\n"
	"A-KIDs of contexts this run registers first, and the same load against a\n"
	"minimal UDP echo in this process (no crypto, no store) as the baseline.\n"
	"Start akmad first (scripts/run.sh, or akmad --config FILE).\n"
	"\n"
	"Options:\n"
	"  --server HOST:PORT  akmad's UDP address (default 127.0.0.1:7777)\n"
	"  --psk-file FILE     the wire PSK (default conf/akmad.psk)\n"
	"  --contexts N        contexts to register first (default 1000000)\n"
	"  --first I           first synthetic SUPI number (default 0)\n"
	"  --batch B           requests per datagram, 1..64 (default 16)\n"
	"  --window W          datagrams in flight, 1..1024 (default 32; keep W x B\n"
	"                      under akmad's engine.ring_size or it answers overload)\n"
	"  --duration SEC      time per round and target (default 2)\n"
	"  --rounds N          rounds, median shown (default 3)\n"
	"  --vdev SPEC         drive akmad over a DPDK port of this process instead\n"
	"                      of kernel UDP (net_memif0,role=client,socket=PATH, the\n"
	"                      other end of akmad's ethdev port); no echo baseline\n"
	"  --local A.B.C.D     this side's IPv4 address on that port (needed with --vdev)\n"
	"  --label TEXT        what the path is called in the output\n"
	"  --preloaded         the contexts of --contexts/--first are registered\n"
	"                      already (an earlier run): do not register them again\n"
	"  --csv               CSV rows instead of a table\n"
	"  -h, --help          this text\n";

#define RING 4096

/* Where the datagrams go: a connected UDP socket, or a DPDK port. */
struct link {
	int fd;
	struct bench_port *port;
};

static int link_send(struct link *l, const uint8_t *d, size_t len)
{
	if (l->port)
		return bench_port_send(l->port, d, len);
	return (int)send(l->fd, d, len, 0);
}

static long link_recv(struct link *l, uint8_t *d, size_t cap)
{
	if (l->port)
		return bench_port_recv(l->port, d, cap);
	return (long)recv(l->fd, d, cap, MSG_DONTWAIT);
}

/* 1 when a datagram may be waiting, 0 after timeout_ms of nothing. */
static int link_wait(struct link *l, int timeout_ms)
{
	if (l->port)
		return bench_port_wait(l->port, timeout_ms);
	struct pollfd p = {.fd = l->fd, .events = POLLIN};
	return poll(&p, 1, timeout_ms) > 0;
}

struct wire_bench {
	struct sockaddr_in server, echo;
	struct akma_wire_key *key;
	uint64_t n, first;
	uint64_t epoch; /* akmad's, learned while preloading */
	unsigned batch, window, rounds;
	double duration;
	int csv, preloaded;
	uint8_t *akids; /* n A-KIDs, BENCH_AKID_STRIDE apart, length last */
	volatile int stop_echo;
	int echo_fd;
};

static void *echo_main(void *arg)
{
	struct wire_bench *b = arg;
	static uint8_t buf[32][AKMA_WIRE_MAX_DGRAM];
	struct mmsghdr msg[32];
	struct iovec iov[32];
	struct sockaddr_in from[32];

	while (!b->stop_echo) {
		for (int i = 0; i < 32; i++) {
			iov[i] = (struct iovec){buf[i], sizeof(buf[i])};
			msg[i].msg_hdr = (struct msghdr){.msg_name = &from[i],
							 .msg_namelen = sizeof(from[i]),
							 .msg_iov = &iov[i],
							 .msg_iovlen = 1};
		}
		struct pollfd p = {.fd = b->echo_fd, .events = POLLIN};
		if (poll(&p, 1, 50) <= 0)
			continue;
		int n = recvmmsg(b->echo_fd, msg, 32, MSG_DONTWAIT, NULL);
		for (int i = 0; i < n; i++)
			iov[i].iov_len = msg[i].msg_len;
		if (n > 0)
			sendmmsg(b->echo_fd, msg, (unsigned)n, 0);
	}
	return NULL;
}

/* Register the contexts, 64 to a datagram, 32 datagrams in flight. */
static int preload(struct wire_bench *b, struct link *fd)
{
	static uint8_t d[AKMA_WIRE_MAX_DGRAM];
	static struct akma_req r;
	struct akma_wire_sender snd;
	struct akma_wire_replay *rp = akma_wire_replay_create(16, 30000, NULL);
	uint64_t rng = 0x5eed ^ (b->first * 0x9e3779b97f4a7c15ULL), done = 0, t0 = akma_mono_ns(),
		 last = akma_wall_ms();
	uint64_t *todo = malloc(b->n * sizeof(*todo)), n_todo = 0;
	unsigned in_flight = 0;

	akma_wire_sender_init(&snd);
	bench_make_akids(b->akids, b->n, &rng, (int64_t)b->first);
	if (b->preloaded) { /* an earlier run registered them; its A-KIDs are these */
		free(todo);
		akma_wire_replay_free(rp);
		return 0;
	}
	for (uint64_t i = 0; i < b->n; i++)
		todo[n_todo++] = b->n - 1 - i;
	/* 8 datagrams of 64: 512 in flight, under the engine's ring; what it
	 * refuses as overload goes back on the list. */
	while (done < b->n) {
		while (in_flight < 8 && n_todo) {
			size_t off = 0;
			/* a DPDK port's datagram fits one frame (akmad drops fragments) */
			unsigned per = fd->port ? 8 : 64;
			for (unsigned k = 0; k < per && n_todo; k++) {
				uint64_t sent = todo[--n_todo];
				memset(&r, 0, sizeof(r));
				r.type = AKMA_REQ_REGISTER;
				r.client_id = sent;
				r.ueid_type = AKMA_WIRE_SUPI;
				r.akid_len =
					b->akids[sent * BENCH_AKID_STRIDE + BENCH_AKID_STRIDE - 1];
				memcpy(akma_req_akid(&r), b->akids + sent * BENCH_AKID_STRIDE,
				       r.akid_len);
				r.ueid_len = (uint16_t)snprintf(
					(char *)akma_req_ueid(&r), 32, "imsi-00101%010llu",
					(unsigned long long)(b->first + sent));
				for (int j = 0; j < 4; j++) {
					uint64_t x = bench_rand(&rng);
					memcpy(r.kakma + 8 * j, &x, 8);
				}
				off += (size_t)akma_wire_encode_request(
					&r, d + AKMA_WIRE_HDR_LEN + off, 60000 - off);
			}
			int len =
				akma_wire_seal(b->key, &snd, d, off, akma_wall_ms(), AKMA_WIRE_GCM);
			link_send(fd, d, (size_t)len);
			in_flight++;
		}
		if (!link_wait(fd, 100)) {
			if (akma_wall_ms() - last > 3000) {
				fprintf(stderr,
					"akma-bench wire: akmad stopped answering while preloading "
					"(%llu of %llu stored): is it running, with capacity for "
					"them?\n",
					(unsigned long long)done, (unsigned long long)b->n);
				akma_wire_replay_free(rp);
				free(todo);
				return -1;
			}
			continue;
		}
		long got = link_recv(fd, d, sizeof(d));
		struct akma_wire_hdr h;
		const uint8_t *body;
		size_t blen, off = 0;
		if (got <= 0 ||
		    akma_wire_open(b->key, rp, d, (size_t)got, akma_wall_ms(), 0, &h, &body, &blen))
			continue;
		last = akma_wall_ms();
		in_flight--;
		akma_wire_learn_epoch(&snd, &h);
		b->epoch = snd.epoch; /* the load rounds seal under it from the start */
		struct akma_wire_msg m;
		while (akma_wire_next(body, blen, &off, &m) == 1) {
			if (m.payload_len >= 1 &&
			    (m.payload[0] == AKMA_ST_OVERLOAD ||
			     m.payload[0] == AKMA_WIRE_ST_EPOCH) &&
			    m.id < b->n) {
				todo[n_todo++] = m.id;
				continue;
			}
			if (m.payload_len < 1 || m.payload[0] != AKMA_ST_OK) {
				fprintf(stderr,
					"akma-bench wire: a registration was refused (status %u): "
					"akmad's capacity below --contexts?\n",
					m.payload_len ? m.payload[0] : 255);
				akma_wire_replay_free(rp);
				free(todo);
				return -1;
			}
			done++;
		}
		if ((done & 0xffff) == 0)
			bench_progress("registering through akmad", done, b->n);
	}
	bench_progress("registering through akmad", b->n, b->n);
	double s = (double)(akma_mono_ns() - t0) / 1e9;
	printf("%spreloaded  %llu contexts through akmad in %.2f s (%.0f registrations/s)\n",
	       b->csv ? "# " : "", (unsigned long long)b->n, s, (double)b->n / s);
	akma_wire_replay_free(rp);
	free(todo);
	return 0;
}

struct load_result {
	double rps, p50, p99, p999;
	uint64_t answered, ok, lost;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* One round against one target. */
static void run_load(struct wire_bench *b, struct link *fd, struct load_result *res)
{
	static uint8_t d[AKMA_WIRE_MAX_DGRAM];
	static struct akma_req r;
	static uint64_t sent_at[RING];
	static uint64_t lat[1 << 20];
	struct akma_wire_sender snd;
	struct akma_wire_replay *rp = akma_wire_replay_create(16, 30000, NULL);
	uint64_t rng = akma_mono_ns(), dgram_no = 0, n_lat = 0, t0 = akma_mono_ns();
	uint64_t end = t0 + (uint64_t)(b->duration * 1e9), last = t0;
	unsigned in_flight = 0;

	memset(res, 0, sizeof(*res));
	akma_wire_sender_init(&snd);
	snd.epoch = b->epoch;
	for (;;) {
		uint64_t now = akma_mono_ns();
		while (in_flight < b->window && now < end) {
			size_t off = 0;
			for (unsigned k = 0; k < b->batch; k++) {
				uint64_t i = bench_rand(&rng) % b->n;
				memset(&r, 0, 64);
				r.type = AKMA_REQ_GET_KAF;
				r.client_id = dgram_no * 64 + k;
				r.akid_len =
					b->akids[i * BENCH_AKID_STRIDE + BENCH_AKID_STRIDE - 1];
				r.af_id_len = 19;
				memcpy(akma_req_akid(&r), b->akids + i * BENCH_AKID_STRIDE,
				       r.akid_len);
				memcpy(akma_req_af_id(&r), "af.example.com\x01\x00\x00\x00\x07",
				       19);
				off += (size_t)akma_wire_encode_request(
					&r, d + AKMA_WIRE_HDR_LEN + off, 60000 - off);
			}
			int len =
				akma_wire_seal(b->key, &snd, d, off, akma_wall_ms(), AKMA_WIRE_GCM);
			sent_at[dgram_no % RING] = akma_mono_ns();
			dgram_no++;
			if (link_send(fd, d, (size_t)len) == len)
				in_flight++;
		}
		if (now >= end && in_flight == 0)
			break;
		if (!link_wait(fd, 20)) {
			if (akma_mono_ns() - last > 200000000ull) { /* 200 ms of silence: lost */
				res->lost += in_flight;
				in_flight = 0;
				last = akma_mono_ns();
			}
			continue;
		}
		long got;
		while ((got = link_recv(fd, d, sizeof(d))) > 0) {
			struct akma_wire_hdr h;
			const uint8_t *body;
			size_t blen, off = 0;
			uint64_t t = akma_mono_ns();
			last = t;
			if (akma_wire_open(b->key, rp, d, (size_t)got, akma_wall_ms(), 0, &h, &body,
					   &blen))
				continue;
			if (in_flight)
				in_flight--;
			struct akma_wire_msg m;
			int firstmsg = 1;
			while (akma_wire_next(body, blen, &off, &m) == 1) {
				res->answered++;
				/* akmad answers 0x82 with a status; the echo returns the request */
				res->ok += m.type == (AKMA_WIRE_GET_KAF | AKMA_WIRE_RESPONSE)
						   ? m.payload_len > 0 && m.payload[0] == AKMA_ST_OK
						   : m.type == AKMA_WIRE_GET_KAF;
				if (firstmsg && n_lat < (1 << 20)) {
					lat[n_lat++] = t - sent_at[(m.id / 64) % RING];
					firstmsg = 0;
				}
			}
		}
	}
	double secs = (double)(akma_mono_ns() - t0) / 1e9;
	res->rps = (double)res->answered / secs;
	qsort(lat, n_lat, sizeof(lat[0]), cmp_u64);
	if (n_lat) {
		res->p50 = (double)lat[n_lat / 2] / 1e3;
		res->p99 = (double)lat[(uint64_t)((double)n_lat * 0.99)] / 1e3;
		res->p999 = (double)lat[(uint64_t)((double)n_lat * 0.999)] / 1e3;
	}
	akma_wire_replay_free(rp);
}

static int connect_udp(const struct sockaddr_in *to)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), size = 8 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (fd < 0 || connect(fd, (const struct sockaddr *)to, sizeof(*to)) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The counters of akmad's I/O lcore, from a STATS answer (wire.md). */
struct io_profile {
	uint64_t requests, busy, io, parse, crypto, decode, handoff;
};

struct akmad_stats {
	uint64_t tsc_hz;
	struct io_profile path[2]; /* sock, ethdev */
};

static void take_stat(struct akmad_stats *st, const struct akma_wire_stat *it)
{
	static const char *const paths[2] = {"sock_", "ethdev_"};
	if (!strcmp(it->name, "tsc_hz"))
		st->tsc_hz = it->value;
	for (int p = 0; p < 2; p++) {
		size_t n = strlen(paths[p]);
		if (strncmp(it->name, paths[p], n) != 0)
			continue;
		const char *f = it->name + n;
		struct io_profile *io = &st->path[p];
		uint64_t *to = !strcmp(f, "requests")         ? &io->requests
			       : !strcmp(f, "busy_cycles")    ? &io->busy
			       : !strcmp(f, "io_cycles")      ? &io->io
			       : !strcmp(f, "parse_cycles")   ? &io->parse
			       : !strcmp(f, "crypto_cycles")  ? &io->crypto
			       : !strcmp(f, "decode_cycles")  ? &io->decode
			       : !strcmp(f, "handoff_cycles") ? &io->handoff
							      : NULL;
		if (to)
			*to = it->value;
	}
}

static int read_stats(struct wire_bench *b, struct link *l, struct akmad_stats *st)
{
	static uint8_t d[AKMA_WIRE_MAX_DGRAM];
	static struct akma_wire_stat items[AKMA_WIRE_STATS_MAX];
	struct akma_wire_sender snd;
	struct akma_wire_replay *rp = akma_wire_replay_create(16, 30000, NULL);
	const uint64_t id = 0x5747415453ull;

	memset(st, 0, sizeof(*st));
	akma_wire_sender_init(&snd);
	snd.epoch = b->epoch;
	for (int attempt = 0; attempt < 10; attempt++) {
		snd.epoch = b->epoch; /* learnt from an EPOCH answer, if it came to that */
		int n = akma_wire_encode_stats_request(id, d + AKMA_WIRE_HDR_LEN, 64);
		int len = akma_wire_seal(b->key, &snd, d, (size_t)n, akma_wall_ms(), AKMA_WIRE_GCM);
		link_send(l, d, (size_t)len);
		uint64_t until = akma_mono_ms() + 500;
		while (akma_mono_ms() < until) {
			if (!link_wait(l, 50))
				continue;
			long got = link_recv(l, d, sizeof(d));
			struct akma_wire_hdr h;
			const uint8_t *body;
			size_t blen, off = 0;
			if (got <= 0 || akma_wire_open(b->key, rp, d, (size_t)got, akma_wall_ms(),
						       0, &h, &body, &blen))
				continue;
			if (h.response)
				b->epoch = h.epoch; /* the load rounds seal under it */
			struct akma_wire_msg m;
			while (akma_wire_next(body, blen, &off, &m) == 1) {
				uint8_t status;
				int k;
				if (m.id != id ||
				    (k = akma_wire_decode_stats(&m, &status, items,
								AKMA_WIRE_STATS_MAX)) < 0 ||
				    status != AKMA_ST_OK)
					continue;
				for (int i = 0; i < k; i++)
					take_stat(st, &items[i]);
				akma_wire_replay_free(rp);
				return 0;
			}
		}
	}
	akma_wire_replay_free(rp);
	return -1;
}

/* What akmad's I/O lcore spent per request on the path that carried the
 * round (its requests grew most), in ns: busy, then its phases. */
static void print_profile(const struct wire_bench *b, const struct akmad_stats *s0,
			  const struct akmad_stats *s1, const char *label)
{
	int p = s1->path[1].requests - s0->path[1].requests >
		s1->path[0].requests - s0->path[0].requests;
	const struct io_profile *a = &s0->path[p], *z = &s1->path[p];
	double req = (double)(z->requests - a->requests);
	if (req <= 0 || !s1->tsc_hz) {
		printf("%sno I/O profile: akmad counted no request on either path\n",
		       b->csv ? "# " : "");
		return;
	}
	double ns = 1e9 / (double)s1->tsc_hz / req;
	double busy = (double)(z->busy - a->busy) * ns, io = (double)(z->io - a->io) * ns,
	       parse = (double)(z->parse - a->parse) * ns,
	       crypto = (double)(z->crypto - a->crypto) * ns,
	       decode = (double)(z->decode - a->decode) * ns,
	       handoff = (double)(z->handoff - a->handoff) * ns;
	double other = busy - io - parse - crypto - decode - handoff;
	if (b->csv) {
		printf("io_path,requests,busy_ns_per_request,io_ns,parse_ns,crypto_ns,decode_ns,"
		       "handoff_ns,other_ns\n");
		printf("%s,%.0f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f\n", p ? "ethdev" : "sock", req,
		       busy, io, parse, crypto, decode, handoff, other);
		return;
	}
	printf("\nakmad's I/O lcore on the %s path (%s), per request over %.0f requests:\n",
	       p ? "ethdev" : "socket", label, req);
	printf("  %-44s %8.1f ns\n", "busy (TSC of passes that did work)", busy);
	printf("  %-44s %8.1f ns\n", p ? "  rx/tx bursts" : "  recvmmsg/sendmmsg system calls", io);
	printf("  %-44s %8.1f ns\n", "  frame parsing and answer headers", parse);
	printf("  %-44s %8.1f ns\n", "  AES-GCM open and seal", crypto);
	printf("  %-44s %8.1f ns\n", "  message decoding into requests", decode);
	printf("  %-44s %8.1f ns\n", "  ring hand-off, completions, encoding", handoff);
	printf("  %-44s %8.1f ns\n", "  the rest (loop, bookkeeping)", other);
}

static int parse_local(const char *text, void *out)
{
	struct sockaddr_in *a = out;
	a->sin_family = AF_INET;
	return inet_pton(AF_INET, text, &a->sin_addr) == 1 ? 0 : -1;
}

int bench_wire_main(int argc, char **argv)
{
	static struct wire_bench b = {
		.n = 1000000, .batch = 16, .window = 32, .rounds = 3, .duration = 2};
	const char *psk_file = "conf/akmad.psk", *vdev = NULL, *label = "kernel UDP";
	struct sockaddr_in local = {0};

	bench_parse_ipv4("127.0.0.1:7777", &b.server);
	const struct bench_opt opts[] = {
		{"server", BENCH_OPT_CUSTOM, &b.server, 0, 0, bench_parse_ipv4},
		{"psk-file", BENCH_OPT_STRING, &psk_file, 0, 0, NULL},
		{"contexts", BENCH_OPT_U64, &b.n, 64, 100000000, NULL},
		{"first", BENCH_OPT_U64, &b.first, 0, 1e10, NULL},
		{"batch", BENCH_OPT_UINT, &b.batch, 1, 64, NULL},
		{"window", BENCH_OPT_UINT, &b.window, 1, 1024, NULL},
		{"duration", BENCH_OPT_DOUBLE, &b.duration, 0.01, 600, NULL},
		{"rounds", BENCH_OPT_UINT, &b.rounds, 1, 16, NULL},
		{"vdev", BENCH_OPT_STRING, &vdev, 0, 0, NULL},
		{"local", BENCH_OPT_CUSTOM, &local, 0, 0, parse_local},
		{"label", BENCH_OPT_STRING, &label, 0, 0, NULL},
		{"preloaded", BENCH_OPT_FLAG, &b.preloaded, 0, 0, NULL},
		{"csv", BENCH_OPT_FLAG, &b.csv, 0, 0, NULL},
		{NULL, 0, NULL, 0, 0, NULL},
	};
	int rc = bench_options("wire", usage_text, opts, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	uint8_t psk[32];
	char why[300];
	if (akma_psk_read(psk_file, 0, psk, why, sizeof(why)) != 0) {
		fprintf(stderr, "akma-bench wire: %s\n", why);
		return 1;
	}
	b.key = akma_wire_key_create(psk, NULL);
	explicit_bzero(psk, sizeof(psk));

	static struct bench_port port;
	struct link to_akmad = {-1, NULL}, to_echo = {-1, NULL};
	pthread_t echo;
	if (vdev) {
		/* A DPDK peer: akmad straight over a port, no echo baseline (there
		 * is no kernel on this path to echo with). */
		if (!local.sin_addr.s_addr) {
			fprintf(stderr, "akma-bench wire: --vdev needs --local A.B.C.D, this "
					"side's IPv4 address on the port\n");
			return 2;
		}
		bench_eal_vdev = vdev;
		if (bench_eal_init(NULL, 512) != 0)
			return 1;
		uint8_t sip[4], lip[4];
		memcpy(sip, &b.server.sin_addr, 4);
		memcpy(lip, &local.sin_addr, 4);
		if (bench_port_open(&port, sip, ntohs(b.server.sin_port), lip, why, sizeof(why)) !=
		    0) {
			fprintf(stderr, "akma-bench wire: %s\n", why);
			return 1;
		}
		to_akmad.port = &port;
		label = strcmp(label, "kernel UDP") ? label : "DPDK port";
	} else {
		/* The echo baseline, on an ephemeral loopback port. */
		b.echo_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		int size = 8 << 20;
		setsockopt(b.echo_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
		b.echo.sin_family = AF_INET;
		b.echo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t el = sizeof(b.echo);
		if (bind(b.echo_fd, (struct sockaddr *)&b.echo, sizeof(b.echo)) != 0 ||
		    getsockname(b.echo_fd, (struct sockaddr *)&b.echo, &el) != 0) {
			perror("akma-bench wire: echo socket");
			return 1;
		}
		pthread_create(&echo, NULL, echo_main, &b);
		to_akmad.fd = connect_udp(&b.server);
		to_echo.fd = connect_udp(&b.echo);
	}

	bench_print_env(stdout, b.csv, -1);
	b.akids = malloc(b.n * BENCH_AKID_STRIDE);
	if (!b.akids || (!vdev && (to_akmad.fd < 0 || to_echo.fd < 0)) ||
	    preload(&b, &to_akmad) != 0) {
		if (!vdev) {
			b.stop_echo = 1;
			pthread_join(echo, NULL);
		}
		return 1;
	}
	printf("%sworkload   GET_KAF for uniformly random A-KIDs of %llu contexts, %u per "
	       "datagram, "
	       "%u datagrams in flight, %u rounds of %.1f s a target, over %s\n",
	       b.csv ? "# " : "", (unsigned long long)b.n, b.batch, b.window, b.rounds, b.duration,
	       label);
	struct load_result ra[16], re[16];
	struct akmad_stats s0, s1;
	int have_stats = read_stats(&b, &to_akmad, &s0) == 0;
	for (unsigned r = 0; r < b.rounds; r++) {
		if (!vdev)
			run_load(&b, &to_echo, &re[r]);
		run_load(&b, &to_akmad, &ra[r]);
	}
	have_stats = have_stats && read_stats(&b, &to_akmad, &s1) == 0;
	if (!vdev) {
		b.stop_echo = 1;
		pthread_join(echo, NULL);
	}

	double va[16], ve[16];
	for (unsigned r = 0; r < b.rounds; r++) {
		va[r] = ra[r].rps;
		ve[r] = vdev ? 0 : re[r].rps;
	}
	double a = bench_median(va, b.rounds), e = vdev ? 0 : bench_median(ve, b.rounds);
	const struct load_result *ma = &ra[0], *me = &re[0]; /* the rounds nearest the medians */
	for (unsigned r = 1; r < b.rounds; r++) {
		if (fabs(ra[r].rps - a) < fabs(ma->rps - a))
			ma = &ra[r];
		if (!vdev && fabs(re[r].rps - e) < fabs(me->rps - e))
			me = &re[r];
	}
	if (b.csv) {
		printf("target,requests_per_s,p50_us,p99_us,p999_us,ratio_to_echo,answered,ok,"
		       "lost\n");
		if (!vdev)
			printf("echo,%.0f,%.1f,%.1f,%.1f,1.00,%llu,%llu,%llu\n", e, me->p50,
			       me->p99, me->p999, (unsigned long long)me->answered,
			       (unsigned long long)me->ok, (unsigned long long)me->lost);
		printf("akmad,%.0f,%.1f,%.1f,%.1f,%.2f,%llu,%llu,%llu\n", a, ma->p50, ma->p99,
		       ma->p999, e > 0 ? a / e : 0, (unsigned long long)ma->answered,
		       (unsigned long long)ma->ok, (unsigned long long)ma->lost);
	} else {
		printf("\n%-24s %12s %10s %10s %10s %10s\n", "target", "requests/s", "p50 us",
		       "p99 us", "p99.9 us", "x echo");
		if (!vdev)
			printf("%-24s %12.0f %10.1f %10.1f %10.1f %10.2f\n", "UDP echo (no crypto)",
			       e, me->p50, me->p99, me->p999, 1.0);
		printf("%-24s %12.0f %10.1f %10.1f %10.1f %10s\n", "akmad GET_KAF", a, ma->p50,
		       ma->p99, ma->p999, "-");
		if (e > 0)
			printf("%-24s %12s %10s %10s %10s %10.2f\n", "", "", "", "", "", a / e);
		printf("\nakmad's median round: %llu answers, %llu with a K_AF, %llu datagrams "
		       "lost\n",
		       (unsigned long long)ma->answered, (unsigned long long)ma->ok,
		       (unsigned long long)ma->lost);
	}
	if (have_stats)
		print_profile(&b, &s0, &s1, label);
	else
		printf("%sno I/O profile: akmad did not answer STATS\n", b.csv ? "# " : "");
	if (vdev) {
		bench_port_close(&port);
	} else {
		close(to_akmad.fd);
		close(to_echo.fd);
		close(b.echo_fd);
	}
	akma_wire_key_free(b.key);
	free(b.akids);
	return 0;
}
