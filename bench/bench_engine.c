/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akma-bench engine: the engine core end to end, minus the network. The main
 * lcore is the producer: it keeps a window of requests in flight, each with
 * a uniformly random A-KID copied in from a query stream (and a share of
 * never-registered A-KIDs and of REGISTERs), submits them through the rings
 * and polls the completions, timing each from submission to completion. The
 * baseline, measured in the same run on the same core, is the naive server:
 * one request at a time, a cds_lfht lookup and OpenSSL's HMAC() one-shot.
 */
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <urcu/urcu-qsbr.h>
#include <urcu/rculfhash.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "bench.h"
#include "bench_lfht.h"
#include "ctx.h"
#include "err.h"
#include "kdf.h"
#include "worker.h"

static const char usage_text[] =
	"Usage: akma-bench engine [OPTIONS]\n"
	"\n"
	"Preload N contexts, then drive GET_KAF requests with uniformly random\n"
	"A-KIDs through the engine's rings to its worker lcores from the main\n"
	"lcore, and report K_AF/s and latency from submission to completion;\n"
	"beside it the same workload through a naive path (one request at a time:\n"
	"cds_lfht lookup, OpenSSL HMAC() one-shot) on one core, and through the\n"
	"engine with its workers' burst pipeline off (each burst looked up and\n"
	"derived in the pass it arrives), and, on a CPU with SHA-NI, through\n"
	"the same engine on the K_AF path auto did not choose (akmad's own\n"
	"SHA-NI kernel, or ipsec-mb's manager fastest in this engine), rounds\n"
	"interleaved in the same run, with the kernel's ratio to ipsec-mb, the\n"
	"spread of the rounds' ratios and the worker's idle polls a request in\n"
	"each (a worker waiting on the producer: the load, not the engine, set\n"
	"part of that row's rate); then the limit: a lookup's two\n"
	"random cache lines at the store's working set plus the K_AF's SHA-256\n"
	"compressions, per worker.\n"
	"\n"
	"Options:\n"
	"  --contexts N        contexts to preload (default 1000000)\n"
	"  --workers W         worker lcores (default every CPU but the main one)\n"
	"  --duration SEC      time per row and round (default 1.0)\n"
	"  --rounds N          interleaved rounds, median shown (default 3)\n"
	"  --miss-share F      share of GET_KAF for unknown A-KIDs (default 0)\n"
	"  --register-share F  share of REGISTERs re-keying a known SUPI (default 0)\n"
	"  --inflight N        requests kept in flight (default 512)\n"
	"  --burst N           worker dequeue burst, 1..64 (default 32)\n"
	"  --af-len N          AF_ID octets (default 19)\n"
	"  --af-ids N          distinct AF_IDs of that length, requests taking them\n"
	"                      in turn (default 1: one AF asking for many UEs; 2 or\n"
	"                      more: no two requests in a row alike; 1..26)\n"
	"  --mb-arch NAME      K_AF path: auto (default), sse, avx, avx2, avx512 (ipsec-mb), "
	"shani\n"
	"  --csv               CSV rows instead of tables\n"
	"  --no-naive          skip the naive baseline (for profiling the engine\n"
	"                      alone; its row then just repeats the engine's)\n"
	"  -h, --help          this text\n";

#define N_QUERIES (1u << 21)
#define AF_IDS_MAX 26 /* bench_make_af_ids() tells them apart at every --af-len */

struct engine_bench {
	uint64_t n;
	unsigned workers;
	double duration, miss_share, register_share;
	unsigned rounds, inflight, burst, af_len;
	enum akma_mb_arch arch;
	int csv, no_naive;
	uint8_t *akids;   /* registered A-KIDs, BENCH_AKID_STRIDE apart, length last */
	uint8_t *queries; /* the request stream: A-KID, then kind in octet 94 */
	struct akma_engine *e;
	struct akma_ctx_store *store;
	struct cds_lfht *lfht;
	unsigned n_af;
	uint8_t af_ids[AF_IDS_MAX][AKMA_AF_ID_MAX];
	uint64_t af_next; /* the next request's AF_ID, in turn */
	double tsc_ns;
};

enum query_kind { Q_HIT = 0, Q_MISS = 1, Q_REGISTER = 2 };

