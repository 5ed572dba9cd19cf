/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_REDIS_H
#define AKMA_REDIS_H

/*
 * Replication to Redis with hiredis: the sink that writes replication
 * records (engine/repl), the source that rebuilds a store from them, the
 * follower a standby uses, and the primary's lease.
 *
 * Layout in Redis (see the README):
 *   akma:ue:<UE identity>  one context's record (repl.h), expiring (PXAT) at
 *                          the context's end of life when it has one
 *   akma:lease             the id of the akmad that may write, with a TTL
 *                          the primary keeps renewing
 *
 * Where Redis is. Either one address, or Redis Sentinel: the sentinels are
 * asked in turn for the master of a name, and the server they name is
 * checked to be a master (ROLE) before it is used; every reconnection asks
 * again, so a Redis failover is followed without a restart.
 *
 * The code: conn.c (connection, Sentinel), resp.c (the write pipeline),
 * recovery.c, lease.c, follower.c; redis_priv.h holds what they share.
 *
 * One akma_redis belongs to one thread. Every call blocks on the network
 * (each read or write gives up after the configured timeout): never from a
 * worker lcore.
 */

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "repl.h"

#define AKMA_REDIS_LEASE_KEY "akma:lease"
#define AKMA_REDIS_FEED_KEY "akma:feed" /* the change feed: a Redis stream */
#define AKMA_REDIS_FEED_FIELD "c"       /* its entries' one field: the changes */

struct akma_redis;

struct akma_redis_params {
	const char *address;     /* "HOST:PORT"; ignored when sentinels is set */
	const char *sentinels;   /* "HOST:PORT,HOST:PORT,..." or NULL/"" */
	const char *master_name; /* the Sentinel master name */
	const char *password;    /* AUTH to Redis (not to the sentinels), or NULL */
	unsigned timeout_ms;     /* connect, read and write; 0: 2000 */
};

struct akma_redis_load_stats {
	uint64_t keys, loaded, expired, bad_version, bad_format, bad_unwrap, refused;
	double seconds;
};

/* Connect (through the sentinels when given) and AUTH. Returns NULL with a
 * one-line reason in why. The KEK is expanded into the object; the caller
 * wipes its copy. */
struct akma_redis *akma_redis_open(const struct akma_redis_params *p,
				   const uint8_t kek[AKMA_REPL_KEK_LEN], char *why,
				   size_t why_size);
void akma_redis_close(struct akma_redis *r);

/* Drop the connection and make a new one (asking the sentinels again).
 * Queued writes are forgotten: resend them. Returns 0, or -EIO with why. */
int akma_redis_reconnect(struct akma_redis *r, char *why, size_t why_size);

/* "HOST:PORT" of the server in use. */
const char *akma_redis_server(const struct akma_redis *r);

/* Queue writes (pipelined: nothing is sent until akma_redis_send()).
 * put: the record of c under its UE identity's key; an expired c is not
 * written. del: the UE identity's record. wait: a WAIT for n replicas, so
 * the batch's replies say whether the writes before it reached them. Each
 * returns 0 or a negative errno/akma_err (-ENOMEM: the command could not be
 * queued; -EIO: not connected). After a failure the batch being queued is
 * not whole: akma_redis_discard() it and queue it again. */
int akma_redis_put(struct akma_redis *r, const struct akma_repl_ctx *c, uint64_t now_ms);
int akma_redis_del(struct akma_redis *r, const uint8_t *ueid, uint16_t ueid_len);
int akma_redis_wait(struct akma_redis *r, unsigned replicas, unsigned timeout_ms);

/* The change feed: one XADD to akma:feed per batch naming every UE whose
 * record the batch set or deleted, in order, queued like the writes (so
 * the WAIT after it covers it too). The entry has one field, "c", whose
 * value is the changes back to back: 's' (set) or 'd' (deleted), the UE
 * id's length in two octets (big-endian), the UE id. Entries older than
 * window_ms are trimmed as Redis goes (MINID ~). Returns as
 * akma_redis_put. */
struct akma_redis_change {
	const uint8_t *ueid;
	uint16_t ueid_len;
	int removed;
};
int akma_redis_feed(struct akma_redis *r, const struct akma_redis_change *ch, unsigned n,
		    uint64_t now_ms, unsigned window_ms);

/* Drop every write queued since the last send (their key material wiped);
 * batches already sent are untouched. */
void akma_redis_discard(struct akma_redis *r);

