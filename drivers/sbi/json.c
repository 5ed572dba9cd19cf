/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Naanf_AKMA bodies (see sbi_json.h). jansson allocates on the secret heap
 * (engine/secmem.h), since a parsed request holds K_AKMA in hex and an
 * answer K_AF: the hooks are process-wide, set before main.
 */
#include "sbi_json.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "err.h"
#include "hex.h"
#include "secmem.h"

const char akma_sbi_problem_fallback[] =
	"{\"status\":500,\"cause\":\"SYSTEM_FAILURE\",\"detail\":\"out of memory\"}";

/* jansson's blocks hold request and response bodies (K_AKMA and K_AF in
 * hex): they come from the secret heap, out of core dumps and wiped when
 * freed. Set before main, so that no block is ever allocated by one
 * allocator and freed by the other (token.c parses JSON too). */
__attribute__((constructor)) static void jansson_on_the_secret_heap(void)
{
	json_set_alloc_funcs(akma_secmem_alloc, akma_secmem_free);
}

void akma_sbi_problem_set(struct akma_sbi_problem *pb, int status, const char *cause,
			  const char *detail)
{
	memset(pb, 0, sizeof(*pb));
	pb->status = status;
	snprintf(pb->cause, sizeof(pb->cause), "%s", cause ? cause : "");
	snprintf(pb->detail, sizeof(pb->detail), "%s", detail ? detail : "");
}

/* Add one invalid parameter; the first fault sets the cause, and a missing
 * mandatory one outranks the rest. */
/* YYYY-MM-DDTHH:MM:SSZ of Unix time secs into out (21 octets): by hand,
 * because strftime was 1.7 % of the SBI thread's instructions on
 * retrieve-applicationkey (callgrind under h2load). */
static void rfc3339(uint64_t secs, char out[21])
{
	/* The same second for most answers in a row: gmtime_r was 330 of the
	 * SBI thread's instructions a retrieve (callgrind). */
	static __thread uint64_t last_secs = UINT64_MAX;
	static __thread char last[21];
	if (secs == last_secs) {
		memcpy(out, last, 21);
		return;
	}
	time_t t = (time_t)secs;
	struct tm tm;
	gmtime_r(&t, &tm);
	unsigned v[6] = {(unsigned)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday,
			 (unsigned)tm.tm_hour,        (unsigned)tm.tm_min,     (unsigned)tm.tm_sec};
	if (v[0] > 9999)
		v[0] = 9999;
	out[0] = (char)('0' + v[0] / 1000);
	out[1] = (char)('0' + v[0] / 100 % 10);
	out[2] = (char)('0' + v[0] / 10 % 10);
	out[3] = (char)('0' + v[0] % 10);
	static const char sep[5] = {'-', '-', 'T', ':', ':'};
	for (int k = 1; k < 6; k++) {
		out[3 * k + 1] = sep[k - 1];
		out[3 * k + 2] = (char)('0' + v[k] / 10);
		out[3 * k + 3] = (char)('0' + v[k] % 10);
	}
	out[19] = 'Z';
	out[20] = 0;
	memcpy(last, out, 21);
	last_secs = secs;
}

static void invalid(struct akma_sbi_problem *pb, const char *cause, const char *param,
		    const char *reason)
{
	if (pb->status == 0) /* the first fault: decode() left the rest as it was */
		memset(pb, 0, sizeof(*pb));
	if (pb->status == 0 || !strcmp(cause, "MANDATORY_IE_MISSING") ||
	    (!strcmp(pb->cause, "OPTIONAL_IE_INCORRECT") &&
	     strcmp(cause, "OPTIONAL_IE_INCORRECT"))) {
		pb->status = 400;
		snprintf(pb->cause, sizeof(pb->cause), "%s", cause);
	}
	if (pb->n_invalid < AKMA_SBI_MAX_INVALID) {
		snprintf(pb->invalid[pb->n_invalid].param, sizeof(pb->invalid[0].param), "%s",
			 param);
		snprintf(pb->invalid[pb->n_invalid].reason, sizeof(pb->invalid[0].reason), "%s",
			 reason);
		pb->n_invalid++;
	}
}