/* Latency histogram: 32 sub-buckets per power of two of nanoseconds. */
#define LAT_BUCKETS (64 * 32)
struct latency {
	uint64_t count[LAT_BUCKETS];
	uint64_t total;
};

static inline unsigned lat_bucket(uint64_t ns)
{
	if (ns < 32)
		return (unsigned)ns;
	unsigned msb = 63 - (unsigned)__builtin_clzll(ns);
	return (msb - 4) * 32 + (unsigned)((ns >> (msb - 5)) & 31);
}

static double lat_value(unsigned b)
{
	if (b < 32)
		return b;
	unsigned msb = b / 32 + 4, sub = b % 32;
	return ldexp(1.0 + (sub + 0.5) / 32.0, (int)msb);
}

static double lat_percentile(const struct latency *l, double q)
{
	uint64_t want = (uint64_t)(q * (double)l->total), seen = 0;
	for (unsigned b = 0; b < LAT_BUCKETS; b++) {
		seen += l->count[b];
		if (seen > want)
			return lat_value(b);
	}
	return 0;
}

static void fill_request(struct engine_bench *b, struct akma_req *r, uint64_t *pos, uint64_t *rng)
{
	const uint8_t *q = b->queries + *pos * BENCH_AKID_STRIDE;
	if (++*pos == N_QUERIES)
		*pos = 0;
	r->akid_len = q[BENCH_AKID_STRIDE - 1];
	memcpy(akma_req_akid(r), q, r->akid_len);
	if (q[BENCH_AKID_STRIDE - 2] == Q_REGISTER) {
		/* Re-key the A-KID's own SUPI, so the stream stays valid. */
		uint32_t idx;
		memcpy(&idx, q + BENCH_AKID_STRIDE - 6, 4);
		r->type = AKMA_REQ_REGISTER;
		r->af_id_len = 0;
		r->ueid_len = (uint16_t)snprintf((char *)akma_req_ueid(r), AKMA_UEID_MAX,
						 "imsi-00101%010u", idx);
		r->ueid_type = 1;
		for (int k = 0; k < 4; k++) {
			uint64_t x = bench_rand(rng);
			memcpy(r->kakma + 8 * k, &x, 8);
		}
	} else {
		r->type = AKMA_REQ_GET_KAF;
		r->flags = 0;
		r->af_id_len = (uint16_t)b->af_len;
		memcpy(akma_req_af_id(r), b->af_ids[b->af_next++ % b->n_af], b->af_len);
	}
}

struct engine_result {
	double ns_per_req;
	double idle_per_req; /* the workers' idle polls a request */
	uint64_t ok, not_found, other;
	struct latency lat;
};

/* A worker with nothing to do polls its rings idle: many idle polls in a
 * row mean the load, not the engine, set part of that row's rate. */
static uint64_t workers_idle_polls(const struct akma_engine *e)
{
	uint64_t n = 0;
	for (unsigned w = 0; w < akma_engine_workers(e); w++) {
		struct akma_worker_stats st;
		akma_engine_worker_stats(e, w, &st);
		n += st.idle_polls;
	}
	return n;
}

