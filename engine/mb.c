/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The K_AF burst: S = 0x82 || AF_ID || L0 is laid out into a per-slot
 * scratch buffer (the wire request does not have room around its AF_ID), the
 * slot's IMB_JOB, filled once at creation with everything that never changes,
 * gets the request's midstates, length and output pointer, and one
 * IMB_SUBMIT_HASH_BURST hashes the lot. The checked variant of the call is
 * used: akma-bench kdf could not tell it from the unchecked one (within the
 * run-to-run noise), and it turns a bug into an error instead of a wrong key.
 */
#include "mb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <intel-ipsec-mb.h>

#include "err.h"
#include "clock.h"
#include "kaf_shani.h"

/* S for the longest AF_ID, rounded up to a cache line multiple. */
#define S_SLOT ((AKMA_KAF_S_MAX + 63) & ~63)

struct akma_mb {
	IMB_MGR *mgr;
	void *mgr_mem;
	size_t mgr_size;
	enum akma_mb_arch arch;
	IMB_JOB jobs[AKMA_MB_BURST_MAX];
	uint8_t s[AKMA_MB_BURST_MAX][S_SLOT] __attribute__((aligned(64)));
};

static const char *const arch_names[AKMA_MB_ARCH_COUNT] = {
	[AKMA_MB_AUTO] = "auto", [AKMA_MB_SSE] = "sse",       [AKMA_MB_AVX] = "avx",
	[AKMA_MB_AVX2] = "avx2", [AKMA_MB_AVX512] = "avx512", [AKMA_MB_SHANI] = "shani",
};

static const uint64_t arch_cpuflags[AKMA_MB_ARCH_COUNT] = {
	[AKMA_MB_SSE] = IMB_CPUFLAGS_SSE,
	[AKMA_MB_AVX] = IMB_CPUFLAGS_AVX,
	[AKMA_MB_AVX2] = IMB_CPUFLAGS_AVX2,
	[AKMA_MB_AVX512] = IMB_CPUFLAGS_AVX512,
};

const char *akma_mb_arch_name(enum akma_mb_arch arch)
{
	return (unsigned)arch < AKMA_MB_ARCH_COUNT ? arch_names[arch] : "?";
}

int akma_mb_arch_parse(const char *name, enum akma_mb_arch *arch)
{
	for (int a = 0; a < AKMA_MB_ARCH_COUNT; a++) {
		if (strcmp(name, arch_names[a]) == 0) {
			*arch = (enum akma_mb_arch)a;
			return 0;
		}
	}
	return -AKMA_E_MB_ARCH;
}

int akma_mb_arch_supported(enum akma_mb_arch arch)
{
	if (arch == AKMA_MB_AUTO)
		return 1;
	if ((unsigned)arch >= AKMA_MB_ARCH_COUNT)
		return 0;
	if (arch == AKMA_MB_SHANI)
		return akma_kaf_shani_supported();
	uint64_t have = imb_get_feature_flags();
	return (have & arch_cpuflags[arch]) == arch_cpuflags[arch];
}

static int init_mgr(IMB_MGR *mgr, enum akma_mb_arch arch)
{
	switch (arch) {
	case AKMA_MB_SSE:
		init_mb_mgr_sse(mgr);
		break;
	case AKMA_MB_AVX:
		init_mb_mgr_avx(mgr);
		break;
	case AKMA_MB_AVX2:
		init_mb_mgr_avx2(mgr);
		break;
	case AKMA_MB_AVX512:
		init_mb_mgr_avx512(mgr);
		break;
	default:
		return -AKMA_E_MB_ARCH;
	}
	return imb_get_errno(mgr) == 0 ? 0 : -AKMA_E_MB_ARCH;
}

static struct akma_mb *create_arch(enum akma_mb_arch arch, int *err)
{
	struct akma_mb *mb;

