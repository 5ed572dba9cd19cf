/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Redis side of replication (see redis.h).
 *
 * Writes are pipelined: put and del append to hiredis' output buffer, flush
 * sends it in as few writes as the socket takes and reads every reply.
 *
 * Loading overlaps the two sides. Each round sends the MGET of the page of
 * keys in hand together with the SCAN for the next page, then decodes and
 * registers the values of the page before while Redis works. Read one after
 * the other (SCAN, GETs, decode, repeat) Redis and this thread took turns
 * and 1 M contexts loaded at 262 k/s; see akma-bench recovery for the rate
 * of this shape.
 *
 * Standby following uses keyspace notifications rather than a stream the
 * primary would also write: they cost the primary no command per write, so
 * a registration stays one SET. They are not durable (a subscriber that
 * drops misses what happens meanwhile), so the follower reloads after any
 * reconnection.
 */
#include "redis.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/hiredis.h>

#include "err.h"

#define PREFIX_LEN (sizeof(AKMA_REPL_KEY_PREFIX) - 1)
#define SCAN_COUNT "1000"
#define MAX_SENTINELS 8

#define AKMA_REDIS_MAX_WAITS 4

struct akma_redis {
	redisContext *c;
	redisContext *sub;      /* standby: the subscriber connection */
	struct akma_repl_kek *kek;
	/* the write pipeline: commands queued, not sent */
	char *out;
	size_t out_len, out_cap;
	char *run;              /* an MSET being gathered: its key/value bulks */
	size_t run_len, run_cap;
	unsigned run_pairs;
	unsigned queued;        /* commands queued */
	unsigned n_waits;       /* of which WAITs, at these positions */
	unsigned wait_at[AKMA_REDIS_MAX_WAITS];
	unsigned wait_for;      /* replicas the WAITs ask for */
	/* batches sent, replies not yet read */
	unsigned n_batches;
	unsigned batch_replies[AKMA_REDIS_MAX_BATCHES];
	unsigned batch_waits[AKMA_REDIS_MAX_BATCHES];
	unsigned batch_wait_at[AKMA_REDIS_MAX_BATCHES][AKMA_REDIS_MAX_WAITS];
	char in[1 << 16];
	size_t in_len, in_off;
	struct timeval tv;
	char host[256];
	int port;
	char server[280];
	char *password;
	char *sentinels;
	char *master_name;
};

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

/* "HOST:PORT" or "[V6]:PORT". */
static int split_host_port(const char *text, char *host, size_t host_size, int *port)
{
	const char *colon = strrchr(text, ':');
	if (!colon || colon == text)
		return -1;
	const char *h = text;
	size_t hl = (size_t)(colon - text);
	if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (*end || p < 1 || p > 65535 || hl == 0 || hl >= host_size)
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = (int)p;
	return 0;
}

static redisReply *command(redisContext *c, int argc, const char **argv, const size_t *len)
{
	return redisCommandArgv(c, argc, argv, len);
}

/* Ask the sentinels, in order, for the master's address. */
static int ask_sentinels(struct akma_redis *r, char *why, size_t why_size)
{
	char list[1024], host[256];
	int port;

	snprintf(list, sizeof(list), "%s", r->sentinels);
	snprintf(why, why_size, "no sentinel answered for master '%s'", r->master_name);
	for (char *save, *s = strtok_r(list, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (split_host_port(s, host, sizeof(host), &port) != 0) {
			snprintf(why, why_size, "sentinel address '%s': expected HOST:PORT", s);
			return -1;
		}
		redisContext *c = redisConnectWithTimeout(host, port, r->tv);
		if (!c || c->err) {
			if (c)
				redisFree(c);
			continue;
		}
		redisSetTimeout(c, r->tv);
		const char *argv[] = {"SENTINEL", "get-master-addr-by-name", r->master_name};
		size_t len[] = {8, 23, strlen(r->master_name)};
		redisReply *rep = command(c, 3, argv, len);
		if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
		    rep->element[0]->type == REDIS_REPLY_STRING) {
			snprintf(r->host, sizeof(r->host), "%s", rep->element[0]->str);
			r->port = atoi(rep->element[1]->str);
			freeReplyObject(rep);
			redisFree(c);
			return 0;
		}
		if (rep)
			freeReplyObject(rep);
		redisFree(c);
	}
	return -1;
}

static void forget(struct akma_redis *r);

static void drop(struct akma_redis *r)
{
	if (r->c)
		redisFree(r->c);
	if (r->sub)
		redisFree(r->sub);
	r->c = r->sub = NULL;
	forget(r);
}

