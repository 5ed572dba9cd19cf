/* SPDX-License-Identifier: BSD-3-Clause */
/* The engine core through its rings, with a real worker lcore: K_AF answers
 * against the independent scalar derivation, replace, remove, every error
 * status, writes for one SUPI applied in order, back-pressure on a full ring
 * (nothing lost), clean shutdown with every accepted request answered, and
 * the per-worker counters; then the replication hand-off in sync and async
 * modes (held writes, copies, refusal when writes are off or the backlog is
 * full, the store untouched by refused writes); then ring order through the
 * workers' burst pipeline, on and off. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <urcu/urcu-qsbr.h>

#include <rte_eal.h>
#include <rte_lcore.h>

#include "check.h"

#include "ctx.h"
#include "err.h"
#include "kdf.h"
#include "eal.h"
#include "worker.h"

static struct akma_engine *e;
static unsigned prod;

static struct akma_req *req(void)
{
	struct akma_req *r;
	CHECK(akma_engine_req_alloc(e, &r, 1) == 0, "request pool");
	memset(r, 0, sizeof(*r));
	return r;
}

/* Lengths first, then the packed identities through the accessors. */
static struct akma_req *reg_req(const char *supi, const char *akid, const uint8_t key[32])
{
	struct akma_req *r = req();
	r->type = AKMA_REQ_REGISTER;
	r->akid_len = (uint8_t)strlen(akid);
	r->ueid_len = (uint16_t)strlen(supi);
	memcpy(akma_req_akid(r), akid, r->akid_len);
	memcpy(akma_req_ueid(r), supi, r->ueid_len);
	memcpy(r->kakma, key, 32);
	return r;
}

static struct akma_req *get_req(const char *akid, const char *fqdn, int anon)
{
	struct akma_req *r = req();
	size_t n = strlen(fqdn);
	r->type = AKMA_REQ_GET_KAF;
	r->flags = anon ? AKMA_REQ_ANONYMOUS : 0;
	r->akid_len = (uint8_t)strlen(akid);
	r->af_id_len = (uint16_t)(n + 5);
	memcpy(akma_req_akid(r), akid, r->akid_len);
	memcpy(akma_req_af_id(r), fqdn, n);
	memcpy(akma_req_af_id(r) + n, akma_ua_id_tls13_psk, 5);
	return r;
}

static struct akma_req *rm_req(const char *supi)
{
	struct akma_req *r = req();
	r->type = AKMA_REQ_REMOVE;
	r->ueid_len = (uint16_t)strlen(supi);
	memcpy(akma_req_ueid(r), supi, r->ueid_len);
	return r;
}

/* Submit n requests and wait for all of them (bounded: 5 s). */
static void run(struct akma_req **r, unsigned n)
{
	struct akma_req *rej[64], *out[64];
	unsigned n_rej, got = 0;
	CHECK(akma_engine_submit(e, prod, r, n, rej, &n_rej) == n && n_rej == 0, "all accepted");
	time_t give_up = time(NULL) + 5;
	while (got < n && time(NULL) < give_up)
		got += akma_engine_poll(e, prod, out, 64);
	CHECK(got == n, "all %u answered (%u)", n, got);
}

static void release(struct akma_req **r, unsigned n)
{
	akma_engine_req_free(e, r, n);
}

