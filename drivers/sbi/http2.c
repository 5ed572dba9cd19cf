/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP/2 front end (see sbi.h).
 *
 * One thread, one epoll set: the listening socket and every connection,
 * non-blocking. nghttp2 runs in memory mode: bytes read are fed to
 * nghttp2_session_mem_recv(), bytes it wants sent are taken with
 * nghttp2_session_mem_send() into the connection's output buffer, which is
 * written until the socket refuses (then EPOLLOUT waits for room).
 *
 * A stream's life: headers (method, path, content type and length), then
 * its body up to the limit, then at END_STREAM either an immediate answer
 * (every refusal) or one engine request, queued and submitted with the
 * others of the same loop pass. The request carries the stream as
 * producer_data. A stream the client resets, or whose connection goes away,
 * while its request is in the engine is only marked orphaned; it is freed
 * when the answer comes back, so no answer ever lands on freed memory.
 *
 * Bodies grow as their octets arrive (doubling from 512, wiped when moved),
 * never from a declared content-length: 51 200 half-sent bodies once held
 * max_body + 1 each, 0.8 GB. All of them draw on one budget
 * (sbi.body_budget); a stream that would pass it is answered 503 at its end,
 * and a content-length above sbi.max_body is answered 413 at the headers.
 *
 * Nothing a client holds is held forever: a stream has sbi.header_timeout
 * to finish its header block and sbi.request_timeout to reach END_STREAM,
 * a connection with no stream is idle from its last whole frame (a client
 * dripping octets makes no progress), and the header list is counted here
 * against sbi.max_header_list (nghttp2 1.52 only announces it). Each limit
 * closes the connection: 64 held streams once locked out every client.
 */
#include "sbi_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "addr.h"
#include "clock.h"
#include "hex.h"
#include "sbi_authz_memo.h"
#include "sbi_json.h"
#include "log.h"
#include "secmem.h"

#define API_PREFIX "/naanf-akma/v1/"
#define API_ROOT "/naanf-akma/"
#define OP_OTHER_VERSION (-2) /* /naanf-akma/vN/... with N other than 1 */
#define AUTHZ_MAX 8192        /* octets of an Authorization header we keep */
#define ACCEPT_BACKOFF_MS 100 /* the listener rests this long when out of descriptors */
#define OUT_MAX (1 << 20)     /* stop reading a connection whose output backs up */
#define SUBMIT_MAX 64
#define READ_OCTETS 16384u

struct conn;

struct stream {
	struct conn *c; /* NULL once orphaned */
	struct stream *next, *prev;
	int32_t id;
	int post, get; /* :method */
	int op;        /* enum akma_sbi_op, or -1: not an API path */
	int json;      /* content-type application/json */
	int has_type;
	long long content_length; /* -1: none */
	struct akma_sbi *sbi;
	char *body;
	size_t body_len, body_cap; /* body_cap octets drawn on sbi.body_budget */
	int no_budget;             /* it would have passed sbi.body_budget */
	uint64_t begin_ms;         /* its first HEADERS (monotonic) */
	int headers_done, ended;   /* END_HEADERS, END_STREAM seen */
	size_t header_octets;      /* RFC 9113 6.5.2: name + value + 32 per field, trailers too */
	int too_big;
	char *authz; /* the Authorization header, wiped when freed */
	size_t authz_len;
	int authz_bad; /* more than one, or longer than AUTHZ_MAX */
	int in_engine; /* its request is in the engine */
	uint64_t t0;   /* ns (monotonic) at END_STREAM */
	struct akma_sbi_call call;
	/* the answer */
	char *resp;
	size_t resp_len, resp_off;
	int resp_problem;
};

struct conn {
	struct akma_sbi *s;
	int fd;
	SSL *ssl; /* NULL: h2c */
	nghttp2_session *h2;
	struct stream *streams; /* open streams */
	unsigned n_streams;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	int want_out; /* EPOLLOUT armed */
	int closing;
	uint64_t last_ms;             /* accepted, or its last complete frame: not its last octet */
	struct sockaddr_storage addr; /* the client's, for sbi.max_connections_per_address */
	int header_list_over;         /* a header list passed sbi.max_header_list */
	int tls_done;                 /* the handshake is over, peer read */
	struct akma_sbi_peer peer;    /* the client certificate's identity (mTLS) */
	struct akma_authz_memo memo;  /* its Authorization field, cut from frames that repeat it */
	int32_t memo_stream;          /* the stream of the cut frame nghttp2 is being fed */
	/* The stream whose header block is being read (0: none): on_header
	 * runs some seven times a request, and nghttp2's look-up of the
	 * stream was 250 of the SBI thread's instructions a retrieve
	 * (callgrind). A block never interleaves with another stream's
	 * frames (RFC 9113 6.10); on_stream_close forgets it. */
	int32_t header_stream;
	struct stream *header_st;
};

struct akma_sbi {
	struct akma_sbi_params p;
	struct akma_sbi_backend b;
	int lfd, ep;
	SSL_CTX *tls; /* NULL: h2c */
	pthread_t thread;
	int stop; /* atomic */
	uint64_t stop_deadline_ms;
	unsigned n_conns;
	struct conn **conns; /* by slot, for the idle sweep */
	unsigned conns_cap;
	struct akma_req *pending[SUBMIT_MAX];
	unsigned n_pending;
	struct akma_sbi_stats st;
	struct akma_sbi_auth *auth;      /* the SBI thread's */
	struct akma_sbi_auth *next_auth; /* atomic: from akma_sbi_reload() */
	SSL_CTX *next_tls;               /* atomic: from akma_sbi_reload() */
	int tls_on;                      /* serves TLS: set at start, read by any thread */
	uint64_t log_window_ms;
	unsigned log_lines, log_suppressed;
	uint64_t accept_paused_until_ms; /* 0: the listener is in the epoll set */
	int accept_pause_logged;
	uint64_t now_ms;    /* this loop pass's time: read once after epoll_wait, not per frame */
	size_t body_octets; /* the bodies' capacity, against p.body_budget */
	uint8_t rbuf
		[READ_OCTETS]; /* what conn_read reads into: this struct is on the secret heap */
};