static void run_engine(struct engine_bench *b, unsigned producer, struct engine_result *res)
{
	static struct akma_req *queue[4096], *keep[4096];
	struct akma_req *out[256], *rej[64];
	unsigned n_rej, q = b->inflight, outstanding = 0;
	uint64_t pos = (uint64_t)(akma_mono_ns() % N_QUERIES), rng = 99, done = 0;

	memset(res, 0, sizeof(*res));
	uint64_t idle0 = workers_idle_polls(b->e);
	if (akma_engine_req_alloc(b->e, queue, b->inflight) != 0) {
		fprintf(stderr, "akma-bench engine: request pool too small\n");
		exit(1);
	}
	for (unsigned i = 0; i < q; i++)
		fill_request(b, queue[i], &pos, &rng);
	uint64_t t0 = akma_mono_ns();
	uint64_t end_tsc = rte_rdtsc() + (uint64_t)(b->duration * (double)rte_get_tsc_hz());
	int stop = 0;
	for (;;) {
		/* Submit the queue; what a full ring refuses waits for the next pass. */
		unsigned nkeep = 0, i = 0;
		while (i < q) {
			unsigned m = q - i > 64 ? 64 : q - i;
			outstanding +=
				akma_engine_submit(b->e, producer, queue + i, m, rej, &n_rej);
			memcpy(keep + nkeep, rej, n_rej * sizeof(*rej));
			nkeep += n_rej;
			i += m;
			if (n_rej) {
				memcpy(keep + nkeep, queue + i, (q - i) * sizeof(*queue));
				nkeep += q - i;
				break;
			}
		}
		memcpy(queue, keep, nkeep * sizeof(*keep));
		q = nkeep;

		unsigned got = akma_engine_poll(b->e, producer, out, 256);
		uint64_t now_tsc = rte_rdtsc();
		for (unsigned k = 0; k < got; k++) /* written by the worker's core */
			for (unsigned off = 0; off < 256; off += 64)
				__builtin_prefetch((const uint8_t *)out[k] + off, 1);
		outstanding -= got;
		if (!stop && now_tsc >= end_tsc) {
			stop = 1;
			akma_engine_req_free(b->e, queue, q); /* never submitted */
			q = 0;
		}
		for (unsigned k = 0; k < got; k++) {
			struct akma_req *r = out[k];
			uint64_t ns = (uint64_t)((double)(now_tsc - r->t_submit) * b->tsc_ns);
			unsigned bucket = lat_bucket(ns);
			res->lat.count[bucket < LAT_BUCKETS ? bucket : LAT_BUCKETS - 1]++;
			res->lat.total++;
			if (r->status == AKMA_ST_OK)
				res->ok++;
			else if (r->status == AKMA_ST_NOT_FOUND)
				res->not_found++;
			else
				res->other++;
			done++;
			if (stop) {
				akma_engine_req_free(b->e, &r, 1);
			} else {
				fill_request(b, r, &pos, &rng);
				queue[q++] = r;
			}
		}
		if (stop && outstanding == 0)
			break;
	}
	res->ns_per_req = (double)(akma_mono_ns() - t0) / (double)done;
	res->idle_per_req = (double)(workers_idle_polls(b->e) - idle0) / (double)done;
}

/* The naive server: per request, cds_lfht lookup and OpenSSL HMAC(). */
static double run_naive(struct engine_bench *b, uint64_t *ok)
{
	uint8_t s[AKMA_KAF_S_MAX], kaf[32];
	uint64_t pos = 12345, n = 0, t0 = akma_mono_ns(), end = t0 + (uint64_t)(b->duration * 1e9),
		 t;

	do {
		for (int i = 0; i < 1024; i++) {
			const uint8_t *q = b->queries + pos * BENCH_AKID_STRIDE;
			if (++pos == N_QUERIES)
				pos = 0;
			uint16_t len = q[BENCH_AKID_STRIDE - 1];
			struct cds_lfht_iter iter;
			cds_lfht_lookup(b->lfht, akma_ctx_hash(q, len), lfht_match, q, &iter);
			struct cds_lfht_node *node = cds_lfht_iter_get_node(&iter);
			if (node) {
				const struct akma_ctx *c =
					caa_container_of(node, struct lfht_node, node)->ctx;
				size_t sl = akma_kaf_s(b->af_ids[n % b->n_af], b->af_len, s);
				unsigned ol = 32;
				HMAC(EVP_sha256(), akma_ctx_kakma(c), AKMA_KEY_LEN, s, sl, kaf,
				     &ol);
				(*ok)++;
			}
			n++;
		}
		urcu_qsbr_quiescent_state();
		t = akma_mono_ns();
	} while (t < end);
	explicit_bzero(kaf, sizeof(kaf));
	return (double)(t - t0) / (double)n;
}

