/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NRF client (see nrf.h). One thread, one connection, one request at a
 * time: NFManagement traffic is a registration and then a heartbeat every
 * heartBeatTimer seconds, so there is nothing to pipeline, and a single
 * request in flight keeps the state machine a handful of lines. The
 * connection is a non-blocking socket driven by poll() with a 100 ms tick
 * (the role is polled on the same tick); nghttp2 works on memory buffers
 * (mem_recv, mem_send) so that TCP and TLS share one path. Each request
 * has a deadline; past it, or on any fault of the connection, the
 * connection is dropped and the step retried after the backoff.
 */
#include "nrf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "addr.h"
#include "clock.h"
#include "log.h"
#include "uuid.h"

#define BODY_MAX 65536
#define TICK_MS 100

struct request {
	const char *method;
	char path[512];
	const char *content_type; /* NULL: no body */
	char *body;
	size_t body_len, body_off;
	int32_t stream;
	int status; /* :status; 0 until the headers */
	char resp[BODY_MAX + 1];
	size_t resp_len;
	int done;    /* the stream closed */
	int failed;  /* reset, or the response too large */
	int retried; /* sent again once on a fresh connection */
	uint64_t deadline_ms;
};

struct akma_nrf {
	struct akma_nrf_params p;
	char uri[256], id[64], endpoints[256], ca[1024], cert[1024], key[1024];
	struct akma_rid_set rids;
	int https;
	char host[256], port[8], prefix[128];
	SSL_CTX *tls;

	pthread_t thread;
	int stop; /* atomic */

	/* the connection */
	int fd;
	SSL *ssl;
	int connecting, handshaking;
	nghttp2_session *h2;
	uint8_t *out; /* what nghttp2 gave and the socket has not taken */
	size_t out_len, out_off, out_cap;

	struct request req;
	int in_flight;
	unsigned conn_uses; /* requests answered on this connection */
	int peer_gone;      /* the NRF ended the connection after an answer */

	/* the registration */
	int registered;       /* our profile is in the NRF */
	const char *reported; /* the nfStatus it holds */
	const char *sending;  /* the nfStatus of the request in flight */
	unsigned interval_s;  /* heartBeatTimer in force */
	uint64_t next_ms;     /* next PUT or PATCH */
	unsigned backoff_s;

	struct akma_nrf_stats st; /* written here, read anywhere (relaxed) */
};

static const char *const state_names[AKMA_NRF_N_STATES] = {
	"standby",     "registering", "registered",   "suspended",
	"unreachable", "refused",     "deregistered",
};

const char *akma_nrf_state_name(unsigned state)
{
	return state < AKMA_NRF_N_STATES ? state_names[state] : "?";
}

static void bump(uint64_t *c)
{
	__atomic_store_n(c, *c + 1, __ATOMIC_RELAXED);
}

/* A change of state, logged once with its reason. */
static void set_state(struct akma_nrf *n, unsigned state, int prio, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void set_state(struct akma_nrf *n, unsigned state, int prio, const char *fmt, ...)
{
	if (n->st.state == state)
		return;
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	akma_log(prio, "nrf %s: %s -> %s: %s", n->uri, akma_nrf_state_name((unsigned)n->st.state),
		 akma_nrf_state_name(state), text);
	__atomic_store_n(&n->st.state, state, __ATOMIC_RELAXED);
}

/* ---- the profile -------------------------------------------------------------------------- */

/* An endpoint "HOST:PORT" or "[V6]:PORT" as an IpEndPoint. */
static json_t *ip_endpoint(const char *text, size_t len)
{
	char buf[128], why[160];
	struct sockaddr_storage ss;
	socklen_t sl;
	snprintf(buf, sizeof(buf), "%.*s", (int)len, text);
	if (akma_addr_parse("endpoint", buf, AKMA_ADDR_HOSTPORT, &ss, &sl, why, sizeof(why)) != 0)
		return NULL;
	char addr[64];
	int port;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr));
		port = ntohs(a->sin_port);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, addr, sizeof(addr));
		port = ntohs(a->sin6_port);
	}
	return json_pack("{s:s, s:s, s:i}", ss.ss_family == AF_INET ? "ipv4Address" : "ipv6Address",
			 addr, "transport", "TCP", "port", port);
}

