/* SPDX-License-Identifier: BSD-3-Clause */
/* The wire protocol: sealing and opening, every tampered octet, a wrong
 * PSK, replays and the window's edges, freshness, plain mode, versions,
 * truncation at every length, each field rule of each message, the sender
 * table filling up and recovering, sequence wrap, and a barrage of random
 * and mutated datagrams (no crash, no body from a bad datagram). */
#include <stdlib.h>

#include "check.h"
#include "err.h"
#include "kdf.h"
#include "wire.h"

static const uint8_t psk[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
				17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint64_t now = 1764300000000ULL;
static struct akma_wire_key *key;

static void fill_get(struct akma_req *r, const char *akid, uint64_t id, int anon)
{
	memset(r, 0, sizeof(*r));
	r->type = AKMA_REQ_GET_KAF;
	r->flags = anon ? AKMA_REQ_ANONYMOUS : 0;
	r->client_id = id;
	r->akid_len = (uint8_t)strlen(akid);
	r->af_id_len = 19;
	memcpy(akma_req_akid(r), akid, r->akid_len);
	memcpy(akma_req_af_id(r), "af.example.com\x01\x00\x00\x00\x07", 19);
}

static void fill_reg(struct akma_req *r, const char *supi, const char *akid, uint64_t id)
{
	memset(r, 0, sizeof(*r));
	r->type = AKMA_REQ_REGISTER;
	r->client_id = id;
	r->ueid_type = AKMA_WIRE_SUPI;
	r->akid_len = (uint8_t)strlen(akid);
	r->ueid_len = (uint16_t)strlen(supi);
	memcpy(akma_req_akid(r), akid, r->akid_len);
	memcpy(akma_req_ueid(r), supi, r->ueid_len);
	memset(r->kakma, 0x5a, 32);
}

/* A sealed datagram with REGISTER, GET_KAF (anonymous) and REMOVE. */
static int build(uint8_t *dgram, struct akma_wire_sender *s, uint64_t t)
{
	static struct akma_req r[3];
	uint8_t *body = dgram + AKMA_WIRE_HDR_LEN;
	int off = 0;
	fill_reg(&r[0], "imsi-001010123456789", "12.abc@akma.example", 1001);
	fill_get(&r[1], "12.abc@akma.example", 1002, 1);
	memset(&r[2], 0, sizeof(r[2]));
	r[2].type = AKMA_REQ_REMOVE;
	r[2].client_id = 1003;
	r[2].ueid_len = 20;
	memcpy(akma_req_ueid(&r[2]), "imsi-001010123456789", 20);
	for (int i = 0; i < 3; i++)
		off += akma_wire_encode_request(&r[i], body + off, 4096 - (size_t)off);
	return akma_wire_seal(key, s, dgram, (size_t)off, t, AKMA_WIRE_GCM);
}

static void round_trip(void)
{
	struct akma_wire_replay *rp = akma_wire_replay_create(16, 30000, NULL);
	struct akma_wire_sender s;
	uint8_t dgram[4096];
	struct akma_wire_hdr h;
	const uint8_t *body;
	size_t blen, off = 0;
	struct akma_wire_msg m;
	static struct akma_req r;

	CHECK(akma_wire_sender_init(&s) == 0 && s.seq == 1, "sender");
	int len = build(dgram, &s, now);
	CHECK(len > AKMA_WIRE_HDR_LEN + AKMA_WIRE_TAG_LEN, "sealed %d octets", len);
	CHECK(memmem(dgram, (size_t)len, "imsi-001010123456789", 20) == NULL,
	      "no SUPI in clear on the wire");
	CHECK(akma_wire_open(key, rp, dgram, (size_t)len, now + 5, 0, &h, &body, &blen) == 0,
	      "open");
	CHECK(h.seq == 1 && h.sender == s.id && h.time_ms == now && s.seq == 2, "header");

	CHECK(akma_wire_next(body, blen, &off, &m) == 1 && m.type == AKMA_WIRE_REGISTER &&
		      m.id == 1001,
	      "first message");
	CHECK(akma_wire_decode_request(&m, &r) == 0 && r.type == AKMA_REQ_REGISTER &&
		      r.ueid_len == 20 &&
		      memcmp(akma_req_ueid(&r), "imsi-001010123456789", 20) == 0 &&
		      r.akid_len == 19 &&
		      memcmp(akma_req_akid(&r), "12.abc@akma.example", 19) == 0 &&
		      r.kakma[0] == 0x5a && r.kakma[31] == 0x5a && r.ueid_type == AKMA_WIRE_SUPI,
	      "REGISTER decoded");
	CHECK(akma_wire_next(body, blen, &off, &m) == 1 && m.type == AKMA_WIRE_GET_KAF, "second");
	CHECK(akma_wire_decode_request(&m, &r) == 0 && r.type == AKMA_REQ_GET_KAF &&
		      r.flags == AKMA_REQ_ANONYMOUS && r.af_id_len == 19 && r.client_id == 1002 &&
		      memcmp(akma_req_af_id(&r), "af.example.com\x01\x00\x00\x00\x07", 19) == 0,
	      "GET_KAF decoded");
	CHECK(akma_wire_next(body, blen, &off, &m) == 1 && m.type == AKMA_WIRE_REMOVE, "third");
	CHECK(akma_wire_decode_request(&m, &r) == 0 && r.type == AKMA_REQ_REMOVE &&
		      r.ueid_len == 20,
	      "REMOVE decoded");
	CHECK(akma_wire_next(body, blen, &off, &m) == 0, "end of body");

	/* The same datagram again: a replay. */
	len = build(dgram, &s, now);
	uint8_t copy[4096];
	memcpy(copy, dgram, (size_t)len);
	CHECK(akma_wire_open(key, rp, dgram, (size_t)len, now, 0, &h, &body, &blen) == 0, "seq 2");
	CHECK(akma_wire_open(key, rp, copy, (size_t)len, now, 0, &h, &body, &blen) ==
			      -AKMA_E_WIRE_REPLAY &&
		      body == NULL,
	      "replayed datagram refused");
	/* A second sender: two heard within the window, none long after. */
	struct akma_wire_sender s2;
	akma_wire_sender_init(&s2);
	len = build(dgram, &s2, now);
	CHECK(akma_wire_open(key, rp, dgram, (size_t)len, now, 0, &h, &body, &blen) == 0,
	      "second sender");
	CHECK(akma_wire_replay_senders(rp, now) == 2, "senders: %u, want 2",
	      akma_wire_replay_senders(rp, now));
	CHECK(akma_wire_replay_senders(rp, now + 30001) == 0, "senders past the window: %u, want 0",
	      akma_wire_replay_senders(rp, now + 30001));
	akma_wire_replay_free(rp);
}

static void responses(void)
{
	static struct akma_req r, back;
	uint8_t out[512];
	struct akma_wire_msg m;
	size_t off = 0;

	fill_get(&r, "12.abc@akma.example", 77, 0);
	r.status = AKMA_ST_OK;
	memset(r.kaf, 0xc3, 32);
	r.expiry_ms = now + 3600000;
	r.ueid_type = AKMA_WIRE_SUPI;
	r.ueid_len = 20;
	memcpy(akma_req_ueid(&r), "imsi-001010123456789", 20);
	int n = akma_wire_encode_response(&r, AKMA_WIRE_GET_KAF, out, sizeof(out));
	CHECK(n == AKMA_WIRE_MSG_HDR_LEN + 2 + 32 + 8 + 3 + 20, "response size %d", n);
	CHECK(akma_wire_next(out, (size_t)n, &off, &m) == 1 &&
		      m.type == (AKMA_WIRE_GET_KAF | 0x80) && m.id == 77,
	      "response header");
	CHECK(akma_wire_decode_response(&m, &back) == 0 && back.status == AKMA_ST_OK &&
		      memcmp(back.kaf, r.kaf, 32) == 0 && back.expiry_ms == r.expiry_ms &&
		      back.ueid_len == 20 && memcmp(back.data, "imsi-001010123456789", 20) == 0,
	      "GET_KAF response round trip");
	r.status = AKMA_ST_BAD_FIELD;
	r.bad_field = AKMA_FIELD_AF_ID;
	n = akma_wire_encode_response(&r, AKMA_WIRE_GET_KAF, out, sizeof(out));
	off = 0;
	CHECK(n == AKMA_WIRE_MSG_HDR_LEN + 2 && akma_wire_next(out, (size_t)n, &off, &m) == 1 &&
		      akma_wire_decode_response(&m, &back) == 0 &&
		      back.status == AKMA_ST_BAD_FIELD && back.bad_field == AKMA_FIELD_AF_ID,
	      "error response carries status and field only");
	CHECK(akma_wire_encode_response(&r, AKMA_WIRE_GET_KAF, out, 10) == -AKMA_E_NOSPACE,
	      "no room");
}

static void tampering(void)
{
	struct akma_wire_replay *rp = akma_wire_replay_create(16, 30000, NULL);
	struct akma_wire_sender s;
	uint8_t good[4096], d[4096];
	struct akma_wire_hdr h;
	const uint8_t *body;
	size_t blen;
	unsigned accepted = 0;

	akma_wire_sender_init(&s);
	int len = build(good, &s, now);
	for (int i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			memcpy(d, good, (size_t)len);
			d[i] ^= (uint8_t)(1 << bit);
			int rc = akma_wire_open(key, rp, d, (size_t)len, now, 0, &h, &body, &blen);
			accepted += rc == 0;
			if (rc == 0 || body != NULL)
				break;
		}
	}
	CHECK(accepted == 0, "%u tampered datagrams accepted", accepted);
	/* The untampered one still opens: failures moved no window. */
	memcpy(d, good, (size_t)len);
	CHECK(akma_wire_open(key, rp, d, (size_t)len, now, 0, &h, &body, &blen) == 0,
	      "genuine datagram accepted after the forgeries");

	/* Every truncation is refused. */
	unsigned bad = 0;
	for (int cut = 0; cut < len; cut++) {
		memcpy(d, good, (size_t)len);
		bad += akma_wire_open(key, rp, d, (size_t)cut, now, 0, &h, &body, &blen) == 0;
	}
	CHECK(bad == 0, "%u truncated datagrams accepted", bad);

	/* A wrong PSK. */
	uint8_t other[32];
	memset(other, 0x42, 32);
	struct akma_wire_key *k2 = akma_wire_key_create(other, NULL);
	struct akma_wire_sender s2;
	akma_wire_sender_init(&s2);
	memcpy(d, good, (size_t)len);
	struct akma_wire_key *saved = key;
	key = k2;
	int len2 = build(d, &s2, now);
	key = saved;
	CHECK(akma_wire_open(key, rp, d, (size_t)len2, now, 0, &h, &body, &blen) ==
			      -AKMA_E_WIRE_AUTH &&
		      body == NULL,
	      "wrong PSK: authentication fails");
	akma_wire_key_free(k2);
	akma_wire_replay_free(rp);
}