static void answers(void)
{
	uint8_t k1[32], k2[32], want[32];
	struct akma_af_id af;

	for (int i = 0; i < 32; i++) {
		k1[i] = (uint8_t)(i + 1);
		k2[i] = (uint8_t)(0xa0 + i);
	}
	struct akma_req *r[4] = {reg_req("imsi-001010000000001", "1.one@akma.example", k1),
				 get_req("1.one@akma.example", "af.example.com", 0),
				 get_req("1.one@akma.example", "af.example.com", 1),
				 get_req("nobody@akma.example", "af.example.com", 0)};
	uint64_t before = (uint64_t)time(NULL) * 1000;
	run(r, 4);
	CHECK(r[0]->status == AKMA_ST_OK, "register ok (%u)", r[0]->status);
	CHECK(r[1]->status == AKMA_ST_OK, "get ok after register in the same burst (%u)",
	      r[1]->status);
	akma_af_id_set(&af, "af.example.com", 14, akma_ua_id_tls13_psk);
	akma_derive_kaf(k1, &af, want);
	CHECK(memcmp(r[1]->kaf, want, 32) == 0, "K_AF equals the scalar derivation");
	CHECK(r[1]->ueid_len == 20 && memcmp(akma_req_ueid(r[1]), "imsi-001010000000001", 20) == 0,
	      "SUPI returned");
	CHECK(r[1]->expiry_ms >= before + 3600 * 1000 && r[1]->expiry_ms <= before + 3602 * 1000,
	      "K_AF expiry = now + 1 h (%llu)", (unsigned long long)(r[1]->expiry_ms - before));
	CHECK(r[2]->status == AKMA_ST_OK && r[2]->ueid_len == 0 && memcmp(r[2]->kaf, want, 32) == 0,
	      "anonymous: same key, no SUPI");
	CHECK(r[3]->status == AKMA_ST_NOT_FOUND, "unknown A-KID: not found");
	CHECK(r[0]->kakma[0] == 0 && r[0]->kakma[31] == 0, "K_AKMA wiped from the request");
	release(r, 4);

	/* A GPSI beside the SUPI: the NEF's flag returns it; a plain get the
	 * SUPI; a context without one returns nothing to the flag. */
	struct akma_req *g[4] = {reg_req("imsi-001010000000077", "77.g@akma.example", k1),
				 get_req("77.g@akma.example", "af.example.com", 0),
				 get_req("77.g@akma.example", "af.example.com", 0),
				 get_req("1.one@akma.example", "af.example.com", 0)};
	g[0]->gpsi_len = 18;
	memcpy(akma_req_gpsi(g[0]), "msisdn-31612345678", 18);
	g[1]->flags = AKMA_REQ_WANT_GPSI;
	g[3]->flags = AKMA_REQ_WANT_GPSI;
	run(g, 4);
	CHECK(g[0]->status == AKMA_ST_OK && g[1]->status == AKMA_ST_OK && g[1]->ueid_len == 18 &&
		      g[1]->ueid_type == AKMA_UEID_TYPE_GPSI &&
		      !memcmp(akma_req_ueid(g[1]), "msisdn-31612345678", 18),
	      "WANT_GPSI: the GPSI kept beside the SUPI");
	CHECK(g[2]->ueid_len == 20 && !memcmp(akma_req_ueid(g[2]), "imsi-001010000000077", 20),
	      "a plain get: the SUPI");
	CHECK(g[3]->status == AKMA_ST_OK && g[3]->ueid_len == 0,
	      "WANT_GPSI on a SUPI-only context: no identity");
	release(g, 4);

	/* Replace with a new A-KID, then remove. */
	struct akma_req *s[5] = {reg_req("imsi-001010000000001", "1.two@akma.example", k2),
				 get_req("1.one@akma.example", "af.example.com", 0),
				 get_req("1.two@akma.example", "af.example.com", 0),
				 rm_req("imsi-001010000000001"),
				 get_req("1.two@akma.example", "af.example.com", 0)};
	run(s, 5);
	akma_derive_kaf(k2, &af, want);
	CHECK(s[0]->status == AKMA_ST_OK, "re-register ok");
	CHECK(s[1]->status == AKMA_ST_NOT_FOUND, "old A-KID gone");
	CHECK(s[2]->status == AKMA_ST_OK && memcmp(s[2]->kaf, want, 32) == 0, "new A-KID, new key");
	CHECK(s[3]->status == AKMA_ST_OK, "remove ok");
	CHECK(s[4]->status == AKMA_ST_NOT_FOUND, "removed");
	release(s, 5);
}

static void errors(void)
{
	uint8_t k[32] = {1};
	struct akma_req *r[7];
	r[6] = reg_req("imsi-001010000000004", "2.y@akma.example", k);
	r[6]->af_id_len = 60000; /* would put the SUPI outside the object */
	r[0] = reg_req("imsi-001010000000002", "2.x@akma.example", k);
	r[1] = reg_req("imsi-001010000000003", "2.x@akma.example", k); /* A-KID of another SUPI */
	r[2] = get_req("2.x@akma.example", "af.example.com", 0);
	r[2]->af_id_len = 0;
	r[3] = get_req("", "af.example.com", 0);
	r[4] = rm_req("imsi-001019999999999");
	r[5] = req();
	r[5]->type = 99;
	run(r, 7);
	CHECK(r[0]->status == AKMA_ST_OK, "register");
	CHECK(r[6]->status == AKMA_ST_BAD_FIELD && r[6]->bad_field == AKMA_FIELD_AF_ID,
	      "an out-of-bounds length is refused, not followed");
	CHECK(r[1]->status == AKMA_ST_BAD_FIELD && r[1]->bad_field == AKMA_FIELD_AKID,
	      "A-KID in use: bad aKId");
	CHECK(r[2]->status == AKMA_ST_BAD_FIELD && r[2]->bad_field == AKMA_FIELD_AF_ID,
	      "empty AF_ID");
	CHECK(r[3]->status == AKMA_ST_BAD_FIELD && r[3]->bad_field == AKMA_FIELD_AKID,
	      "empty A-KID");
	CHECK(r[4]->status == AKMA_ST_NOT_FOUND, "remove unknown");
	CHECK(r[5]->status == AKMA_ST_BAD_FIELD && r[5]->bad_field == AKMA_FIELD_TYPE,
	      "unknown type");
	release(r, 7);
}

/* 63 writes for 3 SUPIs interleaved, in one submission (steps 0..20, every
 * fifth a REMOVE): each SUPI's last write decides, and every write answers
 * as its place in the order says. */
