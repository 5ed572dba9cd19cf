/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Redis side of replication (see redis.h). Writes are pipelined: each
 * put appends its SETs to hiredis' output buffer and flush sends them in one
 * write and reads the replies. Loading walks the keyspace with SCAN (MATCH
 * akma:ctx:*, COUNT 1000) and fetches each batch's values with pipelined
 * GETs, registering them 64 at a time through the store's bulk path.
 */
#include "redis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "err.h"

#define SUPI_PREFIX "akma:supi:"

struct akma_redis {
	redisContext *c;
	struct akma_repl_kek *kek;
	unsigned queued;
};

struct akma_redis *akma_redis_connect(const char *host, int port, const char *password,
				      const uint8_t kek[AKMA_REPL_KEK_LEN], char *why, size_t why_size)
{
	struct akma_redis *r = calloc(1, sizeof(*r));
	struct timeval tv = {2, 0};
	int err;

	if (!r) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	r->kek = akma_repl_kek_create(kek, &err);
	r->c = redisConnectWithTimeout(host, port, tv);
	if (!r->kek || !r->c || r->c->err) {
		snprintf(why, why_size, "redis %s:%d: %s", host, port,
			 !r->c ? "out of memory" : r->c->err ? r->c->errstr : akma_strerror(err));
		akma_redis_close(r);
		return NULL;
	}
	redisSetTimeout(r->c, tv);
	if (password) {
		const char *argv[] = {"AUTH", password};
		size_t len[] = {4, strlen(password)};
		redisReply *rep = redisCommandArgv(r->c, 2, argv, len);
		int ok = rep && rep->type == REDIS_REPLY_STATUS;
		if (!ok)
			snprintf(why, why_size, "redis %s:%d: AUTH refused%s%s", host, port,
				 rep && rep->type == REDIS_REPLY_ERROR ? ": " : "",
				 rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "");
		if (rep)
			freeReplyObject(rep);
		if (!ok) {
			akma_redis_close(r);
			return NULL;
		}
	}
	return r;
}

void akma_redis_close(struct akma_redis *r)
{
	if (!r)
		return;
	if (r->c)
		redisFree(r->c);
	akma_repl_kek_free(r->kek);
	free(r);
}

static void append_set(struct akma_redis *r, const char *key, size_t key_len, const uint8_t *val,
		       size_t val_len, uint64_t ttl_ms)
{
	char ttl[24];
	const char *argv[5] = {"SET", key, (const char *)val, "PX", ttl};
	size_t len[5] = {3, key_len, val_len, 2, 0};
	int argc = 3;

	if (ttl_ms) {
		len[4] = (size_t)snprintf(ttl, sizeof(ttl), "%llu", (unsigned long long)ttl_ms);
		argc = 5;
	}
	redisAppendCommandArgv(r->c, argc, argv, len);
	r->queued++;
}

int akma_redis_put(struct akma_redis *r, const struct akma_repl_ctx *c, uint64_t now_ms)
{
	uint8_t rec[AKMA_REPL_RECORD_MAX];
	char key[16 + AKMA_AKID_MAX + AKMA_UEID_MAX];

	if (c->eol_ms && c->eol_ms <= now_ms)
		return 0; /* already expired: nothing to keep */
	uint64_t ttl = c->eol_ms ? c->eol_ms - now_ms : 0;
	int n = akma_repl_encode(r->kek, c, rec, sizeof(rec));
	if (n < 0)
		return n;
	int kl = akma_repl_key_name(c->akid, c->akid_len, key, sizeof(key));
	append_set(r, key, (size_t)kl, rec, (size_t)n, ttl);
	size_t sl = sizeof(SUPI_PREFIX) - 1;
	memcpy(key, SUPI_PREFIX, sl);
	memcpy(key + sl, c->ueid, c->ueid_len);
	append_set(r, key, sl + c->ueid_len, c->akid, c->akid_len, ttl);
	explicit_bzero(rec, sizeof(rec));
	return 0;
}

