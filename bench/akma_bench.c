/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akma-bench: the benchmarks. Each mode measures one layer of akmad beside a
 * baseline measured in the same run, because the machines are shared and
 * noisy and only a same-run ratio means anything. Benchmarks print numbers;
 * they never pass or fail on time.
 */
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <urcu/urcu-qsbr.h>
#include <rte_errno.h>
#include <rte_version.h>

#include "akma_version.h"
#include "addr.h"
#include "bench.h"
#include "ctx.h"
#include "err.h"
#include "eal.h"
#include "kdf.h"
#include "mb.h"
#include "sha256.h"
#include "worker.h"

static const char usage_text[] =
	"Usage: akma-bench MODE [OPTIONS]\n"
	"       akma-bench MODE --help\n"
	"\n"
	"Measure akmad's building blocks on this machine, each beside a baseline\n"
	"measured in the same run.\n"
	"\n"
	"Modes:\n"
	"  kdf     K_AF derivation rate: OpenSSL HMAC() one-shot, cached HMAC\n"
	"          midstates with one-lane SHA-256, and the ipsec-mb burst path for\n"
	"          every manager this CPU runs, at bursts 8, 16, 32 and 64\n"
	"  store   the context store at N contexts: build rate, bytes per context,\n"
	"          bulk lookups by A-KID, beside liburcu's cds_lfht and DPDK's\n"
	"          rte_hash on the same keys\n"
	"  engine  K_AF requests through the engine's rings and worker lcores,\n"
	"          with latency percentiles, beside a naive one-core server\n"
	"  wire    GET_KAF over UDP against a running akmad, beside a minimal UDP\n"
	"          echo (no crypto, no store) in the same run\n"
	"  replication  REGISTER rate with replication to Redis off, async and sync,\n"
	"          beside redis-benchmark -P 64 -t set in the same run; recovery rate\n"
	"          of N contexts from Redis beside a bare SCAN + MGET of them\n"
	"  sbi     HTTP/2 load on a running Naanf_AKMA front end with a different\n"
	"          A-KID per request, beside one fixed A-KID; requests/s, latency\n"
	"  token   an OAuth2 access token's check, cold and cached (ES256, RS256),\n"
	"          beside OpenSSL's signature check alone\n"
	"\n"
	"Every mode prints the environment first (CPU, its SHA/AVX flags, ipsec-mb\n"
	"and DPDK versions), then a table; --csv prints the same rows as CSV.\n";

int bench_pin(int core)
{
	cpu_set_t allowed, one;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0) {
		perror("akma-bench: sched_getaffinity");
		return -1;
	}
	if (core < 0) {
		for (int c = CPU_SETSIZE - 1; c >= 0; c--) {
			if (CPU_ISSET(c, &allowed)) {
				core = c;
				break;
			}
		}
	}
	if (core < 0 || core >= CPU_SETSIZE || !CPU_ISSET(core, &allowed)) {
		fprintf(stderr, "akma-bench: core %d is not available to this process\n", core);
		return -1;
	}
	CPU_ZERO(&one);
	CPU_SET(core, &one);
	if (sched_setaffinity(0, sizeof(one), &one) != 0) {
		fprintf(stderr, "akma-bench: cannot pin to core %d: %s\n", core, strerror(errno));
		return -1;
	}
	return core;
}

static void cpu_model(char *buf, size_t size, char *flags, size_t fsize)
{
	static const char *const wanted[] = {"sha_ni",  "aes",      "vaes", "avx2",
					     "avx512f", "avx512vl", "gfni"};
	char line[8192];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, size, "unknown");
	flags[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		char *value = colon + 1 + (colon[1] == ' ');
		value[strcspn(value, "\n")] = '\0';
		if (strncmp(line, "model name", 10) == 0 && strcmp(buf, "unknown") == 0) {
			snprintf(buf, size, "%s", value);
		} else if (strncmp(line, "flags", 5) == 0 && flags[0] == '\0') {
			size_t used = 0;
			for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++) {
				char pat[32];
				snprintf(pat, sizeof(pat), " %s ", wanted[i]);
				char padded[8200];
				snprintf(padded, sizeof(padded), " %s ", value);
				int n = snprintf(flags + used, fsize - used, "%s%s%s",
						 used ? " " : "", wanted[i],
						 strstr(padded, pat) ? "+" : "-");
				if (n > 0 && (size_t)n < fsize - used)
					used += (size_t)n;
			}
			break;
		}
	}
	fclose(f);
}

