/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The machine's own limits for the benchmarks' `limit:` rows (bench.h):
 * what a K_AF cannot go below (its SHA-256 compressions with SHA-NI, chains
 * interleaved as deep as pays, nothing else), and what a lookup cannot go
 * below (independent random cache-line reads at the store's working set,
 * prefetched a batch at a time, nothing else).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "kaf_shani.h"
#include "sha256.h"

void bench_clean_upper(void)
{
	if (__builtin_cpu_supports("avx"))
		__asm__ volatile("vzeroupper" ::: "memory");
}

void bench_floor_kaf_run(uint32_t state[4][8], unsigned blocks, unsigned lanes, int shared,
			 unsigned n)
{
	uint8_t block[64];
	const uint8_t *blk[4] = {block, block, block, block};
	memset(block, 0x5a, sizeof(block));
	bench_clean_upper(); /* as akmad's kernel does a burst */
	for (unsigned i = 0; i < n; i += lanes) {
		for (unsigned c = 0; c < blocks; c++) {
			if (shared && c + 1 < blocks) /* an inner block, its schedule shared */
				akma_sha256_compress_x4_same(state, block);
			else if (lanes == 4)
				akma_sha256_compress_x4(state, blk);
			else if (lanes == 2)
				akma_sha256_compress_x2(state, blk);
			else
				akma_sha256_compress(state[0], block, 1);
		}
		block[0] = (uint8_t)state[0][0]; /* a dependency the compiler keeps */
	}
}

/* ns per K_AF of bench_floor_kaf_run over about seconds. */
static double time_kaf_run(unsigned blocks, unsigned lanes, int shared, double seconds)
{
	uint32_t st[4][8];
	for (int l = 0; l < 4; l++)
		for (int j = 0; j < 8; j++)
			st[l][j] = 0x6a09e667u + (uint32_t)(l * 8 + j);
	uint64_t n = 0, t0 = akma_mono_ns(), end = t0 + (uint64_t)(seconds * 1e9), t;
	do {
		bench_floor_kaf_run(st, blocks, lanes, shared, 4096);
		n += 4096;
		t = akma_mono_ns();
	} while (t < end);
	return (double)(t - t0) / (double)n;
}

double bench_floor_kaf_ns(unsigned blocks, int shared, double seconds)
{
	if (!akma_kaf_shani_supported() || !blocks)
		return 0;
	if (shared)
		return time_kaf_run(blocks, 4, 1, seconds);
	static const unsigned lane_choices[3] = {1, 2, 4};
	double best = 0;
	for (unsigned li = 0; li < 3; li++) {
		double ns = time_kaf_run(blocks, lane_choices[li], 0, seconds / 3);
		if (best == 0 || ns < best)
			best = ns;
	}
	return best;
}

double bench_floor_lines_ns(size_t bytes, unsigned lines, double seconds)
{
	enum { BATCH = 64 };
	size_t n_lines = bytes / 64;
	if (n_lines < BATCH || !lines)
		return 0;
	uint8_t *buf = mmap(NULL, n_lines * 64, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	if (buf == MAP_FAILED)
		return 0;
	for (size_t i = 0; i < n_lines; i++)
		buf[i * 64] = (uint8_t)i; /* resident, as the store's memory is */
	uint64_t rng = 0x9e3779b97f4a7c15ull, sink = 0, n = 0;
	size_t at[BATCH];
	uint64_t t0 = akma_mono_ns(), end = t0 + (uint64_t)(seconds * 1e9), t;
	do {
		for (int rep = 0; rep < 64; rep++) {
			for (unsigned j = 0; j < BATCH; j++) {
				at[j] = (size_t)(bench_rand(&rng) % n_lines) * 64;
				__builtin_prefetch(buf + at[j]);
			}
			for (unsigned j = 0; j < BATCH; j++)
				sink += buf[at[j]];
		}
		n += 64 * BATCH;
		t = akma_mono_ns();
	} while (t < end);
	munmap(buf, n_lines * 64);
	if (sink == 42)
		n++; /* keeps the reads */
	return (double)(t - t0) / (double)n * lines;
}
