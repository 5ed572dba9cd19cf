/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akmad: the AKMA Anchor Function daemon. The main lcore runs the socket
 * driver and the control duties (reclaim flushes, the expiry sweep,
 * signals); the other lcores are the engine's workers.
 *
 *   akmad [EAL options --] [options]
 *
 * Without EAL options (no "--"), DPDK starts with defaults that run with no
 * hugepages and no NIC. Options are read before EAL starts, so --help and
 * --version never touch DPDK.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_log.h>
#include <rte_version.h>
#include <intel-ipsec-mb.h>
#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>
#include <urcu/urcu-qsbr.h>

#include "akma_version.h"
#include "akmad_conf.h"
#include "akmad_metrics.h"
#include "metrics.h"
#include "counters.h"
#include "eal.h"
#include "log.h"
#include "notify.h"
#include "nrf.h"
#include "rlimit.h"
#include "err.h"
#include "mb.h"
#include "secret.h"
#include "redis.h"
#include "replicator.h"
#include "sbi.h"
#include "ethdev.h"
#include "sock.h"
#include "telemetry.h"
#include "wire.h"
#include "worker.h"
#include "clock.h"

static volatile sig_atomic_t stop_requested, reload_requested;
static int logtype;

#define LOG(level, ...) rte_log(RTE_LOG_##level, logtype, "akmad: " __VA_ARGS__)

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: akmad [EAL options --] [options]\n"
		"\n"
		"The AKMA Anchor Function (3GPP TS 33.535): keeps AKMA contexts and derives\n"
		"K_AF for application functions, answering the wire protocol of\n"
		"engine/wire.md on the addresses of wire.listen.\n"
		"\n"
		"EAL options (DPDK) come first and end with \"--\"; without them akmad runs\n"
		"with --no-huge --no-pci --no-shconf on every CPU it may use: the first is the\n"
		"main lcore (sockets, control), the others are workers.\n"
		"\n"
		"Options:\n"
		"  --config FILE   configuration (default %s)\n"
		"  --set SECTION.KEY=VALUE\n"
		"                  override one key; repeatable; wins over the file\n"
		"  -h, --help      this text\n"
		"  -V, --version   version\n"
		"\n"
		"Every key of the configuration is also an option (wins over the file; a\n"
		"key's '_' may be written '-'):\n",
		akmad_default_config());
	akma_conf_help(&akmad_conf_table, out);
	fprintf(out,
		"\nSignals: SIGINT and SIGTERM stop akmad cleanly (requests in flight are\n"
		"answered, every key wiped, exit 0). SIGHUP re-reads the configuration\n"
		"(file, then these options) and applies engine.kaf_lifetime,\n"
		"engine.kakma_lifetime, wire.replay_window and log.level at once; it logs\n"
		"every other changed key as needing a restart and keeps its value.\n"
		"\nReplication: with redis.address (--redis HOST:PORT) or redis.sentinels set\n"
		"and replication.mode not off, akmad first takes the primary's lease in\n"
		"Redis (waiting while another akmad holds it), loads every context from\n"
		"Redis, then serves; every write is replicated (sync: answered once Redis\n"
		"has it). With --standby it loads, follows the primary's changes and serves\n"
		"nothing (every request answered NOT_PRIMARY at once) until promoted: when\n"
		"the primary's lease expires, or on akmactl promote. Only the holder of the lease "
		"serves, reads included:\n"
		"past its lease a primary answers NOT_PRIMARY (SBI: 503). Redis layout,\n"
		"failover and how to choose replication.lease: README.\n"
		"\nRouting indicators: with engine.routing_indicators set, akmad serves only\n"
		"A-KIDs of those RIDs (read by engine.rid_rule); another RID is answered\n"
		"RID_NOT_SERVED (SBI: 400). akma-sbi route tables put several such engine\n"
		"groups behind stateless front ends (akma-sbi --help).\n"
		"\nNRF: with nrf.uri set, the serving primary registers the AAnF in the NRF\n"
		"(TS 29.510: its NFProfile, the naanf-akma service on nrf.endpoints, its\n"
		"RIDs), heartbeats, reports SUSPENDED while it cannot serve and deregisters\n"
		"on a clean stop; a standby registers once promoted. An unreachable or\n"
		"failing NRF never stops serving.\n"
		"\nExit status: 0 after a clean stop; 1 when start-up fails (the reason is\n"
		"printed: the file, line and key for a bad configuration, an unreachable\n"
		"Redis).\n");
}

/* Read the file, then the command-line overrides over it, as at start. */
static int load_conf(struct akma_conf *c, const char *config, int argc, char **argv, int app_start,
		     char *err, size_t err_size)
{
	return akma_conf_load_args(&akmad_conf_table, c, config, argc, argv, app_start, NULL, NULL,
				   "akmad", err, err_size);
}

