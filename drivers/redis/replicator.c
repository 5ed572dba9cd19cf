/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The replication thread (see replicator.h). One loop, two roles: a
 * standby follows until it is promoted, then runs the primary's loop; a
 * primary never goes back to following (a demoted primary serves nothing,
 * and is restarted by its operator as a standby).
 *
 * One primary at a time, reads included. The lease is a Redis key holding
 * the primary's id with an expiry of L (replication.lease). Let M = L/10
 * be the safety margin. The primary renews every L/3; a renewal sent at
 * time t (this host's TSC, read before the command leaves) that Redis
 * answers with success lets the engine serve until t + L - M
 * (akma_engine_set_lease(): the workers compare the TSC as they answer
 * each burst, so no thread has to act at the deadline, and a replication
 * thread stuck on a dead Redis cannot keep it serving). Redis set the key's
 * expiry when it ran the command, after t, so the key lives at least until
 * t + L: the primary stops serving at least M before any other akmad can
 * take the lease. A standby takes the lease only with SET NX, which
 * succeeds once the key has expired; it then waits M more before it
 * serves. Between the old primary's last answer and the new primary's
 * first there are at least 2M, which absorbs clock-rate differences (the
 * TSC and Redis's clock agree to parts per million; 2M/L is 20%), answers
 * already on their way out (microseconds), and Redis expiring the key
 * late, never early. A promotion on request (akmactl promote) overwrites a
 * live lease, so the old primary may serve until its own deadline: the
 * promoted standby waits a whole L before serving. When the renewal fails
 * (Redis unreachable, out of memory, a replica), nothing is extended and
 * the engine stops serving at the deadline by itself; with
 * redis.wait_replicas set, a renewal counts only once that many replicas
 * have it (WAIT), so a Redis failover cannot lose the lease a primary is
 * serving under. What this costs: while Redis is unreachable for longer
 * than L - M - L/3, no node serves; the README says how to choose L
 * against Sentinel's failover time so that a Redis failover does not stop
 * reads. The lease is as durable as Redis: a Redis that loses the key
 * early (restarted without persistence, no replicas waited for) breaks the
 * argument, as it loses acknowledged writes.
 */
#include "secmem.h"
#include "replicator.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_log.h>
#include <urcu/urcu-qsbr.h>

#include "err.h"
#include "clock.h"

#define BATCH 512
#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 1000

static int repl_log = -1;
#define LOG(level, ...) rte_log(RTE_LOG_##level, (uint32_t)repl_log, "akma.repl: " __VA_ARGS__)

struct akma_replicator {
	struct akma_replicator_params p;
	struct akma_redis *redis;
	pthread_t thread;
	int stop;            /* atomic: 1 stop when drained, 2 stop now */
	int promote;         /* atomic */
	int primary;         /* atomic */
	uint64_t give_up_ms; /* with stop: when to stop waiting for Redis */
	struct akma_replicator_stats st;
	char server[280];
	char id[128];
	uint64_t acquired_tsc; /* when the lease was taken: serving waits for the margin */
	int serving;           /* renewals extend the engine's lease (after the takeover wait) */
	int lapse_logged;      /* the engine's lease ran out, said once */
	/* batches sent to Redis, oldest first, not yet acknowledged */
	struct batch {
		struct akma_req *req[BATCH];
		unsigned n;
	} inflight[AKMA_REDIS_MAX_BATCHES];
	unsigned n_inflight;
};

static void set_stat(uint64_t *field, uint64_t v)
{
	__atomic_store_n(field, v, __ATOMIC_RELAXED);
}

static void add_stat(uint64_t *field, uint64_t by)
{
	__atomic_store_n(field, *field + by, __ATOMIC_RELAXED);
}

static void log_bad(const char *key, int err)
{
	LOG(WARNING, "record %s skipped: %s\n", key, akma_strerror(err));
}

/* ---- primary ----------------------------------------------------------------------------- */

/* The lines of a request a write reads: its header, the identities after
 * it (an A-KID, a SUPI and a GPSI fill two lines at most in practice; a
 * longer one is read without the head start) and K_AKMA with its creation
 * time among the cold fields. */
static inline void prefetch_write(const struct akma_req *q)
{
	const uint8_t *p = (const uint8_t *)q;
	__builtin_prefetch(p);
	__builtin_prefetch(p + offsetof(struct akma_req, data));
	__builtin_prefetch(p + offsetof(struct akma_req, data) + 64);
	__builtin_prefetch(p + offsetof(struct akma_req, kakma));
	__builtin_prefetch(p + offsetof(struct akma_req, created_ms));
}

/* How far ahead of the write being queued its successors' lines are
 * fetched. A batch's requests were written by a worker up to a whole
 * backlog earlier and are out of the near caches: the first read of each
 * (its type) took 68 % of queue_batch's cpu-clock samples, its K_AKMA 17 %
 * (perf, akma-bench replication, Zen 1). */
#define PREFETCH_AHEAD 4

/* Queue a batch's writes. K_AKMA stays in the requests until the batch is
 * acknowledged (a resend wraps it again); the copy here is wiped. Returns 0,
 * or the first failure with what was queued of the batch discarded: a batch
 * goes to Redis whole or not at all, so no write of it can be acknowledged
 * without Redis having been sent it. */
static int queue_batch(struct akma_replicator *r, const struct batch *b, uint64_t now)
{
	struct akma_repl_ctx c;
	static struct akma_redis_change ch[BATCH]; /* this thread's only */
	int rc = 0;

	for (unsigned i = 0; i < b->n && i < PREFETCH_AHEAD; i++)
		prefetch_write(b->req[i]);
	for (unsigned i = 0; i < b->n && rc == 0; i++) {
		struct akma_req *q = b->req[i];
		if (i + PREFETCH_AHEAD < b->n)
			prefetch_write(b->req[i + PREFETCH_AHEAD]);
		ch[i] = (struct akma_redis_change){akma_req_ueid(q), q->ueid_len,
						   q->type != AKMA_REQ_REGISTER};
		if (q->type == AKMA_REQ_REGISTER) {
			c.akid_len = q->akid_len;
			memcpy(c.akid, akma_req_akid(q), q->akid_len);
			c.ueid_len = q->ueid_len;
			memcpy(c.ueid, akma_req_ueid(q), q->ueid_len);
			c.ueid_type = q->ueid_type;
			memcpy(c.kakma, q->kakma, AKMA_KEY_LEN);
			c.created_ms = q->created_ms;
			c.eol_ms = q->expiry_ms;
			c.gpsi_len = q->gpsi_len;
			memcpy(c.gpsi, akma_req_gpsi(q), q->gpsi_len);
			rc = akma_redis_put(r->redis, &c, now);
			explicit_bzero(c.kakma, AKMA_KEY_LEN);
		} else {
			rc = akma_redis_del(r->redis, akma_req_ueid(q), q->ueid_len);
		}
	}
	/* The change feed entry after the writes it names, before the WAIT. */
	if (rc == 0)
		rc = akma_redis_feed(r->redis, ch, b->n, now, r->p.feed_window_ms);
	if (rc == 0 && r->p.wait_replicas)
		rc = akma_redis_wait(r->redis, r->p.wait_replicas, r->p.wait_timeout_ms);
	if (rc)
		akma_redis_discard(r->redis);
	return rc;
}

/* Queue and send one batch. */
static int send_batch(struct akma_replicator *r, const struct batch *b, uint64_t now, char *why,
		      size_t why_size)
{
	int rc = queue_batch(r, b, now);
	if (rc) {
		snprintf(why, why_size, "a batch of %u writes could not be queued: %s", b->n,
			 akma_strerror(rc));
		return rc;
	}
	return akma_redis_send(r->redis, why, why_size);
}

/* A batch is safe (or given up): answer it. */
static void finish_batch(struct akma_replicator *r, struct batch *b, enum akma_status status)
{
	if (!b->n)
		return;
	uint64_t age = (rte_rdtsc() - b->req[0]->t_submit) * 1000 / rte_get_tsc_hz();
	for (unsigned i = 0; status != AKMA_ST_OK && i < b->n; i++)
		b->req[i]->status = (uint8_t)status;
	akma_engine_repl_done(r->p.engine, b->req, b->n); /* wipes each K_AKMA */
	if (status == AKMA_ST_OK) {
		add_stat(&r->st.written, b->n);
		add_stat(&r->st.batches, 1);
		set_stat(&r->st.lag_ms, age);
	}
	b->n = 0;
}

/* The oldest batch in flight is done: answer it, move the next up. */
static void retire_oldest(struct akma_replicator *r, enum akma_status status)
{
	finish_batch(r, &r->inflight[0], status);
	for (unsigned i = 1; i < r->n_inflight; i++) {
		r->inflight[i - 1] = r->inflight[i];
		r->inflight[i].n = 0;
	}
	r->n_inflight--;
}

static uint64_t ms_to_tsc(uint64_t ms)
{
	return ms * rte_get_tsc_hz() / 1000;
}

static uint64_t margin_ms(const struct akma_replicator *r)
{
	return r->p.lease_ms / 10 ? r->p.lease_ms / 10 : 1;
}

/* Renew the lease (and, with replicas to wait for, WAIT for them). Returns
 * 1 renewed (t_sent: the TSC before it was sent), 0 held by holder, or < 0. */
static int renew(struct akma_replicator *r, uint64_t *t_sent, char *holder, size_t holder_size)
{
	*t_sent = rte_rdtsc();
	int rc = akma_redis_lease_renew(r->redis, r->id, r->p.lease_ms, holder, holder_size);
	if (rc == 1 && r->p.wait_replicas)
		rc = akma_redis_lease_replicated(r->redis, r->p.wait_replicas,
						 r->p.wait_timeout_ms);
	return rc;
}

/* Serve until the renewal sent at t_sent runs out, less the margin. */
static void extend(struct akma_replicator *r, uint64_t t_sent)
{
	uint64_t until = t_sent + ms_to_tsc(r->p.lease_ms - margin_ms(r));
	if (!r->serving)
		return;
	if (until > akma_engine_lease(r->p.engine))
		akma_engine_set_lease(r->p.engine, until);
	if (r->lapse_logged) {
		r->lapse_logged = 0;
		LOG(NOTICE, "the lease is renewed: serving again\n");
	}
}

/* The engine's lease ran out without a renewal: said once, when seen. */
static void note_lapse(struct akma_replicator *r)
{
	if (r->serving && !r->lapse_logged && rte_rdtsc() >= akma_engine_lease(r->p.engine)) {
		r->lapse_logged = 1;
		LOG(ERR, "the lease was not renewed in time: this akmad serves nothing (reads "
			 "included) until it is\n");
	}
}

/* Returns what the renewal returned: 1, 0 (demoted now), or < 0. */
static int check_lease(struct akma_replicator *r)
{
	char holder[128];
	uint64_t t_sent;
	int rc = renew(r, &t_sent, holder, sizeof(holder));

	if (rc == 1) {
		extend(r, t_sent);
	} else if (rc == 0) {
		akma_engine_set_lease(r->p.engine, 0);
		LOG(ERR,
		    "the lease is held by %s: this akmad is no longer primary and serves "
		    "nothing from now on\n",
		    holder);
		set_stat(&r->st.state, AKMA_REPLICATOR_DEMOTED);
		akma_engine_set_writes(r->p.engine, 0);
	} else {
		note_lapse(r);
	}
	return rc;
}

/* The takeover wait: hold the lease for ms without serving (renewing it as
 * usual), so that the primary before this one has stopped. Returns 1, or
 * 0 when stopped or demoted meanwhile. */
static int takeover_wait(struct akma_replicator *r, uint64_t ms)
{
	uint64_t end = r->acquired_tsc + ms_to_tsc(ms), next = 0;
	char holder[128];

	while (rte_rdtsc() < end) {
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			return 0;
		uint64_t now = rte_rdtsc(), t_sent;
		if (now >= next) {
			next = now + ms_to_tsc(r->p.lease_ms / 3);
			if (renew(r, &t_sent, holder, sizeof(holder)) == 0) {
				LOG(ERR, "during the takeover wait the lease went to %s\n", holder);
				set_stat(&r->st.state, AKMA_REPLICATOR_DEMOTED);
				return 0;
			}
		}
		akma_sleep_ms(5);
	}
	r->serving = 1;
	return 1;
}

/* Reconnect until Redis answers and renews the lease, or a stop gives up.
 * Returns 0 when connected (and primary, or found demoted).
 *
 * A connection is not enough: a Redis out of memory accepts connections
 * and answers every write, the lease's included, with an error. Taking that
 * for a renewal once re-enabled writes that could not be written, and
 * logged some 60 lines a second; a failed renewal is a failure here, said
 * once per episode like the connection's. */
static int reconnect(struct akma_replicator *r, const char *reason)
{
	unsigned backoff = BACKOFF_MIN_MS;
	char why[512];
	int logged = 0, lease_logged = 0;

	if (akma_engine_repl_mode(r->p.engine) == AKMA_REPL_SYNC &&
	    __atomic_load_n(&r->st.state, __ATOMIC_RELAXED) != AKMA_REPLICATOR_DEMOTED)
		akma_engine_set_writes(r->p.engine, 0);
	set_stat(&r->st.state, AKMA_REPLICATOR_DOWN);
	LOG(ERR, "%s; writes %s until Redis is back\n", reason,
	    akma_engine_repl_mode(r->p.engine) == AKMA_REPL_SYNC ? "refused" : "queued");
	for (;;) {
		int stop = __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
		if (stop == 2 || (stop && akma_wall_ms() >= r->give_up_ms))
			return -1;
		akma_sleep_ms(backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
		add_stat(&r->st.reconnects, 1);
		if (akma_redis_reconnect(r->redis, why, sizeof(why)) != 0) {
			if (!logged++)
				LOG(WARNING, "reconnecting: %s\n", why);
			continue;
		}
		/* Still the primary? (A standby may have taken over meanwhile.) */
		int rc = check_lease(r);
		if (rc == 0)
			return 0; /* demoted: check_lease said so */
		if (rc > 0)
			break;
		if (!lease_logged++)
			LOG(WARNING,
			    "redis %s answers, but the lease could not be renewed (%s): out of "
			    "memory, or a replica? trying again\n",
			    akma_redis_server(r->redis), akma_strerror(rc));
	}
	snprintf(r->server, sizeof(r->server), "%s", akma_redis_server(r->redis));
	set_stat(&r->st.state, AKMA_REPLICATOR_UP);
	akma_engine_set_writes(r->p.engine, 1);
	LOG(NOTICE, "connected to redis %s again, the lease renewed; writes accepted again\n",
	    r->server);
	return 0;
}

/* Send every batch in flight again, in order (after a reconnection, or
 * when a WAIT fell short): SET and DEL are idempotent, and resending all of
 * them in order keeps each subscriber's last write last. */
static int resend_all(struct akma_replicator *r, char *why, size_t why_size)
{
	uint64_t now = akma_wall_ms();
	for (unsigned i = 0; i < r->n_inflight; i++) {
		int rc = send_batch(r, &r->inflight[i], now, why, why_size);
		if (rc)
			return rc;
	}
	return 0;
}

/* Batches in flight to Redis, each at most a quarter of the writes handed
 * on (BATCH_MIN to BATCH). Redis applies one while this thread wraps the
 * next; with a small backlog (in sync mode the producers' whole window,
 * since each write waits for its answer) up to four smaller ones are out
 * at once, so that the answers to one come back and its producers send
 * more while Redis works on the others. Two batches of whatever waited
 * split a window of 512 in two, each sent only once the other was
 * answered: Redis was busy 64 % of the time, akmad 44 %, barely at once.
 * akma-bench replication, 4 interleaved runs (2026-12-03, slow hour):
 * sync at 512 in flight 0.60-0.94x the MSET ceiling (median 0.74) against
 * 0.43-0.49x, at 4096 0.69-0.90x (0.745) against 0.64-0.81x (0.675);
 * akmad's CPU per sync registration 0.94-1.33 us against 0.96-1.10 at
 * 512, 0.86-1.08 against 0.81-1.48 at 4096. Four batches of a quarter
 * each, taken as soon as a slot was free, won as much at 512 but lost at
 * 4096 (0.61-0.90x): the batches shrank to 280-390 writes. Stop-and-wait
 * (one batch) kept Redis idle while the thread worked. */
#define BATCH_MIN 64

/* The next batch's size, or 0 to send none yet: with two at Redis, a third
 * and a fourth go only while batches are below BATCH, and only once whole. */
static unsigned batch_size(const struct akma_replicator *r)
{
	uint64_t backlog = akma_engine_repl_backlog(r->p.engine), sent = 0;
	uint64_t n = backlog / AKMA_REDIS_MAX_BATCHES;
	n = n < BATCH_MIN ? BATCH_MIN : n > BATCH ? BATCH : n;
	for (unsigned i = 0; i < r->n_inflight; i++)
		sent += r->inflight[i].n;
	if (r->n_inflight >= 2 && (n == BATCH || backlog < sent + n))
		return 0;
	return (unsigned)n;
}

/* next_lease: when the first renewal of the loop is due (wall ms; 0: at
 * once). */
static void primary_loop(struct akma_replicator *r, uint64_t next_lease)
{
	char why[512];
	unsigned idle = 0;

	for (;;) {
		uint64_t now = akma_wall_ms();
		int stop = __atomic_load_n(&r->stop, __ATOMIC_ACQUIRE);
		int demoted =
			__atomic_load_n(&r->st.state, __ATOMIC_RELAXED) == AKMA_REPLICATOR_DEMOTED;
		int lease_due = now >= next_lease && !demoted;
		/* The lease goes over the same connection: only with nothing in
		 * flight. Also how a Redis that died while nothing was written is
		 * noticed, so sync writes are refused rather than held. */
		note_lapse(r);
		if (lease_due && r->n_inflight == 0) {
			next_lease = now + r->p.lease_ms / 3;
			int rc = check_lease(r);
			if (rc < 0 &&
			    reconnect(r, rc == -EAGAIN ? "the lease renewal did not reach "
							 "redis.wait_replicas replicas"
						       : "redis stopped answering") != 0)
				break;
			continue;
		}
		struct batch *b = &r->inflight[r->n_inflight];
		int took = 0;
		if (!lease_due && r->n_inflight < AKMA_REDIS_MAX_BATCHES) {
			unsigned size = batch_size(r);
			b->n = size ? akma_engine_repl_take(r->p.engine, b->req, size) : 0;
			took = b->n > 0;
		}
		if (took && demoted) {
			/* Another akmad owns Redis now: these must not overwrite it. */
			finish_batch(r, b, AKMA_ST_INTERNAL);
			continue;
		}
		int rc = 0;
		if (took) {
			r->n_inflight++;
			rc = send_batch(r, b, now, why, sizeof(why));
			idle = 0;
			if (rc == 0 && r->n_inflight < AKMA_REDIS_MAX_BATCHES)
				continue; /* prepare the next while Redis works */
		}
		if (rc == 0 && r->n_inflight) {
			rc = akma_redis_receive(r->redis, why, sizeof(why));
			if (rc == 0) {
				retire_oldest(r, AKMA_ST_OK);
				if (!akma_engine_writes(r->p.engine) &&
				    __atomic_load_n(&r->st.state, __ATOMIC_RELAXED) ==
					    AKMA_REPLICATOR_UP) {
					akma_engine_set_writes(r->p.engine, 1);
					LOG(NOTICE,
					    "Redis replicas caught up; writes accepted again\n");
				}
				continue;
			}
		}
		if (rc == 0) {
			if (stop)
				return; /* drained */
			/* Idle: asleep until a worker hands on a write (its doorbell),
			 * at most 1 ms, so that the lease and a lapse are seen in time.
			 * It spun 100 nanosleep(0)s before its 1 ms naps, on the CPU the
			 * producer and the worker needed to send the next writes. */
			if (idle++ == 0) { /* the last batch's keys, out of a dump */
				akma_secmem_clear_registers();
				akma_secmem_clear_stack();
			}
			akma_engine_repl_wait(r->p.engine, 1000);
			continue;
		}
		add_stat(&r->st.failures, 1);
		if (rc == -EAGAIN) {
			/* Redis took the writes, too few of its replicas did: not safe
			 * from a Redis failover. Refuse new writes (sync) and send these
			 * again until the replicas have them. */
			if (akma_engine_repl_mode(r->p.engine) == AKMA_REPL_SYNC &&
			    akma_engine_writes(r->p.engine)) {
				akma_engine_set_writes(r->p.engine, 0);
				LOG(WARNING, "%s; writes refused until they do\n", why);
			}
			/* Read what else is in flight before sending it all again. */
			unsigned drained = 0;
			while (r->n_inflight > 1 + drained && rc != -EIO) {
				rc = akma_redis_receive(r->redis, why, sizeof(why));
				drained++;
			}
			akma_sleep_ms(BACKOFF_MIN_MS);
			if (rc != -EIO) {
				if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE) &&
				    akma_wall_ms() >= r->give_up_ms)
					break;
				rc = resend_all(r, why, sizeof(why));
				if (rc == 0)
					continue;
			}
		}
		/* A failed connection (or an error reply): reconnect, send it all again. */
		for (;;) {
			if (reconnect(r, why) != 0)
				goto give_up;
			if (resend_all(r, why, sizeof(why)) == 0)
				break;
		}
	}
give_up:
	/* Given up at stop with Redis away: none of these was acknowledged. */
	while (r->n_inflight)
		retire_oldest(r, AKMA_ST_INTERNAL);
	struct batch *b = &r->inflight[0];
	while ((b->n = akma_engine_repl_take(r->p.engine, b->req, BATCH)) != 0)
		finish_batch(r, b, AKMA_ST_INTERNAL);
}

/* ---- standby ------------------------------------------------------------------------------------ */

/* Follow until promoted (returns 1 when the lease was free, 2 when it was
 * taken from a live primary on request) or stopped (0). */
static int standby_loop(struct akma_replicator *r)
{
	struct akma_ctx_store *s = akma_engine_store(r->p.engine);
	struct akma_redis_follow_stats fs = {0};
	uint64_t next_lease = 0;
	char holder[128], why[512];

	for (;;) {
		int overwrote = 0;
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			return 0;
		uint64_t now = akma_wall_ms();
		int forced = __atomic_exchange_n(&r->promote, 0, __ATOMIC_ACQ_REL);
		if (forced || now >= next_lease) {
			int rc = forced ? akma_redis_lease_renew(r->redis, r->id, r->p.lease_ms,
								 holder, sizeof(holder))
					: akma_redis_lease_acquire(r->redis, r->id, r->p.lease_ms,
								   holder, sizeof(holder));
			if (forced && rc == 0) {
				/* Taking it from a live primary: overwrite the lease. */
				akma_redis_lease_release(r->redis, holder);
				overwrote = 1;
				rc = akma_redis_lease_acquire(r->redis, r->id, r->p.lease_ms,
							      holder, sizeof(holder));
				if (rc == 0)
					LOG(WARNING, "promotion: %s still holds the lease\n",
					    holder);
			}
			if (rc == 1) {
				r->acquired_tsc = rte_rdtsc();
				LOG(NOTICE,
				    "promoted%s: this akmad is primary now, serving in %u ms\n",
				    overwrote ? " on request, from a live primary"
				    : forced  ? " on request"
					      : " (the primary's lease expired)",
				    (unsigned)(overwrote ? r->p.lease_ms : margin_ms(r)));
				return overwrote ? 2 : 1;
			}
			next_lease = now + r->p.lease_ms / 3;
			if (rc < 0)
				goto lost;
		}
		urcu_qsbr_thread_online();
		int got = akma_redis_follow_poll(r->redis, s, now, 20, &fs, log_bad);
		akma_ctx_flush(s);
		urcu_qsbr_thread_offline();
		set_stat(&r->st.followed, fs.registered + fs.removed);
		set_stat(&r->st.follow_bad, fs.bad);
		if (got >= 0)
			continue;
lost:
		/* Reconnect, then catch up from the change feed where this standby
		 * stopped; reload only when the feed no longer reaches back. */
		LOG(WARNING, "standby lost redis %s; reconnecting\n", r->server);
		uint64_t lost_at = akma_mono_ms();
		int resumed;
		for (unsigned backoff = BACKOFF_MIN_MS;;
		     backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2) {
			if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
				return 0;
			akma_sleep_ms(backoff);
			add_stat(&r->st.reconnects, 1);
			if (akma_redis_reconnect(r->redis, why, sizeof(why)) == 0 &&
			    (resumed = akma_redis_follow_resume(r->redis, why, sizeof(why))) >= 0)
				break;
		}
		snprintf(r->server, sizeof(r->server), "%s", akma_redis_server(r->redis));
		if (resumed) {
			uint64_t t0 = akma_mono_ms(), before = fs.events;
			int got;
			urcu_qsbr_thread_online();
			while ((got = akma_redis_follow_poll(r->redis, s, akma_wall_ms(), 0, &fs,
							     log_bad)) > 0)
				;
			akma_ctx_flush(s);
			urcu_qsbr_thread_offline();
			if (got < 0)
				goto lost;
			add_stat(&r->st.resumes, 1);
			LOG(NOTICE,
			    "standby caught up from the change feed: %llu changes in %llu ms, "
			    "%llu ms after losing redis %s\n",
			    (unsigned long long)(fs.events - before),
			    (unsigned long long)(akma_mono_ms() - t0),
			    (unsigned long long)(akma_mono_ms() - lost_at), r->server);
			continue;
		}
		struct akma_redis_load_stats ls;
		urcu_qsbr_thread_online();
		int rc = akma_redis_load(r->redis, s, akma_wall_ms, &ls, log_bad, NULL);
		urcu_qsbr_thread_offline();
		add_stat(&r->st.reloads, 1);
		LOG(NOTICE,
		    "standby reloaded %llu contexts from redis %s%s: the change feed no longer "
		    "reached back to where it stopped\n",
		    (unsigned long long)ls.loaded, r->server, rc ? " (interrupted)" : "");
	}
}

static void *thread_main(void *arg)
{
	struct akma_replicator *r = arg;

	urcu_qsbr_register_thread();
	urcu_qsbr_thread_offline();
	if (r->p.standby) {
		int how = standby_loop(r);
		/* Taken on request from a live primary: it may serve until its own
		 * deadline, a lease from its last renewal. Expired: the margin. */
		if (!how || !takeover_wait(r, how == 2 ? r->p.lease_ms : margin_ms(r)))
			goto out;
		set_stat(&r->st.promoted_at_ms, akma_wall_ms());
		set_stat(&r->st.state, AKMA_REPLICATOR_UP);
		akma_engine_set_writes(r->p.engine, 1);
	} else if (!takeover_wait(r, margin_ms(r))) {
		goto out;
	}
	/* Serving from this renewal on (a failed one is primary_loop's to
	 * handle): akmad opens its sockets once primary says so. */
	int renewed = check_lease(r) == 1;
	__atomic_store_n(&r->primary, 1, __ATOMIC_RELEASE);
	primary_loop(r, renewed ? akma_wall_ms() + r->p.lease_ms / 3 : 0);
out:
	urcu_qsbr_thread_online();
	urcu_qsbr_unregister_thread();
	return NULL;
}

struct akma_replicator *akma_replicator_start(const struct akma_replicator_params *p, char *why,
					      size_t why_size)
{
	struct akma_replicator *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	if (repl_log < 0)
		repl_log = rte_log_register_type_and_pick_level("akma.repl", RTE_LOG_NOTICE);
	r->p = *p;
	r->redis = p->redis;
	snprintf(r->id, sizeof(r->id), "%s", p->id);
	r->p.id = r->id;
	if (!r->p.lease_ms)
		r->p.lease_ms = 3000;
	if (!r->p.feed_window_ms)
		r->p.feed_window_ms = 60000;
	r->acquired_tsc = p->acquired_tsc;
	/* Nothing is served until a renewal after the takeover wait says so. */
	akma_engine_set_lease(p->engine, 0);
	snprintf(r->server, sizeof(r->server), "%s", akma_redis_server(r->redis));
	r->st.state = p->standby ? AKMA_REPLICATOR_STANDBY : AKMA_REPLICATOR_UP;
	r->primary = 0; /* until it serves: after the takeover wait */
	akma_engine_set_writes(p->engine, !p->standby);
	int rc = pthread_create(&r->thread, NULL, thread_main, r);
	if (rc) {
		snprintf(why, why_size, "replication thread: %s", strerror(rc));
		free(r);
		return NULL;
	}
	pthread_setname_np(r->thread, "akma-repl");
	return r;
}

void akma_replicator_promote(struct akma_replicator *r)
{
	__atomic_store_n(&r->promote, 1, __ATOMIC_RELEASE);
}

int akma_replicator_is_primary(const struct akma_replicator *r)
{
	return __atomic_load_n(&r->primary, __ATOMIC_ACQUIRE);
}

void akma_replicator_stats(const struct akma_replicator *r, struct akma_replicator_stats *st)
{
	const uint64_t *src = (const uint64_t *)&r->st;
	uint64_t *dst = (uint64_t *)st;
	for (size_t i = 0; i < sizeof(*st) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

const char *akma_replicator_server(const struct akma_replicator *r)
{
	return r->server;
}

void akma_replicator_stop(struct akma_replicator *r, unsigned timeout_ms)
{
	if (!r)
		return;
	r->give_up_ms = akma_wall_ms() + timeout_ms;
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELEASE);
	akma_engine_repl_wake(r->p.engine);
	pthread_join(r->thread, NULL);
	akma_engine_set_lease(r->p.engine, 0); /* before another may take it */
	if (__atomic_load_n(&r->primary, __ATOMIC_ACQUIRE) &&
	    __atomic_load_n(&r->st.state, __ATOMIC_RELAXED) != AKMA_REPLICATOR_DEMOTED)
		akma_redis_lease_release(r->redis, r->id);
	akma_redis_close(r->redis);
	free(r);
}
