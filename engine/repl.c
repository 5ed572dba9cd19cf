/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Replication records (see repl.h). The associated data is the A-KID
 * (length and octets) followed by every octet of the record before the
 * nonce, so the version, times and UE identity are all authenticated along
 * with the key, and the A-KID, which lives in the Redis key's name, is too.
 */
#include "repl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "err.h"
#include "gcm.h"

#define HEAD_LEN (1 + 8 + 8 + 1 + 2) /* up to the UE identity */
#define NONCE_LEN AKMA_GCM_IV_LEN
#define TAG_LEN AKMA_GCM_TAG_LEN

struct akma_repl_kek {
	struct akma_gcm_key gcm;
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
	if ((*err = akma_gcm_init(&k->gcm, kek)) != 0) {
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

int akma_repl_key_name(const uint8_t *akid, uint8_t akid_len, char *out, size_t cap)
{
	size_t plen = sizeof(AKMA_REPL_KEY_PREFIX) - 1;

	if (plen + akid_len > cap)
		return -AKMA_E_NOSPACE;
	memcpy(out, AKMA_REPL_KEY_PREFIX, plen);
	memcpy(out + plen, akid, akid_len);
	return (int)(plen + akid_len);
}

/* A-KID length and octets, then the record's clear part. */
static size_t build_aad(uint8_t *aad, const uint8_t *akid, uint8_t akid_len, const uint8_t *head,
			size_t head_len)
{
	aad[0] = akid_len;
	memcpy(aad + 1, akid, akid_len);
	memcpy(aad + 1 + akid_len, head, head_len);
	return 1 + (size_t)akid_len + head_len;
}

int akma_repl_encode(const struct akma_repl_kek *k, const struct akma_repl_ctx *c, uint8_t *out,
		     size_t cap)
{
	uint8_t aad[1 + AKMA_AKID_MAX + HEAD_LEN + AKMA_UEID_MAX];

	if (c->ueid_len == 0 || c->ueid_len > AKMA_UEID_MAX)
		return -AKMA_E_UEID_LEN;
	size_t clear = HEAD_LEN + c->ueid_len, len = clear + NONCE_LEN + AKMA_KEY_LEN + TAG_LEN;
	if (len > cap)
		return -AKMA_E_NOSPACE;
	out[0] = AKMA_REPL_FORMAT;
	put64(out + 1, c->created_ms);
	put64(out + 9, c->eol_ms);
	out[17] = c->ueid_type;
	out[18] = (uint8_t)(c->ueid_len >> 8);
	out[19] = (uint8_t)c->ueid_len;
	memcpy(out + HEAD_LEN, c->ueid, c->ueid_len);
	uint8_t *nonce = out + clear;
	if (getrandom(nonce, NONCE_LEN, 0) != NONCE_LEN)
		return errno ? -errno : -EIO;
	size_t aad_len = build_aad(aad, c->akid, c->akid_len, out, clear);
	akma_gcm_seal(&k->gcm, nonce, aad, aad_len, c->kakma, nonce + NONCE_LEN, AKMA_KEY_LEN,
		      nonce + NONCE_LEN + AKMA_KEY_LEN);
	return (int)len;
}

int akma_repl_decode(const struct akma_repl_kek *k, const uint8_t *akid, uint8_t akid_len,
		     const uint8_t *rec, size_t len, struct akma_repl_ctx *c)
{
	uint8_t aad[1 + AKMA_AKID_MAX + HEAD_LEN + AKMA_UEID_MAX];

	memset(c, 0, sizeof(*c));
	if (len < 1)
		return -AKMA_E_REPL_FORMAT;
	if (rec[0] != AKMA_REPL_FORMAT)
		return -AKMA_E_REPL_VERSION;
	if (len < HEAD_LEN || akid_len == 0 || akid_len > AKMA_AKID_MAX)
		return -AKMA_E_REPL_FORMAT;
	uint16_t ueid_len = (uint16_t)(rec[18] << 8 | rec[19]);
	size_t clear = HEAD_LEN + ueid_len;
	if (ueid_len == 0 || ueid_len > AKMA_UEID_MAX || len != clear + NONCE_LEN + AKMA_KEY_LEN + TAG_LEN)
		return -AKMA_E_REPL_FORMAT;
	const uint8_t *nonce = rec + clear;
	size_t aad_len = build_aad(aad, akid, akid_len, rec, clear);
	if (akma_gcm_open(&k->gcm, nonce, aad, aad_len, nonce + NONCE_LEN, c->kakma, AKMA_KEY_LEN,
			  nonce + NONCE_LEN + AKMA_KEY_LEN))
		return -AKMA_E_REPL_UNWRAP; /* c->kakma wiped by the open */
	memcpy(c->akid, akid, akid_len);
	c->akid_len = akid_len;
	c->created_ms = get64(rec + 1);
	c->eol_ms = get64(rec + 9);
	c->ueid_type = rec[17];
	c->ueid_len = ueid_len;
	memcpy(c->ueid, rec + HEAD_LEN, ueid_len);
	return 0;
}