static int log_level_of(const char *name)
{
	static const char *const names[] = {"error", "warning", "notice", "info", "debug"};
	static const int levels[] = {RTE_LOG_ERR, RTE_LOG_WARNING, RTE_LOG_NOTICE, RTE_LOG_INFO,
				     RTE_LOG_DEBUG};
	for (int i = 0; i < 5; i++)
		if (!strcmp(name, names[i]))
			return levels[i];
	return RTE_LOG_NOTICE;
}

/* SIGHUP: apply what can change while running, name what cannot. */
static void reload(struct akma_conf *cur, const char *config, int argc, char **argv, int app_start,
		   struct akma_engine *e, struct akma_sock *s)
{
	static struct akma_conf next;
	char err[1536], name[96], was[AKMA_CONF_STR_MAX + 32], now[AKMA_CONF_STR_MAX + 32];

	if (load_conf(&next, config, argc, argv, app_start, err, sizeof(err)) != 0) {
		LOG(ERR, "SIGHUP: %s; configuration unchanged\n", err);
		return;
	}
	for (unsigned i = 0;
	     akma_conf_entry(&akmad_conf_table, cur, i, name, sizeof(name), was, sizeof(was));
	     i++) {
		akma_conf_entry(&akmad_conf_table, &next, i, name, sizeof(name), now, sizeof(now));
		if (!strcmp(was, now))
			continue;
		if (!strcmp(name, "engine.kaf_lifetime"))
			akma_engine_set_kaf_life(e, next.kaf_lifetime_s * 1000);
		else if (!strcmp(name, "engine.kakma_lifetime"))
			akma_ctx_set_kakma_life(akma_engine_store(e), next.kakma_lifetime_s * 1000);
		else if (!strcmp(name, "wire.replay_window"))
			akma_sock_set_replay_window(s, next.replay_window_ms);
		else if (!strcmp(name, "sbi.policy") || !strcmp(name, "sbi.oauth2_keys") ||
			 !strcmp(name, "sbi.oauth2_issuers") || !strcmp(name, "sbi.oauth2_skew") ||
			 !strcmp(name, "sbi.nf_instance_id"))
			; /* read again below, with the files, on every SIGHUP */
		else if (!strcmp(name, "log.level"))
			rte_log_set_level_pattern("akma.*", (uint32_t)log_level_of(next.log_level));
		else {
			LOG(WARNING, "SIGHUP: %s changed to %s: takes a restart; keeping %s\n",
			    name, now, was);
			continue;
		}
		LOG(NOTICE, "SIGHUP: %s is now %s (was %s)\n", name, now, was);
	}
	/* Keep what did not change at run time as it is. */
	cur->kaf_lifetime_s = next.kaf_lifetime_s;
	cur->kakma_lifetime_s = next.kakma_lifetime_s;
	cur->replay_window_ms = next.replay_window_ms;
	memcpy(cur->log_level, next.log_level, sizeof(cur->log_level));
	memcpy(cur->sbi_policy, next.sbi_policy, sizeof(cur->sbi_policy));
	memcpy(cur->sbi_oauth2_keys, next.sbi_oauth2_keys, sizeof(cur->sbi_oauth2_keys));
	memcpy(cur->sbi_oauth2_issuers, next.sbi_oauth2_issuers, sizeof(cur->sbi_oauth2_issuers));
	cur->sbi_oauth2_skew_s = next.sbi_oauth2_skew_s;
	memcpy(cur->sbi_nf_instance_id, next.sbi_nf_instance_id, sizeof(cur->sbi_nf_instance_id));
}

/* The SBI front end's way into the engine: its own producer rings. */
struct engine_backend {
	struct akma_engine *e;
	unsigned producer;
};

static int eb_alloc(void *ctx, struct akma_req **r)
{
	return akma_engine_req_alloc(((struct engine_backend *)ctx)->e, r, 1);
}

static void eb_release(void *ctx, struct akma_req *r)
{
	akma_engine_req_free(((struct engine_backend *)ctx)->e, &r, 1);
}

static unsigned eb_submit(void *ctx, struct akma_req **r, unsigned n, struct akma_req **rej,
			  unsigned *n_rej)
{
	struct engine_backend *b = ctx;
	return akma_engine_submit(b->e, b->producer, r, n, rej, n_rej);
}

static unsigned eb_poll(void *ctx, struct akma_req **out, unsigned max)
{
	struct engine_backend *b = ctx;
	return akma_engine_poll(b->e, b->producer, out, max);
}

static void log_bad_record(const char *key, int err)
{
	LOG(WARNING, "recovery: record %s skipped: %s\n", key, akma_strerror(err));
}

static void log_progress(const struct akma_redis_load_stats *st)
{
	LOG(NOTICE, "recovering: %llu contexts so far (%.0f/s)\n", (unsigned long long)st->loaded,
	    st->seconds > 0 ? (double)st->loaded / st->seconds : 0.0);
}

/* Connect to Redis, take the lease (a primary) or subscribe (a standby),
 * load every context, and start the replication thread. The KEK and the
 * password are wiped here. Returns NULL (reason printed) on failure or on a
 * stop signal while waiting. Caller: main, online QSBR, engine not started. */
