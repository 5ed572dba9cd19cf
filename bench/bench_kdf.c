/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akma-bench kdf: K_AF derivations per second on one pinned core, every
 * derivation under a different K_AKMA (drawn from >= 4096 random keys in a
 * shuffled order, as requests arrive in production), every method building
 * S = 0x82 || AF_ID || L0 per request. The baseline is OpenSSL's one-shot
 * HMAC(), the obvious way to write this; every other row is a ratio to it.
 * Before a method is timed its output is checked against OpenSSL, so a fast
 * wrong row cannot appear.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <intel-ipsec-mb.h>

#include "bench.h"
#include "err.h"
#include "kaf_shani.h"
#include "kdf.h"
#include "mb.h"
#include "sha256.h"

static const char usage_text[] =
	"Usage: akma-bench kdf [OPTIONS]\n"
	"\n"
	"K_AF = HMAC-SHA-256(K_AKMA, 0x82 || AF_ID || L0) derivation rate on one\n"
	"pinned core, each derivation under a different K_AKMA. Rows:\n"
	"  openssl HMAC() one-shot     the baseline: OpenSSL 3's HMAC(), key each time\n"
	"  midstate + sha256 x1        cached HMAC midstates, one-lane SHA-256\n"
	"                              (SHA-NI when the CPU has it)\n"
	"  ipsec-mb burst              cached midstates, IMB_SUBMIT_HASH_BURST, for\n"
	"                              each manager and burst size\n"
	"  akmad sha-ni x4 burst       the same burst on akmad's own four-lane SHA-NI\n"
	"                              kernel (engine.mb_arch shani)\n"
	"  limit: N sha-ni blocks xL   the floor: N SHA-256 compressions a K_AF in L\n"
	"                              interleaved SHA-NI chains, nothing else; every\n"
	"                              burst row is then shown as a fraction of the\n"
	"                              fastest of them for its |S|\n"
	"  limit: N shared + 1 x4      the floor when four lanes' S are alike (one\n"
	"                              AF_ID): each inner block's message schedule\n"
	"                              computed once for the four, then the outer\n"
	"                              block; with --af-ids 1 the burst rows are\n"
	"                              shown as a fraction of it too\n"
	"and, per new K_AKMA, the midstate computation: ipsec-mb's\n"
	"IMB_SHA256_ONE_BLOCK twice (baseline) against akmad's SHA-256 code.\n"
	"\n"
	"Options:\n"
	"  --duration SEC   time per row and round (default 0.3)\n"
	"  --rounds N       rounds over all rows (default 3, 1..16); each row shows\n"
	"                   its median round, so noise from other tenants of the\n"
	"                   machine hits every row alike\n"
	"  --af-len N       AF_ID octets, FQDN plus the 5-octet Ua* id (default 19,\n"
	"                   as af.example.com; 6..258). S = N + 3 octets: up to\n"
	"                   N = 52 K_AF costs 2 SHA-256 blocks from the midstates,\n"
	"                   53..116 costs 3\n"
	"  --af-ids N       distinct AF_IDs of that length, a burst's jobs taking\n"
	"                   them in turn (default 1: one AF asking for many UEs,\n"
	"                   every lane's S alike; 2 or more: no two neighbours\n"
	"                   alike; 1..64)\n"
	"  --keys N         distinct K_AKMA keys (default 4096, at least 4096)\n"
	"  --bursts LIST    burst sizes, comma separated (default 8,16,32,64; 1..64)\n"
	"  --arch LIST      K_AF code paths (default every one this CPU runs of\n"
	"                   sse,avx,avx2,avx512, ipsec-mb's managers, and shani)\n"
	"  --core N         pin to CPU N (default the highest CPU allowed)\n"
	"  --csv            CSV rows instead of a table (environment as # lines)\n"
	"  -h, --help       this text\n";

#define AF_IDS_MAX 64

struct kdf_bench {
	double duration;
	unsigned rounds;
	unsigned n_keys;
	unsigned af_len;
	unsigned n_af;
	uint8_t af_ids[AF_IDS_MAX][AKMA_AF_ID_MAX];
	uint8_t (*kakma)[AKMA_KEY_LEN];
	struct akma_hmac_midstate *ms;
	uint32_t *order; /* shuffled key indices */
	int csv;
};

