/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef AKMA_SBI_JSON_H
#define AKMA_SBI_JSON_H

/*
 * The JSON side of the Naanf_AKMA front end (TS 29.535; spec/AKMA.md 3):
 * request bodies decoded into engine requests, answers and ProblemDetails
 * (TS 29.571) encoded, on jansson. No HTTP here: the HTTP/2 driver hands a
 * body in and sends a body and status out.
 *
 * Decoding: the body must be one JSON object (duplicate names refused);
 * each attribute the operation defines must have its schema's type, and
 * attributes it does not define are ignored (TS 29.501: consumers of later
 * releases add some, such as the Rel-18 service-disable URI). Every fault is
 * named in invalidParams as a JSON Pointer ("/aKId") with a reason, and the
 * cause says which kind (TS 29.500 5.2.7.2): INVALID_MSG_FORMAT (not JSON,
 * not an object), MANDATORY_IE_MISSING, MANDATORY_IE_INCORRECT,
 * OPTIONAL_IE_INCORRECT.
 *
 * Forms (README, "The SBI"): kAkma and kaf are 64 hex digits (either case
 * in, lower case out); afId is "FQDN;ua=HHHHHHHHHH" (the Ua* security
 * protocol identifier of TS 33.220 Annex H in 10 hex digits) or a bare FQDN,
 * which takes the configured default; supi and gpsi follow the patterns of
 * TS29571_CommonData.yaml, and an "imsi-" SUPI or "msisdn-" GPSI must have
 * its 5 to 15 digits; expiry is RFC 3339 UTC with seconds.
 *
 * Thread-safe (no shared state); allocates; never blocks; never writes a
 * key into a detail or reason text.
 */

#include <stddef.h>
#include <stdint.h>

#include "kdf.h"
#include "req.h"

enum akma_sbi_op {
	AKMA_SBI_REGISTER = 0, /* POST .../register-anchorkey */
	AKMA_SBI_RETRIEVE = 1, /* POST .../retrieve-applicationkey */
	AKMA_SBI_REMOVE = 2,   /* POST .../remove-context */
};

#define AKMA_SBI_MAX_INVALID 8

struct akma_sbi_problem {
	int status;     /* HTTP status */
	char cause[40]; /* TS 29.500 / 29.535 application error, "" for none */
	char detail[200];
	unsigned n_invalid;
	struct {
		char param[48]; /* JSON Pointer */
		char reason[120];
	} invalid[AKMA_SBI_MAX_INVALID];
};

/* What an answer needs beyond the engine's: kept by the driver per stream,
 * wiped when it is done with (it may hold K_AKMA for the REGISTER echo). */
struct akma_sbi_call {
	enum akma_sbi_op op;
	int anonymous; /* anonInd */
	int has_supp_feat;
	char supp_feat[68];          /* as received (at most 64 hex digits) */
	uint8_t kakma[AKMA_KEY_LEN]; /* REGISTER: echoed in the 200 answer */
	struct akma_af_id af;        /* RETRIEVE: the AF asked for */
	int af_explicit;             /* ... with its Ua* id written out */
	int send_supi, send_gpsi;    /* RETRIEVE: what the caller may learn */
};

/* Decode a request body for op into req (engine request, all of it set)
 * and call. default_ua: the Ua* id of a bare-FQDN afId. Returns 0 (with
 * pb->status 0 and the rest of pb as it was), or -1 with pb filled (status
 * 400). */
int akma_sbi_decode(enum akma_sbi_op op, const char *body, size_t len,
		    const uint8_t default_ua[AKMA_UA_ID_LEN], struct akma_req *req,
		    struct akma_sbi_call *call, struct akma_sbi_problem *pb);

/* The same decision with every body read by jansson (the decoder reads the
 * usual ones in place): the reference the tests and fuzz_sbi_json hold
 * akma_sbi_decode() to. Same arguments and results. */
int akma_sbi_decode_reference(enum akma_sbi_op op, const char *body, size_t len,
			      const uint8_t default_ua[AKMA_UA_ID_LEN], struct akma_req *req,
			      struct akma_sbi_call *call, struct akma_sbi_problem *pb);

/* The answer to a request the engine has answered: *status and a body for
 * akma_sbi_body_free() (NULL for a 204), with *problem set when the body is a
 * ProblemDetails (application/problem+json) rather than application/json.
 * Returns NULL with *status 500 and *problem 1 only when out of memory (the
 * caller then sends akma_sbi_problem_fallback). */
char *akma_sbi_encode_answer(const struct akma_sbi_call *call, const struct akma_req *req,
			     int *status, int *problem);

/* A ProblemDetails body for pb, for akma_sbi_body_free(); NULL when out of
 * memory. */
char *akma_sbi_problem_body(const struct akma_sbi_problem *pb);

/* Fill pb for one of the driver's own refusals (405, 411, 413, 415, 404...). */
void akma_sbi_problem_set(struct akma_sbi_problem *pb, int status, const char *cause,
			  const char *detail);

/* A static ProblemDetails for when nothing can be allocated. */
extern const char akma_sbi_problem_fallback[];

/* Free a body from here: wiped first (an answer holds K_AF or K_AKMA). */
void akma_sbi_body_free(char *body);

/* A copy of text as a body (on the secret heap, like every body), or NULL
 * when out of memory. */
char *akma_sbi_body_dup(const char *text);

/* Lay call->af out as req's AF_ID (after a policy check may have chosen
 * the Ua* id of a bare FQDN), and mark req anonymous when call may learn
 * neither identity. */
void akma_sbi_request_af(struct akma_req *req, const struct akma_sbi_call *call);

/* Wipe what call holds (K_AKMA). */
void akma_sbi_call_wipe(struct akma_sbi_call *call);

#endif
