/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine core (see worker.h for the shape).
 *
 * Completion rings are as large as the request mempool, so a worker can
 * always hand a finished request back: no request can be in two places, and
 * the total in flight never exceeds the pool. A worker therefore never waits
 * on a slow producer, and a producer that stops polling only starves itself
 * (its input rings fill and its submissions come back AKMA_ST_OVERLOAD).
 *
 * Within a burst, requests are applied in ring order: a run of GET_KAF
 * requests is looked up and derived as one batch, and a REGISTER or REMOVE
 * in the middle of the burst is applied after the batch before it.
 */
#include "worker.h"
#include "secmem.h"

#include <stddef.h>
#include <sys/mman.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_pause.h>
#include <rte_ring.h>
#include <urcu/urcu-qsbr.h>

#include "err.h"
#include "clock.h"
#include "doorbell.h"

/* A burst on its way through a worker's pipeline (see worker_main()). */
struct pipe_burst {
	struct akma_req *r[AKMA_MB_BURST_MAX];
	unsigned n, producer;
	unsigned passes; /* held through so many passes (stages prefetched) */
	unsigned n_get;  /* its GET_KAF requests' key hashes and A-KID lengths: */
	uint64_t hash[AKMA_MB_BURST_MAX];
	uint16_t akid_len[AKMA_MB_BURST_MAX];
};

#define PIPE_SLOTS (AKMA_PIPE_DEPTH_MAX + 1)
#define PIPE_SLICES 8 /* a pass's prefetches go out in this many slices, */
#define KAF_CHUNK 4   /* one before each ipsec-mb burst of this many K_AF */

/* The prefetches of one pass: a stage for each burst still held after it. */
struct pipe_pass {
	struct pipe_burst *req, *idx, *ctx; /* NULL: no burst at that stage */
	unsigned slice;                     /* slices issued so far */
};

struct worker;
static inline struct akma_mb *kaf_path(const struct worker *w);

struct worker {
	struct akma_engine *e;
	unsigned id;
	unsigned lcore;
	struct akma_mb *mb;
	/* akma_engine_set_mb_arch()'s paths, made on demand, kept to the end */
	struct akma_mb *mbs[AKMA_MB_ARCH_COUNT];
	struct akma_req *repl_out[AKMA_MB_BURST_MAX]; /* this burst's writes for replication */
	unsigned n_repl;
	unsigned pipe_first, pipe_len;
	struct pipe_pass pass;
	struct pipe_burst pipe[PIPE_SLOTS];
	struct akma_worker_stats st;
	/* rung by producers: a request in an input ring; a line of its own, away
	 * from the stats the worker writes all the time */
	struct akma_doorbell bell __rte_cache_aligned;
} __rte_cache_aligned;

struct producer {
	struct akma_producer_stats st;
	struct akma_doorbell bell __rte_cache_aligned; /* rung by workers, replication */
} __rte_cache_aligned;

struct akma_engine {
	struct akma_engine_params p;
	struct akma_ctx_store *store;
	struct rte_mempool *pool;
	unsigned n_workers;
	unsigned n_producers;
	int running;
	int launched;
	enum akma_mb_arch arch;
	struct rte_ring *in[AKMA_MAX_PRODUCERS][AKMA_MAX_WORKERS];
	struct rte_ring *done[AKMA_MAX_WORKERS][AKMA_MAX_PRODUCERS];
	struct rte_ring *repl[AKMA_MAX_WORKERS];    /* worker -> replication thread */
	struct rte_ring *rdone[AKMA_MAX_PRODUCERS]; /* replication thread -> producer */
	int writes;                                 /* accept writes (atomic) */
	uint64_t lease_until;                       /* TSC: serve nothing from then (atomic) */
	unsigned pipe_depth;                        /* atomic; akma_engine_set_pipeline() */
	unsigned mb_select;                         /* atomic; akma_engine_set_mb_arch() */
	int rid_filter;                             /* p.rids was given: rids holds it */
	struct akma_rid_set rids;
	/* Written by the replication thread on every take: a line of its own,
	 * away from what every worker reads each burst. Same-run A/B against
	 * the same tree with it in the shared line (ipsec-mb sse pinned, 1 M
	 * contexts, one worker): akma-bench engine 8.53 against 7.91 M K_AF/s
	 * (medians of 5; spreads 7.4-9.7 and 7.5-9.4), sync replication 0.52
	 * against 0.49 M/s (3 rounds; 0.49-0.67, 0.48-0.60): within this 2-core
	 * VM's noise. Kept: it costs 60 octets and removes the false sharing
	 * for every engine with more workers than this one. */
	unsigned repl_next __rte_cache_aligned;             /* replication thread's round robin */
	struct akma_doorbell repl_bell __rte_cache_aligned; /* rung by workers: a write */
	uint64_t repl_backlog __rte_cache_aligned;          /* atomic */
	struct worker workers[AKMA_MAX_WORKERS];
	struct producer producers[AKMA_MAX_PRODUCERS];
};

/* The worker of a request comes from bits of its key's hash that the
 * store's index does not use for its bucket (the low bits) and that are not
 * all of its tag (bits 32..63), so one worker's share of the keys still
 * spreads over the whole index. */
#define WORKER_HASH_SHIFT 40

/* One log type per component; the engine logs at creation and stop only,
 * never per request. */