static redisContext *connect_one(struct akma_redis *r, char *why, size_t why_size)
{
	redisContext *c = redisConnectWithTimeout(r->host, r->port, r->tv);
	if (!c || c->err) {
		snprintf(why, why_size, "redis %s: %s", r->server, c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, r->tv);
	redisEnableKeepAlive(c);
	if (r->password) {
		const char *argv[] = {"AUTH", r->password};
		size_t len[] = {4, strlen(r->password)};
		redisReply *rep = command(c, 2, argv, len);
		int ok = rep && rep->type == REDIS_REPLY_STATUS;
		if (!ok)
			snprintf(why, why_size, "redis %s: AUTH refused%s%s", r->server,
				 rep && rep->type == REDIS_REPLY_ERROR ? ": " : "",
				 rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "");
		if (rep)
			freeReplyObject(rep);
		if (!ok) {
			redisFree(c);
			return NULL;
		}
	}
	return c;
}

int akma_redis_reconnect(struct akma_redis *r, char *why, size_t why_size)
{
	drop(r);
	if (r->sentinels && ask_sentinels(r, why, why_size) != 0)
		return -EIO;
	snprintf(r->server, sizeof(r->server), "%s:%d", r->host, r->port);
	r->c = connect_one(r, why, why_size);
	if (!r->c)
		return -EIO;
	if (r->sentinels) {
		/* A sentinel may name the old master for a moment after a failover. */
		const char *argv[] = {"ROLE"};
		size_t len[] = {4};
		redisReply *rep = command(r->c, 1, argv, len);
		int master = rep && rep->type == REDIS_REPLY_ARRAY && rep->elements > 0 &&
			     rep->element[0]->type == REDIS_REPLY_STRING &&
			     strcmp(rep->element[0]->str, "master") == 0;
		if (rep)
			freeReplyObject(rep);
		if (!master) {
			snprintf(why, why_size, "redis %s (from the sentinels) is not a master yet",
				 r->server);
			drop(r);
			return -EIO;
		}
	}
	return 0;
}

struct akma_redis *akma_redis_open(const struct akma_redis_params *p,
				   const uint8_t kek[AKMA_REPL_KEK_LEN], char *why, size_t why_size)
{
	struct akma_redis *r = calloc(1, sizeof(*r));
	int err = -ENOMEM;

	if (!r) {
		snprintf(why, why_size, "out of memory");
		return NULL;
	}
	unsigned ms = p->timeout_ms ? p->timeout_ms : 2000;
	r->tv = (struct timeval){(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	r->password = dup_or_null(p->password);
	r->sentinels = dup_or_null(p->sentinels);
	r->master_name = dup_or_null(p->master_name);
	r->kek = akma_repl_kek_create(kek, &err);
	if (!r->kek) {
		snprintf(why, why_size, "replication KEK: %s", akma_strerror(err));
		goto fail;
	}
	if (r->sentinels && !r->master_name) {
		snprintf(why, why_size, "Sentinel needs a master name");
		goto fail;
	}
	if (!r->sentinels &&
	    (!p->address || split_host_port(p->address, r->host, sizeof(r->host), &r->port) != 0)) {
		snprintf(why, why_size, "redis address '%s': expected HOST:PORT",
			 p->address ? p->address : "");
		goto fail;
	}
	if (akma_redis_reconnect(r, why, why_size) != 0)
		goto fail;
	return r;
fail:
	akma_redis_close(r);
	return NULL;
}

void akma_redis_close(struct akma_redis *r)
{
	if (!r)
		return;
	drop(r);
	free(r->out);
	if (r->run) {
		explicit_bzero(r->run, r->run_cap);
		free(r->run);
	}
	akma_repl_kek_free(r->kek);
	if (r->password) {
		explicit_bzero(r->password, strlen(r->password));
		free(r->password);
	}
	free(r->sentinels);
	free(r->master_name);
	free(r);
}

const char *akma_redis_server(const struct akma_redis *r)
{
	return r->server;
}

/* ---- writes --------------------------------------------------------------------------- */

/*
 * The write path bypasses hiredis' formatter and reply objects: with them
 * the replication thread spent more time in sdscatfmt, malloc and free than
 * in wrapping keys (perf, akma-bench replication). Commands are written as
 * RESP straight into one buffer; every reply a SET, DEL or WAIT can get is
 * one line (+OK, :N, -ERR ...), so replies are counted line by line off the
 * socket. hiredis' own buffers stay empty throughout, so its synchronous
 * calls (the lease) can come between batches.
 */

static int out_reserve(struct akma_redis *r, size_t more)
{
	if (r->out_len + more <= r->out_cap)
		return 0;
	size_t cap = r->out_cap ? r->out_cap : 1 << 16;
	while (cap < r->out_len + more)
		cap *= 2;
	char *p = realloc(r->out, cap);
	if (!p)
		return -ENOMEM;
	r->out = p;
	r->out_cap = cap;
	return 0;
}

static char *put_uint(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_bulk(char *p, const void *data, size_t len)
{
	*p++ = '$';
	p = put_uint(p, len);
	*p++ = '\r';
	*p++ = '\n';
	memcpy(p, data, len);
	p += len;
	*p++ = '\r';
	*p++ = '\n';
	return p;
}

/* Append one command of argc bulk strings. */
static int out_command(struct akma_redis *r, int argc, const void *const *argv, const size_t *len)
{
	size_t need = 16;
	for (int i = 0; i < argc; i++)
		need += len[i] + 16;
	if (out_reserve(r, need) != 0)
		return -ENOMEM;
	char *p = r->out + r->out_len;
	*p++ = '*';
	p = put_uint(p, (uint64_t)argc);
	*p++ = '\r';
	*p++ = '\n';
	for (int i = 0; i < argc; i++)
		p = put_bulk(p, argv[i], len[i]);
	r->out_len = (size_t)(p - r->out);
	r->queued++;
	return 0;
}

/* Contexts without an end of life (the default: engine.kakma_lifetime 0)
 * go out as one MSET per run of them rather than one SET each: Redis pays
 * its per-command cost (parsing, dispatch, ACL, reply) once a run. A DEL or
 * a SET with an expiry ends the run, so writes keep their order. */
static int close_run(struct akma_redis *r)
{
	if (!r->run_pairs)
		return 0;
	if (out_reserve(r, r->run_len + 32) != 0)
		return -ENOMEM;
	char *p = r->out + r->out_len;
	*p++ = '*';
	p = put_uint(p, 1 + 2 * (uint64_t)r->run_pairs);
	static const char mset[] = "\r\n$4\r\nMSET\r\n";
	memcpy(p, mset, sizeof(mset) - 1);
	p += sizeof(mset) - 1;
	memcpy(p, r->run, r->run_len);
	p += r->run_len;
	r->out_len = (size_t)(p - r->out);
	explicit_bzero(r->run, r->run_len);
	r->run_len = 0;
	r->run_pairs = 0;
	r->queued++;
	return 0;
}

static int run_append(struct akma_redis *r, const char *key, size_t kl, const uint8_t *val,
		      size_t vl)
{
	size_t need = kl + vl + 32;
	if (r->run_len + need > r->run_cap) {
		size_t cap = r->run_cap ? r->run_cap * 2 : 1 << 16;
		while (cap < r->run_len + need)
			cap *= 2;
		char *p = malloc(cap);
		if (!p)
			return -ENOMEM;
		if (r->run) {
			memcpy(p, r->run, r->run_len);
			explicit_bzero(r->run, r->run_cap);
			free(r->run);
		}
		r->run = p;
		r->run_cap = cap;
	}
	char *p = put_bulk(r->run + r->run_len, key, kl);
	p = put_bulk(p, val, vl);
	r->run_len = (size_t)(p - r->run);
	r->run_pairs++;
	return 0;
}

int akma_redis_put(struct akma_redis *r, const struct akma_repl_ctx *c, uint64_t now_ms)
{
	uint8_t rec[AKMA_REPL_RECORD_MAX];
	char key[AKMA_REPL_KEY_MAX], at[24];

	if (!r->c)
		return -EIO;
	if (c->eol_ms && c->eol_ms <= now_ms)
		return 0; /* already over: nothing to keep */
	int kl = akma_repl_key_name(c->ueid, c->ueid_len, key, sizeof(key));
	if (kl < 0)
		return kl;
	int n = akma_repl_encode(r->kek, c, rec, sizeof(rec));
	if (n < 0)
		return n;
	if (!c->eol_ms) {
		int rc = run_append(r, key, (size_t)kl, rec, (size_t)n);
		explicit_bzero(rec, sizeof(rec));
		return rc;
	}
	if (close_run(r) != 0)
		return -ENOMEM;
	const void *argv[5] = {"SET", key, rec, "PXAT", at};
	size_t len[5] = {3, (size_t)kl, (size_t)n, 4, 0};
	if (c->eol_ms)
		len[4] = (size_t)(put_uint(at, c->eol_ms) - at);
	int rc = out_command(r, c->eol_ms ? 5 : 3, argv, len);
	explicit_bzero(rec, sizeof(rec));
	return rc;
}

int akma_redis_del(struct akma_redis *r, const uint8_t *ueid, uint16_t ueid_len)
{
	char key[AKMA_REPL_KEY_MAX];

	if (!r->c)
		return -EIO;
	int kl = akma_repl_key_name(ueid, ueid_len, key, sizeof(key));
	if (kl < 0)
		return kl;
	if (close_run(r) != 0)
		return -ENOMEM;
	const void *argv[] = {"DEL", key};
	size_t len[] = {3, (size_t)kl};
	return out_command(r, 2, argv, len);
}

void akma_redis_wait(struct akma_redis *r, unsigned replicas, unsigned timeout_ms)
{
	char n[16], t[16];

	if (!r->c || close_run(r) != 0)
		return;
	const void *argv[] = {"WAIT", n, t};
	size_t len[] = {4, (size_t)(put_uint(n, replicas) - n), (size_t)(put_uint(t, timeout_ms) - t)};
	if (out_command(r, 3, argv, len) == 0) {
		r->wait_at[r->n_waits < AKMA_REDIS_MAX_WAITS ? r->n_waits++ : r->n_waits - 1] =
			r->queued - 1;
		r->wait_for = replicas;
	}
}

static void forget(struct akma_redis *r)
{
	if (r->run)
		explicit_bzero(r->run, r->run_len);
	r->run_len = 0;
	r->run_pairs = 0;
	r->out_len = 0;
	r->queued = 0;
	r->n_waits = 0;
	r->in_len = r->in_off = 0;
	for (unsigned i = 0; i < AKMA_REDIS_MAX_BATCHES; i++)
		r->batch_replies[i] = 0;
	r->n_batches = 0;
}

/* Wait for fd to be ready for ev, up to the timeout. */
static int ready(struct akma_redis *r, short ev)
{
	struct pollfd p = {r->c->fd, ev, 0};
	int ms = (int)(r->tv.tv_sec * 1000 + r->tv.tv_usec / 1000);
	int n;
	do
		n = poll(&p, 1, ms);
	while (n < 0 && errno == EINTR);
	return n == 1 && !(p.revents & (POLLERR | POLLNVAL)) ? 0 : -1;
}

int akma_redis_send(struct akma_redis *r, char *why, size_t why_size)
{
	if (!r->c) {
		forget(r);
		snprintf(why, why_size, "not connected");
		return -EIO;
	}
	if (r->n_batches == AKMA_REDIS_MAX_BATCHES) {
		snprintf(why, why_size, "too many batches in flight");
		return -EINVAL;
	}
	if (close_run(r) != 0) {
		snprintf(why, why_size, "out of memory");
		forget(r);
		return -EIO;
	}
	for (size_t off = 0; off < r->out_len;) {
		ssize_t n = send(r->c->fd, r->out + off, r->out_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR) && ready(r, POLLOUT) == 0)
			continue;
		snprintf(why, why_size, "redis %s: %s", r->server, n < 0 ? strerror(errno) : "closed");
		forget(r);
		return -EIO;
	}
	r->batch_replies[r->n_batches] = r->queued;
	r->batch_waits[r->n_batches] = r->n_waits;
	memcpy(r->batch_wait_at[r->n_batches], r->wait_at, sizeof(r->wait_at));
	r->n_batches++;
	r->out_len = 0;
	r->queued = 0;
	r->n_waits = 0;
	return 0;
}

/* The next complete reply line, or NULL when more must be read. */
static const char *next_line(struct akma_redis *r, size_t *len)
{
	char *start = r->in + r->in_off;
	char *nl = memchr(start, '\n', r->in_len - r->in_off);
	if (!nl)
		return NULL;
	*len = (size_t)(nl - start) + 1;
	r->in_off += *len;
	return start;
}

int akma_redis_receive(struct akma_redis *r, char *why, size_t why_size)
{
	if (!r->n_batches)
		return 0;
	unsigned want = r->batch_replies[0], seen = 0, w = 0;
	int rc = 0;
	while (seen < want) {
		size_t len;
		const char *line = next_line(r, &len);
		if (!line) {
			/* Keep the partial line, read more after it. */
			memmove(r->in, r->in + r->in_off, r->in_len - r->in_off);
			r->in_len -= r->in_off;
			r->in_off = 0;
			if (r->in_len == sizeof(r->in)) {
				snprintf(why, why_size, "redis %s: a reply line too long", r->server);
				forget(r);
				return -EIO;
			}
			ssize_t n = recv(r->c->fd, r->in + r->in_len, sizeof(r->in) - r->in_len,
					 MSG_DONTWAIT);
			if (n > 0) {
				r->in_len += (size_t)n;
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR) && ready(r, POLLIN) == 0)
				continue;
			snprintf(why, why_size, "redis %s: %s", r->server,
				 n < 0 ? (errno == EAGAIN ? "no reply within the timeout" : strerror(errno))
				       : "Server closed the connection");
			forget(r);
			return -EIO;
		}
		if (line[0] == '-') {
			if (rc == 0) {
				snprintf(why, why_size, "redis %s: %.*s", r->server,
					 (int)(len > 2 ? len - 2 : 0), line + 1);
				rc = -EREMOTEIO;
			}
		} else if (line[0] == ':') {
			if (w < r->batch_waits[0] && r->batch_wait_at[0][w] == seen) {
				w++;
				long long got = strtoll(line + 1, NULL, 10);
				if (got < (long long)r->wait_for && rc == 0) {
					snprintf(why, why_size, "redis %s: %lld of %u replicas acknowledged",
						 r->server, got, r->wait_for);
					rc = -EAGAIN;
				}
			}
		} else if (line[0] != '+') {
			snprintf(why, why_size, "redis %s: unexpected reply", r->server);
			forget(r);
			return -EIO;
		}
		seen++;
	}
	r->n_batches--;
	memmove(r->batch_replies, r->batch_replies + 1, r->n_batches * sizeof(r->batch_replies[0]));
	memmove(r->batch_waits, r->batch_waits + 1, r->n_batches * sizeof(r->batch_waits[0]));
	memmove(r->batch_wait_at, r->batch_wait_at + 1, r->n_batches * sizeof(r->batch_wait_at[0]));
	return rc;
}

int akma_redis_flush(struct akma_redis *r, char *why, size_t why_size)
{
	int rc = akma_redis_send(r, why, why_size);
	while (rc == 0 && r->n_batches) {
		int b = akma_redis_receive(r, why, why_size);
		if (b)
			rc = b;
		if (b == -EIO)
			break;
	}
	return rc;
}

/* ---- recovery ------------------------------------------------------------------------------- */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct loader {
	struct akma_redis *r;
	struct akma_ctx_store *s;
	struct akma_redis_load_stats *st;
	void (*log_bad)(const char *key, int err);
	uint64_t now;
	struct akma_repl_ctx ctx[AKMA_CTX_BULK_MAX];
	struct akma_ctx_reg reg[AKMA_CTX_BULK_MAX];
	unsigned n;
};

static void loader_flush(struct loader *l)
{
	int rc[AKMA_CTX_BULK_MAX];

	if (!l->n)
		return;
	l->st->loaded += akma_ctx_register_bulk(l->s, l->reg, l->n, l->now, rc);
	for (unsigned j = 0; j < l->n; j++)
		l->st->refused += rc[j] != 0;
	explicit_bzero(l->ctx, sizeof(l->ctx[0]) * l->n);
	l->n = 0;
}

static void count_bad(struct akma_redis_load_stats *st, int err)
{
	st->bad_version += err == -AKMA_E_REPL_VERSION;
	st->bad_unwrap += err == -AKMA_E_REPL_UNWRAP;
	st->bad_format += err == -AKMA_E_REPL_FORMAT;
}

static void log_key(void (*log_bad)(const char *, int), const char *key, size_t len, int err)
{
	char name[AKMA_REPL_KEY_MAX + 1];
	if (!log_bad)
		return;
	snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) - 1 ? len : sizeof(name) - 1),
		 key);
	log_bad(name, err);
}

