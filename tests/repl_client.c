/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replication tests' client (integration_repl.sh). Subscriber i is
 * imsi-00101 and i in ten digits, A-KID "i.repl@akma.example", K_AKMA
 * octet b = i * 131 + b * 7 + 3, so any run can recompute what it expects.
 *
 *   repl_client PSK HOST PORT register FIRST COUNT LOG
 *       register FIRST.. in datagrams of 8, one datagram in flight; every
 *       answer is appended to LOG as "i status" (flushed as it comes), so a
 *       kill of akmad mid-stream leaves a record of what was acknowledged.
 *       Stops at COUNT or after 1 s without an answer.
 *   repl_client PSK HOST PORT verify FIRST COUNT LOG
 *       GET_KAF for each subscriber LOG names in that range: every one
 *       acknowledged must be served with the K_AF derived here, every one
 *       refused must be absent. Exit 0 only then.
 *   repl_client PSK HOST PORT wait-kaf I TIMEOUT_MS
 *       ask for subscriber I's K_AF until it is served; print the ms it took.
 *   repl_client PSK HOST PORT get I
 *       one GET_KAF; print its status.
 *   repl_client PSK HOST PORT reads I UNTIL_FILE
 *       GET_KAF for subscriber I, one every 5 ms (1 s to answer), until
 *       UNTIL_FILE exists; print how many were served, how many not, and
 *       the longest time between two served; exit 0 only if every one was
 *       served with the right K_AF.
 *   repl_client REDIS_PORT scan-clear FIRST COUNT
 *       read every value in Redis; print how many hold a K_AKMA of
 *       FIRST..FIRST+COUNT in the clear (exit 1 if any).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "err.h"
#include "kdf.h"
#include "secret.h"
#include "wire.h"
#include "clock.h"

#define PER_DGRAM 8
#define AF_FQDN "af.example.com"

static struct akma_wire_key *key;
static struct akma_wire_replay *replay;
static struct akma_wire_sender snd;
static int fd;

static void kakma_of(unsigned i, uint8_t k[32])
{
	for (int b = 0; b < 32; b++)
		k[b] = (uint8_t)(i * 131 + b * 7 + 3);
}

static void fill(struct akma_req *r, int type, unsigned i)
{
	memset(r, 0, sizeof(*r));
	r->type = (uint8_t)type;
	r->client_id = i;
	char akid[64], supi[32];
	r->akid_len = (uint8_t)snprintf(akid, sizeof(akid), "%u.repl@akma.example", i);
	memcpy(akma_req_akid(r), akid, r->akid_len);
	if (type == AKMA_REQ_REGISTER) {
		r->ueid_type = AKMA_WIRE_SUPI;
		r->ueid_len = (uint16_t)snprintf(supi, sizeof(supi), "imsi-00101%010u", i);
		memcpy(akma_req_ueid(r), supi, r->ueid_len);
		kakma_of(i, r->kakma);
	} else {
		r->af_id_len = 19;
		memcpy(akma_req_af_id(r), AF_FQDN "\x01\x00\x00\x00\x07", 19);
	}
}

/* Send n requests in one datagram; fill out[] with the answers (status 255
 * where none came within timeout_ms). Returns how many were answered. */
static unsigned exchange_once(struct akma_req *reqs, unsigned n, int timeout_ms)
{
	static uint8_t d[AKMA_WIRE_MAX_DGRAM], in[AKMA_WIRE_MAX_DGRAM];
	size_t off = 0;

	for (unsigned i = 0; i < n; i++) {
		off += (size_t)akma_wire_encode_request(&reqs[i], d + AKMA_WIRE_HDR_LEN + off,
							60000 - off);
		reqs[i].status = 255;
	}
	int len = akma_wire_seal(key, &snd, d, off, akma_wall_ms(), AKMA_WIRE_GCM);
	if (send(fd, d, (size_t)len, 0) != len)
		return 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	uint64_t until = akma_wall_ms() + (uint64_t)timeout_ms;
	while (akma_wall_ms() < until && poll(&p, 1, (int)(until - akma_wall_ms())) > 0) {
		ssize_t got = recv(fd, in, sizeof(in), 0);
		struct akma_wire_hdr h;
		const uint8_t *body;
		size_t blen, o = 0;
		if (got <= 0 || akma_wire_open(key, replay, in, (size_t)got, akma_wall_ms(), 0, &h,
					       &body, &blen))
			continue;
		akma_wire_learn_epoch(&snd, &h);
		struct akma_wire_msg m;
		unsigned answered = 0;
		while (akma_wire_next(body, blen, &o, &m) == 1) {
			for (unsigned i = 0; i < n; i++)
				if (reqs[i].client_id == m.id) {
					akma_wire_decode_response(&m, &reqs[i]);
					answered++;
				}
		}
		return answered;
	}
	return 0;
}

