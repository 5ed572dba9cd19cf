/* SPDX-License-Identifier: BSD-3-Clause */
/* The SBI front end's counters and their Prometheus text exposition (see
 * sbi_priv.h). */
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "sbi_json.h"
#include "sbi_priv.h"

/* The statuses the front end answers, for the per-operation counters. */
const int akma_sbi_codes[AKMA_SBI_N_CODES] = {200, 204, 400, 401, 403, 404,
					      405, 413, 415, 429, 500, 503};

void akma_sbi_stats_answer(struct akma_sbi_stats *st, int op, int status, uint64_t t0_ns)
{
	unsigned o = op >= 0 && op < 3 ? (unsigned)op : 3, k = 0;
	while (k < AKMA_SBI_N_CODES && akma_sbi_codes[k] != status)
		k++;
	akma_sbi_bump(&st->answers[o][k], 1);
	if (t0_ns) {
		uint64_t ns = akma_mono_ns() - t0_ns;
		double us = (double)ns / 1000.0;
		akma_sbi_bump(&st->lat_sum_ns, ns);
		unsigned b = 0;
		for (double lim = 50; b < AKMA_SBI_LAT_BUCKETS - 1 && us >= lim; lim *= 2)
			b++;
		akma_sbi_bump(&st->lat[b], 1);
	}
}