/* Decode one key's value into the next bulk slot. */
static void loader_take(struct loader *l, const redisReply *k, const redisReply *v)
{
	if (v->type == REDIS_REPLY_NIL)
		return; /* deleted or expired since the SCAN */
	l->st->keys++;
	size_t ul = k->len - PREFIX_LEN;
	struct akma_repl_ctx *c = &l->ctx[l->n];
	int err = v->type != REDIS_REPLY_STRING || k->len <= PREFIX_LEN || ul > AKMA_UEID_MAX
			  ? -AKMA_E_REPL_FORMAT
			  : akma_repl_decode(l->r->kek, (const uint8_t *)k->str + PREFIX_LEN,
					     (uint16_t)ul, (const uint8_t *)v->str, v->len, c);
	if (err) {
		count_bad(l->st, err);
		log_key(l->log_bad, k->str, k->len, err);
		return;
	}
	if (c->eol_ms && c->eol_ms <= l->now) {
		l->st->expired++;
		explicit_bzero(c, sizeof(*c));
		return;
	}
	l->reg[l->n] = (struct akma_ctx_reg){c->akid, c->akid_len, c->ueid, c->ueid_len,
					     c->ueid_type, c->kakma, NULL, c->eol_ms};
	if (++l->n == AKMA_CTX_BULK_MAX)
		loader_flush(l);
}

