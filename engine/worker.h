/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_WORKER_H
#define AKMA_WORKER_H

/*
 * The engine core: poll-mode workers on DPDK lcores and the rings that feed
 * them.
 *
 *   producer p --in[p][w] (SP/SC rte_ring)--> worker w --done[w][p]--> producer p
 *
 * Every producer (the main lcore's I/O loop, the SBI thread, a benchmark)
 * has its own single-producer ring to each worker and its own
 * single-consumer completion ring back from each, so no ring has two writers
 * and nothing takes a lock. A request goes to the worker chosen by a hash of
 * its SUPI (REGISTER, REMOVE) or A-KID (GET_KAF), so writes for one SUPI
 * from one producer are applied in the order they were submitted.
 *
 * A worker dequeues bursts, runs the GET_KAF requests of a burst through one
 * bulk context lookup and ipsec-mb K_AF bursts, applies REGISTER and REMOVE
 * to the store, and enqueues the completions. While it derives one burst it
 * holds up to three more, whose requests, index buckets and contexts it
 * prefetches between those ipsec-mb bursts, so their lookups find them in
 * cache; bursts are still answered in ring order, and an empty ring drains
 * the pipeline at once (worker.c says more). It never blocks, never
 * allocates, never logs per request; it counts, in counters the control
 * thread reads while it runs. A full input ring is reported to the producer
 * at once (the request comes back with AKMA_ST_OVERLOAD); nothing is dropped.
 *
 * Replication. With a replication mode other than off, every write a worker
 * applies (a REGISTER or a REMOVE that changed the store) also goes, in
 * order, onto that worker's replication ring, which one replication thread
 * drains (akma_engine_repl_take()) and answers (akma_engine_repl_done()):
 *
 *   worker w --repl[w]--> replication thread --rdone[p]--> producer p
 *
 * In sync mode the request itself travels: its caller sees it complete only
 * once the replication thread has handed it back, after the write is safe.
 * In async mode a copy travels and the request completes at once. Writes are
 * refused with AKMA_ST_OVERLOAD, before they touch the store, while the
 * backlog (writes handed on, not yet done) is at its limit or while writes
 * are switched off (akma_engine_set_writes(): Redis unreachable in sync
 * mode, a standby). The store is written before Redis, so a K_AF may be
 * served from a context whose REGISTER is still awaiting Redis; a crash in
 * that window loses a context whose registration was never acknowledged.
 * Expiry is not replicated as a record: each Redis record carries the
 * context's end of life as its own expiry.
 */

#include <stdint.h>

#include "ctx.h"
#include "mb.h"
#include "req.h"
#include "rid.h"

#define AKMA_MAX_WORKERS 16
#define AKMA_MAX_PRODUCERS 8
#define AKMA_BURST_HIST 7 /* bursts of 1, 2-3, 4-7, 8-15, 16-31, 32-63, 64 */

enum akma_repl_mode {
	AKMA_REPL_OFF = 0,   /* no replication */
	AKMA_REPL_ASYNC = 1, /* writes answered at once, replicated as soon as possible */
	AKMA_REPL_SYNC = 2,  /* writes answered once replicated */
};

struct akma_engine_params {
	uint32_t capacity;         /* contexts */
	uint64_t kakma_life_ms;    /* 0: none */
	uint64_t kaf_life_ms;      /* K_AF lifetime; never past the context's end */
	unsigned ring_size;        /* per ring, a power of two (default 1024) */
	unsigned burst;            /* dequeue burst, 1..64 (default 32) */
	unsigned n_requests;       /* mempool objects (default 65536) */
	enum akma_mb_arch mb_arch; /* AKMA_MB_AUTO: timed at start */
	unsigned workers;          /* 0: every EAL lcore but the main one */
	unsigned idle_spin_us;     /* poll this long with nothing to do before napping */
	unsigned idle_sleep_us;    /* then sleep until a request comes, at most this long
				   * (a submission wakes it at once); 0: never sleep */
	enum akma_repl_mode repl;  /* AKMA_REPL_OFF: nothing goes to replication rings */
	unsigned repl_backlog;     /* writes awaiting replication before new ones are
				   * refused (default and most: n_requests / 2) */
	/* The routing indicators served (rid.h), copied at creation: a GET_KAF
	 * or REGISTER whose A-KID's RID (under rid_rule) is not in the set is
	 * answered AKMA_ST_RID_NOT_SERVED before it touches the store. NULL:
	 * every A-KID, with a RID or not. A REMOVE names a SUPI only: always
	 * served. */
	const struct akma_rid_set *rids;
	struct akma_rid_rule rid_rule;
};