/* Add the endpoint's address to the profile's list of its family, once. */
static void add_address(json_t *v4, json_t *v6, const json_t *ep)
{
	const json_t *a4 = json_object_get(ep, "ipv4Address"),
		     *a6 = json_object_get(ep, "ipv6Address");
	json_t *list = a4 ? v4 : v6;
	const json_t *a = a4 ? a4 : a6;
	size_t i;
	json_t *have;
	json_array_foreach(list, i, have) if (json_equal(have, a)) return;
	json_array_append(list, (json_t *)a);
}

char *akma_nrf_profile(const struct akma_nrf_params *p, const char *status)
{
	json_t *eps = json_array(), *v4 = json_array(), *v6 = json_array();
	for (const char *e = p->endpoints; e && *e;) {
		size_t len = strcspn(e, ",");
		json_t *ep = ip_endpoint(e, len);
		if (!ep) {
			json_decref(eps);
			json_decref(v4);
			json_decref(v6);
			return NULL;
		}
		add_address(v4, v6, ep);
		json_array_append_new(eps, ep);
		e += len + (e[len] == ',');
	}
	if (!json_array_size(eps)) {
		json_decref(eps);
		json_decref(v4);
		json_decref(v6);
		return NULL;
	}
	/* TS 29.535 V18.3.0's OpenAPI: naanf-akma v1, 1.1.0 of its info.version. */
	json_t *service = json_pack(
		"{s:s, s:s, s:[{s:s, s:s}], s:s, s:s, s:o, s:[s,s,s]}", "serviceInstanceId",
		"naanf-akma", "serviceName", "naanf-akma", "versions", "apiVersionInUri", "v1",
		"apiFullVersion", "1.1.0", "scheme", p->https ? "https" : "http", "nfServiceStatus",
		status, "ipEndPoints", eps, "allowedNfTypes", "AUSF", "AF", "NEF");
	json_t *profile = json_pack("{s:s, s:s, s:s, s:s, s:i, s:{s:o}, s:[s,s,s]}", "nfInstanceId",
				    p->nf_instance_id, "nfInstanceName", "akmad", "nfType", "AANF",
				    "nfStatus", status, "heartBeatTimer", (int)p->heartbeat_s,
				    "nfServiceList", "naanf-akma", service, "allowedNfTypes",
				    "AUSF", "AF", "NEF");
	if (!profile)
		return NULL;
	/* TS 29.510 NFProfile: an fqdn, ipv4Addresses or ipv6Addresses. */
	if (json_array_size(v4))
		json_object_set(profile, "ipv4Addresses", v4);
	if (json_array_size(v6))
		json_object_set(profile, "ipv6Addresses", v6);
	json_decref(v4);
	json_decref(v6);
	if (p->rids && akma_rid_set_count(p->rids)) {
		json_t *list = json_array();
		char rid[5];
		for (uint32_t i = 0; i < AKMA_RID_SLOTS; i++)
			if (akma_rid_set_has(p->rids, i))
				json_array_append_new(list, json_string(akma_rid_name(i, rid)));
		json_object_set_new(profile, "aanfInfoList",
				    json_pack("{s:{s:o}}", "1", "routingIndicators", list));
	}
	/* jansson may allocate from the secret heap (drivers/sbi/json.c): its
	 * text goes back through its own free, the caller gets malloc's. */
	char *text = json_dumps(profile, JSON_COMPACT), *copy = text ? strdup(text) : NULL;
	json_malloc_t json_alloc;
	json_free_t json_free;
	json_get_alloc_funcs(&json_alloc, &json_free);
	if (text)
		json_free(text);
	json_decref(profile);
	return copy;
}

/* ---- the connection ----------------------------------------------------------------------- */

static void conn_close(struct akma_nrf *n)
{
	if (n->h2)
		nghttp2_session_del(n->h2);
	n->h2 = NULL;
	if (n->ssl)
		SSL_free(n->ssl);
	n->ssl = NULL;
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	n->connecting = n->handshaking = 0;
	n->out_len = n->out_off = 0;
	if (n->in_flight) {
		n->req.done = 1;
		n->req.failed = 1;
	}
}

static ssize_t h2_body(nghttp2_session *h2, int32_t stream, uint8_t *buf, size_t len,
		       uint32_t *flags, nghttp2_data_source *src, void *user)
{
	(void)h2;
	(void)stream;
	(void)src;
	struct akma_nrf *n = user;
	size_t left = n->req.body_len - n->req.body_off;
	size_t k = left < len ? left : len;
	memcpy(buf, n->req.body + n->req.body_off, k);
	n->req.body_off += k;
	if (n->req.body_off == n->req.body_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)k;
}

