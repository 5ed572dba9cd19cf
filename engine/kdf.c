/* SPDX-License-Identifier: BSD-3-Clause */
#include "kdf.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "hex.h"
#include "sha256.h"

const uint8_t akma_ua_id_tls13_psk[AKMA_UA_ID_LEN] = {0x01, 0x00, 0x00, 0x00, 0x07};
const uint8_t akma_ua_id_http_digest[AKMA_UA_ID_LEN] = {0x01, 0x00, 0x00, 0x00, 0x02};
const uint8_t akma_ua_id_default[AKMA_UA_ID_LEN] = {0x00, 0x00, 0x00, 0x00, 0x00};

/* ---- HMAC from midstates -------------------------------------------------- */

void akma_hmac_midstate(const uint8_t *key, size_t key_len, struct akma_hmac_midstate *ms)
{
	uint8_t block[AKMA_SHA256_BLOCK];
	uint8_t hashed[AKMA_SHA256_DIGEST];

	if (key_len > AKMA_SHA256_BLOCK) {
		akma_sha256(key, key_len, hashed);
		key = hashed;
		key_len = sizeof(hashed);
	}
	memset(block, 0x36, sizeof(block));
	for (size_t i = 0; i < key_len; i++)
		block[i] ^= key[i];
	memcpy(ms->inner, akma_sha256_iv, sizeof(ms->inner));
	akma_sha256_compress(ms->inner, block, 1);
	/* (k ^ 0x36) ^ (0x36 ^ 0x5c) = k ^ 0x5c, without touching the key again */
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] ^= 0x36 ^ 0x5c;
	memcpy(ms->outer, akma_sha256_iv, sizeof(ms->outer));
	akma_sha256_compress(ms->outer, block, 1);
	explicit_bzero(block, sizeof(block));
	explicit_bzero(hashed, sizeof(hashed));
}

void akma_hmac_from_midstate(const struct akma_hmac_midstate *ms, const uint8_t *msg, size_t len,
			     uint8_t mac[32])
{
	uint32_t state[8];
	uint8_t inner_digest[AKMA_SHA256_DIGEST];

	memcpy(state, ms->inner, sizeof(state));
	akma_sha256_finish(state, 1, msg, len, inner_digest);
	memcpy(state, ms->outer, sizeof(state));
	akma_sha256_finish(state, 1, inner_digest, sizeof(inner_digest), mac);
	explicit_bzero(state, sizeof(state));
	explicit_bzero(inner_digest, sizeof(inner_digest));
}

/* ---- TS 33.220 B.2 KDF ----------------------------------------------------- */

int akma_kdf_s(uint8_t fc, const struct akma_kdf_param *p, unsigned np, uint8_t *s, size_t cap)
{
	size_t need = 1;

	for (unsigned i = 0; i < np; i++) {
		if (p[i].len > 0xffff)
			return -AKMA_E_KDF_PARAM;
		need += p[i].len + 2;
	}
	if (need > cap || need > 0x7fffffff)
		return -AKMA_E_NOSPACE;
	size_t off = 0;
	s[off++] = fc;
	for (unsigned i = 0; i < np; i++) {
		if (p[i].len)
			memcpy(s + off, p[i].data, p[i].len);
		off += p[i].len;
		s[off++] = (uint8_t)(p[i].len >> 8);
		s[off++] = (uint8_t)p[i].len;
	}
	return (int)off;
}

/* Large enough for every AKMA KDF: FC, "A-TID" and a 253-octet SUPI. */
#define KDF_S_CAP 512

int akma_kdf(const uint8_t *key, size_t key_len, uint8_t fc, const struct akma_kdf_param *p,
	     unsigned np, uint8_t out[32])
{
	uint8_t s[KDF_S_CAP];
	struct akma_hmac_midstate ms;
	int len = akma_kdf_s(fc, p, np, s, sizeof(s));

	if (len < 0)
		return len;
	akma_hmac_midstate(key, key_len, &ms);
	akma_hmac_from_midstate(&ms, s, (size_t)len, out);
	explicit_bzero(&ms, sizeof(ms));
	explicit_bzero(s, sizeof(s));
	return 0;
}

static int derive_from_supi(const uint8_t kausf[AKMA_KEY_LEN], uint8_t fc, const char *label,
			    const struct akma_supi *supi, uint8_t out[AKMA_KEY_LEN])
{
	struct akma_kdf_param p[2] = {
		{(const uint8_t *)label, strlen(label)},
		{(const uint8_t *)supi->value, supi->len},
	};
	return akma_kdf(kausf, AKMA_KEY_LEN, fc, p, 2, out);
}

