/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A standby's follower (see redis.h).
 *
 * Following reads the change feed, a Redis stream (akma:feed) the primary
 * appends one entry to per batch, in the same pipeline as the batch's
 * writes: one command per batch (up to 512 writes), not one per write.
 * Keyspace notifications, used before, cost the primary nothing but are
 * fire-and-forget: a standby that lost its connection for a moment had to
 * reload the whole store (24 s at 10 M contexts). A stream is durable and
 * read by position, so a standby that comes back resumes after the last
 * entry it applied, and reloads only when that entry has been trimmed
 * (replication.feed_window) or lost.
 *
 * An entry names the UEs whose records changed ("s" set, "d" deleted),
 * not the records: the follower reads each set record back (GET, in one
 * pipeline per poll), so a record replaced again later is read as it is
 * now, and a later entry names it again. Applying an entry twice changes
 * nothing, which is what makes the position after a reload safe: it is
 * taken before the load.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secmem.h"
#include "err.h"
#include "redis_priv.h"

/* ---- the position ------------------------------------------------------------------------------- */

/* The id of the feed's last entry into pos, "0-0" when there is none. */
static int feed_end(struct akma_redis *r, char *why, size_t why_size)
{
	const char *argv[] = {"XREVRANGE", AKMA_REDIS_FEED_KEY, "+", "-", "COUNT", "1"};
	size_t len[] = {9, sizeof(AKMA_REDIS_FEED_KEY) - 1, 1, 1, 5, 1};
	redisReply *rep = akma_redis_command(r->c, 6, argv, len);
	if (!rep || rep->type != REDIS_REPLY_ARRAY) {
		snprintf(why, why_size, "redis %s: XREVRANGE %s failed", r->server,
			 AKMA_REDIS_FEED_KEY);
		if (rep)
			freeReplyObject(rep);
		return -EIO;
	}
	snprintf(r->feed_pos, sizeof(r->feed_pos), "0-0");
	if (rep->elements == 1 && rep->element[0]->type == REDIS_REPLY_ARRAY &&
	    rep->element[0]->elements == 2 &&
	    rep->element[0]->element[0]->type == REDIS_REPLY_STRING)
		snprintf(r->feed_pos, sizeof(r->feed_pos), "%s", rep->element[0]->element[0]->str);
	freeReplyObject(rep);
	return 0;
}

static int open_reader(struct akma_redis *r, char *why, size_t why_size)
{
	if (!r->c) {
		snprintf(why, why_size, "not connected");
		return -EIO;
	}
	if (r->sub)
		redisFree(r->sub);
	r->sub = akma_redis_connect_one(r, why, why_size);
	return r->sub ? 0 : -EIO;
}

int akma_redis_follow_start(struct akma_redis *r, char *why, size_t why_size)
{
	int rc = open_reader(r, why, why_size);
	return rc ? rc : feed_end(r, why, why_size);
}

/* Nothing was ever trimmed from the feed (or it does not exist): Redis 7's
 * XINFO STREAM max-deleted-entry-id is 0-0. */
static int never_trimmed(struct akma_redis *r)
{
	const char *argv[] = {"XINFO", "STREAM", AKMA_REDIS_FEED_KEY};
	size_t len[] = {5, 6, sizeof(AKMA_REDIS_FEED_KEY) - 1};
	redisReply *rep = akma_redis_command(r->c, 3, argv, len);
	int yes = 0;
	if (rep && rep->type == REDIS_REPLY_ERROR)
		yes = 1; /* no such key: nothing was ever added */
	for (size_t i = 0; rep && rep->type == REDIS_REPLY_ARRAY && i + 1 < rep->elements; i += 2)
		if (rep->element[i]->type == REDIS_REPLY_STRING &&
		    !strcmp(rep->element[i]->str, "max-deleted-entry-id"))
			yes = rep->element[i + 1]->type == REDIS_REPLY_STRING &&
			      !strcmp(rep->element[i + 1]->str, "0-0");
	if (rep)
		freeReplyObject(rep);
	return yes;
}

