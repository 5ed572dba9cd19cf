/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akma-bench token: what an OAuth2 access token costs the SBI
 * (drivers/sbi/token.c). Tokens are minted here under a fresh P-256 and
 * RSA-2048 key (OpenSSL EVP); each row is the median of its rounds:
 *
 *   OpenSSL verify      EVP_DigestVerify of one signature, key preloaded:
 *                       the floor of a cold check
 *   cold                akma_token_verify of a token never seen (the cache
 *                       cannot answer): SHA-256, base64url, JSON, claims,
 *                       the signature
 *   cached              the same token again: the SHA-256 and the cache
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "bench.h"
#include "sbi_token.h"

static const char usage_text[] =
	"Usage: akma-bench token [OPTIONS]\n"
	"\n"
	"The cost of an OAuth2 access token at the SBI: akma_token_verify() of a\n"
	"token never seen (cold: the signature checked) and of one in its cache,\n"
	"beside OpenSSL's EVP_DigestVerify() of the same signature alone, for\n"
	"ES256 (P-256) and RS256 (RSA 2048). Tokens are minted here.\n"
	"\n"
	"  --tokens N   distinct tokens per round (default 2000)\n"
	"  --rounds R   rounds, median shown (default 3)\n"
	"  --csv        rows as CSV\n";

#define ISSUER "0b5e3c1a-1111-4222-8333-444455556666"

static void b64url(const uint8_t *in, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);
		out[o++] = a[v >> 18];
		out[o++] = a[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = a[(v >> 6) & 63];
		if (i + 2 < n)
			out[o++] = a[v & 63];
	}
	out[o] = '\0';
}

/* A compact JWS of claims under k; ES256 signatures are r || s. */
static int mint(EVP_PKEY *k, int es256, const char *claims, char *out, size_t cap, uint8_t *sig,
		size_t *sig_len)
{
	char h[64], p[1024], s[800];
	const char *hdr = es256 ? "{\"alg\":\"ES256\",\"typ\":\"JWT\"}"
				: "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	b64url((const uint8_t *)hdr, strlen(hdr), h);
	b64url((const uint8_t *)claims, strlen(claims), p);
	int n = snprintf(out, cap, "%s.%s", h, p);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t der[600];
	size_t dl = sizeof(der);
	if (EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSign(md, der, &dl, (const uint8_t *)out, (size_t)n) != 1) {
		EVP_MD_CTX_free(md);
		return -1;
	}
	EVP_MD_CTX_free(md);
	memcpy(sig, der, dl);
	*sig_len = dl;
	if (es256) {
		const uint8_t *q = der;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)dl);
		uint8_t raw[64];
		BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32);
		ECDSA_SIG_free(es);
		b64url(raw, 64, s);
	} else {
		b64url(der, dl, s);
	}
	snprintf(out + n, cap - (size_t)n, ".%s", s);
	return 0;
}

