/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The table of tunables and everything derived from it. Adding a key means
 * adding a field to struct akma_conf and a row here; the parser, --help,
 * the overrides and the dump follow.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum conf_type { T_UINT, T_BOOL, T_CHOICE, T_STRING };

struct conf_key {
	const char *section;
	const char *key;
	enum conf_type type;
	size_t offset;
	uint64_t min, max;   /* T_UINT */
	int power_of_two;    /* T_UINT */
	const char *unit;
	const char *choices; /* T_CHOICE: "a|b|c" */
	const char *def;     /* default, as text */
	const char *help;
	const char *alias;   /* a shorter option name, or NULL */
};

#define F(field) offsetof(struct akma_conf, field)

static const struct conf_key table[] = {
	{"engine", "capacity", T_UINT, F(capacity), 64, 1u << 28, 0, "contexts", NULL, "1000000",
	 "AKMA contexts the store holds; ~300 octets each, mapped and prefaulted at start", NULL},
	{"engine", "kakma_lifetime", T_UINT, F(kakma_lifetime_s), 0, 10ull * 365 * 86400, 0,
	 "seconds", NULL, "0",
	 "K_AKMA lifetime from registration; 0 keeps a context until replaced or removed", NULL},
	{"engine", "kaf_lifetime", T_UINT, F(kaf_lifetime_s), 1, 365 * 86400, 0, "seconds", NULL,
	 "3600", "K_AF lifetime given to AFs; never past the context's own end of life", NULL},
	{"engine", "workers", T_UINT, F(workers), 0, 16, 0, "lcores", NULL, "0",
	 "worker lcores; 0 uses every EAL lcore but the main one", NULL},
	{"engine", "ring_size", T_UINT, F(ring_size), 64, 65536, 1, "requests", NULL, "1024",
	 "slots of each producer-to-worker ring (a power of two)", NULL},
	{"engine", "burst", T_UINT, F(burst), 1, 64, 0, "requests", NULL, "32",
	 "requests a worker takes from a ring at once", NULL},
	{"engine", "requests", T_UINT, F(requests), 1024, 1u << 22, 0, "requests", NULL, "65536",
	 "request objects in the pool: the most that can be in flight", NULL},
	{"engine", "idle_sleep", T_UINT, F(idle_sleep_us), 0, 1000, 0, "microseconds", NULL, "50",
	 "a worker idle for ~30 us naps this long between polls; 0 polls without pause "
	 "(dedicated cores)", NULL},
	{"engine", "mb_arch", T_CHOICE, F(mb_arch), 0, 0, 0, NULL, "auto|sse|avx|avx2|avx512", "auto",
	 "ipsec-mb code path for K_AF bursts; auto times each at start and keeps the fastest", NULL},
	{"wire", "listen", T_STRING, F(listen), 1, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL,
	 "udp:127.0.0.1:7777",
	 "comma-separated addresses: udp:IPv4:PORT, udp:[IPv6]:PORT, unix:PATH", NULL},
	{"wire", "psk_file", T_STRING, F(psk_file), 1, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL,
	 "akmad.psk",
	 "file with the 32-octet pre-shared key in hex, readable by its owner only; relative "
	 "to the configuration file's directory", NULL},
	{"wire", "allow_plain_unix", T_BOOL, F(allow_plain_unix), 0, 1, 0, NULL, NULL, "false",
	 "accept unencrypted datagrams on unix: sockets (never on UDP)", NULL},
	{"wire", "replay_window", T_UINT, F(replay_window_ms), 1000, 600000, 0, "milliseconds",
	 NULL, "30000", "accepted clock difference of a datagram's timestamp, ahead or behind", NULL},
	{"wire", "max_senders", T_UINT, F(max_senders), 16, 1u << 24, 0, "senders", NULL, "65536",
	 "senders whose replay windows are kept at once", NULL},
	{"sbi", "listen", T_STRING, F(sbi_listen), 0, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL,
	 "127.0.0.1:8080",
	 "Naanf_AKMA over HTTP/2 cleartext (h2c, prior knowledge) on HOST:PORT or [V6]:PORT; "
	 "empty: no SBI front end", NULL},
	{"sbi", "max_body", T_UINT, F(sbi_max_body), 256, 1u << 20, 0, "octets", NULL, "16384",
	 "request bodies above this are refused with 413", NULL},
	{"sbi", "max_streams", T_UINT, F(sbi_max_streams), 1, 65536, 0, "streams", NULL, "128",
	 "concurrent streams a connection may open (SETTINGS_MAX_CONCURRENT_STREAMS)", NULL},
	{"sbi", "max_connections", T_UINT, F(sbi_max_connections), 1, 1u << 20, 0, "connections",
	 NULL, "4096", "connections beyond this are closed at once", NULL},
	{"sbi", "idle_timeout", T_UINT, F(sbi_idle_timeout_ms), 1000, 86400000, 0, "milliseconds",
	 NULL, "60000", "a connection with no stream open this long is closed (GOAWAY)", NULL},
	{"sbi", "default_ua", T_STRING, F(sbi_default_ua), 10, 10, 0, NULL, NULL, "0100000007",
	 "the Ua* security protocol identifier (10 hex digits, TS 33.220 Annex H) of an afId "
	 "given as a bare FQDN", NULL},
	{"sbi", "tls_cert", T_STRING, F(sbi_tls_cert), 0, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL, "",
	 "PEM certificate chain; with sbi.tls_key, the SBI speaks HTTP/2 over TLS 1.2/1.3 (ALPN "
	 "h2) instead of h2c; relative to the configuration file's directory", NULL},
	{"sbi", "tls_key", T_STRING, F(sbi_tls_key), 0, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL, "",
	 "PEM private key of sbi.tls_cert, readable by its owner only", NULL},
	{"redis", "address", T_STRING, F(redis_address), 0, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL,
	 "", "Redis server as HOST:PORT; empty (and no sentinels): no replication", "redis"},
	{"redis", "password_file", T_STRING, F(redis_password_file), 0, AKMA_CONF_STR_MAX - 1, 0,
	 NULL, NULL, "",
	 "file whose first line is the Redis AUTH password, readable by its owner only; "
	 "relative to the configuration file's directory; empty: no AUTH", NULL},
	{"redis", "sentinels", T_STRING, F(redis_sentinels), 0, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL,
	 "", "Redis Sentinel addresses, HOST:PORT,HOST:PORT...; when set, the master is asked "
	 "of them (and again after every failure) instead of using redis.address", NULL},
	{"redis", "master_name", T_STRING, F(redis_master_name), 1, AKMA_CONF_STR_MAX - 1, 0, NULL,
	 NULL, "mymaster", "the Sentinel master name", NULL},
	{"redis", "timeout", T_UINT, F(redis_timeout_ms), 10, 60000, 0, "milliseconds", NULL, "2000",
	 "connect, read and write timeout of every Redis call", NULL},
	{"redis", "wait_replicas", T_UINT, F(redis_wait_replicas), 0, 16, 0, "replicas", NULL, "0",
	 "a batch counts as written once this many Redis replicas have it too (WAIT), so a "
	 "Redis failover cannot lose it", NULL},
	{"redis", "wait_timeout", T_UINT, F(redis_wait_timeout_ms), 1, 60000, 0, "milliseconds",
	 NULL, "500", "how long a WAIT waits for the replicas before the batch is sent again", NULL},
	{"replication", "mode", T_CHOICE, F(repl_mode), 0, 0, 0, NULL, "sync|async|off", "sync",
	 "sync: a REGISTER or REMOVE is answered once Redis has it (refused while Redis is "
	 "unreachable); async: answered at once, written as soon as possible; off: not "
	 "replicated. Applies when Redis is configured",
	 "replication"},
	{"replication", "kek_file", T_STRING, F(kek_file), 1, AKMA_CONF_STR_MAX - 1, 0, NULL, NULL,
	 "akmad.kek",
	 "file with the 32-octet key-encryption key (64 hex digits) that wraps K_AKMA in "
	 "Redis, readable by its owner only; relative to the configuration file's directory",
	 "kek-file"},
	{"replication", "standby", T_BOOL, F(standby), 0, 1, 0, NULL, NULL, "false",
	 "start as a standby: load and follow Redis, serve nothing until promoted (the "
	 "primary's lease expires, or akmactl promote)",
	 "standby"},
	{"replication", "lease", T_UINT, F(lease_ms), 300, 60000, 0, "milliseconds", NULL, "3000",
	 "the primary's lease in Redis, renewed every third of it; a standby takes over once "
	 "it expires", NULL},
	{"replication", "backlog", T_UINT, F(repl_backlog), 0, 1u << 21, 0, "writes", NULL, "0",
	 "writes awaiting Redis before more are refused; 0: half of engine.requests", NULL},
	{"log", "level", T_CHOICE, F(log_level), 0, 0, 0, NULL,
	 "error|warning|notice|info|debug", "notice", "least severe messages logged", NULL},
};

