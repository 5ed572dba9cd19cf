/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_SBI_POLICY_H
#define AKMA_SBI_POLICY_H

/*
 * The consumer policy of the SBI (sbi.policy; conf/policy.conf is the
 * commented example): who each consumer is, what role it has, and for an
 * AF or the NEF which AF names it may ask keys for (TS 33.535 6.3, CR0055:
 * the AAnF checks whether it may serve the AF before deriving K_AF).
 *
 *   [consumer NAME]
 *   role = ausf | af | nef
 *   nf_instance_id = UUID     matched to a token's sub and to the client
 *                             certificate's urn:uuid: subjectAltName
 *   cert_dns = NAME           a certificate DNS name that identifies it too
 *   afs = FQDN[;ua=HEX10], ...   af and nef: the AF names, each with its
 *                             Ua* security protocol identifier (a bare FQDN
 *                             here takes sbi.default_ua)
 *   supi_access = true|false  af, without OAuth2: whether the SUPI is
 *                             returned (with OAuth2 the token's
 *                             naanf-akma:applicationkeyget:supi-access
 *                             scope decides)
 *
 * Each consumer needs a role and nf_instance_id or cert_dns. Unknown keys
 * and sections, malformed values and duplicate names or identities stop
 * the load with the file, line and key named. Loaded on the control thread
 * (start, SIGHUP) and then read-only, so the SBI thread reads it without
 * locks; a reload builds a new one and swaps the pointer.
 */

#include <stddef.h>
#include <stdint.h>

#include "kdf.h"
#include "uuid.h"

enum akma_sbi_role { AKMA_ROLE_AUSF = 1, AKMA_ROLE_AF = 2, AKMA_ROLE_NEF = 3 };

#define AKMA_POLICY_NAME_MAX 64
#define AKMA_POLICY_AFS_MAX 1024 /* AF names of one consumer */

struct akma_sbi_consumer {
	char name[AKMA_POLICY_NAME_MAX];
	enum akma_sbi_role role;
	char nf_instance_id[AKMA_UUID_LEN + 1]; /* lower case; "" when not given */
	char cert_dns[256];                     /* "" when not given */
	int supi_access;
	unsigned n_afs;
	struct akma_af_id *afs;
};

struct akma_sbi_policy;

/* Load path. default_ua: the Ua* id of a bare FQDN in afs. Returns NULL with
 * "FILE:LINE: ..." (or why the file could not be read) in why. */
struct akma_sbi_policy *akma_sbi_policy_load(const char *path,
					     const uint8_t default_ua[AKMA_UA_ID_LEN], char *why,
					     size_t why_size);
void akma_sbi_policy_free(struct akma_sbi_policy *p);

/* The consumer whose nf_instance_id is uuid (any case), or whose cert_dns is
 * dns; NULL when none. */
const struct akma_sbi_consumer *akma_sbi_policy_by_id(const struct akma_sbi_policy *p,
						      const char *uuid);
const struct akma_sbi_consumer *akma_sbi_policy_by_dns(const struct akma_sbi_policy *p,
						       const char *dns);

/* The AF check. af: the requested AF name; explicit_ua: 1 when the request
 * named its Ua* id (af->ua_id), 0 for a bare FQDN. Returns 1 when c may ask
 * keys for it, and for a bare FQDN sets af->ua_id to the first identifier
 * the policy lists for that FQDN; 0 when c may not. */
int akma_sbi_policy_af(const struct akma_sbi_consumer *c, struct akma_af_id *af, int explicit_ua);

#endif
