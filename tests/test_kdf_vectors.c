/* SPDX-License-Identifier: BSD-3-Clause */
/* The known answers of tests/vectors/akma.txt through the single path
 * (kdf.h), the single-request burst path (akma_mb_kaf_one) and the burst path
 * (all K_AF vectors in one burst, K_AKMA and A-TID via akma_mb_hmac_burst),
 * on every ipsec-mb manager this CPU runs. Each "bug" record is first shown
 * to be what its bug produces (with OpenSSL), then shown never to come out of
 * the real derivation. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>

#include "check.h"
#include "err.h"
#include "hex.h"
#include "kdf.h"
#include "mb.h"

#define MAX_KAF 64

struct kaf_vec {
	uint8_t kakma[32];
	struct akma_af_id af;
	uint8_t want[32];
	int line;
};

static struct akma_mb *mbs[AKMA_MB_ARCH_COUNT];
static struct kaf_vec kafs[MAX_KAF];
static unsigned n_kaf;

static void unhex(const char *text, uint8_t *out, size_t n, int line)
{
	int rc = akma_hex_decode(text, strlen(text), out, n, -AKMA_E_KEY_LENGTH);
	CHECK(rc == 0, "line %d: bad hex in the vector file: %s", line, text);
}

static void hexcmp(const uint8_t *got, const char *want_hex, int line, const char *what)
{
	char got_hex[2 * 300 + 1];
	akma_hex_encode(got, strlen(want_hex) / 2, got_hex);
	CHECK(strcmp(got_hex, want_hex) == 0, "line %d %s: got %s want %s", line, what, got_hex,
	      want_hex);
}

/* K_AKMA or A-TID through ipsec-mb: midstates of K_AUSF, S laid out here. */
static void burst_from_kausf(struct akma_mb *mb, const uint8_t kausf[32], uint8_t fc,
			     const char *label, const struct akma_supi *supi, uint8_t out[32])
{
	uint8_t s[300];
	struct akma_hmac_midstate ms;
	struct akma_kdf_param p[2] = {{(const uint8_t *)label, strlen(label)},
				      {(const uint8_t *)supi->value, supi->len}};
	int len = akma_kdf_s(fc, p, 2, s, sizeof(s));
	akma_hmac_midstate(kausf, 32, &ms);
	struct akma_hmac_job job = {&ms, s, (uint32_t)len, out};
	CHECK(len > 0 && akma_mb_hmac_burst(mb, &job, 1) == 1, "hmac burst");
}

static void check_from_kausf(const char *kind, char **f, int line)
{
	uint8_t kausf[32], got[32];
	struct akma_supi supi;
	int is_kakma = strcmp(kind, "kakma") == 0;

	unhex(f[1], kausf, 32, line);
	CHECK(akma_supi_parse(f[2], strlen(f[2]), &supi) == 0, "line %d: SUPI %s", line, f[2]);
	if (is_kakma)
		akma_derive_kakma(kausf, &supi, got);
	else
		akma_derive_atid(kausf, &supi, got);
	hexcmp(got, f[3], line, is_kakma ? "K_AKMA single" : "A-TID single");
	for (int a = 1; a < AKMA_MB_ARCH_COUNT; a++) {
		if (!mbs[a])
			continue;
		burst_from_kausf(mbs[a], kausf, is_kakma ? AKMA_FC_KAKMA : AKMA_FC_ATID,
				 is_kakma ? "AKMA" : "A-TID", &supi, got);
		hexcmp(got, f[3], line, is_kakma ? "K_AKMA burst" : "A-TID burst");
	}
}

static void check_kaf_single(char **f, int line)
{
	struct kaf_vec *v = &kafs[n_kaf];
	uint8_t ua[5], got[32], octets[AKMA_AF_ID_MAX];
	struct akma_hmac_midstate ms;

	CHECK(n_kaf < MAX_KAF, "too many kaf vectors");
	unhex(f[1], v->kakma, 32, line);
	CHECK(akma_hex_decode(f[3], strlen(f[3]), ua, 5, -AKMA_E_UA_ID_LEN) == 0, "ua");
	CHECK(akma_af_id_set(&v->af, f[2], strlen(f[2]), ua) == 0, "line %d: FQDN", line);
	unhex(f[4], v->want, 32, line);
	v->line = line;
	n_kaf++;

	akma_derive_kaf(v->kakma, &v->af, got);
	hexcmp(got, f[4], line, "K_AF single (scalar)");
	akma_hmac_midstate(v->kakma, 32, &ms);
	size_t n = akma_af_id_octets(&v->af, octets);
	for (int a = 1; a < AKMA_MB_ARCH_COUNT; a++) {
		if (!mbs[a])
			continue;
		CHECK(akma_mb_kaf_one(mbs[a], &ms, octets, (uint16_t)n, got) == 0, "kaf_one");
		hexcmp(got, f[4], line, "K_AF single (ipsec-mb)");
	}
}