#define BODY_FIRST_OCTETS 512u
/* How often idle connections and overdue streams are looked for: the
 * timeouts are kept to within this. */
#define SWEEP_MS 250

/* ---- streams ----------------------------------------------------------------------------- */

/* The Date of an answer (RFC 9110 5.6.7), formatted once a second: strftime
 * per answer was 3.3 % of the SBI thread's instructions (callgrind,
 * retrieve-applicationkey under h2load). Per thread: an SBI is one. */
static void http_date(char *out, size_t size)
{
	static __thread time_t last = -1;
	static __thread char text[40];
	time_t now = time(NULL);
	if (now != last) {
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(text, sizeof(text), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		last = now;
	}
	size_t n = strlen(text) + 1;
	memcpy(out, text, n < size ? n : size);
	out[size - 1] = 0;
}

static void body_drop(struct stream *st)
{
	struct akma_sbi *s = st->sbi;
	if (!st->body)
		return;
	akma_secmem_free(st->body); /* wiped there; an emptied slab is unmapped */
	st->body = NULL;
	st->body_len = 0;
	s->body_octets -= st->body_cap;
	st->body_cap = 0;
	akma_sbi_gauge(&s->st.body_octets, s->body_octets);
}

/* Room for `need` octets in st's body: 0, 1 when sbi.body_budget would
 * pass, -1 out of memory. */
static int body_reserve(struct stream *st, size_t need)
{
	struct akma_sbi *s = st->sbi;
	if (need <= st->body_cap)
		return 0;
	size_t cap = st->body_cap ? st->body_cap : BODY_FIRST_OCTETS;
	while (cap < need)
		cap *= 2;
	if (cap > (size_t)s->p.max_body + 1)
		cap = (size_t)s->p.max_body + 1;
	if (s->body_octets - st->body_cap + cap > s->p.body_budget)
		return 1;
	char *grown = akma_secmem_realloc(st->body, cap); /* the old block wiped */
	if (!grown)
		return -1;
	s->body_octets += cap - st->body_cap;
	st->body = grown;
	st->body_cap = cap;
	akma_sbi_gauge(&s->st.body_octets, s->body_octets);
	return 0;
}

static void stream_free(struct stream *st)
{
	if (st->authz) {
		explicit_bzero(st->authz, st->authz_len);
		free(st->authz);
	}
	body_drop(st);
	akma_sbi_body_free(st->resp);
	akma_sbi_call_wipe(&st->call);
	akma_secmem_free(st);
}

static void stream_unlink(struct stream *st)
{
	struct conn *c = st->c;
	if (!c)
		return;
	if (st->prev)
		st->prev->next = st->next;
	else
		c->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	c->n_streams--;
	st->c = NULL;
}

static ssize_t read_body(nghttp2_session *h2, int32_t id, uint8_t *buf, size_t length,
			 uint32_t *flags, nghttp2_data_source *src, void *user)
{
	struct stream *st = src->ptr;
	(void)h2;
	(void)id;
	(void)user;
	size_t n = st->resp_len - st->resp_off;
	if (n > length)
		n = length;
	memcpy(buf, st->resp + st->resp_off, n);
	st->resp_off += n;
	if (st->resp_off == st->resp_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

/* Send status and body (taken over, may be NULL) on the stream, with the
 * headers the status calls for: allow on a 405, Retry-After on a 429 or
 * 503 (TS 29.500 6.4: every one we send is congestion), the challenge
 * (WWW-Authenticate, RFC 6750 3) when given, and Date (RFC 9110 6.6.1). */
static void respond(struct stream *st, int status, char *body, int problem, const char *challenge)
{
	struct conn *c = st->c;
	char code[24], len[24], date[40];
	/* By hand: snprintf of these two was 1 500 instructions a request
	 * (callgrind, the SBI thread under akma-bench sbi). */
	*akma_put_decimal(code, (uint64_t)status) = '\0';
	st->resp = body;
	st->resp_len = body ? strlen(body) : 0;
	st->resp_off = 0;
	*akma_put_decimal(len, st->resp_len) = '\0';
	http_date(date, sizeof(date));
	nghttp2_nv nv[7];
	size_t n = 0;
	/* Names are literals and nghttp2 need not copy them, nor values that
	 * are literals (NV_STATIC); the rest live on this stack. */
#define NV_FLAGS(name, value, value_len, flags)                                                    \
	nv[n++] = (nghttp2_nv){(uint8_t *)(name), (uint8_t *)(value), sizeof(name) - 1, value_len, \
			       NGHTTP2_NV_FLAG_NO_COPY_NAME | (flags)}
#define NV(name, value) NV_FLAGS(name, value, strlen(value), NGHTTP2_NV_FLAG_NONE)
#define NV_STATIC(name, value) \
	NV_FLAGS(name, value, sizeof(value) - 1, NGHTTP2_NV_FLAG_NO_COPY_VALUE)
	NV(":status", code);
	if (status != 204) /* RFC 9110 8.6: no content-length on a 204 */
		NV("content-length", len);
	if (body && problem)
		NV_STATIC("content-type", "application/problem+json");
	else if (body)
		NV_STATIC("content-type", "application/json");
	NV("date", date);
	if (status == 405)
		NV_STATIC("allow", "POST");
	if (status == 429 || status == 503)
		NV_STATIC("retry-after", "1");
	if (challenge && challenge[0])
		NV("www-authenticate", challenge);
#undef NV_STATIC
#undef NV
#undef NV_FLAGS
	nghttp2_data_provider prd = {.source.ptr = st, .read_callback = read_body};
	nghttp2_submit_response(c->h2, st->id, nv, n, body ? &prd : NULL);
	akma_sbi_stats_answer(&c->s->st, st->op, status, st->t0);
}

/* A ProblemDetails answer; cause NULL for the statuses TS 29.500 gives
 * none. */
static void refuse(struct stream *st, int status, const char *cause, const char *detail,
		   const char *challenge)
{
	struct akma_sbi_problem pb;
	akma_sbi_problem_set(&pb, status, cause, detail);
	char *body = akma_sbi_problem_body(&pb);
	respond(st, status, body ? body : akma_sbi_body_dup(akma_sbi_problem_fallback), 1,
		challenge);
}

static void submit_pending(struct akma_sbi *s);

/* At most a few lines a second of refusals worth an operator's eye, so a
 * flood cannot fill the log; never a key or a token. */
static void log_refusal(struct akma_sbi *s, const char *fmt, ...)
{
	uint64_t now = akma_mono_ms();
	if (now - s->log_window_ms >= 1000) {
		if (s->log_suppressed)
			akma_log(LOG_WARNING, "sbi: %u more refusals not logged",
				 s->log_suppressed);
		s->log_window_ms = now;
		s->log_lines = 0;
		s->log_suppressed = 0;
	}
	if (s->log_lines >= 5) {
		s->log_suppressed++;
		return;
	}
	s->log_lines++;
	char text[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	akma_log(LOG_WARNING, "sbi: %s", text);
}

/* END_STREAM: check the caller, then answer now or hand to the engine. */
static void dispatch(struct stream *st)
{
	struct akma_sbi *s = st->c->s;
	struct akma_sbi_problem pb;
	struct akma_sbi_decision d;

	st->t0 = akma_mono_ns();
	/* With authentication on, nothing answers a caller it refuses, not
	 * even an unknown path. */
	akma_sbi_authorize(s->auth, &st->c->peer, st->authz_bad ? "" : st->authz, st->authz_len,
			   st->op < 0 ? -1 : st->op, (uint64_t)time(NULL), &d);
	if (d.status) {
		akma_sbi_bump(&s->st.refused[d.refusal], 1);
		if (d.refusal == AKMA_SBI_REFUSED_ROLE || d.refusal == AKMA_SBI_REFUSED_UNKNOWN)
			log_refusal(s, "%s%s%s: %s", d.consumer ? "consumer '" : "",
				    d.consumer ? d.consumer->name : "a caller",
				    d.consumer ? "'" : "", d.detail);
		refuse(st, d.status, d.cause, d.detail, d.www_authenticate);
		return;
	}
	if (st->op == OP_OTHER_VERSION) {
		refuse(st, 400, "INVALID_API", "this AAnF serves naanf-akma v1 only", NULL);
		return;
	}
	if (st->op < 0) {
		refuse(st, 404, "RESOURCE_URI_STRUCTURE_NOT_FOUND", "no such resource", NULL);
		return;
	}
	if (!st->post) {
		refuse(st, 405, NULL, "only POST is allowed here", NULL);
		return;
	}
	/* No content-length is fine: HTTP/2 frames the body (RFC 9113 8.1.1). */
	if (st->too_big || st->content_length > (long long)s->p.max_body) {
		char detail[80];
		snprintf(detail, sizeof(detail), "the body exceeds %u octets", s->p.max_body);
		refuse(st, 413, NULL, detail, NULL);
		return;
	}
	if (st->no_budget) {
		akma_sbi_bump(&s->st.body_budget_refused, 1);
		refuse(st, 503, "NF_CONGESTION", "the SBI's memory for request bodies is spent",
		       NULL);
		return;
	}
	if (!st->has_type || !st->json) {
		refuse(st, 415, NULL, "content-type must be application/json", NULL);
		return;
	}
	akma_sbi_bump(&s->st.requests[st->op], 1);
	struct akma_req *r;
	if (s->b.alloc(s->b.ctx, &r) != 0) {
		refuse(st, 503, "NF_CONGESTION", "no request slot free", NULL);
		return;
	}
	if (akma_sbi_decode((enum akma_sbi_op)st->op, st->body ? st->body : "", st->body_len,
			    s->p.default_ua, r, &st->call, &pb) != 0) {
		s->b.release(s->b.ctx, r);
		char *body = akma_sbi_problem_body(&pb);
		respond(st, pb.status, body ? body : akma_sbi_body_dup(akma_sbi_problem_fallback),
			1, NULL);
		return;
	}
	if (st->op == AKMA_SBI_RETRIEVE) {
		/* TS 33.535 6.3: may this AAnF serve this AF to this caller? No
		 * K_AF is derived for an AF the caller does not stand for. */
		if (d.consumer &&
		    !akma_sbi_policy_af(d.consumer, &st->call.af, st->call.af_explicit)) {
			s->b.release(s->b.ctx, r);
			akma_sbi_bump(&s->st.refused[AKMA_SBI_REFUSED_AF], 1);
			log_refusal(s,
				    "consumer '%s' asked for the K_AF of AF '%s', which it is not "
				    "authorized for",
				    d.consumer->name, st->call.af.fqdn);
			refuse(st, 403, NULL, "this consumer is not authorized for this afId",
			       NULL);
			return;
		}
		akma_sbi_exposure(&d, st->call.anonymous, &st->call.send_supi, &st->call.send_gpsi);
		akma_sbi_request_af(r, &st->call);
	}
	body_drop(st);
	r->producer_data = st;
	st->in_engine = 1;
	akma_sbi_bump(&s->st.in_flight, 1);
	if (s->n_pending == SUBMIT_MAX)
		submit_pending(s); /* a full burst: send it now */
	s->pending[s->n_pending++] = r;
}

static void submit_pending(struct akma_sbi *s)
{
	struct akma_req *rej[SUBMIT_MAX];
	unsigned n_rej;

	if (!s->n_pending)
		return;
	s->b.submit(s->b.ctx, s->pending, s->n_pending, rej, &n_rej);
	s->n_pending = 0;
	for (unsigned i = 0; i < n_rej; i++) {
		struct stream *st = rej[i]->producer_data;
		s->b.release(s->b.ctx, rej[i]);
		st->in_engine = 0;
		akma_sbi_bump(&s->st.in_flight, -1);
		if (!st->c) {
			stream_free(st);
			continue;
		}
		refuse(st, 503, "NF_CONGESTION", "the engine is overloaded", NULL);
	}
}

/* ---- nghttp2 callbacks -------------------------------------------------------------------- */

static int header_octets_over(struct conn *c, struct stream *st, size_t octets)
{
	/* nghttp2 1.52 announces SETTINGS_MAX_HEADER_LIST_SIZE but does not
	 * enforce it, and an HPACK reference to a large dynamic-table entry
	 * costs one octet on the wire: 131 000 of them cost the thread 0.2 s.
	 * Failing the callback stops decoding at once; the connection closes. */
	st->header_octets += octets;
	if (st->header_octets > c->s->p.max_header_list) {
		c->header_list_over = 1;
		return 1;
	}
	return 0;
}

/* The field of st's header block given by the connection's memo (its
 * frame had it cut out): as on_header would have taken it. Trailers'
 * Authorization, like on_header's, only counts. */
static int memo_field(struct conn *c, struct stream *st)
{
	const struct akma_authz_memo *m = &c->memo;
	c->memo_stream = 0;
	akma_sbi_bump(&c->s->st.authz_reused, 1);
	if (header_octets_over(c, st, 13 + m->value_len + 32))
		return -1;
	if (st->headers_done)
		return 0;
	if (st->authz) {
		st->authz_bad = 1;
	} else if ((st->authz = malloc(m->value_len + 1)) != NULL) {
		memcpy(st->authz, m->value, m->value_len);
		st->authz[m->value_len] = '\0';
		st->authz_len = m->value_len;
	}
	return 0;
}

static int on_begin_headers(nghttp2_session *h2, const nghttp2_frame *f, void *user)
{
	struct conn *c = user;
	if (f->hd.type != NGHTTP2_HEADERS)
		return 0;
	if (f->headers.cat != NGHTTP2_HCAT_REQUEST) {
		struct stream *st = nghttp2_session_get_stream_user_data(h2, f->hd.stream_id);
		c->header_stream = st ? f->hd.stream_id : 0;
		c->header_st = st;
		if (st && c->memo_stream == f->hd.stream_id && memo_field(c, st) != 0)
			return NGHTTP2_ERR_CALLBACK_FAILURE;
		return 0;
	}
	struct stream *st = akma_secmem_alloc(sizeof(*st)); /* its call holds K_AKMA */
	if (!st)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	st->c = c;
	st->sbi = c->s;
	st->begin_ms = c->s->now_ms;
	st->id = f->hd.stream_id;
	st->op = -1;
	st->content_length = -1;
	st->next = c->streams;
	if (c->streams)
		c->streams->prev = st;
	c->streams = st;
	c->n_streams++;
	akma_sbi_bump(&c->s->st.streams, 1);
	nghttp2_session_set_stream_user_data(h2, st->id, st);
	c->header_stream = st->id;
	c->header_st = st;
	if (c->memo_stream == st->id && memo_field(c, st) != 0)
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	return 0;
}

static int on_header(nghttp2_session *h2, const nghttp2_frame *f, const uint8_t *name, size_t nl,
		     const uint8_t *value, size_t vl, uint8_t flags, void *user)
{
	struct conn *c = user;
	(void)flags;
	if (f->hd.type != NGHTTP2_HEADERS)
		return 0;
	struct stream *st = f->hd.stream_id == c->header_stream
				    ? c->header_st
				    : nghttp2_session_get_stream_user_data(h2, f->hd.stream_id);
	if (!st)
		return 0;
	if (header_octets_over(c, st, nl + vl + 32))
		return NGHTTP2_ERR_CALLBACK_FAILURE;
	if (f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	const char *v = (const char *)value;
	if (nl == 7 && !memcmp(name, ":method", 7)) {
		st->post = vl == 4 && !memcmp(v, "POST", 4);
		st->get = vl == 3 && !memcmp(v, "GET", 3);
	} else if (nl == 5 && !memcmp(name, ":path", 5)) {
		size_t pl = vl;
		const char *q = memchr(v, '?', vl);
		if (q)
			pl = (size_t)(q - v);
		static const char *const ops[] = {"register-anchorkey", "retrieve-applicationkey",
						  "remove-context"};
		size_t al = sizeof(API_PREFIX) - 1, rl = sizeof(API_ROOT) - 1;
		for (int i = 0; i < 3; i++)
			if (pl == al + strlen(ops[i]) && !memcmp(v, API_PREFIX, al) &&
			    !memcmp(v + al, ops[i], pl - al))
				st->op = i;
		if (st->op < 0 && pl > rl + 1 && !memcmp(v, API_ROOT, rl) && v[rl] == 'v' &&
		    (pl < al || memcmp(v, API_PREFIX, al)))
			st->op = OP_OTHER_VERSION;
	} else if (nl == 13 && !memcmp(name, "authorization", 13)) {
		if (st->authz || vl > AUTHZ_MAX) {
			st->authz_bad = 1;
		} else if ((st->authz = malloc(vl + 1)) != NULL) {
			memcpy(st->authz, v, vl);
			st->authz[vl] = '\0';
			st->authz_len = vl;
			akma_authz_memo_learn(&c->memo, v, vl); /* -ENOMEM: nothing cut */
		}
	} else if (nl == 12 && !memcmp(name, "content-type", 12)) {
		st->has_type = 1;
		size_t tl = vl;
		const char *semi = memchr(v, ';', vl);
		if (semi)
			tl = (size_t)(semi - v);
		while (tl && v[tl - 1] == ' ')
			tl--;
		st->json = tl == 16 && !strncasecmp(v, "application/json", 16);
	} else if (nl == 14 && !memcmp(name, "content-length", 14)) {
		/* nghttp2 has checked it is digits, matching the DATA it sees; more
		 * than 18 of them is more than any body we take (and than int64). */
		long long cl = vl > 18 ? LLONG_MAX : 0;
		for (size_t i = 0; vl <= 18 && i < vl && v[i] >= '0' && v[i] <= '9'; i++)
			cl = cl * 10 + (v[i] - '0');
		st->content_length = cl;
	}
	return 0;
}

static int on_data_chunk(nghttp2_session *h2, uint8_t flags, int32_t id, const uint8_t *data,
			 size_t len, void *user)
{
	struct conn *c = user;
	(void)flags;
	struct stream *st = nghttp2_session_get_stream_user_data(h2, id);
	if (!st || st->too_big || st->no_budget || st->resp)
		return 0;
	if (st->body_len + len > c->s->p.max_body) {
		st->too_big = 1;
		body_drop(st);
		return 0;
	}
	int rc = body_reserve(st, st->body_len + len + 1);
	if (rc < 0)
		return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
	if (rc > 0) {
		st->no_budget = 1;
		body_drop(st);
		return 0;
	}
	memcpy(st->body + st->body_len, data, len);
	st->body_len += len;
	return 0;
}

static int on_frame_recv(nghttp2_session *h2, const nghttp2_frame *f, void *user)
{
	struct conn *c = user;
	/* Progress is a whole frame: a client dripping octets makes none. */
	c->last_ms = c->s->now_ms;
	if (f->hd.type != NGHTTP2_HEADERS && f->hd.type != NGHTTP2_DATA)
		return 0;
	struct stream *st = nghttp2_session_get_stream_user_data(h2, f->hd.stream_id);
	if (st && f->hd.type == NGHTTP2_HEADERS)
		st->headers_done = 1;
	if (st && (f->hd.flags & NGHTTP2_FLAG_END_STREAM))
		st->ended = 1;
	if (!st || st->in_engine || st->resp)
		return 0;
	/* A declared body above the limit is refused before it is read (after
	 * the caller's checks: dispatch answers 401 before 413). */
	if ((f->hd.flags & NGHTTP2_FLAG_END_STREAM) ||
	    (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST &&
	     st->content_length > (long long)c->s->p.max_body))
		dispatch(st);
	return 0;
}

static int on_stream_close(nghttp2_session *h2, int32_t id, uint32_t code, void *user)
{
	struct conn *c = user;
	(void)code;
	if (id == c->header_stream)
		c->header_stream = 0;
	struct stream *st = nghttp2_session_get_stream_user_data(h2, id);
	if (!st || c->closing)
		return 0;
	nghttp2_session_set_stream_user_data(h2, id, NULL);
	stream_unlink(st);
	if (st->in_engine)
		return 0; /* orphaned: freed when its answer comes back */
	stream_free(st);
	return 0;
}

static nghttp2_session_callbacks *callbacks;
static nghttp2_option *options;

/* nghttp2's buffers hold bodies (K_AKMA in, K_AF out) in its frame and
 * HPACK buffers, which it reuses without wiping: the secret heap. */
static void *h2_malloc(size_t n, void *user)
{
	(void)user;
	return akma_secmem_alloc(n);
}
static void h2_free(void *p, void *user)
{
	(void)user;
	akma_secmem_free(p);
}
static void *h2_calloc(size_t nmemb, size_t size, void *user)
{
	(void)user;
	return akma_secmem_calloc(nmemb, size);
}
static void *h2_realloc(void *p, size_t n, void *user)
{
	(void)user;
	return akma_secmem_realloc(p, n);
}
static nghttp2_mem secret_heap = {NULL, h2_malloc, h2_free, h2_calloc, h2_realloc};

/* ---- connections ----------------------------------------------------------------------------- */

static void conn_close(struct conn *c)
{
	struct akma_sbi *s = c->s;
	c->closing = 1;
	for (struct stream *st = c->streams, *next; st; st = next) {
		next = st->next;
		st->c = NULL;
		if (!st->in_engine)
			stream_free(st);
	}
	c->streams = NULL;
	nghttp2_session_del(c->h2);
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (c->ssl) {
		SSL_shutdown(c->ssl); /* best effort: one close_notify, no wait */
		SSL_free(c->ssl);
	}
	close(c->fd);
	for (unsigned i = 0; i < s->conns_cap; i++)
		if (s->conns[i] == c)
			s->conns[i] = NULL;
	akma_secmem_free(c->out);
	explicit_bzero(&c->peer, sizeof(c->peer)); /* its last token */
	akma_authz_memo_clear(&c->memo);
	free(c);
	s->n_conns--;
	akma_sbi_bump(&s->st.connections_open, -1);
}

/* Move what nghttp2 wants sent into the buffer, and write. Returns -1 when
 * the connection is over (closed here). */
static int conn_flush(struct conn *c)
{
	if (c->ssl && !c->tls_done)
		return 0; /* HTTP/2 waits for the handshake and its ALPN (conn_read) */
	for (;;) {
		if (c->out_len - c->out_off < OUT_MAX) {
			const uint8_t *data;
			ssize_t n = nghttp2_session_mem_send(c->h2, &data);
			if (n < 0) {
				conn_close(c);
				return -1;
			}
			if (n > 0) {
				if (c->out_off == c->out_len)
					c->out_off = c->out_len = 0;
				if (c->out_len + (size_t)n > c->out_cap) {
					size_t cap = c->out_cap ? c->out_cap : 16384;
					while (cap < c->out_len + (size_t)n)
						cap *= 2;
					uint8_t *p = akma_secmem_realloc(c->out, cap);
					if (!p) {
						conn_close(c);
						return -1;
					}
					c->out = p;
					c->out_cap = cap;
				}
				memcpy(c->out + c->out_len, data, (size_t)n);
				c->out_len += (size_t)n;
				continue;
			}
		}
		break;
	}
	while (c->out_off < c->out_len) {
		if (c->ssl) {
			ERR_clear_error();
			int n = SSL_write(c->ssl, c->out + c->out_off,
					  (int)(c->out_len - c->out_off));
			if (n > 0) {
				c->out_off += (size_t)n;
				continue;
			}
			int e = SSL_get_error(c->ssl, n);
			if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ)
				break;
			akma_sbi_bump(&c->s->st.tls_failures, 1);
			conn_close(c);
			return -1;
		}
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		conn_close(c);
		return -1;
	}
	int pending = c->out_off < c->out_len;
	if (pending != c->want_out) {
		struct epoll_event ev = {.events = EPOLLIN | (pending ? EPOLLOUT : 0),
					 .data.ptr = c};
		epoll_ctl(c->s->ep, EPOLL_CTL_MOD, c->fd, &ev);
		c->want_out = pending;
	}
	if (!pending && !nghttp2_session_want_read(c->h2) && !nghttp2_session_want_write(c->h2)) {
		conn_close(c);
		return -1;
	}
	return 0;
}

static void conn_read(struct conn *c)
{
	uint8_t *buf = c->s->rbuf;
	for (;;) {
		ssize_t n;
		if (c->ssl) {
			ERR_clear_error();
			if (!c->tls_done) {
				/* The handshake first, and nothing of HTTP/2 before it is
				 * over and h2 was negotiated (conn_flush holds the
				 * SETTINGS back until then). */
				int h = SSL_do_handshake(c->ssl);
				if (h != 1) {
					int e = SSL_get_error(c->ssl, h);
					if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
						break;
					akma_sbi_bump(&c->s->st.tls_failures, 1);
					conn_close(c);
					return;
				}
				/* RFC 9113 3.3: OpenSSL does not call the ALPN callback for
				 * a client that offers none: such a handshake ends here. */
				const unsigned char *alpn = NULL;
				unsigned alpn_len = 0;
				SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
				if (alpn_len != 2 || memcmp(alpn, "h2", 2) != 0) {
					akma_sbi_bump(&c->s->st.tls_failures, 1);
					conn_close(c);
					return;
				}
				c->tls_done = 1;
				akma_sbi_peer_read(c->ssl, &c->peer);
				if (conn_flush(c) != 0)
					return;
			}
			int r = SSL_read(c->ssl, buf, READ_OCTETS);
			if (r <= 0) {
				int e = SSL_get_error(c->ssl, r);
				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					break;
				if (e != SSL_ERROR_ZERO_RETURN)
					akma_sbi_bump(&c->s->st.tls_failures, 1);
				conn_close(c);
				return;
			}
			n = r;
		} else {
			n = recv(c->fd, buf, READ_OCTETS, 0);
			if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
				conn_close(c);
				return;
			}
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
		}
		ssize_t used = 0;
		for (size_t pos = 0, off, len; used >= 0 && pos < (size_t)n;) {
			c->memo_stream =
				akma_authz_memo_scan(&c->memo, buf, (size_t)n, &pos, &off, &len);
			used = nghttp2_session_mem_recv(c->h2, buf + off, len);
			c->memo_stream = 0;
		}
		if (used < 0) {
			/* Not HTTP/2, or broken, or over a limit: GOAWAY (nghttp2
			 * queued it when it could), then close once it is written. */
			if (c->header_list_over) {
				akma_sbi_bump(&c->s->st.header_lists_refused, 1);
				nghttp2_session_terminate_session(c->h2, NGHTTP2_ENHANCE_YOUR_CALM);
			} else {
				akma_sbi_bump(&c->s->st.protocol_errors, 1);
				nghttp2_session_terminate_session(c->h2, NGHTTP2_PROTOCOL_ERROR);
			}
			if (conn_flush(c) == 0)
				conn_close(c);
			return;
		}
		if ((size_t)n < READ_OCTETS && !(c->ssl && SSL_pending(c->ssl)))
			break;
	}
	conn_flush(c);
}

static int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	return 0;
}

/* A scan, only when sbi.max_connections_per_address is set: at 4096
 * connections a few microseconds an accept, far below a TLS handshake. */
static unsigned connections_from(const struct akma_sbi *s, const struct sockaddr_storage *addr)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->conns_cap; i++)
		if (s->conns[i] && same_host(&s->conns[i]->addr, addr))
			n++;
	return n;
}