static int h2_header(nghttp2_session *h2, const nghttp2_frame *f, const uint8_t *name,
		     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
		     void *user)
{
	(void)h2;
	(void)flags;
	struct akma_nrf *n = user;
	if (f->hd.stream_id == n->req.stream && namelen == 7 && !memcmp(name, ":status", 7) &&
	    valuelen == 3)
		n->req.status = atoi((const char *)value);
	return 0;
}

static int h2_data(nghttp2_session *h2, uint8_t flags, int32_t stream, const uint8_t *data,
		   size_t len, void *user)
{
	(void)h2;
	(void)flags;
	struct akma_nrf *n = user;
	if (stream != n->req.stream)
		return 0;
	if (n->req.resp_len + len > BODY_MAX) {
		n->req.failed = 1;
		return 0;
	}
	memcpy(n->req.resp + n->req.resp_len, data, len);
	n->req.resp_len += len;
	return 0;
}

static int h2_close(nghttp2_session *h2, int32_t stream, uint32_t error, void *user)
{
	(void)h2;
	struct akma_nrf *n = user;
	if (stream == n->req.stream) {
		n->req.done = 1;
		n->req.failed |= error != NGHTTP2_NO_ERROR || !n->req.status;
		n->req.resp[n->req.resp_len] = 0;
	}
	return 0;
}

static int conn_open(struct akma_nrf *n, char *why, size_t why_size)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai;
	int rc = getaddrinfo(n->host, n->port, &hints, &ai);
	if (rc) {
		snprintf(why, why_size, "%s: %s", n->host, gai_strerror(rc));
		return -1;
	}
	n->conn_uses = 0;
	n->peer_gone = 0;
	n->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (n->fd < 0 ||
	    (connect(n->fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS)) {
		snprintf(why, why_size, "connect: %s", strerror(errno));
		freeaddrinfo(ai);
		conn_close(n);
		return -1;
	}
	freeaddrinfo(ai);
	n->connecting = 1;
	if (n->tls) {
		n->ssl = SSL_new(n->tls);
		if (!n->ssl || SSL_set_fd(n->ssl, n->fd) != 1 ||
		    SSL_set_tlsext_host_name(n->ssl, n->host) != 1 ||
		    SSL_set1_host(n->ssl, n->host) != 1) {
			snprintf(why, why_size, "TLS: out of memory");
			conn_close(n);
			return -1;
		}
		n->handshaking = 1;
	}
	nghttp2_session_callbacks *cb;
	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_on_header_callback(cb, h2_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, h2_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, h2_close);
	rc = nghttp2_session_client_new(&n->h2, cb, n);
	nghttp2_session_callbacks_del(cb);
	if (rc) {
		snprintf(why, why_size, "nghttp2: %s", nghttp2_strerror(rc));
		conn_close(n);
		return -1;
	}
	nghttp2_submit_settings(n->h2, NGHTTP2_FLAG_NONE, NULL, 0);
	return 0;
}

/* Move the handshake on: 0 done, 1 not yet, -1 failed (why set). */
static int conn_progress(struct akma_nrf *n, char *why, size_t why_size)
{
	if (n->connecting) {
		struct pollfd pf = {n->fd, POLLOUT, 0};
		if (poll(&pf, 1, 0) <= 0)
			return 1;
		int err = 0;
		socklen_t el = sizeof(err);
		getsockopt(n->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			snprintf(why, why_size, "connect: %s", strerror(err));
			return -1;
		}
		n->connecting = 0;
	}
	if (n->handshaking) {
		int rc = SSL_connect(n->ssl);
		if (rc != 1) {
			int e = SSL_get_error(n->ssl, rc);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				return 1;
			long v = SSL_get_verify_result(n->ssl);
			snprintf(why, why_size, "TLS handshake: %s",
				 v != X509_V_OK ? X509_verify_cert_error_string(v)
				 : ERR_reason_error_string(ERR_get_error())
					 ? ERR_reason_error_string(ERR_get_error())
					 : "refused");
			ERR_clear_error();
			return -1;
		}
		const unsigned char *alpn;
		unsigned alen;
		SSL_get0_alpn_selected(n->ssl, &alpn, &alen);
		if (alen != 2 || memcmp(alpn, "h2", 2)) {
			snprintf(why, why_size, "TLS: the NRF did not choose ALPN h2");
			return -1;
		}
		n->handshaking = 0;
	}
	return 0;
}

