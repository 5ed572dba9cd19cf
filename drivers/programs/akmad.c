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

#include <rte_eal.h>
#include <rte_log.h>
#include <urcu/urcu-qsbr.h>

#include "akma_version.h"
#include "conf.h"
#include "err.h"
#include "mb.h"
#include "psk.h"
#include "redis.h"
#include "replicator.h"
#include "sbi.h"
#include "hex.h"
#include "sock.h"
#include "telemetry.h"
#include "wire.h"
#include "worker.h"

#ifndef AKMA_DEFAULT_CONF
#define AKMA_DEFAULT_CONF "/etc/akmad/akmad.conf"
#endif

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
		AKMA_DEFAULT_CONF);
	akma_conf_help(out);
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
		"nothing until promoted: when the primary's lease expires, or on\n"
		"akmactl promote. Redis layout and failover: README.\n"
		"\nExit status: 0 after a clean stop; 1 when start-up fails (the reason is\n"
		"printed: the file, line and key for a bad configuration, an unreachable\n"
		"Redis).\n");
}

/* Read the file, then the command-line overrides over it, as at start. */
static int load_conf(struct akma_conf *c, const char *config, int argc, char **argv, int app_start,
		     char *err, size_t err_size)
{
	return akma_conf_load_args(c, config, argc, argv, app_start, NULL, NULL, "akmad", err,
				   err_size);
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

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
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
	for (unsigned i = 0; akma_conf_entry(cur, i, name, sizeof(name), was, sizeof(was)); i++) {
		akma_conf_entry(&next, i, name, sizeof(name), now, sizeof(now));
		if (!strcmp(was, now))
			continue;
		if (!strcmp(name, "engine.kaf_lifetime"))
			akma_engine_set_kaf_life(e, next.kaf_lifetime_s * 1000);
		else if (!strcmp(name, "engine.kakma_lifetime"))
			akma_ctx_set_kakma_life(akma_engine_store(e), next.kakma_lifetime_s * 1000);
		else if (!strcmp(name, "wire.replay_window"))
			akma_sock_set_replay_window(s, next.replay_window_ms);
		else if (!strcmp(name, "log.level"))
			rte_log_set_level_pattern("akma.*", (uint32_t)log_level_of(next.log_level));
		else {
			LOG(WARNING, "SIGHUP: %s changed to %s: takes a restart; keeping %s\n", name, now,
			    was);
			continue;
		}
		LOG(NOTICE, "SIGHUP: %s is now %s (was %s)\n", name, now, was);
	}
	/* Keep what did not change at run time as it is. */
	cur->kaf_lifetime_s = next.kaf_lifetime_s;
	cur->kakma_lifetime_s = next.kakma_lifetime_s;
	cur->replay_window_ms = next.replay_window_ms;
	memcpy(cur->log_level, next.log_level, sizeof(cur->log_level));
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
	struct akma_redis_params rp = {conf->redis_address, conf->redis_sentinels,
				       conf->redis_master_name, password[0] ? password : NULL,
				       (unsigned)conf->redis_timeout_ms};
	struct akma_redis *r = akma_redis_open(&rp, kek, why, sizeof(why));
	explicit_bzero(kek, AKMA_REPL_KEK_LEN);
	explicit_bzero(password, strlen(password));
	if (!r) {
		fprintf(stderr, "akmad: %s; cannot recover contexts (start Redis, or set "
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
			if (rc == 1)
				break;
			if (rc < 0 || stop_requested) {
				if (rc < 0)
					fprintf(stderr, "akmad: redis %s: the lease could not be taken\n",
						akma_redis_server(r));
				akma_redis_close(r);
				return NULL;
			}
			if (!logged++)
				LOG(NOTICE, "the lease is held by %s; waiting for it to expire (up to "
					    "%llu ms)\n",
				    holder, (unsigned long long)conf->lease_ms);
			struct timespec nap = {0, 50 * 1000 * 1000};
			nanosleep(&nap, NULL);
		}
	}
	struct akma_redis_load_stats st;
	LOG(NOTICE, "recovering contexts from redis %s\n", akma_redis_server(r));
	if (akma_redis_load(r, akma_engine_store(e), wall_ms, &st, log_bad_record, log_progress) !=
	    0) {
		fprintf(stderr, "akmad: redis %s: recovery failed after %llu contexts\n",
			akma_redis_server(r), (unsigned long long)st.loaded);
		akma_redis_close(r);
		return NULL;
	}
	LOG(NOTICE,
	    "recovered %llu contexts in %.2f s (%.0f/s); skipped %llu that did not unwrap, %llu of "
	    "another format version, %llu malformed, %llu expired; %llu refused by the store\n",
	    (unsigned long long)st.loaded, st.seconds,
	    st.seconds > 0 ? (double)st.loaded / st.seconds : 0.0, (unsigned long long)st.bad_unwrap,
	    (unsigned long long)st.bad_version, (unsigned long long)st.bad_format,
	    (unsigned long long)st.expired, (unsigned long long)st.refused);
	struct akma_replicator_params p = {e,
					   r,
					   id,
					   (unsigned)conf->lease_ms,
					   (unsigned)conf->redis_wait_replicas,
					   (unsigned)conf->redis_wait_timeout_ms,
					   conf->standby};
	struct akma_replicator *rep = akma_replicator_start(&p, why, sizeof(why));
	if (!rep) {
		fprintf(stderr, "akmad: %s\n", why);
		akma_redis_close(r);
	}
	return rep;
}

