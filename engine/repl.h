/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_REPL_H
#define AKMA_REPL_H

/*
 * Replication records: what akmad writes to Redis for each context, so that
 * a fresh or standby engine can rebuild its store. K_AKMA never leaves in
 * the clear: it is wrapped with AES-256-GCM under a key-encryption key (KEK)
 * from a file of its own, with a fresh random 96-bit nonce per record, and
 * the record's format version, the A-KID and the UE identity are the
 * associated data. The A-KID is not in the record: it is the Redis key's
 * name (akma_repl_key_name()), and decoding takes it from there, so a record
 * copied or moved to another key fails to unwrap.
 *
 * Record (format version 1), all integers big-endian:
 *   1   format version (1)
 *   8   created, Unix ms
 *   8   end of life, Unix ms (0: none)
 *   1   UE identity type (1 SUPI, 2 GPSI)
 *   2   UE identity length, then the UE identity
 *   12  nonce
 *   32  K_AKMA, encrypted
 *   16  GCM tag
 *
 * Thread-compatible: one kek object per thread. Never blocks; create and
 * free allocate.
 */

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "kdf.h"

#define AKMA_REPL_FORMAT 1
#define AKMA_REPL_KEK_LEN 32
#define AKMA_REPL_KEY_PREFIX "akma:ctx:"
#define AKMA_REPL_RECORD_MAX (1 + 8 + 8 + 1 + 2 + AKMA_UEID_MAX + 12 + AKMA_KEY_LEN + 16)

/* A context as replication carries it. */
struct akma_repl_ctx {
	uint8_t akid[AKMA_AKID_MAX];
	uint8_t akid_len;
	uint8_t ueid[AKMA_UEID_MAX];
	uint16_t ueid_len;
	uint8_t ueid_type;
	uint8_t kakma[AKMA_KEY_LEN];
	uint64_t created_ms;
	uint64_t eol_ms;
};

struct akma_repl_kek;

/* Expand a 32-octet KEK. Returns NULL with *err -ENOMEM or -AKMA_E_MB_ARCH.
 * Wiped on free. */
struct akma_repl_kek *akma_repl_kek_create(const uint8_t kek[AKMA_REPL_KEK_LEN], int *err);
void akma_repl_kek_free(struct akma_repl_kek *k);

/* The Redis key of a context: "akma:ctx:" followed by the A-KID's octets.
 * Returns its length, or -AKMA_E_NOSPACE. */
int akma_repl_key_name(const uint8_t *akid, uint8_t akid_len, char *out, size_t cap);

/* Write the record of c (K_AKMA wrapped) to out. Returns its length, or
 * -AKMA_E_NOSPACE, -AKMA_E_UEID_LEN, or -errno when no random nonce could be
 * had. */
int akma_repl_encode(const struct akma_repl_kek *k, const struct akma_repl_ctx *c, uint8_t *out,
		     size_t cap);

/* Read a record found under the Redis key of akid. Fills c (A-KID included)
 * and returns 0, or: -AKMA_E_REPL_VERSION (a format this build does not
 * know), -AKMA_E_REPL_FORMAT (lengths or fields wrong), -AKMA_E_REPL_UNWRAP
 * (wrong KEK, tampered, or under another key's name). On error c holds no
 * key material. */
int akma_repl_decode(const struct akma_repl_kek *k, const uint8_t *akid, uint8_t akid_len,
		     const uint8_t *rec, size_t len, struct akma_repl_ctx *c);

#endif
