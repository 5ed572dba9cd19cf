/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SHA-256 compression (FIPS 180-4 section 6.2.2), written twice: with the
 * SHA-NI instructions, and in portable C for CPUs without them. The choice is
 * made once, by CPUID, before main() runs. The SHA-NI code keeps the state in
 * the ABEF/CDGH register layout those instructions want and converts only at
 * entry and exit, so a multi-block call pays the shuffle once.
 */
#include "sha256.h"

#include <cpuid.h>
#include <immintrin.h>
#include <string.h>

const uint32_t akma_sha256_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

const uint32_t akma_sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

static inline uint32_t rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static inline uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void akma_sha256_compress_generic(uint32_t state[8], const uint8_t *blocks, size_t nblocks)
{
	uint32_t w[64];

	for (; nblocks > 0; nblocks--, blocks += AKMA_SHA256_BLOCK) {
		for (int t = 0; t < 16; t++)
			w[t] = load_be32(blocks + 4 * t);
		for (int t = 16; t < 64; t++) {
			uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
			uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
			w[t] = w[t - 16] + s0 + w[t - 7] + s1;
		}
		uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
		uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
		for (int t = 0; t < 64; t++) {
			uint32_t t1 = h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) +
				      ((e & f) ^ (~e & g)) + akma_sha256_k[t] + w[t];
			uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) +
				      ((a & b) ^ (a & c) ^ (b & c));
			h = g;
			g = f;
			f = e;
			e = d + t1;
			d = c;
			c = b;
			b = a;
			a = t1 + t2;
		}
		state[0] += a;
		state[1] += b;
		state[2] += c;
		state[3] += d;
		state[4] += e;
		state[5] += f;
		state[6] += g;
		state[7] += h;
	}
	/* The schedule is derived from the message, which may be key material. */
	memset(w, 0, sizeof(w));
	__asm__ __volatile__("" : : "r"(w) : "memory");
}

#define SHANI_TARGET __attribute__((target("sha,sse4.1,ssse3")))

SHANI_TARGET
static void compress_shani(uint32_t state[8], const uint8_t *blocks, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i dcba = _mm_loadu_si128((const __m128i *)&state[0]);
	__m128i hgfe = _mm_loadu_si128((const __m128i *)&state[4]);

	/* sha256rnds2 wants {A,B,E,F} and {C,D,G,H} (highest lane first). */
	__m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);
	__m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
	__m128i abef = _mm_alignr_epi8(cdab, efgh, 8);
	__m128i cdgh = _mm_blend_epi16(efgh, cdab, 0xf0);

	for (; nblocks > 0; nblocks--, blocks += AKMA_SHA256_BLOCK) {
		__m128i abef_in = abef, cdgh_in = cdgh;
		__m128i w[4];

		for (int i = 0; i < 4; i++)
			w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(blocks + 16 * i)),
						bswap);
		for (int g = 0; g < 16; g++) {
			__m128i *cur = &w[g & 3];
			if (g >= 4) {
				/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] */
				__m128i prev = w[(g + 3) & 3];
				__m128i t7 = _mm_alignr_epi8(prev, w[(g + 2) & 3], 4);
				__m128i x = _mm_sha256msg1_epu32(*cur, w[(g + 1) & 3]);
				*cur = _mm_sha256msg2_epu32(_mm_add_epi32(x, t7), prev);
			}
			__m128i kw = _mm_add_epi32(
				*cur, _mm_loadu_si128((const __m128i *)&akma_sha256_k[4 * g]));
			cdgh = _mm_sha256rnds2_epu32(cdgh, abef, kw);
			kw = _mm_shuffle_epi32(kw, 0x0e);
			abef = _mm_sha256rnds2_epu32(abef, cdgh, kw);
		}
		abef = _mm_add_epi32(abef, abef_in);
		cdgh = _mm_add_epi32(cdgh, cdgh_in);
	}

	__m128i feba = _mm_shuffle_epi32(abef, 0x1b);
	__m128i dchg = _mm_shuffle_epi32(cdgh, 0xb1);
	_mm_storeu_si128((__m128i *)&state[0], _mm_blend_epi16(feba, dchg, 0xf0));
	_mm_storeu_si128((__m128i *)&state[4], _mm_alignr_epi8(dchg, feba, 8));
}

static int cpu_has_shani(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & bit_SHA) != 0;
}

static void (*compress_impl)(uint32_t *, const uint8_t *, size_t) = akma_sha256_compress_generic;

__attribute__((constructor)) static void choose_compress(void)
{
	if (cpu_has_shani())
		compress_impl = compress_shani;
}

int akma_sha256_has_shani(void)
{
	return compress_impl == compress_shani;
}

void akma_sha256_compress(uint32_t state[8], const uint8_t *blocks, size_t nblocks)
{
	compress_impl(state, blocks, nblocks);
}

void akma_sha256_finish(uint32_t state[8], size_t prefix_blocks, const uint8_t *msg, size_t len,
			uint8_t digest[AKMA_SHA256_DIGEST])
{
	uint8_t tail[2 * AKMA_SHA256_BLOCK];
	size_t full = len / AKMA_SHA256_BLOCK;
	size_t rest = len % AKMA_SHA256_BLOCK;
	uint64_t bits = ((uint64_t)prefix_blocks * AKMA_SHA256_BLOCK + len) * 8;

	if (full)
		compress_impl(state, msg, full);
	/* 0x80, zeros, then the 64-bit length: one block if it fits in 56 octets. */
	size_t tail_len = rest < 56 ? AKMA_SHA256_BLOCK : 2 * AKMA_SHA256_BLOCK;
	memcpy(tail, msg + full * AKMA_SHA256_BLOCK, rest);
	tail[rest] = 0x80;
	memset(tail + rest + 1, 0, tail_len - rest - 1 - 8);
	store_be32(tail + tail_len - 8, (uint32_t)(bits >> 32));
	store_be32(tail + tail_len - 4, (uint32_t)bits);
	compress_impl(state, tail, tail_len / AKMA_SHA256_BLOCK);
	for (int i = 0; i < 8; i++)
		store_be32(digest + 4 * i, state[i]);
	explicit_bzero(tail, sizeof(tail));
}

void akma_sha256(const uint8_t *msg, size_t len, uint8_t digest[AKMA_SHA256_DIGEST])
{
	uint32_t state[8];

	memcpy(state, akma_sha256_iv, sizeof(state));
	akma_sha256_finish(state, 0, msg, len, digest);
	explicit_bzero(state, sizeof(state));
}
