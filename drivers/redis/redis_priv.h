/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_REDIS_PRIV_H
#define AKMA_REDIS_PRIV_H

/* What the files of drivers/redis share: the connection object and a few
 * helpers. conn.c connects (directly or through Sentinel), resp.c is the
 * write pipeline in RESP, recovery.c loads a store, lease.c holds the lease,
 * follower.c follows a primary's writes. Not a public interface. */

#include <stddef.h>
#include <sys/time.h>

#include <hiredis/hiredis.h>

#include "redis.h"

#define AKMA_REDIS_PREFIX_LEN (sizeof(AKMA_REPL_KEY_PREFIX) - 1)
#define AKMA_REDIS_MAX_WAITS 4

struct akma_redis {
	redisContext *c;
	redisContext *sub;   /* standby: the connection that reads the change feed */
	char feed_pos[48];   /* standby: the id of the last feed entry applied */
	uint64_t feed_added; /* standby: the feed's entries-added count at feed_pos */
	struct akma_repl_kek *kek;
	/* the write pipeline: commands queued, not sent */
	char *out;
	size_t out_head; /* where the batch begins in out (see close_run) */
	size_t out_len, out_cap;
	size_t run_at; /* an MSET being gathered: where its key/value bulks begin */
	unsigned run_pairs;
	unsigned queued;  /* commands queued */
	unsigned n_waits; /* of which WAITs, at these positions */
	unsigned wait_at[AKMA_REDIS_MAX_WAITS];
	unsigned wait_for; /* replicas the WAITs ask for */
	/* batches sent, replies not yet read */
	unsigned n_batches;
	unsigned batch_replies[AKMA_REDIS_MAX_BATCHES];
	unsigned batch_waits[AKMA_REDIS_MAX_BATCHES];
	unsigned batch_wait_at[AKMA_REDIS_MAX_BATCHES][AKMA_REDIS_MAX_WAITS];
	char in[1 << 16];
	size_t in_len, in_off;
	struct timeval tv;
	char host[256];
	int port;
	char server[280];
	char *password;
	char *sentinels;
	char *master_name;
	/* tests: fail the RESP writer's allocations on demand */
	int (*fail_hook)(void *ctx);
	void *fail_ctx;
};

/* One synchronous command through hiredis (NULL: the connection failed). */
static inline redisReply *akma_redis_command(redisContext *c, int argc, const char **argv,
					     const size_t *len)
{
	return redisCommandArgv(c, argc, argv, len);
}

/* A new connection to the server in r->host:r->port, AUTHed. Returns NULL
 * with why. (conn.c) */
redisContext *akma_redis_connect_one(struct akma_redis *r, char *why, size_t why_size);

/* Forget every queued and in-flight write and any partial reply (the
 * connection is gone or was replaced). (resp.c) */
void akma_redis_forget(struct akma_redis *r);

/* Give a bad record's key, at most AKMA_REPL_KEY_MAX octets of it, to
 * log_bad (never its value). (recovery.c) */
/* A decoded record as the store registers it; points into c, which must
 * outlive the registration (recovery and the follower both). */
static inline struct akma_ctx_reg akma_redis_reg_of(const struct akma_repl_ctx *c)
{
	return (struct akma_ctx_reg){.akid = c->akid,
				     .akid_len = c->akid_len,
				     .ueid = c->ueid,
				     .ueid_len = c->ueid_len,
				     .ueid_type = c->ueid_type,
				     .kakma = c->kakma,
				     .eol_ms = c->eol_ms,
				     .created_ms = c->created_ms,
				     .gpsi = c->gpsi_len ? c->gpsi : NULL,
				     .gpsi_len = c->gpsi_len};
}

void akma_redis_log_key(void (*log_bad)(const char *key, int err), const char *key, size_t len,
			int err);

#endif
