/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_BENCH_H
#define AKMA_BENCH_H

/* Shared pieces of the akma-bench modes: timing, pinning, the banner, and the
 * row printer that makes every mode's table and CSV look alike. */

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "clock.h"
#include "kdf.h" /* AKMA_AF_ID_MAX */

struct bench_row {
	const char *method; /* what was measured */
	const char *arch;   /* ipsec-mb manager, or "-" */
	unsigned burst;     /* 0 prints "-" */
	double ops_per_sec; /* derivations (or operations) per second */
	double ns_per_op;
	double ratio; /* to the baseline of the same run; 0 prints "-" */
};

struct akma_ctx_store;

/* Register contexts 0..n-1 in s, in bulk: the A-KID of context i from the
 * slot i of akids (bench_make_akids()), SUPI imsi-00101 and i in ten
 * digits, a random K_AKMA from *rng. Shows progress as what; on a refused
 * registration prints it as mode and exits. Caller: an online QSBR thread.
 * Returns the nanoseconds it took. */
uint64_t bench_preload(struct akma_ctx_store *s, const uint8_t *akids, uint64_t n, uint64_t *rng,
		       uint64_t now_ms, const char *mode, const char *what);

/* Pin the calling thread to core (-1: the highest CPU it may run on). Returns
 * the core used, or -1 with a message on stderr. */
int bench_pin(int core);

/* Print the environment: CPU, the flags that matter, library versions. With
 * csv each line starts with '#'. */
void bench_print_env(FILE *out, int csv, int core);

void bench_table_header(FILE *out, int csv, const char *unit);
void bench_table_row(FILE *out, int csv, const struct bench_row *row);

/* Fill buf with random octets (getrandom; never fails for small sizes). */
void bench_random(void *buf, size_t len);

/* Start DPDK's EAL with the defaults that run anywhere: no hugepages, no
 * PCI, no shared config, a private file prefix, mem_mb of memory, the given
 * lcores ("1" or "0-1"). Returns 0 or -1 with a message. */
int bench_eal_init(const char *lcores, unsigned mem_mb);
extern const char *bench_eal_vdev; /* a --vdev for bench_eal_init, or NULL */

/* The limits of this machine (bench_floor.c), in ns per operation, for
 * the `limit:` rows: a K_AF's blocks SHA-256 compressions with SHA-NI, in
 * 1, 2 or 4 interleaved chains, the fastest (0 without SHA-NI); with
 * shared, the floor of an S that four lanes share (one AF_ID in a burst):
 * its blocks - 1 inner compressions each on a message schedule computed
 * once for the four chains (akma_sha256_compress_x4_same), then the outer
 * one, four chains; and lines independent random cache-line reads,
 * prefetched 64 at a time, over a resident working set of bytes. Each
 * runs about seconds. */
double bench_floor_kaf_ns(unsigned blocks, int shared, double seconds);

/* The floor's loop itself: n K_AFs of blocks compressions each, lanes (1,
 * 2 or 4; 4 with shared) chains interleaved over state (lane 0 alone for
 * 1), nothing else. For akma-bench kdf's limit rows and
 * bench_floor_kaf_ns(). */
void bench_floor_kaf_run(uint32_t state[4][8], unsigned blocks, unsigned lanes, int shared,
			 unsigned n);

/* vzeroupper where the CPU has AVX: legacy-SSE code (SHA-NI) timed after
 * AVX code runs at its own speed (see engine/kaf_shani.c). */
void bench_clean_upper(void);
double bench_floor_lines_ns(size_t bytes, unsigned lines, double seconds);

/* Resident set size of this process in bytes. */
uint64_t bench_rss(void);

/* A fast deterministic generator for workloads (splitmix64). */
static inline uint64_t bench_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The median of n <= 16 values (v is left as it was). */
double bench_median(const double *v, unsigned n);

/* Option values: parse text as a number within [lo, hi]. Return 0, or -1
 * when it is not a number or out of range. */
/* The options of a mode, one table row each: the parser, the range checks
 * and the error text are the same for every mode. */
enum bench_opt_type {
	BENCH_OPT_UINT,   /* unsigned (out: unsigned *) in lo..hi */
	BENCH_OPT_U64,    /* uint64_t (out: uint64_t *) in lo..hi */
	BENCH_OPT_DOUBLE, /* double (out: double *) in lo..hi */
	BENCH_OPT_FLAG,   /* no value: *(int *)out = 1 */
	BENCH_OPT_CLEAR,  /* no value: *(int *)out = 0 */
	BENCH_OPT_STRING, /* const char * (out: const char **) */
	BENCH_OPT_CUSTOM, /* parse(text, out) returns 0, or -1 when text is bad */
};

struct bench_opt {
	const char *name; /* the long option, without "--" */
	enum bench_opt_type type;
	void *out;
	double lo, hi;
	int (*parse)(const char *text, void *out);
};

/* Parse argv[1..] (argv[0] is the mode) against opts (ended by a row with
 * a NULL name); --help and -h print usage. Returns 0 to go on, 1 when help
 * was printed (the mode exits 0), or 2 with "akma-bench MODE: ..." on stderr
 * naming the option and its range. */
/* BENCH_OPT_CUSTOM for --server HOST:PORT with an IPv4 host (out: struct
 * sockaddr_in *), through akmad's one address parser. */
int bench_parse_ipv4(const char *text, void *out);

/* BENCH_OPT_CUSTOM for an ipsec-mb manager name (out: enum akma_mb_arch *). */
int bench_parse_mb_arch(const char *text, void *out);

int bench_options(const char *mode, const char *usage, const struct bench_opt *opts, int argc,
		  char **argv);

/* Synthetic A-KIDs in akmad's convention (random A-TID, MCC 001, MNC 01),
 * BENCH_AKID_STRIDE octets apart with the length in each slot's last octet.
 * The RID is (rid_base + i) % 10000, or drawn from rng when rid_base < 0. */
#define BENCH_AKID_STRIDE 96
void bench_make_akids(uint8_t *akids, uint64_t n, uint64_t *rng, int64_t rid_base);

/* n AF_IDs of af_len octets (6..AKMA_AF_ID_MAX): an FQDN of letters with a
 * dot every 16 ("abcdefghijklmno.qr..."), then the TLS 1.3 PSK Ua* id; AF_ID
 * a starts with letter a % 26, and, when the FQDN has a second octet, its
 * second is 'b' + a / 26, so n up to 26 (up to 78 from af_len 7) are
 * distinct. */
void bench_make_af_ids(uint8_t (*af_ids)[AKMA_AF_ID_MAX], unsigned n, unsigned af_len);

/* A progress line on stderr, only when it is a terminal. */
void bench_progress(const char *what, uint64_t done, uint64_t total);

int bench_kdf_main(int argc, char **argv);
int bench_store_main(int argc, char **argv);
int bench_engine_main(int argc, char **argv);
int bench_wire_main(int argc, char **argv);
int bench_repl_main(int argc, char **argv);
int bench_sbi_main(int argc, char **argv);
int bench_token_main(int argc, char **argv);

#endif
