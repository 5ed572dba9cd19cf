/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akmactl: the operator's tool. `akmactl derive ...` runs the AKMA key
 * derivations locally, from keys given in hex; it is also how tests outside C
 * check the engine's derivations. Exit status: 0 ok, 2 bad input or usage.
 * Errors are one line on stderr naming the option at fault; stdout then stays
 * empty, so scripts can trust what they read.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "akma_version.h"
#include "akmactl.h"
#include "akmad_conf.h"
#include "err.h"
#include "hex.h"
#include "kdf.h"
#include "mb.h"

enum { EXIT_OK = 0, EXIT_BAD_INPUT = 2 };

static const char usage_text[] =
	"Usage: akmactl derive WHAT [OPTIONS]\n"
	"       akmactl register|get|remove|stats|load [OPTIONS]\n"
	"       akmactl config [--config FILE | --live --pid PID | --live --socket PATH]\n"
	"       akmactl promote --pid PID | --socket PATH\n"
	"       akmactl --help | --version\n"
	"\n"
	"Talk to a running akmad, or run the AKMA key derivations of 3GPP TS 33.535\n"
	"Annex A locally.\n"
	"\n"
	"  register --supi SUPI --akid AKID --kakma HEX64 [--gpsi GPSI]\n"
	"        store an anchor key (replaces the SUPI's current context), with a\n"
	"        GPSI kept beside the SUPI when given\n"
	"  get --akid AKID --af-fqdn FQDN --ua-id HEX10 [--anon | --want-gpsi]\n"
	"  get --akid AKID --af-id 'FQDN;ua=HEX10' [--anon | --want-gpsi]\n"
	"        K_AF on the first line, then its expiry (RFC 3339, UTC) and the SUPI\n"
	"        (none with --anon; the GPSI instead with --want-gpsi, as for the\n"
	"        NEF); --json: {\"kaf\", \"expiry\", \"supi\" or \"gpsi\"}\n"
	"  remove --supi SUPI\n"
	"  stats  the engine's counters\n"
	"  load --contexts N [--first I]\n"
	"        register N synthetic subscribers (imsi-00101 and ten digits from I,\n"
	"        A-KIDs in akmad's convention, random K_AKMA) as fast as akmad takes\n"
	"        them, 64 to a datagram; prints the rate\n"
	"  config [--config FILE]\n"
	"        every key of akmad's configuration with the value FILE gives it\n"
	"  config --live --pid PID | --socket PATH\n"
	"        the configuration in force in a running akmad (after its options\n"
	"        and SIGHUPs), through its DPDK telemetry socket\n"
	"  promote --pid PID | --socket PATH\n"
	"        make a standby akmad primary now (it takes the lease in Redis even\n"
	"        from a live primary, which then refuses writes); through the\n"
	"        akmad's DPDK telemetry socket: PATH, or found from its PID\n"
	"  Client options: --config FILE (akmad's configuration, default\n"
	"        %s; gives the server, the first\n"
	"        wire.listen address, and the PSK file), --server ADDR (udp:HOST:PORT,\n"
	"        udp:[V6]:PORT, unix:PATH), --psk-file FILE, --timeout SEC (2), --json\n"
	"\n"
	"  derive kakma --kausf HEX64 --supi SUPI\n"
	"        K_AKMA = KDF(K_AUSF, 0x80, \"AKMA\", SUPI), 64 hex digits.\n"
	"  derive atid  --kausf HEX64 --supi SUPI\n"
	"        A-TID = KDF(K_AUSF, 0x81, \"A-TID\", SUPI), 64 hex digits.\n"
	"  derive kaf   --kakma HEX64 --af-fqdn FQDN --ua-id HEX10\n"
	"  derive kaf   --kakma HEX64 --af-id 'FQDN;ua=HEX10'\n"
	"        K_AF = KDF(K_AKMA, 0x82, FQDN || Ua* id), 64 hex digits; derived\n"
	"        through the same ipsec-mb burst path the engine uses.\n"
	"  derive akid  --kausf HEX64 --supi SUPI --rid RID --mcc MCC --mnc MNC\n"
	"        The A-KID RID.base64url(A-TID)@akma.5gc.mncMNC.mccMCC.3gppnetwork.org\n"
	"        (akmad's convention; 3GPP fixes only username@realm).\n"
	"\n"
	"Options:\n"
	"  --kausf HEX64   K_AUSF, 32 octets in hex (either case); '-' reads it\n"
	"                  from standard input, keeping it out of the process list\n"
	"  --kakma HEX64   K_AKMA, likewise\n"
	"  --supi SUPI     imsi-<5..15 digits>, nai-<user@realm>, or the bare forms;\n"
	"                  the KDF takes the value without its prefix\n"
	"  --af-fqdn FQDN  the AF's FQDN: 1..253 octets of LDH labels, no final dot,\n"
	"                  taken byte for byte (no case folding)\n"
	"  --ua-id HEX10   Ua* security protocol identifier, 5 octets (TS 33.220\n"
	"                  Annex H): 0100000007 TLS 1.3 PSK, 0100000002 HTTP digest,\n"
	"                  01000113yy TLS with cipher suite 0x13yy, 0000000000 default\n"
	"  --af-id TEXT    FQDN and Ua* id in one: 'FQDN;ua=HEX10'\n"
	"  --rid RID       routing indicator, 1..4 digits\n"
	"  --mcc MCC       mobile country code, 3 digits\n"
	"  --mnc MNC       mobile network code, 2 or 3 digits\n"
	"  --mb-arch NAME  ipsec-mb manager for kaf: auto (default: the fastest,\n"
	"                  timed at start), sse, avx, avx2, avx512\n"
	"  --json          print one JSON object instead of the bare value\n"
	"  -h, --help      this text\n"
	"  -V, --version   akmactl and ipsec-mb versions\n"
	"\n"
	"Exit status: 0 success; 1 not found; 2 bad input or usage (one line on\n"
	"stderr names the option and the rule it broke; nothing on stdout);\n"
	"3 refused by the server (store full, overloaded, internal); 4 server\n"
	"unreachable (no answer within the timeout).\n"
	"Keys given on the command line are visible to other local users in the\n"
	"process list: prefer '-' and standard input on shared hosts.\n";

