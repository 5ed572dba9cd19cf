/* SPDX-License-Identifier: BSD-3-Clause */
/* The replication thread against a real Redis (started by
 * integration_redis.sh on a private port), with the RESP writer made to
 * fail some of its appends: in sync mode, every REGISTER answered OK must be
 * in Redis; a batch that could not be queued whole is failed and resent,
 * never acknowledged short of writes. */
#include <stdlib.h>
#include <unistd.h>
#include <hiredis/hiredis.h>
#include <urcu/urcu-qsbr.h>

#include "check.h"
#include "clock.h"
#include "eal.h"
#include "replicator.h"

#define N 200

static unsigned calls, failed;

/* Fail the 2nd to 6th appends of the writer: in the middle of a batch. */
static int fail_some(void *ctx)
{
	(void)ctx;
	unsigned n = __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
	int fail = n >= 2 && n < 7;
	if (fail)
		__atomic_add_fetch(&failed, 1, __ATOMIC_RELAXED);
	return fail;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_replicator REDIS_PORT\n");
		return 2;
	}
	char addr[64], why[512], holder[128];
	snprintf(addr, sizeof(addr), "127.0.0.1:%s", argv[1]);
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	const struct akma_eal_defaults eal = {256, ncpu > 1 ? "0@0,1@1" : "0@0,1@0", 1, NULL};
	CHECK(akma_eal_init("akma-test-repl", 0, argv, &eal) >= 0, "EAL");
	urcu_qsbr_register_thread();

	struct akma_engine_params p = {.capacity = 1000,
				       .kaf_life_ms = 3600 * 1000,
				       .ring_size = 256,
				       .n_requests = 1024,
				       .mb_arch = AKMA_MB_AUTO,
				       .repl = AKMA_REPL_SYNC};
	int err;
	struct akma_engine *e = akma_engine_create(&p, &err);
	CHECK(e != NULL, "engine: %d", err);
	uint8_t kek[32];
	memset(kek, 0x42, sizeof(kek));
	struct akma_redis_params rp = {addr, NULL, NULL, NULL, 2000};
	struct akma_redis *r = akma_redis_open(&rp, kek, why, sizeof(why));
	CHECK(r != NULL, "redis: %s", why);
	if (!e || !r)
		return check_done("test_replicator");
	CHECK(akma_redis_lease_acquire(r, "test-replicator", 3000, holder, sizeof(holder)) == 1,
	      "lease");
	akma_redis_set_fail_hook(r, fail_some, NULL);
	struct akma_replicator_params rpp = {e, r, "test-replicator", 3000, 0, 0, 0, 0, 0};
	struct akma_replicator *rep = akma_replicator_start(&rpp, why, sizeof(why));
	CHECK(rep != NULL, "replicator: %s", why);
	unsigned prod = (unsigned)akma_engine_producer(e);
	akma_engine_start(e);
	urcu_qsbr_thread_offline();

	/* N registrations, sent until each has an answer other than OVERLOAD
	 * (writes are refused while the replicator reconnects) or NOT_PRIMARY
	 * (nothing is served until the replicator's first renewal). */
	static char supi[N][32];
	int ok[N] = {0}, answered[N] = {0};
	unsigned n_answered = 0;
	uint64_t give_up = akma_mono_ms() + 60000;
	while (n_answered < N && akma_mono_ms() < give_up) {
		struct akma_req *batch[N], *rej[N], *out[64];
		unsigned n = 0, n_rej;
		for (unsigned i = 0; i < N; i++) {
			if (answered[i])
				continue;
			struct akma_req *q;
			if (akma_engine_req_alloc(e, &q, 1) != 0)
				break;
			memset(q, 0, sizeof(*q));
			char akid[64];
			snprintf(supi[i], sizeof(supi[i]), "imsi-00101%010u", i);
			snprintf(akid, sizeof(akid), "%u.repl@akma.example", i);
			q->type = AKMA_REQ_REGISTER;
			q->akid_len = (uint8_t)strlen(akid);
			q->ueid_len = (uint16_t)strlen(supi[i]);
			memcpy(akma_req_akid(q), akid, q->akid_len);
			memcpy(akma_req_ueid(q), supi[i], q->ueid_len);
			memset(q->kakma, (int)(i + 1), 32);
			q->client_id = i;
			batch[n++] = q;
		}
		unsigned taken = akma_engine_submit(e, prod, batch, n, rej, &n_rej);
		akma_engine_req_free(e, rej, n_rej);
		for (unsigned got = 0; got < taken && akma_mono_ms() < give_up;) {
			unsigned k = akma_engine_poll(e, prod, out, 64);
			for (unsigned j = 0; j < k; j++) {
				unsigned i = (unsigned)out[j]->client_id;
				if (out[j]->status != AKMA_ST_OVERLOAD &&
				    out[j]->status != AKMA_ST_NOT_PRIMARY && !answered[i]) {
					answered[i] = 1;
					n_answered++;
					ok[i] = out[j]->status == AKMA_ST_OK;
				}
			}
			akma_engine_req_free(e, out, k);
			got += k;
			if (!k)
				akma_sleep_ms(1);
		}
		if (n_answered < N)
			akma_sleep_ms(20);
	}
	CHECK(n_answered == N, "every registration answered (%u of %u)", n_answered, N);
	CHECK(__atomic_load_n(&failed, __ATOMIC_RELAXED) > 0, "the writer's failures happened");

	/* Every acknowledged registration is in Redis. */
	redisContext *rc = redisConnect("127.0.0.1", atoi(argv[1]));
	unsigned n_ok = 0, missing = 0;
	for (unsigned i = 0; rc && !rc->err && i < N; i++) {
		if (!ok[i])
			continue;
		n_ok++;
		redisReply *v = redisCommand(rc, "EXISTS akma:ue:%s", supi[i]);
		missing += !v || v->type != REDIS_REPLY_INTEGER || v->integer != 1;
		if (v)
			freeReplyObject(v);
	}
	CHECK(n_ok == N, "every registration acknowledged in the end (%u of %u)", n_ok, N);
	CHECK(missing == 0, "%u acknowledged registrations are not in Redis", missing);
	if (rc)
		redisFree(rc);

	akma_engine_stop(e);
	akma_replicator_stop(rep, 2000);
	akma_engine_free(e);
	urcu_qsbr_unregister_thread();
	akma_eal_cleanup();
	return check_done("test_replicator");
}
