/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_CTX_H
#define AKMA_CTX_H

/*
 * The AKMA context store: what the AAnF keeps per subscriber (TS 33.535
 * 6.1): A-KID, SUPI or GPSI, K_AKMA and its HMAC midstates, creation time and
 * end of life. Built for ten million contexts and bulk lookups by A-KID.
 *
 * Shape. Each context is one block of 64-octet units in a single arena
 * mapped and prefaulted at creation (capacity x 256 octets plus 1/16 slack,
 * excluded from core dumps). Two indexes map to blocks: one by A-KID (the
 * hot one) and one by UE identity (for replace and remove). Both are
 * bucketized cuckoo tables of 64-octet buckets, eight slots of a 32-bit tag
 * and a 32-bit block reference; a key lives in one of its two buckets, the
 * second found from the first and the tag (partial-key cuckoo hashing), and
 * inserts prefer the first, so a lookup almost always reads one bucket line
 * and the context's header and A-KID lines: three random lines, where memory
 * parallelism, not instructions, sets the pace.
 *
 * Concurrency. Readers never lock and never wait: they run on liburcu QSBR
 * threads (the worker lcores), and a block is reused only after a grace
 * period, its key material wiped first. Writers (register, remove, sweep) are
 * serialised store-wide by one spinlock, so two writes for the same UE
 * identity are applied in the order they take it; the engine keeps requests
 * for one SUPI on one worker, so that order is the order they arrived in.
 * A write never waits for readers: retired blocks go to liburcu's call_rcu
 * thread in batches, which wipes them and returns them to the free lists.
 *
 * Replacement. Registering a UE identity that already has a context marks
 * the old one dead before the new A-KID is published, so there is no moment
 * at which both A-KIDs resolve; a lookup racing with the write may see
 * neither for those few nanoseconds, as if it had arrived just before.
 * Re-registering the same A-KID swaps one block reference: an atomic switch.
 *
 * Times are milliseconds of the caller's clock (CLOCK_REALTIME in akmad), so
 * tests can drive expiry. An end of life of 0 means never.
 */

#include <stddef.h>
#include <stdint.h>

#include "kdf.h"

#define AKMA_AKID_MIN 1
#define AKMA_UEID_MAX 260 /* "nai-" + a 253-octet NAI, with room */
#define AKMA_GPSI_MAX 255 /* a GPSI kept beside the SUPI (msisdn-..., extid-...) */

/* What a context's UE identity is (the wire protocol's codes). */
enum akma_ueid_type { AKMA_UEID_TYPE_SUPI = 1, AKMA_UEID_TYPE_GPSI = 2 };

/* One stored context. Readers get const pointers valid until their thread's
 * next quiescent state; every field is stable while the context lives.
 * Layout, in 64-octet lines: this header and the A-KID first (what a lookup
 * verifies, with the times every K_AF answer needs: two lines for an
 * 86-octet A-KID), the UE identity after it, then on a line of their own
 * the midstates (what the K_AF burst reads), then K_AKMA (cold). */
struct akma_ctx {
	uint64_t eol_ms; /* end of life, 0 = never */
	union {
		uint32_t link;      /* free-list link while free */
		uint32_t created_s; /* while live: registration (its first, for a context
				     * recovered or followed from Redis), Unix seconds;
				     * K_AF expiry counts from it */
	};
	uint8_t state;     /* enum akma_ctx_state */
	uint8_t akid_len;  /* 1..253 */
	uint16_t ueid_len; /* 1..AKMA_UEID_MAX */
	uint8_t units;     /* block size in 64-octet units */
	uint8_t ueid_type; /* the caller's (SUPI, GPSI...) */
	uint8_t ms_line;   /* the midstates are at line ms_line of the block */
	uint8_t gpsi_len;  /* a GPSI kept beside a SUPI (0: none) */
	uint8_t data[];    /* A-KID, UE identity, GPSI; midstates; K_AKMA */
};

enum akma_ctx_state { AKMA_CTX_FREE = 0, AKMA_CTX_LIVE = 1, AKMA_CTX_DEAD = 2 };

/* Per-key outcome of a bulk lookup. */
enum akma_ctx_result { AKMA_CTX_MISS = 0, AKMA_CTX_HIT = 1, AKMA_CTX_EXPIRED = 2 };

static inline const uint8_t *akma_ctx_akid(const struct akma_ctx *c)
{
	return c->data;
}

static inline const uint8_t *akma_ctx_ueid(const struct akma_ctx *c)
{
	return c->data + c->akid_len;
}