static void windows_and_modes(void)
{
	struct akma_wire_replay *rp = akma_wire_replay_create(16, 30000, NULL);
	struct akma_wire_sender s;
	uint8_t d[100][512];
	int len[100];
	struct akma_wire_hdr h;
	const uint8_t *body;
	size_t blen;

	akma_wire_sender_init(&s);
	for (int i = 0; i < 100; i++)
		len[i] = akma_wire_seal(key, &s, d[i], 0, now, AKMA_WIRE_GCM);
	/* Out of order inside the window is fine, once each. */
	CHECK(akma_wire_open(key, rp, d[70], (size_t)len[70], now, 0, &h, &body, &blen) == 0,
	      "seq 71");
	CHECK(akma_wire_open(key, rp, d[6], (size_t)len[6], now, 0, &h, &body, &blen) ==
		      -AKMA_E_WIRE_REPLAY,
	      "seq 7, 64 behind the newest: refused");
	CHECK(akma_wire_open(key, rp, d[7], (size_t)len[7], now, 0, &h, &body, &blen) == 0,
	      "seq 8, 63 behind: accepted");
	CHECK(akma_wire_open(key, rp, d[7 + 64], (size_t)len[71], now, 0, &h, &body, &blen) == 0,
	      "seq 72 ahead");
	CHECK(akma_wire_open(key, rp, d[40], (size_t)len[40], now, 0, &h, &body, &blen) == 0,
	      "seq 41, 31 behind: accepted");
	CHECK(akma_wire_open(key, rp, d[40], (size_t)len[40], now, 0, &h, &body, &blen) ==
		      -AKMA_E_WIRE_REPLAY,
	      "seq 41 twice: refused");
	CHECK(akma_wire_open(key, rp, d[99], (size_t)len[99], now, 0, &h, &body, &blen) == 0,
	      "jump ahead");

	/* Freshness. */
	struct akma_wire_sender t;
	akma_wire_sender_init(&t);
	int l = akma_wire_seal(key, &t, d[0], 0, now - 30001, AKMA_WIRE_GCM);
	CHECK(akma_wire_open(key, rp, d[0], (size_t)l, now, 0, &h, &body, &blen) ==
		      -AKMA_E_WIRE_STALE,
	      "30.001 s old: stale");
	l = akma_wire_seal(key, &t, d[0], 0, now + 30001, AKMA_WIRE_GCM);
	CHECK(akma_wire_open(key, rp, d[0], (size_t)l, now, 0, &h, &body, &blen) ==
		      -AKMA_E_WIRE_STALE,
	      "30.001 s ahead: stale");
	l = akma_wire_seal(key, &t, d[0], 0, now - 30000, AKMA_WIRE_GCM);
	CHECK(akma_wire_open(key, rp, d[0], (size_t)l, now, 0, &h, &body, &blen) == 0,
	      "30 s: fresh");

	/* Plain mode only where allowed. */
	memcpy(d[1] + AKMA_WIRE_HDR_LEN, "plain", 5);
	l = akma_wire_seal(key, &t, d[1], 5, now, AKMA_WIRE_PLAIN);
	CHECK(l == AKMA_WIRE_HDR_LEN + 5, "plain has no tag");
	CHECK(akma_wire_open(key, rp, d[1], (size_t)l, now, 0, &h, &body, &blen) ==
		      -AKMA_E_WIRE_PLAIN,
	      "plain refused by default");
	CHECK(akma_wire_open(key, rp, d[1], (size_t)l, now, 1, &h, &body, &blen) == 0 &&
		      blen == 5 && memcmp(body, "plain", 5) == 0,
	      "plain accepted where allowed");

	/* Versions. */
	l = akma_wire_seal(key, &t, d[2], 0, now, AKMA_WIRE_GCM);
	d[2][2] = 1;
	CHECK(akma_wire_open(key, rp, d[2], (size_t)l, now, 0, &h, &body, &blen) ==
			      -AKMA_E_WIRE_VERSION &&
		      h.version == 1,
	      "version 1: refused, named");
	l = akma_wire_version_error(&t, d[3], 512, now);
	size_t off = 0;
	struct akma_wire_msg m;
	CHECK(akma_wire_open(key, rp, d[3], (size_t)l, now, 1, &h, &body, &blen) == 0 &&
		      akma_wire_next(body, blen, &off, &m) == 1 && m.type == AKMA_WIRE_ERROR &&
		      m.payload_len == 3 && m.payload[0] == AKMA_WIRE_ST_BAD_VERSION &&
		      m.payload[2] == AKMA_WIRE_VERSION,
	      "version error names the version spoken");
	d[4][0] = 'X';
	CHECK(akma_wire_open(key, rp, d[4], 40, now, 0, &h, &body, &blen) == -AKMA_E_WIRE_MAGIC,
	      "magic");

	/* Sequence wrap: a new sender id, never a repeated nonce. */
	struct akma_wire_sender w = {42, UINT32_MAX, 0, 0};
	akma_wire_seal(key, &w, d[5], 0, now, AKMA_WIRE_GCM);
	CHECK(w.id != 42 && w.seq == 1, "wrap takes a new sender id");
	akma_wire_replay_free(rp);
}