int main(int argc, char **argv)
{
	struct akma_conf conf;
	const char *config = AKMA_DEFAULT_CONF;
	char err[1536];
	int eal_argc = 1, app_start = 1;

	/* EAL options end at "--"; with none, every argument is akmad's. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			eal_argc = i;
			app_start = i + 1;
			break;
		}
	}
	for (int i = app_start; i < argc; i++) {
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
			config = argv[i + 1];
	}
	if (load_conf(&conf, config, argc, argv, app_start, err, sizeof(err)) != 0) {
		fprintf(stderr, "akmad: %s\n", err);
		return 1;
	}

	/* Secret files are named relative to the configuration's directory. */
	char psk_path[1024], kek_path[1024], pw_path[1024];
	akma_conf_file_path(config, conf.psk_file, psk_path, sizeof(psk_path));
	akma_conf_file_path(config, conf.kek_file, kek_path, sizeof(kek_path));
	akma_conf_file_path(config, conf.redis_password_file, pw_path, sizeof(pw_path));
	static char tls_cert_path[1024], tls_key_path[1024];
	akma_conf_file_path(config, conf.sbi_tls_cert, tls_cert_path, sizeof(tls_cert_path));
	akma_conf_file_path(config, conf.sbi_tls_key, tls_key_path, sizeof(tls_key_path));
	if (conf.sbi_tls_cert[0] && !conf.sbi_tls_key[0]) {
		fprintf(stderr, "akmad: sbi.tls_cert needs sbi.tls_key\n");
		return 1;
	}
	uint8_t psk[AKMA_WIRE_PSK_LEN], kek[AKMA_REPL_KEK_LEN];
	static char password[512];
	if (akma_psk_read(psk_path, 1, psk, err, sizeof(err)) != 0) {
		fprintf(stderr, "akmad: %s\n", err);
		return 1;
	}
	int replicate = (conf.redis_address[0] || conf.redis_sentinels[0]) &&
			strcmp(conf.repl_mode, "off") != 0;
	if (conf.standby && !replicate) {
		fprintf(stderr, "akmad: --standby needs Redis (--redis HOST:PORT or "
				"redis.sentinels) and replication.mode sync or async\n");
		return 1;
	}
	if (replicate &&
	    (akma_key_file_read("kek file", kek_path, 1, kek, err, sizeof(err)) != 0 ||
	     (conf.redis_password_file[0] &&
	      akma_password_file_read(pw_path, password, sizeof(password), err, sizeof(err)) != 0))) {
		fprintf(stderr, "akmad: %s\n", err);
		explicit_bzero(psk, sizeof(psk));
		return 1;
	}

	unsigned mem_mb = (unsigned)(256 + conf.requests / 512);
	if (akma_eal_init("akmad", eal_argc, argv, mem_mb) < 0)
		return 1;
	logtype = rte_log_register_type_and_pick_level("akma.daemon", RTE_LOG_NOTICE);
	if (logtype < 0)
		logtype = RTE_LOGTYPE_USER1;
	/* log.level applies to every akma.* component: register them all first,
	 * since a pattern reaches only the types that exist when it is set. */
	rte_log_register_type_and_pick_level("akma.engine", RTE_LOG_NOTICE);
	rte_log_register_type_and_pick_level("akma.sock", RTE_LOG_NOTICE);
	rte_log_register_type_and_pick_level("akma.repl", RTE_LOG_NOTICE);
	rte_log_set_level_pattern("akma.*", (uint32_t)log_level_of(conf.log_level));

	enum akma_mb_arch arch;
	akma_mb_arch_parse(conf.mb_arch, &arch); /* the table allows only valid names */
	struct akma_engine_params ep = {
		.capacity = (uint32_t)conf.capacity,
		.kakma_life_ms = conf.kakma_lifetime_s * 1000,
		.kaf_life_ms = conf.kaf_lifetime_s * 1000,
		.ring_size = (unsigned)conf.ring_size,
		.burst = (unsigned)conf.burst,
		.n_requests = (unsigned)conf.requests,
		.mb_arch = arch,
		.workers = (unsigned)conf.workers,
		.idle_sleep_us = (unsigned)conf.idle_sleep_us,
		.repl = !replicate ? AKMA_REPL_OFF
			: !strcmp(conf.repl_mode, "async") ? AKMA_REPL_ASYNC
							   : AKMA_REPL_SYNC,
		.repl_backlog = (unsigned)conf.repl_backlog,
	};
	int rc;
	urcu_qsbr_register_thread();
	struct akma_engine *e = akma_engine_create(&ep, &rc);
	if (!e) {
		fprintf(stderr, "akmad: engine: %s%s\n", akma_strerror(rc),
			rc == -ENODEV ? " (give EAL at least two lcores)" : "");
		explicit_bzero(psk, sizeof(psk));
		explicit_bzero(kek, sizeof(kek));
		explicit_bzero(password, sizeof(password));
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct akma_replicator *rep = NULL;
	if (replicate) {
		rep = start_replication(&conf, e, kek, password);
		if (!rep) {
			urcu_qsbr_thread_offline();
			akma_engine_free(e);
			akma_eal_cleanup();
			explicit_bzero(psk, sizeof(psk));
			return stop_requested ? 0 : 1;
		}
	}
	if (akma_engine_start(e) != 0) {
		fprintf(stderr, "akmad: cannot launch the workers\n");
		explicit_bzero(psk, sizeof(psk));
		akma_replicator_stop(rep, 0);
		urcu_qsbr_thread_offline();
		akma_engine_free(e);
		return 1;
	}
	if (akma_telemetry_register(e, NULL, &conf) != 0)
		LOG(WARNING, "telemetry commands not registered\n");
	akma_telemetry_set_replicator(rep);

	/* A standby serves nothing, its sockets not even bound, until promoted. */
	urcu_qsbr_thread_offline();
	if (rep && !akma_replicator_is_primary(rep)) {
		LOG(NOTICE, "standby: following redis %s; promoted when the primary's lease expires "
			    "or on akmactl promote\n",
		    akma_replicator_server(rep));
		while (!stop_requested && !akma_replicator_is_primary(rep)) {
			struct timespec nap = {0, 10 * 1000 * 1000};
			nanosleep(&nap, NULL);
		}
	}
	struct akma_sock *s = NULL;
	if (!stop_requested) {
		int producer = akma_engine_producer(e);
		struct akma_sock_params sp = {conf.listen, conf.allow_plain_unix, psk,
					      conf.replay_window_ms, (unsigned)conf.max_senders};
		s = akma_sock_open(&sp, e, (unsigned)producer, err, sizeof(err));
	}
	explicit_bzero(psk, sizeof(psk));
	if (!s) {
		if (!stop_requested)
			fprintf(stderr, "akmad: %s\n", err);
		akma_engine_stop(e);
		akma_replicator_stop(rep, 0);
		akma_engine_free(e);
		urcu_qsbr_unregister_thread();
		akma_eal_cleanup();
		return stop_requested ? 0 : 1;
	}
	akma_telemetry_set_sock(s);
	struct akma_sbi *sbi = NULL;
	if (conf.sbi_listen[0]) {
		struct akma_sbi_params bp = {conf.sbi_listen, (unsigned)conf.sbi_max_body,
					     (unsigned)conf.sbi_max_streams,
					     (unsigned)conf.sbi_max_connections,
					     (unsigned)conf.sbi_idle_timeout_ms, {0}, NULL, NULL};
		if (conf.sbi_tls_cert[0]) {
			bp.tls_cert = tls_cert_path;
			bp.tls_key = tls_key_path;
		}
		int sp_id = akma_engine_producer(e);
		if (akma_hex_decode(conf.sbi_default_ua, strlen(conf.sbi_default_ua), bp.default_ua,
				    AKMA_UA_ID_LEN, -AKMA_E_UA_ID_LEN) != 0)
			snprintf(err, sizeof(err), "sbi.default_ua '%s': not 10 hex digits",
				 conf.sbi_default_ua);
		else if (sp_id < 0)
			snprintf(err, sizeof(err), "sbi: no engine producer left");
		else {
			static struct engine_backend eb;
			eb = (struct engine_backend){e, (unsigned)sp_id};
			static const struct akma_sbi_backend backend = {&eb, eb_alloc, eb_release,
									 eb_submit, eb_poll};
			sbi = akma_sbi_start(&bp, &backend, err, sizeof(err));
		}
		if (!sbi) {
			fprintf(stderr, "akmad: %s\n", err);
			stop_requested = 1;
		}
	}
	LOG(NOTICE, "version %s, listening on %s%s%s; %u worker lcore(s), ipsec-mb %s, %llu "
		    "contexts; replication %s%s%s\n",
	    AKMA_VERSION, conf.listen,
	    !sbi ? "" : conf.sbi_tls_cert[0] ? " and HTTP/2 over TLS " : " and h2c ",
	    sbi ? conf.sbi_listen : "",
	    akma_engine_workers(e),
	    akma_mb_arch_name(akma_engine_mb_arch(e)), (unsigned long long)conf.capacity,
	    replicate ? conf.repl_mode : "off", rep ? " to redis " : "",
	    rep ? akma_replicator_server(rep) : "");

	/* The main loop. Offline between control duties: it reads no context. */
	struct akma_ctx_store *store = akma_engine_store(e);
	uint64_t next_duty = 0;
	unsigned idle = 0;
	while (!stop_requested) {
		uint64_t now = wall_ms();
		unsigned work = akma_sock_poll(s, now);
		if (now >= next_duty) {
			urcu_qsbr_thread_online();
			akma_ctx_flush(store);
			akma_ctx_sweep(store, now, 4096);
			urcu_qsbr_thread_offline();
			next_duty = now + 10;
		}
		if (reload_requested) {
			reload_requested = 0;
			reload(&conf, config, argc, argv, app_start, e, s);
		}
		if (work)
			idle = 0;
		else if (++idle > 1000 && akma_sock_in_flight(s) == 0)
			akma_sock_wait(s, 1); /* idle, nothing in the engine: sleep on the sockets */
	}

	/* Stop: answer what is in flight, then wipe everything. */
	LOG(NOTICE, "stopping\n");
	akma_sbi_stop(sbi, 2000); /* GOAWAY, finish the streams in flight */
	uint64_t give_up = wall_ms() + 2000;
	while (akma_sock_in_flight(s) && wall_ms() < give_up)
		akma_sock_poll(s, wall_ms());
	akma_engine_stop(e);
	/* Writes the workers handed on reach Redis (or are answered as failed)
	 * before the last answers go out. */
	akma_replicator_stop(rep, 2000);
	akma_sock_poll(s, wall_ms());
	struct akma_sock_stats st;
	akma_sock_stats(s, &st);
	LOG(NOTICE,
	    "stopped: %llu datagrams in, %llu out; %llu requests; dropped %llu auth, %llu replay, "
	    "%llu stale\n",
	    (unsigned long long)st.rx_datagrams, (unsigned long long)st.tx_datagrams,
	    (unsigned long long)st.requests, (unsigned long long)st.dropped_auth,
	    (unsigned long long)st.dropped_replay, (unsigned long long)st.dropped_stale);
	akma_sock_close(s);
	akma_engine_free(e); /* wipes every context's keys */
	urcu_qsbr_unregister_thread();
	akma_eal_cleanup();
	return 0;
}