int akma_redis_follow_resume(struct akma_redis *r, char *why, size_t why_size)
{
	int rc = open_reader(r, why, why_size);
	if (rc)
		return rc;
	int reaches;
	if (!strcmp(r->feed_pos, "0-0")) {
		reaches = never_trimmed(r);
	} else {
		/* The last entry applied is still there: nothing after it went
		 * (trimming takes the oldest first). */
		const char *argv[] = {"XRANGE", AKMA_REDIS_FEED_KEY, r->feed_pos, r->feed_pos};
		size_t len[] = {6, sizeof(AKMA_REDIS_FEED_KEY) - 1, strlen(r->feed_pos),
				strlen(r->feed_pos)};
		redisReply *rep = akma_redis_command(r->c, 4, argv, len);
		if (!rep) {
			snprintf(why, why_size, "redis %s: XRANGE failed", r->server);
			return -EIO;
		}
		reaches = rep->type == REDIS_REPLY_ARRAY && rep->elements == 1;
		freeReplyObject(rep);
	}
	if (reaches)
		return 1;
	rc = feed_end(r, why, why_size);
	return rc ? rc : 0;
}

/* ---- following ---------------------------------------------------------------------------------- */

#define FOLLOW_ENTRIES "16" /* entries a poll takes: up to 16 batches of 512 writes */

/* Register the record a GET returned for ueid (nil: deleted since). */
static void apply_set(struct akma_redis *r, struct akma_ctx_store *s, const redisReply *v,
		      const char *ueid, size_t ul, uint64_t now_ms,
		      struct akma_redis_follow_stats *st, void (*log_bad)(const char *key, int err),
		      unsigned *applied)
{
	struct akma_repl_ctx c;
	char key[AKMA_REPL_KEY_MAX];
	int err = v->type == REDIS_REPLY_NIL ? 1
		  : v->type != REDIS_REPLY_STRING || ul == 0 || ul > AKMA_UEID_MAX
			  ? -AKMA_E_REPL_FORMAT
			  : akma_repl_decode(r->kek, (const uint8_t *)ueid, (uint16_t)ul,
					     (const uint8_t *)v->str, v->len, &c);
	if (err < 0) {
		st->bad++;
		int kl = akma_repl_key_name((const uint8_t *)ueid,
					    (uint16_t)(ul > AKMA_UEID_MAX ? 0 : ul), key,
					    sizeof(key));
		akma_redis_log_key(log_bad, key, kl > 0 ? (size_t)kl : 0, err);
		return;
	}
	if (err > 0)
		return;
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
		(*applied)++;
	}
	explicit_bzero(&c, sizeof(c));
}

/* The changes of one entry (redis.h: its field "c"), or NULL. */
static const redisReply *changes_of(const redisReply *en)
{
	if (en->type != REDIS_REPLY_ARRAY || en->elements != 2 ||
	    en->element[1]->type != REDIS_REPLY_ARRAY || en->element[1]->elements != 2)
		return NULL;
	const redisReply *f = en->element[1]->element[0], *v = en->element[1]->element[1];
	if (f->type != REDIS_REPLY_STRING || strcmp(f->str, AKMA_REDIS_FEED_FIELD) != 0 ||
	    v->type != REDIS_REPLY_STRING)
		return NULL;
	return v;
}

/* The next change of a changes value at *off: 's' or 'd' with the UE id, 0
 * at the end, -1 when malformed (the rest of the entry is skipped). */
static int next_change(const redisReply *v, size_t *off, const char **ueid, size_t *len)
{
	if (*off == v->len)
		return 0;
	if (v->len - *off < 3)
		return -1;
	const unsigned char *p = (const unsigned char *)v->str + *off;
	size_t l = (size_t)p[1] << 8 | p[2];
	if ((p[0] != 's' && p[0] != 'd') || l == 0 || l > AKMA_UEID_MAX || v->len - *off - 3 < l)
		return -1;
	*ueid = (const char *)p + 3;
	*len = l;
	*off += 3 + l;
	return p[0];
}

