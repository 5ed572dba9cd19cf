/* SPDX-License-Identifier: BSD-3-Clause */
/* akmad's table of tunables (see akmad_conf.h). */
#include "akmad_conf.h"

#include <stddef.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "addr.h"
#include "err.h"
#include "hex.h"
#include "uuid.h"

#define F(field) offsetof(struct akma_conf, field)

static const struct akma_conf_key keys[] = {
	{"engine", "capacity", AKMA_CONF_UINT, F(capacity), 64, 1u << 28, 0, "contexts", NULL,
	 "1000000",
	 "AKMA contexts the store holds; ~300 octets each, mapped and prefaulted at start", NULL},
	{"engine", "kakma_lifetime", AKMA_CONF_UINT, F(kakma_lifetime_s), 0, 10ull * 365 * 86400, 0,
	 "seconds", NULL, "0",
	 "K_AKMA lifetime from registration; 0 keeps a context until replaced or removed", NULL},
	{"engine", "kaf_lifetime", AKMA_CONF_UINT, F(kaf_lifetime_s), 1, 365 * 86400, 0, "seconds",
	 NULL, "86400",
	 "K_AF lifetime from the context's registration, the same expiry for every retrieve and "
	 "never past the context's end of life; after it no K_AF is given until the AUSF "
	 "registers a new K_AKMA, so set it at least as long as the re-authentication period",
	 NULL},
	{"engine", "workers", AKMA_CONF_UINT, F(workers), 0, 16, 0, "lcores", NULL, "0",
	 "worker lcores; 0 uses every EAL lcore but the main one", NULL},
	{"engine", "ring_size", AKMA_CONF_UINT, F(ring_size), 64, 65536, 1, "requests", NULL,
	 "1024", "slots of each producer-to-worker ring (a power of two)", NULL},
	{"engine", "burst", AKMA_CONF_UINT, F(burst), 1, 64, 0, "requests", NULL, "32",
	 "requests a worker takes from a ring at once", NULL},
	{"engine", "requests", AKMA_CONF_UINT, F(requests), 1024, 1u << 22, 0, "requests", NULL,
	 "65536", "request objects in the pool: the most that can be in flight", NULL},
	{"engine", "idle_spin", AKMA_CONF_UINT, F(idle_spin_us), 0, 1000, 0, "microseconds", NULL,
	 "5",
	 "a worker with nothing to do polls this long before it naps: longer answers a "
	 "request after a short pause sooner, shorter leaves a shared core's CPU to the "
	 "other threads (Redis, the SBI)",
	 NULL},
	{"engine", "idle_sleep", AKMA_CONF_UINT, F(idle_sleep_us), 0, 1000000, 0, "microseconds",
	 NULL, "1000",
	 "then it sleeps until a request comes (a submission wakes it at once), at most this "
	 "long; 0 polls without pause (dedicated cores)",
	 NULL},
	{"engine", "mb_arch", AKMA_CONF_CHOICE, F(mb_arch), 0, 0, 0, NULL,
	 "auto|sse|avx|avx2|avx512|shani", "auto",
	 "code path for K_AF bursts: an ipsec-mb manager, or shani (akmad's own four-lane SHA-NI "
	 "kernel); auto times each this CPU runs at start, in bursts like the workers' under many "
	 "keys, and keeps the fastest",
	 NULL},
	{"engine", "routing_indicators", AKMA_CONF_STRING, F(routing_indicators), 0,
	 AKMA_CONF_STR_MAX - 1, 0, NULL, NULL, "",
	 "the routing indicators this engine serves, comma-separated RIDs (1 to 4 digits, "
	 "compared as strings: 01 is not 1) and ranges of one length (0100-0199); a GET_KAF or "
	 "REGISTER for an A-KID of another RID is answered RID_NOT_SERVED (SBI: 400); also the "
	 "NRF profile's aanfInfoList routingIndicators; empty: every A-KID",
	 NULL},
	{"engine", "rid_rule", AKMA_CONF_STRING, F(rid_rule), 3, 8, 0, NULL, NULL, "dot",
	 "where an A-KID's username carries its RID (TS 33.535 leaves it open): dot, the "
	 "username up to its first '.'; prefix:N, its first N characters (1..4)",
	 NULL},
	{"wire", "listen", AKMA_CONF_STRING, F(listen), 1, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL,
	 "udp:127.0.0.1:7777",
	 "comma-separated addresses: udp:IPv4:PORT, udp:[IPv6]:PORT, unix:PATH", NULL},
	{"wire", "psk_file", AKMA_CONF_STRING, F(psk_file), 1, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL,
	 "akmad.psk",
	 "file with the 32-octet pre-shared key in hex, readable by its owner only; relative "
	 "to the configuration file's directory",
	 NULL},
	{"wire", "allow_plain_unix", AKMA_CONF_BOOL, F(allow_plain_unix), 0, 1, 0, NULL, NULL,
	 "false", "accept unencrypted datagrams on unix: sockets (never on UDP)", NULL},
	{"wire", "replay_window", AKMA_CONF_UINT, F(replay_window_ms), 1000, 600000, 0,
	 "milliseconds", NULL, "30000",
	 "accepted clock difference of a datagram's timestamp, ahead or behind", NULL},
	{"wire", "max_senders", AKMA_CONF_UINT, F(max_senders), 16, 1u << 24, 0, "senders", NULL,
	 "65536", "senders whose replay windows are kept at once", NULL},
	{"ethdev", "ports", AKMA_CONF_STRING, F(ethdev_ports), 0, AKMA_CONF_STR_MAX - 1, 0, NULL,
	 NULL, "",
	 "comma-separated DPDK ports that also serve the wire protocol, by the EAL's name "
	 "(net_af_packet0, net_memif0, 0000:3b:00.0) or number: give the devices with EAL "
	 "options (akmad --vdev=net_af_packet0,iface=eth1 ... -- --config FILE); empty: the "
	 "kernel sockets of wire.listen only",
	 NULL},
	{"ethdev", "ipv4", AKMA_CONF_STRING, F(ethdev_ipv4), 0, AKMA_CONF_STR_MAX - 1, 0, NULL,
	 NULL, "",
	 "each port's own IPv4 address, comma-separated in the order of ethdev.ports, - for "
	 "none; akmad answers ARP and ping for it. Not an address of the host's kernel",
	 NULL},
	{"ethdev", "ipv6", AKMA_CONF_STRING, F(ethdev_ipv6), 0, AKMA_CONF_STR_MAX - 1, 0, NULL,
	 NULL, "",
	 "each port's own IPv6 address, as ethdev.ipv4 (neighbour discovery and ping answered, "
	 "for it and the port's fe80:: address); every port needs an IPv4 or IPv6 address",
	 NULL},
	{"ethdev", "udp_port", AKMA_CONF_STRING, F(ethdev_udp_port), 1, AKMA_CONF_STR_MAX - 1, 0,
	 NULL, NULL, "7777",
	 "the wire protocol's UDP port on each port: one for all, or one per port in order", NULL},
	{"ethdev", "rx_queues", AKMA_CONF_UINT, F(ethdev_rx_queues), 1, AKMA_ETHDEV_MAX_QUEUES, 0,
	 "queues", NULL, "1",
	 "receive queues of each port, all polled by the main lcore; above 1, RSS on the UDP "
	 "4-tuple spreads senders over them",
	 NULL},
	{"ethdev", "rx_desc", AKMA_CONF_UINT, F(ethdev_rx_desc), 64, 16384, 1, "descriptors", NULL,
	 "1024", "receive ring of each queue (a power of two; the PMD may round it)", NULL},
	{"ethdev", "tx_desc", AKMA_CONF_UINT, F(ethdev_tx_desc), 64, 16384, 1, "descriptors", NULL,
	 "1024", "transmit ring of each port (a power of two; the PMD may round it)", NULL},
	{"ethdev", "mbufs", AKMA_CONF_UINT, F(ethdev_mbufs), 1024, 1u << 20, 0, "mbufs", NULL,
	 "8191",
	 "packet buffers of the pool of each NUMA socket with a port, 2 KiB each; at least the "
	 "receive descriptors of its ports plus the datagrams in flight",
	 NULL},
	{"ethdev", "mtu", AKMA_CONF_UINT, F(ethdev_mtu), 0, 9600, 0, "octets", NULL, "0",
	 "IP MTU of every port; 0 keeps each port's own. akmad takes no IP fragments, so a "
	 "request datagram must fit one frame (16 GET_KAF of 90-octet A-KIDs need ~1650); "
	 "answers above it go as fragments; mbufs are sized for it (net_af_packet needs "
	 "framesz= above it)",
	 NULL},
	{"ethdev", "idle_sleep", AKMA_CONF_UINT, F(ethdev_idle_sleep_us), 0, 1000, 0,
	 "microseconds", NULL, "100",
	 "with ports, the main lcore idle for ~1000 polls naps this long between polls (a "
	 "datagram arriving then waits at most this); 0 polls without pause (a dedicated core)",
	 NULL},
	{"sbi", "listen", AKMA_CONF_STRING, F(sbi_listen), 0, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL,
	 "127.0.0.1:8080",
	 "Naanf_AKMA over HTTP/2 cleartext (h2c, prior knowledge) on HOST:PORT or [V6]:PORT; "
	 "empty: no SBI front end",
	 NULL},
	{"sbi", "max_body", AKMA_CONF_UINT, F(sbi_max_body), 256, 1u << 20, 0, "octets", NULL,
	 "16384", "request bodies above this are refused with 413", NULL},
	{"sbi", "max_streams", AKMA_CONF_UINT, F(sbi_max_streams), 1, 65536, 0, "streams", NULL,
	 "128", "concurrent streams a connection may open (SETTINGS_MAX_CONCURRENT_STREAMS)", NULL},
	{"sbi", "body_budget", AKMA_CONF_UINT, F(sbi_body_budget), 65536, 1ull << 36, 0, "octets",
	 NULL, "67108864",
	 "memory for request bodies, every stream of every connection together; a request "
	 "that would pass it gets 503 NF_CONGESTION",
	 NULL},
	{"sbi", "max_header_list", AKMA_CONF_UINT, F(sbi_max_header_list), 4096, 1u << 20, 0,
	 "octets", NULL, "16384",
	 "a request's header list (name + value + 32 per field, RFC 9113 6.5.2) above this closes "
	 "its connection with GOAWAY ENHANCE_YOUR_CALM; announced as "
	 "SETTINGS_MAX_HEADER_LIST_SIZE",
	 NULL},
	{"sbi", "max_connections", AKMA_CONF_UINT, F(sbi_max_connections), 1, 1u << 20, 0,
	 "connections", NULL, "4096", "connections beyond this are closed at once", NULL},
	{"sbi", "idle_timeout", AKMA_CONF_UINT, F(sbi_idle_timeout_ms), 1000, 86400000, 0,
	 "milliseconds", NULL, "60000",
	 "a connection with no stream open this long is closed (GOAWAY)", NULL},
	{"sbi", "request_timeout", AKMA_CONF_UINT, F(sbi_request_timeout_ms), 100, 3600000, 0,
	 "milliseconds", NULL, "10000",
	 "a stream not complete (END_STREAM) this long after its first HEADERS closes its "
	 "connection",
	 NULL},
	{"sbi", "header_timeout", AKMA_CONF_UINT, F(sbi_header_timeout_ms), 100, 3600000, 0,
	 "milliseconds", NULL, "5000",
	 "a header block not complete this long after it began closes its connection", NULL},
	{"sbi", "max_connections_per_address", AKMA_CONF_UINT, F(sbi_max_connections_per_address),
	 0, 1u << 20, 0, "connections", NULL, "0",
	 "connections one client address may hold, beyond which new ones are closed at once; 0: "
	 "no bound (an SCP carries many consumers on one address)",
	 NULL},
	{"sbi", "default_ua", AKMA_CONF_STRING, F(sbi_default_ua), 10, 10, 0, NULL, NULL,
	 "0100000007",
	 "the Ua* security protocol identifier (10 hex digits, TS 33.220 Annex H) of an afId "
	 "given as a bare FQDN",
	 NULL},
	{"sbi", "tls_cert", AKMA_CONF_STRING, F(sbi_tls_cert), 0, AKMA_CONF_STR_MAX - 1, 0, NULL,
	 NULL, "",
	 "PEM certificate chain; with sbi.tls_key, the SBI speaks HTTP/2 over TLS 1.2/1.3 (ALPN "
	 "h2) instead of h2c; relative to the configuration file's directory",
	 NULL},
	{"sbi", "tls_key", AKMA_CONF_STRING, F(sbi_tls_key), 0, AKMA_CONF_STR_MAX - 1, 0, NULL,
	 NULL, "", "PEM private key of sbi.tls_cert, readable by its owner only", NULL},
	{"sbi", "tls_client_ca", AKMA_CONF_STRING, F(sbi_tls_client_ca), 0, AKMA_CONF_STR_MAX - 1,
	 0, NULL, NULL, "",
	 "PEM bundle of the CAs that sign consumers' certificates: mutual TLS, a handshake "
	 "without a valid client certificate is refused; needs sbi.tls_cert; relative to the "
	 "configuration file's directory",
	 NULL},
	{"sbi", "oauth2", AKMA_CONF_CHOICE, F(sbi_oauth2), 0, 0, 0, NULL, "off|require", "off",
	 "require: every request needs an NRF's access token (Authorization: Bearer), checked "
	 "against sbi.oauth2_keys and sbi.oauth2_issuers",
	 NULL},
	{"sbi", "oauth2_keys", AKMA_CONF_STRING, F(sbi_oauth2_keys), 0, AKMA_CONF_STR_MAX - 1, 0,
	 NULL, NULL, "",
	 "PEM file of the NRFs' public keys (ES256 P-256 or RS256), each after a line 'issuer = "
	 "NRF-INSTANCE-ID' (and optionally 'kid = ID'); read at start and on SIGHUP; relative "
	 "to the configuration file's directory",
	 NULL},
	{"sbi", "oauth2_issuers", AKMA_CONF_STRING, F(sbi_oauth2_issuers), 0, AKMA_CONF_STR_MAX - 1,
	 0, NULL, NULL, "", "the NRF instance IDs whose tokens are accepted, comma-separated",
	 NULL},
	{"sbi", "oauth2_skew", AKMA_CONF_UINT, F(sbi_oauth2_skew_s), 0, 300, 0, "seconds", NULL,
	 "30", "clock difference allowed on a token's exp, nbf and iat", NULL},
	{"sbi", "nf_instance_id", AKMA_CONF_STRING, F(sbi_nf_instance_id), 0, 36, 0, NULL, NULL, "",
	 "this AAnF instance's NF instance ID (a UUID), the same in every front end of it: a "
	 "token's aud may name it",
	 NULL},
	{"sbi", "policy", AKMA_CONF_STRING, F(sbi_policy), 0, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL,
	 "",
	 "the consumer policy: each consumer's role and identity, the AF names an AF or the NEF "
	 "may ask keys for (conf/policy.conf); needed with mTLS or OAuth2; read at start and on "
	 "SIGHUP; relative to the configuration file's directory",
	 NULL},
	{"sbi", "routes", AKMA_CONF_STRING, F(sbi_routes), 0, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL,
	 "",
	 "akma-sbi only: the route table, a file of lines 'RIDS PRIMARY [STANDBY]' sending each "
	 "A-KID to the engine group of its RID (akma-sbi(8)); empty: every request to one akmad; "
	 "relative to the configuration file's directory",
	 NULL},
	{"sbi", "insecure", AKMA_CONF_BOOL, F(sbi_insecure), 0, 1, 0, NULL, NULL, "false",
	 "allow sbi.listen off loopback with neither mTLS nor OAuth2 (every caller trusted); "
	 "for a lab only",
	 NULL},
	{"redis", "address", AKMA_CONF_STRING, F(redis_address), 0, AKMA_CONF_STR_MAX - 1, 0, NULL,
	 NULL, "", "Redis server as HOST:PORT; empty (and no sentinels): no replication", "redis"},
	{"redis", "password_file", AKMA_CONF_STRING, F(redis_password_file), 0,
	 AKMA_CONF_STR_MAX - 1, 0, NULL, NULL, "",
	 "file whose first line is the Redis AUTH password, readable by its owner only; "
	 "relative to the configuration file's directory; empty: no AUTH",
	 NULL},
	{"redis", "sentinels", AKMA_CONF_STRING, F(redis_sentinels), 0, AKMA_CONF_STR_MAX - 1, 0,
	 NULL, NULL, "",
	 "Redis Sentinel addresses, HOST:PORT,HOST:PORT...; when set, the master is asked "
	 "of them (and again after every failure) instead of using redis.address",
	 NULL},
	{"redis", "master_name", AKMA_CONF_STRING, F(redis_master_name), 1, AKMA_CONF_STR_MAX - 1,
	 0, NULL, NULL, "mymaster", "the Sentinel master name", NULL},
	{"redis", "timeout", AKMA_CONF_UINT, F(redis_timeout_ms), 10, 60000, 0, "milliseconds",
	 NULL, "2000", "connect, read and write timeout of every Redis call", NULL},
	{"redis", "wait_replicas", AKMA_CONF_UINT, F(redis_wait_replicas), 0, 16, 0, "replicas",
	 NULL, "0",
	 "a batch counts as written once this many Redis replicas have it too (WAIT), so a "
	 "Redis failover cannot lose it",
	 NULL},
	{"redis", "wait_timeout", AKMA_CONF_UINT, F(redis_wait_timeout_ms), 1, 60000, 0,
	 "milliseconds", NULL, "500",
	 "how long a WAIT waits for the replicas before the batch is sent again", NULL},
	{"replication", "mode", AKMA_CONF_CHOICE, F(repl_mode), 0, 0, 0, NULL, "sync|async|off",
	 "sync",
	 "sync: a REGISTER or REMOVE is answered once Redis has it (refused while Redis is "
	 "unreachable); async: answered at once, written as soon as possible; off: not "
	 "replicated. Applies when Redis is configured",
	 "replication"},
	{"replication", "kek_file", AKMA_CONF_STRING, F(kek_file), 1, AKMA_CONF_STR_MAX - 1, 0,
	 NULL, NULL, "akmad.kek",
	 "file with the 32-octet key-encryption key (64 hex digits) that wraps K_AKMA in "
	 "Redis, readable by its owner only; relative to the configuration file's directory",
	 "kek-file"},
	{"replication", "standby", AKMA_CONF_BOOL, F(standby), 0, 1, 0, NULL, NULL, "false",
	 "start as a standby: load and follow Redis, serve nothing until promoted (the "
	 "primary's lease expires, or akmactl promote)",
	 "standby"},
	{"replication", "lease", AKMA_CONF_UINT, F(lease_ms), 300, 300000, 0, "milliseconds", NULL,
	 "3000",
	 "the primary's lease in Redis, renewed every third of it; nothing is served, reads "
	 "included, past a renewal's lease less a tenth; a standby serves a tenth after it "
	 "expires. Longer than 1.76 x (Sentinel down-after-milliseconds + election + 1 s + "
	 "redis.wait_timeout) so that a Redis failover does not stop reads (README)",
	 NULL},
	{"replication", "feed_window", AKMA_CONF_UINT, F(feed_window_ms), 1000, 86400000, 0,
	 "milliseconds", NULL, "60000",
	 "how far back the change feed (the Redis stream akma:feed) reaches: a standby "
	 "disconnected for less catches up from it, one away longer reloads everything; Redis "
	 "holds some 40 octets per write of the window",
	 NULL},
	{"replication", "backlog", AKMA_CONF_UINT, F(repl_backlog), 0, 1u << 21, 0, "writes", NULL,
	 "0", "writes awaiting Redis before more are refused; 0: half of engine.requests", NULL},
	{"nrf", "uri", AKMA_CONF_STRING, F(nrf_uri), 0, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL, "",
	 "the NRF's apiRoot, http://HOST:PORT (h2c) or https://HOST:PORT (TLS); the primary "
	 "registers the AAnF there (Nnrf_NFManagement), heartbeats, and deregisters on a clean "
	 "stop; needs sbi.nf_instance_id; empty: no NRF",
	 NULL},
	{"nrf", "endpoints", AKMA_CONF_STRING, F(nrf_endpoints), 0, AKMA_CONF_STR_MAX - 1, 0, NULL,
	 NULL, "",
	 "the SBI front ends of this AAnF instance, comma-separated HOST:PORT or [V6]:PORT, as the "
	 "profile's ipEndPoints (the akma-sbi instances before it); empty: sbi.listen",
	 NULL},
	{"nrf", "heartbeat", AKMA_CONF_UINT, F(nrf_heartbeat_s), 5, 3600, 0, "seconds", NULL, "30",
	 "the heartBeatTimer proposed; akmad heartbeats at the interval the NRF answers", NULL},
	{"nrf", "retry_max", AKMA_CONF_UINT, F(nrf_retry_max_s), 1, 600, 0, "seconds", NULL, "30",
	 "a failed registration is retried after 1 s, doubling up to this", NULL},
	{"nrf", "tls_ca", AKMA_CONF_STRING, F(nrf_tls_ca), 0, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL,
	 "",
	 "PEM CA bundle the NRF's certificate is verified against (https); empty: the system's; "
	 "relative to the configuration file's directory",
	 NULL},
	{"nrf", "tls_cert", AKMA_CONF_STRING, F(nrf_tls_cert), 0, AKMA_CONF_STR_MAX - 1, 0, NULL,
	 NULL, "",
	 "PEM client certificate akmad presents to the NRF (https); empty: sbi.tls_cert; "
	 "relative to the configuration file's directory",
	 NULL},
	{"nrf", "tls_key", AKMA_CONF_STRING, F(nrf_tls_key), 0, AKMA_CONF_STR_MAX - 1, 0, NULL,
	 NULL, "", "its private key; empty: sbi.tls_key", NULL},
	{"metrics", "listen", AKMA_CONF_STRING, F(metrics_listen), 0, AKMA_CONF_STR_MAX - 1, 0,
	 NULL, NULL, "127.0.0.1:9464",
	 "akmad's Prometheus metrics over plain HTTP/1.1 (GET /metrics) on HOST:PORT or "
	 "[V6]:PORT; empty: none. A second akmad on one host needs its own",
	 NULL},
	{"metrics", "front_end_listen", AKMA_CONF_STRING, F(metrics_front_end_listen), 0,
	 AKMA_CONF_STR_MAX - 1, 0, NULL, NULL, "127.0.0.1:9465",
	 "akma-sbi's metrics listener, as metrics.listen is akmad's (both read this file); "
	 "empty: none",
	 NULL},
	{"log", "level", AKMA_CONF_CHOICE, F(log_level), 0, 0, 0, NULL,
	 "error|warning|notice|info|debug", "notice", "least severe messages logged", NULL},
	{"log", "target", AKMA_CONF_CHOICE, F(log_target), 0, 0, 0, NULL, "stderr|syslog", "stderr",
	 "where the log goes: stderr, one line an event with a UTC timestamp and a severity (with "
	 "sd-daemon <N> priority prefixes instead when stderr is the journal), or syslog (facility "
	 "daemon)",
	 NULL},
};

