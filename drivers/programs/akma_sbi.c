/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akma-sbi: the Naanf_AKMA front end as a program of its own. It keeps no
 * AKMA state: each HTTP/2 stream becomes one request to an akmad over the
 * wire protocol (engine/wire.md), batched into sealed datagrams, so several
 * front ends can share one engine. With a route table (sbi.routes,
 * drivers/route) it stands before several engine groups split by routing
 * indicator. No DPDK here.
 *
 *   akma-sbi [--config FILE] [--server ADDR | --routes FILE] [options]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>

#include "akma_version.h"
#include "akmad_conf.h"
#include "err.h"
#include "clock.h"
#include "log.h"
#include "metrics.h"
#include "rlimit.h"
#include "route.h"
#include "secret.h"
#include "sbi.h"
#include "wire_client.h"

static volatile sig_atomic_t stop_requested, reload_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_requested = 1;
	else
		stop_requested = 1;
}

/* SIGHUP: the configuration read again for the consumer policy and the
 * NRF keys (files included), as akmad does; other keys take a restart. */
static void reload(const char *config, int argc, char **argv, struct akma_sbi *sbi)
{
	static struct akmad_sbi_files files; /* read here only, while reloading */
	static const char *const extra[] = {"--server", "--timeout", "--routes", NULL};
	const char *extra_value[3] = {NULL, NULL, NULL};
	static struct akma_conf next;
	struct akma_sbi_params p;
	char err[1536];
	int open;

	if (akma_conf_load_args(&akmad_conf_table, &next, config, argc, argv, 1, extra, extra_value,
				"akma-sbi", err, sizeof(err)) != 0 ||
	    akmad_conf_sbi_params(&next, config, &p, &files, &open, err, sizeof(err)) != 0 ||
	    akma_sbi_reload(sbi, &p, err, sizeof(err)) != 0) {
		akma_log(LOG_ERR,
			 "akma-sbi: SIGHUP: %s; the certificate, policy and keys stay as they were",
			 err);
		return;
	}
	akma_log(LOG_NOTICE, "akma-sbi: SIGHUP: certificate, policy and NRF keys read again");
	fflush(stdout);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: akma-sbi [--config FILE] [--server ADDR | --routes FILE] [options]\n"
		"\n"
		"The Naanf_AKMA front end (3GPP TS 29.535) over HTTP/2, apart from the\n"
		"engine: it keeps no AKMA state and forwards every request to an akmad over\n"
		"the wire protocol, so several front ends can share one engine.\n"
		"\n"
		"It reads akmad's configuration file: the [sbi] keys (where to listen, TLS,\n"
		"limits), wire.psk_file (the PSK, owner-only, the same for every engine),\n"
		"and, unless --server or a route table says otherwise, the akmad to talk to:\n"
		"the first address of wire.listen.\n"
		"\n"
		"A route table (--routes, sbi.routes) splits subscribers over engine groups\n"
		"by the A-KID's routing indicator (read by engine.rid_rule), one group a\n"
		"line, 'RIDS PRIMARY [STANDBY]':\n"
		"  0000-0499,1234  udp:10.0.0.1:7777  udp:10.0.0.2:7777\n"
		"  0500-0999       udp:10.0.1.1:7777  udp:10.0.1.2:7777\n"
		"  *               udp:10.0.2.1:7777      (every other RID; optional)\n"
		"A retrieve goes to its RID's group; a register too, and a remove of its\n"
		"SUPI to every other group (200 only once they all answered); a\n"
		"remove-context to every group (204 if any removed it, 404 if none had it,\n"
		"503 if none removed it and one did not answer). An A-KID of a RID no group\n"
		"serves gets 400. A group that does not answer in time gets 503 for its\n"
		"RIDs only; an answer NOT_PRIMARY sends the request to the group's other\n"
		"address.\n"
		"\n"
		"Options:\n"
		"  --config FILE   configuration (default %s)\n"
		"  --server ADDR   the akmad: udp:HOST:PORT, udp:[V6]:PORT or unix:PATH\n"
		"  --routes FILE   the route table (sbi.routes); not with --server\n"
		"  --timeout MS    an akmad answer later than this is a 503 (default 1000)\n"
		"  --set SECTION.KEY=VALUE, --SECTION-KEY VALUE\n"
		"                  override a key, as for akmad (akmad --help lists them)\n"
		"  -h, --help      this text\n"
		"  -V, --version   version\n"
		"\n"
		"SIGINT and SIGTERM stop it gracefully: GOAWAY, streams in flight answered.\n"
		"SIGHUP reads sbi.policy, sbi.oauth2_keys and the TLS certificate, key and client\n"
		"CA again, established connections untouched (other keys take a restart).\n"
		"Exit status: 0 after a clean stop, 1 when start-up fails (reason printed).\n",
		akmad_default_config());
}