static void preload(struct engine_bench *b)
{
	uint64_t rng = 0x5eed;

	bench_make_akids(b->akids, b->n, &rng, -1);
	double s =
		(double)bench_preload(b->store, b->akids, b->n, &rng, (uint64_t)time(NULL) * 1000,
				      "engine", "preloading contexts") /
		1e9;
	printf("%spreloaded  %llu contexts in %.2f s (%.2f M/s)\n", b->csv ? "# " : "",
	       (unsigned long long)b->n, s, (double)b->n / s / 1e6);

	/* The query stream, and the naive path's index over the same contexts. */
	unsigned long size = 1;
	while (size < b->n)
		size <<= 1;
	b->lfht = cds_lfht_new_flavor(size, size, size, 0, &urcu_qsbr_flavor, NULL);
	struct lfht_node *nodes = malloc(b->n * sizeof(*nodes));
	const uint8_t *kp[64];
	uint16_t kl[64];
	const struct akma_ctx *found[64];
	uint8_t res[64];
	if (!b->lfht || !nodes) {
		fprintf(stderr, "akma-bench engine: out of memory for the naive index\n");
		exit(1);
	}
	for (uint64_t base = 0; base < b->n; base += 64) {
		unsigned m = b->n - base < 64 ? (unsigned)(b->n - base) : 64;
		for (unsigned j = 0; j < m; j++) {
			kp[j] = b->akids + (base + j) * BENCH_AKID_STRIDE;
			kl[j] = kp[j][BENCH_AKID_STRIDE - 1];
		}
		akma_ctx_lookup_bulk(b->store, kp, kl, NULL, m, (uint64_t)time(NULL) * 1000, found,
				     res, 0);
		for (unsigned j = 0; j < m; j++) {
			cds_lfht_node_init(&nodes[base + j].node);
			nodes[base + j].ctx = found[j];
			cds_lfht_add(b->lfht, akma_ctx_hash(kp[j], kl[j]), &nodes[base + j].node);
		}
		if ((base & 0x3ffff) == 0) {
			bench_progress("indexing for the naive path", base, b->n);
			urcu_qsbr_quiescent_state();
		}
	}
	bench_progress("indexing for the naive path", b->n, b->n);
	for (uint64_t i = 0; i < N_QUERIES; i++) {
		uint8_t *q = b->queries + i * BENCH_AKID_STRIDE;
		double u = (double)(bench_rand(&rng) >> 11) / 9007199254740992.0;
		uint32_t idx = (uint32_t)(bench_rand(&rng) % b->n);
		memcpy(q, b->akids + (uint64_t)idx * BENCH_AKID_STRIDE, BENCH_AKID_STRIDE);
		memcpy(q + BENCH_AKID_STRIDE - 6, &idx, 4);
		q[BENCH_AKID_STRIDE - 2] = Q_HIT;
		if (u < b->miss_share) {
			q[0] ^= 0x40; /* "0".."9" becomes 'p'..'y': never registered */
			q[BENCH_AKID_STRIDE - 2] = Q_MISS;
		} else if (u < b->miss_share + b->register_share) {
			q[BENCH_AKID_STRIDE - 2] = Q_REGISTER;
		}
	}
}

