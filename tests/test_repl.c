/* SPDX-License-Identifier: BSD-3-Clause */
/* Replication records: round trip; K_AKMA never in the clear; a wrong KEK,
 * a record under another subscriber's key name, any flipped octet, a changed
 * version and every truncation are refused, leaving no key behind. */
#include <stdlib.h>

#include "check.h"
#include "err.h"
#include "repl.h"

static void fill(struct akma_repl_ctx *c, const char *akid, const char *supi)
{
	memset(c, 0, sizeof(*c));
	c->akid_len = (uint8_t)strlen(akid);
	memcpy(c->akid, akid, c->akid_len);
	c->ueid_len = (uint16_t)strlen(supi);
	memcpy(c->ueid, supi, c->ueid_len);
	c->ueid_type = 1;
	for (int i = 0; i < 32; i++)
		c->kakma[i] = (uint8_t)(0xc0 + i);
	c->created_ms = 1764300000000ULL;
	c->eol_ms = 1764303600000ULL;
}

static int key_zero(const struct akma_repl_ctx *c)
{
	uint8_t acc = 0;
	for (int i = 0; i < 32; i++)
		acc |= c->kakma[i];
	return acc == 0;
}

/* The value of "name = value" in a vector file, or NULL. */
static const char *field(const char *text, const char *name, char *out, size_t cap)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\n%s = ", name);
	const char *p = strstr(text, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	size_t n = strcspn(p, "\n");
	if (n >= cap)
		return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (; h[0] && h[1] && n < cap; h += 2) {
		unsigned v;
		if (sscanf(h, "%2x", &v) != 1)
			return 0;
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* A checked-in record of each format version decodes under its KEK to its
 * fields: vectors/repl/formatN.txt. */
static void golden(const char *dir, int format)
{
	char path[1024], text[4096], v[1024];
	uint8_t kek[32], rec[AKMA_REPL_RECORD_MAX], kakma[32];
	static struct akma_repl_ctx c;
	int err;

	snprintf(path, sizeof(path), "%s/format%d.txt", dir, format);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL, "%s", path);
	if (!f)
		return;
	text[0] = '\n';
	size_t tl = fread(text + 1, 1, sizeof(text) - 2, f);
	text[1 + tl] = '\0';
	fclose(f);
	CHECK(field(text, "kek", v, sizeof(v)) && unhex(v, kek, 32) == 32, "kek");
	CHECK(field(text, "kakma", v, sizeof(v)) && unhex(v, kakma, 32) == 32, "kakma");
	size_t rl = field(text, "record", v, sizeof(v)) ? unhex(v, rec, sizeof(rec)) : 0;
	char key[300], akid[300], created[32], eol[32], type[8];
	CHECK(field(text, "key", key, sizeof(key)) && field(text, "akid", akid, sizeof(akid)) &&
		      field(text, "created_ms", created, sizeof(created)) &&
		      field(text, "eol_ms", eol, sizeof(eol)) &&
		      field(text, "ueid_type", type, sizeof(type)),
	      "the vector's fields");
	struct akma_repl_kek *k = akma_repl_kek_create(kek, &err);
	const char *ueid = key + strlen(AKMA_REPL_KEY_PREFIX);
	int rc = akma_repl_decode(k, (const uint8_t *)ueid, (uint16_t)strlen(ueid), rec, rl, &c);
	CHECK(rc == 0, "the format %d record decodes: %s", format, akma_strerror(rc));
	char gpsi[300];
	if (field(text, "gpsi", gpsi, sizeof(gpsi)))
		CHECK(c.gpsi_len == strlen(gpsi) && !memcmp(c.gpsi, gpsi, c.gpsi_len),
		      "format %d: its GPSI", format);
	else
		CHECK(c.gpsi_len == 0, "format %d: no GPSI", format);
	CHECK(c.akid_len == strlen(akid) && !memcmp(c.akid, akid, c.akid_len) &&
		      !memcmp(c.kakma, kakma, 32) && c.created_ms == strtoull(created, NULL, 10) &&
		      c.eol_ms == strtoull(eol, NULL, 10) && c.ueid_type == atoi(type) &&
		      c.ueid_len == strlen(ueid) && !memcmp(c.ueid, ueid, c.ueid_len),
	      "... to the vector's A-KID, K_AKMA, times and identity");
	/* Its associated data binds the key's name: under another, it fails. */
	CHECK(akma_repl_decode(k, (const uint8_t *)"imsi-001010123456780", 20, rec, rl, &c) ==
		      -AKMA_E_REPL_UNWRAP,
	      "the vector under another key name does not unwrap");
	akma_repl_kek_free(k);
}

int main(int argc, char **argv)
{
	uint8_t kek1[32], kek2[32], rec[AKMA_REPL_RECORD_MAX], bad[AKMA_REPL_RECORD_MAX];
	static struct akma_repl_ctx in, out;
	char name[300];
	int err;

	memset(kek1, 0x11, 32);
	memset(kek2, 0x22, 32);
	struct akma_repl_kek *k1 = akma_repl_kek_create(kek1, &err),
			     *k2 = akma_repl_kek_create(kek2, &err);
	CHECK(k1 && k2, "KEKs: %s", akma_strerror(err));
	if (!k1 || !k2)
		return check_done("test_repl");

	fill(&in, "12.abc@akma.5gc.mnc001.mcc001.3gppnetwork.org", "imsi-001010123456789");
	int n = akma_repl_encode(k1, &in, rec, sizeof(rec));
	CHECK(n == 19 + 45 + 1 + 12 + 32 + 16, "record length %d", n);
	CHECK(memmem(rec, (size_t)n, in.kakma, 32) == NULL &&
		      memmem(rec, (size_t)n, in.kakma, 8) == NULL,
	      "K_AKMA is not in the record in the clear");
	CHECK(akma_repl_key_name(in.ueid, in.ueid_len, name, sizeof(name)) == 8 + in.ueid_len &&
		      memcmp(name, "akma:ue:imsi-00101", 18) == 0,
	      "key name");
	CHECK(akma_repl_key_name(in.ueid, 0, name, sizeof(name)) == -AKMA_E_UEID_LEN &&
		      akma_repl_key_name(in.ueid, in.ueid_len, name, 20) == -AKMA_E_UEID_LEN,
	      "key name: empty identity or no room refused");
	CHECK(akma_repl_decode(k1, in.ueid, in.ueid_len, rec, (size_t)n, &out) == 0, "decode");
	CHECK(memcmp(out.kakma, in.kakma, 32) == 0 && out.ueid_len == in.ueid_len &&
		      memcmp(out.ueid, in.ueid, in.ueid_len) == 0 &&
		      out.created_ms == in.created_ms && out.eol_ms == in.eol_ms &&
		      out.ueid_type == 1 && out.akid_len == in.akid_len &&
		      memcmp(out.akid, in.akid, in.akid_len) == 0,
	      "round trip");
	uint8_t rec2[AKMA_REPL_RECORD_MAX];
	CHECK(akma_repl_encode(k1, &in, rec2, sizeof(rec2)) == n &&
		      memcmp(rec, rec2, (size_t)n) != 0,
	      "a fresh nonce every time");

	CHECK(akma_repl_decode(k2, in.ueid, in.ueid_len, rec, (size_t)n, &out) ==
			      -AKMA_E_REPL_UNWRAP &&
		      key_zero(&out),
	      "wrong KEK: refused, no key left");
	CHECK(akma_repl_decode(k1, (const uint8_t *)"imsi-001010123456788", 20, rec, (size_t)n,
			       &out) == -AKMA_E_REPL_UNWRAP &&
		      key_zero(&out),
	      "under another subscriber's key name: refused");
	unsigned accepted = 0;
	for (int i = 1; i < n; i++) { /* octet 0 is the version: tested below */
		memcpy(bad, rec, (size_t)n);
		bad[i] ^= 0x01;
		int rc = akma_repl_decode(k1, in.ueid, in.ueid_len, bad, (size_t)n, &out);
		accepted += rc == 0;
		if (rc && !key_zero(&out))
			accepted += 1000;
	}
	CHECK(accepted == 0, "%u tampered records accepted (or left a key)", accepted);
	memcpy(bad, rec, (size_t)n);
	bad[0] = AKMA_REPL_FORMAT + 1;
	CHECK(akma_repl_decode(k1, in.ueid, in.ueid_len, bad, (size_t)n, &out) ==
		      -AKMA_E_REPL_VERSION,
	      "a later format version: its own error");
	/* A GPSI beside the SUPI travels with the record, authenticated. */
	in.gpsi_len = 18;
	memcpy(in.gpsi, "msisdn-31612345678", 18);
	n = akma_repl_encode(k1, &in, rec, sizeof(rec));
	CHECK(n == 19 + 45 + 1 + 18 + 12 + 32 + 16 &&
		      akma_repl_decode(k1, in.ueid, in.ueid_len, rec, (size_t)n, &out) == 0 &&
		      out.gpsi_len == 18 && !memcmp(out.gpsi, "msisdn-31612345678", 18),
	      "with a GPSI: round trip");
	memcpy(bad, rec, (size_t)n);
	bad[19 + 45 + 1 + 3] ^= 1;
	CHECK(akma_repl_decode(k1, in.ueid, in.ueid_len, bad, (size_t)n, &out) ==
		      -AKMA_E_REPL_UNWRAP,
	      "a changed GPSI fails to unwrap");
	in.gpsi_len = 0;
	n = akma_repl_encode(k1, &in, rec, sizeof(rec));
	unsigned short_ok = 0;
	for (int cut = 0; cut < n; cut++)
		short_ok += akma_repl_decode(k1, in.ueid, in.ueid_len, rec, (size_t)cut, &out) == 0;
	CHECK(short_ok == 0, "%u truncated records accepted", short_ok);
	CHECK(akma_repl_decode(k1, in.ueid, in.ueid_len, rec, (size_t)n + 1, &out) ==
		      -AKMA_E_REPL_FORMAT,
	      "a trailing octet: malformed");
	CHECK(akma_repl_encode(k1, &in, rec, 50) == -AKMA_E_NOSPACE, "no room");
	in.akid_len = 0;
	CHECK(akma_repl_encode(k1, &in, rec, sizeof(rec)) == -AKMA_E_AKID_LEN, "empty A-KID");
	in.akid_len = 5;
	in.ueid_len = 0;
	CHECK(akma_repl_encode(k1, &in, rec, sizeof(rec)) == -AKMA_E_UEID_LEN, "empty UE identity");
	akma_repl_kek_free(k1);
	akma_repl_kek_free(k2);
	if (argc > 1) {
		golden(argv[1], 1);
		golden(argv[1], 2);
	} else
		CHECK(0, "usage: test_repl VECTOR_DIR");
	return check_done("test_repl");
}