#define N_KEYS (sizeof(table) / sizeof(table[0]))

static const struct conf_key *find_key(const char *section, const char *key)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(table[i].section, section) == 0 && strcmp(table[i].key, key) == 0)
			return &table[i];
	return NULL;
}

static int choice_ok(const char *choices, const char *v)
{
	size_t n = strlen(v);
	for (const char *p = choices; *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == n && strncmp(p, v, n) == 0)
			return 1;
		if (!bar)
			break;
		p = bar + 1;
	}
	return 0;
}

/* Parse value into c for key k; on error write the rule broken to why. */
static int apply(struct akma_conf *c, const struct conf_key *k, const char *v, char *why,
		 size_t size)
{
	char *base = (char *)c;

	switch (k->type) {
	case T_UINT: {
		char *end;
		errno = 0;
		if (!isdigit((unsigned char)v[0])) {
			snprintf(why, size, "not a whole number: '%s'", v);
			return -1;
		}
		unsigned long long n = strtoull(v, &end, 10);
		if (errno || *end) {
			snprintf(why, size, "not a whole number: '%s'", v);
			return -1;
		}
		if (n < k->min || n > k->max) {
			snprintf(why, size, "must be %llu..%llu %s", (unsigned long long)k->min,
				 (unsigned long long)k->max, k->unit);
			return -1;
		}
		if (k->power_of_two && (n & (n - 1))) {
			snprintf(why, size, "must be a power of two");
			return -1;
		}
		*(uint64_t *)(base + k->offset) = n;
		return 0;
	}
	case T_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
			*(int *)(base + k->offset) = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
			*(int *)(base + k->offset) = 0;
		else {
			snprintf(why, size, "must be true or false");
			return -1;
		}
		return 0;
	case T_CHOICE:
		if (!choice_ok(k->choices, v)) {
			snprintf(why, size, "must be one of %s", k->choices);
			return -1;
		}
		snprintf(base + k->offset, AKMA_CONF_STR_MAX, "%s", v);
		return 0;
	case T_STRING:
		if (strlen(v) < k->min || strlen(v) > k->max) {
			snprintf(why, size, "must be %llu..%llu characters", (unsigned long long)k->min,
				 (unsigned long long)k->max);
			return -1;
		}
		snprintf(base + k->offset, AKMA_CONF_STR_MAX, "%s", v);
		return 0;
	}
	return -1;
}