int akma_redis_follow_poll(struct akma_redis *r, struct akma_ctx_store *s, uint64_t now_ms,
			   unsigned timeout_ms, struct akma_redis_follow_stats *st,
			   void (*log_bad)(const char *key, int err))
{
	char block[16];
	unsigned applied = 0;

	if (!r->c || !r->sub)
		return -EIO;
	akma_secmem_clear_registers(); /* the last keys opened, out of a dump */
	/* BLOCK 0 would wait for ever: without a timeout, no BLOCK at all. */
	const char *argv[] = {"XREAD",     "COUNT", FOLLOW_ENTRIES, "STREAMS", AKMA_REDIS_FEED_KEY,
			      r->feed_pos, "BLOCK", block};
	size_t len[] = {5,
			5,
			sizeof(FOLLOW_ENTRIES) - 1,
			7,
			sizeof(AKMA_REDIS_FEED_KEY) - 1,
			strlen(r->feed_pos),
			5,
			(size_t)snprintf(block, sizeof(block), "%u", timeout_ms)};
	int argc = 6;
	if (timeout_ms) { /* BLOCK before STREAMS, as XREAD wants it */
		argv[3] = "BLOCK";
		len[3] = 5;
		argv[4] = block;
		len[4] = len[7];
		argv[5] = "STREAMS";
		len[5] = 7;
		argv[6] = AKMA_REDIS_FEED_KEY;
		len[6] = sizeof(AKMA_REDIS_FEED_KEY) - 1;
		argv[7] = r->feed_pos;
		len[7] = strlen(r->feed_pos);
		argc = 8;
	}
	redisReply *rep = akma_redis_command(r->sub, argc, argv, len);
	if (!rep)
		return -EIO;
	if (rep->type == REDIS_REPLY_NIL) { /* nothing within the block time */
		freeReplyObject(rep);
		return 0;
	}
	/* [[feed, [[id, [f, v, f, v...]], ...]]] */
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 1 ||
	    rep->element[0]->type != REDIS_REPLY_ARRAY || rep->element[0]->elements != 2 ||
	    rep->element[0]->element[1]->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		return -EIO;
	}
	const redisReply *entries = rep->element[0]->element[1];
	char key[AKMA_REPL_KEY_MAX];
	/* Every set read back in one pipeline, then all applied in order. */
	const char *ueid;
	size_t ul, off;
	int op;
	for (size_t e = 0; e < entries->elements; e++) {
		const redisReply *v = changes_of(entries->element[e]);
		for (off = 0; v && (op = next_change(v, &off, &ueid, &ul)) > 0;) {
			if (op != 's')
				continue;
			int kl = akma_repl_key_name((const uint8_t *)ueid, (uint16_t)ul, key,
						    sizeof(key));
			const char *gv[] = {"GET", key};
			size_t gl[] = {3, kl > 0 ? (size_t)kl : 0};
			redisAppendCommandArgv(r->c, 2, gv, gl);
		}
	}
	int rc = 0;
	for (size_t e = 0; e < entries->elements; e++) {
		const redisReply *en = entries->element[e], *v = changes_of(en);
		if (!v)
			st->bad++; /* not an entry of ours: skipped, the position moves on */
		for (off = 0; v && (op = next_change(v, &off, &ueid, &ul)) != 0;) {
			if (op < 0) {
				st->bad++;
				break;
			}
			st->events++;
			if (op == 's') {
				redisReply *g;
				if (redisGetReply(r->c, (void **)&g) != REDIS_OK) {
					rc = -EIO;
					goto out;
				}
				apply_set(r, s, g, ueid, ul, now_ms, st, log_bad, &applied);
				freeReplyObject(g);
			} else if (akma_ctx_remove(s, (const uint8_t *)ueid, (uint16_t)ul) == 0) {
				st->removed++;
				applied++;
			}
		}
		if (en->type == REDIS_REPLY_ARRAY && en->elements == 2 &&
		    en->element[0]->type == REDIS_REPLY_STRING)
			snprintf(r->feed_pos, sizeof(r->feed_pos), "%s", en->element[0]->str);
	}
out:
	freeReplyObject(rep);
	return rc ? rc : (int)applied;
}