/* ECMAScript's ".+": at least one character, none a line terminator. */
static int dot_plus(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n' || c == '\r')
			return 0;
		/* U+2028, U+2029: E2 80 A8/A9 */
		if (c == 0xe2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] == 0xa8 || (unsigned char)s[i + 2] == 0xa9))
			return 0;
	}
	return 1;
}

static int digits(const char *s, size_t n, size_t lo, size_t hi)
{
	if (n < lo || n > hi)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Supi and Gpsi of TS29571_CommonData.yaml, with the digits of imsi- and
 * msisdn- checked. Returns NULL or the reason. */
static const char *ueid_fault(const char *s, size_t n, int gpsi)
{
	const char *prefix = gpsi ? "msisdn-" : "imsi-";
	size_t pl = strlen(prefix);
	if (n > AKMA_UEID_MAX)
		return "longer than akmad keeps (260 octets)";
	if (!dot_plus(s, n))
		return gpsi ? "not a Gpsi (TS 29.571): empty or a line break"
			    : "not a Supi (TS 29.571): empty or a line break";
	if (n >= pl && !memcmp(s, prefix, pl) && !digits(s + pl, n - pl, 5, 15))
		return gpsi ? "msisdn- must be followed by 5 to 15 digits"
			    : "imsi- must be followed by 5 to 15 digits";
	return NULL;
}

static const char *supp_feat_fault(const char *s, size_t n)
{
	if (n > 64)
		return "longer than 64 hex digits";
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
		      (s[i] >= 'A' && s[i] <= 'F')))
			return "not hexadecimal (SupportedFeatures)";
	return NULL;
}

/* Names are compared by length and octets, never by strlen and strcmp:
 * strcmp was 3.8 % of the SBI thread's samples (perf, h2load on
 * retrieve-applicationkey). */
struct field {
	const char *name;
	size_t len;
	int mandatory;
	int is_bool;
};

#define FIELD(name, mandatory, is_bool)                    \
	{                                                  \
		name, sizeof(name) - 1, mandatory, is_bool \
	}
static const struct field register_fields[] = {FIELD("supi", 0, 0),     FIELD("gpsi", 0, 0),
					       FIELD("aKId", 1, 0),     FIELD("kAkma", 1, 0),
					       FIELD("suppFeat", 0, 0), {NULL, 0, 0, 0}};
static const struct field retrieve_fields[] = {FIELD("afId", 1, 0),
					       FIELD("aKId", 1, 0),
					       FIELD("anonInd", 0, 1),
					       FIELD("suppFeat", 0, 0),
					       {NULL, 0, 0, 0}};
static const struct field remove_fields[] = {FIELD("supi", 1, 0), {NULL, 0, 0, 0}};

static const struct field *find_field(const struct field *f, const char *name, size_t len)
{
	for (; f->name; f++)
		if (f->len == len && !memcmp(f->name, name, len))
			return f;
	return NULL;
}

/*
 * A request body is read in one of two ways into the same list of members,
 * and decided from that list alone. The usual body (an object of at most
 * 16 members whose names and values are plain printable ASCII strings,
 * true or false, no escapes, no duplicate names) is read in place, in one
 * pass over its octets; anything else (escapes, UTF-8, numbers, nesting,
 * malformed JSON) goes to jansson, whose verdict and messages stand. jansson
 * was 14 000 of the SBI thread's 59 000 instructions a retrieve (callgrind,
 * akma-bench sbi over TLS); fuzz_sbi_json checks that both readings decide
 * every input alike.
 */
enum member_type { M_STRING, M_TRUE, M_FALSE, M_OTHER };

struct member {
	const char *name;
	size_t name_len;
	enum member_type type;
	const char *s; /* M_STRING: the value, not NUL-terminated */
	size_t n;
};

#define MEMBERS_MAX 16
struct members {
	unsigned n;
	struct member m[MEMBERS_MAX];
};

/* What the decoder reads, whatever the operation (jansson's reading keeps
 * these alone). */
static const char *const read_names[] = {"supi", "gpsi",    "aKId",    "kAkma",
					 "afId", "anonInd", "suppFeat"};

