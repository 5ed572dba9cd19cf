/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akma-bench store: the context store at N contexts beside the two obvious
 * alternatives, on the same A-KIDs in the same run:
 *   - liburcu's cds_lfht, one node per context, looked up one key at a time;
 *   - DPDK's rte_hash keyed by a 16-octet digest of the A-KID, bulk lookups
 *     of 64 with the contexts prefetched, then the A-KID compared;
 *   - akmad's store (engine/ctx), bulk lookups of 64 in three stages.
 * cds_lfht and rte_hash index the contexts of akmad's store, so their build
 * rows count index inserts only, while akmad's row counts the whole
 * registration, midstates included, as recovery from Redis will do it.
 * Every lookup returns a verified context (A-KID compared byte for byte).
 * Queries stream in order from a list of A-KIDs laid end to end, as they
 * would arrive in request packets, so the bench's own key reads stay
 * sequential and every table pays only for its own random accesses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <urcu/urcu-qsbr.h>
#include <urcu/rculfhash.h>

#include <rte_hash.h>
#include <rte_lcore.h>

#include "bench.h"
#include "bench_lfht.h"
#include "ctx.h"
#include "err.h"
#include "kdf.h"

static const char usage_text[] =
	"Usage: akma-bench store [OPTIONS]\n"
	"\n"
	"Build and look up N AKMA contexts (A-KIDs of ~87 octets in akmad's\n"
	"convention, IMSI SUPIs, random K_AKMA) in akmad's store, liburcu's\n"
	"cds_lfht and DPDK's rte_hash, on one pinned core. Prints build rates,\n"
	"bytes per context, and uniformly random bulk lookups per second, each\n"
	"with its ratio to cds_lfht measured in the same run.\n"
	"\n"
	"Options:\n"
	"  --contexts N     contexts to load (default 1000000; up to 100000000)\n"
	"  --duration SEC   lookup time per row and round (default 1.0)\n"
	"  --rounds N       interleaved rounds, median shown (default 3, 1..16)\n"
	"  --only LIST      compare a subset: akma,lfht,rte_hash (default all)\n"
	"  --core N         pin to CPU N (default the highest CPU allowed)\n"
	"  --csv            CSV rows instead of tables\n"
	"  -h, --help       this text\n"
	"\n"
	"Memory: ~300 octets a context for akmad's store, plus ~100 for the key\n"
	"list and ~60 for each comparison table, and 200 MB of queries; 10 M\n"
	"contexts need ~5 GiB.\n";

#define LOOKUP_BATCH 64

struct store_bench {
	uint64_t n;
	double duration;
	unsigned rounds;
	int csv;
	int want_akma, want_lfht, want_rte;
	uint8_t *akids;   /* n A-KIDs, BENCH_AKID_STRIDE apart, length in the last octet */
	uint8_t *queries; /* A-KIDs of random contexts end to end, same stride */
	uint64_t n_queries;
	struct akma_ctx_store *store;
	const struct akma_ctx **ctx; /* context i as the store holds it */
	struct cds_lfht *lfht;
	struct rte_hash *rte;
	uint64_t now_ms;
	double create_ns;
};

static inline const uint8_t *akid_of(const struct store_bench *b, uint64_t i, uint16_t *len)
	__attribute__((always_inline));
static inline const uint8_t *akid_of(const struct store_bench *b, uint64_t i, uint16_t *len)
{
	const uint8_t *p = b->akids + i * BENCH_AKID_STRIDE;
	*len = p[BENCH_AKID_STRIDE - 1];
	return p;
}

static void make_keys(struct store_bench *b)
{
	uint64_t rng = 0x5eed;

	bench_make_akids(b->akids, b->n, &rng, -1);
	for (uint64_t i = 0; i < b->n_queries; i++)
		memcpy(b->queries + i * BENCH_AKID_STRIDE,
		       b->akids + (bench_rand(&rng) % b->n) * BENCH_AKID_STRIDE, BENCH_AKID_STRIDE);
}

/* ---- builds ------------------------------------------------------------------ */

