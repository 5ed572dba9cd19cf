/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A wire client for the integration tests:
 *   wire_probe PSKFILE HOST PORT AKID COUNT [replay]
 * sends one sealed datagram of COUNT GET_KAF requests for AKID (AF
 * af.example.com, Ua* 01 00 00 00 07) and prints one line per answer:
 * "id status". With "replay" it then sends the very same octets again and
 * prints "replay: answered" or "replay: no answer".
 *   wire_probe PSKFILE HOST PORT raw HEX
 * seals HEX as the body instead (a malformed message, say) and prints
 * "id status field" per answer.
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

#include "err.h"
#include "hex.h"
#include "secret.h"
#include "wire.h"
#include "clock.h"

int main(int argc, char **argv)
{
	static uint8_t d[AKMA_WIRE_MAX_DGRAM], copy[AKMA_WIRE_MAX_DGRAM];
	static struct akma_req r;
	uint8_t psk[32];
	char why[300];

	if (argc < 6)
		return 2;
	if (akma_psk_read(argv[1], 0, psk, why, sizeof(why)) != 0) {
		fprintf(stderr, "wire_probe: %s\n", why);
		return 2;
	}
	struct akma_wire_key *key = akma_wire_key_create(psk, NULL);
	struct akma_wire_replay *rp = akma_wire_replay_create(16, 30000, NULL);
	struct akma_wire_sender snd;
	akma_wire_sender_init(&snd);
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[3]))};
	inet_pton(AF_INET, argv[2], &to.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0)
		return 2;
	/* Learn akmad's epoch first (wire.md): a STATS, answered EPOCH under
	 * epoch 0, carries it. */
	for (int tries = 0; tries < 20 && !snd.epoch; tries++) {
		int n = akma_wire_encode_stats_request(1, d + AKMA_WIRE_HDR_LEN, 64);
		int l = akma_wire_seal(key, &snd, d, (size_t)n, akma_wall_ms(), AKMA_WIRE_GCM);
		send(fd, d, (size_t)l, 0);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 500) <= 0)
			continue;
		static uint8_t in[AKMA_WIRE_MAX_DGRAM];
		ssize_t got = recv(fd, in, sizeof(in), 0);
		struct akma_wire_hdr h;
		const uint8_t *body;
		size_t blen;
		if (got > 0 && akma_wire_open(key, rp, in, (size_t)got, akma_wall_ms(), 0, &h,
					      &body, &blen) == 0)
			akma_wire_learn_epoch(&snd, &h);
	}
	unsigned count = (unsigned)atoi(argv[5]);
	size_t off = 0;
	int raw = !strcmp(argv[4], "raw");
	if (raw) {
		off = strlen(argv[5]) / 2;
		if (akma_hex_decode(argv[5], 2 * off, d + AKMA_WIRE_HDR_LEN, off, -1) != 0)
			return 2;
		count = 0;
	}
	for (unsigned i = 0; i < count; i++) {
		memset(&r, 0, sizeof(r));
		r.type = AKMA_REQ_GET_KAF;
		r.client_id = i;
		r.akid_len = (uint8_t)strlen(argv[4]);
		r.af_id_len = 19;
		memcpy(akma_req_akid(&r), argv[4], r.akid_len);
		memcpy(akma_req_af_id(&r), "af.example.com\x01\x00\x00\x00\x07", 19);
		off += (size_t)akma_wire_encode_request(&r, d + AKMA_WIRE_HDR_LEN + off,
							60000 - off);
	}
	int len = akma_wire_seal(key, &snd, d, off, akma_wall_ms(), AKMA_WIRE_GCM);
	memcpy(copy, d, (size_t)len);
	int replay = argc > 6 && !strcmp(argv[6], "replay");
	for (int round = 0; round < 1 + replay; round++) {
		send(fd, round ? copy : d, (size_t)len, 0);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int answered = 0;
		while (poll(&p, 1, 700) > 0) {
			static uint8_t in[AKMA_WIRE_MAX_DGRAM];
			ssize_t got = recv(fd, in, sizeof(in), 0);
			struct akma_wire_hdr h;
			const uint8_t *body;
			size_t blen, o = 0;
			if (got <= 0 || akma_wire_open(key, rp, in, (size_t)got, akma_wall_ms(), 0,
						       &h, &body, &blen))
				continue;
			answered = 1;
			struct akma_wire_msg m;
			while (akma_wire_next(body, blen, &o, &m) == 1)
				if (!round && raw)
					printf("%llu %u %u\n", (unsigned long long)m.id,
					       m.payload_len ? m.payload[0] : 255,
					       m.payload_len > 1 ? m.payload[1] : 255);
				else if (!round)
					printf("%llu %u\n", (unsigned long long)m.id,
					       m.payload_len ? m.payload[0] : 255);
			if (!round)
				break;
		}
		if (round)
			printf("replay: %s\n", answered ? "answered" : "no answer");
	}
	akma_wire_key_free(key);
	akma_wire_replay_free(rp);
	return 0;
}
