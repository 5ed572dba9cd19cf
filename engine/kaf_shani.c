/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * K_AF bursts on SHA-NI (issue 17), beside ipsec-mb's: each K_AF is
 * HMAC-SHA-256 from its context's cached midstates, so one whose
 * S = 0x82 || AF_ID || L0 fits a block (AF_ID up to 52 octets) costs two
 * compressions, the inner and the outer. One SHA-NI compression is a chain
 * of 32 dependent sha256rnds2, so a single lane leaves the unit idle most of
 * the time; four independent lanes, their rounds interleaved instruction by
 * instruction, keep it fed. Jobs go four at a time: the inner blocks all
 * four have in common run interleaved, a lane's extra blocks (a longer
 * AF_ID) run alone, and the four outer blocks run interleaved again.
 *
 * The inner digests and the states hold key-derived values: on the stack,
 * wiped before return (the padded S is the AF_ID, public).
 *
 * When every S of a group fits one block (an AF_ID up to 52 octets: every
 * FQDN up to 47) the inner and outer hashes are fused: the inner digest is
 * the outer block's first eight message words as it stands in the
 * registers, so it never goes through memory, and the feed-forward values
 * are reloaded from the midstates rather than held, which four lanes have
 * no registers for (sha256rnds2 has no EVEX form: xmm0-15 only).
 *
 * The lanes interleave round group by round group (the lane loop inside
 * the loop over the 16 groups), in both paths. Measured with akma-bench kdf
 * --arch sse,shani, 5 rounds, AF_ID of 19 octets, twice: the floor (the
 * limit: rows, two compressions a K_AF in four chains) 45.4 and 51.8 ns;
 * ipsec-mb's SSE manager 64.5-66.9 ns; this kernel 51.8-55.2 ns. Before:
 * 87-93 ns with every block through memory; 67.7-70.5 ns fused but with
 * each lane's 64 rounds run one lane after the other. auto picks whichever
 * its start-up probe finds faster. Cross-validated by test_mb_oracle like
 * every ipsec-mb manager.
 *
 * The one-block path writes all four lanes' S before it loads any as
 * message words, and zeroes each block with whole vectors rather than a
 * memset call: a lane's 16-octet words loaded right after its byte stores
 * (likely waiting on store forwarding) and a call a lane cost a sixth of
 * a K_AF on a Zen 3 host (2026-12-03; cpu family 25, no AVX-512).
 * akma-bench kdf --arch sse,shani --bursts 32, 3 interleaved pairs each:
 * 66.6-67.7 ns a K_AF against 74.9-78.4 before (the split loops alone
 * 69.3-73.4), the limit 59.4-61.1, ipsec-mb's sse, which beat this kernel
 * there before, 66.3-70.3.
 *
 * When a group's four AF_IDs are one (an AF asking for many UEs, which is
 * how AFs ask), so are the four lanes' inner blocks and so their message
 * schedules: the schedule is computed once, with the round constants
 * added, and the four chains run their rounds on it (schedule_kw,
 * block_rounds; the outer blocks, each holding its own inner digest, keep
 * their own). On a Zen 4 host (2026-12-03, cpu family 25 model 17) the
 * schedule, not sha256rnds2, was most of a compression's cost: the floor
 * of a K_AF with the inner schedule shared is 44-55 ns against 53-77 for
 * two whole compressions (akma-bench kdf's limit rows). akma-bench kdf
 * --arch sse,shani --bursts 4,32, 4 interleaved pairs against the kernel
 * before: 48.8-60.8 ns a K_AF at bursts of 32 against 61.4-80.1, and
 * ipsec-mb's sse over this kernel 1.21-1.45x in the same runs against
 * 0.98-1.10x; with AF_IDs unlike (--af-ids 4) the check costs nothing
 * measurable (sse over this kernel 0.84-1.21x against 0.87-1.11x).
 */
#include "kaf_shani.h"

#include <immintrin.h>
#include <string.h>

#include "sha256.h"

#define LANES 4
#define INNER_BLOCKS_MAX ((AKMA_KAF_S_MAX + 9 + 63) / 64)

#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

int akma_kaf_shani_supported(void)
{
	return akma_sha256_has_shani();
}

/* The next four message words of group g (4..15) in place, from the
 * last four groups' words w[0..3]. */
#define SCHEDULE(g, w)                                                             \
	do {                                                                       \
		__m128i prev_ = (w)[((g) + 3) & 3];                                \
		__m128i t7_ = _mm_alignr_epi8(prev_, (w)[((g) + 2) & 3], 4);       \
		__m128i x_ = _mm_sha256msg1_epu32((w)[(g)&3], (w)[((g) + 1) & 3]); \
		(w)[(g)&3] = _mm_sha256msg2_epu32(_mm_add_epi32(x_, t7_), prev_);  \
	} while (0)

/* Four rounds, group g of 16, on one lane's {A,B,E,F} and {C,D,G,H} and
 * its message schedule w (the next words computed in place). */
#define QUAD(g, abef, cdgh, w)                                                                  \
	do {                                                                                    \
		if ((g) >= 4)                                                                   \
			SCHEDULE(g, w);                                                         \
		__m128i kw_ = _mm_add_epi32(                                                    \
			(w)[(g)&3], _mm_loadu_si128((const __m128i *)&akma_sha256_k[4 * (g)])); \
		cdgh = _mm_sha256rnds2_epu32(cdgh, abef, kw_);                                  \
		kw_ = _mm_shuffle_epi32(kw_, 0x0e);                                             \
		abef = _mm_sha256rnds2_epu32(abef, cdgh, kw_);                                  \
	} while (0)

/* One block's schedule with the round constants added, for lanes that
 * hash the same block: per group, W+K of its first two rounds (kw) and of
 * its last two (kw_hi), as sha256rnds2 takes them. */
SHANI_TARGET static inline void schedule_kw(const uint8_t blk[64], __m128i kw[16],
					    __m128i kw_hi[16])
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i w[4];

	for (int i = 0; i < 4; i++)
		w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blk + 16 * i)), bswap);
	for (int g = 0; g < 16; g++) {
		if (g >= 4)
			SCHEDULE(g, w);
		kw[g] = _mm_add_epi32(w[g & 3],
				      _mm_loadu_si128((const __m128i *)&akma_sha256_k[4 * g]));
		kw_hi[g] = _mm_shuffle_epi32(kw[g], 0x0e);
	}
}