/* What a worker counts. Written by its worker only; read by anyone. */
struct akma_worker_stats {
	uint64_t get_kaf, registers, removes;
	uint64_t hits, misses, expired;
	uint64_t kaf_expired; /* context live, its K_AF past its lifetime: none given */
	uint64_t reg_failed, remove_not_found, bad_requests, internal_errors;
	uint64_t repl_refused;   /* writes refused: backlog full or writes off */
	uint64_t not_primary;    /* requests answered NOT_PRIMARY: no lease */
	uint64_t rid_not_served; /* answered RID_NOT_SERVED: another engine's RID */
	uint64_t bursts, burst_hist[AKMA_BURST_HIST];
	uint64_t idle_polls;
	uint64_t idle_sleeps;   /* sleeps on its doorbell (engine.idle_sleep) */
	uint64_t idle_timeouts; /* of those, ended by idle_sleep rather than a request */
};

/* What a producer counts (its own thread writes them). */
struct akma_producer_stats {
	uint64_t submitted, ring_full, completed;
};

struct akma_engine;

/* Create the engine: the context store, the request mempool, the rings for
 * every worker lcore (all lcores but the main one) and up to
 * AKMA_MAX_PRODUCERS producers. Needs EAL initialized and at least one
 * worker lcore. Returns NULL with *err (-EINVAL, -ENOMEM, -ENODEV when no
 * worker lcore). Blocks (prefaults the store). */
struct akma_engine *akma_engine_create(const struct akma_engine_params *p, int *err);

/* The store, for bulk loads and lookups from QSBR threads. */
struct akma_ctx_store *akma_engine_store(struct akma_engine *e);

/* Claim a producer id (0..AKMA_MAX_PRODUCERS-1) for the calling thread, or
 * -ENOSPC. Each id must be used by one thread at a time. */
int akma_engine_producer(struct akma_engine *e);

#define AKMA_PIPE_DEPTH_MAX 3

/* How many bursts a worker holds in its prefetch pipeline (worker.c): 0
 * answers each burst in the pass it arrives, with no cross-burst prefetch;
 * up to, and by default, AKMA_PIPE_DEPTH_MAX (larger values are taken as
 * that). For the benchmark's same-run comparison. Any thread, any time;
 * workers see it within a pass. */
void akma_engine_set_pipeline(struct akma_engine *e, unsigned depth);

/* K_AF bursts on arch from now on instead of the engine's own path
 * (AKMA_MB_AUTO, or the engine's own arch: back to it), for the benchmark's
 * same-run comparison of paths. Creates each worker's instance of arch on
 * first use (allocates; kept until akma_engine_free). Returns 0, -ENOTSUP
 * (the CPU cannot run it) or -ENOMEM. One thread at a time; workers switch
 * at their next burst. */
int akma_engine_set_mb_arch(struct akma_engine *e, enum akma_mb_arch arch);

/* Launch the workers on their lcores. Returns 0 or a negative errno. */
int akma_engine_start(struct akma_engine *e);

/* Requests from the mempool: n objects or none (returns 0 or -ENOBUFS).
 * Any thread. */
int akma_engine_req_alloc(struct akma_engine *e, struct akma_req **reqs, unsigned n);
void akma_engine_req_free(struct akma_engine *e, struct akma_req **reqs, unsigned n);

/* Submit n requests as producer. Each goes to its worker's ring; those a full
 * ring refuses are moved to rejected[] with status AKMA_ST_OVERLOAD, still
 * owned by the caller. Returns how many were accepted. Non-blocking. */
unsigned akma_engine_submit(struct akma_engine *e, unsigned producer, struct akma_req **reqs,
			    unsigned n, struct akma_req **rejected, unsigned *n_rejected);

/* Collect up to max completed requests of producer. Non-blocking. */
unsigned akma_engine_poll(struct akma_engine *e, unsigned producer, struct akma_req **out,
			  unsigned max);

