/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The trust boundary of the SBI (see sbi_priv.h): who is calling (the
 * client certificate, the access token), may it call this operation (its
 * role in the policy, the token's operation scopes), and what it may learn
 * (SUPI, GPSI or neither). TS 33.501 13.1, 13.3, 13.4; TS 29.535 clause 4;
 * TS 33.535 6.3; spec/AKMA.md section 6.
 *
 * Refusals follow RFC 6750 3.1: no token 401 with a bare Bearer challenge, a
 * malformed Authorization header 400 invalid_request, a token that fails a
 * check 401 invalid_token, a token without the operation's scope 403
 * insufficient_scope; a consumer whose role or AF names do not allow the
 * request gets a plain 403 ProblemDetails.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>

#include <openssl/x509v3.h>

#include "sbi_json.h"
#include "sbi_priv.h"

#define REALM "naanf-akma"

static const char *const op_names[] = {"register-anchorkey", "retrieve-applicationkey",
				       "remove-context"};

void akma_sbi_peer_read(SSL *ssl, struct akma_sbi_peer *peer)
{
	memset(peer, 0, sizeof(*peer));
	X509 *x = SSL_get0_peer_certificate(ssl);
	if (!x || SSL_get_verify_result(ssl) != X509_V_OK)
		return;
	peer->verified = 1;
	GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const ASN1_IA5STRING *v = g->type == GEN_URI   ? g->d.uniformResourceIdentifier
					  : g->type == GEN_DNS ? g->d.dNSName
							       : NULL;
		if (!v)
			continue;
		const char *s = (const char *)ASN1_STRING_get0_data(v);
		size_t n = (size_t)ASN1_STRING_length(v);
		if (memchr(s, '\0', n))
			continue; /* an embedded NUL: never a name we match */
		if (g->type == GEN_URI && n == 9 + AKMA_UUID_LEN &&
		    !strncasecmp(s, "urn:uuid:", 9) && akma_uuid_valid(s + 9, AKMA_UUID_LEN) &&
		    !peer->uuid[0]) {
			memcpy(peer->uuid, s + 9, AKMA_UUID_LEN);
			peer->uuid[AKMA_UUID_LEN] = '\0';
		} else if (g->type == GEN_DNS && n < sizeof(peer->dns[0]) &&
			   peer->n_dns < AKMA_SBI_PEER_DNS_MAX) {
			memcpy(peer->dns[peer->n_dns], s, n);
			peer->dns[peer->n_dns++][n] = '\0';
		}
	}
	GENERAL_NAMES_free(names);
}

static void refuse(struct akma_sbi_decision *d, int status, const char *cause, unsigned refusal,
		   const char *detail)
{
	d->status = status;
	d->cause = cause;
	d->refusal = refusal;
	snprintf(d->detail, sizeof(d->detail), "%s", detail);
}

static void challenge(struct akma_sbi_decision *d, const char *error, const char *description,
		      const char *scope)
{
	int n = snprintf(d->www_authenticate, sizeof(d->www_authenticate),
			 "Bearer realm=\"" REALM "\"");
	if (error && n > 0 && (size_t)n < sizeof(d->www_authenticate))
		n += snprintf(d->www_authenticate + n, sizeof(d->www_authenticate) - (size_t)n,
			      ", error=\"%s\"", error);
	if (description && n > 0 && (size_t)n < sizeof(d->www_authenticate))
		n += snprintf(d->www_authenticate + n, sizeof(d->www_authenticate) - (size_t)n,
			      ", error_description=\"%s\"", description);
	if (scope && n > 0 && (size_t)n < sizeof(d->www_authenticate))
		snprintf(d->www_authenticate + n, sizeof(d->www_authenticate) - (size_t)n,
			 ", scope=\"%s\"", scope);
}

/* "Bearer TOKEN" (RFC 6750 2.1; the scheme in any case, one or more
 * spaces, a b64token). Returns the token, or NULL when malformed. */
