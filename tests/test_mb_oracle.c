/* SPDX-License-Identifier: BSD-3-Clause */
/* The burst path against an independent oracle, OpenSSL's HMAC(): random
 * K_AKMA keys, AF_ID lengths 1..300 octets (above 258 the burst must stop
 * there), every burst size 1..64, on every manager this CPU runs. Every
 * output slot sits between guard bytes that must survive. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <sys/random.h>

#include "check.h"
#include "err.h"
#include "kdf.h"
#include "mb.h"

#define GUARD 16
#define SLOT (GUARD + 32 + GUARD)
#define GUARD_BYTE 0xa5

struct burst_data {
	uint8_t keys[AKMA_MB_BURST_MAX][32];
	struct akma_hmac_midstate ms[AKMA_MB_BURST_MAX];
	uint8_t af_id[AKMA_MB_BURST_MAX][300];
	uint16_t af_len[AKMA_MB_BURST_MAX];
	uint8_t out[AKMA_MB_BURST_MAX * SLOT];
	struct akma_kaf_job jobs[AKMA_MB_BURST_MAX];
};

static void fill_random(void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t got = getrandom(b, n, 0);
		if (got <= 0)
			abort();
		b += got;
		n -= (size_t)got;
	}
}

/* K_AF the independent way: S written out here from TS 33.220 B.2, not by
 * akma_kaf_s(), and hashed by OpenSSL. */
static void oracle(const uint8_t key[32], const uint8_t *af_id, size_t len, uint8_t out[32])
{
	uint8_t s[400];
	unsigned out_len = 32;

	s[0] = 0x82;
	memcpy(s + 1, af_id, len);
	s[1 + len] = (uint8_t)(len / 256);
	s[2 + len] = (uint8_t)(len % 256);
	HMAC(EVP_sha256(), key, 32, s, len + 3, out, &out_len);
}

static void prepare(struct burst_data *d, unsigned n)
{
	fill_random(d->keys, sizeof(d->keys));
	fill_random(d->af_id, sizeof(d->af_id));
	memset(d->out, GUARD_BYTE, sizeof(d->out));
	for (unsigned j = 0; j < n; j++) {
		akma_hmac_midstate(d->keys[j], 32, &d->ms[j]);
		d->jobs[j] = (struct akma_kaf_job){&d->ms[j], d->af_id[j], d->af_len[j],
						   d->out + j * SLOT + GUARD};
	}
}

static int guards_intact(const struct burst_data *d, unsigned slot, int output_too)
{
	const uint8_t *p = d->out + slot * SLOT;
	for (unsigned i = 0; i < SLOT; i++) {
		int in_output = i >= GUARD && i < GUARD + 32;
		if ((!in_output || output_too) && p[i] != GUARD_BYTE)
			return 0;
	}
	return 1;
}

/* After a burst that derived its first done jobs: slots 0..slots-1 keep
 * their guards, the first done hold the oracle's K_AF of their key and
 * AF_ID, and the rest are untouched. what names the burst in a failure. */
static void check_outputs(const struct burst_data *d, unsigned slots, unsigned done,
			  const char *what)
{
	uint8_t want[32];

	for (unsigned j = 0; j < slots; j++) {
		CHECK(guards_intact(d, j, j >= done), "%s slot %u guard", what, j);
		if (j < done) {
			oracle(d->keys[j], d->jobs[j].af_id, d->af_len[j], want);
			CHECK(memcmp(d->jobs[j].kaf, want, 32) == 0, "%s slot %u AF_ID %u octets",
			      what, j, d->af_len[j]);
		}
	}
}