/* Whether one of c's streams has outlived sbi.header_timeout (its header
 * block unfinished) or sbi.request_timeout (no END_STREAM yet). */
static int conn_overdue(const struct conn *c, uint64_t now)
{
	const struct akma_sbi_params *p = &c->s->p;
	for (const struct stream *st = c->streams; st; st = st->next) {
		uint64_t age = now - st->begin_ms;
		if ((!st->headers_done && age > p->header_timeout_ms) ||
		    (!st->ended && age > p->request_timeout_ms))
			return 1;
	}
	return 0;
}

static void accept_all(struct akma_sbi *s)
{
	for (;;) {
		struct sockaddr_storage addr;
		socklen_t addr_len = sizeof(addr);
		int fd = accept4(s->lfd, (struct sockaddr *)&addr, &addr_len,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EMFILE || errno == ENFILE)) {
			/* Out of descriptors: the listener stays readable, so a
			 * level-triggered epoll would spin. Take it out for a while
			 * (and until a connection closes); say so once. */
			epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
			s->accept_paused_until_ms = akma_mono_ms() + ACCEPT_BACKOFF_MS;
			akma_sbi_bump(&s->st.accept_paused, 1);
			if (!s->accept_pause_logged) {
				s->accept_pause_logged = 1;
				akma_log(LOG_WARNING,
					 "sbi: accept: %s: new connections wait %d ms at a time "
					 "until descriptors are free (raise LimitNOFILE / ulimit "
					 "-n)",
					 strerror(errno), ACCEPT_BACKOFF_MS);
			}
			return;
		}
		if (fd < 0)
			return;
		s->accept_pause_logged = 0;
		if (s->n_conns >= s->p.max_connections ||
		    __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
			close(fd);
			continue;
		}
		if (s->p.max_connections_per_address &&
		    connections_from(s, &addr) >= s->p.max_connections_per_address) {
			akma_sbi_bump(&s->st.per_address_refused, 1);
			close(fd);
			continue;
		}
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = calloc(1, sizeof(*c));
		if (!c ||
		    nghttp2_session_server_new3(&c->h2, callbacks, c, options, &secret_heap) != 0) {
			free(c);
			close(fd);
			continue;
		}
		c->s = s;
		c->fd = fd;
		akma_authz_memo_init(&c->memo);
		c->addr = addr;
		c->last_ms = s->now_ms;
		if (s->tls) {
			c->ssl = SSL_new(s->tls);
			if (!c->ssl || SSL_set_fd(c->ssl, fd) != 1) {
				SSL_free(c->ssl);
				nghttp2_session_del(c->h2);
				free(c);
				close(fd);
				continue;
			}
			SSL_set_accept_state(c->ssl);
		}
		nghttp2_settings_entry iv[] = {
			{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, s->p.max_streams},
			{NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, s->p.max_header_list},
		};
		nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, 2);
		unsigned slot = 0;
		while (slot < s->conns_cap && s->conns[slot])
			slot++;
		if (slot == s->conns_cap) {
			unsigned cap = s->conns_cap ? 2 * s->conns_cap : 64;
			struct conn **p = realloc(s->conns, cap * sizeof(*p));
			if (!p) {
				nghttp2_session_del(c->h2);
				free(c);
				close(fd);
				continue;
			}
			memset(p + s->conns_cap, 0, (cap - s->conns_cap) * sizeof(*p));
			s->conns = p;
			s->conns_cap = cap;
		}
		s->conns[slot] = c;
		s->n_conns++;
		akma_sbi_bump(&s->st.connections, 1);
		akma_sbi_bump(&s->st.connections_open, 1);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev);
		conn_flush(c);
	}
}