static const char *bearer_token(const char *h, size_t len, size_t *tlen)
{
	if (len < 7 || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	size_t i = 7;
	while (i < len && h[i] == ' ')
		i++;
	const char *t = h + i;
	size_t n = len - i;
	while (n && t[n - 1] == ' ')
		n--;
	if (!n)
		return NULL;
	size_t k = 0;
	for (; k < n; k++) {
		char ch = t[k];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
		      ch == '~' || ch == '+' || ch == '/'))
			break;
	}
	if (k == 0)
		return NULL;
	while (k < n && t[k] == '=')
		k++;
	if (k != n)
		return NULL;
	*tlen = n;
	return t;
}

static int role_may(enum akma_sbi_role role, int op)
{
	if (op == AKMA_SBI_REGISTER || op == AKMA_SBI_REMOVE)
		return role == AKMA_ROLE_AUSF;
	return role == AKMA_ROLE_AF || role == AKMA_ROLE_NEF;
}

static const char *role_name(enum akma_sbi_role role)
{
	return role == AKMA_ROLE_AUSF ? "ausf" : role == AKMA_ROLE_AF ? "af" : "nef";
}

void akma_sbi_authorize(struct akma_sbi_auth *a, struct akma_sbi_peer *peer, const char *authz,
			size_t authz_len, int op, uint64_t now_s, struct akma_sbi_decision *d)
{
	char why[160], detail[sizeof(d->detail)];
	struct akma_token_claims claims;

	memset(d, 0, sizeof(*d));
	if (!a->mtls && !a->tokens) {
		d->open = 1; /* no authentication configured: loopback only (akmad_conf) */
		return;
	}
	if (a->tokens) {
		size_t tlen;
		const char *t;
		if (!authz) {
			refuse(d, 401, NULL, AKMA_SBI_REFUSED_NO_TOKEN,
			       "an access token is required (Authorization: Bearer)");
			challenge(d, NULL, NULL, NULL);
			return;
		}
		/* The header this connection showed last, whole, that passed every
		 * check below under this generation: the same caller. HPACK clients
		 * never index Authorization (nghttp2 sends it literally on every
		 * request, as RFC 7541 7.1.3 advises), so this is each request's
		 * case; parsing the token again was 3 000 instructions a request
		 * (callgrind, bench/sbi_trust.sh's load). */
		if (peer->memo_gen == a->gen && peer->memo_len == authz_len &&
		    peer->memo_claims.exp > now_s && !memcmp(peer->memo_token, authz, authz_len)) {
			d->oauth2 = 1;
			d->scopes = peer->memo_claims.scopes;
			d->consumer = peer->memo_consumer;
			goto operation;
		}
		if (!(t = bearer_token(authz, authz_len, &tlen))) {
			refuse(d, 400, NULL, AKMA_SBI_REFUSED_BAD_HEADER,
			       "the Authorization header is not 'Bearer <token>'");
			challenge(d, "invalid_request", NULL, NULL);
			return;
		}
		int rc = akma_token_verify(a->tokens, t, tlen, now_s, &claims, why, sizeof(why));
		if (rc == -EBUSY || rc == -ENOMEM) {
			refuse(d, 503, "NF_CONGESTION", AKMA_SBI_REFUSED_THROTTLED, why);
			d->retry_after = 1;
			return;
		}
		if (rc) {
			snprintf(detail, sizeof(detail), "invalid access token: %s", why);
			refuse(d, 401, NULL, AKMA_SBI_REFUSED_BAD_TOKEN, detail);
			challenge(d, "invalid_token", why, NULL);
			return;
		}
		/* TS 33.501 13.4.1.1.2: with mTLS, the token must be the certificate's. */
		if (a->mtls && strcasecmp(claims.sub, peer->uuid) != 0) {
			refuse(d, 401, NULL, AKMA_SBI_REFUSED_BAD_TOKEN,
			       "invalid access token: sub is not the NF instance ID of the client "
			       "certificate");
			challenge(d, "invalid_token", "sub is not the client certificate's", NULL);
			return;
		}
		d->oauth2 = 1;
		d->scopes = claims.scopes;
		d->consumer = akma_sbi_policy_by_id(a->policy, claims.sub);
		if (d->consumer && authz_len <= sizeof(peer->memo_token)) {
			memcpy(peer->memo_token, authz, authz_len);
			peer->memo_len = authz_len;
			peer->memo_claims = claims;
			peer->memo_consumer = d->consumer;
			peer->memo_gen = a->gen;
		}
	} else {
		d->consumer = peer->uuid[0] ? akma_sbi_policy_by_id(a->policy, peer->uuid) : NULL;
		for (unsigned i = 0; !d->consumer && i < peer->n_dns; i++)
			d->consumer = akma_sbi_policy_by_dns(a->policy, peer->dns[i]);
	}
	if (!d->consumer) {
		refuse(d, 403, NULL, AKMA_SBI_REFUSED_UNKNOWN,
		       "this consumer is not in the AAnF's policy");
		return;
	}
operation:
	if (op < 0)
		return; /* /metrics and unknown paths: authenticated is enough */
	if (!role_may(d->consumer->role, op)) {
		snprintf(detail, sizeof(detail), "a consumer of role %s may not call %s",
			 role_name(d->consumer->role), op_names[op]);
		refuse(d, 403, NULL, AKMA_SBI_REFUSED_ROLE, detail);
		return;
	}
	/* Operation scopes bind only a token that carries some (the OpenAPI
	 * also accepts naanf-akma alone). */
	unsigned need = op == AKMA_SBI_RETRIEVE ? AKMA_SCOPE_APPKEYGET : AKMA_SCOPE_ANCHORKEY;
	if (d->oauth2 && (d->scopes & (AKMA_SCOPE_APPKEYGET | AKMA_SCOPE_ANCHORKEY)) &&
	    !(d->scopes & need)) {
		const char *scope = need == AKMA_SCOPE_APPKEYGET
					    ? "naanf-akma naanf-akma:applicationkeyget"
					    : "naanf-akma naanf-akma:anchorkey";
		snprintf(detail, sizeof(detail), "the token's scopes do not include %s",
			 need == AKMA_SCOPE_APPKEYGET ? "naanf-akma:applicationkeyget"
						      : "naanf-akma:anchorkey");
		refuse(d, 403, NULL, AKMA_SBI_REFUSED_SCOPE, detail);
		challenge(d, "insufficient_scope", NULL, scope);
		return;
	}
}