static void ordered_writes(void)
{
	struct akma_req *r[64];
	char akid[64], supi[32];
	uint8_t k[32] = {7};
	unsigned n = 0;

	for (unsigned step = 0; step < 21; step++) {
		for (unsigned s = 0; s < 3; s++) {
			snprintf(supi, sizeof(supi), "imsi-00101000000010%u", s);
			if (step % 5 == 4) {
				r[n++] = rm_req(supi);
			} else {
				snprintf(akid, sizeof(akid), "%u.%u@order", s, step);
				r[n++] = reg_req(supi, akid, k);
			}
		}
	}
	run(r, n);
	unsigned wrong = 0;
	for (unsigned i = 0; i < n; i++)
		wrong += r[i]->status != AKMA_ST_OK; /* a REMOVE after a REGISTER always finds it */
	CHECK(wrong == 0, "%u writes answered out of order", wrong);
	release(r, n);
	struct akma_req *g[6];
	for (unsigned s = 0; s < 3; s++) {
		snprintf(akid, sizeof(akid), "%u.20@order", s);
		g[s] = get_req(akid, "af.example.com", 0);
		snprintf(akid, sizeof(akid), "%u.18@order", s);
		g[3 + s] = get_req(akid, "af.example.com", 0);
	}
	run(g, 6);
	for (unsigned s = 0; s < 3; s++) {
		CHECK(g[s]->status == AKMA_ST_OK, "SUPI %u: the last A-KID resolves", s);
		CHECK(g[3 + s]->status == AKMA_ST_NOT_FOUND, "SUPI %u: the one before does not", s);
	}
	release(g, 6);
}

/* Poll until n answers came back or ms passed; returns how many. */
static unsigned collect_for(struct akma_req **out, unsigned n, unsigned ms)
{
	unsigned got = 0;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		got += akma_engine_poll(e, prod, out + got, n - got);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (got < n && (uint64_t)((t.tv_sec - t0.tv_sec) * 1000 +
				       (t.tv_nsec - t0.tv_nsec) / 1000000) < ms);
	return got;
}

/* What is expected: a deadline for a loaded machine, never a timing check
 * (300 ms failed under a parallel suite). */
#define EXPECTED_MS 10000
/* What must not come: how long to look for it. */
#define ABSENT_MS 300

static unsigned collect(struct akma_req **out, unsigned n)
{
	return collect_for(out, n, EXPECTED_MS);
}

static unsigned take_for(struct akma_req **out, unsigned n, unsigned ms)
{
	unsigned got = 0;
	for (unsigned i = 0; i < ms && got < n; i++) {
		got += akma_engine_repl_take(e, out + got, n - got);
		if (got < n)
			usleep(1000);
	}
	return got;
}

static unsigned take(struct akma_req **out, unsigned n)
{
	return take_for(out, n, EXPECTED_MS);
}

