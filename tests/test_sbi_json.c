/* SPDX-License-Identifier: BSD-3-Clause */
/* The Naanf_AKMA bodies: each operation decoded into the engine's request
 * (identities, K_AKMA, AF_ID octets with an explicit or a default Ua* id,
 * anonInd), every fault named in invalidParams with its cause, answers and
 * ProblemDetails encoded as the OpenAPI says (204 for an unknown A-KID, 404
 * CONTEXT_NOT_FOUND, 503 NF_CONGESTION, supi withheld when anonymous). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "sbi_json.h"

static const uint8_t ua[5] = {1, 0, 0, 0, 7};
static struct akma_req req;
static struct akma_sbi_call call;
static struct akma_sbi_problem pb;

static struct akma_req ref_req;
static struct akma_sbi_call ref_call;
static struct akma_sbi_problem ref_pb;
static unsigned decoded;

/* Every body of these tests is decoded twice: as akmad does (the usual
 * ones read in place) and by jansson alone; the two must decide alike, to
 * the octet. */
static int decode_len(enum akma_sbi_op op, const char *body, size_t len)
{
	int rc = akma_sbi_decode(op, body, len, ua, &req, &call, &pb);
	int ref = akma_sbi_decode_reference(op, body, len, ua, &ref_req, &ref_call, &ref_pb);
	/* The tests write answers into req between decodes: what a decode
	 * sets is the header and the identities its lengths span. */
	size_t used = (size_t)req.akid_len + req.af_id_len + req.ueid_len + req.gpsi_len;
	CHECK(rc == ref && pb.status == ref_pb.status &&
		      (rc == 0 || !memcmp(&pb, &ref_pb, sizeof(pb))) &&
		      !memcmp(&call, &ref_call, sizeof(call)) &&
		      !memcmp(&req, &ref_req, offsetof(struct akma_req, data)) &&
		      (rc != 0 || !memcmp(req.data, ref_req.data, used)),
	      "decoded in place as jansson decodes it: %.*s", (int)(len < 120 ? len : 120), body);
	decoded++;
	return rc;
}

static int decode(enum akma_sbi_op op, const char *body)
{
	return decode_len(op, body, strlen(body));
}

static int has_param(const char *param, const char *cause)
{
	int found = 0;
	for (unsigned i = 0; i < pb.n_invalid; i++)
		found |= strcmp(pb.invalid[i].param, param) == 0;
	return found && pb.status == 400 && (!cause || strcmp(pb.cause, cause) == 0);
}

/* A field of a JSON body, as a string ("" when absent). */
static const char *field(const char *body, const char *name, char *out, size_t size)
{
	json_t *o = json_loads(body, 0, NULL);
	json_t *v = o ? json_object_get(o, name) : NULL;
	snprintf(out, size, "%s", v && json_is_string(v) ? json_string_value(v) : v ? "?" : "");
	json_decref(o);
	return out;
}

