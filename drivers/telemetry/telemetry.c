/* SPDX-License-Identifier: BSD-3-Clause */
#include "telemetry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "counters.h"

static struct akma_engine *engine;
static void (*read_counters)(void *arg, uint64_t *v);
static void *counters_arg;
static struct akma_replicator *replicator;
static struct akma_ethdev *ethdev;
static const struct akma_conf_table *conf_table;
static const void *conf;

static int cmd_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint64_t v[AKMA_N_COUNTERS];
	(void)cmd;
	(void)params;
	read_counters(counters_arg, v);
	rte_tel_data_start_dict(d);
	for (unsigned i = 0; i < AKMA_N_COUNTERS; i++)
		rte_tel_data_add_dict_u64(d, akma_counter_names[i], v[i]);
	return 0;
}

static int cmd_replication(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const states[] = {"up", "down", "standby", "demoted"};
	struct akma_replicator_stats st;
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (!replicator) {
		rte_tel_data_add_dict_string(d, "mode", "off");
		return 0;
	}
	static const char *const modes[] = {"off", "async", "sync"};
	akma_replicator_stats(replicator, &st);
	rte_tel_data_add_dict_string(d, "mode", modes[akma_engine_repl_mode(engine)]);
	rte_tel_data_add_dict_string(d, "state", states[st.state & 3]);
	rte_tel_data_add_dict_string(d, "server", akma_replicator_server(replicator));
	rte_tel_data_add_dict_u64(d, "writes_accepted", (uint64_t)akma_engine_writes(engine));
	rte_tel_data_add_dict_u64(d, "backlog", akma_engine_repl_backlog(engine));
	rte_tel_data_add_dict_u64(d, "lag_ms", st.lag_ms);
	rte_tel_data_add_dict_u64(d, "written", st.written);
	rte_tel_data_add_dict_u64(d, "batches", st.batches);
	rte_tel_data_add_dict_u64(d, "failures", st.failures);
	rte_tel_data_add_dict_u64(d, "reconnects", st.reconnects);
	rte_tel_data_add_dict_u64(d, "feed_resumes", st.resumes);
	rte_tel_data_add_dict_u64(d, "feed_reloads", st.reloads);
	rte_tel_data_add_dict_u64(d, "followed", st.followed);
	rte_tel_data_add_dict_u64(d, "follow_bad", st.follow_bad);
	rte_tel_data_add_dict_u64(d, "promoted_at_ms", st.promoted_at_ms);
	return 0;
}