struct derive_args {
	const char *kausf, *kakma, *supi, *af_fqdn, *ua_id, *af_id, *rid, *mcc, *mnc, *mb_arch;
	int json;
};

static int fail(const char *field, int err)
{
	const char *name = akma_errname(err);

	if (name)
		fprintf(stderr, "akmactl: %s: %s (%s)\n", field, akma_strerror(err), name);
	else
		fprintf(stderr, "akmactl: %s: %s\n", field, akma_strerror(err));
	return EXIT_BAD_INPUT;
}

static int usage_error(const char *msg, const char *arg)
{
	fprintf(stderr, "akmactl: %s%s%s (see akmactl --help)\n", msg, arg ? ": " : "",
		arg ? arg : "");
	return EXIT_BAD_INPUT;
}

/* Decode a 32-octet key given in hex, or read from stdin for "-". */
static int read_key(const char *field, const char *arg, uint8_t key[AKMA_KEY_LEN])
{
	char line[256];
	int rc;

	if (strcmp(arg, "-") == 0) {
		if (!fgets(line, sizeof(line), stdin))
			return fail(field, -AKMA_E_KEY_LENGTH);
		size_t len = strcspn(line, "\r\n");
		rc = akma_hex_decode(line, len, key, AKMA_KEY_LEN, -AKMA_E_KEY_LENGTH);
		explicit_bzero(line, sizeof(line));
	} else {
		rc = akma_hex_decode(arg, strlen(arg), key, AKMA_KEY_LEN, -AKMA_E_KEY_LENGTH);
	}
	return rc ? fail(field, rc) : 0;
}