static struct akma_wire_client *client;
static struct akma_router *router;

static int wc_alloc(void *ctx, struct akma_req **r)
{
	return akma_wire_client_alloc(ctx, r);
}

static void wc_release(void *ctx, struct akma_req *r)
{
	akma_wire_client_release(ctx, r);
}

static unsigned wc_submit(void *ctx, struct akma_req **r, unsigned n, struct akma_req **rej,
			  unsigned *n_rej)
{
	return akma_wire_client_submit(ctx, r, n, rej, n_rej);
}

static unsigned wc_poll(void *ctx, struct akma_req **out, unsigned max)
{
	return akma_wire_client_poll(ctx, out, max);
}

static int rt_alloc(void *ctx, struct akma_req **r)
{
	return akma_router_alloc(ctx, r);
}

static void rt_release(void *ctx, struct akma_req *r)
{
	akma_router_release(ctx, r);
}

static unsigned rt_submit(void *ctx, struct akma_req **r, unsigned n, struct akma_req **rej,
			  unsigned *n_rej)
{
	return akma_router_submit(ctx, r, n, rej, n_rej);
}

static unsigned rt_poll(void *ctx, struct akma_req **out, unsigned max)
{
	return akma_router_poll(ctx, out, max);
}

/* The metrics listener's callback: the SBI's series (akmad_sbi_*), and the
 * route table's (akmad_route_*). */
static void write_metrics(void *ctx, FILE *f)
{
	akma_sbi_write_metrics(ctx, f);
	if (router)
		akma_router_write_metrics(router, f);
}

