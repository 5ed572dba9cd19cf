/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMAD_CONF_H
#define AKMAD_CONF_H

/*
 * akmad's configuration: the struct its table fills and the table itself
 * (akmad_conf.c), read by akmad, akma-sbi (the [sbi] keys and the wire PSK)
 * and akmactl (the wire address and PSK, and `akmactl config`). Adding a
 * key means a field here and a row in the table; the parser, --help, the
 * overrides, the dump and telemetry follow (drivers/common/conf.h).
 */

#include <stdint.h>

#include "conf.h"
#include "ethdev.h"
#include "rid.h"
#include "sbi.h"

#define AKMA_CONF_STR_MAX 256

struct akma_conf {
	/* [engine] */
	uint64_t capacity;
	uint64_t kakma_lifetime_s;
	uint64_t kaf_lifetime_s;
	uint64_t workers;
	uint64_t ring_size;
	uint64_t burst;
	uint64_t requests;
	uint64_t idle_spin_us;
	uint64_t idle_sleep_us;
	char mb_arch[AKMA_CONF_STR_MAX];
	char routing_indicators[AKMA_CONF_STR_MAX];
	char rid_rule[AKMA_CONF_STR_MAX];
	/* [wire] */
	char listen[AKMA_CONF_STR_MAX];
	char psk_file[AKMA_CONF_STR_MAX];
	int allow_plain_unix;
	uint64_t replay_window_ms;
	uint64_t max_senders;
	/* [ethdev] */
	char ethdev_ports[AKMA_CONF_STR_MAX];
	char ethdev_ipv4[AKMA_CONF_STR_MAX];
	char ethdev_ipv6[AKMA_CONF_STR_MAX];
	char ethdev_udp_port[AKMA_CONF_STR_MAX];
	uint64_t ethdev_rx_queues;
	uint64_t ethdev_rx_desc;
	uint64_t ethdev_tx_desc;
	uint64_t ethdev_mbufs;
	uint64_t ethdev_mtu;
	uint64_t ethdev_idle_sleep_us;
	/* [sbi] */
	char sbi_listen[AKMA_CONF_STR_MAX];
	uint64_t sbi_max_body;
	uint64_t sbi_body_budget;
	uint64_t sbi_max_streams;
	uint64_t sbi_max_header_list;
	uint64_t sbi_max_connections;
	uint64_t sbi_idle_timeout_ms;
	uint64_t sbi_request_timeout_ms;
	uint64_t sbi_header_timeout_ms;
	uint64_t sbi_max_connections_per_address;
	char sbi_default_ua[AKMA_CONF_STR_MAX];
	char sbi_tls_cert[AKMA_CONF_STR_MAX];
	char sbi_tls_key[AKMA_CONF_STR_MAX];
	char sbi_tls_client_ca[AKMA_CONF_STR_MAX];
	char sbi_oauth2[AKMA_CONF_STR_MAX];
	char sbi_oauth2_keys[AKMA_CONF_STR_MAX];
	char sbi_oauth2_issuers[AKMA_CONF_STR_MAX];
	uint64_t sbi_oauth2_skew_s;
	char sbi_nf_instance_id[AKMA_CONF_STR_MAX];
	char sbi_policy[AKMA_CONF_STR_MAX];
	int sbi_insecure;
	char sbi_routes[AKMA_CONF_STR_MAX];
	/* [redis] */
	char redis_address[AKMA_CONF_STR_MAX];
	char redis_password_file[AKMA_CONF_STR_MAX];
	char redis_sentinels[AKMA_CONF_STR_MAX];
	char redis_master_name[AKMA_CONF_STR_MAX];
	uint64_t redis_timeout_ms;
	uint64_t redis_wait_replicas;
	uint64_t redis_wait_timeout_ms;
	/* [replication] */
	char repl_mode[AKMA_CONF_STR_MAX];
	char kek_file[AKMA_CONF_STR_MAX];
	int standby;
	uint64_t lease_ms;
	uint64_t feed_window_ms; /* replication.feed_window */
	uint64_t repl_backlog;
	/* [nrf] */
	char nrf_uri[AKMA_CONF_STR_MAX];
	char nrf_endpoints[AKMA_CONF_STR_MAX];
	uint64_t nrf_heartbeat_s;
	uint64_t nrf_retry_max_s;
	char nrf_tls_ca[AKMA_CONF_STR_MAX];
	char nrf_tls_cert[AKMA_CONF_STR_MAX];
	char nrf_tls_key[AKMA_CONF_STR_MAX];
	/* [metrics] */
	char metrics_listen[AKMA_CONF_STR_MAX];
	char metrics_front_end_listen[AKMA_CONF_STR_MAX];
	/* [log] */
	char log_level[AKMA_CONF_STR_MAX];
	char log_target[AKMA_CONF_STR_MAX];
};

extern const struct akma_conf_table akmad_conf_table;

/* The configuration file a program reads without --config: the checkout's
 * conf/akmad.conf for a program run from its build tree, the installed
 * sysconfdir/akmad/akmad.conf otherwise (meson install). Any thread. */
const char *akmad_default_config(void);

/* The files the SBI's parameters name, resolved against the configuration
 * file's directory; kept by the caller while the front end runs. */
struct akmad_sbi_files {
	char cert[1024], key[1024], client_ca[1024], oauth2_keys[1024], policy[1024];
};

/* The SBI front end's parameters from c: listen, limits, the default Ua*
 * identifier, TLS, the trust boundary's files resolved against config into
 * f. Refuses what could never be safe: authentication (mTLS or OAuth2)
 * without a consumer policy, and a listener off loopback with no
 * authentication unless sbi.insecure. *open is set to 1 when no caller is
 * authenticated (the caller says so at start). Returns 0, or -1 with the key
 * named in why. */
int akmad_conf_sbi_params(const struct akma_conf *c, const char *config, struct akma_sbi_params *p,
			  struct akmad_sbi_files *f, int *open, char *why, size_t why_size);

/* The routing indicators of engine.routing_indicators and the rule of
 * engine.rid_rule: *filter 0 when the list is empty (every A-KID served).
 * Returns 0, or -1 with the key named in why. */
int akmad_conf_rids(const struct akma_conf *c, struct akma_rid_set *set, struct akma_rid_rule *rule,
		    int *filter, char *why, size_t why_size);

/* The DPDK ports of [ethdev] into p (ports, their addresses and UDP
 * ports, queues, descriptors, mbufs; the wire server's fields are left to
 * the caller). *n 0: no port (the sockets only). Returns 0, or -1 with the
 * key named in why. */
int akmad_conf_ethdev(const struct akma_conf *c, struct akma_ethdev_params *p, char *why,
		      size_t why_size);

#endif
