/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akma-bench wire: load over UDP on loopback against a running akmad, beside
 * a baseline in the same run: the same datagrams sent to a minimal UDP echo
 * (recvmmsg/sendmmsg, no crypto, no store) that runs in this process. The
 * client does the same work for both: it seals GET_KAF batches of uniformly
 * random A-KIDs, keeps a window of datagrams in flight, and opens and
 * parses every answer (the echo's answers are its own requests, which open
 * under the same key). Rounds alternate between the two targets.
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
	"  --csv               CSV rows instead of a table\n"
	"  -h, --help          this text\n";

#define RING 4096

struct wire_bench {
	struct sockaddr_in server, echo;
	struct akma_wire_key *key;
	uint64_t n, first;
	uint64_t epoch; /* akmad's, learned while preloading */
	unsigned batch, window, rounds;
	double duration;
	int csv;
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
static int preload(struct wire_bench *b, int fd)
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
	for (uint64_t i = 0; i < b->n; i++)
		todo[n_todo++] = b->n - 1 - i;
	/* 8 datagrams of 64: 512 in flight, under the engine's ring; what it
	 * refuses as overload goes back on the list. */
	while (done < b->n) {
		while (in_flight < 8 && n_todo) {
			size_t off = 0;
			for (unsigned k = 0; k < 64 && n_todo; k++) {
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
			send(fd, d, (size_t)len, 0);
			in_flight++;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0) {
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
		ssize_t got = recv(fd, d, sizeof(d), 0);
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
static void run_load(struct wire_bench *b, int fd, struct load_result *res)
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
			if (send(fd, d, (size_t)len, 0) == len)
				in_flight++;
		}
		if (now >= end && in_flight == 0)
			break;
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 20) <= 0) {
			if (akma_mono_ns() - last > 200000000ull) { /* 200 ms of silence: lost */
				res->lost += in_flight;
				in_flight = 0;
				last = akma_mono_ns();
			}
			continue;
		}
		ssize_t got;
		while ((got = recv(fd, d, sizeof(d), MSG_DONTWAIT)) > 0) {
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

int bench_wire_main(int argc, char **argv)
{
	static struct wire_bench b = {
		.n = 1000000, .batch = 16, .window = 32, .rounds = 3, .duration = 2};
	const char *psk_file = "conf/akmad.psk";

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
	pthread_t echo;
	pthread_create(&echo, NULL, echo_main, &b);

	bench_print_env(stdout, b.csv, -1);
	b.akids = malloc(b.n * BENCH_AKID_STRIDE);
	int fd_akmad = connect_udp(&b.server), fd_echo = connect_udp(&b.echo);
	if (!b.akids || fd_akmad < 0 || fd_echo < 0 || preload(&b, fd_akmad) != 0) {
		b.stop_echo = 1;
		pthread_join(echo, NULL);
		return 1;
	}
	printf("%sworkload   GET_KAF for uniformly random A-KIDs of %llu contexts, %u per "
	       "datagram, "
	       "%u datagrams in flight, %u rounds of %.1f s a target\n",
	       b.csv ? "# " : "", (unsigned long long)b.n, b.batch, b.window, b.rounds, b.duration);
	struct load_result ra[16], re[16];
	for (unsigned r = 0; r < b.rounds; r++) {
		run_load(&b, fd_echo, &re[r]);
		run_load(&b, fd_akmad, &ra[r]);
	}
	b.stop_echo = 1;
	pthread_join(echo, NULL);

	double va[16], ve[16];
	for (unsigned r = 0; r < b.rounds; r++) {
		va[r] = ra[r].rps;
		ve[r] = re[r].rps;
	}
	double a = bench_median(va, b.rounds), e = bench_median(ve, b.rounds);
	const struct load_result *ma = &ra[0], *me = &re[0]; /* the rounds nearest the medians */
	for (unsigned r = 1; r < b.rounds; r++) {
		if (fabs(ra[r].rps - a) < fabs(ma->rps - a))
			ma = &ra[r];
		if (fabs(re[r].rps - e) < fabs(me->rps - e))
			me = &re[r];
	}
	if (b.csv) {
		printf("target,requests_per_s,p50_us,p99_us,p999_us,ratio_to_echo,answered,ok,"
		       "lost\n");
		printf("echo,%.0f,%.1f,%.1f,%.1f,1.00,%llu,%llu,%llu\n", e, me->p50, me->p99,
		       me->p999, (unsigned long long)me->answered, (unsigned long long)me->ok,
		       (unsigned long long)me->lost);
		printf("akmad,%.0f,%.1f,%.1f,%.1f,%.2f,%llu,%llu,%llu\n", a, ma->p50, ma->p99,
		       ma->p999, a / e, (unsigned long long)ma->answered,
		       (unsigned long long)ma->ok, (unsigned long long)ma->lost);
	} else {
		printf("\n%-24s %12s %10s %10s %10s %10s\n", "target", "requests/s", "p50 us",
		       "p99 us", "p99.9 us", "x echo");
		printf("%-24s %12.0f %10.1f %10.1f %10.1f %10.2f\n", "UDP echo (no crypto)", e,
		       me->p50, me->p99, me->p999, 1.0);
		printf("%-24s %12.0f %10.1f %10.1f %10.1f %10.2f\n", "akmad GET_KAF", a, ma->p50,
		       ma->p99, ma->p999, a / e);
		printf("\nakmad's median round: %llu answers, %llu with a K_AF, %llu datagrams "
		       "lost\n",
		       (unsigned long long)ma->answered, (unsigned long long)ma->ok,
		       (unsigned long long)ma->lost);
	}
	close(fd_akmad);
	close(fd_echo);
	close(b.echo_fd);
	akma_wire_key_free(b.key);
	free(b.akids);
	return 0;
}