static struct akma_replicator *start_replication(const struct akma_conf *conf,
						 struct akma_engine *e, uint8_t *kek,
						 char *password)
{
	char why[512], id[128], host[64], holder[128];
	uint64_t acquired_tsc = 0;
	struct akma_redis_params rp = {conf->redis_address, conf->redis_sentinels,
				       conf->redis_master_name, password[0] ? password : NULL,
				       (unsigned)conf->redis_timeout_ms};
	struct akma_redis *r = akma_redis_open(&rp, kek, why, sizeof(why));
	explicit_bzero(kek, AKMA_REPL_KEK_LEN);
	explicit_bzero(password, strlen(password));
	if (!r) {
		fprintf(stderr,
			"akmad: %s; cannot recover contexts (start Redis, or set "
			"replication.mode off)\n",
			why);
		return NULL;
	}
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	unsigned nonce = 0;
	getentropy(&nonce, sizeof(nonce));
	snprintf(id, sizeof(id), "%s:%d:%08x", host, (int)getpid(), nonce);
	if (conf->standby) {
		if (akma_redis_follow_start(r, why, sizeof(why)) != 0) {
			fprintf(stderr, "akmad: standby: %s\n", why);
			akma_redis_close(r);
			return NULL;
		}
	} else {
		/* Load only once no other akmad can write: after taking the lease. */
		int logged = 0;
		for (;;) {
			int rc = akma_redis_lease_acquire(r, id, (unsigned)conf->lease_ms, holder,
							  sizeof(holder));
			if (rc == 1) {
				acquired_tsc = rte_rdtsc();
				break;
			}
			if (rc < 0 || stop_requested) {
				if (rc < 0)
					fprintf(stderr,
						"akmad: redis %s: the lease could not be taken\n",
						akma_redis_server(r));
				akma_redis_close(r);
				return NULL;
			}
			if (!logged++)
				LOG(NOTICE,
				    "the lease is held by %s; waiting for it to expire (up to "
				    "%llu ms)\n",
				    holder, (unsigned long long)conf->lease_ms);
			akma_sleep_ms(50);
		}
	}
	struct akma_redis_load_stats st;
	LOG(NOTICE, "recovering contexts from redis %s\n", akma_redis_server(r));
	akma_notify("STATUS=recovering contexts from redis");
	if (akma_redis_load(r, akma_engine_store(e), akma_wall_ms, &st, log_bad_record,
			    log_progress) != 0) {
		fprintf(stderr, "akmad: redis %s: recovery failed after %llu contexts\n",
			akma_redis_server(r), (unsigned long long)st.loaded);
		akma_redis_close(r);
		return NULL;
	}
	LOG(NOTICE,
	    "recovered %llu contexts in %.2f s (%.0f/s); skipped %llu that did not unwrap, %llu of "
	    "another format version, %llu malformed, %llu expired; %llu refused by the store\n",
	    (unsigned long long)st.loaded, st.seconds,
	    st.seconds > 0 ? (double)st.loaded / st.seconds : 0.0,
	    (unsigned long long)st.bad_unwrap, (unsigned long long)st.bad_version,
	    (unsigned long long)st.bad_format, (unsigned long long)st.expired,
	    (unsigned long long)st.refused);
	struct akma_replicator_params p = {e,
					   r,
					   id,
					   (unsigned)conf->lease_ms,
					   (unsigned)conf->redis_wait_replicas,
					   (unsigned)conf->redis_wait_timeout_ms,
					   conf->standby,
					   acquired_tsc,
					   (unsigned)conf->feed_window_ms};
	struct akma_replicator *rep = akma_replicator_start(&p, why, sizeof(why));
	if (!rep) {
		fprintf(stderr, "akmad: %s\n", why);
		akma_redis_close(r);
	}
	return rep;
}

/* Everything akmad holds between setup and teardown. */
struct daemon {
	struct akma_conf conf;
	const char *config;
	int argc, eal_argc, app_start;
	char **argv;
	int replicate;
	uint8_t psk[AKMA_WIRE_PSK_LEN], kek[AKMA_REPL_KEK_LEN];
	char password[512];
	struct akmad_sbi_files sbi_files;
	int eal_up, rcu_registered, rcu_online;
	struct akma_engine *e;
	struct akma_replicator *rep;
	struct akma_sock *s;
	unsigned sock_producer;  /* the sockets' engine producer */
	struct akma_ethdev *eth; /* NULL: no DPDK port (ethdev.ports empty) */
	struct akma_ethdev_params ethp;
	struct akma_sbi *sbi;
	struct engine_backend eb;
	struct akma_sbi_backend backend;
	struct akma_metrics *metrics;
	struct akma_nrf *nrf;
	struct akma_rid_set rids; /* engine.routing_indicators */
	struct akma_rid_rule rid_rule;
	int rid_filter;
};

static void wipe_secrets(struct daemon *d)
{
	explicit_bzero(d->psk, sizeof(d->psk));
	explicit_bzero(d->kek, sizeof(d->kek));
	explicit_bzero(d->password, sizeof(d->password));
}