/* The GPSI the AUSF registered beside the SUPI (gpsi_len octets), for the
 * NEF's answers. */
static inline const uint8_t *akma_ctx_gpsi(const struct akma_ctx *c)
{
	return c->data + c->akid_len + c->ueid_len;
}

static inline const struct akma_hmac_midstate *akma_ctx_midstate(const struct akma_ctx *c)
{
	return (const struct akma_hmac_midstate *)((const uint8_t *)c + 64 * (size_t)c->ms_line);
}

static inline const uint8_t *akma_ctx_kakma(const struct akma_ctx *c)
{
	return (const uint8_t *)(akma_ctx_midstate(c) + 1);
}

/* 20 octets of header: with an 86-octet A-KID and an IMSI, the identities
 * end in the second line, and a context takes 4 units (2 lines, then the
 * midstates and K_AKMA): growing it to 29 octets (a 64-bit creation time
 * and the GPSI length as fields of their own) took 5 units, 320 octets,
 * and a store sized for N held 0.85 N. */
_Static_assert(offsetof(struct akma_ctx, data) == 20, "the context header stays 20 octets");

static inline uint64_t akma_ctx_created_ms(const struct akma_ctx *c)
{
	return (uint64_t)c->created_s * 1000;
}

struct akma_ctx_store_params {
	uint32_t capacity;      /* contexts; the arena holds capacity 256-octet blocks + 1/16 */
	uint64_t kakma_life_ms; /* K_AKMA lifetime from registration; 0 = none */
};

/* What register stores. */
struct akma_ctx_reg {
	const uint8_t *akid;
	uint16_t akid_len;   /* 1..AKMA_AKID_MAX */
	const uint8_t *ueid; /* SUPI or GPSI as the caller writes it: the context's key */
	uint16_t ueid_len;   /* 1..AKMA_UEID_MAX */
	uint8_t ueid_type;
	const uint8_t *kakma;                /* 32 octets */
	const struct akma_hmac_midstate *ms; /* of kakma; NULL: computed here */
	uint64_t eol_ms;                     /* 0: now + kakma_life_ms (or never) */
	uint64_t created_ms;                 /* 0: now (a new registration); a recovered
					      * or followed context keeps its own */
	const uint8_t *gpsi;                 /* a GPSI beside a SUPI ueid, or NULL */
	uint16_t gpsi_len;                   /* 0..AKMA_GPSI_MAX */
};

struct akma_ctx_stats {
	uint64_t live; /* contexts stored */
	uint64_t capacity;
	uint64_t arena_bytes; /* reserved for blocks */
	uint64_t arena_used;  /* bytes of blocks handed out, live or awaiting reuse */
	uint64_t index_bytes; /* both indexes */
	uint64_t retired;     /* blocks waiting for a grace period */
	uint64_t registered, replaced, removed, expired_swept, full, displaced;
};

struct akma_ctx_store;

/* Create a store. Maps and prefaults ~272 octets of arena and ~27 of index
 * per context of capacity (10 M: ~3 GB, ~1.5 s), so no page fault lands on
 * the data path later; needs liburcu QSBR (starts its call_rcu thread).
 * Returns NULL with *err = -EINVAL (capacity 0 or above 2^28) or -ENOMEM.
 * Blocks; call from the control thread. */
struct akma_ctx_store *akma_ctx_store_create(const struct akma_ctx_store_params *p, int *err);

/* Wipe every context's key material and unmap. Precondition: no reader or
 * writer uses the store any more. Waits for pending grace periods. */
void akma_ctx_store_free(struct akma_ctx_store *s);

/* Register (store the latest): a new context, or the replacement of the
 * UE identity's current one. Caller: a thread registered with liburcu QSBR
 * and online (any lcore or non-EAL thread). Takes the writer spinlock, never
 * sleeps. Returns 0, or
 *   -AKMA_E_AKID_LEN     A-KID empty or longer than 253 octets
 *   -AKMA_E_UEID_LEN     UE identity empty or longer than AKMA_UEID_MAX
 *   -AKMA_E_AKID_IN_USE  the A-KID belongs to another UE identity
 *   -AKMA_E_STORE_FULL   no room (capacity, arena or index); nothing changed
 *   -EBUSY               the room is held by replaced or removed blocks
 *                        still waiting for a grace period (readers must pass
 *                        quiescent states; call akma_ctx_flush() often);
 *                        transient, nothing changed */
int akma_ctx_register(struct akma_ctx_store *s, const struct akma_ctx_reg *reg, uint64_t now_ms);