/* The build tree's programs read the checkout's conf/akmad.conf (so that
 * scripts/run.sh and the tests need no install); installed ones read
 * sysconfdir's. Which one is running: where /proc/self/exe is. */
const char *akmad_default_config(void)
{
	char exe[PATH_MAX], build[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	/* Both canonical: the build directory may have been named through a
	 * symbolic link. */
	if (n > 0 && realpath(AKMA_BUILD_DIR, build)) {
		size_t bl = strlen(build);
		exe[n] = '\0';
		if (!strncmp(exe, build, bl) && exe[bl] == '/')
			return AKMA_BUILD_CONF;
	}
	return AKMA_INSTALLED_CONF;
}

const struct akma_conf_table akmad_conf_table = {keys, sizeof(keys) / sizeof(keys[0]),
						 sizeof(struct akma_conf)};

int akmad_conf_rids(const struct akma_conf *c, struct akma_rid_set *set, struct akma_rid_rule *rule,
		    int *filter, char *why, size_t why_size)
{
	char e[256];

	if (akma_rid_rule_parse(c->rid_rule, rule, e, sizeof(e)) != 0) {
		snprintf(why, why_size, "engine.rid_rule %s", e);
		return -1;
	}
	if (akma_rid_set_parse(c->routing_indicators, set, e, sizeof(e)) != 0) {
		snprintf(why, why_size, "engine.routing_indicators %s", e);
		return -1;
	}
	*filter = akma_rid_set_count(set) > 0;
	return 0;
}

/* A loopback address, where only this host can reach the SBI. */
static int is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a);
	}
	return 0;
}