/* Every counter of counters.h, from the paths that are open: for STATS
 * answers (main lcore), /akma/stats (telemetry thread) and /metrics. */
static void read_counters(void *arg, uint64_t *v)
{
	struct daemon *d = arg;
	struct akma_wire_server_stats paths[AKMA_WIRE_N_PATHS];
	struct akma_sock *s = __atomic_load_n(&d->s, __ATOMIC_ACQUIRE);
	struct akma_ethdev *eth = __atomic_load_n(&d->eth, __ATOMIC_ACQUIRE);

	memset(paths, 0, sizeof(paths));
	if (s)
		akma_sock_stats(s, &paths[AKMA_WIRE_PATH_SOCK]);
	if (eth)
		akma_ethdev_wire_stats(eth, &paths[AKMA_WIRE_PATH_ETHDEV]);
	akma_counters_read(d->e, paths, v);
}

/* The metrics listener's callback (drivers/metrics). */
static void write_metrics(void *ctx, FILE *f)
{
	struct daemon *d = ctx;
	struct akmad_metrics_sources src = {d->e, read_counters, d, d->sbi, d->rep};
	akmad_metrics_write(&src, f);
	struct akma_ethdev *eth = __atomic_load_n(&d->eth, __ATOMIC_ACQUIRE);
	if (eth)
		akma_ethdev_write_metrics(eth, f);
	if (d->nrf)
		akma_nrf_write_metrics(d->nrf, f);
}

/* Who speaks for the instance in the NRF (nrf.h), on the NRF thread: the
 * primary that holds its lease serves; one whose Redis is gone, whose
 * writes are refused or whose lease lapses is impaired (SUSPENDED); a
 * standby, one still in its takeover wait and a demoted primary say
 * nothing. */
static int nrf_role(void *ctx)
{
	struct daemon *d = ctx;
	struct akma_replicator_stats st;

	if (!d->rep)
		return AKMA_NRF_SERVING;
	if (!akma_replicator_is_primary(d->rep))
		return AKMA_NRF_SILENT;
	akma_replicator_stats(d->rep, &st);
	if (st.state == AKMA_REPLICATOR_DEMOTED || st.state == AKMA_REPLICATOR_STANDBY)
		return AKMA_NRF_SILENT;
	if (st.state == AKMA_REPLICATOR_DOWN || !akma_engine_writes(d->e) ||
	    rte_rdtsc() >= akma_engine_lease(d->e))
		return AKMA_NRF_IMPAIRED;
	return AKMA_NRF_SERVING;
}

/* The NRF client, when nrf.uri is set. Returns 0, or 1 with the reason
 * printed. */
static int start_nrf(struct daemon *d)
{
	const struct akma_conf *c = &d->conf;
	char err[1536], ca[1024], cert[1024], key[1024];

	if (!c->nrf_uri[0])
		return 0;
	const char *endpoints = c->nrf_endpoints[0] ? c->nrf_endpoints : c->sbi_listen;
	if (!endpoints[0]) {
		fprintf(stderr, "akmad: nrf.uri: no SBI endpoint to register: set nrf.endpoints "
				"(the akma-sbi front ends) or sbi.listen\n");
		return 1;
	}
	akma_conf_file_path(d->config, c->nrf_tls_ca, ca, sizeof(ca));
	akma_conf_file_path(d->config, c->nrf_tls_cert[0] ? c->nrf_tls_cert : c->sbi_tls_cert, cert,
			    sizeof(cert));
	akma_conf_file_path(d->config, c->nrf_tls_key[0] ? c->nrf_tls_key : c->sbi_tls_key, key,
			    sizeof(key));
	int own_cert = c->nrf_tls_cert[0] || c->sbi_tls_cert[0];
	struct akma_nrf_params np = {
		.uri = c->nrf_uri,
		.nf_instance_id = c->sbi_nf_instance_id,
		.endpoints = endpoints,
		.https = c->sbi_tls_cert[0] != 0,
		.rids = d->rid_filter ? &d->rids : NULL,
		.heartbeat_s = (unsigned)c->nrf_heartbeat_s,
		.retry_max_s = (unsigned)c->nrf_retry_max_s,
		.tls_ca = c->nrf_tls_ca[0] ? ca : NULL,
		.tls_cert = own_cert ? cert : NULL,
		.tls_key = own_cert ? key : NULL,
		.role = nrf_role,
		.role_ctx = d,
	};
	d->nrf = akma_nrf_start(&np, err, sizeof(err));
	if (!d->nrf) {
		fprintf(stderr, "akmad: %s\n", err);
		return 1;
	}
	akma_telemetry_set_nrf(d->nrf);
	return 0;
}

/* Options, configuration and secret files: everything that can be refused
 * before DPDK starts. Returns 0, or 1 with the reason printed. */