/* The AF_ID of request i: the AF_IDs in turn. */
static inline const uint8_t *af_of(const struct kdf_bench *b, unsigned i)
{
	return b->af_ids[i % b->n_af];
}

/* 4096 derivations between clock reads: the read costs nothing beside them. */
#define CHUNK 4096

static void openssl_kaf(const uint8_t *key, const uint8_t *s, size_t len, uint8_t out[32])
{
	unsigned out_len = 32;

	HMAC(EVP_sha256(), key, AKMA_KEY_LEN, s, len, out, &out_len);
}

static int check_against_openssl(const struct kdf_bench *b, const uint8_t (*got)[AKMA_KEY_LEN],
				 unsigned n, const char *what)
{
	uint8_t s[AKMA_KAF_S_MAX], want[AKMA_KEY_LEN];

	for (unsigned i = 0; i < n; i++) {
		size_t len = akma_kaf_s(af_of(b, i), b->af_len, s);
		openssl_kaf(b->kakma[b->order[i]], s, len, want);
		if (memcmp(want, got[i], AKMA_KEY_LEN) != 0) {
			fprintf(stderr,
				"akma-bench: %s gives a wrong K_AF (request %u): not timed\n", what,
				i);
			return -1;
		}
	}
	return 0;
}

enum method_kind { M_LIMIT, M_OPENSSL, M_SCALAR, M_BURST, M_MIDSTATE_IMB, M_MIDSTATE_AKMA };

/* One row of the table: what to run, and the ns/op of each round. */
struct kdf_method {
	enum method_kind kind;
	const char *name;
	const char *arch;
	unsigned burst; /* M_LIMIT: compressions a K_AF */
	unsigned lanes; /* M_LIMIT: chains interleaved */
	int shared;     /* M_LIMIT: the inner blocks' schedules shared by 4 lanes */
	struct akma_mb *mb;
	IMB_MGR *imb;
	double ns[16];
};

/* Run one method for b->duration seconds; returns ns per operation. */
static double measure(const struct kdf_bench *b, const struct kdf_method *m)
{
	struct akma_kaf_job jobs[AKMA_MB_BURST_MAX];
	uint8_t out[AKMA_MB_BURST_MAX][AKMA_KEY_LEN], s[AKMA_KAF_S_MAX], block[64];
	struct akma_hmac_midstate ms;
	uint64_t n = 0, t0 = akma_mono_ns(), end = t0 + (uint64_t)(b->duration * 1e9), t;
	unsigned k = 0;
	/* OpenSSL and ipsec-mb's one-block hash are slow: smaller chunks keep the
	 * clock reads from overshooting a short duration. */
	unsigned chunk = m->kind == M_OPENSSL        ? CHUNK / 8
			 : m->kind == M_MIDSTATE_IMB ? CHUNK / 4
						     : CHUNK;

	for (unsigned j = 0; j < m->burst && m->kind == M_BURST; j++)
		jobs[j] = (struct akma_kaf_job){NULL, af_of(b, j), (uint16_t)b->af_len, out[j]};
	do {
		switch (m->kind) {
		case M_LIMIT: {
			/* The floor: m->burst SHA-256 compressions a K_AF with SHA-NI,
			 * in m->lanes interleaved chains, nothing else (no padding,
			 * no copies). */
			uint32_t st[4][8];
			for (int l = 0; l < 4; l++)
				memcpy(st[l], b->ms[b->order[l]].inner, sizeof(st[l]));
			bench_floor_kaf_run(st, m->burst, m->lanes, m->shared, chunk);
			n += chunk;
			explicit_bzero(st, sizeof(st));
			break;
		}
		case M_OPENSSL:
			for (unsigned i = 0; i < chunk; i++) {
				size_t len = akma_kaf_s(af_of(b, k), b->af_len, s);
				openssl_kaf(b->kakma[b->order[k]], s, len, out[0]);
				if (++k == b->n_keys)
					k = 0;
			}
			n += chunk;
			break;
		case M_SCALAR:
			for (unsigned i = 0; i < chunk; i++) {
				size_t len = akma_kaf_s(af_of(b, k), b->af_len, s);
				akma_hmac_from_midstate(&b->ms[b->order[k]], s, len, out[0]);
				if (++k == b->n_keys)
					k = 0;
			}
			n += chunk;
			break;
		case M_BURST:
			for (unsigned i = 0; i < chunk; i += m->burst) {
				for (unsigned j = 0; j < m->burst; j++) {
					jobs[j].key = &b->ms[b->order[k]];
					if (++k == b->n_keys)
						k = 0;
				}
				n += akma_mb_kaf_burst(m->mb, jobs, m->burst);
			}
			break;
		case M_MIDSTATE_IMB:
			for (unsigned i = 0; i < chunk; i++) {
				const uint8_t *key = b->kakma[b->order[k]];
				memset(block, 0x36, 64);
				for (int j = 0; j < AKMA_KEY_LEN; j++)
					block[j] ^= key[j];
				IMB_SHA256_ONE_BLOCK(m->imb, block, ms.inner);
				for (int j = 0; j < 64; j++)
					block[j] ^= 0x36 ^ 0x5c;
				IMB_SHA256_ONE_BLOCK(m->imb, block, ms.outer);
				if (++k == b->n_keys)
					k = 0;
			}
			n += chunk;
			break;
		case M_MIDSTATE_AKMA:
			for (unsigned i = 0; i < chunk; i++) {
				akma_hmac_midstate(b->kakma[b->order[k]], AKMA_KEY_LEN, &ms);
				if (++k == b->n_keys)
					k = 0;
			}
			n += chunk;
			break;
		}
		t = akma_mono_ns();
	} while (t < end);
	explicit_bzero(&ms, sizeof(ms));
	explicit_bzero(block, sizeof(block));
	explicit_bzero(out, sizeof(out));
	return n ? (double)(t - t0) / (double)n : 0;
}

