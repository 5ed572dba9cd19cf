/* SPDX-License-Identifier: BSD-3-Clause */
/* The SBI's consumer policy (see sbi_policy.h). A few hundred consumers at
 * most, looked up once per request: arrays scanned in order are enough. */
#include "sbi_policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "err.h"

#define CONSUMERS_MAX 4096

struct akma_sbi_policy {
	struct akma_sbi_consumer *c;
	unsigned n, cap;
	uint8_t default_ua[AKMA_UA_ID_LEN];
	int has_afs; /* the current section set afs */
};

static int on_section(void *ctx, const char *section, char *why, size_t why_size)
{
	struct akma_sbi_policy *p = ctx;
	const char *name = section + 9;

	if (strncmp(section, "consumer ", 9) != 0 || !name[0]) {
		snprintf(why, why_size, "unknown section [%s] (sections are [consumer NAME])",
			 section);
		return -1;
	}
	while (*name == ' ')
		name++;
	if (strlen(name) >= AKMA_POLICY_NAME_MAX) {
		snprintf(why, why_size, "consumer name longer than %d", AKMA_POLICY_NAME_MAX - 1);
		return -1;
	}
	for (unsigned i = 0; i < p->n; i++)
		if (!strcmp(p->c[i].name, name)) {
			snprintf(why, why_size, "consumer '%s' defined twice", name);
			return -1;
		}
	if (p->n == CONSUMERS_MAX) {
		snprintf(why, why_size, "more than %d consumers", CONSUMERS_MAX);
		return -1;
	}
	if (p->n == p->cap) {
		unsigned cap = p->cap ? 2 * p->cap : 16;
		struct akma_sbi_consumer *c = realloc(p->c, cap * sizeof(*c));
		if (!c) {
			snprintf(why, why_size, "out of memory");
			return -1;
		}
		p->c = c;
		p->cap = cap;
	}
	struct akma_sbi_consumer *c = &p->c[p->n++];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	return 0;
}

static int is_true(const char *v, int *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

static int parse_afs(struct akma_sbi_policy *p, struct akma_sbi_consumer *c, const char *v,
		     char *why, size_t why_size)
{
	char list[1024];

	if (strlen(v) >= sizeof(list)) {
		snprintf(why, why_size, "key 'afs': longer than %zu characters", sizeof(list) - 1);
		return -1;
	}
	snprintf(list, sizeof(list), "%s", v);
	for (char *save, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		size_t n = strlen(t);
		while (n && t[n - 1] == ' ')
			t[--n] = '\0';
		if (c->n_afs == AKMA_POLICY_AFS_MAX) {
			snprintf(why, why_size, "key 'afs': more than %d AF names",
				 AKMA_POLICY_AFS_MAX);
			return -1;
		}
		struct akma_af_id *grown = realloc(c->afs, (c->n_afs + 1) * sizeof(*grown));
		if (!grown) {
			snprintf(why, why_size, "out of memory");
			return -1;
		}
		c->afs = grown;
		int rc = akma_af_id_parse(t, n, p->default_ua, &c->afs[c->n_afs]);
		if (rc) {
			snprintf(why, why_size,
				 "key 'afs': '%s': %s (FQDN or FQDN;ua=10 hex digits)", t,
				 akma_strerror(rc));
			return -1;
		}
		c->n_afs++;
	}
	return 0;
}

static int on_key(void *ctx, const char *section, const char *key, const char *value, char *why,
		  size_t why_size)
{
	struct akma_sbi_policy *p = ctx;
	struct akma_sbi_consumer *c = &p->c[p->n - 1];
	(void)section;

	if (!strcmp(key, "role")) {
		if (!strcmp(value, "ausf"))
			c->role = AKMA_ROLE_AUSF;
		else if (!strcmp(value, "af"))
			c->role = AKMA_ROLE_AF;
		else if (!strcmp(value, "nef"))
			c->role = AKMA_ROLE_NEF;
		else {
			snprintf(why, why_size, "key 'role': must be ausf, af or nef");
			return -1;
		}
	} else if (!strcmp(key, "nf_instance_id")) {
		if (!akma_uuid_valid(value, strlen(value))) {
			snprintf(why, why_size,
				 "key 'nf_instance_id': not a UUID (8-4-4-4-12 hex)");
			return -1;
		}
		for (size_t i = 0; i <= AKMA_UUID_LEN; i++)
			c->nf_instance_id[i] =
				(char)(value[i] >= 'A' && value[i] <= 'F' ? value[i] - 'A' + 'a'
									  : value[i]);
	} else if (!strcmp(key, "cert_dns")) {
		if (akma_fqdn_check(value, strlen(value)) != 0) {
			snprintf(why, why_size, "key 'cert_dns': not a DNS name");
			return -1;
		}
		snprintf(c->cert_dns, sizeof(c->cert_dns), "%s", value);
	} else if (!strcmp(key, "afs")) {
		return parse_afs(p, c, value, why, why_size);
	} else if (!strcmp(key, "supi_access")) {
		if (is_true(value, &c->supi_access) != 0) {
			snprintf(why, why_size, "key 'supi_access': must be true or false");
			return -1;
		}
	} else {
		snprintf(why, why_size,
			 "unknown key '%s' (role, nf_instance_id, cert_dns, afs, supi_access)",
			 key);
		return -1;
	}
	return 0;
}

/* What no single line can show: each consumer complete, identities unique. */
static int check_all(const struct akma_sbi_policy *p, const char *path, char *why, size_t why_size)
{
	for (unsigned i = 0; i < p->n; i++) {
		const struct akma_sbi_consumer *c = &p->c[i];
		const char *fault = !c->role ? "has no role"
				    : !c->nf_instance_id[0] && !c->cert_dns[0]
					    ? "has neither nf_instance_id nor cert_dns"
				    : c->role == AKMA_ROLE_AUSF && c->n_afs ? "is an ausf with afs"
				    : c->role != AKMA_ROLE_AF && c->supi_access
					    ? "has supi_access but is not an af"
					    : NULL;
		for (unsigned j = 0; !fault && j < i; j++) {
			if (c->nf_instance_id[0] &&
			    !strcmp(c->nf_instance_id, p->c[j].nf_instance_id))
				fault = "shares its nf_instance_id with an earlier consumer";
			else if (c->cert_dns[0] && !strcasecmp(c->cert_dns, p->c[j].cert_dns))
				fault = "shares its cert_dns with an earlier consumer";
		}
		if (fault) {
			snprintf(why, why_size, "%s: consumer '%s' %s", path, c->name, fault);
			return -1;
		}
	}
	return 0;
}

void akma_sbi_policy_free(struct akma_sbi_policy *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->n; i++)
		free(p->c[i].afs);
	free(p->c);
	free(p);
}

