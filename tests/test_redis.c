/* SPDX-License-Identifier: BSD-3-Clause */
/* Replication to a real Redis (started by integration_redis.sh on a private
 * port): 1000 contexts written pipelined, one replaced and one removed; a
 * corrupt record, one of a newer format version, one under another KEK and
 * one moved to another key name are planted; a fresh store recovers exactly
 * the good ones, skipping and naming the four; no value in Redis holds a
 * K_AKMA in the clear; the lease is exclusive; a follower sees sets, dels
 * and expiries. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <hiredis/hiredis.h>
#include <urcu/urcu-qsbr.h>

#include "check.h"
#include "err.h"
#include "redis.h"
#include "clock.h"

#define N 1000
static unsigned bad_logged;

static void log_bad(const char *key, int err)
{
	(void)err;
	bad_logged += strncmp(key, "akma:ue:", 8) == 0;
}

static void make(struct akma_repl_ctx *c, unsigned i, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	c->akid_len =
		(uint8_t)snprintf((char *)c->akid, sizeof(c->akid), "%u.redis@akma.example", i);
	c->ueid_len = (uint16_t)snprintf((char *)c->ueid, sizeof(c->ueid), "imsi-00101%010u", i);
	c->ueid_type = 1;
	for (int b = 0; b < 32; b++)
		c->kakma[b] = (uint8_t)(i * 131 + b * 7 + 3);
	c->created_ms = now;
	c->eol_ms = i % 10 == 0 ? now + 3600000 : 0;
}

/* Context 30000 + k as the model's runs write it: its version-th K_AKMA,
 * with an end of life or none. */
static void make_version(struct akma_repl_ctx *c, unsigned k, unsigned version, int eol,
			 uint64_t now)
{
	make(c, 30000 + k, now);
	c->kakma[0] ^= (uint8_t)version;
	c->kakma[1] ^= (uint8_t)(version >> 8);
	c->eol_ms = eol ? now + 3600000 : 0;
}

static redisReply *cmd(redisContext *rc, int argc, const char **argv, const size_t *len)
{
	return redisCommandArgv(rc, argc, argv, len);
}

static int lookup(struct akma_ctx_store *s, const struct akma_repl_ctx *c, uint64_t now)
{
	const uint8_t *kp[1] = {c->akid};
	uint16_t kl[1] = {c->akid_len};
	const struct akma_ctx *found[1];
	uint8_t res[1];
	akma_ctx_lookup_bulk(s, kp, kl, NULL, 1, now, found, res, 0);
	return res[0] == AKMA_CTX_HIT && memcmp(akma_ctx_kakma(found[0]), c->kakma, 32) == 0 &&
	       found[0]->eol_ms == c->eol_ms;
}

