/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akmad's series for the metrics listener (drivers/metrics): the SBI's,
 * the counters of drivers/wire_server/counters.h (engine summed, store, wire:
 * akmad_<name>, one name each as in STATS and telemetry), each worker
 * lcore's own, and replication's. README "Metrics" lists them.
 */
#include "akmad_metrics.h"

#include <rte_cycles.h>

#include "counters.h"

static void worker_series(struct akma_engine *e, FILE *f)
{
	static const char *const sizes[AKMA_BURST_HIST] = {"1",     "2-3",   "4-7", "8-15",
							   "16-31", "32-63", "64"};
	unsigned n = akma_engine_workers(e);
	struct akma_worker_stats w[64];
	if (n > 64)
		n = 64;
	for (unsigned i = 0; i < n; i++)
		akma_engine_worker_stats(e, i, &w[i]);
#define PER_WORKER(name, help, expr)                                                              \
	do {                                                                                      \
		fprintf(f, "# HELP akmad_worker_" name "_total " help "\n"                        \
			   "# TYPE akmad_worker_" name "_total counter\n");                       \
		for (unsigned i = 0; i < n; i++)                                                  \
			fprintf(f,                                                                \
				"akmad_worker_" name "_total{worker=\"%u\",lcore=\"%u\"} %llu\n", \
				i, akma_engine_worker_lcore(e, i), (unsigned long long)(expr));   \
	} while (0)
	fprintf(f, "# HELP akmad_worker_requests_total Requests a worker lcore answered, by type.\n"
		   "# TYPE akmad_worker_requests_total counter\n");
	for (unsigned i = 0; i < n; i++) {
		unsigned lc = akma_engine_worker_lcore(e, i);
		fprintf(f,
			"akmad_worker_requests_total{worker=\"%u\",lcore=\"%u\",type=\"get_kaf\"} "
			"%llu\n"
			"akmad_worker_requests_total{worker=\"%u\",lcore=\"%u\",type=\"register\"} "
			"%llu\n"
			"akmad_worker_requests_total{worker=\"%u\",lcore=\"%u\",type=\"remove\"} "
			"%llu\n",
			i, lc, (unsigned long long)w[i].get_kaf, i, lc,
			(unsigned long long)w[i].registers, i, lc,
			(unsigned long long)w[i].removes);
	}
	PER_WORKER("hits", "GET_KAF requests that found their A-KID.", w[i].hits);
	PER_WORKER("misses", "GET_KAF requests for an unknown A-KID.", w[i].misses);
	PER_WORKER("expired", "GET_KAF requests for an expired context.", w[i].expired);
	PER_WORKER("overload", "Writes refused: replication backlog full or writes off.",
		   w[i].repl_refused);
	PER_WORKER("not_primary", "Requests answered NOT_PRIMARY: the lease is not held.",
		   w[i].not_primary);
	PER_WORKER("bad_requests", "Requests refused as malformed.", w[i].bad_requests);
	fprintf(f, "# HELP akmad_worker_bursts_total Bursts a worker lcore answered, by size.\n"
		   "# TYPE akmad_worker_bursts_total counter\n");
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < AKMA_BURST_HIST; k++)
			fprintf(f,
				"akmad_worker_bursts_total{worker=\"%u\",lcore=\"%u\",size=\"%s\"} "
				"%llu\n",
				i, akma_engine_worker_lcore(e, i), sizes[k],
				(unsigned long long)w[i].burst_hist[k]);
#undef PER_WORKER
}