static void replication(enum akma_repl_mode mode)
{
	const char *m = mode == AKMA_REPL_SYNC ? "sync" : "async";
	struct akma_engine_params p = {.capacity = 1000,
				       .kaf_life_ms = 3600 * 1000,
				       .kakma_life_ms = 60000,
				       .n_requests = 1024,
				       .mb_arch = AKMA_MB_AUTO,
				       .repl = mode,
				       .repl_backlog = 4};
	uint8_t k[32];
	int err;
	memset(k, 0x42, 32);
	e = akma_engine_create(&p, &err);
	CHECK(e != NULL, "%s: create: %s", m, akma_strerror(err));
	if (!e)
		return;
	prod = (unsigned)akma_engine_producer(e);
	akma_engine_start(e);

	struct akma_req *r[3] = {
		reg_req("imsi-001010000000001", "1.r@akma.example", k),
		rm_req("imsi-001010000000009"), /* nothing to remove: not replicated */
		rm_req("imsi-001010000000001")};
	struct akma_req *rej[8], *out[8], *taken[8];
	unsigned n_rej;
	uint64_t before = (uint64_t)time(NULL) * 1000;
	akma_engine_submit(e, prod, r, 3, rej, &n_rej);
	unsigned got = collect(out, mode == AKMA_REPL_SYNC ? 1 : 3);
	got += collect_for(out + got, 3 - got, ABSENT_MS);
	if (mode == AKMA_REPL_SYNC)
		CHECK(got == 1 && out[0] == r[1] && out[0]->status == AKMA_ST_NOT_FOUND,
		      "sync: only the write that changed nothing completes at once (%u)", got);
	else
		CHECK(got == 3, "async: every write completes at once (%u)", got);
	unsigned t = take(taken, 2);
	t += take_for(taken + t, 8 - t, ABSENT_MS);
	CHECK(t == 2 && taken[0]->type == AKMA_REQ_REGISTER && taken[1]->type == AKMA_REQ_REMOVE,
	      "%s: the two writes that changed the store are handed on, in order (%u)", m, t);
	if (t == 2) {
		CHECK((mode == AKMA_REPL_SYNC) == (taken[0] == r[0]),
		      "%s: sync hands on the request, async a copy", m);
		CHECK(memcmp(taken[0]->kakma, k, 32) == 0 && taken[0]->ueid_len == 20 &&
			      memcmp(akma_req_ueid(taken[0]), "imsi-001010000000001", 20) == 0 &&
			      taken[0]->akid_len == 16 &&
			      memcmp(akma_req_akid(taken[0]), "1.r@akma.example", 16) == 0,
		      "%s: the handed-on REGISTER carries identity, A-KID and K_AKMA", m);
		CHECK(taken[0]->created_ms >= before &&
			      taken[0]->expiry_ms == taken[0]->created_ms + 60000,
		      "%s: creation time and end of life", m);
		CHECK(akma_engine_repl_backlog(e) == 2, "%s: backlog 2", m);
		akma_engine_repl_done(e, taken, 2);
		CHECK(akma_engine_repl_backlog(e) == 0, "%s: backlog back to 0", m);
	}
	if (mode == AKMA_REPL_SYNC) {
		got = collect(out, 2);
		CHECK(got == 2 && out[0] == r[0] && out[1] == r[2] &&
			      out[0]->status == AKMA_ST_OK && out[1]->status == AKMA_ST_OK &&
			      out[0]->kakma[0] == 0,
		      "sync: done completes them to their producer, in order, K_AKMA wiped");
	} else {
		CHECK(out[0]->kakma[0] == 0, "async: K_AKMA wiped from the answered request");
	}
	release(r, 3);

	/* Writes off: refused before they touch the store. */
	struct akma_req *a = reg_req("imsi-001010000000002", "2.r@akma.example", k);
	akma_engine_submit(e, prod, &a, 1, rej, &n_rej);
	/* sync: not answered before replication says done */
	got = mode == AKMA_REPL_SYNC ? 0 : collect(out, 1);
	t = take(taken, 1);
	akma_engine_repl_done(e, taken, t);
	if (mode == AKMA_REPL_SYNC)
		got += collect(out + got, 1);
	akma_engine_set_writes(e, 0);
	struct akma_req *b[2] = {reg_req("imsi-001010000000003", "3.r@akma.example", k),
				 rm_req("imsi-001010000000002")};
	akma_engine_submit(e, prod, b, 2, rej, &n_rej);
	got = collect(out, 2);
	CHECK(got == 2 && b[0]->status == AKMA_ST_OVERLOAD && b[1]->status == AKMA_ST_OVERLOAD &&
		      akma_engine_repl_take(e, taken, 8) == 0,
	      "%s: writes off: refused with overload, nothing handed on", m);
	urcu_qsbr_thread_online();
	CHECK(akma_ctx_lookup_ueid(akma_engine_store(e), (const uint8_t *)"imsi-001010000000002",
				   20, before) != NULL &&
		      akma_ctx_lookup_ueid(akma_engine_store(e),
					   (const uint8_t *)"imsi-001010000000003", 20,
					   before) == NULL,
	      "%s: refused writes left the store as it was", m);
	urcu_qsbr_thread_offline();
	akma_engine_set_writes(e, 1);
	release(&a, 1);
	release(b, 2);

	/* Backlog full (4 writes awaiting): the fifth is refused. */
	struct akma_req *c[5];
	for (unsigned i = 0; i < 5; i++) {
		char supi[32], akid[32];
		snprintf(supi, sizeof(supi), "imsi-00101000000010%u", i);
		snprintf(akid, sizeof(akid), "%u.b@akma.example", i);
		c[i] = reg_req(supi, akid, k);
	}
	akma_engine_submit(e, prod, c, 5, rej, &n_rej);
	got = collect(out, mode == AKMA_REPL_SYNC ? 1 : 5);
	CHECK(c[4]->status == AKMA_ST_OVERLOAD && akma_engine_repl_backlog(e) == 4,
	      "%s: a full backlog refuses the next write (%u)", m, c[4]->status);
	t = take(taken, 4);
	akma_engine_repl_done(e, taken, t);
	if (mode == AKMA_REPL_SYNC)
		collect(out, 4);
	release(c, 5);

	/* A run of REGISTERs applied in one store call, the middle one failing
	 * (its A-KID is the first's): it completes at once, the two around it
	 * are handed on (sync: held until done), in order. */
	struct akma_req *d[3] = {reg_req("imsi-001010000000201", "201.d@akma.example", k),
				 reg_req("imsi-001010000000202", "201.d@akma.example", k),
				 reg_req("imsi-001010000000203", "203.d@akma.example", k)};
	akma_engine_submit(e, prod, d, 3, rej, &n_rej);
	got = collect(out, mode == AKMA_REPL_SYNC ? 1 : 3);
	got += collect_for(out + got, 3 - got, ABSENT_MS);
	CHECK(d[1]->status == AKMA_ST_BAD_FIELD && d[1]->bad_field == AKMA_FIELD_AKID &&
		      got == (mode == AKMA_REPL_SYNC ? 1u : 3u) &&
		      out[0] == d[mode == AKMA_REPL_SYNC],
	      "%s: the failed REGISTER of a run completes at once (%u answered)", m, got);
	t = take(taken, 2);
	t += take_for(taken + t, 8 - t, ABSENT_MS);
	CHECK(t == 2 && akma_engine_repl_backlog(e) == 2 &&
		      !memcmp(akma_req_ueid(taken[0]), "imsi-001010000000201", 20) &&
		      !memcmp(akma_req_ueid(taken[1]), "imsi-001010000000203", 20),
	      "%s: the run's two stored writes are handed on, in order (%u)", m, t);
	akma_engine_repl_done(e, taken, t);
	if (mode == AKMA_REPL_SYNC) {
		got = collect(out, 2);
		CHECK(got == 2 && out[0] == d[0] && out[1] == d[2] && d[0]->status == AKMA_ST_OK &&
			      d[2]->status == AKMA_ST_OK,
		      "sync: the run's held REGISTERs complete at done, in order");
	}
	release(d, 3);
	akma_engine_stop(e);
	akma_engine_free(e);
	e = NULL;
}

