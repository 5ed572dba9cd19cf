/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_REDIS_H
#define AKMA_REDIS_H

/*
 * Replication to Redis with hiredis: the sink that writes replication
 * records (engine/repl) and the source that rebuilds a store from them.
 *
 * Layout in Redis: "akma:ctx:<A-KID>" holds the context's record, with a TTL
 * of the context's end of life when it has one; "akma:supi:<UE identity>"
 * holds the A-KID, with the same TTL, so that a replace or a remove can find
 * the record it makes obsolete.
 *
 * One akma_redis belongs to one thread (the replication thread). Calls
 * block on the network: never from a worker lcore.
 */

#include <stdint.h>

#include "ctx.h"
#include "repl.h"

struct akma_redis;

struct akma_redis_load_stats {
	uint64_t keys, loaded, expired, bad_version, bad_format, bad_unwrap, refused;
	double seconds;
};

/* Connect (and AUTH when password is not NULL). Returns NULL with a
 * one-line reason in why. */
struct akma_redis *akma_redis_connect(const char *host, int port, const char *password,
				      const uint8_t kek[AKMA_REPL_KEK_LEN], char *why, size_t why_size);
void akma_redis_close(struct akma_redis *r);

/* Queue the writes of one context (pipelined: nothing is sent until
 * akma_redis_flush()). Returns 0 or a negative akma_err / errno. */
int akma_redis_put(struct akma_redis *r, const struct akma_repl_ctx *c, uint64_t now_ms);

/* Send what is queued and read every reply. Returns the number of writes
 * Redis acknowledged, or -EIO (connection lost: reconnect and resend). */
int akma_redis_flush(struct akma_redis *r);

/* Load every context of Redis into s (SCAN, pipelined GETs, register in
 * bulk). A record that fails to unwrap or decode is skipped, counted, and
 * its key name logged to log_bad (never its content); an expired one is
 * skipped. Caller: an online QSBR thread. Returns 0, or -EIO. */
int akma_redis_load(struct akma_redis *r, struct akma_ctx_store *s, uint64_t now_ms,
		    struct akma_redis_load_stats *st, void (*log_bad)(const char *key, int err));

#endif