int main(void)
{
	char buf[300];
	int status, is_problem;

	/* register-anchorkey */
	CHECK(decode(AKMA_SBI_REGISTER, "{\"supi\":\"imsi-001010123456789\",\"aKId\":\"12.abc@akma."
					"5gc.mnc001.mcc001.3gppnetwork.org\","
					"\"kAkma\":"
					"\"3DD5F8B66D40A12D31B8D4856EB5B2C14F9B013BCFCCDE61DFBBD918"
					"5A7FCB3C\",\"suppFeat\":\"1\"}") == 0,
	      "register decodes");
	CHECK(req.type == AKMA_REQ_REGISTER && req.ueid_type == 1 && req.ueid_len == 20 &&
		      memcmp(akma_req_ueid(&req), "imsi-001010123456789", 20) == 0 &&
		      req.akid_len == 45 && memcmp(akma_req_akid(&req), "12.abc@", 7) == 0 &&
		      req.kakma[0] == 0x3d && req.kakma[31] == 0x3c && call.has_supp_feat,
	      "register: identity, A-KID, K_AKMA (either case)");
	req.status = AKMA_ST_OK;
	char *body = akma_sbi_encode_answer(&call, &req, &status, &is_problem);
	CHECK(status == 200 && !is_problem && body &&
		      !strcmp(field(body, "kAkma", buf, sizeof(buf)),
			      "3dd5f8b66d40a12d31b8d4856eb5b2c14f9b013bcfccde61dfbbd9185a7fcb3c") &&
		      !strcmp(field(body, "supi", buf, sizeof(buf)), "imsi-001010123456789") &&
		      !strcmp(field(body, "suppFeat", buf, sizeof(buf)), "0"),
	      "register 200: the stored AkmaKeyInfo, K_AKMA lower case, suppFeat answered: %s",
	      body);
	akma_sbi_body_free(body);
	CHECK(decode(AKMA_SBI_REGISTER,
		     "{\"gpsi\":\"msisdn-491711234567\",\"aKId\":\"a@b\",\"kAkma\":\""
		     "00000000000000000000000000000000000000000000000000000000000000ff\"}") == 0 &&
		      req.ueid_type == 2,
	      "register with a GPSI");
	req.status = AKMA_ST_BAD_FIELD;
	req.bad_field = AKMA_FIELD_AKID;
	body = akma_sbi_encode_answer(&call, &req, &status, &is_problem);
	CHECK(status == 400 && is_problem && strstr(body, "\"param\":\"/aKId\"") &&
		      strstr(body, "MANDATORY_IE_INCORRECT"),
	      "an A-KID of another subscriber: 400 naming /aKId: %s", body);
	akma_sbi_body_free(body);

	/* faults */
	CHECK(decode(AKMA_SBI_REGISTER, "{\"aKId\":\"a@b\"}") == -1 &&
		      has_param("/kAkma", "MANDATORY_IE_MISSING") && has_param("/supi", NULL),
	      "missing kAkma and UE identity");
	CHECK(decode(AKMA_SBI_REGISTER, "{\"supi\":\"imsi-001010123456789\",\"gpsi\":\"msisdn-12\","
					"\"aKId\":5,\"kAkma\":\"xyz\"}") == -1 &&
		      has_param("/aKId", NULL) && has_param("/kAkma", NULL) &&
		      has_param("/gpsi", NULL),
	      "a bad GPSI beside the SUPI, a number for aKId, a bad key: each named (%u)",
	      pb.n_invalid);
	/* The AUSF may send both (a documented leniency): keyed by the SUPI, the
	 * GPSI kept beside it. */
	CHECK(decode(AKMA_SBI_REGISTER,
		     "{\"supi\":\"imsi-001010123456789\",\"gpsi\":\"msisdn-31612345678\","
		     "\"aKId\":\"a@b\",\"kAkma\":\""
		     "00000000000000000000000000000000000000000000000000000000000000ff\"}") == 0 &&
		      req.ueid_type == AKMA_UEID_TYPE_SUPI && req.ueid_len == 20 &&
		      req.gpsi_len == 18 && !memcmp(akma_req_gpsi(&req), "msisdn-31612345678", 18),
	      "supi and gpsi together: the SUPI's context, the GPSI beside it");
	CHECK(decode(AKMA_SBI_REGISTER,
		     "{\"supi\":\"imsi-12\",\"aKId\":\"a@b\",\"kAkma\":\""
		     "00000000000000000000000000000000000000000000000000000000000000ff\"}") == -1 &&
		      has_param("/supi", "MANDATORY_IE_INCORRECT"),
	      "imsi- with two digits refused");
	CHECK(decode(AKMA_SBI_REGISTER,
		     "{\"supi\":\"imsi-001010123456789\",\"aKId\":\"a@b\",\"kAkma\":\""
		     "00000000000000000000000000000000000000000000000000000000000000ff\",\"extra\":"
		     "1}") == 0,
	      "an unknown attribute is ignored (TS 29.501)");
	CHECK(decode(AKMA_SBI_REGISTER, "{\"supi\":\"a\",\"supi\":\"b\"}") == -1 &&
		      pb.status == 400 && !strcmp(pb.cause, "INVALID_MSG_FORMAT"),
	      "duplicate names refused");
	CHECK(decode(AKMA_SBI_REMOVE, "{\"supi\":") == -1 &&
		      !strcmp(pb.cause, "INVALID_MSG_FORMAT") && strstr(pb.detail, "not JSON"),
	      "broken JSON: %s", pb.detail);
	CHECK(decode(AKMA_SBI_REMOVE, "[1,2]") == -1 && strstr(pb.detail, "object"), "an array");
	CHECK(decode(AKMA_SBI_REMOVE, "{\"supi\":\"line\\nbreak\"}") == -1 &&
		      has_param("/supi", NULL),
	      "a line break in a Supi");
	CHECK(decode(AKMA_SBI_RETRIEVE,
		     "{\"afId\":\"af.example.com\",\"aKId\":\"a@b\",\"suppFeat\":\"xy\"}") == -1 &&
		      has_param("/suppFeat", "OPTIONAL_IE_INCORRECT"),
	      "a bad optional suppFeat: OPTIONAL_IE_INCORRECT");
	char big[400];
	memset(big, 'a', sizeof(big));
	snprintf(big, sizeof(big), "{\"afId\":\"af.example.com\",\"aKId\":\"%0300d\"}", 1);
	CHECK(decode(AKMA_SBI_RETRIEVE, big) == -1 && has_param("/aKId", NULL),
	      "a 300-octet A-KID");
	CHECK(decode(AKMA_SBI_RETRIEVE, "{\"afId\":\"bad host!\",\"aKId\":\"a@b\"}") == -1 &&
		      has_param("/afId", "MANDATORY_IE_INCORRECT"),
	      "a bad afId: %s", pb.invalid[0].reason);
	char *pbody = akma_sbi_problem_body(&pb);
	json_t *pj = json_loads(pbody, 0, NULL);
	CHECK(pj && json_integer_value(json_object_get(pj, "status")) == 400 &&
		      json_array_size(json_object_get(pj, "invalidParams")) == 1,
	      "ProblemDetails: status, cause, invalidParams: %s", pbody);
	json_decref(pj);
	akma_sbi_body_free(pbody);

	/* retrieve-applicationkey */
	CHECK(decode(AKMA_SBI_RETRIEVE,
		     "{\"afId\":\"af.example.com;ua=0100011301\",\"aKId\":\"a@b\"}") == 0 &&
		      req.type == AKMA_REQ_GET_KAF && req.af_id_len == 19 &&
		      memcmp(akma_req_af_id(&req), "af.example.com\x01\x00\x01\x13\x01", 19) == 0 &&
		      !(req.flags & AKMA_REQ_ANONYMOUS),
	      "afId with its Ua* id");
	CHECK(decode(AKMA_SBI_RETRIEVE,
		     "{\"afId\":\"af.example.com\",\"aKId\":\"a@b\",\"anonInd\":true}") == 0 &&
		      memcmp(akma_req_af_id(&req) + 14, ua, 5) == 0 &&
		      (req.flags & AKMA_REQ_ANONYMOUS),
	      "a bare FQDN takes the default Ua* id; anonInd");
	req.status = AKMA_ST_OK;
	req.expiry_ms = 1764303600000ULL;
	memset(req.kaf, 0xab, 32);
	req.ueid_len = 20;
	req.ueid_type = 1;
	memcpy(akma_req_ueid(&req), "imsi-001010123456789", 20);
	body = akma_sbi_encode_answer(&call, &req, &status, &is_problem);
	CHECK(status == 200 && strstr(body, "\"kaf\":\"abab") &&
		      !strcmp(field(body, "expiry", buf, sizeof(buf)), "2025-11-28T04:20:00Z") &&
		      !strstr(body, "supi"),
	      "AkmaAfKeyData, anonymous: no supi: %s", body);
	akma_sbi_body_free(body);
	call.anonymous = 0;
	call.send_supi = call.send_gpsi = 1;
	body = akma_sbi_encode_answer(&call, &req, &status, &is_problem);
	CHECK(!strcmp(field(body, "supi", buf, sizeof(buf)), "imsi-001010123456789"),
	      "with supi: %s", body);
	akma_sbi_body_free(body);
	call.send_supi = 0; /* the NEF: a GPSI, never a SUPI */
	body = akma_sbi_encode_answer(&call, &req, &status, &is_problem);
	CHECK(status == 200 && !strstr(body, "supi"), "a caller that may not see it: no supi: %s",
	      body);
	akma_sbi_body_free(body);
	req.ueid_type = 2;
	req.ueid_len = 18;
	memcpy(akma_req_ueid(&req), "msisdn-31612345678", 18);
	body = akma_sbi_encode_answer(&call, &req, &status, &is_problem);
	CHECK(!strcmp(field(body, "gpsi", buf, sizeof(buf)), "msisdn-31612345678"),
	      "... but the gpsi: %s", body);
	akma_sbi_body_free(body);
	call.send_supi = 1;
	req.ueid_type = 1;
	{
		/* The direct AkmaAfKeyData encoder against jansson's json_dumps of
		 * the same object, octet for octet: every ASCII octet in a UE
		 * identity (escapes included), with and without suppFeat, and a
		 * non-ASCII one (which goes to jansson itself). */
		static const char *const ues[] = {"imsi-001010123456789", "nai-a\"b\\c/d@e.example",
						  "nai-\x01\x08\t\n\x0b\x0c\r\x1f\x7f@x",
						  "nai-\xc3\xa9t\xc3\xa9@example.org",
						  "gpsi-like\x10"};
		int same = 1;
		char all[128];
		for (int i = 0; i < 127; i++)
			all[i] = (char)(i + 1);
		for (int k = 0; k < 6; k++) {
			const char *ue = k < 5 ? ues[k] : all;
			size_t n = k < 5 ? strlen(ue) : 127;
			for (int feat = 0; feat < 2; feat++) {
				req.ueid_len = (uint16_t)n;
				memcpy(akma_req_ueid(&req), ue, n);
				call.has_supp_feat = feat;
				char *got =
					akma_sbi_encode_answer(&call, &req, &status, &is_problem);
				json_t *o = json_object();
				char hex[65];
				for (int j = 0; j < 32; j++)
					snprintf(hex + 2 * j, 3, "%02x", req.kaf[j]);
				json_object_set_new(o, "kaf", json_string(hex));
				json_object_set_new(o, "expiry",
						    json_string("2025-11-28T04:20:00Z"));
				json_object_set_new(o, "supi", json_stringn(ue, n));
				if (feat)
					json_object_set_new(o, "suppFeat", json_string("0"));
				char *want = json_dumps(o, JSON_COMPACT);
				if (!got || !want || strcmp(got, want) != 0) {
					same = 0;
					printf("  differs: %s\n        vs %s\n",
					       got ? got : "(null)", want ? want : "(null)");
				}
				json_malloc_t jmalloc;
				json_free_t jfree;
				json_get_alloc_funcs(&jmalloc, &jfree);
				jfree(want); /* jansson's allocator: the SBI's secret heap */
				json_decref(o);
				akma_sbi_body_free(got);
			}
		}
		call.has_supp_feat = 0;
		CHECK(same, "the direct encoder writes what jansson writes, escapes included");
		req.ueid_len = 20;
		memcpy(akma_req_ueid(&req), "imsi-001010123456789", 20);
	}
	req.status = AKMA_ST_NOT_FOUND;
	body = akma_sbi_encode_answer(&call, &req, &status, &is_problem);
	CHECK(status == 204 && body == NULL, "an unknown A-KID: 204, no body");
	req.status = AKMA_ST_OVERLOAD;
	body = akma_sbi_encode_answer(&call, &req, &status, &is_problem);
	CHECK(status == 503 && is_problem && strstr(body, "NF_CONGESTION"),
	      "overload: 503 NF_CONGESTION");
	akma_sbi_body_free(body);
	req.status = AKMA_ST_NOT_PRIMARY;
	body = akma_sbi_encode_answer(&call, &req, &status, &is_problem);
	CHECK(status == 503 && is_problem && strstr(body, "NF_FAILOVER"),
	      "no lease (a demoted or cut-off primary): 503 NF_FAILOVER, no K_AF: %s", body);
	akma_sbi_body_free(body);
	req.status = AKMA_ST_RID_NOT_SERVED;
	req.bad_field = AKMA_FIELD_AKID;
	body = akma_sbi_encode_answer(&call, &req, &status, &is_problem);
	CHECK(status == 400 && is_problem && strstr(body, "MANDATORY_IE_INCORRECT") &&
		      strstr(body, "\"param\":\"/aKId\"") && strstr(body, "routing indicator"),
	      "another engine's RID: 400 on /aKId, not a 503 to retry: %s", body);
	akma_sbi_body_free(body);

	/* remove-context */
	CHECK(decode(AKMA_SBI_REMOVE, "{\"supi\":\"imsi-001010123456789\"}") == 0 &&
		      req.type == AKMA_REQ_REMOVE && req.ueid_len == 20,
	      "remove decodes");
	req.status = AKMA_ST_OK;
	body = akma_sbi_encode_answer(&call, &req, &status, &is_problem);
	CHECK(status == 204 && !body, "remove: 204");
	req.status = AKMA_ST_NOT_FOUND;
	body = akma_sbi_encode_answer(&call, &req, &status, &is_problem);
	CHECK(status == 404 && strstr(body, "CONTEXT_NOT_FOUND"),
	      "unknown SUPI: 404 CONTEXT_NOT_FOUND");
	akma_sbi_body_free(body);
	CHECK(decode(AKMA_SBI_REMOVE, "{}") == -1 && has_param("/supi", "MANDATORY_IE_MISSING"),
	      "remove without supi");

	/* The edges of the in-place reading, each under every operation: what
	 * it takes, and what it leaves to jansson (escapes, UTF-8, DEL,
	 * numbers, null, nesting, duplicates, 17 members, NUL, garbage after
	 * the object, wrong types). */
	static const char *const edges[] = {
		"{\"afId\":\"af.example.com\",\"aKId\":\"1.x@akma.example\"}",
		" \t\r\n{ \"afId\" : \"af.example.com;ua=0100000007\" ,\n\"aKId\":\"1@a\" } \n",
		"{\"afId\":\"af.example.com\",\"aKId\":\"1@a\",\"anonInd\":true,\"suppFeat\":"
		"\"0f\"}",
		"{\"afId\":\"af.example.com\",\"aKId\":\"1@a\",\"anonInd\":false}",
		"{\"afId\":\"af.example.com\",\"aKId\":\"1@a\",\"anonInd\":\"true\"}",
		"{\"afId\":true,\"aKId\":false,\"supi\":true,\"kAkma\":\"zz\",\"suppFeat\":\"g\"}",
		"{\"afId\":\"af.example.com\",\"aKId\":\"1\\u0040a\"}",
		"{\"afId\":\"af.example.com\",\"aKId\":\"1@\xc3\xa4\"}",
		"{\"afId\":\"af.example.com\",\"aKId\":\"1@\x7f\"}",
		"{\"afId\":\"af.example.com\",\"aKId\":\"1@a\",\"anonInd\":1}",
		"{\"afId\":\"af.example.com\",\"aKId\":null}",
		"{\"afId\":\"af.example.com\",\"aKId\":{\"x\":\"y\"},\"z\":[1,2]}",
		"{\"aKId\":\"1@a\",\"aKId\":\"2@a\",\"afId\":\"af.example.com\"}",
		"{\"x\":\"1\",\"x\":\"2\"}",
		"{\"a\":\"\",\"b\":\"\",\"c\":\"\",\"d\":\"\",\"e\":\"\",\"f\":\"\",\"g\":\"\","
		"\"h\":\"\","
		"\"i\":\"\",\"j\":\"\",\"k\":\"\",\"l\":\"\",\"m\":\"\",\"n\":\"\",\"o\":\"\","
		"\"p\":\"\","
		"\"aKId\":\"1@a\"}",
		"{\"afId\":\"af.example.com\",\"aKId\":\"1@a\"}x",
		"{\"afId\":\"af.example.com\",\"aKId\":\"1@a\",}",
		"{\"afId\":\"af.example.com\" \"aKId\":\"1@a\"}",
		"{\"afId\":\"af.example.com\",\"aKId\":\"1@a\"",
		"{\"afId\":\"af.example.com\",\"aKId\":\"1@a",
		"{\"afId\":\"af.example.com\",\"aKId\":tru}",
		"{\"afId\":\"af.example.com\",\"aKId\":truex}",
		"{\"supi\":\"imsi-001010123456789\",\"gpsi\":\"msisdn-31612345678\",\"aKId\":\"1@"
		"a\","
		"\"kAkma\":\"3dd5f8b66d40a12d31b8d4856eb5b2c14f9b013bcfccde61dfbbd9185a7fcb3c\"}",
		"{\"supi\":\"imsi-0010\",\"aKId\":\"\"}",
		"{}",
		"  {}  ",
		"{",
		"",
		"[]",
		"\"x\"",
		"{\"\":\"\"}",
	};
	for (unsigned i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		for (int op = 0; op < 3; op++)
			decode((enum akma_sbi_op)op, edges[i]);
	static const char with_nul[] = "{\"afId\":\"af.example.com\",\"aKId\":\"1@a\"}\0";
	for (int op = 0; op < 3; op++)
		decode_len((enum akma_sbi_op)op, with_nul, sizeof(with_nul) - 1);
	CHECK(decoded > 3 * sizeof(edges) / sizeof(edges[0]), "%u bodies decoded both ways",
	      decoded);
	/* The in-place reader scans strings sixteen octets a step: an octet
	 * it must stop at, at every position of a value and of a name, decides
	 * as jansson decides (decode_len compares them). */
	static const char stops[] = {'\\', 0x1f, 0x7f, (char)0x80, (char)0xe2, 0x01, '\n'};
	unsigned agreed = decoded;
	for (size_t k = 0; k < sizeof(stops); k++)
		for (size_t at = 0; at < 40; at++) {
			char value[41], text[160];
			memset(value, 'a', 40);
			value[40] = '\0';
			value[at] = stops[k];
			int n = snprintf(
				text, sizeof(text),
				"{\"afId\":\"af.example.com;ua=0100000007\",\"aKId\":\"%s@b\"}",
				value);
			decode_len(AKMA_SBI_RETRIEVE, text, (size_t)n);
			n = snprintf(text, sizeof(text),
				     "{\"%s\":1,\"afId\":\"af.example.com\",\"aKId\":\"a@b\"}",
				     value);
			decode_len(AKMA_SBI_RETRIEVE, text, (size_t)n);
		}
	CHECK(decoded - agreed == 2 * sizeof(stops) * 40, "each stop octet at each position");
	return check_done("test_sbi_json");
}
