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
	uint64_t idle_sleep_us;
	char mb_arch[AKMA_CONF_STR_MAX];
	/* [wire] */
	char listen[AKMA_CONF_STR_MAX];
	char psk_file[AKMA_CONF_STR_MAX];
	int allow_plain_unix;
	uint64_t replay_window_ms;
	uint64_t max_senders;
	/* [sbi] */
	char sbi_listen[AKMA_CONF_STR_MAX];
	uint64_t sbi_max_body;
	uint64_t sbi_max_streams;
	uint64_t sbi_max_connections;
	uint64_t sbi_idle_timeout_ms;
	char sbi_default_ua[AKMA_CONF_STR_MAX];
	char sbi_tls_cert[AKMA_CONF_STR_MAX];
	char sbi_tls_key[AKMA_CONF_STR_MAX];
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
	uint64_t repl_backlog;
	/* [log] */
	char log_level[AKMA_CONF_STR_MAX];
};

extern const struct akma_conf_table akmad_conf_table;

/* The SBI front end's parameters from c: listen, limits, the default Ua*
 * identifier, and the TLS files resolved against the configuration file
 * config into cert and key (each PATH_MAX-sized, kept by the caller while
 * the front end runs). Returns 0, or -1 with the key named in why. */
int akmad_conf_sbi_params(const struct akma_conf *c, const char *config, struct akma_sbi_params *p,
			  char *cert, char *key, size_t path_size, char *why, size_t why_size);

#endif