static int setup_conf(struct daemon *d)
{
	char err[1536], psk_path[1024], kek_path[1024], pw_path[1024];

	if (load_conf(&d->conf, d->config, d->argc, d->argv, d->app_start, err, sizeof(err)) != 0) {
		fprintf(stderr, "akmad: %s\n", err);
		return 1;
	}
	const struct akma_conf *c = &d->conf;
	struct akma_sbi_params bp;
	int open;
	if (c->sbi_listen[0] &&
	    akmad_conf_sbi_params(c, d->config, &bp, &d->sbi_files, &open, err, sizeof(err)) != 0) {
		fprintf(stderr, "akmad: %s\n", err);
		return 1;
	}
	if (akmad_conf_rids(c, &d->rids, &d->rid_rule, &d->rid_filter, err, sizeof(err)) != 0 ||
	    akmad_conf_ethdev(c, &d->ethp, err, sizeof(err)) != 0) {
		fprintf(stderr, "akmad: %s\n", err);
		return 1;
	}
	d->replicate =
		(c->redis_address[0] || c->redis_sentinels[0]) && strcmp(c->repl_mode, "off") != 0;
	if (c->standby && !d->replicate) {
		fprintf(stderr, "akmad: --standby needs Redis (--redis HOST:PORT or "
				"redis.sentinels) and replication.mode sync or async\n");
		return 1;
	}
	/* Secret files are named relative to the configuration's directory. */
	akma_conf_file_path(d->config, c->psk_file, psk_path, sizeof(psk_path));
	akma_conf_file_path(d->config, c->kek_file, kek_path, sizeof(kek_path));
	akma_conf_file_path(d->config, c->redis_password_file, pw_path, sizeof(pw_path));
	if (akma_psk_read(psk_path, 1, d->psk, err, sizeof(err)) != 0 ||
	    (d->replicate &&
	     (akma_key_file_read("kek file", kek_path, 1, d->kek, err, sizeof(err)) != 0 ||
	      (c->redis_password_file[0] &&
	       akma_password_file_read(pw_path, d->password, sizeof(d->password), err,
				       sizeof(err)) != 0)))) {
		fprintf(stderr, "akmad: %s\n", err);
		return 1;
	}
	return 0;
}

/* ---- the wire protocol's paths: kernel sockets, and DPDK ports ---------------------------- */

static unsigned io_poll(struct daemon *d, uint64_t now)
{
	unsigned work = akma_sock_poll(d->s, now);
	if (d->eth)
		work += akma_ethdev_poll(d->eth, now);
	return work;
}

static unsigned io_in_flight(const struct daemon *d)
{
	return akma_sock_in_flight(d->s) + (d->eth ? akma_ethdev_in_flight(d->eth) : 0);
}

/* Idle: sleep on the sockets, and on the engine's doorbell while requests
 * are in flight (under sync replication each waits a Redis round trip,
 * which this loop spent spinning); with ports (which signal nothing), nap
 * ethdev.idle_sleep between polls, and only with nothing in flight. */
static void io_wait(struct daemon *d, int timeout_ms)
{
	if (!d->eth) {
		int bell = -1;
		if (akma_sock_in_flight(d->s)) {
			bell = akma_engine_arm(d->e, d->sock_producer);
			if (bell < 0)
				return; /* a completion is already waiting */
		}
		akma_sock_wait(d->s, timeout_ms, bell);
		if (bell >= 0)
			akma_engine_disarm(d->e, d->sock_producer);
		return;
	}
	if (io_in_flight(d))
		return;
	if (d->conf.ethdev_idle_sleep_us) {
		akma_sock_wait(d->s, 0, -1);
		struct timespec ts = {0, (long)d->conf.ethdev_idle_sleep_us * 1000};
		nanosleep(&ts, NULL);
	}
}

/* The wire sockets, the SBI and the metrics listener: bound before a
 * standby waits, so that it answers (NOT_PRIMARY) rather than times out.
 * Returns 0, or 1 with the reason printed. */