static const struct member *member_find(const struct members *mm, const char *name, size_t nl)
{
	for (unsigned i = 0; i < mm->n; i++)
		if (mm->m[i].name_len == nl && !memcmp(mm->m[i].name, name, nl))
			return &mm->m[i];
	return NULL;
}

/* name: a string literal */
#define member_get(mm, name) member_find(mm, name, sizeof(name) - 1)
#define string_of(mm, name, len) string_find(mm, name, sizeof(name) - 1, len)

static const char *string_find(const struct members *mm, const char *name, size_t nl, size_t *len)
{
	const struct member *m = member_find(mm, name, nl);
	if (!m || m->type != M_STRING)
		return NULL;
	*len = m->n;
	return m->s;
}

static size_t skip_space(const char *b, size_t len, size_t i)
{
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r'))
		i++;
	return i;
}

/* b[i] is '"': the index of the closing quote of a string of printable
 * ASCII without escapes, or 0 when it is anything else. */
static size_t plain_string(const char *b, size_t len, size_t i)
{
	size_t k = i + 1;
#ifdef __SSE2__
	/* Sixteen octets a step to the first that is not plain (SSE2 is
	 * x86-64's baseline): a byte at a time, the scan was 640 of the SBI
	 * thread's instructions a retrieve (callgrind). Octets of 0x80 and
	 * over are negative to the signed compare, so below ' ' too. */
	for (; k + 16 <= len; k += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + k));
		__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
							 _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
					    _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
							 _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f))));
		unsigned mask = (unsigned)_mm_movemask_epi8(stop);
		if (mask) {
			k += (size_t)__builtin_ctz(mask);
			return b[k] == '"' ? k : 0;
		}
	}
#endif
	for (; k < len; k++) {
		unsigned char c = (unsigned char)b[k];
		if (c == '"')
			return k;
		if (c < 0x20 || c > 0x7e || c == '\\')
			return 0;
	}
	return 0;
}

/* The in-place reading. Returns 1 with mm filled, or 0: for jansson. */
static int plain_members(const char *b, size_t len, struct members *mm)
{
	size_t i = skip_space(b, len, 0), e;

	mm->n = 0;
	if (i >= len || b[i] != '{')
		return 0;
	i = skip_space(b, len, i + 1);
	if (i < len && b[i] == '}')
		return skip_space(b, len, i + 1) == len;
	for (;;) {
		if (mm->n == MEMBERS_MAX || i >= len || b[i] != '"' ||
		    !(e = plain_string(b, len, i)))
			return 0;
		struct member *m = &mm->m[mm->n];
		*m = (struct member){b + i + 1, e - i - 1, M_OTHER, NULL, 0};
		i = skip_space(b, len, e + 1);
		if (i >= len || b[i] != ':')
			return 0;
		i = skip_space(b, len, i + 1);
		if (i < len && b[i] == '"' && (e = plain_string(b, len, i)) != 0) {
			m->type = M_STRING;
			m->s = b + i + 1;
			m->n = e - i - 1;
			i = e + 1;
		} else if (len - i >= 4 && !memcmp(b + i, "true", 4)) {
			m->type = M_TRUE;
			i += 4;
		} else if (len - i >= 5 && !memcmp(b + i, "false", 5)) {
			m->type = M_FALSE;
			i += 5;
		} else {
			return 0;
		}
		for (unsigned k = 0; k < mm->n; k++)
			if (mm->m[k].name_len == m->name_len &&
			    !memcmp(mm->m[k].name, m->name, m->name_len))
				return 0; /* a duplicate: jansson refuses it, in its words */
		mm->n++;
		i = skip_space(b, len, i);
		if (i < len && b[i] == ',') {
			i = skip_space(b, len, i + 1);
			continue;
		}
		return i < len && b[i] == '}' && skip_space(b, len, i + 1) == len;
	}
}