static ssize_t io_write(struct akma_nrf *n, const uint8_t *b, size_t len)
{
	if (n->ssl) {
		int k = SSL_write(n->ssl, b, (int)len);
		if (k > 0)
			return k;
		int e = SSL_get_error(n->ssl, k);
		return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? 0 : -1;
	}
	ssize_t k = send(n->fd, b, len, MSG_NOSIGNAL);
	return k >= 0 ? k : errno == EAGAIN ? 0 : -1;
}

static ssize_t io_read(struct akma_nrf *n, uint8_t *b, size_t len)
{
	if (n->ssl) {
		int k = SSL_read(n->ssl, b, (int)len);
		if (k > 0)
			return k;
		int e = SSL_get_error(n->ssl, k);
		return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
	}
	ssize_t k = recv(n->fd, b, len, 0);
	return k > 0 ? k : k == 0 ? -1 : errno == EAGAIN ? 0 : -1;
}

/* Write what nghttp2 has, read what arrived. Returns 0, or -1 with why. */
static int conn_pump(struct akma_nrf *n, char *why, size_t why_size)
{
	for (;;) {
		if (n->out_off == n->out_len) {
			const uint8_t *data;
			ssize_t k = nghttp2_session_mem_send(n->h2, &data);
			if (k < 0) {
				snprintf(why, why_size, "nghttp2: %s", nghttp2_strerror((int)k));
				return -1;
			}
			if (k == 0)
				break;
			/* One call may give several frames: a profile with thousands
			 * of RIDs is tens of kilobytes. */
			if ((size_t)k > n->out_cap) {
				uint8_t *grown = realloc(n->out, (size_t)k);
				if (!grown) {
					snprintf(why, why_size, "out of memory");
					return -1;
				}
				n->out = grown;
				n->out_cap = (size_t)k;
			}
			memcpy(n->out, data, (size_t)k);
			n->out_len = (size_t)k;
			n->out_off = 0;
		}
		ssize_t w = io_write(n, n->out + n->out_off, n->out_len - n->out_off);
		if (w < 0) {
			snprintf(why, why_size, "send: %s", strerror(errno));
			return -1;
		}
		if (w == 0)
			break;
		n->out_off += (size_t)w;
	}
	uint8_t in[16384];
	for (;;) {
		ssize_t r = io_read(n, in, sizeof(in));
		if (r < 0 && n->in_flight && n->req.done) {
			n->peer_gone = 1; /* closed after its answer: not a fault */
			break;
		}
		if (r < 0) {
			snprintf(why, why_size, "the NRF closed the connection");
			return -1;
		}
		if (r == 0)
			break;
		ssize_t k = nghttp2_session_mem_recv(n->h2, in, (size_t)r);
		if (k < 0) {
			snprintf(why, why_size, "not HTTP/2: %s", nghttp2_strerror((int)k));
			return -1;
		}
	}
	explicit_bzero(in, sizeof(in));
	if (!nghttp2_session_want_read(n->h2) && !nghttp2_session_want_write(n->h2)) {
		if (n->in_flight && n->req.done) {
			n->peer_gone = 1; /* GOAWAY after the answer: the next request opens anew */
			return 0;
		}
		snprintf(why, why_size, "the NRF ended the session (GOAWAY)");
		return -1;
	}
	return 0;
}

/* ---- requests ----------------------------------------------------------------------------- */

static void request_start(struct akma_nrf *n, const char *method, const char *content_type,
			  char *body)
{
	struct request *q = &n->req;
	free(q->body);
	*q = (struct request){0}; /* 64 KiB: cleared rather than each field set */
	q->method = method;
	snprintf(q->path, sizeof(q->path), "%s/nnrf-nfm/v1/nf-instances/%s", n->prefix, n->id);
	q->content_type = content_type;
	q->body = body;
	q->body_len = body ? strlen(body) : 0;
	q->deadline_ms = akma_mono_ms() + (n->p.timeout_ms ? n->p.timeout_ms : 5000);
	q->stream = -1;
	n->in_flight = 1;
}

/* The same request once more, from its first octet, on a new connection. */
static void request_again(struct akma_nrf *n)
{
	struct request *q = &n->req;
	q->stream = -1;
	q->status = 0;
	q->done = q->failed = 0;
	q->resp_len = 0;
	q->body_off = 0;
	q->retried = 1;
	q->deadline_ms = akma_mono_ms() + (n->p.timeout_ms ? n->p.timeout_ms : 5000);
	n->in_flight = 1;
}

