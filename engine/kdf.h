/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_KDF_H
#define AKMA_KDF_H

/*
 * The AKMA key derivations (TS 33.535 Annex A) on the TS 33.220 Annex B.2
 * KDF, and the identifier forms they take as input: SUPI, AF_ID and A-KID.
 *
 *   KDF(Key, FC, P0..Pn) = HMAC-SHA-256(Key, FC || P0 || L0 || ... || Pn || Ln)
 *   K_AKMA = KDF(K_AUSF, 0x80, "AKMA",  SUPI)
 *   A-TID  = KDF(K_AUSF, 0x81, "A-TID", SUPI)
 *   K_AF   = KDF(K_AKMA, 0x82, AF_ID)            AF_ID = FQDN || Ua* id (5 octets)
 *
 * Everything here is single-request and scalar: it serves the control plane
 * (registration computes a context's midstates) and akmactl. The data plane
 * derives K_AF in bursts through mb.h, from the same midstates and the same
 * S layout (akma_kaf_s()).
 *
 * Every function is thread-safe, never blocks, never allocates, and wipes
 * the key material it handled on its own stack. Errors are negative akma_err
 * codes (err.h).
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define AKMA_KEY_LEN 32   /* K_AUSF, K_AKMA, K_AF, A-TID */
#define AKMA_SUPI_MAX 253 /* RFC 7542 NAI limit; IMSI is at most 15 */
#define AKMA_FQDN_MAX 253 /* RFC 1035 */
#define AKMA_UA_ID_LEN 5  /* TS 33.220 Annex H */
#define AKMA_AF_ID_MAX (AKMA_FQDN_MAX + AKMA_UA_ID_LEN)
#define AKMA_KAF_S_MAX (1 + AKMA_AF_ID_MAX + 2) /* FC || AF_ID || L0 */
#define AKMA_AKID_MAX 253

#define AKMA_FC_KAKMA 0x80
#define AKMA_FC_ATID 0x81
#define AKMA_FC_KAF 0x82

/* HMAC-SHA-256 midstates of one key: the SHA-256 state after the block
 * (key ^ ipad) and after (key ^ opad), host-order words, which is the form
 * ipsec-mb's HMAC jobs take. 64 octets, one cache line: key material. */
struct akma_hmac_midstate {
	uint32_t inner[8];
	uint32_t outer[8];
} __attribute__((aligned(64)));

/* Compute the midstates of key (any length; longer than 64 octets it is
 * hashed first, per RFC 2104). Two SHA-256 compressions: 70-72 ns with SHA-NI
 * here (akma-bench kdf, "midstates" row). */
void akma_hmac_midstate(const uint8_t *key, size_t key_len, struct akma_hmac_midstate *ms);

/* HMAC-SHA-256 of msg from cached midstates, scalar (one SHA-256 lane). */
void akma_hmac_from_midstate(const struct akma_hmac_midstate *ms, const uint8_t *msg, size_t len,
			     uint8_t mac[32]);

/* One KDF input parameter Pi. */
struct akma_kdf_param {
	const uint8_t *data;
	size_t len;
};

/* Lay out S = FC || P0 || L0 || ... into s (capacity cap). Returns the length
 * of S, -AKMA_E_KDF_PARAM if a parameter exceeds 65535 octets,
 * -AKMA_E_NOSPACE if cap is too small. */
int akma_kdf_s(uint8_t fc, const struct akma_kdf_param *p, unsigned np, uint8_t *s, size_t cap);

/* The generic KDF: out = HMAC-SHA-256(key, S). Returns 0 or as akma_kdf_s(). */
int akma_kdf(const uint8_t *key, size_t key_len, uint8_t fc, const struct akma_kdf_param *p,
	     unsigned np, uint8_t out[32]);

/* ---- SUPI ---------------------------------------------------------------- */

enum akma_supi_type { AKMA_SUPI_IMSI = 1, AKMA_SUPI_NAI = 2 };

/* A parsed SUPI. value is the KDF input (TS 33.501 A.7.0): the IMSI digits or
 * the NAI, never the imsi-/nai- prefix; NUL-terminated. */
struct akma_supi {
	enum akma_supi_type type;
	uint16_t len;
	char value[AKMA_SUPI_MAX + 1];
};

/* Parse "imsi-<5..15 digits>", "nai-<user@realm>", bare digits (an IMSI) or a
 * bare NAI. Returns 0 or -AKMA_E_SUPI_* saying which rule failed. */
int akma_supi_parse(const char *text, size_t len, struct akma_supi *supi);

/* Write the prefixed form ("imsi-...", "nai-...") and a NUL; returns its
 * length or -AKMA_E_NOSPACE. */
int akma_supi_format(const struct akma_supi *supi, char *buf, size_t size);

/* ---- AF_ID --------------------------------------------------------------- */

/* AF_ID = FQDN || Ua* security protocol identifier (TS 33.535 A.4, TS 33.220
 * Annex H). The FQDN is kept as given (no case folding: its octets are KDF
 * input). */