	if (!akma_mb_arch_supported(arch) || arch == AKMA_MB_AUTO) {
		*err = -AKMA_E_MB_ARCH;
		return NULL;
	}
	mb = aligned_alloc(64, sizeof(*mb));
	if (!mb) {
		*err = -ENOMEM;
		return NULL;
	}
	memset(mb, 0, sizeof(*mb));
	mb->arch = arch;
	/* The SHA-NI kernel has no manager; the HMAC bursts of other KDFs
	 * (K_AKMA, A-TID: never on the data path) still go to ipsec-mb's SSE
	 * manager, which every x86-64 CPU here runs. */
	if (arch == AKMA_MB_SHANI)
		arch = AKMA_MB_SSE;
	/* The manager's lanes hold inner digests of keys: page-aligned, so it can
	 * be kept out of core dumps. */
	mb->mgr_size = (imb_get_mb_mgr_size() + 4095) & ~(size_t)4095;
	mb->mgr_mem = aligned_alloc(4096, mb->mgr_size);
	if (mb->mgr_mem)
		madvise(mb->mgr_mem, mb->mgr_size, MADV_DONTDUMP);
	if (!mb->mgr_mem) {
		free(mb);
		*err = -ENOMEM;
		return NULL;
	}
	mb->mgr = imb_set_pointers_mb_mgr(mb->mgr_mem, 0, 1);
	if (!mb->mgr || (*err = init_mgr(mb->mgr, arch)) != 0) {
		if (!mb->mgr)
			*err = -AKMA_E_MB_ARCH;
		akma_mb_free(mb);
		return NULL;
	}
	for (unsigned i = 0; i < AKMA_MB_BURST_MAX; i++) {
		IMB_JOB *job = &mb->jobs[i];
		job->hash_start_src_offset_in_bytes = 0;
		job->auth_tag_output_len_in_bytes = AKMA_KEY_LEN;
		job->hash_alg = IMB_AUTH_HMAC_SHA_256;
		job->cipher_mode = IMB_CIPHER_NULL;
		job->cipher_direction = IMB_DIR_ENCRYPT;
		job->chain_order = IMB_ORDER_HASH_CIPHER;
	}
	*err = 0;
	return mb;
}

static void probe(const enum akma_mb_arch *archs, unsigned n_archs, unsigned burst, double *ns);

struct akma_mb *akma_mb_create(enum akma_mb_arch arch, unsigned burst_hint, int *err)
{
	int dummy;

	if (!err)
		err = &dummy;
	if (arch != AKMA_MB_AUTO)
		return create_arch(arch, err);

	enum akma_mb_arch archs[AKMA_MB_ARCH_COUNT], best = AKMA_MB_AUTO;
	double ns[AKMA_MB_ARCH_COUNT], best_ns = 0;
	unsigned n = 0;
	for (int a = AKMA_MB_SSE; a < AKMA_MB_ARCH_COUNT; a++)
		if (akma_mb_arch_supported((enum akma_mb_arch)a))
			archs[n++] = (enum akma_mb_arch)a;
	if (burst_hint == 0 || burst_hint > AKMA_MB_BURST_MAX)
		burst_hint = 32;
	probe(archs, n, burst_hint, ns);
	for (unsigned a = 0; a < n; a++)
		if (ns[a] > 0 && (best == AKMA_MB_AUTO || ns[a] < best_ns)) {
			best = archs[a];
			best_ns = ns[a];
		}
	if (best == AKMA_MB_AUTO) {
		*err = -AKMA_E_MB_ARCH;
		return NULL;
	}
	return create_arch(best, err);
}

const char *akma_mb_library_version(void)
{
	return imb_get_version_str();
}

enum akma_mb_arch akma_mb_arch_of(const struct akma_mb *mb)
{
	return mb->arch;
}

void akma_mb_free(struct akma_mb *mb)
{
	if (!mb)
		return;
	/* The manager's lanes held inner digests of keys. */
	if (mb->mgr_mem) {
		explicit_bzero(mb->mgr_mem, mb->mgr_size);
		free(mb->mgr_mem);
	}
	explicit_bzero(mb, sizeof(*mb));
	free(mb);
}

/* Hash the first count prepared jobs; on any failure wipe every output. */
static unsigned submit(struct akma_mb *mb, unsigned count)
{
	unsigned done = IMB_SUBMIT_HASH_BURST(mb->mgr, mb->jobs, count, IMB_AUTH_HMAC_SHA_256);
	int failed = done != count;

	for (unsigned i = 0; i < count && !failed; i++)
		failed = mb->jobs[i].status != IMB_STATUS_COMPLETED;
	if (failed) {
		for (unsigned i = 0; i < count; i++)
			explicit_bzero(mb->jobs[i].auth_tag_output, AKMA_KEY_LEN);
		return 0;
	}
	return count;
}

static inline void set_key(IMB_JOB *job, const struct akma_hmac_midstate *key, uint8_t *out)
{
	job->auth_tag_output = out;
	job->u.HMAC._hashed_auth_key_xor_ipad = (const uint8_t *)key->inner;
	job->u.HMAC._hashed_auth_key_xor_opad = (const uint8_t *)key->outer;
}

unsigned akma_mb_kaf_burst(struct akma_mb *mb, const struct akma_kaf_job *jobs, unsigned n)
{
	unsigned count = 0;

	if (n > AKMA_MB_BURST_MAX)
		n = AKMA_MB_BURST_MAX;
	if (mb->arch == AKMA_MB_SHANI)
		return akma_kaf_shani_burst(jobs, n);
	for (; count < n; count++) {
		const struct akma_kaf_job *req = &jobs[count];
		IMB_JOB *job = &mb->jobs[count];

		if (req->af_id_len == 0 || req->af_id_len > AKMA_AF_ID_MAX)
			break;
		job->src = mb->s[count];
		job->msg_len_to_hash_in_bytes =
			akma_kaf_s(req->af_id, req->af_id_len, mb->s[count]);
		set_key(job, req->key, req->kaf);
	}
	return count ? submit(mb, count) : 0;
}