/* Print s as a JSON string. */
static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void print_result(const struct derive_args *a, const char *const *names,
			 const char *const *values, int n)
{
	if (!a->json) {
		puts(values[n - 1]);
		return;
	}
	putchar('{');
	for (int i = 0; i < n; i++) {
		if (i)
			fputs(", ", stdout);
		json_string(names[i]);
		fputs(": ", stdout);
		json_string(values[i]);
	}
	puts("}");
}

static int need(const char *value, const char *option)
{
	if (!value) {
		usage_error("missing option", option);
		return -1;
	}
	return 0;
}

static int derive_from_kausf(const char *what, const struct derive_args *a)
{
	uint8_t kausf[AKMA_KEY_LEN], out[AKMA_KEY_LEN];
	struct akma_supi supi;
	char supi_text[AKMA_SUPI_MAX + 8], hex[2 * AKMA_KEY_LEN + 1];
	char akid[AKMA_AKID_MAX + 1];
	int rc;

	if (need(a->kausf, "--kausf") || need(a->supi, "--supi"))
		return EXIT_BAD_INPUT;
	int want_akid = strcmp(what, "akid") == 0;
	if (want_akid && (need(a->rid, "--rid") || need(a->mcc, "--mcc") || need(a->mnc, "--mnc")))
		return EXIT_BAD_INPUT;
	if ((rc = akma_supi_parse(a->supi, strlen(a->supi), &supi)) != 0)
		return fail("--supi", rc);
	if ((rc = read_key("--kausf", a->kausf, kausf)) != 0)
		return rc;
	akma_supi_format(&supi, supi_text, sizeof(supi_text));

	if (strcmp(what, "kakma") == 0)
		akma_derive_kakma(kausf, &supi, out);
	else
		akma_derive_atid(kausf, &supi, out);
	explicit_bzero(kausf, sizeof(kausf));
	akma_hex_encode(out, sizeof(out), hex);

	if (want_akid) {
		rc = akma_akid_compose(out, a->rid, a->mcc, a->mnc, akid, sizeof(akid));
		explicit_bzero(out, sizeof(out));
		if (rc < 0) {
			explicit_bzero(hex, sizeof(hex));
			return fail(rc == -AKMA_E_RID   ? "--rid"
				    : rc == -AKMA_E_MCC ? "--mcc"
							: "--mnc",
				    rc);
		}
		const char *names[] = {"supi", "atid", "akid"};
		const char *values[] = {supi_text, hex, akid};
		print_result(a, names, values, 3);
	} else {
		explicit_bzero(out, sizeof(out));
		const char *names[] = {"supi", what};
		const char *values[] = {supi_text, hex};
		print_result(a, names, values, 2);
	}
	explicit_bzero(hex, sizeof(hex));
	return EXIT_OK;
}

