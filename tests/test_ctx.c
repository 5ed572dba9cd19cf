/* SPDX-License-Identifier: BSD-3-Clause */
/* The context store's semantics, one rule at a time: register, replace on
 * re-register, remove, expiry and the sweep, the full store, A-KID and UE
 * identity limits, byte-exact matching, key wipe after reclamation; then a
 * random workload checked against a plain reference map, at a load that
 * forces cuckoo displacements. */
#include <errno.h>
#include <stdlib.h>
#include <urcu/urcu-qsbr.h>

#include "check.h"
#include "ctx.h"
#include "err.h"
#include "kdf.h"

static uint64_t now = 1700000000000ULL;

static void key_for(unsigned i, unsigned version, uint8_t key[32])
{
	for (unsigned j = 0; j < 32; j++)
		key[j] = (uint8_t)(i * 131 + version * 17 + j * 7 + 1);
}

static int reg(struct akma_ctx_store *s, const char *akid, const char *ueid, const uint8_t *key)
{
	struct akma_ctx_reg r = {(const uint8_t *)akid,
				 (uint16_t)strlen(akid),
				 (const uint8_t *)ueid,
				 (uint16_t)strlen(ueid),
				 1,
				 key,
				 NULL,
				 0,
				 0,
				 NULL,
				 0};
	return akma_ctx_register(s, &r, now);
}

/* Look one A-KID up through the bulk path; returns the result code. */
static int get(struct akma_ctx_store *s, const char *akid, const struct akma_ctx **out)
{
	const uint8_t *k[1] = {(const uint8_t *)akid};
	uint16_t len[1] = {(uint16_t)strlen(akid)};
	const struct akma_ctx *c[1];
	uint8_t res[1];

	akma_ctx_lookup_bulk(s, k, len, NULL, 1, now, c, res, AKMA_CTX_PREFETCH_MS);
	if (out)
		*out = c[0];
	CHECK((res[0] == AKMA_CTX_HIT) == (c[0] != NULL), "pointer only on hits");
	return res[0];
}

static struct akma_ctx_store *make(uint32_t capacity, uint64_t life_ms)
{
	struct akma_ctx_store_params p = {capacity, life_ms};
	int err;
	struct akma_ctx_store *s = akma_ctx_store_create(&p, &err);
	CHECK(s != NULL, "create: %s", akma_strerror(err));
	return s;
}