/* As exchange_once(), sent again under akmad's epoch when the answers say
 * it changed (our first datagram, or akmad restarted: wire.md). */
static unsigned exchange(struct akma_req *reqs, unsigned n, int timeout_ms)
{
	unsigned answered = exchange_once(reqs, n, timeout_ms);
	for (unsigned i = 0; i < n; i++)
		if (reqs[i].status == AKMA_WIRE_ST_EPOCH)
			return exchange_once(reqs, n, timeout_ms);
	return answered;
}

static int do_register(unsigned first, unsigned count, const char *log)
{
	static struct akma_req r[PER_DGRAM];
	FILE *f = fopen(log, "a");
	unsigned acked = 0, refused = 0;

	if (!f)
		return 2;
	for (unsigned base = first; base < first + count; base += PER_DGRAM) {
		unsigned n = first + count - base < PER_DGRAM ? first + count - base : PER_DGRAM;
		for (unsigned k = 0; k < n; k++)
			fill(&r[k], AKMA_REQ_REGISTER, base + k);
		if (exchange(r, n, 1000) == 0)
			break; /* akmad is gone */
		for (unsigned k = 0; k < n; k++) {
			if (r[k].status == 255)
				continue;
			fprintf(f, "%u %u\n", base + k, r[k].status);
			acked += r[k].status == AKMA_ST_OK;
			refused += r[k].status != AKMA_ST_OK;
		}
		fflush(f);
	}
	fclose(f);
	printf("registered: %u acknowledged, %u refused\n", acked, refused);
	return 0;
}

static int do_verify(unsigned first, unsigned count, const char *log)
{
	FILE *f = fopen(log, "r");
	unsigned *idx = NULL, n = 0, cap = 0, i, st;
	unsigned char *ok = NULL;

	if (!f)
		return 2;
	/* Only what the log names: a registration whose answer never came may
	 * or may not have been applied. The last answer for an index counts. */
	while (fscanf(f, "%u %u", &i, &st) == 2) {
		if (i < first || i - first >= count)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 4096;
			idx = realloc(idx, cap * sizeof(*idx));
			ok = realloc(ok, cap);
		}
		idx[n] = i;
		ok[n++] = st == AKMA_ST_OK;
	}
	fclose(f);
	/* Several answers for one subscriber (a write retried until accepted):
	 * keep the last. Sorted by index, stable on log order. */
	for (unsigned a = 1; a < n; a++)
		for (unsigned b = a; b > 0 && idx[b - 1] > idx[b]; b--) {
			unsigned t = idx[b];
			idx[b] = idx[b - 1];
			idx[b - 1] = t;
			unsigned char o = ok[b];
			ok[b] = ok[b - 1];
			ok[b - 1] = o;
		}
	unsigned kept = 0;
	for (unsigned a = 0; a < n; a++) {
		if (kept && idx[kept - 1] == idx[a])
			kept--;
		idx[kept] = idx[a];
		ok[kept++] = ok[a];
	}
	n = kept;
	unsigned acked = 0, served = 0, missing = 0, wrong = 0, refused = 0, present = 0;
	static struct akma_req r[32];
	struct akma_af_id af = {0};
	akma_af_id_parse(AF_FQDN ";ua=0100000007", strlen(AF_FQDN ";ua=0100000007"), NULL, &af);
	for (unsigned b = 0; b < n; b += 32) {
		unsigned m = n - b < 32 ? n - b : 32;
		for (unsigned k = 0; k < m; k++)
			fill(&r[k], AKMA_REQ_GET_KAF, idx[b + k]);
		exchange(r, m, 2000);
		for (unsigned k = 0; k < m; k++) {
			uint8_t kakma[32], want[32];
			if (!ok[b + k]) {
				refused++;
				present += r[k].status != AKMA_ST_NOT_FOUND;
				continue;
			}
			acked++;
			kakma_of(idx[b + k], kakma);
			akma_derive_kaf(kakma, &af, want);
			if (r[k].status != AKMA_ST_OK)
				missing++;
			else if (memcmp(r[k].kaf, want, 32) != 0)
				wrong++;
			else
				served++;
		}
	}
	printf("acknowledged %u: served %u with the right K_AF, missing %u, wrong %u; refused %u: "
	       "present %u\n",
	       acked, served, missing, wrong, refused, present);
	free(idx);
	free(ok);
	return acked > 0 && missing == 0 && wrong == 0 && present == 0 ? 0 : 1;
}