/* The 64 rounds of n lanes on their states in abef and cdgh, interleaved
 * group by group: each lane on its own block's schedule, or, when every
 * lane hashes the same block (same; blk[0]), on one schedule_kw()
 * schedule computed once. */
SHANI_TARGET __attribute__((always_inline)) static inline void block_rounds(
	__m128i abef[LANES], __m128i cdgh[LANES], const uint8_t *const *blk, const int n,
	const int same)
{
	if (same) {
		__m128i kw[16], kw_hi[16];
		schedule_kw(blk[0], kw, kw_hi);
		for (int g = 0; g < 16; g++)
			for (int l = 0; l < n; l++) {
				cdgh[l] = _mm_sha256rnds2_epu32(cdgh[l], abef[l], kw[g]);
				abef[l] = _mm_sha256rnds2_epu32(abef[l], cdgh[l], kw_hi[g]);
			}
		return;
	}
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i w[LANES][4];
	for (int l = 0; l < n; l++)
		for (int i = 0; i < 4; i++)
			w[l][i] = _mm_shuffle_epi8(
				_mm_loadu_si128((const __m128i *)(blk[l] + 16 * i)), bswap);
	for (int g = 0; g < 16; g++)
		for (int l = 0; l < n; l++)
			QUAD(g, abef[l], cdgh[l], w[l]);
}

/* A state (host-order words a..h) in sha256rnds2's {A,B,E,F}, {C,D,G,H}. */
SHANI_TARGET static inline void state_in(const uint32_t st[8], __m128i *abef, __m128i *cdgh)
{
	__m128i dcba = _mm_loadu_si128((const __m128i *)&st[0]);
	__m128i hgfe = _mm_loadu_si128((const __m128i *)&st[4]);
	__m128i cdab = _mm_shuffle_epi32(dcba, 0xb1), efgh = _mm_shuffle_epi32(hgfe, 0x1b);
	*abef = _mm_alignr_epi8(cdab, efgh, 8);
	*cdgh = _mm_blend_epi16(efgh, cdab, 0xf0);
}

/* And back: words a..d and e..h. */
SHANI_TARGET static inline void state_out(__m128i abef, __m128i cdgh, __m128i *dcba, __m128i *hgfe)
{
	__m128i feba = _mm_shuffle_epi32(abef, 0x1b), dchg = _mm_shuffle_epi32(cdgh, 0xb1);
	*dcba = _mm_blend_epi16(feba, dchg, 0xf0);
	*hgfe = _mm_alignr_epi8(dchg, feba, 8);
}