int akmad_conf_sbi_params(const struct akma_conf *c, const char *config, struct akma_sbi_params *p,
			  struct akmad_sbi_files *f, int *open, char *why, size_t why_size)
{
	memset(p, 0, sizeof(*p));
	p->listen = c->sbi_listen;
	p->max_body = (unsigned)c->sbi_max_body;
	p->body_budget = (size_t)c->sbi_body_budget;
	p->max_streams = (unsigned)c->sbi_max_streams;
	p->max_header_list = (unsigned)c->sbi_max_header_list;
	p->max_connections = (unsigned)c->sbi_max_connections;
	p->idle_timeout_ms = (unsigned)c->sbi_idle_timeout_ms;
	p->request_timeout_ms = (unsigned)c->sbi_request_timeout_ms;
	p->header_timeout_ms = (unsigned)c->sbi_header_timeout_ms;
	p->max_connections_per_address = (unsigned)c->sbi_max_connections_per_address;
	if (akma_hex_decode(c->sbi_default_ua, strlen(c->sbi_default_ua), p->default_ua,
			    AKMA_UA_ID_LEN, -AKMA_E_UA_ID_LEN) != 0) {
		snprintf(why, why_size, "sbi.default_ua '%s': not 10 hex digits",
			 c->sbi_default_ua);
		return -1;
	}
	if (c->sbi_tls_cert[0] && !c->sbi_tls_key[0]) {
		snprintf(why, why_size, "sbi.tls_cert needs sbi.tls_key");
		return -1;
	}
	if (c->sbi_tls_client_ca[0] && !c->sbi_tls_cert[0]) {
		snprintf(why, why_size, "sbi.tls_client_ca needs sbi.tls_cert and sbi.tls_key");
		return -1;
	}
	if (c->sbi_tls_cert[0]) {
		akma_conf_file_path(config, c->sbi_tls_cert, f->cert, sizeof(f->cert));
		akma_conf_file_path(config, c->sbi_tls_key, f->key, sizeof(f->key));
		p->tls_cert = f->cert;
		p->tls_key = f->key;
	}
	if (c->sbi_tls_client_ca[0]) {
		akma_conf_file_path(config, c->sbi_tls_client_ca, f->client_ca,
				    sizeof(f->client_ca));
		p->tls_client_ca = f->client_ca;
	}
	p->oauth2 = !strcmp(c->sbi_oauth2, "require");
	if (p->oauth2 && !c->sbi_oauth2_keys[0]) {
		snprintf(why, why_size, "sbi.oauth2 require needs sbi.oauth2_keys");
		return -1;
	}
	if (c->sbi_oauth2_keys[0]) {
		akma_conf_file_path(config, c->sbi_oauth2_keys, f->oauth2_keys,
				    sizeof(f->oauth2_keys));
		p->oauth2_keys = f->oauth2_keys;
	}
	p->oauth2_issuers = c->sbi_oauth2_issuers;
	p->oauth2_skew_s = (unsigned)c->sbi_oauth2_skew_s;
	if (c->sbi_nf_instance_id[0] &&
	    !akma_uuid_valid(c->sbi_nf_instance_id, strlen(c->sbi_nf_instance_id))) {
		snprintf(why, why_size, "sbi.nf_instance_id '%s': not a UUID (8-4-4-4-12 hex)",
			 c->sbi_nf_instance_id);
		return -1;
	}
	p->nf_instance_id = c->sbi_nf_instance_id;
	if (c->sbi_policy[0]) {
		akma_conf_file_path(config, c->sbi_policy, f->policy, sizeof(f->policy));
		p->policy = f->policy;
	}
	int authenticates = p->oauth2 || p->tls_client_ca;
	if (authenticates && !p->policy) {
		snprintf(
			why, why_size,
			"sbi.policy is empty: with mTLS or OAuth2 on, the policy says who may call "
			"what (conf/policy.conf is an example)");
		return -1;
	}
	*open = !authenticates;
	struct sockaddr_storage ss;
	socklen_t len;
	if (c->sbi_listen[0] && akma_addr_parse("sbi.listen", c->sbi_listen, AKMA_ADDR_HOSTPORT,
						&ss, &len, why, why_size) != 0)
		return -1;
	if (c->sbi_listen[0] && !authenticates && !is_loopback(&ss) && !c->sbi_insecure) {
		snprintf(
			why, why_size,
			"sbi.listen %s is not a loopback address and neither sbi.tls_client_ca "
			"nor sbi.oauth2 is set: any host could register and read every "
			"subscriber's keys; set one (and sbi.policy), or sbi.insecure = true for a "
			"lab",
			c->sbi_listen);
		return -1;
	}
	return 0;
}