/* ---- answers from the engine ------------------------------------------------------------------- */

static void collect(struct akma_sbi *s)
{
	struct akma_req *done[64];
	unsigned n = s->b.poll(s->b.ctx, done, 64);
	struct conn *touched[64];
	unsigned nt = 0;

	for (unsigned i = 0; i < n; i++) {
		struct stream *st = done[i]->producer_data;
		st->in_engine = 0;
		akma_sbi_bump(&s->st.in_flight, -1);
		if (!st->c) {
			s->b.release(s->b.ctx, done[i]);
			stream_free(st);
			continue;
		}
		int status, problem;
		char *body = akma_sbi_encode_answer(&st->call, done[i], &status, &problem);
		s->b.release(s->b.ctx, done[i]); /* wipes K_AF */
		if (!body && problem)
			body = akma_sbi_body_dup(akma_sbi_problem_fallback);
		respond(st, status, body, problem, NULL);
		unsigned k = 0;
		while (k < nt && touched[k] != st->c)
			k++;
		if (k == nt)
			touched[nt++] = st->c;
	}
	for (unsigned k = 0; k < nt; k++)
		conn_flush(touched[k]);
}

/* ---- metrics ------------------------------------------------------------------------------------ */

void akma_sbi_write_metrics(const struct akma_sbi *s, FILE *f)
{
	akma_sbi_metrics_write(&s->st, f);
}