/* Every K_AF vector in one burst, repeated to fill bursts of several sizes. */
static void check_kaf_bursts(void)
{
	struct akma_hmac_midstate ms[MAX_KAF];
	uint8_t octets[MAX_KAF][AKMA_AF_ID_MAX], out[AKMA_MB_BURST_MAX][32];
	struct akma_kaf_job jobs[AKMA_MB_BURST_MAX];

	for (unsigned i = 0; i < n_kaf; i++)
		akma_hmac_midstate(kafs[i].kakma, 32, &ms[i]);
	for (int a = 1; a < AKMA_MB_ARCH_COUNT; a++) {
		if (!mbs[a])
			continue;
		for (unsigned burst = 1; burst <= AKMA_MB_BURST_MAX; burst *= 2) {
			for (unsigned j = 0; j < burst; j++) {
				unsigned v = (j * 5 + burst) % n_kaf;
				jobs[j] = (struct akma_kaf_job){
					&ms[v], octets[v],
					(uint16_t)akma_af_id_octets(&kafs[v].af, octets[v]),
					out[j]};
			}
			CHECK_EQ_INT(akma_mb_kaf_burst(mbs[a], jobs, burst), burst, "%s burst %u",
				     akma_mb_arch_name((enum akma_mb_arch)a), burst);
			for (unsigned j = 0; j < burst; j++) {
				unsigned v = (j * 5 + burst) % n_kaf;
				CHECK(memcmp(out[j], kafs[v].want, 32) == 0,
				      "%s burst %u slot %u: vector of line %d",
				      akma_mb_arch_name((enum akma_mb_arch)a), burst, j,
				      kafs[v].line);
			}
		}
	}
}

static void check_bug(char **f, char **of, int line)
{
	uint8_t key[32], s[300], bug[32], oracle[32], got[32];
	unsigned len = 32;
	size_t s_len = strlen(f[3]) / 2;

	unhex(f[2], key, 32, line);
	CHECK(akma_hex_decode(f[3], strlen(f[3]), s, s_len, -AKMA_E_KDF_PARAM) == 0, "S hex");
	unhex(f[4], bug, 32, line);
	HMAC(EVP_sha256(), key, 32, s, s_len, oracle, &len);
	CHECK(memcmp(oracle, bug, 32) == 0, "line %d: bug %s does not produce its value", line,
	      f[1]);

	if (strcmp(of[1], "kakma") == 0) {
		struct akma_supi supi;
		uint8_t kausf[32];
		unhex(of[2], kausf, 32, line);
		CHECK(akma_supi_parse(of[3], strlen(of[3]), &supi) == 0, "SUPI");
		akma_derive_kakma(kausf, &supi, got);
		CHECK(memcmp(got, bug, 32) != 0, "line %d: K_AKMA shows bug %s", line, f[1]);
		for (int a = 1; a < AKMA_MB_ARCH_COUNT; a++) {
			if (!mbs[a])
				continue;
			burst_from_kausf(mbs[a], kausf, AKMA_FC_KAKMA, "AKMA", &supi, got);
			CHECK(memcmp(got, bug, 32) != 0, "line %d: burst K_AKMA shows %s", line,
			      f[1]);
		}
	} else {
		struct akma_af_id af;
		struct akma_hmac_midstate ms;
		uint8_t kakma[32], ua[5], octets[AKMA_AF_ID_MAX];
		unhex(of[2], kakma, 32, line);
		CHECK(akma_hex_decode(of[4], strlen(of[4]), ua, 5, -AKMA_E_UA_ID_LEN) == 0, "ua");
		CHECK(akma_af_id_set(&af, of[3], strlen(of[3]), ua) == 0, "FQDN");
		akma_derive_kaf(kakma, &af, got);
		CHECK(memcmp(got, bug, 32) != 0, "line %d: K_AF shows bug %s", line, f[1]);
		akma_hmac_midstate(kakma, 32, &ms);
		size_t n = akma_af_id_octets(&af, octets);
		for (int a = 1; a < AKMA_MB_ARCH_COUNT; a++) {
			if (!mbs[a])
				continue;
			CHECK(akma_mb_kaf_one(mbs[a], &ms, octets, (uint16_t)n, got) == 0, "kaf");
			CHECK(memcmp(got, bug, 32) != 0, "line %d: burst K_AF shows %s", line,
			      f[1]);
		}
	}
}