/* Submit the request once the connection is up. */
static int request_submit(struct akma_nrf *n, char *why, size_t why_size)
{
	struct request *q = &n->req;
	char len[24];
	snprintf(len, sizeof(len), "%zu", q->body_len);
#define NV(k, v) {(uint8_t *)(k), (uint8_t *)(v), strlen(k), strlen(v), NGHTTP2_NV_FLAG_NONE}
	nghttp2_nv nva[] = {
		NV(":method", q->method),
		NV(":scheme", n->https ? "https" : "http"),
		NV(":authority", n->host),
		NV(":path", q->path),
		NV("accept", "application/json, application/problem+json"),
		NV("content-type", q->content_type ? q->content_type : ""),
		NV("content-length", len),
	};
#undef NV
	nghttp2_data_provider dp = {.read_callback = h2_body};
	q->stream = nghttp2_submit_request(n->h2, NULL, nva, q->content_type ? 7 : 5,
					   q->content_type ? &dp : NULL, n);
	if (q->stream < 0) {
		snprintf(why, why_size, "nghttp2: %s", nghttp2_strerror(q->stream));
		return -1;
	}
	return 0;
}

static void backoff(struct akma_nrf *n)
{
	n->next_ms = akma_mono_ms() + n->backoff_s * 1000ull;
	n->backoff_s = n->backoff_s * 2 > n->p.retry_max_s ? n->p.retry_max_s : n->backoff_s * 2;
}

/* The NRF's answer to the request in flight. */
static void answered(struct akma_nrf *n)
{
	struct request *q = &n->req;
	int st = q->failed ? 0 : q->status;
	uint64_t now = akma_mono_ms();

	n->in_flight = 0;
	if (!q->failed && q->status)
		n->conn_uses++;
	if (!strcmp(q->method, "DELETE")) {
		if (st == 204 || st == 200 || st == 404) {
			bump(&n->st.deregistrations);
			n->registered = 0;
			set_state(n, AKMA_NRF_DEREGISTERED, LOG_NOTICE, "deregistered (%d)", st);
		} else {
			bump(&n->st.failures);
		}
		return;
	}
	int put = !strcmp(q->method, "PUT");
	if (!put && st == 404) {
		/* The NRF forgot the profile (restarted, or it expired): again. */
		n->registered = 0;
		n->next_ms = now;
		set_state(n, AKMA_NRF_REGISTERING, LOG_WARNING,
			  "heartbeat answered 404: registering again");
		return;
	}
	if ((put && (st == 200 || st == 201)) || (!put && (st == 200 || st == 204))) {
		if (put) {
			json_t *o = json_loads(q->resp, 0, NULL);
			json_t *hb = json_object_get(o, "heartBeatTimer");
			unsigned interval = json_is_integer(hb) && json_integer_value(hb) > 0 &&
							    json_integer_value(hb) <= 86400
						    ? (unsigned)json_integer_value(hb)
						    : n->p.heartbeat_s;
			json_decref(o);
			n->interval_s = interval;
			__atomic_store_n(&n->st.heartbeat_s, interval, __ATOMIC_RELAXED);
			bump(&n->st.registrations);
		} else {
			bump(&n->st.heartbeats);
		}
		n->registered = 1;
		n->reported = n->sending;
		n->backoff_s = 1;
		n->next_ms = now + n->interval_s * 1000ull;
		int suspended = !strcmp(n->reported, "SUSPENDED");
		set_state(n, suspended ? AKMA_NRF_SUSPENDED : AKMA_NRF_REGISTERED,
			  suspended ? LOG_WARNING : LOG_NOTICE, "%s %s (heartbeat every %u s)",
			  put ? "registered" : "status", n->reported, n->interval_s);
		return;
	}
	bump(&n->st.failures);
	backoff(n);
	if (st)
		set_state(n, AKMA_NRF_REFUSED, LOG_ERR, "%s answered %d: %.200s; again in %u s",
			  q->method, st, q->resp, n->backoff_s);
	else
		set_state(n, AKMA_NRF_UNREACHABLE, LOG_WARNING,
			  "%s: no valid answer; again in %u s", q->method, n->backoff_s);
}