#define AKMA_CTX_BULK_MAX 64

/* Register n <= 64 contexts, as recovery and bulk loads do: all hashed and
 * their index buckets prefetched first, then applied in order under one
 * take of the lock. rc[i] gets each one's result as akma_ctx_register().
 * Same caller rules. Returns how many succeeded. */
unsigned akma_ctx_register_bulk(struct akma_ctx_store *s, const struct akma_ctx_reg *reg,
				unsigned n, uint64_t now_ms, int rc[]);

/* Remove the UE identity's context. Same caller rules as register. Returns 0,
 * -ENOENT (none), -AKMA_E_UEID_LEN, or -EBUSY as above. */
int akma_ctx_remove(struct akma_ctx_store *s, const uint8_t *ueid, uint16_t ueid_len);

/* Look up n <= 64 A-KIDs at once, in three prefetched stages. hash[i], if
 * hash is not NULL, must be akma_ctx_hash() of akid[i] (a front end that
 * steers by it computes it once). For each key sets result[i] and, for
 * hits, ctx[i] (NULL otherwise). An expired context
 * is reported as AKMA_CTX_EXPIRED and never returned. With
 * AKMA_CTX_PREFETCH_MS the hits' midstates lines are prefetched too, for a
 * K_AF burst that follows. Caller: an online QSBR reader; results stay valid
 * until its next quiescent state. Lock-free; a key that races a cuckoo move
 * is searched again until the move is done. Returns the number of hits. */
#define AKMA_CTX_PREFETCH_MS 1u
unsigned akma_ctx_lookup_bulk(const struct akma_ctx_store *s, const uint8_t *const akid[],
			      const uint16_t akid_len[], const uint64_t *hash, unsigned n,
			      uint64_t now_ms, const struct akma_ctx *ctx[], uint8_t result[],
			      unsigned flags);

/* Prefetch hints for a bulk lookup that will come a few microseconds later,
 * for a worker that keeps bursts in a pipeline (worker.c).
 * akma_ctx_prefetch_index() starts the first bucket line of each key hash;
 * akma_ctx_prefetch_contexts(), once those lines are in, reads their tags
 * and starts the lines of the contexts they point to: header, A-KID and, for
 * a UE identity of up to 20 octets (an IMSI SUPI), the midstates. Hints only:
 * they read the index without claiming anything and touch no context, so a
 * racing write at worst makes them useless; the lookup that follows decides.
 * Same caller rules as the bulk lookup (an online QSBR reader); lock-free,
 * never block. */
void akma_ctx_prefetch_index(const struct akma_ctx_store *s, const uint64_t hash[], unsigned n);
void akma_ctx_prefetch_contexts(const struct akma_ctx_store *s, const uint64_t hash[],
				const uint16_t akid_len[], unsigned n);

/* The context of one UE identity, or NULL (missing or expired). Same rules
 * as the bulk lookup. */
const struct akma_ctx *akma_ctx_lookup_ueid(const struct akma_ctx_store *s, const uint8_t *ueid,
					    uint16_t ueid_len, uint64_t now_ms);

/* Reclaim up to budget blocks' worth of expired contexts, walking the arena
 * from where the last call stopped. Same caller rules as register. Returns
 * how many contexts it removed. */
unsigned akma_ctx_sweep(struct akma_ctx_store *s, uint64_t now_ms, unsigned budget);

/* Hand retired blocks to call_rcu now rather than when a batch of 256
 * fills; the control thread calls it every few milliseconds so that room
 * comes back promptly. Same caller rules as register. */
void akma_ctx_flush(struct akma_ctx_store *s);

/* Change the K_AKMA lifetime for registrations from now on; any thread. */
void akma_ctx_set_kakma_life(struct akma_ctx_store *s, uint64_t ms);
uint64_t akma_ctx_kakma_life(const struct akma_ctx_store *s);

/* Counters; any thread, lock-free, approximate while writers run. */
void akma_ctx_stats(const struct akma_ctx_store *s, struct akma_ctx_stats *st);

/* The 64-bit hash the indexes use; exposed for the benchmarks, which feed
 * the same hash to the tables they compare with. */
uint64_t akma_ctx_hash(const uint8_t *key, size_t len);

/* Test hook: the raw octets of the block a context occupied, for checking
 * that key material is wiped once it is reclaimed (after rcu_barrier()). */
const uint8_t *akma_ctx_debug_block(const struct akma_ctx_store *s, const struct akma_ctx *c,
				    size_t *size);

#endif
