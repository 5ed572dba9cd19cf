/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * akma-bench sbi: HTTP/2 load on a running akmad's (or akma-sbi's)
 * Naanf_AKMA front end, on nghttp2's client library, where h2load cannot
 * go: every request asks for a different A-KID. It registers N contexts
 * through register-anchorkey first (their A-KIDs in akmad's convention),
 * then runs retrieve-applicationkey for a fixed duration twice, rounds
 * interleaved: with one A-KID for every request (the baseline: the store
 * line and the midstates stay in cache) and with uniformly random A-KIDs
 * over the N. Prints requests/s and latency percentiles (end of request to
 * end of answer, seen from the client) for both.
 *
 * h2c only: TLS load is h2load's (bench/sbi_h2load.sh style).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>
#include <nghttp2/nghttp2.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "bench.h"
#include "kdf.h"

static const char usage_text[] =
	"Usage: akma-bench sbi [OPTIONS]\n"
	"\n"
	"HTTP/2 (h2c) load on a running Naanf_AKMA front end (akmad or akma-sbi):\n"
	"registers N contexts, then retrieve-applicationkey with one fixed A-KID (the\n"
	"baseline) and with uniformly random A-KIDs over the N, rounds interleaved.\n"
	"\n"
	"  --server HOST:PORT  the front end (default 127.0.0.1:8080, scripts/run.sh's)\n"
	"  --contexts N        contexts registered first (default 1000000)\n"
	"  --no-register       they are there already (from an earlier run)\n"
	"  --connections C     HTTP/2 connections (default 4)\n"
	"  --streams M         streams in flight on each (default 32)\n"
	"  --duration S        seconds a round (default 2)\n"
	"  --rounds R          rounds of each kind (default 3; medians shown)\n"
	"  --csv               rows as CSV\n"
	"  --tls-ca FILE       HTTP/2 over TLS (ALPN h2), the server's CA bundle\n"
	"  --cert FILE, --key FILE  a client certificate (mutual TLS)\n"
	"  --token-file FILE   an access token sent on every request\n"
	"                      (Authorization: Bearer), reused as an NF reuses it\n";

#define LAT_SUB 8 /* buckets per doubling */
#define LAT_BUCKETS (64 * LAT_SUB)

/* TLS (--tls-ca: HTTP/2 over TLS, ALPN h2; --cert/--key: a client
 * certificate for mutual TLS) and the access token of --token-file, sent
 * on every request as an NF does with the token it got from the NRF. */
static SSL_CTX *tls;
static char authz[8300];
static size_t authz_len;

struct load;

struct h2conn {
	struct load *l;
	int fd;
	SSL *ssl; /* NULL: h2c */
	nghttp2_session *h2;
	unsigned in_flight;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
};

struct body {
	char text[400];
	size_t len, off;
	uint64_t t0;
	int status;
};

struct load {
	const char *host;
	int port;
	uint8_t *akids; /* BENCH_AKID_STRIDE apart */
	uint64_t n;
	int mode;       /* 0 register, 1 fixed A-KID, 2 random A-KIDs */
	uint64_t next;  /* register: next index */
	uint64_t limit; /* register: how many */
	uint64_t rng;
	int stopping;
	uint64_t done, ok, other;
	uint64_t lat[LAT_BUCKETS];
	unsigned streams;
};

static ssize_t read_body(nghttp2_session *h2, int32_t id, uint8_t *buf, size_t length,
			 uint32_t *flags, nghttp2_data_source *src, void *user)
{
	struct body *b = src->ptr;
	(void)h2;
	(void)id;
	(void)user;
	size_t n = b->len - b->off < length ? b->len - b->off : length;
	memcpy(buf, b->text + b->off, n);
	b->off += n;
	if (b->off == b->len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static const uint8_t *akid_of(const struct load *l, uint64_t i, uint8_t *len)
{
	const uint8_t *slot = l->akids + i * BENCH_AKID_STRIDE;
	*len = slot[BENCH_AKID_STRIDE - 1];
	return slot;
}

/* One request on c; returns 0, or -1 when there is nothing more to send. */
static int submit_one(struct h2conn *c)
{
	struct load *l = c->l;
	static const char *const paths[] = {"/naanf-akma/v1/register-anchorkey",
					    "/naanf-akma/v1/retrieve-applicationkey",
					    "/naanf-akma/v1/retrieve-applicationkey"};
	struct body *b = calloc(1, sizeof(*b));
	uint8_t alen;
	if (!b)
		return -1;
	if (l->mode == 0) {
		if (l->next >= l->limit) {
			free(b);
			return -1;
		}
		uint64_t i = l->next++;
		const uint8_t *akid = akid_of(l, i, &alen);
		char key[65];
		for (int k = 0; k < 32; k++)
			snprintf(key + 2 * k, 3, "%02x",
				 (unsigned)((i * 131 + (uint64_t)k * 7) & 0xff));
		b->len = (size_t)snprintf(
			b->text, sizeof(b->text),
			"{\"supi\":\"imsi-00101%010llu\",\"aKId\":\"%.*s\",\"kAkma\":\"%s\"}",
			(unsigned long long)i, alen, (const char *)akid, key);
	} else {
		uint64_t i = l->mode == 1 ? 0 : bench_rand(&l->rng) % l->n;
		const uint8_t *akid = akid_of(l, i, &alen);
		b->len = (size_t)snprintf(
			b->text, sizeof(b->text),
			"{\"afId\":\"af.example.com;ua=0100000007\",\"aKId\":\"%.*s\"}", alen,
			(const char *)akid);
	}
	char clen[16];
	snprintf(clen, sizeof(clen), "%zu", b->len);
	const char *path = paths[l->mode];
	nghttp2_nv nv[] = {
		{(uint8_t *)":method", (uint8_t *)"POST", 7, 4, NGHTTP2_NV_FLAG_NONE},
		{(uint8_t *)":scheme", (uint8_t *)(tls ? "https" : "http"), 7, tls ? 5 : 4,
		 NGHTTP2_NV_FLAG_NONE},
		{(uint8_t *)":authority", (uint8_t *)l->host, 10, strlen(l->host),
		 NGHTTP2_NV_FLAG_NONE},
		{(uint8_t *)":path", (uint8_t *)path, 5, strlen(path), NGHTTP2_NV_FLAG_NONE},
		{(uint8_t *)"content-type", (uint8_t *)"application/json", 12, 16,
		 NGHTTP2_NV_FLAG_NONE},
		{(uint8_t *)"content-length", (uint8_t *)clen, 14, strlen(clen),
		 NGHTTP2_NV_FLAG_NONE},
		{(uint8_t *)"authorization", (uint8_t *)authz, 13, authz_len, NGHTTP2_NV_FLAG_NONE},
	};
	nghttp2_data_provider prd = {.source.ptr = b, .read_callback = read_body};
	b->t0 = akma_mono_ns();
	if (nghttp2_submit_request(c->h2, NULL, nv, authz_len ? 7 : 6, &prd, b) < 0) {
		free(b);
		return -1;
	}
	c->in_flight++;
	return 0;
}

static int on_header(nghttp2_session *h2, const nghttp2_frame *f, const uint8_t *name, size_t nl,
		     const uint8_t *value, size_t vl, uint8_t flags, void *user)
{
	(void)flags;
	(void)user;
	if (f->hd.type == NGHTTP2_HEADERS && nl == 7 && !memcmp(name, ":status", 7)) {
		struct body *b = nghttp2_session_get_stream_user_data(h2, f->hd.stream_id);
		if (b && vl == 3)
			b->status =
				(value[0] - '0') * 100 + (value[1] - '0') * 10 + (value[2] - '0');
	}
	return 0;
}

static int on_close(nghttp2_session *h2, int32_t id, uint32_t code, void *user)
{
	struct h2conn *c = user;
	struct load *l = c->l;
	(void)code;
	struct body *b = nghttp2_session_get_stream_user_data(h2, id);
	if (!b)
		return 0;
	uint64_t ns = akma_mono_ns() - b->t0;
	unsigned octave = ns ? 63 - (unsigned)__builtin_clzll(ns) : 0;
	unsigned sub = octave >= 3 ? (unsigned)((ns >> (octave - 3)) & (LAT_SUB - 1)) : 0;
	l->lat[octave * LAT_SUB + sub]++;
	l->done++;
	if (b->status == 200)
		l->ok++;
	else
		l->other++;
	free(b);
	c->in_flight--;
	if (!l->stopping)
		submit_one(c);
	return 0;
}

static nghttp2_session_callbacks *callbacks;

static ssize_t conn_send(struct h2conn *c, const uint8_t *p, size_t n)
{
	if (!c->ssl)
		return send(c->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	int w = SSL_write(c->ssl, p, (int)n);
	if (w > 0)
		return w;
	int e = SSL_get_error(c->ssl, w);
	errno = e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? EAGAIN : EIO;
	return -1;
}

static ssize_t conn_recv(struct h2conn *c, uint8_t *p, size_t n)
{
	if (!c->ssl)
		return recv(c->fd, p, n, MSG_DONTWAIT);
	int r = SSL_read(c->ssl, p, (int)n);
	if (r > 0)
		return r;
	int e = SSL_get_error(c->ssl, r);
	errno = e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? EAGAIN : EIO;
	return e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
}

static int tls_setup(const char *ca, const char *cert, const char *key)
{
	static const unsigned char alpn[] = {2, 'h', '2'};
	tls = SSL_CTX_new(TLS_client_method());
	if (!tls || SSL_CTX_load_verify_locations(tls, ca, NULL) != 1 ||
	    (cert && (SSL_CTX_use_certificate_chain_file(tls, cert) != 1 ||
		      SSL_CTX_use_PrivateKey_file(tls, key ? key : cert, SSL_FILETYPE_PEM) != 1)) ||
	    SSL_CTX_set_alpn_protos(tls, alpn, sizeof(alpn)) != 0) {
		fprintf(stderr, "akma-bench sbi: TLS: %s\n",
			ERR_reason_error_string(ERR_peek_last_error()));
		return -1;
	}
	SSL_CTX_set_verify(tls, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(tls, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	return 0;
}

static int conn_open(struct h2conn *c, struct load *l, unsigned streams)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)l->port)};
	memset(c, 0, sizeof(*c));
	c->l = l;
	if (inet_pton(AF_INET, l->host, &sa.sin_addr) != 1)
		return -1;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return -1;
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (tls) {
		/* The handshake on the blocking socket, then non-blocking I/O. */
		c->ssl = SSL_new(tls);
		if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1 || SSL_connect(c->ssl) != 1) {
			fprintf(stderr, "akma-bench sbi: TLS handshake: %s\n",
				ERR_reason_error_string(ERR_peek_last_error()));
			return -1;
		}
		fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	}
	if (nghttp2_session_client_new(&c->h2, callbacks, c) != 0)
		return -1;
	nghttp2_settings_entry iv[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 1000}};
	nghttp2_submit_settings(c->h2, NGHTTP2_FLAG_NONE, iv, 1);
	for (unsigned i = 0; i < streams; i++)
		if (submit_one(c) != 0)
			break;
	return 0;
}