static int send_all(redisContext *c)
{
	int done = 0;
	while (!done)
		if (redisBufferWrite(c, &done) != REDIS_OK)
			return -EIO;
	return 0;
}

static int is_scan_reply(const redisReply *p)
{
	return p && p->type == REDIS_REPLY_ARRAY && p->elements == 2 &&
	       p->element[0]->type == REDIS_REPLY_STRING && p->element[1]->type == REDIS_REPLY_ARRAY;
}

static void append_scan(redisContext *c, const char *cursor)
{
	const char *argv[] = {"SCAN", cursor, "MATCH", AKMA_REPL_KEY_PREFIX "*", "COUNT", SCAN_COUNT};
	size_t len[] = {4, strlen(cursor), 5, PREFIX_LEN + 1, 5, sizeof(SCAN_COUNT) - 1};
	redisAppendCommandArgv(c, 6, argv, len);
}

/* SCAN's COUNT is a hint: a page may hold more keys; the argument arrays
 * grow to fit. Returns -ENOMEM when they cannot. */
static int append_mget(redisContext *c, const redisReply *keys)
{
	static const char **argv;
	static size_t *len, cap;
	size_t n = keys->elements;

	if (n + 1 > cap) {
		size_t want = n + 1 > 2048 ? n + 1 : 2048;
		const char **a = realloc(argv, want * sizeof(*a));
		if (a)
			argv = a;
		size_t *l = realloc(len, want * sizeof(*l));
		if (l)
			len = l;
		if (!a || !l)
			return -ENOMEM;
		cap = want;
	}
	argv[0] = "MGET";
	len[0] = 4;
	for (size_t i = 0; i < n; i++) {
		argv[1 + i] = keys->element[i]->str;
		len[1 + i] = keys->element[i]->len;
	}
	redisAppendCommandArgv(c, (int)(1 + n), argv, len);
	return 0;
}

