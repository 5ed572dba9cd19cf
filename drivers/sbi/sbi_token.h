/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_SBI_TOKEN_H
#define AKMA_SBI_TOKEN_H

/*
 * OAuth2 access tokens of the SBI (TS 33.501 13.4.1; TS 29.510
 * AccessTokenClaims): compact JWS, signed by an NRF with ES256 (P-256) or
 * RS256 under a public key of sbi.oauth2_keys, each key bound to the NRF
 * instance ID that issues with it.
 *
 * The keys file is PEM with a line "issuer = <NRF instance ID>" (and
 * optionally "kid = <key id>") before each public key:
 *
 *   issuer = 5c7e0b3a-0c4b-4c1e-9e4e-1a2b3c4d5e6f
 *   kid = nrf-ec-1
 *   -----BEGIN PUBLIC KEY-----
 *   ...
 *   -----END PUBLIC KEY-----
 *
 * A token is refused (-EACCES, the reason in why) unless: its header's alg
 * is ES256 or RS256 and that of the key it is checked with (none, HS*, and
 * every other are refused: HMAC tokens are not accepted, our local policy,
 * so the public key can never serve as an HMAC secret); iss is a configured
 * NRF with a key; aud is "AANF" or this instance's ID, or an array holding
 * one of them; exp is later than now - skew; nbf and iat, when present, no
 * later than now + skew; scope holds "naanf-akma"; and the signature
 * verifies. The claims are read before the signature is checked (they cost
 * nothing beside it) and trusted only after.
 *
 * A cache keeps the claims of verified tokens (by SHA-256 of the token)
 * until their exp, bounded in entries; a failure budget (tokens per
 * second) bounds the signature checks that fail, so that garbage cannot buy
 * unbounded CPU: beyond it, tokens not in the cache are refused -EBUSY
 * without a check until the budget refills.
 *
 * A verifier belongs to one thread (the SBI's) once made; keys are loaded
 * when it is made (start, SIGHUP) and never re-parsed per token. Never
 * blocks.
 */

#include <stddef.h>
#include <stdint.h>

/* Scopes a token carries. */
#define AKMA_SCOPE_BASE 0x1        /* naanf-akma */
#define AKMA_SCOPE_ANCHORKEY 0x2   /* naanf-akma:anchorkey */
#define AKMA_SCOPE_APPKEYGET 0x4   /* naanf-akma:applicationkeyget */
#define AKMA_SCOPE_SUPI_ACCESS 0x8 /* naanf-akma:applicationkeyget:supi-access */

struct akma_token_claims {
	char sub[64]; /* the consumer's NF instance ID */
	uint64_t exp; /* seconds */
	unsigned scopes;
};

struct akma_token_params {
	const char *keys_file;      /* PEM as above */
	const char *issuers;        /* comma-separated NRF instance IDs */
	const char *nf_instance_id; /* this AAnF's */
	unsigned skew_s;            /* clock skew allowed on exp, nbf, iat */
	unsigned cache_entries;     /* verified tokens kept; 0: 4096 */
	unsigned fail_per_s;        /* failed signature checks a second; 0: 200 */
};

struct akma_token_verifier;

/* Load the keys and make a verifier. Returns NULL with the file and the
 * reason in why. */
struct akma_token_verifier *akma_token_verifier_create(const struct akma_token_params *p, char *why,
						       size_t why_size);
void akma_token_verifier_free(struct akma_token_verifier *v);

/* Verify the compact JWS token (len octets) at now_s (Unix seconds). Returns
 * 0 with *c filled, -EACCES (the token fails a check: why says which),
 * -EBUSY (the failure budget is spent: try later) or -ENOMEM. */
int akma_token_verify(struct akma_token_verifier *v, const char *token, size_t len, uint64_t now_s,
		      struct akma_token_claims *c, char *why, size_t why_size);

struct akma_token_stats {
	uint64_t verified, cache_hits, failed, throttled;
};
void akma_token_stats(const struct akma_token_verifier *v, struct akma_token_stats *st);

/* base64url without padding (RFC 7515 2): decode len characters into out
 * (cap octets). Returns the octets, or -1 for a character outside the
 * alphabet, padding, a length no encoding has, or too little room. */
long akma_base64url_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
