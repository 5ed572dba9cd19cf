/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The store under concurrency: a reader thread doing bulk lookups while a
 * writer thread registers, replaces (new A-KID, or same A-KID with a new
 * key) and removes, for AKMA_STRESS_SECONDS (default 10). Every answer is
 * checked:
 *   - its A-KID is the one asked for, its UE identity the SUPI the A-KID was
 *     made for, its K_AKMA one the writer registered for that A-KID, and its
 *     midstates those of that K_AKMA (nothing torn, nothing reused);
 *   - it was live at some moment during the lookup: the writer stamps a
 *     version's death with the operation count once the operation is done,
 *     and a context whose death the reader could already see before it began
 *     must not be returned;
 *   - contexts of a stable set, never written after the start, never miss
 *     (a key moving between its cuckoo buckets must stay findable).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <urcu/urcu-qsbr.h>

#include "check.h"
#include "ctx.h"
#include "err.h"
#include "kdf.h"

enum { CHURN = 20000, STABLE = 5000, RING = 16, CAPACITY = 40000 };

struct version_slot {
	_Atomic uint32_t version;
	_Atomic uint64_t died; /* op count when its death was done, 0 = alive */
};

static struct akma_ctx_store *store;
static _Atomic uint64_t ops;
static _Atomic int stop;
static _Atomic uint32_t current[CHURN]; /* current version, 0 = none */
static struct version_slot ring[CHURN][RING];
static const uint64_t now = 1000;

/* The key of SUPI i, version v, rekey w: its octets carry i, v and w. */
static void key_for(uint32_t i, uint32_t v, uint32_t w, uint8_t k[32])
{
	memset(k, 0, 32);
	memcpy(k, &i, 4);
	memcpy(k + 4, &v, 4);
	memcpy(k + 8, &w, 4);
	for (int j = 12; j < 32; j++)
		k[j] = (uint8_t)(i * 7 + v * 13 + w * 29 + j);
}

static int akid_for(uint32_t i, uint32_t v, char *buf)
{
	/* Long enough (~90 octets) to span two lines of a context, as real A-KIDs do. */
	return snprintf(buf, 128,
			"%u.%u.stress-a-kid-padding-to-the-usual-length@akma.5gc.mnc001.mcc001."
			"3gppnetwork.org",
			i, v);
}

static int ueid_for(uint32_t i, char *buf)
{
	return snprintf(buf, 32, "imsi-00101%010u", i);
}

static uint64_t seconds_from_env(void)
{
	const char *e = getenv("AKMA_STRESS_SECONDS");
	long v = e ? strtol(e, NULL, 10) : 10;
	return (uint64_t)(v < 1 ? 1 : v > 60 ? 60 : v);
}

static void *writer(void *arg)
{
	unsigned seed = 7;
	uint32_t rekey[CHURN] = {0};
	uint64_t *n_ops = arg;

	urcu_qsbr_register_thread();
	while (!atomic_load(&stop)) {
		uint32_t i = (uint32_t)rand_r(&seed) % CHURN;
		uint32_t v = atomic_load(&current[i]);
		unsigned what = (unsigned)rand_r(&seed) % 10;
		char akid[128], ueid[32];
		uint8_t k[32];
		int ul = ueid_for(i, ueid), rc;

		if (v && what < 2) { /* remove */
			rc = akma_ctx_remove(store, (const uint8_t *)ueid, (uint16_t)ul);
			if (rc == 0) {
				atomic_store(&current[i], 0);
				atomic_store(&ring[i][v % RING].died, atomic_load(&ops) + 1);
			}
		} else if (v && what < 3) { /* same A-KID, new key */
			key_for(i, v, ++rekey[i], k);
			struct akma_ctx_reg r = {(const uint8_t *)akid,
						 (uint16_t)akid_for(i, v, akid),
						 (const uint8_t *)ueid,
						 (uint16_t)ul,
						 1,
						 k,
						 NULL,
						 0,
						 0,
						 NULL,
						 0};
			rc = akma_ctx_register(store, &r, now);
		} else { /* a new version: new A-KID replaces the old one */
			uint32_t nv = v + 1;
			rekey[i] = 0;
			key_for(i, nv, 0, k);
			struct akma_ctx_reg r = {(const uint8_t *)akid,
						 (uint16_t)akid_for(i, nv, akid),
						 (const uint8_t *)ueid,
						 (uint16_t)ul,
						 1,
						 k,
						 NULL,
						 0,
						 0,
						 NULL,
						 0};
			atomic_store(&ring[i][nv % RING].died, 0);
			atomic_store(&ring[i][nv % RING].version, nv);
			rc = akma_ctx_register(store, &r, now);
			if (rc == 0) {
				atomic_store(&current[i], nv);
				if (v)
					atomic_store(&ring[i][v % RING].died,
						     atomic_load(&ops) + 1);
			}
		}
		if (rc == -EBUSY) { /* room awaits a grace period */
			akma_ctx_flush(store);
			urcu_qsbr_quiescent_state();
			continue;
		}
		if (rc != 0) {
			fprintf(stderr, "writer: unexpected %s\n", akma_strerror(rc));
			atomic_store(&stop, 1);
			break;
		}
		atomic_fetch_add(&ops, 1);
		(*n_ops)++;
		urcu_qsbr_quiescent_state();
	}
	akma_ctx_flush(store);
	urcu_qsbr_unregister_thread();
	return NULL;
}

struct reader_stats {
	uint64_t lookups, hits, checked, wrong_content, stale, stable_missed;
};

