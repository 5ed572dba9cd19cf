/* SPDX-License-Identifier: BSD-3-Clause */
/* The Authorization memo (drivers/sbi/authz_memo.c) against nghttp2 itself:
 * the same client octets go to two nghttp2 servers, one fed them as they
 * are, the other through the memo's scan (its cut frames' field delivered
 * from the memo, as http2.c does), and every header block each server
 * completes must hold the same fields. First frames written by hand, each
 * with the cut it should or should not get; then random clients (nghttp2's
 * own, random header lists, tokens from a small pool, some octet flipped
 * now and then, read in random pieces). */
#include <stdlib.h>

#include <nghttp2/nghttp2.h>

#include "check.h"
#include "sbi_authz_memo.h"

/* ---- a server that logs the header blocks it completes -------------------------------------- */

struct server {
	nghttp2_session *h2;
	int use_memo;
	struct akma_authz_memo memo;
	int32_t memo_stream;
	char *block[256]; /* the fields of the block being decoded: "name: value" */
	unsigned n_block;
	char *log; /* "id: sorted fields\n" per completed block */
	size_t log_len;
	int failed;           /* nghttp2 refused the octets: it sent GOAWAY */
	uint8_t out[1 << 16]; /* what it sends, to be read for a GOAWAY */
	size_t out_len;
};

static void block_add(struct server *s, const uint8_t *name, size_t nl, const uint8_t *v, size_t vl)
{
	if (s->n_block == 256)
		abort();
	char *f = malloc(nl + vl + 3);
	memcpy(f, name, nl);
	memcpy(f + nl, ": ", 2);
	memcpy(f + nl + 2, v, vl);
	f[nl + vl + 2] = '\0';
	s->block[s->n_block++] = f;
}