/* jansson's reading of the names the decoder reads. */
static void json_members(json_t *o, struct members *mm)
{
	mm->n = 0;
	for (size_t i = 0; i < sizeof(read_names) / sizeof(read_names[0]); i++) {
		json_t *v = json_object_get(o, read_names[i]);
		if (!v)
			continue;
		struct member *m = &mm->m[mm->n++];
		*m = (struct member){read_names[i], strlen(read_names[i]), M_OTHER, NULL, 0};
		if (json_is_string(v)) {
			m->type = M_STRING;
			m->s = json_string_value(v);
			m->n = json_string_length(v);
		} else if (json_is_boolean(v)) {
			m->type = json_is_true(v) ? M_TRUE : M_FALSE;
		}
	}
}

/* A member named name (len octets) of the given type: an invalid
 * parameter when it is one of the operation's fields and of the wrong
 * type. */
static void check_type(struct akma_sbi_problem *pb, const struct field *fields, const char *name,
		       size_t len, int is_string, int is_bool)
{
	const struct field *f = find_field(fields, name, len);
	char param[48];

	if (!f)
		return; /* TS 29.501: later releases add attributes; ignore them */
	if (f->is_bool ? !is_bool : !is_string) {
		snprintf(param, sizeof(param), "/%s", f->name);
		invalid(pb, f->mandatory ? "MANDATORY_IE_INCORRECT" : "OPTIONAL_IE_INCORRECT",
			param, f->is_bool ? "must be a boolean" : "must be a string");
	}
}

static int decode_members(enum akma_sbi_op op, const struct members *mm, const struct field *fields,
			  const uint8_t default_ua[AKMA_UA_ID_LEN], struct akma_req *req,
			  struct akma_sbi_call *call, struct akma_sbi_problem *pb)
{
	char param[48], reason[120];
	const struct member *v;

	for (const struct field *f = fields; f->name; f++)
		if (f->mandatory && !member_find(mm, f->name, f->len)) {
			snprintf(param, sizeof(param), "/%s", f->name);
			invalid(pb, "MANDATORY_IE_MISSING", param, "missing");
		}