static int split(char *line, char **f, int max)
{
	int n = 0;
	for (char *save = NULL, *tok = strtok_r(line, " \t\n", &save); tok && n < max;
	     tok = strtok_r(NULL, " \t\n", &save))
		f[n++] = tok;
	return n;
}

int main(int argc, char **argv)
{
	char line[1024], bug_line[1024];
	char *f[8], *bf[8];
	int lineno = 0, bug_lineno = 0, n_bug = 0, n_vec = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: test_kdf_vectors tests/vectors/akma.txt\n");
		return 2;
	}
	FILE *in = fopen(argv[1], "r");
	if (!in) {
		perror(argv[1]);
		return 2;
	}
	for (int a = 1; a < AKMA_MB_ARCH_COUNT; a++) {
		int err;
		mbs[a] = akma_mb_create((enum akma_mb_arch)a, 0, &err);
		printf("ipsec-mb %s: %s\n", akma_mb_arch_name((enum akma_mb_arch)a),
		       mbs[a] ? "tested" : akma_strerror(err));
	}
	CHECK(mbs[AKMA_MB_SSE] != NULL, "the sse manager must run on any x86-64 with AES-NI");

	while (fgets(line, sizeof(line), in)) {
		lineno++;
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char raw[1024];
		memcpy(raw, line, sizeof(raw));
		int n = split(line, f, 8);
		if (n == 0)
			continue;
		n_vec++;
		if (strcmp(f[0], "s_kakma") == 0 && n == 3) {
			struct akma_supi supi;
			uint8_t s[300];
			CHECK(akma_supi_parse(f[1], strlen(f[1]), &supi) == 0, "SUPI");
			struct akma_kdf_param p[2] = {{(const uint8_t *)"AKMA", 4},
						      {(const uint8_t *)supi.value, supi.len}};
			int len = akma_kdf_s(AKMA_FC_KAKMA, p, 2, s, sizeof(s));
			CHECK_EQ_INT(len, strlen(f[2]) / 2, "line %d: |S|", lineno);
			if (len > 0)
				hexcmp(s, f[2], lineno, "S of K_AKMA");
		} else if ((strcmp(f[0], "kakma") == 0 || strcmp(f[0], "atid") == 0) && n == 4) {
			check_from_kausf(f[0], f, lineno);
		} else if (strcmp(f[0], "kaf") == 0 && n == 5) {
			check_kaf_single(f, lineno);
		} else if (strcmp(f[0], "bug") == 0 && n == 5) {
			memcpy(bug_line, raw, sizeof(bug_line));
			split(bug_line, bf, 8); /* a copy, so bf outlives line */
			bug_lineno = lineno;
		} else if (strcmp(f[0], "bugof") == 0 && bug_lineno) {
			check_bug(bf, f, bug_lineno);
			bug_lineno = 0;
			n_bug++;
		} else {
			CHECK(0, "line %d of %s: unknown or malformed record '%s'", lineno, argv[1],
			      f[0]);
		}
	}
	fclose(in);
	check_kaf_bursts();
	CHECK(n_bug == 3, "the three must-not-match outputs were checked (%d)", n_bug);
	CHECK(n_kaf >= 5, "K_AF vectors read (%u)", n_kaf);
	printf("%d records, %u K_AF vectors, %d bug vectors\n", n_vec, n_kaf, n_bug);
	for (int a = 1; a < AKMA_MB_ARCH_COUNT; a++)
		akma_mb_free(mbs[a]);
	return check_done("test_kdf_vectors");
}