SHANI_TARGET __attribute__((always_inline)) static inline void compress_lanes(
	uint32_t (*state)[8], const uint8_t *const *blk, const int LANES_N, const int same)
{
	__m128i abef[LANES], cdgh[LANES], abef_in[LANES], cdgh_in[LANES];

	for (int l = 0; l < LANES_N; l++) {
		state_in(state[l], &abef[l], &cdgh[l]);
		abef_in[l] = abef[l];
		cdgh_in[l] = cdgh[l];
	}
	block_rounds(abef, cdgh, blk, LANES_N, same);
	for (int l = 0; l < LANES_N; l++) {
		__m128i dcba, hgfe;
		state_out(_mm_add_epi32(abef[l], abef_in[l]), _mm_add_epi32(cdgh[l], cdgh_in[l]),
			  &dcba, &hgfe);
		_mm_storeu_si128((__m128i *)&state[l][0], dcba);
		_mm_storeu_si128((__m128i *)&state[l][4], hgfe);
	}
}

SHANI_TARGET
void akma_sha256_compress_x4(uint32_t state[4][8], const uint8_t *const blk[4])
{
	compress_lanes(state, blk, 4, 0);
}

SHANI_TARGET
void akma_sha256_compress_x2(uint32_t state[2][8], const uint8_t *const blk[2])
{
	compress_lanes(state, blk, 2, 0);
}

SHANI_TARGET
void akma_sha256_compress_x4_same(uint32_t state[4][8], const uint8_t blk[64])
{
	const uint8_t *const same[4] = {blk, blk, blk, blk};
	compress_lanes(state, same, 4, 1);
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* S padded as the inner hash's tail after the 64-octet key block: the
 * length counts that block too. Returns the blocks. */
static unsigned inner_blocks(const struct akma_kaf_job *j, uint8_t *out)
{
	size_t s = akma_kaf_s(j->af_id, j->af_id_len, out);
	unsigned nb = (unsigned)((s + 9 + 63) / 64);
	memset(out + s, 0, (size_t)nb * 64 - s);
	out[s] = 0x80;
	uint64_t bits = (uint64_t)(64 + s) * 8;
	put_be32(out + nb * 64 - 8, (uint32_t)(bits >> 32));
	put_be32(out + nb * 64 - 4, (uint32_t)bits);
	return nb;
}

/* 1 when the four lanes' AF_IDs are one (lanes beyond n repeat the last
 * job), so their S, padding and message schedules are one too. */
static inline int lanes_alike(const struct akma_kaf_job *jobs, unsigned n)
{
	for (unsigned l = 1; l < n; l++)
		if (jobs[l].af_id_len != jobs[0].af_id_len ||
		    memcmp(jobs[l].af_id, jobs[0].af_id, jobs[0].af_id_len) != 0)
			return 0;
	return 1;
}

/* Up to four jobs (lanes beyond n repeat the last one; their results are
 * not written). */
static void group(const struct akma_kaf_job *jobs, unsigned n)
{
	uint8_t in[LANES][INNER_BLOCKS_MAX * 64], out[LANES][64];
	uint32_t st[LANES][8];
	unsigned nb[LANES], common = INNER_BLOCKS_MAX;
	const uint8_t *blk[LANES];
	int alike = lanes_alike(jobs, n); /* one AF asking for many UEs */

	for (unsigned l = 0; l < LANES; l++) {
		const struct akma_kaf_job *j = &jobs[l < n ? l : n - 1];
		nb[l] = l == 0 || !alike ? inner_blocks(j, in[l]) : nb[0];
		if (nb[l] < common)
			common = nb[l];
		memcpy(st[l], j->key->inner, sizeof(st[l]));
	}
	for (unsigned b = 0; b < common; b++) {
		for (unsigned l = 0; l < LANES; l++)
			blk[l] = in[alike ? 0 : l] + b * 64;
		if (alike)
			akma_sha256_compress_x4_same(st, blk[0]);
		else
			akma_sha256_compress_x4(st, blk);
	}
	for (unsigned l = 0; l < n; l++)
		if (nb[l] > common)
			akma_sha256_compress(st[l], in[l] + common * 64, nb[l] - common);
	/* The outer block: the inner digest, padded (64 + 32 octets long). */
	for (unsigned l = 0; l < LANES; l++) {
		const struct akma_kaf_job *j = &jobs[l < n ? l : n - 1];
		for (int i = 0; i < 8; i++)
			put_be32(out[l] + 4 * i, st[l][i]);
		memset(out[l] + 32, 0, 32);
		out[l][32] = 0x80;
		out[l][62] = 0x03; /* 768 bits */
		memcpy(st[l], j->key->outer, sizeof(st[l]));
		blk[l] = out[l];
	}
	akma_sha256_compress_x4(st, blk);
	for (unsigned l = 0; l < n; l++)
		for (int i = 0; i < 8; i++)
			put_be32(jobs[l].kaf + 4 * i, st[l][i]);
	/* in[] is S, the AF_ID: public. The inner digests and the states are
	 * the key's. */
	explicit_bzero(out, sizeof(out));
	explicit_bzero(st, sizeof(st));
}

/* S padded into its one inner block (af_id_len + 12 <= 64): inner_blocks
 * for one block, zeroed by four vector stores (see the top of the file). */
SHANI_TARGET static inline void one_block_s(const struct akma_kaf_job *j, uint8_t s[64])
{
	const __m128i zero = _mm_setzero_si128();
	for (int i = 0; i < 4; i++)
		_mm_storeu_si128((__m128i *)(s + 16 * i), zero);
	size_t len = akma_kaf_s(j->af_id, j->af_id_len, s), bits = (64 + len) * 8;
	s[len] = 0x80;
	s[62] = (uint8_t)(bits >> 8);
	s[63] = (uint8_t)bits;
}

/* Four K_AF whose S fits one block: inner and outer hashes fused, the inner
 * digest handed to the outer block in registers (it is the outer block's
 * first eight message words, host order: no byte swapping, no memory). */
SHANI_TARGET
static void group_one_block(const struct akma_kaf_job *jobs, unsigned n)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	uint8_t s[LANES][64];
	const uint8_t *const blk[LANES] = {s[0], s[1], s[2], s[3]};
	__m128i abef[LANES], cdgh[LANES], w[LANES][4];
	const struct akma_kaf_job *j[LANES];

	int alike = lanes_alike(jobs, n); /* one AF asking for many UEs */

	for (unsigned l = 0; l < LANES; l++) {
		j[l] = &jobs[l < n ? l : n - 1];
		if (l == 0 || !alike)
			one_block_s(j[l], s[l]);
	}
	for (unsigned l = 0; l < LANES; l++)
		state_in(j[l]->key->inner, &abef[l], &cdgh[l]);
	block_rounds(abef, cdgh, blk, LANES, alike);
	for (int l = 0; l < LANES; l++) {
		__m128i a, c;
		state_in(j[l]->key->inner, &a, &c);
		/* W0..W3 = a, b, c, d; W4..W7 = e, f, g, h: the inner digest */
		state_out(_mm_add_epi32(abef[l], a), _mm_add_epi32(cdgh[l], c), &w[l][0], &w[l][1]);
		w[l][2] = _mm_set_epi32(0, 0, 0, (int)0x80000000u);
		w[l][3] = _mm_set_epi32(768, 0, 0, 0); /* (64 + 32) * 8 bits */
		state_in(j[l]->key->outer, &abef[l], &cdgh[l]);
	}
	for (int g = 0; g < 16; g++)
		for (int l = 0; l < LANES; l++)
			QUAD(g, abef[l], cdgh[l], w[l]);
	for (unsigned l = 0; l < n; l++) {
		__m128i a, c, dcba, hgfe;
		state_in(jobs[l].key->outer, &a, &c);
		state_out(_mm_add_epi32(abef[l], a), _mm_add_epi32(cdgh[l], c), &dcba, &hgfe);
		_mm_storeu_si128((__m128i *)jobs[l].kaf, _mm_shuffle_epi8(dcba, bswap));
		_mm_storeu_si128((__m128i *)(jobs[l].kaf + 16), _mm_shuffle_epi8(hgfe, bswap));
	}
}