int akma_redis_load(struct akma_redis *r, struct akma_ctx_store *s, uint64_t (*now_ms)(void),
		    struct akma_redis_load_stats *st, void (*log_bad)(const char *key, int err),
		    void (*progress)(const struct akma_redis_load_stats *st))
{
	static struct loader l;
	redisReply *page = NULL, *next = NULL, *vals = NULL, *done_page = NULL;
	uint64_t t0 = mono_ns(), last_progress = t0;
	int rc = -EIO;

	memset(st, 0, sizeof(*st));
	l = (struct loader){.r = r, .s = s, .st = st, .log_bad = log_bad, .now = now_ms()};
	if (!r->c)
		return -EIO;
	append_scan(r->c, "0");
	if (redisGetReply(r->c, (void **)&page) != REDIS_OK || !is_scan_reply(page))
		goto out;
	for (;;) {
		/* page: keys in hand and the cursor after them. Ask for their values
		 * and for the next page in one go... */
		int more = strcmp(page->element[0]->str, "0") != 0;
		int have = page->element[1]->elements > 0;
		if (have && append_mget(r->c, page->element[1]) != 0)
			goto out;
		if (more)
			append_scan(r->c, page->element[0]->str);
		if ((have || more) && send_all(r->c) != 0)
			goto out;
		/* ...and while Redis answers, register the page before. */
		if (done_page) {
			for (size_t i = 0; i < done_page->element[1]->elements && i < vals->elements; i++)
				loader_take(&l, done_page->element[1]->element[i], vals->element[i]);
			freeReplyObject(vals);
			freeReplyObject(done_page);
			vals = done_page = NULL;
		}
		if (progress && mono_ns() - last_progress > 250000000u) {
			last_progress = mono_ns();
			st->seconds = (double)(last_progress - t0) / 1e9;
			progress(st);
		}
		if (have && (redisGetReply(r->c, (void **)&vals) != REDIS_OK ||
			     vals->type != REDIS_REPLY_ARRAY))
			goto out;
		if (more && (redisGetReply(r->c, (void **)&next) != REDIS_OK || !is_scan_reply(next)))
			goto out;
		if (have) {
			done_page = page;
		} else {
			freeReplyObject(page);
		}
		page = next;
		next = NULL;
		if (!more) {
			page = NULL;
			break;
		}
	}
	if (done_page) {
		for (size_t i = 0; i < done_page->element[1]->elements && i < vals->elements; i++)
			loader_take(&l, done_page->element[1]->element[i], vals->element[i]);
	}
	loader_flush(&l);
	rc = 0;
out:
	if (rc)
		explicit_bzero(l.ctx, sizeof(l.ctx));
	l.n = 0;
	if (page)
		freeReplyObject(page);
	if (next)
		freeReplyObject(next);
	if (vals)
		freeReplyObject(vals);
	if (done_page)
		freeReplyObject(done_page);
	st->seconds = (double)(mono_ns() - t0) / 1e9;
	return rc;
}