	size_t n;
	const char *s;
	/* UE identity. A register may carry the SUPI and the GPSI together (the
	 * AUSF knows both): a documented leniency beside AkmaKeyInfo's oneOf;
	 * the context is the SUPI's and keeps the GPSI for the NEF. */
	int has_supi = member_get(mm, "supi") != NULL, has_gpsi = member_get(mm, "gpsi") != NULL;
	if (op == AKMA_SBI_REGISTER && !has_supi && !has_gpsi)
		invalid(pb, "MANDATORY_IE_MISSING", "/supi", "one of supi and gpsi is required");
	const char *ue_name = op == AKMA_SBI_REGISTER && !has_supi ? "gpsi" : "supi";
	const size_t ue_name_len = 4; /* both */
	if (op != AKMA_SBI_RETRIEVE && (s = string_find(mm, ue_name, ue_name_len, &n)) != NULL) {
		const char *why = ueid_fault(s, n, ue_name[0] == 'g');
		if (why) {
			snprintf(param, sizeof(param), "/%s", ue_name);
			invalid(pb, "MANDATORY_IE_INCORRECT", param, why);
		} else {
			req->ueid_len = (uint16_t)n;
			req->ueid_type =
				ue_name[0] == 'g' ? AKMA_UEID_TYPE_GPSI : AKMA_UEID_TYPE_SUPI;
		}
	}
	size_t gpsi_len = 0;
	if (op == AKMA_SBI_REGISTER && has_supi && has_gpsi &&
	    (s = string_of(mm, "gpsi", &n)) != NULL) {
		const char *why = n > AKMA_GPSI_MAX ? "longer than akmad keeps beside a SUPI (255)"
						    : ueid_fault(s, n, 1);
		if (why)
			invalid(pb, "OPTIONAL_IE_INCORRECT", "/gpsi", why);
		else
			gpsi_len = n;
	}
	/* A-KID */
	if (op != AKMA_SBI_REMOVE && (s = string_of(mm, "aKId", &n)) != NULL) {
		if (n < AKMA_AKID_MIN || n > AKMA_AKID_MAX)
			invalid(pb, "MANDATORY_IE_INCORRECT", "/aKId", "must be 1 to 253 octets");
		else
			req->akid_len = (uint8_t)n;
	}
	/* K_AKMA */
	if (op == AKMA_SBI_REGISTER && (s = string_of(mm, "kAkma", &n)) != NULL) {
		if (akma_hex_decode(s, n, call->kakma, AKMA_KEY_LEN, -AKMA_E_KEY_LENGTH) != 0)
			invalid(pb, "MANDATORY_IE_INCORRECT", "/kAkma", "must be 64 hex digits");
	}
	/* AF_ID */
	struct akma_af_id *af = &call->af;
	if (op == AKMA_SBI_RETRIEVE && (s = string_of(mm, "afId", &n)) != NULL) {
		/* Explicit ";ua=" or a bare FQDN: the policy treats them apart. */
		int rc = akma_af_id_parse(s, n, NULL, af);
		call->af_explicit = rc == 0;
		if (rc == -AKMA_E_AF_ID_FORM && !memchr(s, ';', n))
			rc = akma_af_id_parse(s, n, default_ua, af);
		if (rc) {
			snprintf(reason, sizeof(reason), "%s (FQDN, or FQDN;ua=10 hex digits)",
				 akma_strerror(rc));
			invalid(pb, "MANDATORY_IE_INCORRECT", "/afId", reason);
		}
	}
	if ((v = member_get(mm, "anonInd")) != NULL && (v->type == M_TRUE || v->type == M_FALSE))
		call->anonymous = v->type == M_TRUE;
	if ((s = string_of(mm, "suppFeat", &n)) != NULL) {
		const char *why = supp_feat_fault(s, n);
		if (why) {
			invalid(pb, "OPTIONAL_IE_INCORRECT", "/suppFeat", why);
		} else {
			call->has_supp_feat = 1;
			memcpy(call->supp_feat, s, n);
			call->supp_feat[n] = '\0';
		}
	}
	if (pb->status) {
		snprintf(pb->detail, sizeof(pb->detail), "%u invalid attribute%s", pb->n_invalid,
			 pb->n_invalid == 1 ? "" : "s");
		explicit_bzero(call->kakma, sizeof(call->kakma));
		return -1;
	}
	/* Lay the identities out: lengths first, then octets. */
	req->type = op == AKMA_SBI_REGISTER   ? AKMA_REQ_REGISTER
		    : op == AKMA_SBI_RETRIEVE ? AKMA_REQ_GET_KAF
					      : AKMA_REQ_REMOVE;
	if (req->akid_len)
		memcpy(akma_req_akid(req), string_of(mm, "aKId", &n), req->akid_len);
	if (op == AKMA_SBI_RETRIEVE) {
		call->send_supi = call->send_gpsi = !call->anonymous;
		akma_sbi_request_af(req, call);
	}
	if (req->ueid_len)
		memcpy(akma_req_ueid(req), string_find(mm, ue_name, ue_name_len, &n),
		       req->ueid_len);
	if (gpsi_len) {
		req->gpsi_len = (uint8_t)gpsi_len;
		memcpy(akma_req_gpsi(req), string_of(mm, "gpsi", &n), gpsi_len);
	}
	if (op == AKMA_SBI_REGISTER)
		memcpy(req->kakma, call->kakma, AKMA_KEY_LEN);
	return 0;
}

static int decode(enum akma_sbi_op op, const char *body, size_t len,
		  const uint8_t default_ua[AKMA_UA_ID_LEN], struct akma_req *req,
		  struct akma_sbi_call *call, struct akma_sbi_problem *pb, int in_place)
{
	const struct field *fields = op == AKMA_SBI_REGISTER   ? register_fields
				     : op == AKMA_SBI_RETRIEVE ? retrieve_fields
							       : remove_fields;
	struct members mm;
	json_t *o = NULL;