static void basics(void)
{
	struct akma_ctx_store *s = make(1000, 0);
	const struct akma_ctx *c;
	uint8_t k1[32], k2[32];
	struct akma_hmac_midstate ms;
	struct akma_ctx_stats st;

	key_for(1, 0, k1);
	key_for(1, 1, k2);
	CHECK(reg(s, "0.aaaa@akma.example", "imsi-001010000000001", k1) == 0, "register");
	CHECK(get(s, "0.aaaa@akma.example", &c) == AKMA_CTX_HIT, "hit");
	akma_hmac_midstate(k1, 32, &ms);
	CHECK(c && memcmp(akma_ctx_midstate(c), &ms, sizeof(ms)) == 0,
	      "midstates of K_AKMA stored");
	CHECK(c && ((uintptr_t)akma_ctx_midstate(c) & 63) == 0, "midstates on a line of their own");
	CHECK(c && memcmp(akma_ctx_kakma(c), k1, 32) == 0, "K_AKMA stored");
	CHECK(c && c->ueid_len == 20 && memcmp(akma_ctx_ueid(c), "imsi-001010000000001", 20) == 0,
	      "SUPI stored");
	CHECK(c && akma_ctx_created_ms(c) == now && c->eol_ms == 0, "created now, no end of life");
	CHECK(akma_ctx_lookup_ueid(s, (const uint8_t *)"imsi-001010000000001", 20, now) == c,
	      "lookup by SUPI");
	{ /* the same lookup with the hash computed by the caller */
		const uint8_t *kp[2] = {(const uint8_t *)"0.aaaa@akma.example",
					(const uint8_t *)"0.zzzz@akma.example"};
		uint16_t kl[2] = {19, 19};
		uint64_t hv[2] = {akma_ctx_hash(kp[0], 19), akma_ctx_hash(kp[1], 19)};
		const struct akma_ctx *cp[2];
		uint8_t rs[2];
		CHECK(akma_ctx_lookup_bulk(s, kp, kl, hv, 2, now, cp, rs, 0) == 1 && cp[0] == c &&
			      rs[1] == AKMA_CTX_MISS,
		      "lookup with precomputed hashes");
	}

	/* Byte-exact: case, prefixes, extensions and NULs all differ. */
	CHECK(get(s, "0.AAAA@akma.example", NULL) == AKMA_CTX_MISS, "case matters");
	CHECK(get(s, "0.aaaa@akma.exampl", NULL) == AKMA_CTX_MISS, "prefix misses");
	CHECK(get(s, "0.aaaa@akma.examplee", NULL) == AKMA_CTX_MISS, "extension misses");
	const uint8_t with_nul[] = "0.aaaa@akma.example\0";
	const uint8_t *kp[1] = {with_nul};
	uint16_t kl[1] = {20};
	const struct akma_ctx *cp[1];
	uint8_t rs[1];
	akma_ctx_lookup_bulk(s, kp, kl, NULL, 1, now, cp, rs, 0);
	CHECK(rs[0] == AKMA_CTX_MISS, "trailing NUL misses");

	/* Re-register with a new A-KID: the old one stops resolving. */
	CHECK(reg(s, "0.bbbb@akma.example", "imsi-001010000000001", k2) == 0, "re-register");
	CHECK(get(s, "0.aaaa@akma.example", NULL) == AKMA_CTX_MISS, "old A-KID gone");
	CHECK(get(s, "0.bbbb@akma.example", &c) == AKMA_CTX_HIT && c &&
		      memcmp(akma_ctx_kakma(c), k2, 32) == 0,
	      "new A-KID, new key");
	akma_ctx_stats(s, &st);
	CHECK(st.live == 1 && st.replaced == 1 && st.registered == 2, "one context, replaced once");

	/* Same A-KID again with another key: replaced in place. */
	CHECK(reg(s, "0.bbbb@akma.example", "imsi-001010000000001", k1) == 0, "same A-KID");
	CHECK(get(s, "0.bbbb@akma.example", &c) == AKMA_CTX_HIT && c &&
		      memcmp(akma_ctx_kakma(c), k1, 32) == 0,
	      "same A-KID, latest key");

	/* An A-KID is one subscriber's. */
	CHECK(reg(s, "0.bbbb@akma.example", "imsi-001010000000002", k1) == -AKMA_E_AKID_IN_USE,
	      "A-KID of another SUPI refused");
	CHECK(get(s, "0.bbbb@akma.example", &c) == AKMA_CTX_HIT && c && c->ueid_len == 20 &&
		      memcmp(akma_ctx_ueid(c), "imsi-001010000000001", 20) == 0,
	      "and the owner is untouched");

	/* Remove by SUPI. */
	CHECK(akma_ctx_remove(s, (const uint8_t *)"imsi-001010000000001", 20) == 0, "remove");
	CHECK(get(s, "0.bbbb@akma.example", NULL) == AKMA_CTX_MISS, "removed A-KID misses");
	CHECK(akma_ctx_remove(s, (const uint8_t *)"imsi-001010000000001", 20) == -ENOENT,
	      "second remove: not found");
	CHECK(akma_ctx_remove(s, (const uint8_t *)"", 0) == -AKMA_E_UEID_LEN, "empty SUPI");
	akma_ctx_stats(s, &st);
	CHECK(st.live == 0 && st.removed == 1, "empty again");
	akma_ctx_store_free(s);
}

