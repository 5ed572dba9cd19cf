/* SPDX-License-Identifier: BSD-3-Clause */
/* Golden vectors of the wire protocol, read from its specification
 * (engine/wire.md, given as argv[1]): the example request must be what
 * akma_wire_encode_request() writes; sealed under the example's key, sender,
 * sequence and time it must be the "Sealed example" octets, which
 * akma_wire_open() must open back to the request; and a datagram
 * akma_wire_seal() makes must open under OpenSSL's own AES-256-GCM with the
 * IV and AAD wire.md names. Plus the STATS message round trip. */
#include <stdlib.h>

#include <openssl/evp.h>

#include "check.h"
#include "err.h"
#include "wire.h"

/* The octets of the first fenced block after the line that starts with
 * heading: on each line, the two-hex-digit tokens before the first other
 * token (the comments). Returns the count. */
static size_t block_octets(const char *path, const char *heading, uint8_t *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int state = 0; /* 0 looking for the heading, 1 for the fence, 2 inside */
	size_t n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (state == 0 && !strncmp(line, heading, strlen(heading)))
			state = 1;
		else if (state == 1 && !strncmp(line, "```", 3))
			state = 2;
		else if (state == 2 && !strncmp(line, "```", 3))
			break;
		else if (state == 2) {
			for (char *save, *t = strtok_r(line, " \t\n", &save); t;
			     t = strtok_r(NULL, " \t\n", &save)) {
				char *end;
				unsigned long v = strtoul(t, &end, 16);
				if (strlen(t) != 2 || *end || n == cap)
					break;
				out[n++] = (uint8_t)v;
			}
		}
	}
	fclose(f);
	return n;
}

static void hex_in_spec(const char *spec)
{
	uint8_t want_msg[256], want_dgram[256], psk[32], d[256];
	size_t n_msg = block_octets(spec, "## Example", want_msg, sizeof(want_msg));
	size_t n_dgram = block_octets(spec, "## Sealed example", want_dgram, sizeof(want_dgram));
	CHECK(n_msg == 53 && n_dgram == 101, "wire.md's examples read: %zu and %zu octets", n_msg,
	      n_dgram);

	/* The request, as akmad's encoder writes it. */
	static struct akma_req r;
	static const char akid[] = "12.abc@akma.example", fqdn[] = "af.example.com";
	static const uint8_t ua[5] = {1, 0, 0, 0, 7};
	r.type = AKMA_REQ_GET_KAF;
	r.flags = AKMA_REQ_ANONYMOUS;
	r.client_id = 1002;
	r.akid_len = sizeof(akid) - 1;
	r.af_id_len = sizeof(fqdn) - 1 + 5;
	memcpy(akma_req_akid(&r), akid, r.akid_len);
	memcpy(akma_req_af_id(&r), fqdn, sizeof(fqdn) - 1);
	memcpy(akma_req_af_id(&r) + sizeof(fqdn) - 1, ua, 5);
	int len = akma_wire_encode_request(&r, d + AKMA_WIRE_HDR_LEN, sizeof(d) - 64);
	CHECK(len == 53 && !memcmp(d + AKMA_WIRE_HDR_LEN, want_msg, 53),
	      "the encoder writes wire.md's example request");

	/* Sealed as the spec's example says. */
	for (int i = 0; i < 32; i++)
		psk[i] = (uint8_t)i;
	int err;
	struct akma_wire_key *k = akma_wire_key_create(psk, &err);
	struct akma_wire_sender snd = {0x0102030405060708ULL, 1, 0, 0x1122334455667788ULL};
	const uint64_t t = 1764547200000ULL;
	int dl = akma_wire_seal(k, &snd, d, 53, t, AKMA_WIRE_GCM);
	CHECK(dl == 101 && !memcmp(d, want_dgram, 101),
	      "akma_wire_seal gives wire.md's sealed octets");

	/* And wire.md's octets open in akmad, once. */
	struct akma_wire_replay *rp = akma_wire_replay_create(16, 30000, &err);
	struct akma_wire_hdr h;
	const uint8_t *body;
	size_t blen, off = 0;
	memcpy(d, want_dgram, 101);
	CHECK(akma_wire_open(k, rp, d, 101, t + 1000, 0, &h, &body, &blen) == 0 && blen == 53 &&
		      !memcmp(body, want_msg, 53) && h.sender == 0x0102030405060708ULL &&
		      h.seq == 1,
	      "wire.md's sealed example opens to its request");
	struct akma_wire_msg m;
	static struct akma_req back;
	CHECK(akma_wire_next(body, blen, &off, &m) == 1 &&
		      akma_wire_decode_request(&m, &back) == 0 && back.client_id == 1002 &&
		      back.akid_len == 19 && back.flags == AKMA_REQ_ANONYMOUS,
	      "... and decodes to id 1002, its A-KID, anonymous");
	memcpy(d, want_dgram, 101);
	CHECK(akma_wire_open(k, rp, d, 101, t + 1000, 0, &h, &body, &blen) == -AKMA_E_WIRE_REPLAY,
	      "... once only");
	memcpy(d, want_dgram, 101);
	d[40] ^= 1;
	CHECK(akma_wire_open(k, rp, d, 101, t + 1000, 0, &h, &body, &blen) == -AKMA_E_WIRE_AUTH,
	      "a flipped ciphertext bit fails the tag");
	akma_wire_replay_free(rp);
	akma_wire_key_free(k);
}