static void block_reset(struct server *s)
{
	for (unsigned i = 0; i < s->n_block; i++)
		free(s->block[i]);
	s->n_block = 0;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void log_append(struct server *s, const char *text)
{
	size_t n = strlen(text);
	s->log = realloc(s->log, s->log_len + n + 1);
	memcpy(s->log + s->log_len, text, n + 1);
	s->log_len += n;
}

static int on_begin_headers(nghttp2_session *h2, const nghttp2_frame *f, void *user)
{
	struct server *s = user;
	(void)h2;
	block_reset(s);
	if (s->use_memo && s->memo_stream && s->memo_stream == f->hd.stream_id) {
		block_add(s, (const uint8_t *)"authorization", 13, (const uint8_t *)s->memo.value,
			  s->memo.value_len);
		s->memo_stream = 0;
	}
	return 0;
}

static int on_header(nghttp2_session *h2, const nghttp2_frame *f, const uint8_t *name, size_t nl,
		     const uint8_t *value, size_t vl, uint8_t flags, void *user)
{
	struct server *s = user;
	(void)h2, (void)f, (void)flags;
	block_add(s, name, nl, value, vl);
	if (s->use_memo && nl == 13 && !memcmp(name, "authorization", 13))
		akma_authz_memo_learn(&s->memo, (const char *)value, vl);
	return 0;
}

static int on_frame_recv(nghttp2_session *h2, const nghttp2_frame *f, void *user)
{
	struct server *s = user;
	(void)h2;
	if (f->hd.type != NGHTTP2_HEADERS)
		return 0;
	char head[32];
	snprintf(head, sizeof(head), "%d:", f->hd.stream_id);
	log_append(s, head);
	qsort(s->block, s->n_block, sizeof(s->block[0]), by_text);
	for (unsigned i = 0; i < s->n_block; i++) {
		log_append(s, " [");
		log_append(s, s->block[i]);
		log_append(s, "]");
	}
	log_append(s, "\n");
	block_reset(s);
	return 0;
}

static nghttp2_session_callbacks *server_callbacks;

static void server_open(struct server *s, int use_memo)
{
	memset(s, 0, sizeof(*s));
	s->use_memo = use_memo;
	akma_authz_memo_init(&s->memo);
	nghttp2_session_server_new(&s->h2, server_callbacks, s);
	s->log = calloc(1, 1);
}

static void server_close(struct server *s)
{
	nghttp2_session_del(s->h2);
	akma_authz_memo_clear(&s->memo);
	block_reset(s);
	free(s->log);
}

/* Feeds octets as http2.c's conn_read does. */
static void server_feed(struct server *s, const uint8_t *octets, size_t n)
{
	if (s->failed || !n)
		return;
	uint8_t *buf = malloc(n);
	memcpy(buf, octets, n);
	if (!s->use_memo) {
		s->failed = nghttp2_session_mem_recv(s->h2, buf, n) < 0;
	} else {
		for (size_t pos = 0, off, len; !s->failed && pos < n;) {
			s->memo_stream = akma_authz_memo_scan(&s->memo, buf, n, &pos, &off, &len);
			s->failed = nghttp2_session_mem_recv(s->h2, buf + off, len) < 0;
			s->memo_stream = 0;
		}
	}
	free(buf);
	/* A connection error is a GOAWAY queued (nghttp2 then ignores the
	 * rest, and mem_recv still returns the octets it was given). */
	const uint8_t *out;
	ssize_t w;
	while ((w = nghttp2_session_mem_send(s->h2, &out)) > 0) {
		if ((size_t)w > sizeof(s->out) - s->out_len)
			abort();
		memcpy(s->out + s->out_len, out, (size_t)w);
		s->out_len += (size_t)w;
	}
	size_t at = 0;
	while (s->out_len - at >= 9) {
		size_t flen =
			(size_t)s->out[at] << 16 | (size_t)s->out[at + 1] << 8 | s->out[at + 2];
		if (s->out_len - at < 9 + flen)
			break;
		if (s->out[at + 3] == 0x7)
			s->failed = 1;
		at += 9 + flen;
	}
	memmove(s->out, s->out + at, s->out_len - at);
	s->out_len -= at;
}

/* ---- frames by hand ----------------------------------------------------------------------- */

struct octets {
	uint8_t b[1 << 16];
	size_t n;
};

static void put(struct octets *o, const void *p, size_t n)
{
	if (o->n + n > sizeof(o->b))
		abort();
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void put_int(struct octets *o, uint8_t first, unsigned bits, uint32_t v)
{
	uint32_t max = (1u << bits) - 1;
	if (v < max) {
		uint8_t b = (uint8_t)(first | v);
		put(o, &b, 1);
		return;
	}
	uint8_t b = (uint8_t)(first | max);
	put(o, &b, 1);
	for (v -= max; v >= 128; v >>= 7) {
		b = (uint8_t)(0x80 | (v & 0x7f));
		put(o, &b, 1);
	}
	b = (uint8_t)v;
	put(o, &b, 1);
}

static void put_frame(struct octets *o, uint8_t type, uint8_t flags, int32_t id,
		      const struct octets *payload)
{
	uint8_t h[9] = {(uint8_t)(payload->n >> 16),
			(uint8_t)(payload->n >> 8),
			(uint8_t)payload->n,
			type,
			flags,
			(uint8_t)(id >> 24),
			(uint8_t)(id >> 16),
			(uint8_t)(id >> 8),
			(uint8_t)id};
	put(o, h, 9);
	put(o, payload->b, payload->n);
}

/* A request's pseudo-header fields from the static table alone, so the
 * blocks written here never touch the dynamic table. */
static void put_request(struct octets *o)
{
	static const uint8_t base[] = {0x83, 0x87, 0x04, 2, '/', 'x', 0x01, 1, 'a'};
	put(o, base, sizeof(base));
}

/* authorization: value, never indexed, Huffman-coded as nghttp2 codes it */
static void put_authz_huffman(struct octets *o, const char *value)
{
	nghttp2_hd_deflater *d;
	nghttp2_hd_deflate_new(&d, 4096);
	nghttp2_nv nv = {(uint8_t *)"authorization", (uint8_t *)value, 13, strlen(value),
			 NGHTTP2_NV_FLAG_NO_INDEX};
	uint8_t out[4096];
	ssize_t w = nghttp2_hd_deflate_hd(d, out, sizeof(out), &nv, 1);
	nghttp2_hd_deflate_del(d);
	CHECK(w > 2 && out[0] == 0x1f && out[1] == 0x08 && (out[2] & 0x80),
	      "nghttp2 codes authorization never indexed, Huffman (%zd octets)", w);
	put(o, out, (size_t)w);
}

/* authorization: value, raw, as first (0x10: never indexed, 0x00: without
 * indexing, 0x40: with incremental indexing) */
static void put_authz_raw(struct octets *o, uint8_t first, const char *value)
{
	put_int(o, first, first == 0x40 ? 6 : 4, 23);
	put_int(o, 0x00, 7, (uint32_t)strlen(value));
	put(o, value, strlen(value));
}

static struct server ref, memo;

static void both_feed(const struct octets *o)
{
	server_feed(&ref, o->b, o->n);
	server_feed(&memo, o->b, o->n);
}

static void by_hand(void)
{
	static const char token[] =
		"Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiIwYjVlM2Mx"
		"YSIsInN1YiI6IjliMmMzZDRlIn0.MEUCIQDx_signature-octets_0123456789";
	static const char other[] = "Bearer another-token.of.the-same-peer";
	server_open(&ref, 0);
	server_open(&memo, 1);
	struct octets o = {0}, p;
	put(&o, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	p.n = 0;
	put_frame(&o, 0x4, 0, 0, &p); /* SETTINGS */
	both_feed(&o);

	static const struct {
		const char *what;
		unsigned cuts; /* after it */
	} step[] = {
		{"the first: learnt, not cut", 0},
		{"the same again: cut", 1},
		{"padded, with priority: cut", 2},
		{"raw, never indexed: cut", 3},
		{"raw, without indexing: cut", 4},
		{"with incremental indexing: never cut", 4},
		{"twice in one block: one cut", 5},
		{"in a CONTINUATION: never cut", 5},
		{"in trailers: cut", 6},
		{"another token: learnt, not cut", 6},
		{"the other token again: cut", 7},
		{"the first token again: not the memo now, learnt again", 7},
		{"split across reads: not cut", 7},
		{"the same value as proxy-authorization: never cut", 7},
		{"a frame that breaks after the field", 8},
	};
	int32_t id = 1;
	for (unsigned i = 0; i < sizeof(step) / sizeof(step[0]); i++, id += 2) {
		o.n = 0;
		p.n = 0;
		uint8_t flags = 0x5; /* END_HEADERS | END_STREAM */
		switch (i) {
		case 0:
		case 1:
			put_request(&p);
			put_authz_huffman(&p, token);
			break;
		case 2: {
			static const uint8_t pad = 3, prio[5] = {0, 0, 0, 0, 15};
			put(&p, &pad, 1);
			put(&p, prio, 5);
			put_request(&p);
			put_authz_huffman(&p, token);
			put(&p, "\0\0\0", 3);
			flags |= 0x8 | 0x20;
			break;
		}
		case 3:
			put_request(&p);
			put_authz_raw(&p, 0x10, token);
			break;
		case 4:
			put_request(&p);
			put_authz_raw(&p, 0x00, token);
			break;
		case 5:
			put_request(&p);
			put_authz_raw(&p, 0x40, token);
			break;
		case 6:
			put_request(&p);
			put_authz_huffman(&p, token);
			put_authz_huffman(&p, token);
			break;
		case 7: {
			put_request(&p);
			put_frame(&o, 0x1, 0x1, id, &p); /* END_STREAM, no END_HEADERS */
			p.n = 0;
			put_authz_huffman(&p, token);
			put_frame(&o, 0x9, 0x4, id, &p);
			p.n = 0;
			break;
		}
		case 8:
			put_request(&p);
			put_frame(&o, 0x1, 0x4, id, &p);
			p.n = 0;
			put_authz_huffman(&p, token);
			break;
		case 9:
		case 10:
			put_request(&p);
			put_authz_huffman(&p, other);
			break;
		case 11:
		case 12:
			put_request(&p);
			put_authz_huffman(&p, token);
			break;
		case 13: /* proxy-authorization, index 49 */
			put_request(&p);
			put_int(&p, 0x10, 4, 49);
			put_int(&p, 0x00, 7, (uint32_t)strlen(token));
			put(&p, token, strlen(token));
			break;
		case 14: {
			put_request(&p);
			put_authz_huffman(&p, token);
			static const uint8_t broken[] = {0x80}; /* index 0: no such field */
			put(&p, broken, sizeof(broken));
			break;
		}
		}
		if (p.n)
			put_frame(&o, 0x1, flags, id, &p);
		if (i == 12) {
			server_feed(&ref, o.b, o.n);
			server_feed(&memo, o.b, 20);
			server_feed(&memo, o.b + 20, o.n - 20);
		} else {
			both_feed(&o);
		}
		CHECK_EQ_INT(memo.memo.cuts, step[i].cuts, "%s", step[i].what);
		CHECK(i == 14 ? ref.failed && memo.failed : !ref.failed && !memo.failed,
		      "%s: nghttp2 %s", step[i].what, ref.failed ? "refused" : "took it");
		CHECK(!strcmp(ref.log, memo.log),
		      "%s: the same fields\n--- as sent:\n%s--- cut:\n%s", step[i].what, ref.log,
		      memo.log);
	}
	server_close(&ref);
	server_close(&memo);
}

/* ---- random clients ----------------------------------------------------------------------- */

static ssize_t client_send(nghttp2_session *h2, const uint8_t *data, size_t n, int flags,
			   void *user)
{
	(void)h2, (void)flags;
	struct octets *o = user;
	if (o->n + n > sizeof(o->b))
		return NGHTTP2_ERR_WOULDBLOCK;
	put(o, data, n);
	return (ssize_t)n;
}

static void random_text(char *out, size_t n)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[rand() % (sizeof(alphabet) - 1)];
	out[n] = '\0';
	if (n > 8 && rand() % 2)
		memcpy(out, "Bearer ", 7);
}

static void random_clients(unsigned rounds)
{
	nghttp2_session_callbacks *cb;
	nghttp2_session_callbacks_new(&cb);
	nghttp2_session_callbacks_set_send_callback(cb, client_send);
	static struct octets o;
	uint64_t cuts = 0, refused = 0, flipped = 0, blocks = 0;
	for (unsigned r = 0; r < rounds; r++) {
		char pool[3][700], extra[8][300];
		for (int i = 0; i < 3; i++)
			random_text(pool[i], 1 + (size_t)(rand() % 600));
		for (int i = 0; i < 8; i++)
			random_text(extra[i], 1 + (size_t)(rand() % 250));
		nghttp2_session *client;
		o.n = 0;
		nghttp2_session_client_new(&client, cb, &o);
		nghttp2_submit_settings(client, NGHTTP2_FLAG_NONE, NULL, 0);
		int streams = 1 + rand() % 40;
		for (int s = 0; s < streams; s++) {
			nghttp2_nv nv[16];
			int n = 0;
#define NV(name_, value_, fl)                                                                \
	do {                                                                                 \
		const char *nm = (name_), *vl = (value_);                                    \
		nv[n++] = (nghttp2_nv){(uint8_t *)nm, (uint8_t *)vl, strlen(nm), strlen(vl), \
				       (uint8_t)(fl)};                                       \
	} while (0)
			NV(":method", rand() % 2 ? "POST" : "GET", 0);
			NV(":scheme", "https", 0);
			NV(":path", rand() % 2 ? "/naanf-akma/v1/retrieve-applicationkey" : "/x",
			   0);
			NV(":authority", "akmad", 0);
			int authz = rand() % 10;
			if (authz < 8)
				NV("authorization", pool[rand() % 3], 0);
			if (authz == 9) {
				NV("authorization", pool[rand() % 3], 0);
				NV("authorization", pool[rand() % 3], 0);
			}
			for (int e = rand() % 5; e > 0; e--)
				NV(rand() % 2 ? "x-extra" : "content-type", extra[rand() % 8],
				   rand() % 3 ? 0 : NGHTTP2_NV_FLAG_NO_INDEX);
#undef NV
			nghttp2_submit_request(client, NULL, nv, (size_t)n, NULL, NULL);
		}
		nghttp2_session_send(client);
		nghttp2_session_del(client);
		if (rand() % 5 == 0 && o.n > 30) { /* one octet wrong, past the preface */
			o.b[24 + (size_t)rand() % (o.n - 24)] ^= (uint8_t)(1 + rand() % 255);
			flipped++;
		}
		server_open(&ref, 0);
		server_open(&memo, 1);
		server_feed(&ref, o.b, o.n);
		/* in pieces: a frame at a time (as a client writing each
		 * request as it makes it), or of random sizes */
		int by_frame = rand() % 3 == 0;
		for (size_t at = 0; at < o.n;) {
			int kind = rand() % 4;
			size_t piece =
				kind == 0 ? 16384 : 1 + (size_t)rand() % (kind == 1 ? 100 : 1500);
			if (by_frame)
				piece = at < 24 ? 24
					: at + 9 > o.n
						? o.n - at
						: 9 + ((size_t)o.b[at] << 16 |
						       (size_t)o.b[at + 1] << 8 | o.b[at + 2]);
			if (piece > o.n - at)
				piece = o.n - at;
			server_feed(&memo, o.b + at, piece);
			at += piece;
		}
		CHECK(ref.failed == memo.failed,
		      "round %u: nghttp2 %s the octets as sent, %s them cut", r,
		      ref.failed ? "refused" : "took", memo.failed ? "refused" : "took");
		CHECK(!strcmp(ref.log, memo.log),
		      "round %u: the same fields\n--- as sent:\n%s--- cut:\n%s", r, ref.log,
		      memo.log);
		cuts += memo.memo.cuts;
		refused += ref.failed;
		for (const char *p = ref.log; (p = strchr(p, '\n')) != NULL; p++)
			blocks++;
		server_close(&ref);
		server_close(&memo);
	}
	nghttp2_session_callbacks_del(cb);
	printf("random clients: %u rounds, %llu header blocks, %llu cut, %llu with an octet "
	       "flipped, %llu refused\n",
	       rounds, (unsigned long long)blocks, (unsigned long long)cuts,
	       (unsigned long long)flipped, (unsigned long long)refused);
	CHECK(cuts > blocks / 20, "the random clients' repeats were cut: %llu of %llu blocks",
	      (unsigned long long)cuts, (unsigned long long)blocks);
}

int main(int argc, char **argv)
{
	unsigned rounds = argc > 1 ? (unsigned)atoi(argv[1]) : 3000;
	srand(argc > 2 ? (unsigned)atoi(argv[2]) : 17);
	nghttp2_session_callbacks_new(&server_callbacks);
	nghttp2_session_callbacks_set_on_begin_headers_callback(server_callbacks, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(server_callbacks, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(server_callbacks, on_frame_recv);
	by_hand();
	random_clients(rounds);
	nghttp2_session_callbacks_del(server_callbacks);
	return check_done("test_sbi_authz_memo");
}