static void check_arch(enum akma_mb_arch arch, struct burst_data *d)
{
	int err;
	struct akma_mb *mb = akma_mb_create(arch, 0, &err);
	const char *name = akma_mb_arch_name(arch);
	uint8_t want[32];
	char what[64];

	if (!mb) {
		printf("mb_arch %s: %s: skipped\n", name, akma_strerror(err));
		return;
	}
	/* Every burst size, AF_ID lengths spread over 1..258. */
	for (unsigned n = 1; n <= AKMA_MB_BURST_MAX; n++) {
		for (unsigned j = 0; j < n; j++)
			d->af_len[j] = (uint16_t)(1 + (n * 7 + j * 13) % AKMA_AF_ID_MAX);
		prepare(d, n);
		snprintf(what, sizeof(what), "%s burst %u", name, n);
		CHECK_EQ_INT(akma_mb_kaf_burst(mb, d->jobs, n), n, "%s", what);
		check_outputs(d, AKMA_MB_BURST_MAX, n, what);
	}
	/* AF_IDs shared across lanes, as when one AF asks for many UEs (a
	 * kernel may then share work between lanes): every burst size, lengths
	 * 1..60 (over one block from 53), and in each burst either every job
	 * on one AF_ID buffer, or copies of it with one job in four unlike the
	 * rest: in its last octet, its first, or its length (a prefix). */
	for (unsigned n = 1; n <= AKMA_MB_BURST_MAX; n++) {
		for (unsigned pattern = 0; pattern < 4; pattern++) {
			unsigned len = 1 + (n * 5 + pattern * 17) % 60, odd = (n + pattern) % 4;
			for (unsigned j = 0; j < n; j++)
				d->af_len[j] = (uint16_t)len;
			prepare(d, n);
			for (unsigned j = 0; j < n; j++) {
				if (pattern == 0) {
					d->jobs[j].af_id = d->af_id[0];
					continue;
				}
				memcpy(d->af_id[j], d->af_id[0], len);
				if (j % 4 != odd)
					continue;
				if (pattern == 1)
					d->af_id[j][len - 1] ^= 0x01;
				else if (pattern == 2)
					d->af_id[j][0] ^= 0x80;
				else if (len > 1)
					d->jobs[j].af_id_len = d->af_len[j] = (uint16_t)(len - 1);
			}
			snprintf(what, sizeof(what), "%s shared burst %u pattern %u", name, n,
				 pattern);
			CHECK_EQ_INT(akma_mb_kaf_burst(mb, d->jobs, n), n, "%s", what);
			check_outputs(d, AKMA_MB_BURST_MAX, n, what);
		}
	}
	/* Every AF_ID length 1..300 once, in bursts of 16 on consecutive lengths:
	 * lengths above 258 stop the burst at the first of them. */
	for (unsigned first = 1; first <= 300; first += 16) {
		unsigned n = 16, expect = 0;
		for (unsigned j = 0; j < n; j++) {
			d->af_len[j] = (uint16_t)(first + j);
			if (d->af_len[j] <= AKMA_AF_ID_MAX && expect == j)
				expect = j + 1;
		}
		prepare(d, n);
		snprintf(what, sizeof(what), "%s lengths %u..%u", name, first, first + n - 1);
		CHECK_EQ_INT(akma_mb_kaf_burst(mb, d->jobs, n), expect, "%s", what);
		check_outputs(d, n, expect, what);
	}
	/* A zero-length AF_ID is refused, not hashed. */
	d->af_len[0] = 0;
	prepare(d, 1);
	CHECK_EQ_INT(akma_mb_kaf_burst(mb, d->jobs, 1), 0, "%s empty AF_ID", name);
	CHECK(guards_intact(d, 0, 1), "%s empty AF_ID left output untouched", name);

	/* The generic HMAC burst: messages of 1..1000 octets; empty refused. */
	static uint8_t msg[1000];
	struct akma_hmac_job hj[AKMA_MB_BURST_MAX];
	uint8_t macs[AKMA_MB_BURST_MAX][32];
	fill_random(msg, sizeof(msg));
	prepare(d, AKMA_MB_BURST_MAX); /* fresh keys and midstates */
	for (unsigned first = 1; first <= 1000; first += AKMA_MB_BURST_MAX * 3) {
		unsigned n = 0;
		for (; n < AKMA_MB_BURST_MAX && first + n * 3 <= 1000; n++)
			hj[n] = (struct akma_hmac_job){&d->ms[n], msg, first + n * 3, macs[n]};
		CHECK_EQ_INT(akma_mb_hmac_burst(mb, hj, n), n, "%s hmac burst", name);
		for (unsigned j = 0; j < n; j++) {
			unsigned out_len = 32;
			HMAC(EVP_sha256(), d->keys[j], 32, msg, hj[j].len, want, &out_len);
			CHECK(memcmp(macs[j], want, 32) == 0, "%s hmac of %u octets", name,
			      hj[j].len);
		}
	}
	hj[1].len = 0;
	CHECK_EQ_INT(akma_mb_hmac_burst(mb, hj, 3), 0, "%s empty message refused", name);
	CHECK(memcmp(macs[0], "\0\0\0\0\0\0\0\0", 8) == 0, "%s refused burst wiped", name);
	printf("mb_arch %s: tested\n", name);
	akma_mb_free(mb);
}

int main(void)
{
	static struct burst_data d;
	enum akma_mb_arch arch;

	for (int a = AKMA_MB_SSE; a < AKMA_MB_ARCH_COUNT; a++)
		check_arch((enum akma_mb_arch)a, &d);

	/* Manager choice: names parse both ways, AUTO resolves to a real one. */
	CHECK(akma_mb_arch_parse("avx2", &arch) == 0 && arch == AKMA_MB_AVX2, "parse avx2");
	CHECK(akma_mb_arch_parse("AVX2", &arch) == -AKMA_E_MB_ARCH, "names are lower case");
	CHECK(akma_mb_arch_parse("neon", &arch) == -AKMA_E_MB_ARCH, "unknown manager");
	int err;
	struct akma_mb *mb = akma_mb_create(AKMA_MB_AUTO, 16, &err);
	CHECK(mb != NULL, "auto: %s", akma_strerror(err));
	if (mb) {
		CHECK(akma_mb_arch_of(mb) != AKMA_MB_AUTO, "auto picked a real manager");
		printf("auto picked %s\n", akma_mb_arch_name(akma_mb_arch_of(mb)));
		akma_mb_free(mb);
	}
	for (int a = AKMA_MB_SSE; a < AKMA_MB_ARCH_COUNT; a++) {
		if (akma_mb_arch_supported((enum akma_mb_arch)a))
			continue;
		mb = akma_mb_create((enum akma_mb_arch)a, 0, &err);
		CHECK(mb == NULL && err == -AKMA_E_MB_ARCH, "unsupported %s refused",
		      akma_mb_arch_name((enum akma_mb_arch)a));
	}
	return check_done("test_mb_oracle");
}