static double build_akma(struct store_bench *b, uint64_t *rss_delta)
{
	struct akma_ctx_store_params p = {(uint32_t)b->n, 0};
	int err;
	uint64_t rng = 0xcafe, rss0 = bench_rss();

	uint64_t t_create = akma_mono_ns();
	b->store = akma_ctx_store_create(&p, &err);
	if (!b->store) {
		fprintf(stderr, "akma-bench store: %s\n", akma_strerror(err));
		exit(1);
	}
	b->create_ns = (double)(akma_mono_ns() - t_create);
	double ns = (double)bench_preload(b->store, b->akids, b->n, &rng, b->now_ms, "store",
					  "loading akmad store");
	*rss_delta = bench_rss() - rss0;

	/* The other tables index these contexts: find each one once. */
	const uint8_t *kp[LOOKUP_BATCH];
	uint16_t kl[LOOKUP_BATCH];
	uint8_t res[LOOKUP_BATCH];
	for (uint64_t base = 0; base < b->n; base += LOOKUP_BATCH) {
		unsigned m = b->n - base < LOOKUP_BATCH ? (unsigned)(b->n - base) : LOOKUP_BATCH;
		for (unsigned j = 0; j < m; j++)
			kp[j] = akid_of(b, base + j, &kl[j]);
		if (akma_ctx_lookup_bulk(b->store, kp, kl, NULL, m, b->now_ms, &b->ctx[base], res,
					 0) != m) {
			fprintf(stderr, "akma-bench store: a loaded context is missing\n");
			exit(1);
		}
	}
	return ns;
}

static double build_lfht(struct store_bench *b, uint64_t *rss_delta)
{
	unsigned long size = 1;
	uint64_t rss0 = bench_rss();

	while (size < b->n)
		size <<= 1;
	/* Sized up front: no resize during the build or the lookups. */
	b->lfht = cds_lfht_new_flavor(size, size, size, 0, &urcu_qsbr_flavor, NULL);
	if (!b->lfht) {
		fprintf(stderr, "akma-bench store: cds_lfht_new failed\n");
		exit(1);
	}
	struct lfht_node *nodes = malloc(b->n * sizeof(*nodes));
	if (!nodes) {
		fprintf(stderr, "akma-bench store: out of memory for cds_lfht nodes\n");
		exit(1);
	}
	uint64_t t0 = akma_mono_ns();
	for (uint64_t i = 0; i < b->n; i++) {
		uint16_t len;
		const uint8_t *akid = akid_of(b, i, &len);
		cds_lfht_node_init(&nodes[i].node);
		nodes[i].ctx = b->ctx[i];
		cds_lfht_add(b->lfht, akma_ctx_hash(akid, len), &nodes[i].node);
		if ((i & 0xfffff) == 0) {
			bench_progress("loading cds_lfht", i, b->n);
			urcu_qsbr_quiescent_state();
		}
	}
	double ns = (double)(akma_mono_ns() - t0);
	bench_progress("loading cds_lfht", b->n, b->n);
	*rss_delta = bench_rss() - rss0;
	return ns;
}

/* rte_hash takes fixed-length keys: a 16-octet digest of the A-KID. */
static inline void digest16(const uint8_t *akid, uint16_t len, uint64_t d[2])
{
	d[0] = akma_ctx_hash(akid, len);
	d[1] = (d[0] * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)len << 56) ^ 0x6a09e667f3bcc909ULL;
}

static double build_rte(struct store_bench *b, uint64_t *rss_delta)
{
	struct rte_hash_parameters p = {
		.name = "akma_bench_store",
		.entries = (uint32_t)(b->n + b->n / 4 + 1024),
		.key_len = 16,
		.socket_id = (int)rte_socket_id(),
	};
	uint64_t rss0 = bench_rss();

	b->rte = rte_hash_create(&p);
	if (!b->rte) {
		fprintf(stderr, "akma-bench store: rte_hash_create failed (more -m memory?)\n");
		exit(1);
	}
	uint64_t t0 = akma_mono_ns();
	for (uint64_t i = 0; i < b->n; i++) {
		uint16_t len;
		uint64_t d[2];
		const uint8_t *akid = akid_of(b, i, &len);
		digest16(akid, len, d);
		if (rte_hash_add_key_data(b->rte, d, (void *)(uintptr_t)b->ctx[i]) != 0) {
			fprintf(stderr, "akma-bench store: rte_hash full at %llu\n",
				(unsigned long long)i);
			exit(1);
		}
		if ((i & 0xfffff) == 0)
			bench_progress("loading rte_hash", i, b->n);
	}
	double ns = (double)(akma_mono_ns() - t0);
	bench_progress("loading rte_hash", b->n, b->n);
	*rss_delta = bench_rss() - rss0;
	return ns;
}

