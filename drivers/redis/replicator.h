/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_REPLICATOR_H
#define AKMA_REPLICATOR_H

/*
 * akmad's replication thread: the one consumer of the engine's replication
 * rings (worker.h) and the owner of the Redis connection (redis.h).
 *
 * Primary. Takes the writes the workers hand on, in batches of up to 512,
 * writes each batch to Redis in one pipeline (a WAIT for the configured
 * replicas closing it), and hands the batch back to the engine once Redis
 * took all of it: in sync mode that is when the callers get their answers.
 * When Redis fails, the batch is kept, writes are switched off in sync mode
 * (refused with overload; K_AF retrieval goes on), the thread reconnects
 * with backoff (50 ms doubling to 1 s; through the sentinels when
 * configured) and resends the batch, in order, before taking more; writes
 * come back on when it is through. It also renews the primary's lease every
 * third of its length, and each renewal lets the engine serve until the
 * lease's end less a margin (replicator.c says why that is safe); if it
 * finds another akmad holding it, this one is demoted for good and serves
 * nothing.
 *
 * Standby. Follows the primary's change feed into the store (caught up
 * from where it stopped after a reconnection), and watches the
 * lease: when it expires (the primary died), or when promotion is asked for
 * (akmactl promote), it takes the lease, waits (the margin, or a whole
 * lease when taken from a live primary), becomes primary and the daemon
 * starts serving.
 *
 * The thread registers itself with liburcu QSBR. Functions here are called
 * from akmad's main thread.
 */

#include <stdint.h>

#include "redis.h"
#include "worker.h"

struct akma_replicator_params {
	struct akma_engine *engine;
	struct akma_redis *redis; /* owned by the replicator from now on */
	const char *id;           /* this akmad's lease id */
	unsigned lease_ms;        /* lease length */
	unsigned wait_replicas;   /* WAIT for this many Redis replicas a batch (0: none) */
	unsigned wait_timeout_ms;
	int standby;
	uint64_t acquired_tsc;   /* a primary: when it took the lease (rte_rdtsc()) */
	unsigned feed_window_ms; /* the change feed keeps this much (0: 60 s) */
};

enum akma_replicator_state {
	AKMA_REPLICATOR_UP = 0,      /* primary, writing */
	AKMA_REPLICATOR_DOWN = 1,    /* primary, Redis unreachable: reconnecting */
	AKMA_REPLICATOR_STANDBY = 2, /* following */
	AKMA_REPLICATOR_DEMOTED = 3, /* another akmad holds the lease */
};

struct akma_replicator_stats {
	uint64_t state;   /* enum akma_replicator_state */
	uint64_t written; /* writes Redis took */
	uint64_t batches;
	uint64_t failures; /* batches Redis failed (then resent) */
	uint64_t reconnects;
	uint64_t lag_ms;         /* age of the oldest write of the last batch when Redis took it */
	uint64_t followed;       /* standby: changes applied */
	uint64_t follow_bad;     /* standby: records that did not decode */
	uint64_t promoted_at_ms; /* Unix ms of promotion, 0 if never */
	uint64_t resumes;        /* standby: reconnections caught up from the change feed */
	uint64_t reloads;        /* standby: reconnections that reloaded everything */
};

struct akma_replicator;

/* Start the thread. Returns NULL with a reason in why. */
struct akma_replicator *akma_replicator_start(const struct akma_replicator_params *p, char *why,
					      size_t why_size);

/* Ask a standby to take over now (even while a primary holds the lease: the
 * old primary finds itself demoted at its next renewal). Any thread,
 * signal-safe. */
void akma_replicator_promote(struct akma_replicator *r);

/* 1 once this akmad is primary and serves (from the start or promoted,
 * after the takeover wait and its first renewal). Any thread. */
int akma_replicator_is_primary(const struct akma_replicator *r);

void akma_replicator_stats(const struct akma_replicator *r, struct akma_replicator_stats *st);
const char *akma_replicator_server(const struct akma_replicator *r);

/* Stop: write what the engine has handed on (giving up after timeout_ms if
 * Redis is away: those writes are answered AKMA_ST_INTERNAL in sync mode),
 * release the lease, join the thread, close Redis. Call after
 * akma_engine_stop(), so that nothing more is handed on. */
void akma_replicator_stop(struct akma_replicator *r, unsigned timeout_ms);

#endif