static void conn_close(struct h2conn *c)
{
	free(c->out);
	c->out = NULL;
	if (c->h2)
		nghttp2_session_del(c->h2);
	if (c->ssl)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->h2 = NULL;
	c->fd = -1;
}

/* Drive the connections until stop_ns (or until every stream is done once
 * stopping). Returns -1 on a connection failure. */
static int drive(struct h2conn *cs, unsigned nc, struct load *l, uint64_t stop_ns)
{
	struct pollfd pfd[64];
	uint8_t buf[65536];

	for (;;) {
		unsigned busy = 0;
		if (!l->stopping && akma_mono_ns() >= stop_ns)
			l->stopping = 1;
		for (unsigned i = 0; i < nc; i++) {
			struct h2conn *c = &cs[i];
			/* Gather everything nghttp2 has to send, then write it at once. */
			if (c->out_off == c->out_len)
				c->out_off = c->out_len = 0;
			for (;;) {
				const uint8_t *data;
				ssize_t n = nghttp2_session_mem_send(c->h2, &data);
				if (n < 0)
					return -1;
				if (n == 0)
					break;
				if (c->out_len + (size_t)n > c->out_cap) {
					size_t cap = c->out_cap ? 2 * c->out_cap : 1 << 16;
					while (cap < c->out_len + (size_t)n)
						cap *= 2;
					uint8_t *p = realloc(c->out, cap);
					if (!p)
						return -1;
					c->out = p;
					c->out_cap = cap;
				}
				memcpy(c->out + c->out_len, data, (size_t)n);
				c->out_len += (size_t)n;
			}
			while (c->out_off < c->out_len) {
				ssize_t w =
					conn_send(c, c->out + c->out_off, c->out_len - c->out_off);
				if (w < 0 && errno == EAGAIN)
					break;
				if (w <= 0)
					return -1;
				c->out_off += (size_t)w;
			}
			busy += c->in_flight;
			pfd[i] = (struct pollfd){
				c->fd, (short)(POLLIN | (c->out_off < c->out_len ? POLLOUT : 0)),
				0};
		}
		if (l->stopping && busy == 0)
			return 0;
		if (l->mode == 0 && busy == 0)
			return 0; /* registrations all answered */
		if (poll(pfd, nc, 100) < 0 && errno != EINTR)
			return -1;
		for (unsigned i = 0; i < nc; i++) {
			if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			for (;;) {
				ssize_t n = conn_recv(&cs[i], buf, sizeof(buf));
				if (n < 0 && errno == EAGAIN)
					break;
				if (n <= 0)
					return -1;
				if (nghttp2_session_mem_recv(cs[i].h2, buf, (size_t)n) < 0)
					return -1;
				if (!cs[i].ssl && (size_t)n < sizeof(buf))
					break;
			}
		}
	}
}