/* ---- the lease -------------------------------------------------------------------------------- */

static int lease_holder(struct akma_redis *r, char *holder, size_t holder_size)
{
	const char *argv[] = {"GET", AKMA_REDIS_LEASE_KEY};
	size_t len[] = {3, sizeof(AKMA_REDIS_LEASE_KEY) - 1};
	redisReply *rep = command(r->c, 2, argv, len);
	if (!rep)
		return -EIO;
	snprintf(holder, holder_size, "%s", rep->type == REDIS_REPLY_STRING ? rep->str : "");
	freeReplyObject(rep);
	return 0;
}

int akma_redis_lease_acquire(struct akma_redis *r, const char *id, unsigned ms, char *holder,
			     size_t holder_size)
{
	char t[16];

	if (!r->c)
		return -EIO;
	const char *argv[] = {"SET", AKMA_REDIS_LEASE_KEY, id, "NX", "PX", t};
	size_t len[] = {3, sizeof(AKMA_REDIS_LEASE_KEY) - 1, strlen(id), 2, 2,
			(size_t)snprintf(t, sizeof(t), "%u", ms)};
	redisReply *rep = command(r->c, 6, argv, len);
	if (!rep)
		return -EIO;
	int rc = rep->type == REDIS_REPLY_STATUS ? 1 : rep->type == REDIS_REPLY_NIL ? 0 : -EREMOTEIO;
	freeReplyObject(rep);
	if (rc == 1)
		snprintf(holder, holder_size, "%s", id);
	else if (rc == 0 && lease_holder(r, holder, holder_size) != 0)
		return -EIO;
	return rc;
}