int akma_redis_flush(struct akma_redis *r)
{
	int acked = 0;

	while (r->queued) {
		redisReply *rep;
		if (redisGetReply(r->c, (void **)&rep) != REDIS_OK) {
			r->queued = 0;
			return -EIO;
		}
		r->queued--;
		acked += rep->type == REDIS_REPLY_STATUS;
		freeReplyObject(rep);
	}
	return acked;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int akma_redis_load(struct akma_redis *r, struct akma_ctx_store *s, uint64_t now_ms,
		    struct akma_redis_load_stats *st, void (*log_bad)(const char *key, int err))
{
	static struct akma_repl_ctx ctx[AKMA_CTX_BULK_MAX];
	struct akma_ctx_reg reg[AKMA_CTX_BULK_MAX];
	int rc[AKMA_CTX_BULK_MAX];
	char cursor[32] = "0", name[16 + AKMA_AKID_MAX];
	size_t plen = sizeof(AKMA_REPL_KEY_PREFIX) - 1;
	uint64_t t0 = mono_ns();
	unsigned n = 0;

	memset(st, 0, sizeof(*st));
	do {
		const char *scan[] = {"SCAN", cursor, "MATCH", AKMA_REPL_KEY_PREFIX "*", "COUNT", "1000"};
		size_t scan_len[] = {4, strlen(cursor), 5, plen + 1, 5, 4};
		redisReply *page = redisCommandArgv(r->c, 6, scan, scan_len);
		if (!page || page->type != REDIS_REPLY_ARRAY || page->elements != 2) {
			if (page)
				freeReplyObject(page);
			return -EIO;
		}
		snprintf(cursor, sizeof(cursor), "%s", page->element[0]->str);
		redisReply *keys = page->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			const char *get[] = {"GET", keys->element[i]->str};
			size_t get_len[] = {3, keys->element[i]->len};
			redisAppendCommandArgv(r->c, 2, get, get_len);
		}
		for (size_t i = 0; i < keys->elements; i++) {
			redisReply *val, *k = keys->element[i];
			if (redisGetReply(r->c, (void **)&val) != REDIS_OK) {
				freeReplyObject(page);
				return -EIO;
			}
			st->keys++;
			size_t akid_len = k->len - plen;
			int err = val->type != REDIS_REPLY_STRING ? -AKMA_E_REPL_FORMAT
				  : akid_len == 0 || akid_len > AKMA_AKID_MAX
					  ? -AKMA_E_REPL_FORMAT
					  : akma_repl_decode(r->kek, (const uint8_t *)k->str + plen,
							     (uint8_t)akid_len, (const uint8_t *)val->str,
							     val->len, &ctx[n]);
			freeReplyObject(val);
			if (err == 0 && ctx[n].eol_ms && ctx[n].eol_ms <= now_ms) {
				st->expired++;
				explicit_bzero(&ctx[n], sizeof(ctx[n]));
				continue;
			}
			if (err) {
				st->bad_version += err == -AKMA_E_REPL_VERSION;
				st->bad_unwrap += err == -AKMA_E_REPL_UNWRAP;
				st->bad_format += err == -AKMA_E_REPL_FORMAT;
				if (log_bad) {
					snprintf(name, sizeof(name), "%.*s", (int)(k->len < sizeof(name) - 1 ? k->len : sizeof(name) - 1), k->str);
					log_bad(name, err);
				}
				continue;
			}
			struct akma_repl_ctx *c = &ctx[n];
			reg[n] = (struct akma_ctx_reg){c->akid, c->akid_len, c->ueid, c->ueid_len,
						       c->ueid_type, c->kakma, NULL, c->eol_ms};
			if (++n == AKMA_CTX_BULK_MAX) {
				st->loaded += akma_ctx_register_bulk(s, reg, n, now_ms, rc);
				for (unsigned j = 0; j < n; j++)
					st->refused += rc[j] != 0;
				explicit_bzero(ctx, sizeof(ctx[0]) * n);
				n = 0;
			}
		}
		freeReplyObject(page);
	} while (strcmp(cursor, "0") != 0);
	if (n) {
		st->loaded += akma_ctx_register_bulk(s, reg, n, now_ms, rc);
		for (unsigned j = 0; j < n; j++)
			st->refused += rc[j] != 0;
		explicit_bzero(ctx, sizeof(ctx[0]) * n);
	}
	st->seconds = (double)(mono_ns() - t0) / 1e9;
	return 0;
}
