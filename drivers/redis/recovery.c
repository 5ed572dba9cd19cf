/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recovery: loading a store from Redis (see redis.h).
 *
 * Loading overlaps the two sides. Each round sends the MGET of the page of
 * keys in hand together with the SCAN for the next page, then decodes and
 * registers the values of the page before while Redis works. Read one after
 * the other (SCAN, GETs, decode, repeat) Redis and this thread took turns
 * and 1 M contexts loaded at 262 k/s; see akma-bench recovery for the rate
 * of this shape.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "redis_priv.h"

#define SCAN_COUNT "1000"

/* ---- recovery ------------------------------------------------------------------------------- */

struct loader {
	struct akma_redis *r;
	struct akma_ctx_store *s;
	struct akma_redis_load_stats *st;
	void (*log_bad)(const char *key, int err);
	uint64_t now;
	struct akma_repl_ctx ctx[AKMA_CTX_BULK_MAX];
	struct akma_ctx_reg reg[AKMA_CTX_BULK_MAX];
	unsigned n;
};

static void loader_flush(struct loader *l)
{
	int rc[AKMA_CTX_BULK_MAX];

	if (!l->n)
		return;
	l->st->loaded += akma_ctx_register_bulk(l->s, l->reg, l->n, l->now, rc);
	for (unsigned j = 0; j < l->n; j++)
		l->st->refused += rc[j] != 0;
	explicit_bzero(l->ctx, sizeof(l->ctx[0]) * l->n);
	l->n = 0;
}

static void count_bad(struct akma_redis_load_stats *st, int err)
{
	st->bad_version += err == -AKMA_E_REPL_VERSION;
	st->bad_unwrap += err == -AKMA_E_REPL_UNWRAP;
	st->bad_format += err == -AKMA_E_REPL_FORMAT;
}

void akma_redis_log_key(void (*log_bad)(const char *key, int err), const char *key, size_t len,
			int err)
{
	char name[AKMA_REPL_KEY_MAX + 1];
	if (!log_bad)
		return;
	snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) - 1 ? len : sizeof(name) - 1),
		 key);
	log_bad(name, err);
}

/* Decode one key's value into the next bulk slot. */
static void loader_take(struct loader *l, const redisReply *k, const redisReply *v)
{
	if (v->type == REDIS_REPLY_NIL)
		return; /* deleted or expired since the SCAN */
	l->st->keys++;
	size_t ul = k->len - AKMA_REDIS_PREFIX_LEN;
	struct akma_repl_ctx *c = &l->ctx[l->n];
	int err = v->type != REDIS_REPLY_STRING || k->len <= AKMA_REDIS_PREFIX_LEN ||
				  ul > AKMA_UEID_MAX
			  ? -AKMA_E_REPL_FORMAT
			  : akma_repl_decode(l->r->kek,
					     (const uint8_t *)k->str + AKMA_REDIS_PREFIX_LEN,
					     (uint16_t)ul, (const uint8_t *)v->str, v->len, c);
	if (err) {
		count_bad(l->st, err);
		akma_redis_log_key(l->log_bad, k->str, k->len, err);
		return;
	}
	if (c->eol_ms && c->eol_ms <= l->now) {
		l->st->expired++;
		explicit_bzero(c, sizeof(*c));
		return;
	}
	/* The record's creation time, so a K_AF keeps the expiry it was given
	 * before a restart or a failover. */
	l->reg[l->n] = akma_redis_reg_of(c);
	if (++l->n == AKMA_CTX_BULK_MAX)
		loader_flush(l);
}

static int send_all(redisContext *c)
{
	int done = 0;
	while (!done)
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return -EIO;
	return 0;
}

static int is_scan_reply(const redisReply *p)
{
	return p && p->type == REDIS_REPLY_ARRAY && p->elements == 2 &&
	       p->element[0]->type == REDIS_REPLY_STRING &&
	       p->element[1]->type == REDIS_REPLY_ARRAY;
}

static void append_scan(redisContext *c, const char *cursor)
{
	const char *argv[] = {"SCAN",  cursor,    "MATCH", AKMA_REPL_KEY_PREFIX "*",
			      "COUNT", SCAN_COUNT};
	size_t len[] = {4, strlen(cursor), 5, AKMA_REDIS_PREFIX_LEN + 1, 5, sizeof(SCAN_COUNT) - 1};
	redisAppendCommandArgv(c, 6, argv, len);
}