void bench_print_env(FILE *out, int csv, int core)
{
	char model[256], flags[256], managers[128] = "";
	const char *p = csv ? "# " : "";

	cpu_model(model, sizeof(model), flags, sizeof(flags));
	for (int a = AKMA_MB_SSE; a < AKMA_MB_ARCH_COUNT; a++) {
		if (!akma_mb_arch_supported((enum akma_mb_arch)a))
			continue;
		strncat(managers, managers[0] ? " " : "", sizeof(managers) - strlen(managers) - 1);
		strncat(managers, akma_mb_arch_name((enum akma_mb_arch)a),
			sizeof(managers) - strlen(managers) - 1);
	}
	fprintf(out, "%sakma-bench %s\n", p, AKMA_VERSION);
	if (core >= 0)
		fprintf(out, "%scpu        %s (%ld online), pinned to core %d\n", p, model,
			sysconf(_SC_NPROCESSORS_ONLN), core);
	else
		fprintf(out, "%scpu        %s (%ld online), not pinned\n", p, model,
			sysconf(_SC_NPROCESSORS_ONLN));
	fprintf(out, "%scpu flags  %s\n", p, flags);
	fprintf(out, "%ssha-256    %s for midstates and the one-lane path\n", p,
		akma_sha256_has_shani() ? "SHA-NI" : "portable C (no SHA-NI)");
	fprintf(out, "%sipsec-mb   %s, managers this CPU runs: %s\n", p, akma_mb_library_version(),
		managers[0] ? managers : "none");
	fprintf(out, "%sdpdk       %s\n", p, rte_version());
}

void bench_table_header(FILE *out, int csv, const char *unit)
{
	if (csv)
		fprintf(out, "method,arch,burst,m_%s_per_s,ns_per_%s,ratio_to_baseline\n", unit,
			unit);
	else
		fprintf(out, "\n%-28s %-7s %5s %12s %10s %10s\n", "method", "arch", "burst", "M/s",
			"ns/op", "x baseline");
}

void bench_table_row(FILE *out, int csv, const struct bench_row *r)
{
	char burst[16] = "-", ratio[16] = "-";

	if (r->burst)
		snprintf(burst, sizeof(burst), "%u", r->burst);
	if (r->ratio > 0)
		snprintf(ratio, sizeof(ratio), "%.2f", r->ratio);
	if (csv)
		fprintf(out, "%s,%s,%s,%.4f,%.2f,%s\n", r->method, r->arch, burst,
			r->ops_per_sec / 1e6, r->ns_per_op, r->ratio > 0 ? ratio : "");
	else
		fprintf(out, "%-28s %-7s %5s %12.3f %10.1f %10s\n", r->method, r->arch, burst,
			r->ops_per_sec / 1e6, r->ns_per_op, ratio);
	fflush(out);
}

void bench_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = getrandom(p, len > 256 ? 256 : len, 0);
		if (n <= 0) {
			perror("akma-bench: getrandom");
			exit(1);
		}
		p += n;
		len -= (size_t)n;
	}
}

const char *bench_eal_vdev;

int bench_eal_init(const char *lcores, unsigned mem_mb)
{
	const struct akma_eal_defaults d = {mem_mb, lcores, 1, bench_eal_vdev};
	return akma_eal_init("akma-bench", 0, NULL, &d) < 0 ? -1 : 0;
}