struct akma_sbi_policy *akma_sbi_policy_load(const char *path,
					     const uint8_t default_ua[AKMA_UA_ID_LEN], char *why,
					     size_t why_size)
{
	static const struct akma_ini_handler h = {on_section, on_key};
	struct akma_sbi_policy *p = calloc(1, sizeof(*p));

	if (!p) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	memcpy(p->default_ua, default_ua, AKMA_UA_ID_LEN);
	if (akma_ini_read(path, &h, p, why, why_size) != 0 ||
	    check_all(p, path, why, why_size) != 0) {
		akma_sbi_policy_free(p);
		return NULL;
	}
	return p;
}

const struct akma_sbi_consumer *akma_sbi_policy_by_id(const struct akma_sbi_policy *p,
						      const char *uuid)
{
	for (unsigned i = 0; p && i < p->n; i++)
		if (p->c[i].nf_instance_id[0] && !strcasecmp(p->c[i].nf_instance_id, uuid))
			return &p->c[i];
	return NULL;
}

const struct akma_sbi_consumer *akma_sbi_policy_by_dns(const struct akma_sbi_policy *p,
						       const char *dns)
{
	for (unsigned i = 0; p && i < p->n; i++)
		if (p->c[i].cert_dns[0] && !strcasecmp(p->c[i].cert_dns, dns))
			return &p->c[i];
	return NULL;
}

int akma_sbi_policy_af(const struct akma_sbi_consumer *c, struct akma_af_id *af, int explicit_ua)
{
	for (unsigned i = 0; i < c->n_afs; i++) {
		const struct akma_af_id *a = &c->afs[i];
		/* The FQDN's octets are KDF input: compared exactly, no case folding. */
		if (a->fqdn_len != af->fqdn_len || memcmp(a->fqdn, af->fqdn, af->fqdn_len))
			continue;
		if (!explicit_ua) {
			memcpy(af->ua_id, a->ua_id, AKMA_UA_ID_LEN);
			return 1;
		}
		if (!memcmp(a->ua_id, af->ua_id, AKMA_UA_ID_LEN))
			return 1;
	}
	return 0;
}