/* ---- the thread ----------------------------------------------------------------------------------- */

static void *sbi_main(void *arg)
{
	struct akma_sbi *s = arg;
	struct epoll_event evs[64];
	uint64_t next_sweep = 0;
	int stopping = 0;

	for (;;) {
		struct akma_sbi_auth *next =
			__atomic_exchange_n(&s->next_auth, NULL, __ATOMIC_ACQ_REL);
		if (next) {
			akma_sbi_auth_free(s->auth);
			s->auth = next;
		}
		SSL_CTX *next_tls = __atomic_exchange_n(&s->next_tls, NULL, __ATOMIC_ACQ_REL);
		if (next_tls) {
			SSL_CTX_free(s->tls); /* connections made from it keep their reference */
			s->tls = next_tls;
		}
		int stop = __atomic_load_n(&s->stop, __ATOMIC_ACQUIRE);
		if (stop && !stopping) {
			stopping = 1;
			epoll_ctl(s->ep, EPOLL_CTL_DEL, s->lfd, NULL);
			for (unsigned i = 0; i < s->conns_cap; i++) {
				struct conn *c = s->conns[i];
				if (!c)
					continue;
				nghttp2_submit_goaway(
					c->h2, NGHTTP2_FLAG_NONE,
					nghttp2_session_get_last_proc_stream_id(c->h2),
					NGHTTP2_NO_ERROR, NULL, 0);
				conn_flush(c);
			}
		}
		if (stopping && (s->st.in_flight == 0 || akma_mono_ms() >= s->stop_deadline_ms))
			break;
		int timeout = s->st.in_flight ? 0 : 100;
		if (timeout) { /* the last bodies, out of a dump */
			akma_secmem_clear_registers();
			akma_secmem_clear_stack();
		}
		int n = epoll_wait(s->ep, evs, 64, timeout);
		s->now_ms = akma_mono_ms();
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				accept_all(s);
				continue;
			}
			struct conn *c = evs[i].data.ptr;
			if (evs[i].events & (EPOLLERR | EPOLLHUP)) {
				conn_close(c);
				continue;
			}
			if (evs[i].events & EPOLLOUT && conn_flush(c) != 0)
				continue;
			if (evs[i].events & EPOLLIN)
				conn_read(c);
		}
		submit_pending(s);
		/* Flush what the dispatches answered at once. */
		if (n > 0)
			for (unsigned i = 0; i < s->conns_cap; i++)
				if (s->conns[i] && nghttp2_session_want_write(s->conns[i]->h2))
					conn_flush(s->conns[i]);
		if (s->st.in_flight) {
			collect(s);
			if (n == 0) {
				struct timespec nap = {0, 20000};
				nanosleep(&nap, NULL);
			}
		}
		uint64_t now = akma_mono_ms();
		if (s->accept_paused_until_ms && now >= s->accept_paused_until_ms && !stopping) {
			struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
			epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &lev);
			s->accept_paused_until_ms = 0;
		}
		if (now >= next_sweep) {
			next_sweep = now + SWEEP_MS;
			for (unsigned i = 0; i < s->conns_cap; i++) {
				struct conn *c = s->conns[i];
				if (c && c->n_streams && conn_overdue(c, now)) {
					/* Held streams would hold their slots forever. */
					akma_sbi_bump(&s->st.requests_timed_out, 1);
					nghttp2_session_terminate_session(c->h2, NGHTTP2_NO_ERROR);
					if (conn_flush(c) == 0)
						conn_close(c);
				} else if (c && c->n_streams == 0 &&
					   now - c->last_ms > s->p.idle_timeout_ms) {
					nghttp2_submit_goaway(
						c->h2, NGHTTP2_FLAG_NONE,
						nghttp2_session_get_last_proc_stream_id(c->h2),
						NGHTTP2_NO_ERROR, NULL, 0);
					if (conn_flush(c) == 0)
						conn_close(c);
				}
			}
		}
	}
	for (unsigned i = 0; i < s->conns_cap; i++)
		if (s->conns[i])
			conn_close(s->conns[i]);
	/* Anything still in the engine comes back to orphaned streams. */
	uint64_t give_up = akma_mono_ms() + 1000;
	while (s->st.in_flight && akma_mono_ms() < give_up) {
		collect(s);
		struct timespec nap = {0, 100000};
		nanosleep(&nap, NULL);
	}
	return NULL;
}