	/* pb is cleared by its first fault (1.6 KiB a request otherwise). */
	pb->status = 0;
	memset(call, 0, sizeof(*call));
	memset(req, 0, offsetof(struct akma_req, data));
	call->op = op;
	if (in_place && plain_members(body, len, &mm)) {
		for (unsigned i = 0; i < mm.n; i++) {
			const struct member *m = &mm.m[i];
			check_type(pb, fields, m->name, m->name_len, m->type == M_STRING,
				   m->type == M_TRUE || m->type == M_FALSE);
		}
	} else {
		json_error_t jerr;
		o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!o || !json_is_object(o)) {
			akma_sbi_problem_set(pb, 400, "INVALID_MSG_FORMAT",
					     o ? "the body is not a JSON object"
					       : "the body is not JSON");
			if (!o) /* jansson's text names the position, never a value */
				snprintf(pb->detail, sizeof(pb->detail),
					 "the body is not JSON: %.120s (line %d, column %d)",
					 jerr.text, jerr.line, jerr.column);
			json_decref(o);
			return -1;
		}
		const char *name;
		json_t *v;
		json_object_foreach(o, name, v)
		{
			/* a C string: a name with a NUL in it is read up to the NUL */
			check_type(pb, fields, name, strlen(name), json_is_string(v),
				   json_is_boolean(v));
		}
		json_members(o, &mm);
	}
	int rc = decode_members(op, &mm, fields, default_ua, req, call, pb);
	json_decref(o);
	return rc;
}

int akma_sbi_decode(enum akma_sbi_op op, const char *body, size_t len,
		    const uint8_t default_ua[AKMA_UA_ID_LEN], struct akma_req *req,
		    struct akma_sbi_call *call, struct akma_sbi_problem *pb)
{
	return decode(op, body, len, default_ua, req, call, pb, 1);
}

int akma_sbi_decode_reference(enum akma_sbi_op op, const char *body, size_t len,
			      const uint8_t default_ua[AKMA_UA_ID_LEN], struct akma_req *req,
			      struct akma_sbi_call *call, struct akma_sbi_problem *pb)
{
	return decode(op, body, len, default_ua, req, call, pb, 0);
}

char *akma_sbi_problem_body(const struct akma_sbi_problem *pb)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "status", json_integer(pb->status));
	if (pb->cause[0])
		json_object_set_new(o, "cause", json_string(pb->cause));
	if (pb->detail[0])
		json_object_set_new(o, "detail", json_string(pb->detail));
	if (pb->n_invalid) {
		json_t *a = json_array();
		for (unsigned i = 0; a && i < pb->n_invalid; i++) {
			json_t *p = json_object();
			json_object_set_new(p, "param", json_string(pb->invalid[i].param));
			json_object_set_new(p, "reason", json_string(pb->invalid[i].reason));
			json_array_append_new(a, p);
		}
		json_object_set_new(o, "invalidParams", a);
	}
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

static char *problem(int status, const char *cause, const char *detail, const char *param,
		     const char *reason, int *out_status, int *is_problem)
{
	struct akma_sbi_problem pb;
	akma_sbi_problem_set(&pb, status, cause, detail);
	if (param) {
		snprintf(pb.invalid[0].param, sizeof(pb.invalid[0].param), "%s", param);
		snprintf(pb.invalid[0].reason, sizeof(pb.invalid[0].reason), "%s", reason);
		pb.n_invalid = 1;
	}
	*out_status = status;
	*is_problem = 1;
	return akma_sbi_problem_body(&pb);
}

static const char *field_param(enum akma_sbi_op op, unsigned field)
{
	switch (field) {
	case AKMA_FIELD_AKID:
		return "/aKId";
	case AKMA_FIELD_KAKMA:
		return "/kAkma";
	case AKMA_FIELD_AF_ID:
		return "/afId";
	case AKMA_FIELD_UEID:
		return op == AKMA_SBI_RETRIEVE ? "/aKId" : "/supi";
	default:
		return NULL;
	}
}

/* AkmaAfKeyData written directly, octet for octet what jansson's
 * json_dumps(JSON_COMPACT) writes for the same object (keys in insertion
 * order, '"', '\\' and control characters escaped, '/' not): the answer of
 * every retrieve, where building and dumping a jansson object was ~12 % of
 * the SBI thread's instructions (callgrind under h2load). NULL for a UE
 * identity with non-ASCII octets (jansson checks their UTF-8; the caller
 * falls back to it) or no memory. */