static void limits(void)
{
	struct akma_ctx_store *s = make(100, 0);
	uint8_t k[32];
	char akid[300], ueid[300];

	key_for(2, 0, k);
	memset(akid, 'a', sizeof(akid));
	akid[253] = '\0';
	CHECK(reg(s, akid, "imsi-001010000000003", k) == 0, "253-octet A-KID");
	CHECK(get(s, akid, NULL) == AKMA_CTX_HIT, "253-octet A-KID found");
	akid[253] = 'a';
	akid[254] = '\0';
	CHECK(reg(s, akid, "imsi-001010000000004", k) == -AKMA_E_AKID_LEN, "254 refused");
	CHECK(reg(s, "", "imsi-001010000000004", k) == -AKMA_E_AKID_LEN, "empty A-KID refused");
	CHECK(reg(s, "x", "", k) == -AKMA_E_UEID_LEN, "empty SUPI refused");
	memset(ueid, 'u', sizeof(ueid));
	ueid[AKMA_UEID_MAX] = '\0';
	CHECK(reg(s, "x", ueid, k) == 0, "longest UE identity");
	ueid[AKMA_UEID_MAX] = 'u';
	ueid[AKMA_UEID_MAX + 1] = '\0';
	CHECK(reg(s, "y", ueid, k) == -AKMA_E_UEID_LEN, "longer refused");
	akma_ctx_store_free(s);

	struct akma_ctx_store_params p = {0, 0};
	int err;
	CHECK(akma_ctx_store_create(&p, &err) == NULL && err == -EINVAL, "capacity 0 refused");
}

static void full_store(void)
{
	enum { CAP = 64 };
	struct akma_ctx_store *s = make(CAP, 0);
	char akid[64], ueid[64];
	uint8_t k[32];

	for (unsigned i = 0; i < CAP; i++) {
		snprintf(akid, sizeof(akid), "%u.full@akma.example", i);
		snprintf(ueid, sizeof(ueid), "imsi-0010100000%05u", i);
		key_for(i, 0, k);
		CHECK(reg(s, akid, ueid, k) == 0, "register %u of %u", i, CAP);
	}
	key_for(999, 0, k);
	CHECK(reg(s, "extra@akma.example", "imsi-001019999999999", k) == -AKMA_E_STORE_FULL,
	      "full store refuses a new subscriber");
	CHECK(get(s, "extra@akma.example", NULL) == AKMA_CTX_MISS, "and stores nothing of it");
	/* Replacing stays possible when full: it needs no new room for long. */
	key_for(7, 1, k);
	CHECK(reg(s, "7.new@akma.example", "imsi-001010000000007", k) == 0, "replace when full");
	for (unsigned i = 0; i < CAP; i++) {
		const struct akma_ctx *c;
		uint8_t want[32];
		snprintf(akid, sizeof(akid), i == 7 ? "7.new@akma.example" : "%u.full@akma.example",
			 i);
		key_for(i, i == 7, want);
		CHECK(get(s, akid, &c) == AKMA_CTX_HIT && c &&
			      memcmp(akma_ctx_kakma(c), want, 32) == 0,
		      "context %u intact after the refusal", i);
	}
	struct akma_ctx_stats st;
	akma_ctx_stats(s, &st);
	CHECK(st.full == 1 && st.live == CAP, "one refusal counted");
	akma_ctx_store_free(s);
}

static void expiry(void)
{
	struct akma_ctx_store *s = make(100, 1000);
	uint8_t k[32];
	const struct akma_ctx *c;
	uint64_t t0 = now;

	key_for(3, 0, k);
	CHECK(reg(s, "exp@akma.example", "imsi-001010000000005", k) == 0, "register");
	CHECK(get(s, "exp@akma.example", &c) == AKMA_CTX_HIT && c && c->eol_ms == t0 + 1000,
	      "end of life = now + lifetime");
	now = t0 + 999;
	CHECK(get(s, "exp@akma.example", NULL) == AKMA_CTX_HIT, "alive 1 ms before");
	now = t0 + 1000;
	CHECK(get(s, "exp@akma.example", &c) == AKMA_CTX_EXPIRED && c == NULL,
	      "expired at once, never returned");
	CHECK(akma_ctx_lookup_ueid(s, (const uint8_t *)"imsi-001010000000005", 20, now) == NULL,
	      "invisible by SUPI too");
	/* An explicit end of life wins over the lifetime. */
	struct akma_ctx_reg r = {(const uint8_t *)"exp2@akma.example",
				 17,
				 (const uint8_t *)"imsi-001010000000006",
				 20,
				 1,
				 k,
				 NULL,
				 t0 + 5000,
				 0,
				 NULL,
				 0};
	CHECK(akma_ctx_register(s, &r, now) == 0, "register with end of life");
	CHECK(akma_ctx_sweep(s, now, 100) == 1, "sweep reclaims the expired one only");
	CHECK(get(s, "exp2@akma.example", NULL) == AKMA_CTX_HIT, "unexpired one stays");
	struct akma_ctx_stats st;
	akma_ctx_stats(s, &st);
	CHECK(st.live == 1 && st.expired_swept == 1, "counted");
	/* The swept SUPI can register again. */
	CHECK(reg(s, "exp3@akma.example", "imsi-001010000000005", k) == 0,
	      "re-register after sweep");
	CHECK(get(s, "exp3@akma.example", NULL) == AKMA_CTX_HIT, "and resolve");
	now = t0;
	akma_ctx_store_free(s);
}

