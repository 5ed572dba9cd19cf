/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: the Naanf_AKMA request decoder on arbitrary bodies (the
 * first octet picks the operation), held to the same decoder with every body
 * read by jansson, then the answer encoder on every engine outcome for what
 * decoded. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbi_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t ua[5] = {1, 0, 0, 0, 7};
	static struct akma_req req;
	struct akma_sbi_call call;
	struct akma_sbi_problem pb;
	int status, problem;

	if (size < 1)
		return 0;
	enum akma_sbi_op op = (enum akma_sbi_op)(data[0] % 3);
	/* jansson alone must decide every body as the decoder does (it reads
	 * the usual ones in place); req and ref stay equal from the start. */
	static struct akma_req ref;
	struct akma_sbi_call ref_call;
	struct akma_sbi_problem ref_pb;
	int rc = akma_sbi_decode(op, (const char *)data + 1, size - 1, ua, &req, &call, &pb);
	int ref_rc = akma_sbi_decode_reference(op, (const char *)data + 1, size - 1, ua, &ref,
					       &ref_call, &ref_pb);
	if (rc != ref_rc || pb.status != ref_pb.status ||
	    (rc != 0 && memcmp(&pb, &ref_pb, sizeof(pb))) ||
	    memcmp(&call, &ref_call, sizeof(call)) || memcmp(&req, &ref, sizeof(req)))
		abort();
	akma_sbi_call_wipe(&ref_call);
	if (rc != 0) {
		akma_sbi_body_free(akma_sbi_problem_body(&pb));
		return 0;
	}
	for (uint8_t st = 0; st <= AKMA_ST_INTERNAL; st++) {
		req.status = st;
		req.bad_field = (uint8_t)(data[size - 1] & 7);
		akma_sbi_body_free(akma_sbi_encode_answer(&call, &req, &status, &problem));
	}
	akma_sbi_call_wipe(&call);
	return 0;
}