static int derive_kaf(const struct derive_args *a)
{
	uint8_t kakma[AKMA_KEY_LEN], kaf[AKMA_KEY_LEN], ua[AKMA_UA_ID_LEN];
	uint8_t af_octets[AKMA_AF_ID_MAX];
	struct akma_af_id af;
	struct akma_hmac_midstate ms;
	enum akma_mb_arch arch = AKMA_MB_AUTO;
	char af_text[AKMA_AF_ID_MAX * 2 + 8], hex[2 * AKMA_KEY_LEN + 1];
	int rc;

	if (need(a->kakma, "--kakma"))
		return EXIT_BAD_INPUT;
	if (a->af_id && (a->af_fqdn || a->ua_id))
		return usage_error("give either --af-id or --af-fqdn with --ua-id", NULL);
	if (a->af_id) {
		if ((rc = akma_af_id_parse(a->af_id, strlen(a->af_id), NULL, &af)) != 0)
			return fail("--af-id", rc);
	} else {
		if (need(a->af_fqdn, "--af-fqdn") || need(a->ua_id, "--ua-id"))
			return EXIT_BAD_INPUT;
		if ((rc = akma_hex_decode(a->ua_id, strlen(a->ua_id), ua, sizeof(ua),
					  -AKMA_E_UA_ID_LEN)) != 0)
			return fail("--ua-id", rc);
		if ((rc = akma_af_id_set(&af, a->af_fqdn, strlen(a->af_fqdn), ua)) != 0)
			return fail("--af-fqdn", rc);
	}
	if (a->mb_arch && (rc = akma_mb_arch_parse(a->mb_arch, &arch)) != 0)
		return fail("--mb-arch", rc);
	if ((rc = read_key("--kakma", a->kakma, kakma)) != 0)
		return rc;

	struct akma_mb *mb = akma_mb_create(arch, 1, &rc);
	if (!mb) {
		explicit_bzero(kakma, sizeof(kakma));
		return fail("--mb-arch", rc);
	}
	akma_hmac_midstate(kakma, sizeof(kakma), &ms);
	explicit_bzero(kakma, sizeof(kakma));
	size_t n = akma_af_id_octets(&af, af_octets);
	rc = akma_mb_kaf_one(mb, &ms, af_octets, (uint16_t)n, kaf);
	explicit_bzero(&ms, sizeof(ms));
	akma_mb_free(mb);
	if (rc) {
		fprintf(stderr, "akmactl: internal error: %s\n", akma_strerror(rc));
		return 1;
	}
	akma_hex_encode(kaf, sizeof(kaf), hex);
	explicit_bzero(kaf, sizeof(kaf));
	akma_af_id_format(&af, af_text, sizeof(af_text));
	const char *names[] = {"af_id", "kaf"};
	const char *values[] = {af_text, hex};
	print_result(a, names, values, 2);
	explicit_bzero(hex, sizeof(hex));
	return EXIT_OK;
}

static int cmd_derive(int argc, char **argv)
{
	enum {
		O_KAUSF = 256,
		O_KAKMA,
		O_SUPI,
		O_AF_FQDN,
		O_UA_ID,
		O_AF_ID,
		O_RID,
		O_MCC,
		O_MNC,
		O_MB_ARCH,
		O_JSON
	};
	static const struct option options[] = {
		{"kausf", required_argument, NULL, O_KAUSF},
		{"kakma", required_argument, NULL, O_KAKMA},
		{"supi", required_argument, NULL, O_SUPI},
		{"af-fqdn", required_argument, NULL, O_AF_FQDN},
		{"ua-id", required_argument, NULL, O_UA_ID},
		{"af-id", required_argument, NULL, O_AF_ID},
		{"rid", required_argument, NULL, O_RID},
		{"mcc", required_argument, NULL, O_MCC},
		{"mnc", required_argument, NULL, O_MNC},
		{"mb-arch", required_argument, NULL, O_MB_ARCH},
		{"json", no_argument, NULL, O_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct derive_args a = {0};
	const char **slot[] = {
		[O_KAUSF - O_KAUSF] = &a.kausf, [O_KAKMA - O_KAUSF] = &a.kakma,
		[O_SUPI - O_KAUSF] = &a.supi,   [O_AF_FQDN - O_KAUSF] = &a.af_fqdn,
		[O_UA_ID - O_KAUSF] = &a.ua_id, [O_AF_ID - O_KAUSF] = &a.af_id,
		[O_RID - O_KAUSF] = &a.rid,     [O_MCC - O_KAUSF] = &a.mcc,
		[O_MNC - O_KAUSF] = &a.mnc,     [O_MB_ARCH - O_KAUSF] = &a.mb_arch,
	};
	int c;

	if (argc < 2)
		return usage_error("derive needs what to derive: kakma, atid, kaf or akid", NULL);
	const char *what = argv[1];
	if (strcmp(what, "-h") == 0 || strcmp(what, "--help") == 0) {
		printf(usage_text, akmad_default_config());
		return EXIT_OK;
	}
	optind = 2;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
		if (c == 'h') {
			printf(usage_text, akmad_default_config());
			return EXIT_OK;
		}
		if (c == O_JSON)
			a.json = 1;
		else if (c >= O_KAUSF && c < O_JSON)
			*slot[c - O_KAUSF] = optarg;
		else if (c == ':')
			return usage_error("option needs a value", argv[optind - 1]);
		else
			return usage_error("unknown option", argv[optind - 1]);
	}
	if (optind < argc)
		return usage_error("unexpected argument", argv[optind]);

	if (strcmp(what, "kakma") == 0 || strcmp(what, "atid") == 0 || strcmp(what, "akid") == 0)
		return derive_from_kausf(what, &a);
	if (strcmp(what, "kaf") == 0)
		return derive_kaf(&a);
	return usage_error("unknown derivation (kakma, atid, kaf, akid)", what);
}

/* The DPDK telemetry socket of akmad PID: under /var/run/dpdk as root,
 * else $XDG_RUNTIME_DIR/dpdk or /tmp/dpdk; the file prefix is akmad-PID. */
static void telemetry_path(const char *pid, char *out, size_t size)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (getuid() == 0)
		snprintf(out, size, "/var/run/dpdk/akmad-%s/dpdk_telemetry.v2", pid);
	else
		snprintf(out, size, "%s/dpdk/akmad-%s/dpdk_telemetry.v2", xdg ? xdg : "/tmp", pid);
}