uint64_t bench_rss(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(const double *v, unsigned n)
{
	double tmp[16];

	if (n == 0 || n > 16)
		return 0;
	memcpy(tmp, v, n * sizeof(*v));
	qsort(tmp, n, sizeof(*tmp), cmp_double);
	return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

static int opt_number(const char *text, double lo, double hi, int integer, double *out)
{
	char *end;
	if (integer && (text[0] < '0' || text[0] > '9'))
		return -1;
	double v = integer ? (double)strtoull(text, &end, 10) : strtod(text, &end);
	if (end == text || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

int bench_parse_ipv4(const char *text, void *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char why[256];

	if (akma_addr_parse("--server", text, AKMA_ADDR_HOSTPORT, &ss, &len, why, sizeof(why)) !=
		    0 ||
	    ss.ss_family != AF_INET)
		return -1;
	memcpy(out, &ss, sizeof(struct sockaddr_in));
	return 0;
}

int bench_parse_mb_arch(const char *text, void *out)
{
	return akma_mb_arch_parse(text, out) == 0 ? 0 : -1;
}

int bench_options(const char *mode, const char *usage, const struct bench_opt *opts, int argc,
		  char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 1;
		}
		const struct bench_opt *o = opts;
		while (o->name && (strncmp(a, "--", 2) || strcmp(a + 2, o->name)))
			o++;
		if (!o->name) {
			fprintf(stderr,
				"akma-bench %s: unknown option or argument: %s (see akma-bench "
				"%s --help)\n",
				mode, a, mode);
			return 2;
		}
		if (o->type == BENCH_OPT_FLAG || o->type == BENCH_OPT_CLEAR) {
			*(int *)o->out = o->type == BENCH_OPT_FLAG;
			continue;
		}
		if (i + 1 == argc) {
			fprintf(stderr, "akma-bench %s: --%s needs a value\n", mode, o->name);
			return 2;
		}
		const char *v = argv[++i];
		double d = 0;
		int bad = 0;
		switch (o->type) {
		case BENCH_OPT_UINT:
			bad = opt_number(v, o->lo, o->hi, 1, &d);
			if (!bad)
				*(unsigned *)o->out = (unsigned)d;
			break;
		case BENCH_OPT_U64:
			bad = opt_number(v, o->lo, o->hi, 1, &d);
			if (!bad)
				*(uint64_t *)o->out = (uint64_t)d;
			break;
		case BENCH_OPT_DOUBLE:
			bad = opt_number(v, o->lo, o->hi, 0, (double *)o->out);
			break;
		case BENCH_OPT_STRING:
			*(const char **)o->out = v;
			break;
		case BENCH_OPT_CUSTOM:
			bad = o->parse(v, o->out);
			break;
		default:
			break;
		}
		if (bad) {
			if (o->type == BENCH_OPT_CUSTOM)
				fprintf(stderr,
					"akma-bench %s: --%s %s: not a valid value (see akma-bench "
					"%s --help)\n",
					mode, o->name, v, mode);
			else
				fprintf(stderr, "akma-bench %s: --%s %s: must be %g..%g\n", mode,
					o->name, v, o->lo, o->hi);
			return 2;
		}
	}
	return 0;
}

uint64_t bench_preload(struct akma_ctx_store *s, const uint8_t *akids, uint64_t n, uint64_t *rng,
		       uint64_t now_ms, const char *mode, const char *what)
{
	struct akma_ctx_reg reg[AKMA_CTX_BULK_MAX];
	char ueid[AKMA_CTX_BULK_MAX][24];
	uint8_t keys[AKMA_CTX_BULK_MAX][AKMA_KEY_LEN];
	int rc[AKMA_CTX_BULK_MAX];

	uint64_t t0 = akma_mono_ns();
	for (uint64_t base = 0; base < n; base += AKMA_CTX_BULK_MAX) {
		unsigned m =
			n - base < AKMA_CTX_BULK_MAX ? (unsigned)(n - base) : AKMA_CTX_BULK_MAX;
		for (unsigned j = 0; j < m; j++) {
			uint64_t i = base + j;
			int ul = snprintf(ueid[j], sizeof(ueid[j]), "imsi-00101%010llu",
					  (unsigned long long)i);
			for (int k = 0; k < 4; k++) {
				uint64_t r = bench_rand(rng);
				memcpy(keys[j] + 8 * k, &r, 8);
			}
			const uint8_t *a = akids + i * BENCH_AKID_STRIDE;
			reg[j] = (struct akma_ctx_reg){.akid = a,
						       .akid_len = a[BENCH_AKID_STRIDE - 1],
						       .ueid = (const uint8_t *)ueid[j],
						       .ueid_len = (uint16_t)ul,
						       .ueid_type = 1,
						       .kakma = keys[j]};
		}
		if (akma_ctx_register_bulk(s, reg, m, now_ms, rc) != m) {
			for (unsigned j = 0; j < m; j++)
				if (rc[j])
					fprintf(stderr, "akma-bench %s: register %llu: %s\n", mode,
						(unsigned long long)(base + j),
						akma_strerror(rc[j]));
			exit(1);
		}
		if ((base & 0x3ffff) == 0) {
			bench_progress(what, base, n);
			urcu_qsbr_quiescent_state();
		}
	}
	bench_progress(what, n, n);
	explicit_bzero(keys, sizeof(keys));
	return akma_mono_ns() - t0;
}

void bench_make_af_ids(uint8_t (*af_ids)[AKMA_AF_ID_MAX], unsigned n, unsigned af_len)
{
	unsigned fqdn_len = af_len - AKMA_UA_ID_LEN;

	for (unsigned a = 0; a < n; a++) {
		uint8_t *af = af_ids[a];
		for (unsigned i = 0; i < fqdn_len; i++)
			af[i] = (i % 16 == 15 && i + 1 < fqdn_len) ? '.' : (uint8_t)('a' + i % 26);
		af[0] = (uint8_t)('a' + a % 26);
		if (fqdn_len > 1)
			af[1] = (uint8_t)('b' + a / 26);
		memcpy(af + fqdn_len, akma_ua_id_tls13_psk, AKMA_UA_ID_LEN);
	}
}

void bench_make_akids(uint8_t *akids, uint64_t n, uint64_t *rng, int64_t rid_base)
{
	uint8_t atid[AKMA_KEY_LEN];
	char text[AKMA_AKID_MAX + 1], rid[8];

	for (uint64_t i = 0; i < n; i++) {
		for (int j = 0; j < 4; j++) {
			uint64_t r = bench_rand(rng);
			memcpy(atid + 8 * j, &r, 8);
		}
		unsigned v = rid_base < 0 ? (unsigned)(bench_rand(rng) % 10000)
					  : (unsigned)(((uint64_t)rid_base + i) % 10000);
		snprintf(rid, sizeof(rid), "%u", v);
		int len = akma_akid_compose(atid, rid, "001", "01", text, sizeof(text));
		uint8_t *slot = akids + i * BENCH_AKID_STRIDE;
		memcpy(slot, text, (size_t)len);
		slot[BENCH_AKID_STRIDE - 1] = (uint8_t)len;
		if ((i & 0xfffff) == 0)
			bench_progress("making keys", i, n);
	}
	bench_progress("making keys", n, n);
}

void bench_progress(const char *what, uint64_t done, uint64_t total)
{
	static int tty = -1;

	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	if (!tty)
		return;
	if (done < total)
		fprintf(stderr, "\r%s: %.1f M of %.1f M", what, (double)done / 1e6,
			(double)total / 1e6);
	else
		fprintf(stderr, "\r%60s\r", "");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage_text, stderr);
		return 2;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("akma-bench %s (ipsec-mb %s, %s)\n", AKMA_VERSION, akma_mb_library_version(),
		       rte_version());
		return 0;
	}
	int (*mode)(int, char **) = NULL;
	if (strcmp(argv[1], "kdf") == 0)
		mode = bench_kdf_main;
	else if (strcmp(argv[1], "store") == 0)
		mode = bench_store_main;
	else if (strcmp(argv[1], "engine") == 0)
		mode = bench_engine_main;
	else if (strcmp(argv[1], "wire") == 0)
		mode = bench_wire_main;
	else if (strcmp(argv[1], "replication") == 0)
		mode = bench_repl_main;
	else if (strcmp(argv[1], "sbi") == 0)
		mode = bench_sbi_main;
	else if (strcmp(argv[1], "token") == 0)
		mode = bench_token_main;
	if (mode) {
		int rc = mode(argc - 1, argv + 1);
		akma_eal_cleanup(); /* EAL leaves its runtime directory behind unless told */
		return rc;
	}
	fprintf(stderr, "akma-bench: unknown mode '%s' (see akma-bench --help)\n", argv[1]);
	return 2;
}