/* What to send now, if anything. */
static void next_step(struct akma_nrf *n, int role, uint64_t now)
{
	const char *want = role == AKMA_NRF_SERVING ? "REGISTERED" : "SUSPENDED";

	if (!n->registered) {
		if (now < n->next_ms)
			return;
		char *body = akma_nrf_profile(&n->p, want);
		if (!body)
			return;
		n->sending = want;
		request_start(n, "PUT", "application/json", body);
		if (n->st.state == AKMA_NRF_STANDBY)
			set_state(n, AKMA_NRF_REGISTERING, LOG_NOTICE, "registering as %s", want);
		return;
	}
	if (strcmp(want, n->reported) != 0 || now >= n->next_ms) {
		char patch[96];
		snprintf(patch, sizeof(patch),
			 "[{\"op\":\"replace\",\"path\":\"/nfStatus\",\"value\":\"%s\"}]", want);
		n->sending = want;
		request_start(n, "PATCH", "application/json-patch+json", strdup(patch));
	}
}

static void *thread_main(void *arg)
{
	struct akma_nrf *n = arg;
	char why[512];
	int stopping = 0, deletes = 0;
	uint64_t stop_deadline = 0;

	for (;;) {
		uint64_t now = akma_mono_ms();
		unsigned stop = (unsigned)__atomic_load_n(&n->stop, __ATOMIC_ACQUIRE);
		int role = n->p.role(n->p.role_ctx);
		if (stop && !stopping) {
			/* A request under way finishes first (a PUT may land): the
			 * DELETE follows it. */
			stopping = 1;
			stop_deadline = now + stop;
		}
		if (stopping && !n->in_flight) {
			/* Two tries at most: a stop is never held up by an NRF
			 * that refuses. */
			if (!n->registered || role == AKMA_NRF_SILENT ||
			    n->st.state == AKMA_NRF_DEREGISTERED || now >= stop_deadline ||
			    deletes++ == 2)
				break;
			request_start(n, "DELETE", NULL, NULL);
		}
		if (stopping && now >= stop_deadline)
			break;
		if (!stopping && !n->in_flight) {
			if (role == AKMA_NRF_SILENT) {
				/* The profile is another akmad's now (or not yet ours). */
				n->registered = 0;
				n->next_ms = 0;
				conn_close(n);
				set_state(n, AKMA_NRF_STANDBY, LOG_NOTICE,
					  "not the serving primary: nothing registered");
			} else {
				next_step(n, role, now);
			}
		}
		if (n->in_flight) {
			if (n->fd < 0 && conn_open(n, why, sizeof(why)) != 0)
				goto fail;
			int rc = conn_progress(n, why, sizeof(why));
			if (rc < 0)
				goto fail;
			if (rc == 0 && n->req.stream < 0 &&
			    request_submit(n, why, sizeof(why)) != 0)
				goto fail;
			if (rc == 0 && conn_pump(n, why, sizeof(why)) != 0)
				goto fail;
			if (n->req.done && n->req.failed && !n->req.status && n->conn_uses &&
			    !n->req.retried) {
				snprintf(why, sizeof(why), "the connection broke");
				goto fail;
			}
			if (n->req.done) {
				answered(n);
				if (n->peer_gone)
					conn_close(n);
				continue;
			}
			if (akma_mono_ms() >= n->req.deadline_ms) {
				snprintf(why, sizeof(why), "%s: no answer within %u ms",
					 n->req.method, n->p.timeout_ms ? n->p.timeout_ms : 5000);
				n->req.retried = 1; /* a slow NRF: no second wait */
				goto fail;
			}
		}
		if (!n->in_flight && n->fd >= 0 && !n->connecting && !n->handshaking &&
		    conn_pump(n, why, sizeof(why)) != 0)
			conn_close(n); /* the NRF let an idle connection go: so do we */
		struct pollfd pf = {n->fd, POLLIN, 0};
		if (n->fd >= 0 && (n->connecting || n->out_off < n->out_len ||
				   (n->h2 && nghttp2_session_want_write(n->h2))))
			pf.events |= POLLOUT;
		poll(&pf, n->fd >= 0 ? 1 : 0, TICK_MS);
		continue;
fail:
		if (n->conn_uses && !n->req.retried && !stopping) {
			/* A connection that served before may have been closed by the
			 * NRF as the request went out: once more on a new one, not
			 * counted as a failure. */
			conn_close(n);
			request_again(n);
			continue;
		}
		conn_close(n);
		n->in_flight = 0;
		bump(&n->st.failures);
		if (stopping)
			break;
		backoff(n);
		set_state(n, AKMA_NRF_UNREACHABLE, LOG_WARNING, "%s; again in %u s", why,
			  n->backoff_s);
	}
	conn_close(n);
	return NULL;
}

/* ---- start, stop, stats ------------------------------------------------------------------- */