/* Bulk registration: applied in order, each with its own result. */
static void bulk_register(void)
{
	struct akma_ctx_store *s = make(1000, 0);
	struct akma_ctx_reg r[64];
	char akid[64][32], ueid[64][32];
	uint8_t keys[64][32];
	int rc[64];

	for (unsigned i = 0; i < 64; i++) {
		snprintf(akid[i], sizeof(akid[i]), "%u.bulk@akma.example", i);
		/* entries 10 and 11 share a SUPI: 11 replaces 10 */
		snprintf(ueid[i], sizeof(ueid[i]), "imsi-0010100000%05u", i == 11 ? 10 : i);
		key_for(i, 5, keys[i]);
		r[i] = (struct akma_ctx_reg){(const uint8_t *)akid[i],
					     (uint16_t)strlen(akid[i]),
					     (const uint8_t *)ueid[i],
					     (uint16_t)strlen(ueid[i]),
					     1,
					     keys[i],
					     NULL,
					     0,
					     0,
					     NULL,
					     0};
	}
	r[20].akid_len = 0;
	CHECK(akma_ctx_register_bulk(s, r, 64, now, rc) == 63, "63 of 64 registered");
	CHECK(rc[20] == -AKMA_E_AKID_LEN && rc[19] == 0 && rc[21] == 0,
	      "the bad one alone refused");
	CHECK(get(s, "10.bulk@akma.example", NULL) == AKMA_CTX_MISS, "10 replaced by 11, in order");
	const struct akma_ctx *c;
	CHECK(get(s, "11.bulk@akma.example", &c) == AKMA_CTX_HIT && c &&
		      memcmp(akma_ctx_kakma(c), keys[11], 32) == 0,
	      "11 holds its own key");
	CHECK(get(s, "63.bulk@akma.example", NULL) == AKMA_CTX_HIT, "last one stored");
	struct akma_ctx_stats st;
	akma_ctx_stats(s, &st);
	CHECK(st.live == 62 && st.replaced == 1, "62 contexts, one replacement");
	akma_ctx_store_free(s);
}

static int all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static void key_wipe(void)
{
	struct akma_ctx_store *s = make(100, 0);
	uint8_t k[32];
	const struct akma_ctx *c;
	size_t size;

	memset(k, 0xee, sizeof(k));
	CHECK(reg(s, "wipe@akma.example", "imsi-001010000000008", k) == 0, "register");
	CHECK(get(s, "wipe@akma.example", &c) == AKMA_CTX_HIT && c, "hit");
	if (!c) {
		akma_ctx_store_free(s);
		return;
	}
	const uint8_t *raw = akma_ctx_debug_block(s, c, &size);
	size_t kakma_at = (size_t)(akma_ctx_kakma(c) - raw);
	CHECK(memcmp(raw + kakma_at, k, 32) == 0, "key in the block before removal");
	CHECK(akma_ctx_remove(s, (const uint8_t *)"imsi-001010000000008", 20) == 0, "remove");
	CHECK(memcmp(raw + kakma_at, k, 32) == 0, "readers may still see it before a grace period");
	akma_ctx_flush(s);
	urcu_qsbr_thread_offline();
	urcu_qsbr_barrier();
	urcu_qsbr_thread_online();
	CHECK(all_zero(raw + kakma_at, 32), "K_AKMA wiped after the grace period");
	CHECK(all_zero(raw + kakma_at - sizeof(struct akma_hmac_midstate),
		       sizeof(struct akma_hmac_midstate)),
	      "midstates wiped");
	CHECK(all_zero(raw + offsetof(struct akma_ctx, data), 17), "A-KID wiped");
	CHECK(raw[offsetof(struct akma_ctx, state)] == AKMA_CTX_FREE, "block free");
	akma_ctx_store_free(s);
}