static int verify_burst(const struct kdf_bench *b, struct akma_mb *mb, unsigned burst)
{
	struct akma_kaf_job jobs[AKMA_MB_BURST_MAX];
	uint8_t out[AKMA_MB_BURST_MAX][AKMA_KEY_LEN];

	for (unsigned j = 0; j < burst; j++)
		jobs[j] = (struct akma_kaf_job){&b->ms[b->order[j]], af_of(b, j),
						(uint16_t)b->af_len, out[j]};
	if (akma_mb_kaf_burst(mb, jobs, burst) != burst) {
		fprintf(stderr, "akma-bench: ipsec-mb %s refused a burst of %u\n",
			akma_mb_arch_name(akma_mb_arch_of(mb)), burst);
		return -1;
	}
	return check_against_openssl(b, (const uint8_t(*)[AKMA_KEY_LEN])out, burst, "burst path");
}

static int verify_scalar(const struct kdf_bench *b)
{
	uint8_t s[AKMA_KAF_S_MAX], out[64][AKMA_KEY_LEN];

	for (unsigned i = 0; i < 64; i++) {
		size_t len = akma_kaf_s(af_of(b, i), b->af_len, s);
		akma_hmac_from_midstate(&b->ms[b->order[i]], s, len, out[i]);
	}
	return check_against_openssl(b, (const uint8_t(*)[AKMA_KEY_LEN])out, 64, "scalar path");
}

static int parse_list(const char *text, unsigned *vals, unsigned max, unsigned lo, unsigned hi)
{
	unsigned n = 0;
	char *copy = strdup(text), *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long v = strtoul(tok, &end, 10);
		if (*end || v < lo || v > hi || n == max) {
			free(copy);
			return -1;
		}
		vals[n++] = (unsigned)v;
	}
	free(copy);
	return (int)n;
}

struct list {
	unsigned v[16];
	unsigned n;
};

static int parse_bursts(const char *text, void *out)
{
	struct list *l = out;
	int n = parse_list(text, l->v, 16, 1, AKMA_MB_BURST_MAX);
	if (n <= 0)
		return -1;
	l->n = (unsigned)n;
	return 0;
}