static int parse_uri(struct akma_nrf *n, char *why, size_t why_size)
{
	const char *u = n->uri, *rest;
	if (!strncmp(u, "http://", 7)) {
		rest = u + 7;
	} else if (!strncmp(u, "https://", 8)) {
		rest = u + 8;
		n->https = 1;
	} else {
		snprintf(why, why_size, "nrf.uri '%s': http://HOST:PORT or https://HOST:PORT", u);
		return -1;
	}
	const char *slash = rest + strcspn(rest, "/");
	const char *hp_end = slash, *colon;
	if (*rest == '[') {
		const char *close = memchr(rest, ']', (size_t)(hp_end - rest));
		if (!close) {
			snprintf(why, why_size, "nrf.uri '%s': an IPv6 address without ']'", u);
			return -1;
		}
		snprintf(n->host, sizeof(n->host), "%.*s", (int)(close - rest - 1), rest + 1);
		colon = close[1] == ':' ? close + 1 : NULL;
	} else {
		colon = memchr(rest, ':', (size_t)(hp_end - rest));
		snprintf(n->host, sizeof(n->host), "%.*s", (int)((colon ? colon : hp_end) - rest),
			 rest);
	}
	if (colon)
		snprintf(n->port, sizeof(n->port), "%.*s", (int)(hp_end - colon - 1), colon + 1);
	else
		snprintf(n->port, sizeof(n->port), "%s", n->https ? "443" : "80");
	char *end;
	long port = strtol(n->port, &end, 10);
	if (!n->host[0] || *end || port < 1 || port > 65535) {
		snprintf(why, why_size, "nrf.uri '%s': a host and a port 1..65535", u);
		return -1;
	}
	snprintf(n->prefix, sizeof(n->prefix), "%s", slash);
	size_t pl = strlen(n->prefix);
	if (pl && n->prefix[pl - 1] == '/')
		n->prefix[pl - 1] = 0;
	return 0;
}

static int tls_setup(struct akma_nrf *n, char *why, size_t why_size)
{
	n->tls = SSL_CTX_new(TLS_client_method());
	if (!n->tls) {
		snprintf(why, why_size, "nrf: TLS: out of memory");
		return -1;
	}
	SSL_CTX_set_min_proto_version(n->tls, TLS1_2_VERSION);
	SSL_CTX_set_verify(n->tls, SSL_VERIFY_PEER, NULL);
	if ((n->ca[0] ? SSL_CTX_load_verify_locations(n->tls, n->ca, NULL)
		      : SSL_CTX_set_default_verify_paths(n->tls)) != 1) {
		snprintf(why, why_size, "nrf.tls_ca %s: not a readable PEM CA bundle",
			 n->ca[0] ? n->ca : "(the system's)");
		return -1;
	}
	if (n->cert[0] && (SSL_CTX_use_certificate_chain_file(n->tls, n->cert) != 1 ||
			   SSL_CTX_use_PrivateKey_file(n->tls, n->key, SSL_FILETYPE_PEM) != 1 ||
			   SSL_CTX_check_private_key(n->tls) != 1)) {
		snprintf(why, why_size, "nrf: client certificate %s and key %s: not usable",
			 n->cert, n->key);
		return -1;
	}
	static const unsigned char alpn[] = {2, 'h', '2'};
	SSL_CTX_set_alpn_protos(n->tls, alpn, sizeof(alpn));
	ERR_clear_error();
	return 0;
}