static void *reader(void *arg)
{
	struct reader_stats *st = arg;
	unsigned seed = 11;
	char akid[64][128];
	const uint8_t *kp[64];
	uint16_t kl[64];
	uint32_t who[64], ver[64];
	const struct akma_ctx *found[64];
	uint8_t res[64];

	urcu_qsbr_register_thread();
	while (!atomic_load(&stop)) {
		for (unsigned j = 0; j < 64; j++) {
			uint32_t i, v;
			if (j % 4 == 0) { /* a stable subscriber: version 1 forever */
				i = CHURN + (uint32_t)rand_r(&seed) % STABLE;
				v = 1;
			} else {
				i = (uint32_t)rand_r(&seed) % CHURN;
				uint32_t cur = atomic_load(&current[i]);
				v = cur + (uint32_t)(rand_r(&seed) % 3) -
				    1; /* previous, current, next */
			}
			who[j] = i;
			ver[j] = v;
			kl[j] = (uint16_t)akid_for(i, v, akid[j]);
			kp[j] = (const uint8_t *)akid[j];
		}
		uint64_t before = atomic_load(&ops);
		akma_ctx_lookup_bulk(store, kp, kl, NULL, 64, now, found, res,
				     st->lookups & 64 ? AKMA_CTX_PREFETCH_MS : 0);
		for (unsigned j = 0; j < 64; j++) {
			uint32_t i = who[j], v = ver[j];
			st->lookups++;
			if (i >= CHURN && res[j] != AKMA_CTX_HIT) {
				st->stable_missed++;
				continue;
			}
			if (res[j] != AKMA_CTX_HIT)
				continue;
			st->hits++;
			const struct akma_ctx *c = found[j];
			char ueid[32];
			int ul = ueid_for(i, ueid);
			const uint8_t *k = akma_ctx_kakma(c);
			uint32_t ki, kv, kw;
			memcpy(&ki, k, 4);
			memcpy(&kv, k + 4, 4);
			memcpy(&kw, k + 8, 4);
			uint8_t want[32];
			struct akma_hmac_midstate ms;
			key_for(i, v, kw, want);
			akma_hmac_midstate(k, 32, &ms);
			if (c->akid_len != kl[j] || memcmp(akma_ctx_akid(c), kp[j], kl[j]) != 0 ||
			    c->ueid_len != ul || memcmp(akma_ctx_ueid(c), ueid, (size_t)ul) != 0 ||
			    ki != i || kv != v || memcmp(k, want, 32) != 0 ||
			    memcmp(&ms, akma_ctx_midstate(c), sizeof(ms)) != 0) {
				st->wrong_content++;
				continue;
			}
			if (i < CHURN) {
				struct version_slot *slot = &ring[i][v % RING];
				uint64_t died = atomic_load(&slot->died);
				if (atomic_load(&slot->version) == v) {
					st->checked++;
					if (died && died <= before)
						st->stale++;
				}
			}
		}
		urcu_qsbr_quiescent_state();
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

int main(void)
{
	struct akma_ctx_store_params p = {CAPACITY, 0};
	int err;
	uint64_t seconds = seconds_from_env(), n_ops = 0;
	struct reader_stats rs = {0};
	pthread_t w, r;

	urcu_qsbr_register_thread();
	store = akma_ctx_store_create(&p, &err);
	CHECK(store != NULL, "create: %s", akma_strerror(err));
	if (!store)
		return check_done("test_ctx_stress");
	for (uint32_t i = CHURN; i < CHURN + STABLE; i++) {
		char akid[128], ueid[32];
		uint8_t k[32];
		key_for(i, 1, 0, k);
		struct akma_ctx_reg reg = {(const uint8_t *)akid,
					   (uint16_t)akid_for(i, 1, akid),
					   (const uint8_t *)ueid,
					   (uint16_t)ueid_for(i, ueid),
					   1,
					   k,
					   NULL,
					   0,
					   0,
					   NULL,
					   0};
		CHECK(akma_ctx_register(store, &reg, now) == 0, "stable %u", i);
	}
	urcu_qsbr_thread_offline();

	pthread_create(&w, NULL, writer, &n_ops);
	pthread_create(&r, NULL, reader, &rs);
	struct timespec ts = {(time_t)seconds, 0};
	nanosleep(&ts, NULL);
	atomic_store(&stop, 1);
	pthread_join(w, NULL);
	pthread_join(r, NULL);

	struct akma_ctx_stats st;
	akma_ctx_stats(store, &st);
	printf("%llu s: writer %llu ops (%llu replaced, %llu removed, %llu cuckoo moves), reader "
	       "%llu "
	       "lookups, %llu hits, %llu checked against the death stamps\n",
	       (unsigned long long)seconds, (unsigned long long)n_ops,
	       (unsigned long long)st.replaced, (unsigned long long)st.removed,
	       (unsigned long long)st.displaced, (unsigned long long)rs.lookups,
	       (unsigned long long)rs.hits, (unsigned long long)rs.checked);
	CHECK(rs.wrong_content == 0, "%llu answers with wrong or torn content",
	      (unsigned long long)rs.wrong_content);
	CHECK(rs.stale == 0, "%llu answers already dead before their lookup began",
	      (unsigned long long)rs.stale);
	CHECK(rs.stable_missed == 0, "%llu lookups of never-touched contexts missed",
	      (unsigned long long)rs.stable_missed);
	CHECK(n_ops > 1000 && rs.lookups > 10000 && rs.checked > 1000,
	      "both sides did real work (%llu ops, %llu lookups)", (unsigned long long)n_ops,
	      (unsigned long long)rs.lookups);
	akma_ctx_store_free(store);
	urcu_qsbr_unregister_thread();
	return check_done("test_ctx_stress");
}
