/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_MB_H
#define AKMA_MB_H

/*
 * Multi-buffer K_AF derivation on ipsec-mb: a burst of up to 64 requests, each
 * with its own K_AKMA (as cached HMAC midstates) and its own AF_ID, hashed in
 * parallel lanes by one synchronous IMB_SUBMIT_HASH_BURST call.
 *
 * ipsec-mb 1.3's asynchronous burst API is not used: it returns wrong digests
 * once in-flight jobs wrap its queue. The manager (SSE, AVX, AVX2, AVX512
 * code paths) is chosen by configuration or, with AKMA_MB_AUTO, by timing a
 * burst on each one the CPU supports: init_mb_mgr_auto() alone prefers AVX-512,
 * which on Zen 5 loses to the SHA-NI managers at bursts under 32.
 *
 * A struct akma_mb belongs to one thread (one per worker lcore); it is not
 * thread-safe. Nothing here blocks; only create and free allocate.
 */

#include <stdint.h>

#include "kdf.h"

#define AKMA_MB_BURST_MAX 64

enum akma_mb_arch {
	AKMA_MB_AUTO = 0,
	AKMA_MB_SSE,
	AKMA_MB_AVX,
	AKMA_MB_AVX2,
	AKMA_MB_AVX512,
	AKMA_MB_SHANI, /* our own four-lane SHA-NI kernel (kaf_shani.h), not ipsec-mb */
	AKMA_MB_ARCH_COUNT,
};

/* One K_AF request of a burst. */
struct akma_kaf_job {
	const struct akma_hmac_midstate *key; /* midstates of the context's K_AKMA */
	const uint8_t *af_id;                 /* AF_ID octets (akma_af_id_octets()) */
	uint16_t af_id_len;                   /* 1..AKMA_AF_ID_MAX */
	uint8_t *kaf;                         /* out: 32 octets */
};

/* One HMAC-SHA-256 of a burst: any KDF, S laid out by the caller. */
struct akma_hmac_job {
	const struct akma_hmac_midstate *key;
	const uint8_t *msg;
	uint32_t len;
	uint8_t *mac; /* out: 32 octets */
};

struct akma_mb;

/* "auto", "sse", "avx", "avx2", "avx512", "shani". */
const char *akma_mb_arch_name(enum akma_mb_arch arch);

/* Parse a name as above. Returns 0 or -AKMA_E_MB_ARCH. */
int akma_mb_arch_parse(const char *name, enum akma_mb_arch *arch);

/* 1 if this CPU can run arch's code path (AUTO: always 1). */
int akma_mb_arch_supported(enum akma_mb_arch arch);

/* Create a manager. AKMA_MB_AUTO times bursts of burst_hint jobs (0: 32;
 * the engine's are KAF_CHUNK) under many keys on every supported path,
 * rounds interleaved, and keeps the fastest (a few ms). Returns NULL with
 * *err = -AKMA_E_MB_ARCH (not supported here) or -ENOMEM. May be slow: call
 * at start-up, not on the data path. */
struct akma_mb *akma_mb_create(enum akma_mb_arch arch, unsigned burst_hint, int *err);

/* The manager in use (never AUTO). */
enum akma_mb_arch akma_mb_arch_of(const struct akma_mb *mb);

/* Wipe and free; NULL is a no-op. */
void akma_mb_free(struct akma_mb *mb);

/* Derive K_AF for jobs[0..n), n <= AKMA_MB_BURST_MAX. Returns how many jobs,
 * from the first, were derived: n on success. A job with af_id_len outside
 * 1..AKMA_AF_ID_MAX stops the burst there; an ipsec-mb failure (not expected;
 * it means a bug) returns 0 and wipes every output. Non-blocking. */
unsigned akma_mb_kaf_burst(struct akma_mb *mb, const struct akma_kaf_job *jobs, unsigned n);

/* HMAC-SHA-256 for jobs[0..n), n <= AKMA_MB_BURST_MAX, each msg 1..65535
 * octets (ipsec-mb refuses empty messages; a KDF's S never is); for KDFs
 * other than K_AF (K_AKMA and A-TID from one K_AUSF in one call, say).
 * Returns n, or 0 with every output wiped if a job's length is out of range
 * or ipsec-mb fails. Non-blocking. */
unsigned akma_mb_hmac_burst(struct akma_mb *mb, const struct akma_hmac_job *jobs, unsigned n);

/* The single-request path, for the control plane: a burst of one through the
 * same code. Returns 0 or -AKMA_E_MB_JOB. */
int akma_mb_kaf_one(struct akma_mb *mb, const struct akma_hmac_midstate *key, const uint8_t *af_id,
		    uint16_t af_id_len, uint8_t kaf[AKMA_KEY_LEN]);

/* The ipsec-mb library version string, e.g. "1.3.0". */
const char *akma_mb_library_version(void);

#endif
