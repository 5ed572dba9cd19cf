/* SPDX-License-Identifier: BSD-3-Clause */
#include "gcm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include "err.h"
#include "secmem.h"

int akma_gcm_init(struct akma_gcm_key *g, const uint8_t key[AKMA_GCM_KEY_LEN])
{
	IMB_MGR *mgr = alloc_mb_mgr(0);
	/* The expanded key starts with the key itself (AES-256 round keys 0
	 * and 1): the secret heap, 64-aligned as ipsec-mb wants. */
	struct gcm_key_data *exp = akma_secmem_alloc(sizeof(*exp));

	g->mgr = NULL;
	g->expanded = NULL;
	if (!mgr || !exp) {
		free_mb_mgr(mgr);
		akma_secmem_free(exp);
		return -ENOMEM;
	}
	init_mb_mgr_auto(mgr, NULL); /* GCM has no SHA-NI trap: the widest is best */
	if (imb_get_errno(mgr) != 0) {
		free_mb_mgr(mgr);
		akma_secmem_free(exp);
		return -AKMA_E_MB_ARCH;
	}
	IMB_AES256_GCM_PRE(mgr, key, exp);
	g->mgr = mgr;
	g->expanded = exp;
	return 0;
}

void akma_gcm_fini(struct akma_gcm_key *g)
{
	if (g->expanded) {
		akma_secmem_free(g->expanded); /* wiped there */
	}
	if (g->mgr)
		free_mb_mgr(g->mgr);
	g->mgr = NULL;
	g->expanded = NULL;
}

void akma_gcm_seal(const struct akma_gcm_key *g, const uint8_t iv[AKMA_GCM_IV_LEN],
		   const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		   uint8_t tag[AKMA_GCM_TAG_LEN])
{
	IMB_MGR *mgr = g->mgr;
	struct gcm_context_data ctx;

	IMB_AES256_GCM_ENC(mgr, g->expanded, &ctx, out, in, len, iv, aad, aad_len, tag,
			   AKMA_GCM_TAG_LEN);
	explicit_bzero(&ctx, sizeof(ctx));
}

int akma_gcm_open(const struct akma_gcm_key *g, const uint8_t iv[AKMA_GCM_IV_LEN],
		  const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		  const uint8_t tag[AKMA_GCM_TAG_LEN])
{
	IMB_MGR *mgr = g->mgr;
	struct gcm_context_data ctx;
	uint8_t computed[AKMA_GCM_TAG_LEN], diff = 0;

	IMB_AES256_GCM_DEC(mgr, g->expanded, &ctx, out, in, len, iv, aad, aad_len, computed,
			   AKMA_GCM_TAG_LEN);
	explicit_bzero(&ctx, sizeof(ctx));
	for (int i = 0; i < AKMA_GCM_TAG_LEN; i++)
		diff |= computed[i] ^ tag[i];
	if (diff) {
		explicit_bzero(out, len);
		return -1;
	}
	return 0;
}
