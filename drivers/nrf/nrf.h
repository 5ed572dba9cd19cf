/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_NRF_H
#define AKMA_NRF_H

/*
 * The AAnF in the NRF (TS 29.510 Nnrf_NFManagement, Rel-18): a thread of
 * its own, apart from the worker lcores and the SBI, that registers the
 * instance's NFProfile (PUT), heartbeats it (PATCH, RFC 6902) at the
 * interval the NRF answers, registers again when a heartbeat gets 404 (an
 * NRF that lost its profiles), reports nfStatus SUSPENDED while the engine
 * cannot serve, and deregisters (DELETE) on a clean stop. An NRF that is
 * unreachable, slow or answers garbage never touches serving: requests time
 * out and are retried with a backoff doubling from 1 s to retry_max_s, and
 * each change of state is logged once.
 *
 * Who speaks for the instance is the engine's role, polled every 100 ms:
 *   SERVING   the primary, serving: registered, nfStatus REGISTERED
 *   IMPAIRED  the primary, but its writes are refused or its lease is in
 *             doubt (Redis unreachable): nfStatus SUSPENDED
 *   SILENT    a standby, or a primary another akmad has replaced: nothing is
 *             sent, since the profile under this NF instance ID is the
 *             serving akmad's (a standby registers once promoted; a
 *             demoted primary never deletes its successor's profile)
 *
 * HTTP/2 on nghttp2 over TCP (http://, prior knowledge) or TLS with ALPN h2
 * (https://, the NRF's certificate verified, the AAnF's own presented).
 * Functions here are called from one control thread (akmad's main).
 */

#include <stdint.h>
#include <stdio.h>

#include "rid.h"

enum akma_nrf_role {
	AKMA_NRF_SILENT = 0,
	AKMA_NRF_SERVING = 1,
	AKMA_NRF_IMPAIRED = 2,
};

/* What the client is doing, for logs, telemetry and /metrics. */
enum akma_nrf_state {
	AKMA_NRF_STANDBY = 0,      /* role SILENT: nothing sent */
	AKMA_NRF_REGISTERING = 1,  /* first PUT under way */
	AKMA_NRF_REGISTERED = 2,   /* the profile is in the NRF, REGISTERED */
	AKMA_NRF_SUSPENDED = 3,    /* the profile is in the NRF, SUSPENDED */
	AKMA_NRF_UNREACHABLE = 4,  /* connection refused, timed out, broken: backing off */
	AKMA_NRF_REFUSED = 5,      /* the NRF answered an error: backing off */
	AKMA_NRF_DEREGISTERED = 6, /* DELETE answered: stopped */
	AKMA_NRF_N_STATES
};

struct akma_nrf_params {
	const char *uri;                 /* the NRF's apiRoot: http[s]://HOST:PORT[/PREFIX] */
	const char *nf_instance_id;      /* a UUID (sbi.nf_instance_id) */
	const char *endpoints;           /* the SBI front ends: "HOST:PORT,[V6]:PORT" */
	int https;                       /* the front ends serve TLS: scheme https */
	const struct akma_rid_set *rids; /* NULL: every RID (no aanfInfoList) */
	unsigned heartbeat_s;            /* heartBeatTimer proposed */
	unsigned retry_max_s;            /* backoff ceiling */
	unsigned timeout_ms;             /* one request's deadline (0: 5000) */
	const char *tls_ca;              /* https: CA bundle; NULL or "": the system's */
	const char *tls_cert, *tls_key;  /* https: the client certificate; NULL: none */
	int (*role)(void *ctx);          /* enum akma_nrf_role; called on the NRF thread */
	void *role_ctx;
};

struct akma_nrf_stats {
	uint64_t state; /* enum akma_nrf_state */
	uint64_t registrations, heartbeats, deregistrations;
	uint64_t failures;    /* requests that failed: unreachable, timed out, an error answer */
	uint64_t heartbeat_s; /* the interval in force (the NRF's answer) */
};

struct akma_nrf;

/* Check p (the URI, the endpoints, the ID, the TLS files) and start the
 * thread. Returns NULL with a one-line reason. Blocks on the TLS files. */
struct akma_nrf *akma_nrf_start(const struct akma_nrf_params *p, char *why, size_t why_size);

/* Deregister when the profile is ours (role not SILENT), waiting up to
 * timeout_ms for the answer, then join. NULL is a no-op. */
void akma_nrf_stop(struct akma_nrf *n, unsigned timeout_ms);

/* Any thread; relaxed reads. */
void akma_nrf_stats(const struct akma_nrf *n, struct akma_nrf_stats *st);
const char *akma_nrf_state_name(unsigned state);

/* The series akmad_nrf_* (README, "Metrics"). Any thread, never blocks. */
void akma_nrf_write_metrics(const struct akma_nrf *n, FILE *f);

/* The NFProfile of p with nfStatus status ("REGISTERED", "SUSPENDED"), as
 * JSON text (malloc'd), or NULL. For the client and its tests. */
char *akma_nrf_profile(const struct akma_nrf_params *p, const char *status);

#endif
