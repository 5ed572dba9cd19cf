/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_KAF_SHANI_H
#define AKMA_KAF_SHANI_H

/*
 * K_AF bursts of our own on SHA-NI, four lanes interleaved (kaf_shani.c),
 * behind the multi-buffer API as engine.mb_arch "shani" (mb.h). Pure, any
 * thread, never blocks, never allocates.
 */

#include "mb.h"

/* 1 when the CPU has SHA-NI. */
int akma_kaf_shani_supported(void);

/* Derive K_AF for jobs[0..n). A job with af_id_len outside
 * 1..AKMA_AF_ID_MAX stops the burst there. Returns how many jobs, from the
 * first, were derived. Needs SHA-NI (akma_kaf_shani_supported()). */
unsigned akma_kaf_shani_burst(const struct akma_kaf_job *jobs, unsigned n);

/* One 64-octet block into each of four SHA-256 states (host-order words),
 * the four SHA-NI chains interleaved: the kernel's step, and the floor
 * akma-bench kdf prints as its limit rows. Needs SHA-NI. */
void akma_sha256_compress_x4(uint32_t state[4][8], const uint8_t *const blk[4]);
void akma_sha256_compress_x2(uint32_t state[2][8], const uint8_t *const blk[2]);

/* The same 64-octet block into each of four states: its message schedule
 * computed once, the four chains' rounds interleaved. The kernel's step
 * for each inner block of a group whose four S are alike (one AF_ID), and
 * the floor of akma-bench kdf's "shared" limit rows. Needs SHA-NI. */
void akma_sha256_compress_x4_same(uint32_t state[4][8], const uint8_t blk[64]);

#endif