void akma_conf_defaults(struct akma_conf *c)
{
	char why[128];

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < N_KEYS; i++)
		apply(c, &table[i], table[i].def, why, sizeof(why));
}

int akma_conf_set(struct akma_conf *c, const char *name, const char *value, char *err,
		  size_t err_size)
{
	char section[64], why[160];
	const char *dot = strchr(name, '.');

	if (!dot || (size_t)(dot - name) >= sizeof(section)) {
		snprintf(err, err_size, "'%s': keys are written section.key", name);
		return -1;
	}
	memcpy(section, name, (size_t)(dot - name));
	section[dot - name] = '\0';
	const struct conf_key *k = find_key(section, dot + 1);
	if (!k) {
		snprintf(err, err_size, "unknown key '%s'", name);
		return -1;
	}
	if (apply(c, k, value, why, sizeof(why)) != 0) {
		snprintf(err, err_size, "key '%s': %s", name, why);
		return -1;
	}
	return 0;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

int akma_conf_load(struct akma_conf *c, const char *path, char *err, size_t err_size)
{
	char line[1024], section[64] = "", name[160], why[300];
	FILE *f = fopen(path, "r");
	int lineno = 0;

	if (!f) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, err_size, "%s:%d: line longer than %zu characters", path, lineno,
				 sizeof(line) - 2);
			goto fail;
		}
		char *s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || trim(close + 1)[0] != '\0' || close - s - 1 >= (long)sizeof(section)) {
				snprintf(err, err_size, "%s:%d: malformed section header", path, lineno);
				goto fail;
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			int known = 0;
			for (size_t i = 0; i < N_KEYS; i++)
				known |= strcmp(table[i].section, section) == 0;
			if (!known) {
				snprintf(err, err_size, "%s:%d: unknown section [%s]", path, lineno,
					 section);
				goto fail;
			}
			continue;
		}
		char *eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, err_size, "%s:%d: expected key = value", path, lineno);
			goto fail;
		}
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		if (!section[0]) {
			snprintf(err, err_size, "%s:%d: key '%s' outside a [section]", path, lineno, key);
			goto fail;
		}
		snprintf(name, sizeof(name), "%s.%s", section, key);
		if (akma_conf_set(c, name, value, why, sizeof(why)) != 0) {
			snprintf(err, err_size, "%s:%d: %s", path, lineno, why);
			goto fail;
		}
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	return -1;
}

