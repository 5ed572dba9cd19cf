/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The write pipeline to Redis (see redis.h): put, del and wait append RESP
 * commands to one buffer; send writes it as one batch without waiting;
 * receive reads the oldest batch's replies.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "redis_priv.h"

#include "hex.h"

/*
 * The write path bypasses hiredis' formatter and reply objects: with them
 * the replication thread spent more time in sdscatfmt, malloc and free than
 * in wrapping keys (perf, akma-bench replication). Commands are written as
 * RESP straight into one buffer; every reply a SET, DEL or WAIT can get is
 * one line (+OK, :N, -ERR ...), so replies are counted line by line off the
 * socket. hiredis' own buffers stay empty throughout, so its synchronous
 * calls (the lease) can come between batches.
 */

/* A test's stand-in for an allocation that fails (hiredis 0.14 has no
 * allocator hooks, and aborts on OOM itself). */
static int fail_now(struct akma_redis *r)
{
	return r->fail_hook && r->fail_hook(r->fail_ctx);
}

void akma_redis_set_fail_hook(struct akma_redis *r, int (*hook)(void *ctx), void *ctx)
{
	r->fail_hook = hook;
	r->fail_ctx = ctx;
}

static int out_reserve(struct akma_redis *r, size_t more)
{
	if (fail_now(r))
		return -ENOMEM;
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

static char *put_bulk(char *p, const void *data, size_t len)
{
	*p++ = '$';
	p = akma_put_decimal(p, len);
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
	p = akma_put_decimal(p, (uint64_t)argc);
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
 * a SET with an expiry ends the run, so writes keep their order.
 *
 * The run's pairs are written straight into out behind RUN_GAP octets
 * kept for its header, whose length ("*<1 + 2n>") is known only once the
 * run ends. The header then goes at the end of the gap and the gap's rest
 * is closed by moving the shorter side: what came before the run in this
 * batch (nothing, for a batch of registrations: out_head just steps over
 * the gap) or the run itself. So nothing is moved in the common case and
 * never more than the run. A run gathered in a buffer of its own cost a
 * copy and a wipe of each batch's ~115 kB: small (the replication
 * thread's CPU per sync registration 0.32 -> 0.31 us, akma-bench
 * replication, 3 interleaved runs; callgrind's 450 of 1 640 instructions
 * counts each rep movsb/stosb step), but one buffer is also less code. */
#define RUN_GAP 32 /* "*" + 1 + 2n (up to 11 digits) + "\r\n$4\r\nMSET\r\n" */

static int close_run(struct akma_redis *r)
{
	static const char mset[] = "\r\n$4\r\nMSET\r\n";
	char head[RUN_GAP];

	if (!r->run_pairs)
		return 0;
	char *h = head;
	*h++ = '*';
	h = akma_put_decimal(h, 1 + 2 * (uint64_t)r->run_pairs);
	memcpy(h, mset, sizeof(mset) - 1);
	h += sizeof(mset) - 1;
	size_t hl = (size_t)(h - head), gap = RUN_GAP - hl;
	size_t before = r->run_at - RUN_GAP - r->out_head, run = r->out_len - r->run_at;
	if (before <= run) {
		memmove(r->out + r->out_head + gap, r->out + r->out_head, before);
		memset(r->out + r->out_head, 0, gap);
		r->out_head += gap;
		memcpy(r->out + r->run_at - hl, head, hl);
	} else {
		memcpy(r->out + r->run_at - RUN_GAP, head, hl);
		memmove(r->out + r->run_at - gap, r->out + r->run_at, run);
		r->out_len -= gap;
		memset(r->out + r->out_len, 0, gap);
	}
	r->run_pairs = 0;
	r->queued++;
	return 0;
}

static int run_append(struct akma_redis *r, const char *key, size_t kl, const uint8_t *val,
		      size_t vl)
{
	size_t need = kl + vl + 32;
	if (out_reserve(r, (r->run_pairs ? 0 : RUN_GAP) + need) != 0)
		return -ENOMEM;
	if (!r->run_pairs) {
		r->out_len += RUN_GAP;
		r->run_at = r->out_len;
	}
	char *p = put_bulk(r->out + r->out_len, key, kl);
	p = put_bulk(p, val, vl);
	r->out_len = (size_t)(p - r->out);
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
		explicit_bzero(rec, (size_t)n);
		return rc;
	}
	if (close_run(r) != 0) {
		explicit_bzero(rec, (size_t)n);
		return -ENOMEM;
	}
	const void *argv[5] = {"SET", key, rec, "PXAT", at};
	size_t len[5] = {3, (size_t)kl, (size_t)n, 4, 0};
	if (c->eol_ms)
		len[4] = (size_t)(akma_put_decimal(at, c->eol_ms) - at);
	int rc = out_command(r, c->eol_ms ? 5 : 3, argv, len);
	explicit_bzero(rec, (size_t)n);
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

int akma_redis_wait(struct akma_redis *r, unsigned replicas, unsigned timeout_ms)
{
	char n[16], t[16];

	if (!r->c)
		return -EIO;
	if (close_run(r) != 0)
		return -ENOMEM;
	const void *argv[] = {"WAIT", n, t};
	size_t len[] = {4, (size_t)(akma_put_decimal(n, replicas) - n),
			(size_t)(akma_put_decimal(t, timeout_ms) - t)};
	int rc = out_command(r, 3, argv, len);
	if (rc == 0) {
		r->wait_at[r->n_waits < AKMA_REDIS_MAX_WAITS ? r->n_waits++ : r->n_waits - 1] =
			r->queued - 1;
		r->wait_for = replicas;
	}
	return rc;
}

int akma_redis_feed(struct akma_redis *r, const struct akma_redis_change *ch, unsigned n,
		    uint64_t now_ms, unsigned window_ms)
{
	char minid[32];

	if (!r->c)
		return -EIO;
	if (!n)
		return 0;
	if (close_run(r) != 0 || fail_now(r))
		return -ENOMEM;
	/* XADD akma:feed MINID ~ <now - window> * c <changes>: the entry's id
	 * is Redis's time, so MINID keeps window_ms of entries (~: whole macro
	 * nodes, cheaply). One field for the batch: a field pair per change
	 * cost a quarter of the sync registration rate (akma-bench
	 * replication, sync / MSET-shape ceiling 0.36-0.40 against 0.45-0.55
	 * without a feed, 3 interleaved runs); one blob is within the noise
	 * (medians of 4 interleaved runs: 0.405 against 0.41, Redis CPU per
	 * sync registration 1.87 against 1.80 us). */
	uint64_t floor = now_ms > window_ms ? now_ms - window_ms : 0;
	size_t ml = (size_t)(akma_put_decimal(minid, floor) - minid), blob = 0;
	for (unsigned i = 0; i < n; i++)
		blob += 3 + ch[i].ueid_len;
	if (out_reserve(r, 128 + ml + blob) != 0)
		return -ENOMEM;
	char *p = r->out + r->out_len;
	static const char head[] = "*8\r\n$4\r\nXADD\r\n";
	memcpy(p, head, sizeof(head) - 1);
	p += sizeof(head) - 1;
	p = put_bulk(p, AKMA_REDIS_FEED_KEY, sizeof(AKMA_REDIS_FEED_KEY) - 1);
	p = put_bulk(p, "MINID", 5);
	p = put_bulk(p, "~", 1);
	p = put_bulk(p, minid, ml);
	p = put_bulk(p, "*", 1);
	p = put_bulk(p, AKMA_REDIS_FEED_FIELD, 1);
	*p++ = '$';
	p = akma_put_decimal(p, blob);
	*p++ = '\r';
	*p++ = '\n';
	for (unsigned i = 0; i < n; i++) {
		*p++ = ch[i].removed ? 'd' : 's';
		*p++ = (char)(ch[i].ueid_len >> 8);
		*p++ = (char)(ch[i].ueid_len & 0xff);
		memcpy(p, ch[i].ueid, ch[i].ueid_len);
		p += ch[i].ueid_len;
	}
	*p++ = '\r';
	*p++ = '\n';
	r->out_len = (size_t)(p - r->out);
	r->queued++;
	return 0;
}

void akma_redis_discard(struct akma_redis *r)
{
	r->run_pairs = 0;
	if (r->out)
		explicit_bzero(r->out, r->out_len);
	r->out_head = r->out_len = 0;
	r->queued = 0;
	r->n_waits = 0;
}

void akma_redis_forget(struct akma_redis *r)
{
	akma_redis_discard(r);
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
		akma_redis_forget(r);
		snprintf(why, why_size, "not connected");
		return -EIO;
	}
	if (r->n_batches == AKMA_REDIS_MAX_BATCHES) {
		snprintf(why, why_size, "too many batches in flight");
		return -EINVAL;
	}
	if (close_run(r) != 0) {
		snprintf(why, why_size, "out of memory");
		akma_redis_forget(r);
		return -EIO;
	}
	for (size_t off = r->out_head; off < r->out_len;) {
		ssize_t n =
			send(r->c->fd, r->out + off, r->out_len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR) && ready(r, POLLOUT) == 0)
			continue;
		snprintf(why, why_size, "redis %s: %s", r->server,
			 n < 0 ? strerror(errno) : "closed");
		akma_redis_forget(r);
		return -EIO;
	}
	r->batch_replies[r->n_batches] = r->queued;
	r->batch_waits[r->n_batches] = r->n_waits;
	memcpy(r->batch_wait_at[r->n_batches], r->wait_at, sizeof(r->wait_at));
	r->n_batches++;
	r->out_head = r->out_len = 0;
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
	int rc = 0, starve = 0;
	while (seen < want) {
		size_t len;
		const char *line = starve ? NULL : next_line(r, &len);
		starve = 0;
		if (!line) {
			/* Keep the partial line, read more after it. */
			memmove(r->in, r->in + r->in_off, r->in_len - r->in_off);
			r->in_len -= r->in_off;
			r->in_off = 0;
			if (r->in_len == sizeof(r->in)) {
				snprintf(why, why_size, "redis %s: a reply line too long",
					 r->server);
				akma_redis_forget(r);
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
				 n < 0 ? (errno == EAGAIN ? "no reply within the timeout"
							  : strerror(errno))
				       : "Server closed the connection");
			akma_redis_forget(r);
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
					snprintf(why, why_size,
						 "redis %s: %lld of %u replicas acknowledged",
						 r->server, got, r->wait_for);
					rc = -EAGAIN;
				}
			}
		} else if (line[0] == '$') {
			/* A bulk string: XADD's entry id, on the line that follows
			 * (an id has no line end in it). Not here yet: read more,
			 * then take the two lines again. */
			size_t id_len;
			if (strtoll(line + 1, NULL, 10) >= 0 && !next_line(r, &id_len)) {
				r->in_off -= len;
				starve = 1;
				continue;
			}
		} else if (line[0] != '+') {
			snprintf(why, why_size, "redis %s: unexpected reply", r->server);
			akma_redis_forget(r);
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