/* Tests: while hook(ctx) returns non-zero, every buffer the RESP writer
 * would grow or append to fails as out of memory. Called on the thread that
 * queues. NULL turns it off. */
void akma_redis_set_fail_hook(struct akma_redis *r, int (*hook)(void *ctx), void *ctx);

/* Send what is queued as one batch, without waiting for the replies, so
 * the caller can prepare the next batch while Redis works on this one. At
 * most AKMA_REDIS_MAX_BATCHES batches in flight. Returns 0, or -EIO with
 * why (every batch in flight is then forgotten: reconnect, resend). */
#define AKMA_REDIS_MAX_BATCHES 4
int akma_redis_send(struct akma_redis *r, char *why, size_t why_size);

/* Read the replies of the oldest batch in flight. Returns 0 when Redis took
 * every write of it, -EIO when the connection failed (every batch in flight
 * forgotten: reconnect, resend), -EREMOTEIO when Redis answered an error
 * (READONLY after a failover, NOAUTH, OOM; its text in why), -EAGAIN when a
 * WAIT saw too few replicas. */
int akma_redis_receive(struct akma_redis *r, char *why, size_t why_size);

/* Send what is queued and read the replies of every batch in flight: send,
 * then receive until none is left. Returns the first failure as above. */
int akma_redis_flush(struct akma_redis *r, char *why, size_t why_size);

/* Load every context of Redis into s: SCAN pages and MGETs of their values
 * pipelined so that Redis reads the next page while this thread decodes and
 * registers the last. A record that fails to unwrap or decode is skipped,
 * counted, and its key name given to log_bad (never its content); an expired
 * one is skipped. progress, when not NULL, is called about every 250 ms.
 * Caller: an online QSBR thread. Returns 0, or -EIO. */
int akma_redis_load(struct akma_redis *r, struct akma_ctx_store *s, uint64_t (*now_ms)(void),
		    struct akma_redis_load_stats *st, void (*log_bad)(const char *key, int err),
		    void (*progress)(const struct akma_redis_load_stats *st));

/* The lease. acquire: take it if nobody holds it (SET NX PX). renew: extend
 * it if this id still holds it, else take it if nobody does (one Lua
 * script, atomic). Both return 1 (held by id now), 0 (another holds it; its
 * id in holder), or -EIO / -EREMOTEIO. */
int akma_redis_lease_acquire(struct akma_redis *r, const char *id, unsigned ms, char *holder,
			     size_t holder_size);
int akma_redis_lease_renew(struct akma_redis *r, const char *id, unsigned ms, char *holder,
			   size_t holder_size);
/* After a renewal: WAIT until replicas Redis replicas have it (timeout_ms
 * at most). Returns 1 when they do, -EAGAIN when fewer did in time, or
 * -EIO / -EREMOTEIO. Blocks up to timeout_ms (and redis.timeout). */
int akma_redis_lease_replicated(struct akma_redis *r, unsigned replicas, unsigned timeout_ms);

/* Give the lease up if id holds it (clean stop), so a standby need not wait
 * for it to expire. */
void akma_redis_lease_release(struct akma_redis *r, const char *id);

/* Standby: follow the primary's change feed (akma_redis_feed). start opens
 * a second connection and takes the feed's end as the position to follow
 * from; call it before akma_redis_load(), so no change is missed between
 * the two. resume, after a reconnection: 1 when the feed still holds
 * every entry after the last one applied (poll catches up from there, no
 * reload), 0 when some were trimmed or lost (the position moves to the
 * feed's end: reload), or -EIO with why. poll applies what the feed holds past
 * the position, waiting up to timeout_ms for it (XREAD BLOCK): a set is
 * read back and registered, a delete removed; expiries need no entry (the
 * store expires contexts itself). Caller of poll: an online QSBR thread.
 * start returns 0 or -EIO/-EREMOTEIO with why; poll returns the number of
 * changes applied or -EIO (reconnect, then resume). */
struct akma_redis_follow_stats {
	uint64_t events, registered, removed, bad;
};
int akma_redis_follow_start(struct akma_redis *r, char *why, size_t why_size);
int akma_redis_follow_resume(struct akma_redis *r, char *why, size_t why_size);
int akma_redis_follow_poll(struct akma_redis *r, struct akma_ctx_store *s, uint64_t now_ms,
			   unsigned timeout_ms, struct akma_redis_follow_stats *st,
			   void (*log_bad)(const char *key, int err));

#endif
