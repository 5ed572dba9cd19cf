/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OAuth2 access token verification (see sbi_token.h). The only parsing of
 * our own is base64url and the split of the compact JWS at its two dots;
 * JSON is jansson's, signatures are OpenSSL's EVP_DigestVerify() with keys
 * parsed once. Debian's libjwt 1.10 was not used: it re-parses the PEM on
 * every call (~580 us against ~80 us for a preloaded P-256 key) and takes
 * an HS256 token keyed with the PEM unless the caller checks the algorithm.
 *
 * Order of the checks: the cache (one SHA-256 and a compare), then the
 * claims (parsing only), and only then a signature, so that a token which
 * fails a cheap check never costs a verification, and a token seen before
 * costs none.
 */
#include "sbi_token.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "clock.h"

#define TOKEN_MAX 8192  /* octets of a token we look at */
#define HEADER_MAX 1024 /* decoded JOSE header */
#define PAYLOAD_MAX 4096
#define ISSUERS_MAX 16
#define KEYS_MAX 64

enum alg { ALG_ES256 = 1, ALG_RS256 = 2 };

struct nrf_key {
	char issuer[64];
	char kid[64];
	enum alg alg;
	EVP_PKEY *pkey;
};

struct cache_entry {
	uint8_t hash[SHA256_DIGEST_LENGTH];
	struct akma_token_claims c; /* c.exp == 0: empty */
};

struct akma_token_verifier {
	struct nrf_key keys[KEYS_MAX];
	unsigned n_keys;
	char issuers[ISSUERS_MAX][64];
	unsigned n_issuers;
	char nf_id[64];
	unsigned skew_s;
	struct cache_entry *cache;
	unsigned cache_mask;
	double budget;      /* failed checks still allowed now */
	uint64_t budget_ns; /* when the budget was last refilled */
	unsigned fail_per_s;
	EVP_MD_CTX *md;
	struct akma_token_stats st;
};

/* ---- base64url -------------------------------------------------------------------- */

static int b64url_value(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '-')
		return 62;
	if (ch == '_')
		return 63;
	return -1;
}

long akma_base64url_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* The unused low bits of the last character must be zero (canonical). */
	if (bits && (acc & ((1u << bits) - 1)))
		return -1;
	return (long)n;
}

/* ---- keys ------------------------------------------------------------------------- */

static int key_alg(EVP_PKEY *k, enum alg *alg, char *why, size_t why_size)
{
	char group[64];
	size_t gl = 0;

	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), &gl) != 1 ||
		    strcmp(group, "prime256v1") != 0) {
			snprintf(why, why_size, "an EC key not on P-256 (ES256 needs P-256)");
			return -1;
		}
		*alg = ALG_ES256;
		return 0;
	case EVP_PKEY_RSA:
		if (EVP_PKEY_get_bits(k) < 2048) {
			snprintf(why, why_size, "an RSA key of fewer than 2048 bits");
			return -1;
		}
		*alg = ALG_RS256;
		return 0;
	default:
		snprintf(why, why_size, "a key neither EC P-256 nor RSA");
		return -1;
	}
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