/* Options may spell a key's '_' as '-': --redis-password-file. */
static int same_key(const char *opt, const char *key)
{
	for (; *opt && *key; opt++, key++)
		if (*opt != *key && !(*opt == '-' && *key == '_'))
			return 0;
	return *opt == *key;
}

int akma_conf_option_name(const char *option, char *name, size_t size)
{
	for (size_t i = 0; i < N_KEYS; i++) {
		if (table[i].alias && strcmp(option, table[i].alias) == 0) {
			snprintf(name, size, "%s.%s", table[i].section, table[i].key);
			return 1;
		}
	}
	for (size_t i = 0; i < N_KEYS; i++) {
		size_t sl = strlen(table[i].section);
		if (strncmp(option, table[i].section, sl) == 0 && option[sl] == '-' &&
		    same_key(option + sl + 1, table[i].key)) {
			snprintf(name, size, "%s.%s", table[i].section, table[i].key);
			return 1;
		}
	}
	return 0;
}

int akma_conf_is_bool(const char *name)
{
	char section[64];
	const char *dot = strchr(name, '.');

	if (!dot || (size_t)(dot - name) >= sizeof(section))
		return 0;
	memcpy(section, name, (size_t)(dot - name));
	section[dot - name] = '\0';
	const struct conf_key *k = find_key(section, dot + 1);
	return k && k->type == T_BOOL;
}