int bench_token_main(int argc, char **argv)
{
	unsigned n_tokens = 2000, rounds = 3;
	int csv = 0;
	const struct bench_opt opts[] = {
		{"tokens", BENCH_OPT_UINT, &n_tokens, 10, 100000, NULL},
		{"rounds", BENCH_OPT_UINT, &rounds, 1, 16, NULL},
		{"csv", BENCH_OPT_FLAG, &csv, 0, 0, NULL},
		{NULL, 0, NULL, 0, 0, NULL},
	};
	int rc = bench_options("token", usage_text, opts, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	int core = bench_pin(-1);
	if (core < 0)
		return 1;
	bench_print_env(stdout, csv, core);

	EVP_PKEY *keys[2] = {EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"),
			     EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)};
	char dir[] = "/tmp/akma-bench-token-XXXXXX", path[128];
	if (!keys[0] || !keys[1] || !mkdtemp(dir)) {
		fprintf(stderr, "akma-bench token: cannot make keys\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/keys.pem", dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; i < 2; i++) {
		fprintf(f, "issuer = %s\n", ISSUER);
		PEM_write_PUBKEY(f, keys[i]);
	}
	fclose(f);
	struct akma_token_params tp = {path, ISSUER, NULL, 30, n_tokens * 2 + 64, 1000000};
	char why[256];
	struct akma_token_verifier *v = akma_token_verifier_create(&tp, why, sizeof(why));
	unlink(path);
	rmdir(dir);
	if (!v) {
		fprintf(stderr, "akma-bench token: %s\n", why);
		return 1;
	}
	char(*tok)[1400] = malloc((size_t)n_tokens * sizeof(*tok));
	uint8_t sig[600];
	size_t sig_len = 0;
	uint64_t exp = (uint64_t)time(NULL) + 3600;
	bench_table_header(stdout, csv, "tokens");
	for (int alg = 0; alg < 2; alg++) {
		const char *name = alg ? "RS256" : "ES256";
		double floor_ns[16], cold_ns[16], hot_ns[16];
		for (unsigned r = 0; r < rounds; r++) {
			for (unsigned i = 0; i < n_tokens; i++) {
				char claims[400];
				snprintf(claims, sizeof(claims),
					 "{\"iss\":\"" ISSUER
					 "\",\"sub\":\"9b2c3d4e-0000-4000-8000-"
					 "00000000000a\",\"aud\":\"AANF\",\"scope\":\"naanf-akma\","
					 "\"exp\":%llu,\"jti\":\"%u-%u-%d\"}",
					 (unsigned long long)exp, r, i, alg);
				mint(keys[alg], !alg, claims, tok[i], sizeof(tok[i]), sig,
				     &sig_len);
			}
			/* the floor: the last token's own signature, verified again */
			const char *dot = strrchr(tok[n_tokens - 1], '.');
			EVP_MD_CTX *md = EVP_MD_CTX_new();
			uint64_t t0 = akma_mono_ns();
			for (unsigned i = 0; i < n_tokens; i++) {
				EVP_MD_CTX_reset(md);
				EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, keys[alg]);
				EVP_DigestVerify(md, sig, sig_len,
						 (const uint8_t *)tok[n_tokens - 1],
						 (size_t)(dot - tok[n_tokens - 1]));
			}
			floor_ns[r] = (double)(akma_mono_ns() - t0) / n_tokens;
			EVP_MD_CTX_free(md);
			struct akma_token_claims c;
			unsigned bad = 0;
			t0 = akma_mono_ns();
			for (unsigned i = 0; i < n_tokens; i++)
				bad += akma_token_verify(v, tok[i], strlen(tok[i]),
							 (uint64_t)time(NULL), &c, why,
							 sizeof(why)) != 0;
			cold_ns[r] = (double)(akma_mono_ns() - t0) / n_tokens;
			t0 = akma_mono_ns();
			for (unsigned i = 0; i < n_tokens; i++)
				bad += akma_token_verify(v, tok[0], strlen(tok[0]),
							 (uint64_t)time(NULL), &c, why,
							 sizeof(why)) != 0;
			hot_ns[r] = (double)(akma_mono_ns() - t0) / n_tokens;
			if (bad) {
				fprintf(stderr, "akma-bench token: %u tokens refused: %s\n", bad,
					why);
				return 1;
			}
		}
		double fl = bench_median(floor_ns, rounds), co = bench_median(cold_ns, rounds),
		       ho = bench_median(hot_ns, rounds);
		char m1[64], m2[64], m3[64];
		snprintf(m1, sizeof(m1), "OpenSSL verify %s (floor)", name);
		snprintf(m2, sizeof(m2), "token %s cold", name);
		snprintf(m3, sizeof(m3), "token %s cached", name);
		/* ratio: the floor's time over the row's (cold near 1: the
		 * signature is the whole cost) */
		struct bench_row rows[] = {{m1, "-", 0, 1e9 / fl, fl, 1.0},
					   {m2, "-", 0, 1e9 / co, co, fl / co},
					   {m3, "-", 0, 1e9 / ho, ho, fl / ho}};
		for (int k = 0; k < 3; k++)
			bench_table_row(stdout, csv, &rows[k]);
	}
	free(tok);
	akma_token_verifier_free(v);
	EVP_PKEY_free(keys[0]);
	EVP_PKEY_free(keys[1]);
	return 0;
}