/* The doorbells (doorbell.h): a worker that sleeps as soon as it is idle
 * (idle_spin 0) for up to a second, and a producer that sleeps on
 * akma_engine_wait() with no limit at all, one request at a time, so that
 * every request finds both asleep. A lost wake-up shows as a worker sleep
 * ended by its one-second limit (counted) or as a producer wait that never
 * returns (each bounded here at 3 s); either ends the test's loop. Then the same through
 * a replication thread of the test's own, which sleeps on the engine's
 * replication doorbell for up to a second and whose completions must wake
 * the producer; and a stop, which must wake the sleeping worker. */
static volatile int repl_stop;
static unsigned repl_timeouts; /* the test's replication thread's sleeps ended by their limit */

static void *repl_thread(void *arg)
{
	struct akma_req *taken[8];
	(void)arg;
	urcu_qsbr_register_thread();
	while (!repl_stop) {
		unsigned t = akma_engine_repl_take(e, taken, 8);
		if (t)
			akma_engine_repl_done(e, taken, t);
		else if (!akma_engine_repl_wait(e, 1000000) && !repl_stop)
			__atomic_fetch_add(&repl_timeouts, 1, __ATOMIC_RELAXED);
	}
	urcu_qsbr_unregister_thread();
	return NULL;
}

static void doorbells(enum akma_repl_mode mode)
{
	const char *m = mode == AKMA_REPL_SYNC ? "sync" : "off";
	struct akma_engine_params p = {.capacity = 4096,
				       .kaf_life_ms = 3600 * 1000,
				       .n_requests = 1024,
				       .mb_arch = AKMA_MB_AUTO,
				       .repl = mode,
				       .idle_spin_us = 0,
				       .idle_sleep_us = 1000000};
	unsigned rounds = mode == AKMA_REPL_SYNC ? 2000 : 20000, answered = 0, lost = 0;
	unsigned spurious = 0; /* woken with nothing to poll */
	pthread_t rt;
	uint8_t k[32];
	int err;
	memset(k, 0x5a, sizeof(k));
	e = akma_engine_create(&p, &err);
	CHECK(e != NULL, "doorbells %s: create: %s", m, akma_strerror(err));
	if (!e)
		return;
	prod = (unsigned)akma_engine_producer(e);
	akma_engine_start(e);
	repl_stop = 0;
	repl_timeouts = 0;
	if (mode == AKMA_REPL_SYNC)
		CHECK(pthread_create(&rt, NULL, repl_thread, NULL) == 0, "replication thread");
	struct akma_worker_stats before, st;
	for (unsigned i = 0; i < rounds && !lost; i++) {
		akma_engine_worker_stats(e, 0, &st);
		if (st.idle_timeouts || __atomic_load_n(&repl_timeouts, __ATOMIC_RELAXED))
			break; /* a wake-up lost: no use waiting out more */
		char supi[32], akid[48];
		struct akma_req *r, *rej[1], *out[1];
		unsigned n_rej, got = 0;
		snprintf(supi, sizeof(supi), "imsi-0010100%08u", i);
		snprintf(akid, sizeof(akid), "%u.bell@akma.example", i);
		r = mode == AKMA_REPL_SYNC ? reg_req(supi, akid, k)
					   : get_req(akid, "af.example.com", 0);
		if (akma_engine_submit(e, prod, &r, 1, rej, &n_rej) != 1) {
			release(&r, 1);
			continue;
		}
		while (!got) {
			if (!akma_engine_wait(e, prod, 3 * 1000000)) {
				lost++;
				break;
			}
			got = akma_engine_poll(e, prod, out, 1);
			spurious += !got;
		}
		if (!got)
			got = collect(out, 1);
		answered += got;
		if (got)
			release(out, 1);
	}
	akma_engine_worker_stats(e, 0, &before);
	/* Asleep for up to a second now: only the bell ends that sleep early. */
	usleep(20000);
	akma_engine_stop(e);
	akma_engine_worker_stats(e, 0, &st);
	if (mode == AKMA_REPL_SYNC) {
		repl_stop = 1;
		akma_engine_repl_wake(e);
		pthread_join(rt, NULL);
		CHECK(repl_timeouts == 0,
		      "doorbells sync: every sleep of the replication thread ended by its bell "
		      "(%u timed out)",
		      repl_timeouts);
	}
	CHECK(answered == rounds && lost == 0,
	      "doorbells %s: %u of %u answered, %u waits timed out", m, answered, rounds, lost);
	/* A stale count can wake a wait for nothing now and then; a ring with
	 * nothing behind it (a worker's burst of held sync writes) does it on
	 * every round. */
	CHECK(spurious <= rounds / 10, "doorbells %s: %u of %u waits woken for nothing", m,
	      spurious, rounds);
	CHECK(before.idle_sleeps >= rounds / 2,
	      "doorbells %s: the worker slept between requests (%llu sleeps)", m,
	      (unsigned long long)before.idle_sleeps);
	CHECK(st.idle_timeouts == 0,
	      "doorbells %s: every sleep of the worker ended by its bell, the stop's too "
	      "(%llu of %llu timed out)",
	      m, (unsigned long long)st.idle_timeouts, (unsigned long long)st.idle_sleeps);
	akma_engine_free(e);
	e = NULL;
}

