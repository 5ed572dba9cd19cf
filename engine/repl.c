/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replication records (see repl.h). The associated data is the UE identity
 * (length and octets) followed by every octet of the record before the
 * nonce.
 */
#include "repl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "err.h"
#include "gcm.h"

#define HEAD_LEN (1 + 8 + 8 + 1 + 1) /* up to the A-KID */
#define NONCE_LEN AKMA_GCM_IV_LEN
#define TAG_LEN AKMA_GCM_TAG_LEN
#define AAD_MAX (2 + AKMA_UEID_MAX + HEAD_LEN + AKMA_AKID_MAX + 1 + AKMA_GPSI_MAX)

struct akma_repl_kek {
	struct akma_gcm_key gcm;
	uint8_t prefix[8];
	uint32_t counter;
};

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int new_prefix(struct akma_repl_kek *k)
{
	if (getrandom(k->prefix, sizeof(k->prefix), 0) != (ssize_t)sizeof(k->prefix))
		return errno ? -errno : -EIO;
	k->counter = 0;
	return 0;
}

struct akma_repl_kek *akma_repl_kek_create(const uint8_t kek[AKMA_REPL_KEK_LEN], int *err)
{
	struct akma_repl_kek *k = calloc(1, sizeof(*k));
	int dummy;

	if (!err)
		err = &dummy;
	if (!k) {
		*err = -ENOMEM;
		return NULL;
	}
	if ((*err = new_prefix(k)) != 0 || (*err = akma_gcm_init(&k->gcm, kek)) != 0) {
		free(k);
		return NULL;
	}
	return k;
}

void akma_repl_kek_free(struct akma_repl_kek *k)
{
	if (!k)
		return;
	akma_gcm_fini(&k->gcm);
	free(k);
}

int akma_repl_key_name(const uint8_t *ueid, uint16_t ueid_len, char *out, size_t cap)
{
	size_t plen = sizeof(AKMA_REPL_KEY_PREFIX) - 1;

	if (ueid_len == 0 || ueid_len > AKMA_UEID_MAX || plen + ueid_len > cap)
		return -AKMA_E_UEID_LEN;
	memcpy(out, AKMA_REPL_KEY_PREFIX, plen);
	memcpy(out + plen, ueid, ueid_len);
	return (int)(plen + ueid_len);
}

/* UE identity length and octets, then the record's clear part. */
static size_t build_aad(uint8_t *aad, const uint8_t *ueid, uint16_t ueid_len, const uint8_t *head,
			size_t head_len)
{
	aad[0] = (uint8_t)(ueid_len >> 8);
	aad[1] = (uint8_t)ueid_len;
	memcpy(aad + 2, ueid, ueid_len);
	memcpy(aad + 2 + ueid_len, head, head_len);
	return 2 + (size_t)ueid_len + head_len;
}

int akma_repl_encode(struct akma_repl_kek *k, const struct akma_repl_ctx *c, uint8_t *out,
		     size_t cap)
{
	uint8_t aad[AAD_MAX];

	if (c->akid_len == 0 || c->akid_len > AKMA_AKID_MAX)
		return -AKMA_E_AKID_LEN;
	if (c->ueid_len == 0 || c->ueid_len > AKMA_UEID_MAX)
		return -AKMA_E_UEID_LEN;
	if (c->gpsi_len > AKMA_GPSI_MAX)
		return -AKMA_E_UEID_LEN;
	size_t clear = HEAD_LEN + c->akid_len + 1 + c->gpsi_len;
	size_t len = clear + NONCE_LEN + AKMA_KEY_LEN + TAG_LEN;
	if (len > cap)
		return -AKMA_E_NOSPACE;
	out[0] = AKMA_REPL_FORMAT;
	put64(out + 1, c->created_ms);
	put64(out + 9, c->eol_ms);
	out[17] = c->ueid_type;
	out[18] = c->akid_len;
	memcpy(out + HEAD_LEN, c->akid, c->akid_len);
	out[HEAD_LEN + c->akid_len] = (uint8_t)c->gpsi_len;
	memcpy(out + HEAD_LEN + c->akid_len + 1, c->gpsi, c->gpsi_len);
	if (k->counter == UINT32_MAX) {
		int rc = new_prefix(k);
		if (rc)
			return rc;
	}
	uint8_t *nonce = out + clear;
	uint32_t n = k->counter++;
	memcpy(nonce, k->prefix, 8);
	nonce[8] = (uint8_t)(n >> 24);
	nonce[9] = (uint8_t)(n >> 16);
	nonce[10] = (uint8_t)(n >> 8);
	nonce[11] = (uint8_t)n;
	size_t aad_len = build_aad(aad, c->ueid, c->ueid_len, out, clear);
	akma_gcm_seal(&k->gcm, nonce, aad, aad_len, c->kakma, nonce + NONCE_LEN, AKMA_KEY_LEN,
		      nonce + NONCE_LEN + AKMA_KEY_LEN);
	return (int)len;
}

int akma_repl_decode(const struct akma_repl_kek *k, const uint8_t *ueid, uint16_t ueid_len,
		     const uint8_t *rec, size_t len, struct akma_repl_ctx *c)
{
	uint8_t aad[AAD_MAX];

	memset(c, 0, sizeof(*c));
	if (len < 1)
		return -AKMA_E_REPL_FORMAT;
	/* Format 1 (before the GPSI) still loads: a carrier's Redis outlives
	 * an upgrade. */
	if (rec[0] != AKMA_REPL_FORMAT && rec[0] != 1)
		return -AKMA_E_REPL_VERSION;
	if (len < HEAD_LEN || ueid_len == 0 || ueid_len > AKMA_UEID_MAX)
		return -AKMA_E_REPL_FORMAT;
	uint8_t akid_len = rec[18];
	size_t clear = HEAD_LEN + akid_len, gpsi_len = 0;
	if (akid_len == 0)
		return -AKMA_E_REPL_FORMAT;
	if (rec[0] >= 2) {
		if (len < clear + 1)
			return -AKMA_E_REPL_FORMAT;
		gpsi_len = rec[clear];
		clear += 1 + gpsi_len;
	}
	if (len != clear + NONCE_LEN + AKMA_KEY_LEN + TAG_LEN)
		return -AKMA_E_REPL_FORMAT;
	const uint8_t *nonce = rec + clear;
	size_t aad_len = build_aad(aad, ueid, ueid_len, rec, clear);
	if (akma_gcm_open(&k->gcm, nonce, aad, aad_len, nonce + NONCE_LEN, c->kakma, AKMA_KEY_LEN,
			  nonce + NONCE_LEN + AKMA_KEY_LEN))
		return -AKMA_E_REPL_UNWRAP; /* c->kakma wiped by the open */
	c->created_ms = get64(rec + 1);
	c->eol_ms = get64(rec + 9);
	c->ueid_type = rec[17];
	c->akid_len = akid_len;
	memcpy(c->akid, rec + HEAD_LEN, akid_len);
	c->ueid_len = ueid_len;
	memcpy(c->ueid, ueid, ueid_len);
	c->gpsi_len = (uint16_t)gpsi_len;
	if (gpsi_len)
		memcpy(c->gpsi, rec + HEAD_LEN + akid_len + 1, gpsi_len);
	return 0;
}