/* SHA-NI has only legacy-SSE encodings. After AVX code that left the
 * upper halves of the vector registers dirty (ipsec-mb's avx2 and avx512
 * managers, AES-GCM), every SSE instruction here pays for merging them:
 * akma-bench kdf with every manager's rows interleaved measured this
 * kernel at 80.7-86.0 ns a K_AF against 50.0-51.4 with sse's rows alone.
 * One vzeroupper a burst clears them (where the CPU has AVX at all). */
static inline void clean_upper(void)
{
	static int has_avx = -1;
	if (has_avx < 0)
		has_avx = __builtin_cpu_supports("avx") ? 1 : 0;
	if (has_avx)
		__asm__ volatile("vzeroupper" ::: "memory");
}

unsigned akma_kaf_shani_burst(const struct akma_kaf_job *jobs, unsigned n)
{
	unsigned count = 0;

	clean_upper();

	while (count < n && jobs[count].af_id_len >= 1 && jobs[count].af_id_len <= AKMA_AF_ID_MAX)
		count++;
	for (unsigned i = 0; i < count; i += LANES) {
		unsigned k = count - i < LANES ? count - i : LANES, one = 1;
		for (unsigned l = 0; l < k; l++)
			one &= jobs[i + l].af_id_len + 3 + 9 <= 64;
		if (one)
			group_one_block(jobs + i, k);
		else
			group(jobs + i, k);
	}
	return count;
}