void akma_sbi_metrics_write(const struct akma_sbi_stats *st, FILE *f)
{
	static const char *const ops[] = {"register-anchorkey", "retrieve-applicationkey",
					  "remove-context"};
	fprintf(f, "# HELP akmad_sbi_requests_total Naanf_AKMA requests by operation.\n"
		   "# TYPE akmad_sbi_requests_total counter\n");
	for (int i = 0; i < 3; i++)
		fprintf(f, "akmad_sbi_requests_total{operation=\"%s\"} %llu\n", ops[i],
			(unsigned long long)st->requests[i]);
	/* The classes, summed from the table (every status the front end sends
	 * has its column; "other" would be one it does not know). */
	uint64_t class_total[6] = {0};
	for (unsigned o = 0; o < AKMA_SBI_N_OPS; o++)
		for (unsigned k = 0; k < AKMA_SBI_N_CODES; k++)
			class_total[akma_sbi_codes[k] / 100] +=
				__atomic_load_n(&st->answers[o][k], __ATOMIC_RELAXED);
	fprintf(f,
		"# HELP akmad_sbi_responses_total Responses by status class.\n"
		"# TYPE akmad_sbi_responses_total counter\n"
		"akmad_sbi_responses_total{class=\"2xx\"} %llu\n"
		"akmad_sbi_responses_total{class=\"4xx\"} %llu\n"
		"akmad_sbi_responses_total{class=\"5xx\"} %llu\n",
		(unsigned long long)class_total[2], (unsigned long long)class_total[4],
		(unsigned long long)class_total[5]);
	fprintf(f, "# HELP akmad_sbi_answers_total Answers by operation and HTTP status.\n"
		   "# TYPE akmad_sbi_answers_total counter\n");
	static const char *const op_names[AKMA_SBI_N_OPS] = {
		"register-anchorkey", "retrieve-applicationkey", "remove-context", "other"};
	for (unsigned o = 0; o < AKMA_SBI_N_OPS; o++)
		for (unsigned k = 0; k <= AKMA_SBI_N_CODES; k++) {
			uint64_t v = __atomic_load_n(&st->answers[o][k], __ATOMIC_RELAXED);
			if (!v)
				continue;
			char code[8];
			snprintf(code, sizeof(code), "%d",
				 k < AKMA_SBI_N_CODES ? akma_sbi_codes[k] : 0);
			fprintf(f, "akmad_sbi_answers_total{operation=\"%s\",status=\"%s\"} %llu\n",
				op_names[o], k < AKMA_SBI_N_CODES ? code : "other",
				(unsigned long long)v);
		}
	fprintf(f, "# HELP akmad_sbi_latency_seconds From the end of a request to its answer.\n"
		   "# TYPE akmad_sbi_latency_seconds histogram\n");
	uint64_t cum = 0;
	double lim = 50e-6;
	for (int b = 0; b < AKMA_SBI_LAT_BUCKETS - 1; b++, lim *= 2) {
		cum += st->lat[b];
		fprintf(f, "akmad_sbi_latency_seconds_bucket{le=\"%g\"} %llu\n", lim,
			(unsigned long long)cum);
	}
	cum += st->lat[AKMA_SBI_LAT_BUCKETS - 1];
	fprintf(f,
		"akmad_sbi_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
		"akmad_sbi_latency_seconds_sum %.9f\n"
		"akmad_sbi_latency_seconds_count %llu\n",
		(unsigned long long)cum,
		(double)__atomic_load_n(&st->lat_sum_ns, __ATOMIC_RELAXED) / 1e9,
		(unsigned long long)cum);
	fprintf(f,
		"# HELP akmad_sbi_streams_in_flight Streams whose request is in the engine.\n"
		"# TYPE akmad_sbi_streams_in_flight gauge\n"
		"akmad_sbi_streams_in_flight %llu\n"
		"# HELP akmad_sbi_connections_open Open HTTP/2 connections.\n"
		"# TYPE akmad_sbi_connections_open gauge\n"
		"akmad_sbi_connections_open %llu\n"
		"# HELP akmad_sbi_protocol_errors_total Connections closed for breaking HTTP/2.\n"
		"# TYPE akmad_sbi_protocol_errors_total counter\n"
		"akmad_sbi_protocol_errors_total %llu\n"
		"# HELP akmad_sbi_tls_failures_total TLS handshakes or records that failed.\n"
		"# TYPE akmad_sbi_tls_failures_total counter\n"
		"akmad_sbi_tls_failures_total %llu\n"
		"# HELP akmad_sbi_connections_total HTTP/2 connections accepted.\n"
		"# TYPE akmad_sbi_connections_total counter\n"
		"akmad_sbi_connections_total %llu\n"
		"# HELP akmad_sbi_streams_total HTTP/2 streams opened.\n"
		"# TYPE akmad_sbi_streams_total counter\n"
		"akmad_sbi_streams_total %llu\n",
		(unsigned long long)st->in_flight, (unsigned long long)st->connections_open,
		(unsigned long long)st->protocol_errors, (unsigned long long)st->tls_failures,
		(unsigned long long)st->connections, (unsigned long long)st->streams);
	static const char *const refusals[AKMA_SBI_REFUSED_N] = {
		"none",          "no_token",  "bad_authorization_header",
		"invalid_token", "throttled", "unknown_consumer",
		"role",          "scope",     "af_not_authorized"};
	fprintf(f, "# HELP akmad_sbi_refusals_total Requests refused at the trust boundary, by "
		   "cause.\n# TYPE akmad_sbi_refusals_total counter\n");
	for (unsigned i = 1; i < AKMA_SBI_REFUSED_N; i++)
		fprintf(f, "akmad_sbi_refusals_total{cause=\"%s\"} %llu\n", refusals[i],
			(unsigned long long)st->refused[i]);
	fprintf(f,
		"# HELP akmad_sbi_tokens_total Access tokens by outcome of their check.\n"
		"# TYPE akmad_sbi_tokens_total counter\n"
		"akmad_sbi_tokens_total{outcome=\"verified\"} %llu\n"
		"akmad_sbi_tokens_total{outcome=\"cached\"} %llu\n"
		"akmad_sbi_tokens_total{outcome=\"failed\"} %llu\n",
		(unsigned long long)st->tokens_verified, (unsigned long long)st->tokens_cached,
		(unsigned long long)st->tokens_failed);
	fprintf(f,
		"# HELP akmad_sbi_accept_paused_total Times the listener rested, out of file "
		"descriptors.\n# TYPE akmad_sbi_accept_paused_total counter\n"
		"akmad_sbi_accept_paused_total %llu\n",
		(unsigned long long)st->accept_paused);
	fprintf(f,
		"# HELP akmad_sbi_header_lists_refused_total Connections closed for a header list "
		"above sbi.max_header_list.\n# TYPE akmad_sbi_header_lists_refused_total counter\n"
		"akmad_sbi_header_lists_refused_total %llu\n",
		(unsigned long long)st->header_lists_refused);
	fprintf(f,
		"# HELP akmad_sbi_body_octets Memory held for request bodies (sbi.body_budget).\n"
		"# TYPE akmad_sbi_body_octets gauge\nakmad_sbi_body_octets %llu\n"
		"# HELP akmad_sbi_body_budget_refused_total Requests answered 503: sbi.body_budget "
		"spent.\n# TYPE akmad_sbi_body_budget_refused_total counter\n"
		"akmad_sbi_body_budget_refused_total %llu\n",
		(unsigned long long)__atomic_load_n(&st->body_octets, __ATOMIC_RELAXED),
		(unsigned long long)st->body_budget_refused);
	fprintf(f,
		"# HELP akmad_sbi_requests_timed_out_total Connections closed for a stream past "
		"sbi.header_timeout or sbi.request_timeout.\n"
		"# TYPE akmad_sbi_requests_timed_out_total counter\n"
		"akmad_sbi_requests_timed_out_total %llu\n"
		"# HELP akmad_sbi_per_address_refused_total Connections refused: "
		"sbi.max_connections_per_address.\n"
		"# TYPE akmad_sbi_per_address_refused_total counter\n"
		"akmad_sbi_per_address_refused_total %llu\n",
		(unsigned long long)st->requests_timed_out,
		(unsigned long long)st->per_address_refused);
	fprintf(f,
		"# HELP akmad_sbi_authz_reused_total Authorization fields a connection repeated "
		"octet for octet, taken from its memo rather than decoded again.\n"
		"# TYPE akmad_sbi_authz_reused_total counter\nakmad_sbi_authz_reused_total %llu\n",
		(unsigned long long)st->authz_reused);
}
