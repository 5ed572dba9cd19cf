/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target for the wire decoder: the input is a datagram, opened
 * with plain mode allowed (random octets seldom pass GCM, so the body parser
 * is reached through plain datagrams and, below, directly), then every
 * message is decoded as a request and as a response. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "wire.h"

static struct akma_wire_key *key;
static struct akma_wire_replay *replay;

static void parse_body(const uint8_t *body, size_t len)
{
	static struct akma_req r;
	struct akma_wire_msg m;
	size_t off = 0;

	while (akma_wire_next(body, len, &off, &m) == 1) {
		akma_wire_decode_request(&m, &r);
		if (r.akid_len > AKMA_AKID_MAX || r.af_id_len > AKMA_AF_ID_MAX ||
		    r.ueid_len > AKMA_UEID_MAX)
			__builtin_trap();
		uint8_t out[1024];
		akma_wire_encode_response(&r, m.type, out, sizeof(out));
		akma_wire_decode_response(&m, &r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t dgram[AKMA_WIRE_MAX_DGRAM];
	struct akma_wire_hdr h;
	const uint8_t *body;
	size_t blen;

	if (!key) {
		static const uint8_t psk[32] = {7};
		key = akma_wire_key_create(psk, NULL);
		replay = akma_wire_replay_create(256, 30000, NULL);
	}
	if (size > sizeof(dgram))
		return 0;
	memcpy(dgram, data, size);
	if (akma_wire_open(key, replay, dgram, size, 1764300000000ULL, 1, &h, &body, &blen) == 0)
		parse_body(body, blen);
	parse_body(data, size);
	return 0;
}
