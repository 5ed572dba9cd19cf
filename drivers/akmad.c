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
#include <libgen.h>
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
		"Every key of the configuration is also an option (wins over the file):\n",
		AKMA_DEFAULT_CONF);
	akma_conf_help(out);
	fprintf(out,
		"\nSignals: SIGINT and SIGTERM stop akmad cleanly (requests in flight are\n"
		"answered, every key wiped, exit 0). SIGHUP re-reads the configuration\n"
		"(file, then these options) and applies engine.kaf_lifetime,\n"
		"engine.kakma_lifetime, wire.replay_window and log.level at once; it logs\n"
		"every other changed key as needing a restart and keeps its value.\n"
		"Exit status: 0 after a clean stop; 1 when start-up fails (the reason is\n"
		"printed: the file, line and key for a bad configuration).\n");
}

/* Read the file, then the command-line overrides over it, as at start. */
static int load_conf(struct akma_conf *c, const char *config, int argc, char **argv, int app_start,
		     char *err, size_t err_size)
{
	char name[96];

	akma_conf_defaults(c);
	if (akma_conf_load(c, config, err, err_size) != 0)
		return -1;
	for (int i = app_start; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--config")) {
			i++;
			continue;
		}
		if (!strcmp(a, "--set") && i + 1 < argc) {
			char arg[600];
			snprintf(arg, sizeof(arg), "%s", argv[++i]);
			char *eq = strchr(arg, '=');
			if (!eq) {
				snprintf(err, err_size, "--set %s: expected SECTION.KEY=VALUE", arg);
				return -1;
			}
			*eq = '\0';
			if (akma_conf_set(c, arg, eq + 1, err, err_size) != 0)
				return -1;
			continue;
		}
		if (!strncmp(a, "--", 2) && akma_conf_option_name(a + 2, name, sizeof(name)) &&
		    i + 1 < argc) {
			if (akma_conf_set(c, name, argv[++i], err, err_size) != 0)
				return -1;
			continue;
		}
		snprintf(err, err_size, "unknown option or missing value: %s (see akmad --help)", a);
		return -1;
	}
	return 0;
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

	/* The PSK file is named relative to the configuration's directory. */
	char cfgdir[512], psk_path[1024];
	snprintf(cfgdir, sizeof(cfgdir), "%s", config);
	if (conf.psk_file[0] == '/')
		snprintf(psk_path, sizeof(psk_path), "%s", conf.psk_file);
	else
		snprintf(psk_path, sizeof(psk_path), "%s/%s", dirname(cfgdir), conf.psk_file);
	uint8_t psk[AKMA_WIRE_PSK_LEN];
	if (akma_psk_read(psk_path, 1, psk, err, sizeof(err)) != 0) {
		fprintf(stderr, "akmad: %s\n", err);
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
	};
	int rc;
	urcu_qsbr_register_thread();
	struct akma_engine *e = akma_engine_create(&ep, &rc);
	if (!e) {
		fprintf(stderr, "akmad: engine: %s%s\n", akma_strerror(rc),
			rc == -ENODEV ? " (give EAL at least two lcores)" : "");
		explicit_bzero(psk, sizeof(psk));
		return 1;
	}
	int producer = akma_engine_producer(e);
	struct akma_sock_params sp = {conf.listen, conf.allow_plain_unix, psk,
				      conf.replay_window_ms, (unsigned)conf.max_senders};
	struct akma_sock *s = akma_sock_open(&sp, e, (unsigned)producer, err, sizeof(err));
	explicit_bzero(psk, sizeof(psk));
	if (!s || akma_engine_start(e) != 0) {
		fprintf(stderr, "akmad: %s\n", s ? "cannot launch the workers" : err);
		akma_sock_close(s);
		urcu_qsbr_thread_offline();
		akma_engine_free(e);
		return 1;
	}
	if (akma_telemetry_register(e, s, &conf) != 0)
		LOG(WARNING, "telemetry commands not registered\n");
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	LOG(NOTICE, "version %s, listening on %s; %u worker lcore(s), ipsec-mb %s, %llu contexts\n",
	    AKMA_VERSION, conf.listen, akma_engine_workers(e),
	    akma_mb_arch_name(akma_engine_mb_arch(e)), (unsigned long long)conf.capacity);

	/* The main loop. Offline between control duties: it reads no context. */
	urcu_qsbr_thread_offline();
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
	uint64_t give_up = wall_ms() + 2000;
	while (akma_sock_in_flight(s) && wall_ms() < give_up)
		akma_sock_poll(s, wall_ms());
	akma_engine_stop(e);
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
