/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_GCM_H
#define AKMA_GCM_H

/*
 * AES-256-GCM on ipsec-mb, for the wire PSK (wire.c) and the replication
 * KEK (repl.c): one expanded key and its manager, 12-octet IVs, 16-octet
 * tags. A key is used by one thread at a time; nothing here blocks; init
 * allocates.
 */

#include <stddef.h>
#include <stdint.h>

#define AKMA_GCM_KEY_LEN 32
#define AKMA_GCM_IV_LEN 12
#define AKMA_GCM_TAG_LEN 16

struct akma_gcm_key {
	void *mgr;      /* IMB_MGR */
	void *expanded; /* struct gcm_key_data, wiped by fini */
};

/* Expand key into g. Returns 0, -ENOMEM or -AKMA_E_MB_ARCH; on error g is
 * left empty (fini is still safe). */
int akma_gcm_init(struct akma_gcm_key *g, const uint8_t key[AKMA_GCM_KEY_LEN]);

/* Wipe and free; an empty or finished g is a no-op. */
void akma_gcm_fini(struct akma_gcm_key *g);

/* Encrypt len octets of in to out (may be the same) and write the tag. */
void akma_gcm_seal(const struct akma_gcm_key *g, const uint8_t iv[AKMA_GCM_IV_LEN],
		   const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		   uint8_t tag[AKMA_GCM_TAG_LEN]);

/* Decrypt len octets of in to out (may be the same) and check tag in
 * constant time. Returns 0, or -1 with out wiped. */
int akma_gcm_open(const struct akma_gcm_key *g, const uint8_t iv[AKMA_GCM_IV_LEN],
		  const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		  const uint8_t tag[AKMA_GCM_TAG_LEN]);

#endif