/* The telemetry socket of "--pid PID" or "--socket PATH" (argv[0..1])
 * into path. Returns 0, or -1 when they are neither. */
static int telemetry_target(char **argv, char *path, size_t size)
{
	if (!strcmp(argv[0], "--pid") && argv[1][0] &&
	    strspn(argv[1], "0123456789") == strlen(argv[1]))
		telemetry_path(argv[1], path, size);
	else if (!strcmp(argv[0], "--socket"))
		snprintf(path, size, "%s", argv[1]);
	else
		return -1;
	return 0;
}

/* Send one telemetry command, its answer (NUL-terminated) into buf.
 * Returns 0, or the exit status with the reason printed. */
static int telemetry_query(const char *path, const char *cmd, char *buf, size_t size)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sun.sun_path))
		return usage_error("socket path too long", path);
	memcpy(sun.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) != 0) {
		fprintf(stderr, "akmactl: %s: %s (is akmad running, and is this its pid?)\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return 4;
	}
	/* The telemetry socket greets with its info, then answers each command. */
	ssize_t n = read(fd, buf, size - 1);
	if (n > 0 && write(fd, cmd, strlen(cmd)) == (ssize_t)strlen(cmd))
		n = read(fd, buf, size - 1);
	else
		n = -1;
	close(fd);
	if (n <= 0) {
		fprintf(stderr, "akmactl: %s: no answer\n", path);
		return 4;
	}
	buf[n] = '\0';
	return 0;
}

/* akmactl config --live: the configuration in force in a running akmad
 * (/akma/config), as an INI file in the table's order. Telemetry names
 * have '_' for '.', and no section name has one, so the first '_' is
 * the dot. */