/* The next comma-separated item of *list into out (spaces trimmed); 0 at
 * the end. */
static int next_item(const char **list, char *out, size_t size)
{
	const char *p = *list;
	while (*p == ' ')
		p++;
	if (!*p)
		return 0;
	const char *end = strchr(p, ',');
	size_t n = end ? (size_t)(end - p) : strlen(p);
	while (n && p[n - 1] == ' ')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(out, p, n);
	out[n] = 0;
	*list = end ? end + 1 : p + strlen(p);
	return 1;
}

static unsigned count_items(const char *list)
{
	char item[AKMA_CONF_STR_MAX];
	unsigned n = 0;
	while (next_item(&list, item, sizeof(item)))
		n++;
	return n;
}

int akmad_conf_ethdev(const struct akma_conf *c, struct akma_ethdev_params *p, char *why,
		      size_t why_size)
{
	char item[AKMA_CONF_STR_MAX];
	const char *list = c->ethdev_ports;

	memset(p, 0, sizeof(*p));
	while (next_item(&list, item, sizeof(item))) {
		if (p->n_ports == AKMA_ETHDEV_MAX_PORTS) {
			snprintf(why, why_size, "ethdev.ports: more than %d ports",
				 AKMA_ETHDEV_MAX_PORTS);
			return -1;
		}
		if (!item[0] || strlen(item) >= sizeof(p->ports[0].name)) {
			snprintf(why, why_size, "ethdev.ports: an empty or over-long port name");
			return -1;
		}
		snprintf(p->ports[p->n_ports++].name, sizeof(p->ports[0].name), "%s", item);
	}
	p->rx_queues = (unsigned)c->ethdev_rx_queues;
	p->rx_desc = (unsigned)c->ethdev_rx_desc;
	p->tx_desc = (unsigned)c->ethdev_tx_desc;
	p->mbufs = (unsigned)c->ethdev_mbufs;
	p->mtu = (unsigned)c->ethdev_mtu;
	if (p->mtu && p->mtu < 1280) {
		snprintf(why, why_size,
			 "ethdev.mtu: %u is below IPv6's minimum of 1280 (0 keeps "
			 "each port's own)",
			 p->mtu);
		return -1;
	}
	if (!p->n_ports) {
		if (c->ethdev_ipv4[0] || c->ethdev_ipv6[0]) {
			snprintf(why, why_size, "ethdev.ipv4/ipv6 set, but ethdev.ports is empty");
			return -1;
		}
		return 0;
	}
	static const char *const keys[2] = {"ethdev.ipv4", "ethdev.ipv6"};
	const char *lists[2] = {c->ethdev_ipv4, c->ethdev_ipv6};
	for (int v6 = 0; v6 < 2; v6++) {
		unsigned n = count_items(lists[v6]);
		if (n && n != p->n_ports) {
			snprintf(why, why_size,
				 "%s: %u addresses for %u ports (one each, - for none)", keys[v6],
				 n, p->n_ports);
			return -1;
		}
		list = lists[v6];
		for (unsigned i = 0; next_item(&list, item, sizeof(item)); i++) {
			struct akma_ethdev_port_params *pp = &p->ports[i];
			if (!strcmp(item, "-"))
				continue;
			uint8_t a[16];
			if (inet_pton(v6 ? AF_INET6 : AF_INET, item, a) != 1) {
				snprintf(why, why_size, "%s: '%s' is not an IPv%c address",
					 keys[v6], item, v6 ? '6' : '4');
				return -1;
			}
			int bad =
				v6 ? (a[0] == 0xff || IN6_IS_ADDR_UNSPECIFIED((struct in6_addr *)a))
				   : (a[0] == 0 || a[0] >= 224 || a[0] == 127);
			if (bad) {
				snprintf(why, why_size,
					 "%s: '%s' cannot be a port's own address (unspecified, "
					 "loopback, multicast or broadcast)",
					 keys[v6], item);
				return -1;
			}
			if (v6) {
				memcpy(pp->ipv6, a, 16);
				pp->has_ipv6 = 1;
			} else {
				memcpy(pp->ipv4, a, 4);
				pp->has_ipv4 = 1;
			}
		}
	}
	unsigned n_udp = count_items(c->ethdev_udp_port);
	if (n_udp != 1 && n_udp != p->n_ports) {
		snprintf(why, why_size,
			 "ethdev.udp_port: %u ports for %u DPDK ports (one for all, "
			 "or one each)",
			 n_udp, p->n_ports);
		return -1;
	}
	list = c->ethdev_udp_port;
	for (unsigned i = 0; i < p->n_ports; i++) {
		if (i < n_udp)
			next_item(&list, item, sizeof(item));
		char *end;
		unsigned long port = strtoul(item, &end, 10);
		if (!item[0] || *end || port == 0 || port > 65535) {
			snprintf(why, why_size,
				 "ethdev.udp_port: '%s' is not a UDP port (1..65535)", item);
			return -1;
		}
		p->ports[i].udp_port = (uint16_t)port;
	}
	for (unsigned i = 0; i < p->n_ports; i++)
		if (!p->ports[i].has_ipv4 && !p->ports[i].has_ipv6) {
			snprintf(why, why_size,
				 "ethdev.ipv4, ethdev.ipv6: port %s has no address (give it one in "
				 "either list)",
				 p->ports[i].name);
			return -1;
		}
	return 0;
}