static int load_keys(struct akma_token_verifier *v, const char *path, char *why, size_t why_size)
{
	FILE *f = fopen(path, "r");
	char line[512], issuer[64] = "", kid[64] = "", what[160];
	int lineno = 0, rc = -1;
	char *pem = NULL;
	size_t pem_len = 0, pem_cap = 0;

	if (!f) {
		snprintf(why, why_size, "sbi.oauth2_keys %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = trim(line);
		if (pem) {
			size_t n = strlen(s);
			if (pem_len + n + 2 > pem_cap) {
				size_t cap = 2 * (pem_cap + n + 2);
				char *p = realloc(pem, cap);
				if (!p)
					goto oom;
				pem = p;
				pem_cap = cap;
			}
			memcpy(pem + pem_len, s, n);
			pem_len += n;
			pem[pem_len++] = '\n';
			pem[pem_len] = '\0';
			if (strcmp(s, "-----END PUBLIC KEY-----") != 0)
				continue;
			BIO *bio = BIO_new_mem_buf(pem, (int)pem_len);
			EVP_PKEY *k = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
			BIO_free(bio);
			free(pem);
			pem = NULL;
			pem_len = pem_cap = 0;
			struct nrf_key *nk = &v->keys[v->n_keys];
			if (!k) {
				snprintf(why, why_size, "sbi.oauth2_keys %s:%d: not a public key",
					 path, lineno);
				goto out;
			}
			if (key_alg(k, &nk->alg, what, sizeof(what)) != 0) {
				EVP_PKEY_free(k);
				snprintf(why, why_size, "sbi.oauth2_keys %s:%d: %s", path, lineno,
					 what);
				goto out;
			}
			nk->pkey = k;
			snprintf(nk->issuer, sizeof(nk->issuer), "%s", issuer);
			snprintf(nk->kid, sizeof(nk->kid), "%s", kid);
			v->n_keys++;
			issuer[0] = kid[0] = '\0';
			continue;
		}
		if (!*s || *s == '#')
			continue;
		if (!strcmp(s, "-----BEGIN PUBLIC KEY-----")) {
			if (!issuer[0]) {
				snprintf(
					why, why_size,
					"sbi.oauth2_keys %s:%d: a key without its 'issuer = ' line",
					path, lineno);
				goto out;
			}
			if (v->n_keys == KEYS_MAX) {
				snprintf(why, why_size, "sbi.oauth2_keys %s: more than %d keys",
					 path, KEYS_MAX);
				goto out;
			}
			pem_cap = 4096;
			pem = malloc(pem_cap);
			if (!pem)
				goto oom;
			pem_len = (size_t)snprintf(pem, pem_cap, "%s\n", s);
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq) {
			*eq = '\0';
			char *key = trim(s), *val = trim(eq + 1);
			if (!strcmp(key, "issuer") && *val && strlen(val) < sizeof(issuer)) {
				snprintf(issuer, sizeof(issuer), "%s", val);
				continue;
			}
			if (!strcmp(key, "kid") && *val && strlen(val) < sizeof(kid)) {
				snprintf(kid, sizeof(kid), "%s", val);
				continue;
			}
		}
		snprintf(why, why_size,
			 "sbi.oauth2_keys %s:%d: expected 'issuer = ID', 'kid = ID' or a PEM "
			 "public key",
			 path, lineno);
		goto out;
	}
	if (pem) {
		snprintf(why, why_size, "sbi.oauth2_keys %s: a key without its END line", path);
		goto out;
	}
	if (!v->n_keys) {
		snprintf(why, why_size, "sbi.oauth2_keys %s: no key", path);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(why, why_size, "out of memory");
out:
	free(pem);
	fclose(f);
	return rc;
}

/* ---- the verifier ------------------------------------------------------------------- */

void akma_token_verifier_free(struct akma_token_verifier *v)
{
	if (!v)
		return;
	for (unsigned i = 0; i < v->n_keys; i++)
		EVP_PKEY_free(v->keys[i].pkey);
	EVP_MD_CTX_free(v->md);
	free(v->cache);
	free(v);
}

struct akma_token_verifier *akma_token_verifier_create(const struct akma_token_params *p, char *why,
						       size_t why_size)
{
	struct akma_token_verifier *v = calloc(1, sizeof(*v));
	char list[1024];

	if (!v) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	unsigned entries = p->cache_entries ? p->cache_entries : 4096, size = 16;
	while (size < entries)
		size <<= 1;
	v->cache = calloc(size, sizeof(*v->cache));
	v->cache_mask = size - 1;
	v->md = EVP_MD_CTX_new();
	v->skew_s = p->skew_s;
	v->fail_per_s = p->fail_per_s ? p->fail_per_s : 200;
	v->budget = v->fail_per_s;
	v->budget_ns = akma_mono_ns();
	snprintf(v->nf_id, sizeof(v->nf_id), "%s", p->nf_instance_id ? p->nf_instance_id : "");
	if (!v->cache || !v->md) {
		snprintf(why, why_size, "out of memory");
		goto fail;
	}
	snprintf(list, sizeof(list), "%s", p->issuers ? p->issuers : "");
	for (char *save, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = trim(t);
		if (!*t)
			continue;
		if (v->n_issuers == ISSUERS_MAX || strlen(t) >= sizeof(v->issuers[0])) {
			snprintf(why, why_size, "sbi.oauth2_issuers: more than %d, or one too long",
				 ISSUERS_MAX);
			goto fail;
		}
		snprintf(v->issuers[v->n_issuers++], sizeof(v->issuers[0]), "%s", t);
	}
	if (!v->n_issuers) {
		snprintf(why, why_size, "sbi.oauth2_issuers is empty: no NRF's tokens could pass");
		goto fail;
	}
	if (load_keys(v, p->keys_file, why, why_size) != 0)
		goto fail;
	for (unsigned i = 0; i < v->n_keys; i++) {
		unsigned k = 0;
		while (k < v->n_issuers && strcmp(v->issuers[k], v->keys[i].issuer))
			k++;
		if (k == v->n_issuers) {
			snprintf(why, why_size,
				 "sbi.oauth2_keys %s: a key of issuer %s, which sbi.oauth2_issuers "
				 "does not list",
				 p->keys_file, v->keys[i].issuer);
			goto fail;
		}
	}
	return v;
fail:
	akma_token_verifier_free(v);
	return NULL;
}

void akma_token_stats(const struct akma_token_verifier *v, struct akma_token_stats *st)
{
	*st = v->st;
}

/* ---- claims --------------------------------------------------------------------------- */

static json_t *decode_json(const char *b64, size_t len, size_t max)
{
	uint8_t buf[PAYLOAD_MAX];
	long n = len <= 4 * (max / 3 + 1) ? akma_base64url_decode(b64, len, buf, max) : -1;
	if (n <= 0)
		return NULL;
	json_t *o = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
	if (o && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A NumericDate claim (RFC 7519 2), or -1 when absent. */
static int numeric_date(json_t *payload, const char *name, uint64_t *out)
{
	json_t *d = json_object_get(payload, name);
	if (!d)
		return -1;
	if (json_is_integer(d) && json_integer_value(d) >= 0) {
		*out = (uint64_t)json_integer_value(d);
		return 0;
	}
	if (json_is_real(d) && json_real_value(d) >= 0) {
		*out = (uint64_t)json_real_value(d);
		return 0;
	}
	return -2;
}

static int aud_ok(const struct akma_token_verifier *v, json_t *aud)
{
	if (json_is_string(aud))
		return !strcmp(json_string_value(aud), "AANF") ||
		       (v->nf_id[0] && !strcmp(json_string_value(aud), v->nf_id));
	if (!json_is_array(aud))
		return 0;
	size_t i;
	json_t *e;
	json_array_foreach(aud, i, e)
	{
		if (json_is_string(e) && (!strcmp(json_string_value(e), "AANF") ||
					  (v->nf_id[0] && !strcmp(json_string_value(e), v->nf_id))))
			return 1;
	}
	return 0;
}

static unsigned scopes_of(const char *scope)
{
	static const struct {
		const char *name;
		unsigned bit;
	} known[] = {
		{"naanf-akma", AKMA_SCOPE_BASE},
		{"naanf-akma:anchorkey", AKMA_SCOPE_ANCHORKEY},
		{"naanf-akma:applicationkeyget", AKMA_SCOPE_APPKEYGET},
		{"naanf-akma:applicationkeyget:supi-access", AKMA_SCOPE_SUPI_ACCESS},
	};
	unsigned bits = 0;
	for (const char *p = scope; *p;) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (n == strlen(known[k].name) && !memcmp(p, known[k].name, n))
				bits |= known[k].bit;
		p += n;
	}
	return bits;
}

/* Everything but the signature. Returns 0 with c filled, or -EACCES. */
static int check_claims(const struct akma_token_verifier *v, json_t *header, json_t *payload,
			uint64_t now, enum alg *alg, const char **kid, const char **iss,
			struct akma_token_claims *c, char *why, size_t why_size)
{
	const char *a = json_string_value(json_object_get(header, "alg"));
	if (!a) {
		snprintf(why, why_size, "no alg in the JOSE header");
		return -EACCES;
	}
	if (!strcmp(a, "ES256"))
		*alg = ALG_ES256;
	else if (!strcmp(a, "RS256"))
		*alg = ALG_RS256;
	else {
		snprintf(why, why_size, "alg %.16s refused (ES256 and RS256 only)", a);
		return -EACCES;
	}
	json_t *k = json_object_get(header, "kid");
	*kid = k && json_is_string(k) ? json_string_value(k) : NULL;
	*iss = json_string_value(json_object_get(payload, "iss"));
	unsigned i = 0;
	while (*iss && i < v->n_issuers && strcmp(v->issuers[i], *iss))
		i++;
	if (!*iss || i == v->n_issuers) {
		snprintf(why, why_size, "iss is not a configured NRF");
		return -EACCES;
	}
	if (!aud_ok(v, json_object_get(payload, "aud"))) {
		snprintf(why, why_size, "aud is neither AANF nor this AAnF's instance ID");
		return -EACCES;
	}
	uint64_t exp, nbf, iat;
	if (numeric_date(payload, "exp", &exp) != 0) {
		snprintf(why, why_size, "no exp");
		return -EACCES;
	}
	if (exp + v->skew_s <= now) {
		snprintf(why, why_size, "expired");
		return -EACCES;
	}
	int rc = numeric_date(payload, "nbf", &nbf);
	if (rc == -2 || (rc == 0 && nbf > now + v->skew_s)) {
		snprintf(why, why_size, "not yet valid (nbf)");
		return -EACCES;
	}
	rc = numeric_date(payload, "iat", &iat);
	if (rc == -2 || (rc == 0 && iat > now + v->skew_s)) {
		snprintf(why, why_size, "issued in the future (iat)");
		return -EACCES;
	}
	const char *sub = json_string_value(json_object_get(payload, "sub"));
	if (!sub || !*sub || strlen(sub) >= sizeof(c->sub)) {
		snprintf(why, why_size, "no sub, or one too long");
		return -EACCES;
	}
	const char *scope = json_string_value(json_object_get(payload, "scope"));
	unsigned scopes = scope ? scopes_of(scope) : 0;
	if (!(scopes & AKMA_SCOPE_BASE)) {
		snprintf(why, why_size, "scope lacks naanf-akma");
		return -EACCES;
	}
	snprintf(c->sub, sizeof(c->sub), "%s", sub);
	c->exp = exp;
	c->scopes = scopes;
	return 0;
}

/* ES256 signatures are r || s (RFC 7518 3.4); OpenSSL verifies DER. */
static int es256_der(const uint8_t *raw, size_t len, uint8_t *der, size_t cap)
{
	if (len != 64)
		return -1;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, 32, NULL), *s = BN_bin2bn(raw + 32, 32, NULL);
	if (!sig || !r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
		ECDSA_SIG_free(sig);
		BN_free(r);
		BN_free(s);
		return -1;
	}
	int n = i2d_ECDSA_SIG(sig, NULL);
	if (n <= 0 || (size_t)n > cap) {
		ECDSA_SIG_free(sig);
		return -1;
	}
	uint8_t *p = der;
	n = i2d_ECDSA_SIG(sig, &p);
	ECDSA_SIG_free(sig);
	return n;
}

static int signature_ok(struct akma_token_verifier *v, const struct nrf_key *k, const char *input,
			size_t input_len, const uint8_t *sig, size_t sig_len)
{
	uint8_t der[80];
	const uint8_t *s = sig;
	size_t sl = sig_len;
	if (k->alg == ALG_ES256) {
		int n = es256_der(sig, sig_len, der, sizeof(der));
		if (n < 0)
			return 0;
		s = der;
		sl = (size_t)n;
	}
	EVP_MD_CTX_reset(v->md);
	return EVP_DigestVerifyInit(v->md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
	       EVP_DigestVerify(v->md, s, sl, (const uint8_t *)input, input_len) == 1;
}

static int budget_take(struct akma_token_verifier *v)
{
	uint64_t now = akma_mono_ns();
	v->budget += (double)(now - v->budget_ns) * 1e-9 * v->fail_per_s;
	if (v->budget > v->fail_per_s)
		v->budget = v->fail_per_s;
	v->budget_ns = now;
	return v->budget >= 1;
}

int akma_token_verify(struct akma_token_verifier *v, const char *token, size_t len, uint64_t now_s,
		      struct akma_token_claims *c, char *why, size_t why_size)
{
	uint8_t hash[SHA256_DIGEST_LENGTH], sig[512];

	if (len == 0 || len > TOKEN_MAX) {
		snprintf(why, why_size, "empty, or longer than %d octets", TOKEN_MAX);
		return -EACCES;
	}
	SHA256((const uint8_t *)token, len, hash);
	struct cache_entry *e = &v->cache[(hash[0] | hash[1] << 8 | hash[2] << 16) & v->cache_mask];
	if (e->c.exp && !memcmp(e->hash, hash, sizeof(hash))) {
		if (e->c.exp + v->skew_s > now_s) {
			*c = e->c;
			v->st.cache_hits++;
			return 0;
		}
		memset(e, 0, sizeof(*e));
	}
	const char *dot1 = memchr(token, '.', len);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) ||
	    dot2 + 1 == token + len) {
		snprintf(why, why_size, "not a compact JWS (header.payload.signature)");
		return -EACCES;
	}
	json_t *header = decode_json(token, (size_t)(dot1 - token), HEADER_MAX);
	json_t *payload = decode_json(dot1 + 1, (size_t)(dot2 - dot1 - 1), PAYLOAD_MAX);
	long sl =
		akma_base64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), sig, sizeof(sig));
	int rc = -EACCES;
	if (!header || !payload || sl <= 0) {
		snprintf(why, why_size, "its header, payload or signature does not decode");
		goto out;
	}
	enum alg alg;
	const char *kid, *iss;
	struct akma_token_claims claims;
	rc = check_claims(v, header, payload, now_s, &alg, &kid, &iss, &claims, why, why_size);
	if (rc)
		goto out;
	if (!budget_take(v)) {
		v->st.throttled++;
		snprintf(why, why_size, "too many tokens failed verification: try again later");
		rc = -EBUSY;
		goto out;
	}
	rc = -EACCES;
	int tried = 0;
	for (unsigned i = 0; i < v->n_keys && rc; i++) {
		const struct nrf_key *k = &v->keys[i];
		if (k->alg != alg || strcmp(k->issuer, iss) ||
		    (kid && k->kid[0] && strcmp(kid, k->kid)))
			continue;
		tried++;
		if (signature_ok(v, k, token, (size_t)(dot2 - token), sig, (size_t)sl))
			rc = 0;
	}
	if (rc) {
		v->budget -= 1;
		v->st.failed++;
		snprintf(why, why_size,
			 tried ? "the signature does not verify"
			       : "no key of its issuer for its alg and kid");
		goto out;
	}
	v->st.verified++;
	memcpy(e->hash, hash, sizeof(hash));
	e->c = claims;
	*c = claims;
out:
	json_decref(header);
	json_decref(payload);
	return rc;
}