/* ---- control ------------------------------------------------------------------------------------------ */

static int listen_on(const char *text, char *why, size_t why_size)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (akma_addr_parse("sbi.listen", text, AKMA_ADDR_HOSTPORT, &ss, &len, why, why_size) != 0)
		return -1;
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 1024) != 0) {
		snprintf(why, why_size, "sbi.listen %s: %s", text, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct akma_sbi *akma_sbi_start(const struct akma_sbi_params *p, const struct akma_sbi_backend *b,
				char *why, size_t why_size)
{
	if (!options) {
		if (nghttp2_option_new(&options) != 0) {
			snprintf(why, why_size, "out of memory");
			return NULL;
		}
		/* Debian's 1.52.0-1+deb12u3 carries both backports; their values
		 * are upstream's defaults, set here so that a build against an
		 * nghttp2 without them fails to link instead of going unguarded:
		 * RST_STREAM at most 1000 at once, then 33 a second (CVE-2023-44487),
		 * at most 8 CONTINUATION frames to a header block (CVE-2024-27316). */
		nghttp2_option_set_stream_reset_rate_limit(options, 1000, 33);
		nghttp2_option_set_max_continuations(options, 8);
	}
	if (!callbacks) {
		if (nghttp2_session_callbacks_new(&callbacks) != 0) {
			snprintf(why, why_size, "out of memory");
			return NULL;
		}
		nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks,
									on_begin_headers);
		nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
		nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, on_data_chunk);
		nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, on_frame_recv);
		nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_stream_close);
	}
	struct akma_sbi *s = akma_secmem_alloc(sizeof(*s));
	if (!s) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	s->p = *p;
	s->b = *b;
	if (p->tls_client_ca && p->tls_client_ca[0] && !(p->tls_cert && p->tls_cert[0])) {
		snprintf(why, why_size, "sbi.tls_client_ca needs sbi.tls_cert and sbi.tls_key");
		akma_secmem_free(s);
		return NULL;
	}
	if (!(s->auth = akma_sbi_auth_create(p, why, why_size))) {
		akma_secmem_free(s);
		return NULL;
	}
	if (p->tls_cert && p->tls_cert[0] && !(s->tls = akma_sbi_tls_context(p, why, why_size))) {
		akma_sbi_auth_free(s->auth);
		akma_secmem_free(s);
		return NULL;
	}
	s->tls_on = s->tls != NULL;
	if (s->tls && !akma_sbi_tls_on_secret_heap)
		akma_log(LOG_WARNING, "sbi: OpenSSL allocated before akmad could move it to the "
				      "secret heap: TLS buffers are not kept out of core dumps");
	s->lfd = listen_on(p->listen, why, why_size);
	if (s->lfd < 0) {
		SSL_CTX_free(s->tls);
		akma_sbi_auth_free(s->auth);
		akma_secmem_free(s);
		return NULL;
	}
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev);
	int rc = pthread_create(&s->thread, NULL, sbi_main, s);
	if (rc) {
		snprintf(why, why_size, "sbi thread: %s", strerror(rc));
		close(s->lfd);
		close(s->ep);
		SSL_CTX_free(s->tls);
		akma_sbi_auth_free(s->auth);
		akma_secmem_free(s);
		return NULL;
	}
	pthread_setname_np(s->thread, "akma-sbi");
	return s;
}