static void sender_table(void)
{
	/* max_senders 1 gives the smallest table: 64 slots. */
	struct akma_wire_replay *rp = akma_wire_replay_create(1, 1000, NULL);
	uint8_t d[128];
	struct akma_wire_hdr h;
	const uint8_t *body;
	size_t blen;
	unsigned ok = 0, full = 0;

	for (unsigned i = 0; i < 80; i++) {
		struct akma_wire_sender s = {0x1000 + i, 1, 0, 0};
		int l = akma_wire_seal(key, &s, d, 0, now, AKMA_WIRE_GCM);
		int rc = akma_wire_open(key, rp, d, (size_t)l, now, 0, &h, &body, &blen);
		ok += rc == 0;
		full += rc == -AKMA_E_WIRE_SENDERS;
	}
	CHECK(ok == 64 && full == 16, "64 live senders fit, 16 more refused (%u, %u)", ok, full);
	struct akma_wire_sender late = {0x9999, 1, 0, 0};
	int l = akma_wire_seal(key, &late, d, 0, now + 1001, AKMA_WIRE_GCM);
	CHECK(akma_wire_open(key, rp, d, (size_t)l, now + 1001, 0, &h, &body, &blen) == 0,
	      "once the window has passed, idle state makes room");
	akma_wire_replay_free(rp);
}