static int do_wait_kaf(unsigned i, unsigned timeout_ms)
{
	struct akma_req r;
	uint64_t t0 = akma_wall_ms();

	while (akma_wall_ms() - t0 < timeout_ms) {
		fill(&r, AKMA_REQ_GET_KAF, i);
		if (exchange(&r, 1, 50) == 1 && r.status == AKMA_ST_OK) {
			printf("%llu\n", (unsigned long long)(akma_wall_ms() - t0));
			return 0;
		}
		usleep(10000);
	}
	printf("none within %u ms\n", timeout_ms);
	return 1;
}

static int scan_clear(int port, unsigned first, unsigned count)
{
	redisContext *c = redisConnect("127.0.0.1", port);
	if (!c || c->err)
		return 2;
	redisReply *keys = redisCommand(c, "KEYS *");
	unsigned clear = 0, values = 0;
	for (size_t k = 0; keys && k < keys->elements; k++) {
		redisReply *v =
			redisCommand(c, "GET %b", keys->element[k]->str, keys->element[k]->len);
		if (v && v->type == REDIS_REPLY_STRING) {
			values++;
			for (unsigned i = first; i < first + count; i++) {
				uint8_t kakma[32];
				kakma_of(i, kakma);
				clear += memmem(v->str, v->len, kakma, 32) != NULL;
			}
		}
		if (v)
			freeReplyObject(v);
	}
	printf("%u values read, %u hold a K_AKMA in the clear\n", values, clear);
	if (keys)
		freeReplyObject(keys);
	redisFree(c);
	return clear || !values ? 1 : 0;
}

static int do_reads(unsigned i, const char *until)
{
	struct akma_af_id af = {0};
	uint8_t kakma[32], want[32];
	unsigned served = 0, not_served = 0, last_status = 0;
	uint64_t last_ok = akma_mono_ms(), longest = 0;

	akma_af_id_parse(AF_FQDN ";ua=0100000007", strlen(AF_FQDN ";ua=0100000007"), NULL, &af);
	kakma_of(i, kakma);
	akma_derive_kaf(kakma, &af, want);
	while (access(until, F_OK) != 0) {
		struct akma_req r;
		fill(&r, AKMA_REQ_GET_KAF, i);
		exchange(&r, 1, 1000);
		uint64_t now = akma_mono_ms();
		if (r.status == AKMA_ST_OK && !memcmp(r.kaf, want, 32)) {
			served++;
			if (now - last_ok > longest)
				longest = now - last_ok;
			last_ok = now;
		} else {
			not_served++;
			last_status = r.status;
		}
		akma_sleep_ms(5);
	}
	printf("reads: %u served, %u not (last status %u); longest between two served: %llu ms\n",
	       served, not_served, last_status, (unsigned long long)longest);
	return not_served || !served ? 1 : 0;
}

int main(int argc, char **argv)
{
	uint8_t psk[32];
	char why[300];

	if (argc == 5 && !strcmp(argv[2], "scan-clear"))
		return scan_clear(atoi(argv[1]), (unsigned)atoi(argv[3]), (unsigned)atoi(argv[4]));
	if (argc < 6) {
		fprintf(stderr, "usage: see the opening comment of tests/repl_client.c\n");
		return 2;
	}
	if (akma_psk_read(argv[1], 0, psk, why, sizeof(why)) != 0) {
		fprintf(stderr, "repl_client: %s\n", why);
		return 2;
	}
	key = akma_wire_key_create(psk, NULL);
	replay = akma_wire_replay_create(16, 30000, NULL);
	akma_wire_sender_init(&snd);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
	inet_pton(AF_INET, argv[2], &to.sin_addr);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0)
		return 2;
	const char *cmd = argv[4];
	int rc = 2;
	if (!strcmp(cmd, "register") && argc == 8)
		rc = do_register((unsigned)atoi(argv[5]), (unsigned)atoi(argv[6]), argv[7]);
	else if (!strcmp(cmd, "verify") && argc == 8)
		rc = do_verify((unsigned)atoi(argv[5]), (unsigned)atoi(argv[6]), argv[7]);
	else if (!strcmp(cmd, "reads") && argc == 7)
		rc = do_reads((unsigned)atoi(argv[5]), argv[6]);
	else if (!strcmp(cmd, "wait-kaf") && argc == 7)
		rc = do_wait_kaf((unsigned)atoi(argv[5]), (unsigned)atoi(argv[6]));
	else if (!strcmp(cmd, "get") && argc == 6) {
		struct akma_req r;
		fill(&r, AKMA_REQ_GET_KAF, (unsigned)atoi(argv[5]));
		exchange(&r, 1, 1000);
		printf("%u\n", r.status);
		rc = 0;
	}
	akma_wire_key_free(key);
	akma_wire_replay_free(replay);
	return rc;
}