static int engine_log = -1;
#define ENGINE_LOG(level, ...) \
	rte_log(RTE_LOG_##level, (uint32_t)engine_log, "akma.engine: " __VA_ARGS__)

/* ---- the worker loop ------------------------------------------------------------------ */

static inline void count(uint64_t *c, uint64_t by)
{
	__atomic_store_n(c, *c + by, __ATOMIC_RELAXED);
}

/* Set a request's answer: its status, and the field at fault for
 * AKMA_ST_BAD_FIELD. */
static void answer(struct akma_req *r, enum akma_status st, enum akma_field field)
{
	r->status = (uint8_t)st;
	r->bad_field = (uint8_t)field;
}

/* The one mapping from what the store says of a write to the caller's
 * answer. Returns 1 when the failure is an internal error (counted apart). */
static int answer_store(struct akma_req *r, int rc)
{
	switch (rc) {
	case 0:
		answer(r, AKMA_ST_OK, AKMA_FIELD_NONE);
		return 0;
	case -ENOENT:
		answer(r, AKMA_ST_NOT_FOUND, AKMA_FIELD_NONE);
		return 0;
	case -AKMA_E_AKID_LEN:
	case -AKMA_E_AKID_IN_USE:
		answer(r, AKMA_ST_BAD_FIELD, AKMA_FIELD_AKID);
		return 0;
	case -AKMA_E_UEID_LEN:
		answer(r, AKMA_ST_BAD_FIELD, AKMA_FIELD_UEID);
		return 0;
	case -AKMA_E_STORE_FULL:
		answer(r, AKMA_ST_STORE_FULL, AKMA_FIELD_NONE);
		return 0;
	case -EBUSY:
		answer(r, AKMA_ST_OVERLOAD, AKMA_FIELD_NONE);
		return 0;
	default:
		answer(r, AKMA_ST_INTERNAL, AKMA_FIELD_NONE);
		return 1;
	}
}

/* ---- the pipeline's prefetches (see worker_main()) ------------------------------------- */

/* The lines of a typical request: header with K_AF, then an 86-octet A-KID,
 * a 19-octet AF_ID and an IMSI (req.h); a longer one's further lines are
 * fetched as they are read. */
#define REQ_PREFETCH_LINES 3
static inline void prefetch_requests(struct akma_req *const *r, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned off = 0; off < REQ_PREFETCH_LINES * RTE_CACHE_LINE_SIZE;
		     off += RTE_CACHE_LINE_SIZE)
			__builtin_prefetch((const uint8_t *)r[i] + off);
}

static inline void slice_of(unsigned n, unsigned k, unsigned *lo, unsigned *hi)
{
	*lo = n * k / PIPE_SLICES;
	*hi = n * (k + 1) / PIPE_SLICES;
}

/* Issue the next slice of this pass's prefetches. */
static void pipe_slice(struct worker *w)
{
	struct pipe_pass *p = &w->pass;
	unsigned k = p->slice, lo, hi;

	if (k >= PIPE_SLICES)
		return;
	p->slice++;
	if (p->req) { /* lines the producer's core has just written */
		slice_of(p->req->n, k, &lo, &hi);
		prefetch_requests(p->req->r + lo, hi - lo);
	}
	if (p->idx) { /* its request lines arrived during the last pass */
		struct pipe_burst *b = p->idx;
		if (k == 0) {
			b->n_get = 0;
			for (unsigned i = 0; i < b->n; i++)
				if (b->r[i]->type == AKMA_REQ_GET_KAF) {
					b->hash[b->n_get] = b->r[i]->key_hash;
					b->akid_len[b->n_get++] = b->r[i]->akid_len;
				}
		}
		slice_of(b->n_get, k, &lo, &hi);
		akma_ctx_prefetch_index(w->e->store, b->hash + lo, hi - lo);
	}
	if (p->ctx) { /* its buckets arrived during the last pass */
		slice_of(p->ctx->n_get, k, &lo, &hi);
		akma_ctx_prefetch_contexts(w->e->store, p->ctx->hash + lo, p->ctx->akid_len + lo,
					   hi - lo);
	}
}

static void pipe_finish(struct worker *w)
{
	while (w->pass.slice < PIPE_SLICES)
		pipe_slice(w);
}

/* A run of GET_KAF requests: one bulk lookup, then the K_AF in ipsec-mb
 * bursts of KAF_CHUNK with a slice of the pipeline's prefetches before each,
 * so the memory system works on them while the core hashes. */
static void get_kaf_batch(struct worker *w, struct akma_req **r, unsigned n, uint64_t now)
{
	struct akma_engine *e = w->e;
	const uint8_t *akid[AKMA_MB_BURST_MAX];
	uint16_t akid_len[AKMA_MB_BURST_MAX];
	const struct akma_ctx *ctx[AKMA_MB_BURST_MAX];
	uint8_t result[AKMA_MB_BURST_MAX];
	struct akma_kaf_job jobs[AKMA_MB_BURST_MAX];
	struct akma_req *hit[AKMA_MB_BURST_MAX];
	struct akma_req *valid[AKMA_MB_BURST_MAX];
	uint64_t hash[AKMA_MB_BURST_MAX];
	unsigned nv = 0, nh = 0;

	for (unsigned i = 0; i < n; i++) {
		if (r[i]->akid_len == 0 || r[i]->akid_len > AKMA_AKID_MAX) {
			answer(r[i], AKMA_ST_BAD_FIELD, AKMA_FIELD_AKID);
			count(&w->st.bad_requests, 1);
		} else if (r[i]->af_id_len == 0 || r[i]->af_id_len > AKMA_AF_ID_MAX) {
			answer(r[i], AKMA_ST_BAD_FIELD, AKMA_FIELD_AF_ID);
			count(&w->st.bad_requests, 1);
		} else {
			akid[nv] = akma_req_akid(r[i]);
			akid_len[nv] = r[i]->akid_len;
			hash[nv] = r[i]->key_hash;
			valid[nv++] = r[i];
		}
	}
	if (!nv)
		return;
	akma_ctx_lookup_bulk(e->store, akid, akid_len, hash, nv, now, ctx, result,
			     AKMA_CTX_PREFETCH_MS);
	for (unsigned i = 0; i < nv; i++) {
		struct akma_req *q = valid[i];
		if (result[i] != AKMA_CTX_HIT) {
			answer(q, AKMA_ST_NOT_FOUND, AKMA_FIELD_NONE);
			count(result[i] == AKMA_CTX_EXPIRED ? &w->st.expired : &w->st.misses, 1);
			continue;
		}
		/* A K_AF lives from its context's registration for kaf_life, never
		 * past the context's end of life: every retrieve of one context
		 * gives the same expiry, and after it none is given out until the
		 * AUSF registers a fresh K_AKMA (spec/AKMA.md 6). */
		uint64_t expiry = akma_ctx_created_ms(ctx[i]) +
				  __atomic_load_n(&e->p.kaf_life_ms, __ATOMIC_RELAXED);
		if (ctx[i]->eol_ms && ctx[i]->eol_ms < expiry)
			expiry = ctx[i]->eol_ms;
		if (expiry <= now) {
			answer(q, AKMA_ST_NOT_FOUND, AKMA_FIELD_NONE);
			count(&w->st.kaf_expired, 1);
			continue;
		}
		jobs[nh] = (struct akma_kaf_job){akma_ctx_midstate(ctx[i]), akma_req_af_id(q),
						 q->af_id_len, q->kaf};
		q->expiry_ms = expiry;
		if (q->flags & AKMA_REQ_ANONYMOUS) {
			q->ueid_len = 0;
		} else if ((q->flags & AKMA_REQ_WANT_GPSI) && ctx[i]->gpsi_len) {
			q->ueid_len = ctx[i]->gpsi_len;
			q->ueid_type = AKMA_UEID_TYPE_GPSI;
			memcpy(akma_req_ueid(q), akma_ctx_gpsi(ctx[i]), ctx[i]->gpsi_len);
		} else if ((q->flags & AKMA_REQ_WANT_GPSI) &&
			   ctx[i]->ueid_type != AKMA_UEID_TYPE_GPSI) {
			q->ueid_len = 0; /* a SUPI, and no GPSI beside it: nothing */
		} else {
			q->ueid_len = ctx[i]->ueid_len;
			q->ueid_type = ctx[i]->ueid_type;
			memcpy(akma_req_ueid(q), akma_ctx_ueid(ctx[i]), ctx[i]->ueid_len);
		}
		hit[nh++] = q;
	}
	unsigned derived = 0;
	for (unsigned c = 0; c < nh; c += KAF_CHUNK) {
		unsigned m = nh - c < KAF_CHUNK ? nh - c : KAF_CHUNK;
		pipe_slice(w);
		unsigned d = akma_mb_kaf_burst(kaf_path(w), jobs + c, m);
		derived += d;
		if (d < m)
			break;
	}
	for (unsigned i = 0; i < nh; i++) {
		if (i < derived) {
			answer(hit[i], AKMA_ST_OK, AKMA_FIELD_NONE);
		} else {
			explicit_bzero(hit[i]->kaf, AKMA_KEY_LEN);
			answer(hit[i], AKMA_ST_INTERNAL, AKMA_FIELD_NONE);
			count(&w->st.internal_errors, 1);
		}
	}
	count(&w->st.hits, derived);
}