static int cmd_promote(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (!replicator) {
		rte_tel_data_add_dict_string(d, "promote", "no replication configured");
		return 0;
	}
	if (akma_replicator_is_primary(replicator)) {
		rte_tel_data_add_dict_string(d, "promote", "already primary");
		return 0;
	}
	akma_replicator_promote(replicator);
	rte_tel_data_add_dict_string(d, "promote", "requested");
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
	static const char *const hist[AKMA_BURST_HIST] = {
		"burst_1",     "burst_2_3",   "burst_4_7", "burst_8_15",
		"burst_16_31", "burst_32_63", "burst_64"};
	for (int i = 0; i < AKMA_BURST_HIST; i++)
		rte_tel_data_add_dict_u64(d, hist[i], w.burst_hist[i]);
	rte_tel_data_add_dict_u64(d, "idle_polls", w.idle_polls);
	rte_tel_data_add_dict_u64(d, "idle_sleeps", w.idle_sleeps);
	rte_tel_data_add_dict_u64(d, "idle_timeouts", w.idle_timeouts);
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

static struct akma_nrf *nrf;

static int cmd_nrf(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct akma_nrf *n = __atomic_load_n(&nrf, __ATOMIC_ACQUIRE);
	struct akma_nrf_stats st;
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (!n) {
		rte_tel_data_add_dict_string(d, "state", "off");
		return 0;
	}
	akma_nrf_stats(n, &st);
	rte_tel_data_add_dict_string(d, "state", akma_nrf_state_name((unsigned)st.state));
	rte_tel_data_add_dict_u64(d, "registrations", st.registrations);
	rte_tel_data_add_dict_u64(d, "heartbeats", st.heartbeats);
	rte_tel_data_add_dict_u64(d, "deregistrations", st.deregistrations);
	rte_tel_data_add_dict_u64(d, "failures", st.failures);
	rte_tel_data_add_dict_u64(d, "heartbeat_s", st.heartbeat_s);
	return 0;
}

void akma_telemetry_set_nrf(struct akma_nrf *n)
{
	__atomic_store_n(&nrf, n, __ATOMIC_RELEASE);
}

static int cmd_config(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char name[96], value[AKMA_CONF_STR_MAX + 32];
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (unsigned i = 0;
	     akma_conf_entry(conf_table, conf, i, name, sizeof(name), value, sizeof(value)); i++) {
		/* telemetry names allow no '.': engine.capacity becomes engine_capacity */
		for (char *p = name; *p; p++)
			if (*p == '.')
				*p = '_';
		rte_tel_data_add_dict_string(d, name, value);
	}
	return 0;
}

static int cmd_ethdev(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct akma_ethdev *eth = __atomic_load_n(&ethdev, __ATOMIC_ACQUIRE);
	struct akma_ethdev_port_stats st;
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (!eth)
		return 0;
	for (unsigned i = 0; i < akma_ethdev_ports(eth); i++) {
		akma_ethdev_port_stats(eth, i, &st);
		struct rte_tel_data *p = rte_tel_data_alloc(), *q = rte_tel_data_alloc();
		if (!p || !q) {
			rte_tel_data_free(p);
			rte_tel_data_free(q);
			return -1;
		}
		rte_tel_data_start_dict(p);
		rte_tel_data_add_dict_u64(p, "port_id", st.port_id);
		rte_tel_data_add_dict_u64(p, "link_up", st.link_up);
		rte_tel_data_add_dict_u64(p, "link_speed_mbps", st.link_speed_mbps);
		rte_tel_data_add_dict_u64(p, "rx_frames", st.rx_frames);
		rte_tel_data_add_dict_u64(p, "tx_frames", st.tx_frames);
		rte_tel_data_add_dict_u64(p, "wire_datagrams", st.wire_datagrams);
		rte_tel_data_add_dict_u64(p, "arp_answered", st.arp_answered);
		rte_tel_data_add_dict_u64(p, "nd_answered", st.nd_answered);
		rte_tel_data_add_dict_u64(p, "echo_answered", st.echo_answered);
		for (unsigned c = 0; c < AKMA_PKT_N_DROPS; c++) {
			char name[64];
			snprintf(name, sizeof(name), "dropped_%s", akma_pkt_drop_names[c]);
			rte_tel_data_add_dict_u64(p, name, st.dropped[c]);
		}
		rte_tel_data_add_dict_u64(p, "dropped_segmented", st.dropped_segmented);
		rte_tel_data_add_dict_u64(p, "tx_full", st.tx_full);
		rte_tel_data_add_dict_u64(p, "no_mbuf", st.no_mbuf);
		rte_tel_data_add_dict_u64(p, "rx_nombuf", st.rx_nombuf);
		rte_tel_data_add_dict_u64(p, "fragmented", st.fragmented);
		rte_tel_data_add_dict_u64(p, "checksum_offload", st.ip_csum_offload);
		rte_tel_data_start_array(q, RTE_TEL_U64_VAL);
		for (unsigned k = 0; k < st.rx_queues; k++)
			rte_tel_data_add_array_u64(q, st.rx_queue_frames[k]);
		rte_tel_data_add_dict_container(p, "rx_queue_frames", q, 0);
		rte_tel_data_add_dict_container(d, st.name, p, 0);
	}
	return 0;
}

int akma_telemetry_register(struct akma_engine *e, void (*read)(void *arg, uint64_t *v), void *arg,
			    const struct akma_conf_table *t, const void *c)
{
	engine = e;
	read_counters = read;
	counters_arg = arg;
	conf_table = t;
	conf = c;
	int rc = rte_telemetry_register_cmd("/akma/stats", cmd_stats,
					    "akmad engine and wire totals. Takes no parameters");
	rc |= rte_telemetry_register_cmd("/akma/lcores", cmd_lcores,
					 "Per-worker counters. Parameters: int worker index");
	rc |= rte_telemetry_register_cmd("/akma/store", cmd_store,
					 "Context store occupancy and memory. Takes no parameters");
	rc |= rte_telemetry_register_cmd("/akma/config", cmd_config,
					 "Configuration in force. Takes no parameters");
	rc |= rte_telemetry_register_cmd(
		"/akma/replication", cmd_replication,
		"Replication to Redis: state, backlog, lag. Takes no parameters");
	rc |= rte_telemetry_register_cmd(
		"/akma/nrf", cmd_nrf,
		"The NRF registration: state, registrations, heartbeats. Takes no parameters");
	rc |= rte_telemetry_register_cmd(
		"/akma/ethdev", cmd_ethdev,
		"DPDK ports: frames, answers, drops by cause, per receive queue. No parameters");
	rc |= rte_telemetry_register_cmd("/akma/promote", cmd_promote,
					 "Promote a standby to primary now. Takes no parameters");
	return rc;
}

void akma_telemetry_set_ethdev(struct akma_ethdev *eth)
{
	__atomic_store_n(&ethdev, eth, __ATOMIC_RELEASE);
}

void akma_telemetry_set_replicator(struct akma_replicator *r)
{
	__atomic_store_n(&replicator, r, __ATOMIC_RELEASE);
}