static void replication_series(struct akma_engine *e, struct akma_replicator *rep, FILE *f)
{
	static const char *const modes[] = {"off", "async", "sync"};
	static const char *const states[] = {"up", "down", "standby", "demoted"};
	enum akma_repl_mode mode = akma_engine_repl_mode(e);
	fprintf(f, "# HELP akmad_replication_mode Replication mode (value 1).\n"
		   "# TYPE akmad_replication_mode gauge\n");
	for (unsigned i = 0; i < 3; i++)
		fprintf(f, "akmad_replication_mode{mode=\"%s\"} %d\n", modes[i],
			(unsigned)mode == i);
	if (!rep)
		return;
	struct akma_replicator_stats st;
	akma_replicator_stats(rep, &st);
	fprintf(f, "# HELP akmad_replication_state The replication thread's state (value 1).\n"
		   "# TYPE akmad_replication_state gauge\n");
	for (unsigned i = 0; i < 4; i++)
		fprintf(f, "akmad_replication_state{state=\"%s\"} %d\n", states[i],
			(st.state & 3) == i);
	uint64_t lease = akma_engine_lease(e), now = rte_rdtsc();
	double left = lease == UINT64_MAX ? 0
		      : lease > now       ? (double)(lease - now) / (double)rte_get_tsc_hz()
					  : 0;
	fprintf(f,
		"# HELP akmad_replication_backlog Writes handed to replication, not yet in Redis.\n"
		"# TYPE akmad_replication_backlog gauge\nakmad_replication_backlog %llu\n"
		"# HELP akmad_replication_writes_accepted 1 while writes are accepted.\n"
		"# TYPE akmad_replication_writes_accepted gauge\n"
		"akmad_replication_writes_accepted %d\n"
		"# HELP akmad_replication_lag_seconds Age of the oldest write of the last batch "
		"when Redis took it.\n# TYPE akmad_replication_lag_seconds gauge\n"
		"akmad_replication_lag_seconds %.3f\n"
		"# HELP akmad_replication_lease_remaining_seconds How long this akmad may serve "
		"without another renewal (0: it serves nothing).\n"
		"# TYPE akmad_replication_lease_remaining_seconds gauge\n"
		"akmad_replication_lease_remaining_seconds %.3f\n"
		"# HELP akmad_replication_written_total Writes Redis took.\n"
		"# TYPE akmad_replication_written_total counter\n"
		"akmad_replication_written_total %llu\n"
		"# HELP akmad_replication_batches_total Batches Redis took.\n"
		"# TYPE akmad_replication_batches_total counter\n"
		"akmad_replication_batches_total %llu\n"
		"# HELP akmad_replication_failures_total Batches Redis failed (then sent again).\n"
		"# TYPE akmad_replication_failures_total counter\n"
		"akmad_replication_failures_total %llu\n"
		"# HELP akmad_replication_reconnects_total Attempts to reconnect to Redis.\n"
		"# TYPE akmad_replication_reconnects_total counter\n"
		"akmad_replication_reconnects_total %llu\n"
		"# HELP akmad_replication_followed_total Standby: changes applied from the feed.\n"
		"# TYPE akmad_replication_followed_total counter\n"
		"akmad_replication_followed_total %llu\n"
		"# HELP akmad_replication_feed_resumes_total Standby: reconnections caught up "
		"from the change feed.\n# TYPE akmad_replication_feed_resumes_total counter\n"
		"akmad_replication_feed_resumes_total %llu\n"
		"# HELP akmad_replication_feed_reloads_total Standby: reconnections that "
		"reloaded everything.\n# TYPE akmad_replication_feed_reloads_total counter\n"
		"akmad_replication_feed_reloads_total %llu\n",
		(unsigned long long)akma_engine_repl_backlog(e), akma_engine_writes(e),
		(double)st.lag_ms / 1000.0, left, (unsigned long long)st.written,
		(unsigned long long)st.batches, (unsigned long long)st.failures,
		(unsigned long long)st.reconnects, (unsigned long long)st.followed,
		(unsigned long long)st.resumes, (unsigned long long)st.reloads);
}

void akmad_metrics_write(const struct akmad_metrics_sources *src, FILE *f)
{
	uint64_t v[AKMA_N_COUNTERS];

	if (src->sbi)
		akma_sbi_write_metrics(src->sbi, f);
	src->read_counters(src->counters_arg, v);
	akma_counters_prometheus(v, f);
	worker_series(src->engine, f);
	replication_series(src->engine, src->rep, f);
}