static char *retrieve_answer(const struct akma_sbi_call *call, const struct akma_req *req)
{
	const char *ue = (const char *)req->data + req->akid_len + req->af_id_len;
	int gpsi = req->ueid_type == AKMA_UEID_TYPE_GPSI;
	int with_ue = req->ueid_len && (gpsi ? call->send_gpsi : call->send_supi);
	size_t ue_len = with_ue ? req->ueid_len : 0;
	for (size_t i = 0; i < ue_len; i++)
		if ((uint8_t)ue[i] >= 0x80)
			return NULL;
	/* the longest: every UE octet as \u00XX */
	size_t cap = 96 + 2 * AKMA_KEY_LEN + 6 * ue_len + 20;
	char *out = akma_secmem_alloc(cap), *p = out;
	if (!out)
		return NULL;
	memcpy(p, "{\"kaf\":\"", 8);
	p += 8;
	akma_hex_encode(req->kaf, AKMA_KEY_LEN, p); /* writes its terminator */
	p += 2 * AKMA_KEY_LEN;
	memcpy(p, "\",\"expiry\":\"", 12);
	p += 12;
	rfc3339(req->expiry_ms / 1000, p);
	p += 20;
	*p++ = '"';
	if (with_ue) {
		const char *key = gpsi ? ",\"gpsi\":\"" : ",\"supi\":\"";
		memcpy(p, key, 9);
		p += 9;
		for (size_t i = 0; i < ue_len; i++) {
			uint8_t c = (uint8_t)ue[i];
			static const char short_escapes[] = "btnvfr";
			if (c == '"' || c == '\\') {
				*p++ = '\\';
				*p++ = (char)c;
			} else if (c >= 0x20) {
				*p++ = (char)c;
			} else if (c >= 8 && c <= 13 && c != 11) {
				*p++ = '\\';
				*p++ = short_escapes[c - 8];
			} else {
				static const char hexdig[] = "0123456789ABCDEF";
				memcpy(p, "\\u00", 4);
				p[4] = hexdig[c >> 4];
				p[5] = hexdig[c & 15];
				p += 6;
			}
		}
		*p++ = '"';
	}
	if (call->has_supp_feat) {
		memcpy(p, ",\"suppFeat\":\"0\"", 15);
		p += 15;
	}
	*p++ = '}';
	*p = 0;
	return out;
}