/* Extend our lease, or take a free one; answer who holds it otherwise. */
static const char renew_script[] =
	"local v = redis.call('GET', KEYS[1]) "
	"if v == ARGV[1] or not v then "
	"redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
	"return v";

int akma_redis_lease_renew(struct akma_redis *r, const char *id, unsigned ms, char *holder,
			   size_t holder_size)
{
	char t[16];

	if (!r->c)
		return -EIO;
	const char *argv[] = {"EVAL", renew_script, "1", AKMA_REDIS_LEASE_KEY, id, t};
	size_t len[] = {4, sizeof(renew_script) - 1, 1, sizeof(AKMA_REDIS_LEASE_KEY) - 1, strlen(id),
			(size_t)snprintf(t, sizeof(t), "%u", ms)};
	redisReply *rep = command(r->c, 6, argv, len);
	if (!rep)
		return -EIO;
	int rc;
	if (rep->type == REDIS_REPLY_INTEGER) {
		rc = 1;
		snprintf(holder, holder_size, "%s", id);
	} else if (rep->type == REDIS_REPLY_STRING) {
		rc = 0;
		snprintf(holder, holder_size, "%s", rep->str);
	} else {
		rc = -EREMOTEIO;
	}
	freeReplyObject(rep);
	return rc;
}

static const char release_script[] =
	"if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
	"return 0";

void akma_redis_lease_release(struct akma_redis *r, const char *id)
{
	if (!r->c)
		return;
	const char *argv[] = {"EVAL", release_script, "1", AKMA_REDIS_LEASE_KEY, id};
	size_t len[] = {4, sizeof(release_script) - 1, 1, sizeof(AKMA_REDIS_LEASE_KEY) - 1,
			strlen(id)};
	redisReply *rep = command(r->c, 5, argv, len);
	if (rep)
		freeReplyObject(rep);
}

/* ---- following (standby) ------------------------------------------------------------------------ */

#define EVENT_PATTERN "__keyspace@*__:" AKMA_REPL_KEY_PREFIX "*"

/* Keyspace events for generic (del), string (set) and expired commands. */
static int ensure_notifications(struct akma_redis *r, char *why, size_t why_size)
{
	const char *get[] = {"CONFIG", "GET", "notify-keyspace-events"};
	size_t get_len[] = {6, 3, 22};
	redisReply *rep = command(r->c, 3, get, get_len);
	char flags[64] = "";

	if (!rep) {
		snprintf(why, why_size, "redis %s: %s", r->server, r->c->errstr);
		return -EIO;
	}
	if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[1]->type == REDIS_REPLY_STRING)
		snprintf(flags, sizeof(flags), "%s", rep->element[1]->str);
	freeReplyObject(rep);
	/* 'A' stands for every class but m, n and t. */
	int has_all = strchr(flags, 'A') != NULL;
	int need = !strchr(flags, 'K') || (!has_all && (!strchr(flags, 'g') || !strchr(flags, '$') ||
							!strchr(flags, 'x')));
	if (!need)
		return 0;
	size_t n = strlen(flags);
	const char *want = "Kg$x";
	for (const char *w = want; *w && n < sizeof(flags) - 1; w++)
		if (!strchr(flags, *w)) {
			flags[n++] = *w;
			flags[n] = '\0';
		}
	const char *set[] = {"CONFIG", "SET", "notify-keyspace-events", flags};
	size_t set_len[] = {6, 3, 22, n};
	rep = command(r->c, 4, set, set_len);
	int ok = rep && rep->type == REDIS_REPLY_STATUS;
	if (!ok)
		snprintf(why, why_size,
			 "redis %s: keyspace notifications are off and CONFIG SET "
			 "notify-keyspace-events %s was refused%s%s",
			 r->server, flags, rep && rep->type == REDIS_REPLY_ERROR ? ": " : "",
			 rep && rep->type == REDIS_REPLY_ERROR ? rep->str : "");
	if (rep)
		freeReplyObject(rep);
	return ok ? 0 : -EREMOTEIO;
}

