/* SPDX-License-Identifier: BSD-3-Clause */
/* Replication to a real Redis (started by integration_redis.sh on a private
 * port): 1000 contexts written pipelined; a corrupt record, one of a newer
 * format version, one under another KEK and one moved to another key name
 * are planted; a fresh store recovers exactly the 1000, skipping and naming
 * the four; no value in Redis holds a K_AKMA in the clear. */
#include <stdlib.h>
#include <time.h>
#include <hiredis/hiredis.h>
#include <urcu/urcu-qsbr.h>

#include "check.h"
#include "err.h"
#include "redis.h"

#define N 1000
static unsigned bad_logged;

static void log_bad(const char *key, int err)
{
	(void)err;
	bad_logged += strncmp(key, "akma:ctx:", 9) == 0;
}

static void make(struct akma_repl_ctx *c, unsigned i, uint64_t now)
{
	memset(c, 0, sizeof(*c));
	c->akid_len = (uint8_t)snprintf((char *)c->akid, sizeof(c->akid), "%u.redis@akma.example", i);
	c->ueid_len = (uint16_t)snprintf((char *)c->ueid, sizeof(c->ueid), "imsi-00101%010u", i);
	c->ueid_type = 1;
	for (int b = 0; b < 32; b++)
		c->kakma[b] = (uint8_t)(i * 131 + b * 7 + 3);
	c->created_ms = now;
	c->eol_ms = i % 10 == 0 ? now + 3600000 : 0;
}

static redisReply *cmd(redisContext *rc, int argc, const char **argv, const size_t *len)
{
	return redisCommandArgv(rc, argc, argv, len);
}

int main(int argc, char **argv)
{
	uint8_t kek1[32], kek2[32];
	char why[256];
	static struct akma_repl_ctx c;
	uint64_t now = (uint64_t)time(NULL) * 1000;

	if (argc != 2)
		return 2;
	int port = atoi(argv[1]);
	memset(kek1, 0x5a, 32);
	memset(kek2, 0xa5, 32);
	urcu_qsbr_register_thread();

	struct akma_redis *r = akma_redis_connect("127.0.0.1", port, NULL, kek1, why, sizeof(why));
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
	CHECK(akma_redis_flush(r) == 2 * N, "every write acknowledged (record and SUPI index)");

	/* Plant bad records with plain hiredis. */
	redisContext *raw = redisConnect("127.0.0.1", port);
	const char *get[] = {"GET", "akma:ctx:7.redis@akma.example"};
	size_t get_len[] = {3, strlen(get[1])};
	redisReply *good = cmd(raw, 2, get, get_len);
	CHECK(good && good->type == REDIS_REPLY_STRING, "a record is stored under akma:ctx:<A-KID>");
	uint8_t rec[AKMA_REPL_RECORD_MAX];
	size_t rl = good->len;
	memcpy(rec, good->str, rl);
	freeReplyObject(good);
	const char *set[3] = {"SET", NULL, NULL};
	size_t set_len[3] = {3, 0, 0};
#define PLANT(keyname, val, vlen)                                                    \
	do {                                                                         \
		set[1] = keyname;                                                    \
		set_len[1] = strlen(keyname);                                        \
		set[2] = (const char *)(val);                                        \
		set_len[2] = vlen;                                                   \
		freeReplyObject(cmd(raw, 3, set, set_len));                          \
	} while (0)
	PLANT("akma:ctx:corrupt@x", "\x01garbage", 8); /* version 1, lengths wrong */
	PLANT("akma:ctx:moved@x", rec, rl); /* a valid record under another name */
	rec[0] = 2;
	PLANT("akma:ctx:future@x", rec, rl);
	struct akma_repl_kek *other = akma_repl_kek_create(kek2, NULL);
	make(&c, 5000, now);
	int n = akma_repl_encode(other, &c, rec, sizeof(rec));
	PLANT("akma:ctx:5000.redis@akma.example", rec, (size_t)n);
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
	CHECK(values >= 2 * N && clear == 0, "%u of %u values hold a K_AKMA in the clear", clear, values);
	redisFree(raw);

	/* Recovery into a fresh store. */
	struct akma_ctx_store_params p = {2 * N, 0};
	int err;
	struct akma_ctx_store *s = akma_ctx_store_create(&p, &err);
	struct akma_redis_load_stats st;
	CHECK(akma_redis_load(r, s, now, &st, log_bad) == 0, "load");
	printf("recovered %llu of %llu keys in %.3f s; skipped %llu unwrap, %llu version, %llu format\n",
	       (unsigned long long)st.loaded, (unsigned long long)st.keys, st.seconds,
	       (unsigned long long)st.bad_unwrap, (unsigned long long)st.bad_version,
	       (unsigned long long)st.bad_format);
	CHECK(st.loaded == N && st.keys == N + 4, "every good record recovered, nothing else");
	CHECK(st.bad_unwrap == 2 && st.bad_version == 1 && st.bad_format == 1 && bad_logged == 4,
	      "the four bad ones skipped, counted and named");
	unsigned wrong = 0;
	for (unsigned i = 0; i < N; i++) {
		make(&c, i, now);
		const uint8_t *kp[1] = {c.akid};
		uint16_t kl[1] = {c.akid_len};
		const struct akma_ctx *found[1];
		uint8_t res[1];
		akma_ctx_lookup_bulk(s, kp, kl, NULL, 1, now, found, res, 0);
		if (res[0] != AKMA_CTX_HIT || memcmp(akma_ctx_kakma(found[0]), c.kakma, 32) != 0 ||
		    found[0]->eol_ms != c.eol_ms)
			wrong++;
	}
	CHECK(wrong == 0, "%u recovered contexts differ from what was written", wrong);
	akma_redis_close(r);
	urcu_qsbr_thread_offline();
	akma_ctx_store_free(s);
	return check_done("test_redis");
}