/* ---- lookups --------------------------------------------------------------------- */

enum store_method { S_LFHT, S_RTE, S_AKMA };

/* Look up for duration seconds; returns ns per lookup. *sink defeats dead-code
 * elimination; *bad counts lookups that failed to find their context. */
static double measure(struct store_bench *b, enum store_method m, uint64_t *sink, uint64_t *bad)
{
	const uint8_t *kp[LOOKUP_BATCH];
	uint16_t kl[LOOKUP_BATCH];
	const struct akma_ctx *found[LOOKUP_BATCH];
	uint8_t res[LOOKUP_BATCH];
	uint64_t d[LOOKUP_BATCH][2];
	const void *dp[LOOKUP_BATCH];
	void *data[LOOKUP_BATCH];
	uint64_t n = 0, pos = 0, t0 = akma_mono_ns(), end = t0 + (uint64_t)(b->duration * 1e9), t;

	do {
		for (int rep = 0; rep < 64; rep++) {
			for (unsigned j = 0; j < LOOKUP_BATCH; j++) {
				kp[j] = b->queries + pos * BENCH_AKID_STRIDE;
				kl[j] = kp[j][BENCH_AKID_STRIDE - 1];
				if (++pos == b->n_queries)
					pos = 0;
			}
			switch (m) {
			case S_AKMA:
				*bad += LOOKUP_BATCH - akma_ctx_lookup_bulk(b->store, kp, kl, NULL,
									    LOOKUP_BATCH, b->now_ms,
									    found, res, 0);
				for (unsigned j = 0; j < LOOKUP_BATCH; j++)
					*sink += found[j] ? found[j]->eol_ms : 0;
				break;
			case S_LFHT:
				for (unsigned j = 0; j < LOOKUP_BATCH; j++) {
					struct cds_lfht_iter iter;
					cds_lfht_lookup(b->lfht, akma_ctx_hash(kp[j], kl[j]),
							lfht_match, kp[j], &iter);
					struct cds_lfht_node *node = cds_lfht_iter_get_node(&iter);
					if (!node) {
						(*bad)++;
						continue;
					}
					const struct akma_ctx *c =
						caa_container_of(node, struct lfht_node, node)->ctx;
					*sink += c->eol_ms;
				}
				break;
			case S_RTE: {
				uint64_t hits = 0;
				for (unsigned j = 0; j < LOOKUP_BATCH; j++) {
					digest16(kp[j], kl[j], d[j]);
					dp[j] = d[j];
				}
				rte_hash_lookup_bulk_data(b->rte, dp, LOOKUP_BATCH, &hits, data);
				for (unsigned j = 0; j < LOOKUP_BATCH; j++) {
					if (hits & (1ULL << j)) {
						const uint8_t *line = data[j];
						__builtin_prefetch(line);      /* header, A-KID */
						__builtin_prefetch(line + 64); /* A-KID end */
					}
				}
				for (unsigned j = 0; j < LOOKUP_BATCH; j++) {
					const struct akma_ctx *c = data[j];
					if (!(hits & (1ULL << j)) || c->akid_len != kl[j] ||
					    memcmp(akma_ctx_akid(c), kp[j], kl[j]) != 0) {
						(*bad)++;
						continue;
					}
					*sink += c->eol_ms;
				}
				break;
			}
			}
			urcu_qsbr_quiescent_state();
		}
		n += 64 * LOOKUP_BATCH;
		t = akma_mono_ns();
	} while (t < end);
	return (double)(t - t0) / (double)n;
}

