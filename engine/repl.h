/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_REPL_H
#define AKMA_REPL_H

/*
 * Replication records: what akmad writes to Redis for each context, so that
 * a fresh or standby engine can rebuild its store.
 *
 * One Redis key per context, named by the subscriber: "akma:ue:" followed
 * by the UE identity (SUPI or GPSI) as registered. TS 33.535 keeps one
 * context per subscriber, so the key name is the index by SUPI: a
 * replacement is one SET over the old record (the old A-KID's record cannot
 * outlive it, even across a crash between two writes), a remove is one DEL,
 * and a registration costs Redis one command.
 *
 * K_AKMA never leaves in the clear: it is wrapped with AES-256-GCM under a
 * key-encryption key (KEK) from a file of its own, with a fresh 96-bit nonce
 * per record; the associated data is the UE identity (taken from the key's
 * name when decoding) and every octet of the record before the nonce, so the
 * format version, times and A-KID are authenticated and a record copied or
 * moved to another key fails to unwrap.
 *
 * Record (format version 2), integers big-endian:
 *   1   format version (2)
 *   8   created, Unix ms
 *   8   end of life, Unix ms (0: none)
 *   1   UE identity type (1 SUPI, 2 GPSI)
 *   1   A-KID length, then the A-KID
 *   1   length of a GPSI kept beside the SUPI (0: none), then the GPSI
 *   12  nonce
 *   32  K_AKMA, encrypted
 *   16  GCM tag
 *
 * Format 1 is format 2 without the GPSI octets; it still decodes (tests/
 * vectors/repl holds a record of each), and every record written is 2.
 *
 * Nonces: a random 64-bit prefix and a 32-bit counter, the prefix drawn
 * again whenever the counter wraps, so no two records of a process share a
 * nonce, processes collide only as two random 64-bit values do, and no
 * system call is made per record (getrandom() per record showed in the
 * replication thread's profile). Thread-compatible: one kek object per
 * thread. Never blocks; create and free allocate.
 */

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "kdf.h"

#define AKMA_REPL_FORMAT 2
#define AKMA_REPL_KEK_LEN 32
#define AKMA_REPL_KEY_PREFIX "akma:ue:"
#define AKMA_REPL_KEY_MAX (sizeof(AKMA_REPL_KEY_PREFIX) - 1 + AKMA_UEID_MAX)
#define AKMA_REPL_RECORD_MAX \
	(1 + 8 + 8 + 1 + 1 + AKMA_AKID_MAX + 1 + AKMA_GPSI_MAX + 12 + AKMA_KEY_LEN + 16)

/* A context as replication carries it. */
struct akma_repl_ctx {
	uint8_t akid[AKMA_AKID_MAX];
	uint8_t akid_len;
	uint8_t ueid_type;
	uint16_t ueid_len;
	uint8_t ueid[AKMA_UEID_MAX];
	uint8_t kakma[AKMA_KEY_LEN];
	uint64_t created_ms;
	uint64_t eol_ms;
	uint16_t gpsi_len; /* a GPSI beside a SUPI; 0: none */
	uint8_t gpsi[AKMA_GPSI_MAX];
};

struct akma_repl_kek;

/* Expand a 32-octet KEK. Returns NULL with *err -ENOMEM, -AKMA_E_MB_ARCH,
 * or -errno when no random nonce prefix could be had. Wiped on free. */
struct akma_repl_kek *akma_repl_kek_create(const uint8_t kek[AKMA_REPL_KEK_LEN], int *err);
void akma_repl_kek_free(struct akma_repl_kek *k);

/* The Redis key of a UE identity's context: "akma:ue:" followed by its
 * octets. Returns the name's length, or -AKMA_E_UEID_LEN. */
int akma_repl_key_name(const uint8_t *ueid, uint16_t ueid_len, char *out, size_t cap);

/* Write the record of c (K_AKMA wrapped) to out. Returns its length, or
 * -AKMA_E_NOSPACE, -AKMA_E_AKID_LEN. */
int akma_repl_encode(struct akma_repl_kek *k, const struct akma_repl_ctx *c, uint8_t *out,
		     size_t cap);

/* Read a record found under the Redis key of the UE identity ueid. Fills c
 * (UE identity included) and returns 0, or: -AKMA_E_REPL_VERSION (a format
 * this build does not know), -AKMA_E_REPL_FORMAT (lengths or fields wrong),
 * -AKMA_E_REPL_UNWRAP (wrong KEK, tampered, or under another key's name).
 * On error c holds no key material. */
int akma_repl_decode(const struct akma_repl_kek *k, const uint8_t *ueid, uint16_t ueid_len,
		     const uint8_t *rec, size_t len, struct akma_repl_ctx *c);

#endif