static int open_front_ends(struct daemon *d)
{
	const struct akma_conf *c = &d->conf;
	char err[1536];

	int producer = akma_engine_producer(d->e);
	struct akma_sock_params sp = {c->listen,
				      c->allow_plain_unix,
				      d->psk,
				      c->replay_window_ms,
				      (unsigned)c->max_senders,
				      read_counters,
				      d};
	struct akma_sock *s = akma_sock_open(&sp, d->e, (unsigned)producer, err, sizeof(err));
	d->sock_producer = (unsigned)producer;
	if (!s) {
		explicit_bzero(d->psk, sizeof(d->psk));
		fprintf(stderr, "akmad: %s\n", err);
		return 1;
	}
	__atomic_store_n(&d->s, s, __ATOMIC_RELEASE);
	if (d->ethp.n_ports) {
		d->ethp.psk = d->psk;
		d->ethp.replay_window_ms = c->replay_window_ms;
		d->ethp.max_senders = (unsigned)c->max_senders;
		d->ethp.read_counters = read_counters;
		d->ethp.counters_arg = d;
		int eth_producer = akma_engine_producer(d->e);
		struct akma_ethdev *eth =
			eth_producer < 0 ? NULL
					 : akma_ethdev_open(&d->ethp, d->e, (unsigned)eth_producer,
							    err, sizeof(err));
		if (!eth) {
			explicit_bzero(d->psk, sizeof(d->psk));
			fprintf(stderr, "akmad: %s\n",
				eth_producer < 0 ? "no engine producer left for "
						   "the DPDK ports"
						 : err);
			return 1;
		}
		__atomic_store_n(&d->eth, eth, __ATOMIC_RELEASE);
		akma_telemetry_set_ethdev(eth);
	}
	explicit_bzero(d->psk, sizeof(d->psk));
	if (c->sbi_listen[0]) {
		struct akma_sbi_params bp;
		int open = 0;
		akmad_conf_sbi_params(c, d->config, &bp, &d->sbi_files, &open, err,
				      sizeof(err)); /* checked in setup_conf */
		if (open)
			LOG(NOTICE,
			    "sbi %s: no consumer is authenticated (neither sbi.tls_client_ca "
			    "nor sbi.oauth2): every caller is trusted%s\n",
			    c->sbi_listen, c->sbi_insecure ? " (sbi.insecure)" : "; loopback only");
		int sp_id = akma_engine_producer(d->e);
		if (sp_id < 0) {
			fprintf(stderr, "akmad: sbi: no engine producer left\n");
			return 1;
		}
		d->eb = (struct engine_backend){d->e, (unsigned)sp_id};
		d->backend =
			(struct akma_sbi_backend){&d->eb, eb_alloc, eb_release, eb_submit, eb_poll};
		d->sbi = akma_sbi_start(&bp, &d->backend, err, sizeof(err));
		if (!d->sbi) {
			fprintf(stderr, "akmad: %s\n", err);
			return 1;
		}
	}
	if (c->metrics_listen[0]) {
		static char build[256];
		snprintf(build, sizeof(build),
			 "version=\"%s\",dpdk=\"%s\",ipsec_mb=\"%s\",nghttp2=\"%s\",openssl=\"%s\"",
			 AKMA_VERSION, rte_version(), imb_get_version_str(),
			 nghttp2_version(0)->version_str, OpenSSL_version(OPENSSL_VERSION_STRING));
		struct akma_metrics_params mp = {c->metrics_listen, "akmad", build, write_metrics,
						 d};
		d->metrics = akma_metrics_start(&mp, err, sizeof(err));
		if (!d->metrics) {
			fprintf(stderr, "akmad: %s\n", err);
			return 1;
		}
		LOG(NOTICE, "metrics on http://%s/metrics\n", akma_metrics_address(d->metrics));
	}
	return 0;
}

/* EAL, logs, the engine, replication (recovery included), the workers,
 * telemetry, then (once primary) the sockets and the SBI. Returns 0, or 1
 * with the reason printed; whatever was set up is in d for teardown. */