static void describe(const struct conf_key *k, char *buf, size_t size)
{
	switch (k->type) {
	case T_UINT:
		snprintf(buf, size, "%llu..%llu %s%s", (unsigned long long)k->min,
			 (unsigned long long)k->max, k->unit, k->power_of_two ? ", a power of two" : "");
		break;
	case T_BOOL:
		snprintf(buf, size, "true or false");
		break;
	case T_CHOICE:
		snprintf(buf, size, "%s", k->choices);
		break;
	case T_STRING:
		snprintf(buf, size, "text");
		break;
	}
}

void akma_conf_help(FILE *out)
{
	char range[96];

	for (size_t i = 0; i < N_KEYS; i++) {
		const struct conf_key *k = &table[i];
		describe(k, range, sizeof(range));
		fprintf(out, "  --%s-%s %s", k->section, k->key, k->type == T_BOOL ? "[VALUE]" : "VALUE");
		if (k->alias)
			fprintf(out, ", --%s %s", k->alias, k->type == T_BOOL ? "[VALUE]" : "VALUE");
		fprintf(out, "\n      [%s] %s = %s (default)\n      %s; %s\n", k->section, k->key,
			k->def[0] ? k->def : "(empty)", k->help, range);
	}
}

static void value_text(const struct akma_conf *c, const struct conf_key *k, char *buf, size_t size)
{
	const char *base = (const char *)c;

	switch (k->type) {
	case T_UINT:
		snprintf(buf, size, "%llu", (unsigned long long)*(const uint64_t *)(base + k->offset));
		break;
	case T_BOOL:
		snprintf(buf, size, "%s", *(const int *)(base + k->offset) ? "true" : "false");
		break;
	default:
		snprintf(buf, size, "%s", base + k->offset);
		break;
	}
}

int akma_conf_entry(const struct akma_conf *c, unsigned i, char *name, size_t name_size,
		    char *value, size_t value_size)
{
	if (i >= N_KEYS)
		return 0;
	snprintf(name, name_size, "%s.%s", table[i].section, table[i].key);
	value_text(c, &table[i], value, value_size);
	return 1;
}

void akma_conf_dump(const struct akma_conf *c, FILE *out)
{
	const char *section = "";
	char range[96];

	for (size_t i = 0; i < N_KEYS; i++) {
		const struct conf_key *k = &table[i];
		if (strcmp(section, k->section) != 0) {
			fprintf(out, "%s[%s]\n", i ? "\n" : "", k->section);
			section = k->section;
		}
		describe(k, range, sizeof(range));
		fprintf(out, "# %s (%s; default %s)\n", k->help, range, k->def[0] ? k->def : "empty");
		char value[AKMA_CONF_STR_MAX + 32];
		value_text(c, k, value, sizeof(value));
		fprintf(out, "%s = %s\n", k->key, value);
	}
}

int akma_conf_load_args(struct akma_conf *c, const char *config, int argc, char **argv, int start,
			const char *const *extra, const char **extra_value, const char *program,
			char *err, size_t err_size)
{
	char name[96];

	akma_conf_defaults(c);
	if (akma_conf_load(c, config, err, err_size) != 0)
		return -1;
	for (int i = start; i < argc; i++) {
		const char *a = argv[i];
		int taken = 0;
		for (unsigned k = 0; extra && extra[k]; k++)
			if (!strcmp(a, extra[k]) && i + 1 < argc) {
				extra_value[k] = argv[++i];
				taken = 1;
				break;
			}
		if (taken)
			continue;
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
		    akma_conf_is_bool(name) && (i + 1 == argc || !strncmp(argv[i + 1], "--", 2))) {
			if (akma_conf_set(c, name, "true", err, err_size) != 0)
				return -1;
			continue;
		}
		if (!strncmp(a, "--", 2) && akma_conf_option_name(a + 2, name, sizeof(name)) &&
		    i + 1 < argc) {
			if (akma_conf_set(c, name, argv[++i], err, err_size) != 0)
				return -1;
			continue;
		}
		snprintf(err, err_size, "unknown option or missing value: %s (see %s --help)", a,
			 program);
		return -1;
	}
	return 0;
}