/* Bursts of 4 through the worker's pipeline, which then holds up to three
 * while it answers a fourth: 100 subscribers, each registered, read,
 * re-keyed under a new A-KID and read under both, the five steps of each
 * spread over different bursts. Every answer must be the one ring order
 * gives (a read behind a write in an earlier, still held, burst sees it),
 * with the K_AF of the key then current; with the pipeline on and off. */
static void pipeline(unsigned depth)
{
	enum { SUBS = 100, STEPS = 5 };
	struct akma_engine_params p = {.capacity = 1000,
				       .kaf_life_ms = 3600 * 1000,
				       .ring_size = 1024,
				       .n_requests = 2048,
				       .burst = 4,
				       .mb_arch = AKMA_MB_AUTO};
	static struct akma_req *r[SUBS * STEPS], *out[SUBS * STEPS];
	uint8_t k1[SUBS][32], k2[SUBS][32], want[32];
	char supi[32], akid1[48], akid2[48];
	struct akma_af_id af;
	int err;

	e = akma_engine_create(&p, &err);
	CHECK(e != NULL, "pipeline: create: %s", akma_strerror(err));
	if (!e)
		return;
	prod = (unsigned)akma_engine_producer(e);
	akma_engine_set_pipeline(e, depth);
	akma_engine_start(e);
	akma_af_id_set(&af, "af.example.com", 14, akma_ua_id_tls13_psk);
	for (unsigned i = 0; i < SUBS; i++)
		for (int b = 0; b < 32; b++) {
			k1[i][b] = (uint8_t)(i * 7 + b);
			k2[i][b] = (uint8_t)(i * 13 + b + 1);
		}
	/* Step-major order: subscriber i's steps lie SUBS requests apart. */
	for (unsigned step = 0; step < STEPS; step++)
		for (unsigned i = 0; i < SUBS; i++) {
			snprintf(supi, sizeof(supi), "imsi-00101%010u", i);
			snprintf(akid1, sizeof(akid1), "%u.first@pipe", i);
			snprintf(akid2, sizeof(akid2), "%u.second@pipe", i);
			struct akma_req *q = step == 0   ? reg_req(supi, akid1, k1[i])
					     : step == 2 ? reg_req(supi, akid2, k2[i])
					     : step == 1 ? get_req(akid1, "af.example.com", 0)
					     : step == 3 ? get_req(akid1, "af.example.com", 0)
							 : get_req(akid2, "af.example.com", 0);
			r[step * SUBS + i] = q;
		}
	struct akma_req *rej[64];
	unsigned n_rej, taken = 0;
	for (unsigned base = 0; base < SUBS * STEPS; base += 50)
		taken += akma_engine_submit(e, prod, r + base, 50, rej, &n_rej);
	CHECK(taken == SUBS * STEPS, "pipeline %u: all %u accepted (%u)", depth, SUBS * STEPS,
	      taken);
	unsigned got = collect(out, SUBS * STEPS);
	CHECK(got == SUBS * STEPS, "pipeline %u: all answered (%u)", depth, got);
	unsigned wrong = 0;
	for (unsigned i = 0; i < SUBS; i++) {
		wrong += r[0 * SUBS + i]->status != AKMA_ST_OK ||
			 r[2 * SUBS + i]->status != AKMA_ST_OK;
		akma_derive_kaf(k1[i], &af, want);
		wrong += r[1 * SUBS + i]->status != AKMA_ST_OK ||
			 memcmp(r[1 * SUBS + i]->kaf, want, 32);
		wrong += r[3 * SUBS + i]->status != AKMA_ST_NOT_FOUND;
		akma_derive_kaf(k2[i], &af, want);
		wrong += r[4 * SUBS + i]->status != AKMA_ST_OK ||
			 memcmp(r[4 * SUBS + i]->kaf, want, 32);
	}
	CHECK(wrong == 0, "pipeline %u: %u answers not as ring order gives", depth, wrong);
	struct akma_worker_stats st;
	akma_engine_worker_stats(e, 0, &st);
	CHECK(st.bursts >= SUBS * STEPS / 4 && st.burst_hist[2] > 0,
	      "pipeline %u: bursts of 4 (%llu bursts)", depth, (unsigned long long)st.bursts);
	release(r, SUBS * STEPS);
	akma_engine_stop(e);
	akma_engine_free(e);
	e = NULL;
}