int akma_derive_kakma(const uint8_t kausf[AKMA_KEY_LEN], const struct akma_supi *supi,
		      uint8_t kakma[AKMA_KEY_LEN])
{
	return derive_from_supi(kausf, AKMA_FC_KAKMA, "AKMA", supi, kakma);
}

int akma_derive_atid(const uint8_t kausf[AKMA_KEY_LEN], const struct akma_supi *supi,
		     uint8_t atid[AKMA_KEY_LEN])
{
	return derive_from_supi(kausf, AKMA_FC_ATID, "A-TID", supi, atid);
}

int akma_derive_kaf(const uint8_t kakma[AKMA_KEY_LEN], const struct akma_af_id *af,
		    uint8_t kaf[AKMA_KEY_LEN])
{
	uint8_t af_id[AKMA_AF_ID_MAX];
	struct akma_kdf_param p = {af_id, akma_af_id_octets(af, af_id)};

	return akma_kdf(kakma, AKMA_KEY_LEN, AKMA_FC_KAF, &p, 1, kaf);
}

/* ---- SUPI ------------------------------------------------------------------ */

static int all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int has_prefix(const char *text, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(text, prefix, n) == 0;
}

static int check_imsi(const char *s, size_t len)
{
	if (!all_digits(s, len))
		return -AKMA_E_SUPI_IMSI_CHAR;
	if (len < 5 || len > 15)
		return -AKMA_E_SUPI_IMSI_LEN;
	return 0;
}

/* RFC 7542: username@realm; the username printable ASCII without '@' or
 * space, the realm a host name. */
static int check_nai(const char *s, size_t len)
{
	const char *at = memchr(s, '@', len);

	if (!at || at == s)
		return -AKMA_E_SUPI_NAI;
	for (const char *c = s; c < at; c++)
		if (*c <= 0x20 || *c >= 0x7f)
			return -AKMA_E_SUPI_NAI;
	size_t realm_len = len - (size_t)(at + 1 - s);
	if (akma_fqdn_check(at + 1, realm_len) != 0)
		return -AKMA_E_SUPI_NAI;
	return 0;
}

static int supi_store(struct akma_supi *supi, enum akma_supi_type type, const char *v, size_t len)
{
	supi->type = type;
	supi->len = (uint16_t)len;
	memcpy(supi->value, v, len);
	supi->value[len] = '\0';
	return 0;
}

int akma_supi_parse(const char *text, size_t len, struct akma_supi *supi)
{
	int rc;

	memset(supi, 0, sizeof(*supi));
	if (len == 0)
		return -AKMA_E_SUPI_EMPTY;
	if (has_prefix(text, len, "imsi-")) {
		if ((rc = check_imsi(text + 5, len - 5)) != 0)
			return rc;
		return supi_store(supi, AKMA_SUPI_IMSI, text + 5, len - 5);
	}
	if (has_prefix(text, len, "nai-")) {
		if (len - 4 > AKMA_SUPI_MAX)
			return -AKMA_E_SUPI_TOO_LONG;
		if ((rc = check_nai(text + 4, len - 4)) != 0)
			return rc;
		return supi_store(supi, AKMA_SUPI_NAI, text + 4, len - 4);
	}
	/* TS 29.571 also knows gci- and gli- (wireline access); AKMA does not. */
	if (has_prefix(text, len, "gci-") || has_prefix(text, len, "gli-"))
		return -AKMA_E_SUPI_TYPE;
	if (len > AKMA_SUPI_MAX)
		return -AKMA_E_SUPI_TOO_LONG;
	if (all_digits(text, len)) {
		if ((rc = check_imsi(text, len)) != 0)
			return rc;
		return supi_store(supi, AKMA_SUPI_IMSI, text, len);
	}
	if (memchr(text, '@', len)) {
		if ((rc = check_nai(text, len)) != 0)
			return rc;
		return supi_store(supi, AKMA_SUPI_NAI, text, len);
	}
	return -AKMA_E_SUPI_FORM;
}

int akma_supi_format(const struct akma_supi *supi, char *buf, size_t size)
{
	const char *prefix = supi->type == AKMA_SUPI_IMSI ? "imsi-" : "nai-";
	size_t plen = strlen(prefix);

	if (plen + supi->len + 1 > size)
		return -AKMA_E_NOSPACE;
	memcpy(buf, prefix, plen);
	memcpy(buf + plen, supi->value, supi->len);
	buf[plen + supi->len] = '\0';
	return (int)(plen + supi->len);
}

/* ---- AF_ID ------------------------------------------------------------------ */

