/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_CONF_H
#define AKMA_CONF_H

/*
 * akmad's configuration: one table (conf.c) names every key with its
 * section, type, unit, bounds, default and help text. The INI parser, the
 * command-line overrides (--set section.key=value, and --section-key value),
 * akmad --help and the dump that akmactl config prints all come from that
 * table, so none of them can disagree with the others.
 *
 * Not thread-safe; parse at start-up or on SIGHUP into a fresh struct and
 * swap. Never logs keys' values that are secrets (there are none in the
 * table: the PSK lives in a file it names).
 */

#include <stdint.h>
#include <stdio.h>

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

/* The defaults, then the file config, then the command line from argv[start]
 * on: --config FILE (skipped: the caller found it), --set SECTION.KEY=VALUE,
 * --SECTION-KEY VALUE (or a key's alias; a true/false key may stand alone),
 * and the caller's own options extra[] (NULL-terminated, each taking one
 * value, stored in extra_value[]). Returns 0, or -1 with the file, line and
 * key, or the option, in err ("see PROGRAM --help"). */
int akma_conf_load_args(struct akma_conf *c, const char *config, int argc, char **argv, int start,
			const char *const *extra, const char **extra_value, const char *program,
			char *err, size_t err_size);

/* Every key at its default. */
void akma_conf_defaults(struct akma_conf *c);

/* Read an INI file into c (which holds defaults or earlier values). On error
 * returns -1 and writes "FILE:LINE: key 'engine.burst': must be 1..64" to
 * err; c may then be partly updated. */
int akma_conf_load(struct akma_conf *c, const char *path, char *err, size_t err_size);

/* Set one key from "section.key" and a value text, as a config line would.
 * Returns 0, or -1 with the reason in err (unknown key, bad value). */
int akma_conf_set(struct akma_conf *c, const char *name, const char *value, char *err,
		  size_t err_size);

/* The long option for a key ("engine-capacity", or its alias: "redis" for
 * redis.address) maps back to "engine.capacity". Returns 1 and fills name
 * when option is one of the table's, else 0. */
int akma_conf_option_name(const char *option, char *name, size_t size);

/* 1 when the key "section.key" is true/false: its option may stand alone
 * (--standby means --standby true). */
int akma_conf_is_bool(const char *name);

/* The i-th key of the table as "section.key" and c's value for it, as
 * text. Returns 1, or 0 past the last key. For telemetry and akmactl. */
int akma_conf_entry(const struct akma_conf *c, unsigned i, char *name, size_t name_size,
		    char *value, size_t value_size);

/* Print every key with its unit, bounds, default and help, as --help does. */
void akma_conf_help(FILE *out);

/* Print c as a complete INI file that akma_conf_load() reads back. */
void akma_conf_dump(const struct akma_conf *c, FILE *out);

#endif
