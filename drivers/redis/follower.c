/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A standby's follower (see redis.h).
 *
 * Following uses keyspace notifications rather than a stream the primary
 * would also write: they cost the primary no command per write, so a
 * registration stays one SET. They are not durable (a subscriber that drops
 * misses what happens meanwhile), so the follower reloads after any
 * reconnection.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "secmem.h"
#include "err.h"
#include "redis_priv.h"

/* ---- following (standby) ------------------------------------------------------------------------ */

#define EVENT_PATTERN "__keyspace@*__:" AKMA_REPL_KEY_PREFIX "*"

/* Keyspace events for generic (del), string (set) and expired commands. */
static int ensure_notifications(struct akma_redis *r, char *why, size_t why_size)
{
	const char *get[] = {"CONFIG", "GET", "notify-keyspace-events"};
	size_t get_len[] = {6, 3, 22};
	redisReply *rep = akma_redis_command(r->c, 3, get, get_len);
	char flags[64] = "";

	if (!rep) {
		snprintf(why, why_size, "redis %s: %s", r->server, r->c->errstr);
		return -EIO;
	}
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[1]->type == REDIS_REPLY_STRING)
		snprintf(flags, sizeof(flags), "%s", rep->element[1]->str);
	freeReplyObject(rep);
	/* 'A' stands for every class but m, n and t. */
	int has_all = strchr(flags, 'A') != NULL;
	int need =
		!strchr(flags, 'K') ||
		(!has_all && (!strchr(flags, 'g') || !strchr(flags, '$') || !strchr(flags, 'x')));
	if (!need)
		return 0;
	size_t n = strlen(flags);
	const char *want = "Kg$x";
	for (const char *w = want; *w && n < sizeof(flags) - 1; w++)
		if (!strchr(flags, *w)) {
			flags[n++] = *w;
			flags[n] = '\0';
		}
	const char *set[] = {"CONFIG", "SET", "notify-keyspace-events", flags};
	size_t set_len[] = {6, 3, 22, n};
	rep = akma_redis_command(r->c, 4, set, set_len);
	int ok = rep && rep->type == REDIS_REPLY_STATUS;
	if (!ok)
		snprintf(why, why_size,
			 "redis %s: keyspace notifications are off and CONFIG SET "
			 "notify-keyspace-events %s was refused%s%s",
			 r->server, flags, rep && rep->type == REDIS_REPLY_ERROR ? ": " : "",
			 rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "");
	if (rep)
		freeReplyObject(rep);
	return ok ? 0 : -EREMOTEIO;
}

int akma_redis_follow_start(struct akma_redis *r, char *why, size_t why_size)
{
	if (!r->c) {
		snprintf(why, why_size, "not connected");
		return -EIO;
	}
	int rc = ensure_notifications(r, why, why_size);
	if (rc)
		return rc;
	if (r->sub)
		redisFree(r->sub);
	r->sub = akma_redis_connect_one(r, why, why_size);
	if (!r->sub)
		return -EIO;
	const char *argv[] = {"PSUBSCRIBE", EVENT_PATTERN};
	size_t len[] = {10, sizeof(EVENT_PATTERN) - 1};
	redisReply *rep = akma_redis_command(r->sub, 2, argv, len);
	int ok = rep && rep->type == REDIS_REPLY_ARRAY;
	if (rep)
		freeReplyObject(rep);
	if (!ok) {
		snprintf(why, why_size, "redis %s: PSUBSCRIBE refused", r->server);
		return -EIO;
	}
	return 0;
}

#define FOLLOW_BATCH 256