struct arch_set {
	int on[AKMA_MB_ARCH_COUNT];
	int given;
};

static int parse_archs(const char *text, void *out)
{
	struct arch_set *a = out;
	char copy[128], *save = NULL;
	snprintf(copy, sizeof(copy), "%s", text);
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		enum akma_mb_arch arch;
		if (akma_mb_arch_parse(tok, &arch) || arch == AKMA_MB_AUTO)
			return -1;
		a->on[arch] = 1;
	}
	a->given = 1;
	return 0;
}

int bench_kdf_main(int argc, char **argv)
{
	struct kdf_bench b = {
		.duration = 0.3, .rounds = 3, .n_keys = 4096, .af_len = 19, .n_af = 1};
	struct list bursts = {{8, 16, 32, 64}, 4};
	struct arch_set archs = {{0}, 0};
	unsigned core_opt = ~0u;
	int core;

	const struct bench_opt opts[] = {
		{"duration", BENCH_OPT_DOUBLE, &b.duration, 0.01, 600, NULL},
		{"rounds", BENCH_OPT_UINT, &b.rounds, 1, 16, NULL},
		{"af-len", BENCH_OPT_UINT, &b.af_len, 6, AKMA_AF_ID_MAX, NULL},
		{"af-ids", BENCH_OPT_UINT, &b.n_af, 1, AF_IDS_MAX, NULL},
		{"keys", BENCH_OPT_UINT, &b.n_keys, 4096, 1u << 24, NULL},
		{"bursts", BENCH_OPT_CUSTOM, &bursts, 0, 0, parse_bursts},
		{"arch", BENCH_OPT_CUSTOM, &archs, 0, 0, parse_archs},
		{"core", BENCH_OPT_UINT, &core_opt, 0, 4095, NULL},
		{"csv", BENCH_OPT_FLAG, &b.csv, 0, 0, NULL},
		{NULL, 0, NULL, 0, 0, NULL},
	};
	int rc = bench_options("kdf", usage_text, opts, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	core = core_opt == ~0u ? -1 : (int)core_opt;
	unsigned n_bursts = bursts.n, *burst_list = bursts.v;
	int *arch_on = archs.on;
	int arch_given = archs.given;
	if (!arch_given)
		for (int a = AKMA_MB_SSE; a < AKMA_MB_ARCH_COUNT; a++)
			arch_on[a] = 1;

	if ((core = bench_pin(core)) < 0)
		return 1;
	bench_print_env(stdout, b.csv, core);

	b.kakma = malloc((size_t)b.n_keys * AKMA_KEY_LEN);
	b.ms = aligned_alloc(64, (size_t)b.n_keys * sizeof(*b.ms));
	b.order = malloc((size_t)b.n_keys * sizeof(*b.order));
	if (!b.kakma || !b.ms || !b.order) {
		fprintf(stderr, "akma-bench kdf: out of memory\n");
		return 1;
	}
	bench_random(b.kakma, (size_t)b.n_keys * AKMA_KEY_LEN);
	for (unsigned i = 0; i < b.n_keys; i++) {
		akma_hmac_midstate(b.kakma[i], AKMA_KEY_LEN, &b.ms[i]);
		b.order[i] = i;
	}
	for (unsigned i = b.n_keys - 1; i > 0; i--) { /* Fisher-Yates */
		uint32_t r;
		bench_random(&r, sizeof(r));
		uint32_t j = r % (i + 1), tmp = b.order[i];
		b.order[i] = b.order[j];
		b.order[j] = tmp;
	}
	if (b.n_af > 26 && b.af_len - AKMA_UA_ID_LEN < 2) {
		fprintf(stderr, "akma-bench kdf: --af-ids above 26 needs --af-len 7 or more\n");
		return 2;
	}
	bench_make_af_ids(b.af_ids, b.n_af, b.af_len);
	const char *pfx = b.csv ? "# " : "";
	printf("%sworkload   %u distinct K_AKMA, %u AF_ID%s of %u octets%s, |S| = %u (%s), %u "
	       "rounds of %.2f s a row\n",
	       pfx, b.n_keys, b.n_af, b.n_af == 1 ? "" : "s", b.af_len,
	       b.n_af == 1 ? " (a burst's lanes alike)" : " in turn (neighbours unlike)",
	       b.af_len + 3,
	       b.af_len + 3 <= 55    ? "2 SHA-256 blocks from the midstates"
	       : b.af_len + 3 <= 119 ? "3 blocks"
				     : "4+ blocks",
	       b.rounds, b.duration);

	/* The rows, in the order printed. */
	struct kdf_method methods[2 + 8 + AKMA_MB_ARCH_COUNT * 16 + 2];
	unsigned n_methods = 0;
	methods[n_methods++] = (struct kdf_method){
		.kind = M_OPENSSL, .name = "openssl HMAC() one-shot", .arch = "-", .burst = 1};
	unsigned n_limits = 0;
	if (akma_kaf_shani_supported()) {
		/* Lanes as deep as pays: the floor is the fastest of them. */
		static const char *const names[2][3] = {
			{"limit: 2 sha-ni blocks x1", "limit: 2 sha-ni blocks x2",
			 "limit: 2 sha-ni blocks x4"},
			{"limit: 3 sha-ni blocks x1", "limit: 3 sha-ni blocks x2",
			 "limit: 3 sha-ni blocks x4"}};
		static const unsigned lanes[3] = {1, 2, 4};
		for (unsigned blocks = 2; blocks <= 3; blocks++)
			for (unsigned l = 0; l < 3; l++)
				methods[n_methods++] =
					(struct kdf_method){.kind = M_LIMIT,
							    .name = names[blocks - 2][l],
							    .arch = "-",
							    .burst = blocks,
							    .lanes = lanes[l]};
		static const char *const shared_names[2] = {"limit: 1 shared + 1 x4",
							    "limit: 2 shared + 1 x4"};
		for (unsigned blocks = 2; blocks <= 3; blocks++)
			methods[n_methods++] = (struct kdf_method){.kind = M_LIMIT,
								   .name = shared_names[blocks - 2],
								   .arch = "-",
								   .burst = blocks,
								   .lanes = 4,
								   .shared = 1};
		n_limits = 8;
	}
	if (verify_scalar(&b) == 0)
		methods[n_methods++] = (struct kdf_method){
			.kind = M_SCALAR,
			.name = akma_sha256_has_shani() ? "midstate + sha-ni x1"
							: "midstate + C sha256 x1",
			.arch = "-",
			.burst = 1};
	for (int a = AKMA_MB_SSE; a < AKMA_MB_ARCH_COUNT; a++) {
		if (!arch_on[a])
			continue;
		int err;
		struct akma_mb *mb = akma_mb_create((enum akma_mb_arch)a, 0, &err);
		if (!mb) {
			printf("%s%s: %s\n", pfx, akma_mb_arch_name((enum akma_mb_arch)a),
			       akma_strerror(err));
			continue;
		}
		for (unsigned i = 0; i < n_bursts; i++)
			if (verify_burst(&b, mb, burst_list[i]) == 0)
				methods[n_methods++] = (struct kdf_method){
					.kind = M_BURST,
					.name = a == AKMA_MB_SHANI ? "akmad sha-ni x4 burst"
								   : "ipsec-mb burst",
					.arch = akma_mb_arch_name((enum akma_mb_arch)a),
					.burst = burst_list[i],
					.mb = mb};
	}
	unsigned first_midstate = n_methods;
	IMB_MGR *imb = alloc_mb_mgr(0);
	if (imb && akma_mb_arch_supported(AKMA_MB_SSE)) {
		init_mb_mgr_sse(imb);
		methods[n_methods++] = (struct kdf_method){.kind = M_MIDSTATE_IMB,
							   .name = "midstates: ipsec-mb 1BLK x2",
							   .arch = "sse",
							   .imb = imb};
	}
	methods[n_methods++] = (struct kdf_method){
		.kind = M_MIDSTATE_AKMA,
		.name = akma_sha256_has_shani() ? "midstates: akma sha-ni" : "midstates: akma C",
		.arch = "-"};

	/* Rounds interleave the rows, so a noisy neighbour hits them all alike;
	 * each row reports its median round. */
	int progress = !b.csv && isatty(STDERR_FILENO);
	for (unsigned r = 0; r < b.rounds; r++) {
		if (progress)
			fprintf(stderr, "\rround %u/%u", r + 1, b.rounds);
		for (unsigned i = 0; i < n_methods; i++)
			methods[i].ns[r] = measure(&b, &methods[i]);
	}
	if (progress)
		fprintf(stderr, "\r%20s\r", "");

	bench_table_header(stdout, b.csv, "kaf");
	double baseline = bench_median(methods[0].ns, b.rounds);
	double midstate_baseline = 0;
	for (unsigned i = 0; i < n_methods; i++) {
		struct kdf_method *m = &methods[i];
		double ns = bench_median(m->ns, b.rounds);
		double ratio = 0;
		if (i < first_midstate) {
			ratio = baseline / ns;
		} else {
			if (i == first_midstate && !b.csv)
				printf("\nper new K_AKMA (ratio: to ipsec-mb's "
				       "IMB_SHA256_ONE_BLOCK)\n");
			if (m->kind == M_MIDSTATE_IMB)
				midstate_baseline = ns;
			else if (midstate_baseline > 0)
				ratio = midstate_baseline / ns;
		}
		struct bench_row row = {m->name, m->arch, m->burst, 1e9 / ns, ns, ratio};
		bench_table_row(stdout, b.csv, &row);
	}
	if (n_limits && !b.csv) {
		/* The floor for this |S|: its inner blocks from the midstate, and
		 * the outer one. */
		unsigned blocks = (unsigned)((b.af_len + 3 + 9 + 63) / 64) + 1;
		double floor_ns = 0;
		unsigned floor_lanes = 0;
		for (unsigned i = 0; i < n_methods; i++) {
			double ns = bench_median(methods[i].ns, b.rounds);
			if (methods[i].kind == M_LIMIT && !methods[i].shared &&
			    methods[i].burst == blocks && (floor_ns == 0 || ns < floor_ns)) {
				floor_ns = ns;
				floor_lanes = methods[i].lanes;
			}
		}
		/* A one-block S alike in every lane has a lower floor of its own. */
		double shared_ns = 0;
		for (unsigned i = 0; i < n_methods && b.n_af == 1; i++)
			if (methods[i].kind == M_LIMIT && methods[i].shared &&
			    methods[i].burst == blocks)
				shared_ns = bench_median(methods[i].ns, b.rounds);
		if (floor_ns > 0) {
			printf("\nfraction of the limit (%u sha-ni blocks a K_AF, best at %u "
			       "lane%s: "
			       "%.1f ns",
			       blocks, floor_lanes, floor_lanes == 1 ? "" : "s", floor_ns);
			if (shared_ns > 0)
				printf("; and of the floor for four lanes' S alike, %u shared + 1: "
				       "%.1f ns",
				       blocks - 1, shared_ns);
			printf(")\n");
			for (unsigned i = 0; i < first_midstate; i++) {
				if (methods[i].kind != M_BURST && methods[i].kind != M_SCALAR)
					continue;
				double ns = bench_median(methods[i].ns, b.rounds);
				printf("  %-28s %-7s %5u %7.0f %%", methods[i].name,
				       methods[i].arch, methods[i].burst, 100 * floor_ns / ns);
				if (shared_ns > 0)
					printf(" %7.0f %%", 100 * shared_ns / ns);
				printf("\n");
			}
		}
	}
	for (unsigned i = 0; i < n_methods; i++)
		if (methods[i].kind == M_BURST &&
		    (i + 1 == n_methods || methods[i + 1].mb != methods[i].mb))
			akma_mb_free(methods[i].mb);
	free_mb_mgr(imb);

	explicit_bzero(b.kakma, (size_t)b.n_keys * AKMA_KEY_LEN);
	explicit_bzero(b.ms, (size_t)b.n_keys * sizeof(*b.ms));
	free(b.kakma);
	free(b.ms);
	free(b.order);
	return 0;
}