int akma_fqdn_check(const char *fqdn, size_t len)
{
	if (len == 0)
		return -AKMA_E_FQDN_EMPTY;
	if (len > AKMA_FQDN_MAX)
		return -AKMA_E_FQDN_TOO_LONG;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && fqdn[i] != '.') {
			char c = fqdn[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-'))
				return -AKMA_E_FQDN_CHAR;
			continue;
		}
		size_t label = i - start;
		if (label == 0 || label > 63)
			return -AKMA_E_FQDN_LABEL;
		if (fqdn[start] == '-' || fqdn[i - 1] == '-')
			return -AKMA_E_FQDN_HYPHEN;
		start = i + 1;
	}
	return 0;
}

int akma_af_id_set(struct akma_af_id *af, const char *fqdn, size_t len,
		   const uint8_t ua_id[AKMA_UA_ID_LEN])
{
	int rc = akma_fqdn_check(fqdn, len);

	memset(af, 0, sizeof(*af));
	if (rc)
		return rc;
	af->fqdn_len = (uint16_t)len;
	memcpy(af->fqdn, fqdn, len);
	memcpy(af->ua_id, ua_id, AKMA_UA_ID_LEN);
	return 0;
}

int akma_af_id_parse(const char *text, size_t len, const uint8_t *default_ua, struct akma_af_id *af)
{
	static const char sep[] = ";ua=";
	const char *semi = memchr(text, ';', len);
	uint8_t ua[AKMA_UA_ID_LEN];
	int rc;

	memset(af, 0, sizeof(*af));
	if (!semi) {
		if (!default_ua)
			return -AKMA_E_AF_ID_FORM;
		return akma_af_id_set(af, text, len, default_ua);
	}
	size_t fqdn_len = (size_t)(semi - text);
	size_t rest = len - fqdn_len;
	if (rest < sizeof(sep) - 1 || memcmp(semi, sep, sizeof(sep) - 1) != 0)
		return -AKMA_E_AF_ID_FORM;
	rc = akma_hex_decode(semi + sizeof(sep) - 1, rest - (sizeof(sep) - 1), ua, AKMA_UA_ID_LEN,
			     -AKMA_E_UA_ID_LEN);
	if (rc)
		return rc;
	return akma_af_id_set(af, text, fqdn_len, ua);
}

int akma_af_id_format(const struct akma_af_id *af, char *buf, size_t size)
{
	size_t need = af->fqdn_len + 4 + 2 * AKMA_UA_ID_LEN;

	if (need + 1 > size)
		return -AKMA_E_NOSPACE;
	memcpy(buf, af->fqdn, af->fqdn_len);
	memcpy(buf + af->fqdn_len, ";ua=", 4);
	akma_hex_encode(af->ua_id, AKMA_UA_ID_LEN, buf + af->fqdn_len + 4);
	return (int)need;
}

size_t akma_af_id_octets(const struct akma_af_id *af, uint8_t out[AKMA_AF_ID_MAX])
{
	memcpy(out, af->fqdn, af->fqdn_len);
	memcpy(out + af->fqdn_len, af->ua_id, AKMA_UA_ID_LEN);
	return af->fqdn_len + AKMA_UA_ID_LEN;
}

/* ---- A-KID convention --------------------------------------------------------- */

static size_t base64url_nopad(const uint8_t *in, size_t n, char *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = alphabet[v >> 18];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
	}
	return o;
}

static int digits_between(const char *s, size_t lo, size_t hi)
{
	size_t len = strlen(s);
	return len >= lo && len <= hi && all_digits(s, len);
}

int akma_akid_compose(const uint8_t atid[AKMA_KEY_LEN], const char *rid, const char *mcc,
		      const char *mnc, char *buf, size_t size)
{
	char tid[44];

	if (!digits_between(rid, 1, 4))
		return -AKMA_E_RID;
	if (!digits_between(mcc, 3, 3))
		return -AKMA_E_MCC;
	if (!digits_between(mnc, 2, 3))
		return -AKMA_E_MNC;
	tid[base64url_nopad(atid, AKMA_KEY_LEN, tid)] = '\0';
	/* TS 23.003 28.2: a 2-digit MNC is written with a leading zero. */
	int n = snprintf(buf, size, "%s.%s@akma.5gc.mnc%s%s.mcc%s.3gppnetwork.org", rid, tid,
			 strlen(mnc) == 2 ? "0" : "", mnc, mcc);
	if (n < 0 || (size_t)n >= size) {
		if (size)
			buf[0] = '\0';
		return -AKMA_E_NOSPACE;
	}
	return n;
}