/* Replication: may this write go ahead? Reserves a backlog slot, and in
 * async mode the copy that will carry it, or refuses the write before it
 * touches the store. Returns 1 (go), 0 (refused: q answered OVERLOAD). */
static int repl_admit(struct worker *w, struct akma_req *q, struct akma_req **copy)
{
	struct akma_engine *e = w->e;

	*copy = NULL;
	if (e->p.repl == AKMA_REPL_OFF)
		return 1;
	if (!__atomic_load_n(&e->writes, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&e->repl_backlog, __ATOMIC_RELAXED) >= e->p.repl_backlog ||
	    (e->p.repl == AKMA_REPL_ASYNC && rte_mempool_get(e->pool, (void **)copy) != 0)) {
		*copy = NULL;
		answer(q, AKMA_ST_OVERLOAD, AKMA_FIELD_NONE);
		count(&w->st.repl_refused, 1);
		return 0;
	}
	__atomic_fetch_add(&e->repl_backlog, 1, __ATOMIC_RELAXED);
	return 1;
}

/* The write was applied (or not: ok == 0): hand it on, or release what
 * repl_admit() reserved. Sync: the request itself goes, and returns true
 * (the caller must not complete it). */
static int repl_hand_on(struct worker *w, struct akma_req *q, struct akma_req *copy, int ok)
{
	struct akma_engine *e = w->e;

	if (e->p.repl == AKMA_REPL_OFF)
		return 0;
	if (!ok) {
		if (copy)
			rte_mempool_put(e->pool, copy);
		__atomic_fetch_sub(&e->repl_backlog, 1, __ATOMIC_RELAXED);
		return 0;
	}
	if (e->p.repl == AKMA_REPL_SYNC) {
		w->repl_out[w->n_repl++] = q;
		return 1;
	}
	/* Header and the identities (as long as they are), K_AKMA, times. */
	size_t used = offsetof(struct akma_req, data) + q->akid_len + q->af_id_len + q->ueid_len +
		      q->gpsi_len;
	memcpy(copy, q, used);
	memcpy(copy->kakma, q->kakma, AKMA_KEY_LEN);
	copy->created_ms = q->created_ms;
	copy->t_submit = q->t_submit;
	copy->client_id = q->client_id;
	copy->producer_data = NULL;
	w->repl_out[w->n_repl++] = copy;
	return 0;
}

/* Apply a run of n REGISTERs in one store call: their index buckets are
 * all prefetched before the first is applied, and the store's lock taken
 * once (akma_ctx_register_bulk). One at a time each registration waited on
 * four bucket misses in turn, the worker's largest cost under sync
 * replication (perf: the store's find() 40% of its samples); see the commit
 * message for the figures. Returns the mask (bit j for q[j]) of those handed
 * to replication (sync mode), which the caller must not complete. */
static uint64_t apply_registers(struct worker *w, struct akma_req **q, unsigned n, uint64_t now)
{
	struct akma_ctx_reg reg[AKMA_CTX_BULK_MAX];
	struct akma_req *copy[AKMA_CTX_BULK_MAX];
	unsigned at[AKMA_CTX_BULK_MAX], m = 0;
	int rc[AKMA_CTX_BULK_MAX];
	uint64_t life = akma_ctx_kakma_life(w->e->store), held = 0;

	count(&w->st.registers, n);
	for (unsigned j = 0; j < n; j++) {
		if (!repl_admit(w, q[j], &copy[m])) {
			explicit_bzero(q[j]->kakma, AKMA_KEY_LEN);
			count(&w->st.reg_failed, 1);
			continue;
		}
		reg[m] = (struct akma_ctx_reg){.akid = akma_req_akid(q[j]),
					       .akid_len = q[j]->akid_len,
					       .ueid = akma_req_ueid(q[j]),
					       .ueid_len = q[j]->ueid_len,
					       .ueid_type = q[j]->ueid_type,
					       .kakma = q[j]->kakma,
					       .eol_ms = life ? now + life : 0,
					       .created_ms = now,
					       .gpsi = q[j]->gpsi_len ? akma_req_gpsi(q[j]) : NULL,
					       .gpsi_len = q[j]->gpsi_len};
		at[m++] = j;
	}
	akma_ctx_register_bulk(w->e->store, reg, m, now, rc);
	for (unsigned i = 0; i < m; i++) {
		struct akma_req *r = q[at[i]];
		if (rc[i] == 0) {
			r->created_ms = now;
			r->expiry_ms = reg[i].eol_ms;
		}
		int handed = repl_hand_on(w, r, copy[i], rc[i] == 0);
		/* Not handed on: the store (and the copy) has it now. */
		if (!handed)
			explicit_bzero(r->kakma, AKMA_KEY_LEN);
		if (answer_store(r, rc[i]))
			count(&w->st.internal_errors, 1);
		if (rc[i] != 0)
			count(&w->st.reg_failed, 1);
		else if (handed)
			held |= 1ull << at[i];
	}
	return held;
}