int akma_redis_follow_poll(struct akma_redis *r, struct akma_ctx_store *s, uint64_t now_ms,
			   unsigned timeout_ms, struct akma_redis_follow_stats *st,
			   void (*log_bad)(const char *key, int err))
{
	redisReply *ev[FOLLOW_BATCH];
	unsigned n = 0, applied = 0;

	if (!r->c || !r->sub)
		return -EIO;
	/* Gather what has arrived: wait for the first, take the rest as read. */
	for (;;) {
		void *rep = NULL;
		if (redisGetReplyFromReader(r->sub, &rep) != REDIS_OK)
			goto fail;
		if (rep) {
			ev[n++] = rep;
			if (n == FOLLOW_BATCH)
				break;
			continue;
		}
		struct pollfd pfd = {r->sub->fd, POLLIN, 0};
		if (!n)
			akma_secmem_clear_registers(); /* the last keys opened, out of a dump */
		int ready = poll(&pfd, 1, n ? 0 : (int)timeout_ms);
		if (ready < 0 && errno != EINTR)
			goto fail;
		if (ready <= 0)
			break;
		if (redisBufferRead(r->sub) != REDIS_OK)
			goto fail;
	}
	/* pmessage, pattern, channel "__keyspace@N__:akma:ue:<id>", event. Read
	 * back every set in one pipeline, then apply all in arrival order. */
	const char *keys[FOLLOW_BATCH];
	size_t key_len[FOLLOW_BATCH];
	for (unsigned i = 0; i < n; i++) {
		keys[i] = NULL;
		if (ev[i]->type != REDIS_REPLY_ARRAY || ev[i]->elements != 4)
			continue;
		const char *ch = strstr(ev[i]->element[2]->str, "__:");
		if (!ch)
			continue;
		keys[i] = ch + 3;
		key_len[i] = ev[i]->element[2]->len - (size_t)(keys[i] - ev[i]->element[2]->str);
		if (strcmp(ev[i]->element[3]->str, "set") == 0) {
			const char *argv[] = {"GET", keys[i]};
			size_t len[] = {3, key_len[i]};
			redisAppendCommandArgv(r->c, 2, argv, len);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (!keys[i]) {
			freeReplyObject(ev[i]);
			continue;
		}
		st->events++;
		const uint8_t *ueid = (const uint8_t *)keys[i] + AKMA_REDIS_PREFIX_LEN;
		size_t ul = key_len[i] - AKMA_REDIS_PREFIX_LEN;
		if (strcmp(ev[i]->element[3]->str, "set") == 0) {
			redisReply *v;
			if (redisGetReply(r->c, (void **)&v) != REDIS_OK) {
				for (; i < n; i++)
					freeReplyObject(ev[i]);
				return -EIO;
			}
			struct akma_repl_ctx c;
			int err = v->type == REDIS_REPLY_NIL ? 1
				  : v->type != REDIS_REPLY_STRING || ul == 0 || ul > AKMA_UEID_MAX
					  ? -AKMA_E_REPL_FORMAT
					  : akma_repl_decode(r->kek, ueid, (uint16_t)ul,
							     (const uint8_t *)v->str, v->len, &c);
			freeReplyObject(v);
			if (err < 0) {
				st->bad++;
				akma_redis_log_key(log_bad, keys[i], key_len[i], err);
			} else if (err == 0) {
				struct akma_ctx_reg reg = {.akid = c.akid,
							   .akid_len = c.akid_len,
							   .ueid = c.ueid,
							   .ueid_len = c.ueid_len,
							   .ueid_type = c.ueid_type,
							   .kakma = c.kakma,
							   .eol_ms = c.eol_ms,
							   .created_ms = c.created_ms,
							   .gpsi = c.gpsi_len ? c.gpsi : NULL,
							   .gpsi_len = c.gpsi_len};
				if (akma_ctx_register(s, &reg, now_ms) == 0) {
					st->registered++;
					applied++;
				}
				explicit_bzero(&c, sizeof(c));
			}
		} else if (strcmp(ev[i]->element[3]->str, "del") == 0 ||
			   strcmp(ev[i]->element[3]->str, "expired") == 0) {
			if (ul > 0 && ul <= AKMA_UEID_MAX &&
			    akma_ctx_remove(s, ueid, (uint16_t)ul) == 0) {
				st->removed++;
				applied++;
			}
		}
		freeReplyObject(ev[i]);
	}
	return (int)applied;
fail:
	for (unsigned i = 0; i < n; i++)
		freeReplyObject(ev[i]);
	return -EIO;
}
