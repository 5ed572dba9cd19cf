/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_REQ_H
#define AKMA_REQ_H

/*
 * The one request type of akmad. Front ends (the wire protocol's decoder,
 * the SBI driver, akma-bench) fill one per operation, the engine's workers
 * answer in place, and the front end turns the answer into its own protocol.
 * Objects come from the engine's mempool; a request is owned by its producer
 * until submitted and again once polled back.
 */

#include <stdint.h>

#include "ctx.h"
#include "kdf.h"

enum akma_req_type {
	AKMA_REQ_GET_KAF = 1,  /* A-KID, AF_ID [, anonymous] -> K_AF, expiry [, SUPI] */
	AKMA_REQ_REGISTER = 2, /* SUPI or GPSI, A-KID, K_AKMA -> stored */
	AKMA_REQ_REMOVE = 3,   /* SUPI -> removed */
};

/* Outcomes, one to one with the SBI's (TS 29.535; spec/AKMA.md 3). */
enum akma_status {
	AKMA_ST_OK = 0,
	AKMA_ST_NOT_FOUND = 1,  /* no such (or an expired) context: 204 / 404 */
	AKMA_ST_BAD_FIELD = 2,  /* bad_field says which: 400 */
	AKMA_ST_STORE_FULL = 3, /* 503 */
	AKMA_ST_OVERLOAD = 4,   /* a ring was full or room awaits reclaim: 429/503 */
	AKMA_ST_INTERNAL = 5,   /* 500 */
	/* 6-8 are the wire's own (wire.h) */
	AKMA_ST_NOT_PRIMARY = 9,     /* the engine does not hold its lease: 503, nothing served */
	AKMA_ST_RID_NOT_SERVED = 10, /* the A-KID's routing indicator is another engine's: 400 */
};

enum akma_field {
	AKMA_FIELD_NONE = 0,
	AKMA_FIELD_UEID,   /* supi / gpsi */
	AKMA_FIELD_AKID,   /* aKId; also when it belongs to another subscriber */
	AKMA_FIELD_KAKMA,  /* kAkma */
	AKMA_FIELD_AF_ID,  /* afId */
	AKMA_FIELD_TYPE,   /* unknown request type */
	AKMA_FIELD_FLAGS,  /* unknown flag bits */
	AKMA_FIELD_LENGTH, /* a message's length disagrees with its fields */
};

#define AKMA_REQ_ANONYMOUS 0x01 /* GET_KAF: return no UE identity */
#define AKMA_REQ_WANT_GPSI 0x02 /* GET_KAF: return the GPSI (the NEF's), never a SUPI */

/*
 * Layout: the header and K_AF fill the first line exactly; then the
 * identities, packed end to end in data[]: A-KID, AF_ID, UE identity, each
 * as long as its length says; what only the producer reads (client_id,
 * t_submit, producer_data) comes after them, so a worker never pulls it
 * over. A typical GET_KAF (86-octet A-KID, 19-octet AF_ID, IMSI returned)
 * touches 3 lines where fixed fields touched 7, and every one of them
 * crosses between the producer's and the worker's cores twice: going from
 * 4 lines to 3 took akma-bench engine from 8.5-8.8 to 10.6-11.6 M K_AF/s
 * with the store in cache, and from 6.7 to 7.5-8.0 at 1 M contexts
 * (interleaved runs). Fill the lengths first, then the octets through the
 * accessors.
 */
struct akma_req {
	/* in */
	uint8_t type;       /* enum akma_req_type */
	uint8_t flags;      /* AKMA_REQ_ANONYMOUS, AKMA_REQ_WANT_GPSI */
	uint8_t ueid_type;  /* REGISTER: the caller's SUPI/GPSI marker */
	uint8_t akid_len;   /* GET_KAF, REGISTER: 1..253; REMOVE: 0 */
	uint16_t af_id_len; /* GET_KAF: 1..AKMA_AF_ID_MAX; others: 0 */
	uint16_t ueid_len;  /* REGISTER, REMOVE in; GET_KAF out */
	/* out */
	uint8_t status;    /* enum akma_status */
	uint8_t bad_field; /* enum akma_field when status is BAD_FIELD */
	uint8_t worker;    /* which worker answered */
	uint8_t producer;  /* set by akma_engine_submit() */
	uint8_t gpsi_len;  /* REGISTER: a GPSI beside the SUPI, after it in data[] */
	uint8_t reserved[3];
	uint64_t key_hash;  /* set by akma_engine_submit(): akma_ctx_hash() of the
				 * A-KID (GET_KAF) or UE identity (writes) */
	uint64_t expiry_ms; /* GET_KAF: K_AF end of life (Unix ms) */
	uint8_t kaf[AKMA_KEY_LEN];
	uint8_t data[AKMA_AKID_MAX + AKMA_AF_ID_MAX + AKMA_UEID_MAX];
	/* cold: never read by a worker, so these lines stay on the producer's core */
	uint64_t client_id;          /* echoed, never read by the engine */
	uint64_t t_submit;           /* TSC at submission, for latency */
	void *producer_data;         /* the front end's (reply address...) */
	uint8_t kakma[AKMA_KEY_LEN]; /* REGISTER in; wiped once stored (and replicated) */
	uint64_t created_ms;         /* REGISTER, for replication: when it was stored; its
				 * end of life travels in expiry_ms */
} __attribute__((aligned(64)));

static inline uint8_t *akma_req_akid(struct akma_req *r)
{
	return r->data;
}

static inline uint8_t *akma_req_af_id(struct akma_req *r)
{
	return r->data + r->akid_len;
}

static inline uint8_t *akma_req_ueid(struct akma_req *r)
{
	return r->data + r->akid_len + r->af_id_len;
}

/* REGISTER: the GPSI after the UE identity (a REGISTER has no AF_ID, whose
 * room it takes). */
static inline uint8_t *akma_req_gpsi(struct akma_req *r)
{
	return r->data + r->akid_len + r->af_id_len + r->ueid_len;
}
_Static_assert(AKMA_GPSI_MAX <= AKMA_AF_ID_MAX, "a REGISTER's GPSI fits where an AF_ID would");

#endif
