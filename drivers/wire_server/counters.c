/* SPDX-License-Identifier: BSD-3-Clause */
#include "counters.h"

#include <string.h>

#include <rte_cycles.h>

#define AKMA_COUNTER_NAME(name, kind, help) #name,
const char *const akma_counter_names[AKMA_N_COUNTERS] = {AKMA_COUNTERS(AKMA_COUNTER_NAME)};

#define AKMA_COUNTER_HELP(name, kind, help) help,
static const char *const helps[AKMA_N_COUNTERS] = {AKMA_COUNTERS(AKMA_COUNTER_HELP)};

#define COUNTER 1
#define GAUGE 0
#define AKMA_COUNTER_KIND(name, kind, help) kind,
static const int is_counter[AKMA_N_COUNTERS] = {AKMA_COUNTERS(AKMA_COUNTER_KIND)};

void akma_counters_read(struct akma_engine *e,
			const struct akma_wire_server_stats paths[AKMA_WIRE_N_PATHS],
			uint64_t v[AKMA_N_COUNTERS])
{
	struct akma_worker_stats w, t;
	struct akma_ctx_stats cs;
	struct akma_wire_server_stats ss;

	memset(&t, 0, sizeof(t));
	for (unsigned i = 0; i < akma_engine_workers(e); i++) {
		akma_engine_worker_stats(e, i, &w);
		const uint64_t *src = (const uint64_t *)&w;
		uint64_t *dst = (uint64_t *)&t;
		for (size_t k = 0; k < sizeof(w) / sizeof(uint64_t); k++)
			dst[k] += src[k];
	}
	akma_ctx_stats(akma_engine_store(e), &cs);
	/* the totals: every field a sum over the paths */
	memset(&ss, 0, sizeof(ss));
	for (unsigned p = 0; p < AKMA_WIRE_N_PATHS; p++)
		akma_wire_server_stats_add(&ss, &paths[p]);
	v[AKMA_CTR_contexts] = cs.live;
	v[AKMA_CTR_capacity] = cs.capacity;
	v[AKMA_CTR_awaiting_reclaim] = cs.retired;
	v[AKMA_CTR_get_kaf] = t.get_kaf;
	v[AKMA_CTR_hits] = t.hits;
	v[AKMA_CTR_misses] = t.misses;
	v[AKMA_CTR_expired] = t.expired;
	v[AKMA_CTR_kaf_expired] = t.kaf_expired;
	v[AKMA_CTR_registers] = t.registers;
	v[AKMA_CTR_register_failed] = t.reg_failed;
	v[AKMA_CTR_not_primary] = t.not_primary;
	v[AKMA_CTR_rid_not_served] = t.rid_not_served;
	v[AKMA_CTR_removes] = t.removes;
	v[AKMA_CTR_remove_not_found] = t.remove_not_found;
	v[AKMA_CTR_writes_refused] = t.repl_refused;
	v[AKMA_CTR_bad_requests] = t.bad_requests + ss.malformed;
	v[AKMA_CTR_internal_errors] = t.internal_errors;
	v[AKMA_CTR_rx_datagrams] = ss.rx_datagrams;
	v[AKMA_CTR_tx_datagrams] = ss.tx_datagrams;
	v[AKMA_CTR_requests] = ss.requests;
	v[AKMA_CTR_overload] = ss.overload;
	v[AKMA_CTR_dropped_short] = ss.dropped_short + ss.dropped_magic;
	v[AKMA_CTR_dropped_plain] = ss.dropped_plain;
	v[AKMA_CTR_dropped_stale] = ss.dropped_stale;
	v[AKMA_CTR_dropped_auth] = ss.dropped_auth;
	v[AKMA_CTR_dropped_replay] = ss.dropped_replay;
	v[AKMA_CTR_dropped_senders] = ss.dropped_senders;
	v[AKMA_CTR_version_errors] = ss.version_errors;
	v[AKMA_CTR_version_errors_unanswered] = ss.version_errors_unanswered;
	v[AKMA_CTR_dropped_direction] = ss.dropped_direction;
	v[AKMA_CTR_stale_epoch] = ss.stale_epoch;
	v[AKMA_CTR_send_errors] = ss.send_errors;
	v[AKMA_CTR_senders] = ss.senders;
	v[AKMA_CTR_tsc_hz] = rte_get_tsc_hz();
#define PATH(p, i)                                                \
	v[AKMA_CTR_##p##_requests] = paths[i].requests;           \
	v[AKMA_CTR_##p##_busy_cycles] = paths[i].cycles.busy;     \
	v[AKMA_CTR_##p##_io_cycles] = paths[i].cycles.io;         \
	v[AKMA_CTR_##p##_parse_cycles] = paths[i].cycles.parse;   \
	v[AKMA_CTR_##p##_crypto_cycles] = paths[i].cycles.crypto; \
	v[AKMA_CTR_##p##_decode_cycles] = paths[i].cycles.decode; \
	v[AKMA_CTR_##p##_handoff_cycles] = paths[i].cycles.handoff;
	PATH(sock, AKMA_WIRE_PATH_SOCK)
	PATH(ethdev, AKMA_WIRE_PATH_ETHDEV)
#undef PATH
}

void akma_counters_prometheus(const uint64_t v[AKMA_N_COUNTERS], FILE *out)
{
	for (unsigned i = 0; i < AKMA_N_COUNTERS; i++) {
		const char *suffix = is_counter[i] ? "_total" : "";
		fprintf(out, "# HELP akmad_%s%s %s.\n# TYPE akmad_%s%s %s\nakmad_%s%s %llu\n",
			akma_counter_names[i], suffix, helps[i], akma_counter_names[i], suffix,
			is_counter[i] ? "counter" : "gauge", akma_counter_names[i], suffix,
			(unsigned long long)v[i]);
	}
}
