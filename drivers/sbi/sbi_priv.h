/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_SBI_PRIV_H
#define AKMA_SBI_PRIV_H

/* What the front end's files share inside drivers/sbi: its counters and
 * their Prometheus text (metrics.c), its TLS context (tls.c). Not a public
 * interface. */

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "sbi.h"
#include "sbi_policy.h"
#include "sbi_token.h"

#define AKMA_SBI_LAT_BUCKETS 12 /* <50 us, <100 us ... doubling, then the rest */
#define AKMA_SBI_N_OPS 4        /* register, retrieve, remove, other */
#define AKMA_SBI_N_CODES 12     /* the statuses of akma_sbi_codes[] */

extern const int akma_sbi_codes[AKMA_SBI_N_CODES];

/* Why a request was refused at the trust boundary (counted, /metrics). */
enum akma_sbi_refusal {
	AKMA_SBI_REFUSED_NONE = 0,
	AKMA_SBI_REFUSED_NO_TOKEN,   /* 401: no Authorization */
	AKMA_SBI_REFUSED_BAD_HEADER, /* 400: not "Bearer <token>" */
	AKMA_SBI_REFUSED_BAD_TOKEN,  /* 401: the token failed a check */
	AKMA_SBI_REFUSED_THROTTLED,  /* 503: too many failed verifications */
	AKMA_SBI_REFUSED_UNKNOWN,    /* 403: not in the policy */
	AKMA_SBI_REFUSED_ROLE,       /* 403: its role may not call this */
	AKMA_SBI_REFUSED_SCOPE,      /* 403: the token lacks the operation's scope */
	AKMA_SBI_REFUSED_AF,         /* 403: not authorized for this afId */
	AKMA_SBI_REFUSED_N
};

/* Counters, written by the front end's thread only (relaxed atomic stores,
 * so /metrics, rendered on the same thread, and any reader see whole
 * values). */
struct akma_sbi_stats {
	uint64_t connections, connections_open, streams, in_flight;
	uint64_t requests[3];     /* register, retrieve, remove */
	uint64_t protocol_errors; /* connections closed for breaking HTTP/2 */
	uint64_t tls_failures;    /* TLS handshakes or records that failed */
	uint64_t lat[AKMA_SBI_LAT_BUCKETS];
	uint64_t lat_sum_ns;                                    /* the histogram's _sum */
	uint64_t answers[AKMA_SBI_N_OPS][AKMA_SBI_N_CODES + 1]; /* + statuses not in the table */
	uint64_t refused[AKMA_SBI_REFUSED_N];
	uint64_t tokens_verified, tokens_cached, tokens_failed;
	uint64_t accept_paused;        /* times the listener rested: out of descriptors */
	uint64_t header_lists_refused; /* connections closed: sbi.max_header_list */
	uint64_t body_octets;          /* gauge: request body memory held */
	uint64_t body_budget_refused;  /* 503s: sbi.body_budget spent */
	uint64_t requests_timed_out;   /* connections closed: a stream overdue */
	uint64_t per_address_refused;  /* connections refused: max_connections_per_address */
	uint64_t authz_reused;         /* Authorization fields given by a connection's memo */
};

static inline void akma_sbi_gauge(uint64_t *g, uint64_t v)
{
	__atomic_store_n(g, v, __ATOMIC_RELAXED);
}

static inline void akma_sbi_bump(uint64_t *c, int64_t by)
{
	__atomic_store_n(c, *c + (uint64_t)by, __ATOMIC_RELAXED);
}

/* Count one answer: op (0..2, or anything else for "other"), its status,
 * and its latency from t0_ns (monotonic; 0: not timed). */
void akma_sbi_stats_answer(struct akma_sbi_stats *st, int op, int status, uint64_t t0_ns);

/* The Prometheus text exposition of st, then what extra (when not NULL)
 * appends. Returns a malloc'd string, or NULL when out of memory. */
void akma_sbi_metrics_write(const struct akma_sbi_stats *st, FILE *f);