static int setup_engine(struct daemon *d)
{
	const struct akma_conf *c = &d->conf;
	int rc;

	const struct akma_eal_defaults eal = {(unsigned)(256 + c->requests / 512), NULL, 0, NULL};
	if (akma_eal_init("akmad", d->eal_argc, d->argv, &eal) < 0)
		return 1;
	d->eal_up = 1;
	if (akma_log_setup("akmad", c->log_target) != 0 || akma_eal_log_stream() != 0)
		fprintf(stderr, "akmad: log.target %s: could not be opened; logging as before\n",
			c->log_target);
	logtype = rte_log_register_type_and_pick_level("akma.daemon", RTE_LOG_NOTICE);
	if (logtype < 0)
		logtype = RTE_LOGTYPE_USER1;
	/* log.level applies to every akma.* component: register them all first,
	 * since a pattern reaches only the types that exist when it is set. */
	rte_log_register_type_and_pick_level("akma.engine", RTE_LOG_NOTICE);
	rte_log_register_type_and_pick_level("akma.sock", RTE_LOG_NOTICE);
	rte_log_register_type_and_pick_level("akma.repl", RTE_LOG_NOTICE);
	rte_log_set_level_pattern("akma.*", (uint32_t)log_level_of(c->log_level));

	enum akma_mb_arch arch;
	akma_mb_arch_parse(c->mb_arch, &arch); /* the table allows only valid names */
	struct akma_engine_params ep = {
		.capacity = (uint32_t)c->capacity,
		.kakma_life_ms = c->kakma_lifetime_s * 1000,
		.kaf_life_ms = c->kaf_lifetime_s * 1000,
		.ring_size = (unsigned)c->ring_size,
		.burst = (unsigned)c->burst,
		.n_requests = (unsigned)c->requests,
		.mb_arch = arch,
		.workers = (unsigned)c->workers,
		.idle_spin_us = (unsigned)c->idle_spin_us,
		.idle_sleep_us = (unsigned)c->idle_sleep_us,
		.repl = !d->replicate                    ? AKMA_REPL_OFF
			: !strcmp(c->repl_mode, "async") ? AKMA_REPL_ASYNC
							 : AKMA_REPL_SYNC,
		.repl_backlog = (unsigned)c->repl_backlog,
		.rids = d->rid_filter ? &d->rids : NULL,
		.rid_rule = d->rid_rule,
	};
	urcu_qsbr_register_thread();
	d->rcu_registered = d->rcu_online = 1;
	d->e = akma_engine_create(&ep, &rc);
	if (!d->e) {
		fprintf(stderr, "akmad: engine: %s%s\n", akma_strerror(rc),
			rc == -ENODEV ? " (give EAL at least two lcores)" : "");
		return 1;
	}
	if (d->replicate) {
		d->rep = start_replication(c, d->e, d->kek, d->password);
		if (!d->rep)
			return stop_requested ? 0 : 1;
	}
	if (akma_engine_start(d->e) != 0) {
		fprintf(stderr, "akmad: cannot launch the workers\n");
		return 1;
	}
	if (akma_telemetry_register(d->e, read_counters, d, &akmad_conf_table, &d->conf) != 0)
		LOG(WARNING, "telemetry commands not registered\n");
	akma_telemetry_set_replicator(d->rep);

	urcu_qsbr_thread_offline();
	d->rcu_online = 0;
	if (open_front_ends(d) != 0 || start_nrf(d) != 0)
		return 1;
	/* A standby answers every request NOT_PRIMARY (its engine holds no
	 * lease), at once, so that a front end tries its group's other address
	 * instead of waiting out a timeout; it serves once promoted. */
	if (d->rep && !akma_replicator_is_primary(d->rep)) {
		/* A standby is ready once it follows: the manager must not wait on
		 * a promotion that may never come. */
		if (c->standby) {
			akma_notify("READY=1\nSTATUS=standby: following the primary's change feed");
			LOG(NOTICE,
			    "standby: following redis %s; answering NOT_PRIMARY on %s%s%s until "
			    "promoted, when the primary's lease expires or on akmactl promote\n",
			    akma_replicator_server(d->rep), c->listen, d->sbi ? " and " : "",
			    d->sbi ? c->sbi_listen : "");
		}
		while (!stop_requested && !akma_replicator_is_primary(d->rep)) {
			unsigned work = io_poll(d, akma_wall_ms());
			if (!work && !io_in_flight(d))
				io_wait(d, 10);
			akma_notify_watchdog(akma_mono_ms());
		}
	}
	if (stop_requested)
		return 0;
	char ports[300] = "";
	for (unsigned i = 0, at = 0; d->eth && i < d->ethp.n_ports && at < sizeof(ports); i++)
		at += (unsigned)snprintf(ports + at, sizeof(ports) - at, "%s%s",
					 i ? "," : " and DPDK port ", d->ethp.ports[i].name);
	LOG(NOTICE,
	    "version %s, listening on %s%s%s%s; %u worker lcore(s), K_AF by %s%s, %llu "
	    "contexts; replication %s%s%s\n",
	    AKMA_VERSION, c->listen, ports,
	    !d->sbi              ? ""
	    : c->sbi_tls_cert[0] ? " and HTTP/2 over TLS "
				 : " and h2c ",
	    d->sbi ? c->sbi_listen : "", akma_engine_workers(d->e),
	    akma_engine_mb_arch(d->e) == AKMA_MB_SHANI ? "akmad's SHA-NI kernel" : "ipsec-mb ",
	    akma_engine_mb_arch(d->e) == AKMA_MB_SHANI
		    ? ""
		    : akma_mb_arch_name(akma_engine_mb_arch(d->e)),
	    (unsigned long long)c->capacity, d->replicate ? c->repl_mode : "off",
	    d->rep ? " to redis " : "", d->rep ? akma_replicator_server(d->rep) : "");
	if (d->rid_filter) {
		char list[1024], rule[16];
		if (akma_rid_set_format(&d->rids, list, sizeof(list)) < 0)
			snprintf(list, sizeof(list), "%u of them", akma_rid_set_count(&d->rids));
		LOG(NOTICE, "serving the A-KIDs of routing indicators %s (engine.rid_rule %s)\n",
		    list, akma_rid_rule_name(&d->rid_rule, rule, sizeof(rule)));
	}
	return 0;
}

/* SIGHUP: the consumer policy and the NRF keys, read again. */
static void reload_sbi(struct daemon *d)
{
	static struct akmad_sbi_files files; /* read here only, while reloading */
	struct akma_sbi_params bp;
	char err[1536];
	int open;

	if (!d->sbi)
		return;
	if (akmad_conf_sbi_params(&d->conf, d->config, &bp, &files, &open, err, sizeof(err)) != 0 ||
	    akma_sbi_reload(d->sbi, &bp, err, sizeof(err)) != 0) {
		LOG(ERR, "SIGHUP: %s; the SBI keeps its certificate, policy and keys\n", err);
		return;
	}
	if (bp.policy || bp.oauth2 || (bp.tls_cert && bp.tls_cert[0]))
		LOG(NOTICE, "SIGHUP: sbi%s%s%s read again\n",
		    bp.tls_cert && bp.tls_cert[0] ? " certificate and key," : "",
		    bp.policy ? " policy" : "", bp.oauth2 ? " and NRF keys" : "");
}