int bench_engine_main(int argc, char **argv)
{
	struct engine_bench b = {.n = 1000000,
				 .duration = 1.0,
				 .rounds = 3,
				 .inflight = 512,
				 .burst = 32,
				 .af_len = 19,
				 .n_af = 1,
				 .arch = AKMA_MB_AUTO};
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	b.workers = ncpu > 1 ? (unsigned)ncpu - 1 : 1;
	const struct bench_opt opts[] = {
		{"contexts", BENCH_OPT_U64, &b.n, 64, 100000000, NULL},
		{"workers", BENCH_OPT_UINT, &b.workers, 1, AKMA_MAX_WORKERS, NULL},
		{"duration", BENCH_OPT_DOUBLE, &b.duration, 0.01, 600, NULL},
		{"rounds", BENCH_OPT_UINT, &b.rounds, 1, 16, NULL},
		{"miss-share", BENCH_OPT_DOUBLE, &b.miss_share, 0, 1, NULL},
		{"register-share", BENCH_OPT_DOUBLE, &b.register_share, 0, 1, NULL},
		{"inflight", BENCH_OPT_UINT, &b.inflight, 1, 4096, NULL},
		{"burst", BENCH_OPT_UINT, &b.burst, 1, 64, NULL},
		{"af-len", BENCH_OPT_UINT, &b.af_len, 6, AKMA_AF_ID_MAX, NULL},
		{"af-ids", BENCH_OPT_UINT, &b.n_af, 1, AF_IDS_MAX, NULL},
		{"mb-arch", BENCH_OPT_CUSTOM, &b.arch, 0, 0, bench_parse_mb_arch},
		{"csv", BENCH_OPT_FLAG, &b.csv, 0, 0, NULL},
		{"no-naive", BENCH_OPT_FLAG, &b.no_naive, 0, 0, NULL},
		{NULL, 0, NULL, 0, 0, NULL},
	};
	int rc = bench_options("engine", usage_text, opts, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	if (b.miss_share + b.register_share > 1) {
		fprintf(stderr,
			"akma-bench engine: --miss-share and --register-share add up above 1\n");
		return 2;
	}
	if (b.workers + 1 > (unsigned)ncpu)
		fprintf(stderr,
			"akma-bench engine: %u workers + the main lcore on %ld CPUs: "
			"they will share cores\n",
			b.workers, ncpu);

	char lcores[32];
	snprintf(lcores, sizeof(lcores), "0-%u", b.workers);
	if (bench_eal_init(lcores, 512) != 0)
		return 1;
	urcu_qsbr_register_thread();
	bench_print_env(stdout, b.csv, (int)rte_lcore_id());
	b.tsc_ns = 1e9 / (double)rte_get_tsc_hz();

	struct akma_engine_params p = {.capacity = (uint32_t)b.n,
				       .kaf_life_ms = 3600 * 1000,
				       .burst = b.burst,
				       .mb_arch = b.arch};
	int err;
	b.e = akma_engine_create(&p, &err);
	if (!b.e) {
		fprintf(stderr, "akma-bench engine: %s\n", akma_strerror(err));
		return 1;
	}
	b.store = akma_engine_store(b.e);
	const char *pfx = b.csv ? "# " : "";
	printf("%sengine     %u worker lcore(s), K_AF by %s, burst %u, %u in flight\n", pfx,
	       akma_engine_workers(b.e), akma_mb_arch_name(akma_engine_mb_arch(b.e)), b.burst,
	       b.inflight);
	bench_make_af_ids(b.af_ids, b.n_af, b.af_len);
	b.akids = malloc(b.n * BENCH_AKID_STRIDE);
	b.queries = malloc((size_t)N_QUERIES * BENCH_AKID_STRIDE);
	if (!b.akids || !b.queries) {
		fprintf(stderr, "akma-bench engine: out of memory\n");
		return 1;
	}
	preload(&b);
	printf("%sworkload   GET_KAF over uniformly random A-KIDs, %.0f%% misses, %.0f%% REGISTER, "
	       "%u AF_ID%s of %u octets%s, %u rounds of %.2f s a row\n",
	       pfx, b.miss_share * 100, b.register_share * 100, b.n_af, b.n_af == 1 ? "" : "s",
	       b.af_len, b.n_af == 1 ? "" : " in turn", b.rounds, b.duration);

	int producer = akma_engine_producer(b.e);
	if (producer < 0 || akma_engine_start(b.e) != 0) {
		fprintf(stderr, "akma-bench engine: cannot start the workers\n");
		return 1;
	}
	static struct engine_result res[16], flat;
	/* The kernel against ipsec-mb in the same engine, whichever auto chose:
	 * the other path runs in every round beside the engine's own. When
	 * that is ipsec-mb, its fastest manager in this engine, each tried for
	 * a short round first (a manager's standalone probe is no guide:
	 * AVX-512's 16 lanes win it and lose here). */
	enum akma_mb_arch own = akma_engine_mb_arch(b.e), other = AKMA_MB_AUTO;
	if (own == AKMA_MB_SHANI) {
		double best = 0, keep = b.duration;
		b.duration = keep < 0.3 ? keep : 0.3;
		urcu_qsbr_thread_offline();
		for (int a = AKMA_MB_SSE; a < AKMA_MB_SHANI; a++) {
			if (akma_engine_set_mb_arch(b.e, (enum akma_mb_arch)a) != 0)
				continue;
			run_engine(&b, (unsigned)producer, &flat);
			if (best == 0 || flat.ns_per_req < best) {
				best = flat.ns_per_req;
				other = (enum akma_mb_arch)a;
			}
		}
		urcu_qsbr_thread_online();
		b.duration = keep;
	} else if (akma_mb_arch_supported(AKMA_MB_SHANI) &&
		   akma_engine_set_mb_arch(b.e, AKMA_MB_SHANI) == 0) {
		other = AKMA_MB_SHANI;
	}
	int compare = other != AKMA_MB_AUTO;
	akma_engine_set_mb_arch(b.e, AKMA_MB_AUTO);
	double eng_ns[16], naive_ns[16], flat_ns[16], other_ns[16], eng_idle[16], other_idle[16];
	uint64_t naive_ok = 0;
	for (unsigned r = 0; r < b.rounds; r++) {
		if (!b.csv && isatty(STDERR_FILENO))
			fprintf(stderr, "\rround %u/%u", r + 1, b.rounds);
		/* The producer reads no context: offline, it holds up no grace period
		 * (an online reader that never passes a quiescent state would keep
		 * replaced contexts from being reclaimed, and REGISTERs would be
		 * refused for room). */
		urcu_qsbr_thread_offline();
		akma_engine_set_pipeline(b.e, 0);
		run_engine(&b, (unsigned)producer, &flat);
		flat_ns[r] = flat.ns_per_req;
		akma_engine_set_pipeline(b.e, AKMA_PIPE_DEPTH_MAX);
		if (compare) {
			akma_engine_set_mb_arch(b.e, other);
			run_engine(&b, (unsigned)producer, &flat);
			other_ns[r] = flat.ns_per_req;
			other_idle[r] = flat.idle_per_req;
			akma_engine_set_mb_arch(b.e, AKMA_MB_AUTO);
		}
		run_engine(&b, (unsigned)producer, &res[r]);
		urcu_qsbr_thread_online();
		eng_ns[r] = res[r].ns_per_req;
		eng_idle[r] = res[r].idle_per_req;
		naive_ns[r] = b.no_naive ? eng_ns[r] : run_naive(&b, &naive_ok);
		urcu_qsbr_quiescent_state();
	}
	if (!b.csv && isatty(STDERR_FILENO))
		fprintf(stderr, "\r%20s\r", "");

	/* The median round of each; latency from the engine's round nearest it. */
	double eng = bench_median(eng_ns, b.rounds), naive = bench_median(naive_ns, b.rounds);
	double flat_med = bench_median(flat_ns, b.rounds);
	unsigned med = 0;
	for (unsigned r = 1; r < b.rounds; r++)
		if (fabs(eng_ns[r] - eng) < fabs(eng_ns[med] - eng))
			med = r;

	bench_table_header(stdout, b.csv, "req");
	struct bench_row naive_row = {"naive: cds_lfht + HMAC()", "-", 1, 1e9 / naive, naive, 1.0};
	struct bench_row eng_row = {"engine: rings+bulk+mb",
				    akma_mb_arch_name(akma_engine_mb_arch(b.e)),
				    b.burst,
				    1e9 / eng,
				    eng,
				    naive / eng};
	struct bench_row flat_row = {"engine: burst pipeline off",
				     akma_mb_arch_name(akma_engine_mb_arch(b.e)),
				     b.burst,
				     1e9 / flat_med,
				     flat_med,
				     naive / flat_med};
	/* The floor of a request at this working set and AF_ID length: a
	 * lookup's two random lines (bench_floor.c) and the K_AF's compressions,
	 * per worker; the engine's rows are per request over all workers. With
	 * one AF_ID the inner blocks' schedules are the four lanes' alike: the
	 * floor is that of the shared schedule (bench.h). */
	struct akma_ctx_stats fs;
	akma_ctx_stats(b.store, &fs);
	unsigned blocks = b.af_len + 3 <= 55 ? 2 : b.af_len + 3 <= 119 ? 3 : 4;
	int shared_floor = b.n_af == 1;
	double lookup_floor = bench_floor_lines_ns((size_t)(fs.arena_used + fs.index_bytes), 2,
						   b.duration),
	       kaf_floor = bench_floor_kaf_ns(blocks, shared_floor, b.duration);
	double floor_ns = (lookup_floor + kaf_floor) / akma_engine_workers(b.e);
	bench_table_row(stdout, b.csv, &naive_row);
	bench_table_row(stdout, b.csv, &flat_row);
	double other_med = compare ? bench_median(other_ns, b.rounds) : 0;
	if (compare) {
		struct bench_row other_row = {other == AKMA_MB_SHANI ? "engine on akmad's sha-ni"
								     : "engine on ipsec-mb's best",
					      akma_mb_arch_name(other),
					      b.burst,
					      1e9 / other_med,
					      other_med,
					      naive / other_med};
		bench_table_row(stdout, b.csv, &other_row);
	}
	bench_table_row(stdout, b.csv, &eng_row);
	if (lookup_floor > 0 && kaf_floor > 0) {
		struct bench_row floor_row = {"limit: 2 lines + K_AF blocks",
					      "-",
					      0,
					      1e9 / floor_ns,
					      floor_ns,
					      naive / floor_ns};
		bench_table_row(stdout, b.csv, &floor_row);
		printf("\n%sthe limit: a lookup's two random lines at %.0f MB (%.1f ns) + %u "
		       "SHA-NI compressions%s (%.1f ns), over %u worker(s); the engine is at "
		       "%.0f%% of it\n",
		       pfx, (double)(fs.arena_used + fs.index_bytes) / 1e6, lookup_floor, blocks,
		       shared_floor ? ", the inner's schedules shared by four lanes" : "",
		       kaf_floor, akma_engine_workers(b.e), 100 * floor_ns / eng);
	}
	if (compare) {
		/* Kernel over ipsec-mb: of the medians, and the spread of the
		 * rounds, each a pair run back to back. */
		int own_is_kernel = own == AKMA_MB_SHANI;
		const double *kernel_ns = own_is_kernel ? eng_ns : other_ns,
			     *imb_ns = own_is_kernel ? other_ns : eng_ns;
		double lo = 0, hi = 0;
		for (unsigned r = 0; r < b.rounds; r++) {
			double x = imb_ns[r] / kernel_ns[r];
			lo = r == 0 || x < lo ? x : lo;
			hi = r == 0 || x > hi ? x : hi;
		}
		printf("%sakmad's sha-ni kernel in the engine: %.2fx the same engine on "
		       "ipsec-mb %s (rounds %.2f-%.2f)\n",
		       pfx, bench_median(imb_ns, b.rounds) / bench_median(kernel_ns, b.rounds),
		       akma_mb_arch_name(own_is_kernel ? other : own), lo, hi);
		printf("%sworker idle polls a request (median round): %.3f on %s, %.3f on %s; "
		       "where many, the producer set part of the row's rate\n",
		       pfx, bench_median(eng_idle, b.rounds), akma_mb_arch_name(own),
		       bench_median(other_idle, b.rounds), akma_mb_arch_name(other));
	}
	const struct latency *l = &res[med].lat;
	if (b.csv)
		printf("# latency_ns,p50,%.0f,p99,%.0f,p99.9,%.0f\n", lat_percentile(l, 0.5),
		       lat_percentile(l, 0.99), lat_percentile(l, 0.999));
	else
		printf("\nengine latency, submission to completion (%u in flight): p50 %.1f us, "
		       "p99 %.1f us, p99.9 %.1f us\n",
		       b.inflight, lat_percentile(l, 0.5) / 1e3, lat_percentile(l, 0.99) / 1e3,
		       lat_percentile(l, 0.999) / 1e3);
	printf("%sengine answers in that round: %llu ok, %llu not found, %llu other (overload, "
	       "store full, bad field)\n",
	       pfx, (unsigned long long)res[med].ok, (unsigned long long)res[med].not_found,
	       (unsigned long long)res[med].other);
	for (unsigned w = 0; w < akma_engine_workers(b.e); w++) {
		struct akma_worker_stats st;
		akma_engine_worker_stats(b.e, w, &st);
		printf("%sworker %u (lcore %u): %llu GET_KAF, %llu hits, %llu misses, %llu "
		       "REGISTER, "
		       "%llu bursts (mean %.1f), idle polls %llu\n",
		       pfx, w, akma_engine_worker_lcore(b.e, w), (unsigned long long)st.get_kaf,
		       (unsigned long long)st.hits, (unsigned long long)st.misses,
		       (unsigned long long)st.registers, (unsigned long long)st.bursts,
		       st.bursts ? (double)(st.get_kaf + st.registers + st.removes) /
					   (double)st.bursts
				 : 0,
		       (unsigned long long)st.idle_polls);
	}
	akma_engine_stop(b.e);
	urcu_qsbr_thread_offline();
	akma_engine_free(b.e);
	free(b.akids);
	free(b.queries);
	return 0;
}