/* An engine serving RIDs 01 and 0100-0199 (rule "dot"): a GET_KAF or
 * REGISTER of another RID, or of an A-KID with none, is answered
 * RID_NOT_SERVED and the store left as it was; a REMOVE names no RID and is
 * served; a foreign request amid a burst of GET_KAF leaves the others
 * answered as they would be. */
static void routing_indicators(void)
{
	struct akma_rid_set rids;
	char why[256];
	CHECK(akma_rid_set_parse("01, 0100-0199", &rids, why, sizeof(why)) == 0, "%s", why);
	struct akma_engine_params p = {.capacity = 1000,
				       .kaf_life_ms = 3600 * 1000,
				       .n_requests = 1024,
				       .mb_arch = AKMA_MB_AUTO,
				       .rids = &rids};
	uint8_t k[32];
	int err;
	memset(k, 0x5a, 32);
	e = akma_engine_create(&p, &err);
	CHECK(e != NULL, "rids: create: %s", akma_strerror(err));
	if (!e)
		return;
	prod = (unsigned)akma_engine_producer(e);
	akma_engine_start(e);
	struct akma_req *r[9] = {
		reg_req("imsi-001010000000001", "01.a@akma.example", k),
		reg_req("imsi-001010000000002", "0150.b@akma.example", k),
		reg_req("imsi-001010000000003", "1.c@akma.example", k),    /* "1" is not "01" */
		reg_req("imsi-001010000000004", "0200.d@akma.example", k), /* outside the range */
		reg_req("imsi-001010000000005", "nodot@akma.example", k),  /* no RID */
	};
	struct akma_req *rej[16], *out[16];
	unsigned n_rej;
	akma_engine_submit(e, prod, r, 5, rej, &n_rej);
	unsigned got = collect(out, 5);
	CHECK(got == 5 && r[0]->status == AKMA_ST_OK && r[1]->status == AKMA_ST_OK,
	      "rids: REGISTER of 01 and 0150 served (%u %u)", r[0]->status, r[1]->status);
	CHECK(r[2]->status == AKMA_ST_RID_NOT_SERVED && r[3]->status == AKMA_ST_RID_NOT_SERVED &&
		      r[4]->status == AKMA_ST_RID_NOT_SERVED && r[2]->bad_field == AKMA_FIELD_AKID,
	      "rids: REGISTER of 1, 0200 and none refused (%u %u %u)", r[2]->status, r[3]->status,
	      r[4]->status);
	urcu_qsbr_thread_online();
	CHECK(akma_ctx_lookup_ueid(akma_engine_store(e), (const uint8_t *)"imsi-001010000000003",
				   20, 0) == NULL,
	      "rids: a refused REGISTER stored nothing");
	urcu_qsbr_thread_offline();
	release(r, 5);
	struct akma_req *g[5] = {
		get_req("01.a@akma.example", "af.example.com", 0),
		get_req("1.a@akma.example", "af.example.com", 0),
		get_req("0150.b@akma.example", "af.example.com", 0),
		get_req("01", "af.example.com", 0), /* no '.': no RID */
		rm_req("imsi-001010000000002"),
	};
	akma_engine_submit(e, prod, g, 5, rej, &n_rej);
	got = collect(out, 5);
	CHECK(got == 5 && g[0]->status == AKMA_ST_OK && g[2]->status == AKMA_ST_OK,
	      "rids: the GET_KAF around a foreign one answered (%u %u)", g[0]->status,
	      g[2]->status);
	CHECK(g[1]->status == AKMA_ST_RID_NOT_SERVED && g[3]->status == AKMA_ST_RID_NOT_SERVED,
	      "rids: GET_KAF of 1 and of no RID refused (%u %u)", g[1]->status, g[3]->status);
	CHECK(g[4]->status == AKMA_ST_OK, "rids: REMOVE served (%u)", g[4]->status);
	struct akma_worker_stats st;
	akma_engine_worker_stats(e, 0, &st);
	CHECK(st.rid_not_served == 5, "rids: 5 counted (%llu)",
	      (unsigned long long)st.rid_not_served);
	release(g, 5);
	akma_engine_stop(e);
	akma_engine_free(e);
	e = NULL;
}