void akma_sbi_exposure(const struct akma_sbi_decision *d, int anonymous, int *supi, int *gpsi)
{
	if (anonymous) {
		*supi = *gpsi = 0;
	} else if (d->open) {
		*supi = *gpsi = 1;
	} else if (d->consumer->role == AKMA_ROLE_NEF) {
		/* TS 29.522: external AFs learn the GPSI, never the SUPI. */
		*supi = 0;
		*gpsi = 1;
	} else {
		int access = d->oauth2 ? (d->scopes & AKMA_SCOPE_SUPI_ACCESS) != 0
				       : d->consumer->supi_access;
		*supi = *gpsi = access;
	}
}

void akma_sbi_auth_free(struct akma_sbi_auth *a)
{
	if (!a)
		return;
	akma_sbi_policy_free(a->policy);
	akma_token_verifier_free(a->tokens);
	free(a);
}

struct akma_sbi_auth *akma_sbi_auth_create(const struct akma_sbi_params *p, char *why,
					   size_t why_size)
{
	struct akma_sbi_auth *a = calloc(1, sizeof(*a));

	if (!a) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	static uint64_t generations; /* the control thread's: start and SIGHUP */
	a->gen = ++generations;
	a->mtls = p->tls_client_ca && p->tls_client_ca[0];
	if (p->policy && p->policy[0] &&
	    !(a->policy = akma_sbi_policy_load(p->policy, p->default_ua, why, why_size)))
		goto fail;
	if (p->oauth2) {
		struct akma_token_params tp = {p->oauth2_keys,
					       p->oauth2_issuers,
					       p->nf_instance_id,
					       p->oauth2_skew_s,
					       0,
					       0};
		if (!(a->tokens = akma_token_verifier_create(&tp, why, why_size)))
			goto fail;
	}
	return a;
fail:
	akma_sbi_auth_free(a);
	return NULL;
}
