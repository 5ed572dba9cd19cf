/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: the Naanf_AKMA request decoder on arbitrary bodies (the
 * first octet picks the operation), then the answer encoder on every engine
 * outcome for what decoded. */
#include <stddef.h>
#include <stdint.h>
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
	if (akma_sbi_decode(op, (const char *)data + 1, size - 1, ua, &req, &call, &pb) != 0) {
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