/* A random workload against a reference map: SUPI i has version ver[i]
 * (0 = none); its A-KID is "<i>.<ver>@ref". 7000 SUPIs, 30% of operations
 * removals, in a store of 7372 (8192 index slots) keep the index about 65%
 * full, enough for cuckoo moves: the test checks that some happened. */
static void reference_map(void)
{
	enum { N = 7000, CAP = 7372, ROUNDS = 400 };
	struct akma_ctx_store *s = make(CAP, 0);
	static unsigned ver[N], next_ver[N];
	unsigned seed = 12345;
	char akid[64][48], ueid[48];
	const uint8_t *kp[64];
	uint16_t kl[64];
	const struct akma_ctx *cp[64];
	uint8_t res[64];
	unsigned mismatches = 0, lookups = 0, busy = 0;

	for (unsigned round = 0; round < ROUNDS; round++) {
		for (unsigned op = 0; op < 64; op++) {
			unsigned i = (unsigned)rand_r(&seed) % N;
			unsigned what = (unsigned)rand_r(&seed) % 10;
			snprintf(ueid, sizeof(ueid), "imsi-00101%010u", i);
			if (what < 7 || !ver[i]) {
				unsigned v = ++next_ver[i];
				uint8_t k[32];
				key_for(i, v, k);
				snprintf(akid[0], sizeof(akid[0]), "%u.%u@ref", i, v);
				int rc = reg(s, akid[0], ueid, k);
				if (rc == -EBUSY) { /* room awaits a grace period: let it pass */
					busy++;
					akma_ctx_flush(s);
					urcu_qsbr_thread_offline();
					urcu_qsbr_barrier();
					urcu_qsbr_thread_online();
					rc = reg(s, akid[0], ueid, k);
				}
				CHECK(rc == 0, "register %u: %s", i, akma_strerror(rc));
				if (rc == 0)
					ver[i] = v;
			} else {
				CHECK(akma_ctx_remove(s, (const uint8_t *)ueid,
						      (uint16_t)strlen(ueid)) == 0,
				      "remove %u", i);
				ver[i] = 0;
			}
		}
		/* 64 lookups: current A-KIDs, stale ones, never-registered ones. */
		for (unsigned j = 0; j < 64; j++) {
			unsigned i = (unsigned)rand_r(&seed) % N;
			unsigned kind = j % 3;
			unsigned v = kind == 0   ? ver[i]
				     : kind == 1 ? (next_ver[i] > 1 ? next_ver[i] - 1 : 0)
						 : next_ver[i] + 1;
			snprintf(akid[j], sizeof(akid[j]), "%u.%u@ref", i, v);
			kp[j] = (const uint8_t *)akid[j];
			kl[j] = (uint16_t)strlen(akid[j]);
		}
		akma_ctx_lookup_bulk(s, kp, kl, NULL, 64, now, cp, res,
				     round & 1 ? AKMA_CTX_PREFETCH_MS : 0);
		for (unsigned j = 0; j < 64; j++) {
			unsigned i, v;
			sscanf(akid[j], "%u.%u@", &i, &v);
			int want_hit = v != 0 && ver[i] == v;
			lookups++;
			if (want_hit != (res[j] == AKMA_CTX_HIT)) {
				mismatches++;
				continue;
			}
			if (want_hit) {
				uint8_t k[32];
				key_for(i, v, k);
				if (!cp[j] || memcmp(akma_ctx_kakma(cp[j]), k, 32) != 0 ||
				    cp[j]->akid_len != kl[j] ||
				    memcmp(akma_ctx_akid(cp[j]), kp[j], kl[j]))
					mismatches++;
			}
		}
		urcu_qsbr_quiescent_state();
	}
	CHECK(mismatches == 0, "%u of %u bulk lookups disagree with the reference map", mismatches,
	      lookups);
	/* Every live SUPI resolves by SUPI and by its current A-KID. */
	unsigned live = 0, wrong = 0;
	for (unsigned i = 0; i < N; i++) {
		if (!ver[i])
			continue;
		live++;
		snprintf(ueid, sizeof(ueid), "imsi-00101%010u", i);
		snprintf(akid[0], sizeof(akid[0]), "%u.%u@ref", i, ver[i]);
		const struct akma_ctx *c =
			akma_ctx_lookup_ueid(s, (const uint8_t *)ueid, (uint16_t)strlen(ueid), now);
		if (!c || get(s, akid[0], NULL) != AKMA_CTX_HIT || c->akid_len != strlen(akid[0]))
			wrong++;
	}
	struct akma_ctx_stats st;
	akma_ctx_stats(s, &st);
	CHECK(wrong == 0 && st.live == live, "%u of %u live SUPIs wrong; store counts %llu", wrong,
	      live, (unsigned long long)st.live);
	CHECK(st.displaced > 0, "the workload exercised cuckoo displacement (%llu moves)",
	      (unsigned long long)st.displaced);
	printf("reference map: %u lookups, %u live, %llu cuckoo moves, %llu replaced, %u busy\n",
	       lookups, live, (unsigned long long)st.displaced, (unsigned long long)st.replaced,
	       busy);
	akma_ctx_store_free(s);
}

