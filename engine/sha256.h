/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_SHA256_H
#define AKMA_SHA256_H

/*
 * The SHA-256 compression function, one buffer at a time.
 *
 * The multi-buffer burst path (mb.h) leaves compression to ipsec-mb; this is
 * for the steps ipsec-mb 1.3 does badly: the HMAC midstates of a new key
 * (its IMB_SHA256_ONE_BLOCK ignores SHA-NI: 388-395 ns for a key's two
 * blocks here) and the one-lane path of akma-bench. With SHA-NI a key's two
 * blocks cost 70-72 ns here (akma-bench kdf).
 *
 * All functions are thread-safe, never block and never allocate.
 */

#include <stddef.h>
#include <stdint.h>

#define AKMA_SHA256_BLOCK 64
#define AKMA_SHA256_DIGEST 32

/* The FIPS 180-4 initial hash value H(0), and the round constants K. */
extern const uint32_t akma_sha256_iv[8];
extern const uint32_t akma_sha256_k[64];

/* Compress nblocks 64-octet blocks into state (host-order words). Uses
 * SHA-NI when the CPU has it, portable C otherwise. */
void akma_sha256_compress(uint32_t state[8], const uint8_t *blocks, size_t nblocks);

/* The portable C compression, always; for tests and the benchmark. */
void akma_sha256_compress_generic(uint32_t state[8], const uint8_t *blocks, size_t nblocks);

/* 1 when akma_sha256_compress() runs on SHA-NI. */
int akma_sha256_has_shani(void);

/* Finish a hash whose first prefix_blocks 64-octet blocks are already folded
 * into state: hash msg (any length), pad with the total length counted from
 * prefix_blocks * 64, and write the 32-octet big-endian digest. state is
 * consumed (overwritten). */
void akma_sha256_finish(uint32_t state[8], size_t prefix_blocks, const uint8_t *msg, size_t len,
			uint8_t digest[AKMA_SHA256_DIGEST]);

/* One-shot SHA-256 of msg. */
void akma_sha256(const uint8_t *msg, size_t len, uint8_t digest[AKMA_SHA256_DIGEST]);

#endif