struct akma_af_id {
	uint16_t fqdn_len;
	char fqdn[AKMA_FQDN_MAX + 1];
	uint8_t ua_id[AKMA_UA_ID_LEN];
};

/* The Ua* identifiers of TS 33.220 Annex H that akmad names. */
extern const uint8_t akma_ua_id_tls13_psk[AKMA_UA_ID_LEN];   /* 01 00 00 00 07 */
extern const uint8_t akma_ua_id_http_digest[AKMA_UA_ID_LEN]; /* 01 00 00 00 02 */
extern const uint8_t akma_ua_id_default[AKMA_UA_ID_LEN];     /* 00 00 00 00 00 */

/* Check an FQDN: 1..253 octets, dot-separated labels of 1..63 letters, digits
 * and hyphens, no label beginning or ending with a hyphen, no trailing dot.
 * Returns 0 or -AKMA_E_FQDN_*. */
int akma_fqdn_check(const char *fqdn, size_t len);

/* Fill af from an FQDN and a 5-octet Ua* id. Returns 0 or -AKMA_E_FQDN_*. */
int akma_af_id_set(struct akma_af_id *af, const char *fqdn, size_t len,
		   const uint8_t ua_id[AKMA_UA_ID_LEN]);

/* Parse the text form "FQDN;ua=HHHHHHHHHH" (10 hex digits, either case), or a
 * bare "FQDN" which takes default_ua (NULL: the ;ua= part is required).
 * Returns 0, -AKMA_E_AF_ID_FORM, -AKMA_E_FQDN_*, -AKMA_E_HEX_* or
 * -AKMA_E_UA_ID_LEN. */
int akma_af_id_parse(const char *text, size_t len, const uint8_t *default_ua,
		     struct akma_af_id *af);

/* Write the text form with the Ua* id always explicit, lower-case hex, and a
 * NUL. Returns its length or -AKMA_E_NOSPACE. */
int akma_af_id_format(const struct akma_af_id *af, char *buf, size_t size);

/* Lay out the AF_ID octets (FQDN || Ua* id); returns their count, at most
 * AKMA_AF_ID_MAX. */
size_t akma_af_id_octets(const struct akma_af_id *af, uint8_t out[AKMA_AF_ID_MAX]);

/* Lay out the K_AF KDF input S = 0x82 || AF_ID || L0 from raw AF_ID octets.
 * s must hold af_id_len + 3 octets; af_id_len <= AKMA_AF_ID_MAX. Returns the
 * length of S. The burst path and the single path both use this. */
static inline size_t akma_kaf_s(const uint8_t *af_id, size_t af_id_len, uint8_t *s)
{
	s[0] = AKMA_FC_KAF;
	memcpy(s + 1, af_id, af_id_len);
	s[1 + af_id_len] = (uint8_t)(af_id_len >> 8);
	s[2 + af_id_len] = (uint8_t)af_id_len;
	return af_id_len + 3;
}

/* ---- The derivations ---------------------------------------------------- */

/* K_AKMA = KDF(K_AUSF, 0x80, "AKMA", SUPI). Always returns 0. */
int akma_derive_kakma(const uint8_t kausf[AKMA_KEY_LEN], const struct akma_supi *supi,
		      uint8_t kakma[AKMA_KEY_LEN]);

/* A-TID = KDF(K_AUSF, 0x81, "A-TID", SUPI). Always returns 0. */
int akma_derive_atid(const uint8_t kausf[AKMA_KEY_LEN], const struct akma_supi *supi,
		     uint8_t atid[AKMA_KEY_LEN]);

/* K_AF = KDF(K_AKMA, 0x82, AF_ID), scalar. The data plane uses
 * akma_mb_kaf_burst() instead; both agree bit for bit (tests check it). */
int akma_derive_kaf(const uint8_t kakma[AKMA_KEY_LEN], const struct akma_af_id *af,
		    uint8_t kaf[AKMA_KEY_LEN]);

/* ---- A-KID (a convention, not a standard) -------------------------------- */

/* Compose an A-KID "<RID>.<base64url-nopad(A-TID)>@akma.5gc.mnc<MNC>.mcc<MCC>
 * .3gppnetwork.org" (MNC padded to 3 digits). TS 33.535 fixes only
 * username@realm with RID and A-TID in the username; this exact text form is
 * akmad's convention for tests and UE simulation (see spec/AKMA.md 1). The
 * engine itself treats A-KIDs as opaque strings. rid: 1..4 digits; mcc: 3
 * digits; mnc: 2 or 3 digits. Returns the length written (NUL added) or
 * -AKMA_E_RID, -AKMA_E_MCC, -AKMA_E_MNC, -AKMA_E_NOSPACE. */
int akma_akid_compose(const uint8_t atid[AKMA_KEY_LEN], const char *rid, const char *mcc,
		      const char *mnc, char *buf, size_t size);

#endif