/* What akma_wire_seal() makes, opened by OpenSSL: IV = octets 4..15 of the
 * header, AAD = the 24-octet header, tag after the ciphertext. */
static void openssl_opens(void)
{
	uint8_t psk[32], body[300], d[400], plain[400];
	int err, outl, fin;

	for (int i = 0; i < 32; i++)
		psk[i] = (uint8_t)(0xa5 ^ (i * 29));
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i * 7 + 1);
	struct akma_wire_key *k = akma_wire_key_create(psk, &err);
	struct akma_wire_sender snd;
	CHECK(akma_wire_sender_init(&snd) == 0, "a sender id");
	for (size_t blen = 1; blen <= sizeof(body); blen += 37) {
		memcpy(d + AKMA_WIRE_HDR_LEN, body, blen);
		int dl = akma_wire_seal(k, &snd, d, blen, 1764547200000ULL, AKMA_WIRE_GCM);
		EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
		int ok =
			dl == (int)(AKMA_WIRE_HDR_LEN + blen + AKMA_WIRE_TAG_LEN) &&
			EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
			EVP_DecryptInit_ex(c, NULL, NULL, psk, d + 4) == 1 &&
			EVP_DecryptUpdate(c, NULL, &outl, d, AKMA_WIRE_HDR_LEN) == 1 &&
			EVP_DecryptUpdate(c, plain, &outl, d + AKMA_WIRE_HDR_LEN, (int)blen) == 1 &&
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16,
					    d + AKMA_WIRE_HDR_LEN + blen) == 1 &&
			EVP_DecryptFinal_ex(c, plain + outl, &fin) == 1;
		EVP_CIPHER_CTX_free(c);
		CHECK(ok && !memcmp(plain, body, blen), "OpenSSL opens a %zu-octet body", blen);
	}
	akma_wire_key_free(k);
}

static void stats(void)
{
	static const char *const names[] = {"contexts", "get_kaf", "dropped_auth"};
	const uint64_t values[] = {2021, 1ULL << 40, 7};
	uint8_t out[256];
	struct akma_wire_stat got[4];
	uint8_t status;

	int n = akma_wire_encode_stats_request(77, out, sizeof(out));
	struct akma_wire_msg m;
	size_t off = 0;
	CHECK(n == 12 && akma_wire_next(out, (size_t)n, &off, &m) == 1 &&
		      m.type == AKMA_WIRE_STATS && m.id == 77 && m.payload_len == 0,
	      "a STATS request");
	n = akma_wire_encode_stats(77, names, values, 3, out, sizeof(out));
	CHECK(n == 12 + 4 + 3 * 9 + 8 + 7 + 12, "a STATS answer's length: %d", n);
	off = 0;
	CHECK(akma_wire_next(out, (size_t)n, &off, &m) == 1 &&
		      akma_wire_decode_stats(&m, &status, got, 4) == 3 && status == AKMA_ST_OK &&
		      !strcmp(got[0].name, "contexts") && got[0].value == 2021 &&
		      got[1].value == 1ULL << 40 && !strcmp(got[2].name, "dropped_auth") &&
		      got[2].value == 7,
	      "a STATS answer round trip");
	CHECK(akma_wire_decode_stats(&m, &status, got, 2) == -AKMA_E_NOSPACE, "more than max");
	CHECK(akma_wire_encode_stats(77, names, values, 3, out, 40) == -AKMA_E_NOSPACE,
	      "a buffer too small");
	static const char *const bad_name[] = {"a_name_of_thirty_three_characters"};
	CHECK(akma_wire_encode_stats(77, bad_name, values, 1, out, sizeof(out)) ==
		      -AKMA_E_WIRE_FIELD,
	      "a name too long");
	/* A forged answer: a name with a quote, a count past the message. */
	n = akma_wire_encode_stats(5, names, values, 1, out, sizeof(out));
	out[12 + 4 + 1] = '"';
	off = 0;
	akma_wire_next(out, (size_t)n, &off, &m);
	CHECK(akma_wire_decode_stats(&m, &status, got, 4) == -AKMA_E_WIRE_FIELD,
	      "a name with a quote is refused");
	n = akma_wire_encode_stats(5, names, values, 1, out, sizeof(out));
	out[12 + 3] = 2;
	off = 0;
	akma_wire_next(out, (size_t)n, &off, &m);
	CHECK(akma_wire_decode_stats(&m, &status, got, 4) == -AKMA_E_WIRE_FIELD,
	      "a count past the message is refused");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_wire_golden engine/wire.md\n");
		return 2;
	}
	hex_in_spec(argv[1]);
	openssl_opens();
	stats();
	return check_done("test_wire_golden");
}
