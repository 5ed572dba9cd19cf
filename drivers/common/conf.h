/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_CONF_H
#define AKMA_CONF_H

/*
 * A table-driven configuration: a program's table (akmad's is
 * drivers/programs/akmad_conf.c) names every key with its section, type,
 * unit, bounds, default and help text, and where in the program's struct
 * its value lives. The INI parser, the command-line overrides (--set
 * section.key=value, and --section-key value), --help and the dump that
 * akmactl config prints all come from that table, so none of them can
 * disagree with the others.
 *
 * Not thread-safe; parse at start-up or on SIGHUP into a fresh struct and
 * swap. Never logs values of secrets (a table names files that hold them,
 * never the secrets).
 */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define AKMA_CONF_STR_MAX 256

enum akma_conf_type {
	AKMA_CONF_UINT,   /* uint64_t, min..max, optionally a power of two */
	AKMA_CONF_BOOL,   /* int, 0 or 1 */
	AKMA_CONF_CHOICE, /* char[AKMA_CONF_STR_MAX], one of "a|b|c" */
	AKMA_CONF_STRING, /* char[AKMA_CONF_STR_MAX], min..max characters */
};

struct akma_conf_key {
	const char *section;
	const char *key;
	enum akma_conf_type type;
	size_t offset;     /* of the value in the program's struct */
	uint64_t min, max; /* UINT: the value; STRING: its length */
	int power_of_two;  /* UINT */
	const char *unit;
	const char *choices; /* CHOICE: "a|b|c" */
	const char *def;     /* default, as text */
	const char *help;
	const char *alias; /* a shorter option name, or NULL */
};

struct akma_conf_table {
	const struct akma_conf_key *keys;
	unsigned n;
	size_t size; /* of the struct the offsets point into */
};

/* The defaults, then the file config, then the command line from argv[start]
 * on: --config FILE (skipped: the caller found it), --set SECTION.KEY=VALUE,
 * --SECTION-KEY VALUE (or a key's alias; a true/false key may stand alone),
 * and the caller's own options extra[] (NULL-terminated, each taking one
 * value, stored in extra_value[]). Returns 0, or -1 with the file, line and
 * key, or the option, in err ("see PROGRAM --help"). */
int akma_conf_load_args(const struct akma_conf_table *t, void *c, const char *config, int argc,
			char **argv, int start, const char *const *extra, const char **extra_value,
			const char *program, char *err, size_t err_size);

/* Every key at its default. */
void akma_conf_defaults(const struct akma_conf_table *t, void *c);

/* Read an INI file into c (which holds defaults or earlier values). On error
 * returns -1 and writes "FILE:LINE: key 'engine.burst': must be 1..64" to
 * err; c may then be partly updated. */
int akma_conf_load(const struct akma_conf_table *t, void *c, const char *path, char *err,
		   size_t err_size);

/* Set one key from "section.key" and a value text, as a config line would.
 * Returns 0, or -1 with the reason in err (unknown key, bad value). */
int akma_conf_set(const struct akma_conf_table *t, void *c, const char *name, const char *value,
		  char *err, size_t err_size);

/* Every key as man(7) text: a .SS per section, a .TP per key with its
 * default, help, bounds and option; for the generated akmad.conf(5). */
void akma_conf_man(const struct akma_conf_table *t, FILE *out);

/* The long option for a key ("engine-capacity", or its alias: "redis" for
 * redis.address) maps back to "engine.capacity". Returns 1 and fills name
 * when option is one of the table's, else 0. */
int akma_conf_option_name(const struct akma_conf_table *t, const char *option, char *name,
			  size_t size);

/* 1 when the key "section.key" is true/false: its option may stand alone
 * (--standby means --standby true). */
int akma_conf_is_bool(const struct akma_conf_table *t, const char *name);

/* The i-th key of the table as "section.key" and c's value for it, as
 * text. Returns 1, or 0 past the last key. For telemetry and akmactl. */
int akma_conf_entry(const struct akma_conf_table *t, const void *c, unsigned i, char *name,
		    size_t name_size, char *value, size_t value_size);

/* Print every key with its unit, bounds, default and help, as --help does. */
void akma_conf_help(const struct akma_conf_table *t, FILE *out);

/* Print c as a complete INI file that akma_conf_load() reads back. */
void akma_conf_dump(const struct akma_conf_table *t, const void *c, FILE *out);

/* The INI reader under akma_conf_load(), for files of another shape (the
 * SBI's consumer policy, with a section per consumer): '#' and ';' start
 * comments, "[section]" headers, "key = value" lines (spaces trimmed).
 * section() is called at each header, key() for each line; either refuses
 * with a reason in why, which akma_ini_read() prefixes with "FILE:LINE: "
 * in err and returns -1 (also for a malformed line or an unreadable file).
 * Blocks on the file only. */
struct akma_ini_handler {
	int (*section)(void *ctx, const char *section, char *why, size_t why_size);
	int (*key)(void *ctx, const char *section, const char *key, const char *value, char *why,
		   size_t why_size);
};
int akma_ini_read(const char *path, const struct akma_ini_handler *h, void *ctx, char *err,
		  size_t err_size);

/* The path of a file a configuration names: name itself when absolute,
 * else name in the directory of the configuration file config. */
void akma_conf_file_path(const char *config, const char *name, char *out, size_t size);

#endif