/* Sleep until producer has a completion to poll, at most timeout_us (0: no
 * limit); returns at once when one is already waiting. For a producer with
 * requests in flight and nothing else to do: a worker or the replication
 * thread wakes it with its first completion (a doorbell, doorbell.h), so it
 * needs no nap between polls. Returns 1 when a completion is (or may be)
 * waiting, 0 on timeout or a signal. Blocks; the producer's own thread. */
int akma_engine_wait(struct akma_engine *e, unsigned producer, unsigned timeout_us);

/* The same for an event loop that sleeps on descriptors of its own: returns
 * a descriptor that becomes readable at producer's next completion, to add
 * to its poll set, or -EAGAIN when a completion is already waiting (poll
 * the engine instead). After the loop wakes, akma_engine_disarm(), which
 * also reads the descriptor's count (one read(2)). The producer's own
 * thread; never blocks. */
int akma_engine_arm(struct akma_engine *e, unsigned producer);
void akma_engine_disarm(struct akma_engine *e, unsigned producer);

/* Stop: workers finish every request already in their rings, then return.
 * Blocks until they have; completions stay to be polled. */
void akma_engine_stop(struct akma_engine *e);

/* Free everything; every context's key material is wiped. After stop, with
 * every request polled back and freed. */
void akma_engine_free(struct akma_engine *e);

unsigned akma_engine_workers(const struct akma_engine *e);
/* The lcore id of worker w. */
unsigned akma_engine_worker_lcore(const struct akma_engine *e, unsigned w);
/* Snapshot counters; any thread, while the engine runs. */
void akma_engine_worker_stats(const struct akma_engine *e, unsigned w,
			      struct akma_worker_stats *st);
void akma_engine_producer_stats(const struct akma_engine *e, unsigned p,
				struct akma_producer_stats *st);
/* Change the K_AF lifetime while running (SIGHUP); any thread. */
void akma_engine_set_kaf_life(struct akma_engine *e, uint64_t ms);

/* ---- replication (the one replication thread) ---- */

/* Take up to max writes handed on by the workers, oldest first per worker.
 * REGISTER: UE identity, A-KID, K_AKMA (the taker wipes it once wrapped),
 * created_ms, and end of life in expiry_ms; REMOVE: the UE identity.
 * Caller: the replication thread only. Non-blocking. */
unsigned akma_engine_repl_take(struct akma_engine *e, struct akma_req **out, unsigned max);

/* Sleep until a worker hands on a write, at most timeout_us (0: no limit);
 * returns at once when one is waiting. Returns 1 when one is (or may be)
 * waiting, 0 on timeout or a signal. Caller: the replication thread only,
 * with nothing else to do; blocks. akma_engine_repl_wake() ends the sleep
 * early (any thread: to stop it). */
int akma_engine_repl_wait(struct akma_engine *e, unsigned timeout_us);
void akma_engine_repl_wake(struct akma_engine *e);

/* Hand back n taken writes once replicated (or given up at shutdown, their
 * status set to say so), each K_AKMA wiped: in sync mode they complete to
 * their producers, in async mode the copies are freed. Caller: the
 * replication thread only. Non-blocking. */
void akma_engine_repl_done(struct akma_engine *e, struct akma_req **reqs, unsigned n);

/* Serve until the TSC reaches until_tsc, and from then answer every request
 * (reads included) AKMA_ST_NOT_PRIMARY: the replication lease's end, less
 * its safety margin (drivers/redis/replicator.c). UINT64_MAX, the default,
 * serves for ever (no replication); 0 serves nothing. Any thread; workers
 * read it as they answer each burst. */
void akma_engine_set_lease(struct akma_engine *e, uint64_t until_tsc);
uint64_t akma_engine_lease(const struct akma_engine *e);

/* Accept writes (1) or refuse them with AKMA_ST_OVERLOAD (0). Any thread;
 * workers see it within a burst. */
void akma_engine_set_writes(struct akma_engine *e, int accept);
int akma_engine_writes(const struct akma_engine *e);

/* Writes handed to replication and not yet done. Any thread. */
uint64_t akma_engine_repl_backlog(const struct akma_engine *e);
enum akma_repl_mode akma_engine_repl_mode(const struct akma_engine *e);

/* The ipsec-mb manager the workers use. */
enum akma_mb_arch akma_engine_mb_arch(const struct akma_engine *e);

#endif