unsigned akma_mb_hmac_burst(struct akma_mb *mb, const struct akma_hmac_job *jobs, unsigned n)
{
	if (n == 0 || n > AKMA_MB_BURST_MAX)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		IMB_JOB *job = &mb->jobs[i];

		job->src = jobs[i].msg;
		job->msg_len_to_hash_in_bytes = jobs[i].len;
		set_key(job, jobs[i].key, jobs[i].mac);
		if (jobs[i].len == 0 || jobs[i].len > 0xffff) {
			for (unsigned j = 0; j < n; j++)
				explicit_bzero(jobs[j].mac, AKMA_KEY_LEN);
			return 0;
		}
	}
	return submit(mb, n);
}

int akma_mb_kaf_one(struct akma_mb *mb, const struct akma_hmac_midstate *key, const uint8_t *af_id,
		    uint16_t af_id_len, uint8_t kaf[AKMA_KEY_LEN])
{
	struct akma_kaf_job job = {key, af_id, af_id_len, kaf};

	return akma_mb_kaf_burst(mb, &job, 1) == 1 ? 0 : -AKMA_E_MB_JOB;
}

/*
 * AUTO's probe: every supported path timed on the same bursts, in rounds
 * that take each path in turn (the best round of each counts), so that a
 * slow stretch of a shared host hits them alike. Each burst derives under
 * PROBE_KEYS different midstates, as the engine's bursts do under random
 * contexts: the first probe timed 64 bursts of the same burst_hint keys,
 * always in L1, and one path after the other. On the Zen 5 VM it then
 * picked sse, avx or avx2 in 30 of 30 starts and never akmad's SHA-NI
 * kernel, which is 1.16-1.28x the engine on ipsec-mb's best in akma-bench
 * engine; with many keys, at the engine's bursts of 4, the kernel is
 * 50 ns a K_AF against ipsec-mb's 63-67. 7 rounds of 256 bursts still let
 * one slow stretch decide now and then (a start in 8 took avx); 15 rounds
 * of 128 picked the kernel in 89 starts of 90.
 */
#define PROBE_KEYS 4096
#define PROBE_ROUNDS 15
#define PROBE_BURSTS 128

static void probe(const enum akma_mb_arch *archs, unsigned n_archs, unsigned burst, double *ns)
{
	static const uint8_t af_id[] = "af.example.com\x01\x00\x00\x00\x07";
	struct akma_hmac_midstate *keys = malloc(PROBE_KEYS * sizeof(*keys));
	struct akma_mb *mb[AKMA_MB_ARCH_COUNT];
	struct akma_kaf_job jobs[AKMA_MB_BURST_MAX];
	uint8_t out[AKMA_MB_BURST_MAX][AKMA_KEY_LEN];
	int err;

	if (!keys) {
		for (unsigned a = 0; a < n_archs; a++)
			ns[a] = -ENOMEM;
		return;
	}
	for (unsigned a = 0; a < n_archs; a++) {
		mb[a] = create_arch(archs[a], &err);
		ns[a] = mb[a] ? 0 : err; /* the rounds below time those made */
	}
	for (unsigned i = 0; i < PROBE_KEYS; i++) {
		uint8_t k[AKMA_KEY_LEN];
		for (unsigned j = 0; j < sizeof(k); j++)
			k[j] = (uint8_t)(i * 31 + j * 7);
		akma_hmac_midstate(k, sizeof(k), &keys[i]);
	}
	for (unsigned round = 0; round < PROBE_ROUNDS; round++)
		for (unsigned a = 0; a < n_archs; a++) {
			if (!mb[a])
				continue;
			uint32_t key = round * 997;
			uint64_t t0 = akma_mono_ns();
			for (unsigned rep = 0; rep < PROBE_BURSTS; rep++) {
				for (unsigned i = 0; i < burst; i++, key++)
					jobs[i] = (struct akma_kaf_job){
						&keys[(key * 2654435761u) % PROBE_KEYS], af_id,
						sizeof(af_id) - 1, out[i]};
				akma_mb_kaf_burst(mb[a], jobs, burst);
			}
			double t = (double)(akma_mono_ns() - t0) / ((double)PROBE_BURSTS * burst);
			if (round == 0 || t < ns[a])
				ns[a] = t;
		}
	for (unsigned a = 0; a < n_archs; a++)
		akma_mb_free(mb[a]);
	explicit_bzero(keys, PROBE_KEYS * sizeof(*keys));
	explicit_bzero(out, sizeof(out));
	free(keys);
}