/* Returns 1 when the request was handed to replication (sync mode). */
static int apply_remove(struct worker *w, struct akma_req *q)
{
	struct akma_req *copy;

	if (!repl_admit(w, q, &copy))
		return 0;
	int rc = akma_ctx_remove(w->e->store, akma_req_ueid(q), q->ueid_len);
	int held = repl_hand_on(w, q, copy, rc == 0);

	if (answer_store(q, rc))
		count(&w->st.internal_errors, 1);
	else if (rc == -ENOENT)
		count(&w->st.remove_not_found, 1);
	return held;
}

/* The packed identities must stay inside data[]: each length within its
 * own limit. Returns the first field out of bounds, or AKMA_FIELD_NONE. */
static inline enum akma_field length_fault(const struct akma_req *r)
{
	if (r->akid_len > AKMA_AKID_MAX)
		return AKMA_FIELD_AKID;
	if (r->af_id_len > AKMA_AF_ID_MAX)
		return AKMA_FIELD_AF_ID;
	if (r->ueid_len > AKMA_UEID_MAX)
		return AKMA_FIELD_UEID;
	return AKMA_FIELD_NONE;
}

/* Whether r names an A-KID whose RID this engine does not serve. */
static inline int rid_foreign(const struct akma_engine *e, const struct akma_req *r)
{
	if (!e->rid_filter || r->type == AKMA_REQ_REMOVE)
		return 0;
	return !akma_rid_set_has(
		&e->rids,
		akma_rid_of_akid(&e->p.rid_rule, akma_req_akid((struct akma_req *)r), r->akid_len));
}

/* Answers the burst in place. Returns how many of r[] complete now; in sync
 * replication mode the writes handed on are taken out of r[] (order kept). */
static unsigned process(struct worker *w, struct akma_req **r, unsigned n, uint64_t now)
{
	unsigned run = 0; /* start of the pending GET_KAF run */
	unsigned gets = 0, held = 0;
	uint64_t held_mask = 0;

	count(&w->st.bursts, 1);
	/* Checked as the burst is answered, the latest moment before its
	 * answers leave: past the lease nothing is served, reads included
	 * (another engine may be primary by now and the store stale). */
	if (rte_rdtsc() >= __atomic_load_n(&w->e->lease_until, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < n; i++) {
			r[i]->worker = (uint8_t)w->id;
			answer(r[i], AKMA_ST_NOT_PRIMARY, AKMA_FIELD_NONE);
		}
		count(&w->st.not_primary, n);
		return n;
	}
	/* burst_hist[k] counts bursts of 2^k..2^(k+1)-1; the last, 64 and more */
	count(&w->st.burst_hist[n >= AKMA_MB_BURST_MAX ? AKMA_BURST_HIST - 1
						       : 31 - __builtin_clz(n)],
	      1);
	for (unsigned i = 0; i < n; i++) {
		enum akma_field fault = length_fault(r[i]);
		int foreign = fault == AKMA_FIELD_NONE && rid_foreign(w->e, r[i]);
		r[i]->worker = (uint8_t)w->id;
		gets += r[i]->type == AKMA_REQ_GET_KAF;
		if (r[i]->type == AKMA_REQ_GET_KAF && fault == AKMA_FIELD_NONE && !foreign)
			continue;
		if (i > run)
			get_kaf_batch(w, r + run, i - run, now);
		run = i + 1;
		if (fault != AKMA_FIELD_NONE) {
			answer(r[i], AKMA_ST_BAD_FIELD, fault);
			count(&w->st.bad_requests, 1);
		} else if (foreign) {
			answer(r[i], AKMA_ST_RID_NOT_SERVED, AKMA_FIELD_AKID);
			count(&w->st.rid_not_served, 1);
		} else if (r[i]->type == AKMA_REQ_REGISTER) {
			/* This and the well-formed REGISTERs right after it, as one run. */
			unsigned end = i + 1;
			while (end < n && r[end]->type == AKMA_REQ_REGISTER &&
			       length_fault(r[end]) == AKMA_FIELD_NONE &&
			       !rid_foreign(w->e, r[end]))
				r[end++]->worker = (uint8_t)w->id;
			uint64_t mask = apply_registers(w, r + i, end - i, now) << i;
			held_mask |= mask;
			held += (unsigned)__builtin_popcountll(mask);
			i = end - 1;
			run = end;
		} else if (r[i]->type == AKMA_REQ_REMOVE) {
			count(&w->st.removes, 1);
			if (apply_remove(w, r[i]))
				held_mask |= 1ull << i, held++;
		} else {
			answer(r[i], AKMA_ST_BAD_FIELD, AKMA_FIELD_TYPE);
			count(&w->st.bad_requests, 1);
		}
	}
	if (n > run)
		get_kaf_batch(w, r + run, n - run, now);
	count(&w->st.get_kaf, gets);
	if (w->n_repl) {
		/* Sized to the pool: always room. */
		rte_ring_sp_enqueue_burst(w->e->repl[w->id], (void **)w->repl_out, w->n_repl, NULL);
		akma_doorbell_ring(&w->e->repl_bell);
		w->n_repl = 0;
	}
	if (!held)
		return n;
	unsigned k = 0;
	for (unsigned i = 0; i < n; i++)
		if (!(held_mask >> i & 1))
			r[k++] = r[i];
	return k;
}

/* The pipeline. A burst spends up to three passes of the loop in the worker
 * before it is answered: in the first its requests' lines are prefetched
 * (the producer's core has just written them), in the second the index
 * buckets of its A-KIDs, in the third the contexts those point to; then it
 * is looked up, with everything in cache, and derived. Each pass's
 * prefetches go out in slices between the ipsec-mb bursts of the burst
 * being answered, so the memory system fetches while the core hashes.
 * Measured with akma-bench engine at 1 M contexts, pipeline on and off in
 * the same run: issued all at once before the burst's K_AF (~220 lines a
 * pass, more than the core keeps in flight, so it stalls) the pipeline was
 * within noise of none (-8..+3%); in 4 slices between bursts of 8 K_AF,
 * +5..10%; in 8 slices between bursts of 4, +20..25% (7.4-7.6 -> 9.0-9.6 M
 * K_AF/s), and 16 slices of 2 no better. With the store in cache it costs
 * ~4%; at 10 M contexts, where every line is also a TLB miss under nested
 * paging, it changes nothing (-3..+1%). The stages only prefetch: every read
 * that decides an answer is made when the burst is answered, bursts in ring
 * order, so a GET_KAF behind a REGISTER still sees it. When no burst arrives the pipeline drains at once, so light load never
 * waits for more load to move it on. */