char *akma_sbi_encode_answer(const struct akma_sbi_call *call, const struct akma_req *req,
			     int *status, int *is_problem)
{
	char hex[2 * AKMA_KEY_LEN + 1], when[32], text[AKMA_UEID_MAX + 1];

	*is_problem = 0;
	switch (req->status) {
	case AKMA_ST_OK:
		break;
	case AKMA_ST_NOT_FOUND:
		if (call->op == AKMA_SBI_RETRIEVE) {
			*status = 204; /* no such context: the meaning the OpenAPI gives 204 */
			return NULL;
		}
		return problem(404, "CONTEXT_NOT_FOUND", "no AKMA context for this SUPI", NULL,
			       NULL, status, is_problem);
	case AKMA_ST_BAD_FIELD: {
		const char *param = field_param(call->op, req->bad_field);
		return problem(400, "MANDATORY_IE_INCORRECT",
			       req->bad_field == AKMA_FIELD_AKID && call->op == AKMA_SBI_REGISTER
				       ? "the A-KID belongs to another subscriber"
				       : "an attribute was refused",
			       param, param ? "refused by the engine" : NULL, status, is_problem);
	}
	case AKMA_ST_STORE_FULL:
		return problem(500, "INSUFFICIENT_RESOURCES", "the context store is full", NULL,
			       NULL, status, is_problem);
	case AKMA_ST_OVERLOAD:
		return problem(503, "NF_CONGESTION", "overloaded, or writes refused for now", NULL,
			       NULL, status, is_problem);
	case AKMA_ST_NOT_PRIMARY: /* TS 29.500 5.2.7.2: the producer is failing over */
		return problem(503, "NF_FAILOVER",
			       "this AAnF does not hold its lease: another instance serves, or "
			       "failover is under way",
			       NULL, NULL, status, is_problem);
	case AKMA_ST_RID_NOT_SERVED:
		/* Permanent for this A-KID here: the consumer selected the wrong
		 * AAnF (TS 33.535 6.1: discover it by the A-KID's RID), so no
		 * 503 that would invite a retry to the same instance. */
		return problem(400, "MANDATORY_IE_INCORRECT",
			       "the A-KID's routing indicator is not served by this AAnF", "/aKId",
			       "routing indicator not served here", status, is_problem);
	default:
		return problem(500, "SYSTEM_FAILURE", "internal error", NULL, NULL, status,
			       is_problem);
	}

	json_t *o = NULL;
	switch (call->op) {
	case AKMA_SBI_REMOVE:
		*status = 204;
		return NULL;
	case AKMA_SBI_REGISTER:
		o = json_object();
		if (!o)
			break;
		snprintf(text, sizeof(text), "%.*s", (int)req->ueid_len,
			 (const char *)((struct akma_req *)req)->data + req->akid_len +
				 req->af_id_len);
		json_object_set_new(o, req->ueid_type == AKMA_UEID_TYPE_GPSI ? "gpsi" : "supi",
				    json_stringn(text, req->ueid_len));
		json_object_set_new(o, "aKId",
				    json_stringn((const char *)req->data, req->akid_len));
		akma_hex_encode(call->kakma, AKMA_KEY_LEN, hex);
		json_object_set_new(o, "kAkma", json_string(hex));
		break;
	case AKMA_SBI_RETRIEVE: {
		char *fast = retrieve_answer(call, req);
		if (fast) {
			*status = 200;
			*is_problem = 0;
			return fast;
		}
		o = json_object();
		if (!o)
			break;
		akma_hex_encode(req->kaf, AKMA_KEY_LEN, hex);
		json_object_set_new(o, "kaf", json_string(hex));
		rfc3339(req->expiry_ms / 1000, when);
		json_object_set_new(o, "expiry", json_string(when));
		int gpsi = req->ueid_type == AKMA_UEID_TYPE_GPSI;
		if (req->ueid_len && (gpsi ? call->send_gpsi : call->send_supi)) {
			const char *ue = (const char *)req->data + req->akid_len + req->af_id_len;
			json_object_set_new(o, gpsi ? "gpsi" : "supi",
					    json_stringn(ue, req->ueid_len));
		}
		break;
	}
	}
	if (!o) {
		*status = 500;
		*is_problem = 1;
		return NULL;
	}
	/* TS 29.500 6.6.2: the features both sides support; Naanf_AKMA
	 * defines none that akmad implements. */
	if (call->has_supp_feat)
		json_object_set_new(o, "suppFeat", json_string("0"));
	char *body = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	explicit_bzero(hex, sizeof(hex));
	*status = body ? 200 : 500;
	*is_problem = body == NULL;
	return body;
}

char *akma_sbi_body_dup(const char *text)
{
	size_t n = strlen(text) + 1;
	char *body = akma_secmem_alloc(n);
	if (body)
		memcpy(body, text, n);
	return body;
}

void akma_sbi_body_free(char *body)
{
	if (!body)
		return;
	akma_secmem_free(body); /* wiped there */
}

void akma_sbi_request_af(struct akma_req *req, const struct akma_sbi_call *call)
{
	uint8_t octets[AKMA_AF_ID_MAX];
	req->af_id_len = (uint16_t)akma_af_id_octets(&call->af, octets);
	memcpy(akma_req_af_id(req), octets, req->af_id_len);
	/* Neither identity may go back: the engine need not fetch one; the
	 * GPSI alone (the NEF): the engine returns the GPSI kept beside a SUPI. */
	req->flags = !call->send_supi && !call->send_gpsi ? AKMA_REQ_ANONYMOUS
		     : !call->send_supi                   ? AKMA_REQ_WANT_GPSI
							  : 0;
	req->ueid_len = 0;
}

void akma_sbi_call_wipe(struct akma_sbi_call *call)
{
	explicit_bzero(call, sizeof(*call));
}