struct akma_nrf *akma_nrf_start(const struct akma_nrf_params *p, char *why, size_t why_size)
{
	struct akma_nrf *n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	n->fd = -1;
	n->p = *p;
	snprintf(n->uri, sizeof(n->uri), "%s", p->uri);
	snprintf(n->id, sizeof(n->id), "%s", p->nf_instance_id ? p->nf_instance_id : "");
	snprintf(n->endpoints, sizeof(n->endpoints), "%s", p->endpoints ? p->endpoints : "");
	snprintf(n->ca, sizeof(n->ca), "%s", p->tls_ca ? p->tls_ca : "");
	snprintf(n->cert, sizeof(n->cert), "%s", p->tls_cert ? p->tls_cert : "");
	snprintf(n->key, sizeof(n->key), "%s", p->tls_key ? p->tls_key : "");
	n->p.uri = n->uri;
	n->p.nf_instance_id = n->id;
	n->p.endpoints = n->endpoints;
	if (p->rids) {
		n->rids = *p->rids;
		n->p.rids = &n->rids;
	}
	if (!n->p.retry_max_s)
		n->p.retry_max_s = 30;
	if (!n->p.heartbeat_s)
		n->p.heartbeat_s = 30;
	n->interval_s = n->p.heartbeat_s;
	n->backoff_s = 1;
	if (parse_uri(n, why, why_size) != 0)
		goto fail;
	if (!akma_uuid_valid(n->id, strlen(n->id))) {
		snprintf(why, why_size,
			 "nrf.uri needs sbi.nf_instance_id (a UUID) for the profile");
		goto fail;
	}
	char *probe = akma_nrf_profile(&n->p, "REGISTERED");
	if (!probe) {
		snprintf(why, why_size,
			 "nrf.endpoints '%s': each endpoint a numeric HOST:PORT or [V6]:PORT",
			 n->endpoints);
		goto fail;
	}
	free(probe);
	if (n->https && tls_setup(n, why, why_size) != 0)
		goto fail;
	int rc = pthread_create(&n->thread, NULL, thread_main, n);
	if (rc) {
		snprintf(why, why_size, "nrf thread: %s", strerror(rc));
		goto fail;
	}
	pthread_setname_np(n->thread, "akma-nrf");
	return n;
fail:
	if (n->tls)
		SSL_CTX_free(n->tls);
	free(n);
	return NULL;
}

void akma_nrf_stop(struct akma_nrf *n, unsigned timeout_ms)
{
	if (!n)
		return;
	__atomic_store_n(&n->stop, timeout_ms ? (int)timeout_ms : 1, __ATOMIC_RELEASE);
	pthread_join(n->thread, NULL);
	free(n->req.body);
	free(n->out);
	if (n->tls)
		SSL_CTX_free(n->tls);
	free(n);
}

void akma_nrf_stats(const struct akma_nrf *n, struct akma_nrf_stats *st)
{
	st->state = __atomic_load_n(&n->st.state, __ATOMIC_RELAXED);
	st->registrations = __atomic_load_n(&n->st.registrations, __ATOMIC_RELAXED);
	st->heartbeats = __atomic_load_n(&n->st.heartbeats, __ATOMIC_RELAXED);
	st->deregistrations = __atomic_load_n(&n->st.deregistrations, __ATOMIC_RELAXED);
	st->failures = __atomic_load_n(&n->st.failures, __ATOMIC_RELAXED);
	st->heartbeat_s = __atomic_load_n(&n->st.heartbeat_s, __ATOMIC_RELAXED);
}

void akma_nrf_write_metrics(const struct akma_nrf *n, FILE *f)
{
	struct akma_nrf_stats st;
	akma_nrf_stats(n, &st);
	fprintf(f, "# HELP akmad_nrf_state 1 for the NRF client's state.\n"
		   "# TYPE akmad_nrf_state gauge\n");
	for (unsigned i = 0; i < AKMA_NRF_N_STATES; i++)
		fprintf(f, "akmad_nrf_state{state=\"%s\"} %d\n", state_names[i], st.state == i);
	fprintf(f,
		"# HELP akmad_nrf_registrations_total NFProfile registrations (PUT) the NRF took.\n"
		"# TYPE akmad_nrf_registrations_total counter\n"
		"akmad_nrf_registrations_total %llu\n"
		"# HELP akmad_nrf_heartbeats_total Heartbeats (PATCH) the NRF took.\n"
		"# TYPE akmad_nrf_heartbeats_total counter\n"
		"akmad_nrf_heartbeats_total %llu\n"
		"# HELP akmad_nrf_deregistrations_total Deregistrations (DELETE) the NRF took.\n"
		"# TYPE akmad_nrf_deregistrations_total counter\n"
		"akmad_nrf_deregistrations_total %llu\n"
		"# HELP akmad_nrf_failures_total NRF requests that failed: unreachable, timed out, "
		"or answered with an error.\n"
		"# TYPE akmad_nrf_failures_total counter\n"
		"akmad_nrf_failures_total %llu\n"
		"# HELP akmad_nrf_heartbeat_seconds The heartbeat interval the NRF answered.\n"
		"# TYPE akmad_nrf_heartbeat_seconds gauge\n"
		"akmad_nrf_heartbeat_seconds %llu\n",
		(unsigned long long)st.registrations, (unsigned long long)st.heartbeats,
		(unsigned long long)st.deregistrations, (unsigned long long)st.failures,
		(unsigned long long)st.heartbeat_s);
}