static inline struct pipe_burst *pipe_at(struct worker *w, unsigned rank)
{
	return &w->pipe[(w->pipe_first + rank) % PIPE_SLOTS];
}

static void answer_oldest(struct worker *w, uint64_t now)
{
	struct pipe_burst *b = pipe_at(w, 0);

	if (!b->passes) /* answered as it came (light load, pipeline off) */
		prefetch_requests(b->r, b->n);
	unsigned complete = process(w, b->r, b->n, now);

	/* Sized to the pool: always room. A burst of sync writes completes
	 * nothing here (replication completes it): no ring, or the producer
	 * waiting for those very writes wakes for nothing (it slept twice per
	 * Redis batch instead of once). */
	if (complete) {
		rte_ring_sp_enqueue_burst(w->e->done[w->id][b->producer], (void **)b->r, complete,
					  NULL);
		akma_doorbell_ring(&w->e->producers[b->producer].bell);
	}
	w->pipe_first = (w->pipe_first + 1) % PIPE_SLOTS;
	w->pipe_len--;
}

/* Answer the oldest bursts while more than depth are held (depth 0: all of
 * them, as when the rings are empty), with this pass's prefetches for the
 * bursts that stay held spread over their K_AF. */
static void pipe_pass(struct worker *w, unsigned depth, uint64_t now)
{
	unsigned len = w->pipe_len, answer = len > depth ? len - depth : 0;

	w->pass = (struct pipe_pass){
		.req = len >= 1 && len - 1 >= answer ? pipe_at(w, len - 1) : NULL,
		.idx = len >= 2 && len - 2 >= answer ? pipe_at(w, len - 2) : NULL,
		.ctx = len >= 3 && len - 3 >= answer ? pipe_at(w, len - 3) : NULL,
	};
	while (answer--)
		answer_oldest(w, now);
	pipe_finish(w);
	for (unsigned i = 0; i < w->pipe_len; i++)
		pipe_at(w, i)->passes++;
}

/* Anything in the worker's input rings (its last look before it sleeps). */
static int inputs_pending(const struct worker *w, unsigned producers)
{
	for (unsigned p = 0; p < producers; p++)
		if (!rte_ring_empty(w->e->in[p][w->id]))
			return 1;
	return 0;
}

static int worker_main(void *arg)
{
	struct worker *w = arg;
	struct akma_engine *e = w->e;

	unsigned nap_us = e->p.idle_sleep_us;
	uint64_t spin = (uint64_t)e->p.idle_spin_us * rte_get_tsc_hz() / 1000000, idle_since = 0;
	int idle = 0; /* nothing came since idle_since */

	urcu_qsbr_register_thread();
	for (;;) {
		int running = __atomic_load_n(&e->running, __ATOMIC_ACQUIRE);
		unsigned producers = __atomic_load_n(&e->n_producers, __ATOMIC_ACQUIRE);
		unsigned got = 0;
		uint64_t now = 0;

		for (unsigned p = 0; p < producers; p++) {
			struct pipe_burst *b = pipe_at(w, w->pipe_len);
			unsigned n = rte_ring_sc_dequeue_burst(e->in[p][w->id], (void **)b->r,
							       e->p.burst, NULL);
			if (!n)
				continue;
			if (!now)
				now = akma_wall_ms();
			b->n = n;
			b->producer = p;
			b->passes = 0;
			b->n_get = 0;
			w->pipe_len++;
			pipe_pass(w, __atomic_load_n(&e->pipe_depth, __ATOMIC_RELAXED), now);
			got += n;
		}
		if (!got && w->pipe_len) { /* nothing new: drain */
			pipe_pass(w, 0, akma_wall_ms());
			got = 1;
		}
		urcu_qsbr_quiescent_state();
		if (got) {
			idle = 0;
		} else {
			if (!running)
				break; /* stopping, every input ring and the pipeline empty */
			if (!idle) {
				/* The keys of the last burst, out of a dump's registers. */
				akma_secmem_clear_registers();
				akma_secmem_clear_stack();
				idle_since = rte_rdtsc();
				idle = 1;
			}
			count(&w->st.idle_polls, 1);
			/* Idle for idle_spin, then asleep on the doorbell until a
			 * producer submits (idle_sleep at most), so a worker that
			 * shares its CPU gives it back. On the 2-core VM the spinning
			 * worker took 78% of akmad's CPU samples under akma-bench wire
			 * while the main lcore, busy with the sockets, waited to run.
			 * The spin was 1000 polls (~30 us), which kept the CPU the other
			 * threads of a shared core need between bursts (Redis and the
			 * replication thread under sync writes, the SBI thread):
			 * bench/sbi_h2load.sh 0.72 -> 0.78x nghttpd with ~100 polls
			 * (~3 us) in one run of 3 rounds. Naps of a fixed 50 us instead
			 * of the doorbell woke the worker 13 times per 1000 sync
			 * registrations, against 4.5 now (akma-bench replication; see
			 * doorbell.h). Never under sustained load: any request ends the
			 * idle spell. */
			if (nap_us && rte_rdtsc() - idle_since >= spin) {
				akma_doorbell_arm(&w->bell);
				if (inputs_pending(w, producers) ||
				    !__atomic_load_n(&e->running, __ATOMIC_ACQUIRE)) {
					akma_doorbell_disarm(&w->bell);
					continue;
				}
				urcu_qsbr_thread_offline();
				count(&w->st.idle_sleeps, 1);
				if (!akma_doorbell_wait(&w->bell, nap_us))
					count(&w->st.idle_timeouts, 1);
				urcu_qsbr_thread_online();
			} else {
				rte_pause();
			}
		}
	}
	urcu_qsbr_unregister_thread();
	return 0;
}

/* ---- creation and control ----------------------------------------------------------- */

static void exclude_from_dumps(struct rte_mempool *mp, void *arg, struct rte_mempool_memhdr *m,
			       unsigned idx)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = (uintptr_t)m->addr & ~(page - 1);
	uintptr_t end = ((uintptr_t)m->addr + m->len + page - 1) & ~(page - 1);
	(void)mp;
	(void)arg;
	(void)idx;
	madvise((void *)start, end - start, MADV_DONTDUMP);
}