/* The main loop until a stop signal. Offline between control duties: it
 * reads no context. */
static void run(struct daemon *d)
{
	struct akma_ctx_store *store = akma_engine_store(d->e);
	uint64_t next_duty = 0, next_link_check = 0;
	unsigned idle = 0;

	/* Recovered (or promoted), the sockets open: ready. */
	akma_notify(d->rep ? "READY=1\nSTATUS=serving (primary)" : "READY=1\nSTATUS=serving");
	while (!stop_requested) {
		uint64_t now = akma_wall_ms();
		unsigned work = io_poll(d, now);
		if (now >= next_duty) {
			urcu_qsbr_thread_online();
			akma_ctx_flush(store);
			akma_ctx_sweep(store, now, 4096);
			urcu_qsbr_thread_offline();
			next_duty = now + 10;
			if (d->eth && now >= next_link_check) {
				akma_ethdev_check_links(d->eth);
				next_link_check = now + 1000;
			}
			/* From the main loop itself: a loop that hangs stops it. */
			akma_notify_watchdog(akma_mono_ms());
		}
		if (reload_requested) {
			reload_requested = 0;
			reload(&d->conf, d->config, d->argc, d->argv, d->app_start, d->e, d->s);
			if (d->eth)
				akma_ethdev_set_replay_window(d->eth, d->conf.replay_window_ms);
			reload_sbi(d);
		}
		if (work)
			idle = 0;
		else if (++idle > 1000)
			io_wait(d, 1);
	}
}

/* The one way out, from wherever setup stopped: answer what is in flight,
 * stop every thread, wipe every key, leave nothing of EAL behind. */
static void teardown(struct daemon *d)
{
	if (d->s || d->sbi) {
		LOG(NOTICE, "stopping\n");
		akma_notify("STOPPING=1\nSTATUS=stopping: answering what is in flight");
	}
	/* Out of the NRF first, so that consumers stop choosing this instance
	 * while it answers what is in flight. */
	akma_telemetry_set_nrf(NULL);
	akma_nrf_stop(d->nrf, 2000);
	d->nrf = NULL;
	akma_metrics_stop(d->metrics); /* before what it reads goes */
	d->metrics = NULL;
	akma_sbi_stop(d->sbi, 2000); /* GOAWAY, finish the streams in flight */
	if (d->s) {
		uint64_t give_up = akma_mono_ms() + 2000;
		while (io_in_flight(d) && akma_mono_ms() < give_up)
			io_poll(d, akma_wall_ms());
	}
	if (d->e)
		akma_engine_stop(d->e);
	/* Writes the workers handed on reach Redis (or are answered as failed)
	 * before the last answers go out. */
	akma_replicator_stop(d->rep, 2000);
	if (d->s) {
		io_poll(d, akma_wall_ms());
		struct akma_wire_server_stats st, es;
		akma_sock_stats(d->s, &st);
		if (d->eth) {
			akma_ethdev_wire_stats(d->eth, &es);
			akma_wire_server_stats_add(&st, &es);
			akma_telemetry_set_ethdev(NULL);
			struct akma_ethdev *eth = d->eth;
			__atomic_store_n(&d->eth, NULL, __ATOMIC_RELEASE);
			akma_ethdev_close(eth);
		}
		LOG(NOTICE,
		    "stopped: %llu datagrams in, %llu out; %llu requests; dropped %llu auth, %llu "
		    "replay, %llu stale\n",
		    (unsigned long long)st.rx_datagrams, (unsigned long long)st.tx_datagrams,
		    (unsigned long long)st.requests, (unsigned long long)st.dropped_auth,
		    (unsigned long long)st.dropped_replay, (unsigned long long)st.dropped_stale);
		akma_sock_close(d->s);
	}
	if (d->rcu_online)
		urcu_qsbr_thread_offline(); /* freeing the store waits for a grace period */
	akma_engine_free(d->e);             /* wipes every context's keys */
	if (d->rcu_registered)
		urcu_qsbr_unregister_thread();
	wipe_secrets(d);
	if (d->eal_up)
		akma_eal_cleanup();
}

int main(int argc, char **argv)
{
	static struct daemon d;

	d.config = akmad_default_config();
	d.argc = argc;
	d.argv = argv;
	d.eal_argc = 1;
	d.app_start = 1;
	/* EAL options end at "--"; with none, every argument is akmad's. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			d.eal_argc = i;
			d.app_start = i + 1;
			break;
		}
	}
	for (int i = d.app_start; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("akmad %s (ipsec-mb %s, wire protocol %d)\n", AKMA_VERSION,
			       akma_mb_library_version(), AKMA_WIRE_VERSION);
			return 0;
		}
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			d.config = argv[i + 1];
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	akma_raise_nofile();
	int status = setup_conf(&d);
	if (status == 0)
		status = setup_engine(&d);
	if (status == 0 && !stop_requested)
		run(&d);
	teardown(&d);
	return stop_requested ? 0 : status;
}