static double percentile(const uint64_t *lat, uint64_t total, double q)
{
	uint64_t want = (uint64_t)((double)total * q), seen = 0;
	for (unsigned b = 0; b < LAT_BUCKETS; b++) {
		seen += lat[b];
		if (seen > want) { /* the bucket's middle, in us */
			double lo = (double)(1ull << (b / LAT_SUB)) *
				    (1.0 + (double)(b % LAT_SUB) / LAT_SUB);
			return lo * (1.0 + 0.5 / LAT_SUB) / 1000.0;
		}
	}
	return 0;
}

struct round_result {
	double rps, p50, p99, p999;
	uint64_t ok, other;
};

static int run(struct load *l, unsigned nc, unsigned streams, double seconds, int mode,
	       struct round_result *res)
{
	struct h2conn cs[64];
	memset(l->lat, 0, sizeof(l->lat));
	l->done = l->ok = l->other = 0;
	l->stopping = 0;
	l->mode = mode;
	for (unsigned i = 0; i < nc; i++)
		if (conn_open(&cs[i], l, streams) != 0) {
			fprintf(stderr, "akma-bench sbi: cannot connect to %s:%d: %s\n", l->host,
				l->port, strerror(errno));
			for (unsigned j = 0; j <= i; j++)
				conn_close(&cs[j]);
			return -1;
		}
	uint64_t t0 = akma_mono_ns();
	int rc = drive(cs, nc, l, mode == 0 ? UINT64_MAX : t0 + (uint64_t)(seconds * 1e9));
	double secs = (double)(akma_mono_ns() - t0) / 1e9;
	for (unsigned i = 0; i < nc; i++)
		conn_close(&cs[i]);
	if (rc) {
		fprintf(stderr, "akma-bench sbi: a connection failed\n");
		return -1;
	}
	res->rps = (double)l->done / secs;
	res->p50 = percentile(l->lat, l->done, 0.5);
	res->p99 = percentile(l->lat, l->done, 0.99);
	res->p999 = percentile(l->lat, l->done, 0.999);
	res->ok = l->ok;
	res->other = l->other;
	return 0;
}

