/* SPDX-License-Identifier: BSD-3-Clause */
#include "telemetry.h"

#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

static struct akma_engine *engine;
static struct akma_sock *sock;
static const struct akma_conf *conf;

static void engine_totals(struct akma_worker_stats *sum)
{
	struct akma_worker_stats w;

	memset(sum, 0, sizeof(*sum));
	for (unsigned i = 0; i < akma_engine_workers(engine); i++) {
		akma_engine_worker_stats(engine, i, &w);
		const uint64_t *src = (const uint64_t *)&w;
		uint64_t *dst = (uint64_t *)sum;
		for (size_t k = 0; k < sizeof(w) / sizeof(uint64_t); k++)
			dst[k] += src[k];
	}
}

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct akma_worker_stats t;
	struct akma_sock_stats s;
	(void)cmd;
	(void)params;
	engine_totals(&t);
	akma_sock_stats(sock, &s);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "get_kaf", t.get_kaf);
	rte_tel_data_add_dict_u64(d, "registers", t.registers);
	rte_tel_data_add_dict_u64(d, "removes", t.removes);
	rte_tel_data_add_dict_u64(d, "hits", t.hits);
	rte_tel_data_add_dict_u64(d, "misses", t.misses);
	rte_tel_data_add_dict_u64(d, "expired", t.expired);
	rte_tel_data_add_dict_u64(d, "register_failed", t.reg_failed);
	rte_tel_data_add_dict_u64(d, "bad_requests", t.bad_requests + s.malformed);
	rte_tel_data_add_dict_u64(d, "internal_errors", t.internal_errors);
	rte_tel_data_add_dict_u64(d, "rx_datagrams", s.rx_datagrams);
	rte_tel_data_add_dict_u64(d, "tx_datagrams", s.tx_datagrams);
	rte_tel_data_add_dict_u64(d, "overload", s.overload);
	rte_tel_data_add_dict_u64(d, "dropped_auth", s.dropped_auth);
	rte_tel_data_add_dict_u64(d, "dropped_replay", s.dropped_replay);
	rte_tel_data_add_dict_u64(d, "dropped_stale", s.dropped_stale);
	rte_tel_data_add_dict_u64(d, "dropped_short", s.dropped_short + s.dropped_magic);
	rte_tel_data_add_dict_u64(d, "dropped_plain", s.dropped_plain);
	rte_tel_data_add_dict_u64(d, "dropped_senders", s.dropped_senders);
	rte_tel_data_add_dict_u64(d, "version_errors", s.version_errors);
	rte_tel_data_add_dict_u64(d, "send_errors", s.send_errors);
	return 0;
}

static int cmd_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct akma_worker_stats w;
	unsigned idx = params && *params ? (unsigned)atoi(params) : 0;
	(void)cmd;
	if (idx >= akma_engine_workers(engine))
		return -1;
	akma_engine_worker_stats(engine, idx, &w);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "worker", idx);
	rte_tel_data_add_dict_u64(d, "lcore", akma_engine_worker_lcore(engine, idx));
	rte_tel_data_add_dict_u64(d, "get_kaf", w.get_kaf);
	rte_tel_data_add_dict_u64(d, "registers", w.registers);
	rte_tel_data_add_dict_u64(d, "removes", w.removes);
	rte_tel_data_add_dict_u64(d, "hits", w.hits);
	rte_tel_data_add_dict_u64(d, "misses", w.misses);
	rte_tel_data_add_dict_u64(d, "expired", w.expired);
	rte_tel_data_add_dict_u64(d, "bursts", w.bursts);
	static const char *const hist[AKMA_BURST_HIST] = {"burst_1", "burst_2_3", "burst_4_7",
							  "burst_8_15", "burst_16_31",
							  "burst_32_63", "burst_64"};
	for (int i = 0; i < AKMA_BURST_HIST; i++)
		rte_tel_data_add_dict_u64(d, hist[i], w.burst_hist[i]);
	rte_tel_data_add_dict_u64(d, "idle_polls", w.idle_polls);
	return 0;
}

static int cmd_store(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct akma_ctx_stats st;
	(void)cmd;
	(void)params;
	akma_ctx_stats(akma_engine_store(engine), &st);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "contexts", st.live);
	rte_tel_data_add_dict_u64(d, "capacity", st.capacity);
	rte_tel_data_add_dict_u64(d, "arena_bytes", st.arena_bytes);
	rte_tel_data_add_dict_u64(d, "arena_used", st.arena_used);
	rte_tel_data_add_dict_u64(d, "index_bytes", st.index_bytes);
	rte_tel_data_add_dict_u64(d, "awaiting_reclaim", st.retired);
	rte_tel_data_add_dict_u64(d, "registered", st.registered);
	rte_tel_data_add_dict_u64(d, "replaced", st.replaced);
	rte_tel_data_add_dict_u64(d, "removed", st.removed);
	rte_tel_data_add_dict_u64(d, "expired_swept", st.expired_swept);
	rte_tel_data_add_dict_u64(d, "refused_full", st.full);
	return 0;
}

static int cmd_config(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char name[96], value[AKMA_CONF_STR_MAX + 32];
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; akma_conf_entry(conf, i, name, sizeof(name), value, sizeof(value)); i++) {
		/* telemetry names allow no '.': engine.capacity becomes engine_capacity */
		for (char *p = name; *p; p++)
			if (*p == '.')
				*p = '_';
		rte_tel_data_add_dict_string(d, name, value);
	}
	return 0;
}

int akma_telemetry_register(struct akma_engine *e, struct akma_sock *s, const struct akma_conf *c)
{
	engine = e;
	sock = s;
	conf = c;
	int rc = rte_telemetry_register_cmd("/akma/stats", cmd_stats,
					    "akmad engine and wire totals. Takes no parameters");
	rc |= rte_telemetry_register_cmd("/akma/lcores", cmd_lcores,
					 "Per-worker counters. Parameters: int worker index");
	rc |= rte_telemetry_register_cmd("/akma/store", cmd_store,
					 "Context store occupancy and memory. Takes no parameters");
	rc |= rte_telemetry_register_cmd("/akma/config", cmd_config,
					 "Configuration in force. Takes no parameters");
	return rc;
}
