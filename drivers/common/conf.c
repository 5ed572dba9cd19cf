/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The table-driven configuration parser (see conf.h). It knows no key of
 * its own: a program's table names them, and the INI reader, the
 * command-line overrides, --help and the dump all walk that table.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static const struct akma_conf_key *find_key(const struct akma_conf_table *t, const char *section,
					    const char *key)
{
	for (unsigned i = 0; i < t->n; i++)
		if (strcmp(t->keys[i].section, section) == 0 && strcmp(t->keys[i].key, key) == 0)
			return &t->keys[i];
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
static int apply(void *c, const struct akma_conf_key *k, const char *v, char *why, size_t size)
{
	char *base = (char *)c;

	switch (k->type) {
	case AKMA_CONF_UINT: {
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
	case AKMA_CONF_BOOL:
		if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
			*(int *)(base + k->offset) = 1;
		else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
			*(int *)(base + k->offset) = 0;
		else {
			snprintf(why, size, "must be true or false");
			return -1;
		}
		return 0;
	case AKMA_CONF_CHOICE:
		if (!choice_ok(k->choices, v)) {
			snprintf(why, size, "must be one of %s", k->choices);
			return -1;
		}
		snprintf(base + k->offset, AKMA_CONF_STR_MAX, "%s", v);
		return 0;
	case AKMA_CONF_STRING:
		if (strlen(v) < k->min || strlen(v) > k->max) {
			snprintf(why, size, "must be %llu..%llu characters",
				 (unsigned long long)k->min, (unsigned long long)k->max);
			return -1;
		}
		snprintf(base + k->offset, AKMA_CONF_STR_MAX, "%s", v);
		return 0;
	}
	return -1;
}

void akma_conf_defaults(const struct akma_conf_table *t, void *c)
{
	char why[128];

	memset(c, 0, t->size);
	for (size_t i = 0; i < t->n; i++)
		apply(c, &t->keys[i], t->keys[i].def, why, sizeof(why));
}

int akma_conf_set(const struct akma_conf_table *t, void *c, const char *name, const char *value,
		  char *err, size_t err_size)
{
	char section[64], why[160];
	const char *dot = strchr(name, '.');

	if (!dot || (size_t)(dot - name) >= sizeof(section)) {
		snprintf(err, err_size, "'%s': keys are written section.key", name);
		return -1;
	}
	memcpy(section, name, (size_t)(dot - name));
	section[dot - name] = '\0';
	const struct akma_conf_key *k = find_key(t, section, dot + 1);
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

int akma_ini_read(const char *path, const struct akma_ini_handler *h, void *ctx, char *err,
		  size_t err_size)
{
	char line[1024], section[128] = "", why[400];
	FILE *f = fopen(path, "r");
	int lineno = 0;

	if (!f) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, err_size, "%s:%d: line longer than %zu characters", path,
				 lineno, sizeof(line) - 2);
			goto fail;
		}
		char *s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		why[0] = '\0';
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (!close || trim(close + 1)[0] != '\0' ||
			    close - s - 1 >= (long)sizeof(section)) {
				snprintf(err, err_size, "%s:%d: malformed section header", path,
					 lineno);
				goto fail;
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			if (h->section(ctx, section, why, sizeof(why)) != 0) {
				snprintf(err, err_size, "%s:%d: %s", path, lineno, why);
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
			snprintf(err, err_size, "%s:%d: key '%s' outside a [section]", path, lineno,
				 key);
			goto fail;
		}
		if (h->key(ctx, section, key, value, why, sizeof(why)) != 0) {
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

struct table_load {
	const struct akma_conf_table *t;
	void *c;
};

static int table_section(void *ctx, const char *section, char *why, size_t why_size)
{
	const struct table_load *l = ctx;
	for (size_t i = 0; i < l->t->n; i++)
		if (strcmp(l->t->keys[i].section, section) == 0)
			return 0;
	snprintf(why, why_size, "unknown section [%s]", section);
	return -1;
}

static int table_key(void *ctx, const char *section, const char *key, const char *value, char *why,
		     size_t why_size)
{
	const struct table_load *l = ctx;
	char name[200];
	snprintf(name, sizeof(name), "%s.%s", section, key);
	return akma_conf_set(l->t, l->c, name, value, why, why_size);
}

int akma_conf_load(const struct akma_conf_table *t, void *c, const char *path, char *err,
		   size_t err_size)
{
	static const struct akma_ini_handler h = {table_section, table_key};
	struct table_load l = {t, c};
	return akma_ini_read(path, &h, &l, err, err_size);
}

/* Options may spell a key's '_' as '-': --redis-password-file. */
static int same_key(const char *opt, const char *key)
{
	for (; *opt && *key; opt++, key++)
		if (*opt != *key && !(*opt == '-' && *key == '_'))
			return 0;
	return *opt == *key;
}

int akma_conf_option_name(const struct akma_conf_table *t, const char *option, char *name,
			  size_t size)
{
	for (size_t i = 0; i < t->n; i++) {
		if (t->keys[i].alias && strcmp(option, t->keys[i].alias) == 0) {
			snprintf(name, size, "%s.%s", t->keys[i].section, t->keys[i].key);
			return 1;
		}
	}
	for (size_t i = 0; i < t->n; i++) {
		size_t sl = strlen(t->keys[i].section);
		if (strncmp(option, t->keys[i].section, sl) == 0 && option[sl] == '-' &&
		    same_key(option + sl + 1, t->keys[i].key)) {
			snprintf(name, size, "%s.%s", t->keys[i].section, t->keys[i].key);
			return 1;
		}
	}
	return 0;
}

int akma_conf_is_bool(const struct akma_conf_table *t, const char *name)
{
	char section[64];
	const char *dot = strchr(name, '.');

	if (!dot || (size_t)(dot - name) >= sizeof(section))
		return 0;
	memcpy(section, name, (size_t)(dot - name));
	section[dot - name] = '\0';
	const struct akma_conf_key *k = find_key(t, section, dot + 1);
	return k && k->type == AKMA_CONF_BOOL;
}

static void describe(const struct akma_conf_key *k, char *buf, size_t size)
{
	switch (k->type) {
	case AKMA_CONF_UINT:
		snprintf(buf, size, "%llu..%llu %s%s", (unsigned long long)k->min,
			 (unsigned long long)k->max, k->unit,
			 k->power_of_two ? ", a power of two" : "");
		break;
	case AKMA_CONF_BOOL:
		snprintf(buf, size, "true or false");
		break;
	case AKMA_CONF_CHOICE:
		snprintf(buf, size, "%s", k->choices);
		break;
	case AKMA_CONF_STRING:
		snprintf(buf, size, "text");
		break;
	}
}

void akma_conf_help(const struct akma_conf_table *t, FILE *out)
{
	char range[96];

	for (size_t i = 0; i < t->n; i++) {
		const struct akma_conf_key *k = &t->keys[i];
		describe(k, range, sizeof(range));
		fprintf(out, "  --%s-%s %s", k->section, k->key,
			k->type == AKMA_CONF_BOOL ? "[VALUE]" : "VALUE");
		if (k->alias)
			fprintf(out, ", --%s %s", k->alias,
				k->type == AKMA_CONF_BOOL ? "[VALUE]" : "VALUE");
		fprintf(out, "\n      [%s] %s = %s (default)\n      %s; %s\n", k->section, k->key,
			k->def[0] ? k->def : "(empty)", k->help, range);
	}
}

/* Text for roff: a backslash doubled, a leading dot or quote escaped, so
 * that no help text is read as a request. */
static void roff_text(FILE *out, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '-')
			fputs("\\-", out);
		else
			fputc(*s, out);
	}
}

void akma_conf_man(const struct akma_conf_table *t, FILE *out)
{
	char range[96];
	const char *section = "";

	for (size_t i = 0; i < t->n; i++) {
		const struct akma_conf_key *k = &t->keys[i];
		if (strcmp(section, k->section) != 0) {
			section = k->section;
			fprintf(out, ".SS [%s]\n", section);
		}
		describe(k, range, sizeof(range));
		fputs(".TP\n.B ", out);
		roff_text(out, k->key);
		fputs(" = ", out);
		roff_text(out, k->def[0] ? k->def : "(empty)");
		fputs("\n", out);
		roff_text(out, k->help);
		fputs("; ", out);
		roff_text(out, range);
		fprintf(out, ".\nOption: \\fB\\-\\-");
		roff_text(out, k->section);
		fputs("\\-", out);
		roff_text(out, k->key);
		fputs("\\fR", out);
		if (k->alias) {
			fputs(" or \\fB\\-\\-", out);
			roff_text(out, k->alias);
			fputs("\\fR", out);
		}
		fputs(".\n", out);
	}
}

static void value_text(const void *c, const struct akma_conf_key *k, char *buf, size_t size)
{
	const char *base = (const char *)c;

	switch (k->type) {
	case AKMA_CONF_UINT:
		snprintf(buf, size, "%llu",
			 (unsigned long long)*(const uint64_t *)(base + k->offset));
		break;
	case AKMA_CONF_BOOL:
		snprintf(buf, size, "%s", *(const int *)(base + k->offset) ? "true" : "false");
		break;
	default:
		snprintf(buf, size, "%s", base + k->offset);
		break;
	}
}

int akma_conf_entry(const struct akma_conf_table *t, const void *c, unsigned i, char *name,
		    size_t name_size, char *value, size_t value_size)
{
	if (i >= t->n)
		return 0;
	snprintf(name, name_size, "%s.%s", t->keys[i].section, t->keys[i].key);
	value_text(c, &t->keys[i], value, value_size);
	return 1;
}

void akma_conf_dump(const struct akma_conf_table *t, const void *c, FILE *out)
{
	const char *section = "";
	char range[96];

	for (size_t i = 0; i < t->n; i++) {
		const struct akma_conf_key *k = &t->keys[i];
		if (strcmp(section, k->section) != 0) {
			fprintf(out, "%s[%s]\n", i ? "\n" : "", k->section);
			section = k->section;
		}
		describe(k, range, sizeof(range));
		fprintf(out, "# %s (%s; default %s)\n", k->help, range,
			k->def[0] ? k->def : "empty");
		char value[AKMA_CONF_STR_MAX + 32];
		value_text(c, k, value, sizeof(value));
		fprintf(out, "%s = %s\n", k->key, value);
	}
}

int akma_conf_load_args(const struct akma_conf_table *t, void *c, const char *config, int argc,
			char **argv, int start, const char *const *extra, const char **extra_value,
			const char *program, char *err, size_t err_size)
{
	char name[96];

	akma_conf_defaults(t, c);
	if (akma_conf_load(t, c, config, err, err_size) != 0)
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
				snprintf(err, err_size, "--set %s: expected SECTION.KEY=VALUE",
					 arg);
				return -1;
			}
			*eq = '\0';
			if (akma_conf_set(t, c, arg, eq + 1, err, err_size) != 0)
				return -1;
			continue;
		}
		if (!strncmp(a, "--", 2) && akma_conf_option_name(t, a + 2, name, sizeof(name)) &&
		    akma_conf_is_bool(t, name) &&
		    (i + 1 == argc || !strncmp(argv[i + 1], "--", 2))) {
			if (akma_conf_set(t, c, name, "true", err, err_size) != 0)
				return -1;
			continue;
		}
		if (!strncmp(a, "--", 2) && akma_conf_option_name(t, a + 2, name, sizeof(name)) &&
		    i + 1 < argc) {
			if (akma_conf_set(t, c, name, argv[++i], err, err_size) != 0)
				return -1;
			continue;
		}
		snprintf(err, err_size, "unknown option or missing value: %s (see %s --help)", a,
			 program);
		return -1;
	}
	return 0;
}

void akma_conf_file_path(const char *config, const char *name, char *out, size_t size)
{
	char dir[1024];

	if (name[0] == '/') {
		snprintf(out, size, "%s", name);
		return;
	}
	snprintf(dir, sizeof(dir), "%s", config);
	snprintf(out, size, "%s/%s", dirname(dir), name);
}