/* SSE4.2's crc32 of a 64-bit word, bit by bit: CRC-32C (reflected
 * polynomial 0x82f63b78), no inversions, the word's octets low first. */
static uint64_t crc32c_word(uint64_t crc, uint64_t w)
{
	uint32_t c = (uint32_t)crc;
	for (int i = 0; i < 8; i++) {
		c ^= (uint8_t)(w >> (8 * i));
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
	}
	return c;
}

/* The hash, octet by octet as it is defined: 8-octet little-endian words,
 * the last zero-filled above the key's end. The word-load tail of
 * akma_ctx_hash() must give the same value at every length and alignment
 * (its callers' precomputed hashes and the store's own must agree). */
static uint64_t hash_by_octets(const uint8_t *key, size_t len)
{
	uint64_t a = 0x243f6a88 ^ len, b = 0x85a308d3;
	for (size_t off = 0; off < len; off += 8) {
		uint64_t w = 0;
		for (size_t i = 0; i < 8 && off + i < len; i++)
			w |= (uint64_t)key[off + i] << (8 * i);
		a = crc32c_word(a, w);
		b = crc32c_word(b, (w >> 24) | (w << 40));
	}
	uint64_t h = a << 32 | b;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static void hash_tail(void)
{
	uint8_t buf[8 + 300 + 8];
	unsigned bad = 0;
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 151 + 89);
	for (size_t len = 0; len <= 300; len++)
		for (size_t at = 0; at < 8; at++)
			bad += akma_ctx_hash(buf + at, len) != hash_by_octets(buf + at, len);
	CHECK(bad == 0, "the hash equals its octet-wise definition at lengths 0..300, 8 offsets");
	/* Only the key's octets count: the neighbours beyond its end do not. */
	uint64_t h = akma_ctx_hash(buf + 3, 13);
	buf[3 + 13] ^= 0xff;
	buf[2] ^= 0xff;
	CHECK(akma_ctx_hash(buf + 3, 13) == h, "octets around the key change nothing");
}

int main(void)
{
	urcu_qsbr_register_thread();
	hash_tail();
	basics();
	limits();
	full_store();
	expiry();
	bulk_register();
	key_wipe();
	reference_map();
	urcu_qsbr_thread_offline();
	urcu_qsbr_unregister_thread();
	return check_done("test_ctx");
}