void akma_sbi_stop(struct akma_sbi *s, unsigned timeout_ms)
{
	if (!s)
		return;
	s->stop_deadline_ms = akma_mono_ms() + timeout_ms;
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELEASE);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	close(s->ep);
	SSL_CTX_free(s->tls);
	akma_sbi_auth_free(s->auth);
	akma_sbi_auth_free(__atomic_exchange_n(&s->next_auth, NULL, __ATOMIC_ACQ_REL));
	SSL_CTX_free(__atomic_exchange_n(&s->next_tls, NULL, __ATOMIC_ACQ_REL));
	free(s->conns);
	akma_secmem_free(s);
}

int akma_sbi_reload(struct akma_sbi *s, const struct akma_sbi_params *p, char *why, size_t why_size)
{
	/* The certificate, key and client CA read again: new connections
	 * take the new context; an established one keeps the context its SSL
	 * was made from (each SSL holds a reference), so rotation drops none. */
	SSL_CTX *tls = NULL;
	if (s->tls_on && !(tls = akma_sbi_tls_context(p, why, why_size)))
		return -1;
	struct akma_sbi_auth *a = akma_sbi_auth_create(p, why, why_size);
	if (!a) {
		SSL_CTX_free(tls);
		return -1;
	}
	/* A second reload before the thread took the first: the first is
	 * never used. */
	akma_sbi_auth_free(__atomic_exchange_n(&s->next_auth, a, __ATOMIC_ACQ_REL));
	if (tls)
		SSL_CTX_free(__atomic_exchange_n(&s->next_tls, tls, __ATOMIC_ACQ_REL));
	return 0;
}
