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
 * entry it applied, and reloads only when entries after it have been
 * trimmed (replication.feed_window) or lost.
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

/* What XINFO STREAM says of the feed (Redis 7). */
struct feed_info {
	int exists;
	char last[48];          /* last-generated-id: even when trimmed since */
	char first[48];         /* first-entry's id, "" when empty */
	uint64_t added, length; /* entries-added (ever), length (now) */
};

static int feed_info(struct akma_redis *r, struct feed_info *fi, char *why, size_t why_size)
{
	const char *argv[] = {"XINFO", "STREAM", AKMA_REDIS_FEED_KEY};
	size_t len[] = {5, 6, sizeof(AKMA_REDIS_FEED_KEY) - 1};
	redisReply *rep = akma_redis_command(r->c, 3, argv, len);
	memset(fi, 0, sizeof(*fi));
	snprintf(fi->last, sizeof(fi->last), "0-0");
	if (!rep) {
		snprintf(why, why_size, "redis %s: XINFO STREAM failed", r->server);
		return -EIO;
	}
	/* An error is "no such key", or Redis not ready (LOADING after a
	 * restart, a replica syncing): only the first says the feed is absent. */
	if (rep->type == REDIS_REPLY_ERROR && !strstr(rep->str, "no such key")) {
		snprintf(why, why_size, "redis %s: XINFO STREAM: %s", r->server, rep->str);
		freeReplyObject(rep);
		return -EIO;
	}
	fi->exists = rep->type == REDIS_REPLY_ARRAY;
	for (size_t i = 0; fi->exists && i + 1 < rep->elements; i += 2) {
		const redisReply *k = rep->element[i], *v = rep->element[i + 1];
		if (k->type != REDIS_REPLY_STRING)
			continue;
		if (!strcmp(k->str, "last-generated-id") && v->type == REDIS_REPLY_STRING)
			snprintf(fi->last, sizeof(fi->last), "%s", v->str);
		else if (!strcmp(k->str, "entries-added") && v->type == REDIS_REPLY_INTEGER)
			fi->added = (uint64_t)v->integer;
		else if (!strcmp(k->str, "length") && v->type == REDIS_REPLY_INTEGER)
			fi->length = (uint64_t)v->integer;
		else if (!strcmp(k->str, "first-entry") && v->type == REDIS_REPLY_ARRAY &&
			 v->elements == 2 && v->element[0]->type == REDIS_REPLY_STRING)
			snprintf(fi->first, sizeof(fi->first), "%s", v->element[0]->str);
	}
	freeReplyObject(rep);
	return 0;
}

/* The position: the feed's end (its last id, and the count of entries
 * ever added up to it). */
static int feed_end(struct akma_redis *r, char *why, size_t why_size)
{
	struct feed_info fi;
	int rc = feed_info(r, &fi, why, why_size);
	if (rc)
		return rc;
	snprintf(r->feed_pos, sizeof(r->feed_pos), "%s", fi.last);
	r->feed_added = fi.added;
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

/* A stream entry id "ms-seq" as two numbers, compared in that order. */
struct feed_id {
	uint64_t ms, seq;
};

static struct feed_id feed_id_of(const char *text)
{
	struct feed_id id = {0, 0};
	char *end;
	id.ms = strtoull(text, &end, 10);
	if (*end == '-')
		id.seq = strtoull(end + 1, NULL, 10);
	return id;
}

static int feed_id_le(struct feed_id a, struct feed_id b)
{
	return a.ms < b.ms || (a.ms == b.ms && a.seq <= b.seq);
}

int akma_redis_follow_resume(struct akma_redis *r, char *why, size_t why_size)
{
	struct feed_info fi;
	int rc = open_reader(r, why, why_size);
	if (!rc)
		rc = feed_info(r, &fi, why, why_size);
	if (rc)
		return rc;
	/* Every entry after the position is still there when the feed's first
	 * entry is not past it (trimming takes the oldest first), or when as
	 * many entries are there as were added after it; and the feed has not
	 * gone back before it (a Redis restored from an older state). Redis
	 * does not count trimmed entries in max-deleted-entry-id. */
	struct feed_id pos = feed_id_of(r->feed_pos);
	int reaches;
	if (!fi.exists)
		reaches = pos.ms == 0 && pos.seq == 0; /* no feed: nothing was ever written */
	else if (!feed_id_le(pos, feed_id_of(fi.last)) || fi.added < r->feed_added)
		reaches = 0;
	else if (fi.length && feed_id_le(feed_id_of(fi.first), pos))
		reaches = 1;
	else
		reaches = fi.added - r->feed_added == fi.length;
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
	struct akma_ctx_reg reg = akma_redis_reg_of(&c);
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
	akma_secmem_clear_stack();
	/* XREAD COUNT n [BLOCK ms] STREAMS feed pos. BLOCK 0 would wait for
	 * ever: without a timeout, no BLOCK at all. */
	const char *argv[8] = {"XREAD", "COUNT", FOLLOW_ENTRIES};
	size_t len[8] = {5, 5, sizeof(FOLLOW_ENTRIES) - 1};
	int argc = 3;
	if (timeout_ms) {
		argv[argc] = "BLOCK";
		len[argc++] = 5;
		argv[argc] = block;
		len[argc++] = (size_t)snprintf(block, sizeof(block), "%u", timeout_ms);
	}
	argv[argc] = "STREAMS";
	len[argc++] = 7;
	argv[argc] = AKMA_REDIS_FEED_KEY;
	len[argc++] = sizeof(AKMA_REDIS_FEED_KEY) - 1;
	argv[argc] = r->feed_pos;
	len[argc++] = strlen(r->feed_pos);
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
		r->feed_added++;
		if (en->type == REDIS_REPLY_ARRAY && en->elements == 2 &&
		    en->element[0]->type == REDIS_REPLY_STRING)
			snprintf(r->feed_pos, sizeof(r->feed_pos), "%s", en->element[0]->str);
	}
out:
	freeReplyObject(rep);
	return rc ? rc : (int)applied;
}