/* --only: which of the three to measure (akmad's store always: the others
 * index its contexts). */
static int parse_only(const char *text, void *out)
{
	struct store_bench *b = out;
	b->want_lfht = strstr(text, "lfht") != NULL;
	b->want_rte = strstr(text, "rte_hash") != NULL;
	if (!strstr(text, "akma") && !b->want_lfht && !b->want_rte)
		return -1;
	b->want_akma = 1;
	return 0;
}

int bench_store_main(int argc, char **argv)
{
	struct store_bench b = {.n = 1000000, .duration = 1.0, .rounds = 3, .now_ms = 1};
	unsigned core_opt = ~0u;
	int core;

	b.want_akma = b.want_lfht = b.want_rte = 1;
	const struct bench_opt opts[] = {
		{"contexts", BENCH_OPT_U64, &b.n, 64, 100000000, NULL},
		{"duration", BENCH_OPT_DOUBLE, &b.duration, 0.01, 600, NULL},
		{"rounds", BENCH_OPT_UINT, &b.rounds, 1, 16, NULL},
		{"only", BENCH_OPT_CUSTOM, &b, 0, 0, parse_only},
		{"core", BENCH_OPT_UINT, &core_opt, 0, 4095, NULL},
		{"csv", BENCH_OPT_FLAG, &b.csv, 0, 0, NULL},
		{NULL, 0, NULL, 0, 0, NULL},
	};
	int rc = bench_options("store", usage_text, opts, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	core = core_opt == ~0u ? -1 : (int)core_opt;
	if ((core = bench_pin(core)) < 0)
		return 1;
	char lcore[16];
	snprintf(lcore, sizeof(lcore), "%d", core);
	/* rte_hash: ~48 octets an entry with its buckets, in DPDK's memory. */
	unsigned mem_mb = (unsigned)(256 + (b.want_rte ? b.n * 64 / (1 << 20) : 0));
	if (bench_eal_init(lcore, mem_mb) != 0)
		return 1;
	urcu_qsbr_register_thread();
	bench_print_env(stdout, b.csv, core);

	b.n_queries = 1u << 21;
	b.akids = malloc(b.n * BENCH_AKID_STRIDE);
	b.queries = malloc(b.n_queries * BENCH_AKID_STRIDE);
	b.ctx = malloc(b.n * sizeof(*b.ctx));
	if (!b.akids || !b.queries || !b.ctx) {
		fprintf(stderr, "akma-bench store: out of memory for %llu keys\n",
			(unsigned long long)b.n);
		return 1;
	}
	make_keys(&b);
	const char *pfx = b.csv ? "# " : "";
	uint16_t len0;
	akid_of(&b, 0, &len0);
	printf("%sworkload   %llu contexts, A-KIDs like %.*s (%u octets), uniformly random "
	       "lookups in batches of %d, %u rounds of %.2f s a row\n",
	       pfx, (unsigned long long)b.n, (int)len0, (const char *)akid_of(&b, 0, &len0), len0,
	       LOOKUP_BATCH, b.rounds, b.duration);

	uint64_t rss_akma = 0, rss_lfht = 0, rss_rte = 0;
	double build[3] = {0, 0, 0};
	build[S_AKMA] = build_akma(&b, &rss_akma);
	if (b.want_lfht)
		build[S_LFHT] = build_lfht(&b, &rss_lfht);
	if (b.want_rte)
		build[S_RTE] = build_rte(&b, &rss_rte);

	struct akma_ctx_stats st;
	akma_ctx_stats(b.store, &st);
	static const char *const names[3] = {"cds_lfht", "rte_hash bulk-64", "akmad ctx bulk-64"};
	static const char *const build_names[3] = {"cds_lfht (index only)", "rte_hash (index only)",
						   "akmad ctx (+midstates)"};

	bench_table_header(stdout, b.csv, "insert");
	for (int m = 0; m < 3; m++) {
		if (!build[m])
			continue;
		double ns = build[m] / (double)b.n;
		struct bench_row row = {
			build_names[m], "-", m == S_AKMA ? AKMA_CTX_BULK_MAX : 1,
			1e9 / ns,       ns,  build[S_LFHT] ? build[S_LFHT] / build[m] : 0};
		bench_table_row(stdout, b.csv, &row);
	}
	printf("%s\n%sakmad store created and prefaulted for %llu contexts in %.2f s\n",
	       b.csv ? "#" : "", pfx, (unsigned long long)b.n, b.create_ns / 1e9);
	printf("%sbytes per context: akmad store %.1f in use (arena %.1f + indexes %.1f), "
	       "%.1f reserved, %.1f resident\n",
	       pfx, (double)(st.arena_used + st.index_bytes) / (double)b.n,
	       (double)st.arena_used / (double)b.n, (double)st.index_bytes / (double)b.n,
	       (double)(st.arena_bytes + st.index_bytes) / (double)b.n,
	       (double)rss_akma / (double)b.n);
	if (b.want_lfht || b.want_rte)
		printf("%sindex bytes per context, resident: cds_lfht %.1f, rte_hash %.1f (DPDK "
		       "memory touched)\n",
		       pfx, (double)rss_lfht / (double)b.n, (double)rss_rte / (double)b.n);

	/* Lookups, interleaved rounds. */
	double ns[3][16];
	uint64_t sink = 0, bad[3] = {0, 0, 0};
	for (unsigned r = 0; r < b.rounds; r++) {
		if (!b.csv && isatty(STDERR_FILENO))
			fprintf(stderr, "\rlookup round %u/%u", r + 1, b.rounds);
		for (int m = 0; m < 3; m++)
			if (build[m])
				ns[m][r] = measure(&b, (enum store_method)m, &sink, &bad[m]);
	}
	if (!b.csv && isatty(STDERR_FILENO))
		fprintf(stderr, "\r%30s\r", "");
	bench_table_header(stdout, b.csv, "lookup");
	double base = build[S_LFHT] ? bench_median(ns[S_LFHT], b.rounds) : 0;
	for (int m = 0; m < 3; m++) {
		if (!build[m])
			continue;
		double v = bench_median(ns[m], b.rounds);
		struct bench_row row = {names[m], "-", m == S_LFHT ? 1 : LOOKUP_BATCH,
					1e9 / v,  v,   base ? base / v : 0};
		bench_table_row(stdout, b.csv, &row);
		if (bad[m])
			printf("%s%s: %llu lookups did not find their context\n", pfx, names[m],
			       (unsigned long long)bad[m]);
	}
	/* The floor of a lookup at this working set: independent random
	 * cache-line reads, prefetched a batch at a time. A lookup reads at
	 * least two: its index bucket, then its context. */
	struct akma_ctx_stats fs;
	akma_ctx_stats(b.store, &fs);
	size_t working_set = (size_t)(fs.arena_used + fs.index_bytes);
	double floor1 = bench_floor_lines_ns(working_set, 1, b.duration);
	if (floor1 > 0) {
		struct bench_row r1 = {"limit: 1 random line", "-",    LOOKUP_BATCH,
				       1e9 / floor1,           floor1, base ? base / floor1 : 0};
		struct bench_row r2 = {
			"limit: 2 random lines", "-",        LOOKUP_BATCH,
			1e9 / (2 * floor1),      2 * floor1, base ? base / (2 * floor1) : 0};
		bench_table_row(stdout, b.csv, &r1);
		bench_table_row(stdout, b.csv, &r2);
		double akma = bench_median(ns[S_AKMA], b.rounds);
		printf("%sakmad's lookup at %.1f MB: %.1f ns, %.0f%% of the limit of two random "
		       "lines (%.1f ns)\n",
		       pfx, (double)working_set / 1e6, akma, 100 * 2 * floor1 / akma, 2 * floor1);
	}
	if (sink == 42)
		printf(" ");

	urcu_qsbr_thread_offline();
	if (b.rte)
		rte_hash_free(b.rte);
	akma_ctx_store_free(b.store);
	free(b.akids);
	free(b.queries);
	free(b.ctx);
	return 0;
}