int bench_sbi_main(int argc, char **argv)
{
	static char host[64];
	unsigned long long n = 1000000, conns = 4, streams = 32, rounds = 3;
	double seconds = 2;
	int port, reg = 1, csv = 0;
	const char *tls_ca = NULL, *cert = NULL, *key = NULL, *token_file = NULL;
	struct sockaddr_in server;
	uint64_t n_opt = n;
	unsigned conns_opt = 4, streams_opt = 32, rounds_opt = 3;

	bench_parse_ipv4("127.0.0.1:8080", &server);
	const struct bench_opt opts[] = {
		{"server", BENCH_OPT_CUSTOM, &server, 0, 0, bench_parse_ipv4},
		{"contexts", BENCH_OPT_U64, &n_opt, 1, 100000000, NULL},
		{"no-register", BENCH_OPT_CLEAR, &reg, 0, 0, NULL},
		{"connections", BENCH_OPT_UINT, &conns_opt, 1, 64, NULL},
		{"streams", BENCH_OPT_UINT, &streams_opt, 1, 1000, NULL},
		{"duration", BENCH_OPT_DOUBLE, &seconds, 0.1, 600, NULL},
		{"rounds", BENCH_OPT_UINT, &rounds_opt, 1, 16, NULL},
		{"csv", BENCH_OPT_FLAG, &csv, 0, 0, NULL},
		{"tls-ca", BENCH_OPT_STRING, &tls_ca, 0, 0, NULL},
		{"cert", BENCH_OPT_STRING, &cert, 0, 0, NULL},
		{"key", BENCH_OPT_STRING, &key, 0, 0, NULL},
		{"token-file", BENCH_OPT_STRING, &token_file, 0, 0, NULL},
		{NULL, 0, NULL, 0, 0, NULL},
	};
	int rc = bench_options("sbi", usage_text, opts, argc, argv);
	if (rc)
		return rc == 1 ? 0 : rc;
	if ((cert || key) && !tls_ca) {
		fprintf(stderr, "akma-bench sbi: --cert and --key need --tls-ca\n");
		return 2;
	}
	if (tls_ca && tls_setup(tls_ca, cert, key) != 0)
		return 1;
	if (token_file) {
		FILE *f = fopen(token_file, "r");
		char tok[8192];
		if (!f || !fgets(tok, sizeof(tok), f)) {
			fprintf(stderr, "akma-bench sbi: --token-file %s: unreadable\n",
				token_file);
			if (f)
				fclose(f);
			return 2;
		}
		fclose(f);
		tok[strcspn(tok, "\r\n")] = '\0';
		authz_len = (size_t)snprintf(authz, sizeof(authz), "Bearer %s", tok);
	}
	n = n_opt;
	conns = conns_opt;
	streams = streams_opt;
	rounds = rounds_opt;
	inet_ntop(AF_INET, &server.sin_addr, host, sizeof(host));
	port = ntohs(server.sin_port);
	if (nghttp2_session_callbacks_new(&callbacks) != 0)
		return 1;
	nghttp2_session_callbacks_set_on_header_callback(callbacks, on_header);
	nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, on_close);

	static struct load l;
	l.host = host;
	l.port = port;
	l.n = n;
	l.rng = 0x5b1;
	l.akids = malloc(n * BENCH_AKID_STRIDE);
	if (!l.akids)
		return 1;
	uint64_t krng = 42; /* the same A-KIDs every run: --no-register finds them */
	bench_make_akids(l.akids, n, &krng, 0);
	bench_print_env(stdout, csv, -1);
	const char *pfx = csv ? "# " : "";
	printf("%ssbi        %s://%s:%d (%s%s), %llu contexts, %llu connections x %llu streams\n",
	       pfx, tls ? "https" : "http", host, port,
	       !tls   ? "h2c"
	       : cert ? "TLS, client certificate"
		      : "TLS",
	       authz_len ? ", access token" : "", n, conns, streams);
	struct round_result r;
	if (reg) {
		l.next = 0;
		l.limit = n;
		if (run(&l, (unsigned)conns, (unsigned)streams, 0, 0, &r) != 0)
			return 1;
		printf("%sregistered %llu contexts through register-anchorkey at %.0f/s (%llu not "
		       "200)\n",
		       pfx, (unsigned long long)r.ok, r.rps, (unsigned long long)r.other);
		if (r.other) {
			fprintf(stderr, "akma-bench sbi: registrations refused (store too small? "
					"engine.capacity)\n");
			return 1;
		}
	}
	double rps[2][16], p50[2][16], p99[2][16], p999[2][16];
	uint64_t bad = 0;
	for (unsigned k = 0; k < rounds; k++)
		for (int mode = 1; mode <= 2; mode++) {
			if (run(&l, (unsigned)conns, (unsigned)streams, seconds, mode, &r) != 0)
				return 1;
			rps[mode - 1][k] = r.rps;
			p50[mode - 1][k] = r.p50;
			p99[mode - 1][k] = r.p99;
			p999[mode - 1][k] = r.p999;
			bad += r.other;
		}
	if (csv)
		printf("method,requests_per_sec,p50_us,p99_us,p999_us,ratio\n");
	else
		printf("\n%-44s %12s %9s %9s %9s %7s\n", "retrieve-applicationkey", "requests/s",
		       "p50 us", "p99 us", "p99.9 us", "x base");
	static const char *const names[] = {"one A-KID for all (baseline)",
					    "uniformly random A-KIDs over the contexts"};
	double base = bench_median(rps[0], (unsigned)rounds);
	for (int m = 0; m < 2; m++) {
		double v = bench_median(rps[m], (unsigned)rounds);
		if (csv)
			printf("%s,%.0f,%.1f,%.1f,%.1f,%.2f\n", names[m], v,
			       bench_median(p50[m], (unsigned)rounds),
			       bench_median(p99[m], (unsigned)rounds),
			       bench_median(p999[m], (unsigned)rounds), v / base);
		else
			printf("%-44s %12.0f %9.1f %9.1f %9.1f %7.2f\n", names[m], v,
			       bench_median(p50[m], (unsigned)rounds),
			       bench_median(p99[m], (unsigned)rounds),
			       bench_median(p999[m], (unsigned)rounds), v / base);
	}
	if (bad)
		printf("%snot 200: %llu answers (see the front end's /metrics)\n", pfx,
		       (unsigned long long)bad);
	free(l.akids);
	nghttp2_session_callbacks_del(callbacks);
	return 0;
}