struct akma_engine *akma_engine_create(const struct akma_engine_params *p, int *err)
{
	struct akma_engine *e;
	char name[RTE_RING_NAMESIZE];
	int dummy;

	if (!err)
		err = &dummy;
	e = rte_zmalloc("akma_engine", sizeof(*e), RTE_CACHE_LINE_SIZE);
	if (!e) {
		*err = -ENOMEM;
		return NULL;
	}
	e->p = *p;
	for (unsigned w = 0; w < AKMA_MAX_WORKERS; w++)
		e->workers[w].bell.fd = -1; /* none opened yet (0 is a descriptor) */
	for (unsigned q = 0; q < AKMA_MAX_PRODUCERS; q++)
		e->producers[q].bell.fd = -1;
	e->repl_bell.fd = -1;
	if (!e->p.ring_size)
		e->p.ring_size = 1024;
	if (!e->p.burst || e->p.burst > AKMA_MB_BURST_MAX)
		e->p.burst = 32;
	if (!e->p.n_requests)
		e->p.n_requests = 65536;
	if (!e->p.repl_backlog || e->p.repl_backlog > e->p.n_requests / 2)
		e->p.repl_backlog = e->p.n_requests / 2;
	e->writes = 1;
	e->lease_until = UINT64_MAX;
	e->pipe_depth = AKMA_PIPE_DEPTH_MAX;
	if (p->rids) {
		e->rids = *p->rids;
		e->rid_filter = 1;
		e->p.rids = &e->rids;
	}
	if (!rte_is_power_of_2(e->p.ring_size) || e->p.ring_size < 2 || e->p.n_requests < 64) {
		*err = -EINVAL;
		goto fail;
	}

	unsigned lcore;
	RTE_LCORE_FOREACH_WORKER (lcore) {
		if (e->n_workers == AKMA_MAX_WORKERS || (p->workers && e->n_workers == p->workers))
			break;
		e->workers[e->n_workers].lcore = lcore;
		e->workers[e->n_workers].id = e->n_workers;
		e->workers[e->n_workers].e = e;
		e->n_workers++;
	}
	if (!e->n_workers) {
		*err = -ENODEV;
		goto fail;
	}
	for (unsigned w = 0; w < e->n_workers; w++)
		if ((*err = akma_doorbell_init(&e->workers[w].bell)) != 0)
			goto fail;
	for (unsigned q = 0; q < AKMA_MAX_PRODUCERS; q++)
		if ((*err = akma_doorbell_init(&e->producers[q].bell)) != 0)
			goto fail;
	if ((*err = akma_doorbell_init(&e->repl_bell)) != 0)
		goto fail;

	struct akma_ctx_store_params sp = {p->capacity, p->kakma_life_ms};
	e->store = akma_ctx_store_create(&sp, err);
	if (!e->store)
		goto fail;