int main(int argc, char **argv)
{
	const char *config = akmad_default_config();
	struct akma_conf conf;
	char err[1536];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("akma-sbi %s\n", AKMA_VERSION);
			return 0;
		}
		if (!strcmp(argv[i], "--config") && i + 1 < argc)
			config = argv[i + 1];
	}
	static const char *const extra[] = {"--server", "--timeout", "--routes", NULL};
	const char *extra_value[3] = {NULL, NULL, NULL};
	if (akma_conf_load_args(&akmad_conf_table, &conf, config, argc, argv, 1, extra, extra_value,
				"akma-sbi", err, sizeof(err)) != 0) {
		fprintf(stderr, "akma-sbi: %s\n", err);
		return 1;
	}
	if (akma_log_setup("akma-sbi", conf.log_target) != 0)
		fprintf(stderr, "akma-sbi: log.target %s: not usable; logging to stderr\n",
			conf.log_target);
	if (!conf.sbi_listen[0]) {
		fprintf(stderr, "akma-sbi: sbi.listen is empty: nothing to serve\n");
		return 1;
	}
	char server[AKMA_CONF_STR_MAX];
	if (extra_value[0])
		snprintf(server, sizeof(server), "%s", extra_value[0]);
	else
		snprintf(server, sizeof(server), "%.*s", (int)strcspn(conf.listen, ","),
			 conf.listen);
	char *end;
	long timeout = extra_value[1] ? strtol(extra_value[1], &end, 10) : 1000;
	if (extra_value[1] && (*end || timeout < 10 || timeout > 60000)) {
		fprintf(stderr, "akma-sbi: --timeout: 10..60000 milliseconds\n");
		return 1;
	}

	char psk_path[1024];
	static struct akmad_sbi_files files;
	struct akma_sbi_params p;
	int open;
	if (akmad_conf_sbi_params(&conf, config, &p, &files, &open, err, sizeof(err)) != 0) {
		fprintf(stderr, "akma-sbi: %s\n", err);
		return 1;
	}
	akma_conf_file_path(config, conf.psk_file, psk_path, sizeof(psk_path));
	uint8_t psk[32];
	if (akma_psk_read(psk_path, 1, psk, err, sizeof(err)) != 0) {
		fprintf(stderr, "akma-sbi: %s\n", err);
		return 1;
	}
	const char *routes = extra_value[2] ? extra_value[2] : conf.sbi_routes;
	if (routes[0] && extra_value[0]) {
		fprintf(stderr, "akma-sbi: --server and a route table (%s) exclude each other\n",
			extra_value[2] ? "--routes" : "sbi.routes");
		return 1;
	}
	static struct akma_route_table table;
	if (routes[0]) {
		char path[1024];
		struct akma_rid_set unused;
		struct akma_rid_rule rule;
		int filter;
		if (extra_value[2])
			snprintf(path, sizeof(path), "%s", routes);
		else
			akma_conf_file_path(config, routes, path, sizeof(path));
		if (akmad_conf_rids(&conf, &unused, &rule, &filter, err, sizeof(err)) != 0 ||
		    akma_route_table_load(path, &rule, &table, err, sizeof(err)) != 0) {
			fprintf(stderr, "akma-sbi: %s\n", err);
			return 1;
		}
		snprintf(server, sizeof(server), "%u engine group%s (%.200s)", table.n,
			 table.n == 1 ? "" : "s", path);
	}
	/* Enough requests for every stream of a full house, bounded (a route
	 * table's fan-out takes one more per other group). */
	unsigned slots = 8192;
	struct akma_sbi_backend b;
	if (routes[0]) {
		router = akma_router_open(&table, psk, slots, (unsigned)timeout, err, sizeof(err));
		b = (struct akma_sbi_backend){router, rt_alloc, rt_release, rt_submit, rt_poll};
	} else {
		client = akma_wire_client_open(server, psk, slots, (unsigned)timeout, err,
					       sizeof(err));
		b = (struct akma_sbi_backend){client, wc_alloc, wc_release, wc_submit, wc_poll};
	}
	explicit_bzero(psk, sizeof(psk));
	if (!client && !router) {
		fprintf(stderr, "akma-sbi: %s\n", err);
		return 1;
	}
	akma_raise_nofile();
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct akma_sbi *sbi = akma_sbi_start(&p, &b, err, sizeof(err));
	if (!sbi) {
		fprintf(stderr, "akma-sbi: %s\n", err);
		akma_wire_client_close(client);
		akma_router_close(router);
		return 1;
	}
	struct akma_metrics *metrics = NULL;
	if (conf.metrics_front_end_listen[0]) {
		static char build[192];
		snprintf(build, sizeof(build), "version=\"%s\",nghttp2=\"%s\",openssl=\"%s\"",
			 AKMA_VERSION, nghttp2_version(0)->version_str,
			 OpenSSL_version(OPENSSL_VERSION_STRING));
		struct akma_metrics_params mp = {conf.metrics_front_end_listen, "akma-sbi", build,
						 write_metrics, sbi};
		metrics = akma_metrics_start(&mp, err, sizeof(err));
		if (!metrics) {
			fprintf(stderr, "akma-sbi: %s (metrics.front_end_listen)\n", err);
			akma_sbi_stop(sbi, 0);
			akma_wire_client_close(client);
			akma_router_close(router);
			return 1;
		}
		akma_log(LOG_NOTICE, "akma-sbi: metrics on http://%s/metrics",
			 akma_metrics_address(metrics));
	}
	akma_log(LOG_NOTICE, "akma-sbi %s: serving %s%s on %s, forwarding to akmad at %s",
		 AKMA_VERSION, conf.sbi_tls_cert[0] ? "HTTP/2 over TLS" : "h2c",
		 p.tls_client_ca ? (p.oauth2 ? " (mTLS, OAuth2)" : " (mTLS)")
		 : p.oauth2      ? " (OAuth2)"
				 : "",
		 conf.sbi_listen, server);
	if (open)
		akma_log(LOG_NOTICE,
			 "akma-sbi: no consumer is authenticated (neither sbi.tls_client_ca nor "
			 "sbi.oauth2): every caller is trusted%s\n",
			 conf.sbi_insecure ? " (sbi.insecure)" : "; loopback only");
	fflush(stdout);
	while (!stop_requested) {
		akma_sleep_ms(50);
		if (reload_requested) {
			reload_requested = 0;
			reload(config, argc, argv, sbi);
		}
	}
	akma_metrics_stop(metrics);
	akma_sbi_stop(sbi, 2000);
	akma_wire_client_close(client);
	akma_router_close(router);
	akma_log(LOG_NOTICE, "akma-sbi: stopped");
	return 0;
}