int akma_redis_follow_start(struct akma_redis *r, char *why, size_t why_size)
{
	if (!r->c) {
		snprintf(why, why_size, "not connected");
		return -EIO;
	}
	int rc = ensure_notifications(r, why, why_size);
	if (rc)
		return rc;
	if (r->sub)
		redisFree(r->sub);
	r->sub = connect_one(r, why, why_size);
	if (!r->sub)
		return -EIO;
	const char *argv[] = {"PSUBSCRIBE", EVENT_PATTERN};
	size_t len[] = {10, sizeof(EVENT_PATTERN) - 1};
	redisReply *rep = command(r->sub, 2, argv, len);
	int ok = rep && rep->type == REDIS_REPLY_ARRAY;
	if (rep)
		freeReplyObject(rep);
	if (!ok) {
		snprintf(why, why_size, "redis %s: PSUBSCRIBE refused", r->server);
		return -EIO;
	}
	return 0;
}

#define FOLLOW_BATCH 256

int akma_redis_follow_poll(struct akma_redis *r, struct akma_ctx_store *s, uint64_t now_ms,
			   unsigned timeout_ms, struct akma_redis_follow_stats *st,
			   void (*log_bad)(const char *key, int err))
{
	redisReply *ev[FOLLOW_BATCH];
	unsigned n = 0, applied = 0;

	if (!r->c || !r->sub)
		return -EIO;
	/* Gather what has arrived: wait for the first, take the rest as read. */
	for (;;) {
		void *rep = NULL;
		if (redisGetReplyFromReader(r->sub, &rep) != REDIS_OK)
			goto fail;
		if (rep) {
			ev[n++] = rep;
			if (n == FOLLOW_BATCH)
				break;
			continue;
		}
		struct pollfd pfd = {r->sub->fd, POLLIN, 0};
		int ready = poll(&pfd, 1, n ? 0 : (int)timeout_ms);
		if (ready < 0 && errno != EINTR)
			goto fail;
		if (ready <= 0)
			break;
		if (redisBufferRead(r->sub) != REDIS_OK)
			goto fail;
	}
	/* pmessage, pattern, channel "__keyspace@N__:akma:ue:<id>", event. Read
	 * back every set in one pipeline, then apply all in arrival order. */
	const char *keys[FOLLOW_BATCH];
	size_t key_len[FOLLOW_BATCH];
	for (unsigned i = 0; i < n; i++) {
		keys[i] = NULL;
		if (ev[i]->type != REDIS_REPLY_ARRAY || ev[i]->elements != 4)
			continue;
		const char *ch = strstr(ev[i]->element[2]->str, "__:");
		if (!ch)
			continue;
		keys[i] = ch + 3;
		key_len[i] = ev[i]->element[2]->len - (size_t)(keys[i] - ev[i]->element[2]->str);
		if (strcmp(ev[i]->element[3]->str, "set") == 0) {
			const char *argv[] = {"GET", keys[i]};
			size_t len[] = {3, key_len[i]};
			redisAppendCommandArgv(r->c, 2, argv, len);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		if (!keys[i]) {
			freeReplyObject(ev[i]);
			continue;
		}
		st->events++;
		const uint8_t *ueid = (const uint8_t *)keys[i] + PREFIX_LEN;
		size_t ul = key_len[i] - PREFIX_LEN;
		if (strcmp(ev[i]->element[3]->str, "set") == 0) {
			redisReply *v;
			if (redisGetReply(r->c, (void **)&v) != REDIS_OK) {
				for (; i < n; i++)
					freeReplyObject(ev[i]);
				return -EIO;
			}
			struct akma_repl_ctx c;
			int err = v->type == REDIS_REPLY_NIL ? 1
				  : v->type != REDIS_REPLY_STRING || ul == 0 || ul > AKMA_UEID_MAX
					  ? -AKMA_E_REPL_FORMAT
					  : akma_repl_decode(r->kek, ueid, (uint16_t)ul,
							     (const uint8_t *)v->str, v->len, &c);
			freeReplyObject(v);
			if (err < 0) {
				st->bad++;
				log_key(log_bad, keys[i], key_len[i], err);
			} else if (err == 0) {
				struct akma_ctx_reg reg = {c.akid, c.akid_len, c.ueid, c.ueid_len,
							   c.ueid_type, c.kakma, NULL, c.eol_ms};
				if (akma_ctx_register(s, &reg, now_ms) == 0) {
					st->registered++;
					applied++;
				}
				explicit_bzero(&c, sizeof(c));
			}
		} else if (strcmp(ev[i]->element[3]->str, "del") == 0 ||
			   strcmp(ev[i]->element[3]->str, "expired") == 0) {
			if (ul > 0 && ul <= AKMA_UEID_MAX &&
			    akma_ctx_remove(s, ueid, (uint16_t)ul) == 0) {
				st->removed++;
				applied++;
			}
		}
		freeReplyObject(ev[i]);
	}
	return (int)applied;
fail:
	for (unsigned i = 0; i < n; i++)
		freeReplyObject(ev[i]);
	return -EIO;
}