int main(int argc, char **argv)
{
	(void)argc;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	/* One main and one worker lcore, on two CPUs where there are two. */
	const struct akma_eal_defaults eal = {256, ncpu > 1 ? "0@0,1@1" : "0@0,1@0", 1, NULL};
	CHECK(akma_eal_init("akma-test", 0, argv, &eal) >= 0, "EAL");
	urcu_qsbr_register_thread();

	/* Back-pressure first, on an engine whose workers have not started. */
	struct akma_engine_params p = {.capacity = 1000,
				       .kaf_life_ms = 3600 * 1000,
				       .ring_size = 64,
				       .n_requests = 1024,
				       .mb_arch = AKMA_MB_AUTO};
	int err;
	e = akma_engine_create(&p, &err);
	CHECK(e != NULL, "create: %s", akma_strerror(err));
	if (!e)
		return check_done("test_engine");
	CHECK(akma_engine_workers(e) == 1, "one worker lcore");
	prod = (unsigned)akma_engine_producer(e);
	struct akma_req *many[100], *rej[100], *out[128];
	unsigned n_rej, got = 0;
	for (unsigned i = 0; i < 100; i++)
		many[i] = get_req("x@akma.example", "af.example.com", 0);
	unsigned ok = akma_engine_submit(e, prod, many, 100, rej, &n_rej);
	CHECK(ok == 63 && n_rej == 37, "a 64-slot ring takes 63, refuses 37 (%u, %u)", ok, n_rej);
	unsigned overload = 0;
	for (unsigned i = 0; i < n_rej; i++)
		overload += rej[i]->status == AKMA_ST_OVERLOAD;
	CHECK(overload == 37, "refused ones say overload");
	struct akma_producer_stats ps;
	akma_engine_producer_stats(e, prod, &ps);
	/* submitted as two chunks (64 + 36), each refused in part: two events */
	CHECK(ps.ring_full == 2 && ps.submitted == 63, "ring-full events counted (%llu)",
	      (unsigned long long)ps.ring_full);
	CHECK(akma_engine_start(e) == 0, "start");
	time_t give_up = time(NULL) + 5;
	while (got < 63 && time(NULL) < give_up)
		got += akma_engine_poll(e, prod, out + got, 128 - got);
	CHECK(got == 63, "every accepted request answered (%u)", got);
	akma_engine_req_free(e, out, got);
	akma_engine_req_free(e, rej, n_rej);

	answers();
	errors();
	ordered_writes();

	/* Clean shutdown: stop with requests in the rings; all are answered. */
	for (unsigned i = 0; i < 60; i++)
		many[i] = get_req("1.two@akma.example", "af.example.com", 0);
	CHECK(akma_engine_submit(e, prod, many, 60, rej, &n_rej) == 60, "submit before stop");
	akma_engine_stop(e);
	got = 0;
	got = akma_engine_poll(e, prod, out, 128);
	CHECK(got == 60, "stop drained the rings: %u of 60 answered", got);
	akma_engine_req_free(e, out, got);

	struct akma_worker_stats st;
	akma_engine_worker_stats(e, 0, &st);
	CHECK(st.get_kaf == 63 + 3 + 3 + 2 + 3 + 6 + 60 + 0, "GET_KAF counted (%llu)",
	      (unsigned long long)st.get_kaf);
	CHECK(st.registers == 1 + 1 + 1 + 2 + 51 && st.removes == 1 + 1 + 12,
	      "writes counted (%llu, %llu)", (unsigned long long)st.registers,
	      (unsigned long long)st.removes);
	CHECK(st.hits == 2 + 3 + 1 + 3 && st.bursts > 0, "hits counted (%llu)",
	      (unsigned long long)st.hits);
	uint64_t hist = 0;
	for (int i = 0; i < AKMA_BURST_HIST; i++)
		hist += st.burst_hist[i];
	CHECK(hist == st.bursts, "burst histogram adds up");

	urcu_qsbr_thread_offline();
	akma_engine_free(e);
	replication(AKMA_REPL_SYNC);
	replication(AKMA_REPL_ASYNC);
	pipeline(AKMA_PIPE_DEPTH_MAX);
	pipeline(0);
	routing_indicators();
	doorbells(AKMA_REPL_OFF);
	doorbells(AKMA_REPL_SYNC);
	akma_eal_cleanup();
	return check_done("test_engine");
}
