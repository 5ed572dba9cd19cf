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

#define AKMA_SBI_LAT_BUCKETS 12 /* <50 us, <100 us ... doubling, then the rest */
#define AKMA_SBI_N_OPS 4        /* register, retrieve, remove, other */
#define AKMA_SBI_N_CODES 10     /* the statuses of akma_sbi_codes[] */

extern const int akma_sbi_codes[AKMA_SBI_N_CODES];

/* Counters, written by the front end's thread only (relaxed atomic stores,
 * so /metrics, rendered on the same thread, and any reader see whole
 * values). */
struct akma_sbi_stats {
	uint64_t connections, connections_open, streams, in_flight;
	uint64_t requests[3];     /* register, retrieve, remove */
	uint64_t protocol_errors; /* connections closed for breaking HTTP/2 */
	uint64_t tls_failures;    /* TLS handshakes or records that failed */
	uint64_t lat[AKMA_SBI_LAT_BUCKETS];
	uint64_t answers[AKMA_SBI_N_OPS][AKMA_SBI_N_CODES + 1]; /* + statuses not in the table */
};

static inline void akma_sbi_bump(uint64_t *c, int64_t by)
{
	__atomic_store_n(c, *c + (uint64_t)by, __ATOMIC_RELAXED);
}

/* Count one answer: op (0..2, or anything else for "other"), its status,
 * and its latency from t0_ns (monotonic; 0: not timed). */
void akma_sbi_stats_answer(struct akma_sbi_stats *st, int op, int status, uint64_t t0_ns);

/* The Prometheus text exposition of st, then what extra (when not NULL)
 * appends. Returns a malloc'd string, or NULL when out of memory. */
char *akma_sbi_metrics_text(const struct akma_sbi_stats *st, const struct akma_sbi_metrics *extra);

/* The server side TLS context of p (TLS 1.2/1.3, AEAD suites, ALPN h2 only).
 * Returns NULL with the certificate, key and OpenSSL's reason in why. */
SSL_CTX *akma_sbi_tls_context(const struct akma_sbi_params *p, char *why, size_t why_size);

#endif