int main(int argc, char **argv)
{
	uint8_t kek1[32], kek2[32];
	char why[256], holder[64], addr[32];
	static struct akma_repl_ctx c;
	uint64_t now = akma_wall_ms();

	if (argc != 2)
		return 2;
	snprintf(addr, sizeof(addr), "127.0.0.1:%s", argv[1]);
	memset(kek1, 0x5a, 32);
	memset(kek2, 0xa5, 32);
	urcu_qsbr_register_thread();

	struct akma_redis_params rp = {.address = addr};
	struct akma_redis *bad = akma_redis_open(
		&(struct akma_redis_params){.address = "127.0.0.1:1"}, kek1, why, sizeof(why));
	CHECK(!bad && strstr(why, "127.0.0.1:1"), "a dead Redis is named: %s", why);
	bad = akma_redis_open(&(struct akma_redis_params){.address = "nocolon"}, kek1, why,
			      sizeof(why));
	CHECK(!bad && strstr(why, "HOST:PORT"), "a bad address is explained: %s", why);
	struct akma_redis *r = akma_redis_open(&rp, kek1, why, sizeof(why));
	CHECK(r != NULL, "connect: %s", why);
	if (!r)
		return check_done("test_redis");
	for (unsigned i = 0; i < N; i++) {
		make(&c, i, now);
		CHECK(akma_redis_put(r, &c, now) == 0, "put %u", i);
	}
	make(&c, N + 1, now);
	c.eol_ms = now - 1;
	CHECK(akma_redis_put(r, &c, now) == 0, "an expired context is not written");
	/* Replace 3 (new A-KID, new key), remove 4. */
	make(&c, 3, now);
	c.akid_len = (uint8_t)snprintf((char *)c.akid, sizeof(c.akid), "3.replaced@akma.example");
	c.kakma[0] ^= 0xff;
	akma_redis_put(r, &c, now);
	make(&c, 4, now);
	akma_redis_del(r, c.ueid, c.ueid_len);
	CHECK(akma_redis_flush(r, why, sizeof(why)) == 0, "every write acknowledged: %s", why);
	akma_redis_wait(r, 1, 10);
	CHECK(akma_redis_flush(r, why, sizeof(why)) == -EAGAIN && strstr(why, "replicas"),
	      "WAIT for a replica that does not exist: -EAGAIN (%s)", why);

	/* Plant bad records with plain hiredis. */
	redisContext *raw = redisConnect("127.0.0.1", atoi(argv[1]));
	const char *get[] = {"GET", "akma:ue:imsi-001010000000007"};
	size_t get_len[] = {3, strlen(get[1])};
	redisReply *good = cmd(raw, 2, get, get_len);
	CHECK(good && good->type == REDIS_REPLY_STRING, "a record is stored under akma:ue:<SUPI>");
	uint8_t rec[AKMA_REPL_RECORD_MAX];
	size_t rl = good ? good->len : 0;
	if (good) {
		memcpy(rec, good->str, rl);
		freeReplyObject(good);
	}
	const char *pttl[] = {"PTTL", "akma:ue:imsi-001010000000010"};
	size_t pttl_len[] = {4, strlen(pttl[1])};
	redisReply *ttl = cmd(raw, 2, pttl, pttl_len);
	CHECK(ttl && ttl->type == REDIS_REPLY_INTEGER && ttl->integer > 3590000 &&
		      ttl->integer <= 3600000,
	      "a context with an end of life expires with it in Redis");
	freeReplyObject(ttl);
	const char *set[3] = {"SET", NULL, NULL};
	size_t set_len[3] = {3, 0, 0};
#define PLANT(keyname, val, vlen)                           \
	do {                                                \
		set[1] = keyname;                           \
		set_len[1] = strlen(keyname);               \
		set[2] = (const char *)(val);               \
		set_len[2] = vlen;                          \
		freeReplyObject(cmd(raw, 3, set, set_len)); \
	} while (0)
	PLANT("akma:ue:imsi-corrupt", "\x01garbage", 8); /* version 1, lengths wrong */
	PLANT("akma:ue:imsi-moved", rec, rl);            /* a valid record under another name */
	rec[0] = AKMA_REPL_FORMAT + 1;
	PLANT("akma:ue:imsi-future", rec, rl);
	struct akma_repl_kek *other = akma_repl_kek_create(kek2, NULL);
	make(&c, 5000, now);
	int n = akma_repl_encode(other, &c, rec, sizeof(rec));
	PLANT("akma:ue:imsi-001010000005000", rec, (size_t)n);
	akma_repl_kek_free(other);

	/* No value holds a K_AKMA in the clear. */
	const char *keys_cmd[] = {"KEYS", "*"};
	size_t keys_len[] = {4, 1};
	redisReply *all = cmd(raw, 2, keys_cmd, keys_len);
	unsigned clear = 0, values = 0;
	for (size_t i = 0; all && i < all->elements; i++) {
		const char *g[] = {"GET", all->element[i]->str};
		size_t gl[] = {3, all->element[i]->len};
		redisReply *v = cmd(raw, 2, g, gl);
		values++;
		for (unsigned k = 0; v && v->type == REDIS_REPLY_STRING && k < N; k++) {
			make(&c, k, now);
			clear += memmem(v->str, v->len, c.kakma, 32) != NULL;
		}
		if (v)
			freeReplyObject(v);
	}
	if (all)
		freeReplyObject(all);
	CHECK(values == N - 1 + 4 && clear == 0, "%u of %u values hold a K_AKMA in the clear",
	      clear, values);

	/* Recovery into a fresh store. */
	struct akma_ctx_store_params p = {2 * N, 0};
	int err;
	struct akma_ctx_store *s = akma_ctx_store_create(&p, &err);
	struct akma_redis_load_stats st;
	CHECK(akma_redis_load(r, s, akma_wall_ms, &st, log_bad, NULL) == 0, "load");
	printf("recovered %llu of %llu keys in %.3f s; skipped %llu unwrap, %llu version, %llu "
	       "format\n",
	       (unsigned long long)st.loaded, (unsigned long long)st.keys, st.seconds,
	       (unsigned long long)st.bad_unwrap, (unsigned long long)st.bad_version,
	       (unsigned long long)st.bad_format);
	CHECK(st.loaded == N - 1 && st.keys == N - 1 + 4,
	      "every good record recovered, nothing else");
	CHECK(st.bad_unwrap == 2 && st.bad_version == 1 && st.bad_format == 1 && bad_logged == 4,
	      "the four bad ones skipped, counted and named");
	unsigned wrong = 0;
	for (unsigned i = 0; i < N; i++) {
		make(&c, i, now);
		if (i == 3) {
			wrong += lookup(s, &c, now); /* the replaced A-KID is gone */
			c.akid_len = (uint8_t)snprintf((char *)c.akid, sizeof(c.akid),
						       "3.replaced@akma.example");
			c.kakma[0] ^= 0xff;
		}
		if (i == 4)
			wrong += lookup(s, &c, now);
		else
			wrong += !lookup(s, &c, now);
	}
	CHECK(wrong == 0, "%u recovered contexts differ from what was written", wrong);

	/* Runs of MSET pairs gathered in the out buffer behind a gap for their
	 * header: random mixes of registrations, registrations with an end of
	 * life and removals, runs of exact lengths at the header's digit
	 * boundaries (1 + 2n = 9/11, 99/101, 999/1001), opening a batch or
	 * after other commands; Redis must end up holding exactly the model. */
	{
		enum { KEYS = 700, ROUNDS = 60 };
		static unsigned version[KEYS]; /* 0: absent */
		static unsigned char with_eol[KEYS];
		static const unsigned exact[] = {1, 4, 5, 49, 50, 499, 500, 640};
		unsigned seed = 12345, writes = 0;
		for (unsigned round = 0; round < ROUNDS; round++) {
			unsigned ops = round < 16 ? exact[round % 8]
						  : 1 + (seed = seed * 1103515245u + 12345u) % 900;
			int lead = round < 16 && round >= 8; /* a removal opens the batch */
			if (lead) {
				unsigned k = round;
				make(&c, 30000 + k, now);
				akma_redis_del(r, c.ueid, c.ueid_len);
				version[k] = 0;
			}
			for (unsigned o = 0; o < ops; o++) {
				seed = seed * 1103515245u + 12345u;
				unsigned k = (seed >> 8) % KEYS, what = (seed >> 20) % 20;
				if (round < 16)
					what = 0, k = (round * 97 + o) % KEYS; /* one run of ops */
				if (what >= 17) {
					make(&c, 30000 + k, now);
					akma_redis_del(r, c.ueid, c.ueid_len);
					version[k] = 0;
					continue;
				}
				version[k]++;
				with_eol[k] = what >= 14;
				make_version(&c, k, version[k], with_eol[k], now);
				CHECK(akma_redis_put(r, &c, now) == 0, "put in round %u", round);
				writes++;
			}
			CHECK(akma_redis_flush(r, why, sizeof(why)) == 0,
			      "round %u acknowledged: %s", round, why);
		}
		struct akma_ctx_store *s3 = akma_ctx_store_create(
			&(struct akma_ctx_store_params){2 * N + KEYS, 0}, &err);
		CHECK(akma_redis_load(r, s3, akma_wall_ms, &st, log_bad, NULL) == 0,
		      "load the runs");
		unsigned differ = 0, present = 0;
		for (unsigned k = 0; k < KEYS; k++) {
			if (!version[k]) {
				make(&c, 30000 + k, now);
				differ += lookup(s3, &c, now) != 0;
				continue;
			}
			present++;
			make_version(&c, k, version[k], with_eol[k], now);
			differ += !lookup(s3, &c, now);
		}
		CHECK(differ == 0 && st.bad_unwrap + st.bad_version + st.bad_format == 4,
		      "%u of %u keys differ from the model after %u writes in %u rounds (%u "
		      "present)",
		      differ, KEYS, writes, ROUNDS, present);
		akma_ctx_store_free(s3);
	}

	/* The lease: one holder at a time. */
	CHECK(akma_redis_lease_acquire(r, "a", 2000, holder, sizeof(holder)) == 1, "lease taken");
	CHECK(akma_redis_lease_acquire(r, "b", 2000, holder, sizeof(holder)) == 0 &&
		      strcmp(holder, "a") == 0,
	      "a held lease is refused and its holder named");
	CHECK(akma_redis_lease_renew(r, "b", 2000, holder, sizeof(holder)) == 0,
	      "another's lease is not renewed");
	CHECK(akma_redis_lease_renew(r, "a", 2000, holder, sizeof(holder)) == 1,
	      "own lease renewed");
	akma_redis_lease_release(r, "b");
	CHECK(akma_redis_lease_acquire(r, "b", 2000, holder, sizeof(holder)) == 0,
	      "release by another is a no-op");
	akma_redis_lease_release(r, "a");
	CHECK(akma_redis_lease_acquire(r, "b", 2000, holder, sizeof(holder)) == 1,
	      "released: the next takes it");

	/* Following: a second store kept up to date by the change feed. */
	struct akma_ctx_store *s2 = akma_ctx_store_create(&p, &err);
	struct akma_redis *f = akma_redis_open(&rp, kek1, why, sizeof(why));
	CHECK(f && akma_redis_follow_start(f, why, sizeof(why)) == 0, "follow: %s", why);
	struct akma_repl_ctx c2, c3;
	make(&c, 7000, now);
	akma_redis_put(r, &c, now);
	make(&c2, 7001, now);
	c2.eol_ms = akma_wall_ms() + 300;
	akma_redis_put(r, &c2, now);
	make(&c3, 5, now);
	akma_redis_del(r, c3.ueid, c3.ueid_len);
	struct akma_redis_change ch[] = {
		{c.ueid, c.ueid_len, 0}, {c2.ueid, c2.ueid_len, 0}, {c3.ueid, c3.ueid_len, 1}};
	CHECK(akma_redis_feed(r, ch, 3, now, 60000) == 0, "a feed entry queued");
	CHECK(akma_redis_flush(r, why, sizeof(why)) == 0, "the writes and their feed entry: %s",
	      why);
	struct akma_redis_follow_stats fs = {0};
	uint64_t until = akma_wall_ms() + 10000;
	while (f && akma_wall_ms() < until && fs.events < 3)
		akma_redis_follow_poll(f, s2, akma_wall_ms(), 100, &fs, log_bad);
	CHECK(fs.registered == 2 && lookup(s2, &c, akma_wall_ms()), "a set is followed");
	/* s2 never held 5: the removal applies to nothing, but is an event. */
	CHECK(fs.events == 3, "a del is an event (%llu events)", (unsigned long long)fs.events);
	/* An expiry needs no entry: the store itself stops serving it. */
	until = akma_wall_ms() + 10000;
	while (akma_wall_ms() < until && lookup(s2, &c2, akma_wall_ms()))
		akma_sleep_ms(20);
	CHECK(!lookup(s2, &c2, akma_wall_ms()), "a context past its end of life is not served");

	/* Feed entries that are not ours, or malformed, are counted and skipped;
	 * the feed goes on after them. */
	uint64_t bad_before = fs.bad;
	redisReply *x = redisCommand(raw, "XADD " AKMA_REDIS_FEED_KEY " * other value");
	if (x)
		freeReplyObject(x);
	x = redisCommand(raw, "XADD " AKMA_REDIS_FEED_KEY " * c %b", "s\x00\x09short", (size_t)8);
	if (x)
		freeReplyObject(x);
	x = redisCommand(raw, "XADD " AKMA_REDIS_FEED_KEY " * c %b", "x\x00\x01a", (size_t)4);
	if (x)
		freeReplyObject(x);
	make(&c, 7004, now);
	akma_redis_put(r, &c, now);
	ch[0] = (struct akma_redis_change){c.ueid, c.ueid_len, 0};
	akma_redis_feed(r, ch, 1, now, 60000);
	akma_redis_flush(r, why, sizeof(why));
	until = akma_wall_ms() + 10000;
	while (f && akma_wall_ms() < until && !lookup(s2, &c, akma_wall_ms()))
		akma_redis_follow_poll(f, s2, akma_wall_ms(), 100, &fs, log_bad);
	CHECK(fs.bad == bad_before + 3 && lookup(s2, &c, akma_wall_ms()),
	      "3 foreign or malformed entries skipped (%llu), the next applied",
	      (unsigned long long)(fs.bad - bad_before));

	/* Resuming: after a reconnection the feed still holds the last entry
	 * applied: catch up, no reload; once it has been trimmed past it: reload. */
	make(&c, 7002, now);
	akma_redis_put(r, &c, now);
	ch[0] = (struct akma_redis_change){c.ueid, c.ueid_len, 0};
	akma_redis_feed(r, ch, 1, now, 60000);
	akma_redis_flush(r, why, sizeof(why));
	CHECK(f && akma_redis_follow_resume(f, why, sizeof(why)) == 1,
	      "the feed reaches back: resume (%s)", why);
	until = akma_wall_ms() + 10000;
	while (f && akma_wall_ms() < until && !lookup(s2, &c, akma_wall_ms()))
		akma_redis_follow_poll(f, s2, akma_wall_ms(), 100, &fs, log_bad);
	CHECK(lookup(s2, &c, akma_wall_ms()), "what was written meanwhile is caught up");
	make(&c, 7003, now);
	akma_redis_put(r, &c, now);
	ch[0] = (struct akma_redis_change){c.ueid, c.ueid_len, 0};
	akma_redis_feed(r, ch, 1, now, 60000);
	akma_redis_flush(r, why, sizeof(why));
	redisReply *t = redisCommand(raw, "XTRIM " AKMA_REDIS_FEED_KEY " MAXLEN 0");
	if (t)
		freeReplyObject(t);
	CHECK(f && akma_redis_follow_resume(f, why, sizeof(why)) == 0,
	      "trimmed past the position: reload (%s)", why);
	/* Trimmed up to the position only (what was applied): resume. The feed
	 * is empty now and the position its last id, so the same holds. */
	make(&c, 7005, now);
	akma_redis_put(r, &c, now);
	ch[0] = (struct akma_redis_change){c.ueid, c.ueid_len, 0};
	akma_redis_feed(r, ch, 1, now, 60000);
	akma_redis_flush(r, why, sizeof(why));
	until = akma_wall_ms() + 10000;
	while (f && akma_wall_ms() < until && !lookup(s2, &c, akma_wall_ms()))
		akma_redis_follow_poll(f, s2, akma_wall_ms(), 100, &fs, log_bad);
	t = redisCommand(raw, "XTRIM " AKMA_REDIS_FEED_KEY " MAXLEN 0");
	if (t)
		freeReplyObject(t);
	CHECK(f && akma_redis_follow_resume(f, why, sizeof(why)) == 1,
	      "trimmed only up to the position: resume, no reload (%s)", why);

	akma_redis_close(f);
	akma_redis_close(r);
	redisFree(raw);
	urcu_qsbr_thread_offline();
	akma_ctx_store_free(s);
	akma_ctx_store_free(s2);
	return check_done("test_redis");
}