/* One message with a payload built from the given octets. */
static int decode_raw(uint8_t type, uint8_t flags, const uint8_t *payload, size_t n,
		      struct akma_req *r)
{
	uint8_t msg[1024];
	msg[0] = type;
	msg[1] = flags;
	msg[2] = (uint8_t)((n + 12) >> 8);
	msg[3] = (uint8_t)(n + 12);
	memset(msg + 4, 0, 7);
	msg[11] = 9;
	memcpy(msg + 12, payload, n);
	size_t off = 0;
	struct akma_wire_msg m;
	if (akma_wire_next(msg, n + 12, &off, &m) != 1)
		return 1;
	return akma_wire_decode_request(&m, r);
}

static void field_rules(void)
{
	static struct akma_req r;
	uint8_t p[700];

	/* GET_KAF: akid_len akid af_id_len af_id */
	size_t n = 0;
	p[n++] = 3;
	memcpy(p + n, "a@b", 3);
	n += 3;
	p[n++] = 0;
	p[n++] = 6;
	memcpy(p + n, "x\1\0\0\0\7", 6);
	n += 6;
	CHECK(decode_raw(AKMA_WIRE_GET_KAF, 0, p, n, &r) == 0 && r.client_id == 9,
	      "minimal GET_KAF");
	CHECK(decode_raw(AKMA_WIRE_GET_KAF, AKMA_REQ_WANT_GPSI, p, n, &r) == 0 &&
		      r.flags == AKMA_REQ_WANT_GPSI,
	      "the NEF's flag");
	CHECK(decode_raw(AKMA_WIRE_GET_KAF, 4, p, n, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_FLAGS,
	      "unknown flag");
	CHECK(decode_raw(AKMA_WIRE_GET_KAF, 0, p, n + 1, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_LENGTH,
	      "trailing octet");
	CHECK(decode_raw(AKMA_WIRE_GET_KAF, 0, p, n - 1, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_LENGTH,
	      "AF_ID cut short");
	p[0] = 0;
	CHECK(decode_raw(AKMA_WIRE_GET_KAF, 0, p, n, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_AKID,
	      "empty A-KID");
	p[0] = 254;
	CHECK(decode_raw(AKMA_WIRE_GET_KAF, 0, p, n, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_AKID,
	      "A-KID of 254");
	p[0] = 3;
	p[5] = 5;
	CHECK(decode_raw(AKMA_WIRE_GET_KAF, 0, p, n - 1, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_AF_ID,
	      "AF_ID of 5 octets (no FQDN)");
	p[4] = 1;
	p[5] = 3; /* 259 */
	CHECK(decode_raw(AKMA_WIRE_GET_KAF, 0, p, n, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_AF_ID,
	      "AF_ID of 259");

	/* REGISTER: ueid_type ueid_len ueid akid_len akid kakma */
	n = 0;
	p[n++] = AKMA_WIRE_SUPI;
	p[n++] = 0;
	p[n++] = 4;
	memcpy(p + n, "imsi", 4);
	n += 4;
	p[n++] = 2;
	memcpy(p + n, "ak", 2);
	n += 2;
	memset(p + n, 7, 32);
	n += 32;
	p[n++] = 0; /* no GPSI */
	CHECK(decode_raw(AKMA_WIRE_REGISTER, 0, p, n, &r) == 0 && r.kakma[0] == 7 &&
		      r.gpsi_len == 0,
	      "minimal REGISTER");
	p[n - 1] = 6;
	memcpy(p + n, "msisdn", 6);
	CHECK(decode_raw(AKMA_WIRE_REGISTER, 0, p, n + 6, &r) == 0 && r.gpsi_len == 6 &&
		      !memcmp(akma_req_gpsi(&r), "msisdn", 6),
	      "a REGISTER with a GPSI beside the SUPI");
	CHECK(decode_raw(AKMA_WIRE_REGISTER, 0, p, n + 5, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_LENGTH,
	      "a GPSI cut short");
	p[0] = AKMA_WIRE_GPSI;
	CHECK(decode_raw(AKMA_WIRE_REGISTER, 0, p, n + 6, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_UEID,
	      "a GPSI beside a GPSI identity: refused");
	p[0] = AKMA_WIRE_SUPI;
	p[n - 1] = 0;
	CHECK(decode_raw(AKMA_WIRE_REGISTER, 0, p, n - 1, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_LENGTH,
	      "key cut short");
	CHECK(decode_raw(AKMA_WIRE_REGISTER, 1, p, n, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_FLAGS,
	      "flags on REGISTER");
	p[0] = 3;
	CHECK(decode_raw(AKMA_WIRE_REGISTER, 0, p, n, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_UEID,
	      "unknown UE identity type");
	p[0] = AKMA_WIRE_GPSI;
	p[1] = 1;
	p[2] = 5; /* 261 */
	CHECK(decode_raw(AKMA_WIRE_REGISTER, 0, p, n, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_UEID,
	      "UE identity of 261");
	p[1] = 0;
	p[2] = 200; /* runs past the message */
	CHECK(decode_raw(AKMA_WIRE_REGISTER, 0, p, n, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_LENGTH,
	      "UE identity past the end");

	/* REMOVE, STATS, unknown. */
	p[0] = 0;
	p[1] = 0;
	CHECK(decode_raw(AKMA_WIRE_REMOVE, 0, p, 2, &r) == -AKMA_E_WIRE_FIELD &&
		      r.bad_field == AKMA_FIELD_UEID,
	      "empty SUPI to remove");
	CHECK(decode_raw(AKMA_WIRE_STATS, 0, p, 0, &r) == -AKMA_E_WIRE_TYPE,
	      "STATS is not an engine request");
	CHECK(decode_raw(42, 0, p, 0, &r) == -AKMA_E_WIRE_TYPE &&
		      r.status == AKMA_WIRE_ST_UNSUPPORTED && r.bad_field == AKMA_FIELD_TYPE,
	      "unknown type: unsupported");

	/* Message framing. */
	uint8_t body[40] = {AKMA_WIRE_GET_KAF, 0, 0, 50};
	size_t off = 0;
	struct akma_wire_msg m;
	CHECK(akma_wire_next(body, 40, &off, &m) == -AKMA_E_WIRE_MSG && off == 40,
	      "length past the body");
	body[3] = 11;
	off = 0;
	CHECK(akma_wire_next(body, 40, &off, &m) == -AKMA_E_WIRE_MSG, "length under the header");
	off = 0;
	CHECK(akma_wire_next(body, 7, &off, &m) == -AKMA_E_WIRE_MSG, "header cut short");
}

/* Random and mutated datagrams: nothing crashes (ASan watches), a failed
 * open never hands out a body, decoded lengths stay in bounds. */
static void barrage(void)
{
	struct akma_wire_replay *rp = akma_wire_replay_create(1024, 30000, NULL);
	struct akma_wire_sender s;
	uint8_t good[4096], d[4096];
	unsigned seed = 3, opened = 0;
	static struct akma_req r;

	akma_wire_sender_init(&s);
	int len = build(good, &s, now);
	for (int i = 0; i < 20000; i++) {
		size_t l;
		if (i % 2) {
			l = (size_t)rand_r(&seed) % 200;
			for (size_t j = 0; j < l; j++)
				d[j] = (uint8_t)rand_r(&seed);
			if (l > 3 && i % 4 == 1) {
				d[0] = 'A';
				d[1] = 'K';
				d[2] = 1;
				d[3] = (uint8_t)(rand_r(&seed) % 2);
			}
		} else {
			l = (size_t)len;
			memcpy(d, good, l);
			d[rand_r(&seed) % l] ^= (uint8_t)(1 + rand_r(&seed) % 255);
		}
		struct akma_wire_hdr h;
		const uint8_t *body;
		size_t blen, off = 0;
		int allow_plain = i % 3 == 0;
		int rc = akma_wire_open(key, rp, d, l, now, allow_plain, &h, &body, &blen);
		if (rc != 0) {
			CHECK(body == NULL, "a refused datagram hands out no body");
			continue;
		}
		opened++;
		struct akma_wire_msg m;
		int k;
		while ((k = akma_wire_next(body, blen, &off, &m)) == 1) {
			akma_wire_decode_request(&m, &r);
			CHECK(r.akid_len <= AKMA_AKID_MAX && r.af_id_len <= AKMA_AF_ID_MAX &&
				      r.ueid_len <= AKMA_UEID_MAX,
			      "decoded lengths in bounds");
		}
	}
	printf("barrage: 20000 datagrams, %u opened (plain ones where allowed)\n", opened);
	akma_wire_replay_free(rp);
}

int main(void)
{
	int err;
	key = akma_wire_key_create(psk, &err);
	CHECK(key != NULL, "key: %s", akma_strerror(err));
	if (!key)
		return check_done("test_wire");
	round_trip();
	responses();
	tampering();
	windows_and_modes();
	sender_table();
	field_rules();
	barrage();
	akma_wire_key_free(key);
	return check_done("test_wire");
}