static int cmd_config_live(char **target)
{
	static char buf[65536];
	char path[512], name[96], value[AKMA_CONF_STR_MAX + 32], section[32] = "";
	struct akma_conf defaults;

	if (telemetry_target(target, path, sizeof(path)) != 0)
		return usage_error("config --live takes --pid PID or --socket PATH", NULL);
	int rc = telemetry_query(path, "/akma/config", buf, sizeof(buf));
	if (rc)
		return rc;
	if (!strstr(buf, "\"/akma/config\"")) {
		fprintf(stderr, "akmactl: %s: unexpected answer (an akmad without /akma/config?)\n",
			path);
		return 3;
	}
	printf("# the configuration in force in the akmad of %s\n", path);
	akma_conf_defaults(&akmad_conf_table, &defaults);
	for (unsigned i = 0; akma_conf_entry(&akmad_conf_table, &defaults, i, name, sizeof(name),
					     value, sizeof(value));
	     i++) {
		char tel[100];
		const char *dot = strchr(name, '.');
		snprintf(tel, sizeof(tel), "\"%.*s_%s\":\"", (int)(dot - name), name, dot + 1);
		const char *v = strstr(buf, tel);
		if (strncmp(section, name, (size_t)(dot - name)) != 0 ||
		    section[dot - name] != '\0') {
			snprintf(section, sizeof(section), "%.*s", (int)(dot - name), name);
			printf("[%s]\n", section);
		}
		if (!v) {
			printf("# %s: not reported by this akmad\n", dot + 1);
			continue;
		}
		printf("%s = ", dot + 1);
		for (v += strlen(tel); *v && *v != '"'; v++) {
			if (*v == '\\' && v[1])
				v++; /* JSON escapes: the values are file names, addresses, words */
			putchar(*v);
		}
		putchar('\n');
	}
	return EXIT_OK;
}

static int cmd_promote(int argc, char **argv)
{
	char path[512] = "", buf[4096];

	if (argc != 3 || telemetry_target(argv + 1, path, sizeof(path)) != 0)
		return usage_error("promote takes --pid PID or --socket PATH", NULL);
	int rc = telemetry_query(path, "/akma/promote", buf, sizeof(buf));
	if (rc)
		return rc;
	/* {"/akma/promote":{"promote":"requested"}} */
	const char *v = strstr(buf, "\"promote\":");
	if (v) {
		v += 10;
		v += strspn(v, " ");
		v = *v == '"' ? v + 1 : NULL;
	}
	if (!v) {
		fprintf(stderr,
			"akmactl: %s: unexpected answer (an akmad without /akma/promote?)\n", path);
		return 3;
	}
	const char *end = strchr(v, '"');
	printf("%.*s\n", end ? (int)(end - v) : 0, v);
	return strncmp(v, "requested", 9) == 0 || strncmp(v, "already primary", 15) == 0 ? EXIT_OK
											 : 3;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, usage_text, akmad_default_config());
		return EXIT_BAD_INPUT;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		printf(usage_text, akmad_default_config());
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("akmactl %s (ipsec-mb %s)\n", AKMA_VERSION, akma_mb_library_version());
		return EXIT_OK;
	}
	if (strcmp(argv[1], "derive") == 0)
		return cmd_derive(argc - 1, argv + 1);
	if (!strcmp(argv[1], "config") && argc == 5 && !strcmp(argv[2], "--live"))
		return cmd_config_live(argv + 3);
	if (!strcmp(argv[1], "config")) {
		const char *path =
			argc > 3 && !strcmp(argv[2], "--config") ? argv[3] : akmad_default_config();
		if (argc != 2 && argc != 4)
			return usage_error(
				"config takes --config FILE, or --live --pid PID | --socket PATH",
				NULL);
		struct akma_conf c;
		char err[600];
		akma_conf_defaults(&akmad_conf_table, &c);
		if (akma_conf_load(&akmad_conf_table, &c, path, err, sizeof(err)) != 0) {
			fprintf(stderr, "akmactl: %s\n", err);
			return EXIT_BAD_INPUT;
		}
		printf("# %s, as akmad would read it\n", path);
		akma_conf_dump(&akmad_conf_table, &c, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "promote"))
		return cmd_promote(argc - 1, argv + 1);
	if (!strcmp(argv[1], "register") || !strcmp(argv[1], "get") || !strcmp(argv[1], "remove") ||
	    !strcmp(argv[1], "stats") || !strcmp(argv[1], "load"))
		return akmactl_client(argv[1], argc - 1, argv + 1, akmad_default_config());
	return usage_error("unknown command", argv[1]);
}