/* SCAN's COUNT is a hint: a page may hold more keys; the argument arrays
 * grow to fit. Returns -ENOMEM when they cannot. */
static int append_mget(redisContext *c, const redisReply *keys)
{
	static const char **argv;
	static size_t *len, cap;
	size_t n = keys->elements;

	if (n + 1 > cap) {
		size_t want = n + 1 > 2048 ? n + 1 : 2048;
		const char **a = realloc(argv, want * sizeof(*a));
		if (a)
			argv = a;
		size_t *l = realloc(len, want * sizeof(*l));
		if (l)
			len = l;
		if (!a || !l)
			return -ENOMEM;
		cap = want;
	}
	argv[0] = "MGET";
	len[0] = 4;
	for (size_t i = 0; i < n; i++) {
		argv[1 + i] = keys->element[i]->str;
		len[1 + i] = keys->element[i]->len;
	}
	redisAppendCommandArgv(c, (int)(1 + n), argv, len);
	return 0;
}

int akma_redis_load(struct akma_redis *r, struct akma_ctx_store *s, uint64_t (*now_ms)(void),
		    struct akma_redis_load_stats *st, void (*log_bad)(const char *key, int err),
		    void (*progress)(const struct akma_redis_load_stats *st))
{
	static struct loader l;
	redisReply *page = NULL, *next = NULL, *vals = NULL, *done_page = NULL;
	uint64_t t0 = akma_mono_ns(), last_progress = t0;
	int rc = -EIO;

	memset(st, 0, sizeof(*st));
	l = (struct loader){.r = r, .s = s, .st = st, .log_bad = log_bad, .now = now_ms()};
	if (!r->c)
		return -EIO;
	append_scan(r->c, "0");
	if (redisGetReply(r->c, (void **)&page) != REDIS_OK || !is_scan_reply(page))
		goto out;
	for (;;) {
		/* page: keys in hand and the cursor after them. Ask for their values
		 * and for the next page in one go... */
		int more = strcmp(page->element[0]->str, "0") != 0;
		int have = page->element[1]->elements > 0;
		if (have && append_mget(r->c, page->element[1]) != 0)
			goto out;
		if (more)
			append_scan(r->c, page->element[0]->str);
		if ((have || more) && send_all(r->c) != 0)
			goto out;
		/* ...and while Redis answers, register the page before. */
		if (done_page) {
			for (size_t i = 0;
			     i < done_page->element[1]->elements && i < vals->elements; i++)
				loader_take(&l, done_page->element[1]->element[i],
					    vals->element[i]);
			freeReplyObject(vals);
			freeReplyObject(done_page);
			vals = done_page = NULL;
		}
		if (progress && akma_mono_ns() - last_progress > 250000000u) {
			last_progress = akma_mono_ns();
			st->seconds = (double)(last_progress - t0) / 1e9;
			progress(st);
		}
		if (have && (redisGetReply(r->c, (void **)&vals) != REDIS_OK ||
			     vals->type != REDIS_REPLY_ARRAY))
			goto out;
		if (more &&
		    (redisGetReply(r->c, (void **)&next) != REDIS_OK || !is_scan_reply(next)))
			goto out;
		if (have) {
			done_page = page;
		} else {
			freeReplyObject(page);
		}
		page = next;
		next = NULL;
		if (!more) {
			page = NULL;
			break;
		}
	}
	if (done_page) {
		for (size_t i = 0; i < done_page->element[1]->elements && i < vals->elements; i++)
			loader_take(&l, done_page->element[1]->element[i], vals->element[i]);
	}
	loader_flush(&l);
	rc = 0;
out:
	if (rc)
		explicit_bzero(l.ctx, sizeof(l.ctx));
	l.n = 0;
	if (page)
		freeReplyObject(page);
	if (next)
		freeReplyObject(next);
	if (vals)
		freeReplyObject(vals);
	if (done_page)
		freeReplyObject(done_page);
	st->seconds = (double)(akma_mono_ns() - t0) / 1e9;
	return rc;
}
