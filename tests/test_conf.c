/* SPDX-License-Identifier: BSD-3-Clause */
/* The configuration table and what comes from it: the shipped file equals
 * the defaults, a dump reads back to the same values, and every refusal
 * names the file, line and key. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "akmad_conf.h"

static char dir[] = "/tmp/akma-conf-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void refused(const char *text, const char *must_contain)
{
	struct akma_conf c;
	char err[512];
	akma_conf_defaults(&akmad_conf_table, &c);
	int rc = akma_conf_load(&akmad_conf_table, &c, write_file("bad.conf", text), err,
				sizeof(err));
	CHECK(rc == -1 && strstr(err, must_contain) != NULL, "'%s' refused with '%s' (got '%s')",
	      text, must_contain, rc ? err : "accepted");
}

int main(int argc, char **argv)
{
	struct akma_conf def, c;
	char err[512];

	if (argc != 2 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: test_conf conf/akmad.conf\n");
		return 2;
	}
	akma_conf_defaults(&akmad_conf_table, &def);
	CHECK(def.capacity == 1000000 && def.kaf_lifetime_s == 86400 && def.burst == 32 &&
		      strcmp(def.listen, "udp:127.0.0.1:7777") == 0 && def.allow_plain_unix == 0 &&
		      strcmp(def.mb_arch, "auto") == 0,
	      "defaults");

	/* The shipped file is exactly the defaults. */
	akma_conf_defaults(&akmad_conf_table, &c);
	CHECK(akma_conf_load(&akmad_conf_table, &c, argv[1], err, sizeof(err)) == 0,
	      "shipped file: %s", err);
	CHECK(memcmp(&c, &def, sizeof(c)) == 0, "shipped file equals the table's defaults");

	/* A dump of changed values reads back to them. */
	CHECK(akma_conf_set(&akmad_conf_table, &c, "engine.capacity", "10000000", err,
			    sizeof(err)) == 0,
	      "set");
	CHECK(akma_conf_set(&akmad_conf_table, &c, "wire.allow_plain_unix", "yes", err,
			    sizeof(err)) == 0,
	      "set bool");
	CHECK(akma_conf_set(&akmad_conf_table, &c, "wire.listen",
			    "udp:[::1]:7777,unix:/run/akmad.sock", err, sizeof(err)) == 0,
	      "set list");
	char path[256];
	snprintf(path, sizeof(path), "%s/dump.conf", dir);
	FILE *f = fopen(path, "w");
	akma_conf_dump(&akmad_conf_table, &c, f);
	fclose(f);
	struct akma_conf back;
	akma_conf_defaults(&akmad_conf_table, &back);
	CHECK(akma_conf_load(&akmad_conf_table, &back, path, err, sizeof(err)) == 0 &&
		      memcmp(&back, &c, sizeof(c)) == 0,
	      "dump reads back: %s", err);

	/* Refusals name file, line and key. */
	refused("[engine]\ncapacity = 5\n",
		"bad.conf:2: key 'engine.capacity': must be 64..268435456");
	refused("[engine]\n\n# c\nburst = 65\n", ":4: key 'engine.burst': must be 1..64");
	refused("[engine]\nring_size = 1000\n", "ring_size': must be a power of two");
	refused("[engine]\nworkers = -1\n", "not a whole number");
	refused("[engine]\nworkers = 2x\n", "not a whole number");
	refused("[engine]\nworkers = 99999999999999999999999\n", "not a whole number");
	refused("[engine]\nmb_arch = neon\n", "must be one of auto|sse|avx|avx2|avx512|shani");
	refused("[engine]\ncapcity = 10\n", ":2: unknown key 'engine.capcity'");
	refused("[enigne]\n", ":1: unknown section [enigne]");
	refused("capacity = 10\n", ":1: key 'capacity' outside a [section]");
	refused("[engine\n", ":1: malformed section header");
	refused("[engine]\ncapacity\n", ":2: expected key = value");
	refused("[wire]\nallow_plain_unix = maybe\n", "must be true or false");
	refused("[wire]\nlisten =\n", "must be 1..255 characters");
	refused("[log]\nlevel = loud\n", "must be one of error|warning");
	CHECK(akma_conf_load(&akmad_conf_table, &c, "/nonexistent/akmad.conf", err, sizeof(err)) ==
			      -1 &&
		      strstr(err, "No such file"),
	      "missing file named: %s", err);

	/* Command-line forms. */
	char name[64];
	CHECK(akma_conf_option_name(&akmad_conf_table, "engine-capacity", name, sizeof(name)) ==
			      1 &&
		      strcmp(name, "engine.capacity") == 0,
	      "--engine-capacity");
	CHECK(akma_conf_option_name(&akmad_conf_table, "engine-capcity", name, sizeof(name)) == 0,
	      "unknown option");
	CHECK(akma_conf_set(&akmad_conf_table, &c, "capacity", "5", err, sizeof(err)) == -1 &&
		      strstr(err, "section.key"),
	      "--set needs section.key");

	/* --help lists every key the dump has. */
	char *help = NULL, *dump = NULL;
	size_t hl = 0, dl = 0;
	FILE *h = open_memstream(&help, &hl), *d = open_memstream(&dump, &dl);
	akma_conf_help(&akmad_conf_table, h);
	akma_conf_dump(&akmad_conf_table, &def, d);
	fclose(h);
	fclose(d);
	unsigned keys = 0, missing = 0;
	for (char *line = strtok(dump, "\n"); line; line = strtok(NULL, "\n")) {
		char key[64];
		if (line[0] == '#' || line[0] == '[' || sscanf(line, "%63s =", key) != 1)
			continue;
		keys++;
		char opt[80], flag[80];
		snprintf(opt, sizeof(opt), "-%s VALUE", key);
		snprintf(flag, sizeof(flag), "-%s [VALUE]", key);
		missing += strstr(help, opt) == NULL && strstr(help, flag) == NULL;
	}
	CHECK(keys >= 14 && missing == 0, "--help lists all %u keys (%u missing)", keys, missing);
	free(help);
	free(dump);

	/* The short names the replication options go by. */
	CHECK(akma_conf_option_name(&akmad_conf_table, "redis", name, sizeof(name)) &&
		      !strcmp(name, "redis.address"),
	      "--redis is redis.address");
	CHECK(akma_conf_option_name(&akmad_conf_table, "redis-password-file", name, sizeof(name)) &&
		      !strcmp(name, "redis.password_file"),
	      "--redis-password-file");
	CHECK(akma_conf_option_name(&akmad_conf_table, "replication", name, sizeof(name)) &&
		      !strcmp(name, "replication.mode"),
	      "--replication is replication.mode");
	CHECK(akma_conf_option_name(&akmad_conf_table, "kek-file", name, sizeof(name)) &&
		      !strcmp(name, "replication.kek_file"),
	      "--kek-file");
	CHECK(akma_conf_option_name(&akmad_conf_table, "standby", name, sizeof(name)) &&
		      akma_conf_is_bool(&akmad_conf_table, name) &&
		      !akma_conf_is_bool(&akmad_conf_table, "redis.address"),
	      "--standby is a flag");
	CHECK(!akma_conf_option_name(&akmad_conf_table, "redis-nonsense", name, sizeof(name)),
	      "unknown option");
	CHECK(akma_conf_set(&akmad_conf_table, &c, "replication.mode", "eventually", err,
			    sizeof(err)) != 0 &&
		      strstr(err, "sync|async|off"),
	      "a bad replication mode names the choices: %s", err);
	unlink(write_file("bad.conf", ""));
	unlink(path);
	rmdir(dir);
	return check_done("test_conf");
}