	snprintf(name, sizeof(name), "akma_req_%p", (void *)e);
	e->pool = rte_mempool_create(name, e->p.n_requests, sizeof(struct akma_req), 256, 0, NULL,
				     NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	if (!e->pool) {
		*err = -ENOMEM;
		goto fail;
	}
	/* Requests carry K_AKMA and K_AF: their memory stays out of core dumps. */
	rte_mempool_mem_iter(e->pool, exclude_from_dumps, NULL);
	uint32_t done_size = rte_align32pow2(e->p.n_requests + 1);
	for (unsigned w = 0; w < e->n_workers; w++) {
		for (unsigned q = 0; q < AKMA_MAX_PRODUCERS; q++) {
			snprintf(name, sizeof(name), "akin%u.%u.%p", q, w, (void *)e);
			e->in[q][w] = rte_ring_create(name, e->p.ring_size, SOCKET_ID_ANY,
						      RING_F_SP_ENQ | RING_F_SC_DEQ);
			snprintf(name, sizeof(name), "akdn%u.%u.%p", w, q, (void *)e);
			e->done[w][q] = rte_ring_create(name, done_size, SOCKET_ID_ANY,
							RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!e->in[q][w] || !e->done[w][q]) {
				*err = -ENOMEM;
				goto fail;
			}
		}
		if (e->p.repl != AKMA_REPL_OFF) {
			snprintf(name, sizeof(name), "akrp%u.%p", w, (void *)e);
			e->repl[w] = rte_ring_create(name, done_size, SOCKET_ID_ANY,
						     RING_F_SP_ENQ | RING_F_SC_DEQ);
			if (!e->repl[w]) {
				*err = -ENOMEM;
				goto fail;
			}
		}
		/* AUTO times the bursts the worker derives in: KAF_CHUNK. */
		e->workers[w].mb = akma_mb_create(p->mb_arch, KAF_CHUNK, err);
		if (!e->workers[w].mb)
			goto fail;
	}
	for (unsigned q = 0; e->p.repl == AKMA_REPL_SYNC && q < AKMA_MAX_PRODUCERS; q++) {
		snprintf(name, sizeof(name), "akrd%u.%p", q, (void *)e);
		e->rdone[q] = rte_ring_create(name, done_size, SOCKET_ID_ANY,
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!e->rdone[q]) {
			*err = -ENOMEM;
			goto fail;
		}
	}
	e->arch = akma_mb_arch_of(e->workers[0].mb);
	if (engine_log < 0)
		engine_log = rte_log_register_type_and_pick_level("akma.engine", RTE_LOG_NOTICE);
	if (engine_log >= 0)
		ENGINE_LOG(INFO,
			   "%u worker lcore(s), ipsec-mb %s%s, rings of %u, bursts of %u, %u "
			   "requests\n",
			   e->n_workers, akma_mb_arch_name(e->arch),
			   p->mb_arch == AKMA_MB_AUTO ? " (timed fastest)" : "", e->p.ring_size,
			   e->p.burst, e->p.n_requests);
	*err = 0;
	return e;
fail:
	akma_engine_free(e);
	return NULL;
}

struct akma_ctx_store *akma_engine_store(struct akma_engine *e)
{
	return e->store;
}

int akma_engine_producer(struct akma_engine *e)
{
	unsigned id = __atomic_load_n(&e->n_producers, __ATOMIC_RELAXED);

	do {
		if (id >= AKMA_MAX_PRODUCERS)
			return -ENOSPC;
	} while (!__atomic_compare_exchange_n(&e->n_producers, &id, id + 1, 0, __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	return (int)id;
}

/* The K_AF path of this burst: the engine's own, or the benchmark's
 * choice (one relaxed load a burst, beside the pipeline depth's). */
static inline struct akma_mb *kaf_path(const struct worker *w)
{
	unsigned a = __atomic_load_n(&w->e->mb_select, __ATOMIC_ACQUIRE);
	return a ? w->mbs[a] : w->mb;
}

int akma_engine_set_mb_arch(struct akma_engine *e, enum akma_mb_arch arch)
{
	int err = 0;
	if (arch == AKMA_MB_AUTO || arch == e->arch) {
		__atomic_store_n(&e->mb_select, 0, __ATOMIC_RELEASE);
		return 0;
	}
	if ((unsigned)arch >= AKMA_MB_ARCH_COUNT || !akma_mb_arch_supported(arch))
		return -ENOTSUP;
	for (unsigned w = 0; w < e->n_workers; w++)
		if (!e->workers[w].mbs[arch] &&
		    !(e->workers[w].mbs[arch] = akma_mb_create(arch, e->p.burst, &err)))
			return err ? err : -ENOMEM;
	__atomic_store_n(&e->mb_select, (unsigned)arch, __ATOMIC_RELEASE);
	return 0;
}

void akma_engine_set_pipeline(struct akma_engine *e, unsigned depth)
{
	__atomic_store_n(&e->pipe_depth, depth < AKMA_PIPE_DEPTH_MAX ? depth : AKMA_PIPE_DEPTH_MAX,
			 __ATOMIC_RELAXED);
}

int akma_engine_start(struct akma_engine *e)
{
	__atomic_store_n(&e->running, 1, __ATOMIC_RELEASE);
	for (unsigned w = 0; w < e->n_workers; w++) {
		int rc = rte_eal_remote_launch(worker_main, &e->workers[w], e->workers[w].lcore);
		if (rc) {
			akma_engine_stop(e);
			return rc;
		}
		e->launched++;
	}
	return 0;
}

void akma_engine_stop(struct akma_engine *e)
{
	__atomic_store_n(&e->running, 0, __ATOMIC_RELEASE);
	for (int w = 0; w < e->launched; w++)
		akma_doorbell_ring(&e->workers[w].bell);
	for (int w = 0; w < e->launched; w++)
		rte_eal_wait_lcore(e->workers[w].lcore);
	e->launched = 0;
}

void akma_engine_free(struct akma_engine *e)
{
	if (!e)
		return;
	if (e->launched)
		akma_engine_stop(e);
	for (unsigned w = 0; w < AKMA_MAX_WORKERS; w++) {
		akma_doorbell_fini(&e->workers[w].bell);
		akma_mb_free(e->workers[w].mb);
		for (unsigned a = 0; a < AKMA_MB_ARCH_COUNT; a++)
			akma_mb_free(e->workers[w].mbs[a]);
		rte_ring_free(e->repl[w]);
		for (unsigned q = 0; q < AKMA_MAX_PRODUCERS; q++) {
			rte_ring_free(e->in[q][w]);
			rte_ring_free(e->done[w][q]);
		}
	}
	for (unsigned q = 0; q < AKMA_MAX_PRODUCERS; q++) {
		rte_ring_free(e->rdone[q]);
		akma_doorbell_fini(&e->producers[q].bell);
	}
	akma_doorbell_fini(&e->repl_bell);
	rte_mempool_free(e->pool);
	akma_ctx_store_free(e->store); /* wipes every context's keys */
	rte_free(e);
}

/* ---- producers ------------------------------------------------------------------------------ */

int akma_engine_req_alloc(struct akma_engine *e, struct akma_req **reqs, unsigned n)
{
	return rte_mempool_get_bulk(e->pool, (void **)reqs, n) == 0 ? 0 : -ENOBUFS;
}

void akma_engine_req_free(struct akma_engine *e, struct akma_req **reqs, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		explicit_bzero(reqs[i]->kaf, AKMA_KEY_LEN);
		explicit_bzero(reqs[i]->kakma, AKMA_KEY_LEN);
	}
	rte_mempool_put_bulk(e->pool, (void **)reqs, n);
}

/* The key's hash steers the request and, for GET_KAF, saves the worker
 * hashing the A-KID again (~19 ns of its ~175 ns a request, measured with
 * akma-bench engine at 1 M contexts). */
static inline unsigned steer(const struct akma_engine *e, struct akma_req *r)
{
	if (length_fault(r) != AKMA_FIELD_NONE)
		r->key_hash = 0; /* the worker answers it BAD_FIELD */
	else if (r->type == AKMA_REQ_GET_KAF)
		r->key_hash = akma_ctx_hash(akma_req_akid(r), r->akid_len);
	else if (e->n_workers > 1)
		r->key_hash = akma_ctx_hash(akma_req_ueid(r), r->ueid_len);
	else
		return 0;
	return e->n_workers == 1 ? 0
				 : (unsigned)((r->key_hash >> WORKER_HASH_SHIFT) % e->n_workers);
}

unsigned akma_engine_submit(struct akma_engine *e, unsigned producer, struct akma_req **reqs,
			    unsigned n, struct akma_req **rejected, unsigned *n_rejected)
{
	struct akma_req *group[AKMA_MAX_WORKERS][AKMA_MB_BURST_MAX];
	unsigned count_in[AKMA_MAX_WORKERS];
	struct producer *p = &e->producers[producer];
	uint64_t tsc = rte_rdtsc();
	unsigned accepted = 0;

	*n_rejected = 0;
	for (unsigned base = 0; base < n; base += AKMA_MB_BURST_MAX) {
		unsigned m = n - base < AKMA_MB_BURST_MAX ? n - base : AKMA_MB_BURST_MAX;
		memset(count_in, 0, sizeof(count_in[0]) * e->n_workers);
		for (unsigned i = 0; i < m; i++) {
			struct akma_req *r = reqs[base + i];
			unsigned w = steer(e, r);
			r->producer = (uint8_t)producer;
			r->t_submit = tsc;
			group[w][count_in[w]++] = r;
		}
		for (unsigned w = 0; w < e->n_workers; w++) {
			if (!count_in[w])
				continue;
			unsigned k = rte_ring_sp_enqueue_burst(
				e->in[producer][w], (void **)group[w], count_in[w], NULL);
			accepted += k;
			if (k)
				akma_doorbell_ring(&e->workers[w].bell);
			if (k < count_in[w]) {
				p->st.ring_full++;
				for (unsigned i = k; i < count_in[w]; i++) {
					group[w][i]->status = AKMA_ST_OVERLOAD;
					rejected[(*n_rejected)++] = group[w][i];
				}
			}
		}
	}
	p->st.submitted += accepted;
	return accepted;
}

unsigned akma_engine_poll(struct akma_engine *e, unsigned producer, struct akma_req **out,
			  unsigned max)
{
	unsigned got = 0;

	for (unsigned w = 0; w < e->n_workers && got < max; w++)
		got += rte_ring_sc_dequeue_burst(e->done[w][producer], (void **)(out + got),
						 max - got, NULL);
	if (e->rdone[producer] && got < max)
		got += rte_ring_sc_dequeue_burst(e->rdone[producer], (void **)(out + got),
						 max - got, NULL);
	e->producers[producer].st.completed += got;
	return got;
}

/* Anything for producer to poll (its last look before it sleeps). */
static int completions_pending(const struct akma_engine *e, unsigned producer)
{
	for (unsigned w = 0; w < e->n_workers; w++)
		if (!rte_ring_empty(e->done[w][producer]))
			return 1;
	return e->rdone[producer] && !rte_ring_empty(e->rdone[producer]);
}

int akma_engine_arm(struct akma_engine *e, unsigned producer)
{
	struct akma_doorbell *bell = &e->producers[producer].bell;

	akma_doorbell_arm(bell);
	if (completions_pending(e, producer)) {
		akma_doorbell_disarm(bell);
		return -EAGAIN;
	}
	return bell->fd;
}

void akma_engine_disarm(struct akma_engine *e, unsigned producer)
{
	akma_doorbell_disarm(&e->producers[producer].bell);
	akma_doorbell_drain(&e->producers[producer].bell);
}

int akma_engine_wait(struct akma_engine *e, unsigned producer, unsigned timeout_us)
{
	if (akma_engine_arm(e, producer) < 0)
		return 1;
	return akma_doorbell_wait(&e->producers[producer].bell, timeout_us);
}

/* ---- replication ----------------------------------------------------------------------------- */

unsigned akma_engine_repl_take(struct akma_engine *e, struct akma_req **out, unsigned max)
{
	unsigned got = 0;

	if (e->p.repl == AKMA_REPL_OFF)
		return 0;
	for (unsigned i = 0; i < e->n_workers && got < max; i++) {
		unsigned w = (e->repl_next + i) % e->n_workers;
		got += rte_ring_sc_dequeue_burst(e->repl[w], (void **)(out + got), max - got, NULL);
	}
	e->repl_next++;
	return got;
}

int akma_engine_repl_wait(struct akma_engine *e, unsigned timeout_us)
{
	akma_doorbell_arm(&e->repl_bell);
	for (unsigned w = 0; w < e->n_workers; w++)
		if (e->repl[w] && !rte_ring_empty(e->repl[w])) {
			akma_doorbell_disarm(&e->repl_bell);
			return 1;
		}
	return akma_doorbell_wait(&e->repl_bell, timeout_us);
}

void akma_engine_repl_wake(struct akma_engine *e)
{
	akma_doorbell_ring(&e->repl_bell);
}

void akma_engine_repl_done(struct akma_engine *e, struct akma_req **reqs, unsigned n)
{
	uint64_t rung = 0; /* the producers with a completion in this call */
	/* A batch's requests have waited a Redis round trip since they were
	 * read and are out of the near caches again: fetch `ahead` of them
	 * early, the two lines this touches (the producer in the header,
	 * K_AKMA). */
	const unsigned ahead = 4;
	for (unsigned i = 0; i < n && i < ahead; i++) {
		__builtin_prefetch(reqs[i], 1);
		__builtin_prefetch(reqs[i]->kakma, 1);
	}
	for (unsigned i = 0; i < n; i++) {
		if (i + ahead < n) {
			__builtin_prefetch(reqs[i + ahead], 1);
			__builtin_prefetch(reqs[i + ahead]->kakma, 1);
		}
		explicit_bzero(reqs[i]->kakma, AKMA_KEY_LEN);
		if (e->p.repl == AKMA_REPL_SYNC) {
			/* Sized to the pool: always room. */
			rte_ring_sp_enqueue(e->rdone[reqs[i]->producer], reqs[i]);
			rung |= 1ull << reqs[i]->producer;
		} else {
			rte_mempool_put(e->pool, reqs[i]);
		}
	}
	for (unsigned q = 0; rung; q++, rung >>= 1)
		if (rung & 1)
			akma_doorbell_ring(&e->producers[q].bell);
	__atomic_fetch_sub(&e->repl_backlog, n, __ATOMIC_RELAXED);
}

void akma_engine_set_lease(struct akma_engine *e, uint64_t until_tsc)
{
	__atomic_store_n(&e->lease_until, until_tsc, __ATOMIC_RELEASE);
}

uint64_t akma_engine_lease(const struct akma_engine *e)
{
	return __atomic_load_n(&e->lease_until, __ATOMIC_ACQUIRE);
}

void akma_engine_set_writes(struct akma_engine *e, int accept)
{
	__atomic_store_n(&e->writes, accept != 0, __ATOMIC_RELAXED);
}

int akma_engine_writes(const struct akma_engine *e)
{
	return __atomic_load_n(&e->writes, __ATOMIC_RELAXED);
}

uint64_t akma_engine_repl_backlog(const struct akma_engine *e)
{
	return __atomic_load_n(&e->repl_backlog, __ATOMIC_RELAXED);
}

enum akma_repl_mode akma_engine_repl_mode(const struct akma_engine *e)
{
	return e->p.repl;
}

/* ---- introspection ----------------------------------------------------------------------------- */

unsigned akma_engine_workers(const struct akma_engine *e)
{
	return e->n_workers;
}

unsigned akma_engine_worker_lcore(const struct akma_engine *e, unsigned w)
{
	return e->workers[w].lcore;
}

void akma_engine_worker_stats(const struct akma_engine *e, unsigned w, struct akma_worker_stats *st)
{
	const uint64_t *src = (const uint64_t *)&e->workers[w].st;
	uint64_t *dst = (uint64_t *)st;

	for (size_t i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void akma_engine_producer_stats(const struct akma_engine *e, unsigned p,
				struct akma_producer_stats *st)
{
	*st = e->producers[p].st;
}

void akma_engine_set_kaf_life(struct akma_engine *e, uint64_t ms)
{
	__atomic_store_n(&e->p.kaf_life_ms, ms, __ATOMIC_RELAXED);
}

enum akma_mb_arch akma_engine_mb_arch(const struct akma_engine *e)
{
	return e->arch;
}
