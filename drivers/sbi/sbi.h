/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_SBI_H
#define AKMA_SBI_H

/*
 * The Naanf_AKMA front end (TS 29.535) over HTTP/2 on nghttp2: with prior
 * knowledge (h2c), or over TLS 1.2/1.3 with ALPN "h2" (OpenSSL) when a
 * certificate and key are given: one thread, not an EAL lcore, with its own producer
 * rings into the engine. Stateless: a stream becomes one engine request;
 * the streams that arrive in one pass of the event loop go to the engine as
 * one burst, and the answers go out as they come back.
 *
 *   POST {apiRoot}/naanf-akma/v1/register-anchorkey       200 AkmaKeyInfo
 *   POST {apiRoot}/naanf-akma/v1/retrieve-applicationkey  200 AkmaAfKeyData, 204
 *   POST {apiRoot}/naanf-akma/v1/remove-context           204, 404
 *   GET  /metrics                                         Prometheus text
 *
 * Errors are ProblemDetails (sbi_json.h): 400, 404 for other paths, 405 for
 * other methods, 411 without content-length, 413 above the body limit, 415
 * for other content types, 503 NF_CONGESTION on engine overload, 500. A
 * client that breaks HTTP/2 gets a GOAWAY and its connection closed.
 *
 * Functions here are called from one control thread (akmad's or akma-sbi's
 * main); the server runs on its own thread between start and stop.
 */

#include <stdint.h>
#include <stdio.h>

#include "kdf.h"
#include "req.h"

struct akma_sbi_params {
	const char *listen;          /* "HOST:PORT" or "[V6]:PORT" */
	unsigned max_body;           /* octets; larger bodies get 413 */
	size_t body_budget;          /* octets of body memory, every stream together; beyond: 503 */
	unsigned max_streams;        /* SETTINGS_MAX_CONCURRENT_STREAMS */
	unsigned max_header_list;    /* octets (RFC 9113 6.5.2); beyond it the connection closes */
	unsigned max_connections;    /* beyond it new connections are closed */
	unsigned idle_timeout_ms;    /* a connection idle this long is closed */
	unsigned request_timeout_ms; /* first HEADERS to END_STREAM; beyond: closed */
	unsigned header_timeout_ms;  /* first HEADERS to END_HEADERS; beyond: closed */
	unsigned max_connections_per_address; /* 0: no bound */
	uint8_t default_ua[AKMA_UA_ID_LEN];   /* Ua* id of a bare-FQDN afId */
	const char *tls_cert;                 /* PEM certificate chain; NULL or "": h2c */
	const char *tls_key;                  /* PEM private key */
	/* the trust boundary (spec/AKMA.md 6; README "The trust boundary") */
	const char *tls_client_ca;  /* PEM CA bundle: mutual TLS; NULL or "": none */
	int oauth2;                 /* every request needs a valid access token */
	const char *oauth2_keys;    /* the NRFs' public keys (sbi_token.h) */
	const char *oauth2_issuers; /* the NRF instance IDs, comma-separated */
	unsigned oauth2_skew_s;
	const char *nf_instance_id; /* this AAnF's, for a token's aud */
	const char *policy;         /* the consumer policy (sbi_policy.h); NULL or "" */
};

/* Where requests go: the engine's rings in akmad, the wire protocol in
 * akma-sbi. Every call comes from the front end's thread and never blocks. */
struct akma_sbi_backend {
	void *ctx;
	/* One request object, or -ENOBUFS. */
	int (*alloc)(void *ctx, struct akma_req **r);
	/* Give one back (its keys wiped). */
	void (*release)(void *ctx, struct akma_req *r);
	/* Take n requests; those refused go to rejected[] (status set), still
	 * the caller's. Returns how many were taken. */
	unsigned (*submit)(void *ctx, struct akma_req **r, unsigned n, struct akma_req **rejected,
			   unsigned *n_rejected);
	/* Answered requests, up to max. */
	unsigned (*poll)(void *ctx, struct akma_req **out, unsigned max);
};

struct akma_sbi;

/* Bind, listen and start the thread, sending requests to backend b (which
 * must outlive the server). Returns NULL with a one-line reason in why. */
struct akma_sbi *akma_sbi_start(const struct akma_sbi_params *p, const struct akma_sbi_backend *b,
				char *why, size_t why_size);

/* Load the policy, the NRF keys and (with TLS) the certificate, key and
 * client CA of p again (SIGHUP) and hand them to the running server, which
 * uses them from its next request on (verified tokens are checked again)
 * and the new certificate for its next connection; established
 * connections go on as they are. Returns 0, or -1 with why, the server keeping
 * what it had. Blocks on the files only. */
int akma_sbi_reload(struct akma_sbi *s, const struct akma_sbi_params *p, char *why,
		    size_t why_size);

/* The SBI's series in the Prometheus text format (akmad_sbi_*: README,
 * "Metrics"), for the metrics listener. Any thread; the counters are read
 * one by one, relaxed, not as a snapshot; never blocks. */
void akma_sbi_write_metrics(const struct akma_sbi *s, FILE *f);

/* Graceful stop: stop accepting, GOAWAY every connection, answer the
 * streams in flight (up to timeout_ms), close, join. Call before
 * akma_engine_stop(). */
void akma_sbi_stop(struct akma_sbi *s, unsigned timeout_ms);

#endif