/* What a client certificate says of its NF (TS 33.310 NF certificate
 * profile): the NF instance ID of its urn:uuid: URI and its DNS names. */
#define AKMA_SBI_PEER_DNS_MAX 8
#define AKMA_SBI_MEMO_MAX 2048 /* octets of a token a connection remembers */
struct akma_sbi_peer {
	int verified; /* a certificate that chains to sbi.tls_client_ca */
	char uuid[AKMA_UUID_LEN + 1];
	unsigned n_dns;
	char dns[AKMA_SBI_PEER_DNS_MAX][256];
	/* The last Authorization header this connection showed that passed
	 * every check of the caller (token, certificate's sub, policy), with its
	 * claims and consumer: an NF sends the same one on every request, and a
	 * compare of it costs less than parsing it and the cache's SHA-256.
	 * Valid under the checks it passed (memo_gen: the policy the consumer
	 * points into is that generation's); the operation's checks are still
	 * made per request. Wiped with the peer. */
	uint64_t memo_gen; /* the akma_sbi_auth generation it was checked under */
	size_t memo_len;
	char memo_token[AKMA_SBI_MEMO_MAX]; /* the whole header value */
	struct akma_token_claims memo_claims;
	const struct akma_sbi_consumer *memo_consumer;
};

/* Read the peer's identity after the handshake. */
void akma_sbi_peer_read(SSL *ssl, struct akma_sbi_peer *peer);

/* What callers are checked against; made on the control thread (start,
 * SIGHUP) and handed whole to the SBI thread, which frees the old one. */
struct akma_sbi_auth {
	uint64_t gen;                       /* 1, 2, ...: a new one on each load */
	int mtls;                           /* sbi.tls_client_ca is set */
	struct akma_sbi_policy *policy;     /* NULL: no consumer is known */
	struct akma_token_verifier *tokens; /* NULL: OAuth2 off */
};

/* Make the checks of p (policy, keys), or NULL with why. */
struct akma_sbi_auth *akma_sbi_auth_create(const struct akma_sbi_params *p, char *why,
					   size_t why_size);
void akma_sbi_auth_free(struct akma_sbi_auth *a);

/* The outcome of the checks of one request. */
struct akma_sbi_decision {
	int status;        /* 0: go on; else refuse with it */
	const char *cause; /* a TS 29.500 cause, or NULL */
	unsigned refusal;  /* enum akma_sbi_refusal */
	char detail[200];
	char www_authenticate[256]; /* "": no challenge */
	unsigned retry_after;       /* seconds, 0: none */
	int open;                   /* no authentication configured */
	int oauth2;                 /* the caller showed a valid token */
	unsigned scopes;            /* its scopes */
	const struct akma_sbi_consumer *consumer;
};

/* Authenticate the caller (peer: its certificate; authz: the Authorization
 * header or NULL) and authorize op (enum akma_sbi_op, or -1 for what is not
 * an operation: authentication only). SBI thread; never blocks. */
void akma_sbi_authorize(struct akma_sbi_auth *a, struct akma_sbi_peer *peer, const char *authz,
			size_t authz_len, int op, uint64_t now_s, struct akma_sbi_decision *d);

/* What a retrieve may return to the caller d describes: *supi and *gpsi
 * set to 1 when that identity may be sent (anonInd sends neither). */
void akma_sbi_exposure(const struct akma_sbi_decision *d, int anonymous, int *supi, int *gpsi);

/* The server side TLS context of p (TLS 1.2/1.3, AEAD suites, ALPN h2 only).
 * Returns NULL with the certificate, key and OpenSSL's reason in why. */
/* 1 when OpenSSL allocates on the secret heap (tls.c set it before main);
 * 0 when OpenSSL had allocated before that could be done. */
extern int akma_sbi_tls_on_secret_heap;

SSL_CTX *akma_sbi_tls_context(const struct akma_sbi_params *p, char *why, size_t why_size);

#endif
